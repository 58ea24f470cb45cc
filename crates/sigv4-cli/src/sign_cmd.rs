//! `sigv4 sign`: sign one request and show the result and every step.
//!
//! The fine print of this command (how the URL, headers, payload and presigning are
//! treated) is a contract; see the README's "sigv4 sign" section.

use std::time::SystemTime;

use clap::{Args, ValueEnum};
use sigv4::canonical_request::canonical_header_value;
use sigv4::{Payload, SignableRequest, Signer, SigningOutput, SigningSettings};

use crate::curl_args::{self, BodyArgs, BuiltBody};
use crate::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable: request, headers, canonical request, string to sign, signature.
    Text,
    /// One JSON object.
    Json,
    /// A ready-to-run curl command.
    Curl,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Region to sign for (default: the region in an AWS hostname, then AWS_REGION,
    /// AWS_DEFAULT_REGION, then the profile's `region` in ~/.aws/config).
    #[arg(long)]
    region: Option<String>,
    /// Service to sign for, e.g. s3, execute-api, es, sts (default: inferred from an AWS
    /// hostname).
    #[arg(long)]
    service: Option<String>,
    /// Signing time in UTC, 2015-08-30T12:36:00Z or 20150830T123600Z (default: now).
    #[arg(long, value_name = "TIME")]
    time: Option<String>,
    /// HTTP method (default: GET, or POST with a body).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// A header to send and sign, 'Name: value'. Repeatable; order is kept. 'Name:' removes
    /// a header the body flags add, 'Name;' sends an empty value.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// The body flags, as in curl and `sigv4 request`.
    #[command(flatten)]
    pub body: BodyArgs,
    /// Sign UNSIGNED-PAYLOAD instead of the body's hash.
    #[arg(long)]
    unsigned_payload: bool,
    /// Produce a presigned URL (signature in the query string) instead of headers.
    #[arg(long)]
    presign: bool,
    /// Lifetime of a presigned URL: seconds (900) or with a unit (15m, 2h, 7d); at most 7 days.
    #[arg(long, value_name = "DUR", default_value = "1h", requires = "presign")]
    expires: String,
    /// curl's SigV4 option, "aws:amz[:REGION[:SERVICE]]": sets the region and service
    /// (the same as --region and --service), as in `sigv4 request`.
    #[arg(long, value_name = "PROVIDER")]
    aws_sigv4: Option<String>,
    /// The profile to take credentials from (default: AWS_PROFILE, then "default").
    #[arg(long)]
    profile: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The URL exactly as it goes on the wire (already percent-encoded, like curl).
    url: String,
}

/// The URL split as the contract says: nothing normalized.
struct WireUrl<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
}

fn parse_url(url: &str) -> Result<WireUrl<'_>, CliError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        CliError::usage(format!("URL {url:?} must start with http:// or https://"))
    })?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(CliError::usage(format!(
            "URL scheme {scheme:?} is not supported: use http:// or https://"
        )));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err(CliError::usage(format!("URL {url:?} has no host")));
    }
    let rest = &rest[end..];
    let rest = rest.split_once('#').map_or(rest, |(a, _)| a);
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    Ok(WireUrl {
        scheme,
        authority,
        path,
    })
}

pub fn run(args: SignArgs) -> Result<(), CliError> {
    let url = parse_url(&args.url)?;
    let host = url
        .authority
        .rsplit_once('@')
        .map_or(url.authority, |(_, h)| h);
    let (sigv4_region, sigv4_service) = match &args.aws_sigv4 {
        Some(spec) => curl_args::parse_aws_sigv4(spec)?,
        None => (None, None),
    };
    let region_arg = curl_args::merge_flag("region", args.region.clone(), sigv4_region)?;
    let service_arg = curl_args::merge_flag("service", args.service.clone(), sigv4_service)?;
    let (region, service) = crate::net::resolve_target(
        host,
        region_arg.as_deref(),
        service_arg,
        args.profile.as_deref(),
    )?;
    let region = region.into_region();
    let time = match &args.time {
        Some(t) => crate::net::parse_time(t).map_err(|e| CliError::usage(format!("--time {e}")))?,
        None => SystemTime::now(),
    };
    let expires = crate::presign_cmd::parse_expires(&args.expires)?;
    let raw_query = args
        .url
        .split_once('#')
        .map_or(args.url.as_str(), |(u, _)| u)
        .split_once('?')
        .map(|(_, q)| q);
    let built = curl_args::build(&args.body, &args.headers, raw_query)?;
    // -G rewrites the query; otherwise the URL is signed exactly as typed.
    let target = match &built.query {
        Some(q) => format!("{}://{}{}?{q}", url.scheme, url.authority, url.path),
        None => args.url.clone(),
    };
    let headers = built.headers.clone();
    let (body, curl_body) = match &built.body {
        BuiltBody::None => (Vec::new(), CurlBody::None),
        BuiltBody::Bytes(b) => (b.clone(), CurlBody::Bytes),
        // `sign` prints the signature of the bytes, so it holds them.
        BuiltBody::Stdin => (curl_args::read_source("-", "")?, CurlBody::Bytes),
        BuiltBody::File(path) => (
            std::fs::read(path).map_err(|e| {
                CliError::usage(format!("cannot read the body from {}: {e}", path.display()))
            })?,
            CurlBody::File(path.display().to_string()),
        ),
    };
    let method = match &args.method {
        Some(m) => m.clone(),
        None => built.default_method.to_owned(),
    };
    let credentials = crate::credentials::resolve(args.profile.as_deref())?.into_credentials();

    let signer = Signer::new(&region, &service).map_err(|e| CliError::usage(e.to_string()))?;
    let mut settings = SigningSettings::for_service(&service);
    let s3 = settings.content_sha256_header;
    if args.presign {
        settings = settings.presigned(expires);
    }
    let payload = if args.unsigned_payload || (args.presign && s3) {
        Payload::Unsigned
    } else {
        Payload::Bytes(&body)
    };
    let signer = signer.with_settings(settings);
    let request = SignableRequest::new(
        &method,
        &target,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        payload,
    );
    let out = signer
        .sign(&request, &credentials, time)
        .map_err(|e| CliError::failure(e.to_string()))?;

    // The core says which headers it set (x-amz-content-sha256 too, whenever the payload
    // line is not the body's hash): the user's copies of those are not sent.
    let sent = headers_to_send(&headers, &out)?;
    let query = out.query_string();
    let mut full_url = format!("{}://{}{}", url.scheme, url.authority, url.path);
    if !query.is_empty() {
        full_url.push('?');
        full_url.push_str(&query);
    }

    match args.format {
        Format::Json => print_json(&method, &full_url, &sent, &out),
        Format::Text => print_text(&method, &full_url, &sent, &out),
        Format::Curl => print_curl(&method, &full_url, &sent, &curl_body, &body),
    }
    Ok(())
}

