//! The streaming view writer: one record in, zero or more bytes out, driven by
//! [`stream::run`](crate::stream::run). Memory stays flat: kept records are written as
//! borrowed slices; rewritten ones go through two reused buffers.

use super::frames;
use super::policy::{Decision, Policy, Visibility};
use super::redact::{RedactSpec, Redactor, carries_data};
use crate::event::EventType;
use crate::framing::RecordKind;
use crate::namespace::NsId;
use crate::stream::Item;
use crate::track::Tracker;
use std::io::{self, Write};

/// `--markers`: how hidden events are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Markers {
    /// One `ENTERING_MANAGED_PKG` line per run of hidden events.
    #[default]
    Run,
    /// One `ENTERING_MANAGED_PKG` line per hidden event (as Salesforce writes them).
    Every,
}

/// Everything a view needs.
#[derive(Clone, Debug, Default)]
pub struct ViewOptions {
    /// Which namespaces are visible.
    pub visibility: Visibility,
    /// Marker style.
    pub markers: Markers,
    /// Redaction, if any.
    pub redact: Option<RedactSpec>,
    /// Reducers (`--level`, `--keep`, `--drop`, `--collapse-markers`, `--within`).
    pub reduce: super::reduce::ReduceSpec,
}

/// Types whose text may hold stack frames or profiling locations (`Class.ns.X.y`).
#[inline]
fn may_carry_frames(t: EventType) -> bool {
    use EventType::*;
    !matches!(
        t,
        StatementExecute
            | HeapAllocate
            | MethodEntry
            | MethodExit
            | SystemMethodEntry
            | SystemMethodExit
            | ConstructorEntry
            | ConstructorExit
            | SystemConstructorEntry
            | SystemConstructorExit
            | VariableScopeBegin
            | SoqlExecuteEnd
            | SoqlExecuteExplain
            | DmlEnd
            | LimitUsage
            | CodeUnitStarted
            | CodeUnitFinished
            | EnteringManagedPkg
            | SystemModeEnter
            | SystemModeExit
    )
}

/// Write `raw`, with the text from `payload_start` on redacted (when redacting; `buf` is
/// scratch space).
fn write_redacted<W: Write + ?Sized>(
    redactor: Option<&mut Redactor>,
    buf: &mut Vec<u8>,
    raw: &[u8],
    payload_start: Option<usize>,
    out: &mut W,
) -> io::Result<()> {
    if let (Some(r), Some(ps)) = (redactor, payload_start) {
        let ps = ps.min(raw.len());
        if r.wants(&raw[ps..]) {
            buf.clear();
            buf.extend_from_slice(&raw[..ps]);
            if r.redact(&raw[ps..], buf) {
                return out.write_all(buf);
            }
        }
    }
    out.write_all(raw)
}

/// Where the second line of a record starts, if it has one.
#[inline]
fn continuation(raw: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', &raw[..raw.len().saturating_sub(1)]).map(|i| i + 1)
}

/// The line terminator of a record.
#[inline]
pub fn terminator(raw: &[u8]) -> &[u8] {
    if raw.ends_with(b"\r\n") {
        &raw[raw.len() - 2..]
    } else if raw.ends_with(b"\n") {
        &raw[raw.len() - 1..]
    } else {
        &[]
    }
}

/// A hidden stack frame replaced in visible text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplacedFrame {
    /// Its namespace.
    pub ns: String,
    /// The frame text, e.g. `Class.E2CP.ThreadMatcher.findParent: line 88, column 1`.
    pub frame: String,
}

/// What [`ViewWriter::show_item`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The view shows the record exactly as it is in the input; nothing was written.
    AsIs,
    /// What the view shows of it was written, under this decision.
    Written(Decision),
}

/// The streaming view writer.
#[derive(Debug)]
pub struct ViewWriter {
    policy: Policy,
    markers: Markers,
    redactor: Option<Redactor>,
    run_ns: Option<NsId>,
    buf: Vec<u8>,
    buf2: Vec<u8>,
    /// Collect [`ReplacedFrame`]s of the last item (for the diff).
    pub collect_frames: bool,
    /// Frames replaced in the last item, when `collect_frames` is set.
    pub frames: Vec<ReplacedFrame>,
    reducer: Option<Box<super::reduce::Reducer>>,
}

impl ViewWriter {
    /// A writer for these options.
    pub fn new(opts: &ViewOptions) -> Self {
        ViewWriter {
            policy: Policy::new(opts.visibility.clone()),
            markers: opts.markers,
            redactor: opts.redact.map(Redactor::new),
            run_ns: None,
            buf: Vec::with_capacity(4096),
            buf2: Vec::with_capacity(4096),
            collect_frames: false,
            frames: Vec::new(),
            reducer: opts
                .reduce
                .is_active()
                .then(|| Box::new(super::reduce::Reducer::new(opts.reduce.clone()))),
        }
    }

    /// The policy (to ask whether a namespace is hidden).
    pub fn policy_mut(&mut self) -> &mut Policy {
        &mut self.policy
    }

    /// Values masked so far by the redactor.
    pub fn masked(&self) -> u64 {
        self.redactor.as_ref().map_or(0, |r| r.masked)
    }

    /// View one record: decide, then write what the view shows of it to `out`.
    #[inline]
    pub fn write_item<W: Write + ?Sized>(
        &mut self,
        item: &Item<'_>,
        tracker: &Tracker,
        out: &mut W,
    ) -> io::Result<Decision> {
        match self.show_item(item, tracker, out)? {
            Shown::AsIs => {
                out.write_all(item.record.raw)?;
                Ok(Decision::Keep)
            }
            Shown::Written(d) => Ok(d),
        }
    }

