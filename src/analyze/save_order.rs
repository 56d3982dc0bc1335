//! Order of execution per DML: for each DML statement (`DML_BEGIN` … `DML_END`), the save
//! steps that ran inside it, in the order they ran — before triggers, validation rules,
//! duplicate rules, after triggers, assignment / auto-response / workflow / escalation
//! rules, flows and processes — each with its namespace, time and the SOQL and DML it
//! issued; the same trigger running again inside one DML chain is counted.
//!
//! Salesforce's "Triggers and Order of Execution" fixes that order; a log shows each step
//! as a frame inside the DML's frame: a trigger or `Validation:` code unit, a
//! `WF_RULE_EVAL_BEGIN|Workflow` (or `Assignment`, `Response`, `Escalation`) block, a flow
//! interview. The analysis works on closed frames only ([`SaveOrder::frame`]): a frame
//! closes after every frame inside it, so each depth keeps what its closed descendants
//! left (steps, DML statements, SOQL/DML counts) until the frame at that depth closes and
//! takes it. Nothing is kept per event.
//!
//! It also reports two findings: `TRIGGER_RECURSION`, a trigger that runs again inside a
//! save it started (its own DML, or one it caused, fires it again), and `MIXED_DML_RISK`,
//! DML on a setup object (`User`, `Group`, `PermissionSetAssignment`, …) and on another
//! object in one transaction, read off the `DML_BEGIN` types before any exception
//! (docs/analyze-json.md).

use crate::event::{Event, EventType};
use crate::namespace::NsId;
use crate::output::Style;
use crate::rules::Severity;
use crate::stream::Item;
use crate::track::{ClosedFrame, Tracker};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};

/// At most this many DML statements are kept (all are counted).
const DML_CAP: usize = 2_000;
/// At most this many save steps are kept.
const STEP_CAP: usize = 20_000;
/// Longest step name kept (bytes).
const NAME_CAP: usize = 200;

/// Objects whose DML cannot share a transaction with DML on other objects
/// (`MIXED_DML_OPERATION`): Salesforce's "sObjects That Cannot Be Used Together in DML
/// Operations". The list is documented in docs/analyze-json.md.
pub const SETUP_OBJECTS: &[&str] = &[
    "AuthSession",
    "ContentWorkspace",
    "FieldPermissions",
    "ForecastingShare",
    "Group",
    "GroupMember",
    "ObjectPermissions",
    "ObjectTerritory2AssignmentRule",
    "ObjectTerritory2AssignmentRuleItem",
    "PermissionSet",
    "PermissionSetAssignment",
    "QueueSObject",
    "RuleTerritory2Association",
    "SetupEntityAccess",
    "Territory",
    "Territory2",
    "Territory2Model",
    "User",
    "UserRole",
    "UserTerritory",
    "UserTerritory2Association",
];

/// Setup objects that may share a transaction with other DML under conditions the log does
/// not show (a `User` inserted without a role or updated without role, profile or
/// activation changes; a `Group` inserted or updated): their findings are `info`.
const CONDITIONAL_SETUP: &[&str] = &["User", "Group"];

/// One step of the save order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// An Apex trigger on a `Before…` event.
    BeforeTrigger,
    /// Custom validation rules (a `Validation:` code unit).
    Validation,
    /// Duplicate rules (`DUPLICATE_DETECTION_BEGIN`).
    DuplicateRules,
    /// An Apex trigger on an `After…` event.
    AfterTrigger,
    /// Assignment rules (`WF_RULE_EVAL_BEGIN|Assignment`).
    AssignmentRules,
    /// Auto-response rules (`WF_RULE_EVAL_BEGIN|Response`).
    AutoResponseRules,
    /// Workflow rules (`WF_RULE_EVAL_BEGIN|Workflow`, or a `Workflow:` code unit with
    /// nothing inside it).
    WorkflowRules,
    /// Escalation rules (`WF_RULE_EVAL_BEGIN|Escalation`).
    EscalationRules,
    /// A Process Builder process (a flow interview inside a `Workflow:` code unit).
    Process,
    /// A flow (a flow interview elsewhere, or a `Flow:` code unit with nothing inside).
    Flow,
    /// A trigger whose event names neither before nor after.
    Trigger,
}

impl StepKind {
    /// The text report's label.
    pub fn label(self) -> &'static str {
        match self {
            StepKind::BeforeTrigger => "before trigger",
            StepKind::Validation => "validation",
            StepKind::DuplicateRules => "duplicates",
            StepKind::AfterTrigger => "after trigger",
            StepKind::AssignmentRules => "assignment",
            StepKind::AutoResponseRules => "auto-response",
            StepKind::WorkflowRules => "workflow",
            StepKind::EscalationRules => "escalation",
            StepKind::Process => "process",
            StepKind::Flow => "flow",
            StepKind::Trigger => "trigger",
        }
    }

    fn is_trigger(self) -> bool {
        matches!(
            self,
            StepKind::BeforeTrigger | StepKind::AfterTrigger | StepKind::Trigger
        )
    }
}

