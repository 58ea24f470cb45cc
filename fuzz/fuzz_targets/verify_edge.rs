//! The server-edge checks (`sigv4::verify::edge`) on arbitrary request targets, and the
//! verifier's authority check on arbitrary absolute-form authorities. Never panics, and:
//!
//! * a target `prepare_target` rewrites has the same canonical URI and query as the
//!   original, and is accepted unchanged when checked again;
//! * a target it accepts unchanged for a normalizing service is its own normalized path;
//! * a request signed for one host and sent with an absolute-form target verifies only
//!   when the target's authority is that host;
//! * the whole edge policy (`EdgePolicy::check`: target form, authority against `Host`,
//!   framing headers, path and `+` policy) on a fuzzed method and header lines: it accepts
//!   only origin form or an absolute form naming the one `Host`, never CONNECT, never a
//!   `Transfer-Encoding` other than `chunked` or conflicting `Content-Length`s; the target
//!   it hands on is origin form, carries no raw `+`, keeps the query, and is accepted
//!   unchanged when checked again.
//!
//! Input: `target \n~~~\n authority \n~~~\n method \n header lines (name: value)`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4::canonical_request::{canonical_query_plus, canonical_uri};
use sigv4::verify::edge::{
    check_framing, normalized_path, prepare_target, EdgePolicy, PathPolicy, QueryPlusPolicy,
};
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{Credentials, Payload, QueryPlus, SignableRequest, Signer, UriRules};
use sigv4_fuzz::split_parts;

const HOST: &str = "example.amazonaws.com";

/// The canonical URI and query of `target`, a raw `+` read as `plus` says.
fn canonical(target: &str, plus: QueryPlus) -> (String, String) {
    let (p, q) = target.split_once('?').unwrap_or((target, ""));
    let (mut a, mut b) = (String::new(), String::new());
    canonical_uri(&mut a, p, UriRules::DEFAULT);
    canonical_query_plus(&mut b, q, plus, &[], |_| false);
    (a, b)
}

fuzz_target!(|data: &[u8]| {
    let parts = split_parts(data, 3);
    let target = String::from_utf8_lossy(parts[0]).into_owned();
    let authority = parts
        .get(1)
        .map(|a| String::from_utf8_lossy(a).into_owned());
    if let Some(head) = parts.get(2) {
        whole_policy(&target, &String::from_utf8_lossy(head));
    }

    let path = target.split_once('?').map_or(target.as_str(), |(p, _)| p);
    let n = normalized_path(path);
    assert_eq!(normalized_path(&n), n, "normalization is idempotent");
    let (mut a, mut b) = (String::new(), String::new());
    canonical_uri(&mut a, path, UriRules::DEFAULT);
    canonical_uri(&mut b, &n, UriRules::DEFAULT);
    assert_eq!(a, b, "the normalized path signs like the raw one");

    for normalize in [true, false] {
        for path_policy in [PathPolicy::Reject, PathPolicy::Rewrite] {
            for plus in [
                QueryPlusPolicy::Space,
                QueryPlusPolicy::Reject,
                QueryPlusPolicy::LiteralPlus,
            ] {
                // What the policy reads a raw '+' as (a rewrite spells it out).
                let reading = if plus == QueryPlusPolicy::Space {
                    QueryPlus::Space
                } else {
                    QueryPlus::Literal
                };
                match prepare_target(&target, normalize, path_policy, plus) {
                    Ok(None) => {
                        if normalize {
                            assert_eq!(normalized_path(path), path);
                        }
                        assert!(!target.split_once('?').is_some_and(|(_, q)| q.contains('+')));
                    }
                    Ok(Some(t)) => {
                        let (after, before) = (canonical(&t, reading), canonical(&target, reading));
                        if normalize {
                            assert_eq!(after, before, "{target:?} -> {t:?}");
                        } else {
                            assert_eq!(after.1, before.1, "{target:?} -> {t:?}");
                        }
                        assert!(!t.split_once('?').is_some_and(|(_, q)| q.contains('+')));
                        assert_eq!(
                            prepare_target(&t, normalize, path_policy, plus),
                            Ok(None),
                            "{target:?} -> {t:?}"
                        );
                    }
                    Err(e) => {
                        let _ = (e.code(), e.http_status(), e.to_string());
                    }
                }
            }
        }
    }

    // The authority of an absolute-form target must be the signed host.
    let Some(authority) = authority else { return };
    // Only an authority: '/', '?' or '#' would end it and move the rest into the target.
    if !target.starts_with('/') || authority.contains(['/', '?', '#']) {
        return;
    }
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    );
    let headers = [("host", HOST.as_bytes())];
    let now = sigv4_fuzz::now();
    let Ok(signer) = Signer::new("us-east-1", "service") else {
        return;
    };
    let Ok(out) = signer.sign(
        &SignableRequest::new("GET", target.as_str(), headers, Payload::Bytes(b"")),
        &creds,
        now,
    ) else {
        return;
    };
    let mut sent: Vec<(&str, &[u8])> = headers.to_vec();
    sent.extend(out.headers().map(|(n, v)| (n, v.as_bytes())));
    let absolute = format!("http://{authority}{target}");
    let req = VerifiableRequest::new("GET", absolute.as_str(), sent, VerifyBody::Bytes(b""));
    let verifier = Verifier::new("us-east-1", "service").expect("valid scope");
    if verifier.verify_with(&req, Some(creds), now).is_ok() {
        let a = authority.to_ascii_lowercase();
        let a = a.rsplit_once('@').map_or(a.as_str(), |(_, h)| h);
        assert!(
            a == HOST || a == format!("{HOST}:80"),
            "verified with authority {authority:?}"
        );
    }
});

