//! The exceptions raised by the bindings.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::PyErr;

create_exception!(
    _sigv4,
    SigningError,
    PyValueError,
    "A request could not be signed (bad region, header, URL, expiry, ...). Subclass of ValueError."
);
create_exception!(
    _sigv4,
    CredentialsError,
    PyException,
    "Credentials could not be obtained or are invalid."
);

pub(crate) fn signing_err(e: sigv4::SigningError) -> PyErr {
    SigningError::new_err(e.to_string())
}
