//! Console login credentials against a local Sign-In server on 127.0.0.1
//! (selected with AWS_ENDPOINT_URL_SIGNIN): refresh and write-back, one
//! refresh for 50 concurrent callers, faults (hang, 5xx, garbage, refusal)
//! ending in clear errors, and secret hygiene: the refresh token, the DPoP
//! key and the credentials never appear in `Debug`, errors or logs.
#![cfg(feature = "hyper-client")]

#[path = "container_support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sigv4::AmzDate;
use sigv4_credentials::{
    CredentialsError, Env, FixedClock, HttpRequestOptions, LoginProvider, ProfileProvider,
    ProvideCredentials, ProviderContext, RootedFs,
};
use support::{json, response, Action, Recorder, Seen, TestServer};

const SESSION: &str = "arn:aws:sts::012345678910:assumed-role/Admin/admin";
const REFRESH: &str = "refresh-token-DO-NOT-LEAK";
const OLD_SECRET: &str = "old-secret-DO-NOT-LEAK";
const NEW_SECRET: &str = "new-secret-DO-NOT-LEAK";
// The throwaway key of the aws-config login test data.
const KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPt/u8InPLpQeQLJTvVX+sNDzni8vMDMt3Liu+nMBigfoAoGCCqGSM49\nAwEHoUQDQgAEILkGG7rNOnxiIJlMgimY1UPP8eDMFP0DAY6WGjngP4bvTAiUCQ/I\nffut2379uP+OBCm2ovGpBOJRgrl1RspUOQ==\n-----END EC PRIVATE KEY-----\n";
/// A distinctive piece of the private key (its base64 body).
const KEY_PART: &str = "MHcCAQEEIPt/u8InPLpQeQLJTvVX";
/// 2026-01-15T12:00:00Z
const NOW: u64 = 1_768_478_400;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

struct Home {
    root: tempfile::TempDir,
}

impl Home {
    fn new(expires_at: SystemTime) -> Home {
        let root = tempfile::tempdir().unwrap();
        let aws = root.path().join("home/.aws");
        std::fs::create_dir_all(aws.join("login/cache")).unwrap();
        std::fs::write(
            aws.join("config"),
            format!("[profile console]\nlogin_session = {SESSION}\nregion = eu-central-1\n"),
        )
        .unwrap();
        let doc = serde_json::json!({
            "accessToken": {
                "accessKeyId": "ASIAOLD",
                "secretAccessKey": OLD_SECRET,
                "sessionToken": "old-session",
                "accountId": "012345678910",
                "expiresAt": AmzDate::from_system_time(expires_at).unwrap().to_rfc3339(),
            },
            "tokenType": "aws_sigv4",
            "clientId": "arn:aws:signin:::devtools/same-device",
            "refreshToken": REFRESH,
            "idToken": "id-token",
            "dpopKey": KEY,
        });
        let home = Home { root };
        std::fs::write(home.cache_file(), doc.to_string()).unwrap();
        home
    }

    fn cache_file(&self) -> std::path::PathBuf {
        // sha256 of the session ARN (see the conformance data's file name).
        self.root.path().join(
            "home/.aws/login/cache/4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json",
        )
    }

    fn ctx(&self, server: &TestServer) -> ProviderContext {
        ProviderContext::default()
            .with_env(Env::from_pairs([
                ("HOME", "/home".to_string()),
                ("AWS_PROFILE", "console".to_string()),
                ("AWS_ENDPOINT_URL_SIGNIN", server.base()),
            ]))
            .with_fs(RootedFs::new(self.root.path()))
            .with_time_source(FixedClock(now()))
            .with_http_options(
                HttpRequestOptions::default()
                    .with_connect_timeout(Duration::from_secs(2))
                    .with_timeout(Duration::from_secs(2)),
            )
    }
}

fn signin(answer: Action) -> (TestServer, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = TestServer::start(move |seen: &Seen| {
        c.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
        let good = seen.method == "POST"
            && seen.path == "/v1/token"
            && body["grantType"] == "refresh_token"
            && body["refreshToken"] == REFRESH
            && seen
                .header("dpop")
                .is_some_and(|d| d.split('.').count() == 3);
        if !good {
            return response(
                400,
                Some("application/json"),
                r#"{"error":"invalid_request"}"#,
            );
        }
        answer.clone()
    });
    (server, calls)
}

fn refreshed() -> Action {
    json(&format!(
        r#"{{"accessToken":{{"accessKeyId":"ASIANEW","secretAccessKey":"{NEW_SECRET}","sessionToken":"new-session"}},"tokenType":"aws_sigv4","expiresIn":900,"refreshToken":"new-refresh"}}"#
    ))
}

fn assert_no_secret(text: &str) {
    for s in [REFRESH, OLD_SECRET, NEW_SECRET, KEY_PART, "new-refresh"] {
        assert!(!text.contains(s), "{s} leaked in: {text}");
    }
}

