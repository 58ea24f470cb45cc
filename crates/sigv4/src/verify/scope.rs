//! Step 1 of a verification, everything checked before the credentials are looked up: the
//! request's form, the credential scope, the signed headers that are required, the date
//! and the time window.

use std::time::{SystemTime, UNIX_EPOCH};

use super::error::{AuthMode, ScopePart, VerifyError};
use super::mode::{check_time_window, find_signature, header_token, request_time};
use super::parse::Parsed;
use super::request::VerifiableRequest;
use super::{malformed, truncate, Verifier};
use crate::canonical_request::is_tchar;
use crate::request::split_target;
use crate::settings::SessionTokenMode;
use crate::signing_key::validate_scope_part;
use crate::AmzDate;

impl Verifier {
    /// Finds and parses the signature and checks everything that needs no credentials.
    pub(super) fn parse(
        &self,
        req: &VerifiableRequest<'_>,
        now: SystemTime,
    ) -> Result<Parsed, VerifyError> {
        let now_secs = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| VerifyError::InvalidRequest("the server time is before 1970".into()))?
            .as_secs();
        let target =
            split_target(&req.target).map_err(|e| VerifyError::InvalidRequest(e.to_string()))?;
        check_request_syntax(req)?;

        let plus_is_space = self.query_plus == crate::QueryPlus::Space;
        let mut p = find_signature(req, target.query, plus_is_space)?;
        let mode = p.mode;
        if mode == AuthMode::Header && p.v4a.is_some() {
            header_region_set(req, &mut p)?;
        }
        self.check_scope(&p)?;
        if !p.signed_headers.iter().any(|h| h == "host") {
            return Err(VerifyError::RequiredHeaderNotSigned { mode, name: "host" });
        }

        let time = request_time(req, &mut p)?;
        check_date_scope(&p, time)?;
        check_time_window(&p, time, now_secs, self.max_skew)?;
        self.check_amz_headers_signed(req, &p)?;

        if mode == AuthMode::Header {
            p.token = header_token(req)?;
        }
        p.time = Some(time);
        Ok(p)
    }

    /// The credential scope names this service, an accepted region and `aws4_request`.
    fn check_scope(&self, p: &Parsed) -> Result<(), VerifyError> {
        let mode = p.mode;
        if p.terminator != "aws4_request" {
            return Err(VerifyError::WrongScope {
                mode,
                part: ScopePart::Terminator,
                found: truncate(&p.terminator),
                expected: "aws4_request".into(),
            });
        }
        if p.service != self.service {
            return Err(VerifyError::WrongScope {
                mode,
                part: ScopePart::Service,
                found: truncate(&p.service),
                expected: self.service.clone(),
            });
        }
        if let Some(v4a) = &p.v4a {
            return self.check_region_set(mode, &v4a.region_set);
        }
        if let Some(regions) = &self.regions {
            if !regions.contains(&p.region) {
                return Err(VerifyError::WrongScope {
                    mode,
                    part: ScopePart::Region,
                    found: truncate(&p.region),
                    expected: regions.join(" or "),
                });
            }
        } else if validate_scope_part(&p.region).is_err() {
            return Err(malformed(
                mode,
                "the credential scope's region is empty or invalid",
            ));
        }
        Ok(())
    }

    /// A SigV4a region set (`*`, `us-east-1,eu-*`...) is valid and covers a region this
    /// verifier accepts (any, with [`any_region`](Self::any_region)).
    fn check_region_set(&self, mode: AuthMode, region_set: &str) -> Result<(), VerifyError> {
        let entries: Vec<&str> = region_set.split(',').map(str::trim).collect();
        let valid = entries.iter().all(|e| {
            let body = e.strip_suffix('*').unwrap_or(e);
            !e.is_empty()
                && body
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if !valid {
            return Err(malformed(
                mode,
                "the SigV4a region set must be `*` or comma-separated regions (`us-east-1,eu-*`)",
            ));
        }
        let Some(regions) = &self.regions else {
            return Ok(());
        };
        let covers = |region: &str| {
            entries.iter().any(|e| match e.strip_suffix('*') {
                Some(prefix) => region.starts_with(prefix),
                None => *e == region,
            })
        };
        if regions.iter().any(|r| covers(r)) {
            return Ok(());
        }
        Err(VerifyError::WrongScope {
            mode,
            part: ScopePart::Region,
            found: truncate(region_set),
            expected: format!("a region set covering {}", regions.join(" or ")),
        })
    }

    /// Every `x-amz-*` header must be signed (but the session token of a presigned URL, or
    /// one appended after signing).
    fn check_amz_headers_signed(
        &self,
        req: &VerifiableRequest<'_>,
        p: &Parsed,
    ) -> Result<(), VerifyError> {
        for &(name, _) in req.headers.iter() {
            let is_amz = name
                .get(..6)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-amz-"));
            if !is_amz {
                continue;
            }
            // Only a header-mode token appended after signing may go unsigned. A presigned
            // URL carries its token in the query: an `x-amz-security-token` header next to
            // it is unsigned and would reach the application unauthenticated.
            if name.eq_ignore_ascii_case("x-amz-security-token")
                && p.mode == AuthMode::Header
                && self.session_token_mode == SessionTokenMode::AppendAfterSigning
            {
                continue;
            }
            if !p
                .signed_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
            {
                return Err(VerifyError::UnsignedAmzHeader(truncate(name)));
            }
        }
        Ok(())
    }
}

/// The method and header names are HTTP tokens.
fn check_request_syntax(req: &VerifiableRequest<'_>) -> Result<(), VerifyError> {
    if req.method.is_empty() || !req.method.bytes().all(is_tchar) {
        return Err(VerifyError::InvalidRequest(format!(
            "invalid HTTP method {:?}",
            truncate(req.method)
        )));
    }
    for &(name, _) in req.headers.iter() {
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(VerifyError::InvalidRequest(format!(
                "invalid header name {:?}",
                truncate(name)
            )));
        }
    }
    Ok(())
}

/// The region set of a SigV4a request signed in its headers: the signed
/// `x-amz-region-set` header.
fn header_region_set(req: &VerifiableRequest<'_>, p: &mut Parsed) -> Result<(), VerifyError> {
    let mode = AuthMode::Header;
    let value = req
        .single_header("x-amz-region-set")
        .map_err(|()| malformed(mode, "more than one x-amz-region-set header"))?
        .ok_or_else(|| malformed(mode, "a SigV4a request needs an x-amz-region-set header"))?;
    if !p.signed_headers.iter().any(|h| h == "x-amz-region-set") {
        return Err(VerifyError::RequiredHeaderNotSigned {
            mode,
            name: "x-amz-region-set",
        });
    }
    let text = std::str::from_utf8(value)
        .map_err(|_| malformed(mode, "x-amz-region-set is not text"))?
        .trim();
    if let Some(v4a) = p.v4a.as_mut() {
        v4a.region_set = text.to_owned();
    }
    Ok(())
}

/// The scope's date is the day of the request's time.
fn check_date_scope(p: &Parsed, time: AmzDate) -> Result<(), VerifyError> {
    if p.date != time.date() {
        return Err(VerifyError::WrongScope {
            mode: p.mode,
            part: ScopePart::Date,
            found: truncate(&p.date),
            expected: format!("{} (the day of the request's date)", time.date()),
        });
    }
    Ok(())
}
