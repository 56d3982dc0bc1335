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

pub mod flame;
pub mod html;
pub mod text;
pub mod verdict;

pub use verdict::Verdict;

use crate::event::usage::{self, Limit};
use crate::event::{Event, EventType};
use crate::framing::RecordKind;
use crate::input::Input;
use crate::namespace::NsId;
use crate::rules::{Catalogue, RuleMatch, Severity, MARKER_EVENT};
use crate::stream::{self, Item, RunError};
use crate::track::{CloseKind, ClosedFrame, IssueKind, Tracker};
use crate::view::ViewSpec;
use serde::Serialize;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Version of the JSON schema (`schema_version`); bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;
/// A limit at or above this share of its maximum is a finding.
pub const LIMIT_THRESHOLD_PCT: u64 = 80;
/// The same statement from the same line this many times or more is a finding.
pub const LOOP_THRESHOLD: u64 = 5;
/// Longest statement or message text kept (bytes).
const TEXT_CAP: usize = 1024;
/// At most this many distinct event texts keep their catalogue matches cached.
const RULE_CACHE_CAP: usize = 4096;
/// Longest event text whose catalogue matches are cached.
const RULE_CACHE_TEXT: usize = 4096;
/// At most this many exceptions of one execution are kept for caught/uncaught pairing.
const PENDING_CAP: usize = 10_000;
/// At most this many distinct entry points are listed.
const ENTRY_CAP: usize = 1_000;

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

// ---------------------------------------------------------------------------------------
// Report (the JSON schema)

/// The whole report. Field names are the JSON schema (`docs/analyze-json.md`).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Input name (`-` for stdin).
    pub file: String,
    /// The view analyzed: `full`, `subscriber` or `vendor:NS[,NS]`.
    pub view: String,
    /// Namespaces whose internals the view hides.
    pub hidden_namespaces: Vec<String>,
    /// Facts about the log.
    pub summary: Summary,
    /// How the transaction ended and why, in one line (the first line of the text report).
    pub verdict: Verdict,
    /// Findings, most severe and most telling first ([`verdict`] ranks and groups them).
    pub findings: Vec<Finding>,
    /// Governor limits, one pool per namespace.
    pub limits: Vec<NsLimits>,
    /// SOQL statements.
    pub soql: StatementTable,
    /// DML statements.
    pub dml: StatementTable,
    /// SOSL statements, counted like SOQL.
    pub sosl: StatementTable,
    /// Heap: what the allocations add up to and what the limits blocks report.
    pub heap: HeapSummary,
    /// Exception counts.
    pub exceptions: ExceptionCounts,
    /// Top methods by self time.
    pub methods: Vec<MethodRow>,
    /// Self time per namespace.
    pub namespaces: Vec<NsTime>,
    /// The call tree, with `--tree`.
    pub tree: Option<Tree>,
    /// Problems with the log itself (unmatched exits, truncation…), counted by kind.
    pub log_issues: Vec<IssueCount>,
}

/// Facts about the log.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// API version from the (first) header, e.g. `61.0`.
    pub api_version: Option<String>,
    /// Log levels from the header, in header order.
    pub log_levels: Vec<LogLevel>,
    /// USER_INFO user name.
    pub user: Option<String>,
    /// Outermost code units (entry points), in order of first appearance.
    pub entry_points: Vec<EntryPoint>,
    /// Number of `EXECUTION_STARTED` events.
    pub transactions: u64,
    /// Sum over logs of the last event's nanos minus the first event's (file order).
    pub wall_nanos: u64,
    /// When the first log's first event ran, by its wall clock.
    pub start_time: Option<StartTime>,
    /// Events whose nanos are below those of the event before them in the same log.
    pub out_of_order_times: u64,
    /// Header entries that are not a known `CATEGORY,LEVEL` pair, verbatim.
    pub header_issues: Vec<HeaderIssue>,
    /// Flow interviews by kind.
    pub flow_interviews: FlowKinds,
    /// True if a `*** Skipped` or `MAXIMUM DEBUG LOG SIZE REACHED` marker was seen.
    pub truncated: bool,
    /// Number of truncation markers.
    pub truncation_markers: u64,
    /// Logs in the input.
    pub logs: u64,
    /// Event records.
    pub events: u64,
    /// Bytes read (0 for stdin).
    pub bytes: u64,
    /// Every namespace seen, `(default)` first.
    pub namespaces: Vec<String>,
}

/// The wall-clock start of a log.
#[derive(Clone, Debug, Serialize)]
pub struct StartTime {
    /// Milliseconds after midnight (the fraction of the clock is an integer millisecond count).
    pub ms_after_midnight: u32,
    /// The clock text as written, such as `09:41:17.3`.
    pub clock: String,
}

/// A header entry that is not a known `CATEGORY,LEVEL` pair.
#[derive(Clone, Debug, Serialize)]
pub struct HeaderIssue {
    /// The entry as written (empty for `;;`).
    pub entry: String,
    /// `empty-entry`, `missing-level`, `extra-field`, `unknown-category` or `unknown-level`.
    pub problem: String,
}

/// Flow interviews (`FLOW_START_INTERVIEW_BEGIN`) by kind.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FlowKinds {
    /// Interviews of flows.
    pub flow: u64,
    /// Interviews of Process Builder processes (inside a `Workflow:` code unit).
    pub process_builder: u64,
}

/// Heap figures of a frame, or of all frames of one name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Heap {
    /// Bytes allocated by the frame's own events.
    pub self_gross: u64,
    /// Allocated minus deallocated by its own events.
    pub self_net: i64,
    /// Bytes allocated by the frame and the frames inside it.
    pub total_gross: u64,
    /// Allocated minus deallocated, the frames inside included.
    pub total_net: i64,
    /// Highest running net from the frame's start (0 if it never rose).
    pub peak: i64,
}

/// The transaction's heap.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HeapSummary {
    /// `HEAP_ALLOCATE` and `BULK_HEAP_ALLOCATE` bytes summed.
    pub allocated_bytes: u64,
    /// Allocated minus `HEAP_DEALLOCATE` bytes.
    pub net_bytes: i64,
    /// Highest running net over the log.
    pub computed_peak_bytes: u64,
    /// The highest `Maximum heap size` of the limits blocks, if any.
    pub reported_bytes: Option<u64>,
    /// The larger of the computed peak and the reported figure.
    pub used_bytes: u64,
    /// Where `used_bytes` comes from: `allocations`, `limits` or `none`.
    pub source: String,
}

/// One `CATEGORY,LEVEL` pair of the header.
#[derive(Clone, Debug, Serialize)]
pub struct LogLevel {
    /// E.g. `APEX_CODE`.
    pub category: String,
    /// E.g. `FINEST`.
    pub level: String,
}

/// An entry point: an outermost code unit.
#[derive(Clone, Debug, Serialize)]
pub struct EntryPoint {
    /// Code unit name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// How often it started.
    pub count: u64,
}

pub use crate::findings::Finding;

/// The limits of one namespace (its own pool).
#[derive(Clone, Debug, Serialize)]
pub struct NsLimits {
    /// Namespace.
    pub namespace: String,
    /// Number of `LIMIT_USAGE_FOR_NS` blocks seen for it.
    pub blocks: u64,
    /// One row per limit label.
    pub rows: Vec<LimitRow>,
}

