//! What `request`, `presign` and `proxy` share: the HTTP(S) client (hyper + rustls with the
//! ring provider and the webpki roots), bodies, URL and header parsing, and service/region
//! selection.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::TokioExecutor;
use sigv4_credentials::{RegionChain, RegionError, ResolvedRegion};
use tokio::io::{AsyncRead, ReadBuf};

use crate::head_tap::{HeadLog, Tap};
use crate::outbound_proxy::{Proxies, ProxyConnector};
use crate::trust::TlsOptions;
use crate::CliError;

/// Errors carried by bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type every request and response uses here.
pub type AnyBody = UnsyncBoxBody<Bytes, BoxError>;

/// The client stack: TCP (direct or through a proxy), then TLS for https:// targets.
/// The response heads are recorded as received when [`ClientOptions::heads`] asks.
type Inner = Client<Tap<hyper_rustls::HttpsConnector<ProxyConnector>>, AnyBody>;

/// The HTTP(S) client: pooled HTTP/1.1 to http:// and https:// URLs, directly or through
/// a forward proxy ([`crate::outbound_proxy`]), servers authenticated as
/// [`crate::trust`] says.
#[derive(Clone)]
pub struct HttpClient {
    inner: Inner,
    proxies: Arc<Proxies>,
}

impl HttpClient {
    /// Sends `req` (to a proxy with credentials, an http:// request carries them in
    /// `Proxy-Authorization`; an https:// one sends them in the CONNECT only).
    pub fn request(&self, mut req: http::Request<AnyBody>) -> ResponseFuture {
        if req.uri().scheme_str() != Some("https") {
            if let Ok(Some(auth)) = self
                .proxies
                .route(req.uri())
                .map(|p| p.and_then(|p| p.auth.clone()))
            {
                req.headers_mut()
                    .insert(http::header::PROXY_AUTHORIZATION, auth);
            }
        }
        self.inner.request(req)
    }

    /// How a request to `uri` goes when it goes through a proxy (for `-v`), else None.
    pub fn route_text(&self, uri: &http::Uri) -> Option<String> {
        match self.proxies.route(uri) {
            Ok(Some(p)) if uri.scheme_str() == Some("https") => Some(format!(
                "Through proxy {} (a CONNECT tunnel; TLS end to end)",
                p.authority()
            )),
            Ok(Some(p)) => Some(format!(
                "Through proxy {} (request in absolute form)",
                p.authority()
            )),
            Ok(None) => None,
            Err(e) => Some(e),
        }
    }
}

/// How to build an [`HttpClient`].
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Give up connecting (to the target or the proxy) after this long.
    pub connect_timeout: Option<Duration>,
    /// Idle connections kept per host.
    pub pool_idle_per_host: usize,
    /// `--cacert`, `--capath`, `-k`.
    pub tls: TlsOptions,
    /// The proxies to go through.
    pub proxies: Proxies,
    /// A CA file that cannot be used fails each TLS handshake (exit 77, as curl) instead
    /// of failing here (the `proxy` command wants to know at start).
    pub lazy_ca_errors: bool,
    /// Where to record response heads as received (`request`'s `-i`, `-D`, `-v`).
    pub heads: Option<HeadLog>,
}

/// A proxy or CA-file failure somewhere in a request error's chain, with curl's exit
/// code (5, 7 or 56 for the proxy; 77 for a CA file that cannot be used).
pub fn proxy_or_ca_failure(e: &(dyn std::error::Error + 'static)) -> Option<CliError> {
    if let Some(p) = crate::outbound_proxy::proxy_error_in(e) {
        return Some(CliError {
            message: p.message.clone(),
            code: p.code,
        });
    }
    let bad = crate::trust::bad_ca_file(rustls_error_in(e)?)?;
    Some(CliError {
        message: bad.0.clone(),
        code: crate::trust::EXIT_BAD_CA,
    })
}

/// Whether the connection (to the target or the proxy) was refused: ECONNREFUSED, which
/// curl's `--retry` only retries with `--retry-connrefused`.
pub fn is_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    match crate::outbound_proxy::proxy_error_in(e) {
        Some(p) => p.refused,
        None => crate::outbound_proxy::io_refused(e),
    }
}

/// The rustls error in an error's chain, looking inside I/O errors too
/// (`io::Error::source` skips the error it wraps, so the chain alone never shows it).
pub fn rustls_error_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(inner) = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(r) = rustls_error_in(inner) {
                return Some(r);
            }
        }
        source = s.source();
    }
    None
}

