//! The server layer: verifies every request before the inner service runs, and makes sure
//! the inner service acts on the request that was verified.
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{Either, Full};
use sigv4::verify::edge::{EdgePolicy, PathPolicy, QueryPlusPolicy};
use sigv4::verify::{
    AsyncCredentialLookup, AuthMode, LookupError, VerifiableRequest, Verified, VerifiedBody,
    VerifiedPayload, Verifier, VerifyBody, VerifyError,
};
use sigv4::{AmzDate, Credentials};
use sigv4_credentials::{SystemClock, TimeSource};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::Boxed;
use crate::linger::{DrainOnDrop, LingeringClose};
use crate::{BoxError, Error};

use super::{collect_limited, BoxFuture, DEFAULT_MAX_BUFFERED_BODY};

use super::body::{
    BodyRefusalSlot, CheckedBody, FromVerifiedBody, HashCheckedBody, VerifiedKind,
    VerifiedRequestBody,
};
use super::inner_request::{decoded_headers, replace_target, strip_unsigned};
use super::keys::{KeyEntry, KeyStore};
use super::nest::{take_original, Nested};
use super::refusal::{Refusal, RefusalCode, RefusalReport, RequestSummary};
use super::response::{body_rejection, error_response, rejection, ErrorFormat, ErrorStyle};

/// Who signed a verified request: put in the request extensions by [`VerifyLayer`].
///
/// In axum: `Extension(id): Extension<VerifiedIdentity>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedIdentity {
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The principal of the key, from the [`KeyStore`].
    pub principal: Option<String>,
    /// The region the request was signed for.
    pub region: String,
    /// The credential scope, `date/region/service/aws4_request`.
    pub credential_scope: String,
    /// The signing time.
    pub signed_at: AmzDate,
    /// Whether the signature was in the query (a presigned URL) rather than a header.
    pub presigned: bool,
    /// Whether the request used temporary credentials (a session token).
    pub session_token: bool,
    /// Whether the body is covered by the signature (hashed or aws-chunked signed). When
    /// `false` (`UNSIGNED-PAYLOAD`), the body reaching the handler was not authenticated.
    pub body_signed: bool,
    /// What the payload line said: the body's SHA-256, `UNSIGNED-PAYLOAD`, an aws-chunked
    /// mode or an event stream (a forwarding service re-signs the body the same way).
    pub payload: VerifiedPayload,
    /// The signed headers (lowercase names, sorted): only these headers are covered by
    /// the signature. With [`VerifyLayer::strip_unsigned_headers`] every other header,
    /// except transport ones, is removed before the handler runs.
    pub signed_headers: Vec<String>,
}

