//! Signing: from a request, credentials and a time to the headers or query parameters to add,
//! keeping the canonical request and string to sign for inspection.
//!
//! One driver, [`sign_request`], signs for both algorithms: the canonical request, the
//! output and the `http::Request` wrappers are shared, and [`Algorithm`] supplies what
//! differs (the name, the credential scope, the region set of SigV4a and the signature
//! itself).

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use smallvec::SmallVec;
use zeroize::Zeroizing;

use crate::canonical_request::{
    canonical_query_with, canonical_uri, validate_header_name, HeaderScratch, QueryScratch,
};
use crate::encoding::{encode_into, hex_lower, is_unreserved, push_escape};
use crate::request::{split_target, Target};
use crate::settings::{
    Payload, SessionTokenHeader, SessionTokenMode, SignatureLocation, SigningSettings,
    STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    UNSIGNED_PAYLOAD,
};
use crate::signing_key::validate_scope_part;
use crate::{AmzDate, Credentials, ScopedKey, SignableRequest, SigningError, SigningKey};

/// The algorithm name of SigV4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Longest lifetime of a presigned URL: 7 days.
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

/// Lifetime of a URL from [`Signer::presign_url`] when the settings do not presign: 15 minutes.
pub const DEFAULT_PRESIGN_EXPIRES_SECS: u64 = 900;

thread_local! {
    // Reused across calls on the same thread so steady-state signing does not allocate
    // for sorting headers and query parameters.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Default::default());

    // The day keys this thread signed with most recently, by signer. Reading them takes no
    // lock and writes nothing shared, so threads sharing one `Signer` do not serialize on it
    // (a `Mutex` around one cached key did). See `Signer::with_day_key`.
    static DAY_KEYS: RefCell<[Option<DayKeySlot>; DAY_KEY_SLOTS]> = const { RefCell::new([const { None }; DAY_KEY_SLOTS]) };
}

/// Signers one thread can alternate between without deriving keys again.
const DAY_KEY_SLOTS: usize = 4;

/// A day key remembered by one thread, with the signer it belongs to.
struct DayKeySlot {
    // Identifies the signer by address. The `Weak` keeps that allocation from being reused
    // while this slot exists, so a dropped signer's slot can never match a new signer.
    owner: Weak<KeyShare>,
    key: Arc<DayKey>,
}

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
    keys: Arc<KeyShare>,
}

/// The day key shared by the threads of one signer: consulted only when a thread's own
/// copy does not fit (first use, a new day, other credentials).
#[derive(Default)]
struct KeyShare {
    latest: Mutex<Option<Arc<DayKey>>>,
}

/// A day's signing key for one set of credentials; never changed once made.
struct DayKey {
    access_key_id: String,
    secret: Zeroizing<String>,
    key: Arc<SigningKey>,
    // HMAC-SHA256 already keyed with `key` (inner and outer pad blocks absorbed), so each
    // signature costs the HMAC of the string to sign only, not the key set-up again.
    mac: HmacSha256,
}

impl DayKey {
    fn fits(&self, credentials: &Credentials, date: &AmzDate) -> bool {
        self.key.date() == date.date()
            && self.access_key_id == credentials.access_key_id()
            && self.secret.as_str() == credentials.secret_access_key()
    }
}

pub(crate) type HmacSha256 = hmac::Hmac<Sha256>;

