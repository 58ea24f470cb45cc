//! aws-chunked streaming uploads: sign a body chunk by chunk, in constant memory.
//!
//! S3 accepts a body whose length is not known to the signer in advance, or that should not
//! be read twice, as a sequence of chunks (`content-encoding: aws-chunked`). The request
//! headers are signed first with a streaming marker instead of the payload hash; that
//! signature is the *seed*. Each chunk then carries its own signature, chained to the one
//! before it, and the body ends with a zero-length chunk and, optionally, a trailer with a
//! checksum of the whole body.
//!
//! Three modes exist ([`StreamingMode`]):
//!
//! | mode | `x-amz-content-sha256` | chunks | trailer |
//! |---|---|---|---|
//! | [`Signed`](StreamingMode::Signed) | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` | signed | none |
//! | [`SignedWithTrailer`](StreamingMode::SignedWithTrailer) | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` | signed | signed |
//! | [`UnsignedWithTrailer`](StreamingMode::UnsignedWithTrailer) | `STREAMING-UNSIGNED-PAYLOAD-TRAILER` | plain | plain |
//!
//! The pieces:
//!
//! * [`ChunkedSettings`]: mode, chunk size and trailer checksum. It computes the headers
//!   to add before signing, including the exact encoded `content-length`
//!   ([`ChunkedSettings::encoded_length`]).
//! * [`ChunkSigner`]: the signature chain (seed, each chunk, the trailer).
//! * [`ChunkEncoder`]: a sans-I/O encoder: feed body bytes, get encoded frames.
//! * [`ChunkedReader`]: a blocking [`std::io::Read`] adapter over any reader.
//! * `ChunkedBody` (feature `http-body`): an `http_body::Body` adapter.
//!
//! ```
//! use std::io::Read;
//! use std::time::{Duration, UNIX_EPOCH};
//! use sigv4::chunked::{ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedReader, ChunkedSettings, StreamingMode};
//! use sigv4::{AmzDate, SigningKey};
//!
//! let body = vec![b'a'; 10 * 1024];
//! let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
//!     .with_chunk_size(8 * 1024)?
//!     .with_checksum(ChecksumAlgorithm::Crc32)?;
//! // 1. Add these headers to the request, then sign it with the payload marker
//! //    (`Payload::StreamingSignedTrailer`) to get the seed signature.
//! let headers = settings.headers(body.len() as u64);
//! assert!(headers.contains(&("content-length", "10624".to_string())));
//! let seed = "4d5247cc603cc816a7ab5272ed9e47cf173e45bc42bfa68e1181267dd0f0bf73"; // from signing
//! // 2. Stream the body through the encoder.
//! let time = AmzDate::parse("20090213T233130Z").unwrap();
//! let key = SigningKey::derive("notrealrnrELgWzOk3IfjzDKtFBhDby", time.date(), "us-east-1", "s3")?;
//! let signer = ChunkSigner::new(key, time, seed)?;
//! let encoder = ChunkEncoder::new(settings, Some(signer))?.with_expected_length(body.len() as u64);
//! let mut encoded = Vec::new();
//! ChunkedReader::new(&body[..], encoder).read_to_end(&mut encoded)?;
//! assert_eq!(encoded.len(), 10624);
//! assert!(encoded.starts_with(b"2000;chunk-signature=25851a3d29c435720498cdfd7540bb131ae653ea7371cb885f4fe1ba092d37f3\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Without the `checksums` feature `ChecksumAlgorithm` has no values, so the code that
// handles a trailer checksum is unreachable; the compiler says so, correctly.
#![cfg_attr(
    not(feature = "checksums"),
    allow(unreachable_code, unused_variables, unused_mut)
)]

use std::fmt;
use std::io::{self, Read};

#[cfg(feature = "checksums")]
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::encoding::hex_lower;
use crate::settings::{
    STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};
use crate::{AmzDate, Payload, SigningError, SigningKey};

/// The default chunk size, 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// The smallest chunk S3 accepts for every chunk but the last, 8 KiB.
pub const MIN_CHUNK_SIZE: usize = 8 * 1024;

/// The largest chunk size accepted here, 16 MiB (the encoder buffers one chunk).
pub const MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;

/// The SHA-256 of the empty string, part of every chunk's string to sign.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `;chunk-signature=`
const CHUNK_SIGNATURE: &str = ";chunk-signature=";

