//! One credential source at a time, for `sigv4.providers` (PyPI `sigv4`'s per-source
//! modules `env`, `config_file`, `container`, `imds` and `web_identity`).
//!
//! Each source is the `sigv4-rs-credentials` provider the default chain uses (`chain.rs`);
//! this module only runs it and reports the outcome as `(credentials, kind, message)`:
//! credentials and no kind on success, otherwise no credentials, a kind (`not_configured`,
//! `unparsable`, `uri_not_allowed`, `token_file`, `invalid_configuration`, `provider_error`,
//! `timeout`, `invalid_response`) and the provider's message (never a secret). The Python
//! modules turn that into the original's answers (`None` or its exception and message).

use std::sync::Arc;

use pyo3::prelude::*;
use sigv4_credentials::container::ContainerProvider;
use sigv4_credentials::imds::ImdsProvider;
use sigv4_credentials::profile_file::ProfileSet;
use sigv4_credentials::{
    CredentialsError, CredentialsResult, Env, EnvironmentProvider, ProvideCredentials,
    ProviderContext, WebIdentityConfig, WebIdentityProvider,
};

use crate::credentials::PyCredentials;

/// What `load_source` returns to Python.
type Outcome = (Option<PyCredentials>, Option<&'static str>, Option<String>);

/// The outcome of a provider's failure: its kind and message.
struct Failure(&'static str, String);

impl From<CredentialsError> for Failure {
    fn from(e: CredentialsError) -> Self {
        let kind = match &e {
            e if e.is_not_configured() => "not_configured",
            CredentialsError::InvalidConfiguration { .. } => "invalid_configuration",
            CredentialsError::Timeout { .. } => "timeout",
            CredentialsError::InvalidResponse { .. } => "invalid_response",
            _ => "provider_error",
        };
        Failure(kind, e.to_string())
    }
}

/// Explicit settings of PyPI `sigv4`'s `WebIdentityProvider(...)`; each falls back to its
/// environment variable.
#[derive(Default)]
struct WebIdentityArgs {
    token_file: Option<String>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    sts_endpoint: Option<String>,
}

/// Loads credentials from one source. Runs without the GIL.
#[pyfunction]
#[pyo3(signature = (source, *, token_file=None, role_arn=None, role_session_name=None, sts_endpoint=None))]
pub(crate) fn load_source(
    py: Python<'_>,
    source: &str,
    token_file: Option<String>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    sts_endpoint: Option<String>,
) -> PyResult<Outcome> {
    let args = WebIdentityArgs {
        token_file,
        role_arn,
        role_session_name,
        sts_endpoint,
    };
    let source = match source {
        "env" | "config_file" | "container" | "imds" | "web_identity" => source.to_string(),
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown credential source {other:?}"
            )))
        }
    };
    let result = py.detach(move || {
        crate::chain::block_on(load(&source, args))
            .map_err(|e| Failure("provider_error", e))
            .and_then(|r| r)
    });
    Ok(match result {
        Ok(c) => (
            Some(PyCredentials::from_arc(Arc::new(c.into_credentials()))),
            None,
            None,
        ),
        Err(Failure(kind, message)) => (None, Some(kind), Some(message)),
    })
}

async fn load(
    source: &str,
    args: WebIdentityArgs,
) -> Result<sigv4_credentials::ProvidedCredentials, Failure> {
    let ctx = ProviderContext::default();
    let result: CredentialsResult = match source {
        "env" => EnvironmentProvider::new(ctx).load(),
        "config_file" => return config_file(ctx).await,
        "container" => return container(ctx).await,
        "imds" => ImdsProvider::new(ctx).provide_credentials().await,
        _ => return web_identity(ctx, args).await,
    };
    result.map_err(Failure::from)
}

/// The profile provider of the chain. A file that cannot be read or parsed is `unparsable`;
/// a profile that is not in the files is not configured (the original answers `None`).
async fn config_file(
    ctx: ProviderContext,
) -> Result<sigv4_credentials::ProvidedCredentials, Failure> {
    let set = ProfileSet::load(&ctx).map_err(|e| Failure("unparsable", e.to_string()))?;
    if set.selected().is_none() {
        let name = set.selected_name();
        return Err(Failure(
            "not_configured",
            format!("profile `{name}` is not defined in the config or credentials file"),
        ));
    }
    let container: Arc<dyn ProvideCredentials> = Arc::new(ContainerProvider::new(ctx.clone()));
    let imds: Arc<dyn ProvideCredentials> = Arc::new(ImdsProvider::new(ctx.clone()));
    let profile = crate::chain::profile_provider(&ctx, &container, &imds);
    Ok(profile.provide_credentials().await?)
}

/// The container provider, accepting a response without `Expiration` as the original does.
/// A full URI the provider does not allow is `uri_not_allowed` (the original answers `None`).
async fn container(
    ctx: ProviderContext,
) -> Result<sigv4_credentials::ProvidedCredentials, Failure> {
    let provider = ContainerProvider::new(ctx).with_optional_expiration();
    if let Err(e) = provider.resolve_uri().await {
        let failure = Failure::from(e);
        return Err(match failure.0 {
            "not_configured" => failure,
            _ => Failure("uri_not_allowed", failure.1),
        });
    }
    Ok(provider.provide_credentials().await?)
}

/// The web identity provider: from the environment, or from explicit settings (each falling
/// back to its variable). An explicit `sts_endpoint` is the STS endpoint override
/// (`AWS_ENDPOINT_URL_STS`) of this call's environment, so it is always used. A token file
/// that cannot be read is `token_file`.
async fn web_identity(
    mut ctx: ProviderContext,
    args: WebIdentityArgs,
) -> Result<sigv4_credentials::ProvidedCredentials, Failure> {
    if let Some(endpoint) = &args.sts_endpoint {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| {
                !k.starts_with("AWS_ENDPOINT_URL") && k != "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
            })
            .chain([("AWS_ENDPOINT_URL_STS".to_string(), endpoint.clone())]);
        ctx = ctx.with_env(Env::from_pairs(vars));
    }
    let provider = if args.token_file.is_none() && args.role_arn.is_none() {
        WebIdentityProvider::from_env(ctx.clone())
    } else {
        let env = ctx.env().clone();
        let (Some(file), Some(role)) = (
            args.token_file
                .or_else(|| env.get_non_blank("AWS_WEB_IDENTITY_TOKEN_FILE")),
            args.role_arn.or_else(|| env.get_non_blank("AWS_ROLE_ARN")),
        ) else {
            return Err(Failure(
                "not_configured",
                "a web identity token file and a role ARN are both needed".to_string(),
            ));
        };
        let config = WebIdentityConfig {
            web_identity_token_file: file,
            role_arn: role,
            role_session_name: args
                .role_session_name
                .or_else(|| env.get_non_blank("AWS_ROLE_SESSION_NAME")),
        };
        WebIdentityProvider::from_config(ctx.clone(), config)
    };
    provider.provide_credentials().await.map_err(|e| {
        let failure = Failure::from(e);
        // The token file is read before anything is sent; its failure names the file.
        if failure.0 == "provider_error" && failure.1.contains("web identity token file") {
            Failure("token_file", failure.1)
        } else {
            failure
        }
    })
}
