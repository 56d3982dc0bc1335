//! `dbglog analyze PATH…`: the findings report of one log (errors, limits, SOQL/DML, time),
//! or of every log of several files, folders and archives with an aggregate ([`many`]).

mod many;

use super::args::ColorChoice;
use crate::analyze::{self, Options};
use crate::cli::exit;
use crate::output::{self, Style};
use crate::rules::Catalogue;
use std::io::Write;

/// Arguments of `dbglog analyze`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Log file (also `.gz`, or a zip holding one log, or `a.zip!member`), or `-` for
    /// stdin, which is the default when stdin is not a terminal. Several paths, a folder
    /// (walked recursively) or an archive of several logs: one report per log, then an
    /// aggregate, the inputs walked as `scan` walks them.
    #[arg(default_value = "-", hide_default_value = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The view (`--as`) and your own namespaces (`--own`).
    #[command(flatten)]
    pub scope: super::args::Scope,
    /// Output format: aligned text, one JSON object (schema: docs/analyze-json.md), lines
    /// (one `path:line: SEVERITY RULE [namespace] message` line per finding), or one
    /// self-contained HTML page (docs/html.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to this file (written atomically) instead of stdout; `-` is stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<String>,
    /// How many methods to list by self time.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Print long messages, statements and names whole: no wrapping or cutting to the
    /// terminal's width (80 columns when stdout is not a terminal).
    #[arg(long)]
    pub wide: bool,
    /// Also print the call tree (total and self time per frame).
    #[arg(long)]
    pub tree: bool,
    /// Deepest call-tree level shown with --tree (0 = top level only).
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub tree_depth: u32,
    /// Most call-tree lines shown with --tree (the first ones in log order).
    #[arg(long, value_name = "N", default_value_t = 400)]
    pub tree_lines: usize,
    /// `--redact CLASSES`: the report is made from the redacted log, so no masked value
    /// appears in any format (docs/redaction.md).
    #[command(flatten)]
    pub redact: super::args::Redact,
    /// With `--format html`: embed the log as the view shows it (redacted with
    /// `--redact`), and link each finding to its line there.
    #[arg(long)]
    pub embed_log: bool,
    /// Extra known-error rules (`--rules FILE`).
    #[command(flatten)]
    pub rules: super::args::Rules,
    /// When to colour the text report: auto (terminal, no NO_COLOR), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Worker threads over several logs (default: one per available core).
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
}

/// `--format` of `analyze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Sections of aligned text.
    Text,
    /// One JSON object.
    Json,
    /// One self-contained HTML page: timeline, call tree, tables (docs/html.md).
    Html,
    /// One `path:line: SEVERITY RULE [namespace] message` line per finding, in report
    /// order (the shape editors and CI annotate from).
    Lines,
    /// One line per log (its JSON report with `type` and `path`), then one aggregate line.
    Ndjson,
}

/// The text report's width: unlimited with `--wide`, the terminal's columns when stdout
/// is one, else 80.
fn width(wide: bool) -> usize {
    if wide {
        return usize::MAX / 4;
    }
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we pass.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
        if ok && ws.ws_col >= 20 {
            return usize::from(ws.ws_col);
        }
    }
    analyze::text::WIDTH
}

/// One line per finding: `path:line: SEVERITY RULE [namespace] message`.
fn write_lines<W: Write>(w: &mut W, report: &analyze::Report) -> std::io::Result<()> {
    for f in &report.findings {
        writeln!(w, "{}", crate::findings::line(&report.file, f))?;
    }
    Ok(())
}

/// Whether the command line asks for many logs: several paths, a folder, or NDJSON.
fn wants_many(args: &Args) -> bool {
    match args.paths.as_slice() {
        _ if args.format == Format::Ndjson => true,
        [one] => one != "-" && std::path::Path::new(one).is_dir(),
        _ => true,
    }
}

/// Open the one input as [`super::open_input`] does; `Err(None)` when it is an archive of
/// several logs, `Err(Some(code))` when it cannot be opened (reported).
fn open_one(arg: &str) -> Result<crate::input::Input, Option<u8>> {
    if arg == "-" {
        return super::open_input(arg).map_err(Some);
    }
    crate::input::open(arg).map_err(|e| {
        if e.source.is_none() && crate::input::unpack::is_several(&e.what) {
            return None;
        }
        output::error_line(&e);
        Some(exit::ERROR)
    })
}

