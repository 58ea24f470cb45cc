//! `sigv4 gateway`: secretless AWS access. Arguments in, a `sigv4_http::gateway` plan out;
//! everything else is the library's.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use sigv4_credentials::{CachedProvider, DefaultChain, Env, ProvideCredentials, ProviderContext};
use sigv4_http::gateway::{
    AuditSink, AuditWriter, Endpoints, Gateway, GatewayConfig, HyperUpstream, UpstreamUrl,
};
use sigv4_http::tower::FileKeys;

use crate::net;
use crate::proxy::{init_logging, shutdown_signal, LogFormat};
use crate::CliError;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  sigv4 gateway --keys keys.toml --listen 127.0.0.1:8080 --audit-log audit.jsonl
  # in the sandbox:
  AWS_ENDPOINT_URL=http://127.0.0.1:8080 AWS_ACCESS_KEY_ID=AKIDSANDBOX0001 \\
    AWS_SECRET_ACCESS_KEY=... aws s3 ls s3://sandbox-bucket

Each request is verified with the sandbox key it was signed with (keys file, TOML
[[key]] entries: access_key_id, secret_access_key, optional principal, services,
regions, s3_buckets globs, expires, role_arn), checked against the key's limits, signed
again with the gateway's own credentials (the standard chain or --profile; a key's
role_arn is assumed through STS) and forwarded to the service's endpoint, streaming.
Refusals are AWS errors (403 InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied)
and never reach the service. SIGHUP reloads the keys file (so does a change, checked
every --keys-poll); SIGTERM or Ctrl-C stops accepting and waits for requests in flight.

Only the gateway holds real credentials: run it where the sandbox cannot read its
environment, files or memory. See SECURITY.md for the threat model.")]
pub struct GatewayArgs {
    /// The keys file (TOML [[key]] entries).
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// Address to listen on (port 0 picks a free port; the address is printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Send every service to this URL instead of AWS (http(s)://host[:port]).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Send one service (its signing name) to URL; repeatable; wins over --endpoint-url.
    #[arg(long = "endpoint", value_name = "SERVICE=URL")]
    endpoints: Vec<String>,
    /// The profile holding the gateway's own credentials (default: AWS_PROFILE, then the
    /// standard chain).
    #[arg(long)]
    profile: Option<String>,
    /// Where to write the audit log, one JSON line per request ("-" for stdout).
    #[arg(long, value_name = "FILE|-")]
    audit_log: Option<String>,
    /// Most requests in flight at once; more get 503 SlowDown.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_concurrency: usize,
    /// Path answered 200 "ok" by the gateway itself.
    #[arg(long, value_name = "PATH", default_value = "/health")]
    health_path: String,
    /// Host names under which S3 is virtual-hosted (BUCKET.NAME); repeatable.
    #[arg(
        long = "virtual-host",
        value_name = "NAME",
        default_value = "localhost"
    )]
    virtual_hosts: Vec<String>,
    /// Largest non-S3 body read to check its hash (e.g. 16M); larger ones get 413.
    #[arg(long, value_name = "SIZE", default_value = "16M", value_parser = net::parse_size)]
    max_body: u64,
    /// Longest wait for the upstream's response headers.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = net::parse_duration)]
    upstream_timeout: Duration,
    /// Longest wait for a client's request headers.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = net::parse_duration)]
    header_timeout: Duration,
    /// Longest wait for requests in flight at shutdown.
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = net::parse_duration)]
    shutdown_timeout: Duration,
    /// Also reload the keys file when it changes, checked at this interval (0: SIGHUP only).
    #[arg(long, value_name = "DUR", default_value = "2s", value_parser = net::parse_duration)]
    keys_poll: Duration,
    /// Log format on standard error (RUST_LOG sets the level, default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// The endpoints the arguments name.
