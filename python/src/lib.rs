//! Python bindings for the `sigv4` signer (module `sigv4._sigv4`, re-exported by `sigv4`).
//!
//! Everything here converts Python values into the core crate's types, calls the core, and
//! converts the result back. Bad input raises `TypeError`/`ValueError` (never panics), and
//! no message contains a secret.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString, PyTuple, PyType};
use pyo3::{create_exception, intern};
use sha2::{Digest, Sha256};

use sigv4::{
    Credentials, HeaderSelection, Payload, SessionTokenMode, SignableRequest, SigningOutput,
    SigningSettings, DEFAULT_EXCLUDED_HEADERS, MAX_PRESIGN_EXPIRES_SECS, UNSIGNED_PAYLOAD,
};

mod chain;

create_exception!(
    _sigv4,
    SigningError,
    PyValueError,
    "A request could not be signed (bad region, header, URL, expiry, ...). Subclass of ValueError."
);
create_exception!(
    _sigv4,
    CredentialsError,
    PyException,
    "Credentials could not be obtained or are invalid."
);

/// SHA-256 of the empty string.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Bodies at least this large are hashed with the GIL released.
const GIL_RELEASE_THRESHOLD: usize = 64 * 1024;

fn signing_err(e: sigv4::SigningError) -> PyErr {
    SigningError::new_err(e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Time conversions
// ---------------------------------------------------------------------------------------------

static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    UTC.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("datetime")?
                .getattr("timezone")?
                .getattr("utc")?
                .unbind(),
        )
    })
    .map(|o| o.bind(py))
}

fn datetime_type(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    DATETIME
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("datetime")?.getattr("datetime")?.unbind())
        })
        .map(|o| o.bind(py))
}

fn secs_to_system_time(secs: f64, what: &str) -> PyResult<SystemTime> {
    if !secs.is_finite() || !(0.0..=253_402_300_799.0).contains(&secs) {
        return Err(PyValueError::new_err(format!(
            "{what} is out of range: give a time between 1970 and 9999"
        )));
    }
    Ok(UNIX_EPOCH + Duration::from_secs_f64(secs))
}

/// A `datetime` (naive means UTC) or Unix seconds (`int`/`float`) as a `SystemTime`.
fn to_system_time(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<SystemTime> {
    let py = obj.py();
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a datetime or Unix seconds, not bool"
        )));
    }
    if let Ok(secs) = obj.extract::<f64>() {
        return secs_to_system_time(secs, what);
    }
    if obj.is_instance(datetime_type(py)?)? {
        let dt = if obj.getattr(intern!(py, "tzinfo"))?.is_none() {
            let kwargs = PyDict::new(py);
            kwargs.set_item("tzinfo", utc(py)?)?;
            obj.call_method("replace", (), Some(&kwargs))?
        } else {
            obj.clone()
        };
        let secs: f64 = dt.call_method0(intern!(py, "timestamp"))?.extract()?;
        return secs_to_system_time(secs, what);
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be a datetime.datetime (naive means UTC) or Unix seconds, not {}",
        type_name(obj)
    )))
}

fn system_time_to_py(py: Python<'_>, t: SystemTime) -> PyResult<Py<PyAny>> {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    Ok(datetime_type(py)?
        .call_method1("fromtimestamp", (secs, utc(py)?))?
        .unbind())
}

fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Logs through Python's `logging` (logger `sigv4`); a failure to log is ignored.
fn log_warning(py: Python<'_>, msg: &str) {
    let _ = py
        .import("logging")
        .and_then(|m| m.call_method1("getLogger", ("sigv4",)))
        .and_then(|l| l.call_method1("warning", (msg,)));
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

fn validate_access_key(s: &str) -> PyResult<()> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',')
    {
        return Err(PyValueError::new_err(
            "invalid access key id: it must be non-empty printable ASCII without spaces, '/' or ','",
        ));
    }
    Ok(())
}

fn validate_secret(s: &str) -> PyResult<()> {
    if s.is_empty() {
        return Err(PyValueError::new_err("the secret access key is empty"));
    }
    Ok(())
}

fn validate_token(s: &str) -> PyResult<()> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(PyValueError::new_err(
            "invalid session token: it must be non-empty printable ASCII without spaces (value not shown)",
        ));
    }
    Ok(())
}

fn build_credentials(
    access_key: String,
    secret_key: String,
    token: Option<String>,
    expiration: Option<SystemTime>,
) -> PyResult<Credentials> {
    let secret_key = zeroize::Zeroizing::new(secret_key);
    let token = token.map(zeroize::Zeroizing::new);
    validate_access_key(&access_key)?;
    validate_secret(&secret_key)?;
    if let Some(t) = &token {
        validate_token(t)?;
    }
    Ok(Credentials::new(
        access_key,
        secret_key.as_str(),
        token.as_ref().map(|t| t.as_str().to_owned()),
        expiration,
    ))
}

/// AWS credentials: access key id, secret access key, optional session token and expiry.
///
/// Immutable; ``repr()`` never shows the secret or the token.
#[pyclass(name = "Credentials", module = "sigv4", frozen)]
pub struct PyCredentials {
    inner: Arc<Credentials>,
}

#[pymethods]
impl PyCredentials {
    #[new]
    #[pyo3(signature = (access_key, secret_key, token=None, expiration=None))]
    fn new(
        access_key: String,
        secret_key: String,
        token: Option<String>,
        expiration: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let expiration = match expiration {
            Some(e) if !e.is_none() => Some(to_system_time(e, "expiration")?),
            _ => None,
        };
        Ok(PyCredentials {
            inner: Arc::new(build_credentials(
                access_key, secret_key, token, expiration,
            )?),
        })
    }

