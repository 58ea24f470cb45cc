//! A credentials cache with single-flight, background refresh.
//!
//! [`CachedProvider`] wraps any [`ProvideCredentials`] and decides, on every
//! call, from the expiry of the credentials it holds:
//!
//! - **fresh** (before the advisory window): return them.
//! - **advisory window** (default: the last 15 minutes): return them at once;
//!   the first caller that notices starts *one* refresh in the background.
//!   Its errors are logged with `tracing`, never returned; after a failed
//!   advisory refresh the next one waits for
//!   [`advisory_retry_interval`](CachedProviderBuilder::advisory_retry_interval).
//! - **mandatory window** (default: the last 10 minutes), expired, or nothing
//!   cached yet: callers wait for the single in-flight refresh.
//!
//! At most one fetch is in flight at any time, however many tasks or threads
//! ask.
//!
//! After a failed fetch, callers that would have to wait for a new one get
//! that error at once, without a new attempt, for a short jittered interval
//! ([`failure_backoff`](CachedProviderBuilder::failure_backoff), default
//! between 2.5 and 5 seconds), so a broken provider (a `credential_process`
//! that exits non-zero, an unreachable endpoint) is not run on every call.
//! The first successful fetch clears it; [`CachedProvider::refresh`] ignores
//! it. Credentials that are still valid keep being served while refreshes
//! fail (static stability): the backoff only applies when there is nothing
//! usable to return.
//!
//! For credentials whose whole lifetime is shorter than the windows (for
//! example 15-minute STS credentials, or instance metadata credentials
//! extended for static stability), the windows shrink to a half (advisory)
//! and a quarter (mandatory) of the lifetime, so the cache does not refetch
//! on every call.
//!
//! The refresh runs as a task on the caller's tokio runtime when there is
//! one, otherwise on an internal single-threaded runtime on a dedicated
//! thread; so [`provide_credentials`](ProvideCredentials::provide_credentials)
//! works from any executor, and
//! [`provide_credentials_blocking`](CachedProvider::provide_credentials_blocking)
//! from plain threads with no runtime at all.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::context::{SystemClock, TimeSource};
use crate::error::clone_error;
use crate::{
    BoxFuture, CredentialsError, CredentialsResult, ProvideCredentials, ProvidedCredentials,
};

/// Default advisory window: refresh in the background 15 minutes before expiry.
pub const DEFAULT_ADVISORY_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Default mandatory window: block callers 10 minutes before expiry.
pub const DEFAULT_MANDATORY_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Default bound on one fetch.
pub const DEFAULT_LOAD_TIMEOUT: Duration = Duration::from_secs(60);
/// Default pause after a failed advisory refresh.
pub const DEFAULT_ADVISORY_RETRY_INTERVAL: Duration = Duration::from_secs(30);
/// Default longest pause after a failed fetch during which callers get the
/// error without a new attempt (the actual pause is jittered between half of
/// it and all of it).
pub const DEFAULT_FAILURE_BACKOFF: Duration = Duration::from_secs(5);

type Outcome = Result<ProvidedCredentials, Arc<CredentialsError>>;

/// Why a refresh was started (for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// Nothing cached yet, or expired, or inside the mandatory window.
    Mandatory,
    /// Inside the advisory window.
    Advisory,
    /// [`CachedProvider::refresh`].
    Forced,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Mandatory => "mandatory",
            Reason::Advisory => "advisory",
            Reason::Forced => "forced",
        }
    }
}

/// Where to run a refresh task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spawn {
    /// The caller's tokio runtime if there is one, else the internal runtime.
    CallerRuntime,
    /// Always the internal runtime (the caller is going to block).
    Internal,
}

struct Entry {
    creds: ProvidedCredentials,
    advisory_at: Option<SystemTime>,
    mandatory_at: Option<SystemTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    Fresh,
    Advisory,
    Mandatory,
}

