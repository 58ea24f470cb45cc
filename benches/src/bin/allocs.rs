//! Heap allocations per signing, counted by a counting global allocator.
//!
//! `cargo run --release -p sigv4-benches --bin allocs`
//!
//! For each case and implementation: allocations (and bytes) per operation, averaged over
//! many signings after a warm-up (so one-time work such as the signing-key cache or the
//! thread-local scratch buffers is not counted). Building the unsigned request is outside
//! the counted region; applying the signature to it is inside.

// A global allocator is an `unsafe impl` by definition; this is the only unsafe code in the
// workspace and it lives in this benchmark-only binary, never in the library crates.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use sigv4_benches::{aws::Aws, cross_check, fixed_time, ours::Ours, reqsign::Reqsign, Case};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A realloc is one more trip to the allocator.
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ROUNDS: u64 = 200;

/// Average (allocations, bytes) of `op` over `ROUNDS` runs, each on a fresh input from `setup`.
fn count<I, O>(mut setup: impl FnMut() -> I, mut op: impl FnMut(I) -> O) -> (f64, f64) {
    for _ in 0..10 {
        drop(op(setup()));
    }
    let (mut a, mut b) = (0, 0);
    for _ in 0..ROUNDS {
        let input = setup();
        let (a0, b0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
        let out = op(input);
        a += ALLOCS.load(Relaxed) - a0;
        b += BYTES.load(Relaxed) - b0;
        drop(out);
    }
    (a as f64 / ROUNDS as f64, b as f64 / ROUNDS as f64)
}

fn main() {
    let time = fixed_time();
    println!("| case | implementation | allocations per op | bytes allocated per op |");
    println!("|---|---|---:|---:|");
    let mut case_a_ours = None;
    for case in Case::all() {
        if let Err(e) = cross_check(&case) {
            eprintln!("implementations disagree: {e}");
            std::process::exit(1);
        }
        let body = case.body.as_slice();
        let ours = Ours::new(&case, time);
        let aws = Aws::new(&case, time);
        let rq = Reqsign::new(&case);
        let rows = [
            (
                "sigv4, cached key (http::Request)",
                count(
                    || case.request(),
                    |mut r| {
                        ours.sign_cached(&mut r, body);
                        r
                    },
                ),
            ),
            (
                "sigv4, fresh key (http::Request)",
                count(
                    || case.request(),
                    |mut r| {
                        ours.sign_fresh(&mut r, body);
                        r
                    },
                ),
            ),
            (
                "sigv4, cached key, direct http adapter (prototype)",
                if case.presign {
                    (f64::NAN, f64::NAN)
                } else {
                    count(
                        || case.request(),
                        |mut r| {
                            ours.sign_cached_direct(&mut r, body);
                            r
                        },
                    )
                },
            ),
            (
                "sigv4, cached key, borrowed view",
                count(|| (), |()| ours.sign_view(&case, body)),
            ),
            (
                "aws-sigv4 1.6.4",
                count(
                    || case.request(),
                    |mut r| {
                        aws.sign(&mut r, body);
                        r
                    },
                ),
            ),
            (
                "reqsign-aws-v4 3.3.1",
                count(
                    || case.request().into_parts().0,
                    |mut p| {
                        rq.sign(&mut p, body);
                        p
                    },
                ),
            ),
        ];
        for (name, (a, b)) in rows {
            if a.is_nan() {
                println!("| {} | {name} | n/a | n/a |", case.id);
            } else {
                println!("| {} | {name} | {a:.1} | {b:.0} |", case.id);
            }
        }
        if case.id == "a_s3_get" {
            case_a_ours = Some((rows[0].1 .0, rows[2].1 .0, rows[3].1 .0));
        }
    }
    if let Some((http, direct, view)) = case_a_ours {
        println!();
        println!(
            "case (a), header mode, sigv4 cached key: {http:.1} allocations through sign_http_request_with_payload, {direct:.1} through the direct adapter prototype, {view:.1} through the borrowed view (target <= 6)"
        );
    }
    chunked_rows();
}

/// aws-chunked: allocations per 64 KiB chunk of the signed encoder in its steady state, the
/// output buffer reused (as `ChunkedBody` and `ChunkedReader` reuse theirs): the chunk
/// signature chain (SigV4 HMAC, SigV4a ECDSA) and the framing.
fn chunked_rows() {
    use sigv4::chunked::{
        ChunkEncoder, ChunkSigner, ChunkedSettings, SigV4aChunkSigner, StreamingMode,
    };
    use sigv4::sigv4a::SigV4aKey;
    use sigv4::{AmzDate, SigningKey};

    const CHUNK: usize = 64 << 10;
    let time = AmzDate::parse("20130524T000000Z").unwrap();
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .with_chunk_size(CHUNK)
        .unwrap();
    let key = SigningKey::derive("secret", time.date(), "us-east-1", "s3").unwrap();
    let v4 = ChunkEncoder::new(
        settings,
        Some(ChunkSigner::new(key, time, &"0".repeat(64)).unwrap()),
    )
    .unwrap();
    let v4a_key = std::sync::Arc::new(SigV4aKey::derive("AKIDEXAMPLE", "secret").unwrap());
    let seed = v4a_key.sign_hex(b"seed");
    let chain = SigV4aChunkSigner::new(v4a_key, time, "s3", &seed).unwrap();
    let v4a = ChunkEncoder::new_v4a(settings.sigv4a().unwrap(), chain).unwrap();
    let body = vec![b'a'; CHUNK];
    println!();
    println!(
        "| aws-chunked encoder, per 64 KiB chunk (output buffer reused) | allocations | bytes |"
    );
    println!("|---|---:|---:|");
    for (name, mut encoder) in [("SigV4 (HMAC chain)", v4), ("SigV4a (ECDSA chain)", v4a)] {
        let mut out = Vec::with_capacity(2 * CHUNK);
        let (a, b) = count(
            || (),
            |()| {
                out.clear();
                encoder.push(&body, &mut out).unwrap();
            },
        );
        println!("| {name} | {a:.1} | {b:.0} |");
    }
}
