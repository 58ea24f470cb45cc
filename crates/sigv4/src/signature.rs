//! The signature of a string to sign: HMAC-SHA256 with the day's key (SigV4), or ECDSA
//! P-256 (SigV4a, in `sigv4a`), behind one small trait so the signing flow in `sign/`
//! serves both without knowing either.

use crate::encoding::{hex_lower, hex_str};
use crate::signing_key::HmacSha256;
use crate::string_to_sign::CredentialScope;

/// The algorithm name of SigV4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Longest signature in hex: a DER-encoded ECDSA P-256 signature is at most 72 bytes.
pub(crate) const MAX_SIGNATURE_HEX: usize = 144;

/// A signature as lowercase hex, on the stack.
pub(crate) struct SignatureHex {
    hex: [u8; MAX_SIGNATURE_HEX],
    len: usize,
}

impl SignatureHex {
    /// From the raw signature bytes (32 for HMAC, at most 72 for DER ECDSA).
    pub(crate) fn from_bytes(raw: &[u8]) -> Self {
        let hex: [u8; MAX_SIGNATURE_HEX] = hex_lower(raw);
        SignatureHex {
            hex,
            len: (2 * raw.len()).min(MAX_SIGNATURE_HEX),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        hex_str(&self.hex[..self.len])
    }
}

/// What differs between SigV4 and SigV4a for the request signing flow: the algorithm
/// name, the credential scope, the region set, and the signature itself.
pub(crate) trait SignatureAlgorithm {
    /// `AWS4-HMAC-SHA256` or `AWS4-ECDSA-P256-SHA256`.
    fn name(&self) -> &'static str;

    /// The credential scope for `date` (`YYYYMMDD`) and `service`.
    fn scope<'s>(&'s self, date: &'s str, service: &'s str) -> CredentialScope<'s>;

    /// SigV4a's region set (signed as `x-amz-region-set` / `X-Amz-Region-Set`).
    fn region_set(&self) -> Option<&str> {
        None
    }

    /// The signature of `string_to_sign`.
    fn sign(&self, string_to_sign: &[u8]) -> SignatureHex;
}

/// SigV4: HMAC-SHA256 with the day's key; the credential scope names the region.
pub(crate) struct HmacSignature<'a> {
    pub(crate) region: &'a str,
    /// Keyed with the day's signing key (inner and outer pads absorbed already).
    pub(crate) mac: &'a HmacSha256,
}

impl SignatureAlgorithm for HmacSignature<'_> {
    fn name(&self) -> &'static str {
        ALGORITHM
    }

    fn scope<'s>(&'s self, date: &'s str, service: &'s str) -> CredentialScope<'s> {
        CredentialScope::new(date, Some(self.region), service)
    }

    fn sign(&self, string_to_sign: &[u8]) -> SignatureHex {
        use hmac::Mac;
        let mut mac = self.mac.clone();
        mac.update(string_to_sign);
        SignatureHex::from_bytes(&mac.finalize().into_bytes())
    }
}
