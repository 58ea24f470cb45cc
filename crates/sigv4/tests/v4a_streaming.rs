//! SigV4a streaming (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]): against the
//! published AWS format and test vectors, and signer -> verifier round trips.
//!
//! The published vectors are those of awslabs/aws-c-auth's `sigv4a_chunked_signing_test`
//! and `sigv4a_trailing_headers_signing_test` (tests/sigv4_signing_tests.c): the S3
//! chunked-upload example (AKIAIOSFODNN7EXAMPLE, 2013-05-24, a 65,536 + 1,024 byte body of
//! 'a'), its expected canonical requests, the P-256 public key of those credentials, the
//! expected chunk and trailer strings to sign around the (randomized) previous signature,
//! and the chunk format: signatures right-padded with '*' to 144 characters.
#![cfg(all(feature = "sigv4a", feature = "http"))]

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use sigv4::chunked::{
    self, trim_padding, ChecksumAlgorithm, ChunkEncoder, ChunkSigner, ChunkedError, ChunkedReader,
    ChunkedSettings, SigV4aChunkSigner, StreamingMode, ECDSA_SIGNATURE_FIELD_LEN,
};
use sigv4::sigv4a::{PublicKey, SigV4aKey, SigV4aSigner};
use sigv4::verify::{ChunkVerifyError, ChunkedBodyVerifier};
use sigv4::{AmzDate, Credentials, Payload, SignableRequest, Signer, SigningKey, SigningSettings};

// --- published by aws-c-auth (tests/sigv4_signing_tests.c) ---
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const PUB_X: &str = "18b7d04643359f6ec270dcbab8dce6d169d66ddc9778c75cfb08dfdb701637ab";
const PUB_Y: &str = "fa36b35e4fe67e3112261d2e17a956ef85b06e44712d2850bcd3c2161e9993f2";
const EXPECTED_CREQ: &str = "PUT\n/examplebucket/chunkObject.txt\n\ncontent-encoding:aws-chunked\ncontent-length:66824\nhost:s3.amazonaws.com\nx-amz-content-sha256:STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD\nx-amz-date:20130524T000000Z\nx-amz-decoded-content-length:66560\nx-amz-region-set:us-east-1\nx-amz-storage-class:REDUCED_REDUNDANCY\n\ncontent-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-region-set;x-amz-storage-class\nSTREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
const EXPECTED_TRAILER_CREQ: &str = "PUT\n/examplebucket/chunkObject.txt\n\ncontent-encoding:aws-chunked\ncontent-length:66824\nhost:s3.amazonaws.com\nx-amz-content-sha256:STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER\nx-amz-date:20130524T000000Z\nx-amz-decoded-content-length:66560\nx-amz-region-set:us-east-1\nx-amz-storage-class:REDUCED_REDUNDANCY\nx-amz-trailer:first,second,third\n\ncontent-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-region-set;x-amz-storage-class;x-amz-trailer\nSTREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER";
const CHUNK_STS_PRE: &str =
    "AWS4-ECDSA-P256-SHA256-PAYLOAD\n20130524T000000Z\n20130524/s3/aws4_request\n";
const CHUNK_STS_POST: [&str; 3] = [
    "\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nbf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a",
    "\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n2edc986847e209b4016e141a6dc8716d3207350f416969382d431539bf292e4a",
    "\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
];
const TRAILER_STS_PRE: &str =
    "AWS4-ECDSA-P256-SHA256-TRAILER\n20130524T000000Z\n20130524/s3/aws4_request\n";
const TRAILER_STS_POST: &str = "\n83d8f190334fb741bc8daf73c891689d320bd8017756bc730c540021ed48001f";
const TIME: u64 = 1_369_353_600; // 2013-05-24T00:00:00Z

fn creds() -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET_KEY, None, None)
}

fn key() -> Arc<SigV4aKey> {
    Arc::new(SigV4aKey::derive(ACCESS_KEY, SECRET_KEY).unwrap())
}

fn time() -> AmzDate {
    AmzDate::from_unix_seconds(TIME).unwrap()
}

fn published_key() -> PublicKey {
    PublicKey::from_hex_coordinates(PUB_X, PUB_Y).unwrap()
}