/// What a closed frame is to this analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A DML statement.
    Dml,
    /// A query.
    Soql,
    /// A save step.
    Step(StepKind),
    /// A frame that holds steps (`TRIGGERS`, `Workflow:`, `Flow:`, a bulk flow start):
    /// its steps are the ones inside it, or itself as `kind` when there are none.
    Container(Option<StepKind>),
    /// The execution: steps left in it ran in a save that no `DML_BEGIN` shows (a save
    /// from the user interface or the API).
    Execution,
    /// Anything else: what is inside it passes through.
    Other,
}

fn role(f: &ClosedFrame<'_>) -> Role {
    use EventType::*;
    let name = f.name;
    match f.entry {
        DmlBegin => Role::Dml,
        SoqlExecuteBegin | SoslExecuteBegin => Role::Soql,
        ExecutionStarted => Role::Execution,
        WfRuleEvalBegin => Role::Step(if name.starts_with(b"Assign") {
            StepKind::AssignmentRules
        } else if name.starts_with(b"Response") || name.starts_with(b"AutoResponse") {
            StepKind::AutoResponseRules
        } else if name.starts_with(b"Escalation") {
            StepKind::EscalationRules
        } else {
            StepKind::WorkflowRules
        }),
        DuplicateDetectionBegin => Role::Step(StepKind::DuplicateRules),
        FlowStartInterviewBegin => Role::Step(StepKind::Flow),
        FlowStartInterviewsBegin => Role::Container(None),
        CodeUnitStarted => {
            if let Some(ev) = trigger_event(name) {
                Role::Step(if ev.starts_with(b"Before") {
                    StepKind::BeforeTrigger
                } else if ev.starts_with(b"After") {
                    StepKind::AfterTrigger
                } else {
                    StepKind::Trigger
                })
            } else if name.starts_with(b"Validation:") {
                Role::Step(StepKind::Validation)
            } else if name.starts_with(b"Workflow:") {
                Role::Container(Some(StepKind::WorkflowRules))
            } else if name.starts_with(b"Flow:") {
                Role::Container(Some(StepKind::Flow))
            } else if name == b"TRIGGERS" {
                Role::Container(None)
            } else {
                Role::Other
            }
        }
        _ => Role::Other,
    }
}

const TRIGGER_EVENT: &[u8] = b" trigger event ";

/// `BeforeInsert` of `CaseTrigger on Case trigger event BeforeInsert[ for [ids]]`.
fn trigger_event(name: &[u8]) -> Option<&[u8]> {
    let p = memchr::memmem::find(name, TRIGGER_EVENT)?;
    let ev = &name[p + TRIGGER_EVENT.len()..];
    let end = ev.iter().position(|c| !c.is_ascii_alphanumeric());
    Some(&ev[..end.unwrap_or(ev.len())])
}

/// `CaseTrigger on Case trigger event BeforeInsert` of the same with ` for [ids]` (older
/// logs name the records): one trigger and event, whichever records it ran for.
fn trigger_key(name: &[u8]) -> &[u8] {
    match (
        memchr::memmem::find(name, TRIGGER_EVENT),
        trigger_event(name),
    ) {
        (Some(p), Some(ev)) => &name[..p + TRIGGER_EVENT.len() + ev.len()],
        _ => name,
    }
}

/// `(CaseTrigger, Case)` of `CaseTrigger on Case trigger event BeforeInsert`.
fn trigger_parts(name: &[u8]) -> Option<(&[u8], &[u8])> {
    let p = memchr::memmem::find(name, TRIGGER_EVENT)?;
    let head = &name[..p];
    let on = memchr::memmem::rfind(head, b" on ")?;
    Some((&head[..on], &head[on + 4..]))
}

/// The last `|` field of a flow interview's frame name (`interviewId|flowName`).
fn flow_name(name: &[u8]) -> &[u8] {
    match memchr::memrchr(b'|', name) {
        Some(p) => &name[p + 1..],
        None => name,
    }
}

/// `(Insert, Case)` of the tracker's DML frame name `Op:Insert|Type:Case`.
fn dml_parts(name: &[u8]) -> (&[u8], &[u8]) {
    let mut op: &[u8] = b"";
    let mut ty: &[u8] = b"";
    for part in name.split(|&c| c == b'|') {
        if let Some(v) = part.strip_prefix(b"Op:") {
            op = v;
        } else if let Some(v) = part.strip_prefix(b"Type:") {
            ty = v;
        }
    }
    (op, ty)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(NAME_CAP)]).into_owned()
}

/// What the closed frames at one depth left for the frame that encloses them.
#[derive(Debug, Default)]
struct Level {
    soql: u64,
    dml: u64,
    steps: Vec<u32>,
    dmls: Vec<u32>,
}

impl Level {
    fn absorb(&mut self, o: Level) {
        self.soql += o.soql;
        self.dml += o.dml;
        self.steps.extend(o.steps);
        self.dmls.extend(o.dmls);
    }
}

