//! `dbglog gen --size 100MB --seed 1 [--namespaces N]`: write a realistic generated log;
//! `dbglog gen --count 2000 -o DIR`: write a folder of logs shaped like a real archive.

use crate::cli::exit;
use crate::generate::{self, ArchiveOptions, GenOptions};
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
    /// Write to this file instead of stdout (with --count: the folder to write the logs to).
    #[arg(short = 'o', long = "output")]
    pub output: Option<String>,
    /// Write this many logs into the folder given by -o instead of one log: sizes follow
    /// real archives (median about 16 KB, 90% under about 250 KB; --size is ignored) and
    /// about 15% end in an error the catalogue knows.
    #[arg(long, value_name = "N", requires = "output")]
    pub count: Option<usize>,
}

/// Run `dbglog gen`.
pub fn run(args: Args) -> u8 {
    if let Some(count) = args.count {
        let dir = args.output.as_deref().unwrap_or(".");
        let opts = ArchiveOptions {
            count,
            seed: args.seed,
            namespaces: args.namespaces,
        };
        return match generate::generate_folder(&opts, std::path::Path::new(dir)) {
            Ok(_) => exit::OK,
            Err(e) => {
                output::error_line(&std::io::Error::new(
                    e.kind(),
                    format!("{dir}: cannot write: {e}"),
                ));
                exit::ERROR
            }
        };
    }
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
            generate::generate(&opts, &mut f)
                .and_then(|_| f.commit())
                .map_err(|e| std::io::Error::new(e.kind(), format!("{p}: cannot write: {e}")))
        }
        _ => {
            let mut w = output::stdout();
            generate::generate(&opts, &mut w).and_then(|_| w.flush())
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
