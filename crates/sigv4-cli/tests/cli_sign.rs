//! `sigv4 sign` end to end: the binary is run as a user would, and its output checked
//! against the AWS test suite's expected signatures and the documented contract.

use std::process::{Command, Output};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn sigv4(args: &[&str], token: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    cmd.args(args)
        .env_clear()
        // Never let the chain reach a real metadata endpoint from a test.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", "/nonexistent-sigv4-test-home")
        .env("AWS_ACCESS_KEY_ID", AKID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET);
    if let Some(t) = token {
        cmd.env("AWS_SESSION_TOKEN", t);
    }
    cmd.output().expect("run sigv4")
}

fn json(args: &[&str], token: Option<&str>) -> serde_json::Value {
    let out = sigv4(args, token);
    assert!(
        out.status.success(),
        "sigv4 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

fn header<'a>(v: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h[1].as_str().unwrap())
}

#[test]
fn matches_the_aws_suite_in_header_mode() {
    let v = json(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "service",
            "--time",
            "2015-08-30T12:36:00Z",
            "--format",
            "json",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
        ],
        None,
    );
    assert_eq!(
        v["signature"],
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );
    assert_eq!(v["method"], "GET");
    assert_eq!(header(&v, "host"), Some("example.amazonaws.com"));
    assert_eq!(header(&v, "x-amz-date"), Some("20150830T123600Z"));
    assert!(header(&v, "authorization")
        .unwrap()
        .ends_with(v["signature"].as_str().unwrap()));
}

#[test]
fn session_token_is_signed_in_header_mode() {
    let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let v = json(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "service",
            "--time",
            "2015-08-30T12:36:00Z",
            "--format",
            "json",
            "https://example.amazonaws.com/",
        ],
        Some(token),
    );
    assert_eq!(
        v["signature"],
        "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
    );
    assert_eq!(header(&v, "x-amz-security-token"), Some(token));
}

#[test]
fn presign_matches_the_aws_suite() {
    let v = json(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "service",
            "--time",
            "2015-08-30T12:36:00Z",
            "--presign",
            "--expires",
            "3600",
            "--format",
            "json",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
        ],
        None,
    );
    let sig = "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5";
    assert_eq!(v["signature"], sig);
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with(
        "https://example.amazonaws.com/?Param2=value2&Param1=value1&X-Amz-Algorithm="
    ));
    assert!(url.ends_with(&format!("&X-Amz-Signature={sig}")));
    assert_eq!(url.matches("X-Amz-Signature=").count(), 1);
    assert!(header(&v, "authorization").is_none());
}

#[test]
fn s3_rules_and_content_sha256() {
    let v = json(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--time",
            "2015-08-30T12:36:00Z",
            "-X",
            "PUT",
            "--data",
            "hello",
            "--format",
            "json",
            "https://bucket.s3.amazonaws.com:443/a%20b//./c",
        ],
        None,
    );
    let creq = v["canonical_request"].as_str().unwrap();
    let lines: Vec<&str> = creq.split('\n').collect();
    assert_eq!(lines[0], "PUT");
    assert_eq!(lines[1], "/a%20b//./c", "S3 paths are signed as sent");
    let hash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    assert_eq!(header(&v, "x-amz-content-sha256"), Some(hash));
    assert_eq!(*lines.last().unwrap(), hash);
    assert_eq!(header(&v, "host"), Some("bucket.s3.amazonaws.com"));

    let v = json(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--unsigned-payload",
            "--format",
            "json",
            "https://bucket.s3.amazonaws.com/k",
        ],
        None,
    );
    assert_eq!(header(&v, "x-amz-content-sha256"), Some("UNSIGNED-PAYLOAD"));
}

#[test]
fn presigned_s3_has_no_raw_plus_and_signs_the_token() {
    let v = json(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--presign",
            "--format",
            "json",
            "https://b.s3.amazonaws.com/k?x=a+b",
        ],
        Some("tok+en/="),
    );
    let url = v["url"].as_str().unwrap();
    assert!(!url.contains('+'), "{url}");
    assert!(url.contains("X-Amz-Security-Token=tok%2Ben%2F%3D"), "{url}");
    let creq = v["canonical_request"].as_str().unwrap();
    assert!(creq.contains("X-Amz-Security-Token=tok%2Ben%2F%3D"));
    assert!(creq.ends_with("\nUNSIGNED-PAYLOAD"));
    assert!(header(&v, "x-amz-content-sha256").is_none());
}

