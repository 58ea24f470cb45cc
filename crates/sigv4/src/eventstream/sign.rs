//! Signing and verifying chains of event-stream messages (`AWS4-HMAC-SHA256-PAYLOAD`).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::frame::{FrameError, Header, HeaderValue, Message};
use crate::encoding::{hex_lower, hex_str};
use crate::string_to_sign::{event_string_to_sign, CredentialScope};
use crate::{AmzDate, Credentials, SigningError, SigningKey};

/// The algorithm line of every message's string to sign.
pub const PAYLOAD_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";

/// The `x-amz-content-sha256` value of the HTTP request that opens a signed event stream.
pub const STREAMING_EVENTS_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-EVENTS";

/// The envelope header carrying a message's 32-byte signature.
pub const CHUNK_SIGNATURE_HEADER: &str = ":chunk-signature";

/// The envelope header carrying the signing time (a timestamp, whole seconds).
pub const DATE_HEADER: &str = ":date";

/// Why a message could not be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventSigningError {
    /// The prior (seed) signature is not 64 lowercase hex digits.
    InvalidSeedSignature,
    /// The message could not be encoded.
    Frame(FrameError),
    /// The key, region, service or time does not fit.
    Signing(SigningError),
    /// The end-of-stream message was already signed.
    Ended,
}

/// Why a signed message was refused, as a server refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventVerifyError {
    /// The envelope or the message inside it is not a valid frame.
    Frame {
        /// The message's position in the stream, from 0.
        index: u64,
        /// What is wrong.
        source: FrameError,
    },
    /// The envelope lacks `:chunk-signature` (32 bytes) or `:date` (a timestamp).
    MissingHeader {
        /// The message's position, from 0.
        index: u64,
        /// The header name.
        header: &'static str,
    },
    /// The signature does not match (wrong key, altered message, reordered or dropped message).
    SignatureMismatch {
        /// The message's position, from 0.
        index: u64,
    },
    /// The message's `:date` is too far from the verifier's clock.
    TimeSkew {
        /// The message's position, from 0.
        index: u64,
        /// The message's `:date`, `YYYYMMDDTHHMMSSZ`.
        signed_at: String,
        /// The verifier's time.
        server_time: String,
        /// The allowed difference.
        max_skew_secs: u64,
    },
    /// The message's `:date` cannot be a signing time (before 1970 or after 9999).
    InvalidDate {
        /// The message's position, from 0.
        index: u64,
    },
    /// A message followed the (empty) end-of-stream message.
    AfterEnd {
        /// The message's position, from 0.
        index: u64,
    },
    /// The verifier's key or scope is unusable.
    Signing(SigningError),
}

// Written by hand (no thiserror): the core has no proc-macro dependencies.
impl fmt::Display for EventSigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventSigningError::InvalidSeedSignature => f.write_str(
                "the prior signature must be the 64 lowercase hex digits of the opening request's signature",
            ),
            EventSigningError::Frame(e) => fmt::Display::fmt(e, f),
            EventSigningError::Signing(e) => fmt::Display::fmt(e, f),
            EventSigningError::Ended => f.write_str("the event stream is already ended"),
        }
    }
}

/// The message shows the cause's: `source` reports only what it does not say.
impl std::error::Error for EventSigningError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let cause: &(dyn std::error::Error + 'static) = match self {
            EventSigningError::Frame(e) => e,
            EventSigningError::Signing(e) => e,
            _ => return None,
        };
        crate::error_chain::unshown_source(&self.to_string(), cause)
    }
}

impl From<FrameError> for EventSigningError {
    fn from(e: FrameError) -> Self {
        EventSigningError::Frame(e)
    }
}

impl From<SigningError> for EventSigningError {
    fn from(e: SigningError) -> Self {
        EventSigningError::Signing(e)
    }
}

