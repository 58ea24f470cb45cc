//! Issue #17 bug 2: a failing provider must not be run on every call. A
//! `credential_process` that exits non-zero is hammered by 8 threads through
//! one `CachedProvider`; it runs a bounded number of times (not once per
//! call), and the cache recovers as soon as the process starts succeeding.
#![cfg(unix)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sigv4_credentials::{CachedProvider, CredentialProcessProvider};

fn runs(counter: &Path) -> usize {
    std::fs::read_to_string(counter)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn failing_credential_process_runs_a_bounded_number_of_times_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("runs");
    let ok_flag = dir.path().join("ok");
    // Each run appends a line; it fails with status 3 until the flag exists.
    let command = format!(
        r#"echo run >> '{c}'; if [ -e '{f}' ]; then echo '{{"Version": 1, "AccessKeyId": "AKIDRECOVERED", "SecretAccessKey": "S", "Expiration": "2100-01-01T00:00:00Z"}}'; else exit 3; fi"#,
        c = counter.display(),
        f = ok_flag.display()
    );
    let cache = CachedProvider::builder(CredentialProcessProvider::new(command))
        .failure_backoff(Duration::from_millis(400))
        .build();

    // Phase 1: 8 threads, 200 calls each, all failing.
    let calls = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let cache = cache.clone();
            let calls = calls.clone();
            let errors = errors.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    calls.fetch_add(1, Ordering::SeqCst);
                    match cache.provide_credentials_blocking() {
                        Ok(c) => panic!("credentials from a failing process: {c:?}"),
                        Err(e) => {
                            assert!(e.to_string().contains("exit"), "{e}");
                            errors.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1600);
    assert_eq!(errors.load(Ordering::SeqCst), 1600);
    let failed_runs = runs(&counter);
    // Without a backoff every call ran the process (1,600 runs); with it, one
    // run per backoff interval (at least 200 ms each) over the phase.
    assert!(failed_runs >= 1, "the process never ran");
    assert!(
        failed_runs * 10 < 1600,
        "the failing process ran {failed_runs} times for 1,600 calls"
    );

    // Phase 2: the process starts succeeding; every thread gets credentials
    // once the backoff has passed (bounded loop, generous limit).
    std::fs::write(&ok_flag, b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let cache = cache.clone();
            std::thread::spawn(move || loop {
                match cache.provide_credentials_blocking() {
                    Ok(c) => return c.access_key_id().to_string(),
                    Err(_) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(e) => panic!("never recovered: {e}"),
                }
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "AKIDRECOVERED");
    }
    // Recovery took one successful run (plus at most one failure that was
    // already in flight when the flag appeared), shared by all 8 threads.
    let total = runs(&counter);
    assert!(
        (failed_runs + 1..=failed_runs + 2).contains(&total),
        "{failed_runs} failed runs, {total} in all"
    );
    // Cached from now on: no further runs.
    for _ in 0..100 {
        assert_eq!(
            cache
                .provide_credentials_blocking()
                .unwrap()
                .access_key_id(),
            "AKIDRECOVERED"
        );
    }
    assert_eq!(runs(&counter), total);
}
