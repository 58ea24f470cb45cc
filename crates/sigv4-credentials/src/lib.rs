//! # sigv4-rs-credentials
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
//!
//! ## The default chain
//!
//! [`DefaultChain`] asks, in the AWS SDK order:
//!
//! 1. [`EnvironmentProvider`], from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//!    `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION`, `AWS_ACCOUNT_ID`
//!    (blank values count as absent);
//! 2. [`ProfileProvider`], from the profile selected by `--profile`
//!    ([`ProviderContext::with_profile_name`]) or `AWS_PROFILE` in
//!    `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/config`
//!    and `~/.aws/credentials`): static keys, `role_arn` with `source_profile`
//!    or `credential_source`, `credential_process`, SSO (`sso_session`, refreshed
//!    by [`SsoTokenProvider`], or the legacy keys), console login
//!    (`login_session`, [`LoginProvider`]), `web_identity_token_file`;
//! 3. [`WebIdentityProvider::from_env`], from `AWS_WEB_IDENTITY_TOKEN_FILE`,
//!    `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME`;
//! 4. [`ContainerProvider`], from `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` /
//!    `AWS_CONTAINER_CREDENTIALS_FULL_URI`;
//! 5. [`ImdsProvider`], from EC2 instance metadata (IMDSv2).
//!
//! ## Bearer tokens
//!
//! Services that take `Authorization: Bearer` instead of SigV4 get a
//! [`Token`] from a [`ProvideToken`]: [`TokenChain::default_chain`] (the
//! selected profile's `sso_session` token, refreshed through SSO-OIDC by
//! [`SsoTokenProvider`]) or a [`StaticTokenProvider`]. `sigv4-rs-http` applies
//! it with its bearer signer.
//!
//! When nothing has credentials, the chain answers
//! [`CredentialsError::NoCredentials`], listing each provider asked and why.
//!
//! STS, SSO, SSO-OIDC and Sign-In endpoints follow `AWS_ENDPOINT_URL_STS` /
//! `_SSO` / `_SSO_OIDC` / `_SIGNIN`, a profile's `[services]` section,
//! `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, then the regional AWS
//! endpoint (with FIPS / dual-stack settings, and `sts_regional_endpoints`
//! for STS); see [`endpoint`].
//!
//! Also here: [`s3express`], sessions for S3 Express One Zone directory buckets
//! (CreateSession, cached and refreshed like credentials), and [`clock_skew`], per-endpoint
//! clock offsets learned from servers that refuse a request's time.
//!
//! ```no_run
//! use sigv4_credentials::{DefaultChain, ProviderContext, ProvideCredentials};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let ctx = ProviderContext::default().with_profile_name("dev");
//! let creds = DefaultChain::new(ctx).provide_credentials().await?;
//! let signer = sigv4::Signer::new("us-east-1", "sts")?;
//! let mut req = http::Request::post("https://sts.us-east-1.amazonaws.com/")
//!     .body(b"Action=GetCallerIdentity&Version=2011-06-15".to_vec())?;
//! signer.sign_http_request(&mut req, creds.credentials(), std::time::SystemTime::now())?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// This crate's README examples, compiled and run as doctests (the README is in the package).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

mod assume_role;
pub mod build_info;
pub mod cache;
pub mod clock_skew;
pub mod container;
mod context;
mod default_chain;
pub mod endpoint;
mod environment;
mod error;
pub mod http;
pub mod imds;
mod login;
mod process;
pub mod profile;
pub mod profile_file;
mod provider;
pub mod region;
pub mod s3express;
mod sso;
mod sso_token;
mod sts;
mod token;
mod token_chain;
mod util;
mod web_identity;

pub use assume_role::AssumeRoleProvider;
pub use cache::{CachedProvider, CachedProviderBuilder};
pub use container::{ContainerOptions, ContainerProvider};
pub use context::{
    AsyncSleep, Env, FixedClock, Fs, MemoryFs, OsFs, ProviderContext, RootedFs, SystemClock,
    TimeSource, TokioSleep,
};
pub use default_chain::{DefaultChain, DefaultChainBuilder};
pub use environment::EnvironmentProvider;
pub use error::{BoxError, CredentialsError, ProviderSkip};
pub use http::{HttpClient, HttpError, HttpRequestOptions};
pub use imds::{ImdsOptions, ImdsProvider};
pub use login::LoginProvider;
pub use process::CredentialProcessProvider;
pub use profile::ProfileProvider;
pub use provider::{
    ChainProvider, CredentialsResult, ProvideCredentials, ProvidedCredentials, StaticProvider,
};
pub use region::{RegionChain, RegionError, RegionSource, ResolvedRegion};
pub use sso::{SsoConfig, SsoProvider};
pub use sso_token::SsoTokenProvider;
pub use sts::AssumeRoleParams;
pub use token::{ProvideToken, StaticTokenProvider, Token, TokenResult};
pub use token_chain::{ProfileTokenProvider, TokenChain};
pub use util::BoxFuture;
pub use web_identity::{WebIdentityConfig, WebIdentityProvider};
