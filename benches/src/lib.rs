//! Shared set-up for the signing benchmarks and the allocation counter: the four request
//! cases and one adapter per implementation (this crate, `aws-sigv4`, `reqsign`), each used
//! the way its documentation shows.
//!
//! Every adapter signs an `http::Request<()>` in place (headers added, or the URI rewritten
//! for presigned URLs); the body, when there is one, is a separate in-memory slice, as all
//! three libraries take it.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::Request;

/// The example access key id of the AWS documentation.
pub const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
/// The example secret access key of the AWS documentation.
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// Region used by every case.
pub const REGION: &str = "us-east-1";
/// Lifetime of the presigned URL in case (b).
pub const PRESIGN_EXPIRES: Duration = Duration::from_secs(900);

/// The fixed signing time of this crate and aws-sigv4: 2015-08-30T12:36:00Z.
///
/// reqsign cannot be given a time (its `with_time` is test-only): it reads the clock.
pub fn fixed_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// How the payload is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadMode {
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// SHA-256 of the body.
    Hashed,
}

/// One benchmark case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Short id: `a_s3_get`, ...
    pub id: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Method.
    pub method: &'static str,
    /// Absolute URL as on the wire.
    pub url: &'static str,
    /// Extra headers (no `host`: every implementation derives it from the URL).
    pub headers: &'static [(&'static str, &'static str)],
    /// The body (kept apart from the request).
    pub body: Vec<u8>,
    /// Service name.
    pub service: &'static str,
    /// Presigned URL instead of an `Authorization` header.
    pub presign: bool,
    /// How the payload is covered.
    pub payload: PayloadMode,
}

const S3_GET_URL: &str = "https://examplebucket.s3.amazonaws.com/photos/2024/cat.jpg?versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY&response-content-type=image%2Fjpeg";
const S3_GET_HEADERS: &[(&str, &str)] = &[
    ("x-amz-meta-a", "1"),
    ("content-type", "image/jpeg"),
    ("range", "bytes=0-1023"),
];

/// 1 MiB.
pub const MIB: usize = 1 << 20;

impl Case {
    /// (a) S3 GET, 3 extra headers, 2-parameter query, `UNSIGNED-PAYLOAD`, header mode.
    pub fn a() -> Case {
        Case {
            id: "a_s3_get",
            description: "S3 GET, 3 extra headers + 2-param query, UNSIGNED-PAYLOAD, header mode",
            method: "GET",
            url: S3_GET_URL,
            headers: S3_GET_HEADERS,
            body: Vec::new(),
            service: "s3",
            presign: false,
            payload: PayloadMode::Unsigned,
        }
    }

    /// (b) The same request presigned (query mode, 900 s).
    pub fn b() -> Case {
        Case {
            id: "b_s3_presign",
            description: "the same S3 GET presigned (query mode, 900 s)",
            presign: true,
            ..Case::a()
        }
    }

    /// (c) S3 PUT with a 1 MiB in-memory body, payload hashed.
    pub fn c() -> Case {
        Case {
            id: "c_s3_put_1mib",
            description: "S3 PUT, 1 MiB in-memory body, payload hashed",
            method: "PUT",
            url: "https://examplebucket.s3.amazonaws.com/uploads/blob.bin",
            headers: &[("content-type", "application/octet-stream")],
            body: (0..MIB).map(|i| (i * 31 % 251) as u8).collect(),
            service: "s3",
            presign: false,
            payload: PayloadMode::Hashed,
        }
    }

    /// (d) A non-S3 POST (DynamoDB GetItem) with a small JSON body.
    pub fn d() -> Case {
        Case {
            id: "d_dynamodb_post",
            description: "non-S3 POST (DynamoDB GetItem), 98 B JSON body",
            method: "POST",
            url: "https://dynamodb.us-east-1.amazonaws.com/",
            headers: &[
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", "DynamoDB_20120810.GetItem"),
            ],
            body: br#"{"TableName":"Music","Key":{"Artist":{"S":"No One You Know"},"SongTitle":{"S":"Call Me Today"}}}"#
                .to_vec(),
            service: "dynamodb",
            presign: false,
            payload: PayloadMode::Hashed,
        }
    }

    /// All four cases.
    pub fn all() -> Vec<Case> {
        vec![Case::a(), Case::b(), Case::c(), Case::d()]
    }

    /// A fresh unsigned request (built outside the timed region).
    pub fn request(&self) -> Request<()> {
        let mut b = Request::builder().method(self.method).uri(self.url);
        for (n, v) in self.headers {
            b = b.header(*n, *v);
        }
        b.body(()).expect("valid request")
    }
}

