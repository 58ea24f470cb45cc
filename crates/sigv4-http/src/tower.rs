//! tower layers (feature `tower`): [`SignLayer`] signs outgoing requests in a client stack
//! (hyper, hyper-util, tower), [`VerifyLayer`] verifies incoming requests in a server stack
//! (hyper, axum with feature `axum`).
//!
//! # Client
//!
//! ```
//! use std::convert::Infallible;
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use sigv4::Credentials;
//! use sigv4_http::tower::{SignLayer, SignedBody};
//! use sigv4_http::RequestSigner;
//! use tower_layer::Layer;
//! use tower_service::Service;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // Any service taking signed requests: a hyper-util client in real use.
//! let send = tower::service_fn(|req: http::Request<SignedBody<Full<Bytes>>>| async move {
//!     Ok::<_, Infallible>(req.headers()["authorization"].to_str().unwrap().to_owned())
//! });
//! let signer = RequestSigner::from_static(Credentials::new("AKID", "SECRET", None, None));
//! let mut client = SignLayer::new(signer).layer(send);
//! let req = http::Request::post("https://search-logs-abc.eu-west-1.es.amazonaws.com/_bulk")
//!     .body(Full::new(Bytes::from_static(b"{}\n")))
//!     .unwrap();
//! let auth = client.call(req).await.unwrap();
//! assert!(auth.contains("/eu-west-1/es/aws4_request"));
//! # });
//! ```
//!
//! # Server
//!
//! [`VerifyLayer`] checks the signature (with [`sigv4::verify::Verifier`]) before the
//! inner service sees the request, answers AWS-style errors itself (`403` with
//! `SignatureDoesNotMatch`, `InvalidAccessKeyId`...; as S3's XML `<Error>` document or a
//! JSON object), and hands the inner service a [`VerifiedIdentity`] in the request
//! extensions. The inner service never sees a body whose signed hash does not match:
//!
//! * everything that does not need the body (the signature's form, scope, time, access
//!   key, session token, and the signature itself when `x-amz-content-sha256` carries the
//!   hash) is checked before any of the body is read;
//! * a body whose SHA-256 is signed is then read (up to a limit, `413` beyond) and checked
//!   before the inner service runs;
//! * an aws-chunked body is passed on decoded, each chunk verified before it is yielded;
//! * an `UNSIGNED-PAYLOAD` body (accepted only when the verifier allows it) is passed on
//!   as it is.
//!
//! See `examples/axum_verify.rs` for axum.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use sigv4::chunked::{ChunkEncoder, ChunkedBody};
use sigv4::verify::edge::{prepare_target, PathPolicy, QueryPlusPolicy};
use sigv4::verify::{
    AsyncCredentialLookup, AuthMode, LookupError, VerifiableRequest, Verified, VerifiedBody,
    VerifiedPayload, Verifier, VerifyBody, VerifyError,
};
use sigv4::{AmzDate, Credentials, Payload};
use sigv4_credentials::{SystemClock, TimeSource};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::Boxed;
use crate::signer::StreamingChoice;
use crate::{BoxError, Error, RequestSigner};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The default limit on a body buffered to hash it (client) or to check its hash (server):
/// 16 MiB.
pub const DEFAULT_MAX_BUFFERED_BODY: usize = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------

/// The body of a request signed by [`SignService`]: the buffered bytes that were hashed,
/// the original stream (`UNSIGNED-PAYLOAD`), or its aws-chunked encoding.
pub struct SignedBody<B> {
    kind: SignedKind<B>,
}

enum SignedKind<B> {
    Full(Option<Bytes>),
    Stream(Boxed<B>),
    Chunked(Box<ChunkedBody<Boxed<B>>>),
}

impl<B> Default for SignedBody<B> {
    /// An empty body.
    fn default() -> Self {
        SignedBody {
            kind: SignedKind::Full(None),
        }
    }
}

