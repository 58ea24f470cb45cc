//! Issue #17, bug 1: when the signed payload line is not the hash of the body that is sent
//! (`UNSIGNED-PAYLOAD`, a precomputed hash, a streaming marker), header-mode signing must
//! send and sign `x-amz-content-sha256` for every service, not only S3; otherwise a server,
//! which can only hash the body it receives, can never verify the signature.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::verify::{VerifiableRequest, VerifiedPayload, Verifier, VerifyBody, VerifyError};
use sigv4::{sha256_hex, Credentials, Payload, SignableRequest, Signer, SigningOutput};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = br#"{"name":"cat"}"#;
const NON_S3: &[&str] = &["execute-api", "es", "lambda", "sts"];

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160) // 2015-08-30T12:36:00Z
}

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET, None, None)
}

/// The headers a server receives: the caller's plus everything signing added.
fn wire_headers(out: &SigningOutput) -> Vec<(String, Vec<u8>)> {
    let mut h = vec![
        ("host".to_owned(), b"api.example.com".to_vec()),
        ("content-type".to_owned(), b"application/json".to_vec()),
    ];
    for (n, v) in out.headers() {
        h.retain(|(x, _)| !x.eq_ignore_ascii_case(n));
        h.push((n.to_owned(), v.as_bytes().to_vec()));
    }
    h
}

fn sign(service: &str, payload: Payload<'_>) -> SigningOutput {
    let signer = Signer::new("us-east-1", service).unwrap();
    let req = SignableRequest::new(
        "POST",
        "/prod/items?x=1",
        [
            ("host", "api.example.com".as_bytes()),
            ("content-type", b"application/json"),
        ],
        payload,
    );
    signer.sign(&req, &creds(), now()).unwrap()
}

fn verify(
    service: &str,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
    allow_unsigned: bool,
) -> Result<sigv4::verify::Verified, VerifyError> {
    let v = Verifier::new("us-east-1", service)
        .unwrap()
        .allow_unsigned_payload(allow_unsigned);
    let req = VerifiableRequest::new(
        "POST",
        "/prod/items?x=1",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        VerifyBody::Bytes(body),
    );
    let c = creds();
    v.verify(
        &req,
        &move |id: &str| (id == AKID).then(|| c.clone()),
        now(),
    )
}

fn content_sha(out: &SigningOutput) -> Option<&str> {
    out.headers()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map(|(_, v)| v)
}

#[test]
fn unsigned_payload_for_non_s3_services_is_sent_signed_and_verifies() {
    for &service in NON_S3 {
        let out = sign(service, Payload::Unsigned);
        assert_eq!(content_sha(&out), Some("UNSIGNED-PAYLOAD"), "{service}");
        assert!(
            out.signed_headers().contains("x-amz-content-sha256"),
            "{service}: {}",
            out.signed_headers()
        );
        let headers = wire_headers(&out);
        let verified = verify(service, &headers, BODY, true)
            .unwrap_or_else(|e| panic!("{service}: our verifier refused our request: {e}"));
        assert_eq!(verified.payload(), VerifiedPayload::Unsigned, "{service}");
        // Without the opt-in the refusal says why, rather than "signature does not match".
        assert!(
            matches!(
                verify(service, &headers, BODY, false),
                Err(VerifyError::UnsignedPayloadNotAllowed(_))
            ),
            "{service}"
        );
    }
}

#[test]
fn precomputed_payload_hash_for_non_s3_services_is_sent_signed_and_checked() {
    let hash = sha256_hex(BODY);
    for &service in NON_S3 {
        let out = sign(service, Payload::Precomputed(&hash));
        assert_eq!(content_sha(&out), Some(hash.as_str()), "{service}");
        assert!(out.signed_headers().contains("x-amz-content-sha256"));
        let headers = wire_headers(&out);
        let verified = verify(service, &headers, BODY, false)
            .unwrap_or_else(|e| panic!("{service}: our verifier refused our request: {e}"));
        assert!(verified.body_checked(), "{service}");
        // The header carries what was signed, so a different body is caught as such.
        assert!(
            matches!(
                verify(service, &headers, b"another body", false),
                Err(VerifyError::ContentSha256Mismatch { .. })
            ),
            "{service}"
        );
    }
}

