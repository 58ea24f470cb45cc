//! `sigv4 request` end to end against a real S3 server that verifies signatures (s3s +
//! s3s-fs, in-process on 127.0.0.1): bucket creation, PUT (in-memory, 100 MiB streamed from
//! disk, aws-chunked), GET, HEAD, DELETE, --fail and a wrong secret.

mod support;

use std::time::Duration;

use support::*;

const S3: &[&str] = &["--service", "s3", "--region", REGION];

fn req(home: &TempDir, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["request"];
    args.extend_from_slice(S3);
    args.extend_from_slice(extra);
    sigv4(home.path(), &args)
}

#[test]
fn put_get_head_delete_small_object() {
    let s3 = S3Server::start("small");
    let home = TempDir::new("home-small");
    ok(&req(&home, &["-X", "PUT", "--fail", &s3.url("/bucket1")]));

    // In-memory body: its hash is signed (and checked by s3s).
    ok(&req(
        &home,
        &[
            "-X",
            "PUT",
            "--data-binary",
            "hello, s3",
            "-H",
            "Content-Type: text/plain",
            "--fail",
            &s3.url("/bucket1/dir/hello.txt"),
        ],
    ));
    let got = ok(&req(&home, &["--fail", &s3.url("/bucket1/dir/hello.txt")]));
    assert_eq!(text(&got), "hello, s3");

    // -i: status line and headers before the body.
    let got = text(&ok(&req(&home, &["-i", &s3.url("/bucket1/dir/hello.txt")])));
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(
        got.to_ascii_lowercase().contains("content-length: 9\r\n"),
        "{got}"
    );
    assert!(got.ends_with("\r\n\r\nhello, s3"), "{got}");

    // HEAD (-I): headers only.
    let got = text(&ok(&req(
        &home,
        &["-I", "--fail", &s3.url("/bucket1/dir/hello.txt")],
    )));
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(!got.contains("hello, s3"), "{got}");

    // A query string is signed too (ListObjectsV2 with a prefix).
    let list = text(&ok(&req(
        &home,
        &["--fail", &s3.url("/bucket1?list-type=2&prefix=dir%2F")],
    )));
    assert!(list.contains("<Key>dir/hello.txt</Key>"), "{list}");

    // DELETE, then the object is gone: 404, and --fail makes that exit 22.
    ok(&req(
        &home,
        &["-X", "DELETE", "--fail", &s3.url("/bucket1/dir/hello.txt")],
    ));
    let gone = req(&home, &[&s3.url("/bucket1/dir/hello.txt")]);
    assert!(
        gone.status.success(),
        "without --fail an HTTP error still exits 0"
    );
    assert!(
        text(&gone.stdout).contains("NoSuchKey"),
        "{}",
        text(&gone.stdout)
    );
    let gone = req(&home, &["--fail", &s3.url("/bucket1/dir/hello.txt")]);
    assert_eq!(gone.status.code(), Some(22), "{}", text(&gone.stderr));
    assert!(gone.stdout.is_empty());
    let err = text(&gone.stderr);
    assert!(
        err.contains("HTTP 404") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn put_100_mib_streamed_then_get_to_file() {
    let s3 = S3Server::start("big");
    let home = TempDir::new("home-big");
    ok(&req(&home, &["-X", "PUT", "--fail", &s3.url("/big")]));
    let file = home.path().join("blob.bin");
    let len: u64 = 100 * 1024 * 1024;
    let sha = write_test_file(&file, len);

    // -T streams the file (UNSIGNED-PAYLOAD for S3); a URL ending in '/' gets the name.
    let mut cmd = sigv4_cmd(home.path(), SK);
    cmd.args(["request"]).args(S3).args([
        "-T",
        file.to_str().unwrap(),
        "--fail",
        &s3.url("/big/uploads/"),
    ]);
    let (out, peak_kib) = run_measuring_memory(cmd, Duration::from_secs(300));
    ok(&out);
    // Streaming: the process never holds the 100 MiB body (a buffered upload would peak
    // above 100 MiB).
    assert!(
        peak_kib < 48 * 1024,
        "peak RSS {peak_kib} KiB while uploading 100 MiB: the body was buffered"
    );
    let stored = s3.root.path().join("big/uploads/blob.bin");
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), len);

    let head = text(&ok(&req(&home, &["-I", &s3.url("/big/uploads/blob.bin")])));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-length: 104857600"),
        "{head}"
    );

    // GET to a file with -o, streamed too.
    let back = home.path().join("back.bin");
    let mut cmd = sigv4_cmd(home.path(), SK);
    cmd.args(["request"]).args(S3).args([
        "--fail",
        "-o",
        back.to_str().unwrap(),
        &s3.url("/big/uploads/blob.bin"),
    ]);
    let (out, peak_kib) = run_measuring_memory(cmd, Duration::from_secs(300));
    ok(&out);
    assert!(
        peak_kib < 48 * 1024,
        "peak RSS {peak_kib} KiB while downloading"
    );
    assert_eq!(sha256_file(&back), sha);

    ok(&req(
        &home,
        &["-X", "DELETE", "--fail", &s3.url("/big/uploads/blob.bin")],
    ));
    assert!(!stored.exists());
}