impl fmt::Display for EventVerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventVerifyError::Frame { index, source } => {
                write!(f, "message {index} is malformed: {source}")
            }
            EventVerifyError::MissingHeader { index, header } => {
                write!(f, "message {index} has no valid {header} header")
            }
            EventVerifyError::SignatureMismatch { index } => {
                write!(f, "the signature of message {index} does not match")
            }
            EventVerifyError::TimeSkew {
                index,
                signed_at,
                server_time,
                max_skew_secs,
            } => write!(
                f,
                "message {index} was signed at {signed_at} but the server time is {server_time}: more than {max_skew_secs} s apart"
            ),
            EventVerifyError::InvalidDate { index } => {
                write!(f, "message {index} has an out-of-range :date")
            }
            EventVerifyError::AfterEnd { index } => {
                write!(f, "message {index} follows the end of the stream")
            }
            EventVerifyError::Signing(e) => fmt::Display::fmt(e, f),
        }
    }
}

/// The message shows the cause's: `source` reports only what it does not say.
impl std::error::Error for EventVerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let cause: &(dyn std::error::Error + 'static) = match self {
            EventVerifyError::Frame { source, .. } => source,
            EventVerifyError::Signing(e) => e,
            _ => return None,
        };
        crate::error_chain::unshown_source(&self.to_string(), cause)
    }
}

impl From<SigningError> for EventVerifyError {
    fn from(e: SigningError) -> Self {
        EventVerifyError::Signing(e)
    }
}

impl EventVerifyError {
    /// The AWS error code a service answers with.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

/// Where the per-day signing key comes from: credentials (re-derived when the day
/// changes, for streams that run past midnight UTC) or one fixed key.
#[derive(Clone)]
enum KeySource {
    Credentials {
        credentials: Credentials,
        region: String,
        service: String,
        cached: Option<SigningKey>,
    },
    Fixed(SigningKey),
}

impl KeySource {
    fn key_for(&mut self, date: &AmzDate) -> Result<&SigningKey, SigningError> {
        match self {
            KeySource::Fixed(k) => {
                k.check_scope(date.date(), k.region(), k.service())?;
                Ok(k)
            }
            KeySource::Credentials {
                credentials,
                region,
                service,
                cached,
            } => {
                let key = match cached.take() {
                    Some(k) if k.date() == date.date() => k,
                    _ => SigningKey::derive_for(
                        credentials.secret_access_key(),
                        date,
                        region,
                        service,
                    )?,
                };
                Ok(cached.insert(key))
            }
        }
    }

    fn scope_hint(&self) -> String {
        match self {
            KeySource::Fixed(k) => k.scope().to_owned(),
            KeySource::Credentials {
                region, service, ..
            } => CredentialScope::new("<date>", Some(region), service).to_string(),
        }
    }
}

fn parse_seed(seed: &str) -> Result<[u8; 64], EventSigningError> {
    let b = seed.as_bytes();
    if b.len() != 64 || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(EventSigningError::InvalidSeedSignature);
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(b);
    Ok(out)
}

/// The encoded `:date` header alone (name length, name, type 8, milliseconds).
fn encoded_date_header(millis: i64) -> [u8; 15] {
    let mut out = [0u8; 15];
    out[0] = 5;
    out[1..6].copy_from_slice(b":date");
    out[6] = 8;
    out[7..15].copy_from_slice(&millis.to_be_bytes());
    out
}

/// The string to sign of one message.
fn string_to_sign(
    date: &AmzDate,
    scope: &CredentialScope<'_>,
    prior: &[u8; 64],
    date_millis: i64,
    encoded_message: &[u8],
) -> String {
    let date_hash: [u8; 64] = hex_lower(&Sha256::digest(encoded_date_header(date_millis)));
    let msg_hash: [u8; 64] = hex_lower(&Sha256::digest(encoded_message));
    let mut s = String::with_capacity(300);
    event_string_to_sign(
        &mut s,
        date.date_time(),
        scope,
        hex_str(prior),
        hex_str(&date_hash),
        hex_str(&msg_hash),
    );
    s
}

fn whole_seconds(time: SystemTime) -> Result<AmzDate, SigningError> {
    AmzDate::from_system_time(time)
}

/// Signs the messages of an event stream, each chained to the one before.
///
/// The first message's prior signature is the signature of the HTTP request that opened
/// the stream (signed with `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-EVENTS`).
/// Each message becomes the payload of an envelope message with the headers
/// `:chunk-signature` (the 32-byte signature) and `:date` (the signing time, whole
/// seconds). End the stream with [`sign_end`](Self::sign_end).
///
/// The signer holds credentials or a signing key (both zeroized on drop) and shows
/// neither in `Debug`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::eventstream::{EventStreamSigner, EventStreamVerifier, Header, HeaderValue, Message, VerifiedEvent};
/// use sigv4::Credentials;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// // The signature of the request that opened the stream.
/// let seed = "be1f8c7d79ef8e1abc5254a2c70e4da3bfaf4f07328f527444e1fc6ea67273e2";
/// let mut signer = EventStreamSigner::new(&creds, "us-east-1", "transcribe", seed)?;
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let audio = Message::new(vec![0u8; 320])
///     .with_header(Header::new(":event-type", HeaderValue::String("AudioEvent".into())));
/// let envelope = signer.sign(&audio, t)?;
/// let end = signer.sign_end(t)?;
///
/// // The service's side.
/// let mut verifier = EventStreamVerifier::new(&creds, "us-east-1", "transcribe", seed)?;
/// assert_eq!(verifier.verify(&envelope)?, VerifiedEvent::Message(audio));
/// assert_eq!(verifier.verify(&end)?, VerifiedEvent::End);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct EventStreamSigner {
    keys: KeySource,
    prior: [u8; 64],
    ended: bool,
}

