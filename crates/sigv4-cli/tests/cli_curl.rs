//! curl compatibility end to end: for each flag set, what `sigv4 request` sends is compared
//! with what the real `curl` sends for the same arguments (when curl is on PATH; the
//! comparison says SKIPPED on stderr otherwise) and its signature is checked by
//! `sigv4::verify`; `sign` and `request` sign the same canonical request from the same
//! flags; and the command `sign --format curl` prints, run by the real curl, is accepted
//! by a verifying server. Everything runs against 127.0.0.1.

#[path = "support/capture.rs"]
mod capture;
mod support;

use std::process::Command;
use std::sync::atomic::Ordering;

use capture::{Canned, CaptureServer, Seen};
use support::*;

const TIME: &str = "20300101T000000Z";

fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn skip(what: &str) {
    eprintln!("SKIPPED: {what}: `curl` is not on PATH (apt-get install -y curl to run it)");
}

/// Files the flag sets refer to, in a fresh directory.
fn files(home: &TempDir) -> (String, String, String) {
    let crlf = home.path().join("crlf.txt");
    std::fs::write(&crlf, "line1\r\nline2 &=\n").unwrap();
    let bin = home.path().join("bin.dat");
    std::fs::write(&bin, b"a\0b\r\n\xff").unwrap();
    let text = home.path().join("t.txt");
    std::fs::write(&text, "x y\nz").unwrap();
    (
        crlf.to_str().unwrap().to_owned(),
        bin.to_str().unwrap().to_owned(),
        text.to_str().unwrap().to_owned(),
    )
}

/// The flag sets compared with curl: every body flag form, -G, --json, -H rules.
fn flag_sets(crlf: &str, bin: &str, text: &str) -> Vec<Vec<String>> {
    let v = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        v(&[
            "-d",
            "a=1",
            "--data-urlencode",
            "b=x y&z",
            "-d",
            &format!("@{crlf}"),
        ]),
        v(&[
            "--data-urlencode",
            "a b",
            "--data-urlencode",
            "=c&d",
            "--data-urlencode",
            &format!("nm@{text}"),
            "--data-urlencode",
            &format!("@{crlf}"),
            "--data-urlencode",
            "ü~*",
            "--data-urlencode",
            "a@b=c",
        ]),
        v(&["-G", "-d", "x=1", "--data-urlencode", "y=a b"]),
        v(&["--json", "{\"a\":1}", "--json", "{\"b\":2}"]),
        v(&["-d", "x=1", "--json", "{\"a\":1}", "-H", "Accept: text/x"]),
        v(&[
            "-X",
            "PUT",
            "-d",
            "a",
            "-H",
            "Content-Type: text/plain",
            "-H",
            "X-E;",
            "-H",
            "X-Rep: 1",
            "-H",
            "x-rep:  2  3",
        ]),
        // --data-binary adds no Content-Type here (the sign contract); give one.
        v(&[
            "--data-binary",
            &format!("@{bin}"),
            "-H",
            "Content-Type: application/octet-stream",
        ]),
        v(&[
            "--data-raw",
            "@not-a-file",
            "--data-binary",
            &format!("@{crlf}"),
        ]),
        v(&["-d", ""]),
        v(&["-X", "DELETE"]),
    ]
}

/// The parts of a request both curl and sigv4 decide from the flags: method, target,
/// body, and every header except transport and signing ones.
fn comparable(s: &Seen) -> (String, String, Vec<u8>, Vec<(String, String)>) {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (n, _) in &s.headers {
        let skip = ["host", "user-agent", "authorization", "content-length"].contains(&n.as_str())
            || n.starts_with("x-amz-");
        if !skip && !headers.iter().any(|(h, _)| h == n) {
            headers.push((n.clone(), s.header(n).unwrap()));
        }
    }
    headers.sort();
    // -G: curl writes a space as '+', sigv4 as %20 (SigV4 signs a raw '+' as a plus).
    let target = s.target.replace('+', "%20");
    (s.method.clone(), target, s.body.clone(), headers)
}

fn request_args<'a>(flags: &'a [String], url: &'a str) -> Vec<&'a str> {
    let mut args = vec!["request", "--service", "es", "--fail", "-s"];
    args.extend(flags.iter().map(String::as_str));
    args.push(url);
    args
}

