//! The event-stream frame decoder on arbitrary bytes. Never panics; decoding the input in
//! pieces of any size gives exactly what decoding it at once gives; every decoded message
//! re-encodes to the very bytes it came from; once an error is reported the decoder stays
//! failed; envelopes that decode go through the signature verifier without panicking.
//!
//! Input: the first byte picks the piece size (1 to 256), the rest is the stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4::eventstream::{EventStreamVerifier, FrameDecoder, FrameError, Message};
use sigv4::Credentials;

const SEED: &str = "be1f8c7d79ef8e1abc5254a2c70e4da3bfaf4f07328f527444e1fc6ea67273e2";

/// Every message (with its frame bytes) until the input ends or the first error.
fn decode_all(stream: &[u8], piece: usize) -> (Vec<(Message, Vec<u8>)>, Option<FrameError>) {
    let mut decoder = FrameDecoder::new().with_max_message_len(1 << 20);
    let mut out = Vec::new();
    let mut consumed = 0usize;
    for p in stream.chunks(piece) {
        let mut input = p;
        loop {
            let before = input.len();
            match decoder.decode(&mut input) {
                Ok(Some(m)) => {
                    consumed += before - input.len();
                    let frame_len = m.encoded_len();
                    let frame = stream[consumed - frame_len..consumed].to_vec();
                    out.push((m, frame));
                }
                Ok(None) => {
                    consumed += before - input.len();
                    assert!(input.is_empty(), "None with input left");
                    break;
                }
                Err(e) => {
                    // Failed for good.
                    assert_eq!(decoder.decode(&mut &b"x"[..]), Err(FrameError::Failed));
                    assert_eq!(decoder.finish(), Err(FrameError::Failed));
                    return (out, Some(e));
                }
            }
        }
    }
    let end = decoder.finish().err();
    (out, end)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, stream)) = data.split_first() else {
        return;
    };
    let piece = usize::from(first) + 1;
    let (whole_msgs, whole_err) = decode_all(stream, stream.len().max(1));
    let (msgs, err) = decode_all(stream, piece);
    assert_eq!(msgs, whole_msgs, "piece size {piece} changed the messages");
    assert_eq!(err, whole_err, "piece size {piece} changed the error");
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    );
    let mut verifier = EventStreamVerifier::new(&creds, "us-east-1", "transcribe", SEED)
        .expect("valid seed and scope");
    for (m, frame) in &msgs {
        assert_eq!(&m.encode().expect("a decoded message encodes"), frame);
        assert_eq!(Message::decode(frame).as_ref(), Ok(m));
        let _ = verifier.verify(m);
    }
});