impl VerifiedIdentity {
    fn new(v: &Verified, principal: Option<String>) -> Self {
        VerifiedIdentity {
            access_key_id: v.access_key_id().to_owned(),
            principal,
            region: v.region().to_owned(),
            credential_scope: v.credential_scope().to_owned(),
            signed_at: v.time(),
            presigned: v.mode() == AuthMode::Query,
            session_token: v.has_session_token(),
            body_signed: match v.payload() {
                VerifiedPayload::Sha256(_) => true,
                VerifiedPayload::Streaming(m) => m.is_signed(),
                VerifiedPayload::Unsigned => false,
                // Each message is signed, chained from the request's signature, and the
                // layer hands the handler only the messages whose signature verified.
                VerifiedPayload::EventStream => cfg!(feature = "event-stream"),
                _ => false,
            },
            payload: v.payload(),
            signed_headers: v
                .signed_headers()
                .split(';')
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

pub(crate) struct VerifyConfig<K> {
    pub(crate) verifier: Verifier,
    pub(crate) keys: Arc<K>,
    pub(crate) format: ErrorFormat,
    pub(crate) max_body: usize,
    pub(crate) max_chunk: usize,
    pub(crate) mismatch_details: bool,
    pub(crate) time: Arc<dyn TimeSource>,
    pub(crate) path_policy: PathPolicy,
    pub(crate) plus_policy: QueryPlusPolicy,
    pub(crate) strip_unsigned: bool,
    pub(crate) stream_hashed: bool,
    pub(crate) refusals: RefusalReport,
    pub(crate) linger: LingeringClose,
}

impl<K> Clone for VerifyConfig<K> {
    fn clone(&self) -> Self {
        VerifyConfig {
            verifier: self.verifier.clone(),
            keys: Arc::clone(&self.keys),
            format: self.format,
            max_body: self.max_body,
            max_chunk: self.max_chunk,
            mismatch_details: self.mismatch_details,
            time: Arc::clone(&self.time),
            path_policy: self.path_policy,
            plus_policy: self.plus_policy,
            strip_unsigned: self.strip_unsigned,
            stream_hashed: self.stream_hashed,
            refusals: self.refusals.clone(),
            linger: self.linger,
        }
    }
}

impl<K> VerifyConfig<K> {
    /// How refusals are written, at the layer's clock's time.
    pub(crate) fn error_style(&self) -> ErrorStyle<'_> {
        ErrorStyle {
            format: self.format,
            service: self.verifier.service(),
            mismatch_details: self.mismatch_details,
            now: self.time.now(),
        }
    }
}

/// A [`Layer`] that verifies the SigV4 signature of every request before the inner
/// service runs, answering AWS-style errors itself.
///
/// `IB` is the request body type of the inner service: [`VerifiedRequestBody`] by default
/// (hyper services), `axum::body::Body` after `for_axum` (feature `axum`).
/// Responses are `Response<Either<inner body, Full<Bytes>>>` (the right side for
/// rejections); the inner service's errors pass through.
///
/// ```
/// use sigv4::verify::Verifier;
/// use sigv4::Credentials;
/// use sigv4_http::tower::{KeyEntry, StaticKeys, VerifyLayer};
///
/// let keys = StaticKeys::new().with_key(
///     KeyEntry::new(Credentials::new("AKIDALICE", "alice-secret", None, None)).with_principal("alice"),
/// );
/// let layer = VerifyLayer::new(Verifier::new("us-east-1", "execute-api")?, keys);
/// # Ok::<(), sigv4::SigningError>(())
/// ```
pub struct VerifyLayer<K, IB = VerifiedRequestBody> {
    config: Arc<VerifyConfig<K>>,
    _body: PhantomData<fn() -> IB>,
}

impl<K, IB> Clone for VerifyLayer<K, IB> {
    fn clone(&self) -> Self {
        VerifyLayer {
            config: Arc::clone(&self.config),
            _body: PhantomData,
        }
    }
}

impl<K, IB> fmt::Debug for VerifyLayer<K, IB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyLayer")
            .field("verifier", &self.config.verifier)
            .field("format", &self.config.format)
            .field("max_body", &self.config.max_body)
            .finish_non_exhaustive()
    }
}

impl<K: KeyStore> VerifyLayer<K> {
    /// Verifies with `verifier`, finding secrets in `keys`.
    pub fn new(verifier: Verifier, keys: K) -> Self {
        VerifyLayer {
            config: Arc::new(VerifyConfig {
                verifier,
                keys: Arc::new(keys),
                format: ErrorFormat::Auto,
                max_body: DEFAULT_MAX_BUFFERED_BODY,
                max_chunk: sigv4::verify::DEFAULT_MAX_CHUNK,
                mismatch_details: true,
                time: Arc::new(SystemClock),
                path_policy: PathPolicy::Reject,
                plus_policy: QueryPlusPolicy::Space,
                strip_unsigned: false,
                stream_hashed: false,
                refusals: RefusalReport::default(),
                linger: LingeringClose::default(),
            }),
            _body: PhantomData,
        }
    }
}

impl<K: KeyStore, IB> VerifyLayer<K, IB> {
    fn config_mut(&mut self) -> &mut VerifyConfig<K> {
        Arc::make_mut(&mut self.config)
    }

    /// The request body type handed to the inner service.
    pub fn with_body<IB2: FromVerifiedBody>(self) -> VerifyLayer<K, IB2> {
        VerifyLayer {
            config: self.config,
            _body: PhantomData,
        }
    }

