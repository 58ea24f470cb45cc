//! A client connection that keeps reading after a failed write, so that a server's early
//! answer (a refusal part-way through an upload) reaches the caller even when the server
//! closes at once.
//!
//! A server that answers before it has read the whole request body and then closes (most
//! servers we do not control: they do not linger, see `sigv4_http::linger`) makes its
//! kernel answer the client's next segment with a TCP reset. The answer itself arrived
//! before the reset and sits in the client's receive buffer (Linux keeps it readable), but
//! hyper's HTTP/1 client stops at its first write error: it reports "connection reset" or
//! "broken pipe" to the caller and never reads the answer. How often depends on timing
//! (on 127.0.0.1, often).
//!
//! [`KeepReadingIo`] wraps the connection under hyper (and under TLS, when there is
//! TLS): when a write fails because the peer reset or closed the connection (`EPIPE`,
//! `ECONNRESET`, `ECONNABORTED`), it remembers the error, reports that write (and the
//! next ones) as done, discarding their bytes, and keeps serving reads. Hyper then reads
//! the answer already received (a complete response head is handed to the caller at once,
//! while the body is still being written) and the caller gets the server's status and
//! error document. When nothing more can be read (the read side ended: the reset, or end
//! of stream) or [`with_discard_limit`](KeepReading::with_discard_limit) bytes were
//! discarded, the next write fails with the original error, so a connection whose
//! server sent no answer still fails (the signing layer reports it as
//! [`Error::UploadInterrupted`](crate::Error::UploadInterrupted)), bounded: nothing is
//! buffered, nothing is retried.
//!
//! [`KeepReading`] is the connector that wraps each connection: give it to hyper-util's
//! client (the transport under `tower::SignLayer`), or, with reqwest,
//! send through `reqwest::KeepReadingTransport` (feature `reqwest`), a hyper transport on
//! it.
//!
//! ```
//! # #[cfg(feature = "tower")] {
//! use http_body_util::Full;
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//! use sigv4_http::connect::KeepReading;
//! use sigv4_http::tower::{SignLayer, SignedBody};
//! use sigv4_http::RequestSigner;
//! use tower::Layer;
//!
//! let signer = RequestSigner::from_static(sigv4::Credentials::new("AKID", "SECRET", None, None));
//! let hyper = Client::builder(TokioExecutor::new())
//!     .build::<_, SignedBody<Full<bytes::Bytes>>>(KeepReading::http());
//! let client = SignLayer::new(signer).layer(hyper);
//! # let _ = client; }
//! ```
//!
//! Without it, the same refusal sometimes arrives as `Error::UploadInterrupted` (the
//! connection closed after so many bytes) instead of the server's answer: in a loop of
//! 16 MiB uploads refused by a plain hyper server over 127.0.0.1, 4% to 14% of them.
//!
//! reqwest's own client cannot use it: reqwest 0.12 builds its connections itself
//! (`ClientBuilder::connector_layer` wraps connection *establishment* and must return
//! reqwest's own sealed connection type), so there is no place for a wrapper around the
//! socket.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};

/// The most request bytes discarded after a failed write by default (16 MiB): enough for
/// hyper to get back to reading the answer, bounded for a body that never ends.
pub const DEFAULT_DISCARD_LIMIT: u64 = 16 << 20;

/// A connector (hyper-util's `Service<Uri>`) whose connections keep reading after a failed
/// write: see the [module documentation](self).
///
/// ```
/// use sigv4_http::connect::KeepReading;
///
/// let connector = KeepReading::http().with_discard_limit(4 << 20);
/// assert_eq!(connector.discard_limit(), 4 << 20);
/// ```
#[derive(Debug, Clone)]
pub struct KeepReading<C> {
    inner: C,
    discard_limit: u64,
}

impl KeepReading<HttpConnector> {
    /// Plain-HTTP connections (hyper-util's `HttpConnector`, `http://` only). For HTTPS,
    /// wrap the TCP connector and put TLS on top (e.g. hyper-rustls's
    /// `HttpsConnectorBuilder::wrap_connector(KeepReading::new(http))`, with
    /// `http.enforce_http(false)`).
    pub fn http() -> Self {
        KeepReading::new(HttpConnector::new())
    }
}

impl<C> KeepReading<C> {
    /// Wraps every connection `inner` makes.
    pub fn new(inner: C) -> Self {
        KeepReading {
            inner,
            discard_limit: DEFAULT_DISCARD_LIMIT,
        }
    }

