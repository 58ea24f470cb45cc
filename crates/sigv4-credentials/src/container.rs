//! Container credentials: the ECS task role endpoint and EKS Pod Identity.
//!
//! Configured by environment variables:
//!
//! - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`: a path on the ECS agent,
//!   `http://169.254.170.2<path>`. Takes precedence over the full URI.
//! - `AWS_CONTAINER_CREDENTIALS_FULL_URI`: any `https` URI, or an `http` URI
//!   whose host is a loopback address, `169.254.170.2` (ECS),
//!   `169.254.170.23` or `fd00:ec2::23` (EKS Pod Identity). A host name is
//!   resolved and every address it resolves to must be allowed.
//! - `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read on every fetch) or
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN`: sent as the `Authorization` header.
//!   A token containing CR or LF is rejected.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::http::{HttpError, HttpRequestOptions};
use crate::{BoxFuture, CredentialsError, CredentialsResult, ProvideCredentials, ProviderContext};

const NAME: &str = "EcsContainer";

/// The ECS agent's link-local address, base of the relative URI.
pub const ECS_CONTAINER_HOST: &str = "169.254.170.2";
const EKS_POD_IDENTITY_V4: [u8; 4] = [169, 254, 170, 23];
const EKS_POD_IDENTITY_V6: [u16; 8] = [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x23];
const ECS_V4: [u8; 4] = [169, 254, 170, 2];

/// Variables read by [`ContainerProvider`].
pub mod env_vars {
    /// A path on `http://169.254.170.2`.
    pub const RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    /// A full URI (restricted unless `https`).
    pub const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    /// The `Authorization` header value.
    pub const AUTH_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    /// A file holding the `Authorization` header value (wins over the variable).
    pub const AUTH_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
}

/// Timeouts and retries of [`ContainerProvider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerOptions {
    /// Connect timeout per attempt (default 2 s).
    pub connect_timeout: Duration,
    /// Timeout of one whole attempt, connection included (default 5 s).
    pub timeout: Duration,
    /// Attempts in total for retryable failures: connection errors, broken
    /// connections and HTTP 5xx (default 3). Timeouts are not retried.
    pub max_attempts: u32,
    /// Delay before the first retry, doubled after each (default 100 ms).
    pub initial_backoff: Duration,
}

impl Default for ContainerOptions {
    fn default() -> Self {
        ContainerOptions {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
        }
    }
}

/// Loads credentials from the ECS / EKS Pod Identity container endpoint.
///
/// Not configured (skipped by a chain) when neither
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` nor
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` is set.
///
/// ```
/// use sigv4_credentials::{ContainerProvider, Env, ProvideCredentials, ProviderContext};
/// # async fn demo() {
/// let ctx = ProviderContext::default().with_env(Env::from_pairs([
///     ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9911/creds"),
/// ]));
/// let provider = ContainerProvider::new(ctx);
/// let uri = provider.resolve_uri().await.unwrap();
/// assert_eq!(uri.to_string(), "http://127.0.0.1:9911/creds");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ContainerProvider {
    ctx: ProviderContext,
    options: ContainerOptions,
    expiration: Expiration,
}

impl ContainerProvider {
    /// A provider reading its configuration from `ctx`, with default options.
    pub fn new(ctx: ProviderContext) -> Self {
        ContainerProvider {
            ctx,
            options: ContainerOptions::default(),
            expiration: Expiration::Required,
        }
    }

    /// Accepts a response without `Expiration` (credentials that never expire), as PyPI
    /// `sigv4`'s container provider does. By default the field is required, as in the AWS
    /// SDKs.
    ///
    /// ```
    /// use sigv4_credentials::{ContainerProvider, ProviderContext};
    /// let provider = ContainerProvider::new(ProviderContext::default()).with_optional_expiration();
    /// # let _ = provider;
    /// ```
    pub fn with_optional_expiration(mut self) -> Self {
        self.expiration = Expiration::Optional;
        self
    }

    /// Replaces the timeouts and retry settings.
    pub fn with_options(mut self, options: ContainerOptions) -> Self {
        self.options = options;
        self
    }

    /// The timeouts and retry settings.
    pub fn options(&self) -> &ContainerOptions {
        &self.options
    }

    /// Whether one of the URI variables is set.
    pub fn is_configured(&self) -> bool {
        let env = self.ctx.env();
        env.get_non_blank(env_vars::RELATIVE_URI).is_some()
            || env.get_non_blank(env_vars::FULL_URI).is_some()
    }

