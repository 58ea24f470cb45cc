//! Python bindings for the `sigv4` signer (module `sigv4._sigv4`, re-exported by `sigv4`).
//!
//! Everything here converts Python values into the core crate's types, calls the core, and
//! converts the result back. Bad input raises `TypeError`/`ValueError` (never panics), and
//! no message contains a secret.
#![forbid(unsafe_code)]

use pyo3::prelude::*;
use pyo3::wrap_pyfunction;

mod args;
mod chain;
mod compat;
mod credentials;
mod errors;
mod providers;
mod refreshable;
mod request;
mod signer;
mod signing_key;
mod time;

/// Logs through Python's `logging` (logger `sigv4`); a failure to log is ignored.
pub(crate) fn log_warning(py: Python<'_>, msg: &str) {
    let _ = py
        .import("logging")
        .and_then(|m| m.call_method1("getLogger", ("sigv4",)))
        .and_then(|l| l.call_method1("warning", (msg,)));
}

pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

#[pymodule]
fn _sigv4(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<credentials::PyCredentials>()?;
    m.add_class::<refreshable::PyRefreshable>()?;
    m.add_class::<signing_key::PySigningKey>()?;
    m.add_class::<signer::PySigner>()?;
    m.add_class::<request::PySigned>()?;
    m.add_function(wrap_pyfunction!(signer::sign_headers, m)?)?;
    m.add_function(wrap_pyfunction!(signer::canonical_request, m)?)?;
    m.add_function(wrap_pyfunction!(signer::string_to_sign, m)?)?;
    m.add_function(wrap_pyfunction!(signer::sign_request, m)?)?;
    m.add_function(wrap_pyfunction!(signer::payload_hash, m)?)?;
    m.add_function(wrap_pyfunction!(refreshable::resolve_credentials, m)?)?;
    m.add_function(wrap_pyfunction!(refreshable::default_credentials, m)?)?;
    m.add_function(wrap_pyfunction!(providers::load_source, m)?)?;
    m.add_function(wrap_pyfunction!(signer::resolve_region, m)?)?;
    m.add_function(wrap_pyfunction!(request::is_s3_service, m)?)?;
    m.add_function(wrap_pyfunction!(compat::_canonical_uri, m)?)?;
    m.add_function(wrap_pyfunction!(compat::_canonical_query, m)?)?;
    m.add("UNSIGNED_PAYLOAD", sigv4::UNSIGNED_PAYLOAD)?;
    m.add("EMPTY_SHA256", request::EMPTY_SHA256)?;
    m.add("CREDENTIAL_CHAIN", chain::DESCRIPTION)?;
    Ok(())
}
