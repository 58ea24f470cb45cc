//! `sigv4 verify`: check a signed request the way a server would, and explain a mismatch.
//!
//! The request is read as raw HTTP/1.1 text (request line, headers, blank line, body) from a
//! file or standard input, or given as a presigned URL. The secret comes from the
//! credential chain, as for signing: the operator verifies with the key they hold.
//!
//! The body is delimited as a server delimits it (exactly `Content-Length` bytes, or the
//! chunks of `Transfer-Encoding: chunked`, which wins over `Content-Length` as in RFC 9112
//! and hyper); leftover bytes, which a server would read as another request, are refused.
//! There is no option to take the raw bytes instead: a verdict a server would not give
//! would be no verdict (the recorded AWS SDK upload whose signed Content-Length is off is
//! checked with its body in chunked framing; see tests/cli_verify.rs).
//!
//! The body is checked as the signature covers it: against the signed SHA-256, or chunk by
//! chunk for aws-chunked uploads (chunk signatures, trailer signature and checksum,
//! decoded length); an `UNSIGNED-PAYLOAD` request is reported as such, its body not being
//! covered. Any failure exits non-zero.

use std::borrow::Cow;
use std::io::Read;
use std::time::SystemTime;

use clap::Args;
use sigv4::chunked::StreamingMode;
use sigv4::verify::edge::{frame_body, EdgePolicy};
use sigv4::verify::{
    VerifiableRequest, Verified, VerifiedPayload, Verifier, VerifyBody, VerifyError,
};
use sigv4::AmzDate;

use crate::CliError;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The raw HTTP request (request line, headers, blank line, body): @FILE, or @- for
    /// standard input.
    #[arg(long, value_name = "@FILE", conflicts_with = "url")]
    request: Option<String>,
    /// A presigned URL to check (a GET unless -X says otherwise).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The method of a presigned URL.
    #[arg(short = 'X', long = "method", default_value = "GET")]
    method: String,
    /// The region the server accepts (default: AWS_REGION, then the region in an AWS host).
    #[arg(long)]
    region: Option<String>,
    /// The service the server is (default: inferred from an AWS host).
    #[arg(long)]
    service: Option<String>,
    /// The server's clock, RFC 3339 (default: now). Use the request's own time to check a
    /// recorded request.
    #[arg(long, value_name = "TIME")]
    time: Option<String>,
    /// The profile holding the secret (default: AWS_PROFILE, then "default").
    #[arg(long)]
    profile: Option<String>,
    /// On SignatureDoesNotMatch, print the canonical request and string to sign the server
    /// computed; with --client-canonical, print a line diff against the client's.
    #[arg(long)]
    explain: bool,
    /// The client's canonical request (for example from `sigv4 sign --format json`): a
    /// file, for --explain to diff against.
    #[arg(long, value_name = "FILE", requires = "explain")]
    client_canonical: Option<String>,
}

struct RawRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parses raw HTTP/1.1: `METHOD TARGET HTTP/1.1`, header lines (obsolete folding kept as a
/// line break inside the value), a blank line, then the body. CRLF or LF line ends.
fn parse_raw(bytes: &[u8]) -> Result<RawRequest, CliError> {
    let (head, body) = match find(bytes, b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| find(bytes, b"\n\n").map(|i| (i, 2)))
    {
        Some((i, n)) => (&bytes[..i], bytes[i + n..].to_vec()),
        None => (bytes, Vec::new()),
    };
    let head =
        std::str::from_utf8(head).map_err(|_| CliError::usage("the request head is not UTF-8"))?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or_default();
    let (method, rest) = first.split_once(' ').ok_or_else(|| {
        CliError::usage(format!(
            "the request line {first:?} must look like 'GET /path HTTP/1.1'"
        ))
    })?;
    let target = rest.rsplit_once(' ').map_or(rest, |(t, _)| t);
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let last = headers
                .last_mut()
                .ok_or_else(|| CliError::usage("a continuation line comes before any header"))?;
            last.1.push('\n');
            last.1.push_str(line);
            continue;
        }
        let (n, v) = line
            .split_once(':')
            .ok_or_else(|| CliError::usage(format!("header line {line:?} has no ':'")))?;
        headers.push((n.to_owned(), v.to_owned()));
    }
    Ok(RawRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body,
    })
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn read_source(spec: &str) -> Result<Vec<u8>, CliError> {
    match spec.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| CliError::failure(format!("cannot read standard input: {e}")))?;
            Ok(buf)
        }
        Some(path) => {
            std::fs::read(path).map_err(|e| CliError::usage(format!("cannot read {path:?}: {e}")))
        }
        None => Err(CliError::usage(
            "--request takes @FILE or @- (the raw HTTP request)",
        )),
    }
}

