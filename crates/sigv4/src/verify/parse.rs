//! Parsing the signature: the `Authorization` header, the presigned query parameters and
//! HTTP dates, strictly and without looking anything up.

use smallvec::SmallVec;

use super::error::{AuthMode, VerifyError};
use super::{malformed, truncate, MAX_AUTH_LEN};
use crate::canonical_request::is_tchar;
use crate::encoding::{decode_into, decode_query_into};
use crate::signing_key::validate_scope_part;
use crate::{AmzDate, ALGORITHM, MAX_PRESIGN_EXPIRES_SECS};

/// A parsed signature, and what step 1 learnt about the request.
pub(super) struct Parsed {
    pub(super) mode: AuthMode,
    pub(super) access_key_id: String,
    pub(super) date: String,
    pub(super) region: String,
    pub(super) service: String,
    pub(super) terminator: String,
    pub(super) signed_headers: Vec<String>,
    pub(super) signature: [u8; 64],
    pub(super) expires: u64,
    pub(super) query_date: Option<AmzDate>,
    pub(super) token: Option<String>,
    /// Set once the date has been parsed and checked.
    pub(super) time: Option<AmzDate>,
    /// A SigV4a (`AWS4-ECDSA-P256-SHA256`) signature: then `region` is empty and
    /// `signature` unused.
    pub(super) v4a: Option<V4aSignature>,
}

/// What a SigV4a signature adds: its region set (from `x-amz-region-set` or
/// `X-Amz-Region-Set`, read in step 1) and its DER signature, as sent (lowercase hex).
pub(super) struct V4aSignature {
    pub(super) region_set: String,
    pub(super) signature_hex: String,
}

/// The `AWS4-ECDSA-P256-SHA256` algorithm name, when SigV4a is built in.
fn is_v4a_algorithm(name: &str) -> bool {
    #[cfg(feature = "sigv4a")]
    if name == crate::sigv4a::ALGORITHM {
        return true;
    }
    let _ = name;
    false
}

/// The accepted algorithms, for error messages.
const ALGORITHMS: &str = if cfg!(feature = "sigv4a") {
    "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256 are"
} else {
    "AWS4-HMAC-SHA256 is"
};

pub(super) fn hex_nibble(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Parses `Credential`, `SignedHeaders` and `Signature` values shared by both modes, for
/// SigV4 or (`v4a`) SigV4a, whose scope has no region and whose signature is DER hex.
fn parse_parts(
    mode: AuthMode,
    v4a: bool,
    credential: &str,
    signed_headers: &str,
    signature: &str,
) -> Result<Parsed, VerifyError> {
    let mut parts: SmallVec<[&str; 5]> = credential.split('/').collect();
    if v4a && parts.len() == 4 {
        // <access key id>/<YYYYMMDD>/<service>/aws4_request: no region.
        parts.insert(2, "");
    } else if v4a || parts.len() != 5 {
        return Err(malformed(
            mode,
            if v4a {
                "the Credential must be <access key id>/<YYYYMMDD>/<service>/aws4_request"
            } else {
                "the Credential must be <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request"
            },
        ));
    }
    let access_key_id = parts[0];
    if access_key_id.is_empty()
        || access_key_id
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || b == b',')
    {
        return Err(malformed(
            mode,
            "the Credential's access key id is empty or invalid",
        ));
    }
    let date = parts[1];
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(mode, "the Credential's date must be YYYYMMDD"));
    }
    for (part, what) in [(parts[2], "region"), (parts[3], "service")] {
        if v4a && what == "region" {
            continue;
        }
        if validate_scope_part(part).is_err() || part.contains(',') {
            return Err(malformed(
                mode,
                &format!("the Credential's {what} is empty or invalid"),
            ));
        }
    }
    let mut list: Vec<String> = Vec::new();
    for name in signed_headers.split(';') {
        if name.is_empty() || !name.bytes().all(|b| is_tchar(b) && !b.is_ascii_uppercase()) {
            return Err(malformed(
                mode,
                "SignedHeaders must be a ';'-separated list of lowercase header names",
            ));
        }
        if let Some(prev) = list.last() {
            if name <= prev.as_str() {
                return Err(malformed(
                    mode,
                    "SignedHeaders must be sorted and have no repeated names",
                ));
            }
        }
        list.push(name.to_owned());
    }
    let sig = signature.as_bytes();
    let hex = sig.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let v4a = if v4a {
        // A DER-encoded ECDSA P-256 signature is at most 72 bytes.
        if !hex || !sig.len().is_multiple_of(2) || !(16..=144).contains(&sig.len()) {
            return Err(malformed(
                mode,
                "the Signature must be the lowercase hex of a DER-encoded ECDSA signature",
            ));
        }
        Some(V4aSignature {
            region_set: String::new(),
            signature_hex: signature.to_owned(),
        })
    } else {
        if sig.len() != 64 || !hex {
            return Err(malformed(
                mode,
                "the Signature must be 64 lowercase hex digits",
            ));
        }
        None
    };
    let mut signature = [0u8; 64];
    if v4a.is_none() {
        signature.copy_from_slice(sig);
    }
    Ok(Parsed {
        mode,
        access_key_id: access_key_id.to_owned(),
        date: date.to_owned(),
        region: parts[2].to_owned(),
        service: parts[3].to_owned(),
        terminator: parts[4].to_owned(),
        signed_headers: list,
        signature,
        expires: 0,
        query_date: None,
        token: None,
        time: None,
        v4a,
    })
}