/// HMAC-SHA256 keyed with a signing key.
fn keyed_mac(key: &SigningKey) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as hmac::KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC takes any key length")
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
            keys: Arc::default(),
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
        self.with_day_key(credentials, &date, |k| {
            self.sign_with_mac(
                request,
                &k.mac,
                credentials.access_key_id(),
                credentials.session_token(),
                &date,
            )
        })?
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

    /// The whole presigned URL for `method` and `url`: `url` exactly as it goes on the wire
    /// (absolute, already percent-encoded, see [`crate::uri_encode_path`]), its query kept,
    /// followed by the signing parameters.
    ///
    /// The URL is valid for the settings' expiry when they presign
    /// ([`SigningSettings::presigned`](crate::SigningSettings::presigned)), else for [`DEFAULT_PRESIGN_EXPIRES_SECS`] (15 minutes).
    /// The payload is `UNSIGNED-PAYLOAD` for S3 (the body is not known when presigning)
    /// and the hash of an empty body for every other service; all other settings (session
    /// token mode, signed headers, URI rules) are this signer's.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sigv4::{Credentials, Signer, SigningSettings};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let signer = Signer::new("us-east-1", "s3")?
    ///     .with_settings(SigningSettings::s3().presigned(Duration::from_secs(3600)));
    /// let url = signer.presign_url(
    ///     "GET",
    ///     "https://examplebucket.s3.amazonaws.com/photos/cat.jpg?versionId=3",
    ///     &creds,
    ///     SystemTime::now(),
    /// )?;
    /// assert!(url.starts_with("https://examplebucket.s3.amazonaws.com/photos/cat.jpg?versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    /// assert_eq!(url.matches('?').count(), 1);
    /// assert!(url.contains("&X-Amz-Expires=3600&"));
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn presign_url(
        &self,
        method: &str,
        url: &str,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<String, SigningError> {
        let payload = if crate::settings::is_s3(&self.service) {
            Payload::Unsigned
        } else {
            Payload::Bytes(b"")
        };
        let request = SignableRequest::new(method, url, [], payload);
        let out = if matches!(self.settings.location, SignatureLocation::Query { .. }) {
            self.sign(&request, credentials, time)?
        } else {
            // Same region, service and rules, only the location differs; the day's key
            // is shared with this signer (it does not depend on the settings).
            let mut settings = self.settings.clone();
            settings.location = SignatureLocation::Query {
                expires: std::time::Duration::from_secs(DEFAULT_PRESIGN_EXPIRES_SECS),
            };
            let presigner = Signer {
                region: self.region.clone(),
                service: self.service.clone(),
                settings,
                keys: Arc::clone(&self.keys),
            };
            presigner.sign(&request, credentials, time)?
        };
        // The fragment never goes on the wire; the query is rebuilt by `query_string`.
        let base = url.split(['?', '#']).next().unwrap_or(url);
        Ok(format!("{base}?{}", out.query_string()))
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
        let alg = Algorithm::V4 {
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

    /// Runs `f` on the day key for `credentials` and `date`: this thread's copy when it
    /// fits (no lock, no shared write), else the signer's shared one, derived when needed.
    fn with_day_key<R>(
        &self,
        credentials: &Credentials,
        date: &AmzDate,
        f: impl Fn(&DayKey) -> R,
    ) -> Result<R, SigningError> {
        let mine = Arc::as_ptr(&self.keys);
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
        let key = self.shared_day_key(credentials, date)?;
        let r = f(&key);
        let _ = DAY_KEYS.try_with(|slots| {
            if let Ok(mut slots) = slots.try_borrow_mut() {
                remember(&mut slots, &self.keys, key);
            }
        });
        Ok(r)
    }

    /// The signer's shared day key, derived (outside the lock) when it does not fit.
    fn shared_day_key(
        &self,
        credentials: &Credentials,
        date: &AmzDate,
    ) -> Result<Arc<DayKey>, SigningError> {
        // A poisoned lock only means another thread panicked mid-update; the slot holds an
        // immutable value, so it is still usable.
        let latest = |k: &KeyShare| k.latest.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(k) = latest(&self.keys) {
            if k.fits(credentials, date) {
                return Ok(k);
            }
        }
        let key = SigningKey::derive(
            credentials.secret_access_key(),
            date.date(),
            &self.region,
            &self.service,
        )?;
        let day_key = Arc::new(DayKey {
            access_key_id: credentials.access_key_id().to_owned(),
            secret: Zeroizing::new(credentials.secret_access_key().to_owned()),
            mac: keyed_mac(&key),
            key: Arc::new(key),
        });
        *self.keys.latest.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&day_key));
        Ok(day_key)
    }
}

/// Puts `key` in this thread's slot for `owner`, or in a free slot, or in place of a slot
/// whose signer is gone, or else in place of the first slot.
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

