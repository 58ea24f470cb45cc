//! `aws-config/ecs-tests.json`: every case runs against a recording fake
//! HTTP client (no request leaves the process), plus authorization token
//! handling against a local server.

#[path = "container_support/mod.rs"]
mod support;

use serde_json::Value;
use sigv4_credentials::{
    ContainerProvider, CredentialsError, Env, MemoryFs, ProvideCredentials, ProviderContext,
};
use support::*;

fn ok_fake() -> FakeHttp {
    FakeHttp::new(|_| {
        Ok(http_response(
            200,
            &credentials_json("AKIDECS", "2099-01-01T00:00:00Z"),
        ))
    })
}

#[tokio::test]
async fn ecs_tests_json_every_case() {
    let path = testdata("aws-config/ecs-tests.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases = doc["tests"].as_array().expect("`tests` array");
    assert!(!cases.is_empty(), "no cases in {}", path.display());
    let mut ran = 0;
    for case in cases {
        let docs = case["docs"].as_str().unwrap_or("?");
        let env: Vec<(String, String)> = case["env"]
            .as_object()
            .unwrap_or_else(|| panic!("{docs}: no env object"))
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let fake = ok_fake();
        let ctx = ProviderContext::default()
            .with_env(Env::from_pairs(env))
            .with_fs(MemoryFs::default())
            .with_http_client(fake.clone());
        let provider = ContainerProvider::new(ctx);
        let result = provider.provide_credentials().await;
        let expected = &case["result"];
        if let Some(uri) = expected.get("Ok").and_then(Value::as_str) {
            let creds = result.unwrap_or_else(|e| panic!("{docs}: expected Ok({uri}), got {e}"));
            assert_eq!(creds.access_key_id(), "AKIDECS", "{docs}");
            assert_eq!(creds.provider_name(), "EcsContainer", "{docs}");
            assert_eq!(fake.uris(), vec![uri.to_string()], "{docs}");
        } else if let Some(msg) = expected.get("ErrorContains").and_then(Value::as_str) {
            let err = match result {
                Ok(_) => panic!("{docs}: expected an error containing {msg:?}, got credentials"),
                Err(e) => e,
            };
            assert!(
                err.to_string().contains(msg),
                "{docs}: error {err} does not contain {msg:?}"
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
async fn unset_is_not_configured_and_disallowed_hosts_are_rejected() {
    let ctx = ProviderContext::default().with_env(Env::from_pairs::<String, String>([]));
    let err = ContainerProvider::new(ctx)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.is_not_configured());

    for uri in [
        "http://169.254.169.254/creds",
        "http://10.0.0.1/creds",
        "http://[fd00:ec2::254]/creds",
        "ftp://127.0.0.1/creds",
    ] {
        let fake = ok_fake();
        let ctx = ProviderContext::default()
            .with_env(Env::from_pairs([(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                uri,
            )]))
            .with_http_client(fake.clone());
        let err = ContainerProvider::new(ctx)
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidConfiguration { .. }),
            "{uri}: {err}"
        );
        assert!(fake.uris().is_empty(), "{uri}: must not be contacted");
    }
}

/// Authorization token handling against a local server.
#[cfg(feature = "hyper-client")]
mod local_server {
    use super::*;
    use sigv4_credentials::ContainerOptions;
    use std::time::{Duration, SystemTime};

    fn local_options() -> ContainerOptions {
        ContainerOptions {
            connect_timeout: Duration::from_millis(500),
            timeout: Duration::from_secs(2),
            max_attempts: 2,
            initial_backoff: Duration::from_millis(1),
        }
    }

    #[tokio::test]
    async fn token_file_is_reread_on_every_fetch_and_wins_over_the_variable() {
        let server =
            TestServer::always(json(&credentials_json("AKIDTOKEN", "2099-01-01T00:00:00Z")));
        let dir = tempfile::tempdir().unwrap();
        let token_path = dir.path().join("token");
        std::fs::write(&token_path, "Bearer first").unwrap();
        let ctx = ProviderContext::default().with_env(Env::from_pairs([
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                server.url("/v1/credentials"),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                token_path.display().to_string(),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                "from-variable".to_string(),
            ),
        ]));
        let provider = ContainerProvider::new(ctx).with_options(local_options());
        let c = provider.provide_credentials().await.unwrap();
        assert_eq!(c.access_key_id(), "AKIDTOKEN");
        assert_eq!(c.secret_access_key(), SECRET);
        assert_eq!(c.session_token(), Some(SESSION_TOKEN));
        assert_eq!(c.account_id(), Some("123456789012"));
        assert_eq!(
            c.expiry(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(4_070_908_800))
        );
        std::fs::write(&token_path, "Bearer second").unwrap();
        provider.provide_credentials().await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].path, "/v1/credentials");
        assert_eq!(seen[0].header("authorization"), Some("Bearer first"));
        assert_eq!(seen[1].header("authorization"), Some("Bearer second"));

        // A token with a newline (e.g. `echo token > file`) is rejected before
        // any request, and the error does not show the token.
        std::fs::write(&token_path, "Bearer third\n").unwrap();
        let err = provider.provide_credentials().await.unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidConfiguration { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("CR or LF"), "{err}");
        assert!(!err.to_string().contains("Bearer third"), "{err}");
        assert_eq!(server.seen().len(), 2);

        // A missing token file is an error, not a silent fallback to the variable.
        std::fs::remove_file(&token_path).unwrap();
        let err = provider.provide_credentials().await.unwrap_err();
        assert!(
            err.to_string()
                .contains("could not read the authorization token file"),
            "{err}"
        );
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn token_variable_is_sent_and_crlf_rejected() {
        let server = TestServer::always(json(&credentials_json("AKIDVAR", "2099-01-01T00:00:00Z")));
        let ctx = ProviderContext::default().with_env(Env::from_pairs([
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                server.url("/creds?x=1"),
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc".to_string()),
        ]));
        ContainerProvider::new(ctx)
            .with_options(local_options())
            .provide_credentials()
            .await
            .unwrap();
        let seen = server.seen();
        assert_eq!(seen[0].path, "/creds?x=1");
        assert_eq!(seen[0].header("authorization"), Some("Basic abc"));
        assert_eq!(seen[0].method, "GET");

        for bad in ["abc\r\nX-Injected: 1", "abc\n", "abc\rdef"] {
            let ctx = ProviderContext::default().with_env(Env::from_pairs([
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url("/creds")),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", bad.to_string()),
            ]));
            let err = ContainerProvider::new(ctx)
                .with_options(local_options())
                .provide_credentials()
                .await
                .unwrap_err();
            assert!(err.to_string().contains("CR or LF"), "{err}");
        }
        assert_eq!(server.seen().len(), 1, "no request with a bad token");
    }
}
