//! Frames and namespaces: one tracker, shared by every consumer.
//!
//! The [`Tracker`] keeps the frame stack as events stream past. It matches exits to their
//! entries by type and line number, unwinds after exceptions, closes frames left open at
//! truncation or at the end of a log, computes total and self time in nanoseconds, and
//! gives every event its frame namespace, caller namespace and depth.
//!
//! A run of `ENTERING_MANAGED_PKG|ns` lines is a pseudo-frame of namespace `ns`: it has no
//! exit event, so it ends when visible code runs again (a method, statement, debug line,
//! code unit…) or when a frame below it exits. SOQL, DML and callouts inside the run belong
//! to the package.

use crate::event::{Event, EventType, Role};
use crate::namespace::{self, Namespaces, NsId};

/// Where an event sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Located {
    /// The namespace of the code the event belongs to.
    pub frame_ns: NsId,
    /// The namespace that called into `frame_ns` (the nearest enclosing frame of another
    /// namespace); `None` at top level or when no other namespace encloses it.
    pub caller_ns: Option<NsId>,
    /// Frame depth (0 = top level).
    pub depth: u32,
}

/// Why a frame closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseKind {
    /// Its exit event matched.
    Exit,
    /// A frame below it exited (its own exit is missing, typically after an exception).
    Unwound,
    /// The log ended, was truncated, or a new execution or log began.
    Open,
    /// A managed-package marker run ended.
    PackageRun,
}

/// A frame that just closed.
#[derive(Clone, Copy, Debug)]
pub struct ClosedFrame<'t> {
    /// The entry event type (`ENTERING_MANAGED_PKG` for a package run).
    pub entry: EventType,
    /// The frame's namespace.
    pub ns: NsId,
    /// Its caller namespace.
    pub caller: Option<NsId>,
    /// A readable name: method signature, code unit name, query, DML op, namespace.
    pub name: &'t [u8],
    /// Nanos at entry and at close.
    pub start: u64,
    /// Nanos at close (for open frames: the last nanos seen).
    pub end: u64,
    /// `end - start`.
    pub total: u64,
    /// `total` minus the total of its child frames.
    pub self_time: u64,
    /// Depth of the frame (0 = top level).
    pub depth: u32,
    /// Log line of the entry event.
    pub log_line: u64,
    /// Source line (`[12]`) of the entry event.
    pub src_line: Option<u32>,
    /// How it closed; anything but `Exit`/`PackageRun` means the end time is estimated.
    pub how: CloseKind,
}

impl ClosedFrame<'_> {
    /// True when the end time was not read off a matching exit.
    pub fn estimated(&self) -> bool {
        matches!(self.how, CloseKind::Unwound | CloseKind::Open)
    }
}

/// Kinds of log issues the tracker reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueKind {
    /// An exit with no matching entry.
    UnexpectedExit,
    /// A frame closed because a frame below it exited, with no exception to explain it.
    MissingExit,
    /// Frames still open at the end of a log.
    UnclosedAtEnd,
    /// `*** Skipped N bytes of detailed log`.
    Skipped,
    /// `MAXIMUM DEBUG LOG SIZE REACHED`.
    MaxSize,
    /// The frame stack reached its cap; deeper frames were not tracked.
    DepthCap,
    /// More than one log in the input.
    MultipleLogs,
}

impl IssueKind {
    /// Every kind, in declaration order.
    pub const ALL: [IssueKind; 7] = [
        IssueKind::UnexpectedExit,
        IssueKind::MissingExit,
        IssueKind::UnclosedAtEnd,
        IssueKind::Skipped,
        IssueKind::MaxSize,
        IssueKind::DepthCap,
        IssueKind::MultipleLogs,
    ];

    /// Stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::UnexpectedExit => "unexpected-exit",
            IssueKind::MissingExit => "missing-exit",
            IssueKind::UnclosedAtEnd => "unclosed-at-end",
            IssueKind::Skipped => "skipped-lines",
            IssueKind::MaxSize => "max-size-reached",
            IssueKind::DepthCap => "depth-cap",
            IssueKind::MultipleLogs => "multiple-logs",
        }
    }
}

/// A problem with the log itself (not with the code that wrote it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogIssue {
    /// What.
    pub kind: IssueKind,
    /// Log line where it was noticed.
    pub line: u64,
    /// A short description.
    pub detail: String,
}