    /// The access key id.
    #[getter]
    fn access_key(&self) -> &str {
        self.inner.access_key_id()
    }

    /// The secret access key. Never log it.
    #[getter]
    fn secret_key(&self) -> &str {
        self.inner.secret_access_key()
    }

    /// The session token of temporary credentials, or None.
    #[getter]
    fn token(&self) -> Option<&str> {
        self.inner.session_token()
    }

    /// When the credentials expire (an aware UTC datetime), or None.
    #[getter]
    fn expiration(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner
            .expiry()
            .map(|t| system_time_to_py(py, t))
            .transpose()
    }

    /// Returns self (for code written against botocore's credentials objects).
    fn get_frozen_credentials(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __repr__(&self) -> String {
        let exp = self
            .inner
            .expiry()
            .map_or_else(|| "None".to_owned(), |t| format!("{}", unix_secs(t)));
        format!(
            "Credentials(access_key={:?}, secret_key='****', token={}, expiration={})",
            self.inner.access_key_id(),
            if self.inner.session_token().is_some() {
                "'****'"
            } else {
                "None"
            },
            exp
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyCredentials>()
            .map(|o| *o.get().inner == *self.inner)
            .unwrap_or(false)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.access_key_id().hash(&mut h);
        h.finish()
    }
}

/// Reads credentials from a `sigv4.Credentials`, or any object with `access_key`,
/// `secret_key` and `token` attributes (botocore credentials included; their
/// `get_frozen_credentials()` is used when present), or a dict with those keys.
fn credentials_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Arc<Credentials>> {
    let py = obj.py();
    if let Ok(c) = obj.cast::<PyCredentials>() {
        return Ok(Arc::clone(&c.get().inner));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let get = |k: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            Ok(d.get_item(k)?.filter(|v| !v.is_none()))
        };
        let ak = get("access_key")?
            .or(get("AccessKeyId")?)
            .ok_or_else(|| CredentialsError::new_err("credentials dict has no 'access_key'"))?;
        let sk = get("secret_key")?
            .or(get("SecretAccessKey")?)
            .ok_or_else(|| CredentialsError::new_err("credentials dict has no 'secret_key'"))?;
        let tok = get("token")?.or(get("SessionToken")?);
        let exp = get("expiration")?
            .or(get("expiry_time")?)
            .or(get("Expiration")?);
        return credentials_parts(ak, sk, tok, exp);
    }
    if obj.hasattr(intern!(py, "access_key"))? && obj.hasattr(intern!(py, "secret_key"))? {
        let frozen = if obj.hasattr(intern!(py, "get_frozen_credentials"))? {
            obj.call_method0(intern!(py, "get_frozen_credentials"))?
        } else {
            obj.clone()
        };
        if let Ok(c) = frozen.cast::<PyCredentials>() {
            return Ok(Arc::clone(&c.get().inner));
        }
        let ak = frozen.getattr(intern!(py, "access_key"))?;
        let sk = frozen.getattr(intern!(py, "secret_key"))?;
        let tok = frozen
            .getattr_opt(intern!(py, "token"))?
            .filter(|v| !v.is_none());
        let exp = frozen
            .getattr_opt(intern!(py, "expiration"))?
            .filter(|v| !v.is_none());
        return credentials_parts(ak, sk, tok, exp);
    }
    Err(PyTypeError::new_err(format!(
        "expected sigv4.Credentials, an object with access_key/secret_key/token attributes \
         or a dict, not {}",
        type_name(obj)
    )))
}

fn credentials_parts(
    ak: Bound<'_, PyAny>,
    sk: Bound<'_, PyAny>,
    tok: Option<Bound<'_, PyAny>>,
    exp: Option<Bound<'_, PyAny>>,
) -> PyResult<Arc<Credentials>> {
    let text = |v: &Bound<'_, PyAny>, what: &str| -> PyResult<String> {
        v.extract::<String>()
            .map_err(|_| PyTypeError::new_err(format!("{what} must be a str")))
    };
    let expiration = match exp {
        Some(e) => Some(to_system_time(&e, "expiration")?),
        None => None,
    };
    Ok(Arc::new(build_credentials(
        text(&ak, "access_key")?,
        text(&sk, "secret_key")?,
        tok.map(|t| text(&t, "token")).transpose()?,
        expiration,
    )?))
}

// ---------------------------------------------------------------------------------------------
// Refreshable credentials
// ---------------------------------------------------------------------------------------------

