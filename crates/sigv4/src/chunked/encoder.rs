use std::io::{self, Read};

use super::{
    hex_digits, Checksum, ChecksumAlgorithm, ChunkSigner, ChunkedError, ChunkedSettings,
    StreamingMode, CHUNK_SIGNATURE, MIN_CHUNK_SIZE, TRAILER_SIGNATURE,
};

/// The signature chain of a signed body: SigV4 (HMAC) or SigV4a (ECDSA, padded fields).
#[derive(Debug)]
enum ChainSigner {
    V4(ChunkSigner),
    #[cfg(feature = "sigv4a")]
    V4a(Box<super::SigV4aChunkSigner>),
}

impl ChainSigner {
    fn sign_chunk(&mut self, chunk: &[u8]) -> &str {
        match self {
            ChainSigner::V4(s) => s.sign_chunk(chunk),
            #[cfg(feature = "sigv4a")]
            ChainSigner::V4a(s) => s.sign_chunk(chunk),
        }
    }

    fn sign_trailer(&mut self, canonical: &[u8]) -> &str {
        match self {
            ChainSigner::V4(s) => s.sign_trailer(canonical),
            #[cfg(feature = "sigv4a")]
            ChainSigner::V4a(s) => s.sign_trailer(canonical),
        }
    }

    fn previous_signature(&self) -> &str {
        match self {
            ChainSigner::V4(s) => s.previous_signature(),
            #[cfg(feature = "sigv4a")]
            ChainSigner::V4a(s) => s.previous_signature(),
        }
    }
}

/// A sans-I/O aws-chunked encoder: feed it body bytes with [`push`](Self::push), end with
/// [`finish`](Self::finish), and it appends the encoded frames to a buffer you drain.
///
/// It holds at most one chunk of body bytes, so memory stays constant whatever the body size.
/// Every chunk but the last has exactly the configured size.
///
/// ```
/// use sigv4::chunked::{ChecksumAlgorithm, ChunkEncoder, ChunkedSettings, StreamingMode};
///
/// let settings = ChunkedSettings::new(StreamingMode::UnsignedWithTrailer)
///     .with_checksum(ChecksumAlgorithm::Crc32)?;
/// let mut enc = ChunkEncoder::new(settings, None)?;
/// let mut out = Vec::new();
/// enc.push(b"hello ", &mut out)?;
/// enc.push(b"world", &mut out)?;
/// enc.finish(&mut out)?;
/// assert_eq!(out, b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
/// # Ok::<(), sigv4::chunked::ChunkedError>(())
/// ```
#[derive(Debug)]
pub struct ChunkEncoder {
    pub(super) settings: ChunkedSettings,
    signer: Option<ChainSigner>,
    checksum: Option<Checksum>,
    buf: Vec<u8>,
    pub(super) seen: u64,
    pub(super) expected: Option<u64>,
    short_chunk: Option<usize>,
    finished: bool,
}

impl ChunkEncoder {
    /// An encoder for `settings`. Signed modes need a `signer`; the unsigned mode takes none.
    pub fn new(
        settings: ChunkedSettings,
        signer: Option<ChunkSigner>,
    ) -> Result<Self, ChunkedError> {
        match (settings.mode.is_signed(), signer.is_some()) {
            (true, false) => {
                return Err(ChunkedError::MissingSigner(settings.mode.content_sha256()));
            }
            (false, true) => return Err(ChunkedError::UnexpectedSigner),
            _ => {}
        }
        if settings.is_sigv4a() {
            return Err(ChunkedError::SignerMismatch(
                "SigV4a settings need a SigV4aChunkSigner: use ChunkEncoder::new_v4a",
            ));
        }
        Ok(Self::build(settings, signer.map(ChainSigner::V4)))
    }

    /// An encoder for SigV4a `settings` ([`ChunkedSettings::sigv4a`]) whose chunks and
    /// trailer `signer` signs with ECDSA P-256.
    #[cfg(feature = "sigv4a")]
    pub fn new_v4a(
        settings: ChunkedSettings,
        signer: super::SigV4aChunkSigner,
    ) -> Result<Self, ChunkedError> {
        if !settings.is_sigv4a() {
            return Err(ChunkedError::SignerMismatch(
                "a SigV4aChunkSigner needs SigV4a settings: ChunkedSettings::sigv4a()",
            ));
        }
        Ok(Self::build(
            settings,
            Some(ChainSigner::V4a(Box::new(signer))),
        ))
    }