/// Default cap on the frame stack.
pub const DEFAULT_MAX_DEPTH: usize = 10_000;
/// At most this many issues are kept (all are counted).
pub const MAX_ISSUES: usize = 1_000;

#[derive(Clone, Debug)]
struct Frame {
    entry: EventType,
    pseudo: bool,
    src_line: Option<u32>,
    ns: NsId,
    caller: Option<NsId>,
    start: u64,
    child_total: u64,
    log_line: u64,
    name: Vec<u8>,
    /// A constructor whose line names no class (`<init>(…)` alone, older API versions):
    /// its namespace is inherited until the code inside names its class (`this`'s type).
    unsettled: bool,
}

#[derive(Clone, Copy, Debug)]
struct ClosedRec {
    entry: EventType,
    ns: NsId,
    caller: Option<NsId>,
    name: (usize, usize),
    start: u64,
    end: u64,
    child_total: u64,
    depth: u32,
    log_line: u64,
    src_line: Option<u32>,
    how: CloseKind,
}

/// The frame and namespace tracker. See the module docs.
#[derive(Clone, Debug)]
pub struct Tracker {
    ns: Namespaces,
    stack: Vec<Frame>,
    len: usize,
    overflow: u64,
    max_depth: usize,
    last_nanos: u64,
    last_discontinuity: u64,
    closed: Vec<ClosedRec>,
    closed_names: Vec<u8>,
    issues: Vec<LogIssue>,
    issue_counts: [u64; IssueKind::ALL.len()],
    logs: u64,
    passive: bool,
    keep_closed: bool,
    prepare: bool,
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

const NAME_CAP: usize = 1024;

impl Tracker {
    /// A tracker with no known namespaces.
    pub fn new() -> Self {
        Tracker {
            ns: Namespaces::default(),
            stack: Vec::new(),
            len: 0,
            overflow: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            last_nanos: 0,
            last_discontinuity: 0,
            closed: Vec::new(),
            closed_names: Vec::new(),
            issues: Vec::new(),
            issue_counts: [0; IssueKind::ALL.len()],
            logs: 0,
            passive: false,
            keep_closed: true,
            prepare: true,
        }
    }

    /// A tracker that keeps no frames: every event is located at top level in the default
    /// namespace, and only `ENTERING_MANAGED_PKG` / `LIMIT_USAGE_FOR_NS` teach it namespaces.
    /// For parse-only consumers (`events --stats`).
    pub fn passive() -> Self {
        Tracker {
            passive: true,
            prepare: false,
            ..Self::new()
        }
    }

    /// Skip the namespace stage ([`crate::prepare`]) before tracking: for a run whose
    /// namespaces do not matter (the `full` view, a byte-exact copy).
    pub fn unprepared(mut self) -> Self {
        self.prepare = false;
        self
    }

    /// Whether the driver runs the namespace stage for this tracker.
    pub fn wants_prepare(&self) -> bool {
        self.prepare
    }

    /// Declare namespaces known up front (for example the vendor's own, from `--as vendor:NS`).
    pub fn with_namespaces<S: AsRef<[u8]>>(mut self, names: &[S]) -> Self {
        for n in names {
            self.ns.declare(n.as_ref());
        }
        self
    }

    /// Do not record closed frames or frame names: [`Tracker::closed`] stays empty. For
    /// consumers that only ask where each event sits (views, scan), it saves a copy per frame.
    pub fn without_closed(mut self) -> Self {
        self.keep_closed = false;
        self
    }

    /// Set the frame-depth cap.
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.max(1);
        self
    }

    /// A tracker like this one (same settings and namespaces, nothing seen: call it before
    /// this one reads anything) for the part of a log that
    /// starts at an `EXECUTION_STARTED` line: it remembers the names it looked up without
    /// knowing them, so that [`resumed_by`](Tracker::resumed_by) can tell whether it read
    /// that part as this one would have.
    pub fn fresh_for_rest(&self) -> Tracker {
        let mut t = Tracker {
            ns: self.ns.clone(),
            max_depth: self.max_depth,
            passive: self.passive,
            keep_closed: self.keep_closed,
            prepare: self.prepare,
            ..Tracker::new()
        };
        t.ns.record_misses();
        t
    }

