//! The shared piece of every integration: credentials, service and region, and signing.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sigv4::chunked::ChunkedSettings;
use sigv4::sigv4a::SigV4aSigner;
use sigv4::{
    Credentials, Payload, QueryPlus, ScopedKey, SessionTokenHeader, SignableRequest, Signer,
    SigningOutput, SigningSettings,
};
use sigv4_credentials::clock_skew::{endpoint_key, ClockSkew, SkewCorrection, SkewResponse};
use sigv4_credentials::s3express::{DirectoryBucket, S3ExpressSessions};
use sigv4_credentials::{
    BoxFuture, CachedProvider, CredentialsError, CredentialsResult, ProvideCredentials,
    ProvidedCredentials, StaticProvider, SystemClock, TimeSource,
};

use crate::Error;

mod auth;

pub(crate) use auth::{AnySigner, Auth, OwnedAuth, StreamingChoice};

/// How many (region, service) signers are kept; beyond that the oldest is dropped.
const MAX_SIGNERS: usize = 16;

/// What to do with a request body that is a stream (its bytes are not in memory, so it
/// cannot be hashed without consuming it).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum StreamingBodies {
    /// Sign `UNSIGNED-PAYLOAD` for the S3 family (which accepts it) and refuse with
    /// [`Error::StreamingBodyNeedsHash`] for every other service. The default.
    #[default]
    Auto,
    /// Always sign `UNSIGNED-PAYLOAD` (for services that accept it).
    UnsignedPayload,
    /// Encode the body as aws-chunked, each chunk signed (S3 only); the body's length
    /// must be known (a `Content-Length` header or an exact size).
    AwsChunked(ChunkedSettings),
    /// Always refuse with [`Error::StreamingBodyNeedsHash`].
    Refuse,
}

/// The region and service a request is signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningTarget {
    /// The region.
    pub region: String,
    /// The signing name of the service (`s3`, `execute-api`, `es`...).
    pub service: String,
}

/// Credentials plus how to sign: shared by the reqwest middleware, the tower layer and the
/// blocking signer.
///
/// The service and region are taken from [`with_service`](Self::with_service) /
/// [`with_region`](Self::with_region) when set, otherwise inferred from the request's host
/// (the `Host` header if present, else the URL's host) with [`crate::infer`].
///
/// Credentials come from a [`CachedProvider`], which refreshes temporary credentials
/// before they expire (one fetch at a time, however many requests are in flight), or the
/// signer holds a [`ScopedKey`] ([`RequestSigner::from_scoped_key`]) and no credentials.
///
/// ```
/// use std::sync::Arc;
/// use sigv4::Credentials;
/// use sigv4_http::{ProvideCredentials, RequestSigner, StaticProvider};
///
/// let creds = Credentials::new("AKID", "SECRET", None, None);
/// // Any provider by value (sigv4_credentials::DefaultChain::new(ctx), ProfileProvider...):
/// let a = RequestSigner::new(StaticProvider::new(creds.clone()));
/// // One already shared elsewhere:
/// let shared: Arc<dyn ProvideCredentials> = Arc::new(StaticProvider::new(creds.clone()));
/// let b = RequestSigner::from_arc(shared);
/// // Fixed credentials:
/// let c = RequestSigner::from_static(creds);
/// # let _ = (a, b, c);
/// ```
pub struct RequestSigner {
    credentials: CachedProvider,
    /// When set, every request is signed with this key; `credentials` then only answers
    /// that there are none.
    scoped: Option<ScopedKey>,
    service: Option<String>,
    region: Option<String>,
    settings: Option<SigningSettings>,
    streaming: StreamingBodies,
    time: Arc<dyn TimeSource>,
    signers: Mutex<Vec<Arc<Signer>>>,
    s3express: Option<S3ExpressSessions>,
    clock_skew: Option<Arc<ClockSkew>>,
    query_plus: QueryPlus,
    region_set: Option<String>,
    v4a_signers: Mutex<Vec<Arc<SigV4aSigner>>>,
}

impl fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSigner")
            .field("credentials", &self.credentials)
            .field("scoped_key", &self.scoped)
            .field("service", &self.service)
            .field("region", &self.region)
            .field("region_set", &self.region_set)
            .field("settings", &self.settings)
            .field("streaming", &self.streaming)
            .finish_non_exhaustive()
    }
}

