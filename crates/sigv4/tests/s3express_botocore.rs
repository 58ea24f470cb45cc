//! S3 Express One Zone signatures checked against botocore, which nobody here wrote.
//!
//! `tests/data/s3express_botocore.json` was produced by `tests/data/s3express_botocore.py`
//! with botocore 1.44.8 (pip-installed in a venv) at the fixed time 2024-01-15T10:30:00Z:
//! CreateSession signed with the base credentials for `s3express` (botocore's
//! `S3SigV4Auth`), a GET and a PUT signed with session credentials (`S3ExpressAuth`:
//! `x-amz-s3session-token`), and a presigned GET (`S3ExpressQueryAuth`:
//! `X-Amz-S3session-Token`). Every case is run; a missing case fails the test.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningSettings};

/// 2024-01-15T10:30:00Z.
const TIME: u64 = 1_705_314_600;

fn load() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/s3express_botocore.json"
    );
    let text = std::fs::read_to_string(path).expect("botocore reference data");
    serde_json::from_str(&text).expect("valid JSON")
}

fn base() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    )
}

fn session() -> Credentials {
    Credentials::new(
        "ASIASESSIONEXAMPLE",
        "sessionSecretKey/EXAMPLE+abc123",
        Some("SessionTokenEXAMPLE/with+slash=and+plus==".into()),
        None,
    )
}

/// Headers botocore added by signing (the rest were the request's own).
fn is_signing_header(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "x-amz-date" | "x-amz-content-sha256" | "x-amz-s3session-token"
    )
}

fn lower_map<'a, 'b>(it: impl Iterator<Item = (&'a str, &'b str)>) -> BTreeMap<String, String> {
    it.map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect()
}

#[test]
fn every_botocore_case_matches() {
    let data = load();
    assert_eq!(data["time"], "2024-01-15T10:30:00Z");
    let cases = data["cases"].as_array().expect("cases");
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "create_session",
            "session_get",
            "session_put",
            "session_presign"
        ]
    );
    let time = UNIX_EPOCH + Duration::from_secs(TIME);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let method = case["method"].as_str().unwrap();
        let body = case["body"].as_str().unwrap().as_bytes();
        let expected: BTreeMap<String, String> = case["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
            .collect();
        let own: Vec<(String, String)> = expected
            .iter()
            .filter(|(k, _)| !is_signing_header(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let own_refs: Vec<(&str, &[u8])> = own
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes()))
            .collect();
        match name {
            "create_session" | "session_get" | "session_put" => {
                let (settings, creds) = if name == "create_session" {
                    (SigningSettings::for_service("s3express"), base())
                } else {
                    (SigningSettings::s3express_session(), session())
                };
                let signer = Signer::new("us-west-2", "s3express")
                    .unwrap()
                    .with_settings(settings);
                let url = case["url"].as_str().unwrap();
                let req = SignableRequest::new(method, url, own_refs, Payload::Bytes(body));
                let out = signer.sign(&req, &creds, time).unwrap();
                let mut ours = lower_map(out.headers().filter(|(n, _)| *n != "host"));
                for (k, v) in &own {
                    ours.insert(k.clone(), v.clone());
                }
                assert_eq!(ours, expected, "{name}: headers differ from botocore's");
                assert!(
                    !ours.contains_key("x-amz-security-token"),
                    "{name}: S3 Express never sends x-amz-security-token"
                );
                // The session token is a credential: Debug must not show it.
                if let Some(token) = creds.session_token() {
                    assert!(
                        !format!("{out:?}").contains(token),
                        "{name}: token in Debug"
                    );
                }
            }
            "session_presign" => {
                let signer = Signer::new("us-west-2", "s3express")
                    .unwrap()
                    .with_settings(
                        SigningSettings::s3express_session().presigned(Duration::from_secs(300)),
                    );
                let url = case["url"].as_str().unwrap();
                let (base_url, botocore_query) = url.split_once('?').unwrap();
                let req = SignableRequest::new(method, base_url, [], Payload::Unsigned);
                let out = signer.sign(&req, &session(), time).unwrap();
                // Same parameters and values; botocore orders them differently.
                let params = |q: &str| -> BTreeMap<String, String> {
                    q.split('&')
                        .map(|p| {
                            let (k, v) = p.split_once('=').unwrap();
                            (k.to_owned(), v.to_owned())
                        })
                        .collect()
                };
                let ours = params(&out.query_string());
                assert_eq!(
                    ours,
                    params(botocore_query),
                    "{name}: presigned query differs"
                );
                assert!(ours.contains_key("X-Amz-S3session-Token"));
                assert!(!ours.contains_key("X-Amz-Security-Token"));
            }
            other => panic!("unexpected case {other}"),
        }
    }
}
