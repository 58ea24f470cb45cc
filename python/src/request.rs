//! Converting a Python request (method, URL, headers, body) into a signing job, running
//! it, and the `SignedRequest` result.

use pyo3::prelude::*;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::SystemTime;

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::types::{PyDict, PyString};
use sha2::{Digest, Sha256};
use sigv4::{
    Credentials, HeaderSelection, Payload, QueryPlus, SessionTokenMode, SignableRequest,
    SigningOutput, SigningSettings, DEFAULT_EXCLUDED_HEADERS, MAX_PRESIGN_EXPIRES_SECS,
};

use crate::args::{body_arg, extract_headers, str_arg, url_arg, Body, Headers};
use crate::errors::signing_err;
use crate::time::to_system_time;
use crate::type_name;

pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Bodies at least this large are hashed with the GIL released.
pub(crate) const GIL_RELEASE_THRESHOLD: usize = 64 * 1024;

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
/// Large bodies are hashed with the GIL released.
pub(crate) fn body_hash(py: Python<'_>, body: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let buf = body_arg(py, body)?;
    Ok(hash_maybe_detached(py, buf.as_bytes()))
}

/// What the payload line of a job is made from.
pub(crate) enum JobPayload<'a, 'py> {
    /// The body's bytes: the core hashes them (and, being the body's own hash, it needs no
    /// `x-amz-content-sha256` header unless the service wants one).
    Body(Body<'a, 'py>),
    /// A hash or marker given by the caller (`UNSIGNED-PAYLOAD`, a digest computed
    /// elsewhere; the body is then not read): sent in `x-amz-content-sha256` so the server
    /// knows what was signed.
    Given(String),
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

/// Everything needed to sign one request, read from the Python arguments (borrowed where
/// they are immutable: see `args`).
pub(crate) struct Job<'a, 'py> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) headers: Headers,
    pub(crate) payload: JobPayload<'a, 'py>,
    pub(crate) time: SystemTime,
    /// Whether `time` is the system clock read for this job (no timestamp was given).
    pub(crate) time_is_now: bool,
}

impl<'a, 'py> Job<'a, 'py> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_py(
        py: Python<'py>,
        method: &'a Bound<'py, PyAny>,
        url: &'a Bound<'py, PyAny>,
        headers: Option<&'a Bound<'py, PyAny>>,
        body: Option<&'a Bound<'py, PyAny>>,
        payload_hash: Option<String>,
        timestamp: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let method = str_arg(method, "method")?;
        let url = url_arg(url)?;
        let headers = extract_headers(headers)?;
        let payload = match payload_hash {
            Some(h) => JobPayload::Given(h),
            None => JobPayload::Body(body_arg(py, body)?),
        };
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
        let payload = match &self.payload {
            JobPayload::Body(b) => Payload::Bytes(b.as_bytes()),
            JobPayload::Given(h) => Payload::Precomputed(h),
        };
        let large = matches!(&self.payload, JobPayload::Body(b) if b.as_bytes().len() >= GIL_RELEASE_THRESHOLD);
        let req = SignableRequest::new(
            self.method,
            self.url,
            self.headers
                .iter()
                .map(|(n, v)| (n.as_text(), v.as_bytes())),
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
            final_url(self.url, &out)
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
        // The values of all but `Authorization` repeat from one signing to the next (the
        // date within a second, the token, the payload hash): reuse their `str` too.
        let (name, slot) = match n {
            // The core names headers in lowercase; this package returns the one casing it
            // documents (Title-Case, as botocore and the libraries it replaces do).
            "authorization" => (intern!(py, "Authorization"), None),
            "x-amz-date" => (intern!(py, "X-Amz-Date"), Some(ValueSlot::Date)),
            "x-amz-content-sha256" => (
                intern!(py, "X-Amz-Content-Sha256"),
                Some(ValueSlot::ContentSha256),
            ),
            "x-amz-security-token" => (intern!(py, "X-Amz-Security-Token"), Some(ValueSlot::Token)),
            "host" => continue,
            other => {
                d.set_item(title_case(other), v)?;
                continue;
            }
        };
        match slot {
            Some(slot) => d.set_item(name, repeated_value(py, slot, v))?,
            None => d.set_item(name, v)?,
        }
    }
    Ok(d)
}

/// The header values `repeated_value` keeps.
#[derive(Clone, Copy)]
enum ValueSlot {
    Date = 0,
    Token = 1,
    ContentSha256 = 2,
}

thread_local! {
    /// Per thread, the last `str` made for each `ValueSlot`.
    static REPEATED: RefCell<[Option<Py<PyString>>; 3]> = const { RefCell::new([None, None, None]) };
}

/// A Python `str` of `value`: the one made last time for this slot when its text is the
/// same (strings are immutable, so sharing one is invisible but for `is`), else a new one,
/// kept for next time. Saves creating and freeing up to three strings per signing. No
/// copy of the text is kept besides the `str` itself (which the caller's dict holds anyway).
fn repeated_value<'py>(py: Python<'py>, slot: ValueSlot, value: &str) -> Bound<'py, PyString> {
    REPEATED.with(|cell| {
        // Nothing here runs Python code, so this never re-enters; stay correct if it did.
        let Ok(mut slots) = cell.try_borrow_mut() else {
            return PyString::new(py, value);
        };
        let entry = &mut slots[slot as usize];
        if let Some(s) = entry {
            let s = s.bind(py);
            if s.to_str().is_ok_and(|t| t == value) {
                return s.clone();
            }
        }
        let s = PyString::new(py, value);
        *entry = Some(s.clone().unbind());
        s
    })
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
