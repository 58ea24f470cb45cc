//! Error chains print each cause once (issue #25 item 10): the errors that reach a caller
//! of the reqwest middleware, the tower client and the blocking signer, printed with
//! anyhow's `{:#}` or walked with `source()`, never repeat a cause
//! ("could not load AWS credentials: X: X").

use std::error::Error as StdError;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4_credentials::{ContainerProvider, Env, ProviderContext};
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::reqwest::SigV4Middleware;
use sigv4_http::tower::SignLayer;
use sigv4_http::RequestSigner;
use tower::{Service, ServiceBuilder, ServiceExt};

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out");
}

/// The messages of `e` and of each error down its `source()` chain.
fn chain(e: &(dyn StdError + 'static)) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut next = e.source();
    while let Some(s) = next {
        out.push(s.to_string());
        next = s.source();
    }
    out
}

/// No message in the chain is already part of an earlier one, and anyhow's `{:#}` (the
/// messages joined with ": ") says each once.
fn assert_each_cause_once(e: &(dyn StdError + 'static), alternate: &str) {
    let texts = chain(e);
    for (i, outer) in texts.iter().enumerate() {
        for inner in &texts[i + 1..] {
            assert!(
                !outer.contains(inner.as_str()),
                "the cause {inner:?} is printed twice in the chain {texts:#?}"
            );
        }
    }
    let last = texts.last().unwrap();
    assert_eq!(
        alternate.matches(last.as_str()).count(),
        1,
        "{{:#}} repeats {last:?}: {alternate}"
    );
}

/// A container-credentials provider whose token file does not exist: the provider fails
/// with an I/O cause (a `ProviderError` whose message includes the cause's).
fn failing_signer(dir: &std::path::Path) -> RequestSigner {
    let missing = dir.join("no-such-token-file");
    let env = Env::from_pairs([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:9/creds".to_owned(),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            missing.display().to_string(),
        ),
    ]);
    let ctx = ProviderContext::default().with_env(env);
    RequestSigner::new(ContainerProvider::new(ctx))
        .with_service("execute-api")
        .with_region("eu-west-1")
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sigv4-error-chains-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A port nothing listens on (bound, then closed).
fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

#[test]
fn credential_failures_through_the_middleware_print_each_cause_once() {
    let dir = tempdir("mw");
    let signer = failing_signer(&dir);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(async move {
            let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
                .with(SigV4Middleware::new(signer))
                .build();
            let url = format!("http://{}/items", closed_port());
            let err = client.get(url).send().await.unwrap_err();
            let reqwest_middleware::Error::Middleware(any) = err else {
                panic!("expected a middleware error, got {err:?}")
            };
            let alternate = format!("{any:#}");
            assert!(
                alternate.contains("could not load AWS credentials")
                    && alternate.contains("no-such-token-file"),
                "{alternate}"
            );
            let e: &(dyn StdError + 'static) = any.as_ref();
            assert_each_cause_once(e, &alternate);
        }));
}

#[test]
fn credential_failures_through_the_blocking_signer_print_each_cause_once() {
    let dir = tempdir("blocking");
    let signer = BlockingSigner::new(failing_signer(&dir));
    let mut req = http::Request::get("https://api.example.com/items")
        .body(Vec::new())
        .unwrap();
    let err = signer.sign(&mut req).unwrap_err();
    let any = anyhow::Error::new(err);
    let alternate = format!("{any:#}");
    assert!(
        alternate.contains("could not load AWS credentials"),
        "{alternate}"
    );
    let e: &(dyn StdError + 'static) = any.as_ref();
    assert_each_cause_once(e, &alternate);
}

#[test]
fn send_failures_through_the_tower_client_print_each_cause_once() {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(async {
            let signer =
                RequestSigner::from_static(sigv4::Credentials::new("AKID", "S", None, None))
                    .with_service("execute-api")
                    .with_region("eu-west-1");
            let hyper = Client::builder(TokioExecutor::new()).build_http::<_>();
            let mut svc = ServiceBuilder::new()
                .layer(SignLayer::new(signer))
                .service(hyper);
            let req = http::Request::get(format!("http://{}/items", closed_port()))
                .body(Full::new(bytes::Bytes::new()))
                .unwrap();
            let err = svc.ready().await.unwrap().call(req).await.unwrap_err();
            let any = anyhow::Error::new(err);
            let alternate = format!("{any:#}");
            assert!(
                alternate.contains("sending the signed request failed"),
                "{alternate}"
            );
            let e: &(dyn StdError + 'static) = any.as_ref();
            assert_each_cause_once(e, &alternate);
        }));
}
