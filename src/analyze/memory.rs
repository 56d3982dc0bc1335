//! Heap: where the transaction's heap peaked, and which methods allocated the most.
//!
//! The `Analyzer` already sums `HEAP_ALLOCATE`, `BULK_HEAP_ALLOCATE` and `HEAP_DEALLOCATE`
//! bytes per frame ([`super::Heap`]). This analysis adds the place of the peak: each time
//! the running net over the log rises to a new high, it keeps the event's log line,
//! namespace and innermost method (the name copied into one reused buffer, so a rising
//! heap costs no allocation per event). When the limits blocks report a higher figure
//! (`Maximum heap size`), the peak is theirs, at the block's line, with no method.
//! The per-method table is the `methods` rows ranked by the bytes their own events
//! allocated (`heap.self_gross`).

use super::findings::is_method_frame;
use super::text::{clip, write_wrapped};
use super::{MethodRow, NsLimits, Report};
use crate::namespace::NsId;
use crate::output::Style;
use crate::track::Tracker;
use serde::Serialize;
use std::io::{self, Write};

/// Where the heap peaked (`heap.peak_at` in the JSON).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HeapPeakAt {
    /// The peak, in bytes: `heap.used_bytes`.
    pub bytes: u64,
    /// `allocations` (the running net of the heap events) or `limits` (a limits block).
    pub source: String,
    /// The log line of the allocation that reached it, or of the limits block's row.
    pub log_line: u64,
    /// The namespace of the code that allocated, or of the limits block.
    pub namespace: String,
    /// The innermost method or code unit open at the allocation; null for a limits block,
    /// outside any method, or when the view hides it.
    pub method: Option<String>,
}

/// Heap allocated by one method's own events (`heap.by_method` in the JSON).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HeapMethod {
    /// The method's namespace.
    pub namespace: String,
    /// The method (`(ns)` for hidden code, as in `methods`).
    pub name: String,
    /// Calls.
    pub count: u64,
    /// Bytes allocated by its own heap events.
    pub self_bytes: u64,
    /// Bytes allocated by it and the frames inside it.
    pub total_bytes: u64,
    /// The highest running net from the start of one of its frames.
    pub peak_bytes: i64,
}

/// The running peak and its place, fed by the `Analyzer` after each heap event.
#[derive(Debug, Default)]
pub(super) struct Memory {
    peak: i64,
    line: u64,
    ns: NsId,
    method: Vec<u8>,
    has_method: bool,
}

impl Memory {
    /// After a heap event at `line` in namespace `ns`: `peak` is the log's running peak.
    #[inline]
    pub fn after_heap_event(&mut self, peak: i64, line: u64, ns: NsId, t: &Tracker) {
        if peak <= self.peak {
            return;
        }
        self.peak = peak;
        self.line = line;
        self.ns = ns;
        self.method.clear();
        self.has_method = false;
        if let Some((_, _, name)) = t
            .open_frames()
            .filter(|(e, _, _)| is_method_frame(*e))
            .last()
        {
            self.method
                .extend_from_slice(&name[..name.len().min(super::TEXT_CAP)]);
            self.has_method = true;
        }
    }

    /// The place of the peak: the allocations' unless a limits block reports more.
    pub fn peak_at(
        &self,
        limits: &[NsLimits],
        ns_name: &dyn Fn(NsId) -> String,
        hidden: &dyn Fn(NsId) -> bool,
    ) -> Option<HeapPeakAt> {
        let block = limits
            .iter()
            .flat_map(|l| {
                l.rows
                    .iter()
                    .filter(|r| r.label == "Maximum heap size")
                    .map(move |r| (r.peak, r.peak_line, &l.namespace))
            })
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let computed = self.peak.max(0) as u64;
        match block {
            Some((bytes, line, ns)) if bytes >= computed && bytes > 0 => Some(HeapPeakAt {
                bytes,
                source: "limits".into(),
                log_line: line,
                namespace: ns.clone(),
                method: None,
            }),
            _ if computed > 0 => Some(HeapPeakAt {
                bytes: computed,
                source: "allocations".into(),
                log_line: self.line,
                namespace: ns_name(self.ns),
                method: (self.has_method && !hidden(self.ns))
                    .then(|| String::from_utf8_lossy(&self.method).into_owned()),
            }),
            _ => None,
        }
    }
}

/// The `top` methods by the bytes their own events allocated, those with none left out.
pub(super) fn by_method(methods: &[MethodRow], top: usize) -> Vec<HeapMethod> {
    let mut v: Vec<HeapMethod> = methods
        .iter()
        .filter(|m| m.heap.self_gross > 0)
        .map(|m| HeapMethod {
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            count: m.count,
            self_bytes: m.heap.self_gross,
            total_bytes: m.heap.total_gross,
            peak_bytes: m.heap.peak,
        })
        .collect();
    v.sort_by(|a, b| {
        b.self_bytes
            .cmp(&a.self_bytes)
            .then(b.total_bytes.cmp(&a.total_bytes))
            .then(a.name.cmp(&b.name))
    });
    v.truncate(top);
    v
}

/// The text section `Heap`: the peak and its place, then the methods that allocated most.
pub(super) fn write_text<W: Write>(
    w: &mut W,
    r: &Report,
    st: &Style,
    width: usize,
) -> io::Result<()> {
    let h = &r.heap;
    if h.peak_at.is_none() && h.by_method.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "{}", st.bold("Heap"))?;
    if let Some(p) = &h.peak_at {
        let mut at = format!(
            "{} bytes (from {}) at log line {}, ns {}",
            p.bytes, p.source, p.log_line, p.namespace
        );
        if let Some(m) = &p.method {
            at.push_str(&format!(", in {m}"));
        }
        write_wrapped(w, width, "  Peak  ", 8, &at, 3, &|s| s.to_string())?;
    }
    if h.by_method.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "  {:>7} {:>12} {:>12}  method (bytes allocated)",
        "calls", "self", "total"
    )?;
    for m in &h.by_method {
        writeln!(
            w,
            "  {:>7} {:>12} {:>12}  {}",
            m.count,
            m.self_bytes,
            m.total_bytes,
            clip(&m.name, width.saturating_sub(37))
        )?;
    }
    Ok(())
}
