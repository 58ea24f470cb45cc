//! The canonical headers of a canonical request: each signed header as a lowercase name
//! and a canonical value (`name:value`), sorted by name, then the signed-headers list.
//!
//! Part of [`crate::canonical_request`], which re-exports the public items.

use crate::encoding::byte_table;
use crate::SigningError;

/// Whether `b` may appear in an HTTP header name (an RFC 9110 token character).
#[inline]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// [`tchar_rule`] as a table: one load per byte of every header name and method signed.
static TCHAR: [bool; 256] = byte_table!(tchar_rule);

/// The RFC 9110 `tchar` rule.
const fn tchar_rule(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Checks that `name` is a valid header name.
pub(crate) fn validate_header_name(name: &str) -> Result<(), SigningError> {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(SigningError::InvalidHeaderName(name.to_owned()));
    }
    Ok(())
}

/// Appends the canonical form of a header value: leading and trailing whitespace removed,
/// each inner run of whitespace (spaces, tabs, and obsolete line folding) collapsed to one
/// space. Control characters other than those, and a CR or LF that is not a line fold, are
/// an error, as are bytes that are not UTF-8.
///
/// ```
/// use sigv4::canonical_request::canonical_header_value;
/// let mut s = String::new();
/// canonical_header_value(&mut s, b"  \"a   b\tc\"  ").unwrap();
/// assert_eq!(s, "\"a b c\"");
/// ```
pub fn canonical_header_value(out: &mut String, value: &[u8]) -> Result<(), InvalidHeaderValue> {
    if is_canonical_ascii_value(value) {
        // The common case: printable ASCII, single inner spaces, nothing to trim.
        out.push_str(std::str::from_utf8(value).map_err(|_| InvalidHeaderValue::NotUtf8)?);
        return Ok(());
    }
    let text = std::str::from_utf8(value).map_err(|_| InvalidHeaderValue::NotUtf8)?;
    let mut pending_space = false;
    let mut wrote = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let ws = match b {
            b' ' | b'\t' => true,
            b'\r' | b'\n' => {
                // Obsolete line folding: CRLF (or LF) followed by a space or tab.
                let mut j = i;
                if bytes[j] == b'\r' {
                    j += 1;
                    if bytes.get(j) != Some(&b'\n') {
                        return Err(InvalidHeaderValue::Control);
                    }
                }
                if !matches!(bytes.get(j + 1), Some(b' ' | b'\t')) {
                    return Err(InvalidHeaderValue::Control);
                }
                i = j;
                true
            }
            0..=0x1f | 0x7f => return Err(InvalidHeaderValue::Control),
            _ => false,
        };
        if ws {
            pending_space = wrote;
            i += 1;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        // Copy the run of non-whitespace bytes in one go.
        let mut j = i;
        while j < bytes.len() && !matches!(bytes[j], b' ' | b'\t' | b'\r' | b'\n' | 0..=0x1f | 0x7f)
        {
            j += 1;
        }
        out.push_str(&text[i..j]);
        wrote = true;
        i = j;
    }
    Ok(())
}

/// [`canonical_header_value`], copying a value that is canonical already as it checks it
/// (one pass, no separate UTF-8 check: such a value is ASCII), and canonicalizing it when
/// the check fails part-way.
pub(crate) fn push_canonical_value(
    out: &mut String,
    value: &[u8],
) -> Result<(), InvalidHeaderValue> {
    let mark = out.len();
    let mut prev_space = true; // a leading space is not canonical
    for &b in value {
        match b {
            b' ' if !prev_space => prev_space = true,
            0x21..=0x7e => prev_space = false,
            _ => {
                prev_space = true;
                break;
            }
        }
        out.push(char::from(b));
    }
    if prev_space && !value.is_empty() {
        // Not canonical as it is (or a trailing space): start again the long way.
        out.truncate(mark);
        return canonical_header_value(out, value);
    }
    Ok(())
}

/// Whether `value` is already canonical and plain: visible ASCII and single spaces, with no
/// space at either end (then canonicalization copies it unchanged).
pub(crate) fn is_canonical_ascii_value(value: &[u8]) -> bool {
    let mut prev_space = true; // a leading space is not canonical
    for &b in value {
        match b {
            b' ' if prev_space => return false,
            b' ' => prev_space = true,
            0x21..=0x7e => prev_space = false,
            _ => return false,
        }
    }
    !prev_space || value.is_empty()
}

