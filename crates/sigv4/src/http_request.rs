//! Signing `http::Request` values (feature `http`).

use std::time::SystemTime;

use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, HOST};
use http::uri::{PathAndQuery, Scheme};
use http::{Request, Uri};

use crate::{
    Credentials, Payload, QueryPlus, ScopedKey, SignableRequest, SignatureLocation, Signer,
    SigningError, SigningKey, SigningOutput,
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
        sign_http(request, FromBody, |view| self.sign(view, credentials, time))
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
        sign_http(request, payload, |view| self.sign(view, credentials, time))
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
        sign_http(request, payload, |view| {
            self.sign_with_key(view, key, access_key_id, session_token, time)
        })
    }
}

impl Signer {
    /// Signs an in-memory `http::Request` in place with a [`ScopedKey`] (no secret access
    /// key needed): the body is hashed, as [`Signer::sign_http_request`] does.
    ///
    /// Fails with [`SigningError::KeyScopeMismatch`] when the key is not for this signer's
    /// region and service or for the day of `time`.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use sigv4::{Credentials, Signer};
    ///
    /// let signer = Signer::new("eu-west-1", "execute-api")?;
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let now = SystemTime::now();
    /// let scoped = signer.scoped_key(&creds, now)?; // what another component is given
    ///
    /// let mut req = http::Request::put("https://abc.execute-api.eu-west-1.amazonaws.com/prod/items/1")
    ///     .header("content-type", "application/json")
    ///     .body(br#"{"name":"cat"}"#.to_vec())
    ///     .unwrap();
    /// let out = signer.sign_http_request_scoped(&mut req, &scoped, now)?;
    /// assert_eq!(out.canonical_request().lines().last(), Some(sigv4::sha256_hex(req.body()).as_str()));
    /// assert!(req.headers().contains_key("authorization"));
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn sign_http_request_scoped<B: AsRef<[u8]>>(
        &self,
        request: &mut Request<B>,
        key: &ScopedKey,
        time: SystemTime,
    ) -> Result<SigningOutput, SigningError> {
        sign_http(request, FromBody, |view| {
            self.sign_with_key(
                view,
                key.key(),
                key.access_key_id(),
                key.session_token(),
                time,
            )
        })
    }
}

/// Where the payload of an `http::Request` comes from: its in-memory body, or a
/// [`Payload`] given by the caller.
pub(crate) trait PayloadSource<B> {
    fn payload<'a>(&'a self, body: &'a B) -> Payload<'a>;
}

/// The request's body is the payload (hashed).
pub(crate) struct FromBody;

impl<B: AsRef<[u8]>> PayloadSource<B> for FromBody {
    fn payload<'a>(&'a self, body: &'a B) -> Payload<'a> {
        Payload::Bytes(body.as_ref())
    }
}

impl<B> PayloadSource<B> for Payload<'_> {
    fn payload<'a>(&'a self, _body: &'a B) -> Payload<'a> {
        *self
    }
}

/// Signs an `http::Request` in place with `sign` (SigV4 or SigV4a): builds the borrowed
/// view, signs it, and applies the output. Written once for both algorithms.
pub(crate) fn sign_http<B, E: From<SigningError>>(
    request: &mut Request<B>,
    payload: impl PayloadSource<B>,
    sign: impl FnOnce(&SignableRequest<'_>) -> Result<SigningOutput, E>,
) -> Result<SigningOutput, E> {
    let mut out = {
        let view = http_view(request, payload.payload(request.body()))?;
        sign(&view)?
    };
    apply(request, &mut out)?;
    Ok(out)
}

/// The borrowed view of an `http::Request`: its target in origin form (`/path?query`, as
/// the URI holds it, so nothing is copied or parsed again) and the URI's host, which
/// signing signs and adds when the request has no `Host` header.
fn http_view<'a, B>(
    request: &'a Request<B>,
    payload: Payload<'a>,
) -> Result<SignableRequest<'a>, SigningError> {
    let uri = request.uri();
    // Signing reads the view's host only when the request has no `Host` header, so the
    // header map is searched only when the URI's host is unusable (an error unless the
    // request names its host itself).
    let host = match uri_host(uri) {
        Ok(host) => host,
        Err(_) if request.headers().contains_key(HOST) => None,
        Err(e) => return Err(e),
    };
    let mut view = SignableRequest::new(
        request.method().as_str(),
        uri.path_and_query().map_or("/", PathAndQuery::as_str),
        request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes())),
        payload,
    );
    view.host = host;
    Ok(view)
}

