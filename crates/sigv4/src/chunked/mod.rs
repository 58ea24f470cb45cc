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
//! With SigV4a (feature `sigv4a`), the two signed modes become
//! `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]` ([`ChunkedSettings::sigv4a`]): the
//! chain is signed with ECDSA P-256 by `SigV4aChunkSigner` (each signature padded with `*` to
//! 144 characters, so lengths stay exact), encoded by [`ChunkEncoder::new_v4a`] through the
//! same reader and body adapters, prepared with `sign_http_request_sigv4a` and checked on the
//! server by [`verify::ChunkedBodyVerifier::sigv4a`](crate::verify::ChunkedBodyVerifier::sigv4a),
//! the same chunk verifier as SigV4's.
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

use crate::streaming::{CHUNK_SIGNATURE, TRAILER_SIGNATURE};
#[cfg(feature = "http")]
use crate::{AmzDate, SigningError};

#[cfg(feature = "http-body")]
mod body;
mod encoder;
mod signer;
#[cfg(feature = "sigv4a")]
mod v4a;

pub use crate::checksum::{Checksum, ChecksumAlgorithm};
#[cfg(feature = "sigv4a")]
pub use crate::streaming::{
    trim_padding, ECDSA_CHUNK_ALGORITHM, ECDSA_SIGNATURE_FIELD_LEN, ECDSA_SIGNATURE_PADDING,
    ECDSA_TRAILER_ALGORITHM, STREAMING_ECDSA_PAYLOAD, STREAMING_ECDSA_PAYLOAD_TRAILER,
};
pub use crate::streaming::{
    ChunkedError, StreamingMode, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE,
};
#[cfg(feature = "http-body")]
pub use body::ChunkedBody;
pub use encoder::{ChunkEncoder, ChunkedReader};
pub use signer::ChunkSigner;
#[cfg(feature = "sigv4a")]
pub use v4a::SigV4aChunkSigner;

/// Renamed [`SigV4aChunkSigner`] (the `SigV4a` prefix of [`SigV4aSigner`](crate::sigv4a::SigV4aSigner)).
#[cfg(feature = "sigv4a")]
#[deprecated(since = "0.1.0", note = "renamed SigV4aChunkSigner")]
pub type V4aChunkSigner = SigV4aChunkSigner;

/// Moved: SigV4 and SigV4a chunk errors are one type,
/// [`verify::ChunkVerifyError`](crate::verify::ChunkVerifyError).
#[cfg(feature = "sigv4a")]
#[deprecated(
    since = "0.2.0",
    note = "one error for SigV4 and SigV4a chunks: use sigv4::verify::ChunkVerifyError"
)]
pub type SigV4aChunkVerifyError = crate::verify::ChunkVerifyError;
/// Moved: see [`verify::ChunkVerifyError`](crate::verify::ChunkVerifyError).
#[cfg(feature = "sigv4a")]
#[deprecated(
    since = "0.1.0",
    note = "one error for SigV4 and SigV4a chunks: use sigv4::verify::ChunkVerifyError"
)]
pub type V4aChunkVerifyError = crate::verify::ChunkVerifyError;

/// Moved: one chunk verifier for SigV4 and SigV4a,
/// [`verify::ChunkedBodyVerifier`](crate::verify::ChunkedBodyVerifier), built for SigV4a
/// with [`ChunkedBodyVerifier::sigv4a`](crate::verify::ChunkedBodyVerifier::sigv4a) (this
/// name's `new` still works).
#[cfg(feature = "sigv4a")]
#[deprecated(
    since = "0.2.0",
    note = "one chunk verifier for SigV4 and SigV4a: use sigv4::verify::ChunkedBodyVerifier::sigv4a"
)]
pub type SigV4aChunkedBodyVerifier = crate::verify::ChunkedBodyVerifier;
/// Moved: see [`verify::ChunkedBodyVerifier`](crate::verify::ChunkedBodyVerifier).
#[cfg(feature = "sigv4a")]
#[deprecated(
    since = "0.1.0",
    note = "one chunk verifier for SigV4 and SigV4a: use sigv4::verify::ChunkedBodyVerifier::sigv4a"
)]
pub type V4aChunkedBodyVerifier = crate::verify::ChunkedBodyVerifier;

/// Mode, chunk size and trailer checksum of an aws-chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkedSettings {
    mode: StreamingMode,
    chunk_size: usize,
    checksum: Option<ChecksumAlgorithm>,
    sigv4a: bool,
}

