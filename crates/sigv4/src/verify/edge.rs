//! The server edge: making sure the request an application acts on is the one that was
//! verified.
//!
//! The verifier checks a canonical form of the request: for most services the path with
//! `.`/`..` segments and repeated slashes removed, and the query percent-decoded. A router
//! or decoder that reads the raw request differently (routing `/api/public/../reports`
//! under `/api/public`, decoding `a+b` as `a+b` where `a b` was verified) would then act
//! on a request other than the one the signature covers. [`prepare_target`] refuses such
//! targets, or rewrites them to the exact form that is verified, so that what is verified
//! and what the application reads are the same bytes.

use std::borrow::Cow;

use crate::encoding::decode_into;

use super::VerifyError;

/// What a server edge does with a path that is not already in the normalized form the
/// signature covers (services other than S3 normalize the path before signing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathPolicy {
    /// Refuse it with `400 InvalidURI` (the default). Real clients send normalized paths.
    #[default]
    Reject,
    /// Replace the path with its normalized form before verifying and before the
    /// application sees it, so routing acts on the path that was verified.
    Rewrite,
}

/// What a server edge does with a raw `+` in the query string.
///
/// Form encoding writes a space as `+`, and AWS and form decoders read it as one; SigV4's
/// own percent-decoding would read it as a plus. Whatever the policy, the application
/// never receives a raw `+`: the query it gets spells out the meaning that was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum QueryPlusPolicy {
    /// Read it as a space, as AWS and form decoders do (the default): it is verified as
    /// `%20` (a signer with [`QueryPlus::Space`](crate::QueryPlus::Space) signed it so) and
    /// the query is rewritten with `%20` in its place before the application sees it, so
    /// form and plain percent decoding both read the space.
    #[default]
    Space,
    /// Refuse it with `400 InvalidArgument`, asking the client to percent-encode it.
    Reject,
    /// Read it as a literal plus, as a signer with
    /// [`QueryPlus::Literal`](crate::QueryPlus::Literal) signs it: the query is rewritten
    /// with `%2B` in place of each raw `+` before it is verified and handed on, so a form
    /// decoder also reads a plus.
    LiteralPlus,
}

/// The normalized form of a wire path, as the signature of a normalizing service covers
/// it: `.` segments and empty segments dropped, `..` removing the segment before it (never
/// above the root), a trailing slash kept unless nothing but the root is left. An empty
/// path is `/`. Returns the path itself, borrowed, when it is already normalized.
///
/// The result has the same canonical URI as `path`:
///
/// ```
/// use sigv4::canonical_request::canonical_uri;
/// use sigv4::verify::edge::normalized_path;
///
/// let raw = "/api/public/x/../../reports//q3/.";
/// assert_eq!(normalized_path(raw), "/api/reports/q3");
/// let (mut a, mut b) = (String::new(), String::new());
/// canonical_uri(&mut a, raw, sigv4::UriRules::DEFAULT);
/// canonical_uri(&mut b, &normalized_path(raw), sigv4::UriRules::DEFAULT);
/// assert_eq!(a, b);
/// assert!(matches!(normalized_path("/a/b/"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn normalized_path(path: &str) -> Cow<'_, str> {
    if is_normalized(path) {
        return Cow::Borrowed(path);
    }
    let mut kept: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            s => kept.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    out.push('/');
    out.push_str(&kept.join("/"));
    if !kept.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Whether `path` is its own normalized form: it starts with `/`, and has no empty, `.`
/// or `..` segment (an empty last segment, a trailing slash, is allowed after a
/// non-root segment).
fn is_normalized(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.split('/').all(|seg| !matches!(seg, "" | "." | ".."))
}

/// Whether a path segment percent-decodes to `.` or `..` without being literally one
/// (`%2e`, `.%2E`...): servers that decode before resolving dot segments would climb the
/// tree where the signature names a plain segment.
pub fn is_encoded_dot_segment(segment: &str) -> bool {
    if !segment.contains('%') || segment.len() > 9 {
        return false;
    }
    let mut decoded = Vec::with_capacity(segment.len());
    decode_into(&mut decoded, segment.as_bytes());
    decoded == b"." || decoded == b".."
}

