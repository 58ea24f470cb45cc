//! The string to sign: the algorithm, the signing time, the [`CredentialScope`], then the
//! lines that tie the signature to what it covers.
//!
//! Every signature of the toolkit signs a string built here, by one of four functions:
//!
//! | what is signed | algorithm line | lines after the scope | function |
//! |---|---|---|---|
//! | a request | `AWS4-HMAC-SHA256` / `AWS4-ECDSA-P256-SHA256` | hex SHA-256 of the canonical request | [`request_string_to_sign`] |
//! | an aws-chunked chunk | `AWS4-HMAC-SHA256-PAYLOAD` / `AWS4-ECDSA-P256-SHA256-PAYLOAD` | previous signature, hex SHA-256 of nothing, hex SHA-256 of the chunk | [`chunk_string_to_sign`] |
//! | an aws-chunked trailer | `AWS4-HMAC-SHA256-TRAILER` / `AWS4-ECDSA-P256-SHA256-TRAILER` | previous signature, hex SHA-256 of the trailer lines | [`trailer_string_to_sign`] |
//! | an event-stream message | `AWS4-HMAC-SHA256-PAYLOAD` | prior signature, hex SHA-256 of the `:date` header, hex SHA-256 of the message | [`event_string_to_sign`] |
//!
//! ```
//! use sigv4::string_to_sign::{request_string_to_sign, CredentialScope};
//!
//! let scope = CredentialScope::new("20150830", Some("us-east-1"), "iam");
//! assert_eq!(scope.to_string(), "20150830/us-east-1/iam/aws4_request");
//! let mut sts = String::new();
//! request_string_to_sign(&mut sts, "AWS4-HMAC-SHA256", "20150830T123600Z", &scope,
//!     "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
//! assert_eq!(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n\
//!     f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
//! ```

use std::fmt;
use std::ops::Range;

use crate::encoding::{encode_str_into, EMPTY_SHA256};

/// The last part of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";

/// The credential scope, `<YYYYMMDD>/<region>/<service>/aws4_request` (SigV4) or
/// `<YYYYMMDD>/<service>/aws4_request` (SigV4a: no region; the region set is signed
/// instead). The one type every signer and verifier formats the scope with.
///
/// ```
/// use sigv4::string_to_sign::CredentialScope;
///
/// assert_eq!(CredentialScope::new("20150830", Some("us-east-1"), "s3").to_string(), "20150830/us-east-1/s3/aws4_request");
/// assert_eq!(CredentialScope::new("20150830", None, "s3").to_string(), "20150830/s3/aws4_request");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialScope<'a> {
    date: &'a str,
    region: Option<&'a str>,
    service: &'a str,
}

impl<'a> CredentialScope<'a> {
    /// The scope of `date` (`YYYYMMDD`), `region` (`None` for SigV4a) and `service`.
    pub fn new(date: &'a str, region: Option<&'a str>, service: &'a str) -> Self {
        CredentialScope {
            date,
            region,
            service,
        }
    }

    /// `YYYYMMDD`.
    pub fn date(&self) -> &'a str {
        self.date
    }

    /// The region (SigV4); `None` for SigV4a.
    pub fn region(&self) -> Option<&'a str> {
        self.region
    }

    /// The service.
    pub fn service(&self) -> &'a str {
        self.service
    }

    /// The pieces whose concatenation is the scope.
    fn parts(&self) -> [&'a str; 7] {
        match self.region {
            Some(region) => [
                self.date,
                "/",
                region,
                "/",
                self.service,
                "/",
                SCOPE_TERMINATOR,
            ],
            None => [self.date, "/", self.service, "/", SCOPE_TERMINATOR, "", ""],
        }
    }

    /// The length of the scope's text.
    pub fn len(&self) -> usize {
        self.parts().iter().map(|p| p.len()).sum()
    }

    /// Never true: a scope always ends in `aws4_request`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Appends the scope to `out` and returns where it lies.
    pub fn write_to(&self, out: &mut String) -> Range<usize> {
        let start = out.len();
        for p in self.parts() {
            out.push_str(p);
        }
        start..out.len()
    }
}

impl CredentialScope<'_> {
    /// Appends the scope percent-encoded as a query value (as in `X-Amz-Credential`): each
    /// part encoded, the `/` between them as `%2F`.
    pub(crate) fn write_encoded(&self, out: &mut String) {
        encode_str_into(out, self.date, false);
        for part in [self.region, Some(self.service), Some(SCOPE_TERMINATOR)]
            .into_iter()
            .flatten()
        {
            out.push_str("%2F");
            encode_str_into(out, part, false);
        }
    }
}

impl fmt::Display for CredentialScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts().iter().try_for_each(|p| f.write_str(p))
    }
}

