//! Secret hygiene of the providers: every provider is run (against an in-memory file
//! system and an in-memory HTTP client, never a network) to success and to failure while a
//! tracing subscriber records every event and span; then the providers, their results, the
//! cache and every error are formatted with `{:?}` and `{}`. No secret key, session token,
//! metadata token, SSO access token, web identity token or container authorization token
//! may appear anywhere in that text.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4_credentials::profile::resolve_chain;
use sigv4_credentials::profile_file::ProfileSet;
use sigv4_credentials::{
    AsyncSleep, BoxFuture, CachedProvider, ChainProvider, ContainerOptions, ContainerProvider,
    CredentialProcessProvider, CredentialsResult, DefaultChain, Env, EnvironmentProvider,
    FixedClock, HttpClient, HttpError, HttpRequestOptions, ImdsOptions, ImdsProvider, MemoryFs,
    ProfileProvider, ProvideCredentials, ProviderContext, SsoConfig, SsoProvider, StaticProvider,
    WebIdentityProvider,
};

// Every secret in these tests, all distinct and long enough not to occur by chance.
const BASE_SECRET: &str = "BaseSecretKey/Hygiene+0000000000000000001";
const BASE_TOKEN: &str = "BaseSessionToken//Hygiene==0000000000002";
const STS_SECRET: &str = "StsSecretKey/Hygiene+000000000000000000003";
const STS_TOKEN: &str = "StsSessionToken//Hygiene==000000000000004";
const CONTAINER_AUTH: &str = "ContainerAuthToken-Hygiene-0000000000005";
const CONTAINER_SECRET: &str = "ContainerSecret/Hygiene+0000000000000006";
const CONTAINER_TOKEN: &str = "ContainerToken//Hygiene==00000000000007";
const IMDS_TOKEN: &str = "ImdsSessionToken-Hygiene-00000000000008==";
const IMDS_SECRET: &str = "ImdsSecret/Hygiene+00000000000000000009";
const IMDS_CRED_TOKEN: &str = "ImdsCredToken//Hygiene==0000000000000010";
const SSO_ACCESS: &str = "SsoAccessToken-Hygiene-000000000000000011";
const SSO_SECRET: &str = "SsoSecret/Hygiene+000000000000000000012";
const SSO_TOKEN: &str = "SsoSessionToken//Hygiene==00000000000013";
const WEB_ID: &str = "WebIdentityJwt.Hygiene.0000000000000000014";
const PROCESS_SECRET: &str = "ProcessSecret/Hygiene+00000000000000015";
const PROCESS_TOKEN: &str = "ProcessToken//Hygiene==000000000000016";

const ALL: &[&str] = &[
    BASE_SECRET,
    BASE_TOKEN,
    STS_SECRET,
    STS_TOKEN,
    CONTAINER_AUTH,
    CONTAINER_SECRET,
    CONTAINER_TOKEN,
    IMDS_TOKEN,
    IMDS_SECRET,
    IMDS_CRED_TOKEN,
    SSO_ACCESS,
    SSO_SECRET,
    SSO_TOKEN,
    WEB_ID,
    PROCESS_SECRET,
    PROCESS_TOKEN,
];

fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    for s in ALL {
        for form in [s.to_string(), pct(s)] {
            assert!(
                !text.contains(&form),
                "{what} leaks a secret ({form:?}):\n{text}"
            );
        }
        // Also a distinctive middle part, in case a secret is cut or partly escaped.
        let mid = &s[4..s.len() - 4];
        assert!(
            !text.contains(mid),
            "{what} leaks part of a secret ({mid:?}):\n{text}"
        );
    }
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160) // 2015-08-30T12:36:00Z
}

// ---------------------------------------------------------------------------------------
// Tracing capture
// ---------------------------------------------------------------------------------------

