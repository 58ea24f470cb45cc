//! How the request handed to the inner service differs from the one received: its target
//! rewritten by the edge policy, unsigned headers stripped (when asked), and the headers of
//! a decoded aws-chunked body.

use http::header::{HeaderValue, CONTENT_LENGTH};

/// Headers that [`VerifyLayer::strip_unsigned_headers`](super::VerifyLayer::strip_unsigned_headers) keeps although they are not
/// signed: they describe the connection and the message framing, which the HTTP stack has
/// already acted on, not the request's meaning.
pub const TRANSPORT_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "content-length",
    "expect",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes the headers that are neither signed nor transport headers.
pub(crate) fn strip_unsigned(headers: &mut http::HeaderMap, signed: &str) {
    let unsigned: Vec<http::HeaderName> = headers
        .keys()
        .filter(|n| {
            let n = n.as_str();
            !TRANSPORT_HEADERS.contains(&n) && !signed.split(';').any(|s| s == n)
        })
        .cloned()
        .collect();
    for name in unsigned {
        headers.remove(&name);
    }
}

/// Puts `target` (origin form) in place of the URI's path and query, keeping its scheme
/// and authority.
pub(crate) fn replace_target(uri: &http::Uri, target: &str) -> Option<http::Uri> {
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(target.parse().ok()?);
    http::Uri::from_parts(parts).ok()
}

/// The handler sees the decoded body of an aws-chunked upload: its length and encoding.
pub(crate) fn decoded_headers(headers: &mut http::HeaderMap) {
    match headers.get("x-amz-decoded-content-length").cloned() {
        Some(len) => {
            headers.insert(CONTENT_LENGTH, len);
        }
        None => {
            headers.remove(CONTENT_LENGTH);
        }
    }
    let rest: Option<String> = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
                .collect::<Vec<_>>()
                .join(",")
        });
    match rest.and_then(|r| HeaderValue::from_str(&r).ok().filter(|_| !r.is_empty())) {
        Some(v) => {
            headers.insert(http::header::CONTENT_ENCODING, v);
        }
        None => {
            headers.remove(http::header::CONTENT_ENCODING);
        }
    }
}