impl fmt::Debug for EventStreamSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStreamSigner")
            .field("scope", &self.keys.scope_hint())
            .field("previous_signature", &self.previous_signature())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl EventStreamSigner {
    /// A signer for `region` and `service` that derives the day's key from `credentials`
    /// (again when a message is signed on a later day), starting the chain at
    /// `seed_signature`, the opening request's signature (64 hex digits).
    pub fn new(
        credentials: &Credentials,
        region: &str,
        service: &str,
        seed_signature: &str,
    ) -> Result<Self, EventSigningError> {
        crate::signing_key::validate_scope_part(region)
            .map_err(|_| SigningError::InvalidRegion(region.to_owned()))?;
        crate::signing_key::validate_scope_part(service)
            .map_err(|_| SigningError::InvalidService(service.to_owned()))?;
        Ok(EventStreamSigner {
            keys: KeySource::Credentials {
                credentials: credentials.clone(),
                region: region.to_owned(),
                service: service.to_owned(),
                cached: None,
            },
            prior: parse_seed(seed_signature)?,
            ended: false,
        })
    }

    /// A signer with one key: every message must be signed on the key's day.
    pub fn with_key(key: SigningKey, seed_signature: &str) -> Result<Self, EventSigningError> {
        Ok(EventStreamSigner {
            keys: KeySource::Fixed(key),
            prior: parse_seed(seed_signature)?,
            ended: false,
        })
    }

    /// The most recent signature (hex): the seed before any message was signed.
    pub fn previous_signature(&self) -> &str {
        std::str::from_utf8(&self.prior).unwrap_or_default()
    }

    /// Renamed [`previous_signature`](Self::previous_signature), as the chunk signers say.
    #[deprecated(since = "0.1.0", note = "renamed previous_signature")]
    pub fn prior_signature(&self) -> &str {
        self.previous_signature()
    }

    /// The string to sign for `encoded_message` (empty for the end of the stream) at
    /// `time`, without advancing the chain.
    pub fn string_to_sign(
        &mut self,
        encoded_message: &[u8],
        time: SystemTime,
    ) -> Result<String, EventSigningError> {
        let date = whole_seconds(time)?;
        let prior = self.prior;
        let key = self.keys.key_for(&date)?;
        Ok(string_to_sign(
            &date,
            &key.credential_scope(),
            &prior,
            date_millis(&date),
            encoded_message,
        ))
    }

    /// Signs `message` at `time` and returns the envelope to send.
    pub fn sign(
        &mut self,
        message: &Message,
        time: SystemTime,
    ) -> Result<Message, EventSigningError> {
        let encoded = message.encode()?;
        self.sign_encoded(encoded, time)
    }

    /// Signs an already encoded message frame at `time` and returns the envelope.
    pub fn sign_encoded(
        &mut self,
        encoded_message: Vec<u8>,
        time: SystemTime,
    ) -> Result<Message, EventSigningError> {
        if self.ended {
            return Err(EventSigningError::Ended);
        }
        if encoded_message.is_empty() {
            self.ended = true;
        }
        let date = whole_seconds(time)?;
        let millis = date_millis(&date);
        let key = self.keys.key_for(&date)?;
        let sts = string_to_sign(
            &date,
            &key.credential_scope(),
            &self.prior,
            millis,
            &encoded_message,
        );
        let signature = key.sign(sts.as_bytes());
        self.prior = hex_lower(&signature);
        Ok(Message {
            headers: vec![
                Header::new(
                    CHUNK_SIGNATURE_HEADER,
                    HeaderValue::ByteArray(signature.to_vec()),
                ),
                Header::new(DATE_HEADER, HeaderValue::Timestamp(millis)),
            ],
            payload: encoded_message,
        })
    }

    /// Signs the empty end-of-stream message; nothing can be signed after it.
    pub fn sign_end(&mut self, time: SystemTime) -> Result<Message, EventSigningError> {
        self.sign_encoded(Vec::new(), time)
    }

    /// Whether the end-of-stream message was signed.
    pub fn is_ended(&self) -> bool {
        self.ended
    }
}

