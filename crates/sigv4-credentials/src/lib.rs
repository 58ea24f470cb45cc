//! # sigv4-credentials
//!
//! Where the [`sigv4`] signer gets its credentials: the standard AWS provider
//! chain (environment, shared profile files with assume-role / SSO /
//! `credential_process`, web identity, container and instance metadata), each
//! provider usable on its own.
//!
//! Everything a provider reads from the outside world (environment variables,
//! files, HTTP, the clock, sleeping) comes from one injected
//! [`ProviderContext`], so every provider can be tested against fakes.
//!
//! Providers return [`ProvidedCredentials`]: [`sigv4::Credentials`] plus the
//! account id and the name of the provider that answered. Errors are
//! [`CredentialsError`]; a [`ChainProvider`] skips providers that are
//! [not configured](CredentialsError::NotConfigured) and stops at the first
//! one that is configured but fails.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod container;
mod context;
mod default_chain;
pub mod endpoint;
mod environment;
mod error;
pub mod http;
pub mod imds;
mod process;
pub mod profile;
pub mod profile_file;
mod provider;
mod sso;
mod sts;
mod web_identity;

pub use cache::{CachedProvider, CachedProviderBuilder};
pub use container::{ContainerOptions, ContainerProvider};
pub use context::{
    AsyncSleep, BoxFuture, Env, FixedClock, Fs, MemoryFs, OsFs, ProviderContext, RootedFs,
    SystemClock, TimeSource, TokioSleep,
};
pub use default_chain::{DefaultChain, DefaultChainBuilder};
pub use environment::EnvironmentProvider;
pub use error::{BoxError, CredentialsError};
pub use http::{HttpClient, HttpError, HttpRequestOptions};
pub use imds::{ImdsOptions, ImdsProvider};
pub use process::CredentialProcessProvider;
pub use profile::ProfileProvider;
pub use provider::{
    ChainProvider, CredentialsResult, ProvideCredentials, ProvidedCredentials, StaticProvider,
};
pub use sso::{SsoConfig, SsoProvider};
pub use sts::AssumeRoleParams;
pub use web_identity::{WebIdentityConfig, WebIdentityProvider};
