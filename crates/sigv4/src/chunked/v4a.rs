//! SigV4a streaming: aws-chunked bodies whose chunks and trailer are signed with ECDSA
//! P-256 (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD` and `...-PAYLOAD-TRAILER`).
//!
//! The format follows the AWS common runtime (aws-c-auth), which the AWS SDKs use:
//!
//! * a chunk's string to sign is
//!   `AWS4-ECDSA-P256-SHA256-PAYLOAD\n<date-time>\n<date>/<service>/aws4_request\n<previous signature>\n<sha256("")>\n<sha256(chunk)>`,
//!   and the trailer's is
//!   `AWS4-ECDSA-P256-SHA256-TRAILER\n<date-time>\n<date>/<service>/aws4_request\n<previous signature>\n<sha256(trailer lines)>`
//!   (the SigV4a scope has no region);
//! * the chain starts at the request's own (hex DER) signature;
//! * a DER signature has 70 to 72 bytes, so in the body every chunk and trailer signature
//!   is its hex right-padded with `*` to 144 characters: the body length is exact and known
//!   before signing. The padding is removed before a signature becomes the next
//!   "previous signature".

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{ChunkedError, EMPTY_SHA256};
use crate::encoding::hex_lower;
use crate::sigv4a::SigV4aKey;
use crate::AmzDate;

/// `x-amz-content-sha256` of a SigV4a streaming upload with signed chunks.
pub const STREAMING_ECDSA_PAYLOAD: &str = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";

/// `x-amz-content-sha256` of a SigV4a streaming upload with signed chunks and a signed trailer.
pub const STREAMING_ECDSA_PAYLOAD_TRAILER: &str =
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER";

/// The algorithm line of a SigV4a chunk's string to sign.
pub const ECDSA_CHUNK_ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256-PAYLOAD";

/// The algorithm line of a SigV4a trailer's string to sign.
pub const ECDSA_TRAILER_ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256-TRAILER";

/// The width of a SigV4a chunk or trailer signature in the body: the hex of the longest
/// DER ECDSA P-256 signature (72 bytes), shorter ones right-padded with `*`.
pub const ECDSA_SIGNATURE_FIELD_LEN: usize = 144;

/// The padding byte of SigV4a chunk and trailer signatures.
pub const ECDSA_SIGNATURE_PADDING: u8 = b'*';

/// Removes the `*` padding from a SigV4a chunk or trailer signature.
pub fn trim_padding(signature: &str) -> &str {
    signature.trim_end_matches(ECDSA_SIGNATURE_PADDING as char)
}

/// Whether `s` is the lowercase hex of a DER ECDSA P-256 signature (8 to 72 bytes).
pub(super) fn is_der_hex(s: &str) -> bool {
    (16..=ECDSA_SIGNATURE_FIELD_LEN).contains(&s.len())
        && s.len().is_multiple_of(2)
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The chain of SigV4a chunk signatures of a signed aws-chunked body.
///
/// ```
/// use std::sync::Arc;
/// use sha2::{Digest, Sha256};
/// use sigv4::chunked::V4aChunkSigner;
/// use sigv4::sigv4a::SigV4aKey;
/// use sigv4::AmzDate;
///
/// let key = Arc::new(SigV4aKey::derive("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?);
/// let time = AmzDate::parse("20130524T000000Z").unwrap();
/// let seed = key.sign_hex(b"the request's string to sign");
/// let mut signer = V4aChunkSigner::new(key.clone(), time, "s3", &seed)?;
/// let chunk = vec![b'a'; 1024];
/// let sts = signer.chunk_string_to_sign(&Sha256::digest(&chunk).into());
/// let field = signer.sign_chunk(&chunk).to_owned();
/// assert_eq!(field.len(), 144); // padded with '*'
/// assert!(key.public_key().verify_hex(sts.as_bytes(), sigv4::chunked::trim_padding(&field)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct V4aChunkSigner {
    key: Arc<SigV4aKey>,
    time: AmzDate,
    scope: String,
    /// The last signature as sent: hex, right-padded with `*` to 144.
    previous: [u8; ECDSA_SIGNATURE_FIELD_LEN],
    previous_len: usize,
}

impl V4aChunkSigner {
    /// Starts the chain at the request's SigV4a signature `seed_signature` (hex DER, as
    /// in its `Authorization` header), signing with `key` at `time` for `service`.
    pub fn new(
        key: Arc<SigV4aKey>,
        time: AmzDate,
        service: &str,
        seed_signature: &str,
    ) -> Result<Self, ChunkedError> {
        crate::signing_key::validate_scope_part(service)
            .map_err(|_| crate::SigningError::InvalidService(service.to_owned()))?;
        let seed = trim_padding(seed_signature);
        if !is_der_hex(seed) {
            return Err(ChunkedError::InvalidSeedSignature);
        }
        let mut s = V4aChunkSigner {
            key,
            time,
            scope: format!("{}/{service}/aws4_request", time.date()),
            previous: [ECDSA_SIGNATURE_PADDING; ECDSA_SIGNATURE_FIELD_LEN],
            previous_len: 0,
        };
        s.set_previous(seed.as_bytes());
        Ok(s)
    }

