//! `sigv4 proxy`: a signing reverse proxy. Clients talk plain HTTP to it; it strips any
//! signature they sent, signs each request with the proxy's own credentials and forwards it
//! to the upstream, streaming bodies both ways.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Args, ValueEnum};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use sigv4::verify::edge::EdgePolicy;
use sigv4::{Payload, QueryPlus, Signer, SigningSettings};
use sigv4_credentials::{CachedProvider, DefaultChain, ProvideCredentials};
use sigv4_http::serve::{serve_http1, Http1Options};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::net::{self, AnyBody, BoxError, HttpClient, WireUrl};
use crate::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// `key=value` fields.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  sigv4 proxy --upstream https://search-logs.eu-west-1.es.amazonaws.com --listen 127.0.0.1:9200
  sigv4 proxy --upstream https://aps-workspaces.us-east-1.amazonaws.com --service aps
  curl http://127.0.0.1:8080/healthz

Incoming Authorization and X-Amz-* signing headers (and presigned-URL query parameters)
are dropped and each request is signed again with the proxy's credentials (the standard
chain, refreshed before they expire). Hop-by-hop headers are removed; Host is set to the
upstream's (or --sign-host).

Bodies are streamed for S3 (UNSIGNED-PAYLOAD); for other services a body is read up to
--max-body to hash it (413 beyond). At most --max-concurrency requests are in flight (503
beyond). A request target plus headers over 64 KiB gets 431; a client that does not
send its headers within --header-timeout is disconnected. SIGTERM or Ctrl-C stops
accepting and waits up to --shutdown-timeout for requests in flight.

Only listen on addresses your clients alone can reach: anyone who can connect acts with
the proxy's credentials.")]
pub struct ProxyArgs {
    /// Where to forward, http(s)://host[:port][/base-path]. Client paths are appended to the
    /// base path with '.' and '..' resolved; one that would leave it is refused (400).
    #[arg(long, value_name = "URL")]
    upstream: String,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Service to sign for (default: inferred from the upstream or --sign-host).
    #[arg(long)]
    service: Option<String>,
    /// Region to sign for (default: AWS_REGION, AWS_DEFAULT_REGION, then the host's).
    #[arg(long)]
    region: Option<String>,
    /// The Host header to sign and send upstream (default: the upstream's host).
    #[arg(long, value_name = "HOST")]
    sign_host: Option<String>,
    /// The profile to take credentials (and, without --region, the region) from; it wins
    /// over keys in the environment, as in the AWS CLI (default: AWS_PROFILE, then
    /// "default").
    #[arg(long)]
    profile: Option<String>,
    /// Sign every request at this UTC time, 2015-08-30T12:36:00Z or 20150830T123600Z
    /// (default: now, corrected by a learned clock offset). For tests and replays.
    #[arg(long, value_name = "TIME", value_parser = net::parse_time)]
    time: Option<std::time::SystemTime>,
    /// Largest clock offset learned from the upstream's clock-skew refusals (AWS allows
    /// 15 minutes). A refusal claiming a time further away is passed on, not learned from,
    /// so a hostile upstream (or anyone on a plain-http path to it) cannot make the proxy
    /// sign requests for times far in the future. Offsets are learned only from answers of
    /// the upstream the proxy signs for.
    #[arg(long, value_name = "DUR", default_value = "15m", value_parser = net::parse_duration)]
    max_clock_offset: Duration,
    /// Largest request body read to hash it (not S3), e.g. 10M; larger bodies get 413.
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = net::parse_size)]
    max_body: u64,
    /// Most requests in flight at once; more get 503.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_concurrency: usize,
    /// Sign UNSIGNED-PAYLOAD and stream bodies for any service (only if it accepts that).
    #[arg(long)]
    unsigned_payload: bool,
    #[command(flatten)]
    upstream_net: crate::net_args::UpstreamNetArgs,
    /// Longest wait for the upstream's response headers (seconds or 30s, 2m).
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = net::parse_duration)]
    upstream_timeout: Duration,
    /// Longest wait for a client's complete request headers (slow clients are disconnected).
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = net::parse_duration)]
    header_timeout: Duration,
    /// Longest wait for requests in flight at shutdown.
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = net::parse_duration)]
    shutdown_timeout: Duration,
    /// Path answered by the proxy itself with 200 "ok" (not forwarded).
    #[arg(long, value_name = "PATH", default_value = "/healthz")]
    health_path: String,
    /// Access log format (on standard error; RUST_LOG sets the level, default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// Incoming headers that belong to a signature and are replaced by the proxy's own.