impl Drop for Signer {
    fn drop(&mut self) {
        // Forget this signer's key on the dropping thread now rather than whenever the
        // slot is next reused (other threads' copies go when their slots are reused).
        let mine = Arc::as_ptr(&self.keys);
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

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What differs between SigV4 and SigV4a; everything else is [`sign_request`].
pub(crate) enum Algorithm<'a> {
    /// SigV4: HMAC-SHA256 with the day's key; the credential scope names the region.
    V4 {
        region: &'a str,
        /// Keyed with the day's signing key.
        mac: &'a HmacSha256,
    },
    /// SigV4a: ECDSA P-256; the credential scope has no region and the region set is
    /// signed instead (`x-amz-region-set` header or `X-Amz-Region-Set` parameter).
    #[cfg(feature = "sigv4a")]
    V4a {
        region_set: &'a str,
        key: &'a crate::sigv4a::SigV4aKey,
    },
}

/// Longest signature in hex: a DER-encoded ECDSA P-256 signature is at most 72 bytes.
const MAX_SIGNATURE_HEX: usize = 144;

impl Algorithm<'_> {
    fn name(&self) -> &'static str {
        match self {
            Algorithm::V4 { .. } => ALGORITHM,
            #[cfg(feature = "sigv4a")]
            Algorithm::V4a { .. } => crate::sigv4a::ALGORITHM,
        }
    }

    fn region_set(&self) -> Option<&str> {
        match self {
            Algorithm::V4 { .. } => None,
            #[cfg(feature = "sigv4a")]
            Algorithm::V4a { region_set, .. } => Some(region_set),
        }
    }

    /// The credential scope after the date, as parts to concatenate.
    fn scope<'s>(&'s self, date: &'s str, service: &'s str) -> [&'s str; 6] {
        match self {
            Algorithm::V4 { region, .. } => [date, "/", region, "/", service, "/aws4_request"],
            #[cfg(feature = "sigv4a")]
            Algorithm::V4a { .. } => [date, "/", service, "/aws4_request", "", ""],
        }
    }

    /// The signature of the string to sign, as lowercase hex, and its length.
    fn sign(&self, string_to_sign: &[u8]) -> ([u8; MAX_SIGNATURE_HEX], usize) {
        let mut out = [0u8; MAX_SIGNATURE_HEX];
        match self {
            Algorithm::V4 { mac, .. } => {
                use hmac::Mac;
                let mut mac = (*mac).clone();
                mac.update(string_to_sign);
                let hex: [u8; 64] = hex_lower(&mac.finalize().into_bytes());
                out[..64].copy_from_slice(&hex);
                (out, 64)
            }
            #[cfg(feature = "sigv4a")]
            Algorithm::V4a { key, .. } => {
                let der = key.sign(string_to_sign);
                let n = (2 * der.len()).min(MAX_SIGNATURE_HEX);
                let hex: [u8; MAX_SIGNATURE_HEX] = hex_lower(&der);
                out[..n].copy_from_slice(&hex[..n]);
                (out, n)
            }
        }
    }

    fn is_signing_param(&self, decoded_key: &[u8]) -> bool {
        is_signing_param(decoded_key)
            || (self.region_set().is_some() && decoded_key == b"X-Amz-Region-Set")
    }
}

/// The headers signing sets itself, in the order of the bits of [`SigningOutput::replaced`]
/// (the session token's header depends on the settings).
fn replaced_names(token: SessionTokenHeader) -> [&'static str; 5] {
    [
        "authorization",
        "x-amz-date",
        token.header_name(),
        "x-amz-content-sha256",
        "x-amz-region-set",
    ]
}
const R_AUTHORIZATION: u8 = 1;
const R_DATE: u8 = 1 << 1;
const R_TOKEN: u8 = 1 << 2;
const R_CONTENT_SHA256: u8 = 1 << 3;
const R_REGION_SET: u8 = 1 << 4;

