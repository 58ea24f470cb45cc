//! The server edge (issue #11): an axum app on 127.0.0.1 behind `VerifyLayer`, spoken to
//! with raw HTTP/1.1 over a TCP stream (so dot segments, absolute-form targets and raw `+`
//! reach the server exactly as written) and with HTTP/2 (hyper) for `:authority`.
//!
//! Each request is signed once, as an attacker holding one valid signed request would
//! have it, then sent as written or mutated. The invariant: whenever the layer accepts,
//! the method, path, query and authority the handler sees are the ones that were signed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Extension, Query};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use sigv4::verify::edge::{PathPolicy, QueryPlusPolicy};
use sigv4::verify::Verifier;
use sigv4::{Credentials, Payload, SignableRequest, Signer};
use sigv4_http::tower::{KeyEntry, StaticKeys, VerifiedIdentity, VerifyLayer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AKID: &str = "AKIDEDGEALICE";
const SECRET: &str = "edge/alice+secret";
const HOST: &str = "api.example.com";

fn alice() -> Credentials {
    Credentials::new(AKID, SECRET, None, None)
}

async fn run<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test timed out");
}

/// What a handler saw.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    route: &'static str,
    method: String,
    target: String,
    authority: String,
    email: Option<String>,
    headers: Vec<String>,
    signed_headers: Vec<String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

fn seen(
    route: &'static str,
    log: &Log,
    id: &VerifiedIdentity,
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    email: Option<String>,
) -> String {
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| headers.get("host").map(|h| h.to_str().unwrap().to_owned()))
        .unwrap_or_default();
    let s = Seen {
        route,
        method: method.to_string(),
        target: uri.path_and_query().unwrap().as_str().to_owned(),
        authority,
        email,
        headers: headers.keys().map(|k| k.as_str().to_owned()).collect(),
        signed_headers: id.signed_headers.clone(),
    };
    log.lock().unwrap().push(s);
    route.to_owned()
}

/// Routes that differ by path, as in the issue: `/api/public/*` is not the reports handler.
/// The layer is added with `Router::layer` (routing happens first, the common set-up).
async fn serve(layer: VerifyLayer<StaticKeys>) -> (SocketAddr, Log) {
    serve_with(layer, false).await
}

/// With `outside`, the layer wraps the whole router, so the router routes on the request
/// the layer passes on (needed for `PathPolicy::Rewrite`).
async fn serve_with(layer: VerifyLayer<StaticKeys>, outside: bool) -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let app = Router::new()
        .route(
            "/api/reports/{id}",
            get(
                move |Extension(id): Extension<VerifiedIdentity>,
                      method: http::Method,
                      uri: http::Uri,
                      headers: http::HeaderMap| async move {
                    seen("reports", &l1, &id, &method, &uri, &headers, None)
                },
            ),
        )
        .route(
            "/api/public/{*rest}",
            get(
                move |Extension(id): Extension<VerifiedIdentity>,
                      method: http::Method,
                      uri: http::Uri,
                      headers: http::HeaderMap| async move {
                    seen("public", &l2, &id, &method, &uri, &headers, None)
                },
            ),
        )
        .route(
            "/api/search",
            get(
                move |Extension(id): Extension<VerifiedIdentity>,
                      Query(q): Query<std::collections::HashMap<String, String>>,
                      method: http::Method,
                      uri: http::Uri,
                      headers: http::HeaderMap| async move {
                    seen(
                        "search",
                        &l3,
                        &id,
                        &method,
                        &uri,
                        &headers,
                        q.get("email").cloned(),
                    )
                },
            ),
        );
    let app = if outside {
        Router::new().fallback_service(tower::Layer::layer(&layer.for_axum(), app))
    } else {
        app.layer(layer.for_axum())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, log)
}

fn layer(service: &str) -> VerifyLayer<StaticKeys> {
    VerifyLayer::new(
        Verifier::new("us-east-1", service).unwrap(),
        StaticKeys::new().with_key(KeyEntry::new(alice())),
    )
}

/// Signs `GET target` for `HOST` with `extra` headers; returns the header lines to send
/// (host, extra headers and the signing headers).
fn sign(
    service: &str,
    method: &str,
    target: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut headers: Vec<(&str, &[u8])> = vec![("host", HOST.as_bytes())];
    headers.extend(extra.iter().map(|(n, v)| (*n, v.as_bytes())));
    let signer = Signer::new("us-east-1", service).unwrap();
    let req = SignableRequest::new(method, target, headers.clone(), Payload::Bytes(b""));
    let out = signer.sign(&req, &alice(), SystemTime::now()).unwrap();
    let mut lines: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), String::from_utf8(v.to_vec()).unwrap()))
        .collect();
    lines.extend(out.headers().map(|(n, v)| (n.to_owned(), v.to_owned())));
    lines
}

