//! Issue 21, the curl flags added last: `-D/--dump-header`, `-O/--remote-name`,
//! `--compressed`, `-#/--progress-bar`, `-u AK:SK`, and response heads printed as
//! received (header names in the server's case, every `-L` hop). Each test runs the real
//! `sigv4` binary and the real curl with the same flags against a server on 127.0.0.1 it
//! starts, and compares bytes sent, standard output and error, exit codes and files left.

#[path = "support/capture.rs"]
mod capture;
mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use capture::{Canned, CaptureServer};
use support::*;

/// curl runs in every test here: CI installs it (a missing curl fails, not skips).
fn curl(dir: &Path, args: &[&str]) -> Output {
    Command::new("curl")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(args)
        .output()
        .expect("curl 7.88 must be installed to compare with it")
}

/// `sigv4 request ARGS` in `dir`, the environment holding a wrong secret (so only the
/// flags' keys sign right where a test gives them).
fn request_in(dir: &Path, home: &Path, secret: &str, args: &[&str]) -> Output {
    sigv4_cmd(home, secret)
        .current_dir(dir)
        .arg("request")
        .args(args)
        .output()
        .unwrap()
}

fn ours(dir: &Path, home: &Path, args: &[&str]) -> Output {
    request_in(dir, home, SK, args)
}

/// A 302 to `/final` and the final 200, each with header names in mixed case.
fn two_hops() -> Vec<Canned> {
    vec![
        Canned::new(302, "")
            .header("Location", "/final")
            .header("x-Amz-Request-Id", "Hop1"),
        Canned::new(200, "the body")
            .header("ETag", "\"e1\"")
            .header("X-AMZ-Meta-Case", "kept"),
    ]
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn heads_are_printed_as_received_for_every_hop_as_curl_prints_them() {
    let home = TempDir::new("heads");
    let (d1, d2) = (TempDir::new("heads-ours"), TempDir::new("heads-curl"));
    for flags in [
        vec!["-s", "-L", "-i"],
        vec!["-s", "-L", "-D", "hdrs.txt"],
        vec!["-s", "-L", "-D", "-"],
        vec!["-s", "-L", "-i", "-D", "-"],
        vec!["-s", "-I"],
        vec!["-s", "-i"],
    ] {
        let script = if flags.contains(&"-L") {
            [two_hops(), two_hops()].concat()
        } else {
            vec![two_hops()[1].clone(); 2]
        };
        let server = CaptureServer::start("es", script);
        let url = server.url("/start");
        let mut args = vec!["--service", "es"];
        args.extend(&flags);
        args.push(&url);
        let mine = ours(d1.path(), home.path(), &args);
        let mut curl_args = flags.clone();
        curl_args.push(&url);
        let theirs = curl(d2.path(), &curl_args);
        assert_eq!(mine.status.code(), theirs.status.code(), "{flags:?}");
        assert_eq!(text(&mine.stdout), text(&theirs.stdout), "{flags:?}");
        assert_eq!(text(&mine.stderr), text(&theirs.stderr), "{flags:?}");
        if flags.contains(&"hdrs.txt") {
            let (a, b) = (
                read(&d1.path().join("hdrs.txt")),
                read(&d2.path().join("hdrs.txt")),
            );
            assert_eq!(text(&a), text(&b));
            assert!(text(&a).contains("\r\nETag: \"e1\"\r\n"), "{}", text(&a));
            assert!(text(&a).contains("x-Amz-Request-Id: Hop1"), "{}", text(&a));
        }
        if flags == ["-s", "-L", "-i"] {
            let out = text(&mine.stdout);
            assert!(out.starts_with("HTTP/1.1 302 X\r\n"), "{out}");
            assert!(out.contains("\r\nX-AMZ-Meta-Case: kept\r\n"), "{out}");
        }
        let seen = server.take();
        assert_eq!(seen[0].verified, Some(Ok(())), "{:?}", seen[0]);
    }
}

#[test]
fn verbose_shows_every_hops_head_as_received() {
    let home = TempDir::new("heads-v");
    let server = CaptureServer::start("es", [two_hops(), two_hops()].concat());
    let url = server.url("/start");
    let mine = ours(
        home.path(),
        home.path(),
        &["--service", "es", "-s", "-L", "-v", &url],
    );
    let theirs = curl(home.path(), &["-s", "-L", "-v", &url]);
    let received = |o: &Output| -> Vec<String> {
        text(&o.stderr)
            .lines()
            .filter(|l| l.starts_with('<'))
            .map(|l| l.trim_end().to_owned())
            .collect()
    };
    assert_eq!(received(&mine), received(&theirs));
    assert!(received(&mine).contains(&"< ETag: \"e1\"".to_owned()));
    assert_eq!(mine.stdout, theirs.stdout);
}

#[test]
fn remote_name_saves_under_the_urls_name_as_curl() {
    let home = TempDir::new("remote-name");
    let (d1, d2) = (TempDir::new("rn-ours"), TempDir::new("rn-curl"));
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/dir/f%20x.txt?y=1");
    let mine = ours(
        d1.path(),
        home.path(),
        &["--service", "es", "-s", "-O", &url],
    );
    let theirs = curl(d2.path(), &["-s", "-O", &url]);
    assert_eq!(mine.status.code(), Some(0), "{}", text(&mine.stderr));
    assert_eq!(mine.status.code(), theirs.status.code());
    assert_eq!(mine.stdout, theirs.stdout);
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(d1.path()), vec!["f%20x.txt".to_owned()]);
    assert_eq!(names(d1.path()), names(d2.path()));
    assert_eq!(read(&d1.path().join("f%20x.txt")), b"ok");
    assert_eq!(
        read(&d1.path().join("f%20x.txt")),
        read(&d2.path().join("f%20x.txt"))
    );
    server.take();
    // A URL without a file name: curl's 23, nothing sent, no file.
    let bare = server.url("/dir/");
    let mine = ours(
        d1.path(),
        home.path(),
        &["--service", "es", "-s", "-O", &bare],
    );
    let theirs = curl(d2.path(), &["-s", "-O", &bare]);
    assert_eq!(mine.status.code(), Some(23));
    assert_eq!(mine.status.code(), theirs.status.code());
    assert!(server.take().is_empty());
    assert_eq!(names(d1.path()), names(d2.path()));
}