const SIGNING_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "x-amz-decoded-content-length",
    "expect",
    "host",
];

struct State {
    upstream: WireUrl,
    host: HeaderValue,
    signer: Signer,
    credentials: CachedProvider,
    client: HttpClient,
    limit: Arc<Semaphore>,
    stream_bodies: bool,
    max_body: u64,
    upstream_timeout: Duration,
    health_path: String,
    /// `--time`: every request signed at this time.
    fixed_time: Option<std::time::SystemTime>,
}

/// `sigv4 proxy`.
pub fn run(args: ProxyArgs) -> Result<(), CliError> {
    init_logging(args.log_format);
    let upstream = WireUrl::parse(&args.upstream)?;
    if upstream.query.is_some() {
        return Err(CliError::usage(
            "--upstream must not have a query string: give scheme, host, port and an optional base path",
        ));
    }
    let sign_host = args
        .sign_host
        .clone()
        .unwrap_or_else(|| default_host(&upstream));
    let host = HeaderValue::from_str(&sign_host)
        .map_err(|_| CliError::usage(format!("--sign-host {sign_host:?} is not a valid host")))?;
    let bare = sign_host.split(':').next().unwrap_or(&sign_host).to_owned();
    let (region, service) = net::resolve_target(
        if args.sign_host.is_some() {
            &bare
        } else {
            &upstream.host
        },
        args.region.as_deref(),
        args.service.clone(),
        args.profile.as_deref(),
    )?;
    let region = region.into_region();
    if args.max_concurrency == 0 {
        return Err(CliError::usage("--max-concurrency must be at least 1"));
    }
    if !args.health_path.starts_with('/') {
        return Err(CliError::usage("--health-path must start with '/'"));
    }
    // A raw `+` in a client's query means a space, as AWS and form decoders read it: the
    // query is forwarded unchanged and signed with `+` as `%20`.
    let signer = Signer::new(&region, &service)
        .map_err(|e| CliError::usage(e.to_string()))?
        .with_settings(SigningSettings::for_service(&service).query_plus(QueryPlus::Space));
    let client = net::build(
        &args
            .upstream_net
            .client_options(Duration::from_secs(10), args.max_concurrency),
    )
    .map_err(|e| CliError::usage(format!("upstream TLS: {}", e.message)))?;
    if args.upstream_net.upstream_insecure {
        eprintln!(
            "sigv4: warning: --upstream-insecure: the upstream's certificate is not checked; anyone on the path can read the signed requests"
        );
    }
    crate::skew::global().set_max_offset(Some(args.max_clock_offset));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let ctx = crate::credentials::credentials_context(args.profile.as_deref());
        let credentials = CachedProvider::new(DefaultChain::new(ctx));
        // Fail at start rather than on the first request.
        let first = credentials.provide_credentials().await.map_err(|e| {
            CliError::failure(format!(
                "could not load credentials: {e} (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or use --profile)"
            ))
        })?;
        let listener = TcpListener::bind(args.listen).await.map_err(|e| {
            CliError::failure(format!("cannot listen on {}: {e}", args.listen))
        })?;
        let local = listener
            .local_addr()
            .map_err(|e| CliError::failure(format!("cannot listen: {e}")))?;
        let state = Arc::new(State {
            host,
            signer,
            credentials,
            client,
            limit: Arc::new(Semaphore::new(args.max_concurrency)),
            stream_bodies: args.unsigned_payload || sigv4::is_s3(&service),
            max_body: args.max_body,
            upstream_timeout: args.upstream_timeout,
            fixed_time: args.time,
            health_path: args.health_path.clone(),
            upstream,
        });
        tracing::info!(
            listen = %local,
            upstream = %state.upstream.to_url_string(),
            sign_host = %sign_host,
            service = %service,
            region = %region,
            credentials = first.provider_name(),
            access_key_id = first.access_key_id(),
            max_concurrency = args.max_concurrency,
            max_body = args.max_body,
            "sigv4 proxy started"
        );
        // The one line on stdout: scripts (and tests) read the address from it.
        // A closed standard output must not stop the proxy: the line is only informative.
        let _ = std::io::Write::write_all(
            &mut std::io::stdout(),
            format!("listening on http://{local}\n").as_bytes(),
        );
        serve(listener, state, args.header_timeout, args.shutdown_timeout).await;
        Ok(())
    })
}

