//! The IAM Identity Center (SSO) access token, from the cache `aws sso login`
//! writes (`~/.aws/sso/cache/<sha1 of the session name>.json`), refreshed
//! through SSO-OIDC `CreateToken` when it is about to expire.
//!
//! # The token cache file
//!
//! What tests and fakes need to write, as the AWS CLI v2 and SDKs write it:
//!
//! * **Path**: `$HOME/.aws/sso/cache/<hex>.json` (`%USERPROFILE%` on Windows), where `<hex>`
//!   is the lowercase hex SHA-1 of the `[sso-session NAME]`'s name (`NAME`), or, for a
//!   legacy profile without a session, of its `sso_start_url`.
//!   [`SsoTokenProvider::cache_path`] gives it.
//! * **Content**: one JSON object; unknown fields are kept when the file is rewritten.
//!
//!   | field | required | meaning |
//!   |---|---|---|
//!   | `accessToken` | yes | the bearer token sent to the SSO portal (`GetRoleCredentials`) |
//!   | `expiresAt` | yes | its expiry, RFC 3339 UTC (`2026-12-07T15:00:00Z`) |
//!   | `refreshToken` | for refresh | SSO-OIDC refresh token (sessions only) |
//!   | `clientId`, `clientSecret` | for refresh | the registered OIDC client |
//!   | `registrationExpiresAt` | for refresh | RFC 3339 expiry of that registration |
//!   | `region`, `startUrl` | no | written by the CLI; the profile's values are used |
//!
//!   With the four refresh fields (and `registrationExpiresAt` not passed), a token within
//!   [`REFRESH_WINDOW`] of `expiresAt` is refreshed and the file rewritten; without them the
//!   token is used until it expires, then the error says to run `aws sso login`.
//!
//! ```json
//! {
//!   "startUrl": "https://my-sso-portal.awsapps.com/start",
//!   "region": "us-east-1",
//!   "accessToken": "aoa...",
//!   "expiresAt": "2026-12-07T15:00:00Z",
//!   "clientId": "ABCDEFG...",
//!   "clientSecret": "eyJ...",
//!   "registrationExpiresAt": "2027-03-07T14:00:00Z",
//!   "refreshToken": "aorvJYubGpU6i91YnH7Mfo..."
//! }
//! ```

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use sigv4::AmzDate;
use zeroize::{Zeroize, Zeroizing};

use crate::context::ProviderContext;
use crate::endpoint::{resolve_endpoint, Service};
use crate::error::CredentialsError;
use crate::profile_file::{home_dir, Platform, ProfileSet};
use crate::sts::send_with_retries;
use crate::token::{ProvideToken, Token, TokenResult};
use crate::util::{flight_lock, non_empty_str, redact, wipe_json, BoxFuture};

const NAME: &str = "SsoToken";

/// A token this close to its expiry is refreshed (as the AWS SDKs do).
pub const REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Gets the SSO access token for an `[sso-session]`, refreshing it with the
/// cached refresh token when it has expired or expires within five minutes.
///
/// A refresh calls SSO-OIDC `CreateToken` (grant type `refresh_token`) with
/// the cached `clientId`/`clientSecret` (while the client registration has
/// not expired), then writes the new access token, its expiry and the new
/// refresh token back to the cache file atomically (temporary file and
/// rename, mode 0600), keeping every other field. Concurrent callers in this
/// process cause one refresh: the others wait and read the new token. If the
/// refresh fails while the old token is still valid, the old token is used;
/// otherwise the error says to run `aws sso login --sso-session NAME`.
///
/// Legacy profiles (`sso_start_url` in the profile, no session) have no
/// refresh token: their token is used until it expires
/// ([`SsoTokenProvider::legacy`]).
///
/// The endpoint is `AWS_ENDPOINT_URL_SSO_OIDC`, the profile's `[services]`
/// `sso_oidc` entry, `AWS_ENDPOINT_URL`, `endpoint_url`, then
/// `https://oidc.<sso_region>.amazonaws.com`.
///
/// ```no_run
/// use sigv4_credentials::{ProvideToken, ProviderContext, SsoTokenProvider};
/// # async fn demo() -> Result<(), sigv4_credentials::CredentialsError> {
/// let p = SsoTokenProvider::new(
///     ProviderContext::default(),
///     "my-sso",
///     "https://d-123.awsapps.com/start",
///     "eu-west-1",
/// );
/// let token = p.provide_token().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SsoTokenProvider {
    ctx: ProviderContext,
    session_name: Option<String>,
    start_url: String,
    region: String,
    profiles: Option<ProfileSet>,
    /// The last token, shared by clones: a caller within its fresh period
    /// does not read the file again.
    memo: Arc<Mutex<Option<Token>>>,
}