/// Checks (and, as the policies allow, rewrites) an origin-form request target
/// (`/path?query`) so that the target an application reads is exactly the one the
/// verifier checks.
///
/// * With `normalize_uri_path` (every service but S3), a path that is not its own
///   [`normalized_path`] is refused with [`VerifyError::NonNormalizedPath`] or, with
///   [`PathPolicy::Rewrite`], replaced by its normalized form. A segment that only
///   percent-decodes to `.` or `..` is always refused.
/// * A raw `+` in the query is replaced by `%20` ([`QueryPlusPolicy::Space`]) or `%2B`
///   ([`QueryPlusPolicy::LiteralPlus`]), or refused with [`VerifyError::RawPlusInQuery`]
///   ([`QueryPlusPolicy::Reject`]).
///
/// Returns `Ok(None)` when the target is fine as it is, `Ok(Some(target))` with the
/// rewritten target otherwise. Verify the returned target and hand the same one to the
/// application.
///
/// ```
/// use sigv4::verify::edge::{prepare_target, PathPolicy, QueryPlusPolicy};
///
/// let strict = |t| prepare_target(t, true, PathPolicy::Reject, QueryPlusPolicy::Reject);
/// assert_eq!(strict("/api/reports/q3?x=1").unwrap(), None);
/// assert_eq!(strict("/api/public/../reports/q3").unwrap_err().code(), "InvalidURI");
/// assert_eq!(strict("/s?email=a+b%40x.com").unwrap_err().code(), "InvalidArgument");
///
/// let default = prepare_target("/s?q=a+b", true, PathPolicy::default(), QueryPlusPolicy::default());
/// assert_eq!(default.unwrap().as_deref(), Some("/s?q=a%20b"));
///
/// let lenient = prepare_target(
///     "/api/./reports//q3?email=a+b",
///     true,
///     PathPolicy::Rewrite,
///     QueryPlusPolicy::LiteralPlus,
/// );
/// assert_eq!(lenient.unwrap().as_deref(), Some("/api/reports/q3?email=a%2Bb"));
/// ```
pub fn prepare_target(
    target: &str,
    normalize_uri_path: bool,
    path_policy: PathPolicy,
    plus_policy: QueryPlusPolicy,
) -> Result<Option<String>, VerifyError> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    check_path_spelling(path)?;
    let mut new_path: Option<Cow<'_, str>> = None;
    if normalize_uri_path {
        if path.split('/').any(is_encoded_dot_segment) {
            return Err(VerifyError::NonNormalizedPath(super::truncate(path)));
        }
        let normal = normalized_path(path);
        if normal != path {
            match path_policy {
                PathPolicy::Reject => {
                    return Err(VerifyError::NonNormalizedPath(super::truncate(path)))
                }
                PathPolicy::Rewrite => new_path = Some(normal),
            }
        }
    }
    let mut new_query: Option<String> = None;
    if let Some(q) = query.filter(|q| q.contains('+')) {
        match plus_policy {
            QueryPlusPolicy::Reject => return Err(VerifyError::RawPlusInQuery),
            QueryPlusPolicy::LiteralPlus => new_query = Some(q.replace('+', "%2B")),
            QueryPlusPolicy::Space => new_query = Some(q.replace('+', "%20")),
        }
    }
    if new_path.is_none() && new_query.is_none() {
        return Ok(None);
    }
    let mut out = String::with_capacity(target.len() + 8);
    out.push_str(new_path.as_deref().unwrap_or(path));
    if let Some(q) = new_query.as_deref().or(query) {
        out.push('?');
        out.push_str(q);
    }
    Ok(Some(out))
}

/// Refuses a path that could reach the application in another spelling than the one the
/// signature covers, whatever the service:
///
/// * a byte that must be percent-encoded in a URL sent raw (non-ASCII, space, controls,
///   `"<>\^`{|}`): the S3 rules sign `café` and `caf%C3%A9` alike, while a router matches
///   them as different paths;
/// * a percent-encoded `/` or `\` that forms a `.` or `..` segment once decoded
///   (`/..%2Fadmin`, `/%2e%2e%5cadmin`): a server or proxy that decodes before resolving
///   dot segments would climb out of the signed path.
///
/// ```
/// use sigv4::verify::edge::check_path_spelling;
/// assert!(check_path_spelling("/files/caf%C3%A9/a%2Fb").is_ok());
/// assert_eq!(check_path_spelling("/files/café").unwrap_err().code(), "InvalidURI");
/// assert!(check_path_spelling("/x/..%2Fadmin").is_err());
/// assert!(check_path_spelling("/%2e%2e%5Cadmin").is_err());
/// ```
pub fn check_path_spelling(path: &str) -> Result<(), VerifyError> {
    if !path.bytes().all(crate::canonical_request::is_raw_path_byte) {
        return Err(VerifyError::UnsafePath(super::truncate(path)));
    }
    let mut decoded = Vec::new();
    for seg in path.split('/').filter(|s| s.contains('%')) {
        decoded.clear();
        decode_into(&mut decoded, seg.as_bytes());
        if decoded.contains(&b'/') || decoded.contains(&b'\\') {
            let dots = decoded
                .split(|&b| b == b'/' || b == b'\\')
                .any(|piece| piece == b"." || piece == b"..");
            if dots {
                return Err(VerifyError::UnsafePath(super::truncate(path)));
            }
        }
    }
    Ok(())
}

