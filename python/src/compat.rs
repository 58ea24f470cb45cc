//! Building blocks for the compatibility modules (`sigv4.compat.*`), which re-create other
//! libraries' step-by-step APIs: the core's canonical URI and query string, so that a
//! step computed on its own is byte-for-byte the step the signer uses.

use pyo3::prelude::*;

/// The canonical URI of a path as sent on the wire (``normalize``: remove ``.``/``..`` and
/// repeated slashes; ``double_encode``: encode ``%`` again, as every service but S3 does).
#[pyfunction]
pub(crate) fn _canonical_uri(path: &str, normalize: bool, double_encode: bool) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let rules = sigv4::UriRules {
        normalize_path: normalize,
        double_encode,
    };
    sigv4::canonical_request::canonical_uri(&mut out, path, rules);
    out
}

/// The canonical query string of a raw query (without ``?``), as the signer signs it:
/// every key and value decoded (a raw ``+`` is a space, as in a form) and percent-encoded
/// per RFC 3986, sorted by key then value, repeated keys kept.
#[pyfunction]
pub(crate) fn _canonical_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 8);
    sigv4::canonical_request::canonical_query_plus(
        &mut out,
        query,
        sigv4::QueryPlus::Space,
        &[],
        |_| false,
    );
    out
}