/// What signing produced: the headers or query parameters to add, the headers it took
/// over, and every intermediate step (canonical request, string to sign, signed headers,
/// credential scope, signature). SigV4 and SigV4a produce the same type.
#[derive(Clone)]
pub struct SigningOutput {
    // canonical request, string to sign, signature, then the values of added headers/params
    buf: Text,
    creq: Range<usize>,
    sts: Range<usize>,
    signed_headers: Range<usize>,
    scope: Range<usize>,
    signature: Range<usize>,
    // (name, value range in buf)
    added: SmallVec<[(&'static str, Range<usize>); 8]>,
    location: SignatureLocation,
    // Query parameters already present in the original request that must be kept
    // (presign), as the raw original query with our own X-Amz-* parameters removed.
    kept_query: Range<usize>,
    // Bits of `replaced_names`: the request headers signing ignored because it sets them.
    replaced: u8,
    token_header: SessionTokenHeader,
}

/// The text of a [`SigningOutput`]: a `String` as signing writes it, or the same bytes
/// shared with the header values an `http::Request` was given (no copy for those).
#[derive(Clone)]
enum Text {
    Owned(String),
    #[cfg(feature = "http")]
    Shared(bytes::Bytes),
}

impl Text {
    fn get(&self, range: Range<usize>) -> &str {
        match self {
            Text::Owned(s) => &s[range],
            // Made from a `String`, so always UTF-8, and ranges fall on the boundaries
            // signing recorded.
            #[cfg(feature = "http")]
            Text::Shared(b) => std::str::from_utf8(&b[range]).unwrap_or_default(),
        }
    }
}

impl SigningOutput {
    /// The text as shared bytes, for header values that point into it (no copy).
    #[cfg(feature = "http")]
    pub(crate) fn shared_text(&mut self) -> bytes::Bytes {
        let bytes = match &mut self.buf {
            Text::Owned(s) => bytes::Bytes::from(std::mem::take(s)),
            Text::Shared(b) => return b.clone(),
        };
        self.buf = Text::Shared(bytes.clone());
        bytes
    }

    /// The headers to add, with where their values lie in the text.
    #[cfg(feature = "http")]
    pub(crate) fn header_ranges(&self) -> impl Iterator<Item = (&'static str, Range<usize>)> + '_ {
        let query = matches!(self.location, SignatureLocation::Query { .. });
        self.added
            .iter()
            .filter(move |(n, _)| !query || *n == "host")
            .map(|(n, r)| (*n, r.clone()))
    }

    /// The canonical request that was hashed.
    pub fn canonical_request(&self) -> &str {
        self.buf.get(self.creq.clone())
    }

    /// The string to sign.
    pub fn string_to_sign(&self) -> &str {
        self.buf.get(self.sts.clone())
    }

    /// The signed headers list, `host;x-amz-date`.
    pub fn signed_headers(&self) -> &str {
        self.buf.get(self.signed_headers.clone())
    }

    /// The credential scope, `20150830/us-east-1/service/aws4_request` (SigV4a:
    /// `20150830/service/aws4_request`, no region).
    pub fn credential_scope(&self) -> &str {
        self.buf.get(self.scope.clone())
    }

    /// The signature: 64 lowercase hex digits (SigV4a: the lowercase hex of the
    /// DER-encoded ECDSA signature).
    pub fn signature(&self) -> &str {
        self.buf.get(self.signature.clone())
    }

    /// Whether the signature went into headers or into the query string.
    pub fn location(&self) -> SignatureLocation {
        self.location
    }

    /// The headers to add to the request (header mode; in query mode, only a `host` header
    /// when the request had none), replacing any of the same name.
    ///
    /// Names are lowercase (`host`, `x-amz-date`, `x-amz-security-token`,
    /// `x-amz-content-sha256`, `authorization`), as HTTP/2 requires and as they were signed;
    /// HTTP/1.1 header names are case-insensitive, so they can be sent as they are.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        let query = matches!(self.location, SignatureLocation::Query { .. });
        self.added
            .iter()
            .filter(move |(n, _)| !query || *n == "host")
            .map(move |(n, r)| (*n, self.buf.get(r.clone())))
    }

    /// The query parameters to append (query mode), in order, with values already
    /// percent-encoded; empty in header mode.
    pub fn query_params(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        let query = matches!(self.location, SignatureLocation::Query { .. });
        self.added
            .iter()
            .filter(move |(n, _)| query && *n != "host")
            .map(move |(n, r)| (*n, self.buf.get(r.clone())))
    }

    /// The `Authorization` header value (header mode).
    pub fn authorization(&self) -> Option<&str> {
        self.headers()
            .find(|(n, _)| *n == "authorization")
            .map(|(_, v)| v)
    }

    /// The names (lowercase) of the request headers that signing set itself and so did
    /// not sign as given: `authorization` always; `x-amz-date` in header mode; the session
    /// token header (`x-amz-security-token`, or `x-amz-s3session-token` for S3 Express)
    /// when there is a token; `x-amz-content-sha256` when signing added it; and
    /// `x-amz-region-set` for SigV4a.
    ///
    /// A request that is sent must not carry its own headers of these names: drop them,
    /// then add [`headers`](Self::headers). This is what the `http::Request` methods do.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use sigv4::{Credentials, Payload, SignableRequest, Signer};
    ///
    /// let signer = Signer::new("us-east-1", "s3")?;
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let req = SignableRequest::new(
    ///     "GET",
    ///     "https://examplebucket.s3.amazonaws.com/test.txt",
    ///     [("X-Amz-Date", "stale".as_bytes()), ("range", b"bytes=0-9")],
    ///     Payload::Unsigned,
    /// );
    /// let out = signer.sign(&req, &creds, UNIX_EPOCH + Duration::from_secs(1_440_938_160))?;
    /// let replaced: Vec<&str> = out.replaced_headers().collect();
    /// assert_eq!(replaced, ["authorization", "x-amz-date", "x-amz-content-sha256"]);
    /// assert!(out.replaces_header("X-Amz-Date"));
    /// assert!(!out.replaces_header("range"));
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn replaced_headers(&self) -> impl Iterator<Item = &'static str> + '_ {
        replaced_names(self.token_header)
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.replaced & (1 << i) != 0)
            .map(|(_, n)| n)
    }

    /// Whether signing set the header `name` (any case) itself: see
    /// [`replaced_headers`](Self::replaced_headers).
    pub fn replaces_header(&self, name: &str) -> bool {
        self.replaced_headers()
            .any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The signed request's query string for query mode: the original parameters (with any
    /// stale `X-Amz-*` signing parameters removed and every raw `+` written as `%2B`, since
    /// it was signed as a literal plus) followed by the signing parameters and
    /// `X-Amz-Signature`. In header mode, the original query with the same `+` rewrite.
    pub fn query_string(&self) -> String {
        let mut q = String::with_capacity(self.query_string_len());
        self.write_query_string(&mut q);
        q
    }

    /// Appends [`query_string`](Self::query_string).
    pub(crate) fn write_query_string(&self, q: &mut String) {
        let start = q.len();
        let kept = self.buf.get(self.kept_query.clone());
        for (i, part) in kept.split('+').enumerate() {
            if i > 0 {
                q.push_str("%2B");
            }
            q.push_str(part);
        }
        for (n, v) in self.query_params() {
            if q.len() > start {
                q.push('&');
            }
            q.push_str(n);
            q.push('=');
            q.push_str(v);
        }
    }

    /// The length of [`query_string`](Self::query_string), so it can be built in place.
    pub(crate) fn query_string_len(&self) -> usize {
        let kept = self.buf.get(self.kept_query.clone());
        let mut len = kept.len() + 2 * kept.bytes().filter(|&b| b == b'+').count();
        for (n, v) in self.query_params() {
            if len > 0 {
                len += 1;
            }
            len += n.len() + 1 + v.len();
        }
        len
    }
}

impl fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session token is a credential: show everything but its value.
        let added: Vec<(&str, &str)> = self
            .added
            .iter()
            .map(|(n, r)| {
                if n.eq_ignore_ascii_case("x-amz-security-token")
                    || n.eq_ignore_ascii_case("x-amz-s3session-token")
                {
                    (*n, "** redacted **")
                } else {
                    (*n, self.buf.get(r.clone()))
                }
            })
            .collect();
        f.debug_struct("SigningOutput")
            .field("signature", &self.signature())
            .field("signed_headers", &self.signed_headers())
            .field("credential_scope", &self.credential_scope())
            .field("added", &added)
            .finish_non_exhaustive()
    }
}

fn is_signing_param(decoded_key: &[u8]) -> bool {
    matches!(
        decoded_key,
        b"X-Amz-Algorithm"
            | b"X-Amz-Credential"
            | b"X-Amz-Date"
            | b"X-Amz-Expires"
            | b"X-Amz-SignedHeaders"
            | b"X-Amz-Security-Token"
            | b"X-Amz-S3session-Token"
            | b"X-Amz-Signature"
    )
}

fn validate_method(method: &str) -> Result<(), SigningError> {
    if method.is_empty() || !method.bytes().all(crate::canonical_request::is_tchar) {
        return Err(SigningError::InvalidMethod(method.to_owned()));
    }
    Ok(())
}

/// The payload hash line, as text that lives either in `hex_buf` or in a static string.
fn payload_hash<'a>(
    payload: &Payload<'a>,
    hex_buf: &'a mut [u8; 64],
) -> Result<&'a str, SigningError> {
    Ok(match *payload {
        Payload::Bytes(b) => {
            *hex_buf = hex_lower::<64>(&Sha256::digest(b));
            std::str::from_utf8(hex_buf).unwrap_or_default()
        }
        Payload::Precomputed(h) => {
            let hex_ok = h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
            // Anything else must at least be a single printable token (a marker).
            let marker_ok = !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
            if !(hex_ok || marker_ok) {
                return Err(SigningError::InvalidPayloadHash(
                    h.chars().take(80).collect(),
                ));
            }
            h
        }
        Payload::Unsigned => UNSIGNED_PAYLOAD,
        Payload::StreamingSigned => STREAMING_SIGNED_PAYLOAD,
        Payload::StreamingSignedTrailer => STREAMING_SIGNED_PAYLOAD_TRAILER,
        Payload::StreamingUnsignedTrailer => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    })
}

