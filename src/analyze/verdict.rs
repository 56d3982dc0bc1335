//! The verdict of a report and the order of its findings.
//!
//! - **Order.** Findings rank by severity and impact: uncaught exceptions and `fatal`
//!   findings first (by log line: what failed first), then limits at or above
//!   [`LIMIT_FIRST_PCT`] of their maximum (highest first), then errors, warnings and
//!   info, each by log line.
//! - **Grouping.** Identical findings (same id, severity, message, namespace, caller and
//!   outcome) raised at different places are one finding: `count` adds up, `log_line` is
//!   the first occurrence (with its method and source line) and `last_line` the last.
//! - **Verdict.** One line on how the transaction ended and why: `FAILED` with the first
//!   finding when it is an uncaught exception or a fatal finding, else `OK` with the
//!   errors the code handled and the limit that came closest to its maximum.

use super::{Finding, NsLimits};
use crate::rules::Severity;
use serde::Serialize;

/// A limit at or above this share of its maximum ranks right after uncaught and fatal
/// findings.
pub const LIMIT_FIRST_PCT: u64 = 95;

/// How the transaction ended, and why (`verdict` in the JSON).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Verdict {
    /// `failed` (an uncaught exception or a fatal finding ended it) or `ok`.
    pub status: String,
    /// The reason, in one line, without the status word.
    pub headline: String,
    /// Index into `findings` (0-based) of the finding the headline names, if any.
    pub finding: Option<usize>,
    /// That finding's id.
    pub finding_id: Option<String>,
}

impl Verdict {
    /// The status as the text report prints it (`FAILED`, `OK`).
    pub fn label(&self) -> String {
        self.status.to_uppercase()
    }
}

/// A finding with what ranking and the verdict need but the model does not carry.
#[derive(Clone, Debug)]
pub(crate) struct Ranked {
    pub finding: Finding,
    /// For limit findings: the peak as a percentage of the maximum.
    pub pct: Option<u64>,
    /// For exceptions: the exception's own text.
    pub detail: Option<String>,
    /// For findings inside a package called from other code: the code unit or method
    /// that called into the package (`CaseTrigger on Case trigger event BeforeInsert`).
    pub caller_unit: Option<String>,
}

/// The rank of a finding: 0 uncaught or fatal, 1 a limit at or above
/// [`LIMIT_FIRST_PCT`], 2 error, 3 warn, 4 info.
pub(crate) fn rank(f: &Finding, pct: Option<u64>) -> u8 {
    if f.uncaught == Some(true) || f.severity == Severity::Fatal {
        0
    } else if pct.is_some_and(|p| p >= LIMIT_FIRST_PCT) {
        1
    } else {
        match f.severity {
            Severity::Fatal | Severity::Error => 2,
            Severity::Warn => 3,
            Severity::Info => 4,
        }
    }
}

