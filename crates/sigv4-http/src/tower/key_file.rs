//! A key store read from a TOML file, reloaded on demand, on `SIGHUP` or when the file
//! changes, keeping each key's principal and limits.
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use sigv4::{AmzDate, Credentials};
use zeroize::Zeroizing;

use super::key_limits::KeyLimits;
use super::keys::{KeyEntry, KeyLookupFuture, KeyStore};

/// Why a keys file could not be loaded. Messages name the file, the line and the key id,
/// never a secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or an entry is malformed.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (line number and field; never a value).
        message: String,
    },
}

impl std::fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyFileError::Io { path, source } => {
                write!(f, "cannot read the keys file {}: {source}", path.display())
            }
            KeyFileError::Invalid { path, message } => {
                write!(f, "invalid keys file {}: {message}", path.display())
            }
        }
    }
}

/// The message includes the cause's; `source` reports only what it does not say.
impl std::error::Error for KeyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyFileError::Io { source, .. } => {
                sigv4::error_chain::unshown_source(&self.to_string(), source)
            }
            KeyFileError::Invalid { .. } => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    key: Vec<FileKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKey {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    principal: Option<String>,
    services: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    s3_buckets: Option<Vec<String>>,
    expires: Option<String>,
    role_arn: Option<String>,
}

/// The file's identity for change detection: modification time and length.
type Stamp = Option<(SystemTime, u64)>;

struct Loaded {
    keys: HashMap<String, KeyEntry>,
    stamp: Stamp,
}

/// A [`KeyStore`] read from a TOML file of `[[key]]` entries:
///
/// ```toml
/// [[key]]
/// access_key_id = "AKIDSANDBOX0001"
/// secret_access_key = "sandbox-secret"
/// principal = "agent-7"                # optional; default: the access key id
/// services = ["s3", "sqs"]             # optional; default: all
/// regions = ["us-east-1"]              # optional; default: all
/// s3_buckets = ["sandbox-*"]           # optional globs; default: all
/// expires = "2027-01-01T00:00:00Z"     # optional
/// role_arn = "arn:aws:iam::123456789012:role/sandbox"   # optional
/// ```
///
/// Each entry becomes a [`KeyEntry`] with its principal and [`KeyLimits`]. Lookups read
/// an in-memory snapshot; [`reload`](Self::reload) swaps in a new one atomically (requests
/// in flight keep the entry they looked up), and a file that fails to load leaves the
/// previous keys in place. [`watch`](Self::watch) reloads on `SIGHUP` and, optionally,
/// when the file changes. Feature `key-file`.
///
/// ```
/// use sigv4_http::tower::{FileKeys, KeyStore};
///
/// let dir = std::env::temp_dir().join(format!("sigv4-keys-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("keys.toml");
/// std::fs::write(&path, "[[key]]\naccess_key_id = \"AKIDA\"\nsecret_access_key = \"s1\"\nservices = [\"s3\"]\n")?;
/// let keys = FileKeys::open(&path)?;
/// assert_eq!(keys.access_key_ids(), ["AKIDA"]);
///
/// std::fs::write(&path, "[[key]]\naccess_key_id = \"AKIDB\"\nsecret_access_key = \"s2\"\n")?;
/// assert_eq!(keys.reload()?, 1);
/// assert_eq!(keys.access_key_ids(), ["AKIDB"]);
///
/// // A broken file keeps the keys already loaded, and the error shows no secret.
/// // (An array where a string belongs: TOML's own message would quote the line.)
/// std::fs::write(&path, "[[key]]\naccess_key_id = \"AKIDC\"\nsecret_access_key = [\"leaked-secret\"]\n")?;
/// let err = keys.reload().unwrap_err().to_string();
/// assert!(err.contains("line 3") && !err.contains("leaked-secret"), "{err}");
/// assert_eq!(keys.access_key_ids(), ["AKIDB"]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FileKeys {
    path: PathBuf,
    loaded: RwLock<Arc<Loaded>>,
}

