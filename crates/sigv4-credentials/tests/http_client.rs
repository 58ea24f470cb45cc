//! The default hyper client against a raw local server: request shape,
//! limits, and the error kinds providers rely on.
#![cfg(feature = "hyper-client")]

use std::time::Duration;

use sigv4_credentials::http::HyperClient;
use sigv4_credentials::{HttpClient, HttpError, HttpRequestOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one connection: returns the raw request head+body it read and
/// writes `response`.
async fn one_shot(response: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let mut got = Vec::new();
        // Read until the head and a small body have arrived.
        loop {
            let n = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf))
                .await
                .unwrap_or(Ok(0))
                .unwrap_or(0);
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some(i) = text.find("\r\n\r\n") {
                let len = text[..i]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if got.len() >= i + 4 + len {
                    break;
                }
            }
        }
        let _ = s.write_all(&response).await;
        let _ = s.shutdown().await;
        String::from_utf8_lossy(&got).into_owned()
    });
    (url, task)
}

fn opts() -> HttpRequestOptions {
    HttpRequestOptions::default()
        .with_timeout(Duration::from_secs(2))
        .with_connect_timeout(Duration::from_secs(1))
}

#[tokio::test]
async fn post_sends_host_body_and_reads_response() {
    let (url, server) =
        one_shot(b"HTTP/1.1 201 Created\r\nx-test: yes\r\ncontent-length: 5\r\n\r\nhello".to_vec())
            .await;
    let req = http::Request::post(format!("{url}/path?q=1"))
        .header("content-type", "text/plain")
        .body(b"payload".to_vec())
        .unwrap();
    let resp = HyperClient::new().send(req, opts()).await.unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-test"], "yes");
    assert_eq!(resp.body(), b"hello");
    let raw = server.await.unwrap();
    assert!(raw.starts_with("POST /path?q=1 HTTP/1.1\r\n"), "{raw}");
    let host = url.trim_start_matches("http://");
    assert!(
        raw.to_ascii_lowercase().contains(&format!("host: {host}")),
        "{raw}"
    );
    assert!(raw.ends_with("payload"), "{raw}");
}

#[tokio::test]
async fn body_limit_is_enforced() {
    let body = "x".repeat(10_000);
    let resp = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (url, _server) = one_shot(resp.into_bytes()).await;
    let mut o = opts();
    o.max_response_bytes = 1000;
    let err = HyperClient::new()
        .send(http::Request::get(url).body(Vec::new()).unwrap(), o)
        .await
        .unwrap_err();
    assert_eq!(err, HttpError::ResponseTooLarge(1000));
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let err = HyperClient::new()
        .send(
            http::Request::get(format!("http://{addr}/"))
                .body(Vec::new())
                .unwrap(),
            opts(),
        )
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn silent_server_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let (_s, _) = l.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let o = opts().with_timeout(Duration::from_millis(300));
    let err = HyperClient::new()
        .send(
            http::Request::get(format!("http://{addr}/"))
                .body(Vec::new())
                .unwrap(),
            o,
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    hold.abort();
}

#[tokio::test]
async fn bad_scheme_is_rejected() {
    let err = HyperClient::new()
        .send(
            http::Request::get("ftp://127.0.0.1/")
                .body(Vec::new())
                .unwrap(),
            opts(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::InvalidRequest(_)), "{err:?}");
}
