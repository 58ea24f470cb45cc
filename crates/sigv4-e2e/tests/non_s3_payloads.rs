//! Issue #17, bug 1, end to end: a request for a service other than S3 whose signed payload
//! line is not the hash of the body sent (`UNSIGNED-PAYLOAD`, a precomputed hash) must
//! verify at a real server. The server is s3s with the s3s-fs backend on 127.0.0.1 and
//! the service is `sts` (s3s accepts `s3` and `sts` scopes; for `sts` it hashes the body
//! itself unless `x-amz-content-sha256` says what was signed). In front of it, our verifier
//! (`allow_unsigned_payload(true)`) checks every request as it arrived and records the
//! verdict, so each request is judged by two independent verifiers.
//!
//! Covered: the core signer (`Signer::sign_http_request_with_payload`), `sigv4-rs-http`'s
//! `RequestSigner::sign_http_request_with_payload`, and the reqwest middleware with
//! `StreamingBodies::UnsignedPayload` sending a streamed body.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{sha256_hex, Credentials, Payload, Signer};
use sigv4_http::{RequestSigner, StreamingBodies};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const AK: &str = "AKIANONS3PAYLOADS";
const SK: &str = "non-s3/payloads/secret+key";
const SERVICE: &str = "sts";
const TIMEOUT: Duration = Duration::from_secs(30);

fn creds() -> Credentials {
    Credentials::new(AK, SK, None, None)
}