/// Sends `METHOD request_target HTTP/1.1` with `headers` over a fresh connection and
/// returns the status and body.
async fn send_raw(
    addr: SocketAddr,
    method: &str,
    request_target: &str,
    headers: &[(String, String)],
) -> (u16, String) {
    let mut head = format!("{method} {request_target} HTTP/1.1\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

fn take(log: &Log) -> Vec<Seen> {
    std::mem::take(&mut *log.lock().unwrap())
}

const SIGNED: &str = "/api/reports/q3";
const MUTATED_PATHS: [&str; 5] = [
    "/api/public/../reports/q3",
    "/api/public/x/../../reports/q3",
    "/api/reports//q3",
    "/api/reports/./q3",
    "/api/public/./../reports/q3/.",
];

#[tokio::test]
async fn non_normalized_paths_are_refused_by_default() {
    run(async {
        let (addr, log) = serve(layer("execute-api")).await;
        let headers = sign("execute-api", "GET", SIGNED, &[]);

        let (status, body) = send_raw(addr, "GET", SIGNED, &headers).await;
        assert_eq!((status, body.as_str()), (200, "reports"));
        let s = take(&log);
        assert_eq!(
            (s[0].target.as_str(), s[0].authority.as_str()),
            (SIGNED, HOST)
        );

        for path in MUTATED_PATHS {
            let (status, body) = send_raw(addr, "GET", path, &headers).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert!(body.contains("\"InvalidURI\""), "{path}: {body}");
            assert!(body.contains("not normalized"), "{path}: {body}");
        }
        assert!(take(&log).is_empty(), "no handler ran");
    })
    .await;
}

#[tokio::test]
async fn non_normalized_paths_can_be_rewritten_to_the_verified_path() {
    run(async {
        let (addr, log) = serve_with(
            layer("execute-api").with_path_policy(PathPolicy::Rewrite),
            true,
        )
        .await;
        let headers = sign("execute-api", "GET", SIGNED, &[]);
        for path in MUTATED_PATHS {
            let (status, body) = send_raw(addr, "GET", path, &headers).await;
            assert_eq!((status, body.as_str()), (200, "reports"), "{path}");
            let s = take(&log);
            assert_eq!(s.len(), 1);
            assert_eq!(
                (s[0].route, s[0].target.as_str()),
                ("reports", SIGNED),
                "{path}"
            );
        }
        // A percent-encoded dot segment is refused even when rewriting.
        let headers = sign("execute-api", "GET", "/api/public/%2E%2E/reports/q3", &[]);
        let (status, body) = send_raw(addr, "GET", "/api/public/%2E%2E/reports/q3", &headers).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("InvalidURI"), "{body}");
        assert!(take(&log).is_empty());
    })
    .await;
}

#[tokio::test]
async fn s3_paths_are_used_as_sent_and_reach_the_handler_unchanged() {
    run(async {
        // S3 signs the path as sent: a dot segment is part of the signed key, and the
        // handler sees exactly that path.
        let (addr, log) = serve(layer("s3")).await;
        let path = "/api/public/../reports/q3";
        let headers = sign("s3", "GET", path, &[]);
        let (status, body) = send_raw(addr, "GET", path, &headers).await;
        // hyper/axum route on the raw path: the public handler, with the signed path.
        assert_eq!(status, 200, "{body}");
        let s = take(&log);
        assert_eq!(s[0].target, path);
        // The same signed request sent with the path normalized does not verify.
        let (status, body) = send_raw(addr, "GET", SIGNED, &headers).await;
        assert_eq!(status, 403, "{body}");
        assert!(take(&log).is_empty());
    })
    .await;
}

#[tokio::test]
async fn absolute_form_targets_must_name_the_signed_host() {
    run(async {
        let (addr, log) = serve(layer("execute-api")).await;
        let headers = sign("execute-api", "GET", SIGNED, &[]);

        let evil = format!("http://evil.example.net{SIGNED}");
        let (status, body) = send_raw(addr, "GET", &evil, &headers).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("\"InvalidRequest\""), "{body}");
        assert!(body.contains("evil.example.net"), "{body}");
        assert!(take(&log).is_empty());

        // The signed host in absolute form (any case, default port) is the same request.
        for target in [
            format!("http://{HOST}{SIGNED}"),
            format!("http://API.Example.com:80{SIGNED}"),
        ] {
            let (status, body) = send_raw(addr, "GET", &target, &headers).await;
            assert_eq!((status, body.as_str()), (200, "reports"), "{target}");
            let s = take(&log);
            assert_eq!(s[0].target, SIGNED);
            assert!(
                s[0].authority.eq_ignore_ascii_case(HOST)
                    || s[0].authority.eq_ignore_ascii_case(&format!("{HOST}:80")),
                "{:?}",
                s[0]
            );
        }
    })
    .await;
}

