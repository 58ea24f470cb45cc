//! Verifying aws-chunked bodies produced by the chunked signer, in every mode and
//! checksum, pushed in pieces of any size; tampering with any chunk, the trailer or the
//! length is refused at the first bad chunk; the `http_body` adapter never yields data
//! whose chunk signature has not been checked.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::chunked::{
    ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedReader, ChunkedSettings, StreamingMode,
};
use sigv4::verify::{ChunkVerifyError, VerifiableRequest, Verified, Verifier, VerifyBody};
use sigv4::{AmzDate, Credentials, SignableRequest, Signer};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn creds() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    )
}

/// Signs a streaming PUT of `data` and returns the verified request and the encoded body.
fn streaming(data: &[u8], settings: ChunkedSettings) -> (Verified, Vec<u8>) {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let mut headers: Vec<(String, String)> = vec![("host".into(), "bucket.example".into())];
    for (n, v) in settings.headers(data.len() as u64) {
        headers.push((n.to_owned(), v));
    }
    let req = SignableRequest::new(
        "PUT",
        "/key",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        settings.mode().payload(),
    );
    let out = signer.sign(&req, &creds(), now()).unwrap();
    let chunk_signer = settings.mode().is_signed().then(|| {
        let key = signer.signing_key(&creds(), now()).unwrap();
        ChunkSigner::new(
            (*key).clone(),
            AmzDate::from_system_time(now()).unwrap(),
            out.signature(),
        )
        .unwrap()
    });
    let enc = ChunkEncoder::new(settings, chunk_signer)
        .unwrap()
        .with_expected_length(data.len() as u64);
    let mut body = Vec::new();
    ChunkedReader::new(data, enc)
        .read_to_end(&mut body)
        .unwrap();
    assert_eq!(
        body.len() as u64,
        settings.encoded_length(data.len() as u64)
    );
    let added: Vec<(String, String)> = out
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    drop(req);
    for (n, v) in added {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(&n));
        headers.push((n, v));
    }
    let view = VerifiableRequest::new(
        "PUT",
        "/key",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        VerifyBody::Unavailable,
    );
    let verified = Verifier::new("us-east-1", "s3")
        .unwrap()
        .verify_with(&view, Some(creds()), now())
        .unwrap();
    (verified, body)
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 256) as u8).collect()
}

fn all_settings() -> Vec<ChunkedSettings> {
    let mut v = vec![ChunkedSettings::new(StreamingMode::Signed)
        .with_chunk_size(8 * 1024)
        .unwrap()];
    for mode in [
        StreamingMode::SignedWithTrailer,
        StreamingMode::UnsignedWithTrailer,
    ] {
        v.push(ChunkedSettings::new(mode));
        for alg in ChecksumAlgorithm::ALL {
            v.push(
                ChunkedSettings::new(mode)
                    .with_chunk_size(8 * 1024)
                    .unwrap()
                    .with_checksum(alg)
                    .unwrap(),
            );
        }
    }
    v
}

#[test]
fn signer_output_verifies_in_every_mode_and_split() {
    for settings in all_settings() {
        for len in [0, 1, 8 * 1024, 20_000] {
            let d = data(len);
            let (verified, body) = streaming(&d, settings);
            for split in [1, 7, 8 * 1024 + 3, body.len().max(1)] {
                let mut v = verified.chunked_body().unwrap();
                let mut out = Vec::new();
                for piece in body.chunks(split) {
                    v.push(piece, &mut out)
                        .unwrap_or_else(|e| panic!("{settings:?} len {len} split {split}: {e}"));
                    assert!(v.verified_len() <= v.decoded_len());
                }
                v.finish().unwrap();
                assert!(v.is_done());
                assert_eq!(out, d, "{settings:?} len {len}");
                assert_eq!(v.verified_len(), len as u64);
                assert_eq!(
                    v.trailers().len(),
                    usize::from(settings.checksum().is_some())
                );
            }
        }
    }
}