/// Checks the body as the payload line says it is covered; returns the line describing
/// it, or the failure (non-zero exit) when an aws-chunked body does not verify.
fn check_body(v: &Verified, body: &[u8]) -> Result<String, CliError> {
    match v.payload() {
        VerifiedPayload::Sha256(_) => Ok(format!(
            "Body: {} bytes, matches the signed SHA-256",
            body.len()
        )),
        VerifiedPayload::Unsigned => Ok(format!(
            "WARNING: UNSIGNED-PAYLOAD: the body ({} bytes) is NOT covered by the signature; anyone could have changed it",
            body.len()
        )),
        VerifiedPayload::Streaming(mode) => {
            let mut chunks = v.chunked_body().ok_or_else(|| {
                CliError::failure("InternalError: the aws-chunked body cannot be verified")
            })?;
            let mut decoded = Vec::new();
            if let Err(e) = chunks
                .push(body, &mut decoded)
                .and_then(|()| chunks.finish())
            {
                return Err(CliError::failure(format!(
                    "{}: the signature is valid but the aws-chunked body is not: {e} (after {} verified chunks, {} decoded bytes)",
                    e.code(),
                    chunks.chunk_count(),
                    chunks.verified_len()
                )));
            }
            let trailers: Vec<&str> = chunks.trailers().iter().map(|(n, _)| n.as_str()).collect();
            let trailers = if trailers.is_empty() {
                "no trailer".to_owned()
            } else {
                format!("trailer {}", trailers.join(", "))
            };
            let how = match mode {
                StreamingMode::Signed => "every chunk signature verified",
                StreamingMode::SignedWithTrailer => {
                    "every chunk signature and the trailer signature verified"
                }
                // Nothing signs the chunks: only the trailer checksum binds the data.
                _ => "chunks NOT signed (STREAMING-UNSIGNED-PAYLOAD-TRAILER): the body is covered only by the trailer checksum, not by the signature",
            };
            Ok(format!(
                "Body: aws-chunked, {} chunks, {} decoded bytes, {trailers}; {how}",
                chunks.chunk_count(),
                chunks.decoded_len()
            ))
        }
        VerifiedPayload::EventStream => check_event_stream(v, body),
        _ => Err(CliError::failure(
            "InternalError: this payload kind cannot be checked",
        )),
    }
}

/// Checks every message of a signed event stream (`STREAMING-AWS4-HMAC-SHA256-EVENTS`):
/// frames decode, each signature chains to the one before (the first to the request's), and
/// the signed end-of-stream message closes it. Anything else is a failure.
fn check_event_stream(v: &Verified, body: &[u8]) -> Result<String, CliError> {
    let fail = |what: String| {
        CliError::failure(format!(
            "the signature is valid but the event stream is not: {what}"
        ))
    };
    let mut verifier = v.event_stream().map_err(|e| fail(e.to_string()))?;
    let mut decoder = sigv4::eventstream::FrameDecoder::new();
    let mut input = body;
    let mut messages = 0usize;
    loop {
        let envelope = match decoder.decode(&mut input) {
            Ok(Some(m)) => m,
            Ok(None) => {
                return Err(fail(format!(
                    "it ends after {messages} verified messages without the signed end-of-stream message"
                )))
            }
            Err(e) => return Err(fail(format!("frame {}: {e}", messages + 1))),
        };
        match verifier.verify(&envelope) {
            Ok(sigv4::eventstream::VerifiedEvent::Message(_)) => messages += 1,
            Ok(sigv4::eventstream::VerifiedEvent::End) => break,
            Err(e) => return Err(fail(format!("message {}: {e}", messages + 1))),
        }
    }
    if !input.is_empty() {
        return Err(fail(format!(
            "{} bytes follow the end-of-stream message",
            input.len()
        )));
    }
    Ok(format!(
        "Body: event stream, {messages} messages and the end-of-stream message, every message signature verified in order"
    ))
}

