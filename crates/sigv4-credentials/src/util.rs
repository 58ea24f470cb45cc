//! Small helpers shared by every module. A leaf: it imports nothing from
//! the rest of the crate, so the other modules can all use it without
//! forming an import cycle.

use std::future::Future;
use std::pin::Pin;

/// A boxed, `Send` future (object-safe async traits use it).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Percent-encodes `s` for a form body or a query value (RFC 3986
/// unreserved characters kept).
pub(crate) fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces every occurrence of each secret (and its percent-encoded form)
/// in `text`, for messages that echo what a server said.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(s, "** redacted **");
        let encoded = form_encode(s);
        if encoded != *s {
            out = out.replace(&encoded, "** redacted **");
        }
    }
    out
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
