//! S3 Express One Zone (directory buckets): CreateSession and the session cache.
//!
//! Requests to a directory bucket (a name ending in `--x-s3`) are not signed with the
//! caller's credentials. The client first calls CreateSession on the bucket
//! (`GET /?session` on the bucket's host, or `GET /BUCKET?session` path-style), signed for
//! service `s3express` with its own ("base") credentials; the XML answer holds session
//! credentials valid for a few minutes. Data requests are then signed for `s3express` with
//! the session's key, and the session token travels as `x-amz-s3session-token` (see
//! [`sigv4::SessionTokenHeader::S3Session`]), never `x-amz-security-token`.
//!
//! [`S3ExpressSessions`] keeps one session per bucket and base credentials in a
//! [`CachedProvider`] (the same single-flight cache the credential providers use), so a
//! session is created once, shared by every request, and refreshed before it expires.
//!
//! ```no_run
//! use sigv4::{Payload, SignableRequest};
//! use sigv4_credentials::s3express::{session_signer, DirectoryBucket, S3ExpressSessions};
//! use sigv4_credentials::ProviderContext;
//! # async fn demo(base: sigv4::Credentials) -> Result<(), Box<dyn std::error::Error>> {
//! let url = "https://photos--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/cat.jpg";
//! let bucket = DirectoryBucket::from_url(url, false).expect("a directory bucket");
//! let sessions = S3ExpressSessions::new(ProviderContext::default());
//! // CreateSession on first use; the cached session afterwards.
//! let session = sessions.session(&bucket, "us-west-2", &base).await?;
//! let signer = session_signer("us-west-2")?;
//! let req = SignableRequest::new("GET", url, [], Payload::Bytes(b""));
//! let out = signer.sign(&req, &session, std::time::SystemTime::now())?;
//! // out.headers(): authorization, x-amz-date, x-amz-content-sha256, x-amz-s3session-token
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sigv4::{
    AmzDate, Credentials, Payload, SignableRequest, Signer, SigningError, SigningSettings,
};

use crate::clock_skew::{ClockSkew, SkewResponse};
use crate::util::BoxFuture;
use crate::{
    CachedProvider, CredentialsError, CredentialsResult, ProvideCredentials, ProvidedCredentials,
    ProviderContext,
};

const PROVIDER: &str = "S3ExpressCreateSession";

/// The suffix that marks a directory bucket's name.
pub const DIRECTORY_BUCKET_SUFFIX: &str = "--x-s3";

/// Sessions kept before the table is emptied (one per bucket and base credentials).
const MAX_SESSIONS: usize = 256;

/// Whether `name` is a directory bucket's name (`NAME--AZ-ID--x-s3`).
pub fn is_directory_bucket_name(name: &str) -> bool {
    name.len() > DIRECTORY_BUCKET_SUFFIX.len() && name.ends_with(DIRECTORY_BUCKET_SUFFIX)
}

/// A signer for data requests to a directory bucket with session credentials: service
/// `s3express`, S3 rules, the token as `x-amz-s3session-token`
/// ([`SigningSettings::s3express_session`]).
pub fn session_signer(region: &str) -> Result<Signer, SigningError> {
    Ok(Signer::new(region, "s3express")?.with_settings(SigningSettings::s3express_session()))
}

/// How the bucket is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressStyle {
    /// The bucket is the first label of the host
    /// (`BUCKET--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com`).
    VirtualHosted,
    /// The bucket is the first path segment (`http://127.0.0.1:9000/BUCKET--x-s3/key`).
    PathStyle,
}

/// A directory bucket found in a request URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DirectoryBucket {
    scheme: String,
    authority: String,
    bucket: String,
    virtual_hosted: bool,
}

