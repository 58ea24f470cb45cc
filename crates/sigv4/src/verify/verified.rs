//! A request whose signature is valid, and what covers its body.

use std::fmt;

use super::chunk_signature::SignatureChain;
use super::chunked::ChunkedBodyVerifier;
use super::error::AuthMode;
use crate::checksum::ChecksumAlgorithm;
use crate::streaming::StreamingMode;
use crate::{AmzDate, Credentials};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PayloadKind {
    Hash([u8; 32]),
    Unsigned,
    Streaming(StreamingMode),
    EventStream,
}

/// What the payload line of a verified request said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifiedPayload {
    /// A SHA-256 of the body (checked against it when the body was given).
    Sha256([u8; 32]),
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
    Unsigned,
    /// An aws-chunked body: verify it with [`Verified::chunked_body`].
    Streaming(StreamingMode),
    /// `STREAMING-AWS4-HMAC-SHA256-EVENTS` (header mode only): the body is a chain of signed
    /// event-stream messages seeded with the request's signature; verify it with
    /// `Verified::event_stream` (feature `event-stream`).
    EventStream,
}

/// A request whose signature is valid.
///
/// For a streaming upload it holds the day's signing key for the request's scope (zeroized
/// on drop, never shown by `Debug`) so the body can be verified.
#[derive(Clone)]
pub struct Verified {
    pub(super) access_key_id: String,
    pub(super) scope: String,
    pub(super) time: AmzDate,
    pub(super) mode: AuthMode,
    pub(super) signed_headers: String,
    pub(super) signature: [u8; 64],
    pub(super) payload: PayloadKind,
    pub(super) body_checked: bool,
    pub(super) session_token: bool,
    /// The scope's region (for SigV4a: the region set) and service.
    pub(super) region: String,
    #[cfg_attr(not(feature = "event-stream"), allow(dead_code))]
    pub(super) service: String,
    /// The DER hex signature of a SigV4a request (`signature` is then unused).
    pub(super) v4a_signature: Option<String>,
    pub(super) decoded_length: Option<u64>,
    pub(super) trailer: Option<String>,
    pub(super) checksum: Option<ChecksumAlgorithm>,
    /// Present exactly when the payload is a signed streaming one: the chain of chunk
    /// signatures, seeded with the request's.
    pub(super) chunk_chain: Option<SignatureChain>,
    /// Present exactly when the payload is an event stream: its messages are signed with
    /// the key of their own `:date`, which may be a later day than the request's.
    #[cfg_attr(not(feature = "event-stream"), allow(dead_code))]
    pub(super) event_credentials: Option<Credentials>,
}

impl Verified {
    /// The access key id that signed the request.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The credential scope, `date/region/service/aws4_request`.
    pub fn credential_scope(&self) -> &str {
        &self.scope
    }

    /// The region the request was signed for; for a SigV4a request, its region set
    /// (`*`, `us-east-1,us-west-2`...), which covers a region the verifier accepts.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The region set of a SigV4a (`AWS4-ECDSA-P256-SHA256`) request; `None` for SigV4.
    pub fn region_set(&self) -> Option<&str> {
        self.v4a_signature.as_ref().map(|_| self.region.as_str())
    }

    /// The request's signing time.
    pub fn time(&self) -> AmzDate {
        self.time
    }

