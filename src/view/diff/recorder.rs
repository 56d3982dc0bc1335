//! The recorder: what a view hides, noted decision by decision as the view streams.

use crate::event::{Event, EventType};
use crate::namespace::NsId;
use crate::stream::Item;
use crate::track::{CloseKind, Tracker};
use crate::view::policy::Decision;
use crate::view::writer::{ReplacedFrame, ViewOptions, ViewWriter};
use serde::Serialize;
use std::io;

/// Longest text kept for messages, queries and debug lines in a report.
pub const TEXT_CAP: usize = 400;
/// Most items of one kind kept (all are counted).
pub const ITEM_CAP: usize = 10_000;

fn text(b: &[u8]) -> String {
    let line = match memchr::memchr(b'\n', b) {
        Some(n) => &b[..n],
        None => b,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut s = String::from_utf8_lossy(&line[..line.len().min(TEXT_CAP)]).into_owned();
    if line.len() > TEXT_CAP {
        s.push('…');
    }
    s
}

/// `ns.Class.Inner.method(Args)` → (`ns.Class.Inner`, `method`).
pub fn split_signature(sig: &[u8]) -> (String, String) {
    let end = memchr::memchr(b'(', sig).unwrap_or(sig.len());
    let path = &sig[..end];
    match memchr::memrchr(b'.', path) {
        Some(d) => (
            String::from_utf8_lossy(&path[..d]).into_owned(),
            String::from_utf8_lossy(&path[d + 1..]).into_owned(),
        ),
        None => (String::new(), String::from_utf8_lossy(path).into_owned()),
    }
}

/// A SOQL statement.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Soql {
    /// Log line of its SOQL_EXECUTE_BEGIN.
    pub line: u64,
    /// Source line (`[88]`).
    pub src_line: Option<u32>,
    /// The query.
    pub query: String,
}

/// Where a hidden exception was raised.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Origin {
    /// Log line of the EXCEPTION_THROWN.
    pub line: u64,
    /// Source line.
    pub src_line: Option<u32>,
    /// Namespace.
    pub ns: String,
    /// Class (`E2CP.ThreadMatcher`), when the log shows the method.
    pub class: Option<String>,
    /// Method (`findParent`).
    pub method: Option<String>,
    /// The SOQL that was running, if the exception came from a query.
    pub soql: Option<Soql>,
    /// Hidden frames, innermost first (method signatures).
    pub stack: Vec<String>,
}

/// One finding of the diff.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiffItem {
    /// An exception raised and handled inside hidden code: the subscriber sees no error.
    HiddenError {
        /// Log line of the EXCEPTION_THROWN.
        line: u64,
        /// The exception message (first line).
        message: String,
        /// Where it was raised.
        origin: Origin,
        /// Log line where the hidden frame that caught it returned normally.
        handled_at: Option<u64>,
    },
    /// A visible exception or fatal error whose origin is hidden.
    HiddenOrigin {
        /// Log line of the visible event (or of the hidden throw if it never surfaced).
        line: u64,
        /// Event type.
        event: String,
        /// Message (first line).
        message: String,
        /// Hidden stack frames replaced by `(ns)` in the view.
        hidden_frames: Vec<String>,
        /// The hidden throw it came from, when the log shows it.
        origin: Option<Origin>,
        /// Lines of identical repeats (Salesforce writes FATAL_ERROR twice).
        repeats: Vec<u64>,
    },
    /// A query whose issuing class and line are hidden.
    HiddenSoql {
        /// Log line of the SOQL/SOSL_EXECUTE_BEGIN.
        line: u64,
        /// Source line inside the hidden class.
        src_line: Option<u32>,
        /// Namespace.
        ns: String,
        /// Class, when the log shows it.
        class: Option<String>,
        /// Method, when the log shows it.
        method: Option<String>,
        /// The query.
        query: String,
    },
    /// A debug line the view drops.
    HiddenDebug {
        /// Log line.
        line: u64,
        /// Source line.
        src_line: Option<u32>,
        /// Namespace.
        ns: String,
        /// Level (`DEBUG`, `ERROR`…).
        level: String,
        /// Text (first line).
        text: String,
    },
}