impl DirectoryBucket {
    /// The directory bucket a request URL (`scheme://authority/path?query`, absolute)
    /// addresses, if any: the first label of the host when it ends in `--x-s3`, otherwise,
    /// when `path_style` is true (the caller signs for S3 and the endpoint is not an S3
    /// virtual host, such as a local test server), the first path segment when it does.
    ///
    /// ```
    /// use sigv4_credentials::s3express::{AddressStyle, DirectoryBucket};
    /// let b = DirectoryBucket::from_url(
    ///     "https://logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/a/b.txt",
    ///     false,
    /// ).unwrap();
    /// assert_eq!(b.bucket(), "logs--usw2-az1--x-s3");
    /// assert_eq!(b.style(), AddressStyle::VirtualHosted);
    /// assert_eq!(
    ///     b.create_session_url(),
    ///     "https://logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/?session"
    /// );
    /// let p = DirectoryBucket::from_url("http://127.0.0.1:9000/logs--usw2-az1--x-s3/a", true).unwrap();
    /// assert_eq!(p.create_session_url(), "http://127.0.0.1:9000/logs--usw2-az1--x-s3?session");
    /// assert!(DirectoryBucket::from_url("http://127.0.0.1:9000/logs--usw2-az1--x-s3/a", false).is_none());
    /// assert!(DirectoryBucket::from_url("https://plain.s3.us-east-1.amazonaws.com/k", true).is_none());
    /// ```
    pub fn from_url(url: &str, path_style: bool) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let path = rest[end..].split(['?', '#']).next().unwrap_or("");
        let host = host_of(authority);
        if let Some((first, others)) = host.split_once('.') {
            if is_directory_bucket_name(first) && !others.is_empty() {
                return Some(DirectoryBucket {
                    scheme: scheme.to_ascii_lowercase(),
                    authority: authority.to_owned(),
                    bucket: first.to_owned(),
                    virtual_hosted: true,
                });
            }
        }
        if !path_style {
            return None;
        }
        let segment = path.strip_prefix('/')?.split('/').next()?;
        is_directory_bucket_name(segment).then(|| DirectoryBucket {
            scheme: scheme.to_ascii_lowercase(),
            authority: authority.to_owned(),
            bucket: segment.to_owned(),
            virtual_hosted: false,
        })
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Virtual-hosted or path-style.
    pub fn style(&self) -> AddressStyle {
        if self.virtual_hosted {
            AddressStyle::VirtualHosted
        } else {
            AddressStyle::PathStyle
        }
    }

    /// `scheme://authority` of the endpoint.
    pub fn endpoint(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The CreateSession URL: `GET /?session` on the bucket's host, or `GET /BUCKET?session`
    /// path-style.
    pub fn create_session_url(&self) -> String {
        if self.virtual_hosted {
            format!("{}://{}/?session", self.scheme, self.authority)
        } else {
            format!(
                "{}://{}/{}?session",
                self.scheme, self.authority, self.bucket
            )
        }
    }
}

/// `t` moved by `secs` seconds.
fn shift(t: SystemTime, secs: i64) -> SystemTime {
    let d = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        t.checked_add(d).unwrap_or(t)
    } else {
        t.checked_sub(d).unwrap_or(t)
    }
}

fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority;
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    }
}

/// Creates S3 Express sessions for one bucket with fixed base credentials: each call is
/// one CreateSession. Wrap it in a [`CachedProvider`] (as [`S3ExpressSessions`] does) so
/// that sessions are reused and refreshed before they expire.
pub struct S3ExpressSessionProvider {
    ctx: ProviderContext,
    bucket: DirectoryBucket,
    region: String,
    base: Credentials,
    skew: Option<Arc<ClockSkew>>,
}

impl fmt::Debug for S3ExpressSessionProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials' Debug redacts the secret and the token.
        f.debug_struct("S3ExpressSessionProvider")
            .field("bucket", &self.bucket.bucket)
            .field("endpoint", &self.bucket.endpoint())
            .field("region", &self.region)
            .field("base", &self.base)
            .finish()
    }
}

impl S3ExpressSessionProvider {
    /// CreateSession on `bucket` in `region`, signed with `base`, through `ctx`'s HTTP
    /// client and clock.
    pub fn new(
        ctx: ProviderContext,
        bucket: DirectoryBucket,
        region: impl Into<String>,
        base: Credentials,
    ) -> Self {
        S3ExpressSessionProvider {
            ctx,
            bucket,
            region: region.into(),
            base,
            skew: None,
        }
    }

    /// Signs CreateSession at the time corrected by the offset `skew` learned for the
    /// bucket's endpoint; when the server refuses the time, learns its offset, signs again
    /// and retries once. The session's expiry is converted to the local clock.
    pub fn with_clock_skew(mut self, skew: Arc<ClockSkew>) -> Self {
        self.skew = Some(skew);
        self
    }

