//! Why a request or an aws-chunked body was refused, with the AWS error code and HTTP
//! status to answer with. `Display` is written by hand (no proc-macro crates in the core).

use std::fmt;

use super::lookup::LookupError;
use crate::AmzDate;

/// Where the request carried its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// An `Authorization` header.
    Header,
    /// Presigned URL query parameters.
    Query,
}

/// A part of the credential scope `date/region/service/aws4_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopePart {
    /// The date, which must be the day of the request's time.
    Date,
    /// The region.
    Region,
    /// The service.
    Service,
    /// The terminator, `aws4_request`.
    Terminator,
}

impl fmt::Display for ScopePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScopePart::Date => "date",
            ScopePart::Region => "region",
            ScopePart::Service => "service",
            ScopePart::Terminator => "terminator",
        })
    }
}

/// What the server computed for a request whose signature did not match, for its operator:
/// the client can diff these against its own.
///
/// The canonical request may contain the session token; `Debug` redacts it, the accessors
/// do not.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureMismatch {
    pub(super) canonical_request: String,
    pub(super) string_to_sign: String,
    pub(super) token: Option<String>,
}

impl SignatureMismatch {
    /// The canonical request the server built.
    pub fn canonical_request(&self) -> &str {
        &self.canonical_request
    }

    /// The string to sign the server built.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }
}

impl fmt::Debug for SignatureMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let creq = match &self.token {
            Some(t) if !t.is_empty() => {
                let mut enc = String::new();
                crate::encoding::encode_into(&mut enc, t.as_bytes(), false);
                self.canonical_request
                    .replace(&enc, "** redacted **")
                    .replace(t.as_str(), "** redacted **")
            }
            _ => self.canonical_request.clone(),
        };
        f.debug_struct("SignatureMismatch")
            .field("canonical_request", &creq)
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