/// Polls a future that never waits (the reqsign signer with static credentials) to its end.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    // Bounded: the futures used here complete on the first poll.
    for _ in 0..1000 {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not complete")
}

/// The `Authorization` header or, for presigned requests, the `X-Amz-Signature` parameter.
pub fn signature_of<B>(req: &Request<B>) -> String {
    if let Some(auth) = req.headers().get("authorization") {
        let auth = auth.to_str().expect("ascii");
        return auth
            .rsplit_once("Signature=")
            .map(|(_, s)| s.to_owned())
            .expect("signature in authorization");
    }
    let q = req.uri().query().unwrap_or("");
    q.split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Signature="))
        .map(str::to_owned)
        .expect("X-Amz-Signature in query")
}

/// This crate.
pub mod ours {
    use super::*;
    use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningKey, SigningSettings};

    /// A prepared signer for one case.
    pub struct Ours {
        signer: Signer,
        creds: Credentials,
        time: SystemTime,
        payload: PayloadMode,
    }

    impl Ours {
        /// Set up for `case` at `time`.
        pub fn new(case: &Case, time: SystemTime) -> Ours {
            let signer = signer_for(case);
            let creds = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None);
            // Warm the key cache.
            signer.signing_key(&creds, time).expect("key");
            Ours {
                signer,
                creds,
                time,
                payload: case.payload,
            }
        }

        fn payload<'b>(&self, body: &'b [u8]) -> Payload<'b> {
            match self.payload {
                PayloadMode::Hashed => Payload::Bytes(body),
                PayloadMode::Unsigned => Payload::Unsigned,
            }
        }

        /// Cached signing key: one `Signer` reused, `sign_http_request_with_payload`.
        pub fn sign_cached(&self, req: &mut Request<()>, body: &[u8]) {
            self.signer
                .sign_http_request_with_payload(req, self.payload(body), &self.creds, self.time)
                .expect("sign");
        }

        /// Fresh signing key: `SigningKey::derive` (4 HMACs) then `sign_http_request_with_key`.
        pub fn sign_fresh(&self, req: &mut Request<()>, body: &[u8]) {
            let date = sigv4::AmzDate::from_system_time(self.time).expect("time");
            let key = SigningKey::derive_for(
                SECRET_ACCESS_KEY,
                &date,
                self.signer.region(),
                self.signer.service(),
            )
            .expect("key");
            self.signer
                .sign_http_request_with_key(
                    req,
                    self.payload(body),
                    &key,
                    ACCESS_KEY_ID,
                    None,
                    self.time,
                )
                .expect("sign");
        }

        /// Cached key, `http::Request` in and out, through the public borrowed view instead of
        /// `sign_http_request_with_payload`: a prototype of a leaner `http_request.rs` (no
        /// request-target `String`: the host goes in as a header; static header names; one
        /// `reserve` of the header map). Same signature, same headers added.
        pub fn sign_cached_direct(&self, req: &mut Request<()>, body: &[u8]) {
            use http::header::{HeaderName, HeaderValue, AUTHORIZATION, HOST};
            let out = {
                let uri = req.uri();
                let pq = uri.path_and_query().map_or("/", |p| p.as_str());
                let host = if req.headers().contains_key(HOST) {
                    None
                } else {
                    let a = uri.authority().expect("absolute URL").as_str();
                    let default_port = if uri.scheme_str() == Some("http") {
                        ":80"
                    } else {
                        ":443"
                    };
                    Some(a.strip_suffix(default_port).unwrap_or(a))
                };
                let headers = req
                    .headers()
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_bytes()))
                    .chain(host.map(|h| ("host", h.as_bytes())));
                let view =
                    SignableRequest::new(req.method().as_str(), pq, headers, self.payload(body));
                let out = self
                    .signer
                    .sign(&view, &self.creds, self.time)
                    .expect("sign");
                let host = host.map(|h| HeaderValue::from_str(h).expect("host"));
                (out, host)
            };
            let (out, host) = out;
            let headers = req.headers_mut();
            headers.reserve(4);
            if let Some(h) = host {
                headers.insert(HOST, h);
            }
            for (name, value) in out.headers() {
                let name = match name {
                    "authorization" => AUTHORIZATION,
                    "x-amz-date" => HeaderName::from_static("x-amz-date"),
                    "x-amz-content-sha256" => HeaderName::from_static("x-amz-content-sha256"),
                    "x-amz-security-token" => HeaderName::from_static("x-amz-security-token"),
                    other => HeaderName::from_bytes(other.as_bytes()).expect("name"),
                };
                let mut value = HeaderValue::from_str(value).expect("value");
                if name == AUTHORIZATION {
                    value.set_sensitive(true);
                }
                headers.insert(name, value);
            }
        }

        /// The signer, shared by reference (the threads benchmark).
        pub fn signer(&self) -> &Signer {
            &self.signer
        }

        /// The credentials used.
        pub fn credentials(&self) -> &Credentials {
            &self.creds
        }

        /// The crypto floor of this case: the canonical request and string to sign this
        /// crate produces, and an HMAC-SHA256 already keyed with the day's signing key.
        /// Hashing the one and MACing the other is all the cryptography a signing needs.
        pub fn floor_inputs(&self, case: &Case, body: &[u8]) -> Floor {
            use hmac::KeyInit;
            let req = SignableRequest::new(
                case.method,
                case.url,
                case.headers.iter().map(|(n, v)| (*n, v.as_bytes())),
                self.payload(body),
            );
            let out = self
                .signer
                .sign(&req, &self.creds, self.time)
                .expect("sign");
            let key = self
                .signer
                .signing_key(&self.creds, self.time)
                .expect("key");
            Floor {
                canonical_request: out.canonical_request().as_bytes().to_vec(),
                string_to_sign: out.string_to_sign().as_bytes().to_vec(),
                mac: <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.as_bytes())
                    .expect("any key length"),
            }
        }

        /// Cached key through the borrowed low-level view (no `http::Request`): returns the
        /// signature, leaves applying the headers to the caller's HTTP stack.
        pub fn sign_view(&self, case: &Case, body: &[u8]) -> [u8; 64] {
            let req = SignableRequest::new(
                case.method,
                case.url,
                case.headers.iter().map(|(n, v)| (*n, v.as_bytes())),
                self.payload(body),
            );
            let out = self
                .signer
                .sign(&req, &self.creds, self.time)
                .expect("sign");
            let mut sig = [0u8; 64];
            sig.copy_from_slice(out.signature().as_bytes());
            sig
        }
    }

    /// What the crypto floor of a case hashes and MACs (see [`Ours::floor_inputs`]).
    pub struct Floor {
        /// The canonical request.
        pub canonical_request: Vec<u8>,
        /// The string to sign.
        pub string_to_sign: Vec<u8>,
        /// HMAC-SHA256 keyed with the day's signing key.
        pub mac: hmac::Hmac<sha2::Sha256>,
    }

    impl Floor {
        /// SHA-256 of the canonical request, then the pre-keyed HMAC of the string to sign
        /// (the string to sign is not rebuilt around the new hash: same length, same cost).
        pub fn run(&self) -> ([u8; 32], [u8; 32]) {
            use hmac::Mac;
            use sha2::Digest;
            let h = sha2::Sha256::digest(std::hint::black_box(&self.canonical_request));
            let mut mac = self.mac.clone();
            mac.update(std::hint::black_box(&self.string_to_sign));
            (h.into(), mac.finalize().into_bytes().into())
        }
    }

    /// The signer for a case: service rules from the name, presigned if asked.
    pub fn signer_for(case: &Case) -> Signer {
        let mut settings = SigningSettings::for_service(case.service);
        if case.presign {
            settings = settings.presigned(PRESIGN_EXPIRES);
        }
        Signer::new(REGION, case.service)
            .expect("signer")
            .with_settings(settings)
    }
}

