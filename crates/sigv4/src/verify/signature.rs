//! Step 2 of a verification, with the credentials: the session token, the payload line,
//! the canonical request and string to sign rebuilt with the signer's building blocks, the
//! signature compared in constant time, and what a streaming body will be checked with.

use std::time::SystemTime;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::chunk_signature::SignatureChain;
use super::edge;
use super::error::{AuthMode, SignatureMismatch, VerifyError};
use super::parse::{hex_nibble, Parsed, V4aSignature};
use super::request::{VerifiableRequest, VerifyBody};
use super::verified::{PayloadKind, Verified};
use super::{malformed, truncate, Verifier};
use crate::canonical_request::{
    canonical_query_plus, canonical_request_hash, canonical_uri, HeaderScratch,
};
use crate::checksum::ChecksumAlgorithm;
use crate::encoding::{hex_lower, hex_str};
use crate::request::{split_target, Target};
use crate::settings::{SessionTokenMode, UNSIGNED_PAYLOAD};
use crate::streaming::StreamingMode;
use crate::string_to_sign::{request_string_to_sign, CredentialScope};
use crate::{AmzDate, Credentials, SigningKey, ALGORITHM};

/// The SigV4a algorithm name (never reached without the `sigv4a` feature: the parser
/// only accepts it with SigV4a built in).
#[cfg(feature = "sigv4a")]
const V4A_ALGORITHM: &str = crate::sigv4a::ALGORITHM;
#[cfg(not(feature = "sigv4a"))]
const V4A_ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256";

impl Verifier {
    /// Rebuilds the signature with the credentials and compares.
    pub(super) fn complete(
        &self,
        req: &VerifiableRequest<'_>,
        p: Parsed,
        creds: Option<Credentials>,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let time = p.time.ok_or_else(|| VerifyError::InvalidDate {
            mode: p.mode,
            reason: "the request has no date".into(),
        })?;
        let creds = check_credentials(&p, creds, now)?;
        let target =
            split_target(&req.target).map_err(|e| VerifyError::InvalidRequest(e.to_string()))?;

        let body_hash: Option<[u8; 32]> = match req.body {
            VerifyBody::Bytes(b) => Some(Sha256::digest(b).into()),
            VerifyBody::Sha256(h) => Some(h),
            VerifyBody::Unavailable => None,
        };
        let (payload, payload_line) = self.payload_line(req, &p, body_hash)?;
        let (creq, hs) = self.canonical_request(req, &p, &target, &payload_line)?;

        let (scope, key) = self.check_signature(&p, &creds, time, creq)?;

        // The body, when it is known and the signature covers its hash.
        if let (PayloadKind::Hash(claimed), Some(actual)) = (&payload, body_hash) {
            if !bool::from(claimed.ct_eq(&actual)) {
                return Err(VerifyError::ContentSha256Mismatch {
                    claimed: crate::hex(claimed),
                    computed: crate::hex(&actual),
                });
            }
        }
        let body_checked = matches!(payload, PayloadKind::Hash(_)) && body_hash.is_some();

        let mut signed_headers = String::new();
        hs.write_signed_list(&mut signed_headers);
        let streaming = streaming_setup(req, payload, &key, time, &p)?;
        // An event stream's messages may be dated on later days than the request, each
        // signed with its own day's key: the verifier of its body needs the credentials.
        let event_credentials = (payload == PayloadKind::EventStream).then_some(creds);
        Ok(Verified {
            access_key_id: p.access_key_id,
            scope,
            time,
            mode: p.mode,
            signed_headers,
            signature: p.signature,
            payload,
            body_checked,
            session_token: p.token.is_some(),
            region: match &p.v4a {
                Some(v4a) => v4a.region_set.clone(),
                None => p.region,
            },
            service: p.service,
            v4a_signature: p.v4a.map(|v| v.signature_hex),
            decoded_length: streaming.decoded_length,
            trailer: streaming.trailer,
            checksum: streaming.checksum,
            chunk_chain: streaming.chunk_chain,
            event_credentials,
        })
    }

