//! Replays aws-config/login-provider-test-cases.json (console login
//! credentials, `login_session`) through the default credential chain, with
//! the same recorded-HTTP context as the other conformance replays: the
//! case's config and login cache in a temporary home directory, its mocked
//! `CreateOAuth2Token` calls served in order by a real HTTP server on
//! 127.0.0.1 (every request is redirected there), the clock at the time the
//! expected expiries imply. Every outcome is checked: credentials, errors,
//! and the cache contents after a refresh. The refresh request must carry
//! the recorded body and a DPoP proof that verifies with the cached key. The
//! skip list is empty and asserted so.
#![cfg(feature = "hyper-client")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::Value;
use sigv4::AmzDate;
use sigv4_credentials::{
    BoxFuture, DefaultChain, Env, FixedClock, HttpClient, HttpError, HttpRequestOptions,
    ProvideCredentials, ProviderContext, RootedFs,
};
use support::{testdata_dir, Exchange, RedirectClient, ReplayServer};

/// Cases not supported, with the reason. Must stay empty.
const SKIP: &[(&str, &str)] = &[];

/// The signin endpoint for the default region (the cases set none).
const TOKEN_URL: &str = "https://us-east-1.signin.aws.amazon.com/v1/token";

/// Records the DPoP header of each request, then redirects it to the
/// replay server.
#[derive(Debug, Clone)]
struct DpopRecorder {
    inner: RedirectClient,
    dpop: Arc<Mutex<Vec<Option<String>>>>,
}

impl HttpClient for DpopRecorder {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: HttpRequestOptions,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
        self.dpop.lock().unwrap().push(
            request
                .headers()
                .get("dpop")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        );
        self.inner.send(request, options)
    }
}

/// Checks a DPoP proof: an ES256 JWT for `POST url`, signed by the public key
/// it carries, which must be the cached key's.
fn check_dpop(proof: &str, url: &str, cached_pem: &str) -> Result<(), String> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = proof.split('.').collect();
    if parts.len() != 3 {
        return Err(format!("DPoP proof has {} parts", parts.len()));
    }
    let decode = |s: &str| -> Result<Value, String> {
        serde_json::from_slice(&b64.decode(s).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    let header = decode(parts[0])?;
    let claims = decode(parts[1])?;
    if header["typ"] != "dpop+jwt" || header["alg"] != "ES256" {
        return Err(format!("DPoP header {header}"));
    }
    if claims["htm"] != "POST" || claims["htu"] != url || !claims["jti"].is_string() {
        return Err(format!("DPoP claims {claims}"));
    }
    let mut sec1 = vec![4u8];
    for c in ["x", "y"] {
        sec1.extend(
            b64.decode(header["jwk"][c].as_str().unwrap_or(""))
                .map_err(|e| e.to_string())?,
        );
    }
    let vk = VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| e.to_string())?;
    let sig = Signature::from_slice(&b64.decode(parts[2]).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    vk.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .map_err(|_| "the DPoP signature does not verify".to_string())?;
    // The cached key's public half is in the PEM (RFC 5915 publicKey [1]):
    // the 65-byte uncompressed point is its last 65 bytes.
    let body: String = cached_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| e.to_string())?;
    if der.len() < 65 || der[der.len() - 65..] != sec1[..] {
        return Err("the DPoP key is not the cached key".into());
    }
    Ok(())
}