/// Signs `request` with `alg`: the one signing flow of SigV4 and SigV4a.
pub(crate) fn sign_request(
    alg: &Algorithm<'_>,
    service: &str,
    settings: &SigningSettings,
    request: &SignableRequest<'_>,
    access_key_id: &str,
    session_token: Option<&str>,
    date: &AmzDate,
) -> Result<SigningOutput, SigningError> {
    let ctx = Ctx {
        alg,
        service,
        settings,
        access_key_id,
        session_token,
        date,
    };
    SCRATCH.with(|s| match s.try_borrow_mut().as_deref_mut() {
        Ok(scratch) => sign_core(&ctx, request, scratch),
        // Only reachable through re-entrancy, which the signer never does; stay correct anyway.
        Err(_) => sign_core(&ctx, request, &mut Scratch::default()),
    })
}

/// Buffers reused by one thread's signings, so steady-state signing allocates only its output.
#[derive(Default)]
struct Scratch {
    headers: HeaderScratch,
    query: QueryScratch,
    /// The percent-encoded values of the `X-Amz-*` parameters of a presigned URL.
    params: String,
    /// A decoded query key.
    decoded: Vec<u8>,
}

/// Everything about a signing but the request.
struct Ctx<'a> {
    alg: &'a Algorithm<'a>,
    service: &'a str,
    settings: &'a SigningSettings,
    access_key_id: &'a str,
    session_token: Option<&'a str>,
    date: &'a AmzDate,
}

