//! Upload failures reach the caller with what went wrong (issue #25 item 8), through the
//! reqwest middleware and the tower client:
//!
//! * our servers refuse a streamed upload part-way through (a 400 or 403 with an AWS error
//!   document) and linger (read and discard the rest, bounded) before closing: the caller
//!   gets the server's status and AWS error code, every time. That is `serve_http1` with a
//!   handler that answers early, and `VerifyLayer` under `axum::serve` refusing a forged
//!   chunk part-way (the layer answers `403 SignatureDoesNotMatch` itself, whatever the
//!   handler made of the failed read);
//! * a server that refuses and closes at once with the rest unread (plain hyper, as a
//!   server we do not control may): the connection resets, and hyper stops at its first
//!   write error without reading the answer it already received. Through connections that
//!   keep reading after a failed write (`connect::KeepReading` under the tower client,
//!   `reqwest::KeepReadingTransport` ending the middleware chain) the caller gets the
//!   server's status and AWS error code every time; without them, the answer or a typed
//!   `Error::UploadInterrupted` saying how much of the body went out, never a bare "error
//!   sending request";
//! * a server that closes without answering: `Error::UploadInterrupted`, with or without
//!   the wrapper;
//! * a body shorter (or longer) than its `content-length`: a typed
//!   `Error::BodyLengthMismatch` naming both lengths.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioIo;
use sigv4::Credentials;
use sigv4_http::aws_error::AwsError;
use sigv4_http::connect::KeepReading;
use sigv4_http::reqwest::{KeepReadingTransport, SigV4Middleware};
use sigv4_http::serve::{serve_http1, Http1Options};
use sigv4_http::tower::SignLayer;
use sigv4_http::{Error, RequestSigner};
use tower::{Layer, ServiceExt};

#[path = "support/tamper.rs"]
mod tamper;
use tamper::Tamper;

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test timed out");
}

const REFUSAL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The chunk signature does not match</Message></Error>";

/// Reads `read_first` bytes of `body`, then answers `status` with an S3 error document
/// (and `connection: close`), leaving the rest unread.
async fn refuse_after(
    body: Incoming,
    read_first: usize,
    status: u16,
) -> http::Response<http_body_util::Full<Bytes>> {
    let mut body = body;
    let mut seen = 0;
    while seen < read_first {
        match body.frame().await {
            Some(Ok(f)) => seen += f.data_ref().map_or(0, Bytes::len),
            _ => break,
        }
    }
    http::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .header("x-amz-request-id", "REQ123")
        .header("connection", "close")
        .body(http_body_util::Full::new(Bytes::from(REFUSAL)))
        .unwrap()
}

/// Our accept loop (`serve_http1`, lingering close on) with a handler that refuses each
/// upload after `read_first` bytes.
async fn our_refusing_server(status: u16, read_first: usize) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_http1(
        listener,
        Http1Options::default(),
        std::future::pending(),
        move |req: http::Request<Incoming>, _| refuse_after(req.into_body(), read_first, status),
    ));
    addr
}

/// A plain hyper server (no lingering close, as a server we do not control may be) that
/// reads `read_first` bytes of each request's body, then answers `status` with an S3 error
/// document and closes the connection with the rest unread.
async fn refusing_server(status: u16, read_first: usize) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<Incoming>| async move {
                        let resp = refuse_after(req.into_body(), read_first, status).await;
                        Ok::<_, std::convert::Infallible>(resp)
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn s3_signer() -> RequestSigner {
    RequestSigner::from_static(Credentials::new("AKIDUP", "up/secret", None, None))
        .with_service("s3")
        .with_region("us-east-1")
}

const MIB: usize = 1024 * 1024;
const ATTEMPTS: usize = 6;
const STRICT_ATTEMPTS: usize = 50;

fn chunks(total: usize) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    futures_util::stream::iter((0..total / chunk.len()).map(move |_| Ok(chunk.clone())))
}

type BoxBody = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

/// A `total`-byte streamed body, 64 KiB a frame.
fn stream_body(total: usize) -> BoxBody {
    BodyExt::boxed_unsync(StreamBody::new(futures_util::StreamExt::map(
        chunks(total),
        |c| c.map(hyper::body::Frame::data),
    )))
}

fn middleware() -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(s3_signer()))
        .build()
}

/// The middleware ending in [`KeepReadingTransport`]: sent through hyper on connections
/// that keep reading after a failed write.
fn keep_reading_middleware() -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(s3_signer()))
        .with(KeepReadingTransport::http())
        .build()
}