impl Entry {
    fn new(creds: ProvidedCredentials, now: SystemTime, config: &Config) -> Self {
        let (advisory_at, mandatory_at) = match creds.expiry() {
            None => (None, None),
            Some(exp) => {
                let life = exp.duration_since(now).unwrap_or(Duration::ZERO);
                let mandatory = config.mandatory_window.min(life / 4);
                let advisory = config.advisory_window.min(life / 2).max(mandatory);
                (Some(exp - advisory), Some(exp - mandatory))
            }
        };
        Entry {
            creds,
            advisory_at,
            mandatory_at,
        }
    }

    fn freshness(&self, now: SystemTime) -> Freshness {
        if self.creds.is_expired(now) || self.mandatory_at.is_some_and(|t| now >= t) {
            Freshness::Mandatory
        } else if self.advisory_at.is_some_and(|t| now >= t) {
            Freshness::Advisory
        } else {
            Freshness::Fresh
        }
    }
}

struct InFlight {
    generation: u64,
    rx: watch::Receiver<Option<Outcome>>,
}

#[derive(Default)]
struct State {
    current: Option<Entry>,
    in_flight: Option<InFlight>,
    generation: u64,
    advisory_not_before: Option<SystemTime>,
    /// The last failure and until when it is returned without a new fetch.
    failure: Option<(SystemTime, Arc<CredentialsError>)>,
}

#[derive(Debug, Clone, Copy)]
struct Config {
    advisory_window: Duration,
    mandatory_window: Duration,
    load_timeout: Duration,
    advisory_retry_interval: Duration,
    failure_backoff: Duration,
}

struct Shared {
    inner: Arc<dyn ProvideCredentials>,
    time: Arc<dyn TimeSource>,
    config: Config,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state inconsistent
        // (every update is a single assignment), so poisoning is ignored.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Caches another provider's credentials and refreshes them before they
/// expire, with exactly one fetch in flight at a time. Cloning is cheap and
/// clones share the cache.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sigv4_credentials::{CachedProvider, ProvideCredentials, StaticProvider};
///
/// let inner = StaticProvider::new(sigv4::Credentials::new(
///     "AKID", "SECRET", Some("TOKEN".into()),
///     Some(SystemTime::now() + Duration::from_secs(3600)),
/// ));
/// let cache = CachedProvider::builder(inner)
///     .advisory_window(Duration::from_secs(5 * 60))
///     .mandatory_window(Duration::from_secs(60))
///     .build();
/// assert!(!cache.is_ready());
///
/// // From a plain thread, no runtime needed:
/// let creds = cache.provide_credentials_blocking().unwrap();
/// assert_eq!(creds.access_key_id(), "AKID");
/// assert!(cache.is_ready() && !cache.needs_refresh());
///
/// // From async code:
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let creds = cache.provide_credentials().await.unwrap();
/// assert_eq!(creds.access_key_id(), "AKID");
/// # });
/// ```
#[derive(Clone)]
pub struct CachedProvider {
    shared: Arc<Shared>,
}

impl fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedProvider")
            .field("inner", &self.shared.inner.name())
            .field("config", &self.shared.config)
            .field("expires_at", &self.expires_at())
            .finish()
    }
}

/// Builds a [`CachedProvider`].
#[derive(Debug)]
pub struct CachedProviderBuilder {
    inner: Arc<dyn ProvideCredentials>,
    time: Arc<dyn TimeSource>,
    config: Config,
}

impl CachedProviderBuilder {
    /// How long before expiry a background refresh starts (default 15 min).
    /// Never less than the mandatory window.
    pub fn advisory_window(mut self, window: Duration) -> Self {
        self.config.advisory_window = window;
        self
    }

    /// How long before expiry callers wait for a refresh (default 10 min).
    pub fn mandatory_window(mut self, window: Duration) -> Self {
        self.config.mandatory_window = window;
        self
    }

    /// Bound on one fetch (default 60 s); the providers' own timeouts are
    /// normally shorter.
    pub fn load_timeout(mut self, timeout: Duration) -> Self {
        self.config.load_timeout = timeout;
        self
    }