/// `aws-sigv4`, as its `http_request` module documentation shows: build `SigningParams`,
/// a `SignableRequest` from the `http::Request`, `sign`, then `apply_to_request_http1x`.
pub mod aws {
    use super::*;
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
        SignatureLocation, SigningSettings, UriPathNormalizationMode,
    };
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;

    /// Prepared identity and case settings.
    pub struct Aws {
        identity: Identity,
        service: &'static str,
        presign: bool,
        s3: bool,
        payload: PayloadMode,
        time: SystemTime,
    }

    impl Aws {
        /// Set up for `case` at `time`; the identity is created once (as an SDK client holds it).
        pub fn new(case: &Case, time: SystemTime) -> Aws {
            let identity = Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "hardcoded-credentials",
            )
            .into();
            Aws {
                identity,
                service: case.service,
                presign: case.presign,
                s3: case.service == "s3",
                payload: case.payload,
                time,
            }
        }

        /// Params + signable request + sign + apply.
        pub fn sign(&self, req: &mut Request<()>, body: &[u8]) {
            let mut settings = SigningSettings::default();
            if self.s3 {
                settings.percent_encoding_mode = PercentEncodingMode::Single;
                settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
                settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            }
            if self.presign {
                settings.signature_location = SignatureLocation::QueryParams;
                settings.expires_in = Some(PRESIGN_EXPIRES);
            }
            let params = v4::SigningParams::builder()
                .identity(&self.identity)
                .region(REGION)
                .name(self.service)
                .time(self.time)
                .settings(settings)
                .build()
                .expect("params")
                .into();
            let body = match self.payload {
                PayloadMode::Unsigned => SignableBody::UnsignedPayload,
                PayloadMode::Hashed => SignableBody::Bytes(body),
            };
            let uri = req.uri().to_string();
            let signable = SignableRequest::new(
                req.method().as_str(),
                uri,
                req.headers()
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.to_str().expect("ascii header"))),
                body,
            )
            .expect("signable request");
            let (instructions, _signature) = sign(signable, &params).expect("sign").into_parts();
            instructions.apply_to_request_http1x(req);
        }
    }
}

