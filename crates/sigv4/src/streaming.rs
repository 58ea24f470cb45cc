//! The aws-chunked building blocks shared by the encoder ([`crate::chunked`]) and the
//! verifier ([`crate::verify`]): the streaming modes, the chunk sizes, the framing's
//! fixed strings, the SigV4a signature field and the setup error. Both sides import them
//! from here, so `chunked` can re-export the verifier's old names without an import
//! circle (`chunked` -> `verify` -> `streaming`).

use std::fmt;

use crate::settings::{
    STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};
use crate::{Payload, SigningError};

/// The default chunk size, 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// The smallest chunk S3 accepts for every chunk but the last, 8 KiB.
pub const MIN_CHUNK_SIZE: usize = 8 * 1024;

/// The largest chunk size accepted here, 16 MiB (the encoder buffers one chunk).
pub const MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;

/// `;chunk-signature=`
pub(crate) const CHUNK_SIGNATURE: &str = ";chunk-signature=";

/// `x-amz-trailer-signature`
pub(crate) const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// The algorithm line of a SigV4 chunk's string to sign.
pub(crate) const HMAC_CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";

/// The algorithm line of a SigV4 trailer's string to sign.
pub(crate) const HMAC_TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";

/// Why a streaming body could not be set up or encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkedError {
    /// The chunk size is below 8 KiB or above 16 MiB.
    InvalidChunkSize(usize),
    /// A checksum trailer was asked for with [`StreamingMode::Signed`], which has no trailer.
    TrailerNotSupported,
    /// A signed mode was used without a [`ChunkSigner`](crate::chunked::ChunkSigner).
    MissingSigner(&'static str),
    /// A [`ChunkSigner`](crate::chunked::ChunkSigner) was given for the unsigned mode.
    UnexpectedSigner,
    /// The seed signature is not 64 lowercase hex digits.
    InvalidSeedSignature,
    /// The signing key or time does not fit.
    Signing(SigningError),
    /// The body was longer or shorter than declared in `x-amz-decoded-content-length`.
    LengthMismatch {
        /// The declared length.
        expected: u64,
        /// The bytes actually seen (so far, when the body is too long).
        actual: u64,
    },
    /// A chunk shorter than 8 KiB was followed by another one: only the last may be short.
    ShortChunkNotLast(usize),
    /// Data was pushed after [`ChunkEncoder::finish`](crate::chunked::ChunkEncoder::finish).
    Finished,
    /// The settings and the signer (or signing function) are for different algorithms:
    /// SigV4a settings (`ChunkedSettings::sigv4a`) need a `SigV4aChunkSigner`, SigV4
    /// settings a [`ChunkSigner`](crate::chunked::ChunkSigner).
    SignerMismatch(&'static str),
    /// SigV4a signing failed (the request or the key).
    SigV4a(String),
}

// Written by hand (no thiserror): the core has no proc-macro dependencies.
impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkedError::InvalidChunkSize(n) => write!(
                f,
                "chunk size {n} is out of range: it must be 8192 bytes (8 KiB) to 16 MiB"
            ),
            ChunkedError::TrailerNotSupported => f.write_str(
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD has no trailer: use StreamingMode::SignedWithTrailer to send a checksum",
            ),
            ChunkedError::MissingSigner(mode) => {
                write!(f, "{mode} needs a ChunkSigner (seed signature and signing key)")
            }
            ChunkedError::UnexpectedSigner => f.write_str(
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER does not sign chunks: pass no ChunkSigner",
            ),
            ChunkedError::InvalidSeedSignature => f.write_str(
                "the seed signature must be the 64 lowercase hex digits of the request's signature",
            ),
            ChunkedError::Signing(e) => fmt::Display::fmt(e, f),
            ChunkedError::LengthMismatch { expected, actual } => write!(
                f,
                "the body is {actual} bytes but {expected} were declared in x-amz-decoded-content-length"
            ),
            ChunkedError::ShortChunkNotLast(n) => write!(
                f,
                "a chunk of {n} bytes was not the last one: every chunk but the last must be at least 8 KiB"
            ),
            ChunkedError::Finished => f.write_str("the chunked body is already finished"),
            ChunkedError::SignerMismatch(why) => f.write_str(why),
            ChunkedError::SigV4a(e) => write!(f, "SigV4a signing failed: {e}"),
        }
    }
}

