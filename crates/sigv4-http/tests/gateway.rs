//! The gateway in process, in front of an upstream that verifies every forwarded request
//! with the *real* key (our own `VerifyLayer`, an independent check of the re-signing) and
//! records what it received.
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use proptest::prelude::*;
use sigv4::chunked::{ChecksumAlgorithm, ChunkedBody, ChunkedSettings, StreamingMode};
use sigv4::verify::Verifier;
use sigv4::{Credentials, Payload, Signer};
use sigv4_credentials::{ProviderContext, StaticProvider};
use sigv4_http::gateway::{
    AuditRecord, Endpoints, Gateway, GatewayConfig, UpstreamBody, UpstreamFuture, UpstreamUrl,
};
use sigv4_http::tower::{
    KeyEntry, KeyLimits, StaticKeys, VerifiedIdentity, VerifiedRequestBody, VerifyLayer,
};
use sigv4_http::BoxError;
use tower::{Layer, ServiceExt};

const A: (&str, &str) = ("AKIDSANDBOXA", "sandbox-secret-a-never-leak");
const B: (&str, &str) = ("AKIDSANDBOXB", "sandbox-secret-b-never-leak");
const REAL: (&str, &str) = ("AKIDREALKEY", "real-secret-never-leak");
const SECRETS: [&str; 3] = [A.1, B.1, REAL.1];

/// What the upstream received, after verifying it with the real key.
#[derive(Debug, Clone)]
struct Seen {
    access_key_id: String,
    method: String,
    path_and_query: String,
    body: Result<Vec<u8>, String>,
}

struct Harness {
    gateway: Gateway,
    seen: Arc<Mutex<Vec<Seen>>>,
    audit: Arc<Mutex<Vec<AuditRecord>>>,
}

fn creds(k: (&str, &str)) -> Credentials {
    Credentials::new(k.0, k.1, None, None)
}

fn harness() -> Harness {
    let keys = StaticKeys::new()
        .with_key(
            KeyEntry::new(creds(A))
                .with_principal("agent-a")
                .with_limits(
                    KeyLimits::new()
                        .with_services(["s3", "sqs", "sts"])
                        .with_regions(["us-east-1"])
                        .with_s3_buckets(["sandbox-*"]),
                ),
        )
        .with_key(
            KeyEntry::new(creds(B)).with_limits(
                KeyLimits::new()
                    .with_services(["s3"])
                    .with_s3_buckets(["other-*"]),
            ),
        );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let audit = Arc::new(Mutex::new(Vec::new()));
    let upstream = recording_upstream(Arc::clone(&seen));
    let endpoints = Endpoints::aws()
        .with_service("s3", UpstreamUrl::parse("http://s3.upstream.test").unwrap())
        .with_service(
            "sqs",
            UpstreamUrl::parse("http://sqs.upstream.test").unwrap(),
        )
        .with_service(
            "sts",
            UpstreamUrl::parse("http://sts.upstream.test").unwrap(),
        );
    let sink = Arc::clone(&audit);
    let config = GatewayConfig::new(
        Arc::new(keys),
        Arc::new(StaticProvider::new(creds(REAL))),
        ProviderContext::default(),
    )
    .with_endpoints(endpoints)
    .with_audit(Arc::new(move |r: &AuditRecord| {
        sink.lock().unwrap().push(r.clone())
    }));
    Harness {
        gateway: Gateway::new(config, Arc::new(upstream)),
        seen,
        audit,
    }
}

/// An upstream that verifies with the real key (service from its host name) and records.
fn recording_upstream(
    seen: Arc<Mutex<Vec<Seen>>>,
) -> impl Fn(Request<UpstreamBody>) -> UpstreamFuture + Send + Sync + 'static {
    move |req: Request<UpstreamBody>| {
        let seen = Arc::clone(&seen);
        Box::pin(async move {
            let service = req
                .uri()
                .host()
                .unwrap_or("")
                .split('.')
                .next()
                .unwrap_or("")
                .to_owned();
            let verifier = match Verifier::new("us-east-1", service) {
                Ok(v) => v.any_region(),
                Err(e) => return Err(Box::new(e) as BoxError),
            };
            let layer = VerifyLayer::new(
                verifier,
                StaticKeys::new().with_key(KeyEntry::new(creds(REAL))),
            );
            let inner = tower::service_fn(move |req: Request<VerifiedRequestBody>| {
                let seen = Arc::clone(&seen);
                async move {
                    let id = req.extensions().get::<VerifiedIdentity>().cloned().unwrap();
                    let method = req.method().to_string();
                    let pq = req
                        .uri()
                        .path_and_query()
                        .map_or("/", |p| p.as_str())
                        .to_owned();
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .map(|c| c.to_bytes().to_vec())
                        .map_err(|e| e.to_string());
                    seen.lock().unwrap().push(Seen {
                        access_key_id: id.access_key_id,
                        method,
                        path_and_query: pq,
                        body,
                    });
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                        b"upstream ok",
                    ))))
                }
            });
            let resp = match layer.layer(inner).oneshot(req.map(Named)).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok(resp.map(|b| b.boxed_unsync()))
        }) as UpstreamFuture
    }
}

