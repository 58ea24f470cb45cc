//! `sigv4 --version`: the command's version, then each library it was built with, its
//! version and the cargo features compiled in (`-V` prints the first line only); for
//! `sigv4-rs-crc64` (no features) the CRC-64/NVME kernel this CPU runs.

use std::sync::OnceLock;

/// The text clap prints after `sigv4 ` for `--version`.
pub fn long_version() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let libraries = [
            (
                "sigv4-rs",
                sigv4::build_info::VERSION,
                sigv4::build_info::FEATURES,
            ),
            (
                "sigv4-rs-credentials",
                sigv4_credentials::build_info::VERSION,
                sigv4_credentials::build_info::FEATURES,
            ),
            (
                "sigv4-rs-http",
                sigv4_http::build_info::VERSION,
                sigv4_http::build_info::FEATURES,
            ),
        ];
        let mut text = env!("CARGO_PKG_VERSION").to_string();
        for (name, version, features) in libraries {
            let features = if features.is_empty() {
                "no features".to_string()
            } else {
                features.join(", ")
            };
            text.push_str(&format!("\n{name} {version}: {features}"));
        }
        text.push_str(&format!(
            "\nsigv4-rs-crc64 {}: kernel {}",
            sigv4_crc64::VERSION,
            sigv4_crc64::Kernel::best().name()
        ));
        text
    })
}
