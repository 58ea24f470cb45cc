//! `sigv4 sign --unsigned-payload` for a service other than S3 (issue #17, bug 1): the
//! printed headers, sent as they are with a plain HTTP client, must verify at two
//! independent servers on 127.0.0.1: our verifier with `allow_unsigned_payload(true)` for
//! `execute-api`, and s3s-fs for `sts` (s3s accepts only `s3` and `sts` scopes; for `sts`
//! it hashes the body itself unless `x-amz-content-sha256` says otherwise, which is
//! exactly the case that failed).

mod support;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::verify::Verifier;
use support::*;

/// Sends a request exactly as `sigv4 sign --format json` describes it (no signing here).
fn send_as_printed(signed: &serde_json::Value, body: &[u8]) -> (u16, http::HeaderMap, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let mut req = http::Request::builder()
            .method(signed["method"].as_str().unwrap())
            .uri(signed["url"].as_str().unwrap());
        for h in signed["headers"].as_array().unwrap() {
            req = req.header(h[0].as_str().unwrap(), h[1].as_str().unwrap());
        }
        let req = req.body(Full::new(Bytes::copy_from_slice(body))).unwrap();
        let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
            .await
            .expect("timed out")
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body.to_vec())
    })
}

fn sign_unsigned(home: &TempDir, service: &str, url: &str, body: &str) -> serde_json::Value {
    let out = ok(&sigv4(
        home.path(),
        &[
            "sign",
            "--unsigned-payload",
            "--service",
            service,
            "--region",
            REGION,
            "-X",
            "PUT",
            "--data",
            body,
            "--format",
            "json",
            url,
        ],
    ));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let sha = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "x-amz-content-sha256")
        .map(|h| h[1].as_str().unwrap().to_owned());
    assert_eq!(sha.as_deref(), Some("UNSIGNED-PAYLOAD"), "{v}");
    assert!(
        v["canonical_request"]
            .as_str()
            .unwrap()
            .ends_with("x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"),
        "{v}"
    );
    v
}

#[test]
fn unsigned_payload_for_execute_api_verifies_at_our_verifier() {
    let server = VerifyingServer::start_verifier(
        Verifier::new(REGION, "execute-api")
            .unwrap()
            .allow_unsigned_payload(true),
        1,
    );
    let home = TempDir::new("unsigned-verify");
    let body = "not covered by the signature";
    let signed = sign_unsigned(&home, "execute-api", &server.url("/prod/items?x=1"), body);
    let (status, headers, echoed) = send_as_printed(&signed, body.as_bytes());
    assert_eq!(status, 200, "{}", text(&echoed));
    assert_eq!(headers["x-verified-access-key"], AK);
    assert_eq!(echoed, body.as_bytes());
}

#[test]
fn unsigned_payload_for_sts_verifies_at_s3s() {
    let s3 = S3Server::start("unsigned-sts");
    let home = TempDir::new("unsigned-s3s");
    ok(&sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "s3",
            "-X",
            "PUT",
            "--fail",
            &s3.url("/bucket"),
        ],
    ));
    let body = "signed for sts, stored by s3s-fs";
    let signed = sign_unsigned(&home, "sts", &s3.url("/bucket/object.txt"), body);
    let (status, _, resp) = send_as_printed(&signed, body.as_bytes());
    assert_eq!(status, 200, "s3s refused: {}", text(&resp));
    let got = ok(&sigv4(
        home.path(),
        &[
            "request",
            "--service",
            "s3",
            "--fail",
            &s3.url("/bucket/object.txt"),
        ],
    ));
    assert_eq!(text(&got), body);
}
