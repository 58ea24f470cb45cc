//! The blocking signer against a real `std::net::TcpListener` server on 127.0.0.1 that
//! verifies every request with the core verifier: through ureq 3 and through a raw
//! `TcpStream`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime};

use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::Credentials;
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::{Error, RequestSigner};

const AKID: &str = "AKIDBLOCKING";
const SECRET: &str = "blocking/secret/key/EXAMPLE";

fn creds(token: Option<&str>) -> Credentials {
    Credentials::new(AKID, SECRET, token.map(str::to_owned), None)
}

/// Serves `n` connections, one request each: 200 with the verified access key id, or the
/// verifier's status and error code.
fn server(
    verifier: Verifier,
    known: Credentials,
    n: usize,
) -> (SocketAddr, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        for _ in 0..n {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            handle_one(stream, &verifier, &known);
        }
    });
    (addr, handle)
}

fn handle_one(stream: TcpStream, verifier: &Verifier, known: &Credentials) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap().to_owned();
    let target = parts.next().unwrap().to_owned();
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':').unwrap();
        headers.push((n.trim().to_ascii_lowercase(), v.trim().as_bytes().to_vec()));
    }
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| std::str::from_utf8(v).unwrap().parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let req = VerifiableRequest::new(
        &method,
        target.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        VerifyBody::Bytes(&body),
    );
    let lookup = |id: &str| (id == known.access_key_id()).then(|| known.clone());
    let (status, text) = match verifier.verify(&req, &lookup, SystemTime::now()) {
        Ok(v) => match v.chunked_body() {
            // An aws-chunked upload: every chunk signature checked, the data decoded.
            Some(mut chunks) => {
                let mut decoded = Vec::new();
                match chunks
                    .push(&body, &mut decoded)
                    .and_then(|()| chunks.finish())
                {
                    Ok(()) => (
                        200,
                        format!("{} chunked {} bytes", v.access_key_id(), decoded.len()),
                    ),
                    Err(e) => (400, e.code().to_owned()),
                }
            }
            None => (
                200,
                format!("{} {}", v.access_key_id(), v.credential_scope()),
            ),
        },
        Err(e) => (e.http_status(), e.code().to_owned()),
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    )
    .unwrap();
    stream.flush().unwrap();
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

#[test]
fn ureq_requests_verify_with_service_and_region_inferred_from_host() {
    let verifier = Verifier::new("eu-west-1", "execute-api").unwrap();
    let (addr, server) = server(verifier, creds(Some("session/token+1")), 3);
    // No service or region configured: both come from the Host header.
    let signer = BlockingSigner::new(RequestSigner::new(Arc::new(
        sigv4_http::StaticProvider::new(creds(Some("session/token+1"))),
    )));
    let host = "abc123.execute-api.eu-west-1.amazonaws.com";
    let agent = agent();

    // POST with a body and a query.
    let mut req = http::Request::post(format!("http://{addr}/prod/items?b=2&a=1"))
        .header("host", host)
        .header("content-type", "application/json")
        .body(br#"{"name":"x"}"#.to_vec())
        .unwrap();
    let out = signer.sign(&mut req).unwrap();
    assert!(out
        .credential_scope()
        .ends_with("/eu-west-1/execute-api/aws4_request"));
    let mut resp = agent.run(req).unwrap();
    let body = resp.body_mut().read_to_string().unwrap();
    assert_eq!(resp.status(), 200, "{body}");
    assert!(body.starts_with(AKID), "{body}");

    // GET with no body.
    let mut req = http::Request::get(format!("http://{addr}/prod/items/1"))
        .header("host", host)
        .body(Vec::new())
        .unwrap();
    signer.sign(&mut req).unwrap();
    let mut resp = agent.run(req).unwrap();
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.body_mut().read_to_string().unwrap()
    );

    // A body changed after signing is refused by the server.
    let mut req = http::Request::put(format!("http://{addr}/prod/items/1"))
        .header("host", host)
        .body(b"original".to_vec())
        .unwrap();
    signer.sign(&mut req).unwrap();
    *req.body_mut() = b"tampered".to_vec();
    let mut resp = agent.run(req).unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        "SignatureDoesNotMatch"
    );
    server.join().unwrap();
}

