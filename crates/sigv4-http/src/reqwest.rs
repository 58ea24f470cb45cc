//! A [`reqwest_middleware`] middleware that signs every request (feature `reqwest`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use sigv4_http::reqwest::SigV4Middleware;
//! use sigv4_http::RequestSigner;
//!
//! # async fn demo(provider: Arc<dyn sigv4_http::ProvideCredentials>) -> Result<(), Box<dyn std::error::Error>> {
//! // Any credential provider (for example sigv4_credentials::DefaultChain); it is cached
//! // and refreshed before expiry.
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(SigV4Middleware::new(RequestSigner::new(provider)))
//!     .build();
//! // Service `execute-api` and region `eu-west-1` come from the host.
//! let resp = client
//!     .post("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/items")
//!     .body(r#"{"name":"x"}"#)
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Bodies:
//!
//! * in-memory bodies (bytes, `String`, `Vec<u8>`, JSON, forms) are hashed;
//! * streaming bodies (`reqwest::Body::wrap_stream`, files) follow the signer's
//!   [`StreamingBodies`](crate::StreamingBodies) policy: `UNSIGNED-PAYLOAD` for S3 by default,
//!   aws-chunked (with a `Content-Length` header) if asked, and otherwise the request fails
//!   with [`Error::StreamingBodyNeedsHash`] before anything is sent (a stream cannot be
//!   read twice, and the service needs its hash in the signature).
//!
//! Errors reach the caller as `reqwest_middleware::Error::Middleware`; the
//! [`Error`] inside can be recovered with `anyhow::Error::downcast_ref`.
//!
//! Add this middleware last (after retries), so that every attempt is signed afresh.
//!
//! A server's refusal part-way through a streamed upload (a `403` with its AWS error
//! document while the body is still being sent) comes back as the response, status and
//! error document included, when the server reads on or lingers before it closes (ours
//! do, as nginx and AWS do). A server that closes at once with the body unread makes
//! the connection reset, and reqwest (hyper underneath) stops at that write error without
//! reading the answer already received: the caller then gets
//! [`Error::UploadInterrupted`] (how much of the body went out), now and then, depending on
//! timing. reqwest offers no way to wrap its connections; to get the answer every time,
//! end the middleware chain with [`KeepReadingTransport`], which sends through hyper on
//! [`KeepReading`](crate::connect::KeepReading) connections (and so bypasses the
//! `reqwest::Client`'s own transport settings: see its documentation).

use std::sync::Arc;

use ::reqwest::{Body, Request, Response};
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use http::Extensions;
use http_body::Body as _;
use reqwest_middleware::{Middleware, Next};
use sigv4::chunked::ChunkedBody;
use sigv4::{Payload, SignableRequest, SigningOutput};

use crate::body::{Boxed, Metered, UploadProgress};

mod transport;
use crate::signer::StreamingChoice;
use crate::{Error, RequestSigner};
pub use transport::KeepReadingTransport;

/// Signs every request sent through a `reqwest_middleware::ClientWithMiddleware`.
#[derive(Debug, Clone)]
pub struct SigV4Middleware {
    signer: Arc<RequestSigner>,
}

impl SigV4Middleware {
    /// Signs with `signer`.
    pub fn new(signer: RequestSigner) -> Self {
        Self::from_shared(Arc::new(signer))
    }

    /// Signs with a signer shared with other integrations.
    pub fn from_shared(signer: Arc<RequestSigner>) -> Self {
        SigV4Middleware { signer }
    }

    /// The signer.
    pub fn signer(&self) -> &Arc<RequestSigner> {
        &self.signer
    }

    /// Signs `request` in place, as the middleware does before sending it.
    pub async fn sign(&self, request: &mut Request) -> Result<SigningOutput, Error> {
        Ok(self.sign_metered(request).await?.0)
    }

    /// Signs `request` in place; a streamed body is metered on its way out (see
    /// [`Metered`]), and what it sent is returned with the output.
    async fn sign_metered(
        &self,
        request: &mut Request,
    ) -> Result<(SigningOutput, Option<Arc<UploadProgress>>), Error> {
        let host = match request.headers().get(http::header::HOST) {
            Some(h) => h.to_str().map_err(|_| Error::MissingHost)?.to_owned(),
            None => {
                let url = request.url();
                let host = url.host_str().ok_or(Error::MissingHost)?;
                match url.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_owned(),
                }
            }
        };
        let url = request.url().as_str();
        let target = url.split_once('#').map_or(url, |(u, _)| u).to_owned();
        // The S3 Express session for directory buckets, the skew-corrected time.
        let (v4, auth, now) = self.signer.prepare(&target, &host).await?;
        let auth = auth.as_auth();