/// Records every event and every span's fields, as text.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, "{}={} ", field.name(), value);
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut s = self.0.lock().unwrap();
        let _ = write!(s, "\nSPAN {} ", attrs.metadata().name());
        attrs.record(&mut Fields(&mut s));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut s = self.0.lock().unwrap();
        s.push_str("\nRECORD ");
        values.record(&mut Fields(&mut s));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut s = self.0.lock().unwrap();
        let _ = write!(
            s,
            "\n{} {} ",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Fields(&mut s));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

impl Recorder {
    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

/// Runs `f` on a current-thread runtime with the recorder as the only subscriber.
fn traced<T>(rec: &Recorder, f: impl std::future::Future<Output = T>) -> T {
    let _guard = tracing::subscriber::set_default(rec.clone());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

// ---------------------------------------------------------------------------------------
// In-memory HTTP
// ---------------------------------------------------------------------------------------

/// Answers with canned responses in order and records each request's URI.
#[derive(Debug, Clone, Default)]
struct Canned {
    responses: Arc<Mutex<VecDeque<(u16, String)>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Canned {
    fn new(responses: &[(u16, &str)]) -> Self {
        Canned {
            responses: Arc::new(Mutex::new(
                responses.iter().map(|(s, b)| (*s, b.to_string())).collect(),
            )),
            seen: Arc::default(),
        }
    }
}

impl HttpClient for Canned {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _options: HttpRequestOptions,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
        let uri = request.uri().to_string();
        assert!(
            !uri.contains("169.254."),
            "tried a link-local address: {uri}"
        );
        self.seen.lock().unwrap().push(uri);
        let next = self.responses.lock().unwrap().pop_front();
        Box::pin(async move {
            let (status, body) = next.ok_or_else(|| HttpError::Connect {
                endpoint: "127.0.0.1:1".into(),
                message: "connection refused".into(),
            })?;
            Ok(http::Response::builder()
                .status(status)
                .body(body.into_bytes())
                .unwrap())
        })
    }
}

#[derive(Debug)]
struct NoSleep;

impl AsyncSleep for NoSleep {
    fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

fn ctx(vars: &[(&str, &str)], files: &[(&str, &str)], http: &Canned) -> ProviderContext {
    ProviderContext::default()
        .with_env(Env::from_pairs(vars.iter().copied()))
        .with_fs(MemoryFs::from_files(
            files
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
        ))
        .with_http_client(http.clone())
        .with_time_source(FixedClock(now()))
        .with_sleep(NoSleep)
}

/// Formats a provider and its result (credentials or error) in every way, then checks
/// the text and everything traced.
fn check(what: &str, rec: &Recorder, provider: &dyn std::fmt::Debug, result: &CredentialsResult) {
    let mut text = format!("{provider:?}\n{provider:#?}\n");
    match result {
        Ok(c) => {
            let _ = write!(text, "{c:?}\n{c:#?}\n{:?}", c.credentials());
        }
        Err(e) => {
            let _ = write!(text, "{e}\n{e:?}\n{e:#?}");
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                let _ = write!(text, "\ncaused by: {s} / {s:?}");
                src = s.source();
            }
        }
    }
    assert_clean(what, &text);
    assert_clean(&format!("{what} (tracing)"), &rec.text());
}

fn sts_ok() -> String {
    format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
         <AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>\
         <Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>\
         <Credentials><AccessKeyId>ASIASTSEXAMPLE</AccessKeyId><SecretAccessKey>{STS_SECRET}</SecretAccessKey>\
         <SessionToken>{STS_TOKEN}</SessionToken><Expiration>2015-08-30T13:36:00Z</Expiration></Credentials>\
         </AssumeRoleResult></AssumeRoleResponse>"
    )
}

fn web_identity_ok() -> String {
    sts_ok()
        .replace("AssumeRoleResponse", "AssumeRoleWithWebIdentityResponse")
        .replace("AssumeRoleResult", "AssumeRoleWithWebIdentityResult")
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn environment_provider_and_context() {
    let http = Canned::new(&[]);
    let vars = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", BASE_SECRET),
        ("AWS_SESSION_TOKEN", BASE_TOKEN),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_AUTH),
    ];
    let c = ctx(&vars, &[], &http);
    assert_clean("ProviderContext", &format!("{c:?} {c:#?}"));
    assert_clean("Env", &format!("{:?}", c.env()));
    let p = EnvironmentProvider::new(c.clone());
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert_eq!(
        r.as_ref().unwrap().credentials().secret_access_key(),
        BASE_SECRET
    );
    check("EnvironmentProvider", &rec, &p, &r);

