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
