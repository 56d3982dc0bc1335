//! `dbglog diff`: what a view hides that matters.
//!
//! `dbglog diff FILE` compares the subscriber view with the full view of one log (one
//! streaming pass); `--as vendor:NS` picks another view; `dbglog diff A B` compares two
//! captures of the same transaction (for example the customer's log and the vendor's).

use super::args::{ColorChoice, Markers};
use crate::cli::exit;
use crate::output::{self, Style, safe_text};
use crate::view::diff::{self, DiffReport};
use crate::view::{ViewOptions, ViewSpec, Visibility};
use serde::Serialize;
use std::io::Write;

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A readable report.
    #[default]
    Text,
    /// The same content as JSON.
    Json,
    /// A unified line diff of the two views.
    Unified,
}

/// Arguments of `dbglog diff`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// One log (its full view against `--as`), or two captures of the same transaction
    /// (`A B`). `-` reads stdin, which is the default when stdin is not a terminal.
    #[arg(num_args = 1..=2, value_name = "FILE", default_value = "-", hide_default_value = true)]
    pub inputs: Vec<String>,
    /// The view to compare: subscriber, vendor:NS[,NS...] or full. With one file the
    /// default is subscriber; with two files both are compared under this view (default full).
    #[arg(long = "as", value_name = "VIEW")]
    pub view: Option<ViewSpec>,
    /// A namespace that is your own code (visible in every view); repeatable or comma-separated.
    #[arg(long = "own", value_name = "NS", value_delimiter = ',', value_parser = super::args::parse_ns)]
    pub own: Vec<String>,
    /// Marker style of the compared views (`every` makes an already-subscriber log equal
    /// to its own subscriber view).
    #[arg(long, value_enum, value_name = "STYLE", default_value = "every")]
    pub markers: Markers,
    /// Output format: text, json or unified.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Colour: auto, always or never.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Serialize)]
struct PairReport<'a> {
    left: &'a str,
    right: &'a str,
    view: String,
    equal: bool,
    hunks: u64,
    reports: &'a [DiffReport],
}

/// Run `dbglog diff`.
pub fn run(args: Args) -> u8 {
    // A unified diff is log text; the reports escape each field themselves (and colour).
    let mut out: Box<dyn Write> = if args.format == Format::Unified {
        output::log_stdout(64 * 1024)
    } else {
        Box::new(output::stdout())
    };
    let style = Style::new(args.format == Format::Text && args.color.enabled());
    let res = if args.inputs.len() == 1 {
        one(&args, &mut out, style)
    } else {
        two(&args, &mut out, style)
    };
    let code = match res {
        Ok(c) => c,
        Err(Failure::Io(e)) if output::is_broken_pipe(&e) => return exit::OK,
        Err(Failure::Io(e)) => {
            output::error_line(&e);
            return exit::ERROR;
        }
        Err(Failure::Run(e)) => return super::fail(&e),
        Err(Failure::Msg(m)) => {
            output::error_line(&m);
            return exit::ERROR;
        }
    };
    match out.flush() {
        Ok(()) => code,
        Err(e) if output::is_broken_pipe(&e) => exit::OK,
        Err(e) => {
            output::error_line(&e);
            exit::ERROR
        }
    }
}

enum Failure {
    Io(std::io::Error),
    Run(crate::stream::RunError),
    Msg(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<crate::stream::RunError> for Failure {
    fn from(e: crate::stream::RunError) -> Self {
        Failure::Run(e)
    }
}

fn open(name: &str) -> Result<crate::input::Input, Failure> {
    crate::input::open(name).map_err(|e| Failure::Msg(e.to_string()))
}

fn options(view: &ViewSpec, args: &Args) -> ViewOptions {
    ViewOptions {
        visibility: Visibility::new(view, &args.own),
        markers: args.markers.into(),
        redact: None,
        reduce: Default::default(),
    }
}

fn one(args: &Args, out: &mut dyn Write, style: Style) -> Result<u8, Failure> {
    let view = args.view.clone().unwrap_or(ViewSpec::Subscriber);
    let opts = options(&view, args);
    let mut input = open(&args.inputs[0])?;
    let unified: Option<&mut dyn Write> = if args.format == Format::Unified {
        Some(out)
    } else {
        None
    };
    let report = diff::diff_one(&mut input, &opts, &view.to_string(), unified)?;
    match args.format {
        Format::Unified => {}
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &report).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        Format::Text => output::diff::text_report(&report, out, style)?,
    }
    Ok(if report.equal { exit::OK } else { exit::NONE })
}

fn two(args: &Args, out: &mut dyn Write, style: Style) -> Result<u8, Failure> {
    let view = args.view.clone().unwrap_or(ViewSpec::Full);
    let opts = options(&view, args);
    let sub = options(&ViewSpec::Subscriber, args);
    let (a, b) = (&args.inputs[0], &args.inputs[1]);
    if a == "-" && b == "-" {
        return Err(Failure::Msg("-: stdin can be read only once".into()));
    }
    let left = diff::view_lines(&mut open(a)?, &opts)?;
    let right = diff::view_lines(&mut open(b)?, &opts)?;
    let mut reports = Vec::new();
    for name in [a, b] {
        if name == "-" {
            continue;
        }
        reports.push(diff::diff_one(&mut open(name)?, &sub, "subscriber", None)?);
    }
    let equal = left == right;
    match args.format {
        Format::Unified => {
            writeln!(out, "--- {a} ({view})\n+++ {b} ({view})")?;
            diff::unified::diff_lines(&left, &right, out, 3)?;
        }
        Format::Json => {
            let mut sink = std::io::sink();
            let hunks = diff::unified::diff_lines(&left, &right, &mut sink, 3)?;
            let pr = PairReport {
                left: a,
                right: b,
                view: view.to_string(),
                equal,
                hunks,
                reports: &reports,
            };
            serde_json::to_writer_pretty(&mut *out, &pr).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        Format::Text => {
            let mut sink = std::io::sink();
            let hunks = diff::unified::diff_lines(&left, &right, &mut sink, 3)?;
            writeln!(
                out,
                "{}",
                style.bold(&format!(
                    "{} vs {} under the {view} view: {}",
                    safe_text(a.as_bytes()),
                    safe_text(b.as_bytes()),
                    if equal {
                        "equal".to_string()
                    } else {
                        format!("differ ({hunks} hunk(s); --format unified shows them)")
                    }
                ))
            )?;
            for r in &reports {
                writeln!(out)?;
                output::diff::text_report(r, out, style)?;
            }
        }
    }
    Ok(if equal { exit::OK } else { exit::NONE })
}
