//! The reqwest middleware against a real axum server on 127.0.0.1 that verifies every
//! request (the crate's `VerifyLayer`, i.e. the core verifier): in-memory bodies hashed,
//! streams sent UNSIGNED-PAYLOAD or aws-chunked to S3, streams refused with a typed error
//! where the payload hash is needed, and temporary credentials refreshed by the cache.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::Extension;
use axum::Router;
use bytes::Bytes;
use sigv4::chunked::{ChunkedSettings, StreamingMode};
use sigv4::verify::{LookupError, Verifier};
use sigv4::Credentials;
use sigv4_credentials::{BoxFuture, CredentialsResult, ProvidedCredentials, TimeSource};
use sigv4_http::reqwest::SigV4Middleware;
use sigv4_http::tower::{
    KeyEntry, KeyLookupFuture, KeyStore, StaticKeys, VerifiedIdentity, VerifyLayer,
};
use sigv4_http::{CachedProvider, Error, ProvideCredentials, RequestSigner, StreamingBodies};

const AKID: &str = "AKIDREQWEST";
const SECRET: &str = "reqwest/secret+key";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET, None, None)
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out");
}

async fn serve<K: KeyStore>(verifier: Verifier, keys: K) -> SocketAddr {
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

fn client(signer: RequestSigner) -> reqwest_middleware::ClientWithMiddleware {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    reqwest_middleware::ClientBuilder::new(http)
        .with(SigV4Middleware::new(signer))
        .build()
}

fn stream_body(parts: usize) -> (reqwest::Body, String) {
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..parts)
        .map(|i| Ok(Bytes::from(format!("chunk-{i:03}."))))
        .collect();
    let text = (0..parts).map(|i| format!("chunk-{i:03}.")).collect();
    (
        reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)),
        text,
    )
}

fn keys() -> StaticKeys {
    StaticKeys::new().with_key(KeyEntry::new(creds()))
}

