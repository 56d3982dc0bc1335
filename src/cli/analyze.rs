//! `dbglog analyze` (not built yet).

/// Arguments of `dbglog analyze`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files (`-` for stdin).
    pub inputs: Vec<String>,
}

/// Run `dbglog analyze`.
pub fn run(_args: Args) -> u8 {
    crate::output::error_line(&"analyze: not implemented yet");
    super::exit::ERROR
}
