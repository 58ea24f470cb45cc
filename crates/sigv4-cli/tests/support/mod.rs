//! Local servers for the CLI's end-to-end tests, all on 127.0.0.1:
//!
//! * [`S3Server`]: a real S3 server (`s3s` with the `s3s-fs` backend) that verifies SigV4
//!   itself (header and presigned signatures, aws-chunked chunk signatures);
//! * [`VerifyingServer`]: an upstream that verifies every request with
//!   `sigv4::verify::Verifier` (body hash included), echoes the body, and answers a failed
//!   verification with S3's XML error, canonical request and string to sign included.
//!
//! Each runs on its own tokio runtime so tests can run the `sigv4` binary synchronously.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::Credentials;
use tokio::net::TcpListener;

pub const AK: &str = "AKIACLITESTKEY";
pub const SK: &str = "cli/test/secret+key/for/local/servers";
pub const REGION: &str = "us-east-1";

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "sigv4-cli-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The `sigv4` binary with a clean environment: only the given credentials, no profiles,
/// no instance metadata.
pub fn sigv4_cmd(home: &Path, secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", REGION);
    c
}

/// Runs `sigv4 ARGS` with the right secret.
pub fn sigv4(home: &Path, args: &[&str]) -> Output {
    sigv4_cmd(home, SK).args(args).output().unwrap()
}

/// Whether the real `curl` can run here (tests compare with it when it can).
pub fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Says loudly that the curl comparison of `what` did not run.
pub fn skip(what: &str) {
    eprintln!("SKIPPED: {what}: `curl` is not on PATH (apt-get install -y curl to run it)");
}

/// Reads a request head (up to the blank line, at most 64 KiB) from a blocking stream.
pub fn read_head(s: &mut std::net::TcpStream) -> Vec<u8> {
    use std::io::Read;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    head
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts success and returns stdout.
#[track_caller]
pub fn ok(out: &Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        text(&out.stderr)
    );
    out.stdout.clone()
}

/// s3s + s3s-fs on 127.0.0.1, verifying SigV4 with the test key.
pub struct S3Server {
    pub addr: SocketAddr,
    pub root: TempDir,
    rt: tokio::runtime::Runtime,
}

impl S3Server {
    pub fn start(name: &str) -> S3Server {
        let root = TempDir::new(&format!("s3-{name}"));
        let rt = runtime();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(SimpleAuth::from_single(AK, SK));
        let service = b.build();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(sock), service)
                        .await;
                });
            }
        });
        S3Server { addr, root, rt }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        // The runtime's drop stops the server tasks.
    }
}

/// Counters of a [`VerifyingServer`].
#[derive(Default)]
pub struct Counts {
    pub verified: AtomicU64,
    pub rejected: AtomicU64,
}

/// An upstream verifying every request with `sigv4::verify` for `service`.
pub struct VerifyingServer {
    pub addr: SocketAddr,
    pub counts: Arc<Counts>,
    rt: tokio::runtime::Runtime,
}

impl VerifyingServer {
    pub fn start(service: &str) -> VerifyingServer {
        Self::start_with(service, 2)
    }

    pub fn start_with(service: &str, threads: usize) -> VerifyingServer {
        Self::start_verifier(Verifier::new(REGION, service).unwrap(), threads)
    }

    /// The same over TLS with `acceptor` (see [`self_signed_tls`]).
    pub fn start_tls(service: &str, acceptor: tokio_rustls::TlsAcceptor) -> VerifyingServer {
        Self::start_inner(Verifier::new(REGION, service).unwrap(), 1, Some(acceptor))
    }

    pub fn start_verifier(verifier: Verifier, threads: usize) -> VerifyingServer {
        Self::start_inner(verifier, threads, None)
    }