    /// Pause after a failed advisory refresh before the next one (default 30 s).
    pub fn advisory_retry_interval(mut self, interval: Duration) -> Self {
        self.config.advisory_retry_interval = interval;
        self
    }

    /// After a failed fetch, how long (at most) callers get that error back
    /// without a new attempt (default 5 s). Each pause is jittered between
    /// half of this and all of it, so many processes sharing a broken source
    /// do not retry in step. `Duration::ZERO` retries on every call.
    pub fn failure_backoff(mut self, backoff: Duration) -> Self {
        self.config.failure_backoff = backoff;
        self
    }

    /// The clock used to decide freshness (default: the system clock). Pass
    /// the provider context's clock with
    /// `.time_source(ctx.time_source().clone())`.
    pub fn time_source(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.time = time;
        self
    }

    /// The cache.
    pub fn build(self) -> CachedProvider {
        let mut config = self.config;
        config.advisory_window = config.advisory_window.max(config.mandatory_window);
        CachedProvider {
            shared: Arc::new(Shared {
                inner: self.inner,
                time: self.time,
                config,
                state: Mutex::new(State::default()),
            }),
        }
    }
}

impl CachedProvider {
    /// Caches `provider` with the default windows.
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self::builder(provider).build()
    }

    /// A builder for a cache around `provider`.
    pub fn builder(provider: impl ProvideCredentials + 'static) -> CachedProviderBuilder {
        Self::builder_shared(Arc::new(provider))
    }

    /// A builder for a cache around a shared provider.
    pub fn builder_shared(provider: Arc<dyn ProvideCredentials>) -> CachedProviderBuilder {
        CachedProviderBuilder {
            inner: provider,
            time: Arc::new(SystemClock),
            config: Config {
                advisory_window: DEFAULT_ADVISORY_WINDOW,
                mandatory_window: DEFAULT_MANDATORY_WINDOW,
                load_timeout: DEFAULT_LOAD_TIMEOUT,
                advisory_retry_interval: DEFAULT_ADVISORY_RETRY_INTERVAL,
                failure_backoff: DEFAULT_FAILURE_BACKOFF,
            },
        }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &Arc<dyn ProvideCredentials> {
        &self.shared.inner
    }

    /// When the cached credentials expire (`None` if nothing is cached or
    /// they do not expire).
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.shared
            .lock()
            .current
            .as_ref()
            .and_then(|e| e.creds.expiry())
    }

    /// The cached credentials, if any (even stale ones), without fetching.
    pub fn cached(&self) -> Option<ProvidedCredentials> {
        self.shared.lock().current.as_ref().map(|e| e.creds.clone())
    }

    /// Whether a call would return at once: credentials are cached and not
    /// inside the mandatory window.
    pub fn is_ready(&self) -> bool {
        let now = self.shared.time.now();
        self.shared
            .lock()
            .current
            .as_ref()
            .is_some_and(|e| e.freshness(now) != Freshness::Mandatory)
    }

    /// Whether a refresh is due: nothing cached, or inside the advisory window.
    pub fn needs_refresh(&self) -> bool {
        let now = self.shared.time.now();
        self.shared
            .lock()
            .current
            .as_ref()
            .is_none_or(|e| e.freshness(now) != Freshness::Fresh)
    }

    /// Whether a fetch is running now.
    pub fn is_refreshing(&self) -> bool {
        live_flight(&self.shared.lock()).is_some()
    }

    /// Fetches new credentials now (joining a fetch already in flight) and
    /// waits for them: use it to pre-warm the cache at start-up.
    pub async fn refresh(&self) -> CredentialsResult {
        let rx = {
            let mut st = self.shared.lock();
            self.join_or_start(&mut st, Reason::Forced, Spawn::CallerRuntime)?
        };
        wait(rx).await
    }

    /// [`refresh`](Self::refresh) for plain threads (no runtime needed).
    pub fn refresh_blocking(&self) -> CredentialsResult {
        let rx = {
            let mut st = self.shared.lock();
            self.join_or_start(&mut st, Reason::Forced, Spawn::Internal)?
        };
        block_on(wait(rx))
    }

    /// Cached credentials, refreshing as the windows say, for plain threads:
    /// needs no runtime from the caller (fetches run on an internal runtime
    /// thread). Do not call it from inside an async task: it blocks the thread.
    pub fn provide_credentials_blocking(&self) -> CredentialsResult {
        match self.check(Spawn::Internal)? {
            Ok(creds) => Ok(creds),
            Err(rx) => block_on(wait(rx)),
        }
    }

    async fn get(&self) -> CredentialsResult {
        match self.check(Spawn::CallerRuntime)? {
            Ok(creds) => Ok(creds),
            Err(rx) => wait(rx).await,
        }
    }

    /// Either the credentials to return now, or a refresh to wait for.
    #[allow(clippy::type_complexity)]
    fn check(
        &self,
        spawn: Spawn,
    ) -> Result<Result<ProvidedCredentials, watch::Receiver<Option<Outcome>>>, CredentialsError>
    {
        let now = self.shared.time.now();
        let mut st = self.shared.lock();
        let freshness = st.current.as_ref().map(|e| e.freshness(now));
        match freshness {
            Some(Freshness::Fresh) => {
                if let Some(e) = &st.current {
                    return Ok(Ok(e.creds.clone()));
                }
            }
            Some(Freshness::Advisory) => {
                if let Some(e) = &st.current {
                    let creds = e.creds.clone();
                    let allowed = st.advisory_not_before.is_none_or(|t| now >= t);
                    if live_flight(&st).is_none() && allowed {
                        if let Err(err) = self.start(&mut st, Reason::Advisory, spawn) {
                            tracing::warn!(
                                provider = self.shared.inner.name(),
                                error = %err,
                                "could not start a background credentials refresh"
                            );
                        }
                    }
                    return Ok(Ok(creds));
                }
            }
            _ => {}
        }
        if live_flight(&st).is_none() {
            if let Some((until, e)) = &st.failure {
                if now < *until {
                    // Static stability: credentials inside the mandatory
                    // window still work, so they beat the error.
                    return match &st.current {
                        Some(entry) if !entry.creds.is_expired(now) => Ok(Ok(entry.creds.clone())),
                        _ => Err(clone_error(e)),
                    };
                }
            }
        }
        self.join_or_start(&mut st, Reason::Mandatory, spawn)
            .map(Err)
    }

    fn join_or_start(
        &self,
        st: &mut State,
        reason: Reason,
        spawn: Spawn,
    ) -> Result<watch::Receiver<Option<Outcome>>, CredentialsError> {
        if let Some(f) = live_flight(st) {
            return Ok(f.rx.clone());
        }
        self.start(st, reason, spawn)
    }

    /// Starts the one refresh task. The caller holds the state lock.
    fn start(
        &self,
        st: &mut State,
        reason: Reason,
        spawn: Spawn,
    ) -> Result<watch::Receiver<Option<Outcome>>, CredentialsError> {
        let (tx, rx) = watch::channel(None);
        st.generation += 1;
        let generation = st.generation;
        let guard = FlightGuard {
            shared: self.shared.clone(),
            generation,
            tx: Some(tx),
            reason,
        };
        let shared = self.shared.clone();
        let task = async move {
            let name = shared.inner.name();
            tracing::debug!(
                provider = name,
                reason = reason.as_str(),
                "refreshing credentials"
            );
            let timeout = shared.config.load_timeout;
            let result =
                match tokio::time::timeout(timeout, shared.inner.provide_credentials()).await {
                    Ok(r) => r,
                    Err(_) => Err(CredentialsError::timeout(
                        name,
                        timeout,
                        "the credentials provider did not answer within the cache's load timeout",
                    )),
                };
            guard.complete(result);
        };
        let spawned = match spawn {
            Spawn::CallerRuntime => match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    handle.spawn(task);
                    Ok(())
                }
                Err(_) => internal_runtime().map(|h| {
                    h.spawn(task);
                }),
            },
            Spawn::Internal => internal_runtime().map(|h| {
                h.spawn(task);
            }),
        };
        // If spawning failed, the task and its guard were dropped: return the
        // error without recording a flight.
        spawned?;
        st.in_flight = Some(InFlight {
            generation,
            rx: rx.clone(),
        });
        Ok(rx)
    }
}

