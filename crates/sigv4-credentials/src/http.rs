//! A small, pluggable async HTTP client for the providers that call a service
//! (STS, SSO, container and instance metadata endpoints).
//!
//! Bring your own client by implementing [`HttpClient`]; the default one
//! ([`HyperClient`], feature `hyper-client`, on by default) uses hyper 1.x,
//! one connection per request, with HTTPS through rustls (feature `rustls`).

use std::fmt;
use std::time::Duration;

use thiserror::Error;

use crate::util::BoxFuture;

/// Limits for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpRequestOptions {
    /// How long to wait for the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How long the whole exchange may take, connection included.
    pub timeout: Duration,
    /// The largest response body accepted.
    pub max_response_bytes: usize,
}

impl Default for HttpRequestOptions {
    fn default() -> Self {
        HttpRequestOptions {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            max_response_bytes: 1024 * 1024,
        }
    }
}

impl HttpRequestOptions {
    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Sets the total timeout.
    pub fn with_timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
}

/// Why an HTTP exchange failed (no status was received). Messages never
/// contain request bodies or headers.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The request cannot be sent (no host, unsupported scheme ...).
    #[error("invalid HTTP request: {0}")]
    InvalidRequest(String),
    /// The connection could not be made (refused, unreachable, DNS, TLS).
    #[error("could not connect to {endpoint}: {message}")]
    Connect {
        /// `host:port`.
        endpoint: String,
        /// Why.
        message: String,
    },
    /// The connection was not made within the connect timeout.
    #[error("timed out after {after:?} connecting to {endpoint}")]
    ConnectTimeout {
        /// `host:port`.
        endpoint: String,
        /// The connect timeout.
        after: Duration,
    },
    /// The exchange did not finish within the timeout.
    #[error("HTTP request timed out after {0:?}")]
    Timeout(Duration),
    /// The connection broke or the response was malformed.
    #[error("HTTP I/O error: {0}")]
    Io(String),
    /// The response body was larger than allowed.
    #[error("HTTP response body is larger than {0} bytes")]
    ResponseTooLarge(usize),
}

impl HttpError {
    /// Whether the failure was a timeout (connect or total).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            HttpError::Timeout(_) | HttpError::ConnectTimeout { .. }
        )
    }

    /// Whether no connection could be made (nothing listening, unreachable,
    /// or the connect timeout passed).
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            HttpError::Connect { .. } | HttpError::ConnectTimeout { .. }
        )
    }
}

/// Sends one HTTP request and returns the whole response.
///
/// Implementations must honor the timeouts in [`HttpRequestOptions`] and
/// must not follow redirects.
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends `request` (absolute URI) and reads the full response.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: HttpRequestOptions,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>>;
}

/// The default client, when the `hyper-client` feature is on.
pub(crate) fn default_client() -> Option<std::sync::Arc<dyn HttpClient>> {
    #[cfg(feature = "hyper-client")]
    {
        Some(std::sync::Arc::new(HyperClient::new()))
    }
    #[cfg(not(feature = "hyper-client"))]
    {
        None
    }
}

#[cfg(feature = "hyper-client")]
pub use hyper_impl::HyperClient;

#[cfg(feature = "hyper-client")]
mod hyper_impl {
    use super::*;
    use http_body_util::{BodyExt, Full, Limited};
    use hyper::body::Bytes;
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpStream;

    /// The default [`HttpClient`]: hyper 1.x over tokio, HTTP/1.1, one
    /// connection per request (credential fetches are rare), HTTPS via rustls
    /// with the webpki root certificates when the `rustls` feature is on.
    ///
    /// Needs to run inside a tokio runtime (with IO and time enabled).
    #[derive(Clone, Default)]
    pub struct HyperClient {
        #[cfg(feature = "rustls")]
        tls: Option<tokio_rustls::TlsConnector>,
    }

