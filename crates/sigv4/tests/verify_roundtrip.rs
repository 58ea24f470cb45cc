//! The verifier against the signer: everything the signer produces verifies (header and
//! query modes, S3 and other services, with and without a session token), every
//! single-byte change to a signed request is refused, and each rejection maps to its AWS
//! error code.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::verify::{
    AuthMode, ScopePart, VerifiableRequest, Verified, VerifiedPayload, Verifier, VerifyBody,
    VerifyError,
};
use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningKey, SigningSettings};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEBYaDH+token/with=chars";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160) // 2015-08-30T12:36:00Z
}

fn creds(token: bool) -> Credentials {
    Credentials::new(AKID, SECRET, token.then(|| TOKEN.to_owned()), None)
}

/// A request as it arrives at the server, owned.
#[derive(Clone, Debug)]
struct Wire {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Wire {
    fn view(&self) -> VerifiableRequest<'_> {
        VerifiableRequest::new(
            &self.method,
            self.target.as_str(),
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
            VerifyBody::Bytes(&self.body),
        )
    }
}

#[derive(Clone, Copy, Debug)]
struct Case {
    service: &'static str,
    query: bool,
    token: bool,
    unsigned: bool,
}

/// Signs a request with a path, a query, repeated and extra headers and a body.
fn signed(case: Case) -> Wire {
    let mut settings = SigningSettings::for_service(case.service);
    if case.query {
        settings = settings.presigned(Duration::from_secs(3600));
    }
    let signer = Signer::new("us-east-1", case.service)
        .unwrap()
        .with_settings(settings);
    let method = "PUT".to_owned();
    let path_query = "/bucket/key%20name.txt?versionId=3&acl&x=a%2Fb";
    let headers: Vec<(String, Vec<u8>)> = vec![
        ("Host".into(), b"example.amazonaws.com".to_vec()),
        ("Content-Type".into(), b"text/plain".to_vec()),
        ("x-amz-meta-a".into(), b"  one  two ".to_vec()),
        ("X-Amz-Meta-A".into(), b"three".to_vec()),
        ("User-Agent".into(), b"test/1.0".to_vec()),
    ];
    let body = b"hello, verifier".to_vec();
    let payload = if case.unsigned || (case.query && case.service == "s3") {
        Payload::Unsigned
    } else {
        Payload::Bytes(&body)
    };
    let req = SignableRequest::new(
        &method,
        path_query,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        payload,
    );
    let out = signer.sign(&req, &creds(case.token), now()).unwrap();
    let mut wire = Wire {
        method: method.clone(),
        target: path_query.to_owned(),
        headers: headers.clone(),
        body: body.clone(),
    };
    for (n, v) in out.headers() {
        wire.headers.retain(|(h, _)| !h.eq_ignore_ascii_case(n));
        wire.headers.push((n.to_owned(), v.as_bytes().to_vec()));
    }
    if case.query {
        wire.target = format!("/bucket/key%20name.txt?{}", out.query_string());
    }
    wire
}

fn verifier(service: &str) -> Verifier {
    Verifier::new("us-east-1", service).unwrap()
}

fn verify_at(
    service: &str,
    wire: &Wire,
    token: bool,
    at: SystemTime,
) -> Result<Verified, VerifyError> {
    let c = creds(token);
    let lookup = move |id: &str| (id == AKID).then(|| c.clone());
    verifier(service).verify(&wire.view(), &lookup, at)
}

fn verify(service: &str, wire: &Wire, token: bool) -> Result<Verified, VerifyError> {
    verify_at(service, wire, token, now())
}

fn all_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for service in ["s3", "execute-api"] {
        for query in [false, true] {
            for token in [false, true] {
                v.push(Case {
                    service,
                    query,
                    token,
                    unsigned: false,
                });
            }
        }
    }
    v.push(Case {
        service: "s3",
        query: false,
        token: false,
        unsigned: true,
    });
    v
}

