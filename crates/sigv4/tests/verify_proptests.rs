//! Property tests of the verifier: its parsers never panic on arbitrary input (Authorization
//! headers, presigned queries, dates, targets, header values, aws-chunked bodies), and a
//! signed request stays valid only while it is unchanged.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use sigv4::verify::{VerifiableRequest, VerifiedPayload, Verifier, VerifyBody};
use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningSettings};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn creds() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    )
}

/// Text biased towards the shapes the parsers look for.
fn auth_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("AWS4-HMAC-SHA256".to_owned()),
        Just(" ".to_owned()),
        Just(", ".to_owned()),
        Just(",".to_owned()),
        Just("=".to_owned()),
        Just("/".to_owned()),
        Just(";".to_owned()),
        Just("Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request".to_owned()),
        Just("SignedHeaders=host;x-amz-date".to_owned()),
        Just("Signature=".to_owned()),
        "[0-9a-f]{64}",
        "[ -~]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(part, 0..12).prop_map(|v| v.concat())
}

fn query_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("X-Amz-Algorithm=AWS4-HMAC-SHA256".to_owned()),
        Just("X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request".to_owned()),
        Just("X-Amz-Date=20150830T123600Z".to_owned()),
        Just("X-Amz-Expires=".to_owned()),
        Just("X-Amz-SignedHeaders=host".to_owned()),
        Just("X-Amz-Signature=".to_owned()),
        Just("X-Amz-Security-Token=".to_owned()),
        Just("&".to_owned()),
        Just("=".to_owned()),
        "%[0-9a-fA-F]{0,2}",
        "[0-9a-f]{1,64}",
        "[ -~]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(part, 0..12).prop_map(|v| v.concat())
}

