//! Every implementation in the benchmarks signs every case identically, so the timing
//! comparison compares the same work.

use sigv4_benches::{cross_check, Case};

#[test]
fn all_implementations_agree_on_every_case() {
    let cases = Case::all();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let sigs = cross_check(&case).unwrap_or_else(|e| panic!("{e}"));
        assert!(sigs.len() >= 5, "{}: {sigs:?}", case.id);
        for (_, s) in &sigs {
            assert_eq!(s.len(), 64);
        }
    }
}
