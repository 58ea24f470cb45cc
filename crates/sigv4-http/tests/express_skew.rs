//! S3 Express One Zone and clock-skew correction through the reqwest middleware and the
//! tower client layer, against a local 127.0.0.1 server that verifies every request with
//! our Verifier (CreateSession: `s3express` with the base credentials; data: the session's
//! key and `x-amz-s3session-token`) at its own, possibly skewed, clock.

#[path = "../../sigv4-credentials/tests/local_aws/mod.rs"]
mod local_aws;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use local_aws::*;
use sigv4::Credentials;
use sigv4_credentials::clock_skew::ClockSkew;
use sigv4_credentials::s3express::S3ExpressSessions;
use sigv4_credentials::ProviderContext;
use sigv4_http::reqwest::{ReqwestHttpClient, SigV4Middleware};
use sigv4_http::tower::SignLayer;
use sigv4_http::RequestSigner;
use tower::{Layer, ServiceExt};

fn base_signer() -> RequestSigner {
    RequestSigner::from_static(Credentials::new(BASE_AK, BASE_SK, None, None)).with_region(REGION)
}

fn express_ctx() -> ProviderContext {
    ProviderContext::default().with_http_client(ReqwestHttpClient::new(reqwest::Client::new()))
}

fn assert_session_signed(server: &LocalAws, data_requests: usize) {
    assert!(
        server.state.refused().is_empty(),
        "{:?}",
        server.state.refused()
    );
    let seen = server.state.accepted();
    let (sessions, data): (Vec<_>, Vec<_>) =
        seen.iter().partition(|s| s.target.ends_with("?session"));
    assert_eq!(
        sessions.len(),
        1,
        "one CreateSession, then the cached session"
    );
    assert_eq!(sessions[0].access_key, BASE_AK);
    assert_eq!(data.len(), data_requests);
    for d in data {
        assert!(d.access_key.starts_with("ASIAEXPRESS"), "{d:?}");
        assert!(d.signed_headers.contains("x-amz-s3session-token"), "{d:?}");
        assert!(
            !d.header_names.iter().any(|h| h == "x-amz-security-token"),
            "{d:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_middleware_puts_and_gets_in_a_directory_bucket() {
    let server = LocalAws::start(Config::express());
    let signer = base_signer()
        .with_service("s3")
        .with_s3express(S3ExpressSessions::new(express_ctx()));
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(signer))
        .build();
    let url = server.url(&format!("/{BUCKET}/photos/cat.txt"));
    let put = client.put(&url).body("meow").send().await.unwrap();
    assert_eq!(put.status(), 200);
    let get = client.get(&url).send().await.unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(get.text().await.unwrap(), "meow");
    assert_session_signed(&server, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower_sign_layer_puts_and_gets_in_a_directory_bucket() {
    let server = LocalAws::start(Config::express());
    let signer = base_signer()
        .with_service("s3express")
        .with_s3express(S3ExpressSessions::new(express_ctx()));
    let layer = SignLayer::new(signer);
    let http = Client::builder(TokioExecutor::new()).build_http();
    let url = server.url(&format!("/{BUCKET}/tower.bin"));
    let put = http::Request::put(&url)
        .body(Full::new(Bytes::from_static(b"from tower")))
        .unwrap();
    let resp = layer.layer(http.clone()).oneshot(put).await.unwrap();
    assert_eq!(resp.status(), 200);
    let get = http::Request::get(&url)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = layer.layer(http).oneshot(get).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"from tower");
    assert_session_signed(&server, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_middleware_corrects_a_skewed_clock_and_keeps_the_offset() {
    for offset in [1800i64, -1800] {
        let server = LocalAws::start(Config::plain("es", offset));
        let skew = Arc::new(ClockSkew::new());
        let signer = base_signer()
            .with_service("es")
            .with_clock_skew(skew.clone());
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(SigV4Middleware::new(signer))
            .build();
        let resp = client
            .put(server.url("/idx/1"))
            .body("one")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        assert_eq!(server.state.refused(), ["RequestTimeTooSkewed"]);
        let learned = skew
            .offset(&server.url("/"))
            .expect("an offset for the endpoint");
        assert!(
            (learned - offset).abs() <= 2,
            "learned {learned} for {offset}"
        );
        // Later requests are signed at the server's time from the start.
        let resp = client.get(server.url("/idx/1")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "one");
        assert_eq!(server.state.refused().len(), 1);
        assert_eq!(server.state.accepted().len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_is_not_sent_again_but_the_offset_is_learned() {
    let server = LocalAws::start(Config::plain("s3", -1800));
    let skew = Arc::new(ClockSkew::new());
    let signer = base_signer()
        .with_service("s3")
        .with_clock_skew(skew.clone());
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(signer))
        .build();
    let stream =
        futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"streamed"))]);
    let resp = client
        .put(server.url("/b/streamed"))
        .header("content-length", "8")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    // The stream cannot be replayed: the refusal comes back as it was...
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.url().as_str(), server.url("/b/streamed"));
    assert!(resp.text().await.unwrap().contains("RequestTimeTooSkewed"));
    // ...but the next request is signed at the server's time.
    assert!(skew.offset(&server.url("/")).is_some());
    let stream =
        futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"streamed"))]);
    let resp = client
        .put(server.url("/b/streamed"))
        .header("content-length", "8")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(server.state.refused(), ["RequestTimeTooSkewed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_clock_skew_correction_the_refusal_is_returned() {
    let server = LocalAws::start(Config::plain("es", 1800));
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(base_signer().with_service("es")))
        .build();
    let resp = client.get(server.url("/idx/1")).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("RequestTimeTooSkewed"));
}
