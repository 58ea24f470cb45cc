//! aws-chunked encoding with a checksum trailer, 4 MiB bodies in 64 KiB pieces, so the
//! CRC implementation's share of a stream is visible (see BENCHMARKS.md, "Streaming").
//! Short run: `cargo bench -p sigv4-benches --bench streaming -- --warm-up-time 1
//! --measurement-time 3`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

criterion_group!(benches, streaming);
criterion_main!(benches);
