//! `SigningOutput::replaced_headers`: the core says which request headers signing set
//! itself, so callers (the CLI, HTTP adapters) drop exactly those and need not decide again.

use std::time::{Duration, UNIX_EPOCH};

use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningOutput, SigningSettings};

fn time() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn creds(token: bool) -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        token.then(|| "session-token-value".to_owned()),
        None,
    )
}

/// Stale copies of every header signing may set, in mixed case.
const STALE: &[(&str, &str)] = &[
    ("Authorization", "AWS4-HMAC-SHA256 stale"),
    ("X-Amz-Date", "19990101T000000Z"),
    ("X-Amz-Security-Token", "stale-token"),
    ("X-Amz-Content-Sha256", "STALE-HASH"),
    ("X-Amz-Region-Set", "stale-region"),
    ("range", "bytes=0-9"),
];

/// Signs a GET carrying `STALE`; the payload is the (empty) body's hash unless `unsigned`.
fn sign(service: &str, presign: bool, token: bool) -> SigningOutput {
    sign_payload(service, presign, token, false)
}

fn sign_payload(service: &str, presign: bool, token: bool, unsigned: bool) -> SigningOutput {
    let mut settings = SigningSettings::for_service(service);
    if presign {
        settings = settings.presigned(Duration::from_secs(60));
    }
    let signer = Signer::new("us-east-1", service)
        .unwrap()
        .with_settings(settings);
    let req = SignableRequest::new(
        "GET",
        "https://example.amazonaws.com/x",
        STALE.iter().map(|(n, v)| (*n, v.as_bytes())),
        if unsigned {
            Payload::Unsigned
        } else {
            Payload::Bytes(b"")
        },
    );
    signer.sign(&req, &creds(token), time()).unwrap()
}

fn names(out: &SigningOutput) -> Vec<&'static str> {
    out.replaced_headers().collect()
}

#[test]
fn which_headers_signing_sets() {
    assert_eq!(
        names(&sign("service", false, false)),
        ["authorization", "x-amz-date"]
    );
    assert_eq!(
        names(&sign("service", false, true)),
        ["authorization", "x-amz-date", "x-amz-security-token"]
    );
    // Any service: a payload line that is not the body's hash travels in
    // x-amz-content-sha256, which signing then sets.
    assert_eq!(
        names(&sign_payload("service", false, false, true)),
        ["authorization", "x-amz-date", "x-amz-content-sha256"]
    );
    assert_eq!(
        names(&sign("s3", false, true)),
        [
            "authorization",
            "x-amz-date",
            "x-amz-security-token",
            "x-amz-content-sha256"
        ]
    );
    // Presigned: the date, hash and signature travel in the query; a request header of
    // those names is then the caller's own and is signed like any other.
    assert_eq!(names(&sign("s3", true, false)), ["authorization"]);
    assert_eq!(
        names(&sign("s3", true, true)),
        ["authorization", "x-amz-security-token"]
    );
}

#[test]
fn replaced_headers_are_not_signed_from_the_request_and_the_rest_are() {
    for (service, presign, token, unsigned) in [
        ("service", false, false, false),
        ("service", false, true, false),
        ("service", false, false, true),
        ("s3", false, true, true),
        ("s3", true, false, true),
        ("s3", true, true, false),
    ] {
        let out = sign_payload(service, presign, token, unsigned);
        let creq = out.canonical_request();
        for (name, value) in STALE {
            let stale_line = format!("{}:{value}\n", name.to_ascii_lowercase());
            if out.replaces_header(name) {
                assert!(
                    !creq.contains(&stale_line),
                    "{service} presign={presign}: {name} was replaced but its stale value was signed"
                );
            } else if *name != "Authorization" {
                assert!(
                    creq.contains(&stale_line),
                    "{service} presign={presign}: {name} is not replaced, so it must be signed as given:\n{creq}"
                );
            }
        }
        // What signing adds in header mode is always among what it replaces (or the host).
        for (name, _) in out.headers() {
            assert!(
                name == "host" || out.replaces_header(name),
                "{name} added but not reported as replaced"
            );
        }
    }
}

#[cfg(feature = "sigv4a")]
#[test]
fn sigv4a_output_is_the_same_type_and_reports_the_region_set() {
    use sigv4::sigv4a::SigV4aSigner;
    let signer = SigV4aSigner::new("us-east-1,us-west-2", "service").unwrap();
    let req = SignableRequest::new(
        "GET",
        "https://example.amazonaws.com/x",
        STALE.iter().map(|(n, v)| (*n, v.as_bytes())),
        Payload::Unsigned,
    );
    // One output type for both algorithms.
    let out: SigningOutput = signer.sign(&req, &creds(false), time()).unwrap();
    assert_eq!(
        names(&out),
        [
            "authorization",
            "x-amz-date",
            "x-amz-content-sha256",
            "x-amz-region-set"
        ]
    );
    assert!(out
        .canonical_request()
        .contains("x-amz-region-set:us-east-1,us-west-2\n"));
    assert!(!out.canonical_request().contains("stale-region"));
}

#[cfg(feature = "http")]
#[test]
fn the_http_request_methods_replace_exactly_those_headers() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let mut b = http::Request::get("https://examplebucket.s3.amazonaws.com/x");
    for (n, v) in STALE {
        b = b.header(*n, *v);
    }
    let mut req = b.body(()).unwrap();
    let out = signer
        .sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds(true), time())
        .unwrap();
    for name in out.replaced_headers() {
        let sent: Vec<_> = req.headers().get_all(name).iter().collect();
        assert_eq!(sent.len(), 1, "{name}: exactly one value is sent");
        assert_ne!(
            sent[0].to_str().unwrap(),
            STALE
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .unwrap()
                .1
        );
    }
    assert_eq!(req.headers()["range"], "bytes=0-9");
}
