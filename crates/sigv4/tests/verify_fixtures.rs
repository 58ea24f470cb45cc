//! The verifier against requests signed by others: every signed request of the AWS SigV4
//! test suite (header and query mode) verifies with the case's credentials and time, and
//! the recorded AWS SDK aws-chunked uploads verify chunk by chunk, trailer included.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;
use sigv4::verify::{VerifiableRequest, VerifiedPayload, Verifier, VerifyBody};
use sigv4::{AmzDate, Credentials, SessionTokenMode};

fn testdata() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ));
    assert!(
        dir.is_dir(),
        "test data missing at {} (../shared/testdata must sit beside the repository)",
        dir.display()
    );
    dir
}

struct Raw {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parses a signed request file: a request line whose target may contain spaces, header
/// lines with obsolete folding, a blank line and a body.
fn parse_request(text: &[u8]) -> Raw {
    let (head, body) = match text.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&text[..i], text[i + 2..].to_vec()),
        None => (text.strip_suffix(b"\n").unwrap_or(text), Vec::new()),
    };
    let head = std::str::from_utf8(head).expect("request head is UTF-8");
    let (line, block) = head.split_once('\n').unwrap_or((head, ""));
    let m = line.find(' ').expect("method");
    let v = line.rfind(' ').expect("version");
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in block.split('\n').filter(|l| !l.is_empty()) {
        if l.starts_with(' ') || l.starts_with('\t') {
            let last = headers.last_mut().expect("continuation after a header");
            last.1.push('\n');
            last.1.push_str(l);
        } else {
            let (n, val) = l.split_once(':').expect("header line has a colon");
            headers.push((n.to_owned(), val.to_owned()));
        }
    }
    Raw {
        method: line[..m].to_owned(),
        target: line[m + 1..v].to_owned(),
        headers,
        body,
    }
}

/// A case of the AWS suites: its credentials, time, region and a verifier for its service
/// and region (or `region`) with its URI and session-token rules.
struct SuiteCase {
    creds: Credentials,
    now: std::time::SystemTime,
    verifier: Verifier,
    region: String,
}

fn suite_case(case: &Path, region: Option<&str>) -> SuiteCase {
    let ctx: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("context.json")).unwrap()).unwrap();
    let c = &ctx["credentials"];
    let creds = Credentials::new(
        c["access_key_id"].as_str().unwrap(),
        c["secret_access_key"].as_str().unwrap(),
        c["token"].as_str().map(str::to_owned),
        None,
    );
    let now = AmzDate::parse_rfc3339(ctx["timestamp"].as_str().unwrap())
        .unwrap()
        .to_system_time();
    let normalize = ctx["normalize"].as_bool().unwrap();
    let case_region = ctx["region"].as_str().unwrap().to_owned();
    let mut verifier = Verifier::new(
        region.unwrap_or(&case_region),
        ctx["service"].as_str().unwrap(),
    )
    .unwrap()
    .with_uri_rules(sigv4::UriRules {
        normalize_path: normalize,
        double_encode: normalize,
    });
    if ctx["omit_session_token"].as_bool().unwrap_or(false) {
        verifier = verifier.with_session_token_mode(SessionTokenMode::AppendAfterSigning);
    }
    SuiteCase {
        creds,
        now,
        verifier,
        region: case_region,
    }
}

