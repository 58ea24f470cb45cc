//! The canonical request: method, canonical URI, canonical query string, canonical headers,
//! signed headers and payload hash, each on its own line.
//!
//! The functions here are the building blocks the signer, SigV4a and the verifier share.
//! They append to a caller's buffer so the hot path builds the whole canonical request in
//! one allocation.

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::encoding::{
    byte_table, decode_query_into, encode_into, encode_str_into, hex_lower, hex_str, is_unreserved,
    push_escape, UNRESERVED,
};
use crate::settings::{
    STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    UNSIGNED_PAYLOAD,
};
use crate::{Payload, QueryPlus, SigningError, UriRules};

pub use crate::canonical_headers::{canonical_header_value, InvalidHeaderValue};
pub(crate) use crate::canonical_headers::{is_tchar, validate_header_name, HeaderScratch};
use crate::canonical_headers::{sort_entries, SortEntry};

/// What goes into a canonical request besides its headers (already collected, sorted, in
/// a [`HeaderScratch`]).
pub(crate) struct CanonicalParts<'a> {
    pub(crate) method: &'a str,
    /// The path as sent on the wire.
    pub(crate) path: &'a str,
    /// The raw query, without `?`.
    pub(crate) query: &'a str,
    /// Parameters added to the query, already canonically encoded (presigning's `X-Amz-*`).
    pub(crate) extra_query: &'a [(&'a str, &'a str)],
    /// What a raw `+` in the query means.
    pub(crate) query_plus: QueryPlus,
    /// How the path is canonicalized (normalized, encoded twice: not for S3).
    pub(crate) uri_rules: UriRules,
    /// The payload line: a hex SHA-256, `UNSIGNED-PAYLOAD` or a streaming marker.
    pub(crate) payload_line: &'a str,
}

/// Where the parts of a canonical request written by [`write_canonical_request`] lie.
pub(crate) struct CanonicalRanges {
    /// The whole canonical request.
    pub(crate) whole: Range<usize>,
    /// The signed-headers list, `a;b;c`.
    pub(crate) signed_headers: Range<usize>,
    /// Whether the raw query had an empty `&`-separated piece.
    pub(crate) query_empty_piece: bool,
}

/// Appends the whole canonical request, one line per part:
/// method, canonical URI, canonical query, canonical headers (and a blank line), signed
/// headers, payload line. Query keys for which `skip(decoded_key)` holds are left out.
pub(crate) fn write_canonical_request(
    out: &mut String,
    parts: &CanonicalParts<'_>,
    headers: &HeaderScratch,
    query_scratch: &mut QueryScratch,
    skip: impl Fn(&[u8]) -> bool,
) -> CanonicalRanges {
    let start = out.len();
    out.push_str(parts.method);
    out.push('\n');
    canonical_uri(out, parts.path, parts.uri_rules);
    out.push('\n');
    let query_empty_piece = canonical_query_with(
        query_scratch,
        out,
        parts.query,
        parts.query_plus,
        parts.extra_query,
        skip,
    );
    out.push('\n');
    let (sh_start, sh_end) = headers.write(out);
    out.push('\n');
    out.push_str(parts.payload_line);
    CanonicalRanges {
        whole: start..out.len(),
        signed_headers: sh_start..sh_end,
        query_empty_piece,
    }
}

/// The lowercase hex SHA-256 of a canonical request: the last line of the string to sign.
pub(crate) fn canonical_request_hash(canonical_request: &[u8]) -> [u8; 64] {
    hex_lower(&Sha256::digest(canonical_request))
}

/// The payload line of a canonical request: the hex SHA-256 of the body, or a fixed text.
pub(crate) enum PayloadLine<'a> {
    /// The hex SHA-256 of the body's bytes.
    Hashed([u8; 64]),
    /// A precomputed hash, `UNSIGNED-PAYLOAD` or a `STREAMING-*` marker.
    Text(&'a str),
}

