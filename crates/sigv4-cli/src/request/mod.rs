//! `sigv4 request`: sign a request and send it, with curl's flags (like awscurl).
//!
//! As ripgrep's flags -> plan -> search: [`args`] is the command line, [`plan`] turns it
//! into a [`plan::Job`] (URL, method, headers, body source, signer, options),
//! [`prepare`] builds and signs one attempt, [`execute`] sends it (retries, redirects,
//! clock skew) and [`output`] writes what comes back (through [`sink`], [`decode`] and
//! [`progress`]); [`exit`] maps failures to curl's exit codes.

mod args;
mod decode;
mod execute;
mod exit;
mod output;
mod plan;
mod prepare;
mod progress;
mod sink;

pub use args::RequestArgs;

use crate::CliError;

/// `sigv4 request`.
pub fn run(args: RequestArgs) -> Result<(), CliError> {
    // As curl: -s (without -S) silences every error message, even the first.
    if args.silent && !args.show_error {
        crate::QUIET_ERRORS.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let job = plan::plan(&args)?;
    let started = std::time::Instant::now();
    let mut stats = output::Stats {
        url_effective: job.url_text.clone(),
        ..output::Stats::default()
    };
    let result = execute::run(job, args.max_time, &mut stats);
    if let Some(format) = &args.write_out {
        let code = result.as_ref().err().map_or(0, |e| e.code);
        output::print_write_out(format, &stats, code, started.elapsed())?;
    }
    result
}
