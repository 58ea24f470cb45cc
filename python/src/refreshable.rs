//! `RefreshableCredentials`: lazily fetched, refreshed before expiry, single-flight.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

use pyo3::exceptions::{PyTypeError, PyValueError};
use sigv4::Credentials;

use crate::chain;
use crate::credentials::{credentials_from_py, PyCredentials};

use crate::time::{system_time_to_py, to_system_time, unix_secs};
use crate::{log_warning, type_name};

pub(crate) enum Fetcher {
    Python(Py<PyAny>),
    Chain(Option<String>),
}

/// Credentials that are fetched on first use and fetched again before they expire.
///
/// ``fetcher`` is any callable returning ``Credentials`` (or an object with ``access_key``/
/// ``secret_key``/``token``/``expiration``, or such a dict). Within ``advisory_timeout``
/// seconds of expiry one caller tries a refresh while the others keep using the current
/// credentials; within ``mandatory_timeout`` every caller waits for the one refresh.
/// Exactly one fetch happens per expiry, however many threads ask.
#[pyclass(name = "RefreshableCredentials", module = "sigv4", frozen)]
pub struct PyRefreshable {
    fetcher: Fetcher,
    clock: Option<Py<PyAny>>,
    advisory: Duration,
    mandatory: Duration,
    state: Mutex<Option<Arc<Credentials>>>,
    /// The thread running the one refresh in flight, if any.
    refreshing: Mutex<Option<std::thread::ThreadId>>,
    refreshed: Condvar,
    generation: AtomicU64,
}

/// Releases the single-flight flag on drop, so errors and panics cannot leave it held.
pub(crate) struct FlightGuard<'a>(&'a PyRefreshable);

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        let mut g = self.0.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        *g = None;
        self.0.refreshed.notify_all();
    }
}

impl PyRefreshable {
    fn with_fetcher(
        fetcher: Fetcher,
        advisory: f64,
        mandatory: f64,
        clock: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let ok = |v: f64| v.is_finite() && (0.0..=1e9).contains(&v);
        if !(ok(advisory) && ok(mandatory)) {
            return Err(PyValueError::new_err(
                "advisory_timeout and mandatory_timeout must be between 0 and 1e9 seconds",
            ));
        }
        if mandatory > advisory {
            return Err(PyValueError::new_err(
                "mandatory_timeout must not be larger than advisory_timeout",
            ));
        }
        Ok(PyRefreshable {
            fetcher,
            clock,
            advisory: Duration::from_secs_f64(advisory),
            mandatory: Duration::from_secs_f64(mandatory),
            state: Mutex::new(None),
            refreshing: Mutex::new(None),
            refreshed: Condvar::new(),
            generation: AtomicU64::new(0),
        })
    }

    pub(crate) fn chain(profile: Option<String>) -> Self {
        PyRefreshable {
            fetcher: Fetcher::Chain(profile),
            clock: None,
            advisory: Duration::from_secs(15 * 60),
            mandatory: Duration::from_secs(10 * 60),
            state: Mutex::new(None),
            refreshing: Mutex::new(None),
            refreshed: Condvar::new(),
            generation: AtomicU64::new(0),
        }
    }

    fn now(&self, py: Python<'_>) -> PyResult<SystemTime> {
        match &self.clock {
            None => Ok(SystemTime::now()),
            Some(c) => {
                let v = c.bind(py).call0()?;
                to_system_time(&v, "clock()")
            }
        }
    }

    fn current(&self) -> Option<Arc<Credentials>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn within(c: &Credentials, now: SystemTime, window: Duration) -> bool {
        match c.expiry() {
            None => false,
            Some(e) => e <= now + window,
        }
    }

