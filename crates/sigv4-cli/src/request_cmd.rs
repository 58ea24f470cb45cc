//! `sigv4 request`: sign a request and send it, with curl's flags (like awscurl).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};
use sigv4::chunked::{ChunkEncoder, ChunkSigner, ChunkedBody, ChunkedSettings, StreamingMode};
use sigv4::{AmzDate, Credentials, Payload, Signer, SigningOutput};

use sigv4_http::aws_error::AwsError;
use sigv4_http::redirect::{self, Origin};
use sigv4_http::{explain, retry};

use crate::curl_args::{self, BodyArgs, BuiltBody};
use crate::net::{self, AnyBody, ReaderBody, WireUrl};
use crate::CliError;

/// The largest `--data-binary @FILE` body read into memory for services other than S3.
const BODY_IN_MEMORY_MAX: u64 = 256 * 1024 * 1024;

/// Bodies at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN: u64 = 4 * 1024 * 1024;

/// curl's exit codes for transport problems.
mod exit {
    pub const RESOLVE: u8 = 6;
    pub const CONNECT: u8 = 7;
    pub const HTTP_ERROR: u8 = 22;
    pub const WRITE: u8 = 23;
    pub const READ: u8 = 26;
    pub const TIMEOUT: u8 = 28;
    pub const TLS: u8 = 35;
    pub const PARTIAL: u8 = 18;
    pub const EMPTY_REPLY: u8 = 52;
    pub const RECV: u8 = 56;
    pub const PEER_CERT: u8 = 60;
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  sigv4 request https://my-bucket.s3.eu-west-1.amazonaws.com/report.csv -o report.csv
  sigv4 request -T big.iso https://my-bucket.s3.eu-west-1.amazonaws.com/isos/
  sigv4 request -X POST -H 'Content-Type: application/json' -d '{\"query\":{\"match_all\":{}}}' \\
      https://search-logs.eu-west-1.es.amazonaws.com/logs/_search
  sigv4 request --service execute-api --region us-east-1 https://api.example.com/prod/items
  sigv4 request -d Action=SendMessage -d Version=2012-11-05 \\
      --data-urlencode 'MessageBody=hi there' https://sqs.eu-west-1.amazonaws.com/1234/q
  sigv4 request -s -o /dev/null -w '%{http_code}\\n' --retry 3 -L \\
      https://my-bucket.s3.amazonaws.com/k

Exit codes: 0 on any HTTP response (22 with --fail on HTTP >= 400), 2 for a bad command
line, 1 when signing fails, and curl's codes for transport errors (6 resolve, 7 connect,
18 partial body, 23 write, 26 read, 28 timeout, 35 TLS, 47 redirects, 52 empty reply,
56 receive, 60 untrusted certificate, 77 CA file).")]
pub struct RequestArgs {
    /// The URL exactly as it goes on the wire (already percent-encoded, like curl).
    url: String,
    /// HTTP method (default: GET; POST with -d/--data-binary; PUT with -T; HEAD with -I).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// A header to send and sign, 'Name: value' (repeatable). 'Name:' removes a default
    /// header, 'Name;' sends an empty value.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// The body flags, as in curl (a lone --data-binary @FILE is streamed from disk).
    #[command(flatten)]
    pub body: BodyArgs,
    /// Upload FILE, streamed from disk (never read into memory). For S3 the payload is
    /// signed as UNSIGNED-PAYLOAD (or aws-chunked with --aws-chunked); for other services
    /// the file is hashed first, then sent. A URL ending in '/' gets the file name added.
    #[arg(short = 'T', long = "upload-file", value_name = "FILE", conflicts_with_all = ["data", "data_binary", "data_raw", "data_urlencode", "json", "get"])]
    upload_file: Option<PathBuf>,
    /// For S3 uploads from a file: send aws-chunked with every chunk signed
    /// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) instead of UNSIGNED-PAYLOAD.
    #[arg(long)]
    aws_chunked: bool,
    /// Sign UNSIGNED-PAYLOAD instead of the body's hash (services that accept it, like S3).
    #[arg(long, conflicts_with = "aws_chunked")]
    unsigned_payload: bool,
    /// Write the response body to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// The User-Agent to send (sent, not signed, like curl's default); a -H User-Agent wins.
    #[arg(short = 'A', long = "user-agent", value_name = "NAME")]
    user_agent: Option<String>,
    /// Ask for a byte range only, curl's form: 0-499, 500-, -500 (sent as Range: bytes=...,
    /// and signed); a -H Range wins.
    #[arg(short = 'r', long = "range", value_name = "RANGE")]
    range: Option<String>,
    /// Create the directories -o's file needs.
    #[arg(long)]
    create_dirs: bool,
    /// No progress bar (curl's --no-progress-meter); error messages are still shown.
    #[arg(long)]
    no_progress_meter: bool,
    /// Include the response status line and headers in the output.
    #[arg(short = 'i', long = "include")]
    include: bool,
    /// Send a HEAD request and show the response headers.
    #[arg(short = 'I', long = "head")]
    head: bool,
    /// Show the canonical request, string to sign and the headers sent and received on
    /// standard error (the session token is never shown).
    #[arg(short = 'v', long)]
    verbose: bool,
    /// No progress bar and, as in curl, no error message (unless -S).
    #[arg(short = 's', long)]
    silent: bool,
    /// With -s, still show the error message when it fails.
    #[arg(short = 'S', long)]
    show_error: bool,
    /// Fail with exit code 22 and no body output when the server answers with HTTP >= 400.
    #[arg(short = 'f', long, conflicts_with = "fail_with_body")]
    fail: bool,
    /// Fail with exit code 22 when the server answers with HTTP >= 400, but still output
    /// the body.
    #[arg(long)]
    fail_with_body: bool,
    /// After the transfer, print FORMAT on standard output: %{http_code},
    /// %{size_download}, %{time_total}, %{url_effective}, %{content_type}, %{exitcode},
    /// \n, \t, %%. @FILE reads the format from a file.
    #[arg(short = 'w', long, value_name = "FORMAT")]
    write_out: Option<String>,
    /// Follow redirects (3xx with Location). Re-signed only while they stay on the same
    /// scheme, host and port; elsewhere they are sent unsigned (no signature, no token).
    #[arg(short = 'L', long)]
    location: bool,
    /// At most this many redirects with -L.
    #[arg(long, value_name = "NUM", default_value_t = 50)]
    max_redirs: u32,
    /// Retry up to NUM times on transient errors, as curl: HTTP 408, 429, 500, 502, 503,
    /// 504, AWS throttling errors, timeouts and host names that do not resolve (not a
    /// refused connection: see --retry-connrefused); waits 1 s, doubling each time (or
    /// Retry-After), unless --retry-delay.
    #[arg(long, value_name = "NUM", default_value_t = 0)]
    retry: u32,
    /// With --retry, also retry when the connection is refused.
    #[arg(long)]
    retry_connrefused: bool,
    /// With --retry, retry on any error (with --fail, HTTP >= 400 too).
    #[arg(long)]
    retry_all_errors: bool,
    /// With --retry, no new attempt once this long has passed since the first one
    /// (seconds or 2m etc.).
    #[arg(long, value_name = "SECS", value_parser = net::parse_duration)]
    retry_max_time: Option<Duration>,
    /// A fixed wait between retries instead of the doubling backoff (seconds or 2m etc.).
    #[arg(long, value_name = "SECS", value_parser = net::parse_duration)]
    retry_delay: Option<Duration>,
    /// curl's SigV4 option, "aws:amz[:REGION[:SERVICE]]": sets the region and service
    /// (the same as --region and --service).
    #[arg(long, value_name = "PROVIDER")]
    aws_sigv4: Option<String>,
    /// The profile to take credentials from (default: AWS_PROFILE, then "default").
    #[arg(long)]
    profile: Option<String>,
    /// Region to sign for (default: the region in an AWS hostname, then AWS_REGION,
    /// AWS_DEFAULT_REGION, then the profile's `region` in ~/.aws/config).
    #[arg(long)]
    region: Option<String>,
    /// Signing time in UTC, 2015-08-30T12:36:00Z or 20150830T123600Z (default: now).
    #[arg(long, value_name = "TIME")]
    time: Option<String>,
    /// Service to sign for, e.g. s3, execute-api, es (default: inferred from an AWS hostname).
    #[arg(long)]
    service: Option<String>,
    #[command(flatten)]
    net: crate::net_args::CurlNetArgs,
    /// Give up connecting after this long, in seconds (10, 1.5) or with a unit (2m).
    #[arg(long, value_name = "SECS", value_parser = net::parse_duration)]
    connect_timeout: Option<Duration>,
    /// Give up on the whole transfer after this long, in seconds (30, 0.5) or with a unit (30m, 2h).
    #[arg(short = 'm', long, value_name = "SECS", value_parser = net::parse_duration)]
    max_time: Option<Duration>,
}

