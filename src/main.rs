//! The `dbglog` binary: the command line (`cli/`, one file per subcommand) over the
//! `dbglog` library. The library's modules are brought in at the crate root, so the
//! command files name them as `crate::…` and the library itself knows nothing of clap.

use clap::Parser;
use std::process::ExitCode;

mod cli;

#[allow(unused_imports)]
use dbglog::{
    analyze, bytes, capture, compare, debug, event, findings, framing, generate, grep, header,
    input, namespace, output, prepare, rules, scan, stats, stream, track, view,
};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    ExitCode::from(cli::run(cli))
}
