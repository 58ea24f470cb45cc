//! Synchronous signing for ureq, plain `std` or any blocking client (feature `blocking`).
//!
//! [`BlockingSigner`] needs no async runtime from the caller: credentials are fetched and
//! refreshed through [`CachedProvider::provide_credentials_blocking`], which runs providers
//! that need I/O on an internal thread.
//!
//! With ureq 3 (which sends `http::Request`s):
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sigv4_http::{blocking::BlockingSigner, RequestSigner};
//! use sigv4::Credentials;
//!
//! let signer = BlockingSigner::new(RequestSigner::from_static(Credentials::new("AKID", "SECRET", None, None)));
//! let mut req = http::Request::get("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15")
//!     .body(Vec::new())?;
//! signer.sign(&mut req)?; // service `sts` and region `us-east-1` inferred from the host
//! // let response = ureq::run(req)?;
//! # Ok(()) }
//! ```
//!
//! Your client sends the body, so an upload the server refuses part-way (a forged chunk,
//! a wrong key: `403 SignatureDoesNotMatch`) comes back as the answer your client read:
//! take its status, and its AWS error code with [`crate::aws_error::AwsError::parse`]
//! (servers built on this crate linger after an early refusal, as AWS does, so a client
//! that writes the whole body before reading, as ureq does, still gets that answer).
//!
//! A server that answers early and closes at once (no lingering) resets the connection
//! under the upload, and ureq then fails with "Broken pipe" without reading the answer
//! (every time, in our tests with 16 MiB uploads); this signer cannot change how your
//! client reads. For refusals decided from the request head (a wrong or unknown key, a
//! bad signature), add `expect: 100-continue` to the signed request: ureq then waits for
//! the server's go-ahead before it sends the body, and reads the refusal instead (AWS and
//! hyper-based servers answer it). A refusal part-way through the body (a forged chunk)
//! is still lost against such a server; the async clients have
//! `sigv4_http::connect::KeepReading` for that (features `tower`/`reqwest`).
//!
//! ```
//! use sigv4_http::aws_error::AwsError;
//!
//! let body = b"<Error><Code>SignatureDoesNotMatch</Code><Message>chunk 3</Message></Error>";
//! let error = AwsError::parse(&http::HeaderMap::new(), body).unwrap();
//! assert_eq!(error.code(), "SignatureDoesNotMatch");
//! ```
//!
//! With any other client, sign the parts and copy the headers:
//!
//! ```
//! use sigv4_http::{blocking::BlockingSigner, RequestSigner};
//! use sigv4::Credentials;
//!
//! let signer = BlockingSigner::new(
//!     RequestSigner::from_static(Credentials::new("AKID", "SECRET", None, None))
//!         .with_service("execute-api")
//!         .with_region("eu-west-1"),
//! );
//! let headers = signer.sign_parts("POST", "https://api.example.com/items", &[("content-type", "application/json")], b"{}")?;
//! assert!(headers.iter().any(|(n, v)| *n == "authorization" && v.starts_with("AWS4-HMAC-SHA256 Credential=AKID/")));
//! assert!(headers.iter().any(|(n, v)| *n == "host" && v == "api.example.com"));
//! # Ok::<(), sigv4_http::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;

use sigv4::chunked::{ChunkEncoder, ChunkedSettings};
use sigv4::{Payload, SigningOutput};
use sigv4_credentials::{CachedProvider, ProvideCredentials, ProvidedCredentials};

use crate::signer::StreamingChoice;
use crate::{Error, RequestSigner};

/// A credentials facade for synchronous code: a [`CachedProvider`] read with
/// blocking calls.
#[derive(Clone, Debug)]
pub struct BlockingCredentials {
    cache: CachedProvider,
}

impl BlockingCredentials {
    /// Caches and refreshes credentials from `provider`.
    pub fn new(provider: Arc<dyn ProvideCredentials>) -> Self {
        BlockingCredentials {
            cache: CachedProvider::builder_shared(provider).build(),
        }
    }

