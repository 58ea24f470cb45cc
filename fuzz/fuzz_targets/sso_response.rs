//! SSO: the cached token file and the GetRoleCredentials response on arbitrary input,
//! through the public provider with an in-memory file system and HTTP client. Never panics.
//!
//! Input: `token cache JSON \n~~~\n response \n~~~\n response ...`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4_credentials::{ProvideCredentials, SsoConfig, SsoProvider};

fuzz_target!(|data: &[u8]| {
    let parts = sigv4_fuzz::split_parts(data, 4);
    let config = SsoConfig {
        session_name: Some("fuzz".into()),
        start_url: "https://fuzz.awsapps.com/start".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        role_name: "FuzzRole".into(),
    };
    // The cache file name is the SHA-1 of the session name; ask the provider for it.
    let probe = SsoProvider::new(
        sigv4_fuzz::context(&[("HOME", "/home/fuzz")], Vec::new(), &[]),
        config.clone(),
    );
    let path = probe.token_cache_path().expect("HOME is set");
    let ctx = sigv4_fuzz::context(
        &[("HOME", "/home/fuzz")],
        vec![(path, parts[0].to_vec())],
        &parts[1..],
    );
    match sigv4_fuzz::block_on(SsoProvider::new(ctx, config).provide_credentials()) {
        Ok(c) => {
            assert!(!c.credentials().access_key_id().is_empty());
            let _ = format!("{c:?}");
        }
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
        }
    }
});
