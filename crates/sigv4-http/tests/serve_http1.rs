//! The HTTP/1.1 accept loop shared by `sigv4 proxy` and the gateway, on 127.0.0.1: a
//! request head beyond the limit gets 431, a client that never finishes its head is cut
//! off after the header timeout, and shutdown waits for the requests in flight.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use sigv4_http::serve::{serve_http1, Http1Options};
use tokio::sync::oneshot;

fn read_all(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_timeouts_and_graceful_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = Http1Options::default()
        .with_header_timeout(Duration::from_millis(300))
        .with_shutdown_timeout(Duration::from_secs(10))
        .with_max_head(8 * 1024);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_http1(
        listener,
        options,
        async {
            let _ = stopped.await;
        },
        |req: http::Request<hyper::body::Incoming>, remote| async move {
            if req.uri().path() == "/slow" {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            http::Response::new(Full::new(Bytes::from(format!(
                "{} from {}",
                req.uri().path(),
                remote.ip()
            ))))
        },
    ));

    let answers = tokio::task::spawn_blocking(move || {
        // An ordinary request.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let ok = read_all(&mut s);
        // A head over the limit.
        let mut s = TcpStream::connect(addr).unwrap();
        let big = format!(
            "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
            "a".repeat(16 * 1024)
        );
        let _ = s.write_all(big.as_bytes());
        let too_big = read_all(&mut s);
        // A head that never ends.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").unwrap();
        let start = Instant::now();
        let _ = read_all(&mut s);
        (ok, too_big, start.elapsed())
    })
    .await
    .unwrap();
    assert!(answers.0.starts_with("HTTP/1.1 200"), "{}", answers.0);
    assert!(
        answers.0.ends_with("/hello from 127.0.0.1"),
        "{}",
        answers.0
    );
    assert!(answers.1.starts_with("HTTP/1.1 431"), "{}", answers.1);
    assert!(
        answers.2 < Duration::from_secs(5),
        "cut off after {:?}",
        answers.2
    );

    // A request in flight when shutdown starts is answered; then the loop returns true.
    let slow = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        read_all(&mut s)
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(()).unwrap();
    let clean = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert!(clean, "requests were left in flight");
    let answer = slow.await.unwrap();
    assert!(answer.ends_with("/slow from 127.0.0.1"), "{answer}");
    // No new connections once stopped.
    assert!(TcpStream::connect(addr).is_err());
}
