//! Printing scan results: a summary table, JSON, NDJSON or CSV. All printers take the
//! reports in walk order and write to any `Write`.

use super::{FileReport, Finding, Status, Totals};
use crate::output::{Style, safe_text};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How many messages the table's "top messages" lists.
pub const TOP_MESSAGES: usize = 10;

/// A finding as printed: its file, then the one model's fields (docs/findings.md).
#[derive(Serialize)]
struct FindingOut<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    file: &'a str,
    #[serde(flatten)]
    finding: &'a Finding,
}

fn finding_out<'a>(file: &'a str, f: &'a Finding, typed: bool) -> FindingOut<'a> {
    FindingOut {
        kind: typed.then_some("finding"),
        file,
        finding: f,
    }
}

/// Counts for the summary, derived from the reports.
#[derive(Debug, Default)]
pub struct Summary {
    /// Totals.
    pub totals: Totals,
    /// (rule, severity) → findings.
    pub by_rule: Vec<(String, crate::rules::Severity, u64)>,
    /// namespace → findings.
    pub by_namespace: Vec<(String, u64)>,
    /// file → findings, for files with findings, in walk order.
    pub files_affected: Vec<(String, u64)>,
    /// (rule, message) → findings, most frequent first.
    pub top_messages: Vec<(String, String, u64)>,
    /// (file, reason) of failed inputs.
    pub failed: Vec<(String, String)>,
    /// (file, reason) of skipped inputs.
    pub skipped: Vec<(String, String)>,
}

impl Summary {
    /// Summarise `reports`.
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary {
            totals: Totals::of(reports),
            ..Summary::default()
        };
        let mut rules: BTreeMap<(&str, crate::rules::Severity), u64> = BTreeMap::new();
        let mut ns: BTreeMap<&str, u64> = BTreeMap::new();
        let mut msgs: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for r in reports {
            match &r.status {
                Status::Failed(why) => s.failed.push((r.name.clone(), why.clone())),
                Status::Skipped(why) => s.skipped.push((r.name.clone(), why.clone())),
                Status::Scanned => {}
            }
            if !r.findings.is_empty() {
                s.files_affected
                    .push((r.name.clone(), r.findings.len() as u64));
            }
            for f in &r.findings {
                *rules.entry((&f.id, f.severity)).or_default() += 1;
                *ns.entry(&f.namespace).or_default() += 1;
                *msgs.entry((&f.id, &f.message)).or_default() += 1;
            }
        }
        s.by_rule = rules
            .into_iter()
            .map(|((r, sev), n)| (r.to_string(), sev, n))
            .collect();
        // Worst first, then most frequent, then by id.
        s.by_rule
            .sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        s.by_namespace = ns.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        s.by_namespace
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        s.top_messages = msgs
            .into_iter()
            .map(|((r, m), n)| (r.to_string(), m.to_string(), n))
            .collect();
        s.top_messages
            .sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        s
    }

    fn to_json(&self) -> serde_json::Value {
        let t = &self.totals;
        serde_json::json!({
            "files": {
                "given": t.given,
                "scanned": t.scanned,
                "failed": t.failed,
                "skipped": t.skipped,
            },
            "findings": t.findings,
            "bytes": t.bytes,
            "by_rule": self.by_rule.iter().map(|(r, sev, n)| serde_json::json!({"rule": r, "severity": sev, "count": n})).collect::<Vec<_>>(),
            "by_namespace": self.by_namespace.iter().map(|(ns, n)| serde_json::json!({"namespace": ns, "count": n})).collect::<Vec<_>>(),
            "files_affected": self.files_affected.iter().map(|(f, n)| serde_json::json!({"file": f, "findings": n})).collect::<Vec<_>>(),
            "top_messages": self.top_messages.iter().take(TOP_MESSAGES).map(|(r, m, n)| serde_json::json!({"rule": r, "message": m, "count": n})).collect::<Vec<_>>(),
            "failed": self.failed.iter().map(|(f, why)| serde_json::json!({"file": f, "reason": why})).collect::<Vec<_>>(),
            "skipped": self.skipped.iter().map(|(f, why)| serde_json::json!({"file": f, "reason": why})).collect::<Vec<_>>(),
        })
    }
}

/// NDJSON: one `{"type":"finding",…}` per line, then one `{"type":"summary",…}`.
pub fn write_ndjson<W: Write>(w: &mut W, reports: &[FileReport], s: &Summary) -> io::Result<()> {
    for r in reports {
        for f in &r.findings {
            serde_json::to_writer(&mut *w, &finding_out(&r.name, f, true))?;
            w.write_all(b"\n")?;
        }
    }
    // `"type"` first, like the finding lines.
    let body = serde_json::to_string(&s.to_json())?;
    w.write_all(b"{\"type\":\"summary\",")?;
    w.write_all(&body.as_bytes()[1..])?;
    w.write_all(b"\n")
}

/// JSON: one document `{"findings":[…],"summary":{…}}`.
pub fn write_json<W: Write>(w: &mut W, reports: &[FileReport], s: &Summary) -> io::Result<()> {
    w.write_all(b"{\"findings\":[")?;
    let mut first = true;
    for r in reports {
        for f in &r.findings {
            if !first {
                w.write_all(b",")?;
            }
            first = false;
            serde_json::to_writer(&mut *w, &finding_out(&r.name, f, false))?;
        }
    }
    w.write_all(b"],\"summary\":")?;
    serde_json::to_writer(&mut *w, &s.to_json())?;
    w.write_all(b"}\n")
}

