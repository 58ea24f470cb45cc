//! `sigv4 presign`: print a presigned URL.

use std::time::{Duration, SystemTime};

use clap::Args;
use sigv4::{AmzDate, Payload, SignableRequest, Signer, SigningSettings};

use crate::net::{self, WireUrl};
use crate::CliError;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  sigv4 presign https://my-bucket.s3.eu-west-1.amazonaws.com/report.csv --expires 15m
  sigv4 presign -X PUT https://my-bucket.s3.eu-west-1.amazonaws.com/upload.bin --expires 1h

Anyone holding the URL can make that request until it expires. With temporary credentials
the URL stops working when the session token expires, whatever --expires says.")]
pub struct PresignArgs {
    /// The URL exactly as it goes on the wire (already percent-encoded, like curl).
    url: String,
    /// How long the URL stays valid: seconds (900) or with a unit (15m, 12h, 7d); at most 7 days.
    #[arg(long, short = 'e', value_name = "DUR", default_value = "1h")]
    expires: String,
    /// The HTTP method the URL is for.
    #[arg(
        short = 'X',
        long = "request",
        value_name = "METHOD",
        default_value = "GET"
    )]
    method: String,
    /// The profile to take credentials from (default: AWS_PROFILE, then "default").
    #[arg(long)]
    profile: Option<String>,
    /// Region to sign for (default: the region in an AWS hostname, then AWS_REGION,
    /// AWS_DEFAULT_REGION, then the profile's `region` in ~/.aws/config).
    #[arg(long)]
    region: Option<String>,
    /// Signing time in UTC, 2015-08-30T12:36:00Z or 20150830T123600Z (default: now); the URL
    /// is valid from then for --expires.
    #[arg(long, value_name = "TIME")]
    time: Option<String>,
    /// Service to sign for, e.g. s3 (default: inferred from an AWS hostname).
    #[arg(long)]
    service: Option<String>,
}

/// Parses `--expires`: 1 second to 7 days.
pub fn parse_expires(s: &str) -> Result<Duration, CliError> {
    let d = net::parse_duration(s).map_err(|e| CliError::usage(format!("--expires {e}")))?;
    if d.subsec_nanos() != 0 {
        return Err(CliError::usage(format!(
            "--expires {s:?} must be a whole number of seconds"
        )));
    }
    if d.as_secs() == 0 {
        return Err(CliError::usage("--expires must be at least 1 second"));
    }
    if d.as_secs() > sigv4::MAX_PRESIGN_EXPIRES_SECS {
        return Err(CliError::usage(format!(
            "--expires {s} is longer than 7 days (604800 s), the longest a presigned URL can live: use 7d or less"
        )));
    }
    Ok(d)
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 86400 && s % 86400 == 0 => format!("{} d", s / 86400),
        s if s >= 3600 => format!("{:.1} h", s as f64 / 3600.0),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// `sigv4 presign`.
pub fn run(args: PresignArgs) -> Result<(), CliError> {
    let url = WireUrl::parse(&args.url)?;
    let expires = parse_expires(&args.expires)?;
    let (region, service) = net::resolve_target(
        &url.host,
        args.region.as_deref(),
        args.service,
        args.profile.as_deref(),
    )?;
    let region = region.into_region();
    let now = match &args.time {
        Some(t) => net::parse_time(t).map_err(|e| CliError::usage(format!("--time {e}")))?,
        None => SystemTime::now(),
    };
    let method = args.method.to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(CliError::usage(format!(
            "{:?} is not an HTTP method",
            args.method
        )));
    }
    let credentials = crate::credentials::resolve(args.profile.as_deref())?.into_credentials();
    // Directory buckets (`--x-s3`): signed with a CreateSession session instead.
    let session =
        crate::express::session_for(&url.to_url_string(), &region, &service, &credentials, false)?;
    let express = session.is_some();
    let credentials = session.unwrap_or(credentials);
    if let Some(expiry) = credentials.expiry() {
        if expiry < now + expires {
            let left = expiry
                .duration_since(now)
                .map_or_else(|_| "already".to_owned(), |d| format!("in {}", human(d)));
            let at = AmzDate::from_system_time(expiry)
                .map_or_else(|_| "?".to_owned(), |d| d.to_rfc3339());
            eprintln!(
                "sigv4: warning: the session token expires at {at} ({left}), before the URL does (in {}): the URL stops working then",
                human(expires)
            );
        }
    }
    let settings = SigningSettings::for_service(&service).presigned(expires);
    let s3 = settings.content_sha256_header;
    let signer = Signer::new(&region, &service)
        .map_err(|e| CliError::usage(e.to_string()))?
        .with_settings(settings);
    let signer = match express {
        true => crate::express::session_signer(&region, Some(expires))?,
        false => signer,
    };
    let target = url.to_url_string();
    let payload = if s3 {
        Payload::Unsigned
    } else {
        Payload::Bytes(b"")
    };
    let request = SignableRequest::new(&method, &target, std::iter::empty(), payload);
    let out = signer
        .sign(&request, &credentials, now)
        .map_err(|e| CliError::failure(format!("cannot sign: {e}")))?;
    let mut signed = WireUrl { query: None, ..url };
    let q = out.query_string();
    if !q.is_empty() {
        signed.query = Some(q);
    }
    crate::outln!("{}", signed.to_url_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_forms() {
        assert_eq!(parse_expires("900").unwrap().as_secs(), 900);
        assert_eq!(parse_expires("15m").unwrap().as_secs(), 900);
        assert_eq!(parse_expires("12h").unwrap().as_secs(), 43200);
        assert_eq!(parse_expires("7d").unwrap().as_secs(), 604800);
        assert_eq!(parse_expires("604800s").unwrap().as_secs(), 604800);
        for bad in ["8d", "604801", "0", "-5", "abc", "1.5", "15x", ""] {
            let e = parse_expires(bad).unwrap_err();
            assert_eq!(e.code, 2, "{bad}");
        }
    }
}
