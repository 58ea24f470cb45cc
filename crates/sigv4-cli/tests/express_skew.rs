//! Through the `sigv4` binary, against a local 127.0.0.1 server that verifies every
//! request with our Verifier at its own clock:
//!
//! * S3 Express One Zone: `request` (PUT from a file, PUT of data, GET) and `presign` on a
//!   path-style directory bucket; the server checks the CreateSession signature
//!   (`s3express`, base credentials) and that data requests are signed with the session
//!   and carry its token as `x-amz-s3session-token`.
//! * Clock skew: a server 30 minutes ahead and one 30 minutes behind refuse the first
//!   signature with RequestTimeTooSkewed; `request` and `proxy` learn the offset from the
//!   `Date` header, re-sign and retry once, and the proxy keeps the offset afterwards.

#[path = "../../sigv4-credentials/tests/local_aws/mod.rs"]
mod local_aws;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use local_aws::*;

struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("sigv4-f2-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Home(dir)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with only the base credentials in its environment (no profiles, no
/// instance metadata).
fn sigv4_cmd(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", BASE_AK)
        .env("AWS_SECRET_ACCESS_KEY", BASE_SK)
        .env("AWS_REGION", REGION);
    c
}

fn run(home: &Path, args: &[&str]) -> Output {
    sigv4_cmd(home).args(args).output().unwrap()
}

#[track_caller]
fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

/// One HTTP/1.1 exchange on a plain socket (no signing): status and body.
fn raw_http(addr: std::net::SocketAddr, method: &str, target: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = resp[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n =
            usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[line_end + 2..line_end + 2 + n]);
        b = &b[line_end + 2 + n + 2..];
    }
}

#[test]
fn s3_express_put_get_and_presign_through_the_cli() {
    let server = LocalAws::start(Config::express());
    let home = Home::new("express");
    let file = home.0.join("upload.txt");
    std::fs::write(&file, b"uploaded to a directory bucket\n").unwrap();
    let base = |p: &str| server.url(&format!("/{BUCKET}{p}"));

    // PUT from a file (UNSIGNED-PAYLOAD, streamed), with -v.
    let (_, err) = ok(&run(
        &home.0,
        &[
            "request",
            "--service",
            "s3",
            "--fail",
            "-v",
            "-T",
            file.to_str().unwrap(),
            &base("/dir/upload.txt"),
        ],
    ));
    assert!(
        err.contains("S3 Express directory bucket mybucket--usw2-az1--x-s3"),
        "{err}"
    );
    assert!(
        err.contains("x-amz-s3session-token: <session token"),
        "{err}"
    );
    assert!(
        !err.contains("express-token-"),
        "the session token must not be shown: {err}"
    );
    // PUT of data (the body's hash signed), then GET both back.
    ok(&run(
        &home.0,
        &[
            "request",
            "--service",
            "s3",
            "--fail",
            "-X",
            "PUT",
            "--data-binary",
            "hashed body",
            &base("/b.txt"),
        ],
    ));
    let (got, _) = ok(&run(
        &home.0,
        &[
            "request",
            "--service",
            "s3",
            "--fail",
            &base("/dir/upload.txt"),
        ],
    ));
    assert_eq!(got, "uploaded to a directory bucket\n");
    let (got, _) = ok(&run(
        &home.0,
        &["request", "--service", "s3", "--fail", &base("/b.txt")],
    ));
    assert_eq!(got, "hashed body");

    // A presigned GET, fetched without any signing on our side.
    let (url, _) = ok(&run(
        &home.0,
        &[
            "presign",
            "--service",
            "s3",
            "--expires",
            "5m",
            &base("/b.txt"),
        ],
    ));
    let url = url.trim();
    assert!(
        url.contains("X-Amz-S3session-Token=") && !url.contains("X-Amz-Security-Token"),
        "{url}"
    );
    assert!(url.contains("%2Fs3express%2Faws4_request"), "{url}");
    let target = &url[url.find(BUCKET).unwrap() - 1..];
    let (status, body) = raw_http(server.addr, "GET", target, b"");
    assert_eq!((status, body.as_slice()), (200, b"hashed body".as_slice()));

    // Every CLI run made one CreateSession (signed with the base key); every data request
    // was signed by a session with x-amz-s3session-token and without x-amz-security-token.
    assert!(
        server.state.refused().is_empty(),
        "{:?}",
        server.state.refused()
    );
    let seen = server.state.accepted();
    let (sessions, data): (Vec<_>, Vec<_>) =
        seen.iter().partition(|s| s.target.ends_with("?session"));
    assert_eq!(sessions.len(), 5);
    assert_eq!(server.state.create_sessions(), 5);
    assert!(sessions
        .iter()
        .all(|s| s.access_key == BASE_AK && s.target == format!("/{BUCKET}?session")));
    assert_eq!(data.len(), 5);
    for d in &data {
        assert!(d.access_key.starts_with("ASIAEXPRESS"), "{d:?}");
        assert!(
            !d.header_names.iter().any(|h| h == "x-amz-security-token"),
            "{d:?}"
        );
    }
    assert!(data[..4]
        .iter()
        .all(|d| d.signed_headers.contains("x-amz-s3session-token")));
}

