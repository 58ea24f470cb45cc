//! `Authorization: Bearer` for the services that take a bearer token
//! instead of SigV4 (for example those behind IAM Identity Center), next to
//! the SigV4 [`RequestSigner`](crate::RequestSigner).
//!
//! The token comes from a [`ProvideToken`]: usually
//! [`TokenChain::default_chain`](sigv4_credentials::TokenChain::default_chain)
//! (the selected profile's SSO session, refreshed as needed), or a
//! [`StaticTokenProvider`](sigv4_credentials::StaticTokenProvider).
//!
//! ```
//! use sigv4_http::bearer::BearerSigner;
//! use sigv4_credentials::StaticTokenProvider;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let signer = BearerSigner::new(StaticTokenProvider::new("my-token"));
//! let mut req = http::Request::get("https://codecatalyst.global.api.aws/v1/userinfo")
//!     .body(())
//!     .unwrap();
//! signer.sign(&mut req).await?;
//! assert_eq!(req.headers()["authorization"], "Bearer my-token");
//! assert!(req.headers()["authorization"].is_sensitive());
//! # Ok::<(), sigv4_http::bearer::BearerError>(())
//! # }).unwrap();
//! ```

use std::fmt;
use std::sync::Arc;

use sigv4_credentials::{CredentialsError, ProvideToken, Token};

/// Why a request could not get its bearer token. Messages never contain the
/// token.
#[derive(Debug)]
#[non_exhaustive]
pub enum BearerError {
    /// The token provider failed.
    Token(CredentialsError),
    /// The request would send the token in clear text to another machine.
    InsecureUrl {
        /// The host of the request.
        host: String,
    },
    /// The token cannot be a header value (control characters).
    InvalidToken,
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BearerError::Token(e) => write!(f, "could not load a bearer token: {e}"),
            BearerError::InsecureUrl { host } => write!(f, "refusing to send a bearer token over plain http to {host:?}: use https (plain http is allowed only for loopback addresses)"),
            BearerError::InvalidToken => f.write_str("the bearer token contains characters that cannot appear in an HTTP header"),
        }
    }
}

/// The message includes the cause's; `source` reports only what it does not say.
impl std::error::Error for BearerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BearerError::Token(e) => sigv4::error_chain::unshown_source(&self.to_string(), e),
            _ => None,
        }
    }
}

impl From<CredentialsError> for BearerError {
    fn from(e: CredentialsError) -> Self {
        BearerError::Token(e)
    }
}

/// Adds `Authorization: Bearer <token>` to requests, with the token from a
/// provider. Cloning is cheap (the provider is shared).
#[derive(Clone)]
pub struct BearerSigner {
    provider: Arc<dyn ProvideToken>,
}

impl fmt::Debug for BearerSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerSigner")
            .field("provider", &self.provider.name())
            .finish()
    }
}

impl BearerSigner {
    /// A signer taking tokens from `provider`.
    pub fn new(provider: impl ProvideToken + 'static) -> Self {
        BearerSigner {
            provider: Arc::new(provider),
        }
    }

    /// A signer taking tokens from a shared provider.
    pub fn from_shared(provider: Arc<dyn ProvideToken>) -> Self {
        BearerSigner { provider }
    }

    /// Fetches a token and sets the request's `authorization` header (any
    /// previous one is replaced).
    pub async fn sign<B>(&self, request: &mut http::Request<B>) -> Result<(), BearerError> {
        check_transport(request.uri())?;
        let token = self.provider.provide_token().await?;
        apply_token(request, &token)
    }
}

/// Sets `authorization: Bearer <token>` on `request` (marked sensitive, so
/// HTTP stacks do not log it), refusing plain-http URLs to other machines.
///
/// ```
/// let mut req = http::Request::get("http://127.0.0.1:8080/").body(()).unwrap();
/// let token = sigv4_credentials::Token::new("t0k", None);
/// sigv4_http::bearer::apply_token(&mut req, &token).unwrap();
/// assert_eq!(req.headers()["authorization"], "Bearer t0k");
///
/// let mut req = http::Request::get("http://example.com/").body(()).unwrap();
/// assert!(sigv4_http::bearer::apply_token(&mut req, &token).is_err());
/// ```
pub fn apply_token<B>(request: &mut http::Request<B>, token: &Token) -> Result<(), BearerError> {
    check_transport(request.uri())?;
    let mut value = http::HeaderValue::from_str(&format!("Bearer {}", token.token()))
        .map_err(|_| BearerError::InvalidToken)?;
    value.set_sensitive(true);
    request
        .headers_mut()
        .insert(http::header::AUTHORIZATION, value);
    Ok(())
}

fn check_transport(uri: &http::Uri) -> Result<(), BearerError> {
    if uri.scheme_str() != Some("http") {
        return Ok(());
    }
    let host = uri.host().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(BearerError::InsecureUrl {
            host: host.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigv4_credentials::StaticTokenProvider;

    #[tokio::test]
    async fn replaces_authorization_and_never_shows_the_token() {
        let signer = BearerSigner::new(StaticTokenProvider::new("SECRET-TOKEN-123"));
        let mut req = http::Request::get("https://service.example/x")
            .header("authorization", "AWS4-HMAC-SHA256 old")
            .body(())
            .unwrap();
        signer.sign(&mut req).await.unwrap();
        let values: Vec<_> = req.headers().get_all("authorization").iter().collect();
        assert_eq!(values.len(), 1);
        assert_eq!(values[0], "Bearer SECRET-TOKEN-123");
        assert!(!format!("{signer:?}").contains("SECRET"));
        assert!(!format!("{:?}", req.headers()).contains("SECRET"));

        let mut req = http::Request::get("http://10.0.0.1/").body(()).unwrap();
        let e = signer.sign(&mut req).await.unwrap_err();
        assert!(matches!(e, BearerError::InsecureUrl { .. }));
        assert!(!e.to_string().contains("SECRET"));
        assert!(req.headers().get("authorization").is_none());
        for ok in [
            "http://localhost:1/",
            "http://[::1]:1/",
            "http://127.0.0.1/",
        ] {
            let mut req = http::Request::get(ok).body(()).unwrap();
            signer.sign(&mut req).await.unwrap();
        }
        let bad = Token::new("line\nbreak", None);
        let mut req = http::Request::get("https://a/").body(()).unwrap();
        assert!(matches!(
            apply_token(&mut req, &bad),
            Err(BearerError::InvalidToken)
        ));
    }

    #[tokio::test]
    async fn provider_errors_pass_through() {
        let signer = BearerSigner::new(sigv4_credentials::TokenChain::new());
        let mut req = http::Request::get("https://a/").body(()).unwrap();
        let e = signer.sign(&mut req).await.unwrap_err();
        assert!(
            matches!(e, BearerError::Token(ref c) if c.is_not_configured()),
            "{e}"
        );
    }
}
