//! SigV4a streaming: a body is encoded with the SigV4a chunk signer, one byte of the encoding
//! is optionally changed, and the result is fed to the verifier in pieces. The verifier never
//! panics, accepts every untouched body with exactly its data, and whenever it accepts a
//! changed body the decoded data is still exactly the original (a change it lets through can
//! only be one that does not matter, such as the case of a trailer name).
//!
//! Input: mode byte, piece-size byte, 2 bytes of flip position (0xFFFF: no change), a flip
//! mask byte, then the body (at most 20,000 bytes).
#![no_main]
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkedSettings, SigV4aChunkSigner,
    StreamingMode,
};
use sigv4::sigv4a::SigV4aKey;
use sigv4::verify::ChunkedBodyVerifier;
use sigv4::AmzDate;

fn key() -> &'static Arc<SigV4aKey> {
    static K: OnceLock<Arc<SigV4aKey>> = OnceLock::new();
    K.get_or_init(|| Arc::new(SigV4aKey::derive("AKIDEXAMPLE", "fuzz secret").expect("derivable")))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let (head, body) = data.split_at(5);
    let body = &body[..body.len().min(20_000)];
    let trailer = head[0] & 1 == 1;
    let piece = usize::from(head[1]) + 1;
    let flip_at = usize::from(u16::from_be_bytes([head[2], head[3]]));
    let mask = head[4];
    let time = AmzDate::parse("20240102T030405Z").expect("valid date");
    let seed = key().sign_hex(b"request");
    let mode = if trailer {
        StreamingMode::SignedWithTrailer
    } else {
        StreamingMode::Signed
    };
    let mut settings = ChunkedSettings::new(mode)
        .sigv4a()
        .expect("signed mode")
        .with_chunk_size(8192)
        .expect("valid size");
    if trailer {
        settings = settings
            .with_checksum(ChecksumAlgorithm::Crc32)
            .expect("trailer mode");
    }
    let signer = SigV4aChunkSigner::new(key().clone(), time, "s3", &seed).expect("valid seed");
    let mut enc = ChunkEncoder::new_v4a(settings, signer)
        .expect("v4a settings")
        .with_expected_length(body.len() as u64);
    let mut encoded = Vec::new();
    enc.push(body, &mut encoded).expect("declared length");
    enc.finish(&mut encoded).expect("declared length");
    assert_eq!(
        encoded.len() as u64,
        settings.encoded_length(body.len() as u64)
    );
    let changed = flip_at < encoded.len() && mask != 0;
    if changed {
        encoded[flip_at] ^= mask;
    }

    let mut v = ChunkedBodyVerifier::sigv4a(mode, key().public_key(), time, "s3", &seed)
        .expect("valid seed")
        .with_expected_length(body.len() as u64);
    if trailer {
        v = v.with_checksum(ChecksumAlgorithm::Crc32);
    }
    let mut out = Vec::new();
    let mut result = Ok(());
    for p in encoded.chunks(piece) {
        result = v.push(p, &mut out);
        if result.is_err() {
            assert!(v.push(b"x", &mut Vec::new()).is_err(), "stays failed");
            break;
        }
    }
    let result = result.and_then(|()| v.finish());
    assert!(out.len() <= body.len(), "never decodes more than was sent");
    if !changed {
        assert!(result.is_ok(), "an untouched body verifies: {result:?}");
    }
    if result.is_ok() {
        assert_eq!(out, body, "an accepted body decodes to the original data");
    }
});