/// Where the request body comes from.
#[derive(Clone)]
enum Source {
    None,
    Bytes(Vec<u8>),
    File { path: PathBuf, len: u64 },
}

fn read_stdin() -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| CliError::failure(format!("cannot read standard input: {e}")))?;
    Ok(buf)
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

fn body_source(args: &RequestArgs, built: BuiltBody) -> Result<Source, CliError> {
    if let Some(path) = &args.upload_file {
        if path.as_os_str() == "-" {
            return Ok(Source::Bytes(read_stdin()?));
        }
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
    })
}

/// `sigv4 request`.
pub fn run(args: RequestArgs) -> Result<(), CliError> {
    // As curl: -s (without -S) silences every error message, even the first.
    if args.silent && !args.show_error {
        crate::QUIET_ERRORS.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let mut url = WireUrl::parse(&args.url)?;
    let built = curl_args::build(&args.body, &header_args(&args), url.query.as_deref())?;
    if built.query.is_some() {
        url.query.clone_from(&built.query);
    }
    plus_as_literal(&mut url, args.verbose);
    let source = body_source(&args, built.body.clone())?;
    if let (Some(path), Source::File { .. }) = (&args.upload_file, &source) {
        if url.path.ends_with('/') {
            let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                CliError::usage("the upload file name is not valid UTF-8: give the full URL")
            })?;
            url.path.push_str(&percent_encode_segment(name));
        }
    }
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
    let region = region.into_region();
    // `--time` pins the signing time; without it the clock (corrected by any learned skew) is read
    // when each attempt is signed.
    let fixed_time = match &args.time {
        Some(t) => Some(net::parse_time(t).map_err(|e| CliError::usage(format!("--time {e}")))?),
        None => None,
    };
    let method = match &args.method {
        Some(m) => Method::from_bytes(m.as_bytes())
            .map_err(|_| CliError::usage(format!("{m:?} is not a valid HTTP method")))?,
        None if args.head => Method::HEAD,
        None if args.upload_file.is_some() => Method::PUT,
        None if matches!(source, Source::None) => Method::GET,
        None => Method::POST,
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &built.headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
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
    // curl's own defaults, sent but not signed (so `sign` and `request` sign the same
    // request); -H replaces them and 'Name:' removes them.
    let mut unsigned_defaults = Vec::new();
    for (name, value) in [
        (
            http::header::USER_AGENT,
            concat!("sigv4/", env!("CARGO_PKG_VERSION")),
        ),
        (http::header::ACCEPT, "*/*"),
    ] {
        if !headers.contains_key(&name) && !built.removed.iter().any(|r| r == name.as_str()) {
            unsigned_defaults.push((name, HeaderValue::from_static(value)));
        }
    }
    let s3 = sigv4::is_s3(&service);
    // For services other than S3, `sign` signs a --data-binary @FILE body by its bytes (no
    // x-amz-content-sha256 header); a precomputed hash would add that header. So bodies
    // those services accept (well under 256 MiB) are read, and both sign the same request.
    let source = match source {
        Source::File { path, len }
            if !s3 && args.upload_file.is_none() && len <= BODY_IN_MEMORY_MAX =>
        {
            Source::Bytes(
                std::fs::read(&path)
                    .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?,
            )
        }
        other => other,
    };
    if args.aws_chunked && !(s3 && matches!(source, Source::File { .. })) {
        return Err(CliError::usage(
            "--aws-chunked is for S3 uploads from a file (-T FILE or --data-binary @FILE)",
        ));
    }
    let credentials = crate::credentials::resolve(args.profile.as_deref())?.into_credentials();
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
    let options = Options {
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
        progress: !args.silent && !args.no_progress_meter && std::io::stderr().is_terminal(),
        create_dirs: args.create_dirs,
        insecure: args.net.insecure,
        // `-o -` is standard output, as in curl.
        output: args.output.clone().filter(|p| p.as_os_str() != "-"),
        client: args.net.client_options(args.connect_timeout),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    let uri = url.to_uri()?;
    let job = Job {
        method,
        uri,
        headers,
        source,
        s3,
        unsigned: args.unsigned_payload,
        aws_chunked: args.aws_chunked,
        signer: std::sync::Arc::new(signer),
        credentials,
        options,
        fixed_time,
        unsigned_defaults,
        streamed_upload: args.upload_file.is_some(),
        // A pinned --time is what the user asked for: never re-sign it at another time.
        retry_skew: fixed_time.is_none(),
    };
    let url_text = url.to_url_string();
    let started = std::time::Instant::now();
    let mut stats = Stats {
        url_effective: url_text.clone(),
        ..Stats::default()
    };
    let result = runtime.block_on(async {
        match args.max_time {
            Some(limit) => match tokio::time::timeout(limit, job.perform(&mut stats)).await {
                Ok(r) => r,
                Err(_) => Err(CliError {
                    message: format!(
                        "the transfer to {url_text} took longer than --max-time ({:.1} s)",
                        limit.as_secs_f64()
                    ),
                    code: exit::TIMEOUT,
                }),
            },
            None => job.perform(&mut stats).await,
        }
    });
    if let Some(format) = &args.write_out {
        let format = match format.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!(
                    "cannot read the --write-out format from {path}: {e}"
                ))
            })?,
            None => format.clone(),
        };
        let code = result.as_ref().err().map_or(0, |e| e.code);
        let text = write_out(&format, &stats, code, started.elapsed());
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }
    result
}

