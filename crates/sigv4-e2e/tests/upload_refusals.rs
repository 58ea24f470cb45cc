//! Upload refusals from a server we do not control reach the caller with the server's
//! status and AWS error code, every time (#25): s3s with the s3s-fs backend, served by
//! plain hyper (no lingering close: it answers a refused upload and closes with the body
//! unread, so the connection resets under the client's writes).
//!
//! 16 MiB streamed uploads (still being written when the answer comes), through the
//! reqwest middleware ending in `KeepReadingTransport` and through the tower client on
//! hyper with `connect::KeepReading` connections:
//!
//! * a wrong secret (`403 SignatureDoesNotMatch`) and an unknown key (s3s answers
//!   `403 NotSignedUp` where AWS says `InvalidAccessKeyId`), refused from the request head;
//! * an aws-chunked upload one of whose chunks was altered after it was signed, refused
//!   by s3s's chunk-signature check part-way through the body (s3s answers
//!   `500 InternalError`: the chunk error surfaces inside s3s-fs's body read; AWS says
//!   `403 SignatureDoesNotMatch`). Whatever the server answers is what the caller must
//!   get, and the object is not stored.
//!
//! Each case runs 25 times per client, after intact uploads that s3s stores (so the
//! refusals are the server's verdicts, not a broken setup).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Extensions;
use http_body_util::{BodyExt, StreamBody};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use reqwest_middleware::{Middleware, Next};
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use sigv4::chunked::{ChunkedSettings, StreamingMode};
use sigv4::Credentials;
use sigv4_http::aws_error::AwsError;
use sigv4_http::connect::KeepReading;
use sigv4_http::reqwest::{KeepReadingTransport, SigV4Middleware};
use sigv4_http::tower::{SignLayer, SignedBody};
use sigv4_http::{RequestSigner, StreamingBodies};
use tokio::net::TcpListener;
use tower::{Layer, ServiceExt};

#[path = "../../sigv4-http/tests/support/tamper.rs"]
mod tamper;
use tamper::Tamper;

const AK: &str = "AKIAUPLOADREFUSALS";
const SK: &str = "upload/refusals/secret+key";
const MIB: usize = 1024 * 1024;
const TOTAL: usize = 16 * MIB;
const ATTEMPTS: usize = 25;

/// s3s + s3s-fs on 127.0.0.1 under plain hyper, with a bucket `bucket`.
struct S3 {
    addr: SocketAddr,
    root: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for S3 {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl S3 {
    async fn start(name: &str) -> S3 {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let root = std::env::temp_dir().join(format!(
            "sigv4-e2e-refusals-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(root.join("bucket")).unwrap();
        let mut b = S3ServiceBuilder::new(s3s_fs::FileSystem::new(&root).unwrap());
        b.set_auth(SimpleAuth::from_single(AK, SK));
        let service = b.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(sock), service)
                        .await;
                });
            }
        });
        S3 { addr, root, task }
    }

    fn url(&self, key: &str) -> String {
        format!("http://{}/bucket/{key}", self.addr)
    }

    fn stored_len(&self, key: &str) -> Option<u64> {
        std::fs::metadata(self.root.join("bucket").join(key))
            .ok()
            .map(|m| m.len())
    }
}

async fn run<F: std::future::Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(120), f)
        .await
        .expect("test timed out");
}

fn signer(ak: &str, sk: &str, chunked: bool) -> RequestSigner {
    let signer = RequestSigner::from_static(Credentials::new(ak, sk, None, None))
        .with_service("s3")
        .with_region("us-east-1");
    if chunked {
        signer.with_streaming_bodies(StreamingBodies::AwsChunked(ChunkedSettings::new(
            StreamingMode::Signed,
        )))
    } else {
        signer
    }
}

fn chunks(total: usize) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    futures_util::stream::iter((0..total / chunk.len()).map(move |_| Ok(chunk.clone())))
}

/// What an upload ended with: the status and AWS error code of the answer, or the error.
#[derive(Debug, PartialEq)]
enum Outcome {
    Answer(u16, String),
    Failed(String),
}

fn answer(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Outcome {
    let code = AwsError::parse(headers, body).map(|e| e.code().to_owned());
    Outcome::Answer(status, code.unwrap_or_default())
}

/// `KeepReading` connections; for the forged-chunk uploads with a 2 MiB discard limit
/// (the default, 16 MiB, has the client sign and discard the rest of each refused body,
/// chunk by chunk, which a debug build does slowly; the answer is read within the first
/// few frames after the reset either way).
fn connector(tamper_at: Option<u64>) -> KeepReading<HttpConnector> {
    match tamper_at {
        Some(_) => KeepReading::http().with_discard_limit(2 * MIB as u64),
        None => KeepReading::http(),
    }
}

/// Flips one byte of the (already signed) request body at offset `at`, between the
/// signing middleware and the transport.
struct TamperMiddleware(u64);

#[async_trait::async_trait]
impl Middleware for TamperMiddleware {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if let Some(body) = req.body_mut().take() {
            *req.body_mut() = Some(reqwest::Body::wrap(Tamper::new(body, self.0)));
        }
        next.run(req, extensions).await
    }
}

/// The reqwest middleware, ending in `KeepReadingTransport`; with a byte altered after
/// signing at `tamper_at`, if any.
fn middleware_client(
    signer: RequestSigner,
    tamper_at: Option<u64>,
) -> reqwest_middleware::ClientWithMiddleware {
    let mut builder = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(signer));
    if let Some(at) = tamper_at {
        builder = builder.with(TamperMiddleware(at));
    }
    let hyper = Client::builder(TokioExecutor::new()).build(connector(tamper_at));
    builder.with(KeepReadingTransport::new(hyper)).build()
}

