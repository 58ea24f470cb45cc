//! Region and endpoint resolution for the services the providers call (STS
//! and the SSO portal), with the standard overrides.

use crate::profile_file::{parse_sub_properties, ProfileSet, Section};
use crate::ProviderContext;

/// The services the providers call. A new provider may call a new service, added in a minor
/// release (`#[non_exhaustive]`): a `match` needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Service {
    /// AWS Security Token Service.
    Sts,
    /// The AWS IAM Identity Center (SSO) portal.
    Sso,
    /// IAM Identity Center OIDC (`CreateToken`, to refresh SSO access tokens).
    SsoOidc,
    /// AWS Sign-In (`CreateOAuth2Token`, to refresh console login credentials).
    Signin,
}

impl Service {
    /// The `AWS_ENDPOINT_URL_<ID>` suffix.
    fn env_suffix(self) -> &'static str {
        match self {
            Service::Sts => "STS",
            Service::Sso => "SSO",
            Service::SsoOidc => "SSO_OIDC",
            Service::Signin => "SIGNIN",
        }
    }

    /// The key inside a `[services]` section.
    fn config_key(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::Sso => "sso",
            Service::SsoOidc => "sso_oidc",
            Service::Signin => "signin",
        }
    }
}

fn truthy(v: Option<String>) -> Option<bool> {
    v.map(|v| v.trim().eq_ignore_ascii_case("true"))
}

fn from_profile(profile: Option<&Section>, key: &str) -> Option<String> {
    profile
        .and_then(|p| p.get_non_blank(key))
        .map(str::to_string)
}

/// The region: set explicitly on the context, then `AWS_REGION`, then
/// `AWS_DEFAULT_REGION`, then the selected profile's `region`.
pub fn resolve_region(ctx: &ProviderContext, profiles: Option<&ProfileSet>) -> Option<String> {
    ctx.region_override()
        .map(str::to_string)
        .or_else(|| ctx.env().get_non_blank("AWS_REGION"))
        .or_else(|| ctx.env().get_non_blank("AWS_DEFAULT_REGION"))
        .or_else(|| from_profile(profiles.and_then(ProfileSet::selected), "region"))
}

