//! SOQL, SOSL and DML statements: a table per kind (count, rows, time per statement text
//! and namespace), statements only limit-usage lines show, the same statement repeated from
//! one line (`SOQL_IN_LOOP`, `DML_IN_LOOP`), expensive query plans (`SOQL_EXECUTE_EXPLAIN`),
//! and the reckoning of each namespace's count against its limits blocks.

use super::findings::{Ident, Keep, NONE};
use super::intern::FastMap;
use super::{Analyzer, NsStatements, StatementRow, StatementTable, cap_text, lossy};
use crate::event::payload::{dml, explain};
use crate::event::usage::{self, Limit};
use crate::event::{Event, EventType};
use crate::namespace::{Namespaces, NsId};
use crate::rules::Severity;
use crate::stream::Item;
use crate::track::{CloseKind, ClosedFrame, Tracker};
use std::collections::HashMap;

/// The same statement from the same line this many times or more is a finding.
pub const LOOP_THRESHOLD: u64 = 5;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StmtStat {
    count: u64,
    rows: u64,
    time: u64,
}

/// Which statement table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stmt {
    Soql,
    Sosl,
    Dml,
}

/// The limits that statements and limit-usage lines both count, as indices.
pub(super) const L_SOQL: usize = 0;
pub(super) const L_SOQL_ROWS: usize = 1;
pub(super) const L_SOSL: usize = 2;
pub(super) const L_DML: usize = 3;
pub(super) const L_DML_ROWS: usize = 4;

fn limit_index(l: Limit) -> Option<usize> {
    match l {
        Limit::Soql => Some(L_SOQL),
        Limit::SoqlRows => Some(L_SOQL_ROWS),
        Limit::Sosl => Some(L_SOSL),
        Limit::Dml => Some(L_DML),
        Limit::DmlRows => Some(L_DML_ROWS),
        _ => None,
    }
}

/// The index of a limits-block label that statements count.
pub(super) fn block_index(label: &[u8]) -> Option<usize> {
    match label {
        b"Number of SOQL queries" => Some(L_SOQL),
        b"Number of query rows" => Some(L_SOQL_ROWS),
        b"Number of SOSL queries" => Some(L_SOSL),
        b"Number of DML statements" => Some(L_DML),
        b"Number of DML rows" => Some(L_DML_ROWS),
        _ => None,
    }
}

/// A query of a custom metadata type (`FROM Foo__mdt`): Salesforce counts none of them
/// against the SOQL limit.
fn is_mdt_query(q: &[u8]) -> bool {
    q.windows(5).any(|w| w.eq_ignore_ascii_case(b"__mdt"))
}

impl<'c> Analyzer<'c> {
    /// Close the transaction's statement-versus-block reckoning.
    pub(super) fn end_transaction(&mut self) {
        for a in &mut self.ns {
            for k in 0..5 {
                if let Some(b) = a.tx_block[k].take() {
                    a.block_sum[k] = Some(a.block_sum[k].unwrap_or(0) + b);
                }
                a.added_sum[k] += a.tx_added[k];
            }
            a.tx_seen = [0; 5];
            a.tx_added = [0; 5];
        }
    }

    /// A limit-usage line: statements its running total shows beyond those seen as events
    /// in this transaction count, attributed to the innermost flow element (or frame).
    pub(super) fn usage_line(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        let Some(u) = usage::of_event(ev) else {
            return;
        };
        let Some(k) = limit_index(u.limit) else {
            return;
        };
        let ns = item.loc.frame_ns;
        let acc = self.ns_acc(ns);
        let known = acc.tx_seen[k] + acc.tx_added[k];
        let mut unseen = u.total.saturating_sub(known);
        if let Some(n) = u.added {
            unseen = unseen.min(n);
        }
        if unseen == 0 {
            return;
        }
        acc.tx_added[k] += unseen;
        // Attribute to the innermost flow element, else the innermost frame.
        let mut flow: Option<&[u8]> = None;
        let mut any: Option<&[u8]> = None;
        for (e, _, name) in t.open_frames() {
            any = Some(name);
            if matches!(
                e,
                EventType::FlowElementBegin
                    | EventType::FlowBulkElementBegin
                    | EventType::FlowStartInterviewBegin
            ) {
                flow = Some(name);
            }
        }
        let label = match (flow, any) {
            (Some(f), _) => [&b"flow element "[..], f].concat(),
            (None, Some(a)) => [&b"limit usage in "[..], a].concat(),
            (None, None) => b"limit usage".to_vec(),
        };
        let stmt = self.stmts.id(&label);
        self.usage_stmts.insert(stmt);
        let table = match k {
            L_SOQL | L_SOQL_ROWS => &mut self.soql,
            L_SOSL => &mut self.sosl,
            _ => &mut self.dml,
        };
        let s = table.entry((ns, stmt)).or_default();
        match k {
            L_SOQL_ROWS | L_DML_ROWS => s.rows += unseen,
            _ => s.count += unseen,
        }
    }

