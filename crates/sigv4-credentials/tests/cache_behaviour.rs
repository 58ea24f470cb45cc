//! Cache semantics: errors are returned in the mandatory window and never
//! cached, advisory errors are only logged, expired credentials are never
//! served, the refresh survives cancelled callers and dead runtimes, the
//! async API works outside tokio, the windows are configurable, and the
//! tracing events never carry a secret.

#[path = "container_support/mod.rs"]
mod support;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, SystemTime};

use sigv4_credentials::{CachedProvider, CredentialsError, ProvideCredentials, StaticProvider};
use support::*;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn cache(inner: &GatedProvider, clock: &TestClock) -> CachedProvider {
    CachedProvider::builder(inner.clone())
        .time_source(Arc::new(clock.clone()))
        .build()
}

#[tokio::test]
async fn mandatory_errors_are_returned_and_retried_after_the_backoff() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    inner.set_fail(true);
    let err = cache.provide_credentials().await.unwrap_err();
    assert!(
        err.to_string().contains("fetch 1 failed on purpose"),
        "{err}"
    );
    assert!(matches!(err, CredentialsError::ProviderError { .. }));
    assert!(!cache.is_ready());
    // Within the failure backoff the same error comes back without a fetch.
    for _ in 0..10 {
        let err = cache.provide_credentials().await.unwrap_err();
        assert!(err.to_string().contains("fetch 1 failed"), "{err}");
        assert!(matches!(err, CredentialsError::ProviderError { .. }));
    }
    assert_eq!(inner.fetches.get(), 1);
    // Past the longest jittered backoff (5 s by default) the next call fetches again.
    clock.advance(Duration::from_secs(6));
    let err = cache.provide_credentials().await.unwrap_err();
    assert!(err.to_string().contains("fetch 2"), "{err}");
    clock.advance(Duration::from_secs(6));
    inner.set_fail(false);
    assert_eq!(
        cache.provide_credentials().await.unwrap().access_key_id(),
        "AKID-3"
    );
    assert_eq!(inner.fetches.get(), 3);

    // In the mandatory window a failure is returned (to every waiter)...
    clock.advance(Duration::from_secs(52 * 60));
    inner.set_fail(true);
    inner.close();
    let a = tokio::spawn({
        let c = cache.clone();
        async move { c.provide_credentials().await }
    });
    let b = tokio::spawn({
        let c = cache.clone();
        async move { c.provide_credentials().await }
    });
    eventually("refresh waiting", || inner.in_fetch.get() == 1).await;
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    inner.open();
    assert!(a.await.unwrap().is_err());
    assert!(b.await.unwrap().is_err());
    assert_eq!(inner.fetches.get(), 4, "both waiters shared one fetch");
    // ...and, once the backoff has passed, the next caller tries again.
    clock.advance(Duration::from_secs(6));
    inner.set_fail(false);
    assert_eq!(
        cache.provide_credentials().await.unwrap().access_key_id(),
        "AKID-5"
    );
}

#[tokio::test]
async fn expired_credentials_are_never_served() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    cache.refresh().await.unwrap();
    clock.advance(Duration::from_secs(3601));
    inner.set_fail(true);
    assert!(cache.provide_credentials().await.is_err());
    assert!(!cache.is_ready());
    assert_eq!(cache.cached().unwrap().access_key_id(), "AKID-1");
}

#[tokio::test]
async fn advisory_errors_are_logged_not_returned_and_retried_after_the_interval() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = CachedProvider::builder(inner.clone())
        .time_source(Arc::new(clock.clone()))
        .advisory_retry_interval(Duration::from_secs(30))
        .build();
    cache.refresh().await.unwrap();
    clock.advance(Duration::from_secs(47 * 60));
    inner.set_fail(true);
    for _ in 0..10 {
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "AKID-1"
        );
    }
    eventually("the failed background refresh ended", || {
        !cache.is_refreshing() && inner.fetches.get() == 2
    })
    .await;
    // Within the retry interval no new attempt is made.
    for _ in 0..10 {
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "AKID-1"
        );
    }
    assert_eq!(inner.fetches.get(), 2);
    // After it, one more background attempt, which now succeeds.
    clock.advance(Duration::from_secs(31));
    inner.set_fail(false);
    assert_eq!(
        cache.provide_credentials().await.unwrap().access_key_id(),
        "AKID-1"
    );
    eventually("the second background refresh ended", || {
        !cache.is_refreshing() && inner.fetches.get() == 3
    })
    .await;
    assert_eq!(
        cache.provide_credentials().await.unwrap().access_key_id(),
        "AKID-3"
    );
}

