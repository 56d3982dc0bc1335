//! The aggregate of many analyze reports (`dbglog analyze PATH…`): how many logs, how many
//! failed and why, the slowest entry points, the most frequent findings, and what became
//! of every input. The JSON field names are the schema (`docs/analyze-json.md`).

use super::Report;
use super::text::{clip, ms};
use crate::output::Style;
use crate::rules::Severity;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};

/// Most rows of each aggregate table (causes, entry points, findings).
pub const TOP: usize = 10;

/// What became of one input (`inputs[]`): a file, an archive member, or stdin.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct InputStatus {
    /// The input's name: the path as reached from the argument, `a.zip!member` for a member.
    pub file: String,
    /// `scanned` (analyzed), `failed` or `skipped`.
    pub status: &'static str,
    /// Why it failed or was skipped; null when analyzed.
    pub reason: Option<String>,
}

/// A cause of failure shared by failed logs (`aggregate.failed_by[]`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Cause {
    /// The id of the finding the verdict names (`verdict.finding_id`), or null.
    pub id: Option<String>,
    /// Failed logs with this cause.
    pub logs: u64,
    /// The verdict headline of the first of them, in input order.
    pub example: String,
    /// That log's name.
    pub first_file: String,
}

/// One of the slowest logs, named by its entry point (`aggregate.slowest[]`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Slow {
    /// The log's name.
    pub file: String,
    /// Its first entry point (`summary.entry_points[0].name`), or null when it has none.
    pub entry_point: Option<String>,
    /// That entry point's namespace, or null.
    pub namespace: Option<String>,
    /// The log's `summary.wall_nanos`.
    pub wall_nanos: u64,
}

/// A finding id across logs (`aggregate.findings[]`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FindingCount {
    /// The finding id.
    pub id: String,
    /// The worst severity it had in any log.
    pub severity: Severity,
    /// Logs with at least one finding of this id.
    pub logs: u64,
    /// Findings of this id over every log (entries of `findings`, each grouped).
    pub findings: u64,
    /// Occurrences: their `count`s summed.
    pub occurrences: u64,
}

/// The aggregate over the analyzed logs.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Aggregate {
    /// Logs analyzed (inputs with status `scanned`).
    pub logs: u64,
    /// Of them, those whose verdict is `failed`.
    pub failed_logs: u64,
    /// Of them, those whose verdict is `ok`.
    pub ok_logs: u64,
    /// Inputs that could not be read (status `failed`).
    pub failed_inputs: u64,
    /// Inputs that hold no log (status `skipped`).
    pub skipped_inputs: u64,
    /// Log bytes analyzed.
    pub bytes: u64,
    /// Why the failed logs failed: by the verdict's finding id, most logs first.
    pub failed_by: Vec<Cause>,
    /// The slowest logs by wall time, slowest first.
    pub slowest: Vec<Slow>,
    /// Finding ids by the number of logs that have them, most first.
    pub findings: Vec<FindingCount>,
}

impl Aggregate {
    /// The aggregate of `logs` (in input order) and the statuses of every input.
    pub fn of(logs: &[&Report], inputs: &[InputStatus]) -> Aggregate {
        let count = |s: &str| inputs.iter().filter(|i| i.status == s).count() as u64;
        let failed_logs = logs.iter().filter(|r| r.verdict.status == "failed").count() as u64;
        Aggregate {
            logs: logs.len() as u64,
            failed_logs,
            ok_logs: logs.len() as u64 - failed_logs,
            failed_inputs: count("failed"),
            skipped_inputs: count("skipped"),
            bytes: logs.iter().map(|r| r.summary.bytes).sum(),
            failed_by: causes(logs),
            slowest: slowest(logs),
            findings: finding_counts(logs),
        }
    }
}

fn causes(logs: &[&Report]) -> Vec<Cause> {
    let mut out: Vec<Cause> = Vec::new();
    let mut at: HashMap<Option<&str>, usize> = HashMap::new();
    for r in logs.iter().filter(|r| r.verdict.status == "failed") {
        let id = r.verdict.finding_id.as_deref();
        match at.get(&id) {
            Some(&i) => out[i].logs += 1,
            None => {
                at.insert(id, out.len());
                out.push(Cause {
                    id: id.map(str::to_string),
                    logs: 1,
                    example: r.verdict.headline.clone(),
                    first_file: r.file.clone(),
                });
            }
        }
    }
    // Stable: equal counts keep the order of first appearance.
    out.sort_by_key(|c| std::cmp::Reverse(c.logs));
    out.truncate(TOP);
    out
}

fn slowest(logs: &[&Report]) -> Vec<Slow> {
    let mut out: Vec<Slow> = logs
        .iter()
        .map(|r| {
            let ep = r.summary.entry_points.first();
            Slow {
                file: r.file.clone(),
                entry_point: ep.map(|e| e.name.clone()),
                namespace: ep.map(|e| e.namespace.clone()),
                wall_nanos: r.summary.wall_nanos,
            }
        })
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse(s.wall_nanos));
    out.truncate(TOP);
    out
}

