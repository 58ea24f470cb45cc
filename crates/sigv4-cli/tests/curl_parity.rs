//! Issue 21: where `sigv4` behaved unlike curl or the AWS tools. Each test runs the real
//! `sigv4` binary against servers on 127.0.0.1 and, where curl is installed, runs the real
//! `curl` with the same arguments in the same test and compares what both did (bytes sent,
//! stdout/stderr split, exit code, file left behind).

#[path = "support/capture.rs"]
mod capture;
mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use capture::{Canned, CaptureServer};
use support::*;

fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn skip(what: &str) {
    eprintln!("SKIPPED: {what}: `curl` is not on PATH (apt-get install -y curl to run it)");
}

/// Runs the real curl in `dir`.
fn curl(dir: &Path, args: &[&str]) -> Output {
    Command::new("curl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Runs `sigv4 request ARGS` in `dir`.
fn request_in(dir: &Path, home: &Path, args: &[&str]) -> Output {
    sigv4_cmd(home, SK)
        .current_dir(dir)
        .arg("request")
        .args(args)
        .output()
        .unwrap()
}

/// Runs `cmd` with its standard output a pipe whose reader is already gone (as in
/// `sigv4 sign ... | head -1` once head has its line).
fn with_closed_stdout(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    let home = TempDir::new("pipe");
    let url = "https://abc.execute-api.us-east-1.amazonaws.com/prod/items";
    let commands: Vec<Vec<&str>> = vec![
        vec!["sign", "--service", "execute-api", url],
        vec!["sign", "--service", "execute-api", "--format", "json", url],
        vec!["sign", "--service", "execute-api", "--format", "curl", url],
        vec!["presign", "--service", "execute-api", url],
        vec!["credentials"],
        vec!["credentials", "--export", "shell"],
        vec!["completions", "bash"],
    ];
    for args in commands {
        let mut cmd = sigv4_cmd(home.path(), SK);
        cmd.args(&args);
        let out = with_closed_stdout(cmd);
        assert_eq!(
            (out.status.code(), text(&out.stderr)),
            (Some(0), String::new()),
            "sigv4 {args:?} with a closed standard output"
        );
    }
    // verify prints its verdict to standard output too.
    let signed = ok(&sigv4(
        home.path(),
        &[
            "presign",
            "--service",
            "execute-api",
            "--time",
            "2030-01-01T00:00:00Z",
            url,
        ],
    ));
    let presigned = text(&signed).trim().to_owned();
    let mut cmd = sigv4_cmd(home.path(), SK);
    cmd.args([
        "verify",
        "--time",
        "2030-01-01T00:00:00Z",
        "--url",
        &presigned,
    ]);
    let out = with_closed_stdout(cmd);
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (Some(0), String::new()),
        "sigv4 verify with a closed standard output"
    );
}

#[test]
fn request_into_a_closed_pipe_exits_as_curl_does() {
    let home = TempDir::new("pipe-request");
    let big = "x".repeat(4 << 20);
    let server = CaptureServer::start("es", vec![Canned::new(200, &big), Canned::new(200, &big)]);
    let url = server.url("/big");
    let mut cmd = sigv4_cmd(home.path(), SK);
    cmd.args(["request", "--service", "es", "-s", &url]);
    let ours = with_closed_stdout(cmd);
    assert!(
        !text(&ours.stderr).contains("panicked"),
        "{}",
        text(&ours.stderr)
    );
    // curl's write error, 23, silently with -s.
    assert_eq!(ours.status.code(), Some(23), "{}", text(&ours.stderr));
    assert_eq!(text(&ours.stderr), "");
    if !curl_available() {
        return skip("curl's exit code on a closed pipe");
    }
    let mut cmd = Command::new("curl");
    cmd.args(["-s", &url]);
    let theirs = with_closed_stdout(cmd);
    assert_eq!(ours.status.code(), theirs.status.code());
    assert_eq!(text(&ours.stderr), text(&theirs.stderr));
}

#[test]
fn dash_output_is_standard_output_as_in_curl() {
    let home = TempDir::new("dash-out");
    let dir = TempDir::new("dash-out-cwd");
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/o");
    let ours = request_in(
        dir.path(),
        home.path(),
        &["--service", "es", "-o", "-", &url],
    );
    assert_eq!(ok(&ours), b"ok");
    assert!(
        !dir.path().join("-").exists(),
        "-o - wrote a file named '-'"
    );
    if !curl_available() {
        return skip("curl -o -");
    }
    let theirs = curl(dir.path(), &["-s", "-o", "-", &url]);
    assert_eq!(ours.stdout, theirs.stdout);
    assert!(!dir.path().join("-").exists());
}

/// One `-o FILE` case: the flags, the answer, and what the file held before.
struct OutputCase {
    flags: &'static [&'static str],
    answer: Canned,
    before: Option<&'static str>,
}

