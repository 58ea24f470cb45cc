//! Percent-encoding and hex as SigV4 defines them (RFC 3986 unreserved set, uppercase hex).

/// A `[bool; 256]` of `rule` (a `const fn` of one `u8`) for every byte, built at
/// compile time: the per-byte checks of the signing path are one load each.
macro_rules! byte_table {
    ($rule:expr) => {{
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = $rule(i as u8);
            i += 1;
        }
        t
    }};
}
pub(crate) use byte_table;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// `A-Z a-z 0-9 - . _ ~`: the only bytes SigV4 leaves unencoded.
#[inline]
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// [`is_unreserved`] as a table (one load per byte of the percent-encoding scans).
pub(crate) static UNRESERVED: [bool; 256] = byte_table!(is_unreserved);

/// Appends `bytes` percent-encoded: unreserved bytes (and `/` when `keep_slash`) stay as they are.
pub(crate) fn encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    // Text (nearly always): copy its runs as `str` slices, with no check per run.
    if let Ok(text) = std::str::from_utf8(bytes) {
        encode_str_into(out, text, keep_slash);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        // Everything before `i` is ASCII unreserved, so it is valid UTF-8.
        out.push_str(ascii(&bytes[start..i]));
        push_escape(out, b);
        start = i + 1;
    }
    out.push_str(ascii(&bytes[start..]));
}

/// [`encode_into`] for text: the same bytes out.
pub(crate) fn encode_str_into(out: &mut String, text: &str, keep_slash: bool) {
    let mut start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if UNRESERVED[usize::from(b)] || (keep_slash && b == b'/') {
            continue;
        }
        // A non-empty run is ASCII after an escaped byte or the start, up to a byte that
        // begins a character: both ends are character boundaries.
        if start < i {
            out.push_str(text.get(start..i).unwrap_or_default());
        }
        push_escape(out, b);
        start = i + 1;
    }
    if start < text.len() {
        out.push_str(text.get(start..).unwrap_or_default());
    }
}

#[inline]
pub(crate) fn push_escape(out: &mut String, b: u8) {
    out.push('%');
    out.push(HEX_UPPER[usize::from(b >> 4)] as char);
    out.push(HEX_UPPER[usize::from(b & 15)] as char);
}

#[inline]
fn ascii(b: &[u8]) -> &str {
    // Callers only pass runs of ASCII; fall back to an empty string rather than panic.
    std::str::from_utf8(b).unwrap_or_default()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `%XX` escapes into `out`. A `%` not followed by two hex digits is kept
/// literally; `+` is a literal plus (this is URI, not form, decoding).
pub(crate) fn decode_into(out: &mut Vec<u8>, s: &[u8]) {
    decode_query_into(out, s, false);
}

/// [`decode_into`], reading a raw `+` as a space when `plus_is_space` (form decoding of a
/// query component; `%2B` stays a plus either way).
pub(crate) fn decode_query_into(out: &mut Vec<u8>, s: &[u8], plus_is_space: bool) {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex_val(s[i + 1]), hex_val(s[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
}

/// The lowercase hex SHA-256 of the empty string (a chunk's string to sign, an empty body).
pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `hex_lower` output as text (it is always ASCII).
pub(crate) fn hex_str(hex: &[u8]) -> &str {
    std::str::from_utf8(hex).unwrap_or_default()
}

/// Lowercase hex of `bytes` into a fixed buffer (`N` must be `2 * bytes.len()`).
pub(crate) fn hex_lower<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    out
}

/// The two lowercase hex digits of every byte (one load per byte of a hash or signature).
static HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX_LOWER[i >> 4], HEX_LOWER[i & 15]];
        i += 1;
    }
    t
};

/// Percent-encodes a path (an S3 object key, a path segment or a whole path) for the wire:
/// every byte but the unreserved characters `A-Z a-z 0-9 - . _ ~` and `/` becomes `%XX`
/// (uppercase hex, UTF-8 bytes), so the result can be put into a URL as it is and signed as
/// sent under both the S3 and the default rules.
///
/// ```
/// let key = "photos/2024/my cat+dog (1).jpg";
/// assert_eq!(sigv4::uri_encode_path(key), "photos/2024/my%20cat%2Bdog%20%281%29.jpg");
/// assert_eq!(sigv4::uri_encode_path("/été/a?b#c"), "/%C3%A9t%C3%A9/a%3Fb%23c");
/// let url = format!("https://bucket.s3.eu-west-1.amazonaws.com/{}", sigv4::uri_encode_path(key));
/// ```
pub fn uri_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + path.len() / 4);
    encode_into(&mut out, path.as_bytes(), true);
    out
}

/// Lowercase hex of `bytes` as a `String`.
///
/// ```
/// assert_eq!(sigv4::hex(&[0xde, 0xad, 0x01]), "dead01");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX_LOWER[usize::from(b >> 4)] as char);
        s.push(HEX_LOWER[usize::from(b & 15)] as char);
    }
    s
}

/// Hex SHA-256 of `data`, as used for payload hashes.
///
/// ```
/// assert_eq!(
///     sigv4::sha256_hex(b""),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &[u8], slash: bool) -> String {
        let mut o = String::new();
        encode_into(&mut o, s, slash);
        o
    }

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(enc(b"AZaz09-._~", false), "AZaz09-._~");
        assert_eq!(enc(b"a b/c+%", false), "a%20b%2Fc%2B%25");
        assert_eq!(enc(b"a b/c", true), "a%20b/c");
        assert_eq!(enc("ሴ".as_bytes(), true), "%E1%88%B4");
        assert_eq!(enc(b"\xff", false), "%FF");
    }

    #[test]
    fn text_is_encoded_as_its_bytes_are() {
        for t in [
            "",
            "a",
            "a b/c+%",
            "ሴ",
            "aሴb",
            "é/é",
            "AZaz09-._~",
            "/",
            "x y",
        ] {
            for slash in [false, true] {
                let mut bytes_way = String::from("x");
                let mut start = 0;
                // The byte path of `encode_into`, run by hand on the same input.
                for (i, &b) in t.as_bytes().iter().enumerate() {
                    if is_unreserved(b) || (slash && b == b'/') {
                        continue;
                    }
                    bytes_way.push_str(ascii(&t.as_bytes()[start..i]));
                    push_escape(&mut bytes_way, b);
                    start = i + 1;
                }
                bytes_way.push_str(ascii(&t.as_bytes()[start..]));
                let mut got = String::from("x");
                encode_str_into(&mut got, t, slash);
                assert_eq!(got, bytes_way, "{t:?}");
            }
        }
    }

    #[test]
    fn decodes_escapes_and_keeps_bad_ones() {
        let dec = |s: &str| {
            let mut v = Vec::new();
            decode_into(&mut v, s.as_bytes());
            v
        };
        assert_eq!(dec("a%20b%2fc"), b"a b/c");
        assert_eq!(dec("a+b"), b"a+b");
        assert_eq!(dec("%zz%4"), b"%zz%4");
        assert_eq!(dec("%"), b"%");
        assert_eq!(dec("%41"), b"A");
        assert_eq!(dec("%FF"), b"\xff");
    }
}
