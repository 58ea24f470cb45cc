//! Streaming (aws-chunked) throughput against raw SHA-256, and the verifier's cost per
//! request. Run with `cargo run --release -p sigv4-benches --bin streaming`.
//!
//! The body (256 MiB by default, `SIGV4_STREAM_MIB` to change) is generated in memory once
//! and fed in 64 KiB pieces, so the numbers measure hashing, signing and framing, not I/O.
//! Each measurement is the fastest of several rounds, which keeps a busy machine's noise
//! out of the ratio.

use std::time::{Duration, Instant, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedSettings, StreamingMode,
};
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{AmzDate, Credentials, Payload, SignableRequest, Signer, SigningKey};

fn best<F: FnMut()>(rounds: usize, mut f: F) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

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

fn main() {
    let mib: usize = std::env::var("SIGV4_STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let body: Vec<u8> = (0..mib << 20).map(|i| (i % 251) as u8).collect();
    let gbps = |d: Duration| body.len() as f64 / d.as_secs_f64() / 1e9;

    let raw = best(3, || {
        std::hint::black_box(Sha256::digest(&body));
    });
    println!("| what | GB/s | vs raw SHA-256 |");
    println!("|---|---:|---:|");
    println!("| raw SHA-256 ({mib} MiB) | {:.2} | 100% |", gbps(raw));
    let cases = [
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, 64 KiB chunks",
            StreamingMode::Signed,
            None,
            true,
        ),
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER + CRC32",
            StreamingMode::SignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32),
            true,
        ),
        (
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER + CRC32",
            StreamingMode::UnsignedWithTrailer,
            Some(ChecksumAlgorithm::Crc32),
            false,
        ),
    ];
    for (name, mode, checksum, signed) in cases {
        let mut settings = ChunkedSettings::new(mode);
        if let Some(c) = checksum {
            settings = settings.with_checksum(c).unwrap();
        }
        let want = settings.encoded_length(body.len() as u64);
        let d = best(3, || assert_eq!(encode(&body, settings, signed), want));
        println!(
            "| {name} | {:.2} | {:.0}% |",
            gbps(d),
            100.0 * raw.as_secs_f64() / d.as_secs_f64()
        );
    }

    // Verifier cost: the S3 GET of case (a), signed once, verified many times.
    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    );
    let headers = [
        ("host", b"examplebucket.s3.amazonaws.com".as_slice()),
        ("x-amz-meta-a", b"1"),
        ("content-type", b"text/plain"),
        ("range", b"bytes=0-9"),
    ];
    let target = "/photos/cat.jpg?versionId=3&partNumber=1";
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let out = signer
        .sign(
            &SignableRequest::new("GET", target, headers, Payload::Unsigned),
            &creds,
            now,
        )
        .unwrap();
    let mut all: Vec<(&str, &[u8])> = headers.to_vec();
    let added: Vec<(String, String)> = out
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    all.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
    let verifier = Verifier::new("us-east-1", "s3").unwrap();
    let lookup = |_: &str| Some(creds.clone());
    let n = 20_000u32;
    let per = |d: Duration| d.as_nanos() as f64 / f64::from(n);
    let verify_time = best(5, || {
        for _ in 0..n {
            let req =
                VerifiableRequest::new("GET", target, all.iter().copied(), VerifyBody::Unavailable);
            std::hint::black_box(verifier.verify(&req, &lookup, now).unwrap());
        }
    });
    let sign_time = best(5, || {
        for _ in 0..n {
            let req = SignableRequest::new("GET", target, headers, Payload::Unsigned);
            std::hint::black_box(signer.sign(&req, &creds, now).unwrap());
        }
    });
    println!();
    println!("| per request (case (a), warm key caches) | ns |");
    println!("|---|---:|");
    println!("| sign (`Signer::sign`) | {:.0} |", per(sign_time));
    println!(
        "| verify (`Verifier::verify`, headers, key cached) | {:.0} |",
        per(verify_time)
    );
}