    /// Would this tracker, having read a log up to an `EXECUTION_STARTED` line stamped
    /// `seam_nanos`, locate every event from that line on as `next` (from
    /// [`fresh_for_rest`](Tracker::fresh_for_rest), which started there) did? The execution
    /// start closes every frame, so what remains of the past is the namespaces learned: it
    /// holds when `next` never failed to look up a name this one knows, both together stay
    /// under the namespace cap, and the clock did not run back at the seam. Locations
    /// (namespaces, callers, depths) are what this promises; frame timings, issues and
    /// closed frames of the two halves are not combined.
    pub fn resumed_by(&self, next: &Tracker, seam_nanos: Option<u64>) -> bool {
        self.passive == next.passive
            && self.keep_closed == next.keep_closed
            && self.max_depth == next.max_depth
            && self.ns.len() + next.ns.len() < namespace::MAX_NAMESPACES
            && seam_nanos.is_some_and(|n| self.last_nanos <= n)
            && next.ns.misses().all(|m| self.ns.find_known(m).is_none())
    }

    /// The namespaces seen so far.
    pub fn namespaces(&self) -> &Namespaces {
        &self.ns
    }

    /// Mutable access, to learn or intern a namespace from outside.
    pub fn namespaces_mut(&mut self) -> &mut Namespaces {
        &mut self.ns
    }

    /// Current depth.
    pub fn depth(&self) -> u32 {
        self.len as u32
    }

    /// The namespace of the innermost frame (default at top level).
    pub fn current_ns(&self) -> NsId {
        self.top().map_or(NsId::DEFAULT, |f| f.ns)
    }

    /// True when the open frame at `depth` (1 = outermost, [`depth`](Self::depth) = innermost)
    /// is a run of `ENTERING_MANAGED_PKG` markers (what a subscriber's log shows of package
    /// code), not a frame of code.
    pub fn is_package_run(&self, depth: u32) -> bool {
        (depth as usize)
            .checked_sub(1)
            .and_then(|i| self.stack[..self.len].get(i))
            .is_some_and(|f| f.pseudo)
    }

    /// Like [`is_package_run`](Self::is_package_run), but looking through frames that only
    /// inherit their namespace (SOQL, DML, system methods, callouts…) to the nearest frame
    /// of code (method, constructor, code unit, execution) or marker run at or below `depth`.
    pub fn code_frame_is_package_run(&self, depth: u32) -> bool {
        let n = (depth as usize).min(self.len);
        for f in self.stack[..n].iter().rev() {
            if f.pseudo {
                return true;
            }
            if matches!(
                f.entry,
                EventType::MethodEntry
                    | EventType::ConstructorEntry
                    | EventType::CodeUnitStarted
                    | EventType::ExecutionStarted
            ) {
                return false;
            }
        }
        false
    }

