//! Body helpers shared by the reqwest and tower integrations.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::BoxError;

/// A body with its error boxed, pinned on the heap so that any body type fits.
pub(crate) struct Boxed<B>(pub(crate) Pin<Box<B>>);

impl<B> Body for Boxed<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.0
            .as_mut()
            .poll_frame(cx)
            .map(|f| f.map(|r| r.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

/// What was sent of a streamed request body, shared between the body (on its way out)
/// and the integration that sent it: how many bytes, whether the stream ended, and
/// whether it ended short of (or beyond) its declared length.
#[derive(Debug)]
pub(crate) struct UploadProgress {
    declared: Option<u64>,
    sent: std::sync::atomic::AtomicU64,
    state: std::sync::atomic::AtomicU8,
}

// 0: still sending.
const ENDED: u8 = 1;
const WRONG_LENGTH: u8 = 2;
const BODY_FAILED: u8 = 3;

impl UploadProgress {
    pub(crate) fn new(declared: Option<u64>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(UploadProgress {
            declared,
            sent: Default::default(),
            state: Default::default(),
        })
    }

    /// Whether the body was sent whole (its stream ended at its declared length).
    pub(crate) fn sent_whole(&self) -> bool {
        self.state.load(std::sync::atomic::Ordering::SeqCst) == ENDED
    }

    /// Whether a failed send with `cause` cut the body off: it was not sent whole, or the
    /// connection discarded part of it after the server closed
    /// ([`WriteFailed`](crate::connect::WriteFailed)).
    pub(crate) fn interrupted(&self, cause: &(dyn std::error::Error + 'static)) -> bool {
        !self.sent_whole() || crate::connect::WriteFailed::find(cause).is_some()
    }

    /// The error to report for a failed send of a body not sent whole: one whose length
    /// was not the declared one, or one cut off part-way (the server stopped reading it),
    /// with `cause`, the client's error.
    pub(crate) fn failure(&self, cause: BoxError) -> crate::Error {
        use std::sync::atomic::Ordering::SeqCst;
        let discarded = crate::connect::WriteFailed::find(&*cause).map_or(0, |w| w.discarded());
        let sent = self.sent.load(SeqCst).saturating_sub(discarded);
        match self.state.load(SeqCst) {
            WRONG_LENGTH => {
                return crate::Error::BodyLengthMismatch {
                    declared: self.declared.unwrap_or_default(),
                    sent,
                }
            }
            BODY_FAILED => return crate::Error::Body(cause),
            _ => {}
        }
        crate::Error::UploadInterrupted {
            sent,
            declared: self.declared,
            source: cause,
        }
    }
}

/// Meters a streamed request body: counts what is sent against the declared length (a
/// body that ends short of it, or goes beyond, fails with
/// [`Error::BodyLengthMismatch`](crate::Error::BodyLengthMismatch) rather than leaving the
/// server waiting).
///
/// It also returns `Pending` once between frames, waking itself at once. That does not let
/// the connection read an answer the server sends mid-upload before writing more: the
/// task is polled again before tokio's I/O driver processes socket events (measured in
/// round 4). A refusal mid-upload reaches the caller because our servers close lingering
/// (`linger::LingeringClose` in `serve_http1`; `VerifyLayer` drains unread bodies), so the
/// client's writes do not meet a reset before it reads the answer, and, against servers
/// that close at once, because [`connect::KeepReading`](crate::connect::KeepReading) keeps
/// reading after a failed write.
pub(crate) struct Metered<B> {
    inner: B,
    progress: std::sync::Arc<UploadProgress>,
    yielded: bool,
}

impl<B> Metered<B> {
    pub(crate) fn new(inner: B, progress: std::sync::Arc<UploadProgress>) -> Self {
        Metered {
            inner,
            progress,
            yielded: false,
        }
    }

    /// What was sent.
    #[cfg(feature = "tower")]
    pub(crate) fn progress(&self) -> &std::sync::Arc<UploadProgress> {
        &self.progress
    }
}

impl<B> Body for Metered<B>
where
    B: Body<Data = Bytes, Error = BoxError> + Unpin,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        use std::sync::atomic::Ordering::SeqCst;
        if !self.yielded {
            self.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if polled.is_ready() {
            self.yielded = false;
        }
        let progress = &self.progress;
        let wrong = |sent: u64| {
            progress.state.store(WRONG_LENGTH, SeqCst);
            Poll::Ready(Some(Err(BoxError::from(
                crate::Error::BodyLengthMismatch {
                    declared: progress.declared.unwrap_or_default(),
                    sent,
                },
            ))))
        };
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                let n = frame.data_ref().map_or(0, |d| d.len() as u64);
                let sent = progress.sent.fetch_add(n, SeqCst) + n;
                if progress.declared.is_some_and(|d| sent > d) {
                    return wrong(sent);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                let sent = progress.sent.load(SeqCst);
                if progress.declared.is_some_and(|d| sent != d) {
                    return wrong(sent);
                }
                progress.state.store(ENDED, SeqCst);
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                progress.state.store(BODY_FAILED, SeqCst);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
