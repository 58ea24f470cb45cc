//! SigV4a streaming over real HTTP: a hyper client sends an aws-chunked body whose chunks
//! are signed with ECDSA P-256 (`ChunkedBody` over a SigV4a `ChunkEncoder`) to an axum
//! server on 127.0.0.1 that checks the request's SigV4a signature with the client's public
//! key, then decodes the body through `ChunkedBodyVerifier`, chunk by chunk as it
//! arrives. A body altered in transit is refused.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::chunked::{self, ChecksumAlgorithm, ChunkedBody, ChunkedSettings, StreamingMode};
use sigv4::sigv4a::{SigV4aKey, SigV4aSigner};
use sigv4::verify::ChunkedBodyVerifier;
use sigv4::{AmzDate, Credentials, Payload, SignableRequest};
use sigv4_http::BoxError;

const AKID: &str = "AKIDV4ASTREAM";
const SECRET: &str = "v4a/streaming+secret";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET, None, None)
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test timed out");
}

/// Checks the SigV4a signature of the received head with the client's public key (the
/// server recomputes the string to sign over the signed headers); returns the seed.
fn check_request(parts: &http::request::Parts) -> Result<(String, AmzDate), String> {
    let h = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let auth = h("authorization");
    let signature = auth.rsplit_once("Signature=").ok_or("no signature")?.1;
    let signed: Vec<&str> = auth
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .ok_or("no SignedHeaders")?
        .split(';')
        .collect();
    let headers: Vec<(&str, &[u8])> = signed
        .iter()
        .filter(|n| {
            !matches!(
                **n,
                "x-amz-date" | "x-amz-region-set" | "x-amz-content-sha256"
            )
        })
        .map(|n| (*n, parts.headers[*n].as_bytes()))
        .collect();
    let time = AmzDate::parse(h("x-amz-date")).ok_or("bad date")?;
    let signer = SigV4aSigner::new(h("x-amz-region-set"), "s3")
        .map_err(|e| e.to_string())?
        .with_settings(sigv4::SigningSettings::s3());
    let marker = h("x-amz-content-sha256");
    let out = signer
        .sign(
            &SignableRequest::new(
                parts.method.as_str(),
                parts.uri.path(),
                headers,
                Payload::Precomputed(marker),
            ),
            // Only to build the string to sign: the signature is checked with the public key.
            &creds(),
            time.to_system_time(),
        )
        .map_err(|e| e.to_string())?;
    let public = SigV4aKey::derive(AKID, SECRET).unwrap().public_key();
    if !public.verify_hex(out.string_to_sign().as_bytes(), signature) {
        return Err("the request signature does not verify".into());
    }
    Ok((signature.to_owned(), time))
}

