//! Throughput of one `Signer` shared by 1, 2, 4 and 8 threads against one `Signer` per
//! thread (case (a), the borrowed view, cached key). A shared signer must not serialize
//! its threads: the two columns should match, up to the cores the machine has.
//!
//! `cargo run --release -p sigv4-benches --bin threads [SIGNINGS_PER_THREAD] [ROUNDS]`
//!
//! Each configuration runs ROUNDS times (default 5) and the fastest round counts, as in
//! `quick`: load from other processes only ever slows a round down.

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use sigv4::{Payload, SignableRequest, Signer};
use sigv4_benches::{fixed_time, ours::Ours, Case};

fn main() {
    let mut args = std::env::args().skip(1);
    let per_thread: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let rounds: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let case = Case::a();
    let time = fixed_time();
    let ours = Ours::new(&case, time);
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{per_thread} signings per thread, fastest of {rounds} rounds, {cores} cores available\n"
    );
    println!("| threads | one shared Signer (signings/s) | one Signer per thread (signings/s) | shared / per-thread |");
    println!("|---:|---:|---:|---:|");
    for threads in [1usize, 2, 4, 8] {
        let shared = best(rounds, || {
            run(threads, per_thread, &case, |_| ours.signer())
        });
        let own: Vec<Signer> = (0..threads)
            .map(|_| sigv4_benches::ours::signer_for(&case))
            .collect();
        let per = best(rounds, || run(threads, per_thread, &case, |i| &own[i]));
        let total = f64::from(per_thread) * threads as f64;
        let (s, p) = (total / shared.as_secs_f64(), total / per.as_secs_f64());
        println!("| {threads} | {s:.0} | {p:.0} | {:.2} |", s / p);
    }

    fn best(rounds: u32, mut f: impl FnMut() -> Duration) -> Duration {
        (0..rounds).map(|_| f()).min().unwrap_or_default()
    }

    /// Wall time for `threads` threads to sign `per_thread` requests each, all starting
    /// together; thread `i` signs with `signer(i)`.
    fn run<'s>(
        threads: usize,
        per_thread: u32,
        case: &Case,
        signer: impl Fn(usize) -> &'s Signer + Sync,
    ) -> Duration {
        let creds = sigv4::Credentials::new(
            sigv4_benches::ACCESS_KEY_ID,
            sigv4_benches::SECRET_ACCESS_KEY,
            None,
            None,
        );
        let start = Barrier::new(threads + 1);
        thread::scope(|s| {
            for i in 0..threads {
                let (start, signer, creds) = (&start, &signer, &creds);
                s.spawn(move || {
                    let signer = signer(i);
                    let req = SignableRequest::new(
                        case.method,
                        case.url,
                        case.headers.iter().map(|(n, v)| (*n, v.as_bytes())),
                        Payload::Unsigned,
                    );
                    // Warm this thread's key and scratch buffers before the clock starts.
                    signer.sign(&req, creds, fixed_time()).expect("sign");
                    start.wait();
                    for _ in 0..per_thread {
                        black_box(
                            signer
                                .sign(black_box(&req), creds, fixed_time())
                                .expect("sign"),
                        );
                    }
                });
            }
            start.wait();
            let t = Instant::now();
            // The scope joins every thread before returning.
            t
        })
        .elapsed()
    }
}