impl fmt::Debug for FileKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileKeys")
            .field("path", &self.path)
            .field("access_key_ids", &self.access_key_ids())
            .finish()
    }
}

impl FileKeys {
    /// Loads the keys in `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, KeyFileError> {
        let path = path.as_ref().to_path_buf();
        let loaded = load(&path)?;
        Ok(FileKeys {
            path,
            loaded: RwLock::new(Arc::new(loaded)),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file again and replaces the keys with its entries, returning how many
    /// there are. On error the keys already loaded stay in use.
    pub fn reload(&self) -> Result<usize, KeyFileError> {
        let loaded = load(&self.path)?;
        let n = loaded.keys.len();
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded);
        Ok(n)
    }

    /// Reloads when the file's modification time or length changed since the last load;
    /// `Ok(None)` when it did not.
    pub fn reload_if_changed(&self) -> Result<Option<usize>, KeyFileError> {
        if stamp(&self.path) == self.snapshot().stamp {
            return Ok(None);
        }
        self.reload().map(Some)
    }

    /// The access key ids loaded, sorted.
    pub fn access_key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.snapshot().keys.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The entry of `access_key_id`, synchronously.
    pub fn get(&self, access_key_id: &str) -> Option<KeyEntry> {
        self.snapshot().keys.get(access_key_id).cloned()
    }

    fn snapshot(&self) -> Arc<Loaded> {
        Arc::clone(&self.loaded.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reloads the keys on every `SIGHUP` and, with `poll` set, whenever the file changes
    /// (checked at that interval), logging each reload and each failure (the previous
    /// keys stay in use). Runs until the returned task is aborted. Needs a tokio runtime
    /// with I/O and time enabled (Unix for the signal).
    pub fn watch(self: &Arc<Self>, poll: Option<Duration>) -> tokio::task::JoinHandle<()> {
        let keys = Arc::clone(self);
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut tick = poll.map(tokio::time::interval);
            loop {
                #[cfg(unix)]
                let hup_fut = async {
                    match hup.as_mut() {
                        Some(s) => {
                            s.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let hup_fut = std::future::pending::<()>();
                let tick_fut = async {
                    match tick.as_mut() {
                        Some(t) => {
                            t.tick().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                let result = tokio::select! {
                    () = hup_fut => keys.reload().map(Some),
                    () = tick_fut => keys.reload_if_changed(),
                };
                match result {
                    Ok(Some(n)) => {
                        tracing::info!(path = %keys.path.display(), keys = n, "keys file reloaded");
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "keys file not reloaded; the previous keys stay in use");
                    }
                }
            }
        })
    }
}

impl KeyStore for FileKeys {
    fn lookup<'a>(&'a self, access_key_id: &'a str) -> KeyLookupFuture<'a> {
        Box::pin(std::future::ready(Ok(self.get(access_key_id))))
    }
}

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

fn load(path: &Path) -> Result<Loaded, KeyFileError> {
    let before = stamp(path);
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
                path: path.to_path_buf(),
                source,
            })?,
        );
    let keys = parse_keys(&text).map_err(|message| KeyFileError::Invalid {
        path: path.to_path_buf(),
        message,
    })?;
    Ok(Loaded {
        keys,
        stamp: before,
    })
}

/// The line (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses a keys document. Errors name the line and what is wrong, never a value (TOML
/// errors quote the offending line, which may hold a secret: only the position is kept).
fn parse_keys(text: &str) -> Result<HashMap<String, KeyEntry>, String> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or_else(String::new, |s| {
            format!("line {}: ", line_of(text, s.start))
        });
        let what = if e.message().contains("unknown field") {
            e.message().to_owned()
        } else {
            "not a valid [[key]] entry (see the keys file format)".to_owned()
        };
        format!("{at}{what}")
    })?;
    let mut keys = HashMap::new();
    for k in doc.key {
        let id = k.access_key_id.clone();
        let bad = |what: &str| format!("key {id:?}: {what}");
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad("access_key_id must be non-empty letters and digits"));
        }
        if k.secret_access_key.is_empty() {
            return Err(bad("secret_access_key is empty"));
        }
        let mut limits = KeyLimits::new();
        if let Some(s) = k.services {
            limits = limits.with_services(s);
        }
        if let Some(r) = k.regions {
            limits = limits.with_regions(r);
        }
        if let Some(b) = k.s3_buckets {
            limits = limits.with_s3_buckets(b);
        }
        if let Some(e) = &k.expires {
            let at = AmzDate::parse_rfc3339(e)
                .ok_or_else(|| bad("expires must be an RFC 3339 UTC time, 2027-01-01T00:00:00Z"))?;
            limits = limits.with_expires(at.to_system_time());
        }
        if let Some(r) = k.role_arn {
            if !r.starts_with("arn:") {
                return Err(bad(
                    "role_arn must be an ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                ));
            }
            limits = limits.with_role_arn(r);
        }
        let creds = Credentials::new(id.clone(), k.secret_access_key.as_str(), None, None);
        let entry = KeyEntry::new(creds)
            .with_principal(k.principal.unwrap_or_else(|| id.clone()))
            .with_limits(limits);
        if keys.insert(id.clone(), entry).is_some() {
            return Err(bad("listed twice"));
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::parse_keys;

    #[test]
    fn parses_entries_and_refuses_bad_ones_without_showing_secrets() {
        let keys = parse_keys(
            r#"
[[key]]
access_key_id = "AKIDONE"
secret_access_key = "topsecret1"
services = ["s3"]
regions = ["us-east-1"]
s3_buckets = ["sandbox-*"]
expires = "2027-01-01T00:00:00Z"
role_arn = "arn:aws:iam::123456789012:role/sandbox"

[[key]]
access_key_id = "AKIDTWO"
secret_access_key = "topsecret2"
principal = "bob"
"#,
        )
        .unwrap();
        let one = &keys["AKIDONE"];
        assert_eq!(one.principal(), Some("AKIDONE"));
        assert_eq!(one.credentials().secret_access_key(), "topsecret1");
        assert_eq!(one.limits().services(), Some(&["s3".to_owned()][..]));
        assert_eq!(
            one.limits().role_arn(),
            Some("arn:aws:iam::123456789012:role/sandbox")
        );
        assert!(one.limits().expires().is_some());
        assert_eq!(keys["AKIDTWO"].principal(), Some("bob"));
        assert_eq!(*keys["AKIDTWO"].limits(), Default::default());
        assert!(!format!("{one:?}").contains("topsecret1"));

        for (doc, needle) in [
            ("[[key]]\naccess_key_id = \"A\"\nsecret_access_key = \"topsecret\"\nservice = [\"s3\"]\n", "unknown field"),
            ("[[key]]\naccess_key_id = \"A\"\nsecret_access_key = \"topsecret\"\n[[key]]\naccess_key_id = \"A\"\nsecret_access_key = \"topsecret\"\n", "twice"),
            ("[[key]]\naccess_key_id = \"A\"\nsecret_access_key = \"topsecret\"\nexpires = \"tomorrow\"\n", "expires"),
            ("[[key]]\naccess_key_id = \"A\"\nsecret_access_key = \"\"\n", "empty"),
            ("[[key]]\naccess_key_id = \"A\"\nsecret_access_key = \"topsecret\nx", "line 4"),
            ("[[key]]\naccess_key_id = \"A-B\"\nsecret_access_key = \"topsecret\"\n", "letters"),
            ("[[key]]\naccess_key_id = \"A\"\nsecret_access_key = \"topsecret\"\nrole_arn = \"sandbox\"\n", "ARN"),
        ] {
            let e = parse_keys(doc).unwrap_err();
            assert!(e.contains(needle), "{doc}: {e}");
            assert!(!e.contains("topsecret"), "{e}");
        }
    }
}
