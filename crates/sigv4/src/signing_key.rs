//! The day-scoped signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.

use std::fmt;

use hmac::{KeyInit, Mac};
use zeroize::Zeroizing;

use crate::{AmzDate, SigningError};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A signing key derived for one date, region and service.
///
/// It signs requests without the secret access key, so it can be handed to another
/// component that should only be able to sign for that day, region and service.
/// It refuses to sign for any other scope. The key bytes are zeroized on drop and
/// never shown by `Debug`.
///
/// ```
/// use sigv4::SigningKey;
///
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")?;
/// assert_eq!(
///     sigv4::hex(key.as_bytes()),
///     "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
/// );
/// assert_eq!(key.scope(), "20150830/us-east-1/iam/aws4_request");
/// # Ok::<(), sigv4::SigningError>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    key: Zeroizing<[u8; 32]>,
    // "YYYYMMDD/region/service/aws4_request"
    scope: String,
    date_len: usize,
    region_len: usize,
}

impl SigningKey {
    /// Derives the key for `date` (`YYYYMMDD`), `region` and `service` from the secret access key.
    pub fn derive(
        secret_access_key: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Result<Self, SigningError> {
        if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SigningError::InvalidDate(date.to_owned()));
        }
        validate_scope_part(region).map_err(|_| SigningError::InvalidRegion(region.to_owned()))?;
        validate_scope_part(service)
            .map_err(|_| SigningError::InvalidService(service.to_owned()))?;
        let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret_access_key.as_bytes());
        let k_date = Zeroizing::new(hmac_sha256(&seed, date.as_bytes()));
        let k_region = Zeroizing::new(hmac_sha256(&*k_date, region.as_bytes()));
        let k_service = Zeroizing::new(hmac_sha256(&*k_region, service.as_bytes()));
        let key = Zeroizing::new(hmac_sha256(&*k_service, b"aws4_request"));
        Ok(SigningKey {
            key,
            scope: format!("{date}/{region}/{service}/aws4_request"),
            date_len: date.len(),
            region_len: region.len(),
        })
    }

    /// Derives the key for the day of `time`.
    pub fn derive_for(
        secret_access_key: &str,
        time: &AmzDate,
        region: &str,
        service: &str,
    ) -> Result<Self, SigningError> {
        Self::derive(secret_access_key, time.date(), region, service)
    }

    /// Builds a key from its raw 32 bytes (as handed over by another component) and scope.
    pub fn from_bytes(
        key: [u8; 32],
        date: &str,
        region: &str,
        service: &str,
    ) -> Result<Self, SigningError> {
        let mut k = Self::derive("", date, region, service)?;
        *k.key = key;
        Ok(k)
    }

    /// The raw key. Treat it as a secret: it signs anything for its day, region and service.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// The credential scope, `date/region/service/aws4_request`.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// `YYYYMMDD`.
    pub fn date(&self) -> &str {
        &self.scope[..self.date_len]
    }

    /// The region the key is for.
    pub fn region(&self) -> &str {
        &self.scope[self.date_len + 1..self.date_len + 1 + self.region_len]
    }

    /// The service the key is for.
    pub fn service(&self) -> &str {
        let start = self.date_len + 1 + self.region_len + 1;
        &self.scope[start..self.scope.len() - "/aws4_request".len()]
    }

    /// Whether this key is for exactly this date, region and service.
    pub fn matches(&self, date: &str, region: &str, service: &str) -> bool {
        self.date() == date && self.region() == region && self.service() == service
    }

    /// Checks the key's scope, with an error naming both scopes when they differ.
    pub fn check_scope(&self, date: &str, region: &str, service: &str) -> Result<(), SigningError> {
        if self.matches(date, region, service) {
            Ok(())
        } else {
            Err(SigningError::KeyScopeMismatch {
                key_scope: format!("{}/{}/{}", self.date(), self.region(), self.service()),
                request_scope: format!("{date}/{region}/{service}"),
            })
        }
    }

    /// HMAC-SHA256 of `data` (a string to sign) under this key: the raw signature.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        hmac_sha256(&*self.key, data)
    }

    /// The hex signature of a string to sign.
    pub fn sign_hex(&self, string_to_sign: &str) -> String {
        crate::hex(&self.sign(string_to_sign.as_bytes()))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("scope", &self.scope)
            .field("key", &"** redacted **")
            .finish()
    }
}

/// A region or service must be non-empty and free of `/`, whitespace and control characters,
/// or the credential scope would be ambiguous.
pub(crate) fn validate_scope_part(s: &str) -> Result<(), ()> {
    if s.is_empty() || s.bytes().any(|b| b == b'/' || b <= b' ' || b == 0x7f) {
        Err(())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_accessors() {
        let k = SigningKey::derive("s", "20200101", "eu-west-1", "execute-api").unwrap();
        assert_eq!(k.date(), "20200101");
        assert_eq!(k.region(), "eu-west-1");
        assert_eq!(k.service(), "execute-api");
        assert!(k
            .check_scope("20200101", "eu-west-1", "execute-api")
            .is_ok());
        let e = k
            .check_scope("20200102", "eu-west-1", "execute-api")
            .unwrap_err();
        assert!(e.to_string().contains("20200101/eu-west-1/execute-api"));
    }

    #[test]
    fn rejects_bad_scope_parts() {
        assert!(SigningKey::derive("s", "2020010", "r", "s").is_err());
        assert!(matches!(
            SigningKey::derive("s", "20200101", "", "s"),
            Err(SigningError::InvalidRegion(_))
        ));
        assert!(matches!(
            SigningKey::derive("s", "20200101", "r", "a/b"),
            Err(SigningError::InvalidService(_))
        ));
    }

    #[test]
    fn debug_redacts() {
        let k = SigningKey::derive("secret", "20200101", "r", "s").unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains(&crate::hex(k.as_bytes())));
        assert!(d.contains("redacted"));
    }

    #[test]
    fn from_bytes_round_trips() {
        let k = SigningKey::derive("secret", "20200101", "r", "s").unwrap();
        let k2 = SigningKey::from_bytes(*k.as_bytes(), "20200101", "r", "s").unwrap();
        assert_eq!(k.sign(b"x"), k2.sign(b"x"));
    }
}
