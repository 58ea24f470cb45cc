//! Where the verifier finds the secret of an access key id.

use std::fmt;
use std::future::Future;

use crate::Credentials;

/// A failure of the credential store itself (not an unknown key, which is `Ok(None)`).
///
/// Its message is shown in [`VerifyError::CredentialLookup`](super::VerifyError::CredentialLookup); it must not contain secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError(pub String);

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LookupError {}

/// Finds the credentials of an access key id, synchronously.
///
/// Implemented for closures `Fn(&str) -> Option<Credentials>`. Return `Ok(None)` for an
/// unknown key. When the returned credentials have a session token, requests must carry
/// the same token; when they have an expiry, requests after it are refused.
pub trait CredentialLookup {
    /// The credentials of `access_key_id`, if it exists.
    fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError>;
}

impl<F> CredentialLookup for F
where
    F: Fn(&str) -> Option<Credentials>,
{
    fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError> {
        Ok(self(access_key_id))
    }
}

/// Finds the credentials of an access key id, asynchronously (a database, a secrets store).
///
/// Implemented for closures returning a future of `Result<Option<Credentials>, LookupError>`
/// (the closure must copy the key id into the future: `|id: &str| { let id = id.to_owned(); async move { .. } }`).
pub trait AsyncCredentialLookup {
    /// The credentials of `access_key_id`, if it exists.
    fn lookup(
        &self,
        access_key_id: &str,
    ) -> impl Future<Output = Result<Option<Credentials>, LookupError>> + Send;
}

impl<F, Fut> AsyncCredentialLookup for F
where
    F: Fn(&str) -> Fut,
    Fut: Future<Output = Result<Option<Credentials>, LookupError>> + Send,
{
    fn lookup(
        &self,
        access_key_id: &str,
    ) -> impl Future<Output = Result<Option<Credentials>, LookupError>> + Send {
        self(access_key_id)
    }
}