/// The `-H` lines with `-A` and `-r` added as curl adds them (a `-H` of the same name wins).
fn header_args(args: &RequestArgs) -> Vec<String> {
    let given = |name: &str| {
        args.headers.iter().any(|h| {
            h.split([':', ';'])
                .next()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
        })
    };
    let mut lines = Vec::new();
    if let Some(ua) = args.user_agent.as_ref().filter(|_| !given("user-agent")) {
        lines.push(format!("User-Agent: {ua}"));
    }
    if let Some(r) = args.range.as_ref().filter(|_| !given("range")) {
        lines.push(format!("Range: bytes={r}"));
    }
    lines.extend(args.headers.iter().cloned());
    lines
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

#[derive(Clone)]
struct Options {
    verbose: bool,
    silent: bool,
    include: bool,
    fail: bool,
    fail_with_body: bool,
    follow: bool,
    max_redirs: u32,
    retries: u32,
    retry_delay: Option<Duration>,
    retry_on: RetryOn,
    progress: bool,
    output: Option<PathBuf>,
    create_dirs: bool,
    insecure: bool,
    client: net::ClientOptions,
}

/// What else curl's `--retry` retries, with its companion flags.
#[derive(Clone, Copy)]
struct RetryOn {
    /// `--retry-connrefused`.
    connrefused: bool,
    /// `--retry-all-errors`.
    all_errors: bool,
    /// `--retry-max-time`.
    max_time: Option<Duration>,
}

impl RetryOn {
    /// Whether a transport failure (`code`, `refused`: the connection was refused) is
    /// retried, as curl decides: timeouts and names that do not resolve always; a refused
    /// connection with `--retry-connrefused`; anything with `--retry-all-errors`.
    fn transport(self, code: u8, refused: bool) -> bool {
        self.all_errors
            || matches!(code, exit::TIMEOUT | exit::RESOLVE | 5)
            || (refused && self.connrefused)
    }
}

#[derive(Clone)]
struct Job {
    method: Method,
    uri: http::Uri,
    headers: HeaderMap,
    source: Source,
    s3: bool,
    unsigned: bool,
    aws_chunked: bool,
    signer: std::sync::Arc<Signer>,
    credentials: Credentials,
    options: Options,
    fixed_time: Option<std::time::SystemTime>,
    unsigned_defaults: Vec<(http::HeaderName, HeaderValue)>,
    streamed_upload: bool,
    /// Re-sign and retry once when the server refuses the request's time.
    retry_skew: bool,
}

fn progress_bar(len: u64, enabled: bool, what: &str) -> Option<ProgressBar> {
    if !enabled || len < PROGRESS_MIN {
        return None;
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_message(what.to_owned());
    Some(pb)
}

/// SHA-256 of a file, read in 1 MiB pieces on a blocking thread.
async fn hash_file(path: PathBuf) -> Result<String, CliError> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut f = std::fs::File::open(&path)?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(sigv4::hex(&h.finalize()))
    })
    .await
    .map_err(|e| CliError::failure(format!("hashing {shown} failed: {e}")))?
    .map_err(|e| CliError {
        message: format!("cannot read {shown}: {e}"),
        code: exit::READ,
    })
}

