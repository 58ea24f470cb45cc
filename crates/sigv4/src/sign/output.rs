//! What signing produced: [`SigningOutput`], the headers or query parameters to add and
//! every intermediate step, as ranges of one text.

use std::fmt;
use std::ops::Range;

use smallvec::SmallVec;

use super::headers::replaced_names;
use crate::{QueryPlus, SessionTokenHeader, SignatureLocation};

/// The headers or query parameters to add, as names and ranges of the output's text.
pub(crate) type Added = SmallVec<[(&'static str, Range<usize>); 8]>;

/// What signing produced: the headers or query parameters to add, the headers it took
/// over, and every intermediate step (canonical request, string to sign, signed headers,
/// credential scope, signature). SigV4 and SigV4a produce the same type.
#[derive(Clone)]
pub struct SigningOutput {
    // canonical request, string to sign, signature, then the values of added headers/params
    pub(super) buf: Text,
    pub(super) creq: Range<usize>,
    pub(super) sts: Range<usize>,
    pub(super) signed_headers: Range<usize>,
    pub(super) scope: Range<usize>,
    pub(super) signature: Range<usize>,
    // (name, value range in buf)
    pub(super) added: Added,
    pub(super) location: SignatureLocation,
    // Query parameters already present in the original request that must be kept
    // (presign), as the raw original query with our own X-Amz-* parameters removed.
    pub(super) kept_query: Range<usize>,
    // Bits of `replaced_names`: the request headers signing ignored because it sets them.
    pub(super) replaced: u8,
    pub(super) token_header: SessionTokenHeader,
    // What a raw `+` in the kept query was signed as: `Literal` writes it as `%2B`.
    pub(super) query_plus: QueryPlus,
}

/// The text of a [`SigningOutput`]: a `String` as signing writes it, or the same bytes
/// shared with the header values an `http::Request` was given (no copy for those).
#[derive(Clone)]
pub(super) enum Text {
    Owned(String),
    #[cfg(feature = "http")]
    Shared(bytes::Bytes),
}

impl Text {
    #[inline]
    fn get(&self, range: Range<usize>) -> &str {
        match self {
            Text::Owned(s) => &s[range],
            // Made from a `String`, so always UTF-8, and ranges fall on the boundaries
            // signing recorded.
            #[cfg(feature = "http")]
            Text::Shared(b) => std::str::from_utf8(&b[range]).unwrap_or_default(),
        }
    }
}

impl SigningOutput {
    /// The text as shared bytes, for header values that point into it (no copy).
    #[cfg(feature = "http")]
    pub(crate) fn shared_text(&mut self) -> bytes::Bytes {
        let bytes = match &mut self.buf {
            Text::Owned(s) => bytes::Bytes::from(std::mem::take(s)),
            Text::Shared(b) => return b.clone(),
        };
        self.buf = Text::Shared(bytes.clone());
        bytes
    }

    /// The headers to add, with where their values lie in the text.
    #[cfg(feature = "http")]
    pub(crate) fn header_ranges(&self) -> impl Iterator<Item = (&'static str, Range<usize>)> + '_ {
        let query = matches!(self.location, SignatureLocation::Query { .. });
        self.added
            .iter()
            .filter(move |(n, _)| !query || *n == "host")
            .map(|(n, r)| (*n, r.clone()))
    }

    /// The canonical request that was hashed.
    pub fn canonical_request(&self) -> &str {
        self.buf.get(self.creq.clone())
    }

    /// The string to sign.
    pub fn string_to_sign(&self) -> &str {
        self.buf.get(self.sts.clone())
    }

    /// The signed headers list, `host;x-amz-date`.
    pub fn signed_headers(&self) -> &str {
        self.buf.get(self.signed_headers.clone())
    }

    /// The credential scope, `20150830/us-east-1/service/aws4_request` (SigV4a:
    /// `20150830/service/aws4_request`, no region).
    pub fn credential_scope(&self) -> &str {
        self.buf.get(self.scope.clone())
    }

    /// The signature: 64 lowercase hex digits (SigV4a: the lowercase hex of the
    /// DER-encoded ECDSA signature).
    pub fn signature(&self) -> &str {
        self.buf.get(self.signature.clone())
    }

    /// Whether the signature went into headers or into the query string.
    pub fn location(&self) -> SignatureLocation {
        self.location
    }

    /// The headers to add to the request (header mode; in query mode, only a `host` header
    /// when the request had none), replacing any of the same name.
    ///
    /// Names are lowercase (`host`, `x-amz-date`, `x-amz-security-token`,
    /// `x-amz-content-sha256`, `authorization`), as HTTP/2 requires and as they were signed;
    /// HTTP/1.1 header names are case-insensitive, so they can be sent as they are.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        let query = matches!(self.location, SignatureLocation::Query { .. });
        self.added
            .iter()
            .filter(move |(n, _)| !query || *n == "host")
            .map(move |(n, r)| (*n, self.buf.get(r.clone())))
    }

    /// The query parameters to append (query mode), in order, with values already
    /// percent-encoded; empty in header mode.
    pub fn query_params(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.added_params()
            .map(move |(n, r)| (*n, self.buf.get(r.clone())))
    }

    /// The `Authorization` header value (header mode).
    pub fn authorization(&self) -> Option<&str> {
        self.headers()
            .find(|(n, _)| *n == "authorization")
            .map(|(_, v)| v)
    }

    /// The names (lowercase) of the request headers that signing set itself and so did
    /// not sign as given: `authorization` always; `x-amz-date` in header mode; the session
    /// token header (`x-amz-security-token`, or `x-amz-s3session-token` for S3 Express)
    /// when there is a token; `x-amz-content-sha256` when signing added it; and
    /// `x-amz-region-set` for SigV4a.
    ///
    /// A request that is sent must not carry its own headers of these names: drop them,
    /// then add [`headers`](Self::headers). This is what the `http::Request` methods do.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use sigv4::{Credentials, Payload, SignableRequest, Signer};
    ///
    /// let signer = Signer::new("us-east-1", "s3")?;
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let req = SignableRequest::new(
    ///     "GET",
    ///     "https://examplebucket.s3.amazonaws.com/test.txt",
    ///     [("X-Amz-Date", "stale".as_bytes()), ("range", b"bytes=0-9")],
    ///     Payload::Unsigned,
    /// );
    /// let out = signer.sign(&req, &creds, UNIX_EPOCH + Duration::from_secs(1_440_938_160))?;
    /// let replaced: Vec<&str> = out.replaced_headers().collect();
    /// assert_eq!(replaced, ["authorization", "x-amz-date", "x-amz-content-sha256"]);
    /// assert!(out.replaces_header("X-Amz-Date"));
    /// assert!(!out.replaces_header("range"));
    /// # Ok::<(), sigv4::SigningError>(())
    /// ```
    pub fn replaced_headers(&self) -> impl Iterator<Item = &'static str> + '_ {
        replaced_names(self.token_header)
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.replaced & (1 << i) != 0)
            .map(|(_, n)| n)
    }

    /// Whether signing set the header `name` (any case) itself: see
    /// [`replaced_headers`](Self::replaced_headers).
    pub fn replaces_header(&self, name: &str) -> bool {
        self.replaced_headers()
            .any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The signed request's query string for query mode: the original parameters (with any
    /// stale `X-Amz-*` signing parameters removed) followed by the signing parameters and
    /// `X-Amz-Signature`. In header mode, the original query.
    ///
    /// With [`QueryPlus::Literal`] (the default) every raw `+` of the original query is
    /// written as `%2B`, since it was signed as a literal plus; with [`QueryPlus::Space`]
    /// it is kept, since it was signed as the space it means.
    pub fn query_string(&self) -> String {
        let mut q = String::with_capacity(self.query_string_len());
        self.write_query_string(&mut q);
        q
    }

    /// Appends [`query_string`](Self::query_string).
    pub(crate) fn write_query_string(&self, q: &mut String) {
        let start = q.len();
        let kept = self.buf.get(self.kept_query.clone());
        if self.query_plus == QueryPlus::Space || !kept.contains('+') {
            q.push_str(kept);
        } else {
            for (i, part) in kept.split('+').enumerate() {
                if i > 0 {
                    q.push_str("%2B");
                }
                q.push_str(part);
            }
        }
        for (n, r) in self.added_params() {
            if q.len() > start {
                q.push('&');
            }
            q.push_str(n);
            q.push('=');
            q.push_str(self.buf.get(r.clone()));
        }
    }

    /// The query parameters to add (query mode), as names and ranges of the text.
    fn added_params(&self) -> impl Iterator<Item = &(&'static str, Range<usize>)> + '_ {
        let query = matches!(self.location, SignatureLocation::Query { .. });
        self.added
            .iter()
            .filter(move |(n, _)| query && *n != "host")
    }

    /// How a raw `+` in the request's query was read when signing (see [`QueryPlus`]).
    pub fn query_plus(&self) -> QueryPlus {
        self.query_plus
    }

    /// The length of [`query_string`](Self::query_string), so it can be built in place.
    pub(crate) fn query_string_len(&self) -> usize {
        let kept = self.buf.get(self.kept_query.clone());
        let mut len = kept.len();
        // `contains` first: a memchr, where counting reads byte by byte.
        if self.query_plus != QueryPlus::Space && kept.contains('+') {
            len += 2 * kept.bytes().filter(|&b| b == b'+').count();
        }
        for (n, r) in self.added_params() {
            if len > 0 {
                len += 1;
            }
            len += n.len() + 1 + r.len();
        }
        len
    }
}

impl fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session token is a credential: show everything but its value.
        let added: Vec<(&str, &str)> = self
            .added
            .iter()
            .map(|(n, r)| {
                if n.eq_ignore_ascii_case("x-amz-security-token")
                    || n.eq_ignore_ascii_case("x-amz-s3session-token")
                {
                    (*n, "** redacted **")
                } else {
                    (*n, self.buf.get(r.clone()))
                }
            })
            .collect();
        f.debug_struct("SigningOutput")
            .field("signature", &self.signature())
            .field("signed_headers", &self.signed_headers())
            .field("credential_scope", &self.credential_scope())
            .field("added", &added)
            .finish_non_exhaustive()
    }
}
