//! Event streams: chains of signed messages through the verifier (tampering, reordering,
//! dropping, the end of the stream, midnight, clock skew) and the decoder's limits and errors.
#![cfg(feature = "event-stream")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::eventstream::{
    EventSigningError, EventStreamSigner, EventStreamVerifier, EventVerifyError, FrameDecoder,
    FrameError, Header, HeaderValue, Message, VerifiedEvent,
};
use sigv4::{Credentials, SigningKey};

const SEED: &str = "be1f8c7d79ef8e1abc5254a2c70e4da3bfaf4f07328f527444e1fc6ea67273e2";

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

fn event(i: usize) -> Message {
    Message::new(format!("audio chunk {i}").into_bytes())
        .with_header(Header::new(
            ":event-type",
            HeaderValue::String("AudioEvent".into()),
        ))
        .with_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
}

/// Five signed events and the end message, one second apart.
fn signed_chain() -> (Vec<Message>, Vec<Message>) {
    let mut signer = EventStreamSigner::new(&creds(), "us-east-1", "transcribe", SEED).unwrap();
    let events: Vec<Message> = (0..5).map(event).collect();
    let mut envelopes: Vec<Message> = events
        .iter()
        .enumerate()
        .map(|(i, m)| signer.sign(m, at(1_700_000_000 + i as u64)).unwrap())
        .collect();
    envelopes.push(signer.sign_end(at(1_700_000_010)).unwrap());
    assert_eq!(
        signer.sign(&event(9), at(1_700_000_011)),
        Err(EventSigningError::Ended)
    );
    (events, envelopes)
}

fn verifier() -> EventStreamVerifier {
    EventStreamVerifier::new(&creds(), "us-east-1", "transcribe", SEED).unwrap()
}

#[test]
fn a_chain_verifies_in_order_through_a_byte_stream() {
    let (events, envelopes) = signed_chain();
    let mut stream = Vec::new();
    for e in &envelopes {
        e.encode_to(&mut stream).unwrap();
    }
    // The wire bytes in 13-byte pieces, decoded and verified as they arrive.
    let mut decoder = FrameDecoder::new();
    let mut v = verifier();
    let mut got = Vec::new();
    for piece in stream.chunks(13) {
        let mut input = piece;
        while let Some(env) = decoder.decode(&mut input).unwrap() {
            got.push(v.verify(&env).unwrap());
        }
    }
    decoder.finish().unwrap();
    let mut want: Vec<VerifiedEvent> = events.into_iter().map(VerifiedEvent::Message).collect();
    want.push(VerifiedEvent::End);
    assert_eq!(got, want);
    assert!(v.is_ended());
    assert_eq!(v.verified_count(), 6);
    // Nothing is accepted after the end.
    assert_eq!(
        v.verify(&envelopes[0]),
        Err(EventVerifyError::AfterEnd { index: 6 })
    );
}

