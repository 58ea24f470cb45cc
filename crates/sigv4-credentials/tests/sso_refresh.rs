//! SSO with refresh tokens (issue #15.1), end to end against a local SSO-OIDC
//! server (`CreateToken`) and a local portal (`GetRoleCredentials`) on
//! 127.0.0.1, both selected through the standard endpoint settings: an
//! expired token is refreshed and written back, a valid one is used as is,
//! a refused refresh says how to log in again, 50 concurrent callers cause
//! one refresh, and faults (hang, 5xx, garbage) end in clear errors that
//! never show the refresh token, the client secret or an access token.
#![cfg(feature = "hyper-client")]

#[path = "container_support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sigv4::AmzDate;
use sigv4_credentials::{
    CredentialsError, Env, FixedClock, HttpRequestOptions, ProfileProvider, ProvideCredentials,
    ProvideToken, ProviderContext, RootedFs, SsoTokenProvider,
};
use support::{json, response, Action, Recorder, Seen, TestServer};

/// 2026-01-15T12:00:00Z
const NOW: u64 = 1_768_478_400;
const OLD_ACCESS: &str = "old-access-token-DO-NOT-LEAK";
const OLD_REFRESH: &str = "old-refresh-token-DO-NOT-LEAK";
const CLIENT_SECRET: &str = "client-secret-DO-NOT-LEAK";
const NEW_ACCESS: &str = "new-access-token-DO-NOT-LEAK";
const NEW_REFRESH: &str = "new-refresh-token-DO-NOT-LEAK";
const ROLE_SECRET: &str = "role-secret-key-DO-NOT-LEAK";
/// sha1("my-sso")
const CACHE_FILE: &str = "home/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn rfc3339(t: SystemTime) -> String {
    AmzDate::from_system_time(t).unwrap().to_rfc3339()
}

/// A home directory with an SSO profile `dev` and a token cache whose access
/// token expires at `expires_at`.
struct Home {
    root: tempfile::TempDir,
    cache_rel: String,
}

impl Home {
    fn new(expires_at: SystemTime, config_extra: &str) -> Home {
        let root = tempfile::tempdir().unwrap();
        let aws = root.path().join("home/.aws");
        std::fs::create_dir_all(aws.join("sso/cache")).unwrap();
        std::fs::write(
            aws.join("config"),
            format!(
                "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Dev\nregion = eu-west-1\n{config_extra}\n\
                 [sso-session my-sso]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
            ),
        )
        .unwrap();
        let token = serde_json::json!({
            "startUrl": "https://d-123.awsapps.com/start",
            "region": "us-east-1",
            "accessToken": OLD_ACCESS,
            "expiresAt": rfc3339(expires_at),
            "clientId": "client-id-123",
            "clientSecret": CLIENT_SECRET,
            "registrationExpiresAt": rfc3339(now() + Duration::from_secs(90 * 86400)),
            "refreshToken": OLD_REFRESH,
        });
        // The file name is the SHA-1 of the session name; ask the provider
        // rather than trusting a constant computed by hand.
        let home = Home {
            root,
            cache_rel: String::new(),
        };
        let path = SsoTokenProvider::new(
            home.ctx(&[]),
            "my-sso",
            "https://d-123.awsapps.com/start",
            "us-east-1",
        )
        .cache_path()
        .unwrap();
        let rel = path.trim_start_matches('/').to_string();
        std::fs::write(
            home.root.path().join(&rel),
            serde_json::to_vec_pretty(&token).unwrap(),
        )
        .unwrap();
        Home {
            cache_rel: rel,
            ..home
        }
    }

    fn ctx(&self, env: &[(&str, String)]) -> ProviderContext {
        let mut pairs = vec![("HOME".to_string(), "/home".to_string())];
        pairs.extend(env.iter().map(|(k, v)| (k.to_string(), v.clone())));
        ProviderContext::default()
            .with_env(Env::from_pairs(pairs))
            .with_fs(RootedFs::new(self.root.path()))
            .with_time_source(FixedClock(now()))
            .with_profile_name("dev")
            .with_http_options(
                HttpRequestOptions::default()
                    .with_connect_timeout(Duration::from_secs(2))
                    .with_timeout(Duration::from_secs(2)),
            )
    }

    fn cache_path(&self) -> PathBuf {
        self.root.path().join(&self.cache_rel)
    }

