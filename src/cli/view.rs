//! `dbglog view FILE|- --as …`: stream a view of a log.

use super::args::Markers;
use crate::cli::exit;
use crate::output;
use crate::view::reduce::{self, Levels, TypeSet};
use crate::view::{self, ReduceSpec, ViewOptions, Visibility};
use std::io::Write;

/// Arguments of `dbglog view`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Log file (also `.gz`, or a zip holding one log, or `a.zip!member`), or `-` for
    /// stdin, which is the default when stdin is not a terminal.
    #[arg(default_value = "-", hide_default_value = true)]
    pub input: String,
    /// The view (`--as`) and your own namespaces (`--own`).
    #[command(flatten)]
    pub scope: super::args::Scope,
    /// How hidden code is written: `run` = one ENTERING_MANAGED_PKG line per run,
    /// `every` = one per hidden event, as Salesforce writes them.
    #[arg(long, value_enum, value_name = "STYLE", default_value = "run")]
    pub markers: Markers,
    /// `--redact CLASSES`.
    #[command(flatten)]
    pub redact: super::args::Redact,
    /// Write to this file instead of stdout (through a temporary file renamed into place
    /// on success). Refused when it is the input itself: see `--in-place`.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUT",
        conflicts_with = "in_place"
    )]
    pub output: Option<String>,
    /// Rewrite the input file with the view (for example `--redact pii --in-place`): the
    /// view is written beside it and renamed over it only when it is complete.
    #[arg(long = "in-place")]
    pub in_place: bool,
    /// Reducers.
    #[command(flatten)]
    pub reduce: ReduceArgs,
}

/// The reducers `view` and `capture` take (docs/reduce.md). Each output is still a valid
/// log; all compose with `--as`, `--own` and `--redact`, and stream.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ReduceArgs {
    /// The log as Salesforce would have written it at these levels, e.g.
    /// `APEX_CODE=DEBUG,DB=INFO`: finer events go, the header shows the new levels. Levels
    /// can only be lowered.
    #[arg(long = "level", value_name = "CATEGORY=LEVEL[,...]", value_parser = reduce::Levels::parse)]
    pub level: Option<Levels>,
    /// Keep only these event types (or `category:DB`); the header, execution and
    /// code-unit frames and errors stay unless dropped with --drop; package markers, limit
    /// blocks and calls into packages always stay (they tell the package's lines apart).
    #[arg(long = "keep", value_name = "TYPE,...", value_parser = reduce::TypeSet::parse)]
    pub keep: Option<TypeSet>,
    /// Leave out these event types (or `category:DB`).
    #[arg(long = "drop", value_name = "TYPE,...", value_parser = reduce::TypeSet::parse)]
    pub drop: Option<TypeSet>,
    /// Consecutive ENTERING_MANAGED_PKG lines of one namespace become one (the first).
    #[arg(long = "collapse-markers")]
    pub collapse_markers: bool,
    /// Only the frames (code unit, trigger, method, flow) whose entry line matches this
    /// regex, with the entry and exit lines of the frames around them.
    #[arg(long = "within", value_name = "PATTERN", value_parser = parse_regex)]
    pub within: Option<regex::bytes::Regex>,
}

impl ReduceArgs {
    /// The reducers asked for.
    pub fn spec(&self) -> ReduceSpec {
        ReduceSpec {
            levels: self.level.clone().map(|l| l.0).unwrap_or_default(),
            keep: self.keep.clone(),
            drop: self.drop.clone(),
            collapse_markers: self.collapse_markers,
            within: self.within.clone(),
        }
    }
}

fn parse_regex(s: &str) -> Result<regex::bytes::Regex, String> {
    regex::bytes::Regex::new(s).map_err(|e| format!("bad pattern: {e}"))
}

/// Run `dbglog view`.
pub fn run(args: Args) -> u8 {
    let mut input = match super::open_input(&args.input) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let target = match (&args.output, args.in_place) {
        (_, true) if args.input == "-" => {
            output::error_line(&"--in-place needs a log file, not stdin");
            return exit::ERROR;
        }
        (_, true) => Some(super::create_output(&args.input, &[])),
        (Some(p), _) if p != "-" => Some(super::create_output(p, &[&args.input])),
        _ => None,
    };
    let mut file = match target.transpose() {
        Ok(f) => f,
        Err(code) => return code,
    };
    let out: Box<dyn Write + '_> = match file.as_mut() {
        Some(f) => Box::new(f),
        None => output::log_stdout(256 * 1024),
    };
    let opts = ViewOptions {
        visibility: Visibility::new(&args.scope.view, &args.scope.own),
        markers: args.markers.into(),
        redact: args.redact.redact,
        reduce: args.reduce.spec(),
    };
    // UTF-16 input is read as UTF-8; give the output the input's encoding back.
    let mut out = output::Reencode::new(out, input.encoding);
    let mut tracker = view::tracker_for(&opts).without_closed();
    let res = view::write_view_with(&mut input, &opts, &mut tracker, &mut out).and_then(|s| {
        out.flush()
            .map_err(crate::stream::RunError::Consumer)
            .map(|_| s)
    });
    drop(out);
    let summary = match res {
        Ok(s) => s,
        Err(e) => return super::fail(&e),
    };
    if !opts.visibility.full {
        super::warn_unseen(&input.name, tracker.namespaces(), &opts.visibility.visible);
    }
    // No log: the output file (if any) is not written, and the command fails.
    if let Some(code) = super::not_a_log(&input.name, summary.logs, summary.bytes) {
        return code;
    }
    let res = match file {
        Some(f) => f.commit().map_err(crate::stream::RunError::Consumer),
        None => Ok(()),
    };
    match res {
        Ok(()) => exit::OK,
        Err(e) => super::fail(&e),
    }
}