/// Puts the signing output into `request`: in query mode the URI's query is replaced by
/// the presigned query; headers replace any of the same name.
///
/// Allocations are counted here (see BENCHMARKS.md): the header values are slices of the
/// output's own text (shared, not copied), the header map grows at most once, and the
/// presigned target is built at its exact length.
fn apply<B>(request: &mut Request<B>, out: &mut SigningOutput) -> Result<(), SigningError> {
    // The URI first: the output's text is still a `String` then, read without checking its
    // UTF-8 again (once shared with the header values, it is bytes).
    apply_query(request.uri_mut(), out)?;
    apply_headers(request.headers_mut(), out)
}

/// Replaces the query in query mode (it gains the signing parameters) and, in header mode,
/// when a raw '+' was signed as a literal plus (`%2B`): what is sent must be what was
/// signed, and a server (or our verifier) reads a raw '+' as a space.
fn apply_query(uri: &mut Uri, out: &SigningOutput) -> Result<(), SigningError> {
    let rewrite_plus =
        out.query_plus() == QueryPlus::Literal && uri.query().is_some_and(|q| q.contains('+'));
    if !matches!(out.location(), SignatureLocation::Query { .. }) && !rewrite_plus {
        return Ok(());
    }
    // The path as signing split it from the same text: the URI's path, `/` when empty.
    let path = uri.path_and_query().map_or("/", PathAndQuery::path);
    // Exact capacity: `PathAndQuery` then takes the buffer over without another allocation.
    let mut pq = String::with_capacity(path.len() + 1 + out.query_string_len());
    pq.push_str(path);
    pq.push('?');
    out.write_query_string(&mut pq);
    let pq = PathAndQuery::try_from(pq).map_err(|e| SigningError::InvalidUri(e.to_string()))?;
    // Taken rather than cloned: the parts are moved into the new URI.
    let mut parts = std::mem::take(uri).into_parts();
    parts.path_and_query = Some(pq);
    *uri = Uri::from_parts(parts).map_err(|e| SigningError::InvalidUri(e.to_string()))?;
    Ok(())
}

/// Adds the output's headers, replacing any of the same name; the credentials among them
/// are marked sensitive.
fn apply_headers(headers: &mut HeaderMap, out: &mut SigningOutput) -> Result<(), SigningError> {
    let adding = out.header_ranges().count();
    if adding == 0 {
        return Ok(());
    }
    let text = out.shared_text();
    headers.reserve(adding);
    for (name, range) in out.header_ranges() {
        let (name, sensitive) = added_name(name)?;
        let mut value = HeaderValue::from_maybe_shared(text.slice(range))
            .map_err(|_| SigningError::InvalidHeaderValue(name.as_str().to_owned()))?;
        value.set_sensitive(sensitive);
        headers.insert(name, value);
    }
    Ok(())
}

/// The host of an absolute URI as it is signed: userinfo dropped, the scheme's default
/// port left out (signing lowercases it).
fn uri_host(uri: &Uri) -> Result<Option<&str>, SigningError> {
    let Some(authority) = uri.authority() else {
        return Ok(None);
    };
    // The common schemes compare as `http`'s own constants (no text compared).
    let https = match uri.scheme() {
        None => true,
        Some(s) if *s == Scheme::HTTPS => true,
        Some(s) if *s == Scheme::HTTP => false,
        Some(s) => {
            let s = s.as_str();
            if s.eq_ignore_ascii_case("https") {
                true
            } else if s.eq_ignore_ascii_case("http") {
                false
            } else {
                return Err(SigningError::InvalidUri(format!(
                    "unsupported scheme {s:?}"
                )));
            }
        }
    };
    let mut host = authority.as_str();
    if let Some(at) = host.rfind('@') {
        host = &host[at + 1..];
    }
    let default_port = if https { ":443" } else { ":80" };
    host = host.strip_suffix(default_port).unwrap_or(host);
    if host.is_empty() {
        return Err(SigningError::MissingHost);
    }
    Ok(Some(host))
}