enum Fetcher {
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
struct FlightGuard<'a>(&'a PyRefreshable);

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
                credentials_from_py(&v).map_err(|e| {
                    let msg = format!("the credentials fetcher returned unusable credentials: {e}");
                    CredentialsError::new_err(msg)
                })?
            }
            Fetcher::Chain(profile) => {
                let profile = profile.clone();
                Arc::new(py.detach(move || chain::resolve(profile.as_deref()))?)
            }
        };
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&creds));
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(creds)
    }

    fn reentered() -> PyErr {
        CredentialsError::new_err(
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
    pub(crate) fn get(&self, py: Python<'_>) -> PyResult<Arc<Credentials>> {
        let now = self.now(py)?;
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

    /// Fetches new credentials now. Concurrent calls share one fetch.
    fn refresh(&self, py: Python<'_>) -> PyResult<PyCredentials> {
        let before = self.generation.load(Ordering::SeqCst);
        let _guard = self.begin(py)?;
        if self.generation.load(Ordering::SeqCst) != before {
            if let Some(c) = self.current() {
                return Ok(PyCredentials { inner: c });
            }
        }
        Ok(PyCredentials {
            inner: self.fetch(py)?,
        })
    }

    /// The current credentials, refreshed first when needed.
    fn get_frozen_credentials(&self, py: Python<'_>) -> PyResult<PyCredentials> {
        Ok(PyCredentials {
            inner: self.get(py)?,
        })
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

/// Resolves credentials once from the default chain (see the package docs for the order).
#[pyfunction]
#[pyo3(signature = (profile=None))]
fn resolve_credentials(py: Python<'_>, profile: Option<String>) -> PyResult<PyCredentials> {
    let c = py.detach(move || chain::resolve(profile.as_deref()))?;
    Ok(PyCredentials { inner: Arc::new(c) })
}

/// Credentials from the default chain, refreshed automatically before they expire.
#[pyfunction]
#[pyo3(signature = (profile=None))]
fn default_credentials(profile: Option<String>) -> PyRefreshable {
    PyRefreshable::chain(profile)
}

// ---------------------------------------------------------------------------------------------
// Signing keys
// ---------------------------------------------------------------------------------------------

/// A day-scoped signing key: signs for one date, region and service without the secret.
#[pyclass(name = "SigningKey", module = "sigv4", frozen)]
pub struct PySigningKey {
    inner: Arc<sigv4::SigningKey>,
}

fn date_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    let py = obj.py();
    if obj.is_instance(datetime_type(py)?)? || obj.extract::<f64>().is_ok() {
        let t = to_system_time(obj, "date")?;
        let d = sigv4::AmzDate::from_system_time(t).map_err(signing_err)?;
        return Ok(d.date().to_owned());
    }
    if obj.hasattr(intern!(py, "strftime"))? {
        return obj.call_method1("strftime", ("%Y%m%d",))?.extract();
    }
    Err(PyTypeError::new_err(format!(
        "date must be 'YYYYMMDD', a datetime.date or a datetime, not {}",
        type_name(obj)
    )))
}

#[pymethods]
impl PySigningKey {
    #[new]
    fn new(
        secret_key: String,
        region: String,
        service: String,
        date: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let secret_key = zeroize::Zeroizing::new(secret_key);
        validate_secret(&secret_key)?;
        let date = date_text(date)?;
        let k = sigv4::SigningKey::derive(&secret_key, &date, &region, &service)
            .map_err(signing_err)?;
        Ok(PySigningKey { inner: Arc::new(k) })
    }

    /// Rebuilds a key from its 32 raw bytes (as handed over by another component).
    #[classmethod]
    fn from_bytes(
        _cls: &Bound<'_, PyType>,
        key: &[u8],
        date: &Bound<'_, PyAny>,
        region: String,
        service: String,
    ) -> PyResult<Self> {
        let raw: [u8; 32] = key
            .try_into()
            .map_err(|_| PyValueError::new_err("a signing key is exactly 32 bytes"))?;
        let date = date_text(date)?;
        let k =
            sigv4::SigningKey::from_bytes(raw, &date, &region, &service).map_err(signing_err)?;
        Ok(PySigningKey { inner: Arc::new(k) })
    }

    /// The raw 32-byte key. Treat it as a secret.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_bytes())
    }

    /// ``YYYYMMDD/region/service/aws4_request``.
    #[getter]
    fn scope(&self) -> &str {
        self.inner.scope()
    }

    /// ``YYYYMMDD``.
    #[getter]
    fn date(&self) -> &str {
        self.inner.date()
    }

    #[getter]
    fn region(&self) -> &str {
        self.inner.region()
    }

    #[getter]
    fn service(&self) -> &str {
        self.inner.service()
    }

    /// The hex signature of a string to sign.
    fn sign(&self, string_to_sign: &str) -> String {
        self.inner.sign_hex(string_to_sign)
    }

    fn __repr__(&self) -> String {
        format!("SigningKey(scope={:?}, key='****')", self.inner.scope())
    }
}

// ---------------------------------------------------------------------------------------------
// Request conversion
// ---------------------------------------------------------------------------------------------

fn text_or_bytes(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned().into_bytes());
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be str or bytes, not {}",
        type_name(v)
    )))
}

type Headers = Vec<(String, Vec<u8>)>;