/// Why a header value cannot be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidHeaderValue {
    /// The value is not UTF-8.
    NotUtf8,
    /// The value holds a control character, or a CR/LF that is not a line fold.
    Control,
}

/// Reusable buffers for header canonicalization.
#[derive(Default)]
pub(crate) struct HeaderScratch {
    /// `name:value` per header, the name lowercased and the value canonical, so a
    /// canonical header line is one copy.
    pub(crate) text: String,
    /// Where each header lies in `text`, in input order: the name is `start..mid`, the
    /// value starts after the `:` at `mid` and ends at `end`.
    pub(crate) entries: Vec<SortEntry>,
}

impl HeaderScratch {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.entries.clear();
    }

    /// Adds a header whose name is lowercased here and whose value is canonicalized.
    pub(crate) fn push(&mut self, name: &str, value: &[u8]) -> Result<(), SigningError> {
        let ns = self.text.len();
        self.text.push_str(name);
        self.text[ns..].make_ascii_lowercase();
        let ne = self.text.len();
        self.text.push(':');
        push_canonical_value(&mut self.text, value)
            .map_err(|_| SigningError::InvalidHeaderValue(name.to_owned()))?;
        self.entries.push(SortEntry::new(
            self.text.as_bytes(),
            ns,
            ne,
            self.text.len(),
        ));
        Ok(())
    }

    /// Adds a header signing made itself, whose name is lowercase and whose value is
    /// canonical already (the signing time, the payload line): copied, not re-checked.
    pub(crate) fn push_canonical(&mut self, name: &str, value: &str) {
        debug_assert!(!name.bytes().any(|b| b.is_ascii_uppercase()));
        debug_assert!(is_canonical_ascii_value(value.as_bytes()));
        let ns = self.text.len();
        self.text.push_str(name);
        let ne = self.text.len();
        self.text.push(':');
        self.text.push_str(value);
        self.entries.push(SortEntry::new(
            self.text.as_bytes(),
            ns,
            ne,
            self.text.len(),
        ));
    }

    pub(crate) fn name(&self, e: SortEntry) -> &str {
        &self.text[e.key()]
    }

    pub(crate) fn value(&self, e: SortEntry) -> &str {
        &self.text[e.mid as usize + 1..e.end as usize]
    }

    /// `name:value`.
    fn line(&self, e: SortEntry) -> &str {
        &self.text[e.start as usize..e.end as usize]
    }

    /// Sorts by name, keeping the order of repeated names (their values are joined in order).
    pub(crate) fn sort(&mut self) {
        sort_entries(&mut self.entries, self.text.as_bytes(), false);
    }

    /// Appends `name:v1,v2\n` lines for the sorted entries, then returns where the
    /// signed-headers list starts and ends after appending it (`a;b;c`).
    pub(crate) fn write(&self, out: &mut String) -> (usize, usize) {
        let mut prev: Option<SortEntry> = None;
        for &e in &self.entries {
            if prev.is_some_and(|p| p.same_key(e, self.text.as_bytes())) {
                out.push(',');
                out.push_str(self.value(e));
            } else {
                if prev.is_some() {
                    out.push('\n');
                }
                out.push_str(self.line(e));
            }
            prev = Some(e);
        }
        if prev.is_some() {
            out.push('\n');
        }
        out.push('\n');
        let start = out.len();
        self.write_signed_list(out);
        (start, out.len())
    }

    /// Appends the signed-headers list of the sorted entries, `a;b;c`.
    pub(crate) fn write_signed_list(&self, out: &mut String) {
        self.write_names::<false>(out);
    }

    /// Appends the signed-headers list percent-encoded as a query value
    /// (`X-Amz-SignedHeaders`): `a%3Bb%3Bc`.
    pub(crate) fn write_signed_list_encoded(&self, out: &mut String) {
        self.write_names::<true>(out);
    }

    /// Appends each signed name once, in order, separated by `;`, the whole percent-encoded
    /// when `ENCODE`.
    fn write_names<const ENCODE: bool>(&self, out: &mut String) {
        let mut prev: Option<SortEntry> = None;
        for &e in &self.entries {
            if !prev.is_some_and(|p| p.same_key(e, self.text.as_bytes())) {
                if prev.is_some() {
                    if ENCODE {
                        out.push_str("%3B");
                    } else {
                        out.push(';');
                    }
                }
                if ENCODE {
                    crate::encoding::encode_str_into(out, self.name(e), false);
                } else {
                    out.push_str(self.name(e));
                }
            }
            prev = Some(e);
        }
    }
}

