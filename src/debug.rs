//! The debug output of a log (`dbglog debug`): one entry per `USER_DEBUG` (and its level
//! variants), with its log line, time, namespace, `Class.method`, source line, level and
//! message (continuation lines kept). What an entry shows is what the view shows of the
//! record (`--as`, `--redact`): a debug line the view drops is no entry.

use crate::event::{Event, EventType, Level};
use crate::grep::Matcher;
use crate::stream::Item;
use crate::track::Tracker;
use crate::view::policy::Decision;
use crate::view::{ViewOptions, ViewWriter};
use std::io::{self, Write};

/// Which entries to print.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only entries at this level or coarser (`--level-min WARN`: ERROR and WARN).
    pub level_min: Option<Level>,
    /// Only entries of this namespace (`(default)` for your own code).
    pub ns: Option<Vec<u8>>,
    /// Only entries whose message matches.
    pub grep: Option<Matcher>,
}

/// One debug entry, borrowed from the record as the view shows it.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// Log line of the record.
    pub line: u64,
    /// `HH:MM:SS.f`.
    pub time: &'a [u8],
    /// Namespace of the code that wrote it.
    pub namespace: &'a [u8],
    /// `Class.method` (or the code unit) it was written in; empty at top level.
    pub method: &'a [u8],
    /// The `[N]` source line.
    pub source_line: Option<u32>,
    /// `DEBUG`, `WARN`, …
    pub level: &'a [u8],
    /// The message, continuation lines included (without the final line end).
    pub message: &'a [u8],
}

impl Entry<'_> {
    /// Write the entry as text: `LINE TIME [NS] Class.method:N LEVEL message`.
    pub fn write_text<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        write!(
            out,
            "{} {} [{}] ",
            self.line,
            crate::output::safe_text(self.time),
            crate::output::safe_text(self.namespace)
        )?;
        if !self.method.is_empty() {
            out.write_all(crate::output::safe_text(self.method).as_bytes())?;
        }
        if let Some(n) = self.source_line {
            write!(out, ":{n}")?;
        }
        write!(out, " {} ", crate::output::safe_text(self.level))?;
        for (i, l) in self.message.split(|&c| c == b'\n').enumerate() {
            if i > 0 {
                out.write_all(b"\n")?;
            }
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            out.write_all(crate::output::safe_text(l).as_bytes())?;
        }
        out.write_all(b"\n")
    }
}

/// Turns located records into debug entries.
#[derive(Debug)]
pub struct Extractor {
    writer: ViewWriter,
    filter: Filter,
    shown: Vec<u8>,
    method: Vec<u8>,
}

impl Extractor {
    /// An extractor for a view and a filter.
    pub fn new(view: &ViewOptions, filter: Filter) -> Self {
        Extractor {
            writer: ViewWriter::new(view),
            filter,
            shown: Vec::new(),
            method: Vec::new(),
        }
    }

    /// The view writer (to ask whether a namespace is hidden).
    pub fn writer_mut(&mut self) -> &mut ViewWriter {
        &mut self.writer
    }

    /// If `item` is a debug line the view shows and the filter keeps, call `f` with its entry.
    pub fn on_item(
        &mut self,
        item: &Item<'_>,
        t: &Tracker,
        f: &mut dyn FnMut(&Entry<'_>, &Tracker) -> io::Result<()>,
    ) -> io::Result<()> {
        let Some(ev) = &item.event else { return Ok(()) };
        if !ev.etype().is_user_debug() {
            return Ok(());
        }
        self.shown.clear();
        if self.writer.write_item(item, t, &mut self.shown)? != Decision::Keep {
            return Ok(());
        }
        let first = match memchr::memchr(b'\n', &self.shown) {
            Some(n) => &self.shown[..n],
            None => &self.shown[..],
        };
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        let Some(head) = crate::event::parse::head(first) else {
            return Ok(());
        };
        let shown = Event::new(head, &self.shown, ev.offset, ev.line);
        let t_shown = shown.etype();
        let (level, message) = if t_shown == EventType::UserDebug {
            (shown.field(1).unwrap_or(b""), shown.field(2).unwrap_or(b""))
        } else {
            let name = shown.type_name();
            let lvl = name.strip_prefix(b"USER_DEBUG_").unwrap_or(name);
            (lvl, shown.field(1).unwrap_or(b""))
        };
        if let Some(min) = self.filter.level_min {
            match crate::view::reduce::level(level) {
                Some(l) if l <= min => {}
                _ => return Ok(()),
            }
        }
        let ns = t.namespaces().name(item.loc.frame_ns);
        if let Some(want) = &self.filter.ns
            && want[..] != *ns
        {
            return Ok(());
        }
        if let Some(m) = &self.filter.grep
            && !m.is_match(message)
        {
            return Ok(());
        }
        self.method.clear();
        method_name(t, &mut self.method);
        let time_end = memchr::memchr(b' ', first).unwrap_or(head.type_start as usize);
        let entry = Entry {
            line: item.record.line,
            time: &first[..time_end.min(first.len())],
            namespace: ns,
            method: &self.method,
            source_line: shown.source_line(),
            level,
            message,
        };
        f(&entry, t)
    }
}

/// `Class.method` of the innermost method or constructor (namespace prefix and arguments
/// left out), else the innermost code unit's name.
fn method_name(t: &Tracker, out: &mut Vec<u8>) {
    let frames: Vec<_> = t.open_frames().collect();
    let code = frames
        .iter()
        .rev()
        .find(|(e, _, _)| matches!(e, EventType::MethodEntry | EventType::ConstructorEntry));
    if let Some(&(_, ns, name)) = code {
        let name = match memchr::memchr(b'(', name) {
            Some(p) => &name[..p],
            None => name,
        };
        let nsname = t.namespaces().name(ns);
        let name = if ns.is_default() {
            name
        } else {
            name.strip_prefix(nsname)
                .and_then(|r| r.strip_prefix(b"."))
                .unwrap_or(name)
        };
        out.extend_from_slice(name);
        return;
    }
    if let Some(&(_, _, name)) = frames
        .iter()
        .rev()
        .find(|(e, _, _)| *e == EventType::CodeUnitStarted)
    {
        out.extend_from_slice(name);
    }
}

/// The first segments of the open code frames' names that could still turn out to be a
/// package's namespace (`Outer.Inner.m` in code read as your own): an entry written inside
/// such a frame is not settled until the namespace could no longer be learned.
pub fn unsettled_prefixes(t: &Tracker) -> Vec<Vec<u8>> {
    t.open_frames()
        .filter(|(e, ns, _)| {
            ns.is_default() && matches!(e, EventType::MethodEntry | EventType::ConstructorEntry)
        })
        .filter_map(|(_, _, name)| crate::namespace::signature_prefix(name).map(<[u8]>::to_vec))
        .filter(|p| t.namespaces().find_known(p).is_none())
        .collect()
}
