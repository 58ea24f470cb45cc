//! SigV4a: asymmetric (ECDSA P-256) signatures valid in a *set* of regions (feature `sigv4a`).
//!
//! SigV4a signs the same canonical request as SigV4, with three differences:
//!
//! * the algorithm is `AWS4-ECDSA-P256-SHA256` and the credential scope has no region
//!   (`20150830/service/aws4_request`);
//! * the regions the signature is valid in go into an `x-amz-region-set` header (or an
//!   `X-Amz-Region-Set` query parameter when presigning): `*`, or a list such as
//!   `us-east-1,us-west-2`;
//! * the signature is an ECDSA P-256 signature (DER, hex) of the string to sign, made
//!   with a private key derived from the secret access key ([`SigV4aKey::derive`], the
//!   counter-mode HMAC KDF of the SigV4a specification).
//!
//! ECDSA signatures here are deterministic (RFC 6979); AWS accepts any valid signature.
//! Derived keys are cached per access key ([`KeyCache`]) since deriving costs a scalar
//! multiplication.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use sigv4::sigv4a::SigV4aSigner;
//! use sigv4::{Credentials, Payload, SignableRequest};
//!
//! let signer = SigV4aSigner::new("*", "s3")?;
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
//! let req = SignableRequest::new(
//!     "GET",
//!     "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/photo.jpg",
//!     [],
//!     Payload::Unsigned,
//! );
//! let out = signer.sign(&req, &creds, UNIX_EPOCH + Duration::from_secs(1_440_938_160))?;
//! assert!(out.authorization().unwrap().starts_with(
//!     "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-region-set, Signature=30"
//! ));
//! // Anyone holding the public key can check the signature.
//! let key = signer.key(&creds)?;
//! assert!(key.public_key().verify_hex(out.string_to_sign().as_bytes(), out.signature()));
//! # Ok::<(), sigv4::sigv4a::SigV4aError>(())
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, SigningKey as EcdsaSigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::sign::sign_request;
use crate::signature::{SignatureAlgorithm, SignatureHex};
use crate::signing_key::{hmac_sha256, validate_scope_part};
use crate::string_to_sign::CredentialScope;
use crate::{AmzDate, Credentials, SignableRequest, SigningError, SigningSettings};

/// The algorithm name of SigV4a.
pub const ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256";

/// The header that carries the region set in header mode.
pub const REGION_SET_HEADER: &str = "x-amz-region-set";

/// The query parameter that carries the region set in a presigned URL.
pub const REGION_SET_PARAM: &str = "X-Amz-Region-Set";

/// The most key derivation attempts the specification allows (each fails with
/// probability about 2^-32).
const MAX_KDF_COUNTER: u8 = 254;

/// n - 2, where n is the order of the P-256 group: KDF candidates above it are rejected.
const N_MINUS_2: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x4F,
];

/// Why SigV4a signing (or key handling) failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigV4aError {
    /// The request could not be canonicalized or the settings are invalid.
    Signing(SigningError),
    /// The region set is empty or malformed.
    InvalidRegionSet(String),
    /// No valid private key came out of the KDF in 254 attempts (probability about 2^-8000).
    KeyDerivationFailed,
    /// A public key is not a point on P-256, or its coordinates are not 32-byte hex.
    InvalidPublicKey(&'static str),
}

impl fmt::Display for SigV4aError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Transparent: the signing error says everything.
            SigV4aError::Signing(e) => fmt::Display::fmt(e, f),
            SigV4aError::InvalidRegionSet(set) => write!(
                f,
                "invalid region set {set:?}: give `*` or comma-separated regions such as `us-east-1,us-west-2` (a trailing `*` wildcard like `us-*` is allowed)"
            ),
            SigV4aError::KeyDerivationFailed => {
                f.write_str("could not derive a SigV4a key from this secret access key")
            }
            SigV4aError::InvalidPublicKey(why) => write!(f, "invalid P-256 public key: {why}"),
        }
    }
}

impl std::error::Error for SigV4aError {}

impl From<SigningError> for SigV4aError {
    fn from(e: SigningError) -> Self {
        SigV4aError::Signing(e)
    }
}

/// A SigV4a private key, derived from a secret access key, for one access key id.
///
/// The private scalar is zeroized on drop and never shown by `Debug`.
#[derive(Clone)]
pub struct SigV4aKey {
    access_key_id: String,
    key: EcdsaSigningKey,
}

