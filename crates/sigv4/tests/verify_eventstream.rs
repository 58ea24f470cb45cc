//! The core verifier and event streams: `STREAMING-AWS4-HMAC-SHA256-EVENTS` is accepted on
//! a request signed in its `Authorization` header, reported as its own payload kind, and
//! the request's signature seeds the verifier of its messages; presigned URLs cannot carry it.
#![cfg(all(feature = "event-stream", feature = "http"))]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::eventstream::{self, EventStreamSigner, EventVerifyError, Message, VerifiedEvent};
use sigv4::verify::{
    AuthMode, VerifiableRequest, VerifiedPayload, Verifier, VerifyBody, VerifyError,
};
use sigv4::{Credentials, Signer};

fn creds() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    )
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn signed(t: SystemTime, path: &str) -> (http::Request<()>, EventStreamSigner) {
    let mut req = http::Request::post(format!("https://transcribestreaming.example.com{path}"))
        .header("content-type", "application/vnd.amazon.eventstream")
        .body(())
        .unwrap();
    let chain = eventstream::sign_http_request(
        &Signer::new("us-east-1", "transcribe").unwrap(),
        &mut req,
        &creds(),
        t,
    )
    .unwrap();
    (req, chain)
}

fn verifier() -> Verifier {
    Verifier::new("us-east-1", "transcribe").unwrap()
}

#[test]
fn the_events_marker_is_its_own_payload_kind_and_seeds_the_message_chain() {
    let t = at(1_700_000_000);
    let (req, mut chain) = signed(t, "/stream-transcription");
    let verified = verifier()
        .verify_with(
            &VerifiableRequest::from_http(&req, VerifyBody::Unavailable),
            Some(creds()),
            t,
        )
        .unwrap();
    assert_eq!(verified.payload(), VerifiedPayload::EventStream);
    assert_eq!(verified.mode(), AuthMode::Header);
    assert!(!verified.body_checked());
    assert_eq!(verified.expected_payload_sha256(), None);
    assert!(verified.chunked_body().is_none());

    let mut messages = verified.event_stream().unwrap();
    for i in 0..3u8 {
        let m = Message::new(vec![i; 10]);
        let env = chain.sign(&m, t + Duration::from_secs(i.into())).unwrap();
        assert_eq!(messages.verify(&env).unwrap(), VerifiedEvent::Message(m));
    }
    assert_eq!(
        messages.verify(&chain.sign_end(t).unwrap()).unwrap(),
        VerifiedEvent::End
    );

    // A chain seeded by another request's signature is refused from its first message.
    let (_, mut other) = signed(t, "/another");
    let env = other.sign(&Message::new(b"x".to_vec()), t).unwrap();
    let mut messages = verified.event_stream().unwrap();
    assert!(matches!(
        messages.verify(&env),
        Err(EventVerifyError::SignatureMismatch { index: 0 })
    ));
}

#[test]
fn the_marker_is_signed_like_any_payload_line() {
    let t = at(1_700_000_000);
    let (mut req, _) = signed(t, "/stream-transcription");
    // Claiming another payload after signing breaks the signature.
    req.headers_mut().insert(
        "x-amz-content-sha256",
        http::HeaderValue::from_static(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    );
    let err = verifier()
        .verify_with(
            &VerifiableRequest::from_http(&req, VerifyBody::Unavailable),
            Some(creds()),
            t,
        )
        .unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}

#[test]
fn no_event_stream_verifier_for_other_payloads() {
    let t = at(1_700_000_000);
    let out = Signer::new("us-east-1", "transcribe")
        .unwrap()
        .sign(
            &sigv4::SignableRequest::new(
                "POST",
                "/x",
                [("host", b"transcribestreaming.example.com".as_slice())],
                sigv4::Payload::Bytes(b"hi"),
            ),
            &creds(),
            t,
        )
        .unwrap();
    let mut headers: Vec<(&str, &[u8])> = vec![("host", b"transcribestreaming.example.com")];
    headers.extend(out.headers().map(|(n, v)| (n, v.as_bytes())));
    let verified = verifier()
        .verify_with(
            &VerifiableRequest::new("POST", "/x", headers, VerifyBody::Bytes(b"hi")),
            Some(creds()),
            t,
        )
        .unwrap();
    assert!(matches!(verified.payload(), VerifiedPayload::Sha256(_)));
    assert_eq!(
        verified.event_stream().unwrap_err(),
        VerifyError::NotAnEventStream
    );
}

/// A presigned URL whose signed headers include `x-amz-content-sha256: <payload>`.
fn presigned(payload: &'static str) -> Result<sigv4::verify::Verified, VerifyError> {
    let target = format!(
        "/stream?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fus-east-1%2Ftranscribe%2Faws4_request\
         &X-Amz-Date=20231114T221320Z&X-Amz-Expires=300\
         &X-Amz-SignedHeaders=host%3Bx-amz-content-sha256&X-Amz-Signature={}",
        "0".repeat(64)
    );
    let headers: Vec<(&str, &[u8])> = vec![
        ("host", b"transcribestreaming.example.com"),
        ("x-amz-content-sha256", payload.as_bytes()),
    ];
    let req = VerifiableRequest::new("GET", &target, headers, VerifyBody::Unavailable);
    verifier().verify_with(&req, Some(creds()), at(1_700_000_000))
}

#[test]
fn the_events_marker_is_refused_on_a_presigned_url() {
    let err = presigned(eventstream::STREAMING_EVENTS_PAYLOAD).unwrap_err();
    assert!(
        matches!(err, VerifyError::AuthorizationQueryParametersError(ref why) if why.contains("Authorization header")),
        "{err:?}"
    );
    // The same URL with a hash gets as far as the signature: only the marker is refused.
    let err =
        presigned("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}
