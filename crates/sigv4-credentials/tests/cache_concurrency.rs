//! Single-flight under load: 1,000 tokio tasks, and 64 OS threads through
//! the blocking facade, asking at once cause exactly one fetch.

#[path = "container_support/mod.rs"]
mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use sigv4_credentials::{CachedProvider, ProvideCredentials};
use support::*;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn cache(inner: &GatedProvider, clock: &TestClock) -> CachedProvider {
    CachedProvider::builder(inner.clone())
        .time_source(Arc::new(clock.clone()))
        .build()
}

/// Spawns `n` tasks that each ask once; returns their handles after all of
/// them have started and the fetch is waiting at the gate.
async fn ask_concurrently(
    cache: &CachedProvider,
    inner: &GatedProvider,
    n: usize,
) -> (Vec<tokio::task::JoinHandle<String>>, Counter) {
    let started = Counter::default();
    let finished = Counter::default();
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let cache = cache.clone();
        let started = started.clone();
        let finished = finished.clone();
        handles.push(tokio::spawn(async move {
            started.incr();
            let c = cache.provide_credentials().await.expect("credentials");
            finished.incr();
            c.access_key_id().to_string()
        }));
    }
    eventually("all tasks started", || started.get() == n).await;
    eventually("the fetch is waiting at the gate", || {
        inner.in_fetch.get() == 1
    })
    .await;
    // Let every task reach its wait.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    (handles, finished)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_tasks_on_an_empty_cache_cause_one_fetch() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    inner.close();
    let (handles, finished) = ask_concurrently(&cache, &inner, 1000).await;
    assert_eq!(finished.get(), 0, "callers wait while nothing is cached");
    assert!(cache.is_refreshing());
    inner.open();
    for h in handles {
        assert_eq!(h.await.unwrap(), "AKID-1");
    }
    assert_eq!(inner.fetches.get(), 1, "exactly one fetch");
    assert!(!cache.is_refreshing());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_tasks_across_the_mandatory_window_cause_one_fetch() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    assert_eq!(cache.refresh().await.unwrap().access_key_id(), "AKID-1");
    assert_eq!(cache.expires_at(), Some(t0() + Duration::from_secs(3600)));

    // Before the windows: 1,000 tasks, no fetch.
    inner.close();
    let mut before = Vec::new();
    for _ in 0..1000 {
        let cache = cache.clone();
        before.push(tokio::spawn(async move {
            cache
                .provide_credentials()
                .await
                .unwrap()
                .access_key_id()
                .to_string()
        }));
    }
    for h in before {
        assert_eq!(h.await.unwrap(), "AKID-1");
    }
    assert_eq!(inner.fetches.get(), 1);

    // Inside the mandatory window (5 minutes before expiry): every caller
    // waits for the one refresh.
    clock.advance(Duration::from_secs(55 * 60));
    assert!(!cache.is_ready() && cache.needs_refresh());
    let (handles, finished) = ask_concurrently(&cache, &inner, 1000).await;
    assert_eq!(finished.get(), 0, "callers in the mandatory window wait");
    inner.open();
    for h in handles {
        assert_eq!(h.await.unwrap(), "AKID-2");
    }
    assert_eq!(inner.fetches.get(), 2, "exactly one more fetch");
    assert!(cache.is_ready());
    assert_eq!(
        cache.expires_at(),
        Some(t0() + Duration::from_secs(55 * 60 + 3600))
    );
}

#[test]
fn sixty_four_threads_through_the_blocking_facade_cause_one_fetch() {
    // No tokio runtime anywhere in this test's threads.
    assert!(tokio::runtime::Handle::try_current().is_err());
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    inner.close();
    let n = 64;
    let barrier = Arc::new(Barrier::new(n));
    let started = Counter::default();
    let finished = Counter::default();
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let cache = cache.clone();
            let barrier = barrier.clone();
            let started = started.clone();
            let finished = finished.clone();
            std::thread::spawn(move || {
                barrier.wait();
                started.incr();
                let c = cache.provide_credentials_blocking().expect("credentials");
                finished.incr();
                c.access_key_id().to_string()
            })
        })
        .collect();
    eventually_blocking("all threads started", || started.get() == n);
    eventually_blocking("the fetch is waiting", || inner.in_fetch.get() == 1);
    // Give the threads time to reach their wait (not a pass/fail timing).
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(finished.get(), 0);
    inner.open();
    for t in threads {
        assert_eq!(t.join().unwrap(), "AKID-1");
    }
    assert_eq!(inner.fetches.get(), 1, "exactly one fetch");

    // Across the mandatory window, again one fetch for all threads.
    clock.advance(Duration::from_secs(52 * 60));
    inner.close();
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let cache = cache.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                cache
                    .provide_credentials_blocking()
                    .unwrap()
                    .access_key_id()
                    .to_string()
            })
        })
        .collect();
    eventually_blocking("the refresh is waiting", || inner.in_fetch.get() == 1);
    std::thread::sleep(Duration::from_millis(50));
    inner.open();
    for t in threads {
        assert_eq!(t.join().unwrap(), "AKID-2");
    }
    assert_eq!(inner.fetches.get(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn advisory_window_never_blocks_and_starts_one_background_refresh() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    cache.refresh().await.unwrap();

    // 12 minutes before expiry: advisory (15) but not mandatory (10).
    clock.advance(Duration::from_secs(48 * 60));
    assert!(cache.is_ready() && cache.needs_refresh());
    inner.close();
    // 1,000 concurrent callers all complete with the current credentials
    // while the refresh is held at the gate: nobody is blocked.
    let mut handles = Vec::new();
    for _ in 0..1000 {
        let cache = cache.clone();
        handles.push(tokio::spawn(async move {
            cache
                .provide_credentials()
                .await
                .unwrap()
                .access_key_id()
                .to_string()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), "AKID-1");
    }
    eventually("the background refresh started", || {
        inner.in_fetch.get() == 1
    })
    .await;
    assert!(cache.is_refreshing());
    assert_eq!(inner.fetches.get(), 2, "one background refresh");
    inner.open();
    eventually("the background refresh finished", || !cache.is_refreshing()).await;
    assert_eq!(
        cache.provide_credentials().await.unwrap().access_key_id(),
        "AKID-2"
    );
    assert!(!cache.needs_refresh());
    assert_eq!(inner.fetches.get(), 2);
}
