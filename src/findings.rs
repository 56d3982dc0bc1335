//! Findings: the one model every command reports (`analyze`, `scan`, `diff`, the `capture`
//! index). One [`Finding`] type with one set of field names (docs/findings.md), and the
//! rules that decide a finding's severity and how an exception's events make one finding,
//! in one place.
//!
//! - **One exception, one finding.** An `EXCEPTION_THROWN` and the `FATAL_ERROR` lines
//!   that report the same exception (same message, later in the log) are one finding at the
//!   thrown line, `uncaught: true`, with `fatal_line` the first `FATAL_ERROR`'s line. A
//!   `FATAL_ERROR` with no thrown line before it is a finding of its own, uncaught.
//! - **Severity.** A catalogue rule's severity is the severity of an uncaught exception
//!   and of every other event it matches; a caught exception is at most `error`
//!   ([`exception_severity`]): the transaction went on.

use crate::event::EventType;
use crate::framing::RecordKind;
use crate::rules::{Catalogue, MARKER_EVENT, RuleMatch, Severity};
use crate::stream::Item;
use crate::track::Tracker;
use memchr::memchr;
use serde::Serialize;

/// One finding.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// Rule id (`QUERY_NON_SELECTIVE`, `NEAR_LIMIT`, `SOQL_IN_LOOP`, …).
    pub id: String,
    /// `info`, `warn`, `error` or `fatal`.
    pub severity: Severity,
    /// Short title.
    pub title: String,
    /// What happened, in one line.
    pub message: String,
    /// Namespace of the code the finding belongs to (`(default)` for the org's own code).
    pub namespace: String,
    /// Namespace that called into it, if another.
    pub caller_namespace: Option<String>,
    /// Innermost method or code unit (`E2CP.ThreadMatcher.findParent(Case)`), when known
    /// and visible.
    pub method: Option<String>,
    /// Source line (`[88]`), when known and visible.
    pub source_line: Option<u32>,
    /// Log line of the (first) event.
    pub log_line: u64,
    /// Log line of the last event grouped under this finding (`log_line` when there is
    /// one; scan lists each occurrence, so it is always its `log_line`).
    pub last_line: u64,
    /// How many times it happened (occurrences aggregated under one finding).
    pub count: u64,
    /// For exceptions: true if it ended in a `FATAL_ERROR`.
    pub uncaught: Option<bool>,
    /// For uncaught exceptions: log line of the first `FATAL_ERROR`.
    pub fatal_line: Option<u64>,
    /// True when the view hides where it came from (only the namespace is known).
    pub origin_hidden: bool,
    /// What to do about it.
    pub remedy: Option<String>,
    /// The event type of the (first) event (`MARKER` for truncation markers), when the
    /// finding is one event's; none for findings made of many (limits, loops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The managed-package namespace the message itself names (`acme:Too many …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_ns: Option<String>,
}

/// Longest message of a one-event finding, in characters (an ellipsis marks a cut).
pub const MESSAGE_MAX: usize = 200;

