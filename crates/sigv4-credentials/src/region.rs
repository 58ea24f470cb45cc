//! The signing region, found the way the AWS tools find it, and where it came from.
//!
//! In order:
//!
//! 1. a region given explicitly (a `--region` flag, or
//!    [`ProviderContext::with_region`]);
//! 2. the region an AWS hostname in the request URL names
//!    (`my-bucket.s3.eu-west-1.amazonaws.com` is signed for `eu-west-1`, whatever
//!    the environment says, because S3 rejects any other region);
//! 3. `AWS_REGION`, then `AWS_DEFAULT_REGION`;
//! 4. `region` in the selected profile (`--profile` / [`ProviderContext::with_profile_name`],
//!    else `AWS_PROFILE`, else `default`) of the shared config file
//!    (`AWS_CONFIG_FILE`, default `~/.aws/config`; what `aws configure` writes);
//! 5. the region a *global* endpoint implies (`sts.amazonaws.com`,
//!    `s3.amazonaws.com`: `us-east-1`), used only when nothing above gave one,
//!    because the host does not name it.
//!
//! Environment variables and files come from the [`ProviderContext`], so tests
//! replay them exactly like the credential providers'.
//!
//! ```
//! use sigv4_credentials::{Env, MemoryFs, ProviderContext};
//! use sigv4_credentials::region::{RegionChain, RegionSource};
//!
//! let ctx = ProviderContext::default()
//!     .with_env(Env::from_pairs([("HOME", "/home/me")]))
//!     .with_fs(MemoryFs::from_files([("/home/me/.aws/config", "[default]\nregion = eu-west-2\n")]));
//!
//! // Nothing else configured: the profile's region.
//! let r = RegionChain::new(ctx.clone()).resolve()?;
//! assert_eq!(r.region(), "eu-west-2");
//! assert!(matches!(r.source(), RegionSource::Profile { .. }));
//!
//! // A bucket in eu-west-1 is signed for eu-west-1.
//! let r = RegionChain::new(ctx.clone())
//!     .with_url("https://my-bucket.s3.eu-west-1.amazonaws.com/key")
//!     .resolve()?;
//! assert_eq!((r.region(), r.source()), ("eu-west-1", &RegionSource::Url));
//!
//! // --region wins over everything.
//! let r = RegionChain::new(ctx)
//!     .with_explicit(Some("ap-south-1"))
//!     .with_url("https://my-bucket.s3.eu-west-1.amazonaws.com/key")
//!     .resolve()?;
//! assert_eq!((r.region(), r.source()), ("ap-south-1", &RegionSource::Explicit));
//! # Ok::<(), sigv4_credentials::region::RegionError>(())
//! ```

use std::fmt;

use crate::profile_file::{FileLocations, Platform, ProfileSet};
use crate::{CredentialsError, ProviderContext};

/// Where a region came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegionSource {
    /// Given explicitly (`--region`, [`ProviderContext::with_region`]).
    Explicit,
    /// Named by the AWS hostname in the request URL.
    Url,
    /// An environment variable (`AWS_REGION` or `AWS_DEFAULT_REGION`).
    Environment(&'static str),
    /// The `region` of a profile in the shared config file.
    Profile {
        /// The profile's name.
        profile: String,
        /// The config file it was read from.
        file: String,
    },
    /// The region a global AWS endpoint implies (`sts.amazonaws.com`: `us-east-1`).
    GlobalEndpoint,
}

impl fmt::Display for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionSource::Explicit => f.write_str("--region"),
            RegionSource::Url => f.write_str("the URL's AWS hostname"),
            RegionSource::Environment(var) => f.write_str(var),
            RegionSource::Profile { profile, file } => {
                write!(f, "profile \"{profile}\" in {file}")
            }
            RegionSource::GlobalEndpoint => f.write_str("the URL's global AWS endpoint"),
        }
    }
}

/// A region and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRegion {
    region: String,
    source: RegionSource,
}

impl ResolvedRegion {
    /// The region, e.g. `eu-west-1`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Where it came from.
    pub fn source(&self) -> &RegionSource {
        &self.source
    }

    /// The region, consuming `self`.
    pub fn into_region(self) -> String {
        self.region
    }
}

/// Why no region could be found.
///
/// Each message includes its cause's; `source` reports only what it does not say.
#[derive(Debug)]
#[non_exhaustive]
pub enum RegionError {
    /// Every source was asked and none gave a region; `tried` says why each gave nothing.
    NotFound {
        /// Each source in order, with why it gave nothing.
        tried: Vec<String>,
        /// The config file that was read (or would have been).
        config_file: String,
        /// The section header the selected profile has in that file.
        profile_section: String,
    },
    /// The shared config file exists but cannot be read or parsed.
    Config(CredentialsError),
}