/// Parses `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`.
pub(super) fn parse_authorization(value: &[u8]) -> Result<Parsed, VerifyError> {
    let mode = AuthMode::Header;
    if value.len() > MAX_AUTH_LEN {
        return Err(malformed(mode, "the header is too long"));
    }
    let text = std::str::from_utf8(value)
        .map_err(|_| malformed(mode, "the header is not valid UTF-8"))?
        .trim_matches(|c| c == ' ' || c == '\t');
    let (algorithm, rest) = text.split_once(' ').ok_or_else(|| {
        malformed(
            mode,
            "expected 'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'",
        )
    })?;
    let v4a = is_v4a_algorithm(algorithm);
    if algorithm != ALGORITHM && !v4a {
        return Err(malformed(
            mode,
            &format!(
                "unsupported algorithm {:?}: only {ALGORITHMS} accepted",
                truncate(algorithm)
            ),
        ));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let component = component.trim_matches(|c| c == ' ' || c == '\t');
        let (k, v) = component
            .split_once('=')
            .ok_or_else(|| malformed(mode, "each component must be Name=value"))?;
        let slot = match k {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => {
                return Err(malformed(
                    mode,
                    &format!("unknown component {:?}", truncate(k)),
                ))
            }
        };
        if slot.replace(v).is_some() {
            return Err(malformed(mode, &format!("{k} is given twice")));
        }
    }
    let (Some(c), Some(h), Some(s)) = (credential, signed, signature) else {
        return Err(malformed(
            mode,
            "Credential, SignedHeaders and Signature are all required",
        ));
    };
    parse_parts(mode, v4a, c, h, s)
}

/// The presigned parameters, decoded.
#[derive(Default)]
pub(super) struct QueryAuth {
    algorithm: Option<String>,
    credential: Option<String>,
    date: Option<String>,
    expires: Option<String>,
    signed_headers: Option<String>,
    signature: Option<String>,
    token: Option<String>,
    region_set: Option<String>,
}

impl QueryAuth {
    /// `Ok(None)` when the query carries no signing parameters. Values are decoded as the
    /// canonical query reads them: a raw `+` is a space when `plus_is_space` (the
    /// verifier's default), so the session token checked is the one the signature covers.
    pub(super) fn collect(
        query: &str,
        plus_is_space: bool,
    ) -> Result<Option<QueryAuth>, VerifyError> {
        let mut q = QueryAuth::default();
        let mut any = false;
        let mut key = Vec::new();
        let mut value = Vec::new();
        for piece in query.split('&') {
            if piece.is_empty() {
                continue;
            }
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            key.clear();
            decode_into(&mut key, k.as_bytes());
            let slot = match key.as_slice() {
                b"X-Amz-Algorithm" => &mut q.algorithm,
                b"X-Amz-Credential" => &mut q.credential,
                b"X-Amz-Date" => &mut q.date,
                b"X-Amz-Expires" => &mut q.expires,
                b"X-Amz-SignedHeaders" => &mut q.signed_headers,
                b"X-Amz-Signature" => &mut q.signature,
                b"X-Amz-Security-Token" => &mut q.token,
                b"X-Amz-Region-Set" => &mut q.region_set,
                _ => continue,
            };
            any = true;
            if v.len() > MAX_AUTH_LEN {
                return Err(malformed(AuthMode::Query, "a parameter value is too long"));
            }
            value.clear();
            decode_query_into(&mut value, v.as_bytes(), plus_is_space);
            let text = String::from_utf8(std::mem::take(&mut value))
                .map_err(|_| malformed(AuthMode::Query, "a parameter value is not valid UTF-8"))?;
            if slot.replace(text).is_some() {
                return Err(malformed(
                    AuthMode::Query,
                    &format!("{} is given twice", String::from_utf8_lossy(&key)),
                ));
            }
        }
        // X-Amz-Date or X-Amz-Security-Token alone do not make a presigned URL.
        let signing = q.algorithm.is_some()
            || q.credential.is_some()
            || q.signature.is_some()
            || q.signed_headers.is_some();
        Ok((any && signing).then_some(q))
    }

