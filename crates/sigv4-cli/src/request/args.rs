//! The command line of `sigv4 request`: curl's flags, as clap parses them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::curl_args::BodyArgs;
use crate::net;

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
56 receive, 60 untrusted certificate, 61 undecodable --compressed body, 77 CA file).")]
pub struct RequestArgs {
    /// The URL exactly as it goes on the wire (already percent-encoded, like curl).
    pub(super) url: String,
    /// HTTP method (default: GET; POST with -d/--data-binary; PUT with -T; HEAD with -I).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub(super) method: Option<String>,
    /// A header to send and sign, 'Name: value' (repeatable). 'Name:' removes a default
    /// header, 'Name;' sends an empty value.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub(super) headers: Vec<String>,
    /// The body flags, as in curl (a lone --data-binary @FILE is streamed from disk).
    #[command(flatten)]
    pub body: BodyArgs,
    /// Upload FILE, streamed from disk (never read into memory). For S3 the payload is
    /// signed as UNSIGNED-PAYLOAD (or aws-chunked with --aws-chunked); for other services
    /// the file is hashed first, then sent. A URL ending in '/' gets the file name added.
    #[arg(short = 'T', long = "upload-file", value_name = "FILE", conflicts_with_all = ["data", "data_binary", "data_raw", "data_urlencode", "json", "get"])]
    pub(super) upload_file: Option<PathBuf>,
    /// For S3 uploads from a file: send aws-chunked with every chunk signed
    /// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) instead of UNSIGNED-PAYLOAD.
    #[arg(long)]
    pub(super) aws_chunked: bool,
    /// Sign UNSIGNED-PAYLOAD instead of the body's hash (services that accept it, like S3).
    #[arg(long, conflicts_with = "aws_chunked")]
    pub(super) unsigned_payload: bool,
    /// Write the response body to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Write the response body to a file in the current directory named as the URL's last
    /// path segment (as given, query left out), as curl does.
    #[arg(short = 'O', long = "remote-name", conflicts_with = "output")]
    pub(super) remote_name: bool,
    /// Write every response head (each hop with -L) to FILE, as received; '-' is standard
    /// output.
    #[arg(short = 'D', long = "dump-header", value_name = "FILE")]
    pub(super) dump_header: Option<PathBuf>,
    /// Ask for a compressed response (Accept-Encoding: deflate, gzip, br, zstd, sent but not
    /// signed, as curl sends it) and write it decompressed.
    #[arg(long)]
    pub(super) compressed: bool,
    /// curl's simple progress bar on standard error ('#' up to the share done, then the
    /// percentage) instead of the default meter.
    #[arg(short = '#', long = "progress-bar")]
    pub(super) progress_bar: bool,
    /// The access key and secret to sign with, as curl's --aws-sigv4 takes them
    /// (ACCESS_KEY:SECRET; a third field, ACCESS_KEY:SECRET:SESSION_TOKEN, adds a session
    /// token). Wins over --profile and the environment.
    #[arg(short = 'u', long = "user", value_name = "AK:SK", value_parser = parse_user)]
    pub(super) user: Option<Box<sigv4::Credentials>>,
    /// The User-Agent to send (sent, not signed, like curl's default); a -H User-Agent wins.
    #[arg(short = 'A', long = "user-agent", value_name = "NAME")]
    pub(super) user_agent: Option<String>,
    /// Ask for a byte range only, curl's form: 0-499, 500-, -500 (sent as Range: bytes=...,
    /// and signed); a -H Range wins.
    #[arg(short = 'r', long = "range", value_name = "RANGE")]
    pub(super) range: Option<String>,
    /// Create the directories -o's file needs.
    #[arg(long)]
    pub(super) create_dirs: bool,
    /// No progress bar (curl's --no-progress-meter); error messages are still shown.
    #[arg(long)]
    pub(super) no_progress_meter: bool,
    /// Include the response status line and headers in the output.
    #[arg(short = 'i', long = "include")]
    pub(super) include: bool,
    /// Send a HEAD request and show the response headers.
    #[arg(short = 'I', long = "head")]
    pub(super) head: bool,
    /// Show the canonical request, string to sign and the headers sent and received on
    /// standard error (the session token is never shown).
    #[arg(short = 'v', long)]
    pub(super) verbose: bool,
    /// No progress bar and, as in curl, no error message (unless -S).
    #[arg(short = 's', long)]
    pub(super) silent: bool,
    /// With -s, still show the error message when it fails.
    #[arg(short = 'S', long)]
    pub(super) show_error: bool,
    /// Fail with exit code 22 and no body output when the server answers with HTTP >= 400.
    #[arg(short = 'f', long, conflicts_with = "fail_with_body")]
    pub(super) fail: bool,
    /// Fail with exit code 22 when the server answers with HTTP >= 400, but still output
    /// the body.
    #[arg(long)]
    pub(super) fail_with_body: bool,
    /// After the transfer, print FORMAT on standard output: %{http_code},
    /// %{size_download}, %{time_total}, %{url_effective}, %{content_type}, %{exitcode},
    /// \n, \t, %%. @FILE reads the format from a file.
    #[arg(short = 'w', long, value_name = "FORMAT")]
    pub(super) write_out: Option<String>,
    /// Follow redirects (3xx with Location). Re-signed only while they stay on the same
    /// scheme, host and port; elsewhere they are sent unsigned (no signature, no token).
    #[arg(short = 'L', long)]
    pub(super) location: bool,
    /// At most this many redirects with -L.
    #[arg(long, value_name = "NUM", default_value_t = 50)]
    pub(super) max_redirs: u32,
    /// Retry up to NUM times on transient errors, as curl: HTTP 408, 429, 500, 502, 503,
    /// 504, AWS throttling errors, timeouts and host names that do not resolve (not a
    /// refused connection: see --retry-connrefused); waits 1 s, doubling each time (or
    /// Retry-After), unless --retry-delay.
    #[arg(long, value_name = "NUM", default_value_t = 0)]
    pub(super) retry: u32,
    /// With --retry, also retry when the connection is refused.
    #[arg(long)]
    pub(super) retry_connrefused: bool,
    /// With --retry, retry on any error (with --fail, HTTP >= 400 too).
    #[arg(long)]
    pub(super) retry_all_errors: bool,
    /// With --retry, no new attempt once this long has passed since the first one
    /// (seconds or 2m etc.).
    #[arg(long, value_name = "SECS", value_parser = net::parse_duration)]
    pub(super) retry_max_time: Option<Duration>,
    /// A fixed wait between retries instead of the doubling backoff (seconds or 2m etc.).
    #[arg(long, value_name = "SECS", value_parser = net::parse_duration)]
    pub(super) retry_delay: Option<Duration>,
    /// curl's SigV4 option, "aws:amz[:REGION[:SERVICE]]": sets the region and service
    /// (the same as --region and --service).
    #[arg(long, value_name = "PROVIDER")]
    pub(super) aws_sigv4: Option<String>,
    /// The profile to take credentials from (default: AWS_PROFILE, then "default").
    #[arg(long)]
    pub(super) profile: Option<String>,
    /// Region to sign for (default: the region in an AWS hostname, then AWS_REGION,
    /// AWS_DEFAULT_REGION, then the profile's `region` in ~/.aws/config).
    #[arg(long)]
    pub(super) region: Option<String>,
    /// Signing time in UTC, 2015-08-30T12:36:00Z or 20150830T123600Z (default: now).
    #[arg(long, value_name = "TIME")]
    pub(super) time: Option<String>,
    /// Service to sign for, e.g. s3, execute-api, es (default: inferred from an AWS hostname).
    #[arg(long)]
    pub(super) service: Option<String>,
    /// TLS and proxy options (-k, --cacert, --capath, -x, --noproxy).
    #[command(flatten)]
    pub(super) net: crate::net_args::CurlNetArgs,
    /// Give up connecting after this long, in seconds (10, 1.5) or with a unit (2m).
    #[arg(long, value_name = "SECS", value_parser = net::parse_duration)]
    pub(super) connect_timeout: Option<Duration>,
    /// Give up on the whole transfer after this long, in seconds (30, 0.5) or with a unit (30m, 2h).
    #[arg(short = 'm', long, value_name = "SECS", value_parser = net::parse_duration)]
    pub(super) max_time: Option<Duration>,
}

