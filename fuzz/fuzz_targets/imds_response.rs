//! Instance metadata (IMDSv2) responses on arbitrary bodies and statuses: the token, the
//! role name and the credentials document, through the public provider with an in-memory
//! HTTP client pointed at a loopback endpoint (never 169.254.169.254). Never panics.
//!
//! Input: the responses in order (token, role, credentials, then retries), separated by `\n~~~\n`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4_credentials::{ImdsOptions, ImdsProvider, ProvideCredentials};

fuzz_target!(|data: &[u8]| {
    let parts = sigv4_fuzz::split_parts(data, 8);
    let ctx = sigv4_fuzz::context(&[], Vec::new(), &parts);
    let provider = ImdsProvider::new(ctx)
        .with_endpoint("http://127.0.0.1:1")
        .with_options(ImdsOptions {
            max_attempts: 2,
            ..ImdsOptions::default()
        });
    for _ in 0..2 {
        // Twice: the second call goes through the provider's cached token / static stability.
        match sigv4_fuzz::block_on(provider.provide_credentials()) {
            Ok(c) => {
                assert!(!c.credentials().access_key_id().is_empty());
                let _ = format!("{c:?}");
            }
            Err(e) => {
                let _ = (e.to_string(), format!("{e:?}"));
            }
        }
    }
});