#[test]
fn body_flags_send_what_curl_sends_and_verify() {
    let home = TempDir::new("curl-compare");
    let (crlf, bin, text) = files(&home);
    let server = CaptureServer::start("es", vec![]);
    let have_curl = curl_available();
    if !have_curl {
        skip("comparison with curl's requests");
    }
    for flags in flag_sets(&crlf, &bin, &text) {
        let url = server.url("/p/a%20b?q=1");
        let out = sigv4(home.path(), &request_args(&flags, &url));
        ok(&out);
        let ours = server.take();
        assert_eq!(ours.len(), 1, "{flags:?}");
        assert_eq!(
            ours[0].verified,
            Some(Ok(())),
            "{flags:?}: the verifier rejected {:?}",
            ours[0]
        );
        if have_curl {
            let out = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "--fail"])
                .args(&flags)
                .arg(&url)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "curl {flags:?}: {}",
                text_of(&out.stderr)
            );
            let theirs = server.take();
            assert_eq!(theirs.len(), 1);
            assert_eq!(
                comparable(&ours[0]),
                comparable(&theirs[0]),
                "{flags:?}: sigv4 (left) and curl (right) sent different requests"
            );
        }
    }
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The canonical request `request -v` shows on stderr.
fn verbose_canonical_request(stderr: &str) -> String {
    let mut lines = Vec::new();
    let mut inside = false;
    for l in stderr.lines() {
        if l == "* Canonical request:" {
            inside = true;
        } else if l == "* String to sign:" {
            break;
        } else if inside {
            lines.push(l.strip_prefix("*   ").unwrap_or(l.trim_start_matches('*')));
        }
    }
    lines.join("\n")
}

#[test]
fn sign_and_request_sign_the_same_request() {
    let home = TempDir::new("curl-agree");
    let (crlf, bin, text) = files(&home);
    let server = CaptureServer::start("es", vec![]);
    for service in ["es", "s3"] {
        for flags in flag_sets(&crlf, &bin, &text) {
            let url = server.url("/p/a%20b?q=1");
            let mut sign = vec![
                "sign",
                "--format",
                "json",
                "--service",
                service,
                "--time",
                TIME,
            ];
            sign.extend(flags.iter().map(String::as_str));
            sign.push(&url);
            let signed: serde_json::Value =
                serde_json::from_slice(&ok(&sigv4(home.path(), &sign))).unwrap();
            let mut req = vec!["request", "-v", "-s", "--service", service, "--time", TIME];
            req.extend(flags.iter().map(String::as_str));
            req.push(&url);
            let out = sigv4(home.path(), &req);
            ok(&out);
            server.take();
            assert_eq!(
                verbose_canonical_request(&text_of(&out.stderr)),
                signed["canonical_request"].as_str().unwrap(),
                "{service} {flags:?}: request (left) and sign (right) signed different requests"
            );
        }
    }
}

#[test]
fn sign_format_curl_runs_in_real_curl_and_verifies() {
    if !curl_available() {
        skip("running `sign --format curl` in curl");
        return;
    }
    let home = TempDir::new("curl-run");
    let (crlf, bin, text) = files(&home);
    for service in ["es", "s3"] {
        let server = VerifyingServer::start(service);
        let mut expected = 0;
        for flags in flag_sets(&crlf, &bin, &text) {
            for presign in [false, true] {
                let url = server.url("/p/a%20b?q=1");
                let mut sign = vec!["sign", "--format", "curl", "--service", service];
                if presign {
                    sign.push("--presign");
                }
                sign.extend(flags.iter().map(String::as_str));
                sign.push(&url);
                let cmd = text_of(&ok(&sigv4(home.path(), &sign)));
                let out = Command::new("sh")
                    .arg("-c")
                    .arg(format!("{} -s -S --fail-with-body", cmd.trim()))
                    .output()
                    .unwrap();
                expected += 1;
                assert!(
                    out.status.success(),
                    "{service} {flags:?} presign={presign}\n{cmd}\n{}{}",
                    text_of(&out.stdout),
                    text_of(&out.stderr)
                );
                assert_eq!(
                    server.counts.verified.load(Ordering::Relaxed),
                    expected,
                    "{cmd}"
                );
            }
        }
        // HEAD: printed as curl's -I (curl -X HEAD would wait for a body).
        let cmd = text_of(&ok(&sigv4(
            home.path(),
            &[
                "sign",
                "--format",
                "curl",
                "--service",
                service,
                "-X",
                "HEAD",
                "-H",
                "X-Meta: m",
                &server.url("/h"),
            ],
        )));
        assert!(cmd.starts_with("curl -I "), "{cmd}");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{} -s -S --fail --max-time 10", cmd.trim()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd}\n{}", text_of(&out.stderr));
        assert_eq!(server.counts.verified.load(Ordering::Relaxed), expected + 1);
        assert_eq!(server.counts.rejected.load(Ordering::Relaxed), 0);
    }
}