fn default_host(u: &WireUrl) -> String {
    let default_port = if u.scheme == "https" { ":443" } else { ":80" };
    u.authority
        .strip_suffix(default_port)
        .unwrap_or(&u.authority)
        .to_owned()
}

pub(crate) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    header_timeout: Duration,
    shutdown_timeout: Duration,
) {
    let options = Http1Options::default()
        .with_header_timeout(header_timeout)
        .with_shutdown_timeout(shutdown_timeout)
        .with_max_head(MAX_HEAD);
    let signal = async {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections, waiting for requests in flight");
    };
    let handler = move |req, remote| handle(state.clone(), req, remote);
    if serve_http1(listener, options, signal, handler).await {
        tracing::info!("stopped");
    }
}

fn text_response(status: StatusCode, text: &str) -> Response<AnyBody> {
    let mut r = Response::new(
        Full::new(Bytes::from(format!("{text}\n")))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Response<AnyBody> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (response, upstream_status, note) = forward(&state, req).await;
    let status = response.status().as_u16();
    // No query string (it can carry presigned credentials), no headers, no bodies.
    tracing::info!(
        remote = %remote,
        method = %method,
        path = %path,
        status,
        upstream_status,
        duration_ms = start.elapsed().as_secs_f64() * 1000.0,
        note,
        "request"
    );
    response
}

/// Largest request target plus headers forwarded (hyper's own limit on its read buffer is
/// not exact: a head arriving in one read can exceed it).
const MAX_HEAD: usize = 64 * 1024;

/// Bytes of the request target and headers (names, values and separators).
fn head_len<B>(req: &Request<B>) -> usize {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    req.headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .fold(target, usize::saturating_add)
}

/// The client's path with `.` and `..` segments resolved (RFC 3986 §5.2.4), for appending
/// to the upstream base path; `None` when a `..` would climb above the root (out of the
/// base path) or a segment is a percent-encoded `.` or `..` (which an upstream decoding
/// the path first would resolve). Empty segments are kept: S3 keys may contain `//`.
fn client_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let mut kept: Vec<&str> = Vec::new();
    let mut ends_in_dir = false;
    for seg in rest.split('/') {
        ends_in_dir = false;
        match seg {
            "." => ends_in_dir = true,
            ".." => {
                kept.pop()?;
                ends_in_dir = true;
            }
            s if sigv4::verify::edge::is_encoded_dot_segment(s) => return None,
            s => kept.push(s),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&kept.join("/"));
    if ends_in_dir && !kept.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// What [`forward`] answers: the response, the upstream status (0 when none) and a short
/// note for the log.
type Outcome = (Response<AnyBody>, u16, &'static str);

/// An [`Outcome`] that ends [`forward`] early (boxed: it is large).
type Refused = Box<Outcome>;

/// The proxy's own answer (nothing went upstream).
fn answer(status: StatusCode, text: &str, note: &'static str) -> Outcome {
    (text_response(status, text), 0, note)
}

/// [`answer`], boxed to end [`forward`] early.
fn refuse(status: StatusCode, text: &str, note: &'static str) -> Refused {
    Box::new(answer(status, text, note))
}

/// Forwards one request, in named steps: answered locally, admitted, checked by the edge
/// policy and mapped to the upstream URI, headers prepared, signed with its body, sent,
/// and the answer relayed (re-signed once at the upstream's time after a clock-skew
/// refusal).
async fn forward(state: &State, req: Request<Incoming>) -> Outcome {
    if let Some(local) = answer_locally(state, &req) {
        return local;
    }
    let Ok(permit) = state.limit.clone().try_acquire_owned() else {
        let (mut r, status, note) = answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "sigv4 proxy: too many requests in flight, retry shortly",
            "saturated",
        );
        r.headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
        return (r, status, note);
    };
    let (mut parts, body) = req.into_parts();
    let uri = match upstream_uri(state, &parts) {
        Ok(uri) => uri,
        Err(refused) => return *refused,
    };
    let framing = BodyFraming::of(&parts.headers);
    let headers = outgoing_headers(state, std::mem::take(&mut parts.headers));
    let credentials = match state.credentials.provide_credentials().await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "no credentials to sign with");
            return answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "sigv4 proxy: no credentials to sign with (see the proxy's log)",
                "no credentials",
            );
        }
    };
    let mut out_req = Request::new(());
    *out_req.method_mut() = parts.method;
    *out_req.uri_mut() = uri;
    *out_req.headers_mut() = headers;
    // Signed at the upstream's time when a clock-skew refusal taught its offset.
    let endpoint = crate::skew::endpoint(out_req.uri());
    let now = match state.fixed_time {
        Some(t) => t,
        None => crate::skew::now(&endpoint).0,
    };
    let signing = SignedRequest {
        state,
        credentials: credentials.credentials(),
        now,
    };
    let (body, resend) = match signing.sign(&mut out_req, body, framing).await {
        Ok(signed) => signed,
        Err(refused) => return *refused,
    };
    let response = match send_upstream(state, out_req, body).await {
        Ok(r) => r,
        Err(failed) => return *failed,
    };
    // A pinned --time is what the operator asked for: never re-signed at another time.
    let resend = resend.filter(|_| state.fixed_time.is_none());
    let retried = crate::skew::proxy_retry(
        &state.signer,
        &state.client,
        state.upstream_timeout,
        credentials.credentials(),
        response,
        &endpoint,
        resend,
    )
    .await;
    relay(retried, permit)
}

