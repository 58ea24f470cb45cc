//! URL path canonicalization: never panics, yields an ASCII path (absolute for an absolute input); with
//! normalization no empty, `.` or `..` segment survives; normalizing is idempotent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4::canonical_request::canonical_uri;
use sigv4::UriRules;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let normalize = flags & 1 != 0;
    let double_encode = flags & 2 != 0;
    let path = String::from_utf8_lossy(rest);
    let mut out = String::new();
    let rules = UriRules {
        normalize_path: normalize,
        double_encode,
    };
    canonical_uri(&mut out, &path, rules);
    // The signer only passes paths that start with '/' (or empty ones, which sign as '/').
    if normalize || path.is_empty() || path.starts_with('/') {
        assert!(out.starts_with('/'), "{path:?} -> {out:?}");
    }
    assert!(out.is_ascii(), "{out:?}");
    if normalize {
        let inner = out.trim_start_matches('/');
        let inner = inner.strip_suffix('/').unwrap_or(inner);
        if !inner.is_empty() {
            for seg in inner.split('/') {
                assert!(
                    !seg.is_empty() && seg != "." && seg != "..",
                    "{path:?} -> {out:?}"
                );
            }
        }
        if !double_encode {
            // The canonical path is a fixed point of normalization without re-encoding.
            let mut again = String::new();
            let no_double = UriRules {
                normalize_path: true,
                double_encode: false,
            };
            canonical_uri(&mut again, &out, no_double);
            assert_eq!(again, out, "{path:?}");
        }
    }
});
