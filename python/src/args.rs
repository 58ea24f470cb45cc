//! A request's parts read from Python arguments in place: text and bytes are borrowed
//! from the argument objects (or from objects this module holds a reference to), not
//! copied into Rust strings.
//!
//! Why borrowing is sound even while the GIL is released (large bodies are hashed without
//! it): `str` and `bytes` are immutable, and each object is kept alive for the whole call,
//! either by the caller (an argument) or by a reference held here (a header taken from a
//! mapping another thread could change: `PyBackedStr`/`PyBackedBytes`). Mutable buffers
//! (`bytearray`, `memoryview`) are copied once.

use pyo3::prelude::*;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString, PyTuple};
use smallvec::SmallVec;

use crate::type_name;

/// A `str` argument as text, borrowed.
pub(crate) fn str_arg<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<&'a str> {
    match obj.cast::<PyString>() {
        Ok(s) => s.to_str(),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what} must be a str, not {}",
            type_name(obj)
        ))),
    }
}

/// The URL argument: a `str`, or `bytes` that are UTF-8; borrowed.
pub(crate) fn url_arg<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_str();
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return std::str::from_utf8(b.as_bytes())
            .map_err(|_| PyValueError::new_err("the URL is not valid UTF-8"));
    }
    Err(PyTypeError::new_err(format!(
        "url must be a str, not {}",
        type_name(obj)
    )))
}

/// A header name or value: a `str` or `bytes` object held here (a reference) and read in
/// place, or text this module had to change.
pub(crate) enum Part {
    Str(PyBackedStr),
    Bytes(Box<PyBackedBytes>),
    Owned(Box<str>),
}

impl Part {
    /// Takes over the reference `v` holds (no extra reference counting).
    fn new(v: Bound<'_, PyAny>, what: &str) -> PyResult<Part> {
        let v = match v.cast_into::<PyString>() {
            // Reads the UTF-8 text once (a lone surrogate is an error); it cannot change.
            Ok(s) => return Ok(Part::Str(PyBackedStr::try_from(s)?)),
            Err(e) => e.into_inner(),
        };
        match v.cast_into::<PyBytes>() {
            Ok(b) => Ok(Part::Bytes(Box::new(PyBackedBytes::from(b)))),
            Err(e) => Err(PyTypeError::new_err(format!(
                "{what} must be str or bytes, not {}",
                type_name(&e.into_inner())
            ))),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Part::Str(s) => s.as_bytes(),
            Part::Bytes(b) => b,
            Part::Owned(s) => s.as_bytes(),
        }
    }

    /// The text; a header name is checked to be UTF-8 when it is read (`header_name`).
    pub(crate) fn as_text(&self) -> &str {
        match self {
            Part::Str(s) => s,
            Part::Bytes(b) => std::str::from_utf8(b).unwrap_or_default(),
            Part::Owned(s) => s,
        }
    }
}

/// A header name (UTF-8). Names are case-insensitive; an `X-Amz-*` name with capitals is
/// lowercased, because the core's `signed_headers` allow list matches `x-amz-*` on
/// lowercase names only.
fn header_name(n: Bound<'_, PyAny>) -> PyResult<Part> {
    let name = Part::new(n, "a header name")?;
    if let Part::Bytes(b) = &name {
        if std::str::from_utf8(b).is_err() {
            return Err(PyValueError::new_err("a header name is not valid UTF-8"));
        }
    }
    let text = name.as_text();
    if text.len() >= 6
        && text.as_bytes()[..6].eq_ignore_ascii_case(b"x-amz-")
        && text.bytes().any(|b| b.is_ascii_uppercase())
    {
        return Ok(Part::Owned(text.to_ascii_lowercase().into_boxed_str()));
    }
    Ok(name)
}

/// Header names (valid UTF-8, checked) and values, in order. Inline for the usual few
/// headers (no allocation per signing).
pub(crate) type Headers = SmallVec<[(Part, Part); 8]>;

/// Headers from a mapping (anything with `.items()`; `multi_items()` is preferred so repeated
/// headers stay separate) or an iterable of `(name, value)` pairs.
pub(crate) fn extract_headers(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Headers> {
    let mut out = Headers::new();
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(out);
    };
    if let Ok(d) = obj.cast::<PyDict>() {
        for (n, v) in d.iter() {
            out.push((header_name(n)?, Part::new(v, "a header value")?));
        }
        return Ok(out);
    }
    for item in header_items(obj)? {
        let item = item?;
        let pair = item.cast::<PyTuple>().ok().filter(|t| t.len() == 2);
        let (n, v) = match pair {
            Some(t) => (t.get_item(0)?, t.get_item(1)?),
            None => {
                let seq: Vec<Bound<'_, PyAny>> = item.extract().map_err(|_| {
                    PyTypeError::new_err("each header must be a (name, value) pair")
                })?;
                let Ok([n, v]) = <[_; 2]>::try_from(seq) else {
                    return Err(PyTypeError::new_err(
                        "each header must be a (name, value) pair",
                    ));
                };
                (n, v)
            }
        };
        out.push((header_name(n)?, Part::new(v, "a header value")?));
    }
    Ok(out)
}

/// An iterator over the `(name, value)` pairs of headers that are not a `dict`.
fn header_items<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, pyo3::types::PyIterator>> {
    let py = obj.py();
    if obj.hasattr(intern!(py, "multi_items"))? {
        return obj.call_method0(intern!(py, "multi_items"))?.try_iter();
    }
    if obj.hasattr(intern!(py, "items"))? {
        return obj.call_method0(intern!(py, "items"))?.try_iter();
    }
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "headers must be a mapping or an iterable of (name, value) pairs, not a string",
        ));
    }
    obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "headers must be a mapping or an iterable of (name, value) pairs, not {}",
            type_name(obj)
        ))
    })
}

/// A body as bytes to sign: `bytes` and `str` (UTF-8) borrowed, a `bytearray` or another
/// buffer (memoryview, array, mmap) copied once (it could change while the GIL is released).
pub(crate) enum Body<'a, 'py> {
    Borrowed(&'a [u8]),
    Copied(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl Body<'_, '_> {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Borrowed(b) => b,
            Body::Copied(b) => b.as_bytes(),
            Body::Owned(v) => v,
        }
    }
}

pub(crate) fn body_arg<'a, 'py>(
    py: Python<'py>,
    body: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<Body<'a, 'py>> {
    let Some(body) = body.filter(|b| !b.is_none()) else {
        return Ok(Body::Borrowed(b""));
    };
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(Body::Borrowed(b.as_bytes()));
    }
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(Body::Borrowed(s.to_str()?.as_bytes()));
    }
    if let Ok(b) = body.cast::<PyByteArray>() {
        return Ok(Body::Owned(b.to_vec()));
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
        return Ok(Body::Copied(bytes.cast_into::<PyBytes>()?));
    }
    Err(PyTypeError::new_err(format!(
        "cannot hash a body of type {}: give bytes, bytearray, memoryview or str; for a \
         streaming body (file, iterator) pass payload_hash=UNSIGNED_PAYLOAD (S3 and services \
         that accept it) or the SHA-256 hex digest computed elsewhere",
        type_name(body)
    )))
}
