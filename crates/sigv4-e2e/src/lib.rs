//! End-to-end tests of `sigv4` against a real S3 server (`s3s` with the `s3s-fs` backend),
//! started in-process on 127.0.0.1 by the tests. This crate has no library code; see
//! `tests/`.
#![forbid(unsafe_code)]

/// The workspace README's examples, compiled and run as doctests here: the README lives
/// outside every published package, so the packaged crates cannot include it.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
