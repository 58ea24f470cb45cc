//! The default credential chain, in the AWS SDK order.

use std::sync::Arc;

use crate::profile::{MfaTokenCallback, NamedSources};
use crate::util::BoxFuture;
use crate::{
    ChainProvider, CredentialsError, CredentialsResult, EnvironmentProvider, ProfileProvider,
    ProvideCredentials, ProviderContext, WebIdentityProvider,
};

/// The standard chain: environment variables, then the shared profile
/// (static keys, assume role, SSO, `credential_process`, web identity in a
/// profile), then web identity from the environment, then container
/// credentials, then EC2 instance metadata.
///
/// A provider that is not configured is skipped; one that is configured but
/// fails stops the chain with its error (a typo in a profile does not
/// silently fall through to instance metadata).
///
/// ```no_run
/// use sigv4_credentials::{DefaultChain, ProviderContext, ProvideCredentials};
/// # async fn demo() -> Result<(), sigv4_credentials::CredentialsError> {
/// let chain = DefaultChain::new(ProviderContext::default());
/// let creds = chain.provide_credentials().await?;
/// println!("credentials from {}", creds.provider_name());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DefaultChain {
    chain: ChainProvider,
}

impl DefaultChain {
    /// The full default chain for `ctx`.
    pub fn new(ctx: ProviderContext) -> Self {
        DefaultChain::builder(ctx).build()
    }

    /// A builder, to replace the container or instance metadata providers or
    /// add an MFA callback.
    pub fn builder(ctx: ProviderContext) -> DefaultChainBuilder {
        DefaultChainBuilder {
            ctx,
            container: None,
            imds: None,
            mfa: None,
        }
    }

    /// The underlying chain.
    pub fn chain(&self) -> &ChainProvider {
        &self.chain
    }
}

/// Builds a [`DefaultChain`].
#[derive(Clone)]
pub struct DefaultChainBuilder {
    ctx: ProviderContext,
    container: Option<Arc<dyn ProvideCredentials>>,
    imds: Option<Arc<dyn ProvideCredentials>>,
    mfa: Option<MfaTokenCallback>,
}

impl std::fmt::Debug for DefaultChainBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultChainBuilder")
            .field("ctx", &self.ctx)
            .field("container", &self.container)
            .field("imds", &self.imds)
            .finish_non_exhaustive()
    }
}

impl DefaultChainBuilder {
    /// Uses this provider for container credentials (also for
    /// `credential_source = EcsContainer`).
    pub fn with_container_provider(mut self, p: Arc<dyn ProvideCredentials>) -> Self {
        self.container = Some(p);
        self
    }

    /// Uses this provider for instance metadata (also for
    /// `credential_source = Ec2InstanceMetadata`).
    pub fn with_imds_provider(mut self, p: Arc<dyn ProvideCredentials>) -> Self {
        self.imds = Some(p);
        self
    }

    /// Supplies MFA codes for profiles with `mfa_serial`.
    pub fn with_mfa_token_callback(mut self, cb: MfaTokenCallback) -> Self {
        self.mfa = Some(cb);
        self
    }

    /// Builds the chain.
    pub fn build(self) -> DefaultChain {
        let ctx = self.ctx;
        let container = self.container.or_else(|| default_container(&ctx));
        let imds = self.imds.or_else(|| default_imds(&ctx));
        let mut profile = ProfileProvider::new(ctx.clone()).with_named_sources(NamedSources {
            ec2_instance_metadata: imds.clone(),
            ecs_container: container.clone(),
        });
        if let Some(mfa) = self.mfa {
            profile = profile.with_mfa_token_callback(mfa);
        }
        let mut chain = ChainProvider::new()
            .or_else(EnvironmentProvider::new(ctx.clone()))
            .or_else(profile)
            .or_else(WebIdentityProvider::from_env(ctx.clone()));
        if let Some(c) = container {
            chain = chain.or_else_shared(c);
        }
        if let Some(i) = imds {
            chain = chain.or_else(LastResort(i));
        }
        DefaultChain { chain }
    }
}

/// The chain's last link (instance metadata): its failure (a metadata service that
/// refuses, or does not answer in time) is reported as "gave nothing", with the error as
/// the reason, so the chain's error lists every provider it asked instead of only the
/// metadata service. Nothing comes after the last link, so no outcome changes, only the
/// error (`credential_source = Ec2InstanceMetadata` in a profile still sees the failure).
#[derive(Debug)]
struct LastResort(Arc<dyn ProvideCredentials>);

impl ProvideCredentials for LastResort {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(async move {
            match self.0.provide_credentials().await {
                Err(e) if !e.is_not_configured() => Err(CredentialsError::not_configured(
                    e.provider(),
                    format!("gave nothing: {e}"),
                )),
                other => other,
            }
        })
    }
    fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// The built-in container provider.
fn default_container(ctx: &ProviderContext) -> Option<Arc<dyn ProvideCredentials>> {
    Some(Arc::new(crate::container::ContainerProvider::new(
        ctx.clone(),
    )))
}

/// The built-in instance metadata provider.
fn default_imds(ctx: &ProviderContext) -> Option<Arc<dyn ProvideCredentials>> {
    Some(Arc::new(crate::imds::ImdsProvider::new(ctx.clone())))
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        self.chain.provide_credentials()
    }
    fn name(&self) -> &'static str {
        "DefaultChain"
    }
}
