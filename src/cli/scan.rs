//! `dbglog scan` (not built yet).

/// Arguments of `dbglog scan`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files (`-` for stdin).
    pub inputs: Vec<String>,
}

/// Run `dbglog scan`.
pub fn run(_args: Args) -> u8 {
    crate::output::error_line(&"scan: not implemented yet");
    super::exit::ERROR
}
