//! aws-chunked encoding with a checksum trailer, 4 MiB bodies in 64 KiB pieces, so the
//! CRC implementation's share of a stream is visible (see BENCHMARKS.md, "Streaming"); the
//! same upload with no trailer as the baseline; a streamed upload over a 127.0.0.1 TCP
//! connection (`upload_loopback`), with and without a trailer; and each checksum's raw
//! throughput over 1 MiB next to raw SHA-256's, measured in the same run.
//! Short run: `cargo bench -p sigv4-benches --bench streaming -- --warm-up-time 1
//! --measurement-time 3`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sha2::{Digest, Sha256};
use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedSettings, StreamingMode,
};
use sigv4::{AmzDate, SigningKey};
use sigv4_benches::upload::{discarding_server, upload};

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

/// The engines the core did not choose, over the same 1 MiB, in the same run: crc-fast's
/// CRC-32, CRC-32C and CRC-64/NVME kernels (the last is sigv4-rs-crc64's fallback, on CPUs
/// without AVX2 + VPCLMULQDQ) and crc64fast-nvme (the chosen ones are in `checksum_raw_1mib`).
fn checksum_engines(c: &mut Criterion) {
    use crc_fast::CrcAlgorithm;
    let data: Vec<u8> = (0..1usize << 20).map(|i| (i % 253) as u8).collect();
    let mut g = c.benchmark_group("checksum_engines_1mib");
    g.throughput(Throughput::Bytes(data.len() as u64));
    for (name, algorithm) in [
        ("crc_fast_crc32", CrcAlgorithm::Crc32IsoHdlc),
        ("crc_fast_crc32c", CrcAlgorithm::Crc32Iscsi),
        ("crc_fast_crc64nvme", CrcAlgorithm::Crc64Nvme),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| crc_fast::checksum(algorithm, black_box(&data)))
        });
    }
    g.bench_function("crc64fast_nvme", |b| {
        b.iter(|| {
            let mut d = crc64fast_nvme::Digest::new();
            d.write(black_box(&data));
            d.sum64()
        })
    });
    g.finish();
}

const UPLOAD: usize = 64 << 20;

/// A 64 MiB `STREAMING-UNSIGNED-PAYLOAD-TRAILER` upload to a discarding 127.0.0.1 server:
/// no checksum (the baseline) against each CRC trailer. The sender's per-byte work is the
/// encoder's copy, the kernel's socket copy and the CRC.
fn loopback_upload(c: &mut Criterion) {
    let addr = discarding_server();
    let body: Vec<u8> = (0..UPLOAD).map(|i| (i % 251) as u8).collect();
    let mut g = c.benchmark_group("upload_loopback");
    g.throughput(Throughput::Bytes(UPLOAD as u64))
        .sample_size(20);
    let plain = ChunkedSettings::new(StreamingMode::UnsignedWithTrailer);
    let cases = [
        ("unsigned_no_checksum", None),
        ("unsigned_crc64nvme", Some(ChecksumAlgorithm::Crc64Nvme)),
        ("unsigned_crc32", Some(ChecksumAlgorithm::Crc32)),
        ("unsigned_crc32c", Some(ChecksumAlgorithm::Crc32c)),
        // The baseline once more, last: the first case of the group ran slower in some
        // runs, whatever it was, so the ratio is taken against the faster baseline.
        ("unsigned_no_checksum_again", None),
    ];
    for (name, algorithm) in cases {
        let settings = match algorithm {
            Some(a) => plain.with_checksum(a).unwrap(),
            None => plain,
        };
        let want = settings.encoded_length(UPLOAD as u64);
        g.bench_function(name, |b| {
            b.iter(|| assert_eq!(upload(addr, black_box(&body), settings), want))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    raw_checksums,
    checksum_engines,
    streaming,
    loopback_upload
);
criterion_main!(benches);