/// The refresh in flight, unless its task was dropped without finishing.
fn live_flight(st: &State) -> Option<&InFlight> {
    st.in_flight.as_ref().filter(|f| f.rx.has_changed().is_ok())
}

/// Finishes a refresh: stores the result, clears `in_flight`, wakes the
/// waiters. If the task is dropped (runtime shut down, panic) before it
/// completes, `Drop` clears `in_flight` and the waiters see the channel close.
struct FlightGuard {
    shared: Arc<Shared>,
    generation: u64,
    tx: Option<watch::Sender<Option<Outcome>>>,
    reason: Reason,
}

impl FlightGuard {
    fn complete(mut self, result: CredentialsResult) {
        let shared = self.shared.clone();
        let name = shared.inner.name();
        let now = shared.time.now();
        let outcome: Outcome = {
            let mut st = shared.lock();
            if st.in_flight.as_ref().map(|f| f.generation) == Some(self.generation) {
                st.in_flight = None;
            }
            match result {
                Ok(creds) => {
                    tracing::info!(
                        provider = creds.provider_name(),
                        reason = self.reason.as_str(),
                        expires_at = ?creds.expiry(),
                        "credentials refreshed"
                    );
                    st.current = Some(Entry::new(creds.clone(), now, &shared.config));
                    st.advisory_not_before = None;
                    st.failure = None;
                    Ok(creds)
                }
                Err(e) => {
                    if self.reason == Reason::Advisory {
                        st.advisory_not_before = Some(now + shared.config.advisory_retry_interval);
                        tracing::warn!(
                            provider = name,
                            error = %e,
                            retry_in = ?shared.config.advisory_retry_interval,
                            "background credentials refresh failed; still serving the cached credentials"
                        );
                    } else {
                        tracing::warn!(
                            provider = name,
                            reason = self.reason.as_str(),
                            error = %e,
                            "credentials refresh failed"
                        );
                    }
                    let e = Arc::new(e);
                    if self.reason != Reason::Advisory {
                        let pause = jittered(shared.config.failure_backoff);
                        st.failure = Some((now + pause, e.clone()));
                    }
                    Err(e)
                }
            }
        };
        if let Some(tx) = self.tx.take() {
            // Nobody may be waiting (advisory refresh): that is fine.
            let _ = tx.send(Some(outcome));
        }
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        // Dropping the sender (without taking the lock: the task may be
        // dropped while `start` holds it) closes the channel; waiters then get
        // an error and the next caller sees the abandoned flight as gone.
        if self.tx.is_some() {
            tracing::warn!(
                provider = self.shared.inner.name(),
                "credentials refresh task ended without a result (runtime shut down or panic)"
            );
        }
    }
}

