//! The verifying layer and our clients as a service team uses them, through the real stack:
//! an axum server on 127.0.0.1 behind `VerifyLayer`, the reqwest middleware as the client.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Extension, OriginalUri};
use axum::routing::get;
use axum::Router;
use sigv4::verify::Verifier;
use sigv4::Credentials;
use sigv4_http::reqwest::SigV4Middleware;
use sigv4_http::tower::{KeyEntry, StaticKeys, VerifiedIdentity, VerifyLayer};
use sigv4_http::RequestSigner;

const AKID: &str = "AKIDSERVICES";
const SECRET: &str = "services/secret+key";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET, None, None)
}

fn keys() -> StaticKeys {
    StaticKeys::new().with_key(KeyEntry::new(creds()).with_principal("svc"))
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test timed out");
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

fn signer() -> RequestSigner {
    RequestSigner::from_static(creds())
        .with_service("execute-api")
        .with_region("us-east-1")
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

fn verify_layer() -> VerifyLayer<StaticKeys, axum::body::Body> {
    VerifyLayer::new(Verifier::new("us-east-1", "execute-api").unwrap(), keys()).for_axum()
}

async fn get_text(client: &reqwest_middleware::ClientWithMiddleware, url: &str) -> (u16, String) {
    let resp = client.get(url).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// What a nested handler sees: the URI it routes on, the original URI, the signer.
async fn where_am_i(
    uri: http::Uri,
    OriginalUri(original): OriginalUri,
    Extension(id): Extension<VerifiedIdentity>,
) -> String {
    format!("{uri}|{original}|{}", id.principal.unwrap_or_default())
}

#[tokio::test]
async fn verify_layer_works_inside_router_nest_at_any_depth() {
    run(async {
        let v1 = Router::new()
            .route("/items", get(where_am_i))
            .route("/", get(where_am_i))
            .layer(verify_layer());
        let app = Router::new()
            .nest("/v1", v1.clone())
            .nest("/api", Router::new().nest("/{version}", v1));
        let addr = serve(app).await;
        let c = client(signer());
        for (path, inner) in [
            ("/v1/items?x=1&y=a%2Fb", "/items?x=1&y=a%2Fb"),
            ("/v1", "/"),
            ("/api/v2/items", "/items"),
            ("/api/v2/items?q=z", "/items?q=z"),
        ] {
            let (status, text) = get_text(&c, &format!("http://{addr}{path}")).await;
            assert_eq!(status, 200, "{path}: {text}");
            assert_eq!(text, format!("{inner}|{path}|svc"), "{path}");
        }
        // Signed for one path, sent to another: still refused inside the nest.
        let mut req = c.get(format!("http://{addr}/v1/items")).build().unwrap();
        SigV4Middleware::new(signer()).sign(&mut req).await.unwrap();
        *req.url_mut() = format!("http://{addr}/api/v1/items").parse().unwrap();
        let resp = reqwest::Client::new().execute(req).await.unwrap();
        assert_eq!(resp.status(), 403);
        assert!(resp.text().await.unwrap().contains("SignatureDoesNotMatch"));
    })
    .await;
}

#[tokio::test]
async fn verify_layer_works_around_a_nested_service() {
    use tower::Layer;
    run(async {
        let inner = tower::service_fn(|req: http::Request<axum::body::Body>| async move {
            let original = req.extensions().get::<OriginalUri>().unwrap().0.clone();
            let who = req.extensions().get::<VerifiedIdentity>().unwrap().clone();
            Ok::<_, std::convert::Infallible>(axum::response::Response::new(
                axum::body::Body::from(format!(
                    "{}|{original}|{}",
                    req.uri(),
                    who.principal.unwrap_or_default()
                )),
            ))
        });
        let app = Router::new().nest_service(
            "/svc",
            tower::ServiceBuilder::new()
                .map_response(axum::response::IntoResponse::into_response)
                .service(verify_layer().layer(inner)),
        );
        let app = Router::new().nest("/outer", app);
        let addr = serve(app).await;
        let c = client(signer());
        let (status, text) = get_text(&c, &format!("http://{addr}/outer/svc/deep/path?a=1")).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, "/deep/path?a=1|/outer/svc/deep/path?a=1|svc");
    })
    .await;
}

/// A middleware client inferring service and region from the host, with `host` resolved to
/// our server on 127.0.0.1 (the request never leaves the machine).
fn resolving_client(host: &str, addr: SocketAddr) -> reqwest_middleware::ClientWithMiddleware {
    let http = reqwest::Client::builder()
        .resolve(host, addr)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    reqwest_middleware::ClientBuilder::new(http)
        .with(SigV4Middleware::new(RequestSigner::from_static(creds())))
        .build()
}

/// Signing service and region inferred from AWS hosts whose endpoint prefix is not the
/// signing name: a reqwest client resolving the AWS host to our 127.0.0.1 server signs with
/// the name AWS's models give, which a verifier for that service accepts.
#[tokio::test]
async fn inferred_signing_names_follow_aws_service_models() {
    run(async {
        for (host, service, region) in [
            (
                "myap-123456789012.s3-accesspoint.eu-west-1.amazonaws.com",
                "s3",
                "eu-west-1",
            ),
            (
                "data-ats.iot.eu-west-1.amazonaws.com",
                "iotdata",
                "eu-west-1",
            ),
            (
                "transcribestreaming.us-east-1.amazonaws.com",
                "transcribe",
                "us-east-1",
            ),
            (
                "abcdefgh.appsync-api.eu-west-2.amazonaws.com",
                "appsync",
                "eu-west-2",
            ),
            ("maps.geo.us-west-2.amazonaws.com", "geo-maps", "us-west-2"),
            ("health.eu-west-1.amazonaws.com", "health", "us-east-1"),
        ] {
            let app =
                Router::new().fallback(|Extension(id): Extension<VerifiedIdentity>| async move {
                    id.credential_scope
                });
            let verifier = Verifier::new(region, service).unwrap();
            let app = app.layer(VerifyLayer::new(verifier, keys()).for_axum());
            let addr = serve(app).await;
            let resp = resolving_client(host, addr)
                .get(format!("http://{host}:{}/x", addr.port()))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            assert_eq!(status, 200, "{host}: {text}");
            assert!(
                text.ends_with(&format!("/{region}/{service}/aws4_request")),
                "{text}"
            );
        }
    })
    .await;
}

/// A clock 20 minutes ahead of the system's: the verifier's, in the skew tests.
#[derive(Debug)]
struct Ahead;

impl sigv4_credentials::TimeSource for Ahead {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now() + Duration::from_secs(20 * 60)
    }
}

/// A server whose clock is 20 minutes ahead answers a request signed at the client's time
/// as AWS does (`RequestTimeTooSkewed`, the server time in the body, a `Date` from its own
/// clock), and a client with clock-skew correction learns the offset and gets in.
#[tokio::test]
async fn clients_recover_from_clock_skew_against_our_own_server() {
    run(async {
        for (service, xml) in [("s3", true), ("execute-api", false)] {
            let verifier = Verifier::new("us-east-1", service).unwrap();
            let layer = VerifyLayer::new(verifier, keys())
                .with_time_source(std::sync::Arc::new(Ahead))
                .for_axum();
            let app = Router::new()
                .fallback(|Extension(id): Extension<VerifiedIdentity>| async move {
                    id.signed_at.to_string()
                })
                .layer(layer);
            let addr = serve(app).await;
            let url = format!("http://{addr}/skewed");
            let signer = || {
                RequestSigner::from_static(creds())
                    .with_service(service)
                    .with_region("us-east-1")
            };

            // The refusal itself, as a client without correction sees it.
            let resp = client(signer()).get(&url).send().await.unwrap();
            assert_eq!(resp.status(), 403);
            let date = resp.headers()["date"].to_str().unwrap().to_owned();
            let server_date = sigv4_credentials::clock_skew::parse_http_date(&date).unwrap();
            let ahead = server_date
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            assert!(
                ahead > Duration::from_secs(19 * 60),
                "Date {date} is not the verifier's"
            );
            let body = resp.text().await.unwrap();
            assert!(body.contains("RequestTimeTooSkewed"), "{body}");
            if xml {
                assert!(body.contains("<ServerTime>"), "{body}");
                assert!(
                    body.contains("<MaxAllowedSkewMilliseconds>900000<"),
                    "{body}"
                );
            } else {
                assert!(body.contains("\"ServerTime\":"), "{body}");
            }

            // The reqwest middleware learns the offset from the refusal and retries once.
            let skew = std::sync::Arc::new(sigv4_credentials::clock_skew::ClockSkew::new());
            let c = client(signer().with_clock_skew(std::sync::Arc::clone(&skew)));
            let resp = c.get(&url).send().await.unwrap();
            let status = resp.status().as_u16();
            assert_eq!(status, 200, "{service}: {}", resp.text().await.unwrap());
            let offset = skew.offset(&url).unwrap();
            assert!((1190..=1210).contains(&offset), "learned {offset}");
        }
    })
    .await;
}

/// Records the fields of every `request refused` event at its level.
#[derive(Default, Clone)]
struct Events(std::sync::Arc<std::sync::Mutex<Vec<(tracing::Level, String)>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?};", field.name(), value));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!("{}={};", field.name(), value));
    }
}