/// Headers from a mapping (anything with `.items()`; `multi_items()` is preferred so repeated
/// headers stay separate) or an iterable of `(name, value)` pairs.
fn extract_headers(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Headers> {
    let mut out = Vec::new();
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(out);
    };
    let py = obj.py();
    if let Ok(d) = obj.cast::<PyDict>() {
        out.reserve(d.len());
        for (n, v) in d.iter() {
            let name = String::from_utf8(text_or_bytes(&n, "a header name")?)
                .map_err(|_| PyValueError::new_err("a header name is not valid UTF-8"))?;
            out.push((name, text_or_bytes(&v, "a header value")?));
        }
        return Ok(out);
    }
    let iter = if obj.hasattr(intern!(py, "multi_items"))? {
        obj.call_method0(intern!(py, "multi_items"))?.try_iter()?
    } else if obj.hasattr(intern!(py, "items"))? {
        obj.call_method0(intern!(py, "items"))?.try_iter()?
    } else if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "headers must be a mapping or an iterable of (name, value) pairs, not a string",
        ));
    } else {
        obj.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "headers must be a mapping or an iterable of (name, value) pairs, not {}",
                type_name(obj)
            ))
        })?
    };
    for item in iter {
        let item = item?;
        let pair = item.cast::<PyTuple>().ok().filter(|t| t.len() == 2);
        let (n, v) = match pair {
            Some(t) => (t.get_item(0)?, t.get_item(1)?),
            None => {
                let seq: Vec<Bound<'_, PyAny>> = item.extract().map_err(|_| {
                    PyTypeError::new_err("each header must be a (name, value) pair")
                })?;
                if seq.len() != 2 {
                    return Err(PyTypeError::new_err(
                        "each header must be a (name, value) pair",
                    ));
                }
                let mut it = seq.into_iter();
                (
                    it.next().unwrap_or_else(|| item.clone()),
                    it.next().unwrap_or_else(|| item.clone()),
                )
            }
        };
        let name = String::from_utf8(text_or_bytes(&n, "a header name")?)
            .map_err(|_| PyValueError::new_err("a header name is not valid UTF-8"))?;
        let value = text_or_bytes(&v, "a header value")?;
        out.push((name, value));
    }
    Ok(out)
}

fn sha256_hex(data: &[u8]) -> String {
    sigv4::hex(&Sha256::digest(data))
}

fn hash_maybe_detached(py: Python<'_>, data: &[u8]) -> String {
    if data.is_empty() {
        EMPTY_SHA256.to_owned()
    } else if data.len() >= GIL_RELEASE_THRESHOLD {
        py.detach(|| sha256_hex(data))
    } else {
        sha256_hex(data)
    }
}

/// The hex SHA-256 of a body: bytes, bytearray, memoryview (any buffer) or str (UTF-8).
fn body_hash(py: Python<'_>, body: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let Some(body) = body.filter(|b| !b.is_none()) else {
        return Ok(EMPTY_SHA256.to_owned());
    };
    if let Ok(b) = body.cast::<PyBytes>() {
        // bytes are immutable and kept alive by `body`, so hashing without the GIL is safe.
        return Ok(hash_maybe_detached(py, b.as_bytes()));
    }
    if let Ok(s) = body.cast::<PyString>() {
        let text = s.to_cow()?;
        return Ok(hash_maybe_detached(py, text.as_bytes()));
    }
    if let Ok(b) = body.cast::<PyByteArray>() {
        // A bytearray may change while the GIL is released: hash a snapshot.
        let snapshot = b.to_vec();
        return Ok(hash_maybe_detached(py, &snapshot));
    }
    if body.is_instance_of::<pyo3::types::PyInt>() || body.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(
            "body must be bytes, bytearray, memoryview or str, not int",
        ));
    }
    // Any other buffer (memoryview, array, mmap): copy it out once.
    if let Ok(view) = py
        .import(intern!(py, "builtins"))?
        .getattr(intern!(py, "memoryview"))?
        .call1((body,))
    {
        let bytes = view.call_method0(intern!(py, "tobytes"))?;
        let b = bytes.cast::<PyBytes>()?;
        return Ok(hash_maybe_detached(py, b.as_bytes()));
    }
    Err(PyTypeError::new_err(format!(
        "cannot hash a body of type {}: give bytes, bytearray, memoryview or str; for a \
         streaming body (file, iterator) pass payload_hash=UNSIGNED_PAYLOAD (S3 and services \
         that accept it) or the SHA-256 hex digest computed elsewhere",
        type_name(body)
    )))
}

/// The payload hash to sign: the one given (a marker such as `UNSIGNED-PAYLOAD` or a hex
/// digest; the body is then not read), or the body's SHA-256.
fn payload_hash_arg(
    py: Python<'_>,
    body: Option<&Bound<'_, PyAny>>,
    payload_hash: Option<String>,
) -> PyResult<String> {
    match payload_hash {
        Some(h) => Ok(h),
        None => body_hash(py, body),
    }
}

/// Options that change how signing is done; `None` keeps the service's default.
#[derive(Clone, Default)]
struct Opts {
    normalize_path: Option<bool>,
    double_encode: Option<bool>,
    content_sha256: Option<bool>,
    sign_session_token: bool,
    signed_headers: Option<Vec<String>>,
    unsigned_headers: Option<Vec<String>>,
}

fn build_settings(service: &str, o: &Opts) -> SigningSettings {
    let mut s = SigningSettings::for_service(service);
    if let Some(v) = o.normalize_path {
        s.normalize_uri_path = v;
    }
    if let Some(v) = o.double_encode {
        s.double_uri_encode = v;
    }
    if let Some(v) = o.content_sha256 {
        s.content_sha256_header = v;
    }
    if !o.sign_session_token {
        s.session_token_mode = SessionTokenMode::AppendAfterSigning;
    }
    if let Some(list) = &o.signed_headers {
        s.headers = HeaderSelection::Only(list.iter().map(|h| h.to_ascii_lowercase()).collect());
    } else if let Some(list) = &o.unsigned_headers {
        let mut all: Vec<String> = DEFAULT_EXCLUDED_HEADERS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        all.extend(list.iter().map(|h| h.to_ascii_lowercase()));
        s.headers = HeaderSelection::Exclude(all);
    }
    s
}

fn is_s3(service: &str) -> bool {
    matches!(
        service,
        "s3" | "s3-outposts" | "s3express" | "s3-object-lambda"
    )
}

