//! Credentials from a named profile (`~/.aws/config`, `~/.aws/credentials`) with
//! `ProfileProvider`, and profile selection: `--profile NAME`, else `AWS_PROFILE`, else
//! `default`. Static keys, `credential_process`, `role_arn` with `source_profile`, SSO and
//! web identity profiles all work; the ones that call STS or SSO need the HTTPS client of
//! `sigv4-rs-credentials` (feature `default-chain` of this crate).
//!
//! ```text
//! cargo run -p sigv4-rs-http --example profile_credentials -- --profile dev \
//!   'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15'
//! ```
//!
//! For the whole standard chain (environment, profile, web identity, container, instance
//! metadata) use `RequestSigner::new(DefaultChain::new(ctx))` the same way.

use std::error::Error;

use sigv4_credentials::{ProfileProvider, ProviderContext};
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::RequestSigner;

type BoxError = Box<dyn Error + Send + Sync>;

/// A signer with the credentials of `profile`, or of the profile `ctx`'s environment
/// selects (`AWS_PROFILE`, else `default`) when `profile` is `None`.
pub fn profile_signer(ctx: ProviderContext, profile: Option<&str>) -> RequestSigner {
    let ctx = match profile {
        Some(name) => ctx.with_profile_name(name),
        None => ctx,
    };
    // Taken by value; the signer caches the credentials and refreshes temporary ones.
    RequestSigner::new(ProfileProvider::new(ctx))
}

/// Signs a GET of `url` and sends it with ureq. Returns which provider answered, the
/// status and the body.
pub fn fetch(
    signer: &BlockingSigner,
    agent: &ureq::Agent,
    url: &str,
) -> Result<(&'static str, u16, String), BoxError> {
    // Loads the profile now (a bad profile fails here, with a message naming it).
    let provider = signer.credentials().get()?.provider_name();
    let mut request = http::Request::get(url).body(Vec::new())?;
    signer.sign(&mut request)?;
    let mut response = agent.run(request)?;
    let status = response.status().as_u16();
    Ok((provider, status, response.body_mut().read_to_string()?))
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (profile, url) = match args.as_slice() {
        [flag, name, url] if flag == "--profile" => (Some(name.as_str()), url),
        [url] => (None, url),
        _ => return Err("usage: profile_credentials [--profile NAME] URL".into()),
    };
    let mut signer = profile_signer(ProviderContext::default(), profile);
    if let Ok(service) = std::env::var("SIGV4_SERVICE") {
        signer = signer.with_service(service);
    }
    if let Ok(region) = std::env::var("SIGV4_REGION") {
        signer = signer.with_region(region);
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let (provider, status, body) = fetch(&BlockingSigner::new(signer), &agent, url)?;
    eprintln!("credentials from {provider}");
    println!("{status}");
    println!("{body}");
    Ok(())
}