impl SigV4aKey {
    /// Derives the key as the SigV4a specification does: NIST SP 800-108 KDF in counter
    /// mode with HMAC-SHA256, keyed with `"AWS4A" + secret`, label
    /// `AWS4-ECDSA-P256-SHA256`, context `access_key_id || counter`, 256-bit output; the
    /// first candidate `k0 <= n - 2` (counter 1, 2, ...) gives the private key `k0 + 1`.
    ///
    /// ```
    /// use sigv4::sigv4a::SigV4aKey;
    /// let key = SigV4aKey::derive("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let (x, _y) = key.public_key().coordinates();
    /// assert_eq!(sigv4::hex(&x), "b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1");
    /// # Ok::<(), sigv4::sigv4a::SigV4aError>(())
    /// ```
    pub fn derive(access_key_id: &str, secret_access_key: &str) -> Result<Self, SigV4aError> {
        let mut hmac_key = Zeroizing::new(Vec::with_capacity(5 + secret_access_key.len()));
        hmac_key.extend_from_slice(b"AWS4A");
        hmac_key.extend_from_slice(secret_access_key.as_bytes());

        // 0x00000001 || label || 0x00 || access key id || counter || 0x00000100 (256 bits)
        let mut fixed = Vec::with_capacity(4 + ALGORITHM.len() + 1 + access_key_id.len() + 1 + 4);
        fixed.extend_from_slice(&[0, 0, 0, 1]);
        fixed.extend_from_slice(ALGORITHM.as_bytes());
        fixed.push(0);
        fixed.extend_from_slice(access_key_id.as_bytes());
        let counter_at = fixed.len();
        fixed.push(1);
        fixed.extend_from_slice(&[0, 0, 1, 0]);

        for counter in 1..=MAX_KDF_COUNTER {
            fixed[counter_at] = counter;
            let mut k0 = Zeroizing::new(hmac_sha256(&hmac_key, &fixed));
            if ct_greater_than(&k0, &N_MINUS_2) {
                continue;
            }
            ct_add_one(&mut k0);
            // k0 + 1 lies in [1, n - 1], a valid scalar.
            let key = EcdsaSigningKey::from_slice(&k0[..])
                .map_err(|_| SigV4aError::KeyDerivationFailed)?;
            return Ok(SigV4aKey {
                access_key_id: access_key_id.to_owned(),
                key,
            });
        }
        Err(SigV4aError::KeyDerivationFailed)
    }

    /// Derives the key of `credentials`.
    pub fn from_credentials(credentials: &Credentials) -> Result<Self, SigV4aError> {
        Self::derive(credentials.access_key_id(), credentials.secret_access_key())
    }

    /// The access key id the key was derived for.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The public key, which verifies this key's signatures.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(*self.key.verifying_key())
    }

    /// Signs `string_to_sign` (ECDSA P-256 over its SHA-256, RFC 6979 nonce): the DER bytes.
    pub fn sign(&self, string_to_sign: &[u8]) -> Vec<u8> {
        let sig: DerSignature = self.key.sign(string_to_sign);
        sig.as_bytes().to_vec()
    }

    /// Signs `string_to_sign` without allocating: the lowercase hex of the DER signature
    /// in the first `len` bytes (140 to 144) of the array, and `len`.
    pub(crate) fn sign_hex_array(&self, string_to_sign: &[u8]) -> ([u8; 144], usize) {
        let sig: DerSignature = self.key.sign(string_to_sign);
        let der = sig.as_bytes();
        (crate::encoding::hex_lower(der), 2 * der.len())
    }

    /// Signs `string_to_sign`: the lowercase hex of the DER signature, as SigV4a sends it.
    pub fn sign_hex(&self, string_to_sign: &[u8]) -> String {
        crate::hex(&self.sign(string_to_sign))
    }
}

impl fmt::Debug for SigV4aKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4aKey")
            .field("access_key_id", &self.access_key_id)
            .field("public_key", &self.public_key())
            .field("private_key", &"** redacted **")
            .finish()
    }
}

/// `a > b` for 32-byte big-endian integers, without data-dependent branches.
fn ct_greater_than(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut gt: u8 = 0;
    let mut eq: u8 = 1;
    for i in 0..32 {
        let (x, y) = (i32::from(a[i]), i32::from(b[i]));
        gt |= (((y - x) >> 31) & 1) as u8 & eq;
        eq &= ((((x ^ y) - 1) >> 31) & 1) as u8;
    }
    gt == 1
}