#[derive(Debug)]
struct StepRec {
    kind: StepKind,
    name: Box<[u8]>,
    ns: NsId,
    log_line: u64,
    total: u64,
    soql: u64,
    dml: u64,
    estimated: bool,
    /// A flow interview (`FLOW_START_INTERVIEW_BEGIN`), not a `Flow:` code unit.
    interview: bool,
    /// A rule evaluation (`WF_RULE_EVAL_BEGIN`), named by its rule type.
    rule_eval: bool,
    /// The DML record whose save this step is part of.
    owner: Option<u32>,
}

#[derive(Debug)]
struct DmlRec {
    op: String,
    object: String,
    rows: u64,
    ns: NsId,
    log_line: u64,
    src_line: Option<u32>,
    total: u64,
    soql: u64,
    dml: u64,
    estimated: bool,
    implicit: bool,
    steps: Vec<u32>,
    parent: Option<u32>,
    /// The step of the enclosing save that issued it.
    in_step: Option<u32>,
}

/// The facts of a DML record that its frame gives.
#[derive(Debug)]
struct Head {
    op: String,
    object: String,
    rows: u64,
    ns: NsId,
    log_line: u64,
    src_line: Option<u32>,
    total: u64,
    estimated: bool,
    implicit: bool,
}

impl Head {
    fn of(f: &ClosedFrame<'_>, op: String, object: String, rows: u64, implicit: bool) -> Self {
        Head {
            op,
            object,
            rows,
            ns: f.ns,
            log_line: f.log_line,
            src_line: f.src_line,
            total: f.total,
            estimated: f.estimated(),
            implicit,
        }
    }
}

/// A transaction's first DML on a setup object and on another object.
#[derive(Clone, Debug, Default)]
struct MixedTx {
    setup: Option<(String, u64, NsId)>,
    other: Option<(String, u64, NsId)>,
}

/// A finding for the Analyzer to add through its one findings path.
#[derive(Clone, Debug)]
pub struct SaveFinding {
    /// `TRIGGER_RECURSION` or `MIXED_DML_RISK`.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Namespace of the code it belongs to.
    pub ns: NsId,
    /// First and last log lines.
    pub line: u64,
    /// Last log line.
    pub last_line: u64,
    /// Occurrences.
    pub count: u64,
    /// A distinct key among findings of the same id and namespace.
    pub key: u32,
    /// One line.
    pub message: String,
}

/// A trigger's runs inside its own save, in one chain.
struct Nested<'a> {
    count: u64,
    first: u64,
    last: u64,
    depth: u32,
    ns: NsId,
    object: &'a [u8],
}

/// The accumulator behind the report's `save_order`.
#[derive(Debug, Default)]
pub struct SaveOrder {
    levels: Vec<Level>,
    /// `Rows:N` of the open `DML_BEGIN` at each depth.
    rows: Vec<u64>,
    dmls: Vec<DmlRec>,
    steps: Vec<StepRec>,
    statements: u64,
    omitted: u64,
    tx: MixedTx,
    mixed: Vec<MixedTx>,
}

impl SaveOrder {
    /// See one event (the tracker has seen it): `DML_BEGIN` rows and object types, and
    /// the transaction boundaries the mixed-DML check needs.
    pub fn event(&mut self, item: &Item<'_>, t: &Tracker) {
        let Some(ev) = item.event.as_ref() else {
            return;
        };
        match ev.etype() {
            EventType::DmlBegin => self.dml_begin(ev, item.loc.frame_ns, t),
            EventType::ExecutionStarted => self.end_transaction(),
            _ => {}
        }
    }

    fn dml_begin(&mut self, ev: &Event<'_>, ns: NsId, t: &Tracker) {
        let d = t.depth().saturating_sub(1) as usize;
        if self.rows.len() <= d {
            self.rows.resize(d + 1, 0);
        }
        let rows = memchr::memmem::rfind(ev.first_line(), b"|Rows:")
            .and_then(|p| crate::event::parse::parse_u64_commas(&ev.first_line()[p + 6..]));
        self.rows[d] = rows.unwrap_or(0);
        let (_, ty) = dml_parts(ev.first_line());
        // Platform events are published, not saved; test code inside System.runAs runs
        // with its own setup-object allowance.
        if ty.is_empty() || ty.ends_with(b"__e") || in_run_as(t) {
            return;
        }
        let ty = lossy(ty);
        let slot = if SETUP_OBJECTS.contains(&ty.as_str()) {
            &mut self.tx.setup
        } else {
            &mut self.tx.other
        };
        if slot.is_none() {
            *slot = Some((ty, ev.line, ns));
        }
    }

    fn end_transaction(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        if tx.setup.is_some() && tx.other.is_some() {
            self.mixed.push(tx);
        }
    }

    fn level(&mut self, d: usize) -> &mut Level {
        if self.levels.len() <= d {
            self.levels.resize_with(d + 1, Level::default);
        }
        &mut self.levels[d]
    }

