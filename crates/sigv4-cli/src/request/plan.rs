//! From the command line to a [`Job`]: the URL as sent, the method, the headers, the
//! body's source, who signs for which region and service, and the transfer options.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use sigv4::{Credentials, Signer};

use super::args::RequestArgs;
use super::exit;
use super::progress::Style;
use crate::curl_args::{self, Built, BuiltBody};
use crate::net::{self, WireUrl};
use crate::CliError;

/// The largest `--data-binary @FILE` body read into memory for services other than S3.
const BODY_IN_MEMORY_MAX: u64 = 256 * 1024 * 1024;

/// Where the request body comes from.
#[derive(Clone)]
pub(super) enum Source {
    None,
    Bytes(Vec<u8>),
    File { path: PathBuf, len: u64 },
}

/// How the transfer behaves (the flags that are not about the request itself).
#[derive(Clone)]
pub(super) struct Options {
    pub(super) verbose: bool,
    pub(super) silent: bool,
    pub(super) include: bool,
    pub(super) fail: bool,
    pub(super) fail_with_body: bool,
    pub(super) follow: bool,
    pub(super) max_redirs: u32,
    pub(super) retries: u32,
    pub(super) retry_delay: Option<Duration>,
    pub(super) retry_on: RetryOn,
    pub(super) progress: Style,
    pub(super) output: Option<PathBuf>,
    /// `-D FILE`.
    pub(super) dump_header: Option<PathBuf>,
    /// `--compressed`: decode the response's Content-Encoding.
    pub(super) decompress: bool,
    pub(super) create_dirs: bool,
    pub(super) insecure: bool,
    /// The HTTP client: connect timeout, TLS trust, proxies.
    pub(super) client: crate::net::ClientOptions,
}

/// What else curl's `--retry` retries, with its companion flags.
#[derive(Clone, Copy)]
pub(super) struct RetryOn {
    /// `--retry-connrefused`.
    pub(super) connrefused: bool,
    /// `--retry-all-errors`.
    pub(super) all_errors: bool,
    /// `--retry-max-time`.
    pub(super) max_time: Option<Duration>,
}

impl RetryOn {
    /// Whether a transport failure (curl exit `code`; `refused`: the connection was
    /// refused) is retried, as curl decides: timeouts and names (of the host or the proxy)
    /// that do not resolve always; a refused connection with `--retry-connrefused`;
    /// anything with `--retry-all-errors`.
    pub(super) fn transport(self, code: u8, refused: bool) -> bool {
        self.all_errors
            || matches!(
                code,
                exit::TIMEOUT | exit::RESOLVE | crate::outbound_proxy::exit::RESOLVE_PROXY
            )
            || (refused && self.connrefused)
    }
}

/// The planned request: everything needed to sign and send it (and sign it again for a
/// retry or a same-origin redirect).
#[derive(Clone)]
pub(super) struct Job {
    pub(super) method: Method,
    pub(super) uri: http::Uri,
    /// The URL as given (after the query and upload-name rewrites), for messages and `-w`.
    pub(super) url_text: String,
    pub(super) headers: HeaderMap,
    pub(super) source: Source,
    pub(super) s3: bool,
    pub(super) unsigned: bool,
    pub(super) aws_chunked: bool,
    pub(super) signer: std::sync::Arc<Signer>,
    pub(super) credentials: Credentials,
    pub(super) options: Options,
    pub(super) fixed_time: Option<SystemTime>,
    pub(super) unsigned_defaults: Vec<(HeaderName, HeaderValue)>,
    pub(super) streamed_upload: bool,
    /// Re-sign and retry once when the server refuses the request's time.
    pub(super) retry_skew: bool,
    /// Standard input spooled to a temporary file (the body's source), removed on drop.
    pub(super) _spool: Option<Arc<tempfile::NamedTempFile>>,
}

