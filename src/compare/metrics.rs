//! The figures of one log, read off its [`Report`]: what `compare` compares.
//!
//! Every figure is one [`Key`] (section, name, field) with an integer value in the field's
//! [`Unit`]. Figures taken from `LIMIT_USAGE_FOR_NS` blocks (CPU, heap, callouts and every
//! pool row) exist only when the log has such blocks; every other figure is 0 when the log
//! lacks the item (a method that did not run made 0 calls).

use super::normalize;
use crate::analyze::Report;
use crate::rules::Severity;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where a figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// A figure of the whole transaction: `wall`, `cpu`, `heap`, `soql`, `soql_rows`, `dml`,
    /// `dml_rows`, `callouts`.
    Metric,
    /// One row of one namespace's limit pool (name: the namespace).
    Pool,
    /// An entry point (outermost code unit).
    EntryPoint,
    /// A method, constructor or code unit (name: `ns: signature`).
    Method,
    /// A normalised SOQL statement (name: `ns: statement`).
    Soql,
    /// A DML statement (name: `ns: Op:Insert|Type:Case`).
    Dml,
    /// Self time of a namespace; a namespace the view hides is this one opaque line.
    Namespace,
}

impl Section {
    /// The name used in text and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Metric => "metric",
            Section::Pool => "pool",
            Section::EntryPoint => "entry-point",
            Section::Method => "method",
            Section::Soql => "soql",
            Section::Dml => "dml",
            Section::Namespace => "namespace",
        }
    }
}

/// The unit of a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Nanoseconds (times taken from the log's nanos).
    Nanos,
    /// Milliseconds (CPU time of the limit blocks).
    Ms,
    /// Bytes (heap).
    Bytes,
    /// A count.
    Count,
}

/// One figure's identity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// Section.
    pub section: Section,
    /// Item name (empty for [`Section::Metric`]).
    pub name: String,
    /// Field, e.g. `cpu`, `calls`, `self`, `rows`.
    pub field: String,
}

impl Key {
    fn new(section: Section, name: impl Into<String>, field: impl Into<String>) -> Key {
        Key {
            section,
            name: name.into(),
            field: field.into(),
        }
    }

    /// A transaction figure such as `cpu`.
    pub fn metric(field: &str) -> Key {
        Key::new(Section::Metric, "", field)
    }

    /// The unit of this figure.
    pub fn unit(&self) -> Unit {
        let f = self.field.as_str();
        match f {
            "wall" | "self" | "total" | "time" => Unit::Nanos,
            "cpu" | "Maximum CPU time" => Unit::Ms,
            "heap" | "Maximum heap size" => Unit::Bytes,
            _ => Unit::Count,
        }
    }

    /// True for figures that exist only where the log has limit blocks.
    pub fn needs_limits(&self) -> bool {
        self.section == Section::Pool
            || (self.section == Section::Metric
                && matches!(self.field.as_str(), "cpu" | "heap" | "callouts"))
    }
}

/// The short gate name of a limit label (`Number of SOQL queries` → `soql`).
pub fn limit_short(label: &str) -> Option<&'static str> {
    Some(match label {
        "Number of SOQL queries" => "soql",
        "Number of query rows" => "soql_rows",
        "Number of DML statements" => "dml",
        "Number of DML rows" => "dml_rows",
        "Maximum CPU time" => "cpu",
        "Maximum heap size" => "heap",
        "Number of callouts" => "callouts",
        _ => return None,
    })
}

/// A finding's identity across runs: its id, namespace, method and normalised message
/// (numbers, literals and binds folded, so `ran 6×` and `ran 9×` are one finding).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FindingKey {
    /// Rule or analysis id.
    pub id: String,
    /// Namespace.
    pub namespace: String,
    /// Method, when known and visible.
    pub method: Option<String>,
    /// The message with its values folded.
    pub message: String,
}

/// A finding's figures on one side.
#[derive(Clone, Debug, Serialize)]
pub struct FindingFacts {
    /// Severity.
    pub severity: Severity,
    /// Occurrences.
    pub count: u64,
    /// One message as written (the first).
    pub example: String,
}

/// One limit row of AFTER, for `limit>N%`.
#[derive(Clone, Debug, Serialize)]
pub struct PoolUse {
    /// Namespace of the pool.
    pub namespace: String,
    /// Limit label.
    pub label: String,
    /// Peak value.
    pub peak: u64,
    /// Maximum.
    pub max: u64,
    /// Peak as a percentage of the maximum (rounded down).
    pub peak_pct: u64,
}

/// The figures of one log.
#[derive(Clone, Debug)]
pub struct LogMetrics {
    /// Input name.
    pub name: String,
    /// The first entry point (`ns: name` outside the default namespace), or
    /// `(no entry point)`.
    pub entry_point: String,
    /// Every figure.
    pub values: BTreeMap<Key, u64>,
    /// The log has `LIMIT_USAGE_FOR_NS` blocks.
    pub has_limits: bool,
    /// Salesforce removed part of the log: every figure is a floor.
    pub truncated: bool,
    /// Debug levels of the header, `CATEGORY,LEVEL;…`.
    pub levels: String,
    /// Findings by identity.
    pub findings: BTreeMap<FindingKey, FindingFacts>,
    /// Every limit row, for `limit>N%`.
    pub pools: Vec<PoolUse>,
}

