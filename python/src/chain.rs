//! The credential chain behind `resolve_credentials()` and signers built without credentials.
//!
//! Environment variables only for now (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION`).

use pyo3::PyErr;
use sigv4::Credentials;

use crate::CredentialsError;

/// What the chain looks at, in order (exposed as `sigv4.CREDENTIAL_CHAIN`).
pub(crate) const DESCRIPTION: &str = "environment";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Resolves credentials once. Runs without the GIL.
pub(crate) fn resolve(profile: Option<&str>) -> Result<Credentials, PyErr> {
    if let Some(p) = profile {
        return Err(CredentialsError::new_err(format!(
            "profile {p:?} requested, but this build resolves credentials from the environment only \
             (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN)"
        )));
    }
    let (Some(ak), Some(sk)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) else {
        return Err(CredentialsError::new_err(
            "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass credentials explicitly",
        ));
    };
    let token = env("AWS_SESSION_TOKEN");
    let expiry = match env("AWS_CREDENTIAL_EXPIRATION") {
        None => None,
        Some(e) => Some(
            sigv4::AmzDate::parse_rfc3339(e.trim())
                .ok_or_else(|| {
                    CredentialsError::new_err(
                        "AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 time such as 2030-01-01T00:00:00Z",
                    )
                })?
                .to_system_time(),
        ),
    };
    crate::build_credentials(ak, sk, token, expiry)
        .map_err(|e| CredentialsError::new_err(format!("credentials from the environment are invalid: {e}")))
}