async fn serve() -> SocketAddr {
    let handler = |req: Request| async move {
        let (parts, body) = req.into_parts();
        let (seed, time) = match check_request(&parts) {
            Ok(s) => s,
            Err(e) => return (http::StatusCode::FORBIDDEN, e),
        };
        let mode = match parts.headers["x-amz-content-sha256"].to_str().unwrap() {
            chunked::STREAMING_ECDSA_PAYLOAD => StreamingMode::Signed,
            chunked::STREAMING_ECDSA_PAYLOAD_TRAILER => StreamingMode::SignedWithTrailer,
            other => {
                return (
                    http::StatusCode::BAD_REQUEST,
                    format!("not SigV4a streaming: {other}"),
                )
            }
        };
        let len: u64 = parts.headers["x-amz-decoded-content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let public = SigV4aKey::derive(AKID, SECRET).unwrap().public_key();
        let mut v = ChunkedBodyVerifier::sigv4a(mode, public, time, "s3", &seed)
            .unwrap()
            .with_expected_length(len);
        if let Some(t) = parts.headers.get("x-amz-trailer") {
            v = v.with_checksum(ChecksumAlgorithm::parse(t.to_str().unwrap()).unwrap());
        }
        let mut body = body;
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.unwrap().into_data() else {
                continue;
            };
            // Decoded data is appended as each chunk passes; a refused chunk stops here.
            if let Err(e) = v.push(&data, &mut out) {
                return (http::StatusCode::FORBIDDEN, e.to_string());
            }
        }
        if let Err(e) = v.finish() {
            return (http::StatusCode::BAD_REQUEST, e.to_string());
        }
        (http::StatusCode::OK, sigv4::sha256_hex(&out))
    };
    let app = Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

type Inner =
    StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, BoxError>>>>;

fn settings(mode: StreamingMode) -> ChunkedSettings {
    let settings = ChunkedSettings::new(mode).sigv4a().unwrap();
    if mode.has_trailer() {
        settings.with_checksum(ChecksumAlgorithm::Sha256).unwrap()
    } else {
        settings
    }
}

/// Signs a PUT of `body` (sent in 10,000-byte frames) and returns the request.
fn signed_put(
    addr: SocketAddr,
    mode: StreamingMode,
    body: &[u8],
) -> http::Request<ChunkedBody<Inner>> {
    let settings = settings(mode);
    let mut head = http::Request::put(format!("http://{addr}/bucket/key"))
        .body(())
        .unwrap();
    let signer = SigV4aSigner::new("us-east-1,us-west-2", "s3").unwrap();
    let enc = chunked::sign_http_request_sigv4a(
        &signer,
        &mut head,
        settings,
        body.len() as u64,
        &creds(),
        SystemTime::now(),
    )
    .unwrap();
    let frames: Vec<Result<Frame<Bytes>, BoxError>> = body
        .chunks(10_000)
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    let (parts, ()) = head.into_parts();
    http::Request::from_parts(
        parts,
        ChunkedBody::new(StreamBody::new(futures_util::stream::iter(frames)), enc),
    )
}

async fn send<B>(req: http::Request<B>) -> (u16, String)
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    let client = Client::builder(TokioExecutor::new()).build_http();
    let resp = client.request(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn sigv4a_streaming_uploads_verify_at_a_local_server() {
    run(async {
        let addr = serve().await;
        let body: Vec<u8> = (0..150_000u32).map(|i| (i % 253) as u8).collect();
        let want = sigv4::sha256_hex(&body);
        for mode in [StreamingMode::Signed, StreamingMode::SignedWithTrailer] {
            let req = signed_put(addr, mode, &body);
            assert_eq!(
                req.headers()["content-length"],
                settings(mode).encoded_length(body.len() as u64).to_string()
            );
            assert_eq!(send(req).await, (200, want.clone()), "{mode:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_body_altered_in_transit_is_refused() {
    run(async {
        let addr = serve().await;
        let body = vec![b'q'; 70_000];
        let req = signed_put(addr, StreamingMode::SignedWithTrailer, &body);
        let (parts, chunked_body) = req.into_parts();
        // A middlebox changes one data byte of the second chunk.
        let mut encoded = chunked_body.collect().await.unwrap().to_bytes().to_vec();
        let at = encoded.len() / 2;
        encoded[at] ^= 0x20;
        let frames = vec![Ok::<_, Infallible>(Frame::data(Bytes::from(encoded)))];
        let req =
            http::Request::from_parts(parts, StreamBody::new(futures_util::stream::iter(frames)));
        let (status, text) = send(req).await;
        assert_eq!(status, 403, "{text}");
        // One chunk error for SigV4 and SigV4a (`ChunkVerifyError::ChunkSignatureMismatch`).
        assert!(
            text.contains("the signature of chunk") && text.contains("does not match"),
            "{text}"
        );

        // And a request whose headers were changed after signing never gets to the body.
        let mut req = signed_put(addr, StreamingMode::Signed, &body);
        req.headers_mut().insert(
            "x-amz-decoded-content-length",
            http::HeaderValue::from_static("69999"),
        );
        let (status, text) = send(req).await;
        assert_eq!(
            (status, text.as_str()),
            (403, "the request signature does not verify")
        );
    })
    .await;
}
