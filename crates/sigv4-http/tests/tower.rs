//! The tower client layer against an axum server (on 127.0.0.1, started by each test)
//! guarded by the verifying layer: signed requests reach the handler with the verified
//! identity; unsigned, tampered, unknown-key and oversized ones are refused with AWS error
//! bodies before the handler runs.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Extension;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::chunked::{ChunkedSettings, StreamingMode};
use sigv4::verify::Verifier;
use sigv4::Credentials;
use sigv4_http::tower::{
    sign_request, ErrorFormat, KeyEntry, SignLayer, SignedBody, StaticKeys, VerifiedIdentity,
    VerifyLayer,
};
use sigv4_http::{RequestSigner, StreamingBodies};
use tower::{Layer, Service, ServiceExt};

const AKID: &str = "AKIDTOWERALICE";
const SECRET: &str = "tower+alice/secret";

fn alice() -> Credentials {
    Credentials::new(AKID, SECRET, None, None)
}

fn keys() -> StaticKeys {
    StaticKeys::new().with_key(KeyEntry::new(alice()).with_principal("alice"))
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out");
}

/// An axum app behind the verifying layer; the handler echoes who signed and the body,
/// and counts its calls.
async fn serve(
    verifier: Verifier,
    format: ErrorFormat,
    max_body: usize,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let handler =
        move |Extension(id): Extension<VerifiedIdentity>, headers: http::HeaderMap, body: Bytes| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                // An aws-chunked body reaches the handler decoded, with matching headers.
                assert!(headers.get("content-encoding").is_none(), "{headers:?}");
                if let Some(len) = headers.get("content-length") {
                    assert_eq!(len.to_str().unwrap(), body.len().to_string());
                }
                format!(
                    "{}|{}|{}|{}",
                    id.access_key_id,
                    id.principal.unwrap_or_default(),
                    id.body_signed,
                    String::from_utf8_lossy(&body)
                )
            }
        };
    let app = Router::new().fallback(handler).layer(
        VerifyLayer::new(verifier, keys())
            .with_error_format(format)
            .with_max_body(max_body)
            .for_axum(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, calls)
}

async fn body_text<B>(resp: http::Response<B>) -> (u16, String, http::HeaderMap)
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap(), headers)
}

