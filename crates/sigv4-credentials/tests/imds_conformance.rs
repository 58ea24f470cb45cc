//! `aws-config/imds-config/imds-endpoint-tests.json` (the IMDS endpoint and
//! endpoint-mode configuration cases): every case runs against a recording
//! fake HTTP client, so no request leaves the process (the default
//! endpoints 169.254.169.254 and fd00:ec2::254 are never contacted).

#[path = "container_support/mod.rs"]
mod support;

use serde_json::Value;
use sigv4_credentials::imds::EndpointMode;
use sigv4_credentials::{Env, ImdsProvider, MemoryFs, ProvideCredentials, ProviderContext};
use support::*;

fn fake_imds() -> FakeHttp {
    FakeHttp::new(|req| {
        let path = req.uri().path();
        Ok(if path.ends_with("/latest/api/token") {
            http_response(200, "IMDSTOKEN")
        } else if path.ends_with("/security-credentials/") {
            http_response(200, "my-role\n")
        } else if path.ends_with("/security-credentials/my-role") {
            http_response(200, &credentials_json("AKIDIMDS", "2099-01-01T00:00:00Z"))
        } else {
            http_response(404, "")
        })
    })
}

#[tokio::test]
async fn imds_endpoint_tests_json_every_case() {
    let path = testdata("aws-config/imds-config/imds-endpoint-tests.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases = doc["tests"].as_array().expect("`tests` array");
    assert!(!cases.is_empty());
    let mut ran = 0;
    for case in cases {
        let docs = case["docs"].as_str().unwrap_or("?");
        let env: Vec<(String, String)> = case["env"]
            .as_object()
            .unwrap_or_else(|| panic!("{docs}: env"))
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let files: Vec<(String, String)> = case["fs"]
            .as_object()
            .unwrap_or_else(|| panic!("{docs}: fs"))
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let fake = fake_imds();
        let ctx = ProviderContext::default()
            .with_env(Env::from_pairs(env))
            .with_fs(MemoryFs::from_files(files))
            .with_http_client(fake.clone());
        let mut imds = ImdsProvider::new(ctx);
        if let Some(e) = case.get("endpoint_override").and_then(Value::as_str) {
            imds = imds.with_endpoint(e);
        }
        if let Some(m) = case.get("mode_override").and_then(Value::as_str) {
            let mode: EndpointMode = m
                .parse()
                .unwrap_or_else(|e| panic!("{docs}: bad mode_override: {e}"));
            imds = imds.with_endpoint_mode(mode);
        }
        let result = imds.provide_credentials().await;
        let expected = &case["result"];
        if let Some(uri) = expected.get("Ok").and_then(Value::as_str) {
            let creds = result.unwrap_or_else(|e| panic!("{docs}: expected Ok({uri}), got {e}"));
            assert_eq!(creds.access_key_id(), "AKIDIMDS", "{docs}");
            assert_eq!(creds.provider_name(), "Ec2InstanceMetadata", "{docs}");
            let reqs = fake.requests.lock().unwrap();
            assert_eq!(reqs.len(), 3, "{docs}: token, role, credentials");
            assert_eq!(reqs[0].uri().to_string(), uri, "{docs}");
            assert_eq!(reqs[0].method(), http::Method::PUT, "{docs}");
            assert_eq!(
                reqs[0].headers()["x-aws-ec2-metadata-token-ttl-seconds"],
                "21600",
                "{docs}"
            );
            let base = uri.trim_end_matches("/latest/api/token");
            assert_eq!(
                reqs[1].uri().to_string(),
                format!("{base}/latest/meta-data/iam/security-credentials/"),
                "{docs}"
            );
            assert_eq!(
                reqs[2].uri().to_string(),
                format!("{base}/latest/meta-data/iam/security-credentials/my-role"),
                "{docs}"
            );
            for r in &reqs[1..] {
                assert_eq!(r.method(), http::Method::GET, "{docs}");
                assert_eq!(
                    r.headers()["x-aws-ec2-metadata-token"],
                    "IMDSTOKEN",
                    "{docs}"
                );
            }
            // resolve_endpoint agrees with the request that was sent.
            let endpoint = imds.resolve_endpoint().unwrap().to_string();
            assert_eq!(endpoint.trim_end_matches('/'), base, "{docs}");
        } else if let Some(msg) = expected.get("Err").and_then(Value::as_str) {
            let err = match result {
                Ok(_) => panic!("{docs}: expected an error containing {msg:?}"),
                Err(e) => e,
            };
            assert!(
                err.to_string().contains(msg),
                "{docs}: error `{err}` does not contain {msg:?}"
            );
            assert!(
                !err.is_not_configured(),
                "{docs}: a bad setting is an error: {err}"
            );
            assert!(fake.uris().is_empty(), "{docs}: no request expected");
        } else {
            panic!("{docs}: unknown expected result {expected}");
        }
        ran += 1;
    }
    assert_eq!(ran, cases.len());
}

#[tokio::test]
async fn disabled_by_environment() {
    for v in ["true", "TRUE", " True "] {
        let fake = fake_imds();
        let ctx = ProviderContext::default()
            .with_env(Env::from_pairs([("AWS_EC2_METADATA_DISABLED", v)]))
            .with_fs(MemoryFs::default())
            .with_http_client(fake.clone());
        let err = ImdsProvider::new(ctx)
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(err.is_not_configured(), "{v:?}: {err}");
        assert!(
            err.to_string().contains("AWS_EC2_METADATA_DISABLED"),
            "{err}"
        );
        assert!(fake.uris().is_empty());
    }
    // Anything else leaves it enabled.
    let fake = fake_imds();
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs([
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"),
        ]))
        .with_fs(MemoryFs::default())
        .with_http_client(fake.clone());
    ImdsProvider::new(ctx).provide_credentials().await.unwrap();
    assert_eq!(fake.uris().len(), 3);
}

#[tokio::test]
async fn selected_profile_is_used_for_endpoint_settings() {
    let fake = fake_imds();
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs([
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_PROFILE", "other"),
        ]))
        .with_fs(MemoryFs::from_files([(
            "/cfg",
            "[default]\nec2_metadata_service_endpoint = http://wrong:1\n\
             [profile other]\nec2_metadata_service_endpoint_mode = ipv6\n",
        )]))
        .with_http_client(fake.clone());
    ImdsProvider::new(ctx).provide_credentials().await.unwrap();
    assert_eq!(fake.uris()[0], "http://[fd00:ec2::254]/latest/api/token");
}
