//! The two signature checks of an aws-chunked body: the one thing that differs between a
//! SigV4 body (HMAC-SHA256 with the day's signing key) and a SigV4a body (ECDSA P-256 with
//! the client's public key). The framing around them is one machine,
//! [`ChunkedBodyVerifier`](super::ChunkedBodyVerifier).
//!
//! Each check rebuilds the string to sign of a chunk or of the trailer with the signer's
//! own building blocks ([`chunk_string_to_sign`], [`trailer_string_to_sign`],
//! [`CredentialScope`]), chained from the previous signature, starting at the request's.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ChunkVerifyError;
use crate::encoding::{hex_lower, hex_str};
use crate::streaming::{ChunkedError, HMAC_CHUNK_ALGORITHM, HMAC_TRAILER_ALGORITHM};
use crate::string_to_sign::{chunk_string_to_sign, trailer_string_to_sign, CredentialScope};
use crate::{AmzDate, SigningKey};

/// The widest signature field: 144 characters (SigV4a's padded DER hex; SigV4 sends 64).
const FIELD_CAPACITY: usize = 144;

/// A chunk or trailer signature as it will be chained: 64 lowercase hex digits (SigV4) or
/// lowercase DER hex without its `*` padding (SigV4a). Fixed size: no allocation per chunk.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct SignatureField {
    buf: [u8; FIELD_CAPACITY],
    len: usize,
}

impl SignatureField {
    /// `text` must be ASCII of at most 144 bytes (checked by the callers' parsers).
    fn new(text: &str) -> Self {
        let mut buf = [0u8; FIELD_CAPACITY];
        let len = text.len().min(FIELD_CAPACITY);
        buf[..len].copy_from_slice(&text.as_bytes()[..len]);
        SignatureField { buf, len }
    }

    fn as_str(&self) -> &str {
        hex_str(&self.buf[..self.len])
    }
}

/// How a signature is checked.
#[derive(Clone)]
enum SignatureCheck {
    /// SigV4: HMAC-SHA256 with the day's signing key, compared in constant time. The
    /// scope is the key's (`date/region/service/aws4_request`).
    Hmac(SigningKey),
    /// SigV4a: an ECDSA P-256 signature checked with the client's public key. The scope
    /// has no region (`date/service/aws4_request`).
    #[cfg(feature = "sigv4a")]
    Ecdsa {
        key: crate::sigv4a::PublicKey,
        service: String,
    },
}

