//! `sigv4`: sign, inspect and send AWS Signature Version 4 requests.
//!
//! The command is a thin layer over the `sigv4` library: it parses arguments, gathers
//! credentials and the body, and prints what the library returns.
#![forbid(unsafe_code)]

mod completions;
mod credentials;
mod curl_args;
mod express;
mod gateway;
mod head_tap;
mod net;
mod net_args;
mod out;
mod outbound_proxy;
mod presign_cmd;
mod profile;
mod proxy;
mod request;
mod sign_cmd;
mod skew;
mod trust;
mod verify_cmd;
mod version;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Sign, inspect and send AWS Signature Version 4 requests.
#[derive(Debug, Parser)]
#[command(
    name = "sigv4",
    version,
    long_version = version::long_version(),
    about,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a request and print the headers (or presigned URL), the canonical request and
    /// the string to sign. Credentials come from the standard chain (AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN first, then profiles and the rest).
    Sign(sign_cmd::SignArgs),
    /// Show which credential provider answers and when its credentials expire; with
    /// --export, print them for another program.
    Credentials(credentials::CredentialsArgs),
    /// Sign and send a request, like curl (-X, -H, -d, -T, -o, -i, -v, --fail).
    Request(Box<request::RequestArgs>),
    /// Print a presigned URL valid for --expires (up to 7 days).
    Presign(presign_cmd::PresignArgs),
    /// Run a signing reverse proxy in front of an AWS endpoint.
    Proxy(proxy::ProxyArgs),
    /// Secretless AWS access: verify requests signed with sandbox keys (--keys FILE),
    /// apply each key's limits, re-sign with the real credentials and forward.
    Gateway(gateway::GatewayArgs),
    /// Check a signed request as a server would; --explain shows the canonical request and
    /// string to sign the server computed (and a diff against the client's).
    Verify(verify_cmd::VerifyArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
}

/// Set by `request -s` (without -S): as curl, no error message, only the exit code.
pub static QUIET_ERRORS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// An error for the user: one line on stderr and an exit code (2: usage, 1: signing).
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: u8,
}

impl CliError {
    /// A problem with the command line: exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 2,
        }
    }

    /// The request could not be signed: exit code 1.
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Pieces of different body flags join in command-line order, which only the matches know.
    let sub = matches.subcommand().map(|(_, m)| m);
    let result = match cli.command {
        Command::Sign(mut args) => {
            if let Some(m) = sub {
                args.body.set_order(m);
            }
            sign_cmd::run(args)
        }
        Command::Credentials(args) => credentials::run(args),
        Command::Request(mut args) => {
            if let Some(m) = sub {
                args.body.set_order(m);
            }
            request::run(*args)
        }
        Command::Presign(args) => presign_cmd::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::Gateway(args) => gateway::run(args),
        Command::Verify(args) => verify_cmd::run(args),
        Command::Completions(args) => completions::run(args, Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, so scripts can show it as is.
            let msg = e.message.replace(['\n', '\r'], " ");
            if !QUIET_ERRORS.load(std::sync::atomic::Ordering::Relaxed) {
                eprintln!("sigv4: error: {msg}");
            }
            ExitCode::from(e.code)
        }
    }
}
