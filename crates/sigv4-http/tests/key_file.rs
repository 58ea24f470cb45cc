//! `FileKeys` behind a `VerifyLayer` in an axum server on 127.0.0.1: the keys file's
//! principal and limits reach the handler, and the keys follow the file when it changes
//! and on `SIGHUP`, without restarting the server.
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::Extension;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::verify::Verifier;
use sigv4::{Credentials, Signer};
use sigv4_http::tower::{FileKeys, KeyLimits, VerifiedIdentity, VerifyLayer};

fn entry(id: &str, secret: &str, extra: &str) -> String {
    format!("[[key]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\n{extra}\n")
}

async fn get(addr: std::net::SocketAddr, id: &str, secret: &str) -> (u16, String) {
    let mut req = http::Request::get(format!("http://{addr}/whoami"))
        .body(Vec::new())
        .unwrap();
    Signer::new("us-east-1", "execute-api")
        .unwrap()
        .sign_http_request(
            &mut req,
            &Credentials::new(id, secret, None, None),
            SystemTime::now(),
        )
        .unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let resp = client
        .request(req.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn eventually(addr: std::net::SocketAddr, id: &str, secret: &str, want: u16) -> String {
    for _ in 0..100 {
        let (status, body) = get(addr, id, secret).await;
        if status == want {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} never got {want}");
}

#[tokio::test]
async fn file_keys_keep_principal_and_limits_and_reload_on_change_and_sighup() {
    let dir = std::env::temp_dir().join(format!("sigv4-key-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.toml");
    std::fs::write(
        &path,
        entry(
            "AKIDALICE",
            "alice-secret",
            "principal = \"alice\"\nservices = [\"execute-api\"]\ns3_buckets = [\"a-*\"]",
        ),
    )
    .unwrap();
    let keys = Arc::new(FileKeys::open(&path).unwrap());
    let watcher = keys.watch(Some(Duration::from_millis(50)));

    let handler = |Extension(id): Extension<VerifiedIdentity>,
                   Extension(limits): Extension<Arc<KeyLimits>>| async move {
        format!(
            "{}|{}|{:?}",
            id.access_key_id,
            id.principal.unwrap_or_default(),
            limits.s3_buckets()
        )
    };
    let layer = VerifyLayer::new(
        Verifier::new("us-east-1", "execute-api").unwrap(),
        Arc::clone(&keys),
    )
    .for_axum();
    let app = Router::new().fallback(handler).layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (status, body) = get(addr, "AKIDALICE", "alice-secret").await;
    assert_eq!(
        (status, body.as_str()),
        (200, "AKIDALICE|alice|Some([\"a-*\"])")
    );
    assert_eq!(get(addr, "AKIDBOB", "bob-secret").await.0, 403);

    // The file changes: picked up by the poll, no restart.
    std::fs::write(&path, entry("AKIDBOB", "bob-secret", "")).unwrap();
    let body = eventually(addr, "AKIDBOB", "bob-secret", 200).await;
    assert_eq!(body, "AKIDBOB|AKIDBOB|None");
    assert_eq!(get(addr, "AKIDALICE", "alice-secret").await.0, 403);

    // A broken file keeps the keys in use.
    std::fs::write(&path, "[[key]]\naccess_key_id = 3\n").unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(get(addr, "AKIDBOB", "bob-secret").await.0, 200);
    watcher.abort();

    // SIGHUP alone (no poll) reloads too.
    let hup = keys.watch(None);
    tokio::time::sleep(Duration::from_millis(100)).await;
    std::fs::write(
        &path,
        entry("AKIDCAROL", "carol-secret", "principal = \"carol\""),
    )
    .unwrap();
    assert_eq!(
        get(addr, "AKIDCAROL", "carol-secret").await.0,
        403,
        "reloaded without a signal"
    );
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let body = eventually(addr, "AKIDCAROL", "carol-secret", 200).await;
    assert!(body.starts_with("AKIDCAROL|carol|"), "{body}");
    hup.abort();
    server.abort();
    std::fs::remove_dir_all(&dir).ok();
}
