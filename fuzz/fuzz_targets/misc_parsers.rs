//! Small parsers: X-Amz-Date and RFC 3339 times (round trips), service/region inference
//! from a host name, SigV4a region sets and public keys, POST policy building and signing.
#![no_main]
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use sigv4::post_policy::PostPolicy;
use sigv4::{AmzDate, Credentials};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Some(d) = AmzDate::parse(&s) {
        assert_eq!(AmzDate::parse(d.date_time()), Some(d));
        assert_eq!(AmzDate::from_unix_seconds(d.unix_seconds()).ok(), Some(d));
    }
    if let Some(d) = AmzDate::parse_rfc3339(&s) {
        assert_eq!(AmzDate::parse_rfc3339(&d.to_rfc3339()), Some(d));
    }
    // Only "never panics": for hosts with an empty label (`x..amazonaws.com`) the guess
    // can be an empty service name, which the signer then refuses.
    let _ = sigv4::infer::infer(&s);
    let _ = sigv4::sigv4a::normalize_region_set(&s);
    if let Ok(key) = sigv4::sigv4a::PublicKey::from_sec1_bytes(data) {
        let (x, y) = key.coordinates();
        assert!(sigv4::sigv4a::PublicKey::from_coordinates(&x, &y).is_ok());
        assert!(!key.verify(b"message", data));
        let _ = key.verify_hex(b"message", &s);
    }
    if let Some((x, y)) = s.split_once(',') {
        let _ = sigv4::sigv4a::PublicKey::from_hex_coordinates(x, y);
    }
    // POST policy: arbitrary field names and values are escaped into valid JSON.
    let mut parts = s.splitn(3, '\n');
    let (a, b, c) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let policy = PostPolicy::new(UNIX_EPOCH + Duration::from_secs(1_440_941_760))
        .bucket(a)
        .key_starts_with(b)
        .condition_eq(c, a);
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    );
    if let Ok(form) = policy.sign(
        &creds,
        "us-east-1",
        UNIX_EPOCH + Duration::from_secs(1_440_938_160),
    ) {
        assert_eq!(form.signature().len(), 64);
        assert!(!form.policy().is_empty());
    }
});
