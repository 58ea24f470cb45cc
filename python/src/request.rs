//! Converting a Python request (method, URL, headers, body) into a signing job, running
//! it, and the `SignedRequest` result.

use pyo3::prelude::*;
use std::sync::Arc;
use std::time::SystemTime;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString, PyTuple};
use sha2::{Digest, Sha256};
use sigv4::{
    Credentials, HeaderSelection, Payload, QueryPlus, SessionTokenMode, SignableRequest,
    SigningOutput, SigningSettings, DEFAULT_EXCLUDED_HEADERS, MAX_PRESIGN_EXPIRES_SECS,
};

use crate::errors::signing_err;
use crate::time::to_system_time;
use crate::type_name;

pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Bodies at least this large are hashed with the GIL released.
pub(crate) const GIL_RELEASE_THRESHOLD: usize = 64 * 1024;

/// Text or bytes from Python without copying: a `str`'s UTF-8 buffer or a `bytes`' buffer,
/// each holding a reference to its object (so it stays valid even while the GIL is released
/// and another thread drops the container it came from). Owned when it had to change.
pub(crate) enum Buf {
    Str(PyBackedStr),
    Bytes(PyBackedBytes),
    Owned(Vec<u8>),
}

impl Buf {
    /// The text, when it is UTF-8 (a `str` always is: no check needed).
    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Buf::Str(s) => Some(s),
            other => std::str::from_utf8(other.as_bytes()).ok(),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Buf::Str(s) => s.as_bytes(),
            Buf::Bytes(b) => b,
            Buf::Owned(v) => v,
        }
    }
}

pub(crate) fn text_or_bytes(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Buf> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Buf::Str(s.extract()?));
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Buf::Bytes(b.extract()?));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be str or bytes, not {}",
        type_name(v)
    )))
}

/// A header name (UTF-8). Names are case-insensitive; an `X-Amz-*` name with capitals is
/// lowercased, because the core's `signed_headers` allow list matches `x-amz-*` on
/// lowercase names only.
fn header_name(n: &Bound<'_, PyAny>) -> PyResult<Buf> {
    let name = text_or_bytes(n, "a header name")?;
    if name.as_text().is_none() {
        return Err(PyValueError::new_err("a header name is not valid UTF-8"));
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 6
        && bytes[..6].eq_ignore_ascii_case(b"x-amz-")
        && bytes.iter().any(u8::is_ascii_uppercase)
    {
        return Ok(Buf::Owned(bytes.to_ascii_lowercase()));
    }
    Ok(name)
}

/// Header names (valid UTF-8, checked) and values.
pub(crate) type Headers = Vec<(Buf, Buf)>;

/// Headers from a mapping (anything with `.items()`; `multi_items()` is preferred so repeated
/// headers stay separate) or an iterable of `(name, value)` pairs.
pub(crate) fn extract_headers(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Headers> {
    let mut out = Vec::new();
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(out);
    };
    let py = obj.py();
    if let Ok(d) = obj.cast::<PyDict>() {
        out.reserve(d.len());
        for (n, v) in d.iter() {
            let name = header_name(&n)?;
            out.push((name, text_or_bytes(&v, "a header value")?));
        }
        return Ok(out);
    }
    let iter = if obj.hasattr(intern!(py, "multi_items"))? {
        obj.call_method0(intern!(py, "multi_items"))?.try_iter()?
    } else if obj.hasattr(intern!(py, "items"))? {
        obj.call_method0(intern!(py, "items"))?.try_iter()?
    } else if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "headers must be a mapping or an iterable of (name, value) pairs, not a string",
        ));
    } else {
        obj.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "headers must be a mapping or an iterable of (name, value) pairs, not {}",
                type_name(obj)
            ))
        })?
    };
    for item in iter {
        let item = item?;
        let pair = item.cast::<PyTuple>().ok().filter(|t| t.len() == 2);
        let (n, v) = match pair {
            Some(t) => (t.get_item(0)?, t.get_item(1)?),
            None => {
                let seq: Vec<Bound<'_, PyAny>> = item.extract().map_err(|_| {
                    PyTypeError::new_err("each header must be a (name, value) pair")
                })?;
                if seq.len() != 2 {
                    return Err(PyTypeError::new_err(
                        "each header must be a (name, value) pair",
                    ));
                }
                let mut it = seq.into_iter();
                (
                    it.next().unwrap_or_else(|| item.clone()),
                    it.next().unwrap_or_else(|| item.clone()),
                )
            }
        };
        let name = header_name(&n)?;
        let value = text_or_bytes(&v, "a header value")?;
        out.push((name, value));
    }
    Ok(out)
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    sigv4::hex(&Sha256::digest(data))
}

