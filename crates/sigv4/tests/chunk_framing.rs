//! One framing machine, two signature checks: every malformed aws-chunked framing in one
//! table is run against a SigV4 (HMAC-SHA256) and a SigV4a (ECDSA P-256) body verifier,
//! pushed whole and one byte at a time, and must get the same verdict (the same
//! `ChunkVerifyError` kind and AWS code) and stop having passed on the same decoded bytes.
//!
//! The bodies are built with the real chunk signers, so every signature the case does not
//! break is valid and the verdict is the framing's.

#![cfg(all(feature = "sigv4a", feature = "checksums"))]

use std::sync::Arc;

use sigv4::chunked::{ChecksumAlgorithm, ChunkSigner, SigV4aChunkSigner, StreamingMode};
use sigv4::sigv4a::SigV4aKey;
use sigv4::verify::{ChunkVerifyError, ChunkedBodyVerifier};
use sigv4::{AmzDate, SigningKey};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn time() -> AmzDate {
    AmzDate::parse("20240102T030405Z").unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    V4,
    V4a,
}

/// A signature chain on the client side, and what the server needs to check it.
enum Chain {
    V4 {
        signer: ChunkSigner,
        key: SigningKey,
        seed: String,
    },
    V4a {
        signer: SigV4aChunkSigner,
        key: Arc<SigV4aKey>,
        seed: String,
    },
}

impl Chain {
    fn new(algorithm: Algorithm) -> Chain {
        match algorithm {
            Algorithm::V4 => {
                let key = SigningKey::derive(SECRET, "20240102", "us-east-1", "s3").unwrap();
                let seed = key.sign_hex("the request's string to sign");
                let signer = ChunkSigner::new(key.clone(), time(), &seed).unwrap();
                Chain::V4 { signer, key, seed }
            }
            Algorithm::V4a => {
                let key = Arc::new(SigV4aKey::derive("AKIDEXAMPLE", SECRET).unwrap());
                let seed = key.sign_hex(b"the request's string to sign");
                let signer = SigV4aChunkSigner::new(key.clone(), time(), "s3", &seed).unwrap();
                Chain::V4a { signer, key, seed }
            }
        }
    }

    fn chunk(&mut self, data: &[u8]) -> String {
        match self {
            Chain::V4 { signer, .. } => signer.sign_chunk(data).to_owned(),
            Chain::V4a { signer, .. } => signer.sign_chunk(data).to_owned(),
        }
    }

    fn trailer(&mut self, canonical: &[u8]) -> String {
        match self {
            Chain::V4 { signer, .. } => signer.sign_trailer(canonical).to_owned(),
            Chain::V4a { signer, .. } => signer.sign_trailer(canonical).to_owned(),
        }
    }

    /// A signature of the right shape that signs something else.
    fn wrong(&self) -> String {
        match self {
            Chain::V4 { key, seed, .. } => ChunkSigner::new(key.clone(), time(), seed)
                .unwrap()
                .sign_chunk(b"something else")
                .to_owned(),
            Chain::V4a { key, seed, .. } => SigV4aChunkSigner::new(key.clone(), time(), "s3", seed)
                .unwrap()
                .sign_chunk(b"something else")
                .to_owned(),
        }
    }

    fn verifier(&self, mode: StreamingMode) -> ChunkedBodyVerifier {
        match self {
            Chain::V4 { key, seed, .. } => {
                ChunkedBodyVerifier::sigv4(mode, key.clone(), time(), seed).unwrap()
            }
            Chain::V4a { key, seed, .. } => {
                ChunkedBodyVerifier::sigv4a(mode, key.public_key(), time(), "s3", seed).unwrap()
            }
        }
    }
}

/// An aws-chunked body being written, signed by a real chain.
struct Body {
    chain: Chain,
    bytes: Vec<u8>,
}

