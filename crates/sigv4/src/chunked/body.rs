use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http_body::{Body, Frame, SizeHint};

use super::{ChunkEncoder, ChunkedError};

/// An [`http_body::Body`] that yields the aws-chunked encoding of another body.
///
/// Data frames of the inner body are re-chunked to the configured chunk size; memory
/// stays at about one chunk plus one inner frame. Trailers of the inner body are
/// ignored (the encoder writes its own checksum trailer into the encoded stream).
/// Errors of the inner body are returned as they are; encoding errors are turned
/// into the inner error type through `From<ChunkedError>`.
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
/// use http_body::Body;
/// use http_body_util::{BodyExt, Full};
/// use sigv4::chunked::{ChunkEncoder, ChunkedBody, ChunkedSettings, StreamingMode};
///
/// type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// let inner = Full::new(bytes::Bytes::from_static(b"hi")).map_err(|e| -> BoxError { match e {} });
/// let enc = ChunkEncoder::new(ChunkedSettings::new(StreamingMode::UnsignedWithTrailer), None)?;
/// let mut body = ChunkedBody::new(inner, enc);
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut out = Vec::new();
/// while let Poll::Ready(Some(frame)) = Pin::new(&mut body).poll_frame(&mut cx) {
///     out.extend_from_slice(frame?.data_ref().unwrap());
/// }
/// assert_eq!(out, b"2\r\nhi\r\n0\r\n\r\n");
/// # Ok::<(), BoxError>(())
/// ```
#[derive(Debug)]
pub struct ChunkedBody<B> {
    inner: B,
    encoder: ChunkEncoder,
    inner_done: bool,
    done: bool,
}

impl<B> ChunkedBody<B> {
    /// Encodes `inner` with `encoder`.
    pub fn new(inner: B, encoder: ChunkEncoder) -> Self {
        ChunkedBody {
            inner,
            encoder,
            inner_done: false,
            done: false,
        }
    }

    /// The encoder (for its progress and last signature).
    pub fn encoder(&self) -> &ChunkEncoder {
        &self.encoder
    }
}

impl<B> Body for ChunkedBody<B>
where
    B: Body + Unpin,
    B::Error: From<ChunkedError>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if this.inner_done {
                let mut out = Vec::new();
                this.encoder.finish(&mut out)?;
                this.done = true;
                return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.inner_done = true,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(mut data) = frame.into_data() {
                        // Sized for every chunk this frame completes: written in place.
                        let mut out =
                            Vec::with_capacity(this.encoder.push_output_len(data.remaining()));
                        while data.has_remaining() {
                            let piece = data.chunk();
                            let n = piece.len();
                            this.encoder.push(piece, &mut out)?;
                            data.advance(n);
                        }
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                        }
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        match self.encoder.expected {
            Some(len) if !self.done && self.encoder.seen == 0 => {
                SizeHint::with_exact(self.encoder.settings.encoded_length(len))
            }
            _ => SizeHint::default(),
        }
    }
}