    /// Namespaces of the open frames, outermost first.
    pub fn open_namespaces(&self) -> impl Iterator<Item = NsId> + '_ {
        self.stack[..self.len].iter().map(|f| f.ns)
    }

    /// Names of the open frames, outermost first (for stack-shaped reports).
    pub fn open_frames(&self) -> impl Iterator<Item = (EventType, NsId, &[u8])> + '_ {
        self.stack[..self.len]
            .iter()
            .map(|f| (f.entry, f.ns, &f.name[..]))
    }

    /// Log issues found so far (at most [`MAX_ISSUES`] are kept).
    pub fn issues(&self) -> &[LogIssue] {
        &self.issues
    }

    /// How many issues of a kind were found (all counted, also beyond the cap).
    pub fn issue_count(&self, kind: IssueKind) -> u64 {
        self.issue_counts[kind as usize]
    }

    /// Number of logs (headers) seen.
    pub fn logs(&self) -> u64 {
        self.logs
    }

    /// Whether the last call to [`on_event`](Self::on_event), [`on_marker`](Self::on_marker),
    /// [`begin_log`](Self::begin_log) or [`finish`](Self::finish) closed frames that
    /// [`closed`](Self::closed) lists.
    #[inline]
    pub fn has_closed(&self) -> bool {
        !self.closed.is_empty()
    }

    /// Frames closed by the last call to [`on_event`](Self::on_event), [`on_marker`](Self::on_marker),
    /// [`begin_log`](Self::begin_log) or [`finish`](Self::finish), innermost first.
    pub fn closed(&self) -> impl Iterator<Item = ClosedFrame<'_>> + '_ {
        self.closed.iter().map(move |c| ClosedFrame {
            entry: c.entry,
            ns: c.ns,
            caller: c.caller,
            name: &self.closed_names[c.name.0..c.name.1],
            start: c.start,
            end: c.end,
            total: c.end.saturating_sub(c.start),
            self_time: c.end.saturating_sub(c.start).saturating_sub(c.child_total),
            depth: c.depth,
            log_line: c.log_line,
            src_line: c.src_line,
            how: c.how,
        })
    }

    fn issue(&mut self, kind: IssueKind, line: u64, detail: impl FnOnce() -> String) {
        self.issue_counts[kind as usize] += 1;
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(LogIssue {
                kind,
                line,
                detail: detail(),
            });
        }
    }

    #[inline]
    fn top(&self) -> Option<&Frame> {
        self.len.checked_sub(1).map(|i| &self.stack[i])
    }

    /// A header: a new log starts. Closes everything still open.
    pub fn begin_log(&mut self, line: u64) {
        self.closed.clear();
        self.closed_names.clear();
        if self.len > 0 {
            self.issue(IssueKind::UnclosedAtEnd, line, || {
                "frames still open when the next log began".into()
            });
        }
        self.close_all(CloseKind::Open);
        self.logs += 1;
        if self.logs == 2 {
            self.issue(IssueKind::MultipleLogs, line, || {
                "more than one log in this input".into()
            });
        }
        self.last_nanos = 0;
        self.overflow = 0;
    }

    /// A truncation marker. `MAXIMUM DEBUG LOG SIZE REACHED` closes every open frame
    /// (estimated); `Skipped` keeps them, and later exits that cannot match are expected.
    pub fn on_marker(&mut self, max_size: bool, skipped_bytes: Option<u64>, line: u64) {
        self.closed.clear();
        self.closed_names.clear();
        self.last_discontinuity = line;
        if max_size {
            self.issue(IssueKind::MaxSize, line, || {
                "MAXIMUM DEBUG LOG SIZE REACHED: the rest of the log is missing".into()
            });
            // Frames the marker leaves open are reported as a log that stops reports them.
            if self.stack[..self.len].iter().any(|f| !f.pseudo) {
                let n = self.len;
                self.issue(IssueKind::UnclosedAtEnd, line, || {
                    format!("{n} frame(s) still open where the log reached its maximum size")
                });
            }
            self.close_all(CloseKind::Open);
        } else {
            self.issue(IssueKind::Skipped, line, || match skipped_bytes {
                Some(n) => format!("Salesforce skipped {n} bytes of detailed log here"),
                None => "Salesforce skipped part of the log here".into(),
            });
        }
    }

    /// End of input: close every open frame at the last nanos seen.
    pub fn finish(&mut self, line: u64) {
        self.closed.clear();
        self.closed_names.clear();
        let real_open = self.stack[..self.len].iter().any(|f| !f.pseudo);
        if real_open {
            let n = self.len;
            self.issue(IssueKind::UnclosedAtEnd, line, || {
                format!("{n} frame(s) still open at the end of the log")
            });
        }
        self.close_all(CloseKind::Open);
    }

    fn close_all(&mut self, how: CloseKind) {
        while self.len > 0 {
            let how = if self.stack[self.len - 1].pseudo {
                CloseKind::PackageRun
            } else {
                how
            };
            self.pop(self.last_nanos, how);
        }
        self.overflow = 0;
    }

    fn pop(&mut self, end: u64, how: CloseKind) {
        let i = self.len - 1;
        self.len -= 1;
        let f = &self.stack[i];
        let end = end.max(f.start);
        let total = end - f.start;
        if i > 0 {
            self.stack[i - 1].child_total += total;
        }
        if !self.keep_closed {
            return;
        }
        let f = &self.stack[i];
        let s = self.closed_names.len();
        self.closed_names.extend_from_slice(&f.name);
        self.closed.push(ClosedRec {
            entry: f.entry,
            ns: f.ns,
            caller: f.caller,
            name: (s, self.closed_names.len()),
            start: f.start,
            end,
            child_total: f.child_total,
            depth: i as u32,
            log_line: f.log_line,
            src_line: f.src_line,
            how,
        });
    }

    fn push(
        &mut self,
        ev: &Event<'_>,
        entry: EventType,
        ns: NsId,
        pseudo: bool,
        name: &[u8],
    ) -> bool {
        if self.len >= self.max_depth {
            self.overflow += 1;
            if self.overflow == 1 {
                let cap = self.max_depth;
                self.issue(IssueKind::DepthCap, ev.line, || {
                    format!("frame depth reached the cap of {cap}; deeper frames are not tracked")
                });
            }
            return false;
        }
        let caller = match self.top() {
            None => None,
            Some(p) if p.ns == ns => p.caller,
            Some(p) => Some(p.ns),
        };
        let frame = Frame {
            entry,
            pseudo,
            src_line: ev.source_line(),
            ns,
            caller,
            start: ev.nanos().unwrap_or(self.last_nanos),
            child_total: 0,
            log_line: ev.line,
            name: Vec::new(),
            unsettled: false,
        };
        if self.len == self.stack.len() {
            self.stack.push(frame);
        } else {
            let slot = &mut self.stack[self.len];
            let mut buf = std::mem::take(&mut slot.name);
            *slot = frame;
            buf.clear();
            slot.name = buf;
        }
        if self.keep_closed {
            let slot = &mut self.stack[self.len];
            slot.name
                .extend_from_slice(&name[..name.len().min(NAME_CAP)]);
        }
        self.len += 1;
        true
    }

    fn here(&self) -> Located {
        match self.top() {
            Some(f) => Located {
                frame_ns: f.ns,
                caller_ns: f.caller,
                depth: self.len as u32,
            },
            None => Located::default(),
        }
    }

    /// A line of code cannot run directly inside a query, a DML statement or a limit block:
    /// such frames on top of the stack lost their exit (an exception inside them, or a
    /// malformed log), so they end here, unwound.
    fn unwind_codeless(&mut self, line: u64, now: u64) {
        while let Some(f) = self.top() {
            if f.pseudo || !holds_no_code(f.entry) {
                return;
            }
            self.unwind_top(line, now);
        }
    }

    /// Pop the innermost frame, which ends at `line` without its exit: a marker run simply
    /// ends; a frame opened after the last exception or truncation is reported as missing
    /// its exit.
    fn unwind_top(&mut self, line: u64, now: u64) {
        let f = &self.stack[self.len - 1];
        if f.pseudo {
            self.pop(now, CloseKind::PackageRun);
            return;
        }
        if f.log_line > self.last_discontinuity {
            let name = if f.name.is_empty() {
                f.entry.name().unwrap_or("?").to_string()
            } else {
                String::from_utf8_lossy(&f.name).into_owned()
            };
            let fl = f.log_line;
            self.issue(IssueKind::MissingExit, line, || {
                format!("frame opened at line {fl} ({name}) has no exit")
            });
        }
        self.pop(now, CloseKind::Unwound);
    }

    /// `VARIABLE_SCOPE_BEGIN|[14]|this|ns.Type|…` inside a constructor that named no
    /// class: the type of `this` is the constructor's class, so its namespace (when it is
    /// a known one) is the frame's. The frame is re-attributed, with its caller.
    fn settle_constructor(&mut self, ev: &Event<'_>) {
        let Some(top) = self.len.checked_sub(1) else {
            return;
        };
        if !self.stack[top].unsettled || ev.field(1) != Some(&b"this"[..]) {
            return;
        }
        self.stack[top].unsettled = false;
        let ty = ev.field(2).unwrap_or(b"");
        // Only a known namespace settles it: a bare type name is weaker evidence than the
        // caller's namespace (a package's own class may be written without its prefix).
        let Some(ns) = memchr::memchr(b'.', ty).and_then(|d| self.ns.lookup(&ty[..d])) else {
            return;
        };
        let (pns, pcaller) = match top.checked_sub(1).map(|p| &self.stack[p]) {
            Some(p) => (Some(p.ns), p.caller),
            None => (None, None),
        };
        let f = &mut self.stack[top];
        if f.ns != ns {
            f.ns = ns;
            f.caller = match pns {
                None => None,
                Some(p) if p == ns => pcaller,
                Some(p) => Some(p),
            };
        }
    }

    fn pop_pseudo(&mut self, now: u64) {
        while self.len > 0 && self.stack[self.len - 1].pseudo {
            self.pop(now, CloseKind::PackageRun);
        }
    }

    /// Track one event and say where it sits.
    #[inline(always)]
    pub fn on_event(&mut self, ev: &Event<'_>) -> Located {
        if self.passive {
            // Still learn namespaces from the two events that name them outright.
            if matches!(
                ev.etype(),
                EventType::EnteringManagedPkg | EventType::LimitUsageForNs
            ) && let Some(n) = ev.field(0)
            {
                self.ns.learn(n);
            }
            return Located::default();
        }
        self.on_event_tracked(ev)
    }

    fn on_event_tracked(&mut self, ev: &Event<'_>) -> Located {
        self.closed.clear();
        self.closed_names.clear();
        let now = match ev.nanos() {
            Some(n) => {
                self.last_nanos = self.last_nanos.max(n);
                n
            }
            None => self.last_nanos,
        };
        let t = ev.etype();
        if runs_code(t) {
            self.unwind_codeless(ev.line, now);
        }
        if ends_package_run(t) {
            self.pop_pseudo(now);
        }
        match t.role() {
            Role::Open(_) => self.open(ev, t, now),
            Role::Close => self.close(ev, t, now),
            Role::PackageMarker => {
                // `ENTERING_MANAGED_PKG|ns` on one line (`ns` may be empty: the platform
                // writes such markers); a marker whose first line is no name (mangled text)
                // starts no run.
                let Some(name) = namespace::marker_name(ev.first_line()) else {
                    return self.here();
                };
                let id = self.ns.learn(name);
                match self.top() {
                    Some(f) if f.pseudo && f.ns == id => {}
                    _ => {
                        self.pop_pseudo(now);
                        self.push(ev, t, id, true, name);
                    }
                }
                self.here()
            }
            Role::Discontinuity => {
                self.last_discontinuity = ev.line;
                if t == EventType::ExceptionThrown {
                    // A namespaced LimitException names its package: zed:Too many…
                    if let Some(n) = ev.field(1).and_then(namespace::from_limit_message) {
                        self.ns.learn(n);
                    }
                }
                self.here()
            }
            Role::Leaf => {
                if t == EventType::VariableScopeBegin {
                    self.settle_constructor(ev);
                }
                if t == EventType::LimitUsageForNs {
                    let field = ev.field(0).unwrap_or(b"");
                    let id = self.ns.learn(field);
                    let here = self.here();
                    return Located {
                        frame_ns: id,
                        caller_ns: (here.frame_ns != id).then_some(here.frame_ns),
                        depth: here.depth,
                    };
                }
                self.here()
            }
        }
    }

    fn open(&mut self, ev: &Event<'_>, t: EventType, now: u64) -> Located {
        let inherit = self.top().map_or(NsId::DEFAULT, |f| f.ns);
        let mut name: &[u8] = b"";
        let mut unsettled = false;
        let ns = match t {
            EventType::ExecutionStarted => {
                self.close_all(CloseKind::Open);
                NsId::DEFAULT
            }
            EventType::CodeUnitStarted => {
                let mut f = ev.fields();
                let _ext = f.next();
                let a = f.next().unwrap_or(b"");
                let b = f.next();
                let c = f.next();
                name = b.unwrap_or(a);
                let mut ns = None;
                for evidence in [c, Some(name)].into_iter().flatten() {
                    if let Some(found) = namespace::from_type_ref(evidence) {
                        ns = Some(found.map_or(NsId::DEFAULT, |n| self.ns.learn(n)));
                        break;
                    }
                }
                // No evidence in the name: the org's own (a trigger or validation fired by
                // a package's DML is the org's). Inheriting the enclosing namespace instead
                // would make a subscriber view read back differently (fuzz regression
                // view-fixed-1e29c259).
                ns.or_else(|| namespace::from_signature(&mut self.ns, name))
                    .or_else(|| namespace::from_code_unit(&mut self.ns, name))
                    .unwrap_or(NsId::DEFAULT)
            }
            EventType::MethodEntry => {
                let mut f = ev.fields();
                let _line = f.next();
                let class_id = f.next().unwrap_or(b"");
                name = f.next().unwrap_or(b"");
                if class_id.is_empty() {
                    inherit
                } else {
                    namespace::from_signature(&mut self.ns, name).unwrap_or(NsId::DEFAULT)
                }
            }
            EventType::ConstructorEntry => {
                let mut f = ev.fields();
                let _line = f.next();
                let class_id = f.next().unwrap_or(b"");
                let _init = f.next();
                name = f.next().unwrap_or(b"");
                if class_id.is_empty() {
                    inherit
                } else if name.is_empty() {
                    // `CONSTRUCTOR_ENTRY|[33]|01p…|<init>(String)` names no class: most
                    // likely code of the namespace that calls it; settled by `this` below.
                    unsettled = true;
                    inherit
                } else if let Some(found) = namespace::from_type_ref(name) {
                    found.map_or(NsId::DEFAULT, |n| self.ns.learn(n))
                } else {
                    let first = name.split(|&c| c == b'.').next().unwrap_or(b"");
                    if name.contains(&b'.') {
                        self.ns.lookup(first).unwrap_or(NsId::DEFAULT)
                    } else {
                        NsId::DEFAULT
                    }
                }
            }
            EventType::VfApexCallStart => {
                // Getter/setter calls without a method never get an END: a leaf.
                if ev.field(2).is_none_or(|m| m.is_empty()) {
                    return self.here();
                }
                name = ev.field(2).unwrap_or(b"");
                inherit
            }
            _ => {
                // The name is only kept for closed frames.
                if self.keep_closed {
                    name = frame_name(ev, t);
                }
                inherit
            }
        };
        let _ = now;
        if self.push(ev, t, ns, false, name) {
            self.stack[self.len - 1].unsettled = unsettled;
            self.here()
        } else {
            Located {
                depth: self.max_depth as u32,
                ..self.here()
            }
        }
    }

    fn close(&mut self, ev: &Event<'_>, t: EventType, now: u64) -> Located {
        if self.overflow > 0 {
            self.overflow -= 1;
            return Located {
                depth: self.max_depth as u32,
                ..self.here()
            };
        }
        let line = ev.source_line();
        let found = self.stack[..self.len].iter().rposition(|f| {
            !f.pseudo
                && t.closes(f.entry)
                && match (line, f.src_line) {
                    (Some(a), Some(b)) => a == b || a == 0 || b == 0,
                    _ => true,
                }
        });
        let Some(i) = found else {
            if self.last_discontinuity == 0 {
                self.issue(IssueKind::UnexpectedExit, ev.line, || {
                    format!(
                        "{} with no matching entry",
                        String::from_utf8_lossy(ev.type_name())
                    )
                });
            } else {
                self.issue(IssueKind::UnexpectedExit, ev.line, || {
                    format!(
                        "{} with no matching entry (after an exception or truncation)",
                        String::from_utf8_lossy(ev.type_name())
                    )
                });
            }
            return self.here();
        };
        while self.len > i + 1 {
            self.unwind_top(ev.line, now);
        }
        let f = &self.stack[i];
        let loc = Located {
            frame_ns: f.ns,
            caller_ns: f.caller,
            depth: self.len as u32,
        };
        self.pop(now, CloseKind::Exit);
        loc
    }
}

