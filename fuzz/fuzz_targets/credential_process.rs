//! `credential_process` output parsing through the public provider: the (fixed) command
//! prints the fuzz input, the provider parses it. Never panics; a parsed result has a
//! non-empty key id and secret. Slow (one process per input), so runs are fewer.
#![no_main]
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use sigv4_credentials::{CredentialProcessProvider, ProvideCredentials};

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("sigv4-fuzz-process-{}", std::process::id()));
    std::fs::write(&path, data).expect("writing the fuzz input to a temp file");
    let provider = CredentialProcessProvider::new(format!("exec cat '{}'", path.display()))
        .with_timeout(Duration::from_secs(10));
    match sigv4_fuzz::block_on(provider.provide_credentials()) {
        Ok(c) => {
            assert!(!c.credentials().access_key_id().is_empty());
            assert!(!c.credentials().secret_access_key().is_empty());
            let _ = format!("{c:?}");
        }
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
        }
    }
});