#[test]
fn everything_the_signer_produces_verifies() {
    for case in all_cases() {
        let wire = signed(case);
        let v = verify(case.service, &wire, case.token)
            .unwrap_or_else(|e| panic!("{case:?}: {e} ({e:?})\n{wire:?}"));
        assert_eq!(v.access_key_id(), AKID);
        assert_eq!(
            v.credential_scope(),
            format!("20150830/us-east-1/{}/aws4_request", case.service)
        );
        assert_eq!(
            v.mode(),
            if case.query {
                AuthMode::Query
            } else {
                AuthMode::Header
            }
        );
        assert_eq!(v.has_session_token(), case.token);
        match v.payload() {
            VerifiedPayload::Sha256(_) => assert!(v.body_checked(), "{case:?}"),
            VerifiedPayload::Unsigned => {
                assert!(
                    case.unsigned || (case.query && case.service == "s3"),
                    "{case:?}"
                )
            }
            other => panic!("{case:?}: unexpected payload {other:?}"),
        }
        // Still valid within the skew / validity window.
        verify_at(
            case.service,
            &wire,
            case.token,
            now() + Duration::from_secs(600),
        )
        .unwrap();
    }
}

#[test]
fn async_lookup_verifies_too() {
    let wire = signed(all_cases()[0]);
    let lookup = |id: &str| {
        let id = id.to_owned();
        async move { Ok((id == AKID).then(|| creds(false))) }
    };
    let v = verifier("s3");
    let view = wire.view();
    let fut = v.verify_async(&view, &lookup, now());
    // A trivial executor: the lookup future is ready at once.
    let v = block_on(fut).unwrap();
    assert_eq!(v.access_key_id(), AKID);
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not complete");
}

/// Every request mutated at one byte: method, target (path and query, presigned
/// parameters and signature included), each signed header's name and value, the body.
fn single_byte_mutations(
    wire: &Wire,
    signed_names: &[String],
    body_signed: bool,
) -> Vec<(String, Wire)> {
    let flip = |s: &str, i: usize| -> String {
        let mut b = s.as_bytes().to_vec();
        b[i] ^= 0x01;
        String::from_utf8(b).expect("the test requests are ASCII")
    };
    let mut out = Vec::new();
    for i in 0..wire.method.len() {
        let mut w = wire.clone();
        w.method = flip(&wire.method, i);
        out.push((format!("method byte {i}"), w));
    }
    for i in 0..wire.target.len() {
        let mut w = wire.clone();
        w.target = flip(&wire.target, i);
        out.push((format!("target byte {i} ({:?})", w.target), w));
    }
    for (h, (name, value)) in wire.headers.iter().enumerate() {
        if !signed_names.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            continue;
        }
        for i in 0..name.len() {
            let mut w = wire.clone();
            w.headers[h].0 = flip(name, i);
            out.push((format!("header {name} name byte {i}"), w));
        }
        for i in 0..value.len() {
            let mut w = wire.clone();
            w.headers[h].1[i] ^= 0x01;
            out.push((format!("header {name} value byte {i}"), w));
        }
        let mut w = wire.clone();
        w.headers.remove(h);
        out.push((format!("header {name} removed"), w));
    }
    if body_signed {
        for i in 0..wire.body.len() {
            let mut w = wire.clone();
            w.body[i] ^= 0x01;
            out.push((format!("body byte {i}"), w));
        }
    }
    out
}

#[test]
fn every_single_byte_change_is_rejected() {
    let mut checked = 0;
    for case in all_cases() {
        let wire = signed(case);
        let v = verify(case.service, &wire, case.token).unwrap();
        let names: Vec<String> = v.signed_headers().split(';').map(str::to_owned).collect();
        let mut names_with_auth = names.clone();
        names_with_auth.push("authorization".into());
        let body_signed = matches!(v.payload(), VerifiedPayload::Sha256(_));
        let mut codes = std::collections::BTreeSet::new();
        for (what, w) in single_byte_mutations(&wire, &names_with_auth, body_signed) {
            match verify(case.service, &w, case.token) {
                Ok(_) => panic!("{case:?}: accepted after changing {what}\n{w:?}"),
                Err(e) => {
                    codes.insert(e.code());
                }
            }
            checked += 1;
        }
        assert!(
            codes.contains("SignatureDoesNotMatch"),
            "{case:?}: {codes:?}"
        );
    }
    assert!(checked > 1000, "only {checked} mutations were checked");
}

