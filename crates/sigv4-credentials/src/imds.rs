//! EC2 instance metadata (IMDSv2) credentials.
//!
//! 1. `PUT /latest/api/token` with `x-aws-ec2-metadata-token-ttl-seconds`
//!    gets a session token (cached for its lifetime).
//! 2. `GET /latest/meta-data/iam/security-credentials/` names the instance
//!    profile's role.
//! 3. `GET /latest/meta-data/iam/security-credentials/<role>` returns the
//!    credentials.
//!
//! The endpoint is, in order: [`ImdsProvider::with_endpoint`],
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT`, the profile's
//! `ec2_metadata_service_endpoint`; otherwise the default address of the
//! endpoint mode ([`ImdsProvider::with_endpoint_mode`],
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`, the profile's
//! `ec2_metadata_service_endpoint_mode`, else IPv4): `http://169.254.169.254`
//! or `http://[fd00:ec2::254]`. `AWS_EC2_METADATA_DISABLED=true` turns the
//! provider off.
//!
//! Off EC2 the provider fails fast: connection failures and a token request
//! that gets no answer within the (1 s) timeout are not retried, and are
//! reported as [not configured](CredentialsError::NotConfigured) when the
//! default endpoint is in use, so a chain moves on.
//!
//! Static stability: once credentials have been loaded, a later failure to
//! reach the service (or expired credentials from it) is answered with the
//! last credentials, their expiry extended by 5 to 10 minutes, and a
//! `tracing` warning, as the AWS SDKs do.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::container::{
    backoff, content_type, display_uri, error_body_summary, parse_credentials_response, sanitize,
    Expiration,
};
use crate::http::{HttpClient, HttpError, HttpRequestOptions};
use crate::profile_file::ProfileSet;
use crate::{
    BoxFuture, CredentialsError, CredentialsResult, ProvideCredentials, ProvidedCredentials,
    ProviderContext,
};

const NAME: &str = "Ec2InstanceMetadata";
const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";

/// The IPv4 endpoint.
pub const DEFAULT_ENDPOINT_IPV4: &str = "http://169.254.169.254";
/// The IPv6 endpoint.
pub const DEFAULT_ENDPOINT_IPV6: &str = "http://[fd00:ec2::254]";

/// Variables and profile keys read by [`ImdsProvider`].
pub mod config_keys {
    /// `true` disables the provider.
    pub const DISABLED_ENV: &str = "AWS_EC2_METADATA_DISABLED";
    /// Endpoint override (environment).
    pub const ENDPOINT_ENV: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
    /// Endpoint mode, `IPv4` or `IPv6` (environment).
    pub const ENDPOINT_MODE_ENV: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
    /// Endpoint override (profile).
    pub const ENDPOINT_PROFILE: &str = "ec2_metadata_service_endpoint";
    /// Endpoint mode (profile).
    pub const ENDPOINT_MODE_PROFILE: &str = "ec2_metadata_service_endpoint_mode";
}

/// Which default IMDS address to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndpointMode {
    /// `http://169.254.169.254`.
    #[default]
    IPv4,
    /// `http://[fd00:ec2::254]`.
    IPv6,
}

impl EndpointMode {
    /// The default endpoint of this mode.
    pub fn endpoint(self) -> &'static str {
        match self {
            EndpointMode::IPv4 => DEFAULT_ENDPOINT_IPV4,
            EndpointMode::IPv6 => DEFAULT_ENDPOINT_IPV6,
        }
    }
}

/// An unknown endpoint mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid endpoint mode (expected IPv4 or IPv6)")]
pub struct InvalidEndpointMode(pub String);

impl FromStr for EndpointMode {
    type Err = InvalidEndpointMode;

