//! Server-side verification of SigV4 requests: the other half of signing.
//!
//! A [`Verifier`] knows which service (and which regions) it accepts requests for. Given an
//! incoming request ([`VerifiableRequest`]: method, target, headers and, when it has been
//! read, the body), a credential lookup by access key id and the current time, it
//!
//! 1. finds the signature: an `Authorization: AWS4-HMAC-SHA256 ...` header, or the
//!    `X-Amz-*` query parameters of a presigned URL (never both), and parses it strictly;
//! 2. checks the credential scope (date, region, service, `aws4_request`), that `host` and
//!    the date header are signed, that every `x-amz-*` header is signed, and the time
//!    (clock skew for headers, validity window for presigned URLs), all before any lookup;
//! 3. looks the access key up ([`CredentialLookup`] or [`AsyncCredentialLookup`]), checks
//!    the session token, rebuilds the canonical request and string to sign with the same
//!    building blocks the signer uses, and compares signatures in constant time;
//! 4. when the body is available, checks it against `x-amz-content-sha256`.
//!
//! Every rejection is a [`VerifyError`] whose [`code`](VerifyError::code) and
//! [`http_status`](VerifyError::http_status) are the ones AWS returns. On
//! [`VerifyError::SignatureDoesNotMatch`] the canonical request and string to sign the
//! server computed are available through [`VerifyError::signature_mismatch`], for the
//! operator (they are not part of the error message).
//!
//! Streaming (`aws-chunked`) bodies are verified chunk by chunk with
//! [`Verified::chunked_body`], a sans-I/O decoder that yields the decoded data and rejects
//! at the first bad chunk signature, then checks the length and the trailer (signature and
//! checksum). With the `http-body` feature, `VerifiedBody` wraps an incoming
//! `http_body::Body` and only yields data whose chunk signature has been checked.
//!
//! Derived signing keys are cached per access key, day and region (keyed also by the
//! secret, so a rotated secret takes effect at once); clones of a `Verifier` share the
//! cache. The verifier never reads a clock: pass `now`.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use sigv4::verify::{VerifiableRequest, VerifyBody, Verifier};
//! use sigv4::{Credentials, Payload, SignableRequest, Signer};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
//! let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
//!
//! // A client signs...
//! let signer = Signer::new("us-east-1", "s3")?;
//! let headers = [("host", "bucket.s3.amazonaws.com".as_bytes())];
//! let out = signer.sign(&SignableRequest::new("PUT", "/key", headers, Payload::Bytes(b"hi")), &creds, now)?;
//! let mut sent: Vec<(&str, &[u8])> = headers.to_vec();
//! sent.extend(out.headers().map(|(n, v)| (n, v.as_bytes())));
//!
//! // ...and the server verifies.
//! let verifier = Verifier::new("us-east-1", "s3")?;
//! let req = VerifiableRequest::new("PUT", "/key", sent, VerifyBody::Bytes(b"hi"));
//! let lookup = |id: &str| (id == "AKIDEXAMPLE").then(|| creds.clone());
//! let verified = verifier.verify(&req, &lookup, now)?;
//! assert_eq!(verified.access_key_id(), "AKIDEXAMPLE");
//!
//! // Any change is refused with the AWS error code.
//! let req = VerifiableRequest::new("PUT", "/other", req.headers().iter().copied(), VerifyBody::Bytes(b"hi"));
//! let err = verifier.verify(&req, &lookup, now).unwrap_err();
//! assert_eq!(err.code(), "SignatureDoesNotMatch");
//! assert_eq!(err.http_status(), 403);
//! assert!(err.signature_mismatch().unwrap().canonical_request().starts_with("PUT\n/other\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use smallvec::SmallVec;
use subtle::ConstantTimeEq;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::canonical_request::{canonical_query, canonical_uri, is_tchar, HeaderScratch};
use crate::chunked::{ChecksumAlgorithm, ChunkSigner, StreamingMode};
use crate::encoding::{decode_into, hex_lower};
use crate::request::split_target;
use crate::settings::{is_s3, SessionTokenMode, UNSIGNED_PAYLOAD};
use crate::signing_key::validate_scope_part;
use crate::{AmzDate, Credentials, SigningError, SigningKey, ALGORITHM, MAX_PRESIGN_EXPIRES_SECS};

/// The default largest difference between the request's time and the server's, 15 minutes.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(15 * 60);

pub mod edge;

/// The longest `Authorization` header or presigned parameter value the parser looks at.
const MAX_AUTH_LEN: usize = 16 * 1024;

// ---------------------------------------------------------------------------------------
// The request
// ---------------------------------------------------------------------------------------

/// What the server knows about the request body when it verifies the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyBody<'a> {
    /// The whole body, already read.
    Bytes(&'a [u8]),
    /// The SHA-256 of the whole body, computed by the server while reading it.
    Sha256([u8; 32]),
    /// The body has not been read (streaming). A hex `x-amz-content-sha256` is then taken
    /// on trust and the caller must compare it with the body afterwards
    /// ([`Verified::expected_payload_sha256`]); services whose requests carry no such
    /// header cannot be verified without the body.
    Unavailable,
}

/// An incoming request, borrowed from whatever HTTP stack received it.
///
/// `target` is the request target exactly as received (origin form `/path?query`, or an
/// absolute URL, whose authority is used when there is no `Host` header, as with HTTP/2).
/// Headers are given in the order received; repeated names are allowed (their values are
/// joined in order, as when signing).
#[derive(Debug, Clone)]
pub struct VerifiableRequest<'a> {
    method: &'a str,
    target: Cow<'a, str>,
    headers: SmallVec<[(&'a str, &'a [u8]); 16]>,
    body: VerifyBody<'a>,
}

impl<'a> VerifiableRequest<'a> {
    /// A request with these parts.
    pub fn new(
        method: &'a str,
        target: impl Into<Cow<'a, str>>,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: VerifyBody<'a>,
    ) -> Self {
        VerifiableRequest {
            method,
            target: target.into(),
            headers: headers.into_iter().collect(),
            body,
        }
    }

    /// A view of an `http::Request`'s method, URI and headers (feature `http`).
    #[cfg(feature = "http")]
    pub fn from_http<B>(request: &'a http::Request<B>, body: VerifyBody<'a>) -> Self {
        let uri = request.uri();
        let target: Cow<'a, str> = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => Cow::Owned(format!(
                "{scheme}://{}{}",
                authority.as_str(),
                uri.path_and_query().map_or("/", |pq| pq.as_str())
            )),
            _ => Cow::Borrowed(uri.path_and_query().map_or("/", |pq| pq.as_str())),
        };
        VerifiableRequest {
            method: request.method().as_str(),
            target,
            headers: request
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes()))
                .collect(),
            body,
        }
    }

    /// The method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request target as given.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The headers as given.
    pub fn headers(&self) -> &[(&'a str, &'a [u8])] {
        &self.headers
    }

    /// The body information.
    pub fn body(&self) -> VerifyBody<'a> {
        self.body
    }

    /// Replaces the body information.
    pub fn set_body(&mut self, body: VerifyBody<'a>) {
        self.body = body;
    }

    fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The single value of `name`: `Ok(None)` when absent, `Err(())` when repeated.
    fn single_header(&self, name: &str) -> Result<Option<&'a [u8]>, ()> {
        let mut it = self.header_values(name);
        let first = it.next();
        if it.next().is_some() {
            return Err(());
        }
        Ok(first)
    }
}

// ---------------------------------------------------------------------------------------
// Credential lookup
// ---------------------------------------------------------------------------------------

/// A failure of the credential store itself (not an unknown key, which is `Ok(None)`).
///
/// Its message is shown in [`VerifyError::CredentialLookup`]; it must not contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct LookupError(pub String);

/// Finds the credentials of an access key id, synchronously.
///
/// Implemented for closures `Fn(&str) -> Option<Credentials>`. Return `Ok(None)` for an
/// unknown key. When the returned credentials have a session token, requests must carry
/// the same token; when they have an expiry, requests after it are refused.
pub trait CredentialLookup {
    /// The credentials of `access_key_id`, if it exists.
    fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError>;
}

impl<F> CredentialLookup for F
where
    F: Fn(&str) -> Option<Credentials>,
{
    fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError> {
        Ok(self(access_key_id))
    }
}

/// Finds the credentials of an access key id, asynchronously (a database, a secrets store).
///
/// Implemented for closures returning a future of `Result<Option<Credentials>, LookupError>`
/// (the closure must copy the key id into the future: `|id: &str| { let id = id.to_owned(); async move { .. } }`).
pub trait AsyncCredentialLookup {
    /// The credentials of `access_key_id`, if it exists.
    fn lookup(
        &self,
        access_key_id: &str,
    ) -> impl Future<Output = Result<Option<Credentials>, LookupError>> + Send;
}

