//! SOQL lint: rules on the text of each executed query, read with the grammar of
//! [`super::soql`], raised as findings of the one findings model (docs/findings.md).
//!
//! - `SOQL_NO_WHERE_NO_LIMIT` (`warn`): no `WHERE` and no `LIMIT`, and the query returned
//!   [`MANY_ROWS`] rows or more.
//! - `SOQL_LEADING_WILDCARD` (`warn`): `LIKE` on a literal that starts with `%` or `_`.
//! - `SOQL_NEGATIVE_FILTER` (`warn`): every filter of the `WHERE` is negative (`!=`,
//!   `NOT IN`, `NOT LIKE`, `EXCLUDES`, `= null`, or under `NOT`).
//! - `SOQL_ORDER_BY_NO_LIMIT` (`info`): `ORDER BY` without `LIMIT`.
//! - `SOQL_REPEATED` (`warn`): one statement shape (the text with its values taken out,
//!   [`super::soql::shape`]) ran [`REPEAT_THRESHOLD`] times or more from one namespace with
//!   at least two different texts: an N+1 pattern of dynamic queries, which
//!   `SOQL_IN_LOOP` (the same text from one line) does not see.
//!
//! Each finding is at the first execution's place (namespace, method, source line), with
//! `count` the executions and `last_line` the last one's log line.

use super::soql;
use super::{Ctx, cap_text};
use crate::rules::Severity;
use std::collections::HashMap;

/// A query with no `WHERE` and no `LIMIT` that returned this many rows or more is a
/// finding: 200 is the size of one trigger chunk, the smallest batch a bulk operation
/// hands to Apex.
pub const MANY_ROWS: u64 = 200;
/// A statement shape run this many times with different values is a finding.
pub const REPEAT_THRESHOLD: u64 = 5;
/// At most this many distinct statement shapes are counted.
const SHAPE_CAP: usize = 10_000;
/// Longest statement quoted in a message (bytes).
const QUOTE: usize = 200;

/// A lint finding before it joins the report's findings.
#[derive(Clone, Debug)]
pub(super) struct Hit {
    pub id: &'static str,
    pub severity: Severity,
    pub ctx: Ctx,
    /// Tells apart the findings of different statements at one place.
    pub extra: u32,
    pub first_line: u64,
    pub last_line: u64,
    pub count: u64,
    pub message: String,
}

/// A query between its `SOQL_EXECUTE_BEGIN` and `SOQL_EXECUTE_END`.
#[derive(Debug)]
struct Open {
    text: String,
    ctx: Ctx,
    line: u64,
    no_where_no_limit: bool,
}

#[derive(Debug)]
struct ShapeStat {
    ctx: Ctx,
    first_line: u64,
    last_line: u64,
    count: u64,
    first_text: u64,
    varied: bool,
}

/// The lint accumulator, fed by the `Analyzer`.
#[derive(Debug, Default)]
pub(super) struct Lint {
    open: Option<Open>,
    hits: HashMap<(&'static str, Ctx, u32), Hit>,
    shapes: HashMap<(u16, String), ShapeStat>,
}

fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

impl Lint {
    /// A `SOQL_EXECUTE_BEGIN` of `query` at `line`, in `ctx`.
    pub fn begin(&mut self, query: &[u8], ctx: Ctx, line: u64) {
        let text = String::from_utf8_lossy(query);
        let Some(q) = soql::parse(&text) else {
            self.open = None;
            return;
        };
        let shape = soql::shape(&text);
        let extra = hash(&shape) as u32;
        let quoted = cap_text(query, QUOTE);
        if q.filters.iter().any(|p| p.leading_wildcard()) {
            self.hit(
                "SOQL_LEADING_WILDCARD",
                Severity::Warn,
                ctx,
                extra,
                line,
                || format!("LIKE with a leading wildcard cannot use an index: {quoted}"),
            );
        }
        if !q.filters.is_empty() && q.filters.iter().all(|p| p.is_negative()) {
            self.hit("SOQL_NEGATIVE_FILTER", Severity::Warn, ctx, extra, line, || {
                format!("only negative filters (!=, NOT IN, = null), which no index serves: {quoted}")
            });
        }
        if q.order_by && !q.limit {
            self.hit(
                "SOQL_ORDER_BY_NO_LIMIT",
                Severity::Info,
                ctx,
                extra,
                line,
                || format!("ORDER BY without LIMIT sorts every matching row: {quoted}"),
            );
        }
        let key = (ctx.ns.0, shape);
        let th = hash(&text);
        let full = self.shapes.len() >= SHAPE_CAP;
        match self.shapes.get_mut(&key) {
            Some(s) => {
                s.count += 1;
                s.last_line = line;
                s.varied |= s.first_text != th;
            }
            None if !full => {
                self.shapes.insert(
                    key,
                    ShapeStat {
                        ctx,
                        first_line: line,
                        last_line: line,
                        count: 1,
                        first_text: th,
                        varied: false,
                    },
                );
            }
            None => {}
        }
        self.open = Some(Open {
            text: quoted,
            ctx,
            line,
            no_where_no_limit: !q.has_where && !q.limit,
        });
    }