/// One limit of one namespace.
#[derive(Clone, Debug, Serialize)]
pub struct LimitRow {
    /// E.g. `Number of SOQL queries`.
    pub label: String,
    /// Highest value over the blocks.
    pub peak: u64,
    /// Value in the last block.
    pub last: u64,
    /// The maximum (from the last block).
    pub max: u64,
    /// `peak` as a percentage of `max` (rounded down).
    pub peak_pct: u64,
    /// `last` as a percentage of `max`.
    pub last_pct: u64,
    /// Log line of the peak value.
    pub peak_line: u64,
    /// Salesforce marked it `CLOSE TO LIMIT`.
    pub close_to_limit: bool,
}

/// SOQL or DML statistics.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StatementTable {
    /// Statements executed.
    pub count: u64,
    /// Rows returned (SOQL) or written (DML).
    pub rows: u64,
    /// Time in the statements.
    pub time_nanos: u64,
    /// Per statement text and namespace, most frequent first.
    pub statements: Vec<StatementRow>,
    /// Per namespace.
    pub by_namespace: Vec<NsStatements>,
    /// Of `count`, the statements seen only in limit-usage lines.
    pub from_limit_usage: u64,
}

/// One statement.
#[derive(Clone, Debug, Serialize)]
pub struct StatementRow {
    /// Namespace of the code that ran it.
    pub namespace: String,
    /// Query text, or `Op:Insert|Type:Case` for DML.
    pub statement: String,
    /// Executions.
    pub count: u64,
    /// Rows.
    pub rows: u64,
    /// Time.
    pub time_nanos: u64,
    /// True when the statements were seen only in limit-usage lines (`LIMIT_USAGE`,
    /// `FLOW_*_LIMIT_USAGE`); the statement then names the flow element or frame.
    pub from_limit_usage: bool,
}

/// Statements of one namespace.
#[derive(Clone, Debug, Serialize)]
pub struct NsStatements {
    /// Namespace.
    pub namespace: String,
    /// Executions.
    pub count: u64,
    /// Rows.
    pub rows: u64,
    /// Time.
    pub time_nanos: u64,
    /// Of `count`, the statements seen only in limit-usage lines.
    pub from_limit_usage: u64,
    /// The namespace's limits blocks' count, summed over transactions (the highest value
    /// of each transaction), or null without a block.
    pub limits_block: Option<u64>,
    /// Why `count` differs from `limits_block` (empty when they agree).
    pub differs: Vec<String>,
}

/// Exception counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ExceptionCounts {
    /// `EXCEPTION_THROWN` events.
    pub thrown: u64,
    /// `FATAL_ERROR` events (doubled lines included).
    pub fatal_error_lines: u64,
    /// Distinct uncaught exceptions (doubled `FATAL_ERROR` lines counted once).
    pub uncaught: u64,
    /// Thrown exceptions with no matching `FATAL_ERROR`.
    pub caught: u64,
}

/// Time of one method (or code unit, constructor).
#[derive(Clone, Debug, Serialize)]
pub struct MethodRow {
    /// Namespace.
    pub namespace: String,
    /// Signature or code unit name (`(ns)` for hidden code).
    pub name: String,
    /// Calls.
    pub count: u64,
    /// Total time (recursive calls count more than once).
    pub total_nanos: u64,
    /// Self time.
    pub self_nanos: u64,
    /// Heap over its frames: sums, and the highest peak.
    pub heap: Heap,
}

/// Self time of one namespace.
#[derive(Clone, Debug, Serialize)]
pub struct NsTime {
    /// Namespace.
    pub namespace: String,
    /// Sum of the self time of its frames (package runs included).
    pub self_nanos: u64,
    /// Frames closed in it.
    pub frames: u64,
    /// `ENTERING_MANAGED_PKG` lines attributed to it.
    pub package_marker_lines: u64,
    /// True if the namespace's code is hidden in this view or opaque in this log.
    pub opaque: bool,
}

/// The call tree (pre-order).
#[derive(Clone, Debug, Serialize)]
pub struct Tree {
    /// Nodes in log order; `depth` gives the nesting.
    pub nodes: Vec<TreeNode>,
    /// Frames closed in total.
    pub frames: u64,
    /// Frames left out (deeper than `max_depth` or beyond `max_lines`).
    pub omitted: u64,
    /// The depth cap.
    pub max_depth: u32,
    /// The line cap.
    pub max_lines: usize,
}

/// One frame of the tree.
#[derive(Clone, Debug, Serialize)]
pub struct TreeNode {
    /// Depth (0 = top level).
    pub depth: u32,
    /// Entry event type, e.g. `METHOD_ENTRY`.
    pub kind: String,
    /// Frame name (`(ns)` for hidden frames).
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Total time.
    pub total_nanos: u64,
    /// Self time.
    pub self_nanos: u64,
    /// Log line of the entry.
    pub log_line: u64,
    /// End time estimated (exit missing).
    pub estimated: bool,
    /// The frame's heap.
    pub heap: Heap,
}

/// Log issues of one kind.
#[derive(Clone, Debug, Serialize)]
pub struct IssueCount {
    /// Kind (kebab-case).
    pub kind: String,
    /// How many.
    pub count: u64,
}

// ---------------------------------------------------------------------------------------
// The consumer

/// A small multiply-rotate hasher (the Fx hash) for the aggregate maps: their keys are
/// short and come from the log, and no untrusted party chooses them to collide.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ (rest.len() as u64) << 59);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Interns byte strings to dense ids (lookup by `&[u8]` before inserting).
#[derive(Default, Debug)]
struct Interner {
    ids: FastMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
}

impl Interner {
    fn id(&mut self, s: &[u8]) -> u32 {
        let s = &s[..s.len().min(TEXT_CAP)];
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(Box::from(s));
        self.ids.insert(Box::from(s), id);
        id
    }
    fn name(&self, id: u32) -> &[u8] {
        &self.names[id as usize]
    }
}

const NONE: u32 = u32::MAX;

