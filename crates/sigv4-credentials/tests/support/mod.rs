//! Test support: replaying recorded HTTP traffic (the aws-config
//! `http-traffic.json` format) from a real HTTP server on 127.0.0.1, and an
//! `HttpClient` that sends every request there while remembering the URL the
//! provider meant to call.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sigv4_credentials::http::HyperClient;
use sigv4_credentials::{BoxFuture, HttpClient, HttpError, HttpRequestOptions};
use tokio::net::TcpListener;

/// The shared test data directory (fails loudly when missing).
pub fn testdata_dir() -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ));
    assert!(
        dir.is_dir(),
        "test data directory {} is missing",
        dir.display()
    );
    dir
}

/// One recorded request and its response.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub method: String,
    pub uri: String,
    pub request_body: String,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Vec<u8>,
}

fn data_bytes(v: &Value) -> Vec<u8> {
    if let Some(s) = v.get("Utf8").and_then(Value::as_str) {
        return s.as_bytes().to_vec();
    }
    panic!("unsupported recorded data encoding: {v}");
}

/// Parses an `http-traffic.json` file into exchanges, in request order.
pub fn load_traffic(path: &Path) -> Vec<Exchange> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("valid traffic JSON");
    let mut exchanges: Vec<Exchange> = Vec::new();
    // connection id -> index of its current exchange
    let mut current: HashMap<u64, usize> = HashMap::new();
    for event in doc["events"].as_array().expect("events array") {
        let conn = event["connection_id"].as_u64().expect("connection_id");
        let action = &event["action"];
        if let Some(req) = action.get("Request") {
            let r = &req["request"];
            exchanges.push(Exchange {
                method: r["method"].as_str().unwrap().to_string(),
                uri: r["uri"].as_str().unwrap().to_string(),
                ..Default::default()
            });
            current.insert(conn, exchanges.len() - 1);
        } else if let Some(resp) = action.get("Response") {
            let ok = resp["response"]
                .get("Ok")
                .expect("only Ok responses are recorded");
            let ex = &mut exchanges[current[&conn]];
            ex.status = ok["status"].as_u64().unwrap() as u16;
            for (k, vs) in ok["headers"].as_object().unwrap() {
                for v in vs.as_array().unwrap() {
                    ex.response_headers
                        .push((k.to_ascii_lowercase(), v.as_str().unwrap().to_string()));
                }
            }
        } else if let Some(data) = action.get("Data") {
            let ex = &mut exchanges[current[&conn]];
            let bytes = data_bytes(&data["data"]);
            match data["direction"].as_str().unwrap() {
                "Request" => ex.request_body.push_str(&String::from_utf8(bytes).unwrap()),
                "Response" => ex.response_body.extend(bytes),
                d => panic!("unknown direction {d}"),
            }
        } else if action.get("Eof").is_none() {
            panic!("unknown traffic action {action}");
        }
    }
    exchanges
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub host: String,
    pub path_and_query: String,
    pub body: String,
}

#[derive(Debug, Default)]
struct ReplayState {
    exchanges: Vec<Exchange>,
    next: usize,
    received: Vec<Received>,
}

/// A real HTTP/1.1 server on 127.0.0.1 answering requests with the recorded
/// responses, in order. Requests beyond the recording get a 503.
pub struct ReplayServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<ReplayState>>,
    task: tokio::task::JoinHandle<()>,
}