/// What an attempt ended with: the server's status and AWS code, or the typed error for a
/// connection that broke part-way through the body.
#[derive(Debug, PartialEq)]
enum Outcome {
    Refused(u16, String),
    /// `UploadInterrupted`, with the bytes sent.
    Interrupted(u64),
}

fn interrupted(err: &Error, total: usize) -> Outcome {
    match err {
        Error::UploadInterrupted { sent, declared, .. }
            if *declared == Some(total as u64) && *sent < total as u64 =>
        {
            Outcome::Interrupted(*sent)
        }
        other => {
            panic!("expected the server's answer or UploadInterrupted, got {other} / {other:?}")
        }
    }
}

/// The status and AWS error code of an answer.
fn status_and_code(status: u16, headers: &http::HeaderMap, body: &[u8]) -> (u16, String) {
    let code = AwsError::parse(headers, body).map(|e| e.code().to_owned());
    (
        status,
        code.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
    )
}

/// Sends a `total`-byte streamed upload through the middleware; what it ended with.
async fn middleware_upload(
    client: &reqwest_middleware::ClientWithMiddleware,
    addr: SocketAddr,
    total: usize,
) -> Outcome {
    let sent = client
        .put(format!("http://{addr}/bucket/key"))
        .header("content-length", total.to_string())
        .body(reqwest::Body::wrap_stream(chunks(total)))
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let (st, headers) = (resp.status().as_u16(), resp.headers().clone());
            let body = resp.bytes().await.unwrap();
            let (st, code) = status_and_code(st, &headers, &body);
            Outcome::Refused(st, code)
        }
        Err(reqwest_middleware::Error::Middleware(any)) => match any.downcast_ref() {
            Some(e) => interrupted(e, total),
            None => panic!("untyped {any:#}"),
        },
        Err(e) => panic!("{e:#} / {e:?}"),
    }
}

/// Sends a `total`-byte streamed upload through the tower client; what it ended with.
async fn tower_upload(addr: SocketAddr, total: usize) -> Outcome {
    let hyper = Client::builder(TokioExecutor::new()).build_http();
    tower_upload_with(hyper, addr, total).await
}

/// As [`tower_upload`], over connections that keep reading after a failed write.
async fn keep_reading_tower_upload(addr: SocketAddr, total: usize) -> Outcome {
    let hyper = Client::builder(TokioExecutor::new()).build(KeepReading::http());
    tower_upload_with(hyper, addr, total).await
}

/// As [`tower_upload`], over `hyper`.
async fn tower_upload_with<C>(
    hyper: Client<C, sigv4_http::tower::SignedBody<BoxBody>>,
    addr: SocketAddr,
    total: usize,
) -> Outcome
where
    C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
{
    let layer = SignLayer::new(s3_signer()).with_max_buffered_body(MIB);
    let req = http::Request::put(format!("http://{addr}/bucket/key"))
        .header("content-length", total.to_string())
        .body(stream_body(total))
        .unwrap();
    match layer.layer(hyper).oneshot(req).await {
        Ok(resp) => {
            let (st, headers) = (resp.status().as_u16(), resp.headers().clone());
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let (st, code) = status_and_code(st, &headers, &body);
            Outcome::Refused(st, code)
        }
        Err(e) => interrupted(&e, total),
    }
}

/// Uploads refused part-way by our own server, 50 times in a row: the caller gets the
/// server's status and AWS error code every time (its lingering close lets the client
/// read the answer; without it, hyper loses the answer to the reset now and then).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refusal_of_our_server_reaches_the_caller_every_time() {
    run(async {
        let client = middleware();
        for status in [403u16, 400] {
            let addr = our_refusing_server(status, 256 * 1024).await;
            for attempt in 0..STRICT_ATTEMPTS / 2 {
                assert_eq!(
                    middleware_upload(&client, addr, 4 * MIB).await,
                    Outcome::Refused(status, "SignatureDoesNotMatch".to_owned()),
                    "middleware, attempt {attempt}"
                );
            }
        }
        let addr = our_refusing_server(403, 256 * 1024).await;
        for attempt in 0..STRICT_ATTEMPTS {
            assert_eq!(
                tower_upload(addr, 4 * MIB).await,
                Outcome::Refused(403, "SignatureDoesNotMatch".to_owned()),
                "tower client, attempt {attempt}"
            );
        }
    })
    .await;
}