    /// The `SOQL_EXECUTE_END` of the open query, with its `Rows:N`.
    pub fn end(&mut self, rows: u64) {
        let Some(o) = self.open.take() else { return };
        if o.no_where_no_limit && rows >= MANY_ROWS {
            let extra = hash(&o.text) as u32;
            let text = o.text;
            self.hit(
                "SOQL_NO_WHERE_NO_LIMIT",
                Severity::Warn,
                o.ctx,
                extra,
                o.line,
                || format!("no WHERE and no LIMIT, {rows} rows (threshold {MANY_ROWS}): {text}"),
            );
        }
    }

    fn hit(
        &mut self,
        id: &'static str,
        severity: Severity,
        ctx: Ctx,
        extra: u32,
        line: u64,
        message: impl FnOnce() -> String,
    ) {
        let h = self.hits.entry((id, ctx, extra)).or_insert_with(|| Hit {
            id,
            severity,
            ctx,
            extra,
            first_line: line,
            last_line: line,
            count: 0,
            message: message(),
        });
        h.count += 1;
        h.last_line = h.last_line.max(line);
    }

    /// Every finding, the repeated shapes included.
    pub fn finish(mut self) -> Vec<Hit> {
        for ((_, shape), s) in std::mem::take(&mut self.shapes) {
            if s.count < REPEAT_THRESHOLD || !s.varied {
                continue;
            }
            let extra = hash(&shape) as u32;
            let msg = format!(
                "the same query shape ran {}× with different values (log lines {}–{}): {}",
                s.count,
                s.first_line,
                s.last_line,
                cap_text(shape.as_bytes(), QUOTE)
            );
            self.hits.insert(
                ("SOQL_REPEATED", s.ctx, extra),
                Hit {
                    id: "SOQL_REPEATED",
                    severity: Severity::Warn,
                    ctx: s.ctx,
                    extra,
                    first_line: s.first_line,
                    last_line: s.last_line,
                    count: s.count,
                    message: msg,
                },
            );
        }
        let mut v: Vec<Hit> = self.hits.into_values().collect();
        v.sort_by(|a, b| a.first_line.cmp(&b.first_line).then(a.id.cmp(b.id)));
        v
    }
}

/// Titles and remedies of the lint findings.
pub(super) fn native_text(id: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match id {
        "SOQL_NO_WHERE_NO_LIMIT" => (
            "Query with no WHERE and no LIMIT returned many rows",
            Some(
                "Filter the query or give it a LIMIT: it reads the whole object, and the 50,000-row limit grows closer with the data.",
            ),
        ),
        "SOQL_LEADING_WILDCARD" => (
            "LIKE with a leading wildcard",
            Some(
                "A pattern starting with % cannot use an index; match on a prefix, or use SOSL for text search.",
            ),
        ),
        "SOQL_NEGATIVE_FILTER" => (
            "Only negative filters",
            Some(
                "Add a positive, selective filter (an indexed field with = or IN): negative operators and = null are not selective.",
            ),
        ),
        "SOQL_ORDER_BY_NO_LIMIT" => (
            "ORDER BY without LIMIT",
            Some("Add a LIMIT when only the first rows are used, or drop the ORDER BY."),
        ),
        "SOQL_REPEATED" => (
            "The same query repeated with different values (N+1)",
            Some("Collect the values first and run one query with IN :values, outside the loop."),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::NsId;

    fn ctx(line: u32) -> Ctx {
        Ctx {
            ns: NsId::DEFAULT,
            caller: None,
            method: crate::analyze::findings::NONE,
            src_line: line,
        }
    }

    fn ids(hits: &[Hit]) -> Vec<(&'static str, u64)> {
        hits.iter().map(|h| (h.id, h.count)).collect()
    }

    #[test]
    fn no_where_no_limit_needs_many_rows() {
        let mut l = Lint::default();
        l.begin(b"SELECT Id FROM Account", ctx(1), 10);
        l.end(MANY_ROWS - 1);
        l.begin(b"SELECT Id FROM Account", ctx(1), 12);
        l.end(MANY_ROWS);
        let h = l.finish();
        assert_eq!(ids(&h), [("SOQL_NO_WHERE_NO_LIMIT", 1)]);
        assert_eq!(h[0].first_line, 12);
    }

    #[test]
    fn the_same_text_repeated_is_not_n_plus_one_but_varied_values_are() {
        let mut l = Lint::default();
        for i in 0..REPEAT_THRESHOLD {
            l.begin(b"SELECT Id FROM Case WHERE Id = :x", ctx(3), 20 + i);
            l.end(1);
        }
        assert!(l.finish().is_empty(), "SOQL_IN_LOOP's case");
        let mut l = Lint::default();
        for i in 0..REPEAT_THRESHOLD {
            let q = format!("SELECT Id FROM Case WHERE Subject = 'case {i}'");
            l.begin(q.as_bytes(), ctx(3), 20 + i);
            l.end(1);
        }
        let h = l.finish();
        assert_eq!(ids(&h), [("SOQL_REPEATED", REPEAT_THRESHOLD)]);
        assert_eq!((h[0].first_line, h[0].last_line), (20, 24));
    }

    #[test]
    fn a_positive_filter_beside_a_negative_one_is_fine() {
        let mut l = Lint::default();
        l.begin(
            b"SELECT Id FROM Case WHERE OwnerId = :me AND Status != 'Closed' LIMIT 5",
            ctx(1),
            1,
        );
        l.end(5);
        assert!(l.finish().is_empty());
    }
}
