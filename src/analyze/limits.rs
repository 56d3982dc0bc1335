//! Governor limits: the `LIMIT_USAGE_FOR_NS` blocks, one pool per namespace (peak, last
//! and maximum of each limit), and the findings of limits close to or at their maximum
//! (`NEAR_LIMIT`, `LIMIT_REACHED`, `LIMIT_USAGE_HIGH`).

use super::findings::{Ctx, Ident, Keep};
use super::namespaces::NsAcc;
use super::statements::block_index;
use super::{Analyzer, LimitRow, NsLimits, lossy};
use crate::event::payload::limit;
use crate::event::{Event, EventType};
use crate::namespace::{Namespaces, NsId};
use crate::rules::Severity;
use crate::stream::Item;

/// A limit at or above this share of its maximum is a finding.
pub const LIMIT_THRESHOLD_PCT: u64 = 80;

/// One limit of one namespace, over its blocks.
#[derive(Clone, Debug)]
pub(super) struct LimitAcc {
    label: String,
    peak: u64,
    peak_line: u64,
    last: u64,
    max: u64,
    close: bool,
    /// Lines where Salesforce marked this limit `CLOSE TO LIMIT`, and the first of them.
    close_lines: u64,
    first_close_line: u64,
    last_close_line: u64,
}

fn pct(used: u64, max: u64) -> u64 {
    if max == 0 {
        0
    } else {
        ((used as u128 * 100) / max as u128) as u64
    }
}

/// A limit finding, before it is added.
struct LimitHit {
    ns: NsId,
    id: &'static str,
    count: u64,
    label: String,
    severity: Severity,
    line: u64,
    last: u64,
    pct: u64,
    message: String,
}

impl<'c> Analyzer<'c> {
    pub(super) fn limits(&mut self, item: &Item<'_>, ev: &Event<'_>) {
        let ns = item.loc.frame_ns;
        let body = ev.body();
        let line0 = ev.line;
        let mut rows: Vec<(u32, u64, u64, bool, u64)> = Vec::new();
        for (i, l) in body.split(|&c| c == b'\n').enumerate().skip(1) {
            if let Some(x) = limit::line(l) {
                let id = self.labels.id(x.label);
                rows.push((id, x.used, x.max, x.close, line0 + i as u64));
            }
        }
        let labels = &self.labels;
        let acc = {
            let i = ns.0 as usize;
            if i >= self.ns.len() {
                self.ns.resize_with(i + 1, NsAcc::default);
            }
            &mut self.ns[i]
        };
        acc.limit_blocks += 1;
        let mut heap = None;
        for (id, used, max, close, line) in rows {
            let label = labels.name(id);
            if let Some(k) = block_index(label) {
                acc.tx_block[k] = Some(acc.tx_block[k].map_or(used, |b| b.max(used)));
            }
            if label == b"Maximum heap size" {
                heap = Some(used);
            }
            let pos = acc.limits.iter().position(|r| r.label.as_bytes() == label);
            match pos {
                Some(p) => {
                    let r = &mut acc.limits[p];
                    if used > r.peak {
                        r.peak = used;
                        r.peak_line = line;
                    }
                    r.last = used;
                    r.max = max;
                    r.close |= close;
                    if close {
                        r.close_lines += 1;
                        if r.first_close_line == 0 {
                            r.first_close_line = line;
                        }
                        r.last_close_line = line;
                    }
                }
                None => acc.limits.push(LimitAcc {
                    label: lossy(label),
                    peak: used,
                    peak_line: line,
                    last: used,
                    max,
                    close,
                    close_lines: u64::from(close),
                    first_close_line: if close { line } else { 0 },
                    last_close_line: if close { line } else { 0 },
                }),
            }
        }
        if let Some(h) = heap {
            self.heap_reported = Some(self.heap_reported.map_or(h, |r| r.max(h)));
        }
        // User rules on limit blocks (NEAR_LIMIT itself is native).
        if self.rule_types[EventType::LimitUsageForNs as usize] {
            self.other_rules_ctx(Ctx::of_ns(ns), ev, Keep::AsIs);
        }
    }

    /// The limits table: one entry per namespace with a block.
    pub(super) fn finish_limits(&self, nss: &Namespaces) -> Vec<NsLimits> {
        let ns_name = |id: NsId| lossy(nss.name(id));
        let mut limits = Vec::new();
        for (i, a) in self.ns.iter().enumerate() {
            if a.limit_blocks == 0 {
                continue;
            }
            let id = NsId(i as u16);
            let mut rows = Vec::new();
            for r in &a.limits {
                rows.push(LimitRow {
                    label: r.label.clone(),
                    peak: r.peak,
                    last: r.last,
                    max: r.max,
                    peak_pct: pct(r.peak, r.max),
                    last_pct: pct(r.last, r.max),
                    peak_line: r.peak_line,
                    close_to_limit: r.close,
                });
            }
            limits.push(NsLimits {
                namespace: ns_name(id),
                blocks: a.limit_blocks,
                rows,
            });
        }
        limits
    }