impl<B> SignedBody<B> {
    fn full(bytes: Bytes) -> Self {
        SignedBody {
            kind: SignedKind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    /// Whether the body was buffered (and its hash signed).
    pub fn is_buffered(&self) -> bool {
        matches!(self.kind, SignedKind::Full(_))
    }

    /// Whether the body is sent aws-chunked.
    pub fn is_aws_chunked(&self) -> bool {
        matches!(self.kind, SignedKind::Chunked(_))
    }
}

impl<B> fmt::Debug for SignedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            SignedKind::Full(b) => format!("Full({} bytes)", b.as_ref().map_or(0, Bytes::len)),
            SignedKind::Stream(_) => "Stream".into(),
            SignedKind::Chunked(_) => "AwsChunked".into(),
        };
        f.debug_struct("SignedBody").field("kind", &kind).finish()
    }
}

impl<B> Body for SignedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            SignedKind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            SignedKind::Stream(s) => Pin::new(s).poll_frame(cx),
            SignedKind::Chunked(c) => Pin::new(&mut **c).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            SignedKind::Full(b) => b.is_none(),
            SignedKind::Stream(s) => s.is_end_stream(),
            SignedKind::Chunked(c) => c.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            SignedKind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            SignedKind::Stream(s) => s.size_hint(),
            SignedKind::Chunked(c) => c.size_hint(),
        }
    }
}

/// The body the verifying layer hands to the inner service: checked bytes, an
/// aws-chunked body decoded and verified chunk by chunk, or an unsigned stream.
struct CheckedBody<B> {
    kind: VerifiedKind<B>,
}

enum VerifiedKind<B> {
    Full(Option<Bytes>),
    Stream(Boxed<B>),
    Chunked(Box<VerifiedBody<Boxed<B>>>),
}

impl<B> Body for CheckedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            VerifiedKind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            VerifiedKind::Stream(s) => Pin::new(s).poll_frame(cx),
            VerifiedKind::Chunked(c) => Pin::new(&mut **c).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            VerifiedKind::Full(b) => b.is_none(),
            VerifiedKind::Stream(s) => s.is_end_stream(),
            VerifiedKind::Chunked(c) => c.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            VerifiedKind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            VerifiedKind::Stream(s) => s.size_hint(),
            VerifiedKind::Chunked(_) => SizeHint::default(),
        }
    }
}

/// Request body types the verifying layer can hand to the inner service.
///
/// Implemented for [`VerifiedRequestBody`] (the default, for hyper services),
/// `UnsyncBoxBody<Bytes, BoxError>` and, with feature `axum`, `axum::body::Body`.
pub trait FromVerifiedBody: Sized {
    /// Wraps `body`.
    fn from_verified_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static;
}

/// The default request body handed to the inner service by [`VerifyLayer`]: the checked
/// bytes, the verified and decoded aws-chunked stream, or the unsigned stream, boxed.
///
/// (A named type rather than `UnsyncBoxBody<Bytes, BoxError>`, whose `dyn Error` lifetime
/// trips up the compiler when the service runs inside `tokio::spawn`.)
pub struct VerifiedRequestBody(UnsyncBoxBody<Bytes, BoxError>);

impl VerifiedRequestBody {
    /// The boxed body.
    pub fn into_inner(self) -> UnsyncBoxBody<Bytes, BoxError> {
        self.0
    }
}

impl fmt::Debug for VerifiedRequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedRequestBody")
            .finish_non_exhaustive()
    }
}

impl Body for VerifiedRequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

impl FromVerifiedBody for VerifiedRequestBody {
    fn from_verified_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
    {
        VerifiedRequestBody(body.boxed_unsync())
    }
}

impl FromVerifiedBody for UnsyncBoxBody<Bytes, BoxError> {
    fn from_verified_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
    {
        body.boxed_unsync()
    }
}

#[cfg(feature = "axum")]
impl FromVerifiedBody for axum_core::body::Body {
    fn from_verified_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
    {
        axum_core::body::Body::new(body)
    }
}

async fn collect_limited<B>(body: B, limit: usize) -> Result<Bytes, Error>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Error::BodyTooLarge { limit }),
        Err(e) => Err(Error::Body(e)),
    }
}

// ---------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------

