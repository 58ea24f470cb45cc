//! aws-chunked bodies: a sans-I/O decoder that checks every chunk signature, the trailer
//! (signature and checksum) and the decoded length, and, with feature `http-body`, an
//! `http_body::Body` that only yields verified data.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ChunkVerifyError;
use super::truncate;
use crate::chunked::{ChecksumAlgorithm, ChunkSigner, StreamingMode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    Header,
    Data { remaining: u64 },
    DataEnd,
    Trailer,
    Done,
    Failed,
}

/// A sans-I/O verifier and decoder of an aws-chunked body: [`push`](Self::push) the bytes
/// as they arrive and it appends the decoded data to `out`, checking each chunk's
/// signature when the chunk is complete (so data of a chunk is only trusted once `push`
/// has moved past it without error), then the final chunk and the trailer.
///
/// Memory is constant: data is hashed as it passes, only header and trailer lines are
/// buffered (at most 4 KiB each).
pub struct ChunkedBodyVerifier {
    mode: StreamingMode,
    signer: Option<ChunkSigner>,
    state: ChunkState,
    line: Vec<u8>,
    chunk_hash: Sha256,
    pending_sig: Option<[u8; 64]>,
    index: u64,
    decoded: u64,
    expected_len: Option<u64>,
    declared_trailer: Option<String>,
    checksum: Option<crate::chunked::Checksum>,
    trailers: Vec<(String, String)>,
    trailer_sig: Option<[u8; 64]>,
    short_chunk: bool,
    verified: u64,
    max_chunk: u64,
}

const MAX_LINE: usize = 4096;

/// The default largest chunk [`ChunkedBodyVerifier`] accepts, 1 MiB: a consumer that
/// holds a chunk back until its signature is verified (the tower `VerifyLayer`) holds at
/// most this much per request. AWS SDKs send chunks of 64 KiB to 1 MiB; the encoder's
/// default is [`DEFAULT_CHUNK_SIZE`](crate::chunked::DEFAULT_CHUNK_SIZE), 64 KiB.
pub const DEFAULT_MAX_CHUNK: usize = 1024 * 1024;

impl ChunkedBodyVerifier {
    pub(super) fn new(
        mode: StreamingMode,
        signer: Option<ChunkSigner>,
        expected_len: Option<u64>,
        declared_trailer: Option<String>,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Self {
        ChunkedBodyVerifier {
            mode,
            signer,
            state: ChunkState::Header,
            line: Vec::new(),
            chunk_hash: Sha256::new(),
            pending_sig: None,
            index: 0,
            decoded: 0,
            expected_len,
            declared_trailer,
            checksum: checksum.map(ChecksumAlgorithm::checksum),
            trailers: Vec::new(),
            trailer_sig: None,
            short_chunk: false,
            verified: 0,
            max_chunk: DEFAULT_MAX_CHUNK as u64,
        }
    }

    /// Refuses chunks larger than `max` bytes (default [`DEFAULT_MAX_CHUNK`], 1 MiB). This bounds the memory of
    /// consumers that hold back a chunk's data until it is verified, such as
    /// `VerifiedBody` (feature `http-body`).
    pub fn with_max_chunk_size(mut self, max: u64) -> Self {
        self.max_chunk = max;
        self
    }

    /// How many leading decoded bytes are covered by a verified chunk signature (signed
    /// modes); in the unsigned mode every decoded byte counts, as nothing signs the
    /// chunks (the trailer checksum is checked at the end).
    pub fn verified_len(&self) -> u64 {
        self.verified
    }

    /// How many chunks have been verified (the final empty chunk included).
    pub fn chunk_count(&self) -> u64 {
        self.index
    }

    /// The decoded bytes so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Whether the whole body, trailer included, has been verified.
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// The trailers received (names lowercase), once done.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// Feeds received bytes; appends decoded data to `out`. After an error every call fails.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkVerifyError> {
        let r = (|| {
            while !data.is_empty() {
                match self.state {
                    ChunkState::Failed => {
                        return Err(ChunkVerifyError::Malformed(
                            "an earlier error stopped the body".into(),
                        ))
                    }
                    ChunkState::Done => {
                        return Err(ChunkVerifyError::Malformed(
                            "data after the end of the body".into(),
                        ))
                    }
                    ChunkState::Data { remaining } => {
                        let n = (remaining.min(data.len() as u64)) as usize;
                        self.chunk_hash.update(&data[..n]);
                        if let Some(c) = &mut self.checksum {
                            c.update(&data[..n]);
                        }
                        out.extend_from_slice(&data[..n]);
                        self.decoded += n as u64;
                        if let Some(exp) = self.expected_len {
                            if self.decoded > exp {
                                return Err(ChunkVerifyError::LengthMismatch {
                                    expected: exp,
                                    actual: self.decoded,
                                });
                            }
                        }
                        data = &data[n..];
                        if !self.mode.is_signed() {
                            self.verified = self.decoded;
                        }
                        let remaining = remaining - n as u64;
                        self.state = if remaining == 0 {
                            ChunkState::DataEnd
                        } else {
                            ChunkState::Data { remaining }
                        };
                    }
                    ChunkState::Header | ChunkState::DataEnd | ChunkState::Trailer => {
                        let Some(pos) = data.iter().position(|&b| b == b'\n') else {
                            self.line.extend_from_slice(data);
                            if self.line.len() > MAX_LINE {
                                return Err(ChunkVerifyError::Malformed(
                                    "a line is too long".into(),
                                ));
                            }
                            return Ok(());
                        };
                        self.line.extend_from_slice(&data[..=pos]);
                        data = &data[pos + 1..];
                        if self.line.len() > MAX_LINE {
                            return Err(ChunkVerifyError::Malformed("a line is too long".into()));
                        }
                        let line = std::mem::take(&mut self.line);
                        let Some(line) = line.strip_suffix(b"\r\n") else {
                            return Err(ChunkVerifyError::Malformed(
                                "lines must end with CRLF".into(),
                            ));
                        };
                        self.on_line(line)?;
                    }
                }
            }
            Ok(())
        })();
        if r.is_err() {
            self.state = ChunkState::Failed;
        }
        r
    }

