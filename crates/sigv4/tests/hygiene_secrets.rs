//! Secret hygiene of the core: every public type that holds a secret access key, a session
//! token or a derived key is formatted with `{:?}` (and `{}` where it has `Display`), and
//! none of those secrets (raw, percent-encoded, or a derived key's bytes in hex) appears.

#![cfg(feature = "http")]

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedReader, ChunkedSettings, StreamingMode,
};
use sigv4::post_policy::PostPolicy;
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{
    AmzDate, Credentials, Payload, SignableRequest, SignatureLocation, Signer, SigningKey,
    SigningSettings,
};

const AKID: &str = "AKIDHYGIENEEXAMPLE";
const SECRET: &str = "Hyg1eneSecret/Key+With=Odd/Chars0123456789";
const TOKEN: &str = "HygieneSessionToken//+==AQoDYXdzEJr1K2z/tokenvalue";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET, Some(TOKEN.to_owned()), None)
}

fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The forms in which a secret could leak.
fn forms(secret: &str) -> Vec<String> {
    vec![secret.to_owned(), pct(secret), pct(&pct(secret))]
}

fn key_forms(key: &SigningKey) -> Vec<String> {
    let lower = sigv4::hex(key.as_bytes());
    vec![lower.clone(), lower.to_ascii_uppercase()]
}

/// Fails when `text` holds the secret, the token or any of `extra` (in any form).
fn assert_clean(what: &str, text: &str, extra: &[String]) {
    let mut needles = forms(SECRET);
    needles.extend(forms(TOKEN));
    needles.extend(extra.iter().cloned());
    for n in &needles {
        assert!(
            !text.contains(n.as_str()),
            "{what} leaks a secret ({n:?}) in: {text}"
        );
    }
}

fn signer_key() -> SigningKey {
    SigningKey::derive(SECRET, "20150830", "us-east-1", "s3").expect("valid scope")
}

#[test]
fn credentials_and_signing_key() {
    let c = creds();
    let dbg = format!("{c:?}");
    assert!(
        dbg.contains(AKID),
        "the key id is not secret and helps debugging"
    );
    assert_clean("Credentials", &dbg, &[]);
    assert_clean("Credentials (pretty)", &format!("{c:#?}"), &[]);

    let key = signer_key();
    assert_clean("SigningKey", &format!("{key:?}"), &key_forms(&key));
    assert_clean(
        "SigningKey (pretty)",
        &format!("{key:#?}"),
        &key_forms(&key),
    );
}

#[test]
fn signer_and_outputs_in_both_locations() {
    let key = signer_key();
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let req = SignableRequest::new(
        "GET",
        "https://bucket.s3.amazonaws.com/key?x=1",
        [("x-amz-meta-a", &b"1"[..])],
        Payload::Unsigned,
    );
    let out = signer.sign(&req, &creds(), now()).unwrap();
    // The token really is in the request (so the check below means something) ...
    assert!(out.headers().any(|(_, v)| v == TOKEN));
    // ... but not in the formatted output, nor in the signer that caches the secret.
    assert_clean(
        "SigningOutput (headers)",
        &format!("{out:?}"),
        &key_forms(&key),
    );
    assert_clean("Signer", &format!("{signer:?}"), &key_forms(&key));
    let cached = signer.signing_key(&creds(), now()).unwrap();
    assert_clean(
        "cached SigningKey",
        &format!("{cached:?}"),
        &key_forms(&key),
    );

    let mut settings = SigningSettings::s3();
    settings.location = SignatureLocation::Query {
        expires: Duration::from_secs(300),
    };
    let presigner = Signer::new("us-east-1", "s3")
        .unwrap()
        .with_settings(settings);
    let out = presigner.sign(&req, &creds(), now()).unwrap();
    assert!(out.query_string().contains(&pct(TOKEN)));
    assert_clean(
        "SigningOutput (query)",
        &format!("{out:?}"),
        &key_forms(&key),
    );
    assert_clean("SignableRequest", &format!("{req:?}"), &key_forms(&key));
}