/// A [`Layer`] that signs every request with a [`RequestSigner`].
///
/// The body decides how the payload is signed:
///
/// * a body of known size up to the buffer limit
///   ([`with_max_buffered_body`](Self::with_max_buffered_body), default
///   [`DEFAULT_MAX_BUFFERED_BODY`]) is read into memory and its SHA-256 signed;
/// * any other body follows the signer's [`crate::StreamingBodies`] policy: streamed as
///   `UNSIGNED-PAYLOAD` (S3 by default), encoded aws-chunked, or, for services that need
///   the payload hash, read up to the limit and hashed ([`Error::BodyTooLarge`] beyond).
///
/// The inner service receives `Request<SignedBody<B>>`. Errors are [`Error`]s: signing
/// failures, or [`Error::Service`] wrapping the inner service's error.
#[derive(Clone, Debug)]
pub struct SignLayer {
    signer: Arc<RequestSigner>,
    max_buffer: usize,
}

impl SignLayer {
    /// Signs with `signer`.
    pub fn new(signer: RequestSigner) -> Self {
        Self::from_shared(Arc::new(signer))
    }

    /// Signs with a signer shared with other integrations.
    pub fn from_shared(signer: Arc<RequestSigner>) -> Self {
        SignLayer {
            signer,
            max_buffer: DEFAULT_MAX_BUFFERED_BODY,
        }
    }

    /// The largest body read into memory to hash it.
    pub fn with_max_buffered_body(mut self, limit: usize) -> Self {
        self.max_buffer = limit;
        self
    }
}

impl<S> Layer<S> for SignLayer {
    type Service = SignService<S>;

    fn layer(&self, inner: S) -> SignService<S> {
        SignService {
            inner,
            signer: Arc::clone(&self.signer),
            max_buffer: self.max_buffer,
        }
    }
}

/// The service of [`SignLayer`].
#[derive(Clone, Debug)]
pub struct SignService<S> {
    inner: S,
    signer: Arc<RequestSigner>,
    max_buffer: usize,
}

impl<S> SignService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, B> Service<Request<B>> for SignService<S>
where
    S: Service<Request<SignedBody<B>>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = Error;
    type Future = BoxFuture<Result<S::Response, Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| Error::Service(e.into()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // The clone is not the service that was polled ready: swap so the ready one is used.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let signer = Arc::clone(&self.signer);
        let max = self.max_buffer;
        Box::pin(async move {
            let req = sign_request(&signer, req, max).await?;
            inner.call(req).await.map_err(|e| Error::Service(e.into()))
        })
    }
}