impl<'a> PayloadLine<'a> {
    /// The line for `payload`; a precomputed value must be 64 hex digits or a marker
    /// (uppercase letters, digits and `-`).
    pub(crate) fn of(payload: &Payload<'a>) -> Result<Self, SigningError> {
        Ok(PayloadLine::Text(match *payload {
            Payload::Bytes(b) => return Ok(PayloadLine::Hashed(hex_lower(&Sha256::digest(b)))),
            Payload::Precomputed(h) => {
                let hex_ok = h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
                // Anything else must at least be a single printable token (a marker).
                let marker_ok = !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
                if !(hex_ok || marker_ok) {
                    return Err(SigningError::InvalidPayloadHash(
                        h.chars().take(80).collect(),
                    ));
                }
                h
            }
            Payload::Unsigned => UNSIGNED_PAYLOAD,
            Payload::StreamingSigned => STREAMING_SIGNED_PAYLOAD,
            Payload::StreamingSignedTrailer => STREAMING_SIGNED_PAYLOAD_TRAILER,
            Payload::StreamingUnsignedTrailer => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        }))
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            PayloadLine::Hashed(hex) => hex_str(hex),
            PayloadLine::Text(t) => t,
        }
    }
}

/// Checks that `method` is an HTTP token (the first line of the canonical request).
pub(crate) fn validate_method(method: &str) -> Result<(), SigningError> {
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(SigningError::InvalidMethod(method.to_owned()));
    }
    Ok(())
}

/// Appends the canonical URI of `path` (the path as sent on the wire, without the query).
///
/// * `normalize`: remove `.` and `..` segments and collapse repeated slashes, keeping a
///   trailing slash (the default rules; S3 does not normalize).
/// * `double_encode`: percent-encode the (already encoded) wire path once more, so `%20`
///   signs as `%2520` (the default rules). Without it the wire path is used as-is and only
///   bytes that cannot appear raw in a URL (space, controls, non-ASCII, `"<>\^`{|}`) are
///   encoded (the S3 rules).
///
/// An empty path signs as `/`.
///
/// ```
/// use sigv4::canonical_request::canonical_uri;
/// use sigv4::UriRules;
/// let mut s = String::new();
/// canonical_uri(&mut s, "/a/./b/../c//d%20e", UriRules::DEFAULT);
/// assert_eq!(s, "/a/c/d%2520e");
/// s.clear();
/// canonical_uri(&mut s, "/a/./b/../c//d%20e", UriRules::S3);
/// assert_eq!(s, "/a/./b/../c//d%20e");
/// ```
pub fn canonical_uri(out: &mut String, path: &str, rules: UriRules) {
    let UriRules {
        normalize_path: normalize,
        double_encode,
    } = rules;
    if path.is_empty() {
        out.push('/');
        return;
    }
    if normalize {
        // Segments kept so far, as byte ranges of `path`, so `..` can pop them.
        let mut kept: smallvec::SmallVec<[(usize, usize); 16]> = smallvec::SmallVec::new();
        let mut pos = 0;
        for seg in path.split('/') {
            let seg_start = pos;
            pos += seg.len() + 1;
            match seg {
                "" | "." => {}
                ".." => {
                    kept.pop();
                }
                _ => kept.push((seg_start, seg_start + seg.len())),
            }
        }
        out.push('/');
        for (i, &(a, b)) in kept.iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            write_path_bytes(out, &path[a..b], double_encode);
        }
        // A trailing slash survives normalization (`//example//` -> `/example/`), unless
        // nothing is left but the root.
        if !kept.is_empty() && path.ends_with('/') {
            out.push('/');
        }
    } else {
        write_path_bytes(out, path, double_encode);
    }
}

fn write_path_bytes(out: &mut String, path: &str, double_encode: bool) {
    if double_encode {
        encode_str_into(out, path, true);
    } else {
        // A run of raw bytes is ASCII, so a non-empty run starts and ends on characters;
        // `get` only declines the empty run after an escaped lead byte.
        let mut start = 0;
        for (i, &b) in path.as_bytes().iter().enumerate() {
            if is_raw_path_byte(b) {
                continue;
            }
            out.push_str(path.get(start..i).unwrap_or_default());
            push_escape(out, b);
            start = i + 1;
        }
        out.push_str(path.get(start..).unwrap_or_default());
    }
}

