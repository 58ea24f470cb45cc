//! The exceptions raised by the bindings.
//!
//! They are defined in Python (`sigv4/_errors.py`) and raised from here, so that they live
//! in module `sigv4` (pickle finds them there: exceptions cross process boundaries, e.g. in
//! `multiprocessing`) and can have several bases (`SigningError` is both a `SigV4Error` and
//! a `ValueError`), which `create_exception!` cannot express.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static SIGNING: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CREDENTIALS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EXPIRED: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn raise(lock: &'static PyOnceLock<Py<PyType>>, name: &'static str, msg: String) -> PyErr {
    Python::attach(|py| {
        let ty = lock.get_or_try_init(py, || {
            py.import("sigv4._errors")?
                .getattr(name)?
                .cast_into::<PyType>()
                .map(Bound::unbind)
                .map_err(PyErr::from)
        });
        match ty {
            Ok(t) => PyErr::from_type(t.bind(py).clone(), msg),
            // Only when the package is broken (the native module imported on its own).
            Err(e) => PyRuntimeError::new_err(format!(
                "sigv4: cannot load the exception classes ({e}); the error was: {msg}"
            )),
        }
    })
}

/// `sigv4.SigningError` (a `SigV4Error` and a `ValueError`).
pub(crate) fn signing_error(msg: impl Into<String>) -> PyErr {
    raise(&SIGNING, "SigningError", msg.into())
}

/// `sigv4.CredentialsError` (a `SigV4Error`).
pub(crate) fn credentials_error(msg: impl Into<String>) -> PyErr {
    raise(&CREDENTIALS, "CredentialsError", msg.into())
}

/// `sigv4.CredentialsExpiredError` (a `CredentialsError`): a fetcher gave no credentials.
pub(crate) fn credentials_expired_error(msg: impl Into<String>) -> PyErr {
    raise(&EXPIRED, "CredentialsExpiredError", msg.into())
}

pub(crate) fn signing_err(e: sigv4::SigningError) -> PyErr {
    signing_error(e.to_string())
}