impl RequestSigner {
    /// Signs with credentials from `provider` (taken by value: any
    /// [`ProvideCredentials`], such as `sigv4_credentials::DefaultChain` or
    /// `ProfileProvider`), cached and refreshed by a [`CachedProvider`].
    ///
    /// Pass an already built [`CachedProvider`] with [`RequestSigner::from_cache`] instead
    /// (a cache around a cache refreshes badly), and a provider shared behind an `Arc`
    /// with [`RequestSigner::from_arc`].
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self::from_arc(Arc::new(provider))
    }

    /// Signs with credentials from a shared `provider`, cached and refreshed by a
    /// [`CachedProvider`].
    pub fn from_arc(provider: Arc<dyn ProvideCredentials>) -> Self {
        Self::from_cache(CachedProvider::builder_shared(provider).build())
    }

    /// Signs every request with `key`: a day's signing key for one region and service,
    /// with its access key id and session token, but no secret access key (see
    /// [`ScopedKey`]). The region and service are the key's. Works with every integration
    /// (the reqwest middleware, the tower layer, the blocking signer); signing fails with
    /// a [`SigningError::KeyScopeMismatch`](sigv4::SigningError::KeyScopeMismatch) once the key's day is over, or for a request
    /// to another region or service.
    ///
    /// There are no credentials: [`RequestSigner::credentials`] fails with
    /// [`CredentialsError::NotConfigured`], and the `sign_*` methods that take
    /// [`Credentials`] use the credentials they are given.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sigv4::{Credentials, Signer};
    /// use sigv4_http::{blocking::BlockingSigner, RequestSigner};
    ///
    /// // Where the secret is: today's key for one service and region.
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let scoped = Signer::new("eu-west-1", "execute-api")?.scoped_key(&creds, SystemTime::now())?;
    ///
    /// // The component that signs (here the blocking signer; the reqwest middleware and
    /// // the tower layer take the same RequestSigner).
    /// let signer = BlockingSigner::new(RequestSigner::from_scoped_key(scoped));
    /// let mut req = http::Request::get("https://abc.execute-api.eu-west-1.amazonaws.com/prod/items").body(Vec::new())?;
    /// signer.sign(&mut req)?;
    /// assert!(req.headers()["authorization"].to_str()?.contains("/eu-west-1/execute-api/aws4_request"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_scoped_key(key: ScopedKey) -> Self {
        let region = key.region().to_owned();
        let service = key.service().to_owned();
        let mut signer = Self::from_cache(CachedProvider::builder(ScopedKeyOnly).build());
        signer.scoped = Some(key);
        signer.region = Some(region);
        signer.service = Some(service);
        signer
    }

    /// Signs with credentials from this cache.
    pub fn from_cache(cache: CachedProvider) -> Self {
        RequestSigner {
            credentials: cache,
            scoped: None,
            service: None,
            region: None,
            settings: None,
            streaming: StreamingBodies::default(),
            time: Arc::new(SystemClock),
            signers: Mutex::new(Vec::new()),
            s3express: None,
            clock_skew: None,
            query_plus: QueryPlus::Space,
            region_set: None,
            v4a_signers: Mutex::new(Vec::new()),
        }
    }

    /// Signs with fixed credentials.
    pub fn from_static(credentials: Credentials) -> Self {
        Self::new(StaticProvider::new(credentials))
    }

    /// Signs with the standard AWS credential chain (environment, profiles, SSO, web
    /// identity, container, instance metadata) for `ctx` (feature `default-chain`).
    #[cfg(feature = "default-chain")]
    pub fn from_default_chain(ctx: sigv4_credentials::ProviderContext) -> Self {
        let time = ctx.time_source().clone();
        let cache = CachedProvider::builder(sigv4_credentials::DefaultChain::new(ctx))
            .time_source(time.clone())
            .build();
        Self::from_cache(cache).with_time_source(time)
    }

    /// Signs for this service, whatever the host says.
    pub fn with_service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self.signers = Mutex::new(Vec::new());
        self
    }

    /// Signs for this region, whatever the host says.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self.signers = Mutex::new(Vec::new());
        self
    }

    /// Signs every request with SigV4a (`AWS4-ECDSA-P256-SHA256`) for this region set:
    /// `*` (any region, as S3 Multi-Region Access Points want) or comma-separated regions
    /// (`us-east-1,us-west-2`, a trailing `*` wildcard like `us-*`). Without it, requests
    /// to hosts AWS signs with SigV4a (S3 Multi-Region Access Points,
    /// `*.mrap.accesspoint.s3-global.amazonaws.com`) are signed so when no region is set.
    ///
    /// SigV4a needs credentials (not a [`ScopedKey`]); bodies are hashed or, for streams,
    /// sent as the [`StreamingBodies`] policy says: `UNSIGNED-PAYLOAD`, or aws-chunked
    /// with ECDSA-signed chunks (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`) or
    /// with plain chunks and a trailer checksum (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
    ///
    /// ```
    /// use sigv4::Credentials;
    /// use sigv4_http::{blocking::BlockingSigner, RequestSigner};
    ///
    /// let creds = Credentials::new("AKID", "SECRET", None, None);
    /// let signer = BlockingSigner::new(RequestSigner::from_static(creds).with_region_set("*"));
    /// let mut req = http::Request::get("https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/key")
    ///     .body(Vec::new())?;
    /// signer.sign(&mut req)?;
    /// assert_eq!(req.headers()["x-amz-region-set"], "*");
    /// let auth = req.headers()["authorization"].to_str()?;
    /// assert!(auth.starts_with("AWS4-ECDSA-P256-SHA256 Credential=AKID/"), "{auth}");
    /// assert!(auth.contains("/s3/aws4_request"), "{auth}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_region_set(mut self, region_set: impl Into<String>) -> Self {
        self.region_set = Some(region_set.into());
        self.v4a_signers = Mutex::new(Vec::new());
        self
    }

    /// Uses these settings for every service instead of
    /// [`SigningSettings::for_service`] (for example to change the signed headers).
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.settings = Some(settings);
        self.signers = Mutex::new(Vec::new());
        self
    }

    /// What to do with streaming bodies (default [`StreamingBodies::Auto`]).
    pub fn with_streaming_bodies(mut self, policy: StreamingBodies) -> Self {
        self.streaming = policy;
        self
    }

    /// The clock used for signing times (default: the system clock).
    pub fn with_time_source(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.time = time;
        self
    }

    /// Signs requests to S3 Express One Zone directory buckets (a bucket name ending in
    /// `--x-s3`, as the first host label or, path-style, the first path segment) with a
    /// session from `sessions`: CreateSession with this signer's credentials, cached per
    /// bucket and refreshed before it expires; the request is signed for `s3express` with
    /// the session's key and the token goes as `x-amz-s3session-token`. Only requests
    /// signed for S3 (`s3`, `s3express`) are affected.
    ///
    /// ```no_run
    /// use sigv4_credentials::s3express::S3ExpressSessions;
    /// use sigv4_credentials::ProviderContext;
    /// # fn demo(provider: std::sync::Arc<dyn sigv4_http::ProvideCredentials>) {
    /// // The context's HTTP client sends CreateSession (for example the default hyper
    /// // client of sigv4-rs-credentials, or sigv4_http::reqwest::ReqwestHttpClient).
    /// let signer = sigv4_http::RequestSigner::new(provider)
    ///     .with_s3express(S3ExpressSessions::new(ProviderContext::default()));
    /// # }
    /// ```
    pub fn with_s3express(mut self, sessions: S3ExpressSessions) -> Self {
        self.s3express = Some(sessions);
        self
    }

    /// What a raw `+` in a request's query means (default [`QueryPlus::Space`], over any
    /// [`with_settings`](Self::with_settings)): a space, as form encoding writes it
    /// (`reqwest`'s `.query()`, `serde_urlencoded`), signed as `%20` with the query sent
    /// unchanged, which is how AWS and the default `VerifyLayer` read it.
    /// [`QueryPlus::Literal`] signs it as a plus (`%2B`) instead; the URL must then carry
    /// `%2B` for the server to read it so.
    pub fn with_query_plus(mut self, plus: QueryPlus) -> Self {
        self.query_plus = plus;
        self.signers
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self
    }

    /// Signs at the local clock corrected by the offset `skew` learned for each endpoint
    /// (see [`sigv4_credentials::clock_skew`]); the reqwest middleware also learns it
    /// from refusals and retries once. Share one `ClockSkew` between signers to share
    /// what they learn.
    pub fn with_clock_skew(mut self, skew: Arc<ClockSkew>) -> Self {
        self.clock_skew = Some(skew);
        self
    }

    /// The clock offsets in use, if clock-skew correction is on.
    pub fn clock_skew(&self) -> Option<&Arc<ClockSkew>> {
        self.clock_skew.as_ref()
    }

    /// The time to sign a request to `url` at: the configured clock, corrected by the
    /// offset learned for the endpoint when clock-skew correction is on.
    pub fn now_for(&self, url: &str) -> SystemTime {
        match &self.clock_skew {
            Some(skew) => skew.now(&endpoint_key(url), self.now()),
            None => self.now(),
        }
    }

    /// Learns the server's clock offset from a response to a request sent to `url` (its
    /// status, `Date` header and body), when clock-skew correction is on and the response
    /// is a clock-skew refusal (`RequestTimeTooSkewed`, an expired signature...) that
    /// taught an offset other than the one in use. `Some` means: sign the request again
    /// (it is then signed at the server's time) and send it once more. Only 400 and 403
    /// answers are looked at.
    pub fn learn_clock_skew(
        &self,
        url: &str,
        status: u16,
        date: Option<&str>,
        body: &[u8],
    ) -> Option<SkewCorrection> {
        let skew = self.clock_skew.as_ref()?;
        if status != 400 && status != 403 {
            return None;
        }
        let learned = skew
            .learn(
                &endpoint_key(url),
                &SkewResponse { status, date, body },
                self.now(),
            )
            .filter(|c| c.offset_secs != c.previous_offset_secs)?;
        tracing::info!(
            url,
            offset_secs = learned.offset_secs,
            reason = learned.reason.as_str(),
            "the server refused the request's time: re-signing at its time"
        );
        Some(learned)
    }

    /// The signer, credentials (or scoped key) and time for a request to `url`
    /// (absolute) whose host is `host`: the S3 Express session for a directory bucket when
    /// [`with_s3express`](Self::with_s3express) is on (credentials only: a scoped key
    /// cannot call CreateSession), and the time corrected for the endpoint when
    /// [`with_clock_skew`](Self::with_clock_skew) is.
    #[cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]
    pub(crate) async fn prepare(
        &self,
        url: &str,
        host: &str,
    ) -> Result<(AnySigner, OwnedAuth, SystemTime), Error> {
        let time = self.now_for(url);
        if let Some(v4a) = self.sigv4a_signer_for_host(host)? {
            return Ok((AnySigner::V4a(v4a), self.auth().await?, time));
        }
        let signer = self.signer_for_host(host)?;
        let auth = self.auth().await?;
        let bucket = match (&self.s3express, &auth) {
            (Some(_), OwnedAuth::Credentials(_)) if sigv4::is_s3(signer.service()) => {
                DirectoryBucket::from_url(url, true)
            }
            _ => None,
        };
        let (Some(sessions), Some(bucket), OwnedAuth::Credentials(base)) =
            (&self.s3express, bucket, &auth)
        else {
            return Ok((AnySigner::V4(signer), auth, time));
        };
        let session = sessions
            .session(&bucket, signer.region(), base.credentials())
            .await?;
        let mut settings = self
            .settings
            .clone()
            .unwrap_or_else(SigningSettings::s3express_session);
        settings.session_token_header = SessionTokenHeader::S3Session;
        settings.query_plus = self.query_plus;
        let express = Signer::new(signer.region(), "s3express")?.with_settings(settings);
        Ok((
            AnySigner::V4(Arc::new(express)),
            OwnedAuth::Credentials(session),
            time,
        ))
    }

    /// The credentials cache.
    pub fn credentials_cache(&self) -> &CachedProvider {
        &self.credentials
    }

    /// The key every request is signed with, for a signer made by
    /// [`RequestSigner::from_scoped_key`].
    pub fn scoped_key(&self) -> Option<&ScopedKey> {
        self.scoped.as_ref()
    }

    /// What the integrations sign with: the scoped key, or current credentials.
    #[cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]
    pub(crate) async fn auth(&self) -> Result<OwnedAuth, Error> {
        Ok(match &self.scoped {
            Some(k) => OwnedAuth::Scoped(k.clone()),
            None => OwnedAuth::Credentials(self.credentials().await?),
        })
    }

    /// [`RequestSigner::auth`] for synchronous code (no async runtime needed).
    #[cfg_attr(not(feature = "blocking"), allow(dead_code))]
    pub(crate) fn auth_blocking(&self) -> Result<OwnedAuth, Error> {
        Ok(match &self.scoped {
            Some(k) => OwnedAuth::Scoped(k.clone()),
            None => OwnedAuth::Credentials(self.credentials_blocking()?),
        })
    }

    /// The streaming body policy.
    pub fn streaming_bodies(&self) -> &StreamingBodies {
        &self.streaming
    }

    /// The current time, from the configured clock.
    pub fn now(&self) -> SystemTime {
        self.time.now()
    }

    /// Current credentials, refreshed as needed.
    pub async fn credentials(&self) -> Result<ProvidedCredentials, Error> {
        Ok(self.credentials.provide_credentials().await?)
    }

    /// Current credentials for synchronous code: needs no async runtime (refreshes run on
    /// an internal thread). Do not call it from inside an async task: it blocks the thread.
    pub fn credentials_blocking(&self) -> Result<ProvidedCredentials, Error> {
        Ok(self.credentials.provide_credentials_blocking()?)
    }

    /// The region and service for a request to `host` (a host name, with or without port).
    pub fn resolve_target(&self, host: &str) -> Result<SigningTarget, Error> {
        let inferred = match (&self.service, &self.region) {
            (Some(_), Some(_)) => None,
            _ => crate::infer(host),
        };
        let service = match (&self.service, &inferred) {
            (Some(s), _) => s.clone(),
            (None, Some(i)) => i.service.clone(),
            (None, None) => {
                return Err(Error::UnknownService {
                    host: host.to_owned(),
                })
            }
        };
        let region = match (
            &self.region,
            inferred.as_ref().and_then(|i| i.region.as_ref()),
        ) {
            (Some(r), _) => r.clone(),
            (None, Some(r)) => r.clone(),
            (None, None) => match inferred.and_then(|i| i.region_set) {
                Some(region_set) => {
                    return Err(Error::NeedsSigV4a {
                        host: host.to_owned(),
                        region_set,
                    })
                }
                None => {
                    return Err(Error::UnknownRegion {
                        host: host.to_owned(),
                    })
                }
            },
        };
        Ok(SigningTarget { region, service })
    }

    /// The signer for a request to `host` (cached per region and service).
    pub fn signer_for_host(&self, host: &str) -> Result<Arc<Signer>, Error> {
        let target = self.resolve_target(host)?;
        let mut cache = self.signers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = cache
            .iter()
            .find(|s| s.region() == target.region && s.service() == target.service)
        {
            return Ok(Arc::clone(s));
        }
        let mut signer = Signer::new(target.region, target.service)?;
        if let Some(settings) = &self.settings {
            signer = signer.with_settings(settings.clone());
        }
        signer.settings_mut().query_plus = self.query_plus;
        let signer = Arc::new(signer);
        if cache.len() >= MAX_SIGNERS {
            cache.remove(0);
        }
        cache.push(Arc::clone(&signer));
        Ok(signer)
    }

    /// The SigV4a signer for a request to `host`, when it is signed with SigV4a: a region
    /// set was given ([`with_region_set`](Self::with_region_set)), or no region was and
    /// the host is one AWS signs with SigV4a (an S3 Multi-Region Access Point). `None`:
    /// the request is signed with SigV4 ([`signer_for_host`](Self::signer_for_host)).
    pub fn sigv4a_signer_for_host(&self, host: &str) -> Result<Option<Arc<SigV4aSigner>>, Error> {
        let inferred = match (&self.service, &self.region_set, &self.region) {
            (Some(_), Some(_), _) => None,
            (_, None, Some(_)) => return Ok(None),
            _ => crate::infer(host),
        };
        let region_set = match (&self.region_set, &inferred) {
            (Some(set), _) => set.clone(),
            (None, Some(i)) if i.region.is_none() => match &i.region_set {
                Some(set) => set.clone(),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        let service = match (&self.service, inferred) {
            (Some(s), _) => s.clone(),
            (None, Some(i)) => i.service,
            (None, None) => {
                return Err(Error::UnknownService {
                    host: host.to_owned(),
                })
            }
        };
        let mut cache = self.v4a_signers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = cache
            .iter()
            .find(|s| s.region_set() == region_set && s.service() == service)
        {
            return Ok(Some(Arc::clone(s)));
        }
        let mut signer = SigV4aSigner::new(&region_set, service).map_err(Error::SigV4a)?;
        if let Some(settings) = &self.settings {
            signer = signer.with_settings(settings.clone());
        }
        signer.settings_mut().query_plus = self.query_plus;
        let signer = Arc::new(signer);
        if cache.len() >= MAX_SIGNERS {
            cache.remove(0);
        }
        cache.push(Arc::clone(&signer));
        Ok(Some(signer))
    }

    /// The signer (SigV4 or SigV4a) for a request to `host`.
    pub(crate) fn any_signer_for_host(&self, host: &str) -> Result<AnySigner, Error> {
        match self.sigv4a_signer_for_host(host)? {
            Some(v4a) => Ok(AnySigner::V4a(v4a)),
            None => Ok(AnySigner::V4(self.signer_for_host(host)?)),
        }
    }

    /// The signer for an `http` request: the host comes from its `Host` header, else its URI.
    pub fn signer_for_request<B>(&self, request: &http::Request<B>) -> Result<Arc<Signer>, Error> {
        self.signer_for_host(&request_host(request.headers(), request.uri())?)
    }

    /// Whether a streaming body for `signer`'s service is signed `UNSIGNED-PAYLOAD`, encoded
    /// aws-chunked, or refused, under the configured [`StreamingBodies`] policy.
    #[cfg_attr(
        not(any(feature = "blocking", feature = "reqwest", feature = "tower")),
        allow(dead_code)
    )]
    pub(crate) fn streaming_payload(&self, signer: &AnySigner) -> Result<StreamingChoice, Error> {
        match &self.streaming {
            StreamingBodies::Auto if sigv4::is_s3(signer.service()) => {
                Ok(StreamingChoice::Unsigned)
            }
            StreamingBodies::UnsignedPayload => Ok(StreamingChoice::Unsigned),
            // SigV4 and SigV4a alike: `STREAMING-UNSIGNED-PAYLOAD-TRAILER` goes out as
            // aws-chunked with its trailer checksum (its chunks carry no signature, so the
            // algorithm only signs the head).
            StreamingBodies::AwsChunked(s) => Ok(StreamingChoice::Chunked(*s)),
            StreamingBodies::Auto | StreamingBodies::Refuse => Err(Error::StreamingBodyNeedsHash {
                service: signer.service().to_owned(),
            }),
        }
    }

    /// Signs an in-memory `http::Request` in place (the body is hashed) with `credentials`,
    /// at the configured clock's time.
    pub fn sign_http_request<B: AsRef<[u8]>>(
        &self,
        request: &mut http::Request<B>,
        credentials: &Credentials,
    ) -> Result<SigningOutput, Error> {
        let signer = self.signer_for_request(request)?;
        Ok(signer.sign_http_request(request, credentials, self.now())?)
    }

    /// Signs an `http::Request` in place with an explicit payload (`Payload::Unsigned`, a
    /// precomputed hash...); the body is not read.
    pub fn sign_http_request_with_payload<B>(
        &self,
        request: &mut http::Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
    ) -> Result<SigningOutput, Error> {
        let signer = self.signer_for_request(request)?;
        Ok(signer.sign_http_request_with_payload(request, payload, credentials, self.now())?)
    }

    /// Renamed [`sign_http_request`](Self::sign_http_request), as the core's signers say.
    #[deprecated(since = "0.1.0", note = "renamed sign_http_request")]
    pub fn sign_http<B: AsRef<[u8]>>(
        &self,
        request: &mut http::Request<B>,
        credentials: &Credentials,
    ) -> Result<SigningOutput, Error> {
        self.sign_http_request(request, credentials)
    }

    /// Renamed [`sign_http_request_with_payload`](Self::sign_http_request_with_payload).
    #[deprecated(since = "0.1.0", note = "renamed sign_http_request_with_payload")]
    pub fn sign_http_with_payload<B>(
        &self,
        request: &mut http::Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
    ) -> Result<SigningOutput, Error> {
        self.sign_http_request_with_payload(request, payload, credentials)
    }

    /// Signs a request given as parts: `url` absolute (`https://host/path?query`), the
    /// headers it will carry. Returns the output, whose [`SigningOutput::headers`] are the
    /// headers to add (including `host` when `headers` has none).
    pub fn sign_parts<'a>(
        &self,
        method: &'a str,
        url: &'a str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])> + Clone,
        payload: Payload<'a>,
        credentials: &Credentials,
    ) -> Result<SigningOutput, Error> {
        self.sign_parts_with(
            method,
            url,
            headers,
            payload,
            Auth::Credentials(credentials),
        )
    }

    pub(crate) fn sign_parts_with<'a>(
        &self,
        method: &'a str,
        url: &'a str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])> + Clone,
        payload: Payload<'a>,
        auth: Auth<'_>,
    ) -> Result<SigningOutput, Error> {
        let host = headers
            .clone()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .and_then(|(_, v)| std::str::from_utf8(v).ok().map(str::to_owned));
        let host = match host {
            Some(h) => h,
            None => url_host(url).ok_or(Error::MissingHost)?.to_owned(),
        };
        let signer = self.any_signer_for_host(&host)?;
        let req = SignableRequest::new(method, url, headers, payload);
        auth.sign(&signer, &req, self.now_for(url))
    }
}

