//! `SigningKey`: a day-scoped key that signs without the secret access key.

use pyo3::prelude::*;
use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::types::{PyBytes, PyString, PyType};

use crate::credentials::validate_secret;
use crate::errors::signing_err;
use crate::time::{datetime_type, to_system_time};
use crate::type_name;

#[pyclass(name = "SigningKey", module = "sigv4", frozen)]
pub struct PySigningKey {
    pub(crate) inner: Arc<sigv4::SigningKey>,
}

pub(crate) fn date_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    let py = obj.py();
    if obj.is_instance(datetime_type(py)?)? || obj.extract::<f64>().is_ok() {
        let t = to_system_time(obj, "date")?;
        let d = sigv4::AmzDate::from_system_time(t).map_err(signing_err)?;
        return Ok(d.date().to_owned());
    }
    if obj.hasattr(intern!(py, "strftime"))? {
        return obj.call_method1("strftime", ("%Y%m%d",))?.extract();
    }
    Err(PyTypeError::new_err(format!(
        "date must be 'YYYYMMDD', a datetime.date or a datetime, not {}",
        type_name(obj)
    )))
}

#[pymethods]
impl PySigningKey {
    #[new]
    fn new(
        secret_key: String,
        region: String,
        service: String,
        date: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let secret_key = zeroize::Zeroizing::new(secret_key);
        validate_secret(&secret_key)?;
        let date = date_text(date)?;
        let k = sigv4::SigningKey::derive(&secret_key, &date, &region, &service)
            .map_err(signing_err)?;
        Ok(PySigningKey { inner: Arc::new(k) })
    }

    /// Rebuilds a key from its 32 raw bytes (as handed over by another component).
    #[classmethod]
    fn from_bytes(
        _cls: &Bound<'_, PyType>,
        key: &[u8],
        date: &Bound<'_, PyAny>,
        region: String,
        service: String,
    ) -> PyResult<Self> {
        let raw: [u8; 32] = key
            .try_into()
            .map_err(|_| PyValueError::new_err("a signing key is exactly 32 bytes"))?;
        let date = date_text(date)?;
        let k =
            sigv4::SigningKey::from_bytes(raw, &date, &region, &service).map_err(signing_err)?;
        Ok(PySigningKey { inner: Arc::new(k) })
    }

    /// The raw 32-byte key. Treat it as a secret.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_bytes())
    }

    /// ``YYYYMMDD/region/service/aws4_request``.
    #[getter]
    fn scope(&self) -> &str {
        self.inner.scope()
    }

    /// ``YYYYMMDD``.
    #[getter]
    fn date(&self) -> &str {
        self.inner.date()
    }

    #[getter]
    fn region(&self) -> &str {
        self.inner.region()
    }

    #[getter]
    fn service(&self) -> &str {
        self.inner.service()
    }

    /// The hex signature of a string to sign.
    fn sign(&self, string_to_sign: &str) -> String {
        self.inner.sign_hex(string_to_sign)
    }

    fn __repr__(&self) -> String {
        format!("SigningKey(scope={:?}, key='****')", self.inner.scope())
    }
}
