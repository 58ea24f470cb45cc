//! Profile, STS, SSO and web identity providers against real local HTTP
//! servers on 127.0.0.1: request shape and signing, error surfacing, and
//! faults (hang, 5xx, garbage, truncated, wrong content type, closed
//! connection, slow drip). Every failure must be a clear error without
//! secrets, bounded by the configured timeouts.
#![cfg(feature = "hyper-client")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use sigv4_credentials::{
    CredentialsError, DefaultChain, Env, FixedClock, HttpRequestOptions, MemoryFs, ProfileProvider,
    ProvideCredentials, ProviderContext, RootedFs, SsoConfig, SsoProvider, WebIdentityProvider,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// 2021-08-05T18:58:02Z
const NOW: u64 = 1_628_189_882;
const SOURCE_SECRET: &str = "SOURCESECRETKEYDONOTLEAK";

#[derive(Clone, Debug)]
enum Behaviour {
    Respond {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    Hang,
    Close,
    Truncated(String),
    Drip(String),
}

#[derive(Clone, Debug, Default)]
struct Seen {
    head: String,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
    fn form(&self) -> BTreeMap<String, String> {
        self.body
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// A raw HTTP/1.1 server on 127.0.0.1 that acts out one behaviour per
/// request (the last one repeats).
struct FaultServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut seen = Seen {
        head,
        body: String::new(),
    };
    let len: usize = seen
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    seen.body = String::from_utf8_lossy(&buf[head_end..head_end + len]).into_owned();
    Some(seen)
}

impl FaultServer {
    async fn start(behaviours: Vec<Behaviour>) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let seen2 = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen2.clone();
                let behaviours = behaviours.clone();
                tokio::spawn(async move {
                    while let Some(req) = read_request(&mut stream).await {
                        let n = {
                            let mut s = seen.lock().unwrap();
                            s.push(req);
                            s.len() - 1
                        };
                        let b = behaviours[n.min(behaviours.len() - 1)].clone();
                        match b {
                            Behaviour::Respond {
                                status,
                                content_type,
                                body,
                            } => {
                                let resp = format!(
                                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
                                    body.len()
                                );
                                if stream.write_all(resp.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            Behaviour::Hang => {
                                tokio::time::sleep(Duration::from_secs(60)).await;
                                return;
                            }
                            Behaviour::Close => return,
                            Behaviour::Truncated(body) => {
                                let resp = format!(
                                    "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n{}",
                                    body.len() + 100,
                                    body
                                );
                                let _ = stream.write_all(resp.as_bytes()).await;
                                return;
                            }
                            Behaviour::Drip(body) => {
                                let head = format!(
                                    "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n",
                                    body.len()
                                );
                                if stream.write_all(head.as_bytes()).await.is_err() {
                                    return;
                                }
                                for b in body.bytes() {
                                    tokio::time::sleep(Duration::from_millis(100)).await;
                                    if stream.write_all(&[b]).await.is_err() {
                                        return;
                                    }
                                }
                            }
                        }
                    }
                });
            }
        });
        FaultServer { url, seen, task }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn assume_role_xml(akid: &str) -> String {
    format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
         <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/r/s</Arn></AssumedRoleUser>\
         <Credentials><AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>ROLESECRET</SecretAccessKey>\
         <SessionToken>ROLETOKEN</SessionToken><Expiration>2021-08-05T19:58:02Z</Expiration></Credentials>\
         </AssumeRoleResult></AssumeRoleResponse>"
    )
}

fn ok_xml(body: String) -> Behaviour {
    Behaviour::Respond {
        status: 200,
        content_type: "text/xml",
        body,
    }
}

const ROLE_CONFIG: &str = "[default]\nregion = us-west-2\nrole_arn = arn:aws:iam::111122223333:role/r\nsource_profile = src\nexternal_id = ext-1\nduration_seconds = 900\n";

fn ctx_with(files: Vec<(&str, String)>, env: Vec<(&str, String)>) -> ProviderContext {
    let mut env = env;
    env.push(("HOME", "/home".into()));
    ProviderContext::default()
        .with_env(Env::from_pairs(env))
        .with_fs(MemoryFs::from_files(files))
        .with_time_source(FixedClock(UNIX_EPOCH + Duration::from_secs(NOW)))
        .with_http_options(
            HttpRequestOptions::default()
                .with_timeout(Duration::from_millis(500))
                .with_connect_timeout(Duration::from_millis(500)),
        )
}

fn role_ctx(server: &FaultServer, config: &str) -> ProviderContext {
    ctx_with(
        vec![
            ("/home/.aws/config", config.to_string()),
            (
                "/home/.aws/credentials",
                format!("[src]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = {SOURCE_SECRET}\n"),
            ),
        ],
        vec![("AWS_ENDPOINT_URL_STS", server.url.clone())],
    )
}

fn full_text(e: &CredentialsError) -> String {
    let mut text = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    text
}

#[tokio::test]
async fn assume_role_request_is_signed_by_the_core_signer() {
    let server = FaultServer::start(vec![ok_xml(assume_role_xml("ASIAROLE"))]).await;
    let creds = ProfileProvider::new(role_ctx(&server, ROLE_CONFIG))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIAROLE");
    assert_eq!(creds.secret_access_key(), "ROLESECRET");
    assert_eq!(creds.session_token(), Some("ROLETOKEN"));
    assert_eq!(creds.account_id(), Some("111122223333"));
    assert_eq!(creds.provider_name(), "Profile");

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    let form = req.form();
    assert_eq!(form["Action"], "AssumeRole");
    assert_eq!(form["Version"], "2011-06-15");
    assert_eq!(
        form["RoleArn"],
        "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr"
    );
    assert_eq!(form["ExternalId"], "ext-1");
    assert_eq!(form["DurationSeconds"], "900");
    assert!(form["RoleSessionName"].starts_with("sigv4-credentials-"));
    let auth = req.header("authorization").unwrap();
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDSOURCE/20210805/us-west-2/sts/aws4_request"
        ),
        "{auth}"
    );
    assert_eq!(req.header("x-amz-date").unwrap(), "20210805T185802Z");

    // Re-sign the same request with the core signer: identical signature.
    let mut expected = http::Request::post(format!("{}/", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(req.body.as_bytes().to_vec())
        .unwrap();
    sigv4::Signer::new("us-west-2", "sts")
        .unwrap()
        .sign_http_request(
            &mut expected,
            &sigv4::Credentials::new("AKIDSOURCE", SOURCE_SECRET, None, None),
            UNIX_EPOCH + Duration::from_secs(NOW),
        )
        .unwrap();
    assert_eq!(expected.headers()["authorization"].to_str().unwrap(), auth);
}

#[tokio::test]
async fn chained_roles_use_each_previous_credentials() {
    let server = FaultServer::start(vec![
        ok_xml(assume_role_xml("ASIAFIRST")),
        ok_xml(assume_role_xml("ASIASECOND")),
    ])
    .await;
    let config = "[default]\nrole_arn = arn:aws:iam::1:role/outer\nsource_profile = mid\n\
                  [profile mid]\nrole_arn = arn:aws:iam::1:role/inner\nsource_profile = src\n";
    let creds = ProfileProvider::new(role_ctx(&server, config))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIASECOND");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].form()["RoleArn"].ends_with("inner"));
    assert!(seen[0]
        .header("authorization")
        .unwrap()
        .contains("Credential=AKIDSOURCE/"));
    assert!(seen[1].form()["RoleArn"].ends_with("outer"));
    assert!(seen[1]
        .header("authorization")
        .unwrap()
        .contains("Credential=ASIAFIRST/"));
    assert_eq!(
        seen[1].header("x-amz-security-token").as_deref(),
        Some("ROLETOKEN")
    );
}

#[tokio::test]
async fn cycle_error_names_the_cycle() {
    let server = FaultServer::start(vec![Behaviour::Close]).await;
    let config = "[default]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n\
                  [profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n\
                  [profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = default\n";
    let e = ProfileProvider::new(role_ctx(&server, config))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(e, CredentialsError::InvalidConfiguration { .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("default -> b -> c -> default"),
        "{e}"
    );
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn mfa_serial_needs_a_callback() {
    let server = FaultServer::start(vec![ok_xml(assume_role_xml("ASIAMFA"))]).await;
    let config = format!("{ROLE_CONFIG}mfa_serial = arn:aws:iam::111122223333:mfa/me\n");
    let e = ProfileProvider::new(role_ctx(&server, &config))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("mfa_serial"), "{e}");
    assert!(server.seen().is_empty());

    let creds = ProfileProvider::new(role_ctx(&server, &config))
        .with_mfa_token_callback(Arc::new(|serial: &str| {
            assert!(serial.ends_with("mfa/me"));
            Ok("123456".to_string())
        }))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIAMFA");
    let form = server.seen()[0].form();
    assert_eq!(form["TokenCode"], "123456");
    assert_eq!(
        form["SerialNumber"],
        "arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Fme"
    );
}

#[tokio::test]
async fn sts_error_code_and_message_are_surfaced() {
    let server = FaultServer::start(vec![Behaviour::Respond {
        status: 403,
        content_type: "text/xml",
        body: "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
               <Message>User is not authorized to perform: sts:AssumeRole</Message></Error>\
               <RequestId>req-123</RequestId></ErrorResponse>"
            .into(),
    }])
    .await;
    let e = ProfileProvider::new(role_ctx(&server, ROLE_CONFIG))
        .provide_credentials()
        .await
        .unwrap_err();
    let text = full_text(&e);
    assert!(
        text.contains("AccessDenied: User is not authorized to perform: sts:AssumeRole"),
        "{text}"
    );
    assert!(
        text.contains("HTTP 403") && text.contains("req-123"),
        "{text}"
    );
    assert!(!text.contains(SOURCE_SECRET));
    assert_eq!(server.seen().len(), 1, "4xx errors are not retried");
}

#[tokio::test]
async fn sts_faults_give_clear_bounded_errors() {
    let valid = assume_role_xml("ASIAOK");
    type Case = (&'static str, Vec<Behaviour>, fn(&CredentialsError) -> bool);
    let cases: Vec<Case> = vec![
        (
            "500 every time",
            vec![Behaviour::Respond {
                status: 500,
                content_type: "text/xml",
                body: String::new(),
            }],
            |e| e.to_string().contains("HTTP 500"),
        ),
        ("garbage", vec![ok_xml("this is <<< not xml".into())], |e| {
            matches!(e, CredentialsError::InvalidResponse { .. })
        }),
        (
            "wrong content type",
            vec![Behaviour::Respond {
                status: 200,
                content_type: "text/html",
                body: "<html><body>Welcome to the captive portal</body></html>".into(),
            }],
            |e| matches!(e, CredentialsError::InvalidResponse { .. }),
        ),
        (
            "truncated body",
            vec![Behaviour::Truncated(valid[..valid.len() / 2].to_string())],
            |e| matches!(e, CredentialsError::ProviderError { .. }),
        ),
        ("connection closed", vec![Behaviour::Close], |e| {
            matches!(e, CredentialsError::ProviderError { .. })
        }),
        ("hang", vec![Behaviour::Hang], |e| {
            matches!(e, CredentialsError::Timeout { .. })
        }),
        ("slow drip", vec![Behaviour::Drip(valid.clone())], |e| {
            matches!(e, CredentialsError::Timeout { .. })
        }),
    ];
    for (name, behaviours, check) in cases {
        let server = FaultServer::start(behaviours).await;
        let result = tokio::time::timeout(
            Duration::from_secs(15),
            ProfileProvider::new(role_ctx(&server, ROLE_CONFIG)).provide_credentials(),
        )
        .await
        .unwrap_or_else(|_| panic!("{name}: not bounded by the timeouts"));
        let e = result.expect_err(name);
        let text = full_text(&e);
        assert!(check(&e), "{name}: unexpected error kind: {e:?}");
        assert!(
            !text.contains(SOURCE_SECRET),
            "{name}: leaks the secret: {text}"
        );
        assert!(!e.is_not_configured(), "{name}");
        let attempts = server.seen().len();
        assert!((1..=3).contains(&attempts), "{name}: {attempts} attempts");
    }
}

#[tokio::test]
async fn sts_retries_a_transient_failure() {
    let server = FaultServer::start(vec![
        Behaviour::Respond {
            status: 503,
            content_type: "text/xml",
            body: String::new(),
        },
        ok_xml(assume_role_xml("ASIARETRY")),
    ])
    .await;
    let creds = ProfileProvider::new(role_ctx(&server, ROLE_CONFIG))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIARETRY");
    assert_eq!(server.seen().len(), 2);
}

fn web_identity_xml() -> String {
    "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>\
     <AssumedRoleUser><Arn>arn:aws:sts::444455556666:assumed-role/r/s</Arn></AssumedRoleUser>\
     <Credentials><AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>S</SecretAccessKey>\
     <SessionToken>T</SessionToken><Expiration>2021-08-05T19:58:02Z</Expiration></Credentials>\
     </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
        .into()
}

#[tokio::test]
async fn web_identity_rereads_the_token_file_each_time() {
    let server = FaultServer::start(vec![ok_xml(web_identity_xml())]).await;
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("token"), "first-token\n").unwrap();
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs([
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token".to_string()),
            (
                "AWS_ROLE_ARN",
                "arn:aws:iam::444455556666:role/r".to_string(),
            ),
            ("AWS_REGION", "eu-central-1".to_string()),
            ("AWS_ENDPOINT_URL_STS", server.url.clone()),
        ]))
        .with_fs(RootedFs::new(root.path()));
    let p = WebIdentityProvider::from_env(ctx);
    let c = p.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "ASIAWEB");
    assert_eq!(c.account_id(), Some("444455556666"));
    std::fs::write(root.path().join("token"), "second-token").unwrap();
    p.provide_credentials().await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].form()["WebIdentityToken"], "first-token");
    assert_eq!(seen[1].form()["WebIdentityToken"], "second-token");
    assert!(seen[0].form()["RoleSessionName"].starts_with("web-identity-token-"));
    assert!(
        seen[0].header("authorization").is_none(),
        "AssumeRoleWithWebIdentity is unsigned"
    );

    // Not configured without the variables.
    let e = WebIdentityProvider::from_env(
        ProviderContext::default()
            .with_env(Env::from_pairs([("AWS_ROLE_ARN", "arn:aws:iam::1:role/r")])),
    )
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(e.is_not_configured());
}