#[test]
fn chunk_signing_types() {
    let key = signer_key();
    let kf = key_forms(&key);
    let signer = ChunkSigner::new(
        key.clone(),
        AmzDate::from_system_time(now()).unwrap(),
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    )
    .unwrap();
    assert_clean("ChunkSigner", &format!("{signer:?}"), &kf);
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .with_checksum(ChecksumAlgorithm::Crc32)
        .unwrap();
    let mut encoder = ChunkEncoder::new(settings, Some(signer)).unwrap();
    assert_clean("ChunkEncoder", &format!("{encoder:?}"), &kf);
    let mut out = Vec::new();
    encoder.push(b"hello", &mut out).unwrap();
    assert_clean("ChunkEncoder (mid-body)", &format!("{encoder:?}"), &kf);
    let signer = ChunkSigner::new(
        key.clone(),
        AmzDate::from_system_time(now()).unwrap(),
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    )
    .unwrap();
    let mut reader = ChunkedReader::new(
        &b"data"[..],
        ChunkEncoder::new(ChunkedSettings::new(StreamingMode::Signed), Some(signer)).unwrap(),
    );
    assert_clean("ChunkedReader", &format!("{reader:?}"), &kf);
    let mut sink = Vec::new();
    reader.read_to_end(&mut sink).unwrap();
    assert_clean("ChunkedReader (done)", &format!("{reader:?}"), &kf);
}

#[cfg(feature = "http-body")]
#[test]
fn chunked_body_adapter() {
    let key = signer_key();
    let signer = ChunkSigner::new(
        key.clone(),
        AmzDate::from_system_time(now()).unwrap(),
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    )
    .unwrap();
    let body = sigv4::chunked::ChunkedBody::new(
        http_body_util::Full::new(bytes::Bytes::from_static(b"data")),
        ChunkEncoder::new(ChunkedSettings::new(StreamingMode::Signed), Some(signer)).unwrap(),
    );
    assert_clean("ChunkedBody", &format!("{body:?}"), &key_forms(&key));
}

#[test]
fn post_policy_types() {
    let key = signer_key();
    let policy = PostPolicy::new(now() + Duration::from_secs(3600))
        .bucket("bucket")
        .key_starts_with("uploads/");
    assert_clean("PostPolicy", &format!("{policy:?}"), &key_forms(&key));
    let form = policy.sign(&creds(), "us-east-1", now()).unwrap();
    assert_eq!(form.field("x-amz-security-token"), Some(TOKEN));
    assert_clean("PostForm", &format!("{form:?}"), &key_forms(&key));
    let signed = sigv4::post_policy::sign_policy_document(b"{}", &key);
    assert_clean("SignedPolicy", &format!("{signed:?}"), &key_forms(&key));
    let err = PostPolicy::new(now())
        .content_length_range(10, 1)
        .expect_err("min above max");
    assert_clean("PostPolicyError", &format!("{err:?} {err}"), &[]);
}

#[cfg(feature = "sigv4a")]
#[test]
fn sigv4a_types() {
    use sigv4::sigv4a::{KeyCache, SigV4aKey, SigV4aSigner};
    let key = SigV4aKey::from_credentials(&creds()).unwrap();
    assert_clean("SigV4aKey", &format!("{key:?}"), &[]);
    let cache = std::sync::Arc::new(KeyCache::new(4));
    let signer = SigV4aSigner::new("us-east-1,us-west-2", "s3")
        .unwrap()
        .with_key_cache(cache.clone());
    let req = SignableRequest::new(
        "GET",
        "https://bucket.s3.amazonaws.com/key",
        [],
        Payload::Unsigned,
    );
    let out = signer.sign(&req, &creds(), now()).unwrap();
    assert!(out.headers().any(|(_, v)| v == TOKEN));
    assert_clean("SigV4aOutput", &format!("{out:?}"), &[]);
    assert_clean("SigV4aSigner", &format!("{signer:?}"), &[]);
    assert_clean("KeyCache (filled)", &format!("{cache:?}"), &[]);
    let cached = signer.key(&creds()).unwrap();
    assert_clean("cached SigV4aKey", &format!("{cached:?}"), &[]);
}

