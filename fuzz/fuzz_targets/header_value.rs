//! Header value canonicalization: never panics; a value it accepts comes out trimmed,
//! without control characters or runs of spaces, and canonicalizing it again changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sigv4::canonical_request::canonical_header_value;

fuzz_target!(|data: &[u8]| {
    let mut out = String::new();
    if canonical_header_value(&mut out, data).is_ok() {
        assert!(!out.starts_with(' ') && !out.ends_with(' '), "{out:?}");
        assert!(!out.contains("  "), "{out:?}");
        assert!(!out.bytes().any(|b| b < 0x20 || b == 0x7f), "{out:?}");
        let mut again = String::new();
        canonical_header_value(&mut again, out.as_bytes()).expect("canonical output is valid");
        assert_eq!(again, out);
    }
});
