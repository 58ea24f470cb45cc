//! SigV4a (a region set) through our clients against our own server (issue #25 item 6):
//! the reqwest middleware (an S3 Multi-Region Access Point host, inferred; an explicit
//! region set), the tower client and the blocking signer (with ureq) sign with
//! `AWS4-ECDSA-P256-SHA256`, and an axum app behind `VerifyLayer` verifies the ECDSA
//! signature (header and presigned) with the core verifier; a tampered request, a moved
//! presigned URL and a region set that does not cover the server's region are refused.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use axum::extract::Extension;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::chunked::{ChecksumAlgorithm, ChunkedSettings, StreamingMode};
use sigv4::sigv4a::SigV4aSigner;
use sigv4::verify::Verifier;
use sigv4::{Credentials, Payload, SignableRequest, SigningSettings};
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::reqwest::SigV4Middleware;
use sigv4_http::tower::{
    KeyEntry, SignLayer, SignedBody, StaticKeys, VerifiedIdentity, VerifyLayer,
};
use sigv4_http::{RequestSigner, StreamingBodies};
use tower::{Layer, ServiceExt};

const AKID: &str = "AKIDSIGV4A";
const SECRET: &str = "sigv4a/secret+key";
const MRAP: &str = "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET, None, None)
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test timed out");
}

