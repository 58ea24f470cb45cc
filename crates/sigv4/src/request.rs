//! A borrowed, stack-agnostic view of the request to sign.

use smallvec::SmallVec;

use crate::Payload;

/// The parts of an HTTP request that SigV4 covers, borrowed from whatever HTTP stack
/// holds the request.
///
/// `uri` is the request target exactly as it goes on the wire, already percent-encoded:
/// either origin form (`/path?query`, then a `host` header is required) or an absolute
/// URL (`https://host:port/path?query`, whose host is signed when no `host` header is
/// given; the default port of the scheme is left out).
///
/// ```
/// use sigv4::{Payload, SignableRequest};
///
/// let headers = [("host", "example.amazonaws.com".as_bytes()), ("x-amz-meta-a", b"1")];
/// let req = SignableRequest::new("GET", "/photos/cat.jpg?versionId=3", headers, Payload::Unsigned);
/// assert_eq!(req.method(), "GET");
/// ```
#[derive(Debug, Clone)]
pub struct SignableRequest<'a> {
    method: &'a str,
    uri: &'a str,
    headers: SmallVec<[(&'a str, &'a [u8]); 12]>,
    payload: Payload<'a>,
    /// The host to sign (and add) when there is no `host` header, for a target in origin
    /// form whose host is known apart (the `http::Request` adapter takes it from the URI).
    pub(crate) host: Option<&'a str>,
}

impl<'a> SignableRequest<'a> {
    /// A request with these parts. Header values are raw bytes; they must be UTF-8 to be signed.
    pub fn new(
        method: &'a str,
        uri: &'a str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        payload: Payload<'a>,
    ) -> Self {
        SignableRequest {
            method,
            uri,
            headers: headers.into_iter().collect(),
            payload,
            host: None,
        }
    }

    /// The method, such as `GET`.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request target as given.
    pub fn uri(&self) -> &'a str {
        self.uri
    }

    /// The headers as given, in order.
    pub fn headers(&self) -> &[(&'a str, &'a [u8])] {
        &self.headers
    }

    /// The payload.
    pub fn payload(&self) -> Payload<'a> {
        self.payload
    }

    /// Replaces the payload.
    pub fn set_payload(&mut self, payload: Payload<'a>) {
        self.payload = payload;
    }
}

/// The request target split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    /// `host[:port]` from an absolute URL, lowercased later; default port removed.
    pub(crate) authority: Option<&'a str>,
    pub(crate) https: bool,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
}

/// Splits a request target without normalizing anything (see the `sign` contract: the
/// path and query are taken from the raw string).
pub(crate) fn split_target(uri: &str) -> Result<Target<'_>, crate::SigningError> {
    let (authority, https, rest) = if let Some(rest) = strip_scheme(uri, "https://") {
        split_authority(rest, true)?
    } else if let Some(rest) = strip_scheme(uri, "http://") {
        split_authority(rest, false)?
    } else if uri.starts_with('/') || uri.is_empty() || uri.starts_with('?') {
        (None, true, uri)
    } else {
        return Err(crate::SigningError::InvalidUri(
            "the request target must start with '/' or be an absolute http(s) URL".into(),
        ));
    };
    let (path, query) = split_path_query(rest);
    Ok(Target {
        authority,
        https,
        path,
        query,
    })
}

/// `path?query#fragment` into the path and the query; a fragment never goes on the wire.
/// One pass over the bytes (the delimiters are ASCII, so the cuts fall on characters).
fn split_path_query(rest: &str) -> (&str, &str) {
    let b = rest.as_bytes();
    match b.iter().position(|&c| c == b'?' || c == b'#') {
        None => (rest, ""),
        Some(i) if b[i] == b'#' => (&rest[..i], ""),
        Some(i) => {
            let q = &rest[i + 1..];
            // The query is the long part of a target, and a fragment is rare: first ask
            // whether there is a `#` at all (a word-at-a-time search), then where.
            let end = if q.as_bytes().contains(&b'#') {
                q.bytes().position(|c| c == b'#').unwrap_or(q.len())
            } else {
                q.len()
            };
            (&rest[..i], &q[..end])
        }
    }
}

fn strip_scheme<'a>(uri: &'a str, scheme: &str) -> Option<&'a str> {
    // `get` rather than indexing: the URI may have a multi-byte character at that offset.
    match (uri.get(..scheme.len()), uri.get(scheme.len()..)) {
        (Some(head), Some(rest)) if head.eq_ignore_ascii_case(scheme) => Some(rest),
        _ => None,
    }
}

/// What a byte is to the authority scan: most are [`A_PLAIN`] (one load and compare each).
const A_PLAIN: u8 = 0;
/// `/`, `?` or `#`: the authority ends.
const A_END: u8 = 1;
/// `@`: userinfo ends.
const A_AT: u8 = 2;
/// A space, a control character or `\\`.
const A_BAD: u8 = 3;

static AUTHORITY_BYTE: [u8; 256] = {
    let mut t = [A_PLAIN; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = match b {
            b'/' | b'?' | b'#' => A_END,
            b'@' => A_AT,
            _ if b <= b' ' || b == 0x7f || b == b'\\' => A_BAD,
            _ => A_PLAIN,
        };
        i += 1;
    }
    t
};

type AuthorityParts<'a> = (Option<&'a str>, bool, &'a str);

