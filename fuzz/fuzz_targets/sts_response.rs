//! STS AssumeRole and AssumeRoleWithWebIdentity responses (XML) on arbitrary bodies and
//! statuses, through the public profile and web identity providers with an in-memory HTTP
//! client (never a network). Never panics.
//!
//! Input: first byte picks the provider; the rest is up to 3 responses separated by `\n~~~\n`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4_credentials::{ProfileProvider, ProvideCredentials, WebIdentityProvider};

const CONFIG: &str = "[default]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/fuzz\nsource_profile = base\n\n[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = BASESECRET\n";

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let parts = sigv4_fuzz::split_parts(rest, 3);
    let result = if sel & 1 == 0 {
        let ctx = sigv4_fuzz::context(
            &[("HOME", "/home/fuzz")],
            vec![("/home/fuzz/.aws/config".into(), CONFIG.as_bytes().to_vec())],
            &parts,
        );
        sigv4_fuzz::block_on(ProfileProvider::new(ctx).provide_credentials())
    } else {
        let ctx = sigv4_fuzz::context(
            &[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
                ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/fuzz"),
                ("AWS_REGION", "us-east-1"),
            ],
            vec![("/token".into(), b"web-identity-token".to_vec())],
            &parts,
        );
        sigv4_fuzz::block_on(WebIdentityProvider::from_env(ctx).provide_credentials())
    };
    match result {
        Ok(c) => {
            assert!(!c.credentials().access_key_id().is_empty());
            let _ = format!("{c:?}");
        }
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
        }
    }
});
