//! Failure injection for `sigv4 proxy` (the real binary) with local fault-injecting clients
//! and upstreams, all on 127.0.0.1: connections reset mid-body, a slow-loris client,
//! oversized headers and bodies, and an upstream that never answers. The proxy must answer
//! with a proper status code, stay healthy, and never forward an unsigned, half-signed or
//! truncated request.

mod support;

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::Credentials;
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// What a [`Recorder`] upstream saw.
#[derive(Default)]
struct Seen {
    /// TCP connections accepted.
    connections: AtomicU64,
    /// Request heads received (counted before the body is read).
    heads: AtomicU64,
    /// Requests whose body was read completely and whose signature verified.
    verified: AtomicU64,
    /// Requests whose body was read completely but whose signature did not verify.
    rejected: AtomicU64,
    /// Requests whose body ended early (a truncated body).
    broken_bodies: AtomicU64,
    /// Lengths of the complete bodies.
    body_lens: Mutex<Vec<usize>>,
}

/// An upstream on 127.0.0.1 recording every connection and request, verifying each
/// complete request with `sigv4::verify` (body hash included unless UNSIGNED-PAYLOAD).
struct Recorder {
    addr: SocketAddr,
    seen: Arc<Seen>,
    _rt: tokio::runtime::Runtime,
}

