//! The public API's promises: typed errors for bad input, signing keys that work without the
//! secret and refuse other scopes, `http::Request` signing, header selection and token modes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::{
    AmzDate, Credentials, HeaderSelection, Payload, SessionTokenMode, SignableRequest, Signer,
    SigningError, SigningKey, SigningSettings,
};

fn creds() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    )
}

fn t() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn host() -> [(&'static str, &'static [u8]); 1] {
    [("host", b"example.amazonaws.com")]
}

#[test]
fn bad_input_is_a_typed_error() {
    assert!(matches!(
        Signer::new("", "s3"),
        Err(SigningError::InvalidRegion(_))
    ));
    assert!(matches!(
        Signer::new("us east", "s3"),
        Err(SigningError::InvalidRegion(_))
    ));
    assert!(matches!(
        Signer::new("us-east-1", ""),
        Err(SigningError::InvalidService(_))
    ));
    let s = Signer::new("us-east-1", "svc").unwrap();
    let sign = |req: SignableRequest<'_>| s.sign(&req, &creds(), t());
    assert!(matches!(
        sign(SignableRequest::new(
            "G ET",
            "/",
            host(),
            Payload::Bytes(b"")
        )),
        Err(SigningError::InvalidMethod(_))
    ));
    assert!(matches!(
        sign(SignableRequest::new(
            "GET",
            "/",
            [("bad name", b"x".as_slice())],
            Payload::Bytes(b"")
        )),
        Err(SigningError::InvalidHeaderName(_))
    ));
    assert!(matches!(
        sign(SignableRequest::new(
            "GET",
            "/",
            [("host", b"h".as_slice()), ("x", b"a\nb")],
            Payload::Bytes(b"")
        )),
        Err(SigningError::InvalidHeaderValue(_))
    ));
    assert!(matches!(
        sign(SignableRequest::new(
            "GET",
            "/",
            [("host", b"h".as_slice()), ("x", b"\xff\xfe")],
            Payload::Bytes(b"")
        )),
        Err(SigningError::InvalidHeaderValue(_))
    ));
    assert!(matches!(
        sign(SignableRequest::new("GET", "/", [], Payload::Bytes(b""))),
        Err(SigningError::MissingHost)
    ));
    assert!(matches!(
        sign(SignableRequest::new(
            "GET",
            "https:///path",
            [],
            Payload::Bytes(b"")
        )),
        Err(SigningError::MissingHost)
    ));
    assert!(matches!(
        sign(SignableRequest::new(
            "GET",
            "/",
            host(),
            Payload::Precomputed("not a hash")
        )),
        Err(SigningError::InvalidPayloadHash(_))
    ));
    assert!(matches!(
        s.sign(
            &SignableRequest::new("GET", "/", host(), Payload::Bytes(b"")),
            &creds(),
            UNIX_EPOCH - Duration::from_secs(1)
        ),
        Err(SigningError::TimeOutOfRange)
    ));
    for secs in [0, 604_801] {
        let p = Signer::new("us-east-1", "svc").unwrap().with_settings(
            SigningSettings::for_service("svc").presigned(Duration::from_secs(secs)),
        );
        assert_eq!(
            p.sign(
                &SignableRequest::new("GET", "/", host(), Payload::Bytes(b"")),
                &creds(),
                t()
            )
            .unwrap_err(),
            SigningError::InvalidExpiry(secs)
        );
    }
}

#[test]
fn errors_never_contain_the_secret() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let s = Signer::new("us-east-1", "svc").unwrap();
    let err = s
        .sign(
            &SignableRequest::new("GET", "/", [("x", b"\x01".as_slice())], Payload::Bytes(b"")),
            &creds(),
            t(),
        )
        .unwrap_err();
    assert!(!err.to_string().contains(secret));
    assert!(!format!("{err:?}").contains(secret));
    assert!(!format!("{s:?}").contains(secret));
}

#[test]
fn signing_key_signs_without_the_secret_and_refuses_other_scopes() {
    let signer = Signer::new("us-east-1", "service").unwrap();
    let req = SignableRequest::new(
        "GET",
        "/?Param2=value2&Param1=value1",
        host(),
        Payload::Bytes(b""),
    );
    let with_secret = signer.sign(&req, &creds(), t()).unwrap();
    let date = AmzDate::from_system_time(t()).unwrap();
    let key =
        SigningKey::derive_for(creds().secret_access_key(), &date, "us-east-1", "service").unwrap();
    // Hand over only the bytes and scope, as another component would receive them.
    let handed =
        SigningKey::from_bytes(*key.as_bytes(), "20150830", "us-east-1", "service").unwrap();
    let with_key = signer
        .sign_with_key(&req, &handed, "AKIDEXAMPLE", None, t())
        .unwrap();
    assert_eq!(with_key.signature(), with_secret.signature());
    assert_eq!(
        with_key.signature(),
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );

    let next_day = t() + Duration::from_secs(86_400);
    let err = signer
        .sign_with_key(&req, &handed, "AKIDEXAMPLE", None, next_day)
        .unwrap_err();
    assert!(
        matches!(err, SigningError::KeyScopeMismatch { .. }),
        "{err}"
    );
    let other_region = Signer::new("eu-west-1", "service").unwrap();
    assert!(matches!(
        other_region.sign_with_key(&req, &handed, "AKIDEXAMPLE", None, t()),
        Err(SigningError::KeyScopeMismatch { .. })
    ));
    let other_service = Signer::new("us-east-1", "s3").unwrap();
    assert!(matches!(
        other_service.sign_with_key(&req, &handed, "AKIDEXAMPLE", None, t()),
        Err(SigningError::KeyScopeMismatch { .. })
    ));
}

