//! `dbglog compare BEFORE AFTER`: figures before and after a change, and a regression gate.

use super::args::ColorChoice;
use crate::analyze;
use crate::cli::exit;
use crate::compare::gate::{self, Expr, Outcome};
use crate::compare::metrics::{self, LogMetrics, Section, Unit};
use crate::compare::{self, Comparison, FindingChange, Group, Mode, Row};
use crate::output::{self, Style};
use crate::rules::Catalogue;
use crate::scan::{self, Scanner, Status, walk};
use serde::Serialize;
use std::io::{self, Write};

/// Arguments of `dbglog compare`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 when no --fail-on expression holds (or none is given), \
1 when one holds, 2 on error (a bad expression, an input that cannot be read, a side \
without a log). Grammar and JSON schema: docs/compare.md."
)]
pub struct Args {
    /// BEFORE: a log file, a folder (walked recursively), an archive, or `-` for stdin.
    #[arg(value_name = "BEFORE")]
    pub before: String,
    /// AFTER: a log file, a folder, an archive, or `-` for stdin.
    #[arg(value_name = "AFTER")]
    pub after: String,
    /// The view (`--as`) and your own namespaces (`--own`).
    #[command(flatten)]
    pub scope: super::args::Scope,
    /// Output format: a text table, one JSON object (docs/compare.md), or one line per change
    /// and gate result (for CI annotations).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Hide changes smaller than this share of BEFORE in text and lines (e.g. 5%, 0).
    #[arg(long, value_name = "PCT", default_value = "5%", value_parser = parse_pct)]
    pub min_delta: f64,
    /// Most changed rows printed per group in text (0: all).
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub rows: usize,
    /// Exit 1 when any of these expressions holds, e.g. cpu>+20%,soql>+0,heap>+1MB,new-errors,limit>80%.
    #[arg(long, value_name = "EXPR,…")]
    pub fail_on: Option<String>,
    /// Let the gate judge figures that are not comparable (a side truncated, other debug
    /// levels) as they stand.
    #[arg(long)]
    pub strict: bool,
    /// Extra known-error rules (`--rules FILE`).
    #[command(flatten)]
    pub rules: super::args::Rules,
    /// Worker threads (default: one per available core).
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
    /// When to colour the text: auto (terminal, no NO_COLOR), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--format` of `compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text, largest relative regressions first.
    Text,
    /// One JSON object.
    Json,
    /// One line per change, finding and gate result.
    Lines,
}

fn parse_pct(s: &str) -> Result<f64, String> {
    let t = s.trim().trim_end_matches('%').trim();
    match t.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("'{s}' is not a percentage such as 5%")),
    }
}

/// One side after walking and analyzing.
struct Side {
    arg: String,
    logs: Vec<LogMetrics>,
    skipped: Vec<(String, String)>,
    namespaces: Vec<String>,
}

fn collect(arg: &str, scanner: &Scanner<'_>) -> Result<Side, ()> {
    let entries = walk::walk(&[arg]);
    let reports = scanner.scan_entries(&entries, &|| {});
    let mut side = Side {
        arg: arg.to_string(),
        logs: Vec::new(),
        skipped: Vec::new(),
        namespaces: Vec::new(),
    };
    let mut failed = false;
    for r in reports {
        match r.status {
            Status::Failed(why) => {
                failed = true;
                output::error_line(&format!(
                    "{}: {}",
                    output::safe_text(r.name.as_bytes()),
                    output::safe_text(why.as_bytes())
                ));
            }
            Status::Skipped(why) => {
                output::error_line(&format!(
                    "{}: skipped: {}",
                    output::safe_text(r.name.as_bytes()),
                    output::safe_text(why.as_bytes())
                ));
                side.skipped.push((r.name, why));
            }
            Status::Scanned => {
                if let Some(a) = r.analysis {
                    side.namespaces.extend(a.summary.namespaces.iter().cloned());
                    side.logs.push(metrics::extract(&a));
                }
            }
        }
    }
    if failed {
        return Err(());
    }
    if side.logs.is_empty() {
        output::error_line(&format!(
            "{}: no Apex debug log to compare",
            output::safe_text(arg.as_bytes())
        ));
        return Err(());
    }
    Ok(side)
}

