//! Signing arbitrary requests with arbitrary settings: never panics, is deterministic, and
//! whatever it signs has a well-formed result (a 64-hex-digit signature, an Authorization
//! header or presigned query parameters, a canonical request whose last line is the payload hash).
#![no_main]
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigv4::{
    Credentials, HeaderSelection, Payload, SessionTokenMode, SignableRequest, SignatureLocation,
    Signer, SigningSettings,
};

#[derive(Arbitrary, Debug)]
enum P<'a> {
    Bytes(&'a [u8]),
    Precomputed(&'a str),
    Unsigned,
    StreamingSigned,
    StreamingSignedTrailer,
    StreamingUnsignedTrailer,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: &'a str,
    uri: &'a str,
    headers: Vec<(&'a str, &'a [u8])>,
    payload: P<'a>,
    region: u8,
    service: u8,
    /// A scope the signer refuses most of the time (validation is fuzzed too).
    odd_scope: Option<(&'a str, &'a str)>,
    token: Option<&'a str>,
    normalize: bool,
    double_encode: bool,
    content_sha256: bool,
    append_token: bool,
    presign_secs: Option<u32>,
    only: Option<Vec<&'a str>>,
    time_secs: u32,
}

fuzz_target!(|input: Input<'_>| {
    let (region, service) = input.odd_scope.unwrap_or((
        ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"][usize::from(input.region) % 4],
        ["s3", "execute-api", "sts", "s3-outposts", "iam"][usize::from(input.service) % 5],
    ));
    let Ok(signer) = Signer::new(region, service) else {
        return;
    };
    let mut settings = SigningSettings::for_service(service);
    settings.normalize_uri_path = input.normalize;
    settings.double_uri_encode = input.double_encode;
    settings.content_sha256_header = input.content_sha256;
    if input.append_token {
        settings.session_token_mode = SessionTokenMode::AppendAfterSigning;
    }
    if let Some(only) = &input.only {
        settings.headers = HeaderSelection::Only(only.iter().map(|s| s.to_string()).collect());
    }
    if let Some(secs) = input.presign_secs {
        settings.location = SignatureLocation::Query {
            expires: Duration::from_secs(u64::from(secs)),
        };
    }
    let signer = signer.with_settings(settings);
    let payload = match input.payload {
        P::Bytes(b) => Payload::Bytes(b),
        P::Precomputed(s) => Payload::Precomputed(s),
        P::Unsigned => Payload::Unsigned,
        P::StreamingSigned => Payload::StreamingSigned,
        P::StreamingSignedTrailer => Payload::StreamingSignedTrailer,
        P::StreamingUnsignedTrailer => Payload::StreamingUnsignedTrailer,
    };
    let req = SignableRequest::new(
        input.method,
        input.uri,
        input.headers.iter().copied(),
        payload,
    );
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        input.token.map(str::to_owned),
        None,
    );
    let time = std::time::UNIX_EPOCH + Duration::from_secs(u64::from(input.time_secs));
    let Ok(out) = signer.sign(&req, &creds, time) else {
        return;
    };
    let sig = out.signature();
    assert_eq!(sig.len(), 64);
    assert!(sig
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let again = signer
        .sign(&req, &creds, time)
        .expect("signing is deterministic");
    assert_eq!(again.signature(), sig);
    assert_eq!(again.canonical_request(), out.canonical_request());
    assert!(out
        .string_to_sign()
        .ends_with(&sigv4::sha256_hex(out.canonical_request().as_bytes())));
    match out.location() {
        SignatureLocation::Headers => {
            let auth = out
                .authorization()
                .expect("header mode has an Authorization header");
            assert!(auth.ends_with(sig));
            assert!(auth.contains(out.signed_headers()));
        }
        SignatureLocation::Query { .. } => {
            let qs = out.query_string();
            assert!(qs.contains(sig));
        }
    }
    // Stable: the output can be formatted without panicking.
    let _ = format!("{out:?}");
});
