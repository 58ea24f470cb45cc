//! Every case of profile-file/profile-parser-tests.json and
//! file-location-tests.json.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use sigv4_credentials::profile_file::{FileLocations, Platform, ProfileSet, Section};
use sigv4_credentials::Env;

fn testdata(rel: &str) -> Value {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/profile-file"
    ))
    .join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("test data {} is missing: {e}", path.display()));
    serde_json::from_str(&text).expect("test data is valid JSON")
}

fn to_map(sections: &BTreeMap<String, Section>) -> BTreeMap<String, BTreeMap<String, String>> {
    sections
        .iter()
        .map(|(k, s)| (k.clone(), s.properties().clone()))
        .collect()
}

fn expected_map(v: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
    serde_json::from_value(v.clone()).expect("expected sections are string maps")
}

#[test]
fn profile_parser_tests() {
    let data = testdata("profile-parser-tests.json");
    let cases = data["tests"].as_array().expect("tests array");
    assert!(
        cases.len() >= 60,
        "expected the full parser suite, got {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = &case["input"];
        let result = ProfileSet::parse(
            input["configFile"].as_str(),
            input["credentialsFile"].as_str(),
        );
        let out = &case["output"];
        if let Some(expected) = out.get("errorContaining") {
            let expected = expected.as_str().unwrap();
            match result {
                Err(e) if e.to_string().contains(expected) => {}
                Err(e) => failures.push(format!("{name}: error {e:?} lacks {expected:?}")),
                Ok(set) => failures.push(format!(
                    "{name}: parsed {set:?}, expected error {expected:?}"
                )),
            }
            continue;
        }
        let set = match result {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: unexpected error {e}"));
                continue;
            }
        };
        let config = &out["config"];
        let want = expected_map(&config["profiles"]);
        let got = to_map(set.profiles());
        if want != got {
            failures.push(format!("{name}: profiles {got:?} != {want:?}"));
        }
        if let Some(sso) = config.get("sso_sessions") {
            let want = expected_map(sso);
            let got = to_map(set.sso_sessions());
            if want != got {
                failures.push(format!("{name}: sso_sessions {got:?} != {want:?}"));
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

#[test]
fn file_location_tests() {
    let data = testdata("file-location-tests.json");
    let cases = data["tests"].as_array().expect("tests array");
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let env: BTreeMap<String, String> =
            serde_json::from_value(case["environment"].clone()).unwrap();
        let platform = match case["platform"].as_str().unwrap() {
            "windows" => Platform::Windows,
            "linux" | "macos" => Platform::Unix,
            other => panic!("{name}: unknown platform {other}"),
        };
        let l = FileLocations::resolve(&Env::from_pairs(env), platform);
        let want_profile = case["profile"].as_str().unwrap_or("default");
        if l.config != case["configLocation"].as_str().unwrap()
            || l.credentials != case["credentialsLocation"].as_str().unwrap()
            || l.profile != want_profile
        {
            failures.push(format!("{name}: got {l:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
