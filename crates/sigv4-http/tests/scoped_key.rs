//! `RequestSigner::from_scoped_key` (issue #17): a day-scoped key with no secret signs
//! through every integration (the reqwest middleware, the tower layer, the blocking signer
//! with ureq), and each request verifies at an axum server on 127.0.0.1 behind the crate's
//! `VerifyLayer` (the core verifier, which knows the secret). Also: `RequestSigner::new`
//! takes any provider by value (`DefaultChain::new(ctx)` failed with E0308), `from_arc`
//! keeps the shared form, and a scoped signer's errors are typed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::Extension;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::chunked::{ChunkedReader, ChunkedSettings, StreamingMode};
use sigv4::verify::Verifier;
use sigv4::{Credentials, ScopedKey, Signer, SigningError};
use sigv4_credentials::{DefaultChain, Env, ProviderContext};
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::reqwest::SigV4Middleware;
use sigv4_http::tower::{
    KeyEntry, SignLayer, SignedBody, StaticKeys, VerifiedIdentity, VerifyLayer,
};
use sigv4_http::{
    Error, ProvideCredentials, RequestSigner, StaticProvider, StreamingBodies, TimeSource,
};
use tower::{Layer, Service, ServiceExt};

const AKID: &str = "ASIASCOPEDKEY";
const SECRET: &str = "scoped/key+secret";
const TOKEN: &str = "scoped-session/token+=";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET, Some(TOKEN.to_owned()), None)
}

/// Today's key for `service` in us-east-1, made where the secret is.
fn scoped(service: &str) -> ScopedKey {
    Signer::new("us-east-1", service)
        .unwrap()
        .scoped_key(&creds(), SystemTime::now())
        .unwrap()
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out");
}

/// An axum app behind the verifying layer (which checks the session token too); the
/// handler echoes who signed, whether the body was signed, and the body.
async fn serve(service: &str) -> SocketAddr {
    let verifier = Verifier::new("us-east-1", service).unwrap();
    let keys = StaticKeys::new().with_key(KeyEntry::new(creds()));
    let handler = |Extension(id): Extension<VerifiedIdentity>, body: Bytes| async move {
        format!(
            "{}|{}|{}",
            id.access_key_id,
            id.body_signed,
            String::from_utf8_lossy(&body)
        )
    };
    let app = Router::new()
        .fallback(handler)
        .layer(VerifyLayer::new(verifier, keys).for_axum());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

#[tokio::test]
async fn reqwest_middleware_signs_with_a_scoped_key() {
    run(async {
        let addr = serve("execute-api").await;
        let client = reqwest_middleware::ClientBuilder::new(
            reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        )
        .with(SigV4Middleware::new(RequestSigner::from_scoped_key(
            scoped("execute-api"),
        )))
        .build();
        let resp = client
            .post(format!("http://{addr}/prod/items?id=1"))
            .body(r#"{"k":"v"}"#)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, format!("{AKID}|true|{{\"k\":\"v\"}}"));

        // aws-chunked to S3 with every chunk signed by the scoped key.
        let addr = serve("s3").await;
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(SigV4Middleware::new(
                RequestSigner::from_scoped_key(scoped("s3")).with_streaming_bodies(
                    StreamingBodies::AwsChunked(ChunkedSettings::new(StreamingMode::Signed)),
                ),
            ))
            .build();
        let parts: Vec<Result<Bytes, std::io::Error>> = (0..30)
            .map(|i| Ok(Bytes::from(format!("chunk-{i:02};"))))
            .collect();
        let expected: String = (0..30).map(|i| format!("chunk-{i:02};")).collect();
        let resp = client
            .put(format!("http://{addr}/bucket/chunked"))
            .header("content-length", expected.len())
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                parts,
            )))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, format!("{AKID}|true|{expected}"));
    })
    .await;
}

