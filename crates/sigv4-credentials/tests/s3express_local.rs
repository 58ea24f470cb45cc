//! S3 Express One Zone end to end through the library, against a local 127.0.0.1 server
//! that verifies the CreateSession signature (service `s3express`, base credentials) and
//! every data request (session credentials, `x-amz-s3session-token`) with our Verifier.
#![cfg(feature = "hyper-client")]

mod local_aws;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use local_aws::*;
use sigv4::{Credentials, Payload, SignableRequest, Signer};
use sigv4_credentials::clock_skew::ClockSkew;
use sigv4_credentials::s3express::{session_signer, DirectoryBucket, S3ExpressSessions};
use sigv4_credentials::{HttpRequestOptions, ProviderContext, TimeSource};

/// The real clock moved forward by a settable amount (to reach a session's expiry
/// without sleeping).
#[derive(Debug, Default)]
struct MovableClock(AtomicU64);

impl TimeSource for MovableClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

fn base() -> Credentials {
    Credentials::new(BASE_AK, BASE_SK, None, None)
}

async fn send(ctx: &ProviderContext, req: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    ctx.http_client()
        .unwrap()
        .send(req, HttpRequestOptions::default())
        .await
        .unwrap()
}

fn request(
    method: &str,
    url: &str,
    body: &[u8],
    out: &sigv4::SigningOutput,
) -> http::Request<Vec<u8>> {
    let mut b = http::Request::builder().method(method).uri(url);
    for (n, v) in out.headers() {
        b = b.header(n, v);
    }
    b.body(body.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_and_get_with_a_cached_session_refreshed_before_expiry() {
    let server = LocalAws::start(Config::express());
    let clock = Arc::new(MovableClock::default());
    let ctx = ProviderContext::default().with_time_source(ClockRef(clock.clone()));
    let sessions = S3ExpressSessions::new(ctx.clone());
    let put_url = server.url(&format!("/{BUCKET}/notes/a.txt"));
    let bucket = DirectoryBucket::from_url(&put_url, true).expect("path-style directory bucket");
    assert_eq!(bucket.bucket(), BUCKET);
    let signer = session_signer(REGION).unwrap();

    // PUT then GET, both with the session; CreateSession happens once.
    let body = b"hello express, from the library";
    let session = sessions.session(&bucket, REGION, &base()).await.unwrap();
    assert!(session.access_key_id().starts_with("ASIAEXPRESS"));
    let req = SignableRequest::new("PUT", &put_url, [], Payload::Bytes(body));
    let out = signer.sign(&req, &session, clock.now()).unwrap();
    let resp = send(&ctx, request("PUT", &put_url, body, &out)).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        String::from_utf8_lossy(resp.body())
    );

    let req = SignableRequest::new("GET", &put_url, [], Payload::Bytes(b""));
    let out = sessions
        .sign(&bucket, REGION, &base(), &req, clock.now())
        .await
        .unwrap();
    let resp = send(&ctx, request("GET", &put_url, b"", &out)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.body(), body);
    assert_eq!(server.state.create_sessions(), 1, "the session is cached");

    let seen = server.state.accepted();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].target, format!("/{BUCKET}?session"));
    assert_eq!(seen[0].access_key, BASE_AK);
    for data in &seen[1..] {
        assert_eq!(data.access_key, session.access_key_id());
        assert!(data.signed_headers.contains("x-amz-s3session-token"));
        assert!(!data
            .header_names
            .iter()
            .any(|h| h == "x-amz-security-token"));
    }

    // Four of the session's five minutes later the cache creates a new session before
    // handing the old one out again.
    clock.0.store(240, Ordering::SeqCst);
    let renewed = sessions.session(&bucket, REGION, &base()).await.unwrap();
    assert_eq!(server.state.create_sessions(), 2);
    assert_ne!(renewed.access_key_id(), session.access_key_id());
    let req = SignableRequest::new("GET", &put_url, [], Payload::Bytes(b""));
    let out = signer.sign(&req, &renewed, clock.now()).unwrap();
    let resp = send(&ctx, request("GET", &put_url, b"", &out)).await;
    assert_eq!(resp.status(), 200);
    assert!(
        server.state.refused().is_empty(),
        "{:?}",
        server.state.refused()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_what_s3_express_refuses() {
    let server = LocalAws::start(Config::express());
    let ctx = ProviderContext::default();
    let sessions = S3ExpressSessions::new(ctx.clone());
    let url = server.url(&format!("/{BUCKET}/k"));
    let bucket = DirectoryBucket::from_url(&url, true).unwrap();
    let session = sessions.session(&bucket, REGION, &base()).await.unwrap();
    let now = SystemTime::now();
    let get = SignableRequest::new("GET", &url, [], Payload::Bytes(b""));

    // Data signed with the base credentials, as plain S3 would.
    let out = Signer::new(REGION, "s3express")
        .unwrap()
        .sign(&get, &base(), now)
        .unwrap();
    assert!(send(&ctx, request("GET", &url, b"", &out))
        .await
        .status()
        .is_client_error());
    // Session credentials but the token as x-amz-security-token.
    let out = Signer::new(REGION, "s3express")
        .unwrap()
        .sign(&get, &session, now)
        .unwrap();
    assert!(send(&ctx, request("GET", &url, b"", &out))
        .await
        .status()
        .is_client_error());
    // Session credentials signed for plain `s3` (the scope names the wrong service).
    let out = Signer::new(REGION, "s3")
        .unwrap()
        .with_settings(sigv4::SigningSettings::s3express_session())
        .sign(&get, &session, now)
        .unwrap();
    assert!(send(&ctx, request("GET", &url, b"", &out))
        .await
        .status()
        .is_client_error());
    assert_eq!(
        server.state.refused(),
        [
            "InvalidAccessKeyId",
            "InvalidToken",
            "AuthorizationHeaderMalformed"
        ]
    );

    // CreateSession with the wrong base secret fails with the server's error, secret-free.
    let wrong = Credentials::new(BASE_AK, "not-the-secret", None, None);
    let other = DirectoryBucket::from_url(&server.url("/other--usw2-az1--x-s3/k"), true).unwrap();
    let err = sessions.session(&other, REGION, &wrong).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("HTTP 403") && text.contains("SignatureDoesNotMatch"),
        "{text}"
    );
    assert!(!text.contains("not-the-secret"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_share_one_create_session() {
    let server = LocalAws::start(Config::express());
    let sessions = S3ExpressSessions::new(ProviderContext::default());
    let bucket = DirectoryBucket::from_url(&server.url(&format!("/{BUCKET}/k")), true).unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (s, b) = (sessions.clone(), bucket.clone());
            tokio::spawn(async move { s.session(&b, REGION, &base()).await.unwrap() })
        })
        .collect();
    let mut keys = Vec::new();
    for t in tasks {
        keys.push(t.await.unwrap().access_key_id().to_owned());
    }
    keys.dedup();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(server.state.create_sessions(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_session_is_corrected_for_a_server_clock_30_minutes_off() {
    for offset in [1800i64, -1800] {
        let server = LocalAws::start(Config {
            clock_offset_secs: offset,
            ..Config::express()
        });
        let skew = Arc::new(ClockSkew::new());
        let ctx = ProviderContext::default();
        let sessions = S3ExpressSessions::new(ctx.clone()).with_clock_skew(skew.clone());
        let url = server.url(&format!("/{BUCKET}/skewed.txt"));
        let bucket = DirectoryBucket::from_url(&url, true).unwrap();
        let session = sessions.session(&bucket, REGION, &base()).await.unwrap();
        assert_eq!(server.state.refused(), ["RequestTimeTooSkewed"]);
        let learned = skew.offset(&url).unwrap();
        assert!(
            (learned - offset).abs() <= 2,
            "learned {learned} for {offset}"
        );
        // The expiry is on our clock: about five minutes from now, whatever the server's.
        let left = session
            .expiry()
            .unwrap()
            .duration_since(SystemTime::now())
            .unwrap()
            .as_secs();
        assert!((290..=302).contains(&left), "{left}");
        // The data request, signed at the corrected time, is accepted at once.
        let req = SignableRequest::new("PUT", &url, [], Payload::Bytes(b"x"));
        let out = session_signer(REGION)
            .unwrap()
            .sign(&req, &session, skew.now(&url, SystemTime::now()))
            .unwrap();
        let resp = send(&ctx, request("PUT", &url, b"x", &out)).await;
        assert_eq!(
            resp.status(),
            200,
            "{}",
            String::from_utf8_lossy(resp.body())
        );
        assert_eq!(server.state.refused().len(), 1);
    }
}

/// `Arc<MovableClock>` as an owned `TimeSource` for `with_time_source`.
#[derive(Debug)]
struct ClockRef(Arc<MovableClock>);

impl TimeSource for ClockRef {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}