/// Run `dbglog compare`.
pub fn run(args: Args) -> u8 {
    let exprs: Vec<Expr> = match args.fail_on.as_deref().map(gate::parse) {
        None => Vec::new(),
        Some(Ok(e)) => e,
        Some(Err(e)) => {
            output::error_line(&e);
            return exit::ERROR;
        }
    };
    if args.before == "-" && args.after == "-" {
        output::error_line(&"compare: BEFORE and AFTER cannot both be stdin");
        return exit::ERROR;
    }
    let cat = match args.rules.catalogue() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let cat: &Catalogue = &cat;
    let pool = match super::thread_pool(args.threads) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let aopts = analyze::Options {
        view: args.scope.view.clone(),
        own: args.scope.own.clone(),
        top: usize::MAX,
        ..Default::default()
    };
    let sopts = scan::Options::default();
    let scanner = Scanner::analyzing(cat, &sopts, &aopts);
    let sides = pool.install(|| {
        rayon::join(
            || collect(&args.before, &scanner),
            || collect(&args.after, &scanner),
        )
    });
    let (before, after) = match sides {
        (Ok(b), Ok(a)) => (b, a),
        _ => return exit::ERROR,
    };
    let named = args.scope.named();
    let mut seen = crate::namespace::Namespaces::default();
    for n in before.namespaces.iter().chain(&after.namespaces) {
        seen.learn(n.as_bytes());
    }
    super::warn_unseen(&format!("{} and {}", before.arg, after.arg), &seen, &named);

    let cmp = compare::compare(&before.logs, &after.logs);
    let outcomes = (!exprs.is_empty()).then(|| gate::eval(&exprs, &cmp, args.strict));
    let failed = outcomes.as_ref().is_some_and(|o| o.iter().any(|x| x.holds));

    let mut out = output::stdout();
    let res = match args.format {
        Format::Json => write_json(&mut out, &args, &before, &after, &cmp, outcomes.as_deref()),
        Format::Text => write_text(
            &mut out,
            &args,
            &before,
            &after,
            &cmp,
            outcomes.as_deref(),
            Style::new(args.color.enabled()),
        ),
        Format::Lines => write_lines(&mut out, &args, &after, &cmp, outcomes.as_deref()),
    }
    .and_then(|_| out.flush());
    match res {
        Err(e) if output::is_broken_pipe(&e) => {}
        Err(e) => {
            output::error_line(&e);
            return exit::ERROR;
        }
        Ok(()) => {}
    }
    if failed { exit::NONE } else { exit::OK }
}

// ---------------------------------------------------------------------------------------
// Printing

fn shown(r: &Row, min_delta: f64) -> bool {
    match r.delta {
        None => r.before.unwrap_or(0.0) != 0.0 || r.after.unwrap_or(0.0) != 0.0,
        Some(0.0) => false,
        Some(_) => r.impact().abs() >= min_delta,
    }
}

fn value(v: Option<f64>, unit: Unit) -> String {
    let Some(x) = v else {
        return "-".to_string();
    };
    let n = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }
    };
    match unit {
        Unit::Nanos => format!("{:.2} ms", x / 1e6),
        Unit::Ms => format!("{} ms", n(x)),
        Unit::Bytes => format!("{} B", n(x)),
        Unit::Count => n(x),
    }
}

fn signed(v: Option<f64>, unit: Unit) -> String {
    match v {
        None => "-".to_string(),
        Some(x) if x > 0.0 => format!("+{}", value(Some(x), unit)),
        Some(x) => value(Some(x), unit),
    }
}

fn percent(r: &Row) -> String {
    match (r.delta, r.pct) {
        (None, _) => "-".to_string(),
        (Some(_), Some(p)) => format!("{p:+.1}%"),
        (Some(d), None) if d > 0.0 => "new".to_string(),
        (Some(_), None) => "0%".to_string(),
    }
}

fn label(r: &Row) -> String {
    let s = match r.section {
        Section::Metric => r.field.clone(),
        _ => format!("{} {}: {}", r.section.as_str(), r.field, r.name),
    };
    output::safe_text(s.as_bytes())
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut t: String = s.chars().take(n - 1).collect();
    t.push('…');
    t
}

fn notes(r: &Row) -> String {
    if r.notes.is_empty() {
        return String::new();
    }
    let n: Vec<&str> = r.notes.iter().map(|n| n.as_str()).collect();
    let floor = r.notes.iter().any(|n| {
        matches!(
            n,
            compare::Note::TruncatedBefore | compare::Note::TruncatedAfter
        )
    });
    format!(
        "  ({}{})",
        n.join(", "),
        if floor { "; a floor" } else { "" }
    )
}

fn side_line(s: &Side) -> String {
    let skipped = if s.skipped.is_empty() {
        String::new()
    } else {
        format!(", {} skipped", s.skipped.len())
    };
    format!(
        "{} ({} log{}{skipped})",
        output::safe_text(s.arg.as_bytes()),
        s.logs.len(),
        if s.logs.len() == 1 { "" } else { "s" }
    )
}