/// Bytes that may appear unencoded in a URL path on the wire (RFC 3986 pchar, `/` and `%`).
#[inline]
pub(crate) fn is_raw_path_byte(b: u8) -> bool {
    RAW_PATH[usize::from(b)]
}

/// [`raw_path_rule`] as a table (one load per path byte).
static RAW_PATH: [bool; 256] = byte_table!(raw_path_rule);

const fn raw_path_rule(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b'/' | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// Reusable buffers for query canonicalization, so steady-state signing does not allocate.
#[derive(Default)]
pub(crate) struct QueryScratch {
    text: String,
    entries: Vec<SortEntry>,
    decoded: Vec<u8>,
}

/// Appends the canonical query string of `query` (the raw text after `?`) plus `extra`
/// parameters that are already canonically encoded.
///
/// Each `&`-separated piece is split at the first `=` (a key without `=` signs as `k=`),
/// percent-decoded (`+` stays a literal plus) and re-encoded with only the unreserved
/// characters left as they are, then the pairs are sorted by key and then by value.
/// Pieces for which `skip(decoded_key)` is true are left out (the verifier and the
/// presigner drop `X-Amz-Signature` this way).
///
/// This is [`canonical_query_plus`] with [`QueryPlus::Literal`].
///
/// ```
/// use sigv4::canonical_request::canonical_query;
/// let mut s = String::new();
/// canonical_query(&mut s, "b=2&a=x+y&a-b=1&a=%2f&c", &[], |_| false);
/// assert_eq!(s, "a=%2F&a=x%2By&a-b=1&b=2&c=");
/// ```
pub fn canonical_query(
    out: &mut String,
    query: &str,
    extra: &[(&str, &str)],
    skip: impl Fn(&[u8]) -> bool,
) {
    canonical_query_plus(out, query, QueryPlus::Literal, extra, skip);
}

/// [`canonical_query`] with a choice of what a raw `+` means: with [`QueryPlus::Space`]
/// it decodes to a space (canonical `%20`), as form decoding and AWS read it; with
/// [`QueryPlus::Literal`] it is a plus (canonical `%2B`).
///
/// ```
/// use sigv4::canonical_request::canonical_query_plus;
/// use sigv4::QueryPlus;
/// let mut s = String::new();
/// canonical_query_plus(&mut s, "q=a+b%2Bc", QueryPlus::Space, &[], |_| false);
/// assert_eq!(s, "q=a%20b%2Bc");
/// s.clear();
/// canonical_query_plus(&mut s, "q=a+b%2Bc", QueryPlus::Literal, &[], |_| false);
/// assert_eq!(s, "q=a%2Bb%2Bc");
/// ```
pub fn canonical_query_plus(
    out: &mut String,
    query: &str,
    plus: QueryPlus,
    extra: &[(&str, &str)],
    skip: impl Fn(&[u8]) -> bool,
) {
    let mut scratch = QueryScratch::default();
    canonical_query_with(&mut scratch, out, query, plus, extra, skip);
}

/// The canonical query string of `query` into `out` (see [`canonical_query_plus`]) with
/// the caller's reusable buffers; returns whether `query` had an empty `&`-separated piece
/// (which the signed output's kept query drops).
pub(crate) fn canonical_query_with(
    scratch: &mut QueryScratch,
    out: &mut String,
    query: &str,
    plus: QueryPlus,
    extra: &[(&str, &str)],
    skip: impl Fn(&[u8]) -> bool,
) -> bool {
    let plus_is_space = plus == QueryPlus::Space;
    let QueryScratch {
        text,
        entries,
        decoded,
    } = scratch;
    text.clear();
    entries.clear();
    let mut pieces = QueryScan::new(query);
    for RawPiece {
        key: k,
        value: v,
        key_plain,
        value_plain,
    } in pieces.by_ref()
    {
        let ks = text.len();
        if key_plain {
            // Nothing to decode: the key is its own decoded form and already canonical.
            if skip(k.as_bytes()) {
                continue;
            }
            text.push_str(k);
        } else {
            decoded.clear();
            decode_query_into(decoded, k.as_bytes(), plus_is_space);
            if skip(decoded) {
                continue;
            }
            encode_into(text, decoded, false);
        }
        let ke = text.len();
        if value_plain || is_canonical_component(v.as_bytes()) {
            text.push_str(v);
        } else {
            decoded.clear();
            decode_query_into(decoded, v.as_bytes(), plus_is_space);
            encode_into(text, decoded, false);
        }
        entries.push(SortEntry::new(text.as_bytes(), ks, ke, text.len()));
    }
    for (k, v) in extra {
        let ks = text.len();
        text.push_str(k);
        let ke = text.len();
        text.push_str(v);
        entries.push(SortEntry::new(text.as_bytes(), ks, ke, text.len()));
    }
    sort_entries(entries, text.as_bytes(), true);
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&text[e.key()]);
        out.push('=');
        out.push_str(&text[e.mid as usize..e.end as usize]);
    }
    pieces.empty_piece
}