    /// The URI credentials would be fetched from, validated.
    pub async fn resolve_uri(&self) -> Result<http::Uri, CredentialsError> {
        let env = self.ctx.env();
        if let Some(relative) = env.get_non_blank(env_vars::RELATIVE_URI) {
            let sep = if relative.starts_with('/') { "" } else { "/" };
            let full = format!("http://{ECS_CONTAINER_HOST}{sep}{relative}");
            return full.parse::<http::Uri>().map_err(|e| {
                CredentialsError::invalid_configuration(
                    NAME,
                    format!(
                        "{} `{relative}` is not a valid URI path: {e}",
                        env_vars::RELATIVE_URI
                    ),
                )
            });
        }
        if let Some(full) = env.get_non_blank(env_vars::FULL_URI) {
            return validate_full_uri(&full).await;
        }
        Err(CredentialsError::not_configured(
            NAME,
            format!(
                "No environment variables were set to configure ECS provider ({} or {})",
                env_vars::RELATIVE_URI,
                env_vars::FULL_URI
            ),
        ))
    }

    /// Reads the authorization token: the token file (re-read every time)
    /// wins over the variable.
    fn auth_token(&self) -> Result<Option<http::HeaderValue>, CredentialsError> {
        let env = self.ctx.env();
        let (token, from): (Zeroizing<String>, String) =
            if let Some(path) = env.get_non_blank(env_vars::AUTH_TOKEN_FILE) {
                let bytes = Zeroizing::new(self.ctx.fs().read(Path::new(&path)).map_err(|e| {
                    CredentialsError::provider_error_with(
                        NAME,
                        format!(
                            "could not read the authorization token file `{path}` ({})",
                            env_vars::AUTH_TOKEN_FILE
                        ),
                        e,
                    )
                })?);
                let text = std::str::from_utf8(&bytes).map_err(|_| {
                    CredentialsError::invalid_configuration(
                        NAME,
                        format!("the authorization token file `{path}` is not valid UTF-8"),
                    )
                })?;
                (
                    Zeroizing::new(text.to_string()),
                    format!("the file `{path}` ({})", env_vars::AUTH_TOKEN_FILE),
                )
            } else {
                match env.get(env_vars::AUTH_TOKEN) {
                    Some(t) if !t.trim().is_empty() => {
                        (Zeroizing::new(t), env_vars::AUTH_TOKEN.to_string())
                    }
                    _ => return Ok(None),
                }
            };
        if token.contains(['\r', '\n']) {
            return Err(CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "the container authorization token from {from} contains a CR or LF character, \
                     which is not allowed in an HTTP header (remove any trailing newline)"
                ),
            ));
        }
        let mut value = http::HeaderValue::from_str(&token).map_err(|_| {
            CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "the container authorization token from {from} contains characters that are \
                     not allowed in an HTTP header"
                ),
            )
        })?;
        value.set_sensitive(true);
        Ok(Some(value))
    }

    async fn load(&self) -> CredentialsResult {
        let uri = self.resolve_uri().await?;
        let http = self.ctx.require_http(NAME)?.clone();
        let shown = display_uri(&uri);
        let request_options = HttpRequestOptions::default()
            .with_connect_timeout(self.options.connect_timeout)
            .with_timeout(self.options.timeout);
        let attempts = self.options.max_attempts.max(1);
        let mut last_error = None;
        for attempt in 1..=attempts {
            if attempt > 1 {
                let delay = backoff(self.options.initial_backoff, attempt - 1);
                tracing::debug!(
                    provider = NAME,
                    attempt,
                    ?delay,
                    "retrying the container credentials request"
                );
                self.ctx.sleep(delay).await;
            }
            // The token (file) is read on every attempt: it may be rotated.
            let token = self.auth_token()?;
            let mut builder =
                http::Request::get(uri.clone()).header(http::header::ACCEPT, "application/json");
            if let Some(token) = token {
                builder = builder.header(http::header::AUTHORIZATION, token);
            }
            let request = builder.body(Vec::new()).map_err(|e| {
                CredentialsError::invalid_configuration(
                    NAME,
                    format!("cannot build a request to {shown}: {e}"),
                )
            })?;
            tracing::debug!(provider = NAME, uri = %shown, attempt, "requesting container credentials");
            match http.send(request, request_options).await {
                Ok(response) => {
                    let status = response.status();
                    let content_type = content_type(&response);
                    let body = Zeroizing::new(response.into_body());
                    if status.is_success() {
                        return parse_credentials_response(
                            NAME,
                            &body,
                            content_type.as_deref(),
                            self.expiration,
                        )
                        .map_err(|e| e.context(NAME, &format!("from {shown}")));
                    }
                    let message = format!(
                        "the container credentials endpoint {shown} returned HTTP {}{}",
                        status.as_u16(),
                        error_body_summary(&body)
                    );
                    if status.is_server_error() {
                        last_error = Some((message, None));
                        continue;
                    }
                    return Err(CredentialsError::provider_error(NAME, message));
                }
                Err(e) if e.is_timeout() => {
                    return Err(http_timeout_error(
                        NAME,
                        &e,
                        &format!("fetching container credentials from {shown}"),
                    ));
                }
                Err(e @ (HttpError::InvalidRequest(_) | HttpError::ResponseTooLarge(_))) => {
                    return Err(CredentialsError::provider_error_with(
                        NAME,
                        format!("fetching container credentials from {shown} failed"),
                        e,
                    ));
                }
                Err(e) => {
                    last_error = Some((
                        format!("fetching container credentials from {shown} failed"),
                        Some(e),
                    ));
                }
            }
        }
        Err(match last_error {
            Some((message, Some(e))) => CredentialsError::provider_error_with(
                NAME,
                format!("{message} after {attempts} attempt(s)"),
                e,
            ),
            Some((message, None)) => CredentialsError::provider_error(
                NAME,
                format!("{message} (gave up after {attempts} attempt(s))"),
            ),
            None => CredentialsError::provider_error(NAME, "no attempt was made"),
        })
    }
}