    /// Case-insensitive `IPv4` / `IPv6`.
    ///
    /// ```
    /// use sigv4_credentials::imds::EndpointMode;
    /// assert_eq!("ipV6".parse::<EndpointMode>().unwrap(), EndpointMode::IPv6);
    /// assert!("IPv7".parse::<EndpointMode>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("ipv4") {
            Ok(EndpointMode::IPv4)
        } else if t.eq_ignore_ascii_case("ipv6") {
            Ok(EndpointMode::IPv6)
        } else {
            Err(InvalidEndpointMode(sanitize(s, 40)))
        }
    }
}

/// Timeouts, retries and token lifetime of [`ImdsProvider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImdsOptions {
    /// Connect timeout (default 1 s). Connection failures are not retried.
    pub connect_timeout: Duration,
    /// Timeout of one whole request, connection included (default 1 s).
    /// Timeouts are not retried.
    pub timeout: Duration,
    /// Attempts in total for broken connections and HTTP 5xx (default 3).
    pub max_attempts: u32,
    /// Delay before the first retry, doubled after each (default 50 ms).
    pub initial_backoff: Duration,
    /// Lifetime requested for the session token (default 6 hours).
    pub token_ttl: Duration,
}

impl Default for ImdsOptions {
    fn default() -> Self {
        ImdsOptions {
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(50),
            token_ttl: Duration::from_secs(21_600),
        }
    }
}

#[derive(Default)]
struct ImdsState {
    token: Option<(http::HeaderValue, SystemTime)>,
    last: Option<ProvidedCredentials>,
}

/// Loads the instance profile's credentials from the EC2 instance metadata
/// service (IMDSv2).
///
/// Clones share the cached session token and the last credentials.
///
/// ```
/// use sigv4_credentials::{Env, ImdsProvider, ProviderContext};
/// # async fn demo() {
/// let ctx = ProviderContext::default()
///     .with_env(Env::from_pairs([("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338")]));
/// let imds = ImdsProvider::new(ctx);
/// assert_eq!(imds.resolve_endpoint().unwrap().to_string(), "http://127.0.0.1:1338/");
/// # }
/// ```
#[derive(Clone)]
pub struct ImdsProvider {
    ctx: ProviderContext,
    options: ImdsOptions,
    endpoint_override: Option<String>,
    mode_override: Option<EndpointMode>,
    state: Arc<Mutex<ImdsState>>,
}

impl fmt::Debug for ImdsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImdsProvider")
            .field("options", &self.options)
            .field("endpoint_override", &self.endpoint_override)
            .field("mode_override", &self.mode_override)
            .finish_non_exhaustive()
    }
}

enum CallError {
    /// No connection could be made.
    Unreachable(HttpError),
    /// No (complete) answer within the timeout.
    TimedOut(HttpError),
    /// A non-success status.
    Status(http::StatusCode, String),
    /// Broken connection or other transport failure, after retries.
    Transport(HttpError),
}

impl ImdsProvider {
    /// A provider reading its configuration from `ctx`, with default options.
    pub fn new(ctx: ProviderContext) -> Self {
        ImdsProvider {
            ctx,
            options: ImdsOptions::default(),
            endpoint_override: None,
            mode_override: None,
            state: Arc::new(Mutex::new(ImdsState::default())),
        }
    }

    /// Replaces the timeouts, retries and token lifetime.
    pub fn with_options(mut self, options: ImdsOptions) -> Self {
        self.options = options;
        self
    }