/// What a finding is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Ctx {
    ns: NsId,
    caller: Option<NsId>,
    method: u32,
    src_line: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ident {
    Rule(usize),
    Native(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FindingKey {
    id: Ident,
    ctx: Ctx,
    /// 0 = not an exception, 1 = caught, 2 = uncaught; for limits the label id.
    extra: u32,
}

#[derive(Clone, Debug)]
struct FindingAgg {
    severity: Severity,
    message: String,
    first_line: u64,
    last_line: u64,
    count: u64,
    uncaught: Option<bool>,
    fatal_line: Option<u64>,
    keep_if_hidden: Keep,
    /// For limit findings: the peak as a percentage of the maximum (ranking).
    pct: Option<u64>,
    /// For exceptions: the exception's own text (the verdict quotes it).
    detail: Option<String>,
}

/// What a view does with a finding from a hidden namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    /// Dropped.
    Drop,
    /// Kept, class/method/line hidden.
    OriginHidden,
    /// Kept, line kept, method hidden (SOQL/DML lines are visible to subscribers).
    LineOnly,
    /// Kept as is (limit blocks, log markers).
    AsIs,
}

#[derive(Debug)]
struct Pending {
    msg: Box<[u8]>,
    ctx: Ctx,
    rules: Vec<usize>,
    line: u64,
    /// The line of the event the rules matched: the thrown line, or the `FATAL_ERROR`
    /// line when only its text matched (as scan reports it).
    rule_line: u64,
    fatal_line: Option<u64>,
    thrown: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct StmtStat {
    count: u64,
    rows: u64,
    time: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct MethodStat {
    ns: NsId,
    count: u64,
    total: u64,
    self_time: u64,
    heap: Heap,
}

/// Which statement table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stmt {
    Soql,
    Sosl,
    Dml,
}

/// The limits that statements and limit-usage lines both count, as indices.
const L_SOQL: usize = 0;
const L_SOQL_ROWS: usize = 1;
const L_SOSL: usize = 2;
const L_DML: usize = 3;
const L_DML_ROWS: usize = 4;

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
fn block_index(label: &[u8]) -> Option<usize> {
    match label {
        b"Number of SOQL queries" => Some(L_SOQL),
        b"Number of query rows" => Some(L_SOQL_ROWS),
        b"Number of SOSL queries" => Some(L_SOSL),
        b"Number of DML statements" => Some(L_DML),
        b"Number of DML rows" => Some(L_DML_ROWS),
        _ => None,
    }
}

impl Heap {
    fn add(&mut self, bytes: i64, own: bool) {
        let gross = bytes.max(0) as u64;
        if own {
            self.self_gross += gross;
            self.self_net += bytes;
        }
        self.total_gross += gross;
        self.total_net += bytes;
        self.peak = self.peak.max(self.total_net);
    }

    fn merge(&mut self, o: &Heap) {
        self.self_gross += o.self_gross;
        self.self_net += o.self_net;
        self.total_gross += o.total_gross;
        self.total_net += o.total_net;
        self.peak = self.peak.max(o.peak);
    }
}

/// A query of a custom metadata type (`FROM Foo__mdt`): Salesforce counts none of them
/// against the SOQL limit.
fn is_mdt_query(q: &[u8]) -> bool {
    q.windows(5).any(|w| w.eq_ignore_ascii_case(b"__mdt"))
}

/// `Bytes:N` of a heap event (`HEAP_ALLOCATE|[31]|Bytes:24`, `BULK_HEAP_ALLOCATE|Bytes:8`).
fn heap_bytes(first_line: &[u8]) -> Option<i64> {
    let p = memchr::memmem::find(first_line, b"Bytes:")? + 6;
    let v = &first_line[p..];
    let (neg, v) = match v.strip_prefix(b"-") {
        Some(r) => (true, r),
        None => (false, v),
    };
    let n = v
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b',')
        .count();
    let b = crate::event::parse::parse_u64_commas(&v[..n])? as i64;
    Some(if neg { -b } else { b })
}

#[derive(Clone, Debug)]
struct LimitAcc {
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

#[derive(Clone, Debug, Default)]
struct NsAcc {
    self_time: u64,
    frames: u64,
    marker_lines: u64,
    first_marker_line: u64,
    runs: u64,
    detail_events: u64,
    limit_blocks: u64,
    limits: Vec<LimitAcc>,
    /// This transaction: statements seen as events, per limit index.
    tx_seen: [u64; 5],
    /// This transaction: statements seen only in limit-usage lines.
    tx_added: [u64; 5],
    /// This transaction: the highest limits-block values.
    tx_block: [Option<u64>; 5],
    /// Over the transactions: the highest limits-block values, summed.
    block_sum: [Option<u64>; 5],
    /// Over the transactions: statements seen only in limit-usage lines.
    added_sum: [u64; 5],
    /// Queries of custom metadata types (`__mdt`), which no SOQL limit counts.
    mdt_queries: u64,
    /// DML on platform events (`Type:X__e`), counted as Publish Immediate DML instead.
    event_dml: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TreeRec {
    log_line: u64,
    depth: u32,
    entry: u16,
    ns: NsId,
    name: Box<[u8]>,
    total: u64,
    self_time: u64,
    estimated: bool,
    heap: Heap,
}

/// The streaming consumer behind [`analyze`]. Feed every item with [`item`](Self::item),
/// then finish the tracker, call [`closed`](Self::closed) once more and [`finish`](Self::finish).
pub struct Analyzer<'c> {
    opts: Options,
    cat: &'c Catalogue,
    /// Event types the catalogue is applied to (indexed by `EventType as usize`).
    rule_types: Vec<bool>,
    rule_unknown_types: HashSet<Vec<u8>>,
    /// Some rule applies to every event type: events of other types are matched when the
    /// catalogue's prefilter finds one of its literals in them.
    any_type_rules: bool,
    matches: Vec<usize>,
    rule_cache: FastMap<Box<[u8]>, Box<[usize]>>,
    cache_key: Vec<u8>,
    // summary
    api_version: Option<String>,
    levels: Vec<LogLevel>,
    user: Option<String>,
    entries: FastMap<(NsId, u32), u64>,
    entry_order: Vec<(NsId, u32)>,
    transactions: u64,
    wall: u64,
    log_first: Option<u64>,
    log_last: u64,
    markers: u64,
    // aggregates
    names: Interner,
    stmts: Interner,
    soql: FastMap<(NsId, u32), StmtStat>,
    dml: FastMap<(NsId, u32), StmtStat>,
    sosl: FastMap<(NsId, u32), StmtStat>,
    /// Statement ids that name statements seen only in limit-usage lines.
    usage_stmts: HashSet<u32>,
    db_level: Option<crate::header::HeaderLevel>,
    start: Option<StartTime>,
    out_of_order: u64,
    out_of_order_line: u64,
    header_issues: Vec<HeaderIssue>,
    flows: FlowKinds,
    /// One heap accumulator per open frame (index = depth), and the log's own.
    heap_stack: Vec<Heap>,
    heap_log: Heap,
    heap_reported: Option<u64>,
    soql_loops: FastMap<(Ctx, u32), (u64, u64, u64)>,
    dml_loops: FastMap<(Ctx, u32), (u64, u64, u64)>,
    methods: FastMap<u32, MethodStat>,
    ns: Vec<NsAcc>,
    exc: ExceptionCounts,
    pending: Vec<Pending>,
    findings: FastMap<FindingKey, FindingAgg>,
    labels: Interner,
    tree: BinaryHeap<TreeRec>,
    tree_frames: u64,
    tree_omitted: u64,
}

fn is_method_frame(t: EventType) -> bool {
    matches!(
        t,
        EventType::MethodEntry | EventType::ConstructorEntry | EventType::CodeUnitStarted
    )
}

/// Events that only code running in a namespace writes: if a namespace has none of them,
/// its code is opaque in this log.
fn is_detail_event(t: EventType) -> bool {
    use EventType::*;
    matches!(
        t,
        StatementExecute
            | VariableAssignment
            | VariableScopeBegin
            | UserDebug
            | HeapAllocate
            | ExceptionThrown
            | SystemMethodEntry
            | SystemConstructorEntry
    )
}

/// A platform pseudo-namespace (`java__util`) or an empty marker: never a vendor's package.
fn is_platform_ns(name: &[u8]) -> bool {
    name.is_empty() || memchr::memmem::find(name, b"__").is_some()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn cap_text(b: &[u8], n: usize) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(n)]);
    if b.len() > n {
        format!("{s}…")
    } else {
        s.into_owned()
    }
}

