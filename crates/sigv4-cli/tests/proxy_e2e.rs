//! `sigv4 proxy` in front of a local upstream that verifies every request with
//! `sigv4::verify`: re-signing, header handling, health endpoint, body limit (413),
//! concurrency limit (503), graceful shutdown on SIGTERM and the access log.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::time::Duration;

use support::*;

/// One HTTP/1.1 exchange over a fresh connection (`Connection: close`); returns the status,
/// the header block and the body.
fn raw(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", text(&buf)));
    let head = text(&buf[..split]);
    let body = buf[split + 4..].to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head, body)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn resigns_rewrites_host_strips_hop_by_hop_and_logs() {
    let upstream = VerifyingServer::start("es");
    let home = TempDir::new("proxy-basic");
    let proxy = ProxyProc::start(
        home.path(),
        &[
            "--upstream",
            &upstream.url(""),
            "--service",
            "es",
            "--region",
            REGION,
        ],
    );

    // Health endpoint: answered by the proxy, not forwarded.
    let (status, _, body) = raw(
        proxy.addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((status, text(&body).as_str()), (200, "ok\n"));
    assert_eq!(upstream.counts.verified.load(Ordering::Relaxed), 0);

    // A POST carrying a stale signature, hop-by-hop headers and a header named in
    // Connection: the proxy drops them, signs again, and the upstream verifies it.
    let body = b"{\"query\":{\"match_all\":{}}}";
    let req = format!(
        "POST /logs/_search?size=1&q=a%20b HTTP/1.1\r\nHost: proxy.local\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIDOLD/20000101/us-east-1/es/aws4_request, SignedHeaders=host, Signature=00\r\n\
         X-Amz-Date: 20000101T000000Z\r\nX-Amz-Security-Token: stale\r\n\
         Connection: close, x-hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    let (status, head, echoed) = raw(proxy.addr, &bytes);
    assert_eq!(status, 200, "{head}\n{}", text(&echoed));
    assert_eq!(echoed, body);
    assert_eq!(header(&head, "x-verified-access-key"), Some(AK));
    assert_eq!(
        header(&head, "x-seen-host"),
        Some(upstream.addr.to_string().as_str())
    );
    let seen = header(&head, "x-seen-headers").unwrap().to_owned();
    for gone in [
        "x-hop",
        "keep-alive",
        "te",
        "x-amz-security-token",
        "connection",
    ] {
        assert!(
            !seen.split(',').any(|h| h == gone),
            "{gone} forwarded: {seen}"
        );
    }
    for kept in [
        "content-type",
        "content-length",
        "authorization",
        "x-amz-date",
    ] {
        assert!(seen.split(',').any(|h| h == kept), "{kept} missing: {seen}");
    }

    // Presigned-URL parameters from the client are dropped (a request carrying both a
    // query and a header signature would be refused); other parameters are kept.
    let (status, head, _) = raw(
        proxy.addr,
        b"GET /idx/_count?X-Amz-Algorithm=AWS4-HMAC-SHA256&q=x&X-Amz-Signature=00&x-amz-credential=A%2F1&X-Amz-S3session-Token=t&X-Amz-Region-Set=us-east-1 HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200, "{head}");
    // The core's list of signing parameters (S3 Express and SigV4a ones included).
    assert_eq!(header(&head, "x-seen-query"), Some("q=x"), "{head}");

    // A chunked request body is read, hashed and sent with a Content-Length.
    let (status, head, echoed) = raw(
        proxy.addr,
        b"PUT /idx/_doc/1 HTTP/1.1\r\nHost: p\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    assert_eq!(status, 200, "{head}");
    assert_eq!(text(&echoed), "hello world");
    assert!(header(&head, "x-seen-headers")
        .unwrap()
        .contains("content-length"));
    assert_eq!(upstream.counts.rejected.load(Ordering::Relaxed), 0);
    assert_eq!(upstream.counts.verified.load(Ordering::Relaxed), 3);

    // The access log: one structured line per request, no credentials, no query strings.
    let log = proxy.log_text();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(" request ")).collect();
    assert_eq!(lines.len(), 4, "{log}");
    assert!(
        lines.iter().any(|l| l.contains("method=POST")
            && l.contains("path=/logs/_search")
            && l.contains("status=200")
            && l.contains("upstream_status=200")),
        "{log}"
    );
    assert!(lines.iter().any(|l| l.contains("note=\"health\"")), "{log}");
    assert!(
        !log.contains(SK) && !log.contains("size=1") && !log.contains("Signature="),
        "{log}"
    );
}

#[test]
fn sign_host_is_signed_and_sent() {
    let upstream = VerifyingServer::start("es");
    let home = TempDir::new("proxy-host");
    let sign_host = "search-logs-abc.us-east-1.es.amazonaws.com";
    // Service and region inferred from --sign-host.
    let proxy = ProxyProc::start(
        home.path(),
        &["--upstream", &upstream.url("/"), "--sign-host", sign_host],
    );
    let (status, head, _) = raw(
        proxy.addr,
        b"GET /_cluster/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200, "{head}");
    assert_eq!(header(&head, "x-seen-host"), Some(sign_host));
}

#[test]
fn body_limit_gives_413() {
    let upstream = VerifyingServer::start("es");
    let home = TempDir::new("proxy-413");
    let proxy = ProxyProc::start(
        home.path(),
        &[
            "--upstream",
            &upstream.url(""),
            "--service",
            "es",
            "--max-body",
            "1k",
        ],
    );
    let big = vec![b'x'; 1025];
    // Declared too large: refused before reading.
    let mut req =
        b"POST /a HTTP/1.1\r\nHost: p\r\nConnection: close\r\nContent-Length: 1025\r\n\r\n"
            .to_vec();
    req.extend_from_slice(&big);
    let (status, _, body) = raw(proxy.addr, &req);
    assert_eq!(status, 413);
    assert!(text(&body).contains("--max-body"), "{}", text(&body));
    // Chunked, no length: refused once it passes the limit.
    let mut req = b"POST /a HTTP/1.1\r\nHost: p\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n".to_vec();
    req.extend_from_slice(&big);
    req.extend_from_slice(b"\r\n0\r\n\r\n");
    let (status, _, _) = raw(proxy.addr, &req);
    assert_eq!(status, 413);
    // Exactly the limit passes.
    let mut req =
        b"POST /a HTTP/1.1\r\nHost: p\r\nConnection: close\r\nContent-Length: 1024\r\n\r\n"
            .to_vec();
    req.extend_from_slice(&big[..1024]);
    let (status, _, body) = raw(proxy.addr, &req);
    assert_eq!(status, 200);
    assert_eq!(body.len(), 1024);
    assert_eq!(upstream.counts.verified.load(Ordering::Relaxed), 1);
}

#[test]
fn saturation_gives_503_and_sigterm_drains_in_flight_requests() {
    let upstream = VerifyingServer::start("es");
    let home = TempDir::new("proxy-503");
    let mut proxy = ProxyProc::start(
        home.path(),
        &[
            "--upstream",
            &upstream.url(""),
            "--service",
            "es",
            "--max-concurrency",
            "1",
        ],
    );
    // Occupy the only slot: a request whose body is still on its way.
    let slow_head =
        b"POST /slow HTTP/1.1\r\nHost: p\r\nConnection: close\r\nContent-Length: 10\r\n\r\nhello";
    let open_slow = || {
        let mut s = TcpStream::connect(proxy.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(slow_head).unwrap();
        s
    };
    let mut slow = open_slow();
    // Wait until the proxy has taken it (bounded). A probe can hold the slot at the moment
    // the slow request arrives, and then the slow request itself is the one refused: when
    // it has been answered already, send it again.
    let mut saw_503 = false;
    for _ in 0..200 {
        slow.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        let answered = matches!(slow.peek(&mut byte), Ok(n) if n > 0);
        slow.set_nonblocking(false).unwrap();
        if answered {
            slow = open_slow();
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let (status, head, _) = raw(
            proxy.addr,
            b"GET /other HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n",
        );
        if status == 503 {
            assert_eq!(header(&head, "retry-after"), Some("1"));
            saw_503 = true;
            break;
        }
        assert_eq!(status, 200);
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(saw_503, "no 503 while the only slot was taken");
    // Health stays available when saturated.
    let (status, _, _) = raw(
        proxy.addr,
        b"GET /healthz HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);

    // SIGTERM with the request in flight: it still completes, then the proxy exits 0.
    proxy.terminate();
    std::thread::sleep(Duration::from_millis(200));
    slow.write_all(b"world").unwrap();
    let (status, _, body) = read_response(&mut slow);
    assert_eq!(status, 200);
    assert_eq!(text(&body), "helloworld");
    let st = proxy.wait(Duration::from_secs(30));
    assert!(st.success(), "{st:?}\n{}", proxy.log_text());
    assert!(
        TcpStream::connect(proxy.addr).is_err(),
        "still accepting after shutdown"
    );
    let log = proxy.log_text();
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
}

#[test]
fn upstream_down_gives_502_and_bad_arguments_are_one_line() {
    let home = TempDir::new("proxy-502");
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let proxy = ProxyProc::start(home.path(), &["--upstream", &dead, "--service", "es"]);
    let (status, _, body) = raw(
        proxy.addr,
        b"GET / HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 502, "{}", text(&body));

    let out = sigv4(
        home.path(),
        &[
            "proxy",
            "--upstream",
            "http://127.0.0.1:1/?a=b",
            "--service",
            "es",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).lines().count(), 1);
    let out = sigv4(
        home.path(),
        &[
            "proxy",
            "--upstream",
            "http://127.0.0.1:1",
            "--max-body",
            "lots",
            "--service",
            "es",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--max-body"),
        "{}",
        text(&out.stderr)
    );
    let out = sigv4(home.path(), &["proxy", "--upstream", "http://127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--service"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn s3_bodies_stream_through_to_a_real_s3_server() {
    let s3 = S3Server::start("proxy");
    let home = TempDir::new("proxy-s3");
    // --max-body does not apply to S3: bodies are streamed with UNSIGNED-PAYLOAD.
    let proxy = ProxyProc::start(
        home.path(),
        &[
            "--upstream",
            &s3.url(""),
            "--service",
            "s3",
            "--region",
            REGION,
            "--max-body",
            "1k",
        ],
    );
    let (status, head, _) = raw(
        proxy.addr,
        b"PUT /viaproxy HTTP/1.1\r\nHost: p\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(status, 200, "{head}");

    let file = home.path().join("obj.bin");
    let len: u64 = 8 * 1024 * 1024 + 3;
    let sha = write_test_file(&file, len);
    let mut s = TcpStream::connect(proxy.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "PUT /viaproxy/big.bin HTTP/1.1\r\nHost: p\r\nConnection: close\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\n\r\n"
    )
    .unwrap();
    std::io::copy(&mut std::fs::File::open(&file).unwrap(), &mut s).unwrap();
    let (status, head, body) = read_response(&mut s);
    assert_eq!(status, 200, "{head}\n{}", text(&body));
    assert_eq!(sha256_file(&s3.root.path().join("viaproxy/big.bin")), sha);

    // Read back through the proxy, streamed.
    let (status, head, body) = raw(
        proxy.addr,
        b"GET /viaproxy/big.bin HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200, "{head}");
    assert_eq!(body.len() as u64, len);
    assert_eq!(
        header(&head, "content-type"),
        Some("application/octet-stream")
    );

    // A listing: the query string is signed too.
    let (status, _, body) = raw(
        proxy.addr,
        b"GET /viaproxy?list-type=2 HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(
        text(&body).contains("<Key>big.bin</Key>"),
        "{}",
        text(&body)
    );
}