/// Signs `req` as [`SignLayer`] does, returning the request with its body to send.
pub async fn sign_request<B>(
    signer: &RequestSigner,
    req: Request<B>,
    max_buffer: usize,
) -> Result<Request<SignedBody<B>>, Error>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    // The S3 Express session for directory buckets, the skew-corrected time.
    let host = crate::signer::request_host(req.headers(), req.uri())?;
    let url = format!(
        "{}://{host}{}",
        req.uri().scheme_str().unwrap_or("https"),
        req.uri().path_and_query().map_or("/", |pq| pq.as_str())
    );
    let crate::Prepared {
        signer: v4,
        credentials: creds,
        time: now,
    } = signer.prepare(&url, &host).await?;
    let (parts, body) = req.into_parts();
    let exact = body.size_hint().exact();
    let fits = exact.is_some_and(|n| n <= max_buffer as u64);
    let choice = if fits {
        None
    } else {
        signer.streaming_payload(&v4).ok()
    };
    match choice {
        None => {
            let bytes = collect_limited(body, max_buffer).await?;
            let mut req = Request::from_parts(parts, bytes);
            v4.sign_http_request(&mut req, &creds, now)?;
            let (parts, bytes) = req.into_parts();
            Ok(Request::from_parts(parts, SignedBody::full(bytes)))
        }
        Some(StreamingChoice::Unsigned) => {
            let mut head = Request::from_parts(parts, ());
            v4.sign_http_request_with_payload(&mut head, Payload::Unsigned, &creds, now)?;
            let (parts, ()) = head.into_parts();
            Ok(Request::from_parts(
                parts,
                SignedBody {
                    kind: SignedKind::Stream(Boxed(Box::pin(body))),
                },
            ))
        }
        Some(StreamingChoice::Chunked(settings)) => {
            let len = match exact {
                Some(n) => n,
                None => parts
                    .headers
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok()?.trim().parse().ok())
                    .ok_or(Error::UnknownBodyLength)?,
            };
            let mut head = Request::from_parts(parts, ());
            let encoder: ChunkEncoder =
                sigv4::chunked::sign_http_request(&v4, &mut head, settings, len, &creds, now)?;
            let (parts, ()) = head.into_parts();
            Ok(Request::from_parts(
                parts,
                SignedBody {
                    kind: SignedKind::Chunked(Box::new(ChunkedBody::new(
                        Boxed(Box::pin(body)),
                        encoder,
                    ))),
                },
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------

/// A known access key: its credentials and, optionally, the principal it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEntry {
    credentials: Credentials,
    principal: Option<String>,
}

impl KeyEntry {
    /// A key with no principal name.
    pub fn new(credentials: Credentials) -> Self {
        KeyEntry {
            credentials,
            principal: None,
        }
    }

    /// Names the principal (user, role, tenant) the key belongs to; it is passed to the
    /// handler in [`VerifiedIdentity::principal`].
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
            .finish()
    }
}

/// The future of [`KeyStore::lookup`].
pub type KeyLookupFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<KeyEntry>, LookupError>> + Send + 'a>>;

/// Where the verifying layer finds the secret of an access key id: memory, a database, a
/// secrets service.
///
/// Implemented for closures `Fn(&str) -> Option<Credentials>` and for [`StaticKeys`]. The
/// lookup runs only after everything that can be checked without the secret (the
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
                _ => false,
            },
            signed_headers: v
                .signed_headers()
                .split(';')
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// How rejections are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ErrorFormat {
    /// XML for S3-family verifiers, JSON for every other service. The default.
    #[default]
    Auto,
    /// S3's `<Error><Code>..</Code><Message>..</Message></Error>` document
    /// (`application/xml`).
    Xml,
    /// `{"__type": "Code", "message": ".."}` with an `x-amzn-ErrorType` header
    /// (`application/json`), as AWS JSON services answer.
    Json,
}

struct VerifyConfig<K> {
    verifier: Verifier,
    keys: Arc<K>,
    format: ErrorFormat,
    max_body: usize,
    mismatch_details: bool,
    time: Arc<dyn TimeSource>,
    path_policy: PathPolicy,
    plus_policy: QueryPlusPolicy,
    strip_unsigned: bool,
}

impl<K> Clone for VerifyConfig<K> {
    fn clone(&self) -> Self {
        VerifyConfig {
            verifier: self.verifier.clone(),
            keys: Arc::clone(&self.keys),
            format: self.format,
            max_body: self.max_body,
            mismatch_details: self.mismatch_details,
            time: Arc::clone(&self.time),
            path_policy: self.path_policy,
            plus_policy: self.plus_policy,
            strip_unsigned: self.strip_unsigned,
        }
    }
}

/// A [`Layer`] that verifies the SigV4 signature of every request before the inner
/// service runs, answering AWS-style errors itself.
///
/// `IB` is the request body type of the inner service: [`VerifiedRequestBody`] by default
/// (hyper services), `axum::body::Body` after [`for_axum`](Self::for_axum).
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
                mismatch_details: true,
                time: Arc::new(SystemClock),
                path_policy: PathPolicy::Reject,
                plus_policy: QueryPlusPolicy::Reject,
                strip_unsigned: false,
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

    /// Whether a `SignatureDoesNotMatch` XML error carries the `StringToSign` and
    /// `CanonicalRequest` the server computed, as S3 does (default `true`; they contain
    /// only what the client sent, so a client can diff them against its own).
    pub fn with_mismatch_details(mut self, include: bool) -> Self {
        self.config_mut().mismatch_details = include;
        self
    }

    /// The clock used to check request times (default: the system clock).
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

    /// What to do with a raw `+` in the query: refuse it with `400 InvalidArgument`
    /// asking the client to percent-encode it ([`QueryPlusPolicy::Reject`], the default),
    /// or accept it as the literal plus the signature covers
    /// ([`QueryPlusPolicy::LiteralPlus`]: the inner service receives `%2B` in its place,
    /// so its form decoding also reads a plus, never a space).
    pub fn with_query_plus_policy(mut self, policy: QueryPlusPolicy) -> Self {
        self.config_mut().plus_policy = policy;
        self
    }

    /// Header hygiene (default off): before the inner service runs, remove every request
    /// header the signature does not cover, except transport headers
    /// ([`TRANSPORT_HEADERS`]) and `authorization` itself, so that every header the
    /// application reads was signed. The signed names are in
    /// [`VerifiedIdentity::signed_headers`].
    pub fn strip_unsigned_headers(mut self, strip: bool) -> Self {
        self.config_mut().strip_unsigned = strip;
        self
    }
}

