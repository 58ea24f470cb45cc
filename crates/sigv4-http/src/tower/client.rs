//! The client layer: signs every request, buffering, streaming or aws-chunk-encoding the
//! body as the signer's policy says.
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::Request;
use http_body::{Body, Frame, SizeHint};

use sigv4::chunked::{ChunkEncoder, ChunkedBody};
use sigv4::Payload;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{Boxed, Metered, UploadProgress};
use crate::signer::StreamingChoice;
use crate::{BoxError, Error, RequestSigner};

use super::{collect_limited, BoxFuture, DEFAULT_MAX_BUFFERED_BODY};

/// The body of a request signed by [`SignService`]: the buffered bytes that were hashed,
/// the original stream (`UNSIGNED-PAYLOAD`), or its aws-chunked encoding.
pub struct SignedBody<B> {
    kind: SignedKind<B>,
}

enum SignedKind<B> {
    Full(Option<Bytes>),
    Stream(Metered<Boxed<B>>),
    Chunked(Metered<Boxed<ChunkedBody<Boxed<B>>>>),
}

impl<B> Default for SignedBody<B> {
    /// An empty body.
    fn default() -> Self {
        SignedBody {
            kind: SignedKind::Full(None),
        }
    }
}

impl<B> SignedBody<B> {
    fn full(bytes: Bytes) -> Self {
        SignedBody {
            kind: SignedKind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    /// Whether the body was buffered (and its hash signed).
    pub fn is_buffered(&self) -> bool {
        matches!(self.kind, SignedKind::Full(_))
    }

    /// Whether the body is sent aws-chunked.
    pub fn is_aws_chunked(&self) -> bool {
        matches!(self.kind, SignedKind::Chunked(_))
    }

    /// What a streamed body has sent so far.
    fn progress(&self) -> Option<Arc<UploadProgress>> {
        match &self.kind {
            SignedKind::Full(_) => None,
            SignedKind::Stream(m) => Some(Arc::clone(m.progress())),
            SignedKind::Chunked(m) => Some(Arc::clone(m.progress())),
        }
    }
}

impl<B> fmt::Debug for SignedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            SignedKind::Full(b) => format!("Full({} bytes)", b.as_ref().map_or(0, Bytes::len)),
            SignedKind::Stream(_) => "Stream".into(),
            SignedKind::Chunked(_) => "AwsChunked".into(),
        };
        f.debug_struct("SignedBody").field("kind", &kind).finish()
    }
}

impl<B> Body for SignedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            SignedKind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            SignedKind::Stream(s) => Pin::new(s).poll_frame(cx),
            SignedKind::Chunked(c) => Pin::new(c).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            SignedKind::Full(b) => b.is_none(),
            SignedKind::Stream(s) => s.is_end_stream(),
            SignedKind::Chunked(c) => c.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            SignedKind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            SignedKind::Stream(s) => s.size_hint(),
            SignedKind::Chunked(c) => c.size_hint(),
        }
    }
}

/// The body of a response through [`SignService`]: the inner service's body, or, for a
/// `400`/`403` read to learn the server's clock offset (clock-skew correction on), its
/// bytes.
pub struct ResponseBody<B> {
    kind: ResponseKind<B>,
}

enum ResponseKind<B> {
    Inner(Pin<Box<B>>),
    Read(Option<Bytes>),
}

impl<B> ResponseBody<B> {
    fn inner(body: B) -> Self {
        ResponseBody {
            kind: ResponseKind::Inner(Box::pin(body)),
        }
    }

    fn read(bytes: Bytes) -> Self {
        ResponseBody {
            kind: ResponseKind::Read((!bytes.is_empty()).then_some(bytes)),
        }
    }
}

impl<B> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            ResponseKind::Inner(_) => "Inner".to_owned(),
            ResponseKind::Read(b) => format!("Read({} bytes)", b.as_ref().map_or(0, Bytes::len)),
        };
        f.debug_struct("ResponseBody").field("kind", &kind).finish()
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            ResponseKind::Inner(b) => b.as_mut().poll_frame(cx).map_err(Into::into),
            ResponseKind::Read(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            ResponseKind::Inner(b) => b.is_end_stream(),
            ResponseKind::Read(b) => b.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            ResponseKind::Inner(b) => b.size_hint(),
            ResponseKind::Read(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
        }
    }
}

