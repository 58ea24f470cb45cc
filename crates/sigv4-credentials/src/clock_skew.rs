//! Client clock-skew correction: learn how far a server's clock is from ours when it
//! refuses a request for its time, and sign later requests to that endpoint at the
//! server's time.
//!
//! A signature carries its time, and AWS refuses one more than 5 (S3: 15) minutes away
//! from its own clock. When the local clock is wrong, every request fails. Like the AWS
//! SDKs, [`ClockSkew`] reads the server's time from the refusal (its `Date` header, else
//! the time in its error body), keeps the offset per endpoint, and the caller re-signs at
//! [`ClockSkew::now`] and retries once.
//!
//! A response counts as a clock-skew refusal when its error code is
//! `RequestTimeTooSkewed` or `RequestExpired`; when it is `InvalidSignatureException`
//! (or `SignatureDoesNotMatch`) with a message about time (`Signature expired`,
//! `not yet current`); or when it is any 403 whose `Date` is more than
//! [`MAX_UNNOTICED_SKEW`] away from the local clock.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use sigv4_credentials::clock_skew::{ClockSkew, SkewResponse};
//!
//! let skew = ClockSkew::new();
//! let local = SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_314_600); // 2024-01-15T10:30:00Z
//! // The server's clock is 30 minutes ahead, and it said so:
//! let body = b"<Error><Code>RequestTimeTooSkewed</Code></Error>";
//! let learned = skew.learn(
//!     "https://bucket.s3.us-east-1.amazonaws.com",
//!     &SkewResponse { status: 403, date: Some("Mon, 15 Jan 2024 11:00:00 GMT"), body },
//!     local,
//! );
//! assert_eq!(learned.unwrap().offset_secs, 1800);
//! // Re-sign at the server's time, and keep doing so for that endpoint:
//! let corrected = skew.now("https://bucket.s3.us-east-1.amazonaws.com", local);
//! assert_eq!(corrected, local + Duration::from_secs(1800));
//! // Other endpoints are not affected.
//! assert_eq!(skew.now("https://sts.amazonaws.com", local), local);
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::AmzDate;

use crate::TimeSource;

/// A `Date` this far from the local clock on a 403 is taken as the reason for it.
pub const MAX_UNNOTICED_SKEW: Duration = Duration::from_secs(5 * 60);

/// Endpoints remembered before the table is emptied (a proxy or client talks to a few).
const MAX_ENDPOINTS: usize = 1024;

/// What [`ClockSkew::learn`] needs of a response.
#[derive(Debug, Clone, Copy)]
pub struct SkewResponse<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The `Date` header, if any.
    pub date: Option<&'a str>,
    /// The error body (XML or JSON), possibly empty; a prefix is enough.
    pub body: &'a [u8],
}

/// Why a response was taken as a clock-skew refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkewReason {
    /// `RequestTimeTooSkewed`.
    RequestTimeTooSkewed,
    /// `RequestExpired`.
    RequestExpired,
    /// `InvalidSignatureException` (or `SignatureDoesNotMatch`) saying the signature's
    /// time is out of range.
    SignatureTime,
    /// A 403 whose `Date` is more than [`MAX_UNNOTICED_SKEW`] from the local clock.
    ForbiddenWithSkewedDate,
}

impl SkewReason {
    /// A short description for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SkewReason::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            SkewReason::RequestExpired => "RequestExpired",
            SkewReason::SignatureTime => "InvalidSignatureException (signature time)",
            SkewReason::ForbiddenWithSkewedDate => "403 with a skewed Date",
        }
    }
}

impl fmt::Display for SkewReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An offset learned from a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkewCorrection {
    /// Server time minus local time, in seconds (positive: the server is ahead).
    pub offset_secs: i64,
    /// The offset that was in use for the endpoint before (0 when none).
    pub previous_offset_secs: i64,
    /// Why the response counted as a clock-skew refusal.
    pub reason: SkewReason,
}

/// Per-endpoint clock offsets. Cheap to share (`Arc`); all methods take `&self`.
#[derive(Debug, Default)]
pub struct ClockSkew {
    offsets: Mutex<HashMap<String, i64>>,
    /// Largest offset [`learn`](Self::learn) accepts, in seconds (0: no bound).
    max_offset_secs: AtomicU64,
}

