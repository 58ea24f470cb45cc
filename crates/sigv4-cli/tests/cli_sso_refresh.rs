//! Issue #15 "done when": `sigv4 credentials --profile P` works for an SSO
//! profile whose access token expired yesterday but whose refresh token is
//! valid. The built binary runs with a fresh HOME; SSO-OIDC and the portal
//! are one local server on 127.0.0.1 selected with AWS_ENDPOINT_URL_SSO_OIDC
//! and AWS_ENDPOINT_URL_SSO; instance metadata is disabled.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sigv4::AmzDate;

const OLD_REFRESH: &str = "old-refresh-token-cli";
const NEW_ACCESS: &str = "new-access-token-cli";
/// `printf %s my-sso | sha1sum`
const CACHE_NAME: &str = "0ad374308c5a4e22f723adf10145eafad7c4031c.json";

fn rfc3339(t: SystemTime) -> String {
    AmzDate::from_system_time(t).unwrap().to_rfc3339()
}

struct Server {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    refreshes: Arc<AtomicUsize>,
    role_calls: Arc<AtomicUsize>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_request(stream: &mut TcpStream) -> Option<(String, String, Vec<u8>)> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let first = head.lines().next().unwrap_or("").to_string();
    Some((first, head, buf[head_end..].to_vec()))
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// SSO-OIDC (`POST /token`) and the portal (`GET /federation/credentials`).
fn start_server() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let refreshes = Arc::new(AtomicUsize::new(0));
    let role_calls = Arc::new(AtomicUsize::new(0));
    let (s, r, c) = (stop.clone(), refreshes.clone(), role_calls.clone());
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
            let mut stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
            };
            let _ = stream.set_nonblocking(false);
            let Some((first, head, body)) = read_request(&mut stream) else {
                continue;
            };
            if first.starts_with("POST /token ") {
                r.fetch_add(1, Ordering::SeqCst);
                let body = String::from_utf8_lossy(&body);
                if body.contains(OLD_REFRESH) && body.contains("\"refresh_token\"") {
                    respond(
                        &mut stream,
                        200,
                        &format!(
                            r#"{{"accessToken":"{NEW_ACCESS}","tokenType":"Bearer","expiresIn":28800,"refreshToken":"new-refresh"}}"#
                        ),
                    );
                } else {
                    respond(&mut stream, 400, r#"{"error":"invalid_grant"}"#);
                }
            } else if first
                .starts_with("GET /federation/credentials?account_id=111122223333&role_name=Dev ")
            {
                c.fetch_add(1, Ordering::SeqCst);
                let authorized = head.lines().any(|l| {
                    l.split_once(':').is_some_and(|(k, v)| {
                        k.trim().eq_ignore_ascii_case("x-amz-sso_bearer_token")
                            && v.trim() == NEW_ACCESS
                    })
                });
                if authorized {
                    let exp = SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .unwrap()
                        .as_millis()
                        + 3_600_000;
                    respond(
                        &mut stream,
                        200,
                        &format!(
                            r#"{{"roleCredentials":{{"accessKeyId":"ASIASSOCLI","secretAccessKey":"sso-secret","sessionToken":"sso-session","expiration":{exp}}}}}"#
                        ),
                    );
                } else {
                    respond(
                        &mut stream,
                        401,
                        r#"{"message":"Session token not found or invalid"}"#,
                    );
                }
            } else {
                respond(&mut stream, 404, "{}");
            }
        }
    });
    Server {
        addr,
        stop,
        refreshes,
        role_calls,
    }
}

#[test]
fn credentials_for_an_sso_profile_whose_token_expired_yesterday() {
    let home = std::env::temp_dir().join(format!("sigv4-cli-sso-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let cache_dir: PathBuf = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache_dir).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        "[profile sso-dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Dev\nregion = eu-west-1\n\n\
         [sso-session my-sso]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    let now = SystemTime::now();
    let token = format!(
        r#"{{"startUrl":"https://d-123.awsapps.com/start","region":"us-east-1","accessToken":"expired-access-token","expiresAt":"{}","clientId":"cid","clientSecret":"csecret","registrationExpiresAt":"{}","refreshToken":"{OLD_REFRESH}"}}"#,
        rfc3339(now - Duration::from_secs(86_400)),
        rfc3339(now + Duration::from_secs(30 * 86_400)),
    );
    std::fs::write(cache_dir.join(CACHE_NAME), token).unwrap();

    let server = start_server();
    let out = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(["credentials", "--profile", "sso-dev"])
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "AWS_ENDPOINT_URL_SSO_OIDC",
            format!("http://{}", server.addr),
        )
        .env("AWS_ENDPOINT_URL_SSO", format!("http://{}", server.addr))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("ASIASSOCLI"), "{stdout}");
    assert!(
        stdout.contains("111122223333"),
        "the account id is shown: {stdout}"
    );
    assert!(
        !stdout.contains("sso-secret") && !stdout.contains(NEW_ACCESS),
        "{stdout}"
    );
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(server.role_calls.load(Ordering::SeqCst), 1);
    // The refreshed token was written back for the next run.
    let saved = std::fs::read_to_string(cache_dir.join(CACHE_NAME)).unwrap();
    assert!(
        saved.contains(NEW_ACCESS) && saved.contains("new-refresh"),
        "{saved}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&home);
}