/// The endpoint URL for `service` in `region`, in this order:
/// `AWS_ENDPOINT_URL_<SERVICE>`, the profile's `[services]` section,
/// `AWS_ENDPOINT_URL`, the profile's `endpoint_url` (all four ignored when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` / `ignore_configured_endpoint_urls`
/// is true), then the default AWS endpoint, honoring FIPS and dual-stack
/// settings (`AWS_USE_FIPS_ENDPOINT`, `use_fips_endpoint`, ...) and, for STS,
/// [`StsEndpoints`] (`AWS_STS_REGIONAL_ENDPOINTS` / `sts_regional_endpoints`).
pub fn resolve_endpoint(
    ctx: &ProviderContext,
    profiles: Option<&ProfileSet>,
    service: Service,
    region: &str,
) -> String {
    let env = ctx.env();
    let profile = profiles.and_then(ProfileSet::selected);
    let ignore = truthy(env.get_non_blank("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
        .or_else(|| truthy(from_profile(profile, "ignore_configured_endpoint_urls")))
        .unwrap_or(false);
    if !ignore {
        let configured = env
            .get_non_blank(&format!("AWS_ENDPOINT_URL_{}", service.env_suffix()))
            .or_else(|| {
                let services = from_profile(profile, "services")?;
                let section = profiles?.services(&services)?;
                let sub = parse_sub_properties(section.get(service.config_key())?);
                sub.get("endpoint_url").filter(|v| !v.is_empty()).cloned()
            })
            .or_else(|| env.get_non_blank("AWS_ENDPOINT_URL"))
            .or_else(|| from_profile(profile, "endpoint_url"));
        if let Some(url) = configured {
            return url;
        }
    }
    let fips = truthy(env.get_non_blank("AWS_USE_FIPS_ENDPOINT"))
        .or_else(|| truthy(from_profile(profile, "use_fips_endpoint")))
        .unwrap_or(false);
    let dual = truthy(env.get_non_blank("AWS_USE_DUALSTACK_ENDPOINT"))
        .or_else(|| truthy(from_profile(profile, "use_dualstack_endpoint")))
        .unwrap_or(false);
    if service == Service::Sts
        && !fips
        && !dual
        && sts_endpoints(ctx, profiles) == StsEndpoints::Legacy
        && LEGACY_GLOBAL_STS_REGIONS.contains(&region)
    {
        return "https://sts.amazonaws.com".to_string();
    }
    default_endpoint(service, region, fips, dual)
}

/// Which STS endpoint the providers call in the regions that had only the
/// global one before regional STS existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StsEndpoints {
    /// `https://sts.<region>.amazonaws.com` everywhere (the default).
    #[default]
    Regional,
    /// `https://sts.amazonaws.com` (us-east-1) for the regions listed in
    /// [`LEGACY_GLOBAL_STS_REGIONS`]; regional elsewhere.
    Legacy,
}

/// The regions where `sts_regional_endpoints = legacy` means the global
/// endpoint (as in the AWS SDKs).
pub const LEGACY_GLOBAL_STS_REGIONS: &[&str] = &[
    "aws-global",
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The STS endpoint setting: `AWS_STS_REGIONAL_ENDPOINTS`, then the selected
/// profile's `sts_regional_endpoints`; `legacy` or `regional` (any case),
/// anything else (or nothing) is regional.
///
/// ```
/// use sigv4_credentials::endpoint::{resolve_endpoint, sts_endpoints, Service, StsEndpoints};
/// use sigv4_credentials::{Env, ProviderContext};
/// let ctx = ProviderContext::default()
///     .with_env(Env::from_pairs([("AWS_STS_REGIONAL_ENDPOINTS", "legacy")]));
/// assert_eq!(sts_endpoints(&ctx, None), StsEndpoints::Legacy);
/// assert_eq!(resolve_endpoint(&ctx, None, Service::Sts, "eu-west-1"), "https://sts.amazonaws.com");
/// assert_eq!(resolve_endpoint(&ctx, None, Service::Sts, "af-south-1"), "https://sts.af-south-1.amazonaws.com");
/// ```
pub fn sts_endpoints(ctx: &ProviderContext, profiles: Option<&ProfileSet>) -> StsEndpoints {
    let profile = profiles.and_then(ProfileSet::selected);
    let value = ctx
        .env()
        .get_non_blank("AWS_STS_REGIONAL_ENDPOINTS")
        .or_else(|| from_profile(profile, "sts_regional_endpoints"));
    match value {
        Some(v) if v.eq_ignore_ascii_case("legacy") => StsEndpoints::Legacy,
        Some(v) if !v.eq_ignore_ascii_case("regional") => {
            tracing::warn!(value = %v, "unknown sts_regional_endpoints value; using regional");
            StsEndpoints::Regional
        }
        _ => StsEndpoints::Regional,
    }
}

/// The standard AWS endpoint.
///
/// ```
/// use sigv4_credentials::endpoint::{default_endpoint, Service};
/// assert_eq!(default_endpoint(Service::Sts, "eu-west-1", false, false), "https://sts.eu-west-1.amazonaws.com");
/// assert_eq!(default_endpoint(Service::Sts, "us-east-1", true, true), "https://sts-fips.us-east-1.api.aws");
/// assert_eq!(default_endpoint(Service::Sso, "us-east-2", false, false), "https://portal.sso.us-east-2.amazonaws.com");
/// assert_eq!(default_endpoint(Service::SsoOidc, "eu-west-1", false, false), "https://oidc.eu-west-1.amazonaws.com");
/// assert_eq!(default_endpoint(Service::Signin, "us-east-1", false, false), "https://us-east-1.signin.aws.amazon.com");
/// ```
pub fn default_endpoint(service: Service, region: &str, fips: bool, dual_stack: bool) -> String {
    if service == Service::Signin {
        // Sign-In has one global name per region, not the usual pattern.
        let china = region.starts_with("cn-");
        return if china {
            format!("https://{region}.signin.amazonaws.cn")
        } else {
            format!("https://{region}.signin.aws.amazon.com")
        };
    }
    let prefix = match (service, fips) {
        (Service::Sts, false) => "sts",
        (Service::Sts, true) => "sts-fips",
        (Service::Sso, false) => "portal.sso",
        (Service::Sso, true) => "portal.sso-fips",
        (Service::SsoOidc, false) => "oidc",
        (Service::SsoOidc, true) => "oidc-fips",
        // Returned early above.
        (Service::Signin, _) => "signin",
    };
    let china = region.starts_with("cn-");
    let suffix = match (dual_stack, china) {
        (true, false) => "api.aws",
        (true, true) => "api.amazonwebservices.com.cn",
        (false, false) => "amazonaws.com",
        (false, true) => "amazonaws.com.cn",
    };
    format!("https://{prefix}.{region}.{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Env;

    #[test]
    fn precedence() {
        let profiles = ProfileSet::parse(
            Some("[default]\nendpoint_url = http://profile\nservices = s\n[services s]\nsts =\n  endpoint_url = http://svc\n"),
            None,
        )
        .unwrap();
        let ctx = |pairs: &[(&str, &str)]| {
            ProviderContext::default().with_env(Env::from_pairs(pairs.iter().copied()))
        };
        let r = |c: &ProviderContext, s| resolve_endpoint(c, Some(&profiles), s, "us-east-1");
        assert_eq!(r(&ctx(&[]), Service::Sts), "http://svc");
        assert_eq!(r(&ctx(&[]), Service::Sso), "http://profile");
        assert_eq!(
            r(&ctx(&[("AWS_ENDPOINT_URL", "http://g")]), Service::Sso),
            "http://g"
        );
        assert_eq!(
            r(&ctx(&[("AWS_ENDPOINT_URL_STS", "http://e")]), Service::Sts),
            "http://e"
        );
        assert_eq!(
            r(
                &ctx(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")]),
                Service::Sts
            ),
            "https://sts.us-east-1.amazonaws.com"
        );
    }

    #[test]
    fn sts_regional_endpoints_setting() {
        let legacy_profile = ProfileSet::parse(
            Some(
                "[default]
sts_regional_endpoints = legacy
",
            ),
            None,
        )
        .unwrap();
        let ctx = |pairs: &[(&str, &str)]| {
            ProviderContext::default().with_env(Env::from_pairs(pairs.iter().copied()))
        };
        let r = |c: &ProviderContext, p: Option<&ProfileSet>, region| {
            resolve_endpoint(c, p, Service::Sts, region)
        };
        // Regional is the default.
        assert_eq!(
            r(&ctx(&[]), None, "us-west-2"),
            "https://sts.us-west-2.amazonaws.com"
        );
        // Legacy from the profile or the environment, for the legacy regions only.
        assert_eq!(
            r(&ctx(&[]), Some(&legacy_profile), "us-west-2"),
            "https://sts.amazonaws.com"
        );
        assert_eq!(
            r(
                &ctx(&[("AWS_STS_REGIONAL_ENDPOINTS", "LEGACY")]),
                None,
                "eu-west-1"
            ),
            "https://sts.amazonaws.com"
        );
        assert_eq!(
            r(&ctx(&[]), Some(&legacy_profile), "ap-east-1"),
            "https://sts.ap-east-1.amazonaws.com"
        );
        // The environment wins over the profile.
        assert_eq!(
            r(
                &ctx(&[("AWS_STS_REGIONAL_ENDPOINTS", "regional")]),
                Some(&legacy_profile),
                "us-east-1"
            ),
            "https://sts.us-east-1.amazonaws.com"
        );
        // FIPS / dual-stack and configured endpoints are not affected.
        assert_eq!(
            r(
                &ctx(&[("AWS_USE_FIPS_ENDPOINT", "true")]),
                Some(&legacy_profile),
                "us-east-1"
            ),
            "https://sts-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            r(
                &ctx(&[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]),
                Some(&legacy_profile),
                "us-east-1"
            ),
            "http://127.0.0.1:9"
        );
        // The SSO portal never uses the global STS rule.
        assert_eq!(
            resolve_endpoint(&ctx(&[]), Some(&legacy_profile), Service::Sso, "us-east-1"),
            "https://portal.sso.us-east-1.amazonaws.com"
        );
    }
}
