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
/// canonical_uri(&mut a, raw, true, true);
/// canonical_uri(&mut b, &normalized_path(raw), true, true);
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
        canonical_uri(&mut s, p, true, true);
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