fn expires_secs(expires: &Bound<'_, PyAny>) -> PyResult<u64> {
    let secs: f64 = if let Ok(s) = expires.extract::<f64>() {
        if expires.is_instance_of::<pyo3::types::PyBool>() {
            return Err(PyTypeError::new_err(
                "expires must be seconds or a timedelta",
            ));
        }
        s
    } else if expires.hasattr("total_seconds")? {
        expires.call_method0("total_seconds")?.extract()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "expires must be seconds (int) or a datetime.timedelta, not {}",
            type_name(expires)
        )));
    };
    if !secs.is_finite() || secs < 1.0 || secs > MAX_PRESIGN_EXPIRES_SECS as f64 {
        return Err(SigningError::new_err(format!(
            "expires must be between 1 second and 7 days (604800 seconds), got {secs}"
        )));
    }
    Ok(secs as u64)
}

/// What to sign with.
enum KeyOrCreds {
    Creds(Arc<Credentials>),
    Key {
        key: Arc<sigv4::SigningKey>,
        access_key: String,
        token: Option<String>,
    },
}

/// Everything needed to sign one request, already converted from Python.
struct Job {
    method: String,
    url: String,
    headers: Headers,
    payload_hash: String,
    time: SystemTime,
}

impl Job {
    #[allow(clippy::too_many_arguments)]
    fn from_py(
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        payload_hash: Option<String>,
        timestamp: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Job> {
        let method: String = method.extract().map_err(|_| {
            PyTypeError::new_err(format!("method must be a str, not {}", type_name(method)))
        })?;
        let url: String = if let Ok(s) = url.extract::<String>() {
            s
        } else if let Ok(b) = url.cast::<PyBytes>() {
            String::from_utf8(b.as_bytes().to_vec())
                .map_err(|_| PyValueError::new_err("the URL is not valid UTF-8"))?
        } else {
            return Err(PyTypeError::new_err(format!(
                "url must be a str, not {}",
                type_name(url)
            )));
        };
        let headers = extract_headers(headers)?;
        let payload_hash = payload_hash_arg(py, body, payload_hash)?;
        let time = match timestamp.filter(|t| !t.is_none()) {
            Some(t) => to_system_time(t, "timestamp")?,
            None => SystemTime::now(),
        };
        Ok(Job {
            method,
            url,
            headers,
            payload_hash,
            time,
        })
    }

    fn run(
        &self,
        region: &str,
        service: &str,
        settings: &SigningSettings,
        cache: Option<&sigv4::Signer>,
        what: &KeyOrCreds,
    ) -> PyResult<Signed> {
        let signer = sigv4::Signer::new(region, service)
            .map_err(signing_err)?
            .with_settings(settings.clone());
        self.run_with(&signer, cache, what)
    }

    fn run_with(
        &self,
        signer: &sigv4::Signer,
        cache: Option<&sigv4::Signer>,
        what: &KeyOrCreds,
    ) -> PyResult<Signed> {
        let req = SignableRequest::new(
            &self.method,
            &self.url,
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
            Payload::Precomputed(&self.payload_hash),
        );
        let out = match what {
            KeyOrCreds::Creds(c) => match cache {
                Some(cache) => {
                    let key = cache.signing_key(c, self.time).map_err(signing_err)?;
                    signer.sign_with_key(
                        &req,
                        &key,
                        c.access_key_id(),
                        c.session_token(),
                        self.time,
                    )
                }
                None => signer.sign(&req, c, self.time),
            },
            KeyOrCreds::Key {
                key,
                access_key,
                token,
            } => signer.sign_with_key(&req, key, access_key, token.as_deref(), self.time),
        }
        .map_err(signing_err)?;
        let url = final_url(&self.url, &out);
        Ok(Signed { out, url })
    }
}

struct Signed {
    out: SigningOutput,
    url: String,
}

/// The URL to send: the original URL with the query the signature covers (stale signing
/// parameters dropped, presigning parameters added, raw `+` written as `%2B`).
fn final_url(url: &str, out: &SigningOutput) -> String {
    let no_frag = url.split_once('#').map_or(url, |(a, _)| a);
    let (base, query) = no_frag.split_once('?').unwrap_or((no_frag, ""));
    let presigned = matches!(out.location(), sigv4::SignatureLocation::Query { .. });
    if !presigned && !query.contains('+') {
        return no_frag.to_owned();
    }
    let qs = out.query_string();
    if qs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{qs}")
    }
}

fn headers_dict<'py>(py: Python<'py>, out: &SigningOutput) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (n, v) in out.headers() {
        // The names come from a small fixed set: reuse interned Python strings for them.
        // The core names headers in lowercase; this package keeps the casing it documents
        // (and botocore uses) for the headers Python callers look up by name.
        let name = match n {
            "authorization" => intern!(py, "Authorization").clone(),
            "x-amz-date" => intern!(py, "X-Amz-Date").clone(),
            "x-amz-content-sha256" => intern!(py, "x-amz-content-sha256").clone(),
            "x-amz-security-token" => intern!(py, "X-Amz-Security-Token").clone(),
            "host" => intern!(py, "host").clone(),
            other => PyString::new(py, other),
        };
        d.set_item(name, v)?;
    }
    Ok(d)
}

/// The result of signing, with every intermediate step.
#[pyclass(name = "SignedRequest", module = "sigv4", frozen)]
pub struct PySigned {
    inner: Signed,
}

