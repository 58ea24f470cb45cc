//! HTTPS: `sigv4 request` and `sigv4 proxy` against a local TLS server (self-signed
//! certificate made by the test) that verifies signatures; the built-in roots refuse it,
//! `--cacert` / `--upstream-cacert` trust it.

mod support;

use std::io::{Read, Write};
use std::sync::atomic::Ordering;

use support::*;

#[test]
fn https_request_with_cacert_and_refusal_without() {
    let (acceptor, pem) = self_signed_tls();
    let server = VerifyingServer::start_tls("es", acceptor);
    let home = TempDir::new("tls");
    let ca = home.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let url = format!("https://{}/secure/doc", server.addr);

    let out = sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "es",
            "--fail",
            "--cacert",
            ca.to_str().unwrap(),
            "-d",
            "x=1",
            &url,
        ],
    );
    assert_eq!(text(&ok(&out)), "x=1");
    assert_eq!(server.counts.verified.load(Ordering::Relaxed), 1);

    // The Mozilla roots do not know this certificate: curl's exit code 60 (peer
    // certificate cannot be authenticated), one line.
    let out = sigv4(home.path(), &["request", "--service", "es", &url]);
    assert_eq!(out.status.code(), Some(60), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("TLS"), "{err}");

    // A file without certificates: exit 77.
    let empty = home.path().join("empty.pem");
    std::fs::write(&empty, "nothing here\n").unwrap();
    let out = sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "es",
            "--cacert",
            empty.to_str().unwrap(),
            &url,
        ],
    );
    assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
}

#[test]
fn proxy_to_an_https_upstream() {
    let (acceptor, pem) = self_signed_tls();
    let server = VerifyingServer::start_tls("es", acceptor);
    let home = TempDir::new("tls-proxy");
    let ca = home.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let proxy = ProxyProc::start(
        home.path(),
        &[
            "--upstream",
            &format!("https://{}", server.addr),
            "--upstream-cacert",
            ca.to_str().unwrap(),
            "--service",
            "es",
        ],
    );
    let mut s = std::net::TcpStream::connect(proxy.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    s.write_all(
        b"POST /tls HTTP/1.1\r\nHost: p\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let resp = text(&buf);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.ends_with("\r\n\r\nhello"), "{resp}");
    assert_eq!(server.counts.verified.load(Ordering::Relaxed), 1);
}