/// The client `options` describe.
pub fn build(options: &ClientOptions) -> Result<HttpClient, CliError> {
    // rustls 0.23.48 deprecates ring's provider (ring has no post-quantum key exchange). We
    // keep ring on purpose: aws-lc-rs needs a C/CMake build that the cross-built musl and
    // aarch64 wheels do not have. One decision for every TLS client here; see CHANGELOG.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = if options.lazy_ca_errors {
        crate::trust::client_config_lazy(&options.tls, provider)?
    } else {
        crate::trust::client_config(&options.tls, provider)?
    };
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(options.connect_timeout);
    let proxies = Arc::new(options.proxies.clone());
    // curl's default connect timeout (300 s) also bounds the proxy's answer to CONNECT.
    let tunnel_timeout = options.connect_timeout.unwrap_or(Duration::from_secs(300));
    let connector = ProxyConnector::new(http, proxies.clone(), tunnel_timeout);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector);
    let inner = Client::builder(TokioExecutor::new())
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(options.pool_idle_per_host)
        .build(Tap::new(https, options.heads.clone()));
    Ok(HttpClient { inner, proxies })
}

/// A request target split as it goes on the wire (nothing normalized).
#[derive(Debug, Clone)]
pub struct WireUrl {
    /// `http` or `https`, lowercase.
    pub scheme: String,
    /// `host[:port]`.
    pub authority: String,
    /// The host alone, without port or brackets.
    pub host: String,
    /// The path, `/` when empty (non-ASCII percent-encoded).
    pub path: String,
    /// The query without `?`, if any (non-ASCII percent-encoded).
    pub query: Option<String>,
}

impl WireUrl {
    /// Parses an absolute http(s) URL exactly as typed (already percent-encoded).
    pub fn parse(url: &str) -> Result<WireUrl, CliError> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            CliError::usage(format!("URL {url:?} must start with http:// or https://"))
        })?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(CliError::usage(format!(
                "URL scheme {scheme:?} is not supported: use http:// or https://"
            )));
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if authority.contains('@') {
            return Err(CliError::usage(format!(
                "URL {url:?} carries user:password: credentials come from the AWS chain, remove them from the URL"
            )));
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
            None => authority.split_once(':').map_or(authority, |(h, _)| h),
        };
        if host.is_empty() {
            return Err(CliError::usage(format!("URL {url:?} has no host")));
        }
        let rest = &rest[end..];
        let rest = rest.split_once('#').map_or(rest, |(a, _)| a);
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (rest, None),
        };
        let path = if path.is_empty() { "/" } else { path };
        // Non-ASCII goes on the wire percent-encoded (as curl does for the path; HTTP/1.1
        // carries no raw UTF-8), and what is sent is what is signed.
        let parsed = WireUrl {
            scheme,
            authority: authority.to_owned(),
            host: host.to_owned(),
            path: encode_non_ascii(path),
            query: query.as_deref().map(encode_non_ascii),
        };
        // The http crate must accept it too, or it cannot be sent.
        parsed.to_uri()?;
        Ok(parsed)
    }

    /// `scheme://authority/path?query`.
    pub fn to_url_string(&self) -> String {
        let mut s = format!("{}://{}{}", self.scheme, self.authority, self.path);
        if let Some(q) = &self.query {
            s.push('?');
            s.push_str(q);
        }
        s
    }

    /// The URL as an `http::Uri`.
    pub fn to_uri(&self) -> Result<http::Uri, CliError> {
        let s = self.to_url_string();
        s.parse::<http::Uri>().map_err(|e| {
            CliError::usage(format!(
                "URL {s:?} is not valid ({e}): percent-encode spaces and special characters"
            ))
        })
    }
}

/// `s` with every non-ASCII byte written `%XX` (uppercase hex, the form SigV4's canonical
/// request uses, so the wire and the signature agree); ASCII is left exactly as typed.
pub fn encode_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut buf = [0u8; 4];
            for b in ch.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The signing region (with where it came from) and service for a request to `host`.
