//! The library behind `sigv4 gateway` (feature `gateway`): secretless AWS access.
//!
//! A sandbox (an agent, a CI job, a container) gets a *sandbox key* from a keys file
//! ([`FileKeys`](crate::tower::FileKeys)) and sends ordinary SigV4-signed AWS requests to
//! the gateway (`AWS_ENDPOINT_URL`). For each request the gateway
//!
//! 1. verifies the client's signature with the sandbox key through a
//!    [`VerifyLayer`] for the service of the request's
//!    credential scope (the same verifier and edge policy as every other server here:
//!    header and presigned forms; hashed, `UNSIGNED-PAYLOAD` and aws-chunked bodies, each
//!    chunk checked before it is forwarded);
//! 2. applies the key's [`KeyLimits`](crate::tower::KeyLimits): service and region from
//!    the verified scope, the S3 bucket the request will be forwarded to (path-style and
//!    virtual-hosted alike), expiry;
//! 3. re-signs the request with the real credentials (the gateway's own, or the key's
//!    `role_arn` assumed through STS) for the same service and region, and streams it to
//!    the upstream ([`Endpoints`]); an aws-chunked body is re-framed chunk by chunk with
//!    new signatures, never buffered whole;
//! 4. writes one [`AuditRecord`] per request.
//!
//! Refusals never reach the upstream and are AWS's own errors (`InvalidAccessKeyId`,
//! `SignatureDoesNotMatch`, `AccessDenied`), in the protocol the client speaks (S3 XML,
//! query XML or JSON).
//!
//! ```no_run
//! use std::sync::Arc;
//! use sigv4_http::gateway::{AuditWriter, Endpoints, Gateway, GatewayConfig, HyperUpstream, UpstreamUrl};
//! use sigv4_http::tower::FileKeys;
//! use sigv4_credentials::{CachedProvider, DefaultChain, ProviderContext};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = Arc::new(FileKeys::open("keys.toml")?);
//! keys.watch(None); // reload on SIGHUP
//! let ctx = ProviderContext::default();
//! let real = Arc::new(CachedProvider::new(DefaultChain::new(ctx.clone())));
//! let config = GatewayConfig::new(keys, real, ctx)
//!     .with_endpoints(Endpoints::all_to(UpstreamUrl::parse("http://127.0.0.1:5000")?))
//!     .with_audit(Arc::new(AuditWriter::new(std::io::stderr())));
//! let gateway = Gateway::new(config, Arc::new(HyperUpstream::new(64)?));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("listening on http://{}", listener.local_addr()?);
//! gateway.serve(listener, std::future::pending()).await;
//! # Ok(()) }
//! ```

mod audit;
mod endpoint;
mod forward;
mod real_credentials;
mod route;
mod serve;
mod upstream;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Either};
use sigv4::verify::Verifier;
use sigv4::Signer;
use sigv4_credentials::{ProvideCredentials, ProviderContext};
use tokio::sync::Semaphore;
use tower_layer::Layer;
use tower_service::Service;

pub use audit::{AuditRecord, AuditSink, AuditWriter};
pub use endpoint::{Endpoints, InvalidEndpoint, UpstreamUrl};
pub use real_credentials::RealCredentials;
pub use upstream::{HyperUpstream, Upstream, UpstreamBody, UpstreamFuture};

use crate::tower::{ErrorFormat, KeyStore, VerifyLayer};
use crate::BoxError;
use audit::{AuditedBody, CountIn, PendingAudit};
use forward::{error_body, Forward};

/// Verifying layers kept (per service and error format) before the cache is emptied.
const MAX_LAYERS: usize = 64;

/// How the gateway runs. Built with [`GatewayConfig::new`] and the `with_*` methods.
pub struct GatewayConfig {
    keys: Arc<dyn KeyStore>,
    credentials: RealCredentials,
    endpoints: Endpoints,
    audit: Arc<dyn AuditSink>,
    max_concurrency: usize,
    max_body: usize,
    upstream_timeout: Duration,
    header_timeout: Duration,
    shutdown_timeout: Duration,
    health_path: String,
    virtual_host_suffixes: Vec<String>,
}

impl fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("endpoints", &self.endpoints)
            .field("max_concurrency", &self.max_concurrency)
            .field("health_path", &self.health_path)
            .finish_non_exhaustive()
    }
}