/// Every header to send: the user's (minus those signing replaced, as the signing output
/// says; repeated names joined with `,`, values exactly as signed), the host, and what
/// signing added.
fn headers_to_send(
    user: &[(String, String)],
    out: &SigningOutput,
) -> Result<Vec<(String, String)>, CliError> {
    let mut sent: Vec<(String, String)> = Vec::new();
    for (name, value) in user {
        if out.replaces_header(name) {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let mut canon = String::new();
        canonical_header_value(&mut canon, value.as_bytes())
            .map_err(|_| CliError::failure(format!("invalid value for header {name:?}")))?;
        match sent.iter_mut().find(|(n, _)| *n == lower) {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&canon);
            }
            None => sent.push((lower, canon)),
        }
    }
    for (name, value) in out.headers() {
        let lower = name.to_ascii_lowercase();
        if lower == "host" {
            sent.insert(0, (lower, value.to_owned()));
        } else {
            sent.push((lower, value.to_owned()));
        }
    }
    Ok(sent)
}

fn print_json(method: &str, url: &str, headers: &[(String, String)], out: &SigningOutput) {
    let v = serde_json::json!({
        "method": method,
        "url": url,
        "headers": headers.iter().map(|(n, v)| [n, v]).collect::<Vec<_>>(),
        "canonical_request": out.canonical_request(),
        "string_to_sign": out.string_to_sign(),
        "signature": out.signature(),
    });
    crate::outln!("{v}");
}

fn print_text(method: &str, url: &str, headers: &[(String, String)], out: &SigningOutput) {
    crate::outln!("{method} {url}");
    for (n, v) in headers {
        if n == "x-amz-security-token" {
            crate::outln!("{n}: <session token, {} chars>", v.len());
        } else {
            crate::outln!("{n}: {v}");
        }
    }
    crate::outln!();
    crate::outln!("Canonical request:");
    for l in out.canonical_request().split('\n') {
        crate::outln!("  {l}");
    }
    crate::outln!();
    crate::outln!("String to sign:");
    for l in out.string_to_sign().split('\n') {
        crate::outln!("  {l}");
    }
    crate::outln!();
    crate::outln!("Signature: {}", out.signature());
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// How `--format curl` passes the body.
enum CurlBody {
    None,
    /// The bytes themselves, quoted (or on standard input when they are not text).
    Bytes,
    /// `--data-binary @FILE`, the file the body was read from.
    File(String),
}

/// A curl command that sends exactly the signed request: every signed header with the
/// value that was signed, the body byte for byte (`--data-binary`), and no Content-Type of
/// curl's own when the request has none.
fn print_curl(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    curl_body: &CurlBody,
    body: &[u8],
) {
    // curl -X HEAD would wait for a body that never comes; -I is curl's HEAD.
    let mut cmd = if method == "HEAD" {
        format!("curl -I {}", shell_quote(url))
    } else {
        format!("curl -X {} {}", shell_quote(method), shell_quote(url))
    };
    for (n, v) in headers {
        cmd.push_str(" -H ");
        if v.is_empty() {
            cmd.push_str(&shell_quote(&format!("{n};")));
        } else {
            cmd.push_str(&shell_quote(&format!("{n}: {v}")));
        }
    }
    let has_body = !matches!(curl_body, CurlBody::None);
    if has_body && !headers.iter().any(|(n, _)| n == "content-type") {
        // --data-binary would add a form Content-Type that was not signed.
        cmd.push_str(" -H 'Content-Type:'");
    }
    match curl_body {
        CurlBody::File(path) => {
            cmd.push_str(" --data-binary ");
            cmd.push_str(&shell_quote(&format!("@{path}")));
        }
        CurlBody::Bytes => match std::str::from_utf8(body) {
            Ok(text) if !text.contains('\0') => {
                // --data-raw: a leading '@' is just a character (never a file name).
                cmd.push_str(" --data-raw ");
                cmd.push_str(&shell_quote(text));
            }
            _ => cmd.push_str(" --data-binary @-  # feed the same bytes on standard input"),
        },
        CurlBody::None => {}
    }
    crate::outln!("{cmd}");
}
