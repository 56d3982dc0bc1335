//! Time by category: where the transaction's time went — Apex code, SOQL, DML, callouts,
//! flows and processes, workflow, validation, system — overall and per namespace.
//!
//! Every closed frame's **self time** (its time minus its child frames') is credited to the
//! category of the frame, so the categories add up to the time of all frames, with nothing
//! counted twice. A frame's category follows the event catalogue's category of its entry
//! type ([`EventType::category`]), refined where one catalogue category holds two of ours
//! ([`of_frame`]; `docs/analyze-json.md` lists the mapping).
//!
//! Fed by the [`super::Analyzer`] with each closed frame ([`Categories::frame`]), turned into
//! the report's `time_by_category` by [`Categories::finish`].

use crate::event::{Category as Catalogued, EventType};
use crate::namespace::NsId;
use crate::output::Style;
use crate::track::ClosedFrame;
use serde::Serialize;
use std::io::{self, Write};

/// One of the categories time is split into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeCategory {
    /// Apex: methods, constructors, triggers and other Apex code units, package runs.
    Apex,
    /// SOQL and SOSL queries, query-more and cursor fetches.
    Soql,
    /// DML statements (the platform's own save work; triggers inside are their own).
    Dml,
    /// HTTP callouts.
    Callout,
    /// Flows and Process Builder processes: interviews, elements, `Flow:` code units.
    Flow,
    /// Workflow, assignment, auto-response and escalation rules: `Workflow:` code units
    /// and `WF_*` frames.
    Workflow,
    /// Validation rules: `Validation:` code units.
    Validation,
    /// Everything else: the platform between code units, system methods, limit blocks,
    /// Visualforce, caches, duplicate rules.
    System,
}

impl TimeCategory {
    /// Every category, in report order.
    pub const ALL: [TimeCategory; 8] = [
        TimeCategory::Apex,
        TimeCategory::Soql,
        TimeCategory::Dml,
        TimeCategory::Callout,
        TimeCategory::Flow,
        TimeCategory::Workflow,
        TimeCategory::Validation,
        TimeCategory::System,
    ];

    /// The JSON name (`apex`, `soql`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TimeCategory::Apex => "apex",
            TimeCategory::Soql => "soql",
            TimeCategory::Dml => "dml",
            TimeCategory::Callout => "callout",
            TimeCategory::Flow => "flow",
            TimeCategory::Workflow => "workflow",
            TimeCategory::Validation => "validation",
            TimeCategory::System => "system",
        }
    }

    /// The label of the text report.
    pub fn label(self) -> &'static str {
        match self {
            TimeCategory::Apex => "Apex code",
            TimeCategory::Soql => "SOQL",
            TimeCategory::Dml => "DML",
            TimeCategory::Callout => "Callouts",
            TimeCategory::Flow => "Flows & processes",
            TimeCategory::Workflow => "Workflow",
            TimeCategory::Validation => "Validation",
            TimeCategory::System => "System",
        }
    }
}

/// The category of a frame opened by `entry` and named `name` (the tracker's frame name).
///
/// The catalogue's category decides, except: `EXECUTION_STARTED` (catalogued `APEX_CODE`) is
/// the platform's time between code units, so `system`; a `CODE_UNIT_STARTED` goes by its
/// name (`Validation:…`, `Workflow:…`, `Flow:…`, the `TRIGGERS` wrapper is `system`, any other
/// is Apex); `DB` splits into `dml` (`DML_BEGIN`) and `soql` (the rest); `WORKFLOW` splits
/// into `flow` (`FLOW_*`), `system` (`EVENT_SERVICE_*`, platform-event delivery) and
/// `workflow` (`WF_*`); a package run (`ENTERING_MANAGED_PKG`) is Apex.
pub fn of_frame(entry: EventType, name: &[u8]) -> TimeCategory {
    use EventType::*;
    match entry {
        ExecutionStarted => return TimeCategory::System,
        CodeUnitStarted => return code_unit(name),
        DmlBegin => return TimeCategory::Dml,
        EnteringManagedPkg => return TimeCategory::Apex,
        _ => {}
    }
    match entry.category() {
        Some(Catalogued::ApexCode) => TimeCategory::Apex,
        Some(Catalogued::Db) => TimeCategory::Soql,
        Some(Catalogued::Callout) => TimeCategory::Callout,
        Some(Catalogued::Validation) => TimeCategory::Validation,
        Some(Catalogued::Workflow) => {
            let n = entry.name().unwrap_or("");
            if n.starts_with("FLOW_") {
                TimeCategory::Flow
            } else if n.starts_with("WF_") {
                TimeCategory::Workflow
            } else {
                TimeCategory::System
            }
        }
        _ => TimeCategory::System,
    }
}