fn full(e: &CredentialsError) -> String {
    let mut t = format!("{e} / {e:?}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        t.push_str(&format!(": {s}"));
        src = s.source();
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_credentials_are_used_and_expired_ones_refreshed_once_for_fifty_callers() {
    let home = Home::new(now() + Duration::from_secs(3600));
    let (server, calls) = signin(refreshed());
    let c = ProfileProvider::new(home.ctx(&server))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "ASIAOLD");
    assert_eq!(c.account_id(), Some("012345678910"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let home = Home::new(now() - Duration::from_secs(60));
    let provider = ProfileProvider::new(home.ctx(&server));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move { p.provide_credentials().await })
        })
        .collect();
    for t in tasks {
        let c = t.await.unwrap().unwrap();
        assert_eq!(c.access_key_id(), "ASIANEW");
        assert_eq!(c.account_id(), Some("012345678910"));
        assert_eq!(c.expiry(), Some(now() + Duration::from_secs(900)));
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one refresh for 50 callers"
    );
    let saved: Value = serde_json::from_slice(&std::fs::read(home.cache_file()).unwrap()).unwrap();
    assert_eq!(saved["accessToken"]["accessKeyId"], "ASIANEW");
    assert_eq!(saved["refreshToken"], "new-refresh");
    assert_eq!(saved["dpopKey"], KEY);
    assert_eq!(saved["idToken"], "id-token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.cache_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A refresh is logged, without secrets.
    let home = Home::new(now() - Duration::from_secs(60));
    let provider = ProfileProvider::new(home.ctx(&server));
    let rec = Recorder::default();
    {
        let _guard = tracing::subscriber::set_default(rec.clone());
        let c = provider.provide_credentials().await.unwrap();
        assert_no_secret(&format!("{c:?}"));
    }
    let events = rec.events().join("\n");
    assert!(
        events.contains("console login credentials refreshed"),
        "{events}"
    );
    assert_no_secret(&events);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_refusals_are_clear_errors_without_secrets() {
    let cases: Vec<(&str, Action)> = vec![
        (
            "refused",
            response(
                400,
                Some("application/json"),
                &format!(
                    r#"{{"error":"invalid_grant","message":"refresh token {REFRESH} expired"}}"#
                ),
            ),
        ),
        ("hang", Action::Hang),
        (
            "500",
            response(500, Some("application/json"), r#"{"error":"server"}"#),
        ),
        ("garbage", json("not json at all")),
    ];
    for (what, action) in cases {
        let home = Home::new(now() - Duration::from_secs(60));
        let before = std::fs::read(home.cache_file()).unwrap();
        let (server, calls) = signin(action);
        let rec = Recorder::default();
        let err = {
            let _g = tracing::subscriber::set_default(rec.clone());
            tokio::time::timeout(
                Duration::from_secs(30),
                ProfileProvider::new(home.ctx(&server)).provide_credentials(),
            )
            .await
            .unwrap_or_else(|_| panic!("{what}: unbounded"))
            .unwrap_err()
        };
        let text = full(&err);
        assert!(text.contains("aws login"), "{what}: {text}");
        assert!(!err.is_not_configured(), "{what}");
        assert_no_secret(&text);
        assert_no_secret(&rec.events().join("\n"));
        assert_eq!(std::fs::read(home.cache_file()).unwrap(), before, "{what}");
        match what {
            "refused" => {
                assert!(text.contains("invalid_grant"), "{text}");
                assert_eq!(calls.load(Ordering::SeqCst), 1);
            }
            "hang" => assert!(matches!(err, CredentialsError::Timeout { .. }), "{text}"),
            "500" => assert_eq!(calls.load(Ordering::SeqCst), 3, "retried"),
            "garbage" => assert!(
                matches!(err, CredentialsError::InvalidResponse { .. }),
                "{text}"
            ),
            _ => {}
        }
    }
}

#[tokio::test]
async fn broken_cache_files_are_errors_without_secrets() {
    let home = Home::new(now() - Duration::from_secs(60));
    let (server, calls) = signin(refreshed());
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(home.cache_file()).unwrap()).unwrap();
    doc["dpopKey"] = Value::String(format!("{KEY_PART}-not-a-pem"));
    std::fs::write(home.cache_file(), doc.to_string()).unwrap();
    let err = ProfileProvider::new(home.ctx(&server))
        .provide_credentials()
        .await
        .unwrap_err();
    let text = full(&err);
    assert!(text.contains("dpopKey"), "{text}");
    assert_no_secret(&text);
    std::fs::write(home.cache_file(), b"{not json").unwrap();
    let err = ProfileProvider::new(home.ctx(&server))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(full(&err).contains("not a JSON object"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn debug_never_shows_secrets() {
    let home = Home::new(now());
    let server = TestServer::always(json("{}"));
    let p = LoginProvider::new(home.ctx(&server), SESSION);
    let shown = format!("{p:?}");
    assert!(shown.contains(SESSION));
    assert_no_secret(&shown);
    let t = sigv4_credentials::Token::new(REFRESH, None);
    assert_no_secret(&format!("{t:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_of_still_valid_credentials_uses_them() {
    let home = Home::new(now() + Duration::from_secs(120));
    let (server, calls) = signin(response(
        400,
        Some("application/json"),
        r#"{"error":"invalid_grant"}"#,
    ));
    let c = ProfileProvider::new(home.ctx(&server))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "ASIAOLD");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