#[test]
fn dropped_reordered_altered_or_resigned_messages_fail() {
    let (_, envelopes) = signed_chain();
    // Dropped: message 1 missing.
    let mut v = verifier();
    v.verify(&envelopes[0]).unwrap();
    assert_eq!(
        v.verify(&envelopes[2]),
        Err(EventVerifyError::SignatureMismatch { index: 1 })
    );
    // Reordered.
    let mut v = verifier();
    assert_eq!(
        v.verify(&envelopes[1]),
        Err(EventVerifyError::SignatureMismatch { index: 0 })
    );
    // Altered payload (one byte of the inner message's payload, CRC fixed up by re-encoding).
    let mut inner = Message::decode(&envelopes[0].payload).unwrap();
    inner.payload[0] ^= 1;
    let mut altered = envelopes[0].clone();
    altered.payload = inner.encode().unwrap();
    assert_eq!(
        verifier().verify(&altered),
        Err(EventVerifyError::SignatureMismatch { index: 0 })
    );
    // Altered :date.
    let mut redated = envelopes[0].clone();
    redated.headers[1].value = HeaderValue::Timestamp(1_700_000_001_000);
    assert_eq!(
        verifier().verify(&redated),
        Err(EventVerifyError::SignatureMismatch { index: 0 })
    );
    // A truncated stream: the end message dropped leaves the verifier not ended.
    let mut v = verifier();
    for e in &envelopes[..5] {
        v.verify(e).unwrap();
    }
    assert!(!v.is_ended());
    // Missing or malformed envelope headers.
    let mut no_sig = envelopes[0].clone();
    no_sig.headers.remove(0);
    assert_eq!(
        verifier().verify(&no_sig),
        Err(EventVerifyError::MissingHeader {
            index: 0,
            header: ":chunk-signature"
        })
    );
    let mut short_sig = envelopes[0].clone();
    short_sig.headers[0].value = HeaderValue::ByteArray(vec![0; 31]);
    assert!(matches!(
        verifier().verify(&short_sig),
        Err(EventVerifyError::MissingHeader { .. })
    ));
    let mut no_date = envelopes[0].clone();
    no_date.headers[1].value = HeaderValue::Int64(0);
    assert_eq!(
        verifier().verify(&no_date),
        Err(EventVerifyError::MissingHeader {
            index: 0,
            header: ":date"
        })
    );
    let mut neg_date = envelopes[0].clone();
    neg_date.headers[1].value = HeaderValue::Timestamp(-5000);
    assert_eq!(
        verifier().verify(&neg_date),
        Err(EventVerifyError::InvalidDate { index: 0 })
    );
}

#[test]
fn a_signed_payload_that_is_not_a_frame_is_refused_after_its_signature() {
    let mut signer = EventStreamSigner::new(&creds(), "us-east-1", "transcribe", SEED).unwrap();
    let env = signer
        .sign_encoded(b"not a frame".to_vec(), at(1_700_000_000))
        .unwrap();
    assert!(matches!(
        verifier().verify(&env),
        Err(EventVerifyError::Frame {
            index: 0,
            source: FrameError::Incomplete { .. }
        })
    ));
}

#[test]
fn streams_running_past_midnight_rederive_the_key() {
    let before = at(1_700_006_399); // 2023-11-14T23:59:59Z
    let after = at(1_700_006_401); // 2023-11-15T00:00:01Z
    let mut signer = EventStreamSigner::new(&creds(), "us-east-1", "transcribe", SEED).unwrap();
    let a = signer.sign(&event(0), before).unwrap();
    let b = signer.sign(&event(1), after).unwrap();
    let sts = signer.string_to_sign(b"", after).unwrap();
    assert!(
        sts.contains("\n20231115/us-east-1/transcribe/aws4_request\n"),
        "{sts}"
    );
    let mut v = verifier();
    v.verify(&a).unwrap();
    v.verify(&b).unwrap();
    // A fixed key of the first day signs only that day.
    let key = SigningKey::derive(
        creds().secret_access_key(),
        "20231114",
        "us-east-1",
        "transcribe",
    )
    .unwrap();
    let mut fixed = EventStreamSigner::with_key(key.clone(), SEED).unwrap();
    fixed.sign(&event(0), before).unwrap();
    assert!(matches!(
        fixed.sign(&event(1), after),
        Err(EventSigningError::Signing(
            sigv4::SigningError::KeyScopeMismatch { .. }
        ))
    ));
    let mut fixed_v = EventStreamVerifier::with_key(key, SEED).unwrap();
    fixed_v.verify(&a).unwrap();
    assert!(matches!(
        fixed_v.verify(&b),
        Err(EventVerifyError::Signing(_))
    ));
}