#[test]
fn streaming_markers_for_non_s3_services_are_sent() {
    for p in [
        Payload::StreamingSigned,
        Payload::StreamingSignedTrailer,
        Payload::StreamingUnsignedTrailer,
    ] {
        let out = sign("execute-api", p);
        let line = out.canonical_request().rsplit('\n').next().unwrap();
        assert_eq!(content_sha(&out), Some(line));
        assert!(out.signed_headers().contains("x-amz-content-sha256"));
    }
}

#[test]
fn hashed_bodies_keep_the_service_rules() {
    // The body's own hash needs no header outside S3 (the AWS v4 suite signs it this way)...
    let out = sign("execute-api", Payload::Bytes(BODY));
    assert_eq!(content_sha(&out), None);
    assert!(!out.signed_headers().contains("x-amz-content-sha256"));
    verify("execute-api", &wire_headers(&out), BODY, false).unwrap();
    // ...and S3 always has it.
    let out = sign("s3", Payload::Bytes(BODY));
    assert_eq!(content_sha(&out), Some(sha256_hex(BODY).as_str()));
}

#[test]
fn http_requests_get_the_header_too() {
    let signer = Signer::new("us-east-1", "execute-api").unwrap();
    let mut req = http::Request::post("https://api.example.com/prod/items?x=1")
        .header("content-type", "application/json")
        .body(BODY.to_vec())
        .unwrap();
    signer
        .sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds(), now())
        .unwrap();
    assert_eq!(req.headers()["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
    let headers: Vec<(String, Vec<u8>)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    verify("execute-api", &headers, BODY, true).unwrap();
}

#[test]
fn presigned_urls_are_unchanged() {
    // Query mode carries no headers: the payload line is defined by the service's rules.
    let signer = Signer::new("us-east-1", "execute-api")
        .unwrap()
        .with_settings(
            sigv4::SigningSettings::for_service("execute-api").presigned(Duration::from_secs(60)),
        );
    let req = SignableRequest::new("GET", "https://api.example.com/prod", [], Payload::Unsigned);
    let out = signer.sign(&req, &creds(), now()).unwrap();
    assert!(!out.signed_headers().contains("x-amz-content-sha256"));
    assert!(!out.query_string().contains("content-sha256"));
}

#[cfg(feature = "sigv4a")]
#[test]
fn sigv4a_sends_the_header_too() {
    use sigv4::sigv4a::{PublicKey, SigV4aSigner};
    // The public key of AKIDEXAMPLE's SigV4a key, from the AWS v4a suite's public-key.json.
    let public = PublicKey::from_hex_coordinates(
        "b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1",
        "865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518",
    )
    .unwrap();
    let signer = SigV4aSigner::new("*", "execute-api").unwrap();
    for (payload, line) in [
        (Payload::Unsigned, "UNSIGNED-PAYLOAD".to_owned()),
        (Payload::Precomputed(&sha256_hex(BODY)), sha256_hex(BODY)),
    ] {
        let req = SignableRequest::new(
            "POST",
            "/prod/items",
            [("host", "api.example.com".as_bytes())],
            payload,
        );
        let out = signer.sign(&req, &creds(), now()).unwrap();
        let sent = out
            .headers()
            .find(|(n, _)| *n == "x-amz-content-sha256")
            .map(|(_, v)| v.to_owned());
        assert_eq!(sent.as_deref(), Some(line.as_str()));
        assert!(out.signed_headers().contains("x-amz-content-sha256"));
        assert!(out.canonical_request().ends_with(&format!("\n{line}")));
        assert!(public.verify_hex(out.string_to_sign().as_bytes(), out.signature()));
    }
    // Body bytes outside S3: no header, as before.
    let req = SignableRequest::new(
        "POST",
        "/prod/items",
        [("host", "api.example.com".as_bytes())],
        Payload::Bytes(BODY),
    );
    let out = signer.sign(&req, &creds(), now()).unwrap();
    assert!(!out.signed_headers().contains("x-amz-content-sha256"));
}
