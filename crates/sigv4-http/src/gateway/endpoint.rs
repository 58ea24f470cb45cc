//! Where the gateway sends a request signed for a service and region.
use std::collections::HashMap;
use std::fmt;

/// An upstream base URL: scheme, authority and optional base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    scheme: String,
    authority: String,
    base_path: String,
}

/// An invalid endpoint URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid endpoint URL {0:?}: expected http(s)://host[:port][/base-path] without a query")]
pub struct InvalidEndpoint(pub String);

impl UpstreamUrl {
    /// Parses `http(s)://host[:port][/base-path]`.
    pub fn parse(url: &str) -> Result<Self, InvalidEndpoint> {
        let bad = || InvalidEndpoint(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" || rest.contains(['?', '#', '@']) {
            return Err(bad());
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.parse::<http::uri::Authority>().is_err() {
            return Err(bad());
        }
        Ok(UpstreamUrl {
            scheme,
            authority: authority.to_ascii_lowercase(),
            base_path: path.to_owned(),
        })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `host[:port]` as given.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The `Host` header to send and sign: the authority without the scheme's default port.
    pub fn host_header(&self) -> &str {
        let default = if self.scheme == "https" {
            ":443"
        } else {
            ":80"
        };
        self.authority
            .strip_suffix(default)
            .unwrap_or(&self.authority)
    }

    /// The URL of `path_and_query` (origin form) under this base.
    pub fn join(&self, path_and_query: &str) -> String {
        format!(
            "{}://{}{}{}",
            self.scheme, self.authority, self.base_path, path_and_query
        )
    }
}

impl fmt::Display for UpstreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.base_path)
    }
}

/// How the gateway finds the upstream of a service and region: one URL for every service
/// (`--endpoint-url`), per-service overrides (`--endpoint SERVICE=URL`), else AWS's own
/// endpoint.
///
/// ```
/// use sigv4_http::gateway::{Endpoints, UpstreamUrl};
///
/// let e = Endpoints::aws();
/// assert_eq!(e.resolve("sqs", "eu-west-1").to_string(), "https://sqs.eu-west-1.amazonaws.com");
/// assert_eq!(e.resolve("iam", "us-east-1").to_string(), "https://iam.amazonaws.com");
/// assert_eq!(e.resolve("sqs", "cn-north-1").to_string(), "https://sqs.cn-north-1.amazonaws.com.cn");
/// let e = e.with_service("s3", UpstreamUrl::parse("http://127.0.0.1:9000")?);
/// assert_eq!(e.resolve("s3", "us-east-1").to_string(), "http://127.0.0.1:9000");
/// # Ok::<(), sigv4_http::gateway::InvalidEndpoint>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    all: Option<UpstreamUrl>,
    per_service: HashMap<String, UpstreamUrl>,
}

impl Endpoints {
    /// AWS's endpoints for every service.
    pub fn aws() -> Self {
        Self::default()
    }

    /// Every service to `url`.
    pub fn all_to(url: UpstreamUrl) -> Self {
        Endpoints {
            all: Some(url),
            per_service: HashMap::new(),
        }
    }

    /// `service` (signing name) to `url`.
    pub fn with_service(mut self, service: impl Into<String>, url: UpstreamUrl) -> Self {
        self.per_service.insert(service.into(), url);
        self
    }

    /// The override for `service`, if any (per service, else the one for all).
    pub fn override_for(&self, service: &str) -> Option<&UpstreamUrl> {
        self.per_service.get(service).or(self.all.as_ref())
    }

    /// The upstream of a request signed for `service` in `region`.
    pub fn resolve(&self, service: &str, region: &str) -> UpstreamUrl {
        if let Some(u) = self.override_for(service) {
            return u.clone();
        }
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        // Global services sign for us-east-1 and have one endpoint; a few endpoint
        // prefixes differ from the signing name.
        let host = match service {
            "iam" | "route53" | "cloudfront" | "globalaccelerator" | "shield"
                if !region.starts_with("cn-") =>
            {
                format!("{service}.{suffix}")
            }
            "ses" => format!("email.{region}.{suffix}"),
            "monitoring" | "cloudwatch" => format!("monitoring.{region}.{suffix}"),
            _ => format!("{service}.{region}.{suffix}"),
        };
        UpstreamUrl {
            scheme: "https".into(),
            authority: host,
            base_path: String::new(),
        }
    }
}
