//! Matching the logs of two sides and the statistics of each figure.
//!
//! Two sides of one log each are compared as they are. Otherwise the logs of each side are
//! grouped by their first entry point (code unit); a group present on both sides is
//! compared figure by figure, by median and p95 over its logs; groups present on one side
//! only are listed.

use super::metrics::{Key, LogMetrics, Section};
use super::{Comparison, EntryCount, FindingChange, FindingDelta, Group, Mode, Note, Row};
use std::collections::{BTreeMap, BTreeSet};

/// The median of `v` (sorted ascending): the middle value, or the mean of the two middle
/// values for an even count.
pub fn median(v: &[u64]) -> Option<f64> {
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2] as f64),
        _ => Some((v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0),
    }
}

/// The 95th percentile of `v` (sorted ascending), nearest rank: the value at rank
/// ⌈0.95·n⌉.
pub fn p95(v: &[u64]) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let rank = (n * 95).div_ceil(100).max(1);
    Some(v[rank - 1] as f64)
}

/// Compare two sides: one log each ([`Mode::Logs`]) or sets grouped by entry point.
pub fn compare(before: &[LogMetrics], after: &[LogMetrics]) -> Comparison {
    let levels: BTreeSet<&str> = before
        .iter()
        .chain(after)
        .map(|m| m.levels.as_str())
        .collect();
    let levels_differ = levels.len() > 1;
    let mut cmp = Comparison {
        mode: Mode::Sets,
        before_logs: before.len(),
        after_logs: after.len(),
        levels_differ,
        groups: Vec::new(),
        only_before: Vec::new(),
        only_after: Vec::new(),
        after_pools: after
            .iter()
            .flat_map(|m| m.pools.iter().map(|p| (m.name.clone(), p.clone())))
            .collect(),
    };
    if before.len() == 1 && after.len() == 1 {
        cmp.mode = Mode::Logs;
        let (b, a) = (&before[0], &after[0]);
        let ep = if b.entry_point == a.entry_point {
            a.entry_point.clone()
        } else {
            format!("{} → {}", b.entry_point, a.entry_point)
        };
        cmp.groups.push(group(ep, &[b], &[a], Mode::Logs));
        return cmp;
    }
    let (bm, am) = (by_entry(before), by_entry(after));
    for (ep, bs) in &bm {
        match am.get(ep) {
            Some(a_s) => cmp.groups.push(group(ep.clone(), bs, a_s, Mode::Sets)),
            None => cmp.only_before.push(EntryCount {
                entry_point: ep.clone(),
                logs: bs.len(),
            }),
        }
    }
    for (ep, a_s) in &am {
        if !bm.contains_key(ep) {
            cmp.only_after.push(EntryCount {
                entry_point: ep.clone(),
                logs: a_s.len(),
            });
        }
    }
    cmp
}

fn by_entry(logs: &[LogMetrics]) -> BTreeMap<String, Vec<&LogMetrics>> {
    let mut m: BTreeMap<String, Vec<&LogMetrics>> = BTreeMap::new();
    for l in logs {
        m.entry(l.entry_point.clone()).or_default().push(l);
    }
    m
}

fn values(logs: &[&LogMetrics], key: &Key) -> Vec<u64> {
    let mut v: Vec<u64> = logs
        .iter()
        .filter(|l| !key.needs_limits() || l.has_limits)
        .map(|l| l.values.get(key).copied().unwrap_or(0))
        .collect();
    v.sort_unstable();
    v
}

fn group(entry_point: String, before: &[&LogMetrics], after: &[&LogMetrics], mode: Mode) -> Group {
    let levels: BTreeSet<&str> = before
        .iter()
        .chain(after)
        .map(|m| m.levels.as_str())
        .collect();
    let levels_differ = levels.len() > 1;
    let truncated_before = before.iter().any(|l| l.truncated);
    let truncated_after = after.iter().any(|l| l.truncated);
    let keys: BTreeSet<&Key> = before
        .iter()
        .chain(after)
        .flat_map(|l| l.values.keys())
        .collect();
    let mut rows = Vec::new();
    for key in keys {
        let (vb, va) = (values(before, key), values(after, key));
        let mut notes = Vec::new();
        if truncated_before {
            notes.push(Note::TruncatedBefore);
        }
        if truncated_after {
            notes.push(Note::TruncatedAfter);
        }
        if levels_differ {
            notes.push(Note::LevelsDiffer);
        }
        if vb.is_empty() {
            notes.push(Note::MissingBefore);
        }
        if va.is_empty() {
            notes.push(Note::MissingAfter);
        }
        let row = Row::new(
            key.clone(),
            median(&vb),
            median(&va),
            (mode == Mode::Sets).then(|| (p95(&vb), p95(&va))),
            (vb.len(), va.len()),
            notes,
        );
        let always = matches!(key.section, Section::Metric | Section::Pool);
        if always || row.delta != Some(0.0) {
            rows.push(row);
        }
    }
    rows.sort_by(Row::impact_order);

    let sum = |logs: &[&LogMetrics]| {
        let mut m: BTreeMap<_, (u64, crate::rules::Severity, String)> = BTreeMap::new();
        for l in logs {
            for (k, f) in &l.findings {
                let e = m
                    .entry(k.clone())
                    .or_insert((0, f.severity, f.example.clone()));
                e.0 += f.count;
                e.1 = e.1.max(f.severity);
            }
        }
        m
    };
    let (fb, fa) = (sum(before), sum(after));
    let mut findings = Vec::new();
    let all: BTreeSet<_> = fb.keys().chain(fa.keys()).collect();
    for k in all {
        let b = fb.get(k);
        let a = fa.get(k);
        let (nb, na) = (b.map_or(0, |x| x.0), a.map_or(0, |x| x.0));
        let change = match (b, a) {
            (None, Some(_)) => FindingChange::New,
            (Some(_), None) => FindingChange::Gone,
            // Sets: another count per log (the sides may have other numbers of logs).
            _ if nb * after.len() as u64 != na * before.len() as u64 => FindingChange::Changed,
            _ => continue,
        };
        let (sev, msg) = a.or(b).map(|x| (x.1, x.2.clone())).unwrap();
        findings.push(FindingDelta {
            change,
            id: k.id.clone(),
            severity: sev,
            namespace: k.namespace.clone(),
            method: k.method.clone(),
            message: msg,
            before: nb,
            after: na,
        });
    }
    findings.sort_by(|x, y| {
        x.change
            .cmp(&y.change)
            .then(y.severity.cmp(&x.severity))
            .then(x.id.cmp(&y.id))
            .then(x.message.cmp(&y.message))
    });
    Group {
        entry_point,
        before_logs: before.len(),
        after_logs: after.len(),
        truncated_before,
        truncated_after,
        levels_differ,
        rows,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p95() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3]), Some(3.0));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
        assert_eq!(p95(&[5]), Some(5.0));
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(p95(&v), Some(19.0));
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(p95(&v), Some(10.0));
    }
}
