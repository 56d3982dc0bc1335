//! `dbglog flame` (not built yet).

/// Arguments of `dbglog flame`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files (`-` for stdin).
    pub inputs: Vec<String>,
}

/// Run `dbglog flame`.
pub fn run(_args: Args) -> u8 {
    crate::output::error_line(&"flame: not implemented yet");
    super::exit::ERROR
}
