//! Issue #15.4 settings through real providers: `sts_regional_endpoints` /
//! `AWS_STS_REGIONAL_ENDPOINTS` pick the STS endpoint of every STS call
//! (assume role, web identity), and the account id from a profile, a
//! `credential_process` and STS is kept on the credentials.
#![cfg(feature = "hyper-client")]

mod support;

use std::time::Duration;

use sigv4_credentials::{
    Env, MemoryFs, ProfileProvider, ProvideCredentials, ProviderContext, WebIdentityProvider,
};
use support::{Exchange, RedirectClient, ReplayServer};

fn assume_role_ok(action: &str) -> Exchange {
    let body = format!(
        "<{action}Response><{action}Result><AssumedRoleUser><Arn>arn:aws:sts::210987654321:assumed-role/r/s</Arn></AssumedRoleUser>\
         <Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>tok</SessionToken>\
         <Expiration>2100-01-01T00:00:00Z</Expiration></Credentials></{action}Result></{action}Response>"
    );
    Exchange {
        method: "POST".into(),
        uri: "https://sts.amazonaws.com/".into(),
        status: 200,
        response_headers: vec![("content-type".into(), "text/xml".into())],
        response_body: body.into_bytes(),
        ..Default::default()
    }
}

async fn sts_url_for(config: &str, env: &[(&str, &str)]) -> (String, Option<String>) {
    let server = ReplayServer::start(vec![assume_role_ok("AssumeRole")]).await;
    let client = RedirectClient::new(server.addr);
    let mut pairs = vec![("HOME", "/home")];
    pairs.extend_from_slice(env);
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs(pairs))
        .with_fs(MemoryFs::from_files([("/home/.aws/config", config)]))
        .with_http_client(client.clone());
    let creds = tokio::time::timeout(
        Duration::from_secs(20),
        ProfileProvider::new(ctx).provide_credentials(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(creds.access_key_id(), "ASIAROLE");
    let requests = client.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    (
        requests[0].1.clone(),
        creds.account_id().map(str::to_string),
    )
}

const ROLE: &str = "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = basesecret\n\
                    [default]\nrole_arn = arn:aws:iam::210987654321:role/r\nsource_profile = base\nregion = us-west-2\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_follows_sts_regional_endpoints() {
    // Regional by default.
    let (url, account) = sts_url_for(ROLE, &[]).await;
    assert_eq!(url, "https://sts.us-west-2.amazonaws.com/");
    assert_eq!(account.as_deref(), Some("210987654321"));
    // Legacy in the profile: the global endpoint for a legacy region.
    let legacy = ROLE.replace(
        "region = us-west-2",
        "region = us-west-2\nsts_regional_endpoints = legacy",
    );
    let (url, _) = sts_url_for(&legacy, &[]).await;
    assert_eq!(url, "https://sts.amazonaws.com/");
    // ...but regional for a region that never had the global one.
    let (url, _) = sts_url_for(&legacy.replace("us-west-2", "ap-east-1"), &[]).await;
    assert_eq!(url, "https://sts.ap-east-1.amazonaws.com/");
    // The environment variable, and its precedence over the profile.
    let (url, _) = sts_url_for(ROLE, &[("AWS_STS_REGIONAL_ENDPOINTS", "legacy")]).await;
    assert_eq!(url, "https://sts.amazonaws.com/");
    let (url, _) = sts_url_for(&legacy, &[("AWS_STS_REGIONAL_ENDPOINTS", "regional")]).await;
    assert_eq!(url, "https://sts.us-west-2.amazonaws.com/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_identity_follows_sts_regional_endpoints() {
    let server = ReplayServer::start(vec![assume_role_ok("AssumeRoleWithWebIdentity")]).await;
    let client = RedirectClient::new(server.addr);
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs([
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token.jwt"),
            ("AWS_ROLE_ARN", "arn:aws:iam::210987654321:role/r"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_STS_REGIONAL_ENDPOINTS", "legacy"),
        ]))
        .with_fs(MemoryFs::from_files([("/token.jwt", "eyJ.jwt.token")]))
        .with_http_client(client.clone());
    let creds = WebIdentityProvider::from_env(ctx)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIAROLE");
    assert_eq!(client.requests()[0].1, "https://sts.amazonaws.com/");
}

#[tokio::test]
async fn account_id_from_profile_and_credential_process_is_kept_on_the_credentials() {
    let config = "[default]\naws_access_key_id = AKID\naws_secret_access_key = s\naws_account_id = 123456789012\n\
                  [profile proc]\ncredential_process = echo '{\"Version\": 1, \"AccessKeyId\": \"AKPROC\", \"SecretAccessKey\": \"s\", \"AccountId\": \"999988887777\"}'\n\
                  [profile proc_fallback]\naws_account_id = 555566667777\ncredential_process = echo '{\"Version\": 1, \"AccessKeyId\": \"AKPROC\", \"SecretAccessKey\": \"s\"}'\n";
    let ctx = |profile: &str| {
        ProviderContext::default()
            .with_env(Env::from_pairs([("HOME", "/home")]))
            .with_fs(MemoryFs::from_files([("/home/.aws/config", config)]))
            .with_profile_name(profile)
    };
    for (profile, want) in [
        ("default", "123456789012"),
        ("proc", "999988887777"),
        ("proc_fallback", "555566667777"),
    ] {
        let creds = ProfileProvider::new(ctx(profile))
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(creds.account_id(), Some(want), "{profile}");
        // On the core type too, so it survives unwrapping.
        assert_eq!(
            creds.into_credentials().account_id(),
            Some(want),
            "{profile}"
        );
    }
}
