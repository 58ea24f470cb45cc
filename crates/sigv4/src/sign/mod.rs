//! Signing: from a request, credentials and a time to the headers or query parameters to
//! add, keeping the canonical request and string to sign for inspection.
//!
//! The flow, [`sign_request`], is the same for SigV4 and SigV4a (the
//! [`SignatureAlgorithm`] supplies the name, the credential scope, the region set and the
//! signature) and writes every step into one buffer, the output's text:
//!
//! 1. the signed headers ([`headers`]),
//! 2. the `X-Amz-*` parameters when presigning ([`presign`]),
//! 3. the canonical request ([`crate::canonical_request`]),
//! 4. the string to sign ([`crate::string_to_sign`]),
//! 5. the signature ([`crate::signature`]),
//! 6. the headers or parameters to add ([`output`]).

use std::cell::RefCell;
use std::ops::Range;

use crate::canonical_request::{
    canonical_request_hash, validate_method, write_canonical_request, CanonicalParts,
    HeaderScratch, PayloadLine, QueryScratch,
};
use crate::encoding::hex_str;
use crate::request::split_target;
use crate::settings::{SessionTokenMode, SigningSettings};
use crate::signature::{SignatureAlgorithm, MAX_SIGNATURE_HEX};
use crate::string_to_sign::{request_string_to_sign, CredentialScope};
use crate::{AmzDate, SignableRequest, SigningError};

mod headers;
mod output;
mod presign;
mod signer;

use headers::{
    collect_request_headers, derive_host, AddedHeaders, R_AUTHORIZATION, R_CONTENT_SHA256, R_DATE,
    R_REGION_SET, R_TOKEN,
};
pub use output::SigningOutput;
use output::{Added, Text};
use presign::{presign_expiry, sets_query_param, write_kept_query, PresignInput, PresignParams};
pub use presign::{DEFAULT_PRESIGN_EXPIRES_SECS, MAX_PRESIGN_EXPIRES_SECS};
pub use signer::Signer;

thread_local! {
    // Reused across calls on the same thread so steady-state signing does not allocate
    // for sorting headers and query parameters.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Default::default());
}

/// Buffers reused by one thread's signings, so steady-state signing allocates only its output.
#[derive(Default)]
struct Scratch {
    headers: HeaderScratch,
    query: QueryScratch,
    /// The percent-encoded values of the `X-Amz-*` parameters of a presigned URL.
    params: String,
    /// A decoded query key.
    decoded: Vec<u8>,
}

/// Everything about a signing but the request.
struct Ctx<'a> {
    alg: &'a dyn SignatureAlgorithm,
    service: &'a str,
    settings: &'a SigningSettings,
    access_key_id: &'a str,
    session_token: Option<&'a str>,
    /// `YYYYMMDDTHHMMSSZ` (read from the [`AmzDate`] once: each read checks its bytes).
    date_time: &'a str,
}

impl Ctx<'_> {
    /// `YYYYMMDD`.
    fn day(&self) -> &str {
        self.date_time.get(..8).unwrap_or_default()
    }
}

/// Signs `request` with `alg`: the one signing flow of SigV4 and SigV4a.
pub(crate) fn sign_request(
    alg: &dyn SignatureAlgorithm,
    service: &str,
    settings: &SigningSettings,
    request: &SignableRequest<'_>,
    access_key_id: &str,
    session_token: Option<&str>,
    date: &AmzDate,
) -> Result<SigningOutput, SigningError> {
    let ctx = Ctx {
        alg,
        service,
        settings,
        access_key_id,
        session_token,
        date_time: date.date_time(),
    };
    SCRATCH.with(|s| match s.try_borrow_mut().as_deref_mut() {
        Ok(scratch) => sign_with_scratch(&ctx, request, scratch),
        // Only reachable through re-entrancy, which the signer never does; stay correct anyway.
        Err(_) => sign_with_scratch(&ctx, request, &mut Scratch::default()),
    })
}