impl ReplayServer {
    pub async fn start(exchanges: Vec<Exchange>) -> ReplayServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ReplayState {
            exchanges,
            ..Default::default()
        }));
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<Incoming>| {
                        let st = st.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let mut s = st.lock().unwrap();
                            s.received.push(Received {
                                method: parts.method.to_string(),
                                host: parts
                                    .headers
                                    .get("host")
                                    .and_then(|h| h.to_str().ok())
                                    .unwrap_or("")
                                    .to_string(),
                                path_and_query: parts
                                    .uri
                                    .path_and_query()
                                    .map(|p| p.as_str().to_string())
                                    .unwrap_or_default(),
                                body: String::from_utf8_lossy(&body).into_owned(),
                            });
                            let mut builder = hyper::Response::builder();
                            let body = if s.next < s.exchanges.len() {
                                let ex = s.exchanges[s.next].clone();
                                s.next += 1;
                                builder = builder.status(ex.status);
                                for (k, v) in &ex.response_headers {
                                    if !matches!(
                                        k.as_str(),
                                        "content-length" | "connection" | "transfer-encoding"
                                    ) {
                                        builder = builder.header(k, v);
                                    }
                                }
                                ex.response_body
                            } else {
                                builder = builder.status(503);
                                b"replay: no more recorded responses".to_vec()
                            };
                            Ok::<_, std::convert::Infallible>(
                                builder.body(Full::new(Bytes::from(body))).unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        ReplayServer { addr, state, task }
    }

    /// How many recorded responses were served.
    pub fn served(&self) -> usize {
        self.state.lock().unwrap().next
    }

    /// How many responses were recorded.
    pub fn recorded(&self) -> usize {
        self.state.lock().unwrap().exchanges.len()
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends every request to `target` (plain HTTP, same path and query, the
/// original authority as the Host header) and logs the URL the provider
/// meant to call. Nothing ever leaves 127.0.0.1.
#[derive(Debug, Clone)]
pub struct RedirectClient {
    inner: HyperClient,
    target: SocketAddr,
    pub log: Arc<Mutex<Vec<(String, String)>>>,
}

impl RedirectClient {
    pub fn new(target: SocketAddr) -> Self {
        RedirectClient {
            inner: HyperClient::new(),
            target,
            log: Arc::default(),
        }
    }

    /// `(method, original URL)` of each request sent.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.log.lock().unwrap().clone()
    }
}

impl HttpClient for RedirectClient {
    fn send(
        &self,
        mut request: http::Request<Vec<u8>>,
        options: HttpRequestOptions,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
        let original = request.uri().clone();
        self.log
            .lock()
            .unwrap()
            .push((request.method().to_string(), original.to_string()));
        let pq = original
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        *request.uri_mut() = format!("http://{}{}", self.target, pq).parse().unwrap();
        if let Some(auth) = original.authority() {
            if !request.headers().contains_key("host") {
                request
                    .headers_mut()
                    .insert("host", auth.as_str().parse().unwrap());
            }
        }
        // Bounded: tests never wait long on a local server.
        let options = options
            .with_timeout(options.timeout.min(Duration::from_secs(5)))
            .with_connect_timeout(options.connect_timeout.min(Duration::from_secs(2)));
        self.inner.send(request, options)
    }
}

/// Copies a directory tree (the case's `fs/`) into `dst`.
pub fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// `(scheme://authority, path, sorted query pairs)` of a URL, for comparing
/// the URL a provider meant to call with the recorded one.
pub fn url_parts(url: &str) -> (String, String, Vec<String>) {
    let uri: http::Uri = url.parse().unwrap_or_else(|_| panic!("bad URL {url}"));
    let base = format!(
        "{}://{}",
        uri.scheme_str().unwrap_or(""),
        uri.authority().map(|a| a.as_str()).unwrap_or("")
    );
    let path = if uri.path().is_empty() {
        "/".to_string()
    } else {
        uri.path().to_string()
    };
    let mut q: Vec<String> = uri
        .query()
        .map(|q| q.split('&').map(str::to_string).collect())
        .unwrap_or_default();
    q.sort();
    (base, path, q)
}

/// The value of `key` in a form body.
pub fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

/// Parses an HTTP date (`Mon, 20 Sep 2021 21:43:31 GMT`).
pub fn parse_http_date(s: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 6 || parts[5] != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == parts[2])? + 1;
    let day: u32 = parts[1].parse().ok()?;
    let text = format!("{}-{month:02}-{day:02}T{}Z", parts[3], parts[4]);
    sigv4::AmzDate::parse_rfc3339(&text).map(|d| d.to_system_time())
}

/// When the traffic was recorded: the earliest `date` response header.
pub fn recorded_time(exchanges: &[Exchange]) -> Option<std::time::SystemTime> {
    exchanges
        .iter()
        .flat_map(|e| e.response_headers.iter())
        .filter(|(k, _)| k == "date")
        .filter_map(|(_, v)| parse_http_date(v))
        .min()
}
