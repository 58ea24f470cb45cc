//! The verifier: its settings, the cache of derived keys, and the entry points.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::error::VerifyError;
use super::lookup::{AsyncCredentialLookup, CredentialLookup};
use super::request::VerifiableRequest;
use super::verified::Verified;
use crate::settings::{is_s3, SessionTokenMode};
use crate::signing_key::validate_scope_part;
use crate::{Credentials, QueryPlus, SigningError, SigningKey};

/// The default largest difference between the request's time and the server's, 15 minutes.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Verifies SigV4-signed requests for one service and a set of regions.
///
/// Defaults follow the service: for S3 (`s3`, `s3-outposts`, `s3express`,
/// `s3-object-lambda`) the path is used as sent (no normalization, single encoding),
/// `x-amz-content-sha256` is required in header mode, `UNSIGNED-PAYLOAD` and streaming
/// bodies are accepted and presigned URLs sign `UNSIGNED-PAYLOAD`; for other services the
/// path is normalized and double-encoded and the payload hash is the body's.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub(super) service: String,
    pub(super) regions: Option<Vec<String>>,
    pub(super) normalize_uri_path: bool,
    pub(super) double_uri_encode: bool,
    pub(super) max_skew: Duration,
    pub(super) session_token_mode: SessionTokenMode,
    pub(super) allow_unsigned_payload: bool,
    pub(super) require_content_sha256: bool,
    pub(super) presigned_unsigned_payload: bool,
    pub(super) query_plus: QueryPlus,
    pub(super) keys: Arc<KeyCache>,
    /// SigV4a public keys derived from secrets (an expensive derivation), per access key.
    #[cfg(feature = "sigv4a")]
    pub(super) v4a_keys: Arc<crate::sigv4a::KeyCache>,
}

/// SigV4a keys kept by a verifier (and its clones).
#[cfg(feature = "sigv4a")]
const V4A_KEY_CACHE_CAPACITY: usize = 256;

/// Signing keys already derived, per access key, day and region, so that a busy server
/// does not redo the four HMACs of the key derivation on every request. Each entry keeps
/// the secret it was derived from (zeroized on drop) and is only used when the looked-up
/// secret is the same, so rotated secrets take effect at once.
#[derive(Default)]
pub(super) struct KeyCache {
    /// Per access key id: the secret the keys were derived from, and the keys.
    map: Mutex<HashMap<String, CachedKeys>>,
}

struct CachedKeys {
    secret: Zeroizing<String>,
    keys: Vec<SigningKey>,
}

/// Keys kept per access key (days x regions x services).
const KEYS_PER_ACCESS_KEY: usize = 8;

/// Access keys kept before the cache is emptied and refilled.
const KEY_CACHE_CAPACITY: usize = 1024;

impl KeyCache {
    pub(super) fn get(
        &self,
        creds: &Credentials,
        date: &str,
        region: &str,
        service: &str,
    ) -> Result<SigningKey, SigningError> {
        // A poisoned lock only means another thread panicked while holding it.
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = map.get_mut(creds.access_key_id()) {
            let same_secret: bool = entry
                .secret
                .as_bytes()
                .ct_eq(creds.secret_access_key().as_bytes())
                .into();
            if same_secret {
                if let Some(k) = entry.keys.iter().find(|k| k.matches(date, region, service)) {
                    return Ok(k.clone());
                }
            } else {
                entry.keys.clear();
                entry.secret = Zeroizing::new(creds.secret_access_key().to_owned());
            }
        }
        let key = SigningKey::derive(creds.secret_access_key(), date, region, service)?;
        if map.len() >= KEY_CACHE_CAPACITY && !map.contains_key(creds.access_key_id()) {
            map.clear();
        }
        let entry = map
            .entry(creds.access_key_id().to_owned())
            .or_insert_with(|| CachedKeys {
                secret: Zeroizing::new(creds.secret_access_key().to_owned()),
                keys: Vec::new(),
            });
        if entry.keys.len() >= KEYS_PER_ACCESS_KEY {
            entry.keys.remove(0);
        }
        entry.keys.push(key.clone());
        Ok(key)
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.map.lock().map_or(0, |m| m.len());
        f.debug_struct("KeyCache").field("entries", &n).finish()
    }
}

