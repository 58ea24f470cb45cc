//! `sigv4 request` recovers from clock skew against our own verifying server
//! (`sigv4_http::tower::VerifyLayer` whose clock is 20 minutes ahead): the refusal's `Date`
//! comes from the verifier's clock, the CLI learns the offset from it and retries once.

mod support;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use sigv4::verify::Verifier;
use sigv4::Credentials;
use sigv4_http::tower::{KeyEntry, StaticKeys, VerifiedIdentity, VerifiedRequestBody, VerifyLayer};
use support::*;
use tower_service::Service;

#[derive(Debug)]
struct Ahead;

impl sigv4_credentials::TimeSource for Ahead {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(20 * 60)
    }
}

/// Answers with the signing time of the verified request.
#[derive(Clone)]
struct SignedAt;

impl Service<http::Request<VerifiedRequestBody>> for SignedAt {
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<VerifiedRequestBody>) -> Self::Future {
        let id = req.extensions().get::<VerifiedIdentity>().cloned();
        Box::pin(async move {
            let at = id.map(|i| i.signed_at.to_string()).unwrap_or_default();
            Ok(http::Response::new(Full::new(Bytes::from(at))))
        })
    }
}

#[test]
fn request_recovers_from_clock_skew_against_verify_layer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let keys = StaticKeys::new().with_key(KeyEntry::new(Credentials::new(AK, SK, None, None)));
    let layer = VerifyLayer::new(Verifier::new(REGION, "execute-api").unwrap(), keys)
        .with_time_source(Arc::new(Ahead));
    let svc = tower_layer_apply(layer);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let svc = svc.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let mut svc = svc.clone();
                    async move { svc.call(req).await }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, svc)
                    .await;
            });
        }
    });
    let home = TempDir::new("home-skew-layer");
    let url = format!("http://{addr}/skewed");
    let out = sigv4(
        home.path(),
        &["request", "-v", "--fail", "--service", "execute-api", &url],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("retrying once"), "{stderr}");
    // Signed the second time at the verifier's time, 20 minutes ahead of ours.
    let signed = sigv4::AmzDate::parse(text(&out.stdout).trim()).unwrap();
    let ahead = signed
        .to_system_time()
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    assert!(ahead > Duration::from_secs(19 * 60), "signed at {signed}");
}

fn tower_layer_apply(
    layer: VerifyLayer<StaticKeys>,
) -> sigv4_http::tower::VerifyService<SignedAt, StaticKeys> {
    use tower_layer::Layer;
    layer.layer(SignedAt)
}
