//! What `sigv4 request` writes: the response (standard output or `-o`), the `-v` trace,
//! the progress bar, `-w` and the explanation of a refused signature.

use std::io::Write;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, Request, Response};
use http_body_util::BodyExt;
use sigv4::{Signer, SigningOutput};
use sigv4_http::aws_error::AwsError;
use sigv4_http::explain;

use super::decode::Decoder;
use super::exit;
use super::plan::Options;
use super::progress::Progress;
use super::sink::{Outputs, Sink};
use crate::net::AnyBody;
use crate::CliError;

/// What `-w/--write-out` reports.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub(super) http_code: u16,
    pub(super) size_download: u64,
    pub(super) content_type: String,
    pub(super) url_effective: String,
}

/// Prints `-w/--write-out` (`@FILE` reads the format from a file) on standard output.
pub(super) fn print_write_out(
    format: &str,
    stats: &Stats,
    exitcode: u8,
    total: Duration,
) -> Result<(), CliError> {
    let format = match format.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "cannot read the --write-out format from {path}: {e}"
            ))
        })?,
        None => format.to_owned(),
    };
    let text = write_out(&format, stats, exitcode, total);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    Ok(())
}

/// Expands a `-w/--write-out` format as curl does for the variables it knows.
fn write_out(format: &str, stats: &Stats, exitcode: u8, total: Duration) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("%{") {
            if let Some(end) = after.find('}') {
                let name = &after[..end];
                let value = match name {
                    "http_code" | "response_code" => Some(format!("{:03}", stats.http_code)),
                    "size_download" => Some(stats.size_download.to_string()),
                    "time_total" => Some(format!("{:.6}", total.as_secs_f64())),
                    "url_effective" => Some(stats.url_effective.clone()),
                    "content_type" => Some(stats.content_type.clone()),
                    "exitcode" => Some(exitcode.to_string()),
                    _ => None,
                };
                match value {
                    Some(v) => out.push_str(&v),
                    // curl warns about unknown variables and prints nothing for them.
                    None => eprintln!("sigv4: warning: --write-out: unknown variable %{{{name}}}"),
                }
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("%%") {
            out.push('%');
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix('\\') {
            match after.chars().next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
            rest = after.get(1..).unwrap_or("");
            if after.is_empty() {
                break;
            }
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

pub(super) fn show_request(
    req: &Request<()>,
    out: Option<&SigningOutput>,
    signer: &Signer,
    token: Option<&str>,
) {
    let mut err = std::io::stderr().lock();
    let Some(out) = out else {
        let _ = writeln!(err, "* Not signed: another host than the one signed for");
        let _ = writeln!(err, "> {} {} HTTP/1.1", req.method(), req.uri());
        return;
    };
    let _ = writeln!(
        err,
        "* Signing for service {} in region {}",
        signer.service(),
        signer.region()
    );
    let _ = writeln!(err, "* Canonical request:");
    for l in explain::redact_token(out.canonical_request(), token).split('\n') {
        let _ = writeln!(err, "*   {l}");
    }
    let _ = writeln!(err, "* String to sign:");
    for l in out.string_to_sign().split('\n') {
        let _ = writeln!(err, "*   {l}");
    }
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    let _ = writeln!(err, "> {} {target} HTTP/1.1", req.method());
    for (n, v) in req.headers() {
        let _ = writeln!(err, "> {n}: {}", shown_value(n.as_str(), v));
    }
    let _ = writeln!(err, ">");
}

pub(super) fn shown_value(name: &str, v: &HeaderValue) -> String {
    if name == "x-amz-security-token" || name == "x-amz-s3session-token" {
        format!("<session token, {} chars>", v.len())
    } else {
        String::from_utf8_lossy(v.as_bytes()).into_owned()
    }
}

/// The request a response answers.
pub(super) struct Sent<'a> {
    pub(super) method: &'a Method,
    pub(super) uri: &'a http::Uri,
    /// What signed it (None when sent unsigned).
    pub(super) signed: Option<&'a SigningOutput>,
    pub(super) token: Option<&'a str>,
}

/// Writes the response as curl does: the `-v` trace, the `-i` head, the body (not with
/// `--fail` on an HTTP error), and the `--fail` exit code.
pub(super) async fn handle_response(
    response: Response<AnyBody>,
    sent: Sent<'_>,
    options: &Options,
    outputs: &mut Outputs,
    stats: &mut Stats,
) -> Result<(), CliError> {
    let Sent {
        method,
        uri,
        signed: out,
        token,
    } = sent;
    let status = response.status();
    outputs.head(&response)?;
    let sink = &mut outputs.body;
    let failing = (options.fail || options.fail_with_body) && status.as_u16() >= 400;
    // --fail prints nothing of the body; --fail-with-body prints it and still fails. As
    // curl, the headers -i and -D asked for are written either way.
    let quiet = failing && !options.fail_with_body;
    if status == http::StatusCode::FORBIDDEN {
        let (parts, body) = response.into_parts();
        let raw = read_forbidden(body).await?;
        stats.size_download += raw.len() as u64;
        let bytes = match decoder(&parts.headers, options.decompress)? {
            Some(mut d) => {
                let mut plain = d.push(&raw)?;
                plain.extend(d.finish()?);
                plain
            }
            None => raw.to_vec(),
        };
        if let Some(out) = out {
            explain_forbidden(&parts.headers, &bytes, out, token);
        }
        if !quiet {
            sink.write_all(&bytes).map_err(write_error)?;
        }
    } else if !quiet && method != Method::HEAD {
        let decoder = decoder(response.headers(), options.decompress)?;
        copy_body(response, sink, &outputs.progress, decoder, stats).await?;
    }
    // As curl: an -o FILE nothing was written to is created (empty) only when the transfer
    // did not fail, so `-f -o FILE` leaves an existing FILE untouched on an HTTP error.
    outputs.finish(!failing)?;
    if failing {
        return Err(http_failure(status, method, uri, options.fail_with_body));
    }
    Ok(())
}

/// curl's 23: the response could not be written.
pub(super) fn write_error(e: std::io::Error) -> CliError {
    CliError {
        message: format!("cannot write the response: {e}"),
        code: exit::WRITE,
    }
}

/// A 403's (small) error document, read whole to look for `SignatureDoesNotMatch`.
async fn read_forbidden(body: AnyBody) -> Result<bytes::Bytes, CliError> {
    let limited = http_body_util::Limited::new(body, 1 << 20);
    Ok(limited
        .collect()
        .await
        .map_err(|e| CliError {
            message: format!("reading the 403 response failed: {e}"),
            code: exit::RECV,
        })?
        .to_bytes())
}

/// Streams the response body to `sink`, with a progress bar for large bodies.
async fn copy_body(
    response: Response<AnyBody>,
    sink: &mut Sink,
    progress: &Progress,
    mut decoder: Option<Decoder>,
    stats: &mut Stats,
) -> Result<(), CliError> {
    let len = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = response.into_body();
    let pb = progress.body(len, "download");
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| body_error(e.as_ref()))?;
        if let Ok(data) = frame.into_data() {
            pb.inc(data.len() as u64);
            stats.size_download += data.len() as u64;
            match &mut decoder {
                Some(d) => sink.write_all(&d.push(&data)?),
                None => sink.write_all(&data),
            }
            .map_err(write_error)?;
        }
    }
    if let Some(d) = decoder {
        sink.write_all(&d.finish()?).map_err(write_error)?;
    }
    pb.done();
    Ok(())
}

/// With `--compressed`, the decoder of the response's Content-Encoding.
fn decoder(headers: &HeaderMap, decompress: bool) -> Result<Option<Decoder>, CliError> {
    if !decompress {
        return Ok(None);
    }
    let encoding = headers
        .get(http::header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    Decoder::for_encoding(encoding.as_deref())
}

/// curl: 18 when the body ends before its announced length, 56 for other failures.
fn body_error(e: &(dyn std::error::Error + 'static)) -> CliError {
    let partial = exit::is_truncated(e);
    CliError {
        message: format!(
            "receiving the response body failed: {e}{}",
            if partial {
                " (transfer closed with data outstanding)"
            } else {
                ""
            }
        ),
        code: if partial { exit::PARTIAL } else { exit::RECV },
    }
}

/// `--fail`/`--fail-with-body` on HTTP >= 400: curl's 22.
fn http_failure(
    status: http::StatusCode,
    method: &Method,
    uri: &http::Uri,
    with_body: bool,
) -> CliError {
    CliError {
        message: format!(
            "the server answered HTTP {} {} for {method} {uri} ({})",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            if with_body {
                "--fail-with-body"
            } else {
                "--fail"
            }
        ),
        code: exit::HTTP_ERROR,
    }
}

/// On `SignatureDoesNotMatch`, show what the server signed next to what we signed.
fn explain_forbidden(headers: &HeaderMap, body: &[u8], out: &SigningOutput, token: Option<&str>) {
    let Some(error) = AwsError::parse(headers, body) else {
        return;
    };
    let text = explain::explain_signature_mismatch(
        &error,
        out.canonical_request(),
        out.string_to_sign(),
        token,
    );
    if let Some(text) = text {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "sigv4: {text}");
    }
}
