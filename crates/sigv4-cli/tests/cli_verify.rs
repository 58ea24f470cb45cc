//! `sigv4 verify`: what `sigv4 sign` produces verifies; a changed request is refused with the
//! AWS error code, and --explain shows the server's canonical request as a diff.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn sigv4(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    cmd.args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", "/nonexistent-sigv4-test-home")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

const TIME: &str = "2015-08-30T12:36:00Z";

/// Signs with `sigv4 sign` and renders the raw HTTP request from its JSON output.
fn signed_raw(body: &str) -> (String, serde_json::Value) {
    let out = sigv4(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "execute-api",
            "--time",
            TIME,
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "--data",
            body,
            "--format",
            "json",
            "https://abc.execute-api.us-east-1.amazonaws.com/prod/items?b=2&a=1",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut raw = String::from("POST /prod/items?b=2&a=1 HTTP/1.1\r\n");
    for h in v["headers"].as_array().unwrap() {
        raw.push_str(&format!(
            "{}: {}\r\n",
            h[0].as_str().unwrap(),
            h[1].as_str().unwrap()
        ));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    (raw, v)
}

#[test]
fn signed_requests_verify_and_tampered_ones_are_explained() {
    let (raw, v) = signed_raw(r#"{"a":1}"#);
    let out = sigv4(
        &["verify", "--request", "@-", "--time", TIME],
        Some(raw.as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK: signed by AKIDEXAMPLE"));

    // Change the path: SignatureDoesNotMatch, and the diff names the changed line.
    let tampered = raw.replacen("/prod/items", "/prod/itemz", 1);
    let dir = std::env::temp_dir().join(format!("sigv4-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let client = dir.join("client.txt");
    std::fs::write(&client, v["canonical_request"].as_str().unwrap()).unwrap();
    let out = sigv4(
        &[
            "verify",
            "--request",
            "@-",
            "--time",
            TIME,
            "--explain",
            "--client-canonical",
            client.to_str().unwrap(),
        ],
        Some(tampered.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("sigv4: error: SignatureDoesNotMatch"),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("- /prod/items\n+ /prod/itemz\n"),
        "{stdout}"
    );
    assert!(!stdout.contains(SECRET) && !err.contains(SECRET));
    std::fs::remove_dir_all(&dir).ok();

    // A changed body is caught by the payload hash.
    let body_changed = raw.replace(r#"{"a":1}"#, r#"{"a":2}"#);
    let out = sigv4(
        &["verify", "--request", "@-", "--time", TIME],
        Some(body_changed.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));

    // Too late: RequestTimeTooSkewed.
    let out = sigv4(
        &[
            "verify",
            "--request",
            "@-",
            "--time",
            "2015-08-30T13:36:00Z",
        ],
        Some(raw.as_bytes()),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("RequestTimeTooSkewed"));
}

#[test]
fn presigned_urls_verify() {
    let out = sigv4(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--time",
            TIME,
            "--presign",
            "--format",
            "json",
            "https://bucket.s3.amazonaws.com/key.txt",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let url = v["url"].as_str().unwrap();
    let out = sigv4(&["verify", "--url", url, "--time", TIME], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sigv4(
        &[
            "verify",
            "--url",
            &url.replace("key.txt", "key.txv"),
            "--time",
            TIME,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
}
