//! `dbglog analyze`: the findings of one log, in one streaming pass.
//!
//! An [`Analyzer`] consumes the located items of [`crate::stream::run`] and
//! the frames the [`Tracker`] closes, and keeps only aggregates: per-statement SOQL/DML
//! counters, per-method time, per-namespace limit rows, and findings (errors, limits close
//! to their maximum, statements repeated in a loop, expensive query plans, opaque
//! managed-package sections). Nothing is kept per event; strings are interned once per
//! distinct name.
//!
//! [`Analyzer::finish`] turns the aggregates into a [`Report`], which serialises to the
//! JSON schema documented in `docs/analyze-json.md` and prints as text with [`text`].
//!
//! With a view other than `full`, the report shows what that view of the log would show:
//! findings raised inside hidden namespaces are dropped, except uncaught exceptions, which
//! surface to the subscriber and are reported with their origin hidden. See
//! [`Report::view`] and `docs/analyze-json.md`.
//!
//! One file per analysis; this file holds the driver, which hands each item and each closed
//! frame to the analyses, and the state they share:
//!
//! - `report.rs`: the public report types (the JSON schema);
//! - `summary.rs`: header, user, entry points, transactions, wall time, truncation markers,
//!   log issues;
//! - `findings.rs`: the finding key and aggregation, the known-error catalogue applied to
//!   events, the view filter; `exceptions.rs`: caught/uncaught pairing;
//! - `limits.rs`: the limits blocks and their findings;
//! - `statements.rs`: SOQL/SOSL/DML tables, statements in loops, query plans, the reckoning
//!   against the limits blocks;
//! - `methods.rs`, `namespaces.rs` (time per namespace, hidden and opaque packages),
//!   `heap.rs`, `tree.rs`;
//! - `intern.rs`: the maps' hasher and the string interner;
//! - `verdict.rs` ranks the findings into the one-line verdict; `text.rs` and `html.rs`
//!   print a report, `flame.rs` folds stacks.

pub mod aggregate;
pub mod categories;
pub mod flame;
pub mod html;
pub mod save_order;
pub mod text;
pub mod verdict;

// Parts of the transaction: heap peak, callouts, SOQL lint, what the levels hide.
pub mod callouts;
pub mod coverage;
mod lint;
pub mod memory;
mod parts;
pub mod soql;

mod exceptions;
mod findings;
mod heap;
mod intern;
mod limits;
mod methods;
mod namespaces;
mod report;
mod statements;
mod summary;
mod tree;

pub use limits::LIMIT_THRESHOLD_PCT;
pub use report::*;
pub use statements::LOOP_THRESHOLD;
pub use verdict::Verdict;

use crate::event::payload::user_info::UserInfo;
use crate::event::usage;
use crate::event::{Event, EventType};
use crate::framing::RecordKind;
use crate::input::Input;
use crate::namespace::NsId;
use crate::rules::Catalogue;
use crate::stream::{self, Item, RunError};
use crate::track::{ClosedFrame, Tracker};
use crate::view::ViewSpec;
use exceptions::Pending;
use findings::{Ctx, FindingAgg, FindingKey};
use intern::{FastMap, Interner};
use methods::MethodStat;
use namespaces::{NsAcc, NsView};
use statements::{Stmt, StmtStat};
use std::collections::{BinaryHeap, HashSet};
use tree::TreeRec;

/// Longest statement or message text kept (bytes).
const TEXT_CAP: usize = 1024;

/// Options of an analysis.
#[derive(Clone, Debug)]
pub struct Options {
    /// Which view of the log to analyze.
    pub view: ViewSpec,
    /// Namespaces that are the subscriber's own code (`--own`): visible in every view.
    pub own: Vec<String>,
    /// How many methods to list by self time.
    pub top: usize,
    /// Build the call tree.
    pub tree: bool,
    /// Deepest tree level kept (0 = top level only).
    pub tree_depth: u32,
    /// Most tree lines kept.
    pub tree_lines: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            view: ViewSpec::Full,
            own: Vec::new(),
            top: 10,
            tree: false,
            tree_depth: 12,
            tree_lines: 400,
        }
    }
}

