//! Header vs query (presigned URL) mode: where the signature, the request's time and the
//! session token come from, and which time window applies.

use std::time::Duration;

use super::error::{AuthMode, VerifyError};
use super::parse::{parse_authorization, parse_http_date, Parsed, QueryAuth};
use super::request::VerifiableRequest;
use super::{malformed, truncate};
use crate::AmzDate;

/// Finds the signature: an `Authorization` header or the presigned query parameters,
/// never both, and parses it. `plus_is_space`: a raw `+` in a parameter value is a space,
/// as the canonical query reads it (the verifier's [`QueryPlus`](crate::QueryPlus)).
pub(super) fn find_signature(
    req: &VerifiableRequest<'_>,
    query: &str,
    plus_is_space: bool,
) -> Result<Parsed, VerifyError> {
    let auth_header = req.single_header("authorization").map_err(|_| {
        malformed(
            AuthMode::Header,
            "the request has more than one Authorization header",
        )
    })?;
    let query_auth = QueryAuth::collect(query, plus_is_space)?;
    match (auth_header, query_auth) {
        (Some(_), Some(_)) => Err(VerifyError::AmbiguousAuthentication),
        (None, None) => Err(VerifyError::MissingAuthentication),
        (Some(h), None) => parse_authorization(h),
        (None, Some(q)) => q.into_parsed(),
    }
}

/// The request's time: the `X-Amz-Date` parameter of a presigned URL, or the signed
/// `x-amz-date` (else `Date`) header.
pub(super) fn request_time(
    req: &VerifiableRequest<'_>,
    p: &mut Parsed,
) -> Result<AmzDate, VerifyError> {
    let mode = p.mode;
    match mode {
        AuthMode::Query => p.query_date.take().ok_or_else(|| VerifyError::InvalidDate {
            mode,
            reason: "X-Amz-Date is missing".into(),
        }),
        AuthMode::Header => header_time(req, p),
    }
}

fn header_time(req: &VerifiableRequest<'_>, p: &Parsed) -> Result<AmzDate, VerifyError> {
    let mode = AuthMode::Header;
    let amz = req
        .single_header("x-amz-date")
        .map_err(|_| VerifyError::InvalidDate {
            mode,
            reason: "the request has more than one x-amz-date header".into(),
        })?;
    let (value, name) = match amz {
        Some(v) => (v, "x-amz-date"),
        None => match req.single_header("date") {
            Ok(Some(v)) => (v, "date"),
            Ok(None) => {
                return Err(VerifyError::InvalidDate {
                    mode,
                    reason: "AWS authentication requires a valid Date or x-amz-date header".into(),
                })
            }
            Err(()) => {
                return Err(VerifyError::InvalidDate {
                    mode,
                    reason: "the request has more than one Date header".into(),
                })
            }
        },
    };
    if !p.signed_headers.iter().any(|h| h == name) {
        return Err(VerifyError::RequiredHeaderNotSigned {
            mode,
            name: if name == "date" { "date" } else { "x-amz-date" },
        });
    }
    let text = std::str::from_utf8(value).unwrap_or("").trim();
    let parsed = if name == "date" {
        parse_http_date(text)
    } else {
        AmzDate::parse(text)
    };
    parsed.ok_or_else(|| VerifyError::InvalidDate {
        mode,
        reason: format!("the {name} header {:?} is not a valid date", truncate(text)),
    })
}

/// Headers: the time within `max_skew` of `now`. Presigned URLs: dated at most `max_skew`
/// in the future, and not expired.
pub(super) fn check_time_window(
    p: &Parsed,
    time: AmzDate,
    now_secs: u64,
    max_skew: Duration,
) -> Result<(), VerifyError> {
    let t = time.unix_seconds();
    let skew = max_skew.as_secs();
    let server_time = || AmzDate::from_unix_seconds(now_secs.min(253_402_300_799)).unwrap_or(time);
    match p.mode {
        AuthMode::Header => {
            if t.abs_diff(now_secs) > skew {
                return Err(VerifyError::RequestTimeTooSkewed {
                    request_time: time,
                    server_time: server_time(),
                    max_skew_secs: skew,
                });
            }
        }
        AuthMode::Query => {
            if t > now_secs.saturating_add(skew) {
                return Err(VerifyError::NotYetValid { valid_from: time });
            }
            let end = t.saturating_add(p.expires);
            if now_secs > end {
                return Err(VerifyError::Expired {
                    expired_at: AmzDate::from_unix_seconds(end).unwrap_or(time),
                });
            }
        }
    }
    Ok(())
}

/// The session token of a header-mode request (presigned URLs carry theirs in the query,
/// read while parsing).
pub(super) fn header_token(req: &VerifiableRequest<'_>) -> Result<Option<String>, VerifyError> {
    Ok(req
        .single_header("x-amz-security-token")
        .map_err(|_| VerifyError::InvalidToken("more than one x-amz-security-token header"))?
        .map(|v| String::from_utf8_lossy(v).trim().to_owned()))
}