impl ChunkedSettings {
    /// Settings for `mode` with 64 KiB chunks and no trailer checksum.
    pub fn new(mode: StreamingMode) -> Self {
        ChunkedSettings {
            mode,
            chunk_size: DEFAULT_CHUNK_SIZE,
            checksum: None,
            sigv4a: false,
        }
    }

    /// Signs the chunks and trailer with SigV4a (ECDSA P-256) instead of SigV4: the
    /// markers become `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]` and each
    /// signature field is 144 characters (see [`SigV4aChunkSigner`]). Not for
    /// [`StreamingMode::UnsignedWithTrailer`], whose chunks carry no signature (a SigV4a
    /// request sends that marker as it is).
    #[cfg(feature = "sigv4a")]
    pub fn sigv4a(mut self) -> Result<Self, ChunkedError> {
        if !self.mode.is_signed() {
            return Err(ChunkedError::SignerMismatch(
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER signs no chunks: it has no SigV4a variant",
            ));
        }
        self.sigv4a = true;
        Ok(self)
    }

    /// Whether chunks are signed with SigV4a.
    pub fn is_sigv4a(&self) -> bool {
        self.sigv4a
    }

    /// The value of `x-amz-content-sha256` (and of the canonical request's payload line):
    /// the mode's marker, or its SigV4a form.
    pub fn content_sha256(&self) -> &'static str {
        #[cfg(feature = "sigv4a")]
        if self.sigv4a {
            return match self.mode {
                StreamingMode::SignedWithTrailer => STREAMING_ECDSA_PAYLOAD_TRAILER,
                _ => STREAMING_ECDSA_PAYLOAD,
            };
        }
        self.mode.content_sha256()
    }

    /// The width of a signature field in the body: 64 (SigV4), 144 (SigV4a, padded).
    fn signature_len(&self) -> usize {
        if self.sigv4a {
            144
        } else {
            64
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
                (CHUNK_SIGNATURE.len() + self.signature_len()) as u64
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
                CHUNK_SIGNATURE.len() + self.signature_len()
            } else {
                0
            } + 2;
        let mut tail = final_chunk;
        if let Some(alg) = self.checksum {
            tail += alg.header_name().len() + 1 + alg.encoded_len() + 2;
        }
        if self.mode == StreamingMode::SignedWithTrailer {
            tail += TRAILER_SIGNATURE.len() + 1 + self.signature_len() + 2;
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
            ("x-amz-content-sha256", self.content_sha256().to_owned()),
            ("x-amz-decoded-content-length", decoded_len.to_string()),
        ];
        if let Some(alg) = self.checksum {
            h.push(("x-amz-trailer", alg.header_name().to_owned()));
        }
        h
    }

    /// Sets [`headers`](Self::headers) on `headers`, replacing any of the same names. A
    /// content coding other than `aws-chunked` already present is kept after it
    /// (`aws-chunked,gzip`), as S3 expects for a compressed upload.
    ///
    /// ```
    /// use sigv4::chunked::{ChunkedSettings, StreamingMode};
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("content-encoding", "gzip".parse().unwrap());
    /// ChunkedSettings::new(StreamingMode::Signed)
    ///     .set_headers(&mut headers, 1024)
    ///     .unwrap();
    /// assert_eq!(headers["content-encoding"], "aws-chunked,gzip");
    /// assert_eq!(headers["x-amz-decoded-content-length"], "1024");
    /// ```
    ///
    /// # Errors
    ///
    /// [`SigningError::InvalidHeaderValue`] naming the header whose value is not a valid
    /// header value.
    #[cfg(feature = "http")]
    pub fn set_headers(
        &self,
        headers: &mut http::HeaderMap,
        decoded_len: u64,
    ) -> Result<(), SigningError> {
        use http::header::{HeaderName, HeaderValue, CONTENT_ENCODING};

        let other_coding = headers
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("aws-chunked"))
            .map(str::to_owned);
        for (name, mut value) in self.headers(decoded_len) {
            if name == "content-encoding" {
                if let Some(other) = &other_coding {
                    value = format!("aws-chunked,{other}");
                }
            }
            let value = HeaderValue::from_str(&value)
                .map_err(|_| SigningError::InvalidHeaderValue(name.to_owned()))?;
            headers.insert(HeaderName::from_static(name), value);
        }
        Ok(())
    }
}