/// An S3 app in us-east-1 behind `VerifyLayer`; accepted requests are answered with
/// `<algorithm>|<region>|<body>`.
async fn server() -> SocketAddr {
    let keys = StaticKeys::new().with_key(KeyEntry::new(creds()));
    let layer = VerifyLayer::new(Verifier::new("us-east-1", "s3").unwrap(), keys).for_axum();
    let app =
        Router::new()
            .fallback(
                |Extension(id): Extension<VerifiedIdentity>,
                 headers: http::HeaderMap,
                 body: Bytes| async move {
                    let alg = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.split(' ').next())
                        .unwrap_or("presigned")
                        .to_owned();
                    format!("{alg}|{}|{}", id.region, String::from_utf8_lossy(&body))
                },
            )
            .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn middleware(
    signer: RequestSigner,
    resolve: Option<SocketAddr>,
) -> reqwest_middleware::ClientWithMiddleware {
    let mut http = reqwest::Client::builder().timeout(Duration::from_secs(10));
    if let Some(addr) = resolve {
        http = http.resolve(MRAP, addr);
    }
    reqwest_middleware::ClientBuilder::new(http.build().unwrap())
        .with(SigV4Middleware::new(signer))
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middleware_signs_sigv4a_for_a_multi_region_access_point_and_our_server_verifies_it() {
    run(async {
        let addr = server().await;
        // The MRAP host: service s3 and region set `*` inferred, no setting needed.
        let client = middleware(RequestSigner::from_static(creds()), Some(addr));
        let url = format!("http://{MRAP}:{}/photos/cat.txt", addr.port());
        let resp = client.put(&url).body("meow").send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, "AWS4-ECDSA-P256-SHA256|*|meow");

        // An explicit region set on any host; one that does not cover us-east-1 is refused.
        for (set, want) in [
            ("us-east-1,us-west-2", 200),
            ("us-*", 200),
            ("eu-west-1", 400),
        ] {
            let signer = RequestSigner::from_static(creds())
                .with_service("s3")
                .with_region_set(set);
            let resp = middleware(signer, None)
                .get(format!("http://{addr}/k?q=a+b"))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            assert_eq!(status, want, "{set}: {text}");
            if want == 200 {
                assert_eq!(text, format!("AWS4-ECDSA-P256-SHA256|{set}|"));
            } else {
                // As AWS answers a scope for another region.
                assert!(
                    text.contains("<Code>AuthorizationHeaderMalformed</Code>"),
                    "{text}"
                );
                assert!(text.contains("region set covering us-east-1"), "{text}");
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower_client_and_blocking_signer_sign_sigv4a_that_our_server_verifies() {
    run(async {
        let addr = server().await;
        let url = format!("http://{addr}/tower.bin");
        let signer = || {
            RequestSigner::from_static(creds())
                .with_service("s3")
                .with_region_set("*")
        };
        let hyper = Client::builder(TokioExecutor::new()).build_http::<_>();
        let put = http::Request::put(&url)
            .body(Full::new(Bytes::from_static(b"from tower")))
            .unwrap();
        let resp = SignLayer::new(signer())
            .layer(hyper)
            .oneshot(put)
            .await
            .unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, 200, "{body:?}");
        assert_eq!(&body[..], b"AWS4-ECDSA-P256-SHA256|*|from tower");

        let blocking = BlockingSigner::new(signer());
        let answers = tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let send = |body: &'static [u8], tamper: bool| {
                let mut req = http::Request::put(format!("http://{addr}/blocking"))
                    .body(body.to_vec())
                    .unwrap();
                blocking.sign(&mut req).unwrap();
                if tamper {
                    *req.body_mut() = b"tampered".to_vec();
                    req.headers_mut().remove("x-amz-content-sha256");
                    req.headers_mut().insert(
                        "x-amz-content-sha256",
                        sigv4::sha256_hex(b"tampered").parse().unwrap(),
                    );
                }
                let mut resp = agent.run(req).unwrap();
                let text = resp.body_mut().read_to_string().unwrap();
                (resp.status().as_u16(), text)
            };
            (send(b"from ureq", false), send(b"from ureq", true))
        })
        .await
        .unwrap();
        assert_eq!(
            answers.0,
            (200, "AWS4-ECDSA-P256-SHA256|*|from ureq".to_owned())
        );
        assert_eq!(answers.1 .0, 403, "{}", answers.1 .1);
        assert!(
            answers.1 .1.contains("SignatureDoesNotMatch"),
            "{}",
            answers.1 .1
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presigned_sigv4a_url_is_verified_by_our_server() {
    run(async {
        let addr = server().await;
        let signer = SigV4aSigner::new("*", "s3")
            .unwrap()
            .with_settings(SigningSettings::for_service("s3").presigned(Duration::from_secs(300)));
        let host = addr.to_string();
        let url = format!("http://{host}/shared.txt");
        let out = signer
            .sign(
                &SignableRequest::new("GET", &url, [("host", host.as_bytes())], Payload::Unsigned),
                &creds(),
                SystemTime::now(),
            )
            .unwrap();
        let presigned = format!("{url}?{}", out.query_string());
        assert!(
            presigned.contains("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256"),
            "{presigned}"
        );
        let resp = reqwest::get(&presigned).await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, "presigned|*|");
        // Another path with the same signature: refused.
        let moved = presigned.replace("/shared.txt", "/other.txt");
        let resp = reqwest::get(&moved).await.unwrap();
        assert_eq!(resp.status(), 403);
        assert!(resp.text().await.unwrap().contains("SignatureDoesNotMatch"));
    })
    .await;
}

/// An S3 app in us-east-1 behind `VerifyLayer` that answers `<payload line>|<body
/// length>|<whether the body is all q>` (the body as decoded and checked by the layer:
/// chunk framing and trailer checksum).
async fn payload_server() -> SocketAddr {
    let keys = StaticKeys::new().with_key(KeyEntry::new(creds()));
    let layer = VerifyLayer::new(Verifier::new("us-east-1", "s3").unwrap(), keys).for_axum();
    let app = Router::new()
        .fallback(
            |Extension(id): Extension<VerifiedIdentity>, body: Bytes| async move {
                let all_q = body.iter().all(|&b| b == b'q');
                format!("{:?}|{}|{all_q}", id.payload, body.len())
            },
        )
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` in 8 KiB chunks with a CRC32 trailer.
fn unsigned_trailer() -> ChunkedSettings {
    ChunkedSettings::new(StreamingMode::UnsignedWithTrailer)
        .with_chunk_size(8 * 1024)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32)
        .unwrap()
}

/// A SigV4a signer for S3 whose streams go out as [`unsigned_trailer`].
fn unsigned_trailer_signer() -> RequestSigner {
    RequestSigner::from_static(creds())
        .with_service("s3")
        .with_region_set("*")
        .with_streaming_bodies(StreamingBodies::AwsChunked(unsigned_trailer()))
}

/// The bytes of a `len`-byte upload: `q`s (a letter no chunk header, hex size or trailer
/// name holds, so the first `q` on the wire is body data).
fn q_body(len: usize) -> Bytes {
    Bytes::from(vec![b'q'; len])
}

/// Sends `body` through the tower client with the unsigned-trailer SigV4a signer; with
/// `tamper`, the first body byte on the wire is changed after signing and encoding.
async fn tower_upload(addr: SocketAddr, body: Bytes, tamper: bool) -> (u16, String) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    type Boxed = http_body_util::combinators::BoxBody<Bytes, sigv4_http::BoxError>;
    let hyper = Client::builder(TokioExecutor::new()).build_http::<Boxed>();
    let done = Arc::new(AtomicBool::new(!tamper));
    let wire = tower::ServiceBuilder::new()
        .map_request(move |req: http::Request<SignedBody<Full<Bytes>>>| {
            let done = Arc::clone(&done);
            req.map(|b| {
                b.map_frame(move |f| {
                    f.map_data(|d: Bytes| match d.iter().position(|&c| c == b'q') {
                        Some(i) if !done.swap(true, Ordering::SeqCst) => {
                            let mut v = d.to_vec();
                            v[i] = b'r';
                            Bytes::from(v)
                        }
                        _ => d,
                    })
                })
                .boxed()
            })
        })
        .service(hyper);
    let len = body.len();
    let req = http::Request::put(format!("http://{addr}/bucket/trailer.bin"))
        .header("content-length", len.to_string())
        .body(Full::new(body))
        .unwrap();
    let resp = SignLayer::new(unsigned_trailer_signer())
        .with_max_buffered_body(16)
        .layer(wire)
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Issue #25 (noticed in round 4): a SigV4a upload to S3 under
/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` went out `UNSIGNED-PAYLOAD`, dropping the trailer
/// checksum the caller asked for (blocking `sign_aws_chunked` refused it). It goes out
/// aws-chunked with the trailer, as with SigV4, through the reqwest middleware, the tower
/// client and the blocking signer; the server checks the checksum, so a body changed on the
/// wire is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4a_unsigned_trailer_streams_go_out_aws_chunked_with_their_checksum() {
    run(async {
        let addr = payload_server().await;
        let want = |len: usize| format!("Streaming(UnsignedWithTrailer)|{len}|true");

        // The reqwest middleware, a stream of 20,000 bytes (three chunks).
        let len = 20_000;
        let parts: Vec<Result<Bytes, std::io::Error>> =
            (0..4).map(|_| Ok(q_body(len / 4))).collect();
        let resp = middleware(unsigned_trailer_signer(), None)
            .put(format!("http://{addr}/bucket/trailer.bin"))
            .header("content-length", len.to_string())
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                parts,
            )))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "{}", &text[..text.len().min(300)]);
        assert_eq!(text, want(len));

        // The tower client, as sent and with one body byte changed on the wire.
        let (status, text) = tower_upload(addr, q_body(len), false).await;
        assert_eq!(status, 200, "{}", &text[..text.len().min(300)]);
        assert_eq!(text, want(len));
        let (status, text) = tower_upload(addr, q_body(len), true).await;
        assert_ne!(status, 200, "{}", &text[..text.len().min(300)]);
        assert!(text.contains("<Code>"), "{text}");

        // The blocking signer's aws-chunked encoder, sent by ureq.
        let answer = tokio::task::spawn_blocking(move || {
            let blocking = BlockingSigner::new(unsigned_trailer_signer());
            let mut req = http::Request::put(format!("http://{addr}/bucket/blocking.bin"))
                .body(())
                .unwrap();
            let encoder = blocking
                .sign_aws_chunked(&mut req, unsigned_trailer(), len as u64)
                .unwrap();
            let mut reader =
                sigv4::chunked::ChunkedReader::new(std::io::Cursor::new(q_body(len)), encoder);
            let (parts, ()) = req.into_parts();
            let req = http::Request::from_parts(parts, ureq::SendBody::from_reader(&mut reader));
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let mut resp = agent.run(req).unwrap();
            let text = resp.body_mut().read_to_string().unwrap();
            (resp.status().as_u16(), text)
        })
        .await
        .unwrap();
        assert_eq!(answer, (200, want(len)));
    })
    .await;
}