        let streaming = request.body().is_some_and(|b| b.as_bytes().is_none());
        let mut progress = None;
        let out = if !streaming {
            let body = request.body().and_then(Body::as_bytes).unwrap_or_default();
            let signable = SignableRequest::new(
                request.method().as_str(),
                &target,
                request
                    .headers()
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_bytes())),
                Payload::Bytes(body),
            );
            auth.sign(&v4, &signable, now)?
        } else {
            match self.signer.streaming_payload(&v4)? {
                StreamingChoice::Unsigned => {
                    let signable = SignableRequest::new(
                        request.method().as_str(),
                        &target,
                        request
                            .headers()
                            .iter()
                            .map(|(n, v)| (n.as_str(), v.as_bytes())),
                        Payload::Unsigned,
                    );
                    let out = auth.sign(&v4, &signable, now)?;
                    drop(signable);
                    progress = meter(request);
                    out
                }
                StreamingChoice::Chunked(settings) => {
                    let len = match request.body().and_then(|b| b.size_hint().exact()) {
                        Some(n) => n,
                        None => request
                            .headers()
                            .get(CONTENT_LENGTH)
                            .and_then(|v| v.to_str().ok()?.trim().parse().ok())
                            .ok_or(Error::UnknownBodyLength)?,
                    };
                    // The aws-chunked headers (encoded content-length, decoded length,
                    // content-encoding) are signed with the streaming marker (SigV4a's
                    // ECDSA marker for a SigV4a request).
                    let settings = auth.chunked_settings(&v4, settings)?;
                    settings.set_headers(request.headers_mut(), len)?;
                    let time = now;
                    let signable = SignableRequest::new(
                        request.method().as_str(),
                        &target,
                        request
                            .headers()
                            .iter()
                            .map(|(n, v)| (n.as_str(), v.as_bytes())),
                        Payload::Precomputed(settings.content_sha256()),
                    );
                    let out = auth.sign(&v4, &signable, time)?;
                    drop(signable);
                    let encoder = auth
                        .chunk_encoder(&v4, settings, &out, time)?
                        .with_expected_length(len);
                    if let Some(body) = request.body_mut().take() {
                        let encoded = ChunkedBody::new(Boxed(Box::pin(body)), encoder);
                        *request.body_mut() = Some(Body::wrap(encoded));
                    }
                    progress = meter(request);
                    out
                }
            }
        };
        apply(request, &out)?;
        Ok((out, progress))
    }
}

/// Meters the streamed body of `request` against its `content-length`.
fn meter(request: &mut Request) -> Option<Arc<UploadProgress>> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse().ok());
    let body = request.body_mut().take()?;
    let progress = UploadProgress::new(declared);
    let metered = Metered::new(Boxed(Box::pin(body)), Arc::clone(&progress));
    *request.body_mut() = Some(Body::wrap(metered));
    Some(progress)
}

fn apply(request: &mut Request, out: &SigningOutput) -> Result<(), Error> {
    for (name, value) in out.headers() {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| sigv4::SigningError::InvalidHeaderName(name.to_owned()))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| sigv4::SigningError::InvalidHeaderValue(name.as_str().to_owned()))?;
        if name == http::header::AUTHORIZATION
            || name.as_str() == "x-amz-security-token"
            || name.as_str() == "x-amz-s3session-token"
        {
            value.set_sensitive(true);
        }
        request.headers_mut().insert(name, value);
    }
    Ok(())
}

#[async_trait::async_trait]
impl Middleware for SigV4Middleware {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        // A request the application signed itself for a signed streaming body (an event
        // stream from `EventStreamBody`, an aws-chunked body with its own chunk signer) goes
        // out untouched: its body's signatures are chained from the request's signature, so
        // signing it again would break every message.
        if is_signed_stream(&req) {
            return next.run(req, extensions).await;
        }
        // With clock-skew correction on, keep an unsigned copy to send again (not possible
        // for streaming bodies: their offset is still learned for later requests).
        let again = self.signer.clock_skew().and_then(|_| req.try_clone());
        let (_, progress) = self
            .sign_metered(&mut req)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let response = match (next.clone().run(req, extensions).await, progress) {
            (Ok(r), _) => r,
            // A streamed body not sent whole: say so (the length was wrong, or the server
            // stopped reading), rather than "error sending request".
            (Err(e), Some(p)) if p.interrupted(&e) => {
                return Err(reqwest_middleware::Error::middleware(
                    p.failure(Box::new(e)),
                ))
            }
            (Err(e), _) => return Err(e),
        };
        if self.signer.clock_skew().is_none() {
            return Ok(response);
        }
        let (response, learned) = learn_skew(&self.signer, response).await?;
        match (learned, again) {
            (true, Some(mut again)) => {
                self.sign(&mut again)
                    .await
                    .map_err(reqwest_middleware::Error::middleware)?;
                next.run(again, extensions).await
            }
            _ => Ok(response),
        }
    }
}