impl ClockSkew {
    /// No offsets known.
    pub fn new() -> Self {
        ClockSkew::default()
    }

    /// Bounds the offsets [`learn`](Self::learn) accepts: a refusal claiming a server time
    /// further than `max` from the local clock is not learned from (the answer is passed
    /// on, and later requests keep the offset in use). `None` removes the bound (the
    /// default). AWS refuses signatures more than 15 minutes from its clock, so a bound of
    /// 15 minutes is what a proxy signing for whoever reaches it should keep: a hostile
    /// upstream, or anyone on a plain-http path to it, cannot then make it sign requests
    /// that stay valid far in the future.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sigv4_credentials::clock_skew::{ClockSkew, SkewResponse};
    ///
    /// let skew = ClockSkew::new();
    /// skew.set_max_offset(Some(Duration::from_secs(15 * 60)));
    /// let local = SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_314_600); // 2024-01-15T10:30:00Z
    /// let body = b"<Error><Code>RequestTimeTooSkewed</Code></Error>";
    /// let answer = |date| SkewResponse { status: 403, date: Some(date), body };
    /// // A year ahead: not learned.
    /// assert!(skew.learn("https://h", &answer("Wed, 15 Jan 2025 10:30:00 GMT"), local).is_none());
    /// assert_eq!(skew.offset("https://h"), None);
    /// // Ten minutes ahead: learned.
    /// assert!(skew.learn("https://h", &answer("Mon, 15 Jan 2024 10:40:00 GMT"), local).is_some());
    /// assert_eq!(skew.offset("https://h"), Some(600));
    /// ```
    pub fn set_max_offset(&self, max: Option<Duration>) {
        let secs = max.map_or(0, |d| d.as_secs().max(1));
        self.max_offset_secs.store(secs, Ordering::Relaxed);
    }

    /// The bound set by [`set_max_offset`](Self::set_max_offset).
    pub fn max_offset(&self) -> Option<Duration> {
        match self.max_offset_secs.load(Ordering::Relaxed) {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        }
    }

    /// The offset in use for `endpoint` (server minus local, seconds), if one was learned.
    pub fn offset(&self, endpoint: &str) -> Option<i64> {
        self.lock().get(&endpoint_key(endpoint)).copied()
    }

    /// `local_now` corrected by the offset learned for `endpoint` (unchanged when none).
    pub fn now(&self, endpoint: &str, local_now: SystemTime) -> SystemTime {
        apply(local_now, self.offset(endpoint).unwrap_or(0))
    }

    /// Sets the offset for `endpoint` (for example one saved from an earlier run).
    pub fn set_offset(&self, endpoint: &str, offset_secs: i64) {
        let mut map = self.lock();
        if map.len() >= MAX_ENDPOINTS {
            map.clear();
        }
        map.insert(endpoint_key(endpoint), offset_secs);
    }

    /// Looks at a response to a request signed at `local_now` plus the offset then in
    /// use: when it is a clock-skew refusal that tells the server's time, stores the new
    /// offset for `endpoint` and returns it, so the caller re-signs at
    /// [`now`](Self::now) and retries once. `None` otherwise (not a skew refusal, or no
    /// server time to learn from, or an offset beyond [`max_offset`](Self::max_offset)).
    ///
    /// `local_now` is the uncorrected local time at which the response arrived.
    pub fn learn(
        &self,
        endpoint: &str,
        response: &SkewResponse<'_>,
        local_now: SystemTime,
    ) -> Option<SkewCorrection> {
        let (reason, server) = classify(response, local_now)?;
        let offset = signed_diff(server, local_now);
        if let Some(max) = self.max_offset() {
            if offset.unsigned_abs() > max.as_secs() {
                tracing::warn!(
                    endpoint,
                    offset_secs = offset,
                    max_offset_secs = max.as_secs(),
                    reason = reason.as_str(),
                    "not learning a clock offset beyond the bound"
                );
                return None;
            }
        }
        let previous = self.offset(endpoint).unwrap_or(0);
        self.set_offset(endpoint, offset);
        tracing::debug!(
            endpoint,
            offset_secs = offset,
            previous_offset_secs = previous,
            reason = reason.as_str(),
            "learned the server's clock offset"
        );
        Some(SkewCorrection {
            offset_secs: offset,
            previous_offset_secs: previous,
            reason,
        })
    }