/// The names signing adds, as `http`'s values built at compile time (not parsed again),
/// and whether the value is a credential (marked sensitive, so it is not logged).
fn added_name(name: &'static str) -> Result<(HeaderName, bool), SigningError> {
    Ok(match name {
        "host" => (HOST, false),
        "x-amz-date" => (const { HeaderName::from_static("x-amz-date") }, false),
        "x-amz-content-sha256" => (
            const { HeaderName::from_static("x-amz-content-sha256") },
            false,
        ),
        "authorization" => (AUTHORIZATION, true),
        "x-amz-security-token" => (
            const { HeaderName::from_static("x-amz-security-token") },
            true,
        ),
        "x-amz-s3session-token" => (
            const { HeaderName::from_static("x-amz-s3session-token") },
            true,
        ),
        "x-amz-region-set" => (const { HeaderName::from_static("x-amz-region-set") }, false),
        other => (
            HeaderName::from_bytes(other.as_bytes())
                .map_err(|_| SigningError::InvalidHeaderName(other.to_owned()))?,
            false,
        ),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn sign(uri: &str, host_header: Option<&str>) -> Result<Request<()>, SigningError> {
        let signer = Signer::new("us-east-1", "service")?;
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None);
        let mut b = Request::get(uri);
        if let Some(h) = host_header {
            b = b.header("host", h);
        }
        let mut req = b.body(()).expect("request");
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        signer.sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds, time)?;
        Ok(req)
    }

    #[test]
    fn the_host_is_taken_from_the_uri_as_signed() {
        for (uri, want) in [
            ("https://H.example.com:443/", "h.example.com"),
            ("HTTPS://h.example.com:443/", "h.example.com"),
            ("http://h.example.com:80/", "h.example.com"),
            ("Http://h.example.com:80/", "h.example.com"),
            ("https://h.example.com:80/", "h.example.com:80"),
            ("http://h.example.com:8080/", "h.example.com:8080"),
            ("https://user:pw@h.example.com/x", "h.example.com"),
            ("https://a@b@h.example.com:443/x", "h.example.com"),
        ] {
            let req = sign(uri, None).unwrap();
            assert_eq!(req.headers()["host"], want, "{uri}");
        }
    }

    #[test]
    fn a_host_header_makes_the_uri_host_unneeded() {
        // The URI's scheme is not one signing knows: only an error without a Host header.
        assert!(matches!(
            sign("ftp://h.example.com/x", None),
            Err(SigningError::InvalidUri(m)) if m.contains("ftp")
        ));
        let req = sign("ftp://h.example.com/x", Some("given.example.com")).unwrap();
        assert_eq!(req.headers()["host"], "given.example.com");
        // A usable URI host does not replace the request's own Host header either.
        let req = sign("https://uri.example.com/x", Some("given.example.com")).unwrap();
        assert_eq!(req.headers()["host"], "given.example.com");
        assert_eq!(req.headers().get_all("host").iter().count(), 1);
    }

    #[test]
    fn the_added_names_are_the_output_names() {
        // Every name signing can add maps to itself, credentials marked sensitive.
        for (name, sensitive) in [
            ("host", false),
            ("x-amz-date", false),
            ("x-amz-content-sha256", false),
            ("authorization", true),
            ("x-amz-security-token", true),
            ("x-amz-s3session-token", true),
            ("x-amz-region-set", false),
            ("x-other", false),
        ] {
            let (n, s) = added_name(name).unwrap();
            assert_eq!((n.as_str(), s), (name, sensitive));
        }
    }
}
