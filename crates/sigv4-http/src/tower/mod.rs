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
//!     let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
//!     Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from(auth))))
//! });
//! let signer = RequestSigner::from_static(Credentials::new("AKID", "SECRET", None, None));
//! let mut client = SignLayer::new(signer).layer(send);
//! let req = http::Request::post("https://search-logs-abc.eu-west-1.es.amazonaws.com/_bulk")
//!     .body(Full::new(Bytes::from_static(b"{}\n")))
//!     .unwrap();
//! let resp = client.call(req).await.unwrap();
//! let auth = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
//! assert!(std::str::from_utf8(&auth).unwrap().contains("/eu-west-1/es/aws4_request"));
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
//! * a signed event stream (`STREAMING-AWS4-HMAC-SHA256-EVENTS`, feature `event-stream`)
//!   is passed on as its messages (plain frames, without their signed envelopes), each
//!   verified in its chain before it is yielded; the body fails at a forged, reordered or
//!   missing message (without the feature such requests are refused);
//! * an `UNSIGNED-PAYLOAD` body (accepted only when the verifier allows it) is passed on
//!   as it is.
//!
//! The inner service also acts on the request that was verified (see `SECURITY.md`): a path
//! that is not in the normalized form the signature covers (`/a/../b`, `/a//b`) and an
//! absolute-form target or HTTP/2 `:authority` other than the signed host are refused with
//! `400` ([`VerifyLayer::with_path_policy`] can rewrite paths to the verified form
//! instead); a raw `+` in the query is read as a space, as AWS and form decoders read it,
//! and handed on as `%20` ([`VerifyLayer::with_query_plus_policy`] can refuse it or read it
//! as a plus instead), and
//! [`VerifyLayer::strip_unsigned_headers`] leaves the inner service only signed headers.
//!
//! See `examples/axum_verify.rs` for axum.

mod body;
mod client;
mod inner_request;
#[cfg(feature = "key-file")]
mod key_file;
mod key_limits;
mod keys;
mod nest;
pub(crate) mod refusal;
pub(crate) mod response;
mod server;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::{BoxError, Error};

pub use body::{FromVerifiedBody, VerifiedRequestBody};
pub use client::{sign_request, ResponseBody, SignLayer, SignService, SignedBody};
pub use inner_request::TRANSPORT_HEADERS;
#[cfg(feature = "key-file")]
pub use key_file::{FileKeys, KeyFileError};
pub use key_limits::{KeyLimits, LimitDenied};
pub use keys::{key_store_fn, FnKeyStore, KeyEntry, KeyLookupFuture, KeyStore, StaticKeys};
pub use refusal::Refusal;
pub use response::ErrorFormat;
pub use server::{VerifiedIdentity, VerifyLayer, VerifyService};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The default limit on a body buffered to hash it (client) or to check its hash (server):
/// 16 MiB.
pub const DEFAULT_MAX_BUFFERED_BODY: usize = 16 * 1024 * 1024;

pub(crate) async fn collect_limited<B>(body: B, limit: usize) -> Result<Bytes, Error>
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