async fn wait(mut rx: watch::Receiver<Option<Outcome>>) -> CredentialsResult {
    let result = match rx.wait_for(Option::is_some).await {
        Ok(value) => match &*value {
            Some(Ok(creds)) => Ok(creds.clone()),
            Some(Err(e)) => Err(clone_error(e)),
            None => Err(ended_without_result()),
        },
        Err(_) => Err(ended_without_result()),
    };
    result
}

/// A pause between half of `max` and `max`, from the standard library's
/// per-process random hash keys (no extra dependency; this needs spread, not
/// unpredictability).
fn jittered(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let fraction = (h.finish() >> 11) as f64 / (1u64 << 53) as f64;
    max.mul_f64(0.5 + fraction / 2.0)
}

fn ended_without_result() -> CredentialsError {
    CredentialsError::provider_error(
        "Cache",
        "the credentials refresh ended without a result (its runtime shut down or the provider panicked); try again",
    )
}

impl ProvideCredentials for CachedProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.get())
    }

    fn name(&self) -> &'static str {
        self.shared.inner.name()
    }
}

/// The internal runtime: one current-thread tokio runtime on a dedicated
/// thread, started on first use and kept for the life of the process.
fn internal_runtime() -> Result<&'static tokio::runtime::Handle, CredentialsError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Handle, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_name("sigv4-credentials-refresh")
                .build()
                .map_err(|e| e.to_string())?;
            let handle = rt.handle().clone();
            std::thread::Builder::new()
                .name("sigv4-credentials-refresh".into())
                .spawn(move || rt.block_on(std::future::pending::<()>()))
                .map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .as_ref()
        .map_err(|e| {
            CredentialsError::provider_error(
                "Cache",
                format!("could not start the credentials refresh thread: {e}"),
            )
        })
}

