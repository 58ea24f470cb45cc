//! Lingering close: a server that answers before it has read the whole request (a refusal
//! part-way through an upload) goes on reading and discarding the rest for a bounded time,
//! as nginx's `lingering_close` does, so that the client reads the answer.
//!
//! Without it the server closes a connection with unread request bytes, the kernel answers
//! the client's next segment with a TCP reset, the client's write fails, and HTTP clients
//! that stop at the first write error (hyper, hence reqwest) never read the answer sitting
//! in their receive buffer: the caller sees "connection reset" instead of `403
//! SignatureDoesNotMatch`.
//!
//! Used by `serve::serve_http1` (feature `server`: every connection it closes) and by
//! `tower::VerifyLayer` (feature `tower`: a request body dropped unread, under any server).
//! Plain code spans, not links: this module exists with either feature alone.

use std::time::Duration;

/// How long, and how many bytes, a connection is read and discarded after the server is
/// done with it: at most 5 s and 64 MiB by default, and (on a closing connection) no longer
/// than 1 s without the client sending anything (an idle keep-alive client that does not
/// close its side); [`LingeringClose::off`] closes at once.
///
/// ```
/// use std::time::Duration;
/// use sigv4_http::linger::LingeringClose;
///
/// let linger = LingeringClose::default()
///     .with_time(Duration::from_secs(2))
///     .with_max_bytes(16 << 20);
/// assert_eq!(linger.time(), Duration::from_secs(2));
/// assert!(LingeringClose::off().is_off());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LingeringClose {
    time: Duration,
    idle: Duration,
    max_bytes: u64,
}

impl Default for LingeringClose {
    fn default() -> Self {
        LingeringClose {
            time: Duration::from_secs(5),
            idle: Duration::from_secs(1),
            max_bytes: 64 << 20,
        }
    }
}

impl LingeringClose {
    /// No lingering: close at once (the client may lose an early answer).
    pub fn off() -> Self {
        LingeringClose {
            time: Duration::ZERO,
            idle: Duration::ZERO,
            max_bytes: 0,
        }
    }

    /// The longest time spent reading after the answer.
    pub fn with_time(mut self, time: Duration) -> Self {
        self.time = time;
        self
    }

    /// How long a closing connection waits for the client to send more (nginx's
    /// `lingering_timeout`) before it closes.
    pub fn with_idle_time(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// The most bytes read and discarded after the answer.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The longest time spent reading after the answer.
    pub fn time(&self) -> Duration {
        self.time
    }

    /// How long a closing connection waits for the client to send more.
    pub fn idle_time(&self) -> Duration {
        self.idle
    }

    /// The most bytes read and discarded after the answer.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Whether the connection closes at once.
    pub fn is_off(&self) -> bool {
        self.time.is_zero() || self.max_bytes == 0
    }
}

/// A request body that, dropped before its end (the application answered without reading
/// all of it), is read and discarded in the background within the [`LingeringClose`]
/// bounds, so that the server's HTTP connection goes on reading the upload instead of
/// closing with unread bytes (a reset that can cost the client the answer). A body read
/// to its end this way leaves the connection reusable.
#[cfg(feature = "tower")]
pub(crate) struct DrainOnDrop<B: http_body::Body + Send + 'static> {
    inner: Option<std::pin::Pin<Box<B>>>,
    linger: LingeringClose,
}

#[cfg(feature = "tower")]
impl<B: http_body::Body + Send + 'static> DrainOnDrop<B> {
    pub(crate) fn new(body: B, linger: LingeringClose) -> Self {
        DrainOnDrop {
            inner: Some(Box::pin(body)),
            linger,
        }
    }
}

#[cfg(feature = "tower")]
impl<B: http_body::Body + Send + 'static> http_body::Body for DrainOnDrop<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        match self.inner.as_mut() {
            Some(b) => b.as_mut().poll_frame(cx),
            None => std::task::Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| http_body::SizeHint::with_exact(0), |b| b.size_hint())
    }
}

#[cfg(feature = "tower")]
impl<B: http_body::Body + Send + 'static> Drop for DrainOnDrop<B> {
    fn drop(&mut self) {
        use http_body_util::BodyExt;
        let Some(mut body) = self.inner.take() else {
            return;
        };
        let linger = self.linger;
        if linger.is_off() || body.is_end_stream() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let drain = async move {
                let mut read = 0u64;
                // Until the client stops sending for the idle time, or the bounds.
                while let Ok(Some(Ok(frame))) =
                    tokio::time::timeout(linger.idle, body.frame()).await
                {
                    read += frame
                        .data_ref()
                        .map_or(0, |d| bytes::Buf::remaining(d) as u64);
                    if read >= linger.max_bytes {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(linger.time, drain).await;
        });
    }
}