/// What the cache file says, secrets zeroized on drop.
struct Cached {
    doc: Map<String, Value>,
    access_token: Zeroizing<String>,
    expires_at: SystemTime,
}

impl Drop for Cached {
    fn drop(&mut self) {
        for v in self.doc.values_mut() {
            wipe_json(v);
        }
    }
}

impl SsoTokenProvider {
    /// The token of the `[sso-session session_name]` whose portal is
    /// `start_url` in `region` (the session's `sso_region`).
    pub fn new(
        ctx: ProviderContext,
        session_name: impl Into<String>,
        start_url: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        SsoTokenProvider {
            ctx,
            session_name: Some(session_name.into()),
            start_url: start_url.into(),
            region: region.into(),
            profiles: None,
            memo: Arc::default(),
        }
    }

    /// The token of a legacy SSO profile (cached under the start URL; never
    /// refreshed).
    pub fn legacy(
        ctx: ProviderContext,
        start_url: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        SsoTokenProvider {
            ctx,
            session_name: None,
            start_url: start_url.into(),
            region: region.into(),
            profiles: None,
            memo: Arc::default(),
        }
    }

    /// Uses `profiles` for endpoint overrides (`endpoint_url`, `[services]`).
    pub fn with_profiles(mut self, profiles: ProfileSet) -> Self {
        self.profiles = Some(profiles);
        self
    }

    /// The session name, `None` for a legacy profile.
    pub fn session_name(&self) -> Option<&str> {
        self.session_name.as_deref()
    }

    /// The token cache file: `~/.aws/sso/cache/<sha1 hex of the session
    /// name (or, legacy, of the start URL)>.json`.
    pub fn cache_path(&self) -> Result<String, CredentialsError> {
        let platform = Platform::current();
        let home = home_dir(self.ctx.env(), platform).ok_or_else(|| {
            CredentialsError::invalid_configuration(
                NAME,
                "cannot find the SSO token cache: the home directory is unknown (set HOME)",
            )
        })?;
        let key = self.session_name.as_deref().unwrap_or(&self.start_url);
        let hash = crate::util::hex(&Sha1::digest(key.as_bytes()));
        let sep = if platform == Platform::Windows {
            '\\'
        } else {
            '/'
        };
        let home = home.trim_end_matches(['/', '\\']);
        Ok(format!("{home}{sep}.aws{sep}sso{sep}cache{sep}{hash}.json"))
    }

    /// What to run to get a new token.
    pub(crate) fn login_hint(&self) -> String {
        match &self.session_name {
            Some(s) => format!("run `aws sso login --sso-session {s}` to log in again"),
            None => "run `aws sso login` (with the same --profile) to log in again".to_string(),
        }
    }

