//! Clock-skew recovery of the tower client and the blocking signer against our own
//! server: an axum app behind `VerifyLayer` whose clock is 20 minutes ahead
//! (`with_time_source`) refuses a request signed at the client's time with
//! `RequestTimeTooSkewed`; a client with clock-skew correction learns the offset from that
//! answer, signs again at the server's time and gets in (the reqwest middleware and the
//! CLI are tested in services.rs and the CLI's tests).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::Extension;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::verify::Verifier;
use sigv4::Credentials;
use sigv4_credentials::clock_skew::ClockSkew;
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::tower::{KeyEntry, SignLayer, StaticKeys, VerifiedIdentity, VerifyLayer};
use sigv4_http::RequestSigner;
use tower::{Layer, ServiceExt};

const AKID: &str = "AKIDSKEW";
const SECRET: &str = "skew/secret+key";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET, None, None)
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test timed out");
}

/// A clock 20 minutes ahead of the system's: the verifier's.
#[derive(Debug)]
struct Ahead;

impl sigv4_credentials::TimeSource for Ahead {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(20 * 60)
    }
}

/// Our server with its clock 20 minutes ahead, for `service`; each accepted request is
/// answered with its body.
async fn skewed_server(service: &str) -> SocketAddr {
    let keys = StaticKeys::new().with_key(KeyEntry::new(creds()));
    let layer = VerifyLayer::new(Verifier::new("us-east-1", service).unwrap(), keys)
        .with_time_source(Arc::new(Ahead))
        .for_axum();
    let app = Router::new()
        .fallback(
            |Extension(id): Extension<VerifiedIdentity>, body: Bytes| async move {
                format!("{}:{}", id.access_key_id, String::from_utf8_lossy(&body))
            },
        )
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn signer(service: &str) -> RequestSigner {
    RequestSigner::from_static(creds())
        .with_service(service)
        .with_region("us-east-1")
}

fn assert_learned(skew: &ClockSkew, url: &str) {
    let offset = skew.offset(url).expect("an offset for the endpoint");
    assert!((1190..=1210).contains(&offset), "learned {offset}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower_client_recovers_from_clock_skew_against_our_own_server() {
    run(async {
        for service in ["s3", "execute-api"] {
            let addr = skewed_server(service).await;
            let url = format!("http://{addr}/skewed");
            let hyper = Client::builder(TokioExecutor::new()).build_http::<_>();
            let put = || {
                http::Request::put(&url)
                    .body(Full::new(Bytes::from_static(b"payload")))
                    .unwrap()
            };

            // Without correction: refused with the server's time.
            let resp = SignLayer::new(signer(service))
                .layer(hyper.clone())
                .oneshot(put())
                .await
                .unwrap();
            assert_eq!(resp.status(), 403);
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            assert!(
                String::from_utf8_lossy(&body).contains("RequestTimeTooSkewed"),
                "{body:?}"
            );

            // With correction: the refusal teaches the offset, the request is signed
            // again at the server's time and sent once more, body and all.
            let skew = Arc::new(ClockSkew::new());
            let layer = SignLayer::new(signer(service).with_clock_skew(Arc::clone(&skew)));
            let resp = layer.layer(hyper.clone()).oneshot(put()).await.unwrap();
            let status = resp.status();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(status, 200, "{service}: {body:?}");
            assert_eq!(&body[..], format!("{AKID}:payload").as_bytes());
            assert_learned(&skew, &url);

            // Later requests are signed at the server's time from the start.
            let resp = layer.layer(hyper).oneshot(put()).await.unwrap();
            assert_eq!(resp.status(), 200);
        }
    })
    .await;
}

/// Sends `url` signed by `signer` with ureq; returns the status, `Date` and body.
fn ureq_get(signer: &BlockingSigner, url: &str) -> (u16, Option<String>, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut req = http::Request::get(url).body(Vec::new()).unwrap();
    signer.sign(&mut req).unwrap();
    let mut resp = agent.run(req).unwrap();
    let date = resp
        .headers()
        .get("date")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.body_mut().read_to_vec().unwrap();
    (resp.status().as_u16(), date, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_signer_recovers_from_clock_skew_against_our_own_server() {
    run(async {
        for service in ["s3", "execute-api"] {
            let addr = skewed_server(service).await;
            let url = format!("http://{addr}/skewed");
            let skew = Arc::new(ClockSkew::new());
            let signer = BlockingSigner::new(signer(service).with_clock_skew(Arc::clone(&skew)));
            let done = tokio::task::spawn_blocking(move || {
                let (status, date, body) = ureq_get(&signer, &url);
                assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
                let learned = signer.learn_clock_skew(&url, status, date.as_deref(), &body);
                assert!(learned.is_some(), "{}", String::from_utf8_lossy(&body));
                assert_learned(&skew, &url);
                // Signed again, now at the server's time.
                let (status, _, body) = ureq_get(&signer, &url);
                assert_eq!(status, 200, "{service}: {}", String::from_utf8_lossy(&body));
                // An accepted answer teaches nothing.
                assert!(signer.learn_clock_skew(&url, status, None, &body).is_none());
            });
            done.await.unwrap();
        }
    })
    .await;
}
