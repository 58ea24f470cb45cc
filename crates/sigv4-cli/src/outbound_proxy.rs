//! Forward proxies, chosen as curl 7.88 chooses them, and the connector that goes through
//! them: an http:// target is requested from the proxy in absolute form
//! (`GET http://host/path HTTP/1.1`), an https:// target through a `CONNECT host:port`
//! tunnel, inside which TLS runs end to end with the target. The signature is the same
//! either way: the target verifies it.
//!
//! Which proxy (first match wins), per target scheme:
//! * `-x/--proxy URL` (`--proxy ''` means no proxy, whatever the environment says);
//! * http targets: `http_proxy` (lowercase only: curl ignores `HTTP_PROXY`, which a CGI
//!   request's `Proxy:` header can set); https targets: `https_proxy`, then `HTTPS_PROXY`;
//! * `all_proxy`, then `ALL_PROXY`.
//!
//! An empty variable counts as unset, as in curl. No proxy for
//! hosts in `--noproxy LIST`, else in `no_proxy`, else `NO_PROXY`: `*` alone is every host;
//! otherwise a comma-separated list of names, each matching the host itself and its
//! subdomains (a leading `.` is ignored), or of IP addresses with an optional CIDR suffix.
//!
//! A proxy URL is `[http://][user:password@]host[:port]` (port 1080 when none is given,
//! as in curl); user and password go in a `Proxy-Authorization: Basic` header. Other
//! schemes (socks4/5, https proxies) are refused when used (exit 7, as curl for a scheme
//! it does not support).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Errors of the connector (hyper's client boxes them).
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// curl's exit codes for proxy failures.
pub mod exit {
    /// The proxy's host name does not resolve.
    pub const RESOLVE_PROXY: u8 = 5;
    /// The proxy cannot be reached (or its scheme is not supported).
    pub const CONNECT: u8 = 7;
    /// The proxy refused the CONNECT tunnel or answered it badly.
    pub const RECV: u8 = 56;
}

/// A proxy to send requests through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    /// Host name or IP address (IPv6 in brackets), as connected to.
    pub host: String,
    /// Port (1080 when the URL gives none).
    pub port: u16,
    /// `Basic ...` for the `Proxy-Authorization` header, from the URL's user and password.
    pub auth: Option<HeaderValue>,
}

impl ProxyUrl {
    /// Parses `[http://][user:password@]host[:port][/...]`.
    pub fn parse(text: &str) -> Result<ProxyUrl, String> {
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "proxy {text:?}: the {scheme}:// proxy scheme is not supported (http:// proxies only)"
                ))
            }
            None => text,
        };
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport)
            .ok_or_else(|| format!("proxy {text:?} is not [http://][user:password@]host[:port]"))?;
        let auth = userinfo.map(basic_auth);
        Ok(ProxyUrl { host, port, auth })
    }

    /// `host:port`, as connected to and shown in messages.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// `Basic base64(user:password)` from `user[:password]` with each part percent-decoded (a
/// proxy URL's user info, or `-U`), marked sensitive (never shown by `-v`).
fn basic_auth(userinfo: &str) -> HeaderValue {
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let plain = format!("{}:{}", percent_decode(user), percent_decode(password));
    let mut v = HeaderValue::try_from(format!("Basic {}", base64(plain.as_bytes())))
        .expect("base64 is a valid header value");
    v.set_sensitive(true);
    v
}

