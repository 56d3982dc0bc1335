//! `dbglog analyze FILE|-`: the findings report of one log (errors, limits, SOQL/DML, time).

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
    /// stdin, which is the default when stdin is not a terminal.
    #[arg(default_value = "-", hide_default_value = true)]
    pub input: String,
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

/// Run `dbglog analyze`.
pub fn run(args: Args) -> u8 {
    let cat = match args.rules.catalogue() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let cat: &Catalogue = &cat;
    let input = match super::open_input(&args.input) {
        Ok(i) => i,
        Err(code) => return code,
    };
    // Redacted (or, for an embedded log, held) in memory; the report counts the bytes read.
    let (mut input, read) = match args.redact.redact {
        None if !(args.embed_log && args.format == Format::Html) => (input, None),
        spec => match crate::view::in_memory(input, spec) {
            Ok((i, n)) => (i, Some(n)),
            Err(e) => return super::fail(&e),
        },
    };
    let opts = Options {
        view: args.scope.view.clone(),
        own: args.scope.own.clone(),
        top: args.top,
        tree: args.tree,
        tree_depth: args.tree_depth,
        tree_lines: args.tree_lines,
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
    let mut file = match &args.output {
        Some(p) if p != "-" => match super::create_output(p, &[&args.input]) {
            Ok(f) => Some(f),
            Err(code) => return code,
        },
        _ => None,
    };
    let mut stdout = output::stdout();
    let mut out: &mut dyn Write = match file.as_mut() {
        Some(f) => f,
        None => &mut stdout,
    };
    let res = match args.format {
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
        Format::Text => {
            let style = Style::new(args.color.enabled());
            analyze::text::write_width(&mut out, &report, &style, width(args.wide))
        }
    }
    .and_then(|_| out.flush())
    .and_then(|_| file.map_or(Ok(()), |f| f.commit()));
    match res {
        Err(e) if !output::is_broken_pipe(&e) => {
            output::error_line(&e);
            exit::ERROR
        }
        _ => exit::OK,
    }
}
