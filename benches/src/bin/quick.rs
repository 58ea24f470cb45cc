//! A noise-resistant cross-check of the criterion numbers for a busy machine: the
//! implementations take turns, many short rounds each, and the fastest round counts
//! (extra load only ever adds time, so the minimum approaches the quiet-machine cost).
//!
//! `cargo run --release -p sigv4-benches --bin quick [ROUNDS]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sigv4_benches::{aws::Aws, fixed_time, ours::Ours, reqsign::Reqsign, Case};

type Op<'a> = Box<dyn FnMut(usize) -> Duration + 'a>;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let time = fixed_time();
    println!("| case | implementation | min ns/op | vs aws-sigv4 | vs reqsign |");
    println!("|---|---|---:|---:|---:|");
    for case in Case::all() {
        let body = case.body.as_slice();
        // Ops per round: about 100 µs of work.
        let per_round = if body.len() > 4096 { 1 } else { 20 };
        let ours = Ours::new(&case, time);
        let aws = Aws::new(&case, time);
        let rq = Reqsign::new(&case);
        let c = &case;
        let mut ops: Vec<(&str, Op)> = vec![
            (
                "sigv4 cached key",
                Box::new(|n| timed_reqs(c, n, |r| ours.sign_cached(r, body))),
            ),
            (
                "aws-sigv4",
                Box::new(|n| timed_reqs(c, n, |r| aws.sign(r, body))),
            ),
            (
                "reqsign",
                Box::new(|n| {
                    let mut parts: Vec<_> = (0..n).map(|_| c.request().into_parts().0).collect();
                    let t = Instant::now();
                    for p in &mut parts {
                        rq.sign(p, body);
                    }
                    let d = t.elapsed();
                    drop(black_box(parts));
                    d
                }),
            ),
            (
                "sigv4 fresh key",
                Box::new(|n| timed_reqs(c, n, |r| ours.sign_fresh(r, body))),
            ),
        ];
        if !case.presign {
            ops.push((
                "sigv4 cached key, direct adapter",
                Box::new(|n| timed_reqs(c, n, |r| ours.sign_cached_direct(r, body))),
            ));
        }
        ops.push((
            "sigv4 cached key, borrowed view",
            Box::new(|n| {
                let t = Instant::now();
                for _ in 0..n {
                    black_box(ours.sign_view(black_box(c), black_box(body)));
                }
                t.elapsed()
            }),
        ));
        if body.len() <= 4096 {
            // The crypto floor: SHA-256 of this case's canonical request and one pre-keyed
            // HMAC-SHA256 of its string to sign.
            let floor = ours.floor_inputs(c, body);
            ops.push((
                "crypto floor (SHA-256 of the canonical request + one pre-keyed HMAC)",
                Box::new(move |n| {
                    let t = Instant::now();
                    for _ in 0..n {
                        black_box(floor.run());
                    }
                    t.elapsed()
                }),
            ));
        }
        if body.len() > 4096 {
            ops.push((
                "raw SHA-256 of the body",
                Box::new(|n| {
                    let t = Instant::now();
                    for _ in 0..n {
                        black_box(Sha256::digest(black_box(body)));
                    }
                    t.elapsed()
                }),
            ));
        }
        let mut best = vec![Duration::MAX; ops.len()];
        for _ in 0..rounds {
            for (i, (_, op)) in ops.iter_mut().enumerate() {
                let d = op(per_round) / per_round as u32;
                best[i] = best[i].min(d);
            }
        }
        let ns = |i: usize| best[i].as_nanos() as f64;
        let (aws_ns, rq_ns) = (ns(1), ns(2));
        for (i, (name, _)) in ops.iter().enumerate() {
            println!(
                "| {} | {name} | {:.0} | {:.2}x | {:.2}x |",
                case.id,
                ns(i),
                aws_ns / ns(i),
                rq_ns / ns(i)
            );
        }
    }
}

/// Signs `n` fresh requests (built before the clock starts, dropped after it stops).
fn timed_reqs(c: &Case, n: usize, f: impl Fn(&mut http::Request<()>)) -> Duration {
    let mut reqs: Vec<_> = (0..n).map(|_| c.request()).collect();
    let t = Instant::now();
    for r in &mut reqs {
        f(r);
    }
    let d = t.elapsed();
    drop(black_box(reqs));
    d
}
