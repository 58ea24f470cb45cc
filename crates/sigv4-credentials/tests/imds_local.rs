//! The IMDSv2 provider against a real HTTP server on 127.0.0.1 started by
//! the test (endpoints always overridden: 169.254.169.254 is never
//! contacted): the happy path, token caching and renewal, fail-fast when
//! nothing answers, faults, and static stability.

#![cfg(feature = "hyper-client")]

#[path = "container_support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sigv4_credentials::imds::ImdsOptions;
use sigv4_credentials::{
    CredentialsError, Env, ImdsProvider, MemoryFs, ProvideCredentials, ProviderContext,
};
use support::*;

const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000)
}

fn fast() -> ImdsOptions {
    ImdsOptions {
        connect_timeout: Duration::from_millis(300),
        timeout: Duration::from_millis(300),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        ..ImdsOptions::default()
    }
}

fn imds_for(endpoint: &str, clock: &TestClock) -> ImdsProvider {
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs([(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            endpoint,
        )]))
        .with_fs(MemoryFs::default())
        .with_time_source(clock.clone());
    ImdsProvider::new(ctx).with_options(fast())
}

/// A well-behaved IMDS whose credential answer can be swapped.
fn imds_server(creds: impl Fn() -> Action + Send + Sync + 'static) -> TestServer {
    TestServer::start(move |req| match (req.method.as_str(), req.path.as_str()) {
        ("PUT", "/latest/api/token") => {
            if req.header("x-aws-ec2-metadata-token-ttl-seconds").is_none() {
                return response(400, None, "");
            }
            response(200, Some("text/plain"), "TOKEN-1")
        }
        ("GET", p) if req.header("x-aws-ec2-metadata-token") != Some("TOKEN-1") => {
            let _ = p;
            response(401, None, "")
        }
        ("GET", ROLE_PATH) => response(200, Some("text/plain"), "web-role"),
        ("GET", p) if p == format!("{ROLE_PATH}web-role") => creds(),
        _ => response(404, None, ""),
    })
}

#[tokio::test]
async fn happy_path_and_token_reuse() {
    let server = imds_server(|| json(&credentials_json("AKIDIMDS", "2030-03-17T18:00:00Z")));
    let clock = TestClock::new(t0());
    let imds = imds_for(&server.base(), &clock);
    let c = imds.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "AKIDIMDS");
    assert_eq!(c.secret_access_key(), SECRET);
    assert_eq!(c.session_token(), Some(SESSION_TOKEN));
    assert_eq!(c.provider_name(), "Ec2InstanceMetadata");
    assert!(c.expiry().unwrap() > t0());
    let c2 = imds.provide_credentials().await.unwrap();
    assert_eq!(c2.access_key_id(), "AKIDIMDS");
    let seen = server.seen();
    let puts = seen.iter().filter(|s| s.method == "PUT").count();
    assert_eq!(puts, 1, "the session token is reused: {seen:?}");
    assert_eq!(seen.len(), 5);
    assert_eq!(
        seen[0].header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("21600")
    );
    // After the token's lifetime a new one is requested.
    clock.advance(Duration::from_secs(6 * 3600));
    imds.provide_credentials().await.unwrap();
    let puts = server.seen().iter().filter(|s| s.method == "PUT").count();
    assert_eq!(puts, 2);
}

#[tokio::test]
async fn rejected_token_is_renewed_once() {
    // The server accepts only the second token it hands out.
    let handed = Arc::new(AtomicU8::new(0));
    let h = handed.clone();
    let server = TestServer::start(move |req| match (req.method.as_str(), req.path.as_str()) {
        ("PUT", _) => {
            let n = h.fetch_add(1, Ordering::SeqCst) + 1;
            response(200, None, &format!("TOKEN-{n}"))
        }
        (_, _) if req.header("x-aws-ec2-metadata-token") != Some("TOKEN-2") => {
            response(401, None, "")
        }
        (_, ROLE_PATH) => response(200, None, "r"),
        _ => json(&credentials_json("AKIDRENEW", "2030-03-17T18:00:00Z")),
    });
    let imds = imds_for(&server.base(), &TestClock::new(t0()));
    let c = imds.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "AKIDRENEW");
    assert_eq!(handed.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn no_role_attached_is_not_configured() {
    let server = TestServer::start(|req| match req.method.as_str() {
        "PUT" => response(200, None, "TOKEN-1"),
        _ => response(404, Some("text/html"), "<html>404 - Not Found</html>"),
    });
    let err = imds_for(&server.base(), &TestClock::new(t0()))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.is_not_configured(), "{err}");
    assert!(err.to_string().contains("no IAM role"), "{err}");
}

