//! `dbglog compare`: the figures of a BEFORE and an AFTER, and a regression gate.
//!
//! Each log is analyzed ([`crate::analyze::analyze`]); [`metrics::extract`] reads its
//! figures off the report (transaction figures, limit pools, entry points, methods,
//! normalised SOQL and DML statements, namespaces, findings); [`sets::compare`] compares
//! two logs, or two sets of logs grouped by entry point by median and p95; [`gate`] parses
//! and evaluates `--fail-on` expressions. The JSON form of a [`Comparison`] is documented
//! in `docs/compare.md`.

pub mod gate;
pub mod metrics;
pub mod normalize;
pub mod sets;

use crate::rules::Severity;
use metrics::{Key, PoolUse, Section, Unit};
use serde::{Serialize, Serializer};
use std::cmp::Ordering;

pub use sets::compare;

/// Version of the JSON schema of `compare --format json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Two logs, or two sets of logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One log on each side, compared as they are.
    Logs,
    /// Sets of logs, grouped by entry point, compared by median and p95.
    Sets,
}

/// Why a figure is not comparable as it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Note {
    /// A BEFORE log was truncated: its figures are floors.
    TruncatedBefore,
    /// An AFTER log was truncated: its figures are floors.
    TruncatedAfter,
    /// The logs of the group were captured at different debug levels.
    LevelsDiffer,
    /// No BEFORE log has this figure (no limit blocks).
    MissingBefore,
    /// No AFTER log has this figure.
    MissingAfter,
}

impl Note {
    /// The name used in text and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Note::TruncatedBefore => "truncated-before",
            Note::TruncatedAfter => "truncated-after",
            Note::LevelsDiffer => "levels-differ",
            Note::MissingBefore => "missing-before",
            Note::MissingAfter => "missing-after",
        }
    }
}

/// A whole comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Two logs or two sets.
    pub mode: Mode,
    /// Logs analyzed on the BEFORE side.
    pub before_logs: usize,
    /// Logs analyzed on the AFTER side.
    pub after_logs: usize,
    /// The logs do not all have the same debug levels (each group says it for its own).
    pub levels_differ: bool,
    /// The compared groups: one in [`Mode::Logs`], one per shared entry point otherwise.
    pub groups: Vec<Group>,
    /// Entry points with logs only in BEFORE.
    pub only_before: Vec<EntryCount>,
    /// Entry points with logs only in AFTER.
    pub only_after: Vec<EntryCount>,
    /// Every limit row of every AFTER log (for `limit>N%`), with the log's name.
    #[serde(skip)]
    pub after_pools: Vec<(String, PoolUse)>,
}

/// An entry point on one side only.
#[derive(Clone, Debug, Serialize)]
pub struct EntryCount {
    /// The entry point.
    pub entry_point: String,
    /// Its logs.
    pub logs: usize,
}

/// The comparison of the logs of one entry point (or of the two logs).
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    /// The entry point (`A → B` when two compared logs start differently).
    pub entry_point: String,
    /// BEFORE logs in the group.
    pub before_logs: usize,
    /// AFTER logs in the group.
    pub after_logs: usize,
    /// A BEFORE log of the group was truncated.
    pub truncated_before: bool,
    /// An AFTER log of the group was truncated.
    pub truncated_after: bool,
    /// The logs of the group do not all have the same debug levels: every row notes it.
    pub levels_differ: bool,
    /// The figures, largest relative regression first. Transaction figures and pool rows
    /// are always listed; other items only when they changed.
    pub rows: Vec<Row>,
    /// Findings that are new, gone or changed in count.
    pub findings: Vec<FindingDelta>,
}