/// What this signing does, decided from the settings and the request before writing.
struct Plan<'r> {
    /// The presigned URL's lifetime; `None` in header mode.
    presign_expires: Option<u64>,
    payload: PayloadLine<'r>,
    /// Header mode adds and signs `x-amz-content-sha256`.
    add_content_sha: bool,
    /// The session token is signed (not only added).
    token_signed: bool,
    /// Bits of the headers signing sets itself.
    replaced: u8,
}

impl<'r> Plan<'r> {
    fn new(ctx: &Ctx<'_>, request: &SignableRequest<'r>) -> Result<Self, SigningError> {
        let presign_expires = presign_expiry(ctx.settings.location)?;
        let header_mode = presign_expires.is_none();
        let payload = PayloadLine::of(&request.payload())?;
        // A server can only recompute the hash of the body it receives. When the payload
        // line is anything else (UNSIGNED-PAYLOAD, a precomputed hash, a streaming marker),
        // it has to be told what was signed, whatever the service.
        let add_content_sha = header_mode
            && (ctx.settings.content_sha256_header
                || !matches!(request.payload(), crate::Payload::Bytes(_)));
        let mut replaced = R_AUTHORIZATION;
        for (bit, on) in [
            (R_DATE, header_mode),
            (R_TOKEN, ctx.session_token.is_some()),
            (R_CONTENT_SHA256, add_content_sha),
            (R_REGION_SET, ctx.alg.region_set().is_some()),
        ] {
            if on {
                replaced |= bit;
            }
        }
        Ok(Plan {
            presign_expires,
            payload,
            add_content_sha,
            token_signed: ctx.session_token.is_some()
                && ctx.settings.session_token_mode == SessionTokenMode::Signed,
            replaced,
        })
    }

    fn header_mode(&self) -> bool {
        self.presign_expires.is_none()
    }
}

/// The flow: headers, presign parameters, canonical request, string to sign, signature,
/// output, all written into one buffer sized up front.
fn sign_with_scratch(
    ctx: &Ctx<'_>,
    request: &SignableRequest<'_>,
    scratch: &mut Scratch,
) -> Result<SigningOutput, SigningError> {
    validate_method(request.method())?;
    let target = split_target(request.uri())?;
    let plan = Plan::new(ctx, request)?;
    let hs = &mut scratch.headers;
    let has_host = collect_request_headers(request, ctx.settings, plan.replaced, hs)?;

    // The one allocation of a header-mode signing: sized from an upper bound of everything
    // written below (a reallocation would copy the canonical request).
    let mut buf = String::with_capacity(output_capacity(ctx, request, hs, !plan.header_mode()));
    let initial_capacity = buf.capacity();
    let derived_host = if has_host {
        None
    } else {
        Some(derive_host(
            &mut buf,
            request,
            target.authority,
            &ctx.settings.headers,
            hs,
        )?)
    };
    let token_name = ctx.settings.session_token_header;
    sign_added_headers(ctx, &plan, hs)?;
    hs.sort();

    let scope = ctx.alg.scope(ctx.day(), ctx.service);
    let params = presign_params(ctx, &plan, &scope, hs, &mut scratch.params);
    let params_text: &str = &scratch.params;
    let region_set = ctx.alg.region_set().is_some();
    let extra_query = match &params {
        Some(p) => p.query_pairs(
            params_text,
            ctx.alg.name(),
            ctx.date_time,
            plan.token_signed.then(|| token_name.query_name()),
            region_set,
        ),
        None => Default::default(),
    };
    let creq = write_canonical_request(
        &mut buf,
        &CanonicalParts {
            method: request.method(),
            path: target.path,
            query: target.query,
            extra_query: &extra_query,
            query_plus: ctx.settings.query_plus,
            uri_rules: ctx.settings.uri_rules(),
            payload_line: plan.payload.as_str(),
        },
        hs,
        &mut scratch.query,
        |k| !plan.header_mode() && sets_query_param(k, region_set),
    );

    let (sts, scope_range, sig_range) =
        string_to_sign_and_signature(&mut buf, ctx, &scope, creq.whole.clone());

    let added = write_added(
        &mut buf,
        ctx,
        &plan,
        AddedParts {
            derived_host,
            scope: &scope,
            signed_headers: creq.signed_headers.clone(),
            signature: sig_range.clone(),
            params: params.as_ref().map(|p| (p, params_text)),
        },
    );
    let kept_query = write_kept_query(
        &mut buf,
        target.query,
        !plan.header_mode(),
        region_set,
        creq.query_empty_piece,
        &mut scratch.decoded,
    );
    // The bound of `output_capacity` held (the property tests exercise this).
    debug_assert_eq!(buf.capacity(), initial_capacity, "output buffer grew");

    Ok(SigningOutput {
        buf: Text::Owned(buf),
        creq: creq.whole,
        sts,
        signed_headers: creq.signed_headers,
        scope: scope_range,
        signature: sig_range,
        added,
        location: ctx.settings.location,
        kept_query,
        replaced: plan.replaced,
        token_header: token_name,
        query_plus: ctx.settings.query_plus,
    })
}

