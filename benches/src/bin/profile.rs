//! Signs one case many times with one implementation: a driver for profilers.
//!
//! ```text
//! CARGO_PROFILE_RELEASE_DEBUG=true cargo build --release -p sigv4-benches --bin profile
//! valgrind --tool=callgrind target/release/profile sigv4-cached a 10000
//! ```
//!
//! Implementations: `sigv4-cached`, `sigv4-fresh`, `sigv4-direct`, `sigv4-view`, `aws-sigv4`, `reqsign`,
//! `none` (only builds the requests, to subtract). Cases: `a`, `b`, `c`, `d`.

use std::hint::black_box;
use std::process::ExitCode;

use sigv4_benches::{aws::Aws, fixed_time, ours::Ours, reqsign::Reqsign, Case};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(which), Some(case), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: profile IMPLEMENTATION CASE ITERATIONS");
        return ExitCode::from(2);
    };
    let case = match case.as_str() {
        "a" => Case::a(),
        "b" => Case::b(),
        "c" => Case::c(),
        "d" => Case::d(),
        _ => {
            eprintln!("case must be a, b, c or d");
            return ExitCode::from(2);
        }
    };
    let Ok(n) = n.parse::<u64>() else {
        eprintln!("ITERATIONS must be a number");
        return ExitCode::from(2);
    };
    let time = fixed_time();
    let body = case.body.as_slice();
    let ours = Ours::new(&case, time);
    let aws = Aws::new(&case, time);
    let rq = Reqsign::new(&case);
    for _ in 0..n {
        match which.as_str() {
            "sigv4-cached" => {
                let mut r = case.request();
                ours.sign_cached(&mut r, black_box(body));
                black_box(r);
            }
            "sigv4-fresh" => {
                let mut r = case.request();
                ours.sign_fresh(&mut r, black_box(body));
                black_box(r);
            }
            "sigv4-direct" => {
                let mut r = case.request();
                ours.sign_cached_direct(&mut r, black_box(body));
                black_box(r);
            }
            "sigv4-view" => {
                black_box(ours.sign_view(black_box(&case), black_box(body)));
            }
            "aws-sigv4" => {
                let mut r = case.request();
                aws.sign(&mut r, black_box(body));
                black_box(r);
            }
            "reqsign" => {
                let mut p = case.request().into_parts().0;
                rq.sign(&mut p, black_box(body));
                black_box(p);
            }
            "none" => {
                black_box(case.request());
            }
            other => {
                eprintln!("unknown implementation {other}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
