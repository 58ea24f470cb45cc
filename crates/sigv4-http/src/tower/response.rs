//! AWS-style error responses: S3's XML `<Error>` document or a JSON object.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::Full;
use sigv4::verify::VerifyError;

use super::server::{ErrorFormat, VerifyConfig};

pub(crate) fn rejection<K>(config: &VerifyConfig<K>, e: &VerifyError) -> Response<Full<Bytes>> {
    tracing::debug!(code = e.code(), error = %e, "request signature refused");
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::FORBIDDEN);
    error_response(
        config,
        status,
        e.code(),
        &e.to_string(),
        e.signature_mismatch(),
    )
}

pub(crate) fn error_response<K>(
    config: &VerifyConfig<K>,
    status: StatusCode,
    code: &str,
    message: &str,
    mismatch: Option<&sigv4::verify::SignatureMismatch>,
) -> Response<Full<Bytes>> {
    let mismatch = mismatch.filter(|_| config.mismatch_details);
    render_error(
        config.format,
        config.verifier.service(),
        status,
        code,
        message,
        mismatch,
    )
}

/// An AWS-style error response in `format` (`Auto`: by `service`), with the canonical
/// request and string to sign of a signature mismatch when given.
pub(crate) fn render_error(
    format: ErrorFormat,
    service: &str,
    status: StatusCode,
    code: &str,
    message: &str,
    mismatch: Option<&sigv4::verify::SignatureMismatch>,
) -> Response<Full<Bytes>> {
    let xml = match format {
        ErrorFormat::Xml | ErrorFormat::QueryXml => true,
        ErrorFormat::Json => false,
        ErrorFormat::Auto => crate::signer::is_s3(service),
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
        if let Some(m) = mismatch {
            s.push_str("<StringToSign>");
            s.push_str(&xml_escape(m.string_to_sign()));
            s.push_str("</StringToSign><CanonicalRequest>");
            s.push_str(&xml_escape(m.canonical_request()));
            s.push_str("</CanonicalRequest>");
        }
        s.push_str("</Error>");
        (s, "application/xml")
    } else {
        let v = serde_json::json!({ "__type": code, "message": message });
        (v.to_string(), "application/json")
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
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