impl Body {
    fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(b);
        self
    }

    /// A chunk with a valid signature.
    fn chunk(&mut self, data: &[u8]) -> &mut Self {
        let sig = self.chain.chunk(data);
        self.header(data.len(), &sig).raw(data).raw(b"\r\n")
    }

    fn header(&mut self, size: usize, sig: &str) -> &mut Self {
        let line = format!("{size:x};chunk-signature={sig}\r\n");
        self.raw(line.as_bytes())
    }

    /// The final chunk with a valid signature.
    fn last(&mut self) -> &mut Self {
        let sig = self.chain.chunk(b"");
        self.header(0, &sig)
    }

    /// Trailer lines, then a valid trailer signature over them.
    fn signed_trailers(&mut self, trailers: &[(&str, &str)]) -> &mut Self {
        let mut canonical = Vec::new();
        for (n, v) in trailers {
            canonical.extend_from_slice(format!("{n}:{v}\n").as_bytes());
            self.raw(format!("{n}:{v}\r\n").as_bytes());
        }
        let sig = self.chain.trailer(&canonical);
        self.raw(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes())
    }
}

/// What a body was judged: the error kind (Malformed's message differs by algorithm: a
/// signature has 64 or 144 characters), with the fields that say where.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Ok,
    Malformed,
    ChunkSignature(u64),
    TrailerSignature,
    Length(u64, u64),
    Checksum,
    Incomplete,
}

fn verdict(r: Result<(), ChunkVerifyError>) -> Verdict {
    match r {
        Ok(()) => Verdict::Ok,
        Err(ChunkVerifyError::Malformed(_)) => Verdict::Malformed,
        Err(ChunkVerifyError::ChunkSignatureMismatch { index }) => Verdict::ChunkSignature(index),
        Err(ChunkVerifyError::TrailerSignatureMismatch) => Verdict::TrailerSignature,
        Err(ChunkVerifyError::LengthMismatch { expected, actual }) => {
            Verdict::Length(expected, actual)
        }
        Err(ChunkVerifyError::ChecksumMismatch { .. }) => Verdict::Checksum,
        Err(ChunkVerifyError::Incomplete) => Verdict::Incomplete,
        Err(e) => panic!("an error kind this table does not know: {e:?}"),
    }
}

/// How the verifier is set up for a case.
#[derive(Clone, Copy)]
struct Setup {
    mode: StreamingMode,
    expected_len: Option<u64>,
    checksum: bool,
    max_chunk: Option<u64>,
}

const SIGNED: Setup = Setup {
    mode: StreamingMode::Signed,
    expected_len: None,
    checksum: false,
    max_chunk: None,
};
const TRAILER: Setup = Setup {
    mode: StreamingMode::SignedWithTrailer,
    expected_len: None,
    checksum: true,
    max_chunk: None,
};

/// The CRC32 trailer value of `data`.
fn crc32(data: &[u8]) -> String {
    let mut c = ChecksumAlgorithm::Crc32.checksum();
    c.update(data);
    c.finalize()
}

type Build = fn(&mut Body);