    /// Reads credentials from this cache.
    pub fn from_cache(cache: CachedProvider) -> Self {
        BlockingCredentials { cache }
    }

    /// Current credentials, fetched or refreshed when needed (blocks while fetching).
    pub fn get(&self) -> Result<ProvidedCredentials, Error> {
        Ok(self.cache.provide_credentials_blocking()?)
    }

    /// Fetches new credentials now (to pre-warm at start-up).
    pub fn refresh(&self) -> Result<ProvidedCredentials, Error> {
        Ok(self.cache.refresh_blocking()?)
    }

    /// The cache.
    pub fn cache(&self) -> &CachedProvider {
        &self.cache
    }
}

/// Signs requests from synchronous code. Cheap to clone and share between threads.
#[derive(Clone)]
pub struct BlockingSigner {
    signer: Arc<RequestSigner>,
}

impl fmt::Debug for BlockingSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingSigner")
            .field("signer", &self.signer)
            .finish()
    }
}

impl BlockingSigner {
    /// Signs with `signer`'s credentials, service and region.
    pub fn new(signer: RequestSigner) -> Self {
        BlockingSigner {
            signer: Arc::new(signer),
        }
    }

    /// Shares a signer with other integrations.
    pub fn from_shared(signer: Arc<RequestSigner>) -> Self {
        BlockingSigner { signer }
    }

    /// The underlying signer.
    pub fn request_signer(&self) -> &Arc<RequestSigner> {
        &self.signer
    }

    /// The credentials facade: current credentials, blocking while they are fetched.
    pub fn credentials(&self) -> BlockingCredentials {
        BlockingCredentials::from_cache(self.signer.credentials_cache().clone())
    }

    /// Signs an in-memory request in place: the body is hashed; `host`, `x-amz-date`,
    /// `authorization` (and `x-amz-content-sha256` for S3, `x-amz-security-token` for
    /// temporary credentials) are set.
    pub fn sign<B: AsRef<[u8]>>(
        &self,
        request: &mut http::Request<B>,
    ) -> Result<SigningOutput, Error> {
        let signer = self.any_signer(request)?;
        let auth = self.signer.auth_blocking()?;
        let now = self.now_for(request)?;
        auth.as_auth().sign_http_request(&signer, request, now)
    }

    /// Signs a request whose body is streamed (a file, a reader) without reading it: signs
    /// `UNSIGNED-PAYLOAD` where the [`crate::StreamingBodies`] policy allows it (S3 by
    /// default; also under the aws-chunked policy, which is S3-only) and fails with
    /// [`Error::StreamingBodyNeedsHash`] otherwise. For signed chunks use
    /// [`sign_aws_chunked`](Self::sign_aws_chunked).
    pub fn sign_streaming<B>(
        &self,
        request: &mut http::Request<B>,
    ) -> Result<SigningOutput, Error> {
        let signer = self.any_signer(request)?;
        match self.signer.streaming_payload(&signer)? {
            StreamingChoice::Unsigned => {}
            StreamingChoice::Chunked(_) if sigv4::is_s3(signer.service()) => {}
            StreamingChoice::Chunked(_) => {
                return Err(Error::StreamingBodyNeedsHash {
                    service: signer.service().to_owned(),
                })
            }
        }
        let auth = self.signer.auth_blocking()?;
        let now = self.now_for(request)?;
        auth.as_auth()
            .sign_http_request_with_payload(&signer, request, Payload::Unsigned, now)
    }

