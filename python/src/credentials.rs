//! `Credentials` and reading credentials from Python objects (duck-typed, dicts).

use pyo3::prelude::*;
use std::sync::Arc;
use std::time::SystemTime;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::types::PyDict;
use sigv4::Credentials;

use crate::errors::CredentialsError;
use crate::time::{system_time_to_py, to_system_time, unix_secs};
use crate::type_name;

pub(crate) fn validate_access_key(s: &str) -> PyResult<()> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',')
    {
        return Err(PyValueError::new_err(
            "invalid access key id: it must be non-empty printable ASCII without spaces, '/' or ','",
        ));
    }
    Ok(())
}

pub(crate) fn validate_secret(s: &str) -> PyResult<()> {
    if s.is_empty() {
        return Err(PyValueError::new_err("the secret access key is empty"));
    }
    Ok(())
}

pub(crate) fn validate_token(s: &str) -> PyResult<()> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(PyValueError::new_err(
            "invalid session token: it must be non-empty printable ASCII without spaces (value not shown)",
        ));
    }
    Ok(())
}

pub(crate) fn build_credentials(
    access_key: String,
    secret_key: String,
    token: Option<String>,
    expiration: Option<SystemTime>,
) -> PyResult<Credentials> {
    let secret_key = zeroize::Zeroizing::new(secret_key);
    let token = token.map(zeroize::Zeroizing::new);
    validate_access_key(&access_key)?;
    validate_secret(&secret_key)?;
    if let Some(t) = &token {
        validate_token(t)?;
    }
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
}

#[pymethods]
impl PyCredentials {
    #[new]
    #[pyo3(signature = (access_key, secret_key, token=None, expiration=None))]
    fn new(
        access_key: String,
        secret_key: String,
        token: Option<String>,
        expiration: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let expiration = match expiration {
            Some(e) if !e.is_none() => Some(to_system_time(e, "expiration")?),
            _ => None,
        };
        Ok(PyCredentials {
            inner: Arc::new(build_credentials(
                access_key, secret_key, token, expiration,
            )?),
        })
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
/// `get_frozen_credentials()` is used when present), or a dict with those keys.
pub(crate) fn credentials_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Arc<Credentials>> {
    let py = obj.py();
    if let Ok(c) = obj.cast::<PyCredentials>() {
        return Ok(Arc::clone(&c.get().inner));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let get = |k: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            Ok(d.get_item(k)?.filter(|v| !v.is_none()))
        };
        let ak = get("access_key")?
            .or(get("AccessKeyId")?)
            .ok_or_else(|| CredentialsError::new_err("credentials dict has no 'access_key'"))?;
        let sk = get("secret_key")?
            .or(get("SecretAccessKey")?)
            .ok_or_else(|| CredentialsError::new_err("credentials dict has no 'secret_key'"))?;
        let tok = get("token")?.or(get("SessionToken")?);
        let exp = get("expiration")?
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
        let exp = frozen
            .getattr_opt(intern!(py, "expiration"))?
            .filter(|v| !v.is_none());
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