    /// A [`TimeSource`] giving `base`'s time corrected for `endpoint`, for code that takes
    /// a clock (credential providers, S3 Express sessions).
    pub fn time_source(
        self: &Arc<Self>,
        endpoint: &str,
        base: Arc<dyn TimeSource>,
    ) -> Arc<dyn TimeSource> {
        Arc::new(SkewedClock {
            skew: Arc::clone(self),
            endpoint: endpoint_key(endpoint),
            base,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        // Every update is a single insert: a panic elsewhere cannot leave it half-done.
        self.offsets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug)]
struct SkewedClock {
    skew: Arc<ClockSkew>,
    endpoint: String,
    base: Arc<dyn TimeSource>,
}

impl TimeSource for SkewedClock {
    fn now(&self) -> SystemTime {
        self.skew.now(&self.endpoint, self.base.now())
    }
}

/// The key offsets are kept under: `scheme://authority`, lowercase, from a URL or an
/// endpoint (`https://host:port/path?q` and `https://HOST:port` give the same key).
pub fn endpoint_key(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if scheme.is_empty() {
        authority.to_ascii_lowercase()
    } else {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            authority.to_ascii_lowercase()
        )
    }
}

fn apply(t: SystemTime, offset: i64) -> SystemTime {
    let d = Duration::from_secs(offset.unsigned_abs());
    if offset >= 0 {
        t.checked_add(d).unwrap_or(t)
    } else {
        t.checked_sub(d).unwrap_or(t)
    }
}

/// `a - b` in whole seconds, rounded to the nearest second.
fn signed_diff(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => i64::try_from(d.as_millis().saturating_add(500) / 1000).unwrap_or(i64::MAX),
        Err(e) => {
            -i64::try_from(e.duration().as_millis().saturating_add(500) / 1000).unwrap_or(i64::MAX)
        }
    }
}

/// Whether the response is a clock-skew refusal, and the server's time it gives.
fn classify(r: &SkewResponse<'_>, local_now: SystemTime) -> Option<(SkewReason, SystemTime)> {
    if !(400..500).contains(&r.status) {
        return None;
    }
    let text = String::from_utf8_lossy(&r.body[..r.body.len().min(64 * 1024)]);
    let code = error_field(&text, "Code").or_else(|| error_field(&text, "__type"));
    // JSON protocols send `namespace#Code`.
    let code = code.map(|c| c.rsplit('#').next().unwrap_or("").trim().to_owned());
    let message = error_field(&text, "Message").unwrap_or_default();
    let header_time = r.date.and_then(parse_http_date);
    let body_time = || {
        error_field(&text, "ServerTime")
            .and_then(|t| AmzDate::parse_rfc3339(t.trim()))
            .map(|d| d.to_system_time())
            .or_else(|| server_time_in_message(&message))
    };
    let server = header_time.or_else(body_time);
    let reason = match code.as_deref() {
        Some("RequestTimeTooSkewed") => Some(SkewReason::RequestTimeTooSkewed),
        Some("RequestExpired") => Some(SkewReason::RequestExpired),
        Some("InvalidSignatureException" | "SignatureDoesNotMatch")
            if is_time_message(&message) =>
        {
            Some(SkewReason::SignatureTime)
        }
        _ => None,
    };
    match reason {
        Some(reason) => Some((reason, server?)),
        None if r.status == 403 => {
            let t = header_time?;
            let far = match t.duration_since(local_now) {
                Ok(d) => d,
                Err(e) => e.duration(),
            };
            (far > MAX_UNNOTICED_SKEW).then_some((SkewReason::ForbiddenWithSkewedDate, t))
        }
        None => None,
    }
}

fn is_time_message(m: &str) -> bool {
    let m = m.to_ascii_lowercase();
    m.contains("signature expired")
        || m.contains("not yet current")
        || m.contains("is now earlier than")
        || m.contains("is now later than")
        || m.contains("too skewed")
}