#[tokio::test]
async fn signed_requests_reach_the_handler_with_the_verified_identity() {
    run(async {
        let (addr, calls) = serve(
            Verifier::new("us-east-1", "execute-api").unwrap(),
            ErrorFormat::Auto,
            1 << 20,
        )
        .await;
        let signer = RequestSigner::from_static(alice())
            .with_service("execute-api")
            .with_region("us-east-1");
        let http = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();
        let mut client = SignLayer::new(signer).layer(http);

        let req = http::Request::post(format!("http://{addr}/prod/items?z=1&a=%2F"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(br#"{"n":1}"#)))
            .unwrap();
        let resp = client.ready().await.unwrap().call(req).await.unwrap();
        let (status, text, _) = body_text(resp).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, format!("{AKID}|alice|true|{{\"n\":1}}"));

        let req = http::Request::get(format!("http://{addr}/prod/a%20b/c"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = client.ready().await.unwrap().call(req).await.unwrap();
        let (status, text, _) = body_text(resp).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    })
    .await;
}

#[tokio::test]
async fn service_and_region_are_inferred_from_the_host_header() {
    run(async {
        let (addr, _) = serve(
            Verifier::new("eu-west-2", "es").unwrap(),
            ErrorFormat::Auto,
            1 << 20,
        )
        .await;
        let http = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();
        let mut client = SignLayer::new(RequestSigner::from_static(alice())).layer(http);
        let req = http::Request::put(format!("http://{addr}/logs/_doc/1"))
            .header("host", "search-logs-x1.eu-west-2.es.amazonaws.com")
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        let resp = client.ready().await.unwrap().call(req).await.unwrap();
        let (status, text, _) = body_text(resp).await;
        assert_eq!(status, 200, "{text}");
    })
    .await;
}

#[tokio::test]
async fn tampered_unsigned_and_unknown_requests_are_refused_before_the_handler() {
    run(async {
        // JSON errors for a non-S3 service.
        let (addr, calls) = serve(
            Verifier::new("us-east-1", "execute-api").unwrap(),
            ErrorFormat::Auto,
            1 << 20,
        )
        .await;
        let signer = RequestSigner::from_static(alice())
            .with_service("execute-api")
            .with_region("us-east-1");
        let raw = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();

        // A header changed after signing.
        let req = http::Request::get(format!("http://{addr}/prod/items"))
            .header("x-tenant", "a")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let mut signed = sign_request(&signer, req, 1024).await.unwrap();
        signed
            .headers_mut()
            .insert("x-tenant", "b".parse().unwrap());
        let (status, text, headers) = body_text(raw.request(signed).await.unwrap()).await;
        assert_eq!(status, 403, "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["__type"], "SignatureDoesNotMatch");
        assert!(json["message"].as_str().unwrap().contains("does not match"));
        assert_eq!(headers["x-amzn-errortype"], "SignatureDoesNotMatch");
        assert_eq!(headers["content-type"], "application/json");

        // A body changed after signing.
        let req = http::Request::post(format!("http://{addr}/prod/items"))
            .body(Full::new(Bytes::from_static(b"amount=1")))
            .unwrap();
        let signed = sign_request(&signer, req, 1024).await.unwrap();
        let (parts, _) = signed.into_parts();
        let forged = sign_request(
            &signer,
            http::Request::post("http://unused/")
                .body(Full::new(Bytes::from_static(b"amount=1000")))
                .unwrap(),
            1024,
        )
        .await
        .unwrap()
        .into_body();
        let (status, text, _) = body_text(
            raw.request(http::Request::from_parts(parts, forged))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("SignatureDoesNotMatch"), "{text}");

        // Not signed at all.
        let req = http::Request::get(format!("http://{addr}/prod/items"))
            .body(SignedBody::<Full<Bytes>>::default())
            .unwrap();
        let (status, text, _) = body_text(raw.request(req).await.unwrap()).await;
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("\"AccessDenied\""), "{text}");

        // An unknown access key.
        let mallory = RequestSigner::from_static(Credentials::new("AKIDMALLORY", "x", None, None))
            .with_service("execute-api")
            .with_region("us-east-1");
        let req = http::Request::get(format!("http://{addr}/prod/items"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let signed = sign_request(&mallory, req, 1024).await.unwrap();
        let (status, text, _) = body_text(raw.request(signed).await.unwrap()).await;
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("\"InvalidAccessKeyId\""), "{text}");

        // Signed for another region.
        let elsewhere = RequestSigner::from_static(alice())
            .with_service("execute-api")
            .with_region("eu-west-1");
        let req = http::Request::get(format!("http://{addr}/prod/items"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let signed = sign_request(&elsewhere, req, 1024).await.unwrap();
        let (status, text, _) = body_text(raw.request(signed).await.unwrap()).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("\"AuthorizationHeaderMalformed\""), "{text}");

        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "the handler ran for a refused request"
        );
    })
    .await;
}

#[tokio::test]
async fn s3_errors_are_xml_with_the_servers_canonical_request() {
    run(async {
        let (addr, calls) = serve(
            Verifier::new("us-east-1", "s3").unwrap(),
            ErrorFormat::Auto,
            1 << 20,
        )
        .await;
        let signer = RequestSigner::from_static(alice())
            .with_service("s3")
            .with_region("us-east-1");
        let raw = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();

        // Path changed after signing.
        let req = http::Request::get(format!("http://{addr}/bucket/key"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let mut signed = sign_request(&signer, req, 1024).await.unwrap();
        *signed.uri_mut() = format!("http://{addr}/bucket/other").parse().unwrap();
        let (status, text, headers) = body_text(raw.request(signed).await.unwrap()).await;
        assert_eq!(status, 403, "{text}");
        assert_eq!(headers["content-type"], "application/xml");
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>"),
            "{text}"
        );
        assert!(text.contains("<CanonicalRequest>GET\n/bucket/other\n"), "{text}");
        assert!(text.contains("<StringToSign>AWS4-HMAC-SHA256\n"), "{text}");

        // Body changed after signing, with the hash in x-amz-content-sha256: the signature
        // is fine, the body is not.
        let req = http::Request::put(format!("http://{addr}/bucket/key"))
            .body(Full::new(Bytes::from_static(b"good")))
            .unwrap();
        let (parts, _) = sign_request(&signer, req, 1024).await.unwrap().into_parts();
        let evil = sign_request(
            &signer,
            http::Request::put("http://x/")
                .body(Full::new(Bytes::from_static(b"evil")))
                .unwrap(),
            1024,
        )
        .await
        .unwrap()
        .into_body();
        let (status, text, _) =
            body_text(raw.request(http::Request::from_parts(parts, evil)).await.unwrap()).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("<Code>XAmzContentSHA256Mismatch</Code>"), "{text}");
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    })
    .await;
}

#[tokio::test]
async fn s3_streaming_bodies_unsigned_payload_and_aws_chunked() {
    run(async {
        let (addr, _) = serve(
            Verifier::new("us-east-1", "s3").unwrap(),
            ErrorFormat::Xml,
            64,
        )
        .await;
        type Stream = StreamBody<
            futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>,
        >;
        let body = || -> Stream {
            let frames: Vec<Result<Frame<Bytes>, Infallible>> = (0..40)
                .map(|i| Ok(Frame::data(Bytes::from(format!("part{i:02};")))))
                .collect();
            StreamBody::new(futures_util::stream::iter(frames))
        };
        let expected: String = (0..40).map(|i| format!("part{i:02};")).collect();

        // Unknown length, S3: streamed as UNSIGNED-PAYLOAD (the server's 64-byte limit
        // does not apply: it does not need to read the body to check it).
        let http = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Stream>>();
        let mut client = SignLayer::new(
            RequestSigner::from_static(alice())
                .with_service("s3")
                .with_region("us-east-1"),
        )
        .with_max_buffered_body(16)
        .layer(http.clone());
        let req = http::Request::put(format!("http://{addr}/bucket/streamed"))
            .body(body())
            .unwrap();
        let resp = client.ready().await.unwrap().call(req).await.unwrap();
        let (status, text, _) = body_text(resp).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, format!("{AKID}|alice|false|{expected}"));

        // aws-chunked, every chunk signed and verified by the server layer.
        let mut chunked = SignLayer::new(
            RequestSigner::from_static(alice())
                .with_service("s3")
                .with_region("us-east-1")
                .with_streaming_bodies(StreamingBodies::AwsChunked(ChunkedSettings::new(
                    StreamingMode::Signed,
                ))),
        )
        .with_max_buffered_body(16)
        .layer(http);
        let req = http::Request::put(format!("http://{addr}/bucket/chunked"))
            .header("content-length", expected.len().to_string())
            .body(body())
            .unwrap();
        let resp = chunked.ready().await.unwrap().call(req).await.unwrap();
        let (status, text, _) = body_text(resp).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, format!("{AKID}|alice|true|{expected}"));

        // A hashed body over the server's limit: 413.
        let signer = RequestSigner::from_static(alice())
            .with_service("s3")
            .with_region("us-east-1");
        let raw = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();
        let req = http::Request::put(format!("http://{addr}/bucket/big"))
            .body(Full::new(Bytes::from(vec![b'x'; 65])))
            .unwrap();
        let signed = sign_request(&signer, req, 1024).await.unwrap();
        let (status, text, _) = body_text(raw.request(signed).await.unwrap()).await;
        assert_eq!(status, 413, "{text}");
        assert!(
            text.contains("<Code>RequestEntityTooLarge</Code>"),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn client_errors_are_typed() {
    run(async {
        let send = tower::service_fn(|_req: http::Request<SignedBody<Full<Bytes>>>| async {
            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::new())))
        });
        // A non-S3 service with a body bigger than the buffer limit cannot be hashed.
        let mut client = SignLayer::new(
            RequestSigner::from_static(alice())
                .with_service("execute-api")
                .with_region("us-east-1"),
        )
        .with_max_buffered_body(4)
        .layer(send);
        let req = http::Request::post("http://127.0.0.1:9/x")
            .body(Full::new(Bytes::from_static(b"too long")))
            .unwrap();
        let err = client.ready().await.unwrap().call(req).await.unwrap_err();
        assert!(
            matches!(err, sigv4_http::Error::BodyTooLarge { limit: 4 }),
            "{err}"
        );

        // No service known for this host.
        let mut client = SignLayer::new(RequestSigner::from_static(alice())).layer(send);
        let req = http::Request::get("http://127.0.0.1:9/x")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let err = client.ready().await.unwrap().call(req).await.unwrap_err();
        assert!(err.to_string().contains("with_service"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn plain_hyper_server_and_presigned_urls() {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    use sigv4::{Payload, SigningSettings};

    run(async {
        // The verifying layer over a plain hyper service (default inner body type).
        async fn handle(
            req: http::Request<sigv4_http::tower::VerifiedRequestBody>,
        ) -> Result<http::Response<Full<Bytes>>, Infallible> {
            let id = req.extensions().get::<VerifiedIdentity>().cloned().unwrap();
            Ok(http::Response::new(Full::new(Bytes::from(format!(
                "{}|{}",
                id.principal.unwrap_or_default(),
                id.presigned
            )))))
        }
        let inner = tower::service_fn(handle);
        let svc = VerifyLayer::new(Verifier::new("us-east-1", "s3").unwrap(), keys()).layer(inner);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let svc = TowerToHyperService::new(svc.clone());
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });

        // A presigned GET, fetched with no signing at all.
        let signer = RequestSigner::from_static(alice())
            .with_service("s3")
            .with_region("us-east-1")
            .with_settings(SigningSettings::s3().presigned(Duration::from_secs(300)));
        let mut req = http::Request::get(format!("http://{addr}/bucket/report.csv"))
            .body(())
            .unwrap();
        signer
            .sign_http_request_with_payload(&mut req, Payload::Unsigned, &alice())
            .unwrap();
        let url = req.uri().to_string();
        assert!(url.contains("X-Amz-Signature="), "{url}");
        let raw = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let req = http::Request::get(url.as_str())
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (status, text, _) = body_text(raw.request(req).await.unwrap()).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, "alice|true");

        // The same URL with the key changed is refused.
        let bad = url.replace("report.csv", "secrets.csv");
        let req = http::Request::get(bad.as_str())
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (status, text, _) = body_text(raw.request(req).await.unwrap()).await;
        assert_eq!(status, 403, "{text}");
        assert!(
            text.contains("<Code>SignatureDoesNotMatch</Code>"),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn signing_proxy_chain_client_layer_in_spawned_tasks() {
    use hyper::body::Incoming;
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;

    run(async {
        // Upstream: verifies.
        let (upstream, calls) = serve(
            Verifier::new("us-east-1", "execute-api").unwrap(),
            ErrorFormat::Auto,
            1 << 20,
        )
        .await;
        // A minimal signing proxy: each connection is served in its own task and forwards
        // through the client layer (what `sigv4 proxy` does, without its extras).
        let http = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Incoming>>();
        let signing = SignLayer::new(
            RequestSigner::from_static(alice())
                .with_service("execute-api")
                .with_region("us-east-1"),
        )
        .layer(http);
        let forward = tower::service_fn(move |req: http::Request<Incoming>| {
            let mut signing = signing.clone();
            async move {
                let (mut parts, body) = req.into_parts();
                let pq = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                parts.uri = format!("http://{upstream}{pq}").parse().unwrap();
                parts.headers.remove("host");
                let resp = signing
                    .ready()
                    .await?
                    .call(http::Request::from_parts(parts, body))
                    .await?;
                Ok::<_, sigv4_http::Error>(resp)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let svc = TowerToHyperService::new(forward.clone());
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });

        let raw = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        for i in 0..5 {
            let req = http::Request::post(format!("http://{proxy}/prod/items/{i}"))
                .body(Full::new(Bytes::from(format!("body {i}"))))
                .unwrap();
            let (status, text, _) = body_text(raw.request(req).await.unwrap()).await;
            assert_eq!(status, 200, "{text}");
            assert_eq!(text, format!("{AKID}|alice|true|body {i}"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    })
    .await;
}

#[tokio::test]
async fn requests_are_refused_before_their_body_is_read() {
    run(async {
        // A server that reads at most 8 bytes of body.
        let (addr, calls) = serve(
            Verifier::new("us-east-1", "execute-api").unwrap(),
            ErrorFormat::Json,
            8,
        )
        .await;
        let raw = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();
        let big = || Full::new(Bytes::from(vec![b'x'; 100]));

        // An unknown key is refused without reading the body (not 413).
        let mallory = RequestSigner::from_static(Credentials::new("AKIDMALLORY", "x", None, None))
            .with_service("execute-api")
            .with_region("us-east-1");
        let req = http::Request::post(format!("http://{addr}/x"))
            .body(big())
            .unwrap();
        let signed = sign_request(&mallory, req, 1024).await.unwrap();
        let (status, text, _) = body_text(raw.request(signed).await.unwrap()).await;
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("InvalidAccessKeyId"), "{text}");

        // A known key whose body must be hashed: bounded by the limit.
        let signer = RequestSigner::from_static(alice())
            .with_service("execute-api")
            .with_region("us-east-1");
        let req = http::Request::post(format!("http://{addr}/x"))
            .body(big())
            .unwrap();
        let signed = sign_request(&signer, req, 1024).await.unwrap();
        let (status, text, _) = body_text(raw.request(signed).await.unwrap()).await;
        assert_eq!(status, 413, "{text}");
        assert!(text.contains("RequestEntityTooLarge"), "{text}");

        // Within the limit: accepted.
        let req = http::Request::post(format!("http://{addr}/x"))
            .body(Full::new(Bytes::from_static(b"small")))
            .unwrap();
        let signed = sign_request(&signer, req, 1024).await.unwrap();
        let (status, text, _) = body_text(raw.request(signed).await.unwrap()).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    })
    .await;
}

/// An axum app behind a layer holding at most `max_chunk` bytes of an aws-chunked body
/// (`None`: the default); the handler answers the decoded body's length and counts the
/// bodies it read whole.
async fn serve_chunk_bound(max_chunk: Option<usize>) -> (SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let handler = move |body: Bytes| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            body.len().to_string()
        }
    };
    let mut layer = VerifyLayer::new(Verifier::new("us-east-1", "s3").unwrap(), keys());
    if let Some(max) = max_chunk {
        layer = layer.with_max_chunk_size(max);
    }
    let app = Router::new().fallback(handler).layer(layer.for_axum());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, calls)
}

/// Sends `len` bytes as a signed aws-chunked upload in chunks of `chunk` bytes; returns
/// the status and answer.
async fn upload_chunked(addr: SocketAddr, len: usize, chunk: usize) -> (u16, String) {
    let http = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();
    let mut client = SignLayer::new(
        RequestSigner::from_static(alice())
            .with_service("s3")
            .with_region("us-east-1")
            .with_streaming_bodies(StreamingBodies::AwsChunked(
                ChunkedSettings::new(StreamingMode::Signed)
                    .with_chunk_size(chunk)
                    .unwrap(),
            )),
    )
    .with_max_buffered_body(16)
    .layer(http);
    let req = http::Request::put(format!("http://{addr}/bucket/big"))
        .header("content-length", len.to_string())
        .body(Full::new(Bytes::from(vec![b'x'; len])))
        .unwrap();
    match client.ready().await.unwrap().call(req).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
        // The server may answer and close before reading the whole upload.
        Err(e) => (0, format!("{e}")),
    }
}

/// Issue #22: the bytes held per aws-chunked request are bounded (1 MiB by default,
/// `with_max_chunk_size`): a chunk over the bound fails the body before it is held, so
/// the handler never reads it; chunks within the bound pass.
#[tokio::test]
async fn aws_chunked_bytes_held_per_request_are_bounded() {
    run(async {
        let (addr, calls) = serve_chunk_bound(None).await;
        // 1 MiB chunks (botocore's size) pass the default bound (1.5 MiB stays under
        // axum's own 2 MiB limit on a body read whole).
        let (status, text) = upload_chunked(addr, 3 << 19, 1 << 20).await;
        assert_eq!((status, text.as_str()), (200, "1572864"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // One 1.5 MiB chunk does not: the body fails at the chunk header.
        let (status, text) = upload_chunked(addr, 3 << 19, 2 << 20).await;
        assert_ne!(status, 200, "{text}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler read a body");

        let (addr, calls) = serve_chunk_bound(Some(64 * 1024)).await;
        let (status, text) = upload_chunked(addr, 256 * 1024, 64 * 1024).await;
        assert_eq!((status, text.as_str()), (200, "262144"));
        let (status, text) = upload_chunked(addr, 256 * 1024, 128 * 1024).await;
        assert_ne!(status, 200, "{text}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler read a body");
    })
    .await;
}