    pub(super) fn statement(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>, kind: Stmt) {
        let want = match kind {
            Stmt::Soql => EventType::SoqlExecuteBegin,
            Stmt::Sosl => EventType::SoslExecuteBegin,
            Stmt::Dml => EventType::DmlBegin,
        };
        let name: &[u8] = match t.open_frames().last() {
            Some((e, _, name)) if e == want => name,
            _ => match kind {
                Stmt::Soql => ev.field(2).unwrap_or(b""),
                Stmt::Sosl => ev.field(1).unwrap_or(b""),
                Stmt::Dml => dml::name(ev.first_line()),
            },
        };
        let stmt = self.stmts.id(name);
        let ns = item.loc.frame_ns;
        let rows = match kind {
            Stmt::Dml => dml::rows(ev.first_line()).unwrap_or(0),
            _ => 0,
        };
        let mdt = kind == Stmt::Soql && is_mdt_query(name);
        let event = kind == Stmt::Dml && name.ends_with(b"__e");
        let acc = self.ns_acc(ns);
        match kind {
            Stmt::Soql if mdt => acc.mdt_queries += 1,
            Stmt::Soql => acc.tx_seen[L_SOQL] += 1,
            Stmt::Sosl => acc.tx_seen[L_SOSL] += 1,
            Stmt::Dml if event => acc.event_dml += 1,
            Stmt::Dml => {
                acc.tx_seen[L_DML] += 1;
                acc.tx_seen[L_DML_ROWS] += rows;
            }
        }
        let table = match kind {
            Stmt::Soql => &mut self.soql,
            Stmt::Sosl => &mut self.sosl,
            Stmt::Dml => &mut self.dml,
        };
        let s = table.entry((ns, stmt)).or_default();
        s.count += 1;
        s.rows += rows;
        if kind == Stmt::Sosl {
            return;
        }
        // The loop key: the statement's context (method + line). Frames are looked at
        // only here, once per statement.
        let ctx = self.ctx(item, t);
        let loops = if kind == Stmt::Soql {
            &mut self.soql_loops
        } else {
            &mut self.dml_loops
        };
        let e = loops.entry((ctx, stmt)).or_insert((0, ev.line, ev.line));
        e.0 += 1;
        e.2 = ev.line;
    }

    pub(super) fn explain(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        let text = ev.field(1).unwrap_or(b"");
        let scan = text.starts_with(b"TableScan");
        let cost = explain::relative_cost(text);
        let expensive = cost.is_some_and(|c| c > 1.0);
        if !(scan || expensive) {
            return;
        }
        let ctx = self.ctx(item, t);
        // SOQL_TABLESCAN is the catalogue's (relative cost above 1, as scan reports it); a
        // cheap table scan (a small object) is analyze's own, for information.
        let (id, sev) = if expensive {
            (
                "SOQL_TABLESCAN",
                self.cat
                    .get("SOQL_TABLESCAN")
                    .map_or(Severity::Warn, |r| r.severity),
            )
        } else {
            ("SOQL_TABLESCAN_CHEAP", Severity::Info)
        };
        let line = ev.line;
        self.add_finding(
            Ident::Native(id),
            ctx,
            0,
            sev,
            line,
            Keep::LineOnly,
            || match cost {
                Some(c) if c > 1.0 => {
                    format!(
                        "query plan with relativeCost {c} (> 1): {}",
                        cap_text(text, 300)
                    )
                }
                _ => format!("query plan uses a table scan: {}", cap_text(text, 300)),
            },
        );
    }

    /// A closed statement frame: its time, and the rows of its `*_END` event.
    pub(super) fn statement_frame(&mut self, f: &ClosedFrame<'_>, ev: Option<&Event<'_>>) {
        let stmt = self.stmts.id(f.name);
        let (table, end) = match f.entry {
            EventType::SoqlExecuteBegin => (&mut self.soql, EventType::SoqlExecuteEnd),
            EventType::SoslExecuteBegin => (&mut self.sosl, EventType::SoslExecuteEnd),
            _ => (&mut self.dml, EventType::DmlEnd),
        };
        let s = table.entry((f.ns, stmt)).or_default();
        s.time += f.total;
        if end != EventType::DmlEnd
            && f.how == CloseKind::Exit
            && let Some(ev) = ev.filter(|e| e.etype() == end)
        {
            let rows = dml::rows(ev.first_line()).unwrap_or(0);
            s.rows += rows;
            if end == EventType::SoqlExecuteEnd {
                let i = f.ns.0 as usize;
                if let Some(a) = self.ns.get_mut(i) {
                    a.tx_seen[L_SOQL_ROWS] += rows;
                }
            }
        }
    }