/// `x-amz-trailer-signature`
const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// Why a streaming body could not be set up or encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkedError {
    /// The chunk size is below 8 KiB or above 16 MiB.
    InvalidChunkSize(usize),
    /// A checksum trailer was asked for with [`StreamingMode::Signed`], which has no trailer.
    TrailerNotSupported,
    /// A signed mode was used without a [`ChunkSigner`].
    MissingSigner(&'static str),
    /// A [`ChunkSigner`] was given for the unsigned mode.
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
    /// Data was pushed after [`ChunkEncoder::finish`].
    Finished,
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

/// A checksum S3 accepts in a trailer.
///
/// The checksums need the `checksums` feature (on by default), which brings the CRC, SHA-1
/// and base64 crates. Without it this enum has no variants: aws-chunked bodies are still
/// signed, but carry no checksum trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, as in zlib), trailer `x-amz-checksum-crc32`.
    #[cfg(feature = "checksums")]
    Crc32,
    /// CRC-32C (Castagnoli), trailer `x-amz-checksum-crc32c`.
    #[cfg(feature = "checksums")]
    Crc32c,
    /// CRC-64/NVME, trailer `x-amz-checksum-crc64nvme`.
    #[cfg(feature = "checksums")]
    Crc64Nvme,
    /// SHA-1, trailer `x-amz-checksum-sha1`.
    #[cfg(feature = "checksums")]
    Sha1,
    /// SHA-256, trailer `x-amz-checksum-sha256`.
    #[cfg(feature = "checksums")]
    Sha256,
}

impl ChecksumAlgorithm {
    /// All algorithms.
    #[cfg(feature = "checksums")]
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// All algorithms (none without the `checksums` feature).
    #[cfg(not(feature = "checksums"))]
    pub const ALL: [ChecksumAlgorithm; 0] = [];

    /// The trailer (and header) name, such as `x-amz-checksum-crc32`.
    pub fn header_name(self) -> &'static str {
        match self {
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The name S3 uses in `x-amz-sdk-checksum-algorithm` / `x-amz-checksum-algorithm`, such as `CRC32`.
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32 => "CRC32",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32c => "CRC32C",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha1 => "SHA1",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// Parses a name as [`name`](Self::name) spells it (case-insensitive), or a trailer name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s) || a.header_name().eq_ignore_ascii_case(s))
    }

    /// The length of the raw digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc64Nvme => 8,
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha1 => 20,
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// The length of the base64 value in the trailer.
    pub fn encoded_len(self) -> usize {
        self.digest_len().div_ceil(3) * 4
    }

    /// A fresh incremental checksum.
    pub fn checksum(self) -> Checksum {
        let state = match self {
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32 => {
                State::Crc(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32IsoHdlc))
            }
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32c => {
                State::Crc(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi))
            }
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc64Nvme => {
                State::Crc(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme))
            }
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha256 => State::Sha256(Sha256::new()),
        };
        Checksum {
            algorithm: self,
            state,
        }
    }
}

/// An incremental checksum of a body, rendered as S3 wants it (base64 of the big-endian digest).
///
/// ```
/// use sigv4::chunked::ChecksumAlgorithm;
/// let mut c = ChecksumAlgorithm::Crc32.checksum();
/// c.update(b"123456789");
/// assert_eq!(c.finalize(), "y/Q5Jg=="); // 0xCBF43926
/// ```
#[derive(Clone)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    state: State,
}

#[derive(Clone)]
enum State {
    #[cfg(feature = "checksums")]
    Crc(crc_fast::Digest),
    #[cfg(feature = "checksums")]
    Sha1(sha1::Sha1),
    #[cfg(feature = "checksums")]
    Sha256(Sha256),
}