/// Plans the request `args` describe.
pub(super) fn plan(args: &RequestArgs) -> Result<Job, CliError> {
    let mut url = WireUrl::parse(&args.url)?;
    let built = curl_args::build(&args.body, &args.header_lines(), url.query.as_deref())?;
    if built.query.is_some() {
        url.query.clone_from(&built.query);
    }
    plus_as_literal(&mut url, args.verbose);
    let mut spool = None;
    let source = body_source(args, built.body.clone(), &mut spool)?;
    name_upload(args, &source, &mut url)?;
    let (region, service) = signing_target(args, &url)?;
    let fixed_time = match &args.time {
        Some(t) => Some(net::parse_time(t).map_err(|e| CliError::usage(format!("--time {e}")))?),
        None => None,
    };
    let method = choose_method(args, &source)?;
    let headers = request_headers(&built)?;
    let unsigned_defaults = unsigned_defaults(&headers, &built, args.compressed);
    let s3 = sigv4::is_s3(&service);
    let source = small_body_in_memory(source, s3, args.upload_file.is_some() || spool.is_some())?;
    if args.aws_chunked && !(s3 && matches!(source, Source::File { .. })) {
        return Err(CliError::usage(
            "--aws-chunked is for S3 uploads from a file (-T FILE or --data-binary @FILE)",
        ));
    }
    // `-u AK:SK` (curl's --aws-sigv4 keys) wins over the profile and the environment.
    let credentials = match &args.user {
        Some(keys) => (**keys).clone(),
        None => crate::credentials::resolve(args.profile.as_deref())?.into_credentials(),
    };
    let signer = Signer::new(&region, &service).map_err(|e| CliError::usage(e.to_string()))?;
    // Directory buckets (`--x-s3`): a CreateSession session signs instead.
    let (signer, credentials) = crate::express::signer_and_credentials(
        &url.to_url_string(),
        &region,
        &service,
        signer,
        credentials,
        args.verbose,
    )?;
    Ok(Job {
        method,
        uri: url.to_uri()?,
        url_text: url.to_url_string(),
        headers,
        source,
        s3,
        unsigned: args.unsigned_payload,
        aws_chunked: args.aws_chunked,
        signer: std::sync::Arc::new(signer),
        credentials,
        options: options(args, &url)?,
        fixed_time,
        unsigned_defaults,
        streamed_upload: args.upload_file.is_some(),
        // A pinned --time is what the user asked for: never re-sign it at another time.
        retry_skew: fixed_time.is_none(),
        _spool: spool,
    })
}

/// The transfer options the flags ask for.
fn options(args: &RequestArgs, url: &WireUrl) -> Result<Options, CliError> {
    let output = if args.remote_name {
        Some(remote_name(url)?)
    } else {
        // `-o -` is standard output, as in curl.
        args.output.clone().filter(|p| p.as_os_str() != "-")
    };
    Ok(Options {
        verbose: args.verbose,
        silent: args.silent,
        include: args.include || args.head,
        fail: args.fail,
        fail_with_body: args.fail_with_body,
        follow: args.location,
        max_redirs: args.max_redirs,
        retries: args.retry,
        retry_delay: args.retry_delay,
        retry_on: RetryOn {
            connrefused: args.retry_connrefused,
            all_errors: args.retry_all_errors,
            max_time: args.retry_max_time,
        },
        progress: progress_style(args),
        create_dirs: args.create_dirs,
        insecure: args.net.insecure,
        output,
        dump_header: args.dump_header.clone(),
        decompress: args.compressed,
        client: args.net.client_options(args.connect_timeout),
    })
}

/// curl's progress display: none with -s or --no-progress-meter, `-#`'s bar, else the
/// meter on a terminal.
fn progress_style(args: &RequestArgs) -> Style {
    if args.silent || args.no_progress_meter {
        Style::Off
    } else if args.progress_bar {
        Style::Bar
    } else if std::io::stderr().is_terminal() {
        Style::Meter
    } else {
        Style::Off
    }
}

