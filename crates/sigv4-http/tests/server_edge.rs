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
use sigv4::{Credentials, Payload, QueryPlus, SignableRequest, Signer, SigningSettings};
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
    sign_full(
        service,
        method,
        target,
        extra,
        SigningSettings::for_service(service),
    )
}

/// [`sign`] with these settings and no extra header.
fn sign_with(
    service: &str,
    method: &str,
    target: &str,
    settings: SigningSettings,
) -> Vec<(String, String)> {
    sign_full(service, method, target, &[], settings)
}

fn sign_full(
    service: &str,
    method: &str,
    target: &str,
    extra: &[(&str, &str)],
    settings: SigningSettings,
) -> Vec<(String, String)> {
    let mut headers: Vec<(&str, &[u8])> = vec![("host", HOST.as_bytes())];
    headers.extend(extra.iter().map(|(n, v)| (*n, v.as_bytes())));
    let signer = Signer::new("us-east-1", service)
        .unwrap()
        .with_settings(settings);
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
async fn raw_plus_in_the_query_is_read_as_a_space_by_default() {
    run(async {
        let (addr, log) = serve(layer("execute-api")).await;
        // A form-encoding client (requests' params=, reqwest's .query()): `a b@x.com` sent
        // as `a+b%40x.com`, signed with `+` as a space.
        let sent = "/api/search?email=a+b%40x.com";
        let headers = sign_with(
            "execute-api",
            "GET",
            sent,
            SigningSettings::for_service("execute-api").query_plus(QueryPlus::Space),
        );
        let (status, body) = send_raw(addr, "GET", sent, &headers).await;
        assert_eq!((status, body.as_str()), (200, "search"));
        let s = take(&log);
        // The handler gets the spelling that was verified: `%20`, a space to any decoder.
        assert_eq!(s[0].email.as_deref(), Some("a b@x.com"));
        assert_eq!(s[0].target, "/api/search?email=a%20b%40x.com");

        // A plus is `%2B` on the wire and reaches the handler as a plus.
        let signed = "/api/search?email=a%2Bb%40x.com";
        let headers = sign("execute-api", "GET", signed, &[]);
        let (status, body) = send_raw(addr, "GET", signed, &headers).await;
        assert_eq!((status, body.as_str()), (200, "search"));
        assert_eq!(take(&log)[0].email.as_deref(), Some("a+b@x.com"));
        // The same signature with a raw '+' (a space) in its place does not verify.
        let (status, body) = send_raw(addr, "GET", sent, &headers).await;
        assert_eq!(status, 403, "{body}");
        assert!(take(&log).is_empty());
    })
    .await;
}

#[tokio::test]
async fn raw_plus_in_the_query_can_be_refused() {
    run(async {
        let (addr, log) =
            serve(layer("execute-api").with_query_plus_policy(QueryPlusPolicy::Reject)).await;
        let sent = "/api/search?email=a+b%40x.com";
        let headers = sign_with(
            "execute-api",
            "GET",
            sent,
            SigningSettings::for_service("execute-api").query_plus(QueryPlus::Space),
        );
        let (status, body) = send_raw(addr, "GET", sent, &headers).await;
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

// ---------------------------------------------------------------------------------------
// Property: whatever the layer accepts, the inner service sees what was signed.
// ---------------------------------------------------------------------------------------

mod property {
    use super::*;
    use std::convert::Infallible;

    use proptest::prelude::*;
    use tower::{Service, ServiceExt};

    #[derive(Debug, Clone)]
    enum Mutation {
        // Allowed by the SigV4 rules: the signature still matches.
        ReorderQuery,
        LowercaseHex,
        InsertDotSegments(usize),
        DoubleSlash(usize),
        AbsoluteFormSameHost,
        UnsignedHeader,
        // Forbidden: they change the meaning.
        RawPlusForEncodedPlus,
        RawPlusForEncodedSpace,
        ChangeSegment(usize),
        ChangeMethod,
        AbsoluteFormOtherHost,
        OtherAuthorityWithoutHost,
        DropQueryPair,
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            Just(Mutation::ReorderQuery),
            Just(Mutation::LowercaseHex),
            (0usize..4).prop_map(Mutation::InsertDotSegments),
            (0usize..4).prop_map(Mutation::DoubleSlash),
            Just(Mutation::AbsoluteFormSameHost),
            Just(Mutation::UnsignedHeader),
            Just(Mutation::RawPlusForEncodedPlus),
            Just(Mutation::RawPlusForEncodedSpace),
            (0usize..4).prop_map(Mutation::ChangeSegment),
            Just(Mutation::ChangeMethod),
            Just(Mutation::AbsoluteFormOtherHost),
            Just(Mutation::OtherAuthorityWithoutHost),
            Just(Mutation::DropQueryPair),
        ]
    }

    const SEGMENTS: &[&str] = &[
        "a",
        "reports",
        "q3",
        "a%20b",
        "%7E",
        "x.y",
        "caf%C3%A9",
        "p%2Bq",
    ];
    const KEYS: &[&str] = &["k", "email", "a", "x-id"];
    const VALUES: &[&str] = &["1", "a%2Bb", "a%20b", "x%40y.com", "", "%2F"];

    /// The request as the client sends it.
    #[derive(Debug, Clone)]
    struct Wire {
        method: String,
        /// Origin-form or absolute-form target.
        target: String,
        host: Option<String>,
        extra: Vec<(String, String)>,
    }

    fn uri_decode(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        out
    }

    /// Query pairs as SigV4 reads them (percent-decoding, `+` a plus), or as an HTML
    /// form decoder does (`+` a space).
    fn pairs(query: &str, form: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<_> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let dec = |s: &str| {
                    if form {
                        uri_decode(&s.replace('+', " "))
                    } else {
                        uri_decode(s)
                    }
                };
                (dec(k), dec(v))
            })
            .collect();
        v.sort();
        v
    }

    fn path_segments(path: &str) -> Vec<Vec<u8>> {
        path.split('/').map(uri_decode).collect()
    }

    type Seen = (String, String, Option<String>, Vec<String>);

    fn check(
        service: &'static str,
        method: &str,
        segs: &[usize],
        query: &[(usize, usize)],
        mutations: &[Mutation],
        rewrite: bool,
        plus: QueryPlusPolicy,
    ) -> Result<bool, TestCaseError> {
        let path = format!(
            "/{}",
            segs.iter()
                .map(|&i| SEGMENTS[i])
                .collect::<Vec<_>>()
                .join("/")
        );
        let q = query
            .iter()
            .map(|&(k, v)| format!("{}={}", KEYS[k], VALUES[v]))
            .collect::<Vec<_>>()
            .join("&");
        let signed_target = if q.is_empty() {
            path.clone()
        } else {
            format!("{path}?{q}")
        };
        let signed = sign(service, method, &signed_target, &[]);

        let mut wire = Wire {
            method: method.to_owned(),
            target: signed_target.clone(),
            host: Some(HOST.to_owned()),
            extra: signed
                .iter()
                .filter(|(n, _)| n != "host")
                .cloned()
                .collect(),
        };
        for m in mutations {
            let (p, qs) = match wire.target.split_once('?') {
                Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
                None => (wire.target.clone(), None),
            };
            let (scheme_host, p) = match p.find("://") {
                Some(i) => {
                    let end = p[i + 3..].find('/').map_or(p.len(), |j| i + 3 + j);
                    (p[..end].to_owned(), p[end..].to_owned())
                }
                None => (String::new(), p),
            };
            let mut segs: Vec<String> = p.split('/').map(str::to_owned).collect();
            let mut qs = qs;
            match m {
                Mutation::ReorderQuery => {
                    if let Some(q) = &mut qs {
                        let mut parts: Vec<&str> = q.split('&').collect();
                        parts.reverse();
                        *q = parts.join("&");
                    }
                }
                Mutation::LowercaseHex => {
                    if let Some(q) = &mut qs {
                        *q = q.replace("%2B", "%2b").replace("%2F", "%2f");
                    }
                }
                Mutation::InsertDotSegments(i) => {
                    let at = 1 + i % segs.len().max(1);
                    segs.insert(at.min(segs.len()), "..".into());
                    segs.insert(at.min(segs.len()), "zz".into());
                    segs.insert(1, ".".into());
                }
                Mutation::DoubleSlash(i) => {
                    let at = 1 + i % segs.len().max(1);
                    segs.insert(at.min(segs.len()), String::new());
                }
                Mutation::AbsoluteFormSameHost => {
                    if scheme_host.is_empty() {
                        wire.target = String::new();
                    }
                }
                Mutation::UnsignedHeader => {
                    wire.extra.push(("x-forwarded-user".into(), "admin".into()))
                }
                Mutation::RawPlusForEncodedPlus => {
                    if let Some(q) = &mut qs {
                        *q = q.replace("%2B", "+");
                    }
                }
                Mutation::RawPlusForEncodedSpace => {
                    if let Some(q) = &mut qs {
                        *q = q.replace("%20", "+");
                    }
                }
                Mutation::ChangeSegment(i) => {
                    let at = 1 + i % (segs.len() - 1).max(1);
                    if at < segs.len() {
                        segs[at].push('x');
                    }
                }
                Mutation::ChangeMethod => {
                    wire.method = if wire.method == "GET" {
                        "DELETE".into()
                    } else {
                        "GET".into()
                    }
                }
                Mutation::AbsoluteFormOtherHost => wire.target = "EVIL".into(),
                Mutation::OtherAuthorityWithoutHost => {
                    wire.target = "EVIL".into();
                    wire.host = None;
                }
                Mutation::DropQueryPair => {
                    if let Some(q) = &mut qs {
                        *q = q.split('&').skip(1).collect::<Vec<_>>().join("&");
                    }
                }
            }
            let prefix = match wire.target.as_str() {
                "" => format!("http://{HOST}"),
                "EVIL" => "http://evil.example.net".to_owned(),
                _ => scheme_host,
            };
            wire.target = format!(
                "{prefix}{}{}",
                segs.join("/"),
                qs.map(|q| format!("?{q}")).unwrap_or_default()
            );
        }

        // Through the layer, in process: the inner service records what it receives.
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let rec = log.clone();
        let inner = tower::service_fn(
            move |req: http::Request<sigv4_http::tower::VerifiedRequestBody>| {
                let rec = rec.clone();
                async move {
                    let host = req
                        .uri()
                        .authority()
                        .map(|a| a.as_str().to_owned())
                        .or_else(|| {
                            req.headers()
                                .get("host")
                                .map(|h| h.to_str().unwrap().to_owned())
                        });
                    rec.lock().unwrap().push((
                        req.method().to_string(),
                        req.uri()
                            .path_and_query()
                            .map_or("/", |p| p.as_str())
                            .to_owned(),
                        host,
                        req.headers()
                            .keys()
                            .map(|k| k.as_str().to_owned())
                            .collect(),
                    ));
                    Ok::<_, Infallible>(http::Response::new(Empty::<Bytes>::new()))
                }
            },
        );
        let layer = layer(service)
            .with_path_policy(if rewrite {
                PathPolicy::Rewrite
            } else {
                PathPolicy::Reject
            })
            .with_query_plus_policy(plus)
            .strip_unsigned_headers(true);
        let mut svc = tower::Layer::layer(&layer, inner);
        let mut req = http::Request::builder()
            .method(wire.method.as_str())
            .uri(wire.target.as_str());
        if let Some(h) = &wire.host {
            req = req.header("host", h.as_str());
        }
        for (n, v) in &wire.extra {
            req = req.header(n.as_str(), v.as_str());
        }
        let Ok(req) = req.body(Empty::<Bytes>::new()) else {
            return Ok(false); // not a valid HTTP request: nothing reaches the layer
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let resp = rt.block_on(async {
            ServiceExt::<http::Request<Empty<Bytes>>>::ready(&mut svc)
                .await
                .unwrap()
                .call(req)
                .await
                .unwrap()
        });
        let seen = log.lock().unwrap().clone();
        if !resp.status().is_success() {
            prop_assert!(
                seen.is_empty(),
                "refused ({}) but the inner service ran",
                resp.status()
            );
            return Ok(false);
        }
        prop_assert_eq!(seen.len(), 1);
        let (m, target, authority, headers) = &seen[0];
        let (p, q) = target.split_once('?').unwrap_or((target.as_str(), ""));
        let (sp, sq) = signed_target
            .split_once('?')
            .unwrap_or((signed_target.as_str(), ""));
        prop_assert_eq!(m.as_str(), method, "method");
        prop_assert_eq!(
            path_segments(p),
            path_segments(sp),
            "path {} for signed {}",
            p,
            sp
        );
        prop_assert_eq!(
            pairs(q, true),
            pairs(sq, false),
            "query {} for signed {}",
            q,
            sq
        );
        let authority = authority.clone().unwrap_or_default().to_ascii_lowercase();
        prop_assert!(
            authority == HOST || authority == format!("{HOST}:80"),
            "authority {}",
            authority
        );
        let signed_names: Vec<String> =
            signed.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        for h in headers {
            prop_assert!(
                signed_names.contains(h) || h == "authorization",
                "unsigned header {} reached the inner service",
                h
            );
        }
        Ok(true)
    }

    /// The property is not vacuous: requests as signed, or changed only in ways the rules
    /// allow and the edge accepts, are accepted.
    #[test]
    fn allowed_changes_are_accepted() {
        use Mutation::*;
        for service in ["s3", "execute-api"] {
            for mutations in [
                vec![],
                vec![ReorderQuery],
                vec![UnsignedHeader],
                vec![AbsoluteFormSameHost],
                vec![LowercaseHex, ReorderQuery],
            ] {
                let accepted = check(
                    service,
                    "GET",
                    &[1, 3, 7],
                    &[(1, 1), (0, 3), (2, 2)],
                    &mutations,
                    false,
                    QueryPlusPolicy::Reject,
                )
                .unwrap();
                assert!(accepted, "{service} {mutations:?}");
            }
            // A raw '+' for an encoded space is the same query under the default.
            assert!(check(
                service,
                "GET",
                &[1],
                &[(1, 2)],
                &[RawPlusForEncodedSpace],
                false,
                QueryPlusPolicy::Space
            )
            .unwrap());
            // Rewritten dot segments and a raw '+' read as a plus, as configured.
            if service != "s3" {
                assert!(check(
                    service,
                    "GET",
                    &[1, 2],
                    &[],
                    &[InsertDotSegments(1)],
                    true,
                    QueryPlusPolicy::Reject
                )
                .unwrap());
                assert!(check(
                    service,
                    "GET",
                    &[1],
                    &[(1, 1)],
                    &[RawPlusForEncodedPlus],
                    false,
                    QueryPlusPolicy::LiteralPlus
                )
                .unwrap());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn accepted_requests_reach_the_inner_service_as_signed(
            s3 in any::<bool>(),
            put in any::<bool>(),
            segs in prop::collection::vec(0..SEGMENTS.len(), 1..4),
            query in prop::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..3),
            mutations in prop::collection::vec(mutation(), 0..3),
            rewrite in any::<bool>(),
            plus in prop_oneof![
                Just(QueryPlusPolicy::Space),
                Just(QueryPlusPolicy::Reject),
                Just(QueryPlusPolicy::LiteralPlus),
            ],
        ) {
            let service = if s3 { "s3" } else { "execute-api" };
            let method = if put { "PUT" } else { "GET" };
            let _accepted = check(service, method, &segs, &query, &mutations, rewrite, plus)?;
        }
    }
}

/// Issue 22 F1: an authority-form target or CONNECT, with a valid signature for `/`,
/// never reaches the application.
#[tokio::test]
async fn authority_form_and_connect_targets_are_refused() {
    run(async {
        let (addr, log) = serve(layer("execute-api")).await;
        let root = sign("execute-api", "GET", "/", &[]);
        for (method, target, signed) in [
            ("GET", "evil.example.net:80", &root),
            ("GET", "api.example.com:80", &root),
            (
                "CONNECT",
                "evil.example.net:443",
                &sign("execute-api", "CONNECT", "/", &[]),
            ),
        ] {
            let (status, body) = send_raw(addr, method, target, signed).await;
            assert_eq!(status, 400, "{method} {target}: {body}");
            assert!(body.contains("InvalidRequest"), "{method} {target}: {body}");
        }
        assert!(take(&log).is_empty(), "no handler ran");
    })
    .await;
}

/// Issue 22 F3: a presigned URL plus an unsigned `X-Amz-Security-Token` header.
#[tokio::test]
async fn an_unsigned_security_token_header_on_a_presigned_url_is_refused() {
    run(async {
        let (addr, log) = serve(layer("execute-api")).await;
        let presigner = Signer::new("us-east-1", "execute-api")
            .unwrap()
            .with_settings(
                SigningSettings::for_service("execute-api").presigned(Duration::from_secs(300)),
            );
        let url = presigner
            .presign_url(
                "GET",
                &format!("http://{HOST}{SIGNED}"),
                &alice(),
                SystemTime::now(),
            )
            .unwrap();
        let target = &url[format!("http://{HOST}").len()..];
        let host = vec![("host".to_owned(), HOST.to_owned())];
        let (status, body) = send_raw(addr, "GET", target, &host).await;
        assert_eq!((status, body.as_str()), (200, "reports"));
        take(&log);
        let mut with_token = host.clone();
        with_token.push(("X-Amz-Security-Token".into(), "anything".into()));
        let (status, body) = send_raw(addr, "GET", target, &with_token).await;
        assert_ne!(status, 200, "{body}");
        assert!(
            body.to_ascii_lowercase().contains("x-amz-security-token"),
            "{body}"
        );
        assert!(take(&log).is_empty(), "no handler ran");
    })
    .await;
}

/// Issue 22 F4: under the S3 rules a raw `café` and `caf%C3%A9` verify alike; only the
/// canonical spelling reaches the application.
#[tokio::test]
async fn s3_raw_spellings_of_an_encoded_path_are_refused() {
    run(async {
        let (addr, log) = serve(layer("s3")).await;
        let signed = "/api/reports/caf%C3%A9";
        let headers = sign("s3", "GET", signed, &[]);
        let (status, body) = send_raw(addr, "GET", signed, &headers).await;
        assert_eq!((status, body.as_str()), (200, "reports"));
        assert_eq!(take(&log)[0].target, signed);
        for raw in ["/api/reports/caf\u{e9}", "/api/reports/a{b}"] {
            let headers = sign("s3", "GET", raw, &[]);
            let (status, body) = send_raw(addr, "GET", raw, &headers).await;
            assert_eq!(status, 400, "{raw}: {body}");
            assert!(body.contains("InvalidURI"), "{raw}: {body}");
        }
        assert!(take(&log).is_empty(), "no handler ran");
    })
    .await;
}

/// Issue #22 item 6: requests generated from the edge policy's own grammar (authority
/// forms, path and query encodings, framing headers, header-name spellings), each signed
/// once and sent as raw HTTP/1.1 over TCP to hyper + `VerifyLayer` + axum. The promise:
/// whatever is accepted reaches the application as signed (method, host, the decoded
/// path segments and the decoded query pairs), and the forms the policy refuses are never
/// accepted.
mod grammar {
    use super::*;
    use proptest::prelude::*;
    use std::io::{Read, Write};
    use std::sync::OnceLock;

    /// What the handler saw: method, host, path, query.
    type Sink = Arc<Mutex<Vec<(String, String, String, String)>>>;

    struct Server {
        _rt: tokio::runtime::Runtime,
        addrs: Vec<(&'static str, SocketAddr)>,
        sink: Sink,
    }

    fn server() -> &'static Server {
        static S: OnceLock<Server> = OnceLock::new();
        S.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            let sink: Sink = Arc::default();
            let mut addrs = Vec::new();
            for service in ["execute-api", "s3"] {
                let log = sink.clone();
                let app = Router::new().fallback(
                    move |method: http::Method, uri: http::Uri, headers: http::HeaderMap| {
                        let log = log.clone();
                        async move {
                            let host = headers
                                .get("host")
                                .map(|h| h.to_str().unwrap_or("").to_owned())
                                .unwrap_or_default();
                            log.lock().unwrap().push((
                                method.to_string(),
                                host,
                                uri.path().to_owned(),
                                uri.query().unwrap_or("").to_owned(),
                            ));
                            "app"
                        }
                    },
                );
                let wrapped = Router::new()
                    .fallback_service(tower::Layer::layer(&layer(service).for_axum(), app));
                let listener = rt
                    .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                    .unwrap();
                addrs.push((service, listener.local_addr().unwrap()));
                rt.spawn(async move { axum::serve(listener, wrapped).await.unwrap() });
            }
            Server {
                _rt: rt,
                addrs,
                sink,
            }
        })
    }

    /// Percent-decodes (a raw `+` is a plus in paths).
    fn decode(s: &str, plus_is_space: bool) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                let hex = |c: u8| (c as char).to_digit(16);
                if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(if plus_is_space && b[i] == b'+' {
                b' '
            } else {
                b[i]
            });
            i += 1;
        }
        out
    }

    /// The decoded query pairs, sorted (as the signature covers them).
    fn pairs(q: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<_> = q
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k, true), decode(v, true))
            })
            .collect();
        v.sort();
        v
    }

    /// A path segment's characters: plain, unreserved, and ones that must be encoded.
    fn seg_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            1 => prop::sample::select(vec!['-', '.', '_', '~', ' ', '+', 'é', '{', '%', '&', '=']),
        ]
    }

    /// Query value characters: spaces and pluses often (the `+` rule).
    fn value_char() -> impl Strategy<Value = char> {
        prop_oneof![
            2 => prop::char::range('a', 'c'),
            2 => prop::sample::select(vec![' ', '+']),
            1 => prop::sample::select(vec!['&', '=', 'é', '%', '/']),
        ]
    }

    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    #[derive(Debug, Clone)]
    struct Case {
        s3: bool,
        segments: Vec<String>,
        query: Vec<(String, String)>,
        form: u8,
        path_mutation: u8,
        plus_spelling: u8,
        framing: u8,
        header_case: u8,
    }

    fn case() -> impl Strategy<Value = Case> {
        (
            any::<bool>(),
            prop::collection::vec(prop::collection::vec(seg_char(), 1..5), 1..4),
            prop::collection::vec(
                (
                    prop::collection::vec(prop::char::range('a', 'c'), 1..3),
                    prop::collection::vec(value_char(), 0..4),
                ),
                0..3,
            ),
            0u8..5,
            0u8..6,
            0u8..3,
            0u8..4,
            0u8..3,
        )
            .prop_map(|(s3, segs, q, form, pm, plus, framing, hc)| Case {
                s3,
                segments: segs.into_iter().map(|c| c.into_iter().collect()).collect(),
                query: q
                    .into_iter()
                    .map(|(k, v)| (k.into_iter().collect(), v.into_iter().collect()))
                    .collect(),
                form,
                path_mutation: pm,
                plus_spelling: plus,
                framing,
                header_case: hc,
            })
    }

    /// Sends raw bytes; returns the status.
    fn exchange(addr: SocketAddr, raw: &[u8]) -> u16 {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(raw);
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf);
        text.split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }

    fn check(c: &Case) -> Result<(), TestCaseError> {
        let service = if c.s3 { "s3" } else { "execute-api" };
        let path: String = c.segments.iter().map(|s| format!("/{}", enc(s))).collect();
        let query: Vec<String> = c
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        let query = query.join("&");
        let signed = if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{query}")
        };
        let lines = sign(service, "GET", &signed, &[]);
        // The spelling sent.
        let sent_path = match c.path_mutation {
            1 => path.replacen('/', "/./", 1),
            2 => format!("/x/..{path}"),
            3 => path.replacen('/', "//", 1),
            4 => path.replace("%20", " ").replace("%C3%A9", "é"),
            5 => path.replace('a', "%61"),
            _ => path.clone(),
        };
        let sent_query = match c.plus_spelling {
            1 => query.replace("%20", "+"),
            2 => query.replace("%2B", "+"),
            _ => query.clone(),
        };
        let origin = if sent_query.is_empty() {
            sent_path.clone()
        } else {
            format!("{sent_path}?{sent_query}")
        };
        let target = match c.form {
            1 => format!("http://{HOST}{origin}"),
            2 => format!("http://API.Example.com:80{origin}"),
            3 => format!("http://evil.example.net{origin}"),
            4 => format!("{HOST}:80"),
            _ => origin.clone(),
        };
        let mut raw = format!("GET {target} HTTP/1.1\r\n").into_bytes();
        for (n, v) in &lines {
            let n = match c.header_case {
                1 => n.to_ascii_uppercase(),
                2 => n.to_ascii_lowercase(),
                _ => n.clone(),
            };
            raw.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        let body: &[u8] = match c.framing {
            1 => b"Content-Length: 0\r\n",
            2 => b"Transfer-Encoding: chunked\r\n",
            3 => b"Transfer-Encoding: gzip\r\n",
            _ => b"",
        };
        raw.extend_from_slice(body);
        raw.extend_from_slice(b"Connection: close\r\n\r\n");
        if c.framing == 2 {
            raw.extend_from_slice(b"0\r\n\r\n");
        }
        let srv = server();
        let addr = srv.addrs.iter().find(|(s, _)| *s == service).unwrap().1;
        srv.sink.lock().unwrap().clear();
        let status = exchange(addr, &raw);
        let seen = std::mem::take(&mut *srv.sink.lock().unwrap());
        if status != 200 {
            prop_assert!(
                seen.is_empty(),
                "refused ({status}) yet the app ran: {seen:?}"
            );
            return Ok(());
        }
        // Never accepted: another authority, authority form, a bad Transfer-Encoding.
        prop_assert!(c.form < 3, "{target} accepted");
        prop_assert!(c.framing != 3, "Transfer-Encoding: gzip accepted");
        prop_assert_eq!(seen.len(), 1);
        let (method, host, app_path, app_query) = &seen[0];
        prop_assert_eq!(method.as_str(), "GET");
        prop_assert_eq!(host.to_ascii_lowercase(), HOST);
        let segs =
            |p: &str| -> Vec<Vec<u8>> { p.split('/').skip(1).map(|s| decode(s, false)).collect() };
        prop_assert_eq!(
            segs(app_path),
            segs(&path),
            "{} reached the app as {}",
            target,
            app_path
        );
        prop_assert!(
            !app_query.contains('+'),
            "a raw '+' reached the app: {app_query}"
        );
        prop_assert_eq!(
            pairs(app_query),
            pairs(&query),
            "{} -> query {}",
            target,
            app_query
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn accepted_requests_reach_the_app_as_signed(c in case()) {
            check(&c)?;
        }
    }
}
