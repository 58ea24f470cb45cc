//! A complete aws-chunked upload with ureq from plain synchronous code: a file of any size
//! is streamed to S3 in constant memory, each 64 KiB chunk signed, with a CRC32 checksum of
//! the whole file in a signed trailer that S3 checks.
//!
//! ```text
//! AWS_ACCESS_KEY_ID=.. AWS_SECRET_ACCESS_KEY=.. [AWS_SESSION_TOKEN=..] \
//!   cargo run -p sigv4-rs-http --example ureq_aws_chunked -- \
//!   big.iso https://my-bucket.s3.eu-west-1.amazonaws.com/isos/big.iso
//! ```
//!
//! The service and region are inferred from an AWS host name, or taken from
//! `SIGV4_SERVICE` / `SIGV4_REGION` (for an S3-compatible server at another address).
//! ureq here has no TLS feature; enable `rustls` on ureq in your crate for HTTPS.

use std::error::Error;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use sigv4::chunked::{ChecksumAlgorithm, ChunkedReader, ChunkedSettings, StreamingMode};
use sigv4_credentials::{EnvironmentProvider, ProviderContext};
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::RequestSigner;

type BoxError = Box<dyn Error + Send + Sync>;

/// Uploads the file at `path` to `url` (an S3 object URL) as aws-chunked: signed chunks and
/// a signed CRC32 trailer. Returns the response's status and body.
pub fn upload(
    signer: &BlockingSigner,
    agent: &ureq::Agent,
    path: &Path,
    url: &str,
) -> Result<(u16, String), BoxError> {
    let file = File::open(path)?;
    // The decoded length must be known up front: it is signed, and the encoded
    // content-length is computed from it.
    let len = file.metadata()?.len();
    let settings = ChunkedSettings::new(StreamingMode::SignedWithTrailer)
        .with_checksum(ChecksumAlgorithm::Crc32)?;

    let mut request = http::Request::put(url)
        .header("content-type", "application/octet-stream")
        .body(())?;
    // Sets content-length, x-amz-decoded-content-length, content-encoding and the trailer
    // header, signs them, and returns the encoder that signs each chunk.
    let encoder = signer.sign_aws_chunked(&mut request, settings, len)?;

    // The file is read and encoded chunk by chunk while ureq sends it.
    let mut body = ChunkedReader::new(BufReader::new(file), encoder);
    let (parts, ()) = request.into_parts();
    let request = http::Request::from_parts(parts, ureq::SendBody::from_reader(&mut body));
    let mut response = agent.run(request)?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    Ok((status, text))
}

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(url)) = (args.next(), args.next()) else {
        return Err("usage: ureq_aws_chunked FILE URL".into());
    };
    let mut signer = RequestSigner::new(EnvironmentProvider::new(ProviderContext::default()));
    if let Ok(service) = std::env::var("SIGV4_SERVICE") {
        signer = signer.with_service(service);
    }
    if let Ok(region) = std::env::var("SIGV4_REGION") {
        signer = signer.with_region(region);
    }
    let signer = BlockingSigner::new(signer);
    // ureq would otherwise turn 4xx/5xx into errors and hide S3's error body.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let (status, text) = upload(&signer, &agent, Path::new(&path), &url)?;
    println!("{status}");
    println!("{text}");
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("upload failed with HTTP {status}").into())
    }
}