/// The `Rows:N` of the last field (`SOQL_EXECUTE_END|[17]|Rows:6`, `DML_BEGIN|…|Rows:1`).
fn rows_field(first_line: &[u8]) -> Option<u64> {
    let p = memchr::memrchr(b'|', first_line).map_or(0, |p| p + 1);
    let v = first_line[p..].strip_prefix(b"Rows:")?;
    crate::event::parse::parse_u64_commas(v)
}

/// `relativeCost 2.3` → 2.3
fn relative_cost(b: &[u8]) -> Option<f64> {
    let p = memchr::memmem::find(b, b"relativeCost ")? + 13;
    let n = b[p..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    std::str::from_utf8(&b[p..p + n]).ok()?.parse().ok()
}

/// Parse `  Label: N out of M[ ******* CLOSE TO LIMIT]`.
fn limit_line(l: &[u8]) -> Option<(&[u8], u64, u64, bool)> {
    let l = l.strip_suffix(b"\r").unwrap_or(l);
    let start = l.iter().position(|c| !c.is_ascii_whitespace())?;
    let l = &l[start..];
    let colon = memchr::memchr(b':', l)?;
    let label = &l[..colon];
    let rest = l[colon + 1..].strip_prefix(b" ")?;
    let digits = |b: &[u8]| {
        b.iter()
            .take_while(|c| c.is_ascii_digit() || **c == b',')
            .count()
    };
    let n = digits(rest);
    let used = crate::event::parse::parse_u64_commas(&rest[..n])?;
    let after = rest[n..].strip_prefix(b" out of ")?;
    let m = digits(after);
    let max = crate::event::parse::parse_u64_commas(&after[..m])?;
    let close = memchr::memchr(b'*', &after[m..]).is_some();
    Some((label, used, max, close))
}

/// DML frame name as the tracker writes it: `Op:Insert|Type:Case` (no line, no rows).
fn dml_name<'a>(ev: &Event<'a>) -> &'a [u8] {
    let body = ev.first_line();
    let body = match memchr::memchr(b'|', body) {
        Some(p) if body.starts_with(b"[") => &body[p + 1..],
        _ => body,
    };
    match memchr::memrchr(b'|', body) {
        Some(p) if body[p + 1..].starts_with(b"Rows:") => &body[..p],
        _ => body,
    }
}

fn pct(used: u64, max: u64) -> u64 {
    if max == 0 {
        0
    } else {
        ((used as u128 * 100) / max as u128) as u64
    }
}

impl<'c> Analyzer<'c> {
    /// A fresh analyzer.
    pub fn new(opts: Options, cat: &'c Catalogue) -> Self {
        let mut rule_types = vec![false; crate::event::table::KNOWN_COUNT + 1];
        let mut rule_unknown_types = HashSet::new();
        // Rules name the event types they apply to; a rule that names none applies to
        // every event (the catalogue's rule, as scan applies it).
        let any_type_rules = cat.rules().iter().any(|r| r.events.is_empty());
        for r in cat.rules() {
            for e in &r.events {
                if e == MARKER_EVENT {
                    continue;
                }
                let t = EventType::from_name(e.as_bytes());
                if t == EventType::Unknown {
                    rule_unknown_types.insert(e.as_bytes().to_vec());
                } else {
                    rule_types[t as usize] = true;
                }
            }
        }
        rule_types[EventType::ExceptionThrown as usize] = true;
        rule_types[EventType::FatalError as usize] = true;
        Analyzer {
            opts,
            cat,
            rule_types,
            rule_unknown_types,
            any_type_rules,
            matches: Vec::new(),
            rule_cache: FastMap::default(),
            cache_key: Vec::new(),
            api_version: None,
            levels: Vec::new(),
            user: None,
            entries: FastMap::default(),
            entry_order: Vec::new(),
            transactions: 0,
            wall: 0,
            log_first: None,
            log_last: 0,
            markers: 0,
            names: Interner::default(),
            stmts: Interner::default(),
            soql: FastMap::default(),
            dml: FastMap::default(),
            sosl: FastMap::default(),
            usage_stmts: HashSet::new(),
            db_level: None,
            start: None,
            out_of_order: 0,
            out_of_order_line: 0,
            header_issues: Vec::new(),
            flows: FlowKinds::default(),
            heap_stack: Vec::new(),
            heap_log: Heap::default(),
            heap_reported: None,
            soql_loops: FastMap::default(),
            dml_loops: FastMap::default(),
            methods: FastMap::default(),
            ns: vec![NsAcc::default()],
            exc: ExceptionCounts::default(),
            pending: Vec::new(),
            findings: FastMap::default(),
            labels: Interner::default(),
            tree: BinaryHeap::new(),
            tree_frames: 0,
            tree_omitted: 0,
        }
    }

    fn ns_acc(&mut self, ns: NsId) -> &mut NsAcc {
        let i = ns.0 as usize;
        if i >= self.ns.len() {
            self.ns.resize_with(i + 1, NsAcc::default);
        }
        &mut self.ns[i]
    }

    /// Run the known-error catalogue on `text` and keep the matches (rule, ns capture).
    /// Called only for the rare event types the catalogue applies to.
    fn run_rules(&mut self, etype: &str, text: &[u8]) {
        self.matches.clear();
        let cache = text.len() <= RULE_CACHE_TEXT;
        if cache {
            // Real logs repeat the same error texts: match each distinct text once.
            self.cache_key.clear();
            self.cache_key.extend_from_slice(etype.as_bytes());
            self.cache_key.push(0);
            self.cache_key.extend_from_slice(text);
            if let Some(m) = self.rule_cache.get(&self.cache_key[..]) {
                self.matches.extend_from_slice(m);
                return;
            }
        }
        let mut out: Vec<RuleMatch<'_>> = Vec::new();
        self.cat.match_event(etype, text, &mut out);
        self.matches.extend(out.iter().map(|m| m.rule));
        if cache && self.rule_cache.len() < RULE_CACHE_CAP {
            self.rule_cache
                .insert(Box::from(&self.cache_key[..]), Box::from(&self.matches[..]));
        }
    }

    fn native_rule(&self, id: &str) -> bool {
        is_native_rule(id)
    }

