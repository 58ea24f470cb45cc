//! The bearer signer with the default token chain: the selected profile's
//! SSO session token (from its cache file) ends up in `Authorization:
//! Bearer`; with no SSO session configured, the error says so.

use sigv4_credentials::{Env, MemoryFs, ProviderContext, TokenChain};
use sigv4_http::bearer::{BearerError, BearerSigner};

fn ctx(config: &str) -> ProviderContext {
    ProviderContext::default()
        .with_env(Env::from_pairs([("HOME", "/home")]))
        .with_fs(MemoryFs::from_files([(
            "/home/.aws/config",
            config.to_string(),
        )]))
}

#[tokio::test]
async fn sso_session_token_becomes_the_bearer_header() {
    let config = "[default]\nsso_session = dev-sso\n[sso-session dev-sso]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = us-east-1\n";
    let base = ctx(config);
    // Put the token where the provider looks for it.
    let provider = sigv4_credentials::ProfileTokenProvider::new(base.clone());
    let path = provider.sso_token_provider().unwrap().cache_path().unwrap();
    let fs = MemoryFs::from_files([
        ("/home/.aws/config".to_string(), config.to_string()),
        (
            path,
            r#"{"accessToken":"sso-bearer-token","expiresAt":"2099-01-01T00:00:00Z"}"#.to_string(),
        ),
    ]);
    let signer = BearerSigner::new(TokenChain::default_chain(base.with_fs(fs)));
    let mut req = http::Request::get("https://codecatalyst.global.api.aws/v1/userinfo")
        .body(())
        .unwrap();
    signer.sign(&mut req).await.unwrap();
    assert_eq!(req.headers()["authorization"], "Bearer sso-bearer-token");
}

#[tokio::test]
async fn no_sso_session_is_a_clear_error() {
    let signer = BearerSigner::new(TokenChain::default_chain(ctx(
        "[default]\nregion = eu-west-1\n",
    )));
    let mut req = http::Request::get("https://a.example/").body(()).unwrap();
    let err = signer.sign(&mut req).await.unwrap_err();
    assert!(
        matches!(err, BearerError::Token(ref e) if e.is_not_configured()),
        "{err}"
    );
    assert!(err.to_string().contains("sso_session"), "{err}");
    assert!(req.headers().get("authorization").is_none());
}