/// What a run left: exit code, stdout, and the file (None: no file).
fn run_output_case(
    dir: &Path,
    case: &OutputCase,
    run: impl Fn(&[&str]) -> Output,
) -> (Option<i32>, Vec<u8>, Option<Vec<u8>>) {
    let file = dir.join("out.txt");
    let _ = std::fs::remove_file(&file);
    if let Some(b) = case.before {
        std::fs::write(&file, b).unwrap();
    }
    let mut args: Vec<&str> = case.flags.to_vec();
    args.extend(["-o", "out.txt"]);
    let out = run(&args);
    (out.status.code(), out.stdout, std::fs::read(&file).ok())
}

#[test]
fn output_file_is_left_as_curl_leaves_it() {
    let home = TempDir::new("out-file");
    let dir = TempDir::new("out-file-cwd");
    let cases = vec![
        // -f on an HTTP error: an existing file is untouched, a missing one not created.
        OutputCase {
            flags: &["-f"],
            answer: Canned::new(404, "missing"),
            before: Some("keep me"),
        },
        OutputCase {
            flags: &["-f"],
            answer: Canned::new(404, "missing"),
            before: None,
        },
        // Without -f the error body is the output.
        OutputCase {
            flags: &[],
            answer: Canned::new(404, "missing"),
            before: Some("keep me"),
        },
        // An empty answer still creates (empties) the file.
        OutputCase {
            flags: &[],
            answer: Canned::new(200, ""),
            before: Some("old"),
        },
        OutputCase {
            flags: &[],
            answer: Canned::new(200, "new body"),
            before: Some("old"),
        },
    ];
    let have_curl = curl_available();
    if !have_curl {
        skip("curl's -o files");
    }
    for case in &cases {
        let server = CaptureServer::start("es", vec![case.answer.clone()]);
        let url = server.url("/f");
        let ours = run_output_case(dir.path(), case, |a| {
            let mut args = vec!["--service", "es", "-s"];
            args.extend(a);
            args.push(&url);
            request_in(dir.path(), home.path(), &args)
        });
        let expected_file = match (
            case.flags.contains(&"-f") && case.answer.status >= 400,
            case.before,
        ) {
            (true, before) => before.map(|b| b.as_bytes().to_vec()),
            (false, _) => Some(case.answer.body.clone()),
        };
        assert_eq!(
            ours.2, expected_file,
            "{:?} {}",
            case.flags, case.answer.status
        );
        if have_curl {
            let server = CaptureServer::start("es", vec![case.answer.clone()]);
            let url = server.url("/f");
            let theirs = run_output_case(dir.path(), case, |a| {
                let mut args = vec!["-s"];
                args.extend(a);
                args.push(&url);
                curl(dir.path(), &args)
            });
            assert_eq!(
                ours, theirs,
                "{:?} {}: sigv4 (left), curl (right)",
                case.flags, case.answer.status
            );
        }
    }
}

