//! End to end against a real S3 server that verifies signatures: `s3s` with the `s3s-fs`
//! backend, started in-process on 127.0.0.1 by each test.
//!
//! In front of s3s sits a thin layer that also runs `sigv4::verify` on each request exactly
//! as it arrived over HTTP (and, for aws-chunked bodies, verifies every chunk), and records
//! the verdict. So each test checks two independent verifiers: s3s's answer (status code)
//! and ours (recorded verdict). s3s's `SimpleAuth` does not validate session tokens (its
//! lookup only sees the access key); the token is checked by our verifier only.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use sigv4::chunked::{ChunkedBody, ChunkedReader, ChunkedSettings, StreamingMode};
use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{Credentials, Payload, Signer, SigningSettings};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const AK: &str = "AKIAE2ETESTKEY";
const SK: &str = "e2e/secret+key/for/the/in-process/s3s/server";
const TEMP_AK: &str = "ASIAE2ETEMPKEY";
const TEMP_SK: &str = "temporary/secret/of/the/session";
const TOKEN: &str = "IQoJb3JpZ2luX2VjE+session/token==";
const TIMEOUT: Duration = Duration::from_secs(30);

fn creds() -> Credentials {
    Credentials::new(AK, SK, None, None)
}

fn temp_creds() -> Credentials {
    Credentials::new(TEMP_AK, TEMP_SK, Some(TOKEN.to_owned()), None)
}

/// Our verifier's verdict on one request, as received.
#[derive(Debug, Clone)]
struct Verdict {
    method: String,
    path: String,
    /// `Ok(())` or the AWS error code.
    headers: Result<(), String>,
    /// For aws-chunked bodies: the decoded length, or the error.
    chunks: Option<Result<u64, String>>,
}

struct Server {
    addr: SocketAddr,
    root: PathBuf,
    log: Arc<Mutex<Vec<Verdict>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Server {
    async fn start(name: &str) -> Server {
        let root = std::env::temp_dir().join(format!(
            "sigv4-e2e-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&root).unwrap();
        let fs = s3s_fs::FileSystem::new(&root).unwrap();
        let mut auth = SimpleAuth::new();
        auth.register(AK.to_owned(), SK.into());
        auth.register(TEMP_AK.to_owned(), TEMP_SK.into());
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(auth);
        let service = b.build();

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = Arc::clone(&log);
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let log = Arc::clone(&log2);
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(req, service.clone(), Arc::clone(&log)));
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
        Server {
            addr,
            root,
            log,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn verdicts(&self) -> Vec<Verdict> {
        self.log.lock().unwrap().clone()
    }

    fn last_verdict(&self) -> Verdict {
        self.verdicts()
            .last()
            .cloned()
            .expect("no request reached the server")
    }

    async fn create_bucket(&self, bucket: &str) {
        let mut req = Request::put(self.url(&format!("/{bucket}")))
            .body(Vec::new())
            .unwrap();
        signer()
            .sign_http_request(&mut req, &creds(), SystemTime::now())
            .unwrap();
        let (status, _, body) = send(req).await;
        assert_eq!(status, StatusCode::OK, "create bucket: {}", text(&body));
    }

    async fn get(&self, path: &str) -> (StatusCode, Bytes) {
        let mut req = Request::get(self.url(path)).body(Vec::new()).unwrap();
        signer()
            .sign_http_request(&mut req, &creds(), SystemTime::now())
            .unwrap();
        let (status, _, body) = send(req).await;
        (status, body)
    }
}

/// Our verification of the request as it arrived, then s3s's.
async fn handle(
    req: Request<hyper::body::Incoming>,
    service: S3Service,
    log: Arc<Mutex<Vec<Verdict>>>,
) -> Result<Response<s3s::Body>, Infallible> {
    let (parts, body) = req.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let mut r = Response::new(s3s::Body::empty());
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(r);
        }
    };
    let head = Request::from_parts(parts, ());
    let verdict = our_verdict(&head, &bytes);
    log.lock().unwrap().push(verdict);
    let req = head.map(|()| s3s::Body::from(bytes));
    Ok(match service.call(req).await {
        Ok(resp) => resp,
        Err(_) => {
            let mut r = Response::new(s3s::Body::empty());
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    })
}

fn our_verdict(head: &Request<()>, body: &[u8]) -> Verdict {
    let keys: HashMap<&str, Credentials> = [(AK, creds()), (TEMP_AK, temp_creds())].into();
    let lookup = |id: &str| keys.get(id).cloned();
    let verifier = Verifier::new("us-east-1", "s3").unwrap();
    let view = VerifiableRequest::from_http(head, VerifyBody::Bytes(body));
    let (headers, chunks) = match verifier.verify(&view, &lookup, SystemTime::now()) {
        Ok(v) => {
            let chunks = v.chunked_body().map(|mut c| {
                let mut out = Vec::new();
                c.push(body, &mut out)
                    .and_then(|_| c.finish())
                    .map(|_| out.len() as u64)
                    .map_err(|e| format!("{}: {e}", e.code()))
            });
            (Ok(()), chunks)
        }
        Err(e) => (Err(e.code().to_owned()), None),
    };
    Verdict {
        method: head.method().to_string(),
        path: head.uri().path().to_owned(),
        headers,
        chunks,
    }
}

fn signer() -> Signer {
    Signer::new("us-east-1", "s3").unwrap()
}

fn presigner() -> Signer {
    signer().with_settings(SigningSettings::s3().presigned(Duration::from_secs(300)))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Sends `req` (whose URI is absolute) on a fresh connection, in origin form.
async fn send<B>(req: Request<B>) -> (StatusCode, http::HeaderMap, Bytes)
where
    B: Into<Full<Bytes>>,
{
    let req = req.map(|b| b.into().map_err(|e| -> BoxError { match e {} }));
    send_body(req).await
}

async fn send_body<B>(req: Request<B>) -> (StatusCode, http::HeaderMap, Bytes)
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let fut = async move {
        let authority = req.uri().authority().expect("absolute URI").to_string();
        let (mut parts, body) = req.into_parts();
        parts.uri = parts
            .uri
            .path_and_query()
            .expect("path")
            .as_str()
            .parse()
            .unwrap();
        assert!(parts.headers.contains_key("host"), "the signer sets Host");
        let stream = TcpStream::connect(&authority).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let resp = sender
            .send_request(Request::from_parts(parts, body))
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body)
    };
    tokio::time::timeout(TIMEOUT, fut)
        .await
        .expect("the request timed out")
}

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test]
async fn put_with_payload_hash_and_unsigned_payload_then_get() {
    let server = Server::start("put").await;
    server.create_bucket("bucket").await;

    // Header mode, payload hash.
    let data = payload(70_000, 1);
    let mut req = Request::put(server.url("/bucket/dir/hashed%20key.bin"))
        .header("content-type", "application/octet-stream")
        .header("x-amz-meta-purpose", "e2e test")
        .body(data.clone())
        .unwrap();
    signer()
        .sign_http_request(&mut req, &creds(), SystemTime::now())
        .unwrap();
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    assert_eq!(server.last_verdict().headers, Ok(()));

    // Header mode, UNSIGNED-PAYLOAD.
    let data2 = payload(1000, 2);
    let mut req = Request::put(server.url("/bucket/unsigned.bin"))
        .body(data2.clone())
        .unwrap();
    signer()
        .sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds(), SystemTime::now())
        .unwrap();
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    assert_eq!(server.last_verdict().headers, Ok(()));

