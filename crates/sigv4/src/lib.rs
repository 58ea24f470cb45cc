//! # sigv4
//!
//! AWS Signature Version 4, correct to the byte and fast, with every step
//! inspectable. This crate is the pure core: it does no I/O, reads no clock,
//! environment or file. Time and credentials are passed in.
//!
//! ## Quick start
//!
//! One [`Signer`] per region and service (it caches the day's signing key and is shared
//! between threads by reference). Sign an `http::Request` in place:
//!
//! ```
//! use std::time::SystemTime;
//! use sigv4::{Credentials, Signer};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
//! let signer = Signer::new("us-east-1", "execute-api")?;
//!
//! let mut request = http::Request::post("https://abc123.execute-api.us-east-1.amazonaws.com/prod/items")
//!     .header("content-type", "application/json")
//!     .body(br#"{"name":"cat"}"#.to_vec())
//!     .unwrap();
//! let out = signer.sign_http_request(&mut request, &creds, SystemTime::now())?;
//! // host, x-amz-date and authorization are set; every step can be looked at.
//! assert!(request.headers()["authorization"].to_str().unwrap().starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
//! println!("{}\n\n{}", out.canonical_request(), out.string_to_sign());
//! # Ok::<(), sigv4::SigningError>(())
//! ```
//!
//! A presigned URL, whole ([`Signer::presign_url`]; an existing query is kept, and
//! [`uri_encode_path`] encodes an S3 key for the URL):
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use sigv4::{Credentials, Signer, SigningSettings};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
//! let s3 = Signer::new("eu-west-1", "s3")?
//!     .with_settings(SigningSettings::s3().presigned(Duration::from_secs(3600)));
//! let url = format!("https://my-bucket.s3.eu-west-1.amazonaws.com/{}?versionId=3", sigv4::uri_encode_path("reports/2024 Q1.csv"));
//! let presigned = s3.presign_url("GET", &url, &creds, SystemTime::now())?;
//! assert!(presigned.starts_with("https://my-bucket.s3.eu-west-1.amazonaws.com/reports/2024%20Q1.csv?versionId=3&X-Amz-"));
//! # Ok::<(), sigv4::SigningError>(())
//! ```
//!
//! Any other HTTP stack: describe the request with a borrowed [`SignableRequest`] and add
//! [`SigningOutput::headers`] (lowercase names) to it yourself:
//!
//! ```
//! use std::time::SystemTime;
//! use sigv4::{Credentials, Payload, SignableRequest, Signer};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
//! let signer = Signer::new("us-east-1", "sts")?;
//! let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let request = SignableRequest::new(
//!     "POST",
//!     "https://sts.us-east-1.amazonaws.com/",
//!     [("content-type", "application/x-www-form-urlencoded".as_bytes())],
//!     Payload::Bytes(body),
//! );
//! let out = signer.sign(&request, &creds, SystemTime::now())?;
//! for (name, value) in out.headers() {
//!     assert_eq!(name, name.to_ascii_lowercase());
//!     // my_client_request.header(name, value);
//! }
//! # Ok::<(), sigv4::SigningError>(())
//! ```
//!
//! ## What else is here
//!
//! * Payloads ([`Payload`]): the body's bytes (hashed), a precomputed hash,
//!   `UNSIGNED-PAYLOAD`, or a streaming marker. Whenever the signed payload line is not
//!   the hash of the body sent, header-mode signing adds and signs `x-amz-content-sha256`
//!   so that the server can verify it, for every service.
//! * Settings ([`SigningSettings`]): S3 or default URI rules, presigning, session token
//!   modes, which headers are signed.
//! * Delegation: a [`ScopedKey`] signs for one day, region and service without the secret
//!   ([`Signer::scoped_key`], [`Signer::sign_http_request_scoped`]).
//! * [`chunked`]: aws-chunked streaming uploads with signed chunks and checksum trailers.
//! * `sigv4a` (feature `sigv4a`, default): SigV4a, ECDSA P-256, multi-region.
//! * `post_policy` (feature `post-policy`, default): S3 POST policies for browser uploads.
//! * [`verify`]: the server side, a verifier with AWS error codes and explanations.
//!
//! Credentials from the environment, profiles, SSO, containers or instance metadata come
//! from the `sigv4-rs-credentials` crate; the reqwest middleware, tower layers and a blocking
//! signer from `sigv4-rs-http`.
//!
//! ## Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `http` | yes | sign `http::Request` values in place |
//! | `sigv4a` | yes | the `sigv4a` module (SigV4a, ECDSA P-256) |
//! | `checksums` | yes | checksum trailers of aws-chunked uploads |
//! | `post-policy` | yes | the `post_policy` module (S3 POST policies) |
//! | `http-body` | no | an `http_body::Body` adapter for aws-chunked uploads |
//!
//! Build the documentation with every feature, as docs.rs does:
//! `cargo doc --no-deps --all-features`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod canonical_headers;
pub mod canonical_request;
mod checksum;
mod credentials;
mod encoding;
mod error;
mod errors;
#[cfg(feature = "http")]
mod http_request;
pub mod infer;
mod request;
mod scoped_key;
mod settings;
mod sign;
mod signature;
mod signing_key;
mod streaming;
pub mod string_to_sign;
mod time;

pub use credentials::Credentials;
pub use encoding::{hex, sha256_hex, uri_encode_path};
pub use error::SigningError;
pub use errors::{Error, ErrorCode, UnknownErrorCode};
pub use request::SignableRequest;
pub use scoped_key::ScopedKey;
pub use settings::{
    is_s3, is_signing_query_param, HeaderSelection, Payload, QueryPlus, SessionTokenHeader,
    SessionTokenMode, SignatureLocation, SigningSettings, UriRules, DEFAULT_EXCLUDED_HEADERS,
    SIGNING_QUERY_PARAMS, STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
pub use sign::{Signer, SigningOutput, DEFAULT_PRESIGN_EXPIRES_SECS, MAX_PRESIGN_EXPIRES_SECS};
pub use signature::ALGORITHM;
pub use signing_key::SigningKey;
pub use time::{AmzDate, SigningTime};

/// This crate's README examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

// -- modules added by other work (keep one line each, alphabetical) --
pub mod build_info;
pub mod chunked;
pub mod error_chain;
#[cfg(feature = "event-stream")]
pub mod eventstream;
#[cfg(feature = "post-policy")]
pub mod post_policy;
#[cfg(feature = "sigv4a")]
pub mod sigv4a;
pub mod verify;