    fn read(&self, path: &str) -> Result<Cached, CredentialsError> {
        let bytes = Zeroizing::new(self.ctx.fs().read(Path::new(path)).map_err(|e| {
            CredentialsError::provider_error(
                NAME,
                format!("failed to read `{path}`: {e} ({})", self.login_hint()),
            )
        })?);
        let doc: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|e| {
            CredentialsError::provider_error(
                NAME,
                format!(
                    "the SSO token cache `{path}` is not a valid JSON object (line {}, column {}): {}",
                    e.line(),
                    e.column(),
                    self.login_hint()
                ),
            )
        })?;
        let access_token = Zeroizing::new(
            non_empty_str(&doc, "accessToken")
                .ok_or_else(|| {
                    CredentialsError::provider_error(
                        NAME,
                        format!(
                            "the SSO token cache `{path}` has no accessToken: {}",
                            self.login_hint()
                        ),
                    )
                })?
                .to_string(),
        );
        let expires_at = non_empty_str(&doc, "expiresAt")
            .and_then(AmzDate::parse_rfc3339)
            .ok_or_else(|| {
                CredentialsError::provider_error(
                    NAME,
                    format!(
                        "the SSO token cache `{path}` has no valid expiresAt: {}",
                        self.login_hint()
                    ),
                )
            })?
            .to_system_time();
        Ok(Cached {
            doc,
            access_token,
            expires_at,
        })
    }

    /// Whether the cache holds what a refresh needs (and the client
    /// registration is still valid).
    fn refreshable(&self, cached: &Cached, now: SystemTime) -> bool {
        self.session_name.is_some()
            && ["refreshToken", "clientId", "clientSecret"]
                .iter()
                .all(|k| non_empty_str(&cached.doc, k).is_some())
            && non_empty_str(&cached.doc, "registrationExpiresAt")
                .and_then(AmzDate::parse_rfc3339)
                .is_some_and(|t| t.to_system_time() > now)
    }

    fn remembered(&self) -> Option<Token> {
        let memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        memo.as_ref()
            .filter(|t| {
                t.expiry()
                    .is_some_and(|e| e > self.ctx.now() + REFRESH_WINDOW)
            })
            .cloned()
    }

    async fn load(&self) -> TokenResult {
        if let Some(t) = self.remembered() {
            return Ok(t);
        }
        let token = self.load_from_cache().await?;
        *self.memo.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    async fn load_from_cache(&self) -> TokenResult {
        let path = self.cache_path()?;
        let lock = flight_lock(Path::new(&path));
        // Callers queue here; after the first one refreshed and wrote the
        // file, the others read a fresh token and do not refresh again.
        let _flight = lock.lock().await;
        let mut cached = self.read(&path)?;
        let now = self.ctx.now();
        if cached.expires_at > now + REFRESH_WINDOW {
            return Ok(Token::new(
                cached.access_token.as_str(),
                Some(cached.expires_at),
            ));
        }
        let expired = cached.expires_at <= now;
        if !self.refreshable(&cached, now) {
            if expired {
                return Err(CredentialsError::provider_error(
                    NAME,
                    format!(
                        "the SSO access token in `{path}` expired at {} and cannot be refreshed: {}",
                        fmt_time(cached.expires_at),
                        self.login_hint()
                    ),
                ));
            }
            return Ok(Token::new(
                cached.access_token.as_str(),
                Some(cached.expires_at),
            ));
        }
        match self.refresh(&mut cached, now).await {
            Ok(token) => {
                let mut out =
                    Zeroizing::new(serde_json::to_vec_pretty(&cached.doc).unwrap_or_default());
                out.push(b'\n');
                if let Err(e) = self.ctx.fs().write_atomic(Path::new(&path), &out) {
                    tracing::warn!(path = %path, error = %e, "could not save the refreshed SSO token; using it anyway");
                }
                tracing::debug!(path = %path, "SSO access token refreshed");
                Ok(token)
            }
            Err(e) if !expired => {
                tracing::warn!(error = %e, "SSO token refresh failed; using the cached token until it expires");
                Ok(Token::new(
                    cached.access_token.as_str(),
                    Some(cached.expires_at),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Calls `CreateToken` and updates `cached.doc` with the answer.
    async fn refresh(&self, cached: &mut Cached, now: SystemTime) -> TokenResult {
        let field = |k: &str| {
            non_empty_str(&cached.doc, k)
                .unwrap_or_default()
                .to_string()
        };
        let refresh_token = Zeroizing::new(field("refreshToken"));
        let client_id = field("clientId");
        let client_secret = Zeroizing::new(field("clientSecret"));
        let body = Zeroizing::new(
            serde_json::json!({
                "clientId": client_id,
                "clientSecret": client_secret.as_str(),
                "grantType": "refresh_token",
                "refreshToken": refresh_token.as_str(),
            })
            .to_string(),
        );
        let secrets = [
            refresh_token.as_str(),
            client_secret.as_str(),
            cached.access_token.as_str(),
        ];
        let endpoint = resolve_endpoint(
            &self.ctx,
            self.profiles.as_ref(),
            Service::SsoOidc,
            &self.region,
        );
        let url = format!("{}/token", endpoint.trim_end_matches('/'));
        let uri: http::Uri = url.parse().map_err(|_| {
            CredentialsError::invalid_configuration(
                NAME,
                format!("the SSO-OIDC endpoint {endpoint:?} is not a valid URL"),
            )
        })?;
        let build = || {
            http::Request::post(uri.clone())
                .header("content-type", "application/json")
                .body(body.as_bytes().to_vec())
                .map_err(|e| CredentialsError::provider_error(NAME, format!("bad request: {e}")))
        };
        let response = send_with_retries(&self.ctx, NAME, "SSO-OIDC CreateToken", build)
            .await
            .map_err(|e| {
                e.context(
                    NAME,
                    &format!("refreshing the SSO token ({})", self.login_hint()),
                )
            })?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(self.refusal(status, response.body(), &secrets));
        }
        self.store_answer(cached, response.body(), now)
    }

    /// The error for a `CreateToken` refusal: its code and message, secrets redacted.
    fn refusal(&self, status: u16, body: &[u8], secrets: &[&str]) -> CredentialsError {
        let parsed: Option<Map<String, Value>> = serde_json::from_slice(body).ok();
        let get = |k: &str| {
            parsed
                .as_ref()
                .and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .map(|s| s.chars().take(300).collect::<String>())
        };
        let detail = match (get("error"), get("error_description").or(get("message"))) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c,
            (None, Some(m)) => m,
            (None, None) => "no error details".to_string(),
        };
        let detail = redact(&detail, secrets);
        CredentialsError::provider_error(
            NAME,
            format!(
                "SSO-OIDC CreateToken refused to refresh the SSO token (HTTP {status}: {detail}): {}",
                self.login_hint()
            ),
        )
    }

    /// Reads `CreateToken`'s answer into `cached.doc` (old secrets zeroized) and returns
    /// the new token.
    fn store_answer(&self, cached: &mut Cached, body: &[u8], now: SystemTime) -> TokenResult {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            access_token: Option<Zeroizing<String>>,
            expires_in: Option<u64>,
            refresh_token: Option<Zeroizing<String>>,
        }
        let answer: Answer = serde_json::from_slice(body).map_err(|e| {
            CredentialsError::invalid_response(
                NAME,
                format!(
                    "SSO-OIDC CreateToken returned an unreadable body (line {}, column {}): {}",
                    e.line(),
                    e.column(),
                    self.login_hint()
                ),
            )
        })?;
        let (Some(access), Some(expires_in)) = (
            answer.access_token.filter(|t| !t.is_empty()),
            answer.expires_in,
        ) else {
            return Err(CredentialsError::invalid_response(
                NAME,
                format!(
                    "SSO-OIDC CreateToken answered without accessToken or expiresIn: {}",
                    self.login_hint()
                ),
            ));
        };
        let expires_at = now + Duration::from_secs(expires_in);
        let doc = &mut cached.doc;
        if let Some(Value::String(old)) = doc.get_mut("accessToken") {
            old.zeroize();
        }
        doc.insert(
            "accessToken".into(),
            Value::String(access.as_str().to_string()),
        );
        doc.insert("expiresAt".into(), Value::String(fmt_time(expires_at)));
        if let Some(r) = answer.refresh_token.filter(|t| !t.is_empty()) {
            if let Some(Value::String(old)) = doc.get_mut("refreshToken") {
                old.zeroize();
            }
            doc.insert("refreshToken".into(), Value::String(r.as_str().to_string()));
        }
        cached.access_token = access.clone();
        cached.expires_at = expires_at;
        Ok(Token::new(access.as_str(), Some(expires_at)))
    }
}

fn fmt_time(t: SystemTime) -> String {
    AmzDate::from_system_time(t)
        .map(|d| d.to_rfc3339())
        .unwrap_or_else(|_| format!("{t:?}"))
}

impl ProvideToken for SsoTokenProvider {
    fn provide_token(&self) -> BoxFuture<'_, TokenResult> {
        Box::pin(self.load())
    }
    fn name(&self) -> &'static str {
        NAME
    }
}
