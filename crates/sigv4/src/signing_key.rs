//! The day-scoped signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`,
//! and the cache of the day's key a [`Signer`](crate::Signer) keeps.

use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use hmac::{KeyInit, Mac};
use zeroize::Zeroizing;

use crate::string_to_sign::{CredentialScope, SCOPE_TERMINATOR};
use crate::{AmzDate, Credentials, SigningError};

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// HMAC-SHA256 keyed with a signing key.
pub(crate) fn keyed_mac(key: &SigningKey) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length")
}

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
        let key = Zeroizing::new(hmac_sha256(&*k_service, SCOPE_TERMINATOR.as_bytes()));
        Ok(SigningKey {
            key,
            scope: CredentialScope::new(date, Some(region), service).to_string(),
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

    /// The credential scope as its parts.
    pub fn credential_scope(&self) -> CredentialScope<'_> {
        CredentialScope::new(self.date(), Some(self.region()), self.service())
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
        &self.scope[start..self.scope.len() - 1 - SCOPE_TERMINATOR.len()]
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

thread_local! {
    // The day keys this thread signed with most recently, by cache. Reading them takes no
    // lock and writes nothing shared, so threads sharing one `Signer` do not serialize on it
    // (a `Mutex` around one cached key did). See `DayKeyCache::with_key`.
    static DAY_KEYS: RefCell<[Option<DayKeySlot>; DAY_KEY_SLOTS]> = const { RefCell::new([const { None }; DAY_KEY_SLOTS]) };
}

/// Caches one thread can alternate between without deriving keys again.
const DAY_KEY_SLOTS: usize = 4;

/// A day key remembered by one thread, with the cache it belongs to.
struct DayKeySlot {
    // Identifies the cache by address. The `Weak` keeps that allocation from being reused
    // while this slot exists, so a dropped cache's slot can never match a new one.
    owner: Weak<KeyShare>,
    key: Arc<DayKey>,
}

/// The day key shared by the threads of one cache: consulted only when a thread's own
/// copy does not fit (first use, a new day, other credentials).
#[derive(Default)]
struct KeyShare {
    latest: Mutex<Option<Arc<DayKey>>>,
}

/// A day's signing key for one set of credentials; never changed once made.
pub(crate) struct DayKey {
    access_key_id: String,
    secret: Zeroizing<String>,
    pub(crate) key: Arc<SigningKey>,
    /// HMAC-SHA256 already keyed with `key` (inner and outer pad blocks absorbed), so each
    /// signature costs the HMAC of the string to sign only, not the key set-up again.
    pub(crate) mac: HmacSha256,
}

impl DayKey {
    fn fits(&self, credentials: &Credentials, date: &AmzDate) -> bool {
        self.key.date() == date.date()
            && self.access_key_id == credentials.access_key_id()
            && self.secret.as_str() == credentials.secret_access_key()
    }
}

/// The day's signing key of one region and service, derived once per day and credentials.
///
/// Clones share the key. Each thread keeps the key it used last in thread-local storage
/// and reads it without a lock (a thread holds at most a few such keys, zeroized when
/// replaced, when the thread ends, or when a cache is dropped on that thread).
#[derive(Clone, Default)]
pub(crate) struct DayKeyCache {
    share: Arc<KeyShare>,
}

impl DayKeyCache {
    /// Runs `f` on the day key for `credentials` and `date`: this thread's copy when it
    /// fits (no lock, no shared write), else the shared one, derived when needed.
    pub(crate) fn with_key<R>(
        &self,
        credentials: &Credentials,
        date: &AmzDate,
        region: &str,
        service: &str,
        f: impl Fn(&DayKey) -> R,
    ) -> Result<R, SigningError> {
        let mine = Arc::as_ptr(&self.share);
        let mut hit = None;
        // `try_with`/`try_borrow`: during thread teardown, or if ever re-entered, fall back
        // to the shared key rather than fail.
        let _ = DAY_KEYS.try_with(|slots| {
            if let Ok(slots) = slots.try_borrow() {
                hit = slots
                    .iter()
                    .flatten()
                    .find(|s| std::ptr::eq(s.owner.as_ptr(), mine) && s.key.fits(credentials, date))
                    .map(|s| f(&s.key));
            }
        });
        if let Some(r) = hit {
            return Ok(r);
        }
        let key = self.shared_key(credentials, date, region, service)?;
        let r = f(&key);
        let _ = DAY_KEYS.try_with(|slots| {
            if let Ok(mut slots) = slots.try_borrow_mut() {
                remember(&mut slots, &self.share, key);
            }
        });
        Ok(r)
    }

    /// The shared day key, derived (outside the lock) when it does not fit.
    fn shared_key(
        &self,
        credentials: &Credentials,
        date: &AmzDate,
        region: &str,
        service: &str,
    ) -> Result<Arc<DayKey>, SigningError> {
        // A poisoned lock only means another thread panicked mid-update; the slot holds an
        // immutable value, so it is still usable.
        let latest = |k: &KeyShare| k.latest.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(k) = latest(&self.share) {
            if k.fits(credentials, date) {
                return Ok(k);
            }
        }
        let key = SigningKey::derive(
            credentials.secret_access_key(),
            date.date(),
            region,
            service,
        )?;
        let day_key = Arc::new(DayKey {
            access_key_id: credentials.access_key_id().to_owned(),
            secret: Zeroizing::new(credentials.secret_access_key().to_owned()),
            mac: keyed_mac(&key),
            key: Arc::new(key),
        });
        *self.share.latest.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&day_key));
        Ok(day_key)
    }
}

/// Puts `key` in this thread's slot for `owner`, or in a free slot, or in place of a slot
/// whose cache is gone, or else in place of the first slot.
fn remember(
    slots: &mut [Option<DayKeySlot>; DAY_KEY_SLOTS],
    owner: &Arc<KeyShare>,
    key: Arc<DayKey>,
) {
    let mine = Arc::as_ptr(owner);
    let pick = slots
        .iter()
        .position(|s| {
            s.as_ref()
                .is_some_and(|s| std::ptr::eq(s.owner.as_ptr(), mine))
        })
        .or_else(|| {
            slots
                .iter()
                .position(|s| s.as_ref().is_none_or(|s| s.owner.strong_count() == 0))
        })
        .unwrap_or(0);
    slots[pick] = Some(DayKeySlot {
        owner: Arc::downgrade(owner),
        key,
    });
}

impl Drop for DayKeyCache {
    fn drop(&mut self) {
        // Forget this cache's key on the dropping thread now rather than whenever the
        // slot is next reused (other threads' copies go when their slots are reused).
        let mine = Arc::as_ptr(&self.share);
        let _ = DAY_KEYS.try_with(|slots| {
            if let Ok(mut slots) = slots.try_borrow_mut() {
                for slot in slots.iter_mut() {
                    if slot
                        .as_ref()
                        .is_some_and(|s| std::ptr::eq(s.owner.as_ptr(), mine))
                    {
                        *slot = None;
                    }
                }
            }
        });
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