/// Requests the proxy answers itself: the health path, and heads over [`MAX_HEAD`].
fn answer_locally(state: &State, req: &Request<Incoming>) -> Option<Outcome> {
    if req.uri().path() == state.health_path
        && (req.method() == http::Method::GET || req.method() == http::Method::HEAD)
    {
        return Some((text_response(StatusCode::OK, "ok"), 0, "health"));
    }
    (head_len(req) > MAX_HEAD).then(|| {
        answer(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "sigv4 proxy: the request target and headers are larger than 64 KiB",
            "headers too large",
        )
    })
}

/// The upstream URI for a request, after the edge policy of the verifying layer and
/// `sigv4 verify`: target form (no CONNECT, authority or asterisk form), framing headers,
/// unsafe path spellings (raw bytes that must be encoded, an encoded '/' or '\' forming a
/// dot segment), a raw '+' read as a space. Dot segments are then resolved under the base
/// path (keeping '//', S3 keys), and a presigned URL's signing parameters dropped (the
/// proxy's own signature replaces them).
fn upstream_uri(state: &State, parts: &http::request::Parts) -> Result<http::Uri, Refused> {
    let checked = {
        let headers: Vec<(&str, &[u8])> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        EdgePolicy::default().check(
            parts.method.as_str(),
            &parts.uri.to_string(),
            &headers,
            false,
        )
    };
    let rewritten = checked.map_err(|e| {
        refuse(
            StatusCode::BAD_REQUEST,
            &format!("sigv4 proxy: {}: {e}", e.code()),
            "refused by the edge policy",
        )
    })?;
    let (client_path_raw, client_query) = match &rewritten {
        Some(t) => t
            .split_once('?')
            .map_or((t.as_str(), None), |(p, q)| (p, Some(q))),
        None => (parts.uri.path(), parts.uri.query()),
    };
    // The client's path, with dot segments resolved: it must stay under the base path the
    // operator configured, and the upstream never sees a dot segment.
    let path = client_path(client_path_raw).ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            "sigv4 proxy: the path leaves the upstream base path or has an encoded '.' or '..' segment",
            "path escapes base",
        )
    })?;
    let base = state.upstream.path.trim_end_matches('/');
    let mut target = format!(
        "{}://{}{}{}",
        state.upstream.scheme, state.upstream.authority, base, path
    );
    if let Some(q) = client_query {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or("");
                // The core's list: a presigned URL's parameters (S3 Express and SigV4a
                // ones included), dropped from incoming requests.
                !sigv4::SIGNING_QUERY_PARAMS
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(name))
            })
            .collect();
        if !kept.is_empty() {
            target.push('?');
            target.push_str(&kept.join("&"));
        }
    }
    target.parse().map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "sigv4 proxy: invalid request target",
            "bad target",
        )
    })
}

