//! The credential chain behind `resolve_credentials()` and signers built without credentials,
//! in the order PyPI `sigv4` documents (and botocore uses for these sources):
//!
//! 1. environment variables,
//! 2. web identity from the environment (IRSA: `AWS_WEB_IDENTITY_TOKEN_FILE` +
//!    `AWS_ROLE_ARN`), so a pod's role beats keys left in a profile,
//! 3. the shared config/credentials files (`AWS_PROFILE`): static keys, assume role, SSO,
//!    `credential_process`, web identity in a profile,
//! 4. container credentials (ECS / EKS Pod Identity),
//! 5. EC2 instance metadata (IMDSv2).
//!
//! Built from the `sigv4-rs-credentials` providers and run on a private current-thread tokio
//! runtime. A provider that is not configured is skipped; one that is configured but fails
//! stops the chain with its error.

use std::sync::Arc;

use sigv4::Credentials;
use sigv4_credentials::container::ContainerProvider;
use sigv4_credentials::imds::ImdsProvider;
use sigv4_credentials::profile::NamedSources;
use sigv4_credentials::{
    ChainProvider, EnvironmentProvider, ProfileProvider, ProvideCredentials, ProviderContext,
    WebIdentityProvider,
};

/// What the chain looks at, in order (exposed as `sigv4.CREDENTIAL_CHAIN`).
pub(crate) const DESCRIPTION: &str = "environment, web identity from the environment (IRSA: \
AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), profile (shared config/credentials files, \
AWS_PROFILE: static keys, assume role, SSO, credential_process, web identity), container \
(ECS/EKS), EC2 instance metadata (IMDSv2)";

/// The profile provider of the chain: a profile's `credential_source` may name the container
/// or instance metadata provider.
pub(crate) fn profile_provider(
    ctx: &ProviderContext,
    container: &Arc<dyn ProvideCredentials>,
    imds: &Arc<dyn ProvideCredentials>,
) -> ProfileProvider {
    ProfileProvider::new(ctx.clone()).with_named_sources(NamedSources {
        ec2_instance_metadata: Some(Arc::clone(imds)),
        ecs_container: Some(Arc::clone(container)),
    })
}

fn build(ctx: ProviderContext) -> ChainProvider {
    let container: Arc<dyn ProvideCredentials> = Arc::new(ContainerProvider::new(ctx.clone()));
    let imds: Arc<dyn ProvideCredentials> = Arc::new(ImdsProvider::new(ctx.clone()));
    let profile = profile_provider(&ctx, &container, &imds);
    ChainProvider::new()
        .or_else(EnvironmentProvider::new(ctx.clone()))
        .or_else(WebIdentityProvider::from_env(ctx))
        .or_else(profile)
        .or_else_shared(container)
        .or_else_shared(imds)
}

/// Runs `fut` to completion on a private current-thread tokio runtime.
pub(crate) fn block_on<T>(fut: impl std::future::Future<Output = T>) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the credential resolver: {e}"))?;
    Ok(rt.block_on(fut))
}

/// Resolves credentials once. Runs without the GIL (touches no Python object); blocks until
/// the chain answers. The error is the message for `CredentialsError`: when nothing is
/// configured it names every provider tried and why it had nothing.
pub(crate) fn resolve(profile: Option<&str>) -> Result<Credentials, String> {
    let mut ctx = ProviderContext::default();
    if let Some(p) = profile {
        ctx = ctx.with_profile_name(p);
    }
    let result = block_on(async move { build(ctx).provide_credentials().await })?;
    match result {
        Ok(provided) => {
            let c = provided.into_credentials();
            // Same checks as credentials built in Python, so a bad value fails here, clearly.
            crate::credentials::check_parts(
                c.access_key_id(),
                c.secret_access_key(),
                c.session_token(),
            )
            .map_err(|e| format!("the credential chain returned invalid credentials: {e}"))?;
            Ok(c)
        }
        // PyPI sigv4's message begins "No AWS credentials found"; keep that beginning (code
        // matches on it) and then list what was tried.
        Err(e @ sigv4_credentials::CredentialsError::NoCredentials { .. }) => {
            let text = e.to_string();
            let rest = text
                .split_once("no AWS credentials found")
                .map_or(text.as_str(), |(_, r)| r);
            Err(format!("No AWS credentials found{rest}"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The signing region the way the AWS tools find it (`sigv4_credentials::RegionChain`): the
/// AWS hostname of `url` when it names one, `AWS_REGION`, `AWS_DEFAULT_REGION`, the
/// profile's `region`, then the region a global endpoint implies. The error lists what was
/// tried. Reads only the environment and the config file (no network).
pub(crate) fn resolve_region(url: Option<&str>, profile: Option<&str>) -> Result<String, String> {
    let mut ctx = ProviderContext::default();
    if let Some(p) = profile {
        ctx = ctx.with_profile_name(p);
    }
    let mut chain = sigv4_credentials::RegionChain::new(ctx);
    if let Some(u) = url {
        chain = chain.with_url(u);
    }
    chain
        .resolve()
        .map(|r| r.into_region())
        .map_err(|e| e.to_string())
}
