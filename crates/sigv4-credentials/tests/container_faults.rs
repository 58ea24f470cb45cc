//! Container provider faults, each against a real HTTP server on 127.0.0.1
//! started by the test: every fault gives a clear error without secrets,
//! bounded by the timeouts, and the provider keeps working afterwards.

#![cfg(feature = "hyper-client")]

#[path = "container_support/mod.rs"]
mod support;

use std::time::Duration;

use sigv4_credentials::{
    ContainerOptions, ContainerProvider, CredentialsError, Env, ProvideCredentials, ProviderContext,
};
use support::*;

const TIMEOUT: Duration = Duration::from_millis(300);

fn provider(server: &TestServer) -> ContainerProvider {
    let ctx = ProviderContext::default().with_env(Env::from_pairs([
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url("/creds")),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "Bearer do-not-leak".to_string(),
        ),
    ]));
    ContainerProvider::new(ctx).with_options(ContainerOptions {
        connect_timeout: TIMEOUT,
        timeout: TIMEOUT,
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
    })
}

/// Runs one fetch against a server doing `action`, with a hang guard far
/// above the provider's own timeouts.
async fn fault(action: Action) -> (CredentialsError, usize) {
    let server = TestServer::always(action);
    let p = provider(&server);
    let result = tokio::time::timeout(Duration::from_secs(20), p.provide_credentials())
        .await
        .expect("the provider must give up on its own (timeout not honoured)");
    let err = result.expect_err("a faulty endpoint must not yield credentials");
    eprintln!("fault error: {err}");
    assert_no_secret(&err);
    assert!(!err.to_string().contains("do-not-leak"), "{err}");
    assert!(!format!("{err:?}").contains("do-not-leak"));
    assert!(
        !err.is_not_configured(),
        "a configured provider that fails is not `not configured`: {err}"
    );
    (err, server.seen().len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_hangs() {
    let (err, seen) = fault(Action::Hang).await;
    match &err {
        CredentialsError::Timeout { after, .. } => assert_eq!(*after, TIMEOUT),
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(err.to_string().contains("/creds"), "{err}");
    assert_eq!(seen, 1, "timeouts are not retried");
}

#[tokio::test]
async fn http_500_is_retried_then_reported_with_the_service_error_code() {
    let (err, seen) = fault(response(
        500,
        Some("application/json"),
        r#"{"code":"InternalError","message":"agent is restarting"}"#,
    ))
    .await;
    assert!(
        matches!(err, CredentialsError::ProviderError { .. }),
        "{err}"
    );
    let s = err.to_string();
    assert!(s.contains("HTTP 500") && s.contains("InternalError"), "{s}");
    // The free-text message is never echoed: endpoints have echoed tokens in it.
    assert!(!s.contains("agent is restarting"), "{s}");
    assert!(s.contains("gave up after 3 attempt"), "{s}");
    assert_eq!(seen, 3);
}

#[tokio::test]
async fn http_500_with_a_body_echoing_secrets_does_not_echo_it() {
    let body = format!("upstream said: {SECRET} {SESSION_TOKEN}");
    let (err, _) = fault(response(500, Some("text/plain"), &body)).await;
    assert!(err.to_string().contains("HTTP 500"), "{err}");
}

#[tokio::test]
async fn http_403_is_not_retried() {
    let (err, seen) = fault(response(
        403,
        Some("application/json"),
        r#"{"code":"AccessDenied","message":"bad token"}"#,
    ))
    .await;
    assert!(err.to_string().contains("HTTP 403: AccessDenied"), "{err}");
    assert!(!err.to_string().contains("bad token"), "{err}");
    assert_eq!(seen, 1);
}

#[tokio::test]
async fn garbage_body() {
    let (err, _) = fault(response(
        200,
        Some("application/json"),
        "\u{1}\u{2}garbage}}{{",
    ))
    .await;
    assert!(
        matches!(err, CredentialsError::InvalidResponse { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[tokio::test]
async fn truncated_json() {
    let full = credentials_json("AKIDTRUNC", "2099-01-01T00:00:00Z");
    let cut = &full[..full.find(SECRET).unwrap() + 10];
    let (err, _) = fault(json(cut)).await;
    assert!(
        matches!(err, CredentialsError::InvalidResponse { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[tokio::test]
async fn body_shorter_than_content_length() {
    let full = credentials_json("AKIDSHORT", "2099-01-01T00:00:00Z");
    let raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        full.len() + 100,
        full
    );
    let (err, seen) = fault(Action::Raw(raw.into_bytes())).await;
    assert!(
        matches!(err, CredentialsError::ProviderError { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("HTTP I/O error"), "{err}");
    assert_eq!(seen, 3, "broken connections are retried");
}

#[tokio::test]
async fn wrong_content_type_html() {
    let (err, _) = fault(response(
        200,
        Some("text/html"),
        "<html><body>captive portal</body></html>",
    ))
    .await;
    assert!(
        matches!(err, CredentialsError::InvalidResponse { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("text/html"), "{err}");
}

#[tokio::test]
async fn json_without_required_fields() {
    let (err, _) = fault(json(r#"{"AccessKeyId":"AKID","Token":"x"}"#)).await;
    assert!(err.to_string().contains("SecretAccessKey"), "{err}");
    let (err, _) = fault(json(&format!(
        r#"{{"AccessKeyId":"AKID","SecretAccessKey":"{SECRET}"}}"#
    )))
    .await;
    assert!(err.to_string().contains("Expiration"), "{err}");
    let (err, _) = fault(json("[1,2,3]")).await;
    assert!(
        matches!(err, CredentialsError::InvalidResponse { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn connection_closed_without_answer() {
    let (err, seen) = fault(Action::Close).await;
    assert!(
        matches!(err, CredentialsError::ProviderError { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("after 3 attempt"), "{err}");
    assert_eq!(seen, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_drip_of_bytes() {
    let full = credentials_json("AKIDDRIP", "2099-01-01T00:00:00Z");
    let raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        full.len(),
        full
    );
    let (err, _) = fault(Action::Drip(raw.into_bytes(), Duration::from_millis(50))).await;
    assert!(matches!(err, CredentialsError::Timeout { .. }), "{err}");
}

#[tokio::test]
async fn nothing_listening() {
    let addr = closed_port();
    let ctx = ProviderContext::default().with_env(Env::from_pairs([(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("http://{addr}/creds"),
    )]));
    let err = ContainerProvider::new(ctx)
        .with_options(ContainerOptions {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(1),
            ..ContainerOptions::default()
        })
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("could not connect"), "{err}");
}

#[tokio::test]
async fn provider_recovers_after_faults() {
    // The same provider instance: a fault, then a healthy answer.
    let calls = Counter::default();
    let c2 = calls.clone();
    let server = TestServer::start(move |_| {
        if c2.incr() <= 3 {
            Action::Close
        } else {
            json(&credentials_json("AKIDOK", "2099-01-01T00:00:00Z"))
        }
    });
    let p = provider(&server);
    assert!(p.provide_credentials().await.is_err());
    let c = p.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "AKIDOK");
    // The bearer token was sent each time.
    assert!(server
        .seen()
        .iter()
        .all(|s| s.header("authorization") == Some("Bearer do-not-leak")));
}