/// Refuses request targets whose meaning the signature does not fix: `CONNECT` (a tunnel,
/// never an application request), the authority form (`GET host:port`) and the asterisk
/// form (`OPTIONS *`), and an absolute form (`http://host/path`, or HTTP/2 `:authority`)
/// whose scheme is not http(s), that carries user information, or whose authority is not
/// the `Host` header (`host`, when given). Only origin form (`/path?query`) and absolute
/// form naming the request's own host are accepted.
///
/// ```
/// use sigv4::verify::edge::check_target_form;
/// let host = Some(&b"api.example.com"[..]);
/// assert!(check_target_form("GET", "/a?b", host).is_ok());
/// assert!(check_target_form("GET", "http://API.example.com:80/a", host).is_ok());
/// assert!(check_target_form("GET", "evil.example.net:80", host).is_err());
/// assert!(check_target_form("CONNECT", "/", host).is_err());
/// assert!(check_target_form("GET", "http://evil.example.net/a", host).is_err());
/// assert!(check_target_form("OPTIONS", "*", host).is_err());
/// ```
pub fn check_target_form(
    method: &str,
    target: &str,
    host: Option<&[u8]>,
) -> Result<(), VerifyError> {
    if method.eq_ignore_ascii_case("CONNECT") {
        return Err(VerifyError::InvalidRequest(
            "CONNECT is not accepted: this server does not tunnel".into(),
        ));
    }
    if target.starts_with('/') {
        return Ok(());
    }
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    let (rest, https) = if lower.starts_with("https://") {
        (&target[8..], true)
    } else if lower.starts_with("http://") {
        (&target[7..], false)
    } else {
        return Err(VerifyError::InvalidRequest(format!(
            "the request target {:?} is neither a path nor an http(s) URL (authority and asterisk forms are refused)",
            super::truncate(target)
        )));
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.contains('@') || authority.is_empty() {
        return Err(VerifyError::InvalidRequest(
            "the request target's authority is empty or carries user information".into(),
        ));
    }
    if let Some(host) = host {
        let host = String::from_utf8_lossy(host);
        if !same_authority(authority, &host, https) {
            return Err(VerifyError::AuthorityMismatch {
                authority: super::truncate(authority),
                host: super::truncate(&host),
            });
        }
    }
    Ok(())
}

/// How a request's body is delimited, from its headers (RFC 9112 section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framing {
    /// No `Content-Length` and no `Transfer-Encoding`: the request has no body.
    NoBody,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Reads the framing headers and refuses the combinations a front end and a back end
/// could read differently (request smuggling): a `Transfer-Encoding` other than exactly
/// `chunked`, and a `Content-Length` that is not one decimal number (repeated values
/// must agree).
///
/// `Content-Length` together with `Transfer-Encoding: chunked` is read as chunked, as
/// RFC 9112 section 6.3 says and as hyper (under the tower layer and the proxy) reads it:
/// hyper drops the `Content-Length` header before any layer sees it and closes the
/// connection after the response, so nothing after the chunked body is read as another
/// request. Every entry point gives this one verdict; a front end in front of the server
/// that delimits such a request by its `Content-Length` is the deployment's to forbid.
///
/// ```
/// use sigv4::verify::edge::{check_framing, Framing};
/// assert_eq!(check_framing(&[("Content-Length", b"15")]).unwrap(), Framing::Length(15));
/// assert_eq!(check_framing(&[("transfer-encoding", b"chunked")]).unwrap(), Framing::Chunked);
/// assert_eq!(
///     check_framing(&[("content-length", b"5"), ("transfer-encoding", b"chunked")]).unwrap(),
///     Framing::Chunked
/// );
/// assert!(check_framing(&[("content-length", b"5"), ("content-length", b"6")]).is_err());
/// assert!(check_framing(&[("transfer-encoding", b"gzip, chunked")]).is_err());
/// ```
pub fn check_framing(headers: &[(&str, &[u8])]) -> Result<Framing, VerifyError> {
    let bad = |m: &str| Err(VerifyError::InvalidRequest(m.to_owned()));
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for &(name, value) in headers {
        if name.eq_ignore_ascii_case("content-length") {
            for part in value.split(|&b| b == b',') {
                let text = std::str::from_utf8(part).unwrap_or("").trim();
                let n = match text.parse::<u64>() {
                    Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => n,
                    _ => return bad("Content-Length is not a decimal number"),
                };
                if length.is_some_and(|l| l != n) {
                    return bad("conflicting Content-Length values");
                }
                length = Some(n);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            let v = std::str::from_utf8(value).unwrap_or("").trim();
            if chunked || !v.eq_ignore_ascii_case("chunked") {
                return bad("only a single 'Transfer-Encoding: chunked' is accepted");
            }
            chunked = true;
        }
    }
    match (length, chunked) {
        // RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length.
        (_, true) => Ok(Framing::Chunked),
        (Some(n), false) => Ok(Framing::Length(n)),
        (None, false) => Ok(Framing::NoBody),
    }
}

/// The body of a request received as raw HTTP/1.1 text, delimited as a server delimits
/// it: exactly `Content-Length` bytes, or the decoded chunks of `Transfer-Encoding:
/// chunked`, or nothing. Bytes left over would be read as a second request and are
/// refused, as is a body shorter than announced.
///
/// ```
/// use sigv4::verify::edge::frame_body;
/// let cl = [("Content-Length", &b"5"[..])];
/// assert_eq!(frame_body(&cl, b"hello").unwrap().as_ref(), b"hello");
/// assert!(frame_body(&cl, b"hello GET /admin HTTP/1.1").is_err());
/// let te = [("Transfer-Encoding", &b"chunked"[..])];
/// assert_eq!(frame_body(&te, b"5\r\nhello\r\n0\r\n\r\n").unwrap().as_ref(), b"hello");
/// assert!(frame_body(&[], b"body without framing").is_err());
/// ```
pub fn frame_body<'a>(
    headers: &[(&str, &[u8])],
    rest: &'a [u8],
) -> Result<Cow<'a, [u8]>, VerifyError> {
    let bad = |m: &str| Err(VerifyError::InvalidRequest(m.to_owned()));
    match check_framing(headers)? {
        Framing::NoBody if rest.is_empty() => Ok(Cow::Borrowed(rest)),
        Framing::NoBody => bad("bytes follow a request without Content-Length or Transfer-Encoding (a server reads them as another request)"),
        Framing::Length(n) if rest.len() as u64 == n => Ok(Cow::Borrowed(rest)),
        Framing::Length(n) if (rest.len() as u64) < n => bad("the body is shorter than Content-Length"),
        Framing::Length(_) => bad("bytes follow the Content-Length body (a server reads them as another request)"),
        Framing::Chunked => decode_chunked(rest).map(Cow::Owned),
    }
}