#[test]
fn a_wrong_secret_or_token_is_refused() {
    let wire = signed(Case {
        service: "s3",
        query: false,
        token: true,
        unsigned: false,
    });
    let other = Credentials::new(AKID, "another-secret", Some(TOKEN.into()), None);
    let e = verifier("s3")
        .verify_with(&wire.view(), Some(other), now())
        .unwrap_err();
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    let m = e.signature_mismatch().unwrap();
    assert!(m
        .string_to_sign()
        .starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/s3/aws4_request\n"));
    assert!(m.canonical_request().contains(TOKEN));
    let shown = format!("{e:?} {e}");
    assert!(!shown.contains(TOKEN), "the token leaked into {shown}");
    assert!(!shown.contains(SECRET));

    let wrong_token = Credentials::new(AKID, SECRET, Some("other".into()), None);
    let e = verifier("s3")
        .verify_with(&wire.view(), Some(wrong_token), now())
        .unwrap_err();
    assert_eq!(e.code(), "InvalidToken");
    let e = verifier("s3")
        .verify_with(&wire.view(), Some(creds(false)), now())
        .unwrap_err();
    assert_eq!(e.code(), "InvalidToken");
    let expired = creds(true).with_expiry(Some(now() - Duration::from_secs(1)));
    let e = verifier("s3")
        .verify_with(&wire.view(), Some(expired), now())
        .unwrap_err();
    assert_eq!(e.code(), "ExpiredToken");
    let e = verifier("s3")
        .verify_with(&wire.view(), None, now())
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("InvalidAccessKeyId", 403));
}

fn header_case() -> Wire {
    signed(Case {
        service: "s3",
        query: false,
        token: false,
        unsigned: false,
    })
}

fn query_case() -> Wire {
    signed(Case {
        service: "s3",
        query: true,
        token: false,
        unsigned: false,
    })
}

fn set_header(w: &mut Wire, name: &str, value: &str) {
    w.headers.retain(|(h, _)| !h.eq_ignore_ascii_case(name));
    w.headers.push((name.to_owned(), value.as_bytes().to_vec()));
}

fn header(w: &Wire, name: &str) -> String {
    w.headers
        .iter()
        .find(|(h, _)| h.eq_ignore_ascii_case(name))
        .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        .unwrap()
}

#[test]
fn clock_skew_and_presigned_validity() {
    let w = header_case();
    let e = verify_at("s3", &w, false, now() + Duration::from_secs(15 * 60 + 1)).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("RequestTimeTooSkewed", 403));
    let e = verify_at("s3", &w, false, now() - Duration::from_secs(15 * 60 + 1)).unwrap_err();
    assert_eq!(e.code(), "RequestTimeTooSkewed");
    verify_at("s3", &w, false, now() + Duration::from_secs(15 * 60)).unwrap();
    let c = creds(false);
    let lookup = move |_: &str| Some(c.clone());
    let strict = verifier("s3").with_max_skew(Duration::from_secs(60));
    assert_eq!(
        strict
            .verify(&w.view(), &lookup, now() + Duration::from_secs(61))
            .unwrap_err()
            .code(),
        "RequestTimeTooSkewed"
    );

    let q = query_case();
    verify_at("s3", &q, false, now() + Duration::from_secs(3600)).unwrap();
    let e = verify_at("s3", &q, false, now() + Duration::from_secs(3601)).unwrap_err();
    assert!(matches!(e, VerifyError::Expired { .. }));
    assert_eq!((e.code(), e.http_status()), ("AccessDenied", 403));
    let e = verify_at("s3", &q, false, now() - Duration::from_secs(15 * 60 + 1)).unwrap_err();
    assert!(matches!(e, VerifyError::NotYetValid { .. }));
    assert_eq!(e.code(), "AccessDenied");

    for bad in ["604801", "0", "-1", "", "1e3", "99999999999999999999"] {
        let mut q2 = q.clone();
        q2.target = q
            .target
            .replace("X-Amz-Expires=3600", &format!("X-Amz-Expires={bad}"));
        let e = verify("s3", &q2, false).unwrap_err();
        assert_eq!(e.code(), "AuthorizationQueryParametersError", "{bad}: {e}");
    }
}

