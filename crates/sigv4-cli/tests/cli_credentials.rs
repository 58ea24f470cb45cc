//! `sigv4 credentials` and `sigv4 sign --profile` against real profile files in a temporary
//! HOME; instance metadata is disabled so nothing leaves the machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("sigv4-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        Home(dir)
    }
    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.0.join(rel), text).unwrap();
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(home: &Home, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap()
}

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[test]
fn profile_credentials_summary_hides_secrets_and_export_shows_them() {
    let home = Home::new("summary");
    home.write(
        ".aws/credentials",
        &format!("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = other\n\n[dev]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = {SECRET}\naws_session_token = TOKEN123\n"),
    );
    let out = run(&home, &["credentials", "--profile", "dev"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("AKIDEXAMPLE"), "{text}");
    assert!(
        !text.contains(SECRET) && !text.contains("TOKEN123"),
        "{text}"
    );

    let out = run(
        &home,
        &["credentials", "--profile", "dev", "--export", "shell"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("export AWS_SECRET_ACCESS_KEY='{SECRET}'")),
        "{text}"
    );
    assert!(
        text.contains("export AWS_SESSION_TOKEN='TOKEN123'"),
        "{text}"
    );

    let out = run(
        &home,
        &["credentials", "--profile", "dev", "--export", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], "AKIDEXAMPLE");
    assert_eq!(v["SecretAccessKey"], SECRET);
    assert_eq!(v["SessionToken"], "TOKEN123");

    let out = run(&home, &["credentials"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("AKIDDEFAULT"));
}

#[test]
fn sign_uses_the_profile() {
    let home = Home::new("sign");
    home.write(
        ".aws/credentials",
        &format!("[dev]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = {SECRET}\n"),
    );
    let out = run(
        &home,
        &[
            "sign",
            "--profile",
            "dev",
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
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["signature"],
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );
}

#[test]
fn credential_process_profile_through_the_cli() {
    let home = Home::new("process");
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"proctoken\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
    )
    .unwrap();
    home.write(
        ".aws/config",
        &format!(
            "[profile proc]\ncredential_process = sh {}\n",
            script.display()
        ),
    );
    let out = run(&home, &["credentials", "--profile", "proc"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("AKIDPROC") && text.contains("2099-01-01T00:00:00Z"),
        "{text}"
    );
    assert!(!text.contains("procsecret") && !text.contains("proctoken"));
}

#[test]
fn no_credentials_anywhere_fails_fast_with_one_actionable_line() {
    let home = Home::new("none");
    let started = std::time::Instant::now();
    let out = run(&home, &["credentials"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
    // Not a timing assertion on speed, only a sanity bound far above the expected
    // milliseconds, so a hang cannot pass.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn unknown_profile_is_an_error_naming_it() {
    let home = Home::new("unknown");
    home.write(".aws/config", "[profile a]\nregion = us-east-1\n");
    let out = run(&home, &["credentials", "--profile", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope"), "{err}");
}
