//! Property tests: arbitrary methods, paths, queries, headers and bodies never panic, and
//! signing is deterministic and consistent between its modes.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningSettings};

fn creds(token: Option<String>) -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        token,
        None,
    )
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        any::<String>(),
        "(/|%[0-9a-fA-F]{2}|\\.|\\.\\.|[a-z+ =&?#]){0,30}",
    ]
}

fn any_headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::vec(
        (
            prop_oneof!["[A-Za-z0-9-]{1,12}", any::<String>()],
            prop_oneof![
                "[ -~\t]{0,30}".prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..20)
            ],
        ),
        0..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn never_panics_and_is_deterministic(
        method in prop_oneof!["GET|PUT|POST|DELETE|HEAD", any::<String>()],
        service in prop_oneof![Just("s3".to_owned()), Just("execute-api".to_owned()), "[a-z0-9-]{1,10}"],
        path in any_text(),
        query in any_text(),
        absolute in any::<bool>(),
        headers in any_headers(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        token in prop::option::of("[ -~]{1,30}"),
        presign in prop::option::of(0u64..700_000),
        secs in 0u64..4_102_444_800,
    ) {
        let uri = if absolute {
            format!("https://example.com{path}?{query}")
        } else {
            format!("{path}?{query}")
        };
        let mut settings = SigningSettings::for_service(&service);
        if let Some(e) = presign {
            settings = settings.presigned(Duration::from_secs(e));
        }
        let signer = Signer::new("us-east-1", service.as_str()).unwrap().with_settings(settings);
        let mut hs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        if !absolute {
            hs.push(("host", b"example.com"));
        }
        let req = SignableRequest::new(&method, &uri, hs.iter().copied(), Payload::Bytes(&body));
        let c = creds(token);
        let time = UNIX_EPOCH + Duration::from_secs(secs);
        let a = signer.sign(&req, &c, time);
        let b = signer.sign(&req, &c, time);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.signature(), b.signature());
                prop_assert_eq!(a.canonical_request(), b.canonical_request());
                prop_assert_eq!(a.signature().len(), 64);
                // The string to sign ends with the hash of the canonical request.
                prop_assert!(a.string_to_sign().ends_with(&sigv4::sha256_hex(a.canonical_request().as_bytes())));
                // A presigned query never carries a raw plus or a second signature.
                let q = a.query_string();
                prop_assert!(!q.contains('+'));
                prop_assert!(q.matches("X-Amz-Signature=").count() <= 1);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "non-deterministic: {:?} vs {:?}", a.is_ok(), b.is_ok()),
        }
    }

    /// The canonical query does not depend on the order of the parameters on the wire.
    #[test]
    fn query_order_does_not_matter(pairs in prop::collection::vec(("[a-zA-Z0-9%+._~-]{0,6}", "[a-zA-Z0-9%+=._~-]{0,6}"), 0..6)) {
        let q1: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut q2 = q1.clone();
        q2.reverse();
        let signer = Signer::new("us-east-1", "svc").unwrap();
        let sign = |q: &str| {
            let uri = format!("/?{q}");
            let req = SignableRequest::new("GET", &uri, [("host", b"h".as_slice())], Payload::Bytes(b""));
            let out = signer.sign(&req, &creds(None), UNIX_EPOCH).unwrap();
            out.signature().to_owned()
        };
        prop_assert_eq!(sign(&q1.join("&")), sign(&q2.join("&")));
    }

    /// Header names are case-insensitive and values are whitespace-normalized.
    #[test]
    fn header_case_and_whitespace_do_not_matter(name in "[a-z][a-z0-9-]{0,10}", value in "[a-z]{1,5}( [a-z]{1,5}){0,3}") {
        let signer = Signer::new("us-east-1", "svc").unwrap();
        let upper = name.to_ascii_uppercase();
        let spaced = format!("  {}\t ", value.replace(' ', "   "));
        let sign = |n: &str, v: &str| {
            signer
                .sign(&SignableRequest::new("GET", "/", [("host", b"h".as_slice()), (n, v.as_bytes())], Payload::Bytes(b"")), &creds(None), UNIX_EPOCH)
                .unwrap()
                .signature()
                .to_owned()
        };
        prop_assert_eq!(sign(&name, &value), sign(&upper, &spaced));
    }
}