#[pymethods]
impl PySigned {
    /// The headers to add to the request (replacing any of the same name).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        headers_dict(py, &self.inner.out)
    }

    /// The URL to send: for presigning, the presigned URL.
    #[getter]
    fn url(&self) -> &str {
        &self.inner.url
    }

    /// The canonical request that was hashed.
    #[getter]
    fn canonical_request(&self) -> &str {
        self.inner.out.canonical_request()
    }

    /// The string to sign.
    #[getter]
    fn string_to_sign(&self) -> &str {
        self.inner.out.string_to_sign()
    }

    /// The signature (64 hex digits).
    #[getter]
    fn signature(&self) -> &str {
        self.inner.out.signature()
    }

    /// The signed header names, ``host;x-amz-date``.
    #[getter]
    fn signed_headers(&self) -> &str {
        self.inner.out.signed_headers()
    }

    /// ``YYYYMMDD/region/service/aws4_request``.
    #[getter]
    fn credential_scope(&self) -> &str {
        self.inner.out.credential_scope()
    }

    /// The query parameters added by presigning, in order (empty in header mode).
    #[getter]
    fn query_params(&self) -> Vec<(String, String)> {
        self.inner
            .out
            .query_params()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "SignedRequest(signature={:?}, signed_headers={:?}, credential_scope={:?})",
            self.inner.out.signature(),
            self.inner.out.signed_headers(),
            self.inner.out.credential_scope()
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Signer
// ---------------------------------------------------------------------------------------------

enum Source {
    Static(Arc<Credentials>),
    Refreshable(Py<PyRefreshable>),
    Duck(Py<PyAny>),
    Key {
        key: Arc<sigv4::SigningKey>,
        access_key: String,
        token: Option<String>,
    },
}

impl Source {
    fn from_py(py: Python<'_>, credentials: Option<&Bound<'_, PyAny>>) -> PyResult<Source> {
        let Some(c) = credentials.filter(|c| !c.is_none()) else {
            return Ok(Source::Refreshable(Py::new(
                py,
                PyRefreshable::chain(None),
            )?));
        };
        if let Ok(pc) = c.cast::<PyCredentials>() {
            return Ok(Source::Static(Arc::clone(&pc.get().inner)));
        }
        if let Ok(r) = c.cast::<PyRefreshable>() {
            return Ok(Source::Refreshable(r.clone().unbind()));
        }
        if c.is_instance_of::<PyDict>() {
            return Ok(Source::Static(credentials_from_py(c)?));
        }
        if c.hasattr(intern!(py, "access_key"))?
            || c.hasattr(intern!(py, "get_frozen_credentials"))?
        {
            return Ok(Source::Duck(c.clone().unbind()));
        }
        Err(PyTypeError::new_err(format!(
            "credentials must be sigv4.Credentials, sigv4.RefreshableCredentials, an object \
             with access_key/secret_key/token (such as botocore credentials), a dict, or None \
             for the default chain; got {}",
            type_name(c)
        )))
    }

    fn resolve(&self, py: Python<'_>) -> PyResult<KeyOrCreds> {
        Ok(match self {
            Source::Static(c) => KeyOrCreds::Creds(Arc::clone(c)),
            Source::Refreshable(r) => KeyOrCreds::Creds(r.get().get(py)?),
            Source::Duck(o) => KeyOrCreds::Creds(credentials_from_py(o.bind(py))?),
            Source::Key {
                key,
                access_key,
                token,
            } => KeyOrCreds::Key {
                key: Arc::clone(key),
                access_key: access_key.clone(),
                token: token.clone(),
            },
        })
    }

    fn as_py(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(match self {
            Source::Static(c) => Some(
                Py::new(
                    py,
                    PyCredentials {
                        inner: Arc::clone(c),
                    },
                )?
                .into_any(),
            ),
            Source::Refreshable(r) => Some(r.clone_ref(py).into_any()),
            Source::Duck(o) => Some(o.clone_ref(py)),
            Source::Key { .. } => None,
        })
    }
}

/// Signs requests for one region and service.
///
/// ``credentials`` may be ``Credentials``, ``RefreshableCredentials``, any object with
/// ``access_key``/``secret_key``/``token`` (botocore credentials work), or ``None`` for the
/// default credential chain (refreshed automatically). A signer is safe to share between
/// threads and caches the day's signing key.
#[pyclass(name = "Signer", module = "sigv4", frozen)]
pub struct PySigner {
    core: sigv4::Signer,
    settings: SigningSettings,
    source: Source,
}

#[allow(clippy::too_many_arguments)]
fn opts(
    normalize_path: Option<bool>,
    double_encode: Option<bool>,
    content_sha256: Option<bool>,
    sign_session_token: bool,
    signed_headers: Option<Vec<String>>,
    unsigned_headers: Option<Vec<String>>,
) -> Opts {
    Opts {
        normalize_path,
        double_encode,
        content_sha256,
        sign_session_token,
        signed_headers,
        unsigned_headers,
    }
}

fn text_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    obj.extract::<String>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a str, not {}", type_name(obj))))
}