    /// Rebuilds the string to sign over `creq` and checks the request's signature: an
    /// HMAC compared in constant time (SigV4), or an ECDSA P-256 signature checked with
    /// the public key derived from the secret (SigV4a). Returns the credential scope and
    /// the key that checks the chunk signatures of a streaming body.
    fn check_signature(
        &self,
        p: &Parsed,
        creds: &Credentials,
        time: AmzDate,
        creq: String,
    ) -> Result<(String, ChainKey), VerifyError> {
        let creq_hash = canonical_request_hash(creq.as_bytes());
        let (algorithm, region) = match &p.v4a {
            Some(_) => (V4A_ALGORITHM, None),
            None => (ALGORITHM, Some(p.region.as_str())),
        };
        let mut sts = String::with_capacity(160);
        let scope_range = request_string_to_sign(
            &mut sts,
            algorithm,
            time.date_time(),
            &CredentialScope::new(&p.date, region, &p.service),
            hex_str(&creq_hash),
        );
        let scope = sts[scope_range].to_owned();
        let (matches, key) = match &p.v4a {
            Some(v4a) => self.check_v4a(p, v4a, creds, &sts)?,
            None => {
                let key = self
                    .keys
                    .get(creds, &p.date, &p.region, &p.service)
                    .map_err(|e| malformed(p.mode, &e.to_string()))?;
                let computed: [u8; 64] = hex_lower(&key.sign(sts.as_bytes()));
                (
                    bool::from(computed.ct_eq(&p.signature)),
                    ChainKey::Hmac(key),
                )
            }
        };
        if !matches {
            return Err(VerifyError::SignatureDoesNotMatch(Box::new(
                SignatureMismatch {
                    canonical_request: creq,
                    string_to_sign: sts,
                    token: creds.session_token().map(str::to_owned),
                },
            )));
        }
        Ok((scope, key))
    }

    /// Whether the SigV4a signature verifies with the public key of `creds` (derived once
    /// per access key and secret, then cached).
    #[cfg(feature = "sigv4a")]
    fn check_v4a(
        &self,
        p: &Parsed,
        v4a: &V4aSignature,
        creds: &Credentials,
        sts: &str,
    ) -> Result<(bool, ChainKey), VerifyError> {
        let key = self
            .v4a_keys
            .get_or_derive(creds)
            .map_err(|e| malformed(p.mode, &e.to_string()))?
            .public_key();
        let ok = key.verify_hex(sts.as_bytes(), &v4a.signature_hex);
        Ok((ok, ChainKey::Ecdsa(key)))
    }

    /// Without SigV4a built in, no SigV4a signature is parsed.
    #[cfg(not(feature = "sigv4a"))]
    fn check_v4a(
        &self,
        p: &Parsed,
        _v4a: &V4aSignature,
        _creds: &Credentials,
        _sts: &str,
    ) -> Result<(bool, ChainKey), VerifyError> {
        Err(malformed(p.mode, "SigV4a is not supported"))
    }

