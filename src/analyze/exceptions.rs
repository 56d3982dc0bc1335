//! Exceptions: each `EXCEPTION_THROWN` waits until the end of its execution for a
//! `FATAL_ERROR` with the same text, which makes it uncaught; the rest were caught. Doubled
//! `FATAL_ERROR` lines count once. Each exception becomes a finding of the catalogue rules
//! its text matches, or `EXCEPTION_CAUGHT` / `EXCEPTION_UNCAUGHT`.

use super::findings::{Ctx, Ident, Keep, first_line, is_native_rule};
use super::{Analyzer, TEXT_CAP, cap_text};
use crate::event::Event;
use crate::rules::Severity;
use crate::stream::Item;
use crate::track::Tracker;

/// At most this many exceptions of one execution are kept for caught/uncaught pairing.
const PENDING_CAP: usize = 10_000;

/// An exception waiting for the end of its execution.
#[derive(Debug)]
pub(super) struct Pending {
    msg: Box<[u8]>,
    ctx: Ctx,
    rules: Vec<usize>,
    line: u64,
    /// The line of the event the rules matched: the thrown line, or the `FATAL_ERROR`
    /// line when only its text matched (as scan reports it).
    rule_line: u64,
    fatal_line: Option<u64>,
    thrown: bool,
}

impl<'c> Analyzer<'c> {
    pub(super) fn thrown(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        self.exc.thrown += 1;
        let msg = ev.field(1).unwrap_or(b"");
        let msg = first_line(msg);
        self.run_rules("EXCEPTION_THROWN", ev.body());
        let rules: Vec<usize> = self.matches.clone();
        let ctx = self.ctx(item, t);
        if self.pending.len() >= PENDING_CAP {
            // Too many in one execution: report as caught without pairing.
            self.emit_exception(&Pending {
                msg: Box::from(msg),
                ctx,
                rules,
                line: ev.line,
                rule_line: ev.line,
                fatal_line: None,
                thrown: true,
            });
            return;
        }
        self.pending.push(Pending {
            msg: Box::from(&msg[..msg.len().min(TEXT_CAP)]),
            ctx,
            rules,
            line: ev.line,
            rule_line: ev.line,
            fatal_line: None,
            thrown: true,
        });
    }

    pub(super) fn fatal(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        self.exc.fatal_error_lines += 1;
        let msg = ev.first_line();
        let msg = &msg[..msg.len().min(TEXT_CAP)];
        if let Some(p) = self.pending.iter_mut().rev().find(|p| &p.msg[..] == msg) {
            if p.fatal_line.is_some() {
                return; // the doubled FATAL_ERROR line
            }
            p.fatal_line = Some(ev.line);
            if p.rules.is_empty() {
                self.run_rules("FATAL_ERROR", ev.body());
                let rules: Vec<usize> = self.matches.clone();
                if let Some(p) = self.pending.iter_mut().rev().find(|p| &p.msg[..] == msg) {
                    p.rules = rules;
                    p.rule_line = ev.line;
                }
            }
            return;
        }
        self.run_rules("FATAL_ERROR", ev.body());
        let rules: Vec<usize> = self.matches.clone();
        let ctx = self.ctx(item, t);
        let p = Pending {
            msg: Box::from(msg),
            ctx,
            rules,
            line: ev.line,
            rule_line: ev.line,
            fatal_line: Some(ev.line),
            thrown: false,
        };
        if self.pending.len() >= PENDING_CAP {
            self.emit_exception(&p);
        } else {
            self.pending.push(p);
        }
    }

    pub(super) fn flush_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for p in &pending {
            self.emit_exception(p);
        }
        self.pending = pending;
        self.pending.clear();
    }

    pub(super) fn emit_exception(&mut self, p: &Pending) {
        let uncaught = p.fatal_line.is_some();
        if uncaught {
            self.exc.uncaught += 1;
        } else {
            self.exc.caught += 1;
        }
        let how = if uncaught { "uncaught" } else { "caught" };
        let msg = || cap_text(&p.msg, 300);
        let cat = self.cat;
        let keep = if uncaught {
            Keep::OriginHidden
        } else {
            Keep::Drop
        };
        let extra = if uncaught { 2 } else { 1 };
        let rules = p
            .rules
            .iter()
            .copied()
            .filter(|&r| !is_native_rule(&cat.rules()[r].id));
        if rules.clone().next().is_none() {
            let (id, sev, title) = if uncaught {
                ("EXCEPTION_UNCAUGHT", Severity::Fatal, "Uncaught exception")
            } else {
                ("EXCEPTION_CAUGHT", Severity::Warn, "Caught exception")
            };
            let f = self.add_finding(Ident::Native(id), p.ctx, extra, sev, p.line, keep, || {
                format!("{title}: {}", msg())
            });
            f.uncaught = Some(uncaught);
            if f.fatal_line.is_none() {
                f.fatal_line = p.fatal_line;
            }
            if f.detail.is_none() {
                f.detail = Some(msg());
            }
            return;
        }
        for r in rules {
            let rule = &cat.rules()[r];
            let sev = crate::findings::exception_severity(rule.severity, Some(uncaught));
            let thrown = p.thrown;
            let f = self.add_finding(Ident::Rule(r), p.ctx, extra, sev, p.rule_line, keep, || {
                if thrown {
                    format!("{} ({how}): {}", rule.title, msg())
                } else {
                    format!("{} (uncaught, FATAL_ERROR): {}", rule.title, msg())
                }
            });
            f.uncaught = Some(uncaught);
            if f.fatal_line.is_none() {
                f.fatal_line = p.fatal_line;
            }
            if f.detail.is_none() {
                f.detail = Some(msg());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testlog::{json, report};
    use serde_json::json;

    #[test]
    fn caught_and_uncaught_with_a_doubled_fatal_line() {
        let r = report(
            "(100)|EXECUTION_STARTED
             (110)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
             (200)|EXCEPTION_THROWN|[3]|System.MathException: Divide by 0
             (300)|EXCEPTION_THROWN|[9]|System.ListException: List index out of bounds: 2
             (400)|FATAL_ERROR|System.ListException: List index out of bounds: 2
             (410)|FATAL_ERROR|System.ListException: List index out of bounds: 2
             (500)|CODE_UNIT_FINISHED|execute_anonymous_apex
             (510)|EXECUTION_FINISHED",
        );
        assert_eq!(
            json(&r.exceptions),
            json!({"thrown": 2, "fatal_error_lines": 2, "uncaught": 1, "caught": 1})
        );
        let found: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.id.as_str(), f.uncaught, f.fatal_line, f.source_line))
            .collect();
        assert_eq!(
            found,
            [
                ("LIST_INDEX", Some(true), Some(6), Some(9)),
                ("EXCEPTION_CAUGHT", Some(false), None, Some(3)),
            ]
        );
        assert_eq!(
            r.findings[0].message,
            "List index out of bounds (uncaught): System.ListException: List index out of bounds: 2"
        );
    }
}