/// A brotli stream of one uncompressed meta-block (RFC 7932 §9.2), then the last, empty one.
fn brotli_stored(data: &[u8]) -> Vec<u8> {
    assert!(!data.is_empty() && data.len() <= 1 << 16);
    // WBITS = 16 (one 0 bit), ISLAST = 0, MNIBBLES = 4 (00), MLEN - 1 in 16 bits,
    // ISUNCOMPRESSED = 1, then padding to the byte.
    let header = (((data.len() - 1) as u32) << 4) | (1 << 20);
    let mut out = header.to_le_bytes()[..3].to_vec();
    out.extend_from_slice(data);
    // ISLAST = 1, ISLASTEMPTY = 1.
    out.push(0b11);
    out
}

#[test]
fn compressed_asks_as_curl_and_decodes_what_curl_decodes() {
    let home = TempDir::new("compressed");
    let plain = b"compressed body, compressed body, compressed body\n".repeat(50);
    let gzip = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&plain).unwrap();
        e.finish().unwrap()
    };
    let zlib = {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&plain).unwrap();
        e.finish().unwrap()
    };
    let raw_deflate = {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&plain).unwrap();
        e.finish().unwrap()
    };
    let zstd = zstd::encode_all(&plain[..], 3).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("gzip", gzip.clone()),
        ("deflate", zlib),
        ("deflate", raw_deflate),
        ("br", brotli_stored(&plain)),
        ("zstd", zstd),
        ("identity", plain.clone()),
    ];
    for (encoding, body) in cases {
        let answer = |b: &[u8]| Canned {
            status: 200,
            headers: vec![("Content-Encoding".into(), encoding.into())],
            body: b.to_vec(),
        };
        let server = CaptureServer::start("es", vec![answer(&body), answer(&body)]);
        let url = server.url("/c");
        let mine = ours(
            home.path(),
            home.path(),
            &["--service", "es", "-s", "--compressed", &url],
        );
        let theirs = curl(home.path(), &["-s", "--compressed", &url]);
        assert_eq!(
            mine.status.code(),
            Some(0),
            "{encoding}: {}",
            text(&mine.stderr)
        );
        assert_eq!(mine.status.code(), theirs.status.code(), "{encoding}");
        assert_eq!(mine.stdout, plain, "{encoding}");
        assert_eq!(mine.stdout, theirs.stdout, "{encoding}");
        let seen = server.take();
        assert_eq!(seen[0].verified, Some(Ok(())), "{:?}", seen[0]);
        // The same Accept-Encoding as curl's, sent and (as curl's) not signed.
        assert_eq!(
            seen[0].header("accept-encoding"),
            seen[1].header("accept-encoding")
        );
        let auth = seen[0].header("authorization").unwrap();
        assert!(!auth.contains("accept-encoding"), "{auth}");
    }
    // Without --compressed, neither asks nor decodes.
    let server = CaptureServer::start(
        "es",
        vec![
            Canned::new(200, "").header("Content-Encoding", "gzip"),
            Canned::new(200, "").header("Content-Encoding", "gzip"),
        ],
    );
    server
        .script
        .lock()
        .unwrap()
        .iter_mut()
        .for_each(|c| c.body.clone_from(&gzip));
    let url = server.url("/c");
    let mine = ours(home.path(), home.path(), &["--service", "es", "-s", &url]);
    let theirs = curl(home.path(), &["-s", &url]);
    assert_eq!(mine.stdout, gzip);
    assert_eq!(mine.stdout, theirs.stdout);
    let seen = server.take();
    assert_eq!(seen[0].header("accept-encoding"), None);
    assert_eq!(seen[1].header("accept-encoding"), None);
}