/// Run `dbglog analyze`: one log as it always was, or many ([`many::run`]).
pub fn run(args: Args) -> u8 {
    let cat = match args.rules.catalogue() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let cat: &Catalogue = &cat;
    let opts = Options {
        view: args.scope.view.clone(),
        own: args.scope.own.clone(),
        top: args.top,
        tree: args.tree,
        tree_depth: args.tree_depth,
        tree_lines: args.tree_lines,
    };
    if wants_many(&args) {
        return run_many(&args, cat, &opts);
    }
    let arg = args.paths[0].as_str();
    let input = match open_one(arg) {
        Ok(i) => i,
        Err(Some(code)) => return code,
        // An archive of several logs: walk it as a folder.
        Err(None) => return run_many(&args, cat, &opts),
    };
    // Redacted (or, for an embedded log, held) in memory; the report counts the bytes read.
    let (mut input, read) = match args.redact.redact {
        None if !(args.embed_log && args.format == Format::Html) => (input, None),
        spec => match crate::view::in_memory(input, spec) {
            Ok((i, n)) => (i, Some(n)),
            Err(e) => return super::fail(&e),
        },
    };
    let mut timeline = None;
    let result = if args.format == Format::Html {
        analyze::html::analyze(&mut input, &opts, cat, args.embed_log).map(|(r, t, n)| {
            timeline = Some((t, n));
            r
        })
    } else {
        analyze::analyze(&mut input, &opts, cat)
    };
    let mut report = match result {
        Ok(r) => r,
        Err(e) => return super::fail(&e),
    };
    report.summary.bytes = read.unwrap_or(report.summary.bytes);
    if let Some(code) = super::not_a_log(&input.name, report.summary.logs, report.summary.bytes) {
        return code;
    }
    let named = args.scope.named();
    let mut seen = crate::namespace::Namespaces::default();
    for n in &report.summary.namespaces {
        seen.learn(n.as_bytes());
    }
    super::warn_unseen(&input.name, &seen, &named);
    emit(args.output.as_deref(), &[arg], |mut out| {
        match args.format {
            Format::Html => {
                let (t, n) = timeline.take().unwrap_or_default();
                let page = analyze::html::PageOptions {
                    redaction: args.redact.redact,
                };
                analyze::html::write(&mut out, &report, &t, &n, &page)
            }
            Format::Json => serde_json::to_writer(&mut out, &report)
                .map_err(std::io::Error::from)
                .and_then(|_| writeln!(out)),
            Format::Lines => write_lines(&mut out, &report),
            Format::Ndjson => unreachable!("NDJSON always goes through many::run"),
            Format::Text => {
                let style = Style::new(args.color.enabled());
                analyze::text::write_width(&mut out, &report, &style, width(args.wide))
            }
        }
    })
}

/// Several logs in one run ([`many::run`]). Redaction is applied to one log at a time in
/// memory, which the many-log walk does not do yet: refused rather than printed unredacted.
fn run_many(args: &Args, cat: &Catalogue, opts: &Options) -> u8 {
    if args.redact.redact.is_some() {
        eprintln!(
            "dbglog: --redact takes one log in analyze (a file, `-` or stdin); \
             for a folder or archive, run analyze once per log"
        );
        return exit::ERROR;
    }
    many::run(args, cat, opts)
}

/// Write the output with `write`, to the `-o` file (committed atomically once whole) or
/// stdout, and give the exit code: OK, or ERROR when writing failed (reported). A closed
/// pipe is no error.
fn emit(
    to: Option<&str>,
    inputs: &[&str],
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> u8 {
    let mut file = match to {
        Some(p) if p != "-" => match super::create_output(p, inputs) {
            Ok(f) => Some(f),
            Err(code) => return code,
        },
        _ => None,
    };
    let mut stdout = output::stdout();
    let res = {
        let out: &mut dyn Write = match file.as_mut() {
            Some(f) => f,
            None => &mut stdout,
        };
        write(&mut *out).and_then(|_| out.flush())
    }
    .and_then(|_| file.map_or(Ok(()), |f| f.commit()));
    match res {
        Err(e) if !output::is_broken_pipe(&e) => {
            output::error_line(&e);
            exit::ERROR
        }
        _ => exit::OK,
    }
}