fn sso_ctx(server: &FaultServer, expires_at: &str) -> ProviderContext {
    ctx_with(
        vec![(
            // sha1("dev")
            "/home/.aws/sso/cache/34c6fceca75e456f25e7e99531e2425c6c1de443.json",
            format!(r#"{{"accessToken": "SSOBEARERSECRET", "expiresAt": "{expires_at}"}}"#),
        )],
        vec![("AWS_ENDPOINT_URL_SSO", server.url.clone())],
    )
}

fn sso_config() -> SsoConfig {
    SsoConfig {
        session_name: Some("dev".into()),
        start_url: "https://d-abc.awsapps.com/start".into(),
        region: "us-east-1".into(),
        account_id: "012345678901".into(),
        role_name: "Admin".into(),
    }
}

#[tokio::test]
async fn sso_get_role_credentials() {
    let server = FaultServer::start(vec![Behaviour::Respond {
        status: 200,
        content_type: "application/json",
        body: r#"{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"S","sessionToken":"T","expiration":1628193482000}}"#.into(),
    }])
    .await;
    let c = SsoProvider::new(sso_ctx(&server, "2099-01-01T00:00:00Z"), sso_config())
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "ASIASSO");
    assert_eq!(c.account_id(), Some("012345678901"));
    assert_eq!(
        c.expiry(),
        Some(UNIX_EPOCH + Duration::from_secs(1_628_193_482))
    );
    let seen = server.seen();
    assert!(seen[0]
        .head
        .starts_with("GET /federation/credentials?account_id=012345678901&role_name=Admin "));
    assert_eq!(
        seen[0].header("x-amz-sso_bearer_token").as_deref(),
        Some("SSOBEARERSECRET")
    );
}