    /// Hands `axum::body::Body` to the inner service, as axum routers expect (feature `axum`).
    ///
    /// The layer works at any depth of `Router::nest` and `Router::nest_service`: axum
    /// removes the nest's prefix from the URI before the nested router runs, but the client
    /// signed the URI it sent, which axum keeps in its `OriginalUri` extension. The layer
    /// verifies that original URI and hands the inner service the verified URI with the
    /// same prefix removed (and the verified one as `OriginalUri`), so routes are matched
    /// on what was signed. A URI rewritten in any other way before the layer (not by
    /// removing a prefix) is refused with `500 InternalError`: put such rewriting layers
    /// after this one.
    ///
    /// ```
    /// use axum::extract::{Extension, OriginalUri};
    /// use axum::routing::get;
    /// use axum::Router;
    /// use sigv4::verify::Verifier;
    /// use sigv4::Credentials;
    /// use sigv4_http::tower::{KeyEntry, StaticKeys, VerifiedIdentity, VerifyLayer};
    ///
    /// // GET /api/v1/items is signed for `/api/v1/items`; the handler routes on `/items`.
    /// async fn items(OriginalUri(uri): OriginalUri, Extension(who): Extension<VerifiedIdentity>) -> String {
    ///     format!("{uri} signed by {}", who.access_key_id)
    /// }
    ///
    /// let keys = StaticKeys::new().with_key(KeyEntry::new(Credentials::new("AKID", "SECRET", None, None)));
    /// let verify = VerifyLayer::new(Verifier::new("us-east-1", "execute-api")?, keys).for_axum();
    /// let v1 = Router::new().route("/items", get(items)).layer(verify);
    /// let app: Router = Router::new().nest("/api", Router::new().nest("/v1", v1));
    /// # let _ = app;
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    #[cfg(feature = "axum")]
    pub fn for_axum(self) -> VerifyLayer<K, axum_core::body::Body> {
        self.with_body()
    }

    /// XML, JSON, or by service (default).
    pub fn with_error_format(mut self, format: ErrorFormat) -> Self {
        self.config_mut().format = format;
        self
    }

    /// The largest body read to check its signed hash (default
    /// [`DEFAULT_MAX_BUFFERED_BODY`]); bigger ones are answered `413`.
    pub fn with_max_body(mut self, limit: usize) -> Self {
        self.config_mut().max_body = limit;
        self
    }

    /// The most bytes of one aws-chunked request held back until their chunk signature is
    /// verified (default [`sigv4::verify::DEFAULT_MAX_CHUNK`], 1 MiB): the layer hands a
    /// chunk's data on only once its signature has checked, so it holds one chunk per
    /// request, and a chunk larger than `limit` fails the body (`InvalidRequest`) before
    /// any of it is held. AWS SDKs send chunks of 64 KiB to 1 MiB. This is the aws-chunked
    /// sibling of [`with_max_body`](Self::with_max_body), which bounds bodies read whole.
    ///
    /// ```
    /// use sigv4::verify::Verifier;
    /// use sigv4_http::tower::{StaticKeys, VerifyLayer};
    /// let layer = VerifyLayer::new(Verifier::new("us-east-1", "s3")?, StaticKeys::new())
    ///     .with_max_chunk_size(256 * 1024);
    /// # let _ = layer;
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn with_max_chunk_size(mut self, limit: usize) -> Self {
        self.config_mut().max_chunk = limit;
        self
    }

    /// Whether a `SignatureDoesNotMatch` XML error carries the `StringToSign` and
    /// `CanonicalRequest` the server computed, as S3 does (default `true`; they contain
    /// only what the client sent, so a client can diff them against its own).
    pub fn with_mismatch_details(mut self, include: bool) -> Self {
        self.config_mut().mismatch_details = include;
        self
    }

    /// The clock used to check request times (default: the system clock).
    ///
    /// The layer's refusals carry a `Date` header from this clock, and a request outside
    /// the allowed window is answered as S3 answers it: `403 RequestTimeTooSkewed` with
    /// `RequestTime`, `ServerTime` (ISO 8601) and `MaxAllowedSkewMilliseconds` in the body
    /// (as fields of the JSON object for JSON services). Clients with clock-skew correction
    /// (the reqwest middleware with [`RequestSigner::with_clock_skew`](crate::RequestSigner::with_clock_skew),
    /// `sigv4 request`, AWS SDKs) learn the server's time from it and retry.
    pub fn with_time_source(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.config_mut().time = time;
        self
    }