#[test]
fn clock_skew_is_enforced_when_asked() {
    let (_, envelopes) = signed_chain();
    let mut v = verifier().with_max_skew(at(1_700_000_000 + 301), Duration::from_secs(300));
    assert!(matches!(
        v.verify(&envelopes[0]),
        Err(EventVerifyError::TimeSkew {
            index: 0,
            max_skew_secs: 300,
            ..
        })
    ));
    let mut v = verifier().with_max_skew(at(1_700_000_000 + 299), Duration::from_secs(300));
    v.verify(&envelopes[0]).unwrap();
    v.set_now(at(1_699_999_000));
    assert!(matches!(
        v.verify(&envelopes[1]),
        Err(EventVerifyError::TimeSkew { index: 1, .. })
    ));
}

#[test]
fn bad_inputs_to_the_signer_are_typed_errors() {
    for seed in ["", "ABCDEF", &"g".repeat(64), &SEED.to_uppercase()] {
        assert_eq!(
            EventStreamSigner::new(&creds(), "us-east-1", "transcribe", seed).unwrap_err(),
            EventSigningError::InvalidSeedSignature
        );
    }
    assert!(matches!(
        EventStreamSigner::new(&creds(), "us east", "transcribe", SEED),
        Err(EventSigningError::Signing(
            sigv4::SigningError::InvalidRegion(_)
        ))
    ));
    let mut signer = EventStreamSigner::new(&creds(), "us-east-1", "transcribe", SEED).unwrap();
    let long_name =
        Message::new(vec![]).with_header(Header::new("x".repeat(256), HeaderValue::Bool(true)));
    assert_eq!(
        signer.sign(&long_name, at(1_700_000_000)),
        Err(EventSigningError::Frame(FrameError::HeaderNameLength(256)))
    );
    let long_value = Message::new(vec![])
        .with_header(Header::new("big", HeaderValue::ByteArray(vec![0; 65_536])));
    assert_eq!(
        long_value.encode(),
        Err(FrameError::HeaderValueTooLong("big".into()))
    );
    // The failed signings did not advance the chain.
    assert_eq!(signer.previous_signature(), SEED);
    // Debug shows the scope and chain position, never the secret.
    let shown = format!("{signer:?} {:?}", verifier());
    assert!(!shown.contains("wJalr"), "{shown}");
    assert!(shown.contains("us-east-1/transcribe"), "{shown}");
}

