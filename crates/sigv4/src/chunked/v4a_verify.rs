//! Verifying SigV4a aws-chunked bodies (the server side of [`super::SigV4aChunkSigner`]).

use std::fmt;

use sha2::{Digest, Sha256};

use super::v4a::{
    is_der_hex, trim_padding, ECDSA_CHUNK_ALGORITHM, ECDSA_SIGNATURE_FIELD_LEN,
    ECDSA_TRAILER_ALGORITHM,
};
use super::{Checksum, ChecksumAlgorithm, ChunkedError, StreamingMode};
use crate::encoding::{hex_lower, hex_str};
use crate::sigv4a::PublicKey;
use crate::string_to_sign::{chunk_string_to_sign, trailer_string_to_sign, CredentialScope};
use crate::AmzDate;

/// Longest chunk-header or trailer line accepted (a 144-character signature fits easily).
const MAX_LINE: usize = 4096;

/// At most this many trailers besides the signature.
const MAX_TRAILERS: usize = 8;

/// Why a SigV4a aws-chunked body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum V4aChunkVerifyError {
    /// The framing is not aws-chunked as SigV4a sends it.
    Malformed(String),
    /// A chunk's ECDSA signature does not verify.
    ChunkSignatureMismatch {
        /// The chunk's position, from 0 (the final empty chunk included).
        index: u64,
    },
    /// The trailer's ECDSA signature does not verify.
    TrailerSignatureMismatch,
    /// The decoded length differs from `x-amz-decoded-content-length`.
    LengthMismatch {
        /// Declared.
        expected: u64,
        /// Seen.
        actual: u64,
    },
    /// The trailer checksum does not match the body, or the declared trailer is missing.
    ChecksumMismatch {
        /// The trailer name.
        name: String,
    },
    /// The body ended before the final chunk and trailer.
    Incomplete,
}

// Written by hand (no thiserror): the core has no proc-macro dependencies.
impl fmt::Display for V4aChunkVerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V4aChunkVerifyError::Malformed(m) => {
                write!(f, "the SigV4a aws-chunked body is malformed: {m}")
            }
            V4aChunkVerifyError::ChunkSignatureMismatch { index } => {
                write!(f, "the signature of chunk {index} does not verify")
            }
            V4aChunkVerifyError::TrailerSignatureMismatch => {
                f.write_str("the trailer signature does not verify")
            }
            V4aChunkVerifyError::LengthMismatch { expected, actual } => write!(
                f,
                "the decoded body is {actual} bytes but x-amz-decoded-content-length says {expected}"
            ),
            V4aChunkVerifyError::ChecksumMismatch { name } => {
                write!(f, "the {name} trailer does not match the body")
            }
            V4aChunkVerifyError::Incomplete => f.write_str("the aws-chunked body ended early"),
        }
    }
}

impl std::error::Error for V4aChunkVerifyError {}

impl V4aChunkVerifyError {
    /// The S3 error code.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Data { remaining: u64 },
    DataEnd,
    Trailer,
    Done,
    Failed,
}

fn malformed(msg: &str) -> V4aChunkVerifyError {
    V4aChunkVerifyError::Malformed(msg.to_owned())
}