#[test]
fn v4_suite_signed_requests_verify() {
    let dir = testdata().join("aws-signing-test-suite/v4");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 38,
        "expected the 38 v4 cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    let mut verified = 0;
    for case in &cases {
        let SuiteCase {
            creds,
            now,
            verifier,
            ..
        } = suite_case(case, None);
        for file in ["header-signed-request.txt", "query-signed-request.txt"] {
            let path = case.join(file);
            let raw = parse_request(
                &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            );
            let req = VerifiableRequest::new(
                &raw.method,
                raw.target.as_str(),
                raw.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
                VerifyBody::Bytes(&raw.body),
            );
            let c2 = creds.clone();
            let lookup = move |id: &str| (id == c2.access_key_id()).then(|| c2.clone());
            match verifier.verify(&req, &lookup, now) {
                Ok(v) => {
                    verified += 1;
                    // The time bounds are enforced on the suite's requests too.
                    let late = now + Duration::from_secs(3 * 3600);
                    if verifier.verify(&req, &lookup, late).is_ok() {
                        failures.push(format!("{}: accepted 3 hours later", path.display()));
                    }
                    if let VerifiedPayload::Sha256(_) = v.payload() {
                        assert!(v.body_checked());
                    }
                }
                Err(e) => failures.push(format!(
                    "{}: {e}\n{:?}",
                    path.display(),
                    e.signature_mismatch()
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(verified, cases.len() * 2);
}

// From PROVENANCE.md.
const CHUNK_ACCESS_KEY: &str = "ANOTREAL";
const CHUNK_SECRET_KEY: &str = "notrealrnrELgWzOk3IfjzDKtFBhDby";
const CHUNK_UNIX_TIME: u64 = 1_234_567_890;

struct Recording {
    uri: String,
    method: String,
    headers: Vec<(String, String)>,
    frames: Vec<Vec<u8>>,
}

fn load_recording(path: &Path) -> Recording {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    let events = v["events"].as_array().unwrap();
    let req = &events[0]["action"]["Request"]["request"];
    let mut headers = Vec::new();
    for (k, vals) in req["headers"].as_object().unwrap() {
        for val in vals.as_array().unwrap() {
            headers.push((k.clone(), val.as_str().unwrap().to_owned()));
        }
    }
    let frames: Vec<Vec<u8>> = events
        .iter()
        .filter_map(|e| e["action"].get("Data"))
        .map(|d| d["data"]["Utf8"].as_str().unwrap().as_bytes().to_vec())
        .collect();
    assert!(!frames.is_empty());
    Recording {
        uri: req["uri"].as_str().unwrap().to_owned(),
        method: req["method"].as_str().unwrap().to_owned(),
        headers,
        frames,
    }
}

#[test]
fn recorded_aws_chunked_uploads_verify_chunk_by_chunk() {
    let dir = testdata().join("aws-chunked");
    let now = UNIX_EPOCH + Duration::from_secs(CHUNK_UNIX_TIME);
    let creds = Credentials::new(CHUNK_ACCESS_KEY, CHUNK_SECRET_KEY, None, None);
    let names = [
        "chunk-signing.json",
        "custom-chunk-size.json",
        "no-chunking.json",
    ];
    for name in names {
        let rec = load_recording(&dir.join(name));
        let req = VerifiableRequest::new(
            &rec.method,
            rec.uri.as_str(),
            rec.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
            VerifyBody::Unavailable,
        );
        let verifier = Verifier::new("us-east-1", "s3").unwrap();
        let verified = verifier
            .verify_with(&req, Some(creds.clone()), now)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let VerifiedPayload::Streaming(mode) = verified.payload() else {
            panic!("{name}: not a streaming payload");
        };
        let declared: u64 = rec
            .headers
            .iter()
            .find(|(n, _)| n == "x-amz-decoded-content-length")
            .unwrap()
            .1
            .parse()
            .unwrap();

        // Frame by frame, as recorded.
        let mut body = verified.chunked_body().unwrap();
        let mut out = Vec::new();
        for f in &rec.frames {
            body.push(f, &mut out)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        body.finish().unwrap();
        assert_eq!(out.len() as u64, declared, "{name}");
        assert!(out.iter().all(|&b| b == b'a'), "{name}: decoded data");
        assert_eq!(body.trailers().len(), 1, "{name}");
        assert_eq!(body.trailers()[0].0, "x-amz-checksum-crc32");

        // Byte by byte gives the same.
        let all = rec.frames.concat();
        let mut body = verified.chunked_body().unwrap();
        let mut out2 = Vec::new();
        for b in &all {
            body.push(std::slice::from_ref(b), &mut out2).unwrap();
        }
        body.finish().unwrap();
        assert_eq!(out, out2);

        // Any changed byte is refused (signed mode: by a chunk signature; unsigned: by the
        // framing or the CRC32 trailer). Checked at a spread of positions.
        let step = (all.len() / 97).max(1);
        for i in (0..all.len()).step_by(step) {
            let mut bad = all.clone();
            bad[i] ^= 0x01;
            let mut body = verified.chunked_body().unwrap();
            let mut sink = Vec::new();
            let r = body.push(&bad, &mut sink).and_then(|_| body.finish());
            assert!(
                r.is_err(),
                "{name} ({mode:?}): byte {i} changed and accepted"
            );
        }
        // Truncated.
        let mut body = verified.chunked_body().unwrap();
        let mut sink = Vec::new();
        body.push(&all[..all.len() - 3], &mut sink).unwrap();
        assert!(body.finish().is_err());
    }
}

/// The v4a cases upstream ships without signed requests (only `context.json` and
/// `request.txt`; v4a_suite.rs checks them another way).
#[cfg(feature = "sigv4a")]
const V4A_UNSIGNED_CASES: &[&str] = &[
    "get-vanilla-query-order-key",
    "get-vanilla-query-order-value",
];

/// Every SigV4a signed request of the AWS suite (header and query mode; ECDSA signatures
/// made by aws-c-auth) verifies with the case's credentials and time, by a verifier for
/// the case's region (the region set names it); moved in time, sent to another region's
/// verifier or altered, it is refused.
#[cfg(feature = "sigv4a")]
#[test]
fn v4a_suite_signed_requests_verify() {
    let dir = testdata().join("aws-signing-test-suite/v4a");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 40, "expected the 40 v4a cases");
    let mut failures = Vec::new();
    let mut verified = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap();
        if V4A_UNSIGNED_CASES.contains(&name) {
            assert!(
                !case.join("header-signed-request.txt").exists(),
                "{name} now has signed requests"
            );
            continue;
        }
        let SuiteCase {
            creds,
            now,
            verifier,
            region,
        } = suite_case(case, None);
        let elsewhere = suite_case(case, Some("eu-central-1")).verifier;
        let region = region.as_str();
        for file in ["header-signed-request.txt", "query-signed-request.txt"] {
            let path = case.join(file);
            let raw = parse_request(
                &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            );
            let req = VerifiableRequest::new(
                &raw.method,
                raw.target.as_str(),
                raw.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
                VerifyBody::Bytes(&raw.body),
            );
            let c2 = creds.clone();
            let lookup = move |id: &str| (id == c2.access_key_id()).then(|| c2.clone());
            match verifier.verify(&req, &lookup, now) {
                Ok(v) => {
                    verified += 1;
                    assert_eq!(v.region_set(), Some(region), "{}", path.display());
                    let late = now + Duration::from_secs(3 * 3600);
                    if verifier.verify(&req, &lookup, late).is_ok() {
                        failures.push(format!("{}: accepted 3 hours later", path.display()));
                    }
                    match elsewhere.verify(&req, &lookup, now) {
                        Err(e)
                            if e.code() == "AuthorizationHeaderMalformed"
                                || e.code() == "AuthorizationQueryParametersError" => {}
                        other => failures.push(format!(
                            "{}: eu-central-1 verifier gave {other:?}",
                            path.display()
                        )),
                    }
                    let altered = VerifiableRequest::new(
                        if raw.method == "GET" { "HEAD" } else { "GET" },
                        raw.target.as_str(),
                        raw.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
                        VerifyBody::Bytes(&raw.body),
                    );
                    match verifier.verify(&altered, &lookup, now) {
                        Err(e) if e.code() == "SignatureDoesNotMatch" => {}
                        other => failures
                            .push(format!("{}: altered method gave {other:?}", path.display())),
                    }
                }
                Err(e) => failures.push(format!(
                    "{}: {e}\n{:?}",
                    path.display(),
                    e.signature_mismatch()
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(verified, (cases.len() - V4A_UNSIGNED_CASES.len()) * 2);
}