#[test]
fn aws_chunked_upload_is_verified_chunk_by_chunk() {
    let s3 = S3Server::start("chunked");
    let home = TempDir::new("home-chunked");
    ok(&req(&home, &["-X", "PUT", "--fail", &s3.url("/chunks")]));
    let file = home.path().join("c.bin");
    let len = 3 * 1024 * 1024 + 12345;
    let sha = write_test_file(&file, len);
    ok(&req(
        &home,
        &[
            "--aws-chunked",
            "-T",
            file.to_str().unwrap(),
            "--fail",
            &s3.url("/chunks/c.bin"),
        ],
    ));
    let stored = s3.root.path().join("chunks/c.bin");
    assert_eq!(sha256_file(&stored), sha);

    // --data-binary @FILE streams as well.
    ok(&req(
        &home,
        &[
            "-X",
            "PUT",
            "--data-binary",
            &format!("@{}", file.display()),
            "--fail",
            &s3.url("/chunks/d.bin"),
        ],
    ));
    assert_eq!(sha256_file(&s3.root.path().join("chunks/d.bin")), sha);
}

#[test]
fn wrong_secret_is_refused() {
    let s3 = S3Server::start("wrong");
    let home = TempDir::new("home-wrong");
    ok(&req(&home, &["-X", "PUT", "--fail", &s3.url("/bkt")]));
    let out = sigv4_cmd(home.path(), "not-the-secret")
        .args(["request"])
        .args(S3)
        .args(["--fail", &s3.url("/bkt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(22), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("HTTP 403"), "{err}");
    assert!(err.contains("SignatureDoesNotMatch"), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");

    // Without --fail the XML error is printed and the exit code is 0, like curl.
    let out = sigv4_cmd(home.path(), "not-the-secret")
        .args(["request"])
        .args(S3)
        .arg(s3.url("/bkt"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("SignatureDoesNotMatch"),
        "{} / {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn verbose_shows_canonical_request_and_string_to_sign_but_no_secrets() {
    let s3 = S3Server::start("verbose");
    let home = TempDir::new("home-verbose");
    let out = sigv4_cmd(home.path(), SK)
        .env("AWS_SESSION_TOKEN", "SESSION-TOKEN-VALUE")
        .args(["request", "-v", "-X", "PUT"])
        .args(S3)
        .arg(s3.url("/vbk"))
        .output()
        .unwrap();
    // s3s's SimpleAuth ignores the token; the request itself succeeds.
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("* Canonical request:\n*   PUT\n*   /vbk\n"),
        "{err}"
    );
    // The token is shown redacted in the canonical request as well.
    assert!(
        err.contains("*   x-amz-security-token:<session token, 19 chars>\n"),
        "{err}"
    );
    assert!(
        err.contains("* String to sign:\n*   AWS4-HMAC-SHA256\n"),
        "{err}"
    );
    assert!(err.contains("> PUT /vbk HTTP/1.1"), "{err}");
    assert!(err.contains("< HTTP/1.1 200 OK"), "{err}");
    assert!(
        err.contains("x-amz-security-token: <session token, 19 chars>"),
        "{err}"
    );
    assert!(
        !err.contains("SESSION-TOKEN-VALUE") && !err.contains(SK),
        "{err}"
    );
}
