//! The errors of the integrations.

use sigv4::chunked::ChunkedError;
use sigv4::SigningError;
use sigv4_credentials::CredentialsError;
use thiserror::Error;

/// A boxed error, as used by tower and hyper.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a request could not be signed.
///
/// Messages say what to change and never contain secrets.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The request has neither an absolute URL nor a `Host` header.
    #[error("the request has no host: use an absolute URL or set a Host header")]
    MissingHost,
    /// The service could not be inferred from the host and none was set.
    #[error("cannot tell which AWS service {host:?} belongs to: set it with RequestSigner::with_service")]
    UnknownService {
        /// The host that was looked at.
        host: String,
    },
    /// The region could not be inferred from the host and none was set.
    #[error("cannot tell the AWS region from {host:?}: set it with RequestSigner::with_region")]
    UnknownRegion {
        /// The host that was looked at.
        host: String,
    },
    /// The host is signed with SigV4a (an S3 Multi-Region Access Point: a region set, no
    /// region), which this signer does not do, and no region was set.
    #[error("{host:?} is signed with SigV4a for the region set {region_set:?} (no single region): RequestSigner signs SigV4 only; sign it with sigv4::sigv4a::SigV4aSigner::new({region_set:?}, service), or, where the endpoint also accepts SigV4, set RequestSigner::with_region")]
    NeedsSigV4a {
        /// The host that was looked at.
        host: String,
        /// The region set AWS's SDKs sign it for.
        region_set: String,
    },
    /// The credential provider failed.
    #[error("could not load AWS credentials: {0}")]
    Credentials(#[from] CredentialsError),
    /// The signer refused the request (bad header, URI, region...).
    #[error("could not sign the request: {0}")]
    Signing(#[from] SigningError),
    /// aws-chunked encoding could not be set up.
    #[error("could not set up the aws-chunked body: {0}")]
    Chunked(#[from] ChunkedError),
    /// The body is a stream that cannot be read twice, but the service needs the SHA-256 of
    /// the payload in the signature.
    #[error("the request body is a stream, but service {service:?} needs the payload's SHA-256 in the signature: send an in-memory body (bytes, String, Vec<u8>); for an event stream, sign the request with sigv4::eventstream::sign_http_request and send an EventStreamBody (feature event-stream; the middleware passes such signed requests through untouched); sign UNSIGNED-PAYLOAD (StreamingBodies::UnsignedPayload) only where the service documents that it accepts it")]
    StreamingBodyNeedsHash {
        /// The service being signed for.
        service: String,
    },
    /// aws-chunked encoding needs the body's length up front.
    #[error("aws-chunked signing needs the body length: set a Content-Length header or use a body of known size")]
    UnknownBodyLength,
    /// The body is larger than what the signer agrees to buffer in order to hash it.
    #[error("the request body is larger than {limit} bytes, the most this signer buffers to hash it: raise the limit, or sign UNSIGNED-PAYLOAD where the service accepts it")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Reading the request body (to hash it) failed.
    #[error("reading the request body failed: {0}")]
    Body(#[source] BoxError),
    /// The service behind the signing layer failed (a connection error...): see the source.
    #[error("sending the signed request failed: {0}")]
    Service(#[source] BoxError),
}
