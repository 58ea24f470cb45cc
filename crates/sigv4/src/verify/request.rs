//! The request as the server received it, borrowed from its HTTP stack.

use std::borrow::Cow;

use smallvec::SmallVec;

use super::error::VerifyError;
use crate::request::split_target;

/// What the server knows about the request body when it verifies the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyBody<'a> {
    /// The whole body, already read.
    Bytes(&'a [u8]),
    /// The SHA-256 of the whole body, computed by the server while reading it.
    Sha256([u8; 32]),
    /// The body has not been read (streaming). A hex `x-amz-content-sha256` is then taken
    /// on trust and the caller must compare it with the body afterwards
    /// ([`Verified::expected_payload_sha256`](super::Verified::expected_payload_sha256)); services whose requests carry no such
    /// header cannot be verified without the body.
    Unavailable,
}

/// An incoming request, borrowed from whatever HTTP stack received it.
///
/// `target` is the request target exactly as received (origin form `/path?query`, or an
/// absolute URL, whose authority is used when there is no `Host` header, as with HTTP/2).
/// Headers are given in the order received; repeated names are allowed (their values are
/// joined in order, as when signing).
#[derive(Debug, Clone)]
pub struct VerifiableRequest<'a> {
    pub(super) method: &'a str,
    pub(super) target: Cow<'a, str>,
    pub(super) headers: SmallVec<[(&'a str, &'a [u8]); 16]>,
    pub(super) body: VerifyBody<'a>,
}

impl<'a> VerifiableRequest<'a> {
    /// A request with these parts.
    pub fn new(
        method: &'a str,
        target: impl Into<Cow<'a, str>>,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: VerifyBody<'a>,
    ) -> Self {
        VerifiableRequest {
            method,
            target: target.into(),
            headers: headers.into_iter().collect(),
            body,
        }
    }