/// The category of a code unit by its name.
fn code_unit(name: &[u8]) -> TimeCategory {
    if name.starts_with(b"Validation:") {
        TimeCategory::Validation
    } else if name.starts_with(b"Workflow:") {
        TimeCategory::Workflow
    } else if name.starts_with(b"Flow:") {
        TimeCategory::Flow
    } else if name == b"TRIGGERS" {
        TimeCategory::System
    } else {
        TimeCategory::Apex
    }
}

const N: usize = TimeCategory::ALL.len();

/// Self time and frames of one category.
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    nanos: u64,
    frames: u64,
}

/// The accumulator: self time per namespace and category.
#[derive(Debug, Default)]
pub struct Categories {
    /// Indexed by namespace id, then by category.
    by_ns: Vec<[Acc; N]>,
}

impl Categories {
    /// Credit a closed frame's self time to its category and namespace.
    #[inline]
    pub fn frame(&mut self, f: &ClosedFrame<'_>) {
        let i = f.ns.0 as usize;
        if i >= self.by_ns.len() {
            self.by_ns.resize(i + 1, [Acc::default(); N]);
        }
        let a = &mut self.by_ns[i][of_frame(f.entry, f.name) as usize];
        a.nanos += f.self_time;
        a.frames += 1;
    }

    /// The report section. `ns_name` names a namespace.
    pub fn finish(&self, ns_name: &dyn Fn(NsId) -> String) -> TimeByCategory {
        let mut total = [Acc::default(); N];
        let mut by_namespace = Vec::new();
        for (i, row) in self.by_ns.iter().enumerate() {
            for (k, a) in row.iter().enumerate() {
                total[k].nanos += a.nanos;
                total[k].frames += a.frames;
                if a.frames > 0 {
                    by_namespace.push(NsCategoryTime {
                        namespace: ns_name(NsId(i as u16)),
                        category: TimeCategory::ALL[k],
                        self_nanos: a.nanos,
                        frames: a.frames,
                    });
                }
            }
        }
        by_namespace.sort_by(|a, b| {
            b.self_nanos
                .cmp(&a.self_nanos)
                .then(a.namespace.cmp(&b.namespace))
                .then(a.category.cmp(&b.category))
        });
        let total_nanos = total.iter().map(|a| a.nanos).sum();
        TimeByCategory {
            total_nanos,
            categories: TimeCategory::ALL
                .iter()
                .zip(total)
                .map(|(&category, a)| CategoryTime {
                    category,
                    self_nanos: a.nanos,
                    frames: a.frames,
                    share_permille: share(a.nanos, total_nanos),
                })
                .collect(),
            by_namespace,
        }
    }
}

/// `part` of `all` in thousandths, rounded down.
fn share(part: u64, all: u64) -> u64 {
    if all == 0 {
        0
    } else {
        (part as u128 * 1000 / all as u128) as u64
    }
}

/// The report's `time_by_category` (docs/analyze-json.md).
#[derive(Clone, Debug, Default, Serialize)]
pub struct TimeByCategory {
    /// The self time of every closed frame, summed (the sum of the categories).
    pub total_nanos: u64,
    /// One row per category, every category, in [`TimeCategory::ALL`] order.
    pub categories: Vec<CategoryTime>,
    /// One row per namespace and category that had a frame, most time first.
    pub by_namespace: Vec<NsCategoryTime>,
}

/// The time of one category.
#[derive(Clone, Debug, Serialize)]
pub struct CategoryTime {
    /// The category.
    pub category: TimeCategory,
    /// Self time of its frames.
    pub self_nanos: u64,
    /// Frames closed in it.
    pub frames: u64,
    /// `self_nanos` in thousandths of `total_nanos`, rounded down.
    pub share_permille: u64,
}

