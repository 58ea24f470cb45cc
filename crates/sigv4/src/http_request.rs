//! Signing `http::Request` values (feature `http`).

use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{Request, Uri};
use smallvec::SmallVec;

use crate::request::split_target;
use crate::{
    Credentials, Payload, SignableRequest, SignatureLocation, Signer, SigningError, SigningKey,
    SigningOutput,
};

impl Signer {
    /// Signs an `http::Request` whose body is in memory, in place: adds the signing headers
    /// (or, for presigning, rewrites the URI's query) and returns the steps.
    ///
    /// The body is hashed unless the settings' payload is overridden with
    /// [`Signer::sign_http_request_with_payload`] (for S3 `UNSIGNED-PAYLOAD` or a streaming body).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use sigv4::{Credentials, Signer};
    ///
    /// let signer = Signer::new("us-east-1", "sts")?;
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let mut req = http::Request::post("https://sts.us-east-1.amazonaws.com/")
    ///     .header("content-type", "application/x-www-form-urlencoded")
    ///     .body(b"Action=GetCallerIdentity&Version=2011-06-15".to_vec())
    ///     .unwrap();
    /// signer.sign_http_request(&mut req, &creds, UNIX_EPOCH + Duration::from_secs(1_440_938_160))?;
    /// assert!(req.headers()["authorization"].to_str().unwrap().starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request"));
    /// assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn sign_http_request<B: AsRef<[u8]>>(
        &self,
        request: &mut Request<B>,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<SigningOutput, SigningError> {
        let (out, add_host) = {
            let body = request.body().as_ref();
            let view = http_view(request, Payload::Bytes(body))?;
            let out = self.sign(&view.as_signable(), credentials, time)?;
            (out, view.adds_host())
        };
        apply(request, &out, add_host)?;
        Ok(out)
    }

    /// Like [`Signer::sign_http_request`], with the payload given explicitly (the body is
    /// not read): `Payload::Unsigned`, a precomputed hash, or a streaming marker.
    pub fn sign_http_request_with_payload<B>(
        &self,
        request: &mut Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<SigningOutput, SigningError> {
        let (out, add_host) = {
            let view = http_view(request, payload)?;
            let out = self.sign(&view.as_signable(), credentials, time)?;
            (out, view.adds_host())
        };
        apply(request, &out, add_host)?;
        Ok(out)
    }

    /// Like [`Signer::sign_http_request_with_payload`], using a signing key derived elsewhere.
    pub fn sign_http_request_with_key<B>(
        &self,
        request: &mut Request<B>,
        payload: Payload<'_>,
        key: &SigningKey,
        access_key_id: &str,
        session_token: Option<&str>,
        time: SystemTime,
    ) -> Result<SigningOutput, SigningError> {
        let (out, add_host) = {
            let view = http_view(request, payload)?;
            let out =
                self.sign_with_key(&view.as_signable(), key, access_key_id, session_token, time)?;
            (out, view.adds_host())
        };
        apply(request, &out, add_host)?;
        Ok(out)
    }
}

pub(crate) struct HttpView<'a> {
    method: &'a str,
    /// Origin form (`/path?query`): the host travels as a header, so nothing is re-parsed.
    target: &'a str,
    headers: SmallVec<[(&'a str, &'a [u8]); 12]>,
    /// The host derived from the URI when the request has no `Host` header, when it had
    /// to be changed (lowercased, default port removed).
    derived_host: Option<String>,
    /// The same, borrowed from the URI when it could be used as is.
    borrowed_host: Option<&'a str>,
    payload: Payload<'a>,
}

impl HttpView<'_> {
    pub(crate) fn as_signable(&self) -> SignableRequest<'_> {
        let host = self
            .derived_host
            .as_deref()
            .or(self.borrowed_host)
            .map(|h| ("host", h.as_bytes()));
        SignableRequest::new(
            self.method,
            self.target,
            self.headers.iter().copied().chain(host),
            self.payload,
        )
    }

    /// Whether a host was signed on the request's behalf, which must then be sent.
    pub(crate) fn adds_host(&self) -> bool {
        self.derived_host.is_some() || self.borrowed_host.is_some()
    }
}

pub(crate) fn http_view<'a, B>(
    request: &'a Request<B>,
    payload: Payload<'a>,
) -> Result<HttpView<'a>, SigningError> {
    let uri = request.uri();
    let has_host = request.headers().contains_key(http::header::HOST);
    let (mut derived_host, mut borrowed_host) = (None, None);
    if !has_host {
        match uri_host(uri)? {
            Some(std::borrow::Cow::Borrowed(h)) => borrowed_host = Some(h),
            Some(std::borrow::Cow::Owned(h)) => derived_host = Some(h),
            None => {}
        }
    }
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    Ok(HttpView {
        method: request.method().as_str(),
        target: uri.path_and_query().map_or("/", PathAndQuery::as_str),
        headers,
        derived_host,
        borrowed_host,
        payload,
    })
}