fn endpoints(args: &GatewayArgs) -> Result<Endpoints, CliError> {
    let parse = |u: &str| UpstreamUrl::parse(u).map_err(|e| CliError::usage(e.to_string()));
    let mut e = match &args.endpoint_url {
        Some(u) => Endpoints::all_to(parse(u)?),
        None => Endpoints::aws(),
    };
    for spec in &args.endpoints {
        let (service, url) = spec
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--endpoint {spec:?}: expected SERVICE=URL")))?;
        e = e.with_service(service.trim(), parse(url.trim())?);
    }
    Ok(e)
}

/// The credentials context: the real environment, with STS pointed at the gateway's STS
/// upstream when one is configured (roles are assumed there).
fn provider_context(args: &GatewayArgs, endpoints: &Endpoints) -> ProviderContext {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    if let Some(sts) = endpoints.override_for("sts") {
        vars.retain(|(k, _)| k != "AWS_ENDPOINT_URL_STS");
        vars.push(("AWS_ENDPOINT_URL_STS".into(), sts.to_string()));
    }
    let mut ctx = ProviderContext::default().with_env(Env::from_pairs(vars));
    if let Some(p) = &args.profile {
        ctx = ctx.with_profile_name(p);
    }
    ctx
}

fn audit_sink(spec: Option<&str>) -> Result<Arc<dyn AuditSink>, CliError> {
    Ok(match spec {
        None => Arc::new(|_: &sigv4_http::gateway::AuditRecord| {}),
        Some("-") => Arc::new(AuditWriter::new(std::io::stdout())),
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| CliError::usage(format!("--audit-log {path}: {e}")))?;
            Arc::new(AuditWriter::new(f))
        }
    })
}

/// `sigv4 gateway`.
pub fn run(args: GatewayArgs) -> Result<(), CliError> {
    init_logging(args.log_format);
    if !args.health_path.starts_with('/') {
        return Err(CliError::usage("--health-path must start with '/'"));
    }
    if args.max_concurrency == 0 {
        return Err(CliError::usage("--max-concurrency must be at least 1"));
    }
    let keys = Arc::new(FileKeys::open(&args.keys).map_err(|e| CliError::usage(e.to_string()))?);
    let endpoints = endpoints(&args)?;
    let ctx = provider_context(&args, &endpoints);
    let audit = audit_sink(args.audit_log.as_deref())?;
    let upstream = HyperUpstream::new(args.max_concurrency)
        .map_err(|e| CliError::failure(format!("cannot set up TLS: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let real = Arc::new(CachedProvider::new(DefaultChain::new(ctx.clone())));
        // Fail at start rather than on the first request.
        let first = real.provide_credentials().await.map_err(|e| {
            CliError::failure(format!(
                "could not load the gateway's credentials: {e} (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or use --profile)"
            ))
        })?;
        let poll = (!args.keys_poll.is_zero()).then_some(args.keys_poll);
        let _watch = keys.watch(poll);
        let config = GatewayConfig::new(keys.clone(), real, ctx)
            .with_endpoints(endpoints)
            .with_audit(audit)
            .with_max_concurrency(args.max_concurrency)
            .with_max_body(usize::try_from(args.max_body).unwrap_or(usize::MAX))
            .with_upstream_timeout(args.upstream_timeout)
            .with_header_timeout(args.header_timeout)
            .with_shutdown_timeout(args.shutdown_timeout)
            .with_health_path(args.health_path.clone())
            .with_virtual_host_suffixes(args.virtual_hosts.clone());
        let gateway = Gateway::new(config, Arc::new(upstream));
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::failure(format!("cannot listen on {}: {e}", args.listen)))?;
        let local = listener
            .local_addr()
            .map_err(|e| CliError::failure(format!("cannot listen: {e}")))?;
        tracing::info!(
            listen = %local,
            keys = keys.access_key_ids().len(),
            credentials = first.provider_name(),
            access_key_id = first.access_key_id(),
            "sigv4 gateway started"
        );
        println!("listening on http://{local}");
        gateway.serve(listener, shutdown_signal()).await;
        tracing::info!("stopped");
        Ok(())
    })
}