impl RequestArgs {
    /// The `-H` lines with `-A` and `-r` added as curl adds them (a `-H` of the same name wins).
    pub(super) fn header_lines(&self) -> Vec<String> {
        let given = |name: &str| {
            self.headers.iter().any(|h| {
                h.split([':', ';'])
                    .next()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
            })
        };
        let mut lines = Vec::new();
        if let Some(ua) = self.user_agent.as_ref().filter(|_| !given("user-agent")) {
            lines.push(format!("User-Agent: {ua}"));
        }
        if let Some(r) = self.range.as_ref().filter(|_| !given("range")) {
            lines.push(format!("Range: bytes={r}"));
        }
        lines.extend(self.headers.iter().cloned());
        lines
    }
}

/// `-u ACCESS_KEY:SECRET[:SESSION_TOKEN]` (an AWS secret never holds a ':').
fn parse_user(value: &str) -> Result<Box<sigv4::Credentials>, String> {
    let mut parts = value.splitn(3, ':');
    let (Some(key), Some(secret)) = (parts.next(), parts.next()) else {
        return Err(
            "give the access key and the secret as ACCESS_KEY:SECRET (sigv4 does not prompt for the secret)"
                .into(),
        );
    };
    if key.is_empty() || secret.is_empty() {
        return Err("the access key and the secret must not be empty".into());
    }
    let token = parts.next().filter(|t| !t.is_empty()).map(str::to_owned);
    Ok(Box::new(sigv4::Credentials::new(key, secret, token, None)))
}