impl<F, Fut> AsyncCredentialLookup for F
where
    F: Fn(&str) -> Fut,
    Fut: Future<Output = Result<Option<Credentials>, LookupError>> + Send,
{
    fn lookup(
        &self,
        access_key_id: &str,
    ) -> impl Future<Output = Result<Option<Credentials>, LookupError>> + Send {
        self(access_key_id)
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

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
    canonical_request: String,
    string_to_sign: String,
    token: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization` header and no presigned query parameters (`AccessDenied`).
    #[error("the request is not signed: it has no Authorization header and no X-Amz-Signature query parameter")]
    MissingAuthentication,
    /// Both an `Authorization` header and presigned query parameters (`InvalidArgument`).
    #[error("only one authentication mechanism is allowed: the request has both an Authorization header and X-Amz-* query parameters")]
    AmbiguousAuthentication,
    /// The `Authorization` header cannot be parsed (`AuthorizationHeaderMalformed`).
    #[error("the Authorization header is malformed: {0}")]
    AuthorizationHeaderMalformed(String),
    /// The presigned query parameters cannot be parsed (`AuthorizationQueryParametersError`).
    #[error("the X-Amz-* query parameters are malformed: {0}")]
    AuthorizationQueryParametersError(String),
    /// A part of the credential scope is not what this server accepts.
    #[error("the credential scope's {part} is {found:?} but {expected} was expected")]
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
    #[error("the signed headers must include {name:?}")]
    RequiredHeaderNotSigned {
        /// Header or query.
        mode: AuthMode,
        /// The header that must be signed.
        name: &'static str,
    },
    /// A header listed as signed is not in the request.
    #[error("the signed header {name:?} is not present in the request")]
    SignedHeaderAbsent {
        /// Header or query.
        mode: AuthMode,
        /// The missing header.
        name: String,
    },
    /// An `x-amz-*` header is present but not signed (`AccessDenied`).
    #[error("there were headers present in the request which were not signed: {0:?} (every x-amz-* header must be signed)")]
    UnsignedAmzHeader(String),
    /// The request's date is missing or not a valid date (`AccessDenied`, or
    /// `AuthorizationQueryParametersError` for `X-Amz-Date`).
    #[error("{reason}")]
    InvalidDate {
        /// Header or query.
        mode: AuthMode,
        /// What is wrong.
        reason: String,
    },
    /// The access key id is not known (`InvalidAccessKeyId`).
    #[error("the access key id {0:?} does not exist")]
    InvalidAccessKeyId(String),
    /// The session token is missing, unexpected or wrong (`InvalidToken`).
    #[error("the security token is invalid: {0}")]
    InvalidToken(&'static str),
    /// The temporary credentials have expired (`ExpiredToken`).
    #[error("the security token has expired")]
    ExpiredToken,
    /// The request's time is too far from the server's (`RequestTimeTooSkewed`).
    #[error("the difference between the request time {request_time} and the server time {server_time} is more than the allowed {max_skew_secs} seconds")]
    RequestTimeTooSkewed {
        /// The request's `x-amz-date`.
        request_time: AmzDate,
        /// The server's time.
        server_time: AmzDate,
        /// The allowed difference.
        max_skew_secs: u64,
    },
    /// The presigned URL has expired (`AccessDenied`).
    #[error("the presigned request has expired (valid until {expired_at})")]
    Expired {
        /// The end of its validity.
        expired_at: AmzDate,
    },
    /// The presigned URL is dated in the future (`AccessDenied`).
    #[error("the presigned request is not valid yet (it is dated {valid_from})")]
    NotYetValid {
        /// Its date.
        valid_from: AmzDate,
    },
    /// `X-Amz-Expires` is not 1 to 604800 seconds (`AuthorizationQueryParametersError`).
    #[error("X-Amz-Expires must be a number of seconds from 1 to 604800 (7 days), got {0:?}")]
    ExpiresOutOfRange(String),
    /// The signature is not the one computed (`SignatureDoesNotMatch`).
    #[error("the request signature does not match the signature computed by the server: check the secret access key and the signing method")]
    SignatureDoesNotMatch(Box<SignatureMismatch>),
    /// The body's SHA-256 is not the `x-amz-content-sha256` that was signed (`XAmzContentSHA256Mismatch`).
    #[error(
        "the provided x-amz-content-sha256 {claimed} does not match the body's SHA-256 {computed}"
    )]
    ContentSha256Mismatch {
        /// The header's value.
        claimed: String,
        /// The body's hash.
        computed: String,
    },
    /// `x-amz-content-sha256` is neither 64 hex digits nor a known marker (`InvalidArgument`).
    #[error("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* marker or 64 hex digits, got {0:?}")]
    InvalidContentSha256(String),
    /// The service requires `x-amz-content-sha256` and the request has none (`InvalidRequest`).
    #[error("missing required header for this request: x-amz-content-sha256")]
    MissingContentSha256,
    /// The payload is not signed and this verifier does not accept that (`AccessDenied`).
    #[error("unsigned payloads ({0}) are not accepted by this service")]
    UnsignedPayloadNotAllowed(&'static str),
    /// The payload hash is needed but the body was not given (a server set-up error, `InternalError`).
    #[error("the request body is needed to verify this request (it has no x-amz-content-sha256 header): pass VerifyBody::Bytes or VerifyBody::Sha256")]
    BodyRequired,
    /// The request itself is invalid: method, target, or a header value (`InvalidRequest`).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The credential store failed (`InternalError`).
    #[error("the credential lookup failed: {0}")]
    CredentialLookup(LookupError),
    /// The authority of an absolute-form request target (or HTTP/2 `:authority`) is not
    /// the signed `Host` (`InvalidRequest`): the server would act on the target's host
    /// (RFC 9112 §3.2.2), which the signature does not cover.
    #[error("the request target's authority {authority:?} is not the signed Host {host:?}")]
    AuthorityMismatch {
        /// The authority of the request target.
        authority: String,
        /// The `Host` header.
        host: String,
    },
    /// The path is not in the normalized form the signature covers (`InvalidURI`): it has
    /// `.` or `..` segments (plain or percent-encoded) or repeated slashes. See
    /// [`edge::prepare_target`].
    #[error("the path {0:?} is not normalized: send it without '.' or '..' segments and without repeated slashes")]
    NonNormalizedPath(String),
    /// The query string has a raw `+` (`InvalidArgument`): the signature covers it as a
    /// literal plus, form decoding reads it as a space. See [`edge::prepare_target`].
    #[error("the query string contains a raw '+', which the signature reads as a plus and form decoding as a space: percent-encode it (%2B for a plus, %20 for a space)")]
    RawPlusInQuery,
}

impl VerifyError {
    /// The AWS error code, such as `SignatureDoesNotMatch`.
    pub fn code(&self) -> &'static str {
        use VerifyError::*;
        let malformed = |mode: &AuthMode| match mode {
            AuthMode::Header => "AuthorizationHeaderMalformed",
            AuthMode::Query => "AuthorizationQueryParametersError",
        };
        match self {
            MissingAuthentication => "AccessDenied",
            AmbiguousAuthentication => "InvalidArgument",
            AuthorizationHeaderMalformed(_) => "AuthorizationHeaderMalformed",
            AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            WrongScope { mode, .. }
            | RequiredHeaderNotSigned { mode, .. }
            | SignedHeaderAbsent { mode, .. } => malformed(mode),
            UnsignedAmzHeader(_) => "AccessDenied",
            InvalidDate { mode, .. } => match mode {
                AuthMode::Header => "AccessDenied",
                AuthMode::Query => "AuthorizationQueryParametersError",
            },
            InvalidAccessKeyId(_) => "InvalidAccessKeyId",
            InvalidToken(_) => "InvalidToken",
            ExpiredToken => "ExpiredToken",
            RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            Expired { .. } | NotYetValid { .. } => "AccessDenied",
            ExpiresOutOfRange(_) => "AuthorizationQueryParametersError",
            SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            ContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
            InvalidContentSha256(_) => "InvalidArgument",
            MissingContentSha256 => "InvalidRequest",
            UnsignedPayloadNotAllowed(_) => "AccessDenied",
            BodyRequired | CredentialLookup(_) => "InternalError",
            InvalidRequest(_) | AuthorityMismatch { .. } => "InvalidRequest",
            NonNormalizedPath(_) => "InvalidURI",
            RawPlusInQuery => "InvalidArgument",
        }
    }

    /// The HTTP status AWS answers with for [`code`](Self::code).
    pub fn http_status(&self) -> u16 {
        match self.code() {
            "AccessDenied"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "RequestTimeTooSkewed" => 403,
            "InternalError" => 500,
            _ => 400,
        }
    }

    /// On [`VerifyError::SignatureDoesNotMatch`], what the server computed.
    pub fn signature_mismatch(&self) -> Option<&SignatureMismatch> {
        match self {
            VerifyError::SignatureDoesNotMatch(m) => Some(m),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The verifier
// ---------------------------------------------------------------------------------------

/// Verifies SigV4-signed requests for one service and a set of regions.
///
/// Defaults follow the service: for S3 (`s3`, `s3-outposts`, `s3express`,
/// `s3-object-lambda`) the path is used as sent (no normalization, single encoding),
/// `x-amz-content-sha256` is required in header mode, `UNSIGNED-PAYLOAD` and streaming
/// bodies are accepted and presigned URLs sign `UNSIGNED-PAYLOAD`; for other services the
/// path is normalized and double-encoded and the payload hash is the body's.
#[derive(Debug, Clone)]
pub struct Verifier {
    service: String,
    regions: Option<Vec<String>>,
    normalize_uri_path: bool,
    double_uri_encode: bool,
    max_skew: Duration,
    session_token_mode: SessionTokenMode,
    allow_unsigned_payload: bool,
    require_content_sha256: bool,
    presigned_unsigned_payload: bool,
    keys: Arc<KeyCache>,
}

/// Signing keys already derived, per access key, day and region, so that a busy server
/// does not redo the four HMACs of the key derivation on every request. Each entry keeps
/// the secret it was derived from (zeroized on drop) and is only used when the looked-up
/// secret is the same, so rotated secrets take effect at once.
#[derive(Default)]
struct KeyCache {
    /// Per access key id: the secret the keys were derived from, and the keys.
    map: Mutex<HashMap<String, CachedKeys>>,
}

struct CachedKeys {
    secret: Zeroizing<String>,
    keys: Vec<SigningKey>,
}

/// Keys kept per access key (days x regions x services).
const KEYS_PER_ACCESS_KEY: usize = 8;

/// Access keys kept before the cache is emptied and refilled.
const KEY_CACHE_CAPACITY: usize = 1024;

impl KeyCache {
    fn get(
        &self,
        creds: &Credentials,
        date: &str,
        region: &str,
        service: &str,
    ) -> Result<SigningKey, SigningError> {
        // A poisoned lock only means another thread panicked while holding it.
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = map.get_mut(creds.access_key_id()) {
            let same_secret: bool = entry
                .secret
                .as_bytes()
                .ct_eq(creds.secret_access_key().as_bytes())
                .into();
            if same_secret {
                if let Some(k) = entry.keys.iter().find(|k| k.matches(date, region, service)) {
                    return Ok(k.clone());
                }
            } else {
                entry.keys.clear();
                entry.secret = Zeroizing::new(creds.secret_access_key().to_owned());
            }
        }
        let key = SigningKey::derive(creds.secret_access_key(), date, region, service)?;
        if map.len() >= KEY_CACHE_CAPACITY && !map.contains_key(creds.access_key_id()) {
            map.clear();
        }
        let entry = map
            .entry(creds.access_key_id().to_owned())
            .or_insert_with(|| CachedKeys {
                secret: Zeroizing::new(creds.secret_access_key().to_owned()),
                keys: Vec::new(),
            });
        if entry.keys.len() >= KEYS_PER_ACCESS_KEY {
            entry.keys.remove(0);
        }
        entry.keys.push(key.clone());
        Ok(key)
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.map.lock().map_or(0, |m| m.len());
        f.debug_struct("KeyCache").field("entries", &n).finish()
    }
}

impl Verifier {
    /// A verifier for requests signed for `region` and `service`.
    pub fn new(
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Result<Self, SigningError> {
        Self::with_regions([region], service)
    }

    /// A verifier accepting any of `regions` (at least one).
    pub fn with_regions<R: Into<String>>(
        regions: impl IntoIterator<Item = R>,
        service: impl Into<String>,
    ) -> Result<Self, SigningError> {
        let service = service.into();
        validate_scope_part(&service).map_err(|_| SigningError::InvalidService(service.clone()))?;
        let mut list = Vec::new();
        for r in regions {
            let r = r.into();
            validate_scope_part(&r).map_err(|_| SigningError::InvalidRegion(r.clone()))?;
            list.push(r);
        }
        if list.is_empty() {
            return Err(SigningError::InvalidRegion(String::new()));
        }
        let s3 = is_s3(&service);
        Ok(Verifier {
            service,
            regions: Some(list),
            normalize_uri_path: !s3,
            double_uri_encode: !s3,
            max_skew: DEFAULT_MAX_SKEW,
            session_token_mode: SessionTokenMode::Signed,
            allow_unsigned_payload: s3,
            require_content_sha256: s3,
            presigned_unsigned_payload: s3,
            keys: Arc::default(),
        })
    }

    /// Accepts any region in the credential scope (for example a regionless test server).
    pub fn any_region(mut self) -> Self {
        self.regions = None;
        self
    }

    /// Sets the largest accepted difference between the request's time and `now`
    /// (default 15 minutes). Presigned URLs may be dated at most this far in the future.
    pub fn with_max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// Sets the URI rules: normalize the path, and encode it a second time.
    pub fn with_uri_rules(mut self, normalize_uri_path: bool, double_uri_encode: bool) -> Self {
        self.normalize_uri_path = normalize_uri_path;
        self.double_uri_encode = double_uri_encode;
        self
    }

    /// Whether clients sign the session token (the default) or append it after signing.
    pub fn with_session_token_mode(mut self, mode: SessionTokenMode) -> Self {
        self.session_token_mode = mode;
        self
    }

    /// Whether `UNSIGNED-PAYLOAD` and `STREAMING-UNSIGNED-PAYLOAD-TRAILER` are accepted.
    pub fn allow_unsigned_payload(mut self, allow: bool) -> Self {
        self.allow_unsigned_payload = allow;
        self
    }

    /// Whether header-mode requests must carry `x-amz-content-sha256`.
    pub fn require_content_sha256(mut self, require: bool) -> Self {
        self.require_content_sha256 = require;
        self
    }

    /// Whether presigned URLs without an `x-amz-content-sha256` header sign
    /// `UNSIGNED-PAYLOAD` (S3) rather than the body's hash.
    pub fn presigned_unsigned_payload(mut self, unsigned: bool) -> Self {
        self.presigned_unsigned_payload = unsigned;
        self
    }

    /// The service.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Whether the path is normalized before signing (every service but S3, by default):
    /// a server edge must then make sure the application sees the normalized path (see
    /// [`edge::prepare_target`]).
    pub fn normalizes_uri_path(&self) -> bool {
        self.normalize_uri_path
    }

    /// Verifies `request` at `now`, looking the access key up with `lookup`.
    pub fn verify(
        &self,
        request: &VerifiableRequest<'_>,
        lookup: &impl CredentialLookup,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let parsed = self.parse(request, now)?;
        let creds = lookup
            .lookup(&parsed.access_key_id)
            .map_err(VerifyError::CredentialLookup)?;
        self.complete(request, parsed, creds, now)
    }

    /// Like [`verify`](Self::verify), with an asynchronous lookup. Everything that can be
    /// checked without the credentials is checked before the lookup.
    pub async fn verify_async(
        &self,
        request: &VerifiableRequest<'_>,
        lookup: &impl AsyncCredentialLookup,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let parsed = self.parse(request, now)?;
        let creds = lookup
            .lookup(&parsed.access_key_id)
            .await
            .map_err(VerifyError::CredentialLookup)?;
        self.complete(request, parsed, creds, now)
    }

    /// Verifies with the credentials already at hand (`None`: the key is unknown).
    pub fn verify_with(
        &self,
        request: &VerifiableRequest<'_>,
        credentials: Option<Credentials>,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let parsed = self.parse(request, now)?;
        self.complete(request, parsed, credentials, now)
    }

    /// Step 1: find and parse the signature and check everything that needs no credentials.
    fn parse(&self, req: &VerifiableRequest<'_>, now: SystemTime) -> Result<Parsed, VerifyError> {
        let now_secs = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| VerifyError::InvalidRequest("the server time is before 1970".into()))?
            .as_secs();
        let target =
            split_target(&req.target).map_err(|e| VerifyError::InvalidRequest(e.to_string()))?;
        if req.method.is_empty() || !req.method.bytes().all(is_tchar) {
            return Err(VerifyError::InvalidRequest(format!(
                "invalid HTTP method {:?}",
                truncate(req.method)
            )));
        }
        for &(name, _) in req.headers.iter() {
            if name.is_empty() || !name.bytes().all(is_tchar) {
                return Err(VerifyError::InvalidRequest(format!(
                    "invalid header name {:?}",
                    truncate(name)
                )));
            }
        }

        let auth_header = req.single_header("authorization").map_err(|_| {
            malformed(
                AuthMode::Header,
                "the request has more than one Authorization header",
            )
        })?;
        let query_auth = QueryAuth::collect(target.query)?;

        let mut p = match (auth_header, query_auth) {
            (Some(_), Some(_)) => return Err(VerifyError::AmbiguousAuthentication),
            (None, None) => return Err(VerifyError::MissingAuthentication),
            (Some(h), None) => parse_authorization(h)?,
            (None, Some(q)) => q.into_parsed()?,
        };
        let mode = p.mode;

        // Scope.
        if p.terminator != "aws4_request" {
            return Err(VerifyError::WrongScope {
                mode,
                part: ScopePart::Terminator,
                found: truncate(&p.terminator),
                expected: "aws4_request".into(),
            });
        }
        if p.service != self.service {
            return Err(VerifyError::WrongScope {
                mode,
                part: ScopePart::Service,
                found: truncate(&p.service),
                expected: self.service.clone(),
            });
        }
        if let Some(regions) = &self.regions {
            if !regions.contains(&p.region) {
                return Err(VerifyError::WrongScope {
                    mode,
                    part: ScopePart::Region,
                    found: truncate(&p.region),
                    expected: regions.join(" or "),
                });
            }
        } else if validate_scope_part(&p.region).is_err() {
            return Err(malformed(
                mode,
                "the credential scope's region is empty or invalid",
            ));
        }

        // Required signed headers.
        if !p.signed_headers.iter().any(|h| h == "host") {
            return Err(VerifyError::RequiredHeaderNotSigned { mode, name: "host" });
        }

        // The date.
        let time = match mode {
            AuthMode::Query => p
                .query_date
                .take()
                .ok_or_else(|| VerifyError::InvalidDate {
                    mode,
                    reason: "X-Amz-Date is missing".into(),
                })?,
            AuthMode::Header => {
                let amz =
                    req.single_header("x-amz-date")
                        .map_err(|_| VerifyError::InvalidDate {
                            mode,
                            reason: "the request has more than one x-amz-date header".into(),
                        })?;
                let (value, name) =
                    match amz {
                        Some(v) => (v, "x-amz-date"),
                        None => match req.single_header("date") {
                            Ok(Some(v)) => (v, "date"),
                            Ok(None) => return Err(VerifyError::InvalidDate {
                                mode,
                                reason:
                                    "AWS authentication requires a valid Date or x-amz-date header"
                                        .into(),
                            }),
                            Err(()) => {
                                return Err(VerifyError::InvalidDate {
                                    mode,
                                    reason: "the request has more than one Date header".into(),
                                })
                            }
                        },
                    };
                if !p.signed_headers.iter().any(|h| h == name) {
                    return Err(VerifyError::RequiredHeaderNotSigned {
                        mode,
                        name: if name == "date" { "date" } else { "x-amz-date" },
                    });
                }
                let text = std::str::from_utf8(value).unwrap_or("").trim();
                let parsed = if name == "date" {
                    parse_http_date(text)
                } else {
                    AmzDate::parse(text)
                };
                parsed.ok_or_else(|| VerifyError::InvalidDate {
                    mode,
                    reason: format!("the {name} header {:?} is not a valid date", truncate(text)),
                })?
            }
        };
        if p.date != time.date() {
            return Err(VerifyError::WrongScope {
                mode,
                part: ScopePart::Date,
                found: truncate(&p.date),
                expected: format!("{} (the day of the request's date)", time.date()),
            });
        }

        // The time window.
        let t = time.unix_seconds();
        let skew = self.max_skew.as_secs();
        let server_time =
            || AmzDate::from_unix_seconds(now_secs.min(253_402_300_799)).unwrap_or(time);
        match mode {
            AuthMode::Header => {
                if t.abs_diff(now_secs) > skew {
                    return Err(VerifyError::RequestTimeTooSkewed {
                        request_time: time,
                        server_time: server_time(),
                        max_skew_secs: skew,
                    });
                }
            }
            AuthMode::Query => {
                if t > now_secs.saturating_add(skew) {
                    return Err(VerifyError::NotYetValid { valid_from: time });
                }
                let end = t.saturating_add(p.expires);
                if now_secs > end {
                    return Err(VerifyError::Expired {
                        expired_at: AmzDate::from_unix_seconds(end).unwrap_or(time),
                    });
                }
            }
        }

        // Every x-amz-* header must be signed.
        for &(name, _) in req.headers.iter() {
            let is_amz = name
                .get(..6)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-amz-"));
            if !is_amz {
                continue;
            }
            if name.eq_ignore_ascii_case("x-amz-security-token")
                && (mode == AuthMode::Query
                    || self.session_token_mode == SessionTokenMode::AppendAfterSigning)
            {
                continue;
            }
            if !p
                .signed_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
            {
                return Err(VerifyError::UnsignedAmzHeader(truncate(name)));
            }
        }

        // The session token carried by the request.
        if mode == AuthMode::Header {
            p.token = req
                .single_header("x-amz-security-token")
                .map_err(|_| {
                    VerifyError::InvalidToken("more than one x-amz-security-token header")
                })?
                .map(|v| String::from_utf8_lossy(v).trim().to_owned());
        }
        p.time = Some(time);
        Ok(p)
    }

    /// Step 2: with the credentials, rebuild the signature and compare.
    fn complete(
        &self,
        req: &VerifiableRequest<'_>,
        p: Parsed,
        creds: Option<Credentials>,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let time = p.time.ok_or_else(|| VerifyError::InvalidDate {
            mode: p.mode,
            reason: "the request has no date".into(),
        })?;
        let creds =
            creds.ok_or_else(|| VerifyError::InvalidAccessKeyId(truncate(&p.access_key_id)))?;
        if creds.access_key_id() != p.access_key_id {
            // A lookup that returns someone else's credentials is a server bug; refuse.
            return Err(VerifyError::InvalidAccessKeyId(truncate(&p.access_key_id)));
        }
        if creds.is_expired(now) {
            return Err(VerifyError::ExpiredToken);
        }
        match (creds.session_token(), p.token.as_deref()) {
            (None, None) => {}
            (Some(_), None) => {
                return Err(VerifyError::InvalidToken(
                    "the request carries no session token but the access key is temporary",
                ))
            }
            (None, Some(_)) => {
                return Err(VerifyError::InvalidToken(
                    "the request carries a session token but the access key is not temporary",
                ))
            }
            (Some(want), Some(got)) => {
                if !bool::from(want.as_bytes().ct_eq(got.as_bytes())) {
                    return Err(VerifyError::InvalidToken(
                        "the session token does not belong to the access key",
                    ));
                }
            }
        }

        let target =
            split_target(&req.target).map_err(|e| VerifyError::InvalidRequest(e.to_string()))?;

        // Payload line.
        let claimed = match req.single_header("x-amz-content-sha256") {
            Ok(v) => v,
            Err(()) => {
                return Err(VerifyError::InvalidContentSha256(
                    "(more than one x-amz-content-sha256 header)".into(),
                ))
            }
        };
        let body_hash: Option<[u8; 32]> = match req.body {
            VerifyBody::Bytes(b) => Some(Sha256::digest(b).into()),
            VerifyBody::Sha256(h) => Some(h),
            VerifyBody::Unavailable => None,
        };
        let mut payload = PayloadKind::Unsigned;
        let payload_line: String = match claimed {
            Some(v) => {
                let v = std::str::from_utf8(v)
                    .map_err(|_| VerifyError::InvalidContentSha256("(not UTF-8)".into()))?
                    .trim();
                if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                    let mut h = [0u8; 32];
                    for (i, pair) in v.as_bytes().chunks(2).enumerate() {
                        h[i] = hex_nibble(pair[0]) << 4 | hex_nibble(pair[1]);
                    }
                    payload = PayloadKind::Hash(h);
                } else if v == UNSIGNED_PAYLOAD {
                    if !self.allow_unsigned_payload {
                        return Err(VerifyError::UnsignedPayloadNotAllowed(UNSIGNED_PAYLOAD));
                    }
                } else if let Some(m) = StreamingMode::from_content_sha256(v) {
                    if !m.is_signed() && !self.allow_unsigned_payload {
                        return Err(VerifyError::UnsignedPayloadNotAllowed(m.content_sha256()));
                    }
                    payload = PayloadKind::Streaming(m);
                } else {
                    return Err(VerifyError::InvalidContentSha256(truncate(v)));
                }
                v.to_owned()
            }
            None if p.mode == AuthMode::Header && self.require_content_sha256 => {
                return Err(VerifyError::MissingContentSha256)
            }
            None if p.mode == AuthMode::Query && self.presigned_unsigned_payload => {
                UNSIGNED_PAYLOAD.to_owned()
            }
            None => {
                let h = body_hash.ok_or(VerifyError::BodyRequired)?;
                payload = PayloadKind::Hash(h);
                String::from_utf8_lossy(&hex_lower::<64>(&h)).into_owned()
            }
        };

        // Canonical request.
        let mut creq = String::with_capacity(256 + req.target.len() * 2);
        creq.push_str(req.method);
        creq.push('\n');
        canonical_uri(
            &mut creq,
            target.path,
            self.normalize_uri_path,
            self.double_uri_encode,
        );
        creq.push('\n');
        let skip_token = p.mode == AuthMode::Query
            && self.session_token_mode == SessionTokenMode::AppendAfterSigning;
        let query_mode = p.mode == AuthMode::Query;
        canonical_query(&mut creq, target.query, &[], |k| {
            query_mode && (k == b"X-Amz-Signature" || (skip_token && k == b"X-Amz-Security-Token"))
        });
        creq.push('\n');
        let mut hs = HeaderScratch::default();
        for name in &p.signed_headers {
            let mut found = false;
            for &(n, v) in req.headers.iter() {
                if n.eq_ignore_ascii_case(name) {
                    hs.push(name, v).map_err(|_| {
                        VerifyError::InvalidRequest(format!(
                            "the value of header {:?} is not valid UTF-8 text",
                            truncate(name)
                        ))
                    })?;
                    if found && name == "host" {
                        return Err(VerifyError::InvalidRequest(
                            "more than one Host header".into(),
                        ));
                    }
                    if let (Some(authority), "host") = (target.authority, name.as_str()) {
                        // The server acts on the target's authority, not on Host.
                        let host = String::from_utf8_lossy(v);
                        if !edge::same_authority(authority, &host, target.https) {
                            return Err(VerifyError::AuthorityMismatch {
                                authority: truncate(authority),
                                host: truncate(&host),
                            });
                        }
                    }
                    found = true;
                }
            }
            if !found && name == "host" {
                if let Some(authority) = target.authority {
                    let lower = authority.to_ascii_lowercase();
                    hs.push("host", lower.as_bytes())
                        .map_err(|_| VerifyError::InvalidRequest("invalid host".into()))?;
                    found = true;
                }
            }
            if !found {
                return Err(VerifyError::SignedHeaderAbsent {
                    mode: p.mode,
                    name: truncate(name),
                });
            }
        }
        // The names are already sorted and unique; a stable sort keeps repeated values in order.
        hs.sort();
        hs.write(&mut creq);
        creq.push('\n');
        creq.push_str(&payload_line);

        // String to sign.
        let creq_hash: [u8; 64] = hex_lower(&Sha256::digest(creq.as_bytes()));
        let scope = format!("{}/{}/{}/aws4_request", p.date, p.region, p.service);
        let mut sts = String::with_capacity(160);
        sts.push_str(ALGORITHM);
        sts.push('\n');
        sts.push_str(time.date_time());
        sts.push('\n');
        sts.push_str(&scope);
        sts.push('\n');
        sts.push_str(std::str::from_utf8(&creq_hash).unwrap_or_default());

        let key = self
            .keys
            .get(&creds, &p.date, &p.region, &p.service)
            .map_err(|e| malformed(p.mode, &e.to_string()))?;
        let computed: [u8; 64] = hex_lower(&key.sign(sts.as_bytes()));
        if !bool::from(computed.ct_eq(&p.signature)) {
            return Err(VerifyError::SignatureDoesNotMatch(Box::new(
                SignatureMismatch {
                    canonical_request: creq,
                    string_to_sign: sts,
                    token: creds.session_token().map(str::to_owned),
                },
            )));
        }

        // The body, when it is known and the signature covers its hash.
        if let (PayloadKind::Hash(claimed), Some(actual)) = (&payload, body_hash) {
            if !bool::from(claimed.ct_eq(&actual)) {
                return Err(VerifyError::ContentSha256Mismatch {
                    claimed: crate::hex(claimed),
                    computed: crate::hex(&actual),
                });
            }
        }
        let body_checked = matches!(payload, PayloadKind::Hash(_)) && body_hash.is_some();

        let mut signed_headers = String::new();
        hs.write_signed_list(&mut signed_headers);
        // A streaming body is checked against these headers: one that is present but
        // unreadable must refuse the request, not turn the check off.
        let streaming = matches!(payload, PayloadKind::Streaming(_));
        let decoded_length = match req.single_header("x-amz-decoded-content-length") {
            Ok(None) => None,
            Ok(Some(v)) => {
                let n = std::str::from_utf8(v)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok());
                match n {
                    Some(n) => Some(n),
                    None if streaming => {
                        return Err(VerifyError::InvalidRequest(
                            "x-amz-decoded-content-length is not a number".into(),
                        ))
                    }
                    None => None,
                }
            }
            Err(()) if streaming => {
                return Err(VerifyError::InvalidRequest(
                    "more than one x-amz-decoded-content-length header".into(),
                ))
            }
            Err(()) => None,
        };
        let trailer = match req.single_header("x-amz-trailer") {
            Ok(v) => v
                .map(|v| {
                    std::str::from_utf8(v)
                        .map(|v| v.trim().to_ascii_lowercase())
                        .map_err(|_| {
                            VerifyError::InvalidRequest("x-amz-trailer is not text".into())
                        })
                })
                .transpose()?,
            Err(()) if streaming => {
                return Err(VerifyError::InvalidRequest(
                    "more than one x-amz-trailer header".into(),
                ))
            }
            Err(()) => None,
        };
        let mut checksum = None;
        let mut chunk_signer = None;
        if let PayloadKind::Streaming(mode) = payload {
            if let Some(t) = trailer.as_deref().filter(|_| mode.has_trailer()) {
                // An unknown trailer name would leave the trailer's value unchecked.
                checksum = Some(
                    ChecksumAlgorithm::ALL
                        .into_iter()
                        .find(|a| a.header_name() == t)
                        .ok_or_else(|| {
                            VerifyError::InvalidRequest(format!(
                                "x-amz-trailer {:?} is not a supported checksum",
                                truncate(t)
                            ))
                        })?,
                );
            }
            if mode.is_signed() {
                // Built here so that a failure refuses the request instead of leaving the
                // chunks of an accepted request unchecked.
                let seed = std::str::from_utf8(&p.signature).unwrap_or_default();
                chunk_signer = Some(
                    ChunkSigner::new(key.clone(), time, seed)
                        .map_err(|e| VerifyError::InvalidRequest(e.to_string()))?,
                );
            }
        }
        Ok(Verified {
            access_key_id: p.access_key_id,
            scope,
            time,
            mode: p.mode,
            signed_headers,
            signature: p.signature,
            payload,
            body_checked,
            session_token: p.token.is_some(),
            key,
            decoded_length,
            trailer,
            checksum,
            chunk_signer,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayloadKind {
    Hash([u8; 32]),
    Unsigned,
    Streaming(StreamingMode),
}

/// What the payload line of a verified request said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifiedPayload {
    /// A SHA-256 of the body (checked against it when the body was given).
    Sha256([u8; 32]),
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
    Unsigned,
    /// An aws-chunked body: verify it with [`Verified::chunked_body`].
    Streaming(StreamingMode),
}

/// A request whose signature is valid.
///
/// It holds the day's signing key for the request's scope (zeroized on drop, never shown
/// by `Debug`) so the body of a streaming upload can be verified.
#[derive(Clone)]
pub struct Verified {
    access_key_id: String,
    scope: String,
    time: AmzDate,
    mode: AuthMode,
    signed_headers: String,
    signature: [u8; 64],
    payload: PayloadKind,
    body_checked: bool,
    session_token: bool,
    key: SigningKey,
    decoded_length: Option<u64>,
    trailer: Option<String>,
    checksum: Option<ChecksumAlgorithm>,
    /// Present exactly when the payload is a signed streaming one.
    chunk_signer: Option<ChunkSigner>,
}

impl Verified {
    /// The access key id that signed the request.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The credential scope, `date/region/service/aws4_request`.
    pub fn credential_scope(&self) -> &str {
        &self.scope
    }

    /// The region the request was signed for.
    pub fn region(&self) -> &str {
        self.key.region()
    }

    /// The request's signing time.
    pub fn time(&self) -> AmzDate {
        self.time
    }

    /// Header or query (presigned URL).
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// The signed headers, `host;x-amz-date`.
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }

    /// The request's signature (the seed of a streaming body).
    pub fn signature(&self) -> &str {
        std::str::from_utf8(&self.signature).unwrap_or_default()
    }

    /// Whether the request carried a (valid) session token.
    pub fn has_session_token(&self) -> bool {
        self.session_token
    }

    /// What the payload line said.
    pub fn payload(&self) -> VerifiedPayload {
        match self.payload {
            PayloadKind::Hash(h) => VerifiedPayload::Sha256(h),
            PayloadKind::Unsigned => VerifiedPayload::Unsigned,
            PayloadKind::Streaming(m) => VerifiedPayload::Streaming(m),
        }
    }

    /// Whether the body was given and matched the signed hash.
    pub fn body_checked(&self) -> bool {
        self.body_checked
    }

    /// When the body was not given and the signature covers its SHA-256, the hash the body
    /// must have: compare it after reading the body, and refuse the request with
    /// `XAmzContentSHA256Mismatch` if it differs.
    pub fn expected_payload_sha256(&self) -> Option<[u8; 32]> {
        match self.payload {
            PayloadKind::Hash(h) if !self.body_checked => Some(h),
            _ => None,
        }
    }

    /// A verifier for the aws-chunked body of a streaming upload, or `None` when the
    /// request's payload is not a streaming one (then [`payload`](Self::payload) says
    /// what covers the body).
    ///
    /// It cannot fail: everything it needs (the chunk signer of a signed mode, the
    /// trailer's checksum) was set up while verifying the request, which is refused when
    /// that is impossible.
    pub fn chunked_body(&self) -> Option<ChunkedBodyVerifier> {
        let PayloadKind::Streaming(mode) = self.payload else {
            return None;
        };
        Some(ChunkedBodyVerifier::new(
            mode,
            self.chunk_signer.clone(),
            self.decoded_length,
            self.trailer.clone(),
            self.checksum,
        ))
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("time", &self.time)
            .field("mode", &self.mode)
            .field("signed_headers", &self.signed_headers)
            .field("payload", &self.payload())
            .field("body_checked", &self.body_checked)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

struct Parsed {
    mode: AuthMode,
    access_key_id: String,
    date: String,
    region: String,
    service: String,
    terminator: String,
    signed_headers: Vec<String>,
    signature: [u8; 64],
    expires: u64,
    query_date: Option<AmzDate>,
    token: Option<String>,
    /// Set once the date has been parsed and checked.
    time: Option<AmzDate>,
}

fn malformed(mode: AuthMode, msg: &str) -> VerifyError {
    match mode {
        AuthMode::Header => VerifyError::AuthorizationHeaderMalformed(msg.to_owned()),
        AuthMode::Query => VerifyError::AuthorizationQueryParametersError(msg.to_owned()),
    }
}

/// At most 64 characters of untrusted text, for error messages.
fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn hex_nibble(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Parses `Credential`, `SignedHeaders` and `Signature` values shared by both modes.
fn parse_parts(
    mode: AuthMode,
    credential: &str,
    signed_headers: &str,
    signature: &str,
) -> Result<Parsed, VerifyError> {
    let parts: SmallVec<[&str; 5]> = credential.split('/').collect();
    if parts.len() != 5 {
        return Err(malformed(
            mode,
            "the Credential must be <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request",
        ));
    }
    let access_key_id = parts[0];
    if access_key_id.is_empty()
        || access_key_id
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || b == b',')
    {
        return Err(malformed(
            mode,
            "the Credential's access key id is empty or invalid",
        ));
    }
    let date = parts[1];
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(mode, "the Credential's date must be YYYYMMDD"));
    }
    for (part, what) in [(parts[2], "region"), (parts[3], "service")] {
        if validate_scope_part(part).is_err() || part.contains(',') {
            return Err(malformed(
                mode,
                &format!("the Credential's {what} is empty or invalid"),
            ));
        }
    }
    let mut list: Vec<String> = Vec::new();
    for name in signed_headers.split(';') {
        if name.is_empty() || !name.bytes().all(|b| is_tchar(b) && !b.is_ascii_uppercase()) {
            return Err(malformed(
                mode,
                "SignedHeaders must be a ';'-separated list of lowercase header names",
            ));
        }
        if let Some(prev) = list.last() {
            if name <= prev.as_str() {
                return Err(malformed(
                    mode,
                    "SignedHeaders must be sorted and have no repeated names",
                ));
            }
        }
        list.push(name.to_owned());
    }
    let sig = signature.as_bytes();
    if sig.len() != 64 || !sig.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(malformed(
            mode,
            "the Signature must be 64 lowercase hex digits",
        ));
    }
    let mut signature = [0u8; 64];
    signature.copy_from_slice(sig);
    Ok(Parsed {
        mode,
        access_key_id: access_key_id.to_owned(),
        date: date.to_owned(),
        region: parts[2].to_owned(),
        service: parts[3].to_owned(),
        terminator: parts[4].to_owned(),
        signed_headers: list,
        signature,
        expires: 0,
        query_date: None,
        token: None,
        time: None,
    })
}

/// Parses `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`.
fn parse_authorization(value: &[u8]) -> Result<Parsed, VerifyError> {
    let mode = AuthMode::Header;
    if value.len() > MAX_AUTH_LEN {
        return Err(malformed(mode, "the header is too long"));
    }
    let text = std::str::from_utf8(value)
        .map_err(|_| malformed(mode, "the header is not valid UTF-8"))?
        .trim_matches(|c| c == ' ' || c == '\t');
    let (algorithm, rest) = text.split_once(' ').ok_or_else(|| {
        malformed(
            mode,
            "expected 'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'",
        )
    })?;
    if algorithm != ALGORITHM {
        return Err(malformed(
            mode,
            &format!(
                "unsupported algorithm {:?}: only AWS4-HMAC-SHA256 is accepted",
                truncate(algorithm)
            ),
        ));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let component = component.trim_matches(|c| c == ' ' || c == '\t');
        let (k, v) = component
            .split_once('=')
            .ok_or_else(|| malformed(mode, "each component must be Name=value"))?;
        let slot = match k {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => {
                return Err(malformed(
                    mode,
                    &format!("unknown component {:?}", truncate(k)),
                ))
            }
        };
        if slot.replace(v).is_some() {
            return Err(malformed(mode, &format!("{k} is given twice")));
        }
    }
    let (Some(c), Some(h), Some(s)) = (credential, signed, signature) else {
        return Err(malformed(
            mode,
            "Credential, SignedHeaders and Signature are all required",
        ));
    };
    parse_parts(mode, c, h, s)
}

/// The presigned parameters, decoded.
#[derive(Default)]
struct QueryAuth {
    algorithm: Option<String>,
    credential: Option<String>,
    date: Option<String>,
    expires: Option<String>,
    signed_headers: Option<String>,
    signature: Option<String>,
    token: Option<String>,
}

impl QueryAuth {
    /// `Ok(None)` when the query carries no signing parameters.
    fn collect(query: &str) -> Result<Option<QueryAuth>, VerifyError> {
        let mut q = QueryAuth::default();
        let mut any = false;
        let mut key = Vec::new();
        let mut value = Vec::new();
        for piece in query.split('&') {
            if piece.is_empty() {
                continue;
            }
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            key.clear();
            decode_into(&mut key, k.as_bytes());
            let slot = match key.as_slice() {
                b"X-Amz-Algorithm" => &mut q.algorithm,
                b"X-Amz-Credential" => &mut q.credential,
                b"X-Amz-Date" => &mut q.date,
                b"X-Amz-Expires" => &mut q.expires,
                b"X-Amz-SignedHeaders" => &mut q.signed_headers,
                b"X-Amz-Signature" => &mut q.signature,
                b"X-Amz-Security-Token" => &mut q.token,
                _ => continue,
            };
            any = true;
            if v.len() > MAX_AUTH_LEN {
                return Err(malformed(AuthMode::Query, "a parameter value is too long"));
            }
            value.clear();
            decode_into(&mut value, v.as_bytes());
            let text = String::from_utf8(std::mem::take(&mut value))
                .map_err(|_| malformed(AuthMode::Query, "a parameter value is not valid UTF-8"))?;
            if slot.replace(text).is_some() {
                return Err(malformed(
                    AuthMode::Query,
                    &format!("{} is given twice", String::from_utf8_lossy(&key)),
                ));
            }
        }
        // X-Amz-Date or X-Amz-Security-Token alone do not make a presigned URL.
        let signing = q.algorithm.is_some()
            || q.credential.is_some()
            || q.signature.is_some()
            || q.signed_headers.is_some();
        Ok((any && signing).then_some(q))
    }

    fn into_parsed(self) -> Result<Parsed, VerifyError> {
        let mode = AuthMode::Query;
        let missing = |name: &str| {
            malformed(
                mode,
                &format!("{name} is required (with X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature)"),
            )
        };
        let algorithm = self.algorithm.ok_or_else(|| missing("X-Amz-Algorithm"))?;
        if algorithm != ALGORITHM {
            return Err(malformed(
                mode,
                "X-Amz-Algorithm only supports AWS4-HMAC-SHA256",
            ));
        }
        let credential = self.credential.ok_or_else(|| missing("X-Amz-Credential"))?;
        let date = self.date.ok_or_else(|| missing("X-Amz-Date"))?;
        let expires = self.expires.ok_or_else(|| missing("X-Amz-Expires"))?;
        let signed = self
            .signed_headers
            .ok_or_else(|| missing("X-Amz-SignedHeaders"))?;
        let signature = self.signature.ok_or_else(|| missing("X-Amz-Signature"))?;
        let mut p = parse_parts(mode, &credential, &signed, &signature)?;
        let time = AmzDate::parse(&date).ok_or_else(|| VerifyError::InvalidDate {
            mode,
            reason: format!("X-Amz-Date {:?} must be YYYYMMDDTHHMMSSZ", truncate(&date)),
        })?;
        let secs = (!expires.is_empty()
            && expires.len() <= 7
            && expires.bytes().all(|b| b.is_ascii_digit()))
        .then(|| expires.parse::<u64>().ok())
        .flatten()
        .filter(|s| (1..=MAX_PRESIGN_EXPIRES_SECS).contains(s))
        .ok_or_else(|| VerifyError::ExpiresOutOfRange(truncate(&expires)))?;
        p.expires = secs;
        p.query_date = Some(time);
        p.token = self.token;
        Ok(p)
    }
}

/// Parses an HTTP date in the IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(s: &str) -> Option<AmzDate> {
    let b = s.as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    if !matches!(
        &b[..3],
        b"Mon" | b"Tue" | b"Wed" | b"Thu" | b"Fri" | b"Sat" | b"Sun"
    ) {
        return None;
    }
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| &b[8..11] == *m)? + 1;
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    let text = format!(
        "{}{:02}{}T{}{}{}Z",
        s.get(12..16)?,
        month,
        s.get(5..7)?,
        s.get(17..19)?,
        s.get(20..22)?,
        s.get(23..25)?
    );
    AmzDate::parse(&text)
}

// ---------------------------------------------------------------------------------------
// aws-chunked bodies
// ---------------------------------------------------------------------------------------

/// Why an aws-chunked body was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChunkVerifyError {
    /// The framing is not aws-chunked (`IncompleteBody` / `InvalidRequest`).
    #[error("the aws-chunked body is malformed: {0}")]
    Malformed(String),
    /// A chunk's signature is wrong (`SignatureDoesNotMatch`).
    #[error("the signature of chunk {index} does not match")]
    ChunkSignatureMismatch {
        /// The chunk's position, from 0 (the final empty chunk included).
        index: u64,
    },
    /// The trailer's signature is wrong (`SignatureDoesNotMatch`).
    #[error("the trailer signature does not match")]
    TrailerSignatureMismatch,
    /// The decoded length differs from `x-amz-decoded-content-length` (`IncompleteBody`).
    #[error("the decoded body is {actual} bytes but x-amz-decoded-content-length says {expected}")]
    LengthMismatch {
        /// Declared.
        expected: u64,
        /// Seen.
        actual: u64,
    },
    /// The trailer checksum does not match the body (`BadDigest`).
    #[error("the {name} trailer does not match the body")]
    ChecksumMismatch {
        /// The trailer name.
        name: String,
    },
    /// The body ended before the final chunk and trailer (`IncompleteBody`).
    #[error("the aws-chunked body ended early")]
    Incomplete,
}

impl ChunkVerifyError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            ChunkVerifyError::Malformed(_) => "InvalidRequest",
            ChunkVerifyError::ChunkSignatureMismatch { .. }
            | ChunkVerifyError::TrailerSignatureMismatch => "SignatureDoesNotMatch",
            ChunkVerifyError::LengthMismatch { .. } | ChunkVerifyError::Incomplete => {
                "IncompleteBody"
            }
            ChunkVerifyError::ChecksumMismatch { .. } => "BadDigest",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    Header,
    Data { remaining: u64 },
    DataEnd,
    Trailer,
    Done,
    Failed,
}

/// A sans-I/O verifier and decoder of an aws-chunked body: [`push`](Self::push) the bytes
/// as they arrive and it appends the decoded data to `out`, checking each chunk's
/// signature when the chunk is complete (so data of a chunk is only trusted once `push`
/// has moved past it without error), then the final chunk and the trailer.
///
/// Memory is constant: data is hashed as it passes, only header and trailer lines are
/// buffered (at most 4 KiB each).
pub struct ChunkedBodyVerifier {
    mode: StreamingMode,
    signer: Option<ChunkSigner>,
    state: ChunkState,
    line: Vec<u8>,
    chunk_hash: Sha256,
    pending_sig: Option<[u8; 64]>,
    index: u64,
    decoded: u64,
    expected_len: Option<u64>,
    declared_trailer: Option<String>,
    checksum: Option<crate::chunked::Checksum>,
    trailers: Vec<(String, String)>,
    trailer_sig: Option<[u8; 64]>,
    short_chunk: bool,
    verified: u64,
    max_chunk: u64,
}

const MAX_LINE: usize = 4096;

/// The default largest chunk [`ChunkedBodyVerifier`] accepts, 16 MiB.
pub const DEFAULT_MAX_CHUNK: usize = 16 * 1024 * 1024;

impl ChunkedBodyVerifier {
    fn new(
        mode: StreamingMode,
        signer: Option<ChunkSigner>,
        expected_len: Option<u64>,
        declared_trailer: Option<String>,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Self {
        ChunkedBodyVerifier {
            mode,
            signer,
            state: ChunkState::Header,
            line: Vec::new(),
            chunk_hash: Sha256::new(),
            pending_sig: None,
            index: 0,
            decoded: 0,
            expected_len,
            declared_trailer,
            checksum: checksum.map(ChecksumAlgorithm::checksum),
            trailers: Vec::new(),
            trailer_sig: None,
            short_chunk: false,
            verified: 0,
            max_chunk: DEFAULT_MAX_CHUNK as u64,
        }
    }

    /// Refuses chunks larger than `max` bytes (default 16 MiB). This bounds the memory of
    /// consumers that hold back a chunk's data until it is verified, such as
    /// `VerifiedBody` (feature `http-body`).
    pub fn with_max_chunk_size(mut self, max: u64) -> Self {
        self.max_chunk = max;
        self
    }

    /// How many leading decoded bytes are covered by a verified chunk signature (signed
    /// modes); in the unsigned mode every decoded byte counts, as nothing signs the
    /// chunks (the trailer checksum is checked at the end).
    pub fn verified_len(&self) -> u64 {
        self.verified
    }

    /// How many chunks have been verified (the final empty chunk included).
    pub fn chunk_count(&self) -> u64 {
        self.index
    }

    /// The decoded bytes so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Whether the whole body, trailer included, has been verified.
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// The trailers received (names lowercase), once done.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// Feeds received bytes; appends decoded data to `out`. After an error every call fails.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkVerifyError> {
        let r = (|| {
            while !data.is_empty() {
                match self.state {
                    ChunkState::Failed => {
                        return Err(ChunkVerifyError::Malformed(
                            "an earlier error stopped the body".into(),
                        ))
                    }
                    ChunkState::Done => {
                        return Err(ChunkVerifyError::Malformed(
                            "data after the end of the body".into(),
                        ))
                    }
                    ChunkState::Data { remaining } => {
                        let n = (remaining.min(data.len() as u64)) as usize;
                        self.chunk_hash.update(&data[..n]);
                        if let Some(c) = &mut self.checksum {
                            c.update(&data[..n]);
                        }
                        out.extend_from_slice(&data[..n]);
                        self.decoded += n as u64;
                        if let Some(exp) = self.expected_len {
                            if self.decoded > exp {
                                return Err(ChunkVerifyError::LengthMismatch {
                                    expected: exp,
                                    actual: self.decoded,
                                });
                            }
                        }
                        data = &data[n..];
                        if !self.mode.is_signed() {
                            self.verified = self.decoded;
                        }
                        let remaining = remaining - n as u64;
                        self.state = if remaining == 0 {
                            ChunkState::DataEnd
                        } else {
                            ChunkState::Data { remaining }
                        };
                    }
                    ChunkState::Header | ChunkState::DataEnd | ChunkState::Trailer => {
                        let Some(pos) = data.iter().position(|&b| b == b'\n') else {
                            self.line.extend_from_slice(data);
                            if self.line.len() > MAX_LINE {
                                return Err(ChunkVerifyError::Malformed(
                                    "a line is too long".into(),
                                ));
                            }
                            return Ok(());
                        };
                        self.line.extend_from_slice(&data[..=pos]);
                        data = &data[pos + 1..];
                        if self.line.len() > MAX_LINE {
                            return Err(ChunkVerifyError::Malformed("a line is too long".into()));
                        }
                        let line = std::mem::take(&mut self.line);
                        let Some(line) = line.strip_suffix(b"\r\n") else {
                            return Err(ChunkVerifyError::Malformed(
                                "lines must end with CRLF".into(),
                            ));
                        };
                        self.on_line(line)?;
                    }
                }
            }
            Ok(())
        })();
        if r.is_err() {
            self.state = ChunkState::Failed;
        }
        r
    }

    /// Ends the body: fails if it is incomplete.
    pub fn finish(&mut self) -> Result<(), ChunkVerifyError> {
        if self.state == ChunkState::Done {
            Ok(())
        } else {
            self.state = ChunkState::Failed;
            Err(ChunkVerifyError::Incomplete)
        }
    }

    fn on_line(&mut self, line: &[u8]) -> Result<(), ChunkVerifyError> {
        match self.state {
            ChunkState::DataEnd => {
                if !line.is_empty() {
                    return Err(ChunkVerifyError::Malformed(
                        "chunk data must be followed by CRLF".into(),
                    ));
                }
                self.end_chunk()?;
                self.state = ChunkState::Header;
            }
            ChunkState::Header => {
                let text = std::str::from_utf8(line).map_err(|_| {
                    ChunkVerifyError::Malformed("a chunk header is not text".into())
                })?;
                let (size, ext) = match text.split_once(';') {
                    Some((s, e)) => (s, Some(e)),
                    None => (text, None),
                };
                if size.is_empty()
                    || size.len() > 15
                    || !size.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return Err(ChunkVerifyError::Malformed(
                        "a chunk size must be hex digits".into(),
                    ));
                }
                let size = u64::from_str_radix(size, 16)
                    .map_err(|_| ChunkVerifyError::Malformed("bad chunk size".into()))?;
                self.pending_sig = match (self.mode.is_signed(), ext) {
                    (true, Some(e)) => {
                        let sig = e.strip_prefix("chunk-signature=").ok_or_else(|| {
                            ChunkVerifyError::Malformed("expected ;chunk-signature=<64 hex>".into())
                        })?;
                        Some(parse_sig(sig)?)
                    }
                    (true, None) => {
                        return Err(ChunkVerifyError::Malformed(
                            "a chunk has no chunk-signature".into(),
                        ))
                    }
                    (false, Some(_)) => {
                        return Err(ChunkVerifyError::Malformed(
                            "unsigned chunks carry no extensions".into(),
                        ))
                    }
                    (false, None) => None,
                };
                if self.short_chunk && size > 0 {
                    return Err(ChunkVerifyError::Malformed(
                        "only the last data chunk may be shorter than 8 KiB".into(),
                    ));
                }
                // S3's 8 KiB minimum applies to signed chunks; SDKs send unsigned-trailer
                // bodies one chunk per body frame, of any size.
                if self.mode.is_signed() && size > 0 && size < crate::chunked::MIN_CHUNK_SIZE as u64
                {
                    self.short_chunk = true;
                }
                self.chunk_hash = Sha256::new();
                if size > self.max_chunk {
                    return Err(ChunkVerifyError::Malformed(format!(
                        "a chunk of {size} bytes is larger than the {} allowed",
                        self.max_chunk
                    )));
                }
                if size == 0 {
                    // The final chunk: no data, its CRLF is the trailer section's end or
                    // the start of trailer lines.
                    self.end_chunk()?;
                    if let Some(exp) = self.expected_len {
                        if exp != self.decoded {
                            return Err(ChunkVerifyError::LengthMismatch {
                                expected: exp,
                                actual: self.decoded,
                            });
                        }
                    }
                    self.state = ChunkState::Trailer;
                } else {
                    self.state = ChunkState::Data { remaining: size };
                }
            }
            ChunkState::Trailer => {
                if line.is_empty() {
                    self.end_trailer()?;
                    self.state = ChunkState::Done;
                    return Ok(());
                }
                if !self.mode.has_trailer() {
                    return Err(ChunkVerifyError::Malformed(
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD has no trailer".into(),
                    ));
                }
                let text = std::str::from_utf8(line)
                    .map_err(|_| ChunkVerifyError::Malformed("a trailer is not text".into()))?;
                let (name, value) = text.split_once(':').ok_or_else(|| {
                    ChunkVerifyError::Malformed("a trailer must be name:value".into())
                })?;
                let name = name.trim().to_ascii_lowercase();
                let value = value.trim();
                if name == "x-amz-trailer-signature" {
                    if self.mode != StreamingMode::SignedWithTrailer || self.trailer_sig.is_some() {
                        return Err(ChunkVerifyError::Malformed(
                            "unexpected x-amz-trailer-signature".into(),
                        ));
                    }
                    self.trailer_sig = Some(parse_sig(value)?);
                } else {
                    if self.trailer_sig.is_some() {
                        return Err(ChunkVerifyError::Malformed(
                            "x-amz-trailer-signature must be the last trailer".into(),
                        ));
                    }
                    if self.trailers.len() >= 8 {
                        return Err(ChunkVerifyError::Malformed("too many trailers".into()));
                    }
                    self.trailers.push((name, value.to_owned()));
                }
            }
            ChunkState::Data { .. } | ChunkState::Done | ChunkState::Failed => {}
        }
        Ok(())
    }

    fn end_chunk(&mut self) -> Result<(), ChunkVerifyError> {
        let hash: [u8; 32] = std::mem::take(&mut self.chunk_hash).finalize().into();
        if self.mode.is_signed() {
            // A signed mode without a signer refuses every chunk rather than skip the check.
            let want = self.pending_sig.take();
            let ok = match (&mut self.signer, want) {
                (Some(signer), Some(want)) => {
                    bool::from(signer.sign_chunk_hash(&hash).as_bytes().ct_eq(&want))
                }
                _ => false,
            };
            if !ok {
                return Err(ChunkVerifyError::ChunkSignatureMismatch { index: self.index });
            }
        }
        self.index += 1;
        self.verified = self.decoded;
        Ok(())
    }

    fn end_trailer(&mut self) -> Result<(), ChunkVerifyError> {
        if let Some(declared) = &self.declared_trailer {
            if !self.trailers.iter().any(|(n, _)| n == declared) {
                return Err(ChunkVerifyError::Malformed(format!(
                    "the trailer {declared:?} declared in x-amz-trailer is missing"
                )));
            }
        }
        if let Some(t) = self
            .trailers
            .iter()
            .find(|(n, _)| Some(n) != self.declared_trailer.as_ref())
        {
            return Err(ChunkVerifyError::Malformed(format!(
                "the trailer {:?} was not declared in x-amz-trailer",
                truncate(&t.0)
            )));
        }
        if self.mode == StreamingMode::SignedWithTrailer {
            let want = self.trailer_sig.ok_or_else(|| {
                ChunkVerifyError::Malformed("x-amz-trailer-signature is missing".into())
            })?;
            let mut canonical = Vec::new();
            for (n, v) in &self.trailers {
                canonical.extend_from_slice(n.as_bytes());
                canonical.push(b':');
                canonical.extend_from_slice(v.as_bytes());
                canonical.push(b'\n');
            }
            let ok = match &mut self.signer {
                Some(signer) => bool::from(signer.sign_trailer(&canonical).as_bytes().ct_eq(&want)),
                None => false,
            };
            if !ok {
                return Err(ChunkVerifyError::TrailerSignatureMismatch);
            }
        }
        if let Some(c) = self.checksum.take() {
            let name = c.algorithm().header_name();
            let computed = c.finalize();
            let got = self
                .trailers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str());
            if got != Some(computed.as_str()) {
                return Err(ChunkVerifyError::ChecksumMismatch {
                    name: name.to_owned(),
                });
            }
        }
        Ok(())
    }
}

fn parse_sig(s: &str) -> Result<[u8; 64], ChunkVerifyError> {
    let b = s.as_bytes();
    if b.len() != 64 || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ChunkVerifyError::Malformed(
            "a signature must be 64 lowercase hex digits".into(),
        ));
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(b);
    Ok(out)
}

impl fmt::Debug for ChunkedBodyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedBodyVerifier")
            .field("mode", &self.mode)
            .field("state", &self.state)
            .field("chunks", &self.index)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "http-body")]
pub use body::VerifiedBody;

#[cfg(feature = "http-body")]
mod body {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::{Buf, Bytes, BytesMut};
    use http_body::{Body, Frame};

    use super::{ChunkVerifyError, ChunkedBodyVerifier};

    /// An [`http_body::Body`] that decodes and verifies an incoming aws-chunked body,
    /// yielding only data whose chunk signature has been checked (it holds back at most
    /// one chunk, bounded by [`ChunkedBodyVerifier::with_max_chunk_size`]). It fails at the
    /// first bad chunk, and at the end if the final chunk, trailer or length is wrong, so a
    /// consumer that stops at the first error never sees unverified data.
    ///
    /// Errors of the inner body pass through; verification errors become the inner error
    /// type through `From<ChunkVerifyError>`. HTTP trailers of the inner body are ignored
    /// (aws-chunked carries its trailer inside the body).
    #[derive(Debug)]
    pub struct VerifiedBody<B> {
        inner: B,
        verifier: ChunkedBodyVerifier,
        pending: Vec<u8>,
        held: BytesMut,
        emitted: u64,
        inner_done: bool,
        done: bool,
    }

    impl<B> VerifiedBody<B> {
        /// Decodes `inner` with `verifier` (from [`super::Verified::chunked_body`]).
        pub fn new(inner: B, verifier: ChunkedBodyVerifier) -> Self {
            VerifiedBody {
                inner,
                verifier,
                pending: Vec::new(),
                held: BytesMut::new(),
                emitted: 0,
                inner_done: false,
                done: false,
            }
        }

        /// The verifier (for the trailers once the body is done).
        pub fn verifier(&self) -> &ChunkedBodyVerifier {
            &self.verifier
        }
    }

    impl<B> Body for VerifiedBody<B>
    where
        B: Body + Unpin,
        B::Error: From<ChunkVerifyError>,
    {
        type Data = Bytes;
        type Error = B::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
            let this = &mut *self;
            loop {
                if this.done {
                    return Poll::Ready(None);
                }
                let ready = this.verifier.verified_len().saturating_sub(this.emitted);
                if ready > 0 {
                    let n = usize::try_from(ready)
                        .unwrap_or(usize::MAX)
                        .min(this.held.len());
                    if n > 0 {
                        this.emitted += n as u64;
                        return Poll::Ready(Some(Ok(Frame::data(this.held.split_to(n).freeze()))));
                    }
                }
                if this.inner_done {
                    this.done = true;
                    return Poll::Ready(None);
                }
                match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => {
                        this.inner_done = true;
                        if let Err(e) = this.verifier.finish() {
                            this.done = true;
                            return Poll::Ready(Some(Err(e.into())));
                        }
                    }
                    Poll::Ready(Some(Err(e))) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Ok(mut data) = frame.into_data() {
                            while data.has_remaining() {
                                let chunk = data.chunk();
                                let n = chunk.len();
                                this.pending.clear();
                                if let Err(e) = this.verifier.push(chunk, &mut this.pending) {
                                    this.done = true;
                                    this.held.clear();
                                    return Poll::Ready(Some(Err(e.into())));
                                }
                                this.held.extend_from_slice(&this.pending);
                                data.advance(n);
                            }
                        }
                    }
                }
            }
        }

        fn is_end_stream(&self) -> bool {
            self.done
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_mode_without_a_signer_refuses_chunks_instead_of_skipping_them() {
        // Unreachable through `Verified::chunked_body`, which always has a signer for a
        // signed mode; the decoder itself must still fail closed.
        let body = format!("5;chunk-signature={}\r\nhello\r\n", "0".repeat(64));
        let mut v = ChunkedBodyVerifier::new(StreamingMode::Signed, None, Some(5), None, None);
        let mut out = Vec::new();
        assert_eq!(
            v.push(body.as_bytes(), &mut out),
            Err(ChunkVerifyError::ChunkSignatureMismatch { index: 0 })
        );
        assert_eq!(v.verified_len(), 0);
    }

    #[test]
    fn http_dates() {
        let t = parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").unwrap();
        assert_eq!(t.date_time(), "20150830T123600Z");
        assert!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC").is_none());
        assert!(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT").is_none());
        assert!(parse_http_date("").is_none());
        assert!(parse_http_date("Sun, 3ሴ Aug 2015 12:36:00 GM").is_none());
    }

    #[test]
    fn authorization_parsing_is_strict() {
        let ok = "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";
        assert!(parse_authorization(ok.as_bytes()).is_ok());
        let no_space = ok.replace(", ", ",");
        assert!(parse_authorization(no_space.as_bytes()).is_ok());
        for bad in [
            ok.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"),
            ok.replace("host;x-amz-date", "x-amz-date;host"),
            ok.replace("host;x-amz-date", "host;host"),
            ok.replace("host;x-amz-date", "Host;x-amz-date"),
            ok.replace("host;x-amz-date", "host;;x-amz-date"),
            ok.replace("Signature=0", "Signature=A"),
            ok.replace("Signature=00", "Signature=0"),
            ok.replace("/aws4_request", ""),
            ok.replace("20150830", "2015083"),
            ok.replace("Credential=AK", "Credential="),
            format!("{ok}, Signature=00"),
            format!("{ok}, Foo=1"),
            ok.replace(", SignedHeaders=host;x-amz-date", ""),
        ] {
            assert!(
                matches!(
                    parse_authorization(bad.as_bytes()),
                    Err(VerifyError::AuthorizationHeaderMalformed(_))
                ),
                "{bad}"
            );
        }
    }
}