    /// The payload line: `x-amz-content-sha256` (a hash, `UNSIGNED-PAYLOAD` or a
    /// `STREAMING-*` marker), `UNSIGNED-PAYLOAD` for presigned S3 URLs, or the body's hash.
    fn payload_line(
        &self,
        req: &VerifiableRequest<'_>,
        p: &Parsed,
        body_hash: Option<[u8; 32]>,
    ) -> Result<(PayloadKind, String), VerifyError> {
        let claimed = req.single_header("x-amz-content-sha256").map_err(|()| {
            VerifyError::InvalidContentSha256("(more than one x-amz-content-sha256 header)".into())
        })?;
        let Some(v) = claimed else {
            return match p.mode {
                AuthMode::Header if self.require_content_sha256 => {
                    Err(VerifyError::MissingContentSha256)
                }
                AuthMode::Query if self.presigned_unsigned_payload => {
                    Ok((PayloadKind::Unsigned, UNSIGNED_PAYLOAD.to_owned()))
                }
                _ => {
                    let h = body_hash.ok_or(VerifyError::BodyRequired)?;
                    Ok((
                        PayloadKind::Hash(h),
                        String::from_utf8_lossy(&hex_lower::<64>(&h)).into_owned(),
                    ))
                }
            };
        };
        let v = std::str::from_utf8(v)
            .map_err(|_| VerifyError::InvalidContentSha256("(not UTF-8)".into()))?
            .trim();
        let payload = if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut h = [0u8; 32];
            for (i, pair) in v.as_bytes().chunks(2).enumerate() {
                h[i] = hex_nibble(pair[0]) << 4 | hex_nibble(pair[1]);
            }
            PayloadKind::Hash(h)
        } else if v == UNSIGNED_PAYLOAD {
            if !self.allow_unsigned_payload {
                return Err(VerifyError::UnsignedPayloadNotAllowed(UNSIGNED_PAYLOAD));
            }
            PayloadKind::Unsigned
        } else if let Some(m) = streaming_payload(v, p.v4a.is_some())? {
            if !m.is_signed() && !self.allow_unsigned_payload {
                return Err(VerifyError::UnsignedPayloadNotAllowed(m.content_sha256()));
            }
            PayloadKind::Streaming(m)
        } else if let Some(kind) = event_stream_payload(v, p.mode)? {
            kind
        } else {
            return Err(VerifyError::InvalidContentSha256(truncate(v)));
        };
        Ok((payload, v.to_owned()))
    }

    /// The canonical request, and the signed headers' canonical form.
    fn canonical_request(
        &self,
        req: &VerifiableRequest<'_>,
        p: &Parsed,
        target: &Target<'_>,
        payload_line: &str,
    ) -> Result<(String, HeaderScratch), VerifyError> {
        let mut creq = String::with_capacity(256 + req.target.len() * 2);
        creq.push_str(req.method);
        creq.push('\n');
        canonical_uri(&mut creq, target.path, self.uri_rules());
        creq.push('\n');
        let skip_token = p.mode == AuthMode::Query
            && self.session_token_mode == SessionTokenMode::AppendAfterSigning;
        let query_mode = p.mode == AuthMode::Query;
        canonical_query_plus(&mut creq, target.query, self.query_plus, &[], |k| {
            query_mode && (k == b"X-Amz-Signature" || (skip_token && k == b"X-Amz-Security-Token"))
        });
        creq.push('\n');
        let hs = signed_header_values(req, p, target)?;
        hs.write(&mut creq);
        creq.push('\n');
        creq.push_str(payload_line);
        Ok((creq, hs))
    }
}

/// `STREAMING-AWS4-HMAC-SHA256-EVENTS`: the body is a chain of signed event-stream
/// messages. Services accept it only on a request signed in its `Authorization` header
/// (the messages are chained from that signature); with feature `event-stream` off the
/// body could not be verified, so the marker stays unknown.
fn event_stream_payload(v: &str, mode: AuthMode) -> Result<Option<PayloadKind>, VerifyError> {
    #[cfg(feature = "event-stream")]
    if v == crate::eventstream::STREAMING_EVENTS_PAYLOAD {
        return match mode {
            AuthMode::Header => Ok(Some(PayloadKind::EventStream)),
            AuthMode::Query => Err(malformed(
                mode,
                "STREAMING-AWS4-HMAC-SHA256-EVENTS needs an Authorization header, not a presigned URL",
            )),
        };
    }
    let _ = (v, mode);
    Ok(None)
}

/// The credentials belong to the request's access key, are not expired, and carry the
/// request's session token (compared in constant time).
fn check_credentials(
    p: &Parsed,
    creds: Option<Credentials>,
    now: SystemTime,
) -> Result<Credentials, VerifyError> {
    let creds = creds.ok_or_else(|| VerifyError::InvalidAccessKeyId(truncate(&p.access_key_id)))?;
    if creds.access_key_id() != p.access_key_id {
        // A lookup that returns someone else's credentials is a server bug; refuse.
        return Err(VerifyError::InvalidAccessKeyId(truncate(&p.access_key_id)));
    }
    if creds.is_expired(now) {
        return Err(VerifyError::ExpiredToken);
    }
    match (creds.session_token(), p.token.as_deref()) {
        (None, None) => {}
        (Some(_), None) => {
            return Err(VerifyError::InvalidToken(
                "the request carries no session token but the access key is temporary",
            ))
        }
        (None, Some(_)) => {
            return Err(VerifyError::InvalidToken(
                "the request carries a session token but the access key is not temporary",
            ))
        }
        (Some(want), Some(got)) => {
            if !bool::from(want.as_bytes().ct_eq(got.as_bytes())) {
                return Err(VerifyError::InvalidToken(
                    "the session token does not belong to the access key",
                ));
            }
        }
    }
    Ok(creds)
}

