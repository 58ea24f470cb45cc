//! aws-chunked encoder: length computed up front equals what is sent, chunk signatures
//! chain and verify, checksums match published check values, and errors are typed.

use std::io::Read;

use base64::Engine as _;
use proptest::prelude::*;
use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedError, ChunkedReader, ChunkedSettings,
    StreamingMode, DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE,
};
use sigv4::{AmzDate, SigningKey};

// The S3 documentation's streaming example credentials and seed signature.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

fn time() -> AmzDate {
    AmzDate::parse("20130524T000000Z").unwrap()
}

fn key() -> SigningKey {
    SigningKey::derive(SECRET, "20130524", "us-east-1", "s3").unwrap()
}

fn signer() -> ChunkSigner {
    ChunkSigner::new(key(), time(), SEED).unwrap()
}

fn encoder(mode: StreamingMode, chunk: usize, alg: Option<ChecksumAlgorithm>) -> ChunkEncoder {
    let mut s = ChunkedSettings::new(mode).with_chunk_size(chunk).unwrap();
    if let Some(a) = alg {
        s = s.with_checksum(a).unwrap();
    }
    ChunkEncoder::new(s, mode.is_signed().then(signer)).unwrap()
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn encode_all(enc: ChunkEncoder, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ChunkedReader::new(data, enc).read_to_end(&mut out).unwrap();
    out
}

/// A strict decoder written against the format description, independent of the encoder:
/// returns the payload and the trailer lines, and checks every signature it finds.
fn decode(encoded: &[u8], mode: StreamingMode) -> (Vec<u8>, Vec<(String, String)>) {
    let mut chain = mode.is_signed().then(signer);
    let mut payload = Vec::new();
    let mut pos = 0;
    let line = |pos: &mut usize| -> String {
        let end = *pos
            + encoded[*pos..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("CRLF");
        let s = String::from_utf8(encoded[*pos..end].to_vec()).expect("ascii line");
        *pos = end + 2;
        s
    };
    loop {
        let header = line(&mut pos);
        let (size, sig) = match header.split_once(";chunk-signature=") {
            Some((s, sig)) => (s.to_owned(), Some(sig.to_owned())),
            None => (header.clone(), None),
        };
        assert_eq!(sig.is_some(), mode.is_signed(), "chunk-signature presence");
        let size = usize::from_str_radix(&size, 16).expect("hex size");
        let data = &encoded[pos..pos + size];
        if let (Some(c), Some(sig)) = (chain.as_mut(), sig) {
            assert_eq!(c.sign_chunk(data), sig, "chunk signature");
        }
        payload.extend_from_slice(data);
        pos += size;
        if size == 0 {
            break;
        }
        assert_eq!(&encoded[pos..pos + 2], b"\r\n");
        pos += 2;
    }
    let mut trailers = Vec::new();
    let mut canonical = String::new();
    loop {
        let l = line(&mut pos);
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').expect("trailer line");
        if k == "x-amz-trailer-signature" {
            let c = chain.as_mut().expect("signed mode");
            assert_eq!(c.sign_trailer(canonical.as_bytes()), v, "trailer signature");
        } else {
            canonical.push_str(&format!("{k}:{v}\n"));
            trailers.push((k.to_owned(), v.to_owned()));
        }
    }
    assert_eq!(pos, encoded.len(), "nothing after the final empty line");
    (payload, trailers)
}

const MODES: [StreamingMode; 3] = [
    StreamingMode::Signed,
    StreamingMode::SignedWithTrailer,
    StreamingMode::UnsignedWithTrailer,
];

fn check_one(mode: StreamingMode, chunk: usize, alg: Option<ChecksumAlgorithm>, len: usize) {
    let data = body(len);
    let enc = encoder(mode, chunk, alg).with_expected_length(len as u64);
    let settings = *enc.settings();
    let encoded = encode_all(enc, &data);
    assert_eq!(
        settings.encoded_length(len as u64),
        encoded.len() as u64,
        "{mode:?} chunk {chunk} {alg:?} len {len}"
    );
    let (payload, trailers) = decode(&encoded, mode);
    assert_eq!(payload, data);
    match alg {
        Some(a) => {
            let mut c = a.checksum();
            c.update(&data);
            assert_eq!(trailers, vec![(a.header_name().to_owned(), c.finalize())]);
        }
        None => assert!(trailers.is_empty()),
    }
    // Same bytes through the push/finish API with awkward piece sizes.
    let mut enc = encoder(mode, chunk, alg);
    let mut out = Vec::new();
    for piece in data.chunks(chunk / 3 + 7) {
        enc.push(piece, &mut out).unwrap();
    }
    enc.finish(&mut out).unwrap();
    assert_eq!(out, encoded);
}

#[test]
fn length_and_round_trip_at_the_edges() {
    let c = MIN_CHUNK_SIZE;
    for mode in MODES {
        let algs: Vec<Option<ChecksumAlgorithm>> = if mode.has_trailer() {
            std::iter::once(None)
                .chain(ChecksumAlgorithm::ALL.into_iter().map(Some))
                .collect()
        } else {
            vec![None]
        };
        for alg in algs {
            for len in [0, 1, 15, 16, c - 1, c, c + 1, 2 * c, 3 * c + 17] {
                check_one(mode, c, alg, len);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn encoded_length_is_exact(
        mode_i in 0usize..3,
        alg_i in 0usize..6,
        chunk in MIN_CHUNK_SIZE..(MIN_CHUNK_SIZE * 3),
        len in 0usize..(MIN_CHUNK_SIZE * 7),
    ) {
        let mode = MODES[mode_i];
        let alg = if mode.has_trailer() { ChecksumAlgorithm::ALL.get(alg_i).copied() } else { None };
        check_one(mode, chunk, alg, len);
    }

    #[test]
    fn encoded_length_formula_never_panics(len in any::<u64>(), chunk in MIN_CHUNK_SIZE..(1usize << 24)) {
        for mode in MODES {
            let s = ChunkedSettings::new(mode).with_chunk_size(chunk).unwrap();
            prop_assert!(s.encoded_length(len) >= len.min(u64::MAX - 200));
        }
    }
}

#[test]
fn large_lengths_follow_the_formula() {
    // 5 GiB with 64 KiB signed chunks: 81920 chunks of "10000;chunk-signature=<64>\r\n<data>\r\n".
    let s = ChunkedSettings::new(StreamingMode::Signed);
    assert_eq!(s.chunk_size(), DEFAULT_CHUNK_SIZE);
    let len = 5u64 << 30;
    let chunks = len / 65536;
    assert_eq!(
        s.encoded_length(len),
        chunks * (5 + 17 + 64 + 2 + 65536 + 2) + 84 + 2
    );
}

#[test]
fn checksums_match_check_values() {
    // The catalogue "check" values: the checksum of "123456789".
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let expected = [
        (ChecksumAlgorithm::Crc32, b64(&0xCBF4_3926u32.to_be_bytes())),
        (
            ChecksumAlgorithm::Crc32c,
            b64(&0xE306_9283u32.to_be_bytes()),
        ),
        (
            ChecksumAlgorithm::Crc64Nvme,
            b64(&0xAE8B_1486_0A79_9888u64.to_be_bytes()),
        ),
        (
            ChecksumAlgorithm::Sha1,
            b64(&hex("f7c3bc1d808e04732adf679965ccc34ca7ae3441")),
        ),
        (
            ChecksumAlgorithm::Sha256,
            b64(&hex(
                "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
            )),
        ),
    ];
    for (alg, want) in expected {
        let mut c = alg.checksum();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.finalize(), want, "{alg:?}");
    }
    // S3's documented value for an empty object.
    let c = ChecksumAlgorithm::Crc32.checksum();
    assert_eq!(c.finalize(), "AAAAAA==");
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn aws_documented_example_signed_chunks() {
    // The S3 documentation's STREAMING-AWS4-HMAC-SHA256-PAYLOAD example: 66560 bytes of 'a'
    // in 64 KiB chunks, seed 4f232c43..., chunk signatures as published there.
    let settings = ChunkedSettings::new(StreamingMode::Signed);
    let mut headers: Vec<(&str, String)> = settings.headers(66560);
    headers.push(("host", "s3.amazonaws.com".into()));
    headers.push(("x-amz-storage-class", "REDUCED_REDUNDANCY".into()));
    let req = sigv4::SignableRequest::new(
        "PUT",
        "/examplebucket/chunkObject.txt",
        headers.iter().map(|(k, v)| (*k, v.as_bytes())),
        StreamingMode::Signed.payload(),
    );
    let creds = sigv4::Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, None, None);
    let out = sigv4::Signer::new("us-east-1", "s3")
        .unwrap()
        .sign(&req, &creds, time().to_system_time())
        .unwrap();
    assert_eq!(out.signature(), SEED);
    let enc = encoder(StreamingMode::Signed, 64 * 1024, None).with_expected_length(66560);
    let out = encode_all(enc, &vec![b'a'; 66560]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(
        "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
    ));
    assert!(text.contains(
        "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"
    ));
    assert!(text.ends_with(
        "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
    ));
    assert_eq!(
        text.len() as u64,
        ChunkedSettings::new(StreamingMode::Signed).encoded_length(66560)
    );
    assert_eq!(text.len(), 66824); // the Content-Length of that example
}

#[test]
fn typed_errors() {
    assert_eq!(
        ChunkedSettings::new(StreamingMode::Signed).with_chunk_size(8191),
        Err(ChunkedError::InvalidChunkSize(8191))
    );
    assert_eq!(
        ChunkedSettings::new(StreamingMode::Signed).with_checksum(ChecksumAlgorithm::Crc32),
        Err(ChunkedError::TrailerNotSupported)
    );
    assert!(matches!(
        ChunkEncoder::new(ChunkedSettings::new(StreamingMode::Signed), None),
        Err(ChunkedError::MissingSigner(_))
    ));
    assert!(matches!(
        ChunkEncoder::new(
            ChunkedSettings::new(StreamingMode::UnsignedWithTrailer),
            Some(signer())
        ),
        Err(ChunkedError::UnexpectedSigner)
    ));
    assert!(matches!(
        ChunkSigner::new(key(), time(), "ABC"),
        Err(ChunkedError::InvalidSeedSignature)
    ));
    assert!(matches!(
        ChunkSigner::new(key(), AmzDate::parse("20130525T000000Z").unwrap(), SEED),
        Err(ChunkedError::Signing(_))
    ));

    // Longer than declared: refused as soon as it is seen.
    let mut enc =
        encoder(StreamingMode::UnsignedWithTrailer, MIN_CHUNK_SIZE, None).with_expected_length(10);
    let mut out = Vec::new();
    assert_eq!(
        enc.push(&[0; 11], &mut out),
        Err(ChunkedError::LengthMismatch {
            expected: 10,
            actual: 11
        })
    );
    // Shorter than declared: refused at the end.
    let mut enc =
        encoder(StreamingMode::UnsignedWithTrailer, MIN_CHUNK_SIZE, None).with_expected_length(10);
    enc.push(&[0; 9], &mut out).unwrap();
    assert_eq!(
        enc.finish(&mut out),
        Err(ChunkedError::LengthMismatch {
            expected: 10,
            actual: 9
        })
    );
    // The reader reports it as InvalidData carrying the typed error.
    let enc =
        encoder(StreamingMode::UnsignedWithTrailer, MIN_CHUNK_SIZE, None).with_expected_length(10);
    let err = ChunkedReader::new(&[0u8; 9][..], enc)
        .read_to_end(&mut Vec::new())
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("9 bytes but 10 were declared"));
    // Nothing after finish.
    let mut enc = encoder(StreamingMode::UnsignedWithTrailer, MIN_CHUNK_SIZE, None);
    enc.finish(&mut out).unwrap();
    assert!(enc.is_finished());
    assert_eq!(enc.push(b"x", &mut out), Err(ChunkedError::Finished));
    assert_eq!(enc.finish(&mut out), Err(ChunkedError::Finished));
}

#[test]
fn debug_never_shows_the_key() {
    let k = key();
    let key_hex = sigv4::hex(k.as_bytes());
    let enc = encoder(
        StreamingMode::SignedWithTrailer,
        MIN_CHUNK_SIZE,
        Some(ChecksumAlgorithm::Crc32),
    );
    for shown in [format!("{:?}", signer()), format!("{enc:?}")] {
        assert!(!shown.contains(&key_hex), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[test]
fn inner_read_errors_pass_through() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "boom",
            ))
        }
    }
    let enc = encoder(StreamingMode::Signed, MIN_CHUNK_SIZE, None);
    let err = ChunkedReader::new(Failing, enc)
        .read(&mut [0; 10])
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
}

#[cfg(feature = "http-body")]
mod http_body_adapter {
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use bytes::Bytes;
    use http_body::{Body, Frame};
    use sigv4::chunked::{ChecksumAlgorithm, ChunkedBody, StreamingMode, MIN_CHUNK_SIZE};

    use super::{body, encode_all, encoder};

    type BoxError = Box<dyn std::error::Error + Send + Sync>;

    /// A body that yields the given frames, returning `Pending` once before each (waking
    /// itself), then optionally an error.
    struct Frames {
        frames: VecDeque<Bytes>,
        fail_at_end: bool,
        pending_next: bool,
    }

    impl Body for Frames {
        type Data = Bytes;
        type Error = BoxError;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            if self.pending_next {
                self.pending_next = false;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.pending_next = true;
            match self.frames.pop_front() {
                Some(b) => Poll::Ready(Some(Ok(Frame::data(b)))),
                None if self.fail_at_end => Poll::Ready(Some(Err("inner failed".into()))),
                None => Poll::Ready(None),
            }
        }
    }

    /// Drives a body to the end on this thread (every Pending here wakes immediately).
    fn collect<B: Body<Data = Bytes> + Unpin>(mut b: B) -> Result<Vec<u8>, B::Error> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        for _ in 0..1_000_000 {
            match Pin::new(&mut b).poll_frame(&mut cx) {
                Poll::Pending => continue,
                Poll::Ready(None) => {
                    assert!(b.is_end_stream());
                    return Ok(out);
                }
                Poll::Ready(Some(frame)) => {
                    if let Ok(data) = frame?.into_data() {
                        out.extend_from_slice(&data);
                    }
                }
            }
        }
        panic!("body did not finish");
    }

    #[test]
    fn matches_the_reader_for_odd_frames() {
        for mode in super::MODES {
            let alg = mode.has_trailer().then_some(ChecksumAlgorithm::Crc32c);
            let len = 3 * MIN_CHUNK_SIZE + 123;
            let data = body(len);
            let want = encode_all(encoder(mode, MIN_CHUNK_SIZE, alg), &data);
            let frames: VecDeque<Bytes> = data
                .chunks(5000)
                .map(Bytes::copy_from_slice)
                .chain(std::iter::once(Bytes::new()))
                .collect();
            let enc = encoder(mode, MIN_CHUNK_SIZE, alg).with_expected_length(len as u64);
            let b = ChunkedBody::new(
                Frames {
                    frames,
                    fail_at_end: false,
                    pending_next: false,
                },
                enc,
            );
            let hint = b.size_hint();
            assert_eq!(hint.exact(), Some(want.len() as u64), "{mode:?}");
            assert_eq!(collect(b).unwrap(), want, "{mode:?}");
        }
    }

    #[test]
    fn errors_pass_through() {
        // Inner error.
        let enc = encoder(StreamingMode::UnsignedWithTrailer, MIN_CHUNK_SIZE, None);
        let b = ChunkedBody::new(
            Frames {
                frames: VecDeque::from([Bytes::from_static(b"abc")]),
                fail_at_end: true,
                pending_next: false,
            },
            enc,
        );
        assert_eq!(collect(b).unwrap_err().to_string(), "inner failed");
        // Encoding error (body longer than declared), converted into the inner error type.
        let enc = encoder(StreamingMode::UnsignedWithTrailer, MIN_CHUNK_SIZE, None)
            .with_expected_length(2);
        let b = ChunkedBody::new(
            Frames {
                frames: VecDeque::from([Bytes::from_static(b"abc")]),
                fail_at_end: false,
                pending_next: false,
            },
            enc,
        );
        assert!(collect(b).unwrap_err().to_string().contains("declared"));
    }
}