#[test]
fn progress_bar_draws_as_curl_draws_it() {
    let home = TempDir::new("progress");
    let (d1, d2) = (TempDir::new("pb-ours"), TempDir::new("pb-curl"));
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/p");
    for flags in [
        vec!["-#", "-o", "out.txt"],
        vec!["--progress-bar", "-o", "out.txt"],
    ] {
        let mut args = vec!["--service", "es"];
        args.extend(&flags);
        args.push(&url);
        let mine = ours(d1.path(), home.path(), &args);
        let mut curl_args = flags.clone();
        curl_args.push(&url);
        let theirs = curl(d2.path(), &curl_args);
        assert_eq!(mine.status.code(), theirs.status.code());
        assert_eq!(text(&mine.stderr), text(&theirs.stderr), "{flags:?}");
        assert!(
            text(&mine.stderr).starts_with("\r###"),
            "{}",
            text(&mine.stderr)
        );
        assert_eq!(mine.stdout, theirs.stdout);
        assert_eq!(
            read(&d1.path().join("out.txt")),
            read(&d2.path().join("out.txt"))
        );
    }
    // -s wins over -#, as in curl.
    let mine = ours(
        d1.path(),
        home.path(),
        &["--service", "es", "-s", "-#", &url],
    );
    let theirs = curl(d2.path(), &["-s", "-#", &url]);
    assert_eq!(mine.stderr, theirs.stderr);
    assert_eq!(mine.stdout, theirs.stdout);
}

#[test]
fn user_keys_sign_as_curls_aws_sigv4_does() {
    let home = TempDir::new("user");
    let server = CaptureServer::start("es", vec![]);
    let url = server.url("/u");
    let keys = format!("{AK}:{SK}");
    let flags = ["-s", "--aws-sigv4", "aws:amz:us-east-1:es", "-u", &keys];
    // The environment's secret is wrong: -u must win.
    let mut args = flags.to_vec();
    args.push(&url);
    let mine = request_in(home.path(), home.path(), "wrong-secret", &args);
    let theirs = curl(home.path(), &args);
    assert_eq!(mine.status.code(), Some(0), "{}", text(&mine.stderr));
    assert_eq!(mine.status.code(), theirs.status.code());
    assert_eq!(mine.stdout, theirs.stdout);
    let seen = server.take();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.verified, Some(Ok(())), "{s:?}");
        assert!(s
            .header("authorization")
            .unwrap()
            .contains(&format!("Credential={AK}/")));
    }
    // A session token: curl takes it as a signed -H header; sigv4 also as a third field.
    let with_token = format!("{keys}:the-session-token");
    let mine = request_in(
        home.path(),
        home.path(),
        "wrong-secret",
        &[
            "-s",
            "--aws-sigv4",
            "aws:amz:us-east-1:es",
            "-u",
            &with_token,
            &url,
        ],
    );
    let mut curl_args = flags.to_vec();
    curl_args.extend(["-H", "x-amz-security-token: the-session-token", &url]);
    let theirs = curl(home.path(), &curl_args);
    assert_eq!(mine.status.code(), theirs.status.code());
    let seen = server.take();
    for s in &seen {
        assert_eq!(s.verified, Some(Ok(())), "{s:?}");
        assert_eq!(
            s.header("x-amz-security-token").as_deref(),
            Some("the-session-token")
        );
        assert!(s
            .header("authorization")
            .unwrap()
            .contains("x-amz-security-token"));
    }
    // No secret given: sigv4 does not prompt for it (curl would); a usage error.
    let mine = request_in(
        home.path(),
        home.path(),
        SK,
        &["-s", "-u", AK, "--service", "es", &url],
    );
    assert_eq!(mine.status.code(), Some(2));
    assert!(server.take().is_empty());
}
