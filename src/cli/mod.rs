//! The command line: one file per subcommand. Each `run` returns the process exit code:
//! 0 success (or something found), 1 nothing found / views differ, 2 error.

pub mod analyze;
pub mod args;
pub mod capture;
pub mod compare;
pub mod completions;
pub mod debug;
pub mod diff;
pub mod events;
pub mod flame;
pub mod generate;
pub mod grep;
pub mod scan;
pub mod view;

use clap::{Parser, Subcommand};

/// dbglog: parse, view, redact, diff, analyze, scan and capture Salesforce Apex debug logs.
#[derive(Parser, Debug)]
#[command(name = "dbglog", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print every event as NDJSON, or counts with --stats.
    Events(events::Args),
    /// Print a log as the subscriber or a vendor would see it, or in full.
    View(view::Args),
    /// Show what the subscriber view hides that matters.
    Diff(diff::Args),
    /// Report errors, limits, SOQL/DML and time: the findings of one log.
    Analyze(analyze::Args),
    /// Write a flame graph (SVG) or folded stacks, weighted by self time.
    Flame(flame::Args),
    /// Scan files, folders and archives for known errors, in parallel.
    Scan(scan::Args),
    /// Print the debug output (USER_DEBUG) of a log or a live stream of logs.
    Debug(debug::Args),
    /// Search files, folders and archives of logs (exit 0 found, 1 none, 2 error).
    Grep(grep::Args),
    /// Compare the figures of two logs or two sets of logs; gate CI on regressions.
    Compare(compare::Args),
    /// Split a live stream of logs into one (redacted, compressed) file per log.
    Capture(capture::Args),
    /// Generate a realistic log of a given size from a seed (for benchmarks).
    Gen(generate::Args),
    /// Write a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Write the man page (roff): `dbglog man | man -l -`.
    Man(completions::ManArgs),
}

/// Exit codes.
pub mod exit {
    /// Success; for scan: something was found.
    pub const OK: u8 = 0;
    /// Scan: nothing found. Diff: the views differ.
    pub const NONE: u8 = 1;
    /// An error.
    pub const ERROR: u8 = 2;
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Events(a) => events::run(a),
        Command::View(a) => view::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Flame(a) => flame::run(a),
        Command::Scan(a) => scan::run(a),
        Command::Grep(a) => grep::run(a),
        Command::Debug(a) => debug::run(a),
        Command::Capture(a) => capture::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Gen(a) => generate::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => completions::run_man(a),
    }
}

/// Open a command's input (a path or `-`), or report the error naming it and give the
/// exit code to return.
pub fn open_input(arg: &str) -> Result<crate::input::Input, u8> {
    use std::io::IsTerminal;
    if arg == "-" && std::io::stdin().is_terminal() {
        crate::output::error_line(
            &"no input: give a log file, or pipe a log in (`sf apex get log … | dbglog …`)",
        );
        return Err(exit::ERROR);
    }
    crate::input::open(arg).map_err(|e| {
        crate::output::error_line(&e);
        exit::ERROR
    })
}

/// An input in which the stream found no log (no header and no event) is no Apex debug
/// log: every command that reads one log says so, naming the input, and exits 2.
pub fn not_a_log(name: &str, logs: u64, bytes: u64) -> Option<u8> {
    let s = crate::stream::Summary {
        logs,
        bytes,
        ..Default::default()
    };
    let what = crate::stream::not_a_log(&s)?;
    crate::output::error_line(&format!(
        "{}: {what}",
        crate::output::safe_text(name.as_bytes())
    ));
    Some(exit::ERROR)
}

/// Warn on stderr about each namespace the command line named (`--as vendor:NS`, `--own
/// NS`) that the log never names: a misspelt prefix would otherwise silently give the
/// subscriber view.
pub fn warn_unseen<S: AsRef<[u8]>>(input: &str, ns: &crate::namespace::Namespaces, named: &[S]) {
    for n in named {
        let n = n.as_ref();
        if !ns.seen_in_log(n) {
            crate::output::error_line(&format!(
                "warning: {}: the log never names namespace '{}'",
                crate::output::safe_text(input.as_bytes()),
                crate::output::safe_text(n)
            ));
        }
    }
}

/// The worker pool of `-j N` (all cores when not given), or report why it cannot start and
/// give the exit code to return.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, u8> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| {
            crate::output::error_line(&format!("cannot start worker threads: {e}"));
            exit::ERROR
        })
}

/// Start an `-o` file (see [`crate::output::file`]): refused when it is one of `inputs`,
/// or report the error and give the exit code to return.
pub fn create_output(path: &str, inputs: &[&str]) -> Result<crate::output::file::OutputFile, u8> {
    let inputs: Vec<&std::path::Path> = inputs
        .iter()
        .filter(|i| **i != "-")
        .map(std::path::Path::new)
        .collect();
    crate::output::file::OutputFile::create(std::path::Path::new(path), &inputs).map_err(|e| {
        crate::output::error_line(&e);
        exit::ERROR
    })
}

/// Report an error on stderr and return the error exit code. A broken pipe is not an
/// error: it returns 0 quietly.
pub fn fail(e: &crate::stream::RunError) -> u8 {
    if let crate::stream::RunError::Consumer(io) = e
        && crate::output::is_broken_pipe(io)
    {
        return exit::OK;
    }
    crate::output::error_line(e);
    exit::ERROR
}

/// The progress bar of a run over `inputs` inputs (`scan`, `analyze PATH…`): drawn on stderr
/// when `show` and stderr is a terminal, else none.
pub fn progress_bar(inputs: usize, show: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    (show && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::with_draw_target(
            Some(inputs as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} inputs {elapsed}")
        {
            b.set_style(style);
        }
        b
    })
}
