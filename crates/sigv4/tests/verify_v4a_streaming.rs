//! The core `Verifier` accepts SigV4a aws-chunked uploads
//! (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`) and `Verified::chunked_body`
//! checks their ECDSA chunk and trailer signatures with the same framing machine as SigV4:
//! a body signed by `chunked::sign_http_request_sigv4a` verifies, any change is refused,
//! and a streaming marker of the other algorithm is refused before the body.

#![cfg(all(feature = "sigv4a", feature = "http", feature = "checksums"))]

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4::chunked::{self, ChecksumAlgorithm, ChunkedReader, ChunkedSettings, StreamingMode};
use sigv4::sigv4a::SigV4aSigner;
use sigv4::verify::{
    ChunkVerifyError, VerifiableRequest, Verified, VerifiedPayload, Verifier, VerifyBody,
    VerifyError,
};
use sigv4::{Credentials, Payload};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn creds() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
    )
}

fn verify(req: &http::Request<()>) -> Result<Verified, VerifyError> {
    Verifier::new("us-east-1", "s3").unwrap().verify_with(
        &VerifiableRequest::from_http(req, VerifyBody::Unavailable),
        Some(creds()),
        now(),
    )
}

/// A SigV4a streaming PUT of `data` (region set `*`), and its encoded body.
fn upload(settings: ChunkedSettings, data: &[u8]) -> (http::Request<()>, Vec<u8>) {
    let signer = SigV4aSigner::new("*", "s3").unwrap();
    let mut req = http::Request::put("https://bucket.s3.amazonaws.com/key")
        .body(())
        .unwrap();
    let enc = chunked::sign_http_request_sigv4a(
        &signer,
        &mut req,
        settings,
        data.len() as u64,
        &creds(),
        now(),
    )
    .unwrap();
    let mut body = Vec::new();
    ChunkedReader::new(data, enc)
        .read_to_end(&mut body)
        .unwrap();
    (req, body)
}

fn decode(verified: &Verified, body: &[u8]) -> Result<Vec<u8>, ChunkVerifyError> {
    let mut v = verified.chunked_body().expect("a streaming payload");
    let mut out = Vec::new();
    v.push(body, &mut out)?;
    v.finish()?;
    Ok(out)
}

#[test]
fn sigv4a_streaming_uploads_verify_through_the_verifier() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let plain = ChunkedSettings::new(StreamingMode::Signed)
        .sigv4a()
        .unwrap();
    let trailer = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .with_checksum(ChecksumAlgorithm::Crc32c)
        .unwrap()
        .sigv4a()
        .unwrap();
    for settings in [plain, trailer] {
        let (req, body) = upload(settings, &data);
        let verified = verify(&req).unwrap();
        assert_eq!(verified.region_set(), Some("*"));
        assert_eq!(
            verified.payload(),
            VerifiedPayload::Streaming(settings.mode())
        );
        assert_eq!(decode(&verified, &body).unwrap(), data, "{settings:?}");

        // One data byte changed in transit: refused at its chunk.
        let mut tampered = body.clone();
        let at = tampered.len() / 3;
        tampered[at] ^= 1;
        assert!(
            matches!(
                decode(&verified, &tampered),
                Err(ChunkVerifyError::ChunkSignatureMismatch { .. })
            ),
            "{settings:?}"
        );
    }
}

#[test]
fn a_sigv4a_trailer_is_checked() {
    let data = vec![b'z'; 20_000];
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .with_checksum(ChecksumAlgorithm::Crc32)
        .unwrap()
        .sigv4a()
        .unwrap();
    let (req, body) = upload(settings, &data);
    let verified = verify(&req).unwrap();
    // The trailer value changed: its ECDSA signature no longer verifies.
    let text = String::from_utf8_lossy(&body).into_owned();
    let at = text.find("x-amz-checksum-crc32:").unwrap() + "x-amz-checksum-crc32:".len();
    let mut tampered = body.clone();
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        decode(&verified, &tampered),
        Err(ChunkVerifyError::TrailerSignatureMismatch)
    );
}

#[test]
fn a_streaming_marker_of_the_other_algorithm_is_refused() {
    // SigV4a with SigV4's marker: the chunks would carry HMAC signatures the verifier
    // cannot chain from an ECDSA seed.
    let signer = SigV4aSigner::new("*", "s3").unwrap();
    let mut req = http::Request::put("https://bucket.s3.amazonaws.com/key")
        .header("x-amz-decoded-content-length", "5")
        .body(())
        .unwrap();
    signer
        .sign_http_request_with_payload(&mut req, Payload::StreamingSigned, &creds(), now())
        .unwrap();
    let err = verify(&req).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidRequest(ref m) if m.contains("other signing algorithm")),
        "{err:?}"
    );

    // SigV4 with SigV4a's marker.
    let signer = sigv4::Signer::new("us-east-1", "s3").unwrap();
    let mut req = http::Request::put("https://bucket.s3.amazonaws.com/key")
        .header("x-amz-decoded-content-length", "5")
        .body(())
        .unwrap();
    signer
        .sign_http_request_with_payload(
            &mut req,
            Payload::Precomputed(chunked::STREAMING_ECDSA_PAYLOAD),
            &creds(),
            now(),
        )
        .unwrap();
    let err = verify(&req).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidRequest(ref m) if m.contains("other signing algorithm")),
        "{err:?}"
    );
}