#[test]
fn cached_key_follows_day_and_credential_changes() {
    let signer = Signer::new("us-east-1", "service").unwrap();
    let k1 = signer.signing_key(&creds(), t()).unwrap();
    let k2 = signer
        .signing_key(&creds(), t() + Duration::from_secs(60))
        .unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&k1, &k2),
        "same day and credentials reuse the key"
    );
    let k3 = signer
        .signing_key(&creds(), t() + Duration::from_secs(86_400))
        .unwrap();
    assert_eq!(k3.date(), "20150831");
    let rotated = Credentials::new("AKIDEXAMPLE", "another secret", None, None);
    let k4 = signer
        .signing_key(&rotated, t() + Duration::from_secs(86_400))
        .unwrap();
    assert_ne!(
        k3.as_bytes(),
        k4.as_bytes(),
        "a rotated secret derives a new key"
    );
}

#[test]
fn signs_http_requests_in_place() {
    let signer = Signer::new("us-east-1", "service").unwrap();
    let mut req = http::Request::get("https://example.amazonaws.com/?Param2=value2&Param1=value1")
        .body(Vec::<u8>::new())
        .unwrap();
    let out = signer.sign_http_request(&mut req, &creds(), t()).unwrap();
    assert_eq!(
        out.signature(),
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );
    assert_eq!(req.headers()["host"], "example.amazonaws.com");
    assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
    assert!(req.headers()["authorization"].is_sensitive());

    // Presigned: the query is rewritten, nothing but host is added.
    let presigner = Signer::new("us-east-1", "service").unwrap().with_settings(
        SigningSettings::for_service("service").presigned(Duration::from_secs(3600)),
    );
    let mut req = http::Request::get("https://example.amazonaws.com/?Param2=value2&Param1=value1")
        .body(Vec::<u8>::new())
        .unwrap();
    let out = presigner
        .sign_http_request(&mut req, &creds(), t())
        .unwrap();
    assert_eq!(
        out.signature(),
        "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5"
    );
    assert!(req.uri().query().unwrap().ends_with(out.signature()));
    assert!(req.headers().get("authorization").is_none());

    // Re-presigning replaces the old signing parameters instead of duplicating them.
    let again = presigner
        .sign_http_request(&mut req, &creds(), t())
        .unwrap();
    assert_eq!(again.signature(), out.signature());
    assert_eq!(
        req.uri()
            .query()
            .unwrap()
            .matches("X-Amz-Signature")
            .count(),
        1
    );
}

#[test]
fn default_ports_are_left_out_of_host() {
    let signer = Signer::new("us-east-1", "service").unwrap();
    for (url, want) in [
        ("https://H.example.com:443/", "h.example.com"),
        ("http://h.example.com:80/", "h.example.com"),
        ("https://h.example.com:80/", "h.example.com:80"),
        ("http://h.example.com:8080/", "h.example.com:8080"),
    ] {
        let out = signer
            .sign(
                &SignableRequest::new("GET", url, [], Payload::Bytes(b"")),
                &creds(),
                t(),
            )
            .unwrap();
        assert!(
            out.canonical_request()
                .contains(&format!("\nhost:{want}\n")),
            "{url}"
        );
        assert_eq!(out.headers().find(|(n, _)| *n == "host").unwrap().1, want);
    }
}

#[test]
fn header_selection_and_exclusions() {
    let headers = [
        ("host", b"h".as_slice()),
        ("User-Agent", b"curl"),
        ("X-Amzn-Trace-Id", b"1"),
        ("Connection", b"keep-alive"),
        ("x-custom", b"1"),
        ("content-type", b"text/plain"),
    ];
    let req = SignableRequest::new("GET", "/", headers, Payload::Bytes(b""));
    let signer = Signer::new("us-east-1", "svc").unwrap();
    let out = signer.sign(&req, &creds(), t()).unwrap();
    assert_eq!(
        out.signed_headers(),
        "content-type;host;x-amz-date;x-custom"
    );

    let mut settings = SigningSettings::for_service("svc");
    settings.headers = HeaderSelection::Only(vec!["content-type".into()]);
    let out = Signer::new("us-east-1", "svc")
        .unwrap()
        .with_settings(settings)
        .sign(&req, &creds(), t())
        .unwrap();
    assert_eq!(out.signed_headers(), "content-type;host;x-amz-date");

    let mut settings = SigningSettings::for_service("svc");
    settings.headers = HeaderSelection::Exclude(vec!["x-custom".into()]);
    let out = Signer::new("us-east-1", "svc")
        .unwrap()
        .with_settings(settings)
        .sign(&req, &creds(), t())
        .unwrap();
    assert_eq!(
        out.signed_headers(),
        "connection;content-type;host;user-agent;x-amz-date;x-amzn-trace-id"
    );
}

