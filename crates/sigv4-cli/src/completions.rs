//! `sigv4 completions SHELL`: shell completion scripts.

use clap::Args;
use clap_complete::Shell;

use crate::CliError;

#[derive(Debug, Args)]
#[command(after_help = "\
Install, for example:
  bash: sigv4 completions bash > ~/.local/share/bash-completion/completions/sigv4
  zsh:  sigv4 completions zsh > \"${fpath[1]}/_sigv4\"
  fish: sigv4 completions fish > ~/.config/fish/completions/sigv4.fish")]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Writes the completion script for `command` to standard output.
pub fn run(args: CompletionsArgs, mut command: clap::Command) -> Result<(), CliError> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "sigv4", &mut out);
    crate::out::write(&out);
    Ok(())
}
