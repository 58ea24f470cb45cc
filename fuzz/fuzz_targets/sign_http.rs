//! Signer against verifier over arbitrary `http::Request`s: whatever the signer signs (with
//! the service's default rules, header or query mode, with or without a session token)
//! the verifier with the same rules accepts, and a changed signature is refused.
#![no_main]
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{Credentials, SignatureLocation, Signer};

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
    let uri = format!("https://example.amazonaws.com/{}?{}", input.path, input.query);
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
        input.token.filter(|t| !t.is_empty()).map(str::to_owned),
        None,
    );
    if signer.sign_http_request(&mut req, &creds, now).is_err() {
        return;
    }
    let verifier = Verifier::new("us-east-1", service).expect("valid scope");
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
