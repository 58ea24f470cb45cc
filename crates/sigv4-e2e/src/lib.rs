//! End-to-end tests of `sigv4` against a real S3 server (`s3s` with the `s3s-fs` backend),
//! started in-process on 127.0.0.1 by the tests. This crate has no library code; see
//! `tests/`.
#![forbid(unsafe_code)]