    /// What to do with a path that is not in the normalized form the signature covers,
    /// for services that normalize paths (all but S3): refuse it with `400 InvalidURI`
    /// ([`PathPolicy::Reject`], the default) or hand the inner service the normalized
    /// path that was verified ([`PathPolicy::Rewrite`]). The inner service never sees a
    /// path other than the verified one.
    ///
    /// Rewriting only helps when the layer runs before routing: wrap the whole router
    /// (`Router::new().fallback_service(layer.layer(router))`, or the layer around the
    /// router in a `tower::ServiceBuilder`). With axum's `Router::layer` the route has
    /// already been chosen from the raw path, so keep the default there: refused paths
    /// never reach a handler.
    pub fn with_path_policy(mut self, policy: PathPolicy) -> Self {
        self.config_mut().path_policy = policy;
        self
    }

    /// What to do with a raw `+` in the query: read it as a space, as AWS and form
    /// decoders do ([`QueryPlusPolicy::Space`], the default: verified as `%20`, and the
    /// inner service receives `%20` in its place), refuse it with `400 InvalidArgument`
    /// asking the client to percent-encode it ([`QueryPlusPolicy::Reject`]), or read it as
    /// a literal plus ([`QueryPlusPolicy::LiteralPlus`]: the inner service receives `%2B`
    /// in its place). The inner service never sees a raw `+`.
    pub fn with_query_plus_policy(mut self, policy: QueryPlusPolicy) -> Self {
        self.config_mut().plus_policy = policy;
        self
    }

    /// How much of a request body left unread (a refusal, a forged chunk part-way, a
    /// handler that answers without reading) is still read and discarded, so the client
    /// reads the answer instead of a reset (default 5 s, 64 MiB; [`LingeringClose::off`]).
    ///
    /// ```
    /// # use sigv4_http::{linger::LingeringClose, tower::{StaticKeys, VerifyLayer}};
    /// let verifier = sigv4::verify::Verifier::new("us-east-1", "s3")?;
    /// let layer = VerifyLayer::new(verifier, StaticKeys::new())
    ///     .with_lingering_close(LingeringClose::default().with_max_bytes(8 << 20));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_lingering_close(mut self, linger: LingeringClose) -> Self {
        self.config_mut().linger = linger;
        self
    }

    /// The `tracing` level of the event emitted for every refused request (default
    /// `INFO`): fields `access_key_id` (the one the request claimed, if any), `code` (the
    /// AWS error code answered), `status`, `method` and `path` (without the query); never a
    /// secret, a signature or a header value. The message that explains the refusal in
    /// detail stays at `DEBUG`.
    pub fn with_refusal_log_level(mut self, level: tracing::Level) -> Self {
        self.config_mut().refusals.level = level;
        self
    }

    /// Calls `hook` for every refused request, with the fields of the refusal event: for
    /// metrics (count refusals by code or access key) and alerting.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use sigv4::verify::Verifier;
    /// use sigv4_http::tower::{StaticKeys, VerifyLayer};
    ///
    /// let refused = Arc::new(AtomicU64::new(0));
    /// let counter = Arc::clone(&refused);
    /// let layer = VerifyLayer::new(Verifier::new("us-east-1", "execute-api")?, StaticKeys::new())
    ///     .with_refusal_log_level(tracing::Level::WARN)
    ///     .on_refusal(move |r| {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///         let _ = (r.code, r.access_key_id, r.method, r.path, r.status);
    ///     });
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn on_refusal(mut self, hook: impl Fn(&Refusal<'_>) + Send + Sync + 'static) -> Self {
        self.config_mut().refusals.hook = Some(Arc::new(hook));
        self
    }

    /// Header hygiene (default off): before the inner service runs, remove every request
    /// header the signature does not cover, except transport headers
    /// ([`TRANSPORT_HEADERS`](super::TRANSPORT_HEADERS)) and `authorization` itself, so that every header the
    /// application reads was signed. The signed names are in
    /// [`VerifiedIdentity::signed_headers`].
    pub fn strip_unsigned_headers(mut self, strip: bool) -> Self {
        self.config_mut().strip_unsigned = strip;
        self
    }
}