/// Whether the request already carries a SigV4 signature for a signed streaming payload
/// (`x-amz-content-sha256: STREAMING-...`, other than unsigned-payload trailers).
fn is_signed_stream(req: &Request) -> bool {
    let h = req.headers();
    let streaming = h
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-") && !v.starts_with("STREAMING-UNSIGNED"));
    let signed = h
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-"));
    streaming && signed
}

/// A 400 or 403 is read whole (error documents are small) to see whether the server
/// refused the request's time; returns the response, rebuilt with the same status,
/// headers and body, and whether an offset was learned (the request is then sent again).
async fn learn_skew(
    signer: &RequestSigner,
    response: Response,
) -> reqwest_middleware::Result<(Response, bool)> {
    let status = response.status().as_u16();
    if status != 400 && status != 403 {
        return Ok((response, false));
    }
    let url = response.url().to_string();
    // Keep the URL: `Response::url()` reads it from the rebuilt response.
    let mut head = ::reqwest::ResponseBuilderExt::url(
        http::Response::builder()
            .status(response.status())
            .version(response.version()),
        response.url().clone(),
    );
    if let Some(h) = head.headers_mut() {
        *h = response.headers().clone();
    }
    let body = response.bytes().await?;
    let date = head
        .headers_ref()
        .and_then(|h| h.get(http::header::DATE))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let learned = signer
        .learn_clock_skew(&url, status, date.as_deref(), &body)
        .is_some();
    let rebuilt = head
        .body(body)
        .map_err(|e| reqwest_middleware::Error::middleware(Error::Service(Box::new(e))))?;
    Ok((Response::from(rebuilt), learned))
}

/// A [`sigv4_credentials::HttpClient`] on a `reqwest::Client`, so that the credential
/// providers and S3 Express CreateSession calls go through the same client (its TLS,
/// proxies and pools).
///
/// ```no_run
/// use sigv4_credentials::s3express::S3ExpressSessions;
/// use sigv4_credentials::ProviderContext;
/// use sigv4_http::reqwest::{ReqwestHttpClient, SigV4Middleware};
/// # fn demo(provider: std::sync::Arc<dyn sigv4_http::ProvideCredentials>) {
/// let http = reqwest::Client::new();
/// let ctx = ProviderContext::default().with_http_client(ReqwestHttpClient::new(http.clone()));
/// let signer = sigv4_http::RequestSigner::new(provider)
///     .with_s3express(S3ExpressSessions::new(ctx))
///     .with_clock_skew(Default::default());
/// let client = reqwest_middleware::ClientBuilder::new(http)
///     .with(SigV4Middleware::new(signer))
///     .build();
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestHttpClient {
    client: ::reqwest::Client,
}

impl ReqwestHttpClient {
    /// Sends through `client`.
    pub fn new(client: ::reqwest::Client) -> Self {
        ReqwestHttpClient { client }
    }
}

impl sigv4_credentials::HttpClient for ReqwestHttpClient {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: sigv4_credentials::HttpRequestOptions,
    ) -> sigv4_credentials::BoxFuture<
        '_,
        Result<http::Response<Vec<u8>>, sigv4_credentials::HttpError>,
    > {
        use sigv4_credentials::HttpError;
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string();
            let mut req = self
                .client
                .request(parts.method, &url)
                .headers(parts.headers)
                .body(body)
                .timeout(options.timeout)
                .build()
                .map_err(|e| HttpError::InvalidRequest(e.to_string()))?;
            *req.version_mut() = http::Version::HTTP_11;
            let resp = self.client.execute(req).await.map_err(|e| {
                if e.is_timeout() {
                    HttpError::Timeout(options.timeout)
                } else if e.is_connect() {
                    HttpError::Connect {
                        endpoint: url.clone(),
                        message: e.to_string(),
                    }
                } else {
                    HttpError::Io(e.to_string())
                }
            })?;
            let mut head = http::Response::builder().status(resp.status());
            if let Some(h) = head.headers_mut() {
                *h = resp.headers().clone();
            }
            let mut body = Vec::new();
            let mut resp = resp;
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| HttpError::Io(e.to_string()))?
            {
                if body.len() + chunk.len() > options.max_response_bytes {
                    return Err(HttpError::ResponseTooLarge(options.max_response_bytes));
                }
                body.extend_from_slice(&chunk);
            }
            head.body(body).map_err(|e| HttpError::Io(e.to_string()))
        })
    }
}
