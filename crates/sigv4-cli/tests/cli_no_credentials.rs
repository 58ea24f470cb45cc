//! With nothing configured, one error line names every provider of the chain in order and
//! why it gave nothing, and says how to fix the most likely case: with instance metadata
//! disabled, and with a (local, 127.0.0.1) metadata service that refuses or never answers.
//! Nothing leaves the machine: the metadata endpoint is always overridden or disabled.

#[path = "support/capture.rs"]
mod capture;
mod support;

use std::process::{Command, Output};

use capture::{Canned, CaptureServer};
use support::*;

fn run(home: &TempDir, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    c.env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        c.env(k, v);
    }
    c.args([
        "sign",
        "--region",
        "us-east-1",
        "--service",
        "s3",
        "https://b.s3.amazonaws.com/k",
    ])
    .output()
    .unwrap()
}

/// Asserts one line naming the providers in chain order, each with its reason, and a fix.
#[track_caller]
fn assert_lists_chain(out: &Output, profile: &str, imds_reason: &[&str]) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    let lower = err.to_ascii_lowercase();
    let mut at = 0;
    for (what, why) in [
        ("environment", "aws_access_key_id"),
        ("profile", profile),
        ("web", "aws_web_identity_token_file"),
        ("container", "aws_container_credentials"),
        ("metadata", imds_reason[0]),
    ] {
        let i = lower[at..]
            .find(what)
            .unwrap_or_else(|| panic!("{what:?} missing or out of order in: {err}"))
            + at;
        let j = lower[i..]
            .find(&why.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("{what:?}: reason {why:?} missing in: {err}"));
        at = i + j;
    }
    for extra in &imds_reason[1..] {
        assert!(
            lower.contains(&extra.to_ascii_lowercase()),
            "{extra:?}: {err}"
        );
    }
    assert!(err.contains("AWS_SECRET_ACCESS_KEY"), "no fix given: {err}");
    assert!(
        err.contains("aws configure") || err.contains("~/.aws"),
        "{err}"
    );
    err
}

#[test]
fn nothing_configured_names_every_provider_in_order() {
    let home = TempDir::new("nocreds-disabled");
    let out = run(&home, &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert_lists_chain(&out, "default", &["disabled"]);
    let out = run(
        &home,
        &[
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_PROFILE", "dev"),
        ],
    );
    assert_lists_chain(&out, "dev", &["disabled"]);
}

#[test]
fn a_refusing_or_silent_metadata_service_still_lists_the_whole_chain() {
    let home = TempDir::new("nocreds-imds");
    // A metadata service that refuses the IMDSv2 token.
    let imds = CaptureServer::start("s3", vec![Canned::new(403, "no"); 8]);
    let endpoint = imds.url("");
    let out = run(&home, &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint)]);
    assert_lists_chain(&out, "default", &["403"]);
    // Nothing listening: connection refused.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let out = run(&home, &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &dead)]);
    assert_lists_chain(&out, "default", &["connect"]);
}
