//! `VerifiedBody` (feature `http-body`): an `http_body::Body` over the chunk verifier.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http_body::{Body, Frame};

use super::chunked::ChunkedBodyVerifier;
use super::error::ChunkVerifyError;

/// An [`http_body::Body`] that decodes and verifies an incoming aws-chunked body (SigV4 or
/// SigV4a),
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
