//! Credentials from environment variables.

use sigv4::{AmzDate, Credentials};

use crate::util::BoxFuture;
use crate::{
    CredentialsError, CredentialsResult, ProvideCredentials, ProvidedCredentials, ProviderContext,
};

const NAME: &str = "Environment";

/// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`
/// (or, when that is unset, the legacy `AWS_SECURITY_TOKEN`, as botocore does),
/// `AWS_CREDENTIAL_EXPIRATION` (RFC 3339) and `AWS_ACCOUNT_ID`.
///
/// Blank values count as absent. Not configured when the access key id is
/// absent; an access key id without a secret is an error.
///
/// ```
/// use sigv4_credentials::{Env, EnvironmentProvider, ProviderContext, ProvideCredentials};
/// # async fn demo() {
/// let ctx = ProviderContext::default()
///     .with_env(Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", "SECRET")]));
/// let creds = EnvironmentProvider::new(ctx).provide_credentials().await.unwrap();
/// assert_eq!(creds.access_key_id(), "AKID");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EnvironmentProvider {
    ctx: ProviderContext,
}

impl EnvironmentProvider {
    /// A provider reading `ctx`'s environment.
    pub fn new(ctx: ProviderContext) -> Self {
        EnvironmentProvider { ctx }
    }

    /// Reads the variables now.
    pub fn load(&self) -> CredentialsResult {
        let env = self.ctx.env();
        let Some(akid) = env.get_non_blank("AWS_ACCESS_KEY_ID") else {
            return Err(CredentialsError::not_configured(
                NAME,
                "AWS_ACCESS_KEY_ID is not set",
            ));
        };
        let secret = env.get_non_blank("AWS_SECRET_ACCESS_KEY").ok_or_else(|| {
            CredentialsError::invalid_configuration(
                NAME,
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both or neither",
            )
        })?;
        let token = env
            .get_non_blank("AWS_SESSION_TOKEN")
            .or_else(|| env.get_non_blank("AWS_SECURITY_TOKEN"));
        let expiry = match env.get_non_blank("AWS_CREDENTIAL_EXPIRATION") {
            None => None,
            Some(v) => Some(
                AmzDate::parse_rfc3339(&v)
                    .ok_or_else(|| {
                        CredentialsError::invalid_configuration(
                            NAME,
                            format!(
                                "AWS_CREDENTIAL_EXPIRATION {v:?} is not an RFC 3339 UTC time such as 2030-01-01T00:00:00Z"
                            ),
                        )
                    })?
                    .to_system_time(),
            ),
        };
        Ok(
            ProvidedCredentials::new(Credentials::new(akid, secret, token, expiry), NAME)
                .with_account_id(env.get_non_blank("AWS_ACCOUNT_ID")),
        )
    }
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        let r = self.load();
        Box::pin(async move { r })
    }
    fn name(&self) -> &'static str {
        NAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Env;

    fn load(pairs: &[(&str, &str)]) -> CredentialsResult {
        EnvironmentProvider::new(
            ProviderContext::default().with_env(Env::from_pairs(pairs.iter().copied())),
        )
        .load()
    }

    #[test]
    fn blank_is_absent() {
        assert!(
            load(&[("AWS_ACCESS_KEY_ID", " "), ("AWS_SECRET_ACCESS_KEY", "x")])
                .unwrap_err()
                .is_not_configured()
        );
        let e = load(&[("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "")]).unwrap_err();
        assert!(!e.is_not_configured());
        let c = load(&[
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_SECRET_ACCESS_KEY", "b"),
            ("AWS_SESSION_TOKEN", ""),
            ("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z"),
        ])
        .unwrap();
        assert_eq!(c.session_token(), None);
        assert!(c.expiry().is_some());
        let e = load(&[
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_SECRET_ACCESS_KEY", "SECRETVALUE"),
            ("AWS_CREDENTIAL_EXPIRATION", "tomorrow"),
        ])
        .unwrap_err();
        assert!(!e.to_string().contains("SECRETVALUE"));
    }

    #[test]
    fn legacy_security_token_is_the_fallback_for_the_session_token() {
        let keys = [("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let pairs: Vec<_> = keys.iter().chain(extra).copied().collect();
            load(&pairs).unwrap().session_token().map(str::to_string)
        };
        assert_eq!(
            with(&[("AWS_SECURITY_TOKEN", "legacy")]).as_deref(),
            Some("legacy")
        );
        assert_eq!(
            with(&[
                ("AWS_SESSION_TOKEN", "new"),
                ("AWS_SECURITY_TOKEN", "legacy")
            ])
            .as_deref(),
            Some("new")
        );
        assert_eq!(
            with(&[("AWS_SESSION_TOKEN", " "), ("AWS_SECURITY_TOKEN", "legacy")]).as_deref(),
            Some("legacy")
        );
        assert_eq!(with(&[]), None);
    }
}