/// Match one located item (an event or a truncation marker) against `cat` and append a
/// finding per matching rule, in log order: the one place where catalogue rules become
/// findings, for `scan`, the `capture` index and anything else that lists them per event.
/// A limit block is matched line by line, each limit at its own line. Call
/// [`pair_exceptions`] on the whole list once the log is read.
pub fn match_item(cat: &Catalogue, item: &Item<'_>, t: &Tracker, out: &mut Vec<Finding>) {
    let rec = &item.record;
    let (event_type, text): (&str, &[u8]) = match (rec.kind, &item.event) {
        (RecordKind::Event, Some(ev)) => {
            (std::str::from_utf8(ev.type_name()).unwrap_or(""), ev.body())
        }
        (RecordKind::Skipped | RecordKind::MaxSize, _) => (MARKER_EVENT, trim_line(rec.raw)),
        _ => return,
    };
    if event_type.is_empty() {
        return;
    }
    let limit_block = item
        .event
        .as_ref()
        .is_some_and(|e| e.etype() == EventType::LimitUsageForNs);
    let (mut at, mut lines) = (0usize, 0u64);
    let pieces: Box<dyn Iterator<Item = &[u8]>> = if limit_block {
        Box::new(text.split_inclusive(|&c| c == b'\n'))
    } else {
        Box::new(std::iter::once(text))
    };
    let mut local: Vec<RuleMatch<'_>> = Vec::new();
    for piece in pieces {
        local.clear();
        cat.match_event(event_type, piece, &mut local);
        if !local.is_empty() {
            let ns = t.namespaces();
            let namespace = ns.name_str(item.loc.frame_ns).into_owned();
            let caller = item.loc.caller_ns.map(|c| ns.name_str(c).into_owned());
            let source_line = item.event.as_ref().and_then(|e| e.source_line());
            for m in &local {
                let rule = &cat.rules()[m.rule];
                out.push(Finding {
                    id: rule.id.clone(),
                    severity: rule.severity,
                    title: rule.title.clone(),
                    message: message(item.event.as_ref(), text, at + m.at),
                    namespace: namespace.clone(),
                    caller_namespace: caller.clone(),
                    method: None,
                    source_line,
                    log_line: rec.line + lines,
                    last_line: rec.line + lines,
                    count: 1,
                    uncaught: None,
                    fatal_line: None,
                    origin_hidden: false,
                    remedy: Some(rule.remedy.clone()).filter(|r| !r.is_empty()),
                    event: Some(event_type.to_string()),
                    message_ns: m.ns.map(|n| String::from_utf8_lossy(n).into_owned()),
                });
            }
        }
        at += piece.len();
        lines += 1;
    }
}

/// The line of `text` holding the match (which starts at byte `at`), made into a one-line message: for a match on the
/// first line, the event's last field (the free text without `[12]|`); otherwise the
/// trimmed line itself.
pub fn message(ev: Option<&crate::event::Event<'_>>, text: &[u8], at: usize) -> String {
    let at = at.min(text.len());
    let line_start = text[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let line = if line_start == 0 {
        match ev {
            Some(e) => {
                let lf = e.last_field();
                let lf = &lf[..memchr(b'\n', lf).unwrap_or(lf.len())];
                if lf.is_empty() { e.first_line() } else { lf }
            }
            None => text,
        }
    } else {
        &text[line_start..]
    };
    let line = trim_line(&line[..memchr(b'\n', line).unwrap_or(line.len())]);
    let s = String::from_utf8_lossy(line);
    let s = s.trim();
    if s.chars().count() <= MESSAGE_MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MESSAGE_MAX - 1).collect();
        t.push('…');
        t
    }
}

