//! Where the CLI gets credentials: the standard chain (environment, profiles with assume
//! role / SSO / credential_process, web identity, container, instance metadata).

use std::time::SystemTime;

use clap::{Args, ValueEnum};
use sigv4::AmzDate;
use sigv4_credentials::{
    CredentialsError, DefaultChain, ProvideCredentials, ProvidedCredentials, ProviderContext,
};

use crate::CliError;

/// The real environment and files, with `profile` (`--profile`) overriding AWS_PROFILE.
pub fn context(profile: Option<&str>) -> ProviderContext {
    let ctx = ProviderContext::default();
    match profile {
        Some(p) => ctx.with_profile_name(p),
        None => ctx,
    }
}

/// Resolves credentials through the default chain, with `profile` overriding AWS_PROFILE.
pub fn resolve(profile: Option<&str>) -> Result<ProvidedCredentials, CliError> {
    let chain = DefaultChain::new(context(profile));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(chain.provide_credentials())
        .map_err(explain)
}

fn explain(e: CredentialsError) -> CliError {
    match e {
        // The chain's reason lists every provider it asked and why each gave nothing.
        CredentialsError::NotConfigured { reason, .. } => CliError::failure(reason),
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
            println!(
                "export AWS_ACCESS_KEY_ID={}",
                shell_quote(c.access_key_id())
            );
            println!(
                "export AWS_SECRET_ACCESS_KEY={}",
                shell_quote(c.secret_access_key())
            );
            match c.session_token() {
                Some(t) => println!("export AWS_SESSION_TOKEN={}", shell_quote(t)),
                None => println!("unset AWS_SESSION_TOKEN"),
            }
            if let Some(e) = c.expiry() {
                println!("export AWS_CREDENTIAL_EXPIRATION={}", rfc3339(e));
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
            println!("{v}");
        }
        None => {
            println!("provider:          {}", provided.provider_name());
            println!("access key id:     {}", c.access_key_id());
            if args.show_secrets {
                println!("secret access key: {}", c.secret_access_key());
            } else {
                println!("secret access key: (hidden; --show-secrets to print)");
            }
            match c.session_token() {
                Some(t) if args.show_secrets => println!("session token:     {t}"),
                Some(t) => println!("session token:     (hidden, {} chars)", t.len()),
                None => println!("session token:     none (long-term credentials)"),
            }
            if let Some(a) = provided.account_id() {
                println!("account:           {a}");
            }
            match crate::net::resolve_region(None, args.region.as_deref(), args.profile.as_deref())
            {
                Ok(r) => println!("region:            {} (from {})", r.region(), r.source()),
                Err(e) => println!("region:            none ({})", e.message),
            }
            match c.expiry() {
                Some(e) => {
                    let left = e
                        .duration_since(SystemTime::now())
                        .map(|d| format!("in {} min", d.as_secs() / 60))
                        .unwrap_or_else(|_| "EXPIRED".to_owned());
                    println!("expires:           {} ({left})", rfc3339(e));
                }
                None => println!("expires:           never"),
            }
        }
    }
    Ok(())
}
