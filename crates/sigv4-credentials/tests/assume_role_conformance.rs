//! Every case of aws-config/assume-role-tests.json: profiles resolved into a
//! chain plan (base source + roles), or the expected error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Map, Value};
use sigv4_credentials::profile::{resolve_chain, BaseSource, ProfileChain};
use sigv4_credentials::profile_file::{ProfileSet, Section};

fn testdata() -> Vec<Value> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/aws-config/assume-role-tests.json"
    ));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("test data {} is missing: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

fn sections(v: &Value) -> Vec<Section> {
    let map: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_value(v.clone()).expect("profiles are string maps");
    map.into_iter()
        .map(|(name, props)| {
            props
                .iter()
                .fold(Section::new(name), |s, (k, v)| s.with(k, v.clone()))
        })
        .collect()
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        m.insert(k.into(), Value::String(v.into()));
    }
}

/// The chain in the JSON shape the test data uses.
fn to_json(chain: &ProfileChain) -> Value {
    let base = match &chain.base {
        BaseSource::AccessKey {
            access_key_id,
            secret_access_key,
            session_token,
            account_id,
        } => {
            let mut m = Map::new();
            put(&mut m, "access_key_id", Some(access_key_id));
            put(&mut m, "secret_access_key", Some(secret_access_key));
            put(
                &mut m,
                "session_token",
                session_token.as_deref().map(String::as_str),
            );
            put(&mut m, "account_id", account_id.as_deref());
            json!({ "AccessKey": m })
        }
        BaseSource::NamedSource(s) => json!({ "NamedSource": s.as_str() }),
        BaseSource::WebIdentityToken(c) => {
            let mut m = Map::new();
            put(&mut m, "role_arn", Some(&c.role_arn));
            put(
                &mut m,
                "web_identity_token_file",
                Some(&c.web_identity_token_file),
            );
            put(&mut m, "role_session_name", c.role_session_name.as_deref());
            json!({ "WebIdentityToken": m })
        }
        BaseSource::Sso {
            sso_session,
            sso_region,
            sso_start_url,
            sso_account_id,
            sso_role_name,
        } => {
            let mut m = Map::new();
            put(&mut m, "sso_session", sso_session.as_deref());
            put(&mut m, "sso_region", sso_region.as_deref());
            put(&mut m, "sso_start_url", sso_start_url.as_deref());
            put(&mut m, "sso_account_id", sso_account_id.as_deref());
            put(&mut m, "sso_role_name", sso_role_name.as_deref());
            json!({ "Sso": m })
        }
        BaseSource::CredentialProcess { .. } => json!({ "CredentialProcess": {} }),
        BaseSource::Login { session } => json!({ "Login": { "session": session } }),
        // `BaseSource` is `#[non_exhaustive]`: a source added later fails here until the
        // test data's shape for it is written.
        other => panic!("a base source this test has no JSON shape for: {other:?}"),
    };
    let mut steps = vec![base];
    for r in &chain.roles {
        let mut m = Map::new();
        put(&mut m, "role_arn", Some(&r.params.role_arn));
        put(&mut m, "external_id", r.params.external_id.as_deref());
        put(
            &mut m,
            "role_session_name",
            r.params.role_session_name.as_deref(),
        );
        steps.push(json!({ "AssumeRole": m }));
    }
    Value::Array(steps)
}

#[test]
fn assume_role_tests() {
    let cases = testdata();
    assert!(
        cases.len() >= 28,
        "expected the full suite, got {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let docs = case["docs"].as_str().unwrap();
        let input = &case["input"];
        let mut set = ProfileSet::default().with_selected(
            input["selected_profile"]
                .as_str()
                .expect("selected_profile"),
        );
        for s in sections(&input["profiles"]) {
            set.insert_profile(s);
        }
        if let Some(sso) = input.get("sso_sessions") {
            for s in sections(sso) {
                set.insert_sso_session(s);
            }
        }
        let result = resolve_chain(&set);
        let out = &case["output"];
        if let Some(want) = out.get("ProfileChain") {
            match result {
                Ok(chain) => {
                    let got = to_json(&chain);
                    if &got != want {
                        failures.push(format!("{docs}: got {got}, want {want}"));
                    }
                }
                Err(e) => failures.push(format!("{docs}: unexpected error {e}")),
            }
        } else {
            let want = out["Error"].as_str().expect("Error or ProfileChain");
            match result {
                Err(e) if e.to_string().contains(want) => {}
                Err(e) => failures.push(format!("{docs}: error {e:?} lacks {want:?}")),
                Ok(chain) => failures.push(format!("{docs}: got {chain:?}, want error {want:?}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
