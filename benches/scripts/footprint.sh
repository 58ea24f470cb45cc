#!/usr/bin/env bash
# Dependency footprint of a minimal signing program: crates in its tree and stripped
# release binary size, for this crate (core alone, default features) and the peers.
# Each program signs one S3 GET (UNSIGNED-PAYLOAD, header mode) and prints the
# Authorization header. Builds in a scratch directory; the registry cache is used as is.
#
#   bash benches/scripts/footprint.sh            # prints the BENCHMARKS.md table
#
# Environment: FOOTPRINT_TARGET (shared target dir, default target/footprint under the repo),
# FOOTPRINT_PROGRAMS (space-separated subset of the programs, default all four; the peers
# only change when their pinned versions do).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=${FOOTPRINT_TARGET:-$repo/target/footprint}
export CARGO_TERM_COLOR=never

mk() { # name, [dependencies] lines, main.rs
  mkdir -p "$work/$1/src"
  printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n%s\n\n[workspace]\n' "$1" "$2" >"$work/$1/Cargo.toml"
  printf '%s\n' "$3" >"$work/$1/src/main.rs"
}

common_core='use std::time::{Duration, UNIX_EPOCH};
fn time() -> std::time::SystemTime { UNIX_EPOCH + Duration::from_secs(1_440_938_160) }
const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";'

mk fp-sigv4-core "sigv4 = { package = \"sigv4-rs\", path = \"$repo/crates/sigv4\", default-features = false }" "$common_core
fn main() {
    use sigv4::{Credentials, Payload, SignableRequest, Signer};
    let signer = Signer::new(\"us-east-1\", \"s3\").unwrap();
    let creds = Credentials::new(AKID, SECRET, None, None);
    let req = SignableRequest::new(\"GET\", \"https://examplebucket.s3.amazonaws.com/photo.jpg\",
        [(\"range\", b\"bytes=0-9\".as_slice())], Payload::Unsigned);
    let out = signer.sign(&req, &creds, time()).unwrap();
    println!(\"{}\", out.authorization().unwrap());
}"

mk fp-sigv4-default "sigv4 = { package = \"sigv4-rs\", path = \"$repo/crates/sigv4\" }
http = \"1\"" "$common_core
fn main() {
    use sigv4::{Credentials, Payload, Signer};
    let signer = Signer::new(\"us-east-1\", \"s3\").unwrap();
    let creds = Credentials::new(AKID, SECRET, None, None);
    let mut req = http::Request::get(\"https://examplebucket.s3.amazonaws.com/photo.jpg\")
        .header(\"range\", \"bytes=0-9\").body(()).unwrap();
    signer.sign_http_request_with_payload(&mut req, Payload::Unsigned, &creds, time()).unwrap();
    println!(\"{:?}\", req.headers()[\"authorization\"]);
}"

mk fp-aws-sigv4 'aws-sigv4 = "=1.6.4"
aws-credential-types = "1"
aws-smithy-runtime-api = { version = "1", features = ["client"] }
http = "1"' "$common_core
fn main() {
    use aws_sigv4::http_request::{sign, PayloadChecksumKind, PercentEncodingMode, SignableBody,
        SignableRequest, SigningSettings, UriPathNormalizationMode};
    use aws_smithy_runtime_api::client::identity::Identity;
    let identity: Identity = aws_credential_types::Credentials::new(AKID, SECRET, None, None, \"static\").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = aws_sigv4::sign::v4::SigningParams::builder().identity(&identity).region(\"us-east-1\")
        .name(\"s3\").time(time()).settings(settings).build().unwrap().into();
    let mut req = http::Request::get(\"https://examplebucket.s3.amazonaws.com/photo.jpg\")
        .header(\"range\", \"bytes=0-9\").body(()).unwrap();
    let uri = req.uri().to_string();
    let signable = SignableRequest::new(\"GET\", uri,
        req.headers().iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())),
        SignableBody::UnsignedPayload).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut req);
    println!(\"{:?}\", req.headers()[\"authorization\"]);
}"

mk fp-reqsign 'reqsign-aws-v4 = "=3.3.1"
reqsign-core = "3.3"
http = "1"' "$common_core
fn main() {
    use std::future::Future;
    let signer = reqsign_core::Signer::new(reqsign_core::Context::new(),
        reqsign_aws_v4::StaticCredentialProvider::new(AKID, SECRET),
        reqsign_aws_v4::RequestSigner::new(\"s3\", \"us-east-1\"));
    let (mut parts, ()) = http::Request::get(\"https://examplebucket.s3.amazonaws.com/photo.jpg\")
        .header(\"range\", \"bytes=0-9\")
        .header(\"x-amz-content-sha256\", \"UNSIGNED-PAYLOAD\").body(()).unwrap().into_parts();
    {
        let mut fut = std::pin::pin!(signer.sign(&mut parts, None));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop { if let std::task::Poll::Ready(r) = fut.as_mut().poll(&mut cx) { r.unwrap(); break; } }
    }
    let _ = time();
    println!(\"{:?}\", parts.headers[\"authorization\"]);
}"

echo "| program | crates in the tree (besides the program) | proc-macro crates | stripped release binary |"
echo "|---|---:|---:|---:|"
for p in ${FOOTPRINT_PROGRAMS:-fp-sigv4-core fp-sigv4-default fp-aws-sigv4 fp-reqsign}; do
  (
    cd "$work/$p"
    cargo build --release --quiet 2>"$work/$p.log" || { cat "$work/$p.log" >&2; exit 1; }
    crates=$(cargo tree -e normal,build --prefix none --format '{p}' | sed 's/ (.*//' | sort -u | grep -v "^$p " | wc -l)
    macros=$(cargo tree -e normal,build --prefix none | { grep ' (proc-macro)' || true; } | sed 's/ (.*//' | sort -u | wc -l)
    strip -o "$work/$p.stripped" "$CARGO_TARGET_DIR/release/$p"
    size=$(stat -c %s "$work/$p.stripped")
    echo "| $p | $crates | $macros | $((size / 1024)) KiB |"
  )
done