    // The default chain holding it.
    let chain = DefaultChain::new(c.clone());
    let rec = Recorder::default();
    let r = traced(&rec, chain.provide_credentials());
    assert!(r.is_ok());
    check("DefaultChain", &rec, &chain, &r);

    // A key id without its secret: the error names the variable, not the token.
    let vars = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SESSION_TOKEN", BASE_TOKEN),
    ];
    let p = EnvironmentProvider::new(ctx(&vars, &[], &http));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert!(r.is_err());
    check("EnvironmentProvider (error)", &rec, &p, &r);
}

#[test]
fn static_chain_and_cache() {
    let creds = sigv4::Credentials::new("AKIDSTATIC", BASE_SECRET, Some(BASE_TOKEN.into()), None);
    let p = StaticProvider::new(creds.clone());
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    check("StaticProvider", &rec, &p, &r);

    let chain = ChainProvider::new().or_else(StaticProvider::new(creds.clone()));
    let rec = Recorder::default();
    let r = traced(&rec, chain.provide_credentials());
    check("ChainProvider", &rec, &chain, &r);

    let cache = CachedProvider::new(StaticProvider::new(
        creds.with_expiry(Some(SystemTime::now() + Duration::from_secs(3600))),
    ));
    let rec = Recorder::default();
    let r = traced(&rec, cache.provide_credentials());
    assert!(cache.cached().is_some());
    check("CachedProvider", &rec, &cache, &r);
    assert_clean("CachedProvider::cached", &format!("{:?}", cache.cached()));
    let builder = CachedProvider::builder(StaticProvider::new(sigv4::Credentials::new(
        "AKIDSTATIC",
        BASE_SECRET,
        None,
        None,
    )));
    assert_clean("CachedProviderBuilder", &format!("{builder:?}"));
}

#[test]
fn profile_files_static_keys_and_assume_role() {
    let config = "[default]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\n[profile base]\nregion = us-east-1\n";
    let credentials = format!(
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {BASE_SECRET}\naws_session_token = {BASE_TOKEN}\n"
    );
    let set = ProfileSet::parse(Some(config), Some(&credentials)).unwrap();
    assert_clean("ProfileSet", &format!("{set:?} {set:#?}"));
    assert_clean("Section", &format!("{:?}", set.profile("base").unwrap()));
    let chain = resolve_chain(&set).unwrap();
    assert_clean("ProfileChain", &format!("{chain:?} {chain:#?}"));
    let base_only = resolve_chain(&set.clone().with_selected("base")).unwrap();
    assert_clean("ProfileChain (static keys)", &format!("{base_only:?}"));

    let files = [
        ("/home/h/.aws/config", config),
        ("/home/h/.aws/credentials", credentials.as_str()),
    ];
    let vars = [("HOME", "/home/h")];

    // Success: the STS call is signed with the base keys and returns new ones.
    let sts_body = sts_ok();
    let http = Canned::new(&[(200, sts_body.as_str())]);
    let p = ProfileProvider::new(ctx(&vars, &files, &http));
    let plan = p.plan().unwrap();
    assert_clean("ProfileProvider::plan", &format!("{plan:?}"));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert_eq!(
        r.as_ref().unwrap().credentials().secret_access_key(),
        STS_SECRET
    );
    check("ProfileProvider (assume role)", &rec, &p, &r);

    // STS refuses, with an error document that (wrongly) echoes the credentials.
    let echo = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error>\
         <Debug>{BASE_SECRET} {BASE_TOKEN}</Debug></ErrorResponse>"
    );
    let http = Canned::new(&[(403, echo.as_str())]);
    let p = ProfileProvider::new(ctx(&vars, &files, &http));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert!(r.is_err());
    check("ProfileProvider (STS 403)", &rec, &p, &r);

    // STS answers 200 with a document that does not parse but holds secrets.
    let broken = format!("<AssumeRoleResponse><Credentials><SecretAccessKey>{STS_SECRET}</SecretAccessKey><SessionToken>{STS_TOKEN}");
    let http = Canned::new(&[(200, broken.as_str())]);
    let p = ProfileProvider::new(ctx(&vars, &files, &http));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert!(r.is_err());
    check("ProfileProvider (broken STS body)", &rec, &p, &r);

    // A profile file that does not parse, on a line holding a secret.
    let bad = format!("[default]\naws_secret_access_key {BASE_SECRET}\n");
    let err = ProfileSet::parse(None, Some(&bad)).unwrap_err();
    assert_clean("ProfileParseError", &format!("{err} {err:?}"));
    let bad_files = [("/home/h/.aws/credentials", bad.as_str())];
    let p = ProfileProvider::new(ctx(&vars, &bad_files, &http));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert!(r.is_err());
    check("ProfileProvider (parse error)", &rec, &p, &r);

    // A continuation line that cannot be attached, holding a secret.
    let bad = format!("  {BASE_SECRET}\n[default]\n");
    if let Err(err) = ProfileSet::parse(Some(&bad), None) {
        assert_clean(
            "ProfileParseError (continuation)",
            &format!("{err} {err:?}"),
        );
    }
}