    /// Add the findings of the limits close to or at their maximum.
    pub(super) fn limit_findings(&mut self, nss: &Namespaces) {
        for h in self.limit_hits(nss) {
            let lid = self.labels.id(h.label.as_bytes());
            let ctx = Ctx::of_ns(h.ns);
            let f = self.add_finding(
                Ident::Native(h.id),
                ctx,
                lid,
                h.severity,
                h.line,
                Keep::AsIs,
                || h.message,
            );
            f.count = h.count;
            f.last_line = f.last_line.max(h.last);
            f.pct = Some(h.pct);
        }
    }

    /// NEAR_LIMIT is the catalogue's: each line Salesforce marked `CLOSE TO LIMIT` (as
    /// scan reports it). A limit at or above the threshold that no line marked is
    /// LIMIT_USAGE_HIGH, analyze's own, or LIMIT_REACHED at its maximum.
    fn limit_hits(&self, nss: &Namespaces) -> Vec<LimitHit> {
        let ns_name = |id: NsId| lossy(nss.name(id));
        let near_sev = self
            .cat
            .get("NEAR_LIMIT")
            .map_or(Severity::Warn, |r| r.severity);
        let mut hits = Vec::new();
        for (i, a) in self.ns.iter().enumerate() {
            let id = NsId(i as u16);
            for r in &a.limits {
                let p = pct(r.peak, r.max);
                let marked = r.close_lines > 0;
                if !marked && (r.max == 0 || p < LIMIT_THRESHOLD_PCT) {
                    continue;
                }
                let reached = r.max > 0 && r.peak >= r.max;
                let (fid, sev, line, last, count) = if marked {
                    (
                        "NEAR_LIMIT",
                        near_sev,
                        r.first_close_line,
                        r.last_close_line,
                        r.close_lines,
                    )
                } else if reached {
                    (
                        "LIMIT_REACHED",
                        Severity::Error,
                        r.peak_line,
                        r.peak_line,
                        1,
                    )
                } else {
                    (
                        "LIMIT_USAGE_HIGH",
                        Severity::Warn,
                        r.peak_line,
                        r.peak_line,
                        1,
                    )
                };
                let message = |suffix: &str| {
                    format!(
                        "{}: {} of {} ({}%) in namespace {}{suffix}",
                        r.label,
                        r.peak,
                        r.max,
                        p,
                        ns_name(id)
                    )
                };
                if marked && reached {
                    // Marked lines are the catalogue's finding; reaching the limit is more.
                    hits.push(LimitHit {
                        ns: id,
                        id: "LIMIT_REACHED",
                        count: 1,
                        label: r.label.clone(),
                        severity: Severity::Error,
                        line: r.peak_line,
                        last: r.peak_line,
                        pct: p,
                        message: message(""),
                    });
                }
                hits.push(LimitHit {
                    ns: id,
                    id: fid,
                    count,
                    label: r.label.clone(),
                    severity: sev,
                    line,
                    last,
                    pct: p,
                    message: message(if r.close { " (CLOSE TO LIMIT)" } else { "" }),
                });
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::super::testlog::{json, report};
    use serde_json::json;

    const LOG: &str = "(100)|EXECUTION_STARTED
        (200)|CUMULATIVE_LIMIT_USAGE
        (200)|LIMIT_USAGE_FOR_NS|(default)|
          Number of SOQL queries: 95 out of 100 ******* CLOSE TO LIMIT
          Number of DML statements: 150 out of 150
          Number of callouts: 85 out of 100
          Number of query rows: 10 out of 50000

        (200)|CUMULATIVE_LIMIT_USAGE_END
        (300)|EXECUTION_FINISHED";

    #[test]
    fn peaks_and_findings_of_one_block() {
        let r = report(LOG);
        assert_eq!(r.limits.len(), 1);
        assert_eq!(
            (r.limits[0].namespace.as_str(), r.limits[0].blocks),
            ("(default)", 1)
        );
        assert_eq!(
            json(&r.limits[0].rows[0]),
            json!({
                "label": "Number of SOQL queries", "peak": 95, "last": 95, "max": 100,
                "peak_pct": 95, "last_pct": 95, "peak_line": 5, "close_to_limit": true
            })
        );
        let mut found: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.id.as_str(), f.log_line, f.message.as_str()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "LIMIT_REACHED",
                    6,
                    "Number of DML statements: 150 of 150 (100%) in namespace (default)"
                ),
                (
                    "LIMIT_USAGE_HIGH",
                    7,
                    "Number of callouts: 85 of 100 (85%) in namespace (default)"
                ),
                (
                    "NEAR_LIMIT",
                    5,
                    "Number of SOQL queries: 95 of 100 (95%) in namespace (default) (CLOSE TO LIMIT)"
                ),
            ]
        );
    }
}
