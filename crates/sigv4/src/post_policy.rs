//! S3 POST policies: signed HTML form uploads straight from a browser.
//!
//! A POST policy is a JSON document listing an expiration time and the conditions an
//! upload must meet (bucket, key or key prefix, size range, content type, any other form
//! field). It is base64-encoded and the base64 text is signed with the day's SigV4 signing
//! key for S3; the form then carries the policy, the signature and the credential fields.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use sigv4::post_policy::PostPolicy;
//! use sigv4::Credentials;
//!
//! let now = UNIX_EPOCH + Duration::from_secs(1_451_347_200); // 2015-12-29T00:00:00Z
//! let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None, None);
//! let form = PostPolicy::new(now + Duration::from_secs(3600))
//!     .bucket("sigv4examplebucket")
//!     .key_starts_with("user/user1/")
//!     .content_length_range(1, 10 * 1024 * 1024)?
//!     .content_type("image/jpeg")
//!     .sign(&creds, "us-east-1", now)?;
//! assert_eq!(form.field("x-amz-credential"), Some("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"));
//! assert_eq!(form.field("Content-Type"), Some("image/jpeg"));
//! for (name, value) in form.fields() {
//!     println!("<input type=\"hidden\" name=\"{name}\" value=\"{value}\">");
//! }
//! # Ok::<(), sigv4::post_policy::PostPolicyError>(())
//! ```

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;

use crate::{AmzDate, Credentials, SigningError, SigningKey, ALGORITHM};

/// Why a POST policy could not be built or signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PostPolicyError {
    /// The signing time, region or key is invalid.
    Signing(SigningError),
    /// `content-length-range` with a minimum above the maximum.
    InvalidContentLengthRange {
        /// The minimum.
        min: u64,
        /// The maximum.
        max: u64,
    },
    /// The policy expires at or before the signing time.
    AlreadyExpired {
        /// The expiration, `YYYYMMDDTHHMMSSZ`.
        expiration: String,
        /// The signing time, `YYYYMMDDTHHMMSSZ`.
        signed_at: String,
    },
    /// A condition names an empty form field.
    EmptyFieldName,
    /// The signing key is not for S3.
    NotS3Key(String),
}

impl std::fmt::Display for PostPolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Transparent: the signing error says everything.
            PostPolicyError::Signing(e) => std::fmt::Display::fmt(e, f),
            PostPolicyError::InvalidContentLengthRange { min, max } => write!(
                f,
                "content-length-range {min}..={max} is empty: the minimum must not exceed the maximum"
            ),
            PostPolicyError::AlreadyExpired {
                expiration,
                signed_at,
            } => write!(
                f,
                "the policy expires at {expiration}, not after the signing time {signed_at}"
            ),
            PostPolicyError::EmptyFieldName => {
                f.write_str("a POST policy condition needs a non-empty form field name")
            }
            PostPolicyError::NotS3Key(service) => write!(
                f,
                "POST policies are signed with an S3 signing key, not one for {service:?}"
            ),
        }
    }
}

impl std::error::Error for PostPolicyError {}

impl From<SigningError> for PostPolicyError {
    fn from(e: SigningError) -> Self {
        PostPolicyError::Signing(e)
    }
}

/// One condition of a POST policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Condition {
    /// The form field must equal `value`: `{"field": "value"}`.
    Equals {
        /// The form field name (such as `key`, `acl`, `Content-Type`, `x-amz-meta-uuid`).
        field: String,
        /// The required value.
        value: String,
    },
    /// The form field must start with `prefix` (an empty prefix allows any value):
    /// `["starts-with", "$field", "prefix"]`.
    StartsWith {
        /// The form field name.
        field: String,
        /// The required prefix.
        prefix: String,
    },
    /// The upload's size in bytes must be within `min..=max`:
    /// `["content-length-range", min, max]`.
    ContentLengthRange {
        /// The smallest size allowed.
        min: u64,
        /// The largest size allowed.
        max: u64,
    },
}

impl Condition {
    fn write_json(&self, out: &mut String) {
        match self {
            Condition::Equals { field, value } => {
                out.push('{');
                json_string(out, field);
                out.push_str(": ");
                json_string(out, value);
                out.push('}');
            }
            Condition::StartsWith { field, prefix } => {
                out.push_str("[\"starts-with\", ");
                json_string(out, &format!("${field}"));
                out.push_str(", ");
                json_string(out, prefix);
                out.push(']');
            }
            Condition::ContentLengthRange { min, max } => {
                out.push_str(&format!("[\"content-length-range\", {min}, {max}]"));
            }
        }
    }
}

/// Appends `s` as a JSON string literal.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A POST policy under construction: an expiration and conditions.
///
/// The conditions for `x-amz-algorithm`, `x-amz-credential`, `x-amz-date` (and
/// `x-amz-security-token` for temporary credentials) are added when signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    expiration: SystemTime,
    conditions: Vec<Condition>,
    error: Option<PostPolicyError>,
}