    /// Uses this endpoint, overriding the environment and the profile.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint_override = Some(endpoint.into());
        self
    }

    /// Uses this endpoint mode unless an endpoint is configured.
    pub fn with_endpoint_mode(mut self, mode: EndpointMode) -> Self {
        self.mode_override = Some(mode);
        self
    }

    /// The timeouts, retries and token lifetime.
    pub fn options(&self) -> &ImdsOptions {
        &self.options
    }

    /// Whether `AWS_EC2_METADATA_DISABLED` is `true`.
    pub fn is_disabled(&self) -> bool {
        self.ctx
            .env()
            .get_non_blank(config_keys::DISABLED_ENV)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The endpoint in use (scheme and authority, plus any base path).
    pub fn resolve_endpoint(&self) -> Result<http::Uri, CredentialsError> {
        Ok(self.resolve_endpoint_with_source()?.0)
    }

    /// The endpoint and whether it was configured explicitly.
    fn resolve_endpoint_with_source(&self) -> Result<(http::Uri, bool), CredentialsError> {
        if let Some(e) = &self.endpoint_override {
            return Ok((parse_endpoint(e, "the endpoint override")?, true));
        }
        let env = self.ctx.env();
        if let Some(e) = env.get_non_blank(config_keys::ENDPOINT_ENV) {
            return Ok((parse_endpoint(&e, config_keys::ENDPOINT_ENV)?, true));
        }
        let mut profiles: Option<ProfileSet> = None;
        let mut profile_value = |key: &str| -> Result<Option<String>, CredentialsError> {
            if profiles.is_none() {
                profiles = Some(ProfileSet::load(&self.ctx)?);
            }
            Ok(profiles
                .as_ref()
                .and_then(ProfileSet::selected)
                .and_then(|p| p.get_non_blank(key))
                .map(str::to_string))
        };
        if let Some(e) = profile_value(config_keys::ENDPOINT_PROFILE)? {
            let what = format!("profile key `{}`", config_keys::ENDPOINT_PROFILE);
            return Ok((parse_endpoint(&e, &what)?, true));
        }
        let mode = if let Some(m) = self.mode_override {
            m
        } else if let Some(m) = env.get_non_blank(config_keys::ENDPOINT_MODE_ENV) {
            m.parse().map_err(|e: InvalidEndpointMode| {
                CredentialsError::invalid_configuration(
                    NAME,
                    format!("{}: {e}", config_keys::ENDPOINT_MODE_ENV),
                )
            })?
        } else if let Some(m) = profile_value(config_keys::ENDPOINT_MODE_PROFILE)? {
            m.parse().map_err(|e: InvalidEndpointMode| {
                CredentialsError::invalid_configuration(
                    NAME,
                    format!("profile key `{}`: {e}", config_keys::ENDPOINT_MODE_PROFILE),
                )
            })?
        } else {
            EndpointMode::IPv4
        };
        Ok((
            parse_endpoint(mode.endpoint(), "the default endpoint")?,
            false,
        ))
    }

    fn options_for_request(&self) -> HttpRequestOptions {
        HttpRequestOptions {
            connect_timeout: self.options.connect_timeout,
            timeout: self.options.timeout,
            max_response_bytes: 64 * 1024,
        }
    }

    /// One IMDS call with retries for broken connections and 5xx.
    async fn call(
        &self,
        http: &Arc<dyn HttpClient>,
        make: impl Fn() -> Result<http::Request<Vec<u8>>, CredentialsError>,
    ) -> Result<Result<http::Response<Vec<u8>>, CallError>, CredentialsError> {
        let attempts = self.options.max_attempts.max(1);
        let mut last = None;
        for attempt in 1..=attempts {
            if attempt > 1 {
                self.ctx
                    .sleep(backoff(self.options.initial_backoff, attempt - 1))
                    .await;
            }
            let request = make()?;
            match http.send(request, self.options_for_request()).await {
                Ok(r) if r.status().is_success() => return Ok(Ok(r)),
                Ok(r) => {
                    let status = r.status();
                    let summary = error_body_summary(&Zeroizing::new(r.into_body()));
                    let err = CallError::Status(status, summary);
                    if !status.is_server_error() {
                        return Ok(Err(err));
                    }
                    last = Some(err);
                }
                Err(e) if e.is_connect() => return Ok(Err(CallError::Unreachable(e))),
                Err(e) if e.is_timeout() => return Ok(Err(CallError::TimedOut(e))),
                Err(e @ (HttpError::InvalidRequest(_) | HttpError::ResponseTooLarge(_))) => {
                    return Ok(Err(CallError::Transport(e)))
                }
                Err(e) => last = Some(CallError::Transport(e)),
            }
        }
        Ok(Err(last.unwrap_or(CallError::Transport(HttpError::Io(
            "no attempt was made".into(),
        )))))
    }

    fn describe(&self, err: CallError, what: &str, url: &str) -> CredentialsError {
        match err {
            CallError::Unreachable(e) => CredentialsError::provider_error_with(
                NAME,
                format!("{what}: could not connect to {url}"),
                e,
            ),
            CallError::TimedOut(e) => crate::container::http_timeout_error(
                NAME,
                &e,
                &format!("{what}: no answer from {url}"),
            ),
            CallError::Status(status, summary) => CredentialsError::provider_error(
                NAME,
                format!("{what}: {url} returned HTTP {}{summary}", status.as_u16()),
            ),
            CallError::Transport(e) => CredentialsError::provider_error_with(
                NAME,
                format!(
                    "{what}: request to {url} failed after {} attempt(s)",
                    self.options.max_attempts.max(1)
                ),
                e,
            ),
        }
    }

    /// A session token, cached until shortly before it expires.
    async fn token(
        &self,
        http: &Arc<dyn HttpClient>,
        base: &str,
        explicit: bool,
    ) -> Result<http::HeaderValue, CredentialsError> {
        let now = self.ctx.now();
        if let Ok(state) = self.state.lock() {
            if let Some((token, expires)) = &state.token {
                if *expires > now {
                    return Ok(token.clone());
                }
            }
        }
        let url = format!("{base}{TOKEN_PATH}");
        let ttl = self.options.token_ttl.as_secs().clamp(1, 21_600);
        let response = self
            .call(http, || {
                http::Request::put(&url)
                    .header(TTL_HEADER, ttl.to_string())
                    .body(Vec::new())
                    .map_err(|e| {
                        CredentialsError::invalid_configuration(
                            NAME,
                            format!("cannot build the IMDS token request to {url}: {e}"),
                        )
                    })
            })
            .await?;
        let response = match response {
            Ok(r) => r,
            Err(CallError::Unreachable(e)) | Err(CallError::TimedOut(e)) if !explicit => {
                return Err(CredentialsError::not_configured(
                    NAME,
                    format!(
                        "the EC2 instance metadata service at {base} could not be reached \
                         (not running on EC2, or the IMDSv2 hop limit is too low for a container): {e}"
                    ),
                ))
            }
            Err(CallError::Status(s, summary)) if s == http::StatusCode::FORBIDDEN => {
                return Err(CredentialsError::provider_error(
                    NAME,
                    format!(
                        "the IMDSv2 token request to {url} failed with HTTP 403{summary}: request \
                         forbidden: IMDS is disabled or the caller has insufficient permissions"
                    ),
                ))
            }
            Err(e) => return Err(self.describe(e, "getting an IMDSv2 session token", &url)),
        };
        let body = Zeroizing::new(response.into_body());
        let text = std::str::from_utf8(&body).map(str::trim).unwrap_or("");
        let mut token = http::HeaderValue::from_str(text)
            .ok()
            .filter(|_| !text.is_empty())
            .ok_or_else(|| {
                CredentialsError::invalid_response(
                    NAME,
                    format!(
                        "the IMDSv2 token response from {url} is not a valid token ({} bytes)",
                        body.len()
                    ),
                )
            })?;
        token.set_sensitive(true);
        // Refresh a minute before the service would reject it.
        let lifetime = Duration::from_secs(ttl).saturating_sub(Duration::from_secs(60));
        if let Ok(mut state) = self.state.lock() {
            state.token = Some((token.clone(), now + lifetime));
        }
        Ok(token)
    }

    fn forget_token(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.token = None;
        }
    }

    /// A GET with the session token; one retry with a new token on 401.
    async fn get(
        &self,
        http: &Arc<dyn HttpClient>,
        base: &str,
        explicit: bool,
        path: &str,
    ) -> Result<Result<http::Response<Vec<u8>>, CallError>, CredentialsError> {
        let url = format!("{base}{path}");
        let mut retried = false;
        loop {
            let token = self.token(http, base, explicit).await?;
            let result = self
                .call(http, || {
                    http::Request::get(&url)
                        .header(TOKEN_HEADER, token.clone())
                        .body(Vec::new())
                        .map_err(|e| {
                            CredentialsError::invalid_configuration(
                                NAME,
                                format!("cannot build the IMDS request to {url}: {e}"),
                            )
                        })
                })
                .await?;
            match result {
                Err(CallError::Status(s, _)) if s == http::StatusCode::UNAUTHORIZED && !retried => {
                    tracing::debug!(
                        provider = NAME,
                        "IMDS session token rejected; getting a new one"
                    );
                    self.forget_token();
                    retried = true;
                }
                other => return Ok(other),
            }
        }
    }

    /// Fetches credentials, without static stability.
    async fn fetch(&self, base: &str, explicit: bool) -> CredentialsResult {
        let http = self.ctx.require_http(NAME)?.clone();
        let list_url = format!("{base}{CREDENTIALS_PATH}");
        let role = match self.get(&http, base, explicit, CREDENTIALS_PATH).await? {
            Ok(r) => {
                let body = r.into_body();
                let text = String::from_utf8_lossy(&body);
                let role = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
                if role.is_empty() || !role.chars().all(is_role_name_char) {
                    return Err(CredentialsError::invalid_response(
                        NAME,
                        format!(
                            "{list_url} did not return a valid role name ({} bytes)",
                            body.len()
                        ),
                    ));
                }
                role.to_string()
            }
            Err(CallError::Status(s, _)) if s == http::StatusCode::NOT_FOUND => {
                return Err(CredentialsError::not_configured(
                    NAME,
                    format!(
                        "no IAM role is attached to this EC2 instance ({list_url} returned HTTP 404); \
                         attach an instance profile"
                    ),
                ))
            }
            Err(e) => return Err(self.describe(e, "listing the instance profile role", &list_url)),
        };
        let path = format!("{CREDENTIALS_PATH}{role}");
        let url = format!("{base}{path}");
        let response = match self.get(&http, base, explicit, &path).await? {
            Ok(r) => r,
            Err(e) => {
                return Err(self.describe(
                    e,
                    &format!("getting credentials for role `{role}`"),
                    &url,
                ))
            }
        };
        let ct = content_type(&response);
        let body = Zeroizing::new(response.into_body());
        parse_credentials_response(NAME, &body, ct.as_deref(), Expiration::Required)
            .map_err(|e| e.context(NAME, &format!("role `{role}` at {url}")))
    }

    async fn load(&self) -> CredentialsResult {
        if self.is_disabled() {
            return Err(CredentialsError::not_configured(
                NAME,
                format!("{} is set to true", config_keys::DISABLED_ENV),
            ));
        }
        let (uri, explicit) = self.resolve_endpoint_with_source()?;
        let base = base_string(&uri);
        tracing::debug!(provider = NAME, endpoint = %base, "loading instance profile credentials");
        let now = self.ctx.now();
        match self.fetch(&base, explicit).await {
            Ok(creds) => {
                let creds = match creds.expiry() {
                    Some(exp) if exp <= now => {
                        let extended = extend(&creds, now);
                        tracing::warn!(
                            provider = NAME,
                            expired_at = ?exp,
                            new_expiry = ?extended.expiry(),
                            "the instance metadata service returned expired credentials; \
                             using them with a short extension (static stability)"
                        );
                        extended
                    }
                    _ => creds,
                };
                if let Ok(mut state) = self.state.lock() {
                    state.last = Some(creds.clone());
                }
                Ok(creds)
            }
            Err(e) => {
                let last = self.state.lock().ok().and_then(|s| s.last.clone());
                match last {
                    Some(last) => {
                        let extended = extend(&last, now);
                        tracing::warn!(
                            provider = NAME,
                            error = %e,
                            new_expiry = ?extended.expiry(),
                            "could not refresh instance profile credentials; serving the previous \
                             credentials with a short extension (static stability)"
                        );
                        Ok(extended)
                    }
                    None => Err(e),
                }
            }
        }
    }
}

