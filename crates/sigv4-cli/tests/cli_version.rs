//! `sigv4 --version` names the version and, per library, the cargo features compiled in;
//! `-V` stays one line.

use std::process::Command;

fn sigv4(arg: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .arg(arg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn long_version_lists_libraries_and_features() {
    let out = sigv4("--version");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("sigv4 {}", env!("CARGO_PKG_VERSION")),
        "{out}"
    );
    // The CLI turns on the core's `http` and `http-body` on top of its defaults.
    let core = lines
        .iter()
        .find(|l| l.starts_with("sigv4-rs "))
        .expect(&out);
    for feature in [
        "checksums",
        "event-stream",
        "http",
        "http-body",
        "post-policy",
        "sigv4a",
    ] {
        assert!(
            core.split(": ")
                .nth(1)
                .unwrap()
                .split(", ")
                .any(|f| f == feature),
            "{feature} missing: {out}"
        );
    }
    assert!(
        lines.contains(
            &format!(
                "sigv4-rs-credentials {}: hyper-client, rustls",
                env!("CARGO_PKG_VERSION")
            )
            .as_str()
        ),
        "{out}"
    );
}

#[test]
fn short_version_is_one_line() {
    assert_eq!(
        sigv4("-V"),
        format!("sigv4 {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn subcommands_report_the_same_version() {
    assert_eq!(sigv4("--version").lines().count(), 3);
    let out = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(["sign", "--version"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("sigv4-rs-credentials"));
}
