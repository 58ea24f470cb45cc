//! Signer against verifier over arbitrary `http::Request`s: whatever the signer signs (with
//! the service's default rules, header or query mode, with or without a session token)
//! the verifier with the same rules accepts, and a changed signature is refused.
#![no_main]
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{Credentials, Payload, SignatureLocation, Signer};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: u8,
    s3: bool,
    path: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, &'a [u8])>,
    body: &'a [u8],
    token: Option<&'a str>,
    presign_secs: Option<u16>,
}

fuzz_target!(|input: Input<'_>| {
    let method = ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"][usize::from(input.method) % 6];
    let service = if input.s3 { "s3" } else { "execute-api" };
    // X-Amz-* query parameters mark a presigned URL: with an Authorization header as well
    // the verifier (like AWS) refuses the request as having two authentication mechanisms.
    if format!("{}?{}", input.path, input.query)
        .to_ascii_lowercase()
        .contains("x-amz-")
    {
        return;
    }
    let uri = format!(
        "https://example.amazonaws.com/{}?{}",
        input.path, input.query
    );
    let mut builder = http::Request::builder().method(method).uri(uri.as_str());
    for (name, value) in &input.headers {
        // Only headers a client would set itself (the signer owns the x-amz-* ones).
        let name = format!("x-f-{}", name.to_ascii_lowercase());
        builder = builder.header(name, *value);
    }
    let Ok(mut req) = builder.body(input.body.to_vec()) else {
        return;
    };
    let now = sigv4_fuzz::now();
    let mut signer = Signer::new("us-east-1", service).expect("valid scope");
    if let Some(secs) = input.presign_secs {
        signer.settings_mut().location = SignatureLocation::Query {
            expires: Duration::from_secs(u64::from(secs).max(1)),
        };
    }
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        // Real tokens have no surrounding whitespace (HTTP would strip it in transit).
        input
            .token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        None,
    );
    // S3 presigned URLs sign UNSIGNED-PAYLOAD (the caller's choice; see
    // `sign_http_request_with_payload`), everything else the body's hash.
    let s3_presign = input.s3 && input.presign_secs.is_some();
    let signed = if s3_presign {
        signer.sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds, now)
    } else {
        signer.sign_http_request(&mut req, &creds, now)
    };
    if signed.is_err() {
        return;
    }
    let mut verifier = Verifier::new("us-east-1", service).expect("valid scope");
    if input.presign_secs.is_some() {
        verifier = verifier.presigned_unsigned_payload(s3_presign);
    }
    let view = VerifiableRequest::from_http(&req, VerifyBody::Bytes(input.body));
    if let Err(e) = verifier.verify_with(&view, Some(creds.clone()), now) {
        panic!("a signed request does not verify: {e}\n{req:?}");
    }
    // Any other secret must be refused.
    let other = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
        creds.session_token().map(str::to_owned),
        None,
    );
    assert!(verifier.verify_with(&view, Some(other), now).is_err());
});
