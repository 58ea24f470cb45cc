//! Replays every case in aws-config/default-token-provider-chain through the
//! default bearer-token chain: `env.json` as the environment, `fs/` copied to
//! a temporary directory that stands for `/`, `http-traffic.json` served by a
//! real HTTP server on 127.0.0.1 (every request is redirected there), and
//! `test-case.json` as the expectation (the token and its expiry, or an
//! error). The skip list is empty and asserted so.
#![cfg(feature = "hyper-client")]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use sigv4::AmzDate;
use sigv4_credentials::{Env, ProvideToken, ProviderContext, RootedFs, TokenChain};
use support::{copy_tree, load_traffic, testdata_dir, RedirectClient, ReplayServer};

/// Cases not supported, with the reason. Must stay empty.
const SKIP: &[(&str, &str)] = &[];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn run_case(dir: &Path) -> Result<(), String> {
    let env: BTreeMap<String, String> =
        serde_json::from_value(read_json(&dir.join("env.json"))).map_err(|e| e.to_string())?;
    let expected = read_json(&dir.join("test-case.json"));
    let traffic = dir.join("http-traffic.json");
    let exchanges = if traffic.exists() {
        load_traffic(&traffic)
    } else {
        Vec::new()
    };
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    if dir.join("fs").is_dir() {
        copy_tree(&dir.join("fs"), root.path());
    }
    let server = ReplayServer::start(exchanges).await;
    let client = RedirectClient::new(server.addr);
    let ctx = ProviderContext::default()
        .with_env(Env::from_pairs(env))
        .with_fs(RootedFs::new(root.path()))
        .with_http_client(client.clone());
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        TokenChain::default_chain(ctx).provide_token(),
    )
    .await
    .map_err(|_| "timed out".to_string())?;
    let want = &expected["result"];
    if let Some(ok) = want.get("Ok") {
        let token = result.map_err(|e| format!("expected a token, got error: {e}"))?;
        let want_token = ok["token"].as_str().ok_or("no expected token")?;
        if token.token() != want_token {
            return Err(format!("token differs (expected {want_token:?})"));
        }
        let want_expiry = ok["expiration"]
            .as_str()
            .and_then(AmzDate::parse_rfc3339)
            .map(|d| d.to_system_time());
        if token.expiry() != want_expiry {
            return Err(format!(
                "expiry {:?}, expected {want_expiry:?}",
                token.expiry()
            ));
        }
    } else if let Some(needle) = want.get("ErrorContains").and_then(Value::as_str) {
        match result {
            Ok(t) => {
                return Err(format!(
                    "expected an error containing {needle:?}, got {t:?}"
                ))
            }
            Err(e) if !e.to_string().contains(needle) => {
                return Err(format!("error {e} does not contain {needle:?}"))
            }
            Err(_) => {}
        }
    } else {
        return Err(format!("unknown expectation {want}"));
    }
    if server.served() != server.recorded() {
        return Err(format!(
            "{} of {} recorded responses used; requests: {:?}",
            server.served(),
            server.recorded(),
            client.requests()
        ));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_token_provider_chain_conformance() {
    assert!(SKIP.is_empty(), "the skip list must stay empty");
    let base = testdata_dir().join("aws-config/default-token-provider-chain");
    let mut dirs: Vec<_> = std::fs::read_dir(&base)
        .unwrap_or_else(|e| panic!("{} is missing: {e}", base.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 3, "only {} cases found", dirs.len());
    let mut failing = Vec::new();
    for dir in &dirs {
        if let Err(e) = run_case(dir).await {
            failing.push(format!(
                "{}: {e}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    println!(
        "token chain conformance: {} cases, {} pass, 0 skipped",
        dirs.len(),
        dirs.len() - failing.len()
    );
    assert!(failing.is_empty(), "failing cases:\n{}", failing.join("\n"));
}
