//! The verifier's presigned-URL parsing on arbitrary query strings and paths (with and
//! without an `x-amz-content-sha256` header). Never panics.
//!
//! Input: `path?query \n~~~\n extra header value for x-amz-content-sha256 (optional)`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::Credentials;
use sigv4_fuzz::split_parts;

fuzz_target!(|data: &[u8]| {
    let parts = split_parts(data, 2);
    let target = String::from_utf8_lossy(parts[0]);
    let mut headers: Vec<(&str, &[u8])> = vec![("host", b"example.amazonaws.com")];
    if let Some(h) = parts.get(1) {
        headers.push(("x-amz-content-sha256", h));
    }
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some("TOKEN".to_owned()),
        None,
    );
    for service in ["s3", "service"] {
        let verifier = Verifier::new("us-east-1", service)
            .expect("valid scope")
            .any_region();
        let req = VerifiableRequest::new(
            "GET",
            target.as_ref(),
            headers.iter().copied(),
            VerifyBody::Bytes(b""),
        );
        if let Err(e) = verifier.verify_with(&req, Some(creds.clone()), sigv4_fuzz::now()) {
            let _ = (e.code(), e.http_status(), e.to_string());
        }
    }
});
