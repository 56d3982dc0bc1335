//! The summary: the header (API version, log levels, entries that are not a known pair),
//! the user, entry points (outermost code units), transactions, wall time and the clock of
//! the first event, flow interviews, truncation markers (`LOG_SKIPPED`, `LOG_MAX_SIZE`), and
//! the problems of the log itself.

use super::findings::{Ctx, Ident, Keep};
use super::{Analyzer, EntryPoint, HeaderIssue, IssueCount, LogLevel, StartTime, Summary, lossy};
use crate::event::{Event, EventType};
use crate::framing::RecordKind;
use crate::namespace::{Namespaces, NsId};
use crate::rules::{MARKER_EVENT, Severity};
use crate::stream::Item;
use crate::track::{IssueKind, Tracker};

/// At most this many distinct entry points are listed.
const ENTRY_CAP: usize = 1_000;

const ISSUE_KINDS: [IssueKind; 7] = [
    IssueKind::UnexpectedExit,
    IssueKind::MissingExit,
    IssueKind::UnclosedAtEnd,
    IssueKind::Skipped,
    IssueKind::MaxSize,
    IssueKind::DepthCap,
    IssueKind::MultipleLogs,
];

impl<'c> Analyzer<'c> {
    /// The event's time: the first of a log starts its wall time (and the first of the
    /// input gives the start clock); a time below the one before is out of order.
    pub(super) fn clock(&mut self, item: &Item<'_>, ev: &Event<'_>) {
        if let Some(n) = ev.nanos() {
            match self.log_first {
                None => {
                    self.log_first = Some(n);
                    if self.start.is_none() {
                        let raw = ev.raw;
                        let end = raw
                            .iter()
                            .position(|&c| c == b' ' || c == b'|')
                            .unwrap_or(0);
                        self.start = Some(StartTime {
                            ms_after_midnight: item.record.head.map_or(0, |h| h.wall_ms),
                            clock: lossy(&raw[..end]),
                        });
                    }
                }
                Some(_) if n < self.log_last => {
                    self.out_of_order += 1;
                    if self.out_of_order_line == 0 {
                        self.out_of_order_line = ev.line;
                    }
                }
                Some(_) => {}
            }
            self.log_last = n;
        }
    }

    /// A flow interview starts: a Process Builder process inside a `Workflow:` code unit,
    /// else a flow.
    pub(super) fn flow_interview(&mut self, t: &Tracker) {
        let pb = t
            .open_frames()
            .any(|(e, _, name)| e == EventType::CodeUnitStarted && name.starts_with(b"Workflow:"));
        if pb {
            self.flows.process_builder += 1;
        } else {
            self.flows.flow += 1;
        }
    }

    pub(super) fn header(&mut self, raw: &[u8]) {
        let Some(h) = crate::header::parse(raw) else {
            return;
        };
        self.api_version = Some(lossy(h.version));
        self.db_level = h.level_of(crate::event::Category::Db);
        for s in h.settings() {
            if !s.category.is_empty() {
                self.levels.push(LogLevel {
                    category: lossy(s.category),
                    level: lossy(s.level),
                });
            }
            if let Some(p) = s.problem() {
                self.header_issues.push(HeaderIssue {
                    entry: lossy(s.raw),
                    problem: p.as_str().to_string(),
                });
            }
        }
    }

    pub(super) fn end_log(&mut self) {
        if let Some(first) = self.log_first.take() {
            self.wall += self.log_last.saturating_sub(first);
        }
        self.log_last = 0;
        self.end_transaction();
        self.heap_stack.clear();
    }

    pub(super) fn marker(&mut self, item: &Item<'_>) {
        self.markers += 1;
        let skipped = item.record.kind == RecordKind::Skipped;
        let (id, title) = if skipped {
            ("LOG_SKIPPED", "Salesforce skipped part of the log")
        } else {
            ("LOG_MAX_SIZE", "The log reached its maximum size")
        };
        let ctx = Ctx::of_ns(NsId::DEFAULT);
        let bytes = item.record.skipped_bytes();
        let line = item.record.line;
        // One finding per region, each with its own figures.
        let region = self.markers as u32;
        self.add_finding(
            Ident::Native(id),
            ctx,
            region,
            Severity::Info,
            line,
            Keep::AsIs,
            || match bytes {
                Some(b) => format!("{title} ({b} bytes removed): every figure is a floor"),
                None => format!("{title}: the rest is missing, every figure is a floor"),
            },
        );
        // User rules on markers.
        let raw = item.record.raw;
        self.run_rules(MARKER_EVENT, raw);
        let matches = std::mem::take(&mut self.matches);
        for rule in &matches {
            let r = &self.cat.rules()[*rule];
            if self.native_rule(&r.id) {
                continue;
            }
            let sev = r.severity;
            let title = r.title.clone();
            self.add_finding(Ident::Rule(*rule), ctx, 0, sev, line, Keep::AsIs, || title);
        }
        self.matches = matches;
    }