    impl fmt::Debug for HyperClient {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("HyperClient")
        }
    }

    impl HyperClient {
        /// A new client.
        pub fn new() -> Self {
            HyperClient {
                #[cfg(feature = "rustls")]
                tls: tls_connector(),
            }
        }
    }

    #[cfg(feature = "rustls")]
    fn tls_connector() -> Option<tokio_rustls::TlsConnector> {
        // rustls 0.23.48 deprecates ring's provider (ring has no post-quantum key exchange). We
        // keep ring on purpose: aws-lc-rs needs a C/CMake build that the cross-built musl and
        // aarch64 wheels do not have. One decision for every TLS client here; see CHANGELOG.
        #[allow(deprecated)]
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Some(tokio_rustls::TlsConnector::from(std::sync::Arc::new(
            config,
        )))
    }

    impl HttpClient for HyperClient {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            options: HttpRequestOptions,
        ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
            Box::pin(async move {
                match tokio::time::timeout(options.timeout, self.exchange(request, options)).await {
                    Ok(r) => r,
                    Err(_) => Err(HttpError::Timeout(options.timeout)),
                }
            })
        }
    }

    impl HyperClient {
        async fn exchange(
            &self,
            request: http::Request<Vec<u8>>,
            options: HttpRequestOptions,
        ) -> Result<http::Response<Vec<u8>>, HttpError> {
            let (mut parts, body) = request.into_parts();
            let uri = parts.uri.clone();
            let https = match uri.scheme_str() {
                Some("http") => false,
                Some("https") => true,
                other => {
                    return Err(HttpError::InvalidRequest(format!(
                        "unsupported URI scheme {other:?} (use http or https)"
                    )))
                }
            };
            let host = uri
                .host()
                .ok_or_else(|| HttpError::InvalidRequest("the URI has no host".into()))?;
            let bare_host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            let endpoint = if bare_host.contains(':') {
                format!("[{bare_host}]:{port}")
            } else {
                format!("{bare_host}:{port}")
            };

            // Origin-form target and a Host header.
            let target = uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".to_string());
            parts.uri = target
                .parse()
                .map_err(|_| HttpError::InvalidRequest("invalid request target".into()))?;
            if !parts.headers.contains_key(http::header::HOST) {
                let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
                let value = http::HeaderValue::from_str(authority)
                    .map_err(|_| HttpError::InvalidRequest("invalid host".into()))?;
                parts.headers.insert(http::header::HOST, value);
            }
            let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));

            let connect = async {
                TcpStream::connect((bare_host.as_str(), port))
                    .await
                    .map_err(|e| HttpError::Connect {
                        endpoint: endpoint.clone(),
                        message: e.to_string(),
                    })
            };
            let tcp = match tokio::time::timeout(options.connect_timeout, connect).await {
                Ok(r) => r?,
                Err(_) => {
                    return Err(HttpError::ConnectTimeout {
                        endpoint,
                        after: options.connect_timeout,
                    })
                }
            };
            let _ = tcp.set_nodelay(true);

            if https {
                #[cfg(feature = "rustls")]
                {
                    let tls = self.tls.clone().ok_or_else(|| HttpError::Connect {
                        endpoint: endpoint.clone(),
                        message: "TLS is not available".into(),
                    })?;
                    let name = rustls::pki_types::ServerName::try_from(bare_host.clone())
                        .map_err(|_| HttpError::InvalidRequest("invalid TLS server name".into()))?;
                    let stream =
                        match tokio::time::timeout(options.connect_timeout, tls.connect(name, tcp))
                            .await
                        {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                return Err(HttpError::Connect {
                                    endpoint,
                                    message: format!("TLS handshake failed: {e}"),
                                })
                            }
                            Err(_) => {
                                return Err(HttpError::ConnectTimeout {
                                    endpoint,
                                    after: options.connect_timeout,
                                })
                            }
                        };
                    return round_trip(TokioIo::new(stream), request, options).await;
                }
                #[cfg(not(feature = "rustls"))]
                {
                    return Err(HttpError::InvalidRequest(
                        "https needs the `rustls` feature".into(),
                    ));
                }
            }
            round_trip(TokioIo::new(tcp), request, options).await
        }
    }

    async fn round_trip<T>(
        io: T,
        request: http::Request<Full<Bytes>>,
        options: HttpRequestOptions,
    ) -> Result<http::Response<Vec<u8>>, HttpError>
    where
        T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| HttpError::Io(e.to_string()))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let result = async {
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| HttpError::Io(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, options.max_response_bytes)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        HttpError::ResponseTooLarge(options.max_response_bytes)
                    } else {
                        HttpError::Io(e.to_string())
                    }
                })?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body.to_vec()))
        }
        .await;
        driver.abort();
        result
    }
}
