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
    region_set: &'a str,
    service: &'a str,
    method: &'a str,
    uri: &'a str,
    headers: Vec<(&'a str, &'a [u8])>,
    body: &'a [u8],
    token: Option<&'a str>,
    presign_secs: Option<u32>,
    time_secs: u32,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(signer) = SigV4aSigner::new(input.region_set, input.service) else {
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
