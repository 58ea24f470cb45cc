//! A local stand-in for S3 Express One Zone and for any SigV4 service, on 127.0.0.1,
//! verifying every request with `sigv4::verify::Verifier` at its own (optionally skewed)
//! clock. Shared by the sigv4-rs-credentials, sigv4-rs-http and sigv4-rs-cli tests (`#[path]`).
//!
//! * Express mode: `GET /?session` (virtual host) or `GET /BUCKET?session` (path style) is
//!   CreateSession, verified for service `s3express` with the base credentials; it mints a
//!   session (access key, secret, token, expiry). Every other request must be signed for
//!   `s3express` with a live session's key and carry that session's token as
//!   `x-amz-s3session-token` (a signed header); the base key is refused for data.
//! * Plain mode: every request is verified for `service` with the base credentials.
//!
//! PUT stores the body under the path; GET returns it. Errors are S3-style XML with the
//! verifier's error code; every response carries the server's `Date`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{AmzDate, Credentials};
use tokio::net::TcpListener;

pub const BASE_AK: &str = "AKIDLOCALBASEKEY";
pub const BASE_SK: &str = "local/base+secret/key/for/express";
pub const REGION: &str = "us-west-2";
pub const BUCKET: &str = "mybucket--usw2-az1--x-s3";

#[derive(Debug, Clone)]
pub struct Config {
    /// S3 Express (sessions) or plain verification for `service`.
    pub express: bool,
    pub service: &'static str,
    /// The server's clock is the real clock plus this many seconds.
    pub clock_offset_secs: i64,
    /// How long sessions live.
    pub session_lifetime: Duration,
}

impl Config {
    pub fn express() -> Self {
        Config {
            express: true,
            service: "s3express",
            clock_offset_secs: 0,
            session_lifetime: Duration::from_secs(300),
        }
    }

    pub fn plain(service: &'static str, clock_offset_secs: i64) -> Self {
        Config {
            express: false,
            service,
            clock_offset_secs,
            session_lifetime: Duration::from_secs(300),
        }
    }
}

/// One request the server accepted.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub access_key: String,
    pub signed_headers: String,
    pub header_names: Vec<String>,
    pub amz_date: String,
}

#[derive(Default)]
pub struct State {
    pub create_sessions: AtomicU64,
    pub accepted: Mutex<Vec<Seen>>,
    /// Error codes of refused requests, in order.
    pub refused: Mutex<Vec<String>>,
    /// access key -> (secret, token, expiry)
    sessions: Mutex<HashMap<String, (String, String, SystemTime)>>,
    objects: Mutex<HashMap<String, Vec<u8>>>,
}

impl State {
    pub fn accepted(&self) -> Vec<Seen> {
        self.accepted.lock().unwrap().clone()
    }
    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().unwrap().clone()
    }
    pub fn create_sessions(&self) -> u64 {
        self.create_sessions.load(Ordering::SeqCst)
    }
}

