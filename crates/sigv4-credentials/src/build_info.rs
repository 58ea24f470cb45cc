//! What this build of the crate is: its version and the cargo features it was compiled with
//! (for `--version` output and bug reports).
//!
//! ```
//! use sigv4_credentials::build_info;
//! println!("sigv4-rs-credentials {} ({})", build_info::VERSION, build_info::FEATURES.join(", "));
//! ```

/// The package version (`sigv4-rs-credentials` on crates.io).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The cargo features compiled in, in alphabetical order (`default` is not listed; the
/// features it turns on are).
pub const FEATURES: &[&str] = &[
    #[cfg(feature = "hyper-client")]
    "hyper-client",
    #[cfg(feature = "rustls")]
    "rustls",
];