/// A [`Layer`] that signs every request with a [`RequestSigner`].
///
/// The body decides how the payload is signed:
///
/// * a body of known size up to the buffer limit
///   ([`with_max_buffered_body`](Self::with_max_buffered_body), default
///   [`DEFAULT_MAX_BUFFERED_BODY`]) is read into memory and its SHA-256 signed;
/// * any other body follows the signer's [`crate::StreamingBodies`] policy: streamed as
///   `UNSIGNED-PAYLOAD` (S3 by default), encoded aws-chunked, or, for services that need
///   the payload hash, read up to the limit and hashed ([`Error::BodyTooLarge`] beyond).
///
/// The inner service receives `Request<SignedBody<B>>` and answers `http::Response`s,
/// handed back with a [`ResponseBody`]. Errors are [`Error`]s: signing failures, or
/// [`Error::Service`] wrapping the inner service's error.
///
/// With [`RequestSigner::with_clock_skew`], a `400`/`403` answer is read to see whether
/// the server refused the request's time; if it did, the offset is learned for the
/// endpoint and a buffered request is signed at the server's time and sent once more (a
/// streamed one cannot be sent twice: later requests are signed at the corrected time).
#[derive(Clone, Debug)]
pub struct SignLayer {
    signer: Arc<RequestSigner>,
    max_buffer: usize,
}

impl SignLayer {
    /// Signs with `signer`.
    pub fn new(signer: RequestSigner) -> Self {
        Self::from_shared(Arc::new(signer))
    }

    /// Signs with a signer shared with other integrations.
    pub fn from_shared(signer: Arc<RequestSigner>) -> Self {
        SignLayer {
            signer,
            max_buffer: DEFAULT_MAX_BUFFERED_BODY,
        }
    }

    /// The largest body read into memory to hash it.
    pub fn with_max_buffered_body(mut self, limit: usize) -> Self {
        self.max_buffer = limit;
        self
    }
}

impl<S> Layer<S> for SignLayer {
    type Service = SignService<S>;

    fn layer(&self, inner: S) -> SignService<S> {
        SignService {
            inner,
            signer: Arc::clone(&self.signer),
            max_buffer: self.max_buffer,
        }
    }
}

/// The service of [`SignLayer`].
#[derive(Clone, Debug)]
pub struct SignService<S> {
    inner: S,
    signer: Arc<RequestSigner>,
    max_buffer: usize,
}

impl<S> SignService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, B, RB> Service<Request<B>> for SignService<S>
where
    S: Service<Request<SignedBody<B>>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    type Response = http::Response<ResponseBody<RB>>;
    type Error = Error;
    type Future = BoxFuture<Result<Self::Response, Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| Error::Service(e.into()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // The clone is not the service that was polled ready: swap so the ready one is used.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let signer = Arc::clone(&self.signer);
        let max = self.max_buffer;
        Box::pin(async move {
            // With clock-skew correction on, a buffered request can be signed and sent
            // again after a clock-skew refusal (a streamed one only teaches the offset).
            let head = signer.clock_skew().map(|_| {
                let mut head = Request::new(());
                *head.method_mut() = req.method().clone();
                *head.uri_mut() = req.uri().clone();
                *head.version_mut() = req.version();
                *head.headers_mut() = req.headers().clone();
                head
            });
            let url = crate::signer::request_url(req.headers(), req.uri())?.0;
            let signed = sign_request(&signer, req, max).await?;
            let again = match (head, &signed.body().kind) {
                (Some(head), SignedKind::Full(bytes)) => {
                    Some(head.map(|()| bytes.clone().unwrap_or_default()))
                }
                _ => None,
            };
            let progress = signed.body().progress();
            let response = match inner.call(signed).await {
                Ok(r) => r,
                // A streamed body not sent whole: say so (the length was wrong, or the
                // server stopped reading) rather than report the connection's error alone.
                Err(e) => {
                    let e: BoxError = e.into();
                    return Err(match progress.filter(|p| p.interrupted(&*e)) {
                        Some(p) => p.failure(e),
                        None => Error::Service(e),
                    });
                }
            };
            let (response, learned) = learn_skew(&signer, &url, response).await?;
            let Some(again) = again.filter(|_| learned) else {
                return Ok(response);
            };
            let again = sign_in_memory(&signer, again).await?;
            std::future::poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(|e| Error::Service(e.into()))?;
            let response = inner
                .call(again)
                .await
                .map_err(|e| Error::Service(e.into()))?;
            Ok(response.map(ResponseBody::inner))
        })
    }
}