    fn set_previous(&mut self, hex: &[u8]) {
        self.previous = [ECDSA_SIGNATURE_PADDING; ECDSA_SIGNATURE_FIELD_LEN];
        self.previous[..hex.len()].copy_from_slice(hex);
        self.previous_len = hex.len();
    }

    /// The credential scope, `date/service/aws4_request`.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The most recent signature without padding (the seed before any chunk).
    pub fn previous_signature(&self) -> &str {
        std::str::from_utf8(&self.previous[..self.previous_len]).unwrap_or_default()
    }

    /// The most recent signature as it appears in the body: padded to 144 characters.
    pub fn previous_signature_field(&self) -> &str {
        std::str::from_utf8(&self.previous).unwrap_or_default()
    }

    /// The string to sign of a chunk with this SHA-256, without advancing the chain.
    pub fn chunk_string_to_sign(&self, chunk_sha256: &[u8; 32]) -> String {
        let hash: [u8; 64] = hex_lower(chunk_sha256);
        let mut s = self.sts_prefix(ECDSA_CHUNK_ALGORITHM);
        s.push_str(EMPTY_SHA256);
        s.push('\n');
        s.push_str(std::str::from_utf8(&hash).unwrap_or_default());
        s
    }

    /// The string to sign of the trailer (each trailer as `name:value\n`), without
    /// advancing the chain.
    pub fn trailer_string_to_sign(&self, canonical_trailers: &[u8]) -> String {
        let hash: [u8; 64] = hex_lower(&Sha256::digest(canonical_trailers));
        let mut s = self.sts_prefix(ECDSA_TRAILER_ALGORITHM);
        s.push_str(std::str::from_utf8(&hash).unwrap_or_default());
        s
    }

    fn sts_prefix(&self, algorithm: &str) -> String {
        let mut s = String::with_capacity(400);
        s.push_str(algorithm);
        s.push('\n');
        s.push_str(self.time.date_time());
        s.push('\n');
        s.push_str(&self.scope);
        s.push('\n');
        s.push_str(self.previous_signature());
        s.push('\n');
        s
    }

    /// Signs the next chunk (empty for the final chunk); returns the padded signature field.
    pub fn sign_chunk(&mut self, chunk: &[u8]) -> &str {
        self.sign_chunk_hash(&Sha256::digest(chunk).into())
    }

    /// Signs the next chunk given the SHA-256 of its data; returns the padded field.
    pub fn sign_chunk_hash(&mut self, chunk_sha256: &[u8; 32]) -> &str {
        let sts = self.chunk_string_to_sign(chunk_sha256);
        self.advance(&sts)
    }

    /// Signs the trailer (each trailer as `name:value\n`); returns the padded field.
    pub fn sign_trailer(&mut self, canonical_trailers: &[u8]) -> &str {
        let sts = self.trailer_string_to_sign(canonical_trailers);
        self.advance(&sts)
    }

    fn advance(&mut self, sts: &str) -> &str {
        let hex = self.key.sign_hex(sts.as_bytes());
        self.set_previous(hex.as_bytes());
        self.previous_signature_field()
    }
}

impl fmt::Debug for V4aChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V4aChunkSigner")
            .field("access_key_id", &self.key.access_key_id())
            .field("scope", &self.scope)
            .field("time", &self.time)
            .field("previous_signature", &self.previous_signature())
            .finish_non_exhaustive()
    }
}

/// Prepares and signs an `http::Request` for a SigV4a aws-chunked upload of `decoded_len`
/// body bytes (features `http` and `sigv4a`): `settings` must be SigV4a settings
/// ([`ChunkedSettings::sigv4a`](super::ChunkedSettings::sigv4a)). Sets the streaming
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
/// let encoder = chunked::sign_http_request_v4a(&signer, &mut req, settings, 66560, &creds, time)?;
/// assert_eq!(req.headers()["x-amz-content-sha256"], "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
/// assert_eq!(req.headers()["content-length"], "67064");
/// let body = vec![b'a'; 66560];
/// let mut encoded = Vec::new();
/// ChunkedReader::new(&body[..], encoder).read_to_end(&mut encoded)?;
/// assert_eq!(encoded.len(), 67064);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "http")]
pub fn sign_http_request_v4a<B>(
    signer: &crate::sigv4a::SigV4aSigner,
    request: &mut http::Request<B>,
    settings: super::ChunkedSettings,
    decoded_len: u64,
    credentials: &crate::Credentials,
    time: std::time::SystemTime,
) -> Result<super::ChunkEncoder, ChunkedError> {
    if !settings.is_sigv4a() {
        return Err(ChunkedError::SignerMismatch(
            "sign_http_request_v4a needs SigV4a settings: ChunkedSettings::sigv4a()",
        ));
    }
    super::set_streaming_headers(request, &settings, decoded_len)?;
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
        let chain = V4aChunkSigner::new(key, at, signer.service(), out.signature())?;
        super::ChunkEncoder::new_v4a(settings, chain)?
    } else {
        super::ChunkEncoder::new(settings, None)?
    };
    Ok(encoder.with_expected_length(decoded_len))
}
