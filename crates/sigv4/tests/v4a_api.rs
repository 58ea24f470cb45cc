//! SigV4a API promises: http::Request signing in both modes, region sets, the key cache,
//! redacted Debug output, and verification that never panics on bad input.
#![cfg(feature = "sigv4a")]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use sigv4::sigv4a::{KeyCache, PublicKey, SigV4aError, SigV4aKey, SigV4aSigner};
use sigv4::{Credentials, Payload, SignableRequest, SigningSettings};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// public-key.json of every case in the v4a suite (same credentials).
const X: &str = "b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1";
const Y: &str = "865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518";

fn creds(token: Option<&str>) -> Credentials {
    Credentials::new(AKID, SECRET, token.map(str::to_owned), None)
}

fn time() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn suite_key() -> PublicKey {
    PublicKey::from_hex_coordinates(X, Y).unwrap()
}

#[cfg(feature = "http")]
#[test]
fn signs_http_requests_in_header_mode() {
    let signer = SigV4aSigner::new("us-east-1, us-west-2", "s3").unwrap();
    let mut req = http::Request::put("https://bucket.s3.amazonaws.com/a%20b?x=1")
        .body(b"hello".to_vec())
        .unwrap();
    let out = signer
        .sign_http_request(&mut req, &creds(Some("TOKEN")), time())
        .unwrap();
    let h = req.headers();
    assert_eq!(h["x-amz-region-set"], "us-east-1,us-west-2");
    assert_eq!(h["x-amz-date"], "20150830T123600Z");
    assert_eq!(h["x-amz-security-token"], "TOKEN");
    assert_eq!(
        h["x-amz-content-sha256"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    let auth = h["authorization"].to_str().unwrap();
    assert!(auth.starts_with(
        "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-region-set;x-amz-security-token, Signature="
    ));
    assert!(h["authorization"].is_sensitive());
    assert_eq!(out.credential_scope(), "20150830/s3/aws4_request");
    assert!(suite_key().verify_hex(out.string_to_sign().as_bytes(), out.signature()));
    // S3 rules: the path is signed as sent.
    assert_eq!(out.canonical_request().lines().nth(1), Some("/a%20b"));
}

#[cfg(feature = "http")]
#[test]
fn presigns_http_requests() {
    let mut settings = SigningSettings::for_service("s3");
    settings = settings.presigned(Duration::from_secs(900));
    let signer = SigV4aSigner::new("*", "s3")
        .unwrap()
        .with_settings(settings);
    let mut req =
        http::Request::get("https://bucket.s3.amazonaws.com/key?versionId=7&X-Amz-Signature=stale")
            .body(Vec::<u8>::new())
            .unwrap();
    let out = signer
        .sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds(None), time())
        .unwrap();
    let q = req.uri().query().unwrap().to_owned();
    assert!(
        q.starts_with("versionId=7&X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&"),
        "{q}"
    );
    assert!(q.contains("&X-Amz-Region-Set=%2A&"), "{q}");
    assert!(q.contains("&X-Amz-Expires=900&"), "{q}");
    assert!(!q.contains("stale"));
    assert!(req.headers().get("authorization").is_none());
    let sig = q.rsplit_once("X-Amz-Signature=").unwrap().1;
    assert_eq!(sig, out.signature());
    assert!(suite_key().verify_hex(out.string_to_sign().as_bytes(), sig));
    assert!(out
        .canonical_request()
        .contains("X-Amz-Region-Set=%2A&X-Amz-SignedHeaders=host&versionId=7"));
}

#[test]
fn region_set_and_service_errors_are_typed() {
    assert!(matches!(
        SigV4aSigner::new("", "s3"),
        Err(SigV4aError::InvalidRegionSet(_))
    ));
    assert!(matches!(
        SigV4aSigner::new("us-east-1,,x", "s3"),
        Err(SigV4aError::InvalidRegionSet(_))
    ));
    assert!(matches!(
        SigV4aSigner::new("*", "a/b"),
        Err(SigV4aError::Signing(sigv4::SigningError::InvalidService(_)))
    ));
    let e = SigV4aSigner::new("Bad Region", "s3").unwrap_err();
    assert!(e.to_string().contains("comma-separated"), "{e}");
}

#[test]
fn query_mode_rejects_bad_expiry() {
    let settings = SigningSettings::for_service("s3").presigned(Duration::from_secs(604_801));
    let signer = SigV4aSigner::new("*", "s3")
        .unwrap()
        .with_settings(settings);
    let req = SignableRequest::new("GET", "https://h/", [], Payload::Unsigned);
    assert!(matches!(
        signer.sign(&req, &creds(None), time()),
        Err(SigV4aError::Signing(sigv4::SigningError::InvalidExpiry(
            604_801
        )))
    ));
}

#[test]
fn key_cache_reuses_and_evicts() {
    let cache = Arc::new(KeyCache::new(2));
    let a1 = cache.get_or_derive(&creds(None)).unwrap();
    let a2 = cache
        .get_or_derive(&creds(Some("token does not matter")))
        .unwrap();
    assert!(Arc::ptr_eq(&a1, &a2));
    // Same access key id with another secret: a new key, replacing the old one.
    let rotated = Credentials::new(AKID, "another secret", None, None);
    let b = cache.get_or_derive(&rotated).unwrap();
    assert_ne!(b.public_key(), a1.public_key());
    assert_eq!(cache.len(), 1);
    let c = cache
        .get_or_derive(&Credentials::new("AKID2", SECRET, None, None))
        .unwrap();
    assert_ne!(
        c.public_key(),
        a1.public_key(),
        "the access key id is part of the KDF"
    );
    let _ = cache
        .get_or_derive(&Credentials::new("AKID3", SECRET, None, None))
        .unwrap();
    assert_eq!(cache.len(), 2);
    cache.clear();
    assert!(cache.is_empty());
    // A signer with its own cache fills it.
    let signer = SigV4aSigner::new("*", "service")
        .unwrap()
        .with_key_cache(Arc::clone(&cache));
    let k = signer.key(&creds(None)).unwrap();
    assert_eq!(k.public_key(), suite_key());
    assert_eq!(cache.len(), 1);
}

#[test]
fn debug_output_redacts_secrets() {
    let key = SigV4aKey::derive(AKID, SECRET).unwrap();
    let shown = format!("{key:?}");
    assert!(shown.contains("redacted"));
    assert!(!shown.contains(SECRET));
    assert!(shown.contains(X), "the public key may be shown");
    let signer = SigV4aSigner::new("*", "service").unwrap();
    let req = SignableRequest::new("GET", "https://h/", [], Payload::Bytes(b""));
    let out = signer
        .sign(&req, &creds(Some("SECRET-TOKEN")), time())
        .unwrap();
    let shown = format!("{out:?} {signer:?} {:?}", KeyCache::global());
    assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn deterministic_signatures_and_tamper_detection() {
    let key = SigV4aKey::derive(AKID, SECRET).unwrap();
    let sig = key.sign_hex(b"string to sign");
    assert_eq!(sig, key.sign_hex(b"string to sign"), "RFC 6979 nonces");
    assert!(key.public_key().verify_hex(b"string to sign", &sig));
    assert!(!key.public_key().verify_hex(b"string to sigN", &sig));
    let other = SigV4aKey::derive("AKIDOTHER", SECRET).unwrap();
    assert!(!other.public_key().verify_hex(b"string to sign", &sig));
    let (x, y) = key.public_key().coordinates();
    assert_eq!(
        PublicKey::from_coordinates(&x, &y).unwrap(),
        key.public_key()
    );
    assert_eq!(
        PublicKey::from_sec1_bytes(&key.public_key().to_sec1_uncompressed()).unwrap(),
        key.public_key()
    );
}

#[test]
fn bad_public_keys_are_typed_errors() {
    assert!(matches!(
        PublicKey::from_hex_coordinates("zz", Y),
        Err(SigV4aError::InvalidPublicKey(_))
    ));
    assert!(matches!(
        PublicKey::from_hex_coordinates("00", Y),
        Err(SigV4aError::InvalidPublicKey(_))
    ));
    // (x, y + 1) is not on the curve.
    let mut y = Y.to_owned();
    y.replace_range(63.., "9");
    assert!(matches!(
        PublicKey::from_hex_coordinates(X, &y),
        Err(SigV4aError::InvalidPublicKey(_))
    ));
}

proptest! {
    #[test]
    fn verify_never_panics(sig in proptest::collection::vec(any::<u8>(), 0..100), text in ".{0,40}") {
        let k = suite_key();
        prop_assert!(!k.verify(text.as_bytes(), &sig));
        let _ = k.verify_hex(text.as_bytes(), &text);
        let _ = PublicKey::from_sec1_bytes(&sig);
    }
}