/// `-O`: the URL's last path segment as given (still percent-encoded, as curl keeps it);
/// curl's 23, before anything is sent, when it is empty.
fn remote_name(url: &WireUrl) -> Result<PathBuf, CliError> {
    let name = url.path.rsplit('/').next().unwrap_or("");
    if name.is_empty() || name == "." || name == ".." {
        return Err(CliError {
            message: format!(
                "-O: the URL {} has no file name to save to (use -o FILE)",
                url.to_url_string()
            ),
            code: exit::WRITE,
        });
    }
    Ok(PathBuf::from(name))
}

/// The region and service to sign for: `--region`/`--service` (or `--aws-sigv4`), else
/// inferred from the host, the environment and the profile.
fn signing_target(args: &RequestArgs, url: &WireUrl) -> Result<(String, String), CliError> {
    let (sigv4_region, sigv4_service) = match &args.aws_sigv4 {
        Some(spec) => curl_args::parse_aws_sigv4(spec)?,
        None => (None, None),
    };
    let region_arg = curl_args::merge_flag("region", args.region.clone(), sigv4_region)?;
    let service_arg = curl_args::merge_flag("service", args.service.clone(), sigv4_service)?;
    let (region, service) = net::resolve_target(
        &url.host,
        region_arg.as_deref(),
        service_arg,
        args.profile.as_deref(),
    )?;
    Ok((region.into_region(), service))
}

/// The method curl would use: `-X`, else HEAD with `-I`, PUT with `-T`, POST with a body.
fn choose_method(args: &RequestArgs, source: &Source) -> Result<Method, CliError> {
    Ok(match &args.method {
        Some(m) => Method::from_bytes(m.as_bytes())
            .map_err(|_| CliError::usage(format!("{m:?} is not a valid HTTP method")))?,
        None if args.head => Method::HEAD,
        None if args.upload_file.is_some() => Method::PUT,
        None if matches!(source, Source::None) => Method::GET,
        None => Method::POST,
    })
}

/// The headers to send and sign (`-H`, `-A`, `-r` and the body flags' Content-Type).
fn request_headers(built: &Built) -> Result<HeaderMap, CliError> {
    let mut headers = HeaderMap::new();
    for (name, value) in &built.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            CliError::usage(format!(
                "header name {name:?} is not a valid HTTP header name"
            ))
        })?;
        let v = HeaderValue::from_str(value.trim()).map_err(|_| {
            CliError::usage(format!(
                "the value of header {name:?} has characters HTTP does not allow (control characters or non-ASCII)"
            ))
        })?;
        headers.append(name, v);
    }
    Ok(headers)
}

/// curl's own defaults, sent but not signed (so `sign` and `request` sign the same
/// request); -H replaces them and 'Name:' removes them. `--compressed` adds curl's
/// Accept-Encoding (with the decoders curl 7.88 has).
fn unsigned_defaults(
    headers: &HeaderMap,
    built: &Built,
    compressed: bool,
) -> Vec<(HeaderName, HeaderValue)> {
    let mut defaults = Vec::new();
    let accept_encoding = (
        http::header::ACCEPT_ENCODING,
        super::decode::ACCEPT_ENCODING,
    );
    for (name, value) in [
        (
            http::header::USER_AGENT,
            concat!("sigv4/", env!("CARGO_PKG_VERSION")),
        ),
        (http::header::ACCEPT, "*/*"),
    ]
    .into_iter()
    .chain(compressed.then_some(accept_encoding))
    {
        if !headers.contains_key(&name) && !built.removed.iter().any(|r| r == name.as_str()) {
            defaults.push((name, HeaderValue::from_static(value)));
        }
    }
    defaults
}

