//! Printing scan results: a summary table, JSON, NDJSON or CSV. All printers take the
//! reports in walk order and write to any `Write`.

use super::{FileReport, Finding, Status, Totals};
use crate::output::{safe_text, Style};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How many messages the table's "top messages" lists.
pub const TOP_MESSAGES: usize = 10;

#[derive(Serialize)]
struct FindingOut<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    file: &'a str,
    line: u64,
    event: &'a str,
    rule: &'a str,
    severity: crate::rules::Severity,
    namespace: &'a str,
    caller: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_ns: Option<&'a str>,
    message: &'a str,
    count: u32,
}

fn finding_out<'a>(file: &'a str, f: &'a Finding, typed: bool) -> FindingOut<'a> {
    FindingOut {
        kind: typed.then_some("finding"),
        file,
        line: f.line,
        event: &f.event,
        rule: &f.rule,
        severity: f.severity,
        namespace: &f.namespace,
        caller: f.caller.as_deref(),
        message_ns: f.message_ns.as_deref(),
        message: &f.message,
        count: f.count,
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
                *rules.entry((&f.rule, f.severity)).or_default() += 1;
                *ns.entry(&f.namespace).or_default() += 1;
                *msgs.entry((&f.rule, &f.message)).or_default() += 1;
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

/// The CSV header row.
pub const CSV_HEADER: &str =
    "file,line,event,rule,severity,namespace,caller,message_ns,message,count";

/// CSV: a header row, then one row per finding (RFC 4180 quoting, LF line ends).
pub fn write_csv<W: Write>(w: &mut W, reports: &[FileReport]) -> io::Result<()> {
    writeln!(w, "{CSV_HEADER}")?;
    for r in reports {
        for f in &r.findings {
            let line = f.line.to_string();
            let count = f.count.to_string();
            let cells: [&str; 10] = [
                &r.name,
                &line,
                &f.event,
                &f.rule,
                f.severity.as_str(),
                &f.namespace,
                f.caller.as_deref().unwrap_or(""),
                f.message_ns.as_deref().unwrap_or(""),
                &f.message,
                &count,
            ];
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                csv_cell(w, c)?;
            }
            w.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// One RFC 4180 field: quoted (with `"` doubled) when it holds `,`, `"`, CR or LF.
pub fn csv_cell<W: Write>(w: &mut W, s: &str) -> io::Result<()> {
    if s.contains([',', '"', '\r', '\n']) {
        write!(w, "\"{}\"", s.replace('"', "\"\""))
    } else {
        w.write_all(s.as_bytes())
    }
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
    fn csv_quoting() {
        let mut v = Vec::new();
        csv_cell(&mut v, "plain").unwrap();
        v.push(b'|');
        csv_cell(&mut v, "a, \"b\"\nc").unwrap();
        assert_eq!(String::from_utf8(v).unwrap(), "plain|\"a, \"\"b\"\"\nc\"");
    }
}
