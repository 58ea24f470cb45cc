//! A terminal middleware that sends requests through hyper on
//! [`KeepReading`](crate::connect::KeepReading) connections, for callers that need a
//! server's early refusal of an upload even from servers that close at once.

use ::reqwest::{Body, Request, Response};
use http::Extensions;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use reqwest_middleware::{Middleware, Next};

use crate::connect::KeepReading;

/// The last middleware of a `reqwest_middleware` client: it sends each request itself,
/// through a hyper client whose connections keep reading after a failed write
/// ([`KeepReading`]), instead of passing it to the `reqwest::Client`. A server that
/// refuses an upload part-way and closes at once then still gets its answer (status and
/// AWS error document) to the caller; with reqwest's own transport that answer is lost
/// now and then, and the middleware reports
/// [`Error::UploadInterrupted`](crate::Error::UploadInterrupted) instead.
///
/// What it changes: the `reqwest::Client`'s own settings no longer apply to requests it
/// sends (proxies, TLS roots and client certificates, redirects, cookies, decompression,
/// default headers, the client-wide timeout); the request's own timeout
/// (`RequestBuilder::timeout`) still does. After an early answer hyper still writes the
/// rest of the body, which the connection discards (at most
/// [`DEFAULT_DISCARD_LIMIT`](crate::connect::DEFAULT_DISCARD_LIMIT) bytes past the
/// reset). [`KeepReadingTransport::http`] speaks plain HTTP only; for HTTPS build the
/// hyper client yourself with TLS on top of [`KeepReading`] (e.g. hyper-rustls's
/// `wrap_connector`) and use [`KeepReadingTransport::new`]. Nothing is retried and
/// nothing is buffered.
///
/// ```no_run
/// use sigv4_http::reqwest::{KeepReadingTransport, SigV4Middleware};
/// # fn demo(signer: sigv4_http::RequestSigner) {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(SigV4Middleware::new(signer))
///     .with(KeepReadingTransport::http())
///     .build();
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct KeepReadingTransport<C = KeepReading<HttpConnector>> {
    client: Client<C, Body>,
}

impl KeepReadingTransport {
    /// Plain-HTTP connections (`http://` URLs only) through [`KeepReading::http`].
    pub fn http() -> Self {
        KeepReadingTransport::new(Client::builder(TokioExecutor::new()).build(KeepReading::http()))
    }
}

impl<C> KeepReadingTransport<C> {
    /// Sends through `client` (build it on a [`KeepReading`] connector).
    pub fn new(client: Client<C, Body>) -> Self {
        KeepReadingTransport { client }
    }
}

#[async_trait::async_trait]
impl<C> Middleware for KeepReadingTransport<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    async fn handle(
        &self,
        req: Request,
        _extensions: &mut Extensions,
        _next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let url = req.url().clone();
        let timeout = req.timeout().copied();
        let req = http::Request::try_from(req)?;
        let sending = self.client.request(req);
        let sent = match timeout {
            Some(t) => tokio::time::timeout(t, sending).await.map_err(|_| {
                reqwest_middleware::Error::middleware(crate::Error::Service(
                    format!("the request timed out after {t:?}").into(),
                ))
            })?,
            None => sending.await,
        };
        let (parts, body) = sent
            .map_err(reqwest_middleware::Error::middleware)?
            .into_parts();
        let mut head = ::reqwest::ResponseBuilderExt::url(
            http::Response::builder()
                .status(parts.status)
                .version(parts.version),
            url,
        );
        if let Some(h) = head.headers_mut() {
            *h = parts.headers;
        }
        let response = head
            .body(Body::wrap(body))
            .map_err(|e| reqwest_middleware::Error::middleware(crate::Error::Service(e.into())))?;
        Ok(Response::from(response))
    }
}