pub(crate) fn hash_maybe_detached(py: Python<'_>, data: &[u8]) -> String {
    if data.is_empty() {
        EMPTY_SHA256.to_owned()
    } else if data.len() >= GIL_RELEASE_THRESHOLD {
        py.detach(|| sha256_hex(data))
    } else {
        sha256_hex(data)
    }
}

/// The hex SHA-256 of a body: bytes, bytearray, memoryview (any buffer) or str (UTF-8).
/// A body as bytes to sign: bytes and str borrowed (immutable, kept alive), a bytearray or
/// another buffer copied once (it could change while the GIL is released).
pub(crate) fn body_buf(py: Python<'_>, body: Option<&Bound<'_, PyAny>>) -> PyResult<Buf> {
    let Some(body) = body.filter(|b| !b.is_none()) else {
        return Ok(Buf::Owned(Vec::new()));
    };
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(Buf::Bytes(b.extract()?));
    }
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(Buf::Str(s.extract()?));
    }
    if let Ok(b) = body.cast::<PyByteArray>() {
        return Ok(Buf::Owned(b.to_vec()));
    }
    if body.is_instance_of::<pyo3::types::PyInt>() || body.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(
            "body must be bytes, bytearray, memoryview or str, not int",
        ));
    }
    // Any other buffer (memoryview, array, mmap): copy it out once.
    if let Ok(view) = py
        .import(intern!(py, "builtins"))?
        .getattr(intern!(py, "memoryview"))?
        .call1((body,))
    {
        let bytes = view.call_method0(intern!(py, "tobytes"))?;
        return Ok(Buf::Bytes(bytes.extract()?));
    }
    Err(PyTypeError::new_err(format!(
        "cannot hash a body of type {}: give bytes, bytearray, memoryview or str; for a \
         streaming body (file, iterator) pass payload_hash=UNSIGNED_PAYLOAD (S3 and services \
         that accept it) or the SHA-256 hex digest computed elsewhere",
        type_name(body)
    )))
}

/// The hex SHA-256 of a body: bytes, bytearray, memoryview (any buffer) or str (UTF-8).
/// Large bodies are hashed with the GIL released.
pub(crate) fn body_hash(py: Python<'_>, body: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let buf = body_buf(py, body)?;
    Ok(hash_maybe_detached(py, buf.as_bytes()))
}

/// The payload hash to sign: the one given (a marker such as `UNSIGNED-PAYLOAD` or a hex
/// digest; the body is then not read), or the body's SHA-256.
/// What the payload line of a job is made from.
pub(crate) enum JobPayload {
    /// The body's bytes: the core hashes them (and, being the body's own hash, it needs no
    /// `x-amz-content-sha256` header unless the service wants one).
    Body(Buf),
    /// A hash or marker given by the caller (`UNSIGNED-PAYLOAD`, a digest computed
    /// elsewhere): sent in `x-amz-content-sha256` so the server knows what was signed.
    Given(String),
}

fn job_payload(
    py: Python<'_>,
    body: Option<&Bound<'_, PyAny>>,
    payload_hash: Option<String>,
) -> PyResult<JobPayload> {
    match payload_hash {
        Some(h) => Ok(JobPayload::Given(h)),
        None => Ok(JobPayload::Body(body_buf(py, body)?)),
    }
}

