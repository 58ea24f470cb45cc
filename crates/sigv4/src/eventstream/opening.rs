//! The server side of the HTTP request that opens a signed event stream.

use std::fmt;
use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;

use super::sign::{EventStreamVerifier, STREAMING_EVENTS_PAYLOAD};
use crate::{AmzDate, Credentials, Payload, SignableRequest, Signer, SigningError};

/// Why the request opening an event stream was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpeningRequestError {
    /// No `Authorization` header.
    MissingAuthorization,
    /// The `Authorization` header is not `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
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
}

impl OpeningRequestError {
    /// The AWS error code a service answers with.
    pub fn code(&self) -> &'static str {
        match self {
            OpeningRequestError::MissingAuthorization => "MissingAuthenticationToken",
            OpeningRequestError::WrongAccessKey => "UnrecognizedClientException",
            OpeningRequestError::TimeSkew { .. } => "InvalidSignatureException",
            OpeningRequestError::SignatureMismatch => "InvalidSignatureException",
            _ => "BadRequestException",
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
        }
    }
}

impl std::error::Error for OpeningRequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpeningRequestError::Signing(e) => Some(e),
            _ => None,
        }
    }
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, OpeningRequestError> {
    let bad = OpeningRequestError::MalformedAuthorization;
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or(bad("it must start with AWS4-HMAC-SHA256"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(bad("a part is not key=value"))?;
        let slot = match k {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(bad("unknown part")),
        };
        if slot.replace(v).is_some() {
            return Err(bad("a part is repeated"));
        }
    }
    let credential = credential.ok_or(bad("no Credential"))?;
    let mut scope = credential.rsplitn(5, '/');
    let (Some("aws4_request"), Some(service), Some(region), Some(date), Some(access_key_id)) = (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    ) else {
        return Err(bad(
            "Credential must be AKID/date/region/service/aws4_request",
        ));
    };
    let signature = signature.ok_or(bad("no Signature"))?;
    if signature.len() != 64
        || !signature
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(bad("Signature must be 64 lowercase hex digits"));
    }
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed_headers.ok_or(bad("no SignedHeaders"))?,
        signature,
    })
}

/// Verifies the HTTP request that opens a signed event stream (feature `http`), as the
/// service does, and returns the verifier for its messages, seeded with the request's
/// signature and checking each message's `:date` against `now` within `max_skew`.
///
/// The request must be signed with `AWS4-HMAC-SHA256` by the owner of `credentials`
/// (looked up by the access key id in its `Authorization` header), carry
/// `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-EVENTS`, and be dated within
/// `max_skew` of `now`. The signature is recomputed over the signed headers as received
/// (default, non-S3 URI rules) and compared in constant time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::eventstream::{self, Message, VerifiedEvent};
/// use sigv4::{Credentials, Signer};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut req = http::Request::post("https://stream.example.com/start").body(()).unwrap();
/// let mut client = eventstream::sign_http_request(&Signer::new("us-east-1", "transcribe")?, &mut req, &creds, t)?;
/// let envelope = client.sign(&Message::new(b"hi".to_vec()), t)?;
///
/// // The server, with its copy of the credentials for the request's access key id.
/// let mut verifier = eventstream::verify_opening_request(&req, &creds, t, Duration::from_secs(300))?;
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
    let auth = parse_authorization(
        text("authorization").ok_or(OpeningRequestError::MissingAuthorization)?,
    )?;
    if auth.access_key_id != credentials.access_key_id() {
        return Err(OpeningRequestError::WrongAccessKey);
    }
    if text("x-amz-content-sha256") != Some(STREAMING_EVENTS_PAYLOAD) {
        return Err(OpeningRequestError::NotAnEventStream);
    }
    let date = text("x-amz-date")
        .and_then(AmzDate::parse)
        .filter(|d| d.date() == auth.date)
        .ok_or(OpeningRequestError::InvalidDate)?;
    let signed_at = date.to_system_time();
    let apart = signed_at
        .duration_since(now)
        .or_else(|_| now.duration_since(signed_at))
        .unwrap_or_default();
    if apart > max_skew {
        return Err(OpeningRequestError::TimeSkew {
            signed_at: date.date_time().to_owned(),
            max_skew_secs: max_skew.as_secs(),
        });
    }

    // Recompute over exactly the signed headers, as received.
    let mut signed: Vec<(&str, &[u8])> = Vec::new();
    for name in auth.signed_headers.split(';') {
        let values = headers.get_all(name);
        let mut any = false;
        for v in values {
            signed.push((name, v.as_bytes()));
            any = true;
        }
        if !any {
            return Err(OpeningRequestError::MissingSignedHeader(name.to_owned()));
        }
    }
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let without_token = Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        None,
        None,
    );
    // Exactly the headers the client signed, whatever our own defaults would leave out.
    let settings = crate::SigningSettings {
        headers: crate::HeaderSelection::Exclude(Vec::new()),
        ..Default::default()
    };
    let signer = Signer::new(auth.region, auth.service)
        .map_err(OpeningRequestError::Signing)?
        .with_settings(settings);
    let out = signer
        .sign(
            &SignableRequest::new(
                request.method().as_str(),
                target,
                signed,
                Payload::Precomputed(STREAMING_EVENTS_PAYLOAD),
            ),
            &without_token,
            signed_at,
        )
        .map_err(OpeningRequestError::Signing)?;
    if out.signed_headers() != auth.signed_headers
        || !bool::from(out.signature().as_bytes().ct_eq(auth.signature.as_bytes()))
    {
        return Err(OpeningRequestError::SignatureMismatch);
    }
    let verifier = EventStreamVerifier::new(credentials, auth.region, auth.service, auth.signature)
        .map_err(|e| match e {
            super::EventSigningError::Signing(s) => OpeningRequestError::Signing(s),
            _ => OpeningRequestError::SignatureMismatch,
        })?;
    Ok(verifier.with_max_skew(now, max_skew))
}