    let (status, body) = server.get("/bucket/dir/hashed%20key.bin").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), data.as_slice());
    let (status, body) = server.get("/bucket/unsigned.bin").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), data2.as_slice());

    // Every request verified on our side too.
    let v = server.verdicts();
    assert_eq!(v.len(), 5);
    assert!(v.iter().all(|v| v.headers.is_ok()), "{v:?}");
}

#[tokio::test]
async fn presigned_put_and_get() {
    let server = Server::start("presign").await;
    server.create_bucket("bucket").await;
    let data = payload(5000, 3);

    let mut put = Request::put(server.url("/bucket/presigned.txt?x-id=PutObject"))
        .body(data.clone())
        .unwrap();
    let out = presigner()
        .sign_http_request_with_payload(&mut put, Payload::Unsigned, &creds(), SystemTime::now())
        .unwrap();
    assert!(put.uri().query().unwrap().contains("X-Amz-Signature="));
    assert!(put.headers().get("authorization").is_none());
    assert!(out.query_string().contains("X-Amz-Expires=300"));
    let (status, _, body) = send(put).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    assert_eq!(server.last_verdict().headers, Ok(()));

    let mut get = Request::get(server.url("/bucket/presigned.txt"))
        .body(Vec::new())
        .unwrap();
    presigner()
        .sign_http_request_with_payload(&mut get, Payload::Unsigned, &creds(), SystemTime::now())
        .unwrap();
    let (status, _, body) = send(get.clone()).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    assert_eq!(body.as_ref(), data.as_slice());
    assert_eq!(server.last_verdict().headers, Ok(()));

    // The same URL with one signature digit changed is refused by both.
    let uri = get.uri().to_string();
    let i = uri.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut bad = uri.into_bytes();
    bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
    *get.uri_mut() = String::from_utf8(bad).unwrap().parse().unwrap();
    let (status, _, body) = send(get).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", text(&body));
    assert!(
        text(&body).contains("SignatureDoesNotMatch"),
        "{}",
        text(&body)
    );
    assert_eq!(
        server.last_verdict().headers,
        Err("SignatureDoesNotMatch".into())
    );
}

