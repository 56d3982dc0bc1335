//! `dbglog capture [INPUT|-] --dir DIR`: split a live stream of logs into one file per log.

use crate::capture::name::Template;
use crate::capture::{self, Captured, FullStep, Options, ViewStep};
use crate::cli::exit;
use crate::output;
use crate::view::{self, Markers, RedactSpec, ViewOptions, ViewSpec, Visibility};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `dbglog capture`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Each log in the stream (it starts at a header line) becomes one file in DIR, written as it
arrives under a hidden temporary name and renamed into place when the log is complete.
Banner lines between logs are dropped. DIR/index.ndjson gets one JSON line per file.
Files are never overwritten: a later run into the same DIR adds files and index lines.

Name placeholders (--name):
  {n}      sequence number of the log in this run (1, 2, ...)
  {time}   wall-clock time of the log's first event, HHMMSS.mmm
  {user}   the user name from USER_INFO
  {entry}  the entry point: the first CODE_UNIT_STARTED name
  {date}   the local date of the run, YYYY-MM-DD
  {nanos}  the first event's NANOS value
Names keep only A-Z a-z 0-9 . _ - (other characters become _), are capped at 120
characters, and get -2, -3, ... when the name is taken.

Stopping: Ctrl-C in `sf apex tail log | dbglog capture --dir logs` stops the producer; the
pipe closes and capture finishes the log in progress (marked partial in the index) and
exits 0. Reading from a pipe, capture itself ignores Ctrl-C so that it can do this.")]
pub struct Args {
    /// The stream to read: a file, or `-` for stdin.
    #[arg(default_value = "-", value_name = "INPUT")]
    pub input: String,
    /// Folder for the captured files and index.ndjson (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// What each file holds: subscriber, vendor:NS[,NS...] or full.
    #[arg(long = "as", value_name = "VIEW", default_value = "full")]
    pub view: ViewSpec,
    /// Mask personal data and secrets before anything is written: `pii` (e-mails, tokens,
    /// passwords and other secrets, API and private keys), plus any of `ids` (record ids),
    /// `contact` (phone numbers), `cards` (card numbers), `ip` (IP addresses), comma-separated
    /// (`pii,ids`); `all` for every class. See docs/redaction.md.
    #[arg(long, value_name = "CLASSES")]
    pub redact: Option<RedactSpec>,
    /// Compress each file with gzip (fast level); files end in .log.gz instead of .log.
    #[arg(long)]
    pub gzip: bool,
    /// File name template (without extension), e.g. '{date}_{n}_{entry}'.
    /// Default: '{time}_{user}_{entry}'. Placeholders are listed below.
    #[arg(long, value_name = "TEMPLATE")]
    pub name: Option<String>,
}

/// Run `dbglog capture`.
pub fn run(args: Args) -> u8 {
    let template = match &args.name {
        Some(t) => match Template::parse(t) {
            Ok(t) => t,
            Err(e) => {
                output::error_line(&e);
                return exit::ERROR;
            }
        },
        None => Template::default(),
    };
    let mut input = match super::open_input(&args.input) {
        Ok(i) => i,
        Err(code) => return code,
    };
    if args.input == "-" {
        ignore_sigint_on_pipe();
    }
    let opts = Options {
        dir: args.dir.clone(),
        gzip: args.gzip,
        template,
    };
    let view_opts = ViewOptions {
        visibility: Visibility::new(&args.view, &[]),
        markers: Markers::default(),
        redact: args.redact,
    };
    let mut tracker = view::tracker_for(&input, &view_opts).without_closed();
    let mut out = output::stdout();
    let mut stdout_ok = true;
    let mut on_done = |c: &Captured| {
        if stdout_ok {
            let r = writeln!(out, "{}", c.path.display()).and_then(|_| out.flush());
            if r.is_err() {
                // stdout closed: keep capturing, stop listing.
                stdout_ok = false;
            }
        }
    };
    let res = if args.view == ViewSpec::Full && args.redact.is_none() {
        capture::capture(&mut input, &mut tracker, &mut FullStep, &opts, &mut on_done)
    } else {
        let mut step = ViewStep::new(view_opts, args.view.to_string());
        capture::capture(&mut input, &mut tracker, &mut step, &opts, &mut on_done)
    };
    match res {
        Ok(summary) => {
            if let Some(e) = summary.read_error {
                output::error_line(&format!(
                    "{e} (treated as the end of the stream; the last log is marked partial)"
                ));
            }
            exit::OK
        }
        Err(e) => {
            output::error_line(&e);
            exit::ERROR
        }
    }
}

/// Reading a pipe, let Ctrl-C reach only the producer: its exit closes the pipe, and
/// capture then finishes the log in progress cleanly. (A terminal on stdin keeps the
/// default, so Ctrl-C still stops an interactive capture.)
#[cfg(unix)]
fn ignore_sigint_on_pipe() {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return;
    }
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGINT: i32 = 2;
    const SIG_IGN: usize = 1;
    // SAFETY: `signal` is the C library's; setting SIGINT to SIG_IGN installs no Rust code
    // as a handler, so nothing runs in signal context.
    unsafe {
        signal(SIGINT, SIG_IGN);
    }
}

#[cfg(not(unix))]
fn ignore_sigint_on_pipe() {}