#[test]
fn s3_express_with_a_server_clock_30_minutes_ahead() {
    let server = LocalAws::start(Config {
        clock_offset_secs: 1800,
        ..Config::express()
    });
    let home = Home::new("express-skew");
    let url = server.url(&format!("/{BUCKET}/skewed.txt"));
    let (_, err) = ok(&run(
        &home.0,
        &[
            "request",
            "--service",
            "s3",
            "--fail",
            "-v",
            "-X",
            "PUT",
            "--data-binary",
            "late",
            &url,
        ],
    ));
    // CreateSession was refused once and re-signed; the data request then went out at
    // the learned offset and was accepted at once.
    assert_eq!(server.state.refused(), ["RequestTimeTooSkewed"]);
    assert!(err.contains("Signing at the local time +"), "{err}");
    let (got, _) = ok(&run(
        &home.0,
        &["request", "--service", "s3", "--fail", &url],
    ));
    assert_eq!(got, "late");
    assert_eq!(server.state.refused().len(), 2, "each CLI run learns once");
}

fn offset_in(stderr: &str) -> i64 {
    // "... the server's clock is N s ahead of ours ... (offset +N s)"
    let at = stderr.find("(offset ").expect("the offset is shown") + "(offset ".len();
    let n: String = stderr[at..].chars().take_while(|c| *c != ' ').collect();
    n.parse().unwrap()
}

#[test]
fn request_learns_the_offset_of_a_server_ahead_and_behind() {
    for (offset, word) in [(1800i64, "ahead of"), (-1800, "behind")] {
        let server = LocalAws::start(Config::plain("es", offset));
        let home = Home::new("skew");
        let (out, err) = ok(&run(
            &home.0,
            &[
                "request",
                "--service",
                "es",
                "--fail",
                "-v",
                "-X",
                "PUT",
                "-d",
                "skewed",
                &server.url("/idx/doc"),
            ],
        ));
        assert_eq!(out, "", "{err}");
        assert!(
            err.contains(&format!("s {word} ours (RequestTimeTooSkewed)")),
            "{err}"
        );
        let learned = offset_in(&err);
        assert!(
            (learned - offset).abs() <= 2,
            "learned {learned} for {offset}: {err}"
        );
        assert!(err.contains("Signing at the local time"), "{err}");
        // Refused once, then accepted with a signature dated at the server's time.
        assert_eq!(server.state.refused(), ["RequestTimeTooSkewed"]);
        let seen = server.state.accepted();
        assert_eq!(seen.len(), 1);
        let signed = sigv4::AmzDate::parse(&seen[0].amz_date)
            .unwrap()
            .unix_seconds() as i64;
        let server_now = server
            .now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(
            (signed - server_now).abs() < 120,
            "signed {signed}, server {server_now}"
        );
    }
}

struct Proxy {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    log: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_proxy(home: &Path, upstream: &str, extra: &[&str]) -> Proxy {
    let log = home.join("proxy.log");
    let mut child = sigv4_cmd(home)
        .args([
            "proxy",
            "--upstream",
            upstream,
            "--service",
            "es",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
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
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the proxy starts");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| {
            panic!(
                "{line:?}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        })
        .parse()
        .unwrap();
    Proxy { child, addr, log }
}

#[test]
fn proxy_retries_once_and_keeps_the_offset_per_endpoint() {
    for offset in [1800i64, -1800] {
        let server = LocalAws::start(Config::plain("es", offset));
        let home = Home::new("proxy-skew");
        // 30 minutes is beyond the default bound (15 minutes): allowed here.
        let proxy = start_proxy(&home.0, &server.url(""), &["--max-clock-offset", "1h"]);
        // A body the proxy reads whole: re-signed and sent again after the refusal.
        let (status, body) = raw_http(proxy.addr, "PUT", "/idx/one", b"first");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(server.state.refused(), ["RequestTimeTooSkewed"]);
        // Later requests are signed at the learned offset: no more refusals.
        let (status, _) = raw_http(proxy.addr, "PUT", "/idx/two", b"second");
        assert_eq!(status, 200);
        let (status, body) = raw_http(proxy.addr, "GET", "/idx/one", b"");
        assert_eq!((status, body.as_slice()), (200, b"first".as_slice()));
        assert_eq!(server.state.refused().len(), 1);
        assert_eq!(server.state.accepted().len(), 3);
        let log = std::fs::read_to_string(&proxy.log).unwrap();
        assert!(log.contains("clock skew: the server's clock is"), "{log}");
    }
}

/// Issue #22: a hostile upstream answering RequestTimeTooSkewed with a time a year ahead
/// (or anyone on a plain-http path to it) must not make the proxy sign requests that stay
/// valid far in the future: offsets beyond --max-clock-offset (15 minutes by default) are
/// not learned, the refusal is passed on, and later requests are signed at the local time.
#[test]
fn proxy_does_not_learn_a_clock_offset_beyond_its_bound() {
    let year = 365 * 86_400;
    for (offset, extra) in [
        (year, &[][..]),
        (-year, &[][..]),
        (1800, &["--max-clock-offset", "20m"][..]),
    ] {
        let server = LocalAws::start(Config::plain("es", offset));
        let home = Home::new("proxy-skew-bound");
        let proxy = start_proxy(&home.0, &server.url(""), extra);
        for _ in 0..2 {
            let (status, body) = raw_http(proxy.addr, "GET", "/idx/one", b"");
            assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
            assert!(String::from_utf8_lossy(&body).contains("RequestTimeTooSkewed"));
        }
        // One refusal per request: no retry at the claimed time, and no later request
        // signed at it.
        assert_eq!(
            server.state.refused(),
            ["RequestTimeTooSkewed", "RequestTimeTooSkewed"],
            "offset {offset}"
        );
        assert!(server.state.accepted().is_empty());
        let log = std::fs::read_to_string(&proxy.log).unwrap();
        assert!(
            log.contains("not learning a clock offset beyond the bound"),
            "{log}"
        );
        assert!(!log.contains("retrying once"), "{log}");
    }
}