#[cfg(feature = "http")]
#[test]
fn sign_http_request_sets_headers_and_chains_to_the_seed() {
    use std::time::{Duration, UNIX_EPOCH};
    let signer = sigv4::Signer::new("us-east-1", "s3").unwrap();
    let creds = sigv4::Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, None, None);
    let t = UNIX_EPOCH + Duration::from_secs(1_369_353_600);
    for mode in MODES {
        let mut req = http::Request::put("https://bucket.s3.amazonaws.com/k")
            .header("content-encoding", "gzip")
            .header("content-length", "999")
            .body(())
            .unwrap();
        let mut settings = ChunkedSettings::new(mode);
        if mode.has_trailer() {
            settings = settings.with_checksum(ChecksumAlgorithm::Sha256).unwrap();
        }
        let enc = sigv4::chunked::sign_http_request(&signer, &mut req, settings, 20_000, &creds, t)
            .unwrap();
        let h = req.headers();
        assert_eq!(h["content-encoding"], "aws-chunked,gzip");
        assert_eq!(
            h["content-length"],
            settings.encoded_length(20_000).to_string().as_str()
        );
        assert_eq!(h["x-amz-decoded-content-length"], "20000");
        assert_eq!(h["x-amz-content-sha256"], mode.content_sha256());
        assert_eq!(
            h.get("x-amz-trailer").map(|v| v.to_str().unwrap()),
            mode.has_trailer().then_some("x-amz-checksum-sha256")
        );
        let auth = h["authorization"].to_str().unwrap();
        let seed = auth.rsplit_once("Signature=").unwrap().1;
        assert_eq!(enc.previous_signature().is_some(), mode.is_signed());
        if let Some(prev) = enc.previous_signature() {
            assert_eq!(prev, seed);
        }
        // The encoded body has exactly the declared length.
        let data = body(20_000);
        let mut out = Vec::new();
        ChunkedReader::new(&data[..], enc)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len() as u64, settings.encoded_length(20_000));
    }
}