/// A streamed upload of `total` bytes through the middleware `client`.
async fn middleware_upload(
    client: &reqwest_middleware::ClientWithMiddleware,
    s3: &S3,
    key: &str,
    total: usize,
) -> Outcome {
    let sent = client
        .put(s3.url(key))
        .header("content-length", total.to_string())
        .body(reqwest::Body::wrap_stream(chunks(total)))
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
            let body = resp.bytes().await.unwrap_or_default();
            answer(status, &headers, &body)
        }
        Err(e) => Outcome::Failed(format!("{e:#}")),
    }
}

type UploadBody = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;
type TowerHyper = Client<KeepReading<HttpConnector>, Tamper<SignedBody<UploadBody>>>;

/// The same through the tower client, signing with `signer`, on `hyper` (with
/// `KeepReading` connections); a byte altered after signing at `tamper_at`, if any.
async fn tower_upload(
    hyper: &TowerHyper,
    s3: &S3,
    key: &str,
    signer: RequestSigner,
    tamper_at: Option<u64>,
    total: usize,
) -> Outcome {
    let hyper = hyper.clone();
    let at = tamper_at.unwrap_or(u64::MAX);
    let transport = tower::service_fn(move |req: http::Request<SignedBody<UploadBody>>| {
        let hyper = hyper.clone();
        async move { hyper.request(req.map(|b| Tamper::new(b, at))).await }
    });
    let body = BodyExt::boxed_unsync(StreamBody::new(futures_util::StreamExt::map(
        chunks(total),
        |c| c.map(http_body::Frame::data),
    )));
    let req = http::Request::put(s3.url(key))
        .header("content-length", total.to_string())
        .body(body)
        .unwrap();
    let client = SignLayer::new(signer)
        .with_max_buffered_body(16)
        .layer(transport);
    match client.oneshot(req).await {
        Ok(resp) => {
            let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
            let body = resp.into_body().collect().await.map(|b| b.to_bytes());
            answer(status, &headers, &body.unwrap_or_default())
        }
        Err(e) => Outcome::Failed(format!("{e:#}")),
    }
}

fn tower_hyper(tamper_at: Option<u64>) -> TowerHyper {
    Client::builder(TokioExecutor::new()).build(connector(tamper_at))
}

/// Both clients upload intact (1 MiB) bodies, which s3s stores whole: the setup is sound.
async fn intact_uploads_are_stored(s3: &S3, chunked: bool) {
    let ok = Outcome::Answer(200, String::new());
    let signer = || signer(AK, SK, chunked);
    let client = middleware_client(signer(), None);
    assert_eq!(middleware_upload(&client, s3, "m", MIB).await, ok);
    let hyper = tower_hyper(None);
    assert_eq!(tower_upload(&hyper, s3, "t", signer(), None, MIB).await, ok);
    assert_eq!(s3.stored_len("m"), Some(MIB as u64));
    assert_eq!(s3.stored_len("t"), Some(MIB as u64));
}

/// `ATTEMPTS` 16 MiB uploads through each client (one client each, its connections
/// pooled, as an application shares one), signed by `signer` (a byte altered at
/// `tamper_at`, if any), all answered `refused`; none stored.
async fn refused_every_time(
    s3: &S3,
    signer: impl Fn() -> RequestSigner,
    tamper_at: Option<u64>,
    refused: &Outcome,
) {
    let client = middleware_client(signer(), tamper_at);
    let hyper = tower_hyper(tamper_at);
    for attempt in 0..ATTEMPTS {
        let by_middleware = middleware_upload(&client, s3, "x", TOTAL).await;
        assert_eq!(&by_middleware, refused, "middleware, attempt {attempt}");
        let by_tower = tower_upload(&hyper, s3, "x", signer(), tamper_at, TOTAL).await;
        assert_eq!(&by_tower, refused, "tower client, attempt {attempt}");
    }
    assert_eq!(s3.stored_len("x"), None, "a refused upload was stored");
}

/// A wrong secret and an unknown key: s3s refuses from the request head and closes with
/// the 16 MiB body unread; both clients get `403` and s3s's code, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_refusals_of_a_wrong_key_reach_the_caller_every_time() {
    run(async {
        let s3 = S3::start("keys").await;
        intact_uploads_are_stored(&s3, false).await;
        let cases = [
            (AK, "not/the/secret", "SignatureDoesNotMatch"),
            ("AKIAUNKNOWNKEY", SK, "NotSignedUp"),
        ];
        for (ak, sk, code) in cases {
            let refused = Outcome::Answer(403, code.to_owned());
            refused_every_time(&s3, || signer(ak, sk, false), None, &refused).await;
        }
    })
    .await;
}

/// An aws-chunked upload with a chunk altered after signing (so its chunk signature is
/// forged): s3s refuses it part-way through the body (`500 InternalError`, its mapping of
/// the chunk-signature failure); both clients get that answer every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_refusal_of_a_forged_chunk_signature_reaches_the_caller_every_time() {
    run(async {
        let s3 = S3::start("chunks").await;
        intact_uploads_are_stored(&s3, true).await;
        // s3s's answer to a chunk whose signature does not match.
        let refused = Outcome::Answer(500, "InternalError".to_owned());
        let signer = || signer(AK, SK, true);
        refused_every_time(&s3, signer, Some(300 * 1024), &refused).await;
    })
    .await;
}