#[test]
fn data_urlencode_reads_files_and_stdin_whole() {
    let home = TempDir::new("curl-stdin");
    let server = CaptureServer::start("es", vec![]);
    let mut child = sigv4_cmd(home.path(), SK)
        .args([
            "request",
            "--service",
            "es",
            "--data-urlencode",
            "n@-",
            "-d",
            "k=v",
            &server.url("/"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"st din\n&").unwrap();
    let out = child.wait_with_output().unwrap();
    ok(&out);
    let seen = server.take();
    assert_eq!(seen[0].body, b"n=st+din%0A%26&k=v");
    assert_eq!(seen[0].verified, Some(Ok(())));
    let _ = Canned::new(200, "");
}

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl").args(args).output().unwrap()
}

#[test]
fn write_out_fail_with_body_and_show_error_match_curl() {
    let home = TempDir::new("curl-writeout");
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/missing?x=1");
    let fmt = "%{http_code} %{size_download} %{content_type} %{exitcode} %{url_effective}\\n";
    for (fail, body_shown) in [("--fail-with-body", true), ("--fail", false)] {
        server
            .script
            .lock()
            .unwrap()
            .extend([Canned::new(404, "missing"), Canned::new(404, "missing")]);
        let out = sigv4(
            home.path(),
            &["request", "--service", "es", "-s", "-w", fmt, fail, &url],
        );
        assert_eq!(out.status.code(), Some(22), "{fail}");
        assert!(
            out.stderr.is_empty(),
            "-s hides the error: {}",
            text(&out.stderr)
        );
        let want = format!(
            "{}404 {} text/plain 22 {url}\n",
            if body_shown { "missing" } else { "" },
            if body_shown { 7 } else { 0 }
        );
        assert_eq!(text(&out.stdout), want, "{fail}");
        let seen = server.take();
        assert_eq!(seen[0].verified, Some(Ok(())));
        if curl_available() {
            let theirs = curl(&["-s", "-w", fmt, fail, &url]);
            assert_eq!(theirs.status.code(), Some(22));
            assert_eq!(text(&theirs.stdout), want, "curl {fail}");
            server.take();
        } else {
            skip("comparing -w with curl's");
            server.script.lock().unwrap().clear();
        }
    }
    // -S brings the error message back under -s; %{time_total} is seconds.
    server.script.lock().unwrap().push(Canned::new(500, "boom"));
    let out = sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "es",
            "-sS",
            "-f",
            "-w",
            "%{time_total}",
            &url,
        ],
    );
    assert_eq!(out.status.code(), Some(22));
    assert!(
        text(&out.stderr).contains("HTTP 500"),
        "{}",
        text(&out.stderr)
    );
    let t: f64 = text(&out.stdout).parse().unwrap();
    assert!(t > 0.0);
    // A transport error: http_code 000 and curl's exit code.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/", free.local_addr().unwrap());
    drop(free);
    let out = sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "es",
            "-s",
            "-w",
            "%{http_code}/%{exitcode}",
            &dead,
        ],
    );
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stdout), "000/7");
}