/// What `-w/--write-out` reports.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    http_code: u16,
    size_download: u64,
    content_type: String,
    url_effective: String,
}

impl Job {
    /// Before retry number `attempt`: warns (unless --silent) that `what` is retried and
    /// how many retries are left, then waits the pause `retry::backoff` gives.
    async fn wait_to_retry(&self, attempt: u32, retry_after: Option<&HeaderValue>, what: &str) {
        let pause = retry::backoff(attempt, self.options.retry_delay, retry_after);
        if !self.options.silent {
            eprintln!(
                "sigv4: warning: {what}; retrying in {:.1} s ({} of {} retries left)",
                pause.as_secs_f64(),
                self.options.retries - attempt,
                self.options.retries
            );
        }
        tokio::time::sleep(pause).await;
    }

    /// Builds the request for `uri` and signs it when `sign` (the original origin), or
    /// sends it unsigned (a redirect elsewhere must not carry the signature or token).
    async fn prepare(
        &self,
        method: &Method,
        uri: &http::Uri,
        sign: bool,
    ) -> Result<
        (
            Request<()>,
            Option<SigningOutput>,
            AnyBody,
            Option<ProgressBar>,
        ),
        CliError,
    > {
        let Job {
            source,
            s3,
            unsigned,
            aws_chunked,
            signer,
            credentials,
            options,
            fixed_time,
            streamed_upload,
            ..
        } = self;
        let (s3, unsigned, aws_chunked) = (*s3, *unsigned, *aws_chunked);
        let mut req = Request::builder()
            .method(method.clone())
            .uri(uri.clone())
            .body(())
            .map_err(|e| CliError::usage(format!("cannot build the request: {e}")))?;
        *req.headers_mut() = self.headers.clone();
        let endpoint = crate::skew::endpoint(uri);
        let now = match *fixed_time {
            Some(t) => t,
            None => {
                let (now, offset) = crate::skew::now(&endpoint);
                if options.verbose && offset != 0 {
                    eprintln!("* Signing at the local time {offset:+} s (the clock offset learned for {endpoint})");
                }
                now
            }
        };
        let sign_err = |e: sigv4::SigningError| CliError::failure(format!("cannot sign: {e}"));
        let sign_with = |req: &mut Request<()>, payload: Payload<'_>| {
            if sign {
                signer
                    .sign_http_request_with_payload(req, payload, credentials, now)
                    .map(Some)
                    .map_err(sign_err)
            } else {
                Ok(None)
            }
        };