impl std::fmt::Display for RegionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegionError::NotFound {
                tried,
                config_file,
                profile_section,
            } => write!(
                f,
                "no region: {}; fix: pass --region, set AWS_REGION, or add `region = us-east-1` (your region) to the [{profile_section}] section of {config_file}",
                tried.join("; ")
            ),
            RegionError::Config(e) => write!(f, "cannot read the region from the config file: {e}"),
        }
    }
}

impl std::error::Error for RegionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RegionError::Config(e) => sigv4::error_chain::unshown_source(&self.to_string(), e),
            RegionError::NotFound { .. } => None,
        }
    }
}

/// Finds the signing region; see the [module documentation](self) for the order.
#[derive(Debug, Clone)]
pub struct RegionChain {
    ctx: ProviderContext,
    explicit: Option<String>,
    host: Option<String>,
}

impl RegionChain {
    /// A chain reading the environment and files of `ctx`.
    pub fn new(ctx: ProviderContext) -> Self {
        RegionChain {
            ctx,
            explicit: None,
            host: None,
        }
    }

    /// A region given explicitly (`--region`); `None` or blank leaves it to the chain.
    /// It takes precedence over [`ProviderContext::with_region`].
    pub fn with_explicit(mut self, region: Option<&str>) -> Self {
        self.explicit = region
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        self
    }

    /// The request URL (`https://host[:port]/...`), whose AWS hostname may name the region.
    pub fn with_url(self, url: &str) -> Self {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        self.with_host(host)
    }

    /// The request's host (optionally with a port), whose AWS hostname may name the region.
    pub fn with_host(mut self, host: &str) -> Self {
        self.host = Some(host.to_owned());
        self
    }

    /// Resolves the region.
    pub fn resolve(&self) -> Result<ResolvedRegion, RegionError> {
        let found = |region: String, source| Ok(ResolvedRegion { region, source });
        let explicit = self
            .explicit
            .clone()
            .or_else(|| self.ctx.region_override().map(str::to_owned));
        if let Some(r) = explicit {
            return found(r, RegionSource::Explicit);
        }
        let mut tried = vec!["--region: not given".to_owned()];

        let inferred = self.host.as_deref().and_then(sigv4::infer::infer);
        let inferred_region = inferred.as_ref().and_then(|i| i.region.clone());
        let mut global = None;
        match (&self.host, &inferred_region) {
            (Some(host), Some(r)) if names_region(host, r) => {
                return found(r.clone(), RegionSource::Url);
            }
            (Some(host), Some(r)) => {
                tried.push(format!("URL: {host} is a global endpoint"));
                global = Some(r.clone());
            }
            (Some(host), None) if inferred.is_some() => {
                tried.push(format!("URL: {host} names no region"));
            }
            (Some(host), None) => tried.push(format!("URL: {host} is not an AWS hostname")),
            (None, _) => tried.push("URL: none".to_owned()),
        }

        for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            match self.ctx.env().get_non_blank(var) {
                Some(r) => return found(r, RegionSource::Environment(var)),
                None => tried.push(format!("{var}: not set")),
            }
        }

        let locations = FileLocations::resolve(self.ctx.env(), Platform::current());
        let profiles = ProfileSet::load(&self.ctx).map_err(RegionError::Config)?;
        let name = profiles.selected_name().to_owned();
        match profiles.selected() {
            Some(p) => match p.get_non_blank("region") {
                Some(r) => {
                    return found(
                        r.to_owned(),
                        RegionSource::Profile {
                            profile: name,
                            file: locations.config,
                        },
                    )
                }
                None => tried.push(format!(
                    "profile \"{name}\": no `region` in {}",
                    locations.config
                )),
            },
            None => tried.push(format!("profile \"{name}\": not in {}", locations.config)),
        }
        if let Some(r) = global {
            return found(r, RegionSource::GlobalEndpoint);
        }
        let profile_section = if name == "default" {
            name
        } else {
            format!("profile {name}")
        };
        Err(RegionError::NotFound {
            tried,
            config_file: locations.config,
            profile_section,
        })
    }
}

