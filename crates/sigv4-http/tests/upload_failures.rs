//! Upload failures reach the caller with what went wrong (issue #25 item 8), through the
//! reqwest middleware and the tower client:
//!
//! * a 127.0.0.1 server that refuses a streamed upload part-way through (a 400 or 403 with
//!   an AWS error document, then the connection closed with the rest of the body unread):
//!   the caller gets the server's status and AWS error code (the response), or, when the
//!   connection broke before the client read that answer (hyper writes on into the closed
//!   connection; ours reads between body frames, which narrows but does not close that
//!   race), a typed `Error::UploadInterrupted` saying how much of the body went out, never
//!   a bare "error sending request";
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
use sigv4_http::reqwest::SigV4Middleware;
use sigv4_http::tower::SignLayer;
use sigv4_http::{Error, RequestSigner};
use tower::{Layer, ServiceExt};

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test timed out");
}

const REFUSAL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The chunk signature does not match</Message></Error>";

/// A server that reads `read_first` bytes of each request's body, then answers `status`
/// with an S3 error document and closes the connection with the rest unread.
async fn refusing_server(status: u16, read_first: usize) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<Incoming>| async move {
                        let mut body = req.into_body();
                        let mut seen = 0;
                        while seen < read_first {
                            match body.frame().await {
                                Some(Ok(f)) => seen += f.data_ref().map_or(0, Bytes::len),
                                _ => break,
                            }
                        }
                        let resp = http::Response::builder()
                            .status(status)
                            .header("content-type", "application/xml")
                            .header("x-amz-request-id", "REQ123")
                            .header("connection", "close")
                            .body(http_body_util::Full::new(Bytes::from(REFUSAL)))
                            .unwrap();
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
const ATTEMPTS: usize = 12;

fn chunks(total: usize) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    futures_util::stream::iter((0..total / chunk.len()).map(move |_| Ok(chunk.clone())))
}

fn middleware() -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(s3_signer()))
        .build()
}

/// What an attempt ended with: the server's status and AWS code, or the typed error for a
/// connection that broke part-way through the body.
#[derive(Debug, PartialEq)]
enum Outcome {
    Refused(u16, String),
    Interrupted,
}

fn interrupted(err: &Error, total: usize) -> Outcome {
    match err {
        Error::UploadInterrupted { sent, declared, .. }
            if *declared == Some(total as u64) && *sent < total as u64 =>
        {
            Outcome::Interrupted
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middleware_reports_the_servers_refusal_of_an_upload() {
    run(async {
        for status in [403u16, 400] {
            let addr = refusing_server(status, 256 * 1024).await;
            let client = middleware();
            for attempt in 0..ATTEMPTS {
                let total = 32 * MIB;
                let sent = client
                    .put(format!("http://{addr}/bucket/key"))
                    .header("content-length", total.to_string())
                    .body(reqwest::Body::wrap_stream(chunks(total)))
                    .send()
                    .await;
                let outcome = match sent {
                    Ok(resp) => {
                        let (st, headers) = (resp.status().as_u16(), resp.headers().clone());
                        let body = resp.bytes().await.unwrap();
                        let (st, code) = status_and_code(st, &headers, &body);
                        Outcome::Refused(st, code)
                    }
                    Err(reqwest_middleware::Error::Middleware(any)) => match any.downcast_ref() {
                        Some(e) => interrupted(e, total),
                        None => panic!("attempt {attempt}: untyped {any:#}"),
                    },
                    Err(e) => panic!("attempt {attempt}: {e:#} / {e:?}"),
                };
                if outcome != Outcome::Interrupted {
                    assert_eq!(
                        outcome,
                        Outcome::Refused(status, "SignatureDoesNotMatch".to_owned()),
                        "attempt {attempt}"
                    );
                }
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower_client_reports_the_servers_refusal_of_an_upload() {
    run(async {
        let addr = refusing_server(403, 256 * 1024).await;
        let hyper = Client::builder(TokioExecutor::new()).build_http();
        let layer = SignLayer::new(s3_signer()).with_max_buffered_body(MIB);
        for attempt in 0..ATTEMPTS {
            let total = 32 * MIB;
            let body = StreamBody::new(futures_util::StreamExt::map(chunks(total), |c| {
                c.map(hyper::body::Frame::data)
            }));
            let req = http::Request::put(format!("http://{addr}/bucket/key"))
                .header("content-length", total.to_string())
                .body(body)
                .unwrap();
            let outcome = match layer.layer(hyper.clone()).oneshot(req).await {
                Ok(resp) => {
                    let (st, headers) = (resp.status().as_u16(), resp.headers().clone());
                    let body = resp.into_body().collect().await.unwrap().to_bytes();
                    let (st, code) = status_and_code(st, &headers, &body);
                    Outcome::Refused(st, code)
                }
                Err(e) => interrupted(&e, total),
            };
            if outcome != Outcome::Interrupted {
                assert_eq!(
                    outcome,
                    Outcome::Refused(403, "SignatureDoesNotMatch".to_owned()),
                    "attempt {attempt}"
                );
            }
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
