//! `sigv4 proxy --upstream http://host/base`: the client's path is resolved before it is
//! appended to the base path, a path leaving the base path is refused, and the upstream
//! never receives a dot segment. The upstream is a local TCP server recording the request
//! line it receives, byte for byte.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use support::*;

/// An upstream answering `200 ok` to at most `max` connections, sending each request line
/// it receives to the returned channel.
fn recording_upstream(max: usize) -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..max {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let head = read_head(&mut s);
            let text = String::from_utf8_lossy(&head).into_owned();
            let _ = tx.send(text.lines().next().unwrap_or_default().to_owned());
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (addr, rx)
}

/// `sigv4 proxy` in front of a recording upstream under the base path `/base`.
struct BaseProxy {
    proxy: ProxyProc,
    seen: mpsc::Receiver<String>,
    _home: TempDir,
}

impl BaseProxy {
    fn start(name: &str) -> BaseProxy {
        let (upstream, seen) = recording_upstream(64);
        let home = TempDir::new(name);
        let proxy = ProxyProc::start(
            home.path(),
            &[
                "--upstream",
                &format!("http://{upstream}/base"),
                "--service",
                "execute-api",
                "--region",
                REGION,
            ],
        );
        BaseProxy {
            proxy,
            seen,
            _home: home,
        }
    }

    /// The request line the upstream received next.
    fn next(&self) -> String {
        self.seen
            .recv_timeout(Duration::from_secs(10))
            .expect("the upstream saw no request")
    }
}

fn send(proxy: SocketAddr, target: &str) -> (u16, String) {
    let mut s = TcpStream::connect(proxy).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(
        format!("GET {target} HTTP/1.1\r\nHost: proxy.local\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn client_paths_cannot_leave_the_base_path_and_dot_segments_are_never_forwarded() {
    let base = BaseProxy::start("proxy-paths");
    let (proxy, next) = (&base.proxy, || base.next());

    // Dot segments inside the base path are resolved before forwarding.
    for (sent, forwarded) in [
        ("/items/1", "/base/items/1"),
        ("/public/../admin/secret", "/base/admin/secret"),
        ("/a/./b/../c/", "/base/a/c/"),
        ("/a/b/..?x=1", "/base/a/?x=1"),
    ] {
        let (status, text) = send(proxy.addr, sent);
        assert_eq!(status, 200, "{sent}: {text}");
        assert_eq!(next(), format!("GET {forwarded} HTTP/1.1"), "{sent}");
    }

    // Leaving the base path, or hiding a dot segment in percent-encoding, is refused
    // before anything is sent upstream.
    for sent in [
        "/../admin/secret",
        "/x/../../admin/secret",
        "/..",
        "/%2e%2e/admin/secret",
        "/a/%2E/b",
    ] {
        let (status, text) = send(proxy.addr, sent);
        assert_eq!(status, 400, "{sent}: {text}");
        assert!(text.contains("base path"), "{sent}: {text}");
    }
    // The next request the upstream sees is this one: none of the refused ones got there.
    let (status, _) = send(proxy.addr, "/after");
    assert_eq!(status, 200);
    assert_eq!(next(), "GET /base/after HTTP/1.1");
}

/// Issue 22 F2 and the shared edge policy: an encoded '/' (or '\') that forms a dot
/// segment once decoded, an authority-form target, and raw bytes that must be encoded are
/// refused before anything goes upstream; a raw '+' is forwarded as the space it means.
#[test]
fn encoded_separators_and_other_target_forms_never_reach_the_upstream() {
    let base = BaseProxy::start("proxy-edge");
    let (proxy, next) = (&base.proxy, || base.next());
    for sent in [
        "/..%2fadmin/keys",
        "/%2e%2e%2fadmin/keys",
        "/x/..%2F..%2Fadmin/keys",
        "/..%5Cadmin/keys",
        "evil.example.net:80",
        "/files/caf\u{e9}",
    ] {
        let (status, text) = send(proxy.addr, sent);
        assert_eq!(status, 400, "{sent}: {text}");
    }
    // A plain encoded slash inside a segment is a name, not a separator: forwarded as is.
    let (status, text) = send(proxy.addr, "/a%2Fb?q=x+y");
    assert_eq!(status, 200, "{text}");
    assert_eq!(next(), "GET /base/a%2Fb?q=x%20y HTTP/1.1");
}
