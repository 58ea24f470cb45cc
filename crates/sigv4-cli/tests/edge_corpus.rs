//! One corpus of hostile requests (tests/data/edge_corpus.txt), fed as raw bytes to the
//! three entry points that share the one edge policy (issue #22):
//!
//! * hyper + `sigv4_http::tower::VerifyLayer` + axum on 127.0.0.1, over a raw TCP stream;
//! * the real `sigv4 verify --request @-`;
//! * the real `sigv4 proxy`, forwarding to a 127.0.0.1 upstream that records what it gets.
//!
//! Every case must get its verdict from each. An accepted request must reach the
//! application (or the upstream) with the target the corpus names. The proxy does not
//! authenticate (it replaces every signature with its own); where that makes its verdict
//! differ, the corpus says so with a reason.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use sigv4::verify::Verifier;
use sigv4::{Credentials, Payload, QueryPlus, SignableRequest, Signer, SigningSettings};
use sigv4_http::tower::{KeyEntry, StaticKeys, VerifyLayer};
use support::*;

const HOST: &str = "api.example.com";
const CORPUS: &str = include_str!("data/edge_corpus.txt");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Accept,
    Refuse,
}

#[derive(Debug, Default)]
struct Case {
    name: String,
    service: String,
    sign: String,
    presign: bool,
    sign_body: Vec<u8>,
    sign_headers: Vec<(String, String)>,
    expect: Option<Verdict>,
    app: Option<String>,
    /// `Some(None)`: the proxy forwards (target not checked); `Some(Some(t))`: forwards `t`.
    proxy: Option<Option<String>>,
    why: Option<String>,
    lines: Vec<Vec<u8>>,
    body: Vec<u8>,
}

/// `\r`, `\n`, `\\` and `\xHH` escapes.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn parse_corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    for block in CORPUS.split("\n---\n") {
        let mut c = Case::default();
        for line in block.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(raw) = line.strip_prefix('>') {
                c.lines.push(unescape(raw.strip_prefix(' ').unwrap_or(raw)));
                continue;
            }
            let (key, value) = line
                .split_once(": ")
                .unwrap_or((line.trim_end_matches(':'), ""));
            match key {
                "case" => c.name = value.to_owned(),
                "service" => c.service = value.to_owned(),
                "sign" => c.sign = value.to_owned(),
                "presign" => c.presign = value == "yes",
                "sign-body" => c.sign_body = unescape(value),
                "sign-header" => {
                    let (n, v) = value.split_once(": ").unwrap();
                    c.sign_headers.push((n.to_owned(), v.to_owned()));
                }
                "expect" => {
                    c.expect = Some(match value {
                        "accept" => Verdict::Accept,
                        "refuse" => Verdict::Refuse,
                        v => panic!("{}: bad verdict {v}", c.name),
                    })
                }
                "app" => c.app = Some(value.to_owned()),
                "proxy" => {
                    let rest = value
                        .strip_prefix("forward")
                        .expect("proxy: forward [TARGET]");
                    c.proxy = Some(Some(rest.trim().to_owned()).filter(|t| !t.is_empty()));
                }
                "why" => c.why = Some(value.to_owned()),
                "body" => c.body = unescape(value),
                k => panic!("{}: unknown key {k:?}", c.name),
            }
        }
        if c.name.is_empty() {
            continue;
        }
        assert!(c.expect.is_some(), "{}: no verdict", c.name);
        assert_eq!(
            c.proxy.is_some(),
            c.why.is_some(),
            "{}: proxy needs why",
            c.name
        );
        assert_eq!(
            c.lines.last().map(Vec::len),
            Some(0),
            "{}: no end of head",
            c.name
        );
        cases.push(c);
    }
    cases
}

/// The signed request: its target (presigned query included) and the header lines of the
/// signature plus the signed extra headers.
fn sign(c: &Case) -> (String, Vec<u8>) {
    let (method, target) = c.sign.split_once(' ').unwrap();
    let creds = Credentials::new(AK, SK, None, None);
    let settings = SigningSettings::for_service(&c.service).query_plus(QueryPlus::Space);
    if c.presign {
        let signer = Signer::new(REGION, &c.service)
            .unwrap()
            .with_settings(settings.presigned(Duration::from_secs(300)));
        let url = signer
            .presign_url(
                method,
                &format!("http://{HOST}{target}"),
                &creds,
                SystemTime::now(),
            )
            .unwrap();
        return (url[format!("http://{HOST}").len()..].to_owned(), Vec::new());
    }
    let signer = Signer::new(REGION, &c.service)
        .unwrap()
        .with_settings(settings);
    let mut headers: Vec<(&str, &[u8])> = vec![("host", HOST.as_bytes())];
    headers.extend(
        c.sign_headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes())),
    );
    let req = SignableRequest::new(method, target, headers, Payload::Bytes(&c.sign_body));
    let out = signer.sign(&req, &creds, SystemTime::now()).unwrap();
    let mut lines = Vec::new();
    for (n, v) in &c.sign_headers {
        lines.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    for (n, v) in out.headers() {
        lines.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    (target.to_owned(), lines)
}

/// The raw request bytes of a case, signed now.
fn render(c: &Case) -> (Vec<u8>, String) {
    let (target, sig) = sign(c);
    let mut raw = Vec::new();
    for line in &c.lines {
        if line.is_empty() {
            raw.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        if line.as_slice() == b"{SIG}" {
            raw.extend_from_slice(&sig);
            continue;
        }
        let text = String::from_utf8_lossy(line);
        if text.contains("{TARGET}") {
            raw.extend_from_slice(text.replace("{TARGET}", &target).as_bytes());
        } else {
            raw.extend_from_slice(line);
        }
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(&c.body);
    (raw, target)
}

/// Writes `raw` to `addr` and reads the whole answer (the request says Connection: close).
fn exchange(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // A server may answer and close before reading all of a refused request.
    let _ = s.write_all(raw);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

type Seen = Arc<Mutex<Vec<String>>>;

/// axum behind the layer, recording the target every request reaching it carries.
fn start_layer(rt: &tokio::runtime::Runtime, service: &str) -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new().fallback(move |uri: http::Uri| {
        let log = log.clone();
        async move {
            // What routing and extractors read: the path and the query.
            let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            log.lock().unwrap().push(format!("{}{query}", uri.path()));
            "app"
        }
    });
    let keys = StaticKeys::new().with_key(KeyEntry::new(Credentials::new(AK, SK, None, None)));
    let layer = VerifyLayer::new(Verifier::new(REGION, service).unwrap(), keys).for_axum();
    let wrapped = Router::new().fallback_service(tower_layer::Layer::layer(&layer, app));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, wrapped).await.unwrap() });
    (addr, seen)
}