impl Checksum {
    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            #[cfg(feature = "checksums")]
            State::Crc(d) => d.update(data),
            #[cfg(feature = "checksums")]
            State::Sha1(d) => Digest::update(d, data),
            #[cfg(feature = "checksums")]
            State::Sha256(d) => Digest::update(d, data),
            // `State` has no variants then: this arm is never taken.
            #[cfg(not(feature = "checksums"))]
            _ => {}
        }
    }

    /// The raw digest, big-endian.
    pub fn finalize_bytes(self) -> Vec<u8> {
        match self.state {
            #[cfg(feature = "checksums")]
            State::Crc(d) => {
                let v = d.finalize();
                match self.algorithm {
                    ChecksumAlgorithm::Crc64Nvme => v.to_be_bytes().to_vec(),
                    // 32-bit CRCs are returned in the low half.
                    _ => (v as u32).to_be_bytes().to_vec(),
                }
            }
            #[cfg(feature = "checksums")]
            State::Sha1(d) => d.finalize().to_vec(),
            #[cfg(feature = "checksums")]
            State::Sha256(d) => d.finalize().to_vec(),
        }
    }

    /// The base64 digest, the trailer value.
    pub fn finalize(self) -> String {
        #[cfg(feature = "checksums")]
        return base64::engine::general_purpose::STANDARD.encode(self.finalize_bytes());
        #[cfg(not(feature = "checksums"))]
        match self.state {}
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksum")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Mode, chunk size and trailer checksum of an aws-chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkedSettings {
    mode: StreamingMode,
    chunk_size: usize,
    checksum: Option<ChecksumAlgorithm>,
}

impl ChunkedSettings {
    /// Settings for `mode` with 64 KiB chunks and no trailer checksum.
    pub fn new(mode: StreamingMode) -> Self {
        ChunkedSettings {
            mode,
            chunk_size: DEFAULT_CHUNK_SIZE,
            checksum: None,
        }
    }

    /// Sets the chunk size (8 KiB to 16 MiB). Every chunk but the last has exactly this size.
    pub fn with_chunk_size(mut self, chunk_size: usize) -> Result<Self, ChunkedError> {
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(ChunkedError::InvalidChunkSize(chunk_size));
        }
        self.chunk_size = chunk_size;
        Ok(self)
    }

    /// Sends a checksum of the whole body in the trailer (not possible in [`StreamingMode::Signed`]).
    pub fn with_checksum(mut self, algorithm: ChecksumAlgorithm) -> Result<Self, ChunkedError> {
        if !self.mode.has_trailer() {
            return Err(ChunkedError::TrailerNotSupported);
        }
        self.checksum = Some(algorithm);
        Ok(self)
    }

    /// The mode.
    pub fn mode(&self) -> StreamingMode {
        self.mode
    }

    /// The chunk size.
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The trailer checksum, if any.
    pub fn checksum(&self) -> Option<ChecksumAlgorithm> {
        self.checksum
    }

    /// The exact length of the encoded body for a body of `decoded_len` bytes: the value of
    /// `content-length`. Saturates at `u64::MAX` for absurd lengths.
    ///
    /// ```
    /// use sigv4::chunked::{ChecksumAlgorithm, ChunkedSettings, StreamingMode};
    /// let s = ChunkedSettings::new(StreamingMode::UnsignedWithTrailer)
    ///     .with_chunk_size(8192)?
    ///     .with_checksum(ChecksumAlgorithm::Crc32)?;
    /// // "2000\r\n" + 8192 + "\r\n", "800\r\n" + 2048 + "\r\n", "0\r\n", trailer line, "\r\n"
    /// assert_eq!(s.encoded_length(10240), 10291);
    /// # Ok::<(), sigv4::chunked::ChunkedError>(())
    /// ```
    pub fn encoded_length(&self, decoded_len: u64) -> u64 {
        let size = self.chunk_size as u64;
        let full = decoded_len / size;
        let rest = decoded_len % size;
        let per_chunk_overhead = |n: u64| -> u64 {
            let sig = if self.mode.is_signed() {
                (CHUNK_SIGNATURE.len() + 64) as u64
            } else {
                0
            };
            hex_digits(n) + sig + 4 // "\r\n" after the header and after the data
        };
        let mut total = full
            .saturating_mul(size.saturating_add(per_chunk_overhead(size)))
            .saturating_add(if rest > 0 {
                rest + per_chunk_overhead(rest)
            } else {
                0
            });
        // The final zero-length chunk: "0" [";chunk-signature=<64>"] "\r\n".
        let final_chunk =
            1 + if self.mode.is_signed() {
                CHUNK_SIGNATURE.len() + 64
            } else {
                0
            } + 2;
        let mut tail = final_chunk;
        if let Some(alg) = self.checksum {
            tail += alg.header_name().len() + 1 + alg.encoded_len() + 2;
        }
        if self.mode == StreamingMode::SignedWithTrailer {
            tail += TRAILER_SIGNATURE.len() + 1 + 64 + 2;
        }
        tail += 2; // the empty line that ends the body
        total = total.saturating_add(tail as u64);
        total
    }

    /// The headers to set on the request before signing it, for a body of `decoded_len`
    /// bytes: `content-encoding: aws-chunked`, `content-length` (the encoded length),
    /// `x-amz-content-sha256` (the mode's marker), `x-amz-decoded-content-length`, and
    /// `x-amz-trailer` when a checksum is sent. Replace any existing headers of these
    /// names; if the body has another content coding, send `aws-chunked,<that coding>`.
    pub fn headers(&self, decoded_len: u64) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("content-encoding", "aws-chunked".to_owned()),
            (
                "content-length",
                self.encoded_length(decoded_len).to_string(),
            ),
            (
                "x-amz-content-sha256",
                self.mode.content_sha256().to_owned(),
            ),
            ("x-amz-decoded-content-length", decoded_len.to_string()),
        ];
        if let Some(alg) = self.checksum {
            h.push(("x-amz-trailer", alg.header_name().to_owned()));
        }
        h
    }
}