impl GatewayConfig {
    /// Sandbox keys from `keys`; requests re-signed with `real` (roles assumed with them
    /// through STS as `ctx` resolves it). Defaults: AWS endpoints, no audit log, 256
    /// requests in flight, 16 MiB bodies read to hash them, 60 s upstream timeout, 10 s
    /// header timeout, 30 s shutdown grace, `/health`, virtual-hosted S3 under
    /// `localhost`.
    pub fn new(
        keys: Arc<dyn KeyStore>,
        real: Arc<dyn ProvideCredentials>,
        ctx: ProviderContext,
    ) -> Self {
        GatewayConfig {
            keys,
            credentials: RealCredentials::new(real, ctx),
            endpoints: Endpoints::aws(),
            audit: Arc::new(|_: &AuditRecord| {}),
            max_concurrency: 256,
            max_body: crate::tower::DEFAULT_MAX_BUFFERED_BODY,
            upstream_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
            health_path: "/health".into(),
            virtual_host_suffixes: vec!["localhost".into()],
        }
    }

    /// Where requests go.
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// Where audit records go.
    pub fn with_audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = sink;
        self
    }

    /// Most requests in flight; more are answered `503 SlowDown`.
    pub fn with_max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n.max(1);
        self
    }

    /// Largest body read to check its hash when no header carries it (non-S3 API calls).
    pub fn with_max_body(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// Longest wait for the upstream's response headers.
    pub fn with_upstream_timeout(mut self, t: Duration) -> Self {
        self.upstream_timeout = t;
        self
    }

    /// Longest wait for a client's request headers.
    pub fn with_header_timeout(mut self, t: Duration) -> Self {
        self.header_timeout = t;
        self
    }

    /// Longest wait for requests in flight at shutdown.
    pub fn with_shutdown_timeout(mut self, t: Duration) -> Self {
        self.shutdown_timeout = t;
        self
    }

    /// The path answered `200 ok` by the gateway itself (`GET`/`HEAD`, unsigned).
    pub fn with_health_path(mut self, path: impl Into<String>) -> Self {
        self.health_path = path.into();
        self
    }

    /// Host names under which S3 requests are virtual-hosted (`BUCKET.NAME`); any other
    /// host is path-style (default `localhost`).
    pub fn with_virtual_host_suffixes<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.virtual_host_suffixes = names.into_iter().map(Into::into).collect();
        self
    }
}

/// The verifying layer of one service.
type GatewayLayer = VerifyLayer<Arc<dyn KeyStore>>;

/// What every request of a gateway shares.
pub(crate) struct Shared {
    keys: Arc<dyn KeyStore>,
    pub(crate) credentials: RealCredentials,
    pub(crate) endpoints: Endpoints,
    pub(crate) upstream: Arc<dyn Upstream>,
    pub(crate) upstream_timeout: Duration,
    pub(crate) virtual_host_suffixes: Vec<String>,
    audit: Arc<dyn AuditSink>,
    max_body: usize,
    header_timeout: Duration,
    shutdown_timeout: Duration,
    health_path: String,
    limit: Arc<Semaphore>,
    layers: Mutex<HashMap<(String, ErrorFormat), GatewayLayer>>,
    signers: Mutex<HashMap<(String, String), Arc<Signer>>>,
}

impl Shared {
    /// The verifying layer for `service`: the standard verifier for it (any region; the
    /// key's limits decide regions), streaming hashed bodies to the upstream (which checks
    /// the same hash), with only signed headers left for the forwarder.
    fn layer(
        &self,
        service: &str,
        format: ErrorFormat,
    ) -> Result<GatewayLayer, sigv4::SigningError> {
        let mut layers = self.layers.lock().unwrap_or_else(|p| p.into_inner());
        let key = (service.to_owned(), format);
        if let Some(l) = layers.get(&key) {
            return Ok(l.clone());
        }
        let verifier = Verifier::new("us-east-1", service)?.any_region();
        let layer = VerifyLayer::new(verifier, Arc::clone(&self.keys))
            .with_error_format(format)
            .with_max_body(self.max_body)
            .strip_unsigned_headers(true)
            .stream_hashed_bodies(true);
        if layers.len() >= MAX_LAYERS {
            layers.clear();
        }
        layers.insert(key, layer.clone());
        Ok(layer)
    }

    /// The signer for `region` and `service` (cached, so derived keys are reused).
    pub(crate) fn signer(
        &self,
        region: &str,
        service: &str,
    ) -> Result<Arc<Signer>, sigv4::SigningError> {
        let mut signers = self.signers.lock().unwrap_or_else(|p| p.into_inner());
        let key = (region.to_owned(), service.to_owned());
        if let Some(s) = signers.get(&key) {
            return Ok(Arc::clone(s));
        }
        let s = Arc::new(Signer::new(region, service)?);
        if signers.len() >= MAX_LAYERS {
            signers.clear();
        }
        signers.insert(key, Arc::clone(&s));
        Ok(s)
    }
}