#[test]
fn fail_with_include_still_writes_the_headers_as_curl() {
    let home = TempDir::new("fail-include");
    let server = CaptureServer::start("es", vec![Canned::new(404, "missing")]);
    let url = server.url("/f");
    let ours = sigv4(
        home.path(),
        &["request", "--service", "es", "-s", "-f", "-i", &url],
    );
    assert_eq!(ours.status.code(), Some(22));
    let head = text(&ours.stdout);
    assert!(head.starts_with("HTTP/1.1 404"), "{head:?}");
    assert!(!head.contains("missing"), "{head:?}");
    if !curl_available() {
        return skip("curl -f -i");
    }
    let server = CaptureServer::start("es", vec![Canned::new(404, "missing")]);
    let theirs = curl(Path::new("."), &["-s", "-f", "-i", &server.url("/f")]);
    assert_eq!(theirs.status.code(), Some(22));
    assert!(text(&theirs.stdout).starts_with("HTTP/1.1 404"));
    assert!(!text(&theirs.stdout).contains("missing"));
}

/// A home with profile `p` holding the test key (region eu-central-1), for runs whose
/// environment holds other keys.
fn home_with_profile(name: &str) -> TempDir {
    let home = TempDir::new(name);
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!("[p]\naws_access_key_id = {AK}\naws_secret_access_key = {SK}\n"),
    )
    .unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile p]\nregion = eu-central-1\n",
    )
    .unwrap();
    home
}

/// `sigv4` with other keys in the environment than profile `p`'s, and no AWS_REGION.
fn with_env_keys(home: &Path) -> Command {
    let mut c = sigv4_cmd(home, "env/secret/that/the/server/does/not/know");
    c.env("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY")
        .env_remove("AWS_REGION");
    c
}

#[test]
fn profile_flag_beats_environment_keys_as_in_the_aws_cli() {
    let home = home_with_profile("profile-wins");
    let server = CaptureServer::start("es", vec![]);
    // --profile: the profile's key signs (the server knows only that one).
    let out = with_env_keys(home.path())
        .args([
            "request",
            "--profile",
            "p",
            "--service",
            "es",
            "--region",
            REGION,
        ])
        .arg(server.url("/x"))
        .output()
        .unwrap();
    ok(&out);
    let seen = server.take();
    assert_eq!(seen[0].verified, Some(Ok(())), "{:?}", seen[0]);
    // AWS_PROFILE does not beat environment keys.
    let out = with_env_keys(home.path())
        .env("AWS_PROFILE", "p")
        .args(["request", "--service", "es", "--region", REGION])
        .arg(server.url("/x"))
        .output()
        .unwrap();
    ok(&out);
    let seen = server.take();
    assert!(
        seen[0]
            .header("authorization")
            .unwrap()
            .contains("Credential=AKIAENVIRONMENTKEY/"),
        "{:?}",
        seen[0]
    );
    // `sigv4 credentials` says which won and why.
    let out = with_env_keys(home.path())
        .args(["credentials", "--profile", "p"])
        .output()
        .unwrap();
    let shown = text(&ok(&out));
    assert!(
        shown.contains(&format!("access key id:     {AK}")),
        "{shown}"
    );
    assert!(
        shown.contains("why:               --profile p was given"),
        "{shown}"
    );
    assert!(shown.contains("region:            eu-central-1"), "{shown}");
    let out = with_env_keys(home.path())
        .env("AWS_PROFILE", "p")
        .arg("credentials")
        .output()
        .unwrap();
    let shown = text(&ok(&out));
    assert!(
        shown.contains("access key id:     AKIAENVIRONMENTKEY"),
        "{shown}"
    );
    assert!(
        shown.contains("why:               AWS_ACCESS_KEY_ID is set"),
        "{shown}"
    );
}