/// Decodes a `Transfer-Encoding: chunked` body strictly (hex sizes, CRLF line ends, no
/// chunk extensions or trailers) and refuses anything after the last chunk.
fn decode_chunked(mut rest: &[u8]) -> Result<Vec<u8>, VerifyError> {
    let bad = || VerifyError::InvalidRequest("malformed chunked body".into());
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|_| bad())?;
        if size_text.is_empty()
            || size_text.len() > 16
            || !size_text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(bad());
        }
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad())?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return if rest == b"\r\n" {
                Ok(out)
            } else {
                Err(VerifyError::InvalidRequest(
                    "bytes follow the last chunk (trailers or another request)".into(),
                ))
            };
        }
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return Err(bad());
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// The one edge policy of every entry point that verifies requests (the tower
/// `VerifyLayer`, `sigv4 verify`, the gateway) or forwards them (`sigv4 proxy`): target
/// form and authority ([`check_target_form`]), framing headers ([`check_framing`]), and
/// the path and query spelling ([`prepare_target`]: path policy, `+` policy, unsafe
/// spellings).
///
/// ```
/// use sigv4::verify::edge::EdgePolicy;
/// let edge = EdgePolicy::default();
/// let host = [("host", &b"api.example.com"[..])];
/// assert_eq!(edge.check("GET", "/s?q=a+b", &host, true).unwrap().as_deref(), Some("/s?q=a%20b"));
/// assert_eq!(edge.check("GET", "/s?q=a", &host, true).unwrap(), None);
/// assert!(edge.check("GET", "evil.example.net:80", &host, true).is_err());
/// assert!(edge.check("GET", "/a/../b", &host, true).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EdgePolicy {
    /// What to do with a path that is not normalized (services that normalize).
    pub path: PathPolicy,
    /// What to do with a raw `+` in the query.
    pub plus: QueryPlusPolicy,
}