#[test]
fn scope_checks() {
    let w = header_case();
    let auth = header(&w, "authorization");
    for (from, to, part) in [
        ("/us-east-1/", "/us-west-2/", ScopePart::Region),
        ("/s3/", "/s4/", ScopePart::Service),
        ("/20150830/", "/20150831/", ScopePart::Date),
        ("/aws4_request", "/aws5_request", ScopePart::Terminator),
    ] {
        let mut w2 = w.clone();
        set_header(&mut w2, "Authorization", &auth.replace(from, to));
        let e = verify("s3", &w2, false).unwrap_err();
        assert!(
            matches!(e, VerifyError::WrongScope { part: p, .. } if p == part),
            "{part}: {e:?}"
        );
        assert_eq!(e.code(), "AuthorizationHeaderMalformed");
    }
    // Several regions.
    let multi = Verifier::with_regions(["eu-west-1", "us-east-1"], "s3").unwrap();
    multi
        .verify_with(&w.view(), Some(creds(false)), now())
        .unwrap();
    let other = Verifier::new("eu-west-1", "s3").unwrap();
    assert_eq!(
        other
            .verify_with(&w.view(), Some(creds(false)), now())
            .unwrap_err()
            .code(),
        "AuthorizationHeaderMalformed"
    );
    Verifier::new("eu-west-1", "s3")
        .unwrap()
        .any_region()
        .verify_with(&w.view(), Some(creds(false)), now())
        .unwrap();

    let q = query_case();
    let mut q2 = q.clone();
    q2.target = q.target.replace("%2Fus-east-1%2F", "%2Fus-west-2%2F");
    let e = verify("s3", &q2, false).unwrap_err();
    assert_eq!(e.code(), "AuthorizationQueryParametersError");
}

#[test]
fn required_and_unsigned_headers() {
    let w = header_case();
    let auth = header(&w, "authorization");
    // host and x-amz-date must be signed.
    for (list_from, list_to, name) in [
        (
            "SignedHeaders=content-type;host;",
            "SignedHeaders=content-type;",
            "host",
        ),
        (";x-amz-date", "", "x-amz-date"),
    ] {
        let mut w2 = w.clone();
        assert!(auth.contains(list_from), "{auth}");
        set_header(&mut w2, "Authorization", &auth.replace(list_from, list_to));
        let e = verify("s3", &w2, false).unwrap_err();
        if name == "host" {
            assert!(
                matches!(e, VerifyError::RequiredHeaderNotSigned { name: "host", .. }),
                "{e:?}"
            );
        } else {
            // Dropping x-amz-date from the list leaves an unsigned x-amz-* header or a
            // missing date signature; both refuse.
            assert!(
                matches!(
                    e,
                    VerifyError::RequiredHeaderNotSigned {
                        name: "x-amz-date",
                        ..
                    }
                ),
                "{e:?}"
            );
        }
        assert_eq!(e.code(), "AuthorizationHeaderMalformed");
    }
    // An x-amz-* header added after signing.
    let mut w2 = w.clone();
    w2.headers
        .push(("x-amz-acl".into(), b"public-read".to_vec()));
    let e = verify("s3", &w2, false).unwrap_err();
    assert_eq!(e, VerifyError::UnsignedAmzHeader("x-amz-acl".into()));
    assert_eq!(e.code(), "AccessDenied");
    // Other unsigned headers are fine.
    let mut w2 = w.clone();
    w2.headers.push(("accept".into(), b"*/*".to_vec()));
    verify("s3", &w2, false).unwrap();
    // A signed header that is missing.
    let mut w2 = w.clone();
    w2.headers
        .retain(|(h, _)| !h.eq_ignore_ascii_case("content-type"));
    let e = verify("s3", &w2, false).unwrap_err();
    assert!(matches!(e, VerifyError::SignedHeaderAbsent { .. }), "{e:?}");
    // No date at all.
    let mut w2 = w.clone();
    w2.headers
        .retain(|(h, _)| !h.eq_ignore_ascii_case("x-amz-date"));
    let e = verify("s3", &w2, false).unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
}

