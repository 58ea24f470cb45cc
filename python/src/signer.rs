//! `Signer` and the low-level signing functions.

use pyo3::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::types::{PyDict, PyString, PyType};
use sigv4::{Credentials, SigningSettings, UNSIGNED_PAYLOAD};

use crate::credentials::{credentials_from_py, validate_access_key, validate_token, PyCredentials};
use crate::errors::signing_err;
use crate::refreshable::PyRefreshable;
use crate::request::{
    body_hash, build_settings, expires_secs, headers_dict, is_s3, opts, Job, KeyOrCreds, Opts,
    PySigned, Signed,
};
use crate::signing_key::PySigningKey;
use crate::type_name;

pub(crate) enum Source {
    Static(Arc<Credentials>),
    Refreshable(Py<PyRefreshable>),
    Duck(Py<PyAny>),
    Key {
        key: Arc<sigv4::SigningKey>,
        access_key: String,
        token: Option<String>,
    },
}

impl Source {
    fn from_py(py: Python<'_>, credentials: Option<&Bound<'_, PyAny>>) -> PyResult<Source> {
        let Some(c) = credentials.filter(|c| !c.is_none()) else {
            return Ok(Source::Refreshable(Py::new(
                py,
                PyRefreshable::chain(None),
            )?));
        };
        if let Ok(pc) = c.cast::<PyCredentials>() {
            return Ok(Source::Static(Arc::clone(&pc.get().inner)));
        }
        if let Ok(r) = c.cast::<PyRefreshable>() {
            return Ok(Source::Refreshable(r.clone().unbind()));
        }
        if c.is_instance_of::<PyDict>() {
            return Ok(Source::Static(credentials_from_py(c)?));
        }
        if c.hasattr(intern!(py, "access_key"))?
            || c.hasattr(intern!(py, "get_frozen_credentials"))?
        {
            return Ok(Source::Duck(c.clone().unbind()));
        }
        Err(PyTypeError::new_err(format!(
            "credentials must be sigv4.Credentials, sigv4.RefreshableCredentials, an object \
             with access_key/secret_key/token (such as botocore credentials), a dict, or None \
             for the default chain; got {}",
            type_name(c)
        )))
    }

    /// The credentials or key to sign with. `wall`: the system time the caller just read,
    /// when it has (saves a second clock read for refreshable credentials).
    fn resolve(&self, py: Python<'_>, wall: Option<SystemTime>) -> PyResult<KeyOrCreds> {
        Ok(match self {
            Source::Static(c) => KeyOrCreds::Creds(Arc::clone(c)),
            Source::Refreshable(r) => KeyOrCreds::Creds(r.get().creds_at(py, wall)?),
            Source::Duck(o) => KeyOrCreds::Creds(credentials_from_py(o.bind(py))?),
            Source::Key {
                key,
                access_key,
                token,
            } => KeyOrCreds::Key {
                key: Arc::clone(key),
                access_key: access_key.clone(),
                token: token.clone(),
            },
        })
    }

    fn as_py(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(match self {
            Source::Static(c) => {
                Some(Py::new(py, PyCredentials::from_arc(Arc::clone(c)))?.into_any())
            }
            Source::Refreshable(r) => Some(r.clone_ref(py).into_any()),
            Source::Duck(o) => Some(o.clone_ref(py)),
            Source::Key { .. } => None,
        })
    }
}

/// Signs requests for one region and service: ``Signer(region="us-east-1", service="s3")``.
///
/// Without ``region`` the region chain picks it (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the
/// profile's ``region``; see ``resolve_region``). ``credentials`` may be ``Credentials``, ``RefreshableCredentials``, any object with
/// ``access_key``/``secret_key``/``token`` (botocore credentials work), or ``None`` for the
/// default credential chain (refreshed automatically). A signer is safe to share between
/// threads and caches the day's signing key.
#[pyclass(name = "Signer", module = "sigv4", frozen)]
pub struct PySigner {
    core: sigv4::Signer,
    settings: SigningSettings,
    source: Source,
}

/// The signing region the AWS tools would use: the region an AWS hostname in ``url`` names,
/// else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the ``region`` of the profile (``profile``,
/// else ``AWS_PROFILE``, else ``default``) in the shared config file, else the region a
/// global endpoint implies. Raises ``SigningError`` listing what was tried when none has one.
#[pyfunction]
#[pyo3(signature = (url=None, *, profile=None))]
pub(crate) fn resolve_region(
    py: Python<'_>,
    url: Option<String>,
    profile: Option<String>,
) -> PyResult<String> {
    py.detach(|| crate::chain::resolve_region(url.as_deref(), profile.as_deref()))
        .map_err(crate::errors::signing_error)
}