        let mut upload_pb: Option<ProgressBar> = None;
        let (out, body): (Option<SigningOutput>, AnyBody) = match source {
            Source::None => {
                let payload = if unsigned {
                    Payload::Unsigned
                } else {
                    Payload::Bytes(b"")
                };
                let out = sign_with(&mut req, payload)?;
                (out, Empty::new().map_err(|e| match e {}).boxed_unsync())
            }
            Source::Bytes(bytes) => {
                let payload = if unsigned {
                    Payload::Unsigned
                } else {
                    Payload::Bytes(bytes)
                };
                let out = sign_with(&mut req, payload)?;
                // Added after signing, as curl adds it after `sign --format curl` signed.
                req.headers_mut()
                    .insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                let body = Full::new(Bytes::from(bytes.clone()))
                    .map_err(|e| match e {})
                    .boxed_unsync();
                (out, body)
            }
            Source::File { path, len } => {
                let len = *len;
                let file = tokio::fs::File::open(&path).await.map_err(|e| CliError {
                    message: format!("cannot open {}: {e}", path.display()),
                    code: exit::READ,
                })?;
                let pb = progress_bar(len, options.progress, "upload");
                upload_pb.clone_from(&pb);
                let mut reader = ReaderBody::new(file, len);
                if let Some(pb) = pb.clone() {
                    reader = reader.on_progress(move |n| pb.inc(n));
                }
                if aws_chunked {
                    if !sign {
                        return Err(CliError::failure(
                            "cannot follow a redirect to another host with --aws-chunked: its chunks are signed",
                        ));
                    }
                    let settings = ChunkedSettings::new(StreamingMode::Signed);
                    for (name, value) in settings.headers(len) {
                        let value = HeaderValue::from_str(&value)
                            .map_err(|_| CliError::failure(format!("invalid {name} value")))?;
                        req.headers_mut()
                            .insert(http::HeaderName::from_static(name), value);
                    }
                    let out = signer
                        .sign_http_request_with_payload(
                            &mut req,
                            settings.mode().payload(),
                            credentials,
                            now,
                        )
                        .map_err(sign_err)?;
                    let key = signer.signing_key(credentials, now).map_err(sign_err)?;
                    let at = AmzDate::from_system_time(now).map_err(sign_err)?;
                    let chunk_signer = ChunkSigner::new((*key).clone(), at, out.signature())
                        .map_err(|e| CliError::failure(format!("cannot sign: {e}")))?;
                    let encoder = ChunkEncoder::new(settings, Some(chunk_signer))
                        .map_err(|e| CliError::failure(format!("cannot sign: {e}")))?
                        .with_expected_length(len);
                    (Some(out), ChunkedBody::new(reader, encoder).boxed_unsync())
                } else {
                    let hash;
                    // -T to S3 streams unhashed; --data-binary @FILE is hashed like the
                    // same flags in `sign`, so both sign the same request.
                    let payload = if unsigned || (s3 && *streamed_upload) || !sign {
                        Payload::Unsigned
                    } else {
                        hash = hash_file(path.clone()).await?;
                        Payload::Precomputed(&hash)
                    };
                    let out = sign_with(&mut req, payload)?;
                    req.headers_mut()
                        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
                    (out, reader.boxed_unsync())
                }
            }
        };
        for (name, value) in &self.unsigned_defaults {
            req.headers_mut().insert(name.clone(), value.clone());
        }
        Ok((req, out, body, upload_pb))
    }

    async fn perform(mut self, stats: &mut Stats) -> Result<(), CliError> {
        if self.options.insecure && !self.options.silent {
            eprintln!(
                "sigv4: warning: --insecure: the server's certificate is not checked; anyone on the path can read the signed request"
            );
        }
        let client = net::build(&self.options.client)?;
        let first_attempt = std::time::Instant::now();
        let token = self.credentials.session_token().map(str::to_owned);
        let home = Origin::of(&self.uri);
        let mut uri = self.uri.clone();
        let mut method = self.method.clone();
        let mut redirects = 0u32;
        let mut attempt = 0u32;
        loop {
            stats.url_effective = uri.to_string();
            let same_origin = home.may_sign(&uri);
            let (req, out, body, upload_pb) = self.prepare(&method, &uri, same_origin).await?;
            if self.options.verbose {
                show_request(&req, out.as_ref(), &self.signer, token.as_deref());
            }
            let (parts, ()) = req.into_parts();
            let response = client
                .request(Request::from_parts(parts, body))
                .await
                .map_err(|e| (transport_error(&e, &uri), net::is_refused(&e)));
            if let Some(pb) = upload_pb {
                pb.finish_and_clear();
            }
            let may_retry = attempt < self.options.retries
                && self
                    .options
                    .retry_on
                    .max_time
                    .is_none_or(|max| first_attempt.elapsed() < max);
            let response = match response {
                Ok(r) => r,
                Err((e, refused))
                    if may_retry && self.options.retry_on.transport(e.code, refused) =>
                {
                    self.wait_to_retry(attempt, None, &e.message).await;
                    attempt += 1;
                    continue;
                }
                Err((e, _)) => return Err(e),
            };
            // A request refused for clock skew teaches the offset: sign again at the
            // server's time and retry, once (never with a pinned --time).
            let endpoint = crate::skew::endpoint(&uri);
            let (response, learned) =
                crate::skew::check(response, &endpoint)
                    .await
                    .map_err(|e| CliError {
                        message: format!("receiving the response failed: {e}"),
                        code: exit::RECV,
                    })?;
            if let (Some(c), true) = (learned, self.retry_skew && same_origin) {
                if self.options.verbose {
                    eprintln!("* {}; retrying once", crate::skew::describe(&c));
                }
                self.retry_skew = false;
                continue;
            }
            let status = response.status();
            stats.http_code = status.as_u16();
            stats.content_type = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();

            if self.options.follow && status.is_redirection() {
                if let Some(location) = response
                    .headers()
                    .get(http::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                {
                    if redirects >= self.options.max_redirs {
                        return Err(CliError {
                            message: format!("stopped after {redirects} redirects (--max-redirs)"),
                            code: 47,
                        });
                    }
                    if self.options.verbose {
                        eprintln!("< {} Location: {location}", status.as_u16());
                    }
                    let _ = response.into_body().collect().await;
                    let next =
                        redirect::resolve_location(&uri, &location).map_err(|e| CliError {
                            message: e.to_string(),
                            code: exit::RECV,
                        })?;
                    if !home.may_sign(&next) && same_origin {
                        eprintln!(
                            "sigv4: warning: following the redirect to {} unsigned: the signature and session token are only sent to {home}",
                            Origin::of(&next)
                        );
                    }
                    // As curl: 303 turns anything but HEAD into GET; 301/302 turn POST into
                    // GET; the body is then not sent again.
                    if let Some(m) = redirect::method_after(status, &method) {
                        method = m;
                        self.source = Source::None;
                        self.headers.remove(http::header::CONTENT_TYPE);
                    }
                    uri = next;
                    redirects += 1;
                    continue;
                }
            }

            // A retryable answer loops back; any other goes out once, below.
            let response = if may_retry {
                let retry_after = response.headers().get(http::header::RETRY_AFTER).cloned();
                let (parts, body) = response.into_parts();
                // A 400 is retried only for throttling, which its (small) body names.
                let (peeked, body) = if retry::needs_body(status) {
                    let bytes = http_body_util::Limited::new(body, 1 << 20)
                        .collect()
                        .await
                        .map(http_body_util::Collected::to_bytes)
                        .unwrap_or_default();
                    (Some(bytes), None)
                } else {
                    (None, Some(body))
                };
                // --retry-all-errors: with --fail, an HTTP error is an error too.
                let any_error =
                    self.options.retry_on.all_errors && self.options.fail && status.as_u16() >= 400;
                if any_error || retry::is_retryable(status, &parts.headers, peeked.as_deref()) {
                    // As curl: the answer that is retried is still output when it goes to
                    // standard output (curl cannot take it back); not with --fail.
                    let quiet = self.options.fail && !self.options.fail_with_body;
                    let shown = self.options.output.is_none() && !quiet && method != Method::HEAD;
                    let bytes = match (peeked, body) {
                        (Some(b), _) => b,
                        (None, Some(body)) => http_body_util::Limited::new(body, 1 << 20)
                            .collect()
                            .await
                            .map(http_body_util::Collected::to_bytes)
                            .unwrap_or_default(),
                        (None, None) => Bytes::new(),
                    };
                    if shown {
                        let mut stdout = std::io::stdout().lock();
                        let _ = stdout.write_all(&bytes);
                        let _ = stdout.flush();
                        stats.size_download += bytes.len() as u64;
                    }
                    let what = format!("HTTP {} from {}", status.as_u16(), uri);
                    self.wait_to_retry(attempt, retry_after.as_ref(), &what)
                        .await;
                    attempt += 1;
                    continue;
                }
                let body: AnyBody = match (peeked, body) {
                    (Some(bytes), _) => Full::new(bytes).map_err(|e| match e {}).boxed_unsync(),
                    (None, Some(body)) => body,
                    (None, None) => Empty::new().map_err(|e| match e {}).boxed_unsync(),
                };
                Response::from_parts(parts, body)
            } else {
                response
            };
            return handle_response(
                response,
                &method,
                &uri,
                out.as_ref(),
                token.as_deref(),
                &self.options,
                stats,
            )
            .await;
        }
    }
}

