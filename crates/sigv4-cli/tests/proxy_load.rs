//! A bounded load run through `sigv4 proxy`: 20,000 requests at concurrency 64 from an
//! in-test load generator, every one re-signed by the proxy and verified by the upstream
//! (`sigv4::verify`), with zero failures allowed. All traffic stays on 127.0.0.1.
//!
//! `bench_proxy_vs_direct` (ignored; run it in release mode) measures throughput and
//! latency percentiles through the proxy against signing in the client and going direct:
//!
//! ```text
//! cargo test --release -p sigv4-rs-cli --test proxy_load -- --ignored --nocapture
//! ```

mod support;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::{Credentials, Signer};
use support::*;

const CONCURRENCY: usize = 64;

#[derive(Debug)]
struct Stats {
    ok: u64,
    failed: u64,
    first_failure: Option<String>,
    elapsed: Duration,
    latencies_us: Vec<u64>,
}

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
    fn rps(&self) -> f64 {
        (self.ok + self.failed) as f64 / self.elapsed.as_secs_f64()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Unsigned requests to the proxy, which signs them.
    Proxy,
    /// Requests signed here and sent straight to the upstream.
    Direct,
}

/// Sends `n` requests (alternating GET and a small JSON POST) to `base`, `concurrency` at
/// a time; every response must be 200 with the body echoed.
fn load(base: &str, mode: Mode, n: usize, concurrency: usize, limit: Duration) -> Stats {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let base = base.trim_end_matches('/').to_owned();
    rt.block_on(async move {
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(concurrency)
            .build_http::<Full<Bytes>>();
        let signer = Arc::new(Signer::new(REGION, "es").unwrap());
        let creds = Credentials::new(AK, SK, None, None);
        let next = Arc::new(AtomicUsize::new(0));
        let ok = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let first_failure = Arc::new(std::sync::Mutex::new(None::<String>));
        let start = Instant::now();
        let deadline = start + limit;
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, signer, creds, next, ok, failed, first_failure, base) = (
                client.clone(),
                signer.clone(),
                creds.clone(),
                next.clone(),
                ok.clone(),
                failed.clone(),
                first_failure.clone(),
                base.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || Instant::now() > deadline {
                        break;
                    }
                    let post = i % 2 == 1;
                    let body = if post {
                        format!("{{\"doc\":{i},\"msg\":\"load test body\"}}")
                    } else {
                        String::new()
                    };
                    let mut req = http::Request::builder()
                        .method(if post { "POST" } else { "GET" })
                        .uri(format!("{base}/load/{i}?n={i}"))
                        .header("content-type", "application/json")
                        .body(body.clone().into_bytes())
                        .unwrap();
                    if mode == Mode::Direct {
                        if post {
                            req.headers_mut()
                                .insert("content-length", body.len().into());
                        }
                        signer
                            .sign_http_request(&mut req, &creds, SystemTime::now())
                            .unwrap();
                    }
                    let req = req.map(|b| Full::new(Bytes::from(b)));
                    let t = Instant::now();
                    let result = tokio::time::timeout(Duration::from_secs(30), async {
                        let resp = client.request(req).await.map_err(|e| e.to_string())?;
                        let status = resp.status();
                        let got = resp
                            .into_body()
                            .collect()
                            .await
                            .map_err(|e| e.to_string())?
                            .to_bytes();
                        if status != 200 || got != body.as_bytes() {
                            return Err(format!("status {status}, body {:?}", text(&got)));
                        }
                        Ok(())
                    })
                    .await
                    .unwrap_or_else(|_| Err("timed out".into()));
                    lat.push(t.elapsed().as_micros() as u64);
                    match result {
                        Ok(()) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            first_failure.lock().unwrap().get_or_insert(e);
                        }
                    }
                }
                lat
            }));
        }
        let mut latencies_us = Vec::with_capacity(n);
        for t in tasks {
            latencies_us.extend(t.await.unwrap());
        }
        let elapsed = start.elapsed();
        latencies_us.sort_unstable();
        let first_failure = first_failure.lock().unwrap().take();
        Stats {
            ok: ok.load(Ordering::Relaxed),
            failed: failed.load(Ordering::Relaxed),
            first_failure,
            elapsed,
            latencies_us,
        }
    })
}