impl<K: KeyStore, IB> VerifyLayer<K, IB> {
    /// For services that forward the request rather than act on it (default off): a body
    /// whose SHA-256 the signature covers through an `x-amz-content-sha256` header is handed
    /// to the inner service as it arrives instead of being read (up to
    /// [`with_max_body`](Self::with_max_body)) and checked first; the body then fails at
    /// its end, instead of ending, when its hash or length differs.
    ///
    /// Only for inner services that do nothing irreversible before the body has ended
    /// without error, such as a gateway streaming the body to an upstream that checks the
    /// same hash (an upload cut short by the error is not stored). Every other inner
    /// service should keep the default, which never hands it an unchecked byte.
    pub fn stream_hashed_bodies(mut self, stream: bool) -> Self {
        self.config_mut().stream_hashed = stream;
        self
    }
}

/// The edge policy's verdict on a request head: `Some` origin-form target to verify and
/// hand on when it is rewritten.
fn edge_check<K>(
    config: &VerifyConfig<K>,
    parts: &http::request::Parts,
) -> Result<Option<String>, VerifyError> {
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    EdgePolicy::default()
        .with_path(config.path_policy)
        .with_plus(config.plus_policy)
        .check(
            parts.method.as_str(),
            &parts.uri.to_string(),
            &headers,
            config.verifier.normalizes_uri_path(),
        )
}

impl<S, K, IB> Layer<S> for VerifyLayer<K, IB> {
    type Service = VerifyService<S, K, IB>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyService {
            inner,
            config: Arc::clone(&self.config),
            _body: PhantomData,
        }
    }
}

/// The service of [`VerifyLayer`].
pub struct VerifyService<S, K, IB = VerifiedRequestBody> {
    inner: S,
    config: Arc<VerifyConfig<K>>,
    _body: PhantomData<fn() -> IB>,
}

impl<S: Clone, K, IB> Clone for VerifyService<S, K, IB> {
    fn clone(&self) -> Self {
        VerifyService {
            inner: self.inner.clone(),
            config: Arc::clone(&self.config),
            _body: PhantomData,
        }
    }
}

impl<S: fmt::Debug, K, IB> fmt::Debug for VerifyService<S, K, IB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyService")
            .field("inner", &self.inner)
            .field("verifier", &self.config.verifier)
            .finish_non_exhaustive()
    }
}

impl<S, K, IB, B, RB> Service<Request<B>> for VerifyService<S, K, IB>
where
    S: Service<Request<IB>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    K: KeyStore,
    IB: FromVerifiedBody + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Either<RB, Full<Bytes>>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let summary = RequestSummary::of(&parts);
            // A body left unread is drained (bounded): the client reads the answer, no reset.
            let body = DrainOnDrop::new(body, config.linger);
            let rejection = match verify_request(&config, Request::from_parts(parts, body)).await {
                Ok(req) => {
                    let refused = Arc::clone(&req.body().refused);
                    let response = inner.call(req.map(IB::from_verified_body)).await?;
                    // A body failing verification part-way: the layer answers, as AWS does.
                    match refused.get() {
                        None => return Ok(response.map(Either::Left)),
                        Some(r) => body_rejection(&config.error_style(), r),
                    }
                }
                Err(rejection) => rejection,
            };
            let code = rejection.extensions().get::<RefusalCode>();
            let code = code.map_or("", |c| c.0.as_str());
            config
                .refusals
                .report(&summary, rejection.status().as_u16(), code);
            Ok(rejection.map(Either::Right))
        })
    }
}

/// Keeps the key entry the core verifier looked up (for its principal, and to finish a
/// verification that needed the body without a second lookup).
struct Lookup<'a, K: ?Sized> {
    keys: &'a K,
    entry: Mutex<Option<KeyEntry>>,
}

impl<K: KeyStore + ?Sized> AsyncCredentialLookup for Lookup<'_, K> {
    async fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError> {
        let entry = self.keys.lookup(access_key_id).await?;
        let creds = entry.as_ref().map(|e| e.credentials.clone());
        *self.entry.lock().unwrap_or_else(|p| p.into_inner()) = entry;
        Ok(creds)
    }
}

type CheckedRequest<B> = Request<CheckedBody<B>>;

/// The request's head to verify, and the nest's URI to restore after.
type VerifiedHead = (Request<()>, Option<Nested>);