    /// Signs a streamed upload of `decoded_len` bytes as aws-chunked (S3): sets the
    /// `content-length` (encoded), `x-amz-decoded-content-length` and `content-encoding`
    /// headers, signs them with the streaming marker, and returns the encoder for the body:
    /// wrap the reader with [`sigv4::chunked::ChunkedReader`] and send that.
    ///
    /// ```
    /// use std::io::Read;
    /// use sigv4::chunked::{ChunkedReader, ChunkedSettings, StreamingMode};
    /// use sigv4_http::{blocking::BlockingSigner, RequestSigner};
    ///
    /// let signer = BlockingSigner::new(RequestSigner::from_static(sigv4::Credentials::new("AKID", "SECRET", None, None)));
    /// let file = std::io::repeat(b'x').take(100_000); // a file in real use
    /// let mut req = http::Request::put("https://bucket.s3.eu-west-1.amazonaws.com/big.bin").body(())?;
    /// let encoder = signer.sign_aws_chunked(&mut req, ChunkedSettings::new(StreamingMode::Signed), 100_000)?;
    /// let mut body = ChunkedReader::new(file, encoder); // e.g. ureq::SendBody::from_reader(&mut body)
    /// let mut sent = Vec::new();
    /// body.read_to_end(&mut sent)?;
    /// assert_eq!(req.headers()["content-length"], sent.len().to_string().as_str());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_aws_chunked<B>(
        &self,
        request: &mut http::Request<B>,
        settings: ChunkedSettings,
        decoded_len: u64,
    ) -> Result<ChunkEncoder, Error> {
        let signer = self.any_signer(request)?;
        let auth = self.signer.auth_blocking()?;
        let now = self.now_for(request)?;
        auth.as_auth()
            .sign_aws_chunked(&signer, request, settings, decoded_len, now)
    }

    /// Learns the server's clock offset from the answer to a request sent to `url`, as
    /// [`RequestSigner::learn_clock_skew`] (clock-skew correction must be on:
    /// [`RequestSigner::with_clock_skew`]). `Some` means the server refused the request's
    /// time: sign the request again (now at the server's time) and send it once more.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use sigv4_http::{blocking::BlockingSigner, RequestSigner};
    /// # let creds = sigv4::Credentials::new("AKID", "SECRET", None, None);
    /// let signer = BlockingSigner::new(RequestSigner::from_static(creds).with_clock_skew(Default::default()));
    /// let url = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15";
    /// let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    /// for _attempt in 0..2 {
    ///     let mut req = http::Request::get(url).body(Vec::new())?;
    ///     signer.sign(&mut req)?;
    ///     let mut resp = agent.run(req)?;
    ///     let status = resp.status().as_u16();
    ///     let date = resp.headers().get("date").and_then(|v| v.to_str().ok()).map(str::to_owned);
    ///     let body = resp.body_mut().read_to_vec()?;
    ///     if signer.learn_clock_skew(url, status, date.as_deref(), &body).is_none() {
    ///         break; // not a clock-skew refusal: use this answer
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn learn_clock_skew(
        &self,
        url: &str,
        status: u16,
        date: Option<&str>,
        body: &[u8],
    ) -> Option<sigv4_credentials::clock_skew::SkewCorrection> {
        self.signer.learn_clock_skew(url, status, date, body)
    }

    /// The signer (SigV4, or SigV4a for a region set) for `request`.
    fn any_signer<B>(&self, request: &http::Request<B>) -> Result<crate::signer::AnySigner, Error> {
        let host = crate::signer::request_host(request.headers(), request.uri())?;
        self.signer.any_signer_for_host(&host)
    }

    /// The time to sign `request` at (corrected for its endpoint with clock-skew
    /// correction on).
    fn now_for<B>(&self, request: &http::Request<B>) -> Result<std::time::SystemTime, Error> {
        let (url, _) = crate::signer::request_url(request.headers(), request.uri())?;
        Ok(self.signer.now_for(&url))
    }

    /// Signs a request given as parts and returns the headers to add to it, for clients
    /// that do not use `http::Request` (ureq 2, a raw `TcpStream`). `url` is absolute;
    /// `headers` are the ones the request will carry.
    pub fn sign_parts(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let auth = self.signer.auth_blocking()?;
        let out = self.signer.sign_parts_with(
            method,
            url,
            headers.iter().map(|(n, v)| (*n, v.as_bytes())),
            Payload::Bytes(body),
            auth.as_auth(),
        )?;
        Ok(out.headers().map(|(n, v)| (n, v.to_owned())).collect())
    }
}
