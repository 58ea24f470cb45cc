//! A `Signer` shared by threads: each thread keeps the day key in thread-local storage and
//! reads it without a lock. These tests check that this cache never signs with the wrong
//! key: every signature is compared with one made from a freshly derived key.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningKey};

const DAY: u64 = 86_400;

fn time(day: u64) -> SystemTime {
    // 2015-08-30T12:36:00Z plus whole days.
    UNIX_EPOCH + Duration::from_secs(1_440_938_160 + day * DAY)
}

fn creds(i: usize) -> Credentials {
    Credentials::new(
        format!("AKID{i}"),
        format!("secret-{i}-wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        None,
        None,
    )
}

fn request() -> SignableRequest<'static> {
    SignableRequest::new(
        "GET",
        "https://example.amazonaws.com/a?b=c",
        [("x-amz-meta-a", "1".as_bytes())],
        Payload::Unsigned,
    )
}

/// The signature made with a key derived just now, bypassing every cache.
fn reference(signer: &Signer, c: &Credentials, t: SystemTime) -> String {
    let date = sigv4::AmzDate::from_system_time(t).unwrap();
    let key = SigningKey::derive(
        c.secret_access_key(),
        date.date(),
        signer.region(),
        signer.service(),
    )
    .unwrap();
    signer
        .sign_with_key(&request(), &key, c.access_key_id(), None, t)
        .unwrap()
        .signature()
        .to_owned()
}

#[test]
fn threads_sharing_one_signer_sign_with_the_right_key() {
    let signer = Arc::new(Signer::new("us-east-1", "service").unwrap());
    // Expected signatures for 3 credentials x 2 days, computed once up front.
    let expected: Arc<Vec<Vec<String>>> = Arc::new(
        (0..3)
            .map(|c| {
                (0..2)
                    .map(|d| reference(&signer, &creds(c), time(d)))
                    .collect()
            })
            .collect(),
    );
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let signer = Arc::clone(&signer);
            let expected = Arc::clone(&expected);
            thread::spawn(move || {
                // Threads change credentials and days at different rates, so the shared
                // key and the per-thread copies keep going stale under each other.
                for i in 0..300usize {
                    let c = (i / (t + 1)) % 3;
                    let d = (i / (2 * t + 3)) % 2;
                    let out = signer.sign(&request(), &creds(c), time(d as u64)).unwrap();
                    assert_eq!(
                        out.signature(),
                        expected[c][d],
                        "thread {t}, round {i}: credentials {c}, day {d}"
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("signing thread");
    }
}

#[test]
fn a_new_signer_never_uses_a_dropped_signers_key() {
    // Signers created and dropped in turn on one thread may reuse each other's memory;
    // each must still sign with a key for its own region.
    let c = creds(0);
    for i in 0..50 {
        let region = format!("region-{}", i % 7);
        let signer = Signer::new(region.as_str(), "service").unwrap();
        let got = signer.sign(&request(), &c, time(0)).unwrap();
        assert!(got
            .credential_scope()
            .contains(&format!("/{region}/service/")));
        assert_eq!(
            got.signature(),
            reference(&signer, &c, time(0)),
            "signer {i}"
        );
    }
}

#[test]
fn signers_used_alternately_on_one_thread_each_keep_their_key() {
    // More signers than a thread keeps keys for, used round-robin.
    let signers: Vec<Signer> = (0..9)
        .map(|i| Signer::new(format!("r{i}"), "service").unwrap())
        .collect();
    let c = creds(1);
    for round in 0..5 {
        for (i, s) in signers.iter().enumerate() {
            let got = s.sign(&request(), &c, time(round % 2)).unwrap();
            assert_eq!(
                got.signature(),
                reference(s, &c, time(round % 2)),
                "signer {i}, round {round}"
            );
        }
    }
}

#[test]
fn the_cached_signing_key_is_the_derived_one_on_every_thread() {
    let signer = Arc::new(Signer::new("us-east-1", "iam").unwrap());
    let c = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    );
    let keys: Vec<String> = (0..4)
        .map(|_| {
            let signer = Arc::clone(&signer);
            let c = c.clone();
            thread::spawn(move || sigv4::hex(signer.signing_key(&c, time(0)).unwrap().as_bytes()))
        })
        .map(|h| h.join().expect("thread"))
        .collect();
    // The AWS documentation's key for 20150830/us-east-1/iam.
    for k in keys {
        assert_eq!(
            k,
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }
}