#[test]
fn verifier_results_and_errors() {
    let key = SigningKey::derive(SECRET, "20150830", "us-east-1", "service").unwrap();
    let kf = key_forms(&key);
    let signer = Signer::new("us-east-1", "service").unwrap();
    let body = b"payload";
    let mut req = http::Request::builder()
        .method("POST")
        .uri("https://example.amazonaws.com/path")
        .body(body.to_vec())
        .unwrap();
    signer.sign_http_request(&mut req, &creds(), now()).unwrap();
    let verifier = Verifier::new("us-east-1", "service").unwrap();
    assert_clean("Verifier", &format!("{verifier:?}"), &kf);
    let view = VerifiableRequest::from_http(&req, VerifyBody::Bytes(body));
    let verified = verifier.verify_with(&view, Some(creds()), now()).unwrap();
    assert_clean("Verified", &format!("{verified:?}"), &kf);

    // A wrong secret: the mismatch shows the server's canonical request, minus the token.
    let wrong = Credentials::new(AKID, "another-secret", Some(TOKEN.to_owned()), None);
    let err = verifier.verify_with(&view, Some(wrong), now()).unwrap_err();
    assert!(err.signature_mismatch().is_some(), "{err}");
    assert_clean("VerifyError (mismatch)", &format!("{err:?} | {err}"), &kf);
    let mismatch = err.signature_mismatch().unwrap();
    assert_clean("SignatureMismatch", &format!("{mismatch:?}"), &kf);

    // A different token than the one stored: neither token may appear.
    let other = Credentials::new(AKID, SECRET, Some("stored-token-ABCDEF".into()), None);
    let err = verifier.verify_with(&view, Some(other), now()).unwrap_err();
    assert_clean(
        "VerifyError (token)",
        &format!("{err:?} | {err}"),
        &[String::from("stored-token-ABCDEF")],
    );

    // Unknown key, and a request signed in the query.
    let err = verifier.verify_with(&view, None, now()).unwrap_err();
    assert_clean(
        "VerifyError (unknown key)",
        &format!("{err:?} | {err}"),
        &kf,
    );
}

#[test]
fn verifier_chunked_body() {
    let key = SigningKey::derive(SECRET, "20150830", "us-east-1", "s3").unwrap();
    let kf = key_forms(&key);
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let mut req = http::Request::builder()
        .method("PUT")
        .uri("https://bucket.s3.amazonaws.com/key")
        .body(())
        .unwrap();
    let settings = ChunkedSettings::new(StreamingMode::Signed);
    let mut encoder =
        sigv4::chunked::sign_http_request(&signer, &mut req, settings, 5, &creds(), now()).unwrap();
    let mut encoded = Vec::new();
    encoder.push(b"hello", &mut encoded).unwrap();
    encoder.finish(&mut encoded).unwrap();
    let view = VerifiableRequest::from_http(&req, VerifyBody::Unavailable);
    let verified = Verifier::new("us-east-1", "s3")
        .unwrap()
        .verify_with(&view, Some(creds()), now())
        .unwrap();
    let mut body = verified.chunked_body().unwrap();
    assert_clean("ChunkedBodyVerifier", &format!("{body:?}"), &kf);
    // Tamper with the data: the chunk error names no key.
    let mut bad = encoded.clone();
    let pos = bad.len() - 60;
    bad[pos] ^= 1;
    let mut out = Vec::new();
    let err = body.push(&bad, &mut out).unwrap_err();
    assert_clean("ChunkVerifyError", &format!("{err:?} | {err}"), &kf);
    assert_clean("ChunkedBodyVerifier (failed)", &format!("{body:?}"), &kf);
}

#[test]
fn signing_errors_name_no_secret() {
    // Errors built from inputs that sit next to secrets.
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let bad_header = SignableRequest::new(
        "GET",
        "https://bucket.s3.amazonaws.com/",
        [("x-amz-meta-a", &b"bad\x01value"[..])],
        Payload::Unsigned,
    );
    let err = signer.sign(&bad_header, &creds(), now()).unwrap_err();
    assert_clean("SigningError", &format!("{err:?} | {err}"), &[]);
    let err = SigningKey::derive(SECRET, "2015", "us-east-1", "s3").unwrap_err();
    assert_clean("SigningError (derive)", &format!("{err:?} | {err}"), &[]);
    let err = SigningKey::derive(SECRET, "20150830", "bad region", "s3").unwrap_err();
    assert_clean("SigningError (region)", &format!("{err:?} | {err}"), &[]);
}