/// The gateway: [`handle`](Self::handle) answers one request, [`serve`](Self::serve)
/// runs an HTTP/1.1 server. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    shared: Arc<Shared>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("endpoints", &self.shared.endpoints)
            .finish_non_exhaustive()
    }
}

/// The body of the gateway's responses.
pub type GatewayBody = UpstreamBody;

impl Gateway {
    /// A gateway with `config`, sending through `upstream`.
    pub fn new(config: GatewayConfig, upstream: Arc<dyn Upstream>) -> Self {
        Gateway {
            shared: Arc::new(Shared {
                keys: config.keys,
                credentials: config.credentials,
                endpoints: config.endpoints,
                upstream,
                upstream_timeout: config.upstream_timeout,
                virtual_host_suffixes: config.virtual_host_suffixes,
                audit: config.audit,
                max_body: config.max_body,
                header_timeout: config.header_timeout,
                shutdown_timeout: config.shutdown_timeout,
                health_path: config.health_path,
                limit: Arc::new(Semaphore::new(config.max_concurrency)),
                layers: Mutex::new(HashMap::new()),
                signers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Answers one request: verified and forwarded, or refused.
    pub async fn handle<B>(&self, req: Request<B>) -> Response<GatewayBody>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let shared = &self.shared;
        if req.uri().path() == shared.health_path
            && (req.method() == http::Method::GET || req.method() == http::Method::HEAD)
        {
            return health();
        }
        let audit = PendingAudit::new(
            Arc::clone(&shared.audit),
            req.method().as_str(),
            req.uri().path(),
        );
        let claimed = route::claimed_scope(&req);
        // Only picks the verifier; the verifier checks the scope names this service.
        let service = claimed
            .as_ref()
            .map_or("s3", |c| c.service.as_str())
            .to_owned();
        let format = route::error_format(&req, &service);
        audit.update(|r| {
            r.access_key_id = claimed.as_ref().map(|c| c.access_key_id.clone());
            r.operation = route::operation(&req);
        });
        let audited = |resp: Response<GatewayBody>| {
            resp.map(|inner| {
                AuditedBody {
                    inner,
                    audit: Some(Arc::clone(&audit)),
                    sent: 0,
                }
                .boxed_unsync()
            })
        };
        let refuse = |status: StatusCode, code: &'static str, message: &str| {
            audit.update(|r| {
                r.status = status.as_u16();
                r.refusal = Some(code.to_owned());
            });
            audited(error_body(format, &service, status, code, message))
        };

        let Ok(permit) = Arc::clone(&shared.limit).try_acquire_owned() else {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "SlowDown",
                "the gateway has too many requests in flight; retry shortly",
            );
        };
        let layer = match shared.layer(&service, format) {
            Ok(l) => l,
            Err(_) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "AuthorizationHeaderMalformed",
                    "the credential scope names an invalid service",
                )
            }
        };
        let forward = Forward {
            shared: Arc::clone(shared),
            audit: Arc::clone(&audit),
            format,
        };
        let req = req.map(|inner| CountIn {
            inner,
            audit: Arc::clone(&audit),
        });
        let mut svc = layer.layer(forward);
        let resp = match svc.call(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let (parts, body) = resp.into_parts();
        let body = match body {
            Either::Left(upstream) => upstream,
            Either::Right(refusal) => {
                // Written by the verifying layer, which names its code.
                let code = parts
                    .extensions
                    .get::<crate::tower::refusal::RefusalCode>()
                    .map_or_else(|| "refused".to_owned(), |c| c.0.clone());
                audit.update(|r| r.refusal = Some(code));
                refusal.map_err(|e| match e {}).boxed_unsync()
            }
        };
        let resp = Response::from_parts(parts, body);
        audit.update(|r| r.status = resp.status().as_u16());
        let resp = audited(resp);
        // The slot is held until the response body is done.
        resp.map(|inner| {
            PermitBody {
                inner,
                _permit: permit,
            }
            .boxed_unsync()
        })
    }
}

fn health() -> Response<GatewayBody> {
    let mut r = Response::new(
        http_body_util::Full::new(Bytes::from_static(b"ok\n"))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    r
}

/// A response body holding a concurrency slot until it is done.
struct PermitBody {
    inner: GatewayBody,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Body for PermitBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
