//! The query-parameter form of a signature (a presigned URL): the `X-Amz-*` parameters
//! that join the canonical query, and the original query kept for the URL.

use std::ops::Range;
use std::time::{Duration, SystemTime};

use smallvec::SmallVec;

use super::Signer;
use crate::canonical_request::{query_pieces, split_pair, HeaderScratch};
use crate::encoding::{decode_into, encode_str_into};
use crate::settings::{is_s3, is_signing_query_param};
use crate::string_to_sign::CredentialScope;
use crate::{Credentials, Payload, SignableRequest, SignatureLocation, SigningError};

/// Longest lifetime of a presigned URL: 7 days.
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

/// Lifetime of a URL from [`Signer::presign_url`] when the settings do not presign: 15 minutes.
pub const DEFAULT_PRESIGN_EXPIRES_SECS: u64 = 900;

/// The expiry in seconds when `location` presigns (`None` in header mode); refuses 0 and
/// more than [`MAX_PRESIGN_EXPIRES_SECS`].
pub(super) fn presign_expiry(location: SignatureLocation) -> Result<Option<u64>, SigningError> {
    match location {
        SignatureLocation::Headers => Ok(None),
        SignatureLocation::Query { expires } => {
            let secs = expires.as_secs();
            if secs == 0 || secs > MAX_PRESIGN_EXPIRES_SECS {
                return Err(SigningError::InvalidExpiry(secs));
            }
            Ok(Some(secs))
        }
    }
}

/// The encoded values of a presigned URL's `X-Amz-*` parameters, as ranges of the
/// thread's scratch text (empty in header mode).
#[derive(Default)]
pub(super) struct PresignParams {
    credential: Range<usize>,
    token: Range<usize>,
    signed_headers: Range<usize>,
    region_set: Range<usize>,
    expires: Range<usize>,
}

/// What the `X-Amz-*` parameters say.
pub(super) struct PresignInput<'a> {
    pub(super) expires_secs: u64,
    pub(super) access_key_id: &'a str,
    pub(super) scope: &'a CredentialScope<'a>,
    pub(super) session_token: Option<&'a str>,
    pub(super) region_set: Option<&'a str>,
}

impl PresignParams {
    /// Encodes the parameters into `text` (cleared first). The signed-headers list comes
    /// from the sorted headers `hs`.
    pub(super) fn encode(input: &PresignInput<'_>, hs: &HeaderScratch, text: &mut String) -> Self {
        text.clear();
        let mut param = |write: &mut dyn FnMut(&mut String)| {
            let start = text.len();
            write(text);
            start..text.len()
        };
        let credential = param(&mut |p| {
            encode_str_into(p, input.access_key_id, false);
            p.push_str("%2F");
            input.scope.write_encoded(p);
        });
        let token = input
            .session_token
            .map_or(0..0, |t| param(&mut |p| encode_str_into(p, t, false)));
        let signed_headers = param(&mut |p| hs.write_signed_list_encoded(p));
        let region_set = input
            .region_set
            .map_or(0..0, |set| param(&mut |p| encode_str_into(p, set, false)));
        let expires = param(&mut |p| push_decimal(p, input.expires_secs));
        PresignParams {
            credential,
            token,
            signed_headers,
            region_set,
            expires,
        }
    }

    /// The parameters for the canonical query (any order: it is sorted).
    pub(super) fn query_pairs<'t>(
        &self,
        text: &'t str,
        algorithm: &'static str,
        date_time: &'t str,
        token_name: Option<&'static str>,
        region_set: bool,
    ) -> SmallVec<[(&'t str, &'t str); 8]> {
        let mut extra: SmallVec<[(&str, &str); 8]> = SmallVec::new();
        extra.push(("X-Amz-Algorithm", algorithm));
        extra.push(("X-Amz-Credential", &text[self.credential.clone()]));
        extra.push(("X-Amz-Date", date_time));
        extra.push(("X-Amz-Expires", &text[self.expires.clone()]));
        if region_set {
            extra.push(("X-Amz-Region-Set", &text[self.region_set.clone()]));
        }
        if let Some(name) = token_name {
            extra.push((name, &text[self.token.clone()]));
        }
        extra.push(("X-Amz-SignedHeaders", &text[self.signed_headers.clone()]));
        extra
    }

    pub(super) fn credential<'t>(&self, text: &'t str) -> &'t str {
        &text[self.credential.clone()]
    }
    pub(super) fn token<'t>(&self, text: &'t str) -> &'t str {
        &text[self.token.clone()]
    }
    pub(super) fn signed_headers<'t>(&self, text: &'t str) -> &'t str {
        &text[self.signed_headers.clone()]
    }
    pub(super) fn region_set<'t>(&self, text: &'t str) -> &'t str {
        &text[self.region_set.clone()]
    }
    pub(super) fn expires<'t>(&self, text: &'t str) -> &'t str {
        &text[self.expires.clone()]
    }
}

