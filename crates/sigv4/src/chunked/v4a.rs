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

use super::ChunkedError;
use crate::encoding::{hex_lower, hex_str};
use crate::sigv4a::SigV4aKey;
use crate::streaming::{
    is_der_hex, trim_padding, ECDSA_CHUNK_ALGORITHM, ECDSA_SIGNATURE_FIELD_LEN,
    ECDSA_SIGNATURE_PADDING, ECDSA_TRAILER_ALGORITHM,
};
use crate::string_to_sign::{chunk_string_to_sign, trailer_string_to_sign, CredentialScope};
use crate::{AmzDate, SigningTime};

/// The chain of SigV4a chunk signatures of a signed aws-chunked body.
///
/// ```
/// use std::sync::Arc;
/// use sha2::{Digest, Sha256};
/// use sigv4::chunked::SigV4aChunkSigner;
/// use sigv4::sigv4a::SigV4aKey;
/// use sigv4::AmzDate;
///
/// let key = Arc::new(SigV4aKey::derive("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?);
/// let time = AmzDate::parse("20130524T000000Z").unwrap();
/// let seed = key.sign_hex(b"the request's string to sign");
/// let mut signer = SigV4aChunkSigner::new(key.clone(), time, "s3", &seed)?;
/// let chunk = vec![b'a'; 1024];
/// let sts = signer.chunk_string_to_sign(&Sha256::digest(&chunk).into());
/// let field = signer.sign_chunk(&chunk).to_owned();
/// assert_eq!(field.len(), 144); // padded with '*'
/// assert!(key.public_key().verify_hex(sts.as_bytes(), sigv4::chunked::trim_padding(&field)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SigV4aChunkSigner {
    key: Arc<SigV4aKey>,
    time: AmzDate,
    scope: String,
    service: String,
    /// The last signature as sent: hex, right-padded with `*` to 144.
    previous: [u8; ECDSA_SIGNATURE_FIELD_LEN],
    previous_len: usize,
    /// The string to sign, rewritten for each chunk: one allocation per chain, none per
    /// chunk.
    scratch: String,
}

impl SigV4aChunkSigner {
    /// Starts the chain at the request's SigV4a signature `seed_signature` (hex DER, as
    /// in its `Authorization` header), signing with `key` at `time` for `service`.
    pub fn new(
        key: Arc<SigV4aKey>,
        time: impl SigningTime,
        service: &str,
        seed_signature: &str,
    ) -> Result<Self, ChunkedError> {
        let time = time.amz_date()?;
        crate::signing_key::validate_scope_part(service)
            .map_err(|_| crate::SigningError::InvalidService(service.to_owned()))?;
        let seed = trim_padding(seed_signature);
        if !is_der_hex(seed) {
            return Err(ChunkedError::InvalidSeedSignature);
        }
        let mut s = SigV4aChunkSigner {
            key,
            time,
            scope: CredentialScope::new(time.date(), None, service).to_string(),
            service: service.to_owned(),
            previous: [ECDSA_SIGNATURE_PADDING; ECDSA_SIGNATURE_FIELD_LEN],
            previous_len: 0,
            scratch: String::with_capacity(400),
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
        let mut sts = String::with_capacity(400);
        self.write_chunk_string_to_sign(&mut sts, chunk_sha256);
        sts
    }

    fn write_chunk_string_to_sign(&self, out: &mut String, chunk_sha256: &[u8; 32]) {
        let hash: [u8; 64] = hex_lower(chunk_sha256);
        chunk_string_to_sign(
            out,
            ECDSA_CHUNK_ALGORITHM,
            self.time.date_time(),
            &CredentialScope::new(self.time.date(), None, &self.service),
            self.previous_signature(),
            hex_str(&hash),
        );
    }

    /// The string to sign of the trailer (each trailer as `name:value\n`), without
    /// advancing the chain.
    pub fn trailer_string_to_sign(&self, canonical_trailers: &[u8]) -> String {
        let mut sts = String::with_capacity(400);
        self.write_trailer_string_to_sign(&mut sts, canonical_trailers);
        sts
    }

    fn write_trailer_string_to_sign(&self, out: &mut String, canonical_trailers: &[u8]) {
        let hash: [u8; 64] = hex_lower(&Sha256::digest(canonical_trailers));
        trailer_string_to_sign(
            out,
            ECDSA_TRAILER_ALGORITHM,
            self.time.date_time(),
            &CredentialScope::new(self.time.date(), None, &self.service),
            self.previous_signature(),
            hex_str(&hash),
        );
    }

    /// Signs the next chunk (empty for the final chunk); returns the padded signature field.
    pub fn sign_chunk(&mut self, chunk: &[u8]) -> &str {
        self.sign_chunk_hash(&Sha256::digest(chunk).into())
    }

    /// Signs the next chunk given the SHA-256 of its data; returns the padded field.
    pub fn sign_chunk_hash(&mut self, chunk_sha256: &[u8; 32]) -> &str {
        let mut sts = std::mem::take(&mut self.scratch);
        sts.clear();
        self.write_chunk_string_to_sign(&mut sts, chunk_sha256);
        self.advance(sts)
    }

    /// Signs the trailer (each trailer as `name:value\n`); returns the padded field.
    pub fn sign_trailer(&mut self, canonical_trailers: &[u8]) -> &str {
        let mut sts = std::mem::take(&mut self.scratch);
        sts.clear();
        self.write_trailer_string_to_sign(&mut sts, canonical_trailers);
        self.advance(sts)
    }

    /// Signs `sts` into the chain and keeps its buffer for the next string to sign.
    fn advance(&mut self, sts: String) -> &str {
        let (hex, len) = self.key.sign_hex_array(sts.as_bytes());
        self.set_previous(&hex[..len]);
        self.scratch = sts;
        self.previous_signature_field()
    }
}

impl fmt::Debug for SigV4aChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4aChunkSigner")
            .field("access_key_id", &self.key.access_key_id())
            .field("scope", &self.scope)
            .field("time", &self.time)
            .field("previous_signature", &self.previous_signature())
            .finish_non_exhaustive()
    }
}