fn run_through_proxy(n: usize) {
    let upstream = VerifyingServer::start_with("es", 1);
    let home = TempDir::new("proxy-load");
    let proxy = ProxyProc::start(
        home.path(),
        &[
            "--upstream",
            &upstream.url(""),
            "--service",
            "es",
            "--region",
            REGION,
            "--log-format",
            "json",
        ],
    );
    let stats = load(
        &proxy.url(""),
        Mode::Proxy,
        n,
        CONCURRENCY,
        Duration::from_secs(240),
    );
    eprintln!(
        "{n} requests at concurrency {CONCURRENCY}: {} ok, {} failed in {:.2} s ({:.0} req/s, p50 {:.2} ms, p99 {:.2} ms)",
        stats.ok,
        stats.failed,
        stats.elapsed.as_secs_f64(),
        stats.rps(),
        stats.pct(0.5),
        stats.pct(0.99)
    );
    // Memory stays bounded: the proxy's peak resident set (VmHWM) after the run.
    let peak_kib = peak_rss_kib(proxy.child.id());
    eprintln!(
        "proxy peak RSS (VmHWM) after {n} requests: {:.1} MiB",
        peak_kib as f64 / 1024.0
    );
    if cfg!(target_os = "linux") {
        assert!(peak_kib > 0, "VmHWM of the proxy could not be read");
        assert!(
            peak_kib < 200 * 1024,
            "the proxy's peak RSS is {peak_kib} KiB"
        );
    }
    assert_eq!(stats.failed, 0, "first failure: {:?}", stats.first_failure);
    assert_eq!(
        stats.ok, n as u64,
        "the run did not finish in its time limit"
    );
    assert_eq!(upstream.counts.verified.load(Ordering::Relaxed), n as u64);
    assert_eq!(upstream.counts.rejected.load(Ordering::Relaxed), 0);
    // One JSON access-log line per request.
    let log = proxy.log_text();
    let requests = log
        .lines()
        .filter(|l| l.contains("\"message\":\"request\""))
        .count();
    assert_eq!(requests, n, "access log lines");
}

/// The peak resident set size (VmHWM) of process `pid` in KiB; 0 where /proc is missing.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn load_20000_requests_concurrency_64_zero_failures() {
    run_through_proxy(20_000);
}

#[test]
#[ignore = "benchmark: run in release mode with --ignored --nocapture"]
fn bench_proxy_vs_direct() {
    let n: usize = std::env::var("SIGV4_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let upstream = VerifyingServer::start_with("es", 1);
    let home = TempDir::new("proxy-bench");
    let proxy = ProxyProc::start(
        home.path(),
        &[
            "--upstream",
            &upstream.url(""),
            "--service",
            "es",
            "--region",
            REGION,
        ],
    );
    let limit = Duration::from_secs(300);
    // Warm up both paths (connections, signing-key cache).
    load(&upstream.url(""), Mode::Direct, 2_000, CONCURRENCY, limit);
    load(&proxy.url(""), Mode::Proxy, 2_000, CONCURRENCY, limit);
    // Concurrency 64 (throughput under load) and 1 (the latency one hop adds).
    for (concurrency, count) in [(CONCURRENCY, n), (1, n / 10)] {
        for round in 0..3 {
            for (name, mode, base) in [
                ("direct (client signs)", Mode::Direct, upstream.url("")),
                ("through sigv4 proxy", Mode::Proxy, proxy.url("")),
            ] {
                let s = load(&base, mode, count, concurrency, limit);
                assert_eq!(s.failed, 0, "{name}: {:?}", s.first_failure);
                eprintln!(
                    "c={concurrency:<3} round {round} {name:<24} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
                    s.rps(),
                    s.pct(0.5),
                    s.pct(0.99)
                );
            }
        }
    }
}