impl PostPolicy {
    /// A policy that stops allowing uploads at `expiration`.
    pub fn new(expiration: SystemTime) -> Self {
        PostPolicy {
            expiration,
            conditions: Vec::new(),
            error: None,
        }
    }

    /// The upload must go to `bucket`.
    pub fn bucket(self, bucket: impl Into<String>) -> Self {
        self.condition_eq("bucket", bucket)
    }

    /// The object key must be exactly `key`.
    pub fn key(self, key: impl Into<String>) -> Self {
        self.condition_eq("key", key)
    }

    /// The object key must start with `prefix`.
    pub fn key_starts_with(self, prefix: impl Into<String>) -> Self {
        self.condition_starts_with("key", prefix)
    }

    /// The `Content-Type` form field must be exactly `content_type`.
    pub fn content_type(self, content_type: impl Into<String>) -> Self {
        self.condition_eq("Content-Type", content_type)
    }

    /// The `Content-Type` form field must start with `prefix` (such as `image/`).
    pub fn content_type_starts_with(self, prefix: impl Into<String>) -> Self {
        self.condition_starts_with("Content-Type", prefix)
    }

    /// The upload must be `min` to `max` bytes long (inclusive).
    pub fn content_length_range(mut self, min: u64, max: u64) -> Result<Self, PostPolicyError> {
        if min > max {
            return Err(PostPolicyError::InvalidContentLengthRange { min, max });
        }
        self.conditions
            .push(Condition::ContentLengthRange { min, max });
        Ok(self)
    }

    /// The form field `field` must equal `value` (for `acl`, `success_action_status`,
    /// `x-amz-meta-*`, `x-amz-server-side-encryption`, ...).
    pub fn condition_eq(mut self, field: impl Into<String>, value: impl Into<String>) -> Self {
        let field = field.into();
        if field.is_empty() {
            self.error.get_or_insert(PostPolicyError::EmptyFieldName);
        }
        self.conditions.push(Condition::Equals {
            field,
            value: value.into(),
        });
        self
    }

    /// The form field `field` must start with `prefix` (an empty prefix allows any value,
    /// which is how a policy allows a field it does not otherwise constrain).
    pub fn condition_starts_with(
        mut self,
        field: impl Into<String>,
        prefix: impl Into<String>,
    ) -> Self {
        let field = field.into();
        if field.is_empty() {
            self.error.get_or_insert(PostPolicyError::EmptyFieldName);
        }
        self.conditions.push(Condition::StartsWith {
            field,
            prefix: prefix.into(),
        });
        self
    }

    /// Adds a condition as it is.
    pub fn condition(mut self, condition: Condition) -> Self {
        match &condition {
            Condition::Equals { field, .. } | Condition::StartsWith { field, .. }
                if field.is_empty() =>
            {
                self.error.get_or_insert(PostPolicyError::EmptyFieldName);
            }
            Condition::ContentLengthRange { min, max } if min > max => {
                self.error
                    .get_or_insert(PostPolicyError::InvalidContentLengthRange {
                        min: *min,
                        max: *max,
                    });
            }
            _ => {}
        }
        self.conditions.push(condition);
        self
    }

    /// The conditions so far (without the signing ones).
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Signs the policy for `region` at `time` with `credentials`.
    pub fn sign(
        &self,
        credentials: &Credentials,
        region: &str,
        time: SystemTime,
    ) -> Result<PostForm, PostPolicyError> {
        let date = AmzDate::from_system_time(time)?;
        let key = SigningKey::derive(credentials.secret_access_key(), date.date(), region, "s3")?;
        self.sign_with_key(
            &key,
            credentials.access_key_id(),
            credentials.session_token(),
            time,
        )
    }

    /// Signs with an S3 signing key derived elsewhere (for the day of `time`).
    pub fn sign_with_key(
        &self,
        key: &SigningKey,
        access_key_id: &str,
        session_token: Option<&str>,
        time: SystemTime,
    ) -> Result<PostForm, PostPolicyError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if key.service() != "s3" {
            return Err(PostPolicyError::NotS3Key(key.service().to_owned()));
        }
        let date = AmzDate::from_system_time(time)?;
        key.check_scope(date.date(), key.region(), "s3")?;
        let expiration = AmzDate::from_system_time(self.expiration)?;
        if expiration <= date {
            return Err(PostPolicyError::AlreadyExpired {
                expiration: expiration.date_time().to_owned(),
                signed_at: date.date_time().to_owned(),
            });
        }
        let credential = format!("{access_key_id}/{}", key.scope());