    fn cache(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.cache_path()).unwrap()).unwrap()
    }

    fn cache_bytes(&self) -> Vec<u8> {
        std::fs::read(self.cache_path()).unwrap()
    }
}

/// The SSO-OIDC server: checks the refresh request, answers with `answer`.
fn oidc(answer: Action) -> (TestServer, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = TestServer::start(move |seen: &Seen| {
        c.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
        let good = seen.method == "POST"
            && seen.path == "/token"
            && body["grantType"] == "refresh_token"
            && body["refreshToken"] == OLD_REFRESH
            && body["clientId"] == "client-id-123"
            && body["clientSecret"] == CLIENT_SECRET;
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
        r#"{{"accessToken":"{NEW_ACCESS}","tokenType":"Bearer","expiresIn":28800,"refreshToken":"{NEW_REFRESH}"}}"#
    ))
}

/// The portal: role credentials for whoever presents `expected_token`.
fn portal(expected_token: &'static str) -> TestServer {
    TestServer::start(move |seen: &Seen| {
        let ok = seen.method == "GET"
            && seen.path == "/federation/credentials?account_id=111122223333&role_name=Dev"
            && seen.header("x-amz-sso_bearer_token") == Some(expected_token);
        if !ok {
            return response(
                401,
                Some("application/json"),
                r#"{"message":"Session token not found or invalid"}"#,
            );
        }
        json(&format!(
            r#"{{"roleCredentials":{{"accessKeyId":"ASIASSO","secretAccessKey":"{ROLE_SECRET}","sessionToken":"role-session","expiration":{}}}}}"#,
            (NOW + 3600) * 1000
        ))
    })
}

fn endpoints(oidc: &TestServer, portal: &TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_SSO_OIDC", oidc.base()),
        ("AWS_ENDPOINT_URL_SSO", portal.base()),
    ]
}

fn assert_no_secret(text: &str) {
    for s in [
        OLD_ACCESS,
        OLD_REFRESH,
        CLIENT_SECRET,
        NEW_ACCESS,
        NEW_REFRESH,
        ROLE_SECRET,
    ] {
        assert!(!text.contains(s), "{s} leaked in: {text}");
    }
}

