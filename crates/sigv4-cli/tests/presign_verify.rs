//! `sigv4 presign` for a service other than S3 (the payload is the empty body's hash, the
//! path is normalized and double-encoded), checked by a local server running
//! `sigv4::verify` on the URL fetched with a plain HTTP client.

mod support;

use std::io::{Read, Write};
use std::sync::atomic::Ordering;

use support::*;

fn get(addr: std::net::SocketAddr, target: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    text(&buf)
}

#[test]
fn presigned_url_for_a_non_s3_service_verifies() {
    let server = VerifyingServer::start("execute-api");
    let home = TempDir::new("presign-apigw");
    let url = server.url("/prod/items/a%20b?limit=10&next=x%2Fy");
    let signed = text(&ok(&sigv4(
        home.path(),
        &[
            "presign",
            "--service",
            "execute-api",
            "--expires",
            "900",
            &url,
        ],
    )));
    let signed = signed.trim();
    let target = &signed[signed.find("/prod").unwrap()..];
    assert!(
        target.starts_with("/prod/items/a%20b?limit=10&next=x%2Fy&X-Amz-"),
        "{target}"
    );
    let resp = get(server.addr, target);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert_eq!(server.counts.verified.load(Ordering::Relaxed), 1);

    // Tampering with a signed parameter is refused.
    let tampered = target.replace("limit=10", "limit=11");
    let resp = get(server.addr, &tampered);
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    assert!(resp.contains("SignatureDoesNotMatch"), "{resp}");
}
