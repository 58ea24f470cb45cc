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

use std::sync::Arc;

use ::reqwest::{Body, Request, Response};
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use http::Extensions;
use http_body::Body as _;
use reqwest_middleware::{Middleware, Next};
use sigv4::chunked::{ChunkEncoder, ChunkSigner, ChunkedBody};
use sigv4::{AmzDate, Payload, SignableRequest, SigningOutput};

use crate::body::Boxed;
use crate::signer::StreamingChoice;
use crate::{Error, RequestSigner};

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
        let v4 = self.signer.signer_for_host(&host)?;
        let auth = self.signer.auth().await?;
        let auth = auth.as_auth();
        let url = request.url().as_str();
        let target = url.split_once('#').map_or(url, |(u, _)| u).to_owned();

        let streaming = request.body().is_some_and(|b| b.as_bytes().is_none());
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
            auth.sign(&v4, &signable, self.signer.now())?
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
                    auth.sign(&v4, &signable, self.signer.now())?
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
                    // content-encoding) are signed with the streaming marker.
                    crate::signer::set_chunked_headers(request.headers_mut(), settings, len)?;
                    let time = self.signer.now();
                    let signable = SignableRequest::new(
                        request.method().as_str(),
                        &target,
                        request
                            .headers()
                            .iter()
                            .map(|(n, v)| (n.as_str(), v.as_bytes())),
                        settings.mode().payload(),
                    );
                    let out = auth.sign(&v4, &signable, time)?;
                    drop(signable);
                    let chunk_signer = if settings.mode().is_signed() {
                        let key = auth.signing_key(&v4, time)?;
                        Some(ChunkSigner::new(
                            (*key).clone(),
                            AmzDate::from_system_time(time)?,
                            out.signature(),
                        )?)
                    } else {
                        None
                    };
                    let encoder =
                        ChunkEncoder::new(settings, chunk_signer)?.with_expected_length(len);
                    if let Some(body) = request.body_mut().take() {
                        let encoded = ChunkedBody::new(Boxed(Box::pin(body)), encoder);
                        *request.body_mut() = Some(Body::wrap(encoded));
                    }
                    out
                }
            }
        };
        apply(request, &out)?;
        Ok(out)
    }
}

fn apply(request: &mut Request, out: &SigningOutput) -> Result<(), Error> {
    for (name, value) in out.headers() {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| sigv4::SigningError::InvalidHeaderName(name.to_owned()))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| sigv4::SigningError::InvalidHeaderValue(name.as_str().to_owned()))?;
        if name == http::header::AUTHORIZATION || name.as_str() == "x-amz-security-token" {
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
        self.sign(&mut req)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        next.run(req, extensions).await
    }
}