#[tokio::test]
async fn configurable_windows() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = CachedProvider::builder(inner.clone())
        .time_source(Arc::new(clock.clone()))
        .advisory_window(Duration::from_secs(120))
        .mandatory_window(Duration::from_secs(60))
        .build();
    cache.refresh().await.unwrap();
    clock.advance(Duration::from_secs(3600 - 121));
    assert!(!cache.needs_refresh());
    clock.advance(Duration::from_secs(2));
    assert!(cache.needs_refresh() && cache.is_ready());
    clock.advance(Duration::from_secs(60));
    assert!(!cache.is_ready());

    // A mandatory window larger than the advisory one widens the advisory one.
    let cache = CachedProvider::builder(inner.clone())
        .time_source(Arc::new(clock.clone()))
        .advisory_window(Duration::from_secs(60))
        .mandatory_window(Duration::from_secs(600))
        .build();
    cache.refresh().await.unwrap();
    clock.advance(Duration::from_secs(3600 - 599));
    assert!(!cache.is_ready() && cache.needs_refresh());
}

#[tokio::test]
async fn credentials_without_expiry_are_fetched_once() {
    let calls = Counter::default();
    #[derive(Debug)]
    struct Once(Counter);
    impl ProvideCredentials for Once {
        fn provide_credentials(
            &self,
        ) -> sigv4_credentials::BoxFuture<'_, sigv4_credentials::CredentialsResult> {
            self.0.incr();
            Box::pin(async {
                Ok(sigv4_credentials::ProvidedCredentials::new(
                    sigv4::Credentials::new("AKIDSTATIC", SECRET, None, None),
                    "Once",
                ))
            })
        }
        fn name(&self) -> &'static str {
            "Once"
        }
    }
    let cache = CachedProvider::new(Once(calls.clone()));
    for _ in 0..100 {
        cache.provide_credentials().await.unwrap();
    }
    assert_eq!(calls.get(), 1);
    assert_eq!(cache.expires_at(), None);
    assert!(cache.is_ready() && !cache.needs_refresh());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_caller_does_not_cancel_the_refresh() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    inner.close();
    let waiter = tokio::spawn({
        let c = cache.clone();
        async move { c.provide_credentials().await }
    });
    eventually("refresh waiting", || inner.in_fetch.get() == 1).await;
    waiter.abort();
    assert!(waiter.await.unwrap_err().is_cancelled());
    inner.open();
    eventually("refresh finished", || cache.is_ready()).await;
    assert_eq!(
        cache.provide_credentials().await.unwrap().access_key_id(),
        "AKID-1"
    );
    assert_eq!(inner.fetches.get(), 1);
}

#[test]
fn a_refresh_on_a_runtime_that_shuts_down_does_not_wedge_the_cache() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    inner.close();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = cache.clone();
        // Starts the refresh on this runtime, then gives up waiting.
        let r = tokio::time::timeout(Duration::from_millis(20), c.provide_credentials()).await;
        assert!(r.is_err());
    });
    assert!(cache.is_refreshing());
    drop(rt); // The refresh task dies with its runtime.
    assert!(!cache.is_refreshing());
    inner.open();
    let c = cache.provide_credentials_blocking().unwrap();
    assert_eq!(c.access_key_id(), "AKID-2");
}

#[tokio::test]
async fn load_timeout_bounds_a_stuck_provider() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = CachedProvider::builder(inner.clone())
        .time_source(Arc::new(clock.clone()))
        .load_timeout(Duration::from_millis(50))
        .build();
    inner.close();
    let err = cache.provide_credentials().await.unwrap_err();
    assert!(matches!(err, CredentialsError::Timeout { .. }), "{err}");
    inner.open();
    // Within the failure backoff the timeout is returned again, without a fetch...
    let err = cache.provide_credentials().await.unwrap_err();
    assert!(matches!(err, CredentialsError::Timeout { .. }), "{err}");
    assert_eq!(inner.fetches.get(), 1);
    // ...and after it the provider is asked again.
    clock.advance(Duration::from_secs(6));
    assert!(cache.provide_credentials().await.is_ok());
}

