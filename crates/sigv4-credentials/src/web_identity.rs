//! Web identity (OIDC, as on EKS with IRSA): a token file exchanged with STS
//! `AssumeRoleWithWebIdentity`.

use std::path::Path;

use zeroize::Zeroizing;

use crate::endpoint::{resolve_endpoint, resolve_region, Service};
use crate::profile_file::ProfileSet;
use crate::sts::{assume_role_with_web_identity, generated_session_name};
use crate::util::BoxFuture;
use crate::{CredentialsError, CredentialsResult, ProvideCredentials, ProviderContext};

const NAME: &str = "WebIdentityToken";

/// A fixed web identity configuration (from a profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentityConfig {
    /// The file holding the OIDC token (re-read on every call).
    pub web_identity_token_file: String,
    /// The role to assume.
    pub role_arn: String,
    /// The session name (generated when `None`).
    pub role_session_name: Option<String>,
}

/// Exchanges a web identity token for credentials.
///
/// [`from_env`](Self::from_env) reads `AWS_WEB_IDENTITY_TOKEN_FILE`,
/// `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME` (not configured without the
/// first two); [`from_config`](Self::from_config) uses a profile's settings.
/// The token file is read again on every call (it is rotated on EKS).
#[derive(Debug, Clone)]
pub struct WebIdentityProvider {
    ctx: ProviderContext,
    config: Option<WebIdentityConfig>,
    profiles: Option<ProfileSet>,
}

impl WebIdentityProvider {
    /// Configured from environment variables at each call.
    pub fn from_env(ctx: ProviderContext) -> Self {
        WebIdentityProvider {
            ctx,
            config: None,
            profiles: None,
        }
    }

    /// Configured explicitly.
    pub fn from_config(ctx: ProviderContext, config: WebIdentityConfig) -> Self {
        WebIdentityProvider {
            ctx,
            config: Some(config),
            profiles: None,
        }
    }

    /// Uses `profiles` for the region and endpoint overrides.
    pub fn with_profiles(mut self, profiles: ProfileSet) -> Self {
        self.profiles = Some(profiles);
        self
    }

    fn config(&self) -> Result<WebIdentityConfig, CredentialsError> {
        if let Some(c) = &self.config {
            return Ok(c.clone());
        }
        let env = self.ctx.env();
        let file = env.get_non_blank("AWS_WEB_IDENTITY_TOKEN_FILE");
        let role = env.get_non_blank("AWS_ROLE_ARN");
        match (file, role) {
            (None, _) => Err(CredentialsError::not_configured(
                NAME,
                "AWS_WEB_IDENTITY_TOKEN_FILE is not set",
            )),
            (Some(_), None) => Err(CredentialsError::not_configured(
                NAME,
                "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not",
            )),
            (Some(file), Some(role)) => Ok(WebIdentityConfig {
                web_identity_token_file: file,
                role_arn: role,
                role_session_name: env.get_non_blank("AWS_ROLE_SESSION_NAME"),
            }),
        }
    }

    async fn load(&self) -> CredentialsResult {
        let config = self.config()?;
        let path = &config.web_identity_token_file;
        let token = self.ctx.fs().read_to_string(Path::new(path)).map_err(|e| {
            CredentialsError::provider_error(
                NAME,
                format!("failed to read the web identity token file `{path}`: {e}"),
            )
        })?;
        let token = Zeroizing::new(token.trim().to_string());
        if token.is_empty() {
            return Err(CredentialsError::provider_error(
                NAME,
                format!("the web identity token file `{path}` is empty"),
            ));
        }
        let region = resolve_region(&self.ctx, self.profiles.as_ref())
            .unwrap_or_else(|| "us-east-1".to_string());
        let endpoint = resolve_endpoint(&self.ctx, self.profiles.as_ref(), Service::Sts, &region);
        let session = config
            .role_session_name
            .clone()
            .unwrap_or_else(|| generated_session_name("web-identity-token", self.ctx.now()));
        tracing::debug!(role_arn = %config.role_arn, %endpoint, "assuming role with web identity");
        assume_role_with_web_identity(&self.ctx, &endpoint, &config.role_arn, &session, &token)
            .await
    }
}

impl ProvideCredentials for WebIdentityProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.load())
    }
    fn name(&self) -> &'static str {
        NAME
    }
}
