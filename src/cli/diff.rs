//! `dbglog diff` (not built yet).

/// Arguments of `dbglog diff`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files (`-` for stdin).
    pub inputs: Vec<String>,
}

/// Run `dbglog diff`.
pub fn run(_args: Args) -> u8 {
    crate::output::error_line(&"diff: not implemented yet");
    super::exit::ERROR
}