impl Recorder {
    fn start(service: &str) -> Recorder {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let verifier = Arc::new(Verifier::new(REGION, service).unwrap());
        let seen = Arc::new(Seen::default());
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let s = seen.clone();
        rt.spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                s.connections.fetch_add(1, Ordering::SeqCst);
                let (verifier, seen) = (verifier.clone(), s.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let (verifier, seen) = (verifier.clone(), seen.clone());
                        async move { Ok::<_, Infallible>(record(&verifier, &seen, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
        Recorder {
            addr,
            seen,
            _rt: rt,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn heads(&self) -> u64 {
        self.seen.heads.load(Ordering::SeqCst)
    }
}

async fn record(verifier: &Verifier, seen: &Seen, req: Request<Incoming>) -> Response<Full<Bytes>> {
    seen.heads.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            seen.broken_bodies.fetch_add(1, Ordering::SeqCst);
            return Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .body(Full::new(Bytes::from_static(b"truncated body")))
                .unwrap();
        }
    };
    seen.body_lens.lock().unwrap().push(body.len());
    let head = Request::from_parts(parts, ());
    let lookup = |id: &str| (id == AK).then(|| Credentials::new(AK, SK, None, None));
    let view = VerifiableRequest::from_http(&head, VerifyBody::Bytes(&body));
    let verdict = verifier.verify(&view, &lookup, SystemTime::now());
    drop(view);
    match verdict {
        Ok(_) => {
            seen.verified.fetch_add(1, Ordering::SeqCst);
            Response::new(Full::new(body))
        }
        Err(e) => {
            seen.rejected.fetch_add(1, Ordering::SeqCst);
            Response::builder()
                .status(e.http_status())
                .body(Full::new(Bytes::from(e.to_string())))
                .unwrap()
        }
    }
}

/// Sends raw bytes to `addr` and reads the response until the server closes the
/// connection (the request should say `Connection: close`); returns the status code and
/// the whole response text. Bounded by a 30 s read timeout.
fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer (431, 413) and close before it has read everything we send.
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if out.is_empty() => panic!("no response: {e}"),
            Err(_) => break,
        }
    }
    let text = text(&out);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    (status, text)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

#[track_caller]
fn assert_healthy(proxy: &ProxyProc) {
    let (status, text) = get(proxy.addr, "/healthz");
    assert_eq!(status, 200, "/healthz: {text}");
}

/// A normal POST through the proxy: must be 200 with the body echoed by the upstream.
#[track_caller]
fn assert_forwards(proxy: &ProxyProc, body: &str) {
    let (status, text) = raw(
        proxy.addr,
        format!(
            "POST /ok HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            proxy.addr,
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with(body), "{text}");
}

/// Waits (bounded) until the proxy's access log has `n` request lines.
fn wait_for_log_lines(proxy: &ProxyProc, n: usize) -> String {
    let start = Instant::now();
    loop {
        let log = proxy.log_text();
        let lines = log
            .lines()
            .filter(|l| l.contains("\"message\":\"request\""))
            .count();
        if lines >= n {
            return log;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "expected {n} access-log lines, log:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start_proxy(home: &TempDir, upstream: &str, service: &str, extra: &[&str]) -> ProxyProc {
    let mut args = vec![
        "--upstream",
        upstream,
        "--service",
        service,
        "--region",
        REGION,
        "--log-format",
        "json",
    ];
    args.extend_from_slice(extra);
    ProxyProc::start(home.path(), &args)
}

/// How the client goes away after half the body.
#[derive(Clone, Copy, Debug)]
enum Abort {
    /// RST (SO_LINGER 0).
    Reset,
    /// An orderly close (FIN) with the body short of its Content-Length.
    Close,
}

/// Sends `head` and `partial` body bytes, then aborts the connection.
fn send_half_then_abort(addr: SocketAddr, head: String, partial: &[u8], how: Abort) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(partial).await.unwrap();
        s.flush().await.unwrap();
        // Let the proxy start reading the body before the connection goes away.
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Abort::Reset = how {
            s.set_zero_linger().unwrap();
        }
        drop(s);
    });
}

#[test]
fn reset_mid_body_forwards_nothing_for_a_hashed_service() {
    let upstream = Recorder::start("es");
    let home = TempDir::new("faults-reset");
    let proxy = start_proxy(&home, &upstream.url(), "es", &[]);
    let body = vec![b'x'; 64 * 1024];
    let mut aborted = 0;
    for how in [Abort::Reset, Abort::Close] {
        // Content-Length framing and chunked framing, each cut off half-way.
        let head = format!(
            "POST /doc HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            proxy.addr,
            body.len()
        );
        send_half_then_abort(proxy.addr, head, &body[..body.len() / 2], how);
        let head = format!(
            "POST /doc HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
            proxy.addr
        );
        let mut chunked = format!("{:x}\r\n", body.len()).into_bytes();
        chunked.extend_from_slice(&body[..body.len() / 2]);
        send_half_then_abort(proxy.addr, head, &chunked, how);
        aborted += 2;
    }
    // Every aborted request has been handled (answered or dropped) by the proxy...
    let log = wait_for_log_lines(&proxy, aborted);
    // ...and none of them reached the upstream: not a connection, not a head.
    assert_eq!(
        upstream.seen.connections.load(Ordering::SeqCst),
        0,
        "log:\n{log}"
    );
    assert_eq!(upstream.heads(), 0, "log:\n{log}");
    for line in log
        .lines()
        .filter(|l| l.contains("\"message\":\"request\""))
    {
        assert!(line.contains("\"upstream_status\":0"), "{line}");
    }
    // The proxy is still healthy and forwards a complete request, signed.
    assert_healthy(&proxy);
    assert_forwards(&proxy, "{\"complete\":true}");
    assert_eq!(upstream.heads(), 1);
    assert_eq!(upstream.seen.verified.load(Ordering::SeqCst), 1);
    assert_eq!(upstream.seen.rejected.load(Ordering::SeqCst), 0);
}

#[test]
fn reset_mid_body_in_streaming_mode_never_completes_a_truncated_request() {
    // With --unsigned-payload the proxy streams bodies: the head may reach the upstream,
    // but the body must never look complete (the upstream sees it end early).
    let upstream = Recorder::start("s3");
    let home = TempDir::new("faults-reset-stream");
    let proxy = start_proxy(&home, &upstream.url(), "s3", &["--unsigned-payload"]);
    let body = vec![b'y'; 256 * 1024];
    let n = 4;
    for i in 0..n {
        let head = format!(
            "PUT /bucket/key{i} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
            proxy.addr,
            body.len()
        );
        let how = if i % 2 == 0 {
            Abort::Reset
        } else {
            Abort::Close
        };
        send_half_then_abort(proxy.addr, head, &body[..body.len() / 2], how);
    }
    wait_for_log_lines(&proxy, n);
    // Whatever reached the upstream ended early; no complete body was accepted.
    let start = Instant::now();
    while upstream.seen.broken_bodies.load(Ordering::SeqCst) < upstream.heads() {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(upstream.seen.body_lens.lock().unwrap().is_empty());
    assert_eq!(upstream.seen.verified.load(Ordering::SeqCst), 0);
    assert_healthy(&proxy);
}

#[test]
fn slow_loris_does_not_block_others_and_is_disconnected() {
    let upstream = Recorder::start("es");
    let home = TempDir::new("faults-loris");
    let proxy = start_proxy(&home, &upstream.url(), "es", &["--header-timeout", "1s"]);
    let mut slow = TcpStream::connect(proxy.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    slow.set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let head = format!(
        "GET /slow HTTP/1.1\r\nHost: {}\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
        proxy.addr
    );
    let head = head.as_bytes();
    // Returns true once the proxy has closed the slow connection.
    let closed = |s: &mut TcpStream| -> bool {
        let mut buf = [0u8; 1024];
        match s.read(&mut buf) {
            // EOF, or an error response (408) before closing.
            Ok(n) => n == 0 || buf[..n].starts_with(b"HTTP/"),
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    };
    let mut sent = 0;
    let mut normal_done = false;
    let mut disconnected = false;
    while sent < head.len() {
        if slow.write_all(&head[sent..=sent]).is_err() {
            disconnected = true;
            break;
        }
        sent += 1;
        if sent == 3 {
            // The slow client is mid-headers: others are served meanwhile.
            assert_healthy(&proxy);
            assert_forwards(&proxy, "{\"while\":\"slow loris\"}");
            assert!(!closed(&mut slow), "the slow client was cut off too early");
            normal_done = true;
        }
        if closed(&mut slow) {
            disconnected = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(normal_done);
    assert!(
        disconnected,
        "the proxy read {sent} header bytes at 10 bytes/s without closing the connection"
    );
    assert!(sent < head.len(), "the whole head was accepted");
    // The slow request never reached the upstream; the proxy is healthy.
    assert_eq!(upstream.heads(), 1);
    assert_healthy(&proxy);
}

#[test]
fn oversized_headers_get_431_and_the_proxy_stays_healthy() {
    let upstream = Recorder::start("es");
    let home = TempDir::new("faults-headers");
    let proxy = start_proxy(&home, &upstream.url(), "es", &[]);
    // One huge header value (1 MiB, beyond hyper's read buffer limit).
    let big = "a".repeat(1 << 20);
    let (status, text) = raw(
        proxy.addr,
        format!(
            "GET /big HTTP/1.1\r\nHost: {}\r\nX-Big: {big}\r\nConnection: close\r\n\r\n",
            proxy.addr
        )
        .as_bytes(),
    );
    assert!(status == 431 || status == 400, "{status}: {text}");
    // Too many headers (hyper's limit is 100).
    let mut many = format!("GET /many HTTP/1.1\r\nHost: {}\r\n", proxy.addr);
    for i in 0..500 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("Connection: close\r\n\r\n");
    let (status, text) = raw(proxy.addr, many.as_bytes());
    assert!(status == 431 || status == 400, "{status}: {text}");
    assert_eq!(upstream.heads(), 0);
    // 100 KiB: over the proxy's 64 KiB limit for the request head.
    let (status, text) = raw(
        proxy.addr,
        format!(
            "GET /mid HTTP/1.1\r\nHost: {}\r\nX-Mid: {}\r\nConnection: close\r\n\r\n",
            proxy.addr,
            "m".repeat(100 << 10)
        )
        .as_bytes(),
    );
    assert!(status == 431 || status == 400, "{status}: {text}");
    assert_eq!(upstream.heads(), 0);
    // Just under the limit (60 KiB): forwarded, and signed like any other header.
    let (status, text) = raw(
        proxy.addr,
        format!(
            "GET /under HTTP/1.1\r\nHost: {}\r\nX-Under: {}\r\nConnection: close\r\n\r\n",
            proxy.addr,
            "u".repeat(60 << 10)
        )
        .as_bytes(),
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(upstream.heads(), 1);
    assert_eq!(upstream.seen.verified.load(Ordering::SeqCst), 1);
    assert_healthy(&proxy);
    assert_forwards(&proxy, "{\"after\":\"big headers\"}");
    assert_eq!(upstream.seen.verified.load(Ordering::SeqCst), 2);
    assert_eq!(upstream.seen.rejected.load(Ordering::SeqCst), 0);
}

#[test]
fn oversized_bodies_get_413_and_nothing_is_forwarded() {
    let upstream = Recorder::start("es");
    let home = TempDir::new("faults-body");
    let proxy = start_proxy(&home, &upstream.url(), "es", &["--max-body", "1k"]);
    let body = vec![b'z'; 4096];
    // Declared length over the limit.
    let mut req = format!(
        "POST /big HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        proxy.addr,
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let (status, text) = raw(proxy.addr, &req);
    assert_eq!(status, 413, "{text}");
    // Chunked, no declared length: the limit applies while reading.
    let mut req = format!(
        "POST /big HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        proxy.addr
    )
    .into_bytes();
    for chunk in body.chunks(512) {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = raw(proxy.addr, &req);
    assert_eq!(status, 413, "{text}");
    assert_eq!(upstream.seen.connections.load(Ordering::SeqCst), 0);
    assert_eq!(upstream.heads(), 0);
    assert_healthy(&proxy);
    assert_forwards(&proxy, "{\"small\":1}");
    assert_eq!(upstream.seen.verified.load(Ordering::SeqCst), 1);
}

#[test]
fn upstream_that_never_answers_gets_504() {
    // Accepts connections and reads requests but never writes a byte.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(AtomicU64::new(0));
    let r = received.clone();
    rt.spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            let r = r.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = [0u8; 4096];
                while let Ok(n) = sock.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    r.fetch_add(n as u64, Ordering::SeqCst);
                }
            });
        }
    });
    let home = TempDir::new("faults-timeout");
    let proxy = start_proxy(
        &home,
        &format!("http://{addr}"),
        "es",
        &["--upstream-timeout", "1s"],
    );
    let (status, text) = get(proxy.addr, "/never");
    assert_eq!(status, 504, "{text}");
    assert!(received.load(Ordering::SeqCst) > 0);
    assert_healthy(&proxy);
    let log = wait_for_log_lines(&proxy, 2);
    assert!(log.contains("\"status\":504"), "{log}");
}
