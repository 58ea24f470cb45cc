//! The server side of the HTTP request that opens a signed event stream.

use std::fmt;
use std::time::{Duration, SystemTime};

use super::parse::parse_authorization;
use super::{ScopePart, VerifiableRequest, Verifier, VerifyBody, VerifyError};
use crate::eventstream::{EventStreamVerifier, STREAMING_EVENTS_PAYLOAD};
use crate::{Credentials, SigningError};

/// Why the request opening an event stream was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpeningRequestError {
    /// No `Authorization` header.
    MissingAuthorization,
    /// No longer returned: a malformed `Authorization` header is
    /// [`Rejected`](Self::Rejected) with
    /// [`VerifyError::AuthorizationHeaderMalformed`], the verdict of the one parser every
    /// verifying entry point uses. Kept so that code matching on it compiles.
    MalformedAuthorization(&'static str),
    /// The request is signed with another access key than the credentials given.
    WrongAccessKey,
    /// `x-amz-content-sha256` is not `STREAMING-AWS4-HMAC-SHA256-EVENTS`.
    NotAnEventStream,
    /// `x-amz-date` is missing, malformed, or not on the scope's day.
    InvalidDate,
    /// The request was signed too far from the server's time.
    TimeSkew {
        /// The request's `x-amz-date`.
        signed_at: String,
        /// The allowed difference in seconds.
        max_skew_secs: u64,
    },
    /// A header named in `SignedHeaders` is missing or not text.
    MissingSignedHeader(String),
    /// The signature does not match.
    SignatureMismatch,
    /// The scope's region or service cannot be signed for.
    Signing(SigningError),
    /// Refused by the request verifier for another reason (for example an unsigned
    /// `x-amz-*` header or a wrong session token); its code is the verifier's.
    Rejected(VerifyError),
}

impl OpeningRequestError {
    /// The AWS error code a service answers with.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The request verifier's refusal, in this error's terms.
    fn from_verify(e: VerifyError) -> Self {
        match e {
            VerifyError::SignatureDoesNotMatch(_) => OpeningRequestError::SignatureMismatch,
            VerifyError::InvalidAccessKeyId(_) => OpeningRequestError::WrongAccessKey,
            VerifyError::SignedHeaderAbsent { name, .. } => {
                OpeningRequestError::MissingSignedHeader(name)
            }
            VerifyError::InvalidDate { .. }
            | VerifyError::WrongScope {
                part: ScopePart::Date,
                ..
            } => OpeningRequestError::InvalidDate,
            VerifyError::RequestTimeTooSkewed {
                request_time,
                max_skew_secs,
                ..
            } => OpeningRequestError::TimeSkew {
                signed_at: request_time.date_time().to_owned(),
                max_skew_secs,
            },
            VerifyError::NotAnEventStream => OpeningRequestError::NotAnEventStream,
            other => OpeningRequestError::Rejected(other),
        }
    }
}

// Written by hand (no thiserror): the core has no proc-macro dependencies.
impl fmt::Display for OpeningRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpeningRequestError::MissingAuthorization => {
                f.write_str("the request has no Authorization header")
            }
            OpeningRequestError::MalformedAuthorization(why) => {
                write!(f, "the Authorization header is malformed: {why}")
            }
            OpeningRequestError::WrongAccessKey => {
                f.write_str("the request is signed with another access key")
            }
            OpeningRequestError::NotAnEventStream => write!(
                f,
                "x-amz-content-sha256 must be {STREAMING_EVENTS_PAYLOAD} for a signed event stream"
            ),
            OpeningRequestError::InvalidDate => f.write_str(
                "x-amz-date is missing, malformed or not on the credential scope's day",
            ),
            OpeningRequestError::TimeSkew {
                signed_at,
                max_skew_secs,
            } => write!(
                f,
                "the request was signed at {signed_at}, more than {max_skew_secs} s from the server's time"
            ),
            OpeningRequestError::MissingSignedHeader(h) => {
                write!(f, "the signed header {h:?} is missing or not text")
            }
            OpeningRequestError::SignatureMismatch => {
                f.write_str("the request signature does not match")
            }
            OpeningRequestError::Signing(e) => fmt::Display::fmt(e, f),
            OpeningRequestError::Rejected(e) => fmt::Display::fmt(e, f),
        }
    }
}

