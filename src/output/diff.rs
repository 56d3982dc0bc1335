//! The text printer of `dbglog diff` reports.

use crate::output::{Style, safe_text};
use crate::view::diff::{DiffItem, DiffReport, Origin};
use std::io::Write;

fn ms(ns: u64) -> String {
    format!("{:.2} ms", ns as f64 / 1e6)
}

fn place(o: &Origin) -> String {
    let mut s = match (&o.class, &o.method) {
        (Some(c), Some(m)) if !c.is_empty() => format!("{c}.{m}"),
        (_, Some(m)) => m.clone(),
        _ => format!("({})", o.ns),
    };
    if let Some(l) = o.src_line {
        s.push_str(&format!(" [{l}]"));
    }
    s
}

/// The text report of one diff: the verdict, the hidden namespaces with their counts and
/// time, then each finding with where it was raised.
pub fn text_report(r: &DiffReport, out: &mut dyn Write, style: Style) -> std::io::Result<()> {
    let file = safe_text(r.file.as_bytes());
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{file}: {} view vs full view: {}",
            r.view,
            if r.equal {
                "equal".to_string()
            } else {
                format!("{} record(s) differ", r.changed_records)
            }
        ))
    )?;
    for n in &r.namespaces {
        if n.hidden_events > 0 {
            writeln!(
                out,
                "  {}: {} event(s) hidden ({} replaced by markers, {} dropped), {} in its code",
                safe_text(n.ns.as_bytes()),
                n.hidden_events,
                n.markers,
                n.dropped,
                ms(n.time_ns)
            )?;
        }
        if !n.opaque_sections.is_empty() {
            writeln!(
                out,
                "  {}: already opaque in this log ({} section(s), {} in its code); errors inside may be hidden:",
                safe_text(n.ns.as_bytes()),
                n.opaque_count,
                ms(n.time_ns)
            )?;
            for s in n.opaque_sections.iter().take(20) {
                writeln!(out, "    lines {}-{}", s.first_line, s.last_line)?;
            }
            if n.opaque_sections.len() > 20 {
                writeln!(out, "    … {} more", n.opaque_sections.len() - 20)?;
            }
        }
    }
    let mut last_kind = 255u8;
    for (i, item) in r.items.iter().enumerate() {
        let (kind, heading) = match item {
            DiffItem::HiddenError { .. } => (
                0,
                "Errors the subscriber cannot see (raised and handled in hidden code)",
            ),
            DiffItem::HiddenOrigin { .. } => (1, "Errors whose origin is hidden"),
            DiffItem::HiddenSoql { .. } => (2, "SOQL whose issuing class and line are hidden"),
            DiffItem::HiddenDebug { .. } => (3, "Debug lines hidden"),
        };
        if kind != last_kind {
            writeln!(out, "{}", style.bold(heading))?;
            last_kind = kind;
        }
        let n = i + 1;
        match item {
            DiffItem::HiddenError {
                line,
                message,
                origin,
                handled_at,
            } => {
                writeln!(
                    out,
                    "{}",
                    style.red(&format!(
                        "{n}. line {line}: {} in {}: {}",
                        origin.ns,
                        safe_text(place(origin).as_bytes()),
                        safe_text(message.as_bytes())
                    ))
                )?;
                if let Some(q) = &origin.soql {
                    writeln!(
                        out,
                        "     SOQL at line {}{}: {}",
                        q.line,
                        q.src_line.map(|l| format!(" [{l}]")).unwrap_or_default(),
                        safe_text(q.query.as_bytes())
                    )?;
                }
                for f in &origin.stack {
                    writeln!(out, "     at {}", safe_text(f.as_bytes()))?;
                }
                if let Some(h) = handled_at {
                    writeln!(
                        out,
                        "     handled inside {}: its frame returned normally at line {h}",
                        origin.ns
                    )?;
                }
            }
            DiffItem::HiddenOrigin {
                line,
                event,
                message,
                hidden_frames,
                origin,
                repeats,
            } => {
                let again = if repeats.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (again at {})",
                        repeats
                            .iter()
                            .map(|l| l.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                writeln!(
                    out,
                    "{}",
                    style.yellow(&format!(
                        "{n}. line {line}{again}: {event}: {}",
                        safe_text(message.as_bytes())
                    ))
                )?;
                if let Some(o) = origin {
                    writeln!(
                        out,
                        "     raised at line {} in {} ({})",
                        o.line,
                        safe_text(place(o).as_bytes()),
                        o.ns
                    )?;
                }
                for f in hidden_frames {
                    writeln!(out, "     hidden frame: {}", safe_text(f.as_bytes()))?;
                }
            }
            DiffItem::HiddenSoql {
                line,
                src_line,
                ns,
                class,
                method,
                query,
            } => {
                let o = Origin {
                    line: *line,
                    src_line: *src_line,
                    ns: ns.clone(),
                    class: class.clone(),
                    method: method.clone(),
                    soql: None,
                    stack: Vec::new(),
                };
                writeln!(
                    out,
                    "{n}. line {line}: {ns} {}: {}",
                    safe_text(place(&o).as_bytes()),
                    safe_text(query.as_bytes())
                )?;
            }
            DiffItem::HiddenDebug {
                line,
                src_line,
                ns,
                level,
                text,
            } => {
                writeln!(
                    out,
                    "{n}. line {line}: {ns}{} {level}: {}",
                    src_line.map(|l| format!(" [{l}]")).unwrap_or_default(),
                    safe_text(text.as_bytes())
                )?;
            }
        }
    }
    Ok(())
}
