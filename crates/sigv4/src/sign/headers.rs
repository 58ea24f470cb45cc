//! Which headers are signed: the request's own (lowercased, canonicalized, those signing
//! sets itself left out, unsigned ones still validated) and those signing adds (`host`
//! when the request has none, `x-amz-date`, the session token, `x-amz-content-sha256`,
//! `x-amz-region-set`).

use std::ops::Range;

use crate::canonical_headers::{is_canonical_ascii_value, push_canonical_value};
use crate::canonical_request::{validate_header_name, HeaderScratch};
use crate::{HeaderSelection, SessionTokenHeader, SignableRequest, SigningError, SigningSettings};

/// The headers signing sets itself, in the order of the bits of the output's `replaced`
/// set (the session token's header depends on the settings).
pub(super) fn replaced_names(token: SessionTokenHeader) -> [&'static str; 5] {
    [
        "authorization",
        "x-amz-date",
        token.header_name(),
        "x-amz-content-sha256",
        "x-amz-region-set",
    ]
}
pub(super) const R_AUTHORIZATION: u8 = 1;
pub(super) const R_DATE: u8 = 1 << 1;
pub(super) const R_TOKEN: u8 = 1 << 2;
pub(super) const R_CONTENT_SHA256: u8 = 1 << 3;
pub(super) const R_REGION_SET: u8 = 1 << 4;

/// Whether the request header `name` is one signing sets itself (a bit of `replaced`).
fn is_replaced(name: &str, replaced: u8, names: &[&str; 5]) -> bool {
    // Every replaced name starts with `a` or `x`: most headers are ruled out by their
    // first byte alone.
    matches!(name.as_bytes().first().map(|b| b | 0x20), Some(b'a' | b'x'))
        && names
            .iter()
            .enumerate()
            .any(|(i, r)| replaced & (1 << i) != 0 && name.eq_ignore_ascii_case(r))
}

/// Puts the request's signed headers into `hs`; returns whether it had a `host` header.
///
/// Headers in `replaced` are left out (signing sets them); headers the settings do not
/// sign are validated anyway (an HTTP stack would refuse a bad value later; say so now).
pub(super) fn collect_request_headers(
    request: &SignableRequest<'_>,
    settings: &SigningSettings,
    replaced: u8,
    hs: &mut HeaderScratch,
) -> Result<bool, SigningError> {
    let names = replaced_names(settings.session_token_header);
    hs.clear();
    let mut has_host = false;
    for &(name, value) in request.headers() {
        validate_header_name(name)?;
        if is_replaced(name, replaced, &names) {
            continue;
        }
        let signed = if name.eq_ignore_ascii_case("host") {
            if has_host {
                return Err(SigningError::InvalidHeaderValue("host".into()));
            }
            has_host = true;
            settings.headers.signs_added("host")
        } else {
            settings.headers.is_signed(name)
        };
        if !signed {
            let mark = hs.text.len();
            let ok = push_canonical_value(&mut hs.text, value);
            hs.text.truncate(mark);
            ok.map_err(|_| SigningError::InvalidHeaderValue(name.to_owned()))?;
            continue;
        }
        hs.push(name, value)?;
    }
    Ok(has_host)
}

/// Writes the host to sign, lowercased, into `buf` when the request has no `host` header
/// (from [`SignableRequest`]'s host or the absolute URL's authority), signs it (unless
/// [`HeaderSelection::Exactly`] leaves `host` out), and returns where it lies (the output
/// adds it as a header).
pub(super) fn derive_host(
    buf: &mut String,
    request: &SignableRequest<'_>,
    authority: Option<&str>,
    selection: &HeaderSelection,
    hs: &mut HeaderScratch,
) -> Result<Range<usize>, SigningError> {
    let authority = request
        .host
        .or(authority)
        .ok_or(SigningError::MissingHost)?;
    let start = buf.len();
    buf.push_str(authority);
    buf[start..].make_ascii_lowercase();
    if selection.signs_added("host") {
        let host = &buf[start..];
        if is_canonical_ascii_value(host.as_bytes()) {
            // Printable ASCII with no spaces (the common case): canonical as it is.
            hs.push_canonical("host", host);
        } else {
            hs.push("host", host.as_bytes())?;
        }
    }
    Ok(start..buf.len())
}

/// The headers header-mode signing adds and signs besides `host`.
pub(super) struct AddedHeaders<'a> {
    pub(super) date_time: &'a str,
    pub(super) region_set: Option<&'a str>,
    /// The session token when it is signed.
    pub(super) token: Option<(&'static str, &'a str)>,
    /// The payload line when `x-amz-content-sha256` is added.
    pub(super) content_sha256: Option<&'a str>,
}

impl AddedHeaders<'_> {
    /// Signs them (into `hs`): all of them, except those [`HeaderSelection::Exactly`]
    /// leaves out (they are still added to the request).
    pub(super) fn sign(
        &self,
        selection: &HeaderSelection,
        hs: &mut HeaderScratch,
    ) -> Result<(), SigningError> {
        let mut push = |name: &str, value: &str| {
            if selection.signs_added(name) {
                hs.push(name, value.as_bytes())
            } else {
                Ok(())
            }
        };
        if let Some(set) = self.region_set {
            push("x-amz-region-set", set)?;
        }
        if let Some((name, token)) = self.token {
            push(name, token)?;
        }
        // The time and the payload line are made (or checked, for a precomputed hash) by
        // signing: canonical as they are.
        for (name, value) in [
            ("x-amz-date", Some(self.date_time)),
            ("x-amz-content-sha256", self.content_sha256),
        ] {
            if let Some(value) = value.filter(|_| selection.signs_added(name)) {
                hs.push_canonical(name, value);
            }
        }
        Ok(())
    }
}