/// Against a server that refuses part-way and closes at once with the rest of the upload
/// unread (plain hyper, no lingering: the connection resets under the client's writes),
/// 16 MiB uploads, 50 times each through the reqwest middleware ending in
/// `KeepReadingTransport` and through the tower client on `KeepReading` connections: the
/// caller gets the server's status and AWS error code every time. (Without the wrapper,
/// hyper stops at its first write error and loses the answer in 4% to 14% of runs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_from_a_server_that_closes_at_once_reaches_the_caller_every_time() {
    run(async {
        let client = keep_reading_middleware();
        for (status, read_first) in [(403u16, 256 * 1024), (400, 0)] {
            let addr = refusing_server(status, read_first).await;
            let refused = Outcome::Refused(status, "SignatureDoesNotMatch".to_owned());
            for attempt in 0..STRICT_ATTEMPTS / 2 {
                assert_eq!(
                    middleware_upload(&client, addr, 16 * MIB).await,
                    refused,
                    "middleware, {status} after {read_first} bytes, attempt {attempt}"
                );
                assert_eq!(
                    keep_reading_tower_upload(addr, 16 * MIB).await,
                    refused,
                    "tower client, {status} after {read_first} bytes, attempt {attempt}"
                );
            }
        }
    })
    .await;
}

/// A server that reads `read_first` bytes of the first request, then closes the
/// connection without answering (the rest unread: a reset).
async fn silent_resetting_server(read_first: usize) -> SocketAddr {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut seen = 0;
                while seen < read_first {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => seen += n,
                    }
                }
            });
        }
    });
    addr
}

/// A server that sends no answer and closes part-way through the upload: keeping on
/// reading finds nothing, and the caller gets a typed `UploadInterrupted` (the bytes that
/// went out, not those discarded after the reset), every time, promptly; with the plain
/// reqwest client and hyper too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_by_a_server_that_closes_at_once_is_a_typed_error() {
    run(async {
        let read_first = 256 * 1024;
        let addr = silent_resetting_server(read_first).await;
        let total = 16 * MIB;
        let (keep_reading, plain) = (keep_reading_middleware(), middleware());
        for attempt in 0..10 {
            for (how, outcome) in [
                (
                    "middleware",
                    middleware_upload(&keep_reading, addr, total).await,
                ),
                ("tower", keep_reading_tower_upload(addr, total).await),
                (
                    "plain middleware",
                    middleware_upload(&plain, addr, total).await,
                ),
                ("plain tower", tower_upload(addr, total).await),
            ] {
                let Outcome::Interrupted(sent) = outcome else {
                    panic!("{how}, attempt {attempt}: {outcome:?}")
                };
                assert!(
                    (read_first as u64..total as u64).contains(&sent),
                    "{how}, attempt {attempt}: {sent} bytes sent"
                );
            }
        }
    })
    .await;
}

/// Through the plain reqwest client (no `KeepReadingTransport`) against a server that
/// refuses and closes at once: the server's answer when reqwest read it, else a typed
/// `UploadInterrupted`, never a bare "error sending request".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keep_reading_a_lost_refusal_is_a_typed_error() {
    run(async {
        let client = middleware();
        let addr = refusing_server(403, 256 * 1024).await;
        for attempt in 0..ATTEMPTS {
            for outcome in [
                middleware_upload(&client, addr, 8 * MIB).await,
                tower_upload(addr, 8 * MIB).await,
            ] {
                if !matches!(outcome, Outcome::Interrupted(_)) {
                    assert_eq!(
                        outcome,
                        Outcome::Refused(403, "SignatureDoesNotMatch".to_owned()),
                        "attempt {attempt}"
                    );
                }
            }
        }
    })
    .await;
}