/// A sans-I/O verifier and decoder of a SigV4a aws-chunked body
/// (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`): [`push`](Self::push) the bytes
/// as they arrive and it appends the decoded data to `out`, verifying each chunk's ECDSA
/// signature with the client's public key when the chunk is complete, then the final
/// chunk, the trailer signature and the trailer checksum.
///
/// Memory is constant: data is hashed as it passes; only header and trailer lines are
/// buffered (at most 4 KiB each).
///
/// ```
/// use std::sync::Arc;
/// use sigv4::chunked::{ChunkEncoder, ChunkedSettings, StreamingMode, SigV4aChunkSigner, V4aChunkedBodyVerifier};
/// use sigv4::sigv4a::SigV4aKey;
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
/// assert_eq!(body.len() as u64, settings.encoded_length(5));
///
/// let mut verifier = V4aChunkedBodyVerifier::new(StreamingMode::Signed, key.public_key(), time, "s3", &seed)?
///     .with_expected_length(5);
/// let mut decoded = Vec::new();
/// verifier.push(&body, &mut decoded)?;
/// verifier.finish()?;
/// assert_eq!(decoded, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct V4aChunkedBodyVerifier {
    mode: StreamingMode,
    key: PublicKey,
    time: AmzDate,
    scope: String,
    service: String,
    previous: String,
    state: State,
    line: Vec<u8>,
    chunk_hash: Sha256,
    pending_sig: Option<String>,
    index: u64,
    decoded: u64,
    verified: u64,
    expected_len: Option<u64>,
    checksum: Option<Checksum>,
    trailers: Vec<(String, String)>,
    trailer_sig: Option<String>,
    short_chunk: bool,
    max_chunk: u64,
}

impl fmt::Debug for V4aChunkedBodyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V4aChunkedBodyVerifier")
            .field("mode", &self.mode)
            .field("scope", &self.scope)
            .field("state", &self.state)
            .field("index", &self.index)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

impl V4aChunkedBodyVerifier {
    /// A verifier for a body in `mode` (a signed mode), whose request was signed at `time`
    /// for `service` with the SigV4a signature `seed_signature` (hex DER, from the request's
    /// `Authorization` header, already verified), by the owner of `key`.
    pub fn new(
        mode: StreamingMode,
        key: PublicKey,
        time: impl crate::SigningTime,
        service: &str,
        seed_signature: &str,
    ) -> Result<Self, ChunkedError> {
        let time = time.amz_date()?;
        if !mode.is_signed() {
            return Err(ChunkedError::SignerMismatch(
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER has no chunk signatures to verify",
            ));
        }
        crate::signing_key::validate_scope_part(service)
            .map_err(|_| crate::SigningError::InvalidService(service.to_owned()))?;
        let seed = trim_padding(seed_signature);
        if !is_der_hex(seed) {
            return Err(ChunkedError::InvalidSeedSignature);
        }
        Ok(V4aChunkedBodyVerifier {
            mode,
            key,
            time,
            scope: CredentialScope::new(time.date(), None, service).to_string(),
            service: service.to_owned(),
            previous: seed.to_owned(),
            state: State::Header,
            line: Vec::new(),
            chunk_hash: Sha256::new(),
            pending_sig: None,
            index: 0,
            decoded: 0,
            verified: 0,
            expected_len: None,
            checksum: None,
            trailers: Vec::new(),
            trailer_sig: None,
            short_chunk: false,
            // The default of `verify::DEFAULT_MAX_CHUNK`, 1 MiB.
            max_chunk: 1024 * 1024,
        })
    }

    /// Requires exactly `len` decoded bytes (`x-amz-decoded-content-length`).
    pub fn with_expected_length(mut self, len: u64) -> Self {
        self.expected_len = Some(len);
        self
    }

    /// Requires a trailer with this checksum of the body (the request's `x-amz-trailer`).
    pub fn with_checksum(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.checksum = Some(algorithm.checksum());
        self
    }

    /// Refuses chunks larger than `max` bytes (default 1 MiB).
    pub fn with_max_chunk_size(mut self, max: u64) -> Self {
        self.max_chunk = max;
        self
    }

    /// How many leading decoded bytes are covered by a verified chunk signature.
    pub fn verified_len(&self) -> u64 {
        self.verified
    }

    /// Whether the whole body, trailer included, has been verified.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The trailers received (names lowercase), once done.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// Feeds received bytes; appends decoded data to `out`. After an error every call fails.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), V4aChunkVerifyError> {
        let r = self.push_inner(data, out);
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    /// Ends the body: fails if it is incomplete.
    pub fn finish(&mut self) -> Result<(), V4aChunkVerifyError> {
        if self.state == State::Done {
            Ok(())
        } else {
            self.state = State::Failed;
            Err(V4aChunkVerifyError::Incomplete)
        }
    }