#[tokio::test]
async fn corrupted_signature_is_refused() {
    let server = Server::start("corrupt").await;
    server.create_bucket("bucket").await;
    let mut req = Request::put(server.url("/bucket/x"))
        .body(b"data".to_vec())
        .unwrap();
    signer()
        .sign_http_request(&mut req, &creds(), SystemTime::now())
        .unwrap();
    let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
    let last = auth.chars().last().unwrap();
    let bad = format!(
        "{}{}",
        &auth[..auth.len() - 1],
        if last == 'a' { 'b' } else { 'a' }
    );
    req.headers_mut()
        .insert("authorization", bad.parse().unwrap());
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", text(&body));
    assert!(
        text(&body).contains("SignatureDoesNotMatch"),
        "{}",
        text(&body)
    );
    assert_eq!(
        server.last_verdict().headers,
        Err("SignatureDoesNotMatch".into())
    );

    // A wrong secret, and a body changed after signing.
    let mut req = Request::put(server.url("/bucket/y"))
        .body(b"data".to_vec())
        .unwrap();
    signer()
        .sign_http_request(
            &mut req,
            &Credentials::new(AK, "not-the-secret", None, None),
            SystemTime::now(),
        )
        .unwrap();
    let (status, _, _) = send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut req = Request::put(server.url("/bucket/z"))
        .body(b"data".to_vec())
        .unwrap();
    signer()
        .sign_http_request(&mut req, &creds(), SystemTime::now())
        .unwrap();
    *req.body_mut() = b"DATA".to_vec();
    let (status, _, body) = send(req).await;
    // s3s notices the mismatch while streaming the body into s3s-fs, which reports it
    // as an InternalError (500) rather than XAmzContentSHA256Mismatch; either way it is
    // refused and nothing is stored. Ours names it.
    assert!(!status.is_success(), "{status} {}", text(&body));
    assert_eq!(
        server.last_verdict().headers,
        Err("XAmzContentSHA256Mismatch".into())
    );
    // Nothing was stored.
    assert_eq!(server.get("/bucket/z").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn session_token_requests() {
    let server = Server::start("token").await;
    server.create_bucket("bucket").await;
    let data = payload(3000, 4);
    let mut req = Request::put(server.url("/bucket/temp.bin"))
        .body(data.clone())
        .unwrap();
    signer()
        .sign_http_request(&mut req, &temp_creds(), SystemTime::now())
        .unwrap();
    assert_eq!(req.headers()["x-amz-security-token"], TOKEN);
    assert!(req.headers()["authorization"]
        .to_str()
        .unwrap()
        .contains("x-amz-security-token"));
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    assert_eq!(server.last_verdict().headers, Ok(()));

    // Presigned with the token.
    let mut get = Request::get(server.url("/bucket/temp.bin"))
        .body(Vec::new())
        .unwrap();
    presigner()
        .sign_http_request_with_payload(
            &mut get,
            Payload::Unsigned,
            &temp_creds(),
            SystemTime::now(),
        )
        .unwrap();
    assert!(get.uri().query().unwrap().contains("X-Amz-Security-Token="));
    let (status, _, body) = send(get).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    assert_eq!(body.as_ref(), data.as_slice());
    assert_eq!(server.last_verdict().headers, Ok(()));

    // A wrong token: s3s does not check tokens (the signature itself is valid), ours does.
    let wrong = Credentials::new(TEMP_AK, TEMP_SK, Some("forged-token".into()), None);
    let mut req = Request::get(server.url("/bucket/temp.bin"))
        .body(Vec::new())
        .unwrap();
    signer()
        .sign_http_request(&mut req, &wrong, SystemTime::now())
        .unwrap();
    let _ = send(req).await;
    assert_eq!(server.last_verdict().headers, Err("InvalidToken".into()));
}

fn xml_value<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + open.len();
    let end = start + xml[start..].find("</").unwrap();
    &xml[start..end]
}

#[tokio::test]
async fn multipart_upload() {
    let server = Server::start("multipart").await;
    server.create_bucket("bucket").await;
    let now = SystemTime::now;

    let mut req = Request::post(server.url("/bucket/big.bin?uploads"))
        .body(Vec::new())
        .unwrap();
    signer()
        .sign_http_request(&mut req, &creds(), now())
        .unwrap();
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    let upload_id = xml_value(&text(&body), "UploadId").to_owned();

    // Part 1 must be at least 5 MiB; send it UNSIGNED-PAYLOAD, part 2 with its hash.
    let parts = [payload(5 * 1024 * 1024, 5), payload(12_345, 6)];
    let mut etags = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let n = i + 1;
        let mut req = Request::put(server.url(&format!(
            "/bucket/big.bin?partNumber={n}&uploadId={upload_id}"
        )))
        .body(data.clone())
        .unwrap();
        if n == 1 {
            signer()
                .sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds(), now())
                .unwrap();
        } else {
            signer()
                .sign_http_request(&mut req, &creds(), now())
                .unwrap();
        }
        let (status, headers, body) = send(req).await;
        assert_eq!(status, StatusCode::OK, "part {n}: {}", text(&body));
        etags.push(headers["etag"].to_str().unwrap().to_owned());
        assert_eq!(server.last_verdict().headers, Ok(()));
    }
    let mut complete = String::from("<CompleteMultipartUpload>");
    for (i, etag) in etags.iter().enumerate() {
        complete.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
            i + 1
        ));
    }
    complete.push_str("</CompleteMultipartUpload>");
    let mut req = Request::post(server.url(&format!("/bucket/big.bin?uploadId={upload_id}")))
        .header("content-type", "application/xml")
        .body(complete.into_bytes())
        .unwrap();
    signer()
        .sign_http_request(&mut req, &creds(), now())
        .unwrap();
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "{}", text(&body));
    assert_eq!(server.last_verdict().headers, Ok(()));

    let (status, body) = server.get("/bucket/big.bin").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.len(), parts[0].len() + parts[1].len());
    assert!(
        body.as_ref()
            == [parts[0].as_slice(), parts[1].as_slice()]
                .concat()
                .as_slice()
    );
}

