//! AWS credentials: an access key id, its secret, and optionally a session token
//! and an expiry time.

use std::fmt;
use std::time::SystemTime;

use zeroize::Zeroizing;

/// A set of AWS credentials.
///
/// The secret access key and the session token are zeroized when the value is
/// dropped, and `Debug` never prints them.
///
/// ```
/// use sigv4::Credentials;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
/// let shown = format!("{creds:?}");
/// assert!(!shown.contains("wJalr"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
    expiry: Option<SystemTime>,
    account_id: Option<String>,
}

impl Credentials {
    /// Creates credentials from their parts.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        expiry: Option<SystemTime>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
            session_token: session_token.map(Zeroizing::new),
            expiry,
            account_id: None,
        }
    }

    /// The access key id (not a secret: it appears in every signed request).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key. Handle with care: never log it.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token of temporary credentials, if any.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref().map(String::as_str)
    }

    /// When these credentials stop working, if they are temporary.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// Returns the same credentials with another expiry time.
    pub fn with_expiry(mut self, expiry: Option<SystemTime>) -> Self {
        self.expiry = expiry;
        self
    }

    /// The AWS account these credentials belong to, when the source said
    /// (a profile's `aws_account_id`, `AccountId` from `credential_process`,
    /// container or SSO answers). Not a secret, and not used for signing.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// Returns the same credentials with this account id (blank counts as none).
    ///
    /// ```
    /// let c = sigv4::Credentials::new("AKID", "SECRET", None, None)
    ///     .with_account_id(Some("123456789012".to_string()));
    /// assert_eq!(c.account_id(), Some("123456789012"));
    /// ```
    pub fn with_account_id(mut self, account_id: Option<String>) -> Self {
        self.account_id = account_id.filter(|a| !a.trim().is_empty());
        self
    }

    /// Whether the credentials have expired at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        matches!(self.expiry, Some(e) if e <= now)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiry", &self.expiry)
            .field("account_id", &self.account_id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secret_and_token() {
        let c = Credentials::new("AKID", "SECRETSECRET", Some("TOKENTOKEN".into()), None);
        let s = format!("{c:?}");
        assert!(s.contains("AKID"));
        assert!(!s.contains("SECRETSECRET"));
        assert!(!s.contains("TOKENTOKEN"));
    }

    #[test]
    fn expiry() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(100);
        let c = Credentials::new("a", "b", None, Some(t));
        assert!(c.is_expired(t));
        assert!(!c.is_expired(t - std::time::Duration::from_secs(1)));
        assert!(!Credentials::new("a", "b", None, None).is_expired(t));
    }
}