/// Lines that only running Apex code writes.
#[inline]
fn runs_code(t: EventType) -> bool {
    use EventType::*;
    matches!(
        t,
        StatementExecute | VariableScopeBegin | VariableAssignment | MethodEntry | ConstructorEntry
    ) || t.is_user_debug()
}

/// Frames inside which no Apex line runs directly (code they cause runs in a code unit).
#[inline]
fn holds_no_code(t: EventType) -> bool {
    use EventType::*;
    matches!(
        t,
        SoqlExecuteBegin
            | SoslExecuteBegin
            | DmlBegin
            | QueryMoreBegin
            | CursorCreateBegin
            | CumulativeLimitUsage
            | CumulativeProfilingBegin
    )
}

/// Events that only visible code emits: they end a managed-package marker run.
#[inline]
fn ends_package_run(t: EventType) -> bool {
    use EventType::*;
    matches!(
        t,
        MethodEntry
            | MethodExit
            | ConstructorEntry
            | ConstructorExit
            | StatementExecute
            | VariableScopeBegin
            | VariableAssignment
            | UserDebug
            | CodeUnitStarted
            | CodeUnitFinished
            | ExecutionStarted
            | ExecutionFinished
            | ExceptionThrown
            | FatalError
            | CumulativeLimitUsage
            | CumulativeProfilingBegin
            | DmlEnd
            | SoqlExecuteEnd
            | SoslExecuteEnd
            | CalloutResponse
            | SystemMethodExit
            | SystemConstructorExit
    ) || t.role() == Role::Close
}