    /// Fetches and stores new credentials. The caller holds the single-flight flag.
    fn fetch(&self, py: Python<'_>) -> PyResult<Arc<Credentials>> {
        let creds = match &self.fetcher {
            Fetcher::Python(f) => {
                let v = f.bind(py).call0()?;
                if v.is_none() {
                    return Err(crate::errors::credentials_expired_error(
                        "the credentials fetcher returned None: no credentials are available. \
                         Check your AWS credentials configuration",
                    ));
                }
                credentials_from_py(&v).map_err(|e| {
                    let msg = format!("the credentials fetcher returned unusable credentials: {e}");
                    crate::errors::credentials_error(msg)
                })?
            }
            Fetcher::Chain(profile) => {
                let profile = profile.clone();
                let c = py
                    .detach(move || chain::resolve(profile.as_deref()))
                    .map_err(crate::errors::credentials_error)?;
                Arc::new(c)
            }
        };
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&creds));
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(creds)
    }

    fn reentered() -> PyErr {
        crate::errors::credentials_error(
            "the credentials fetcher needed the credentials it is fetching (it signs with the \
             same RefreshableCredentials); give the fetcher its own credentials",
        )
    }

    fn try_begin(&self) -> PyResult<Option<FlightGuard<'_>>> {
        let me = std::thread::current().id();
        let mut g = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        match *g {
            // Re-entered from the fetcher: the current credentials are still valid here.
            Some(t) if t == me => Ok(None),
            Some(_) => Ok(None),
            None => {
                *g = Some(me);
                Ok(Some(FlightGuard(self)))
            }
        }
    }

    /// Waits (GIL released) until no refresh is running, then takes the flag. Fails instead
    /// of deadlocking when the fetcher itself asks for the credentials.
    fn begin(&self, py: Python<'_>) -> PyResult<FlightGuard<'_>> {
        let me = std::thread::current().id();
        let reentered = py.detach(|| {
            let mut g = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                match *g {
                    Some(t) if t == me => return true,
                    Some(_) => g = self.refreshed.wait(g).unwrap_or_else(|p| p.into_inner()),
                    None => {
                        *g = Some(me);
                        return false;
                    }
                }
            }
        });
        if reentered {
            Err(Self::reentered())
        } else {
            Ok(FlightGuard(self))
        }
    }

    /// The credentials to sign with now, refreshing them when needed.
    pub(crate) fn creds(&self, py: Python<'_>) -> PyResult<Arc<Credentials>> {
        self.creds_at(py, None)
    }

    /// `creds` for a caller that has just read the system clock (a signature made now):
    /// `wall` is that reading, used instead of reading the clock again unless a `clock` was
    /// given. Never pass a caller-chosen timestamp: the refresh windows need the real time.
    pub(crate) fn creds_at(
        &self,
        py: Python<'_>,
        wall: Option<SystemTime>,
    ) -> PyResult<Arc<Credentials>> {
        let now = match (&self.clock, wall) {
            (None, Some(t)) => t,
            _ => self.now(py)?,
        };
        if let Some(c) = self.current() {
            if !Self::within(&c, now, self.advisory) {
                return Ok(c);
            }
            if !Self::within(&c, now, self.mandatory) {
                // Advisory window: one caller tries to refresh; nobody waits, and a failed
                // refresh keeps the current (still valid) credentials.
                if let Some(_guard) = self.try_begin()? {
                    if let Some(c2) = self.current() {
                        if !Self::within(&c2, now, self.advisory) {
                            return Ok(c2);
                        }
                    }
                    return Ok(match self.fetch(py) {
                        Ok(new) => new,
                        Err(e) => {
                            log_warning(
                                py,
                                &format!(
                                    "refreshing credentials failed, still using the current ones \
                                     until the mandatory refresh window: {e}"
                                ),
                            );
                            c
                        }
                    });
                }
                return Ok(self.current().unwrap_or(c));
            }
        }
        // Nothing loaded, or within the mandatory window: everyone waits for one refresh.
        let _guard = self.begin(py)?;
        if let Some(c) = self.current() {
            if !Self::within(&c, now, self.mandatory) {
                return Ok(c);
            }
        }
        self.fetch(py)
    }
}