/// Error documents are small: a `400`/`403` longer than this is not read to learn the
/// server's time.
const MAX_SKEW_BODY: usize = 64 * 1024;

/// With clock-skew correction on, reads a `400`/`403` answer to see whether the server
/// refused the request's time; returns the response (its body read, when it was) and
/// whether an offset was learned.
async fn learn_skew<RB>(
    signer: &RequestSigner,
    url: &str,
    response: http::Response<RB>,
) -> Result<(http::Response<ResponseBody<RB>>, bool), Error>
where
    RB: Body<Data = Bytes>,
    RB::Error: Into<BoxError>,
{
    let status = response.status().as_u16();
    let small = response
        .body()
        .size_hint()
        .upper()
        .is_none_or(|n| n <= MAX_SKEW_BODY as u64);
    if signer.clock_skew().is_none() || !(status == 400 || status == 403) || !small {
        return Ok((response.map(ResponseBody::inner), false));
    }
    let (parts, body) = response.into_parts();
    let bytes = collect_limited(body, MAX_SKEW_BODY).await?;
    let date = parts
        .headers
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok());
    let learned = signer.learn_clock_skew(url, status, date, &bytes).is_some();
    Ok((
        http::Response::from_parts(parts, ResponseBody::read(bytes)),
        learned,
    ))
}

/// Signs a request whose body is in memory (its hash signed).
async fn sign_in_memory<B>(
    signer: &RequestSigner,
    mut req: Request<Bytes>,
) -> Result<Request<SignedBody<B>>, Error> {
    let (url, host) = crate::signer::request_url(req.headers(), req.uri())?;
    let (v4, auth, now) = signer.prepare(&url, &host).await?;
    auth.as_auth().sign_http_request(&v4, &mut req, now)?;
    let (parts, bytes) = req.into_parts();
    Ok(Request::from_parts(parts, SignedBody::full(bytes)))
}

/// Signs `req` as [`SignLayer`] does, returning the request with its body to send.
pub async fn sign_request<B>(
    signer: &RequestSigner,
    req: Request<B>,
    max_buffer: usize,
) -> Result<Request<SignedBody<B>>, Error>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    // The S3 Express session for directory buckets, the skew-corrected time.
    let (url, host) = crate::signer::request_url(req.headers(), req.uri())?;
    let (v4, auth, now) = signer.prepare(&url, &host).await?;
    let auth = auth.as_auth();
    let (parts, body) = req.into_parts();
    let exact = body.size_hint().exact();
    let fits = exact.is_some_and(|n| n <= max_buffer as u64);
    let choice = if fits {
        None
    } else {
        signer.streaming_payload(&v4).ok()
    };
    match choice {
        None => {
            let bytes = collect_limited(body, max_buffer).await?;
            let mut req = Request::from_parts(parts, bytes);
            auth.sign_http_request(&v4, &mut req, now)?;
            let (parts, bytes) = req.into_parts();
            Ok(Request::from_parts(parts, SignedBody::full(bytes)))
        }
        Some(StreamingChoice::Unsigned) => {
            let mut head = Request::from_parts(parts, ());
            auth.sign_http_request_with_payload(&v4, &mut head, Payload::Unsigned, now)?;
            let (parts, ()) = head.into_parts();
            let progress = UploadProgress::new(declared_length(&parts.headers).or(exact));
            Ok(Request::from_parts(
                parts,
                SignedBody {
                    kind: SignedKind::Stream(Metered::new(Boxed(Box::pin(body)), progress)),
                },
            ))
        }
        Some(StreamingChoice::Chunked(settings)) => {
            let len = match exact {
                Some(n) => n,
                None => declared_length(&parts.headers).ok_or(Error::UnknownBodyLength)?,
            };
            let mut head = Request::from_parts(parts, ());
            let encoder: ChunkEncoder =
                auth.sign_aws_chunked(&v4, &mut head, settings, len, now)?;
            let (parts, ()) = head.into_parts();
            let progress = UploadProgress::new(declared_length(&parts.headers));
            let encoded = ChunkedBody::new(Boxed(Box::pin(body)), encoder);
            Ok(Request::from_parts(
                parts,
                SignedBody {
                    kind: SignedKind::Chunked(Metered::new(Boxed(Box::pin(encoded)), progress)),
                },
            ))
        }
    }
}

/// The `content-length` of a request, when it has a valid one.
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse().ok())
}
