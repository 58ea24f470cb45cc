//! With nothing configured, the default chain's error is typed
//! ([`CredentialsError::NoCredentials`]) and names every provider it asked,
//! in order, with why each gave nothing, so the CLI and Python can show it.
//! Instance metadata is either disabled or redirected to a closed port on
//! 127.0.0.1: nothing leaves the machine.
#![cfg(feature = "hyper-client")]

mod support;

use sigv4_credentials::{
    CredentialsError, DefaultChain, Env, MemoryFs, ProvideCredentials, ProviderContext,
};
use support::RedirectClient;

fn closed_port() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}

async fn nothing(env: &[(&str, &str)], config: Option<&str>) -> CredentialsError {
    let fs = match config {
        Some(c) => MemoryFs::from_files([("/home/me/.aws/config", c)]),
        None => MemoryFs::default(),
    };
    let mut pairs = vec![("HOME", "/home/me")];
    pairs.extend_from_slice(env);
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs(pairs))
        .with_fs(fs)
        .with_http_client(RedirectClient::new(closed_port()));
    DefaultChain::new(ctx)
        .provide_credentials()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn the_error_names_every_provider_in_order_and_why() {
    let err = nothing(&[("AWS_EC2_METADATA_DISABLED", "true")], None).await;
    assert!(
        matches!(err, CredentialsError::NoCredentials { .. }),
        "{err:?}"
    );
    assert!(err.is_not_configured());
    let tried = err.tried().unwrap();
    let names: Vec<_> = tried.iter().map(|t| t.provider).collect();
    assert_eq!(
        names,
        [
            "Environment",
            "Profile",
            "WebIdentityToken",
            "EcsContainer",
            "Ec2InstanceMetadata"
        ]
    );
    assert!(tried[0].reason.contains("AWS_ACCESS_KEY_ID is not set"));
    assert!(
        tried[1].reason.contains("profile `default`")
            && tried[1].reason.contains("/home/me/.aws/credentials")
            && tried[1].reason.contains("/home/me/.aws/config"),
        "{}",
        tried[1].reason
    );
    assert!(tried[2].reason.contains("AWS_WEB_IDENTITY_TOKEN_FILE"));
    assert!(tried[3]
        .reason
        .contains("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
    assert!(
        tried[4].reason.contains("AWS_EC2_METADATA_DISABLED"),
        "{}",
        tried[4].reason
    );
    let text = err.to_string();
    // One message, in order, with a fix for the likely case.
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s:?} not in {text}"))
    };
    assert!(pos("1. Environment") < pos("2. Profile"));
    assert!(pos("2. Profile") < pos("3. WebIdentityToken"));
    assert!(pos("4. EcsContainer") < pos("5. Ec2InstanceMetadata"));
    assert!(text.contains("AWS_PROFILE"), "{text}");
}

#[tokio::test]
async fn unreachable_instance_metadata_and_a_missing_profile_are_explained() {
    let err = nothing(
        &[("AWS_PROFILE", "dev")],
        Some("[profile other]\nregion = eu-west-1\n"),
    )
    .await;
    // An explicitly selected profile that does not exist is a configuration
    // error, not "nothing found".
    assert!(!err.is_not_configured(), "{err}");
    assert!(err.to_string().contains("dev"), "{err}");

    let err = nothing(&[], Some("[profile other]\nregion = eu-west-1\n")).await;
    let tried = err.tried().unwrap();
    assert!(
        tried[1].reason.contains("profile `default`"),
        "{}",
        tried[1].reason
    );
    assert_eq!(tried[4].provider, "Ec2InstanceMetadata");
    assert!(
        tried[4].reason.contains("could not be reached"),
        "{}",
        tried[4].reason
    );
}