#[test]
fn non_ascii_urls_are_sent_as_signed() {
    let home = TempDir::new("non-ascii");
    // A real S3 server checks the signature of what it received.
    let s3 = S3Server::start("non-ascii");
    std::fs::create_dir_all(s3.root.path().join("bkt")).unwrap();
    let put = sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "s3",
            "-f",
            "-s",
            "-X",
            "PUT",
            "--data-binary",
            "contenu",
            &s3.url("/bkt/café.txt"),
        ],
    );
    ok(&put);
    let get = sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "s3",
            "-f",
            "-s",
            &s3.url("/bkt/café.txt"),
        ],
    );
    assert_eq!(ok(&get), b"contenu");
    // Our verifier, for another service, with non-ASCII in path and query.
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/d/café.txt?q=é&a=1");
    ok(&sigv4(
        home.path(),
        &["request", "--service", "es", "-f", "-s", &url],
    ));
    let ours = server.take();
    assert_eq!(ours[0].verified, Some(Ok(())), "{:?}", ours[0]);
    assert_eq!(ours[0].target, "/d/caf%C3%A9.txt?q=%C3%A9&a=1");
    if !curl_available() {
        return skip("curl's encoding of a non-ASCII URL");
    }
    // curl encodes the path too (lowercase hex, which SigV4 would canonicalize to
    // uppercase) and sends the query raw (bytes HTTP/1.1 does not allow): the README's
    // difference table says why sigv4 writes both as %XX with uppercase hex.
    ok(&curl(Path::new("."), &["-s", "-f", &url]));
    let theirs = server.take();
    assert_eq!(theirs[0].target, "/d/caf%c3%a9.txt?q=é&a=1");
    assert_eq!(
        theirs[0].target.replace('é', "%C3%A9").to_ascii_uppercase(),
        ours[0].target.to_ascii_uppercase()
    );
}