/// A name qualified by its namespace, unless that is the default one.
fn qualified(ns: &str, name: &str) -> String {
    if ns == "(default)" {
        name.to_string()
    } else {
        format!("{ns}: {name}")
    }
}

/// Read the figures off `r`, an analyze report run with every method kept (`top` at
/// `usize::MAX`).
pub fn extract(r: &Report) -> LogMetrics {
    let mut v: BTreeMap<Key, u64> = BTreeMap::new();
    let mut add = |k: Key, n: u64| *v.entry(k).or_default() += n;

    add(Key::metric("wall"), r.summary.wall_nanos);
    add(Key::metric("soql"), r.soql.count);
    add(Key::metric("soql_rows"), r.soql.rows);
    add(Key::metric("dml"), r.dml.count);
    add(Key::metric("dml_rows"), r.dml.rows);

    let has_limits = !r.limits.is_empty();
    let mut cpu = None::<u64>;
    let mut heap = None::<u64>;
    let mut callouts = None::<u64>;
    let mut pools = Vec::new();
    for pool in &r.limits {
        for row in &pool.rows {
            add(
                Key::new(Section::Pool, &pool.namespace, &row.label),
                row.peak,
            );
            match row.label.as_str() {
                "Maximum CPU time" => cpu = Some(cpu.unwrap_or(0).max(row.peak)),
                "Maximum heap size" => heap = Some(heap.unwrap_or(0).max(row.peak)),
                "Number of callouts" => callouts = Some(callouts.unwrap_or(0) + row.peak),
                _ => {}
            }
            pools.push(PoolUse {
                namespace: pool.namespace.clone(),
                label: row.label.clone(),
                peak: row.peak,
                max: row.max,
                peak_pct: row.peak_pct,
            });
        }
    }
    for (k, n) in [("cpu", cpu), ("heap", heap), ("callouts", callouts)] {
        if let Some(n) = n {
            add(Key::metric(k), n);
        }
    }

    // Code units are methods too: an entry point's time is its code unit's row.
    let mut unit_time: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for m in &r.methods {
        let name = qualified(&m.namespace, &m.name);
        add(Key::new(Section::Method, &name, "calls"), m.count);
        add(Key::new(Section::Method, &name, "self"), m.self_nanos);
        add(Key::new(Section::Method, &name, "total"), m.total_nanos);
        *unit_time.entry((&m.namespace, &m.name)).or_default() += m.total_nanos;
    }
    for e in &r.summary.entry_points {
        let name = qualified(&e.namespace, &e.name);
        add(Key::new(Section::EntryPoint, &name, "count"), e.count);
        let t = unit_time
            .get(&(e.namespace.as_str(), e.name.as_str()))
            .copied()
            .unwrap_or(0);
        add(Key::new(Section::EntryPoint, &name, "total"), t);
    }
    for (section, table) in [(Section::Soql, &r.soql), (Section::Dml, &r.dml)] {
        for s in &table.statements {
            let text = if section == Section::Soql {
                normalize::soql(&s.statement)
            } else {
                s.statement.clone()
            };
            let name = qualified(&s.namespace, &text);
            add(Key::new(section, &name, "count"), s.count);
            add(Key::new(section, &name, "rows"), s.rows);
            add(Key::new(section, &name, "time"), s.time_nanos);
        }
    }
    for n in &r.namespaces {
        let name = if r.hidden_namespaces.contains(&n.namespace) {
            format!("({}) hidden", n.namespace)
        } else {
            n.namespace.clone()
        };
        add(Key::new(Section::Namespace, name, "self"), n.self_nanos);
    }

    let mut findings: BTreeMap<FindingKey, FindingFacts> = BTreeMap::new();
    for f in &r.findings {
        let key = FindingKey {
            id: f.id.clone(),
            namespace: f.namespace.clone(),
            method: f.method.clone(),
            message: normalize::soql(&f.message),
        };
        let e = findings.entry(key).or_insert_with(|| FindingFacts {
            severity: f.severity,
            count: 0,
            example: f.message.clone(),
        });
        e.count += f.count;
        e.severity = e.severity.max(f.severity);
    }

    let entry_point = r
        .summary
        .entry_points
        .first()
        .map(|e| qualified(&e.namespace, &e.name))
        .unwrap_or_else(|| "(no entry point)".to_string());
    let levels = r
        .summary
        .log_levels
        .iter()
        .map(|l| format!("{},{}", l.category, l.level))
        .collect::<Vec<_>>()
        .join(";");
    LogMetrics {
        name: r.file.clone(),
        entry_point,
        values: v,
        has_limits,
        truncated: r.summary.truncated,
        levels,
        findings,
        pools,
    }
}