fn hex_digits(n: u64) -> u64 {
    if n == 0 {
        1
    } else {
        u64::from((64 - n.leading_zeros()).div_ceil(4))
    }
}

/// The chain of chunk signatures of a signed aws-chunked body.
///
/// Each chunk's string to sign is
/// `AWS4-HMAC-SHA256-PAYLOAD\n<date-time>\n<scope>\n<previous signature>\n<sha256("")>\n<sha256(chunk)>`,
/// starting from the seed signature (the request's own signature); the trailer's is
/// `AWS4-HMAC-SHA256-TRAILER\n<date-time>\n<scope>\n<previous signature>\n<sha256(trailer lines)>`.
///
/// It holds a [`SigningKey`] (zeroized on drop) and never shows it in `Debug`.
#[derive(Clone)]
pub struct ChunkSigner {
    key: SigningKey,
    time: AmzDate,
    previous: [u8; 64],
}

impl ChunkSigner {
    /// Starts the chain from the request's signature `seed_signature`, made with `key` at `time`.
    pub fn new(key: SigningKey, time: AmzDate, seed_signature: &str) -> Result<Self, ChunkedError> {
        let seed = seed_signature.as_bytes();
        if seed.len() != 64 || !seed.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ChunkedError::InvalidSeedSignature);
        }
        key.check_scope(time.date(), key.region(), key.service())?;
        let mut previous = [0u8; 64];
        previous.copy_from_slice(seed);
        Ok(ChunkSigner {
            key,
            time,
            previous,
        })
    }

    /// The most recent signature: the seed before any chunk was signed.
    pub fn previous_signature(&self) -> &str {
        std::str::from_utf8(&self.previous).unwrap_or_default()
    }

    /// Signs the next chunk, given its data (empty for the final chunk), and returns its signature.
    pub fn sign_chunk(&mut self, chunk: &[u8]) -> &str {
        let hash: [u8; 32] = Sha256::digest(chunk).into();
        self.sign_chunk_hash(&hash)
    }

    /// Signs the next chunk, given the SHA-256 of its data.
    pub fn sign_chunk_hash(&mut self, chunk_sha256: &[u8; 32]) -> &str {
        let hash: [u8; 64] = hex_lower(chunk_sha256);
        self.chain(
            "AWS4-HMAC-SHA256-PAYLOAD",
            &[EMPTY_SHA256.as_bytes(), b"\n", &hash],
        )
    }

    /// Signs the trailer, given its canonical form: each trailer as `name:value\n`.
    pub fn sign_trailer(&mut self, canonical_trailers: &[u8]) -> &str {
        let hash: [u8; 64] = hex_lower(&Sha256::digest(canonical_trailers));
        self.chain("AWS4-HMAC-SHA256-TRAILER", &[&hash])
    }

    /// The string to sign for a chunk with this SHA-256, without advancing the chain (for
    /// inspection and for verifiers that report what they computed).
    pub fn chunk_string_to_sign(&self, chunk_sha256: &[u8; 32]) -> String {
        let hash: [u8; 64] = hex_lower(chunk_sha256);
        let mut s = self.sts_prefix("AWS4-HMAC-SHA256-PAYLOAD");
        s.push_str(EMPTY_SHA256);
        s.push('\n');
        s.push_str(std::str::from_utf8(&hash).unwrap_or_default());
        s
    }

    fn sts_prefix(&self, algorithm: &str) -> String {
        let mut s = String::with_capacity(256);
        s.push_str(algorithm);
        s.push('\n');
        s.push_str(self.time.date_time());
        s.push('\n');
        s.push_str(self.key.scope());
        s.push('\n');
        s.push_str(self.previous_signature());
        s.push('\n');
        s
    }

    fn chain(&mut self, algorithm: &str, tail: &[&[u8]]) -> &str {
        let mut sts = Vec::with_capacity(256);
        sts.extend_from_slice(algorithm.as_bytes());
        sts.push(b'\n');
        sts.extend_from_slice(self.time.date_time().as_bytes());
        sts.push(b'\n');
        sts.extend_from_slice(self.key.scope().as_bytes());
        sts.push(b'\n');
        sts.extend_from_slice(&self.previous);
        sts.push(b'\n');
        for part in tail {
            sts.extend_from_slice(part);
        }
        self.previous = hex_lower(&self.key.sign(&sts));
        self.previous_signature()
    }
}