impl ProvideCredentials for ContainerProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(async move {
            let result = self.load().await;
            match &result {
                Ok(c) => {
                    tracing::debug!(provider = NAME, expiry = ?c.expiry(), "loaded container credentials")
                }
                Err(e) if e.is_not_configured() => {}
                Err(e) => {
                    tracing::warn!(provider = NAME, error = %e, "container credentials failed")
                }
            }
            result
        })
    }

    fn name(&self) -> &'static str {
        NAME
    }
}

/// Validates `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
async fn validate_full_uri(full: &str) -> Result<http::Uri, CredentialsError> {
    let invalid = |msg: String| CredentialsError::invalid_configuration(NAME, msg);
    let uri: http::Uri = full.parse().map_err(|e| {
        invalid(format!(
            "{} `{full}` is not a valid URI: {e}",
            env_vars::FULL_URI
        ))
    })?;
    let host = uri.host().ok_or_else(|| {
        invalid(format!(
            "{} `{full}` is invalid: URI did not specify a host",
            env_vars::FULL_URI
        ))
    })?;
    match uri.scheme_str() {
        Some("https") => return Ok(uri),
        Some("http") => {}
        other => {
            return Err(invalid(format!(
                "{} `{full}` has an unsupported scheme {:?} (use http or https)",
                env_vars::FULL_URI,
                other.unwrap_or("")
            )))
        }
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let not_allowed = |what: String| {
        invalid(format!(
            "{} `{full}` is not allowed: {what}; a plain-http container credentials URI must point to a \
             loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23 (or use https)",
            env_vars::FULL_URI
        ))
    };
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return if is_allowed_ip(&ip) {
            Ok(uri)
        } else {
            Err(not_allowed(format!("{ip} is not an allowed address")))
        };
    }
    if bare.eq_ignore_ascii_case("localhost") {
        return Ok(uri);
    }
    // A host name: every address it resolves to must be allowed.
    let port = uri.port_u16().unwrap_or(80);
    let lookup = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::lookup_host((bare.to_string(), port)),
    )
    .await;
    let addrs: Vec<IpAddr> = match lookup {
        Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
        Ok(Err(e)) => {
            return Err(not_allowed(format!(
                "host `{bare}` could not be resolved ({e})"
            )))
        }
        Err(_) => return Err(not_allowed(format!("resolving host `{bare}` timed out"))),
    };
    if addrs.is_empty() {
        return Err(not_allowed(format!("host `{bare}` resolved to no address")));
    }
    if let Some(bad) = addrs.iter().find(|ip| !is_allowed_ip(ip)) {
        return Err(not_allowed(format!("host `{bare}` resolves to {bad}")));
    }
    Ok(uri)
}

/// Whether a plain-http full URI may point at `ip`.
pub(crate) fn is_allowed_ip(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback() || v4.octets() == ECS_V4 || v4.octets() == EKS_POD_IDENTITY_V4
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_allowed_ip(&IpAddr::V4(v4));
            }
            v6.is_loopback() || v6.segments() == EKS_POD_IDENTITY_V6
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers shared with the instance metadata provider.