impl PySigner {
    fn build(region: String, service: String, source: Source, o: &Opts) -> PyResult<Self> {
        let settings = build_settings(&service, o);
        let core = sigv4::Signer::new(region, service)
            .map_err(signing_err)?
            .with_settings(settings.clone());
        Ok(PySigner {
            core,
            settings,
            source,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn sign_job(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        payload_hash: Option<String>,
        timestamp: Option<&Bound<'_, PyAny>>,
        expires: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Signed> {
        let job = Job::from_py(py, method, url, headers, body, payload_hash, timestamp)?;
        let what = self.source.resolve(py)?;
        match expires {
            None => job.run_with(&self.core, None, &what),
            Some(e) => {
                let secs = expires_secs(e)?;
                let settings = self.settings.clone().presigned(Duration::from_secs(secs));
                job.run(
                    self.core.region(),
                    self.core.service(),
                    &settings,
                    Some(&self.core),
                    &what,
                )
            }
        }
    }
}

#[pymethods]
impl PySigner {
    #[new]
    #[pyo3(signature = (region, service, credentials=None, *, normalize_path=None, double_encode=None,
        content_sha256=None, sign_session_token=true, signed_headers=None, unsigned_headers=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        region: &Bound<'_, PyAny>,
        service: &Bound<'_, PyAny>,
        credentials: Option<&Bound<'_, PyAny>>,
        normalize_path: Option<bool>,
        double_encode: Option<bool>,
        content_sha256: Option<bool>,
        sign_session_token: bool,
        signed_headers: Option<Vec<String>>,
        unsigned_headers: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let region = text_arg(region, "region")?;
        let service = text_arg(service, "service")?;
        let source = Source::from_py(py, credentials)?;
        let o = opts(
            normalize_path,
            double_encode,
            content_sha256,
            sign_session_token,
            signed_headers,
            unsigned_headers,
        );
        Self::build(region, service, source, &o)
    }

    /// A signer that signs with a day-scoped ``SigningKey`` instead of the secret access key.
    /// Region and service come from the key; signing for another day raises ``SigningError``.
    #[classmethod]
    #[pyo3(signature = (key, access_key, token=None, *, normalize_path=None, double_encode=None,
        content_sha256=None, sign_session_token=true, signed_headers=None, unsigned_headers=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_signing_key(
        _cls: &Bound<'_, PyType>,
        key: &Bound<'_, PySigningKey>,
        access_key: String,
        token: Option<String>,
        normalize_path: Option<bool>,
        double_encode: Option<bool>,
        content_sha256: Option<bool>,
        sign_session_token: bool,
        signed_headers: Option<Vec<String>>,
        unsigned_headers: Option<Vec<String>>,
    ) -> PyResult<Self> {
        validate_access_key(&access_key)?;
        if let Some(t) = &token {
            validate_token(t)?;
        }
        let k = Arc::clone(&key.get().inner);
        let (region, service) = (k.region().to_owned(), k.service().to_owned());
        let o = opts(
            normalize_path,
            double_encode,
            content_sha256,
            sign_session_token,
            signed_headers,
            unsigned_headers,
        );
        Self::build(
            region,
            service,
            Source::Key {
                key: k,
                access_key,
                token,
            },
            &o,
        )
    }

    #[getter]
    fn region(&self) -> &str {
        self.core.region()
    }

    #[getter]
    fn service(&self) -> &str {
        self.core.service()
    }

    /// The credentials source given at construction (None for a key-based signer).
    #[getter]
    fn credentials(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.source.as_py(py)
    }

    /// Signs a request and returns the headers to add (``Authorization``, ``X-Amz-Date``,
    /// and ``X-Amz-Security-Token`` / ``x-amz-content-sha256`` when they apply).
    #[pyo3(signature = (method, url, headers=None, body=None, timestamp=None, *, payload_hash=None))]
    #[allow(clippy::too_many_arguments)]
    fn sign<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, PyAny>,
        url: &Bound<'py, PyAny>,
        headers: Option<&Bound<'py, PyAny>>,
        body: Option<&Bound<'py, PyAny>>,
        timestamp: Option<&Bound<'py, PyAny>>,
        payload_hash: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let s = self.sign_job(
            py,
            method,
            url,
            headers,
            body,
            payload_hash,
            timestamp,
            None,
        )?;
        headers_dict(py, &s.out)
    }

    /// Like ``sign`` but returns a ``SignedRequest`` with the URL to send and every step.
    #[pyo3(signature = (method, url, headers=None, body=None, timestamp=None, *, payload_hash=None, expires=None))]
    #[allow(clippy::too_many_arguments)]
    fn sign_request(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        payload_hash: Option<String>,
        expires: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySigned> {
        let s = self.sign_job(
            py,
            method,
            url,
            headers,
            body,
            payload_hash,
            timestamp,
            expires,
        )?;
        Ok(PySigned { inner: s })
    }

    /// A presigned URL valid for ``expires`` seconds (or a timedelta; 1 s to 7 days).
    /// S3 presigned URLs use ``UNSIGNED-PAYLOAD``; other services sign ``body`` (default empty).
    #[pyo3(signature = (method, url, expires=None, headers=None, body=None, timestamp=None, *, payload_hash=None))]
    #[allow(clippy::too_many_arguments)]
    fn presign(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        expires: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        payload_hash: Option<String>,
    ) -> PyResult<String> {
        let payload_hash = match payload_hash {
            None if body.is_none_or(|b| b.is_none()) && is_s3(self.core.service()) => {
                Some(UNSIGNED_PAYLOAD.to_owned())
            }
            p => p,
        };
        let default_expires;
        let expires = match expires {
            Some(e) => e,
            None => {
                default_expires = 3600u32.into_pyobject(py)?.into_any();
                &default_expires
            }
        };
        let s = self.sign_job(
            py,
            method,
            url,
            headers,
            body,
            payload_hash,
            timestamp,
            Some(expires),
        )?;
        Ok(s.url)
    }

    fn __repr__(&self) -> String {
        format!(
            "Signer(region={:?}, service={:?})",
            self.core.region(),
            self.core.service()
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Low-level functions
// ---------------------------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
fn low_level(
    py: Python<'_>,
    method: &Bound<'_, PyAny>,
    url: &Bound<'_, PyAny>,
    headers: Option<&Bound<'_, PyAny>>,
    body: Option<&Bound<'_, PyAny>>,
    credentials: &Bound<'_, PyAny>,
    region: &Bound<'_, PyAny>,
    service: &Bound<'_, PyAny>,
    timestamp: &Bound<'_, PyAny>,
    payload_hash: Option<String>,
    expires: Option<&Bound<'_, PyAny>>,
    o: Opts,
) -> PyResult<Signed> {
    let region = text_arg(region, "region")?;
    let service = text_arg(service, "service")?;
    if timestamp.is_none() {
        return Err(PyTypeError::new_err(
            "timestamp is required here (a datetime or Unix seconds)",
        ));
    }
    let what = if let Ok(k) = credentials.cast::<PySigningKey>() {
        return Err(PyTypeError::new_err(format!(
            "credentials must be credentials, not a SigningKey ({}); use Signer.from_signing_key",
            k.get().inner.scope()
        )));
    } else {
        KeyOrCreds::Creds(credentials_from_py(credentials)?)
    };
    let mut settings = build_settings(&service, &o);
    let payload_hash = match (payload_hash, expires) {
        (None, Some(_)) if body.is_none_or(|b| b.is_none()) && is_s3(&service) => {
            Some(UNSIGNED_PAYLOAD.to_owned())
        }
        (p, _) => p,
    };
    if let Some(e) = expires.filter(|e| !e.is_none()) {
        settings = settings.presigned(Duration::from_secs(expires_secs(e)?));
    }
    let job = Job::from_py(
        py,
        method,
        url,
        headers,
        body,
        payload_hash,
        Some(timestamp),
    )?;
    job.run(&region, &service, &settings, None, &what)
}

macro_rules! low_level_fn {
    ($(#[$doc:meta])* $name:ident, $ret:ty, |$py:ident, $s:ident| $conv:expr) => {
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (method, url, headers=None, body=None, *, credentials, region, service,
            timestamp, payload_hash=None, expires=None, normalize_path=None, double_encode=None,
            content_sha256=None, sign_session_token=true, signed_headers=None, unsigned_headers=None))]
        #[allow(clippy::too_many_arguments)]
        fn $name<'py>(
            $py: Python<'py>,
            method: &Bound<'py, PyAny>,
            url: &Bound<'py, PyAny>,
            headers: Option<&Bound<'py, PyAny>>,
            body: Option<&Bound<'py, PyAny>>,
            credentials: &Bound<'py, PyAny>,
            region: &Bound<'py, PyAny>,
            service: &Bound<'py, PyAny>,
            timestamp: &Bound<'py, PyAny>,
            payload_hash: Option<String>,
            expires: Option<&Bound<'py, PyAny>>,
            normalize_path: Option<bool>,
            double_encode: Option<bool>,
            content_sha256: Option<bool>,
            sign_session_token: bool,
            signed_headers: Option<Vec<String>>,
            unsigned_headers: Option<Vec<String>>,
        ) -> PyResult<$ret> {
            let o = opts(normalize_path, double_encode, content_sha256, sign_session_token,
                signed_headers, unsigned_headers);
            let $s = low_level($py, method, url, headers, body, credentials, region, service,
                timestamp, payload_hash, expires, o)?;
            $conv
        }
    };
}

low_level_fn!(
    /// Signs with everything given explicitly and returns the headers to add.
    sign_headers, Bound<'py, PyDict>, |py, s| headers_dict(py, &s.out)
);
low_level_fn!(
    /// The canonical request for these inputs (the first step of signing).
    canonical_request, String, |py, s| Ok(s.out.canonical_request().to_owned())
);
low_level_fn!(
    /// The string to sign for these inputs (the second step of signing).
    string_to_sign, String, |py, s| Ok(s.out.string_to_sign().to_owned())
);
low_level_fn!(
    /// Signs with everything given explicitly and returns a ``SignedRequest`` with every step.
    sign_request, PySigned, |py, s| Ok(PySigned { inner: s })
);

/// The hex SHA-256 of a body (bytes, bytearray, memoryview or str as UTF-8), as used for
/// ``x-amz-content-sha256``. Large bodies are hashed with the GIL released.
#[pyfunction]
fn payload_hash(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    body_hash(py, Some(body))
}

#[pymodule]
fn _sigv4(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyCredentials>()?;
    m.add_class::<PyRefreshable>()?;
    m.add_class::<PySigningKey>()?;
    m.add_class::<PySigner>()?;
    m.add_class::<PySigned>()?;
    m.add_function(wrap_pyfunction!(sign_headers, m)?)?;
    m.add_function(wrap_pyfunction!(canonical_request, m)?)?;
    m.add_function(wrap_pyfunction!(string_to_sign, m)?)?;
    m.add_function(wrap_pyfunction!(sign_request, m)?)?;
    m.add_function(wrap_pyfunction!(payload_hash, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_credentials, m)?)?;
    m.add_function(wrap_pyfunction!(default_credentials, m)?)?;
    m.add("SigningError", py.get_type::<SigningError>())?;
    m.add("CredentialsError", py.get_type::<CredentialsError>())?;
    m.add("UNSIGNED_PAYLOAD", UNSIGNED_PAYLOAD)?;
    m.add("EMPTY_SHA256", EMPTY_SHA256)?;
    m.add("CREDENTIAL_CHAIN", chain::DESCRIPTION)?;
    Ok(())
}