        let mut signing = vec![
            Condition::Equals {
                field: "x-amz-credential".into(),
                value: credential.clone(),
            },
            Condition::Equals {
                field: "x-amz-algorithm".into(),
                value: ALGORITHM.into(),
            },
            Condition::Equals {
                field: "x-amz-date".into(),
                value: date.date_time().into(),
            },
        ];
        if let Some(t) = session_token {
            signing.push(Condition::Equals {
                field: "x-amz-security-token".into(),
                value: t.into(),
            });
        }

        let mut doc = String::with_capacity(256 + 64 * self.conditions.len());
        doc.push_str("{\"expiration\": ");
        json_string(&mut doc, &iso8601_millis(&expiration));
        doc.push_str(", \"conditions\": [");
        for (i, c) in self.conditions.iter().chain(&signing).enumerate() {
            if i > 0 {
                doc.push_str(", ");
            }
            c.write_json(&mut doc);
        }
        doc.push_str("]}");

        let signed = sign_policy_document(doc.as_bytes(), key);
        let mut fields: Vec<(String, String)> = self
            .conditions
            .iter()
            .filter_map(|c| match c {
                Condition::Equals { field, value } if field != "bucket" => {
                    Some((field.clone(), value.clone()))
                }
                _ => None,
            })
            .collect();
        fields.push(("policy".into(), signed.policy.clone()));
        fields.push(("x-amz-algorithm".into(), ALGORITHM.into()));
        fields.push(("x-amz-credential".into(), credential));
        fields.push(("x-amz-date".into(), date.date_time().into()));
        if let Some(t) = session_token {
            fields.push(("x-amz-security-token".into(), t.into()));
        }
        fields.push(("x-amz-signature".into(), signed.signature.clone()));
        Ok(PostForm {
            document: doc,
            fields,
        })
    }
}

/// `2015-12-30T12:00:00.000Z` from an `AmzDate`.
fn iso8601_millis(t: &AmzDate) -> String {
    let s = t.date_time();
    format!(
        "{}-{}-{}T{}:{}:{}.000Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    )
}

/// A policy document encoded and signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPolicy {
    /// The base64 of the document: the `policy` form field (and the string that was signed).
    pub policy: String,
    /// The hex HMAC-SHA256 of `policy` under the signing key: the `x-amz-signature` field.
    pub signature: String,
}

/// Base64-encodes a policy document written elsewhere and signs it with an S3 signing key.
///
/// ```
/// use sigv4::post_policy::sign_policy_document;
/// use sigv4::SigningKey;
///
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20151229", "us-east-1", "s3")?;
/// let signed = sign_policy_document(br#"{"expiration": "2015-12-30T12:00:00.000Z", "conditions": []}"#, &key);
/// assert!(signed.policy.starts_with("eyJleHBpcmF0aW9uIjog"));
/// assert_eq!(signed.signature.len(), 64);
/// # Ok::<(), sigv4::SigningError>(())
/// ```
pub fn sign_policy_document(document: &[u8], key: &SigningKey) -> SignedPolicy {
    let policy = base64::engine::general_purpose::STANDARD.encode(document);
    let signature = key.sign_hex(&policy);
    SignedPolicy { policy, signature }
}

/// The form fields of a signed POST policy, in the order to put them in the form (the
/// file field must come last, after all of these).
#[derive(Clone, PartialEq, Eq)]
pub struct PostForm {
    document: String,
    fields: Vec<(String, String)>,
}

impl PostForm {
    /// Every field: the exact-match conditions (other than `bucket`, which is the URL),
    /// then `policy`, `x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
    /// `x-amz-security-token` (temporary credentials only) and `x-amz-signature`.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of one field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The base64 policy (the string that was signed).
    pub fn policy(&self) -> &str {
        self.field("policy").unwrap_or_default()
    }

    /// The signature, 64 lowercase hex digits.
    pub fn signature(&self) -> &str {
        self.field("x-amz-signature").unwrap_or_default()
    }

    /// The JSON policy document before base64 (it holds the session token, if any).
    pub fn document(&self) -> &str {
        &self.document
    }
}

impl fmt::Debug for PostForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session token is a credential; the policy embeds it too.
        let has_token = self.field("x-amz-security-token").is_some();
        let fields: Vec<(&str, &str)> = self
            .fields()
            .map(|(k, v)| {
                if k == "x-amz-security-token" || (has_token && k == "policy") {
                    (k, "** redacted **")
                } else {
                    (k, v)
                }
            })
            .collect();
        f.debug_struct("PostForm")
            .field("fields", &fields)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping() {
        let mut s = String::new();
        json_string(&mut s, "a\"b\\c\nd\u{1}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }

    #[test]
    fn iso_format() {
        let t = AmzDate::parse("20151230T120000Z").unwrap();
        assert_eq!(iso8601_millis(&t), "2015-12-30T12:00:00.000Z");
    }
}
