//! The credential chain behind `resolve_credentials()` and signers built without credentials:
//! `sigv4_credentials::DefaultChain` (environment, shared profile files with assume role /
//! SSO / `credential_process` / web identity, web identity from the environment, container
//! credentials, EC2 instance metadata), run on a private current-thread tokio runtime.

use pyo3::PyErr;
use sigv4::Credentials;
use sigv4_credentials::{DefaultChain, ProvideCredentials, ProviderContext};

use crate::CredentialsError;

/// What the chain looks at, in order (exposed as `sigv4.CREDENTIAL_CHAIN`).
pub(crate) const DESCRIPTION: &str =
    "environment, profile (shared config/credentials files: static keys, \
assume role, SSO, credential_process, web identity), web identity from the environment, \
container (ECS/EKS), EC2 instance metadata";

/// Resolves credentials once. Runs without the GIL; blocks until the chain answers.
pub(crate) fn resolve(profile: Option<&str>) -> Result<Credentials, PyErr> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CredentialsError::new_err(format!("cannot start the credential resolver: {e}"))
        })?;
    let mut ctx = ProviderContext::default();
    if let Some(p) = profile {
        ctx = ctx.with_profile_name(p);
    }
    let result = rt.block_on(async move {
        let chain = DefaultChain::new(ctx);
        chain.provide_credentials().await
    });
    match result {
        Ok(provided) => {
            let c = provided.into_credentials();
            // Same checks as credentials built in Python, so a bad value fails here, clearly.
            crate::build_credentials(
                c.access_key_id().to_owned(),
                c.secret_access_key().to_owned(),
                c.session_token().map(str::to_owned),
                c.expiry(),
            )
            .map_err(|e| {
                CredentialsError::new_err(format!(
                    "the credential chain returned invalid credentials: {e}"
                ))
            })
        }
        Err(e) => Err(CredentialsError::new_err(e.to_string())),
    }
}