impl ProvideCredentials for ImdsProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.load())
    }

    fn name(&self) -> &'static str {
        NAME
    }
}

fn is_role_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// The same credentials expiring 5 to 10 minutes after `now`.
fn extend(creds: &ProvidedCredentials, now: SystemTime) -> ProvidedCredentials {
    let jitter = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()) % 300)
        .unwrap_or(0);
    let expiry = now + Duration::from_secs(300 + jitter);
    let account = creds.account_id().map(str::to_string);
    ProvidedCredentials::new(
        creds.credentials().clone().with_expiry(Some(expiry)),
        creds.provider_name(),
    )
    .with_account_id(account)
}

fn parse_endpoint(value: &str, from: &str) -> Result<http::Uri, CredentialsError> {
    let invalid = |why: String| {
        CredentialsError::invalid_configuration(
            NAME,
            format!(
                "invalid IMDS endpoint `{}` ({from}): {why}",
                sanitize(value, 200)
            ),
        )
    };
    let uri: http::Uri = value.trim().parse().map_err(|e| invalid(format!("{e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(invalid(
                "the endpoint must start with http:// or https://".into(),
            ))
        }
    }
    if uri.authority().is_none() {
        return Err(invalid("the endpoint has no host".into()));
    }
    if uri.query().is_some() {
        return Err(invalid("the endpoint must not have a query string".into()));
    }
    Ok(uri)
}

