//! `dbglog gen --size 100MB --seed 1 [--namespaces N]`: write a realistic generated log.

use crate::cli::exit;
use crate::gen::{self, GenOptions};
use crate::output;
use std::io::Write;

/// Arguments of `dbglog gen`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Size to generate: 8MB, 100MB, 1GB, 512KiB… (the last transaction is completed).
    #[arg(long, default_value = "8MB", value_parser = crate::bytes::parse_size)]
    pub size: u64,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of managed packages (namespaces pkg0, pkg1, …) the code calls into.
    #[arg(long, default_value_t = 2)]
    pub namespaces: usize,
    /// Write to this file instead of stdout.
    #[arg(short = 'o', long = "output")]
    pub output: Option<String>,
}

/// Run `dbglog gen`.
pub fn run(args: Args) -> u8 {
    let opts = GenOptions {
        size: args.size,
        seed: args.seed,
        namespaces: args.namespaces,
    };
    let res = match &args.output {
        Some(p) if p != "-" => {
            let mut f = match super::create_output(p, &[]) {
                Ok(f) => f,
                Err(code) => return code,
            };
            gen::generate(&opts, &mut f)
                .and_then(|_| f.commit())
                .map_err(|e| std::io::Error::new(e.kind(), format!("{p}: cannot write: {e}")))
        }
        _ => {
            let mut w = output::stdout();
            gen::generate(&opts, &mut w).and_then(|_| w.flush())
        }
    };
    match res {
        Err(e) if !output::is_broken_pipe(&e) => {
            output::error_line(&e);
            exit::ERROR
        }
        _ => exit::OK,
    }
}