/// Headers that [`VerifyLayer::strip_unsigned_headers`] keeps although they are not
/// signed: they describe the connection and the message framing, which the HTTP stack has
/// already acted on, not the request's meaning.
pub const TRANSPORT_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "content-length",
    "expect",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes the headers that are neither signed nor transport headers.
fn strip_unsigned(headers: &mut http::HeaderMap, signed: &str) {
    let unsigned: Vec<http::HeaderName> = headers
        .keys()
        .filter(|n| {
            let n = n.as_str();
            !TRANSPORT_HEADERS.contains(&n) && !signed.split(';').any(|s| s == n)
        })
        .cloned()
        .collect();
    for name in unsigned {
        headers.remove(&name);
    }
}

/// Puts `target` (origin form) in place of the URI's path and query, keeping its scheme
/// and authority.
fn replace_target(uri: &http::Uri, target: &str) -> Option<http::Uri> {
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(target.parse().ok()?);
    http::Uri::from_parts(parts).ok()
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
            match verify_request(&config, req).await {
                Ok(req) => {
                    let req = req.map(IB::from_verified_body);
                    Ok(inner.call(req).await?.map(Either::Left))
                }
                Err(rejection) => Ok(rejection.map(Either::Right)),
            }
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

async fn verify_request<K, B>(
    config: &VerifyConfig<K>,
    req: Request<B>,
) -> Result<CheckedRequest<B>, Response<Full<Bytes>>>
where
    K: KeyStore,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (mut parts, body) = req.into_parts();
    let reject = |e: &VerifyError| rejection(config, e);

    // The target the inner service will route on must be the one verified: refuse (or, as
    // configured, rewrite to the verified form) paths that normalize to something else and
    // raw '+' in the query. The authority of an absolute-form target (or HTTP/2
    // :authority) is checked against the signed Host by the verifier.
    let pq = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    match prepare_target(
        pq,
        config.verifier.normalizes_uri_path(),
        config.path_policy,
        config.plus_policy,
    ) {
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
    let head = Request::from_parts(parts, ());
    let read = |body: B| async move {
        collect_limited(body, config.max_body)
            .await
            .map_err(|e| match e {
                Error::BodyTooLarge { limit } => error_response(
                    config,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    &format!("the request body is larger than the {limit} bytes this server reads to check its signature"),
                    None,
                ),
                other => error_response(
                    config,
                    StatusCode::BAD_REQUEST,
                    "IncompleteBody",
                    &format!("the request body could not be read: {other}"),
                    None,
                ),
            })
    };

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
            // Each payload kind names its check; none falls through to an unchecked body.
            let kind = match v.payload() {
                VerifiedPayload::Sha256(_) if v.body_checked() => {
                    return Err(reject(&VerifyError::InvalidRequest(
                        "the body was checked without being read".into(),
                    )))
                }
                VerifiedPayload::Sha256(expected) => {
                    let bytes = read(body).await?;
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
                        chunks,
                    ))),
                    None => {
                        return Err(reject(&VerifyError::InvalidRequest(
                            "the aws-chunked body cannot be verified".into(),
                        )))
                    }
                },
                // Allowed only by a verifier that accepts unsigned payloads; the identity
                // tells the handler the body is not covered.
                VerifiedPayload::Unsigned => VerifiedKind::Stream(Boxed(Box::pin(body))),
                _ => {
                    return Err(reject(&VerifyError::InvalidRequest(
                        "unsupported payload".into(),
                    )))
                }
            };
            (v, kind)
        }
        Err(VerifyError::BodyRequired) => {
            // The signature covers the body's hash and no header carries it: read the body
            // (bounded) and finish with the credentials already looked up.
            let bytes = read(body).await?;
            let creds = entry.as_ref().map(|e| e.credentials.clone());
            let v = config
                .verifier
                .verify_with(
                    &VerifiableRequest::from_http(&head, VerifyBody::Bytes(&bytes)),
                    creds,
                    now,
                )
                .map_err(|e| reject(&e))?;
            (v, VerifiedKind::Full(Some(bytes)))
        }
        Err(e) => return Err(reject(&e)),
    };
    let principal = entry.and_then(|e| e.principal);

    tracing::debug!(
        access_key_id = verified.access_key_id(),
        scope = verified.credential_scope(),
        "request signature verified"
    );
    let (mut parts, ()) = head.into_parts();
    if config.strip_unsigned {
        strip_unsigned(&mut parts.headers, verified.signed_headers());
    }
    if matches!(kind, VerifiedKind::Chunked(_)) {
        decoded_headers(&mut parts.headers);
    }
    parts
        .extensions
        .insert(VerifiedIdentity::new(&verified, principal));
    Ok(Request::from_parts(parts, CheckedBody { kind }))
}

