//! The command-line options that shape the HTTP client: curl's TLS and proxy options for
//! `request`, and the same for the upstream of `proxy`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::net::ClientOptions;
use crate::outbound_proxy::Proxies;
use crate::trust::{real_env, TlsOptions};

/// curl's TLS and proxy options (`request`).
#[derive(Debug, Clone, Args)]
pub struct CurlNetArgs {
    /// Accept any server certificate (curl's -k): the connection is encrypted but the
    /// server is not authenticated. Warns on stderr (unless -s).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file instead of the built-in Mozilla roots
    /// (a self-signed server certificate may be its own CA, as in curl). Without it:
    /// AWS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE, then the built-in roots.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Trust the CA certificates of this OpenSSL hashed directory (files named by
    /// `openssl rehash`, HHHHHHHH.0), as curl.
    #[arg(long, value_name = "DIR")]
    pub capath: Option<PathBuf>,
    /// Send the request through this HTTP proxy, [http://][user:password@]host[:port]
    /// (port 1080 by default); '' for none. Default: http_proxy (http targets),
    /// https_proxy or HTTPS_PROXY (https targets), all_proxy or ALL_PROXY, as curl.
    #[arg(short = 'x', long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Hosts reached without the proxy: comma-separated names (subdomains included) or
    /// IP addresses (CIDR allowed); '*' for all. Default: no_proxy or NO_PROXY.
    #[arg(long, value_name = "LIST")]
    pub noproxy: Option<String>,
    /// USER:PASSWORD for the proxy (Proxy-Authorization: Basic), when its URL carries
    /// none (credentials in the URL win, as in curl).
    #[arg(short = 'U', long, value_name = "USER:PASSWORD", value_parser = user_password)]
    pub proxy_user: Option<String>,
}

/// curl asks for the password when `-U` has no `:`; sigv4 never prompts.
fn user_password(v: &str) -> Result<String, String> {
    if v.contains(':') {
        Ok(v.to_owned())
    } else {
        Err("give USER:PASSWORD (sigv4 does not prompt for the password, as curl does)".into())
    }
}

impl CurlNetArgs {
    /// The client options for a `request` (one connection at a time, CA file errors
    /// failing the TLS connections only, as curl).
    pub fn client_options(&self, connect_timeout: Option<Duration>) -> ClientOptions {
        ClientOptions {
            connect_timeout,
            pool_idle_per_host: 1,
            tls: TlsOptions {
                cacert: self.cacert.clone(),
                capath: self.capath.clone(),
                insecure: self.insecure,
            },
            proxies: Proxies::new(self.proxy.as_deref(), self.noproxy.as_deref(), real_env)
                .with_user(self.proxy_user.as_deref()),
            lazy_ca_errors: true,
            heads: None,
        }
    }
}

/// The same options for the upstream of `sigv4 proxy`.
#[derive(Debug, Clone, Args)]
pub struct UpstreamNetArgs {
    /// Trust the CA certificates in this PEM file for an https upstream, instead of the
    /// built-in Mozilla roots (default: AWS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE).
    #[arg(long, value_name = "FILE")]
    pub upstream_cacert: Option<PathBuf>,
    /// Trust the CA certificates of this OpenSSL hashed directory for an https upstream.
    #[arg(long, value_name = "DIR")]
    pub upstream_capath: Option<PathBuf>,
    /// Accept any certificate from an https upstream (warns at start).
    #[arg(long)]
    pub upstream_insecure: bool,
    /// Reach the upstream through this HTTP proxy, [http://][user:password@]host[:port];
    /// '' for none (default: the proxy environment variables, as curl reads them).
    #[arg(long, value_name = "URL")]
    pub upstream_proxy: Option<String>,
    /// Upstream hosts reached without the proxy (as curl's --noproxy; default: no_proxy
    /// or NO_PROXY).
    #[arg(long, value_name = "LIST")]
    pub upstream_noproxy: Option<String>,
}

impl UpstreamNetArgs {
    /// The client options for the proxy's upstream (CA file errors fail at start).
    pub fn client_options(&self, connect_timeout: Duration, pool: usize) -> ClientOptions {
        ClientOptions {
            connect_timeout: Some(connect_timeout),
            pool_idle_per_host: pool,
            tls: TlsOptions {
                cacert: self.upstream_cacert.clone(),
                capath: self.upstream_capath.clone(),
                insecure: self.upstream_insecure,
            },
            proxies: Proxies::new(
                self.upstream_proxy.as_deref(),
                self.upstream_noproxy.as_deref(),
                real_env,
            ),
            lazy_ca_errors: false,
            heads: None,
        }
    }
}
