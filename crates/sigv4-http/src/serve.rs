//! The HTTP/1.1 accept loop shared by `sigv4 proxy` and the gateway (feature `server`):
//! bounded request heads, a header read timeout, keep-alive, graceful shutdown, and a
//! lingering close ([`LingeringClose`]): a connection closed with part of a request unread
//! (an upload refused part-way) is read and discarded for a bounded time first, so that
//! the client reads the answer rather than a connection reset.
//!
//! ```no_run
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use sigv4_http::serve::{serve_http1, Http1Options};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let options = Http1Options::default().with_header_timeout(Duration::from_secs(5));
//! let shutdown = async { let _ = tokio::signal::ctrl_c().await; };
//! let clean = serve_http1(listener, options, shutdown, |_req, remote| async move {
//!     http::Response::new(http_body_util::Full::new(bytes::Bytes::from(format!("hello {remote}\n"))))
//! })
//! .await;
//! assert!(clean || !clean); // false: requests were still in flight after the grace period
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;

use crate::linger::LingeringClose;
use crate::BoxError;

/// The default largest request target plus headers read (hyper answers 431 beyond).
pub const DEFAULT_MAX_HEAD: usize = 64 * 1024;

/// How [`serve_http1`] serves connections.
#[derive(Debug, Clone, Copy)]
pub struct Http1Options {
    header_timeout: Duration,
    shutdown_timeout: Duration,
    max_head: usize,
    linger: LingeringClose,
}

impl Default for Http1Options {
    /// A 10 s header read timeout, 30 s for requests in flight at shutdown, 64 KiB heads,
    /// the default [`LingeringClose`] (5 s, 64 MiB).
    fn default() -> Self {
        Http1Options {
            header_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
            max_head: DEFAULT_MAX_HEAD,
            linger: LingeringClose::default(),
        }
    }
}

impl Http1Options {
    /// How long a client may take to send a request head.
    pub fn with_header_timeout(mut self, t: Duration) -> Self {
        self.header_timeout = t;
        self
    }

    /// How long requests in flight may run once shutdown starts.
    pub fn with_shutdown_timeout(mut self, t: Duration) -> Self {
        self.shutdown_timeout = t;
        self
    }

    /// The read buffer per connection, which bounds a request head (hyper answers 431
    /// beyond it). Bodies stream through this buffer, unlimited by it.
    pub fn with_max_head(mut self, bytes: usize) -> Self {
        self.max_head = bytes;
        self
    }

    /// How long, and how much, a closing connection reads and discards what the client
    /// still sends (the rest of an upload the handler answered early), so the client reads
    /// the answer instead of a reset. [`LingeringClose::off`] closes at once.
    pub fn with_lingering_close(mut self, linger: LingeringClose) -> Self {
        self.linger = linger;
        self
    }
}

/// Serves HTTP/1.1 on `listener`, answering each request with `handler(request, remote
/// address)`, until `shutdown` completes; then stops accepting and waits up to the
/// shutdown timeout for requests in flight. Returns `true` when they all finished (a
/// warning is logged otherwise). Accept failures (out of file descriptors...) are logged
/// and the loop goes on after 50 ms.
pub async fn serve_http1<H, F, B>(
    listener: TcpListener,
    options: Http1Options,
    shutdown: impl Future<Output = ()>,
    handler: H,
) -> bool
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_buf_size(options.max_head)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let svc = hyper::service::service_fn(move |req| {
                    let answer = handler(req, remote);
                    async move { Ok::<_, Infallible>(answer.await) }
                });
                let io = TokioIo::new(Lingering::new(stream, options.linger));
                let conn = graceful.watch(http.serve_connection(io, svc));
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, remote = %remote, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let grace = options.shutdown_timeout;
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            after_secs = grace.as_secs_f64(),
            "stopped with requests still in flight"
        );
        return false;
    }
    true
}

/// A connection that, when the server shuts it down, sends its FIN and then reads and
/// discards what the client still sends, within the [`LingeringClose`] bounds, before it is
/// closed: closing with unread bytes would reset the connection and could cost the client
/// the answer already sent.
struct Lingering<T> {
    io: T,
    linger: LingeringClose,
    drain: Option<Drain>,
}

/// The discarding read of a closing connection.
struct Drain {
    deadline: tokio::time::Instant,
    /// Until the total deadline, or the idle time after the last bytes read.
    timer: Pin<Box<tokio::time::Sleep>>,
    read: u64,
    done: bool,
}

impl<T> Lingering<T> {
    fn new(io: T, linger: LingeringClose) -> Self {
        Lingering {
            io,
            linger,
            drain: None,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Lingering<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Lingering<T> {
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

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    /// Sends the FIN (the answer is out), then reads until the client closes too, or the
    /// bounds are reached.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.drain.is_none() {
            std::task::ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
            let now = tokio::time::Instant::now();
            let deadline = now + this.linger.time();
            this.drain = Some(Drain {
                deadline,
                timer: Box::pin(tokio::time::sleep_until(
                    deadline.min(now + this.linger.idle_time()),
                )),
                read: 0,
                done: this.linger.is_off() || this.linger.idle_time().is_zero(),
            });
        }
        let Some(drain) = this.drain.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 8192];
        while !drain.done {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                    drain.read += buf.filled().len() as u64;
                    drain.done = drain.read >= this.linger.max_bytes();
                    let idle = tokio::time::Instant::now() + this.linger.idle_time();
                    drain.timer.as_mut().reset(idle.min(drain.deadline));
                }
                // The client closed its side (or the connection failed): nothing to wait for.
                Poll::Ready(_) => drain.done = true,
                Poll::Pending => {
                    std::task::ready!(drain.timer.as_mut().poll(cx));
                    drain.done = true;
                }
            }
        }
        Poll::Ready(Ok(()))
    }
}
