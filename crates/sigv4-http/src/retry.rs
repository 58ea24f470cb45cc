//! Which answers are worth retrying, and how long to wait: curl's transient HTTP errors
//! (408, 429, 500, 502, 503, 504) plus the AWS throttling errors some services answer
//! with 400, and curl's backoff (1 s, doubling, at most 10 minutes; `Retry-After` in
//! seconds wins).
//!
//! ```
//! use std::time::Duration;
//! use http::{HeaderMap, StatusCode};
//! use sigv4_http::retry;
//!
//! assert!(retry::is_retryable(StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), None));
//! let throttled = br#"{"__type":"ThrottlingException"}"#;
//! assert!(retry::is_retryable(StatusCode::BAD_REQUEST, &HeaderMap::new(), Some(throttled)));
//! assert!(!retry::is_retryable(StatusCode::BAD_REQUEST, &HeaderMap::new(), Some(b"{}")));
//! assert_eq!(retry::backoff(2, None, None), Duration::from_secs(4));
//! ```

use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::aws_error::AwsError;

/// The AWS error codes that mean "too many requests, slow down".
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
    "BandwidthLimitExceeded",
    "TransactionInProgressException",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// The longest wait between two attempts (curl's cap).
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// Whether `code` is an AWS throttling error.
pub fn is_throttling_code(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// The statuses curl's `--retry` treats as transient, whatever the body says.
pub fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether the body must be read to decide: a 400 is retried only when it names a
/// throttling error (the error documents are small).
pub fn needs_body(status: StatusCode) -> bool {
    status == StatusCode::BAD_REQUEST
}

/// Whether an answer should be retried: a transient status, or a 400 whose headers or
/// `body` (when read; see [`needs_body`]) name a throttling error.
pub fn is_retryable(status: StatusCode, headers: &HeaderMap, body: Option<&[u8]>) -> bool {
    if is_transient_status(status) {
        return true;
    }
    if !needs_body(status) {
        return false;
    }
    AwsError::parse(headers, body.unwrap_or_default()).is_some_and(|e| is_throttling_code(e.code()))
}

/// The pause before retry number `attempt` (0-based): `Retry-After` when the server gives
/// seconds, else `fixed` (curl's `--retry-delay`), else 1 s doubling per attempt; never
/// more than [`MAX_BACKOFF`].
pub fn backoff(
    attempt: u32,
    fixed: Option<Duration>,
    retry_after: Option<&HeaderValue>,
) -> Duration {
    if let Some(secs) = retry_after
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Duration::from_secs(secs).min(MAX_BACKOFF);
    }
    fixed.unwrap_or_else(|| Duration::from_secs(1u64 << attempt.min(9)).min(MAX_BACKOFF))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_throttling_bodies() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable(
                StatusCode::from_u16(s).unwrap(),
                &HeaderMap::new(),
                None
            ));
        }
        for s in [200, 301, 403, 404, 501, 505] {
            assert!(!is_retryable(
                StatusCode::from_u16(s).unwrap(),
                &HeaderMap::new(),
                None
            ));
        }
        let bad = StatusCode::BAD_REQUEST;
        assert!(is_retryable(
            bad,
            &HeaderMap::new(),
            Some(b"<Error><Code>SlowDown</Code></Error>")
        ));
        assert!(!is_retryable(
            bad,
            &HeaderMap::new(),
            Some(b"<Error><Code>InvalidArgument</Code></Error>")
        ));
        assert!(!is_retryable(bad, &HeaderMap::new(), None));
        let mut h = HeaderMap::new();
        h.insert(
            "x-amzn-errortype",
            "com.amazon#ThrottlingException".parse().unwrap(),
        );
        assert!(is_retryable(bad, &h, None));
    }

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        assert_eq!(backoff(0, None, None), Duration::from_secs(1));
        assert_eq!(backoff(3, None, None), Duration::from_secs(8));
        assert_eq!(backoff(40, None, None), Duration::from_secs(512));
        let fixed = Some(Duration::from_millis(250));
        assert_eq!(backoff(5, fixed, None), Duration::from_millis(250));
        let ra = HeaderValue::from_static("7");
        assert_eq!(backoff(0, fixed, Some(&ra)), Duration::from_secs(7));
        let huge = HeaderValue::from_static("99999");
        assert_eq!(backoff(0, None, Some(&huge)), MAX_BACKOFF);
        // An HTTP date is not seconds: the usual backoff.
        let date = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(backoff(1, None, Some(&date)), Duration::from_secs(2));
    }
}
