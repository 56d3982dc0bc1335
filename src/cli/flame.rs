//! `dbglog flame FILE|-`: a flame graph (SVG) or folded stacks, weighted by self time.

use crate::cli::exit;
use crate::output;
use std::io::Write;

/// Arguments of `dbglog flame`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Log file (also `.gz`, or a zip holding one log, or `a.zip!member`), or `-` for
    /// stdin, which is the default when stdin is not a terminal.
    #[arg(default_value = "-", hide_default_value = true)]
    pub input: String,
    /// Write to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<String>,
    /// Write folded stacks (`ns:frame;ns:frame <self nanos>` lines) instead of an SVG.
    #[arg(long)]
    pub folded: bool,
}

/// Run `dbglog flame`.
pub fn run(args: Args) -> u8 {
    let mut input = match super::open_input(&args.input) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let folded = match crate::analyze::flame::fold(&mut input) {
        Ok(f) => f,
        Err(e) => return super::fail(&e),
    };
    if let Some(code) = super::not_a_log(&input.name, folded.logs, folded.bytes) {
        return code;
    }
    let lines = folded.lines();
    let mut file = match &args.output {
        Some(p) if p != "-" => match super::create_output(p, &[&args.input]) {
            Ok(f) => Some(f),
            Err(code) => return code,
        },
        _ => None,
    };
    let mut out: Box<dyn Write + '_> = match file.as_mut() {
        Some(f) => Box::new(f),
        None => output::log_stdout(64 * 1024),
    };
    let res = if args.folded {
        lines
            .iter()
            .try_for_each(|l| writeln!(out, "{l}"))
            .and_then(|_| out.flush())
    } else if lines.is_empty() {
        output::error_line(&format!(
            "{}: no timed frames to draw (no frame has self time)",
            input.name
        ));
        return exit::ERROR;
    } else {
        let mut opt = inferno::flamegraph::Options::default();
        opt.title = format!("dbglog flame: {}", input.name);
        opt.count_name = "ns (self time)".to_string();
        inferno::flamegraph::from_lines(&mut opt, lines.iter().map(String::as_str), &mut out)
            .and_then(|_| out.flush())
    };
    drop(out);
    let res = res.and_then(|_| file.map_or(Ok(()), |f| f.commit()));
    match res {
        Err(e) if !output::is_broken_pipe(&e) => {
            output::error_line(&format!("{}: {e}", input.name));
            exit::ERROR
        }
        _ => exit::OK,
    }
}
