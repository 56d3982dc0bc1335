//! `dbglog completions SHELL` and `dbglog man`: shell completion scripts and a man page,
//! both generated from the command line's own definition, so they never drift from it.

use crate::cli::{Cli, exit};
use clap::CommandFactory;
use std::io::Write;

/// Arguments of `dbglog completions`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Run `dbglog completions`: the script on stdout.
pub fn run(args: Args) -> u8 {
    let mut cmd = Cli::command();
    let mut out = crate::output::stdout();
    clap_complete::generate(args.shell, &mut cmd, "dbglog", &mut out);
    finish(out.flush())
}

/// Arguments of `dbglog man`.
#[derive(clap::Args, Debug)]
pub struct ManArgs {}

/// Run `dbglog man`: the man page (roff) on stdout, `dbglog man | man -l -` to read it.
pub fn run_man(_args: ManArgs) -> u8 {
    let mut out = crate::output::stdout();
    let res = clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .and_then(|_| out.flush());
    finish(res)
}

fn finish(res: std::io::Result<()>) -> u8 {
    match res {
        Ok(()) => exit::OK,
        Err(e) if crate::output::is_broken_pipe(&e) => exit::OK,
        Err(e) => {
            crate::output::error_line(&e);
            exit::ERROR
        }
    }
}