fn frame_name<'a>(ev: &Event<'a>, t: EventType) -> &'a [u8] {
    use EventType::*;
    match t {
        SystemMethodEntry | SystemConstructorEntry | CalloutRequest => ev.field(1).unwrap_or(b""),
        SoqlExecuteBegin => ev.field(2).unwrap_or(b""),
        SoslExecuteBegin => ev.field(1).unwrap_or(b""),
        DmlBegin => crate::event::payload::dml::name(ev.first_line()),
        _ => {
            let f = ev.first_line();
            if f.is_empty() { ev.type_name() } else { f }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{Threads, run_bytes};

    /// (type, depth, frame namespace, caller namespace) of every event of `log`.
    fn located(log: &str) -> Vec<(String, u32, String, Option<String>)> {
        let mut out = Vec::new();
        let mut t = Tracker::new();
        run_bytes(log.as_bytes(), &mut t, Threads::One, |item, t| {
            if let Some(ev) = &item.event {
                let ns = |id| String::from_utf8_lossy(t.namespaces().name(id)).into_owned();
                out.push((
                    String::from_utf8_lossy(ev.type_name()).into_owned(),
                    item.loc.depth,
                    ns(item.loc.frame_ns),
                    item.loc.caller_ns.map(ns),
                ));
            }
            Ok(())
        })
        .unwrap();
        out
    }

    const LOG: &str = "61.0 APEX_CODE,FINEST\n\
        10:00:00.0 (100)|EXECUTION_STARTED\n\
        10:00:00.0 (200)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex\n\
        10:00:00.0 (300)|METHOD_ENTRY|[1]|01p000000000001|Foo.bar()\n\
        10:00:00.0 (400)|ENTERING_MANAGED_PKG|acme\n\
        10:00:00.0 (500)|METHOD_ENTRY|[9]|01p000000000002|acme.Svc.run()\n\
        10:00:00.0 (600)|METHOD_EXIT|[9]|01p000000000002|acme.Svc.run()\n\
        10:00:00.0 (700)|METHOD_EXIT|[1]|01p000000000001|Foo.bar()\n\
        10:00:00.0 (800)|CODE_UNIT_FINISHED|execute_anonymous_apex\n\
        10:00:00.0 (900)|EXECUTION_FINISHED\n";

    #[test]
    fn frames_nest_and_close() {
        let got = located(LOG);
        let depths: Vec<u32> = got.iter().map(|g| g.1).collect();
        assert_eq!(depths, vec![1, 2, 3, 4, 4, 4, 3, 2, 1]);
        let ns: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
        assert_eq!(
            ns,
            [
                "(default)",
                "(default)",
                "(default)",
                "acme",
                "acme",
                "acme",
                "(default)",
                "(default)",
                "(default)"
            ]
        );
        // Code of the package knows who called it; the subscriber's code has no caller.
        assert_eq!(got[4].3.as_deref(), Some("(default)"));
        assert_eq!(got[2].3, None);
    }

    #[test]
    fn a_second_log_starts_at_the_top() {
        let unclosed = LOG.replace(
            "10:00:00.0 (700)|METHOD_EXIT|[1]|01p000000000001|Foo.bar()\n",
            "",
        );
        let two = format!("{unclosed}{LOG}");
        let got = located(&two);
        assert_eq!(got.len(), 8 + 9);
        // The second log's first event is at depth 1 whatever the first left open.
        assert_eq!(got[8].0, "EXECUTION_STARTED");
        assert_eq!(got[8].1, 1);
        assert_eq!(got.last().unwrap().1, 1);
    }
}