/// The server's time in messages like `Signature expired: 20240115T100000Z is now earlier
/// than 20240115T102500Z (20240115T104000Z - 15 min.)`: the time inside the parentheses.
fn server_time_in_message(m: &str) -> Option<SystemTime> {
    let open = m.rfind('(')?;
    let token = m[open + 1..].split_whitespace().next()?;
    AmzDate::parse(token.trim_end_matches(')')).map(|d| d.to_system_time())
}

/// The text of `<name>...</name>` (XML) or of `"name": "..."` (JSON), first occurrence;
/// JSON keys are matched without regard to case (`message` / `Message`).
fn error_field(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    if let Some(start) = text.find(&open).map(|i| i + open.len()) {
        let end = start + text[start..].find('<')?;
        return Some(xml_unescape(&text[start..end]));
    }
    let lower = text.to_ascii_lowercase();
    let key = format!("\"{}\"", name.to_ascii_lowercase());
    let at = lower.find(&key)? + key.len();
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats `t` as an HTTP `Date` in the IMF-fixdate form AWS services send
/// (`Mon, 15 Jan 2024 10:30:00 GMT`): what [`parse_http_date`] reads. `None` for times
/// AWS dates cannot express (before 1970, after 9999).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4_credentials::clock_skew::format_http_date;
/// let t = UNIX_EPOCH + Duration::from_secs(1_705_314_600);
/// assert_eq!(format_http_date(t).unwrap(), "Mon, 15 Jan 2024 10:30:00 GMT");
/// ```
pub fn format_http_date(t: SystemTime) -> Option<String> {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let d = AmzDate::from_system_time(t).ok()?;
    let s = d.date_time();
    let month: usize = s[4..6].parse().ok()?;
    let weekday = DAYS[usize::try_from((d.unix_seconds() / 86_400) % 7).ok()?];
    Some(format!(
        "{weekday}, {} {} {} {}:{}:{} GMT",
        &s[6..8],
        MONTHS.get(month.checked_sub(1)?)?,
        &s[0..4],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    ))
}

/// Parses an HTTP `Date` in the IMF-fixdate form every AWS service sends,
/// `Mon, 15 Jan 2024 10:30:00 GMT`. Other forms give `None`.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let (_, rest) = s.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? + 1;
    let year: u64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    let mut hms = time.split(':');
    let mut num = |max: u64| -> Option<u64> {
        let v: &str = hms.next()?;
        let n: u64 = (v.len() == 2).then(|| v.parse().ok()).flatten()?;
        (n <= max).then_some(n)
    };
    let (h, m, sec) = (num(23)?, num(59)?, num(60)?);
    let text = format!(
        "{year:04}{month:02}{day:02}T{h:02}{m:02}{:02}Z",
        sec.min(59)
    );
    // AmzDate validates the calendar date (day of month, leap years).
    let d = AmzDate::parse(&text)?;
    Some(UNIX_EPOCH + Duration::from_secs(d.unix_seconds()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: u64 = 1_705_314_600; // 2024-01-15T10:30:00Z

    fn local() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(LOCAL)
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Mon, 15 Jan 2024 10:30:00 GMT"),
            Some(local())
        );
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 00:00:01 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_709_164_801))
        );
        for bad in [
            "",
            "Mon, 15 Jan 2024 10:30:00",
            "Mon, 15 Foo 2024 10:30:00 GMT",
            "Mon, 30 Feb 2024 10:30:00 GMT",
            "Mon, 15 Jan 2024 25:30:00 GMT",
            "Mon, 15 Jan 2024 10:3:00 GMT",
            "Monday, 15-Jan-24 10:30:00 GMT",
            "Mon, 15 Jan 2024 10:30:00 GMT extra",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn endpoint_keys() {
        assert_eq!(
            endpoint_key("HTTPS://Bucket.S3.amazonaws.com:443/k?x=1"),
            "https://bucket.s3.amazonaws.com:443"
        );
        assert_eq!(
            endpoint_key("http://u:p@127.0.0.1:9/"),
            "http://127.0.0.1:9"
        );
        assert_eq!(endpoint_key("http://h"), "http://h");
    }

    fn learn(status: u16, date: Option<&str>, body: &str) -> Option<SkewCorrection> {
        ClockSkew::new().learn(
            "http://h",
            &SkewResponse {
                status,
                date,
                body: body.as_bytes(),
            },
            local(),
        )
    }

    #[test]
    fn the_refusals_that_teach_an_offset() {
        let ahead = Some("Mon, 15 Jan 2024 11:00:00 GMT");
        let behind = Some("Mon, 15 Jan 2024 10:00:00 GMT");
        let c = learn(
            403,
            ahead,
            "<Error><Code>RequestTimeTooSkewed</Code></Error>",
        )
        .unwrap();
        assert_eq!(
            (c.offset_secs, c.reason),
            (1800, SkewReason::RequestTimeTooSkewed)
        );
        let c = learn(400, behind, r#"{"__type":"com.amazon#RequestExpired"}"#).unwrap();
        assert_eq!(
            (c.offset_secs, c.reason),
            (-1800, SkewReason::RequestExpired)
        );
        // JSON services: InvalidSignatureException with the server time in the message.
        let c = learn(
            400,
            None,
            r#"{"__type":"InvalidSignatureException","message":"Signature expired: 20240115T100000Z is now earlier than 20240115T104500Z (20240115T110000Z - 15 min.)"}"#,
        )
        .unwrap();
        assert_eq!((c.offset_secs, c.reason), (1800, SkewReason::SignatureTime));
        // S3's body carries ServerTime when there is no Date.
        let c = learn(
            403,
            None,
            "<Error><Code>RequestTimeTooSkewed</Code><RequestTime>20240115T103000Z</RequestTime><ServerTime>2024-01-15T10:00:00Z</ServerTime></Error>",
        )
        .unwrap();
        assert_eq!(c.offset_secs, -1800);
        // Any 403 with a Date more than 5 minutes off.
        let c = learn(403, ahead, "<Error><Code>AccessDenied</Code></Error>").unwrap();
        assert_eq!(
            (c.offset_secs, c.reason),
            (1800, SkewReason::ForbiddenWithSkewedDate)
        );
    }

    #[test]
    fn other_responses_teach_nothing() {
        let near = Some("Mon, 15 Jan 2024 10:34:00 GMT");
        let far = Some("Mon, 15 Jan 2024 11:00:00 GMT");
        // A 403 with a Date within 5 minutes, a signature mismatch about something else,
        // a skew code without any server time, a 500 with a far Date, a 400 without a code.
        assert_eq!(
            learn(403, near, "<Error><Code>AccessDenied</Code></Error>"),
            None
        );
        assert_eq!(
            learn(
                400,
                far,
                r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match"}"#
            ),
            None
        );
        assert_eq!(
            learn(
                403,
                None,
                "<Error><Code>RequestTimeTooSkewed</Code></Error>"
            ),
            None
        );
        assert_eq!(learn(500, far, ""), None);
        assert_eq!(learn(400, far, "bad request"), None);
        assert_eq!(learn(404, far, ""), None);
    }

    #[test]
    fn offsets_are_kept_per_endpoint_and_applied() {
        let skew = Arc::new(ClockSkew::new());
        let r = SkewResponse {
            status: 403,
            date: Some("Mon, 15 Jan 2024 10:00:00 GMT"),
            body: b"",
        };
        let c = skew.learn("http://A:1/x", &r, local()).unwrap();
        assert_eq!((c.offset_secs, c.previous_offset_secs), (-1800, 0));
        assert_eq!(skew.offset("http://a:1"), Some(-1800));
        assert_eq!(
            skew.now("http://a:1/y?z", local()),
            local() - Duration::from_secs(1800)
        );
        assert_eq!(skew.offset("http://a:2"), None);
        let clock = skew.time_source("http://a:1", Arc::new(crate::FixedClock(local())));
        assert_eq!(clock.now(), local() - Duration::from_secs(1800));
        skew.set_offset("http://a:1", 5);
        assert_eq!(clock.now(), local() + Duration::from_secs(5));
    }
}
