//! The report `analyze` produces: the public types, whose field names are the JSON schema
//! (`docs/analyze-json.md`). The analyses in the sibling files fill them in
//! [`Analyzer::finish`](super::Analyzer::finish).

use super::Verdict;
use serde::Serialize;

/// Version of the JSON schema (`schema_version`); bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 2;

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
    /// Findings, most severe and most telling first ([`verdict`](super::verdict) ranks and groups them).
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
    /// Callouts, each with endpoint, method, status and time ([`super::callouts`]).
    pub callouts: super::callouts::CalloutTable,
    /// Sections whose figures the header's debug levels leave out ([`super::coverage`]).
    pub not_shown: Vec<super::coverage::LevelNote>,
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
    /// Self time by category (Apex, SOQL, DML, …), overall and per namespace.
    pub time_by_category: super::categories::TimeByCategory,
    /// For each DML statement, the save steps that ran inside it.
    pub save_order: super::save_order::SaveOrderReport,
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
    /// Where the heap peaked ([`super::memory`]).
    pub peak_at: Option<super::memory::HeapPeakAt>,
    /// The methods whose own events allocated most, top `--top N` ([`super::memory`]).
    pub by_method: Vec<super::memory::HeapMethod>,
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