/// Header mode: signs the headers signing adds besides `host` (`x-amz-date`, the region
/// set, the session token, `x-amz-content-sha256`).
fn sign_added_headers(
    ctx: &Ctx<'_>,
    plan: &Plan<'_>,
    hs: &mut HeaderScratch,
) -> Result<(), SigningError> {
    if !plan.header_mode() {
        return Ok(());
    }
    let token_name = ctx.settings.session_token_header.header_name();
    AddedHeaders {
        date_time: ctx.date_time,
        region_set: ctx.alg.region_set(),
        token: plan
            .token_signed
            .then(|| (token_name, ctx.session_token.unwrap_or_default())),
        content_sha256: plan.add_content_sha.then(|| plan.payload.as_str()),
    }
    .sign(&ctx.settings.headers, hs)
}

/// Query mode: the `X-Amz-*` parameters, encoded into `text`.
fn presign_params(
    ctx: &Ctx<'_>,
    plan: &Plan<'_>,
    scope: &CredentialScope<'_>,
    hs: &HeaderScratch,
    text: &mut String,
) -> Option<PresignParams> {
    let input = PresignInput {
        expires_secs: plan.presign_expires?,
        access_key_id: ctx.access_key_id,
        scope,
        session_token: ctx.session_token,
        region_set: ctx.alg.region_set(),
    };
    Some(PresignParams::encode(&input, hs, text))
}

/// Appends the string to sign of the canonical request at `creq` and the signature;
/// returns where the string to sign, the scope in it, and the signature lie.
fn string_to_sign_and_signature(
    buf: &mut String,
    ctx: &Ctx<'_>,
    scope: &CredentialScope<'_>,
    creq: Range<usize>,
) -> (Range<usize>, Range<usize>, Range<usize>) {
    let creq_hash = canonical_request_hash(&buf.as_bytes()[creq]);
    let sts_start = buf.len();
    let scope_range = request_string_to_sign(
        buf,
        ctx.alg.name(),
        ctx.date_time,
        scope,
        hex_str(&creq_hash),
    );
    let sts = sts_start..buf.len();
    let signature = ctx.alg.sign(&buf.as_bytes()[sts.clone()]);
    let sig_range = push_range(buf, signature.as_str());
    (sts, scope_range, sig_range)
}

/// Appends `value` and returns where it lies.
fn push_range(buf: &mut String, value: &str) -> Range<usize> {
    let start = buf.len();
    buf.push_str(value);
    start..buf.len()
}

/// What the added headers or parameters refer to, already written.
struct AddedParts<'a> {
    derived_host: Option<Range<usize>>,
    scope: &'a CredentialScope<'a>,
    signed_headers: Range<usize>,
    signature: Range<usize>,
    params: Option<(&'a PresignParams, &'a str)>,
}