/// Polls a future on this thread with no runtime at all.
fn block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn async_api_works_outside_a_tokio_runtime() {
    assert!(tokio::runtime::Handle::try_current().is_err());
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    let c = block_on(cache.provide_credentials()).unwrap();
    assert_eq!(c.access_key_id(), "AKID-1");
    let c = block_on(cache.refresh()).unwrap();
    assert_eq!(c.access_key_id(), "AKID-2");
    assert_eq!(cache.refresh_blocking().unwrap().access_key_id(), "AKID-3");
}

#[cfg(feature = "hyper-client")]
mod http_backed {
    use super::*;
    use sigv4_credentials::{ContainerOptions, ContainerProvider, Env, ProviderContext};

    #[test]
    fn blocking_facade_over_a_real_http_provider_from_plain_threads() {
        let server =
            TestServer::always(json(&credentials_json("AKIDHTTP", "2099-01-01T00:00:00Z")));
        let ctx = ProviderContext::default().with_env(Env::from_pairs([(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            server.url("/creds"),
        )]));
        let provider = ContainerProvider::new(ctx).with_options(ContainerOptions {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            ..ContainerOptions::default()
        });
        let cache = CachedProvider::new(provider);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                std::thread::spawn(move || cache.provide_credentials_blocking().unwrap())
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap().access_key_id(), "AKIDHTTP");
        }
        assert_eq!(server.seen().len(), 1, "one fetch for all threads");
    }
}

// ---------------------------------------------------------------------------
// tracing: events for refreshes and failures, never a secret.

#[tokio::test] // current-thread: the refresh task logs on this thread
async fn tracing_events_for_refreshes_and_failures_without_secrets() {
    let rec = Recorder::default();
    let _guard = tracing::subscriber::set_default(rec.clone());
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    cache.provide_credentials().await.unwrap();
    clock.advance(Duration::from_secs(47 * 60));
    inner.set_fail(true);
    cache.provide_credentials().await.unwrap();
    eventually("advisory refresh ended", || {
        !cache.is_refreshing() && inner.fetches.get() == 2
    })
    .await;
    clock.advance(Duration::from_secs(10 * 60));
    assert!(cache.provide_credentials().await.is_err());
    let _ = format!("{cache:?}");

    let events = rec.0.lock().unwrap().clone();
    let all = events.join("\n");
    assert!(all.contains("credentials refreshed"), "{all}");
    assert!(all.contains("provider=\"Gated\""), "{all}");
    assert!(
        all.contains("background credentials refresh failed"),
        "{all}"
    );
    assert!(
        events.iter().any(|e| e.starts_with("WARN")
            && e.contains("credentials refresh failed")
            && e.contains("reason=\"mandatory\"")),
        "{all}"
    );
    assert!(
        !all.contains(SECRET) && !all.contains(SESSION_TOKEN),
        "{all}"
    );
    assert!(!format!("{cache:?}").contains(SECRET));

    // StaticProvider behind a cache: the Debug output of the cached value
    // redacts the secret too.
    let c = CachedProvider::new(StaticProvider::new(sigv4::Credentials::new(
        "AKID", SECRET, None, None,
    )));
    let v = c.provide_credentials().await.unwrap();
    assert!(!format!("{v:?} {c:?}").contains(SECRET));
}

#[tokio::test]
async fn during_the_failure_backoff_unexpired_credentials_are_served() {
    let clock = TestClock::new(t0());
    let inner = GatedProvider::new(&clock);
    let cache = cache(&inner, &clock);
    cache.refresh().await.unwrap();
    // Inside the mandatory window (55 of 60 minutes), the refresh fails...
    clock.advance(Duration::from_secs(55 * 60));
    inner.set_fail(true);
    assert!(cache.provide_credentials().await.is_err());
    assert_eq!(inner.fetches.get(), 2);
    // ...and while the backoff lasts, the still-valid credentials are served
    // without a new attempt (static stability).
    for _ in 0..10 {
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "AKID-1"
        );
    }
    assert_eq!(inner.fetches.get(), 2);
    // Once they expire, the error comes back (never expired credentials).
    clock.advance(Duration::from_secs(5 * 60 + 1));
    assert!(cache.provide_credentials().await.is_err());
}
