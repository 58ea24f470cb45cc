//! aws-chunked round trip: a body encoded by `ChunkEncoder` (any mode, checksum, chunk
//! size and write pattern) has the announced length, and the verifier decodes it back to
//! the same bytes, fed in any pattern, with every signature and the trailer checked.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigv4::chunked::{self, ChecksumAlgorithm, ChunkedSettings, StreamingMode, MIN_CHUNK_SIZE};
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{Credentials, Signer};

#[derive(Arbitrary, Debug)]
struct Input {
    mode: u8,
    checksum: Option<u8>,
    chunk_extra: u16,
    data: Vec<u8>,
    writes: Vec<u16>,
    reads: Vec<u16>,
}

fn pieces<'a>(mut data: &'a [u8], sizes: &[u16]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    for &s in sizes {
        if data.is_empty() {
            break;
        }
        let n = (usize::from(s) % 4099 + 1).min(data.len());
        out.push(&data[..n]);
        data = &data[n..];
    }
    if !data.is_empty() {
        out.push(data);
    }
    out
}

fuzz_target!(|input: Input| {
    let mode = [
        StreamingMode::Signed,
        StreamingMode::SignedWithTrailer,
        StreamingMode::UnsignedWithTrailer,
    ][usize::from(input.mode) % 3];
    let mut settings = ChunkedSettings::new(mode)
        .with_chunk_size(MIN_CHUNK_SIZE + usize::from(input.chunk_extra))
        .expect("a chunk size in range");
    if let (Some(c), true) = (input.checksum, mode.has_trailer()) {
        let algo = ChecksumAlgorithm::ALL[usize::from(c) % ChecksumAlgorithm::ALL.len()];
        settings = settings
            .with_checksum(algo)
            .expect("trailer modes take a checksum");
    }
    let now = sigv4_fuzz::now();
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    );
    let signer = Signer::new("us-east-1", "s3").expect("valid scope");
    let mut req = http::Request::builder()
        .method("PUT")
        .uri("https://bucket.s3.amazonaws.com/key")
        .body(())
        .expect("a valid request");
    let len = input.data.len() as u64;
    let mut encoder = chunked::sign_http_request(&signer, &mut req, settings, len, &creds, now)
        .expect("signing a streaming upload");
    let mut encoded = Vec::new();
    for p in pieces(&input.data, &input.writes) {
        encoder
            .push(p, &mut encoded)
            .expect("pushing declared data");
    }
    encoder
        .finish(&mut encoded)
        .expect("finishing a complete body");
    assert_eq!(encoded.len() as u64, settings.encoded_length(len));

    let verifier = Verifier::new("us-east-1", "s3").expect("valid scope");
    let view = VerifiableRequest::from_http(&req, VerifyBody::Unavailable);
    let verified = verifier
        .verify_with(&view, Some(creds), now)
        .expect("the signed streaming request verifies");
    let mut body = verified.chunked_body().expect("a streaming payload");
    let mut decoded = Vec::new();
    for p in pieces(&encoded, &input.reads) {
        body.push(p, &mut decoded)
            .expect("the encoded body verifies");
    }
    assert!(body.is_done());
    assert_eq!(decoded, input.data);
    assert_eq!(body.decoded_len(), len);
    if mode.is_signed() {
        assert_eq!(body.verified_len(), len);
    }
});
