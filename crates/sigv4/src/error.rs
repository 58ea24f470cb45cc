//! The errors signing can return.

use thiserror::Error;

/// Why a request could not be signed.
///
/// Messages say what to fix and never contain secret material. The set of
/// variants is part of the stable API; new ones may be added (it is
/// `#[non_exhaustive]`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The region is empty or contains characters not allowed in a credential scope.
    #[error("invalid region {0:?}: it must be non-empty and contain no '/', whitespace or control characters")]
    InvalidRegion(String),
    /// The service name is empty or contains characters not allowed in a credential scope.
    #[error("invalid service {0:?}: it must be non-empty and contain no '/', whitespace or control characters")]
    InvalidService(String),
    /// The HTTP method is empty or not a valid token.
    #[error("invalid HTTP method {0:?}")]
    InvalidMethod(String),
    /// A header name contains bytes not allowed in an HTTP header name.
    #[error("invalid header name {0:?}")]
    InvalidHeaderName(String),
    /// A header value contains bytes not allowed in an HTTP header value (control characters, a bare CR or LF).
    #[error("invalid value for header {0:?}: it contains control characters")]
    InvalidHeaderValue(String),
    /// Text was required but the bytes are not UTF-8.
    #[error("{0} is not valid UTF-8")]
    NonUtf8(&'static str),
    /// The request has no `host` header and its URI has no authority.
    #[error("the request has no host: give an absolute URL or a Host header")]
    MissingHost,
    /// A date is not in the `YYYYMMDD` form.
    #[error("invalid date {0:?}: expected YYYYMMDD")]
    InvalidDate(String),
    /// The request target could not be understood.
    #[error("invalid request URI: {0}")]
    InvalidUri(String),
    /// A presigned URL's expiry is outside 1 second to 7 days.
    #[error("presigned URL expiry of {0} seconds is out of range: it must be 1 to 604800 seconds (7 days)")]
    InvalidExpiry(u64),
    /// The signing time is before 1970-01-01 or after 9999-12-31.
    #[error("the signing time is out of range (before 1970 or after year 9999)")]
    TimeOutOfRange,
    /// A precomputed payload hash is not 64 hex digits or a known marker.
    #[error("invalid precomputed payload hash {0:?}: give 64 hex digits or a marker such as UNSIGNED-PAYLOAD")]
    InvalidPayloadHash(String),
    /// A signing key was used for a date, region or service it was not derived for.
    #[error("the signing key is scoped to {key_scope} but the request needs {request_scope}: derive a new key")]
    KeyScopeMismatch {
        /// The key's `date/region/service`.
        key_scope: String,
        /// The request's `date/region/service`.
        request_scope: String,
    },
}