fn split_authority(rest: &str, https: bool) -> Result<AuthorityParts<'_>, crate::SigningError> {
    // One pass: the end of the authority, the last `@` (userinfo never goes into the Host
    // header) and whether a byte after it is a space, a control character or `\\`.
    let mut end = rest.len();
    let mut at = None;
    let mut bad = false;
    for (i, &b) in rest.as_bytes().iter().enumerate() {
        match AUTHORITY_BYTE[usize::from(b)] {
            A_PLAIN => {}
            A_END => {
                end = i;
                break;
            }
            A_AT => (at, bad) = (Some(i), false),
            _ => bad = true,
        }
    }
    let mut authority = &rest[at.map_or(0, |a| a + 1)..end];
    if authority.is_empty() {
        return Err(crate::SigningError::MissingHost);
    }
    if !is_host_port(authority) {
        return Err(crate::SigningError::InvalidUri(
            "the URL's authority is not host[:port] (a port is digits only)".into(),
        ));
    }
    let default_port = if https { ":443" } else { ":80" };
    if let Some(h) = authority.strip_suffix(default_port) {
        authority = h;
    }
    if authority.is_empty() || bad {
        return Err(crate::SigningError::InvalidUri(
            "the URL's host contains spaces or control characters".into(),
        ));
    }
    Ok((Some(authority), https, &rest[end..]))
}

/// Whether `authority` (userinfo removed) is `host[:port]`: a colon only before the port,
/// or inside an IPv6 literal `[...]`, and the port digits only (RFC 3986 §3.2.3; it may be
/// empty). Without this, `h:80:80` lost one `:80` as a default port here and another where
/// a verifier compared it with `Host: h`, and was accepted as `h` (found by the
/// `verify_edge` fuzz target).
fn is_host_port(authority: &str) -> bool {
    let port = match authority.strip_prefix('[') {
        Some(literal) => match literal.split_once(']') {
            Some((_, "")) => return true,
            Some((_, after)) => match after.strip_prefix(':') {
                Some(port) => port,
                None => return false,
            },
            None => return false,
        },
        None => match authority.split_once(':') {
            Some((_, port)) => port,
            None => return true,
        },
    };
    port.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_targets() {
        let t = split_target("/a/b?x=1&y").unwrap();
        assert_eq!((t.authority, t.path, t.query), (None, "/a/b", "x=1&y"));
        let t = split_target("https://Example.com:443/a?q#frag").unwrap();
        assert_eq!(
            (t.authority, t.path, t.query),
            (Some("Example.com"), "/a", "q")
        );
        let t = split_target("http://h:8080").unwrap();
        assert_eq!((t.authority, t.path, t.query), (Some("h:8080"), "", ""));
        let t = split_target("https://h:80/").unwrap();
        assert_eq!(t.authority, Some("h:80"));
        let t = split_target("http://u:p@h:80/").unwrap();
        assert_eq!(t.authority, Some("h"));
        assert!(split_target("https:///x").is_err());
        assert!(split_target("ftp://x/").is_err());
        assert!(split_target("x").is_err());
    }

    #[test]
    fn the_byte_scans_split_as_the_str_methods_did() {
        // The one-pass scans replaced `split_once('#')` then `split_once('?')`, and
        // `rposition('@')` then a scan for bad bytes: same parts on every shape.
        let samples = [
            "",
            "/",
            "/a",
            "/a?",
            "/a?q",
            "/a?q#f",
            "/a#f?q",
            "?q",
            "#f",
            "/a??b",
            "/a?b#c#d",
            "/ሴ?ሴ=1#ሴ",
            "/a&b?x=1&&y=2&",
        ];
        for s in samples {
            let rest = s.split_once('#').map_or(s, |(a, _)| a);
            let want = rest.split_once('?').unwrap_or((rest, ""));
            assert_eq!(split_path_query(s), want, "{s:?}");
        }
        for (url, want) in [
            ("https://u@h/x", Ok(Some("h"))),
            ("https://u p@h/x", Ok(Some("h"))),
            ("https://h p@/x", Err(())),
            ("https://h p/x", Err(())),
            ("https://a@b@h:443?x", Ok(Some("h"))),
            ("https://h\\x/", Err(())),
            ("http://@:80", Err(())),
        ] {
            let got = split_target(url).map(|t| t.authority).map_err(|_| ());
            assert_eq!(got, want, "{url:?}");
        }
    }

    #[test]
    fn an_authority_is_a_host_and_at_most_one_port() {
        for (url, want) in [
            ("http://h:80:80/", None),
            ("http://example.amazonaws.com:80:80/x", None),
            ("http://h:8a/", None),
            ("http://h:80/:80", Some("h")),
            ("http://h:/", Some("h:")),
            ("http://u:p@h:8080/", Some("h:8080")),
            ("http://[::1]:8080/", Some("[::1]:8080")),
            ("http://[::1]/", Some("[::1]")),
            ("https://[::1]:443/", Some("[::1]")),
            ("http://[::1]x/", None),
            ("http://[::1:80/", None),
            ("http://[::1]:80:80/", None),
        ] {
            let got = split_target(url).ok().map(|t| t.authority);
            assert_eq!(got, want.map(Some), "{url:?}");
        }
    }

    #[test]
    fn multibyte_text_where_a_scheme_would_be_is_an_error_not_a_panic() {
        // Found by the property tests: slicing at the scheme length split a character.
        assert!(split_target("ሴሴሴ://x").is_err());
        assert!(split_target("httpሴ").is_err());
    }
}