/// The common shape: `algorithm\ndate_time\nscope\nline1\nline2...`. Returns where the
/// scope lies in `out`.
fn write_string_to_sign(
    out: &mut String,
    algorithm: &str,
    date_time: &str,
    scope: &CredentialScope<'_>,
    lines: &[&str],
) -> Range<usize> {
    out.push_str(algorithm);
    out.push('\n');
    out.push_str(date_time);
    out.push('\n');
    let scope_range = scope.write_to(out);
    for line in lines {
        out.push('\n');
        out.push_str(line);
    }
    scope_range
}

/// Appends the string to sign of a request: the algorithm (`AWS4-HMAC-SHA256` or
/// `AWS4-ECDSA-P256-SHA256`), the time (`YYYYMMDDTHHMMSSZ`), the scope and the lowercase
/// hex SHA-256 of the canonical request. Returns where the scope lies in `out`.
pub fn request_string_to_sign(
    out: &mut String,
    algorithm: &str,
    date_time: &str,
    scope: &CredentialScope<'_>,
    canonical_request_sha256_hex: &str,
) -> Range<usize> {
    write_string_to_sign(
        out,
        algorithm,
        date_time,
        scope,
        &[canonical_request_sha256_hex],
    )
}

/// Appends the string to sign of one aws-chunked chunk: the algorithm
/// (`AWS4-HMAC-SHA256-PAYLOAD` or `AWS4-ECDSA-P256-SHA256-PAYLOAD`), the time, the scope,
/// the previous signature (the request's for the first chunk), the hex SHA-256 of the
/// empty string and the hex SHA-256 of the chunk's data.
pub fn chunk_string_to_sign(
    out: &mut String,
    algorithm: &str,
    date_time: &str,
    scope: &CredentialScope<'_>,
    previous_signature: &str,
    chunk_sha256_hex: &str,
) {
    write_string_to_sign(
        out,
        algorithm,
        date_time,
        scope,
        &[previous_signature, EMPTY_SHA256, chunk_sha256_hex],
    );
}

/// Appends the string to sign of an aws-chunked trailer: the algorithm
/// (`AWS4-HMAC-SHA256-TRAILER` or `AWS4-ECDSA-P256-SHA256-TRAILER`), the time, the
/// scope, the previous signature and the hex SHA-256 of the trailer lines
/// (`name:value\n` each).
pub fn trailer_string_to_sign(
    out: &mut String,
    algorithm: &str,
    date_time: &str,
    scope: &CredentialScope<'_>,
    previous_signature: &str,
    trailer_sha256_hex: &str,
) {
    write_string_to_sign(
        out,
        algorithm,
        date_time,
        scope,
        &[previous_signature, trailer_sha256_hex],
    );
}

/// Appends the string to sign of one event-stream message: `AWS4-HMAC-SHA256-PAYLOAD`,
/// the time, the scope, the prior signature, the hex SHA-256 of the encoded `:date`
/// header and the hex SHA-256 of the encoded message.
pub fn event_string_to_sign(
    out: &mut String,
    date_time: &str,
    scope: &CredentialScope<'_>,
    previous_signature: &str,
    date_header_sha256_hex: &str,
    message_sha256_hex: &str,
) {
    write_string_to_sign(
        out,
        "AWS4-HMAC-SHA256-PAYLOAD",
        date_time,
        scope,
        &[
            previous_signature,
            date_header_sha256_hex,
            message_sha256_hex,
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_length_matches_its_text() {
        for s in [
            CredentialScope::new("20150830", Some("us-east-1"), "s3"),
            CredentialScope::new("20150830", None, "s3"),
        ] {
            assert_eq!(s.len(), s.to_string().len());
            let mut out = String::from("x");
            assert_eq!(s.write_to(&mut out), 1..1 + s.len());
        }
    }

    #[test]
    fn the_encoded_scope_is_the_scope_percent_encoded() {
        for s in [
            CredentialScope::new("20150830", Some("us-east-1"), "s3"),
            CredentialScope::new("20150830", None, "execute-api"),
            CredentialScope::new("20150830", Some("r+x"), "s\u{e9}rvice"),
        ] {
            let mut want = String::new();
            crate::encoding::encode_into(&mut want, s.to_string().as_bytes(), false);
            let mut got = String::from("x");
            s.write_encoded(&mut got);
            assert_eq!(got, format!("x{want}"));
        }
    }

    #[test]
    fn chunk_and_trailer_lines() {
        let scope = CredentialScope::new("20130524", Some("us-east-1"), "s3");
        let mut s = String::new();
        chunk_string_to_sign(&mut s, "A-PAYLOAD", "T", &scope, "prev", "h");
        assert_eq!(
            s,
            format!("A-PAYLOAD\nT\n20130524/us-east-1/s3/aws4_request\nprev\n{EMPTY_SHA256}\nh")
        );
        s.clear();
        trailer_string_to_sign(&mut s, "A-TRAILER", "T", &scope, "prev", "h");
        assert_eq!(
            s,
            "A-TRAILER\nT\n20130524/us-east-1/s3/aws4_request\nprev\nh"
        );
    }
}
