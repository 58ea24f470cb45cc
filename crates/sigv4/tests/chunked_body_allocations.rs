//! The `http-body` adapter writes a large body frame's chunks in place: one buffer sized
//! for every chunk the frame completes, not one that grows (reallocating and copying the
//! body bytes again) as chunks are appended. Counted with a counting allocator, in its own
//! test binary so no other test's allocations are counted.
#![cfg(all(feature = "http-body", feature = "checksums"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body::Body;
use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedBody, ChunkedSettings, StreamingMode,
};
use sigv4::{AmzDate, SigningKey};

/// Counts the bytes requested by every allocation and reallocation.
struct Counting;

static REQUESTED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        REQUESTED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REQUESTED.fetch_add(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The tests run one at a time, so one test's allocations are not counted in another's.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[derive(Debug)]
struct BodyError;

impl From<sigv4::chunked::ChunkedError> for BodyError {
    fn from(_: sigv4::chunked::ChunkedError) -> Self {
        BodyError
    }
}

/// One data frame holding the whole body, as `reqwest::Body::from(Vec<u8>)` hands it over.
struct OneFrame(Option<Bytes>);

impl Body for OneFrame {
    type Data = Bytes;
    type Error = BodyError;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BodyError>>> {
        Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
    }
}

fn encoder(signed: bool) -> ChunkEncoder {
    let mode = if signed {
        StreamingMode::SignedWithTrailer
    } else {
        StreamingMode::UnsignedWithTrailer
    };
    let settings = ChunkedSettings::new(mode)
        .with_checksum(ChecksumAlgorithm::Crc64Nvme)
        .unwrap();
    let signer = signed.then(|| {
        let time = AmzDate::parse("20130524T000000Z").unwrap();
        let key = SigningKey::derive("secret", time.date(), "us-east-1", "s3").unwrap();
        ChunkSigner::new(key, time, &"0".repeat(64)).unwrap()
    });
    ChunkEncoder::new(settings, signer).unwrap()
}

#[test]
fn a_large_frame_is_encoded_into_one_buffer_of_its_encoded_size() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    const LEN: usize = 4 << 20;
    // "10000\r\n" + 64 KiB + "\r\n", and ";chunk-signature=" + 64 hex digits when signed.
    for (signed, framing) in [(false, 9), (true, 9 + 17 + 64)] {
        let frame = Bytes::from(vec![7u8; LEN]);
        let mut body = ChunkedBody::new(OneFrame(Some(frame)), encoder(signed));
        let mut cx = Context::from_waker(Waker::noop());
        let before = REQUESTED.load(Ordering::Relaxed);
        let Poll::Ready(Some(Ok(frame))) = Pin::new(&mut body).poll_frame(&mut cx) else {
            panic!("the chunks of the frame");
        };
        let requested = REQUESTED.load(Ordering::Relaxed) - before;
        let encoded = frame.into_data().unwrap().len();
        // All 64 full chunks with their framing, written into one allocation of that size
        // (a buffer grown chunk by chunk requests about twice the body in total). The slack
        // is for small allocations around the frame.
        assert_eq!(encoded, 64 * ((64 << 10) + framing), "signed: {signed}");
        assert!(
            requested <= encoded + 64 * 1024,
            "signed: {signed}: {requested} bytes requested for {encoded} encoded bytes"
        );
    }
}

/// The chunk signature chains (SigV4's HMAC, SigV4a's ECDSA) sign each chunk without
/// allocating: in its steady state the encoder writes into the caller's reused buffer and
/// requests nothing from the allocator (before: 768 bytes in 2 allocations a chunk for
/// SigV4, 613 bytes in 3 for SigV4a).
#[cfg(feature = "sigv4a")]
#[test]
fn steady_state_chunk_signing_allocates_nothing() {
    use sigv4::chunked::SigV4aChunkSigner;
    use sigv4::sigv4a::SigV4aKey;

    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    const CHUNK: usize = 64 << 10;
    let time = AmzDate::parse("20130524T000000Z").unwrap();
    let key = std::sync::Arc::new(SigV4aKey::derive("AKIDEXAMPLE", "secret").unwrap());
    let seed = key.sign_hex(b"the request's string to sign");
    let chain = SigV4aChunkSigner::new(key, time, "s3", &seed).unwrap();
    let v4a_settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .sigv4a()
        .unwrap();
    let v4a = ChunkEncoder::new_v4a(v4a_settings, chain).unwrap();
    let body = vec![7u8; CHUNK];
    for (name, mut encoder) in [("SigV4", encoder(true)), ("SigV4a", v4a)] {
        let mut out = Vec::with_capacity(2 * CHUNK);
        encoder.push(&body, &mut out).unwrap();
        let before = REQUESTED.load(Ordering::Relaxed);
        for _ in 0..16 {
            out.clear();
            encoder.push(&body, &mut out).unwrap();
        }
        let requested = REQUESTED.load(Ordering::Relaxed) - before;
        assert_eq!(requested, 0, "{name}: bytes requested for 16 chunks");
        out.clear();
        encoder.finish(&mut out).unwrap();
        assert!(out.starts_with(b"0;chunk-signature="), "{name}");
    }
}