    /// Account for one closed frame (the tracker's frames close innermost first).
    pub fn frame(&mut self, f: &ClosedFrame<'_>) {
        let d = f.depth as usize;
        self.level(d + 1);
        let inner = std::mem::take(&mut self.levels[d + 1]);
        match role(f) {
            Role::Dml => {
                self.statements += 1;
                let rows = self.rows.get(d).copied().unwrap_or(0);
                let (op, ty) = dml_parts(f.name);
                let head = Head::of(f, lossy(op), lossy(ty), rows, false);
                let up = Level {
                    soql: inner.soql,
                    dml: inner.dml + 1,
                    ..Level::default()
                };
                let (idx, _) = self.dml_record(head, inner);
                let l = self.level(d);
                l.absorb(up);
                l.dmls.extend(idx);
            }
            Role::Soql => {
                let l = self.level(d);
                l.absorb(inner);
                l.soql += 1;
            }
            Role::Step(kind) => self.step(f, kind, d, inner),
            Role::Container(kind) => match kind {
                Some(k) if inner.steps.is_empty() => self.step(f, k, d, inner),
                _ => {
                    if kind == Some(StepKind::WorkflowRules) {
                        // A flow interview inside a `Workflow:` unit is a process; a rule
                        // evaluation is named by the unit (`Workflow:Case`), not its type.
                        for &s in &inner.steps {
                            let s = &mut self.steps[s as usize];
                            if s.kind == StepKind::Flow && s.interview {
                                s.kind = StepKind::Process;
                            } else if s.rule_eval {
                                s.name = Box::from(&f.name[..f.name.len().min(NAME_CAP)]);
                            }
                        }
                    }
                    self.level(d).absorb(inner);
                }
            },
            Role::Execution if !inner.steps.is_empty() => {
                let (soql, dml) = (inner.soql, inner.dml);
                let head = Head::of(f, String::new(), String::new(), 0, true);
                let (_, rest) = self.dml_record(head, inner);
                let l = self.level(d);
                l.soql += soql;
                l.dml += dml;
                l.dmls.extend(rest);
            }
            Role::Execution | Role::Other => self.level(d).absorb(inner),
        }
    }

    /// Keep a DML record (unless the cap is reached) that takes `inner`'s steps and the
    /// statements they issued; its index, and the statements it did not take (a save from
    /// outside Apex takes only those its steps issued).
    fn dml_record(&mut self, h: Head, inner: Level) -> (Option<u32>, Vec<u32>) {
        let (children, rest): (Vec<u32>, Vec<u32>) = inner
            .dmls
            .into_iter()
            .partition(|&c| !h.implicit || self.dmls[c as usize].in_step.is_some());
        if self.dmls.len() >= DML_CAP {
            self.omitted += 1;
            return (None, rest);
        }
        let idx = self.dmls.len() as u32;
        let mut steps = inner.steps;
        steps.sort_by_key(|&s| self.steps[s as usize].log_line);
        for &s in &steps {
            self.steps[s as usize].owner = Some(idx);
        }
        for &c in &children {
            self.dmls[c as usize].parent = Some(idx);
        }
        self.dmls.push(DmlRec {
            op: h.op,
            object: h.object,
            rows: h.rows,
            ns: h.ns,
            log_line: h.log_line,
            src_line: h.src_line,
            total: h.total,
            soql: inner.soql,
            dml: inner.dml,
            estimated: h.estimated,
            implicit: h.implicit,
            steps,
            parent: None,
            in_step: None,
        });
        (Some(idx), rest)
    }

    /// A save step closed: it takes the statements inside it; steps inside it are part of
    /// its own work (a flow a trigger starts), DML statements pass up to the enclosing save.
    fn step(&mut self, f: &ClosedFrame<'_>, kind: StepKind, d: usize, inner: Level) {
        let idx = (self.steps.len() < STEP_CAP).then_some(self.steps.len() as u32);
        if let Some(i) = idx {
            let interview = f.entry == EventType::FlowStartInterviewBegin;
            let name = if interview { flow_name(f.name) } else { f.name };
            for &c in &inner.dmls {
                // The outermost step below the enclosing save closes last and keeps it.
                self.dmls[c as usize].in_step = Some(i);
            }
            self.steps.push(StepRec {
                kind,
                name: Box::from(&name[..name.len().min(NAME_CAP)]),
                ns: f.ns,
                log_line: f.log_line,
                total: f.total,
                soql: inner.soql,
                dml: inner.dml,
                estimated: f.estimated(),
                interview,
                rule_eval: f.entry == EventType::WfRuleEvalBegin,
                owner: None,
            });
        }
        let l = self.level(d);
        l.soql += inner.soql;
        l.dml += inner.dml;
        l.dmls.extend(inner.dmls);
        l.steps.extend(idx);
    }

