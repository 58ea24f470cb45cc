//! The audit log: one JSON line per request, written when its response has been sent.
use std::fmt;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::BoxError;

/// One request as the audit log records it. Built only from values that carry no secret:
/// the access key id, the verified scope, the method and path (never the query, which
/// may hold a presigned signature or token), sizes, the status and the refusal code.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct AuditRecord {
    /// When the request arrived (RFC 3339).
    pub time: String,
    /// The sandbox access key id (as claimed when the request was refused before the
    /// key was verified).
    pub access_key_id: Option<String>,
    /// The key's principal, once verified.
    pub principal: Option<String>,
    /// Whether the signature was verified.
    pub verified: bool,
    /// The service of the credential scope.
    pub service: Option<String>,
    /// The region of the credential scope.
    pub region: Option<String>,
    /// The operation (`X-Amz-Target` action, query `Action`), when the request names one.
    pub operation: Option<String>,
    /// The HTTP method.
    pub method: String,
    /// The path (no query).
    pub path: String,
    /// The S3 bucket.
    pub bucket: Option<String>,
    /// The role the request was re-signed as, when the key has one.
    pub role_arn: Option<String>,
    /// The status sent to the client.
    pub status: u16,
    /// Whether the request was forwarded upstream.
    pub forwarded: bool,
    /// Request body bytes received from the client.
    pub bytes_in: u64,
    /// Response body bytes sent to the client.
    pub bytes_out: u64,
    /// Milliseconds from arrival to the end of the response body.
    pub latency_ms: f64,
    /// Why the request was refused: the AWS error code, with a short reason for limits.
    pub refusal: Option<String>,
}

impl AuditRecord {
    /// The JSON line (without newline).
    pub fn to_json_line(&self) -> String {
        serde_json::json!({
            "time": self.time,
            "access_key_id": self.access_key_id,
            "principal": self.principal,
            "verified": self.verified,
            "service": self.service,
            "region": self.region,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "bucket": self.bucket,
            "role_arn": self.role_arn,
            "status": self.status,
            "forwarded": self.forwarded,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "latency_ms": (self.latency_ms * 1000.0).round() / 1000.0,
            "refusal": self.refusal,
        })
        .to_string()
    }
}

/// Where audit records go.
pub trait AuditSink: Send + Sync + 'static {
    /// Records one request.
    fn record(&self, record: &AuditRecord);
}

impl<F: Fn(&AuditRecord) + Send + Sync + 'static> AuditSink for F {
    fn record(&self, record: &AuditRecord) {
        self(record)
    }
}

/// An [`AuditSink`] writing one JSON line per record to a writer (a file, stdout),
/// flushed after each line.
pub struct AuditWriter {
    out: Mutex<Box<dyn Write + Send>>,
}

impl AuditWriter {
    /// Writes to `out`.
    pub fn new(out: impl Write + Send + 'static) -> Self {
        AuditWriter {
            out: Mutex::new(Box::new(out)),
        }
    }
}

impl fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditWriter")
    }
}

impl AuditSink for AuditWriter {
    fn record(&self, record: &AuditRecord) {
        let mut line = record.to_json_line();
        line.push('\n');
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if out
            .write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            tracing::warn!("the audit log could not be written");
        }
    }
}

/// The record of one request in progress, emitted once when the response body ends or is
/// dropped.
pub(crate) struct PendingAudit {
    pub(crate) record: Mutex<AuditRecord>,
    pub(crate) bytes_in: AtomicU64,
    start: Instant,
    sink: Arc<dyn AuditSink>,
}

impl PendingAudit {
    pub(crate) fn new(sink: Arc<dyn AuditSink>, method: &str, path: &str) -> Arc<Self> {
        let time = sigv4::AmzDate::from_system_time(SystemTime::now())
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        Arc::new(PendingAudit {
            record: Mutex::new(AuditRecord {
                time,
                method: method.to_owned(),
                path: path.to_owned(),
                ..AuditRecord::default()
            }),
            bytes_in: AtomicU64::new(0),
            start: Instant::now(),
            sink,
        })
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut AuditRecord)) {
        f(&mut self.record.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn finish(&self, bytes_out: u64) {
        let mut r = self
            .record
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        r.bytes_in = self.bytes_in.load(Ordering::Relaxed);
        r.bytes_out = bytes_out;
        r.latency_ms = self.start.elapsed().as_secs_f64() * 1000.0;
        self.sink.record(&r);
    }
}

/// A request body counting the bytes the client sent.
pub(crate) struct CountIn<B> {
    pub(crate) inner: B,
    pub(crate) audit: Arc<PendingAudit>,
}

impl<B> Body for CountIn<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(f))) = &polled {
            if let Some(d) = f.data_ref() {
                self.audit
                    .bytes_in
                    .fetch_add(d.len() as u64, Ordering::Relaxed);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body counting the bytes sent, emitting the audit record when it ends (or is
/// dropped: a client that hung up).
pub(crate) struct AuditedBody<B> {
    pub(crate) inner: B,
    pub(crate) audit: Option<Arc<PendingAudit>>,
    pub(crate) sent: u64,
}

impl<B> AuditedBody<B> {
    fn emit(&mut self) {
        if let Some(a) = self.audit.take() {
            a.finish(self.sent);
        }
    }
}

impl<B> Drop for AuditedBody<B> {
    fn drop(&mut self) {
        self.emit();
    }
}

impl<B> Body for AuditedBody<B>
where
    B: Body<Data = Bytes, Error = BoxError> + Unpin,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    self.sent += d.len() as u64;
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => self.emit(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