/// A key (and value) of a scratch text to sort: the key is `start..mid`, the value
/// `mid..end`; `prefix` holds the key's first eight bytes (zero-padded, big-endian), so
/// that most comparisons of the few headers or parameters of a request are one integer
/// comparison rather than a call comparing slices.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SortEntry {
    prefix: u64,
    pub(crate) start: u32,
    pub(crate) mid: u32,
    pub(crate) end: u32,
}

impl SortEntry {
    /// The entry of `text[start..end]` keyed by `text[start..mid]`.
    pub(crate) fn new(text: &[u8], start: usize, mid: usize, end: usize) -> Self {
        let key = &text[start..mid];
        let prefix = match key.first_chunk::<8>() {
            Some(head) => u64::from_be_bytes(*head),
            // Shorter keys: their bytes, then zeros (a loop, not a call copying a few bytes).
            None => key
                .iter()
                .chain(std::iter::repeat(&0))
                .take(8)
                .fold(0, |acc, &b| acc << 8 | u64::from(b)),
        };
        SortEntry {
            prefix,
            start: start as u32,
            mid: mid as u32,
            end: end as u32,
        }
    }

    pub(crate) fn key(self) -> std::ops::Range<usize> {
        self.start as usize..self.mid as usize
    }

    /// Whether `self` and `other` have the same key (mostly told by the prefixes alone).
    fn same_key(self, other: SortEntry, text: &[u8]) -> bool {
        self.prefix == other.prefix
            && self.mid - self.start == other.mid - other.start
            && text[self.key()] == text[other.key()]
    }

    /// Whether `self` sorts before `other` by key (bytewise), then, when `by_value`, by
    /// value. Where the zero-padded prefixes differ they order the keys as the whole keys
    /// do (padding only meets a key's end, which sorts first); only equal prefixes need
    /// the bytes compared.
    fn before(self, other: SortEntry, text: &[u8], by_value: bool) -> bool {
        if self.prefix != other.prefix {
            return self.prefix < other.prefix;
        }
        match text[self.key()].cmp(&text[other.key()]) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => {
                by_value
                    && text[self.mid as usize..self.end as usize]
                        < text[other.mid as usize..other.end as usize]
            }
        }
    }
}