/// The values of the signed headers (repeated ones joined in order). `host` may come from
/// an absolute-form target, and when both are present they must name the same host: a
/// server acts on the target's authority, which the signature would not cover otherwise.
fn signed_header_values(
    req: &VerifiableRequest<'_>,
    p: &Parsed,
    target: &Target<'_>,
) -> Result<HeaderScratch, VerifyError> {
    let mut hs = HeaderScratch::default();
    for name in &p.signed_headers {
        let mut found = false;
        for &(n, v) in req.headers.iter() {
            if n.eq_ignore_ascii_case(name) {
                hs.push(name, v).map_err(|_| {
                    VerifyError::InvalidRequest(format!(
                        "the value of header {:?} is not valid UTF-8 text",
                        truncate(name)
                    ))
                })?;
                if found && name == "host" {
                    return Err(VerifyError::InvalidRequest(
                        "more than one Host header".into(),
                    ));
                }
                if let (Some(authority), "host") = (target.authority, name.as_str()) {
                    // The server acts on the target's authority, not on Host.
                    let host = String::from_utf8_lossy(v);
                    if !edge::same_authority(authority, &host, target.https) {
                        return Err(VerifyError::AuthorityMismatch {
                            authority: truncate(authority),
                            host: truncate(&host),
                        });
                    }
                }
                found = true;
            }
        }
        if !found && name == "host" {
            if let Some(authority) = target.authority {
                let lower = authority.to_ascii_lowercase();
                hs.push("host", lower.as_bytes())
                    .map_err(|_| VerifyError::InvalidRequest("invalid host".into()))?;
                found = true;
            }
        }
        if !found {
            return Err(VerifyError::SignedHeaderAbsent {
                mode: p.mode,
                name: truncate(name),
            });
        }
    }
    // The names are already sorted and unique; a stable sort keeps repeated values in order.
    hs.sort();
    Ok(hs)
}

/// The key that checks the chunk signatures of a streaming body: the request's own.
enum ChainKey {
    /// SigV4: the day's signing key of the request's scope.
    Hmac(SigningKey),
    /// SigV4a: the public key of the request's access key.
    #[cfg(feature = "sigv4a")]
    Ecdsa(crate::sigv4a::PublicKey),
}

/// The streaming mode of an `x-amz-content-sha256` marker, whose signed forms name the
/// request's algorithm: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` for SigV4,
/// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]` for SigV4a (a marker of the other
/// algorithm is refused); `STREAMING-UNSIGNED-PAYLOAD-TRAILER` for both.
fn streaming_payload(v: &str, v4a: bool) -> Result<Option<StreamingMode>, VerifyError> {
    #[cfg(feature = "sigv4a")]
    {
        use crate::streaming::{STREAMING_ECDSA_PAYLOAD, STREAMING_ECDSA_PAYLOAD_TRAILER};
        let ecdsa = match v {
            STREAMING_ECDSA_PAYLOAD => Some(StreamingMode::Signed),
            STREAMING_ECDSA_PAYLOAD_TRAILER => Some(StreamingMode::SignedWithTrailer),
            _ => None,
        };
        let hmac = StreamingMode::from_content_sha256(v).filter(|m| m.is_signed());
        match (v4a, ecdsa, hmac) {
            (true, Some(m), _) => return Ok(Some(m)),
            (false, None, _) | (true, None, None) => {}
            (false, Some(_), _) | (true, None, Some(_)) => {
                return Err(VerifyError::InvalidRequest(format!(
                    "x-amz-content-sha256 {v} is for the other signing algorithm: SigV4 streams with STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], SigV4a with STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]"
                )))
            }
        }
    }
    let _ = v4a;
    Ok(StreamingMode::from_content_sha256(v))
}