/// The region and service of the credential scope the request was signed with: the
/// Authorization header's `Credential=AKID/DATE/REGION/SERVICE/aws4_request`, or a
/// presigned URL's `X-Amz-Credential`.
fn signed_scope(raw: &RawRequest) -> Option<(String, String)> {
    let from_header = raw
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| {
            let start = v.find("Credential=")? + "Credential=".len();
            let rest = &v[start..];
            Some(rest[..rest.find([',', ' ']).unwrap_or(rest.len())].to_owned())
        });
    let credential = from_header.or_else(|| {
        let query = raw.target.split_once('?')?.1;
        query.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.eq_ignore_ascii_case("X-Amz-Credential")
                .then(|| v.replace("%2F", "/").replace("%2f", "/"))
        })
    })?;
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [.., region, service, "aws4_request"] if !region.is_empty() && !service.is_empty() => {
            Some(((*region).to_owned(), (*service).to_owned()))
        }
        _ => None,
    }
}

/// The client's canonical request for `--client-canonical`: the file as text, or its
/// `canonical_request` when it is `sigv4 sign --format json` output.
fn client_canonical(path: &str) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| CliError::usage(format!("cannot read {path:?}: {err}")))?;
    let json = serde_json::from_str::<serde_json::Value>(text.trim())
        .ok()
        .and_then(|v| v.get("canonical_request")?.as_str().map(str::to_owned));
    Ok(json.unwrap_or(text))
}

/// The request to check: raw HTTP from `--request`, or a presigned `--url`.
fn read_request(args: &VerifyArgs) -> Result<RawRequest, CliError> {
    match (&args.request, &args.url) {
        (Some(spec), None) => parse_raw(&read_source(spec)?),
        (None, Some(url)) => Ok(RawRequest {
            method: args.method.clone(),
            target: url.clone(),
            headers: Vec::new(),
            body: Vec::new(),
        }),
        _ => Err(CliError::usage(
            "give the request to check: --request @FILE (raw HTTP) or --url URL (presigned)",
        )),
    }
}

/// The service and region to verify for: the flags, else the scope the request names
/// (Authorization's Credential, or X-Amz-Credential), else what the host tells.
fn service_and_region(args: &VerifyArgs, raw: &RawRequest) -> Result<(String, String), CliError> {
    let host = raw
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.trim().to_owned())
        .or_else(|| {
            raw.target
                .split_once("://")
                .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default().to_owned())
        })
        .unwrap_or_default();
    let inferred = sigv4::infer::infer(&host);
    let scope = signed_scope(raw);
    let service = args
        .service
        .clone()
        .or_else(|| scope.as_ref().map(|(_, s)| s.clone()))
        .or_else(|| inferred.as_ref().map(|i| i.service.clone()))
        .ok_or_else(|| {
            CliError::usage(format!(
                "cannot tell the service from host {host:?}: pass --service"
            ))
        })?;
    let region = args
        .region
        .clone()
        .or_else(|| scope.as_ref().map(|(r, _)| r.clone()))
        .or_else(|| {
            std::env::var("AWS_REGION")
                .ok()
                .filter(|r| !r.trim().is_empty())
        })
        .or_else(|| inferred.as_ref().and_then(|i| i.region.clone()))
        .ok_or_else(|| CliError::usage("no region: pass --region or set AWS_REGION"))?;
    Ok((service, region))
}

