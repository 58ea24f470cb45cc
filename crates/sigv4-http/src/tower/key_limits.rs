//! What a key may do besides authenticating: services, regions, S3 buckets, expiry, and the
//! role its requests act as.
use std::fmt;
use std::time::SystemTime;

/// Limits kept with a key ([`KeyEntry::with_limits`](super::KeyEntry::with_limits)).
///
/// Every list is optional: `None` allows everything. Names are compared exactly; S3 bucket
/// patterns are globs (`*` any run of characters, `?` one character).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4_http::tower::{KeyLimits, LimitDenied};
///
/// let limits = KeyLimits::new()
///     .with_services(["s3", "sqs"])
///     .with_regions(["us-east-1"])
///     .with_s3_buckets(["sandbox-*"])
///     .with_expires(UNIX_EPOCH + Duration::from_secs(2_000_000_000));
/// let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// assert!(limits.check("s3", "us-east-1", Some("sandbox-7"), now).is_ok());
/// assert_eq!(limits.check("s3", "us-east-1", Some("prod"), now), Err(LimitDenied::Bucket(Some("prod".into()))));
/// assert_eq!(limits.check("dynamodb", "us-east-1", None, now), Err(LimitDenied::Service("dynamodb".into())));
/// assert_eq!(limits.check("s3", "us-east-1", Some("sandbox-7"), UNIX_EPOCH + Duration::from_secs(2_100_000_000)), Err(LimitDenied::Expired));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLimits {
    services: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    s3_buckets: Option<Vec<String>>,
    expires: Option<SystemTime>,
    role_arn: Option<String>,
}

/// Why a request is outside a key's [`KeyLimits`] (answered `403 AccessDenied`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitDenied {
    /// The key's `expires` time has passed.
    Expired,
    /// The service the request was signed for is not among the key's.
    Service(String),
    /// The region the request was signed for is not among the key's.
    Region(String),
    /// The S3 bucket (or, `None`, a request naming no bucket, such as `ListBuckets`) does
    /// not match the key's bucket patterns.
    Bucket(Option<String>),
}

impl LimitDenied {
    /// A short stable reason code for logs: `expired`, `service`, `region`, `bucket`.
    pub fn reason(&self) -> &'static str {
        match self {
            LimitDenied::Expired => "expired",
            LimitDenied::Service(_) => "service",
            LimitDenied::Region(_) => "region",
            LimitDenied::Bucket(_) => "bucket",
        }
    }
}

impl fmt::Display for LimitDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitDenied::Expired => f.write_str("the access key has expired"),
            LimitDenied::Service(s) => write!(f, "the access key may not call the service {s:?}"),
            LimitDenied::Region(r) => write!(f, "the access key may not call the region {r:?}"),
            LimitDenied::Bucket(Some(b)) => {
                write!(f, "the access key may not access the bucket {b:?}")
            }
            LimitDenied::Bucket(None) => {
                f.write_str("the access key may only make requests that name one of its buckets")
            }
        }
    }
}

impl std::error::Error for LimitDenied {}

impl KeyLimits {
    /// No limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these services (signing names from the credential scope: `s3`, `sqs`...).
    pub fn with_services<S: Into<String>>(mut self, services: impl IntoIterator<Item = S>) -> Self {
        self.services = Some(services.into_iter().map(Into::into).collect());
        self
    }

    /// Only these regions (from the credential scope).
    pub fn with_regions<S: Into<String>>(mut self, regions: impl IntoIterator<Item = S>) -> Self {
        self.regions = Some(regions.into_iter().map(Into::into).collect());
        self
    }

    /// For S3, only buckets matching one of these globs; S3 requests naming no bucket are
    /// refused. Other services are not affected.
    pub fn with_s3_buckets<S: Into<String>>(
        mut self,
        patterns: impl IntoIterator<Item = S>,
    ) -> Self {
        self.s3_buckets = Some(patterns.into_iter().map(Into::into).collect());
        self
    }

    /// The key is refused from this time on.
    pub fn with_expires(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// The role whose credentials re-sign this key's requests (the `sigv4 gateway`).
    pub fn with_role_arn(mut self, role_arn: impl Into<String>) -> Self {
        self.role_arn = Some(role_arn.into());
        self
    }

    /// The allowed services, `None` for all.
    pub fn services(&self) -> Option<&[String]> {
        self.services.as_deref()
    }

    /// The allowed regions, `None` for all.
    pub fn regions(&self) -> Option<&[String]> {
        self.regions.as_deref()
    }

    /// The S3 bucket patterns, `None` for all buckets.
    pub fn s3_buckets(&self) -> Option<&[String]> {
        self.s3_buckets.as_deref()
    }

    /// When the key expires.
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// The role the key's requests act as.
    pub fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }

    /// Whether a request signed for `service` and `region`, naming the S3 `bucket`
    /// (`None`: no bucket, or not S3), made at `now`, is within the limits.
    ///
    /// The service and region must be the verified ones (from the credential scope), and
    /// the bucket the one the request will actually be sent to, whichever addressing style
    /// the client used.
    pub fn check(
        &self,
        service: &str,
        region: &str,
        bucket: Option<&str>,
        now: SystemTime,
    ) -> Result<(), LimitDenied> {
        if self.expires.is_some_and(|at| now >= at) {
            return Err(LimitDenied::Expired);
        }
        if !allowed(self.services.as_deref(), service) {
            return Err(LimitDenied::Service(service.to_owned()));
        }
        if !allowed(self.regions.as_deref(), region) {
            return Err(LimitDenied::Region(region.to_owned()));
        }
        if let (Some(patterns), true) = (&self.s3_buckets, sigv4::is_s3(service)) {
            let ok = bucket.is_some_and(|b| patterns.iter().any(|p| glob_match(p, b)));
            if !ok {
                return Err(LimitDenied::Bucket(bucket.map(str::to_owned)));
            }
        }
        Ok(())
    }
}

fn allowed(list: Option<&[String]>, name: &str) -> bool {
    list.is_none_or(|l| l.iter().any(|x| x == name))
}

/// Whether `text` matches the glob `pattern` (`*` any run, `?` one character; every other
/// character literally). Iterative with one backtrack point: linear in practice.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("sandbox-*", "sandbox-1", true),
            ("sandbox-*", "sandbox-", true),
            ("sandbox-*", "sandbox", false),
            ("sandbox-*", "xsandbox-1", false),
            ("*-logs", "a-logs", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} {t}");
        }
    }
}