#[test]
fn retry_backs_off_on_5xx_throttling_and_connection_errors() {
    let home = TempDir::new("curl-retry");
    let throttled_json = Canned::new(400, "{\"__type\":\"com.amazon#ThrottlingException\"}");
    let throttled_xml = Canned::new(
        400,
        "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>",
    );
    let server = CaptureServer::start(
        "es",
        vec![
            Canned::new(503, "busy"),
            throttled_json,
            Canned::new(400, "").header("x-amzn-ErrorType", "ThrottlingException:http://x"),
            throttled_xml,
            Canned::new(429, "slow down").header("Retry-After", "0"),
        ],
    );
    let out = sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "es",
            "--retry",
            "5",
            "--retry-delay",
            "0",
            "-d",
            "a=1",
            &server.url("/r"),
        ],
    );
    // As curl: every answer goes to standard output, the retried ones included.
    assert_eq!(
        text(&ok(&out)),
        "busy{\"__type\":\"com.amazon#ThrottlingException\"}\
         <ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>slow downok"
    );
    let seen = server.take();
    assert_eq!(seen.len(), 6);
    for s in &seen {
        assert_eq!(s.verified, Some(Ok(())));
        assert_eq!(s.body, b"a=1", "the body is sent again on every try");
    }
    assert_eq!(text(&out.stderr).matches("retrying").count(), 5);

    // Out of retries: the last answer; not retryable (404, a 400 that is not throttling):
    // one try. The default backoff (1 s) for one retry.
    server
        .script
        .lock()
        .unwrap()
        .extend([Canned::new(502, "b"), Canned::new(502, "a")]);
    let out = sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "es",
            "-f",
            "--retry",
            "1",
            &server.url("/r"),
        ],
    );
    assert_eq!(out.status.code(), Some(22));
    assert_eq!(server.take().len(), 2);
    for canned in [
        Canned::new(404, "no"),
        Canned::new(400, "<Code>InvalidParameter</Code>"),
    ] {
        server.script.lock().unwrap().push(canned);
        let out = sigv4(
            home.path(),
            &[
                "request",
                "--service",
                "es",
                "--retry",
                "3",
                &server.url("/r"),
            ],
        );
        ok(&out);
        assert_eq!(server.take().len(), 1);
    }

    // Connection refused, every time: as curl, retried only with --retry-connrefused
    // (1 + 2 tries), then curl's exit code 7 (tests/curl_net.rs compares with curl).
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/", free.local_addr().unwrap());
    drop(free);
    for (flag, retries) in [(None, 0), (Some("--retry-connrefused"), 2)] {
        let mut args = vec![
            "request",
            "--service",
            "es",
            "--retry",
            "2",
            "--retry-delay",
            "0",
            &dead,
        ];
        args.extend(flag);
        let out = sigv4(home.path(), &args);
        assert_eq!(out.status.code(), Some(7));
        assert_eq!(
            text(&out.stderr).matches("retrying").count(),
            retries,
            "{flag:?}: {}",
            text(&out.stderr)
        );
    }
}

/// (method, target, body, signed?) of each request, across both servers, in order.
fn hops(a: &CaptureServer, b: &CaptureServer) -> Vec<(String, String, Vec<u8>, bool)> {
    let mut v: Vec<(String, String, Vec<u8>, bool)> = Vec::new();
    for (tag, s) in [("A", a), ("B", b)] {
        for seen in s.take() {
            v.push((
                format!("{tag} {}", seen.method),
                seen.target.clone(),
                seen.body.clone(),
                seen.verified.is_some(),
            ));
        }
    }
    v
}

