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

use crate::body::Boxed;
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
    Stream(Boxed<B>),
    Chunked(Box<ChunkedBody<Boxed<B>>>),
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
            SignedKind::Chunked(c) => Pin::new(&mut **c).poll_frame(cx),
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
/// The inner service receives `Request<SignedBody<B>>`. Errors are [`Error`]s: signing
/// failures, or [`Error::Service`] wrapping the inner service's error.
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

impl<S, B> Service<Request<B>> for SignService<S>
where
    S: Service<Request<SignedBody<B>>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = Error;
    type Future = BoxFuture<Result<S::Response, Error>>;

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
            let req = sign_request(&signer, req, max).await?;
            inner.call(req).await.map_err(|e| Error::Service(e.into()))
        })
    }
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
    let host = crate::signer::request_host(req.headers(), req.uri())?;
    let url = format!(
        "{}://{host}{}",
        req.uri().scheme_str().unwrap_or("https"),
        req.uri().path_and_query().map_or("/", |pq| pq.as_str())
    );
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
            Ok(Request::from_parts(
                parts,
                SignedBody {
                    kind: SignedKind::Stream(Boxed(Box::pin(body))),
                },
            ))
        }
        Some(StreamingChoice::Chunked(settings)) => {
            let len = match exact {
                Some(n) => n,
                None => parts
                    .headers
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok()?.trim().parse().ok())
                    .ok_or(Error::UnknownBodyLength)?,
            };
            let mut head = Request::from_parts(parts, ());
            let encoder: ChunkEncoder =
                auth.sign_aws_chunked(&v4, &mut head, settings, len, now)?;
            let (parts, ()) = head.into_parts();
            Ok(Request::from_parts(
                parts,
                SignedBody {
                    kind: SignedKind::Chunked(Box::new(ChunkedBody::new(
                        Boxed(Box::pin(body)),
                        encoder,
                    ))),
                },
            ))
        }
    }
}
