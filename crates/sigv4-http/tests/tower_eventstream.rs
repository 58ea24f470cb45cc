//! Signed event streams through the verifying tower layer: an axum server on 127.0.0.1
//! (started by each test) behind `VerifyLayer`, and a hyper client sending an
//! `EventStreamBody`. The handler reads plain event-stream messages and only ever sees
//! verified ones; a forged, reordered or truncated stream fails the body it reads, and a
//! bad request signature never reaches it.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::eventstream::{self, EventStreamSigner, FrameDecoder, Header, HeaderValue, Message};
use sigv4::verify::Verifier;
use sigv4::{Credentials, Signer};
use sigv4_http::eventstream::EventStreamBody;
use sigv4_http::tower::{KeyEntry, StaticKeys, VerifiedIdentity, VerifyLayer};

const REGION: &str = "us-east-1";
const SERVICE: &str = "transcribe";

fn creds() -> Credentials {
    Credentials::new("AKIDSTREAMER", "event/stream+secret", None, None)
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test timed out");
}

fn audio(i: u8) -> Message {
    Message::new(vec![i; 1000 + usize::from(i) * 700])
        .with_header(Header::new(
            ":event-type",
            HeaderValue::String("AudioEvent".into()),
        ))
        .with_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
}

/// The service behind `VerifyLayer`: it decodes its body as plain event-stream messages
/// and answers with their sizes (200), or with what it had seen and the body's error (400).
/// The counter tells how many requests reached it.
async fn serve() -> (SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let handler = move |req: Request| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let id = req.extensions().get::<VerifiedIdentity>().cloned().unwrap();
            assert!(id.body_signed);
            assert_eq!(id.access_key_id, "AKIDSTREAMER");
            // The envelopes' length is not the length of what the handler reads.
            assert!(req.headers().get("content-length").is_none());
            let mut body = req.into_body();
            let mut decoder = FrameDecoder::new();
            let mut seen = Vec::new();
            while let Some(frame) = body.frame().await {
                let data = match frame {
                    Ok(f) => f.into_data().unwrap_or_default(),
                    Err(e) => {
                        return (
                            http::StatusCode::BAD_REQUEST,
                            format!("after {}: {e}", seen.join(",")),
                        )
                    }
                };
                let mut input: &[u8] = &data;
                while let Some(m) = decoder.decode(&mut input).unwrap() {
                    // No envelope: the verified message itself.
                    assert!(m.header(eventstream::CHUNK_SIGNATURE_HEADER).is_none());
                    assert_eq!(
                        m.header(":event-type").and_then(HeaderValue::as_str),
                        Some("AudioEvent")
                    );
                    seen.push(format!("{}x{}", m.payload.len(), m.payload[0]));
                }
            }
            decoder.finish().unwrap();
            (http::StatusCode::OK, seen.join(","))
        }
    };
    let layer = VerifyLayer::new(
        Verifier::new(REGION, SERVICE).unwrap(),
        StaticKeys::new().with_key(KeyEntry::new(creds())),
    )
    .for_axum();
    let app = Router::new().fallback(handler).layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, calls)
}

fn opening_request(addr: SocketAddr, c: &Credentials) -> (http::Request<()>, EventStreamSigner) {
    let mut head = http::Request::post(format!("http://{addr}/stream-transcription"))
        .header("content-type", "application/vnd.amazon.eventstream")
        .header("x-amzn-transcribe-language-code", "en-US")
        .body(())
        .unwrap();
    let signer = Signer::new(REGION, SERVICE).unwrap();
    let chain = eventstream::sign_http_request(&signer, &mut head, c, SystemTime::now()).unwrap();
    (head, chain)
}

const EXPECTED: &str = "1000x0,1700x1,2400x2";