    async fn create_session(&self) -> CredentialsResult {
        let endpoint = self.bucket.endpoint();
        let mut retried = false;
        loop {
            let (response, offset) = self.send_create_session(&endpoint).await?;
            let learned = match (&self.skew, retried) {
                (Some(skew), false) => skew
                    .learn(
                        &endpoint,
                        &SkewResponse {
                            status: response.status().as_u16(),
                            date: response
                                .headers()
                                .get(http::header::DATE)
                                .and_then(|v| v.to_str().ok()),
                            body: response.body(),
                        },
                        self.ctx.now(),
                    )
                    .filter(|c| c.offset_secs != c.previous_offset_secs),
                _ => None,
            };
            if let Some(c) = learned {
                tracing::info!(
                    endpoint,
                    offset_secs = c.offset_secs,
                    reason = c.reason.as_str(),
                    "CreateSession refused for clock skew: re-signing at the server's time"
                );
                retried = true;
                continue;
            }
            let secrets = [
                self.base.secret_access_key(),
                self.base.session_token().unwrap_or(""),
            ];
            let session = parse_create_session(&self.bucket.bucket, &response, &secrets)?;
            if offset == 0 {
                return Ok(session);
            }
            // The expiry is on the server's clock; the cache compares it with ours.
            let local = session.expiry().map(|e| shift(e, -offset));
            let c = session.credentials();
            return Ok(ProvidedCredentials::new(
                Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    c.session_token().map(str::to_owned),
                    local,
                ),
                PROVIDER,
            ));
        }
    }

    /// One CreateSession exchange, signed at the corrected time; returns the response and
    /// the offset it was signed with.
    async fn send_create_session(
        &self,
        endpoint: &str,
    ) -> Result<(http::Response<Vec<u8>>, i64), CredentialsError> {
        let offset = self
            .skew
            .as_ref()
            .and_then(|s| s.offset(endpoint))
            .unwrap_or(0);
        let signer = Signer::new(&self.region, "s3express").map_err(|e| {
            CredentialsError::invalid_configuration(
                PROVIDER,
                format!("cannot sign CreateSession: {e}"),
            )
        })?;
        let url = self.bucket.create_session_url();
        let uri: http::Uri = url.parse().map_err(|_| {
            CredentialsError::invalid_configuration(
                PROVIDER,
                format!("the CreateSession URL {url:?} is not valid"),
            )
        })?;
        let build = || -> Result<http::Request<Vec<u8>>, CredentialsError> {
            let mut req = http::Request::get(uri.clone())
                .body(Vec::new())
                .map_err(|e| {
                    CredentialsError::provider_error(PROVIDER, format!("bad request: {e}"))
                })?;
            signer
                .sign_http_request_with_payload(
                    &mut req,
                    Payload::Bytes(b""),
                    &self.base,
                    shift(self.ctx.now(), offset),
                )
                .map_err(|e| {
                    CredentialsError::provider_error(
                        PROVIDER,
                        format!("could not sign CreateSession: {e}"),
                    )
                })?;
            Ok(req)
        };
        let what = format!("S3 Express CreateSession on {}", self.bucket.bucket);
        let response = crate::sts::send_with_retries(&self.ctx, PROVIDER, &what, build).await?;
        Ok((response, offset))
    }
}

impl ProvideCredentials for S3ExpressSessionProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.create_session())
    }

    fn name(&self) -> &'static str {
        PROVIDER
    }
}

/// Reads a CreateSession answer: session credentials with their expiry, or the S3 error.
fn parse_create_session(
    bucket: &str,
    response: &http::Response<Vec<u8>>,
    secrets: &[&str],
) -> CredentialsResult {
    let status = response.status().as_u16();
    let texts = crate::sts::xml_texts(response.body());
    if !(200..300).contains(&status) {
        let (code, message) = match &texts {
            Ok(t) => (
                t.get("Error/Code").cloned(),
                t.get("Error/Message").cloned(),
            ),
            Err(_) => (None, None),
        };
        let detail = match (code, message) {
            (Some(c), Some(m)) => format!("{c}: {}", m.chars().take(512).collect::<String>()),
            (Some(c), None) => c,
            _ => "the response had no S3 error code".into(),
        };
        let detail = crate::util::redact(&detail, secrets);
        return Err(CredentialsError::provider_error(
            PROVIDER,
            format!("S3 Express CreateSession on {bucket} failed with HTTP {status}: {detail}"),
        ));
    }
    let texts = texts.map_err(|e| {
        CredentialsError::invalid_response(PROVIDER, format!("CreateSession response: {e}"))
    })?;
    let get = |k: &str| {
        texts
            .get(&format!("CreateSessionResult/Credentials/{k}"))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                CredentialsError::invalid_response(
                    PROVIDER,
                    format!("the CreateSession response has no {k}"),
                )
            })
    };
    let akid = get("AccessKeyId")?;
    let secret = get("SecretAccessKey")?;
    let token = get("SessionToken")?;
    let expiration = get("Expiration")?;
    let expiry = AmzDate::parse_rfc3339(expiration.trim())
        .ok_or_else(|| {
            CredentialsError::invalid_response(
                PROVIDER,
                format!("the CreateSession response has an invalid Expiration {expiration:?}"),
            )
        })?
        .to_system_time();
    Ok(ProvidedCredentials::new(
        Credentials::new(
            akid.clone(),
            secret.clone(),
            Some(token.clone()),
            Some(expiry),
        ),
        PROVIDER,
    ))
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct SessionKey {
    create_session_url: String,
    region: String,
    access_key_id: String,
}