/// An axum app behind `VerifyLayer` (under `axum::serve`, not our accept loop) whose
/// handler streams the body and says how much it read, or that the read failed.
async fn verifying_server() -> SocketAddr {
    use sigv4_http::tower::{KeyEntry, StaticKeys, VerifyLayer};
    let keys = StaticKeys::new().with_key(KeyEntry::new(Credentials::new(
        "AKIDUP",
        "up/secret",
        None,
        None,
    )));
    let handler = |body: axum::body::Body| async move {
        match body.collect().await {
            Ok(b) => (http::StatusCode::OK, b.to_bytes().len().to_string()),
            Err(e) => (http::StatusCode::BAD_REQUEST, format!("read failed: {e}")),
        }
    };
    let layer = VerifyLayer::new(
        sigv4::verify::Verifier::new("us-east-1", "s3").unwrap(),
        keys,
    );
    let app = axum::Router::new()
        .fallback(handler)
        .layer(layer.for_axum());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Sends a `total`-byte signed aws-chunked upload through the tower client, one byte of
/// it altered at `tamper_at` (`None`: intact); what it ended with.
async fn chunked_upload(addr: SocketAddr, total: usize, tamper_at: Option<u64>) -> Outcome {
    use sigv4::chunked::{ChunkedSettings, StreamingMode};
    let signer = s3_signer().with_streaming_bodies(sigv4_http::StreamingBodies::AwsChunked(
        ChunkedSettings::new(StreamingMode::Signed),
    ));
    chunked_upload_with(signer, addr, total, tamper_at).await
}

/// As [`chunked_upload`], signed by `signer`.
async fn chunked_upload_with(
    signer: RequestSigner,
    addr: SocketAddr,
    total: usize,
    tamper_at: Option<u64>,
) -> Outcome {
    let hyper = Client::builder(TokioExecutor::new()).build_http();
    let at = tamper_at.unwrap_or(u64::MAX);
    let transport = tower::service_fn(move |req: http::Request<_>| {
        let hyper = hyper.clone();
        async move {
            let req = req.map(|inner| Tamper::new(inner, at));
            hyper.request(req).await
        }
    });
    let layer = SignLayer::new(signer).with_max_buffered_body(16);
    let body = StreamBody::new(futures_util::StreamExt::map(chunks(total), |c| {
        c.map(hyper::body::Frame::data)
    }));
    let req = http::Request::put(format!("http://{addr}/bucket/key"))
        .header("content-length", total.to_string())
        .body(body)
        .unwrap();
    match layer.layer(transport).oneshot(req).await {
        Ok(resp) => {
            let (st, headers) = (resp.status().as_u16(), resp.headers().clone());
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let (st, code) = status_and_code(st, &headers, &body);
            Outcome::Refused(st, code)
        }
        Err(e) => interrupted(&e, total),
    }
}

/// `VerifyLayer` refuses a forged chunk part-way through an aws-chunked upload: the layer
/// answers `403 SignatureDoesNotMatch` (not whatever the handler made of the failed read)
/// and drains the rest of the upload (bounded), so the caller gets that answer every time,
/// under a server that is not ours (`axum::serve`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_layer_refusal_of_a_forged_chunk_reaches_the_caller_every_time() {
    run(async {
        let addr = verifying_server().await;
        let total = 4 * MIB;
        assert_eq!(
            chunked_upload(addr, total, None).await,
            Outcome::Refused(200, total.to_string()),
            "an intact upload"
        );
        for attempt in 0..STRICT_ATTEMPTS {
            assert_eq!(
                chunked_upload(addr, total, Some(300 * 1024)).await,
                Outcome::Refused(403, "SignatureDoesNotMatch".to_owned()),
                "attempt {attempt}"
            );
        }
    })
    .await;
}

/// SigV4a aws-chunked uploads through the real stack: the tower client signs the request
/// and every chunk (and the trailer) with ECDSA P-256 for the region set `*`
/// (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`), and so does the reqwest
/// middleware; `VerifyLayer` verifies them chunk by chunk and the handler reads the decoded
/// body; a chunk altered in transit is refused with `403 SignatureDoesNotMatch`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4a_aws_chunked_uploads_are_signed_and_verified_chunk_by_chunk() {
    use sigv4::chunked::{ChecksumAlgorithm, ChunkedSettings, StreamingMode};
    run(async {
        let addr = verifying_server().await;
        let total = MIB;
        let settings = [
            ChunkedSettings::new(StreamingMode::Signed),
            ChunkedSettings::new(StreamingMode::SignedWithTrailer)
                .with_checksum(ChecksumAlgorithm::Crc32c)
                .unwrap(),
        ];
        for settings in settings {
            let signer = || {
                s3_signer()
                    .with_region_set("*")
                    .with_streaming_bodies(sigv4_http::StreamingBodies::AwsChunked(settings))
            };
            assert_eq!(
                chunked_upload_with(signer(), addr, total, None).await,
                Outcome::Refused(200, total.to_string()),
                "{settings:?}: an intact upload"
            );
            // The same through the reqwest middleware.
            let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
                .with(SigV4Middleware::new(signer()))
                .build();
            assert_eq!(
                middleware_upload(&client, addr, total).await,
                Outcome::Refused(200, total.to_string()),
                "{settings:?}: an intact upload through the middleware"
            );
            assert_eq!(
                chunked_upload_with(signer(), addr, total, Some(200 * 1024)).await,
                Outcome::Refused(403, "SignatureDoesNotMatch".to_owned()),
                "{settings:?}: a forged chunk"
            );
        }
    })
    .await;
}

