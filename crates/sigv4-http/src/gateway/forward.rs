//! After verification: apply the key's limits, re-sign with the real credentials for the
//! verified service and region, and stream the request to the upstream and back.
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, HOST};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use sigv4::chunked::{ChecksumAlgorithm, ChunkedBody, ChunkedSettings, StreamingMode};
use sigv4::verify::VerifiedPayload;
use sigv4::Payload;
use tower_service::Service;

use super::audit::PendingAudit;
use super::route::{self, s3_target, S3Target};
use super::upstream::UpstreamBody;
use super::Shared;
use crate::tower::{BoxFuture, ErrorFormat, KeyLimits, VerifiedIdentity, VerifiedRequestBody};

/// Chunk size of re-framed aws-chunked bodies: the memory one upload holds at most.
const CHUNK_SIZE: usize = 64 * 1024;

/// Request headers never forwarded: the client's signature and the transport of its
/// connection (the gateway's own signature and framing replace them).
const DROPPED_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
    "host",
    "expect",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// STS actions whose responses carry credentials.
const STS_VENDING: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "GetFederationToken",
    "GetSessionToken",
];

/// Response headers not passed back (hop by hop).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The inner service of the gateway's `VerifyLayer`: it only ever sees verified requests.
#[derive(Clone)]
pub(crate) struct Forward {
    pub(crate) shared: Arc<Shared>,
    pub(crate) audit: Arc<PendingAudit>,
    pub(crate) format: ErrorFormat,
}

impl Service<Request<VerifiedRequestBody>> for Forward {
    type Response = Response<UpstreamBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<UpstreamBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<VerifiedRequestBody>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            Ok(match this.forward(req).await {
                Ok(r) => r,
                Err(refusal) => refusal.into_response(&this),
            })
        })
    }
}

/// A request the gateway answers itself, after verification.
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// For the audit log, when it says more than the code.
    pub(crate) reason: Option<&'static str>,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
            reason: None,
        }
    }

    fn into_response(self, f: &Forward) -> Response<UpstreamBody> {
        f.audit.update(|r| {
            r.refusal = Some(match self.reason {
                Some(why) => format!("{}:{why}", self.code),
                None => self.code.to_owned(),
            });
        });
        let service = f
            .audit
            .record
            .lock()
            .map_or_else(|_| String::new(), |r| r.service.clone().unwrap_or_default());
        error_body(f.format, &service, self.status, self.code, &self.message)
    }
}