fn full_error(e: &CredentialsError) -> String {
    let mut text = format!("{e} / {e:?}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    text
}

#[test]
fn cache_file_is_named_by_the_sha1_of_the_session_name() {
    let home = Home::new(now() + Duration::from_secs(3600), "");
    // `printf %s my-sso | sha1sum`
    assert_eq!(home.cache_rel, CACHE_FILE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_is_refreshed_written_back_and_used() {
    let home = Home::new(now() - Duration::from_secs(86400), "");
    let (oidc, calls) = oidc(refreshed());
    let portal = portal(NEW_ACCESS);
    let ctx = home.ctx(&endpoints(&oidc, &portal));
    let rec = Recorder::default();
    let creds = {
        let _guard = tracing::subscriber::set_default(rec.clone());
        ProfileProvider::new(ctx.clone())
            .provide_credentials()
            .await
            .unwrap()
    };
    assert_eq!(creds.access_key_id(), "ASIASSO");
    // The refresh is logged, without any token or secret.
    let events = rec.events().join("\n");
    assert!(events.contains("SSO access token refreshed"), "{events}");
    assert_no_secret(&events);
    assert_no_secret(&format!("{creds:?}"));
    assert_eq!(creds.account_id(), Some("111122223333"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let seen = oidc.seen();
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/json"),
        "{seen:?}"
    );

    // Written back: new token, expiry and refresh token; the rest kept.
    let cache = home.cache();
    assert_eq!(cache["accessToken"], NEW_ACCESS);
    assert_eq!(cache["refreshToken"], NEW_REFRESH);
    assert_eq!(
        cache["expiresAt"],
        rfc3339(now() + Duration::from_secs(28800))
    );
    assert_eq!(cache["clientId"], "client-id-123");
    assert_eq!(cache["clientSecret"], CLIENT_SECRET);
    assert_eq!(cache["startUrl"], "https://d-123.awsapps.com/start");
    assert_eq!(cache["region"], "us-east-1");
    assert!(cache["registrationExpiresAt"].is_string());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.cache_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // No temporary file left next to it.
    let files: Vec<_> = std::fs::read_dir(home.cache_path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");

    // The next call uses the saved token: no second refresh.
    let again = ProfileProvider::new(ctx)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(again.access_key_id(), "ASIASSO");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_token_is_used_as_is() {
    let home = Home::new(now() + Duration::from_secs(3600), "");
    let before = home.cache_bytes();
    let (oidc, calls) = oidc(refreshed());
    let portal = portal(OLD_ACCESS);
    let creds = ProfileProvider::new(home.ctx(&endpoints(&oidc, &portal)))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIASSO");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(home.cache_bytes(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_starts_five_minutes_before_expiry() {
    // 6 minutes left: used as is.
    let home = Home::new(now() + Duration::from_secs(6 * 60), "");
    let (oidc_server, calls) = oidc(refreshed());
    let p = SsoTokenProvider::new(
        home.ctx(&[("AWS_ENDPOINT_URL_SSO_OIDC", oidc_server.base())]),
        "my-sso",
        "https://d-123.awsapps.com/start",
        "us-east-1",
    );
    assert_eq!(p.provide_token().await.unwrap().token(), OLD_ACCESS);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // 4 minutes left: refreshed.
    let home = Home::new(now() + Duration::from_secs(4 * 60), "");
    let p = SsoTokenProvider::new(
        home.ctx(&[("AWS_ENDPOINT_URL_SSO_OIDC", oidc_server.base())]),
        "my-sso",
        "https://d-123.awsapps.com/start",
        "us-east-1",
    );
    let t = p.provide_token().await.unwrap();
    assert_eq!(t.token(), NEW_ACCESS);
    assert_eq!(t.expiry(), Some(now() + Duration::from_secs(28800)));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_refresh_gives_the_login_hint_and_leaks_nothing() {
    let home = Home::new(now() - Duration::from_secs(86400), "");
    let before = home.cache_bytes();
    let refusal = response(
        400,
        Some("application/json"),
        &format!(
            r#"{{"error":"invalid_grant","error_description":"refresh token {OLD_REFRESH} is expired"}}"#
        ),
    );
    let (oidc, calls) = oidc(refusal);
    let portal = portal(NEW_ACCESS);
    let rec = Recorder::default();
    let err = {
        let _guard = tracing::subscriber::set_default(rec.clone());
        ProfileProvider::new(home.ctx(&endpoints(&oidc, &portal)))
            .provide_credentials()
            .await
            .unwrap_err()
    };
    let text = full_error(&err);
    assert!(
        text.contains("aws sso login --sso-session my-sso"),
        "{text}"
    );
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(!err.is_not_configured());
    assert_no_secret(&text);
    assert_no_secret(&rec.events().join("\n"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(portal.seen().is_empty());
    assert_eq!(
        home.cache_bytes(),
        before,
        "a failed refresh must not write"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_refresh_of_a_still_valid_token_uses_the_token() {
    let home = Home::new(now() + Duration::from_secs(120), "");
    let (oidc, calls) = oidc(response(
        400,
        Some("application/json"),
        r#"{"error":"invalid_grant"}"#,
    ));
    let portal = portal(OLD_ACCESS);
    let creds = ProfileProvider::new(home.ctx(&endpoints(&oidc, &portal)))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIASSO");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_callers_cause_one_refresh() {
    let home = Home::new(now() - Duration::from_secs(86400), "");
    let (oidc, calls) = oidc(refreshed());
    let portal = portal(NEW_ACCESS);
    let provider = ProfileProvider::new(home.ctx(&endpoints(&oidc, &portal)));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move { p.provide_credentials().await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().access_key_id(), "ASIASSO");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one refresh for 50 callers"
    );
    assert_eq!(portal.seen().len(), 50);
    assert_eq!(home.cache()["accessToken"], NEW_ACCESS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_section_selects_the_oidc_endpoint() {
    let (oidc, calls) = oidc(refreshed());
    let portal = portal(NEW_ACCESS);
    let home = Home::new(
        now() - Duration::from_secs(86400),
        &format!(
            "services = local\n[services local]\nsso_oidc =\n  endpoint_url = {}\nsso =\n  endpoint_url = {}\n",
            oidc.base(),
            portal.base()
        ),
    );
    let creds = ProfileProvider::new(home.ctx(&[]))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIASSO");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_registration_or_missing_refresh_token_means_log_in_again() {
    let home = Home::new(now() - Duration::from_secs(60), "");
    let mut doc = home.cache();
    doc["registrationExpiresAt"] = Value::String(rfc3339(now() - Duration::from_secs(1)));
    std::fs::write(home.cache_path(), doc.to_string()).unwrap();
    let (oidc, calls) = oidc(refreshed());
    let portal = portal(NEW_ACCESS);
    let err = ProfileProvider::new(home.ctx(&endpoints(&oidc, &portal)))
        .provide_credentials()
        .await
        .unwrap_err();
    let text = full_error(&err);
    assert!(
        text.contains("aws sso login --sso-session my-sso"),
        "{text}"
    );
    assert!(text.contains("expired"), "{text}");
    assert_no_secret(&text);

    doc["registrationExpiresAt"] = Value::String(rfc3339(now() + Duration::from_secs(3600)));
    doc.as_object_mut().unwrap().remove("refreshToken");
    std::fs::write(home.cache_path(), doc.to_string()).unwrap();
    let err = ProfileProvider::new(home.ctx(&endpoints(&oidc, &portal)))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(full_error(&err).contains("aws sso login --sso-session my-sso"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// Hang, 5xx and garbage from SSO-OIDC: each a bounded, clear error with
/// the login hint and no secret; the cache is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_faults_end_in_clear_errors() {
    let cases: Vec<(&str, Action)> = vec![
        ("hang", Action::Hang),
        (
            "503",
            response(503, Some("application/json"), r#"{"message":"busy"}"#),
        ),
        ("garbage", json("<html>this is not JSON</html>")),
        ("no token", json(r#"{"tokenType":"Bearer"}"#)),
        ("closed", Action::Close),
    ];
    for (what, action) in cases {
        let home = Home::new(now() - Duration::from_secs(86400), "");
        let before = home.cache_bytes();
        let (oidc, calls) = oidc(action);
        let portal = portal(NEW_ACCESS);
        let result = tokio::time::timeout(
            Duration::from_secs(30),
            ProfileProvider::new(home.ctx(&endpoints(&oidc, &portal))).provide_credentials(),
        )
        .await
        .unwrap_or_else(|_| panic!("{what}: not bounded by the HTTP timeouts"));
        let err = result.unwrap_err();
        let text = full_error(&err);
        assert!(
            text.contains("aws sso login --sso-session my-sso"),
            "{what}: {text}"
        );
        assert_no_secret(&text);
        assert!(calls.load(Ordering::SeqCst) >= 1, "{what}");
        assert!(portal.seen().is_empty(), "{what}");
        assert_eq!(home.cache_bytes(), before, "{what}");
        match what {
            "hang" => assert!(matches!(err, CredentialsError::Timeout { .. }), "{text}"),
            "503" => assert_eq!(calls.load(Ordering::SeqCst), 3, "retried"),
            "garbage" | "no token" => {
                assert!(
                    matches!(err, CredentialsError::InvalidResponse { .. }),
                    "{what}: {text}"
                )
            }
            _ => {}
        }
    }
}

#[test]
fn token_debug_is_redacted() {
    let t = sigv4_credentials::Token::new(NEW_ACCESS, Some(now()));
    assert_no_secret(&format!("{t:?}"));
    let home = Home::new(now(), "");
    let p = SsoTokenProvider::new(
        home.ctx(&[]),
        "my-sso",
        "https://d-123.awsapps.com/start",
        "us-east-1",
    );
    assert_no_secret(&format!("{p:?}"));
}

#[tokio::test]
async fn a_fresh_token_is_remembered_by_the_provider_and_its_clones() {
    let home = Home::new(now() + Duration::from_secs(3600), "");
    let p = SsoTokenProvider::new(
        home.ctx(&[]),
        "my-sso",
        "https://d-123.awsapps.com/start",
        "us-east-1",
    );
    assert_eq!(p.provide_token().await.unwrap().token(), OLD_ACCESS);
    std::fs::remove_file(home.cache_path()).unwrap();
    // No file read while the token is fresh...
    assert_eq!(p.clone().provide_token().await.unwrap().token(), OLD_ACCESS);
    // ...while a new provider has to read the (now missing) file.
    let fresh = SsoTokenProvider::new(
        home.ctx(&[]),
        "my-sso",
        "https://d-123.awsapps.com/start",
        "us-east-1",
    );
    let err = fresh.provide_token().await.unwrap_err();
    assert!(full_error(&err).contains("aws sso login --sso-session my-sso"));
}
