//! `sigv4 presign` against a real S3 server (s3s + s3s-fs on 127.0.0.1) that verifies
//! presigned URLs: the printed URL is fetched with a plain HTTP client, no signing.

mod support;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use support::*;

/// A plain HTTP request (no signing), returning status and body.
fn plain(method: &str, url: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let req = http::Request::builder()
            .method(method)
            .uri(url)
            .body(Full::new(Bytes::copy_from_slice(body)))
            .unwrap();
        let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
            .await
            .expect("timed out")
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    })
}

fn presign(home: &TempDir, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["presign", "--service", "s3", "--region", REGION];
    args.extend_from_slice(extra);
    sigv4(home.path(), &args)
}

#[test]
fn presigned_get_and_put_work_with_plain_http() {
    let s3 = S3Server::start("presign");
    let home = TempDir::new("home-presign");
    ok(&sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "s3",
            "-X",
            "PUT",
            "--fail",
            &s3.url("/pbucket"),
        ],
    ));

    // A presigned PUT, used without any credentials.
    let url = text(&ok(&presign(
        &home,
        &[
            "-X",
            "PUT",
            "--expires",
            "15m",
            &s3.url("/pbucket/a%20file.txt"),
        ],
    )));
    let url = url.trim();
    assert!(url.contains("X-Amz-Expires=900"), "{url}");
    assert!(url.starts_with(&s3.url("/pbucket/a%20file.txt?")), "{url}");
    let (status, body) = plain("PUT", url, b"uploaded via a presigned URL");
    assert_eq!(status, 200, "{}", text(&body));

    // A presigned GET.
    for expires in ["900", "12h", "7d"] {
        let url = text(&ok(&presign(
            &home,
            &["--expires", expires, &s3.url("/pbucket/a%20file.txt")],
        )));
        let (status, body) = plain("GET", url.trim(), b"");
        assert_eq!(status, 200, "{expires}: {}", text(&body));
        assert_eq!(text(&body), "uploaded via a presigned URL");
    }

    // The URL is bound to its method and path.
    let url = text(&ok(&presign(&home, &[&s3.url("/pbucket/a%20file.txt")])));
    let other = url.trim().replace("a%20file.txt", "other.txt");
    let (status, _) = plain("GET", &other, b"");
    assert_eq!(status, 403);
    let (status, _) = plain("DELETE", url.trim(), b"");
    assert_eq!(status, 403);

    // Signed with the wrong secret: refused.
    let out = sigv4_cmd(home.path(), "wrong-secret")
        .args([
            "presign",
            "--service",
            "s3",
            &s3.url("/pbucket/a%20file.txt"),
        ])
        .output()
        .unwrap();
    let (status, body) = plain("GET", text(&ok(&out)).trim(), b"");
    assert_eq!(status, 403);
    assert!(
        text(&body).contains("SignatureDoesNotMatch"),
        "{}",
        text(&body)
    );
}

#[test]
fn expires_is_checked_and_short_sessions_warn() {
    let home = TempDir::new("home-presign-args");
    let url = "https://examplebucket.s3.us-west-2.amazonaws.com/k";
    for bad in ["8d", "604801", "0", "soon", "1.5"] {
        let out = sigv4(home.path(), &["presign", "--expires", bad, url]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--expires"), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = sigv4(home.path(), &["presign", "--expires", "8d", url]);
    assert!(text(&out.stderr).contains("7 days"));

    // The service comes from the S3 host name; the region the host names wins over
    // AWS_REGION (set to us-east-1 here: issue #13, a bucket in us-west-2 must be signed
    // for us-west-2), and --region over both.
    let u = text(&ok(&sigv4(
        home.path(),
        &["presign", "--expires", "7d", url],
    )));
    assert!(u.contains("%2Fus-west-2%2Fs3%2Faws4_request"), "{u}");
    let u = text(&ok(&sigv4(
        home.path(),
        &["presign", "--region", "eu-west-1", url],
    )));
    assert!(u.contains("%2Feu-west-1%2Fs3%2Faws4_request"), "{u}");

    // A session token that expires in 10 minutes, a URL for an hour: a warning, still a URL.
    let soon =
        sigv4::AmzDate::from_system_time(std::time::SystemTime::now() + Duration::from_secs(600))
            .unwrap()
            .to_rfc3339();
    let out = sigv4_cmd(home.path(), SK)
        .env("AWS_SESSION_TOKEN", "TOKEN-XYZ")
        .env("AWS_CREDENTIAL_EXPIRATION", &soon)
        .args(["presign", "--expires", "1h", url])
        .output()
        .unwrap();
    let u = text(&ok(&out));
    assert!(u.contains("X-Amz-Security-Token=TOKEN-XYZ"), "{u}");
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: the session token expires at"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // Within the token's lifetime: no warning.
    let out = sigv4_cmd(home.path(), SK)
        .env("AWS_SESSION_TOKEN", "TOKEN-XYZ")
        .env("AWS_CREDENTIAL_EXPIRATION", &soon)
        .args(["presign", "--expires", "5m", url])
        .output()
        .unwrap();
    ok(&out);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}