fn show_request(
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

fn shown_value(name: &str, v: &HeaderValue) -> String {
    if name == "x-amz-security-token" || name == "x-amz-s3session-token" {
        format!("<session token, {} chars>", v.len())
    } else {
        String::from_utf8_lossy(v.as_bytes()).into_owned()
    }
}

fn transport_error(e: &hyper_util::client::legacy::Error, uri: &http::Uri) -> CliError {
    // Through a proxy (5, 7, 56) or with a CA file that cannot be used (77).
    if let Some(known) = net::proxy_or_ca_failure(e) {
        return known;
    }
    let mut messages = Vec::new();
    let mut timed_out = false;
    let mut tls: Option<u8> = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
            if let Some(r) = rustls_inside(io) {
                tls = Some(tls_exit_code(r));
            }
        }
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            tls = Some(tls_exit_code(r));
        }
        let text = s.to_string();
        if !text.is_empty() && !messages.contains(&text) {
            messages.push(text);
        }
        source = s.source();
    }
    let detail = messages.last().cloned().unwrap_or_default();
    let all = messages.join(": ");
    let authority = uri.authority().map_or("", |a| a.as_str());
    if timed_out {
        return CliError {
            message: format!("connecting to {authority} timed out (--connect-timeout)"),
            code: exit::TIMEOUT,
        };
    }
    if all.contains("dns error") {
        return CliError {
            message: format!("cannot resolve host {authority}: {detail}"),
            code: exit::RESOLVE,
        };
    }
    if let Some(code) = tls {
        let hint = if code == exit::PEER_CERT {
            " (trust its CA with --cacert)"
        } else {
            " (is it an https port?)"
        };
        return CliError {
            message: format!("TLS handshake with {authority} failed: {detail}{hint}"),
            code,
        };
    }
    if is_incomplete(e) {
        return CliError {
            message: format!(
                "empty reply from {authority}: the server closed the connection without answering"
            ),
            code: exit::EMPTY_REPLY,
        };
    }
    // The TCP connection was made (hyper-util's connector names TCP failures) but the TLS
    // handshake did not finish, e.g. the server hung up on the ClientHello: curl's 35.
    if e.is_connect() && uri.scheme_str() == Some("https") && !all.contains("tcp connect error") {
        return CliError {
            message: format!("TLS handshake with {authority} failed: {all} (is it an https port?)"),
            code: exit::TLS,
        };
    }
    if e.is_connect() {
        return CliError {
            message: format!(
                "cannot connect to {authority}: {detail} (is the server running and the port right?)"
            ),
            code: exit::CONNECT,
        };
    }
    if let Some(body_err) = messages.iter().find(|m| m.contains("file ended")) {
        return CliError {
            message: format!("upload failed: {body_err}"),
            code: exit::READ,
        };
    }
    CliError {
        message: format!("the request to {authority} failed: {all}"),
        code: exit::RECV,
    }
}

