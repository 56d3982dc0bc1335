//! `dbglog capture` (not built yet).

/// Arguments of `dbglog capture`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files (`-` for stdin).
    pub inputs: Vec<String>,
}

/// Run `dbglog capture`.
pub fn run(_args: Args) -> u8 {
    crate::output::error_line(&"capture: not implemented yet");
    super::exit::ERROR
}
