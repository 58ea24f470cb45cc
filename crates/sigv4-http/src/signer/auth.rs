//! What a request is signed with (credentials or a scoped key) and by which signer (SigV4
//! for a region, SigV4a for a region set): the one dispatch every integration calls.

use std::sync::Arc;
use std::time::SystemTime;

use sigv4::chunked::{ChunkEncoder, ChunkSigner, ChunkedSettings, SigV4aChunkSigner};
use sigv4::sigv4a::SigV4aSigner;
use sigv4::{
    AmzDate, Credentials, Payload, ScopedKey, SignableRequest, Signer, SigningError, SigningKey,
    SigningOutput,
};
use sigv4_credentials::ProvidedCredentials;

use crate::Error;

/// What a request is signed with, owned: current credentials or a scoped key.
#[derive(Debug)]
#[cfg_attr(
    not(any(feature = "blocking", feature = "reqwest", feature = "tower")),
    allow(dead_code)
)]
pub(crate) enum OwnedAuth {
    Credentials(ProvidedCredentials),
    Scoped(ScopedKey),
}

impl OwnedAuth {
    #[cfg_attr(
        not(any(feature = "blocking", feature = "reqwest", feature = "tower")),
        allow(dead_code)
    )]
    pub(crate) fn as_auth(&self) -> Auth<'_> {
        match self {
            OwnedAuth::Credentials(c) => Auth::Credentials(c.credentials()),
            OwnedAuth::Scoped(k) => Auth::Scoped(k),
        }
    }
}