fn trim_line(b: &[u8]) -> &[u8] {
    let mut b = b;
    while let Some((&last, rest)) = b.split_last() {
        if last == b'\n' || last == b'\r' {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// The finding as one `path:line: SEVERITY RULE [namespace] message` line (no newline),
/// the shape editors and CI annotate from (`--format lines` of `analyze` and `scan`);
/// text from the log goes through [`crate::output::safe_text`].
pub fn line(path: &str, f: &Finding) -> String {
    use crate::output::safe_text;
    format!(
        "{}:{}: {} {} [{}] {}",
        safe_text(path.as_bytes()),
        f.log_line,
        f.severity.as_str().to_uppercase(),
        f.id,
        safe_text(f.namespace.as_bytes()),
        safe_text(f.message.as_bytes())
    )
}

/// The severity of a catalogue rule's finding on an exception: the rule's own when the
/// exception was uncaught (or is no exception), at most `error` when it was caught.
pub fn exception_severity(rule: Severity, uncaught: Option<bool>) -> Severity {
    match uncaught {
        Some(false) => rule.min(Severity::Error),
        _ => rule,
    }
}

/// Make one finding of each exception, in findings listed one per event in log order
/// (what a scan of the events gives): a `FATAL_ERROR` finding whose message and rule an
/// earlier `EXCEPTION_THROWN` finding has becomes that finding's `fatal_line` (it is
/// uncaught); a thrown finding without one was caught, and its severity is lowered by
/// [`exception_severity`]. Unpaired `FATAL_ERROR` findings stay, uncaught; a `FATAL_ERROR`
/// that repeats an exception already reported uncaught is dropped.
pub fn pair_exceptions(findings: &mut Vec<Finding>) {
    let is = |f: &Finding, t: &str| f.event.as_deref() == Some(t);
    let mut keep = vec![true; findings.len()];
    for i in 0..findings.len() {
        if is(&findings[i], "FATAL_ERROR") {
            let (before, rest) = findings.split_at_mut(i);
            let fatal = &mut rest[0];
            let same = |t: &Finding| t.id == fatal.id && t.message == fatal.message;
            // A FATAL_ERROR repeating an exception already reported uncaught is the same
            // exception (Salesforce writes it again as the stack unwinds).
            let repeated = before
                .iter()
                .zip(&keep)
                .any(|(t, &k)| k && same(t) && t.uncaught == Some(true));
            if repeated {
                keep[i] = false;
                continue;
            }
            let thrown = before
                .iter_mut()
                .rev()
                .find(|t| is(t, "EXCEPTION_THROWN") && same(t) && t.uncaught.is_none());
            match thrown {
                Some(t) => {
                    t.uncaught = Some(true);
                    t.fatal_line = Some(fatal.log_line);
                    keep[i] = false;
                }
                None => {
                    fatal.uncaught = Some(true);
                    fatal.fatal_line = Some(fatal.log_line);
                    fatal.count = 1;
                }
            }
        }
    }
    let mut k = keep.into_iter();
    findings.retain(|_| k.next().unwrap_or(true));
    for f in findings.iter_mut() {
        if is(f, "EXCEPTION_THROWN") {
            let uncaught = *f.uncaught.get_or_insert(false);
            f.severity = exception_severity(f.severity, Some(uncaught));
            f.count = 1;
        }
    }
}

/// A sample finding for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    pub fn finding() -> Finding {
        Finding {
            id: "NULL_POINTER".into(),
            severity: Severity::Error,
            title: String::new(),
            message: String::new(),
            namespace: "(default)".into(),
            caller_namespace: None,
            method: None,
            source_line: None,
            log_line: 1,
            last_line: 1,
            count: 1,
            uncaught: None,
            fatal_line: None,
            origin_hidden: false,
            remedy: None,
            event: Some("EXCEPTION_THROWN".into()),
            message_ns: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(line: u64, event: &str, id: &str, msg: &str, sev: Severity) -> Finding {
        Finding {
            id: id.into(),
            severity: sev,
            message: msg.into(),
            log_line: line,
            last_line: line,
            event: Some(event.into()),
            ..tests_support::finding()
        }
    }

    #[test]
    fn an_exception_and_its_fatal_lines_are_one_finding() {
        let fatal = Severity::Fatal;
        let mut v = vec![
            f(3, "EXCEPTION_THROWN", "LIMIT_SOQL", "too many", fatal),
            f(
                5,
                "EXCEPTION_THROWN",
                "QUERY_NON_SELECTIVE",
                "non-selective",
                fatal,
            ),
            f(9, "FATAL_ERROR", "LIMIT_SOQL", "too many", fatal),
            f(12, "FATAL_ERROR", "ANY_UNCAUGHT", "other", fatal),
            f(14, "FATAL_ERROR", "LIMIT_SOQL", "too many", fatal),
            f(16, "FATAL_ERROR", "ANY_UNCAUGHT", "other", fatal),
        ];
        pair_exceptions(&mut v);
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].uncaught, v[0].fatal_line), (Some(true), Some(9)));
        assert_eq!(v[0].severity, Severity::Fatal);
        assert_eq!(v[1].uncaught, Some(false));
        assert_eq!(v[1].severity, Severity::Error, "caught: at most error");
        assert_eq!((v[2].log_line, v[2].uncaught), (12, Some(true)));
    }
}
