//! Signed event streams over real HTTP: clients (hyper, reqwest) send `EventStreamBody`
//! to an axum server on 127.0.0.1 (started by each test) that checks the opening request
//! with `verify_request`, then reads the body through the `VerifiedEventStreamBody` it returns. Forged, reordered,
//! truncated and replayed streams are refused; every message the handler sees verified.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::eventstream::{self, EventStreamSigner, Header, HeaderValue, Message};
use sigv4::{Credentials, Signer};
use sigv4_credentials::FixedClock;
use sigv4_http::eventstream::{verify_request, EventStreamBody, EventStreamError};

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

/// The service: 403 for a bad request signature; otherwise the verified messages'
/// payload sizes, or 400 with the error at the first refused message.
async fn serve() -> SocketAddr {
    let handler = |req: Request| async move {
        let clock = Arc::new(FixedClock(SystemTime::now()));
        let req = match verify_request(req, &creds(), clock, Duration::from_secs(300)) {
            Ok(r) => r,
            Err(e) => return (http::StatusCode::FORBIDDEN, e.to_string()),
        };
        let mut messages = req.into_body();
        let mut seen = Vec::new();
        while let Some(m) = messages.next_message().await {
            match m {
                Ok(m) => {
                    assert_eq!(
                        m.header(":event-type").and_then(HeaderValue::as_str),
                        Some("AudioEvent")
                    );
                    seen.push(format!("{}x{}", m.payload.len(), m.payload[0]));
                }
                Err(e) => {
                    return (
                        http::StatusCode::BAD_REQUEST,
                        format!("after {}: {e}", seen.join(",")),
                    )
                }
            }
        }
        (http::StatusCode::OK, seen.join(","))
    };
    let app = Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

fn opening_request(addr: SocketAddr) -> (http::Request<()>, EventStreamSigner) {
    let mut head = http::Request::post(format!("http://{addr}/stream-transcription"))
        .header("content-type", "application/vnd.amazon.eventstream")
        .header("x-amzn-transcribe-language-code", "en-US")
        .body(())
        .unwrap();
    let signer = Signer::new(REGION, SERVICE).unwrap();
    let chain =
        eventstream::sign_http_request(&signer, &mut head, &creds(), SystemTime::now()).unwrap();
    (head, chain)
}

/// Three messages, delivered one by one with pauses (a live source).
fn live_audio() -> impl futures_util::Stream<Item = Result<Message, Infallible>> {
    futures_util::stream::unfold(0u8, |i| async move {
        if i == 3 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        Some((Ok(audio(i)), i + 1))
    })
}

const EXPECTED: &str = "1000x0,1700x1,2400x2";

async fn text(resp: http::Response<hyper::body::Incoming>) -> (u16, String) {
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn hyper_client_streams_signed_events_to_a_verifying_server() {
    run(async {
        let addr = serve().await;
        let (head, chain) = opening_request(addr);
        let body = EventStreamBody::new(live_audio(), chain);
        let client = Client::builder(TokioExecutor::new()).build_http();
        let (parts, ()) = head.into_parts();
        let resp = client
            .request(http::Request::from_parts(parts, body))
            .await
            .unwrap();
        assert_eq!(text(resp).await, (200, EXPECTED.to_owned()));
    })
    .await;
}

#[tokio::test]
async fn reqwest_client_streams_signed_events_to_a_verifying_server() {
    run(async {
        let addr = serve().await;
        let (head, chain) = opening_request(addr);
        let (parts, ()) = head.into_parts();
        let body = reqwest::Body::wrap(EventStreamBody::new(live_audio(), chain));
        let req = reqwest::Request::try_from(http::Request::from_parts(parts, body)).unwrap();
        let resp = reqwest::Client::new().execute(req).await.unwrap();
        let status = resp.status().as_u16();
        assert_eq!(
            (status, resp.text().await.unwrap()),
            (200, EXPECTED.to_owned())
        );
    })
    .await;
}

/// An application's shared middleware client sends the event stream it signed itself as it
/// is: the middleware does not sign it again (which would break the messages' chain).
#[tokio::test]
async fn a_shared_middleware_client_passes_signed_event_streams_through() {
    run(async {
        let addr = serve().await;
        let signer = sigv4_http::RequestSigner::from_static(creds())
            .with_service(SERVICE)
            .with_region(REGION);
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(sigv4_http::reqwest::SigV4Middleware::new(signer))
            .build();
        let (head, chain) = opening_request(addr);
        let sent_auth = head.headers()["authorization"].clone();
        let (parts, ()) = head.into_parts();
        let body = reqwest::Body::wrap(EventStreamBody::new(live_audio(), chain));
        let req = reqwest::Request::try_from(http::Request::from_parts(parts, body)).unwrap();
        assert_eq!(req.headers()["authorization"], sent_auth);
        let resp = client.execute(req).await.unwrap();
        let status = resp.status().as_u16();
        assert_eq!(
            (status, resp.text().await.unwrap()),
            (200, EXPECTED.to_owned())
        );
        // The same client still signs ordinary requests (the server refuses them as they are
        // not event streams, but only after reading their signature).
        let resp = client
            .post(format!("http://{addr}/other"))
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 403);
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
async fn forged_reordered_truncated_and_replayed_streams_are_refused() {
    run(async {
        let addr = serve().await;

        // In order, split at odd places: accepted.
        let (head, chain) = opening_request(addr);
        let all: Vec<u8> = envelopes(chain).concat();
        let pieces: Vec<Vec<u8>> = all.chunks(333).map(<[u8]>::to_vec).collect();
        assert_eq!(send_frames(head, pieces).await, (200, EXPECTED.to_owned()));

        // Reordered: refused at the first message out of place; the handler saw only
        // the verified one before it.
        let (head, chain) = opening_request(addr);
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
        let (head, chain) = opening_request(addr);
        let mut e = envelopes(chain);
        e.pop();
        let (status, body) = send_frames(head, e).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body.contains("without its signed end-of-stream message"),
            "{body}"
        );

        // Replayed: another stream's (validly signed) messages under a new request.
        let (_, old_chain) = opening_request(addr);
        let old = envelopes(old_chain);
        tokio::time::sleep(Duration::from_millis(1100)).await; // a different x-amz-date
        let (head, _) = opening_request(addr);
        let (status, body) = send_frames(head, old).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body.contains("signature of message 0 does not match"),
            "{body}"
        );

        // Forged: signed with another secret.
        let (head, chain) = opening_request(addr);
        let forger = EventStreamSigner::new(
            &Credentials::new("AKIDSTREAMER", "not the secret", None, None),
            REGION,
            SERVICE,
            chain.previous_signature(),
        )
        .unwrap();
        let (status, body) = send_frames(head, envelopes(forger)).await;
        assert_eq!(status, 400, "{body}");

        // Garbage instead of frames.
        let (head, _) = opening_request(addr);
        let (status, body) = send_frames(head, vec![b"hello, not a frame at all".to_vec()]).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("malformed"), "{body}");

        // Data after the end-of-stream message.
        let (head, chain) = opening_request(addr);
        let mut e = envelopes(chain);
        e.push(e[0].clone());
        let (status, body) = send_frames(head, e).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("follows the end"), "{body}");

        // A request signed with the wrong secret never reaches the body.
        let mut head = http::Request::post(format!("http://{addr}/stream-transcription"))
            .body(())
            .unwrap();
        let bad = Credentials::new("AKIDSTREAMER", "wrong", None, None);
        let chain = eventstream::sign_http_request(
            &Signer::new(REGION, SERVICE).unwrap(),
            &mut head,
            &bad,
            SystemTime::now(),
        )
        .unwrap();
        let (status, body) = send_frames(head, envelopes(chain)).await;
        assert_eq!(
            (status, body.as_str()),
            (403, "the request signature does not match")
        );
    })
    .await;
}

#[tokio::test]
async fn a_failing_source_ends_the_body_with_its_error() {
    run(async {
        let (_, chain) = opening_request("127.0.0.1:9".parse().unwrap());
        let source = futures_util::stream::iter(vec![
            Ok(audio(0)),
            Err(std::io::Error::other("microphone unplugged")),
        ]);
        let mut body = EventStreamBody::new(source, chain);
        let first = body.frame().await.unwrap().unwrap();
        assert!(first.is_data());
        match body.frame().await {
            Some(Err(EventStreamError::Source(e))) => assert!(e.to_string().contains("unplugged")),
            other => panic!("{other:?}"),
        }
        assert!(body.frame().await.is_none());
    })
    .await;
}