    /// `SOQL_IN_LOOP` and `DML_IN_LOOP`: statements repeated from one line.
    pub(super) fn loop_findings(&mut self) {
        for soql in [true, false] {
            let loops = if soql {
                std::mem::take(&mut self.soql_loops)
            } else {
                std::mem::take(&mut self.dml_loops)
            };
            for ((ctx, stmt), (count, first, last)) in loops {
                if count < LOOP_THRESHOLD {
                    continue;
                }
                let text = cap_text(self.stmts.name(stmt), 200);
                let where_ = if ctx.method == NONE {
                    String::new()
                } else {
                    format!(" in {}", lossy(self.names.name(ctx.method)))
                };
                let line = if ctx.src_line == NONE {
                    "?".to_string()
                } else {
                    ctx.src_line.to_string()
                };
                let (id, what) = if soql {
                    ("SOQL_IN_LOOP", "query")
                } else {
                    ("DML_IN_LOOP", "DML statement")
                };
                let msg =
                    format!("the same {what} ran {count}× from line [{line}]{where_}: {text}");
                let f = self.add_finding(
                    Ident::Native(id),
                    ctx,
                    stmt,
                    Severity::Warn,
                    first,
                    Keep::LineOnly,
                    || msg,
                );
                f.count = count;
                f.last_line = f.last_line.max(last);
            }
        }
    }

    /// The three statement tables, reconciled with the limits blocks.
    pub(super) fn finish_statements(
        &self,
        nss: &Namespaces,
    ) -> (StatementTable, StatementTable, StatementTable) {
        let ns_name = |id: NsId| lossy(nss.name(id));
        let mut soql = self.table(&self.soql, &ns_name);
        let mut dml = self.table(&self.dml, &ns_name);
        let mut sosl = self.table(&self.sosl, &ns_name);
        for (table, k) in [(&mut soql, L_SOQL), (&mut dml, L_DML), (&mut sosl, L_SOSL)] {
            self.reconcile(table, k, nss);
        }
        (soql, dml, sosl)
    }

    /// Set each namespace's limits-block figure, statements from limit-usage lines, and
    /// why the count differs from the block where it does (see `docs/analyze-json.md`).
    fn reconcile(&self, t: &mut StatementTable, k: usize, nss: &crate::namespace::Namespaces) {
        // Namespaces with a block but no statement get a row too.
        for (i, a) in self.ns.iter().enumerate() {
            let name = lossy(nss.name(NsId(i as u16)));
            if a.block_sum[k].is_some() && !t.by_namespace.iter().any(|r| r.namespace == name) {
                t.by_namespace.push(NsStatements {
                    namespace: name,
                    count: 0,
                    rows: 0,
                    time_nanos: 0,
                    from_limit_usage: 0,
                    limits_block: None,
                    differs: Vec::new(),
                });
            }
        }
        let db_hides = self
            .db_level
            .is_some_and(|l| !l.admits(crate::event::Level::Info));
        for row in &mut t.by_namespace {
            let Some((i, a)) = self
                .ns
                .iter()
                .enumerate()
                .find(|(i, _)| lossy(nss.name(NsId(*i as u16))) == row.namespace)
            else {
                continue;
            };
            let _ = i;
            row.from_limit_usage = a.added_sum[k];
            t.from_limit_usage += a.added_sum[k];
            row.limits_block = a.block_sum[k];
            let Some(block) = a.block_sum[k] else {
                continue;
            };
            if block == row.count {
                continue;
            }
            let mut why = Vec::new();
            let uncounted = match k {
                L_SOQL => a.mdt_queries,
                L_DML => a.event_dml,
                _ => 0,
            };
            if uncounted > 0 {
                why.push(if k == L_SOQL {
                    "custom-metadata"
                } else {
                    "platform-events"
                });
            }
            let counted = row.count.saturating_sub(uncounted);
            if counted < block {
                if db_hides {
                    why.push("hidden-by-levels");
                }
                why.push("not-in-log");
            } else if counted > block {
                why.push("after-last-block");
            }
            if self.transactions > 1 {
                why.push("several-transactions");
            }
            if self.markers > 0 {
                why.push("truncated");
            }
            if row.from_limit_usage > 0 {
                why.push("from-limit-usage");
            }
            row.differs = why.into_iter().map(String::from).collect();
        }
    }

