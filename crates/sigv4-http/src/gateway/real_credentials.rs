//! The gateway's real credentials: its own (the standard chain, a profile), or per key a
//! role assumed with them through STS, cached and refreshed before it expires.
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use sigv4_credentials::{
    AssumeRoleProvider, CachedProvider, CredentialsError, ProvideCredentials, ProvidedCredentials,
    ProviderContext,
};

/// Roles kept (per role and sandbox key) before the cache is emptied and refilled.
const MAX_ROLES: usize = 256;

/// The credentials that re-sign requests.
pub struct RealCredentials {
    base: Arc<dyn ProvideCredentials>,
    ctx: ProviderContext,
    roles: Mutex<HashMap<(String, String), Arc<CachedProvider>>>,
}

impl fmt::Debug for RealCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealCredentials")
            .field("base", &self.base.name())
            .finish_non_exhaustive()
    }
}

impl RealCredentials {
    /// Signs with `base` (wrap it in a [`CachedProvider`] to refresh temporary
    /// credentials); roles are assumed with `base` through STS as `ctx` resolves it
    /// (`AWS_ENDPOINT_URL_STS`, the profile, the regional endpoint).
    pub fn new(base: Arc<dyn ProvideCredentials>, ctx: ProviderContext) -> Self {
        RealCredentials {
            base,
            ctx,
            roles: Mutex::new(HashMap::new()),
        }
    }

    /// The credentials for a request of `access_key_id`: the base ones, or `role_arn`'s
    /// (one session per role and sandbox key, named after the key so that the upstream's
    /// logs show which sandbox acted).
    pub async fn get(
        &self,
        role_arn: Option<&str>,
        access_key_id: &str,
    ) -> Result<ProvidedCredentials, CredentialsError> {
        let Some(role) = role_arn else {
            return self.base.provide_credentials().await;
        };
        let provider = {
            let mut roles = self.roles.lock().unwrap_or_else(|p| p.into_inner());
            let key = (role.to_owned(), access_key_id.to_owned());
            if roles.len() >= MAX_ROLES && !roles.contains_key(&key) {
                roles.clear();
            }
            Arc::clone(roles.entry(key).or_insert_with(|| {
                let session: String = format!("sigv4-gateway-{access_key_id}")
                    .chars()
                    .take(64)
                    .collect();
                let assume =
                    AssumeRoleProvider::new(self.ctx.clone(), Arc::clone(&self.base), role)
                        .with_session_name(session);
                Arc::new(CachedProvider::new(assume))
            }))
        };
        provider.provide_credentials().await
    }
}