#[test]
fn headers_are_sent_as_signed() {
    let v = json(
        &[
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "es",
            "-H",
            "X-Thing:  a   b ",
            "-H",
            "x-thing: c",
            "-H",
            "User-Agent: me",
            "-H",
            "Authorization: old",
            "--format",
            "json",
            "http://localhost:9200/_search",
        ],
        None,
    );
    assert_eq!(header(&v, "x-thing"), Some("a b,c"));
    assert_eq!(header(&v, "host"), Some("localhost:9200"));
    assert!(v["canonical_request"]
        .as_str()
        .unwrap()
        .contains("\nx-thing:a b,c\n"));
    let auths: Vec<_> = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0] == "authorization")
        .collect();
    assert_eq!(auths.len(), 1);
    assert!(!v["canonical_request"]
        .as_str()
        .unwrap()
        .contains("user-agent"));
}

#[test]
fn errors_are_one_line_with_usage_code_2_and_failure_code_1() {
    for (args, code) in [
        (
            vec!["sign", "--service", "s3", "--region", "r", "not-a-url"],
            2,
        ),
        (
            vec![
                "sign",
                "--service",
                "s3",
                "--region",
                "r",
                "--presign",
                "--expires",
                "604801",
                "https://h/",
            ],
            2,
        ),
        (
            vec![
                "sign",
                "--service",
                "s3",
                "--region",
                "r",
                "--time",
                "yesterday",
                "https://h/",
            ],
            2,
        ),
        (
            vec![
                "sign",
                "--service",
                "s3",
                "--region",
                "r",
                "-H",
                "nocolon",
                "https://h/",
            ],
            2,
        ),
        (
            vec![
                "sign",
                "--service",
                "s3",
                "--region",
                "r",
                "-X",
                "GE T",
                "https://h/",
            ],
            1,
        ),
        (vec!["sign", "--service", "s3", "https://h/"], 2),
        (vec!["sign", "--region", "r", "https://example.com/"], 2),
    ] {
        let out = sigv4(&args, None);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!err.contains(SECRET));
    }
}

#[test]
fn missing_credentials_say_what_to_set() {
    let out = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(["sign", "--region", "r", "--service", "s3", "https://h/"])
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", "/nonexistent-sigv4-test-home")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AWS_ACCESS_KEY_ID"));
}

#[test]
fn body_from_file_is_raw_bytes() {
    let dir = std::env::temp_dir().join(format!("sigv4-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("body.bin");
    std::fs::write(&f, b"a\r\n\0b\n").unwrap();
    let arg = format!("@{}", f.display());
    let v = json(
        &[
            "sign",
            "--region",
            "r",
            "--service",
            "svc",
            "--data-binary",
            &arg,
            "--format",
            "json",
            "https://h/",
        ],
        None,
    );
    assert_eq!(v["method"], "POST");
    let want = sigv4::sha256_hex(b"a\r\n\0b\n");
    assert!(v["canonical_request"].as_str().unwrap().ends_with(&want));
    // --data @FILE follows curl (and `sigv4 request`, and the sign contract): line breaks
    // dropped, a form Content-Type signed.
    let v = json(
        &[
            "sign",
            "--region",
            "r",
            "--service",
            "svc",
            "--data",
            &arg,
            "--format",
            "json",
            "https://h/",
        ],
        None,
    );
    let creq = v["canonical_request"].as_str().unwrap();
    assert!(creq.ends_with(&sigv4::sha256_hex(b"a\0b")), "{creq}");
    assert!(
        creq.contains("content-type:application/x-www-form-urlencoded\n"),
        "{creq}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn service_and_region_are_inferred_from_aws_hostnames() {
    let v = json(
        &[
            "sign",
            "--format",
            "json",
            "https://bucket.s3.eu-west-1.amazonaws.com/k",
        ],
        None,
    );
    assert!(v["string_to_sign"]
        .as_str()
        .unwrap()
        .contains("/eu-west-1/s3/aws4_request"));
    assert!(
        header(&v, "x-amz-content-sha256").is_some(),
        "S3 rules apply"
    );
    let v = json(
        &[
            "sign",
            "--region",
            "us-west-2",
            "--format",
            "json",
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke",
        ],
        None,
    );
    assert!(
        v["string_to_sign"]
            .as_str()
            .unwrap()
            .contains("/us-west-2/bedrock/aws4_request"),
        "--region wins"
    );
}