    /// Header or query (presigned URL).
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// The signed headers, `host;x-amz-date`.
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }

    /// The request's signature (the seed of a streaming body).
    pub fn signature(&self) -> &str {
        match &self.v4a_signature {
            Some(der_hex) => der_hex,
            None => std::str::from_utf8(&self.signature).unwrap_or_default(),
        }
    }

    /// Whether the request carried a (valid) session token.
    pub fn has_session_token(&self) -> bool {
        self.session_token
    }

    /// What the payload line said.
    pub fn payload(&self) -> VerifiedPayload {
        match self.payload {
            PayloadKind::Hash(h) => VerifiedPayload::Sha256(h),
            PayloadKind::Unsigned => VerifiedPayload::Unsigned,
            PayloadKind::Streaming(m) => VerifiedPayload::Streaming(m),
            PayloadKind::EventStream => VerifiedPayload::EventStream,
        }
    }

    /// Whether the body was given and matched the signed hash.
    pub fn body_checked(&self) -> bool {
        self.body_checked
    }

    /// When the body was not given and the signature covers its SHA-256, the hash the body
    /// must have: compare it after reading the body, and refuse the request with
    /// `XAmzContentSHA256Mismatch` if it differs.
    pub fn expected_payload_sha256(&self) -> Option<[u8; 32]> {
        match self.payload {
            PayloadKind::Hash(h) if !self.body_checked => Some(h),
            _ => None,
        }
    }

    /// A verifier for the aws-chunked body of a streaming upload, or `None` when the
    /// request's payload is not a streaming one (then [`payload`](Self::payload) says
    /// what covers the body).
    ///
    /// It cannot fail: everything it needs (the chunk signer of a signed mode, the
    /// trailer's checksum) was set up while verifying the request, which is refused when
    /// that is impossible.
    pub fn chunked_body(&self) -> Option<ChunkedBodyVerifier> {
        let PayloadKind::Streaming(mode) = self.payload else {
            return None;
        };
        Some(ChunkedBodyVerifier::from_verified(
            mode,
            self.chunk_chain.clone(),
            self.decoded_length,
            self.trailer.clone(),
            self.checksum,
        ))
    }

    /// The verifier for the body of a request that opens a signed event stream
    /// ([`VerifiedPayload::EventStream`]), seeded with the request's signature: each
    /// message must be signed in order, chained from it.
    ///
    /// It fails with [`VerifyError::NotAnEventStream`](super::VerifyError::NotAnEventStream) for any other payload, so a server
    /// cannot mistake an unverified body for a verified chain. Add the server's clock with
    /// [`EventStreamVerifier::with_max_skew`](crate::eventstream::EventStreamVerifier::with_max_skew) to check each message's `:date`.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use sigv4::eventstream::{self, Message, VerifiedEvent};
    /// use sigv4::verify::{VerifiableRequest, VerifiedPayload, VerifyBody, Verifier};
    /// use sigv4::{Credentials, Signer};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
    /// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let mut req = http::Request::post("https://stream.example.com/start").body(()).unwrap();
    /// let mut client = eventstream::sign_http_request(&Signer::new("us-east-1", "transcribe")?, &mut req, &creds, t)?;
    /// let envelope = client.sign(&Message::new(b"hi".to_vec()), t)?;
    ///
    /// let verified = Verifier::new("us-east-1", "transcribe")?
    ///     .verify_with(&VerifiableRequest::from_http(&req, VerifyBody::Unavailable), Some(creds), t)?;
    /// assert_eq!(verified.payload(), VerifiedPayload::EventStream);
    /// let mut messages = verified.event_stream()?.with_max_skew(t, Duration::from_secs(300));
    /// assert_eq!(messages.verify(&envelope)?, VerifiedEvent::Message(Message::new(b"hi".to_vec())));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "event-stream")]
    pub fn event_stream(
        &self,
    ) -> Result<crate::eventstream::EventStreamVerifier, super::VerifyError> {
        use super::VerifyError;
        let (PayloadKind::EventStream, Some(creds)) = (self.payload, &self.event_credentials)
        else {
            return Err(VerifyError::NotAnEventStream);
        };
        crate::eventstream::EventStreamVerifier::new(
            creds,
            &self.region,
            &self.service,
            self.signature(),
        )
        .map_err(|e| VerifyError::InvalidRequest(e.to_string()))
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("time", &self.time)
            .field("mode", &self.mode)
            .field("signed_headers", &self.signed_headers)
            .field("payload", &self.payload())
            .field("body_checked", &self.body_checked)
            .finish_non_exhaustive()
    }
}