/// The message shows the cause's: `source` reports only what it does not say.
impl std::error::Error for OpeningRequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let cause: &(dyn std::error::Error + 'static) = match self {
            OpeningRequestError::Signing(e) => e,
            OpeningRequestError::Rejected(e) => e,
            _ => return None,
        };
        crate::error_chain::unshown_source(&self.to_string(), cause)
    }
}

/// Verifies the HTTP request that opens a signed event stream (feature `http`), as the
/// service does, and returns the verifier for its messages, seeded with the request's
/// signature and checking each message's `:date` against `now` within `max_skew`.
///
/// The request must be signed with `AWS4-HMAC-SHA256` by the owner of `credentials`
/// (looked up by the access key id in its `Authorization` header), carry
/// `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-EVENTS`, and be dated within
/// `max_skew` of `now`. The request is then checked by
/// [`Verifier`](crate::verify::Verifier) for the scope's region and service (that
/// service's URI rules, every `x-amz-*` header signed, the session token when the
/// credentials have one, signatures compared in constant time), and the messages'
/// verifier comes from [`Verified::event_stream`](crate::verify::Verified::event_stream).
/// Refusals the other variants do not name are [`OpeningRequestError::Rejected`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::eventstream::{self, Message, VerifiedEvent};
/// use sigv4::verify::verify_opening_request;
/// use sigv4::{Credentials, Signer};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut req = http::Request::post("https://stream.example.com/start").body(()).unwrap();
/// let mut client = eventstream::sign_http_request(&Signer::new("us-east-1", "transcribe")?, &mut req, &creds, t)?;
/// let envelope = client.sign(&Message::new(b"hi".to_vec()), t)?;
///
/// // The server, with its copy of the credentials for the request's access key id.
/// let mut verifier = verify_opening_request(&req, &creds, t, Duration::from_secs(300))?;
/// assert_eq!(verifier.verify(&envelope)?, VerifiedEvent::Message(Message::new(b"hi".to_vec())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_opening_request<B>(
    request: &http::Request<B>,
    credentials: &Credentials,
    now: SystemTime,
    max_skew: Duration,
) -> Result<EventStreamVerifier, OpeningRequestError> {
    let headers = request.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // The verifier's own Authorization parser (one parser for every entry point): which
    // service and region to verify for, and whose key.
    let auth = parse_authorization(
        headers
            .get("authorization")
            .ok_or(OpeningRequestError::MissingAuthorization)?
            .as_bytes(),
    )
    .map_err(OpeningRequestError::Rejected)?;
    if auth.v4a.is_some() {
        return Err(OpeningRequestError::Rejected(VerifyError::InvalidRequest(
            "a signed event stream is opened with AWS4-HMAC-SHA256; SigV4a event streams are not supported".to_owned(),
        )));
    }
    if auth.access_key_id != credentials.access_key_id() {
        return Err(OpeningRequestError::WrongAccessKey);
    }
    if text("x-amz-content-sha256") != Some(STREAMING_EVENTS_PAYLOAD) {
        return Err(OpeningRequestError::NotAnEventStream);
    }
    // The request itself is checked by the core verifier (scope, date, skew, signed
    // headers, session token, signature in constant time), which also seeds the verifier
    // of the messages: one implementation of both.
    let verifier = Verifier::new(&auth.region, &auth.service)
        .map_err(OpeningRequestError::Signing)?
        .with_max_skew(max_skew);
    let verified = verifier
        .verify_with(
            &VerifiableRequest::from_http(request, VerifyBody::Unavailable),
            Some(credentials.clone()),
            now,
        )
        .map_err(OpeningRequestError::from_verify)?;
    let messages = verified
        .event_stream()
        .map_err(OpeningRequestError::from_verify)?;
    Ok(messages.with_max_skew(now, max_skew))
}