/// The JSON document served by the container and instance metadata
/// endpoints. Fields are zeroized on drop.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct MetadataCredentials {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
    #[serde(rename = "AccessKeyId")]
    access_key_id: Option<String>,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: Option<String>,
    #[serde(rename = "Token")]
    token: Option<String>,
    #[serde(rename = "Expiration")]
    expiration: Option<String>,
    #[serde(rename = "AccountId")]
    account_id: Option<String>,
}

impl fmt::Debug for MetadataCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataCredentials")
            .field("code", &self.code)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Whether a credentials document must have an `Expiration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expiration {
    /// Missing is an error (the AWS SDKs).
    Required,
    /// Missing means the credentials do not expire (PyPI `sigv4`).
    Optional,
}

/// Parses a credentials document (`AccessKeyId`, `SecretAccessKey`, `Token`,
/// `Expiration`, optional `AccountId` and `Code`). Error messages never
/// include values from the body; a missing key pair names every missing field.
pub(crate) fn parse_credentials_response(
    provider: &'static str,
    body: &[u8],
    content_type: Option<&str>,
    expiration: Expiration,
) -> CredentialsResult {
    let bad = |msg: String| CredentialsError::invalid_response(provider, msg);
    let doc: MetadataCredentials = serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_data() {
            "is not a credentials JSON document"
        } else {
            "is invalid JSON"
        };
        bad(format!(
            "the credentials response {what} ({}; content-type {}, {} bytes)",
            describe_json_error(&e),
            content_type
                .map(|c| format!("`{}`", sanitize(c, 60)))
                .unwrap_or_else(|| "not set".into()),
            body.len()
        ))
    })?;
    if let Some(code) = doc.code.as_deref() {
        if code != "Success" {
            return Err(CredentialsError::provider_error(
                provider,
                format!(
                    "the credentials endpoint reported an error: {}{}",
                    sanitize(code, 100),
                    doc.message
                        .as_deref()
                        .map(|m| format!(": {}", sanitize(m, 300)))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let missing: Vec<&str> = [
        ("AccessKeyId", &doc.access_key_id),
        ("SecretAccessKey", &doc.secret_access_key),
    ]
    .into_iter()
    .filter(|(_, v)| !present(v))
    .map(|(field, _)| field)
    .collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "the credentials response is missing {}",
            missing.join(" and ")
        )));
    }
    let access_key_id = doc.access_key_id.clone().unwrap_or_default();
    let secret = Zeroizing::new(doc.secret_access_key.clone().unwrap_or_default());
    let expiry = match doc.expiration.as_deref().filter(|e| !e.trim().is_empty()) {
        None if expiration == Expiration::Optional => None,
        None => {
            return Err(bad(
                "the credentials response is missing Expiration".to_string()
            ))
        }
        Some(e) => Some(
            sigv4::AmzDate::parse_rfc3339(e.trim())
                .ok_or_else(|| {
                    bad(format!(
                        "the credentials response has an `Expiration` that is not an RFC 3339 UTC time: `{}`",
                        sanitize(e, 40)
                    ))
                })?
                .to_system_time(),
        ),
    };
    let token = doc
        .token
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let creds = sigv4::Credentials::new(access_key_id, secret.as_str(), token, expiry);
    Ok(crate::ProvidedCredentials::new(creds, provider).with_account_id(doc.account_id.clone()))
}

/// A JSON error described without quoting the input.
pub(crate) fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => format!(
            "the JSON ends early at line {} column {} (truncated response?)",
            e.line(),
            e.column()
        ),
        Category::Syntax => format!(
            "not JSON: syntax error at line {} column {}",
            e.line(),
            e.column()
        ),
        Category::Data => format!(
            "a field has the wrong type or the document is not an object (line {} column {})",
            e.line(),
            e.column()
        ),
        Category::Io => "the body could not be read".to_string(),
    }
}

/// `": <Code>"` from a JSON error body, or a size note.
///
/// The free-text message is left out on purpose: credential endpoints have been seen to
/// echo the request's authorization token or other secrets back in it, and an error
/// message ends up in logs. The code is kept only when it looks like an identifier.
pub(crate) fn error_body_summary(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(alias = "Code", alias = "code", alias = "__type")]
        code: Option<String>,
    }
    if body.is_empty() {
        return String::new();
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { code: Some(code) })
            if !code.is_empty()
                && code.len() <= 64
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.:-#".contains(&b)) =>
        {
            format!(": {code} ({}-byte body, message not shown)", body.len())
        }
        _ => format!(" ({}-byte body)", body.len()),
    }
}

/// Keeps printable characters, at most `max` of them.
pub(crate) fn sanitize(s: &str, max: usize) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(max).collect();
    if s.chars().filter(|c| !c.is_control()).count() > max {
        out.push('…');
    }
    out
}

/// The response's content type, if any.
pub(crate) fn content_type(response: &http::Response<Vec<u8>>) -> Option<String> {
    response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A URI for messages: scheme, authority and path (no query, which could
/// carry a signature or token).
pub(crate) fn display_uri(uri: &http::Uri) -> String {
    format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or("http"),
        uri.authority().map(|a| a.as_str()).unwrap_or(""),
        uri.path()
    )
}

/// `initial * 2^(retry-1)`, capped at 5 s.
pub(crate) fn backoff(initial: Duration, retry: u32) -> Duration {
    initial
        .saturating_mul(1u32 << (retry.saturating_sub(1)).min(16))
        .min(Duration::from_secs(5))
}

/// A timeout [`HttpError`] as a [`CredentialsError::Timeout`].
pub(crate) fn http_timeout_error(
    provider: &'static str,
    e: &HttpError,
    what: &str,
) -> CredentialsError {
    let after = match e {
        HttpError::Timeout(d) => *d,
        HttpError::ConnectTimeout { after, .. } => *after,
        _ => Duration::ZERO,
    };
    CredentialsError::timeout(provider, after, format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_ips() {
        for ok in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "169.254.170.2",
            "169.254.170.23",
            "fd00:ec2::23",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_allowed_ip(&ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "169.254.169.254",
            "10.0.0.1",
            "fd00:ec2::254",
            "8.8.8.8",
            "::",
        ] {
            assert!(!is_allowed_ip(&bad.parse().unwrap()), "{bad}");
        }
    }

    #[test]
    fn parse_never_echoes_values() {
        let body = br#"{"AccessKeyId":"AKID","SecretAccessKey":987654,"Token":"T","Expiration":"2030-01-01T00:00:00Z"}"#;
        let e =
            parse_credentials_response(NAME, body, Some("application/json"), Expiration::Required)
                .unwrap_err();
        assert!(!e.to_string().contains("987654"), "{e}");
        let body = br#"{"AccessKeyId":"AKID","SecretAccessKey":"SECRETXYZ","Expiration":"bogus"}"#;
        let e = parse_credentials_response(NAME, body, None, Expiration::Required).unwrap_err();
        assert!(!e.to_string().contains("SECRETXYZ"));
        assert!(e.to_string().contains("Expiration"));
    }

    #[test]
    fn parse_ok() {
        let body = br#"{"AccessKeyId":"AKID","SecretAccessKey":"S","Token":"T","Expiration":"2030-01-01T00:00:00Z","AccountId":"123456789012","RoleArn":"x"}"#;
        let c = parse_credentials_response(NAME, body, None, Expiration::Required).unwrap();
        assert_eq!(c.access_key_id(), "AKID");
        assert_eq!(c.session_token(), Some("T"));
        assert_eq!(c.account_id(), Some("123456789012"));
        assert!(c.expiry().is_some());
    }

    #[test]
    fn parse_names_every_missing_key_and_the_expiration_rule() {
        let e = |body: &[u8], rule| {
            parse_credentials_response(NAME, body, None, rule)
                .unwrap_err()
                .to_string()
        };
        let msg = e(br#"{"Token":"T"}"#, Expiration::Optional);
        assert!(
            msg.contains("missing AccessKeyId and SecretAccessKey"),
            "{msg}"
        );
        let msg = e(br#"{"SecretAccessKey":"S"}"#, Expiration::Optional);
        assert!(
            msg.contains("missing AccessKeyId") && !msg.contains("SecretAccessKey"),
            "{msg}"
        );
        let msg = e(br#"{"AccessKeyId":"A"}"#, Expiration::Optional);
        assert!(msg.contains("missing SecretAccessKey"), "{msg}");
        let msg = e(b"not json", Expiration::Optional);
        assert!(msg.contains("invalid JSON"), "{msg}");
        let body = br#"{"AccessKeyId":"A","SecretAccessKey":"S"}"#;
        assert!(e(body, Expiration::Required).contains("missing Expiration"));
        let c = parse_credentials_response(NAME, body, None, Expiration::Optional).unwrap();
        assert_eq!(c.expiry(), None);
    }

    #[test]
    fn backoff_doubles() {
        let b = Duration::from_millis(100);
        assert_eq!(backoff(b, 1), Duration::from_millis(100));
        assert_eq!(backoff(b, 2), Duration::from_millis(200));
        assert_eq!(backoff(b, 30), Duration::from_secs(5));
    }
}
