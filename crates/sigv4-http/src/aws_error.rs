//! AWS error answers, read from what a service sends back: the error code and message from
//! an XML body (S3, the query protocols: `<Error><Code>`), a JSON body (the awsJson and
//! restJson protocols: `__type`, `code`) or the `x-amzn-errortype` header, and the
//! canonical request and string to sign that S3 puts in a `SignatureDoesNotMatch` answer.
//!
//! ```
//! use sigv4_http::aws_error::AwsError;
//!
//! let body = b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
//! let e = AwsError::parse(&http::HeaderMap::new(), body).unwrap();
//! assert_eq!(e.code(), "SlowDown");
//! assert_eq!(e.message(), Some("Reduce your request rate."));
//!
//! let json = br#"{"__type":"com.amazonaws.dynamodb#ThrottlingException","message":"slow"}"#;
//! assert_eq!(AwsError::parse(&http::HeaderMap::new(), json).unwrap().code(), "ThrottlingException");
//! ```

use http::HeaderMap;

/// An AWS error answer: its code, and what else the service said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    code: String,
    message: Option<String>,
    canonical_request: Option<String>,
    string_to_sign: Option<String>,
}

impl AwsError {
    /// Reads the error from an answer's headers and body (`None` when neither names an
    /// error code). The `x-amzn-errortype` header wins over the body, as in the AWS SDKs;
    /// a code written `namespace#Code` or `Code:http://...` is reduced to `Code`.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Option<AwsError> {
        let text = String::from_utf8_lossy(body);
        let from_header = headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(short_code);
        let json = json_error(&text);
        let code = from_header
            .or_else(|| xml_field(&text, "Code"))
            .or_else(|| json.as_ref().and_then(|(c, _)| c.clone()))
            .filter(|c| !c.is_empty())?;
        let message = xml_field(&text, "Message").or_else(|| json.and_then(|(_, m)| m));
        Some(AwsError {
            code,
            message,
            canonical_request: xml_field(&text, "CanonicalRequest"),
            string_to_sign: xml_field(&text, "StringToSign"),
        })
    }

    /// The error code, e.g. `SignatureDoesNotMatch`, `ThrottlingException`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The human-readable message, when the service sent one.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The canonical request the server computed (S3's `SignatureDoesNotMatch`).
    pub fn canonical_request(&self) -> Option<&str> {
        self.canonical_request.as_deref()
    }

    /// The string to sign the server computed (S3's `SignatureDoesNotMatch`).
    pub fn string_to_sign(&self) -> Option<&str> {
        self.string_to_sign.as_deref()
    }

    /// Whether the server computed another signature than the request carried.
    pub fn is_signature_mismatch(&self) -> bool {
        self.code == "SignatureDoesNotMatch"
    }
}

/// `ns#Code` or `Code:http://internal...` as `Code`.
fn short_code(raw: &str) -> String {
    let raw = raw.trim();
    let raw = raw.split(':').next().unwrap_or(raw);
    raw.rsplit('#').next().unwrap_or(raw).to_owned()
}

/// The code (`__type`, `code`, `Code`) and message (`message`, `Message`) of a JSON error.
fn json_error(text: &str) -> Option<(Option<String>, Option<String>)> {
    let v: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| v.get(*n)?.as_str().map(str::to_owned))
    };
    let code = field(&["__type", "code", "Code"]).map(|c| short_code(&c));
    Some((code, field(&["message", "Message"])))
}

/// The text of the first `<name>...</name>` element of `xml`, entities decoded.
///
/// ```
/// assert_eq!(
///     sigv4_http::aws_error::xml_field("<E><Key>a&amp;b</Key></E>", "Key").as_deref(),
///     Some("a&b")
/// );
/// ```
pub fn xml_field(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(xml_unescape(&xml[start..end]))
}

/// Decodes the five XML entities and numeric character references; anything else is kept.
fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        match entity(&rest[1..end]) {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        e => {
            let n = match e.strip_prefix("#x").or_else(|| e.strip_prefix("#X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => e.strip_prefix('#')?.parse().ok()?,
            };
            char::from_u32(n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_signature_mismatch_carries_the_server_side() {
        let xml = "<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>GET\n/a&amp;b\n&#10;x</CanonicalRequest><StringToSign>AWS4&#x2D;HMAC</StringToSign></Error>";
        let e = AwsError::parse(&HeaderMap::new(), xml.as_bytes()).unwrap();
        assert!(e.is_signature_mismatch());
        assert_eq!(e.canonical_request(), Some("GET\n/a&b\n\nx"));
        assert_eq!(e.string_to_sign(), Some("AWS4-HMAC"));
        assert_eq!(e.message(), None);
    }

    #[test]
    fn header_wins_and_codes_are_shortened() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-amzn-errortype",
            "ThrottlingException:http://internal.amazon.com/coral/"
                .parse()
                .unwrap(),
        );
        let e = AwsError::parse(&h, b"<Error><Code>Other</Code></Error>").unwrap();
        assert_eq!(e.code(), "ThrottlingException");
        let json = br#"{"code":"aws.protocoltests#TooManyRequestsException","Message":"m"}"#;
        let e = AwsError::parse(&HeaderMap::new(), json).unwrap();
        assert_eq!(
            (e.code(), e.message()),
            ("TooManyRequestsException", Some("m"))
        );
    }

    #[test]
    fn no_code_is_no_error() {
        assert_eq!(
            AwsError::parse(&HeaderMap::new(), b"<html>busy</html>"),
            None
        );
        assert_eq!(AwsError::parse(&HeaderMap::new(), b"{\"a\":1}"), None);
        assert_eq!(AwsError::parse(&HeaderMap::new(), b"<Code></Code>"), None);
        // An unknown entity and a dangling '&' are kept as written.
        assert_eq!(
            xml_field("<a>&nope; & x</a>", "a").as_deref(),
            Some("&nope; & x")
        );
    }
}