/// The upstream request body under a name (an `UnsyncBoxBody<_, BoxError>` handed to a
/// generic service trips the compiler's higher-ranked lifetime inference).
struct Named(UpstreamBody);

impl http_body::Body for Named {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        std::pin::Pin::new(&mut self.0).poll_frame(cx)
    }
}

type TestBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

fn full(data: &[u8]) -> TestBody {
    Full::new(Bytes::copy_from_slice(data))
        .map_err(|e| -> BoxError { match e {} })
        .boxed_unsync()
}

/// A request signed by a client holding `key`, as an SDK sends it to the gateway.
fn signed(
    key: (&str, &str),
    (service, region): (&str, &str),
    method: &str,
    host: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Request<TestBody> {
    let mut req = Request::builder()
        .method(method)
        .uri(target)
        .header("host", host);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let mut req = req.body(body.to_vec()).unwrap();
    let signer = Signer::new(region, service).unwrap();
    signer
        .sign_http_request(&mut req, &creds(key), SystemTime::now())
        .unwrap();
    req.map(|b| full(&b))
}

async fn send(h: &Harness, req: Request<TestBody>) -> (u16, String) {
    let resp = h.gateway.handle(req).await;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn no_secret(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "a secret leaked: {text}");
    }
}

fn audit_lines(h: &Harness) -> String {
    h.audit
        .lock()
        .unwrap()
        .iter()
        .map(AuditRecord::to_json_line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn buckets_are_limited_the_same_in_both_addressing_styles() {
    let h = harness();
    let put =
        |host: &str, path: &str| signed(A, ("s3", "us-east-1"), "PUT", host, path, &[], b"data");
    for (host, path, forwarded_as) in [
        ("127.0.0.1:8080", "/sandbox-1/k", "/sandbox-1/k"),
        ("sandbox-1.localhost:8080", "/k", "/sandbox-1/k"),
        // The path of a virtual-hosted request is a key in that bucket, not another bucket.
        ("sandbox-1.localhost:8080", "/prod/k", "/sandbox-1/prod/k"),
    ] {
        let (status, body) = send(&h, put(host, path)).await;
        assert_eq!(status, 200, "{host}{path}: {body}");
        let seen = h.seen.lock().unwrap().pop().expect("forwarded");
        assert_eq!(seen.path_and_query, forwarded_as);
        assert_eq!(seen.access_key_id, REAL.0);
        assert_eq!(seen.body.unwrap(), b"data");
    }
    for (host, path) in [
        ("127.0.0.1:8080", "/prod/k"),
        ("prod.localhost:8080", "/k"),
        ("prod.localhost:8080", "/sandbox-1/k"),
        ("127.0.0.1:8080", "/"),
        ("localhost:8080", "/%70rod/k"),
    ] {
        let (status, body) = send(&h, put(host, path)).await;
        assert_eq!(status, 403, "{host}{path}: {body}");
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        assert!(
            h.seen.lock().unwrap().is_empty(),
            "{host}{path} was forwarded"
        );
    }
    // Key B holds other-* only: A's bucket is refused, its own is forwarded.
    let (status, _) = send(
        &h,
        signed(
            B,
            ("s3", "us-east-1"),
            "GET",
            "127.0.0.1",
            "/sandbox-1/k",
            &[],
            b"",
        ),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &h,
        signed(
            B,
            ("s3", "us-east-1"),
            "GET",
            "other-x.localhost",
            "/k",
            &[],
            b"",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        h.seen.lock().unwrap().pop().unwrap().path_and_query,
        "/other-x/k"
    );
    no_secret(&audit_lines(&h));
}

async fn chunked_upload(
    h: &Harness,
    mode: StreamingMode,
    checksum: Option<ChecksumAlgorithm>,
    data: &[u8],
    tamper: bool,
) -> (u16, String) {
    let mut settings = ChunkedSettings::new(mode)
        .with_chunk_size(8 * 1024)
        .unwrap();
    if let Some(c) = checksum {
        settings = settings.with_checksum(c).unwrap();
    }
    let mut req = Request::put("/sandbox-up/blob")
        .header("host", "127.0.0.1:8080")
        .body(())
        .unwrap();
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let encoder = sigv4::chunked::sign_http_request(
        &signer,
        &mut req,
        settings,
        data.len() as u64,
        &creds(A),
        SystemTime::now(),
    )
    .unwrap();
    let mut encoded = Vec::new();
    let mut body = ChunkedBody::new(full(data), encoder);
    while let Some(f) = body.frame().await {
        encoded.extend_from_slice(f.unwrap().data_ref().unwrap());
    }
    if tamper {
        let i = encoded.len() / 2;
        encoded[i] ^= 1;
    }
    send(h, req.map(|()| full(&encoded))).await
}

#[tokio::test]
async fn aws_chunked_bodies_are_reframed_with_the_real_key() {
    let h = harness();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for (mode, checksum) in [
        (StreamingMode::Signed, None),
        (
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32),
        ),
        (
            StreamingMode::UnsignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32c),
        ),
    ] {
        let (status, body) = chunked_upload(&h, mode, checksum, &data, false).await;
        assert_eq!(status, 200, "{mode:?}: {body}");
        let seen = h.seen.lock().unwrap().pop().expect("forwarded");
        assert_eq!(
            seen.body.expect("the upstream verified every chunk"),
            data,
            "{mode:?}"
        );
        assert_eq!(seen.access_key_id, REAL.0);

        // A flipped byte: the upload never completes upstream (the body fails before its
        // end; the fake upstream answers 200 regardless, a real one fails the request).
        chunked_upload(&h, mode, checksum, &data, true).await;
        let seen = h.seen.lock().unwrap().drain(..).collect::<Vec<_>>();
        assert!(
            seen.iter().all(|s| s.body.is_err()),
            "{mode:?}: a tampered body completed upstream"
        );
    }
}

#[tokio::test]
async fn a_body_not_matching_its_signed_hash_never_completes_upstream() {
    let h = harness();
    let mut req = signed(
        A,
        ("s3", "us-east-1"),
        "PUT",
        "127.0.0.1",
        "/sandbox-h/k",
        &[],
        b"the signed body",
    );
    *req.body_mut() = full(b"another body!!!");
    let (status, body) = send(&h, req).await;
    assert_ne!(status, 200, "{body}");
    assert!(h.seen.lock().unwrap().iter().all(|s| s.body.is_err()));
}

#[tokio::test]
async fn refusals_speak_the_clients_protocol_and_reach_nobody() {
    let h = harness();
    let sqs_headers = [
        ("x-amz-target", "AmazonSQS.ListQueues"),
        ("content-type", "application/x-amz-json-1.0"),
    ];
    let sts_headers = [("content-type", "application/x-www-form-urlencoded")];
    let sts_body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let cases: Vec<(Request<TestBody>, u16, &str)> = vec![
        (
            signed(
                ("AKIDNOBODY", "x"),
                ("s3", "us-east-1"),
                "GET",
                "127.0.0.1",
                "/sandbox-1/k",
                &[],
                b"",
            ),
            403,
            "<Code>InvalidAccessKeyId</Code>",
        ),
        (
            signed(
                (A.0, "wrong"),
                ("s3", "us-east-1"),
                "GET",
                "127.0.0.1",
                "/sandbox-1/k",
                &[],
                b"",
            ),
            403,
            "<Code>SignatureDoesNotMatch</Code>",
        ),
        (
            signed(
                (A.0, "wrong"),
                ("sqs", "us-east-1"),
                "POST",
                "127.0.0.1",
                "/",
                &sqs_headers,
                b"{}",
            ),
            403,
            "\"__type\":\"SignatureDoesNotMatch\"",
        ),
        (
            signed(
                ("AKIDNOBODY", "x"),
                ("sts", "us-east-1"),
                "POST",
                "127.0.0.1",
                "/",
                &sts_headers,
                sts_body,
            ),
            403,
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAccessKeyId</Code>",
        ),
        (
            signed(
                B,
                ("sqs", "us-east-1"),
                "POST",
                "127.0.0.1",
                "/",
                &sqs_headers,
                b"{}",
            ),
            403,
            "\"__type\":\"AccessDenied\"",
        ),
        (
            signed(
                A,
                ("sqs", "eu-west-1"),
                "POST",
                "127.0.0.1",
                "/",
                &sqs_headers,
                b"{}",
            ),
            403,
            "\"__type\":\"AccessDenied\"",
        ),
        (
            signed(
                A,
                ("dynamodb", "us-east-1"),
                "POST",
                "127.0.0.1",
                "/",
                &[("x-amz-target", "DynamoDB_20120810.ListTables")],
                b"{}",
            ),
            403,
            "AccessDenied",
        ),
        // Would hand the sandbox credentials of the gateway's principal.
        (
            signed(
                A,
                ("sts", "us-east-1"),
                "POST",
                "127.0.0.1",
                "/",
                &sts_headers,
                b"Action=GetSessionToken&Version=2011-06-15",
            ),
            403,
            "<Code>AccessDenied</Code>",
        ),
        (
            signed(
                A,
                ("sts", "us-east-1"),
                "POST",
                "127.0.0.1",
                "/?Action=AssumeRole",
                &sts_headers,
                b"RoleArn=arn:aws:iam::1:role/x&RoleSessionName=s",
            ),
            403,
            "<Code>AccessDenied</Code>",
        ),
    ];
    for (req, status, needle) in cases {
        let (got, body) = send(&h, req).await;
        assert_eq!(got, status, "{body}");
        assert!(body.contains(needle), "{needle} not in {body}");
        no_secret(&body);
    }
    assert!(
        h.seen.lock().unwrap().is_empty(),
        "a refused request was forwarded"
    );
    let audit = h.audit.lock().unwrap().clone();
    assert_eq!(audit.len(), 9);
    assert!(audit
        .iter()
        .all(|r| !r.forwarded && r.refusal.is_some() && r.status == 403));
    assert_eq!(
        audit[3].operation.as_deref(),
        None,
        "refused before the body was read"
    );
    no_secret(&audit_lines(&h));

    // And the same calls with the right key go through, re-signed.
    let (status, body) = send(
        &h,
        signed(
            A,
            ("sts", "us-east-1"),
            "POST",
            "127.0.0.1",
            "/",
            &sts_headers,
            sts_body,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = h.seen.lock().unwrap().pop().unwrap();
    assert_eq!(seen.body.unwrap(), sts_body);
    let last = h.audit.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.operation.as_deref(), Some("GetCallerIdentity"));
    assert_eq!(last.principal.as_deref(), Some("agent-a"));
    assert!(last.forwarded && last.verified);
}

#[tokio::test]
async fn presigned_urls_are_verified_and_re_signed_in_headers() {
    let h = harness();
    let presigner = Signer::new("us-east-1", "s3")
        .unwrap()
        .with_settings(sigv4::SigningSettings::s3().presigned(std::time::Duration::from_secs(300)));
    let out = presigner
        .sign(
            &sigv4::SignableRequest::new(
                "GET",
                "http://127.0.0.1:8080/sandbox-p/obj?versionId=7",
                [],
                Payload::Unsigned,
            ),
            &creds(A),
            SystemTime::now(),
        )
        .unwrap();
    let target = format!("/sandbox-p/obj?{}", out.query_string());
    assert!(target.contains("versionId=7"));
    let req = Request::get(&target)
        .header("host", "127.0.0.1:8080")
        .body(full(b""))
        .unwrap();
    let (status, body) = send(&h, req).await;
    assert_eq!(status, 200, "{body}");
    let seen = h.seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        seen.path_and_query, "/sandbox-p/obj?versionId=7",
        "the client's signature is not forwarded"
    );
    let moved = target.replace("/obj", "/other");
    let (status, _) = send(
        &h,
        Request::get(&moved)
            .header("host", "127.0.0.1:8080")
            .body(full(b""))
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert!(h.seen.lock().unwrap().is_empty());
}

/// A change to one part of a validly signed request.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    Method(String),
    Host(String),
    Path(String),
    AddQuery(String),
    HeaderValue(String),
    AddAmzHeader(String),
    DropAuthorization,
    Body(Vec<u8>),
    SignedByOther,
    ClaimOtherKey,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::None),
        "(GET|PUT|POST|DELETE|HEAD)".prop_map(Mutation::Method),
        "(127\\.0\\.0\\.1|localhost|sandbox-[a-z]{1,3}\\.localhost|prod\\.localhost|other-x\\.localhost)(:8080)?".prop_map(Mutation::Host),
        "/[a-z/%.-]{0,12}".prop_map(Mutation::Path),
        "[a-zA-Z=&+%-]{1,10}".prop_map(Mutation::AddQuery),
        "[ -~]{0,8}".prop_map(Mutation::HeaderValue),
        "[a-z]{1,6}".prop_map(Mutation::AddAmzHeader),
        Just(Mutation::DropAuthorization),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(Mutation::Body),
        Just(Mutation::SignedByOther),
        Just(Mutation::ClaimOtherKey),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whatever is changed in a signed request: a forwarded request is one that verifies
    /// under the sandbox key that signed it, within that key's limits, carrying the exact
    /// body signed; nothing else reaches the upstream; and no secret appears in any
    /// response or audit line.
    #[test]
    fn only_verified_requests_within_their_keys_limits_are_forwarded(
        bucket in "(sandbox-1|sandbox-zz|prod|other-x)",
        signer_is_a in any::<bool>(),
        m in mutation(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let h = harness();
            let key = if signer_is_a { A } else { B };
            let body = b"payload".to_vec();
            let mut req = signed(key, ("s3", "us-east-1"), "PUT", "127.0.0.1:8080", &format!("/{bucket}/k"), &[("x-amz-meta-a", "1")], &body);
            match &m {
                Mutation::None => {}
                Mutation::Method(x) => *req.method_mut() = x.parse().unwrap(),
                Mutation::Host(x) => { req.headers_mut().insert("host", x.parse().unwrap()); }
                Mutation::Path(x) => { if let Ok(u) = x.parse() { *req.uri_mut() = u; } }
                Mutation::AddQuery(x) => { if let Ok(u) = format!("{}?{x}", req.uri().path()).parse() { *req.uri_mut() = u; } }
                Mutation::HeaderValue(x) => { if let Ok(v) = x.parse() { req.headers_mut().insert("x-amz-meta-a", v); } }
                Mutation::AddAmzHeader(x) => { req.headers_mut().insert(http::HeaderName::from_bytes(format!("x-amz-{x}").as_bytes()).unwrap(), "v".parse().unwrap()); }
                Mutation::DropAuthorization => { req.headers_mut().remove("authorization"); }
                Mutation::Body(b) => { *req.body_mut() = full(b); }
                Mutation::SignedByOther => {
                    let other = if signer_is_a { B } else { A };
                    let r2 = signed((key.0, other.1), ("s3", "us-east-1"), "PUT", "127.0.0.1:8080", &format!("/{bucket}/k"), &[("x-amz-meta-a", "1")], &body);
                    *req.headers_mut() = r2.headers().clone();
                }
                Mutation::ClaimOtherKey => {
                    let other = if signer_is_a { B.0 } else { A.0 };
                    let auth = req.headers()["authorization"].to_str().unwrap().replace(key.0, other);
                    req.headers_mut().insert("authorization", auth.parse().unwrap());
                }
            }
            // The oracle: does the request as sent verify, on its own, with the core
            // verifier and the sandbox keys?
            let (parts, sent) = req.into_parts();
            let sent = sent.collect().await.unwrap().to_bytes();
            let probe = Request::from_parts(parts.clone(), ());
            let lookup = |id: &str| [A, B].into_iter().find(|k| k.0 == id).map(creds);
            let oracle = Verifier::new("us-east-1", "s3").unwrap().verify(
                &sigv4::verify::VerifiableRequest::from_http(&probe, sigv4::verify::VerifyBody::Bytes(&sent)),
                &lookup,
                SystemTime::now(),
            );
            let req = Request::from_parts(parts, full(&sent));
            let (status, text) = send(&h, req).await;
            no_secret(&text);
            no_secret(&audit_lines(&h));
            let seen: Vec<Seen> = h.seen.lock().unwrap().drain(..).collect();
            let unchanged = matches!(m, Mutation::None);
            let allowed = if signer_is_a { bucket.starts_with("sandbox-") } else { bucket.starts_with("other-") };
            let completed: Vec<&Seen> = seen.iter().filter(|s| s.body.is_ok()).collect();
            if unchanged {
                prop_assert_eq!(status == 200, allowed, "{}", text);
            }
            for s in &completed {
                // Only ever as the request that was signed, in an allowed bucket.
                prop_assert_eq!(s.method.as_str(), "PUT");
                let fwd_bucket = s.path_and_query.trim_start_matches('/').split('/').next().unwrap_or("");
                let ok = if signer_is_a { fwd_bucket.starts_with("sandbox-") } else { fwd_bucket.starts_with("other-") };
                prop_assert!(ok, "forwarded to {} for {:?}", s.path_and_query, m);
                prop_assert_eq!(s.body.as_ref().unwrap(), &body);
            }
            if !completed.is_empty() {
                // Only requests that verify on their own, as the key that signed them.
                let v = oracle.as_ref().map_err(|e| TestCaseError::fail(format!("{m:?} forwarded but {e}")))?;
                prop_assert_eq!(v.access_key_id(), key.0);
            }
            Ok(())
        })?;
    }
}
