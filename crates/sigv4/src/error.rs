//! The errors signing can return.
//!
//! `Display` and `Error` are written by hand rather than derived: the core stays free of
//! proc-macro crates, which keeps its dependency tree (and its build) small.

use std::fmt;

/// Why a request could not be signed.
///
/// Messages say what to fix and never contain secret material. The set of
/// variants is part of the stable API; new ones may be added (it is
/// `#[non_exhaustive]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningError {
    /// The region is empty or contains characters not allowed in a credential scope.
    InvalidRegion(String),
    /// The service name is empty or contains characters not allowed in a credential scope.
    InvalidService(String),
    /// The HTTP method is empty or not a valid token.
    InvalidMethod(String),
    /// A header name contains bytes not allowed in an HTTP header name.
    InvalidHeaderName(String),
    /// A header value contains bytes not allowed in an HTTP header value (control characters, a bare CR or LF).
    InvalidHeaderValue(String),
    /// Text was required but the bytes are not UTF-8.
    NonUtf8(&'static str),
    /// The request has no `host` header and its URI has no authority.
    MissingHost,
    /// A date is not in the `YYYYMMDD` form.
    InvalidDate(String),
    /// The request target could not be understood.
    InvalidUri(String),
    /// A presigned URL's expiry is outside 1 second to 7 days.
    InvalidExpiry(u64),
    /// The signing time is before 1970-01-01 or after 9999-12-31.
    TimeOutOfRange,
    /// A precomputed payload hash is not 64 hex digits or a known marker.
    InvalidPayloadHash(String),
    /// A signing key was used for a date, region or service it was not derived for.
    KeyScopeMismatch {
        /// The key's `date/region/service`.
        key_scope: String,
        /// The request's `date/region/service`.
        request_scope: String,
    },
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningError::InvalidRegion(r) => write!(
                f,
                "invalid region {r:?}: it must be non-empty and contain no '/', whitespace or control characters"
            ),
            SigningError::InvalidService(s) => write!(
                f,
                "invalid service {s:?}: it must be non-empty and contain no '/', whitespace or control characters"
            ),
            SigningError::InvalidMethod(m) => write!(f, "invalid HTTP method {m:?}"),
            SigningError::InvalidHeaderName(n) => write!(f, "invalid header name {n:?}"),
            SigningError::InvalidHeaderValue(n) => write!(
                f,
                "invalid value for header {n:?}: it contains control characters"
            ),
            SigningError::NonUtf8(what) => write!(f, "{what} is not valid UTF-8"),
            SigningError::MissingHost => f.write_str(
                "the request has no host: give an absolute URL or a Host header",
            ),
            SigningError::InvalidDate(d) => write!(f, "invalid date {d:?}: expected YYYYMMDD"),
            SigningError::InvalidUri(why) => write!(f, "invalid request URI: {why}"),
            SigningError::InvalidExpiry(secs) => write!(
                f,
                "presigned URL expiry of {secs} seconds is out of range: it must be 1 to 604800 seconds (7 days)"
            ),
            SigningError::TimeOutOfRange => f.write_str(
                "the signing time is out of range (before 1970 or after year 9999)",
            ),
            SigningError::InvalidPayloadHash(h) => write!(
                f,
                "invalid precomputed payload hash {h:?}: give 64 hex digits or a marker such as UNSIGNED-PAYLOAD"
            ),
            SigningError::KeyScopeMismatch {
                key_scope,
                request_scope,
            } => write!(
                f,
                "the signing key is scoped to {key_scope} but the request needs {request_scope}: derive a new key"
            ),
        }
    }
}

impl std::error::Error for SigningError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_the_documented_ones() {
        // Callers match on these texts in logs; keep them stable.
        assert_eq!(
            SigningError::InvalidExpiry(0).to_string(),
            "presigned URL expiry of 0 seconds is out of range: it must be 1 to 604800 seconds (7 days)"
        );
        assert_eq!(
            SigningError::NonUtf8("the header value").to_string(),
            "the header value is not valid UTF-8"
        );
        assert_eq!(
            SigningError::KeyScopeMismatch {
                key_scope: "20150830/us-east-1/s3".into(),
                request_scope: "20150831/us-east-1/s3".into()
            }
            .to_string(),
            "the signing key is scoped to 20150830/us-east-1/s3 but the request needs 20150831/us-east-1/s3: derive a new key"
        );
        assert_eq!(
            SigningError::InvalidRegion("a/b".into()).to_string(),
            "invalid region \"a/b\": it must be non-empty and contain no '/', whitespace or control characters"
        );
    }
}
