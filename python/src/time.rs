//! Conversions between Python times (`datetime`, Unix seconds) and `SystemTime`.

use pyo3::prelude::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::type_name;

static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub(crate) fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    UTC.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("datetime")?
                .getattr("timezone")?
                .getattr("utc")?
                .unbind(),
        )
    })
    .map(|o| o.bind(py))
}

pub(crate) fn datetime_type(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    DATETIME
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("datetime")?.getattr("datetime")?.unbind())
        })
        .map(|o| o.bind(py))
}

pub(crate) fn secs_to_system_time(secs: f64, what: &str) -> PyResult<SystemTime> {
    if !secs.is_finite() || !(0.0..=253_402_300_799.0).contains(&secs) {
        return Err(PyValueError::new_err(format!(
            "{what} is out of range: give a time between 1970 and 9999"
        )));
    }
    Ok(UNIX_EPOCH + Duration::from_secs_f64(secs))
}

/// A `datetime` (naive means UTC) or Unix seconds (`int`/`float`) as a `SystemTime`.
pub(crate) fn to_system_time(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<SystemTime> {
    let py = obj.py();
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a datetime or Unix seconds, not bool"
        )));
    }
    if let Ok(secs) = obj.extract::<f64>() {
        return secs_to_system_time(secs, what);
    }
    if obj.is_instance(datetime_type(py)?)? {
        let dt = if obj.getattr(intern!(py, "tzinfo"))?.is_none() {
            let kwargs = PyDict::new(py);
            kwargs.set_item("tzinfo", utc(py)?)?;
            obj.call_method("replace", (), Some(&kwargs))?
        } else {
            obj.clone()
        };
        let secs: f64 = dt.call_method0(intern!(py, "timestamp"))?.extract()?;
        return secs_to_system_time(secs, what);
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be a datetime.datetime (naive means UTC) or Unix seconds, not {}",
        type_name(obj)
    )))
}

pub(crate) fn system_time_to_py(py: Python<'_>, t: SystemTime) -> PyResult<Py<PyAny>> {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    Ok(datetime_type(py)?
        .call_method1("fromtimestamp", (secs, utc(py)?))?
        .unbind())
}

pub(crate) fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
