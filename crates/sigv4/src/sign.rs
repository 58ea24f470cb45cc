//! Signing: from a request, credentials and a time to the headers or query parameters to add,
//! keeping the canonical request and string to sign for inspection.

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use smallvec::SmallVec;
use zeroize::Zeroizing;

use crate::canonical_request::{
    canonical_query_with, canonical_uri, validate_header_name, HeaderScratch, QueryScratch,
};
use crate::encoding::{encode_into, hex_lower};
use crate::request::{split_target, Target};
use crate::settings::{
    Payload, SessionTokenMode, SignatureLocation, SigningSettings, STREAMING_SIGNED_PAYLOAD,
    STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
use crate::signing_key::validate_scope_part;
use crate::{AmzDate, Credentials, SignableRequest, SigningError, SigningKey};

/// The algorithm name of SigV4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Longest lifetime of a presigned URL: 7 days.
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

thread_local! {
    // Reused across calls on the same thread so steady-state signing does not allocate
    // for sorting headers and query parameters.
    static SCRATCH: RefCell<(HeaderScratch, QueryScratch)> = RefCell::new(Default::default());
}

/// Signs requests for one region and service, caching the day's signing key.
///
/// A `Signer` is cheap to share (`&Signer` is `Send + Sync`); the cached key is replaced
/// when the day or the credentials change.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::{Credentials, Payload, SignableRequest, Signer};
///
/// let signer = Signer::new("us-east-1", "service")?;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
/// let req = SignableRequest::new(
///     "GET",
///     "/?Param2=value2&Param1=value1",
///     [("host", "example.amazonaws.com".as_bytes())],
///     Payload::Bytes(b""),
/// );
/// let out = signer.sign(&req, &creds, time)?;
/// assert_eq!(out.signature(), "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
/// assert_eq!(out.canonical_request().lines().nth(2), Some("Param1=value1&Param2=value2"));
/// for (name, value) in out.headers() {
///     println!("{name}: {value}");
/// }
/// # Ok::<(), sigv4::SigningError>(())
/// ```
pub struct Signer {
    region: String,
    service: String,
    settings: SigningSettings,
    cache: Mutex<Option<CachedKey>>,
}

struct CachedKey {
    access_key_id: String,
    secret: Zeroizing<String>,
    key: Arc<SigningKey>,
    // HMAC-SHA256 already keyed with `key` (inner and outer pad blocks absorbed), so each
    // signature costs the HMAC of the string to sign only, not the key set-up again.
    mac: HmacSha256,
}

type HmacSha256 = hmac::Hmac<Sha256>;

/// HMAC-SHA256 keyed with a signing key.
fn keyed_mac(key: &SigningKey) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as hmac::KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC takes any key length")
}