/// A `str` argument, borrowed (no copy); any failure is a `TypeError` naming it.
pub(crate) fn text_arg<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<&'a str> {
    obj.cast::<PyString>()
        .ok()
        .and_then(|s| s.to_str().ok())
        .ok_or_else(|| {
            PyTypeError::new_err(format!("{what} must be a str, not {}", type_name(obj)))
        })
}

impl PySigner {
    fn build(region: String, service: String, source: Source, o: &Opts) -> PyResult<Self> {
        let settings = build_settings(&service, o);
        let core = sigv4::Signer::new(region, service)
            .map_err(signing_err)?
            .with_settings(settings.clone());
        Ok(PySigner {
            core,
            settings,
            source,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn sign_job(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        payload_hash: Option<String>,
        timestamp: Option<&Bound<'_, PyAny>>,
        expires: Option<&Bound<'_, PyAny>>,
        want_url: bool,
    ) -> PyResult<Signed> {
        let job = Job::from_py(py, method, url, headers, body, payload_hash, timestamp)?;
        let what = self.source.resolve(py, job.wall_time())?;
        match expires {
            None => job.run_with(py, &self.core, None, &what, want_url),
            Some(e) => {
                let secs = expires_secs(e)?;
                let settings = self.settings.clone().presigned(Duration::from_secs(secs));
                job.run(
                    py,
                    self.core.region(),
                    self.core.service(),
                    &settings,
                    Some(&self.core),
                    &what,
                    want_url,
                )
            }
        }
    }
}

#[pymethods]
impl PySigner {
    #[new]
    #[pyo3(signature = (region=None, service=None, credentials=None, *, normalize_path=None, double_encode=None,
        content_sha256=None, sign_session_token=true, signed_headers=None, unsigned_headers=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        region: Option<&Bound<'_, PyAny>>,
        service: Option<&Bound<'_, PyAny>>,
        credentials: Option<&Bound<'_, PyAny>>,
        normalize_path: Option<bool>,
        double_encode: Option<bool>,
        content_sha256: Option<bool>,
        sign_session_token: bool,
        signed_headers: Option<Vec<String>>,
        unsigned_headers: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let service = match service {
            Some(s) => text_arg(s, "service")?.to_string(),
            None => {
                return Err(PyTypeError::new_err(
                    "service is required (a str, e.g. \"s3\")",
                ))
            }
        };
        // No region: the region chain (AWS_REGION, AWS_DEFAULT_REGION, the profile's region).
        let region = match region.filter(|r| !r.is_none()) {
            Some(r) => text_arg(r, "region")?.to_string(),
            None => py
                .detach(|| crate::chain::resolve_region(None, None))
                .map_err(crate::errors::signing_error)?,
        };
        let source = Source::from_py(py, credentials)?;
        let o = opts(
            normalize_path,
            double_encode,
            content_sha256,
            sign_session_token,
            signed_headers,
            unsigned_headers,
        );
        Self::build(region, service, source, &o)
    }

    /// A signer that signs with a day-scoped ``SigningKey`` instead of the secret access key.
    /// Region and service come from the key; signing for another day raises ``SigningError``.
    /// ``exact_signed_headers``: sign exactly these headers and no other, not even ``host`` or
    /// the ``x-amz-*`` headers signing adds unless listed (requests-aws4auth's ``include_hdrs``).
    #[classmethod]
    #[pyo3(signature = (key, access_key, token=None, *, normalize_path=None, double_encode=None,
        content_sha256=None, sign_session_token=true, signed_headers=None, unsigned_headers=None,
        exact_signed_headers=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_signing_key(
        _cls: &Bound<'_, PyType>,
        key: &Bound<'_, PySigningKey>,
        access_key: String,
        token: Option<String>,
        normalize_path: Option<bool>,
        double_encode: Option<bool>,
        content_sha256: Option<bool>,
        sign_session_token: bool,
        signed_headers: Option<Vec<String>>,
        unsigned_headers: Option<Vec<String>>,
        exact_signed_headers: Option<Vec<String>>,
    ) -> PyResult<Self> {
        validate_access_key(&access_key)?;
        // An empty token is no token, as for `Credentials`.
        let token = token.filter(|t| !t.is_empty());
        if let Some(t) = &token {
            validate_token(t)?;
        }
        let k = Arc::clone(&key.get().inner);
        let (region, service) = (k.region().to_owned(), k.service().to_owned());
        let mut o = opts(
            normalize_path,
            double_encode,
            content_sha256,
            sign_session_token,
            signed_headers,
            unsigned_headers,
        );
        o.exact_headers = exact_signed_headers;
        Self::build(
            region,
            service,
            Source::Key {
                key: k,
                access_key,
                token,
            },
            &o,
        )
    }

    #[getter]
    fn region(&self) -> &str {
        self.core.region()
    }

    #[getter]
    fn service(&self) -> &str {
        self.core.service()
    }

    /// The credentials source given at construction (None for a key-based signer).
    #[getter]
    fn credentials(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.source.as_py(py)
    }

    /// Signs a request and returns the headers to add (``Authorization``, ``X-Amz-Date``,
    /// and ``X-Amz-Security-Token`` / ``x-amz-content-sha256`` when they apply).
    #[pyo3(signature = (method, url, headers=None, body=None, timestamp=None, *, payload_hash=None))]
    #[allow(clippy::too_many_arguments)]
    fn sign<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, PyAny>,
        url: &Bound<'py, PyAny>,
        headers: Option<&Bound<'py, PyAny>>,
        body: Option<&Bound<'py, PyAny>>,
        timestamp: Option<&Bound<'py, PyAny>>,
        payload_hash: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let s = self.sign_job(
            py,
            method,
            url,
            headers,
            body,
            payload_hash,
            timestamp,
            None,
            false,
        )?;
        headers_dict(py, &s.out)
    }

    /// Like ``sign`` but returns a ``SignedRequest`` with the URL to send and every step.
    #[pyo3(signature = (method, url, headers=None, body=None, timestamp=None, *, payload_hash=None, expires=None))]
    #[allow(clippy::too_many_arguments)]
    fn sign_request(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        payload_hash: Option<String>,
        expires: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySigned> {
        let s = self.sign_job(
            py,
            method,
            url,
            headers,
            body,
            payload_hash,
            timestamp,
            expires,
            true,
        )?;
        Ok(PySigned { inner: s })
    }

    /// A presigned URL valid for ``expires`` seconds (or a timedelta; 1 s to 7 days).
    /// S3 presigned URLs use ``UNSIGNED-PAYLOAD``; other services sign ``body`` (default empty).
    #[pyo3(signature = (method, url, expires=None, headers=None, body=None, timestamp=None, *, payload_hash=None))]
    #[allow(clippy::too_many_arguments)]
    fn presign(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        expires: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        payload_hash: Option<String>,
    ) -> PyResult<String> {
        let payload_hash = presign_payload_hash(payload_hash, body, self.core.service());
        let default_expires;
        let expires = match expires {
            Some(e) => e,
            None => {
                default_expires = 3600u32.into_pyobject(py)?.into_any();
                &default_expires
            }
        };
        let s = self.sign_job(
            py,
            method,
            url,
            headers,
            body,
            payload_hash,
            timestamp,
            Some(expires),
            true,
        )?;
        Ok(s.url)
    }

    fn __repr__(&self) -> String {
        format!(
            "Signer(region={:?}, service={:?})",
            self.core.region(),
            self.core.service()
        )
    }
}

/// The payload hash a presigned URL signs: the one given, else `UNSIGNED-PAYLOAD` for an S3
/// URL without a body (the client sending it chooses the body later), else `None` (the
/// body's hash). `Signer.presign` and the low-level functions share this rule.
fn presign_payload_hash(
    payload_hash: Option<String>,
    body: Option<&Bound<'_, PyAny>>,
    service: &str,
) -> Option<String> {
    match payload_hash {
        None if body.is_none_or(|b| b.is_none()) && is_s3(service) => {
            Some(UNSIGNED_PAYLOAD.to_owned())
        }
        p => p,
    }
}

// ---------------------------------------------------------------------------------------------
// Low-level functions
// ---------------------------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub(crate) fn low_level(
    py: Python<'_>,
    method: &Bound<'_, PyAny>,
    url: &Bound<'_, PyAny>,
    headers: Option<&Bound<'_, PyAny>>,
    body: Option<&Bound<'_, PyAny>>,
    credentials: &Bound<'_, PyAny>,
    region: &Bound<'_, PyAny>,
    service: &Bound<'_, PyAny>,
    timestamp: Option<&Bound<'_, PyAny>>,
    payload_hash: Option<String>,
    expires: Option<&Bound<'_, PyAny>>,
    o: Opts,
    want_url: bool,
) -> PyResult<Signed> {
    let region = text_arg(region, "region")?;
    let service = text_arg(service, "service")?;
    let what = if let Ok(k) = credentials.cast::<PySigningKey>() {
        return Err(PyTypeError::new_err(format!(
            "credentials must be credentials, not a SigningKey ({}); use Signer.from_signing_key",
            k.get().inner.scope()
        )));
    } else if let Ok(r) = credentials.cast::<PyRefreshable>() {
        KeyOrCreds::Creds(r.get().creds(py)?)
    } else {
        KeyOrCreds::Creds(credentials_from_py(credentials)?)
    };
    let presign = expires.filter(|e| !e.is_none());
    // The common call (PyPI sigv4's `sign_headers(..., credentials=Credentials(...))` with no
    // options) reuses a signer kept on the credentials object, and so its signing key.
    if presign.is_none() && o.is_default() {
        if let Ok(pc) = credentials.cast::<PyCredentials>() {
            let signer = pc.get().signer_for(region, service)?;
            let job = Job::from_py(py, method, url, headers, body, payload_hash, timestamp)?;
            return job.run_with(py, &signer, None, &what, want_url);
        }
    }
    let mut settings = build_settings(service, &o);
    let mut payload_hash = payload_hash;
    if let Some(e) = presign {
        payload_hash = presign_payload_hash(payload_hash, body, service);
        settings = settings.presigned(Duration::from_secs(expires_secs(e)?));
    }
    let job = Job::from_py(py, method, url, headers, body, payload_hash, timestamp)?;
    job.run(py, region, service, &settings, None, &what, want_url)
}

macro_rules! low_level_fn {
    ($(#[$doc:meta])* $name:ident, $ret:ty, $want_url:expr, |$py:ident, $s:ident| $conv:expr) => {
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (method, url, headers=None, body=None, *, credentials, region, service,
            timestamp=None, payload_hash=None, expires=None, normalize_path=None, double_encode=None,
            content_sha256=None, sign_session_token=true, signed_headers=None, unsigned_headers=None))]
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name<'py>(
            $py: Python<'py>,
            method: &Bound<'py, PyAny>,
            url: &Bound<'py, PyAny>,
            headers: Option<&Bound<'py, PyAny>>,
            body: Option<&Bound<'py, PyAny>>,
            credentials: &Bound<'py, PyAny>,
            region: &Bound<'py, PyAny>,
            service: &Bound<'py, PyAny>,
            timestamp: Option<&Bound<'py, PyAny>>,
            payload_hash: Option<String>,
            expires: Option<&Bound<'py, PyAny>>,
            normalize_path: Option<bool>,
            double_encode: Option<bool>,
            content_sha256: Option<bool>,
            sign_session_token: bool,
            signed_headers: Option<Vec<String>>,
            unsigned_headers: Option<Vec<String>>,
        ) -> PyResult<$ret> {
            let o = opts(normalize_path, double_encode, content_sha256, sign_session_token,
                signed_headers, unsigned_headers);
            let $s = low_level($py, method, url, headers, body, credentials, region, service,
                timestamp, payload_hash, expires, o, $want_url)?;
            $conv
        }
    };
}

low_level_fn!(
    /// Signs with everything given explicitly and returns the headers to add.
    sign_headers, Bound<'py, PyDict>, false, |py, s| headers_dict(py, &s.out)
);
low_level_fn!(
    /// The canonical request for these inputs (the first step of signing).
    canonical_request, String, false, |py, s| Ok(s.out.canonical_request().to_owned())
);
low_level_fn!(
    /// The string to sign for these inputs (the second step of signing).
    string_to_sign, String, false, |py, s| Ok(s.out.string_to_sign().to_owned())
);
low_level_fn!(
    /// Signs with everything given explicitly and returns a ``SignedRequest`` with every step.
    sign_request, PySigned, true, |py, s| Ok(PySigned { inner: s })
);

/// The hex SHA-256 of a body (bytes, bytearray, memoryview or str as UTF-8), as used for
/// ``x-amz-content-sha256``. Large bodies are hashed with the GIL released.
#[pyfunction]
pub(crate) fn payload_hash(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    body_hash(py, Some(body))
}
