//! Differential property tests.
//!
//! * Header mode against query mode: for the same request, both canonical requests share
//!   the method, the canonical URI, the canonical headers they both sign, and the credential
//!   scope; the query-mode canonical query is the header-mode one plus exactly the
//!   `X-Amz-*` authentication parameters; both string-to-sign end with the hash of their
//!   canonical request; the signed-header lists differ only by the headers signing adds.
//! * Signer against verifier: every request the signer signs (arbitrary method, path,
//!   query, headers, body; S3 and non-S3 rules; header and query mode; with or without a
//!   session token, signed or appended after signing; with or without
//!   `x-amz-content-sha256`) verifies, and fails with any other secret.
#![cfg(feature = "http")]

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{
    Credentials, Payload, SessionTokenMode, SignableRequest, SignatureLocation, Signer,
    SigningSettings,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn creds(token: &Option<String>) -> Credentials {
    Credentials::new("AKIDEXAMPLE", SECRET, token.clone(), None)
}

/// A path segment: unreserved characters, sub-delims, percent-escapes (valid or not),
/// dots, and non-ASCII text.
fn segment() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9_~-]{1,4}",
            Just(".".to_owned()),
            Just("..".to_owned()),
            "%[0-9A-Fa-f]{2}",
            Just("%".to_owned()),
            "[!$'()*,;:@=+&]",
            "[é€ü]",
        ],
        0..4,
    )
    .prop_map(|v| v.concat())
}

fn path() -> impl Strategy<Value = String> {
    (prop::collection::vec(segment(), 0..5), any::<bool>()).prop_map(|(segs, trailing)| {
        let mut p = String::new();
        for s in &segs {
            p.push('/');
            p.push_str(s);
        }
        if trailing || p.is_empty() {
            p.push('/');
        }
        p
    })
}

/// A query piece: keys never start with `X-Amz-` (those belong to presigning).
fn query() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        "[a-zA-Z0-9_.~-]{0,5}",
        "%[0-9A-Fa-f]{2}",
        "[+ /:@!$'()*,;é]",
    ];
    let part = prop::collection::vec(text, 0..3).prop_map(|v| v.concat());
    prop::collection::vec(("[a-z][a-z0-9_-]{0,5}", prop::option::of(part)), 0..5).prop_map(
        |pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}={}", v.replace(['&', '#', ' '], "%20")),
                    None => k,
                })
                .collect::<Vec<_>>()
                .join("&")
        },
    )
}

/// Headers a client sets itself: token names (not `x-amz-*`, which signing owns),
/// values with inner runs of spaces and tabs.
fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            "x-[a-z0-9-]{1,8}|content-type|content-md5|accept|if-match|range",
            "[ \t]{0,2}[!-~]{0,6}([ \t]{1,3}[!-~]{1,6}){0,3}[ \t]{0,2}",
        ),
        0..5,
    )
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("PUT".to_owned()),
        Just("POST".to_owned()),
        Just("DELETE".to_owned()),
        Just("HEAD".to_owned()),
        "[A-Z]{1,8}",
    ]
}

/// `(key, value)` pairs of a canonical query line.
fn query_pairs(line: &str) -> Vec<(String, String)> {
    if line.is_empty() {
        return Vec::new();
    }
    line.split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').expect("canonical pairs have '='");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// The canonical request's lines: method, URI, query, headers..., blank, signed, payload.
struct Creq<'a> {
    method: &'a str,
    uri: &'a str,
    query: &'a str,
    headers: Vec<&'a str>,
    signed: &'a str,
    payload: &'a str,
}

fn split_creq(creq: &str) -> Creq<'_> {
    let lines: Vec<&str> = creq.split('\n').collect();
    let n = lines.len();
    assert!(n >= 6, "{creq}");
    assert_eq!(lines[n - 3], "", "{creq}");
    Creq {
        method: lines[0],
        uri: lines[1],
        query: lines[2],
        headers: lines[3..n - 3].to_vec(),
        signed: lines[n - 2],
        payload: lines[n - 1],
    }
}

const AUTH_PARAMS: &[&str] = &[
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
];