/// `reqsign` (crates `reqsign-core` + `reqsign-aws-v4`), as its crate documentation shows:
/// a `reqsign_core::Signer` with a credential provider and `RequestSigner::new(service,
/// region)`, then `signer.sign(&mut parts, expires_in)`.
///
/// reqsign signs the request head only: for a hashed payload the caller computes the
/// SHA-256 (here with reqsign's own `hex_sha256`) and sets `x-amz-content-sha256`, which
/// reqsign then signs as a header and uses as the payload line. Without that header it
/// signs `UNSIGNED-PAYLOAD` and adds that header itself, for every service.
pub mod reqsign {
    use super::*;
    use http::request::Parts;
    use http::HeaderValue;
    use reqsign_aws_v4::{Credential, RequestSigner, StaticCredentialProvider};
    use reqsign_core::Signer;

    /// Prepared signer (its credential cache is warmed).
    pub struct Reqsign {
        signer: Signer<Credential>,
        presign: bool,
        payload: PayloadMode,
    }

    impl Reqsign {
        /// Set up for `case`.
        pub fn new(case: &Case) -> Reqsign {
            let ctx = reqsign_core::Context::new();
            let loader = StaticCredentialProvider::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY);
            let builder = RequestSigner::new(case.service, REGION);
            let r = Reqsign {
                signer: Signer::new(ctx, loader, builder),
                presign: case.presign,
                payload: case.payload,
            };
            let (mut parts, ()) = case.request().into_parts();
            block_on(r.signer.sign(&mut parts, None)).expect("warm-up sign");
            r
        }

        /// Optional payload hash header + sign (in `Parts`, as reqsign takes them).
        pub fn sign(&self, parts: &mut Parts, body: &[u8]) {
            if self.payload == PayloadMode::Hashed {
                let hash = reqsign_core::hash::hex_sha256(body);
                parts.headers.insert(
                    "x-amz-content-sha256",
                    HeaderValue::from_str(&hash).expect("hex"),
                );
            }
            let expires = self.presign.then_some(PRESIGN_EXPIRES);
            block_on(self.signer.sign(parts, expires)).expect("sign");
        }

        /// The same on a whole request (for the correctness check).
        pub fn sign_request(&self, req: Request<()>, body: &[u8]) -> Request<()> {
            let (mut parts, ()) = req.into_parts();
            self.sign(&mut parts, body);
            Request::from_parts(parts, ())
        }
    }
}

/// Parses `x-amz-date` (`YYYYMMDDTHHMMSSZ`) into a time.
pub fn parse_amz_date(s: &str) -> SystemTime {
    let n = |r: std::ops::Range<usize>| -> i64 { s[r].parse().expect("digits") };
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    let (hh, mm, ss) = (n(9..11), n(11..13), n(13..15));
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    UNIX_EPOCH + Duration::from_secs((days * 86_400 + hh * 3600 + mm * 60 + ss) as u64)
}

