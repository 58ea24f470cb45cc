//! Helpers shared by the fuzz targets: an in-memory HTTP client that replays responses
//! taken from the fuzz input, a sleep that returns at once, and a per-thread runtime.
//!
//! Nothing here opens a socket: provider targets never reach a network.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4_credentials::{
    AsyncSleep, BoxFuture, Env, FixedClock, HttpClient, HttpError, HttpRequestOptions, MemoryFs,
    ProviderContext,
};

/// Separates the parts of a multi-part fuzz input (responses, files).
pub const SEP: &[u8] = b"\n~~~\n";

/// Splits `data` into at most `n` parts at [`SEP`].
pub fn split_parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() + 1 < n {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + SEP.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

/// A part is a response body, optionally preceded by `HTTP <3 digits>\n` to pick the status
/// (200 otherwise), and by `H <name>: <value>\n` lines for headers.
pub fn parse_response(part: &[u8]) -> http::Response<Vec<u8>> {
    let mut status = 200u16;
    let mut rest = part;
    let mut headers = Vec::new();
    if let Some(r) = rest.strip_prefix(b"HTTP ") {
        if r.len() >= 3 {
            if let Ok(s) = std::str::from_utf8(&r[..3]) {
                if let Ok(v) = s.parse::<u16>() {
                    status = v;
                }
            }
            rest = &r[3..];
            rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        }
    }
    while let Some(r) = rest.strip_prefix(b"H ") {
        let end = r.iter().position(|&b| b == b'\n').unwrap_or(r.len());
        let line = &r[..end];
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            headers.push((
                line[..colon].to_vec(),
                line[colon + 1..].trim_ascii().to_vec(),
            ));
        }
        rest = r.get(end + 1..).unwrap_or(&[]);
    }
    let mut builder = http::Response::builder().status(
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
    );
    for (n, v) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(&n),
            http::HeaderValue::from_bytes(&v),
        ) {
            builder = builder.header(n, v);
        }
    }
    builder
        .body(rest.to_vec())
        .unwrap_or_else(|_| http::Response::new(Vec::new()))
}

/// Replays canned responses in order; when they run out, every request fails to connect.
#[derive(Debug)]
pub struct ReplayHttp {
    responses: Mutex<VecDeque<http::Response<Vec<u8>>>>,
}

impl ReplayHttp {
    /// A client answering with one response per part.
    pub fn new(parts: &[&[u8]]) -> Self {
        ReplayHttp {
            responses: Mutex::new(parts.iter().map(|p| parse_response(p)).collect()),
        }
    }
}

impl HttpClient for ReplayHttp {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _options: HttpRequestOptions,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
        // Never a real host: the targets only configure loopback or in-memory endpoints.
        assert!(
            !request.uri().to_string().contains("169.254."),
            "a provider tried a link-local metadata address: {}",
            request.uri()
        );
        let next = self
            .responses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front();
        Box::pin(async move {
            next.ok_or_else(|| HttpError::Connect {
                endpoint: "127.0.0.1:1".into(),
                message: "no more canned responses".into(),
            })
        })
    }
}

/// A sleep that is over at once, so retries cost nothing.
#[derive(Debug, Clone, Copy)]
pub struct NoSleep;

impl AsyncSleep for NoSleep {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// A fixed "now" (2015-08-30T12:36:00Z) used by every target.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// A provider context with these variables and files, replaying `responses`, with a fixed
/// clock and no sleeping. Never the real environment or file system.
pub fn context(
    vars: &[(&str, &str)],
    files: Vec<(String, Vec<u8>)>,
    responses: &[&[u8]],
) -> ProviderContext {
    ProviderContext::default()
        .with_env(Env::from_pairs(vars.iter().map(|(k, v)| (*k, *v))))
        .with_fs(MemoryFs::from_files(files))
        .with_http_client(ReplayHttp::new(responses))
        .with_time_source(FixedClock(now()))
        .with_sleep(NoSleep)
}

thread_local! {
    static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
}

/// Runs `fut` to completion on this thread's runtime.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    RT.with(|rt| rt.block_on(fut))
}