    /// Ends the body: fails if it is incomplete.
    pub fn finish(&mut self) -> Result<(), ChunkVerifyError> {
        if self.state == ChunkState::Done {
            Ok(())
        } else {
            self.state = ChunkState::Failed;
            Err(ChunkVerifyError::Incomplete)
        }
    }

    fn on_line(&mut self, line: &[u8]) -> Result<(), ChunkVerifyError> {
        match self.state {
            ChunkState::DataEnd => {
                if !line.is_empty() {
                    return Err(ChunkVerifyError::Malformed(
                        "chunk data must be followed by CRLF".into(),
                    ));
                }
                self.end_chunk()?;
                self.state = ChunkState::Header;
                Ok(())
            }
            ChunkState::Header => self.on_chunk_header(line),
            ChunkState::Trailer => self.on_trailer_line(line),
            ChunkState::Data { .. } | ChunkState::Done | ChunkState::Failed => Ok(()),
        }
    }

    /// `size[;chunk-signature=sig]`: checks the size and signature shape, and starts the
    /// chunk (the final, empty chunk ends the data and checks the decoded length).
    fn on_chunk_header(&mut self, line: &[u8]) -> Result<(), ChunkVerifyError> {
        let text = std::str::from_utf8(line)
            .map_err(|_| ChunkVerifyError::Malformed("a chunk header is not text".into()))?;
        let (size, ext) = match text.split_once(';') {
            Some((s, e)) => (s, Some(e)),
            None => (text, None),
        };
        if size.is_empty() || size.len() > 15 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ChunkVerifyError::Malformed(
                "a chunk size must be hex digits".into(),
            ));
        }
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| ChunkVerifyError::Malformed("bad chunk size".into()))?;
        self.pending_sig = match (self.mode.is_signed(), ext) {
            (true, Some(e)) => {
                let sig = e.strip_prefix("chunk-signature=").ok_or_else(|| {
                    ChunkVerifyError::Malformed("expected ;chunk-signature=<64 hex>".into())
                })?;
                Some(parse_sig(sig)?)
            }
            (true, None) => {
                return Err(ChunkVerifyError::Malformed(
                    "a chunk has no chunk-signature".into(),
                ))
            }
            (false, Some(_)) => {
                return Err(ChunkVerifyError::Malformed(
                    "unsigned chunks carry no extensions".into(),
                ))
            }
            (false, None) => None,
        };
        if self.short_chunk && size > 0 {
            return Err(ChunkVerifyError::Malformed(
                "only the last data chunk may be shorter than 8 KiB".into(),
            ));
        }
        // S3's 8 KiB minimum applies to signed chunks; SDKs send unsigned-trailer
        // bodies one chunk per body frame, of any size.
        if self.mode.is_signed() && size > 0 && size < crate::chunked::MIN_CHUNK_SIZE as u64 {
            self.short_chunk = true;
        }
        self.chunk_hash = Sha256::new();
        if size > self.max_chunk {
            return Err(ChunkVerifyError::Malformed(format!(
                "a chunk of {size} bytes is larger than the {} allowed",
                self.max_chunk
            )));
        }
        if size == 0 {
            // The final chunk: no data, its CRLF is the trailer section's end or
            // the start of trailer lines.
            self.end_chunk()?;
            if let Some(exp) = self.expected_len {
                if exp != self.decoded {
                    return Err(ChunkVerifyError::LengthMismatch {
                        expected: exp,
                        actual: self.decoded,
                    });
                }
            }
            self.state = ChunkState::Trailer;
        } else {
            self.state = ChunkState::Data { remaining: size };
        }
        Ok(())
    }

    /// A trailer line (`name:value`, the trailer signature last) or the empty line that
    /// ends the body.
    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), ChunkVerifyError> {
        if line.is_empty() {
            self.end_trailer()?;
            self.state = ChunkState::Done;
            return Ok(());
        }
        if !self.mode.has_trailer() {
            return Err(ChunkVerifyError::Malformed(
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD has no trailer".into(),
            ));
        }
        let text = std::str::from_utf8(line)
            .map_err(|_| ChunkVerifyError::Malformed("a trailer is not text".into()))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| ChunkVerifyError::Malformed("a trailer must be name:value".into()))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        if name == "x-amz-trailer-signature" {
            if self.mode != StreamingMode::SignedWithTrailer || self.trailer_sig.is_some() {
                return Err(ChunkVerifyError::Malformed(
                    "unexpected x-amz-trailer-signature".into(),
                ));
            }
            self.trailer_sig = Some(parse_sig(value)?);
        } else {
            if self.trailer_sig.is_some() {
                return Err(ChunkVerifyError::Malformed(
                    "x-amz-trailer-signature must be the last trailer".into(),
                ));
            }
            if self.trailers.len() >= 8 {
                return Err(ChunkVerifyError::Malformed("too many trailers".into()));
            }
            self.trailers.push((name, value.to_owned()));
        }
        Ok(())
    }

    fn end_chunk(&mut self) -> Result<(), ChunkVerifyError> {
        let hash: [u8; 32] = std::mem::take(&mut self.chunk_hash).finalize().into();
        if self.mode.is_signed() {
            // A signed mode without a signer refuses every chunk rather than skip the check.
            let want = self.pending_sig.take();
            let ok = match (&mut self.signer, want) {
                (Some(signer), Some(want)) => {
                    bool::from(signer.sign_chunk_hash(&hash).as_bytes().ct_eq(&want))
                }
                _ => false,
            };
            if !ok {
                return Err(ChunkVerifyError::ChunkSignatureMismatch { index: self.index });
            }
        }
        self.index += 1;
        self.verified = self.decoded;
        Ok(())
    }

    fn end_trailer(&mut self) -> Result<(), ChunkVerifyError> {
        if let Some(declared) = &self.declared_trailer {
            if !self.trailers.iter().any(|(n, _)| n == declared) {
                return Err(ChunkVerifyError::Malformed(format!(
                    "the trailer {declared:?} declared in x-amz-trailer is missing"
                )));
            }
        }
        if let Some(t) = self
            .trailers
            .iter()
            .find(|(n, _)| Some(n) != self.declared_trailer.as_ref())
        {
            return Err(ChunkVerifyError::Malformed(format!(
                "the trailer {:?} was not declared in x-amz-trailer",
                truncate(&t.0)
            )));
        }
        if self.mode == StreamingMode::SignedWithTrailer {
            let want = self.trailer_sig.ok_or_else(|| {
                ChunkVerifyError::Malformed("x-amz-trailer-signature is missing".into())
            })?;
            let mut canonical = Vec::new();
            for (n, v) in &self.trailers {
                canonical.extend_from_slice(n.as_bytes());
                canonical.push(b':');
                canonical.extend_from_slice(v.as_bytes());
                canonical.push(b'\n');
            }
            let ok = match &mut self.signer {
                Some(signer) => bool::from(signer.sign_trailer(&canonical).as_bytes().ct_eq(&want)),
                None => false,
            };
            if !ok {
                return Err(ChunkVerifyError::TrailerSignatureMismatch);
            }
        }
        match self.checksum.take() {
            Some(c) => check_checksum(c, &self.trailers),
            None => Ok(()),
        }
    }
}