/// Verifies a request, step by step: its head (nesting, edge policy), then its signature
/// without the body, then the body as its payload kind says (or, when the signature covers
/// a body hash no header carries, the body first); the handler gets a checked request.
async fn verify_request<K, B>(
    config: &VerifyConfig<K>,
    req: Request<B>,
) -> Result<CheckedRequest<B>, Response<Full<Bytes>>>
where
    K: KeyStore,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (parts, body) = req.into_parts();
    let (head, nested) = prepare_head(config, parts)?;

    // First without the body: everything but a payload hash taken from the body is checked
    // (form, scope, time, key, token, and the signature when the hash is in a header)
    // before anything is read.
    let now = config.time.now();
    let lookup = Lookup {
        keys: &*config.keys,
        entry: Mutex::new(None),
    };
    let first = config
        .verifier
        .verify_async(
            &VerifiableRequest::from_http(&head, VerifyBody::Unavailable),
            &lookup,
            now,
        )
        .await;
    let entry = lookup.entry.into_inner().unwrap_or_else(|p| p.into_inner());
    let (verified, kind) = match first {
        Ok(v) => {
            let kind = checked_body(config, &v, &head, body).await?;
            (v, kind)
        }
        Err(VerifyError::BodyRequired) => {
            // The signature covers the body's hash and no header carries it: read the body
            // (bounded) and finish with the credentials already looked up.
            let bytes = read_body(config, body).await?;
            let creds = entry.as_ref().map(|e| e.credentials.clone());
            let v = config
                .verifier
                .verify_with(
                    &VerifiableRequest::from_http(&head, VerifyBody::Bytes(&bytes)),
                    creds,
                    now,
                )
                .map_err(|e| rejection(&config.error_style(), &e))?;
            (v, VerifiedKind::Full(Some(bytes)))
        }
        Err(e) => return Err(rejection(&config.error_style(), &e)),
    };
    tracing::debug!(
        access_key_id = verified.access_key_id(),
        scope = verified.credential_scope(),
        "request signature verified"
    );
    checked_request(config, head, nested, &verified, kind, entry)
}

