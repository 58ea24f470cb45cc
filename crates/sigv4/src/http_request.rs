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
        let out = {
            let body = request.body().as_ref();
            let view = http_view(request, Payload::Bytes(body))?;
            let out = self.sign(&view.as_signable(), credentials, time)?;
            out
        };
        apply(request, &out)?;
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
        let out = {
            let view = http_view(request, payload)?;
            let out = self.sign(&view.as_signable(), credentials, time)?;
            out
        };
        apply(request, &out)?;
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
        let out = {
            let view = http_view(request, payload)?;
            let out =
                self.sign_with_key(&view.as_signable(), key, access_key_id, session_token, time)?;
            out
        };
        apply(request, &out)?;
        Ok(out)
    }
}

pub(crate) struct HttpView<'a> {
    method: &'a str,
    target: String,
    headers: SmallVec<[(&'a str, &'a [u8]); 12]>,
    payload: Payload<'a>,
}

impl HttpView<'_> {
    pub(crate) fn as_signable(&self) -> SignableRequest<'_> {
        SignableRequest::new(
            self.method,
            &self.target,
            self.headers.iter().copied(),
            self.payload,
        )
    }
}

pub(crate) fn http_view<'a, B>(
    request: &'a Request<B>,
    payload: Payload<'a>,
) -> Result<HttpView<'a>, SigningError> {
    let uri = request.uri();
    // Build the target as it will go on the wire; keep the authority so a missing Host
    // header can be derived with the scheme's default port removed.
    let mut target = String::new();
    if let Some(authority) = uri.authority() {
        let scheme = uri.scheme_str().unwrap_or("https");
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(SigningError::InvalidUri(format!(
                "unsupported scheme {scheme:?}"
            )));
        }
        target.push_str(scheme);
        target.push_str("://");
        target.push_str(authority.as_str());
    }
    target.push_str(uri.path_and_query().map_or("/", PathAndQuery::as_str));
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    Ok(HttpView {
        method: request.method().as_str(),
        target,
        headers,
        payload,
    })
}

/// Puts the signing output into `request`: headers replace any of the same name; in query
/// mode the URI's query is replaced by the presigned query.
pub(crate) fn apply<B>(request: &mut Request<B>, out: &SigningOutput) -> Result<(), SigningError> {
    for (name, value) in out.headers() {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| SigningError::InvalidHeaderName(name.to_owned()))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| SigningError::InvalidHeaderValue(name.as_str().to_owned()))?;
        if name == http::header::AUTHORIZATION || name.as_str() == "x-amz-security-token" {
            value.set_sensitive(true);
        }
        request.headers_mut().insert(name, value);
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

fn split_target_of(uri: &Uri) -> Result<String, SigningError> {
    let pq = uri.path_and_query().map_or("/", PathAndQuery::as_str);
    Ok(split_target(pq)?.path.to_owned())
}
