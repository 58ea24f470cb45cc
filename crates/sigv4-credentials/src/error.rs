//! The error type every credential provider returns.

use std::error::Error as StdError;
use std::time::Duration;

/// A boxed error cause, kept for `source()` chains.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// One provider of a chain that had nothing to offer, and why (see
/// [`CredentialsError::NoCredentials`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSkip {
    /// The provider's name (`Environment`, `Profile`, `WebIdentityToken`,
    /// `EcsContainer`, `Ec2InstanceMetadata`, ...).
    pub provider: &'static str,
    /// What it looked for and did not find (never a secret).
    pub reason: String,
}

impl std::fmt::Display for ProviderSkip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.provider, self.reason)
    }
}

fn tried_list(tried: &[ProviderSkip]) -> String {
    if tried.is_empty() {
        return "no providers in the chain".to_string();
    }
    tried
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {t}", i + 1))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a provider could not produce credentials.
///
/// The kind tells a chain what to do: [`NotConfigured`](Self::NotConfigured)
/// means "this provider has nothing to offer here, try the next one"; every
/// other kind means the provider *was* configured but failed, and a chain stops
/// with that error (so a typo does not silently fall through to another source).
///
/// Messages say what to fix and never contain secret material (keys, session
/// tokens, SSO or web identity tokens).
///
/// Each message includes its cause's; [`source`](StdError::source) reports only what the
/// message does not already say, so a chain prints each cause once.
#[derive(Debug)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider is not set up in this environment (no variables, no
    /// profile, no metadata service ...). Chains skip it.
    NotConfigured {
        /// Which provider.
        provider: &'static str,
        /// What it looked for.
        reason: String,
    },
    /// A chain asked every provider and none had credentials: `tried` says,
    /// in order, what each looked for. Like
    /// [`NotConfigured`](Self::NotConfigured), an outer chain skips it.
    ///
    /// ```
    /// use sigv4_credentials::{CredentialsError, ProviderSkip};
    /// let e = CredentialsError::NoCredentials {
    ///     tried: vec![ProviderSkip { provider: "Environment", reason: "AWS_ACCESS_KEY_ID is not set".into() }],
    /// };
    /// assert!(e.is_not_configured());
    /// assert_eq!(e.tried().unwrap()[0].provider, "Environment");
    /// assert!(e.to_string().contains("1. Environment: AWS_ACCESS_KEY_ID is not set"));
    /// ```
    NoCredentials {
        /// Each provider asked, in order, and why it gave nothing.
        tried: Vec<ProviderSkip>,
    },
    /// The provider is set up, but its configuration is wrong (for example a
    /// profile file that does not parse, or a `role_arn` with no source).
    InvalidConfiguration {
        /// Which provider.
        provider: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The provider is set up but fetching credentials failed (a service error,
    /// an unreadable file, a process that exited non-zero ...).
    ProviderError {
        /// Which provider.
        provider: &'static str,
        /// What went wrong.
        message: String,
        /// The underlying cause, if any (reported by `source()` only for what `message`
        /// does not already say).
        source: Option<BoxError>,
    },
    /// The provider did not answer in time.
    Timeout {
        /// Which provider.
        provider: &'static str,
        /// How long it waited.
        after: Duration,
        /// What was being waited for.
        message: String,
    },
    /// A response could not be understood (bad JSON/XML, missing fields).
    InvalidResponse {
        /// Which provider.
        provider: &'static str,
        /// What was wrong with it.
        message: String,
    },
}

impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialsError::NotConfigured { reason, .. } => {
                write!(f, "the credential provider was not enabled: {reason}")
            }
            CredentialsError::NoCredentials { tried } => write!(
                f,
                "the credential provider was not enabled: no AWS credentials found; tried, in order: {}. \
                 Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile in ~/.aws/config \
                 (`aws configure`, `aws configure sso` or `aws login`) and select it with --profile or AWS_PROFILE",
                tried_list(tried)
            ),
            CredentialsError::InvalidConfiguration { provider, message } => {
                write!(f, "invalid credentials configuration ({provider}): {message}")
            }
            CredentialsError::ProviderError { message, .. } => {
                write!(f, "an error occurred while loading credentials: {message}")
            }
            CredentialsError::Timeout {
                provider,
                after,
                message,
            } => write!(
                f,
                "timed out after {after:?} while loading credentials ({provider}): {message}"
            ),
            CredentialsError::InvalidResponse { provider, message } => write!(
                f,
                "unexpected response while loading credentials ({provider}): {message}"
            ),
        }
    }
}

impl StdError for CredentialsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            CredentialsError::ProviderError {
                source: Some(source),
                ..
            } => sigv4::error_chain::unshown_source(&self.to_string(), &**source),
            _ => None,
        }
    }
}

impl CredentialsError {
    /// A [`NotConfigured`](Self::NotConfigured) error.
    pub fn not_configured(provider: &'static str, reason: impl Into<String>) -> Self {
        CredentialsError::NotConfigured {
            provider,
            reason: reason.into(),
        }
    }

    /// An [`InvalidConfiguration`](Self::InvalidConfiguration) error.
    pub fn invalid_configuration(provider: &'static str, message: impl Into<String>) -> Self {
        CredentialsError::InvalidConfiguration {
            provider,
            message: message.into(),
        }
    }