/// What a request is signed with: credentials (the key is derived and cached by the
/// [`Signer`]) or a [`ScopedKey`] (no secret).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Auth<'a> {
    Credentials(&'a Credentials),
    Scoped(&'a ScopedKey),
}

#[cfg_attr(
    not(any(feature = "blocking", feature = "reqwest", feature = "tower")),
    allow(dead_code)
)]
impl Auth<'_> {
    pub(crate) fn sign(
        self,
        signer: &AnySigner,
        request: &SignableRequest<'_>,
        time: SystemTime,
    ) -> Result<SigningOutput, Error> {
        Ok(match (self, signer) {
            (Auth::Credentials(c), AnySigner::V4(s)) => s.sign(request, c, time)?,
            (Auth::Scoped(k), AnySigner::V4(s)) => {
                s.sign_with_key(request, k.key(), k.access_key_id(), k.session_token(), time)?
            }
            (Auth::Credentials(c), AnySigner::V4a(s)) => {
                s.sign(request, c, time).map_err(Error::SigV4a)?
            }
            (Auth::Scoped(_), AnySigner::V4a(_)) => {
                return Err(Error::SigV4aUnsupported(
                    "a ScopedKey (SigV4a derives its key from the secret)",
                ))
            }
        })
    }

    #[cfg_attr(not(any(feature = "blocking", feature = "tower")), allow(dead_code))]
    /// Signs an in-memory request in place, hashing its body.
    pub(crate) fn sign_http_request<B: AsRef<[u8]>>(
        self,
        signer: &AnySigner,
        request: &mut http::Request<B>,
        time: SystemTime,
    ) -> Result<SigningOutput, Error> {
        Ok(match (self, signer) {
            (Auth::Credentials(c), AnySigner::V4(s)) => s.sign_http_request(request, c, time)?,
            (Auth::Scoped(k), AnySigner::V4(s)) => s.sign_http_request_scoped(request, k, time)?,
            (Auth::Credentials(c), AnySigner::V4a(s)) => s
                .sign_http_request(request, c, time)
                .map_err(Error::SigV4a)?,
            (Auth::Scoped(_), AnySigner::V4a(_)) => {
                return Err(Error::SigV4aUnsupported(
                    "a ScopedKey (SigV4a derives its key from the secret)",
                ))
            }
        })
    }

    #[cfg_attr(not(any(feature = "blocking", feature = "tower")), allow(dead_code))]
    /// Signs a request in place with an explicit payload.
    pub(crate) fn sign_http_request_with_payload<B>(
        self,
        signer: &AnySigner,
        request: &mut http::Request<B>,
        payload: Payload<'_>,
        time: SystemTime,
    ) -> Result<SigningOutput, Error> {
        Ok(match (self, signer) {
            (Auth::Credentials(c), AnySigner::V4(s)) => {
                s.sign_http_request_with_payload(request, payload, c, time)?
            }
            (Auth::Scoped(k), AnySigner::V4(s)) => s.sign_http_request_with_key(
                request,
                payload,
                k.key(),
                k.access_key_id(),
                k.session_token(),
                time,
            )?,
            (Auth::Credentials(c), AnySigner::V4a(s)) => s
                .sign_http_request_with_payload(request, payload, c, time)
                .map_err(Error::SigV4a)?,
            (Auth::Scoped(_), AnySigner::V4a(_)) => {
                return Err(Error::SigV4aUnsupported(
                    "a ScopedKey (SigV4a derives its key from the secret)",
                ))
            }
        })
    }

    /// The day's signing key (for chunk signatures).
    pub(crate) fn signing_key(
        self,
        signer: &Signer,
        time: SystemTime,
    ) -> Result<Arc<SigningKey>, SigningError> {
        match self {
            Auth::Credentials(c) => signer.signing_key(c, time),
            Auth::Scoped(k) => {
                let date = AmzDate::from_system_time(time)?;
                k.key()
                    .check_scope(date.date(), signer.region(), signer.service())?;
                Ok(Arc::clone(k.key()))
            }
        }
    }

    /// The signer of the chunks that follow the seed signature in `out` (the request's), or
    /// `None` when `settings` sends unsigned chunks.
    pub(crate) fn chunk_signer(
        self,
        signer: &AnySigner,
        settings: &ChunkedSettings,
        out: &SigningOutput,
        time: SystemTime,
    ) -> Result<Option<ChunkSigner>, Error> {
        if !settings.mode().is_signed() {
            return Ok(None);
        }
        let key = self.signing_key(signer.v4()?, time)?;
        Ok(Some(ChunkSigner::new(
            (*key).clone(),
            AmzDate::from_system_time(time)?,
            out.signature(),
        )?))
    }

    /// The settings a request signed by `any` sends its chunks with: SigV4a's ECDSA form
    /// of a signed mode for a SigV4a request (with its credentials).
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) fn chunked_settings(
        self,
        any: &AnySigner,
        settings: ChunkedSettings,
    ) -> Result<ChunkedSettings, Error> {
        match (any, self) {
            (AnySigner::V4a(_), Auth::Credentials(_)) if settings.mode().is_signed() => {
                Ok(settings.sigv4a()?)
            }
            _ => Ok(settings),
        }
    }

    /// The encoder of an aws-chunked body whose request `any` signed into `out`: chunks
    /// chained from that signature with HMAC (SigV4) or ECDSA (SigV4a settings).
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) fn chunk_encoder(
        self,
        any: &AnySigner,
        settings: ChunkedSettings,
        out: &SigningOutput,
        time: SystemTime,
    ) -> Result<ChunkEncoder, Error> {
        if let (AnySigner::V4a(s), Auth::Credentials(c), true) = (any, self, settings.is_sigv4a()) {
            let key = s.key(c).map_err(Error::SigV4a)?;
            let at = AmzDate::from_system_time(time)?;
            let chain = SigV4aChunkSigner::new(key, at, s.service(), out.signature())?;
            return Ok(ChunkEncoder::new_v4a(settings, chain)?);
        }
        let chunk_signer = self.chunk_signer(any, &settings, out, time)?;
        Ok(ChunkEncoder::new(settings, chunk_signer)?)
    }

    #[cfg_attr(not(any(feature = "blocking", feature = "tower")), allow(dead_code))]
    /// Sets the aws-chunked headers of a `decoded_len`-byte upload on `request`, signs
    /// them with the streaming marker, and returns the encoder for the body.
    pub(crate) fn sign_aws_chunked<B>(
        self,
        any: &AnySigner,
        request: &mut http::Request<B>,
        settings: ChunkedSettings,
        decoded_len: u64,
        time: SystemTime,
    ) -> Result<ChunkEncoder, Error> {
        // SigV4a: every chunk signed with ECDSA P-256, chained from the request's signature.
        if let (AnySigner::V4a(s), Auth::Credentials(c), true) =
            (any, self, settings.mode().is_signed())
        {
            let settings = settings.sigv4a()?;
            return Ok(sigv4::chunked::sign_http_request_sigv4a(
                s,
                request,
                settings,
                decoded_len,
                c,
                time,
            )?);
        }
        if let (AnySigner::V4(signer), Auth::Credentials(c)) = (any, self) {
            return Ok(sigv4::chunked::sign_http_request(
                signer,
                request,
                settings,
                decoded_len,
                c,
                time,
            )?);
        }
        // The same steps as `sigv4::chunked::sign_http_request`, with the scoped key, or
        // with SigV4a for `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (no chunk signer: only the
        // head is signed, the trailer carries the body's checksum).
        settings.set_headers(request.headers_mut(), decoded_len)?;
        let out =
            self.sign_http_request_with_payload(any, request, settings.mode().payload(), time)?;
        let chunk_signer = self.chunk_signer(any, &settings, &out, time)?;
        Ok(ChunkEncoder::new(settings, chunk_signer)?.with_expected_length(decoded_len))
    }
}

/// The signer of a request: SigV4 for a region, or SigV4a for a region set.
#[derive(Debug, Clone)]
pub(crate) enum AnySigner {
    V4(Arc<Signer>),
    V4a(Arc<SigV4aSigner>),
}

impl AnySigner {
    /// The service signed for.
    pub(crate) fn service(&self) -> &str {
        match self {
            AnySigner::V4(s) => s.service(),
            AnySigner::V4a(s) => s.service(),
        }
    }

    /// The SigV4 signer, for what only SigV4 does here (aws-chunked chunk signatures).
    pub(crate) fn v4(&self) -> Result<&Signer, Error> {
        match self {
            AnySigner::V4(s) => Ok(s),
            AnySigner::V4a(_) => Err(Error::SigV4aUnsupported(
                "signed aws-chunked bodies (send the stream UNSIGNED-PAYLOAD)",
            )),
        }
    }
}

/// How a streaming body is signed.
#[derive(Debug, Clone)]
#[cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]
pub(crate) enum StreamingChoice {
    Unsigned,
    Chunked(ChunkedSettings),
}