    /// The report section and the findings. `hidden` tells which namespaces the view hides.
    pub fn finish(
        mut self,
        ns_name: &dyn Fn(NsId) -> String,
        hidden: &dyn Fn(NsId) -> bool,
    ) -> (SaveOrderReport, Vec<SaveFinding>) {
        self.end_transaction();
        // What the last frames left at the top: a save no `DML_BEGIN` shows.
        let top = std::mem::take(&mut self.levels);
        if let Some(top) = top.into_iter().next().filter(|l| !l.steps.is_empty()) {
            let steps = top.steps.iter().map(|&s| &self.steps[s as usize]);
            let head = Head {
                op: String::new(),
                object: String::new(),
                rows: 0,
                ns: NsId::DEFAULT,
                log_line: steps.clone().map(|s| s.log_line).min().unwrap_or(0),
                src_line: None,
                total: steps.map(|s| s.total).sum(),
                estimated: false,
                implicit: true,
            };
            self.dml_record(head, top);
        }
        let mut findings = self.mixed_findings(ns_name);
        // Log order, with indices remapped.
        let mut order: Vec<u32> = (0..self.dmls.len() as u32).collect();
        order.sort_by_key(|&i| (self.dmls[i as usize].log_line, i));
        let mut number = vec![0u32; self.dmls.len()];
        for (n, &i) in order.iter().enumerate() {
            number[i as usize] = n as u32 + 1;
        }
        let runs = self.runs();
        findings.extend(self.recursion_findings(&runs, &number));
        let mut out = Vec::with_capacity(order.len());
        for &i in &order {
            out.push(self.dml_row(i, &number, &runs, ns_name, hidden));
        }
        let report = SaveOrderReport {
            statements: self.statements,
            with_automation: out.iter().filter(|d| !d.steps.is_empty()).count() as u64,
            omitted: self.omitted,
            dml: out,
        };
        (report, findings)
    }

    /// The chain root of a DML record (the outermost save it is part of).
    fn root(&self, mut i: u32) -> u32 {
        while let Some(p) = self.dmls[i as usize].parent {
            i = p;
        }
        i
    }

    /// For each step: which run of its trigger (same name and event) in its chain it is,
    /// and how many instances of the same trigger (any event) enclose it.
    fn runs(&self) -> Vec<(u32, u32)> {
        let mut out = vec![(1u32, 0u32); self.steps.len()];
        let mut seen: HashMap<(u32, &[u8]), u32> = HashMap::new();
        let mut trig: Vec<u32> = (0..self.steps.len() as u32)
            .filter(|&s| {
                let s = &self.steps[s as usize];
                s.kind.is_trigger() && s.owner.is_some()
            })
            .collect();
        trig.sort_by_key(|&s| self.steps[s as usize].log_line);
        for s in trig {
            let st = &self.steps[s as usize];
            let root = self.root(st.owner.unwrap_or(0));
            let n = seen.entry((root, trigger_key(&st.name))).or_insert(0);
            *n += 1;
            let base = trigger_parts(&st.name).map(|p| p.0);
            // Walk out through the saves that enclose this step.
            let mut depth = 0;
            let mut at = st.owner;
            while let Some(d) = at {
                let Some(outer) = self.dmls[d as usize].in_step else {
                    break;
                };
                let o = &self.steps[outer as usize];
                if o.kind.is_trigger()
                    && base.is_some()
                    && trigger_parts(&o.name).map(|p| p.0) == base
                {
                    depth += 1;
                }
                at = o.owner;
            }
            out[s as usize] = (*n, depth);
        }
        out
    }

    fn mixed_findings(&self, ns_name: &dyn Fn(NsId) -> String) -> Vec<SaveFinding> {
        let mut out = Vec::new();
        for (k, tx) in self.mixed.iter().enumerate() {
            let (Some(setup), Some(other)) = (&tx.setup, &tx.other) else {
                continue;
            };
            let (first, second) = if setup.1 < other.1 {
                (setup, other)
            } else {
                (other, setup)
            };
            let conditional = CONDITIONAL_SETUP.contains(&setup.0.as_str());
            let mut message = format!(
                "DML on setup object {} (log line {}) and on {} (log line {}) in one \
                 transaction",
                setup.0, setup.1, other.0, other.1
            );
            if conditional {
                message.push_str(&format!(
                    "; allowed only under conditions the log does not show (see {})",
                    setup.0
                ));
            }
            if first.2 != second.2 {
                message.push_str(&format!(
                    "; namespaces {} and {}",
                    ns_name(first.2),
                    ns_name(second.2)
                ));
            }
            out.push(SaveFinding {
                id: "MIXED_DML_RISK",
                severity: if conditional {
                    Severity::Info
                } else {
                    Severity::Warn
                },
                ns: second.2,
                line: second.1,
                last_line: second.1,
                count: 1,
                key: k as u32,
                message,
            });
        }
        out
    }