#[test]
fn location_re_signs_only_on_the_same_origin() {
    let home = TempDir::new("curl-location");
    let b = CaptureServer::start("es", vec![]);
    let a = CaptureServer::start("es", vec![]);
    let script = || {
        vec![
            Canned::new(307, "").header("Location", "/again?k=v"),
            Canned::new(302, "").header("Location", "next"),
            Canned::new(301, "").header("Location", &b.url("/elsewhere")),
        ]
    };
    *a.script.lock().unwrap() = script().into_iter().rev().collect();
    let out = sigv4_cmd(home.path(), SK)
        .env("AWS_SESSION_TOKEN", "SESSION-TOKEN-SECRET")
        .args([
            "request",
            "--service",
            "es",
            "-L",
            "-d",
            "x=1",
            "-w",
            "%{url_effective}",
            &a.url("/dir/start"),
        ])
        .output()
        .unwrap();
    let stdout = text(&ok(&out));
    assert_eq!(stdout, format!("ok{}", b.url("/elsewhere")));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "unsigned: the signature and session token are only sent to http://127.0.0.1:"
        ),
        "{err}"
    );
    let seen_b = b.seen.lock().unwrap().clone();
    assert_eq!(seen_b.len(), 1);
    let leaked = format!("{:?}", seen_b[0]);
    assert!(!leaked.contains("SESSION-TOKEN-SECRET"), "{leaked}");
    assert!(
        !leaked.contains("authorization") && !leaked.contains("x-amz-"),
        "{leaked}"
    );
    let seen_a = a.seen.lock().unwrap().clone();
    assert!(
        seen_a.iter().all(|s| s.verified == Some(Ok(()))),
        "{seen_a:?}"
    );
    let ours = hops(&a, &b);
    let want = vec![
        (
            "A POST".to_owned(),
            "/dir/start".to_owned(),
            b"x=1".to_vec(),
            true,
        ),
        (
            "A POST".to_owned(),
            "/again?k=v".to_owned(),
            b"x=1".to_vec(),
            true,
        ),
        ("A GET".to_owned(), "/next".to_owned(), vec![], true),
        ("B GET".to_owned(), "/elsewhere".to_owned(), vec![], false),
    ];
    assert_eq!(ours, want);
    if curl_available() {
        *a.script.lock().unwrap() = script().into_iter().rev().collect();
        let out = curl(&["-s", "-L", "-d", "x=1", &a.url("/dir/start")]);
        assert!(out.status.success());
        let theirs: Vec<_> = hops(&a, &b)
            .into_iter()
            .map(|(m, t, body, _)| (m, t, body))
            .collect();
        let ours: Vec<_> = want
            .into_iter()
            .map(|(m, t, body, _)| (m, t, body))
            .collect();
        assert_eq!(
            ours, theirs,
            "sigv4 (left) and curl (right) followed differently"
        );
    } else {
        skip("comparing -L with curl's");
    }
    // Without -L: the redirect itself is the answer.
    a.script
        .lock()
        .unwrap()
        .push(Canned::new(302, "moved").header("Location", "/x"));
    let out = sigv4(home.path(), &["request", "--service", "es", &a.url("/")]);
    assert_eq!(text(&ok(&out)), "moved");
}

#[test]
fn aws_sigv4_option_as_curl() {
    let home = TempDir::new("curl-awssigv4");
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/idx?q=1");
    let spec = format!("aws:amz:{REGION}:es");
    let out = sigv4_cmd(home.path(), SK)
        .env_remove("AWS_REGION")
        .args(["request", "--aws-sigv4", &spec, "-d", "a=1", &url])
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(server.take()[0].verified, Some(Ok(())));
    if curl_available() {
        // curl signs itself with the same option: our verifier accepts its signature too.
        let out = curl(&[
            "-s",
            "--aws-sigv4",
            &spec,
            "--user",
            &format!("{AK}:{SK}"),
            "-d",
            "a=1",
            &url,
        ]);
        assert!(out.status.success());
        assert_eq!(server.take()[0].verified, Some(Ok(())));
    } else {
        skip("curl's own --aws-sigv4");
    }
    for (bad, why) in [
        (vec!["--aws-sigv4", "gcp:x"], "aws:amz"),
        (
            vec![
                "--aws-sigv4",
                "aws:amz:eu-west-1:es",
                "--region",
                "us-east-1",
            ],
            "disagree",
        ),
    ] {
        let mut args = vec!["request"];
        args.extend(bad);
        args.push("http://127.0.0.1:1/");
        let out = sigv4(home.path(), &args);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains(why), "{}", text(&out.stderr));
    }
}

#[test]
fn retry_counts_match_curl() {
    if !curl_available() {
        skip("comparing --retry with curl's");
        return;
    }
    let home = TempDir::new("curl-retry-compare");
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/r");
    // Two transient answers then success; a 404 is final. Each client on its own.
    for (script, tries) in [
        (vec![Canned::new(503, "busy"), Canned::new(429, "slow")], 3),
        (vec![Canned::new(404, "no")], 1),
    ] {
        *server.script.lock().unwrap() = script.clone().into_iter().rev().collect();
        let ours = sigv4(
            home.path(),
            &[
                "request",
                "--service",
                "es",
                "-s",
                "--retry",
                "2",
                "--retry-delay",
                "1",
                &url,
            ],
        );
        let ours_seen = server.take();
        *server.script.lock().unwrap() = script.into_iter().rev().collect();
        let theirs = curl(&["-s", "--retry", "2", "--retry-delay", "1", &url]);
        let theirs_seen = server.take();
        assert_eq!(ours_seen.len(), tries);
        assert_eq!(
            theirs_seen.len(),
            tries,
            "curl tried a different number of times"
        );
        assert_eq!(ours.stdout, theirs.stdout);
        assert_eq!(ours.status.code(), theirs.status.code());
        assert!(ours_seen.iter().all(|s| s.verified == Some(Ok(()))));
    }
}