/// The rustls error an I/O error wraps, through any number of I/O errors
/// (`io::Error::source` skips the error it wraps, so the chain alone never shows it).
fn rustls_inside(io: &std::io::Error) -> Option<&rustls::Error> {
    let inner = io.get_ref()?;
    match inner.downcast_ref::<rustls::Error>() {
        Some(r) => Some(r),
        None => rustls_inside(inner.downcast_ref::<std::io::Error>()?),
    }
}

/// curl's code for a failed TLS handshake: 60 when the server's certificate is not
/// trusted, 35 for anything else (such as https to a plain-HTTP port).
fn tls_exit_code(e: &rustls::Error) -> u8 {
    match e {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            exit::PEER_CERT
        }
        _ => exit::TLS,
    }
}

/// Whether the connection ended before a complete message (hyper's incomplete message).
fn is_incomplete(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether a response body ended before its announced length (hyper: an unexpected end
/// of file inside the body).
fn is_truncated(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(s) = source {
        let eof = s
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof);
        if eof || is_incomplete(s) {
            return true;
        }
        source = s.source();
    }
    false
}

fn status_line<B>(resp: &Response<B>) -> String {
    format!(
        "HTTP/1.1 {} {}",
        resp.status().as_u16(),
        resp.status().canonical_reason().unwrap_or("")
    )
}

async fn handle_response(
    response: Response<AnyBody>,
    method: &Method,
    uri: &http::Uri,
    out: Option<&SigningOutput>,
    token: Option<&str>,
    options: &Options,
    stats: &mut Stats,
) -> Result<(), CliError> {
    let status = response.status();
    if options.verbose {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "< {}", status_line(&response));
        for (n, v) in response.headers() {
            let _ = writeln!(err, "< {n}: {}", shown_value(n.as_str(), v));
        }
        let _ = writeln!(err, "<");
    }
    let mut sink = Sink::new(options.output.as_deref(), options.create_dirs);
    let write_err = |e: std::io::Error| CliError {
        message: format!("cannot write the response: {e}"),
        code: exit::WRITE,
    };
    let failing = (options.fail || options.fail_with_body) && status.as_u16() >= 400;
    // --fail prints nothing of the body; --fail-with-body prints it and still fails. As
    // curl, the headers -i asked for are written either way.
    let quiet = failing && !options.fail_with_body;
    if options.include {
        let mut head = format!("{}\r\n", status_line(&response));
        for (n, v) in response.headers() {
            head.push_str(&format!("{n}: {}\r\n", shown_value(n.as_str(), v)));
        }
        head.push_str("\r\n");
        sink.write_all(head.as_bytes()).map_err(write_err)?;
    }
    let len = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let headers = response.headers().clone();
    let mut body = response.into_body();

    if status == http::StatusCode::FORBIDDEN {
        // Small error documents: read whole to look for SignatureDoesNotMatch.
        let limited = http_body_util::Limited::new(body, 1 << 20);
        let bytes = limited
            .collect()
            .await
            .map_err(|e| CliError {
                message: format!("reading the 403 response failed: {e}"),
                code: exit::RECV,
            })?
            .to_bytes();
        if let Some(out) = out {
            explain_forbidden(&headers, &bytes, out, token);
        }
        if !quiet {
            sink.write_all(&bytes).map_err(write_err)?;
            stats.size_download += bytes.len() as u64;
        }
    } else if !quiet && method != Method::HEAD {
        let pb = progress_bar(len.unwrap_or(0), options.progress, "download");
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                // curl: 18 when the body ends before its announced length.
                let partial = is_truncated(e.as_ref());
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
            })?;
            if let Ok(data) = frame.into_data() {
                if let Some(pb) = &pb {
                    pb.inc(data.len() as u64);
                }
                sink.write_all(&data).map_err(write_err)?;
                stats.size_download += data.len() as u64;
            }
        }
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
    }
    // As curl: an -o FILE nothing was written to is created (empty) only when the transfer
    // did not fail, so `-f -o FILE` leaves an existing FILE untouched on an HTTP error.
    sink.finish(!failing).map_err(write_err)?;
    if failing {
        return Err(CliError {
            message: format!(
                "the server answered HTTP {} {} for {method} {uri} ({})",
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                if options.fail_with_body {
                    "--fail-with-body"
                } else {
                    "--fail"
                }
            ),
            code: exit::HTTP_ERROR,
        });
    }
    Ok(())
}