    fn recursion_findings(&self, runs: &[(u32, u32)], number: &[u32]) -> Vec<SaveFinding> {
        // Per chain and trigger: the nested runs.
        let mut agg: HashMap<(u32, &[u8]), Nested<'_>> = HashMap::new();
        for (s, st) in self.steps.iter().enumerate() {
            let (_, depth) = runs[s];
            let (Some(owner), true) = (st.owner, depth > 0) else {
                continue;
            };
            let Some((base, object)) = trigger_parts(&st.name) else {
                continue;
            };
            let e = agg.entry((self.root(owner), base)).or_insert(Nested {
                count: 0,
                first: st.log_line,
                last: st.log_line,
                depth: 0,
                ns: st.ns,
                object,
            });
            e.count += 1;
            e.first = e.first.min(st.log_line);
            e.last = e.last.max(st.log_line);
            e.depth = e.depth.max(depth);
        }
        let mut out: Vec<SaveFinding> = agg
            .into_iter()
            .map(|((root, base), n)| SaveFinding {
                id: "TRIGGER_RECURSION",
                severity: Severity::Warn,
                ns: n.ns,
                line: n.first,
                last_line: n.last,
                count: n.count,
                key: root,
                message: format!(
                    "trigger {} on {} ran again inside its own save {}× (nested {} deep) in {}",
                    lossy(base),
                    lossy(n.object),
                    n.count,
                    n.depth,
                    save_title(&self.dmls[root as usize], number[root as usize])
                ),
            })
            .collect();
        out.sort_by_key(|f| f.line);
        out
    }

    /// The triggers that ran more than once in the chain whose outermost DML is `root`.
    fn reentries(&self, root: u32, runs: &[(u32, u32)]) -> Vec<Reentry> {
        let mut reentries: Vec<Reentry> = Vec::new();
        let mut by: HashMap<&[u8], (u32, u32, u64)> = HashMap::new();
        for (s, st) in self.steps.iter().enumerate() {
            let Some(owner) = st.owner else { continue };
            if !st.kind.is_trigger() || self.root(owner) != root {
                continue;
            }
            let e = by
                .entry(trigger_key(&st.name))
                .or_insert((0, 0, st.log_line));
            e.0 = e.0.max(runs[s].0);
            e.1 = e.1.max(runs[s].1);
            e.2 = e.2.min(st.log_line);
        }
        for (name, (runs, nested, first)) in by {
            if runs > 1 {
                reentries.push(Reentry {
                    trigger: lossy(name),
                    runs,
                    nested,
                    first_line: first,
                });
            }
        }
        reentries.sort_by_key(|r| r.first_line);
        reentries
    }

    fn dml_row(
        &self,
        i: u32,
        number: &[u32],
        runs: &[(u32, u32)],
        ns_name: &dyn Fn(NsId) -> String,
        hidden: &dyn Fn(NsId) -> bool,
    ) -> DmlSave {
        let r = &self.dmls[i as usize];
        let steps = r
            .steps
            .iter()
            .map(|&s| {
                let st = &self.steps[s as usize];
                let (run, depth) = runs[s as usize];
                let parts = trigger_parts(&st.name);
                let hide = hidden(st.ns);
                SaveStep {
                    step: st.kind,
                    name: if hide {
                        format!("({})", ns_name(st.ns))
                    } else {
                        match parts {
                            Some((t, _)) => lossy(t),
                            None => lossy(&st.name),
                        }
                    },
                    object: parts.map(|p| lossy(p.1)),
                    event: trigger_event(&st.name).map(lossy),
                    namespace: ns_name(st.ns),
                    log_line: st.log_line,
                    total_nanos: st.total,
                    soql: st.soql,
                    dml: st.dml,
                    run,
                    nested: depth,
                    estimated: st.estimated,
                }
            })
            .collect();
        let reentries = if self.root(i) == i {
            self.reentries(i, runs)
        } else {
            Vec::new()
        };
        DmlSave {
            index: number[i as usize],
            op: r.op.clone(),
            object: r.object.clone(),
            rows: r.rows,
            namespace: ns_name(r.ns),
            log_line: r.log_line,
            source_line: r.src_line,
            total_nanos: r.total,
            soql: r.soql,
            dml: r.dml,
            implicit: r.implicit,
            estimated: r.estimated,
            parent: r.parent.map(|p| number[p as usize]),
            parent_step: r.in_step.map(|s| {
                let st = &self.steps[s as usize];
                if hidden(st.ns) {
                    format!("({})", ns_name(st.ns))
                } else {
                    lossy(trigger_parts(&st.name).map_or(&st.name[..], |p| p.0))
                }
            }),
            steps,
            reentries,
        }
    }
}

/// `Update Case (DML #1)` or `the save from outside Apex (#1)`.
fn save_title(r: &DmlRec, n: u32) -> String {
    if r.implicit {
        format!("the save from outside Apex (#{n})")
    } else {
        format!("{} {} (DML #{n}, log line {})", r.op, r.object, r.log_line)
    }
}

/// The trigger's object (`Projecten`, `acme__Invoice`) names the DML's type
/// (`Projecten__c`, `acme__Invoice__c`); the save from outside Apex names none.
fn same_object(trigger_object: &str, dml_type: &str) -> bool {
    dml_type.is_empty()
        || trigger_object == dml_type
        || dml_type.strip_suffix("__c") == Some(trigger_object)
}

/// True inside `System.runAs` (test code).
fn in_run_as(t: &Tracker) -> bool {
    t.open_frames().any(|(e, _, name)| {
        matches!(e, EventType::SystemMethodEntry | EventType::MethodEntry)
            && name.starts_with(b"System.runAs")
    })
}