/// Adds one to a 32-byte big-endian integer (wrapping), without data-dependent branches.
fn ct_add_one(v: &mut [u8; 32]) {
    let mut carry: u16 = 1;
    for byte in v.iter_mut().rev() {
        let sum = u16::from(*byte) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
}

/// A P-256 public key that verifies SigV4a signatures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// From the affine coordinates, 32 bytes each, big-endian.
    pub fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> Result<Self, SigV4aError> {
        let mut sec1 = [0u8; 65];
        sec1[0] = 4;
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        Self::from_sec1_bytes(&sec1)
    }

    /// From the coordinates as 64 hex digits each (as in the test suite's `public-key.json`).
    pub fn from_hex_coordinates(x: &str, y: &str) -> Result<Self, SigV4aError> {
        let parse = |s: &str| -> Result<[u8; 32], SigV4aError> {
            let bytes = decode_hex(s).ok_or(SigV4aError::InvalidPublicKey("not hex"))?;
            bytes
                .try_into()
                .map_err(|_| SigV4aError::InvalidPublicKey("a coordinate must be 32 bytes"))
        };
        Self::from_coordinates(&parse(x)?, &parse(y)?)
    }

    /// From a SEC1 encoding (uncompressed `04 || x || y` or compressed).
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self, SigV4aError> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| SigV4aError::InvalidPublicKey("not a point on P-256"))
    }

    /// The affine coordinates `(x, y)`, big-endian.
    pub fn coordinates(&self) -> ([u8; 32], [u8; 32]) {
        let bytes = self.to_sec1_uncompressed();
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(&bytes[1..33]);
        y.copy_from_slice(&bytes[33..65]);
        (x, y)
    }

    /// The uncompressed SEC1 encoding, `04 || x || y`.
    pub fn to_sec1_uncompressed(&self) -> [u8; 65] {
        let point = self.0.to_sec1_point(false);
        let mut out = [0u8; 65];
        let bytes = point.as_bytes();
        if bytes.len() == 65 {
            out.copy_from_slice(bytes);
        }
        out
    }

    /// Whether `der_signature` is a valid signature of `string_to_sign` under this key.
    pub fn verify(&self, string_to_sign: &[u8], der_signature: &[u8]) -> bool {
        match DerSignature::from_bytes(der_signature) {
            Ok(sig) => self.0.verify(string_to_sign, &sig).is_ok(),
            Err(_) => false,
        }
    }

    /// Like [`verify`](Self::verify), with the signature as hex (as in an `Authorization` header).
    pub fn verify_hex(&self, string_to_sign: &[u8], hex_signature: &str) -> bool {
        decode_hex(hex_signature).is_some_and(|sig| self.verify(string_to_sign, &sig))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (x, y) = self.coordinates();
        f.debug_struct("PublicKey")
            .field("x", &crate::hex(&x))
            .field("y", &crate::hex(&y))
            .finish()
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let val = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    b.chunks(2)
        .map(|p| Some(val(p[0])? << 4 | val(p[1])?))
        .collect()
}

/// A small least-recently-used cache of derived keys, by access key id.
///
/// An entry is used only when the secret matches too (so rotated credentials derive a new
/// key). Secrets and keys in the cache are zeroized when evicted or dropped.
pub struct KeyCache {
    capacity: usize,
    entries: Mutex<VecDeque<CacheEntry>>,
}

struct CacheEntry {
    access_key_id: String,
    secret_sha256: Zeroizing<[u8; 32]>,
    key: Arc<SigV4aKey>,
}