/// Where the response goes: standard output, or the `-o` file, opened (and truncated) at
/// the first byte written, as curl does, so a failed transfer that wrote nothing leaves an
/// existing file as it was.
enum Sink {
    Stdout(std::io::StdoutLock<'static>),
    File {
        path: PathBuf,
        file: Option<std::io::BufWriter<std::fs::File>>,
        /// `--create-dirs`: make the missing parent directories first.
        create_dirs: bool,
    },
}

impl Sink {
    /// `-o FILE` (`-o -` is standard output, as in curl).
    fn new(output: Option<&Path>, create_dirs: bool) -> Sink {
        match output {
            Some(path) if path.as_os_str() != "-" => Sink::File {
                path: path.to_owned(),
                file: None,
                create_dirs,
            },
            _ => Sink::Stdout(std::io::stdout().lock()),
        }
    }

    fn file(&mut self) -> std::io::Result<&mut dyn Write> {
        match self {
            Sink::Stdout(s) => Ok(s),
            Sink::File {
                path,
                file,
                create_dirs,
            } => match file {
                Some(f) => Ok(f),
                None => {
                    if let Some(dir) = path.parent().filter(|_| *create_dirs) {
                        std::fs::create_dir_all(dir)?;
                    }
                    let f = std::fs::File::create(&*path).map_err(|e| {
                        std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                    })?;
                    Ok(file.insert(std::io::BufWriter::new(f)))
                }
            },
        }
    }

    /// Flushes; with `create`, an output file nothing was written to is created empty.
    fn finish(&mut self, create: bool) -> std::io::Result<()> {
        if create {
            self.file()?;
        }
        match self {
            Sink::Stdout(s) => s.flush(),
            Sink::File { file: Some(f), .. } => f.flush(),
            Sink::File { file: None, .. } => Ok(()),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.finish(false)
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