impl tracing::Subscriber for Events {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        if f.0.contains("request refused") {
            self.0
                .lock()
                .unwrap()
                .push((*event.metadata().level(), f.0));
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Every refusal is a structured event at the chosen level (access key id, code, status,
/// method, path; no secret, no query) and reaches the metrics callback.
#[tokio::test]
async fn refusals_are_structured_events_and_reach_the_callback() {
    let events = Events::default();
    let _guard = tracing::subscriber::set_default(events.clone());
    run(async {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&seen);
        let layer = verify_layer()
            .with_refusal_log_level(tracing::Level::WARN)
            .on_refusal(move |r| {
                sink.lock().unwrap().push(format!(
                    "{:?} {} {} {} {}",
                    r.access_key_id, r.code, r.status, r.method, r.path
                ))
            });
        let v1 = Router::new().route("/items", get(where_am_i)).layer(layer);
        let addr = serve(Router::new().nest("/v1", v1)).await;

        // A wrong secret: SignatureDoesNotMatch for the claimed key.
        let wrong =
            RequestSigner::from_static(Credentials::new(AKID, "not-the-secret", None, None))
                .with_service("execute-api")
                .with_region("us-east-1");
        let (status, _) =
            get_text(&client(wrong), &format!("http://{addr}/v1/items?token=abc")).await;
        assert_eq!(status, 403);
        // An unknown key, and an unsigned request.
        let other = RequestSigner::from_static(Credentials::new("AKIDUNKNOWN", SECRET, None, None))
            .with_service("execute-api")
            .with_region("us-east-1");
        let (status, _) = get_text(&client(other), &format!("http://{addr}/v1/items")).await;
        assert_eq!(status, 403);
        let resp = reqwest::Client::new()
            .delete(format!("http://{addr}/v1/items"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
        // Accepted requests are not refusals.
        let (status, _) = get_text(&client(signer()), &format!("http://{addr}/v1/items")).await;
        assert_eq!(status, 200);

        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                format!("Some(\"{AKID}\") SignatureDoesNotMatch 403 GET /v1/items"),
                "Some(\"AKIDUNKNOWN\") InvalidAccessKeyId 403 GET /v1/items".to_owned(),
                "None AccessDenied 403 DELETE /v1/items".to_owned(),
            ]
        );
    })
    .await;
    let events = events.0.lock().unwrap().clone();
    assert_eq!(events.len(), 3, "{events:?}");
    for (level, fields) in &events {
        assert_eq!(*level, tracing::Level::WARN);
        for name in ["code=", "status=403;", "method=", "path=/v1/items;"] {
            assert!(fields.contains(name), "{fields}");
        }
        assert!(
            !fields.contains("not-the-secret") && !fields.contains("token=abc"),
            "{fields}"
        );
        assert!(!fields.contains(SECRET), "{fields}");
    }
    assert!(
        events[0].1.contains(&format!("access_key_id={AKID};")),
        "{:?}",
        events[0]
    );
    assert!(
        events[0].1.contains("code=SignatureDoesNotMatch;"),
        "{:?}",
        events[0]
    );
    assert!(
        events[1].1.contains("access_key_id=AKIDUNKNOWN;"),
        "{:?}",
        events[1]
    );
    // An unsigned request claims no key: the field is absent.
    assert!(!events[2].1.contains("access_key_id"), "{:?}", events[2]);
}

/// A temporary key sent without its session token gets the answer of the service the
/// layer verifies for: S3's `InvalidToken`, API Gateway's `UnrecognizedClientException`.
#[tokio::test]
async fn a_missing_session_token_gets_the_verified_services_error() {
    run(async {
        let temporary = Credentials::new(
            "ASIATEMPORARY",
            SECRET,
            Some("the-session-token".into()),
            None,
        );
        for (service, status, code, message) in [
            (
                "execute-api",
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ),
            ("s3", 400, "InvalidToken", ""),
        ] {
            let keys = StaticKeys::new().with_key(KeyEntry::new(temporary.clone()));
            let layer =
                VerifyLayer::new(Verifier::new("us-east-1", service).unwrap(), keys).for_axum();
            let app = Router::new().fallback(|| async { "in" }).layer(layer);
            let addr = serve(app).await;
            let without_token =
                RequestSigner::from_static(Credentials::new("ASIATEMPORARY", SECRET, None, None))
                    .with_service(service)
                    .with_region("us-east-1");
            let resp = client(without_token)
                .get(format!("http://{addr}/x"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), status);
            let errortype = resp
                .headers()
                .get("x-amzn-errortype")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = resp.text().await.unwrap();
            assert!(
                body.contains(code) && body.contains(message),
                "{service}: {body}"
            );
            if service == "execute-api" {
                assert_eq!(errortype.as_deref(), Some(code));
            }
            // With its token, the same key gets in.
            let with_token = RequestSigner::from_static(temporary.clone())
                .with_service(service)
                .with_region("us-east-1");
            let resp = client(with_token)
                .get(format!("http://{addr}/x"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
        }
    })
    .await;
}

/// The `+` rule is the same on both sides: whatever query the caller builds (form encoded by
/// reqwest's `.query()`, or written by hand with raw `+` and `%2B`), the middleware's
/// signature is accepted by the default `VerifyLayer` and the handler decodes exactly the
/// pairs the caller meant.
#[test]
fn random_queries_through_middleware_and_default_layer_reach_the_handler_as_meant() {
    use axum::extract::Query;
    use proptest::prelude::*;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let echo = |Query(pairs): Query<Vec<(String, String)>>| async move {
            serde_json::to_string(&pairs).unwrap()
        };
        serve(Router::new().fallback(echo).layer(verify_layer())).await
    });
    let c = client(signer());
    let send = |req: reqwest_middleware::RequestBuilder| {
        rt.block_on(async {
            let resp = tokio::time::timeout(Duration::from_secs(10), req.send())
                .await
                .unwrap()
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap())
        })
    };

    // By hand: a raw '+' is a space, %2B a plus, %20 a space.
    let (status, text) = send(c.get(format!("http://{addr}/api/whoami?q=a+b&p=1%2B1&s=x%20y")));
    assert_eq!(status, 200, "{text}");
    assert_eq!(text, r#"[["q","a b"],["p","1+1"],["s","x y"]]"#);

    let pair = ("[ -~é+&=%/?#]{0,8}", "[ -~é+&=%/?#]{0,12}");
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    runner
        .run(&proptest::collection::vec(pair, 1..5), |pairs| {
            let (status, text) = send(c.get(format!("http://{addr}/q")).query(&pairs));
            prop_assert_eq!(status, 200, "{}", text);
            let got: Vec<(String, String)> = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(got, pairs);
            Ok(())
        })
        .unwrap();
}