pub(super) fn hex_digits(n: u64) -> u64 {
    if n == 0 {
        1
    } else {
        u64::from((64 - n.leading_zeros()).div_ceil(4))
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
    if settings.is_sigv4a() {
        return Err(ChunkedError::SignerMismatch(
            "SigV4a settings: use sign_http_request_sigv4a with a SigV4aSigner",
        ));
    }
    set_streaming_headers(request, &settings, decoded_len)?;
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

/// Sets the streaming headers of `settings` on `request`, keeping another content coding.
#[cfg(feature = "http")]
fn set_streaming_headers<B>(
    request: &mut http::Request<B>,
    settings: &ChunkedSettings,
    decoded_len: u64,
) -> Result<(), ChunkedError> {
    Ok(settings.set_headers(request.headers_mut(), decoded_len)?)
}

/// Prepares and signs an `http::Request` for a SigV4a aws-chunked upload of `decoded_len`
/// body bytes (features `http` and `sigv4a`): `settings` must be SigV4a settings
/// ([`ChunkedSettings::sigv4a`](ChunkedSettings::sigv4a)). Sets the streaming
/// headers (exact `content-length` included), signs the request with the SigV4a streaming
/// marker, and returns the encoder for the body, chained to the request's signature.
///
/// ```
/// use std::io::Read;
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::chunked::{self, ChunkedReader, ChunkedSettings, StreamingMode};
/// use sigv4::sigv4a::SigV4aSigner;
/// use sigv4::Credentials;
///
/// let signer = SigV4aSigner::new("*", "s3")?;
/// let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None, None);
/// let mut req = http::Request::put("https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/photo.jpg")
///     .body(())
///     .unwrap();
/// let settings = ChunkedSettings::new(StreamingMode::Signed).sigv4a()?;
/// let time = UNIX_EPOCH + Duration::from_secs(1_369_353_600);
/// let encoder = chunked::sign_http_request_sigv4a(&signer, &mut req, settings, 66560, &creds, time)?;
/// assert_eq!(req.headers()["x-amz-content-sha256"], "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
/// assert_eq!(req.headers()["content-length"], "67064");
/// let body = vec![b'a'; 66560];
/// let mut encoded = Vec::new();
/// ChunkedReader::new(&body[..], encoder).read_to_end(&mut encoded)?;
/// assert_eq!(encoded.len(), 67064);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(all(feature = "sigv4a", feature = "http"))]
pub fn sign_http_request_sigv4a<B>(
    signer: &crate::sigv4a::SigV4aSigner,
    request: &mut http::Request<B>,
    settings: ChunkedSettings,
    decoded_len: u64,
    credentials: &crate::Credentials,
    time: std::time::SystemTime,
) -> Result<ChunkEncoder, ChunkedError> {
    if !settings.is_sigv4a() {
        return Err(ChunkedError::SignerMismatch(
            "sign_http_request_sigv4a needs SigV4a settings: ChunkedSettings::sigv4a()",
        ));
    }
    set_streaming_headers(request, &settings, decoded_len)?;
    let marker = settings.content_sha256();
    let out = signer
        .sign_http_request_with_payload(
            request,
            crate::Payload::Precomputed(marker),
            credentials,
            time,
        )
        .map_err(|e| ChunkedError::SigV4a(e.to_string()))?;
    let encoder = if settings.mode().is_signed() {
        let key = signer
            .key(credentials)
            .map_err(|e| ChunkedError::SigV4a(e.to_string()))?;
        let at = AmzDate::from_system_time(time)?;
        let chain = v4a::SigV4aChunkSigner::new(key, at, signer.service(), out.signature())?;
        ChunkEncoder::new_v4a(settings, chain)?
    } else {
        ChunkEncoder::new(settings, None)?
    };
    Ok(encoder.with_expected_length(decoded_len))
}

/// Renamed [`sign_http_request_sigv4a`].
#[cfg(all(feature = "sigv4a", feature = "http"))]
#[deprecated(since = "0.1.0", note = "renamed sign_http_request_sigv4a")]
pub fn sign_http_request_v4a<B>(
    signer: &crate::sigv4a::SigV4aSigner,
    request: &mut http::Request<B>,
    settings: ChunkedSettings,
    decoded_len: u64,
    credentials: &crate::Credentials,
    time: std::time::SystemTime,
) -> Result<ChunkEncoder, ChunkedError> {
    sign_http_request_sigv4a(signer, request, settings, decoded_len, credentials, time)
}

#[cfg(test)]
mod tests {
    use super::encoder::hex_len;
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