/// Options that change how signing is done; `None` keeps the service's default.
#[derive(Clone, Default)]
pub(crate) struct Opts {
    pub(crate) normalize_path: Option<bool>,
    pub(crate) double_encode: Option<bool>,
    pub(crate) content_sha256: Option<bool>,
    pub(crate) sign_session_token: bool,
    pub(crate) signed_headers: Option<Vec<String>>,
    pub(crate) unsigned_headers: Option<Vec<String>>,
    /// Sign exactly these headers (`HeaderSelection::Exactly`), for requests-aws4auth's
    /// `include_hdrs`; overrides the two lists above.
    pub(crate) exact_headers: Option<Vec<String>>,
}

impl Opts {
    /// No option given: the service's default settings apply.
    pub(crate) fn is_default(&self) -> bool {
        self.normalize_path.is_none()
            && self.double_encode.is_none()
            && self.content_sha256.is_none()
            && self.sign_session_token
            && self.signed_headers.is_none()
            && self.unsigned_headers.is_none()
            && self.exact_headers.is_none()
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn opts(
    normalize_path: Option<bool>,
    double_encode: Option<bool>,
    content_sha256: Option<bool>,
    sign_session_token: bool,
    signed_headers: Option<Vec<String>>,
    unsigned_headers: Option<Vec<String>>,
) -> Opts {
    Opts {
        normalize_path,
        double_encode,
        content_sha256,
        sign_session_token,
        signed_headers,
        unsigned_headers,
        exact_headers: None,
    }
}

pub(crate) fn build_settings(service: &str, o: &Opts) -> SigningSettings {
    // A raw `+` in a query is a space (decision 1: Python drop-ins and plugins), as
    // requests/httpx/aiohttp `params=` produce it and as AWS reads it: signed as `%20`, sent
    // unchanged.
    let mut s = SigningSettings::for_service(service).query_plus(QueryPlus::Space);
    if let Some(v) = o.normalize_path {
        s.normalize_uri_path = v;
    }
    if let Some(v) = o.double_encode {
        s.double_uri_encode = v;
    }
    if let Some(v) = o.content_sha256 {
        s.content_sha256_header = v;
    }
    if !o.sign_session_token {
        s.session_token_mode = SessionTokenMode::AppendAfterSigning;
    }
    if let Some(list) = &o.exact_headers {
        s.headers = HeaderSelection::Exactly(list.iter().map(|h| h.to_ascii_lowercase()).collect());
    } else if let Some(list) = &o.signed_headers {
        s.headers = HeaderSelection::Only(list.iter().map(|h| h.to_ascii_lowercase()).collect());
    } else if let Some(list) = &o.unsigned_headers {
        let mut all: Vec<String> = DEFAULT_EXCLUDED_HEADERS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        all.extend(list.iter().map(|h| h.to_ascii_lowercase()));
        s.headers = HeaderSelection::Exclude(all);
    }
    s
}

pub(crate) use sigv4::is_s3;

/// Whether `service` signs with the S3 rules: the core's one list, for the Python side.
#[pyfunction]
pub(crate) fn is_s3_service(service: &str) -> bool {
    is_s3(service)
}

pub(crate) fn expires_secs(expires: &Bound<'_, PyAny>) -> PyResult<u64> {
    let secs: f64 = if let Ok(s) = expires.extract::<f64>() {
        if expires.is_instance_of::<pyo3::types::PyBool>() {
            return Err(PyTypeError::new_err(
                "expires must be seconds or a timedelta",
            ));
        }
        s
    } else if expires.hasattr("total_seconds")? {
        expires.call_method0("total_seconds")?.extract()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "expires must be seconds (int) or a datetime.timedelta, not {}",
            type_name(expires)
        )));
    };
    if !secs.is_finite() || secs < 1.0 || secs > MAX_PRESIGN_EXPIRES_SECS as f64 {
        return Err(crate::errors::signing_error(format!(
            "expires must be between 1 second and 7 days (604800 seconds), got {secs}"
        )));
    }
    Ok(secs as u64)
}

/// What to sign with.
pub(crate) enum KeyOrCreds {
    Creds(Arc<Credentials>),
    Key {
        key: Arc<sigv4::SigningKey>,
        access_key: String,
        token: Option<String>,
    },
}