fn date_millis(date: &AmzDate) -> i64 {
    // At most year 9999: far inside i64 milliseconds.
    (date.unix_seconds() as i64).saturating_mul(1000)
}

/// What a verified envelope carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifiedEvent {
    /// A message, decoded from the envelope's payload, whose signature checked out.
    Message(Message),
    /// The empty end-of-stream message: the stream is complete.
    End,
}

/// Verifies a chain of signed event-stream messages as a service does: each envelope's
/// `:chunk-signature` must be the signature of its payload and `:date`, chained to the
/// previous one from the opening request's signature; a message dropped, reordered,
/// altered or replayed from another stream fails. Signatures are compared in constant time.
///
/// See [`EventStreamSigner`] for an example.
#[derive(Clone)]
pub struct EventStreamVerifier {
    keys: KeySource,
    prior: [u8; 64],
    index: u64,
    ended: bool,
    max_skew: Option<(SystemTime, Duration)>,
}

impl fmt::Debug for EventStreamVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStreamVerifier")
            .field("scope", &self.keys.scope_hint())
            .field("previous_signature", &std::str::from_utf8(&self.prior).ok())
            .field("index", &self.index)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl EventStreamVerifier {
    /// A verifier deriving the day's key from `credentials` (the server's copy of the
    /// client's secret), starting at the opening request's signature.
    pub fn new(
        credentials: &Credentials,
        region: &str,
        service: &str,
        seed_signature: &str,
    ) -> Result<Self, EventSigningError> {
        let signer = EventStreamSigner::new(credentials, region, service, seed_signature)?;
        Ok(Self::from_parts(signer.keys, signer.prior))
    }

    /// A verifier with one key: messages dated on another day fail.
    pub fn with_key(key: SigningKey, seed_signature: &str) -> Result<Self, EventSigningError> {
        Ok(Self::from_parts(
            KeySource::Fixed(key),
            parse_seed(seed_signature)?,
        ))
    }

    fn from_parts(keys: KeySource, prior: [u8; 64]) -> Self {
        EventStreamVerifier {
            keys,
            prior,
            index: 0,
            ended: false,
            max_skew: None,
        }
    }

    /// Refuses messages whose `:date` is more than `max_skew` away from `now` (services
    /// allow 5 minutes). Update `now` with [`set_now`](Self::set_now) as time passes.
    pub fn with_max_skew(mut self, now: SystemTime, max_skew: Duration) -> Self {
        self.max_skew = Some((now, max_skew));
        self
    }

    /// The verifier's current time for the skew check.
    pub fn set_now(&mut self, now: SystemTime) {
        if let Some((t, _)) = &mut self.max_skew {
            *t = now;
        }
    }

    /// How many messages were verified.
    pub fn verified_count(&self) -> u64 {
        self.index
    }

    /// Whether the end-of-stream message was verified.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Decodes and verifies one envelope frame.
    pub fn verify_frame(&mut self, frame: &[u8]) -> Result<VerifiedEvent, EventVerifyError> {
        let envelope = Message::decode(frame).map_err(|source| EventVerifyError::Frame {
            index: self.index,
            source,
        })?;
        self.verify(&envelope)
    }

    /// Verifies one decoded envelope and returns the message it carries.
    pub fn verify(&mut self, envelope: &Message) -> Result<VerifiedEvent, EventVerifyError> {
        let index = self.index;
        if self.ended {
            return Err(EventVerifyError::AfterEnd { index });
        }
        let Some(HeaderValue::ByteArray(sig)) = envelope.header(CHUNK_SIGNATURE_HEADER) else {
            return Err(EventVerifyError::MissingHeader {
                index,
                header: CHUNK_SIGNATURE_HEADER,
            });
        };
        if sig.len() != 32 {
            return Err(EventVerifyError::MissingHeader {
                index,
                header: CHUNK_SIGNATURE_HEADER,
            });
        }
        let Some(&HeaderValue::Timestamp(millis)) = envelope.header(DATE_HEADER) else {
            return Err(EventVerifyError::MissingHeader {
                index,
                header: DATE_HEADER,
            });
        };
        let secs = u64::try_from(millis.div_euclid(1000))
            .map_err(|_| EventVerifyError::InvalidDate { index })?;
        let date = AmzDate::from_unix_seconds(secs)
            .map_err(|_| EventVerifyError::InvalidDate { index })?;
        if let Some((now, max)) = self.max_skew {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            let apart = t
                .duration_since(now)
                .or_else(|_| now.duration_since(t))
                .unwrap_or_default();
            if apart > max {
                return Err(EventVerifyError::TimeSkew {
                    index,
                    signed_at: date.date_time().to_owned(),
                    server_time: AmzDate::from_system_time(now)
                        .map(|d| d.date_time().to_owned())
                        .unwrap_or_default(),
                    max_skew_secs: max.as_secs(),
                });
            }
        }
        let key = self.keys.key_for(&date)?;
        let sts = string_to_sign(
            &date,
            &key.credential_scope(),
            &self.prior,
            millis,
            &envelope.payload,
        );
        let expected = key.sign(sts.as_bytes());
        if !bool::from(expected.as_slice().ct_eq(sig)) {
            return Err(EventVerifyError::SignatureMismatch { index });
        }
        self.prior = hex_lower(&expected);
        self.index += 1;
        if envelope.payload.is_empty() {
            self.ended = true;
            return Ok(VerifiedEvent::End);
        }
        let inner = Message::decode(&envelope.payload)
            .map_err(|source| EventVerifyError::Frame { index, source })?;
        Ok(VerifiedEvent::Message(inner))
    }
}

