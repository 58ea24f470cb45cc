//! Container (ECS/EKS) credential responses on arbitrary bodies and statuses, through the
//! public provider with an in-memory HTTP client (never a network). Never panics.
//!
//! Input: up to 3 responses (one per attempt) separated by `\n~~~\n`; a response may
//! start with `HTTP <status>\n` and `H name: value\n` lines.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4_credentials::{ContainerOptions, ContainerProvider, ProvideCredentials};

fuzz_target!(|data: &[u8]| {
    let parts = sigv4_fuzz::split_parts(data, 3);
    let ctx = sigv4_fuzz::context(
        &[
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:1/creds",
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "fuzz-token"),
        ],
        Vec::new(),
        &parts,
    );
    let provider = ContainerProvider::new(ctx).with_options(ContainerOptions {
        max_attempts: 3,
        ..ContainerOptions::default()
    });
    match sigv4_fuzz::block_on(provider.provide_credentials()) {
        Ok(c) => {
            assert!(!c.credentials().access_key_id().is_empty());
            let _ = format!("{c:?}");
        }
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
        }
    }
});