#[test]
fn container_provider() {
    let vars = [
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:1/creds",
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_AUTH),
    ];
    let ok = format!(
        "{{\"AccessKeyId\":\"ASIACONTAINER\",\"SecretAccessKey\":\"{CONTAINER_SECRET}\",\"Token\":\"{CONTAINER_TOKEN}\",\"Expiration\":\"2015-08-30T18:36:00Z\"}}"
    );
    let http = Canned::new(&[(200, ok.as_str())]);
    let p = ContainerProvider::new(ctx(&vars, &[], &http));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert_eq!(
        r.as_ref().unwrap().credentials().secret_access_key(),
        CONTAINER_SECRET
    );
    check("ContainerProvider", &rec, &p, &r);

    let options = ContainerOptions {
        max_attempts: 2,
        ..ContainerOptions::default()
    };
    // A server error whose body echoes the authorization token and a secret.
    let echo = format!(
        "{{\"code\":\"Fail\",\"message\":\"bad token {CONTAINER_AUTH} {CONTAINER_SECRET}\"}}"
    );
    let not_json =
        format!("AccessKeyId ASIA SecretAccessKey {CONTAINER_SECRET} Token {CONTAINER_TOKEN}");
    let truncated = format!("{{\"AccessKeyId\":\"ASIA\",\"SecretAccessKey\":\"{CONTAINER_SECRET}\",\"Token\":\"{CONTAINER_TOKEN}\"");
    let no_key = format!("{{\"SecretAccessKey\":\"{CONTAINER_SECRET}\",\"Token\":\"{CONTAINER_TOKEN}\",\"Expiration\":\"{CONTAINER_TOKEN}\"}}");
    for (status, body) in [
        (500, echo.as_str()),
        (400, echo.as_str()),
        (200, not_json.as_str()),
        (200, truncated.as_str()),
        (200, no_key.as_str()),
    ] {
        let http = Canned::new(&[(status, body), (status, body)]);
        let p = ContainerProvider::new(ctx(&vars, &[], &http)).with_options(options);
        let rec = Recorder::default();
        let r = traced(&rec, p.provide_credentials());
        assert!(r.is_err(), "{status} {body}");
        check(&format!("ContainerProvider ({status})"), &rec, &p, &r);
    }
    // The token file form.
    let vars = [
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:1/creds",
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/token"),
    ];
    let bad_token = format!("{CONTAINER_AUTH}\r\nX-Injected: 1");
    let http = Canned::new(&[]);
    let p = ContainerProvider::new(ctx(&vars, &[("/token", bad_token.as_str())], &http));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert!(r.is_err());
    check("ContainerProvider (bad token file)", &rec, &p, &r);
}