/// `EdgePolicy::check` on `target` with the method and header lines of `head`.
fn whole_policy(target: &str, head: &str) {
    let mut lines = head.lines();
    let method = lines.next().unwrap_or("GET").trim();
    let headers: Vec<(&str, &[u8])> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim().as_bytes()))
        .collect();
    let hosts: Vec<&[u8]> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| *v)
        .collect();
    for normalize in [true, false] {
        for edge in [
            EdgePolicy::default(),
            EdgePolicy::default()
                .with_path(PathPolicy::Rewrite)
                .with_plus(QueryPlusPolicy::LiteralPlus),
        ] {
            let Ok(rewritten) = edge.check(method, target, &headers, normalize) else {
                continue;
            };
            assert!(!method.eq_ignore_ascii_case("CONNECT"), "CONNECT accepted");
            assert!(hosts.len() <= 1, "two Host headers accepted");
            assert!(check_framing(&headers).is_ok(), "bad framing accepted");
            if !target.starts_with('/') {
                // Absolute form: http(s), no user information, naming the one Host.
                let lower = target.to_ascii_lowercase();
                assert!(lower.starts_with("http://") || lower.starts_with("https://"));
                let rest = target.split_once("://").map_or("", |(_, r)| r);
                let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
                assert!(
                    !authority.contains('@') && !authority.is_empty(),
                    "{target:?}"
                );
            }
            let handed = rewritten.clone().unwrap_or_else(|| origin(target));
            assert!(
                handed.starts_with('/'),
                "{target:?} handed on as {handed:?}"
            );
            assert!(
                !handed.split_once('?').is_some_and(|(_, q)| q.contains('+')),
                "a raw '+' handed on: {handed:?}"
            );
            let query_in = origin(target).split_once('?').map(|(_, q)| q.to_owned());
            assert_eq!(
                handed.split_once('?').is_some(),
                query_in.is_some(),
                "{target:?} -> {handed:?}: the query was dropped or added"
            );
            let host_only: Vec<(&str, &[u8])> = hosts.iter().map(|h| ("host", *h)).collect();
            assert_eq!(
                edge.check(method, &handed, &host_only, normalize),
                Ok(None),
                "{target:?} -> {handed:?} is not accepted unchanged"
            );
        }
    }
}

/// The origin part (path and query, fragment dropped) of an origin- or absolute-form
/// target; an empty path is `/`.
fn origin(target: &str) -> String {
    if target.starts_with('/') {
        return target.to_owned();
    }
    let rest = target.split_once("://").map_or(target, |(_, r)| r);
    let rest = &rest[rest.find(['/', '?']).unwrap_or(rest.len())..];
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    if rest.starts_with('/') {
        rest.to_owned()
    } else {
        format!("/{rest}")
    }
}