impl DiffItem {
    fn rank(&self) -> (u8, u64) {
        match self {
            DiffItem::HiddenError { line, .. } => (0, *line),
            DiffItem::HiddenOrigin { line, .. } => (1, *line),
            DiffItem::HiddenSoql { line, .. } => (2, *line),
            DiffItem::HiddenDebug { line, .. } => (3, *line),
        }
    }
}

/// A line range of the input that was already opaque (a run of ENTERING_MANAGED_PKG lines).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct Section {
    /// First line.
    pub first_line: u64,
    /// Last line.
    pub last_line: u64,
}

/// Per hidden namespace.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, Default)]
pub struct NsSummary {
    /// Namespace.
    pub ns: String,
    /// Events the view hides (markers + dropped).
    pub hidden_events: u64,
    /// Of which replaced by markers.
    pub markers: u64,
    /// Of which dropped.
    pub dropped: u64,
    /// Time spent in the namespace's frames (self time, nanoseconds).
    pub time_ns: u64,
    /// Sections already opaque in the input (reported when the input shows none of the
    /// namespace's internals, i.e. it is already a subscriber log for it).
    pub opaque_sections: Vec<Section>,
    /// Number of opaque sections (all counted).
    pub opaque_count: u64,
}

/// The diff of one log against a view.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DiffReport {
    /// The input name.
    pub file: String,
    /// The view compared with the full log.
    pub view: String,
    /// True when the view equals the full log.
    pub equal: bool,
    /// Records the view changes (hidden, dropped or rewritten).
    pub changed_records: u64,
    /// Hidden namespaces.
    pub namespaces: Vec<NsSummary>,
    /// Findings, most important first: hidden errors, hidden origins, SOQL, debug lines.
    pub items: Vec<DiffItem>,
}

#[derive(Debug)]
struct Pending {
    depth: u32,
    line: u64,
    message: String,
    origin: Origin,
}

#[derive(Debug, Default)]
struct NsAcc {
    summary: NsSummary,
    internals: bool,
    opaque: Vec<Section>,
}

/// Records what a view hides while it streams. Feed it every item with [`Recorder::item`].
#[derive(Debug)]
pub struct Recorder {
    writer: ViewWriter,
    out: Vec<u8>,
    ns: Vec<Option<NsAcc>>,
    items: Vec<DiffItem>,
    counts: [u64; 4],
    pending: Vec<Pending>,
    last_soql: Option<Soql>,
    changed: u64,
    last_line: u64,
}

impl Recorder {
    /// A recorder for a view. Markers are written one per hidden event, so a log that is
    /// already a subscriber log compares equal to its view.
    pub fn new(opts: &ViewOptions) -> Self {
        let mut writer = ViewWriter::new(&ViewOptions {
            redact: None,
            ..opts.clone()
        });
        writer.collect_frames = true;
        Recorder {
            writer,
            out: Vec::new(),
            ns: Vec::new(),
            items: Vec::new(),
            counts: [0; 4],
            pending: Vec::new(),
            last_soql: None,
            changed: 0,
            last_line: 0,
        }
    }

    fn acc(&mut self, ns: NsId, tracker: &Tracker) -> &mut NsAcc {
        let i = ns.0 as usize;
        if self.ns.len() <= i {
            self.ns.resize_with(i + 1, || None);
        }
        self.ns[i].get_or_insert_with(|| NsAcc {
            summary: NsSummary {
                ns: tracker.namespaces().name_str(ns).into_owned(),
                ..NsSummary::default()
            },
            ..NsAcc::default()
        })
    }

    fn push(&mut self, item: DiffItem) {
        let k = item.rank().0 as usize;
        self.counts[k] += 1;
        if self.counts[k] <= ITEM_CAP as u64 {
            self.items.push(item);
        }
    }

    fn origin_here(&mut self, ev: &Event<'_>, ns: NsId, tracker: &Tracker) -> Origin {
        let mut stack = Vec::new();
        let mut innermost: Option<(String, String)> = None;
        let frames: Vec<(EventType, NsId, &[u8])> = tracker.open_frames().collect();
        let mut opaque = false;
        for &(entry, fns, name) in frames.iter().rev() {
            if entry == EventType::EnteringManagedPkg && innermost.is_none() {
                // Opaque package code runs above any method frame: the class is unknown.
                opaque = true;
            }
            if matches!(entry, EventType::MethodEntry | EventType::ConstructorEntry)
                && self.writer.policy_mut().hidden(fns, tracker)
            {
                if innermost.is_none() && !opaque && entry == EventType::MethodEntry {
                    innermost = Some(split_signature(name));
                }
                stack.push(String::from_utf8_lossy(name).into_owned());
            }
        }
        let soql = match frames.last() {
            Some((EventType::SoqlExecuteBegin, _, _)) => self.last_soql.clone(),
            _ => None,
        };
        Origin {
            line: ev.line,
            src_line: ev.source_line(),
            ns: tracker.namespaces().name_str(ns).into_owned(),
            class: innermost.as_ref().map(|c| c.0.clone()),
            method: innermost.map(|c| c.1),
            soql,
            stack,
        }
    }

