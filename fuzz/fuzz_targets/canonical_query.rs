//! Query canonicalization: never panics, yields ASCII `k=v` pairs sorted by key then value,
//! and is idempotent (a canonical query canonicalizes to itself).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4::canonical_request::canonical_query;

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let mut out = String::new();
    canonical_query(&mut out, &query, &[], |k| k == b"X-Amz-Signature");
    assert!(out.is_ascii(), "{out:?}");
    let pairs: Vec<(&str, &str)> = if out.is_empty() {
        Vec::new()
    } else {
        out.split('&')
            .map(|p| p.split_once('=').expect("every canonical pair has '='"))
            .collect()
    };
    assert!(pairs.windows(2).all(|w| w[0] <= w[1]), "{out:?}");
    assert!(pairs.iter().all(|(k, _)| *k != "X-Amz-Signature"));
    let mut again = String::new();
    canonical_query(&mut again, &out, &[], |_| false);
    assert_eq!(again, out, "{query:?}");
    // Extra parameters (already canonical) merge into the sort.
    let mut with_extra = String::new();
    canonical_query(
        &mut with_extra,
        &query,
        &[("X-Amz-Date", "20150830T123600Z")],
        |k| k == b"X-Amz-Signature",
    );
    assert!(with_extra.contains("X-Amz-Date=20150830T123600Z"));
});