fn sign_core(
    ctx: &Ctx<'_>,
    request: &SignableRequest<'_>,
    scratch: &mut Scratch,
) -> Result<SigningOutput, SigningError> {
    let Scratch {
        headers: hs,
        query: qs,
        params,
        decoded,
    } = scratch;
    let Ctx {
        alg,
        service,
        settings,
        access_key_id,
        session_token,
        date,
    } = *ctx;
    let region_set = alg.region_set();
    validate_method(request.method())?;
    let target: Target<'_> = split_target(request.uri())?;
    let presign_expires = match settings.location {
        SignatureLocation::Headers => None,
        SignatureLocation::Query { expires } => {
            let secs = expires.as_secs();
            if secs == 0 || secs > MAX_PRESIGN_EXPIRES_SECS {
                return Err(SigningError::InvalidExpiry(secs));
            }
            Some(secs)
        }
    };
    let header_mode = presign_expires.is_none();
    let token_signed =
        session_token.is_some() && settings.session_token_mode == SessionTokenMode::Signed;

    // `x-amz-security-token`, or `x-amz-s3session-token` for S3 Express sessions.
    let token_header = settings.session_token_header;

    let mut hash_buf = [0u8; 64];
    let payload_hash = payload_hash(&request.payload(), &mut hash_buf)?;
    // A server can only recompute the hash of the body it receives. When the payload line is
    // anything else (UNSIGNED-PAYLOAD, a precomputed hash, a streaming marker), it has to be
    // told what was signed, whatever the service: otherwise no server can ever verify it.
    let add_content_sha = header_mode
        && (settings.content_sha256_header || !matches!(request.payload(), Payload::Bytes(_)));
    let mut replaced = R_AUTHORIZATION;
    if header_mode {
        replaced |= R_DATE;
    }
    if session_token.is_some() {
        replaced |= R_TOKEN;
    }
    if add_content_sha {
        replaced |= R_CONTENT_SHA256;
    }
    if region_set.is_some() {
        replaced |= R_REGION_SET;
    }
    let replaced_names = replaced_names(token_header);

    // Headers: lowercase, canonicalize, drop what is not signed or what we are about to set.
    hs.clear();
    let mut has_host = false;
    for &(name, value) in request.headers() {
        validate_header_name(name)?;
        // Every replaced name starts with `a` or `x`: most headers are ruled out by their
        // first byte alone.
        let is_replaced = matches!(name.as_bytes().first().map(|b| b | 0x20), Some(b'a' | b'x'))
            && replaced_names
                .iter()
                .enumerate()
                .any(|(i, r)| replaced & (1 << i) != 0 && name.eq_ignore_ascii_case(r));
        if is_replaced {
            continue;
        }
        let signed = if name.eq_ignore_ascii_case("host") {
            if has_host {
                return Err(SigningError::InvalidHeaderValue("host".into()));
            }
            has_host = true;
            settings.headers.signs_added("host")
        } else {
            settings.headers.is_signed(name)
        };
        if !signed {
            // Still validate it: an unsigned header with a bad value would be rejected by
            // any HTTP stack later, so say so now.
            let mark = hs.text.len();
            let ok = crate::canonical_request::canonical_header_value(&mut hs.text, value);
            hs.text.truncate(mark);
            ok.map_err(|_| SigningError::InvalidHeaderValue(name.to_owned()))?;
            continue;
        }
        hs.push(name, value)?;
    }

    // The output buffer: canonical request, string to sign, signature, added values.
    // Sized from an upper bound of everything written below, so it is the one and only
    // allocation of a header-mode signing (a reallocation would copy the canonical request).
    let mut buf =
        String::with_capacity(output_capacity(ctx, request, hs, presign_expires.is_some()));
    let initial_capacity = buf.capacity();

    // Host derived from the URL when the request has no host header.
    let mut derived_host: Option<Range<usize>> = None;
    if !has_host {
        let authority = request
            .host
            .or(target.authority)
            .ok_or(SigningError::MissingHost)?;
        let start = buf.len();
        buf.push_str(authority);
        buf[start..].make_ascii_lowercase();
        if settings.headers.signs_added("host") {
            hs.push("host", &buf.as_bytes()[start..])?;
        }
        derived_host = Some(start..buf.len());
    }

    let scope = alg.scope(date.date(), service);

    if header_mode {
        // Always signed, except under `HeaderSelection::Exactly` when not listed.
        let signed = |name: &str| settings.headers.signs_added(name);
        if signed("x-amz-date") {
            hs.push("x-amz-date", date.date_time().as_bytes())?;
        }
        if let Some(set) = region_set.filter(|_| signed("x-amz-region-set")) {
            hs.push("x-amz-region-set", set.as_bytes())?;
        }
        if token_signed && signed(token_header.header_name()) {
            hs.push(
                token_header.header_name(),
                session_token.unwrap_or_default().as_bytes(),
            )?;
        }
        if add_content_sha && signed("x-amz-content-sha256") {
            hs.push("x-amz-content-sha256", payload_hash.as_bytes())?;
        }
    }
    hs.sort();

    // Canonical request.
    let creq_start = buf.len();
    buf.push_str(request.method());
    buf.push('\n');
    canonical_uri(
        &mut buf,
        target.path,
        settings.normalize_uri_path,
        settings.double_uri_encode,
    );
    buf.push('\n');

    // For presigning, the X-Amz-* parameters join the canonical query. Their values are
    // encoded into side buffers; the signed-headers list is only known after sorting the
    // headers, so compute it first.
    params.clear();
    let mut param = |write: &mut dyn FnMut(&mut String)| {
        let start = params.len();
        write(params);
        start..params.len()
    };
    let (mut credential_enc, mut token_enc, mut signed_enc, mut region_set_enc, mut expires_text) =
        (0..0, 0..0, 0..0, 0..0, 0..0);
    if let Some(secs) = presign_expires {
        credential_enc = param(&mut |p| {
            encode_into(p, access_key_id.as_bytes(), false);
            p.push_str("%2F");
            for part in scope {
                encode_into(p, part.as_bytes(), false);
            }
        });
        if let Some(t) = session_token {
            token_enc = param(&mut |p| encode_into(p, t.as_bytes(), false));
        }
        // Encoded in place (written raw, encoded after it, the raw copy dropped), so no
        // temporary string is needed.
        signed_enc = param(&mut |p| {
            let start = p.len();
            hs.write_signed_list(p);
            let list_end = p.len();
            for i in start..list_end {
                let b = p.as_bytes()[i];
                if is_unreserved(b) {
                    p.push(char::from(b));
                } else {
                    push_escape(p, b);
                }
            }
            p.drain(start..list_end);
        });
        if let Some(set) = region_set {
            region_set_enc = param(&mut |p| encode_into(p, set.as_bytes(), false));
        }
        expires_text = param(&mut |p| {
            use std::fmt::Write;
            let _ = write!(p, "{secs}");
        });
    }
    let params: &str = params;
    let (credential_enc, token_enc, signed_enc, region_set_enc, expires_text) = (
        &params[credential_enc],
        &params[token_enc],
        &params[signed_enc],
        &params[region_set_enc],
        &params[expires_text],
    );
    {
        let mut extra: SmallVec<[(&str, &str); 8]> = SmallVec::new();
        if !header_mode {
            extra.push(("X-Amz-Algorithm", alg.name()));
            extra.push(("X-Amz-Credential", credential_enc));
            extra.push(("X-Amz-Date", date.date_time()));
            extra.push(("X-Amz-Expires", expires_text));
            if region_set.is_some() {
                extra.push(("X-Amz-Region-Set", region_set_enc));
            }
            if token_signed {
                extra.push((token_header.query_name(), token_enc));
            }
            extra.push(("X-Amz-SignedHeaders", signed_enc));
        }
        let skip_ours = !header_mode;
        canonical_query_with(qs, &mut buf, target.query, &extra, |k| {
            skip_ours && alg.is_signing_param(k)
        });
    }
    buf.push('\n');
    let (sh_start, sh_end) = hs.write(&mut buf);
    buf.push('\n');
    buf.push_str(payload_hash);
    let creq_end = buf.len();

    // String to sign.
    let creq_hash: [u8; 64] = hex_lower(&Sha256::digest(&buf.as_bytes()[creq_start..creq_end]));
    let sts_start = buf.len();
    buf.push_str(alg.name());
    buf.push('\n');
    buf.push_str(date.date_time());
    buf.push('\n');
    let scope_start = buf.len();
    scope.iter().for_each(|p| buf.push_str(p));
    let scope_end = buf.len();
    buf.push('\n');
    buf.push_str(std::str::from_utf8(&creq_hash).unwrap_or_default());
    let sts_end = buf.len();

    let (sig_hex, sig_len) = alg.sign(&buf.as_bytes()[sts_start..sts_end]);
    let sig_str = std::str::from_utf8(&sig_hex[..sig_len]).unwrap_or_default();
    let sig_start = buf.len();
    buf.push_str(sig_str);
    let signature = sig_start..buf.len();

    // What to add, in the order the AWS test suites show it.
    let mut added: SmallVec<[(&'static str, Range<usize>); 8]> = SmallVec::new();
    if let Some(r) = derived_host {
        added.push(("host", r));
    }
    fn push(
        added: &mut SmallVec<[(&'static str, Range<usize>); 8]>,
        buf: &mut String,
        name: &'static str,
        value: &str,
    ) {
        let s = buf.len();
        buf.push_str(value);
        added.push((name, s..buf.len()));
    }
    if header_mode {
        if let Some(t) = session_token {
            push(&mut added, &mut buf, token_header.added_name(), t);
        }
        push(&mut added, &mut buf, "x-amz-date", date.date_time());
        if let Some(set) = region_set {
            push(&mut added, &mut buf, "x-amz-region-set", set);
        }
        if add_content_sha {
            push(&mut added, &mut buf, "x-amz-content-sha256", payload_hash);
        }
        let start = buf.len();
        for p in [alg.name(), " Credential=", access_key_id, "/"] {
            buf.push_str(p);
        }
        scope.iter().for_each(|p| buf.push_str(p));
        buf.push_str(", SignedHeaders=");
        // The same list as in the canonical request: copy it rather than rebuild it.
        buf.extend_from_within(sh_start..sh_end);
        buf.push_str(", Signature=");
        buf.push_str(sig_str);
        added.push(("authorization", start..buf.len()));
    } else {
        push(&mut added, &mut buf, "X-Amz-Algorithm", alg.name());
        push(&mut added, &mut buf, "X-Amz-Credential", credential_enc);
        push(&mut added, &mut buf, "X-Amz-Date", date.date_time());
        push(&mut added, &mut buf, "X-Amz-SignedHeaders", signed_enc);
        push(&mut added, &mut buf, "X-Amz-Expires", expires_text);
        if session_token.is_some() {
            push(&mut added, &mut buf, token_header.query_name(), token_enc);
        }
        if region_set.is_some() {
            push(&mut added, &mut buf, "X-Amz-Region-Set", region_set_enc);
        }
        push(&mut added, &mut buf, "X-Amz-Signature", sig_str);
    }

    // The original query, minus stale signing parameters, for the presigned URL.
    let kq_start = buf.len();
    let mut first = true;
    for piece in target.query.split('&') {
        if piece.is_empty() {
            continue;
        }
        if !header_mode {
            let k = piece.split_once('=').map_or(piece, |(k, _)| k);
            decoded.clear();
            crate::encoding::decode_into(decoded, k.as_bytes());
            if alg.is_signing_param(decoded) {
                continue;
            }
        }
        if !first {
            buf.push('&');
        }
        buf.push_str(piece);
        first = false;
    }
    let kept_query = kq_start..buf.len();
    // The bound of `output_capacity` held (the property tests exercise this).
    debug_assert_eq!(buf.capacity(), initial_capacity, "output buffer grew");

    Ok(SigningOutput {
        buf: Text::Owned(buf),
        creq: creq_start..creq_end,
        sts: sts_start..sts_end,
        signed_headers: sh_start..sh_end,
        scope: scope_start..scope_end,
        signature,
        added,
        location: settings.location,
        kept_query,
        replaced,
        token_header,
    })
}

/// An upper bound of the bytes `sign_core` writes into its output buffer.
///
/// * the request target (`u`) appears at most 6 times: path and query percent-encoded (at
///   most 3 bytes per byte), the derived host, its `host:` line, and the kept query;
/// * the caller's header text (`h`, names and values) at most 3 times: the header lines,
///   the signed-headers list, and the list again in `Authorization`;
/// * the credential scope twice (string to sign, `Authorization`), the session token twice
///   (its header line and the added header), the signature twice;
/// * 640 bytes for everything of fixed size: newlines, the algorithm, dates, hex hashes,
///   the lines of the headers signing adds, and `Authorization`'s labels;
/// * SigV4a's region set (`r`) in its header line, the signed list and the added header;
/// * for presigning, the encoded `X-Amz-*` parameters twice (canonical query and output).
fn output_capacity(
    ctx: &Ctx<'_>,
    request: &SignableRequest<'_>,
    hs: &HeaderScratch,
    presign: bool,
) -> usize {
    let u = request.uri().len();
    let h = hs.text.len() + 3 * hs.entries.len();
    let region = match ctx.alg {
        Algorithm::V4 { region, .. } => region.len(),
        #[cfg(feature = "sigv4a")]
        Algorithm::V4a { .. } => 0,
    };
    let scope = 8 + 1 + region + 1 + ctx.service.len() + "/aws4_request".len();
    let a = ctx.access_key_id.len();
    let t = ctx.session_token.map_or(0, str::len);
    let r = ctx.alg.region_set().map_or(0, |s| 64 + s.len());
    let mut cap = 640
        + request.method().len()
        + 6 * u
        + 3 * h
        + 2 * scope
        + a
        + 2 * t
        + 2 * MAX_SIGNATURE_HEX
        + 3 * r;
    if presign {
        cap += 2 * (200 + 3 * (a + scope + t + h + u + r));
    }
    cap
}