/// One HTTP/2 (prior knowledge) request with `:authority` from `uri` and `headers`.
async fn send_h2(addr: SocketAddr, uri: &str, headers: &[(String, String)]) -> (u16, String) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let mut req = http::Request::get(uri);
    for (n, v) in headers {
        req = req.header(n.as_str(), v.as_str());
    }
    let resp = sender
        .send_request(req.body(Empty::<Bytes>::new()).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn http2_authority_must_be_the_signed_host() {
    run(async {
        let (addr, log) = serve(layer("execute-api")).await;
        let headers = sign("execute-api", "GET", SIGNED, &[]);

        // :authority evil.example.net, host: api.example.com (signed).
        let (status, body) =
            send_h2(addr, &format!("http://evil.example.net{SIGNED}"), &headers).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("\"InvalidRequest\""), "{body}");
        assert!(take(&log).is_empty());

        // :authority is the signed host: accepted, and the handler sees that authority.
        let (status, body) = send_h2(addr, &format!("http://{HOST}{SIGNED}"), &headers).await;
        assert_eq!((status, body.as_str()), (200, "reports"));
        let s = take(&log);
        assert_eq!(
            (s[0].target.as_str(), s[0].authority.as_str()),
            (SIGNED, HOST)
        );

        // No host header at all: the signature must cover :authority itself.
        let no_host: Vec<_> = headers
            .iter()
            .filter(|(n, _)| n != "host")
            .cloned()
            .collect();
        let (status, body) =
            send_h2(addr, &format!("http://evil.example.net{SIGNED}"), &no_host).await;
        assert_eq!(status, 403, "{body}");
        assert!(take(&log).is_empty());
    })
    .await;
}

#[tokio::test]
async fn raw_plus_in_the_query_is_refused_by_default() {
    run(async {
        let (addr, log) = serve(layer("execute-api")).await;
        let signed = "/api/search?email=a%2Bb%40x.com";
        let headers = sign("execute-api", "GET", signed, &[]);

        let (status, body) = send_raw(addr, "GET", signed, &headers).await;
        assert_eq!((status, body.as_str()), (200, "search"));
        assert_eq!(take(&log)[0].email.as_deref(), Some("a+b@x.com"));

        let (status, body) = send_raw(addr, "GET", "/api/search?email=a+b%40x.com", &headers).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("\"InvalidArgument\""), "{body}");
        assert!(body.contains("percent-encode"), "{body}");
        assert!(take(&log).is_empty());
    })
    .await;
}

#[tokio::test]
async fn raw_plus_can_be_accepted_as_the_literal_plus_it_was_signed_as() {
    run(async {
        let (addr, log) =
            serve(layer("execute-api").with_query_plus_policy(QueryPlusPolicy::LiteralPlus)).await;
        let headers = sign("execute-api", "GET", "/api/search?email=a%2Bb%40x.com", &[]);
        let (status, body) = send_raw(addr, "GET", "/api/search?email=a+b%40x.com", &headers).await;
        assert_eq!((status, body.as_str()), (200, "search"));
        let s = take(&log);
        // The handler's form decoding reads the plus that was signed, not a space.
        assert_eq!(s[0].email.as_deref(), Some("a+b@x.com"));
        assert_eq!(s[0].target, "/api/search?email=a%2Bb%40x.com");

        // A request signed with a space does not verify when sent with '+'.
        let headers = sign("execute-api", "GET", "/api/search?email=a%20b%40x.com", &[]);
        let (status, _) = send_raw(addr, "GET", "/api/search?email=a+b%40x.com", &headers).await;
        assert_eq!(status, 403);
        assert!(take(&log).is_empty());
    })
    .await;
}

#[tokio::test]
async fn header_hygiene_removes_unsigned_headers_and_lists_the_signed_ones() {
    run(async {
        let extra = [("x-tenant", "acme")];
        let headers = {
            let mut h = sign("execute-api", "GET", SIGNED, &extra);
            h.push(("x-role".into(), "admin".into()));
            h.push(("user-agent".into(), "curl/8".into()));
            h
        };

        // Default: unsigned headers reach the handler, which can tell from the identity.
        let (addr, log) = serve(layer("execute-api")).await;
        let (status, _) = send_raw(addr, "GET", SIGNED, &headers).await;
        assert_eq!(status, 200);
        let s = take(&log);
        assert!(s[0].headers.contains(&"x-role".to_owned()));
        assert_eq!(s[0].signed_headers, ["host", "x-amz-date", "x-tenant"]);

        // Hygiene: only signed and transport headers remain.
        let (addr, log) = serve(layer("execute-api").strip_unsigned_headers(true)).await;
        let (status, _) = send_raw(addr, "GET", SIGNED, &headers).await;
        assert_eq!(status, 200);
        let s = take(&log);
        let mut names = s[0].headers.clone();
        names.sort();
        assert_eq!(
            names,
            [
                "authorization",
                "connection",
                "host",
                "x-amz-date",
                "x-tenant"
            ]
        );
    })
    .await;
}
