//! A request body altered in transit, after it was signed (shared by the upload tests
//! here and in `sigv4-e2e`).

use bytes::Bytes;

/// A body that flips one byte at offset `at` of what it passes on: a chunk altered in
/// transit, after it was signed.
pub struct Tamper<B> {
    inner: B,
    at: u64,
    seen: u64,
}

impl<B> Tamper<B> {
    /// Passes `inner` on with the byte at offset `at` flipped (`u64::MAX`: intact).
    pub fn new(inner: B, at: u64) -> Self {
        Tamper { inner, at, seen: 0 }
    }
}

impl<B> http_body::Body for Tamper<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, B::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        let std::task::Poll::Ready(Some(Ok(frame))) = polled else {
            return polled;
        };
        let Ok(data) = frame.into_data() else {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::new()))));
        };
        let (start, at) = (self.seen, self.at);
        self.seen += data.len() as u64;
        if (start..self.seen).contains(&at) {
            let mut altered = data.to_vec();
            altered[(at - start) as usize] ^= 0x01;
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(altered.into()))));
        }
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
