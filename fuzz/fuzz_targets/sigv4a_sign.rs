//! SigV4a signing of arbitrary requests: never panics, and every signature it makes
//! verifies with the derived public key over the string to sign.
#![no_main]
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigv4::sigv4a::SigV4aSigner;
use sigv4::{Credentials, Payload, SignableRequest, SignatureLocation};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    region_set: u8,
    service: u8,
    /// A region set and service the signer refuses most of the time (validation is fuzzed too).
    odd_scope: Option<(&'a str, &'a str)>,
    method: &'a str,
    uri: &'a str,
    headers: Vec<(&'a str, &'a [u8])>,
    body: &'a [u8],
    token: Option<&'a str>,
    presign_secs: Option<u32>,
    time_secs: u32,
}

fuzz_target!(|input: Input<'_>| {
    let (region_set, service) = input.odd_scope.unwrap_or((
        [
            "*",
            "us-east-1",
            "us-east-1,us-west-2",
            "us-*",
            "eu-west-1,*",
        ][usize::from(input.region_set) % 5],
        ["s3", "execute-api", "sts"][usize::from(input.service) % 3],
    ));
    let Ok(signer) = SigV4aSigner::new(region_set, service) else {
        return;
    };
    let mut signer = signer;
    if let Some(secs) = input.presign_secs {
        signer.settings_mut().location = SignatureLocation::Query {
            expires: Duration::from_secs(u64::from(secs)),
        };
    }
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        input.token.map(str::to_owned),
        None,
    );
    let req = SignableRequest::new(
        input.method,
        input.uri,
        input.headers.iter().copied(),
        Payload::Bytes(input.body),
    );
    let time = std::time::UNIX_EPOCH + Duration::from_secs(u64::from(input.time_secs));
    let Ok(out) = signer.sign(&req, &creds, time) else {
        return;
    };
    let key = signer.key(&creds).expect("the key was derived for signing");
    assert!(
        key.public_key()
            .verify_hex(out.string_to_sign().as_bytes(), out.signature()),
        "a SigV4a signature does not verify"
    );
    let _ = format!("{out:?}");
});