/// One non-empty `&`-separated piece of a raw query, split at its first `=` (a key
/// without `=` has an empty value), with whether the key and the value hold only
/// unreserved bytes (then they are canonical as they are).
struct RawPiece<'q> {
    key: &'q str,
    value: &'q str,
    key_plain: bool,
    value_plain: bool,
}

/// The pieces of a raw query found in one pass over its bytes (the split at `&`, the split
/// at `=` and the check for bytes needing encoding at once), noting any empty piece.
struct QueryScan<'q> {
    query: &'q str,
    pos: usize,
    /// Whether a piece so far was empty (a leading, doubled or trailing `&`).
    empty_piece: bool,
}

impl<'q> QueryScan<'q> {
    fn new(query: &'q str) -> Self {
        QueryScan {
            query,
            pos: 0,
            empty_piece: false,
        }
    }
}

impl<'q> Iterator for QueryScan<'q> {
    type Item = RawPiece<'q>;

    fn next(&mut self) -> Option<RawPiece<'q>> {
        let b = self.query.as_bytes();
        while self.pos < b.len() {
            let start = self.pos;
            let mut eq = None;
            let mut plain = [true, true];
            let mut i = start;
            while i < b.len() {
                let c = b[i];
                if UNRESERVED[usize::from(c)] {
                    i += 1;
                    continue;
                }
                if c == b'&' {
                    break;
                }
                if c == b'=' && eq.is_none() {
                    eq = Some(i);
                } else {
                    plain[usize::from(eq.is_some())] = false;
                }
                i += 1;
            }
            self.pos = i + 1;
            // A `&` as the last byte ends the query with an empty piece.
            if i + 1 == b.len() {
                self.empty_piece = true;
            }
            if i == start {
                self.empty_piece = true;
                continue;
            }
            // The cuts are at ASCII delimiters or the end: character boundaries.
            let (key_end, value_start) = eq.map_or((i, i), |e| (e, e + 1));
            return Some(RawPiece {
                key: &self.query[start..key_end],
                value: &self.query[value_start..i],
                key_plain: plain[0],
                value_plain: plain[1],
            });
        }
        None
    }
}

/// The non-empty `&`-separated pieces of a raw query (a byte scan: these strings are short,
/// and `str::split` with a `char` pattern costs more per call than the scan itself).
pub(crate) fn query_pieces(query: &str) -> impl Iterator<Item = &str> {
    let mut rest = query;
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
        let piece = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if !piece.is_empty() {
            return Some(piece);
        }
    })
}