/// The time to verify at: `--time`, else now.
fn verify_time(args: &VerifyArgs) -> Result<SystemTime, CliError> {
    match &args.time {
        Some(t) => Ok(AmzDate::parse_rfc3339(t)
            .ok_or_else(|| CliError::usage(format!("--time {t:?} is not an RFC 3339 UTC time")))?
            .to_system_time()),
        None => Ok(SystemTime::now()),
    }
}

pub fn run(args: VerifyArgs) -> Result<(), CliError> {
    let raw = read_request(&args)?;
    let (service, region) = service_and_region(&args, &raw)?;
    let now = verify_time(&args)?;
    let verifier = Verifier::new(&region, &service).map_err(|e| CliError::usage(e.to_string()))?;
    let headers: Vec<(&str, &[u8])> = raw
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    // The edge policy and framing rules of the verifying layer and the proxy: what a server
    // in front of an application would refuse is refused here too.
    let refused = |e: VerifyError| CliError::failure(format!("{}: {e}", e.code()));
    let rewritten = EdgePolicy::default()
        .check(
            &raw.method,
            &raw.target,
            &headers,
            verifier.normalizes_uri_path(),
        )
        .map_err(refused)?;
    let body: Cow<'_, [u8]> = match &args.url {
        Some(_) => Cow::Borrowed(&raw.body),
        None => frame_body(&headers, &raw.body).map_err(refused)?,
    };
    let request = match &args.url {
        // A presigned URL is checked whole: its host is the signed one.
        Some(url) => VerifiableRequest::from_url(&raw.method, url, [], VerifyBody::Bytes(&body))
            .map_err(|e| CliError::usage(format!("--url: {e}")))?,
        None => VerifiableRequest::new(
            &raw.method,
            rewritten.as_deref().unwrap_or(raw.target.as_str()),
            headers.iter().copied(),
            VerifyBody::Bytes(&body),
        ),
    };
    let held = crate::credentials::resolve(args.profile.as_deref())?.into_credentials();
    let lookup = |akid: &str| (akid == held.access_key_id()).then(|| held.clone());
    match verifier.verify(&request, &lookup, now) {
        Ok(v) => {
            // The body first: an OK line is only printed for a request that is valid as a
            // whole.
            let body_note = check_body(&v, &body)?;
            crate::outln!(
                "OK: signed by {} for {} ({:?}, signed headers {})",
                v.access_key_id(),
                v.credential_scope(),
                v.mode(),
                v.signed_headers()
            );
            crate::outln!("{body_note}");
            Ok(())
        }
        Err(e) => {
            if args.explain {
                explain(&args, &e)?;
            }
            Err(CliError::failure(format!("{}: {e}", e.code())))
        }
    }
}

/// `--explain`: what the server computed, or its diff against `--client-canonical`.
fn explain(args: &VerifyArgs, e: &VerifyError) -> Result<(), CliError> {
    let Some(m) = e.signature_mismatch() else {
        return Ok(());
    };
    match &args.client_canonical {
        Some(path) => {
            let client = client_canonical(path)?;
            crate::outln!("Canonical request diff (- client, + server):");
            crate::out!(
                "{}",
                sigv4_http::explain::diff_text(
                    client.trim_end_matches('\n'),
                    m.canonical_request()
                )
            );
        }
        None => {
            crate::outln!("Canonical request the server computed:");
            crate::outln!("{}", m.canonical_request());
        }
    }
    crate::outln!();
    crate::outln!("String to sign the server computed:");
    crate::outln!("{}", m.string_to_sign());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_raw_requests() {
        let r = parse_raw(b"POST /p q HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\nbody").unwrap();
        assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/p q"));
        assert_eq!(r.headers[1].1, " a\n  b");
        assert_eq!(r.body, b"body");
        assert!(parse_raw(b"nonsense").is_err());
    }
}
