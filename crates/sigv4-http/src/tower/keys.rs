//! Where the verifying layer finds the secret of an access key id.
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sigv4::verify::LookupError;
use sigv4::Credentials;

use super::key_limits::KeyLimits;

/// A known access key: its credentials and, optionally, the principal it belongs to and
/// the [`KeyLimits`] on what it may do.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub(crate) credentials: Credentials,
    pub(crate) principal: Option<String>,
    pub(crate) limits: Arc<KeyLimits>,
}

impl KeyEntry {
    /// A key with no principal name and no limits.
    pub fn new(credentials: Credentials) -> Self {
        KeyEntry {
            credentials,
            principal: None,
            limits: Arc::default(),
        }
    }

    /// Sets the key's limits. [`VerifyLayer`](super::VerifyLayer) hands them to the inner
    /// service in the request extensions (`Extension<Arc<KeyLimits>>` in axum), which
    /// enforces them ([`KeyLimits::check`]); the `sigv4 gateway` refuses requests outside
    /// them.
    pub fn with_limits(mut self, limits: KeyLimits) -> Self {
        self.limits = Arc::new(limits);
        self
    }

    /// The key's limits (none by default).
    pub fn limits(&self) -> &Arc<KeyLimits> {
        &self.limits
    }

    /// Names the principal (user, role, tenant) the key belongs to; it is passed to the
    /// handler in [`VerifiedIdentity::principal`](super::VerifiedIdentity::principal).
    pub fn with_principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The principal.
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }
}

impl fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyEntry")
            .field("credentials", &self.credentials)
            .field("principal", &self.principal)
            .field("limits", &self.limits)
            .finish()
    }
}

/// The future of [`KeyStore::lookup`].
pub type KeyLookupFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<KeyEntry>, LookupError>> + Send + 'a>>;

/// Where the verifying layer finds the secret of an access key id: memory, a database, a
/// secrets service.
///
/// Implemented for closures `Fn(&str) -> Option<Credentials>` (keys without principal or
/// limits), for [`StaticKeys`], for `FileKeys` (a TOML file, reloadable; feature
/// `key-file`) and, for async stores, by [`key_store_fn`] (a closure returning a future:
/// no boxed futures or lifetimes to write). The lookup runs only after everything that can be checked without the secret (the
/// signature's form, scope, date, clock skew) has passed.
///
/// ```
/// use sigv4::verify::LookupError;
/// use sigv4::Credentials;
/// use sigv4_http::tower::{KeyEntry, KeyLookupFuture, KeyStore};
///
/// #[derive(Debug)]
/// struct Database;
///
/// impl KeyStore for Database {
///     fn lookup<'a>(&'a self, access_key_id: &'a str) -> KeyLookupFuture<'a> {
///         Box::pin(async move {
///             // e.g. SELECT secret, owner FROM keys WHERE id = $1
///             Ok::<_, LookupError>((access_key_id == "AKIDBOB").then(|| {
///                 KeyEntry::new(Credentials::new("AKIDBOB", "bob-secret", None, None)).with_principal("bob")
///             }))
///         })
///     }
/// }
/// ```
pub trait KeyStore: Send + Sync + 'static {
    /// The key `access_key_id`, `Ok(None)` when it is unknown; `Err` when the store
    /// itself failed (answered `500 InternalError`; the message must hold no secret).
    fn lookup<'a>(&'a self, access_key_id: &'a str) -> KeyLookupFuture<'a>;
}

impl<F> KeyStore for F
where
    F: Fn(&str) -> Option<Credentials> + Send + Sync + 'static,
{
    fn lookup<'a>(&'a self, access_key_id: &'a str) -> KeyLookupFuture<'a> {
        Box::pin(std::future::ready(Ok(
            self(access_key_id).map(KeyEntry::new)
        )))
    }
}

/// A key store from an async closure taking the access key id (owned, so the future
/// borrows nothing) and answering the key's [`KeyEntry`], principal and limits included:
/// the simplest way to plug a database or a secrets service in.
///
/// ```
/// use sigv4::verify::LookupError;
/// use sigv4::Credentials;
/// use sigv4_http::tower::{key_store_fn, KeyEntry, KeyStore};
///
/// let store = key_store_fn(|id: String| async move {
///     // e.g. sqlx::query!("SELECT secret, owner FROM keys WHERE id = $1", id)...
///     Ok::<_, LookupError>((id == "AKIDBOB").then(|| {
///         KeyEntry::new(Credentials::new("AKIDBOB", "bob-secret", None, None)).with_principal("bob")
///     }))
/// });
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let bob = store.lookup("AKIDBOB").await.unwrap().unwrap();
/// assert_eq!(bob.principal(), Some("bob"));
/// assert!(store.lookup("AKIDEVE").await.unwrap().is_none());
/// # });
/// ```
pub fn key_store_fn<F, Fut>(lookup: F) -> FnKeyStore<F>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<KeyEntry>, LookupError>> + Send + 'static,
{
    FnKeyStore(lookup)
}

/// The [`KeyStore`] of [`key_store_fn`].
#[derive(Clone)]
pub struct FnKeyStore<F>(F);

impl<F> fmt::Debug for FnKeyStore<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnKeyStore")
    }
}

impl<F, Fut> KeyStore for FnKeyStore<F>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<KeyEntry>, LookupError>> + Send + 'static,
{
    fn lookup<'a>(&'a self, access_key_id: &'a str) -> KeyLookupFuture<'a> {
        Box::pin((self.0)(access_key_id.to_owned()))
    }
}

/// A fixed set of keys, in memory.
#[derive(Clone, Default)]
pub struct StaticKeys {
    keys: HashMap<String, KeyEntry>,
}

impl StaticKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key (replacing one with the same access key id).
    pub fn with_key(mut self, entry: KeyEntry) -> Self {
        self.keys
            .insert(entry.credentials.access_key_id().to_owned(), entry);
        self
    }
}

impl fmt::Debug for StaticKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticKeys")
            .field("access_key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyStore for StaticKeys {
    fn lookup<'a>(&'a self, access_key_id: &'a str) -> KeyLookupFuture<'a> {
        Box::pin(std::future::ready(Ok(self
            .keys
            .get(access_key_id)
            .cloned())))
    }
}

impl<K: KeyStore + ?Sized> KeyStore for Arc<K> {
    fn lookup<'a>(&'a self, access_key_id: &'a str) -> KeyLookupFuture<'a> {
        (**self).lookup(access_key_id)
    }
}