#[test]
fn decoder_limits_and_malformed_preludes() {
    let big = Message::new(vec![7u8; 1000]).encode().unwrap();
    // Refused from the prelude alone, before the rest arrives.
    let mut d = FrameDecoder::new().with_max_message_len(999);
    let mut input = &big[..12];
    assert_eq!(
        d.decode(&mut input),
        Err(FrameError::MessageTooLong {
            length: 1016,
            max: 999
        })
    );
    assert_eq!(d.decode(&mut &big[12..]), Err(FrameError::Failed));
    assert_eq!(d.finish(), Err(FrameError::Failed));

    let many_headers = Message::new(vec![])
        .with_header(Header::new("a", HeaderValue::ByteArray(vec![1; 300])))
        .encode()
        .unwrap();
    let mut d = FrameDecoder::new().with_max_headers_len(256);
    assert_eq!(
        d.decode(&mut &many_headers[..]),
        Err(FrameError::HeadersTooLong {
            length: 305,
            max: 256
        })
    );

    // A total length below 16 (with a valid prelude CRC).
    let mut tiny = Vec::new();
    tiny.extend_from_slice(&8u32.to_be_bytes());
    tiny.extend_from_slice(&0u32.to_be_bytes());
    let crc = crc_of(&tiny);
    tiny.extend_from_slice(&crc.to_be_bytes());
    assert_eq!(
        Message::decode(&tiny),
        Err(FrameError::InvalidMessageLength(8))
    );

    // A headers length of 1 (a header has at least 2 bytes).
    let mut one = Vec::new();
    one.extend_from_slice(&17u32.to_be_bytes());
    one.extend_from_slice(&1u32.to_be_bytes());
    let crc = crc_of(&one);
    one.extend_from_slice(&crc.to_be_bytes());
    assert_eq!(Message::decode(&one), Err(FrameError::InvalidHeadersLength));

    // Truncated, and trailing bytes, for the one-frame decoder.
    let frame = event(1).encode().unwrap();
    assert_eq!(
        Message::decode(&frame[..frame.len() - 1]),
        Err(FrameError::Incomplete {
            have: frame.len() - 1,
            need: frame.len()
        })
    );
    assert_eq!(
        Message::decode(&frame[..5]),
        Err(FrameError::Incomplete { have: 5, need: 12 })
    );
    let mut two = frame.clone();
    two.push(0);
    assert_eq!(Message::decode(&two), Err(FrameError::TrailingBytes(1)));

    // A string value that is not UTF-8 and a zero-length header name.
    let mut bad = Message::new(vec![])
        .with_header(Header::new("s", HeaderValue::String("ab".into())))
        .encode()
        .unwrap();
    bad[12 + 5] = 0xff; // the first byte of "ab"
    let fixed = refresh_message_crc(bad);
    assert_eq!(
        Message::decode(&fixed),
        Err(FrameError::HeaderStringNotUtf8("s".into()))
    );
    let mut zero_name = Message::new(vec![])
        .with_header(Header::new("n", HeaderValue::Bool(true)))
        .encode()
        .unwrap();
    zero_name[12] = 0;
    assert_eq!(
        Message::decode(&refresh_message_crc(zero_name)),
        Err(FrameError::InvalidHeaderNameLength)
    );
    // An int32 cut off by the end of the headers block.
    let h = Message::new(b"xyz".to_vec())
        .with_header(Header::new("i", HeaderValue::Int32(5)))
        .encode()
        .unwrap();
    let mut short = h.clone();
    short[4..8].copy_from_slice(&5u32.to_be_bytes()); // headers 5 bytes: name, type, 2 of 4
    let crc = crc_of(&short[..8]);
    short[8..12].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(
        Message::decode(&refresh_message_crc(short)),
        Err(FrameError::InvalidHeaderValue("value cut off"))
    );
}