/// Group identical findings (see the module docs), keeping the first one's place.
pub(crate) fn group(v: Vec<Ranked>) -> Vec<Ranked> {
    let mut v = v;
    v.sort_by(|a, b| {
        a.finding
            .log_line
            .cmp(&b.finding.log_line)
            .then(a.finding.id.cmp(&b.finding.id))
    });
    let mut out: Vec<Ranked> = Vec::with_capacity(v.len());
    let mut at: std::collections::HashMap<GroupKey, usize> = std::collections::HashMap::new();
    for r in v {
        let key = GroupKey::of(&r.finding);
        match at.get(&key) {
            Some(&i) => {
                let g = &mut out[i];
                g.finding.count += r.finding.count;
                g.finding.last_line = g.finding.last_line.max(r.finding.last_line);
                g.finding.fatal_line = match (g.finding.fatal_line, r.finding.fatal_line) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                g.pct = g.pct.max(r.pct);
            }
            None => {
                at.insert(key, out.len());
                out.push(r);
            }
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct GroupKey {
    id: String,
    severity: Severity,
    message: String,
    namespace: String,
    caller: Option<String>,
    uncaught: Option<bool>,
    origin_hidden: bool,
}

impl GroupKey {
    fn of(f: &Finding) -> Self {
        GroupKey {
            id: f.id.clone(),
            severity: f.severity,
            message: f.message.clone(),
            namespace: f.namespace.clone(),
            caller: f.caller_namespace.clone(),
            uncaught: f.uncaught,
            origin_hidden: f.origin_hidden,
        }
    }
}

/// Sort by rank; uncaught and fatal findings then by log line (what failed first),
/// limits by percentage (highest first), the others by log line; then by id.
pub(crate) fn order(v: &mut [Ranked]) {
    v.sort_by(|a, b| {
        let ra = rank(&a.finding, a.pct);
        ra.cmp(&rank(&b.finding, b.pct))
            .then(if ra == 1 {
                b.pct.cmp(&a.pct)
            } else {
                std::cmp::Ordering::Equal
            })
            .then(a.finding.log_line.cmp(&b.finding.log_line))
            .then(a.finding.id.cmp(&b.finding.id))
    });
}

/// A limit label in a few words (`Maximum CPU time` → `CPU`).
fn short_label(label: &str) -> String {
    match label {
        "Maximum CPU time" => "CPU".to_string(),
        "Maximum heap size" => "heap".to_string(),
        l => l
            .strip_prefix("Number of ")
            .or_else(|| l.strip_prefix("Maximum "))
            .unwrap_or(l)
            .to_string(),
    }
}

/// The limit row closest to its maximum, over every namespace's pool:
/// (label, percentage, namespace).
fn top_limit(limits: &[NsLimits]) -> Option<(String, u64, String)> {
    let mut best: Option<(String, u64, String)> = None;
    for l in limits {
        for r in &l.rows {
            if r.max == 0 || r.peak == 0 {
                continue;
            }
            if best.as_ref().is_none_or(|b| r.peak_pct > b.1) {
                best = Some((r.label.clone(), r.peak_pct, l.namespace.clone()));
            }
        }
    }
    best
}

/// Where a finding was raised, for the headline: `raised in M line N (package NS, called
/// from C, entry point E)`.
fn place(f: &Finding, caller_unit: Option<&str>, entry: Option<&str>) -> String {
    let mut s = String::new();
    if f.origin_hidden {
        s.push_str("raised in hidden code");
    } else if let Some(m) = &f.method {
        // `E2CP.ThreadMatcher.findParent(Case)` → `E2CP.ThreadMatcher.findParent`.
        let m = m.split('(').next().unwrap_or(m);
        s.push_str("raised in ");
        s.push_str(m);
        if let Some(l) = f.source_line {
            s.push_str(&format!(" line {l}"));
        }
    } else {
        s.push_str(&format!("log line {}", f.log_line));
    }
    let mut paren = Vec::new();
    if f.namespace != "(default)" {
        paren.push(format!("package {}", f.namespace));
    }
    if let Some(c) = &f.caller_namespace {
        let by = caller_unit.map_or_else(|| c.clone(), short_unit);
        paren.push(format!("called from {by}"));
    }
    if let Some(e) = entry {
        let e = e.split('(').next().unwrap_or(e);
        let m = f
            .method
            .as_deref()
            .map(|m| m.split('(').next().unwrap_or(m));
        if m != Some(e) {
            paren.push(format!("entry point {e}"));
        }
    }
    if !paren.is_empty() {
        s.push_str(&format!(" ({})", paren.join(", ")));
    }
    s
}

/// A code unit or method name in a few words: a trigger's name
/// (`CaseTrigger on Case trigger event BeforeInsert` → `CaseTrigger`), a method without its
/// parameters (`Router.route(Case)` → `Router.route`).
fn short_unit(name: &str) -> String {
    if let Some((t, _)) = name
        .split_once(" on ")
        .filter(|_| name.contains(" trigger event "))
    {
        return t.to_string();
    }
    name.split('(').next().unwrap_or(name).to_string()
}

/// The verdict of findings already in their final order. `entry` is the transaction's
/// entry point when the input holds one transaction.
pub(crate) fn verdict(v: &[Ranked], limits: &[NsLimits], entry: Option<&str>) -> Verdict {
    if let Some((i, r)) = v
        .iter()
        .enumerate()
        .find(|(_, r)| rank(&r.finding, None) == 0)
    {
        let f = &r.finding;
        let what = r.detail.clone().unwrap_or_else(|| f.message.clone());
        let how = if f.uncaught == Some(true) {
            "uncaught"
        } else {
            "fatal"
        };
        let place = place(f, r.caller_unit.as_deref(), entry);
        let more = v.iter().filter(|r| rank(&r.finding, None) == 0).count() - 1;
        let more = if more > 0 {
            format!("; {more} more uncaught or fatal")
        } else {
            String::new()
        };
        return Verdict {
            status: "failed".into(),
            headline: format!("{what} — {how}, {place}{more}"),
            finding: Some(i),
            finding_id: Some(f.id.clone()),
        };
    }
    let errors: Vec<(usize, &Ranked)> = v
        .iter()
        .enumerate()
        .filter(|(_, r)| r.finding.severity >= Severity::Error)
        .collect();
    let mut parts = Vec::new();
    let mut finding = None;
    if errors.is_empty() {
        parts.push("no errors".to_string());
    } else {
        let n: u64 = errors.iter().map(|(_, r)| r.finding.count).sum();
        let (i, first) = errors[0];
        finding = Some(i);
        parts.push(format!(
            "{n} error{} handled, first {}",
            if n == 1 { "" } else { "s" },
            first.finding.id
        ));
    }
    if let Some((label, pct, ns)) = top_limit(limits) {
        let what = short_label(&label);
        let its = if what == "CPU" || what == "heap" {
            "its"
        } else {
            "their"
        };
        parts.push(format!(
            "{what} peaked at {pct}% of {its} limit (namespace {ns})"
        ));
    }
    Verdict {
        status: "ok".into(),
        headline: parts.join("; "),
        finding,
        finding_id: finding.map(|i| v[i].finding.id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::tests_support::finding;

    fn r(id: &str, sev: Severity, line: u64, uncaught: Option<bool>, pct: Option<u64>) -> Ranked {
        Ranked {
            finding: Finding {
                id: id.into(),
                severity: sev,
                log_line: line,
                last_line: line,
                uncaught,
                message: format!("{id} message"),
                ..finding()
            },
            pct,
            detail: None,
            caller_unit: None,
        }
    }

    #[test]
    fn uncaught_first_then_limits_at_95_then_by_severity() {
        let mut v = vec![
            r("CAUGHT", Severity::Error, 1, Some(false), None),
            r("INFO", Severity::Info, 2, None, None),
            r("HIGH", Severity::Warn, 3, None, Some(85)),
            r("CPU", Severity::Warn, 4, None, Some(95)),
            r("NPE", Severity::Error, 5, Some(true), None),
            r("FATAL", Severity::Fatal, 6, Some(true), None),
        ];
        order(&mut v);
        let ids: Vec<&str> = v.iter().map(|r| r.finding.id.as_str()).collect();
        assert_eq!(ids, ["NPE", "FATAL", "CPU", "CAUGHT", "HIGH", "INFO"]);
        let vd = verdict(&v, &[], None);
        assert_eq!((vd.status.as_str(), vd.finding), ("failed", Some(0)));
    }

    #[test]
    fn identical_findings_are_grouped_with_first_and_last_lines() {
        let mut a = r("SOQL_TABLESCAN", Severity::Warn, 10, None, None);
        a.finding.count = 4;
        a.finding.method = Some("A.b()".into());
        let mut b = a.clone();
        b.finding.log_line = 30;
        b.finding.last_line = 31;
        b.finding.method = Some("A.c()".into());
        let mut c = a.clone();
        c.finding.log_line = 20;
        c.finding.last_line = 20;
        let other = r("OTHER", Severity::Warn, 15, None, None);
        let g = group(vec![b, other, a, c]);
        assert_eq!(g.len(), 2);
        let t = &g[0].finding;
        assert_eq!((t.count, t.log_line, t.last_line), (12, 10, 31));
        assert_eq!(t.method.as_deref(), Some("A.b()"));
    }

    #[test]
    fn ok_names_handled_errors_and_the_limit_closest_to_its_maximum() {
        let v = vec![r("CAUGHT", Severity::Error, 1, Some(false), None)];
        let vd = verdict(&v, &[], None);
        assert_eq!(vd.status, "ok");
        assert_eq!(vd.headline, "1 error handled, first CAUGHT");
        assert_eq!(verdict(&[], &[], None).headline, "no errors");
    }
}
