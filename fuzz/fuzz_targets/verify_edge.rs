//! The server-edge checks (`sigv4::verify::edge`) on arbitrary request targets, and the
//! verifier's authority check on arbitrary absolute-form authorities. Never panics, and:
//!
//! * a target `prepare_target` rewrites has the same canonical URI and query as the
//!   original, and is accepted unchanged when checked again;
//! * a target it accepts unchanged for a normalizing service is its own normalized path;
//! * a request signed for one host and sent with an absolute-form target verifies only
//!   when the target's authority is that host.
//!
//! Input: `target \n~~~\n authority`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4::canonical_request::{canonical_query_plus, canonical_uri};
use sigv4::verify::edge::{normalized_path, prepare_target, PathPolicy, QueryPlusPolicy};
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
    let parts = split_parts(data, 2);
    let target = String::from_utf8_lossy(parts[0]).into_owned();
    let authority = parts
        .get(1)
        .map(|a| String::from_utf8_lossy(a).into_owned());

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