#[pymethods]
impl PyRefreshable {
    #[new]
    #[pyo3(signature = (fetcher, *, advisory_timeout=900.0, mandatory_timeout=600.0, clock=None))]
    fn new(
        fetcher: &Bound<'_, PyAny>,
        advisory_timeout: f64,
        mandatory_timeout: f64,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        if !fetcher.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "fetcher must be callable, not {}",
                type_name(fetcher)
            )));
        }
        let clock = match clock {
            Some(c) if !c.is_none() => {
                if !c.is_callable() {
                    return Err(PyTypeError::new_err("clock must be a callable or None"));
                }
                Some(c.clone().unbind())
            }
            _ => None,
        };
        Self::with_fetcher(
            Fetcher::Python(fetcher.clone().unbind()),
            advisory_timeout,
            mandatory_timeout,
            clock,
        )
    }

    /// When the current credentials expire (aware UTC datetime), or None when they do not
    /// expire or none are loaded yet.
    #[getter]
    fn expires_at(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.current()
            .and_then(|c| c.expiry())
            .map(|t| system_time_to_py(py, t))
            .transpose()
    }

    /// True when credentials are loaded and usable without waiting for a refresh.
    #[getter]
    fn is_ready(&self, py: Python<'_>) -> PyResult<bool> {
        let now = self.now(py)?;
        Ok(self
            .current()
            .is_some_and(|c| !Self::within(&c, now, self.mandatory)))
    }

    /// True when nothing is loaded or the credentials are within the advisory window.
    #[getter]
    fn needs_refresh(&self, py: Python<'_>) -> PyResult<bool> {
        let now = self.now(py)?;
        Ok(self
            .current()
            .is_none_or(|c| Self::within(&c, now, self.advisory)))
    }

    /// How many times the fetcher has returned credentials.
    #[getter]
    fn refresh_count(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Fetches credentials when none are loaded or the current ones are within the refresh
    /// (advisory) window, as PyPI ``sigv4``'s ``refresh()``; otherwise returns the current
    /// ones without calling the fetcher. Concurrent calls share one fetch.
    fn refresh(&self, py: Python<'_>) -> PyResult<PyCredentials> {
        let now = self.now(py)?;
        let fresh = |c: &Option<Arc<Credentials>>| {
            c.as_ref()
                .filter(|c| !Self::within(c, now, self.advisory))
                .cloned()
        };
        if let Some(c) = fresh(&self.current()) {
            return Ok(PyCredentials::from_arc(c));
        }
        let before = self.generation.load(Ordering::SeqCst);
        let _guard = self.begin(py)?;
        // Double-checked: a concurrent refresh may have just fetched.
        if self.generation.load(Ordering::SeqCst) != before {
            if let Some(c) = self.current() {
                return Ok(PyCredentials::from_arc(c));
            }
        }
        if let Some(c) = fresh(&self.current()) {
            return Ok(PyCredentials::from_arc(c));
        }
        Ok(PyCredentials::from_arc(self.fetch(py)?))
    }

    /// The current credentials, fetched or refreshed first when needed (the name PyPI
    /// ``sigv4`` used; the same as ``get_frozen_credentials()``).
    #[pyo3(name = "get")]
    fn py_get(&self, py: Python<'_>) -> PyResult<PyCredentials> {
        Ok(PyCredentials::from_arc(self.creds(py)?))
    }

    /// The access key id of the current credentials (fetched or refreshed first when needed,
    /// as botocore's refreshable credentials do).
    #[getter]
    fn access_key(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.creds(py)?.access_key_id().to_owned())
    }

    /// The secret access key of the current credentials (fetched or refreshed first when
    /// needed). Never log it.
    #[getter]
    fn secret_key(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.creds(py)?.secret_access_key().to_owned())
    }

    /// The session token of the current credentials, or None (fetched or refreshed first
    /// when needed).
    #[getter]
    fn token(&self, py: Python<'_>) -> PyResult<Option<String>> {
        Ok(self.creds(py)?.session_token().map(str::to_owned))
    }

    /// The current credentials, refreshed first when needed.
    fn get_frozen_credentials(&self, py: Python<'_>) -> PyResult<PyCredentials> {
        Ok(PyCredentials::from_arc(self.creds(py)?))
    }

    fn __repr__(&self) -> String {
        let exp = self
            .current()
            .and_then(|c| c.expiry())
            .map_or_else(|| "None".to_owned(), |t| format!("{}", unix_secs(t)));
        let src = match &self.fetcher {
            Fetcher::Python(_) => "callable".to_owned(),
            Fetcher::Chain(p) => format!("default chain, profile={p:?}"),
        };
        format!(
            "RefreshableCredentials({src}, loaded={}, expires_at={exp})",
            self.current().is_some()
        )
    }
}

/// Credentials from the default chain (see ``CREDENTIAL_CHAIN`` for the order), fetched on
/// first use and refreshed before they expire. Nothing is fetched by this call: ``is_ready``
/// is False until the first ``refresh()`` or signature.
#[pyfunction]
#[pyo3(signature = (profile=None))]
pub(crate) fn resolve_credentials(profile: Option<String>) -> PyRefreshable {
    PyRefreshable::chain(profile)
}

/// Credentials from the default chain, refreshed automatically before they expire.
#[pyfunction]
#[pyo3(signature = (profile=None))]
pub(crate) fn default_credentials(profile: Option<String>) -> PyRefreshable {
    PyRefreshable::chain(profile)
}