/// How the client delimited its body.
#[derive(Clone, Copy)]
struct BodyFraming {
    declared_len: Option<u64>,
    chunked: bool,
}

impl BodyFraming {
    fn of(headers: &http::HeaderMap) -> Self {
        BodyFraming {
            declared_len: headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok()),
            chunked: headers.get(http::header::TRANSFER_ENCODING).is_some(),
        }
    }
}

/// The client's headers without hop-by-hop and signing headers, with the upstream's Host.
fn outgoing_headers(state: &State, mut headers: http::HeaderMap) -> http::HeaderMap {
    net::strip_hop_by_hop(&mut headers);
    for h in SIGNING_HEADERS {
        headers.remove(*h);
    }
    headers.insert(http::header::HOST, state.host.clone());
    headers
}

/// Signs one outgoing request with its body.
struct SignedRequest<'a> {
    state: &'a State,
    credentials: &'a sigv4::Credentials,
    now: std::time::SystemTime,
}

impl SignedRequest<'_> {
    /// Signs `out_req`: streamed with UNSIGNED-PAYLOAD (S3, --unsigned-payload) or read
    /// whole (up to --max-body) and hashed. Returns the body to send and, when it can be
    /// sent again, what a clock-skew retry needs.
    async fn sign(
        &self,
        out_req: &mut Request<()>,
        body: Incoming,
        framing: BodyFraming,
    ) -> Result<(AnyBody, Option<crate::skew::Resend>), Refused> {
        let state = self.state;
        if state.stream_bodies {
            self.sign_with(out_req, Payload::Unsigned)?;
            let empty = !framing.chunked && framing.declared_len.unwrap_or(0) == 0;
            let resend = empty.then(|| crate::skew::Resend::new(out_req, Bytes::new(), true));
            let body = body.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync();
            return Ok((body, resend));
        }
        if framing.declared_len.is_some_and(|n| n > state.max_body) {
            return Err(Box::new(too_large(state.max_body)));
        }
        let limit = usize::try_from(state.max_body).unwrap_or(usize::MAX);
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) if e.is::<LengthLimitError>() => {
                return Err(Box::new(too_large(state.max_body)))
            }
            Err(e) => {
                tracing::debug!(error = %e, "reading the request body failed");
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "sigv4 proxy: the request body could not be read",
                    "body read error",
                ));
            }
        };
        if !bytes.is_empty() || framing.declared_len.is_some() || framing.chunked {
            out_req
                .headers_mut()
                .insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        }
        self.sign_with(out_req, Payload::Bytes(&bytes))?;
        let resend = crate::skew::Resend::new(out_req, bytes.clone(), false);
        let body = Full::new(bytes).map_err(|e| match e {}).boxed_unsync();
        Ok((body, Some(resend)))
    }

    fn sign_with(&self, out_req: &mut Request<()>, payload: Payload<'_>) -> Result<(), Refused> {
        self.state
            .signer
            .sign_http_request_with_payload(out_req, payload, self.credentials, self.now)
            .map(|_| ())
            .map_err(|e| Box::new(sign_failed(&e)))
    }
}