#[test]
fn raw_tcp_stream_with_signed_parts_verifies() {
    let verifier = Verifier::new("us-west-2", "s3").unwrap();
    let (addr, server) = server(verifier, creds(None), 1);
    let signer = BlockingSigner::new(
        RequestSigner::from_static(creds(None))
            .with_service("s3")
            .with_region("us-west-2"),
    );
    let body = b"hello from std";
    let url = format!("http://{addr}/bucket/key%20with%20space.txt");
    let added = signer
        .sign_parts("PUT", &url, &[("content-type", "text/plain")], body)
        .unwrap();
    assert!(added.iter().any(|(n, _)| *n == "x-amz-content-sha256"));

    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head =
        String::from("PUT /bucket/key%20with%20space.txt HTTP/1.1\r\ncontent-type: text/plain\r\n");
    for (n, v) in &added {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.ends_with("/us-west-2/s3/aws4_request"), "{resp}");
    server.join().unwrap();
}

#[test]
fn streaming_bodies_sign_unsigned_payload_for_s3_only() {
    let s3 = BlockingSigner::new(RequestSigner::from_static(creds(None)));
    let mut req = http::Request::put("https://bucket.s3.us-east-1.amazonaws.com/big")
        .body(())
        .unwrap();
    s3.sign_streaming(&mut req).unwrap();
    assert_eq!(req.headers()["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");

    let mut req = http::Request::post("https://sts.us-east-1.amazonaws.com/")
        .body(())
        .unwrap();
    let err = s3.sign_streaming(&mut req).unwrap_err();
    assert!(
        matches!(err, Error::StreamingBodyNeedsHash { ref service } if service == "sts"),
        "{err}"
    );

    let mut req = http::Request::get("http://127.0.0.1:9/x")
        .body(Vec::new())
        .unwrap();
    let err = s3.sign(&mut req).unwrap_err();
    assert!(matches!(err, Error::UnknownService { .. }), "{err}");
    assert!(err.to_string().contains("with_service"));
}

#[test]
fn credentials_facade_needs_no_runtime() {
    let signer = BlockingSigner::new(RequestSigner::from_static(creds(Some("tok"))));
    let c = signer.credentials().get().unwrap();
    assert_eq!(c.access_key_id(), AKID);
    assert_eq!(c.session_token(), Some("tok"));
    // Works from several plain threads at once.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = signer.clone();
            thread::spawn(move || {
                let mut req = http::Request::get("https://sts.amazonaws.com/")
                    .body(Vec::new())
                    .unwrap();
                s.sign(&mut req).unwrap();
                req.headers()["x-amz-security-token"]
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "tok");
    }
}

#[test]
fn ureq_aws_chunked_upload_from_a_reader() {
    use sigv4::chunked::{ChecksumAlgorithm, ChunkedReader, ChunkedSettings, StreamingMode};

    let verifier = Verifier::new("eu-central-1", "s3").unwrap();
    let (addr, server) = server(verifier, creds(None), 2);
    let signer = BlockingSigner::new(RequestSigner::from_static(creds(None)));
    let host = "bucket.s3.eu-central-1.amazonaws.com";
    let len = 200_000u64;
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .with_checksum(ChecksumAlgorithm::Crc32)
        .unwrap();

    let mut req = http::Request::put(format!("http://{addr}/big.bin"))
        .header("host", host)
        .body(())
        .unwrap();
    let encoder = signer.sign_aws_chunked(&mut req, settings, len).unwrap();
    let mut reader = ChunkedReader::new(std::io::repeat(b'z').take(len), encoder);
    let (parts, ()) = req.into_parts();
    let req = http::Request::from_parts(parts, ureq::SendBody::from_reader(&mut reader));
    let mut resp = agent().run(req).unwrap();
    let text = resp.body_mut().read_to_string().unwrap();
    assert_eq!(resp.status(), 200, "{text}");
    assert_eq!(text, format!("{AKID} chunked {len} bytes"));

    // A corrupted chunk is caught by the server.
    let mut req = http::Request::put(format!("http://{addr}/big.bin"))
        .header("host", host)
        .body(())
        .unwrap();
    let encoder = signer.sign_aws_chunked(&mut req, settings, 20_000).unwrap();
    let mut encoded = Vec::new();
    ChunkedReader::new(std::io::repeat(b'z').take(20_000), encoder)
        .read_to_end(&mut encoded)
        .unwrap();
    let middle = encoded.len() / 2;
    encoded[middle] ^= 1;
    let (parts, ()) = req.into_parts();
    let mut resp = agent()
        .run(http::Request::from_parts(parts, encoded))
        .unwrap();
    let text = resp.body_mut().read_to_string().unwrap();
    assert_eq!(resp.status(), 400, "{text}");
    server.join().unwrap();
}
