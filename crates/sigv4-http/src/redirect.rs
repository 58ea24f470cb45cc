//! Following redirects without leaking a signature: a signed request is re-signed only
//! while the redirect stays on the origin it was signed for (same scheme, host and port);
//! elsewhere it goes unsigned (no Authorization, no session token). Plus curl's rules for
//! resolving `Location` and for the method after a 301/302/303.
//!
//! ```
//! use http::{Method, StatusCode, Uri};
//! use sigv4_http::redirect::{self, Origin};
//!
//! let home: Uri = "https://bucket.s3.amazonaws.com/a/b".parse().unwrap();
//! let next = redirect::resolve_location(&home, "c?x=1").unwrap();
//! assert_eq!(next, "https://bucket.s3.amazonaws.com/a/c?x=1");
//! assert!(Origin::of(&home).may_sign(&next));
//! let away = redirect::resolve_location(&home, "https://evil.example/").unwrap();
//! assert!(!Origin::of(&home).may_sign(&away));
//! assert_eq!(redirect::method_after(StatusCode::SEE_OTHER, &Method::PUT), Some(Method::GET));
//! ```

use http::{Method, StatusCode, Uri};

/// Scheme, host and port of a URI (the port filled in from the scheme); what a signature
/// may be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of `uri` (lowercase scheme and host; 443 for https, else 80 by default).
    pub fn of(uri: &Uri) -> Origin {
        let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
        let default = if scheme == "https" { 443 } else { 80 };
        Origin {
            host: uri.host().unwrap_or("").to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(default),
            scheme,
        }
    }

    /// Whether a request to `target` may carry the signature made for this origin.
    pub fn may_sign(&self, target: &Uri) -> bool {
        Origin::of(target) == *self
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// Why a `Location` cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot follow the redirect to {location:?}: {reason}")]
pub struct RedirectError {
    location: String,
    reason: String,
}

/// The target of a redirect from `base`: an absolute URL, a scheme-relative `//host/...`,
/// an absolute path or a path relative to `base`'s directory. Only http and https.
pub fn resolve_location(base: &Uri, location: &str) -> Result<Uri, RedirectError> {
    let err = |reason: &str| RedirectError {
        location: location.to_owned(),
        reason: reason.to_owned(),
    };
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    let text = if let Some((s, _)) = location.split_once("://") {
        if !s.eq_ignore_ascii_case("http") && !s.eq_ignore_ascii_case("https") {
            return Err(err("only http:// and https:// are followed"));
        }
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let dir = base.path().rsplit_once('/').map_or("", |(d, _)| d);
        format!("{scheme}://{authority}{dir}/{location}")
    };
    let text = text.split_once('#').map_or(text.as_str(), |(u, _)| u);
    let uri: Uri = text
        .parse()
        .map_err(|e: http::uri::InvalidUri| err(&e.to_string()))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(err("no host"));
    }
    Ok(uri)
}

/// The method after a redirect, as curl: `Some(GET)` when the request becomes a GET
/// without a body: 303 turns anything but HEAD into one, 301 and 302 turn POST into one;
/// `None` when the request is repeated as it was.
pub fn method_after(status: StatusCode, method: &Method) -> Option<Method> {
    let code = status.as_u16();
    let to_get = (code == 303 && method != Method::HEAD)
        || ((code == 301 || code == 302) && method == Method::POST);
    to_get.then_some(Method::GET)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn locations_resolve_like_curl() {
        let base = uri("http://h:8080/a/b/c?q=1");
        for (loc, want) in [
            ("/x", "http://h:8080/x"),
            ("y?z=1", "http://h:8080/a/b/y?z=1"),
            ("//other/p", "http://other/p"),
            ("HTTPS://o.example/p#frag", "HTTPS://o.example/p"),
        ] {
            assert_eq!(
                resolve_location(&base, loc)
                    .unwrap()
                    .to_string()
                    .to_ascii_lowercase(),
                want.to_ascii_lowercase(),
                "{loc}"
            );
        }
        assert!(resolve_location(&base, "ftp://x/").is_err());
        assert!(resolve_location(&base, "http:///nohost").is_err());
    }

    #[test]
    fn the_signature_stays_on_its_origin() {
        let home = Origin::of(&uri("https://B.example/p"));
        assert!(home.may_sign(&uri("https://b.example:443/q")));
        assert!(!home.may_sign(&uri("http://b.example/q")));
        assert!(!home.may_sign(&uri("https://b.example:8443/q")));
        assert!(!home.may_sign(&uri("https://c.example/q")));
        assert_eq!(home.to_string(), "https://b.example:443");
    }

    #[test]
    fn methods_after_redirects() {
        let s = |c| StatusCode::from_u16(c).unwrap();
        assert_eq!(method_after(s(303), &Method::POST), Some(Method::GET));
        assert_eq!(method_after(s(303), &Method::HEAD), None);
        assert_eq!(method_after(s(303), &Method::GET), Some(Method::GET));
        assert_eq!(method_after(s(302), &Method::POST), Some(Method::GET));
        assert_eq!(method_after(s(302), &Method::PUT), None);
        assert_eq!(method_after(s(307), &Method::POST), None);
        assert_eq!(method_after(s(308), &Method::POST), None);
    }
}