    /// The context of an event: namespaces, innermost method and source line.
    fn ctx(&mut self, item: &Item<'_>, t: &Tracker) -> Ctx {
        let method = t
            .open_frames()
            .filter(|(e, _, _)| is_method_frame(*e))
            .last()
            .map_or(NONE, |(_, _, name)| self.names.id(name));
        Ctx {
            ns: item.loc.frame_ns,
            caller: item.loc.caller_ns,
            method,
            src_line: item
                .event
                .as_ref()
                .and_then(|e| e.source_line())
                .unwrap_or(NONE),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_finding(
        &mut self,
        id: Ident,
        ctx: Ctx,
        extra: u32,
        severity: Severity,
        line: u64,
        keep: Keep,
        message: impl FnOnce() -> String,
    ) -> &mut FindingAgg {
        let key = FindingKey { id, ctx, extra };
        let f = self.findings.entry(key).or_insert_with(|| FindingAgg {
            severity,
            message: message(),
            first_line: line,
            last_line: line,
            count: 0,
            uncaught: None,
            fatal_line: None,
            keep_if_hidden: keep,
            pct: None,
            detail: None,
        });
        f.count += 1;
        f.last_line = f.last_line.max(line);
        f.severity = f.severity.max(severity);
        f
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
        let et = ev.etype();
        let ns = item.loc.frame_ns;
        if !ns.is_default() {
            if et == EventType::EnteringManagedPkg {
                let line = ev.line;
                let acc = self.ns_acc(ns);
                acc.marker_lines += 1;
                if acc.first_marker_line == 0 {
                    acc.first_marker_line = line;
                }
            } else if is_detail_event(et) {
                self.ns_acc(ns).detail_events += 1;
            }
        }
        match et {
            EventType::ExecutionStarted => {
                self.flush_pending();
                self.end_transaction();
                self.transactions += 1;
            }
            EventType::FlowStartInterviewBegin => {
                let pb = t.open_frames().any(|(e, _, name)| {
                    e == EventType::CodeUnitStarted && name.starts_with(b"Workflow:")
                });
                if pb {
                    self.flows.process_builder += 1;
                } else {
                    self.flows.flow += 1;
                }
            }
            EventType::SoslExecuteBegin => self.statement(item, t, ev, Stmt::Sosl),
            t0 if usage::is_usage_type(t0) => self.usage_line(item, t, ev),
            EventType::UserInfo if self.user.is_none() => {
                self.user = ev.field(2).map(lossy);
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
        let wanted = if et == EventType::Unknown {
            !self.rule_unknown_types.is_empty() && self.rule_unknown_types.contains(ev.type_name())
        } else {
            self.rule_types[et as usize]
        } || (self.any_type_rules && self.cat.prefilter().is_match(ev.body()));
        if wanted
            && !matches!(
                et,
                EventType::ExceptionThrown | EventType::FatalError | EventType::LimitUsageForNs
            )
        {
            self.other_rules(item, t, ev);
        }
        self.closed(t, Some(ev));
        self.sync_heap(t);
        match et {
            EventType::HeapAllocate | EventType::BulkHeapAllocate => {
                if let Some(b) = heap_bytes(ev.first_line()) {
                    self.heap_event(b);
                }
            }
            EventType::HeapDeallocate => {
                if let Some(b) = heap_bytes(ev.first_line()) {
                    self.heap_event(-b);
                }
            }
            _ => {}
        }
    }

    /// Keep one heap accumulator per open frame.
    fn sync_heap(&mut self, t: &Tracker) {
        let d = t.depth() as usize;
        if self.heap_stack.len() > d {
            self.heap_stack.truncate(d);
        }
        while self.heap_stack.len() < d {
            self.heap_stack.push(Heap::default());
        }
    }

    /// A heap event of `bytes` (negative for deallocations), inside the open frames.
    fn heap_event(&mut self, bytes: i64) {
        self.heap_log.add(bytes, true);
        let n = self.heap_stack.len();
        for (i, h) in self.heap_stack.iter_mut().enumerate() {
            h.add(bytes, i + 1 == n);
        }
    }

    /// Close the transaction's statement-versus-block reckoning.
    fn end_transaction(&mut self) {
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
    fn usage_line(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
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

    fn header(&mut self, raw: &[u8]) {
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

    fn end_log(&mut self) {
        if let Some(first) = self.log_first.take() {
            self.wall += self.log_last.saturating_sub(first);
        }
        self.log_last = 0;
        self.end_transaction();
        self.heap_stack.clear();
    }

    fn marker(&mut self, item: &Item<'_>) {
        self.markers += 1;
        let skipped = item.record.kind == RecordKind::Skipped;
        let (id, title) = if skipped {
            ("LOG_SKIPPED", "Salesforce skipped part of the log")
        } else {
            ("LOG_MAX_SIZE", "The log reached its maximum size")
        };
        let ctx = Ctx {
            ns: NsId::DEFAULT,
            caller: None,
            method: NONE,
            src_line: NONE,
        };
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

    fn code_unit(&mut self, t: &Tracker) {
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

    fn statement(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>, kind: Stmt) {
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
                Stmt::Dml => dml_name(ev),
            },
        };
        let stmt = self.stmts.id(name);
        let ns = item.loc.frame_ns;
        let rows = match kind {
            Stmt::Dml => rows_field(ev.first_line()).unwrap_or(0),
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

    fn explain(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        let text = ev.field(1).unwrap_or(b"");
        let scan = text.starts_with(b"TableScan");
        let cost = relative_cost(text);
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

    fn limits(&mut self, item: &Item<'_>, ev: &Event<'_>) {
        let ns = item.loc.frame_ns;
        let body = ev.body();
        let line0 = ev.line;
        let mut rows: Vec<(u32, u64, u64, bool, u64)> = Vec::new();
        for (i, l) in body.split(|&c| c == b'\n').enumerate().skip(1) {
            if let Some((label, used, max, close)) = limit_line(l) {
                let id = self.labels.id(label);
                rows.push((id, used, max, close, line0 + i as u64));
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
            self.other_rules_ctx(
                Ctx {
                    ns,
                    caller: None,
                    method: NONE,
                    src_line: NONE,
                },
                ev,
                Keep::AsIs,
            );
        }
    }

    fn thrown(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        self.exc.thrown += 1;
        let msg = ev.field(1).unwrap_or(b"");
        let msg = first_line(msg);
        self.run_rules("EXCEPTION_THROWN", ev.body());
        let rules: Vec<usize> = self.matches.clone();
        let ctx = self.ctx(item, t);
        if self.pending.len() >= PENDING_CAP {
            // Too many in one execution: report as caught without pairing.
            self.emit_exception(&Pending {
                msg: Box::from(msg),
                ctx,
                rules,
                line: ev.line,
                rule_line: ev.line,
                fatal_line: None,
                thrown: true,
            });
            return;
        }
        self.pending.push(Pending {
            msg: Box::from(&msg[..msg.len().min(TEXT_CAP)]),
            ctx,
            rules,
            line: ev.line,
            rule_line: ev.line,
            fatal_line: None,
            thrown: true,
        });
    }

    fn fatal(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        self.exc.fatal_error_lines += 1;
        let msg = ev.first_line();
        let msg = &msg[..msg.len().min(TEXT_CAP)];
        if let Some(p) = self.pending.iter_mut().rev().find(|p| &p.msg[..] == msg) {
            if p.fatal_line.is_some() {
                return; // the doubled FATAL_ERROR line
            }
            p.fatal_line = Some(ev.line);
            if p.rules.is_empty() {
                self.run_rules("FATAL_ERROR", ev.body());
                let rules: Vec<usize> = self.matches.clone();
                if let Some(p) = self.pending.iter_mut().rev().find(|p| &p.msg[..] == msg) {
                    p.rules = rules;
                    p.rule_line = ev.line;
                }
            }
            return;
        }
        self.run_rules("FATAL_ERROR", ev.body());
        let rules: Vec<usize> = self.matches.clone();
        let ctx = self.ctx(item, t);
        let p = Pending {
            msg: Box::from(msg),
            ctx,
            rules,
            line: ev.line,
            rule_line: ev.line,
            fatal_line: Some(ev.line),
            thrown: false,
        };
        if self.pending.len() >= PENDING_CAP {
            self.emit_exception(&p);
        } else {
            self.pending.push(p);
        }
    }

    fn flush_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for p in &pending {
            self.emit_exception(p);
        }
        self.pending = pending;
        self.pending.clear();
    }

    fn emit_exception(&mut self, p: &Pending) {
        let uncaught = p.fatal_line.is_some();
        if uncaught {
            self.exc.uncaught += 1;
        } else {
            self.exc.caught += 1;
        }
        let how = if uncaught { "uncaught" } else { "caught" };
        let msg = || cap_text(&p.msg, 300);
        let cat = self.cat;
        let keep = if uncaught {
            Keep::OriginHidden
        } else {
            Keep::Drop
        };
        let extra = if uncaught { 2 } else { 1 };
        let rules = p
            .rules
            .iter()
            .copied()
            .filter(|&r| !is_native_rule(&cat.rules()[r].id));
        if rules.clone().next().is_none() {
            let (id, sev, title) = if uncaught {
                ("EXCEPTION_UNCAUGHT", Severity::Fatal, "Uncaught exception")
            } else {
                ("EXCEPTION_CAUGHT", Severity::Warn, "Caught exception")
            };
            let f = self.add_finding(Ident::Native(id), p.ctx, extra, sev, p.line, keep, || {
                format!("{title}: {}", msg())
            });
            f.uncaught = Some(uncaught);
            if f.fatal_line.is_none() {
                f.fatal_line = p.fatal_line;
            }
            if f.detail.is_none() {
                f.detail = Some(msg());
            }
            return;
        }
        for r in rules {
            let rule = &cat.rules()[r];
            let sev = crate::findings::exception_severity(rule.severity, Some(uncaught));
            let thrown = p.thrown;
            let f = self.add_finding(Ident::Rule(r), p.ctx, extra, sev, p.rule_line, keep, || {
                if thrown {
                    format!("{} ({how}): {}", rule.title, msg())
                } else {
                    format!("{} (uncaught, FATAL_ERROR): {}", rule.title, msg())
                }
            });
            f.uncaught = Some(uncaught);
            if f.fatal_line.is_none() {
                f.fatal_line = p.fatal_line;
            }
            if f.detail.is_none() {
                f.detail = Some(msg());
            }
        }
    }

    fn other_rules(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        let ctx = self.ctx(item, t);
        self.other_rules_ctx(ctx, ev, Keep::Drop);
    }

    fn other_rules_ctx(&mut self, ctx: Ctx, ev: &Event<'_>, keep: Keep) {
        let name = std::str::from_utf8(ev.type_name()).unwrap_or("");
        self.run_rules(name, ev.body());
        if self.matches.is_empty() {
            return;
        }
        let matches = std::mem::take(&mut self.matches);
        let cat = self.cat;
        for rule in &matches {
            let r = &cat.rules()[*rule];
            if is_native_rule(&r.id) {
                continue;
            }
            self.add_finding(
                Ident::Rule(*rule),
                ctx,
                0,
                r.severity,
                ev.line,
                keep,
                || {
                    format!(
                        "{}: {name} {}",
                        r.title,
                        cap_text(first_line(ev.body()), 300)
                    )
                },
            );
        }
        self.matches = matches;
    }

    /// Account for the frames the tracker just closed. `ev` is the event that closed them
    /// (`None` for headers, markers and the end of input).
    pub fn closed(&mut self, t: &Tracker, ev: Option<&Event<'_>>) {
        for f in t.closed() {
            self.frame(&f, ev);
        }
    }

    fn frame(&mut self, f: &ClosedFrame<'_>, ev: Option<&Event<'_>>) {
        let d = f.depth as usize;
        let heap = self.heap_stack.get(d).copied().unwrap_or_default();
        if self.heap_stack.len() > d {
            self.heap_stack.truncate(d);
        }
        let acc = self.ns_acc(f.ns);
        acc.self_time += f.self_time;
        acc.frames += 1;
        if f.how == CloseKind::PackageRun {
            acc.runs += 1;
        }
        match f.entry {
            EventType::MethodEntry | EventType::ConstructorEntry | EventType::CodeUnitStarted => {
                let id = self.names.id(f.name);
                let m = self.methods.entry(id).or_insert(MethodStat {
                    ns: f.ns,
                    ..Default::default()
                });
                m.count += 1;
                m.total += f.total;
                m.self_time += f.self_time;
                m.heap.merge(&heap);
            }
            EventType::SoqlExecuteBegin | EventType::DmlBegin | EventType::SoslExecuteBegin => {
                let stmt = self.stmts.id(f.name);
                let (table, end) = match f.entry {
                    EventType::SoqlExecuteBegin => (&mut self.soql, EventType::SoqlExecuteEnd),
                    EventType::SoslExecuteBegin => (&mut self.sosl, EventType::SoslExecuteEnd),
                    _ => (&mut self.dml, EventType::DmlEnd),
                };
                let s = table.entry((f.ns, stmt)).or_default();
                s.time += f.total;
                if end != EventType::DmlEnd && f.how == CloseKind::Exit {
                    if let Some(ev) = ev.filter(|e| e.etype() == end) {
                        let rows = rows_field(ev.first_line()).unwrap_or(0);
                        s.rows += rows;
                        if end == EventType::SoqlExecuteEnd {
                            let i = f.ns.0 as usize;
                            if let Some(a) = self.ns.get_mut(i) {
                                a.tx_seen[L_SOQL_ROWS] += rows;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        if self.opts.tree {
            self.tree_frames += 1;
            if f.depth > self.opts.tree_depth {
                self.tree_omitted += 1;
                return;
            }
            let rec = TreeRec {
                log_line: f.log_line,
                depth: f.depth,
                entry: f.entry as u16,
                ns: f.ns,
                name: Box::from(&f.name[..f.name.len().min(300)]),
                total: f.total,
                self_time: f.self_time,
                estimated: f.estimated(),
                heap,
            };
            self.tree.push(rec);
            if self.tree.len() > self.opts.tree_lines {
                self.tree.pop();
                self.tree_omitted += 1;
            }
        }
    }

    /// Turn the aggregates into a report.
    pub fn finish(mut self, t: &Tracker) -> Report {
        self.end_log();
        self.flush_pending();
        let nss = t.namespaces();
        let n_ns = nss.len();
        if self.ns.len() < n_ns {
            self.ns.resize_with(n_ns, NsAcc::default);
        }
        let ns_name = |id: NsId| lossy(nss.name(id));
        // Which namespaces the view hides.
        // The same visibility the view stage applies (`--as` and `--own`).
        let vis = crate::view::Visibility::new(&self.opts.view, &self.opts.own);
        let hidden: Vec<bool> = (0..self.ns.len())
            .map(|i| {
                let id = NsId(i as u16);
                let name = nss.name(id);
                !id.is_default() && !is_platform_ns(name) && vis.hides(name)
            })
            .collect();
        let is_hidden = |id: NsId| hidden.get(id.0 as usize).copied().unwrap_or(false);
        // Opaque: hidden in this view, or package runs with no internal detail in the log.
        let opaque: Vec<bool> = self
            .ns
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let id = NsId(i as u16);
                let name = nss.name(id);
                !id.is_default()
                    && !is_platform_ns(name)
                    && (a.marker_lines > 0 || a.frames > 0 || a.limit_blocks > 0)
                    && (is_hidden(id) || (a.marker_lines > 0 && a.detail_events == 0))
                    && (a.marker_lines > 0 || a.frames > 0)
            })
            .collect();

        // Limits: findings and tables.
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
        // NEAR_LIMIT is the catalogue's: each line Salesforce marked `CLOSE TO LIMIT`
        // (as scan reports it). A limit at or above the threshold that no line marked is
        // LIMIT_USAGE_HIGH, analyze's own.
        let near_sev = self
            .cat
            .get("NEAR_LIMIT")
            .map_or(Severity::Warn, |r| r.severity);
        let mut limit_findings = Vec::new();
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
                if marked && reached {
                    // Marked lines are the catalogue's finding; reaching the limit is more.
                    limit_findings.push((
                        id,
                        "LIMIT_REACHED",
                        1,
                        r.label.clone(),
                        Severity::Error,
                        r.peak_line,
                        r.peak_line,
                        p,
                        format!(
                            "{}: {} of {} ({}%) in namespace {}",
                            r.label,
                            r.peak,
                            r.max,
                            p,
                            ns_name(id)
                        ),
                    ));
                }
                limit_findings.push((
                    id,
                    fid,
                    count,
                    r.label.clone(),
                    sev,
                    line,
                    last,
                    p,
                    format!(
                        "{}: {} of {} ({}%) in namespace {}{}",
                        r.label,
                        r.peak,
                        r.max,
                        p,
                        ns_name(id),
                        if r.close { " (CLOSE TO LIMIT)" } else { "" }
                    ),
                ));
            }
        }
        for (id, fid, count, label, sev, line, last, p, msg) in limit_findings {
            let lid = self.labels.id(label.as_bytes());
            let ctx = Ctx {
                ns: id,
                caller: None,
                method: NONE,
                src_line: NONE,
            };
            let f = self.add_finding(Ident::Native(fid), ctx, lid, sev, line, Keep::AsIs, || msg);
            f.count = count;
            f.last_line = f.last_line.max(last);
            f.pct = Some(p);
        }

        // Statements repeated from one line.
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

        // Opaque sections.
        for (i, a) in self.ns.iter().enumerate() {
            if !opaque.get(i).copied().unwrap_or(false) {
                continue;
            }
            let id = NsId(i as u16);
            let name = ns_name(id);
            let line = if a.first_marker_line > 0 {
                a.first_marker_line
            } else {
                1
            };
            let why = if is_hidden(id) {
                format!("this {} view hides its code", self.opts.view)
            } else {
                "the log shows only ENTERING_MANAGED_PKG markers for it".to_string()
            };
            let msg = format!(
                "managed package {name} is opaque ({} package run(s), {} marker line(s); {why}): \
                 errors handled inside it do not show here; ask the vendor of {name} for a \
                 Login Access capture of the same operation",
                a.runs, a.marker_lines
            );
            self.findings.insert(
                FindingKey {
                    id: Ident::Native("OPAQUE_PACKAGE"),
                    ctx: Ctx {
                        ns: id,
                        caller: None,
                        method: NONE,
                        src_line: NONE,
                    },
                    extra: 0,
                },
                FindingAgg {
                    severity: Severity::Info,
                    message: msg,
                    first_line: line,
                    last_line: line,
                    count: a.runs.max(1),
                    uncaught: None,
                    fatal_line: None,
                    keep_if_hidden: Keep::AsIs,
                    pct: None,
                    detail: None,
                },
            );
        }

        // Findings, filtered by the view and ranked.
        let mut findings = Vec::new();
        for (k, f) in std::mem::take(&mut self.findings) {
            let hidden_origin = is_hidden(k.ctx.ns);
            let (show_method, show_line) = if hidden_origin {
                match f.keep_if_hidden {
                    Keep::Drop => continue,
                    Keep::OriginHidden => (false, false),
                    Keep::LineOnly => (false, true),
                    Keep::AsIs => (true, true),
                }
            } else {
                (true, true)
            };
            let (id, title, remedy) = match k.id {
                Ident::Rule(r) => {
                    let rule = &self.cat.rules()[r];
                    (
                        rule.id.clone(),
                        rule.title.clone(),
                        Some(rule.remedy.clone()).filter(|s| !s.is_empty()),
                    )
                }
                Ident::Native(id) => {
                    let (title, remedy) = native_text(id);
                    let rule = self.cat.get(id);
                    (
                        id.to_string(),
                        rule.map_or_else(|| title.to_string(), |r| r.title.clone()),
                        rule.map(|r| r.remedy.clone())
                            .filter(|s| !s.is_empty())
                            .or_else(|| remedy.map(str::to_string)),
                    )
                }
            };
            let message = f.message;
            let (pct, detail) = (f.pct, f.detail);
            let finding = Finding {
                id,
                severity: f.severity,
                title,
                message,
                namespace: ns_name(k.ctx.ns),
                caller_namespace: k.ctx.caller.map(ns_name),
                method: (show_method && k.ctx.method != NONE)
                    .then(|| lossy(self.names.name(k.ctx.method))),
                source_line: (show_line && k.ctx.src_line != NONE).then_some(k.ctx.src_line),
                log_line: f.first_line,
                last_line: f.last_line,
                count: f.count,
                uncaught: f.uncaught,
                fatal_line: f.fatal_line,
                origin_hidden: hidden_origin && !show_method,
                remedy,
                event: None,
                message_ns: None,
            };
            findings.push(verdict::Ranked {
                finding,
                pct,
                detail,
            });
        }
        let mut findings = verdict::group(findings);
        verdict::order(&mut findings);
        let entry = (self.transactions == 1 && self.entry_order.len() == 1)
            .then(|| lossy(self.names.name(self.entry_order[0].1)));
        let verdict = verdict::verdict(&findings, &limits, entry.as_deref());
        let findings: Vec<Finding> = findings.into_iter().map(|r| r.finding).collect();

        // Statement tables.
        let mut soql = self.table(&self.soql, &ns_name);
        let mut dml = self.table(&self.dml, &ns_name);
        let mut sosl = self.table(&self.sosl, &ns_name);
        for (table, k) in [(&mut soql, L_SOQL), (&mut dml, L_DML), (&mut sosl, L_SOSL)] {
            self.reconcile(table, k, nss);
        }
        let computed_peak = self.heap_log.peak.max(0) as u64;
        let reported = self.heap_reported;
        let used = computed_peak.max(reported.unwrap_or(0));
        let heap = HeapSummary {
            allocated_bytes: self.heap_log.total_gross,
            net_bytes: self.heap_log.total_net,
            computed_peak_bytes: computed_peak,
            reported_bytes: reported,
            used_bytes: used,
            source: if used == 0 && reported.is_none() {
                "none"
            } else if reported.is_some_and(|r| r >= computed_peak) {
                "limits"
            } else {
                "allocations"
            }
            .to_string(),
        };

        // Methods (hidden code aggregated under `(ns)`).
        let mut by_name: HashMap<(NsId, Option<u32>), MethodStat> = HashMap::new();
        for (id, m) in &self.methods {
            let key = if is_hidden(m.ns) {
                (m.ns, None)
            } else {
                (m.ns, Some(*id))
            };
            let e = by_name.entry(key).or_insert(MethodStat {
                ns: m.ns,
                ..Default::default()
            });
            e.count += m.count;
            e.total += m.total;
            e.self_time += m.self_time;
            e.heap.merge(&m.heap);
        }
        let mut methods: Vec<MethodRow> = by_name
            .into_iter()
            .map(|((ns, id), m)| MethodRow {
                namespace: ns_name(ns),
                name: match id {
                    Some(id) => lossy(self.names.name(id)),
                    None => format!("({})", ns_name(ns)),
                },
                count: m.count,
                total_nanos: m.total,
                self_nanos: m.self_time,
                heap: m.heap,
            })
            .collect();
        methods.sort_by(|a, b| {
            b.self_nanos
                .cmp(&a.self_nanos)
                .then(b.count.cmp(&a.count))
                .then(a.name.cmp(&b.name))
        });
        methods.truncate(self.opts.top);

        let mut namespaces: Vec<NsTime> = self
            .ns
            .iter()
            .enumerate()
            .filter(|(i, a)| *i == 0 || a.frames > 0 || a.marker_lines > 0)
            .map(|(i, a)| NsTime {
                namespace: ns_name(NsId(i as u16)),
                self_nanos: a.self_time,
                frames: a.frames,
                package_marker_lines: a.marker_lines,
                opaque: opaque.get(i).copied().unwrap_or(false),
            })
            .collect();
        namespaces.sort_by_key(|n| std::cmp::Reverse(n.self_nanos));

        let tree = self.opts.tree.then(|| {
            let recs = std::mem::take(&mut self.tree).into_sorted_vec();
            let mut nodes = Vec::with_capacity(recs.len());
            for r in recs {
                let hide = is_hidden(r.ns);
                let entry = crate::event::table::ALL
                    .get(r.entry as usize)
                    .copied()
                    .unwrap_or(EventType::Unknown);
                let visible_kind = matches!(
                    entry,
                    EventType::SoqlExecuteBegin
                        | EventType::DmlBegin
                        | EventType::SoslExecuteBegin
                        | EventType::CalloutRequest
                        | EventType::EnteringManagedPkg
                );
                nodes.push(TreeNode {
                    depth: r.depth,
                    kind: entry.name().unwrap_or("UNKNOWN").to_string(),
                    name: if hide && !visible_kind {
                        format!("({})", ns_name(r.ns))
                    } else {
                        lossy(&r.name)
                    },
                    namespace: ns_name(r.ns),
                    total_nanos: r.total,
                    self_nanos: r.self_time,
                    log_line: r.log_line,
                    estimated: r.estimated,
                    heap: r.heap,
                });
            }
            Tree {
                nodes,
                frames: self.tree_frames,
                omitted: self.tree_omitted,
                max_depth: self.opts.tree_depth,
                max_lines: self.opts.tree_lines,
            }
        });

        let mut entry_points = Vec::new();
        for (ns, id) in &self.entry_order {
            entry_points.push(EntryPoint {
                name: lossy(self.names.name(*id)),
                namespace: ns_name(*ns),
                count: self.entries.get(&(*ns, *id)).copied().unwrap_or(0),
            });
        }

        let log_issues = ISSUE_KINDS
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
            .collect();

        Report {
            schema_version: SCHEMA_VERSION,
            file: String::new(),
            view: self.opts.view.to_string(),
            hidden_namespaces: (0..hidden.len())
                .filter(|&i| hidden[i])
                .map(|i| ns_name(NsId(i as u16)))
                .collect(),
            summary: Summary {
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
            },
            verdict,
            findings,
            limits,
            soql,
            dml,
            sosl,
            heap,
            exceptions: self.exc.clone(),
            methods,
            namespaces,
            tree,
            log_issues,
        }
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

const ISSUE_KINDS: [IssueKind; 7] = [
    IssueKind::UnexpectedExit,
    IssueKind::MissingExit,
    IssueKind::UnclosedAtEnd,
    IssueKind::Skipped,
    IssueKind::MaxSize,
    IssueKind::DepthCap,
    IssueKind::MultipleLogs,
];

/// Rule ids whose findings analyze raises itself, with richer detail than a text match.
fn is_native_rule(id: &str) -> bool {
    matches!(
        id,
        "NEAR_LIMIT" | "SOQL_TABLESCAN" | "LOG_SKIPPED" | "LOG_MAX_SIZE"
    )
}

fn first_line(b: &[u8]) -> &[u8] {
    let b = match memchr::memchr(b'\n', b) {
        Some(n) => &b[..n],
        None => b,
    };
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Titles and remedies of the findings analyze raises itself.
fn native_text(id: &str) -> (&'static str, Option<&'static str>) {
    match id {
        "NEAR_LIMIT" => (
            "Governor limit close to its maximum",
            Some("Reduce the work of this namespace in one transaction; each certified managed package has its own pool."),
        ),
        "LIMIT_REACHED" => (
            "Governor limit reached",
            Some("This namespace used all of the limit; the next unit of work fails. Reduce that usage."),
        ),
        "LIMIT_USAGE_HIGH" => (
            "Governor limit usage high",
            Some("Reduce the work of this namespace in one transaction; each certified managed package has its own pool."),
        ),
        "SOQL_IN_LOOP" => (
            "The same query repeated from one line",
            Some("Move the query out of the loop: query once for all records and use a map."),
        ),
        "DML_IN_LOOP" => (
            "The same DML statement repeated from one line",
            Some("Collect the records in a list and save them with one DML statement after the loop."),
        ),
        "SOQL_TABLESCAN_CHEAP" => (
            "Query plan uses a table scan (cheap today)",
            Some("The object is small now; filter on an indexed field before it grows, or the scan becomes a non-selective query error."),
        ),
        "SOQL_TABLESCAN" => (
            "Expensive query plan",
            Some("Filter on an indexed field with a selective value; a table scan on a large object predicts a non-selective query error."),
        ),
        "OPAQUE_PACKAGE" => (
            "Managed package code is opaque here",
            Some("Ask the package vendor to reproduce with Login Access (Subscriber Support) and capture a vendor-view log."),
        ),
        "EXCEPTION_UNCAUGHT" => ("Uncaught exception", None),
        "EXCEPTION_CAUGHT" => ("Caught exception", None),
        "LOG_SKIPPED" => ("Salesforce skipped part of the log", None),
        "LOG_MAX_SIZE" => ("The log reached its maximum size", None),
        _ => ("Finding", None),
    }
}
