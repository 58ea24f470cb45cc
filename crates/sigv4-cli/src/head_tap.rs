//! The response heads exactly as received. hyper lowercases header names and keeps its
//! own order; curl prints what the server sent (`-i`, `-I`, `-v`, `-D`), so the CLI
//! records the bytes of each response head on the connection itself.
//!
//! [`Tap`] wraps a connector; while its [`HeadLog`] is armed (from just before a request
//! until that request's final, non-1xx head has arrived), every byte read is copied to the
//! log. Once the head is complete, recording stops, so a body passes untouched.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use hyper::rt::{Read, ReadBuf, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};

/// The most head bytes recorded (hyper refuses larger heads anyway).
const MAX_HEAD: usize = 1 << 20;

/// One response head as received: the raw bytes of its lines, CRLFs included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHead {
    bytes: Vec<u8>,
}

impl RawHead {
    /// The head as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Off,
    Recording(Vec<u8>),
    Done(RawHead),
}

/// Where a [`Tap`] records response heads. Cloning shares the log.
#[derive(Debug, Clone, Default)]
pub struct HeadLog(Arc<Mutex<State>>);

impl HeadLog {
    /// Starts recording: the next response head read is kept (1xx heads are skipped).
    pub fn arm(&self) {
        *self.lock() = State::Recording(Vec::new());
    }

    /// The final head recorded since [`HeadLog::arm`], if it arrived; stops recording.
    pub fn take(&self) -> Option<RawHead> {
        match std::mem::take(&mut *self.lock()) {
            State::Done(head) => Some(head),
            State::Off | State::Recording(_) => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn recording(&self) -> bool {
        matches!(*self.lock(), State::Recording(_))
    }

    /// Adds bytes read; finishes when a complete non-1xx head is in.
    fn record(&self, read: &[u8]) {
        let mut state = self.lock();
        let State::Recording(buf) = &mut *state else {
            return;
        };
        buf.extend_from_slice(read);
        loop {
            let Some(end) = head_end(buf) else {
                if buf.len() > MAX_HEAD {
                    *state = State::Off;
                }
                return;
            };
            if is_informational(&buf[..end]) {
                buf.drain(..end);
                continue;
            }
            buf.truncate(end);
            let bytes = std::mem::take(buf);
            *state = State::Done(RawHead { bytes });
            return;
        }
    }
}

/// The length of the head at the start of `buf` (through its empty line), if complete.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    for line in buf.split_inclusive(|b| *b == b'\n') {
        if !line.ends_with(b"\n") {
            return None;
        }
        start += line.len();
        if line == b"\r\n" || line == b"\n" {
            return Some(start);
        }
    }
    None
}

/// Whether a head is a 1xx interim response (`HTTP/1.1 100 Continue`).
fn is_informational(head: &[u8]) -> bool {
    head.split(|b| *b == b' ')
        .nth(1)
        .is_some_and(|code| code.len() == 3 && code[0] == b'1')
}

/// A connector whose connections copy response heads to a [`HeadLog`].
#[derive(Debug, Clone)]
pub struct Tap<C> {
    inner: C,
    log: Option<HeadLog>,
}

impl<C> Tap<C> {
    /// Wraps `inner`; with `log` None, connections pass everything through.
    pub fn new(inner: C, log: Option<HeadLog>) -> Self {
        Tap { inner, log }
    }
}

impl<C> tower_service::Service<http::Uri> for Tap<C>
where
    C: tower_service::Service<http::Uri>,
    C::Future: Send + 'static,
{
    type Response = Tapped<C::Response>;
    type Error = C::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<Tapped<C::Response>, C::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let log = self.log.clone();
        let connecting = self.inner.call(uri);
        Box::pin(async move {
            let io = connecting.await?;
            Ok(Tapped { io, log })
        })
    }
}

/// A connection of a [`Tap`].
#[derive(Debug)]
pub struct Tapped<T> {
    io: T,
    log: Option<HeadLog>,
}

impl<T: Read + Unpin> Read for Tapped<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut cursor: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let Some(log) = this.log.as_ref().filter(|l| l.recording()) else {
            return Pin::new(&mut this.io).poll_read(cx, cursor);
        };
        let mut tmp = vec![0u8; cursor.remaining().min(16 * 1024)];
        let mut buf = ReadBuf::new(&mut tmp);
        match Pin::new(&mut this.io).poll_read(cx, buf.unfilled()) {
            Poll::Ready(Ok(())) => {
                log.record(buf.filled());
                cursor.put_slice(buf.filled());
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<T: Write + Unpin> Write for Tapped<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

impl<T: Connection> Connection for Tapped<T> {
    fn connected(&self) -> Connected {
        self.io.connected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_final_head_as_received() {
        let log = HeadLog::default();
        log.arm();
        log.record(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nETag: \"x\"\r\n");
        assert!(log.recording());
        log.record(b"x-Amz-Id: 1\r\n\r\nbody");
        assert!(!log.recording());
        let head = log.take().unwrap();
        assert_eq!(
            head.as_bytes(),
            b"HTTP/1.1 200 OK\r\nETag: \"x\"\r\nx-Amz-Id: 1\r\n\r\n"
        );
        assert_eq!(log.take(), None);
    }
}