/// The request's head as it is verified: inside `Router::nest`, the URI the client sent
/// (and signed), not the one with the nest's prefix removed (kept to restore it after);
/// then the one edge policy (sigv4::verify::edge: target form and authority, framing
/// headers, path and query spelling), whose rewritten target the inner service routes on.
// The error is the refusal response itself, made once per refused request (as the async
// steps return it).
#[allow(clippy::result_large_err)]
fn prepare_head<K>(
    config: &VerifyConfig<K>,
    mut parts: http::request::Parts,
) -> Result<VerifiedHead, Response<Full<Bytes>>> {
    let reject = |e: &VerifyError| rejection(&config.error_style(), e);
    let nested = take_original(&mut parts).map_err(|m| {
        error_response(
            &config.error_style(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &m,
            None,
        )
    })?;
    match edge_check(config, &parts) {
        Ok(None) => {}
        Ok(Some(target)) => {
            parts.uri = replace_target(&parts.uri, &target).ok_or_else(|| {
                reject(&VerifyError::InvalidRequest(
                    "the normalized request target is not a valid URI".into(),
                ))
            })?;
        }
        Err(e) => return Err(reject(&e)),
    }
    Ok((Request::from_parts(parts, ()), nested))
}

/// Reads the whole body, at most the layer's limit.
async fn read_body<K, B>(config: &VerifyConfig<K>, body: B) -> Result<Bytes, Response<Full<Bytes>>>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    collect_limited(body, config.max_body)
        .await
        .map_err(|e| match e {
            Error::BodyTooLarge { limit } => error_response(
                &config.error_style(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                &format!("the request body is larger than the {limit} bytes this server reads to check its signature"),
                None,
            ),
            other => error_response(
                &config.error_style(),
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                &format!("the request body could not be read: {other}"),
                None,
            ),
        })
}

/// The body the handler reads, checked as the verified payload kind says. Each kind names
/// its check; none falls through to an unchecked body.
async fn checked_body<K, B>(
    config: &VerifyConfig<K>,
    v: &Verified,
    head: &Request<()>,
    body: B,
) -> Result<VerifiedKind<B>, Response<Full<Bytes>>>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let reject = |e: &VerifyError| rejection(&config.error_style(), e);
    let invalid = |why: &str| reject(&VerifyError::InvalidRequest(why.into()));
    Ok(match v.payload() {
        VerifiedPayload::Sha256(_) if v.body_checked() => {
            return Err(invalid("the body was checked without being read"))
        }
        VerifiedPayload::Sha256(expected) if config.stream_hashed => {
            let declared = head
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok());
            VerifiedKind::Hashed(Box::new(HashCheckedBody::new(
                Boxed(Box::pin(body)),
                expected,
                declared,
            )))
        }
        VerifiedPayload::Sha256(expected) => {
            let bytes = read_body(config, body).await?;
            let computed = sigv4::sha256_hex(&bytes);
            let claimed = sigv4::hex(&expected);
            if computed != claimed {
                return Err(reject(&VerifyError::ContentSha256Mismatch {
                    claimed,
                    computed,
                }));
            }
            VerifiedKind::Full(Some(bytes))
        }
        VerifiedPayload::Streaming(_) => match v.chunked_body() {
            Some(chunks) => VerifiedKind::Chunked(Box::new(VerifiedBody::new(
                Boxed(Box::pin(body)),
                chunks.with_max_chunk_size(config.max_chunk as u64),
            ))),
            None => return Err(invalid("the aws-chunked body cannot be verified")),
        },
        // Every message is verified before the handler sees it; the stream fails on a
        // forged, reordered or dropped message and when it ends unsigned.
        #[cfg(feature = "event-stream")]
        VerifiedPayload::EventStream => {
            let messages = v.event_stream().map_err(|e| reject(&e))?;
            VerifiedKind::EventStream(Box::new(
                crate::eventstream::VerifiedEventStreamBody::new(body, messages)
                    .with_max_skew(Arc::clone(&config.time), config.verifier.max_skew()),
            ))
        }
        #[cfg(not(feature = "event-stream"))]
        VerifiedPayload::EventStream => {
            return Err(invalid(
                "signed event streams need sigv4-rs-http's event-stream feature",
            ))
        }
        // Allowed only by a verifier that accepts unsigned payloads; the identity tells the
        // handler the body is not covered.
        VerifiedPayload::Unsigned => VerifiedKind::Stream(Boxed(Box::pin(body))),
        _ => return Err(invalid("unsupported payload")),
    })
}

/// The request the handler gets: the nest's URI restored, unsigned headers stripped (when
/// asked), the headers of a decoded body, and the verified identity and key limits.
#[allow(clippy::result_large_err)] // as prepare_head
fn checked_request<K, B>(
    config: &VerifyConfig<K>,
    head: Request<()>,
    nested: Option<Nested>,
    verified: &Verified,
    kind: VerifiedKind<B>,
    entry: Option<KeyEntry>,
) -> Result<CheckedRequest<B>, Response<Full<Bytes>>> {
    let limits = entry
        .as_ref()
        .map(|e| Arc::clone(&e.limits))
        .unwrap_or_default();
    let principal = entry.and_then(|e| e.principal);
    let (mut parts, ()) = head.into_parts();
    if let Some(nested) = nested {
        nested.restore(&mut parts).map_err(|m| {
            error_response(
                &config.error_style(),
                StatusCode::BAD_REQUEST,
                "InvalidURI",
                &m,
                None,
            )
        })?;
    }
    if config.strip_unsigned {
        strip_unsigned(&mut parts.headers, verified.signed_headers());
    }
    if matches!(kind, VerifiedKind::Chunked(_)) {
        decoded_headers(&mut parts.headers);
    }
    // The handler reads the messages without their signed envelopes: the sent length is
    // not the length of what it reads.
    #[cfg(feature = "event-stream")]
    if matches!(kind, VerifiedKind::EventStream(_)) {
        parts.headers.remove(CONTENT_LENGTH);
    }
    parts
        .extensions
        .insert(VerifiedIdentity::new(verified, principal));
    // The key's limits, for the inner service to enforce (no secret in them).
    parts.extensions.insert(limits);
    Ok(Request::from_parts(
        parts,
        CheckedBody {
            kind,
            refused: BodyRefusalSlot::default(),
        },
    ))
}
