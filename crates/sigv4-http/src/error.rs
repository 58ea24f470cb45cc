//! The errors of the integrations.

use sigv4::chunked::ChunkedError;
use sigv4::SigningError;
use sigv4_credentials::CredentialsError;
use std::fmt;

/// A boxed error, as used by tower and hyper.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a request could not be signed.
///
/// Messages say what to change and never contain secrets.
///
/// Each message includes its cause's; [`source`](std::error::Error::source) reports only
/// what the message does not already say, so a chain prints each cause once (see
/// [`sigv4::error_chain`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request has neither an absolute URL nor a `Host` header.
    MissingHost,
    /// The service could not be inferred from the host and none was set.
    UnknownService {
        /// The host that was looked at.
        host: String,
    },
    /// The region could not be inferred from the host and none was set.
    UnknownRegion {
        /// The host that was looked at.
        host: String,
    },
    /// The host is signed with SigV4a (an S3 Multi-Region Access Point: a region set, no
    /// region) and a single region was asked for ([`RequestSigner::resolve_target`](crate::RequestSigner::resolve_target)); the
    /// integrations sign such hosts with SigV4a.
    NeedsSigV4a {
        /// The host that was looked at.
        host: String,
        /// The region set AWS's SDKs sign it for.
        region_set: String,
    },
    /// SigV4a signing failed (an invalid region set, a key that cannot be derived...).
    SigV4a(sigv4::sigv4a::SigV4aError),
    /// The request is signed with SigV4a (a region set), which does not support what it
    /// needs (named).
    SigV4aUnsupported(&'static str),
    /// The credential provider failed.
    Credentials(CredentialsError),
    /// The signer refused the request (bad header, URI, region...).
    Signing(SigningError),
    /// aws-chunked encoding could not be set up.
    Chunked(ChunkedError),
    /// The body is a stream that cannot be read twice, but the service needs the SHA-256 of
    /// the payload in the signature.
    StreamingBodyNeedsHash {
        /// The service being signed for.
        service: String,
    },
    /// aws-chunked encoding needs the body's length up front.
    UnknownBodyLength,
    /// The body is larger than what the signer agrees to buffer in order to hash it.
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A streamed request body ended after `sent` bytes, or went beyond, while its
    /// `content-length` declared `declared`: the request was cut off rather than left for
    /// the server to wait on.
    BodyLengthMismatch {
        /// The declared length (the encoded length for aws-chunked bodies).
        declared: u64,
        /// The bytes the body produced.
        sent: u64,
    },
    /// The connection closed while a streamed request body was being sent: the server
    /// stopped reading it and no answer was read (a server that sent none, or a refusal
    /// lost with the connection by a transport that stops at its first write error; see
    /// `sigv4_http::connect`). An answer that arrives is returned as the response,
    /// status and AWS error document included.
    UploadInterrupted {
        /// The bytes sent before the connection closed.
        sent: u64,
        /// The declared length, if any.
        declared: Option<u64>,
        /// The client's error.
        source: BoxError,
    },
    /// Reading the request body (to hash it) failed.
    Body(BoxError),
    /// The service behind the signing layer failed (a connection error...): see the source.
    Service(BoxError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingHost => f.write_str("the request has no host: use an absolute URL or set a Host header"),
            Error::UnknownService { host } => write!(f, "cannot tell which AWS service {host:?} belongs to: set it with RequestSigner::with_service"),
            Error::UnknownRegion { host } => write!(f, "cannot tell the AWS region from {host:?}: set it with RequestSigner::with_region"),
            Error::NeedsSigV4a { host, region_set } => write!(f, "{host:?} is signed with SigV4a for the region set {region_set:?} (no single region): the integrations sign it so (RequestSigner::with_region_set); where the endpoint also accepts SigV4, set RequestSigner::with_region"),
            Error::SigV4a(e) => write!(f, "could not sign with SigV4a: {e}"),
            Error::SigV4aUnsupported(what) => write!(f, "SigV4a signing (a region set) does not support {what}"),
            Error::Credentials(e) => write!(f, "could not load AWS credentials: {e}"),
            Error::Signing(e) => write!(f, "could not sign the request: {e}"),
            Error::Chunked(e) => write!(f, "could not set up the aws-chunked body: {e}"),
            Error::StreamingBodyNeedsHash { service } => write!(f, "the request body is a stream, but service {service:?} needs the payload's SHA-256 in the signature: send an in-memory body (bytes, String, Vec<u8>); for an event stream, sign the request with sigv4::eventstream::sign_http_request and send an EventStreamBody (feature event-stream; the middleware passes such signed requests through untouched); sign UNSIGNED-PAYLOAD (StreamingBodies::UnsignedPayload) only where the service documents that it accepts it"),
            Error::UnknownBodyLength => f.write_str("aws-chunked signing needs the body length: set a Content-Length header or use a body of known size"),
            Error::BodyTooLarge { limit } => write!(f, "the request body is larger than {limit} bytes, the most this signer buffers to hash it: raise the limit, or sign UNSIGNED-PAYLOAD where the service accepts it"),
            Error::BodyLengthMismatch { declared, sent } => write!(f, "the request body produced {sent} bytes but its content-length is {declared}: the request was cut off; send a body of the declared length"),
            Error::UploadInterrupted { sent, declared, source } => {
                write!(f, "the connection closed after {sent}")?;
                if let Some(d) = declared {
                    write!(f, " of {d}")?;
                }
                write!(f, " bytes of the request body: the server stopped reading it, and no answer was read (see sigv4_http::connect for a transport that reads an early answer): {source}")
            }
            Error::Body(e) => write!(f, "reading the request body failed: {e}"),
            Error::Service(e) => write!(f, "sending the signed request failed: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let cause: &(dyn std::error::Error + 'static) = match self {
            Error::Credentials(e) => e,
            Error::Signing(e) => e,
            Error::Chunked(e) => e,
            Error::SigV4a(e) => e,
            Error::Body(e) | Error::Service(e) => &**e,
            Error::UploadInterrupted { source, .. } => &**source,
            _ => return None,
        };
        sigv4::error_chain::unshown_source(&self.to_string(), cause)
    }
}

impl From<CredentialsError> for Error {
    fn from(e: CredentialsError) -> Self {
        Error::Credentials(e)
    }
}

impl From<SigningError> for Error {
    fn from(e: SigningError) -> Self {
        Error::Signing(e)
    }
}

impl From<ChunkedError> for Error {
    fn from(e: ChunkedError) -> Self {
        Error::Chunked(e)
    }
}
