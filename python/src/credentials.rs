//! `Credentials` and reading credentials from Python objects (duck-typed, dicts).

use pyo3::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::types::PyDict;
use sigv4::Credentials;

use crate::errors::signing_err;
use crate::time::{system_time_to_py, to_system_time, unix_secs};
use crate::type_name;

fn access_key_problem(s: &str) -> Option<&'static str> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',');
    (!ok).then_some(
        "invalid access key id: it must be non-empty printable ASCII without spaces, '/' or ','",
    )
}

fn token_problem(s: &str) -> Option<&'static str> {
    (!s.bytes().all(|b| b.is_ascii_graphic())).then_some(
        "invalid session token: it must be printable ASCII without spaces (value not shown)",
    )
}

/// The checks `Credentials(...)` makes, without Python (the chain runs them with the GIL
/// released). An empty token means "no token" and passes.
pub(crate) fn check_parts(
    access_key: &str,
    secret_key: &str,
    token: Option<&str>,
) -> Result<(), &'static str> {
    if let Some(p) = access_key_problem(access_key) {
        return Err(p);
    }
    if secret_key.is_empty() {
        return Err("the secret access key is empty");
    }
    match token.and_then(token_problem) {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

pub(crate) fn validate_access_key(s: &str) -> PyResult<()> {
    access_key_problem(s).map_or(Ok(()), |p| Err(PyValueError::new_err(p)))
}

pub(crate) fn validate_secret(s: &str) -> PyResult<()> {
    if s.is_empty() {
        return Err(PyValueError::new_err("the secret access key is empty"));
    }
    Ok(())
}

pub(crate) fn validate_token(s: &str) -> PyResult<()> {
    token_problem(s).map_or(Ok(()), |p| Err(PyValueError::new_err(p)))
}

/// Builds validated credentials. An empty token is no token: that is what
/// `os.environ.get("AWS_SESSION_TOKEN", "")` gives, and what PyPI `sigv4` accepted.
pub(crate) fn build_credentials(
    access_key: String,
    secret_key: String,
    token: Option<String>,
    expiration: Option<SystemTime>,
) -> PyResult<Credentials> {
    let secret_key = zeroize::Zeroizing::new(secret_key);
    let token = token.filter(|t| !t.is_empty()).map(zeroize::Zeroizing::new);
    check_parts(&access_key, &secret_key, token.as_ref().map(|t| t.as_str()))
        .map_err(PyValueError::new_err)?;
    Ok(Credentials::new(
        access_key,
        secret_key.as_str(),
        token.as_ref().map(|t| t.as_str().to_owned()),
        expiration,
    ))
}

/// AWS credentials: access key id, secret access key, optional session token and expiry.
///
/// Immutable; ``repr()`` never shows the secret or the token.
#[pyclass(name = "Credentials", module = "sigv4", frozen)]
pub struct PyCredentials {
    pub(crate) inner: Arc<Credentials>,
    /// Signers with default settings used by `sign_headers(credentials=self, ...)`, one per
    /// region and service, so the day's signing key is derived once, not on every call.
    /// Kept here, not globally, so that no copy of the secret outlives these credentials.
    signers: Mutex<Vec<Arc<sigv4::Signer>>>,
}

/// At most this many (region, service) signers are kept per credentials object.
const MAX_CACHED_SIGNERS: usize = 4;

impl PyCredentials {
    pub(crate) fn from_arc(inner: Arc<Credentials>) -> Self {
        PyCredentials {
            inner,
            signers: Mutex::new(Vec::new()),
        }
    }

    /// A default-settings signer (this package's defaults, `build_settings`) for `region`
    /// and `service` that caches the signing key of these credentials.
    pub(crate) fn signer_for(&self, region: &str, service: &str) -> PyResult<Arc<sigv4::Signer>> {
        let mut list = self.signers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = list
            .iter()
            .find(|s| s.region() == region && s.service() == service)
        {
            return Ok(Arc::clone(s));
        }
        let defaults = crate::request::opts(None, None, None, true, None, None);
        let settings = crate::request::build_settings(service, &defaults);
        let s = Arc::new(
            sigv4::Signer::new(region, service)
                .map_err(signing_err)?
                .with_settings(settings),
        );
        if list.len() >= MAX_CACHED_SIGNERS {
            list.remove(0);
        }
        list.push(Arc::clone(&s));
        Ok(s)
    }
}

#[pymethods]
impl PyCredentials {
    #[new]
    #[pyo3(signature = (access_key, secret_key, token=None, expiration=None, *, expires_at=None))]
    fn new(
        access_key: String,
        secret_key: String,
        token: Option<String>,
        expiration: Option<&Bound<'_, PyAny>>,
        expires_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let expiration = match (
            expiration.filter(|e| !e.is_none()),
            expires_at.filter(|e| !e.is_none()),
        ) {
            (Some(_), Some(_)) => {
                return Err(PyTypeError::new_err(
                    "give expiration or expires_at (the same thing), not both",
                ))
            }
            (Some(e), None) | (None, Some(e)) => Some(to_system_time(e, "expiration")?),
            (None, None) => None,
        };
        Ok(PyCredentials::from_arc(Arc::new(build_credentials(
            access_key, secret_key, token, expiration,
        )?)))
    }

    /// The access key id.
    #[getter]
    fn access_key(&self) -> &str {
        self.inner.access_key_id()
    }

    /// The secret access key. Never log it.
    #[getter]
    fn secret_key(&self) -> &str {
        self.inner.secret_access_key()
    }

    /// The session token of temporary credentials, or None.
    #[getter]
    fn token(&self) -> Option<&str> {
        self.inner.session_token()
    }

    /// When the credentials expire (an aware UTC datetime), or None.
    #[getter]
    fn expiration(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner
            .expiry()
            .map(|t| system_time_to_py(py, t))
            .transpose()
    }

    /// The same as ``expiration`` (the name PyPI ``sigv4`` used).
    #[getter]
    fn expires_at(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.expiration(py)
    }

    /// Returns self (for code written against botocore's credentials objects).
    fn get_frozen_credentials(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __repr__(&self) -> String {
        let exp = self
            .inner
            .expiry()
            .map_or_else(|| "None".to_owned(), |t| format!("{}", unix_secs(t)));
        format!(
            "Credentials(access_key={:?}, secret_key='****', token={}, expiration={})",
            self.inner.access_key_id(),
            if self.inner.session_token().is_some() {
                "'****'"
            } else {
                "None"
            },
            exp
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyCredentials>()
            .map(|o| *o.get().inner == *self.inner)
            .unwrap_or(false)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.access_key_id().hash(&mut h);
        h.finish()
    }
}

/// Reads credentials from a `sigv4.Credentials`, or any object with `access_key`,
/// `secret_key` and `token` attributes (botocore credentials included; their
/// `get_frozen_credentials()` is used when present, so a `sigv4.RefreshableCredentials`
/// is read through it), or a dict with those keys.
pub(crate) fn credentials_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Arc<Credentials>> {
    let py = obj.py();
    if let Ok(c) = obj.cast::<PyCredentials>() {
        return Ok(Arc::clone(&c.get().inner));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let get = |k: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            Ok(d.get_item(k)?.filter(|v| !v.is_none()))
        };
        let ak = get("access_key")?.or(get("AccessKeyId")?).ok_or_else(|| {
            crate::errors::credentials_error("credentials dict has no 'access_key'")
        })?;
        let sk = get("secret_key")?
            .or(get("SecretAccessKey")?)
            .ok_or_else(|| {
                crate::errors::credentials_error("credentials dict has no 'secret_key'")
            })?;
        let tok = get("token")?.or(get("SessionToken")?);
        let exp = get("expiration")?
            .or(get("expires_at")?)
            .or(get("expiry_time")?)
            .or(get("Expiration")?);
        return credentials_parts(ak, sk, tok, exp);
    }
    if obj.hasattr(intern!(py, "access_key"))? && obj.hasattr(intern!(py, "secret_key"))? {
        let frozen = if obj.hasattr(intern!(py, "get_frozen_credentials"))? {
            obj.call_method0(intern!(py, "get_frozen_credentials"))?
        } else {
            obj.clone()
        };
        if let Ok(c) = frozen.cast::<PyCredentials>() {
            return Ok(Arc::clone(&c.get().inner));
        }
        let ak = frozen.getattr(intern!(py, "access_key"))?;
        let sk = frozen.getattr(intern!(py, "secret_key"))?;
        let tok = frozen
            .getattr_opt(intern!(py, "token"))?
            .filter(|v| !v.is_none());
        let exp = match frozen
            .getattr_opt(intern!(py, "expiration"))?
            .filter(|v| !v.is_none())
        {
            Some(e) => Some(e),
            // PyPI `sigv4`'s credentials spell it `expires_at`.
            None => frozen
                .getattr_opt(intern!(py, "expires_at"))?
                .filter(|v| !v.is_none()),
        };
        return credentials_parts(ak, sk, tok, exp);
    }
    Err(PyTypeError::new_err(format!(
        "expected sigv4.Credentials, an object with access_key/secret_key/token attributes \
         or a dict, not {}",
        type_name(obj)
    )))
}

pub(crate) fn credentials_parts(
    ak: Bound<'_, PyAny>,
    sk: Bound<'_, PyAny>,
    tok: Option<Bound<'_, PyAny>>,
    exp: Option<Bound<'_, PyAny>>,
) -> PyResult<Arc<Credentials>> {
    let text = |v: &Bound<'_, PyAny>, what: &str| -> PyResult<String> {
        v.extract::<String>()
            .map_err(|_| PyTypeError::new_err(format!("{what} must be a str")))
    };
    let expiration = match exp {
        Some(e) => Some(to_system_time(&e, "expiration")?),
        None => None,
    };
    Ok(Arc::new(build_credentials(
        text(&ak, "access_key")?,
        text(&sk, "secret_key")?,
        tok.map(|t| text(&t, "token")).transpose()?,
        expiration,
    )?))
}