#[tokio::test]
async fn token_forbidden() {
    let server = TestServer::always(response(403, None, ""));
    let err = imds_for(&server.base(), &TestClock::new(t0()))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("request forbidden: IMDS is disabled"),
        "{err}"
    );
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn nothing_listening_fails_at_once_without_retries() {
    let addr = closed_port();
    let imds = imds_for(&format!("http://{addr}"), &TestClock::new(t0()))
        .with_options(ImdsOptions::default());
    let err = tokio::time::timeout(Duration::from_secs(10), imds.provide_credentials())
        .await
        .expect("must not hang")
        .unwrap_err();
    assert!(err.to_string().contains("could not connect"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_endpoint_is_bounded_by_the_default_one_second_timeout() {
    // A listener that never accepts or answers: a local black hole.
    let (_listener, addr) = silent_listener();
    let imds = imds_for(&format!("http://{addr}"), &TestClock::new(t0()))
        .with_options(ImdsOptions::default());
    let err = tokio::time::timeout(Duration::from_secs(10), imds.provide_credentials())
        .await
        .expect("must not hang")
        .unwrap_err();
    match &err {
        CredentialsError::Timeout { after, .. } => assert_eq!(*after, Duration::from_secs(1)),
        other => panic!("expected a 1 s timeout, got {other}"),
    }
    assert!(err.to_string().contains("IMDSv2 session token"), "{err}");
}

async fn fault(creds: Action) -> CredentialsError {
    let server = imds_server(move || creds.clone());
    let imds = imds_for(&server.base(), &TestClock::new(t0()));
    let err = tokio::time::timeout(Duration::from_secs(20), imds.provide_credentials())
        .await
        .expect("must not hang")
        .expect_err("a faulty IMDS must not yield credentials");
    eprintln!("fault error: {err}");
    assert_no_secret(&err);
    assert!(!err.to_string().contains("TOKEN-1"), "{err}");
    assert!(!err.is_not_configured(), "{err}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_the_credentials_request() {
    let err = fault(Action::Hang).await;
    assert!(matches!(err, CredentialsError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("web-role"), "{err}");

    let err = fault(response(500, None, "oops")).await;
    assert!(err.to_string().contains("HTTP 500"), "{err}");

    let err = fault(response(200, Some("application/json"), "}{ garbage")).await;
    assert!(
        matches!(err, CredentialsError::InvalidResponse { .. }),
        "{err}"
    );

    let full = credentials_json("AKIDT", "2030-03-17T18:00:00Z");
    let err = fault(json(&full[..full.len() - 30])).await;
    assert!(err.to_string().contains("truncated"), "{err}");

    let err = fault(response(200, Some("text/html"), "<html>hi</html>")).await;
    assert!(err.to_string().contains("text/html"), "{err}");

    let err = fault(Action::Close).await;
    assert!(err.to_string().contains("after 3 attempt"), "{err}");

    let raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{full}",
        full.len()
    );
    let err = fault(Action::Drip(raw.into_bytes(), Duration::from_millis(50))).await;
    assert!(matches!(err, CredentialsError::Timeout { .. }), "{err}");

    let err = fault(json(
        r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role","LastUpdated":"2030-01-01T00:00:00Z"}"#,
    ))
    .await;
    assert!(
        err.to_string()
            .contains("AssumeRoleUnauthorizedAccess: EC2 cannot assume the role"),
        "{err}"
    );
}

#[tokio::test]
async fn invalid_role_name_is_rejected() {
    let server = TestServer::start(|req| match req.method.as_str() {
        "PUT" => response(200, None, "TOKEN-1"),
        _ => response(200, None, "../../etc/passwd"),
    });
    let err = imds_for(&server.base(), &TestClock::new(t0()))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidResponse { .. }),
        "{err}"
    );
    assert_eq!(server.seen().len(), 2);
}

/// 0: healthy, 1: 500s, 2: connection closed.
fn switchable_server(mode: Arc<AtomicU8>, key: &'static str) -> TestServer {
    TestServer::start(move |req| match mode.load(Ordering::SeqCst) {
        1 => response(500, None, ""),
        2 => Action::Close,
        _ => match req.method.as_str() {
            "PUT" => response(200, None, "TOKEN-1"),
            _ if req.path == ROLE_PATH => response(200, None, "role"),
            _ => json(&credentials_json(key, "2031-01-01T00:00:00Z")),
        },
    })
}

#[tokio::test]
async fn static_stability_serves_last_credentials_with_a_short_extension() {
    let rec = Recorder::default();
    let _guard = tracing::subscriber::set_default(rec.clone());
    let mode = Arc::new(AtomicU8::new(0));
    let server = switchable_server(mode.clone(), "AKIDSTABLE");
    let clock = TestClock::new(t0());
    let imds = imds_for(&server.base(), &clock);

    // Without previous credentials, a failure is an error.
    mode.store(1, Ordering::SeqCst);
    assert!(imds.provide_credentials().await.is_err());

    mode.store(0, Ordering::SeqCst);
    let first = imds.provide_credentials().await.unwrap();

    for failing in [1u8, 2] {
        mode.store(failing, Ordering::SeqCst);
        clock.advance(Duration::from_secs(3600));
        let now = clock.get();
        let kept = imds.provide_credentials().await.unwrap();
        assert_eq!(kept.access_key_id(), first.access_key_id());
        assert_eq!(kept.secret_access_key(), SECRET);
        let ext = kept.expiry().unwrap().duration_since(now).unwrap();
        assert!(
            ext >= Duration::from_secs(300) && ext < Duration::from_secs(600),
            "extension {ext:?} must be 5-10 minutes"
        );
    }

    let warnings: Vec<String> = rec
        .events()
        .into_iter()
        .filter(|e| e.starts_with("WARN") && e.contains("static stability"))
        .collect();
    assert_eq!(warnings.len(), 2, "one warning per extension: {warnings:?}");
    for w in &warnings {
        assert!(!w.contains(SECRET) && !w.contains(SESSION_TOKEN), "{w}");
    }

    // When the service is back, fresh credentials are used again.
    mode.store(0, Ordering::SeqCst);
    let back = imds.provide_credentials().await.unwrap();
    assert_eq!(
        back.expiry(),
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_924_992_000))
    );
}

#[tokio::test]
async fn expired_credentials_from_imds_are_extended() {
    let server = imds_server(|| json(&credentials_json("AKIDOLD", "2020-01-01T00:00:00Z")));
    let clock = TestClock::new(t0());
    let c = imds_for(&server.base(), &clock)
        .provide_credentials()
        .await
        .unwrap();
    let ext = c.expiry().unwrap().duration_since(t0()).unwrap();
    assert!(ext >= Duration::from_secs(300) && ext < Duration::from_secs(600));
}