    /// A request given as a whole URL, such as a presigned URL to check: no need to split
    /// host and target by hand. The `host` header comes from the URL's authority (scheme's
    /// default port left out, as signers do) unless `headers` has one, which is then used
    /// as given, with the URL's path and query.
    ///
    /// Fails with [`VerifyError::InvalidRequest`] unless `url` is an absolute `http://` or
    /// `https://` URL with a host.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use sigv4::verify::{VerifiableRequest, VerifyBody, Verifier};
    /// use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningSettings};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    ///
    /// // A presigned URL, as a client would receive it...
    /// let presigner = Signer::new("us-east-1", "s3")?
    ///     .with_settings(SigningSettings::s3().presigned(Duration::from_secs(900)));
    /// let base = "https://examplebucket.s3.amazonaws.com/photos/cat.jpg";
    /// let out = presigner.sign(&SignableRequest::new("GET", base, [], Payload::Unsigned), &creds, now)?;
    /// let url = format!("{base}?{}", out.query_string());
    ///
    /// // ...checked as a whole.
    /// let verifier = Verifier::new("us-east-1", "s3")?;
    /// let lookup = |id: &str| (id == "AKIDEXAMPLE").then(|| creds.clone());
    /// let req = VerifiableRequest::from_url("GET", &url, [], VerifyBody::Unavailable)?;
    /// assert_eq!(verifier.verify(&req, &lookup, now)?.access_key_id(), "AKIDEXAMPLE");
    ///
    /// // Another host, or a changed path, is refused.
    /// let moved = url.replace("examplebucket", "otherbucket");
    /// let req = VerifiableRequest::from_url("GET", &moved, [], VerifyBody::Unavailable)?;
    /// assert_eq!(verifier.verify(&req, &lookup, now).unwrap_err().code(), "SignatureDoesNotMatch");
    /// assert!(VerifiableRequest::from_url("GET", "/photos/cat.jpg", [], VerifyBody::Unavailable).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_url(
        method: &'a str,
        url: &'a str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: VerifyBody<'a>,
    ) -> Result<Self, VerifyError> {
        let parts = split_target(url).map_err(|e| VerifyError::InvalidRequest(e.to_string()))?;
        let absolute = url.find("://").filter(|_| parts.authority.is_some());
        let Some(scheme_end) = absolute else {
            return Err(VerifyError::InvalidRequest(
                "from_url needs an absolute http:// or https:// URL with a host (use VerifiableRequest::new for a request target)".into(),
            ));
        };
        let headers: SmallVec<[(&'a str, &'a [u8]); 16]> = headers.into_iter().collect();
        let target = if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            // The given Host is the signed one: verify the URL's path and query under it.
            let after = &url[scheme_end + 3..];
            let rest = &after[after.find(['/', '?', '#']).unwrap_or(after.len())..];
            rest.split_once('#').map_or(rest, |(r, _)| r)
        } else {
            // The verifier takes the host from the absolute URL.
            url
        };
        Ok(VerifiableRequest {
            method,
            target: Cow::Borrowed(target),
            headers,
            body,
        })
    }

    /// A view of an `http::Request`'s method, URI and headers (feature `http`).
    #[cfg(feature = "http")]
    pub fn from_http<B>(request: &'a http::Request<B>, body: VerifyBody<'a>) -> Self {
        let uri = request.uri();
        let target: Cow<'a, str> = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => Cow::Owned(format!(
                "{scheme}://{}{}",
                authority.as_str(),
                uri.path_and_query().map_or("/", |pq| pq.as_str())
            )),
            _ => Cow::Borrowed(uri.path_and_query().map_or("/", |pq| pq.as_str())),
        };
        VerifiableRequest {
            method: request.method().as_str(),
            target,
            headers: request
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes()))
                .collect(),
            body,
        }
    }

    /// The method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request target as given.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The headers as given.
    pub fn headers(&self) -> &[(&'a str, &'a [u8])] {
        &self.headers
    }

    /// The body information.
    pub fn body(&self) -> VerifyBody<'a> {
        self.body
    }

    /// Replaces the body information.
    pub fn set_body(&mut self, body: VerifyBody<'a>) {
        self.body = body;
    }

    fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The single value of `name`: `Ok(None)` when absent, `Err(())` when repeated.
    pub(super) fn single_header(&self, name: &str) -> Result<Option<&'a [u8]>, ()> {
        let mut it = self.header_values(name);
        let first = it.next();
        if it.next().is_some() {
            return Err(());
        }
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::verify::Verifier;
    use crate::{Credentials, Payload, SignableRequest, Signer, SigningSettings};

    #[test]
    fn from_url_takes_the_host_from_the_url_unless_one_is_given() {
        let creds = Credentials::new("AKID", "secret", None, None);
        let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let presigner = Signer::new("us-east-1", "s3")
            .unwrap()
            .with_settings(SigningSettings::s3().presigned(Duration::from_secs(60)));
        let signed_for = "https://bucket.s3.amazonaws.com/a%20b/c?versionId=3";
        let out = presigner
            .sign(
                &SignableRequest::new("GET", signed_for, [], Payload::Unsigned),
                &creds,
                now,
            )
            .unwrap();
        let q = out.query_string();
        let verifier = Verifier::new("us-east-1", "s3").unwrap();
        let check =
            |req: &VerifiableRequest<'_>| verifier.verify_with(req, Some(creds.clone()), now);

        // The host from the URL (default port and fragment ignored).
        let url = format!("https://bucket.s3.amazonaws.com:443/a%20b/c?{q}#frag");
        let req = VerifiableRequest::from_url("GET", &url, [], VerifyBody::Unavailable).unwrap();
        check(&req).unwrap();

        // Received elsewhere (a local endpoint) with the signed Host given.
        let url = format!("http://127.0.0.1:9000/a%20b/c?{q}");
        let host = [("Host", "bucket.s3.amazonaws.com".as_bytes())];
        let req = VerifiableRequest::from_url("GET", &url, host, VerifyBody::Unavailable).unwrap();
        assert_eq!(req.target(), format!("/a%20b/c?{q}"));
        check(&req).unwrap();
        // Without it, the URL's host is what was signed, and it is not.
        let req = VerifiableRequest::from_url("GET", &url, [], VerifyBody::Unavailable).unwrap();
        assert_eq!(check(&req).unwrap_err().code(), "SignatureDoesNotMatch");

        for bad in ["/a", "ftp://h/a", "https:///a", ""] {
            let e =
                VerifiableRequest::from_url("GET", bad, [], VerifyBody::Unavailable).unwrap_err();
            assert_eq!(e.code(), "InvalidRequest", "{bad}");
        }
    }
}