    /// A [`ProviderError`](Self::ProviderError) without a separate cause.
    pub fn provider_error(provider: &'static str, message: impl Into<String>) -> Self {
        CredentialsError::ProviderError {
            provider,
            message: message.into(),
            source: None,
        }
    }

    /// A [`ProviderError`](Self::ProviderError) with a cause. The cause's
    /// message is appended to `message` so it is visible in `Display` too.
    pub fn provider_error_with(
        provider: &'static str,
        message: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        let source = source.into();
        CredentialsError::ProviderError {
            provider,
            message: format!("{}: {}", message.into(), source),
            source: Some(source),
        }
    }

    /// A [`Timeout`](Self::Timeout) error.
    pub fn timeout(provider: &'static str, after: Duration, message: impl Into<String>) -> Self {
        CredentialsError::Timeout {
            provider,
            after,
            message: message.into(),
        }
    }

    /// An [`InvalidResponse`](Self::InvalidResponse) error.
    pub fn invalid_response(provider: &'static str, message: impl Into<String>) -> Self {
        CredentialsError::InvalidResponse {
            provider,
            message: message.into(),
        }
    }

    /// Whether a chain should skip this provider and try the next one
    /// ([`NotConfigured`](Self::NotConfigured) or
    /// [`NoCredentials`](Self::NoCredentials)).
    pub fn is_not_configured(&self) -> bool {
        matches!(
            self,
            CredentialsError::NotConfigured { .. } | CredentialsError::NoCredentials { .. }
        )
    }

    /// For [`NoCredentials`](Self::NoCredentials): every provider tried, in
    /// order, and why it gave nothing.
    pub fn tried(&self) -> Option<&[ProviderSkip]> {
        match self {
            CredentialsError::NoCredentials { tried } => Some(tried),
            _ => None,
        }
    }

    /// The name of the provider that failed.
    pub fn provider(&self) -> &'static str {
        match self {
            CredentialsError::NoCredentials { .. } => "Chain",
            CredentialsError::NotConfigured { provider, .. }
            | CredentialsError::InvalidConfiguration { provider, .. }
            | CredentialsError::ProviderError { provider, .. }
            | CredentialsError::Timeout { provider, .. }
            | CredentialsError::InvalidResponse { provider, .. } => provider,
        }
    }

    /// Re-labels a failure of an inner provider as a failure of `outer`
    /// (keeping its kind), prefixing `context` to the message. Used when one
    /// provider runs another (a profile chain running the environment
    /// provider as a `credential_source`).
    pub fn context(self, outer: &'static str, context: &str) -> Self {
        match self {
            CredentialsError::NotConfigured { reason, .. } => CredentialsError::ProviderError {
                provider: outer,
                message: format!("{context}: the credential provider was not enabled: {reason}"),
                source: None,
            },
            e @ CredentialsError::NoCredentials { .. } => CredentialsError::ProviderError {
                provider: outer,
                message: format!("{context}: {e}"),
                source: None,
            },
            CredentialsError::InvalidConfiguration { message, .. } => {
                CredentialsError::InvalidConfiguration {
                    provider: outer,
                    message: format!("{context}: {message}"),
                }
            }
            CredentialsError::ProviderError {
                message, source, ..
            } => CredentialsError::ProviderError {
                provider: outer,
                message: format!("{context}: {message}"),
                source,
            },
            CredentialsError::Timeout { after, message, .. } => CredentialsError::Timeout {
                provider: outer,
                after,
                message: format!("{context}: {message}"),
            },
            CredentialsError::InvalidResponse { message, .. } => {
                CredentialsError::InvalidResponse {
                    provider: outer,
                    message: format!("{context}: {message}"),
                }
            }
        }
    }
}

/// A copy of an error for every waiter of a shared refresh (the cache's): the source error
/// is not kept.
pub(crate) fn clone_error(e: &CredentialsError) -> CredentialsError {
    match e {
        CredentialsError::NotConfigured { provider, reason } => CredentialsError::NotConfigured {
            provider,
            reason: reason.clone(),
        },
        CredentialsError::NoCredentials { tried } => CredentialsError::NoCredentials {
            tried: tried.clone(),
        },
        CredentialsError::InvalidConfiguration { provider, message } => {
            CredentialsError::InvalidConfiguration {
                provider,
                message: message.clone(),
            }
        }
        CredentialsError::ProviderError {
            provider, message, ..
        } => CredentialsError::ProviderError {
            provider,
            message: message.clone(),
            source: None,
        },
        CredentialsError::Timeout {
            provider,
            after,
            message,
        } => CredentialsError::Timeout {
            provider,
            after: *after,
            message: message.clone(),
        },
        CredentialsError::InvalidResponse { provider, message } => {
            CredentialsError::InvalidResponse {
                provider,
                message: message.clone(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages() {
        let e = CredentialsError::not_configured("Environment", "AWS_ACCESS_KEY_ID is not set");
        assert!(e.is_not_configured());
        assert_eq!(e.provider(), "Environment");
        assert!(e
            .to_string()
            .contains("the credential provider was not enabled"));
        let e = e.context("Profile", "credential_source Environment");
        assert!(!e.is_not_configured());
        assert!(e.to_string().contains("provider was not enabled"));
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = CredentialsError::provider_error_with("X", "failed to read `/a`", io);
        assert_eq!(
            e.to_string(),
            "an error occurred while loading credentials: failed to read `/a`: gone"
        );
        // The message already says "gone": `source()` does not report it a second time.
        assert!(StdError::source(&e).is_none());
    }
}