    fn push_inner(
        &mut self,
        mut data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), V4aChunkVerifyError> {
        while !data.is_empty() {
            match self.state {
                State::Failed => return Err(malformed("an earlier error stopped the body")),
                State::Done => return Err(malformed("data after the end of the body")),
                State::Data { remaining } => {
                    let n = remaining.min(data.len() as u64) as usize;
                    let piece = &data[..n];
                    self.chunk_hash.update(piece);
                    if let Some(c) = &mut self.checksum {
                        c.update(piece);
                    }
                    out.extend_from_slice(piece);
                    self.decoded += n as u64;
                    if let Some(exp) = self.expected_len {
                        if self.decoded > exp {
                            return Err(V4aChunkVerifyError::LengthMismatch {
                                expected: exp,
                                actual: self.decoded,
                            });
                        }
                    }
                    data = &data[n..];
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd
                    } else {
                        State::Data { remaining }
                    };
                }
                State::Header | State::DataEnd | State::Trailer => {
                    let Some(pos) = data.iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(data);
                        if self.line.len() > MAX_LINE {
                            return Err(malformed("a line is too long"));
                        }
                        return Ok(());
                    };
                    self.line.extend_from_slice(&data[..=pos]);
                    data = &data[pos + 1..];
                    if self.line.len() > MAX_LINE {
                        return Err(malformed("a line is too long"));
                    }
                    let line = std::mem::take(&mut self.line);
                    let Some(line) = line.strip_suffix(b"\r\n") else {
                        return Err(malformed("lines must end with CRLF"));
                    };
                    self.on_line(line)?;
                }
            }
        }
        Ok(())
    }

    fn on_line(&mut self, line: &[u8]) -> Result<(), V4aChunkVerifyError> {
        match self.state {
            State::DataEnd => {
                if !line.is_empty() {
                    return Err(malformed("chunk data must be followed by CRLF"));
                }
                self.end_chunk()?;
                self.state = State::Header;
            }
            State::Header => self.on_chunk_header(line)?,
            State::Trailer => self.on_trailer_line(line)?,
            State::Data { .. } | State::Done | State::Failed => {}
        }
        Ok(())
    }

    fn on_chunk_header(&mut self, line: &[u8]) -> Result<(), V4aChunkVerifyError> {
        let text =
            std::str::from_utf8(line).map_err(|_| malformed("a chunk header is not text"))?;
        let (size, ext) = text
            .split_once(';')
            .ok_or_else(|| malformed("a chunk has no chunk-signature"))?;
        if size.is_empty() || size.len() > 15 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed("a chunk size must be hex digits"));
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| malformed("bad chunk size"))?;
        let field = ext
            .strip_prefix("chunk-signature=")
            .ok_or_else(|| malformed("expected ;chunk-signature=<144 characters>"))?;
        self.pending_sig = Some(parse_field(field)?);
        if self.short_chunk && size > 0 {
            return Err(malformed(
                "only the last data chunk may be shorter than 8 KiB",
            ));
        }
        if size > 0 && size < super::MIN_CHUNK_SIZE as u64 {
            self.short_chunk = true;
        }
        if size > self.max_chunk {
            return Err(V4aChunkVerifyError::Malformed(format!(
                "a chunk of {size} bytes is larger than the {} allowed",
                self.max_chunk
            )));
        }
        // Refuse a chunk that would overrun the declared length before passing any of it on.
        if let Some(exp) = self.expected_len {
            if self.decoded.saturating_add(size) > exp {
                return Err(V4aChunkVerifyError::LengthMismatch {
                    expected: exp,
                    actual: self.decoded.saturating_add(size),
                });
            }
        }
        self.chunk_hash = Sha256::new();
        if size == 0 {
            self.end_chunk()?;
            if let Some(exp) = self.expected_len {
                if exp != self.decoded {
                    return Err(V4aChunkVerifyError::LengthMismatch {
                        expected: exp,
                        actual: self.decoded,
                    });
                }
            }
            self.state = State::Trailer;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), V4aChunkVerifyError> {
        if line.is_empty() {
            self.end_trailer()?;
            self.state = State::Done;
            return Ok(());
        }
        if self.mode != StreamingMode::SignedWithTrailer {
            return Err(malformed(
                "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD has no trailer",
            ));
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
        if name == "x-amz-trailer-signature" {
            self.trailer_sig = Some(parse_field(value)?);
        } else {
            if self.trailers.len() >= MAX_TRAILERS {
                return Err(malformed("too many trailers"));
            }
            self.trailers.push((name, value.to_owned()));
        }
        Ok(())
    }

    fn end_chunk(&mut self) -> Result<(), V4aChunkVerifyError> {
        let hash: [u8; 32] = std::mem::take(&mut self.chunk_hash).finalize().into();
        let hash_hex: [u8; 64] = hex_lower(&hash);
        let mut sts = String::with_capacity(400);
        chunk_string_to_sign(
            &mut sts,
            ECDSA_CHUNK_ALGORITHM,
            self.time.date_time(),
            &self.credential_scope(),
            &self.previous,
            hex_str(&hash_hex),
        );
        let sig = self.pending_sig.take().unwrap_or_default();
        if !self.key.verify_hex(sts.as_bytes(), &sig) {
            return Err(V4aChunkVerifyError::ChunkSignatureMismatch { index: self.index });
        }
        self.previous = sig;
        self.index += 1;
        self.verified = self.decoded;
        Ok(())
    }

    fn end_trailer(&mut self) -> Result<(), V4aChunkVerifyError> {
        if self.mode == StreamingMode::SignedWithTrailer {
            let sig = self
                .trailer_sig
                .take()
                .ok_or_else(|| malformed("the trailer has no x-amz-trailer-signature"))?;
            let mut canonical = String::new();
            for (n, v) in &self.trailers {
                canonical.push_str(n);
                canonical.push(':');
                canonical.push_str(v);
                canonical.push('\n');
            }
            let hash: [u8; 64] = hex_lower(&Sha256::digest(canonical.as_bytes()));
            let mut sts = String::with_capacity(400);
            trailer_string_to_sign(
                &mut sts,
                ECDSA_TRAILER_ALGORITHM,
                self.time.date_time(),
                &self.credential_scope(),
                &self.previous,
                hex_str(&hash),
            );
            if !self.key.verify_hex(sts.as_bytes(), &sig) {
                return Err(V4aChunkVerifyError::TrailerSignatureMismatch);
            }
            self.previous = sig;
        }
        if let Some(c) = self.checksum.take() {
            let name = c.algorithm().header_name();
            let sent = self
                .trailers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str());
            if sent != Some(c.finalize().as_str()) {
                return Err(V4aChunkVerifyError::ChecksumMismatch {
                    name: name.to_owned(),
                });
            }
        }
        Ok(())
    }

    fn credential_scope(&self) -> CredentialScope<'_> {
        CredentialScope::new(self.time.date(), None, &self.service)
    }
}

/// A signature field: exactly 144 characters, hex DER then `*` padding. Returns the hex.
fn parse_field(field: &str) -> Result<String, V4aChunkVerifyError> {
    if field.len() != ECDSA_SIGNATURE_FIELD_LEN {
        return Err(V4aChunkVerifyError::Malformed(format!(
            "a SigV4a signature field has {} characters, not {ECDSA_SIGNATURE_FIELD_LEN}",
            field.len()
        )));
    }
    let hex = trim_padding(field);
    if !is_der_hex(hex) {
        return Err(malformed(
            "a SigV4a signature must be lowercase hex DER padded with '*'",
        ));
    }
    Ok(hex.to_owned())
}