/// For services other than S3, `sign` signs a --data-binary @FILE body by its bytes (no
/// x-amz-content-sha256 header); a precomputed hash would add that header. So bodies
/// those services accept (well under 256 MiB) are read, and both sign the same request.
fn small_body_in_memory(source: Source, s3: bool, upload: bool) -> Result<Source, CliError> {
    Ok(match source {
        Source::File { path, len } if !s3 && !upload && len <= BODY_IN_MEMORY_MAX => Source::Bytes(
            std::fs::read(&path)
                .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?,
        ),
        other => other,
    })
}

/// `-T FILE` to a URL ending in '/' uploads to the file's name there, as curl does.
fn name_upload(args: &RequestArgs, source: &Source, url: &mut WireUrl) -> Result<(), CliError> {
    if let (Some(path), Source::File { .. }) = (&args.upload_file, source) {
        if url.path.ends_with('/') && path.as_os_str() != "-" {
            let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                CliError::usage("the upload file name is not valid UTF-8: give the full URL")
            })?;
            url.path.push_str(&percent_encode_segment(name));
        }
    }
    Ok(())
}

/// The `+` rule (sign contract, `QueryPlus::Literal`): a raw `+` in the query signs as a
/// plus sign (`%2B`), so it is also sent as `%2B`; otherwise a server that reads `+` as a
/// space (as AWS does) would see, and check, another request. Said under `-v`.
fn plus_as_literal(url: &mut WireUrl, verbose: bool) {
    if let Some(q) = url.query.as_mut().filter(|q| q.contains('+')) {
        *q = q.replace('+', "%2B");
        if verbose {
            eprintln!(
                "* The query's raw '+' is sent as %2B: it is signed as a plus sign (write %20 for a space)"
            );
        }
    }
}

fn file_len(path: &Path) -> Result<u64, CliError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(CliError::usage(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    Ok(meta.len())
}

/// Where the body comes from; standard input (`-T -`, `--data-binary @-`) is spooled to
/// `spool`, a temporary file, first: SigV4 needs the body's hash or at least its length
/// up front, and the memory used stays bounded whatever the size.
fn body_source(
    args: &RequestArgs,
    built: BuiltBody,
    spool: &mut Option<Arc<tempfile::NamedTempFile>>,
) -> Result<Source, CliError> {
    let stdin = matches!(built, BuiltBody::Stdin)
        || args
            .upload_file
            .as_ref()
            .is_some_and(|p| p.as_os_str() == "-");
    if stdin {
        let (file, len) = spool_stdin()?;
        let path = file.path().to_owned();
        *spool = Some(Arc::new(file));
        return Ok(Source::File { path, len });
    }
    if let Some(path) = &args.upload_file {
        // curl: 26 (read error) for an upload file it cannot read.
        let len = file_len(path).map_err(|e| CliError {
            message: e.message,
            code: exit::READ,
        })?;
        return Ok(Source::File {
            path: path.clone(),
            len,
        });
    }
    Ok(match built {
        BuiltBody::None => Source::None,
        BuiltBody::Bytes(b) => Source::Bytes(b),
        BuiltBody::File(path) => {
            let len = file_len(&path)?;
            Source::File { path, len }
        }
        BuiltBody::Stdin => unreachable!("standard input is spooled above"),
    })
}

/// Copies standard input to a temporary file (64 KiB at a time), returning it and its
/// length.
fn spool_stdin() -> Result<(tempfile::NamedTempFile, u64), CliError> {
    let failed = |e: std::io::Error| CliError {
        message: format!("cannot spool standard input to a temporary file: {e}"),
        code: exit::READ,
    };
    let mut file = tempfile::Builder::new()
        .prefix("sigv4-stdin-")
        .tempfile()
        .map_err(failed)?;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, std::io::stdin().lock());
    let len = std::io::copy(&mut reader, file.as_file_mut()).map_err(failed)?;
    file.as_file_mut().flush().map_err(failed)?;
    Ok((file, len))
}

/// Percent-encodes a file name for use as the last path segment.
fn percent_encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(percent_encode_segment("a b+c.txt"), "a%20b%2Bc.txt");
    }
}
