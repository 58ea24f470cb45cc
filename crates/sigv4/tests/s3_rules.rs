//! S3 signing rules, checked against the examples AWS publishes in the S3 API reference
//! ("Signature Calculations for the Authorization Header" and "Query String
//! Authentication"), plus the S3 path rules for keys that must not be normalized.

use std::time::Duration;

use sigv4::{AmzDate, Credentials, Payload, SignableRequest, Signer, SigningSettings};

fn creds() -> Credentials {
    Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
        None,
    )
}

fn time() -> std::time::SystemTime {
    AmzDate::parse("20130524T000000Z").unwrap().to_system_time()
}

const HOST: &str = "examplebucket.s3.amazonaws.com";

#[test]
fn aws_example_get_object_with_range() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let req = SignableRequest::new(
        "GET",
        "/test.txt",
        [("Host", HOST.as_bytes()), ("Range", b"bytes=0-9")],
        Payload::Bytes(b""),
    );
    let out = signer.sign(&req, &creds(), time()).unwrap();
    assert_eq!(
        out.signed_headers(),
        "host;range;x-amz-content-sha256;x-amz-date"
    );
    assert_eq!(
        out.signature(),
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
}

#[test]
fn aws_example_put_object() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let body = b"Welcome to Amazon S3.";
    let req = SignableRequest::new(
        "PUT",
        "/test%24file.text",
        [
            ("Host", HOST.as_bytes()),
            ("Date", b"Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-storage-class", b"REDUCED_REDUNDANCY"),
        ],
        Payload::Bytes(body),
    );
    let out = signer.sign(&req, &creds(), time()).unwrap();
    assert_eq!(
        out.canonical_request().lines().nth(1),
        Some("/test%24file.text")
    );
    assert_eq!(
        out.signed_headers(),
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"
    );
    assert_eq!(
        out.signature(),
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    );
}

#[test]
fn aws_example_get_bucket_lifecycle() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let req = SignableRequest::new(
        "GET",
        "/?lifecycle",
        [("Host", HOST.as_bytes())],
        Payload::Bytes(b""),
    );
    let out = signer.sign(&req, &creds(), time()).unwrap();
    assert_eq!(out.canonical_request().lines().nth(2), Some("lifecycle="));
    assert_eq!(
        out.signature(),
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
    );
}

#[test]
fn aws_example_list_objects() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let req = SignableRequest::new(
        "GET",
        "/?max-keys=2&prefix=J",
        [("Host", HOST.as_bytes())],
        Payload::Bytes(b""),
    );
    let out = signer.sign(&req, &creds(), time()).unwrap();
    assert_eq!(
        out.signature(),
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    );
}

#[test]
fn aws_example_presigned_get() {
    let signer = Signer::new("us-east-1", "s3")
        .unwrap()
        .with_settings(SigningSettings::s3().presigned(Duration::from_secs(86_400)));
    let req = SignableRequest::new(
        "GET",
        "/test.txt",
        [("Host", HOST.as_bytes())],
        Payload::Unsigned,
    );
    let out = signer.sign(&req, &creds(), time()).unwrap();
    assert_eq!(
        out.signature(),
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
    assert_eq!(
        out.query_string(),
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=86400&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
    assert_eq!(
        out.headers().count(),
        0,
        "the host header was given, nothing else is added"
    );
}

fn s3_canonical_path(wire: &str) -> String {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let req = SignableRequest::new("GET", wire, [("host", HOST.as_bytes())], Payload::Unsigned);
    let out = signer.sign(&req, &creds(), time()).unwrap();
    out.canonical_request().lines().nth(1).unwrap().to_owned()
}

#[test]
fn s3_keys_are_never_normalized() {
    for (wire, canonical) in [
        ("/my%20key", "/my%20key"),
        ("/a+b", "/a+b"),
        ("/a%2Bb", "/a%2Bb"),
        ("/%E1%88%B4", "/%E1%88%B4"),
        ("/%e1%88%b4", "/%e1%88%b4"),
        ("//double//slash", "//double//slash"),
        ("/./dot", "/./dot"),
        ("/a/../b", "/a/../b"),
        ("/a/%2E%2E/b", "/a/%2E%2E/b"),
        ("/raw space", "/raw%20space"),
        ("/ሴ", "/%E1%88%B4"),
    ] {
        assert_eq!(s3_canonical_path(wire), canonical, "wire path {wire:?}");
    }
}

#[test]
fn s3_unsigned_payload_goes_in_header_and_hash_line() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let req = SignableRequest::new("PUT", "/k", [("host", HOST.as_bytes())], Payload::Unsigned);
    let out = signer.sign(&req, &creds(), time()).unwrap();
    assert!(out.canonical_request().ends_with("\nUNSIGNED-PAYLOAD"));
    assert!(out
        .headers()
        .any(|(n, v)| n == "x-amz-content-sha256" && v == "UNSIGNED-PAYLOAD"));
}

#[test]
fn s3_presigned_with_session_token_signs_the_token() {
    let creds = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "secret",
        Some("the/token+=".into()),
        None,
    );
    let signer = Signer::new("us-east-1", "s3")
        .unwrap()
        .with_settings(SigningSettings::s3().presigned(Duration::from_secs(900)));
    let req = SignableRequest::new("GET", "/k", [("host", HOST.as_bytes())], Payload::Unsigned);
    let out = signer.sign(&req, &creds, time()).unwrap();
    let query_line = out.canonical_request().lines().nth(2).unwrap().to_owned();
    assert!(
        query_line.contains("&X-Amz-Security-Token=the%2Ftoken%2B%3D&"),
        "{query_line}"
    );
    assert!(out
        .query_string()
        .contains("X-Amz-Security-Token=the%2Ftoken%2B%3D&X-Amz-Signature="));
    assert!(!out.query_string().contains('+'));
}

#[test]
fn default_rules_double_encode_and_normalize() {
    let signer = Signer::new("us-east-1", "execute-api").unwrap();
    let req = SignableRequest::new(
        "GET",
        "/stage/./a//b/../my%20file",
        [("host", b"api.example.com".as_slice())],
        Payload::Bytes(b""),
    );
    let out = signer.sign(&req, &creds(), time()).unwrap();
    assert_eq!(
        out.canonical_request().lines().nth(1),
        Some("/stage/a/my%2520file")
    );
}
