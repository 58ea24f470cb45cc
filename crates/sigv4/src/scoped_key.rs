//! A delegated signing identity: a day-scoped [`SigningKey`] with the access key id and
//! session token that go with it, but no secret access key.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::SigningKey;

/// A [`SigningKey`] (one day, region and service) together with its access key id and,
/// for temporary credentials, the session token: everything needed to sign requests for
/// that scope, without the secret access key.
///
/// Hand it to another component (a worker, a plugin, another thread pool) that should be
/// able to sign for one service and region until the end of the UTC day, and nothing else.
/// It is cheap to clone (the key is shared), `Send` and `Sync`. `Debug` shows the scope and
/// access key id only; the key bytes and the session token are zeroized on drop.
///
/// Sign with [`Signer::sign_http_request_scoped`](crate::Signer::sign_http_request_scoped)
/// (or [`Signer::sign_with_key`](crate::Signer::sign_with_key) for a
/// [`SignableRequest`](crate::SignableRequest)), or give it to `sigv4_http`'s
/// `RequestSigner::from_scoped_key` for the reqwest middleware, the tower layer and the
/// blocking signer. Signing fails with
/// [`SigningError::KeyScopeMismatch`](crate::SigningError::KeyScopeMismatch) once the day
/// is over: the holder then needs a new key.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::{Credentials, ScopedKey, Signer, SigningKey};
///
/// let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
/// // Where the secret lives: derive today's key for one service and region...
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let signer = Signer::new("us-east-1", "execute-api")?;
/// let scoped = signer.scoped_key(&creds, time)?;
/// // ...or build one from a key derived elsewhere.
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "execute-api")?;
/// let same = ScopedKey::new(Arc::new(key), "AKIDEXAMPLE", None);
/// assert_eq!(scoped.scope(), same.scope());
/// assert!(!format!("{scoped:?}").contains("wJalr"));
///
/// // Elsewhere (another thread, another component): sign without the secret.
/// let mut req = http::Request::post("https://abc.execute-api.us-east-1.amazonaws.com/prod/items")
///     .body(br#"{"name":"cat"}"#.to_vec())
///     .unwrap();
/// let worker = std::thread::spawn(move || {
///     signer.sign_http_request_scoped(&mut req, &same, time).map(|_| req)
/// });
/// let req = worker.join().unwrap()?;
/// assert!(req.headers()["authorization"]
///     .to_str()
///     .unwrap()
///     .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request"));
/// # Ok::<(), sigv4::SigningError>(())
/// ```
#[derive(Clone)]
pub struct ScopedKey {
    key: Arc<SigningKey>,
    access_key_id: String,
    session_token: Option<Zeroizing<String>>,
}

impl ScopedKey {
    /// A scoped key from a signing key, the access key id it was derived for, and the
    /// session token of temporary credentials (`None` for long-term keys).
    pub fn new(
        key: Arc<SigningKey>,
        access_key_id: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        ScopedKey {
            key,
            access_key_id: access_key_id.into(),
            session_token: session_token.map(Zeroizing::new),
        }
    }

    /// The signing key.
    pub fn key(&self) -> &Arc<SigningKey> {
        &self.key
    }

    /// The access key id (not a secret: it appears in every signed request).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The session token, if the key belongs to temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref().map(String::as_str)
    }

    /// The credential scope, `20150830/us-east-1/service/aws4_request`.
    pub fn scope(&self) -> &str {
        self.key.scope()
    }

    /// The day the key signs for, `YYYYMMDD` (UTC).
    pub fn date(&self) -> &str {
        self.key.date()
    }

    /// The region the key signs for.
    pub fn region(&self) -> &str {
        self.key.region()
    }

    /// The service the key signs for.
    pub fn service(&self) -> &str {
        self.key.service()
    }
}

impl fmt::Debug for ScopedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedKey")
            .field("scope", &self.key.scope())
            .field("access_key_id", &self.access_key_id)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn is_send_sync_clone_and_redacts() {
        assert_send_sync_clone::<ScopedKey>();
        let key = SigningKey::derive("very-secret", "20200101", "eu-west-1", "es").unwrap();
        let k = ScopedKey::new(Arc::new(key), "ASIAEXAMPLE", Some("the-token".into()));
        let shown = format!("{k:?}");
        assert!(shown.contains("ASIAEXAMPLE") && shown.contains("20200101/eu-west-1/es"));
        assert!(!shown.contains("the-token"), "{shown}");
        assert_eq!(k.session_token(), Some("the-token"));
        assert_eq!(
            (k.date(), k.region(), k.service()),
            ("20200101", "eu-west-1", "es")
        );
    }
}