/// `host[:port]` with the host in brackets for IPv6; port 1080 by default.
fn split_host_port(s: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        (format!("[{h}]"), after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (s.to_owned(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    let port = match port {
        None | Some("") => 1080,
        Some(p) => p.parse().ok()?,
    };
    Some((host, port))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64(input: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The proxies to use, from the command line and the environment (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    http: Option<Result<ProxyUrl, String>>,
    https: Option<Result<ProxyUrl, String>>,
    noproxy: String,
}

impl Proxies {
    /// `-x` and `--noproxy` as given (None when absent), the environment read with `env`.
    pub fn new(
        proxy: Option<&str>,
        noproxy: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Proxies {
        // curl_getenv: an empty variable is an unset one.
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let pick = |names: &[&str]| -> Option<Result<ProxyUrl, String>> {
            let text = match proxy {
                Some(p) => p.to_owned(),
                None => names.iter().find_map(|n| env(n))?,
            };
            (!text.is_empty()).then(|| ProxyUrl::parse(&text))
        };
        Proxies {
            http: pick(&["http_proxy", "all_proxy", "ALL_PROXY"]),
            https: pick(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]),
            noproxy: match noproxy {
                Some(n) => n.to_owned(),
                None => env("no_proxy")
                    .or_else(|| env("NO_PROXY"))
                    .unwrap_or_default(),
            },
        }
    }

    /// curl's `-U/--proxy-user USER:PASSWORD`: the credentials for a proxy whose URL
    /// (from `-x` or the environment) carries none; credentials in the URL win, as in
    /// curl. Split at the first `:`, each part percent-decoded (as curl 7.88 does).
    pub fn with_user(mut self, user_password: Option<&str>) -> Proxies {
        if let Some(up) = user_password {
            for proxy in [&mut self.http, &mut self.https]
                .into_iter()
                .flatten()
                .flatten()
            {
                proxy.auth.get_or_insert_with(|| basic_auth(up));
            }
        }
        self
    }

    /// The proxy for `uri`, if any (an error for a proxy URL that cannot be used).
    pub fn route(&self, uri: &Uri) -> Result<Option<&ProxyUrl>, String> {
        let proxy = match uri.scheme_str() {
            Some("https") => &self.https,
            _ => &self.http,
        };
        let Some(proxy) = proxy else {
            return Ok(None);
        };
        if no_proxy_matches(uri.host().unwrap_or(""), &self.noproxy) {
            return Ok(None);
        }
        proxy.as_ref().map(Some).map_err(Clone::clone)
    }
}

/// Whether `host` is in a curl no-proxy list.
pub fn no_proxy_matches(host: &str, list: &str) -> bool {
    if list.is_empty() {
        return false;
    }
    if list == "*" {
        return true;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: Option<IpAddr> = host.parse().ok();
    let name = host.strip_suffix('.').unwrap_or(host);
    list.split([',', ' ', '\t'])
        .filter(|t| !t.is_empty())
        .any(|token| match ip {
            Some(ip) => cidr_matches(ip, token),
            None => {
                let t = token.strip_suffix('.').unwrap_or(token);
                let t = t.strip_prefix('.').unwrap_or(t);
                !t.is_empty()
                    && (name.eq_ignore_ascii_case(t)
                        || (name.len() > t.len()
                            && name.as_bytes()[name.len() - t.len() - 1] == b'.'
                            && name[name.len() - t.len()..].eq_ignore_ascii_case(t)))
            }
        })
}

/// `ip` against `addr[/bits]` (no bits: the whole address).
fn cidr_matches(ip: IpAddr, token: &str) -> bool {
    let token = token.trim_start_matches('[').trim_end_matches(']');
    let (addr, bits) = match token.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()),
        None => (token, None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        _ => false,
    }
}

/// Why going through a proxy failed, with curl's exit code.
#[derive(Debug)]
pub struct ProxyError {
    /// What happened, for the user.
    pub message: String,
    /// curl's exit code for it ([`exit`]).
    pub code: u8,
    /// The proxy refused the TCP connection (retried with `--retry-connrefused`).
    pub refused: bool,
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProxyError {}

/// The [`ProxyError`] somewhere in an error's chain, if any.
pub fn proxy_error_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a ProxyError> {
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(p) = s.downcast_ref::<ProxyError>() {
            return Some(p);
        }
        source = s.source();
    }
    None
}

/// Whether an error's chain holds a refused connection (ECONNREFUSED).
pub fn io_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// A TCP connection, to the target or to a proxy: `proxied` when requests on it go to a
/// proxy in absolute form.
pub struct Conn {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Connects to the target directly or through its proxy (the TLS layer wraps this).
#[derive(Clone)]
pub struct ProxyConnector {
    http: HttpConnector,
    proxies: Arc<Proxies>,
    /// Longest wait for the proxy's answer to CONNECT.
    tunnel_timeout: Duration,
}

impl ProxyConnector {
    /// Over `http` (TCP settings such as the connect timeout), with `proxies`.
    pub fn new(http: HttpConnector, proxies: Arc<Proxies>, tunnel_timeout: Duration) -> Self {
        ProxyConnector {
            http,
            proxies,
            tunnel_timeout,
        }
    }
}

type ConnFuture = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = Conn;
    type Error = BoxError;
    type Future = ConnFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        tower_service::Service::<Uri>::poll_ready(&mut self.http, cx).map_err(Into::into)
    }

    fn call(&mut self, target: Uri) -> ConnFuture {
        let mut http = self.http.clone();
        let proxies = self.proxies.clone();
        let timeout = self.tunnel_timeout;
        Box::pin(async move {
            let proxy = match proxies.route(&target) {
                Ok(None) => {
                    let io = tower_service::Service::call(&mut http, target).await?;
                    return Ok(Conn { io, proxied: false });
                }
                Ok(Some(p)) => p.clone(),
                Err(message) => {
                    return Err(Box::new(ProxyError {
                        message,
                        code: exit::CONNECT,
                        refused: false,
                    }) as BoxError)
                }
            };
            let proxy_uri: Uri = format!("http://{}/", proxy.authority())
                .parse()
                .map_err(|e| ProxyError {
                    message: format!("proxy {}: {e}", proxy.authority()),
                    code: exit::CONNECT,
                    refused: false,
                })?;
            let io = tower_service::Service::call(&mut http, proxy_uri)
                .await
                .map_err(|e| connect_failed(&proxy, &e))?;
            if target.scheme_str() != Some("https") {
                return Ok(Conn { io, proxied: true });
            }
            let tcp = tokio::time::timeout(timeout, tunnel(io.into_inner(), &target, &proxy))
                .await
                .map_err(|_| ProxyError {
                    message: format!(
                        "proxy {} did not answer CONNECT in {} s",
                        proxy.authority(),
                        timeout.as_secs()
                    ),
                    code: exit::CONNECT,
                    refused: false,
                })??;
            Ok(Conn {
                io: TokioIo::new(tcp),
                proxied: false,
            })
        })
    }
}

/// The connector's failure to reach the proxy: 5 when its name does not resolve, else 7.
fn connect_failed(proxy: &ProxyUrl, e: &(dyn std::error::Error + 'static)) -> ProxyError {
    let mut all = Vec::new();
    let mut source = Some(e);
    while let Some(s) = source {
        all.push(s.to_string());
        source = s.source();
    }
    let detail = all.last().cloned().unwrap_or_default();
    if all.iter().any(|m| m.contains("dns error")) {
        ProxyError {
            message: format!("cannot resolve proxy {}: {detail}", proxy.host),
            code: exit::RESOLVE_PROXY,
            refused: false,
        }
    } else {
        ProxyError {
            message: format!("cannot connect to proxy {}: {detail}", proxy.authority()),
            code: exit::CONNECT,
            refused: io_refused(e),
        }
    }
}

/// Sends `CONNECT host:port` and reads the proxy's answer (at most 64 KiB of headers);
/// any 2xx opens the tunnel.
async fn tunnel(
    mut tcp: TcpStream,
    target: &Uri,
    proxy: &ProxyUrl,
) -> Result<TcpStream, ProxyError> {
    let host = target.host().unwrap_or("");
    let port = target.port_u16().unwrap_or(443);
    let mut head = format!(
        "CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: sigv4/{}\r\nProxy-Connection: Keep-Alive\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(auth) = &proxy.auth {
        head.push_str("Proxy-Authorization: ");
        head.push_str(auth.to_str().unwrap_or(""));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let failed = |what: String| ProxyError {
        message: format!("proxy {}: {what}", proxy.authority()),
        code: exit::RECV,
        refused: false,
    };
    tcp.write_all(head.as_bytes())
        .await
        .map_err(|e| failed(format!("sending CONNECT failed: {e}")))?;
    // Byte by byte: nothing past the proxy's header may be consumed (it is the target's).
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= 64 << 10 {
            return Err(failed("its answer to CONNECT is too long".into()));
        }
        let b = tcp
            .read_u8()
            .await
            .map_err(|e| failed(format!("the connection closed during CONNECT ({e})")))?;
        answer.push(b);
    }
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or("");
    let status: Option<u16> = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok());
    match status {
        Some(200..=299) if status_line.starts_with("HTTP/1.") => Ok(tcp),
        Some(s) => Err(failed(format!("CONNECT tunnel failed, response {s}"))),
        None => Err(failed(format!(
            "not an HTTP answer to CONNECT: {status_line:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        let p = ProxyUrl::parse("proxy.corp:3128").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.auth.is_none()),
            ("proxy.corp", 3128, true)
        );
        assert_eq!(ProxyUrl::parse("http://proxy.corp").unwrap().port, 1080);
        assert_eq!(
            ProxyUrl::parse("HTTP://[::1]:8080/x").unwrap().host,
            "[::1]"
        );
        let p = ProxyUrl::parse("http://us%40r:p%3Ass@p:1").unwrap();
        assert_eq!(
            p.auth.unwrap().to_str().unwrap(),
            format!("Basic {}", base64(b"us@r:p:ss"))
        );
        assert!(ProxyUrl::parse("socks5://p:1")
            .unwrap_err()
            .contains("socks5"));
        assert!(ProxyUrl::parse("http://:1").is_err());
    }

    #[test]
    fn base64_as_rfc4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn no_proxy_lists_as_curl() {
        assert!(no_proxy_matches("anything", "*"));
        assert!(!no_proxy_matches("anything", "*,x"));
        assert!(no_proxy_matches("example.com", "example.com"));
        assert!(no_proxy_matches("www.example.com", ".example.com"));
        assert!(no_proxy_matches("www.EXAMPLE.com.", "example.com"));
        assert!(!no_proxy_matches("notexample.com", "example.com"));
        assert!(no_proxy_matches("10.1.2.3", "x, 10.0.0.0/8"));
        assert!(!no_proxy_matches("11.1.2.3", "10.0.0.0/8"));
        assert!(no_proxy_matches("[::1]", "::1"));
        assert!(!no_proxy_matches("example.com", ""));
    }

    #[test]
    fn which_variable_wins() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let http: Uri = "http://h/".parse().unwrap();
        let https: Uri = "https://h/".parse().unwrap();
        let port = |p: &Proxies, u: &Uri| p.route(u).unwrap().map(|p| p.port);
        // curl ignores HTTP_PROXY but reads HTTPS_PROXY.
        let p = Proxies::new(
            None,
            None,
            env(&[("HTTP_PROXY", "a:1"), ("HTTPS_PROXY", "b:2")]),
        );
        assert_eq!((port(&p, &http), port(&p, &https)), (None, Some(2)));
        let p = Proxies::new(
            None,
            None,
            env(&[("http_proxy", "a:1"), ("ALL_PROXY", "c:3")]),
        );
        assert_eq!((port(&p, &http), port(&p, &https)), (Some(1), Some(3)));
        // Set but empty: as unset (all_proxy is read).
        let p = Proxies::new(
            None,
            None,
            env(&[("https_proxy", ""), ("all_proxy", "c:3")]),
        );
        assert_eq!(port(&p, &https), Some(3));
        // -x wins, --proxy '' turns every proxy off.
        let p = Proxies::new(Some("x:9"), None, env(&[("http_proxy", "a:1")]));
        assert_eq!(port(&p, &http), Some(9));
        let p = Proxies::new(Some(""), None, env(&[("http_proxy", "a:1")]));
        assert_eq!(port(&p, &http), None);
        // --noproxy wins over no_proxy, and applies to -x too.
        let p = Proxies::new(Some("x:9"), Some(""), env(&[("no_proxy", "*")]));
        assert_eq!(port(&p, &http), Some(9));
        let p = Proxies::new(Some("x:9"), None, env(&[("NO_PROXY", "h")]));
        assert_eq!(port(&p, &http), None);
    }
}