#[test]
fn verify_reads_sign_json_and_takes_the_scope_from_the_request() {
    let home = TempDir::new("verify-json");
    let time = "2030-01-01T00:00:00Z";
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "sign",
            "--region",
            "eu-west-3",
            "--service",
            "execute-api",
            "--time",
            time,
            "--format",
            "json",
        ];
        args.extend(extra);
        args.push("https://abc.example.com/prod/items?a=1");
        let v: serde_json::Value = serde_json::from_slice(&ok(&sigv4(home.path(), &args))).unwrap();
        v
    };
    let v = sign(&[]);
    let mut raw = String::from("GET /prod/items?a=1 HTTP/1.1\r\n");
    for h in v["headers"].as_array().unwrap() {
        raw.push_str(&format!(
            "{}: {}\r\n",
            h[0].as_str().unwrap(),
            h[1].as_str().unwrap()
        ));
    }
    raw.push_str("\r\n");
    let req = home.path().join("req.http");
    std::fs::write(&req, &raw).unwrap();
    let req_arg = format!("@{}", req.display());
    // No --service/--region: the Authorization header names both (and AWS_REGION says
    // otherwise).
    let out = sigv4(
        home.path(),
        &["verify", "--time", time, "--request", &req_arg],
    );
    let shown = text(&ok(&out));
    assert!(
        shown.contains("eu-west-3/execute-api/aws4_request"),
        "{shown}"
    );
    // A tampered request, explained against the client's `sign --format json` output.
    std::fs::write(&req, raw.replace("?a=1", "?a=2")).unwrap();
    let json = home.path().join("client.json");
    std::fs::write(&json, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = sigv4(
        home.path(),
        &[
            "verify",
            "--time",
            time,
            "--request",
            &req_arg,
            "--explain",
            "--client-canonical",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stdout);
    assert!(shown.contains("\n- a=1\n+ a=2\n"), "{shown}");
    assert!(shown.contains("\n  GET\n"), "{shown}");
    assert!(!shown.contains("canonical_request"), "{shown}");
}

#[test]
fn proxy_takes_the_profile_region_and_a_fixed_time() {
    let home = home_with_profile("proxy-profile");
    let server = CaptureServer::start("es", vec![]);
    let upstream = server.url("");
    // Keys and region from the profile, AWS_REGION unset, other keys in the environment.
    let mut proxy = {
        let mut child = with_env_keys(home.path());
        child.args([
            "proxy",
            "--upstream",
            &upstream,
            "--service",
            "es",
            "--profile",
            "p",
            "--time",
            "20300101T000000Z",
            "--listen",
            "127.0.0.1:0",
        ]);
        ProxyChild::start(child)
    };
    let out = plain_get(&proxy.url("/idx"));
    assert!(out, "the request through the proxy failed");
    let seen = server.take();
    let auth = seen[0].header("authorization").unwrap();
    assert!(
        auth.contains(&format!(
            "Credential={AK}/20300101/eu-central-1/es/aws4_request"
        )),
        "{auth}"
    );
    assert_eq!(
        seen[0].header("x-amz-date").as_deref(),
        Some("20300101T000000Z")
    );
    proxy.stop();
}

/// A plain GET to the proxy (with a tiny std client: no credentials involved).
fn plain_get(url: &str) -> bool {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// A `sigv4 proxy` started from a prepared command.
struct ProxyChild {
    child: std::process::Child,
    addr: String,
}

impl ProxyChild {
    fn start(mut cmd: Command) -> ProxyChild {
        use std::io::BufRead;
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("the proxy did not start: {line:?}"))
            .to_owned();
        ProxyChild { child, addr }
    }
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProxyChild {
    fn drop(&mut self) {
        self.stop();
    }
}

#[test]
fn a_raw_plus_in_the_query_is_sent_as_signed() {
    let home = TempDir::new("plus");
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/p?a=b+c&d=%2B");
    let out = sigv4(
        home.path(),
        &["request", "--service", "es", "-f", "-v", &url],
    );
    ok(&out);
    let ours = server.take();
    assert_eq!(ours[0].verified, Some(Ok(())), "{:?}", ours[0]);
    // The wire query and the canonical query agree: both say plus.
    assert_eq!(ours[0].target, "/p?a=b%2Bc&d=%2B");
    let err = text(&out.stderr);
    assert!(
        err.contains("* The query's raw '+' is sent as %2B"),
        "{err}"
    );
    assert!(err.contains("*   a=b%2Bc&d=%2B"), "{err}");
    // A real S3 server (which reads '+' as a space) finds the key "a+b" by that prefix.
    let s3 = S3Server::start("plus");
    std::fs::create_dir_all(s3.root.path().join("bkt")).unwrap();
    for key in ["a+b.txt", "a b.txt"] {
        let put_url = s3.url(&format!(
            "/bkt/{}",
            key.replace('+', "%2B").replace(' ', "%20")
        ));
        ok(&sigv4(
            home.path(),
            &[
                "request",
                "--service",
                "s3",
                "-f",
                "-s",
                "-X",
                "PUT",
                "--data-binary",
                "x",
                &put_url,
            ],
        ));
    }
    let listed = text(&ok(&sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "s3",
            "-f",
            "-s",
            &s3.url("/bkt?list-type=2&prefix=a+b"),
        ],
    )));
    assert!(listed.contains("<Key>a+b.txt</Key>"), "{listed}");
    assert!(!listed.contains("<Key>a b.txt</Key>"), "{listed}");
    if !curl_available() {
        return skip("curl's raw '+'");
    }
    // curl sends the '+' raw (the README's difference table says why sigv4 does not).
    ok(&curl(Path::new("."), &["-s", "-f", &url]));
    assert_eq!(server.take()[0].target, "/p?a=b+c&d=%2B");
}