/// Whether `host` carries `region` itself (as a label, or in the legacy `s3-REGION` /
/// `s3.dualstack.REGION` forms), rather than implying it as a global endpoint does.
fn names_region(host: &str, region: &str) -> bool {
    host.to_ascii_lowercase()
        .split(['.', ':'])
        .any(|label| label == region || label.strip_prefix("s3-") == Some(region))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Env, MemoryFs};

    fn ctx(env: &[(&str, &str)], files: &[(&str, &str)]) -> ProviderContext {
        let mut pairs: Vec<(String, String)> = vec![("HOME".into(), "/h".into())];
        pairs.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        ProviderContext::default()
            .with_env(Env::from_pairs(pairs))
            .with_fs(MemoryFs::from_files(
                files
                    .iter()
                    .map(|(p, c)| ((*p).to_owned(), (*c).to_owned())),
            ))
    }

    const CONFIG: &str = "[default]\nregion = eu-west-2\n[profile dev]\nregion = ap-south-1\n";

    #[test]
    fn order_case_by_case() {
        let files = [("/h/.aws/config", CONFIG)];
        let env = [
            ("AWS_REGION", "us-west-2"),
            ("AWS_DEFAULT_REGION", "ca-central-1"),
        ];
        let bucket = "https://b.s3.eu-west-1.amazonaws.com/k";
        let all = || RegionChain::new(ctx(&env, &files));

        let r = all()
            .with_explicit(Some("sa-east-1"))
            .with_url(bucket)
            .resolve()
            .unwrap();
        assert_eq!(
            (r.region(), r.source()),
            ("sa-east-1", &RegionSource::Explicit)
        );
        let r = all().with_url(bucket).resolve().unwrap();
        assert_eq!((r.region(), r.source()), ("eu-west-1", &RegionSource::Url));
        let r = all().with_url("http://127.0.0.1:9000/").resolve().unwrap();
        assert_eq!(r.source(), &RegionSource::Environment("AWS_REGION"));
        let r = RegionChain::new(ctx(&env[1..], &files)).resolve().unwrap();
        assert_eq!(
            (r.region(), r.source()),
            (
                "ca-central-1",
                &RegionSource::Environment("AWS_DEFAULT_REGION")
            )
        );
        let r = RegionChain::new(ctx(&[], &files)).resolve().unwrap();
        assert_eq!(r.region(), "eu-west-2");
        assert_eq!(
            r.source().to_string(),
            "profile \"default\" in /h/.aws/config"
        );
        let r = RegionChain::new(ctx(&[("AWS_PROFILE", "dev")], &files))
            .resolve()
            .unwrap();
        assert_eq!(r.region(), "ap-south-1");
        let r =
            RegionChain::new(ctx(&[("AWS_PROFILE", "dev")], &files).with_profile_name("default"))
                .resolve()
                .unwrap();
        assert_eq!(r.region(), "eu-west-2");
        // AWS_CONFIG_FILE moves the file.
        let r = RegionChain::new(ctx(
            &[("AWS_CONFIG_FILE", "/elsewhere/cfg")],
            &[("/elsewhere/cfg", "[default]\nregion = me-south-1\n")],
        ))
        .resolve()
        .unwrap();
        assert_eq!(r.region(), "me-south-1");
        // A global endpoint only fills in when nothing else gave a region.
        let r = RegionChain::new(ctx(&[], &files))
            .with_url("https://sts.amazonaws.com/")
            .resolve()
            .unwrap();
        assert_eq!(r.region(), "eu-west-2");
        let r = RegionChain::new(ctx(&[], &[]))
            .with_url("https://sts.amazonaws.com/")
            .resolve()
            .unwrap();
        assert_eq!(
            (r.region(), r.source()),
            ("us-east-1", &RegionSource::GlobalEndpoint)
        );
    }

    #[test]
    fn nothing_configured_lists_every_source() {
        let e = RegionChain::new(ctx(
            &[("AWS_PROFILE", "dev")],
            &[("/h/.aws/config", "[default]\nregion = x\n")],
        ))
        .with_url("http://127.0.0.1:1/")
        .resolve()
        .unwrap_err();
        let m = e.to_string();
        for want in [
            "--region: not given",
            "URL: 127.0.0.1:1 is not an AWS hostname",
            "AWS_REGION: not set",
            "AWS_DEFAULT_REGION: not set",
            "profile \"dev\": not in /h/.aws/config",
            "[profile dev] section of /h/.aws/config",
        ] {
            assert!(m.contains(want), "{want:?} missing from {m}");
        }
        let e = RegionChain::new(ctx(
            &[],
            &[("/h/.aws/config", "[default]\noutput = json\n")],
        ))
        .resolve()
        .unwrap_err();
        assert!(e
            .to_string()
            .contains("profile \"default\": no `region` in /h/.aws/config"));
        let e = RegionChain::new(ctx(&[], &[("/h/.aws/config", "[default\nregion = x\n")]))
            .resolve()
            .unwrap_err();
        assert!(matches!(e, RegionError::Config(_)), "{e}");
    }
}