/// An AWS-style error response, as the verifying layer writes them.
pub(crate) fn error_body(
    format: ErrorFormat,
    service: &str,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response<UpstreamBody> {
    let body = crate::tower::response::ErrorBody {
        code,
        message,
        mismatch: None,
        extra: &[],
    };
    crate::tower::response::render_error(format, service, status, &body, false, SystemTime::now())
        .map(|b| b.map_err(|e| match e {}).boxed_unsync())
}

impl Forward {
    /// Who signed (put in the extensions by the VerifyLayer, which calls this service only
    /// for verified requests), the key's limits and the verified service; noted in the
    /// audit record.
    fn verified(
        &self,
        req: &Request<VerifiedRequestBody>,
    ) -> Result<(VerifiedIdentity, Arc<KeyLimits>, String), Refusal> {
        let id = req.extensions().get::<VerifiedIdentity>().cloned();
        let limits = req.extensions().get::<Arc<KeyLimits>>().cloned();
        let (Some(id), Some(limits)) = (id, limits) else {
            return Err(internal());
        };
        let service = id
            .credential_scope
            .split('/')
            .nth(2)
            .ok_or_else(internal)?
            .to_owned();
        self.audit.update(|r| {
            r.verified = true;
            r.access_key_id = Some(id.access_key_id.clone());
            r.principal.clone_from(&id.principal);
            r.service = Some(service.clone());
            r.region = Some(id.region.clone());
            r.role_arn = limits.role_arn().map(str::to_owned);
        });
        Ok((id, limits, service))
    }

    async fn forward(
        &self,
        req: Request<VerifiedRequestBody>,
    ) -> Result<Response<UpstreamBody>, Refusal> {
        let (id, limits, service) = self.verified(&req)?;
        let region = id.region.clone();
        let s3 = sigv4::is_s3(&service);
        let target = if s3 {
            let host = req
                .headers()
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            s3_target(host, req.uri().path(), &self.shared.virtual_host_suffixes)
                .map_err(|m| Refusal::new(StatusCode::BAD_REQUEST, "InvalidBucketName", m))?
        } else {
            S3Target {
                bucket: None,
                path: req.uri().path().to_owned(),
            }
        };
        self.audit.update(|r| r.bucket.clone_from(&target.bucket));
        limits
            .check(
                &service,
                &region,
                target.bucket.as_deref(),
                SystemTime::now(),
            )
            .map_err(|d| Refusal {
                reason: Some(d.reason()),
                ..Refusal::new(
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    format!("Access Denied: {d}"),
                )
            })?;

        let creds = self
            .shared
            .credentials
            .get(limits.role_arn(), &id.access_key_id)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "no real credentials to sign with");
                Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "the gateway has no credentials to sign this request with",
                )
            })?;

        let endpoint = self.shared.endpoints.resolve(&service, &region);
        let mut pq = target.path;
        if let Some(q) = forwarded_query(req.uri().query()) {
            pq.push('?');
            pq.push_str(&q);
        }
        let uri: http::Uri = endpoint.join(&pq).parse().map_err(|_| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "InvalidURI",
                "invalid request target",
            )
        })?;
        let (parts, body) = req.into_parts();
        let mut out = Request::new(());
        *out.method_mut() = parts.method;
        *out.uri_mut() = uri;
        let mut headers = parts.headers;
        let chunk_info = ChunkedInfo::from_headers(&headers);
        for h in DROPPED_HEADERS {
            headers.remove(*h);
        }
        let host = HeaderValue::from_str(endpoint.host_header()).map_err(|_| internal())?;
        headers.insert(HOST, host);
        *out.headers_mut() = headers;

        let signer = self
            .shared
            .signer(&region, &service)
            .map_err(|_| internal())?;
        let body = self.note_form_action(&out, body.into_inner()).await?;
        if service == "sts" {
            self.check_sts_action()?;
        }
        let body = sign(
            &signer,
            &mut out,
            id.payload,
            body,
            &chunk_info,
            creds.credentials(),
        )?;
        let (out_parts, ()) = out.into_parts();
        self.send(Request::from_parts(out_parts, body)).await
    }

    /// Records the `Action` of a small form body (query protocols) in the audit log. The
    /// body is already in memory (the verifying layer read it to check its hash) or small.
    async fn note_form_action(
        &self,
        out: &Request<()>,
        body: UpstreamBody,
    ) -> Result<UpstreamBody, Refusal> {
        let small = body.size_hint().exact().is_some_and(|n| n <= 64 * 1024);
        if !small || !route::is_form(out.headers()) {
            return Ok(body);
        }
        let bytes = body
            .collect()
            .await
            .map_err(|e| {
                Refusal::new(
                    StatusCode::BAD_REQUEST,
                    "XAmzContentSHA256Mismatch",
                    e.to_string(),
                )
            })?
            .to_bytes();
        let action = std::str::from_utf8(&bytes)
            .ok()
            .and_then(route::form_action);
        if action.is_some() {
            self.audit.update(|r| r.operation = action);
        }
        Ok(Full::new(bytes).map_err(|e| match e {}).boxed_unsync())
    }

    /// STS operations that return credentials would hand the sandbox real (temporary)
    /// credentials of the gateway's principal: refused, as is an STS request whose action
    /// cannot be told. (A key's `role_arn` is assumed by the gateway itself.)
    fn check_sts_action(&self) -> Result<(), Refusal> {
        let action = self
            .audit
            .record
            .lock()
            .map_or(None, |r| r.operation.clone());
        let denied = |why: &str| Refusal {
            reason: Some("credentials"),
            ..Refusal::new(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                format!("Access Denied: {why}"),
            )
        };
        match action.as_deref() {
            None => Err(denied("the gateway cannot tell which STS action this is")),
            Some(a) if STS_VENDING.iter().any(|v| v.eq_ignore_ascii_case(a)) => Err(denied(
                "STS actions that return credentials are not forwarded by the gateway",
            )),
            Some(_) => Ok(()),
        }
    }

    async fn send(&self, req: Request<UpstreamBody>) -> Result<Response<UpstreamBody>, Refusal> {
        self.audit.update(|r| r.forwarded = true);
        let sent =
            tokio::time::timeout(self.shared.upstream_timeout, self.shared.upstream.send(req))
                .await;
        let mut resp = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::warn!(error = %error_chain(&*e), "upstream request failed");
                return Err(Refusal::new(
                    StatusCode::BAD_GATEWAY,
                    "ServiceUnavailable",
                    "the gateway could not reach the service",
                ));
            }
            Err(_) => {
                return Err(Refusal::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "RequestTimeout",
                    "the service did not answer in time",
                ))
            }
        };
        for h in HOP_BY_HOP {
            resp.headers_mut().remove(*h);
        }
        Ok(resp)
    }
}