/// Appends `n` in decimal (without the formatting machinery of `write!`).
fn push_decimal(p: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        p.push(char::from(d));
    }
}

/// Appends the original query for the signed request's URL: in query mode without stale
/// signing parameters ([`sets_query_param`] of the decoded key), else as it was.
///
/// `empty_piece` tells whether `query` has an empty `&`-separated piece (the canonical
/// query's scan found out already).
pub(super) fn write_kept_query(
    buf: &mut String,
    query: &str,
    query_mode: bool,
    region_set: bool,
    empty_piece: bool,
    decoded: &mut Vec<u8>,
) -> Range<usize> {
    let start = buf.len();
    if !query_mode && !empty_piece {
        // Header mode keeps every piece: one copy, no splitting.
        buf.push_str(query);
        return start..buf.len();
    }
    let mut first = true;
    for piece in query_pieces(query) {
        if query_mode {
            let k = split_pair(piece).0.as_bytes();
            // Only `%XX` escapes change a key when decoded (a `+` stays a plus here).
            let key = if k.contains(&b'%') {
                decoded.clear();
                decode_into(decoded, k);
                &decoded[..]
            } else {
                k
            };
            if sets_query_param(key, region_set) {
                continue;
            }
        }
        if !first {
            buf.push('&');
        }
        buf.push_str(piece);
        first = false;
    }
    start..buf.len()
}

/// Whether SigV4 (`region_set` false) or SigV4a signing sets the query parameter with
/// this decoded name itself (so a stale one is not signed or kept).
pub(super) fn sets_query_param(decoded_key: &[u8], region_set: bool) -> bool {
    if decoded_key == b"X-Amz-Region-Set" {
        return region_set;
    }
    is_signing_query_param(decoded_key)
}

impl Signer {
    /// The whole presigned URL for `method` and `url`: `url` exactly as it goes on the wire
    /// (absolute, already percent-encoded, see [`crate::uri_encode_path`]), its query kept,
    /// followed by the signing parameters.
    ///
    /// The URL is valid for the settings' expiry when they presign
    /// ([`SigningSettings::presigned`](crate::SigningSettings::presigned)), else for [`DEFAULT_PRESIGN_EXPIRES_SECS`] (15 minutes).
    /// The payload is `UNSIGNED-PAYLOAD` for S3 (the body is not known when presigning)
    /// and the hash of an empty body for every other service; all other settings (session
    /// token mode, signed headers, URI rules) are this signer's.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sigv4::{Credentials, Signer, SigningSettings};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let signer = Signer::new("us-east-1", "s3")?
    ///     .with_settings(SigningSettings::s3().presigned(Duration::from_secs(3600)));
    /// let url = signer.presign_url(
    ///     "GET",
    ///     "https://examplebucket.s3.amazonaws.com/photos/cat.jpg?versionId=3",
    ///     &creds,
    ///     SystemTime::now(),
    /// )?;
    /// assert!(url.starts_with("https://examplebucket.s3.amazonaws.com/photos/cat.jpg?versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    /// assert_eq!(url.matches('?').count(), 1);
    /// assert!(url.contains("&X-Amz-Expires=3600&"));
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn presign_url(
        &self,
        method: &str,
        url: &str,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<String, SigningError> {
        let payload = if is_s3(self.service()) {
            Payload::Unsigned
        } else {
            Payload::Bytes(b"")
        };
        let request = SignableRequest::new(method, url, [], payload);
        let out = if matches!(self.settings().location, SignatureLocation::Query { .. }) {
            self.sign(&request, credentials, time)?
        } else {
            // Same region, service and rules, only the location differs; the day's key
            // is shared with this signer (it does not depend on the settings).
            self.with_location(SignatureLocation::Query {
                expires: Duration::from_secs(DEFAULT_PRESIGN_EXPIRES_SECS),
            })
            .sign(&request, credentials, time)?
        };
        // The fragment never goes on the wire; the query is rebuilt by `query_string`.
        let base = url.split(['?', '#']).next().unwrap_or(url);
        Ok(format!("{base}?{}", out.query_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_as_format_writes_them() {
        for n in [0, 1, 9, 10, 900, 604_800, u64::MAX] {
            let mut p = String::from("x");
            push_decimal(&mut p, n);
            assert_eq!(p, format!("x{n}"));
        }
    }
}