async fn text(resp: http::Response<hyper::body::Incoming>) -> (u16, String) {
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_signed_event_stream_reaches_the_handler_verified() {
    run(async {
        let (addr, calls) = serve().await;
        let (head, chain) = opening_request(addr, &creds());
        let source = futures_util::stream::unfold(0u8, |i| async move {
            if i == 3 {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((Ok::<_, Infallible>(audio(i)), i + 1))
        });
        let body = EventStreamBody::new(source, chain);
        let client = Client::builder(TokioExecutor::new()).build_http();
        let (parts, ()) = head.into_parts();
        let resp = client
            .request(http::Request::from_parts(parts, body))
            .await
            .unwrap();
        assert_eq!(text(resp).await, (200, EXPECTED.to_owned()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    })
    .await;
}

/// Sends raw envelope frames (as a proxy or attacker could rearrange them).
async fn send_frames(head: http::Request<()>, frames: Vec<Vec<u8>>) -> (u16, String) {
    let stream = futures_util::stream::iter(
        frames
            .into_iter()
            .map(|f| Ok::<_, Infallible>(Frame::data(Bytes::from(f)))),
    );
    let client = Client::builder(TokioExecutor::new()).build_http();
    let (parts, ()) = head.into_parts();
    let resp = client
        .request(http::Request::from_parts(parts, StreamBody::new(stream)))
        .await
        .unwrap();
    text(resp).await
}

/// The envelopes of three messages and the end, signed for `chain`.
fn envelopes(mut chain: EventStreamSigner) -> Vec<Vec<u8>> {
    let now = SystemTime::now();
    let mut out: Vec<Vec<u8>> = (0..3)
        .map(|i| chain.sign(&audio(i), now).unwrap().encode().unwrap())
        .collect();
    out.push(chain.sign_end(now).unwrap().encode().unwrap());
    out
}

#[tokio::test]
async fn forged_reordered_and_truncated_streams_fail_behind_the_layer() {
    run(async {
        let (addr, calls) = serve().await;

        // In order, split at odd places: accepted.
        let (head, chain) = opening_request(addr, &creds());
        let all: Vec<u8> = envelopes(chain).concat();
        let pieces: Vec<Vec<u8>> = all.chunks(333).map(<[u8]>::to_vec).collect();
        assert_eq!(send_frames(head, pieces).await, (200, EXPECTED.to_owned()));

        // Reordered: the handler sees only the verified message before the swap.
        let (head, chain) = opening_request(addr, &creds());
        let mut e = envelopes(chain);
        e.swap(1, 2);
        let (status, body) = send_frames(head, e).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body.starts_with("after 1000x0: ")
                && body.contains("signature of message 1 does not match"),
            "{body}"
        );

        // Truncated: the end-of-stream message dropped.
        let (head, chain) = opening_request(addr, &creds());
        let mut e = envelopes(chain);
        e.pop();
        let (status, body) = send_frames(head, e).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.starts_with("after 1000x0,1700x1,2400x2: "), "{body}");
        assert!(
            body.contains("without its signed end-of-stream message"),
            "{body}"
        );

        // Forged: messages signed with another secret, chained from the real signature.
        let (head, chain) = opening_request(addr, &creds());
        let forger = EventStreamSigner::new(
            &Credentials::new("AKIDSTREAMER", "not the secret", None, None),
            REGION,
            SERVICE,
            chain.previous_signature(),
        )
        .unwrap();
        let (status, body) = send_frames(head, envelopes(forger)).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body.starts_with("after : ") && body.contains("signature of message 0 does not match"),
            "{body}"
        );

        // One altered byte in a message's payload.
        let (head, chain) = opening_request(addr, &creds());
        let mut e = envelopes(chain);
        let msg = Message::decode(&e[1]).unwrap();
        let mut inner = Message::decode(&msg.payload).unwrap();
        inner.payload[10] ^= 1;
        let mut altered = msg.clone();
        altered.payload = inner.encode().unwrap();
        e[1] = altered.encode().unwrap();
        let (status, body) = send_frames(head, e).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.starts_with("after 1000x0: "), "{body}");
        assert_eq!(calls.load(Ordering::SeqCst), 5);

        // A request signed with the wrong secret never reaches the handler.
        let bad = Credentials::new("AKIDSTREAMER", "wrong", None, None);
        let (head, chain) = opening_request(addr, &bad);
        let (status, body) = send_frames(head, envelopes(chain)).await;
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("SignatureDoesNotMatch"), "{body}");
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    })
    .await;
}