fn chunked_like() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        Just(b"2000;chunk-signature=".to_vec()),
        Just(b"0;chunk-signature=".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"x-amz-checksum-crc32:AAAAAA==\r\n".to_vec()),
        Just(b"x-amz-trailer-signature:".to_vec()),
        "[0-9a-f]{1,64}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..64),
    ];
    prop::collection::vec(part, 0..16).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_authorization_headers_never_panic(
        auth in auth_like(),
        date in prop_oneof!["[0-9TZ]{0,17}", any::<String>(), Just("20150830T123600Z".to_owned())],
        http_date in prop_oneof![any::<String>(), "[A-Za-z0-9:, ]{0,30}"],
        target in prop_oneof!["[ -~]{0,40}", any::<String>()],
        method in prop_oneof!["[A-Z]{0,6}", any::<String>()],
        extra in prop::collection::vec((prop_oneof!["[a-z-]{1,20}", any::<String>()], prop::collection::vec(any::<u8>(), 0..20)), 0..4),
        service in prop_oneof![Just("s3"), Just("service")],
    ) {
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("host", b"example.amazonaws.com"),
            ("authorization", auth.as_bytes()),
            ("x-amz-date", date.as_bytes()),
            ("date", http_date.as_bytes()),
        ];
        headers.extend(extra.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
        let req = VerifiableRequest::new(&method, target.as_str(), headers, VerifyBody::Bytes(b""));
        let v = Verifier::new("us-east-1", service).unwrap();
        let r = v.verify_with(&req, Some(creds()), now());
        if let Err(e) = r {
            // Every error has a code and a message.
            prop_assert!(!e.code().is_empty());
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn arbitrary_presigned_queries_never_panic(
        path in "(/[a-z%0-9.]{0,8}){0,4}",
        query in query_like(),
        service in prop_oneof![Just("s3"), Just("service")],
    ) {
        let target = format!("{path}?{query}");
        let req = VerifiableRequest::new(
            "GET",
            target.as_str(),
            [("host", "example.amazonaws.com".as_bytes())],
            VerifyBody::Unavailable,
        );
        let v = Verifier::new("us-east-1", service).unwrap();
        let lookup = |_: &str| Some(creds());
        let _ = v.verify(&req, &lookup, now());
    }

    #[test]
    fn arbitrary_chunked_bodies_never_panic(body in chunked_like(), split in 1usize..64) {
        // A real streaming request's verification, then arbitrary body bytes.
        let signer = Signer::new("us-east-1", "s3").unwrap();
        let headers = [
            ("host", "example.amazonaws.com".as_bytes()),
            ("content-encoding", b"aws-chunked"),
            ("x-amz-decoded-content-length", b"8192"),
            ("x-amz-trailer", b"x-amz-checksum-crc32"),
        ];
        for payload in [Payload::StreamingSigned, Payload::StreamingSignedTrailer, Payload::StreamingUnsignedTrailer] {
            let out = signer
                .sign(&SignableRequest::new("PUT", "/b/k", headers, payload), &creds(), now())
                .unwrap();
            let mut sent: Vec<(&str, &[u8])> = headers.to_vec();
            sent.extend(out.headers().map(|(n, v)| (n, v.as_bytes())));
            let req = VerifiableRequest::new("PUT", "/b/k", sent, VerifyBody::Unavailable);
            let verified = Verifier::new("us-east-1", "s3").unwrap().verify_with(&req, Some(creds()), now()).unwrap();
            prop_assert!(matches!(verified.payload(), VerifiedPayload::Streaming(_)));
            let mut v = verified.chunked_body().unwrap();
            let mut out = Vec::new();
            for piece in body.chunks(split) {
                if v.push(piece, &mut out).is_err() {
                    break;
                }
            }
            let _ = v.finish();
            // Decoded output never exceeds the input.
            prop_assert!(out.len() <= body.len());
        }
    }

    #[test]
    fn signed_requests_verify_and_changed_ones_do_not(
        // No `.`: flipping it makes `/`, and `/./` and `///` normalize alike.
        path in "(/[a-zA-Z0-9_~%-]{1,8}){1,4}",
        query in "([a-z]{1,5}=[a-zA-Z0-9%]{0,6}&){0,3}",
        body in prop::collection::vec(any::<u8>(), 0..64),
        meta in "[ -~]{0,20}",
        presign in any::<bool>(),
        s3 in any::<bool>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let service = if s3 { "s3" } else { "execute-api" };
        let mut settings = SigningSettings::for_service(service);
        if presign {
            settings = settings.presigned(Duration::from_secs(900));
        }
        let signer = Signer::new("us-east-1", service).unwrap().with_settings(settings);
        let target = format!("{path}?{query}");
        let headers = [("host", "h.example".as_bytes()), ("x-amz-meta-m", meta.as_bytes())];
        let payload = if presign && s3 { Payload::Unsigned } else { Payload::Bytes(&body) };
        let out = signer.sign(&SignableRequest::new("POST", &target, headers, payload), &creds(), now()).unwrap();
        let mut sent: Vec<(&str, &[u8])> = headers.to_vec();
        sent.extend(out.headers().map(|(n, v)| (n, v.as_bytes())));
        let wire_target = if presign { format!("{path}?{}", out.query_string()) } else { target.replace('+', "%2B") };
        let verifier = Verifier::new("us-east-1", service).unwrap();
        let req = VerifiableRequest::new("POST", wire_target.as_str(), sent.clone(), VerifyBody::Bytes(&body));
        let r = verifier.verify_with(&req, Some(creds()), now());
        prop_assert!(r.is_ok(), "{:?}", r);

        // Change one byte of the target: refused.
        let mut t = wire_target.clone().into_bytes();
        let i = flip.index(t.len());
        t[i] ^= 0x01;
        if let Ok(t) = String::from_utf8(t) {
            let req = VerifiableRequest::new("POST", t.as_str(), sent, VerifyBody::Bytes(&body));
            prop_assert!(verifier.verify_with(&req, Some(creds()), now()).is_err(), "accepted {t}");
        }
    }
}