/// CRC-32/ISO-HDLC, written out here so the test does not use the code under test.
fn crc_of(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn refresh_message_crc(mut frame: Vec<u8>) -> Vec<u8> {
    let n = frame.len();
    let crc = crc_of(&frame[..n - 4]);
    frame[n - 4..].copy_from_slice(&crc.to_be_bytes());
    frame
}

#[cfg(feature = "http")]
mod opening_request {
    use super::*;
    use sigv4::eventstream;
    use sigv4::verify::{self, OpeningRequestError};
    use sigv4::Signer;

    const SKEW: Duration = Duration::from_secs(300);

    fn signed(t: SystemTime) -> (http::Request<()>, EventStreamSigner) {
        let mut req = http::Request::post(
            "https://transcribestreaming.us-east-1.amazonaws.com/stream-transcription?x=1&a=b%20c",
        )
        .header("content-type", "application/vnd.amazon.eventstream")
        .header("x-amzn-transcribe-language-code", "en-US")
        .body(())
        .unwrap();
        let chain = eventstream::sign_http_request(
            &Signer::new("us-east-1", "transcribe").unwrap(),
            &mut req,
            &creds(),
            t,
        )
        .unwrap();
        // What a server receives: the host as a header.
        req.headers_mut().insert(
            "host",
            http::HeaderValue::from_static("transcribestreaming.us-east-1.amazonaws.com"),
        );
        (req, chain)
    }

    #[test]
    fn a_signed_opening_request_seeds_the_verifier() {
        let t = at(1_700_000_000);
        let (req, mut chain) = signed(t);
        let mut v =
            verify::verify_opening_request(&req, &creds(), t + Duration::from_secs(30), SKEW)
                .unwrap();
        let env = chain.sign(&event(0), t).unwrap();
        assert_eq!(v.verify(&env).unwrap(), VerifiedEvent::Message(event(0)));
        assert_eq!(
            v.verify(&chain.sign_end(t).unwrap()).unwrap(),
            VerifiedEvent::End
        );
    }

    #[test]
    fn bad_opening_requests_are_refused() {
        let t = at(1_700_000_000);
        let check = |req: &http::Request<()>| {
            verify::verify_opening_request(req, &creds(), t, SKEW).map(|_| ())
        };
        let (req, _) = signed(t);
        assert_eq!(check(&req), Ok(()));

        let mut r = signed(t).0;
        r.headers_mut().insert(
            "x-amzn-transcribe-language-code",
            http::HeaderValue::from_static("de-DE"),
        );
        assert_eq!(check(&r), Err(OpeningRequestError::SignatureMismatch));

        let mut r = signed(t).0;
        *r.uri_mut() = "/stream-transcription?x=2&a=b%20c".parse().unwrap();
        assert_eq!(check(&r), Err(OpeningRequestError::SignatureMismatch));

        let mut r = signed(t).0;
        r.headers_mut().remove("content-type");
        assert_eq!(
            check(&r),
            Err(OpeningRequestError::MissingSignedHeader(
                "content-type".into()
            ))
        );

        let mut r = signed(t).0;
        r.headers_mut().remove("authorization");
        assert_eq!(check(&r), Err(OpeningRequestError::MissingAuthorization));
        assert_eq!(
            OpeningRequestError::MissingAuthorization.code(),
            "MissingAuthenticationToken"
        );

        let mut r = signed(t).0;
        r.headers_mut().insert(
            "x-amz-content-sha256",
            http::HeaderValue::from_static("UNSIGNED-PAYLOAD"),
        );
        assert_eq!(check(&r), Err(OpeningRequestError::NotAnEventStream));

        let (r, _) = signed(t);
        let other = Credentials::new("AKIDOTHER", "x", None, None);
        assert_eq!(
            verify::verify_opening_request(&r, &other, t, SKEW).map(|_| ()),
            Err(OpeningRequestError::WrongAccessKey)
        );
        let wrong_secret = Credentials::new("AKIDEXAMPLE", "not the secret", None, None);
        assert_eq!(
            verify::verify_opening_request(&r, &wrong_secret, t, SKEW).map(|_| ()),
            Err(OpeningRequestError::SignatureMismatch)
        );
        assert!(matches!(
            verify::verify_opening_request(&r, &creds(), t + Duration::from_secs(301), SKEW),
            Err(OpeningRequestError::TimeSkew {
                max_skew_secs: 300,
                ..
            })
        ));

        // One Authorization parser for every verifying entry point: the opening request's
        // malformed headers get the request verifier's own verdict.
        for (value, why) in [
            ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/transcribe/aws4_request", "Credential, SignedHeaders and Signature are all required"),
            ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/aws4_request, SignedHeaders=host, Signature=00", "the Credential must be <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request"),
            ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/transcribe/aws4_request, SignedHeaders=host;host, Signature=00", "SignedHeaders must be sorted and have no repeated names"),
            ("AWS4-HMAC-SHA1 Credential=x", "unsupported algorithm"),
        ] {
            let mut r = signed(t).0;
            r.headers_mut()
                .insert("authorization", http::HeaderValue::from_str(value).unwrap());
            match check(&r) {
                Err(OpeningRequestError::Rejected(verify::VerifyError::AuthorizationHeaderMalformed(msg))) => {
                    assert!(msg.contains(why), "{value}: {msg}")
                }
                other => panic!("{value}: {other:?}"),
            }
        }
        let mut r = signed(t).0;
        r.headers_mut().insert(
            "authorization",
            http::HeaderValue::from_static("AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20231114/transcribe/aws4_request, SignedHeaders=host, Signature=3045022100aa0102030405"),
        );
        assert!(
            matches!(check(&r), Err(OpeningRequestError::Rejected(verify::VerifyError::InvalidRequest(ref m))) if m.contains("SigV4a event streams")),
            "{:?}",
            check(&r)
        );
    }
}
