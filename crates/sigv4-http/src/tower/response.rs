//! AWS-style error responses: S3's XML `<Error>` document or a JSON object.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::Full;
use sigv4::verify::VerifyError;

use std::time::SystemTime;

/// How rejections are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ErrorFormat {
    /// XML for S3-family verifiers, JSON for every other service. The default.
    #[default]
    Auto,
    /// S3's `<Error><Code>..</Code><Message>..</Message></Error>` document
    /// (`application/xml`).
    Xml,
    /// `{"__type": "Code", "message": ".."}` with an `x-amzn-ErrorType` header
    /// (`application/json`), as AWS JSON services answer.
    Json,
    /// The query protocol's `<ErrorResponse><Error><Type>Sender</Type><Code>..</Code>
    /// <Message>..</Message></Error></ErrorResponse>` (`text/xml`), as STS, IAM, SNS and
    /// other query services answer.
    QueryXml,
}

/// How the layer writes refusals: the part of its configuration a response needs (so this
/// module does not depend on the layer's).
pub(crate) struct ErrorStyle<'a> {
    pub(crate) format: ErrorFormat,
    /// The verified service (`Auto` format: XML for S3, JSON otherwise).
    pub(crate) service: &'a str,
    /// Whether a signature mismatch shows the canonical request and string to sign.
    pub(crate) mismatch_details: bool,
    /// The `Date` of the response (the verifier's clock).
    pub(crate) now: SystemTime,
}

pub(crate) fn rejection(style: &ErrorStyle<'_>, e: &VerifyError) -> Response<Full<Bytes>> {
    tracing::debug!(code = e.code(), error = %e, "request signature refused: details");

    // As S3 answers a skewed request: the times in fields of their own, so that clients
    // learn the server's clock (ISO 8601 `ServerTime`, as S3 writes it).
    let extra = match e {
        VerifyError::RequestTimeTooSkewed {
            request_time,
            server_time,
            max_skew_secs,
            ..
        } => vec![
            ("RequestTime", request_time.date_time().to_owned()),
            ("ServerTime", server_time.to_rfc3339()),
            (
                "MaxAllowedSkewMilliseconds",
                max_skew_secs.saturating_mul(1000).to_string(),
            ),
        ],
        _ => Vec::new(),
    };
    let (status, code, message) = service_error(style.service, e);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    let body = ErrorBody {
        code,
        message: &message,
        mismatch: e.signature_mismatch(),
        extra: &extra,
    };
    error_body_response(style, status, &body)
}

/// The layer's answer to a body that failed its verification part-way.
pub(crate) fn body_rejection(
    style: &ErrorStyle<'_>,
    r: &super::body::BodyRefusal,
) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    error_response(style, status, r.code, &r.message, None)
}

/// The code and message the verified service answers with. S3 says `InvalidToken` /
/// `ExpiredToken` for a bad or expired session token; the other services (API Gateway's
/// execute-api, the JSON and query protocols) say `UnrecognizedClientException` /
/// `ExpiredTokenException` in their own words.
fn service_error(service: &str, e: &VerifyError) -> (u16, &'static str, String) {
    let s3 = sigv4::is_s3(service);
    match e {
        VerifyError::InvalidToken(_) if !s3 => (
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".to_owned(),
        ),
        VerifyError::ExpiredToken if !s3 => (
            403,
            "ExpiredTokenException",
            "The security token included in the request is expired".to_owned(),
        ),
        e => (e.http_status(), e.code(), e.to_string()),
    }
}

/// What an error response says.
pub(crate) struct ErrorBody<'a> {
    pub(crate) code: &'a str,
    pub(crate) message: &'a str,
    pub(crate) mismatch: Option<&'a sigv4::verify::SignatureMismatch>,
    /// More fields after `Code` and `Message`, as AWS adds them for some errors.
    pub(crate) extra: &'a [(&'a str, String)],
}

pub(crate) fn error_response(
    style: &ErrorStyle<'_>,
    status: StatusCode,
    code: &str,
    message: &str,
    mismatch: Option<&sigv4::verify::SignatureMismatch>,
) -> Response<Full<Bytes>> {
    let body = ErrorBody {
        code,
        message,
        mismatch,
        extra: &[],
    };
    error_body_response(style, status, &body)
}

/// The error response, with a `Date` from the layer's own clock (the verifier's time, which
/// a client corrects its clock by; hyper would stamp the system clock's).
fn error_body_response(
    style: &ErrorStyle<'_>,
    status: StatusCode,
    e: &ErrorBody<'_>,
) -> Response<Full<Bytes>> {
    render_error(
        style.format,
        style.service,
        status,
        e,
        style.mismatch_details,
        style.now,
    )
}

/// An AWS-style error response in `format` (`Auto`: by `service`), dated `now`; the
/// canonical request and string to sign of a signature mismatch only with
/// `mismatch_details`.
pub(crate) fn render_error(
    format: ErrorFormat,
    service: &str,
    status: StatusCode,
    e: &ErrorBody<'_>,
    mismatch_details: bool,
    now: std::time::SystemTime,
) -> Response<Full<Bytes>> {
    let (code, message, mismatch) = (e.code, e.message, e.mismatch);
    let xml = match format {
        ErrorFormat::Xml | ErrorFormat::QueryXml => true,
        ErrorFormat::Json => false,
        ErrorFormat::Auto => sigv4::is_s3(service),
    };
    let (body, content_type) = if format == ErrorFormat::QueryXml {
        let kind = if status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        let s = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error></ErrorResponse>",
            xml_escape(code),
            xml_escape(message)
        );
        (s, "text/xml")
    } else if xml {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        s.push_str(&xml_escape(code));
        s.push_str("</Code><Message>");
        s.push_str(&xml_escape(message));
        s.push_str("</Message>");
        for (name, value) in e.extra {
            s.push_str(&format!("<{name}>{}</{name}>", xml_escape(value)));
        }
        if let (true, Some(m)) = (mismatch_details, mismatch) {
            s.push_str("<StringToSign>");
            s.push_str(&xml_escape(m.string_to_sign()));
            s.push_str("</StringToSign><CanonicalRequest>");
            s.push_str(&xml_escape(m.canonical_request()));
            s.push_str("</CanonicalRequest>");
        }
        s.push_str("</Error>");
        (s, "application/xml")
    } else {
        let mut v = serde_json::json!({ "__type": code, "message": message });
        for (name, value) in e.extra {
            v[*name] = serde_json::Value::from(value.as_str());
        }
        (v.to_string(), "application/json")
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(date) = sigv4_credentials::clock_skew::format_http_date(now)
        .and_then(|d| HeaderValue::from_str(&d).ok())
    {
        resp.headers_mut().insert(http::header::DATE, date);
    }
    resp.extensions_mut()
        .insert(super::refusal::RefusalCode(code.to_owned()));
    if !xml {
        if let Ok(v) = HeaderValue::from_str(code) {
            resp.headers_mut().insert("x-amzn-errortype", v);
        }
    }
    resp
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push('\n'),
            c if (c as u32) < 0x20 && c != '\t' => {
                out.push_str(&format!("&#x{:x};", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(xml_escape("a<b>&\"'\nc"), "a&lt;b&gt;&amp;&quot;&apos;\nc");
    }
}