/// Titles and remedies of this analysis's findings, for the findings model.
pub fn native_text(id: &str) -> Option<(&'static str, Option<&'static str>)> {
    match id {
        "TRIGGER_RECURSION" => Some((
            "Trigger runs again inside its own save",
            Some(
                "Guard the trigger with a static set of processed record Ids, or only update records whose values change; unguarded, it ends in 'maximum trigger depth exceeded' (TRIGGER_DEPTH).",
            ),
        )),
        "MIXED_DML_RISK" => Some((
            "Setup and non-setup DML in one transaction",
            Some(
                "Move the setup-object DML to its own transaction (@future or a queueable), or System.runAs in tests; otherwise it fails with MIXED_DML_OPERATION (MIXED_DML).",
            ),
        )),
        _ => None,
    }
}

/// The report's `save_order` (docs/analyze-json.md).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SaveOrderReport {
    /// `DML_BEGIN` frames closed.
    pub statements: u64,
    /// Of `dml`, the entries with at least one save step.
    pub with_automation: u64,
    /// DML statements beyond the cap, not listed.
    pub omitted: u64,
    /// Every DML statement in log order, and the saves no `DML_BEGIN` shows.
    pub dml: Vec<DmlSave>,
}

/// One DML statement and the save steps that ran inside it.
#[derive(Clone, Debug, Serialize)]
pub struct DmlSave {
    /// 1-based, in log order.
    pub index: u32,
    /// `Insert`, `Update`, … (empty for a save from outside Apex).
    pub op: String,
    /// The object type (empty for a save from outside Apex).
    pub object: String,
    /// `Rows:N` of `DML_BEGIN`.
    pub rows: u64,
    /// Namespace of the code that ran it.
    pub namespace: String,
    /// Log line of `DML_BEGIN` (of the first step for a save from outside Apex).
    pub log_line: u64,
    /// Source line of `DML_BEGIN`.
    pub source_line: Option<u32>,
    /// Time from `DML_BEGIN` to `DML_END`.
    pub total_nanos: u64,
    /// Queries inside it (its steps').
    pub soql: u64,
    /// DML statements inside it.
    pub dml: u64,
    /// A save no `DML_BEGIN` shows (user interface, API): the steps left in an execution.
    pub implicit: bool,
    /// Its end was inferred (`DML_END` missing).
    pub estimated: bool,
    /// The `index` of the DML whose save issued this one.
    pub parent: Option<u32>,
    /// The step of that save that issued it (trigger or step name).
    pub parent_step: Option<String>,
    /// The save steps, in the order they ran.
    pub steps: Vec<SaveStep>,
    /// On the outermost DML of a chain: triggers that ran more than once in it.
    pub reentries: Vec<Reentry>,
}

/// One save step.
#[derive(Clone, Debug, Serialize)]
pub struct SaveStep {
    /// What kind of step.
    pub step: StepKind,
    /// Trigger name, flow name, or code unit name (`(ns)` when the view hides it).
    pub name: String,
    /// For triggers: the object it is on.
    pub object: Option<String>,
    /// For triggers: the event (`BeforeInsert`, …).
    pub event: Option<String>,
    /// Namespace.
    pub namespace: String,
    /// Log line of its start.
    pub log_line: u64,
    /// Its time.
    pub total_nanos: u64,
    /// Queries inside it.
    pub soql: u64,
    /// DML statements inside it.
    pub dml: u64,
    /// For triggers: which run of this trigger and event in the chain (1 = first).
    pub run: u32,
    /// For triggers: how many runs of the same trigger enclose this one.
    pub nested: u32,
    /// Its end was inferred.
    pub estimated: bool,
}

/// A trigger that ran more than once in one DML chain.
#[derive(Clone, Debug, Serialize)]
pub struct Reentry {
    /// The trigger's code unit name (`CaseTrigger on Case trigger event AfterUpdate`).
    pub trigger: String,
    /// Runs in the chain.
    pub runs: u32,
    /// The deepest nesting inside itself (0: it ran again after it finished, as a
    /// workflow field update makes it).
    pub nested: u32,
    /// Log line of its first run.
    pub first_line: u64,
}

/// Most DML statements with automation printed in full.
const TEXT_DMLS: usize = 20;
/// Most steps printed per DML.
const TEXT_STEPS: usize = 30;

/// The heading of one save, in parts (`#1 Update Case`, `1 row`, `log line 4`, its time,
/// the save it runs inside): the text report wraps them, the page joins them.
pub(super) fn heading_parts(d: &DmlSave) -> Vec<String> {
    let mut parts = vec![if d.implicit {
        format!("#{} save from outside Apex", d.index)
    } else {
        format!("#{} {} {}", d.index, d.op, d.object)
    }];
    if !d.implicit {
        parts.push(format!(
            "{} row{}",
            d.rows,
            if d.rows == 1 { "" } else { "s" }
        ));
    }
    parts.push(format!("log line {}", d.log_line));
    parts.push(format!("{} ms", super::text::ms(d.total_nanos)));
    if let Some(p) = d.parent {
        match &d.parent_step {
            Some(s) => parts.push(format!("inside #{p} ({s})")),
            None => parts.push(format!("inside #{p}")),
        }
    }
    parts
}