/// Analyze `input` with `catalogue` (the known-error rules).
pub fn analyze(
    input: &mut Input,
    opts: &Options,
    catalogue: &Catalogue,
) -> Result<Report, RunError> {
    let mut tracker = Tracker::new()
        .with_namespaces(opts.view.named_namespaces())
        .with_namespaces(&opts.own);
    /// The analyzer as a consumer of the run: it accounts for the frames each record
    /// closes itself, and for those the end closes at the end.
    struct Run<'a, 'c>(&'a mut Analyzer<'c>);
    impl stream::Sink for Run<'_, '_> {
        fn item(&mut self, item: &Item<'_>, t: &Tracker) -> std::io::Result<stream::Flow> {
            self.0.item(item, t);
            Ok(stream::Flow::Continue)
        }
        fn end(&mut self, t: &Tracker, _: &stream::Summary) -> std::io::Result<()> {
            self.0.closed(t, None);
            Ok(())
        }
    }
    let mut a = Analyzer::new(opts.clone(), catalogue);
    let summary = stream::drive(input, &mut tracker, stream::Threads::Auto, Run(&mut a))?;
    let mut report = a.finish(&tracker);
    report.file = input.name.clone();
    report.summary.bytes = summary.bytes;
    report.summary.events = summary.events;
    report.summary.logs = summary.logs;
    Ok(report)
}

/// The streaming consumer behind [`analyze`]. Feed every item with [`item`](Self::item),
/// then finish the tracker, call [`closed`](Self::closed) once more and [`finish`](Self::finish).
///
/// Its fields are the analyses' state, each used by the file of its analysis.
pub struct Analyzer<'c> {
    opts: Options,
    cat: &'c Catalogue,
    /// Method and frame names (methods, the findings' context, entry points).
    names: Interner,
    // findings.rs: the catalogue applied to events, and the findings so far.
    /// Event types the catalogue is applied to (indexed by `EventType as usize`).
    rule_types: Vec<bool>,
    rule_unknown_types: HashSet<Vec<u8>>,
    /// Some rule applies to every event type: events of other types are matched when the
    /// catalogue's prefilter finds one of its literals in them.
    any_type_rules: bool,
    matches: Vec<usize>,
    rule_cache: FastMap<Box<[u8]>, Box<[usize]>>,
    cache_key: Vec<u8>,
    findings: FastMap<FindingKey, FindingAgg>,
    // exceptions.rs
    exc: ExceptionCounts,
    pending: Vec<Pending>,
    // summary.rs
    api_version: Option<String>,
    levels: Vec<LogLevel>,
    /// The header's DB level (the statements' reckoning says when it hides statements).
    db_level: Option<crate::header::HeaderLevel>,
    header_issues: Vec<HeaderIssue>,
    user: Option<String>,
    entries: FastMap<(NsId, u32), u64>,
    entry_order: Vec<(NsId, u32)>,
    transactions: u64,
    wall: u64,
    log_first: Option<u64>,
    log_last: u64,
    start: Option<StartTime>,
    out_of_order: u64,
    out_of_order_line: u64,
    flows: FlowKinds,
    markers: u64,
    // statements.rs
    stmts: Interner,
    soql: FastMap<(NsId, u32), StmtStat>,
    dml: FastMap<(NsId, u32), StmtStat>,
    sosl: FastMap<(NsId, u32), StmtStat>,
    /// Statement ids that name statements seen only in limit-usage lines.
    usage_stmts: HashSet<u32>,
    soql_loops: FastMap<(Ctx, u32), (u64, u64, u64)>,
    dml_loops: FastMap<(Ctx, u32), (u64, u64, u64)>,
    // limits.rs
    labels: Interner,
    // namespaces.rs; each entry also holds its namespace's limits and statement figures.
    ns: Vec<NsAcc>,
    // methods.rs
    methods: FastMap<u32, MethodStat>,
    // heap.rs
    /// One heap accumulator per open frame (index = depth), and the log's own.
    heap_stack: Vec<Heap>,
    heap_log: Heap,
    heap_reported: Option<u64>,
    // tree.rs
    tree: BinaryHeap<TreeRec>,
    tree_frames: u64,
    tree_omitted: u64,
    // categories.rs, save_order.rs
    categories: categories::Categories,
    save: save_order::SaveOrder,
    // memory.rs, callouts.rs, lint.rs, coverage.rs; and the code unit or method that
    // called into a package, per finding context (the verdict names it).
    memory: memory::Memory,
    callouts: callouts::Callouts,
    lint: lint::Lint,
    coverage: coverage::Coverage,
    caller_units: FastMap<Ctx, u32>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// At most `n` bytes of `b`, with `…` when cut.
fn cap_text(b: &[u8], n: usize) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(n)]);
    if b.len() > n {
        format!("{s}…")
    } else {
        s.into_owned()
    }
}

