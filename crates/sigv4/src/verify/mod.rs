//! Server-side verification of SigV4 requests: the other half of signing.
//!
//! A [`Verifier`] knows which service (and which regions) it accepts requests for. Given an
//! incoming request ([`VerifiableRequest`]: method, target, headers and, when it has been
//! read, the body), a credential lookup by access key id and the current time, it
//!
//! 1. finds the signature: an `Authorization: AWS4-HMAC-SHA256 ...` header, or the
//!    `X-Amz-*` query parameters of a presigned URL (never both), and parses it strictly;
//!    with feature `sigv4a`, SigV4a (`AWS4-ECDSA-P256-SHA256`) too: its credential scope
//!    has no region, and its signed region set (`x-amz-region-set` or
//!    `X-Amz-Region-Set`: `*`, `us-east-1,us-west-2`, `us-*`) must cover a region the
//!    verifier accepts; the ECDSA signature is checked with the public key derived from
//!    the secret (cached per access key). Its aws-chunked payloads
//!    (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`) are checked by the same
//!    [`ChunkedBodyVerifier`] as SigV4's, with ECDSA chunk signatures; SigV4a event
//!    streams are refused;
//! 2. checks the credential scope (date, region, service, `aws4_request`), that `host` and
//!    the date header are signed, that every `x-amz-*` header is signed, and the time
//!    (clock skew for headers, validity window for presigned URLs), all before any lookup;
//! 3. looks the access key up ([`CredentialLookup`] or [`AsyncCredentialLookup`]), checks
//!    the session token, rebuilds the canonical request and string to sign with the same
//!    building blocks the signer uses, and compares signatures in constant time;
//! 4. when the body is available, checks it against `x-amz-content-sha256`.
//!
//! A presigned URL can be checked whole with [`VerifiableRequest::from_url`]. A server in
//! front of an application should also make sure the application acts on the request that
//! was verified: see [`edge`] (done by `sigv4_http`'s `VerifyLayer`).
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
//! checksum). [`ChunkedBodyVerifier`] is one framing machine for SigV4 (HMAC-SHA256) and
//! SigV4a (ECDSA P-256, [`ChunkedBodyVerifier::sigv4a`]) bodies: only the signature check
//! differs. With the `http-body` feature, `VerifiedBody` wraps an incoming
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

mod chunk_signature;
mod chunked;
#[cfg(feature = "http-body")]
mod chunked_body;
pub mod edge;
mod error;
#[cfg(all(feature = "event-stream", feature = "http"))]
mod eventstream;
mod lookup;
mod mode;
mod parse;
mod request;
mod scope;
mod signature;
mod verified;
mod verifier;

pub use chunked::{ChunkedBodyVerifier, DEFAULT_MAX_CHUNK};
#[cfg(feature = "http-body")]
pub use chunked_body::VerifiedBody;
pub use error::{AuthMode, ChunkVerifyError, ScopePart, SignatureMismatch, VerifyError};
#[cfg(all(feature = "event-stream", feature = "http"))]
pub use eventstream::{verify_opening_request, OpeningRequestError};
pub use lookup::{AsyncCredentialLookup, CredentialLookup, LookupError};
pub use request::{VerifiableRequest, VerifyBody};
pub use verified::{Verified, VerifiedPayload};
pub use verifier::{Verifier, DEFAULT_MAX_SKEW};

/// The longest `Authorization` header or presigned parameter value the parser looks at.
const MAX_AUTH_LEN: usize = 16 * 1024;

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