/// Write the text section, every line within `width` columns (`width` at least 60).
pub fn write_text<W: Write>(
    w: &mut W,
    r: &SaveOrderReport,
    st: &Style,
    width: usize,
) -> io::Result<()> {
    use super::text::{clip, ms, wrap_parts};
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        st.bold(&format!(
            "Order of execution per DML ({} statement(s), {} save(s) with automation)",
            r.statements, r.with_automation
        ))
    )?;
    let auto: Vec<&DmlSave> = r.dml.iter().filter(|d| !d.steps.is_empty()).collect();
    if auto.is_empty() {
        writeln!(w, "  no save steps (triggers, validation, workflow, flows)")?;
        return Ok(());
    }
    for d in auto.iter().take(TEXT_DMLS) {
        let parts = heading_parts(d);
        for (i, l) in wrap_parts(&parts, width.saturating_sub(4))
            .iter()
            .enumerate()
        {
            let indent = if i == 0 { "  " } else { "    " };
            writeln!(w, "{indent}{}", if i == 0 { st.cyan(l) } else { l.clone() })?;
        }
        let names: Vec<String> = d
            .steps
            .iter()
            .take(TEXT_STEPS)
            .map(|s| step_name(s, &d.object))
            .collect();
        // The name column: as wide as the longest name, at least 27 columns, at most what
        // the line leaves (23 columns before the name, 30 after it).
        let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let room = width.saturating_sub(53).min(longest.max(27)).max(10);
        for (n, (s, name)) in d.steps.iter().zip(&names).enumerate() {
            writeln!(
                w,
                "    {:>2}. {:<14} {:<room$} {:>9} ms {:>3} SOQL {:>3} DML",
                n + 1,
                s.step.label(),
                clip(name, room),
                ms(s.total_nanos),
                s.soql,
                s.dml
            )?;
        }
        if d.steps.len() > TEXT_STEPS {
            writeln!(w, "      … {} more step(s)", d.steps.len() - TEXT_STEPS)?;
        }
        for re in &d.reentries {
            let how = if re.nested > 0 {
                "nested inside itself"
            } else {
                "each run after the last ended"
            };
            let t = re.trigger.replacen(" trigger event ", " ", 1);
            let text = format!("re-entry: {t} ran {}×, {how}", re.runs);
            let line = clip(&text, width.saturating_sub(6));
            writeln!(w, "      {}", st.yellow(&line))?;
        }
    }
    if auto.len() > TEXT_DMLS {
        writeln!(
            w,
            "  {}",
            st.dim(&format!(
                "… {} more save(s) with automation (see --format json)",
                auto.len() - TEXT_DMLS
            ))
        )?;
    }
    if r.omitted > 0 {
        writeln!(
            w,
            "  {}",
            st.dim(&format!("({} DML statement(s) beyond the cap)", r.omitted))
        )?;
    }
    Ok(())
}

/// A step's name as the text report writes it: `CaseTrigger (Insert) ×2`,
/// `ParentTrigger on Account (Update)`, `Case:500…` for validation.
pub(super) fn step_name(s: &SaveStep, dml_object: &str) -> String {
    // The kind says validation: the name is the object and record.
    let mut name = match s.name.strip_prefix("Validation:") {
        Some(rest) if s.step == StepKind::Validation => rest.to_string(),
        _ => s.name.clone(),
    };
    if let Some(o) = s.object.as_deref().filter(|o| !same_object(o, dml_object)) {
        // Another object's trigger in this save: the parent's save (roll-up summary,
        // cross-object workflow).
        name.push_str(&format!(" on {o}"));
    }
    if let Some(e) = &s.event {
        let e = e
            .strip_prefix("Before")
            .or_else(|| e.strip_prefix("After"))
            .filter(|r| !r.is_empty())
            .unwrap_or(e);
        name.push_str(&format!(" ({e})"));
    }
    if s.namespace != "(default)" && !name.starts_with('(') {
        name.push_str(&format!(" [{}]", s.namespace));
    }
    if s.run > 1 {
        name.push_str(&format!(" ×{}", s.run));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_names_split_into_trigger_object_and_event() {
        let n = b"CaseTrigger on Case trigger event BeforeInsert for [new]";
        assert_eq!(trigger_event(n), Some(&b"BeforeInsert"[..]));
        assert_eq!(trigger_parts(n), Some((&b"CaseTrigger"[..], &b"Case"[..])));
        assert_eq!(trigger_event(b"Validation:Case:new"), None);
        assert_eq!(
            dml_parts(b"Op:Update|Type:acme__Invoice__c"),
            (&b"Update"[..], &b"acme__Invoice__c"[..])
        );
        assert_eq!(flow_name(b"0Fo1|Route Case"), b"Route Case");
    }
}