#[tokio::test]
async fn streaming_uploads_in_every_mode() {
    let server = Server::start("streaming").await;
    server.create_bucket("bucket").await;
    let modes = [
        StreamingMode::Signed,
        StreamingMode::SignedWithTrailer,
        StreamingMode::UnsignedWithTrailer,
    ];
    for (i, mode) in modes.into_iter().enumerate() {
        let data = payload(150_000 + i, 7 + i as u8);
        let mut settings = ChunkedSettings::new(mode);
        if mode.has_trailer() {
            settings = settings
                .with_checksum(sigv4::chunked::ChecksumAlgorithm::Crc32)
                .unwrap();
        }
        let key = format!("/bucket/stream-{i}.bin");
        let mut req = Request::put(server.url(&key)).body(()).unwrap();
        let encoder = sigv4::chunked::sign_http_request(
            &signer(),
            &mut req,
            settings,
            data.len() as u64,
            &creds(),
            SystemTime::now(),
        )
        .unwrap();
        let inner = Full::new(Bytes::from(data.clone())).map_err(|e| -> BoxError { match e {} });
        let req = req.map(|()| ChunkedBody::new(inner, encoder));
        let (status, _, body) = send_body(req).await;
        assert_eq!(status, StatusCode::OK, "{mode:?}: {}", text(&body));
        let v = server.last_verdict();
        assert_eq!(v.headers, Ok(()), "{mode:?}");
        assert_eq!(v.chunks, Some(Ok(data.len() as u64)), "{mode:?}");

        let (status, body) = server.get(&key).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.as_ref(), data.as_slice(), "{mode:?}");
    }

    // A signed stream with one data byte changed in flight: both refuse.
    let data = payload(100_000, 42);
    let settings = ChunkedSettings::new(StreamingMode::Signed);
    let mut req = Request::put(server.url("/bucket/tampered.bin"))
        .body(())
        .unwrap();
    let encoder = sigv4::chunked::sign_http_request(
        &signer(),
        &mut req,
        settings,
        data.len() as u64,
        &creds(),
        SystemTime::now(),
    )
    .unwrap();
    let mut encoded = Vec::new();
    std::io::Read::read_to_end(&mut ChunkedReader::new(&data[..], encoder), &mut encoded).unwrap();
    let pos = encoded.len() / 2;
    encoded[pos] ^= 0x01;
    let req = req.map(|()| encoded);
    let (status, _, body) = send(req).await;
    assert!(
        !status.is_success(),
        "accepted a tampered chunk: {}",
        text(&body)
    );
    let v = server.last_verdict();
    assert_eq!(v.headers, Ok(()));
    assert!(
        matches!(&v.chunks, Some(Err(e)) if e.starts_with("SignatureDoesNotMatch")),
        "{v:?}"
    );
    assert_eq!(
        server.get("/bucket/tampered.bin").await.0,
        StatusCode::NOT_FOUND
    );
    let _ = (v.method, v.path);
}