    /// View one record like [`ViewWriter::write_item`], except that a record the view
    /// shows exactly as it is in the input is not written: [`Shown::AsIs`] says so, and
    /// the caller writes `item.record.raw` (or a longer run of input holding it).
    #[inline]
    pub fn show_item<W: Write + ?Sized>(
        &mut self,
        item: &Item<'_>,
        tracker: &Tracker,
        out: &mut W,
    ) -> io::Result<Shown> {
        if self.collect_frames {
            self.frames.clear();
        }
        if let Some(mut r) = self.reducer.take() {
            let res = r.write_item(self, item, tracker, out);
            self.reducer = Some(r);
            return res.map(Shown::Written);
        }
        if self.policy.is_full() && self.redactor.is_none() {
            return Ok(Shown::AsIs);
        }
        let d = self.policy.decide(item, tracker);
        if d == Decision::Keep && self.redactor.is_none() {
            self.run_ns = None;
            if !self.rewrite_frames(item, tracker) {
                return Ok(Shown::AsIs);
            }
            out.write_all(&self.buf)?;
            return Ok(Shown::Written(d));
        }
        self.emit(d, item, tracker, out)?;
        Ok(Shown::Written(d))
    }

    /// The policy's decision for one record (Keep for everything in a full view).
    #[inline]
    pub fn decide(&mut self, item: &Item<'_>, tracker: &Tracker) -> Decision {
        if self.policy.is_full() {
            return Decision::Keep;
        }
        self.policy.decide(item, tracker)
    }

    /// Write what the view shows of a record under decision `d`; true if anything was
    /// written (a marker inside a run of them is not).
    #[inline]
    pub fn emit<W: Write + ?Sized>(
        &mut self,
        d: Decision,
        item: &Item<'_>,
        tracker: &Tracker,
        out: &mut W,
    ) -> io::Result<bool> {
        let raw = item.record.raw;
        if self.policy.is_full() && self.redactor.is_none() {
            out.write_all(raw)?;
            return Ok(true);
        }
        match d {
            Decision::Keep => {
                self.run_ns = None;
                self.write_kept(item, tracker, out)?;
            }
            Decision::Marker(ns) => {
                if self.markers == Markers::Run && self.run_ns == Some(ns) {
                    return Ok(false);
                }
                self.run_ns = Some(ns);
                let ev = item.event.as_ref().expect("markers are events");
                if ev.etype() == EventType::EnteringManagedPkg {
                    // As it is, but text glued below it (a mangled log) is redacted like any
                    // continuation line.
                    let r = self.redactor.as_mut();
                    write_redacted(r, &mut self.buf2, raw, continuation(raw), out)?;
                } else {
                    out.write_all(&raw[..ev.head.type_start as usize])?;
                    out.write_all(b"ENTERING_MANAGED_PKG|")?;
                    out.write_all(tracker.namespaces().name(ns))?;
                    out.write_all(terminator(raw))?;
                }
            }
            Decision::Drop(_) => return Ok(false),
        }
        Ok(true)
    }

    /// Rewrite the hidden stack frames a kept record quotes into `self.buf`; false (and
    /// `self.buf` unused) when the record holds none and stands as it is.
    fn rewrite_frames(&mut self, item: &Item<'_>, tracker: &Tracker) -> bool {
        let raw = item.record.raw;
        let etype = item.event.as_ref().map(|e| e.etype());
        if self.policy.is_full()
            || tracker.namespaces().len() <= 1
            || !etype.is_none_or(may_carry_frames)
            || item.record.kind == RecordKind::Header
            || !frames::may_contain_frame(raw)
        {
            return false;
        }
        self.buf.clear();
        let policy = &self.policy;
        let ns = tracker.namespaces();
        let hides = |name: &[u8]| ns.find_known(name).is_some() && policy.hides_name(name);
        let collect = self.collect_frames;
        let list = &mut self.frames;
        let mut seen = |n: &[u8], f: &[u8]| {
            if collect {
                list.push(ReplacedFrame {
                    ns: String::from_utf8_lossy(n).into_owned(),
                    frame: String::from_utf8_lossy(f).into_owned(),
                });
            }
        };
        frames::rewrite(raw, &hides, &mut self.buf, &mut seen)
    }

    fn write_kept<W: Write + ?Sized>(
        &mut self,
        item: &Item<'_>,
        tracker: &Tracker,
        out: &mut W,
    ) -> io::Result<()> {
        let raw = item.record.raw;
        let rewritten = self.rewrite_frames(item, tracker);
        let cur: &[u8] = if rewritten { &self.buf } else { raw };
        // Continuation lines are free text whatever event they continue (which event that
        // is can change when the view removes the one before: searching them always keeps
        // redaction idempotent).
        if self.redactor.is_none() {
            return out.write_all(cur);
        }
        let payload_start = match (&item.event, item.record.kind) {
            (Some(ev), _) if carries_data(ev.etype()) => Some(ev.head.type_end as usize),
            (Some(_), _) => continuation(cur),
            (None, RecordKind::Text) => Some(0),
            _ => None,
        };
        write_redacted(
            self.redactor.as_mut(),
            &mut self.buf2,
            cur,
            payload_start,
            out,
        )
    }
}
