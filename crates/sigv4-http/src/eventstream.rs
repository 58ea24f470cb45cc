//! Signed event-stream bodies (feature `event-stream`): [`EventStreamBody`] turns a stream
//! of messages into the signed `application/vnd.amazon.eventstream` body a client sends
//! (for reqwest with `reqwest::Body::wrap`, for hyper directly), and
//! [`VerifiedEventStreamBody`] is the server side: it decodes the envelopes of a request
//! body, verifies their signature chain and yields only verified messages.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use std::time::SystemTime;
//! use http_body_util::BodyExt;
//! use sigv4::eventstream::{self, EventStreamVerifier, Header, HeaderValue, Message};
//! use sigv4::{Credentials, Signer};
//! use sigv4_http::eventstream::{EventStreamBody, VerifiedEventStreamBody};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
//! let url = "https://transcribestreaming.us-east-1.amazonaws.com/stream-transcription";
//! let mut head = http::Request::post(url)
//!     .header("content-type", "application/vnd.amazon.eventstream")
//!     .body(())?;
//! // Sign the opening request; its signature seeds the messages' chain.
//! let transcribe = Signer::new("us-east-1", "transcribe")?;
//! let signer = eventstream::sign_http_request(&transcribe, &mut head, &creds, SystemTime::now())?;
//! let seed = signer.previous_signature().to_owned();
//! let audio = futures_util::stream::iter((0..3).map(|i| {
//!     Ok::<_, std::io::Error>(Message::new(vec![i; 3200])
//!         .with_header(Header::new(":event-type", HeaderValue::String("AudioEvent".into()))))
//! }));
//! // The request body: with reqwest, `reqwest::Body::wrap(body)`; with hyper, as it is.
//! let body = EventStreamBody::new(audio, signer);
//!
//! // What the service does with the bytes it receives.
//! let verifier = EventStreamVerifier::new(&creds, "us-east-1", "transcribe", &seed)?;
//! let mut received = VerifiedEventStreamBody::new(body, verifier);
//! let mut n = 0;
//! while let Some(message) = received.next_message().await {
//!     assert_eq!(message?.payload, vec![n; 3200]);
//!     n += 1;
//! }
//! assert_eq!(n, 3);
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use futures_core::Stream;
use http_body::{Body, Frame};
use sigv4::eventstream::{
    EventSigningError, EventStreamSigner, EventStreamVerifier, EventVerifyError, FrameDecoder,
    FrameError, Message, VerifiedEvent,
};
use sigv4::verify::OpeningRequestError;
use sigv4::Credentials;
use sigv4_credentials::{SystemClock, TimeSource};

use crate::BoxError;

/// Why a signed event-stream body failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum EventStreamError {
    /// A message could not be signed (or encoded).
    Signing(EventSigningError),
    /// The bytes are not event-stream frames.
    Frame(FrameError),
    /// A message's signature (or date) was refused.
    Verify(EventVerifyError),
    /// The body ended without the signed end-of-stream message: it may have been cut.
    MissingEnd,
    /// The body produced more data after the end-of-stream message.
    DataAfterEnd,
    /// The message stream or the inner body failed.
    Source(BoxError),
}

impl fmt::Display for EventStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventStreamError::Signing(e) => {
                write!(f, "could not sign an event-stream message: {e}")
            }
            EventStreamError::Frame(e) => write!(f, "the event stream is malformed: {e}"),
            EventStreamError::Verify(e) => write!(f, "an event-stream message was refused: {e}"),
            EventStreamError::MissingEnd => {
                f.write_str("the event stream ended without its signed end-of-stream message")
            }
            EventStreamError::DataAfterEnd => f.write_str("data follows the end-of-stream message"),
            EventStreamError::Source(e) => write!(f, "the event stream's source failed: {e}"),
        }
    }
}

/// The message includes the cause's; `source` reports only what it does not say.
impl std::error::Error for EventStreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let cause: &(dyn std::error::Error + 'static) = match self {
            EventStreamError::Signing(e) => e,
            EventStreamError::Frame(e) => e,
            EventStreamError::Verify(e) => e,
            EventStreamError::Source(e) => &**e,
            _ => return None,
        };
        sigv4::error_chain::unshown_source(&self.to_string(), cause)
    }
}

impl From<EventSigningError> for EventStreamError {
    fn from(e: EventSigningError) -> Self {
        EventStreamError::Signing(e)
    }
}