#[test]
fn content_sha256_rules() {
    let w = header_case();
    // The body does not match the signed hash.
    let mut w2 = w.clone();
    w2.body.push(b'!');
    let e = verify("s3", &w2, false).unwrap_err();
    assert_eq!(e.code(), "XAmzContentSHA256Mismatch");
    // The body not given: the hash is handed back to check later.
    let view = VerifiableRequest::new(
        &w.method,
        w.target.as_str(),
        w.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        VerifyBody::Unavailable,
    );
    let v = verifier("s3")
        .verify_with(&view, Some(creds(false)), now())
        .unwrap();
    assert!(!v.body_checked());
    assert_eq!(
        sigv4::hex(&v.expected_payload_sha256().unwrap()),
        sigv4::sha256_hex(&w.body)
    );
    // S3 requires the header in header mode.
    let mut w2 = w.clone();
    w2.headers
        .retain(|(h, _)| !h.eq_ignore_ascii_case("x-amz-content-sha256"));
    let auth = header(&w, "authorization").replace(";x-amz-content-sha256", "");
    set_header(&mut w2, "Authorization", &auth);
    assert_eq!(
        verify("s3", &w2, false).unwrap_err().code(),
        "InvalidRequest"
    );
    // Garbage in the header.
    let mut w2 = w.clone();
    set_header(&mut w2, "x-amz-content-sha256", "not-a-hash");
    assert_eq!(
        verify("s3", &w2, false).unwrap_err().code(),
        "InvalidArgument"
    );
    // Unsigned payloads are refused where not allowed.
    let u = signed(Case {
        service: "s3",
        query: false,
        token: false,
        unsigned: true,
    });
    let strict = verifier("s3").allow_unsigned_payload(false);
    let e = strict
        .verify_with(&u.view(), Some(creds(false)), now())
        .unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
}

#[test]
fn authentication_presence() {
    let w = header_case();
    let mut none = w.clone();
    none.headers
        .retain(|(h, _)| !h.eq_ignore_ascii_case("authorization"));
    assert_eq!(
        verify("s3", &none, false).unwrap_err(),
        VerifyError::MissingAuthentication
    );
    let q = query_case();
    let mut both = q.clone();
    both.headers.push((
        "Authorization".into(),
        header(&w, "authorization").into_bytes(),
    ));
    let e = verify("s3", &both, false).unwrap_err();
    assert_eq!(e.code(), "InvalidArgument");
    let mut twice = w.clone();
    twice.headers.push((
        "authorization".into(),
        header(&w, "authorization").into_bytes(),
    ));
    assert_eq!(
        verify("s3", &twice, false).unwrap_err().code(),
        "AuthorizationHeaderMalformed"
    );
    // A query parameter given twice.
    let mut q2 = q.clone();
    q2.target.push_str("&X-Amz-Date=20150830T123600Z");
    assert_eq!(
        verify("s3", &q2, false).unwrap_err().code(),
        "AuthorizationQueryParametersError"
    );
    // SigV2 is not accepted.
    let mut v2 = w.clone();
    set_header(&mut v2, "Authorization", "AWS AKIDEXAMPLE:c2lnbmF0dXJl");
    assert_eq!(
        verify("s3", &v2, false).unwrap_err().code(),
        "AuthorizationHeaderMalformed"
    );
}