/// The trailer named after the checksum's algorithm carries the body's checksum. (Without
/// feature `checksums` there is no algorithm, so this cannot be called.)
#[cfg_attr(not(feature = "checksums"), allow(unreachable_code, unused_variables))]
fn check_checksum(
    c: crate::chunked::Checksum,
    trailers: &[(String, String)],
) -> Result<(), ChunkVerifyError> {
    let name = c.algorithm().header_name();
    let computed = c.finalize();
    let got = trailers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str());
    if got != Some(computed.as_str()) {
        return Err(ChunkVerifyError::ChecksumMismatch {
            name: name.to_owned(),
        });
    }
    Ok(())
}

fn parse_sig(s: &str) -> Result<[u8; 64], ChunkVerifyError> {
    let b = s.as_bytes();
    if b.len() != 64 || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ChunkVerifyError::Malformed(
            "a signature must be 64 lowercase hex digits".into(),
        ));
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(b);
    Ok(out)
}

impl fmt::Debug for ChunkedBodyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedBodyVerifier")
            .field("mode", &self.mode)
            .field("state", &self.state)
            .field("chunks", &self.index)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "http-body")]
pub use body::VerifiedBody;

#[cfg(feature = "http-body")]
mod body {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::{Buf, Bytes, BytesMut};
    use http_body::{Body, Frame};

