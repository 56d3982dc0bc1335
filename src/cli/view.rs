//! `dbglog view FILE|- --as …`: stream a view of a log.

use crate::cli::exit;
use crate::output;
use crate::stream;
use crate::track::Tracker;
use crate::view::ViewSpec;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Arguments of `dbglog view`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Log file, or `-` for stdin.
    pub input: String,
    /// Which view: subscriber, vendor:NS[,NS...] or full.
    #[arg(long = "as", value_name = "VIEW", default_value = "full")]
    pub view: ViewSpec,
    /// Write to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<String>,
}

/// Run `dbglog view`.
pub fn run(args: Args) -> u8 {
    let mut input = match crate::input::open(&args.input) {
        Ok(i) => i,
        Err(e) => {
            output::error_line(&e);
            return exit::ERROR;
        }
    };
    let out: Box<dyn Write> = match &args.output {
        Some(p) if p != "-" => match File::create(p) {
            Ok(f) => Box::new(BufWriter::with_capacity(256 * 1024, f)),
            Err(e) => {
                output::error_line(&format!("{p}: cannot create: {e}"));
                return exit::ERROR;
            }
        },
        _ => Box::new(BufWriter::with_capacity(256 * 1024, io::stdout().lock())),
    };
    if args.view != ViewSpec::Full {
        output::error_line(&format!("view --as {}: not implemented yet", args.view));
        return exit::ERROR;
    }
    let mut tracker = Tracker::new();
    let mut out = output::Reencode::new(out, input.encoding);
    let res = stream::run(&mut input, &mut tracker, |item, _| {
        out.write_all(item.record.raw)
    })
    .and_then(|_| out.flush().map_err(stream::RunError::Consumer));
    match res {
        Ok(()) => exit::OK,
        Err(e) => super::fail(&e),
    }
}