struct Server {
    addr: SocketAddr,
    root: PathBuf,
    /// Our verifier's verdict on each request: `Ok` or the AWS error code.
    verdicts: Arc<Mutex<Vec<Result<(), String>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Server {
    async fn start(name: &str) -> Server {
        let root = std::env::temp_dir().join(format!(
            "sigv4-e2e-nons3-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&root).unwrap();
        let mut b = S3ServiceBuilder::new(s3s_fs::FileSystem::new(&root).unwrap());
        b.set_auth(SimpleAuth::from_single(AK, SK));
        let service = b.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let verdicts = Arc::new(Mutex::new(Vec::new()));
        let v2 = Arc::clone(&verdicts);
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let v = Arc::clone(&v2);
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(req, service.clone(), Arc::clone(&v)));
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
        Server {
            addr,
            root,
            verdicts,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn last_verdict(&self) -> Result<(), String> {
        self.verdicts
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("no request reached the server")
    }

    /// Creates a bucket and reads objects back with plain S3 signing.
    async fn s3(&self, method: http::Method, path: &str) -> (StatusCode, Bytes) {
        let mut req = Request::builder()
            .method(method)
            .uri(self.url(path))
            .body(Vec::new())
            .unwrap();
        Signer::new("us-east-1", "s3")
            .unwrap()
            .sign_http_request(&mut req, &creds(), SystemTime::now())
            .unwrap();
        let (status, body) = send(req).await;
        (status, body)
    }
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    service: S3Service,
    verdicts: Arc<Mutex<Vec<Result<(), String>>>>,
) -> Result<Response<s3s::Body>, Infallible> {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = body.collect().await.map(|b| b.to_bytes()) else {
        let mut r = Response::new(s3s::Body::empty());
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(r);
    };
    let head = Request::from_parts(parts, ());
    // Our verifier checks the non-S3 requests only (the S3-signed set-up requests are s3s's).
    if !head
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("/s3/aws4_request"))
    {
        let verifier = Verifier::new("us-east-1", SERVICE)
            .unwrap()
            .allow_unsigned_payload(true);
        let view = VerifiableRequest::from_http(&head, VerifyBody::Bytes(&bytes));
        let lookup = |id: &str| (id == AK).then(creds);
        let verdict = verifier
            .verify(&view, &lookup, SystemTime::now())
            .map(|_| ())
            .map_err(|e| e.code().to_owned());
        verdicts.lock().unwrap().push(verdict);
    }
    let req = head.map(|()| s3s::Body::from(bytes));
    Ok(match service.call(req).await {
        Ok(resp) => resp,
        Err(_) => {
            let mut r = Response::new(s3s::Body::empty());
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    })
}

/// Sends `req` (absolute URI) in origin form on a fresh connection.
async fn send(req: Request<Vec<u8>>) -> (StatusCode, Bytes) {
    let fut = async move {
        let authority = req.uri().authority().expect("absolute URI").to_string();
        let (mut parts, body) = req.into_parts();
        parts.uri = parts
            .uri
            .path_and_query()
            .unwrap()
            .as_str()
            .parse()
            .unwrap();
        let body = Full::new(Bytes::from(body)).map_err(|e| -> BoxError { match e {} });
        let stream = TcpStream::connect(&authority).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let resp = sender
            .send_request(Request::from_parts(parts, body))
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.into_body().collect().await.unwrap().to_bytes())
    };
    tokio::time::timeout(TIMEOUT, fut)
        .await
        .expect("the request timed out")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn core_signer_unsigned_and_precomputed_payloads_verify_at_s3s_and_ours() {
    let server = Server::start("core").await;
    let (status, body) = server.s3(http::Method::PUT, "/bucket").await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    let signer = Signer::new("us-east-1", SERVICE).unwrap();

    let unsigned = b"UNSIGNED-PAYLOAD for sts".to_vec();
    let mut req = Request::put(server.url("/bucket/unsigned.txt"))
        .body(unsigned.clone())
        .unwrap();
    signer
        .sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds(), SystemTime::now())
        .unwrap();
    let (status, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "s3s: {}", text(&body));
    assert_eq!(server.last_verdict(), Ok(()));

    let data = b"a precomputed hash for sts".to_vec();
    let hash = sha256_hex(&data);
    let mut req = Request::put(server.url("/bucket/precomputed.txt"))
        .body(data.clone())
        .unwrap();
    signer
        .sign_http_request_with_payload(
            &mut req,
            Payload::Precomputed(&hash),
            &creds(),
            SystemTime::now(),
        )
        .unwrap();
    let (status, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "s3s: {}", text(&body));
    assert_eq!(server.last_verdict(), Ok(()));

    // The precomputed hash travels with the request, so a body that does not match it is
    // refused by both as a content mismatch (not accepted, not a signature error).
    let mut req = Request::put(server.url("/bucket/tampered.txt"))
        .body(b"some other body".to_vec())
        .unwrap();
    signer
        .sign_http_request_with_payload(
            &mut req,
            Payload::Precomputed(&hash),
            &creds(),
            SystemTime::now(),
        )
        .unwrap();
    let (status, _) = send(req).await;
    assert!(!status.is_success(), "{status}");
    assert_eq!(
        server.last_verdict(),
        Err("XAmzContentSHA256Mismatch".into())
    );

    for (key, want) in [("unsigned.txt", &unsigned), ("precomputed.txt", &data)] {
        let (status, body) = server
            .s3(http::Method::GET, &format!("/bucket/{key}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.as_ref(), want.as_slice());
    }
}

#[tokio::test]
async fn request_signer_precomputed_payload_verifies_at_s3s_and_ours() {
    let server = Server::start("request-signer").await;
    let (status, body) = server.s3(http::Method::PUT, "/bucket").await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    let signer = RequestSigner::from_static(creds())
        .with_service(SERVICE)
        .with_region("us-east-1");
    let data = b"sigv4-http, precomputed".to_vec();
    let hash = sha256_hex(&data);
    let mut req = Request::put(server.url("/bucket/http.txt"))
        .body(data.clone())
        .unwrap();
    signer
        .sign_http_request_with_payload(&mut req, Payload::Precomputed(&hash), &creds())
        .unwrap();
    // Sent and signed: a server cannot know that a given hash is the body's.
    assert_eq!(req.headers()["x-amz-content-sha256"], hash.as_str());
    let auth = req.headers()["authorization"].to_str().unwrap();
    assert!(
        auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
        "{auth}"
    );
    let (status, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "s3s: {}", text(&body));
    assert_eq!(server.last_verdict(), Ok(()));
}

#[tokio::test]
async fn reqwest_middleware_unsigned_stream_verifies_at_s3s_and_ours() {
    let server = Server::start("reqwest").await;
    let (status, body) = server.s3(http::Method::PUT, "/bucket").await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));

    let signer = RequestSigner::from_static(creds())
        .with_service(SERVICE)
        .with_region("us-east-1")
        .with_streaming_bodies(StreamingBodies::UnsignedPayload);
    let client = reqwest_middleware::ClientBuilder::new(
        reqwest::Client::builder().timeout(TIMEOUT).build().unwrap(),
    )
    .with(sigv4_http::reqwest::SigV4Middleware::new(signer))
    .build();
    let parts: Vec<Result<Bytes, std::io::Error>> = (0..40)
        .map(|i| Ok(Bytes::from(format!("part-{i:02};"))))
        .collect();
    let expected: String = (0..40).map(|i| format!("part-{i:02};")).collect();
    let resp = client
        .put(server.url("/bucket/streamed.txt"))
        // s3s wants the length of an unsigned upload up front.
        .header("content-length", expected.len())
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            parts,
        )))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert_eq!(status, 200, "s3s: {body}");
    assert_eq!(server.last_verdict(), Ok(()));

    let (status, body) = server.s3(http::Method::GET, "/bucket/streamed.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&body), expected);
}
