//! Clock-skew correction for `request` and `proxy`: one table of per-endpoint offsets for
//! the process (see [`sigv4_credentials::clock_skew`]), the corrected signing time, and
//! the look at a refused response that learns the server's time.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use bytes::Bytes;
use http::Response;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use sigv4_credentials::clock_skew::{endpoint_key, ClockSkew, SkewCorrection, SkewResponse};

use crate::net::{AnyBody, BoxError};

/// Error bodies read to look for the server's time are at most this large.
const MAX_ERROR_BODY: usize = 1 << 20;

/// The process's offsets (a proxy keeps them for its lifetime).
pub fn global() -> &'static Arc<ClockSkew> {
    static SKEW: OnceLock<Arc<ClockSkew>> = OnceLock::new();
    SKEW.get_or_init(|| Arc::new(ClockSkew::new()))
}

/// The offsets' key for a request URI (`scheme://authority`).
pub fn endpoint(uri: &http::Uri) -> String {
    endpoint_key(&uri.to_string())
}

/// The time to sign a request to `endpoint` at: the local clock plus the offset learned
/// for it, and that offset (0 when none).
pub fn now(endpoint: &str) -> (SystemTime, i64) {
    let skew = global();
    (
        skew.now(endpoint, SystemTime::now()),
        skew.offset(endpoint).unwrap_or(0),
    )
}

/// One line for `-v` and logs.
pub fn describe(c: &SkewCorrection) -> String {
    let (n, dir) = if c.offset_secs >= 0 {
        (c.offset_secs, "ahead of")
    } else {
        (-c.offset_secs, "behind")
    };
    format!(
        "clock skew: the server's clock is {n} s {dir} ours ({}); re-signing at the server's time (offset {:+} s)",
        c.reason, c.offset_secs
    )
}

/// Looks at a response from `endpoint`: a 400 or 403 is read whole (error documents are
/// small) to see whether it refused the request's time. Returns the response (its body
/// intact) and, when it taught a new offset, the correction: the caller re-signs and
/// retries once.
pub async fn check(
    response: Response<Incoming>,
    endpoint: &str,
) -> Result<(Response<AnyBody>, Option<SkewCorrection>), BoxError> {
    let status = response.status().as_u16();
    if status != 400 && status != 403 {
        return Ok((
            response.map(|b| b.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync()),
            None,
        ));
    }
    let (parts, body) = response.into_parts();
    let bytes = Limited::new(body, MAX_ERROR_BODY)
        .collect()
        .await?
        .to_bytes();
    let date = parts
        .headers
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok());
    let learned = global()
        .learn(
            endpoint,
            &SkewResponse {
                status,
                date,
                body: &bytes,
            },
            SystemTime::now(),
        )
        // Retrying at the offset already used would be refused again.
        .filter(|c| c.offset_secs != c.previous_offset_secs);
    let body = Full::new(bytes).map_err(|e| match e {}).boxed_unsync();
    Ok((Response::from_parts(parts, body), learned))
}

/// What the proxy keeps of a signed request to send it again: the head and, when the
/// body can be replayed (read whole, or empty), the body and how it was signed.
pub struct Resend {
    head: http::Request<()>,
    body: Bytes,
    unsigned_payload: bool,
}

impl Resend {
    /// A copy of `head` (already signed: signing again replaces the signature headers).
    pub fn new(head: &http::Request<()>, body: Bytes, unsigned_payload: bool) -> Self {
        let mut copy = http::Request::new(());
        *copy.method_mut() = head.method().clone();
        *copy.uri_mut() = head.uri().clone();
        *copy.headers_mut() = head.headers().clone();
        Resend {
            head: copy,
            body,
            unsigned_payload,
        }
    }
}

/// For the proxy: when the upstream refused a request for clock skew, learn the offset
/// and, if the request can be sent again, re-sign it at the server's time and send it
/// once more. `Ok` is the response to pass on (the original one, or the retry's);
/// `Err` a response already complete (a refusal that cannot be retried, or a failed
/// retry).
pub async fn proxy_retry(
    signer: &sigv4::Signer,
    client: &crate::net::HttpClient,
    timeout: std::time::Duration,
    credentials: &sigv4::Credentials,
    response: Response<Incoming>,
    endpoint: &str,
    resend: Option<Resend>,
) -> Result<Response<Incoming>, Response<AnyBody>> {
    if !matches!(response.status().as_u16(), 400 | 403) {
        return Ok(response);
    }
    let (refusal, learned) = check(response, endpoint)
        .await
        .map_err(|e| gateway_error(&format!("reading the upstream's answer failed: {e}")))?;
    let Some(c) = learned else {
        return Err(refusal);
    };
    let Some(Resend {
        mut head,
        body,
        unsigned_payload,
    }) = resend
    else {
        tracing::warn!(
            endpoint,
            offset_secs = c.offset_secs,
            "{}; this request's body was streamed and cannot be sent again, later requests use the offset",
            describe(&c)
        );
        return Err(refusal);
    };
    tracing::info!(
        endpoint,
        offset_secs = c.offset_secs,
        "{}; retrying once",
        describe(&c)
    );
    let (at, _) = now(endpoint);
    let payload = if unsigned_payload {
        sigv4::Payload::Unsigned
    } else {
        sigv4::Payload::Bytes(&body)
    };
    if let Err(e) = signer.sign_http_request_with_payload(&mut head, payload, credentials, at) {
        return Err(gateway_error(&format!("cannot sign the retry: {e}")));
    }
    let (parts, ()) = head.into_parts();
    let body = Full::new(body).map_err(|e| match e {}).boxed_unsync();
    match tokio::time::timeout(
        timeout,
        client.request(http::Request::from_parts(parts, body)),
    )
    .await
    {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(gateway_error(&format!("the retry failed: {e}"))),
        Err(_) => Err(gateway_error("the retry timed out")),
    }
}

fn gateway_error(detail: &str) -> Response<AnyBody> {
    tracing::warn!(error = detail, "clock-skew retry");
    let mut r = Response::new(
        Full::new(Bytes::from_static(
            b"sigv4 proxy: the upstream refused the request's time and the retry failed\n",
        ))
        .map_err(|e| match e {})
        .boxed_unsync(),
    );
    *r.status_mut() = http::StatusCode::BAD_GATEWAY;
    r
}