    use super::{ChunkVerifyError, ChunkedBodyVerifier};

    /// An [`http_body::Body`] that decodes and verifies an incoming aws-chunked body,
    /// yielding only data whose chunk signature has been checked (it holds back at most
    /// one chunk, bounded by [`ChunkedBodyVerifier::with_max_chunk_size`]). It fails at the
    /// first bad chunk, and at the end if the final chunk, trailer or length is wrong, so a
    /// consumer that stops at the first error never sees unverified data.
    ///
    /// Errors of the inner body pass through; verification errors become the inner error
    /// type through `From<ChunkVerifyError>`. HTTP trailers of the inner body are ignored
    /// (aws-chunked carries its trailer inside the body).
    #[derive(Debug)]
    pub struct VerifiedBody<B> {
        inner: B,
        verifier: ChunkedBodyVerifier,
        pending: Vec<u8>,
        held: BytesMut,
        emitted: u64,
        inner_done: bool,
        done: bool,
    }

    impl<B> VerifiedBody<B> {
        /// Decodes `inner` with `verifier` (from [`Verified::chunked_body`](crate::verify::Verified::chunked_body)).
        pub fn new(inner: B, verifier: ChunkedBodyVerifier) -> Self {
            VerifiedBody {
                inner,
                verifier,
                pending: Vec::new(),
                held: BytesMut::new(),
                emitted: 0,
                inner_done: false,
                done: false,
            }
        }

        /// The verifier (for the trailers once the body is done).
        pub fn verifier(&self) -> &ChunkedBodyVerifier {
            &self.verifier
        }
    }

    impl<B> Body for VerifiedBody<B>
    where
        B: Body + Unpin,
        B::Error: From<ChunkVerifyError>,
    {
        type Data = Bytes;
        type Error = B::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
            let this = &mut *self;
            loop {
                if this.done {
                    return Poll::Ready(None);
                }
                let ready = this.verifier.verified_len().saturating_sub(this.emitted);
                if ready > 0 {
                    let n = usize::try_from(ready)
                        .unwrap_or(usize::MAX)
                        .min(this.held.len());
                    if n > 0 {
                        this.emitted += n as u64;
                        return Poll::Ready(Some(Ok(Frame::data(this.held.split_to(n).freeze()))));
                    }
                }
                if this.inner_done {
                    this.done = true;
                    return Poll::Ready(None);
                }
                match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => {
                        this.inner_done = true;
                        if let Err(e) = this.verifier.finish() {
                            this.done = true;
                            return Poll::Ready(Some(Err(e.into())));
                        }
                    }
                    Poll::Ready(Some(Err(e))) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Ok(mut data) = frame.into_data() {
                            while data.has_remaining() {
                                let chunk = data.chunk();
                                let n = chunk.len();
                                this.pending.clear();
                                if let Err(e) = this.verifier.push(chunk, &mut this.pending) {
                                    this.done = true;
                                    this.held.clear();
                                    return Poll::Ready(Some(Err(e.into())));
                                }
                                this.held.extend_from_slice(&this.pending);
                                data.advance(n);
                            }
                        }
                    }
                }
            }
        }

        fn is_end_stream(&self) -> bool {
            self.done
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_mode_without_a_signer_refuses_chunks_instead_of_skipping_them() {
        // Unreachable through `Verified::chunked_body`, which always has a signer for a
        // signed mode; the decoder itself must still fail closed.
        let body = format!("5;chunk-signature={}\r\nhello\r\n", "0".repeat(64));
        let mut v = ChunkedBodyVerifier::new(StreamingMode::Signed, None, Some(5), None, None);
        let mut out = Vec::new();
        assert_eq!(
            v.push(body.as_bytes(), &mut out),
            Err(ChunkVerifyError::ChunkSignatureMismatch { index: 0 })
        );
        assert_eq!(v.verified_len(), 0);
    }
}