/// A query piece split at its first `=` (a key without `=` has an empty value).
pub(crate) fn split_pair(piece: &str) -> (&str, &str) {
    match piece.bytes().position(|b| b == b'=') {
        Some(i) => (&piece[..i], &piece[i + 1..]),
        None => (piece, ""),
    }
}

/// Whether a raw query key or value is already in canonical form, so that decoding and
/// re-encoding it would give back the same bytes: only unreserved bytes and `%XX` escapes
/// with uppercase hex digits of bytes that are not unreserved.
fn is_canonical_component(s: &[u8]) -> bool {
    let upper_hex = |b: u8| -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    };
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if UNRESERVED[usize::from(b)] {
            i += 1;
            continue;
        }
        if b != b'%' || i + 2 >= s.len() {
            return false;
        }
        match (upper_hex(s[i + 1]), upper_hex(s[i + 2])) {
            (Some(h), Some(l)) if !is_unreserved(h << 4 | l) => i += 3,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::decode_into;

    fn uri(p: &str, n: bool, d: bool) -> String {
        let mut s = String::new();
        let rules = UriRules {
            normalize_path: n,
            double_encode: d,
        };
        canonical_uri(&mut s, p, rules);
        s
    }

    #[test]
    fn normalized_paths() {
        assert_eq!(uri("", true, true), "/");
        assert_eq!(uri("/", true, true), "/");
        assert_eq!(uri("//example//", true, true), "/example/");
        assert_eq!(uri("/example1/example2/../..", true, true), "/");
        assert_eq!(uri("/a/b/..", true, true), "/a");
        assert_eq!(uri("/./example", true, true), "/example");
        assert_eq!(uri("/example/.", true, true), "/example");
        assert_eq!(uri("/../a", true, true), "/a");
        assert_eq!(uri("/a%20b", true, true), "/a%2520b");
        assert_eq!(uri("/a b+c", true, true), "/a%20b%2Bc");
        assert_eq!(uri("/ሴ", true, true), "/%E1%88%B4");
    }

    #[test]
    fn s3_paths_are_kept() {
        assert_eq!(uri("//a/./b/../c", false, false), "//a/./b/../c");
        assert_eq!(uri("/a%2Eb%2fc", false, false), "/a%2Eb%2fc");
        assert_eq!(uri("/example space/", false, false), "/example%20space/");
        assert_eq!(uri("/a+b=c", false, false), "/a+b=c");
        assert_eq!(uri("/ሴ", false, false), "/%E1%88%B4");
    }

    #[test]
    fn query_sorting_is_by_key_then_value() {
        let mut s = String::new();
        canonical_query(&mut s, "a-b=1&a=2", &[], |_| false);
        assert_eq!(s, "a=2&a-b=1");
        s.clear();
        canonical_query(&mut s, "k=%FF&k=%41&=&&x", &[], |_| false);
        assert_eq!(s, "=&k=%FF&k=A&x=");
        s.clear();
        canonical_query(&mut s, "v=a%3Db&w=:@!$'()*,;?/", &[], |_| false);
        assert_eq!(s, "v=a%3Db&w=%3A%40%21%24%27%28%29%2A%2C%3B%3F%2F");
    }

    #[test]
    fn query_pieces_are_the_non_empty_pieces_of_str_split() {
        for q in ["", "&", "&&", "a", "a&b", "&a&&b=1&", "k=v=w&x", "ሴ=1&&=ሴ"] {
            let want: Vec<(&str, &str)> = q
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect();
            let got: Vec<(&str, &str)> = query_pieces(q).map(split_pair).collect();
            assert_eq!(got, want, "{q:?}");
        }
    }

    #[test]
    fn the_one_pass_scan_splits_as_str_split_and_classifies_as_the_byte_rule() {
        for q in [
            "",
            "&",
            "&&",
            "a",
            "a&b",
            "&a&&b=1&",
            "k=v=w&x",
            "ሴ=1&&=ሴ",
            "a=",
            "=b",
            "a%41=%2F",
            "a+b=c d",
            "x=1&",
            "&x=1",
            "k~.-_=A9z",
        ] {
            let want: Vec<(&str, &str)> = q
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect();
            let mut scan = QueryScan::new(q);
            let got: Vec<(&str, &str)> = scan
                .by_ref()
                .map(|p| {
                    let plain = |t: &str| t.bytes().all(is_unreserved);
                    assert_eq!(p.key_plain, plain(p.key), "{q:?}");
                    assert_eq!(p.value_plain, plain(p.value), "{q:?}");
                    (p.key, p.value)
                })
                .collect();
            assert_eq!(got, want, "{q:?}");
            let empty = !q.is_empty() && q.split('&').any(str::is_empty);
            assert_eq!(scan.empty_piece, empty, "{q:?}");
        }
    }

    #[test]
    fn a_raw_plus_is_a_plus_or_a_space_as_chosen() {
        let q = |query: &str, plus: QueryPlus| {
            let mut s = String::new();
            canonical_query_plus(&mut s, query, plus, &[], |k| k == b"a b");
            s
        };
        let query = "q=a+b+%2B&k+1=%20&a+b=skipped-only-as-a-space&p=%2b";
        assert_eq!(
            q(query, QueryPlus::Literal),
            "a%2Bb=skipped-only-as-a-space&k%2B1=%20&p=%2B&q=a%2Bb%2B%2B"
        );
        assert_eq!(q(query, QueryPlus::Space), "k%201=%20&p=%2B&q=a%20b%20%2B");
        // The default of the public function is the literal plus (the sign contract).
        let mut s = String::new();
        canonical_query(&mut s, "q=a+b", &[], |_| false);
        assert_eq!(s, "q=a%2Bb");
    }

    #[test]
    fn canonical_components_are_copied_as_is_only_when_recoding_would_not_change_them() {
        // The fast path must agree with decode-then-encode on every input.
        let samples = [
            "",
            "a",
            "A-z_0.9~",
            "%2F",
            "%2f",
            "%41",
            "%7E",
            "%",
            "%2",
            "%2G",
            "a%2Fb%3D",
            "x+y",
            "a b",
            "%E1%88%B4",
            "%e1%88%b4",
            "ሴ",
            "%%41",
            "%2F%",
            "/",
            "%252F",
        ];
        for raw in samples {
            let mut reference = String::new();
            let mut d = Vec::new();
            decode_into(&mut d, raw.as_bytes());
            encode_into(&mut reference, &d, false);
            if is_canonical_component(raw.as_bytes()) {
                assert_eq!(raw, reference, "{raw:?} taken as canonical");
            }
            for q in [
                format!("{raw}={raw}"),
                format!("k={raw}"),
                format!("{raw}=v"),
            ] {
                let mut got = String::new();
                canonical_query(&mut got, &q, &[], |_| false);
                let (k, v) = q.split_once('=').unwrap_or((&q, ""));
                let enc = |t: &str| {
                    let mut d = Vec::new();
                    decode_into(&mut d, t.as_bytes());
                    let mut e = String::new();
                    encode_into(&mut e, &d, false);
                    e
                };
                if k.is_empty() && v.is_empty() {
                    continue;
                }
                assert_eq!(got, format!("{}={}", enc(k), enc(v)), "query {q:?}");
            }
        }
        // Skipping sees the decoded key on both paths.
        let mut s = String::new();
        canonical_query(&mut s, "X-Amz-Date=1&X%2DAmz-Date=2&k=v", &[], |k| {
            k == b"X-Amz-Date"
        });
        assert_eq!(s, "k=v");
    }

    #[test]
    fn byte_tables_match_their_rules() {
        for b in 0..=255u8 {
            assert_eq!(UNRESERVED[usize::from(b)], is_unreserved(b), "byte {b}");
            let pchar = is_unreserved(b) || b"/%!$&'()*+,;=:@".contains(&b);
            assert_eq!(is_raw_path_byte(b), pchar, "byte {b}");
        }
    }
}
