//! Issue 21: the README's tables for curl users are checked against real curl 7.88.
//!
//! * The options table: every option it names (first column) is accepted by both
//!   `sigv4 request` (its `--help`) and curl (`curl --help all`).
//! * The exit-code table: for every code marked "tested", this test makes the condition
//!   on 127.0.0.1 (or names the test file that does: proxy and CA cases) and runs curl and
//!   `sigv4 request` with the same flags; both must exit with that code.

#[path = "support/capture.rs"]
mod capture;
mod support;

use std::path::Path;
use std::process::{Command, Output};

use capture::{Canned, CaptureServer};
use support::*;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap()
}

/// The rows of the table whose header line starts with `header`.
fn table(text: &str, header: &str) -> Vec<Vec<String>> {
    let start = text
        .find(header)
        .unwrap_or_else(|| panic!("no table {header:?}"));
    text[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The option names in a cell: `-X`, `--data-urlencode`, `-u/--user AK:SK` -> both names.
fn options_in(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    for span in cell.split('`').skip(1).step_by(2) {
        let first = span.split_whitespace().next().unwrap_or("");
        for name in first.split('/') {
            let name = name.trim_end_matches(['=', ',']);
            let ok = name.starts_with("--")
                && name.len() > 2
                && name[2..]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            let short = name.len() == 2 && name.starts_with('-');
            if ok || short {
                out.push(name.to_owned());
            }
        }
    }
    out
}

#[test]
fn every_option_in_the_readme_table_is_curls_and_ours() {
    let ours = text(
        &Command::new(env!("CARGO_BIN_EXE_sigv4"))
            .args(["request", "--help"])
            .output()
            .unwrap()
            .stdout,
    );
    let curls = text(
        &Command::new("curl")
            .args(["--help", "all"])
            .output()
            .expect("curl 7.88 must be installed")
            .stdout,
    );
    let rows = table(&readme(), "| curl | `sigv4 request` | notes |");
    assert!(rows.len() > 20, "{rows:?}");
    let mut checked = 0;
    for row in &rows {
        for name in options_in(&row[0]) {
            let listed = |help: &str| {
                help.split(|c: char| c.is_whitespace() || c == ',')
                    .any(|w| w == name || w.starts_with(&format!("{name}=")))
            };
            assert!(
                listed(&ours),
                "README lists {name} but `sigv4 request --help` has not"
            );
            assert!(
                listed(&curls),
                "README lists {name} but curl 7.88 has no such option"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} options found in the table");
}

/// Exit codes whose conditions another test file makes (with curl beside it).
const ELSEWHERE: [(u8, &str); 3] = [
    (5, "tests/curl_net.rs (a proxy host that does not resolve)"),
    (56, "tests/curl_net.rs (a proxy refusing CONNECT)"),
    (77, "tests/curl_net.rs (an unusable CA file)"),
];

#[test]
fn every_tested_exit_code_in_the_readme_is_curls_too() {
    let home = TempDir::new("readme-exit");
    let canned = CaptureServer::start(
        "es",
        vec![Canned::new(404, "nope"), Canned::new(404, "nope")],
    );
    let redirect = CaptureServer::start(
        "es",
        vec![
            Canned::new(302, "").header("Location", "/next"),
            Canned::new(302, "").header("Location", "/next"),
        ],
    );
    let bad_gzip = CaptureServer::start(
        "es",
        vec![
            Canned::new(200, "not gzip").header("Content-Encoding", "gzip"),
            Canned::new(200, "not gzip").header("Content-Encoding", "gzip"),
        ],
    );
    let plain = CaptureServer::start("es", vec![]);
    let empty = raw_server(Some(b""));
    let truncated = raw_server(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"));
    let silent = raw_server(None);
    let (acceptor, _pem) = self_signed_tls();
    let tls = VerifyingServer::start_tls("es", acceptor);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let missing = home.path().join("no-such-file").display().to_string();
    let conditions: Vec<(u8, Vec<String>)> = vec![
        (0, vec![plain.url("/")]),
        (2, vec!["--no-such-option".into(), plain.url("/")]),
        (7, vec![format!("http://{closed}/")]),
        (18, vec![format!("http://{truncated}/")]),
        (22, vec!["-f".into(), canned.url("/")]),
        (23, vec!["-O".into(), plain.url("/dir/")]),
        (26, vec!["-T".into(), missing, plain.url("/up")]),
        (
            28,
            vec!["-m".into(), "1".into(), format!("http://{silent}/")],
        ),
        (35, vec![format!("https://{}/", plain.addr)]),
        (
            47,
            vec![
                "-L".into(),
                "--max-redirs".into(),
                "0".into(),
                redirect.url("/"),
            ],
        ),
        (52, vec![format!("http://{empty}/")]),
        (60, vec![tls.url("/").replace("http://", "https://")]),
        (61, vec!["--compressed".into(), bad_gzip.url("/")]),
    ];
    let rows = table(&readme(), "| code | condition | tested |");
    for row in rows.iter().filter(|r| r[2] == "yes") {
        let code: u8 = row[0].parse().unwrap();
        if let Some((_, file)) = ELSEWHERE.iter().find(|(c, _)| *c == code) {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file.split(' ').next().unwrap());
            assert!(path.exists(), "{code}: {file}");
            continue;
        }
        let (_, args) = conditions
            .iter()
            .find(|(c, _)| *c == code)
            .unwrap_or_else(|| panic!("README marks exit code {code} tested: no condition here"));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut ours_args = vec!["request", "--service", "es", "-s", "-o", "/dev/null"];
        if code == 23 {
            ours_args.truncate(4);
        }
        ours_args.extend(&args);
        let ours: Output = sigv4_cmd(home.path(), SK)
            .current_dir(home.path())
            .args(&ours_args)
            .output()
            .unwrap();
        let mut curl_args = ours_args[4..].to_vec();
        curl_args.insert(0, "-s");
        let theirs = Command::new("curl")
            .current_dir(home.path())
            .args(&curl_args)
            .output()
            .expect("curl 7.88 must be installed");
        assert_eq!(
            ours.status.code(),
            Some(i32::from(code)),
            "{args:?}: {}",
            text(&ours.stderr)
        );
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{args:?}: sigv4 (left), curl (right)"
        );
    }
}
