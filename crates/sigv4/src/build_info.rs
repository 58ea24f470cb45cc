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
/// features it turns on are).
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

#[cfg(test)]
mod tests {
    /// A feature declared in Cargo.toml but missing above would be compiled in without
    /// `--version` saying so.
    #[test]
    fn every_declared_feature_is_listed() {
        let manifest = include_str!("../Cargo.toml");
        let source = include_str!("build_info.rs");
        let declared = declared_features(manifest);
        assert!(declared.contains(&"http".to_string()), "{declared:?}");
        for name in declared {
            assert!(
                source.contains(&format!("#[cfg(feature = \"{name}\")]\n    \"{name}\",")),
                "feature `{name}` is not in build_info::FEATURES"
            );
        }
    }

    #[test]
    fn listed_features_are_sorted_and_unique() {
        let mut sorted = super::FEATURES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, super::FEATURES);
    }

    /// The keys of the `[features]` table, `default` excluded.
    fn declared_features(manifest: &str) -> Vec<String> {
        manifest
            .lines()
            .skip_while(|l| l.trim() != "[features]")
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with('['))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().trim_matches('"')))
            .filter(|k| !k.is_empty() && !k.starts_with('#') && *k != "default")
            .map(str::to_string)
            .collect()
    }
}