/// One figure on both sides.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Section.
    pub section: Section,
    /// Item (empty for transaction figures).
    pub name: String,
    /// Field.
    pub field: String,
    /// Unit of the values.
    pub unit: Unit,
    /// BEFORE: the value, or the median over the group's logs.
    #[serde(serialize_with = "num")]
    pub before: Option<f64>,
    /// AFTER: the value, or the median.
    #[serde(serialize_with = "num")]
    pub after: Option<f64>,
    /// `after - before`.
    #[serde(serialize_with = "num")]
    pub delta: Option<f64>,
    /// `delta / before` in percent; null when BEFORE is 0 (or missing).
    #[serde(serialize_with = "num")]
    pub pct: Option<f64>,
    /// Sets: BEFORE's p95 (null for two logs).
    #[serde(serialize_with = "num")]
    pub before_p95: Option<f64>,
    /// Sets: AFTER's p95.
    #[serde(serialize_with = "num")]
    pub after_p95: Option<f64>,
    /// Sets: the p95 delta.
    #[serde(serialize_with = "num")]
    pub delta_p95: Option<f64>,
    /// Logs of BEFORE with this figure.
    pub before_n: usize,
    /// Logs of AFTER with this figure.
    pub after_n: usize,
    /// Why the figure is not comparable as it stands (empty: comparable).
    pub notes: Vec<Note>,
}

fn num<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        None => s.serialize_none(),
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => s.serialize_i64(*x as i64),
        Some(x) => s.serialize_f64((x * 1000.0).round() / 1000.0),
    }
}

impl Row {
    /// A row from the two sides' values.
    pub fn new(
        key: Key,
        before: Option<f64>,
        after: Option<f64>,
        p95: Option<(Option<f64>, Option<f64>)>,
        n: (usize, usize),
        notes: Vec<Note>,
    ) -> Row {
        let delta = match (before, after) {
            (Some(b), Some(a)) => Some(a - b),
            _ => None,
        };
        let (before_p95, after_p95) = p95.unwrap_or((None, None));
        let delta_p95 = match (before_p95, after_p95) {
            (Some(b), Some(a)) => Some(a - b),
            _ => None,
        };
        Row {
            unit: key.unit(),
            section: key.section,
            name: key.name,
            field: key.field,
            before,
            after,
            delta,
            pct: pct(before, after),
            before_p95,
            after_p95,
            delta_p95,
            before_n: n.0,
            after_n: n.1,
            notes,
        }
    }

    /// True when nothing stands in the way of comparing the figure.
    pub fn comparable(&self) -> bool {
        self.notes.is_empty()
    }

    /// The relative change used for ranking: `+∞` for a figure new in AFTER, `-∞` when
    /// missing.
    pub fn impact(&self) -> f64 {
        match (self.delta, self.pct) {
            (None, _) => f64::NEG_INFINITY,
            (Some(_), Some(p)) => p,
            (Some(d), None) if d > 0.0 => f64::INFINITY,
            (Some(_), None) => 0.0,
        }
    }

    /// Largest relative regression first, then the largest absolute change, then by name.
    pub fn impact_order(a: &Row, b: &Row) -> Ordering {
        b.impact()
            .partial_cmp(&a.impact())
            .unwrap_or(Ordering::Equal)
            .then_with(|| {
                let (x, y) = (a.delta.unwrap_or(0.0), b.delta.unwrap_or(0.0));
                y.abs().partial_cmp(&x.abs()).unwrap_or(Ordering::Equal)
            })
            .then_with(|| a.section.cmp(&b.section))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.field.cmp(&b.field))
    }

    /// The key of this row.
    pub fn key(&self) -> Key {
        Key {
            section: self.section,
            name: self.name.clone(),
            field: self.field.clone(),
        }
    }
}

/// `(after - before) / before` in percent; `None` when BEFORE is 0 or a side is missing.
pub fn pct(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    match (before, after) {
        (Some(b), Some(a)) if b != 0.0 => Some((a - b) / b * 100.0),
        (Some(_), Some(0.0)) => Some(0.0),
        _ => None,
    }
}

/// What became of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingChange {
    /// Only in AFTER.
    New,
    /// Only in BEFORE.
    Gone,
    /// In both, another count (sets: another count per log).
    Changed,
}

/// A finding that is new, gone or changed in count.
#[derive(Clone, Debug, Serialize)]
pub struct FindingDelta {
    /// New, gone or changed.
    pub change: FindingChange,
    /// Rule or analysis id.
    pub id: String,
    /// Severity (the highest of both sides).
    pub severity: Severity,
    /// Namespace.
    pub namespace: String,
    /// Method, when known and visible.
    pub method: Option<String>,
    /// A message as written (AFTER's, else BEFORE's).
    pub message: String,
    /// Occurrences in BEFORE (summed over the group's logs).
    pub before: u64,
    /// Occurrences in AFTER.
    pub after: u64,
}