#[allow(clippy::too_many_arguments)]
fn write_text(
    w: &mut dyn Write,
    args: &Args,
    before: &Side,
    after: &Side,
    cmp: &Comparison,
    outcomes: Option<&[Outcome]>,
    st: Style,
) -> io::Result<()> {
    writeln!(
        w,
        "{} {}  →  {}  (view {})",
        st.bold("compare"),
        side_line(before),
        side_line(after),
        args.scope.view
    )?;
    if cmp.levels_differ && cmp.mode == Mode::Logs {
        writeln!(
            w,
            "{} the logs were captured at different debug levels ({} vs {}): figures are not comparable as they stand",
            st.yellow("note:"),
            before.logs[0].levels,
            after.logs[0].levels
        )?;
    }
    for g in &cmp.groups {
        write_group(w, args, cmp, g, st)?;
    }
    for (what, list) in [
        ("only in BEFORE", &cmp.only_before),
        ("only in AFTER", &cmp.only_after),
    ] {
        if list.is_empty() {
            continue;
        }
        writeln!(w, "\n{}", st.bold(&format!("entry points {what}")))?;
        for e in list {
            writeln!(
                w,
                "  {}  ({} log{})",
                output::safe_text(e.entry_point.as_bytes()),
                e.logs,
                if e.logs == 1 { "" } else { "s" }
            )?;
        }
    }
    if let Some(outs) = outcomes {
        writeln!(w, "\n{}", st.bold("gate"))?;
        for o in outs {
            if o.holds {
                writeln!(w, "  {} {}", st.red("FAIL"), o.expr)?;
                for b in &o.because {
                    writeln!(w, "       {}", output::safe_text(b.as_bytes()))?;
                }
            } else {
                writeln!(w, "  ok   {}", o.expr)?;
            }
            for s in &o.skipped {
                writeln!(
                    w,
                    "       {} {}",
                    st.dim("skipped:"),
                    output::safe_text(s.as_bytes())
                )?;
            }
        }
    }
    Ok(())
}

fn write_group(
    w: &mut dyn Write,
    args: &Args,
    cmp: &Comparison,
    g: &Group,
    st: Style,
) -> io::Result<()> {
    let sets = cmp.mode == Mode::Sets;
    writeln!(w)?;
    writeln!(
        w,
        "{} {}{}",
        st.bold("entry point"),
        st.cyan(&output::safe_text(g.entry_point.as_bytes())),
        if sets {
            format!(
                "  ({} log{} before, {} after; median and p95)",
                g.before_logs,
                if g.before_logs == 1 { "" } else { "s" },
                g.after_logs
            )
        } else {
            String::new()
        }
    )?;
    if g.levels_differ && sets {
        writeln!(
            w,
            "{} the logs of this entry point were captured at different debug levels: figures are not comparable as they stand",
            st.yellow("note:")
        )?;
    }
    for (t, what) in [(g.truncated_before, "BEFORE"), (g.truncated_after, "AFTER")] {
        if t {
            writeln!(
                w,
                "{} {what} was truncated: its figures are floors",
                st.yellow("note:")
            )?;
        }
    }
    let rows: Vec<&Row> = g.rows.iter().filter(|r| shown(r, args.min_delta)).collect();
    if rows.is_empty() {
        writeln!(w, "  no change above {}%", args.min_delta)?;
    } else {
        let limit = if args.rows == 0 {
            rows.len()
        } else {
            args.rows
        };
        if sets {
            writeln!(
                w,
                "  {:<58} {:>12} {:>12} {:>12} {:>9}  {:>12} {:>12}",
                "figure", "before", "after", "delta", "%", "p95 before", "p95 after"
            )?;
        } else {
            writeln!(
                w,
                "  {:<58} {:>12} {:>12} {:>12} {:>9}",
                "figure", "before", "after", "delta", "%"
            )?;
        }
        for r in rows.iter().take(limit) {
            let pct = percent(r);
            let pct = if r.impact() > 0.0 {
                st.red(&format!("{pct:>9}"))
            } else {
                format!("{pct:>9}")
            };
            write!(
                w,
                "  {:<58} {:>12} {:>12} {:>12} {pct}",
                cut(&label(r), 58),
                value(r.before, r.unit),
                value(r.after, r.unit),
                signed(r.delta, r.unit),
            )?;
            if sets {
                write!(
                    w,
                    "  {:>12} {:>12}",
                    value(r.before_p95, r.unit),
                    value(r.after_p95, r.unit)
                )?;
            }
            writeln!(w, "{}", notes(r))?;
        }
        if rows.len() > limit {
            writeln!(
                w,
                "  … {} more changed row(s) (--rows 0 shows all)",
                rows.len() - limit
            )?;
        }
    }
    if !g.findings.is_empty() {
        writeln!(w, "  {}", st.bold("findings"))?;
        for f in &g.findings {
            let change = match f.change {
                FindingChange::New => st.red("new    "),
                FindingChange::Gone => "gone   ".to_string(),
                FindingChange::Changed => "changed".to_string(),
            };
            writeln!(
                w,
                "  {change} {:<5} {} in {}: {} → {}: {}",
                f.severity.to_string(),
                f.id,
                output::safe_text(f.namespace.as_bytes()),
                f.before,
                f.after,
                cut(&output::safe_text(f.message.as_bytes()), 140)
            )?;
        }
    }
    Ok(())
}

