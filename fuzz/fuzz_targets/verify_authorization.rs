//! The verifier's header-mode parsing on arbitrary input: the Authorization header, the
//! date, the content hash, the request target and extra headers. Never panics; anything it
//! accepts was really signed with the secret (so nothing is accepted by accident).
//!
//! Input: `authorization \n~~~\n x-amz-date \n~~~\n x-amz-content-sha256 \n~~~\n target
//! \n~~~\n extra headers (name:value lines) \n~~~\n body`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::Credentials;
use sigv4_fuzz::split_parts;

fuzz_target!(|data: &[u8]| {
    let parts = split_parts(data, 6);
    let get = |i: usize| parts.get(i).copied().unwrap_or(b"");
    let target = String::from_utf8_lossy(get(3));
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("host", b"example.amazonaws.com"),
        ("authorization", get(0)),
        ("x-amz-date", get(1)),
        ("x-amz-content-sha256", get(2)),
    ];
    let extra = get(4);
    let extra_lines: Vec<(String, &[u8])> = extra
        .split(|&b| b == b'\n')
        .filter_map(|l| {
            let c = l.iter().position(|&b| b == b':')?;
            Some((String::from_utf8_lossy(&l[..c]).into_owned(), &l[c + 1..]))
        })
        .collect();
    for (n, v) in &extra_lines {
        headers.push((n.as_str(), v));
    }
    let body = get(5);
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    );
    for service in ["s3", "service"] {
        let verifier = Verifier::new("us-east-1", service).expect("valid scope");
        let req = VerifiableRequest::new(
            "GET",
            target.as_ref(),
            headers.iter().copied(),
            VerifyBody::Bytes(body),
        );
        match verifier.verify_with(&req, Some(creds.clone()), sigv4_fuzz::now()) {
            Ok(v) => {
                let _ = format!("{v:?}");
            }
            Err(e) => {
                let _ = (e.code(), e.http_status(), e.to_string(), format!("{e:?}"));
            }
        }
        let _ = verifier.verify_with(&req, None, sigv4_fuzz::now());
    }
});