/// Runs a future to completion on this thread, parking between polls. Used
/// only for waiting on a refresh that runs elsewhere.
fn block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(exp: Option<SystemTime>) -> ProvidedCredentials {
        ProvidedCredentials::new(sigv4::Credentials::new("A", "S", None, exp), "T")
    }

    fn config() -> Config {
        Config {
            advisory_window: DEFAULT_ADVISORY_WINDOW,
            mandatory_window: DEFAULT_MANDATORY_WINDOW,
            load_timeout: DEFAULT_LOAD_TIMEOUT,
            advisory_retry_interval: DEFAULT_ADVISORY_RETRY_INTERVAL,
            failure_backoff: DEFAULT_FAILURE_BACKOFF,
        }
    }

    #[test]
    fn jitter_stays_within_half_and_full() {
        let max = Duration::from_secs(4);
        for _ in 0..200 {
            let d = jittered(max);
            assert!(d >= max / 2 && d <= max, "{d:?}");
        }
        assert_eq!(jittered(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn windows() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let min = |m: u64| Duration::from_secs(m * 60);
        let e = Entry::new(creds(Some(t0 + min(60))), t0, &config());
        assert_eq!(e.freshness(t0), Freshness::Fresh);
        assert_eq!(e.freshness(t0 + min(44)), Freshness::Fresh);
        assert_eq!(e.freshness(t0 + min(45)), Freshness::Advisory);
        assert_eq!(e.freshness(t0 + min(50)), Freshness::Mandatory);
        assert_eq!(e.freshness(t0 + min(61)), Freshness::Mandatory);
        // Short-lived: 8 minutes -> advisory at 4, mandatory at 6.
        let e = Entry::new(creds(Some(t0 + min(8))), t0, &config());
        assert_eq!(e.freshness(t0 + min(3)), Freshness::Fresh);
        assert_eq!(e.freshness(t0 + min(4)), Freshness::Advisory);
        assert_eq!(e.freshness(t0 + min(6)), Freshness::Mandatory);
        // No expiry: fresh forever.
        let e = Entry::new(creds(None), t0, &config());
        assert_eq!(e.freshness(t0 + min(100_000)), Freshness::Fresh);
    }

    #[test]
    fn errors_clone_keep_kind_and_message() {
        let e = CredentialsError::timeout("X", Duration::from_secs(1), "slow");
        let c = clone_error(&e);
        assert_eq!(e.to_string(), c.to_string());
        assert!(matches!(c, CredentialsError::Timeout { .. }));
    }

    #[test]
    fn block_on_works_without_runtime() {
        let (tx, mut rx) = watch::channel(0);
        let t = std::thread::spawn(move || {
            let _ = tx.send(7);
            tx
        });
        let v = block_on(async move { *rx.wait_for(|v| *v == 7).await.unwrap() });
        assert_eq!(v, 7);
        drop(t.join());
    }
}