impl From<FrameError> for EventStreamError {
    fn from(e: FrameError) -> Self {
        EventStreamError::Frame(e)
    }
}

impl From<EventVerifyError> for EventStreamError {
    fn from(e: EventVerifyError) -> Self {
        EventStreamError::Verify(e)
    }
}

/// A signed event-stream request body: each message of `messages` is signed as it comes
/// (with the time of the [`TimeSource`], the system clock by default) and sent as one
/// envelope frame; when the stream ends, the signed end-of-stream message follows.
///
/// Memory is one message at a time. The body's length is unknown, so it is sent with
/// chunked transfer encoding (HTTP/1.1) or as DATA frames (HTTP/2).
pub struct EventStreamBody<S> {
    messages: Pin<Box<S>>,
    signer: EventStreamSigner,
    time: Arc<dyn TimeSource>,
    done: bool,
}

impl<S> fmt::Debug for EventStreamBody<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStreamBody")
            .field("signer", &self.signer)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<S> EventStreamBody<S> {
    /// Signs `messages` with `signer` (from `sigv4::eventstream::sign_http_request`, or
    /// seeded with the opening request's signature).
    pub fn new(messages: S, signer: EventStreamSigner) -> Self {
        EventStreamBody {
            messages: Box::pin(messages),
            signer,
            time: Arc::new(SystemClock),
            done: false,
        }
    }

    /// Takes signing times from `time` instead of the system clock.
    pub fn with_time_source(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.time = time;
        self
    }

    /// The signer (for the last signature).
    pub fn signer(&self) -> &EventStreamSigner {
        &self.signer
    }
}

impl<S, E> Body for EventStreamBody<S>
where
    S: Stream<Item = Result<Message, E>>,
    E: Into<BoxError>,
{
    type Data = Bytes;
    type Error = EventStreamError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, EventStreamError>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let envelope = match this.messages.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                return Poll::Ready(Some(Err(EventStreamError::Source(e.into()))));
            }
            Poll::Ready(Some(Ok(message))) => this.signer.sign(&message, this.time.now()),
            Poll::Ready(None) => {
                this.done = true;
                this.signer.sign_end(this.time.now())
            }
        };
        let frame = envelope
            .map_err(EventStreamError::from)
            .and_then(|env| env.encode().map_err(EventStreamError::from));
        if frame.is_err() {
            this.done = true;
        }
        Poll::Ready(Some(frame.map(|f| Frame::data(Bytes::from(f)))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// A verifying event-stream request body: reads the envelope frames of `inner`, checks
/// each signature with `verifier` (chained from the opening request's signature), and
/// yields each verified message as one data frame holding its encoded frame (or, with
/// [`next_message`](Self::next_message), as a decoded [`Message`]). It fails at the first
/// bad frame or signature and when the body ends without the signed end-of-stream message,
/// so a handler never acts on a forged, reordered or truncated stream.
pub struct VerifiedEventStreamBody<B> {
    inner: Pin<Box<B>>,
    decoder: FrameDecoder,
    verifier: EventStreamVerifier,
    ready: VecDeque<Message>,
    clock: Option<Arc<dyn TimeSource>>,
    inner_done: bool,
    failed: bool,
}

impl<B> fmt::Debug for VerifiedEventStreamBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedEventStreamBody")
            .field("verifier", &self.verifier)
            .field("ready", &self.ready.len())
            .field("inner_done", &self.inner_done)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<B> VerifiedEventStreamBody<B> {
    /// Verifies `inner` with `verifier`.
    pub fn new(inner: B, verifier: EventStreamVerifier) -> Self {
        VerifiedEventStreamBody {
            inner: Box::pin(inner),
            decoder: FrameDecoder::new(),
            verifier,
            ready: VecDeque::new(),
            clock: None,
            inner_done: false,
            failed: false,
        }
    }

    /// Refuses messages dated more than `max_skew` from `clock`'s time (services: 5 minutes).
    pub fn with_max_skew(mut self, clock: Arc<dyn TimeSource>, max_skew: Duration) -> Self {
        self.verifier = self.verifier.with_max_skew(clock.now(), max_skew);
        self.clock = Some(clock);
        self
    }

    /// Uses `decoder` (for its size limits) instead of the default one.
    pub fn with_decoder(mut self, decoder: FrameDecoder) -> Self {
        self.decoder = decoder;
        self
    }

    /// How many envelopes were verified (the end-of-stream message included).
    pub fn verified_count(&self) -> u64 {
        self.verifier.verified_count()
    }
}

impl<B> VerifiedEventStreamBody<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    /// The next verified message; `None` after the verified end of the stream.
    pub async fn next_message(&mut self) -> Option<Result<Message, EventStreamError>> {
        poll_fn(|cx| self.poll_message(cx)).await
    }

    /// Polls for the next verified message.
    pub fn poll_message(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, EventStreamError>>> {
        loop {
            if let Some(m) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(m)));
            }
            if self.failed || self.inner_done {
                return Poll::Ready(None);
            }
            match self.inner.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    return self.fail(EventStreamError::Source(e.into()));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(mut data) = frame.into_data() else {
                        continue; // trailers carry nothing for event streams
                    };
                    while data.has_remaining() {
                        let chunk = data.chunk();
                        let n = chunk.len();
                        if let Err(e) = self.accept(chunk) {
                            return self.fail(e);
                        }
                        data.advance(n);
                    }
                }
                Poll::Ready(None) => {
                    self.inner_done = true;
                    if let Err(e) = self.decoder.finish() {
                        return self.fail(e.into());
                    }
                    if !self.verifier.is_ended() {
                        return self.fail(EventStreamError::MissingEnd);
                    }
                }
            }
        }
    }

    fn accept(&mut self, mut input: &[u8]) -> Result<(), EventStreamError> {
        while !input.is_empty() {
            let Some(envelope) = self.decoder.decode(&mut input)? else {
                break;
            };
            if self.verifier.is_ended() {
                return Err(EventStreamError::DataAfterEnd);
            }
            if let Some(clock) = &self.clock {
                self.verifier.set_now(clock.now());
            }
            match self.verifier.verify(&envelope)? {
                VerifiedEvent::Message(m) => self.ready.push_back(m),
                VerifiedEvent::End => {}
            }
        }
        if !input.is_empty() || (self.verifier.is_ended() && self.decoder.is_mid_frame()) {
            return Err(EventStreamError::DataAfterEnd);
        }
        Ok(())
    }

    fn fail<T>(&mut self, e: EventStreamError) -> Poll<Option<Result<T, EventStreamError>>> {
        self.failed = true;
        self.ready.clear();
        Poll::Ready(Some(Err(e)))
    }
}

