//! The verifier-side aws-chunked decoder on arbitrary bodies, for a request whose headers
//! verified (signed, signed-with-trailer and unsigned-with-trailer modes). Never panics,
//! never decodes more than it was told, and once it reports an error it stays failed.
//!
//! Input: first byte picks the mode (and split size), the rest is the body.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sigv4::chunked::{self, ChecksumAlgorithm, ChunkedSettings, StreamingMode};
use sigv4::verify::{VerifiableRequest, Verified, Verifier, VerifyBody};
use sigv4::{Credentials, Signer};

/// Decoded length announced by every request here (the seeds encode bodies of this size).
pub const DECODED_LEN: u64 = 100;

fn verified() -> &'static [Verified; 3] {
    static V: OnceLock<[Verified; 3]> = OnceLock::new();
    V.get_or_init(|| {
        let now = sigv4_fuzz::now();
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
        );
        let signer = Signer::new("us-east-1", "s3").expect("valid scope");
        let verifier = Verifier::new("us-east-1", "s3").expect("valid scope");
        let make = |settings: ChunkedSettings| {
            let mut req = http::Request::builder()
                .method("PUT")
                .uri("https://bucket.s3.amazonaws.com/key")
                .body(())
                .expect("a valid request");
            chunked::sign_http_request(&signer, &mut req, settings, DECODED_LEN, &creds, now)
                .expect("signing a streaming upload");
            let view = VerifiableRequest::from_http(&req, VerifyBody::Unavailable);
            verifier
                .verify_with(&view, Some(creds.clone()), now)
                .expect("the signed streaming request verifies")
        };
        [
            make(ChunkedSettings::new(StreamingMode::Signed)),
            make(
                ChunkedSettings::new(StreamingMode::SignedWithTrailer)
                    .with_checksum(ChecksumAlgorithm::Crc32)
                    .expect("a checksum"),
            ),
            make(
                ChunkedSettings::new(StreamingMode::UnsignedWithTrailer)
                    .with_checksum(ChecksumAlgorithm::Crc32)
                    .expect("a checksum"),
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let mut v = verified()[usize::from(sel) % 3]
        .chunked_body()
        .expect("a streaming payload");
    let step = usize::from(sel / 3) + 1;
    let mut out = Vec::new();
    let mut failed = false;
    for piece in body.chunks(step) {
        match v.push(piece, &mut out) {
            Ok(()) => assert!(!failed, "accepted data after an error"),
            Err(e) => {
                let _ = (e.code(), e.to_string());
                failed = true;
            }
        }
        assert!(
            v.decoded_len() <= DECODED_LEN || failed,
            "decoded past the declared length"
        );
        assert!(v.verified_len() <= v.decoded_len());
    }
    if v.is_done() {
        assert!(!failed);
        assert_eq!(v.decoded_len(), DECODED_LEN);
        assert_eq!(out.len() as u64, DECODED_LEN);
    }
});