    fn build(settings: ChunkedSettings, signer: Option<ChainSigner>) -> Self {
        ChunkEncoder {
            settings,
            signer,
            checksum: settings.checksum.map(ChecksumAlgorithm::checksum),
            buf: Vec::new(),
            seen: 0,
            expected: None,
            short_chunk: None,
            finished: false,
        }
    }

    /// Checks that the body is exactly `decoded_len` bytes (the declared
    /// `x-amz-decoded-content-length`): more bytes, or fewer at [`finish`](Self::finish),
    /// are an error instead of a request S3 would reject.
    pub fn with_expected_length(mut self, decoded_len: u64) -> Self {
        self.expected = Some(decoded_len);
        self
    }

    /// The settings.
    pub fn settings(&self) -> &ChunkedSettings {
        &self.settings
    }

    /// How many body bytes were pushed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.seen
    }

    /// Whether [`finish`](Self::finish) has run.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The most recent chunk signature (signed modes).
    pub fn previous_signature(&self) -> Option<&str> {
        self.signer.as_ref().map(ChainSigner::previous_signature)
    }

    /// How many bytes [`push`](Self::push)ing `n` more body bytes appends: the chunks they
    /// complete, each `chunk_size` bytes plus its framing. A caller that hands each push's
    /// output away (the `http-body` adapter) sizes its buffer with it, so a large push is
    /// written in place instead of into a buffer that grows (and copies) as it fills.
    #[cfg(feature = "http-body")]
    pub(crate) fn push_output_len(&self, n: usize) -> usize {
        let size = self.settings.chunk_size;
        (self.buf.len().saturating_add(n) / size).saturating_mul(size + self.framing(size))
    }

    /// The bytes around a chunk of `len` bytes: its hex length, its signature field (signed
    /// modes) and two CRLFs.
    fn framing(&self, len: usize) -> usize {
        let signature = if self.settings.mode.is_signed() {
            CHUNK_SIGNATURE.len() + self.settings.signature_len()
        } else {
            0
        };
        hex_digits(len as u64) as usize + signature + 4
    }

    /// Feeds body bytes; every time a chunk fills up its frame is appended to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        if self.finished {
            return Err(ChunkedError::Finished);
        }
        let new_total = self.seen.saturating_add(data.len() as u64);
        if let Some(expected) = self.expected {
            if new_total > expected {
                return Err(ChunkedError::LengthMismatch {
                    expected,
                    actual: new_total,
                });
            }
        }
        self.seen = new_total;
        let size = self.settings.chunk_size;
        // The checksum reads each piece right before it is copied, so the copy reads bytes
        // the checksum just brought into the cache (one pass over memory, not two).
        while !data.is_empty() {
            if self.buf.is_empty() && data.len() >= size {
                // A whole chunk straight from the caller's slice, without copying it first.
                let (chunk, rest) = data.split_at(size);
                if let Some(c) = &mut self.checksum {
                    c.update(chunk);
                }
                self.emit_chunk(chunk, out)?;
                data = rest;
                continue;
            }
            if self.buf.capacity() < size {
                self.buf.reserve_exact(size - self.buf.len());
            }
            let take = (size - self.buf.len()).min(data.len());
            if let Some(c) = &mut self.checksum {
                c.update(&data[..take]);
            }
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == size {
                let chunk = std::mem::take(&mut self.buf);
                let r = self.emit_chunk(&chunk, out);
                self.buf = chunk;
                self.buf.clear();
                r?;
            }
        }
        Ok(())
    }

    /// Ends the body: the last partial chunk, the zero-length chunk and the trailer.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        if self.finished {
            return Err(ChunkedError::Finished);
        }
        if let Some(expected) = self.expected {
            if self.seen != expected {
                return Err(ChunkedError::LengthMismatch {
                    expected,
                    actual: self.seen,
                });
            }
        }
        if !self.buf.is_empty() {
            let chunk = std::mem::take(&mut self.buf);
            self.emit_chunk(&chunk, out)?;
        }
        self.finished = true;
        // The final, empty chunk.
        out.push(b'0');
        if let Some(signer) = &mut self.signer {
            out.extend_from_slice(CHUNK_SIGNATURE.as_bytes());
            out.extend_from_slice(signer.sign_chunk(b"").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        // The trailer. A signed trailer's signature covers its canonical form (`\n` line ends),
        // kept on the stack: the longest, `x-amz-checksum-sha256:` and 44 base64 digits, fits.
        let mut canonical = smallvec::SmallVec::<[u8; 80]>::new();
        if let Some(checksum) = self.checksum.take() {
            let name = checksum.algorithm().header_name();
            let (value, len) = checksum.finalize_base64();
            let start = out.len();
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(&value[..len]);
            canonical.extend_from_slice(&out[start..]);
            canonical.push(b'\n');
            out.extend_from_slice(b"\r\n");
        }
        if self.settings.mode == StreamingMode::SignedWithTrailer {
            if let Some(signer) = &mut self.signer {
                out.extend_from_slice(TRAILER_SIGNATURE.as_bytes());
                out.push(b':');
                out.extend_from_slice(signer.sign_trailer(&canonical).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
        self.buf = Vec::new();
        Ok(())
    }

    fn emit_chunk(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkedError> {
        if let Some(n) = self.short_chunk {
            return Err(ChunkedError::ShortChunkNotLast(n));
        }
        if chunk.len() < MIN_CHUNK_SIZE {
            self.short_chunk = Some(chunk.len());
        }
        out.reserve(chunk.len() + self.framing(chunk.len()));
        let mut len_buf = [0u8; 16];
        out.extend_from_slice(hex_len(chunk.len() as u64, &mut len_buf));
        if let Some(signer) = &mut self.signer {
            out.extend_from_slice(CHUNK_SIGNATURE.as_bytes());
            out.extend_from_slice(signer.sign_chunk(chunk).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

pub(super) fn hex_len(n: u64, buf: &mut [u8; 16]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = hex_digits(n) as usize;
    for i in 0..digits {
        buf[digits - 1 - i] = HEX[((n >> (4 * i)) & 15) as usize];
    }
    &buf[..digits]
}

/// A blocking reader that yields the aws-chunked encoding of another reader, one chunk at
/// a time (memory: about two chunks, whatever the body size).
///
/// Read errors of the inner reader are passed through; encoding errors (such as a body
/// longer or shorter than the declared length) become [`io::ErrorKind::InvalidData`]
/// errors wrapping a [`ChunkedError`].
#[derive(Debug)]
pub struct ChunkedReader<R> {
    inner: R,
    encoder: ChunkEncoder,
    input: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl<R: Read> ChunkedReader<R> {
    /// Encodes `inner` with `encoder`.
    pub fn new(inner: R, encoder: ChunkEncoder) -> Self {
        ChunkedReader {
            inner,
            encoder,
            input: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            done: false,
        }
    }

    /// The encoder (for its progress and last signature).
    pub fn encoder(&self) -> &ChunkEncoder {
        &self.encoder
    }

    /// Gives back the inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads the next chunk from the inner reader and encodes it into `out`.
    fn refill(&mut self) -> io::Result<()> {
        let size = self.encoder.settings.chunk_size;
        if self.input.len() != size {
            self.input.resize(size, 0);
        }
        let mut filled = 0;
        while filled < size {
            match self.inner.read(&mut self.input[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        let to_io = |e: ChunkedError| io::Error::new(io::ErrorKind::InvalidData, e);
        self.encoder
            .push(&self.input[..filled], &mut self.out)
            .map_err(to_io)?;
        if filled < size {
            self.encoder.finish(&mut self.out).map_err(to_io)?;
            self.done = true;
            self.input = Vec::new();
        }
        Ok(())
    }
}

impl<R: Read> Read for ChunkedReader<R> {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        if dst.is_empty() {
            return Ok(0);
        }
        loop {
            if self.out_pos < self.out.len() {
                let n = (self.out.len() - self.out_pos).min(dst.len());
                dst[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
    }
}