/// The time of one category in one namespace.
#[derive(Clone, Debug, Serialize)]
pub struct NsCategoryTime {
    /// The namespace.
    pub namespace: String,
    /// The category.
    pub category: TimeCategory,
    /// Self time of its frames in this namespace.
    pub self_nanos: u64,
    /// Frames closed.
    pub frames: u64,
}

/// Most namespace rows printed.
const NS_ROWS: usize = 12;

/// Write the text section (every line within `width` columns, `width` at least 60).
pub fn write_text<W: Write>(
    w: &mut W,
    t: &TimeByCategory,
    st: &Style,
    width: usize,
) -> io::Result<()> {
    use super::text::{clip, ms};
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        st.bold(&format!(
            "Time by category (self time, {} ms)",
            ms(t.total_nanos)
        ))
    )?;
    if t.total_nanos == 0 && t.categories.iter().all(|c| c.frames == 0) {
        writeln!(w, "  no frames")?;
        return Ok(());
    }
    for c in t.categories.iter().filter(|c| c.frames > 0) {
        // 2 + 18 + 1 + 12 + 3 + 6 + 2 + 9 + 7 = 60 columns.
        writeln!(
            w,
            "  {:<18} {:>12} ms {:>5.1}%  {:>9} frames",
            c.category.label(),
            ms(c.self_nanos),
            c.share_permille as f64 / 10.0,
            c.frames
        )?;
    }
    if t.by_namespace.iter().all(|r| r.namespace == "(default)") {
        return Ok(());
    }
    writeln!(w, "  per namespace:")?;
    for r in t.by_namespace.iter().take(NS_ROWS) {
        // 4 + name + 1 + 18 + 1 + 12 + 3 columns; the name gets the rest, at most 40.
        let room = width.saturating_sub(39).clamp(10, 40);
        writeln!(
            w,
            "    {:<room$} {:<18} {:>12} ms",
            clip(&r.namespace, room),
            r.category.label(),
            ms(r.self_nanos),
        )?;
    }
    if t.by_namespace.len() > NS_ROWS {
        writeln!(
            w,
            "    {}",
            st.dim(&format!(
                "… {} more (see --format json)",
                t.by_namespace.len() - NS_ROWS
            ))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_map_to_the_documented_categories() {
        use EventType::*;
        let cases: &[(EventType, &str, TimeCategory)] = &[
            (MethodEntry, "A.b()", TimeCategory::Apex),
            (ConstructorEntry, "A()", TimeCategory::Apex),
            (EnteringManagedPkg, "acme", TimeCategory::Apex),
            (
                CodeUnitStarted,
                "execute_anonymous_apex",
                TimeCategory::Apex,
            ),
            (
                CodeUnitStarted,
                "CaseTrigger on Case trigger event BeforeInsert",
                TimeCategory::Apex,
            ),
            (CodeUnitStarted, "TRIGGERS", TimeCategory::System),
            (
                CodeUnitStarted,
                "Validation:Case:new",
                TimeCategory::Validation,
            ),
            (CodeUnitStarted, "Workflow:Case", TimeCategory::Workflow),
            (CodeUnitStarted, "Flow:Case", TimeCategory::Flow),
            (SoqlExecuteBegin, "SELECT Id FROM A", TimeCategory::Soql),
            (SoslExecuteBegin, "FIND 'x'", TimeCategory::Soql),
            (DmlBegin, "Op:Insert|Type:Case", TimeCategory::Dml),
            (CalloutRequest, "x", TimeCategory::Callout),
            (FlowStartInterviewBegin, "x", TimeCategory::Flow),
            (FlowElementBegin, "x", TimeCategory::Flow),
            (WfRuleEvalBegin, "Workflow", TimeCategory::Workflow),
            (WfCriteriaBegin, "x", TimeCategory::Workflow),
            (EventServicePubBegin, "x", TimeCategory::System),
            (SystemMethodEntry, "x", TimeCategory::System),
            (ExecutionStarted, "", TimeCategory::System),
            (CumulativeLimitUsage, "", TimeCategory::System),
            (DuplicateDetectionBegin, "", TimeCategory::System),
            (VfApexCallStart, "x", TimeCategory::System),
        ];
        for &(e, name, want) in cases {
            assert_eq!(of_frame(e, name.as_bytes()), want, "{e:?} {name}");
        }
    }
}
