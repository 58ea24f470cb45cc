//! Inputs that crashed a fuzz target (fuzz/), kept as regression tests.

use sigv4::AmzDate;

/// fuzz target `misc_parsers`: `parse_rfc3339` sliced the text at byte 19 without checking
/// for a character boundary, and panicked when a multi-byte character straddled it.
#[test]
fn rfc3339_with_multibyte_character_at_byte_19_is_refused_not_a_panic() {
    let bytes = [
        50, 48, 49, 53, 45, 48, 56, 45, 51, 48, 84, 49, 50, 58, 51, 54, 58, 255, 255, 255, 255, 48,
        48, 46, 49, 50, 51, 43, 51, 48, 58, 48, 48,
    ];
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(AmzDate::parse_rfc3339(&text), None);
    // The same shape with other characters straddling byte 19.
    for s in [
        "2015-08-30T12:36:0é0Z",
        "2015-08-30T12:36:€0Z",
        "2015-08-30T12:36:00€",
    ] {
        assert_eq!(AmzDate::parse_rfc3339(s), None, "{s}");
    }
    // Valid times still parse.
    assert!(AmzDate::parse_rfc3339("2015-08-30T12:36:00Z").is_some());
    assert!(AmzDate::parse_rfc3339("2015-08-30T12:36:00.123+00:00").is_some());
}