/// Signs `case` with every implementation and checks they agree.
///
/// reqsign reads the clock, so it signs first; the others then sign at the time reqsign
/// put into its `x-amz-date` header (or `X-Amz-Date` parameter). Returns
/// `(implementation, signature)` for each, or an error naming the first disagreement.
///
/// For a hashed payload outside S3, reqsign can only sign with an `x-amz-content-sha256`
/// header (see [`reqsign`]), so its signature is compared with this crate signing the same
/// request plus that header; the other implementations must agree with each other.
pub fn cross_check(case: &Case) -> Result<Vec<(&'static str, String)>, String> {
    let rq = reqsign::Reqsign::new(case);
    let signed = rq.sign_request(case.request(), &case.body);
    let amz_date = match signed.headers().get("x-amz-date") {
        Some(v) => v.to_str().expect("ascii").to_owned(),
        None => signed
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-Date="))
            .expect("X-Amz-Date")
            .to_owned(),
    };
    let time = parse_amz_date(&amz_date);
    let reqsign_sig = signature_of(&signed);

    let mut results = Vec::new();
    let ours = ours::Ours::new(case, time);
    let mut r = case.request();
    ours.sign_cached(&mut r, &case.body);
    results.push(("sigv4 cached key", signature_of(&r)));
    let mut r = case.request();
    ours.sign_fresh(&mut r, &case.body);
    results.push(("sigv4 fresh key", signature_of(&r)));
    if !case.presign {
        let mut direct = case.request();
        ours.sign_cached_direct(&mut direct, &case.body);
        let mut lib = case.request();
        ours.sign_cached(&mut lib, &case.body);
        if direct.headers() != lib.headers() {
            return Err(format!(
                "case {}: the direct adapter set {:?}, sign_http_request_with_payload {:?}",
                case.id,
                direct.headers(),
                lib.headers()
            ));
        }
        results.push((
            "sigv4 cached key, direct http adapter",
            signature_of(&direct),
        ));
    }
    let view = ours.sign_view(case, &case.body);
    results.push((
        "sigv4 cached key, borrowed view",
        String::from_utf8(view.to_vec()).expect("hex"),
    ));
    let aws = aws::Aws::new(case, time);
    let mut r = case.request();
    aws.sign(&mut r, &case.body);
    results.push(("aws-sigv4", signature_of(&r)));

    let reqsign_adds_header = case.service != "s3" && case.payload == PayloadMode::Hashed;
    if reqsign_adds_header {
        let mut r = case.request();
        let hash = sigv4::sha256_hex(&case.body);
        r.headers_mut().insert(
            "x-amz-content-sha256",
            http::HeaderValue::from_str(&hash).expect("hex"),
        );
        ours.sign_cached(&mut r, &case.body);
        let with_header = signature_of(&r);
        if with_header != reqsign_sig {
            return Err(format!(
                "case {}: reqsign produced {reqsign_sig}, sigv4 with the same x-amz-content-sha256 header {with_header}",
                case.id
            ));
        }
        results.push(("reqsign (request + x-amz-content-sha256)", reqsign_sig));
    } else {
        results.insert(0, ("reqsign", reqsign_sig));
    }

    let first = &results[0].1;
    if let Some((name, sig)) = results
        .iter()
        .filter(|(n, _)| !n.starts_with("reqsign (request +"))
        .find(|(_, s)| s != first)
    {
        return Err(format!(
            "case {}: {name} produced {sig}, {} produced {first} (all: {results:?})",
            case.id, results[0].0
        ));
    }
    Ok(results)
}

/// A streamed aws-chunked upload over a real socket, for the trailer benchmarks (criterion's
/// `streaming` bench and the interleaved `upload_ratio` binary).
pub mod upload {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};

    use sigv4::chunked::{ChunkEncoder, ChunkedSettings};

    /// A 127.0.0.1 server that reads every connection to its end and throws the bytes away
    /// (the far side of an upload; it lives as long as the process).
    pub fn discarding_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 256 << 10];
            for conn in listener.incoming() {
                let mut conn = conn.unwrap();
                while conn.read(&mut buf).unwrap() > 0 {}
            }
        });
        addr
    }

    /// One unsigned upload: the body goes through the encoder in 64 KiB pieces and each
    /// encoded frame is written to the socket as it comes (what the `http-body` adapter
    /// hands hyper), then the connection is closed. Returns the bytes sent.
    pub fn upload(addr: SocketAddr, body: &[u8], settings: ChunkedSettings) -> u64 {
        let mut conn = TcpStream::connect(addr).unwrap();
        let mut enc = ChunkEncoder::new(settings, None).unwrap();
        let mut out = Vec::with_capacity(128 << 10);
        let mut total = 0u64;
        for piece in body.chunks(64 << 10) {
            enc.push(piece, &mut out).unwrap();
            conn.write_all(&out).unwrap();
            total += out.len() as u64;
            out.clear();
        }
        enc.finish(&mut out).unwrap();
        conn.write_all(&out).unwrap();
        total + out.len() as u64
    }
}
