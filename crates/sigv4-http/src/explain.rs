//! The 403 explainer: when a server answers `SignatureDoesNotMatch` with the canonical
//! request and string to sign it computed (S3 does), show them as a line diff against the
//! client's, with the session token hidden; otherwise say what usually causes it.
//!
//! ```
//! use sigv4_http::aws_error::AwsError;
//! use sigv4_http::explain::explain_signature_mismatch;
//!
//! let body = b"<Error><Code>SignatureDoesNotMatch</Code>\
//!     <CanonicalRequest>GET\n/b</CanonicalRequest></Error>";
//! let err = AwsError::parse(&http::HeaderMap::new(), body).unwrap();
//! let text = explain_signature_mismatch(&err, "GET\n/a", "AWS4-HMAC-SHA256", None).unwrap();
//! assert!(text.contains("\n  GET\n- /a\n+ /b\n"));
//! ```

use std::fmt::Write;

use crate::aws_error::AwsError;

/// A line diff (longest common subsequence): `' '` in both, `'-'` only in `a`, `'+'` only
/// in `b`. Texts whose table would be over 4 million cells are shown whole, `a` then `b`.
pub fn diff_lines<'a>(a: &'a str, b: &'a str) -> Vec<(char, &'a str)> {
    let a: Vec<&str> = a.split('\n').collect();
    let b: Vec<&str> = b.split('\n').collect();
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        let mut v: Vec<(char, &str)> = a.iter().map(|l| ('-', *l)).collect();
        v.extend(b.iter().map(|l| ('+', *l)));
        return v;
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(('-', a[i]));
            i += 1;
        } else {
            out.push(('+', b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| ('-', *l)));
    out.extend(b[j..].iter().map(|l| ('+', *l)));
    out
}

/// [`diff_lines`] as text: one `"{tag} {line}\n"` per line.
pub fn diff_text(a: &str, b: &str) -> String {
    let mut out = String::new();
    for (tag, line) in diff_lines(a, b) {
        let _ = writeln!(out, "{tag} {line}");
    }
    out
}

/// `text` with a session token (raw or percent-encoded) replaced by a placeholder.
pub fn redact_token(text: &str, token: Option<&str>) -> String {
    match token {
        Some(t) if !t.is_empty() => {
            let shown = format!("<session token, {} chars>", t.len());
            let mut encoded = String::with_capacity(t.len() * 3);
            for b in t.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    encoded.push(b as char);
                } else {
                    let _ = write!(encoded, "%{b:02X}");
                }
            }
            text.replace(t, &shown).replace(&encoded, &shown)
        }
        _ => text.to_owned(),
    }
}

/// What to tell the user about a refused signature: `None` unless `error` is
/// `SignatureDoesNotMatch`; the diff of the client's canonical request and string to sign
/// (`-` lines) against the server's (`+` lines) when the server sent them, else the usual
/// causes. `token` is hidden in everything shown.
pub fn explain_signature_mismatch(
    error: &AwsError,
    canonical_request: &str,
    string_to_sign: &str,
    token: Option<&str>,
) -> Option<String> {
    if !error.is_signature_mismatch() {
        return None;
    }
    if error.canonical_request().is_none() && error.string_to_sign().is_none() {
        return Some(
            "SignatureDoesNotMatch: the server computed a different signature; check the \
             secret key, --region and --service, and that nothing between here and the server \
             changes the request (run with -v to see what was signed)\n"
                .to_owned(),
        );
    }
    let mut out = String::from(
        "SignatureDoesNotMatch: the server signed something else. Lines marked - are ours, + the server's:\n",
    );
    if let Some(theirs) = error.canonical_request() {
        out.push_str("--- canonical request (ours)\n+++ canonical request (server)\n");
        let ours = redact_token(canonical_request, token);
        out.push_str(&diff_text(&ours, &redact_token(theirs, token)));
    }
    if let Some(theirs) = error.string_to_sign() {
        out.push_str("--- string to sign (ours)\n+++ string to sign (server)\n");
        out.push_str(&diff_text(string_to_sign, theirs));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changed_lines() {
        assert_eq!(
            diff_lines("GET\n/a\n\nhost:x", "GET\n/b\n\nhost:x"),
            vec![
                (' ', "GET"),
                ('-', "/a"),
                ('+', "/b"),
                (' ', ""),
                (' ', "host:x")
            ]
        );
        assert_eq!(diff_text("a\nb", "a"), "  a\n- b\n");
    }

    #[test]
    fn tokens_are_hidden_in_both_forms() {
        let t = "tok/en+=";
        let text = "x-amz-security-token:tok/en+=\nX-Amz-Security-Token=tok%2Fen%2B%3D";
        let r = redact_token(text, Some(t));
        assert!(!r.contains("tok/en") && !r.contains("tok%2F"), "{r}");
        assert_eq!(r.matches("<session token, 8 chars>").count(), 2);
    }

    #[test]
    fn only_signature_mismatches_are_explained() {
        let h = http::HeaderMap::new();
        let other = AwsError::parse(&h, b"<Error><Code>AccessDenied</Code></Error>").unwrap();
        assert_eq!(explain_signature_mismatch(&other, "", "", None), None);
        let bare =
            AwsError::parse(&h, b"<Error><Code>SignatureDoesNotMatch</Code></Error>").unwrap();
        assert!(explain_signature_mismatch(&bare, "", "", None)
            .unwrap()
            .contains("check the secret key"));
        let full = AwsError::parse(
            &h,
            b"<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>x-amz-security-token:T1\n/b</CanonicalRequest><StringToSign>S</StringToSign></Error>",
        )
        .unwrap();
        let text =
            explain_signature_mismatch(&full, "x-amz-security-token:T1\n/a", "S", Some("T1"))
                .unwrap();
        assert!(!text.contains("T1"), "{text}");
        assert!(text.contains("- /a\n+ /b\n"), "{text}");
        assert!(
            text.contains("+++ string to sign (server)\n  S\n"),
            "{text}"
        );
    }
}