/// Signs the published example request; returns (canonical request, signature).
fn sign_example(marker: &str, trailer: bool) -> (String, String, String) {
    let signer = SigV4aSigner::new("us-east-1", "s3")
        .unwrap()
        .with_settings(SigningSettings::s3());
    let mut headers = vec![
        ("content-encoding", "aws-chunked"),
        ("content-length", "66824"),
        ("x-amz-decoded-content-length", "66560"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
    ];
    if trailer {
        headers.push(("x-amz-trailer", "first,second,third"));
    }
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let req = SignableRequest::new(
        "PUT",
        "https://s3.amazonaws.com/examplebucket/chunkObject.txt",
        headers,
        Payload::Precomputed(marker),
    );
    let out = signer
        .sign(&req, &creds(), UNIX_EPOCH + Duration::from_secs(TIME))
        .unwrap();
    (
        out.canonical_request().to_owned(),
        out.string_to_sign().to_owned(),
        out.signature().to_owned(),
    )
}

#[test]
fn published_canonical_requests_key_and_chunk_strings_to_sign() {
    // Our key for these credentials is the published one.
    assert_eq!(
        key().public_key().coordinates(),
        published_key().coordinates()
    );
    let pubkey = published_key();
    for (marker, trailer, creq) in [
        (chunked::STREAMING_ECDSA_PAYLOAD, false, EXPECTED_CREQ),
        (
            chunked::STREAMING_ECDSA_PAYLOAD_TRAILER,
            true,
            EXPECTED_TRAILER_CREQ,
        ),
    ] {
        let (got_creq, sts, seed) = sign_example(marker, trailer);
        assert_eq!(got_creq, creq);
        assert!(pubkey.verify_hex(sts.as_bytes(), &seed));

        let mut signer = SigV4aChunkSigner::new(key(), time(), "s3", &seed).unwrap();
        let chunks: [Vec<u8>; 3] = [vec![b'a'; 65_536], vec![b'a'; 1024], Vec::new()];
        let mut prev = seed.clone();
        for (chunk, post) in chunks.iter().zip(CHUNK_STS_POST) {
            let expected_sts = format!("{CHUNK_STS_PRE}{prev}{post}");
            let hash: [u8; 32] = Sha256::digest(chunk).into();
            assert_eq!(signer.chunk_string_to_sign(&hash), expected_sts);
            let field = signer.sign_chunk(chunk).to_owned();
            assert_padded_field(&field);
            assert!(pubkey.verify_hex(expected_sts.as_bytes(), trim_padding(&field)));
            prev = trim_padding(&field).to_owned();
        }
        if trailer {
            let canonical = b"first:1st\nsecond:2nd\nthird:3rd\n";
            let expected_sts = format!("{TRAILER_STS_PRE}{prev}{TRAILER_STS_POST}");
            assert_eq!(signer.trailer_string_to_sign(canonical), expected_sts);
            let field = signer.sign_trailer(canonical).to_owned();
            assert_padded_field(&field);
            assert!(pubkey.verify_hex(expected_sts.as_bytes(), trim_padding(&field)));
        }
    }
}

/// 144 characters: lowercase hex of a DER signature (70-72 bytes for P-256), then '*'.
fn assert_padded_field(field: &str) {
    assert_eq!(field.len(), ECDSA_SIGNATURE_FIELD_LEN, "{field}");
    let hex = trim_padding(field);
    assert!(
        (140..=144).contains(&hex.len()) && hex.len().is_multiple_of(2),
        "{field}"
    );
    assert!(hex
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert!(field[hex.len()..].bytes().all(|b| b == b'*'));
    assert!(hex.starts_with("30"), "a DER SEQUENCE: {field}");
}

#[test]
fn the_encoded_body_has_the_published_layout_and_exact_length() {
    let (_, _, seed) = sign_example(chunked::STREAMING_ECDSA_PAYLOAD_TRAILER, true);
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .sigv4a()
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32)
        .unwrap();
    assert_eq!(
        settings.content_sha256(),
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
    );
    let signer = SigV4aChunkSigner::new(key(), time(), "s3", &seed).unwrap();
    let enc = ChunkEncoder::new_v4a(settings, signer)
        .unwrap()
        .with_expected_length(66_560);
    let body = vec![b'a'; 66_560];
    let mut encoded = Vec::new();
    ChunkedReader::new(&body[..], enc)
        .read_to_end(&mut encoded)
        .unwrap();
    assert_eq!(encoded.len() as u64, settings.encoded_length(66_560));
    // The v4 layout with 144-character signature fields: 66824 + 4 signatures x 80
    // + the crc32 trailer line.
    let v4 = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .with_checksum(ChecksumAlgorithm::Crc32)
        .unwrap();
    assert_eq!(
        settings.encoded_length(66_560),
        v4.encoded_length(66_560) + 4 * 80
    );

    // Walk the body by hand: 10000;chunk-signature=<144>\r\n<data>\r\n, 400;..., 0;...,
    // the trailer, x-amz-trailer-signature:<144>, an empty line.
    let text = &encoded[..];
    let mut pos = 0;
    let mut line = || {
        let end = pos + text[pos..].windows(2).position(|w| w == b"\r\n").unwrap();
        let l = std::str::from_utf8(&text[pos..end]).unwrap().to_owned();
        pos = end + 2;
        l
    };
    let mut sizes = Vec::new();
    loop {
        let header = line();
        let (size, field) = header.split_once(";chunk-signature=").unwrap();
        assert_padded_field(field);
        let size = usize::from_str_radix(size, 16).unwrap();
        sizes.push(size);
        if size == 0 {
            break;
        }
        // Skip the data and its CRLF.
        let data = line();
        assert_eq!(data.len(), size);
    }
    assert_eq!(sizes, [65_536, 1024, 0]);
    let crc = line();
    assert!(crc.starts_with("x-amz-checksum-crc32:"), "{crc}");
    let sig = line();
    let field = sig.strip_prefix("x-amz-trailer-signature:").unwrap();
    assert_padded_field(field);
    assert_eq!(line(), "");
    assert_eq!(pos, encoded.len());
}

fn encode(settings: ChunkedSettings, seed: &str, body: &[u8]) -> Vec<u8> {
    let signer = SigV4aChunkSigner::new(key(), time(), "s3", seed).unwrap();
    let mut enc = ChunkEncoder::new_v4a(settings, signer)
        .unwrap()
        .with_expected_length(body.len() as u64);
    let mut out = Vec::new();
    for piece in body.chunks(5000) {
        enc.push(piece, &mut out).unwrap();
    }
    enc.finish(&mut out).unwrap();
    out
}

fn verifier(mode: StreamingMode, seed: &str, len: u64) -> ChunkedBodyVerifier {
    ChunkedBodyVerifier::sigv4a(mode, published_key(), time(), "s3", seed)
        .unwrap()
        .with_expected_length(len)
}

fn verify(
    mut v: ChunkedBodyVerifier,
    encoded: &[u8],
    piece: usize,
) -> Result<Vec<u8>, ChunkVerifyError> {
    let mut out = Vec::new();
    for p in encoded.chunks(piece) {
        v.push(p, &mut out)?;
    }
    v.finish()?;
    Ok(out)
}

#[test]
fn signer_to_verifier_round_trips() {
    let seed = key().sign_hex(b"the request");
    for mode in [StreamingMode::Signed, StreamingMode::SignedWithTrailer] {
        for checksum in [
            None,
            Some(ChecksumAlgorithm::Crc32c),
            Some(ChecksumAlgorithm::Sha256),
        ] {
            if checksum.is_some() && mode == StreamingMode::Signed {
                continue; // that mode has no trailer (refused by with_checksum, tested below)
            }
            for len in [0usize, 1, 8191, 8192, 20_000] {
                let body: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
                let mut settings = ChunkedSettings::new(mode)
                    .sigv4a()
                    .unwrap()
                    .with_chunk_size(8192)
                    .unwrap();
                if let Some(c) = checksum {
                    settings = settings.with_checksum(c).unwrap();
                }
                let encoded = encode(settings, &seed, &body);
                assert_eq!(encoded.len() as u64, settings.encoded_length(len as u64));
                for piece in [1, 97, encoded.len().max(1)] {
                    let mut v = verifier(mode, &seed, len as u64);
                    if let Some(c) = checksum {
                        v = v.with_checksum(c);
                    }
                    assert_eq!(
                        verify(v, &encoded, piece).as_deref(),
                        Ok(&body[..]),
                        "{mode:?} {checksum:?} len {len} piece {piece}"
                    );
                }
            }
        }
    }
    assert_eq!(
        ChunkedSettings::new(StreamingMode::Signed)
            .sigv4a()
            .unwrap()
            .with_checksum(ChecksumAlgorithm::Crc32),
        Err(ChunkedError::TrailerNotSupported)
    );
}

#[test]
fn tampering_is_refused() {
    let seed = key().sign_hex(b"the request");
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .sigv4a()
        .unwrap()
        .with_chunk_size(8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32)
        .unwrap();
    let body = vec![b'z'; 20_000];
    let encoded = encode(settings, &seed, &body);
    let mode = StreamingMode::SignedWithTrailer;
    let v = || verifier(mode, &seed, 20_000).with_checksum(ChecksumAlgorithm::Crc32);

    // A data byte of the second chunk changed.
    let header_len = "2000;chunk-signature=".len() + ECDSA_SIGNATURE_FIELD_LEN + 2;
    let second_data = header_len + 8192 + 2 + header_len;
    assert_eq!(
        &encoded[second_data - header_len..second_data - header_len + 5],
        b"2000;"
    );
    let mut bad2 = encoded.clone();
    bad2[second_data + 10] ^= 1;
    assert_eq!(
        verify(v(), &bad2, 4096),
        Err(ChunkVerifyError::ChunkSignatureMismatch { index: 1 })
    );
    // Another request's seed.
    let other = key().sign_hex(b"another request");
    assert_eq!(
        verify(verifier(mode, &other, 20_000), &encoded, 4096),
        Err(ChunkVerifyError::ChunkSignatureMismatch { index: 0 })
    );
    // Another key.
    let stranger = SigV4aKey::derive("AKIDOTHER", "other secret").unwrap();
    let v_other =
        ChunkedBodyVerifier::sigv4a(mode, stranger.public_key(), time(), "s3", &seed).unwrap();
    assert_eq!(
        verify(v_other, &encoded, 4096),
        Err(ChunkVerifyError::ChunkSignatureMismatch { index: 0 })
    );
    // The trailer value changed (the checksum line): the trailer signature fails first.
    let text = String::from_utf8_lossy(&encoded).into_owned();
    let crc_at = text.find("x-amz-checksum-crc32:").unwrap() + "x-amz-checksum-crc32:".len();
    let mut bad_trailer = encoded.clone();
    bad_trailer[crc_at] = if bad_trailer[crc_at] == b'A' {
        b'B'
    } else {
        b'A'
    };
    assert_eq!(
        verify(v(), &bad_trailer, 4096),
        Err(ChunkVerifyError::TrailerSignatureMismatch)
    );
    // Truncated before the end.
    assert_eq!(
        verify(v(), &encoded[..encoded.len() - 2], 4096),
        Err(ChunkVerifyError::Incomplete)
    );
    // Declared length differs.
    assert!(matches!(
        verify(
            verifier(mode, &seed, 19_999).with_checksum(ChecksumAlgorithm::Crc32),
            &encoded,
            4096
        ),
        Err(ChunkVerifyError::LengthMismatch {
            expected: 19_999,
            ..
        })
    ));
    // A 64-character (SigV4-width) field is malformed here.
    let v4_style = format!("{:x}\r\n", 0).into_bytes();
    let mut body64 = b"0;chunk-signature=".to_vec();
    body64.extend_from_slice(&[b'a'; 64]);
    body64.extend_from_slice(b"\r\n\r\n");
    let err = verify(verifier(StreamingMode::Signed, &seed, 0), &body64, 100).unwrap_err();
    assert!(
        matches!(err, ChunkVerifyError::Malformed(ref m) if m.contains("144")),
        "{err}"
    );
    assert_eq!(err.code(), "InvalidRequest");
    // No signature at all.
    let err = verify(verifier(StreamingMode::Signed, &seed, 0), &v4_style, 100).unwrap_err();
    assert!(matches!(err, ChunkVerifyError::Malformed(_)), "{err}");
    // Push after failure keeps failing.
    let mut v = verifier(StreamingMode::Signed, &seed, 0);
    let mut out = Vec::new();
    assert!(v.push(&v4_style, &mut out).is_err());
    assert!(v.push(b"x", &mut out).is_err());
}

#[test]
fn sign_http_request_v4a_end_to_end() {
    let signer = SigV4aSigner::new("*", "s3").unwrap();
    for mode in [StreamingMode::Signed, StreamingMode::SignedWithTrailer] {
        let mut settings = ChunkedSettings::new(mode).sigv4a().unwrap();
        if mode.has_trailer() {
            settings = settings
                .with_checksum(ChecksumAlgorithm::Crc64Nvme)
                .unwrap();
        }
        let mut req = http::Request::put("https://bucket.s3.amazonaws.com/key")
            .header("content-encoding", "gzip")
            .body(())
            .unwrap();
        let t = UNIX_EPOCH + Duration::from_secs(TIME);
        let enc =
            chunked::sign_http_request_sigv4a(&signer, &mut req, settings, 70_000, &creds(), t)
                .unwrap();
        let h = req.headers();
        assert_eq!(h["content-encoding"], "aws-chunked,gzip");
        assert_eq!(h["x-amz-content-sha256"], settings.content_sha256());
        assert_eq!(h["x-amz-region-set"], "*");
        let auth = h["authorization"].to_str().unwrap();
        assert!(auth.starts_with(
            "AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/s3/aws4_request"
        ));
        let seed = auth.rsplit_once("Signature=").unwrap().1.to_owned();
        let body = vec![7u8; 70_000];
        let mut encoded = Vec::new();
        ChunkedReader::new(&body[..], enc)
            .read_to_end(&mut encoded)
            .unwrap();
        assert_eq!(
            h["content-length"].to_str().unwrap(),
            encoded.len().to_string()
        );
        let mut v = verifier(mode, &seed, 70_000);
        if mode.has_trailer() {
            v = v.with_checksum(ChecksumAlgorithm::Crc64Nvme);
        }
        assert_eq!(verify(v, &encoded, 1000).unwrap(), body);
    }
}

#[test]
fn mixing_v4_and_v4a_is_a_typed_error() {
    let v4a = ChunkedSettings::new(StreamingMode::Signed)
        .sigv4a()
        .unwrap();
    let v4 = ChunkedSettings::new(StreamingMode::Signed);
    let v4_key = SigningKey::derive(SECRET_KEY, "20130524", "us-east-1", "s3").unwrap();
    let chain = ChunkSigner::new(v4_key, time(), &"a".repeat(64)).unwrap();
    assert!(matches!(
        ChunkEncoder::new(v4a, Some(chain)),
        Err(ChunkedError::SignerMismatch(_))
    ));
    let v4a_chain = SigV4aChunkSigner::new(key(), time(), "s3", &key().sign_hex(b"x")).unwrap();
    assert!(matches!(
        ChunkEncoder::new_v4a(v4, v4a_chain),
        Err(ChunkedError::SignerMismatch(_))
    ));
    assert!(matches!(
        ChunkedSettings::new(StreamingMode::UnsignedWithTrailer).sigv4a(),
        Err(ChunkedError::SignerMismatch(_))
    ));
    let mut req = http::Request::put("https://s3.amazonaws.com/b/k")
        .body(())
        .unwrap();
    let t = UNIX_EPOCH + Duration::from_secs(TIME);
    assert!(matches!(
        chunked::sign_http_request(
            &Signer::new("us-east-1", "s3").unwrap(),
            &mut req,
            v4a,
            1,
            &creds(),
            t
        ),
        Err(ChunkedError::SignerMismatch(_))
    ));
    assert!(matches!(
        chunked::sign_http_request_sigv4a(
            &SigV4aSigner::new("*", "s3").unwrap(),
            &mut req,
            v4,
            1,
            &creds(),
            t
        ),
        Err(ChunkedError::SignerMismatch(_))
    ));
    for bad_seed in ["", "zz", &"a".repeat(146), "ABCDEF0123456789"] {
        assert_eq!(
            SigV4aChunkSigner::new(key(), time(), "s3", bad_seed).unwrap_err(),
            ChunkedError::InvalidSeedSignature,
            "{bad_seed}"
        );
    }
    // Debug never shows the private key.
    let shown = format!(
        "{:?}",
        SigV4aChunkSigner::new(key(), time(), "s3", &key().sign_hex(b"x")).unwrap()
    );
    assert!(shown.contains("20130524/s3/aws4_request") && !shown.contains(SECRET_KEY));
}

#[test]
fn a_chunk_overrunning_the_declared_length_is_refused_before_its_data_is_passed_on() {
    // The fuzz finding: a size digit changed from 1 to 9.
    let seed = key().sign_hex(b"the request");
    let settings = ChunkedSettings::new(StreamingMode::Signed)
        .sigv4a()
        .unwrap();
    let mut encoded = encode(settings, &seed, b"\x00");
    assert_eq!(encoded[0], b'1');
    encoded[0] = b'9';
    let mut v = verifier(StreamingMode::Signed, &seed, 1);
    let mut out = Vec::new();
    assert_eq!(
        v.push(&encoded, &mut out),
        Err(ChunkVerifyError::LengthMismatch {
            expected: 1,
            actual: 9
        })
    );
    assert!(out.is_empty(), "nothing of the refused chunk was passed on");
}
