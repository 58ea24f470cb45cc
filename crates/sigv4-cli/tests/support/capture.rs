//! A raw HTTP/1.1 server on 127.0.0.1 that records every request exactly as it arrived
//! (so what `sigv4 request` sends can be compared with what the real `curl` sends for the
//! same flags), verifies any SigV4 signature with `sigv4::verify::Verifier`, and answers
//! from a script of canned responses (then 200 "ok").
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::Credentials;

use crate::support::{AK, REGION, SK};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query as on the request line.
    pub target: String,
    /// Header lines in order (names lowercased, values trimmed).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `Some(result)` when the request carried an Authorization header.
    pub verified: Option<Result<(), String>>,
}

impl Seen {
    /// All values of `name`, joined with `,` (None when absent).
    pub fn header(&self, name: &str) -> Option<String> {
        let v: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!v.is_empty()).then(|| v.join(","))
    }
}

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn new(status: u16, body: &str) -> Canned {
        Canned {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: body.as_bytes().to_vec(),
        }
    }
    pub fn header(mut self, n: &str, v: &str) -> Canned {
        self.headers.push((n.into(), v.into()));
        self
    }
}

pub struct CaptureServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub script: Arc<Mutex<Vec<Canned>>>,
}

impl CaptureServer {
    /// A server verifying signatures for `service`, answering `script` in order.
    pub fn start(service: &str, script: Vec<Canned>) -> CaptureServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.into_iter().rev().collect::<Vec<_>>()));
        let verifier = Arc::new(Verifier::new(REGION, service).unwrap());
        let (s2, sc2) = (seen.clone(), script.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(stream) = conn else { continue };
                let (seen, script, verifier) = (s2.clone(), sc2.clone(), verifier.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &seen, &script, &verifier);
                });
            }
        });
        CaptureServer { addr, seen, script }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Takes the requests seen so far.
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

fn serve(
    stream: std::net::TcpStream,
    seen: &Mutex<Vec<Seen>>,
    script: &Mutex<Vec<Canned>>,
    verifier: &Verifier,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut out = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    // Keep-alive: bounded number of requests per connection.
    for _ in 0..100 {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.trim_end().splitn(3, ' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            r.read_line(&mut h)?;
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        r.read_exact(&mut body)?;
        let verified = headers
            .iter()
            .any(|(n, _)| n == "authorization" || target.contains("X-Amz-Signature="))
            .then(|| verify(verifier, &method, &target, &headers, &body));
        seen.lock().unwrap().push(Seen {
            method: method.clone(),
            target,
            headers,
            body,
            verified,
        });
        let answer = script
            .lock()
            .unwrap()
            .pop()
            .unwrap_or_else(|| Canned::new(200, "ok"));
        let mut head = format!("HTTP/1.1 {} X\r\n", answer.status);
        for (n, v) in &answer.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", answer.body.len()));
        out.write_all(head.as_bytes())?;
        if method != "HEAD" {
            out.write_all(&answer.body)?;
        }
        out.flush()?;
    }
    Ok(())
}

fn verify(
    verifier: &Verifier,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), String> {
    let mut b = http::Request::builder().method(method).uri(target);
    for (n, v) in headers {
        b = b.header(n, v);
    }
    let req = b.body(()).map_err(|e| e.to_string())?;
    // A session token is accepted as the one issued with the test key (the signature,
    // which covers it, is what is checked).
    let token = headers
        .iter()
        .find(|(n, _)| n == "x-amz-security-token")
        .map(|(_, v)| v.clone());
    let lookup = |id: &str| (id == AK).then(|| Credentials::new(AK, SK, token.clone(), None));
    let view = VerifiableRequest::from_http(&req, VerifyBody::Bytes(body));
    verifier
        .verify(&view, &lookup, SystemTime::now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}
