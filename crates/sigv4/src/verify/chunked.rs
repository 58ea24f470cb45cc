//! aws-chunked bodies: one sans-I/O framing machine for SigV4 and SigV4a that decodes the
//! body and checks every chunk signature, the trailer (signature and checksum) and the
//! decoded length. The signature check is the only part that differs
//! ([`super::chunk_signature`]); every framing rule below is written once.

use std::fmt;

use sha2::{Digest, Sha256};

use super::chunk_signature::{SignatureChain, SignatureField};
use super::error::ChunkVerifyError;
use super::truncate;
use crate::checksum::{Checksum, ChecksumAlgorithm};
use crate::streaming::{
    ChunkedError, StreamingMode, CHUNK_SIGNATURE, MIN_CHUNK_SIZE, TRAILER_SIGNATURE,
};
use crate::{AmzDate, SigningKey, SigningTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    Header,
    Data { remaining: u64 },
    DataEnd,
    Trailer,
    Done,
    Failed,
}

/// Longest chunk-header or trailer line accepted (a 144-character signature fits easily).
const MAX_LINE: usize = 4096;

/// At most this many trailers besides the signature.
const MAX_TRAILERS: usize = 8;

/// The default largest chunk [`ChunkedBodyVerifier`] accepts, 1 MiB: a consumer that
/// holds a chunk back until its signature is verified (the tower `VerifyLayer`) holds at
/// most this much per request. AWS SDKs send chunks of 64 KiB to 1 MiB; the encoder's
/// default is [`DEFAULT_CHUNK_SIZE`](crate::chunked::DEFAULT_CHUNK_SIZE), 64 KiB.
pub const DEFAULT_MAX_CHUNK: usize = 1024 * 1024;

fn malformed(msg: &str) -> ChunkVerifyError {
    ChunkVerifyError::Malformed(msg.to_owned())
}

/// A sans-I/O verifier and decoder of an aws-chunked body, SigV4
/// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`, `STREAMING-UNSIGNED-PAYLOAD-TRAILER`)
/// or SigV4a (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`):
/// [`push`](Self::push) the bytes as they arrive and it appends the decoded data to `out`,
/// checking each chunk's signature when the chunk is complete (so data of a chunk is only
/// trusted once `push` has moved past it without error), then the final chunk and the
/// trailer.
///
/// One framing machine serves both algorithms: chunk headers, the chunk-size bound
/// ([`with_max_chunk_size`](Self::with_max_chunk_size)), the 8 KiB minimum of every signed
/// chunk but the last, CRLF rules, the final chunk, the declared length, the trailers and
/// their checksum are checked the same way, with the same [`ChunkVerifyError`]s; only the
/// signature check differs (HMAC-SHA256 or ECDSA P-256).
///
/// Get one from [`Verified::chunked_body`](super::Verified::chunked_body) (SigV4), or build
/// one with [`sigv4`](Self::sigv4), [`sigv4a`](Self::sigv4a) or [`unsigned`](Self::unsigned).
///
/// Memory is constant: data is hashed as it passes, only header and trailer lines are
/// buffered (at most 4 KiB each).
///
/// ```
/// use std::sync::Arc;
/// use sigv4::chunked::{ChunkEncoder, ChunkedSettings, StreamingMode, SigV4aChunkSigner};
/// use sigv4::sigv4a::SigV4aKey;
/// use sigv4::verify::ChunkedBodyVerifier;
/// use sigv4::AmzDate;
///
/// let key = Arc::new(SigV4aKey::derive("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?);
/// let time = AmzDate::parse("20240102T030405Z").unwrap();
/// let seed = key.sign_hex(b"the request's string to sign");
/// let settings = ChunkedSettings::new(StreamingMode::Signed).sigv4a()?;
/// let mut enc = ChunkEncoder::new_v4a(settings, SigV4aChunkSigner::new(key.clone(), time, "s3", &seed)?)?;
/// let mut body = Vec::new();
/// enc.push(b"hello", &mut body)?;
/// enc.finish(&mut body)?;
///
/// let mut verifier = ChunkedBodyVerifier::sigv4a(StreamingMode::Signed, key.public_key(), time, "s3", &seed)?
///     .with_expected_length(5);
/// let mut decoded = Vec::new();
/// verifier.push(&body, &mut decoded)?;
/// verifier.finish()?;
/// assert_eq!(decoded, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ChunkedBodyVerifier {
    mode: StreamingMode,
    /// `None` in the unsigned mode; a signed mode without one refuses every chunk.
    chain: Option<SignatureChain>,
    state: ChunkState,
    line: Vec<u8>,
    chunk_hash: Sha256,
    pending_sig: Option<SignatureField>,
    index: u64,
    decoded: u64,
    verified: u64,
    expected_len: Option<u64>,
    declared_trailer: Option<String>,
    checksum: Option<Checksum>,
    trailers: Vec<(String, String)>,
    trailer_sig: Option<SignatureField>,
    short_chunk: bool,
    max_chunk: u64,
}