/// The credentials provider of a signer that holds a [`ScopedKey`]: there are none.
#[derive(Debug)]
struct ScopedKeyOnly;

impl ProvideCredentials for ScopedKeyOnly {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(async {
            Err(CredentialsError::not_configured(
                "ScopedKey",
                "this RequestSigner signs with a ScopedKey (RequestSigner::from_scoped_key) and holds no credentials",
            ))
        })
    }

    fn name(&self) -> &'static str {
        "ScopedKey"
    }
}

/// The host of a request: its `Host` header, else its URI's authority.
pub(crate) fn request_host(headers: &http::HeaderMap, uri: &http::Uri) -> Result<String, Error> {
    if let Some(h) = headers.get(http::header::HOST) {
        return h
            .to_str()
            .map(str::to_owned)
            .map_err(|_| Error::MissingHost);
    }
    uri.authority()
        .map(|a| a.as_str().to_owned())
        .ok_or(Error::MissingHost)
}

/// The absolute URL (`https` when the URI has no scheme) and the host of a request.
#[cfg(any(feature = "tower", feature = "blocking"))]
pub(crate) fn request_url(
    headers: &http::HeaderMap,
    uri: &http::Uri,
) -> Result<(String, String), Error> {
    let host = request_host(headers, uri)?;
    let url = format!(
        "{}://{host}{}",
        uri.scheme_str().unwrap_or("https"),
        uri.path_and_query().map_or("/", |pq| pq.as_str())
    );
    Ok((url, host))
}