    pub(super) fn code_unit(&mut self, t: &Tracker) {
        let mut units = 0;
        let mut last: Option<(NsId, &[u8])> = None;
        for (e, ns, name) in t.open_frames() {
            if e == EventType::CodeUnitStarted {
                units += 1;
                last = Some((ns, name));
            }
        }
        if units != 1 {
            return;
        }
        let Some((ns, name)) = last else { return };
        let id = self.names.id(name);
        match self.entries.get_mut(&(ns, id)) {
            Some(c) => *c += 1,
            None => {
                if self.entry_order.len() < ENTRY_CAP {
                    self.entries.insert((ns, id), 1);
                    self.entry_order.push((ns, id));
                }
            }
        }
    }

    /// The summary; `logs`, `events` and `bytes` are the stream's, set by [`super::analyze`].
    pub(super) fn finish_summary(&mut self, nss: &Namespaces) -> Summary {
        let ns_name = |id: NsId| lossy(nss.name(id));
        let mut entry_points = Vec::new();
        for (ns, id) in &self.entry_order {
            entry_points.push(EntryPoint {
                name: lossy(self.names.name(*id)),
                namespace: ns_name(*ns),
                count: self.entries.get(&(*ns, *id)).copied().unwrap_or(0),
            });
        }
        Summary {
            api_version: self.api_version.take(),
            log_levels: std::mem::take(&mut self.levels),
            user: self.user.take(),
            entry_points,
            transactions: self.transactions,
            wall_nanos: self.wall,
            start_time: self.start.take(),
            out_of_order_times: self.out_of_order,
            header_issues: std::mem::take(&mut self.header_issues),
            flow_interviews: std::mem::take(&mut self.flows),
            truncated: self.markers > 0,
            truncation_markers: self.markers,
            logs: 0,
            events: 0,
            bytes: 0,
            namespaces: nss
                .iter()
                .filter(|&(id, n)| id.is_default() || nss.seen_in_log(n))
                .map(|(_, n)| lossy(n))
                .collect(),
        }
    }

    /// Problems with the log itself, counted by kind.
    pub(super) fn log_issues(&self, t: &Tracker) -> Vec<IssueCount> {
        ISSUE_KINDS
            .iter()
            .map(|k| (k.as_str(), t.issue_count(*k)))
            .chain([
                ("header-entry", self.header_issues.len() as u64),
                ("out-of-order-time", self.out_of_order),
            ])
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| IssueCount {
                kind: k.to_string(),
                count: n,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testlog::{json, report};
    use serde_json::json;

    #[test]
    fn entry_points_transactions_and_clock() {
        let r = report(
            "(100)|USER_INFO|[EXTERNAL]|005000000000001|ops@example.com|(GMT)|GMT
             (200)|EXECUTION_STARTED
             (300)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
             (400)|FLOW_START_INTERVIEW_BEGIN|i1|Invoice_Flow
             (450)|FLOW_START_INTERVIEW_END|i1|Invoice_Flow
             (500)|CODE_UNIT_FINISHED|execute_anonymous_apex
             (600)|EXECUTION_FINISHED
             (550)|EXECUTION_STARTED
             (700)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
             (800)|CODE_UNIT_FINISHED|execute_anonymous_apex
             (900)|EXECUTION_FINISHED",
        );
        let s = &r.summary;
        assert_eq!(s.api_version.as_deref(), Some("61.0"));
        assert_eq!(s.user.as_deref(), Some("ops@example.com"));
        assert_eq!(s.transactions, 2);
        assert_eq!(s.wall_nanos, 800);
        assert_eq!(s.out_of_order_times, 1);
        assert_eq!(
            json(&s.entry_points),
            json!([{"name": "execute_anonymous_apex", "namespace": "(default)", "count": 2}])
        );
        assert_eq!(
            json(&s.start_time),
            json!({"ms_after_midnight": 28_800_001, "clock": "08:00:00.1"})
        );
        assert_eq!(
            json(&s.flow_interviews),
            json!({"flow": 1, "process_builder": 0})
        );
        assert_eq!(
            json(&r.log_issues),
            json!([{"kind": "out-of-order-time", "count": 1}])
        );
    }

    #[test]
    fn header_levels_and_a_skipped_region() {
        let r = report(
            "(100)|EXECUTION_STARTED
             *** Skipped 1,024 bytes of detailed log
             (200)|EXECUTION_FINISHED",
        );
        assert_eq!(
            json(&r.summary.log_levels),
            json!([
                {"category": "APEX_CODE", "level": "FINEST"},
                {"category": "DB", "level": "INFO"}
            ])
        );
        assert!(r.summary.truncated);
        assert_eq!(r.summary.truncation_markers, 1);
        let f = &r.findings[0];
        assert_eq!((f.id.as_str(), f.log_line), ("LOG_SKIPPED", 3));
        assert_eq!(
            f.message,
            "Salesforce skipped part of the log (1024 bytes removed): every figure is a floor"
        );
    }
}