/// A request dated with `Date` instead of `x-amz-date`, signed by hand from the spec.
#[test]
fn date_header_instead_of_x_amz_date() {
    let date = "Sun, 30 Aug 2015 12:36:00 GMT";
    let creq = format!(
        "GET\n/\n\ndate:{date}\nhost:example.amazonaws.com\n\ndate;host\n{}",
        sigv4::sha256_hex(b"")
    );
    let sts = format!(
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
        sigv4::sha256_hex(creq.as_bytes())
    );
    let key = SigningKey::derive(SECRET, "20150830", "us-east-1", "service").unwrap();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders=date;host, Signature={}",
        key.sign_hex(&sts)
    );
    let headers = [
        ("Host", "example.amazonaws.com".as_bytes()),
        ("Date", date.as_bytes()),
        ("Authorization", auth.as_bytes()),
    ];
    let v = Verifier::new("us-east-1", "service").unwrap();
    let req = VerifiableRequest::new("GET", "/", headers, VerifyBody::Bytes(b""));
    v.verify_with(&req, Some(creds(false)), now()).unwrap();
    // The Date header must be signed when it carries the time.
    let auth2 = auth.replace("SignedHeaders=date;host", "SignedHeaders=host");
    let headers = [
        ("Host", "example.amazonaws.com".as_bytes()),
        ("Date", date.as_bytes()),
        ("Authorization", auth2.as_bytes()),
    ];
    let req = VerifiableRequest::new("GET", "/", headers, VerifyBody::Bytes(b""));
    let e = v.verify_with(&req, Some(creds(false)), now()).unwrap_err();
    assert!(
        matches!(e, VerifyError::RequiredHeaderNotSigned { name: "date", .. }),
        "{e:?}"
    );
}

#[cfg(feature = "http")]
#[test]
fn http_request_view() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let mut req = http::Request::put("http://127.0.0.1:9000/bucket/key")
        .body(b"data".to_vec())
        .unwrap();
    signer
        .sign_http_request(&mut req, &creds(false), now())
        .unwrap();
    // As an HTTP/2 server sees it: an absolute URI and no Host header.
    let view = VerifiableRequest::from_http(&req, VerifyBody::Bytes(req.body()));
    verifier("s3")
        .verify_with(&view, Some(creds(false)), now())
        .unwrap();
}

#[test]
fn cached_signing_keys_follow_secret_rotation() {
    let w = header_case();
    let v = verifier("s3");
    let rotated = Credentials::new(AKID, "rotated-secret", None, None);
    for _ in 0..2 {
        v.verify_with(&w.view(), Some(creds(false)), now()).unwrap();
        let e = v
            .verify_with(&w.view(), Some(rotated.clone()), now())
            .unwrap_err();
        assert_eq!(e.code(), "SignatureDoesNotMatch");
    }
    // Clones share the cache and stay correct.
    let v2 = v.clone();
    v2.verify_with(&w.view(), Some(creds(false)), now())
        .unwrap();
    assert!(!format!("{v2:?}").contains(SECRET));
}

/// An absolute-form target may name the signed host, with or without the default port, and
/// nothing else: `host:80:80` once lost one `:80` when the target was split and another when
/// it was compared with `Host`, and verified as `host` (found by the `verify_edge` fuzz target).
#[test]
fn an_absolute_target_verifies_only_with_the_signed_host_and_one_port() {
    let host = "example.amazonaws.com";
    let headers = [("host", host.as_bytes())];
    let signer = Signer::new("us-east-1", "service").unwrap();
    let out = signer
        .sign(
            &SignableRequest::new("GET", "/a", headers, Payload::Bytes(b"")),
            &creds(false),
            now(),
        )
        .unwrap();
    let mut sent: Vec<(&str, &[u8])> = headers.to_vec();
    sent.extend(out.headers().map(|(n, v)| (n, v.as_bytes())));
    let v = Verifier::new("us-east-1", "service").unwrap();
    for (authority, ok) in [
        ("example.amazonaws.com", true),
        ("EXAMPLE.amazonaws.com:80", true),
        ("example.amazonaws.com:80:80", false),
        ("EXAMPLE.amazonaws.com:80:80", false),
        ("example.amazonaws.com:8080", false),
        ("example.amazonaws.com:", false),
        ("evil.example.net", false),
    ] {
        let target = format!("http://{authority}/a");
        let req = VerifiableRequest::new("GET", &target, sent.clone(), VerifyBody::Bytes(b""));
        let got = v.verify_with(&req, Some(creds(false)), now());
        assert_eq!(got.is_ok(), ok, "{target}: {got:?}");
    }
}