async fn run_case(case: &Value) -> Result<(), String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let aws = root.path().join("home/.aws");
    std::fs::create_dir_all(aws.join("login/cache")).unwrap();
    std::fs::write(
        aws.join("config"),
        case["configContents"].as_str().ok_or("no configContents")?,
    )
    .unwrap();
    let cache = case["cacheContents"]
        .as_object()
        .ok_or("no cacheContents")?;
    for (name, contents) in cache {
        std::fs::write(aws.join("login/cache").join(name), contents.to_string()).unwrap();
    }
    let calls = case["mockApiCalls"].as_array().cloned().unwrap_or_default();
    let exchanges: Vec<Exchange> = calls
        .iter()
        .map(|c| Exchange {
            method: "POST".into(),
            uri: TOKEN_URL.into(),
            request_body: c["request"]["tokenInput"].to_string(),
            status: c["responseCode"].as_u64().unwrap_or(200) as u16,
            response_headers: vec![("content-type".into(), "application/json".into())],
            response_body: c["response"]["tokenOutput"].to_string().into_bytes(),
        })
        .collect();
    let server = ReplayServer::start(exchanges.clone()).await;
    let client = DpopRecorder {
        inner: RedirectClient::new(server.addr),
        dpop: Arc::default(),
    };
    // The expected expiry after a refresh is now + expiresIn (900 s):
    // 2025-11-19T00:15:00Z, so the clock stands at 2025-11-19T00:00:00Z.
    let now = UNIX_EPOCH + Duration::from_secs(1_763_510_400);
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs([
            ("HOME", "/home"),
            ("AWS_PROFILE", "signin"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]))
        .with_fs(RootedFs::new(root.path()))
        .with_http_client(client.clone())
        .with_time_source(FixedClock(now));
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        DefaultChain::new(ctx).provide_credentials(),
    )
    .await
    .map_err(|_| "timed out".to_string())?;

    for outcome in case["outcomes"].as_array().ok_or("no outcomes")? {
        match outcome["result"].as_str() {
            Some("credentials") => {
                let c = result
                    .as_ref()
                    .map_err(|e| format!("expected credentials, got error: {e}"))?;
                let want_expiry = outcome["expiresAt"]
                    .as_str()
                    .and_then(AmzDate::parse_rfc3339)
                    .map(|d| d.to_system_time());
                let same = outcome["accessKeyId"] == c.access_key_id()
                    && outcome["secretAccessKey"] == c.secret_access_key()
                    && outcome["sessionToken"].as_str() == c.session_token()
                    && outcome["accountId"].as_str() == c.account_id()
                    && want_expiry == c.expiry();
                if !same {
                    return Err(format!(
                        "credentials differ: got {} account {:?} expiry {:?}",
                        c.access_key_id(),
                        c.account_id(),
                        c.expiry()
                    ));
                }
            }
            Some("error") => match &result {
                Ok(c) => return Err(format!("expected an error, got {c:?}")),
                Err(e) if e.is_not_configured() => {
                    return Err(format!("expected a login error, got 'not configured': {e}"))
                }
                Err(e) if e.provider() != "Login" && !e.to_string().contains("login") => {
                    return Err(format!(
                        "the error does not come from the login provider: {e}"
                    ))
                }
                Err(_) => {}
            },
            Some("cacheContents") => {
                for (name, want) in outcome.as_object().unwrap() {
                    if name == "result" {
                        continue;
                    }
                    let path = aws.join("login/cache").join(name);
                    let got: Value = serde_json::from_slice(
                        &std::fs::read(&path).map_err(|e| format!("{name}: {e}"))?,
                    )
                    .map_err(|e| format!("{name}: {e}"))?;
                    if &got != want {
                        return Err(format!("cache {name} differs from the expected contents"));
                    }
                }
            }
            other => return Err(format!("unknown outcome {other:?}")),
        }
    }

    // Every mocked call made, in order, with the recorded body and a valid
    // DPoP proof; nothing else sent.
    if server.served() != exchanges.len() || client.inner.requests().len() != exchanges.len() {
        return Err(format!(
            "{} of {} mocked calls made; requests: {:?}",
            server.served(),
            exchanges.len(),
            client.inner.requests()
        ));
    }
    let received = server.received();
    let dpop = client.dpop.lock().unwrap().clone();
    for (i, ex) in exchanges.iter().enumerate() {
        let (method, url) = &client.inner.requests()[i];
        if method != "POST" || url != TOKEN_URL {
            return Err(format!("request {i}: {method} {url}"));
        }
        let body: Value = serde_json::from_str(&received[i].body).map_err(|e| e.to_string())?;
        let want: Value = serde_json::from_str(&ex.request_body).unwrap();
        if body != want {
            return Err(format!(
                "request {i}: body differs from the recorded tokenInput"
            ));
        }
        let key = cache
            .values()
            .next()
            .and_then(|c| c["dpopKey"].as_str())
            .unwrap_or("");
        check_dpop(dpop[i].as_deref().ok_or("no DPoP header")?, TOKEN_URL, key)?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_provider_conformance() {
    assert!(SKIP.is_empty(), "the skip list must stay empty");
    let path = testdata_dir().join("aws-config/login-provider-test-cases.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(cases.len(), 8, "the file has 8 cases");
    let mut failing = Vec::new();
    for case in &cases {
        let name = case["documentation"].as_str().unwrap_or("?");
        if let Err(e) = run_case(case).await {
            failing.push(format!("{name}: {e}"));
        }
    }
    println!(
        "login conformance: {} cases, {} pass, 0 skipped",
        cases.len(),
        cases.len() - failing.len()
    );
    assert!(failing.is_empty(), "failing cases:\n{}", failing.join("\n"));
}