impl<B> Body for VerifiedEventStreamBody<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = EventStreamError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, EventStreamError>>> {
        let this = self.get_mut();
        match this.poll_message(cx) {
            Poll::Ready(Some(Ok(m))) => Poll::Ready(Some(
                m.encode()
                    .map(|f| Frame::data(Bytes::from(f)))
                    .map_err(EventStreamError::from),
            )),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ready.is_empty() && (self.failed || self.inner_done)
    }
}

/// Verifies a request that opens a signed event stream (its `Authorization`, date and
/// `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-EVENTS`, with `credentials`, the
/// server's copy of the signer's key) and returns it with its body wrapped in a
/// [`VerifiedEventStreamBody`] seeded with the request's signature, checking each
/// message's date against `clock` within `max_skew`.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use sigv4::Credentials;
/// use sigv4_credentials::SystemClock;
/// use sigv4_http::eventstream::verify_request;
///
/// async fn handler(req: http::Request<http_body_util::Full<bytes::Bytes>>) -> http::StatusCode {
///     let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
///     let Ok(req) = verify_request(req, &creds, Arc::new(SystemClock), Duration::from_secs(300)) else {
///         return http::StatusCode::FORBIDDEN;
///     };
///     let mut body = req.into_body();
///     while let Some(message) = body.next_message().await {
///         let Ok(_message) = message else { return http::StatusCode::BAD_REQUEST };
///     }
///     http::StatusCode::OK
/// }
/// ```
pub fn verify_request<B>(
    request: http::Request<B>,
    credentials: &Credentials,
    clock: Arc<dyn TimeSource>,
    max_skew: Duration,
) -> Result<http::Request<VerifiedEventStreamBody<B>>, OpeningRequestError> {
    let verifier =
        sigv4::verify::verify_opening_request(&request, credentials, clock.now(), max_skew)?;
    Ok(request
        .map(|body| VerifiedEventStreamBody::new(body, verifier).with_max_skew(clock, max_skew)))
}