struct SessionEntry {
    // Compared on lookup, so rotated base credentials get a new session.
    base: Credentials,
    cache: CachedProvider,
}

/// S3 Express sessions, one per bucket and base credentials, each in a [`CachedProvider`]:
/// created on first use with one CreateSession however many requests ask at once, reused,
/// and refreshed before they expire. Cloning is cheap; clones share the sessions.
#[derive(Clone)]
pub struct S3ExpressSessions {
    ctx: ProviderContext,
    skew: Option<Arc<ClockSkew>>,
    map: Arc<Mutex<HashMap<SessionKey, SessionEntry>>>,
}

impl fmt::Debug for S3ExpressSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.map.lock().map_or(0, |m| m.len());
        f.debug_struct("S3ExpressSessions")
            .field("sessions", &n)
            .finish_non_exhaustive()
    }
}

impl S3ExpressSessions {
    /// Sessions created through `ctx`'s HTTP client, timed by its clock.
    pub fn new(ctx: ProviderContext) -> Self {
        S3ExpressSessions {
            ctx,
            skew: None,
            map: Arc::default(),
        }
    }

    /// Corrects CreateSession for clock skew with `skew`'s per-endpoint offsets (see
    /// [`S3ExpressSessionProvider::with_clock_skew`]); pass the same `ClockSkew` the data
    /// requests use, so both are signed at the server's time.
    pub fn with_clock_skew(mut self, skew: Arc<ClockSkew>) -> Self {
        self.skew = Some(skew);
        self
    }

    /// The cache holding the session for `bucket` in `region` with `base` credentials
    /// (created empty on first use; nothing is fetched until it is asked).
    pub fn cache_for(
        &self,
        bucket: &DirectoryBucket,
        region: &str,
        base: &Credentials,
    ) -> CachedProvider {
        let key = SessionKey {
            create_session_url: bucket.create_session_url(),
            region: region.to_owned(),
            access_key_id: base.access_key_id().to_owned(),
        };
        // Every update is a single insert or clear: a panic elsewhere leaves it consistent.
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get(&key) {
            if e.base == *base {
                return e.cache.clone();
            }
        }
        if map.len() >= MAX_SESSIONS {
            map.clear();
        }
        let mut provider =
            S3ExpressSessionProvider::new(self.ctx.clone(), bucket.clone(), region, base.clone());
        if let Some(skew) = &self.skew {
            provider = provider.with_clock_skew(Arc::clone(skew));
        }
        let cache = CachedProvider::builder(provider)
            .time_source(self.ctx.time_source().clone())
            .build();
        map.insert(
            key,
            SessionEntry {
                base: base.clone(),
                cache: cache.clone(),
            },
        );
        cache
    }

    /// The session credentials for `bucket` (CreateSession when none is cached or the
    /// cached one is about to expire).
    pub async fn session(
        &self,
        bucket: &DirectoryBucket,
        region: &str,
        base: &Credentials,
    ) -> CredentialsResult {
        self.cache_for(bucket, region, base)
            .provide_credentials()
            .await
    }

    /// [`session`](Self::session) for plain threads (no async runtime needed). Do not call
    /// it from inside an async task: it blocks the thread.
    pub fn session_blocking(
        &self,
        bucket: &DirectoryBucket,
        region: &str,
        base: &Credentials,
    ) -> CredentialsResult {
        self.cache_for(bucket, region, base)
            .provide_credentials_blocking()
    }