/// Appends the values of the headers (header mode) or query parameters (query mode) to
/// add, in the order the AWS test suites show them.
fn write_added(buf: &mut String, ctx: &Ctx<'_>, plan: &Plan<'_>, parts: AddedParts<'_>) -> Added {
    let mut added = Added::new();
    if let Some(r) = parts.derived_host {
        added.push(("host", r));
    }
    let mut push = |buf: &mut String, name: &'static str, value: &str| {
        let r = push_range(buf, value);
        added.push((name, r));
    };
    let token_name = ctx.settings.session_token_header;
    let date_time = ctx.date_time;
    let Some((params, text)) = parts.params else {
        if let Some(t) = ctx.session_token {
            push(buf, token_name.added_name(), t);
        }
        push(buf, "x-amz-date", date_time);
        if let Some(set) = ctx.alg.region_set() {
            push(buf, "x-amz-region-set", set);
        }
        if plan.add_content_sha {
            push(buf, "x-amz-content-sha256", plan.payload.as_str());
        }
        let start = buf.len();
        for p in [ctx.alg.name(), " Credential=", ctx.access_key_id, "/"] {
            buf.push_str(p);
        }
        parts.scope.write_to(buf);
        buf.push_str(", SignedHeaders=");
        // The same list as in the canonical request: copy it rather than rebuild it.
        buf.extend_from_within(parts.signed_headers);
        buf.push_str(", Signature=");
        buf.extend_from_within(parts.signature);
        let authorization = start..buf.len();
        added.push(("authorization", authorization));
        return added;
    };
    push(buf, "X-Amz-Algorithm", ctx.alg.name());
    push(buf, "X-Amz-Credential", params.credential(text));
    push(buf, "X-Amz-Date", date_time);
    push(buf, "X-Amz-SignedHeaders", params.signed_headers(text));
    push(buf, "X-Amz-Expires", params.expires(text));
    if ctx.session_token.is_some() {
        push(buf, token_name.query_name(), params.token(text));
    }
    if ctx.alg.region_set().is_some() {
        push(buf, "X-Amz-Region-Set", params.region_set(text));
    }
    let sig_start = buf.len();
    buf.extend_from_within(parts.signature);
    let signature = sig_start..buf.len();
    added.push(("X-Amz-Signature", signature));
    added
}

/// An upper bound of the bytes the flow writes into its output buffer.
///
/// * the request target (`u`) appears at most 6 times: path and query percent-encoded (at
///   most 3 bytes per byte), the derived host, its `host:` line, and the kept query;
/// * the caller's header text (`h`, names and values) at most 3 times: the header lines,
///   the signed-headers list, and the list again in `Authorization`;
/// * the credential scope twice (string to sign, `Authorization`), the session token twice
///   (its header line and the added header), the signature twice;
/// * 640 bytes for everything of fixed size: newlines, the algorithm, dates, hex hashes,
///   the lines of the headers signing adds, and `Authorization`'s labels;
/// * SigV4a's region set (`r`) in its header line, the signed list and the added header;
/// * for presigning, the encoded `X-Amz-*` parameters twice (canonical query and output).
fn output_capacity(
    ctx: &Ctx<'_>,
    request: &SignableRequest<'_>,
    hs: &HeaderScratch,
    presign: bool,
) -> usize {
    let u = request.uri().len();
    let h = hs.text.len() + 3 * hs.entries.len();
    let scope = ctx.alg.scope(ctx.day(), ctx.service).len();
    let a = ctx.access_key_id.len();
    let t = ctx.session_token.map_or(0, str::len);
    let r = ctx.alg.region_set().map_or(0, |s| 64 + s.len());
    let mut cap = 640
        + request.method().len()
        + 6 * u
        + 3 * h
        + 2 * scope
        + a
        + 2 * t
        + 2 * MAX_SIGNATURE_HEX
        + 3 * r;
    if presign {
        cap += 2 * (200 + 3 * (a + scope + t + h + u + r));
    }
    cap
}
