//! The trailer CRCs (CRC-32 from crc32fast, CRC-32C from crc32c, CRC-64/NVME from sigv4-rs-crc64,
//! each a SIMD or hardware-instruction kernel on x86_64 and aarch64) checked bit for bit
//! against data nobody here wrote:
//! - AWS's own test vectors (the AWS Common Runtime's checksum tests),
//! - the `crc` crate (an independent table-driven implementation with the CRC catalogue's
//!   parameters) on every length up to a few SIMD blocks, every split and a large unaligned
//!   input,
//! - and a bit-at-a-time reference written from the catalogue parameters, itself checked
//!   against the catalogue's check values.
//!
//! A kernel that mishandled a tail, an alignment or an incremental update would disagree.
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

/// The value of `alg` over `parts` fed one after another, as an integer.
fn checksum_of(alg: ChecksumAlgorithm, parts: &[&[u8]]) -> u64 {
    let mut c = alg.checksum();
    for p in parts {
        c.update(p);
    }
    c.finalize_bytes()
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

#[test]
fn aws_common_runtime_test_vectors() {
    // From the AWS Common Runtime's checksum tests (aws-c-s3 tests/s3_checksums_crc64nvme_tests.c
    // and aws-crt-swift ChecksumsTests.swift): values AWS's own SDKs are checked against.
    let json = br#"{"foo":"base64 encoded sha1 checksum"}"#;
    let zeros = [0u8; 32];
    let counting: Vec<u8> = (0u8..32).collect();
    let cases: [(ChecksumAlgorithm, &[&[u8]], u64); 13] = [
        (ChecksumAlgorithm::Crc32, &[b""], 0),
        (ChecksumAlgorithm::Crc32, &[b"Hello"], 4_157_704_578),
        (ChecksumAlgorithm::Crc32, &[json], 1_195_144_130),
        (ChecksumAlgorithm::Crc32c, &[b""], 0),
        (ChecksumAlgorithm::Crc32c, &[b"Hello"], 2_178_485_787),
        (ChecksumAlgorithm::Crc32c, &[json], 3_565_301_023),
        (ChecksumAlgorithm::Crc64Nvme, &[b""], 0),
        (
            ChecksumAlgorithm::Crc64Nvme,
            &[&zeros],
            0xCF34_7343_4D4E_CF3B,
        ),
        (
            ChecksumAlgorithm::Crc64Nvme,
            &[&counting],
            0xB9D9_D4A8_492C_BD7F,
        ),
        (
            ChecksumAlgorithm::Crc64Nvme,
            &[b"aaaaaaaaaa"],
            0x0C1A_8003_6D65_C555,
        ),
        (
            ChecksumAlgorithm::Crc64Nvme,
            &[&b"a"[..]; 10],
            0x0C1A_8003_6D65_C555,
        ),
        (
            ChecksumAlgorithm::Crc64Nvme,
            &[&b"aa"[..]; 5],
            0x0C1A_8003_6D65_C555,
        ),
        (
            ChecksumAlgorithm::Crc64Nvme,
            &[b"aaaa", b"aaaaaa"],
            0x0C1A_8003_6D65_C555,
        ),
    ];
    for (alg, parts, want) in cases {
        assert_eq!(checksum_of(alg, parts), want, "{alg:?} {parts:?}");
    }
}

/// The same three CRCs from the `crc` crate (its catalogue parameters, table-driven).
fn independent(alg: ChecksumAlgorithm, data: &[u8]) -> u64 {
    match alg {
        ChecksumAlgorithm::Crc32 => {
            u64::from(crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(data))
        }
        ChecksumAlgorithm::Crc32c => {
            u64::from(crc::Crc::<u32>::new(&crc::CRC_32_ISCSI).checksum(data))
        }
        ChecksumAlgorithm::Crc64Nvme => crc::Crc::<u64>::new(&crc::CRC_64_NVME).checksum(data),
        other => unreachable!("{other:?} is not a CRC"),
    }
}

#[test]
fn the_crc_crate_agrees_on_every_length_split_and_alignment() {
    let all = data((1 << 20) + 64);
    for (alg, _, _) in CASES {
        for len in 0..=600 {
            let input = &all[..len];
            let want = independent(alg, input);
            assert_eq!(checksum_of(alg, &[input]), want, "{alg:?} len {len}");
            for split in (0..=len).step_by(if len < 160 { 1 } else { 29 }) {
                let (a, b) = input.split_at(split);
                assert_eq!(
                    checksum_of(alg, &[a, b]),
                    want,
                    "{alg:?} len {len} split {split}"
                );
            }
        }
        // Large inputs at every start offset within a 64-byte line, fed in odd pieces.
        for offset in 0..64 {
            let input = &all[offset..offset + (1 << 18) + 13];
            let want = independent(alg, input);
            let pieces: Vec<&[u8]> = input.chunks(4099 + offset).collect();
            assert_eq!(checksum_of(alg, &pieces), want, "{alg:?} offset {offset}");
        }
    }
}
