//! The world a provider sees, injected: environment variables, files, HTTP,
//! a clock and an async sleep. Tests swap each one for a fake.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::http::HttpClient;

use crate::util::BoxFuture;

/// Environment variables: the real process environment or a fixed map.
#[derive(Clone, Default)]
pub struct Env {
    vars: Option<Arc<HashMap<String, String>>>,
}

impl Env {
    /// The real process environment (read on each lookup).
    pub fn real() -> Self {
        Env { vars: None }
    }

    /// A fixed set of variables (nothing else is visible).
    ///
    /// ```
    /// let env = sigv4_credentials::Env::from_pairs([("AWS_REGION", "eu-west-1")]);
    /// assert_eq!(env.get("AWS_REGION").as_deref(), Some("eu-west-1"));
    /// assert_eq!(env.get("HOME"), None);
    /// ```
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: Some(Arc::new(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// The value of `key`, if set and valid Unicode.
    pub fn get(&self, key: &str) -> Option<String> {
        match &self.vars {
            None => std::env::var(key).ok(),
            Some(map) => map.get(key).cloned(),
        }
    }

    /// The value of `key` with surrounding whitespace removed, or `None` when
    /// unset or blank.
    pub fn get_non_blank(&self, key: &str) -> Option<String> {
        self.get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

impl fmt::Debug for Env {
    // Values may be secrets (AWS_SECRET_ACCESS_KEY): show names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vars {
            None => f.write_str("Env(process)"),
            Some(map) => {
                let mut keys: Vec<_> = map.keys().collect();
                keys.sort();
                f.debug_tuple("Env").field(&keys).finish()
            }
        }
    }
}

/// File access.
///
/// Reads are small (profile files, token files) and synchronous. The only
/// write is the atomic replacement of a token cache file after a refresh
/// (SSO, console login); a file system that cannot write refuses it, and the
/// refreshed token is then used without being saved.
pub trait Fs: Send + Sync + fmt::Debug {
    /// Reads the whole file at `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// Replaces the file at `path` with `contents` atomically (a temporary
    /// file in the same directory, then a rename), readable and writable by
    /// the owner only (0600 on Unix). Readers see the old or the new file,
    /// never a mix. The default refuses (read-only file system).
    fn write_atomic(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        let _ = (path, contents);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this file system is read-only",
        ))
    }

    /// Reads the whole file at `path` as UTF-8 text.
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        String::from_utf8(self.read(path)?)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file is not valid UTF-8"))
    }
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFs;

impl Fs for OsFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn write_atomic(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        replace_file(path, contents)
    }
}

/// Writes `contents` to a new owner-only temporary file next to `path`,
/// flushes it, and renames it over `path`.
fn replace_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A file system whose absolute paths are resolved inside a directory (for
/// tests: `/home/.aws/config` is read from `<root>/home/.aws/config`).
#[derive(Debug, Clone)]
pub struct RootedFs {
    root: PathBuf,
}

impl RootedFs {
    /// Resolves every path inside `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RootedFs { root: root.into() }
    }

    fn resolve(&self, path: &Path) -> io::Result<PathBuf> {
        let mut out = self.root.clone();
        for c in path.components() {
            match c {
                Component::Normal(p) => out.push(p),
                Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
                Component::ParentDir => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "`..` is not allowed in a rooted path",
                    ))
                }
            }
        }
        Ok(out)
    }
}

impl Fs for RootedFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(self.resolve(path)?)
    }

    fn write_atomic(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        replace_file(&self.resolve(path)?, contents)
    }
}

/// An in-memory file system. Clones share the files (a write through one
/// is seen by all).
#[derive(Clone, Default)]
pub struct MemoryFs {
    files: Arc<std::sync::Mutex<HashMap<PathBuf, Vec<u8>>>>,
}

impl MemoryFs {
    /// A file system holding exactly these files.
    pub fn from_files<P: Into<PathBuf>, C: Into<Vec<u8>>>(
        files: impl IntoIterator<Item = (P, C)>,
    ) -> Self {
        MemoryFs {
            files: Arc::new(std::sync::Mutex::new(
                files
                    .into_iter()
                    .map(|(p, c)| (p.into(), c.into()))
                    .collect(),
            )),
        }
    }

    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Vec<u8>>> {
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for MemoryFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files = self.files();
        let mut names: Vec<_> = files.keys().collect();
        names.sort();
        f.debug_tuple("MemoryFs").field(&names).finish()
    }
}

impl Fs for MemoryFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files().get(path).cloned().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "No such file or directory (os error 2)",
            )
        })
    }

    fn write_atomic(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        self.files().insert(path.to_path_buf(), contents.to_vec());
        Ok(())
    }
}

/// A clock.
pub trait TimeSource: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl TimeSource for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock stopped at a fixed time (tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub SystemTime);

impl TimeSource for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// An async sleep, so retries and timeouts can be driven by a fake in tests.
pub trait AsyncSleep: Send + Sync + fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Sleeps with `tokio::time::sleep` (needs a tokio runtime with time enabled).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl AsyncSleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Everything a provider reads from the outside world, in one place (like
/// aws-config's `ProviderConfig`). Cloning is cheap.
///
/// ```
/// use sigv4_credentials::{Env, MemoryFs, ProviderContext};
/// let ctx = ProviderContext::default()
///     .with_env(Env::from_pairs([("HOME", "/home/me")]))
///     .with_fs(MemoryFs::from_files([("/home/me/.aws/config", "[default]\nregion = eu-west-1\n")]));
/// assert_eq!(ctx.env().get("HOME").as_deref(), Some("/home/me"));
/// ```
#[derive(Clone)]
pub struct ProviderContext {
    env: Env,
    fs: Arc<dyn Fs>,
    http: Option<Arc<dyn HttpClient>>,
    time: Arc<dyn TimeSource>,
    sleep: Arc<dyn AsyncSleep>,
    profile_name: Option<String>,
    region: Option<String>,
    http_options: crate::http::HttpRequestOptions,
}

impl fmt::Debug for ProviderContext {
    // The HTTP client is user-supplied and may hold anything: show only
    // whether there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderContext")
            .field("env", &self.env)
            .field("fs", &self.fs)
            .field("http_client", &self.http.as_ref().map(|_| "..."))
            .field("time", &self.time)
            .field("sleep", &self.sleep)
            .field("profile_name", &self.profile_name)
            .field("region", &self.region)
            .field("http_options", &self.http_options)
            .finish()
    }
}

