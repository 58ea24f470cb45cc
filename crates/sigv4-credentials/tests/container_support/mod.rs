//! Test helpers shared by the container, IMDS and cache tests: a local HTTP
//! server on 127.0.0.1 with hand-written responses (and hand-written
//! faults), a fake HTTP client that records requests, and a settable clock.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sigv4_credentials::{BoxFuture, HttpClient, HttpError, HttpRequestOptions, TimeSource};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A secret that must never appear in an error message.
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
/// A session token that must never appear in an error message.
pub const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";

/// A well-formed credentials document expiring at `expiration`.
pub fn credentials_json(access_key_id: &str, expiration: &str) -> String {
    format!(
        r#"{{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"{access_key_id}","SecretAccessKey":"{SECRET}","Token":"{SESSION_TOKEN}","Expiration":"{expiration}","AccountId":"123456789012"}}"#
    )
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Write these bytes, then close.
    Raw(Vec<u8>),
    /// Read the request, never answer (until the server is dropped).
    Hang,
    /// Close the connection without answering.
    Close,
    /// Write these bytes one at a time with a pause between them.
    Drip(Vec<u8>, Duration),
}

/// An HTTP/1.1 response with a Content-Length and `Connection: close`.
pub fn response(status: u16, content_type: Option<&str>, body: &str) -> Action {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    Action::Raw(bytes)
}

pub fn json(body: &str) -> Action {
    response(200, Some("application/json"), body)
}

type Handler = dyn Fn(&Seen) -> Action + Send + Sync;