    /// Record one item; `sink` receives the view's bytes for it (for a unified diff).
    pub fn item(&mut self, item: &Item<'_>, tracker: &Tracker) -> io::Result<Decision> {
        self.out.clear();
        let mut out = std::mem::take(&mut self.out);
        let d = self.writer.write_item(item, tracker, &mut out)?;
        self.out = out;
        self.last_line =
            item.record.line + item.record.raw.iter().filter(|&&c| c == b'\n').count() as u64;
        if self.out[..] != *item.record.raw {
            self.changed += 1;
        }
        let frames = std::mem::take(&mut self.writer.frames);
        if let Some(ev) = &item.event {
            self.event(item, ev, d, &frames, tracker);
        }
        self.writer.frames = frames;
        self.closed(item.record.line, tracker);
        Ok(d)
    }

    /// The view's bytes of the last item.
    pub fn last_output(&self) -> &[u8] {
        &self.out
    }

    fn event(
        &mut self,
        item: &Item<'_>,
        ev: &Event<'_>,
        d: Decision,
        frames: &[ReplacedFrame],
        tracker: &Tracker,
    ) {
        let t = ev.etype();
        let ns = item.loc.frame_ns;
        match d {
            Decision::Marker(n) => {
                if t != EventType::EnteringManagedPkg {
                    let a = self.acc(n, tracker);
                    a.summary.markers += 1;
                    a.summary.hidden_events += 1;
                    a.internals = true;
                }
            }
            Decision::Drop(n) => {
                {
                    let a = self.acc(n, tracker);
                    a.summary.dropped += 1;
                    a.summary.hidden_events += 1;
                    a.internals = true;
                }
                if t == EventType::ExceptionThrown {
                    let message = text(ev.field(1).unwrap_or(b""));
                    let origin = self.origin_here(ev, n, tracker);
                    self.pending.push(Pending {
                        depth: item.loc.depth,
                        line: ev.line,
                        message,
                        origin,
                    });
                } else if t != EventType::CodeUnitStarted && t != EventType::CodeUnitFinished {
                    let level = ev.field(1).map(text).unwrap_or_default();
                    let body = ev.field(2).unwrap_or(b"");
                    let item = DiffItem::HiddenDebug {
                        line: ev.line,
                        src_line: ev.source_line(),
                        ns: tracker.namespaces().name_str(n).into_owned(),
                        level,
                        text: text(body),
                    };
                    self.push(item);
                }
            }
            Decision::Keep => {
                let hidden_here =
                    ns != NsId::DEFAULT && self.writer.policy_mut().hidden(ns, tracker);
                match t {
                    EventType::SoqlExecuteBegin | EventType::SoslExecuteBegin if hidden_here => {
                        let q = if t == EventType::SoqlExecuteBegin {
                            ev.field(2)
                        } else {
                            ev.field(1)
                        }
                        .unwrap_or(b"");
                        let soql = Soql {
                            line: ev.line,
                            src_line: ev.source_line(),
                            query: text(q),
                        };
                        self.last_soql = Some(soql.clone());
                        let o = self.origin_here(ev, ns, tracker);
                        self.push(DiffItem::HiddenSoql {
                            line: ev.line,
                            src_line: ev.source_line(),
                            ns: o.ns,
                            class: o.class,
                            method: o.method,
                            query: soql.query,
                        });
                    }
                    EventType::FatalError | EventType::ExceptionThrown => {
                        let origin = if self.pending.is_empty() {
                            None
                        } else {
                            let first = self.pending.remove(0);
                            self.pending.clear();
                            Some(first.origin)
                        };
                        if origin.is_none() && frames.is_empty() {
                            return;
                        }
                        let message = if t == EventType::FatalError {
                            text(ev.body())
                        } else {
                            text(ev.field(1).unwrap_or(b""))
                        };
                        if t == EventType::FatalError
                            && let Some(DiffItem::HiddenOrigin {
                                event,
                                message: m,
                                repeats,
                                ..
                            }) = self.items.last_mut()
                            && event == "FATAL_ERROR"
                            && *m == message
                        {
                            repeats.push(ev.line);
                            return;
                        }
                        let item = DiffItem::HiddenOrigin {
                            line: ev.line,
                            event: String::from_utf8_lossy(ev.type_name()).into_owned(),
                            message,
                            hidden_frames: frames.iter().map(|f| f.frame.clone()).collect(),
                            origin,
                            repeats: Vec::new(),
                        };
                        self.push(item);
                    }
                    _ => {}
                }
            }
        }
    }

