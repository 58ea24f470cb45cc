//! The request as the server received it, borrowed from its HTTP stack.

use std::borrow::Cow;

use smallvec::SmallVec;

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
