//! S3 POST policy against the AWS documentation's published example, "Example:
//! Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)": credentials
//! AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, 2015-12-29, us-east-1.

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use sigv4::post_policy::{sign_policy_document, Condition, PostPolicy, PostPolicyError};
use sigv4::{Credentials, SigningKey};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The base64 policy exactly as the page publishes it (the document has CRLF line ends).
const PUBLISHED_POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";

/// The signature the page publishes for it.
const PUBLISHED_SIGNATURE: &str =
    "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

fn signing_time() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_451_347_200) // 2015-12-29T00:00:00Z
}

fn expiration() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_451_476_800) // 2015-12-30T12:00:00Z
}

fn published_document() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(PUBLISHED_POLICY)
        .unwrap()
}

/// The example's policy, built with the builder.
fn example_policy() -> PostPolicy {
    PostPolicy::new(expiration())
        .bucket("sigv4examplebucket")
        .key_starts_with("user/user1/")
        .condition_eq("acl", "public-read")
        .condition_eq(
            "success_action_redirect",
            "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
        )
        .content_type_starts_with("image/")
        .condition_eq("x-amz-meta-uuid", "14365123651274")
        .condition_eq("x-amz-server-side-encryption", "AES256")
        .condition_starts_with("x-amz-meta-tag", "")
}

#[test]
fn published_policy_and_signature_reproduce() {
    let key = SigningKey::derive(SECRET, "20151229", "us-east-1", "s3").unwrap();
    let signed = sign_policy_document(&published_document(), &key);
    assert_eq!(signed.policy, PUBLISHED_POLICY);
    assert_eq!(signed.signature, PUBLISHED_SIGNATURE);
}

#[test]
fn builder_makes_the_published_document() {
    let creds = Credentials::new(AKID, SECRET, None, None);
    let form = example_policy()
        .sign(&creds, "us-east-1", signing_time())
        .unwrap();
    // Same JSON value as the published document (whitespace aside), condition by condition
    // and in the same order.
    let ours: serde_json::Value = serde_json::from_str(form.document()).unwrap();
    let published: serde_json::Value = serde_json::from_slice(&published_document()).unwrap();
    assert_eq!(ours, published);
    // The policy field is the base64 of our document, and the signature is over it.
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(form.policy())
            .unwrap(),
        form.document().as_bytes()
    );
    let key = SigningKey::derive(SECRET, "20151229", "us-east-1", "s3").unwrap();
    assert_eq!(form.signature(), key.sign_hex(form.policy()));
    // The form fields of the published example form.
    let fields: Vec<(&str, &str)> = form.fields().collect();
    assert_eq!(
        fields.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        [
            "acl",
            "success_action_redirect",
            "x-amz-meta-uuid",
            "x-amz-server-side-encryption",
            "policy",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "x-amz-signature"
        ]
    );
    assert_eq!(form.field("x-amz-algorithm"), Some("AWS4-HMAC-SHA256"));
    assert_eq!(
        form.field("x-amz-credential"),
        Some("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request")
    );
    assert_eq!(form.field("x-amz-date"), Some("20151229T000000Z"));
    assert_eq!(form.field("x-amz-security-token"), None);
}

#[test]
fn session_token_is_a_condition_and_a_field_and_is_redacted() {
    let creds = Credentials::new(AKID, SECRET, Some("TOKEN/with\"quote".into()), None);
    let form = PostPolicy::new(expiration())
        .bucket("b")
        .key("uploads/a.txt")
        .content_type("text/plain")
        .content_length_range(0, 1024)
        .unwrap()
        .sign(&creds, "eu-west-1", signing_time())
        .unwrap();
    assert_eq!(
        form.field("x-amz-security-token"),
        Some("TOKEN/with\"quote")
    );
    assert_eq!(form.field("key"), Some("uploads/a.txt"));
    assert_eq!(form.field("Content-Type"), Some("text/plain"));
    let doc: serde_json::Value = serde_json::from_str(form.document()).unwrap();
    let conditions = doc["conditions"].as_array().unwrap();
    assert!(conditions.contains(&serde_json::json!({"x-amz-security-token": "TOKEN/with\"quote"})));
    assert!(conditions.contains(&serde_json::json!(["content-length-range", 0, 1024])));
    assert!(conditions.contains(&serde_json::json!({"key": "uploads/a.txt"})));
    assert_eq!(doc["expiration"], "2015-12-30T12:00:00.000Z");
    let shown = format!("{form:?}");
    assert!(!shown.contains("TOKEN"), "{shown}");
    assert!(!shown.contains(SECRET));
}

#[test]
fn typed_errors() {
    assert_eq!(
        PostPolicy::new(expiration()).content_length_range(10, 9),
        Err(PostPolicyError::InvalidContentLengthRange { min: 10, max: 9 })
    );
    let creds = Credentials::new(AKID, SECRET, None, None);
    assert!(matches!(
        PostPolicy::new(signing_time()).sign(&creds, "us-east-1", signing_time()),
        Err(PostPolicyError::AlreadyExpired { .. })
    ));
    assert_eq!(
        PostPolicy::new(expiration()).condition_eq("", "x").sign(
            &creds,
            "us-east-1",
            signing_time()
        ),
        Err(PostPolicyError::EmptyFieldName)
    );
    assert!(matches!(
        PostPolicy::new(expiration())
            .condition(Condition::ContentLengthRange { min: 2, max: 1 })
            .sign(&creds, "us-east-1", signing_time()),
        Err(PostPolicyError::InvalidContentLengthRange { .. })
    ));
    assert!(matches!(
        PostPolicy::new(expiration()).sign(&creds, "bad region", signing_time()),
        Err(PostPolicyError::Signing(_))
    ));
    let not_s3 = SigningKey::derive(SECRET, "20151229", "us-east-1", "iam").unwrap();
    assert_eq!(
        PostPolicy::new(expiration()).sign_with_key(&not_s3, AKID, None, signing_time()),
        Err(PostPolicyError::NotS3Key("iam".into()))
    );
    let wrong_day = SigningKey::derive(SECRET, "20151228", "us-east-1", "s3").unwrap();
    assert!(matches!(
        PostPolicy::new(expiration()).sign_with_key(&wrong_day, AKID, None, signing_time()),
        Err(PostPolicyError::Signing(
            sigv4::SigningError::KeyScopeMismatch { .. }
        ))
    ));
}

proptest::proptest! {
    #[test]
    fn any_field_and_value_make_valid_json(field in "\\PC{1,20}", value in "\\PC{0,40}", ctrl in 0u32..0x20) {
        let value = format!("{value}{}\"\\", char::from_u32(ctrl).unwrap());
        let creds = Credentials::new(AKID, SECRET, None, None);
        let form = PostPolicy::new(expiration())
            .condition_eq(field.clone(), value.clone())
            .condition_starts_with(field.clone(), value.clone())
            .sign(&creds, "us-east-1", signing_time())
            .unwrap();
        let doc: serde_json::Value = serde_json::from_str(form.document()).unwrap();
        let c = doc["conditions"].as_array().unwrap();
        proptest::prop_assert_eq!(&c[0][field.as_str()], &serde_json::Value::String(value.clone()));
        proptest::prop_assert_eq!(&c[1], &serde_json::json!(["starts-with", format!("${field}"), value]));
    }
}