#[tokio::test]
async fn sso_expired_token_says_to_log_in() {
    let server = FaultServer::start(vec![Behaviour::Close]).await;
    let e = SsoProvider::new(sso_ctx(&server, "2021-01-01T00:00:00Z"), sso_config())
        .provide_credentials()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("aws sso login --sso-session dev"), "{text}");
    assert!(!text.contains("SSOBEARERSECRET"));
    assert!(server.seen().is_empty(), "no request with an expired token");
}

#[tokio::test]
async fn sso_unauthorized_is_surfaced_without_the_token() {
    let server = FaultServer::start(vec![Behaviour::Respond {
        status: 401,
        content_type: "application/json",
        body:
            r#"{"message":"Session token not found or invalid","__type":"UnauthorizedException"}"#
                .into(),
    }])
    .await;
    let e = SsoProvider::new(sso_ctx(&server, "2099-01-01T00:00:00Z"), sso_config())
        .provide_credentials()
        .await
        .unwrap_err();
    let text = full_text(&e);
    assert!(
        text.contains("UnauthorizedException: Session token not found or invalid"),
        "{text}"
    );
    assert!(text.contains("aws sso login"), "{text}");
    assert!(!text.contains("SSOBEARERSECRET"));
}

#[tokio::test]
async fn empty_machine_fails_with_one_not_configured_error() {
    // Nothing listens on this port: every metadata call is refused at once.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    #[derive(Debug)]
    struct Refuse(std::net::SocketAddr);
    impl sigv4_credentials::HttpClient for Refuse {
        fn send(
            &self,
            mut request: http::Request<Vec<u8>>,
            options: HttpRequestOptions,
        ) -> sigv4_credentials::BoxFuture<
            '_,
            Result<http::Response<Vec<u8>>, sigv4_credentials::HttpError>,
        > {
            let pq = request
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            *request.uri_mut() = format!("http://{}{pq}", self.0).parse().unwrap();
            let client = sigv4_credentials::http::HyperClient::new();
            Box::pin(async move { client.send(request, options).await })
        }
    }
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs([("HOME", "/home")]))
        .with_fs(MemoryFs::default())
        .with_http_client(Refuse(addr));
    let e = tokio::time::timeout(
        Duration::from_secs(10),
        DefaultChain::new(ctx).provide_credentials(),
    )
    .await
    .expect("bounded")
    .unwrap_err();
    assert!(e.is_not_configured(), "{e}");
    let text = e.to_string();
    for p in ["Environment", "Profile", "WebIdentityToken"] {
        assert!(text.contains(p), "{p} missing from {text}");
    }
    assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
    println!("{text}");
}

#[tokio::test]
async fn standalone_assume_role_provider() {
    let server = FaultServer::start(vec![ok_xml(assume_role_xml("ASIASTANDALONE"))]).await;
    let ctx = ctx_with(vec![], vec![("AWS_ENDPOINT_URL_STS", server.url.clone())]);
    let source = sigv4_credentials::StaticProvider::new(sigv4::Credentials::new(
        "AKIDSTATIC",
        SOURCE_SECRET,
        None,
        None,
    ));
    let p =
        sigv4_credentials::AssumeRoleProvider::new(ctx, Arc::new(source), "arn:aws:iam::1:role/x")
            .with_session_name("sess")
            .with_external_id("ext")
            .with_region("ap-southeast-2");
    let c = p.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "ASIASTANDALONE");
    assert!(!format!("{p:?}").contains(SOURCE_SECRET));
    let req = &server.seen()[0];
    assert_eq!(req.form()["RoleSessionName"], "sess");
    assert_eq!(req.form()["ExternalId"], "ext");
    assert!(req
        .header("authorization")
        .unwrap()
        .contains("Credential=AKIDSTATIC/20210805/ap-southeast-2/sts/aws4_request"));
}
