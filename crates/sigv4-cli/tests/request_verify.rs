//! `sigv4 request` for services other than S3, against a local server that verifies every
//! request (body hash included) with `sigv4::verify`; the SignatureDoesNotMatch diff; and
//! the command line's errors (one line, actionable, curl's exit codes).

mod support;

use std::sync::atomic::Ordering;

use sigv4::verify::Verifier;
use support::*;

fn es(home: &TempDir, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["request", "--service", "es"];
    args.extend_from_slice(extra);
    sigv4(home.path(), &args)
}

#[test]
fn data_and_streamed_upload_are_hashed_and_verified() {
    let server = VerifyingServer::start("es");
    let home = TempDir::new("home-es");

    // -d: POST, form content type, body echoed back by the verifying server.
    let got = ok(&es(
        &home,
        &[
            "--fail",
            "-d",
            "a=1",
            "-d",
            "b=2",
            &server.url("/idx/_search"),
        ],
    ));
    assert_eq!(text(&got), "a=1&b=2");

    // JSON with an explicit content type, and a query string that needs encoding rules.
    let got = ok(&es(
        &home,
        &[
            "--fail",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            "{\"q\": 1}",
            &server.url("/idx/_doc/a%20b?refresh=true&x=%2F"),
        ],
    ));
    assert_eq!(text(&got), "{\"q\": 1}");

    // -T FILE for a service that needs the payload hash: hashed first, then streamed.
    let file = home.path().join("up.bin");
    let sha = write_test_file(&file, 5 * 1024 * 1024 + 7);
    let back = home.path().join("echo.bin");
    ok(&es(
        &home,
        &[
            "--fail",
            "-T",
            file.to_str().unwrap(),
            "-o",
            back.to_str().unwrap(),
            &server.url("/idx/_bulk"),
        ],
    ));
    assert_eq!(sha256_file(&back), sha);
    assert_eq!(server.counts.rejected.load(Ordering::Relaxed), 0);
    assert_eq!(server.counts.verified.load(Ordering::Relaxed), 3);

    // Headers given with -H are signed; 'Name:' removes a default header.
    let out = es(
        &home,
        &[
            "--fail",
            "-v",
            "-H",
            "X-Custom: v1",
            "-H",
            "Accept:",
            &server.url("/h"),
        ],
    );
    ok(&out);
    let err = text(&out.stderr);
    assert!(err.contains("*   x-custom:v1\n"), "{err}");
    assert!(!err.contains("> accept:"), "{err}");
}

#[test]
fn signature_mismatch_shows_the_servers_canonical_request_as_a_diff() {
    // The server applies S3's URI rules to an `es` request: it encodes the path once, we
    // (correctly for es) twice, so the canonical requests differ on the path line.
    let verifier = Verifier::new(REGION, "es")
        .unwrap()
        .with_uri_rules(sigv4::UriRules::S3);
    let server = VerifyingServer::start_verifier(verifier, 1);
    let home = TempDir::new("home-diff");
    let out = es(&home, &["--fail", &server.url("/docs/a%20b")]);
    assert_eq!(out.status.code(), Some(22));
    let err = text(&out.stderr);
    assert!(err.contains("SignatureDoesNotMatch"), "{err}");
    assert!(err.contains("--- canonical request (ours)"), "{err}");
    assert!(err.contains("\n- /docs/a%2520b\n+ /docs/a%20b\n"), "{err}");
    assert!(err.contains("  GET\n"), "{err}");
    assert!(err.contains("--- string to sign (ours)"), "{err}");
    assert!(!err.contains(SK), "{err}");
}

#[test]
fn errors_are_one_line_with_curl_exit_codes() {
    let home = TempDir::new("home-errors");
    // A port that was just free: connection refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/x");
    let out = es(&home, &[&url]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("sigv4: error: cannot connect to 127.0.0.1:"),
        "{err}"
    );

    // --max-time: a server that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/slow", silent.local_addr().unwrap());
    let start = std::time::Instant::now();
    let out = es(&home, &["--max-time", "0.5", &url]);
    assert_eq!(out.status.code(), Some(28), "{}", text(&out.stderr));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    assert!(
        text(&out.stderr).contains("--max-time"),
        "{}",
        text(&out.stderr)
    );
    drop(silent);

    // No service for a non-AWS host.
    let out = sigv4(home.path(), &["request", "http://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("pass --service"), "{err}");

    // A bad URL and a bad header.
    let out = es(&home, &["ftp://127.0.0.1/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("use http:// or https://"));
    let out = es(&home, &["-H", "NoColon", "http://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("'Name: value'"));
    // An upload file that cannot be read: curl's 26 (read error).
    let out = es(&home, &["-T", "/nonexistent/file", "http://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(26));
    assert!(text(&out.stderr).contains("/nonexistent/file"));

    // No credentials at all.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args([
            "request",
            "--service",
            "es",
            "--region",
            REGION,
            "http://127.0.0.1:1/",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
}

#[test]
fn help_and_completions() {
    let home = TempDir::new("home-help");
    for cmd in ["request", "presign", "proxy", "completions"] {
        let out = sigv4(home.path(), &[cmd, "--help"]);
        let help = text(&ok(&out));
        assert!(help.contains("Usage: sigv4 "), "{help}");
        // Readable in an 80-column terminal.
        for line in help.lines() {
            assert!(
                line.chars().count() <= 100,
                "{cmd} help line too long: {line:?}"
            );
        }
    }
    let top = text(&ok(&sigv4(home.path(), &["--help"])));
    for cmd in ["request", "presign", "proxy", "completions"] {
        assert!(top.contains(cmd), "{top}");
    }
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = text(&ok(&sigv4(home.path(), &["completions", shell])));
        assert!(
            script.contains("presign") && script.contains("upload-file"),
            "{shell}"
        );
    }
    let out = sigv4(home.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn connect_timeout_gives_exit_28() {
    // A local listener that never accepts, with its accept queue filled: further connection
    // attempts get no answer (Linux drops the SYN), so connecting hangs until the timeout.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    let mut full = false;
    for _ in 0..2000 {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(200)) {
            Ok(s) => held.push(s),
            Err(_) => {
                full = true;
                break;
            }
        }
    }
    assert!(full, "the accept queue never filled");
    let home = TempDir::new("home-connect-timeout");
    let start = std::time::Instant::now();
    let out = es(
        &home,
        &["--connect-timeout", "0.5", &format!("http://{addr}/x")],
    );
    assert_eq!(out.status.code(), Some(28), "{}", text(&out.stderr));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("timed out") && err.contains("--connect-timeout"),
        "{err}"
    );
    drop(held);
}
