//! The trailer CRCs (SIMD CRC-32 from crc32fast, table-driven CRC-32C and CRC-64/NVME from
//! crc) against a bit-at-a-time reference written from the catalogue parameters, on every
//! length up to a few SIMD blocks and every way of splitting the input in two: a kernel
//! that mishandled a tail, an alignment or an incremental update would disagree here.
#![cfg(feature = "checksums")]

use sigv4::chunked::ChecksumAlgorithm;

/// Reflected CRC, one bit at a time: init all ones, final xor all ones (all three algorithms
/// are reflected with these init/xorout values; `width` 32 or 64).
fn reference(poly_reflected: u64, width: u32, data: &[u8]) -> u64 {
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    let mut crc = mask;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ poly_reflected
            } else {
                crc >> 1
            };
        }
    }
    (crc ^ mask) & mask
}

fn be_bytes(value: u64, width: u32) -> Vec<u8> {
    if width == 64 {
        value.to_be_bytes().to_vec()
    } else {
        (value as u32).to_be_bytes().to_vec()
    }
}

// Reflected polynomials: CRC-32 0x04C11DB7, CRC-32C 0x1EDC6F41, CRC-64/NVME 0xAD93D23594C93659.
const CASES: [(ChecksumAlgorithm, u64, u32); 3] = [
    (ChecksumAlgorithm::Crc32, 0xEDB8_8320, 32),
    (ChecksumAlgorithm::Crc32c, 0x82F6_3B78, 32),
    (ChecksumAlgorithm::Crc64Nvme, 0x9A6C_9329_AC4B_C9B5, 64),
];

fn data(len: usize) -> Vec<u8> {
    // A fixed xorshift stream: varied bytes, same every run.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn reference_matches_catalogue_check_values() {
    // Guards the reference itself: the catalogue's "check" values for "123456789".
    assert_eq!(reference(0xEDB8_8320, 32, b"123456789"), 0xCBF4_3926);
    assert_eq!(reference(0x82F6_3B78, 32, b"123456789"), 0xE306_9283);
    assert_eq!(
        reference(0x9A6C_9329_AC4B_C9B5, 64, b"123456789"),
        0xAE8B_1486_0A79_9888
    );
}

#[test]
fn every_length_and_split_matches_the_reference() {
    let all = data(600);
    for (alg, poly, width) in CASES {
        for len in 0..=all.len() {
            let input = &all[..len];
            let want = be_bytes(reference(poly, width, input), width);
            let mut one = alg.checksum();
            one.update(input);
            assert_eq!(one.finalize_bytes(), want, "{alg:?} len {len} one-shot");
            // Every split point for short inputs, a spread of them for long ones.
            let step = if len < 160 { 1 } else { 13 };
            for split in (0..=len).step_by(step) {
                let mut c = alg.checksum();
                c.update(&input[..split]);
                c.update(&input[split..]);
                assert_eq!(c.finalize_bytes(), want, "{alg:?} len {len} split {split}");
            }
        }
    }
}

#[test]
fn large_unaligned_input_in_odd_pieces_matches_the_reference() {
    let all = data((1 << 20) + 7);
    for (alg, poly, width) in CASES {
        // Start one byte in, so the SIMD loads are unaligned, and feed odd-sized pieces.
        let input = &all[1..];
        let want = be_bytes(reference(poly, width, input), width);
        let mut c = alg.checksum();
        for piece in input.chunks(65_537) {
            c.update(piece);
        }
        assert_eq!(c.finalize_bytes(), want, "{alg:?}");
    }
}