/// Puts the signing output into `request`: headers replace any of the same name; in query
/// mode the URI's query is replaced by the presigned query.
pub(crate) fn apply<B>(
    request: &mut Request<B>,
    out: &SigningOutput,
    add_host: bool,
) -> Result<(), SigningError> {
    request.headers_mut().reserve(5);
    if add_host {
        insert_derived_host(request)?;
    }
    let headers = request.headers_mut();
    // All added values share one buffer: each header value is a slice of it rather than
    // an allocation of its own.
    let mut joined = String::with_capacity(out.headers().map(|(_, v)| v.len()).sum());
    let mut ranges: SmallVec<[(&str, usize, usize); 6]> = SmallVec::new();
    for (name, value) in out.headers() {
        let start = joined.len();
        joined.push_str(value);
        ranges.push((name, start, joined.len()));
    }
    let joined = bytes::Bytes::from(joined);
    for (name, start, end) in ranges {
        let name = static_name(name)
            .map_or_else(|| HeaderName::from_bytes(name.as_bytes()), Ok)
            .map_err(|_| SigningError::InvalidHeaderName(name.to_owned()))?;
        let mut value = HeaderValue::from_maybe_shared(joined.slice(start..end))
            .map_err(|_| SigningError::InvalidHeaderValue(name.as_str().to_owned()))?;
        if name == http::header::AUTHORIZATION || name.as_str() == "x-amz-security-token" {
            value.set_sensitive(true);
        }
        headers.insert(name, value);
    }
    if matches!(out.location(), SignatureLocation::Query { .. }) {
        let uri = request.uri();
        let target = split_target_of(uri)?;
        let mut pq = String::from(if target.is_empty() { "/" } else { &target });
        pq.push('?');
        pq.push_str(&out.query_string());
        let mut parts = uri.clone().into_parts();
        parts.path_and_query =
            Some(PathAndQuery::try_from(pq).map_err(|e| SigningError::InvalidUri(e.to_string()))?);
        *request.uri_mut() =
            Uri::from_parts(parts).map_err(|e| SigningError::InvalidUri(e.to_string()))?;
    }
    Ok(())
}

/// Sends the host that was signed on the request's behalf (derived from its URI).
pub(crate) fn insert_derived_host<B>(request: &mut Request<B>) -> Result<(), SigningError> {
    if let Some(h) = uri_host(request.uri())? {
        let value = HeaderValue::from_str(&h)
            .map_err(|_| SigningError::InvalidHeaderValue("host".into()))?;
        request.headers_mut().insert(http::header::HOST, value);
    }
    Ok(())
}

/// The host of an absolute URI as it is signed: userinfo dropped, the scheme's default
/// port left out, lowercase (borrowed when already so).
fn uri_host(uri: &Uri) -> Result<Option<std::borrow::Cow<'_, str>>, SigningError> {
    let Some(authority) = uri.authority() else {
        return Ok(None);
    };
    let scheme = uri.scheme_str().unwrap_or("https");
    let https = scheme.eq_ignore_ascii_case("https");
    if !https && !scheme.eq_ignore_ascii_case("http") {
        return Err(SigningError::InvalidUri(format!(
            "unsupported scheme {scheme:?}"
        )));
    }
    let mut host = authority.as_str();
    if let Some((_, h)) = host.rsplit_once('@') {
        host = h;
    }
    let default_port = if https { ":443" } else { ":80" };
    host = host.strip_suffix(default_port).unwrap_or(host);
    if host.is_empty() {
        return Err(SigningError::MissingHost);
    }
    Ok(Some(if host.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(host.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(host)
    }))
}

/// The names signing adds, without parsing (and allocating) them again.
fn static_name(name: &str) -> Option<HeaderName> {
    Some(match name {
        "authorization" => http::header::AUTHORIZATION,
        "x-amz-date" => HeaderName::from_static("x-amz-date"),
        "x-amz-content-sha256" => HeaderName::from_static("x-amz-content-sha256"),
        "x-amz-security-token" => HeaderName::from_static("x-amz-security-token"),
        "host" => http::header::HOST,
        _ => return None,
    })
}

fn split_target_of(uri: &Uri) -> Result<String, SigningError> {
    let pq = uri.path_and_query().map_or("/", PathAndQuery::as_str);
    Ok(split_target(pq)?.path.to_owned())
}