/// Signs the HTTP request that opens an event stream (feature `http`) and returns the
/// signer for its messages, chained to the request's signature.
///
/// Sets `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-EVENTS` (signed, and the
/// canonical request's payload line), as the streaming services require.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::eventstream::{self, Message};
/// use sigv4::{Credentials, Signer};
///
/// let signer = Signer::new("us-east-1", "transcribe")?;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let mut req = http::Request::post("https://transcribestreaming.us-east-1.amazonaws.com/stream-transcription")
///     .header("content-type", "application/vnd.amazon.eventstream")
///     .body(())
///     .unwrap();
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut messages = eventstream::sign_http_request(&signer, &mut req, &creds, t)?;
/// assert_eq!(req.headers()["x-amz-content-sha256"], "STREAMING-AWS4-HMAC-SHA256-EVENTS");
/// let auth = req.headers()["authorization"].to_str()?;
/// assert!(auth.ends_with(messages.previous_signature()));
/// let envelope = messages.sign(&Message::new(b"audio".to_vec()), t)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "http")]
pub fn sign_http_request<B>(
    signer: &crate::Signer,
    request: &mut http::Request<B>,
    credentials: &Credentials,
    time: SystemTime,
) -> Result<EventStreamSigner, EventSigningError> {
    request.headers_mut().insert(
        "x-amz-content-sha256",
        http::HeaderValue::from_static(STREAMING_EVENTS_PAYLOAD),
    );
    let out = signer.sign_http_request_with_payload(
        request,
        crate::Payload::Precomputed(STREAMING_EVENTS_PAYLOAD),
        credentials,
        time,
    )?;
    EventStreamSigner::new(
        credentials,
        signer.region(),
        signer.service(),
        out.signature(),
    )
}
