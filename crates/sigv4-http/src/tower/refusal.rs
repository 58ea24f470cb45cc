//! Refusals made visible: every request [`VerifyLayer`](super::VerifyLayer) refuses is
//! emitted as a structured `tracing` event (at a level the application chooses) and handed to
//! an optional callback, for metrics and alerting. Neither carries a secret: the access key id
//! (not secret), the AWS error code, the HTTP status, the method and the path (never the
//! query, which can hold a presigned URL's session token, nor any header).

use std::fmt;
use std::sync::Arc;

use http::request::Parts;

/// One refused request, as seen by [`VerifyLayer::on_refusal`](super::VerifyLayer::on_refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusal<'a> {
    /// The access key id the request claimed (from its `Authorization` header or
    /// `X-Amz-Credential`), when it named one.
    pub access_key_id: Option<&'a str>,
    /// The AWS error code of the answer (`SignatureDoesNotMatch`, `InvalidAccessKeyId`,
    /// `RequestTimeTooSkewed`, ...).
    pub code: &'a str,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The request method.
    pub method: &'a str,
    /// The request path as the client sent it (under `Router::nest`, with the prefix);
    /// without the query.
    pub path: &'a str,
}

/// The callback type of [`VerifyLayer::on_refusal`](super::VerifyLayer::on_refusal).
pub(crate) type RefusalHook = Arc<dyn Fn(&Refusal<'_>) + Send + Sync>;

/// How refusals are reported: the `tracing` level and the callback.
#[derive(Clone)]
pub(crate) struct RefusalReport {
    pub(crate) level: tracing::Level,
    pub(crate) hook: Option<RefusalHook>,
}

impl Default for RefusalReport {
    fn default() -> Self {
        RefusalReport {
            level: tracing::Level::INFO,
            hook: None,
        }
    }
}

impl fmt::Debug for RefusalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefusalReport")
            .field("level", &self.level)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

/// The AWS error code of a refusal the layer wrote, kept in the response's extensions.
#[derive(Debug, Clone)]
pub(crate) struct RefusalCode(pub(crate) String);

/// What is known of the request before it is verified (the request is consumed by then).
pub(crate) struct RequestSummary {
    method: http::Method,
    path: String,
    access_key_id: Option<String>,
}

impl RequestSummary {
    pub(crate) fn of(parts: &Parts) -> Self {
        let uri = super::nest::original_uri(parts).unwrap_or(&parts.uri);
        RequestSummary {
            method: parts.method.clone(),
            path: uri.path().to_owned(),
            access_key_id: claimed_access_key_id(parts),
        }
    }
}

impl RefusalReport {
    /// Emits the event and calls the callback for a refusal answered with `status`/`code`.
    pub(crate) fn report(&self, req: &RequestSummary, status: u16, code: &str) {
        let refusal = Refusal {
            access_key_id: req.access_key_id.as_deref(),
            code,
            status,
            method: req.method.as_str(),
            path: &req.path,
        };
        macro_rules! emit {
            ($level:expr) => {
                tracing::event!(
                    $level,
                    access_key_id = refusal.access_key_id,
                    code = refusal.code,
                    status = refusal.status,
                    method = refusal.method,
                    path = refusal.path,
                    "request refused"
                )
            };
        }
        match self.level {
            tracing::Level::ERROR => emit!(tracing::Level::ERROR),
            tracing::Level::WARN => emit!(tracing::Level::WARN),
            tracing::Level::INFO => emit!(tracing::Level::INFO),
            tracing::Level::DEBUG => emit!(tracing::Level::DEBUG),
            _ => emit!(tracing::Level::TRACE),
        }
        if let Some(hook) = &self.hook {
            hook(&refusal);
        }
    }
}

/// The access key id in `Credential=AKID/...` (header) or `X-Amz-Credential=AKID%2F...`
/// (query): only the characters an access key id is made of, at most 128 of them.
fn claimed_access_key_id(parts: &Parts) -> Option<String> {
    let from_header = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once("Credential=").map(|(_, rest)| rest));
    let from_query = || {
        parts.uri.query()?.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.eq_ignore_ascii_case("X-Amz-Credential").then_some(v)
        })
    };
    let raw = from_header.or_else(from_query)?;
    let id: String = raw
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(128)
        .collect();
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, auth: Option<&str>) -> Parts {
        let mut b = http::Request::get(uri);
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_claimed_access_key_id_is_read_from_header_or_query() {
        let p = parts(
            "/a",
            Some("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"),
        );
        assert_eq!(claimed_access_key_id(&p).as_deref(), Some("AKIDEXAMPLE"));
        let p = parts(
            "/a?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDQ%2F20240101%2Fus-east-1%2Fs3%2Faws4_request",
            None,
        );
        assert_eq!(claimed_access_key_id(&p).as_deref(), Some("AKIDQ"));
        assert_eq!(claimed_access_key_id(&parts("/a", None)), None);
        assert_eq!(claimed_access_key_id(&parts("/a", Some("Bearer x"))), None);
    }
}