/// Why a request was refused. [`code`](Self::code) is the AWS error code to answer with.
///
/// Messages say what is wrong without echoing secrets (the signature the server computed
/// is never shown).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization` header and no presigned query parameters (`AccessDenied`).
    MissingAuthentication,
    /// Both an `Authorization` header and presigned query parameters (`InvalidArgument`).
    AmbiguousAuthentication,
    /// The `Authorization` header cannot be parsed (`AuthorizationHeaderMalformed`).
    AuthorizationHeaderMalformed(String),
    /// The presigned query parameters cannot be parsed (`AuthorizationQueryParametersError`).
    AuthorizationQueryParametersError(String),
    /// A part of the credential scope is not what this server accepts.
    WrongScope {
        /// Header or query.
        mode: AuthMode,
        /// Which part.
        part: ScopePart,
        /// What the request has.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// `host` (or, for headers, the date header) is not in the signed headers.
    RequiredHeaderNotSigned {
        /// Header or query.
        mode: AuthMode,
        /// The header that must be signed.
        name: &'static str,
    },
    /// A header listed as signed is not in the request.
    SignedHeaderAbsent {
        /// Header or query.
        mode: AuthMode,
        /// The missing header.
        name: String,
    },
    /// An `x-amz-*` header is present but not signed (`AccessDenied`).
    UnsignedAmzHeader(String),
    /// The request's date is missing or not a valid date (`AccessDenied`, or
    /// `AuthorizationQueryParametersError` for `X-Amz-Date`).
    InvalidDate {
        /// Header or query.
        mode: AuthMode,
        /// What is wrong.
        reason: String,
    },
    /// The access key id is not known (`InvalidAccessKeyId`).
    InvalidAccessKeyId(String),
    /// The session token is missing, unexpected or wrong (`InvalidToken`).
    InvalidToken(&'static str),
    /// The temporary credentials have expired (`ExpiredToken`).
    ExpiredToken,
    /// The request's time is too far from the server's (`RequestTimeTooSkewed`).
    RequestTimeTooSkewed {
        /// The request's `x-amz-date`.
        request_time: AmzDate,
        /// The server's time.
        server_time: AmzDate,
        /// The allowed difference.
        max_skew_secs: u64,
    },
    /// The presigned URL has expired (`AccessDenied`).
    Expired {
        /// The end of its validity.
        expired_at: AmzDate,
    },
    /// The presigned URL is dated in the future (`AccessDenied`).
    NotYetValid {
        /// Its date.
        valid_from: AmzDate,
    },
    /// `X-Amz-Expires` is not 1 to 604800 seconds (`AuthorizationQueryParametersError`).
    ExpiresOutOfRange(String),
    /// The signature is not the one computed (`SignatureDoesNotMatch`).
    SignatureDoesNotMatch(Box<SignatureMismatch>),
    /// The body's SHA-256 is not the `x-amz-content-sha256` that was signed (`XAmzContentSHA256Mismatch`).
    ContentSha256Mismatch {
        /// The header's value.
        claimed: String,
        /// The body's hash.
        computed: String,
    },
    /// `x-amz-content-sha256` is neither 64 hex digits nor a known marker (`InvalidArgument`).
    InvalidContentSha256(String),
    /// The service requires `x-amz-content-sha256` and the request has none (`InvalidRequest`).
    MissingContentSha256,
    /// The payload is not signed and this verifier does not accept that (`AccessDenied`).
    UnsignedPayloadNotAllowed(&'static str),
    /// The payload hash is needed but the body was not given (a server set-up error, `InternalError`).
    BodyRequired,
    /// The request itself is invalid: method, target, or a header value (`InvalidRequest`).
    InvalidRequest(String),
    /// An event-stream verifier was asked of a request whose `x-amz-content-sha256` is not
    /// `STREAMING-AWS4-HMAC-SHA256-EVENTS` (`InvalidRequest`): its body is not a chain of
    /// signed messages.
    NotAnEventStream,
    /// The credential store failed (`InternalError`).
    CredentialLookup(LookupError),
    /// The authority of an absolute-form request target (or HTTP/2 `:authority`) is not
    /// the signed `Host` (`InvalidRequest`): the server would act on the target's host
    /// (RFC 9112 §3.2.2), which the signature does not cover.
    AuthorityMismatch {
        /// The authority of the request target.
        authority: String,
        /// The `Host` header.
        host: String,
    },
    /// The path is not in the normalized form the signature covers (`InvalidURI`): it has
    /// `.` or `..` segments (plain or percent-encoded) or repeated slashes. See
    /// [`edge::prepare_target`](super::edge::prepare_target).
    NonNormalizedPath(String),
    /// The path could reach the application in another spelling than the one verified
    /// (`InvalidURI`): a byte that must be percent-encoded sent raw (`café`, `{`, `\`,
    /// space), or a percent-encoded `/` or `\` that would form a `.` or `..` segment once
    /// decoded (`..%2F`). See [`edge::prepare_target`](super::edge::prepare_target).
    UnsafePath(String),
    /// The query string has a raw `+` (`InvalidArgument`), refused by
    /// [`QueryPlusPolicy::Reject`](super::edge::QueryPlusPolicy::Reject): clients disagree on
    /// whether it means a plus or a space. See [`edge::prepare_target`](super::edge::prepare_target).
    RawPlusInQuery,
}

impl VerifyError {
    /// The AWS error code, such as `SignatureDoesNotMatch`.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The HTTP status AWS answers with for [`code`](Self::code).
    pub fn http_status(&self) -> u16 {
        self.error_code().http_status()
    }

    /// On [`VerifyError::SignatureDoesNotMatch`], what the server computed.
    pub fn signature_mismatch(&self) -> Option<&SignatureMismatch> {
        match self {
            VerifyError::SignatureDoesNotMatch(m) => Some(m),
            _ => None,
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingAuthentication => write!(f, "the request is not signed: it has no Authorization header and no X-Amz-Signature query parameter"),
            VerifyError::AmbiguousAuthentication => write!(f, "only one authentication mechanism is allowed: the request has both an Authorization header and X-Amz-* query parameters"),
            VerifyError::AuthorizationHeaderMalformed(v0) => write!(f, "the Authorization header is malformed: {v0}"),
            VerifyError::AuthorizationQueryParametersError(v0) => write!(f, "the X-Amz-* query parameters are malformed: {v0}"),
            VerifyError::WrongScope { part, found, expected, .. } => write!(f, "the credential scope's {part} is {found:?} but {expected} was expected"),
            VerifyError::RequiredHeaderNotSigned { name, .. } => write!(f, "the signed headers must include {name:?}"),
            VerifyError::SignedHeaderAbsent { name, .. } => write!(f, "the signed header {name:?} is not present in the request"),
            VerifyError::UnsignedAmzHeader(v0) => write!(f, "there were headers present in the request which were not signed: {v0:?} (every x-amz-* header must be signed)"),
            VerifyError::InvalidDate { reason, .. } => write!(f, "{reason}"),
            VerifyError::InvalidAccessKeyId(v0) => write!(f, "the access key id {v0:?} does not exist"),
            VerifyError::InvalidToken(v0) => write!(f, "the security token is invalid: {v0}"),
            VerifyError::ExpiredToken => write!(f, "the security token has expired"),
            VerifyError::RequestTimeTooSkewed { request_time, server_time, max_skew_secs, .. } => write!(f, "the difference between the request time {request_time} and the server time {server_time} is more than the allowed {max_skew_secs} seconds"),
            VerifyError::Expired { expired_at, .. } => write!(f, "the presigned request has expired (valid until {expired_at})"),
            VerifyError::NotYetValid { valid_from, .. } => write!(f, "the presigned request is not valid yet (it is dated {valid_from})"),
            VerifyError::ExpiresOutOfRange(v0) => write!(f, "X-Amz-Expires must be a number of seconds from 1 to 604800 (7 days), got {v0:?}"),
            VerifyError::SignatureDoesNotMatch(_) => write!(f, "the request signature does not match the signature computed by the server: check the secret access key and the signing method"),
            VerifyError::ContentSha256Mismatch { claimed, computed, .. } => write!(f, "the provided x-amz-content-sha256 {claimed} does not match the body's SHA-256 {computed}"),
            VerifyError::InvalidContentSha256(v0) => write!(f, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* marker or 64 hex digits, got {v0:?}"),
            VerifyError::MissingContentSha256 => write!(f, "missing required header for this request: x-amz-content-sha256"),
            VerifyError::UnsignedPayloadNotAllowed(v0) => write!(f, "unsigned payloads ({v0}) are not accepted by this service"),
            VerifyError::BodyRequired => write!(f, "the request body is needed to verify this request (it has no x-amz-content-sha256 header): pass VerifyBody::Bytes or VerifyBody::Sha256"),
            VerifyError::InvalidRequest(v0) => write!(f, "invalid request: {v0}"),
            VerifyError::NotAnEventStream => write!(f, "the request does not open a signed event stream: x-amz-content-sha256 is not STREAMING-AWS4-HMAC-SHA256-EVENTS"),
            VerifyError::CredentialLookup(v0) => write!(f, "the credential lookup failed: {v0}"),
            VerifyError::AuthorityMismatch { authority, host, .. } => write!(f, "the request target's authority {authority:?} is not the signed Host {host:?}"),
            VerifyError::NonNormalizedPath(v0) => write!(f, "the path {v0:?} is not normalized: send it without '.' or '..' segments and without repeated slashes"),
            VerifyError::UnsafePath(v0) => write!(f, "the path {v0:?} has a byte that must be percent-encoded, or an encoded '/' or '\\' forming a '.' or '..' segment: send the canonical spelling"),
            VerifyError::RawPlusInQuery => write!(f, "the query string contains a raw '+', which may mean a plus or a space: percent-encode it (%2B for a plus, %20 for a space)"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Why an aws-chunked body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkVerifyError {
    /// The framing is not aws-chunked (`IncompleteBody` / `InvalidRequest`).
    Malformed(String),
    /// A chunk's signature is wrong (`SignatureDoesNotMatch`).
    ChunkSignatureMismatch {
        /// The chunk's position, from 0 (the final empty chunk included).
        index: u64,
    },
    /// The trailer's signature is wrong (`SignatureDoesNotMatch`).
    TrailerSignatureMismatch,
    /// The decoded length differs from `x-amz-decoded-content-length` (`IncompleteBody`).
    LengthMismatch {
        /// Declared.
        expected: u64,
        /// Seen.
        actual: u64,
    },
    /// The trailer checksum does not match the body (`BadDigest`).
    ChecksumMismatch {
        /// The trailer name.
        name: String,
    },
    /// The body ended before the final chunk and trailer (`IncompleteBody`).
    Incomplete,
}

impl ChunkVerifyError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

impl fmt::Display for ChunkVerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkVerifyError::Malformed(v0) => write!(f, "the aws-chunked body is malformed: {v0}"),
            ChunkVerifyError::ChunkSignatureMismatch { index, .. } => write!(f, "the signature of chunk {index} does not match"),
            ChunkVerifyError::TrailerSignatureMismatch => write!(f, "the trailer signature does not match"),
            ChunkVerifyError::LengthMismatch { actual, expected, .. } => write!(f, "the decoded body is {actual} bytes but x-amz-decoded-content-length says {expected}"),
            ChunkVerifyError::ChecksumMismatch { name, .. } => write!(f, "the {name} trailer does not match the body"),
            ChunkVerifyError::Incomplete => write!(f, "the aws-chunked body ended early"),
        }
    }
}

impl std::error::Error for ChunkVerifyError {}
