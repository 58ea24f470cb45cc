//! CRC-64/NVME, the checksum S3 calls `CRC64NVME`, with a 256-bit AVX2 + VPCLMULQDQ kernel.
//!
//! On x86_64 CPUs with AVX2, PCLMULQDQ and VPCLMULQDQ (Intel Ice Lake and later, AMD Zen 3
//! and later), detected at run time, the message is folded 128 bytes at a time in four 256-bit
//! registers. Everywhere else (other CPUs, other architectures, wasm32) the `crc-fast` crate
//! computes it (128-bit PCLMULQDQ or ARM PMULL folding, or tables). Both give the same value,
//! bit for bit: the CRC catalogue's CRC-64/NVME (reflected polynomial `0x9A6C9329AC4BC9B5`,
//! initial value and final xor all ones).
//!
//! This crate holds the `unsafe` (the SIMD intrinsics) of the `sigv4-rs` family, whose core
//! forbids `unsafe` code; it is the engine of `sigv4-rs`'s `ChecksumAlgorithm::Crc64Nvme`.
//!
//! ```
//! use sigv4_crc64::Crc64Nvme;
//! let mut crc = Crc64Nvme::new();
//! crc.update(b"1234");
//! crc.update(b"56789");
//! assert_eq!(crc.finalize(), 0xAE8B_1486_0A79_9888); // the catalogue's check value
//! assert_eq!(sigv4_crc64::checksum(b"123456789"), 0xAE8B_1486_0A79_9888);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod constants;
#[cfg(target_arch = "x86_64")]
mod vpclmulqdq;

use std::fmt;

/// The package version (`sigv4-rs-crc64` on crates.io), for `--version` output and bug reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The CRC-64/NVME of `data` (the fastest kernel this CPU has).
pub fn checksum(data: &[u8]) -> u64 {
    let mut crc = Crc64Nvme::new();
    crc.update(data);
    crc.finalize()
}

/// Which code computes the CRC.
///
/// ```
/// use sigv4_crc64::Kernel;
/// assert!(Kernel::Fallback.is_available());
/// assert!(Kernel::best().is_available());
/// println!("CRC-64/NVME kernel: {}", Kernel::best().name());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kernel {
    /// 256-bit carry-less multiplication folding (x86_64 with AVX2, PCLMULQDQ and VPCLMULQDQ).
    Vpclmulqdq256,
    /// The `crc-fast` crate (its own runtime choice: 128-bit PCLMULQDQ, ARM PMULL or tables).
    Fallback,
}

impl Kernel {
    /// Every kernel, fastest first.
    pub const ALL: [Kernel; 2] = [Kernel::Vpclmulqdq256, Kernel::Fallback];

    /// Whether this CPU can run the kernel (a run-time check; cached by `std`).
    pub fn is_available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Vpclmulqdq256 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("pclmulqdq")
                    && std::arch::is_x86_feature_detected!("vpclmulqdq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Vpclmulqdq256 => false,
            Kernel::Fallback => true,
        }
    }

    /// A short name for reports, such as `sigv4 --version`: `vpclmulqdq256` or `crc-fast`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Vpclmulqdq256 => "vpclmulqdq256",
            Kernel::Fallback => "crc-fast",
        }
    }

    /// The fastest kernel this CPU can run.
    pub fn best() -> Kernel {
        Kernel::ALL
            .into_iter()
            .find(|k| k.is_available())
            .unwrap_or(Kernel::Fallback)
    }
}

/// An incremental CRC-64/NVME.
///
/// ```
/// use sigv4_crc64::{Crc64Nvme, Kernel};
/// let mut fallback = Crc64Nvme::with_kernel(Kernel::Fallback).unwrap();
/// let mut best = Crc64Nvme::new();
/// let data = vec![7u8; 10_000];
/// fallback.update(&data);
/// best.update(&data);
/// assert_eq!(fallback.finalize(), best.finalize());
/// ```
#[derive(Clone)]
pub struct Crc64Nvme {
    state: State,
}

// The fallback's state is ~300 bytes; kept inline so that no CRC allocates (the SIMD variant
// is the common one, and a CRC is one per upload).
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum State {
    /// The register (not yet xored with the final value). Invariant: only constructed after
    /// `Kernel::Vpclmulqdq256.is_available()` returned true (in `with_kernel`).
    #[cfg(target_arch = "x86_64")]
    Vpclmulqdq(u64),
    Fallback(crc_fast::Digest),
}

impl Crc64Nvme {
    /// A CRC of nothing yet, on the fastest kernel this CPU has.
    pub fn new() -> Self {
        Self::with_kernel(Kernel::best()).expect("the best kernel is available")
    }

    /// A CRC on the given kernel, or `None` if this CPU cannot run it.
    pub fn with_kernel(kernel: Kernel) -> Option<Self> {
        if !kernel.is_available() {
            return None;
        }
        let state = match kernel {
            #[cfg(target_arch = "x86_64")]
            Kernel::Vpclmulqdq256 => State::Vpclmulqdq(constants::INIT),
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Vpclmulqdq256 => return None,
            Kernel::Fallback => {
                State::Fallback(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme))
            }
        };
        Some(Crc64Nvme { state })
    }

    /// The kernel this CRC runs on.
    pub fn kernel(&self) -> Kernel {
        match self.state {
            #[cfg(target_arch = "x86_64")]
            State::Vpclmulqdq(_) => Kernel::Vpclmulqdq256,
            State::Fallback(_) => Kernel::Fallback,
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            #[cfg(target_arch = "x86_64")]
            State::Vpclmulqdq(crc) => {
                // SAFETY: this variant exists only if `Kernel::Vpclmulqdq256.is_available()`
                // returned true (`with_kernel`), so the CPU has AVX2, PCLMULQDQ and VPCLMULQDQ.
                *crc = unsafe { vpclmulqdq::update(*crc, data) }
            }
            State::Fallback(d) => d.update(data),
        }
    }

    /// The CRC of the bytes so far (the CRC can go on being updated).
    pub fn finalize(&self) -> u64 {
        match &self.state {
            #[cfg(target_arch = "x86_64")]
            State::Vpclmulqdq(crc) => crc ^ constants::INIT,
            State::Fallback(d) => d.finalize(),
        }
    }
}

impl Default for Crc64Nvme {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Crc64Nvme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crc64Nvme")
            .field("kernel", &self.kernel())
            .field("crc", &self.finalize())
            .finish()
    }
}