pub struct LocalAws {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    pub config: Config,
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for LocalAws {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl LocalAws {
    pub fn start(config: Config) -> LocalAws {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let state = Arc::new(State::default());
        // Bound without block_on, so the server can start inside an async test too.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (st, cfg) = (state.clone(), Arc::new(config.clone()));
        rt.spawn(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let (st, cfg) = (st.clone(), cfg.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let (st, cfg) = (st.clone(), cfg.clone());
                        async move { Ok::<_, Infallible>(handle(&cfg, &st, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
        LocalAws {
            addr,
            state,
            config,
            rt: Some(rt),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's clock now.
    pub fn now(&self) -> SystemTime {
        server_now(&self.config)
    }
}

pub fn server_now(cfg: &Config) -> SystemTime {
    let d = Duration::from_secs(cfg.clock_offset_secs.unsigned_abs());
    if cfg.clock_offset_secs >= 0 {
        SystemTime::now() + d
    } else {
        SystemTime::now() - d
    }
}

/// `Mon, 15 Jan 2024 10:30:00 GMT`.
pub fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let d = AmzDate::from_unix_seconds(secs).unwrap();
    let s = d.date_time();
    let days = secs / 86400;
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][s[4..6].parse::<usize>().unwrap() - 1];
    format!(
        "{weekday}, {} {month} {} {}:{}:{} GMT",
        &s[6..8],
        &s[0..4],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    )
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn reply(cfg: &Config, status: u16, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("date", http_date(server_now(cfg)))
        .body(Full::new(body.into()))
        .unwrap()
}

fn refuse(
    cfg: &Config,
    st: &State,
    status: u16,
    code: &str,
    message: &str,
) -> Response<Full<Bytes>> {
    st.refused.lock().unwrap().push(code.to_owned());
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message></Error>",
        xml_escape(message)
    );
    let mut r = reply(cfg, status, xml);
    r.headers_mut()
        .insert("content-type", "application/xml".parse().unwrap());
    r
}

async fn handle(cfg: &Config, st: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let Ok(body) = Limited::new(body, 16 << 20).collect().await else {
        return refuse(cfg, st, 400, "IncompleteBody", "unreadable body");
    };
    let body = body.to_bytes();
    let head = Request::from_parts(parts, ());
    let now = server_now(cfg);
    let query = head.uri().query().unwrap_or("");
    let view = VerifiableRequest::from_http(&head, VerifyBody::Bytes(&body));
    let create_session = cfg.express && head.method() == http::Method::GET && query == "session";

    let verifier = Verifier::new(REGION, cfg.service).unwrap();
    let base_lookup =
        |id: &str| (id == BASE_AK).then(|| Credentials::new(BASE_AK, BASE_SK, None, None));
    let verdict = if create_session || !cfg.express {
        verifier.verify(&view, &base_lookup, now)
    } else {
        let sessions = st.sessions.lock().unwrap().clone();
        // Session keys only: the base key cannot sign data requests. The session token is
        // checked below, as x-amz-s3session-token (x-amz-security-token is refused by the
        // verifier, since the key is not a temporary one for it).
        let lookup = move |id: &str| {
            sessions
                .get(id)
                .map(|(secret, _, exp)| Credentials::new(id, secret.clone(), None, Some(*exp)))
        };
        verifier.verify(&view, &lookup, now)
    };
    let verified = match verdict {
        Ok(v) => v,
        Err(e) => return refuse(cfg, st, e.http_status(), e.code(), &e.to_string()),
    };
    drop(view);
    if cfg.express && !create_session {
        let presigned = verified.mode() == sigv4::verify::AuthMode::Query;
        // Presigned URLs carry the token as the (signed) X-Amz-S3session-Token parameter.
        let from_query = query
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-S3session-Token="))
            .map(percent_decode);
        let sent = if presigned {
            from_query.as_deref()
        } else {
            head.headers()
                .get("x-amz-s3session-token")
                .and_then(|v| v.to_str().ok())
        };
        let want = st
            .sessions
            .lock()
            .unwrap()
            .get(verified.access_key_id())
            .map(|(_, t, _)| t.clone());
        if sent.is_none() || sent != want.as_deref() {
            return refuse(
                cfg,
                st,
                403,
                "InvalidToken",
                "x-amz-s3session-token is missing or not this session's",
            );
        }
        if !presigned
            && !verified
                .signed_headers()
                .split(';')
                .any(|h| h == "x-amz-s3session-token")
        {
            return refuse(
                cfg,
                st,
                403,
                "AccessDenied",
                "x-amz-s3session-token is not signed",
            );
        }
    }
    st.accepted.lock().unwrap().push(Seen {
        method: head.method().to_string(),
        target: head.uri().to_string(),
        access_key: verified.access_key_id().to_owned(),
        signed_headers: verified.signed_headers().to_owned(),
        header_names: head
            .headers()
            .keys()
            .map(|k| k.as_str().to_owned())
            .collect(),
        amz_date: verified.time().date_time().to_owned(),
    });

    if create_session {
        let n = st.create_sessions.fetch_add(1, Ordering::SeqCst) + 1;
        let akid = format!("ASIAEXPRESS{n:04}");
        let secret = format!("express/secret+{n}/key");
        let token = format!("express-token-{n}/abc+def=");
        let exp = now + cfg.session_lifetime;
        st.sessions
            .lock()
            .unwrap()
            .insert(akid.clone(), (secret.clone(), token.clone(), exp));
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateSessionResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Credentials><SessionToken>{token}</SessionToken><SecretAccessKey>{secret}</SecretAccessKey><AccessKeyId>{akid}</AccessKeyId><Expiration>{}</Expiration></Credentials></CreateSessionResult>",
            AmzDate::from_system_time(exp).unwrap().to_rfc3339()
        );
        return reply(cfg, 200, xml);
    }
    let key = head.uri().path().to_owned();
    match *head.method() {
        http::Method::PUT => {
            st.objects.lock().unwrap().insert(key, body.to_vec());
            reply(cfg, 200, Bytes::new())
        }
        http::Method::GET => match st.objects.lock().unwrap().get(&key) {
            Some(b) => reply(cfg, 200, b.clone()),
            None => refuse(cfg, st, 404, "NoSuchKey", "no such key"),
        },
        _ => reply(cfg, 200, body),
    }
}
