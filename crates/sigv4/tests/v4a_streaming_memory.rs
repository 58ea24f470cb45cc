//! SigV4a streaming keeps memory flat like the SigV4 encoder: a 16 MiB generated body is
//! signed chunk by chunk (ECDSA), piped straight into the verifier and discarded; the
//! process's peak resident set grows by a few chunks, not by the body size. One test per
//! binary, so nothing else disturbs the measurement.
#![cfg(all(target_os = "linux", feature = "sigv4a"))]

use std::io::{self, Read};
use std::sync::Arc;

use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkedReader, ChunkedSettings, SigV4aChunkSigner,
    StreamingMode,
};
use sigv4::sigv4a::SigV4aKey;
use sigv4::verify::ChunkedBodyVerifier;
use sigv4::AmzDate;

/// Generates `remaining` bytes without holding them.
struct Generated {
    remaining: u64,
    counter: u8,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        for b in &mut buf[..n] {
            *b = self.counter;
            self.counter = self.counter.wrapping_add(7);
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn sigv4a_encode_and_verify_16_mib_in_constant_memory() {
    let len: u64 = 16 << 20;
    let time = AmzDate::parse("20240102T030405Z").unwrap();
    let key = Arc::new(SigV4aKey::derive("AKIDEXAMPLE", "secret").unwrap());
    let seed = key.sign_hex(b"request");
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .sigv4a()
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32c)
        .unwrap();
    let signer = SigV4aChunkSigner::new(key.clone(), time, "s3", &seed).unwrap();
    let enc = ChunkEncoder::new_v4a(settings, signer)
        .unwrap()
        .with_expected_length(len);
    let mut verifier = ChunkedBodyVerifier::sigv4a(
        StreamingMode::SignedWithTrailer,
        key.public_key(),
        time,
        "s3",
        &seed,
    )
    .unwrap()
    .with_expected_length(len)
    .with_checksum(ChecksumAlgorithm::Crc32c);

    let before = peak_rss_kib();
    let mut reader = ChunkedReader::new(
        Generated {
            remaining: len,
            counter: 0,
        },
        enc,
    );
    let mut buf = vec![0u8; 8 * 1024];
    let mut decoded = Vec::with_capacity(64 * 1024);
    let (mut encoded_len, mut decoded_len) = (0u64, 0u64);
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        encoded_len += n as u64;
        verifier.push(&buf[..n], &mut decoded).unwrap();
        decoded_len += decoded.len() as u64;
        decoded.clear();
    }
    verifier.finish().unwrap();
    let growth = peak_rss_kib().saturating_sub(before);
    println!("16 MiB through SigV4a encode+verify: peak RSS +{growth} KiB");
    assert_eq!(encoded_len, settings.encoded_length(len));
    assert_eq!(decoded_len, len);
    assert!(verifier.is_done());
    assert!(growth < 4 * 1024, "peak RSS grew by {growth} KiB");
}