#[tokio::test]
async fn in_memory_bodies_are_hashed_and_verify() {
    run(async {
        let addr = serve(Verifier::new("us-east-1", "execute-api").unwrap(), keys()).await;
        let client = client(
            RequestSigner::from_static(creds())
                .with_service("execute-api")
                .with_region("us-east-1"),
        );
        let resp = client
            .post(format!("http://{addr}/prod/items?b=%20x&a=1#fragment"))
            .header("content-type", "application/json")
            .body(r#"{"k":"v"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.text().await.unwrap(),
            format!("{AKID}|true|{{\"k\":\"v\"}}")
        );

        let resp = client
            .get(format!("http://{addr}/prod/items/~user/a+b"))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        assert_eq!(status, 200, "{}", resp.text().await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn streams_to_s3_are_unsigned_payload_or_aws_chunked() {
    run(async {
        let addr = serve(Verifier::new("us-west-2", "s3").unwrap(), keys()).await;

        // Default policy: UNSIGNED-PAYLOAD for S3.
        let plain = client(
            RequestSigner::from_static(creds())
                .with_service("s3")
                .with_region("us-west-2"),
        );
        let (body, text) = stream_body(50);
        let resp = plain
            .put(format!("http://{addr}/bucket/stream.bin"))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let got = resp.text().await.unwrap();
        assert_eq!(status, 200, "{got}");
        assert_eq!(got, format!("{AKID}|false|{text}"));

        // aws-chunked with signed chunks and a signed CRC32 trailer.
        let chunked = client(
            RequestSigner::from_static(creds())
                .with_service("s3")
                .with_region("us-west-2")
                .with_streaming_bodies(StreamingBodies::AwsChunked(
                    ChunkedSettings::new(StreamingMode::SignedWithTrailer)
                        .with_checksum(sigv4::chunked::ChecksumAlgorithm::Crc32)
                        .unwrap(),
                )),
        );
        let (body, text) = stream_body(2000); // 20,000 bytes: several 8 KiB+ chunks
        let resp = chunked
            .put(format!("http://{addr}/bucket/chunked.bin"))
            .header("content-length", text.len().to_string())
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let got = resp.text().await.unwrap();
        assert_eq!(status, 200, "{}", &got[..got.len().min(300)]);
        assert_eq!(got, format!("{AKID}|true|{text}"));

        // aws-chunked without a length: a typed error, nothing sent.
        let (body, _) = stream_body(3);
        let err = chunked
            .put(format!("http://{addr}/bucket/x"))
            .body(body)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(sigv4_error(&err), Error::UnknownBodyLength),
            "{err}"
        );
    })
    .await;
}

fn sigv4_error(err: &reqwest_middleware::Error) -> &Error {
    match err {
        reqwest_middleware::Error::Middleware(e) => e
            .downcast_ref::<Error>()
            .unwrap_or_else(|| panic!("not a sigv4_http::Error: {e}")),
        other => panic!("not a middleware error: {other}"),
    }
}

#[tokio::test]
async fn streams_where_the_payload_hash_is_needed_are_refused() {
    run(async {
        let addr = serve(Verifier::new("us-east-1", "execute-api").unwrap(), keys()).await;
        let client = client(
            RequestSigner::from_static(creds())
                .with_service("execute-api")
                .with_region("us-east-1"),
        );
        let (body, _) = stream_body(3);
        let err = client
            .post(format!("http://{addr}/prod/upload"))
            .body(body)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(sigv4_error(&err), Error::StreamingBodyNeedsHash { service } if service == "execute-api"),
            "{err}"
        );
        assert!(err.to_string().contains("in-memory body"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn unsigned_payload_streams_to_other_services_verify() {
    // Issue #17, bug 1: the middleware signed UNSIGNED-PAYLOAD for execute-api but did not
    // send x-amz-content-sha256, so the server hashed the body and refused the signature.
    run(async {
        let verifier = Verifier::new("us-east-1", "execute-api")
            .unwrap()
            .allow_unsigned_payload(true);
        let addr = serve(verifier, keys()).await;
        let client = client(
            RequestSigner::from_static(creds())
                .with_service("execute-api")
                .with_region("us-east-1")
                .with_streaming_bodies(StreamingBodies::UnsignedPayload),
        );
        let (body, text) = stream_body(20);
        let resp = client
            .post(format!("http://{addr}/prod/upload?part=1"))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let got = resp.text().await.unwrap();
        assert_eq!(status, 200, "{got}");
        assert_eq!(got, format!("{AKID}|false|{text}"));
    })
    .await;
}

/// A clock the test moves by hand (only for the cache's freshness decisions).
#[derive(Debug)]
struct ManualClock(Mutex<SystemTime>);

impl TimeSource for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// Issues temporary credentials with a new session token on every fetch.
#[derive(Debug)]
struct Rotating {
    fetches: Arc<AtomicUsize>,
    clock: Arc<ManualClock>,
}

impl ProvideCredentials for Rotating {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        let expiry = self.clock.now() + Duration::from_secs(3600);
        Box::pin(async move {
            Ok(ProvidedCredentials::new(
                Credentials::new(AKID, SECRET, Some(format!("token-{n}")), Some(expiry)),
                "Rotating",
            ))
        })
    }
    fn name(&self) -> &'static str {
        "Rotating"
    }
}

#[tokio::test]
async fn temporary_credentials_are_cached_and_refreshed() {
    run(async {
        let fetches = Arc::new(AtomicUsize::new(0));
        let clock = Arc::new(ManualClock(Mutex::new(SystemTime::now())));
        // The server accepts the session token of the latest generation only.
        let current = Arc::clone(&fetches);
        let lookup = move |id: &str| -> Result<Option<KeyEntry>, LookupError> {
            let n = current.load(Ordering::SeqCst);
            Ok((id == AKID).then(|| {
                KeyEntry::new(Credentials::new(
                    AKID,
                    SECRET,
                    Some(format!("token-{n}")),
                    None,
                ))
            }))
        };
        struct Store<F>(F);
        impl<F> KeyStore for Store<F>
        where
            F: Fn(&str) -> Result<Option<KeyEntry>, LookupError> + Send + Sync + 'static,
        {
            fn lookup<'a>(&'a self, id: &'a str) -> KeyLookupFuture<'a> {
                // An asynchronous store, as a database would be.
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    (self.0)(id)
                })
            }
        }
        let addr = serve(
            Verifier::new("us-east-1", "execute-api").unwrap(),
            Store(lookup),
        )
        .await;

        let cache = CachedProvider::builder(Rotating {
            fetches: Arc::clone(&fetches),
            clock: Arc::clone(&clock),
        })
        .time_source(clock.clone())
        .build();
        let client = client(
            RequestSigner::from_cache(cache)
                .with_service("execute-api")
                .with_region("us-east-1"),
        );
        for _ in 0..3 {
            let resp = client.get(format!("http://{addr}/a")).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        }
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "credentials were not cached"
        );

        // Past the mandatory refresh window: the next request waits for new credentials.
        *clock.0.lock().unwrap() += Duration::from_secs(3600 - 60);
        let resp = client.get(format!("http://{addr}/b")).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "credentials were not refreshed"
        );
    })
    .await;
}
