//! `dbglog capture [INPUT|-] --dir DIR`: split a live stream of logs into one file per log.

use crate::capture::name::Template;
use crate::capture::{self, Captured, FullStep, Options, ViewStep};
use crate::cli::exit;
use crate::output;
use crate::view::{self, Markers, RedactSpec, ViewOptions, ViewSpec};
use libc::{SIGHUP, SIGINT, SIGTERM};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `dbglog capture`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Each log in the stream (it starts at a header line) becomes one file in DIR, written as it
arrives under a hidden temporary name and renamed into place when the log is complete: at
the next header, at the end of the input, or once the input paused for --idle seconds. A
log that goes on after such a pause has its file replaced (in one rename) and its index
line updated. Banner lines between logs are dropped. DIR/index.ndjson gets one JSON line
per file. Files are never overwritten: a later run into the same DIR adds files and index
lines.

Name placeholders (--name):
  {n}      sequence number of the log in this run (1, 2, ...)
  {time}   wall-clock time of the log's first event, HHMMSS.mmm
  {user}   the user name from USER_INFO
  {entry}  the entry point: the first CODE_UNIT_STARTED name
  {date}   the local date when the log was filed, YYYY-MM-DD
  {nanos}  the first event's NANOS value
Names keep only A-Z a-z 0-9 . _ - (other characters become _), are capped at 120
characters, and get -2, -3, ... when the name is taken.

Stopping: Ctrl-C in `sf apex tail log | dbglog capture --dir logs` stops the producer; the
pipe closes and capture files the log in progress (marked partial in the index when it was
cut) and exits 0. Reading from a pipe, capture waits for that end of its input after a
first Ctrl-C; a second one stops it at once. SIGTERM and SIGHUP (and Ctrl-C when the input
is a file or a terminal) stop it at once: the log in progress is filed, marked partial when
it was cut, no temporary file is left, and the exit status is 128 + the signal's number
(143 for SIGTERM, 129 for SIGHUP, 130 for SIGINT).")]
pub struct Args {
    /// The stream to read: a file, or `-` for stdin.
    #[arg(default_value = "-", value_name = "INPUT")]
    pub input: String,
    /// Folder for the captured files and index.ndjson (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// What each file holds (`--as`: subscriber, vendor:NS[,NS...] or full) and your own
    /// namespaces (`--own`).
    #[command(flatten)]
    pub scope: super::args::Scope,
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
    /// Publish the log in progress once the input brought nothing for this many seconds
    /// (fractions allowed; 0: only at the next header and at the end of the input).
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_idle)]
    pub idle: Duration,
    /// Reducers, applied before anything is written (as in `view`).
    #[command(flatten)]
    pub reduce: super::view::ReduceArgs,
}

fn parse_idle(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=86_400.0).contains(&v) => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!("'{s}' is not a number of seconds from 0 to 86400")),
    }
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
    // Ctrl-C on a pipeline reaches the producer too: its exit ends the input, and capture
    // waits for that (a second Ctrl-C stops at once). Elsewhere Ctrl-C stops at once.
    let pipe = matches!(input.data, crate::input::Data::Stream(_))
        && !(args.input == "-" && std::io::stdin().is_terminal());
    let (stop_signals, drain_signals) = if pipe {
        (vec![SIGTERM, SIGHUP], vec![SIGINT])
    } else {
        (vec![SIGTERM, SIGHUP, SIGINT], vec![])
    };
    let opts = Options {
        dir: args.dir.clone(),
        gzip: args.gzip,
        template,
        idle: (!args.idle.is_zero()).then_some(args.idle),
        stop_signals,
        drain_signals,
        on_drain: Some(|_| {
            output::error_line(
                &"Ctrl-C: capture files the log in progress when the input ends (Ctrl-C again stops it now)",
            )
        }),
    };
    let view_opts = ViewOptions {
        visibility: args.scope.visibility(),
        markers: Markers::default(),
        redact: args.redact,
        reduce: args.reduce.spec(),
    };
    let reduced = view_opts.reduce.is_active();
    let mut tracker = view::tracker_for(&view_opts).without_closed();
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
    let res = if args.scope.view == ViewSpec::Full && args.redact.is_none() && !reduced {
        capture::capture(&mut input, &mut tracker, &mut FullStep, &opts, &mut on_done)
    } else {
        let mut step = ViewStep::new(view_opts, args.scope.view.to_string());
        capture::capture(&mut input, &mut tracker, &mut step, &opts, &mut on_done)
    };
    match res {
        Ok(summary) => {
            if let Some(e) = summary.read_error {
                output::error_line(&format!(
                    "{e} (treated as the end of the stream; the last log is marked partial)"
                ));
            }
            match summary.stopped_by {
                Some(sig) => {
                    output::error_line(&format!(
                        "stopped by {}: {} log(s) filed in {}{}",
                        capture::signal_name(sig),
                        summary.logs,
                        args.dir.display(),
                        if summary.partial > 0 {
                            " (a log that was cut is marked partial)"
                        } else {
                            ""
                        }
                    ));
                    (128 + sig).clamp(0, 255) as u8
                }
                None => exit::OK,
            }
        }
        Err(e) => {
            output::error_line(&e);
            exit::ERROR
        }
    }
}
