//! What this build of the crate is: its version and the cargo features it was compiled with
//! (for `--version` output and bug reports).
//!
//! ```
//! println!("sigv4-rs {} ({})", sigv4::build_info::VERSION, sigv4::build_info::FEATURES.join(", "));
//! assert!(!sigv4::build_info::VERSION.is_empty());
//! ```

/// The package version (`sigv4-rs` on crates.io).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The cargo features compiled in, in alphabetical order (`default` is not listed; the
/// features it turns on are). The CLI's `cli_version` test checks that every feature of
/// Cargo.toml is listed here.
pub const FEATURES: &[&str] = &[
    #[cfg(feature = "checksums")]
    "checksums",
    #[cfg(feature = "event-stream")]
    "event-stream",
    #[cfg(feature = "http")]
    "http",
    #[cfg(feature = "http-body")]
    "http-body",
    #[cfg(feature = "post-policy")]
    "post-policy",
    #[cfg(feature = "sigv4a")]
    "sigv4a",
];
