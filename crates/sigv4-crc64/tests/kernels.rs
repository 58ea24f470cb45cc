//! Every kernel, called directly (so the fallback runs on a CPU that has the SIMD kernel too),
//! checked bit for bit against the `crc` crate (an independent table-driven implementation
//! with the CRC catalogue's CRC-64/NVME parameters) and against AWS's own test vectors.
//!
//! The lengths cross every boundary of the SIMD kernel (16-byte blocks, the 256-byte start of
//! 256-bit folding, the 128-byte main loop, the tails), from every start offset in a cache line
//! and with updates split at every point.

use sigv4_crc64::{Crc64Nvme, Kernel};

const REFERENCE: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_NVME);

/// The kernels this CPU runs (the SIMD one is missing only on other CPUs, where it must say so).
fn kernels() -> Vec<Kernel> {
    let available: Vec<Kernel> = Kernel::ALL
        .into_iter()
        .filter(|k| k.is_available())
        .collect();
    #[cfg(target_arch = "x86_64")]
    if std::env::var_os("SIGV4_CRC64_REQUIRE_SIMD").is_some() {
        assert!(available.contains(&Kernel::Vpclmulqdq256), "no SIMD kernel");
    }
    eprintln!("kernels under test: {available:?}");
    available
}

fn data(len: usize) -> Vec<u8> {
    // A fixed xorshift stream: varied bytes, same every run.
    let mut x = 0x0123_4567_89AB_CDEFu64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

fn crc_of(kernel: Kernel, parts: &[&[u8]]) -> u64 {
    let mut c = Crc64Nvme::with_kernel(kernel).expect("available");
    assert_eq!(c.kernel(), kernel);
    for p in parts {
        c.update(p);
    }
    c.finalize()
}

#[test]
fn every_length_and_offset_matches_the_reference() {
    let all = data(1400 + 64);
    for kernel in kernels() {
        for offset in 0..64 {
            // Every length for the first offsets, a spread for the rest (the loads differ by
            // offset, the arithmetic by length).
            let step = if offset < 2 { 1 } else { 7 };
            for len in (0..=1400).step_by(step) {
                let input = &all[offset..offset + len];
                assert_eq!(
                    crc_of(kernel, &[input]),
                    REFERENCE.checksum(input),
                    "{kernel:?} offset {offset} len {len}"
                );
            }
        }
    }
}

#[test]
fn every_split_of_short_inputs_matches_the_reference() {
    let all = data(600);
    for kernel in kernels() {
        for len in 0..=600 {
            let input = &all[..len];
            let want = REFERENCE.checksum(input);
            let step = if len <= 300 { 1 } else { 11 };
            for split in (0..=len).step_by(step) {
                let (a, b) = input.split_at(split);
                assert_eq!(
                    crc_of(kernel, &[a, b]),
                    want,
                    "{kernel:?} len {len} split {split}"
                );
            }
        }
    }
}

#[test]
fn large_inputs_in_uneven_pieces_match_the_reference() {
    let all = data((4 << 20) + 64);
    for kernel in kernels() {
        for (offset, piece) in [(0, usize::MAX), (1, 65_537), (13, 4_099), (63, 1_000_003)] {
            let input = &all[offset..];
            let want = REFERENCE.checksum(input);
            let pieces: Vec<&[u8]> = input.chunks(piece.min(input.len())).collect();
            assert_eq!(crc_of(kernel, &pieces), want, "{kernel:?} offset {offset}");
        }
        // Pieces of every size from 1 to 300 in turn.
        let mut pieces = Vec::new();
        let mut rest = &all[..200_000];
        let mut size = 1;
        while !rest.is_empty() {
            let (p, r) = rest.split_at(size.min(rest.len()));
            pieces.push(p);
            rest = r;
            size = size % 300 + 1;
        }
        assert_eq!(
            crc_of(kernel, &pieces),
            REFERENCE.checksum(&all[..200_000]),
            "{kernel:?} growing pieces"
        );
    }
}

#[test]
fn kernels_agree_with_each_other_on_special_bytes() {
    // All zeros and all ones: patterns where a wrong register seed or final xor would cancel.
    for byte in [0x00u8, 0xFF, 0x80, 0x01] {
        for len in [
            0, 1, 8, 15, 16, 17, 255, 256, 257, 383, 384, 385, 4096, 100_000,
        ] {
            let input = vec![byte; len];
            for kernel in kernels() {
                assert_eq!(
                    crc_of(kernel, &[&input]),
                    REFERENCE.checksum(&input),
                    "{kernel:?} {byte:#x} x {len}"
                );
            }
        }
    }
}

#[test]
fn aws_common_runtime_test_vectors() {
    // From the AWS Common Runtime's checksum tests (aws-c-s3 tests/s3_checksums_crc64nvme_tests.c
    // and aws-crt-swift ChecksumsTests.swift): values AWS's own SDKs are checked against.
    let zeros = [0u8; 32];
    let counting: Vec<u8> = (0u8..32).collect();
    let cases: [(&[&[u8]], u64); 7] = [
        (&[b""], 0),
        (&[&zeros], 0xCF34_7343_4D4E_CF3B),
        (&[&counting], 0xB9D9_D4A8_492C_BD7F),
        (&[b"aaaaaaaaaa"], 0x0C1A_8003_6D65_C555),
        (&[&b"a"[..]; 10], 0x0C1A_8003_6D65_C555),
        (&[&b"aa"[..]; 5], 0x0C1A_8003_6D65_C555),
        (&[b"aaaa", b"aaaaaa"], 0x0C1A_8003_6D65_C555),
    ];
    for kernel in kernels() {
        for (parts, want) in cases {
            assert_eq!(crc_of(kernel, parts), want, "{kernel:?} {parts:?}");
        }
        // The catalogue's check value.
        assert_eq!(crc_of(kernel, &[b"123456789"]), 0xAE8B_1486_0A79_9888);
    }
}

#[test]
fn a_clone_continues_independently() {
    let all = data(5000);
    for kernel in kernels() {
        let mut a = Crc64Nvme::with_kernel(kernel).unwrap();
        a.update(&all[..1000]);
        let mut b = a.clone();
        a.update(&all[1000..]);
        b.update(&all[1000..3000]);
        assert_eq!(a.finalize(), REFERENCE.checksum(&all), "{kernel:?}");
        assert_eq!(b.finalize(), REFERENCE.checksum(&all[..3000]), "{kernel:?}");
        // finalize does not end the CRC.
        b.update(&all[3000..]);
        assert_eq!(b.finalize(), a.finalize(), "{kernel:?}");
    }
}

#[test]
fn unavailable_kernels_are_refused_and_new_picks_the_best() {
    for kernel in Kernel::ALL {
        assert_eq!(
            Crc64Nvme::with_kernel(kernel).is_some(),
            kernel.is_available()
        );
    }
    assert_eq!(Crc64Nvme::new().kernel(), Kernel::best());
    #[cfg(not(target_arch = "x86_64"))]
    assert!(!Kernel::Vpclmulqdq256.is_available());
}