/// Signs `out` with the real credentials, with the same payload kind the client signed,
/// and returns the body to send: the verified stream as it is (its hash, or
/// `UNSIGNED-PAYLOAD`), or the decoded aws-chunked stream re-framed with new chunk
/// signatures.
fn sign(
    signer: &sigv4::Signer,
    out: &mut Request<()>,
    payload: VerifiedPayload,
    body: UpstreamBody,
    chunk_info: &ChunkedInfo,
    creds: &sigv4::Credentials,
) -> Result<UpstreamBody, Refusal> {
    let now = SystemTime::now();
    let sign_failed = |e: &dyn std::fmt::Display| {
        tracing::warn!(error = %e, "cannot re-sign the request");
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            format!("the gateway cannot sign this request: {e}"),
        )
    };
    match payload {
        VerifiedPayload::Sha256(hash) => {
            let hex = sigv4::hex(&hash);
            signer
                .sign_http_request_with_payload(out, Payload::Precomputed(&hex), creds, now)
                .map_err(|e| sign_failed(&e))?;
            Ok(body)
        }
        VerifiedPayload::Unsigned => {
            signer
                .sign_http_request_with_payload(out, Payload::Unsigned, creds, now)
                .map_err(|e| sign_failed(&e))?;
            Ok(body)
        }
        VerifiedPayload::Streaming(mode) => {
            let (settings, decoded_len) = chunked_settings(chunk_info, mode, out)?;
            let encoder =
                sigv4::chunked::sign_http_request(signer, out, settings, decoded_len, creds, now)
                    .map_err(|e| sign_failed(&e))?;
            Ok(ChunkedBody::new(body, encoder).boxed_unsync())
        }
        _ => Err(Refusal::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "the gateway does not forward this payload type (signed event streams)",
        )),
    }
}

/// A failure of the gateway itself (never expected).
fn internal() -> Refusal {
    Refusal::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "the gateway could not process the request",
    )
}

/// The innermost cause of an error (its message alone: chains repeat themselves).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

/// The query without the client's presigned-URL signature parameters
/// ([`sigv4::SIGNING_QUERY_PARAMS`], compared as the verifier does).
fn forwarded_query(query: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = query?
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            let decoded = route::percent_decode(name).unwrap_or_default();
            !pair.is_empty() && !sigv4::is_signing_query_param(decoded.as_bytes())
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

/// The aws-chunked settings of the re-framed body: the client's mode and trailer checksum
/// (checked by the verifier on the client's body; computed again on the one sent), and the
/// decoded length the client signed.
fn chunked_settings(
    info: &ChunkedInfo,
    mode: StreamingMode,
    out: &mut Request<()>,
) -> Result<(ChunkedSettings, u64), Refusal> {
    let Some(decoded_len) = info.decoded_length else {
        return Err(Refusal::new(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "an aws-chunked upload needs x-amz-decoded-content-length",
        ));
    };
    let bad = |e: &dyn std::fmt::Display| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            format!("aws-chunked: {e}"),
        )
    };
    let mut settings = ChunkedSettings::new(mode)
        .with_chunk_size(CHUNK_SIZE)
        .map_err(|e| bad(&e))?;
    if let Some(alg) = info.checksum {
        settings = settings.with_checksum(alg).map_err(|e| bad(&e))?;
    }
    out.headers_mut().remove(CONTENT_LENGTH);
    out.headers_mut()
        .remove(HeaderName::from_static("x-amz-decoded-content-length"));
    Ok((settings, decoded_len))
}

/// What the client's (signed) aws-chunked headers said.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChunkedInfo {
    pub(crate) decoded_length: Option<u64>,
    pub(crate) checksum: Option<ChecksumAlgorithm>,
}

impl ChunkedInfo {
    pub(crate) fn from_headers(h: &http::HeaderMap) -> Self {
        let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
        ChunkedInfo {
            decoded_length: get("x-amz-decoded-content-length").and_then(|v| v.parse().ok()),
            checksum: get("x-amz-trailer").and_then(ChecksumAlgorithm::parse),
        }
    }
}