    /// The most request bytes discarded after a failed write before the write error is
    /// reported (default [`DEFAULT_DISCARD_LIMIT`]).
    pub fn with_discard_limit(mut self, bytes: u64) -> Self {
        self.discard_limit = bytes;
        self
    }

    /// The most request bytes discarded after a failed write.
    pub fn discard_limit(&self) -> u64 {
        self.discard_limit
    }
}

impl<C> tower_service::Service<http::Uri> for KeepReading<C>
where
    C: tower_service::Service<http::Uri>,
    C::Future: Send + 'static,
{
    type Response = KeepReadingIo<C::Response>;
    type Error = C::Error;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, C::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.discard_limit;
        Box::pin(async move { Ok(KeepReadingIo::new(connecting.await?, limit)) })
    }
}

/// A connection that keeps reading after a failed write: see the
/// [module documentation](self).
#[derive(Debug)]
pub struct KeepReadingIo<T> {
    inner: T,
    /// The write error the peer caused, once it happened.
    failed: Option<io::Error>,
    /// Whether a read ended (end of stream or an error).
    read_ended: bool,
    discarded: u64,
    discard_limit: u64,
}

impl<T> KeepReadingIo<T> {
    /// Wraps `inner`; at most `discard_limit` bytes are discarded after a failed write.
    pub fn new(inner: T, discard_limit: u64) -> Self {
        KeepReadingIo {
            inner,
            failed: None,
            read_ended: false,
            discarded: 0,
            discard_limit,
        }
    }

    /// The wrapped connection.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// What to answer a write of `len` bytes once a write failed: done (discarded) while
    /// the answer may still be read, else the original error.
    fn after_failure(&mut self, len: usize) -> Option<Poll<io::Result<usize>>> {
        self.failed.as_ref()?;
        if self.read_ended || self.discarded >= self.discard_limit {
            return Some(Poll::Ready(Err(self.write_failed())));
        }
        self.discarded += len as u64;
        Some(Poll::Ready(Ok(len)))
    }

    /// The error reported once the answer cannot come: the original write error (its
    /// kind kept), as a [`WriteFailed`] saying how many bytes were discarded after it.
    fn write_failed(&self) -> io::Error {
        let failed = self.failed.as_ref();
        let kind = failed.map_or(io::ErrorKind::ConnectionReset, io::Error::kind);
        io::Error::new(
            kind,
            WriteFailed {
                message: failed.map(ToString::to_string).unwrap_or_default(),
                kind,
                discarded: self.discarded,
            },
        )
    }

    /// Passes a write's result on, unless it is the peer's reset: then remembered, and the
    /// bytes count as written.
    fn on_write(&mut self, polled: Poll<io::Result<usize>>, len: usize) -> Poll<io::Result<usize>> {
        match polled {
            Poll::Ready(Err(e)) if peer_closed(&e) => {
                self.failed = Some(e);
                self.discarded = len as u64;
                Poll::Ready(Ok(len))
            }
            other => other,
        }
    }
}

/// The error of a [`KeepReadingIo`] connection whose server closed it while the request
/// was being written and sent no answer (or none that could be read): the original write
/// error, and how many request bytes were discarded after it (they count as sent for
/// the HTTP client, not for the server). It is the inner error of the `std::io::Error`
/// the connection reports (same [`kind`](std::io::Error::kind)); [`WriteFailed::find`]
/// looks for it in an error's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailed {
    message: String,
    kind: io::ErrorKind,
    discarded: u64,
}

impl WriteFailed {
    /// The kind of the original write error (`BrokenPipe`, `ConnectionReset` or
    /// `ConnectionAborted`).
    pub fn kind(&self) -> io::ErrorKind {
        self.kind
    }

    /// The request bytes discarded after the write failed.
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// The first `WriteFailed` in `err`'s chain of sources (also inside `std::io::Error`s,
    /// whose `source` skips their own inner error).
    pub fn find<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a WriteFailed> {
        let mut next = Some(err);
        while let Some(e) = next {
            if let Some(found) = e.downcast_ref::<WriteFailed>() {
                return Some(found);
            }
            let inner = e.downcast_ref::<io::Error>().and_then(io::Error::get_ref);
            if let Some(found) = inner.and_then(|i| i.downcast_ref::<WriteFailed>()) {
                return Some(found);
            }
            next = e.source();
        }
        None
    }
}