impl KeyCache {
    /// A cache holding up to `capacity` keys (at least one).
    pub fn new(capacity: usize) -> Self {
        KeyCache {
            capacity: capacity.max(1),
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// The process-wide cache that signers use unless given another (64 keys).
    pub fn global() -> Arc<KeyCache> {
        static GLOBAL: OnceLock<Arc<KeyCache>> = OnceLock::new();
        Arc::clone(GLOBAL.get_or_init(|| Arc::new(KeyCache::new(64))))
    }

    /// The key for `credentials`, derived on first use.
    pub fn get_or_derive(&self, credentials: &Credentials) -> Result<Arc<SigV4aKey>, SigV4aError> {
        let akid = credentials.access_key_id();
        let secret_sha256 = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(
            credentials.secret_access_key().as_bytes(),
        )));
        {
            // A poisoned lock only means another thread panicked mid-update; the cache
            // holds no invariant that could be broken, so keep using it.
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = entries.iter().position(|e| {
                e.access_key_id == akid && ct_eq(&e.secret_sha256[..], &secret_sha256[..])
            }) {
                let entry = entries.remove(i).expect("index is in range");
                let key = Arc::clone(&entry.key);
                entries.push_front(entry);
                return Ok(key);
            }
        }
        // Derive outside the lock.
        let key = Arc::new(SigV4aKey::from_credentials(credentials)?);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|e| e.access_key_id != akid);
        entries.push_front(CacheEntry {
            access_key_id: akid.to_owned(),
            secret_sha256,
            key: Arc::clone(&key),
        });
        entries.truncate(self.capacity);
        Ok(key)
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached key.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks and normalizes a region set: `*`, or comma-separated region names (spaces
/// around names are dropped), each made of `a-z`, `0-9` and `-`, optionally ending in `*`.
pub fn normalize_region_set(region_set: &str) -> Result<String, SigV4aError> {
    let err = || SigV4aError::InvalidRegionSet(region_set.chars().take(200).collect());
    let mut out = String::with_capacity(region_set.len());
    for part in region_set.split(',') {
        let part = part.trim_matches(|c| c == ' ' || c == '\t');
        let body = part.strip_suffix('*').unwrap_or(part);
        let valid_body = body
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if part.is_empty() || !valid_body {
            return Err(err());
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(part);
    }
    Ok(out)
}

/// Signs requests with SigV4a for a region set and a service.
///
/// Settings are the same as for SigV4 ([`SigningSettings`]); `for_service` picks the S3
/// rules for S3. Keys come from a [`KeyCache`] (the process-wide one unless replaced).
#[derive(Clone)]
pub struct SigV4aSigner {
    region_set: String,
    service: String,
    settings: SigningSettings,
    cache: Arc<KeyCache>,
}

impl SigV4aSigner {
    /// A signer for `region_set` (`*` or `us-east-1,us-west-2`) and `service`.
    pub fn new(region_set: &str, service: impl Into<String>) -> Result<Self, SigV4aError> {
        let service = service.into();
        validate_scope_part(&service).map_err(|_| SigningError::InvalidService(service.clone()))?;
        Ok(SigV4aSigner {
            region_set: normalize_region_set(region_set)?,
            settings: SigningSettings::for_service(&service),
            service,
            cache: KeyCache::global(),
        })
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Uses `cache` for derived keys instead of the process-wide cache.
    pub fn with_key_cache(mut self, cache: Arc<KeyCache>) -> Self {
        self.cache = cache;
        self
    }

    /// The settings in use.
    pub fn settings(&self) -> &SigningSettings {
        &self.settings
    }

    /// Changes the settings in place.
    pub fn settings_mut(&mut self) -> &mut SigningSettings {
        &mut self.settings
    }

    /// The normalized region set.
    pub fn region_set(&self) -> &str {
        &self.region_set
    }

    /// The service.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The (cached) key for `credentials`.
    pub fn key(&self, credentials: &Credentials) -> Result<Arc<SigV4aKey>, SigV4aError> {
        self.cache.get_or_derive(credentials)
    }

    /// Signs `request` with `credentials` at `time`.
    pub fn sign(
        &self,
        request: &SignableRequest<'_>,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<SigV4aOutput, SigV4aError> {
        let key = self.key(credentials)?;
        self.sign_with_key(request, &key, credentials.session_token(), time)
    }

    /// Signs with a key derived elsewhere (its access key id is used in the credential).
    pub fn sign_with_key(
        &self,
        request: &SignableRequest<'_>,
        key: &SigV4aKey,
        session_token: Option<&str>,
        time: SystemTime,
    ) -> Result<SigV4aOutput, SigV4aError> {
        let date = AmzDate::from_system_time(time)?;
        let alg = EcdsaSignature {
            region_set: &self.region_set,
            key,
        };
        Ok(sign_request(
            &alg,
            &self.service,
            &self.settings,
            request,
            key.access_key_id(),
            session_token,
            &date,
        )?)
    }
}

/// SigV4a: ECDSA P-256; the credential scope has no region and the region set is signed
/// instead (`x-amz-region-set` header or `X-Amz-Region-Set` parameter).
struct EcdsaSignature<'a> {
    region_set: &'a str,
    key: &'a SigV4aKey,
}

impl SignatureAlgorithm for EcdsaSignature<'_> {
    fn name(&self) -> &'static str {
        ALGORITHM
    }

    fn scope<'s>(&'s self, date: &'s str, service: &'s str) -> CredentialScope<'s> {
        CredentialScope::new(date, None, service)
    }

    fn region_set(&self) -> Option<&str> {
        Some(self.region_set)
    }

    fn sign(&self, string_to_sign: &[u8]) -> SignatureHex {
        SignatureHex::from_bytes(&self.key.sign(string_to_sign))
    }
}