impl ChunkedBodyVerifier {
    /// The verifier of a request the [`Verifier`](super::Verifier) accepted.
    pub(super) fn from_verified(
        mode: StreamingMode,
        chain: Option<SignatureChain>,
        expected_len: Option<u64>,
        declared_trailer: Option<String>,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Self {
        ChunkedBodyVerifier {
            mode,
            chain,
            state: ChunkState::Header,
            line: Vec::new(),
            chunk_hash: Sha256::new(),
            pending_sig: None,
            index: 0,
            decoded: 0,
            verified: 0,
            expected_len,
            declared_trailer,
            checksum: checksum.map(ChecksumAlgorithm::checksum),
            trailers: Vec::new(),
            trailer_sig: None,
            short_chunk: false,
            max_chunk: DEFAULT_MAX_CHUNK as u64,
        }
    }

    /// A verifier for a SigV4 body in `mode` (a signed mode) whose request was signed at
    /// `time` with the signature `seed_signature` (64 hex digits, already verified) and
    /// the signing key `key` of the request's scope.
    pub fn sigv4(
        mode: StreamingMode,
        key: SigningKey,
        time: impl SigningTime,
        seed_signature: &str,
    ) -> Result<Self, ChunkedError> {
        let time: AmzDate = time.amz_date()?;
        Self::signed_mode(mode)?;
        let chain = SignatureChain::hmac(key, time, seed_signature)?;
        Ok(Self::from_verified(mode, Some(chain), None, None, None))
    }

    /// A verifier for a SigV4a body in `mode` (a signed mode, sent as
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`), whose request was signed at
    /// `time` for `service` with the SigV4a signature `seed_signature` (hex DER, from the
    /// request's `Authorization` header, already verified), by the owner of `key`.
    #[cfg(feature = "sigv4a")]
    pub fn sigv4a(
        mode: StreamingMode,
        key: crate::sigv4a::PublicKey,
        time: impl SigningTime,
        service: &str,
        seed_signature: &str,
    ) -> Result<Self, ChunkedError> {
        let time = time.amz_date()?;
        Self::signed_mode(mode)?;
        let chain = SignatureChain::ecdsa(key, time, service, seed_signature)?;
        Ok(Self::from_verified(mode, Some(chain), None, None, None))
    }

    /// The constructor of the old name `chunked::SigV4aChunkedBodyVerifier`.
    #[cfg(feature = "sigv4a")]
    #[doc(hidden)]
    #[deprecated(
        since = "0.2.0",
        note = "one chunk verifier for SigV4 and SigV4a: use ChunkedBodyVerifier::sigv4a"
    )]
    pub fn new(
        mode: StreamingMode,
        key: crate::sigv4a::PublicKey,
        time: impl SigningTime,
        service: &str,
        seed_signature: &str,
    ) -> Result<Self, ChunkedError> {
        Self::sigv4a(mode, key, time, service, seed_signature)
    }

    /// A verifier for a `STREAMING-UNSIGNED-PAYLOAD-TRAILER` body: plain chunks and
    /// trailer, whose integrity is the trailer checksum's (see
    /// [`with_checksum`](Self::with_checksum)).
    pub fn unsigned() -> Self {
        Self::from_verified(StreamingMode::UnsignedWithTrailer, None, None, None, None)
    }

    fn signed_mode(mode: StreamingMode) -> Result<(), ChunkedError> {
        if mode.is_signed() {
            Ok(())
        } else {
            Err(ChunkedError::SignerMismatch(
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER has no chunk signatures to verify",
            ))
        }
    }

    /// Requires exactly `len` decoded bytes (`x-amz-decoded-content-length`).
    pub fn with_expected_length(mut self, len: u64) -> Self {
        self.expected_len = Some(len);
        self
    }

    /// Requires a trailer with this checksum of the body (the request's `x-amz-trailer`):
    /// it must be present and match, and no other trailer is accepted.
    pub fn with_checksum(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.declared_trailer = Some(algorithm.header_name().to_owned());
        self.checksum = Some(algorithm.checksum());
        self
    }

    /// Refuses chunks larger than `max` bytes (default [`DEFAULT_MAX_CHUNK`], 1 MiB), at
    /// their header, before any of their data is passed on. This bounds the memory of
    /// consumers that hold back a chunk's data until it is verified, such as
    /// `VerifiedBody` (feature `http-body`).
    pub fn with_max_chunk_size(mut self, max: u64) -> Self {
        self.max_chunk = max;
        self
    }

    /// The body's streaming mode.
    pub fn mode(&self) -> StreamingMode {
        self.mode
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
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkVerifyError> {
        let r = self.push_inner(data, out);
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

    fn push_inner(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkVerifyError> {
        while !data.is_empty() {
            data = match self.state {
                ChunkState::Failed => return Err(malformed("an earlier error stopped the body")),
                ChunkState::Done => return Err(malformed("data after the end of the body")),
                ChunkState::Data { remaining } => self.on_data(data, remaining, out),
                ChunkState::Header | ChunkState::DataEnd | ChunkState::Trailer => {
                    match self.take_line(data)? {
                        Some(rest) => rest,
                        None => return Ok(()),
                    }
                }
            };
        }
        Ok(())
    }

    /// Chunk data: hashed, checksummed and passed on; returns the bytes after it.
    fn on_data<'a>(&mut self, data: &'a [u8], remaining: u64, out: &mut Vec<u8>) -> &'a [u8] {
        let n = remaining.min(data.len() as u64) as usize;
        let piece = &data[..n];
        self.chunk_hash.update(piece);
        if let Some(c) = &mut self.checksum {
            c.update(piece);
        }
        out.extend_from_slice(piece);
        self.decoded += n as u64;
        if !self.mode.is_signed() {
            self.verified = self.decoded;
        }
        let remaining = remaining - n as u64;
        self.state = if remaining == 0 {
            ChunkState::DataEnd
        } else {
            ChunkState::Data { remaining }
        };
        &data[n..]
    }

    /// Buffers a line (at most [`MAX_LINE`] bytes, ending in CRLF) and handles it once
    /// complete; returns the bytes after it, or `None` when all of `data` was buffered.
    fn take_line<'a>(&mut self, data: &'a [u8]) -> Result<Option<&'a [u8]>, ChunkVerifyError> {
        let Some(pos) = data.iter().position(|&b| b == b'\n') else {
            self.line.extend_from_slice(data);
            if self.line.len() > MAX_LINE {
                return Err(malformed("a line is too long"));
            }
            return Ok(None);
        };
        self.line.extend_from_slice(&data[..=pos]);
        if self.line.len() > MAX_LINE {
            return Err(malformed("a line is too long"));
        }
        let line = std::mem::take(&mut self.line);
        let Some(line) = line.strip_suffix(b"\r\n") else {
            return Err(malformed("lines must end with CRLF"));
        };
        self.on_line(line)?;
        Ok(Some(&data[pos + 1..]))
    }

    fn on_line(&mut self, line: &[u8]) -> Result<(), ChunkVerifyError> {
        match self.state {
            ChunkState::DataEnd => {
                if !line.is_empty() {
                    return Err(malformed("chunk data must be followed by CRLF"));
                }
                self.end_chunk()?;
                self.state = ChunkState::Header;
                Ok(())
            }
            ChunkState::Header => self.on_chunk_header(line),
            ChunkState::Trailer => self.on_trailer_line(line),
            ChunkState::Data { .. } | ChunkState::Done | ChunkState::Failed => Ok(()),
        }
    }

    /// `size[;chunk-signature=sig]`: checks the size and signature shape, the size bounds
    /// and the declared length, all before any of the chunk's data is passed on, and
    /// starts the chunk (the final, empty chunk ends the data and checks the length).
    fn on_chunk_header(&mut self, line: &[u8]) -> Result<(), ChunkVerifyError> {
        let text =
            std::str::from_utf8(line).map_err(|_| malformed("a chunk header is not text"))?;
        let (size, ext) = match text.split_once(';') {
            Some((s, e)) => (s, Some(e)),
            None => (text, None),
        };
        if size.is_empty() || size.len() > 15 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed("a chunk size must be hex digits"));
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| malformed("bad chunk size"))?;
        self.pending_sig = self.chunk_signature(ext)?;
        if self.short_chunk && size > 0 {
            return Err(malformed(
                "only the last data chunk may be shorter than 8 KiB",
            ));
        }
        // S3's 8 KiB minimum applies to signed chunks; SDKs send unsigned-trailer
        // bodies one chunk per body frame, of any size.
        if self.mode.is_signed() && size > 0 && size < MIN_CHUNK_SIZE as u64 {
            self.short_chunk = true;
        }
        if size > self.max_chunk {
            return Err(ChunkVerifyError::Malformed(format!(
                "a chunk of {size} bytes is larger than the {} allowed",
                self.max_chunk
            )));
        }
        self.check_length(self.decoded.saturating_add(size), size == 0)?;
        self.chunk_hash = Sha256::new();
        if size == 0 {
            // The final chunk: no data; its CRLF is the trailer section's end or the
            // start of trailer lines.
            self.end_chunk()?;
            self.state = ChunkState::Trailer;
        } else {
            self.state = ChunkState::Data { remaining: size };
        }
        Ok(())
    }

    /// The chunk extension: `chunk-signature=<signature>` in a signed mode, none in the
    /// unsigned one.
    fn chunk_signature(
        &self,
        ext: Option<&str>,
    ) -> Result<Option<SignatureField>, ChunkVerifyError> {
        match (self.mode.is_signed(), ext) {
            (true, Some(e)) => {
                let field = e
                    .strip_prefix(&CHUNK_SIGNATURE[1..])
                    .ok_or_else(|| malformed("expected ;chunk-signature=<signature>"))?;
                self.parse_field(field).map(Some)
            }
            (true, None) => Err(malformed("a chunk has no chunk-signature")),
            (false, Some(_)) => Err(malformed("unsigned chunks carry no extensions")),
            (false, None) => Ok(None),
        }
    }

    /// A signature field, read by the signature check's own rules. A signed mode without
    /// a check keeps the field; the chunk is refused when it ends.
    fn parse_field(&self, field: &str) -> Result<SignatureField, ChunkVerifyError> {
        match &self.chain {
            Some(chain) => chain.parse_field(field),
            None => Err(ChunkVerifyError::ChunkSignatureMismatch { index: self.index }),
        }
    }

    /// The declared length (`x-amz-decoded-content-length`): never exceeded, and reached
    /// exactly at the final chunk.
    fn check_length(&self, total: u64, last: bool) -> Result<(), ChunkVerifyError> {
        match self.expected_len {
            Some(expected) if total > expected || (last && total != expected) => {
                Err(ChunkVerifyError::LengthMismatch {
                    expected,
                    actual: total,
                })
            }
            _ => Ok(()),
        }
    }

    /// A trailer line (`name:value`, the trailer signature last) or the empty line that
    /// ends the body.
    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), ChunkVerifyError> {
        if line.is_empty() {
            self.end_trailer()?;
            self.state = ChunkState::Done;
            return Ok(());
        }
        if !self.mode.has_trailer() {
            return Err(ChunkVerifyError::Malformed(format!(
                "{} has no trailer",
                self.marker()
            )));
        }
        let text = std::str::from_utf8(line).map_err(|_| malformed("a trailer is not text"))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| malformed("a trailer must be name:value"))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        if self.trailer_sig.is_some() {
            return Err(malformed(
                "x-amz-trailer-signature must be the last trailer",
            ));
        }
        if name == TRAILER_SIGNATURE {
            if self.mode != StreamingMode::SignedWithTrailer {
                return Err(malformed("unexpected x-amz-trailer-signature"));
            }
            self.trailer_sig = Some(self.parse_field(value)?);
        } else {
            if self.trailers.len() >= MAX_TRAILERS {
                return Err(malformed("too many trailers"));
            }
            self.trailers.push((name, value.to_owned()));
        }
        Ok(())
    }

    /// Ends a chunk: checks its signature (signed modes).
    fn end_chunk(&mut self) -> Result<(), ChunkVerifyError> {
        let hash: [u8; 32] = std::mem::take(&mut self.chunk_hash).finalize().into();
        if self.mode.is_signed() {
            let ok = match (&mut self.chain, self.pending_sig.take()) {
                (Some(chain), Some(sig)) => chain.verify_chunk(&hash, &sig),
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

    /// Ends the trailer: the declared trailer and no other, its signature, the checksum.
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
            let sig = self
                .trailer_sig
                .take()
                .ok_or_else(|| malformed("x-amz-trailer-signature is missing"))?;
            let mut canonical = Vec::new();
            for (n, v) in &self.trailers {
                canonical.extend_from_slice(n.as_bytes());
                canonical.push(b':');
                canonical.extend_from_slice(v.as_bytes());
                canonical.push(b'\n');
            }
            let ok = match &mut self.chain {
                Some(chain) => chain.verify_trailer(&canonical, &sig),
                None => false,
            };
            if !ok {
                return Err(ChunkVerifyError::TrailerSignatureMismatch);
            }
        }
        match self.checksum.take() {
            Some(c) => check_checksum(c, &self.trailers),
            None => Ok(()),
        }
    }

    /// The body's `x-amz-content-sha256`, for messages.
    fn marker(&self) -> &'static str {
        #[cfg(feature = "sigv4a")]
        if self.algorithm() == Some(crate::sigv4a::ALGORITHM) {
            return match self.mode {
                StreamingMode::SignedWithTrailer => {
                    crate::streaming::STREAMING_ECDSA_PAYLOAD_TRAILER
                }
                _ => crate::streaming::STREAMING_ECDSA_PAYLOAD,
            };
        }
        self.mode.content_sha256()
    }

    fn algorithm(&self) -> Option<&'static str> {
        self.chain.as_ref().map(SignatureChain::algorithm)
    }
}

/// The trailer named after the checksum's algorithm carries the body's checksum. (Without
/// feature `checksums` there is no algorithm, so this cannot be called.)
#[cfg_attr(not(feature = "checksums"), allow(unreachable_code, unused_variables))]
fn check_checksum(c: Checksum, trailers: &[(String, String)]) -> Result<(), ChunkVerifyError> {
    let name = c.algorithm().header_name();
    let computed = c.finalize();
    let got = trailers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str());
    if got != Some(computed.as_str()) {
        return Err(ChunkVerifyError::ChecksumMismatch {
            name: name.to_owned(),
        });
    }
    Ok(())
}

impl fmt::Debug for ChunkedBodyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedBodyVerifier")
            .field("mode", &self.mode)
            .field("algorithm", &self.algorithm())
            .field("state", &self.state)
            .field("chunks", &self.index)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
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
        let mut v =
            ChunkedBodyVerifier::from_verified(StreamingMode::Signed, None, Some(5), None, None);
        let mut out = Vec::new();
        assert_eq!(
            v.push(body.as_bytes(), &mut out),
            Err(ChunkVerifyError::ChunkSignatureMismatch { index: 0 })
        );
        assert_eq!(v.verified_len(), 0);
    }
}
