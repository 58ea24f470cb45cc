//! Measures what verifying a request costs next to signing it (for BENCHMARKS.md):
//! `cargo run --release -p sigv4-e2e --bin verify-cost [iterations]`.
//!
//! For each request shape it prints the time per operation of signing, verifying with a
//! warm signing-key cache (a long-lived `Verifier`, the normal server case) and verifying
//! with a cold one (a new `Verifier` each time, so the key derivation is included).

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningSettings};

struct Shape {
    name: &'static str,
    service: &'static str,
    presign: bool,
    method: &'static str,
    target: &'static str,
    headers: Vec<(&'static str, &'static [u8])>,
    body: Vec<u8>,
}

fn per_op(iterations: u32, mut f: impl FnMut()) -> Duration {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed() / iterations
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    );
    let shapes = [
        Shape {
            name: "S3 GetObject, header mode",
            service: "s3",
            presign: false,
            method: "GET",
            target: "/bucket/photos/2015/08/cat.jpg?versionId=3",
            headers: vec![
                ("host", b"bucket.s3.us-east-1.amazonaws.com"),
                ("range", b"bytes=0-1023"),
                ("user-agent", b"verify-cost/1.0"),
            ],
            body: Vec::new(),
        },
        Shape {
            name: "S3 GetObject, presigned URL",
            service: "s3",
            presign: true,
            method: "GET",
            target: "/bucket/photos/2015/08/cat.jpg",
            headers: vec![("host", b"bucket.s3.us-east-1.amazonaws.com")],
            body: Vec::new(),
        },
        Shape {
            name: "API POST, 1 KiB JSON body",
            service: "execute-api",
            presign: false,
            method: "POST",
            target: "/prod/orders",
            headers: vec![
                ("host", b"abc123.execute-api.us-east-1.amazonaws.com"),
                ("content-type", b"application/json"),
            ],
            body: vec![b'x'; 1024],
        },
    ];
    println!("{iterations} iterations each (release build, one thread)");
    println!(
        "{:<32} {:>10} {:>14} {:>14}",
        "request", "sign", "verify (warm)", "verify (cold)"
    );
    for s in &shapes {
        let mut settings = SigningSettings::for_service(s.service);
        if s.presign {
            settings = settings.presigned(Duration::from_secs(900));
        }
        let signer = Signer::new("us-east-1", s.service)
            .expect("signer")
            .with_settings(settings);
        let payload = if s.presign {
            Payload::Unsigned
        } else {
            Payload::Bytes(&s.body)
        };
        let req = SignableRequest::new(s.method, s.target, s.headers.iter().copied(), payload);
        let out = signer.sign(&req, &creds, now).expect("sign");
        let sign = per_op(iterations, || {
            black_box(signer.sign(black_box(&req), &creds, now).expect("sign"));
        });

        let mut wire: Vec<(&str, Vec<u8>)> =
            s.headers.iter().map(|(n, v)| (*n, v.to_vec())).collect();
        for (n, v) in out.headers() {
            wire.retain(|(h, _)| !h.eq_ignore_ascii_case(n));
            wire.push((n, v.as_bytes().to_vec()));
        }
        let target = if s.presign {
            format!("{}?{}", s.target, out.query_string())
        } else {
            s.target.to_owned()
        };
        let view = VerifiableRequest::new(
            s.method,
            target.as_str(),
            wire.iter().map(|(n, v)| (*n, v.as_slice())),
            VerifyBody::Bytes(&s.body),
        );
        let lookup = |id: &str| (id == "AKIDEXAMPLE").then(|| creds.clone());
        let verifier = Verifier::new("us-east-1", s.service).expect("verifier");
        verifier
            .verify(&view, &lookup, now + Duration::from_secs(1))
            .expect("the signed request verifies");
        let warm = per_op(iterations, || {
            black_box(
                verifier
                    .verify(black_box(&view), &lookup, now)
                    .expect("verify"),
            );
        });
        let cold = per_op(iterations, || {
            let v = Verifier::new("us-east-1", s.service).expect("verifier");
            black_box(v.verify(black_box(&view), &lookup, now).expect("verify"));
        });
        println!(
            "{:<32} {:>8.2}µs {:>12.2}µs {:>12.2}µs",
            s.name,
            sign.as_nanos() as f64 / 1000.0,
            warm.as_nanos() as f64 / 1000.0,
            cold.as_nanos() as f64 / 1000.0
        );
    }
}
