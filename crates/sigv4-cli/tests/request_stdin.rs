//! Issue 21 item 10: uploads from standard input (`-T -`, `--data-binary @-`) are spooled
//! to a temporary file, never held in memory: S3 gets them as UNSIGNED-PAYLOAD or, with
//! `--aws-chunked`, as signed chunks (the library's `sigv4::chunked`); other services get
//! the body's hash up front. The real binary against s3s (which verifies the signatures
//! and the chunk signatures) and our verifying server, with standard input a 40 MiB stream.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::*;

const S3: [&str; 4] = ["--service", "s3", "--region", REGION];

/// Runs `sigv4 request ARGS` with `input` on standard input (through a pipe, as in
/// `producer | sigv4 request -T - ...`); returns the output and the peak RSS in KiB.
fn with_stdin(
    home: &TempDir,
    input: &std::path::Path,
    args: &[&str],
) -> (std::process::Output, u64) {
    let mut feeder = std::process::Command::new("cat")
        .arg(input)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut cmd = sigv4_cmd(home.path(), SK);
    cmd.arg("request")
        .args(args)
        .stdin(Stdio::from(feeder.stdout.take().unwrap()));
    let result = run_measuring_memory(cmd, Duration::from_secs(300));
    assert!(feeder.wait().unwrap().success());
    result
}

#[test]
fn uploads_from_standard_input_use_bounded_memory() {
    let s3 = S3Server::start("stdin");
    std::fs::create_dir_all(s3.root.path().join("bkt")).unwrap();
    let home = TempDir::new("stdin");
    let blob = home.path().join("blob.bin");
    // Larger than the bound below: a body held in memory could not stay under it.
    let len: u64 = 40 * 1024 * 1024;
    let sha = write_test_file(&blob, len);

    // -T - to S3: UNSIGNED-PAYLOAD from the spooled file.
    let mut args = S3.to_vec();
    let url = s3.url("/bkt/from-stdin");
    args.extend(["-f", "-s", "-T", "-", &url]);
    let (out, peak_kib) = with_stdin(&home, &blob, &args);
    ok(&out);
    assert!(
        peak_kib < 32 * 1024,
        "peak RSS {peak_kib} KiB for a 40 MiB upload from standard input"
    );
    assert_eq!(sha256_file(&s3.root.path().join("bkt/from-stdin")), sha);

    // --data-binary @- to S3: the spooled file's hash signs it.
    let mut args = S3.to_vec();
    let url = s3.url("/bkt/data-binary");
    args.extend(["-f", "-s", "-X", "PUT", "--data-binary", "@-", &url]);
    let (out, peak_kib) = with_stdin(&home, &blob, &args);
    ok(&out);
    assert!(
        peak_kib < 32 * 1024,
        "peak RSS {peak_kib} KiB (--data-binary @-)"
    );
    assert_eq!(sha256_file(&s3.root.path().join("bkt/data-binary")), sha);

    // --aws-chunked -T -: every chunk signed by the library's chunk signer; s3s checks them.
    let small = home.path().join("small.bin");
    let small_sha = write_test_file(&small, 3 * 1024 * 1024 + 17);
    let mut args = S3.to_vec();
    let url = s3.url("/bkt/chunked");
    args.extend(["-f", "-s", "--aws-chunked", "-T", "-", &url]);
    let (out, _) = with_stdin(&home, &small, &args);
    ok(&out);
    assert_eq!(sha256_file(&s3.root.path().join("bkt/chunked")), small_sha);

    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with("sigv4-stdin-")
                && e.metadata().is_ok_and(|m| m.len() == len)
        })
        .collect();
    assert!(left.is_empty(), "spool files left: {left:?}");
}

#[test]
fn data_binary_from_stdin_is_signed_by_its_hash_for_other_services() {
    let server = VerifyingServer::start("es");
    let home = TempDir::new("stdin-es");
    let blob = home.path().join("blob.bin");
    // Larger than the bound below (the verifying server reads at most 64 MiB).
    let len: u64 = 40 * 1024 * 1024;
    write_test_file(&blob, len);
    let url = server.url("/index/_bulk");
    let (out, peak_kib) = with_stdin(
        &home,
        &blob,
        &[
            "--service",
            "es",
            "-f",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--data-binary",
            "@-",
            &url,
        ],
    );
    assert_eq!(text(&ok(&out)), "200", "{}", text(&out.stderr));
    assert!(
        peak_kib < 32 * 1024,
        "peak RSS {peak_kib} KiB (es, --data-binary @-)"
    );
}