impl Default for ProviderContext {
    /// The real environment, file system and clock, tokio sleep, and the
    /// default HTTP client when the `hyper-client` feature is on.
    fn default() -> Self {
        ProviderContext {
            env: Env::real(),
            fs: Arc::new(OsFs),
            http: crate::http::default_client(),
            time: Arc::new(SystemClock),
            sleep: Arc::new(TokioSleep),
            profile_name: None,
            region: None,
            http_options: crate::http::HttpRequestOptions::default(),
        }
    }
}

impl ProviderContext {
    /// Uses these environment variables.
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Uses this file system.
    pub fn with_fs(mut self, fs: impl Fs + 'static) -> Self {
        self.fs = Arc::new(fs);
        self
    }

    /// Uses this HTTP client.
    pub fn with_http_client(mut self, http: impl HttpClient + 'static) -> Self {
        self.http = Some(Arc::new(http));
        self
    }

    /// Uses this shared HTTP client.
    pub fn with_shared_http_client(mut self, http: Arc<dyn HttpClient>) -> Self {
        self.http = Some(http);
        self
    }

    /// Uses this clock.
    pub fn with_time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.time = Arc::new(time);
        self
    }

    /// Uses this sleep implementation.
    pub fn with_sleep(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// Selects a profile explicitly (like `--profile`), overriding `AWS_PROFILE`.
    pub fn with_profile_name(mut self, name: impl Into<String>) -> Self {
        self.profile_name = Some(name.into());
        self
    }

    /// Sets the region explicitly, overriding `AWS_REGION` and the profile.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets the timeouts for calls to AWS services (STS, SSO). Metadata
    /// providers use their own, shorter, options.
    pub fn with_http_options(mut self, options: crate::http::HttpRequestOptions) -> Self {
        self.http_options = options;
        self
    }

    /// The timeouts for calls to AWS services (STS, SSO).
    pub fn http_options(&self) -> crate::http::HttpRequestOptions {
        self.http_options
    }

    /// The environment variables.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The file system.
    pub fn fs(&self) -> &dyn Fs {
        &*self.fs
    }

    /// The HTTP client, or `None` when built without one (no `hyper-client`
    /// feature and none supplied).
    pub fn http_client(&self) -> Option<&Arc<dyn HttpClient>> {
        self.http.as_ref()
    }

    /// The current time from the injected clock.
    pub fn now(&self) -> SystemTime {
        self.time.now()
    }

    /// The injected clock.
    pub fn time_source(&self) -> &Arc<dyn TimeSource> {
        &self.time
    }

    /// Sleeps with the injected sleep implementation.
    pub fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.sleep.sleep(duration)
    }

    /// The injected sleep implementation.
    pub fn async_sleep(&self) -> &Arc<dyn AsyncSleep> {
        &self.sleep
    }

    /// The explicitly selected profile name, if any (not `AWS_PROFILE`).
    pub fn profile_name_override(&self) -> Option<&str> {
        self.profile_name.as_deref()
    }

    /// The explicitly set region, if any (not `AWS_REGION`).
    pub fn region_override(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The HTTP client, or a `ProviderError` naming `provider` when there is none.
    pub fn require_http(
        &self,
        provider: &'static str,
    ) -> Result<&Arc<dyn HttpClient>, crate::CredentialsError> {
        self.http.as_ref().ok_or_else(|| {
            crate::CredentialsError::provider_error(
                provider,
                "no HTTP client: enable the `hyper-client` feature or pass one with ProviderContext::with_http_client",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_blank_is_absent_and_debug_hides_values() {
        let env = Env::from_pairs([("A", " "), ("B", " x ")]);
        assert_eq!(env.get_non_blank("A"), None);
        assert_eq!(env.get_non_blank("B").as_deref(), Some("x"));
        let shown = format!("{env:?}");
        assert!(!shown.contains(" x "));
    }

    #[test]
    fn rooted_fs_stays_inside_root() {
        let dir = std::env::temp_dir().join(format!("sigv4-cred-rooted-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("home")).unwrap();
        std::fs::write(dir.join("home/f"), b"hi").unwrap();
        let fs = RootedFs::new(&dir);
        assert_eq!(fs.read(Path::new("/home/f")).unwrap(), b"hi");
        assert!(fs.read(Path::new("/home/../../etc/passwd")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn atomic_replace_is_owner_only_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("sigv4-cred-write-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let fs = RootedFs::new(&dir);
        fs.write_atomic(Path::new("/home/t.json"), b"one").unwrap();
        fs.write_atomic(Path::new("/home/t.json"), b"two").unwrap();
        assert_eq!(fs.read(Path::new("/home/t.json")).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.join("home"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("t.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("home/t.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(fs.write_atomic(Path::new("/nodir/t.json"), b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn memory_fs() {
        let fs = MemoryFs::from_files([("/a", "b")]);
        assert_eq!(fs.read_to_string(Path::new("/a")).unwrap(), "b");
        assert_eq!(
            fs.read(Path::new("/x")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