    fn table(
        &self,
        m: &FastMap<(NsId, u32), StmtStat>,
        ns_name: &dyn Fn(NsId) -> String,
    ) -> StatementTable {
        let mut t = StatementTable::default();
        let mut by_ns: HashMap<NsId, StmtStat> = HashMap::new();
        for (&(ns, stmt), s) in m {
            t.count += s.count;
            t.rows += s.rows;
            t.time_nanos += s.time;
            let e = by_ns.entry(ns).or_default();
            e.count += s.count;
            e.rows += s.rows;
            e.time += s.time;
            t.statements.push(StatementRow {
                namespace: ns_name(ns),
                statement: lossy(self.stmts.name(stmt)),
                count: s.count,
                rows: s.rows,
                time_nanos: s.time,
                from_limit_usage: self.usage_stmts.contains(&stmt),
            });
        }
        t.statements.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.time_nanos.cmp(&a.time_nanos))
                .then(a.statement.cmp(&b.statement))
        });
        t.by_namespace = by_ns
            .into_iter()
            .map(|(ns, s)| NsStatements {
                namespace: ns_name(ns),
                count: s.count,
                rows: s.rows,
                time_nanos: s.time,
                from_limit_usage: 0,
                limits_block: None,
                differs: Vec::new(),
            })
            .collect();
        t.by_namespace
            .sort_by(|a, b| b.count.cmp(&a.count).then(a.namespace.cmp(&b.namespace)));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::super::testlog::{json, report};
    use serde_json::json;

    #[test]
    fn a_query_in_a_loop_and_the_tables() {
        let mut log = String::from(
            "(100)|EXECUTION_STARTED
             (110)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
             (120)|METHOD_ENTRY|[1]|01p000000000002|A.run()\n",
        );
        for i in 0..5 {
            let n = 200 + i * 100;
            log.push_str(&format!(
                "({n})|SOQL_EXECUTE_BEGIN|[7]|Aggregations:0|SELECT Id FROM Account\n({})|SOQL_EXECUTE_END|[7]|Rows:2\n",
                n + 10
            ));
        }
        log.push_str(
            "(800)|DML_BEGIN|[9]|Op:Insert|Type:Case|Rows:3
             (840)|DML_END|[9]
             (900)|METHOD_EXIT|[1]|01p000000000002|A.run()
             (950)|CODE_UNIT_FINISHED|execute_anonymous_apex
             (960)|EXECUTION_FINISHED",
        );
        let r = report(&log);
        assert_eq!((r.soql.count, r.soql.rows, r.soql.time_nanos), (5, 10, 50));
        assert_eq!(
            json(&r.soql.statements),
            json!([{
                "namespace": "(default)", "statement": "SELECT Id FROM Account", "count": 5,
                "rows": 10, "time_nanos": 50, "from_limit_usage": false
            }])
        );
        assert_eq!((r.dml.count, r.dml.rows, r.dml.time_nanos), (1, 3, 40));
        assert_eq!(r.dml.statements[0].statement, "Op:Insert|Type:Case");
        let f = r.findings.iter().find(|f| f.id == "SOQL_IN_LOOP").unwrap();
        assert_eq!((f.count, f.log_line, f.last_line), (5, 5, 13));
        assert_eq!(f.method.as_deref(), Some("A.run()"));
        assert_eq!(
            f.message,
            "the same query ran 5× from line [7] in A.run(): SELECT Id FROM Account"
        );
    }

    #[test]
    fn count_against_the_limits_block() {
        let r = report(
            "(100)|EXECUTION_STARTED
             (200)|SOQL_EXECUTE_BEGIN|[7]|Aggregations:0|SELECT Id FROM Account
             (210)|SOQL_EXECUTE_END|[7]|Rows:0
             (300)|LIMIT_USAGE_FOR_NS|(default)|
               Number of SOQL queries: 3 out of 100

             (400)|EXECUTION_FINISHED",
        );
        assert_eq!(
            json(&r.soql.by_namespace),
            json!([{
                "namespace": "(default)", "count": 1, "rows": 0, "time_nanos": 10,
                "from_limit_usage": 0, "limits_block": 3, "differs": ["not-in-log"]
            }])
        );
    }

    #[test]
    fn an_expensive_query_plan() {
        let r = report(
            "(100)|EXECUTION_STARTED
             (200)|SOQL_EXECUTE_BEGIN|[7]|Aggregations:0|SELECT Id FROM Invoice__c
             (210)|SOQL_EXECUTE_EXPLAIN|[7]|TableScan on Invoice__c : [], cardinality: 9, sobjectCardinality: 9, relativeCost 2.3
             (220)|SOQL_EXECUTE_END|[7]|Rows:0
             (400)|EXECUTION_FINISHED",
        );
        let f = r
            .findings
            .iter()
            .find(|f| f.id == "SOQL_TABLESCAN")
            .unwrap();
        assert_eq!((f.log_line, f.source_line), (4, Some(7)));
        assert!(
            f.message
                .starts_with("query plan with relativeCost 2.3 (> 1): TableScan")
        );
    }
}
