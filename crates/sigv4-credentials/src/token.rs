//! Bearer tokens: what services that take `Authorization: Bearer` instead of
//! SigV4 need, and the trait of the providers that supply them.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use zeroize::Zeroizing;

use crate::error::CredentialsError;
use crate::util::BoxFuture;

/// The result type of token providers (their errors are
/// [`CredentialsError`]s, with the same kinds and chain behaviour).
pub type TokenResult = Result<Token, CredentialsError>;

/// A bearer token and when it expires.
///
/// The token is zeroized on drop and `Debug` never prints it.
///
/// ```
/// let t = sigv4_credentials::Token::new("secret-token", None);
/// assert_eq!(t.token(), "secret-token");
/// assert!(!format!("{t:?}").contains("secret-token"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    token: Zeroizing<String>,
    expiry: Option<SystemTime>,
}

impl Token {
    /// A token from its parts.
    pub fn new(token: impl Into<String>, expiry: Option<SystemTime>) -> Self {
        Token {
            token: Zeroizing::new(token.into()),
            expiry,
        }
    }

    /// The token itself. Handle with care: never log it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// When it stops working, if known.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token", &"** redacted **")
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// Something that supplies bearer tokens, asynchronously. Object safe.
pub trait ProvideToken: Send + Sync + fmt::Debug {
    /// Fetches (or returns cached) a token.
    fn provide_token(&self) -> BoxFuture<'_, TokenResult>;

    /// A short name for logs and errors.
    fn name(&self) -> &'static str;
}

impl<T: ProvideToken + ?Sized> ProvideToken for Arc<T> {
    fn provide_token(&self) -> BoxFuture<'_, TokenResult> {
        (**self).provide_token()
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
}

impl<T: ProvideToken + ?Sized> ProvideToken for Box<T> {
    fn provide_token(&self) -> BoxFuture<'_, TokenResult> {
        (**self).provide_token()
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
}

/// A fixed token (tests, or a token obtained elsewhere).
///
/// ```
/// use sigv4_credentials::{ProvideToken, StaticTokenProvider};
/// # async fn demo() {
/// let p = StaticTokenProvider::new("tok");
/// assert_eq!(p.provide_token().await.unwrap().token(), "tok");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct StaticTokenProvider {
    token: Token,
}

impl StaticTokenProvider {
    /// Always returns `token` (no expiry).
    pub fn new(token: impl Into<String>) -> Self {
        StaticTokenProvider {
            token: Token::new(token, None),
        }
    }

    /// Always returns `token`.
    pub fn from_token(token: Token) -> Self {
        StaticTokenProvider { token }
    }
}

impl ProvideToken for StaticTokenProvider {
    fn provide_token(&self) -> BoxFuture<'_, TokenResult> {
        let t = self.token.clone();
        Box::pin(async move { Ok(t) })
    }
    fn name(&self) -> &'static str {
        "StaticToken"
    }
}
