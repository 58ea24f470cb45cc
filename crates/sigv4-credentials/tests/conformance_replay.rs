//! Replays every case in aws-config/default-credential-provider-chain and
//! aws-config/profile-provider: `env.json` as the environment, `fs/` copied
//! to a temporary directory that stands for `/`, `http-traffic.json` served
//! by a real HTTP server on 127.0.0.1 (every request is redirected there, so
//! nothing reaches AWS or a metadata address), and `test-case.json` as the
//! expectation.
//!
//! Cases we do not (yet) support are listed in [`SKIP`] with the reason; the
//! test fails if the set of failing cases differs from that list in any
//! way, so a fixed case must be removed from it and a new failure is loud.
#![cfg(feature = "hyper-client")]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;
use sigv4_credentials::{
    DefaultChain, Env, FixedClock, ProfileProvider, ProvideCredentials, ProviderContext, RootedFs,
};
use support::{
    copy_tree, form_value, load_traffic, recorded_time, testdata_dir, url_parts, RedirectClient,
    ReplayServer,
};

/// Cases not supported, with the reason. Keep short. (Empty: every case passes.)
const SKIP: &[(&str, &str)] = &[];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs one case; `Err` describes how it failed.
async fn run_case(dir: &Path, default_chain: bool) -> Result<(), String> {
    let env: BTreeMap<String, String> =
        serde_json::from_value(read_json(&dir.join("env.json"))).map_err(|e| e.to_string())?;
    let expected = read_json(&dir.join("test-case.json"));
    let traffic_path = dir.join("http-traffic.json");
    let exchanges = if traffic_path.exists() {
        load_traffic(&traffic_path)
    } else {
        Vec::new()
    };

    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    if dir.join("fs").is_dir() {
        copy_tree(&dir.join("fs"), root.path());
    }
    let server = ReplayServer::start(exchanges.clone()).await;
    let client = RedirectClient::new(server.addr);
    let mut ctx = ProviderContext::default()
        .with_env(Env::from_pairs(env))
        .with_fs(RootedFs::new(root.path()))
        .with_http_client(client.clone());
    // Run at the time the traffic was recorded, so credentials that were
    // fresh then are not treated as expired now.
    if let Some(t) = recorded_time(&exchanges) {
        ctx = ctx.with_time_source(FixedClock(t));
    }
    let provider: Box<dyn ProvideCredentials> = if default_chain {
        Box::new(DefaultChain::new(ctx))
    } else {
        Box::new(ProfileProvider::new(ctx))
    };
    let result = tokio::time::timeout(Duration::from_secs(20), provider.provide_credentials())
        .await
        .map_err(|_| "timed out".to_string())?;

    // The result.
    let want = &expected["result"];
    if let Some(ok) = want.get("Ok") {
        let creds = result.map_err(|e| format!("expected credentials, got error: {e}"))?;
        let s = |k: &str| ok.get(k).and_then(Value::as_str);
        let got_expiry = creds
            .expiry()
            .map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
        let checks = [
            (
                "access_key_id",
                s("access_key_id") == Some(creds.access_key_id()),
            ),
            (
                "secret_access_key",
                s("secret_access_key") == Some(creds.secret_access_key()),
            ),
            ("session_token", s("session_token") == creds.session_token()),
            ("account_id", s("account_id") == creds.account_id()),
            (
                "expiry",
                ok.get("expiry").and_then(Value::as_u64) == got_expiry,
            ),
        ];
        let bad: Vec<_> = checks
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(k, _)| *k)
            .collect();
        if !bad.is_empty() {
            return Err(format!(
                "credentials differ in {bad:?}: got akid={} account={:?} expiry={got_expiry:?}",
                creds.access_key_id(),
                creds.account_id()
            ));
        }
    } else if let Some(needle) = want.get("ErrorContains").and_then(Value::as_str) {
        match result {
            Ok(c) => {
                return Err(format!(
                    "expected an error containing {needle:?}, got credentials {c:?}"
                ))
            }
            Err(e) => {
                let mut text = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(s) = src {
                    text.push_str(&format!(": {s}"));
                    src = s.source();
                }
                if !text.contains(needle) {
                    return Err(format!("error {text:?} does not contain {needle:?}"));
                }
            }
        }
    } else {
        return Err(format!("unknown expectation {want}"));
    }

    // The traffic: every recorded exchange used, in order, to the right URL.
    let sent = client.requests();
    if server.served() != server.recorded() {
        return Err(format!(
            "{} of {} recorded responses were used; requests sent: {sent:?}",
            server.served(),
            server.recorded()
        ));
    }
    let received = server.received();
    for (i, (method, url)) in sent.iter().enumerate() {
        // Requests past the recording may only repeat the last one (retries).
        let ex = exchanges
            .get(i)
            .or(exchanges.last())
            .ok_or_else(|| format!("unexpected request {method} {url} (nothing recorded)"))?;
        let (want_base, want_path, want_query) = url_parts(&ex.uri);
        let (got_base, got_path, got_query) = url_parts(url);
        if *method != ex.method
            || got_base != want_base
            || got_path != want_path
            || got_query != want_query
        {
            return Err(format!(
                "request {i}: sent {method} {url}, recorded {} {}",
                ex.method, ex.uri
            ));
        }
        if let Some(action) = form_value(&ex.request_body, "Action") {
            let got = received.get(i).map(|r| form_value(&r.body, "Action"));
            if got != Some(Some(action.clone())) {
                return Err(format!("request {i}: Action {got:?}, recorded {action}"));
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_config_conformance() {
    let base = testdata_dir().join("aws-config");
    let mut failing: BTreeMap<String, String> = BTreeMap::new();
    let mut total = 0;
    for (suite, default_chain) in [
        ("default-credential-provider-chain", true),
        ("profile-provider", false),
    ] {
        let mut dirs: Vec<_> = std::fs::read_dir(base.join(suite))
            .unwrap_or_else(|e| panic!("{suite} is missing: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        assert!(dirs.len() >= 15, "{suite}: only {} cases found", dirs.len());
        for dir in dirs {
            total += 1;
            let name = format!("{suite}/{}", dir.file_name().unwrap().to_string_lossy());
            if let Err(e) = run_case(&dir, default_chain).await {
                failing.insert(name, e);
            }
        }
    }
    let skipped: BTreeSet<String> = SKIP.iter().map(|(n, _)| n.to_string()).collect();
    let failed: BTreeSet<String> = failing.keys().cloned().collect();
    let unexpected: Vec<_> = failing
        .iter()
        .filter(|(n, _)| !skipped.contains(*n))
        .map(|(n, e)| format!("{n}: {e}"))
        .collect();
    let now_passing: Vec<_> = skipped.difference(&failed).collect();
    println!(
        "conformance: {} cases, {} pass, {} in the skip list",
        total,
        total - failed.len(),
        skipped.len()
    );
    assert!(
        unexpected.is_empty() && now_passing.is_empty(),
        "failing cases not in SKIP:\n{}\n\nSKIP entries that now pass (remove them): {:?}",
        unexpected.join("\n"),
        now_passing
    );
}
