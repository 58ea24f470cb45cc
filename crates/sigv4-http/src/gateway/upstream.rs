//! How the gateway sends a re-signed request: any [`Upstream`], by default hyper with
//! rustls (HTTPS with the Mozilla roots, or plain HTTP for local endpoints).
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::BoxError;

/// The body of requests sent upstream and of responses handed back.
pub type UpstreamBody = UnsyncBoxBody<Bytes, BoxError>;

/// The future of [`Upstream::send`].
pub type UpstreamFuture =
    Pin<Box<dyn Future<Output = Result<Response<UpstreamBody>, BoxError>> + Send + 'static>>;

/// Sends re-signed requests to the upstream and returns its responses (bodies streamed).
pub trait Upstream: Send + Sync + 'static {
    /// Sends `request` (an absolute URI, `Host` set and signed).
    fn send(&self, request: Request<UpstreamBody>) -> UpstreamFuture;
}

impl<F> Upstream for F
where
    F: Fn(Request<UpstreamBody>) -> UpstreamFuture + Send + Sync + 'static,
{
    fn send(&self, request: Request<UpstreamBody>) -> UpstreamFuture {
        self(request)
    }
}

/// The default [`Upstream`]: a pooled hyper client, HTTP/1.1 over TCP or rustls.
#[derive(Clone)]
pub struct HyperUpstream {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, UpstreamBody>,
}

impl fmt::Debug for HyperUpstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HyperUpstream")
    }
}

impl HyperUpstream {
    /// A client trusting the Mozilla root certificates (webpki-roots), keeping at most
    /// `max_idle_per_host` idle connections per upstream.
    pub fn new(max_idle_per_host: usize) -> Result<Self, rustls::Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // rustls 0.23.48 deprecates ring's provider (ring has no post-quantum key exchange). We
        // keep ring on purpose: aws-lc-rs needs a C/CMake build that the cross-built musl and
        // aarch64 wheels do not have. One decision for every TLS client here; see CHANGELOG.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(std::time::Duration::from_secs(10)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(max_idle_per_host)
            .build(https);
        Ok(HyperUpstream { client })
    }
}

impl Upstream for HyperUpstream {
    fn send(&self, request: Request<UpstreamBody>) -> UpstreamFuture {
        let client = self.client.clone();
        Box::pin(async move {
            let resp = client.request(request).await?;
            Ok(resp.map(|b| b.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync()))
        })
    }
}
