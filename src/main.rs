use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = dbglog::cli::Cli::parse();
    ExitCode::from(dbglog::cli::run(cli))
}
