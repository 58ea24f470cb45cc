//! A streamed `STREAMING-UNSIGNED-PAYLOAD-TRAILER` upload with each CRC trailer against the
//! same upload with no trailer, interleaved so a busy machine's drift cancels out: every
//! round uploads the body once per case (in a rotating order) to a discarding 127.0.0.1
//! server, and each trailer's ratio is the median over rounds of its time / the same
//! round's no-trailer time. Run with `cargo run --release -p sigv4-benches --bin
//! upload_ratio` (`SIGV4_UPLOAD_MIB`, default 64; `SIGV4_UPLOAD_ROUNDS`, default 15).

use std::net::SocketAddr;
use std::time::Instant;

use sigv4::chunked::{ChecksumAlgorithm, ChunkedSettings, StreamingMode};
use sigv4_benches::upload::{discarding_server, upload};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One upload's seconds.
fn timed(addr: SocketAddr, body: &[u8], settings: ChunkedSettings) -> f64 {
    let t = Instant::now();
    upload(addr, body, settings);
    t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mib = env("SIGV4_UPLOAD_MIB", 64);
    let rounds = env("SIGV4_UPLOAD_ROUNDS", 15);
    let body: Vec<u8> = (0..mib << 20).map(|i| (i % 251) as u8).collect();
    let addr = discarding_server();
    let plain = ChunkedSettings::new(StreamingMode::UnsignedWithTrailer);
    let cases: Vec<(&str, ChunkedSettings)> = vec![
        ("no checksum", plain),
        (
            "CRC64/NVME",
            plain.with_checksum(ChecksumAlgorithm::Crc64Nvme).unwrap(),
        ),
        (
            "CRC32",
            plain.with_checksum(ChecksumAlgorithm::Crc32).unwrap(),
        ),
        (
            "CRC32C",
            plain.with_checksum(ChecksumAlgorithm::Crc32c).unwrap(),
        ),
    ];
    timed(addr, &body, plain); // warm-up
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut times = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            times[i].push(timed(addr, &body, cases[i].1));
        }
    }
    println!(
        "{mib} MiB upload to 127.0.0.1, {rounds} interleaved rounds, load average at start {}",
        load.trim()
    );
    for (i, (name, _)) in cases.iter().enumerate() {
        let ratios: Vec<f64> = (0..rounds).map(|r| times[i][r] / times[0][r]).collect();
        println!(
            "  {name:12} median {:7.1} ms  fastest {:7.1} ms  x no checksum (median of per-round ratios) {:.2}",
            median(times[i].clone()) * 1e3,
            times[i].iter().copied().fold(f64::MAX, f64::min) * 1e3,
            median(ratios)
        );
    }
}
