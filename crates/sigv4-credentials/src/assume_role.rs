//! A standalone `AssumeRole` provider: any source provider's credentials
//! exchanged for a role's.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::endpoint::{resolve_endpoint, resolve_region, Service};
use crate::profile::MfaTokenCallback;
use crate::profile_file::ProfileSet;
use crate::sts::{assume_role, AssumeRoleParams};
use crate::util::BoxFuture;
use crate::{CredentialsError, CredentialsResult, ProvideCredentials, ProviderContext};

const NAME: &str = "AssumeRole";

/// Assumes a role with credentials from another provider, calling STS
/// `AssumeRole` (signed with [`sigv4::Signer`]) on every call; wrap it in a
/// cache to reuse the result.
///
/// The region is [`with_region`](Self::with_region), else the usual
/// resolution (`AWS_REGION`, the profile), else `us-east-1`; the endpoint
/// follows [`crate::endpoint::resolve_endpoint`].
///
/// ```
/// use std::sync::Arc;
/// use sigv4_credentials::{AssumeRoleProvider, ProviderContext, StaticProvider};
/// let source = StaticProvider::new(sigv4::Credentials::new("AKID", "SECRET", None, None));
/// let role = AssumeRoleProvider::new(ProviderContext::default(), Arc::new(source), "arn:aws:iam::123456789012:role/reader")
///     .with_session_name("my-app")
///     .with_region("eu-west-1");
/// # let _ = role;
/// ```
#[derive(Clone)]
pub struct AssumeRoleProvider {
    ctx: ProviderContext,
    source: Arc<dyn ProvideCredentials>,
    params: AssumeRoleParams,
    region: Option<String>,
    mfa: Option<MfaTokenCallback>,
}

impl fmt::Debug for AssumeRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleProvider")
            .field("source", &self.source.name())
            .field("params", &self.params)
            .field("region", &self.region)
            .field("mfa", &self.mfa.is_some())
            .finish()
    }
}

impl AssumeRoleProvider {
    /// Assumes `role_arn` with credentials from `source`.
    pub fn new(
        ctx: ProviderContext,
        source: Arc<dyn ProvideCredentials>,
        role_arn: impl Into<String>,
    ) -> Self {
        AssumeRoleProvider {
            ctx,
            source,
            params: AssumeRoleParams {
                role_arn: role_arn.into(),
                ..Default::default()
            },
            region: None,
            mfa: None,
        }
    }

    /// Sets the session name (generated from the time otherwise).
    pub fn with_session_name(mut self, name: impl Into<String>) -> Self {
        self.params.role_session_name = Some(name.into());
        self
    }

    /// Sets the external id the role's trust policy requires.
    pub fn with_external_id(mut self, id: impl Into<String>) -> Self {
        self.params.external_id = Some(id.into());
        self
    }

    /// Asks for credentials lasting `seconds`.
    pub fn with_duration_seconds(mut self, seconds: u32) -> Self {
        self.params.duration_seconds = Some(seconds);
        self
    }

    /// Uses this STS region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sends an MFA code from `callback` with the device `serial`.
    pub fn with_mfa(mut self, serial: impl Into<String>, callback: MfaTokenCallback) -> Self {
        self.params.mfa_serial = Some(serial.into());
        self.mfa = Some(callback);
        self
    }

    async fn load(&self) -> CredentialsResult {
        let source = self
            .source
            .provide_credentials()
            .await
            .map_err(|e| e.context(NAME, "loading the source credentials"))?;
        let profiles = ProfileSet::load(&self.ctx).ok();
        let region = self
            .region
            .clone()
            .or_else(|| resolve_region(&self.ctx, profiles.as_ref()))
            .unwrap_or_else(|| "us-east-1".into());
        let endpoint = resolve_endpoint(&self.ctx, profiles.as_ref(), Service::Sts, &region);
        let mfa = match (&self.params.mfa_serial, &self.mfa) {
            (Some(serial), Some(cb)) => Some(Zeroizing::new(cb(serial).map_err(|m| {
                CredentialsError::provider_error(
                    NAME,
                    format!("the MFA token callback failed: {m}"),
                )
            })?)),
            _ => None,
        };
        assume_role(
            &self.ctx,
            &endpoint,
            &region,
            source.credentials(),
            &self.params,
            mfa.as_ref().map(|m| m.as_str()),
        )
        .await
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.load())
    }
    fn name(&self) -> &'static str {
        NAME
    }
}
