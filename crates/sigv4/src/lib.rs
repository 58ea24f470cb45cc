//! # sigv4
//!
//! AWS Signature Version 4, correct to the byte and fast, with every step
//! inspectable. This crate is the pure core: it does no I/O, reads no clock,
//! environment or file. Time and credentials are passed in.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canonical_request;
mod credentials;
mod encoding;
mod error;
#[cfg(feature = "http")]
mod http_request;
pub mod infer;
mod request;
mod settings;
mod sign;
mod signing_key;
mod time;

pub use credentials::Credentials;
pub use encoding::{hex, sha256_hex};
pub use error::SigningError;
pub use request::SignableRequest;
pub use settings::{
    HeaderSelection, Payload, SessionTokenHeader, SessionTokenMode, SignatureLocation,
    SigningSettings, DEFAULT_EXCLUDED_HEADERS, STREAMING_SIGNED_PAYLOAD,
    STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
pub use sign::{Signer, SigningOutput, ALGORITHM, MAX_PRESIGN_EXPIRES_SECS};
pub use signing_key::SigningKey;
pub use time::AmzDate;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

// -- modules added by other work (keep one line each, alphabetical) --
pub mod chunked;
#[cfg(feature = "post-policy")]
pub mod post_policy;
#[cfg(feature = "sigv4a")]
pub mod sigv4a;
pub mod verify;