///
/// The service: `service`, else what the AWS hostname says. The region:
/// `sigv4_credentials::RegionChain` (`--region`, the hostname, AWS_REGION,
/// AWS_DEFAULT_REGION, the profile's `region` in the config file).
pub fn resolve_target(
    host: &str,
    region: Option<&str>,
    service: Option<String>,
    profile: Option<&str>,
) -> Result<(ResolvedRegion, String), CliError> {
    let service = match service {
        Some(s) => s,
        None => match sigv4::infer::infer(host) {
            Some(i) => i.service,
            None => {
                return Err(CliError::usage(format!(
                    "cannot tell the service from {host:?}: pass --service (for example s3, execute-api, es)"
                )))
            }
        },
    };
    let region = resolve_region(Some(host), region, profile)?;
    Ok((region, service))
}

/// The region through the standard chain; `host` is the request's, when there is one.
pub fn resolve_region(
    host: Option<&str>,
    region: Option<&str>,
    profile: Option<&str>,
) -> Result<ResolvedRegion, CliError> {
    let mut chain = RegionChain::new(crate::profile::context(profile)).with_explicit(region);
    if let Some(h) = host {
        chain = chain.with_host(h);
    }
    chain.resolve().map_err(|e| match e {
        RegionError::NotFound { .. } => CliError::usage(e.to_string()),
        other => CliError::failure(other.to_string()),
    })
}

/// Parses `--time`: RFC 3339 in UTC (`2015-08-30T12:36:00Z`) or the SigV4 form
/// (`20150830T123600Z`).
pub fn parse_time(s: &str) -> Result<SystemTime, String> {
    sigv4::AmzDate::parse_rfc3339(s)
        .or_else(|| sigv4::AmzDate::parse(s))
        .map(|d| d.to_system_time())
        .ok_or_else(|| {
            format!("{s:?} is not a UTC time like 2015-08-30T12:36:00Z or 20150830T123600Z")
        })
}

/// Parses a duration in seconds with an optional unit: `900`, `900s`, `15m`, `12h`, `7d`,
/// also fractions such as `1.5` for timeouts.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1.0),
        Some((i, 'm')) => (&t[..i], 60.0),
        Some((i, 'h')) => (&t[..i], 3600.0),
        Some((i, 'd')) => (&t[..i], 86400.0),
        _ => (t, 1.0),
    };
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| {
            format!("{s:?} is not a duration: use seconds (900) or a unit: 15m, 12h, 7d")
        })?;
    let secs = n * mult;
    if secs > 1e12 {
        return Err(format!("{s:?} is too long"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a byte size: `1048576`, `64k`, `10M`, `1G` (powers of 1024; `KiB` etc. also).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let lower = lower
        .trim_end_matches("ib")
        .trim_end_matches('b')
        .to_owned();
    let (num, mult) = match lower.chars().last() {
        Some('k') => (&lower[..lower.len() - 1], 1u64 << 10),
        Some('m') => (&lower[..lower.len() - 1], 1 << 20),
        Some('g') => (&lower[..lower.len() - 1], 1 << 30),
        _ => (&lower[..], 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a size: use bytes (1048576) or 64k, 10M, 1G"))
}

/// A body read from an async reader in pieces of up to 256 KiB, with a known length, that
/// reports progress and fails if the source turns out shorter or longer than announced.
pub struct ReaderBody<R> {
    reader: R,
    buf: Vec<u8>,
    remaining: u64,
    on_progress: Option<Box<dyn Fn(u64) + Send>>,
}

impl<R> ReaderBody<R> {
    /// `len` bytes from `reader`.
    pub fn new(reader: R, len: u64) -> Self {
        ReaderBody {
            reader,
            buf: vec![0; 256 * 1024],
            remaining: len,
            on_progress: None,
        }
    }

    /// Calls `f` with the number of bytes of each piece read.
    pub fn on_progress(mut self, f: impl Fn(u64) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }
}

impl<R: AsyncRead + Unpin> Body for ReaderBody<R> {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = this
            .buf
            .len()
            .min(usize::try_from(this.remaining).unwrap_or(usize::MAX));
        let mut rb = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.reader).poll_read(cx, &mut rb) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(Some(Err(format!(
                        "the file ended {} bytes early (was it changed while sending?)",
                        this.remaining
                    )
                    .into())));
                }
                this.remaining -= n as u64;
                if let Some(f) = &this.on_progress {
                    f(n as u64);
                }
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(rb.filled())))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Headers that concern one connection only and are never forwarded (RFC 9110 7.6.1).
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut http::HeaderMap) {
    let named: Vec<String> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    for n in HOP_BY_HOP {
        headers.remove(*n);
    }
    for n in named {
        headers.remove(n.as_str());
    }
}
