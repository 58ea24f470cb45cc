//! What this build of the crate is: its version and the cargo features it was compiled with
//! (for `--version` output and bug reports).
//!
//! ```
//! use sigv4_http::build_info;
//! println!("sigv4-rs-http {} ({})", build_info::VERSION, build_info::FEATURES.join(", "));
//! ```

/// The package version (`sigv4-rs-http` on crates.io).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The cargo features compiled in, in alphabetical order (`default` is not listed; the
/// features it turns on are).
pub const FEATURES: &[&str] = &[
    #[cfg(feature = "axum")]
    "axum",
    #[cfg(feature = "blocking")]
    "blocking",
    #[cfg(feature = "default-chain")]
    "default-chain",
    #[cfg(feature = "event-stream")]
    "event-stream",
    #[cfg(feature = "gateway")]
    "gateway",
    #[cfg(feature = "key-file")]
    "key-file",
    #[cfg(feature = "reqwest")]
    "reqwest",
    #[cfg(feature = "server")]
    "server",
    #[cfg(feature = "tower")]
    "tower",
];