impl EdgePolicy {
    /// This policy with `path` for non-normalized paths.
    pub fn with_path(mut self, path: PathPolicy) -> Self {
        self.path = path;
        self
    }

    /// This policy with `plus` for a raw `+` in the query.
    pub fn with_plus(mut self, plus: QueryPlusPolicy) -> Self {
        self.plus = plus;
        self
    }

    /// Checks a request as received: `target` is the request target as sent (origin,
    /// absolute, authority or asterisk form), `headers` all its headers. Returns the
    /// origin-form target to verify and hand on when it must be rewritten (`Ok(None)`:
    /// use the path and query as received).
    pub fn check(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &[u8])],
        normalize_uri_path: bool,
    ) -> Result<Option<String>, VerifyError> {
        let mut hosts = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map(|(_, v)| *v);
        let host = hosts.next();
        if hosts.next().is_some() {
            return Err(VerifyError::InvalidRequest(
                "more than one Host header".into(),
            ));
        }
        check_target_form(method, target, host)?;
        check_framing(headers)?;
        let origin = origin_part(target);
        let rewritten = prepare_target(&origin, normalize_uri_path, self.path, self.plus)?;
        // An absolute form with an empty path and a query (`http://h?q`) is handed on as
        // `/?q`: the query is kept, and the application never sees an empty path.
        Ok(rewritten.or(match origin {
            Cow::Owned(o) => Some(o),
            Cow::Borrowed(_) => None,
        }))
    }
}

/// The path and query of an origin- or absolute-form target. An empty path is `/`, and
/// is given owned when a query follows it (`http://h?q` is `/?q`), so that the caller
/// knows the target must be rewritten.
fn origin_part(target: &str) -> Cow<'_, str> {
    if target.starts_with('/') {
        return Cow::Borrowed(target);
    }
    let rest = target.split_once("://").map_or(target, |(_, r)| r);
    let rest = &rest[rest.find(['/', '?']).unwrap_or(rest.len())..];
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    if rest.is_empty() {
        return Cow::Borrowed("/");
    }
    if rest.starts_with('?') {
        return Cow::Owned(format!("/{rest}"));
    }
    Cow::Borrowed(rest)
}

/// Whether the authority of an absolute request target (or HTTP/2 `:authority`) names the
/// same host and port as a `Host` header value: ASCII case is ignored, and the scheme's
/// default port may be written or left out on either side.
pub(crate) fn same_authority(authority: &str, host: &str, https: bool) -> bool {
    let default_port = if https { ":443" } else { ":80" };
    let strip = |s: &str| -> String {
        let s = s.trim().to_ascii_lowercase();
        match s.strip_suffix(default_port) {
            Some(h) if !h.is_empty() => h.to_owned(),
            _ => s,
        }
    };
    strip(authority) == strip(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical_request::canonical_uri;

    fn canon(p: &str) -> String {
        let mut s = String::new();
        canonical_uri(&mut s, p, crate::UriRules::DEFAULT);
        s
    }

    #[test]
    fn normalized_paths_sign_like_the_raw_path() {
        for p in [
            "",
            "/",
            "//",
            "/.",
            "/..",
            "/a/..",
            "/a/.",
            "/a/./",
            "/a/../",
            "/../../a",
            "/a//b///c/",
            "/api/public/x/../../reports/q3",
            "/a/%2e%2E/b",
            "a/b",
        ] {
            let n = normalized_path(p);
            assert_eq!(canon(p), canon(&n), "{p:?} -> {n:?}");
            assert_eq!(normalized_path(&n), n, "idempotent for {p:?}");
            assert!(is_normalized(&n), "{n:?}");
        }
    }

    #[test]
    fn encoded_dots() {
        for s in ["%2e", "%2E%2e", ".%2E", "%2e."] {
            assert!(is_encoded_dot_segment(s), "{s}");
        }
        for s in [".", "..", "a", "%2e%2e%2e", "%2f", ""] {
            assert!(!is_encoded_dot_segment(s), "{s}");
        }
    }

    #[test]
    fn authorities() {
        assert!(same_authority("API.example.com", "api.example.com", true));
        assert!(same_authority("h:443", "h", true));
        assert!(same_authority("h", "h:80", false));
        assert!(!same_authority("h:80", "h", true));
        assert!(!same_authority(
            "evil.example.net",
            "api.example.com",
            false
        ));
    }
}
