//! Where the CLI gets credentials: the standard chain (environment, profiles with assume
//! role / SSO / credential_process, web identity, container, instance metadata).

use std::time::SystemTime;

use clap::{Args, ValueEnum};
use sigv4::AmzDate;
use sigv4_credentials::{
    CredentialsError, DefaultChain, ProvideCredentials, ProvidedCredentials, ProviderContext,
};

use crate::CliError;

/// The environment variables that hold keys (the environment provider's).
const ENV_KEYS: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// The context the credential chain runs in. As in the AWS CLI and boto3, a profile named
/// on the command line (`--profile`) beats keys in the environment: the chain then runs
/// without them (`AWS_PROFILE` does not: environment keys beat it).
pub fn credentials_context(profile: Option<&str>) -> ProviderContext {
    match profile {
        Some(p) => {
            let env = sigv4_credentials::Env::from_pairs(
                std::env::vars().filter(|(k, _)| !ENV_KEYS.contains(&k.as_str())),
            );
            ProviderContext::default()
                .with_env(env)
                .with_profile_name(p)
        }
        None => crate::profile::context(None),
    }
}

/// Why the chain's winner won, in the AWS CLI's precedence: `--profile` > environment keys
/// > `AWS_PROFILE` / the default profile > the rest of the chain.
fn why(profile: Option<&str>, provider: &str) -> String {
    let env_keys = std::env::var_os("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty());
    match profile {
        Some(p) if env_keys => format!(
            "--profile {p} was given: a profile named on the command line wins over the keys \
             in AWS_ACCESS_KEY_ID (as in the AWS CLI)"
        ),
        Some(p) => format!("--profile {p} was given"),
        None if env_keys => "AWS_ACCESS_KEY_ID is set: environment keys win over AWS_PROFILE \
             and the default profile (pass --profile to use a profile instead)"
            .to_owned(),
        None => format!(
            "{provider} is the first provider of the default chain with credentials \
             (environment keys, then AWS_PROFILE or the default profile, web identity, \
             container, instance metadata)"
        ),
    }
}

/// Resolves credentials through the default chain: `--profile` (when given) beats keys in
/// the environment, which beat `AWS_PROFILE` and the default profile.
pub fn resolve(profile: Option<&str>) -> Result<ProvidedCredentials, CliError> {
    let chain = DefaultChain::new(credentials_context(profile));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(chain.provide_credentials())
        .map_err(explain)
}

fn explain(e: CredentialsError) -> CliError {
    if let Some(tried) = e.tried() {
        // Every provider the chain asked, in order, and why each gave nothing; then the fix
        // for the most likely case (a new machine: no keys, no profile).
        let list = tried
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{}. {}: {}", i + 1, t.provider, t.reason))
            .collect::<Vec<_>>()
            .join("; ");
        return CliError::failure(format!(
            "no AWS credentials found; tried, in order: {list}. To fix: run `aws configure` \
             (it writes ~/.aws/credentials and ~/.aws/config), or set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or pick \
             a configured profile with --profile or AWS_PROFILE"
        ));
    }
    match e {
        CredentialsError::NotConfigured { reason, .. } => {
            CliError::failure(format!("no AWS credentials found: {reason}"))
        }
        other => CliError::failure(format!("could not load credentials: {other}")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `export AWS_ACCESS_KEY_ID=...` lines for a POSIX shell.
    Shell,
    /// The JSON a `credential_process` prints (Version 1).
    Json,
}

#[derive(Debug, Args)]
pub struct CredentialsArgs {
    /// The profile to use (default: AWS_PROFILE, then "default").
    #[arg(long)]
    profile: Option<String>,
    /// The region to show (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's
    /// `region` in the config file).
    #[arg(long)]
    region: Option<String>,
    /// Print the credentials themselves, secrets included, for another program.
    #[arg(long, value_enum, value_name = "FORMAT")]
    export: Option<ExportFormat>,
    /// Show the secret access key and session token in the summary.
    #[arg(long)]
    show_secrets: bool,
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn rfc3339(t: SystemTime) -> String {
    AmzDate::from_system_time(t).map_or_else(|_| "(out of range)".to_owned(), |d| d.to_rfc3339())
}

/// `sigv4 credentials`.
pub fn run(args: CredentialsArgs) -> Result<(), CliError> {
    let provided = resolve(args.profile.as_deref())?;
    let c = provided.credentials();
    match args.export {
        Some(ExportFormat::Shell) => {
            crate::outln!(
                "export AWS_ACCESS_KEY_ID={}",
                shell_quote(c.access_key_id())
            );
            crate::outln!(
                "export AWS_SECRET_ACCESS_KEY={}",
                shell_quote(c.secret_access_key())
            );
            match c.session_token() {
                Some(t) => crate::outln!("export AWS_SESSION_TOKEN={}", shell_quote(t)),
                None => crate::outln!("unset AWS_SESSION_TOKEN"),
            }
            if let Some(e) = c.expiry() {
                crate::outln!("export AWS_CREDENTIAL_EXPIRATION={}", rfc3339(e));
            }
        }
        Some(ExportFormat::Json) => {
            let mut v = serde_json::json!({
                "Version": 1,
                "AccessKeyId": c.access_key_id(),
                "SecretAccessKey": c.secret_access_key(),
            });
            if let Some(t) = c.session_token() {
                v["SessionToken"] = t.into();
            }
            if let Some(e) = c.expiry() {
                v["Expiration"] = rfc3339(e).into();
            }
            if let Some(a) = provided.account_id() {
                v["AccountId"] = a.into();
            }
            crate::outln!("{v}");
        }
        None => {
            crate::outln!("provider:          {}", provided.provider_name());
            crate::outln!(
                "why:               {}",
                why(args.profile.as_deref(), provided.provider_name())
            );
            crate::outln!("access key id:     {}", c.access_key_id());
            if args.show_secrets {
                crate::outln!("secret access key: {}", c.secret_access_key());
            } else {
                crate::outln!("secret access key: (hidden; --show-secrets to print)");
            }
            match c.session_token() {
                Some(t) if args.show_secrets => crate::outln!("session token:     {t}"),
                Some(t) => crate::outln!("session token:     (hidden, {} chars)", t.len()),
                None => crate::outln!("session token:     none (long-term credentials)"),
            }
            if let Some(a) = provided.account_id() {
                crate::outln!("account:           {a}");
            }
            match crate::net::resolve_region(None, args.region.as_deref(), args.profile.as_deref())
            {
                Ok(r) => crate::outln!("region:            {} (from {})", r.region(), r.source()),
                Err(e) => crate::outln!("region:            none ({})", e.message),
            }
            match c.expiry() {
                Some(e) => {
                    let left = e
                        .duration_since(SystemTime::now())
                        .map(|d| format!("in {} min", d.as_secs() / 60))
                        .unwrap_or_else(|_| "EXPIRED".to_owned());
                    crate::outln!("expires:           {} ({left})", rfc3339(e));
                }
                None => crate::outln!("expires:           never"),
            }
        }
    }
    Ok(())
}
