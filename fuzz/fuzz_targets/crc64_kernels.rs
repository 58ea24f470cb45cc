//! CRC-64/NVME: every kernel this CPU runs (the 256-bit VPCLMULQDQ one and the crc-fast
//! fallback), fed the same bytes in any pattern of updates, gives the value of the `crc` crate
//! (an independent table-driven implementation) over the whole input. The SIMD kernel is the
//! workspace's `unsafe` code: its loads must stay inside the caller's slices, at any length
//! and split.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigv4_crc64::{Crc64Nvme, Kernel};

#[derive(Arbitrary, Debug)]
struct Input {
    data: Vec<u8>,
    /// Update sizes, used in turn (an empty list: one update).
    splits: Vec<u16>,
    /// Repeats `data` this many times (up to 64), so inputs reach the 256-bit loop.
    repeat: u8,
}

const REFERENCE: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_NVME);

fuzz_target!(|input: Input| {
    let data = input.data.repeat(usize::from(input.repeat % 64) + 1);
    let want = REFERENCE.checksum(&data);
    for kernel in Kernel::ALL.into_iter().filter(|k| k.is_available()) {
        let mut crc = Crc64Nvme::with_kernel(kernel).unwrap();
        let mut rest = &data[..];
        let mut sizes = input.splits.iter().cycle();
        while !rest.is_empty() {
            let n = match sizes.next() {
                Some(&s) => (usize::from(s) % 2048).min(rest.len()),
                None => rest.len(),
            };
            crc.update(&rest[..n]);
            rest = &rest[n..];
            if n == 0 && input.splits.iter().all(|&s| s % 2048 == 0) {
                crc.update(rest);
                rest = &[];
            }
        }
        assert_eq!(crc.finalize(), want, "{kernel:?} len {}", data.len());
    }
});