impl std::fmt::Display for WriteFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server closed the connection while the request was being written ({}) and sent no answer",
            self.message
        )
    }
}

impl std::error::Error for WriteFailed {}

/// Whether a write failed because the peer reset or closed the connection.
fn peer_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

impl<T: Read + Unpin> Read for KeepReadingIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        if self.failed.is_none() {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        // After a failed write (rare): read through a small buffer of our own, to see
        // whether the read side ended (then the next write reports the failure).
        let mut tmp = vec![0u8; buf.remaining().min(64 * 1024)];
        let mut read = hyper::rt::ReadBuf::new(&mut tmp);
        let polled = Pin::new(&mut self.inner).poll_read(cx, read.unfilled());
        match polled {
            Poll::Ready(Ok(())) => {
                let filled = read.filled();
                self.read_ended |= filled.is_empty();
                buf.put_slice(filled);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(_)) => {
                // The reset that followed the failed write: report the write's error.
                self.read_ended = true;
                Poll::Ready(Err(self.write_failed()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: Write + Unpin> Write for KeepReadingIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(answer) = self.after_failure(buf.len()) {
            return answer;
        }
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.on_write(polled, buf.len())
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        if let Some(answer) = self.after_failure(len) {
            return answer;
        }
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.on_write(polled, len)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.failed.is_some() {
            return Poll::Ready(Ok(()));
        }
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(Err(e)) if peer_closed(&e) => {
                self.failed = Some(e);
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.failed.is_some() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<T: Connection> Connection for KeepReadingIo<T> {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection whose writes fail as after a reset and whose reads wait forever (or
    /// give `reads`, then end).
    struct Reset {
        reads: Option<&'static [u8]>,
    }

    impl Read for Reset {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            mut buf: ReadBufCursor<'_>,
        ) -> Poll<io::Result<()>> {
            match self.reads.take() {
                Some(data) => {
                    buf.put_slice(data);
                    Poll::Ready(Ok(()))
                }
                None => Poll::Pending,
            }
        }
    }

    impl Write for Reset {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn write(io: &mut KeepReadingIo<Reset>, len: usize) -> io::Result<usize> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(io).poll_write(&mut cx, &vec![0; len]) {
            Poll::Ready(r) => r,
            Poll::Pending => panic!("a write after a reset never waits"),
        }
    }

    fn read(io: &mut KeepReadingIo<Reset>) -> Poll<io::Result<Vec<u8>>> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut space = [0u8; 64];
        let mut buf = hyper::rt::ReadBuf::new(&mut space);
        Pin::new(io)
            .poll_read(&mut cx, buf.unfilled())
            .map_ok(|()| buf.filled().to_vec())
    }

    /// Discarding after a reset is bounded: with reads that never end, writes are
    /// accepted up to the discard limit, then fail with the original error's kind.
    #[test]
    fn discarding_stops_at_the_limit() {
        let mut io = KeepReadingIo::new(Reset { reads: None }, 100 << 10);
        let mut accepted = 0;
        let err = loop {
            match write(&mut io, 8 << 10) {
                Ok(n) => accepted += n,
                Err(e) => break e,
            }
            assert!(accepted <= 200 << 10, "never stops discarding");
        };
        assert_eq!(accepted, 104 << 10);
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        let found = WriteFailed::find(&err).expect("a WriteFailed inside");
        assert_eq!(found.discarded(), 104 << 10);
        assert!(read(&mut io).is_pending());
    }

    /// After a reset the answer already received is still read; once the read side ends,
    /// the next write fails with the original error.
    #[test]
    fn the_answer_is_read_after_a_reset_then_writes_fail() {
        let mut io = KeepReadingIo::new(
            Reset {
                reads: Some(b"HTTP/1.1 403 Forbidden\r\n"),
            },
            1 << 30,
        );
        assert_eq!(write(&mut io, 10).unwrap(), 10);
        assert_eq!(write(&mut io, 10).unwrap(), 10);
        match read(&mut io) {
            Poll::Ready(Ok(b)) => assert_eq!(b, b"HTTP/1.1 403 Forbidden\r\n"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            write(&mut io, 10).unwrap(),
            10,
            "the read side has not ended"
        );
        io.inner.reads = Some(b"");
        assert!(matches!(read(&mut io), Poll::Ready(Ok(b)) if b.is_empty()));
        let err = write(&mut io, 10).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(
            WriteFailed::find(&err).map(WriteFailed::discarded),
            Some(30)
        );
    }
}