/// The authority of an absolute URL, without user info.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    let auth = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    (!auth.is_empty()).then_some(auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("https://a.b:443/x?y"), Some("a.b:443"));
        assert_eq!(url_host("http://u:p@h/x"), Some("h"));
        assert_eq!(url_host("http://h?x"), Some("h"));
        assert_eq!(url_host("/x"), None);
        assert_eq!(url_host("http:///x"), None);
    }

    #[test]
    fn targets_inferred_and_overridden() {
        let s = RequestSigner::from_static(Credentials::new("A", "S", None, None));
        let t = s.resolve_target("sts.amazonaws.com").unwrap();
        assert_eq!(
            (t.region.as_str(), t.service.as_str()),
            ("us-east-1", "sts")
        );
        assert!(matches!(
            s.resolve_target("example.com"),
            Err(Error::UnknownService { .. })
        ));
        let s = s.with_service("es");
        assert!(matches!(
            s.resolve_target("example.com"),
            Err(Error::UnknownRegion { .. })
        ));
        let s = s.with_region("eu-west-3");
        let t = s.resolve_target("s3.us-east-1.amazonaws.com").unwrap();
        assert_eq!((t.region.as_str(), t.service.as_str()), ("eu-west-3", "es"));
        let only_region = RequestSigner::from_static(Credentials::new("A", "S", None, None))
            .with_region("ap-south-1");
        let t = only_region
            .resolve_target("bucket.s3.eu-west-1.amazonaws.com")
            .unwrap();
        assert_eq!(
            (t.region.as_str(), t.service.as_str()),
            ("ap-south-1", "s3")
        );
    }
}
