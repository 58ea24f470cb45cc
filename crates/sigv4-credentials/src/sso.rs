//! IAM Identity Center (SSO) credentials: the cached SSO access token
//! (`~/.aws/sso/cache/<sha1>.json`, written by `aws sso login`) is exchanged
//! for role credentials with the portal's `GetRoleCredentials`; a token near
//! expiry is refreshed first (see [`SsoTokenProvider`]).

use serde::Deserialize;
use sigv4::Credentials;
use zeroize::Zeroizing;

use crate::endpoint::{resolve_endpoint, Service};
use crate::profile_file::ProfileSet;
use crate::sso_token::SsoTokenProvider;
use crate::sts::{form_encode, send_with_retries};
use crate::token::ProvideToken;
use crate::util::BoxFuture;
use crate::{
    CredentialsError, CredentialsResult, ProvideCredentials, ProvidedCredentials, ProviderContext,
};

const NAME: &str = "Sso";

/// What an SSO profile names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    /// The `[sso-session]` name (token cache key), or `None` for legacy profiles.
    pub session_name: Option<String>,
    /// The portal start URL.
    pub start_url: String,
    /// The region of the SSO portal.
    pub region: String,
    /// The account to get credentials for.
    pub account_id: String,
    /// The permission set (role) name.
    pub role_name: String,
}

/// Gets role credentials from IAM Identity Center with the cached token.
#[derive(Debug, Clone)]
pub struct SsoProvider {
    ctx: ProviderContext,
    config: SsoConfig,
    profiles: Option<ProfileSet>,
}

impl SsoProvider {
    /// A provider for `config`.
    pub fn new(ctx: ProviderContext, config: SsoConfig) -> Self {
        SsoProvider {
            ctx,
            config,
            profiles: None,
        }
    }

    /// Uses `profiles` for endpoint overrides (`endpoint_url`, `[services]`).
    pub fn with_profiles(mut self, profiles: ProfileSet) -> Self {
        self.profiles = Some(profiles);
        self
    }

    /// The token cache file for this configuration.
    pub fn token_cache_path(&self) -> Result<String, CredentialsError> {
        self.token_provider().cache_path()
    }

    /// The provider of the SSO access token this provider uses (refreshing
    /// it when the profile names an `sso_session`).
    pub fn token_provider(&self) -> SsoTokenProvider {
        let p = match &self.config.session_name {
            Some(s) => SsoTokenProvider::new(
                self.ctx.clone(),
                s.clone(),
                self.config.start_url.clone(),
                self.config.region.clone(),
            ),
            None => SsoTokenProvider::legacy(
                self.ctx.clone(),
                self.config.start_url.clone(),
                self.config.region.clone(),
            ),
        };
        match &self.profiles {
            Some(set) => p.with_profiles(set.clone()),
            None => p,
        }
    }

    async fn load(&self) -> CredentialsResult {
        let token_provider = self.token_provider();
        let token = token_provider
            .provide_token()
            .await
            .map_err(|e| e.context(NAME, "loading the SSO access token"))?;
        let token = Zeroizing::new(token.token().to_string());
        let endpoint = resolve_endpoint(
            &self.ctx,
            self.profiles.as_ref(),
            Service::Sso,
            &self.config.region,
        );
        let url = format!(
            "{}/federation/credentials?account_id={}&role_name={}",
            endpoint.trim_end_matches('/'),
            form_encode(&self.config.account_id),
            form_encode(&self.config.role_name)
        );
        let uri: http::Uri = url.parse().map_err(|_| {
            CredentialsError::invalid_configuration(
                NAME,
                format!("the SSO endpoint {endpoint:?} is not a valid URL"),
            )
        })?;
        let build = || {
            http::Request::get(uri.clone())
                .header("x-amz-sso_bearer_token", token.as_str())
                .body(Vec::new())
                .map_err(|e| CredentialsError::provider_error(NAME, format!("bad request: {e}")))
        };
        let response = send_with_retries(&self.ctx, NAME, "SSO GetRoleCredentials", build).await?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            #[derive(Deserialize)]
            struct ErrorBody {
                message: Option<String>,
                #[serde(rename = "Message")]
                message2: Option<String>,
                #[serde(rename = "__type")]
                kind: Option<String>,
            }
            let parsed: Option<ErrorBody> = serde_json::from_slice(response.body()).ok();
            let kind = response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(':').next().unwrap_or(v).to_string())
                .or_else(|| parsed.as_ref().and_then(|p| p.kind.clone()));
            let message = parsed.and_then(|p| p.message.or(p.message2));
            let mut detail = match (kind, message) {
                (Some(k), Some(m)) => format!("{k}: {m}"),
                (Some(k), None) => k,
                (None, Some(m)) => m,
                (None, None) => "no error details".to_string(),
            };
            if status == 401 || status == 403 {
                detail.push_str(&format!(" ({})", token_provider.login_hint()));
            }
            // The server may echo what it was sent: never repeat the token.
            let detail = crate::util::redact(&detail, &[token.as_str()]);
            return Err(CredentialsError::provider_error(
                NAME,
                format!("SSO GetRoleCredentials failed with HTTP {status}: {detail}"),
            ));
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct RoleCredentials {
            access_key_id: String,
            secret_access_key: Zeroizing<String>,
            session_token: Option<Zeroizing<String>>,
            expiration: i64,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            role_credentials: RoleCredentials,
        }
        let body: Body = serde_json::from_slice(response.body()).map_err(|e| {
            CredentialsError::invalid_response(
                NAME,
                format!(
                    "SSO GetRoleCredentials returned an unreadable body (line {}, column {}, {:?})",
                    e.line(),
                    e.column(),
                    e.classify()
                ),
            )
        })?;
        let rc = body.role_credentials;
        let expiry = u64::try_from(rc.expiration)
            .ok()
            .map(|ms| std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms));
        Ok(ProvidedCredentials::new(
            Credentials::new(
                rc.access_key_id,
                rc.secret_access_key.as_str(),
                rc.session_token.map(|t| t.as_str().to_string()),
                expiry,
            ),
            NAME,
        )
        .with_account_id(Some(self.config.account_id.clone())))
    }
}

impl ProvideCredentials for SsoProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.load())
    }
    fn name(&self) -> &'static str {
        NAME
    }
}