/// `scheme://authority[/base/path]` without a trailing slash.
fn base_string(uri: &http::Uri) -> String {
    let shown = display_uri(uri);
    shown.trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_endpoints() {
        assert_eq!("IPV4".parse::<EndpointMode>().unwrap(), EndpointMode::IPv4);
        assert_eq!(
            "error".parse::<EndpointMode>().unwrap_err().to_string(),
            "`error` is not a valid endpoint mode (expected IPv4 or IPv6)"
        );
        let u = parse_endpoint("http://override:456/", "x").unwrap();
        assert_eq!(base_string(&u), "http://override:456");
        let u = parse_endpoint("http://[fd00:ec2::254]", "x").unwrap();
        assert_eq!(base_string(&u), "http://[fd00:ec2::254]");
        assert!(parse_endpoint("override:456", "x").is_err());
        assert!(parse_endpoint("/path", "x").is_err());
    }

    /// With the default endpoint (not configured by the user), an
    /// unreachable service means "not on EC2": the chain moves on.
    #[tokio::test]
    async fn unreachable_default_endpoint_is_not_configured() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let ctx = ProviderContext::default()
            .with_env(crate::Env::from_pairs::<String, String>([]))
            .with_fs(crate::MemoryFs::default());
        let imds = ImdsProvider::new(ctx);
        // `explicit = false` is what the IPv4/IPv6 defaults resolve to; the
        // address is a closed local port so nothing leaves the machine.
        let err = imds
            .fetch(&format!("http://{addr}"), false)
            .await
            .unwrap_err();
        assert!(err.is_not_configured(), "{err}");
        assert!(err.to_string().contains("not running on EC2"), "{err}");
        let err = imds
            .fetch(&format!("http://{addr}"), true)
            .await
            .unwrap_err();
        assert!(!err.is_not_configured(), "{err}");
    }

    #[test]
    fn extension_is_five_to_ten_minutes() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let c = ProvidedCredentials::new(
            sigv4::Credentials::new("A", "S", Some("T".into()), Some(now)),
            NAME,
        );
        let e = extend(&c, now).expiry().unwrap();
        let d = e.duration_since(now).unwrap();
        assert!(d >= Duration::from_secs(300) && d < Duration::from_secs(600));
    }
}
