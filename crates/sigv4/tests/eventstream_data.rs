//! Event streams against data nobody here wrote: ../shared/testdata/eventstream
//! (smithy-rs frames, aws-c-event-stream inline frames, the smithy-rs signing case).
//! Every case is run; the test fails if the data is missing or has fewer cases.
#![cfg(feature = "event-stream")]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;
use sigv4::eventstream::{
    EventStreamSigner, EventStreamVerifier, EventVerifyError, FrameDecoder, FrameError, Header,
    HeaderValue, Message, VerifiedEvent,
};
use sigv4::{Credentials, SigningKey};

fn data_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/eventstream"
    ));
    assert!(dir.is_dir(), "test data missing: {}", dir.display());
    dir
}

fn load(name: &str) -> Value {
    let path = data_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A header as the data states it: [name, type, value].
fn header(v: &Value) -> Header {
    let a = v.as_array().unwrap();
    let name = a[0].as_str().unwrap();
    let val = &a[2];
    let int = || val.as_i64().unwrap();
    let value = match a[1].as_str().unwrap() {
        "bool" => HeaderValue::Bool(val.as_bool().unwrap()),
        "byte" => HeaderValue::Byte(i8::try_from(int()).unwrap()),
        "int16" => HeaderValue::Int16(i16::try_from(int()).unwrap()),
        "int32" => HeaderValue::Int32(i32::try_from(int()).unwrap()),
        "int64" => HeaderValue::Int64(int()),
        "bytes_hex" => HeaderValue::ByteArray(unhex(val.as_str().unwrap())),
        "string" => HeaderValue::String(val.as_str().unwrap().to_owned()),
        "timestamp_secs" => HeaderValue::Timestamp(int() * 1000),
        "uuid_hex" => HeaderValue::Uuid(unhex(val.as_str().unwrap()).try_into().unwrap()),
        other => panic!("unknown header type in the data: {other}"),
    };
    Header::new(name, value)
}

/// Decodes `bytes` fed in pieces of `piece` bytes: all messages, or the first error.
fn decode_in_pieces(bytes: &[u8], piece: usize) -> Result<Vec<Message>, FrameError> {
    let mut decoder = FrameDecoder::new();
    let mut out = Vec::new();
    for p in bytes.chunks(piece) {
        let mut input = p;
        while let Some(m) = decoder.decode(&mut input)? {
            out.push(m);
        }
        assert!(input.is_empty(), "the decoder left input unread");
    }
    decoder.finish()?;
    Ok(out)
}

/// The one case whose stated error depends on how far a decoder reads: see below.
const READS_PAST_FRAME: &str = "invalid_header_name_length_too_long";

#[test]
fn every_frame_decodes_or_fails_as_stated() {
    let data = load("frames.json");
    let frames = data["frames"].as_object().unwrap();
    assert_eq!(frames.len(), 11, "frames.json should have 11 frame cases");
    // Every file is described, and every description has its file.
    let files: BTreeSet<String> = std::fs::read_dir(data_dir().join("frames"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let named: BTreeSet<String> = frames.keys().cloned().collect();
    assert_eq!(files, named);

    let mut valid = 0;
    let mut invalid = 0;
    for (name, case) in frames {
        let bytes = std::fs::read(data_dir().join("frames").join(name)).unwrap();
        // Whole, then one byte at a time, then in 7-byte pieces: the same outcome.
        let whole = decode_in_pieces(&bytes, bytes.len());
        for piece in [1, 7] {
            assert_eq!(
                decode_in_pieces(&bytes, piece),
                whole,
                "{name} in {piece}-byte pieces"
            );
        }
        if case["valid"].as_bool().unwrap() {
            valid += 1;
            let msgs = whole.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(msgs.len(), 1, "{name}");
            let msg = &msgs[0];
            assert_eq!(Message::decode(&bytes).as_ref(), Ok(msg), "{name}");
            if let Some(headers) = case.get("headers") {
                let want: Vec<Header> = headers.as_array().unwrap().iter().map(header).collect();
                assert_eq!(msg.headers, want, "{name}");
            }
            if let Some(p) = case.get("payload_utf8") {
                assert_eq!(msg.payload, p.as_str().unwrap().as_bytes(), "{name}");
            }
            match name.as_str() {
                "valid_empty_payload" => {
                    assert!(msg.payload.is_empty());
                    assert!(!msg.headers.is_empty());
                }
                "valid_no_headers" => {
                    assert!(msg.headers.is_empty());
                    assert!(!msg.payload.is_empty());
                }
                _ => {}
            }
            // Every valid frame re-encodes to its own bytes.
            assert_eq!(msg.encode().unwrap(), bytes, "{name} re-encoded");
        } else {
            invalid += 1;
            let stated = case["error"].as_str().unwrap();
            let err = whole.expect_err(name);
            if name == READS_PAST_FRAME {
                // The frame says it is 93 bytes (headers 77) but the file has 123. At byte
                // 18 a header name claims 102 bytes: past the headers block and past the
                // frame. smithy-rs's one-shot parser bounds the name by the *input*, reads
                // 102 bytes that run into the 30 bytes after the frame and reports their
                // invalid UTF-8 ("header name is not valid UTF-8"); its own streaming
                // decoder, like ours, stops at the frame and reports the length. We never
                // read past a frame, so we report the length. Both facts are checked here
                // so the case is neither skipped nor hard-coded.
                assert_eq!(stated, "header name is not valid UTF-8");
                assert_eq!(err, FrameError::InvalidHeaderNameLength, "{name}");
                let total = u32::from_be_bytes(bytes[0..4].try_into().unwrap()) as usize;
                let name_len = usize::from(bytes[18]);
                assert!(19 + name_len > total, "the name runs past the frame");
                assert!(bytes.len() >= 19 + name_len, "the file holds the overrun");
                assert!(std::str::from_utf8(&bytes[19..19 + name_len]).is_err());
            } else {
                assert_eq!(err.to_string(), stated, "{name}");
            }
        }
    }
    assert_eq!((valid, invalid), (3, 8));
}

#[test]
fn encoding_reproduces_all_headers_frame_byte_for_byte() {
    let data = load("frames.json");
    let case = &data["frames"]["valid_with_all_headers_and_payload"];
    let headers: Vec<Header> = case["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(header)
        .collect();
    assert_eq!(headers.len(), 10, "one header of every value type");
    let mut types: Vec<u8> = headers.iter().map(|h| h.value.type_byte()).collect();
    types.sort();
    assert_eq!(types, (0..10).collect::<Vec<u8>>());
    let msg = Message {
        headers,
        payload: case["payload_utf8"].as_str().unwrap().as_bytes().to_vec(),
    };
    let want = std::fs::read(data_dir().join("frames/valid_with_all_headers_and_payload")).unwrap();
    assert_eq!(msg.encode().unwrap(), want);
    assert_eq!(msg.encoded_len(), want.len());
}

#[test]
fn inline_crt_frames() {
    let data = load("frames.json");
    let inline = data["inline_frames"].as_object().unwrap();
    assert_eq!(inline.len(), 2);
    // Both frames back to back, decoded as one stream.
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for (name, case) in inline {
        let bytes = unhex(case["hex"].as_str().unwrap());
        let msg = Message {
            headers: case["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(header)
                .collect(),
            payload: case["payload_utf8"].as_str().unwrap().as_bytes().to_vec(),
        };
        assert_eq!(Message::decode(&bytes).as_ref(), Ok(&msg), "{name}");
        assert_eq!(msg.encode().unwrap(), bytes, "{name}");
        stream.extend_from_slice(&bytes);
        expected.push(msg);
    }
    for piece in [1, 3, stream.len()] {
        assert_eq!(decode_in_pieces(&stream, piece).unwrap(), expected);
    }
}

#[test]
fn signing_reproduces_string_to_sign_and_signature() {
    let cases = load("signing.json");
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 1, "signing.json should have 1 case");
    for case in cases {
        let c = &case["credentials"];
        let creds = Credentials::new(
            c["access_key_id"].as_str().unwrap(),
            c["secret_access_key"].as_str().unwrap(),
            None,
            None,
        );
        let region = case["region"].as_str().unwrap();
        let service = case["service"].as_str().unwrap();
        let time = UNIX_EPOCH
            + Duration::new(
                case["time_unix_secs"].as_u64().unwrap(),
                case["time_extra_nanos"].as_u64().unwrap() as u32,
            );
        let m = &case["message"];
        let message = Message {
            headers: m["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(header)
                .collect(),
            payload: m["payload_utf8"].as_str().unwrap().as_bytes().to_vec(),
        };
        let prior = case["prior_signature_hex"].as_str().unwrap();
        assert_eq!(prior, sigv4::sha256_hex(b"last message sts"));
        let expected_sig = case["expected_signature"].as_str().unwrap();

        let mut signer = EventStreamSigner::new(&creds, region, service, prior).unwrap();
        let sts = signer
            .string_to_sign(&message.encode().unwrap(), time)
            .unwrap();
        assert_eq!(sts, case["expected_string_to_sign"].as_str().unwrap());
        let envelope = signer.sign(&message, time).unwrap();
        assert_eq!(signer.previous_signature(), expected_sig);

        // The envelope: :chunk-signature (32 bytes) then :date (whole seconds), the
        // encoded message as payload.
        assert_eq!(envelope.headers.len(), 2);
        assert_eq!(envelope.headers[0].name, ":chunk-signature");
        assert_eq!(
            envelope.headers[0].value,
            HeaderValue::ByteArray(unhex(expected_sig))
        );
        assert_eq!(envelope.headers[1].name, ":date");
        assert_eq!(
            envelope.headers[1].value,
            HeaderValue::Timestamp(123_456_789_000)
        );
        assert_eq!(envelope.payload, message.encode().unwrap());

        // The same with a fixed key of that day.
        let key =
            SigningKey::derive(creds.secret_access_key(), "19731129", region, service).unwrap();
        let mut by_key = EventStreamSigner::with_key(key.clone(), prior).unwrap();
        assert_eq!(by_key.sign(&message, time).unwrap(), envelope);

        // The service's side accepts it, through an encoded frame.
        let mut verifier = EventStreamVerifier::new(&creds, region, service, prior).unwrap();
        assert_eq!(
            verifier.verify_frame(&envelope.encode().unwrap()).unwrap(),
            VerifiedEvent::Message(message.clone())
        );
        // A wrong prior signature, key or service is refused.
        let other_prior = sigv4::sha256_hex(b"another stream");
        for mut v in [
            EventStreamVerifier::new(&creds, region, service, &other_prior).unwrap(),
            EventStreamVerifier::new(&creds, region, "otherservice", prior).unwrap(),
            EventStreamVerifier::new(
                &Credentials::new("ANOTREAL", "another secret", None, None),
                region,
                service,
                prior,
            )
            .unwrap(),
        ] {
            assert_eq!(
                v.verify(&envelope),
                Err(EventVerifyError::SignatureMismatch { index: 0 })
            );
        }
        let mut keyed = EventStreamVerifier::with_key(key, prior).unwrap();
        assert!(keyed.verify(&envelope).is_ok());
    }
}
