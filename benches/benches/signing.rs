//! Signing speed of this crate against aws-sigv4 and reqsign, all in one run.
//!
//! Run from the workspace root (see BENCHMARKS.md):
//! `cargo bench -p sigv4-benches --bench signing -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sha2::{Digest, Sha256};
use sigv4_benches::{aws::Aws, cross_check, fixed_time, ours::Ours, reqsign::Reqsign, Case, MIB};

fn signing(c: &mut Criterion) {
    // A comparison of different signatures would be meaningless: check every case first.
    for case in Case::all() {
        match cross_check(&case) {
            Ok(sigs) => eprintln!("{}: all implementations agree ({})", case.id, sigs[0].1),
            Err(e) => panic!("implementations disagree, the comparison would be wrong: {e}"),
        }
    }

    for case in Case::all() {
        let mut g = c.benchmark_group(case.id);
        if case.body.len() >= MIB {
            g.throughput(Throughput::Bytes(case.body.len() as u64));
        }
        let time = fixed_time();
        let body = case.body.as_slice();

        let ours = Ours::new(&case, time);
        g.bench_function("sigv4_cached_key", |b| {
            b.iter_batched(
                || case.request(),
                |mut req| {
                    ours.sign_cached(&mut req, black_box(body));
                    req
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function("sigv4_fresh_key", |b| {
            b.iter_batched(
                || case.request(),
                |mut req| {
                    ours.sign_fresh(&mut req, black_box(body));
                    req
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function("sigv4_cached_key_view", |b| {
            b.iter(|| ours.sign_view(black_box(&case), black_box(body)))
        });
        if case.body.len() < MIB {
            // The crypto floor, in the same run: SHA-256 of this case's canonical request
            // and one pre-keyed HMAC of its string to sign, nothing else.
            let floor = ours.floor_inputs(&case, body);
            g.bench_function("crypto_floor", |b| b.iter(|| floor.run()));
        }

        let aws = Aws::new(&case, time);
        g.bench_function("aws_sigv4", |b| {
            b.iter_batched(
                || case.request(),
                |mut req| {
                    aws.sign(&mut req, black_box(body));
                    req
                },
                BatchSize::SmallInput,
            )
        });

        let rq = Reqsign::new(&case);
        g.bench_function("reqsign", |b| {
            b.iter_batched(
                || case.request().into_parts().0,
                |mut parts| {
                    rq.sign(&mut parts, black_box(body));
                    parts
                },
                BatchSize::SmallInput,
            )
        });

        if case.body.len() >= MIB {
            g.bench_function("raw_sha256", |b| b.iter(|| Sha256::digest(black_box(body))));
        }
        g.finish();
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);
