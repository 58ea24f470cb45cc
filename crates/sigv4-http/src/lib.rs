//! # sigv4-rs-http
//!
//! AWS Signature Version 4 inside the HTTP stacks people already use, on top of the pure
//! [`sigv4`] signer and the [`sigv4_credentials`] providers:
//!
//! | feature | what you get |
//! |---|---|
//! | `blocking` (default) | `blocking::BlockingSigner`: sign `http::Request`s or plain parts from synchronous code (ureq, std), with credentials refreshed on an internal thread: no async runtime needed |
//! | `reqwest` | `reqwest::SigV4Middleware`: a `reqwest-middleware` middleware that signs every request |
//! | `tower` | `tower::SignLayer` (client: hyper, tower stacks) and `tower::VerifyLayer` (server: verifies incoming SigV4 and answers 403 with AWS error bodies); `connect::KeepReading`, the connector that lets a client read a refusal from a server that closes mid-upload |
//! | `event-stream` | `eventstream::EventStreamBody` (a signed event-stream request body for reqwest or hyper) and `eventstream::VerifiedEventStreamBody` (the server side: yields only messages whose signature chain verifies) |
//! | `axum` | lets `tower::VerifyLayer` hand `axum::body::Body` to an axum `Router` |
//! | (always) | `aws_error` (AWS error codes from XML/JSON bodies), `retry` (which answers to retry, backoff), `redirect` (same-origin re-signing rule, `Location`), `explain` (the `SignatureDoesNotMatch` diff) |
//! | `key-file` | `tower::FileKeys`: the verifying layer's keys from a TOML file, reloaded on `SIGHUP` or change, with each key's principal and `tower::KeyLimits` |
//! | `gateway` | `gateway::Gateway`, the library behind `sigv4 gateway`: verifies sandbox keys, applies their limits, re-signs with the real credentials and forwards, streaming |
//! | `server` | `serve::serve_http1`: the HTTP/1.1 accept loop (header timeout, bounded heads, graceful shutdown) of `sigv4 proxy` and the gateway |
//! | `default-chain` | `RequestSigner::from_default_chain`: the standard AWS credential chain (pulls in the HTTPS client of `sigv4-rs-credentials`) |
//!
//! Every integration is built from a [`RequestSigner`]: a credential provider taken by value
//! ([`RequestSigner::new`], e.g. `RequestSigner::new(DefaultChain::new(ctx))`; or
//! [`RequestSigner::from_arc`] for a shared one) wrapped in a refreshing [`CachedProvider`],
//! or a day-scoped key without the secret ([`RequestSigner::from_scoped_key`] with a
//! [`sigv4::ScopedKey`]), plus, optionally, the service and region. When they are
//! not set they are inferred from each request's host with [`infer`] (S3 virtual-host and
//! path style, execute-api, es/aoss, Lambda URLs, bedrock-runtime, STS, regional, FIPS and
//! dual-stack forms); explicit values always win.
//!
//! Two options on [`RequestSigner`] apply to every integration:
//! [`with_s3express`](RequestSigner::with_s3express) signs requests to S3 Express One Zone
//! directory buckets with cached CreateSession sessions (`x-amz-s3session-token`), and
//! [`with_clock_skew`](RequestSigner::with_clock_skew) signs at the server's time once a
//! clock-skew refusal taught its offset (the reqwest middleware then also retries once).
//!
//! ```
//! use sigv4_http::RequestSigner;
//! use sigv4::Credentials;
//!
//! let signer = RequestSigner::from_static(Credentials::new("AKID", "SECRET", None, None));
//! // Inferred from the host:
//! let t = signer.resolve_target("my-bucket.s3.eu-west-1.amazonaws.com")?;
//! assert_eq!((t.region.as_str(), t.service.as_str()), ("eu-west-1", "s3"));
//! // Overridden (a private endpoint whose name says nothing):
//! let signer = signer.with_service("execute-api").with_region("us-west-2");
//! let t = signer.resolve_target("api.internal.example")?;
//! assert_eq!((t.region.as_str(), t.service.as_str()), ("us-west-2", "execute-api"));
//! # Ok::<(), sigv4_http::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(any(feature = "reqwest", feature = "tower"))]
mod body;
mod error;
mod signer;

pub use error::{BoxError, Error};
pub use signer::{RequestSigner, SigningTarget, StreamingBodies};

/// Service and region inference from AWS hostnames (re-exported from [`sigv4::infer`]).
pub use sigv4::infer::{infer, Inferred};
pub use sigv4_credentials::{CachedProvider, ProvideCredentials, StaticProvider, TimeSource};

pub mod aws_error;
pub mod bearer;
pub mod build_info;
#[cfg(any(feature = "tower", feature = "reqwest"))]
pub mod connect;
pub mod explain;
#[cfg(any(feature = "tower", feature = "server"))]
pub mod linger;
pub mod redirect;
pub mod retry;

/// This crate's README examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "blocking"))]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "event-stream")]
pub mod eventstream;
#[cfg(feature = "gateway")]
pub mod gateway;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "tower")]
pub mod tower;
