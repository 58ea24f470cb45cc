// Without the `checksums` feature `ChecksumAlgorithm` has no values, so the code that
// handles a checksum is unreachable; the compiler says so, correctly.
#![cfg_attr(
    not(feature = "checksums"),
    allow(unreachable_code, unused_variables, unused_mut)
)]

use std::fmt;

#[cfg(feature = "checksums")]
use base64::Engine as _;
#[cfg(feature = "checksums")]
use sha2::{Digest, Sha256};

/// A checksum S3 accepts in a trailer.
///
/// The checksums need the `checksums` feature (on by default), which brings the CRC, SHA-1
/// and base64 crates. Without it this enum has no variants: aws-chunked bodies are still
/// signed, but carry no checksum trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, as in zlib), trailer `x-amz-checksum-crc32`.
    #[cfg(feature = "checksums")]
    Crc32,
    /// CRC-32C (Castagnoli), trailer `x-amz-checksum-crc32c`.
    #[cfg(feature = "checksums")]
    Crc32c,
    /// CRC-64/NVME, trailer `x-amz-checksum-crc64nvme`.
    #[cfg(feature = "checksums")]
    Crc64Nvme,
    /// SHA-1, trailer `x-amz-checksum-sha1`.
    #[cfg(feature = "checksums")]
    Sha1,
    /// SHA-256, trailer `x-amz-checksum-sha256`.
    #[cfg(feature = "checksums")]
    Sha256,
}

impl ChecksumAlgorithm {
    /// All algorithms.
    #[cfg(feature = "checksums")]
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// All algorithms (none without the `checksums` feature).
    #[cfg(not(feature = "checksums"))]
    pub const ALL: [ChecksumAlgorithm; 0] = [];

    /// The trailer (and header) name, such as `x-amz-checksum-crc32`.
    pub fn header_name(self) -> &'static str {
        match self {
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The name S3 uses in `x-amz-sdk-checksum-algorithm` / `x-amz-checksum-algorithm`, such as `CRC32`.
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32 => "CRC32",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32c => "CRC32C",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha1 => "SHA1",
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// Parses a name as [`name`](Self::name) spells it (case-insensitive), or a trailer name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s) || a.header_name().eq_ignore_ascii_case(s))
    }

    /// The length of the raw digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc64Nvme => 8,
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha1 => 20,
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// The length of the base64 value in the trailer.
    pub fn encoded_len(self) -> usize {
        self.digest_len().div_ceil(3) * 4
    }

    /// A fresh incremental checksum.
    pub fn checksum(self) -> Checksum {
        let state = match self {
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc32c => State::Crc32c(0),
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Crc64Nvme => State::Crc64Nvme(sigv4_crc64::Crc64Nvme::new()),
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            #[cfg(feature = "checksums")]
            ChecksumAlgorithm::Sha256 => State::Sha256(Sha256::new()),
        };
        Checksum {
            algorithm: self,
            state,
        }
    }
}

/// An incremental checksum of a body, rendered as S3 wants it (base64 of the big-endian digest).
///
/// ```
/// use sigv4::chunked::ChecksumAlgorithm;
/// let mut c = ChecksumAlgorithm::Crc32.checksum();
/// c.update(b"123456789");
/// assert_eq!(c.finalize(), "y/Q5Jg=="); // 0xCBF43926
/// ```
#[derive(Clone)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    state: State,
}

/// Each CRC comes from the crate that is fastest for it, each picking its kernel at run time
/// and falling back to tables elsewhere (wasm32, CPUs without the instructions); see
/// BENCHMARKS.md, "Checksum engines":
/// - CRC-32: `crc32fast` (AVX2 VPCLMULQDQ or PCLMULQDQ folding; also the event-stream CRC),
/// - CRC-32C: `crc32c` (the SSE4.2 / ARMv8 `crc32c` instruction, three streams interleaved),
/// - CRC-64/NVME: `sigv4-rs-crc64` (AVX2 + VPCLMULQDQ 256-bit folding, its `unsafe` kept
///   in that crate), else `crc-fast` (PCLMULQDQ or ARM PMULL folding, tables).
///
/// No variant allocates: an update is a call into the engine on the caller's bytes.
#[derive(Clone)]
enum State {
    #[cfg(feature = "checksums")]
    Crc32(crc32fast::Hasher),
    /// The CRC-32C of the bytes so far (`crc32c` appends to a finished CRC).
    #[cfg(feature = "checksums")]
    Crc32c(u32),
    #[cfg(feature = "checksums")]
    Crc64Nvme(sigv4_crc64::Crc64Nvme),
    #[cfg(feature = "checksums")]
    Sha1(sha1::Sha1),
    #[cfg(feature = "checksums")]
    Sha256(Sha256),
}

impl Checksum {
    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            #[cfg(feature = "checksums")]
            State::Crc32(d) => d.update(data),
            #[cfg(feature = "checksums")]
            State::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            #[cfg(feature = "checksums")]
            State::Crc64Nvme(d) => d.update(data),
            #[cfg(feature = "checksums")]
            State::Sha1(d) => Digest::update(d, data),
            #[cfg(feature = "checksums")]
            State::Sha256(d) => Digest::update(d, data),
            // `State` has no variants then: this arm is never taken.
            #[cfg(not(feature = "checksums"))]
            _ => {}
        }
    }

    /// The raw digest, big-endian.
    pub fn finalize_bytes(self) -> Vec<u8> {
        #[cfg(feature = "checksums")]
        {
            let (raw, len) = self.digest();
            raw[..len].to_vec()
        }
        #[cfg(not(feature = "checksums"))]
        match self.state {}
    }

    /// The base64 digest, the trailer value.
    pub fn finalize(self) -> String {
        let (text, len) = self.finalize_base64();
        // Base64 is ASCII.
        String::from_utf8_lossy(&text[..len]).into_owned()
    }

    /// The trailer value in a stack buffer (no allocation): the encoder writes it straight
    /// into its output.
    pub(crate) fn finalize_base64(self) -> ([u8; 44], usize) {
        #[cfg(feature = "checksums")]
        {
            let mut text = [0u8; 44];
            let (raw, len) = self.digest();
            let written = base64::engine::general_purpose::STANDARD
                .encode_slice(&raw[..len], &mut text)
                .expect("44 bytes hold the base64 of 32");
            (text, written)
        }
        #[cfg(not(feature = "checksums"))]
        match self.state {}
    }

    /// The raw big-endian digest in a stack buffer and its length.
    #[cfg(feature = "checksums")]
    fn digest(self) -> ([u8; 32], usize) {
        let mut raw = [0u8; 32];
        let len = self.algorithm.digest_len();
        match self.state {
            State::Crc32(d) => raw[..4].copy_from_slice(&d.finalize().to_be_bytes()),
            State::Crc32c(crc) => raw[..4].copy_from_slice(&crc.to_be_bytes()),
            State::Crc64Nvme(d) => raw[..8].copy_from_slice(&d.finalize().to_be_bytes()),
            State::Sha1(d) => raw[..20].copy_from_slice(&d.finalize()),
            State::Sha256(d) => raw.copy_from_slice(&d.finalize()),
        }
        (raw, len)
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksum")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}