impl Verifier {
    /// A verifier for requests signed for `region` and `service`.
    pub fn new(
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Result<Self, SigningError> {
        Self::with_regions([region], service)
    }

    /// A verifier accepting any of `regions` (at least one).
    pub fn with_regions<R: Into<String>>(
        regions: impl IntoIterator<Item = R>,
        service: impl Into<String>,
    ) -> Result<Self, SigningError> {
        let service = service.into();
        validate_scope_part(&service).map_err(|_| SigningError::InvalidService(service.clone()))?;
        let mut list = Vec::new();
        for r in regions {
            let r = r.into();
            validate_scope_part(&r).map_err(|_| SigningError::InvalidRegion(r.clone()))?;
            list.push(r);
        }
        if list.is_empty() {
            return Err(SigningError::InvalidRegion(String::new()));
        }
        let s3 = is_s3(&service);
        Ok(Verifier {
            service,
            regions: Some(list),
            normalize_uri_path: !s3,
            double_uri_encode: !s3,
            max_skew: DEFAULT_MAX_SKEW,
            session_token_mode: SessionTokenMode::Signed,
            allow_unsigned_payload: s3,
            require_content_sha256: s3,
            presigned_unsigned_payload: s3,
            query_plus: QueryPlus::Space,
            keys: Arc::default(),
            #[cfg(feature = "sigv4a")]
            v4a_keys: Arc::new(crate::sigv4a::KeyCache::new(V4A_KEY_CACHE_CAPACITY)),
        })
    }

    /// Accepts any region in the credential scope (for example a regionless test server).
    pub fn any_region(mut self) -> Self {
        self.regions = None;
        self
    }

    /// Sets the largest accepted difference between the request's time and `now`
    /// (default 15 minutes). Presigned URLs may be dated at most this far in the future.
    pub fn with_max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// Sets the URI rules: normalize the path, and encode it a second time
    /// (default: [`UriRules::for_service`](crate::UriRules::for_service)).
    pub fn with_uri_rules(mut self, rules: crate::UriRules) -> Self {
        self.normalize_uri_path = rules.normalize_path;
        self.double_uri_encode = rules.double_encode;
        self
    }

    /// The URI rules this verifier canonicalizes paths with.
    pub fn uri_rules(&self) -> crate::UriRules {
        crate::UriRules {
            normalize_path: self.normalize_uri_path,
            double_encode: self.double_uri_encode,
        }
    }

    /// Whether clients sign the session token (the default) or append it after signing.
    pub fn with_session_token_mode(mut self, mode: SessionTokenMode) -> Self {
        self.session_token_mode = mode;
        self
    }

    /// Whether `UNSIGNED-PAYLOAD` and `STREAMING-UNSIGNED-PAYLOAD-TRAILER` are accepted.
    pub fn allow_unsigned_payload(mut self, allow: bool) -> Self {
        self.allow_unsigned_payload = allow;
        self
    }

    /// Whether header-mode requests must carry `x-amz-content-sha256`.
    pub fn require_content_sha256(mut self, require: bool) -> Self {
        self.require_content_sha256 = require;
        self
    }

    /// Whether presigned URLs without an `x-amz-content-sha256` header sign
    /// `UNSIGNED-PAYLOAD` (S3) rather than the body's hash.
    pub fn presigned_unsigned_payload(mut self, unsigned: bool) -> Self {
        self.presigned_unsigned_payload = unsigned;
        self
    }

    /// What a raw `+` in a received query means (default [`QueryPlus::Space`]: a space,
    /// canonical `%20`, as AWS and form decoders read it; `%2B` is always a plus). With
    /// [`QueryPlus::Literal`] it is a plus, as a signer with that setting signed it.
    ///
    /// A server edge hands the application the query in the spelling verified (see
    /// [`edge::QueryPlusPolicy`](super::edge::QueryPlusPolicy)), so no raw `+` reaches it.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use sigv4::verify::{VerifiableRequest, VerifyBody, Verifier};
    /// use sigv4::{Credentials, Payload, QueryPlus, SignableRequest, Signer, SigningSettings};
    ///
    /// let creds = Credentials::new("AKID", "secret", None, None);
    /// let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    /// // A form-encoding client: `q=a b` sent as `q=a+b`, signed as `q=a%20b`.
    /// let signer = Signer::new("us-east-1", "execute-api")?
    ///     .with_settings(SigningSettings::for_service("execute-api").query_plus(QueryPlus::Space));
    /// let host = [("host", "api.example.com".as_bytes())];
    /// let out = signer.sign(&SignableRequest::new("GET", "/s?q=a+b", host, Payload::Bytes(b"")), &creds, now)?;
    /// let mut sent: Vec<(&str, &[u8])> = host.to_vec();
    /// sent.extend(out.headers().map(|(n, v)| (n, v.as_bytes())));
    /// let req = VerifiableRequest::new("GET", "/s?q=a+b", sent, VerifyBody::Bytes(b""));
    ///
    /// let verifier = Verifier::new("us-east-1", "execute-api")?;
    /// assert!(verifier.verify_with(&req, Some(creds.clone()), now).is_ok());
    /// let literal = verifier.with_query_plus(QueryPlus::Literal);
    /// assert_eq!(literal.verify_with(&req, Some(creds), now).unwrap_err().code(), "SignatureDoesNotMatch");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_query_plus(mut self, plus: QueryPlus) -> Self {
        self.query_plus = plus;
        self
    }