#[test]
fn imds_provider() {
    let role = "hygiene-role";
    let creds = format!(
        "{{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"{IMDS_SECRET}\",\"Token\":\"{IMDS_CRED_TOKEN}\",\"Expiration\":\"2015-08-30T18:36:00Z\"}}"
    );
    let http = Canned::new(&[(200, IMDS_TOKEN), (200, role), (200, creds.as_str())]);
    let p = ImdsProvider::new(ctx(&[], &[], &http)).with_endpoint("http://127.0.0.1:1");
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert_eq!(
        r.as_ref().unwrap().credentials().secret_access_key(),
        IMDS_SECRET
    );
    check("ImdsProvider", &rec, &p, &r);
    // A second call reuses the token and (on failure) the last credentials.
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    check("ImdsProvider (second call)", &rec, &p, &r);

    let options = ImdsOptions {
        max_attempts: 1,
        ..ImdsOptions::default()
    };
    let bad_json = format!("{{\"Code\":\"Failure\",\"Message\":\"{IMDS_SECRET}\",\"SecretAccessKey\":\"{IMDS_SECRET}\"");
    let failed = format!("{{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"denied\",\"Token\":\"{IMDS_CRED_TOKEN}\"}}");
    for body in [bad_json.as_str(), failed.as_str()] {
        let http = Canned::new(&[(200, IMDS_TOKEN), (200, role), (200, body)]);
        let p = ImdsProvider::new(ctx(&[], &[], &http))
            .with_endpoint("http://127.0.0.1:1")
            .with_options(options);
        let rec = Recorder::default();
        let r = traced(&rec, p.provide_credentials());
        assert!(r.is_err(), "{body}");
        check("ImdsProvider (bad document)", &rec, &p, &r);
    }
    // The metadata service answers 401 on the credentials request (token rejected).
    let http = Canned::new(&[(200, IMDS_TOKEN), (401, IMDS_TOKEN)]);
    let p = ImdsProvider::new(ctx(&[], &[], &http))
        .with_endpoint("http://127.0.0.1:1")
        .with_options(options);
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert!(r.is_err());
    check("ImdsProvider (401)", &rec, &p, &r);
}

#[test]
fn sso_provider() {
    let config = SsoConfig {
        session_name: Some("hygiene".into()),
        start_url: "https://hygiene.awsapps.com/start".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        role_name: "Role".into(),
    };
    let vars = [("HOME", "/home/h")];
    let probe = SsoProvider::new(ctx(&vars, &[], &Canned::new(&[])), config.clone());
    let path = probe.token_cache_path().unwrap();
    let token =
        format!("{{\"accessToken\":\"{SSO_ACCESS}\",\"expiresAt\":\"2015-08-30T18:36:00Z\"}}");
    let ok = format!(
        "{{\"roleCredentials\":{{\"accessKeyId\":\"ASIASSO\",\"secretAccessKey\":\"{SSO_SECRET}\",\"sessionToken\":\"{SSO_TOKEN}\",\"expiration\":1440956160000}}}}"
    );
    let http = Canned::new(&[(200, ok.as_str())]);
    let p = SsoProvider::new(
        ctx(&vars, &[(path.as_str(), token.as_str())], &http),
        config.clone(),
    );
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert_eq!(
        r.as_ref().unwrap().credentials().secret_access_key(),
        SSO_SECRET
    );
    check("SsoProvider", &rec, &p, &r);

    let echo =
        format!("{{\"message\":\"bad token {SSO_ACCESS}\",\"__type\":\"UnauthorizedException\"}}");
    let broken = format!("{{\"roleCredentials\":{{\"secretAccessKey\":\"{SSO_SECRET}\",\"sessionToken\":\"{SSO_TOKEN}\"");
    let expired =
        format!("{{\"accessToken\":\"{SSO_ACCESS}\",\"expiresAt\":\"2015-08-30T10:00:00Z\"}}");
    let bad_cache = format!("{{\"accessToken\":\"{SSO_ACCESS}\",\"expiresAt\":");
    for (cache, status, body) in [
        (token.as_str(), 401, echo.as_str()),
        (token.as_str(), 200, broken.as_str()),
        (expired.as_str(), 200, ok.as_str()),
        (bad_cache.as_str(), 200, ok.as_str()),
    ] {
        let http = Canned::new(&[(status, body), (status, body), (status, body)]);
        let p = SsoProvider::new(ctx(&vars, &[(path.as_str(), cache)], &http), config.clone());
        let rec = Recorder::default();
        let r = traced(&rec, p.provide_credentials());
        assert!(r.is_err(), "{cache} {status} {body}");
        check("SsoProvider (error)", &rec, &p, &r);
    }
}