/// Everything needed to sign one request, already converted from Python.
pub(crate) struct Job {
    pub(crate) method: Buf,
    pub(crate) url: Buf,
    pub(crate) headers: Headers,
    pub(crate) payload: JobPayload,
    pub(crate) time: SystemTime,
    /// Whether `time` is the system clock read for this job (no timestamp was given).
    pub(crate) time_is_now: bool,
}

/// `buf` as text: it holds a `str` (always UTF-8), or checked bytes.
fn text_of<'a>(buf: &'a Buf, what: &str) -> PyResult<&'a str> {
    buf.as_text()
        .ok_or_else(|| PyValueError::new_err(format!("the {what} is not valid UTF-8")))
}

impl Job {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_py(
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        payload_hash: Option<String>,
        timestamp: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Job> {
        let method = match method.cast::<PyString>() {
            Ok(s) => Buf::Str(s.extract()?),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "method must be a str, not {}",
                    type_name(method)
                )))
            }
        };
        let url = if let Ok(s) = url.cast::<PyString>() {
            Buf::Str(s.extract()?)
        } else if let Ok(b) = url.cast::<PyBytes>() {
            let b = Buf::Bytes(b.extract()?);
            text_of(&b, "URL")?;
            b
        } else {
            return Err(PyTypeError::new_err(format!(
                "url must be a str, not {}",
                type_name(url)
            )));
        };
        let headers = extract_headers(headers)?;
        let payload = job_payload(py, body, payload_hash)?;
        let (time, time_is_now) = match timestamp.filter(|t| !t.is_none()) {
            Some(t) => (to_system_time(t, "timestamp")?, false),
            None => (SystemTime::now(), true),
        };
        Ok(Job {
            method,
            url,
            headers,
            payload,
            time,
            time_is_now,
        })
    }

    /// The system time read for this job, if it was (not a caller's timestamp).
    pub(crate) fn wall_time(&self) -> Option<SystemTime> {
        self.time_is_now.then_some(self.time)
    }

    /// The URL as text (checked when the job was built).
    fn url_text(&self) -> &str {
        self.url.as_text().unwrap_or_default()
    }

    /// Signs with a signer built for `region`, `service` and `settings`. `want_url`: compute
    /// the URL to send (not needed when only the headers are returned).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &self,
        py: Python<'_>,
        region: &str,
        service: &str,
        settings: &SigningSettings,
        cache: Option<&sigv4::Signer>,
        what: &KeyOrCreds,
        want_url: bool,
    ) -> PyResult<Signed> {
        let signer = sigv4::Signer::new(region, service)
            .map_err(signing_err)?
            .with_settings(settings.clone());
        self.run_with(py, &signer, cache, what, want_url)
    }

    pub(crate) fn run_with(
        &self,
        py: Python<'_>,
        signer: &sigv4::Signer,
        cache: Option<&sigv4::Signer>,
        what: &KeyOrCreds,
        want_url: bool,
    ) -> PyResult<Signed> {
        let method = text_of(&self.method, "method")?;
        let payload = match &self.payload {
            JobPayload::Body(b) => Payload::Bytes(b.as_bytes()),
            JobPayload::Given(h) => Payload::Precomputed(h),
        };
        let large = matches!(&self.payload, JobPayload::Body(b) if b.as_bytes().len() >= GIL_RELEASE_THRESHOLD);
        let req = SignableRequest::new(
            method,
            self.url_text(),
            self.headers
                .iter()
                .map(|(n, v)| (n.as_text().unwrap_or_default(), v.as_bytes())),
            payload,
        );
        let time = self.time;
        let sign = || match what {
            KeyOrCreds::Creds(c) => match cache {
                Some(cache) => {
                    let key = cache.signing_key(c, time)?;
                    signer.sign_with_key(&req, &key, c.access_key_id(), c.session_token(), time)
                }
                None => signer.sign(&req, c, time),
            },
            KeyOrCreds::Key {
                key,
                access_key,
                token,
            } => signer.sign_with_key(&req, key, access_key, token.as_deref(), time),
        };
        // Large bodies are hashed by the core; let other threads run meanwhile (bytes and
        // str are immutable and kept alive by the job; other buffers were copied).
        let out = if large { py.detach(sign) } else { sign() }.map_err(signing_err)?;
        let url = if want_url {
            final_url(self.url_text(), &out)
        } else {
            String::new()
        };
        Ok(Signed { out, url })
    }
}