/// A local HTTP server on 127.0.0.1, on its own thread and runtime (so it
/// serves sync and async tests alike). Stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start(handler: impl Fn(&Seen) -> Action + Send + Sync + 'static) -> TestServer {
        let handler: Arc<Handler> = Arc::new(handler);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let seen2 = seen.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("test server runtime");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind 127.0.0.1");
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let accept = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let handler = handler.clone();
                        let seen = seen2.clone();
                        tokio::spawn(serve(stream, handler, seen));
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stop_rx => {}
                }
            });
            // Dropping the runtime drops hanging connections.
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("test server did not start");
        TestServer {
            addr,
            seen,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Always does the same thing.
    pub fn always(action: Action) -> TestServer {
        TestServer::start(move |_| action.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read the request head (bounded), then any Content-Length body.
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .min(1024 * 1024);
    while buf.len() < head_end + len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body_end = buf.len().min(head_end + len);
    let request = Seen {
        method,
        path,
        headers,
        body: buf[head_end..body_end].to_vec(),
    };
    let action = handler(&request);
    seen.lock().unwrap().push(request);
    match action {
        Action::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Action::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Action::Close => drop(stream),
        Action::Drip(bytes, pause) => {
            for b in bytes {
                if stream.write_all(&[b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(pause).await;
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A port on 127.0.0.1 with a listener that never accepts: connections
/// complete in the kernel backlog but nothing ever answers (a local
/// stand-in for a black-hole address). Keep the listener alive.
pub fn silent_listener() -> (std::net::TcpListener, SocketAddr) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let a = l.local_addr().unwrap();
    (l, a)
}

/// A port on 127.0.0.1 where nothing listens (connection refused).
pub fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let a = l.local_addr().unwrap();
    drop(l);
    a
}

type Responder =
    dyn Fn(&http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, HttpError> + Send + Sync;

/// An HTTP client that records requests and answers from a closure, without
/// any network.
#[derive(Clone)]
pub struct FakeHttp {
    pub requests: Arc<Mutex<Vec<http::Request<Vec<u8>>>>>,
    respond: Arc<Responder>,
}

impl std::fmt::Debug for FakeHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeHttp")
    }
}

impl FakeHttp {
    pub fn new(
        respond: impl Fn(&http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, HttpError>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        FakeHttp {
            requests: Arc::new(Mutex::new(Vec::new())),
            respond: Arc::new(respond),
        }
    }

    pub fn uris(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.uri().to_string())
            .collect()
    }
}

impl HttpClient for FakeHttp {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _options: HttpRequestOptions,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
        let result = (self.respond)(&request);
        let (parts, body) = request.into_parts();
        self.requests
            .lock()
            .unwrap()
            .push(http::Request::from_parts(parts, body));
        Box::pin(async move { result })
    }
}

pub fn http_response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

/// A clock the test moves by hand.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<SystemTime>>);

impl TestClock {
    pub fn new(t: SystemTime) -> Self {
        TestClock(Arc::new(Mutex::new(t)))
    }
    pub fn set(&self, t: SystemTime) {
        *self.0.lock().unwrap() = t;
    }
    pub fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
    pub fn get(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

impl TimeSource for TestClock {
    fn now(&self) -> SystemTime {
        self.get()
    }
}

/// Counts calls.
#[derive(Debug, Default, Clone)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn incr(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Panics (failing the test) if `err` shows any secret.
pub fn assert_no_secret(err: &dyn std::fmt::Display) {
    let s = err.to_string();
    for secret in [SECRET, SESSION_TOKEN, "wJalr", "IQoJb3"] {
        assert!(!s.contains(secret), "error message leaks a secret: {s}");
    }
}

/// The shared test data directory; panics when missing.
pub fn testdata(rel: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ));
    assert!(
        root.is_dir(),
        "shared test data directory {} is missing: the conformance tests cannot run",
        root.display()
    );
    let p = root.join(rel);
    assert!(p.exists(), "test data file {} is missing", p.display());
    p
}

/// A provider for cache tests: counts fetches, waits for a gate to be open,
/// then answers `AKID-<n>` expiring an hour after the clock's now (or fails
/// while `fail` is set).
#[derive(Clone, Debug)]
pub struct GatedProvider {
    pub fetches: Counter,
    pub in_fetch: Counter,
    gate: Arc<tokio::sync::watch::Sender<bool>>,
    fail: Arc<std::sync::atomic::AtomicBool>,
    clock: TestClock,
    lifetime: Duration,
}

impl GatedProvider {
    pub fn new(clock: &TestClock) -> Self {
        GatedProvider {
            fetches: Counter::default(),
            in_fetch: Counter::default(),
            gate: Arc::new(tokio::sync::watch::channel(true).0),
            fail: Arc::default(),
            clock: clock.clone(),
            lifetime: Duration::from_secs(3600),
        }
    }
    pub fn open(&self) {
        self.gate.send_replace(true);
    }
    pub fn close(&self) {
        self.gate.send_replace(false);
    }
    pub fn set_fail(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }
}

impl sigv4_credentials::ProvideCredentials for GatedProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, sigv4_credentials::CredentialsResult> {
        Box::pin(async move {
            let n = self.fetches.incr();
            self.in_fetch.incr();
            let mut rx = self.gate.subscribe();
            let _ = rx.wait_for(|open| *open).await;
            self.in_fetch.0.fetch_sub(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(sigv4_credentials::CredentialsError::provider_error(
                    "Gated",
                    format!("fetch {n} failed on purpose"),
                ));
            }
            let creds = sigv4::Credentials::new(
                format!("AKID-{n}"),
                SECRET,
                Some(SESSION_TOKEN.to_string()),
                Some(self.clock.get() + self.lifetime),
            );
            Ok(sigv4_credentials::ProvidedCredentials::new(creds, "Gated"))
        })
    }
    fn name(&self) -> &'static str {
        "Gated"
    }
}

/// Polls `cond` (yielding to the scheduler) until it holds; panics after a
/// generous bound so a broken test fails instead of hanging.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..20_000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The same for plain threads.
pub fn eventually_blocking(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..20_000 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("timed out waiting for: {what}");
}

/// A tracing subscriber that records every event's level and fields (install
/// it with `tracing::subscriber::set_default` on a current-thread runtime).
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<String>>>);

pub struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ =
            std::fmt::Write::write_fmt(&mut self.0, format_args!("{}={:?} ", field.name(), value));
    }
}

impl Recorder {
    pub fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields(format!("{} ", event.metadata().level()));
        event.record(&mut f);
        self.0.lock().unwrap().push(f.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
