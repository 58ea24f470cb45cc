//! aws-chunked encoding with a checksum trailer, 4 MiB bodies in 64 KiB pieces, so the
//! CRC implementation's share of a stream is visible (see BENCHMARKS.md, "Streaming"); the
//! same upload with no trailer as the baseline; and each checksum's raw throughput over
//! 1 MiB next to raw SHA-256's, measured in the same run.
//! Short run: `cargo bench -p sigv4-benches --bench streaming -- --warm-up-time 1
//! --measurement-time 3`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sha2::{Digest, Sha256};
use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedSettings, StreamingMode,
};
use sigv4::{AmzDate, SigningKey};

const BODY: usize = 4 << 20;

fn encode(body: &[u8], settings: ChunkedSettings, signed: bool) -> u64 {
    let time = AmzDate::parse("20130524T000000Z").unwrap();
    let signer = signed.then(|| {
        let key = SigningKey::derive("secret", time.date(), "us-east-1", "s3").unwrap();
        ChunkSigner::new(key, time, &"0".repeat(64)).unwrap()
    });
    let mut enc = ChunkEncoder::new(settings, signer).unwrap();
    let mut out = Vec::with_capacity(128 << 10);
    let mut total = 0u64;
    for piece in body.chunks(64 << 10) {
        enc.push(piece, &mut out).unwrap();
        total += out.len() as u64;
        out.clear();
    }
    enc.finish(&mut out).unwrap();
    total + out.len() as u64
}

fn streaming(c: &mut Criterion) {
    let body: Vec<u8> = (0..BODY).map(|i| (i % 251) as u8).collect();
    let mut g = c.benchmark_group("chunked_trailer");
    g.throughput(Throughput::Bytes(BODY as u64));
    // The baseline: the same unsigned aws-chunked upload with no checksum in its trailer.
    let plain = ChunkedSettings::new(StreamingMode::UnsignedWithTrailer);
    let want = plain.encoded_length(BODY as u64);
    g.bench_function("unsigned_no_checksum", |b| {
        b.iter(|| assert_eq!(encode(black_box(&body), plain, false), want))
    });
    let cases = [
        (
            "unsigned_crc32",
            StreamingMode::UnsignedWithTrailer,
            ChecksumAlgorithm::Crc32,
            false,
        ),
        (
            "unsigned_crc32c",
            StreamingMode::UnsignedWithTrailer,
            ChecksumAlgorithm::Crc32c,
            false,
        ),
        (
            "unsigned_crc64nvme",
            StreamingMode::UnsignedWithTrailer,
            ChecksumAlgorithm::Crc64Nvme,
            false,
        ),
        (
            "signed_crc32",
            StreamingMode::SignedWithTrailer,
            ChecksumAlgorithm::Crc32,
            true,
        ),
    ];
    for (name, mode, algorithm, signed) in cases {
        let settings = ChunkedSettings::new(mode).with_checksum(algorithm).unwrap();
        let want = settings.encoded_length(BODY as u64);
        g.bench_function(name, |b| {
            b.iter(|| assert_eq!(encode(black_box(&body), settings, signed), want))
        });
    }
    g.finish();
}

/// Raw throughput over 1 MiB: SHA-256 (sha2, SHA-NI where the CPU has it) and each CRC
/// through the public `Checksum` API.
fn raw_checksums(c: &mut Criterion) {
    let data: Vec<u8> = (0..1usize << 20).map(|i| (i % 253) as u8).collect();
    let mut g = c.benchmark_group("checksum_raw_1mib");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("sha256", |b| b.iter(|| Sha256::digest(black_box(&data))));
    for (name, algorithm) in [
        ("crc32", ChecksumAlgorithm::Crc32),
        ("crc32c", ChecksumAlgorithm::Crc32c),
        ("crc64nvme", ChecksumAlgorithm::Crc64Nvme),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut c = algorithm.checksum();
                c.update(black_box(&data));
                c.finalize_bytes()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, raw_checksums, streaming);
criterion_main!(benches);