/// What a chunk or trailer signature signs.
#[derive(Clone, Copy)]
enum Signed<'a> {
    /// A chunk, by the hex SHA-256 of its data.
    Chunk(&'a str),
    /// The trailer, by the hex SHA-256 of its canonical lines.
    Trailer(&'a str),
}

/// The chain of signatures an aws-chunked body must carry: each chunk's (the final empty
/// one included), then the trailer's, each signing the previous one, from the request's.
#[derive(Clone)]
pub(super) struct SignatureChain {
    check: SignatureCheck,
    time: AmzDate,
    previous: SignatureField,
}

impl SignatureChain {
    /// SigV4: seeded with the request's signature (64 lowercase hex digits), signed with
    /// `key`, the signing key of the request's scope, at `time`.
    pub(super) fn hmac(key: SigningKey, time: AmzDate, seed: &str) -> Result<Self, ChunkedError> {
        if !is_hmac_hex(seed) {
            return Err(ChunkedError::InvalidSeedSignature);
        }
        key.check_scope(time.date(), key.region(), key.service())?;
        Ok(SignatureChain {
            check: SignatureCheck::Hmac(key),
            time,
            previous: SignatureField::new(seed),
        })
    }

    /// SigV4a: seeded with the request's signature (DER hex, `*` padding allowed), checked
    /// with the client's public `key`, for `service` at `time`.
    #[cfg(feature = "sigv4a")]
    pub(super) fn ecdsa(
        key: crate::sigv4a::PublicKey,
        time: AmzDate,
        service: &str,
        seed: &str,
    ) -> Result<Self, ChunkedError> {
        crate::signing_key::validate_scope_part(service)
            .map_err(|_| crate::SigningError::InvalidService(service.to_owned()))?;
        let seed = crate::streaming::trim_padding(seed);
        if !crate::streaming::is_der_hex(seed) {
            return Err(ChunkedError::InvalidSeedSignature);
        }
        Ok(SignatureChain {
            check: SignatureCheck::Ecdsa {
                key,
                service: service.to_owned(),
            },
            time,
            previous: SignatureField::new(seed),
        })
    }

    /// The algorithm, for `Debug`.
    pub(super) fn algorithm(&self) -> &'static str {
        match &self.check {
            SignatureCheck::Hmac(_) => crate::ALGORITHM,
            #[cfg(feature = "sigv4a")]
            SignatureCheck::Ecdsa { .. } => crate::sigv4a::ALGORITHM,
        }
    }

    /// Reads a signature field of a chunk header or of `x-amz-trailer-signature`: exactly
    /// 64 lowercase hex digits (SigV4); exactly 144 characters, lowercase DER hex padded
    /// with `*` (SigV4a).
    pub(super) fn parse_field(&self, field: &str) -> Result<SignatureField, ChunkVerifyError> {
        match &self.check {
            SignatureCheck::Hmac(_) => {
                if !is_hmac_hex(field) {
                    return Err(ChunkVerifyError::Malformed(
                        "a signature must be 64 lowercase hex digits".into(),
                    ));
                }
                Ok(SignatureField::new(field))
            }
            #[cfg(feature = "sigv4a")]
            SignatureCheck::Ecdsa { .. } => {
                use crate::streaming::ECDSA_SIGNATURE_FIELD_LEN as LEN;
                if field.len() != LEN {
                    return Err(ChunkVerifyError::Malformed(format!(
                        "a SigV4a signature field has {} characters, not {LEN}",
                        field.len()
                    )));
                }
                let hex = crate::streaming::trim_padding(field);
                if !crate::streaming::is_der_hex(hex) {
                    return Err(ChunkVerifyError::Malformed(
                        "a SigV4a signature must be lowercase hex DER padded with '*'".into(),
                    ));
                }
                Ok(SignatureField::new(hex))
            }
        }
    }

    /// Whether `sig` signs the next chunk, whose data has this SHA-256; on success it
    /// becomes the previous signature.
    pub(super) fn verify_chunk(&mut self, chunk_sha256: &[u8; 32], sig: &SignatureField) -> bool {
        let hash: [u8; 64] = hex_lower(chunk_sha256);
        self.verify(Signed::Chunk(hex_str(&hash)), sig)
    }

    /// Whether `sig` signs the trailer, given its canonical form (each trailer as
    /// `name:value\n`).
    pub(super) fn verify_trailer(&mut self, canonical: &[u8], sig: &SignatureField) -> bool {
        let hash: [u8; 64] = hex_lower(&Sha256::digest(canonical));
        self.verify(Signed::Trailer(hex_str(&hash)), sig)
    }

    fn verify(&mut self, signed: Signed<'_>, sig: &SignatureField) -> bool {
        let mut sts = String::with_capacity(400);
        let ok = match &self.check {
            SignatureCheck::Hmac(key) => {
                let algorithm = match signed {
                    Signed::Chunk(_) => HMAC_CHUNK_ALGORITHM,
                    Signed::Trailer(_) => HMAC_TRAILER_ALGORITHM,
                };
                let scope = key.credential_scope();
                self.string_to_sign(&mut sts, algorithm, &scope, signed);
                let computed: [u8; 64] = hex_lower(&key.sign(sts.as_bytes()));
                sig.len == 64 && bool::from(computed.ct_eq(&sig.buf[..64]))
            }
            #[cfg(feature = "sigv4a")]
            SignatureCheck::Ecdsa { key, service } => {
                let algorithm = match signed {
                    Signed::Chunk(_) => crate::streaming::ECDSA_CHUNK_ALGORITHM,
                    Signed::Trailer(_) => crate::streaming::ECDSA_TRAILER_ALGORITHM,
                };
                let scope = CredentialScope::new(self.time.date(), None, service);
                self.string_to_sign(&mut sts, algorithm, &scope, signed);
                key.verify_hex(sts.as_bytes(), sig.as_str())
            }
        };
        if ok {
            self.previous = *sig;
        }
        ok
    }

    fn string_to_sign(
        &self,
        out: &mut String,
        algorithm: &str,
        scope: &CredentialScope<'_>,
        signed: Signed<'_>,
    ) {
        let (time, previous) = (self.time.date_time(), self.previous.as_str());
        match signed {
            Signed::Chunk(h) => chunk_string_to_sign(out, algorithm, time, scope, previous, h),
            Signed::Trailer(h) => trailer_string_to_sign(out, algorithm, time, scope, previous, h),
        }
    }
}

/// 64 lowercase hex digits: a SigV4 signature.
fn is_hmac_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