/// `STRICT_ATTEMPTS` streamed uploads of `total` bytes through ureq, signed by the
/// blocking signer (`expect: 100-continue` added after signing, if asked); each one's
/// status and AWS error code, or ureq's error.
async fn blocking_uploads(addr: SocketAddr, total: u64, expect_continue: bool) -> Vec<String> {
    use sigv4_http::blocking::BlockingSigner;
    use std::io::Read;
    tokio::task::spawn_blocking(move || {
        let signer = BlockingSigner::new(s3_signer());
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .new_agent();
        (0..STRICT_ATTEMPTS)
            .map(|_| {
                let mut req = http::Request::put(format!("http://{addr}/bucket/key"))
                    .header("content-length", total.to_string())
                    .body(())
                    .unwrap();
                signer.sign_streaming(&mut req).unwrap();
                if expect_continue {
                    let continue_ = http::HeaderValue::from_static("100-continue");
                    req.headers_mut().insert(http::header::EXPECT, continue_);
                }
                let mut body = std::io::repeat(b'x').take(total);
                let (parts, ()) = req.into_parts();
                let req = http::Request::from_parts(parts, ureq::SendBody::from_reader(&mut body));
                match agent.run(req) {
                    Ok(mut resp) => {
                        let bytes = resp.body_mut().read_to_vec().unwrap();
                        let code =
                            AwsError::parse(resp.headers(), &bytes).map(|e| e.code().to_owned());
                        format!("{} {}", resp.status().as_u16(), code.unwrap_or_default())
                    }
                    Err(e) => format!("error: {e}"),
                }
            })
            .collect()
    })
    .await
    .unwrap()
}

/// The blocking signer: the caller's own client (ureq here) sends the body, so the caller
/// reads the refusal from the answer its client got, with `AwsError::parse`. Our server's
/// lingering close lets ureq (which writes the whole body before it reads) finish its
/// upload and read the `403`, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_client_reads_our_servers_refusal_every_time() {
    run(async {
        let addr = our_refusing_server(403, 256 * 1024).await;
        let outcomes = blocking_uploads(addr, 4 * MIB as u64, false).await;
        for (attempt, outcome) in outcomes.iter().enumerate() {
            assert_eq!(outcome, "403 SignatureDoesNotMatch", "attempt {attempt}");
        }
    })
    .await;
}

/// As the blocking module documents: against a server that refuses from the request head
/// and closes at once (plain hyper), ureq loses the answer to the reset (it writes the
/// whole 16 MiB body first), unless the request says `expect: 100-continue`: then the
/// refusal comes before the body, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_client_with_expect_continue_reads_a_head_refusal_every_time() {
    run(async {
        let addr = refusing_server(403, 0).await;
        let outcomes = blocking_uploads(addr, 16 * MIB as u64, true).await;
        for (attempt, outcome) in outcomes.iter().enumerate() {
            assert_eq!(outcome, "403 SignatureDoesNotMatch", "attempt {attempt}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_shorter_than_its_content_length_is_a_typed_error() {
    run(async {
        // The server reads everything it is sent.
        let addr = refusing_server(200, usize::MAX).await;
        let declared = 2 * MIB;
        let sent = MIB;

        let err = middleware()
            .put(format!("http://{addr}/bucket/short"))
            .header("content-length", declared.to_string())
            .body(reqwest::Body::wrap_stream(chunks(sent)))
            .send()
            .await
            .unwrap_err();
        let reqwest_middleware::Error::Middleware(any) = &err else {
            panic!("expected a typed error, got {err:?}")
        };
        match any.downcast_ref::<Error>() {
            Some(Error::BodyLengthMismatch { declared: d, sent: s }) => {
                assert_eq!((*d, *s), (declared as u64, sent as u64))
            }
            other => panic!("expected BodyLengthMismatch, got {other:?}"),
        }

        let hyper = Client::builder(TokioExecutor::new()).build_http();
        let body = StreamBody::new(futures_util::StreamExt::map(chunks(sent), |c| {
            c.map(hyper::body::Frame::data)
        }));
        let req = http::Request::put(format!("http://{addr}/bucket/short"))
            .header("content-length", declared.to_string())
            .body(body)
            .unwrap();
        let err = SignLayer::new(s3_signer())
            .layer(hyper)
            .oneshot(req)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::BodyLengthMismatch { declared: d, sent: s } if d == declared as u64 && s == sent as u64),
            "{err} / {err:?}"
        );
    })
    .await;
}