/// Sorts `entries` by key (then by value when `by_value`), stably: an insertion sort for
/// the handful of headers or parameters a request has, the standard sort beyond that.
pub(crate) fn sort_entries(entries: &mut [SortEntry], text: &[u8], by_value: bool) {
    if entries.len() > 16 {
        entries.sort_by(|a, b| {
            if a.before(*b, text, by_value) {
                std::cmp::Ordering::Less
            } else if b.before(*a, text, by_value) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        return;
    }
    for i in 1..entries.len() {
        let e = entries[i];
        let mut j = i;
        while j > 0 && e.before(entries[j - 1], text, by_value) {
            entries[j] = entries[j - 1];
            j -= 1;
        }
        entries[j] = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoded_signed_list_is_the_list_percent_encoded() {
        let mut hs = HeaderScratch::default();
        for name in ["X-Amz-Date", "a!b", "host", "a!b", "c#d~e"] {
            hs.push(name, b"v").unwrap();
        }
        hs.sort();
        let mut list = String::new();
        hs.write_signed_list(&mut list);
        assert_eq!(list, "a!b;c#d~e;host;x-amz-date");
        let mut want = String::new();
        crate::encoding::encode_into(&mut want, list.as_bytes(), false);
        let mut got = String::from("x");
        hs.write_signed_list_encoded(&mut got);
        assert_eq!(got, format!("x{want}"));
    }

    #[test]
    fn small_sort_orders_as_the_standard_sort() {
        // Keys around the 8-byte prefix: shorter, equal, longer, with NUL and high bytes.
        let keys: [&[u8]; 12] = [
            b"x-amz-date",
            b"x-amz-da",
            b"x-amz-d",
            b"host",
            b"host\0",
            b"hos",
            b"a",
            b"x-amz-date",
            b"\xffz",
            b"x-amz-dat\0",
            b"",
            b"x-amz-content-sha256",
        ];
        let values: [&[u8]; 3] = [b"2", b"1", b""];
        for n in [keys.len(), 17 + keys.len()] {
            for by_value in [false, true] {
                let mut text = Vec::new();
                let mut entries = Vec::new();
                for i in 0..n {
                    let start = text.len();
                    text.extend_from_slice(keys[i % keys.len()]);
                    let mid = text.len();
                    text.extend_from_slice(values[i % values.len()]);
                    entries.push(SortEntry::new(&text, start, mid, text.len()));
                }
                let mut want = entries.clone();
                let kv = |e: &SortEntry| {
                    let v = if by_value {
                        &text[e.mid as usize..e.end as usize]
                    } else {
                        &[][..]
                    };
                    (&text[e.key()], v)
                };
                want.sort_by(|a, b| kv(a).cmp(&kv(b)));
                sort_entries(&mut entries, &text, by_value);
                let got: Vec<_> = entries.iter().map(|e| e.start).collect();
                let want: Vec<_> = want.iter().map(|e| e.start).collect();
                assert_eq!(got, want, "n={n} by_value={by_value}");
            }
        }
    }

    #[test]
    fn plain_header_values_take_the_fast_path_only_when_already_canonical() {
        for v in [
            &b"a b"[..],
            b"a",
            b"",
            b"bytes=0-1023",
            b"a  b",
            b" a",
            b"a ",
            b" ",
            b"a\tb",
            b"\xc3\xa9",
        ] {
            if is_canonical_ascii_value(v) {
                let mut fast = String::new();
                canonical_header_value(&mut fast, v).unwrap();
                assert_eq!(fast.as_bytes(), v);
            }
        }
        for b in 0..=255u8 {
            let token = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_tchar(b), token, "byte {b}");
        }
        assert!(is_canonical_ascii_value(b"a b"));
        assert!(!is_canonical_ascii_value(b"a  b"));
        assert!(!is_canonical_ascii_value(b" a"));
        assert!(!is_canonical_ascii_value(b"a "));
        assert!(!is_canonical_ascii_value(b"a\tb"));
        assert!(!is_canonical_ascii_value(b"\xc3\xa9"));
    }

    #[test]
    fn header_values() {
        for c in [canonical_header_value, push_canonical_value] {
            header_values_with(c);
        }
    }

    fn header_values_with(f: fn(&mut String, &[u8]) -> Result<(), InvalidHeaderValue>) {
        let c = |v: &[u8]| {
            let mut s = String::from("k:");
            f(&mut s, v).map(|_| s[2..].to_owned())
        };
        assert_eq!(c(b"  a  b  ").unwrap(), "a b");
        assert_eq!(
            c(b"value1\n  value2\n     value3").unwrap(),
            "value1 value2 value3"
        );
        assert_eq!(c(b"a\r\n b").unwrap(), "a b");
        assert_eq!(c(b"").unwrap(), "");
        assert_eq!(c(b"   ").unwrap(), "");
        assert_eq!(c(b"a\nb"), Err(InvalidHeaderValue::Control));
        assert_eq!(c(b"a\rb"), Err(InvalidHeaderValue::Control));
        assert_eq!(c(b"a\0b"), Err(InvalidHeaderValue::Control));
        assert_eq!(c(b"a\n"), Err(InvalidHeaderValue::Control));
        assert_eq!(c(b"\xff"), Err(InvalidHeaderValue::NotUtf8));
        assert_eq!(c(b"a b").unwrap(), "a b");
        assert_eq!(c(b"a").unwrap(), "a");
        assert_eq!(c(b"a ").unwrap(), "a");
        assert_eq!(c(b"a b \xc3\xa9").unwrap(), "a b \u{e9}");
        assert_eq!(c(b"bytes=0-1023").unwrap(), "bytes=0-1023");
    }
}
