//! A small forward proxy on 127.0.0.1 for the proxy tests: absolute-form requests
//! (`GET http://host:port/path HTTP/1.1`) are forwarded to the target and answered back;
//! `CONNECT host:port` opens a tunnel. Every host name is reached at 127.0.0.1 (no name
//! is ever looked up), and each request head is recorded exactly as it arrived, so what
//! `sigv4` sent can be compared with what real curl sent. One request per connection,
//! 10 s timeouts, bounded header sizes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request head as the proxy received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySeen {
    /// `METHOD TARGET HTTP/1.1`.
    pub line: String,
    /// Header lines in order (names lowercased, values trimmed).
    pub headers: Vec<(String, String)>,
}

impl ProxySeen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct ForwardProxy {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<ProxySeen>>>,
}

impl ForwardProxy {
    /// A proxy that forwards and tunnels.
    pub fn start() -> ForwardProxy {
        Self::start_with(None)
    }

    /// A proxy that answers every CONNECT with `status` (and forwards nothing).
    pub fn refusing_connect(status: u16) -> ForwardProxy {
        Self::start_with(Some(status))
    }

    fn start_with(refuse: Option<u16>) -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(stream) = conn else { continue };
                let seen = s2.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &seen, refuse);
                });
            }
        });
        ForwardProxy { addr, seen }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Takes the request heads seen so far.
    pub fn take(&self) -> Vec<ProxySeen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

fn read_head(r: &mut BufReader<TcpStream>) -> std::io::Result<(String, Vec<(String, String)>)> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut headers = Vec::new();
    let mut total = line.len();
    loop {
        let mut h = String::new();
        let n = r.read_line(&mut h)?;
        total += n;
        if n == 0 || total > 64 << 10 {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    Ok((line.trim_end().to_owned(), headers))
}

/// The port of `host:port` (every host is 127.0.0.1 here).
fn port_of(authority: &str) -> Option<u16> {
    authority.rsplit_once(':')?.1.parse().ok()
}

fn serve(
    client: TcpStream,
    seen: &Mutex<Vec<ProxySeen>>,
    refuse: Option<u16>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut out = client.try_clone()?;
    let mut r = BufReader::new(client);
    let (line, headers) = read_head(&mut r)?;
    seen.lock().unwrap().push(ProxySeen {
        line: line.clone(),
        headers: headers.clone(),
    });
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "CONNECT" {
        if let Some(status) = refuse {
            out.write_all(
                format!("HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\n\r\n").as_bytes(),
            )?;
            return Ok(());
        }
        let port = port_of(target).ok_or(std::io::ErrorKind::InvalidInput)?;
        let upstream = TcpStream::connect(("127.0.0.1", port))?;
        out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        return pump(r, out, upstream);
    }
    // Absolute form: forward in origin form, one request, then close.
    let rest = target
        .strip_prefix("http://")
        .ok_or(std::io::ErrorKind::InvalidInput)?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let port = port_of(authority).unwrap_or(80);
    let mut upstream = TcpStream::connect(("127.0.0.1", port))?;
    upstream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!(
        "{method} {} HTTP/1.1\r\n",
        if path.is_empty() { "/" } else { path }
    );
    for (n, v) in &headers {
        if !n.starts_with("proxy-") && n != "connection" {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes())?;
    let len: u64 = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    std::io::copy(&mut (&mut r).take(len), &mut upstream)?;
    // Relay the answer: its head, then Content-Length bytes (none for HEAD), then close.
    let mut up = BufReader::new(upstream);
    let (status, answer_headers) = read_head(&mut up)?;
    let mut answer = format!("{status}\r\n");
    for (n, v) in &answer_headers {
        answer.push_str(&format!("{n}: {v}\r\n"));
    }
    answer.push_str("\r\n");
    out.write_all(answer.as_bytes())?;
    let len: u64 = answer_headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if method != "HEAD" {
        std::io::copy(&mut up.take(len), &mut out)?;
    }
    out.flush()
}

/// Copies both ways until either side closes.
fn pump(
    mut from_client: BufReader<TcpStream>,
    mut to_client: TcpStream,
    upstream: TcpStream,
) -> std::io::Result<()> {
    upstream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut up_write = upstream.try_clone()?;
    let mut up_read = upstream;
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Both);
    });
    let _ = std::io::copy(&mut from_client, &mut up_write);
    let _ = up_write.shutdown(std::net::Shutdown::Both);
    let _ = back.join();
    Ok(())
}
