use std::fmt;

use sha2::{Digest, Sha256};

use super::ChunkedError;
use crate::encoding::{hex_lower, hex_str};
use crate::streaming::{
    HMAC_CHUNK_ALGORITHM as CHUNK_ALGORITHM, HMAC_TRAILER_ALGORITHM as TRAILER_ALGORITHM,
};
use crate::string_to_sign::{chunk_string_to_sign, trailer_string_to_sign};
use crate::{AmzDate, SigningKey, SigningTime};

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
    /// The string to sign, rewritten for each chunk: one allocation per chain, none per
    /// chunk.
    scratch: String,
}

impl ChunkSigner {
    /// Starts the chain from the request's signature `seed_signature`, made with `key` at `time`.
    pub fn new(
        key: SigningKey,
        time: impl SigningTime,
        seed_signature: &str,
    ) -> Result<Self, ChunkedError> {
        let time = time.amz_date()?;
        let seed = seed_signature.as_bytes();
        if seed.len() != 64 || !seed.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ChunkedError::InvalidSeedSignature);
        }
        key.check_scope(time.date(), key.region(), key.service())?;
        let mut previous = [0u8; 64];
        previous.copy_from_slice(seed);
        // Algorithm, time, scope, then three 64-digit lines (previous signature, two hashes).
        let capacity = TRAILER_ALGORITHM.len().max(CHUNK_ALGORITHM.len())
            + 1
            + time.date_time().len()
            + 1
            + key.scope().len()
            + 3 * 65;
        Ok(ChunkSigner {
            key,
            time,
            previous,
            scratch: String::with_capacity(capacity),
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
        let mut sts = std::mem::take(&mut self.scratch);
        sts.clear();
        self.write_chunk_string_to_sign(&mut sts, chunk_sha256);
        self.advance(sts)
    }

    /// Signs the trailer, given its canonical form: each trailer as `name:value\n`.
    pub fn sign_trailer(&mut self, canonical_trailers: &[u8]) -> &str {
        let hash: [u8; 64] = hex_lower(&Sha256::digest(canonical_trailers));
        let mut sts = std::mem::take(&mut self.scratch);
        sts.clear();
        trailer_string_to_sign(
            &mut sts,
            TRAILER_ALGORITHM,
            self.time.date_time(),
            &self.key.credential_scope(),
            self.previous_signature(),
            hex_str(&hash),
        );
        self.advance(sts)
    }

    /// The string to sign for a chunk with this SHA-256, without advancing the chain (for
    /// inspection and for verifiers that report what they computed).
    pub fn chunk_string_to_sign(&self, chunk_sha256: &[u8; 32]) -> String {
        let mut sts = String::with_capacity(self.scratch.capacity());
        self.write_chunk_string_to_sign(&mut sts, chunk_sha256);
        sts
    }

    fn write_chunk_string_to_sign(&self, out: &mut String, chunk_sha256: &[u8; 32]) {
        let hash: [u8; 64] = hex_lower(chunk_sha256);
        chunk_string_to_sign(
            out,
            CHUNK_ALGORITHM,
            self.time.date_time(),
            &self.key.credential_scope(),
            self.previous_signature(),
            hex_str(&hash),
        );
    }

    /// Signs `string_to_sign` into the chain and keeps its buffer for the next one.
    fn advance(&mut self, string_to_sign: String) -> &str {
        self.previous = hex_lower(&self.key.sign(string_to_sign.as_bytes()));
        self.scratch = string_to_sign;
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
