//! The provider trait, the credentials it returns, and chains of providers.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::SystemTime;

use sigv4::Credentials;

use crate::error::ProviderSkip;
use crate::util::BoxFuture;
use crate::CredentialsError;

/// The result type of providers.
pub type CredentialsResult = Result<ProvidedCredentials, CredentialsError>;

/// Credentials plus what a provider knows about them: the account they
/// belong to (when the source says) and which provider answered.
///
/// Dereferences to [`sigv4::Credentials`], so it can be passed to the signer
/// with `&*provided` or `provided.credentials()`. `Debug` redacts secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct ProvidedCredentials {
    credentials: Credentials,
    provider: &'static str,
}

impl ProvidedCredentials {
    /// Wraps `credentials` as coming from `provider`.
    pub fn new(credentials: Credentials, provider: &'static str) -> Self {
        ProvidedCredentials {
            credentials,
            provider,
        }
    }

    /// Sets the AWS account id (kept on the [`Credentials`] themselves, so it
    /// survives [`into_credentials`](Self::into_credentials)). `None` keeps
    /// the id the credentials already carry.
    pub fn with_account_id(mut self, account_id: Option<String>) -> Self {
        if account_id.as_deref().is_some_and(|a| !a.trim().is_empty()) {
            self.credentials = self.credentials.with_account_id(account_id);
        }
        self
    }

    /// Changes the provider name (a chain reports the provider that answered).
    pub fn with_provider(mut self, provider: &'static str) -> Self {
        self.provider = provider;
        self
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Unwraps the credentials.
    pub fn into_credentials(self) -> Credentials {
        self.credentials
    }

    /// The AWS account id, if the source gave one.
    pub fn account_id(&self) -> Option<&str> {
        self.credentials.account_id()
    }

    /// The name of the provider that produced these credentials.
    pub fn provider_name(&self) -> &'static str {
        self.provider
    }

    /// When the credentials expire, if they are temporary.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.credentials.expiry()
    }
}

impl Deref for ProvidedCredentials {
    type Target = Credentials;
    fn deref(&self) -> &Credentials {
        &self.credentials
    }
}

impl fmt::Debug for ProvidedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvidedCredentials")
            .field("credentials", &self.credentials)
            .field("provider", &self.provider)
            .finish()
    }
}

/// Something that can produce AWS credentials, asynchronously.
///
/// Object safe: chains hold `Arc<dyn ProvideCredentials>`.
///
/// ```
/// use sigv4_credentials::{ProvideCredentials, StaticProvider};
/// # async fn demo() {
/// let p = StaticProvider::new(sigv4::Credentials::new("AKID", "SECRET", None, None));
/// let creds = p.provide_credentials().await.unwrap();
/// assert_eq!(creds.access_key_id(), "AKID");
/// # }
/// ```
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Fetches (or returns cached) credentials.
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult>;

    /// A short name for logs and errors.
    fn name(&self) -> &'static str;
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        (**self).provide_credentials()
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Box<T> {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        (**self).provide_credentials()
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
}

/// Fixed credentials.
#[derive(Clone, Debug)]
pub struct StaticProvider {
    credentials: ProvidedCredentials,
}

impl StaticProvider {
    /// Always returns `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        StaticProvider {
            credentials: ProvidedCredentials::new(credentials, "Static"),
        }
    }

    /// Always returns `credentials` with their account id.
    pub fn from_provided(credentials: ProvidedCredentials) -> Self {
        StaticProvider { credentials }
    }
}

impl ProvideCredentials for StaticProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        let c = self.credentials.clone();
        Box::pin(async move { Ok(c) })
    }
    fn name(&self) -> &'static str {
        "Static"
    }
}

/// Tries providers in order: a provider that is not configured
/// ([`CredentialsError::NotConfigured`]) is skipped; the first one that
/// answers wins; a provider that is configured but fails stops the chain with
/// its error.
#[derive(Clone, Debug, Default)]
pub struct ChainProvider {
    providers: Vec<Arc<dyn ProvideCredentials>>,
}

impl ChainProvider {
    /// An empty chain (answers `NotConfigured`).
    pub fn new() -> Self {
        ChainProvider::default()
    }

    /// Appends a provider.
    pub fn or_else(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.providers.push(Arc::new(provider));
        self
    }

    /// Appends a shared provider.
    pub fn or_else_shared(mut self, provider: Arc<dyn ProvideCredentials>) -> Self {
        self.providers.push(provider);
        self
    }

    /// The providers, in order.
    pub fn providers(&self) -> &[Arc<dyn ProvideCredentials>] {
        &self.providers
    }

    async fn resolve(&self) -> CredentialsResult {
        let mut tried = Vec::new();
        for p in &self.providers {
            match p.provide_credentials().await {
                Ok(c) => {
                    tracing::debug!(provider = p.name(), "credentials loaded");
                    return Ok(c);
                }
                Err(CredentialsError::NoCredentials { tried: inner }) => {
                    // A chain inside the chain: its providers count as ours.
                    tracing::debug!(
                        provider = p.name(),
                        "inner chain found nothing, trying the next provider"
                    );
                    tried.extend(inner);
                }
                Err(CredentialsError::NotConfigured { provider, reason }) => {
                    tracing::debug!(provider, reason = %reason, "provider not configured, trying the next one");
                    tried.push(ProviderSkip { provider, reason });
                }
                Err(e) => {
                    tracing::warn!(provider = p.name(), error = %e, "provider failed; stopping the chain");
                    return Err(e);
                }
            }
        }
        Err(CredentialsError::NoCredentials { tried })
    }
}

impl ProvideCredentials for ChainProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.resolve())
    }
    fn name(&self) -> &'static str {
        "Chain"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fails(bool);
    impl ProvideCredentials for Fails {
        fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
            let nc = self.0;
            Box::pin(async move {
                Err(if nc {
                    CredentialsError::not_configured("F", "nothing")
                } else {
                    CredentialsError::provider_error("F", "broken")
                })
            })
        }
        fn name(&self) -> &'static str {
            "F"
        }
    }

    #[tokio::test]
    async fn chain_skips_not_configured_and_stops_on_failure() {
        let ok = StaticProvider::new(Credentials::new("A", "B", None, None));
        let chain = ChainProvider::new()
            .or_else(Fails(true))
            .or_else(ok.clone());
        assert_eq!(
            chain.provide_credentials().await.unwrap().access_key_id(),
            "A"
        );
        let chain = ChainProvider::new().or_else(Fails(false)).or_else(ok);
        let err = chain.provide_credentials().await.unwrap_err();
        assert!(err.to_string().contains("broken"));
        let err = ChainProvider::new()
            .or_else(Fails(true))
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(err.is_not_configured());
        assert_eq!(
            err.tried().unwrap(),
            &[ProviderSkip {
                provider: "F",
                reason: "nothing".into()
            }]
        );
        // A chain inside a chain: one flat list, in order.
        let inner = ChainProvider::new().or_else(Fails(true));
        let err = ChainProvider::new()
            .or_else(inner)
            .or_else(Fails(true))
            .provide_credentials()
            .await
            .unwrap_err();
        assert_eq!(err.tried().unwrap().len(), 2);
        assert!(
            err.to_string().contains("1. F: nothing; 2. F: nothing"),
            "{err}"
        );
    }
}
