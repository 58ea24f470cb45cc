//! The shared config/credentials file parser and the profile chain resolver on arbitrary
//! files. Never panics; parse errors and resolution errors are formatted.
//!
//! Input: `config file \n~~~\n credentials file`. Nothing is ever executed or fetched: only
//! parsing and planning run (a fuzzed `credential_process` must never be started).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4_credentials::profile::resolve_chain;
use sigv4_credentials::profile_file::{parse_sub_properties, ProfileSet};
use sigv4_credentials::ProfileProvider;
use sigv4_fuzz::split_parts;

fuzz_target!(|data: &[u8]| {
    let parts = split_parts(data, 2);
    let config = String::from_utf8_lossy(parts[0]);
    let creds = parts.get(1).map(|p| String::from_utf8_lossy(p));
    let set = match ProfileSet::parse(Some(&config), creds.as_deref()) {
        Ok(set) => set,
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            return;
        }
    };
    let names: Vec<String> = set.profiles().keys().cloned().collect();
    for name in names.iter().take(8) {
        let selected = set.clone().with_selected(name.as_str());
        let section = selected.selected().expect("a parsed profile is selectable");
        for value in section.properties().values() {
            let _ = parse_sub_properties(value);
        }
        match resolve_chain(&selected) {
            Ok(chain) => {
                let _ = format!("{chain:?}");
            }
            Err(e) => {
                let _ = (e.to_string(), format!("{e:?}"));
            }
        }
    }
    // The provider's planning step reads the same files through the injected file system.
    let ctx = sigv4_fuzz::context(
        &[("HOME", "/home/fuzz")],
        vec![
            ("/home/fuzz/.aws/config".into(), parts[0].to_vec()),
            (
                "/home/fuzz/.aws/credentials".into(),
                parts.get(1).map(|p| p.to_vec()).unwrap_or_default(),
            ),
        ],
        &[],
    );
    if let Err(e) = ProfileProvider::new(ctx).plan() {
        let _ = e.to_string();
    }
});
