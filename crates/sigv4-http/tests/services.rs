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