/// The handler sees the decoded body of an aws-chunked upload: its length and encoding.
fn decoded_headers(headers: &mut http::HeaderMap) {
    match headers.get("x-amz-decoded-content-length").cloned() {
        Some(len) => {
            headers.insert(CONTENT_LENGTH, len);
        }
        None => {
            headers.remove(CONTENT_LENGTH);
        }
    }
    let rest: Option<String> = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
                .collect::<Vec<_>>()
                .join(",")
        });
    match rest.and_then(|r| HeaderValue::from_str(&r).ok().filter(|_| !r.is_empty())) {
        Some(v) => {
            headers.insert(http::header::CONTENT_ENCODING, v);
        }
        None => {
            headers.remove(http::header::CONTENT_ENCODING);
        }
    }
}

fn rejection<K>(config: &VerifyConfig<K>, e: &VerifyError) -> Response<Full<Bytes>> {
    tracing::debug!(code = e.code(), error = %e, "request signature refused");
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::FORBIDDEN);
    error_response(
        config,
        status,
        e.code(),
        &e.to_string(),
        e.signature_mismatch(),
    )
}

fn error_response<K>(
    config: &VerifyConfig<K>,
    status: StatusCode,
    code: &str,
    message: &str,
    mismatch: Option<&sigv4::verify::SignatureMismatch>,
) -> Response<Full<Bytes>> {
    let xml = match config.format {
        ErrorFormat::Xml => true,
        ErrorFormat::Json => false,
        ErrorFormat::Auto => crate::signer::is_s3(config.verifier.service()),
    };
    let (body, content_type) = if xml {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        s.push_str(&xml_escape(code));
        s.push_str("</Code><Message>");
        s.push_str(&xml_escape(message));
        s.push_str("</Message>");
        if let (true, Some(m)) = (config.mismatch_details, mismatch) {
            s.push_str("<StringToSign>");
            s.push_str(&xml_escape(m.string_to_sign()));
            s.push_str("</StringToSign><CanonicalRequest>");
            s.push_str(&xml_escape(m.canonical_request()));
            s.push_str("</CanonicalRequest>");
        }
        s.push_str("</Error>");
        (s, "application/xml")
    } else {
        let v = serde_json::json!({ "__type": code, "message": message });
        (v.to_string(), "application/json")
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if !xml {
        if let Ok(v) = HeaderValue::from_str(code) {
            resp.headers_mut().insert("x-amzn-errortype", v);
        }
    }
    resp
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push('\n'),
            c if (c as u32) < 0x20 && c != '\t' => {
                out.push_str(&format!("&#x{:x};", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(xml_escape("a<b>&\"'\nc"), "a&lt;b&gt;&amp;&quot;&apos;\nc");
    }
}
