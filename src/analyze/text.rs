//! The text form of a [`Report`]: sections for the summary, findings, limits, SOQL/DML,
//! time and (optionally) the call tree. Text from the log goes through
//! [`crate::output::safe_text`], so a log can never drive the terminal.

use super::{Finding, Report, StatementTable};
use crate::output::{Style, safe_text};
use crate::rules::Severity;
use std::io::{self, Write};

/// Most statement rows printed per table.
const STATEMENT_ROWS: usize = 15;
/// The widest line of the report (columns).
pub const WIDTH: usize = 80;

pub(crate) fn ms(n: u64) -> String {
    format!("{:.3}", n as f64 / 1e6)
}

pub(crate) fn clip(s: &str, n: usize) -> String {
    let s = safe_text(s.as_bytes()).replace('\t', " ");
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// `text` wrapped at spaces into lines of at most `n` columns (a word longer than `n` is
/// cut); at most `max` lines, the last one ending in `…` when text is left over.
fn wrap(text: &str, n: usize, max: usize) -> Vec<String> {
    wrap_first(text, n, n, max)
}

/// [`wrap`] with a first line of `first` columns.
fn wrap_first(text: &str, first: usize, n: usize, max: usize) -> Vec<String> {
    let text = safe_text(text.as_bytes()).replace('\t', " ");
    let n = n.max(8);
    let first = first.max(8).min(n);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_n = 0;
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let n = if lines.is_empty() { first } else { n };
            let sep = usize::from(cur_n > 0);
            if cur_n + sep + word.len() <= n {
                if sep == 1 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                cur_n += sep + word.len();
                break;
            }
            if cur_n > 0 {
                lines.push(std::mem::take(&mut cur));
                cur_n = 0;
                continue;
            }
            // A word longer than the line: cut it.
            let rest = word.split_off(n);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if cur_n > 0 || lines.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max.max(1) {
        lines.truncate(max.max(1));
        let last = lines.pop().unwrap_or_default();
        let n = if lines.is_empty() { first } else { n };
        let mut t: String = last.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        lines.push(t);
    }
    lines
}

/// Parts joined by ` · ` into lines of at most `n` columns, a part never split unless it
/// is wider than a line (then it is cut with `…`).
pub(super) fn wrap_parts(parts: &[String], n: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for p in parts {
        let p = clip(p, n);
        if cur.is_empty() {
            cur = p;
        } else if cur.chars().count() + 3 + p.chars().count() <= n {
            cur.push_str(" · ");
            cur.push_str(&p);
        } else {
            lines.push(std::mem::replace(&mut cur, p));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Write `text` wrapped (see [`wrap`]) after `first` on the first line and indented by
/// `indent` spaces on the others, within [`WIDTH`] columns.
pub(super) fn write_wrapped<W: Write>(
    w: &mut W,
    width: usize,
    first: &str,
    indent: usize,
    text: &str,
    max: usize,
    paint: &dyn Fn(&str) -> String,
) -> io::Result<()> {
    for (i, l) in wrap(text, width.saturating_sub(indent), max)
        .iter()
        .enumerate()
    {
        if i == 0 {
            writeln!(w, "{first}{}", paint(l))?;
        } else {
            writeln!(w, "{:indent$}{}", "", paint(l))?;
        }
    }
    Ok(())
}

fn plain(s: &str) -> String {
    s.to_string()
}

fn sev(st: &Style, s: Severity) -> String {
    let label = format!("{:<5}", s.as_str().to_uppercase());
    match s {
        Severity::Fatal => st.red(&label),
        Severity::Error => st.red(&label),
        Severity::Warn => st.yellow(&label),
        Severity::Info => st.dim(&label),
    }
}

/// Write the report as text, every line within [`WIDTH`] columns.
pub fn write<W: Write>(w: &mut W, r: &Report, st: &Style) -> io::Result<()> {
    write_width(w, r, st, WIDTH)
}

/// Write the report as text, every line within `width` columns (at least 60; `usize::MAX`
/// for `--wide`: nothing wrapped or cut).
pub fn write_width<W: Write>(w: &mut W, r: &Report, st: &Style, width: usize) -> io::Result<()> {
    let width = width.max(60);
    let s = &r.summary;
    let v = &r.verdict;
    let label = format!("{:<6}", v.label());
    let label = if v.status == "failed" {
        st.red(&st.bold(&label))
    } else {
        st.bold(&label)
    };
    // The exception (or the first reason) on the first line, how and where it ended
    // below it, so that each fits.
    match v.headline.split_once(" — ") {
        Some(_) if v.headline.chars().count() + 8 <= width => {
            writeln!(w, "{label}  {}", safe_text(v.headline.as_bytes()))?;
        }
        Some((what, rest)) => {
            writeln!(w, "{label}  {}", clip(what, width - 8))?;
            write_wrapped(w, width, "        ", 8, &format!("— {rest}"), 3, &plain)?;
        }
        None => write_wrapped(w, width, &format!("{label}  "), 8, &v.headline, 3, &plain)?,
    }
    let view = clip(&r.view, 30);
    writeln!(
        w,
        "{} {}  (view: {view})",
        st.bold("dbglog analyze:"),
        clip(&r.file, width - 26 - view.chars().count()),
    )?;
    if s.truncated {
        writeln!(
            w,
            "{}",
            st.yellow(&format!(
                "TRUNCATED: {} truncation marker(s); every figure below is a floor.",
                s.truncation_markers
            ))
        )?;
    }
    writeln!(w)?;
    writeln!(w, "{}", st.bold("Summary"))?;
    writeln!(
        w,
        "  API version   {}",
        s.api_version
            .as_deref()
            .map_or("-".into(), |v| safe_text(v.as_bytes()))
    )?;
    let levels: Vec<String> = s
        .log_levels
        .iter()
        .map(|l| safe_text(format!("{}={}", l.category, l.level).as_bytes()))
        .collect();
    let levels = if levels.is_empty() {
        "-".into()
    } else {
        levels.join(", ")
    };
    write_wrapped(w, width, "  Log levels    ", 16, &levels, 6, &plain)?;
    writeln!(
        w,
        "  User          {}",
        clip(s.user.as_deref().unwrap_or("-"), width - 16)
    )?;
    if s.entry_points.is_empty() {
        writeln!(w, "  Entry points  -")?;
    } else {
        for (i, e) in s.entry_points.iter().take(10).enumerate() {
            let head = if i == 0 {
                "  Entry points  "
            } else {
                "                "
            };
            let ns = if e.namespace == "(default)" {
                String::new()
            } else {
                format!(" [{}]", safe_text(e.namespace.as_bytes()))
            };
            let tail = format!("{ns} ×{}", e.count);
            let room = width - 16 - tail.chars().count().min(40);
            writeln!(w, "{head}{}{}", clip(&e.name, room), clip(&tail, 40))?;
        }
        if s.entry_points.len() > 10 {
            writeln!(w, "                … {} more", s.entry_points.len() - 10)?;
        }
    }
    writeln!(w, "  Transactions  {}", s.transactions)?;
    writeln!(w, "  Wall time     {} ms", ms(s.wall_nanos))?;
    writeln!(
        w,
        "  Truncated     {}",
        if s.truncated {
            format!(
                "yes ({} marker(s)): figures are floors",
                s.truncation_markers
            )
        } else {
            "no".into()
        }
    )?;
    let nss: Vec<String> = s
        .namespaces
        .iter()
        .map(|n| safe_text(n.as_bytes()))
        .collect();
    write_wrapped(w, width, "  Namespaces    ", 16, &nss.join(", "), 6, &plain)?;
    if !r.hidden_namespaces.is_empty() {
        let hidden = r.hidden_namespaces.join(", ");
        write_wrapped(w, width, "  Hidden here   ", 16, &hidden, 6, &plain)?;
    }
    let e = &r.exceptions;
    let exc = format!(
        "{} thrown: {} uncaught, {} caught ({} FATAL_ERROR line(s))",
        e.thrown, e.uncaught, e.caught, e.fatal_error_lines
    );
    write_wrapped(w, width, "  Exceptions    ", 16, &exc, 3, &plain)?;
    let sd = format!(
        "{} queries ({} rows) / {} statements ({} rows)",
        r.soql.count, r.soql.rows, r.dml.count, r.dml.rows
    );
    write_wrapped(w, width, "  SOQL / DML    ", 16, &sd, 3, &plain)?;
    if r.sosl.count > 0 {
        writeln!(
            w,
            "  SOSL          {} searches ({} rows)",
            r.sosl.count, r.sosl.rows
        )?;
    }
    for (what, t) in [("SOQL", &r.soql), ("DML", &r.dml), ("SOSL", &r.sosl)] {
        for n in t.by_namespace.iter().filter(|n| !n.differs.is_empty()) {
            let d = format!(
                "{} in {} against {} in its limits block: {}",
                n.count,
                n.namespace,
                n.limits_block.unwrap_or(0),
                n.differs.join(", ")
            );
            write_wrapped(w, width, &format!("  {what:<13} "), 16, &d, 4, &plain)?;
        }
    }
    if r.heap.used_bytes > 0 {
        let h = format!(
            "{} bytes (from {}; allocations peak {}, limits block {})",
            r.heap.used_bytes,
            r.heap.source,
            r.heap.computed_peak_bytes,
            r.heap
                .reported_bytes
                .map_or_else(|| "none".to_string(), |b| b.to_string())
        );
        write_wrapped(w, width, "  Heap          ", 16, &h, 3, &plain)?;
    }
    if !r.log_issues.is_empty() {
        let v: Vec<String> = r
            .log_issues
            .iter()
            .map(|i| format!("{} {}", i.kind, i.count))
            .collect();
        write_wrapped(w, width, "  Log issues    ", 16, &v.join(", "), 4, &plain)?;
    }

    writeln!(w)?;
    writeln!(
        w,
        "{}",
        st.bold(&format!("Findings ({})", r.findings.len()))
    )?;
    if r.findings.is_empty() {
        writeln!(w, "  none")?;
    }
    for (i, f) in r.findings.iter().enumerate() {
        write_finding(w, width, i + 1, f, st)?;
    }

    writeln!(w)?;
    writeln!(
        w,
        "{}",
        st.bold("Governor limits (one pool per namespace; peak and last of its blocks)")
    )?;
    if r.limits.is_empty() {
        writeln!(w, "  no LIMIT_USAGE_FOR_NS blocks")?;
    }
    for l in &r.limits {
        writeln!(
            w,
            "  {} ({} block(s))",
            st.cyan(&clip(&l.namespace, width - 20)),
            l.blocks
        )?;
        let mut zero = 0;
        for row in &l.rows {
            if row.peak == 0 && row.last == 0 {
                zero += 1;
                continue;
            }
            // 4 + 30 + 1 + 8 + 3 + 8 + 1 + 4 + 7 + 8 + 1 + 4 = 79 columns.
            let line = format!(
                "    {:<30} {:>8} / {:<8} {:>3}%  last {:>8} {:>3}%",
                clip(&row.label, 30),
                row.peak,
                row.max,
                row.peak_pct,
                row.last,
                row.last_pct
            );
            if row.peak_pct >= super::LIMIT_THRESHOLD_PCT {
                writeln!(w, "{}", st.yellow(&line))?;
            } else {
                writeln!(w, "{line}")?;
            }
        }
        if zero > 0 {
            writeln!(
                w,
                "    {}",
                st.dim(&format!("({zero} limit(s) at 0 not shown)"))
            )?;
        }
    }

    write_table(w, width, "SOQL", &r.soql, "queries", st)?;
    write_table(w, width, "DML", &r.dml, "statements", st)?;
    if r.sosl.count > 0 {
        write_table(w, width, "SOSL", &r.sosl, "searches", st)?;
    }
    super::callouts::write_text(w, r, st, width)?;
    super::memory::write_text(w, r, st, width)?;

    writeln!(w)?;
    writeln!(
        w,
        "{}",
        st.bold(&format!("Top {} methods by self time", r.methods.len()))
    )?;
    if r.methods.is_empty() {
        writeln!(w, "  none")?;
    } else {
        writeln!(
            w,
            "  {:>7} {:>12} {:>12}  method",
            "calls", "total ms", "self ms"
        )?;
        for m in &r.methods {
            writeln!(
                w,
                "  {:>7} {:>12} {:>12}  {}",
                m.count,
                ms(m.total_nanos),
                ms(m.self_nanos),
                clip(&m.name, width - 37)
            )?;
        }
    }
    writeln!(w)?;
    writeln!(w, "{}", st.bold("Time per namespace (self time)"))?;
    let all: u64 = r.namespaces.iter().map(|n| n.self_nanos).sum();
    for n in &r.namespaces {
        let share = if all == 0 {
            0.0
        } else {
            n.self_nanos as f64 * 100.0 / all as f64
        };
        writeln!(
            w,
            "  {:<24} {:>12} ms {:>5.1}%{}",
            clip(&n.namespace, 24),
            ms(n.self_nanos),
            share,
            if n.opaque { "  (opaque)" } else { "" }
        )?;
    }

    // Transaction analyses (categories.rs, save_order.rs).
    super::categories::write_text(w, &r.time_by_category, st, width)?;
    super::save_order::write_text(w, &r.save_order, st, width)?;

    super::coverage::write_text(w, r, st, width)?;

    if let Some(t) = &r.tree {
        writeln!(w)?;
        writeln!(w, "{}", st.bold("Call tree (total ms / self ms, log line)"))?;
        for n in &t.nodes {
            let indent = "  ".repeat(n.depth as usize);
            let tail = format!(
                "  {} / {} ms  @{}{}",
                ms(n.total_nanos),
                ms(n.self_nanos),
                n.log_line,
                if n.estimated { " (end estimated)" } else { "" }
            );
            let fixed = 2 + indent.len() + n.kind.chars().count() + 1 + tail.chars().count();
            if fixed + 12 <= width {
                writeln!(
                    w,
                    "  {indent}{} {}{tail}",
                    st.dim(&n.kind),
                    clip(&n.name, width - fixed),
                )?;
            } else {
                let line = format!("  {indent}{} {}{tail}", n.kind, n.name);
                writeln!(w, "{}", clip(&line, width))?;
            }
        }
        if t.omitted > 0 {
            let note = format!(
                "({} of {} frames not shown: deeper than {} levels or beyond {} lines; \
                 see --tree-depth/--tree-lines)",
                t.omitted, t.frames, t.max_depth, t.max_lines
            );
            let dim = |s: &str| st.dim(s);
            write_wrapped(w, width, "  ", 2, &note, 3, &dim)?;
        }
    }
    Ok(())
}

fn write_finding<W: Write>(
    w: &mut W,
    width: usize,
    n: usize,
    f: &Finding,
    st: &Style,
) -> io::Result<()> {
    let count = if f.count > 1 {
        format!(" ×{}", f.count)
    } else {
        String::new()
    };
    // `  NN. SEVER ID ×N  ` then the message, wrapped at column 8 below.
    let head = format!("  {n:>2}. {:<5} {}{count}  ", f.severity.as_str(), f.id);
    let head_n = head.chars().count();
    let id = clip(&f.id, width - 16);
    let lines = if head_n + 16 <= width {
        wrap_first(&f.message, width - head_n, width - 8, 4)
    } else {
        let mut v = vec![String::new()];
        v.extend(wrap(&f.message, width - 8, 4));
        v
    };
    for (i, l) in lines.iter().enumerate() {
        if i == 0 {
            writeln!(
                w,
                "  {n:>2}. {} {}{count}  {l}",
                sev(st, f.severity),
                st.bold(&id)
            )?;
        } else {
            writeln!(w, "        {l}")?;
        }
    }
    // Where first (method, source line, log line), then whose code: a line break falls
    // between whole parts.
    let mut at = Vec::new();
    if let Some(m) = &f.method {
        at.push(format!("in {}", clip(m, width - 11)));
    }
    if let Some(l) = f.source_line {
        at.push(format!("line [{l}]"));
    }
    let mut log = if f.last_line > f.log_line {
        format!("log lines {}–{}", f.log_line, f.last_line)
    } else {
        format!("log line {}", f.log_line)
    };
    if let Some(fl) = f.fatal_line
        && fl != f.log_line
    {
        log.push_str(&format!(" (FATAL_ERROR at {fl})"));
    }
    at.push(log);
    let ns = match &f.caller_namespace {
        Some(c) => format!(
            "ns {} (called from {})",
            safe_text(f.namespace.as_bytes()),
            safe_text(c.as_bytes())
        ),
        None => format!("ns {}", safe_text(f.namespace.as_bytes())),
    };
    at.push(ns);
    if f.origin_hidden {
        at.push(format!(
            "origin hidden ({})",
            safe_text(f.namespace.as_bytes())
        ));
    }
    for l in wrap_parts(&at, width - 8) {
        writeln!(w, "        {}", st.dim(&l))?;
    }
    if let Some(r) = &f.remedy {
        let dim = |s: &str| st.dim(s);
        write_wrapped(w, width, "        → ", 10, r, 3, &dim)?;
    }
    Ok(())
}

fn write_table<W: Write>(
    w: &mut W,
    width: usize,
    title: &str,
    t: &StatementTable,
    unit: &str,
    st: &Style,
) -> io::Result<()> {
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        st.bold(&format!(
            "{title}: {} {unit}, {} rows, {} ms",
            t.count,
            t.rows,
            ms(t.time_nanos)
        ))
    )?;
    if t.count == 0 {
        return Ok(());
    }
    for n in &t.by_namespace {
        writeln!(
            w,
            "  {:<24} {:>7} {unit:<10} {:>9} rows {:>12} ms",
            clip(&n.namespace, 24),
            n.count,
            n.rows,
            ms(n.time_nanos)
        )?;
    }
    writeln!(
        w,
        "  {:>6} {:>7} {:>10}  {:<10} statement",
        "count", "rows", "ms", "namespace"
    )?;
    for s in t.statements.iter().take(STATEMENT_ROWS) {
        // 2 + 6 + 1 + 7 + 1 + 10 + 2 + 10 + 1 = 40 columns, the statement wrapped after.
        let first = format!(
            "  {:>6} {:>7} {:>10}  {:<10} ",
            s.count,
            s.rows,
            ms(s.time_nanos),
            clip(&s.namespace, 10)
        );
        if first.chars().count() <= 40 {
            write_wrapped(w, width, &first, 40, &s.statement, 3, &plain)?;
        } else {
            writeln!(w, "{}", clip(first.trim_end(), width))?;
            write_wrapped(w, width, &" ".repeat(40), 40, &s.statement, 3, &plain)?;
        }
    }
    if t.statements.len() > STATEMENT_ROWS {
        writeln!(
            w,
            "  {}",
            st.dim(&format!(
                "… {} more statements (see --format json)",
                t.statements.len() - STATEMENT_ROWS
            ))
        )?;
    }
    Ok(())
}