/// The CSV header row: the file, then the findings model's one-event fields.
pub const CSV_HEADER: [&str; 13] = [
    "file",
    "log_line",
    "event",
    "id",
    "severity",
    "namespace",
    "caller_namespace",
    "message_ns",
    "message",
    "count",
    "uncaught",
    "fatal_line",
    "source_line",
];

/// One `path:line: SEVERITY RULE [namespace] message` line per finding
/// ([`crate::findings::line`]), in file and log order.
pub fn write_lines<W: Write>(w: &mut W, reports: &[FileReport]) -> io::Result<()> {
    for r in reports {
        for f in &r.findings {
            writeln!(w, "{}", crate::findings::line(&r.name, f))?;
        }
    }
    Ok(())
}

/// CSV: a header row, then one row per finding (RFC 4180 quoting by the `csv` crate, LF
/// line ends).
pub fn write_csv<W: Write>(w: &mut W, reports: &[FileReport]) -> io::Result<()> {
    let mut c = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    c.write_record(CSV_HEADER)?;
    let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    for r in reports {
        for f in &r.findings {
            c.write_record([
                r.name.as_str(),
                &f.log_line.to_string(),
                f.event.as_deref().unwrap_or(""),
                &f.id,
                f.severity.as_str(),
                &f.namespace,
                f.caller_namespace.as_deref().unwrap_or(""),
                f.message_ns.as_deref().unwrap_or(""),
                &f.message,
                &f.count.to_string(),
                &f.uncaught.map(|u| u.to_string()).unwrap_or_default(),
                &opt(f.fatal_line),
                &opt(f.source_line.map(u64::from)),
            ])?;
        }
    }
    c.flush()
}

/// The table: counts per rule and per namespace, files affected, top messages, and the
/// file totals with the reason for every failed or skipped input.
pub fn write_table<W: Write>(w: &mut W, s: &Summary, st: Style) -> io::Result<()> {
    let t = &s.totals;
    if t.findings > 0 {
        writeln!(w, "{}", st.bold("Findings by rule"))?;
        writeln!(w, "{:>7}  {:<8} rule", "count", "severity")?;
        for (rule, sev, n) in &s.by_rule {
            let sev_txt = format!("{:<8}", sev.as_str());
            let sev_txt = match sev {
                crate::rules::Severity::Fatal => st.red(&sev_txt),
                crate::rules::Severity::Error => st.yellow(&sev_txt),
                _ => sev_txt,
            };
            writeln!(w, "{n:>7}  {sev_txt} {}", st.cyan(rule))?;
        }
        writeln!(w, "\n{}", st.bold("Findings by namespace"))?;
        writeln!(w, "{:>7}  namespace", "count")?;
        for (ns, n) in &s.by_namespace {
            writeln!(w, "{n:>7}  {}", safe_text(ns.as_bytes()))?;
        }
        writeln!(w, "\n{}", st.bold("Files affected"))?;
        writeln!(w, "{:>7}  file", "count")?;
        for (f, n) in &s.files_affected {
            writeln!(w, "{n:>7}  {}", safe_text(f.as_bytes()))?;
        }
        writeln!(w, "\n{}", st.bold("Top messages"))?;
        writeln!(w, "{:>7}  {:<22} message", "count", "rule")?;
        for (rule, msg, n) in s.top_messages.iter().take(TOP_MESSAGES) {
            writeln!(w, "{n:>7}  {:<22} {}", rule, safe_text(msg.as_bytes()))?;
        }
        writeln!(w)?;
    }
    writeln!(
        w,
        "{} finding{} in {} file{}; files: {} given, {} scanned, {} failed, {} skipped",
        t.findings,
        if t.findings == 1 { "" } else { "s" },
        s.files_affected.len(),
        if s.files_affected.len() == 1 { "" } else { "s" },
        t.given,
        t.scanned,
        t.failed,
        t.skipped
    )?;
    if !s.failed.is_empty() {
        writeln!(w, "{}", st.bold("Failed"))?;
        for (f, why) in &s.failed {
            writeln!(
                w,
                "  {}: {}",
                safe_text(f.as_bytes()),
                safe_text(why.as_bytes())
            )?;
        }
    }
    if !s.skipped.is_empty() {
        writeln!(w, "{}", st.bold("Skipped"))?;
        for (f, why) in &s.skipped {
            writeln!(
                w,
                "  {}: {}",
                safe_text(f.as_bytes()),
                safe_text(why.as_bytes())
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        let mut f = crate::findings::tests_support::finding();
        f.message = "a, \"b\"\nc".into();
        let reports = vec![FileReport {
            name: "x.log".into(),
            status: Status::Scanned,
            bytes: 1,
            findings: vec![f],
            analysis: None,
        }];
        let mut v = Vec::new();
        write_csv(&mut v, &reports).unwrap();
        let text = String::from_utf8(v).unwrap();
        assert!(text.starts_with("file,log_line,event,id,"), "{text}");
        assert!(text.contains("\"a, \"\"b\"\"\nc\""), "{text}");
    }
}