#[test]
fn exactly_signs_the_listed_headers_and_nothing_else() {
    // requests-aws4auth's include_hdrs: the SignedHeaders list is the caller's, byte for byte,
    // even when it leaves out host or the x-amz-* headers signing adds (which are still sent).
    let headers = [
        ("Host", b"example.com".as_slice()),
        ("Date", b"Mon, 09 Sep 2011 23:36:00 GMT"),
        ("X-Amz-Meta-A", b"1"),
    ];
    let token = Credentials::new("AKID", "secret", Some("TOKEN".into()), None);
    let req = SignableRequest::new("GET", "/", headers, Payload::Bytes(b""));
    let exactly = |list: &[&str]| {
        let mut settings = SigningSettings::for_service("svc");
        settings.content_sha256_header = true;
        settings.headers = HeaderSelection::Exactly(list.iter().map(|s| s.to_string()).collect());
        Signer::new("us-east-1", "svc")
            .unwrap()
            .with_settings(settings)
            .sign(&req, &token, t())
            .unwrap()
    };
    let out = exactly(&["date", "host"]);
    assert_eq!(out.signed_headers(), "date;host");
    assert!(!out.canonical_request().contains("x-amz-"));
    let added: Vec<_> = out.headers().map(|(n, _)| n).collect();
    for name in ["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"] {
        assert!(added.contains(&name), "{name} is still added: {added:?}");
    }
    assert_eq!(exactly(&["date"]).signed_headers(), "date");
    assert_eq!(
        exactly(&[
            "X-Amz-Date",
            "x-amz-content-sha256",
            "x-amz-meta-a",
            "x-amz-security-token"
        ])
        .signed_headers(),
        "x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-security-token"
    );
    // The same list as the default selection signs the same bytes.
    let mut settings = SigningSettings::for_service("svc");
    settings.content_sha256_header = true;
    let all = Signer::new("us-east-1", "svc")
        .unwrap()
        .with_settings(settings)
        .sign(&req, &token, t())
        .unwrap();
    let same = exactly(&all.signed_headers().split(';').collect::<Vec<_>>());
    assert_eq!(same.signature(), all.signature());
}

#[test]
fn session_token_modes() {
    let creds = Credentials::new("AKID", "secret", Some("TOKEN".into()), None);
    let req = SignableRequest::new("GET", "/", host(), Payload::Bytes(b""));
    let signed = Signer::new("us-east-1", "svc")
        .unwrap()
        .sign(&req, &creds, t())
        .unwrap();
    assert!(signed.signed_headers().contains("x-amz-security-token"));
    let mut settings = SigningSettings::for_service("svc");
    settings.session_token_mode = SessionTokenMode::AppendAfterSigning;
    let appended = Signer::new("us-east-1", "svc")
        .unwrap()
        .with_settings(settings)
        .sign(&req, &creds, t())
        .unwrap();
    assert!(!appended.signed_headers().contains("x-amz-security-token"));
    assert!(appended
        .headers()
        .any(|(n, v)| n == "x-amz-security-token" && v == "TOKEN"));
    assert!(
        !format!("{appended:?}").contains("TOKEN"),
        "Debug redacts the token"
    );
}

#[test]
fn streaming_and_precomputed_payload_markers() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    for (p, want) in [
        (
            Payload::StreamingSigned,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        ),
        (
            Payload::StreamingSignedTrailer,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        (
            Payload::StreamingUnsignedTrailer,
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        ),
        (
            Payload::Precomputed(
                "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            ),
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        ),
    ] {
        let out = signer
            .sign(&SignableRequest::new("PUT", "/k", host(), p), &creds(), t())
            .unwrap();
        assert!(out.canonical_request().ends_with(&format!("\n{want}")));
        assert!(out
            .headers()
            .any(|(n, v)| n == "x-amz-content-sha256" && v == want));
    }
}

#[test]
fn allow_list_signs_x_amz_headers_in_any_letter_case() {
    // HTTP names are case-insensitive: `X-Amz-Meta-*` must be signed under an allow list just
    // like `x-amz-meta-*` (it once went out unsigned, so a proxy could change it).
    let headers: [(&str, &[u8]); 4] = [
        ("Host", b"example.amazonaws.com"),
        ("X-Amz-Meta-Owner", b"alice"),
        ("Content-Type", b"text/plain"),
        ("Accept", b"*/*"),
    ];
    let req = SignableRequest::new("PUT", "/k", headers, Payload::Bytes(b"x"));
    let mut settings = SigningSettings::for_service("svc");
    settings.headers = HeaderSelection::Only(vec!["content-type".into()]);
    let out = Signer::new("us-east-1", "svc")
        .unwrap()
        .with_settings(settings)
        .sign(&req, &creds(), t())
        .unwrap();
    assert_eq!(
        out.signed_headers(),
        "content-type;host;x-amz-date;x-amz-meta-owner"
    );
}
