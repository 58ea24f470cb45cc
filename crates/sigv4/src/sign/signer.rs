//! [`Signer`]: one region and service, the day's key cached, signing requests through
//! the flow of this module.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use super::{sign_request, SigningOutput};
use crate::signature::HmacSignature;
use crate::signing_key::{keyed_mac, validate_scope_part, DayKey, DayKeyCache, HmacSha256};
use crate::{
    AmzDate, Credentials, ScopedKey, SignableRequest, SignatureLocation, SigningError, SigningKey,
    SigningSettings,
};

/// Signs requests for one region and service, caching the day's signing key.
///
/// A `Signer` is cheap to share (`&Signer` is `Send + Sync`); the cached key is replaced
/// when the day or the credentials change. Threads sharing a signer do not contend: each
/// keeps the day key it used last in thread-local storage and reads it without a lock (a
/// thread holds at most a few such keys, zeroized when replaced, when the thread ends, or
/// when the signer is dropped on that thread).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::{Credentials, Payload, SignableRequest, Signer};
///
/// let signer = Signer::new("us-east-1", "service")?;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
/// let req = SignableRequest::new(
///     "GET",
///     "/?Param2=value2&Param1=value1",
///     [("host", "example.amazonaws.com".as_bytes())],
///     Payload::Bytes(b""),
/// );
/// let out = signer.sign(&req, &creds, time)?;
/// assert_eq!(out.signature(), "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
/// assert_eq!(out.canonical_request().lines().nth(2), Some("Param1=value1&Param2=value2"));
/// for (name, value) in out.headers() {
///     println!("{name}: {value}");
/// }
/// # Ok::<(), sigv4::SigningError>(())
/// ```
pub struct Signer {
    region: String,
    service: String,
    settings: SigningSettings,
    keys: DayKeyCache,
}

impl Signer {
    /// A signer for `region` and `service` with [`SigningSettings::for_service`].
    pub fn new(
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Result<Self, SigningError> {
        let region = region.into();
        let service = service.into();
        validate_scope_part(&region).map_err(|_| SigningError::InvalidRegion(region.clone()))?;
        validate_scope_part(&service).map_err(|_| SigningError::InvalidService(service.clone()))?;
        let settings = SigningSettings::for_service(&service);
        Ok(Signer {
            region,
            service,
            settings,
            keys: DayKeyCache::default(),
        })
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
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

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The service.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Signs `request` with `credentials` at `time`.
    pub fn sign(
        &self,
        request: &SignableRequest<'_>,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<SigningOutput, SigningError> {
        let date = AmzDate::from_system_time(time)?;
        // The keyed MAC is copied out (a few hundred bytes on the stack) rather than the
        // signing run inside the cache's closure: the output then travels back through no
        // `Option`/`Result` wrappers of the cache, each of which moved the whole output.
        let mac = self.with_day_key(credentials, &date, |k| k.mac.clone())?;
        self.sign_with_mac(
            request,
            &mac,
            credentials.access_key_id(),
            credentials.session_token(),
            &date,
        )
    }

    /// Signs with a signing key derived elsewhere, without the secret access key.
    ///
    /// Fails with [`SigningError::KeyScopeMismatch`] when the key is not for this signer's
    /// region and service or for the day of `time`.
    pub fn sign_with_key(
        &self,
        request: &SignableRequest<'_>,
        key: &SigningKey,
        access_key_id: &str,
        session_token: Option<&str>,
        time: SystemTime,
    ) -> Result<SigningOutput, SigningError> {
        let date = AmzDate::from_system_time(time)?;
        key.check_scope(date.date(), &self.region, &self.service)?;
        self.sign_with_mac(
            request,
            &keyed_mac(key),
            access_key_id,
            session_token,
            &date,
        )
    }

    /// A [`ScopedKey`] for `credentials` on the day of `time`: this signer's region and
    /// service, the day's key (from the cache when it holds it), the access key id and the
    /// session token, but not the secret. Hand it to a component that should only sign for
    /// this scope today.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sigv4::{Credentials, Signer};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let scoped = Signer::new("eu-west-1", "es")?.scoped_key(&creds, SystemTime::now())?;
    /// assert_eq!((scoped.region(), scoped.service()), ("eu-west-1", "es"));
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn scoped_key(
        &self,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<ScopedKey, SigningError> {
        Ok(ScopedKey::new(
            self.signing_key(credentials, time)?,
            credentials.access_key_id(),
            credentials.session_token().map(str::to_owned),
        ))
    }

    /// The signing key for `credentials` on the day of `date`, from the cache when it holds it.
    pub fn signing_key(
        &self,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<Arc<SigningKey>, SigningError> {
        let date = AmzDate::from_system_time(time)?;
        self.with_day_key(credentials, &date, |k| Arc::clone(&k.key))
    }

    fn sign_with_mac(
        &self,
        request: &SignableRequest<'_>,
        mac: &HmacSha256,
        access_key_id: &str,
        session_token: Option<&str>,
        date: &AmzDate,
    ) -> Result<SigningOutput, SigningError> {
        let alg = HmacSignature {
            region: &self.region,
            mac,
        };
        sign_request(
            &alg,
            &self.service,
            &self.settings,
            request,
            access_key_id,
            session_token,
            date,
        )
    }

    /// Runs `f` on the day key for `credentials` and `date` (cached).
    fn with_day_key<R>(
        &self,
        credentials: &Credentials,
        date: &AmzDate,
        f: impl Fn(&DayKey) -> R,
    ) -> Result<R, SigningError> {
        self.keys
            .with_key(credentials, date, &self.region, &self.service, f)
    }

    /// The same signer with the signature at `location`, sharing this one's day key.
    pub(super) fn with_location(&self, location: SignatureLocation) -> Signer {
        let mut settings = self.settings.clone();
        settings.location = location;
        Signer {
            region: self.region.clone(),
            service: self.service.clone(),
            settings,
            keys: self.keys.clone(),
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