/// Sends the signed request, within --upstream-timeout.
async fn send_upstream(
    state: &State,
    out_req: Request<()>,
    body: AnyBody,
) -> Result<Response<Incoming>, Refused> {
    let (p, ()) = out_req.into_parts();
    let sent = tokio::time::timeout(
        state.upstream_timeout,
        state.client.request(Request::from_parts(p, body)),
    )
    .await;
    match sent {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => {
            let mut detail = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                detail = s.to_string();
                src = s.source();
            }
            tracing::warn!(error = %detail, "upstream request failed");
            Err(refuse(
                StatusCode::BAD_GATEWAY,
                "sigv4 proxy: the upstream could not be reached",
                "upstream error",
            ))
        }
        Err(_) => Err(refuse(
            StatusCode::GATEWAY_TIMEOUT,
            "sigv4 proxy: the upstream did not answer in time",
            "upstream timeout",
        )),
    }
}

/// The upstream's answer (or the clock-skew retry's outcome) for the client, hop-by-hop
/// headers removed, its body holding the concurrency slot until it is done.
fn relay(
    retried: Result<Response<Incoming>, Response<AnyBody>>,
    permit: OwnedSemaphorePermit,
) -> Outcome {
    let response = match retried {
        Ok(r) => r,
        Err(mut done) => {
            net::strip_hop_by_hop(done.headers_mut());
            let status = done.status().as_u16();
            return (done, status, "");
        }
    };
    let upstream_status = response.status().as_u16();
    let (mut rparts, rbody) = response.into_parts();
    net::strip_hop_by_hop(&mut rparts.headers);
    let body = PermitBody {
        inner: rbody,
        _permit: permit,
    };
    (
        Response::from_parts(rparts, body.boxed_unsync()),
        upstream_status,
        "",
    )
}

fn too_large(limit: u64) -> Outcome {
    answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("sigv4 proxy: the request body is larger than --max-body ({limit} bytes)"),
        "body too large",
    )
}

fn sign_failed(e: &sigv4::SigningError) -> Outcome {
    tracing::warn!(error = %e, "cannot sign the request");
    answer(
        StatusCode::BAD_REQUEST,
        &format!("sigv4 proxy: cannot sign this request: {e}"),
        "sign error",
    )
}

/// The upstream's response body, holding a concurrency slot until it is done.
struct PermitBody {
    inner: Incoming,
    _permit: OwnedSemaphorePermit,
}

impl Body for PermitBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map_err(|e| -> BoxError { Box::new(e) })
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::client_path;

    #[test]
    fn client_paths_stay_under_the_base() {
        for (p, want) in [
            ("/", Some("/")),
            ("/a/b", Some("/a/b")),
            ("/a//b/", Some("/a//b/")),
            ("/a/../b", Some("/b")),
            ("/a/./b/.", Some("/a/b/")),
            ("/a/..", Some("/")),
            ("/..", None),
            ("/../admin/secret", None),
            ("/a/../../admin", None),
            ("/a/%2e%2e/admin", None),
            ("/%2E/x", None),
        ] {
            assert_eq!(client_path(p).as_deref(), want, "{p}");
        }
    }
}