impl std::error::Error for ChunkedError {}

impl From<SigningError> for ChunkedError {
    fn from(e: SigningError) -> Self {
        ChunkedError::Signing(e)
    }
}

/// Which aws-chunked variant to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamingMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed, no trailer.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: every chunk signed, plus a signed trailer.
    SignedWithTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks and a plain trailer (TLS protects them).
    UnsignedWithTrailer,
}

impl StreamingMode {
    /// The value of `x-amz-content-sha256` (and of the canonical request's payload line).
    pub fn content_sha256(self) -> &'static str {
        match self {
            StreamingMode::Signed => STREAMING_SIGNED_PAYLOAD,
            StreamingMode::SignedWithTrailer => STREAMING_SIGNED_PAYLOAD_TRAILER,
            StreamingMode::UnsignedWithTrailer => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        }
    }

    /// The [`Payload`] to sign the request headers with.
    pub fn payload(self) -> Payload<'static> {
        match self {
            StreamingMode::Signed => Payload::StreamingSigned,
            StreamingMode::SignedWithTrailer => Payload::StreamingSignedTrailer,
            StreamingMode::UnsignedWithTrailer => Payload::StreamingUnsignedTrailer,
        }
    }

    /// Whether each chunk carries a signature.
    pub fn is_signed(self) -> bool {
        !matches!(self, StreamingMode::UnsignedWithTrailer)
    }

    /// Whether the body may end with a trailer.
    pub fn has_trailer(self) -> bool {
        !matches!(self, StreamingMode::Signed)
    }

    /// The mode for an `x-amz-content-sha256` value, if it is one of the three markers.
    pub fn from_content_sha256(value: &str) -> Option<Self> {
        match value {
            STREAMING_SIGNED_PAYLOAD => Some(StreamingMode::Signed),
            STREAMING_SIGNED_PAYLOAD_TRAILER => Some(StreamingMode::SignedWithTrailer),
            STREAMING_UNSIGNED_PAYLOAD_TRAILER => Some(StreamingMode::UnsignedWithTrailer),
            _ => None,
        }
    }
}

// The SigV4a forms of the markers and of the signature field (feature `sigv4a`).

/// `x-amz-content-sha256` of a SigV4a streaming upload with signed chunks.
#[cfg(feature = "sigv4a")]
pub const STREAMING_ECDSA_PAYLOAD: &str = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";

/// `x-amz-content-sha256` of a SigV4a streaming upload with signed chunks and a signed trailer.
#[cfg(feature = "sigv4a")]
pub const STREAMING_ECDSA_PAYLOAD_TRAILER: &str =
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER";

/// The algorithm line of a SigV4a chunk's string to sign.
#[cfg(feature = "sigv4a")]
pub const ECDSA_CHUNK_ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256-PAYLOAD";

/// The algorithm line of a SigV4a trailer's string to sign.
#[cfg(feature = "sigv4a")]
pub const ECDSA_TRAILER_ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256-TRAILER";

/// The width of a SigV4a chunk or trailer signature in the body: the hex of the longest
/// DER ECDSA P-256 signature (72 bytes), shorter ones right-padded with `*`.
#[cfg(feature = "sigv4a")]
pub const ECDSA_SIGNATURE_FIELD_LEN: usize = 144;

/// The padding byte of SigV4a chunk and trailer signatures.
#[cfg(feature = "sigv4a")]
pub const ECDSA_SIGNATURE_PADDING: u8 = b'*';

/// Removes the `*` padding from a SigV4a chunk or trailer signature.
#[cfg(feature = "sigv4a")]
pub fn trim_padding(signature: &str) -> &str {
    signature.trim_end_matches(ECDSA_SIGNATURE_PADDING as char)
}

/// Whether `s` is the lowercase hex of a DER ECDSA P-256 signature (8 to 72 bytes).
#[cfg(feature = "sigv4a")]
pub(crate) fn is_der_hex(s: &str) -> bool {
    (16..=ECDSA_SIGNATURE_FIELD_LEN).contains(&s.len())
        && s.len().is_multiple_of(2)
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