    fn start_inner(
        verifier: Verifier,
        threads: usize,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> VerifyingServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .unwrap();
        let verifier = Arc::new(verifier);
        let counts = Arc::new(Counts::default());
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let c = counts.clone();
        rt.spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let _ = sock.set_nodelay(true);
                let verifier = verifier.clone();
                let counts = c.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let verifier = verifier.clone();
                        let counts = counts.clone();
                        async move {
                            Ok::<_, Infallible>(verify_and_echo(&verifier, &counts, req).await)
                        }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    match tls {
                        None => {
                            let _ = http.serve_connection(TokioIo::new(sock), svc).await;
                        }
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(sock).await {
                                let _ = http.serve_connection(TokioIo::new(stream), svc).await;
                            }
                        }
                    }
                });
            }
        });
        VerifyingServer { addr, counts, rt }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn verify_and_echo(
    verifier: &Verifier,
    counts: &Counts,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, 64 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .body(Full::new(Bytes::from_static(b"unreadable body")))
                .unwrap()
        }
    };
    let head = Request::from_parts(parts, ());
    let lookup = |id: &str| (id == AK).then(|| Credentials::new(AK, SK, None, None));
    let view = VerifiableRequest::from_http(&head, VerifyBody::Bytes(&body));
    let verdict = verifier.verify(&view, &lookup, SystemTime::now());
    drop(view);
    match verdict {
        Ok(v) => {
            counts.verified.fetch_add(1, Ordering::Relaxed);
            let mut r = Response::new(Full::new(body));
            r.headers_mut()
                .insert("x-verified-access-key", v.access_key_id().parse().unwrap());
            let names: Vec<&str> = head.headers().keys().map(|k| k.as_str()).collect();
            r.headers_mut()
                .insert("x-seen-headers", names.join(",").parse().unwrap());
            r.headers_mut().insert(
                "x-seen-query",
                head.uri().query().unwrap_or("").parse().unwrap(),
            );
            r.headers_mut().insert(
                "x-seen-host",
                head.headers()
                    .get("host")
                    .cloned()
                    .unwrap_or_else(|| http::HeaderValue::from_static("")),
            );
            r
        }
        Err(e) => {
            counts.rejected.fetch_add(1, Ordering::Relaxed);
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>",
                e.code(),
                xml_escape(&e.to_string())
            );
            if let Some(m) = e.signature_mismatch() {
                xml.push_str(&format!(
                    "<StringToSign>{}</StringToSign><CanonicalRequest>{}</CanonicalRequest>",
                    xml_escape(m.string_to_sign()),
                    xml_escape(m.canonical_request())
                ));
            }
            xml.push_str("</Error>");
            Response::builder()
                .status(e.http_status())
                .header("content-type", "application/xml")
                .body(Full::new(Bytes::from(xml)))
                .unwrap()
        }
    }
}

/// Writes `len` bytes of a deterministic pseudo-random stream to `path`, 1 MiB at a time,
/// and returns its SHA-256 (hex).
pub fn write_test_file(path: &Path, len: u64) -> String {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut h = Sha256::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut left = len;
    let mut buf = vec![0u8; 1 << 20];
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        for chunk in buf[..n].chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = x.to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        f.write_all(&buf[..n]).unwrap();
        h.update(&buf[..n]);
        left -= n as u64;
    }
    f.flush().unwrap();
    sigv4::hex(&h.finalize())
}

/// SHA-256 (hex) of a file, read 1 MiB at a time.
pub fn sha256_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    sigv4::hex(&h.finalize())
}

/// Runs `cmd`, sampling the child's peak resident memory (VmHWM, Linux) while it runs;
/// returns the output and the largest peak seen, in KiB (0 where /proc is missing).
pub fn run_measuring_memory(mut cmd: Command, timeout: Duration) -> (Output, u64) {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = std::time::Instant::now();
    let mut peak = 0u64;
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut { stdout }, &mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut { stderr }, &mut v);
        v
    });
    let status = loop {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:")) {
                let kb: u64 = line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                peak = peak.max(kb);
            }
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("the command ran longer than {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    };
    (output, peak)
}

/// A `sigv4 proxy` process listening on 127.0.0.1 (a free port), its access log in a file.
pub struct ProxyProc {
    pub child: std::process::Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl ProxyProc {
    /// Starts `sigv4 proxy ARGS --listen 127.0.0.1:0` and waits for its address.
    pub fn start(home: &Path, args: &[&str]) -> ProxyProc {
        Self::start_env(home, &[], args)
    }

    /// [`ProxyProc::start`] with `env` added to the clean environment.
    pub fn start_env(home: &Path, env: &[(&str, &str)], args: &[&str]) -> ProxyProc {
        use std::io::BufRead;
        use std::process::Stdio;
        static N: AtomicU64 = AtomicU64::new(0);
        let log = home.join(format!("proxy-{}.log", N.fetch_add(1, Ordering::Relaxed)));
        let mut child = sigv4_cmd(home, SK)
            .envs(env.iter().copied())
            .arg("proxy")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("the proxy did not start within 30 s");
            }
        };
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the proxy did not start: {line:?}; log: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        ProxyProc {
            addr: addr.parse().unwrap(),
            child,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Waits for the process to exit (at most `timeout`).
    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let start = std::time::Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < timeout,
                "the proxy did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ProxyProc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost: the TLS acceptor, and the
/// certificate as PEM (to trust it with --cacert).
pub fn self_signed_tls() -> (tokio_rustls::TlsAcceptor, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    (
        tls_acceptor(vec![ck.cert.der().clone()], key),
        ck.cert.pem(),
    )
}

/// A TLS acceptor serving `certs` with `key`, on the CLI's own choice of provider
/// (src/net.rs: ring, deprecated in rustls 0.23.48).
pub fn tls_acceptor(
    certs: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> tokio_rustls::TlsAcceptor {
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A server that reads a request head, then writes `answer` (None: says nothing for 5 s)
/// and closes (at most 10 connections).
pub fn raw_server(answer: Option<&'static [u8]>) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(10) {
            let Ok(mut c) = conn else { continue };
            let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            match answer {
                Some(a) => {
                    let _ = c.write_all(a);
                }
                None => std::thread::sleep(std::time::Duration::from_secs(5)),
            }
        }
    });
    addr
}
