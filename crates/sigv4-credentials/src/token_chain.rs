//! The bearer-token provider chain: the SSO token of the selected profile's
//! `sso_session`, as the AWS SDKs' default token chain does.

use std::sync::Arc;

use crate::context::ProviderContext;
use crate::error::CredentialsError;
use crate::profile_file::ProfileSet;
use crate::sso_token::SsoTokenProvider;
use crate::token::{ProvideToken, TokenResult};
use crate::util::BoxFuture;

const PROFILE: &str = "ProfileToken";

/// The SSO token of the selected profile (`--profile`, `AWS_PROFILE`, or
/// `default`): the profile names an `sso_session`, whose `sso_start_url` and
/// `sso_region` locate the token cache and the SSO-OIDC endpoint used to
/// refresh it ([`SsoTokenProvider`]).
///
/// Not configured when the profile files, the profile or its `sso_session`
/// setting are missing; an `sso_session` that names no `[sso-session]`
/// section, or one without `sso_start_url`/`sso_region`, is an invalid
/// configuration.
#[derive(Debug, Clone)]
pub struct ProfileTokenProvider {
    ctx: ProviderContext,
}

impl ProfileTokenProvider {
    /// A provider for `ctx` (its environment selects the files and profile).
    pub fn new(ctx: ProviderContext) -> Self {
        ProfileTokenProvider { ctx }
    }

    /// The SSO token provider the selected profile asks for.
    pub fn sso_token_provider(&self) -> Result<SsoTokenProvider, CredentialsError> {
        let set = ProfileSet::load(&self.ctx)?;
        let profile = set.selected().ok_or_else(|| {
            CredentialsError::not_configured(
                PROFILE,
                format!("profile `{}` is not defined", set.selected_name()),
            )
        })?;
        let session = profile.get_non_blank("sso_session").ok_or_else(|| {
            CredentialsError::not_configured(
                PROFILE,
                format!("profile `{}` has no `sso_session`", profile.name()),
            )
        })?;
        let section = set.sso_session(session).ok_or_else(|| {
            CredentialsError::invalid_configuration(
                PROFILE,
                format!(
                    "sso-session named `{session}` (referenced by profile `{}`) was not found",
                    profile.name()
                ),
            )
        })?;
        let need = |key: &str| {
            section
                .get_non_blank(key)
                .map(str::to_string)
                .ok_or_else(|| {
                    CredentialsError::invalid_configuration(
                        PROFILE,
                        format!("[sso-session {session}] has no `{key}`"),
                    )
                })
        };
        let start_url = need("sso_start_url")?;
        let region = need("sso_region")?;
        Ok(
            SsoTokenProvider::new(self.ctx.clone(), session, start_url, region)
                .with_profiles(set.clone()),
        )
    }
}

impl ProvideToken for ProfileTokenProvider {
    fn provide_token(&self) -> BoxFuture<'_, TokenResult> {
        Box::pin(async move { self.sso_token_provider()?.provide_token().await })
    }
    fn name(&self) -> &'static str {
        PROFILE
    }
}

/// Tries token providers in order, like
/// [`ChainProvider`](crate::ChainProvider): a provider that is not
/// configured is skipped, the first answer wins, and a configured provider
/// that fails stops the chain with its error.
#[derive(Debug, Clone, Default)]
pub struct TokenChain {
    providers: Vec<Arc<dyn ProvideToken>>,
}

impl TokenChain {
    /// An empty chain (answers `NotConfigured`).
    pub fn new() -> Self {
        TokenChain::default()
    }

    /// Appends a provider.
    pub fn or_else(mut self, provider: impl ProvideToken + 'static) -> Self {
        self.providers.push(Arc::new(provider));
        self
    }

    /// The default chain: the selected profile's SSO session token.
    ///
    /// ```no_run
    /// use sigv4_credentials::{ProvideToken, ProviderContext, TokenChain};
    /// # async fn demo() -> Result<(), sigv4_credentials::CredentialsError> {
    /// let token = TokenChain::default_chain(ProviderContext::default().with_profile_name("dev"))
    ///     .provide_token()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn default_chain(ctx: ProviderContext) -> Self {
        TokenChain::new().or_else(ProfileTokenProvider::new(ctx))
    }

    async fn resolve(&self) -> TokenResult {
        let mut skipped = Vec::new();
        for p in &self.providers {
            match p.provide_token().await {
                Ok(t) => return Ok(t),
                Err(CredentialsError::NotConfigured { reason, .. }) => {
                    skipped.push(format!("{} ({reason})", p.name()));
                }
                Err(e) => return Err(e),
            }
        }
        Err(CredentialsError::not_configured(
            "TokenChain",
            if skipped.is_empty() {
                "no token providers in the chain".to_string()
            } else {
                format!(
                    "no bearer token found; tried {}. Configure an [sso-session] for the profile and run `aws sso login`",
                    skipped.join(", ")
                )
            },
        ))
    }
}

impl ProvideToken for TokenChain {
    fn provide_token(&self) -> BoxFuture<'_, TokenResult> {
        Box::pin(self.resolve())
    }
    fn name(&self) -> &'static str {
        "TokenChain"
    }
}
