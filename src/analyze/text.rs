//! The text form of a [`Report`]: sections for the summary, findings, limits, SOQL/DML,
//! time and (optionally) the call tree. Text from the log goes through
//! [`crate::output::safe_text`], so a log can never drive the terminal.

use super::{Finding, Report, StatementTable};
use crate::output::{safe_text, Style};
use crate::rules::Severity;
use std::io::{self, Write};

/// Most statement rows printed per table.
const STATEMENT_ROWS: usize = 15;
/// Longest statement text printed.
const STATEMENT_WIDTH: usize = 100;

fn ms(n: u64) -> String {
    format!("{:.3}", n as f64 / 1e6)
}

fn clip(s: &str, n: usize) -> String {
    let s = safe_text(s.as_bytes());
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
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

/// Write the report as text.
pub fn write<W: Write>(w: &mut W, r: &Report, st: &Style) -> io::Result<()> {
    let s = &r.summary;
    writeln!(
        w,
        "{} {}  (view: {})",
        st.bold("dbglog analyze:"),
        safe_text(r.file.as_bytes()),
        r.view
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
    writeln!(
        w,
        "  Log levels    {}",
        if levels.is_empty() {
            "-".into()
        } else {
            levels.join(", ")
        }
    )?;
    writeln!(
        w,
        "  User          {}",
        s.user
            .as_deref()
            .map_or("-".into(), |v| safe_text(v.as_bytes()))
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
            writeln!(w, "{head}{}{ns} ×{}", clip(&e.name, 90), e.count)?;
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
    writeln!(w, "  Namespaces    {}", nss.join(", "))?;
    if !r.hidden_namespaces.is_empty() {
        writeln!(
            w,
            "  Hidden here   {}",
            r.hidden_namespaces
                .iter()
                .map(|n| safe_text(n.as_bytes()))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    let e = &r.exceptions;
    writeln!(
        w,
        "  Exceptions    {} thrown: {} uncaught, {} caught ({} FATAL_ERROR line(s))",
        e.thrown, e.uncaught, e.caught, e.fatal_error_lines
    )?;
    writeln!(
        w,
        "  SOQL / DML    {} queries ({} rows) / {} statements ({} rows)",
        r.soql.count, r.soql.rows, r.dml.count, r.dml.rows
    )?;
    if r.sosl.count > 0 {
        writeln!(
            w,
            "  SOSL          {} searches ({} rows)",
            r.sosl.count, r.sosl.rows
        )?;
    }
    for (what, t) in [("SOQL", &r.soql), ("DML", &r.dml), ("SOSL", &r.sosl)] {
        for n in t.by_namespace.iter().filter(|n| !n.differs.is_empty()) {
            writeln!(
                w,
                "  {what:<13} {} in {} against {} in its limits block: {}",
                n.count,
                n.namespace,
                n.limits_block.unwrap_or(0),
                n.differs.join(", ")
            )?;
        }
    }
    if r.heap.used_bytes > 0 {
        writeln!(
            w,
            "  Heap          {} bytes (from {}; allocations peak {}, limits block {})",
            r.heap.used_bytes,
            r.heap.source,
            r.heap.computed_peak_bytes,
            r.heap
                .reported_bytes
                .map_or_else(|| "none".to_string(), |b| b.to_string())
        )?;
    }
    if !r.log_issues.is_empty() {
        let v: Vec<String> = r
            .log_issues
            .iter()
            .map(|i| format!("{} {}", i.kind, i.count))
            .collect();
        writeln!(w, "  Log issues    {}", v.join(", "))?;
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
        write_finding(w, i + 1, f, st)?;
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
            st.cyan(&safe_text(l.namespace.as_bytes())),
            l.blocks
        )?;
        let mut zero = 0;
        for row in &l.rows {
            if row.peak == 0 && row.last == 0 {
                zero += 1;
                continue;
            }
            let line = format!(
                "    {:<44} peak {:>9} / {:<9} {:>3}%   last {:>9} {:>3}%",
                clip(&row.label, 44),
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

    write_table(w, "SOQL", &r.soql, "queries", st)?;
    write_table(w, "DML", &r.dml, "statements", st)?;
    if r.sosl.count > 0 {
        write_table(w, "SOSL", &r.sosl, "searches", st)?;
    }

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
                clip(&m.name, 100)
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

    if let Some(t) = &r.tree {
        writeln!(w)?;
        writeln!(w, "{}", st.bold("Call tree (total ms / self ms, log line)"))?;
        for n in &t.nodes {
            let indent = "  ".repeat(n.depth as usize);
            writeln!(
                w,
                "  {indent}{} {}  {} / {} ms  @{}{}",
                st.dim(&n.kind),
                clip(&n.name, 100),
                ms(n.total_nanos),
                ms(n.self_nanos),
                n.log_line,
                if n.estimated { " (end estimated)" } else { "" }
            )?;
        }
        if t.omitted > 0 {
            writeln!(
                w,
                "  {}",
                st.dim(&format!(
                    "({} of {} frames not shown: deeper than {} levels or beyond {} lines; see --tree-depth/--tree-lines)",
                    t.omitted, t.frames, t.max_depth, t.max_lines
                ))
            )?;
        }
    }
    Ok(())
}

fn write_finding<W: Write>(w: &mut W, n: usize, f: &Finding, st: &Style) -> io::Result<()> {
    let count = if f.count > 1 {
        format!(" ×{}", f.count)
    } else {
        String::new()
    };
    writeln!(
        w,
        "  {n:>2}. {} {}{count}  {}",
        sev(st, f.severity),
        st.bold(&f.id),
        clip(&f.message, 220)
    )?;
    let mut at = Vec::new();
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
    if let Some(m) = &f.method {
        at.push(format!("in {}", clip(m, 100)));
    }
    if let Some(l) = f.source_line {
        at.push(format!("line [{l}]"));
    }
    let mut log = format!("log line {}", f.log_line);
    if let Some(fl) = f.fatal_line {
        if fl != f.log_line {
            log.push_str(&format!(" (FATAL_ERROR at {fl})"));
        }
    }
    at.push(log);
    writeln!(w, "        {}", st.dim(&at.join(" · ")))?;
    if let Some(r) = &f.remedy {
        writeln!(w, "        {}", st.dim(&format!("→ {}", clip(r, 200))))?;
    }
    Ok(())
}

fn write_table<W: Write>(
    w: &mut W,
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
        "  {:>7} {:>9} {:>12}  {:<12} statement",
        "count", "rows", "ms", "namespace"
    )?;
    for s in t.statements.iter().take(STATEMENT_ROWS) {
        writeln!(
            w,
            "  {:>7} {:>9} {:>12}  {:<12} {}",
            s.count,
            s.rows,
            ms(s.time_nanos),
            clip(&s.namespace, 12),
            clip(&s.statement, STATEMENT_WIDTH)
        )?;
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