/// An upstream answering `200 upstream` to every connection, sending the request target
/// it receives to the channel.
fn recording_upstream() -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let head = read_head(&mut s);
                let text = String::from_utf8_lossy(&head).into_owned();
                let line = text.lines().next().unwrap_or_default();
                let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
                let _ = tx.send(target);
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nupstream",
                );
            });
        }
    });
    (addr, rx)
}

fn verify_cli(home: &std::path::Path, raw: &[u8]) -> (bool, String) {
    use std::process::Stdio;
    let mut child = sigv4_cmd(home, SK)
        .args(["verify", "--request", "@-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(raw).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), text(&out.stderr))
}

/// The target without the presigned URL's signing parameters (the proxy drops them).
fn without_signing_params(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.to_ascii_lowercase().starts_with("x-amz-"))
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

#[test]
fn one_hostile_corpus_gets_the_same_verdict_from_layer_verify_and_proxy() {
    let cases = parse_corpus();
    assert!(cases.len() >= 30, "corpus has {} cases", cases.len());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let home = TempDir::new("edge-corpus");
    let (upstream, forwarded) = recording_upstream();
    let mut layers = std::collections::HashMap::new();
    let mut proxies = std::collections::HashMap::new();
    let mut failures = Vec::new();
    for c in &cases {
        let (layer_addr, seen) = layers
            .entry(c.service.clone())
            .or_insert_with(|| start_layer(&rt, &c.service))
            .clone();
        let proxy = proxies.entry(c.service.clone()).or_insert_with(|| {
            ProxyProc::start(
                home.path(),
                &[
                    "--upstream",
                    &format!("http://{upstream}"),
                    "--service",
                    &c.service,
                    "--region",
                    REGION,
                ],
            )
        });
        let (raw, target) = render(c);
        let expect = c.expect.unwrap();
        let app = c.app.clone().unwrap_or(target);

        // 1. hyper + VerifyLayer + axum.
        seen.lock().unwrap().clear();
        let (status, answer) = exchange(layer_addr, &raw);
        let reached: Vec<String> = std::mem::take(&mut *seen.lock().unwrap());
        let got = if status == 200 {
            Verdict::Accept
        } else {
            Verdict::Refuse
        };
        if got != expect {
            failures.push(format!("{}: layer {got:?} ({status}): {answer}", c.name));
        } else if got == Verdict::Accept && reached != [app.clone()] {
            failures.push(format!("{}: the app saw {reached:?}, want {app:?}", c.name));
        } else if got == Verdict::Refuse && !reached.is_empty() {
            failures.push(format!("{}: refused, yet the app saw {reached:?}", c.name));
        }

        // 2. sigv4 verify --request.
        let (ok, stderr) = verify_cli(home.path(), &raw);
        let got = if ok { Verdict::Accept } else { Verdict::Refuse };
        if got != expect {
            failures.push(format!("{}: verify {got:?}: {stderr}", c.name));
        }

        // 3. sigv4 proxy.
        while forwarded.try_recv().is_ok() {}
        let (status, answer) = exchange(proxy.addr, &raw);
        let sent = forwarded.try_recv().ok();
        let want: Option<String> = match (&c.proxy, expect) {
            (Some(Some(t)), _) => Some(t.clone()),
            (Some(None), _) => Some(String::new()),
            (None, Verdict::Accept) => Some(without_signing_params(&app)),
            (None, Verdict::Refuse) => None,
        };
        match (want, sent) {
            (None, None) if (400..500).contains(&status) => {}
            (Some(w), Some(s)) if status == 200 && (w.is_empty() || w == s) => {}
            (want, sent) => failures.push(format!(
                "{}: proxy answered {status}, forwarded {sent:?}, want {want:?}: {answer}",
                c.name
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