impl<'c> Analyzer<'c> {
    /// A fresh analyzer.
    pub fn new(opts: Options, cat: &'c Catalogue) -> Self {
        let (rule_types, rule_unknown_types, any_type_rules) = findings::rule_types(cat);
        Analyzer {
            opts,
            cat,
            names: Interner::default(),
            rule_types,
            rule_unknown_types,
            any_type_rules,
            matches: Vec::new(),
            rule_cache: FastMap::default(),
            cache_key: Vec::new(),
            findings: FastMap::default(),
            exc: ExceptionCounts::default(),
            pending: Vec::new(),
            api_version: None,
            levels: Vec::new(),
            db_level: None,
            header_issues: Vec::new(),
            user: None,
            entries: FastMap::default(),
            entry_order: Vec::new(),
            transactions: 0,
            wall: 0,
            log_first: None,
            log_last: 0,
            start: None,
            out_of_order: 0,
            out_of_order_line: 0,
            flows: FlowKinds::default(),
            markers: 0,
            stmts: Interner::default(),
            soql: FastMap::default(),
            dml: FastMap::default(),
            sosl: FastMap::default(),
            usage_stmts: HashSet::new(),
            soql_loops: FastMap::default(),
            dml_loops: FastMap::default(),
            labels: Interner::default(),
            ns: vec![NsAcc::default()],
            methods: FastMap::default(),
            heap_stack: Vec::new(),
            heap_log: Heap::default(),
            heap_reported: None,
            tree: BinaryHeap::new(),
            tree_frames: 0,
            tree_omitted: 0,
            categories: categories::Categories::default(),
            save: save_order::SaveOrder::default(),
            memory: memory::Memory::default(),
            callouts: callouts::Callouts::default(),
            lint: lint::Lint::default(),
            coverage: coverage::Coverage::default(),
            caller_units: FastMap::default(),
        }
    }

    /// Consume one item. `t` is the tracker after it saw the item.
    #[inline]
    pub fn item(&mut self, item: &Item<'_>, t: &Tracker) {
        match item.record.kind {
            RecordKind::Event => {}
            RecordKind::Header => {
                self.end_log();
                self.flush_pending();
                if self.api_version.is_none() {
                    self.coverage.header(item.record.raw, item.record.line);
                    self.header(item.record.raw);
                }
                self.closed(t, None);
                return;
            }
            RecordKind::Skipped | RecordKind::MaxSize => {
                self.marker(item);
                self.closed(t, None);
                return;
            }
            RecordKind::Bom | RecordKind::Text => return,
        }
        let Some(ev) = item.event.as_ref() else {
            return;
        };
        self.clock(item, ev);
        let et = ev.etype();
        self.ns_event(item.loc.frame_ns, et, ev.line);
        match et {
            EventType::ExecutionStarted => {
                self.flush_pending();
                self.end_transaction();
                self.transactions += 1;
            }
            EventType::FlowStartInterviewBegin => self.flow_interview(t),
            EventType::SoslExecuteBegin => self.statement(item, t, ev, Stmt::Sosl),
            t0 if usage::is_usage_type(t0) => self.usage_line(item, t, ev),
            EventType::UserInfo if self.user.is_none() => {
                self.user = UserInfo::parse(ev.first_line()).map(|u| lossy(u.user_name));
            }
            EventType::CodeUnitStarted => self.code_unit(t),
            EventType::SoqlExecuteBegin => self.statement(item, t, ev, Stmt::Soql),
            EventType::DmlBegin => self.statement(item, t, ev, Stmt::Dml),
            EventType::SoqlExecuteExplain => self.explain(item, t, ev),
            EventType::LimitUsageForNs => self.limits(item, ev),
            EventType::ExceptionThrown => self.thrown(item, t, ev),
            EventType::FatalError => self.fatal(item, t, ev),
            _ => {}
        }
        self.save.event(item, t);
        self.parts_event(item, t, ev, et);
        if self.rules_wanted(et, ev)
            && !matches!(
                et,
                EventType::ExceptionThrown | EventType::FatalError | EventType::LimitUsageForNs
            )
        {
            self.other_rules(item, t, ev);
        }
        self.closed(t, Some(ev));
        self.heap_item(t, ev, item.loc.frame_ns);
    }

    /// Account for the frames the tracker just closed. `ev` is the event that closed them
    /// (`None` for headers, markers and the end of input).
    pub fn closed(&mut self, t: &Tracker, ev: Option<&Event<'_>>) {
        for f in t.closed() {
            self.frame(&f, ev);
        }
    }

    /// One closed frame, handed to each analysis that counts frames.
    fn frame(&mut self, f: &ClosedFrame<'_>, ev: Option<&Event<'_>>) {
        let heap = self.frame_heap(f.depth);
        self.ns_frame(f);
        self.categories.frame(f);
        self.save.frame(f);
        match f.entry {
            EventType::MethodEntry | EventType::ConstructorEntry | EventType::CodeUnitStarted => {
                self.method_frame(f, &heap)
            }
            EventType::SoqlExecuteBegin | EventType::DmlBegin | EventType::SoslExecuteBegin => {
                self.statement_frame(f, ev)
            }
            _ => {}
        }
        if self.opts.tree {
            self.tree_frame(f, heap);
        }
    }