impl fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("scope", &self.key.scope())
            .field("time", &self.time)
            .field("previous_signature", &self.previous_signature())
            .finish_non_exhaustive()
    }
}

/// A sans-I/O aws-chunked encoder: feed it body bytes with [`push`](Self::push), end with
/// [`finish`](Self::finish), and it appends the encoded frames to a buffer you drain.
///
/// It holds at most one chunk of body bytes, so memory stays constant whatever the body size.
/// Every chunk but the last has exactly the configured size.
///
/// ```
/// use sigv4::chunked::{ChecksumAlgorithm, ChunkEncoder, ChunkedSettings, StreamingMode};
///
/// let settings = ChunkedSettings::new(StreamingMode::UnsignedWithTrailer)
///     .with_checksum(ChecksumAlgorithm::Crc32)?;
/// let mut enc = ChunkEncoder::new(settings, None)?;
/// let mut out = Vec::new();
/// enc.push(b"hello ", &mut out)?;
/// enc.push(b"world", &mut out)?;
/// enc.finish(&mut out)?;
/// assert_eq!(out, b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
/// # Ok::<(), sigv4::chunked::ChunkedError>(())
/// ```
#[derive(Debug)]
pub struct ChunkEncoder {
    settings: ChunkedSettings,
    signer: Option<ChunkSigner>,
    checksum: Option<Checksum>,
    buf: Vec<u8>,
    seen: u64,
    expected: Option<u64>,
    short_chunk: Option<usize>,
    finished: bool,
}

impl ChunkEncoder {
    /// An encoder for `settings`. Signed modes need a `signer`; the unsigned mode takes none.
    pub fn new(
        settings: ChunkedSettings,
        signer: Option<ChunkSigner>,
    ) -> Result<Self, ChunkedError> {
        match (settings.mode.is_signed(), signer.is_some()) {
            (true, false) => {
                return Err(ChunkedError::MissingSigner(settings.mode.content_sha256()));
            }
            (false, true) => return Err(ChunkedError::UnexpectedSigner),
            _ => {}
        }
        Ok(ChunkEncoder {
            settings,
            signer,
            checksum: settings.checksum.map(ChecksumAlgorithm::checksum),
            buf: Vec::new(),
            seen: 0,
            expected: None,
            short_chunk: None,
            finished: false,
        })
    }

    /// Checks that the body is exactly `decoded_len` bytes (the declared
    /// `x-amz-decoded-content-length`): more bytes, or fewer at [`finish`](Self::finish),
    /// are an error instead of a request S3 would reject.
    pub fn with_expected_length(mut self, decoded_len: u64) -> Self {
        self.expected = Some(decoded_len);
        self
    }

    /// The settings.
    pub fn settings(&self) -> &ChunkedSettings {
        &self.settings
    }