impl fmt::Debug for SigV4aSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4aSigner")
            .field("region_set", &self.region_set)
            .field("service", &self.service)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What SigV4a signing produced: the same type as SigV4's, from the same driver
/// ([`SigningOutput`](crate::SigningOutput)); the signature is the lowercase hex of the
/// DER-encoded ECDSA signature and the credential scope has no region.
pub type SigV4aOutput = crate::SigningOutput;

#[cfg(feature = "http")]
mod http_support {
    use std::time::SystemTime;

    use http::Request;

    use super::{SigV4aError, SigV4aOutput, SigV4aSigner};
    use crate::http_request::{sign_http, FromBody};
    use crate::{Credentials, Payload};

    impl SigV4aSigner {
        /// Signs an `http::Request` whose body is in memory, in place: adds the signing
        /// headers (or, presigning, rewrites the URI's query) and returns the steps.
        ///
        /// ```
        /// use std::time::{Duration, UNIX_EPOCH};
        /// use sigv4::sigv4a::SigV4aSigner;
        /// use sigv4::Credentials;
        ///
        /// let signer = SigV4aSigner::new("us-east-1,us-west-2", "service")?;
        /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
        /// let mut req = http::Request::get("https://example.amazonaws.com/").body(Vec::new()).unwrap();
        /// signer.sign_http_request(&mut req, &creds, UNIX_EPOCH + Duration::from_secs(1_440_938_160))?;
        /// assert_eq!(req.headers()["x-amz-region-set"], "us-east-1,us-west-2");
        /// assert!(req.headers()["authorization"].to_str().unwrap().starts_with("AWS4-ECDSA-P256-SHA256 "));
        /// # Ok::<(), sigv4::sigv4a::SigV4aError>(())
        /// ```
        pub fn sign_http_request<B: AsRef<[u8]>>(
            &self,
            request: &mut Request<B>,
            credentials: &Credentials,
            time: SystemTime,
        ) -> Result<SigV4aOutput, SigV4aError> {
            sign_http(request, FromBody, |view| self.sign(view, credentials, time))
        }

        /// Like [`SigV4aSigner::sign_http_request`] with the payload given explicitly (the
        /// body is not read): `Payload::Unsigned`, a precomputed hash or a streaming marker.
        pub fn sign_http_request_with_payload<B>(
            &self,
            request: &mut Request<B>,
            payload: Payload<'_>,
            credentials: &Credentials,
            time: SystemTime,
        ) -> Result<SigV4aOutput, SigV4aError> {
            sign_http(request, payload, |view| self.sign(view, credentials, time))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_helpers() {
        let mut a = [0u8; 32];
        assert!(!ct_greater_than(&a, &N_MINUS_2));
        assert!(ct_greater_than(&[0xFF; 32], &N_MINUS_2));
        assert!(!ct_greater_than(&N_MINUS_2, &N_MINUS_2));
        let mut above = N_MINUS_2;
        ct_add_one(&mut above);
        assert!(ct_greater_than(&above, &N_MINUS_2));
        a[31] = 0xFF;
        ct_add_one(&mut a);
        assert_eq!(a[30..], [1, 0]);
        let mut max = [0xFF; 32];
        ct_add_one(&mut max);
        assert_eq!(max, [0; 32]);
    }

    #[test]
    fn region_sets() {
        assert_eq!(normalize_region_set("*").unwrap(), "*");
        assert_eq!(
            normalize_region_set("us-east-1, us-west-2").unwrap(),
            "us-east-1,us-west-2"
        );
        assert_eq!(normalize_region_set("us-*").unwrap(), "us-*");
        for bad in ["", ",", "us-east-1,", "US-EAST-1", "us east", "a/b", "*x"] {
            assert!(normalize_region_set(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex("00ff10Ab"), Some(vec![0, 255, 16, 171]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
