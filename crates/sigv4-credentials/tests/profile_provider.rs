//! The profile provider's configured / not-configured decisions and its
//! non-network sources (static keys, credential_process).

use sigv4_credentials::{
    CredentialsError, Env, MemoryFs, ProfileProvider, ProvideCredentials, ProviderContext,
};

fn provider(env: &[(&str, &str)], files: &[(&str, &str)]) -> ProfileProvider {
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.push(("HOME".into(), "/home".into()));
    ProfileProvider::new(
        ProviderContext::default()
            .with_env(Env::from_pairs(env))
            .with_fs(MemoryFs::from_files(files.iter().map(|(p, c)| (*p, *c)))),
    )
}

#[tokio::test]
async fn static_keys_with_token_and_account() {
    let c = provider(
        &[],
        &[(
            "/home/.aws/credentials",
            "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = TK\naws_account_id = 123\n",
        )],
    )
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(
        (
            c.access_key_id(),
            c.secret_access_key(),
            c.session_token(),
            c.account_id()
        ),
        ("AK", "SK", Some("TK"), Some("123"))
    );
}

#[tokio::test]
async fn not_configured_cases() {
    for (name, files) in [
        ("no files", vec![]),
        (
            "region only",
            vec![("/home/.aws/config", "[default]\nregion = us-east-1\n")],
        ),
        (
            "no default profile",
            vec![(
                "/home/.aws/config",
                "[profile other]\naws_access_key_id = A\naws_secret_access_key = B\n",
            )],
        ),
    ] {
        let e = provider(&[], &files)
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(e.is_not_configured(), "{name}: {e}");
    }
}

#[tokio::test]
async fn configured_but_broken_cases() {
    type Pairs = Vec<(&'static str, &'static str)>;
    let cases: Vec<(&str, Pairs, Pairs, &str)> = vec![
        (
            "explicit missing profile",
            vec![("AWS_PROFILE", "typo")],
            vec![("/home/.aws/config", "[default]\nregion = us-east-1\n")],
            "`typo` is not defined",
        ),
        (
            "unparsable file",
            vec![],
            vec![("/home/.aws/config", "[default\n")],
            "could not parse profile file",
        ),
        (
            "half static keys",
            vec![],
            vec![(
                "/home/.aws/credentials",
                "[default]\naws_access_key_id = AK\n",
            )],
            "profile missing aws_secret_access_key",
        ),
        (
            "unknown credential_source",
            vec![],
            vec![(
                "/home/.aws/config",
                "[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Ec2\n",
            )],
            "unknown credential_source",
        ),
    ];
    for (name, env, files, needle) in cases {
        let e = provider(&env, &files)
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(
            matches!(e, CredentialsError::InvalidConfiguration { .. }),
            "{name}: {e:?}"
        );
        assert!(e.to_string().contains(needle), "{name}: {e}");
    }
}

#[tokio::test]
async fn credential_process_uses_profile_account_as_fallback() {
    let config = "[default]\naws_account_id = 999\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"AKP\",\"SecretAccessKey\":\"SKP\"}'\n";
    let c = provider(&[], &[("/home/.aws/config", config)])
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "AKP");
    assert_eq!(c.account_id(), Some("999"));
    assert_eq!(c.expiry(), None);
}

#[tokio::test]
async fn credential_source_environment_failure_stops_with_context() {
    let e = provider(
        &[],
        &[(
            "/home/.aws/config",
            "[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n",
        )],
    )
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(
        !e.is_not_configured(),
        "a configured profile must not be skipped"
    );
    assert!(
        e.to_string().contains("credential_source Environment"),
        "{e}"
    );
}

#[tokio::test]
async fn hanging_credential_process_is_bounded() {
    let e = provider(
        &[],
        &[(
            "/home/.aws/config",
            "[default]\ncredential_process = sleep 30\n",
        )],
    )
    .with_credential_process_timeout(std::time::Duration::from_millis(200))
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(matches!(e, CredentialsError::Timeout { .. }), "{e}");
}