    /// How many body bytes were pushed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.seen
    }

    /// Whether [`finish`](Self::finish) has run.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The most recent chunk signature (signed modes).
    pub fn previous_signature(&self) -> Option<&str> {
        self.signer.as_ref().map(ChunkSigner::previous_signature)
    }

    /// Feeds body bytes; every time a chunk fills up its frame is appended to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        if self.finished {
            return Err(ChunkedError::Finished);
        }
        let new_total = self.seen.saturating_add(data.len() as u64);
        if let Some(expected) = self.expected {
            if new_total > expected {
                return Err(ChunkedError::LengthMismatch {
                    expected,
                    actual: new_total,
                });
            }
        }
        self.seen = new_total;
        if let Some(c) = &mut self.checksum {
            c.update(data);
        }
        let size = self.settings.chunk_size;
        while !data.is_empty() {
            if self.buf.is_empty() && data.len() >= size {
                // A whole chunk straight from the caller's slice, without copying it first.
                let (chunk, rest) = data.split_at(size);
                self.emit_chunk(chunk, out)?;
                data = rest;
                continue;
            }
            if self.buf.capacity() < size {
                self.buf.reserve_exact(size - self.buf.len());
            }
            let take = (size - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == size {
                let chunk = std::mem::take(&mut self.buf);
                let r = self.emit_chunk(&chunk, out);
                self.buf = chunk;
                self.buf.clear();
                r?;
            }
        }
        Ok(())
    }

    /// Ends the body: the last partial chunk, the zero-length chunk and the trailer.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        if self.finished {
            return Err(ChunkedError::Finished);
        }
        if let Some(expected) = self.expected {
            if self.seen != expected {
                return Err(ChunkedError::LengthMismatch {
                    expected,
                    actual: self.seen,
                });
            }
        }
        if !self.buf.is_empty() {
            let chunk = std::mem::take(&mut self.buf);
            self.emit_chunk(&chunk, out)?;
        }
        self.finished = true;
        // The final, empty chunk.
        out.push(b'0');
        if let Some(signer) = &mut self.signer {
            out.extend_from_slice(CHUNK_SIGNATURE.as_bytes());
            out.extend_from_slice(signer.sign_chunk(b"").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        // The trailer.
        let mut canonical = Vec::new();
        if let Some(checksum) = self.checksum.take() {
            let name = checksum.algorithm().header_name();
            let value = checksum.finalize();
            for (line, end) in [(&mut *out, &b"\r\n"[..]), (&mut canonical, &b"\n"[..])] {
                line.extend_from_slice(name.as_bytes());
                line.push(b':');
                line.extend_from_slice(value.as_bytes());
                line.extend_from_slice(end);
            }
        }
        if self.settings.mode == StreamingMode::SignedWithTrailer {
            if let Some(signer) = &mut self.signer {
                out.extend_from_slice(TRAILER_SIGNATURE.as_bytes());
                out.push(b':');
                out.extend_from_slice(signer.sign_trailer(&canonical).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
        self.buf = Vec::new();
        Ok(())
    }

    fn emit_chunk(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        if let Some(n) = self.short_chunk {
            return Err(ChunkedError::ShortChunkNotLast(n));
        }
        if chunk.len() < MIN_CHUNK_SIZE {
            self.short_chunk = Some(chunk.len());
        }
        out.reserve(chunk.len() + 100);
        let mut len_buf = [0u8; 16];
        out.extend_from_slice(hex_len(chunk.len() as u64, &mut len_buf));
        if let Some(signer) = &mut self.signer {
            out.extend_from_slice(CHUNK_SIGNATURE.as_bytes());
            out.extend_from_slice(signer.sign_chunk(chunk).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

fn hex_len(n: u64, buf: &mut [u8; 16]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = hex_digits(n) as usize;
    for i in 0..digits {
        buf[digits - 1 - i] = HEX[((n >> (4 * i)) & 15) as usize];
    }
    &buf[..digits]
}

/// A blocking reader that yields the aws-chunked encoding of another reader, one chunk at
/// a time (memory: about two chunks, whatever the body size).
///
/// Read errors of the inner reader are passed through; encoding errors (such as a body
/// longer or shorter than the declared length) become [`io::ErrorKind::InvalidData`]
/// errors wrapping a [`ChunkedError`].
#[derive(Debug)]
pub struct ChunkedReader<R> {
    inner: R,
    encoder: ChunkEncoder,
    input: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl<R: Read> ChunkedReader<R> {
    /// Encodes `inner` with `encoder`.
    pub fn new(inner: R, encoder: ChunkEncoder) -> Self {
        ChunkedReader {
            inner,
            encoder,
            input: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            done: false,
        }
    }

    /// The encoder (for its progress and last signature).
    pub fn encoder(&self) -> &ChunkEncoder {
        &self.encoder
    }

    /// Gives back the inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads the next chunk from the inner reader and encodes it into `out`.
    fn refill(&mut self) -> io::Result<()> {
        let size = self.encoder.settings.chunk_size;
        if self.input.len() != size {
            self.input.resize(size, 0);
        }
        let mut filled = 0;
        while filled < size {
            match self.inner.read(&mut self.input[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        let to_io = |e: ChunkedError| io::Error::new(io::ErrorKind::InvalidData, e);
        self.encoder
            .push(&self.input[..filled], &mut self.out)
            .map_err(to_io)?;
        if filled < size {
            self.encoder.finish(&mut self.out).map_err(to_io)?;
            self.done = true;
            self.input = Vec::new();
        }
        Ok(())
    }
}

impl<R: Read> Read for ChunkedReader<R> {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        if dst.is_empty() {
            return Ok(0);
        }
        loop {
            if self.out_pos < self.out.len() {
                let n = (self.out.len() - self.out_pos).min(dst.len());
                dst[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
    }
}

/// Prepares and signs an `http::Request` for an aws-chunked upload of `decoded_len` body
/// bytes (feature `http`): sets the streaming headers (see [`ChunkedSettings::headers`];
/// an existing `content-encoding` such as `gzip` becomes `aws-chunked,gzip`), signs the
/// headers with the mode's payload marker, and returns the encoder for the body, chained
/// to the request's signature and checking the body length.
///
/// ```
/// use std::io::Read;
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::chunked::{self, ChunkedReader, ChunkedSettings, StreamingMode};
/// use sigv4::{Credentials, Signer};
///
/// let signer = Signer::new("us-east-1", "s3")?;
/// let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None, None);
/// let mut req = http::Request::put("https://s3.amazonaws.com/examplebucket/chunkObject.txt")
///     .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
///     .body(())
///     .unwrap();
/// let time = UNIX_EPOCH + Duration::from_secs(1_369_353_600); // 2013-05-24T00:00:00Z
/// let settings = ChunkedSettings::new(StreamingMode::Signed);
/// let encoder = chunked::sign_http_request(&signer, &mut req, settings, 66560, &creds, time)?;
/// assert_eq!(req.headers()["content-length"], "66824");
/// assert!(req.headers()["authorization"].to_str()?.ends_with(
///     "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
/// ));
/// let body = vec![b'a'; 66560];
/// let mut encoded = Vec::new();
/// ChunkedReader::new(&body[..], encoder).read_to_end(&mut encoded)?;
/// assert_eq!(encoded.len(), 66824);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "http")]
pub fn sign_http_request<B>(
    signer: &crate::Signer,
    request: &mut http::Request<B>,
    settings: ChunkedSettings,
    decoded_len: u64,
    credentials: &crate::Credentials,
    time: std::time::SystemTime,
) -> Result<ChunkEncoder, ChunkedError> {
    use http::header::{HeaderName, HeaderValue, CONTENT_ENCODING};

    let existing_coding = request
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("aws-chunked"))
        .map(str::to_owned);
    for (name, mut value) in settings.headers(decoded_len) {
        if name == "content-encoding" {
            if let Some(other) = &existing_coding {
                value = format!("aws-chunked,{other}");
            }
        }
        let value = HeaderValue::from_str(&value)
            .map_err(|_| SigningError::InvalidHeaderValue(name.to_owned()))?;
        request
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
    let out = signer.sign_http_request_with_payload(
        request,
        settings.mode().payload(),
        credentials,
        time,
    )?;
    let chunk_signer = if settings.mode().is_signed() {
        let key = signer.signing_key(credentials, time)?;
        let at = AmzDate::from_system_time(time)?;
        Some(ChunkSigner::new((*key).clone(), at, out.signature())?)
    } else {
        None
    };
    Ok(ChunkEncoder::new(settings, chunk_signer)?.with_expected_length(decoded_len))
}

#[cfg(feature = "http-body")]
pub use body::ChunkedBody;

#[cfg(feature = "http-body")]
mod body {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::{Buf, Bytes};
    use http_body::{Body, Frame, SizeHint};

    use super::{ChunkEncoder, ChunkedError};

    /// An [`http_body::Body`] that yields the aws-chunked encoding of another body.
    ///
    /// Data frames of the inner body are re-chunked to the configured chunk size; memory
    /// stays at about one chunk plus one inner frame. Trailers of the inner body are
    /// ignored (the encoder writes its own checksum trailer into the encoded stream).
    /// Errors of the inner body are returned as they are; encoding errors are turned
    /// into the inner error type through `From<ChunkedError>`.
    ///
    /// ```
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll, Waker};
    /// use http_body::Body;
    /// use http_body_util::{BodyExt, Full};
    /// use sigv4::chunked::{ChunkEncoder, ChunkedBody, ChunkedSettings, StreamingMode};
    ///
    /// type BoxError = Box<dyn std::error::Error + Send + Sync>;
    /// let inner = Full::new(bytes::Bytes::from_static(b"hi")).map_err(|e| -> BoxError { match e {} });
    /// let enc = ChunkEncoder::new(ChunkedSettings::new(StreamingMode::UnsignedWithTrailer), None)?;
    /// let mut body = ChunkedBody::new(inner, enc);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut out = Vec::new();
    /// while let Poll::Ready(Some(frame)) = Pin::new(&mut body).poll_frame(&mut cx) {
    ///     out.extend_from_slice(frame?.data_ref().unwrap());
    /// }
    /// assert_eq!(out, b"2\r\nhi\r\n0\r\n\r\n");
    /// # Ok::<(), BoxError>(())
    /// ```
    #[derive(Debug)]
    pub struct ChunkedBody<B> {
        inner: B,
        encoder: ChunkEncoder,
        inner_done: bool,
        done: bool,
    }

    impl<B> ChunkedBody<B> {
        /// Encodes `inner` with `encoder`.
        pub fn new(inner: B, encoder: ChunkEncoder) -> Self {
            ChunkedBody {
                inner,
                encoder,
                inner_done: false,
                done: false,
            }
        }

        /// The encoder (for its progress and last signature).
        pub fn encoder(&self) -> &ChunkEncoder {
            &self.encoder
        }
    }

    impl<B> Body for ChunkedBody<B>
    where
        B: Body + Unpin,
        B::Error: From<ChunkedError>,
    {
        type Data = Bytes;
        type Error = B::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let this = self.get_mut();
            loop {
                if this.done {
                    return Poll::Ready(None);
                }
                let mut out = Vec::new();
                if this.inner_done {
                    this.encoder.finish(&mut out)?;
                    this.done = true;
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                }
                match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => this.inner_done = true,
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Ok(mut data) = frame.into_data() {
                            while data.has_remaining() {
                                let piece = data.chunk();
                                let n = piece.len();
                                this.encoder.push(piece, &mut out)?;
                                data.advance(n);
                            }
                            if !out.is_empty() {
                                return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                            }
                        }
                    }
                }
            }
        }

        fn is_end_stream(&self) -> bool {
            self.done
        }

        fn size_hint(&self) -> SizeHint {
            match self.encoder.expected {
                Some(len) if !self.done && self.encoder.seen == 0 => {
                    SizeHint::with_exact(self.encoder.settings.encoded_length(len))
                }
                _ => SizeHint::default(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lengths() {
        let mut b = [0u8; 16];
        assert_eq!(hex_len(0, &mut b), b"0");
        assert_eq!(hex_len(0x800, &mut b), b"800");
        assert_eq!(hex_len(0x10400, &mut b), b"10400");
        assert_eq!(hex_len(u64::MAX, &mut b), b"ffffffffffffffff");
        for n in [1u64, 15, 16, 255, 256, 4095, 4096, 65535, 65536] {
            assert_eq!(hex_digits(n) as usize, format!("{n:x}").len());
        }
    }

    #[test]
    fn checksum_lengths() {
        for alg in ChecksumAlgorithm::ALL {
            let c = alg.checksum();
            assert_eq!(c.finalize().len(), alg.encoded_len(), "{alg:?}");
            assert_eq!(ChecksumAlgorithm::parse(alg.name()), Some(alg));
            assert_eq!(ChecksumAlgorithm::parse(alg.header_name()), Some(alg));
        }
    }
}