impl Signer {
    /// A signer for `region` and `service` with [`SigningSettings::for_service`].
    pub fn new(
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Result<Self, SigningError> {
        let region = region.into();
        let service = service.into();
        validate_scope_part(&region).map_err(|_| SigningError::InvalidRegion(region.clone()))?;
        validate_scope_part(&service).map_err(|_| SigningError::InvalidService(service.clone()))?;
        let settings = SigningSettings::for_service(&service);
        Ok(Signer {
            region,
            service,
            settings,
            cache: Mutex::new(None),
        })
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The settings in use.
    pub fn settings(&self) -> &SigningSettings {
        &self.settings
    }

    /// Changes the settings in place.
    pub fn settings_mut(&mut self) -> &mut SigningSettings {
        &mut self.settings
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The service.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Signs `request` with `credentials` at `time`.
    pub fn sign(
        &self,
        request: &SignableRequest<'_>,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<SigningOutput, SigningError> {
        let date = AmzDate::from_system_time(time)?;
        let mac = self.cached(credentials, &date, |c| c.mac.clone())?;
        self.sign_inner(
            request,
            &mac,
            credentials.access_key_id(),
            credentials.session_token(),
            &date,
        )
    }

    /// Signs with a signing key derived elsewhere, without the secret access key.
    ///
    /// Fails with [`SigningError::KeyScopeMismatch`] when the key is not for this signer's
    /// region and service or for the day of `time`.
    pub fn sign_with_key(
        &self,
        request: &SignableRequest<'_>,
        key: &SigningKey,
        access_key_id: &str,
        session_token: Option<&str>,
        time: SystemTime,
    ) -> Result<SigningOutput, SigningError> {
        let date = AmzDate::from_system_time(time)?;
        key.check_scope(date.date(), &self.region, &self.service)?;
        self.sign_inner(
            request,
            &keyed_mac(key),
            access_key_id,
            session_token,
            &date,
        )
    }

    /// The signing key for `credentials` on the day of `date`, from the cache when it holds it.
    pub fn signing_key(
        &self,
        credentials: &Credentials,
        time: SystemTime,
    ) -> Result<Arc<SigningKey>, SigningError> {
        let date = AmzDate::from_system_time(time)?;
        self.cached(credentials, &date, |c| Arc::clone(&c.key))
    }

    /// Runs `f` on the cache entry for `credentials` and the day of `date`, deriving the
    /// key first when the cache does not hold it.
    fn cached<R>(
        &self,
        credentials: &Credentials,
        date: &AmzDate,
        f: impl FnOnce(&CachedKey) -> R,
    ) -> Result<R, SigningError> {
        // A poisoned lock only means another thread panicked mid-update; the cache is
        // then simply rebuilt.
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.as_ref() {
            if c.access_key_id == credentials.access_key_id()
                && c.secret.as_str() == credentials.secret_access_key()
                && c.key.date() == date.date()
            {
                return Ok(f(c));
            }
        }
        let key = SigningKey::derive(
            credentials.secret_access_key(),
            date.date(),
            &self.region,
            &self.service,
        )?;
        let entry = CachedKey {
            access_key_id: credentials.access_key_id().to_owned(),
            secret: Zeroizing::new(credentials.secret_access_key().to_owned()),
            mac: keyed_mac(&key),
            key: Arc::new(key),
        };
        let r = f(&entry);
        *cache = Some(entry);
        Ok(r)
    }

    fn sign_inner(
        &self,
        request: &SignableRequest<'_>,
        mac: &HmacSha256,
        access_key_id: &str,
        session_token: Option<&str>,
        date: &AmzDate,
    ) -> Result<SigningOutput, SigningError> {
        SCRATCH.with(|s| {
            let mut guard = s.try_borrow_mut();
            match guard.as_deref_mut() {
                Ok((headers, query)) => sign_core(
                    self,
                    request,
                    mac,
                    access_key_id,
                    session_token,
                    date,
                    headers,
                    query,
                ),
                // Only reachable through re-entrancy, which the signer never does; stay correct anyway.
                Err(_) => sign_core(
                    self,
                    request,
                    mac,
                    access_key_id,
                    session_token,
                    date,
                    &mut HeaderScratch::default(),
                    &mut QueryScratch::default(),
                ),
            }
        })
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What signing produced: the headers or query parameters to add, and every intermediate
/// step (canonical request, string to sign, signed headers, credential scope, signature).
#[derive(Clone)]
pub struct SigningOutput {
    // canonical request, then string to sign, then the values of added headers/params
    buf: String,
    creq: Range<usize>,
    sts: Range<usize>,
    signed_headers: Range<usize>,
    scope: Range<usize>,
    signature: [u8; 64],
    // (name, value range in buf)
    added: SmallVec<[(&'static str, Range<usize>); 8]>,
    location: SignatureLocation,
    // Query parameters already present in the original request that must be kept
    // (presign), as the raw original query with our own X-Amz-* parameters removed.
    kept_query: Range<usize>,
}

impl SigningOutput {
    /// The canonical request that was hashed.
    pub fn canonical_request(&self) -> &str {
        &self.buf[self.creq.clone()]
    }

    /// The string to sign.
    pub fn string_to_sign(&self) -> &str {
        &self.buf[self.sts.clone()]
    }

    /// The signed headers list, `host;x-amz-date`.
    pub fn signed_headers(&self) -> &str {
        &self.buf[self.signed_headers.clone()]
    }

    /// The credential scope, `20150830/us-east-1/service/aws4_request`.
    pub fn credential_scope(&self) -> &str {
        &self.buf[self.scope.clone()]
    }

    /// The signature, 64 lowercase hex digits.
    pub fn signature(&self) -> &str {
        std::str::from_utf8(&self.signature).unwrap_or_default()
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
            .map(move |(n, r)| (*n, &self.buf[r.clone()]))
    }

    /// The query parameters to append (query mode), in order, with values already
    /// percent-encoded; empty in header mode.
    pub fn query_params(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        let query = matches!(self.location, SignatureLocation::Query { .. });
        self.added
            .iter()
            .filter(move |(n, _)| query && *n != "host")
            .map(move |(n, r)| (*n, &self.buf[r.clone()]))
    }

    /// The `Authorization` header value (header mode).
    pub fn authorization(&self) -> Option<&str> {
        self.headers()
            .find(|(n, _)| *n == "authorization")
            .map(|(_, v)| v)
    }

    /// The signed request's query string for query mode: the original parameters (with any
    /// stale `X-Amz-*` signing parameters removed and every raw `+` written as `%2B`, since
    /// it was signed as a literal plus) followed by the signing parameters and
    /// `X-Amz-Signature`. In header mode, the original query with the same `+` rewrite.
    pub fn query_string(&self) -> String {
        join_query(&self.buf[self.kept_query.clone()], self.query_params())
    }
}

/// The original query (raw `+` written as `%2B`, since it was signed as a literal plus)
/// followed by the signing parameters: the query a signed request is sent with.
pub(crate) fn join_query<'n, 'v>(
    kept: &str,
    params: impl Iterator<Item = (&'n str, &'v str)>,
) -> String {
    let mut q = kept.replace('+', "%2B");
    for (n, v) in params {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(n);
        q.push('=');
        q.push_str(v);
    }
    q
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
                    (*n, &self.buf[r.clone()])
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

fn is_signing_param(decoded_key: &[u8]) -> bool {
    matches!(
        decoded_key,
        b"X-Amz-Algorithm"
            | b"X-Amz-Credential"
            | b"X-Amz-Date"
            | b"X-Amz-Expires"
            | b"X-Amz-SignedHeaders"
            | b"X-Amz-Security-Token"
            | b"X-Amz-S3session-Token"
            | b"X-Amz-Signature"
    )
}

fn validate_method(method: &str) -> Result<(), SigningError> {
    if method.is_empty() || !method.bytes().all(crate::canonical_request::is_tchar) {
        return Err(SigningError::InvalidMethod(method.to_owned()));
    }
    Ok(())
}

/// The payload hash line, as text that lives either in `hex_buf` or in a static string.
fn payload_hash<'a>(
    payload: &Payload<'a>,
    hex_buf: &'a mut [u8; 64],
) -> Result<&'a str, SigningError> {
    Ok(match *payload {
        Payload::Bytes(b) => {
            *hex_buf = hex_lower::<64>(&Sha256::digest(b));
            std::str::from_utf8(hex_buf).unwrap_or_default()
        }
        Payload::Precomputed(h) => {
            let hex_ok = h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
            // Anything else must at least be a single printable token (a marker).
            let marker_ok = !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
            if !(hex_ok || marker_ok) {
                return Err(SigningError::InvalidPayloadHash(
                    h.chars().take(80).collect(),
                ));
            }
            h
        }
        Payload::Unsigned => UNSIGNED_PAYLOAD,
        Payload::StreamingSigned => STREAMING_SIGNED_PAYLOAD,
        Payload::StreamingSignedTrailer => STREAMING_SIGNED_PAYLOAD_TRAILER,
        Payload::StreamingUnsignedTrailer => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    })
}

#[allow(clippy::too_many_arguments)]
fn sign_core(
    signer: &Signer,
    request: &SignableRequest<'_>,
    mac: &HmacSha256,
    access_key_id: &str,
    session_token: Option<&str>,
    date: &AmzDate,
    hs: &mut HeaderScratch,
    qs: &mut QueryScratch,
) -> Result<SigningOutput, SigningError> {
    let settings = &signer.settings;
    validate_method(request.method())?;
    let target: Target<'_> = split_target(request.uri())?;
    let presign_expires = match settings.location {
        SignatureLocation::Headers => None,
        SignatureLocation::Query { expires } => {
            let secs = expires.as_secs();
            if secs == 0 || secs > MAX_PRESIGN_EXPIRES_SECS {
                return Err(SigningError::InvalidExpiry(secs));
            }
            Some(secs)
        }
    };
    let header_mode = presign_expires.is_none();
    let token_signed =
        session_token.is_some() && settings.session_token_mode == SessionTokenMode::Signed;
    // `x-amz-security-token`, or `x-amz-s3session-token` for S3 Express sessions.
    let token_header = settings.session_token_header;

    let mut hash_buf = [0u8; 64];
    let payload_hash = payload_hash(&request.payload(), &mut hash_buf)?;
    // A server can only recompute the hash of the body it receives. When the payload line is
    // anything else (UNSIGNED-PAYLOAD, a precomputed hash, a streaming marker), it has to be
    // told what was signed, whatever the service: otherwise no server can ever verify it.
    let add_content_sha = header_mode
        && (settings.content_sha256_header || !matches!(request.payload(), Payload::Bytes(_)));

    // Headers: lowercase, canonicalize, drop what is not signed or what we are about to set.
    hs.clear();
    let mut has_host = false;
    for &(name, value) in request.headers() {
        validate_header_name(name)?;
        let replaced = name.eq_ignore_ascii_case("authorization")
            || (header_mode && name.eq_ignore_ascii_case("x-amz-date"))
            || (session_token.is_some() && name.eq_ignore_ascii_case(token_header.header_name()))
            || (add_content_sha && name.eq_ignore_ascii_case("x-amz-content-sha256"));
        if replaced {
            continue;
        }
        if name.eq_ignore_ascii_case("host") {
            if has_host {
                return Err(SigningError::InvalidHeaderValue("host".into()));
            }
            has_host = true;
        } else if !is_signed(settings, name) {
            // Still validate it: an unsigned header with a bad value would be rejected by
            // any HTTP stack later, so say so now.
            let mark = hs.text.len();
            let ok = crate::canonical_request::canonical_header_value(&mut hs.text, value);
            hs.text.truncate(mark);
            ok.map_err(|_| SigningError::InvalidHeaderValue(name.to_owned()))?;
            continue;
        }
        hs.push(name, value)?;
    }

    // The output buffer: canonical request, string to sign, added values.
    // Sized from an upper bound of everything written below, so it is the one and only
    // allocation of a header-mode signing (a reallocation would copy the canonical request).
    let mut buf = String::with_capacity(output_capacity(
        request,
        hs,
        access_key_id,
        session_token,
        signer,
        presign_expires.is_some(),
    ));
    let initial_capacity = buf.capacity();

    // Host derived from the URL when the request has no host header.
    let mut derived_host: Option<Range<usize>> = None;
    if !has_host {
        let authority = target.authority.ok_or(SigningError::MissingHost)?;
        let start = buf.len();
        for c in authority.chars() {
            buf.push(c.to_ascii_lowercase());
        }
        hs.push("host", &buf.as_bytes()[start..])?;
        derived_host = Some(start..buf.len());
    }

    let scope: [&str; 6] = [
        date.date(),
        "/",
        &signer.region,
        "/",
        &signer.service,
        "/aws4_request",
    ];

    if header_mode {
        hs.push("x-amz-date", date.date_time().as_bytes())?;
        if token_signed {
            hs.push(
                token_header.header_name(),
                session_token.unwrap_or_default().as_bytes(),
            )?;
        }
        if add_content_sha {
            hs.push("x-amz-content-sha256", payload_hash.as_bytes())?;
        }
    }
    hs.sort();

    // Canonical request.
    let creq_start = buf.len();
    buf.push_str(request.method());
    buf.push('\n');
    canonical_uri(
        &mut buf,
        target.path,
        settings.normalize_uri_path,
        settings.double_uri_encode,
    );
    buf.push('\n');

    // For presigning, the X-Amz-* parameters join the canonical query. Their values are
    // encoded into `params_text`; the signed-headers list is only known after sorting the
    // headers, so compute it first into a side buffer.
    let mut credential_enc = String::new();
    let mut token_enc = String::new();
    let mut signed_enc = String::new();
    let mut expires_text = String::new();
    if let Some(secs) = presign_expires {
        encode_into(&mut credential_enc, access_key_id.as_bytes(), false);
        credential_enc.push_str("%2F");
        for part in scope {
            encode_into(&mut credential_enc, part.as_bytes(), false);
        }
        if let Some(t) = session_token {
            encode_into(&mut token_enc, t.as_bytes(), false);
        }
        let mut signed_list = String::new();
        hs.write_signed_list(&mut signed_list);
        encode_into(&mut signed_enc, signed_list.as_bytes(), false);
        expires_text = secs.to_string();
    }
    {
        let mut extra: SmallVec<[(&str, &str); 8]> = SmallVec::new();
        if !header_mode {
            extra.push(("X-Amz-Algorithm", ALGORITHM));
            extra.push(("X-Amz-Credential", &credential_enc));
            extra.push(("X-Amz-Date", date.date_time()));
            extra.push(("X-Amz-Expires", &expires_text));
            if token_signed {
                extra.push((token_header.query_name(), &token_enc));
            }
            extra.push(("X-Amz-SignedHeaders", &signed_enc));
        }
        let skip_ours = !header_mode;
        canonical_query_with(qs, &mut buf, target.query, &extra, |k| {
            skip_ours && is_signing_param(k)
        });
    }
    buf.push('\n');
    let (sh_start, sh_end) = hs.write(&mut buf);
    buf.push('\n');
    buf.push_str(payload_hash);
    let creq_end = buf.len();

    // String to sign.
    let creq_hash: [u8; 64] = hex_lower(&Sha256::digest(&buf.as_bytes()[creq_start..creq_end]));
    let sts_start = buf.len();
    buf.push_str(ALGORITHM);
    buf.push('\n');
    buf.push_str(date.date_time());
    buf.push('\n');
    let scope_start = buf.len();
    scope.iter().for_each(|p| buf.push_str(p));
    let scope_end = buf.len();
    buf.push('\n');
    buf.push_str(std::str::from_utf8(&creq_hash).unwrap_or_default());
    let sts_end = buf.len();

    let signature: [u8; 64] = {
        use hmac::Mac;
        let mut mac = mac.clone();
        mac.update(&buf.as_bytes()[sts_start..sts_end]);
        hex_lower(&mac.finalize().into_bytes())
    };
    let sig_str = std::str::from_utf8(&signature).unwrap_or_default();

    // What to add, in the order the AWS test suite shows it.
    let mut added: SmallVec<[(&'static str, Range<usize>); 8]> = SmallVec::new();
    if let Some(r) = derived_host {
        added.push(("host", r));
    }
    fn push(
        added: &mut SmallVec<[(&'static str, Range<usize>); 8]>,
        buf: &mut String,
        name: &'static str,
        value: &str,
    ) {
        let s = buf.len();
        buf.push_str(value);
        added.push((name, s..buf.len()));
    }
    if header_mode {
        if let Some(t) = session_token {
            push(&mut added, &mut buf, token_header.added_name(), t);
        }
        push(&mut added, &mut buf, "x-amz-date", date.date_time());
        if add_content_sha {
            push(&mut added, &mut buf, "x-amz-content-sha256", payload_hash);
        }
        let start = buf.len();
        for p in [ALGORITHM, " Credential=", access_key_id, "/"] {
            buf.push_str(p);
        }
        scope.iter().for_each(|p| buf.push_str(p));
        buf.push_str(", SignedHeaders=");
        hs.write_signed_list(&mut buf);
        buf.push_str(", Signature=");
        buf.push_str(sig_str);
        added.push(("authorization", start..buf.len()));
    } else {
        push(&mut added, &mut buf, "X-Amz-Algorithm", ALGORITHM);
        push(&mut added, &mut buf, "X-Amz-Credential", &credential_enc);
        push(&mut added, &mut buf, "X-Amz-Date", date.date_time());
        push(&mut added, &mut buf, "X-Amz-SignedHeaders", &signed_enc);
        push(&mut added, &mut buf, "X-Amz-Expires", &expires_text);
        if session_token.is_some() {
            if token_enc.is_empty() {
                encode_into(
                    &mut token_enc,
                    session_token.unwrap_or_default().as_bytes(),
                    false,
                );
            }
            push(&mut added, &mut buf, token_header.query_name(), &token_enc);
        }
        push(&mut added, &mut buf, "X-Amz-Signature", sig_str);
    }

    // The original query, minus stale signing parameters, for the presigned URL.
    let kq_start = buf.len();
    let mut first = true;
    let mut decoded = Vec::new();
    for piece in target.query.split('&') {
        if piece.is_empty() {
            continue;
        }
        if !header_mode {
            let k = piece.split_once('=').map_or(piece, |(k, _)| k);
            decoded.clear();
            crate::encoding::decode_into(&mut decoded, k.as_bytes());
            if is_signing_param(&decoded) {
                continue;
            }
        }
        if !first {
            buf.push('&');
        }
        buf.push_str(piece);
        first = false;
    }
    let kept_query = kq_start..buf.len();
    // The bound of `output_capacity` held (the property tests exercise this).
    debug_assert_eq!(buf.capacity(), initial_capacity, "output buffer grew");

    Ok(SigningOutput {
        buf,
        creq: creq_start..creq_end,
        sts: sts_start..sts_end,
        signed_headers: sh_start..sh_end,
        scope: scope_start..scope_end,
        signature,
        added,
        location: settings.location,
        kept_query,
    })
}

/// An upper bound of the bytes `sign_core` writes into its output buffer.
///
/// * the request target (`u`) appears at most 6 times: path and query percent-encoded (at
///   most 3 bytes per byte), the derived host, its `host:` line, and the kept query;
/// * the caller's header text (`h`, names and values) at most 3 times: the header lines,
///   the signed-headers list, and the list again in `Authorization`;
/// * the credential scope twice (string to sign, `Authorization`), the session token twice
///   (its header line and the added header);
/// * 640 bytes for everything of fixed size: newlines, the algorithm, dates, hex hashes and
///   signature, the lines of the headers signing adds, and `Authorization`'s labels;
/// * for presigning, the encoded `X-Amz-*` parameters twice (canonical query and output).
fn output_capacity(
    request: &SignableRequest<'_>,
    hs: &HeaderScratch,
    access_key_id: &str,
    session_token: Option<&str>,
    signer: &Signer,
    presign: bool,
) -> usize {
    let u = request.uri().len();
    let h = hs.text.len() + 3 * hs.entries.len();
    let scope = 8 + 1 + signer.region.len() + 1 + signer.service.len() + "/aws4_request".len();
    let a = access_key_id.len();
    let t = session_token.map_or(0, str::len);
    let mut cap = 640 + request.method().len() + 6 * u + 3 * h + 2 * scope + a + 2 * t;
    if presign {
        cap += 2 * (200 + 3 * (a + scope + t + h + u));
    }
    cap
}

fn is_signed(settings: &SigningSettings, name: &str) -> bool {
    // Names here are as given; the selection compares case-insensitively.
    settings.headers.is_signed(name)
}