type Case = (&'static str, Setup, Build, Verdict);

fn case(name: &'static str, setup: Setup, build: Build, want: Verdict) -> Case {
    (name, setup, build, want)
}

/// `(name, setup, body, verdict)`.
fn cases() -> Vec<Case> {
    vec![
        case(
            "one chunk",
            SIGNED,
            |b| {
                b.chunk(b"hello").last().raw(b"\r\n");
            },
            Verdict::Ok,
        ),
        case(
            "two chunks, the short one last",
            SIGNED,
            |b| {
                b.chunk(&[b'a'; 8192]).chunk(b"hello").last().raw(b"\r\n");
            },
            Verdict::Ok,
        ),
        case(
            "trailer with checksum",
            TRAILER,
            |b| {
                let crc = crc32(b"hello");
                b.chunk(b"hello")
                    .last()
                    .signed_trailers(&[("x-amz-checksum-crc32", &crc)])
                    .raw(b"\r\n");
            },
            Verdict::Ok,
        ),
        case(
            "a chunk without chunk-signature",
            SIGNED,
            |b| {
                b.raw(b"5\r\nhello\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "another chunk extension",
            SIGNED,
            |b| {
                let sig = b.chain.chunk(b"hello");
                b.raw(format!("5;chunk-sig={sig}\r\nhello\r\n").as_bytes());
            },
            Verdict::Malformed,
        ),
        case(
            "a signature of the wrong length",
            SIGNED,
            |b| {
                b.raw(b"5;chunk-signature=abcd\r\nhello\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "an uppercase signature",
            SIGNED,
            |b| {
                let sig = b.chain.chunk(b"hello").to_ascii_uppercase();
                b.header(5, &sig).raw(b"hello\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "a size that is not hex",
            SIGNED,
            |b| {
                let sig = b.chain.chunk(b"hello");
                b.raw(format!("zz;chunk-signature={sig}\r\nhello\r\n").as_bytes());
            },
            Verdict::Malformed,
        ),
        case(
            "a size of 16 hex digits",
            SIGNED,
            |b| {
                let sig = b.chain.chunk(b"hello");
                b.raw(format!("0000000000000005;chunk-signature={sig}\r\nhello\r\n").as_bytes());
            },
            Verdict::Malformed,
        ),
        case(
            "an empty size",
            SIGNED,
            |b| {
                let sig = b.chain.chunk(b"hello");
                b.raw(format!(";chunk-signature={sig}\r\nhello\r\n").as_bytes());
            },
            Verdict::Malformed,
        ),
        case(
            "a header ending in LF only",
            SIGNED,
            |b| {
                let sig = b.chain.chunk(b"hello");
                b.raw(format!("5;chunk-signature={sig}\nhello\r\n").as_bytes());
            },
            Verdict::Malformed,
        ),
        case(
            "data not followed by CRLF",
            SIGNED,
            |b| {
                let sig = b.chain.chunk(b"hello");
                b.header(5, &sig).raw(b"helloXY\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "a header line over 4 KiB",
            SIGNED,
            |b| {
                b.raw(&[b'0'; 5000]);
            },
            Verdict::Malformed,
        ),
        case(
            "a short chunk that is not the last",
            SIGNED,
            |b| {
                b.chunk(b"hello").chunk(b"world");
            },
            Verdict::Malformed,
        ),
        case(
            "a chunk over the size bound, refused at its header",
            Setup {
                max_chunk: Some(8192),
                ..SIGNED
            },
            |b| {
                b.chunk(&[b'a'; 8193]);
            },
            Verdict::Malformed,
        ),
        case(
            "a chunk past the declared length, refused at its header",
            Setup {
                expected_len: Some(3),
                ..SIGNED
            },
            |b| {
                b.chunk(b"hello");
            },
            Verdict::Length(3, 5),
        ),
        case(
            "a body shorter than declared",
            Setup {
                expected_len: Some(10),
                ..SIGNED
            },
            |b| {
                b.chunk(b"hello").last().raw(b"\r\n");
            },
            Verdict::Length(10, 5),
        ),
        case(
            "a wrong chunk signature",
            SIGNED,
            |b| {
                let sig = b.chain.wrong();
                b.header(5, &sig).raw(b"hello\r\n");
            },
            Verdict::ChunkSignature(0),
        ),
        case(
            "a wrong final-chunk signature",
            SIGNED,
            |b| {
                b.chunk(b"hello");
                let sig = b.chain.wrong();
                b.header(0, &sig).raw(b"\r\n");
            },
            Verdict::ChunkSignature(1),
        ),
        case(
            "chunks out of order",
            SIGNED,
            |b| {
                let first = b.chain.chunk(&[b'a'; 8192]);
                let second = b.chain.chunk(b"hello");
                b.header(5, &second)
                    .raw(b"hello\r\n")
                    .header(8192, &first)
                    .raw(&[b'a'; 8192])
                    .raw(b"\r\n");
            },
            Verdict::ChunkSignature(0),
        ),
        case(
            "data after the end",
            SIGNED,
            |b| {
                b.chunk(b"hello").last().raw(b"\r\nmore");
            },
            Verdict::Malformed,
        ),
        case(
            "no final chunk",
            SIGNED,
            |b| {
                b.chunk(b"hello");
            },
            Verdict::Incomplete,
        ),
        case(
            "no end of the trailer section",
            SIGNED,
            |b| {
                b.chunk(b"hello").last();
            },
            Verdict::Incomplete,
        ),
        case(
            "a trailer where the mode has none",
            SIGNED,
            |b| {
                b.chunk(b"hello")
                    .last()
                    .raw(b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "a trailer without a colon",
            TRAILER,
            |b| {
                b.chunk(b"hello")
                    .last()
                    .raw(b"x-amz-checksum-crc32\r\n\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "no trailer signature",
            TRAILER,
            |b| {
                let crc = crc32(b"hello");
                b.chunk(b"hello")
                    .last()
                    .raw(format!("x-amz-checksum-crc32:{crc}\r\n\r\n").as_bytes());
            },
            Verdict::Malformed,
        ),
        case(
            "a trailer after the trailer signature",
            TRAILER,
            |b| {
                let crc = crc32(b"hello");
                b.chunk(b"hello")
                    .last()
                    .signed_trailers(&[("x-amz-checksum-crc32", &crc)])
                    .raw(b"x-amz-meta-a:b\r\n\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "two trailer signatures",
            TRAILER,
            |b| {
                let crc = crc32(b"hello");
                b.chunk(b"hello")
                    .last()
                    .signed_trailers(&[("x-amz-checksum-crc32", &crc)]);
                let sig = b.chain.wrong();
                b.raw(format!("x-amz-trailer-signature:{sig}\r\n\r\n").as_bytes());
            },
            Verdict::Malformed,
        ),
        case(
            "a wrong trailer signature",
            TRAILER,
            |b| {
                let crc = crc32(b"hello");
                b.chunk(b"hello").last();
                let sig = b.chain.wrong();
                b.raw(
                    format!("x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{sig}\r\n\r\n")
                        .as_bytes(),
                );
            },
            Verdict::TrailerSignature,
        ),
        case(
            "a checksum that does not match, signed",
            TRAILER,
            |b| {
                let crc = crc32(b"other");
                b.chunk(b"hello")
                    .last()
                    .signed_trailers(&[("x-amz-checksum-crc32", &crc)])
                    .raw(b"\r\n");
            },
            Verdict::Checksum,
        ),
        case(
            "the declared checksum trailer missing",
            TRAILER,
            |b| {
                b.chunk(b"hello").last().signed_trailers(&[]).raw(b"\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "an undeclared trailer, signed",
            TRAILER,
            |b| {
                let crc = crc32(b"hello");
                b.chunk(b"hello")
                    .last()
                    .signed_trailers(&[("x-amz-checksum-crc32", &crc), ("x-amz-meta-a", "b")])
                    .raw(b"\r\n");
            },
            Verdict::Malformed,
        ),
        case(
            "nine trailers",
            TRAILER,
            |b| {
                b.chunk(b"hello").last();
                for i in 0..9 {
                    b.raw(format!("x-amz-meta-{i}:v\r\n").as_bytes());
                }
                b.raw(b"\r\n");
            },
            Verdict::Malformed,
        ),
    ]
}

/// Runs one case: its result, and how many decoded bytes were passed on and verified
/// when it was reached.
fn judge(
    algorithm: Algorithm,
    setup: Setup,
    build: Build,
    bytewise: bool,
) -> (Result<(), ChunkVerifyError>, usize, u64) {
    let mut body = Body {
        chain: Chain::new(algorithm),
        bytes: Vec::new(),
    };
    build(&mut body);
    let mut v = body.chain.verifier(setup.mode);
    if let Some(n) = setup.expected_len {
        v = v.with_expected_length(n);
    }
    if setup.checksum {
        v = v.with_checksum(ChecksumAlgorithm::Crc32);
    }
    if let Some(max) = setup.max_chunk {
        v = v.with_max_chunk_size(max);
    }
    let mut out = Vec::new();
    let pieces: Vec<&[u8]> = if bytewise {
        body.bytes.chunks(1).collect()
    } else {
        vec![&body.bytes]
    };
    let mut r = Ok(());
    for p in pieces {
        r = v.push(p, &mut out);
        if r.is_err() {
            break;
        }
    }
    if r.is_ok() {
        r = v.finish();
    }
    (r, out.len(), v.verified_len())
}

/// [`judge`], with the result as a [`Verdict`].
fn run(algorithm: Algorithm, setup: Setup, build: Build, bytewise: bool) -> (Verdict, usize, u64) {
    let (r, passed_on, verified) = judge(algorithm, setup, build, bytewise);
    (verdict(r), passed_on, verified)
}

#[test]
fn sigv4_and_sigv4a_bodies_get_the_same_framing_verdicts() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (name, setup, build, want) in cases {
        for bytewise in [false, true] {
            let v4 = run(Algorithm::V4, setup, build, bytewise);
            let v4a = run(Algorithm::V4a, setup, build, bytewise);
            if v4.0 != want || v4a.0 != want || v4 != v4a {
                failures.push(format!(
                    "{name} (bytewise {bytewise}): want {want:?}, SigV4 {v4:?}, SigV4a {v4a:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_chunk_past_a_bound_is_refused_before_any_of_its_data_is_passed_on() {
    // The drift the two machines had: SigV4a refused a chunk overrunning the declared
    // length at its header, SigV4 only after appending its data to the output.
    for algorithm in [Algorithm::V4, Algorithm::V4a] {
        let (verdict, passed_on, verified) = run(
            algorithm,
            Setup {
                expected_len: Some(3),
                ..SIGNED
            },
            |b| {
                b.chunk(b"hello");
            },
            false,
        );
        assert_eq!(
            (verdict, passed_on, verified),
            (Verdict::Length(3, 5), 0, 0),
            "{algorithm:?}"
        );
        let (verdict, passed_on, _) = run(
            algorithm,
            Setup {
                max_chunk: Some(8192),
                ..SIGNED
            },
            |b| {
                b.chunk(&[b'a'; 8193]);
            },
            false,
        );
        assert_eq!(
            (verdict, passed_on),
            (Verdict::Malformed, 0),
            "{algorithm:?}"
        );
    }
}

#[test]
fn the_same_error_kind_has_the_same_code_for_both_algorithms() {
    let codes = |algorithm| {
        let mut out = Vec::new();
        for (_, setup, build, _) in cases() {
            let r = judge(algorithm, setup, build, false).0;
            out.push(
                r.err()
                    .map(|e| (e.code(), sigv4::Error::from(e).http_status())),
            );
        }
        out
    };
    assert_eq!(codes(Algorithm::V4), codes(Algorithm::V4a));
}

/// The names of the SigV4a chunk verifier before the two machines became one still
/// compile and work (deprecated).
#[test]
#[allow(deprecated)]
fn the_old_sigv4a_verifier_names_still_work() {
    use sigv4::chunked::{
        SigV4aChunkVerifyError, SigV4aChunkedBodyVerifier, V4aChunkVerifyError,
        V4aChunkedBodyVerifier,
    };
    let mut body = Body {
        chain: Chain::new(Algorithm::V4a),
        bytes: Vec::new(),
    };
    let crc = crc32(b"hello");
    body.chunk(b"hello")
        .last()
        .signed_trailers(&[("x-amz-checksum-crc32", &crc)])
        .raw(b"\r\n");
    let Chain::V4a { key, seed, .. } = &body.chain else {
        unreachable!()
    };
    let make = || -> SigV4aChunkedBodyVerifier {
        SigV4aChunkedBodyVerifier::new(
            StreamingMode::SignedWithTrailer,
            key.public_key(),
            time(),
            "s3",
            seed,
        )
        .unwrap()
        .with_expected_length(5)
        .with_checksum(ChecksumAlgorithm::Crc32)
        .with_max_chunk_size(1024)
    };
    let mut v: V4aChunkedBodyVerifier = make();
    let mut out = Vec::new();
    v.push(&body.bytes, &mut out).unwrap();
    v.finish().unwrap();
    assert!(v.is_done());
    assert_eq!((out.as_slice(), v.verified_len()), (&b"hello"[..], 5));
    assert_eq!(v.trailers(), [("x-amz-checksum-crc32".to_owned(), crc)]);

    let mut tampered = body.bytes.clone();
    let at = tampered.windows(5).position(|w| w == b"hello").unwrap();
    tampered[at] = b'j';
    let err: SigV4aChunkVerifyError = make().push(&tampered, &mut Vec::new()).unwrap_err();
    assert!(matches!(
        err,
        V4aChunkVerifyError::ChunkSignatureMismatch { index: 0 }
    ));
    // One error type: the umbrella error calls it a chunk verification error.
    assert!(matches!(
        sigv4::Error::from(err),
        sigv4::Error::ChunkVerify(ChunkVerifyError::ChunkSignatureMismatch { index: 0 })
    ));
}