pub(crate) struct Signed {
    pub(crate) out: SigningOutput,
    pub(crate) url: String,
}

/// The URL to send: in header mode the URL as given (without its fragment); presigned, the
/// URL with the query the signature covers (stale signing parameters dropped, presigning
/// parameters added).
pub(crate) fn final_url(url: &str, out: &SigningOutput) -> String {
    let no_frag = url.split_once('#').map_or(url, |(a, _)| a);
    let (base, _) = no_frag.split_once('?').unwrap_or((no_frag, ""));
    if !matches!(out.location(), sigv4::SignatureLocation::Query { .. }) {
        return no_frag.to_owned();
    }
    let qs = out.query_string();
    if qs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{qs}")
    }
}

/// The headers to add, as a dict in one casing: every word of the name capitalized
/// (`Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`, `X-Amz-Content-Sha256`), as PyPI
/// `sigv4` returned them. `host` is signed (from the headers given, else the URL) but not
/// returned: every HTTP client sends it from the URL.
pub(crate) fn headers_dict<'py>(
    py: Python<'py>,
    out: &SigningOutput,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (n, v) in out.headers() {
        // The names come from a small fixed set: reuse interned Python strings for them.
        let name = match n {
            // The core names headers in lowercase; this package returns the one casing it
            // documents (Title-Case, as botocore and the libraries it replaces do).
            "authorization" => intern!(py, "Authorization"),
            "x-amz-date" => intern!(py, "X-Amz-Date"),
            "x-amz-content-sha256" => intern!(py, "X-Amz-Content-Sha256"),
            "x-amz-security-token" => intern!(py, "X-Amz-Security-Token"),
            "host" => continue,
            other => {
                d.set_item(title_case(other), v)?;
                continue;
            }
        };
        d.set_item(name, v)?;
    }
    Ok(d)
}

/// `x-amz-foo` as `X-Amz-Foo`.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut up = true;
    for c in name.chars() {
        out.push(if up {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        up = c == '-';
    }
    out
}

/// The result of signing, with every intermediate step.
#[pyclass(name = "SignedRequest", module = "sigv4", frozen)]
pub struct PySigned {
    pub(crate) inner: Signed,
}

#[pymethods]
impl PySigned {
    /// The headers to add to the request (replacing any of the same name).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        headers_dict(py, &self.inner.out)
    }

    /// The URL to send: for presigning, the presigned URL.
    #[getter]
    fn url(&self) -> &str {
        &self.inner.url
    }

    /// The canonical request that was hashed.
    #[getter]
    fn canonical_request(&self) -> &str {
        self.inner.out.canonical_request()
    }

    /// The string to sign.
    #[getter]
    fn string_to_sign(&self) -> &str {
        self.inner.out.string_to_sign()
    }

    /// The signature (64 hex digits).
    #[getter]
    fn signature(&self) -> &str {
        self.inner.out.signature()
    }

    /// The signed header names, ``host;x-amz-date``.
    #[getter]
    fn signed_headers(&self) -> &str {
        self.inner.out.signed_headers()
    }

    /// ``YYYYMMDD/region/service/aws4_request``.
    #[getter]
    fn credential_scope(&self) -> &str {
        self.inner.out.credential_scope()
    }

    /// The query parameters added by presigning, in order (empty in header mode).
    #[getter]
    fn query_params(&self) -> Vec<(String, String)> {
        self.inner
            .out
            .query_params()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "SignedRequest(signature={:?}, signed_headers={:?}, credential_scope={:?})",
            self.inner.out.signature(),
            self.inner.out.signed_headers(),
            self.inner.out.credential_scope()
        )
    }
}