#[tokio::test]
async fn tower_layer_signs_with_a_scoped_key() {
    run(async {
        let addr = serve("execute-api").await;
        let http = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();
        let mut client =
            SignLayer::new(RequestSigner::from_scoped_key(scoped("execute-api"))).layer(http);
        let req = http::Request::put(format!("http://{addr}/prod/items/7"))
            .body(Full::new(Bytes::from_static(b"tower body")))
            .unwrap();
        let resp = client.ready().await.unwrap().call(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(body, format!("{AKID}|true|tower body").as_bytes());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_signer_and_ureq_sign_with_a_scoped_key() {
    let api = serve("execute-api").await;
    let s3 = serve("s3").await;
    let results = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let mut out = Vec::new();

        let signer = BlockingSigner::new(RequestSigner::from_scoped_key(scoped("execute-api")));
        let mut req = http::Request::post(format!("http://{api}/prod/items"))
            .body(b"blocking body".to_vec())
            .unwrap();
        signer.sign(&mut req).unwrap();
        let mut resp = agent.run(req).unwrap();
        out.push((
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap(),
        ));

        // aws-chunked from a reader, chunk signatures from the scoped key.
        let signer = BlockingSigner::new(RequestSigner::from_scoped_key(scoped("s3")));
        let data = vec![b'z'; 70_000];
        let mut req = http::Request::put(format!("http://{s3}/bucket/big"))
            .body(())
            .unwrap();
        let encoder = signer
            .sign_aws_chunked(
                &mut req,
                ChunkedSettings::new(StreamingMode::Signed),
                data.len() as u64,
            )
            .unwrap();
        let mut body = ChunkedReader::new(&data[..], encoder);
        let (parts, ()) = req.into_parts();
        let req = http::Request::from_parts(parts, ureq::SendBody::from_reader(&mut body));
        let mut resp = agent.run(req).unwrap();
        out.push((
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap(),
        ));
        out
    })
    .await
    .unwrap();
    assert_eq!(results[0].0, 200, "{}", results[0].1);
    assert_eq!(results[0].1, format!("{AKID}|true|blocking body"));
    assert_eq!(results[1].0, 200, "{}", results[1].1);
    assert_eq!(results[1].1, format!("{AKID}|true|{}", "z".repeat(70_000)));
}

#[derive(Debug)]
struct Tomorrow;

impl TimeSource for Tomorrow {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(86_400)
    }
}

#[test]
fn a_scoped_signer_has_no_credentials_and_refuses_another_day() {
    let key = scoped("execute-api");
    let signer = RequestSigner::from_scoped_key(key.clone());
    assert_eq!(signer.scoped_key().unwrap().scope(), key.scope());
    assert!(!format!("{signer:?}").contains(TOKEN));
    assert!(matches!(
        signer.credentials_blocking(),
        Err(Error::Credentials(
            sigv4_credentials::CredentialsError::NotConfigured { .. }
        ))
    ));
    let blocking = BlockingSigner::new(
        RequestSigner::from_scoped_key(key).with_time_source(Arc::new(Tomorrow)),
    );
    let mut req = http::Request::get("https://api.example.com/")
        .body(Vec::new())
        .unwrap();
    assert!(matches!(
        blocking.sign(&mut req),
        Err(Error::Signing(SigningError::KeyScopeMismatch { .. }))
    ));
    assert!(!req.headers().contains_key("authorization"));
}

/// Counts fetches, to show the provider given by value is the one used.
#[derive(Debug, Default)]
struct Counting(Arc<Mutex<usize>>);

impl ProvideCredentials for Counting {
    fn provide_credentials(
        &self,
    ) -> sigv4_credentials::BoxFuture<'_, sigv4_credentials::CredentialsResult> {
        *self.0.lock().unwrap() += 1;
        Box::pin(async {
            Ok(sigv4_credentials::ProvidedCredentials::new(
                creds(),
                "Counting",
            ))
        })
    }
    fn name(&self) -> &'static str {
        "Counting"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_signer_new_takes_any_provider_by_value() {
    let addr = serve("execute-api").await;
    // The chain from the issue: the environment answers, so nothing else is asked (and
    // instance metadata is off in any case).
    let env = Env::from_pairs([
        ("AWS_ACCESS_KEY_ID", AKID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]);
    let chain = DefaultChain::new(ProviderContext::default().with_env(env));
    let shared: Arc<dyn ProvideCredentials> = Arc::new(StaticProvider::new(creds()));
    let fetches = Arc::new(Mutex::new(0));
    let signers = [
        RequestSigner::new(chain),
        RequestSigner::new(Counting(Arc::clone(&fetches))),
        RequestSigner::new(StaticProvider::new(creds())),
        RequestSigner::from_arc(shared),
    ];
    for signer in signers {
        let signer = signer.with_service("execute-api").with_region("us-east-1");
        let status = tokio::task::spawn_blocking(move || {
            let mut req = http::Request::get(format!("http://{addr}/prod"))
                .body(Vec::new())
                .unwrap();
            BlockingSigner::new(signer).sign(&mut req).unwrap();
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into();
            let mut resp = agent.run(req).unwrap();
            (
                resp.status().as_u16(),
                resp.body_mut().read_to_string().unwrap(),
            )
        })
        .await
        .unwrap();
        assert_eq!(status.0, 200, "{}", status.1);
    }
    assert_eq!(
        *fetches.lock().unwrap(),
        1,
        "the provider given by value was used once"
    );
}
