//! The `+` rule (one rule for the signer and the verifier): with `QueryPlus::Literal` (the
//! default, the sign contract) a raw `+` signs as `%2B` and the signed query carries `%2B`;
//! with `QueryPlus::Space` it signs as `%20` and the query is sent as it came. The verifier
//! reads a raw `+` as a space by default, so both signers' requests verify as sent.

use std::time::{Duration, UNIX_EPOCH};

use sigv4::verify::{VerifiableRequest, Verifier, VerifyBody};
use sigv4::{Credentials, Payload, QueryPlus, SignableRequest, Signer, SigningSettings};

fn creds() -> Credentials {
    Credentials::new("AKIDPLUS", "plus/secret", None, None)
}

fn now() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn signer(service: &str, plus: QueryPlus) -> Signer {
    Signer::new("us-east-1", service)
        .unwrap()
        .with_settings(SigningSettings::for_service(service).query_plus(plus))
}

/// Signs `GET /s?{query}` in header mode with an `http::Request`; returns the target sent
/// on the wire, the canonical query line and the headers.
fn sign_http(service: &str, plus: QueryPlus, query: &str) -> (String, Vec<(String, String)>) {
    let mut req = http::Request::get(format!("https://api.example.com/s?{query}"))
        .body(Vec::<u8>::new())
        .unwrap();
    signer(service, plus)
        .sign_http_request(&mut req, &creds(), now())
        .unwrap();
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    (
        req.uri().path_and_query().unwrap().as_str().to_owned(),
        headers,
    )
}

fn verify(target: &str, headers: &[(String, String)], v: &Verifier) -> bool {
    let req = VerifiableRequest::new(
        "GET",
        target,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        VerifyBody::Bytes(b""),
    );
    v.verify_with(&req, Some(creds()), now()).is_ok()
}

#[test]
fn space_signs_a_raw_plus_as_a_space_and_sends_the_query_unchanged() {
    for service in ["execute-api", "s3"] {
        let out = signer(service, QueryPlus::Space)
            .sign(
                &SignableRequest::new(
                    "GET",
                    "https://api.example.com/s?q=title%3Afoo+bar&p=%2B",
                    [],
                    Payload::Unsigned,
                ),
                &creds(),
                now(),
            )
            .unwrap();
        assert_eq!(
            out.canonical_request().lines().nth(2),
            Some("p=%2B&q=title%3Afoo%20bar")
        );
        assert_eq!(out.query_string(), "q=title%3Afoo+bar&p=%2B");

        // Through http::Request: header mode leaves the URI alone, and it verifies as sent
        // under the verifier's default (a raw '+' is a space).
        let (target, headers) = sign_http(service, QueryPlus::Space, "q=a+b&r=c%2Bd");
        assert_eq!(target, "/s?q=a+b&r=c%2Bd");
        let verifier = Verifier::new("us-east-1", service).unwrap();
        assert!(verify(&target, &headers, &verifier), "{service}");
        // Read as a plus, it is another request.
        let literal = verifier.clone().with_query_plus(QueryPlus::Literal);
        assert!(!verify(&target, &headers, &literal), "{service}");
    }
}

#[test]
fn literal_keeps_the_sign_contract_and_verifies_as_sent() {
    let out = signer("execute-api", QueryPlus::Literal)
        .sign(
            &SignableRequest::new(
                "GET",
                "https://api.example.com/s?q=a+b",
                [],
                Payload::Bytes(b""),
            ),
            &creds(),
            now(),
        )
        .unwrap();
    assert_eq!(out.canonical_request().lines().nth(2), Some("q=a%2Bb"));
    assert_eq!(out.query_string(), "q=a%2Bb");
    // The default settings are the literal plus.
    assert_eq!(SigningSettings::default().query_plus, QueryPlus::Literal);
    assert_eq!(
        Signer::new("us-east-1", "execute-api")
            .unwrap()
            .settings()
            .query_plus,
        QueryPlus::Literal
    );

    // A presigned URL writes %2B on the wire, which verifies as a plus.
    let presigner = Signer::new("us-east-1", "s3").unwrap().with_settings(
        SigningSettings::s3()
            .presigned(Duration::from_secs(60))
            .query_plus(QueryPlus::Literal),
    );
    let url = presigner
        .presign_url(
            "GET",
            "https://b.s3.amazonaws.com/k?tag=a+b",
            &creds(),
            now(),
        )
        .unwrap();
    assert!(url.contains("tag=a%2Bb&"), "{url}");
    let verifier = Verifier::new("us-east-1", "s3").unwrap();
    let req = VerifiableRequest::from_url("GET", &url, [], VerifyBody::Unavailable).unwrap();
    verifier.verify_with(&req, Some(creds()), now()).unwrap();

    // With Space the presigned URL keeps the raw '+', which verifies as a space.
    let presigner = Signer::new("us-east-1", "s3").unwrap().with_settings(
        SigningSettings::s3()
            .presigned(Duration::from_secs(60))
            .query_plus(QueryPlus::Space),
    );
    let url = presigner
        .presign_url(
            "GET",
            "https://b.s3.amazonaws.com/k?tag=a+b",
            &creds(),
            now(),
        )
        .unwrap();
    assert!(url.contains("tag=a+b&"), "{url}");
    let req = VerifiableRequest::from_url("GET", &url, [], VerifyBody::Unavailable).unwrap();
    verifier.verify_with(&req, Some(creds()), now()).unwrap();
}

#[test]
fn presigned_http_requests_keep_or_rewrite_the_plus_as_chosen() {
    for (plus, want) in [
        (QueryPlus::Literal, "/s?q=a%2Bb&X-Amz-Algorithm="),
        (QueryPlus::Space, "/s?q=a+b&X-Amz-Algorithm="),
    ] {
        let mut req = http::Request::get("https://api.example.com/s?q=a+b")
            .body(Vec::<u8>::new())
            .unwrap();
        Signer::new("us-east-1", "execute-api")
            .unwrap()
            .with_settings(
                SigningSettings::for_service("execute-api")
                    .presigned(Duration::from_secs(60))
                    .query_plus(plus),
            )
            .sign_http_request(&mut req, &creds(), now())
            .unwrap();
        let pq = req.uri().path_and_query().unwrap().as_str().to_owned();
        assert!(pq.starts_with(want), "{plus:?}: {pq}");
        let verifier = Verifier::new("us-east-1", "execute-api").unwrap();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        assert!(verify(&pq, &headers, &verifier), "{plus:?} {pq}");
    }
}

/// Found by the `sign_http` fuzz target: an `http::Request` signed in header mode with the
/// default (literal plus) kept its raw '+' on the wire while signing `%2B`, so the default
/// verifier (a raw '+' is a space) refused the request the signer had just signed.
#[test]
fn literal_header_mode_http_requests_send_the_plus_they_signed() {
    for service in ["execute-api", "s3"] {
        let (target, headers) = sign_http(service, QueryPlus::Literal, "q=a+b&r=%2B&'+'");
        assert_eq!(target, "/s?q=a%2Bb&r=%2B&'%2B'", "{service}");
        let verifier = Verifier::new("us-east-1", service).unwrap();
        assert!(verify(&target, &headers, &verifier), "{service}: {target}");
        // Without a '+' the URI is left exactly as it was.
        let (target, _) = sign_http(service, QueryPlus::Literal, "q=a%20b&x");
        assert_eq!(target, "/s?q=a%20b&x", "{service}");
    }
}