/// Headers that header-mode signing adds and query-mode signing does not.
const HEADER_MODE_ONLY: &[&str] = &["x-amz-date", "x-amz-content-sha256", "x-amz-security-token"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn header_and_query_mode_agree(
        method in method(),
        path in path(),
        query in query(),
        hdrs in headers(),
        body in prop::collection::vec(any::<u8>(), 0..32),
        s3 in any::<bool>(),
        token in prop::option::of("[A-Za-z0-9/+=]{1,24}"),
        content_sha in any::<bool>(),
    ) {
        let service = if s3 { "s3" } else { "execute-api" };
        let mut settings = SigningSettings::for_service(service);
        settings.content_sha256_header = content_sha;
        let header_signer = Signer::new("us-east-1", service).unwrap().with_settings(settings.clone());
        let query_signer = Signer::new("us-east-1", service)
            .unwrap()
            .with_settings(settings.presigned(Duration::from_secs(600)));
        let target = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
        let mut all: Vec<(&str, &[u8])> = vec![("host", b"example.amazonaws.com")];
        all.extend(hdrs.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
        let req = SignableRequest::new(&method, &target, all.iter().copied(), Payload::Bytes(&body));
        let c = creds(&token);
        let h = header_signer.sign(&req, &c, now());
        let q = query_signer.sign(&req, &c, now());
        // Both modes accept or refuse the same requests.
        prop_assert_eq!(h.is_ok(), q.is_ok(), "{:?} / {:?}", h.as_ref().err(), q.as_ref().err());
        let (Ok(h), Ok(q)) = (h, q) else { return Ok(()); };

        prop_assert!(h.authorization().is_some());
        prop_assert!(q.authorization().is_none());
        prop_assert_eq!(q.query_params().count() > 0, true);
        prop_assert_eq!(h.query_params().count(), 0);
        prop_assert_eq!(h.credential_scope(), q.credential_scope());

        let hc = split_creq(h.canonical_request());
        let qc = split_creq(q.canonical_request());
        prop_assert_eq!(hc.method, qc.method);
        prop_assert_eq!(hc.uri, qc.uri);
        // Payload: the same hash, unless query mode signs UNSIGNED-PAYLOAD (S3 presigning).
        prop_assert!(qc.payload == hc.payload || qc.payload == "UNSIGNED-PAYLOAD",
            "{} vs {}", hc.payload, qc.payload);

        // The query: header mode's pairs plus exactly the authentication parameters.
        let hq = query_pairs(hc.query);
        let qq = query_pairs(qc.query);
        let (auth, rest): (Vec<_>, Vec<_>) =
            qq.iter().cloned().partition(|(k, _)| AUTH_PARAMS.contains(&k.as_str()));
        prop_assert_eq!(&rest, &hq);
        let auth_keys: BTreeSet<&str> = auth.iter().map(|(k, _)| k.as_str()).collect();
        for k in &AUTH_PARAMS[..5] {
            prop_assert!(auth_keys.contains(k), "{} missing from {}", k, qc.query);
        }
        prop_assert_eq!(auth_keys.contains("X-Amz-Security-Token"), token.is_some());
        // The signed headers list in the query is the query-mode list.
        let sh = auth.iter().find(|(k, _)| k == "X-Amz-SignedHeaders").unwrap();
        prop_assert_eq!(sh.1.replace("%3B", ";"), qc.signed);

        // Signed headers: the query-mode set is the header-mode set without the headers
        // header-mode signing adds; each shared header has the same canonical line.
        let hs: BTreeSet<&str> = hc.signed.split(';').collect();
        let qs: BTreeSet<&str> = qc.signed.split(';').collect();
        prop_assert!(qs.is_subset(&hs), "{} vs {}", hc.signed, qc.signed);
        for extra in hs.difference(&qs) {
            prop_assert!(HEADER_MODE_ONLY.contains(extra), "{} only in header mode", extra);
        }
        for line in &qc.headers {
            prop_assert!(hc.headers.contains(line), "{} missing in header mode", line);
        }
        prop_assert_eq!(hc.headers.len(), hs.len());
        prop_assert_eq!(qc.headers.len(), qs.len());

        // Both strings to sign: algorithm, the same date and scope, their own hash.
        let hl: Vec<&str> = h.string_to_sign().split('\n').collect();
        let ql: Vec<&str> = q.string_to_sign().split('\n').collect();
        prop_assert_eq!(hl.len(), 4);
        prop_assert_eq!(ql.len(), 4);
        prop_assert_eq!(&hl[..3], &ql[..3]);
        let hash_h = sigv4::sha256_hex(h.canonical_request().as_bytes());
        let hash_q = sigv4::sha256_hex(q.canonical_request().as_bytes());
        prop_assert_eq!(hl[3], hash_h.as_str());
        prop_assert_eq!(ql[3], hash_q.as_str());
        prop_assert_ne!(h.signature(), q.signature());
    }

    #[test]
    fn everything_signed_verifies(
        method in method(),
        path in path(),
        query in query(),
        hdrs in headers(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        s3 in any::<bool>(),
        presign in any::<bool>(),
        token in prop::option::of("[A-Za-z0-9/+=]{1,24}"),
        append_token in any::<bool>(),
        content_sha in any::<bool>(),
        unsigned in any::<bool>(),
    ) {
        let service = if s3 { "s3" } else { "execute-api" };
        let mut settings = SigningSettings::for_service(service);
        settings.content_sha256_header = content_sha || s3;
        if append_token {
            settings.session_token_mode = SessionTokenMode::AppendAfterSigning;
        }
        if presign {
            settings = settings.presigned(Duration::from_secs(600));
        }
        let signer = Signer::new("us-east-1", service).unwrap().with_settings(settings);
        let target = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
        let mut sent: Vec<(&str, &[u8])> = vec![("host", b"example.amazonaws.com")];
        sent.extend(hdrs.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
        // S3 accepts UNSIGNED-PAYLOAD; other services sign the body's hash.
        let payload = if s3 && unsigned { Payload::Unsigned } else { Payload::Bytes(&body) };
        let req = SignableRequest::new(&method, &target, sent.iter().copied(), payload);
        let c = creds(&token);
        let Ok(out) = signer.sign(&req, &c, now()) else {
            // Refusing is fine (e.g. an empty header value list); panicking is not.
            return Ok(());
        };

        // What goes on the wire: added headers replace same-named ones; the query is the
        // signer's `query_string()` (the original query, `+` written as `%2B`, then the
        // signing parameters in query mode).
        let added: Vec<(&str, String)> = out.headers().map(|(n, v)| (n, v.to_owned())).collect();
        let mut wire: Vec<(&str, &[u8])> = sent
            .iter()
            .copied()
            .filter(|(n, _)| !added.iter().any(|(a, _)| a.eq_ignore_ascii_case(n)))
            .collect();
        wire.extend(added.iter().map(|(n, v)| (*n, v.as_bytes())));
        let params = out.query_string();
        let wire_target = if params.is_empty() { path.clone() } else { format!("{path}?{params}") };
        let mut verifier = Verifier::new("us-east-1", service).unwrap();
        if append_token {
            verifier = verifier.with_session_token_mode(SessionTokenMode::AppendAfterSigning);
        }
        if presign {
            // A presigned URL carries no payload hash: the server assumes the one the
            // client signed (S3 presigners sign UNSIGNED-PAYLOAD; others the body's hash).
            verifier = verifier.presigned_unsigned_payload(s3 && unsigned);
        }
        let vreq = VerifiableRequest::new(&method, wire_target.as_str(), wire.iter().copied(), VerifyBody::Bytes(&body));
        let r = verifier.verify_with(&vreq, Some(c.clone()), now());
        prop_assert!(r.is_ok(), "{:?}\ntarget {}\nheaders {:?}\ncreq:\n{}", r.err(), wire_target, wire, out.canonical_request());
        let v = r.unwrap();
        prop_assert_eq!(v.signature(), out.signature());
        prop_assert_eq!(v.credential_scope(), out.credential_scope());
        prop_assert_eq!(v.has_session_token(), token.is_some());
        prop_assert_eq!(
            matches!(out.location(), SignatureLocation::Query { .. }),
            presign
        );

        // Any other secret: refused.
        let wrong = Credentials::new("AKIDEXAMPLE", "another-secret", token.clone(), None);
        prop_assert!(verifier.verify_with(&vreq, Some(wrong), now()).is_err());
    }
}