    /// What a raw `+` in a received query means (see [`with_query_plus`](Self::with_query_plus)).
    pub fn query_plus(&self) -> QueryPlus {
        self.query_plus
    }

    /// The largest accepted difference between a request's time and the server's (see
    /// [`with_max_skew`](Self::with_max_skew)); a server applies it to the messages of an
    /// event stream too.
    pub fn max_skew(&self) -> Duration {
        self.max_skew
    }

    /// The service.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Whether the path is normalized before signing (every service but S3, by default):
    /// a server edge must then make sure the application sees the normalized path (see
    /// [`edge::prepare_target`](super::edge::prepare_target)).
    pub fn normalizes_uri_path(&self) -> bool {
        self.normalize_uri_path
    }

    /// Verifies `request` at `now`, looking the access key up with `lookup`.
    pub fn verify(
        &self,
        request: &VerifiableRequest<'_>,
        lookup: &impl CredentialLookup,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let parsed = self.parse(request, now)?;
        let creds = lookup
            .lookup(&parsed.access_key_id)
            .map_err(VerifyError::CredentialLookup)?;
        self.complete(request, parsed, creds, now)
    }

    /// Like [`verify`](Self::verify), with an asynchronous lookup. Everything that can be
    /// checked without the credentials is checked before the lookup.
    pub async fn verify_async(
        &self,
        request: &VerifiableRequest<'_>,
        lookup: &impl AsyncCredentialLookup,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let parsed = self.parse(request, now)?;
        let creds = lookup
            .lookup(&parsed.access_key_id)
            .await
            .map_err(VerifyError::CredentialLookup)?;
        self.complete(request, parsed, creds, now)
    }

    /// Verifies with the credentials already at hand (`None`: the key is unknown).
    pub fn verify_with(
        &self,
        request: &VerifiableRequest<'_>,
        credentials: Option<Credentials>,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let parsed = self.parse(request, now)?;
        self.complete(request, parsed, credentials, now)
    }
}
