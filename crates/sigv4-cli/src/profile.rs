//! The context credential and region providers run in: the real environment and files,
//! with `--profile` overriding AWS_PROFILE. Its own module so that `credentials` (which
//! prints the region) and `net` (which resolves it) both use it without importing each
//! other.

use sigv4_credentials::ProviderContext;

/// The real environment and files, with `profile` (`--profile`) overriding AWS_PROFILE.
pub fn context(profile: Option<&str>) -> ProviderContext {
    let ctx = ProviderContext::default();
    match profile {
        Some(p) => ctx.with_profile_name(p),
        None => ctx,
    }
}