/// What a streaming body is checked against.
struct StreamingSetup {
    decoded_length: Option<u64>,
    trailer: Option<String>,
    checksum: Option<ChecksumAlgorithm>,
    chunk_chain: Option<SignatureChain>,
}

/// Reads the headers a streaming body is checked against and sets up the chain of chunk
/// signatures (HMAC or ECDSA, as the request was signed). For a streaming payload, a header
/// that is present but unreadable refuses the request rather than turning its check off,
/// and so does a chain that cannot be built. A SigV4a event stream is refused: its
/// messages would need ECDSA message signatures, which this verifier does not check.
fn streaming_setup(
    req: &VerifiableRequest<'_>,
    payload: PayloadKind,
    key: &ChainKey,
    time: AmzDate,
    p: &Parsed,
) -> Result<StreamingSetup, VerifyError> {
    if p.v4a.is_some() && payload == PayloadKind::EventStream {
        return Err(VerifyError::InvalidRequest(
            "SigV4a event streams are not verified by this server: sign the request with SigV4"
                .into(),
        ));
    }
    let streaming = matches!(payload, PayloadKind::Streaming(_));
    let decoded_length = match req.single_header("x-amz-decoded-content-length") {
        Ok(None) => None,
        Ok(Some(v)) => {
            let n = std::str::from_utf8(v)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok());
            match n {
                Some(n) => Some(n),
                None if streaming => {
                    return Err(VerifyError::InvalidRequest(
                        "x-amz-decoded-content-length is not a number".into(),
                    ))
                }
                None => None,
            }
        }
        Err(()) if streaming => {
            return Err(VerifyError::InvalidRequest(
                "more than one x-amz-decoded-content-length header".into(),
            ))
        }
        Err(()) => None,
    };
    let trailer = match req.single_header("x-amz-trailer") {
        Ok(v) => v
            .map(|v| {
                std::str::from_utf8(v)
                    .map(|v| v.trim().to_ascii_lowercase())
                    .map_err(|_| VerifyError::InvalidRequest("x-amz-trailer is not text".into()))
            })
            .transpose()?,
        Err(()) if streaming => {
            return Err(VerifyError::InvalidRequest(
                "more than one x-amz-trailer header".into(),
            ))
        }
        Err(()) => None,
    };
    let mut checksum = None;
    let mut chunk_chain = None;
    if let PayloadKind::Streaming(mode) = payload {
        if let Some(t) = trailer.as_deref().filter(|_| mode.has_trailer()) {
            // An unknown trailer name would leave the trailer's value unchecked.
            checksum = Some(
                ChecksumAlgorithm::ALL
                    .into_iter()
                    .find(|a| a.header_name() == t)
                    .ok_or_else(|| {
                        VerifyError::InvalidRequest(format!(
                            "x-amz-trailer {:?} is not a supported checksum",
                            truncate(t)
                        ))
                    })?,
            );
        }
        if mode.is_signed() {
            chunk_chain = Some(
                signature_chain(key, time, p)
                    .map_err(|e| VerifyError::InvalidRequest(e.to_string()))?,
            );
        }
    }
    Ok(StreamingSetup {
        decoded_length,
        trailer,
        checksum,
        chunk_chain,
    })
}

/// The chain of a signed streaming body, seeded with the request's signature.
fn signature_chain(
    key: &ChainKey,
    time: AmzDate,
    p: &Parsed,
) -> Result<SignatureChain, crate::streaming::ChunkedError> {
    match (key, &p.v4a) {
        #[cfg(feature = "sigv4a")]
        (ChainKey::Ecdsa(public), Some(v4a)) => {
            SignatureChain::ecdsa(*public, time, &p.service, &v4a.signature_hex)
        }
        (ChainKey::Hmac(key), _) => {
            let seed = std::str::from_utf8(&p.signature).unwrap_or_default();
            SignatureChain::hmac(key.clone(), time, seed)
        }
        #[cfg(feature = "sigv4a")]
        (ChainKey::Ecdsa(_), None) => Err(crate::streaming::ChunkedError::InvalidSeedSignature),
    }
}