    fn closed(&mut self, line: u64, tracker: &Tracker) {
        let mut closed: Vec<(NsId, u64, CloseKind, u32, u64, EventType)> = Vec::new();
        for c in tracker.closed() {
            closed.push((c.ns, c.self_time, c.how, c.depth, c.log_line, c.entry));
        }
        for (ns, self_time, how, depth, log_line, entry) in closed {
            let hidden = self.writer.policy_mut().hidden(ns, tracker);
            if hidden {
                let a = self.acc(ns, tracker);
                a.summary.time_ns += self_time;
                if how == CloseKind::PackageRun {
                    a.summary.opaque_count += 1;
                    if a.opaque.len() < ITEM_CAP {
                        a.opaque.push(Section {
                            first_line: log_line,
                            last_line: line.saturating_sub(1).max(log_line),
                        });
                    }
                }
            }
            if entry == EventType::EnteringManagedPkg {
                continue;
            }
            // Pending hidden exceptions: a hidden frame that was open at the throw (above the
            // throw point, opened before it) and returned normally caught it; a visible such
            // frame closing means it escaped. Frames the handler opened later do not count.
            let mut i = 0;
            while i < self.pending.len() {
                let p = &self.pending[i];
                if depth < p.depth && log_line <= p.line {
                    if hidden && how == CloseKind::Exit {
                        let p = self.pending.remove(i);
                        self.push(DiffItem::HiddenError {
                            line: p.line,
                            message: p.message,
                            origin: p.origin,
                            handled_at: Some(line),
                        });
                        continue;
                    }
                    if !hidden {
                        let p = self.pending.remove(i);
                        self.escaped(p);
                        continue;
                    }
                }
                i += 1;
            }
        }
    }

    fn escaped(&mut self, p: Pending) {
        self.push(DiffItem::HiddenOrigin {
            line: p.line,
            event: "EXCEPTION_THROWN".into(),
            message: p.message,
            hidden_frames: p.origin.stack.clone(),
            origin: Some(p.origin),
            repeats: Vec::new(),
        });
    }

    /// Account for the frames the end of the input closed (the run's driver finished
    /// `tracker`).
    pub fn closed_at_end(&mut self, tracker: &Tracker) {
        self.closed(self.last_line + 1, tracker);
    }

    /// Build the report (after [`Recorder::closed_at_end`]).
    pub fn finish(mut self, file: &str, view: &str) -> DiffReport {
        for p in std::mem::take(&mut self.pending) {
            self.escaped(p);
        }
        let mut items = std::mem::take(&mut self.items);
        items.sort_by_key(|i| i.rank());
        let namespaces = self
            .ns
            .into_iter()
            .flatten()
            .map(|mut a| {
                if !a.internals {
                    a.opaque.sort_by_key(|s| s.first_line);
                    let mut merged: Vec<Section> = Vec::new();
                    for s in a.opaque {
                        match merged.last_mut() {
                            Some(m) if s.first_line <= m.last_line + 1 => {
                                m.last_line = m.last_line.max(s.last_line)
                            }
                            _ => merged.push(s),
                        }
                    }
                    a.summary.opaque_count = merged.len() as u64;
                    a.summary.opaque_sections = merged;
                } else {
                    a.summary.opaque_count = 0;
                }
                a.summary
            })
            .collect();
        DiffReport {
            file: file.to_string(),
            view: view.to_string(),
            equal: self.changed == 0,
            changed_records: self.changed,
            namespaces,
            items,
        }
    }
}