    /// Turn the aggregates into a report: each analysis finishes its part. Findings come
    /// first (limits, loops and opaque packages add theirs), then the verdict over them.
    pub fn finish(mut self, t: &Tracker) -> Report {
        self.end_log();
        self.flush_pending();
        let nss = t.namespaces();
        if self.ns.len() < nss.len() {
            self.ns.resize_with(nss.len(), NsAcc::default);
        }
        let vis = NsView::new(&self.opts, nss, &self.ns);
        let limits = self.finish_limits(nss);
        self.limit_findings(nss);
        self.loop_findings();
        self.opaque_findings(nss, &vis);
        let ns_name = |id: NsId| lossy(nss.name(id));
        let time_by_category = self.categories.finish(&ns_name);
        let save = std::mem::take(&mut self.save);
        let (save_order, save_findings) = save.finish(&ns_name, &|id| vis.hides(id));
        self.save_findings(save_findings);
        self.parts_findings();
        let mut ranked = verdict::group(self.finish_findings(nss, &vis));
        verdict::order(&mut ranked);
        let entry = (self.transactions == 1 && self.entry_order.len() == 1)
            .then(|| lossy(self.names.name(self.entry_order[0].1)));
        let verdict = verdict::verdict(&ranked, &limits, entry.as_deref());
        let findings: Vec<Finding> = ranked.into_iter().map(|r| r.finding).collect();
        let (soql, dml, sosl) = self.finish_statements(nss);
        let log_issues = self.log_issues(t);
        let all_methods = self.finish_methods(nss, &vis);
        let heap = self.finish_heap(&limits, &all_methods, &ns_name, &|id| vis.hides(id));
        Report {
            schema_version: SCHEMA_VERSION,
            file: String::new(),
            view: self.opts.view.to_string(),
            hidden_namespaces: vis.hidden_names(nss),
            summary: self.finish_summary(nss),
            verdict,
            findings,
            limits,
            soql,
            dml,
            sosl,
            heap,
            callouts: std::mem::take(&mut self.callouts).finish(&ns_name),
            not_shown: self.coverage.notes(),
            exceptions: self.exc.clone(),
            methods: methods::top(all_methods, self.opts.top),
            namespaces: self.finish_namespaces(nss, &vis),
            tree: self.finish_tree(nss, &vis),
            log_issues,
            time_by_category,
            save_order,
        }
    }

    /// The save order's findings (recursive triggers, mixed setup DML) into the findings.
    fn save_findings(&mut self, found: Vec<save_order::SaveFinding>) {
        for sf in found {
            let ctx = Ctx {
                ns: sf.ns,
                caller: None,
                method: findings::NONE,
                src_line: findings::NONE,
            };
            let msg = sf.message;
            let f = self.add_finding(
                findings::Ident::Native(sf.id),
                ctx,
                sf.key,
                sf.severity,
                sf.line,
                findings::Keep::LineOnly,
                || msg,
            );
            f.count = sf.count;
            f.last_line = f.last_line.max(sf.last_line);
        }
    }
}

/// Small logs for the analyses' unit tests.
#[cfg(test)]
mod testlog {
    use super::{Options, Report, analyze};
    use crate::rules::Catalogue;

    /// Analyze a log of a `61.0 APEX_CODE,FINEST;DB,INFO` header and `events`: a line that
    /// starts with `(` is an event and gets the clock `08:00:00.1 ` in front; other lines
    /// (limits blocks, markers) are kept as written.
    pub(super) fn run(events: &str, opts: &Options) -> Report {
        let mut log = String::from("61.0 APEX_CODE,FINEST;DB,INFO\n");
        for l in events.lines().map(str::trim_start) {
            if l.starts_with('(') {
                log.push_str("08:00:00.1 ");
            } else if !l.is_empty() && !l.starts_with("***") {
                log.push_str("  ");
            }
            log.push_str(l);
            log.push('\n');
        }
        let mut input = crate::input::from_bytes("t.log", log.into_bytes());
        analyze(&mut input, opts, Catalogue::builtin()).unwrap()
    }

    /// [`run`] with the default options.
    pub(super) fn report(events: &str) -> Report {
        run(events, &Options::default())
    }

    /// A value as JSON, for exact comparisons of report parts.
    pub(super) fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }
}