#[test]
fn transport_errors_exit_with_curls_codes() {
    let home = TempDir::new("exit-codes");
    let plain = CaptureServer::start("es", vec![]);
    let empty = raw_server(Some(b""));
    let truncated = raw_server(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"));
    let (acceptor, _pem) = self_signed_tls();
    let tls = VerifyingServer::start_tls("es", acceptor);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let missing = home.path().join("no-such-file");
    let missing = missing.to_str().unwrap();
    let cases: Vec<(u8, Vec<String>)> = vec![
        (7, vec![format!("http://{closed}/")]),
        (35, vec![format!("https://{}/", plain.addr)]),
        (52, vec![format!("http://{empty}/")]),
        (18, vec![format!("http://{truncated}/")]),
        (60, vec![tls.url("/").replace("http://", "https://")]),
        (26, vec!["-T".into(), missing.into(), plain.url("/up")]),
    ];
    let have_curl = curl_available();
    if !have_curl {
        skip("curl's exit codes");
    }
    for (code, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut ours_args = vec!["request", "--service", "es", "-s", "-o", "/dev/null"];
        ours_args.extend(&args);
        let ours = sigv4(home.path(), &ours_args);
        assert_eq!(
            ours.status.code(),
            Some(i32::from(*code)),
            "{args:?}: {}",
            text(&ours.stderr)
        );
        // -s without -S: no message, as curl.
        assert_eq!(text(&ours.stderr), "", "{args:?}");
        if have_curl {
            let mut curl_args = vec!["-s", "-o", "/dev/null"];
            curl_args.extend(&args);
            let theirs = curl(home.path(), &curl_args);
            assert_eq!(
                ours.status.code(),
                theirs.status.code(),
                "{args:?}: sigv4 (left), curl (right)"
            );
        }
    }
}

#[test]
fn user_agent_range_and_create_dirs_as_curl() {
    let home = TempDir::new("ua-range");
    let dir = TempDir::new("ua-range-cwd");
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/r");
    let flags = [
        "-A",
        "my-agent/1.0",
        "-r",
        "0-99",
        "--create-dirs",
        "--no-progress-meter",
        "-o",
        "new/sub/out.txt",
    ];
    let mut args = vec!["--service", "es", "-f"];
    args.extend(flags);
    args.push(&url);
    ok(&request_in(dir.path(), home.path(), &args));
    let ours = server.take();
    assert_eq!(ours[0].verified, Some(Ok(())), "{:?}", ours[0]);
    assert_eq!(
        ours[0].header("user-agent").as_deref(),
        Some("my-agent/1.0")
    );
    assert_eq!(ours[0].header("range").as_deref(), Some("bytes=0-99"));
    // Range is signed, User-Agent is not (the sign contract).
    let auth = ours[0].header("authorization").unwrap();
    assert!(
        auth.contains("range") && !auth.contains("user-agent"),
        "{auth}"
    );
    let written = dir.path().join("new/sub/out.txt");
    assert_eq!(std::fs::read(&written).unwrap(), b"ok");
    // -H of the same name wins over -A and -r.
    ok(&request_in(
        dir.path(),
        home.path(),
        &[
            "--service",
            "es",
            "-s",
            "-A",
            "a",
            "-H",
            "User-Agent: b",
            "-r",
            "1-2",
            "-H",
            "Range: bytes=3-4",
            &url,
        ],
    ));
    let seen = server.take();
    assert_eq!(seen[0].header("user-agent").as_deref(), Some("b"));
    assert_eq!(seen[0].header("range").as_deref(), Some("bytes=3-4"));
    if !curl_available() {
        return skip("curl -A -r --create-dirs");
    }
    std::fs::remove_dir_all(dir.path().join("new")).unwrap();
    let mut cargs = vec!["-s", "-f"];
    cargs.extend(flags);
    cargs.push(&url);
    let theirs = curl(dir.path(), &cargs);
    assert!(theirs.status.success());
    let seen = server.take();
    assert_eq!(seen[0].header("user-agent"), ours[0].header("user-agent"));
    assert_eq!(seen[0].header("range"), ours[0].header("range"));
    assert_eq!(std::fs::read(&written).unwrap(), b"ok");
    ok(&curl(
        dir.path(),
        &[
            "-s",
            "-A",
            "a",
            "-H",
            "User-Agent: b",
            "-r",
            "1-2",
            "-H",
            "Range: bytes=3-4",
            &url,
        ],
    ));
    let seen = server.take();
    assert_eq!(seen[0].header("user-agent").as_deref(), Some("b"));
    assert_eq!(seen[0].header("range").as_deref(), Some("bytes=3-4"));
}

#[test]
fn sign_takes_aws_sigv4_as_request_does() {
    let home = TempDir::new("sign-aws-sigv4");
    let url = "https://api.example.com/prod/items";
    let time = "20300101T000000Z";
    let with_flag = ok(&sigv4(
        home.path(),
        &[
            "sign",
            "--time",
            time,
            "--format",
            "json",
            "--aws-sigv4",
            "aws:amz:eu-west-3:execute-api",
            url,
        ],
    ));
    let with_names = ok(&sigv4(
        home.path(),
        &[
            "sign",
            "--time",
            time,
            "--format",
            "json",
            "--region",
            "eu-west-3",
            "--service",
            "execute-api",
            url,
        ],
    ));
    assert_eq!(text(&with_flag), text(&with_names));
    assert!(text(&with_flag).contains("eu-west-3/execute-api/aws4_request"));
    let out = sigv4(
        home.path(),
        &[
            "sign",
            "--aws-sigv4",
            "aws:amz:eu-west-3:es",
            "--service",
            "s3",
            url,
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn header_file_as_curl() {
    let home = TempDir::new("h-file");
    let file = home.path().join("hdrs.txt");
    std::fs::write(&file, "X-One: 1\r\nX-Two: 2\n\nnot a header\nX-Three: 3\n").unwrap();
    let arg = format!("@{}", file.display());
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/h");
    ok(&sigv4(
        home.path(),
        &["request", "--service", "es", "-f", "-s", "-H", &arg, &url],
    ));
    let ours = server.take();
    assert_eq!(ours[0].verified, Some(Ok(())), "{:?}", ours[0]);
    let picked = |s: &capture::Seen| {
        s.headers
            .iter()
            .filter(|(n, _)| n.starts_with("x-") && !n.starts_with("x-amz"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        picked(&ours[0]),
        vec![
            ("x-one".into(), "1".into()),
            ("x-two".into(), "2".into()),
            ("x-three".into(), "3".into())
        ]
    );
    // `sign` reads it the same way.
    let signed = text(&ok(&sigv4(
        home.path(),
        &["sign", "--service", "es", "-H", &arg, &url],
    )));
    assert!(signed.contains("x-one;x-three;x-two"), "{signed}");
    if !curl_available() {
        return skip("curl -H @file");
    }
    ok(&curl(home.path(), &["-s", "-f", "-H", &arg, &url]));
    assert_eq!(picked(&server.take()[0]), picked(&ours[0]));
}

#[test]
fn insecure_accepts_an_unknown_certificate_with_a_warning() {
    let home = TempDir::new("insecure");
    let (acceptor, _pem) = self_signed_tls();
    let tls = VerifyingServer::start_tls("es", acceptor);
    let url = tls.url("/k").replace("http://", "https://");
    let out = sigv4(
        home.path(),
        &["request", "--service", "es", "-f", "-k", "-d", "x=1", &url],
    );
    assert_eq!(text(&ok(&out)), "x=1");
    assert!(
        text(&out.stderr).contains("warning: --insecure"),
        "{}",
        text(&out.stderr)
    );
    // Without -k the certificate is refused (60, as curl).
    let out = sigv4(home.path(), &["request", "--service", "es", "-s", &url]);
    assert_eq!(out.status.code(), Some(60));
    if !curl_available() {
        return skip("curl -k");
    }
    // curl's request is unsigned (so the server refuses it), but the TLS handshake
    // succeeds with -k and fails with 60 without it, as ours.
    let theirs = curl(home.path(), &["-s", "-o", "/dev/null", "-k", &url]);
    assert_eq!(theirs.status.code(), Some(0));
    let theirs = curl(home.path(), &["-s", "-o", "/dev/null", &url]);
    assert_eq!(theirs.status.code(), Some(60));
}
