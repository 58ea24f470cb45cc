//! Formatting signing times as SigV4 wants them (`20150830T123600Z`), without a clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::SigningError;

/// A time parameter of this crate: every public function or constructor that takes the
/// time of a signature takes `impl SigningTime`, so a [`SystemTime`] (the clock) and an
/// [`AmzDate`] (the time of a signature already made, such as a chunk signer's seed) are
/// both accepted.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4::{AmzDate, SigningTime};
/// let t = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
/// let d = AmzDate::from_system_time(t)?;
/// assert_eq!(t.amz_date()?, d);
/// assert_eq!(d.amz_date()?, d);
/// # Ok::<(), sigv4::SigningError>(())
/// ```
pub trait SigningTime {
    /// The time as SigV4 writes it (whole seconds). Fails before 1970 or after year 9999.
    fn amz_date(&self) -> Result<AmzDate, SigningError>;
}

impl SigningTime for SystemTime {
    fn amz_date(&self) -> Result<AmzDate, SigningError> {
        AmzDate::from_system_time(*self)
    }
}

impl SigningTime for AmzDate {
    fn amz_date(&self) -> Result<AmzDate, SigningError> {
        Ok(*self)
    }
}

impl<T: SigningTime + ?Sized> SigningTime for &T {
    fn amz_date(&self) -> Result<AmzDate, SigningError> {
        (**self).amz_date()
    }
}

/// A signing time, already formatted as the ISO 8601 basic form SigV4 uses.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = sigv4::AmzDate::from_system_time(UNIX_EPOCH + Duration::from_secs(1_440_938_160)).unwrap();
/// assert_eq!(t.date_time(), "20150830T123600Z");
/// assert_eq!(t.date(), "20150830");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AmzDate {
    text: [u8; 16],
    secs: u64,
}

impl AmzDate {
    /// Formats `time` (sub-second precision is dropped). Fails before 1970 or after year 9999.
    pub fn from_system_time(time: SystemTime) -> Result<Self, SigningError> {
        let secs = time
            .duration_since(UNIX_EPOCH)
            .map_err(|_| SigningError::TimeOutOfRange)?
            .as_secs();
        Self::from_unix_seconds(secs)
    }

    /// Formats seconds since the Unix epoch. Fails after year 9999.
    pub fn from_unix_seconds(secs: u64) -> Result<Self, SigningError> {
        // 9999-12-31T23:59:59Z
        if secs > 253_402_300_799 {
            return Err(SigningError::TimeOutOfRange);
        }
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, (rem / 60) % 60, rem % 60);
        let mut text = *b"00000000T000000Z";
        put(&mut text[0..4], y as u64);
        put(&mut text[4..6], m as u64);
        put(&mut text[6..8], d as u64);
        put(&mut text[9..11], hh);
        put(&mut text[11..13], mm);
        put(&mut text[13..15], ss);
        Ok(AmzDate { text, secs })
    }

    /// Parses the basic form `20150830T123600Z` (as in an `x-amz-date` header).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u64> {
            b[r].iter().try_fold(0u64, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
            })
        };
        from_parts(
            num(0..4)?,
            num(4..6)?,
            num(6..8)?,
            num(9..11)?,
            num(11..13)?,
            num(13..15)?,
        )
    }

    /// Parses RFC 3339 / ISO 8601 extended form in UTC, `2015-08-30T12:36:00Z`
    /// (fractional seconds are accepted and dropped), or the basic form.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        if let Some(t) = Self::parse(s) {
            return Some(t);
        }
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        // Not `&s[19..]`: byte 19 may fall inside a multi-byte character (found by fuzzing).
        let rest = s.get(19..)?;
        let rest = match rest.strip_prefix('.') {
            Some(frac) => frac.trim_start_matches(|c: char| c.is_ascii_digit()),
            None => rest,
        };
        if rest != "Z" && rest != "z" && rest != "+00:00" {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u64> {
            b[r].iter().try_fold(0u64, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
            })
        };
        from_parts(
            num(0..4)?,
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        )
    }

    /// `YYYYMMDDTHHMMSSZ`, the value of `x-amz-date`.
    pub fn date_time(&self) -> &str {
        // The buffer only ever holds ASCII digits, 'T' and 'Z'.
        std::str::from_utf8(&self.text).unwrap_or("")
    }

    /// `YYYYMMDD`, the date of the credential scope.
    pub fn date(&self) -> &str {
        &self.date_time()[..8]
    }

    /// RFC 3339 form, `2015-08-30T12:36:00Z`.
    pub fn to_rfc3339(&self) -> String {
        let t = self.date_time();
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &t[0..4],
            &t[4..6],
            &t[6..8],
            &t[9..11],
            &t[11..13],
            &t[13..15]
        )
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> u64 {
        self.secs
    }

    /// The time as a `SystemTime`.
    pub fn to_system_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.secs)
    }
}

impl std::fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.date_time())
    }
}

impl std::fmt::Display for AmzDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.date_time())
    }
}

fn from_parts(y: u64, mo: u64, d: u64, h: u64, mi: u64, s: u64) -> Option<AmzDate> {
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let dim = days_in_month(y as i64, mo as u32);
    if d == 0 || d > u64::from(dim) {
        return None;
    }
    let days = days_from_civil(y as i64, mo as u32, d as u32);
    let secs = days as u64 * 86_400 + h * 3600 + mi * 60 + s.min(59);
    AmzDate::from_unix_seconds(secs).ok()
}

fn put(dst: &mut [u8], mut v: u64) {
    for slot in dst.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's days <-> civil date algorithms (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_times() {
        let t = AmzDate::from_unix_seconds(1_440_938_160).unwrap();
        assert_eq!(t.date_time(), "20150830T123600Z");
        assert_eq!(
            AmzDate::from_unix_seconds(0).unwrap().date_time(),
            "19700101T000000Z"
        );
        assert_eq!(
            AmzDate::from_unix_seconds(951_782_400).unwrap().date_time(),
            "20000229T000000Z"
        );
        assert_eq!(
            AmzDate::from_unix_seconds(253_402_300_799)
                .unwrap()
                .date_time(),
            "99991231T235959Z"
        );
        assert!(AmzDate::from_unix_seconds(253_402_300_800).is_err());
    }

    #[test]
    fn parse_round_trips() {
        for secs in [
            0u64,
            1,
            86_399,
            951_782_400,
            1_234_567_890,
            1_440_938_160,
            4_102_444_800,
        ] {
            let t = AmzDate::from_unix_seconds(secs).unwrap();
            assert_eq!(AmzDate::parse(t.date_time()), Some(t));
        }
        let t = AmzDate::parse_rfc3339("2015-08-30T12:36:00Z").unwrap();
        assert_eq!(t.unix_seconds(), 1_440_938_160);
        assert_eq!(t.to_rfc3339(), "2015-08-30T12:36:00Z");
        assert_eq!(AmzDate::parse_rfc3339("2015-08-30T12:36:00.123Z"), Some(t));
        assert_eq!(AmzDate::parse_rfc3339("2015-02-30T12:36:00Z"), None);
        assert_eq!(AmzDate::parse_rfc3339("2015-08-30 12:36:00Z"), None);
        assert_eq!(AmzDate::parse_rfc3339("1969-12-31T23:59:59Z"), None);
    }

    #[test]
    fn before_epoch_is_an_error() {
        let t = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(
            AmzDate::from_system_time(t),
            Err(SigningError::TimeOutOfRange)
        );
    }
}