    pub(super) fn into_parsed(self) -> Result<Parsed, VerifyError> {
        let mode = AuthMode::Query;
        let missing = |name: &str| {
            malformed(
                mode,
                &format!("{name} is required (with X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature)"),
            )
        };
        let algorithm = self.algorithm.ok_or_else(|| missing("X-Amz-Algorithm"))?;
        let v4a = is_v4a_algorithm(&algorithm);
        if algorithm != ALGORITHM && !v4a {
            return Err(malformed(
                mode,
                &format!("X-Amz-Algorithm: only {ALGORITHMS} supported"),
            ));
        }
        let credential = self.credential.ok_or_else(|| missing("X-Amz-Credential"))?;
        let date = self.date.ok_or_else(|| missing("X-Amz-Date"))?;
        let expires = self.expires.ok_or_else(|| missing("X-Amz-Expires"))?;
        let signed = self
            .signed_headers
            .ok_or_else(|| missing("X-Amz-SignedHeaders"))?;
        let signature = self.signature.ok_or_else(|| missing("X-Amz-Signature"))?;
        let mut p = parse_parts(mode, v4a, &credential, &signed, &signature)?;
        if let Some(v) = p.v4a.as_mut() {
            v.region_set = self
                .region_set
                .ok_or_else(|| missing("X-Amz-Region-Set (SigV4a)"))?;
        }
        let time = AmzDate::parse(&date).ok_or_else(|| VerifyError::InvalidDate {
            mode,
            reason: format!("X-Amz-Date {:?} must be YYYYMMDDTHHMMSSZ", truncate(&date)),
        })?;
        let secs = (!expires.is_empty()
            && expires.len() <= 7
            && expires.bytes().all(|b| b.is_ascii_digit()))
        .then(|| expires.parse::<u64>().ok())
        .flatten()
        .filter(|s| (1..=MAX_PRESIGN_EXPIRES_SECS).contains(s))
        .ok_or_else(|| VerifyError::ExpiresOutOfRange(truncate(&expires)))?;
        p.expires = secs;
        p.query_date = Some(time);
        p.token = self.token;
        Ok(p)
    }
}

/// Parses an HTTP date in the IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(super) fn parse_http_date(s: &str) -> Option<AmzDate> {
    let b = s.as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    if !matches!(
        &b[..3],
        b"Mon" | b"Tue" | b"Wed" | b"Thu" | b"Fri" | b"Sat" | b"Sun"
    ) {
        return None;
    }
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| &b[8..11] == *m)? + 1;
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    let text = format!(
        "{}{:02}{}T{}{}{}Z",
        s.get(12..16)?,
        month,
        s.get(5..7)?,
        s.get(17..19)?,
        s.get(20..22)?,
        s.get(23..25)?
    );
    AmzDate::parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        let t = parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").unwrap();
        assert_eq!(t.date_time(), "20150830T123600Z");
        assert!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC").is_none());
        assert!(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT").is_none());
        assert!(parse_http_date("").is_none());
        assert!(parse_http_date("Sun, 3ሴ Aug 2015 12:36:00 GM").is_none());
    }

    #[test]
    fn authorization_parsing_is_strict() {
        let ok = "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";
        assert!(parse_authorization(ok.as_bytes()).is_ok());
        let no_space = ok.replace(", ", ",");
        assert!(parse_authorization(no_space.as_bytes()).is_ok());
        for bad in [
            ok.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"),
            ok.replace("host;x-amz-date", "x-amz-date;host"),
            ok.replace("host;x-amz-date", "host;host"),
            ok.replace("host;x-amz-date", "Host;x-amz-date"),
            ok.replace("host;x-amz-date", "host;;x-amz-date"),
            ok.replace("Signature=0", "Signature=A"),
            ok.replace("Signature=00", "Signature=0"),
            ok.replace("/aws4_request", ""),
            ok.replace("20150830", "2015083"),
            ok.replace("Credential=AK", "Credential="),
            format!("{ok}, Signature=00"),
            format!("{ok}, Foo=1"),
            ok.replace(", SignedHeaders=host;x-amz-date", ""),
        ] {
            assert!(
                matches!(
                    parse_authorization(bad.as_bytes()),
                    Err(VerifyError::AuthorizationHeaderMalformed(_))
                ),
                "{bad}"
            );
        }
    }
}