#[test]
fn any_changed_byte_is_refused() {
    let settings = [
        ChunkedSettings::new(StreamingMode::Signed),
        ChunkedSettings::new(StreamingMode::SignedWithTrailer),
        ChunkedSettings::new(StreamingMode::SignedWithTrailer)
            .with_checksum(ChecksumAlgorithm::Sha256)
            .unwrap(),
        ChunkedSettings::new(StreamingMode::UnsignedWithTrailer)
            .with_checksum(ChecksumAlgorithm::Crc32)
            .unwrap(),
        ChunkedSettings::new(StreamingMode::UnsignedWithTrailer)
            .with_checksum(ChecksumAlgorithm::Crc64Nvme)
            .unwrap(),
    ];
    let mut checked = 0;
    for settings in settings {
        let settings = settings.with_chunk_size(8 * 1024).unwrap();
        let d = data(9_000);
        let (verified, body) = streaming(&d, settings);
        // Every byte of the framing (chunk headers, CRLFs, final chunk, trailer) and a
        // spread of data bytes: re-verifying the whole body for each byte of it would be
        // quadratic.
        let crlfs: Vec<usize> = (1..body.len())
            .filter(|&i| body[i - 1] == b'\r' && body[i] == b'\n')
            .collect();
        let near_frame = |i: usize| crlfs.iter().any(|&c| i + 100 >= c && i <= c + 100);
        for i in (0..body.len()).filter(|&i| i % 37 == 0 || near_frame(i)) {
            let mut bad = body.clone();
            bad[i] ^= 0x01;
            let mut v = verified.chunked_body().unwrap();
            let mut sink = Vec::new();
            let r = v.push(&bad, &mut sink).and_then(|_| v.finish());
            assert!(r.is_err(), "{settings:?}: byte {i} changed and accepted");
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn rejection_happens_at_the_first_bad_chunk() {
    let settings = ChunkedSettings::new(StreamingMode::Signed)
        .with_chunk_size(8 * 1024)
        .unwrap();
    let d = data(5 * 8 * 1024);
    let (verified, body) = streaming(&d, settings);
    // Change a data byte of the second chunk.
    let header_len = body.iter().position(|&b| b == b'\n').unwrap() + 1;
    let second = header_len + 8 * 1024 + 2 + header_len + 10;
    let mut bad = body.clone();
    bad[second] ^= 0x01;
    let mut v = verified.chunked_body().unwrap();
    let mut out = Vec::new();
    let mut err = None;
    for piece in bad.chunks(1000) {
        if let Err(e) = v.push(piece, &mut out) {
            err = Some(e);
            break;
        }
    }
    assert_eq!(
        err,
        Some(ChunkVerifyError::ChunkSignatureMismatch { index: 1 })
    );
    assert_eq!(v.verified_len(), 8 * 1024);
    // The verifier stays failed.
    assert!(v.push(b"", &mut out).is_ok());
    assert!(v.push(b"x", &mut out).is_err());
    assert!(v.finish().is_err());
}

#[test]
fn length_and_trailer_rules() {
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .with_checksum(ChecksumAlgorithm::Crc32)
        .unwrap();
    let d = data(10_000);
    let (verified, body) = streaming(&d, settings);
    // Cut short, or with extra bytes.
    let mut v = verified.chunked_body().unwrap();
    v.push(&body[..body.len() - 1], &mut Vec::new()).unwrap();
    assert_eq!(v.finish(), Err(ChunkVerifyError::Incomplete));
    let mut v = verified.chunked_body().unwrap();
    let mut long = body.clone();
    long.extend_from_slice(b"0\r\n");
    assert!(v.push(&long, &mut Vec::new()).is_err());
    // A trailer signature from another body.
    let (_, other) = streaming(
        &data(10_001)[1..],
        ChunkedSettings::new(StreamingMode::SignedWithTrailer)
            .with_checksum(ChecksumAlgorithm::Crc32)
            .unwrap(),
    );
    let tail = |b: &[u8]| {
        b.len()
            - b.windows(23)
                .rposition(|w| w == b"x-amz-trailer-signature")
                .unwrap()
    };
    let mut spliced = body[..body.len() - tail(&body)].to_vec();
    spliced.extend_from_slice(&other[other.len() - tail(&other)..]);
    let mut v = verified.chunked_body().unwrap();
    let r = v.push(&spliced, &mut Vec::new()).and_then(|_| v.finish());
    assert_eq!(r, Err(ChunkVerifyError::TrailerSignatureMismatch));
}

#[cfg(feature = "http-body")]
#[test]
fn http_body_adapter_yields_only_verified_data() {
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use bytes::Bytes;
    use http_body::Body;
    use sigv4::verify::VerifiedBody;

    #[derive(Debug)]
    struct E(#[allow(dead_code)] ChunkVerifyError);
    impl From<ChunkVerifyError> for E {
        fn from(e: ChunkVerifyError) -> Self {
            E(e)
        }
    }

    let settings = ChunkedSettings::new(StreamingMode::Signed)
        .with_chunk_size(8 * 1024)
        .unwrap();
    let d = data(4 * 8 * 1024 + 100);
    let (verified, body) = streaming(&d, settings);

    let run = |encoded: Vec<u8>| -> (Vec<u8>, Option<E>) {
        let inner: Frames<E> = Frames(
            encoded.chunks(777).map(Bytes::copy_from_slice).collect(),
            std::marker::PhantomData,
        );
        let mut b = VerifiedBody::new(inner, verified.chunked_body().unwrap());
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        loop {
            match Pin::new(&mut b).poll_frame(&mut cx) {
                Poll::Ready(Some(Ok(f))) => out.extend_from_slice(f.data_ref().unwrap()),
                Poll::Ready(Some(Err(e))) => return (out, Some(e)),
                Poll::Ready(None) => return (out, None),
                Poll::Pending => panic!("the test body is always ready"),
            }
        }
    };
    let (out, err) = run(body.clone());
    assert!(err.is_none());
    assert_eq!(out, d);

    // A change in the third chunk: only the first two chunks come out, then the error.
    let header_len = body.iter().position(|&b| b == b'\n').unwrap() + 1;
    let third = 2 * (header_len + 8 * 1024 + 2) + header_len + 5;
    let mut bad = body.clone();
    bad[third] ^= 0x01;
    let (out, err) = run(bad);
    assert!(err.is_some());
    assert_eq!(out, d[..2 * 8 * 1024]);
}

/// An in-memory body that hands out its frames one at a time.
#[cfg(feature = "http-body")]
struct Frames<E>(
    std::collections::VecDeque<bytes::Bytes>,
    std::marker::PhantomData<E>,
);

#[cfg(feature = "http-body")]
impl<E> http_body::Body for Frames<E> {
    type Data = bytes::Bytes;
    type Error = E;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, E>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(http_body::Frame::data(b))))
    }
}

#[cfg(feature = "http-body")]
impl<E> Unpin for Frames<E> {}

/// Verifies a streaming PUT signed with exactly these extra headers (so they are signed,
/// whatever their values).
fn verify_signed_streaming(
    payload: sigv4::Payload<'_>,
    extra: &[(&str, &str)],
) -> Result<Verified, sigv4::verify::VerifyError> {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let mut headers: Vec<(&str, &[u8])> = vec![("host", b"bucket.example")];
    headers.extend(extra.iter().map(|(n, v)| (*n, v.as_bytes())));
    let out = signer
        .sign(
            &SignableRequest::new("PUT", "/key", headers.clone(), payload),
            &creds(),
            now(),
        )
        .unwrap();
    let mut sent = headers;
    let added: Vec<(String, String)> = out
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    sent.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
    let req = VerifiableRequest::new("PUT", "/key", sent, VerifyBody::Unavailable);
    Verifier::new("us-east-1", "s3")
        .unwrap()
        .verify_with(&req, Some(creds()), now())
}

#[test]
fn streaming_headers_that_cannot_be_read_refuse_the_request_instead_of_skipping_a_check() {
    use sigv4::Payload;
    // Well-formed: accepted, and the body is checked against them.
    let ok = verify_signed_streaming(
        Payload::StreamingSignedTrailer,
        &[
            ("x-amz-decoded-content-length", "5"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
        ],
    )
    .unwrap();
    assert!(ok.chunked_body().is_some());

    // Each of these used to verify with the length or trailer check silently off.
    for (payload, extra) in [
        (
            Payload::StreamingSigned,
            &[("x-amz-decoded-content-length", "five")][..],
        ),
        (
            Payload::StreamingSigned,
            &[
                ("x-amz-decoded-content-length", "5"),
                ("x-amz-decoded-content-length", "6"),
            ][..],
        ),
        (
            Payload::StreamingSignedTrailer,
            &[
                ("x-amz-decoded-content-length", "5"),
                ("x-amz-trailer", "x-amz-checksum-unknown"),
            ][..],
        ),
        (
            Payload::StreamingUnsignedTrailer,
            &[
                ("x-amz-decoded-content-length", "5"),
                ("x-amz-trailer", "x-amz-checksum-crc32"),
                ("x-amz-trailer", "x-amz-checksum-sha256"),
            ][..],
        ),
    ] {
        let e = verify_signed_streaming(payload, extra).unwrap_err();
        assert_eq!(e.code(), "InvalidRequest", "{extra:?}: {e}");
    }
    // For a payload that is not streamed the headers mean nothing and are not checked.
    assert!(verify_signed_streaming(
        Payload::Bytes(b""),
        &[("x-amz-decoded-content-length", "five")]
    )
    .is_ok());
}

#[test]
fn an_absolute_target_must_name_the_signed_host() {
    let signer = Signer::new("us-east-1", "s3").unwrap();
    let headers: Vec<(&str, &[u8])> = vec![("host", b"bucket.example")];
    let out = signer
        .sign(
            &SignableRequest::new("GET", "/key", headers.clone(), sigv4::Payload::Unsigned),
            &creds(),
            now(),
        )
        .unwrap();
    let added: Vec<(String, String)> = out
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let mut sent = headers;
    sent.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
    let verifier = Verifier::new("us-east-1", "s3").unwrap();
    let check = |target: &str| {
        let req = VerifiableRequest::new("GET", target, sent.clone(), VerifyBody::Bytes(b""));
        verifier.verify_with(&req, Some(creds()), now())
    };
    assert!(check("/key").is_ok());
    assert!(check("https://bucket.example/key").is_ok());
    assert!(check("https://BUCKET.example:443/key").is_ok());
    for other in [
        "https://evil.example/key",
        "https://bucket.example:8443/key",
    ] {
        let e = check(other).unwrap_err();
        assert_eq!(e.code(), "InvalidRequest", "{other}");
        assert!(matches!(
            e,
            sigv4::verify::VerifyError::AuthorityMismatch { .. }
        ));
    }
}
