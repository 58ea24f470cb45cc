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

/// The features `--version` lists on the line of the library `name`.
fn listed_features(out: &str, name: &str) -> Vec<String> {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{name} {}: ", env!("CARGO_PKG_VERSION"))))
        .unwrap_or_else(|| panic!("no line for {name}: {out}"));
    line.split_once(": ")
        .unwrap()
        .1
        .split(", ")
        .map(str::to_string)
        .collect()
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
    // What the CLI's own manifest turns on (a workspace build with --all-features may add
    // more through feature unification; the installed binary has exactly these).
    let expected = [
        (
            "sigv4-rs",
            &[
                "checksums",
                "event-stream",
                "http",
                "http-body",
                "post-policy",
                "sigv4a",
            ][..],
        ),
        ("sigv4-rs-credentials", &["hyper-client", "rustls"][..]),
        ("sigv4-rs-http", &["gateway", "key-file", "tower"][..]),
    ];
    // No features; the CRC-64/NVME kernel this CPU runs instead.
    let kernel = listed_features(&out, "sigv4-rs-crc64");
    assert!(
        kernel == ["kernel vpclmulqdq256"] || kernel == ["kernel crc-fast"],
        "{out}"
    );
    for (name, features) in expected {
        let listed = listed_features(&out, name);
        for feature in features {
            assert!(
                listed.iter().any(|f| f == feature),
                "{feature} missing from {name}: {out}"
            );
        }
    }
}

/// Every library of this workspace that the CLI depends on has its line: a library added
/// later without a `build_info` line in `version.rs` fails here.
#[test]
fn every_linked_workspace_library_is_listed() {
    let workspace = include_str!("../../../Cargo.toml");
    let cli = include_str!("../Cargo.toml");
    let dependencies = table(cli, "[dependencies]");
    let out = sigv4("--version");
    let mut checked = 0;
    for line in table(workspace, "[workspace.dependencies]") {
        let Some((key, spec)) = line.split_once(" = ") else {
            continue;
        };
        if !spec.contains("path = \"crates/") {
            continue;
        }
        let package = spec
            .split("package = \"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or(key);
        if dependencies
            .iter()
            .any(|d| d.starts_with(&format!("{key} ")) || d.starts_with(&format!("{key}.")))
        {
            listed_features(&out, package);
            checked += 1;
        }
    }
    assert_eq!(
        checked, 4,
        "sigv4-rs, -credentials, -http and -crc64: {out}"
    );
}

/// A feature declared in a library's Cargo.toml but missing from its `build_info::FEATURES`
/// would be compiled in without `--version` saying so.
#[test]
fn every_declared_feature_is_in_build_info() {
    let libraries = [
        (
            include_str!("../../sigv4/Cargo.toml"),
            include_str!("../../sigv4/src/build_info.rs"),
            sigv4::build_info::FEATURES,
        ),
        (
            include_str!("../../sigv4-credentials/Cargo.toml"),
            include_str!("../../sigv4-credentials/src/build_info.rs"),
            sigv4_credentials::build_info::FEATURES,
        ),
        (
            include_str!("../../sigv4-http/Cargo.toml"),
            include_str!("../../sigv4-http/src/build_info.rs"),
            sigv4_http::build_info::FEATURES,
        ),
    ];
    for (manifest, source, compiled) in libraries {
        let declared: Vec<&str> = table(manifest, "[features]")
            .into_iter()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().trim_matches('"')))
            .filter(|k| *k != "default")
            .collect();
        assert!(declared.len() >= 2, "{declared:?}");
        for name in declared {
            assert!(
                source.contains(&format!("#[cfg(feature = \"{name}\")]\n    \"{name}\",")),
                "feature `{name}` is not in build_info::FEATURES:\n{source}"
            );
        }
        let mut sorted = compiled.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, compiled, "FEATURES sorted and unique");
    }
}

/// The non-comment, non-empty lines of a TOML table, up to the next table header.
fn table<'a>(manifest: &'a str, header: &str) -> Vec<&'a str> {
    manifest
        .lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
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
    assert_eq!(sigv4("--version").lines().count(), 5);
    let out = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(["sign", "--version"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("sigv4-rs-http"));
}