#[test]
fn web_identity_provider() {
    let vars = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"),
        ("AWS_REGION", "us-east-1"),
    ];
    let files = [("/token", WEB_ID)];
    let ok = web_identity_ok();
    let http = Canned::new(&[(200, ok.as_str())]);
    let p = WebIdentityProvider::from_env(ctx(&vars, &files, &http));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert_eq!(
        r.as_ref().unwrap().credentials().secret_access_key(),
        STS_SECRET
    );
    check("WebIdentityProvider", &rec, &p, &r);

    let echo = format!(
        "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>token {WEB_ID} rejected</Message></Error></ErrorResponse>"
    );
    let http = Canned::new(&[(400, echo.as_str())]);
    let p = WebIdentityProvider::from_env(ctx(&vars, &files, &http));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert!(r.is_err());
    check("WebIdentityProvider (error)", &rec, &p, &r);
}

#[cfg(unix)]
#[test]
fn credential_process_provider() {
    let dir = tempfile::tempdir().unwrap();
    let ok_path = dir.path().join("ok.json");
    std::fs::write(
        &ok_path,
        format!("{{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"{PROCESS_SECRET}\",\"SessionToken\":\"{PROCESS_TOKEN}\"}}"),
    )
    .unwrap();
    let p = CredentialProcessProvider::new(format!("cat '{}'", ok_path.display()));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert_eq!(
        r.as_ref().unwrap().credentials().secret_access_key(),
        PROCESS_SECRET
    );
    check("CredentialProcessProvider", &rec, &p, &r);

    let outputs = [
        format!("{{\"Version\":2,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"{PROCESS_SECRET}\"}}"),
        format!("{{\"Version\":1,\"SecretAccessKey\":\"{PROCESS_SECRET}\",\"SessionToken\":\"{PROCESS_TOKEN}\"}}"),
        format!("{{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"{PROCESS_SECRET}\",\"Expiration\":\"{PROCESS_TOKEN}\"}}"),
        format!("SecretAccessKey={PROCESS_SECRET} SessionToken={PROCESS_TOKEN}"),
        format!("{{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"{PROCESS_SECRET}\""),
    ];
    for (i, out) in outputs.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&path, out).unwrap();
        let p = CredentialProcessProvider::new(format!("cat '{}'", path.display()));
        let rec = Recorder::default();
        let r = traced(&rec, p.provide_credentials());
        assert!(r.is_err(), "{out}");
        check(
            &format!("CredentialProcessProvider (bad output {i})"),
            &rec,
            &p,
            &r,
        );
    }
    // A failing command whose stderr holds a secret: stderr is the user's, but our error must not copy it.
    let p = CredentialProcessProvider::new(format!("echo {PROCESS_SECRET} >/dev/null; exit 3"));
    let rec = Recorder::default();
    let r = traced(&rec, p.provide_credentials());
    assert!(r.is_err());
    let e = r.as_ref().unwrap_err();
    assert_clean(
        "CredentialProcessProvider (exit 3) error",
        &format!("{e} {e:?}"),
    );
    assert_clean("CredentialProcessProvider (exit 3) tracing", &rec.text());
}