    /// Signs a data request to `bucket` with its session: the session is fetched (or
    /// reused), and `request` is signed for `s3express` in `region` at `time` with the
    /// token as `x-amz-s3session-token`.
    pub async fn sign(
        &self,
        bucket: &DirectoryBucket,
        region: &str,
        base: &Credentials,
        request: &SignableRequest<'_>,
        time: std::time::SystemTime,
    ) -> Result<sigv4::SigningOutput, CredentialsError> {
        let session = self.session(bucket, region, base).await?;
        let signer = session_signer(region).map_err(|e| {
            CredentialsError::invalid_configuration(PROVIDER, format!("cannot sign: {e}"))
        })?;
        signer.sign(request, &session, time).map_err(|e| {
            CredentialsError::provider_error(PROVIDER, format!("cannot sign the request: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn directory_buckets_in_urls() {
        let v = DirectoryBucket::from_url(
            "https://b--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com:443/k?x#f",
            false,
        )
        .unwrap();
        assert_eq!(v.bucket(), "b--use1-az4--x-s3");
        assert_eq!(
            v.endpoint(),
            "https://b--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com:443"
        );
        let p = DirectoryBucket::from_url("http://127.0.0.1:9/b--x-s3?list-type=2", true).unwrap();
        assert_eq!(p.style(), AddressStyle::PathStyle);
        assert_eq!(p.create_session_url(), "http://127.0.0.1:9/b--x-s3?session");
        for not in [
            "http://127.0.0.1:9/plain/k",
            "http://127.0.0.1:9/--x-s3/k",
            "http://127.0.0.1:9/",
            "http://127.0.0.1:9",
            "no-scheme/b--x-s3/k",
            "http://b--x-s3/k", // a single-label host is not a virtual host
        ] {
            assert_eq!(DirectoryBucket::from_url(not, true), None, "{not}");
        }
    }

    #[test]
    fn create_session_answers() {
        let ok = r#"<?xml version="1.0" encoding="UTF-8"?>
<CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Credentials>
<SessionToken>TOKEN</SessionToken><SecretAccessKey>SECRET</SecretAccessKey>
<AccessKeyId>ASIAX</AccessKeyId><Expiration>2024-01-15T10:35:00Z</Expiration>
</Credentials></CreateSessionResult>"#;
        let c = parse_create_session("b--x-s3", &response(200, ok), &[]).unwrap();
        assert_eq!(c.access_key_id(), "ASIAX");
        assert_eq!(c.secret_access_key(), "SECRET");
        assert_eq!(c.session_token(), Some("TOKEN"));
        assert_eq!(
            c.expiry(),
            Some(AmzDate::parse("20240115T103500Z").unwrap().to_system_time())
        );
        let missing = ok.replace("<SessionToken>TOKEN</SessionToken>", "");
        let e = parse_create_session("b--x-s3", &response(200, &missing), &[]).unwrap_err();
        assert!(e.to_string().contains("no SessionToken"), "{e}");
        let e = parse_create_session(
            "b--x-s3",
            &response(
                403,
                "<Error><Code>AccessDenied</Code><Message>key BASESECRET denied</Message></Error>",
            ),
            &["BASESECRET"],
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("HTTP 403: AccessDenied"), "{text}");
        assert!(!text.contains("BASESECRET"), "{text}");
        let e = parse_create_session("b--x-s3", &response(200, "<oops"), &[]).unwrap_err();
        assert!(matches!(e, CredentialsError::InvalidResponse { .. }), "{e}");
    }

    #[test]
    fn sessions_are_per_bucket_and_credentials() {
        let s = S3ExpressSessions::new(ProviderContext::default());
        let a = DirectoryBucket::from_url("http://h:1/a--x-s3/k", true).unwrap();
        let b = DirectoryBucket::from_url("http://h:1/b--x-s3/k", true).unwrap();
        let base = Credentials::new("AK", "S1", None, None);
        let rotated = Credentials::new("AK", "S2", None, None);
        let first = s.cache_for(&a, "us-east-1", &base);
        // The same bucket and credentials share a cache; anything else gets its own.
        assert!(Arc::ptr_eq(
            first.inner(),
            s.cache_for(&a, "us-east-1", &base).inner()
        ));
        assert!(!Arc::ptr_eq(
            first.inner(),
            s.cache_for(&b, "us-east-1", &base).inner()
        ));
        assert!(!Arc::ptr_eq(
            first.inner(),
            s.cache_for(&a, "us-east-1", &rotated).inner()
        ));
    }
}