fn write_lines(
    w: &mut dyn Write,
    args: &Args,
    after: &Side,
    cmp: &Comparison,
    outcomes: Option<&[Outcome]>,
) -> io::Result<()> {
    let file = output::safe_text(after.arg.as_bytes());
    let sets = cmp.mode == Mode::Sets;
    for g in &cmp.groups {
        let place = if sets {
            format!(" [{}]", output::safe_text(g.entry_point.as_bytes()))
        } else {
            String::new()
        };
        for r in g.rows.iter().filter(|r| shown(r, args.min_delta)) {
            let kind = if r.delta.is_none() {
                "not-comparable"
            } else if r.impact() > 0.0 {
                "regression"
            } else {
                "improvement"
            };
            writeln!(
                w,
                "{file}: {kind}: {}: {} → {} ({}, {}){}{place}",
                label(r),
                value(r.before, r.unit),
                value(r.after, r.unit),
                signed(r.delta, r.unit),
                percent(r),
                notes(r)
            )?;
        }
        for f in &g.findings {
            let change = match f.change {
                FindingChange::New => "finding-new",
                FindingChange::Gone => "finding-gone",
                FindingChange::Changed => "finding-changed",
            };
            writeln!(
                w,
                "{file}: {change}: {} {} in {}: {} → {}: {}{place}",
                f.severity,
                f.id,
                output::safe_text(f.namespace.as_bytes()),
                f.before,
                f.after,
                output::safe_text(f.message.as_bytes())
            )?;
        }
    }
    for e in &cmp.only_before {
        writeln!(
            w,
            "{file}: only-before: {} ({} logs)",
            output::safe_text(e.entry_point.as_bytes()),
            e.logs
        )?;
    }
    for e in &cmp.only_after {
        writeln!(
            w,
            "{file}: only-after: {} ({} logs)",
            output::safe_text(e.entry_point.as_bytes()),
            e.logs
        )?;
    }
    for o in outcomes.unwrap_or(&[]) {
        if o.holds {
            for b in &o.because {
                writeln!(
                    w,
                    "{file}: gate-fail: {}: {}",
                    o.expr,
                    output::safe_text(b.as_bytes())
                )?;
            }
        } else {
            writeln!(w, "{file}: gate-pass: {}", o.expr)?;
        }
        for s in &o.skipped {
            writeln!(
                w,
                "{file}: gate-skipped: {}: {}",
                o.expr,
                output::safe_text(s.as_bytes())
            )?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonSide<'a> {
    input: &'a str,
    logs: Vec<&'a str>,
    skipped: Vec<JsonSkip<'a>>,
}

#[derive(Serialize)]
struct JsonSkip<'a> {
    name: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonGate<'a> {
    failed: bool,
    strict: bool,
    outcomes: &'a [Outcome],
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    view: String,
    min_delta_pct: f64,
    before: JsonSide<'a>,
    after: JsonSide<'a>,
    #[serde(flatten)]
    comparison: &'a Comparison,
    gate: Option<JsonGate<'a>>,
}

fn json_side(s: &Side) -> JsonSide<'_> {
    JsonSide {
        input: &s.arg,
        logs: s.logs.iter().map(|l| l.name.as_str()).collect(),
        skipped: s
            .skipped
            .iter()
            .map(|(n, r)| JsonSkip { name: n, reason: r })
            .collect(),
    }
}

fn write_json(
    w: &mut dyn Write,
    args: &Args,
    before: &Side,
    after: &Side,
    cmp: &Comparison,
    outcomes: Option<&[Outcome]>,
) -> io::Result<()> {
    let report = JsonReport {
        schema_version: compare::SCHEMA_VERSION,
        view: args.scope.view.to_string(),
        min_delta_pct: args.min_delta,
        before: json_side(before),
        after: json_side(after),
        comparison: cmp,
        gate: outcomes.map(|o| JsonGate {
            failed: o.iter().any(|x| x.holds),
            strict: args.strict,
            outcomes: o,
        }),
    };
    serde_json::to_writer(&mut *w, &report)?;
    writeln!(w)
}