fn finding_counts(logs: &[&Report]) -> Vec<FindingCount> {
    let mut out: Vec<FindingCount> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for r in logs {
        let mut seen: Vec<usize> = Vec::new();
        for f in &r.findings {
            let i = *at.entry(f.id.as_str()).or_insert_with(|| {
                out.push(FindingCount {
                    id: f.id.clone(),
                    severity: f.severity,
                    logs: 0,
                    findings: 0,
                    occurrences: 0,
                });
                out.len() - 1
            });
            let c = &mut out[i];
            if f.severity > c.severity {
                c.severity = f.severity;
            }
            c.findings += 1;
            c.occurrences += f.count;
            if !seen.contains(&i) {
                seen.push(i);
                c.logs += 1;
            }
        }
    }
    out.sort_by(|a, b| {
        b.logs
            .cmp(&a.logs)
            .then(b.occurrences.cmp(&a.occurrences))
            .then(a.id.cmp(&b.id))
    });
    out.truncate(TOP);
    out
}

/// The header line of log `n` of `total` in the text form of many reports.
pub fn write_header<W: Write>(
    w: &mut W,
    n: usize,
    total: usize,
    file: &str,
    st: &Style,
    width: usize,
) -> io::Result<()> {
    let lead = format!("==> [{n}/{total}] ");
    let room = width.max(60).saturating_sub(lead.chars().count() + 4);
    writeln!(
        w,
        "{}",
        st.bold(&format!("{lead}{} <==", clip_left(file, room)))
    )
}

/// `s` made safe and cut to its last `n` columns, `…` first when cut: a path keeps its
/// file name.
fn clip_left(s: &str, n: usize) -> String {
    let s = clip(s, usize::MAX);
    let len = s.chars().count();
    if len <= n {
        return s;
    }
    let mut t = String::from("…");
    t.extend(s.chars().skip(len + 1 - n.max(1)));
    t
}

/// Write the aggregate as text, every line within `width` columns (at least 60).
pub fn write_text<W: Write>(
    w: &mut W,
    a: &Aggregate,
    inputs: &[InputStatus],
    st: &Style,
    width: usize,
) -> io::Result<()> {
    let width = width.max(60);
    writeln!(
        w,
        "{}",
        st.bold(&clip(
            &format!(
                "==> {} logs: {} failed, {} ok <==",
                a.logs, a.failed_logs, a.ok_logs
            ),
            width
        ))
    )?;
    writeln!(
        w,
        "  Inputs        {} given: {} analyzed, {} failed, {} skipped",
        inputs.len(),
        a.logs,
        a.failed_inputs,
        a.skipped_inputs
    )?;
    writeln!(w, "  Bytes         {}", a.bytes)?;
    if !a.failed_by.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", st.bold("Failed because"))?;
        writeln!(w, "  {:>5}  cause", "logs")?;
        for c in &a.failed_by {
            let id = c.id.as_deref().unwrap_or("-");
            writeln!(w, "  {:>5}  {}", c.logs, clip(id, width - 9))?;
            writeln!(w, "         {}", clip(&c.example, width - 9))?;
            writeln!(
                w,
                "         first in {}",
                clip_left(&c.first_file, width - 18)
            )?;
        }
    }
    if !a.slowest.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", st.bold("Slowest entry points"))?;
        writeln!(w, "  {:>12}  entry point (log)", "wall ms")?;
        for s in &a.slowest {
            let ep = match (&s.entry_point, &s.namespace) {
                (Some(e), Some(ns)) if ns != "(default)" => format!("{e} [{ns}]"),
                (Some(e), _) => e.clone(),
                (None, _) => "(no entry point)".to_string(),
            };
            writeln!(w, "  {:>12}  {}", ms(s.wall_nanos), clip(&ep, width - 16))?;
            writeln!(w, "  {:>12}  {}", "", clip_left(&s.file, width - 16))?;
        }
    }
    if !a.findings.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", st.bold("Most frequent findings"))?;
        writeln!(
            w,
            "  {:>5}  {:>8}  {:>11}  sev    id",
            "logs", "findings", "occurrences"
        )?;
        for f in &a.findings {
            writeln!(
                w,
                "  {:>5}  {:>8}  {:>11}  {:<5}  {}",
                f.logs,
                f.findings,
                f.occurrences,
                f.severity.as_str(),
                clip(&f.id, width - 40)
            )?;
        }
    }
    let bad: Vec<&InputStatus> = inputs.iter().filter(|i| i.status != "scanned").collect();
    if !bad.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", st.bold("Not analyzed"))?;
        for i in bad {
            let why = i.reason.as_deref().unwrap_or("");
            writeln!(w, "  {:<7}  {}", i.status, clip_left(&i.file, width - 11))?;
            writeln!(w, "           {}", clip(why, width - 11))?;
        }
    }
    Ok(())
}
