//! The request bodies the verifying layer hands to the inner service.
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use sigv4::verify::VerifiedBody;

use crate::body::Boxed;
use crate::BoxError;

/// The body the verifying layer hands to the inner service: checked bytes, an
/// aws-chunked body decoded and verified chunk by chunk, the messages of a signed event
/// stream verified one by one, or an unsigned stream.
pub(crate) struct CheckedBody<B> {
    pub(crate) kind: VerifiedKind<B>,
    /// Set when the body fails its verification, for the layer to answer with.
    pub(crate) refused: BodyRefusalSlot,
}

/// Why a body failed its verification part-way (a forged chunk, a wrong hash): the AWS
/// status, code and message the layer answers with in place of the handler's answer.
#[derive(Debug, Clone)]
pub(crate) struct BodyRefusal {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// Where a [`CheckedBody`] records its [`BodyRefusal`], shared with the layer.
pub(crate) type BodyRefusalSlot = std::sync::Arc<std::sync::OnceLock<BodyRefusal>>;

impl BodyRefusal {
    /// The refusal a verification error of the body stands for (`None`: an I/O error of
    /// the connection, the client's, not a refusal).
    fn of(e: &BoxError) -> Option<Self> {
        let (status, code) = if let Some(c) = e.downcast_ref::<sigv4::verify::ChunkVerifyError>() {
            (sigv4::Error::from(c.clone()).http_status(), c.code())
        } else if e.downcast_ref::<BodyHashMismatch>().is_some() {
            (400, "XAmzContentSHA256Mismatch")
        } else {
            return None;
        };
        Some(BodyRefusal {
            status,
            code,
            message: e.to_string(),
        })
    }
}

pub(crate) enum VerifiedKind<B> {
    Full(Option<Bytes>),
    Hashed(Box<HashCheckedBody<Boxed<B>>>),
    Stream(Boxed<B>),
    Chunked(Box<VerifiedBody<Boxed<B>>>),
    #[cfg(feature = "event-stream")]
    EventStream(Box<crate::eventstream::VerifiedEventStreamBody<B>>),
}

impl<B> Body for CheckedBody<B>
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
        let this = self.get_mut();
        let polled = match &mut this.kind {
            VerifiedKind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            VerifiedKind::Stream(s) => Pin::new(s).poll_frame(cx),
            VerifiedKind::Hashed(h) => Pin::new(&mut **h).poll_frame(cx),
            VerifiedKind::Chunked(c) => Pin::new(&mut **c).poll_frame(cx),
            #[cfg(feature = "event-stream")]
            VerifiedKind::EventStream(e) => Pin::new(&mut **e)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(BoxError::from))),
        };
        if let Poll::Ready(Some(Err(e))) = &polled {
            if let Some(refusal) = BodyRefusal::of(e) {
                let _ = this.refused.set(refusal);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            VerifiedKind::Full(b) => b.is_none(),
            VerifiedKind::Stream(s) => s.is_end_stream(),
            VerifiedKind::Hashed(h) => h.done,
            VerifiedKind::Chunked(c) => c.is_end_stream(),
            #[cfg(feature = "event-stream")]
            VerifiedKind::EventStream(e) => e.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            VerifiedKind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            VerifiedKind::Stream(s) => s.size_hint(),
            VerifiedKind::Hashed(h) => h.inner.size_hint(),
            VerifiedKind::Chunked(_) => SizeHint::default(),
            // The messages are re-encoded without their signed envelopes: shorter.
            #[cfg(feature = "event-stream")]
            VerifiedKind::EventStream(_) => SizeHint::default(),
        }
    }
}

/// A body whose signed SHA-256 is checked as it streams: the data passes through, and the
/// body fails (instead of ending) when the bytes read do not hash to the signed value, or
/// are more than the declared length.
pub(crate) struct HashCheckedBody<B> {
    inner: B,
    hasher: sha2::Sha256,
    expected: [u8; 32],
    read: u64,
    limit: Option<u64>,
    done: bool,
}

impl<B> HashCheckedBody<B> {
    pub(crate) fn new(inner: B, expected: [u8; 32], declared_len: Option<u64>) -> Self {
        HashCheckedBody {
            inner,
            hasher: <sha2::Sha256 as sha2::Digest>::new(),
            expected,
            read: 0,
            limit: declared_len,
            done: false,
        }
    }
}

/// The error a [`HashCheckedBody`] fails with.
#[derive(Debug, thiserror::Error)]
#[error("XAmzContentSHA256Mismatch: the body does not match its signed x-amz-content-sha256 ({0})")]
pub(crate) struct BodyHashMismatch(&'static str);

impl<B> Body for HashCheckedBody<B>
where
    B: Body<Data = Bytes, Error = BoxError> + Unpin,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        use sha2::Digest;
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.read += data.len() as u64;
                    if this.limit.is_some_and(|l| this.read > l) {
                        this.done = true;
                        return Poll::Ready(Some(Err(BodyHashMismatch(
                            "longer than its content-length",
                        )
                        .into())));
                    }
                    this.hasher.update(data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                this.done = true;
                let computed: [u8; 32] = std::mem::take(&mut this.hasher).finalize().into();
                if computed == this.expected {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Err(BodyHashMismatch("different hash").into())))
                }
            }
            other => other,
        }
    }
}

/// Request body types the verifying layer can hand to the inner service.
///
/// Implemented for [`VerifiedRequestBody`] (the default, for hyper services),
/// `UnsyncBoxBody<Bytes, BoxError>` and, with feature `axum`, `axum::body::Body`.
pub trait FromVerifiedBody: Sized {
    /// Wraps `body`.
    fn from_verified_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static;
}

/// The default request body handed to the inner service by [`VerifyLayer`](super::VerifyLayer): the checked
/// bytes, the verified and decoded aws-chunked stream, or the unsigned stream, boxed.
///
/// (A named type rather than `UnsyncBoxBody<Bytes, BoxError>`, whose `dyn Error` lifetime
/// trips up the compiler when the service runs inside `tokio::spawn`.)
pub struct VerifiedRequestBody(UnsyncBoxBody<Bytes, BoxError>);

impl VerifiedRequestBody {
    /// The boxed body.
    pub fn into_inner(self) -> UnsyncBoxBody<Bytes, BoxError> {
        self.0
    }
}

impl fmt::Debug for VerifiedRequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedRequestBody")
            .finish_non_exhaustive()
    }
}

impl Body for VerifiedRequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

impl FromVerifiedBody for VerifiedRequestBody {
    fn from_verified_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
    {
        VerifiedRequestBody(body.boxed_unsync())
    }
}

impl FromVerifiedBody for UnsyncBoxBody<Bytes, BoxError> {
    fn from_verified_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
    {
        body.boxed_unsync()
    }
}

#[cfg(feature = "axum")]
impl FromVerifiedBody for axum_core::body::Body {
    fn from_verified_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
    {
        axum_core::body::Body::new(body)
    }
}
