//! Framing a buffer on two threads: it is cut into parts at seams, framed afresh part by
//! part, and the records are handed over in order on the calling thread.

use super::{Halt, Sink, State};
use crate::event::EventType;
use crate::event::parse::Head;
use crate::framing::{self, Framer, Record, RecordKind};
use std::sync::{Condvar, Mutex};

/// A framed record as a part keeps it, packed into 40 bytes (parts cross between cores, so
/// their size is the cost): records tile the buffer, so a record starts where the one
/// before it ended and only its length is kept; its line is kept as the distance from the
/// previous record's line.
#[derive(Clone, Copy)]
struct Span {
    len: u64,
    nanos: u64,
    line_delta: u32,
    wall_ms: u32,
    type_start: u32,
    type_end: u32,
    etype: EventType,
    kind: RecordKind,
    has_head: bool,
    has_nanos: bool,
}

/// Bytes per part when two threads frame a buffer.
pub(super) const PART: usize = 1 << 20;
/// Parts framed ahead of the consumer at most (bounds the memory of framed parts).
const AHEAD: usize = 8;

/// A part of the buffer, framed: its records as spans, the number of lines it holds, and
/// whether the next part's framer (which started afresh at its seam) reads what one that
/// came through this part would read.
struct Framed {
    spans: Vec<Span>,
    lines: u64,
    seam_holds: bool,
}

/// Parts handed between the two threads.
struct Parts {
    /// Next part to frame.
    next: usize,
    /// Parts consumed so far.
    consumed: usize,
    /// Framed parts not consumed yet, by index.
    done: Vec<Option<Framed>>,
    /// Span vectors to reuse.
    free: Vec<Vec<Span>>,
    /// Stop framing (the consumer failed or fell back to one thread).
    stop: bool,
}

/// Frame `buf` on two threads and feed the records to `st` here, in order. The buffer is
/// cut into parts of about [`PART`] bytes at seams ([`framing::seam`]); each part is framed
/// afresh by whichever thread is free (the calling thread frames too when the records it
/// needs next are not ready), at most [`AHEAD`] parts ahead of the consumer. When a part
/// is consumed, its end state confirms that the next part's fresh start reads as a
/// continuous run would; if not (quoted text whose clock runs backwards across the seam),
/// the rest is framed on this thread from that part's start. `part` is [`PART`] but in tests.
///
/// One function of about 120 lines on purpose: the part table, the framing closure, the
/// claim rule and both threads' loops share the lock and the condition variable, and apart
/// they would only pass all of them to each other.
pub(super) fn split_framed<S: Sink>(
    buf: &[u8],
    part: usize,
    st: &mut State<'_, S>,
) -> Result<(), Halt> {
    // Part i is buf[starts[i]..starts[i + 1]]; heads[i] is the seam head of part i + 1.
    let mut starts = vec![0usize];
    let mut heads = Vec::new();
    let mut from = part;
    while from < buf.len() {
        match framing::seam(buf, from) {
            Some((pos, h)) if pos > *starts.last().expect("starts") => {
                starts.push(pos);
                heads.push(h);
                from = pos + part;
            }
            _ => break,
        }
    }
    starts.push(buf.len());
    let n = starts.len() - 1;
    let frame = |i: usize, mut spans: Vec<Span>| -> Framed {
        spans.clear();
        let (a, b) = (starts[i], starts[i + 1]);
        let mut fr = Framer::at(a as u64);
        let mut last_line = 1u64;
        let mut emit = |r: Record<'_>| -> Result<(), ()> {
            spans.push(Span::of(&r, last_line));
            last_line = r.line;
            Ok(())
        };
        let used = fr.feed(&buf[a..b], false, &mut emit).unwrap_or(0);
        let seam_holds = heads.get(i).is_none_or(|h| !fr.would_quote(h));
        let _ = fr.feed(&buf[a + used..b], true, &mut emit);
        Framed {
            spans,
            lines: fr.next_line() - 1,
            seam_holds,
        }
    };
    let parts = Mutex::new(Parts {
        next: 0,
        consumed: 0,
        done: (0..n).map(|_| None).collect(),
        free: Vec::new(),
        stop: false,
    });
    let ready = Condvar::new();
    // Claim the next part to frame, waiting while the framed parts are AHEAD of the consumer.
    let claim = |p: &mut Parts| -> Option<(usize, Vec<Span>)> {
        if p.stop || p.next >= n || p.next >= p.consumed + AHEAD {
            return None;
        }
        p.next += 1;
        Some((p.next - 1, p.free.pop().unwrap_or_default()))
    };
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut p = parts.lock().expect("parts lock");
            loop {
                if p.stop || p.next >= n {
                    return;
                }
                let Some((i, spans)) = claim(&mut p) else {
                    p = ready.wait(p).expect("parts lock");
                    continue;
                };
                drop(p);
                let f = frame(i, spans);
                p = parts.lock().expect("parts lock");
                p.done[i] = Some(f);
                ready.notify_all();
            }
        });
        let result = (|| -> Result<(), Halt> {
            let mut line = 1u64;
            for (i, &part_start) in starts.iter().enumerate().take(n) {
                let framed = loop {
                    let mut p = parts.lock().expect("parts lock");
                    if let Some(f) = p.done[i].take() {
                        break f;
                    }
                    match claim(&mut p) {
                        Some((j, spans)) => {
                            drop(p);
                            let f = frame(j, spans);
                            parts.lock().expect("parts lock").done[j] = Some(f);
                        }
                        None => {
                            drop(ready.wait(p).expect("parts lock"));
                        }
                    }
                };
                if !framed.seam_holds {
                    // Frame the rest here, from this part's start (its own start held).
                    stop(&parts, &ready);
                    return st.frame_from(buf, part_start, line - 1);
                }
                let mut start = part_start;
                let mut l = line;
                for sp in &framed.spans {
                    let end = start + sp.len as usize;
                    l += sp.line_delta as u64;
                    st.record(sp.record(buf, start, end, l))?;
                    start = end;
                }
                line += framed.lines;
                let mut p = parts.lock().expect("parts lock");
                p.consumed = i + 1;
                p.free.push(framed.spans);
                ready.notify_all();
            }
            Ok(())
        })();
        stop(&parts, &ready);
        result
    })
}

fn stop(parts: &Mutex<Parts>, ready: &Condvar) {
    parts.lock().expect("parts lock").stop = true;
    ready.notify_all();
}

impl Span {
    /// Pack a record; its line travels as the distance from `last_line`.
    fn of(r: &Record<'_>, last_line: u64) -> Span {
        let h = r.head.unwrap_or(Head {
            wall_ms: 0,
            nanos: None,
            etype: EventType::Unknown,
            type_start: 0,
            type_end: 0,
        });
        Span {
            len: r.raw.len() as u64,
            nanos: h.nanos.unwrap_or(0),
            line_delta: (r.line - last_line) as u32,
            wall_ms: h.wall_ms,
            type_start: h.type_start,
            type_end: h.type_end,
            etype: h.etype,
            kind: r.kind,
            has_head: r.head.is_some(),
            has_nanos: h.nanos.is_some(),
        }
    }

    /// The record again: it is `buf[start..end]`, on `line`.
    #[inline]
    fn record<'b>(&self, buf: &'b [u8], start: usize, end: usize, line: u64) -> Record<'b> {
        Record {
            kind: self.kind,
            raw: &buf[start..end],
            offset: start as u64,
            line,
            head: self.has_head.then_some(Head {
                wall_ms: self.wall_ms,
                nanos: self.has_nanos.then_some(self.nanos),
                etype: self.etype,
                type_start: self.type_start,
                type_end: self.type_end,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Item;
    use crate::track::Tracker;

    /// Every record of `buf` as (kind, offset, line, length, type, nanos), framed on one
    /// thread, or on two in parts of `part` bytes.
    fn records(buf: &[u8], part: Option<usize>) -> Vec<String> {
        let mut out = Vec::new();
        let mut tracker = Tracker::passive();
        let mut st = State::new(
            &mut tracker,
            crate::stream::each(|i: &Item<'_>, _: &Tracker| {
                let r = &i.record;
                out.push(format!(
                    "{:?} {} {} {} {:?} {:?}",
                    r.kind,
                    r.offset,
                    r.line,
                    r.raw.len(),
                    r.head.map(|h| h.etype),
                    r.head.and_then(|h| h.nanos)
                ));
                Ok(())
            }),
        );
        match part {
            Some(p) => split_framed(buf, p, &mut st).unwrap(),
            None => {
                Framer::new()
                    .feed(buf, true, &mut |r| st.record(r))
                    .unwrap();
            }
        }
        out
    }

    /// Parts framed afresh at seams give the records one framer gives, also where quoted
    /// text runs backwards across a seam (the rest is then framed in one go), with CRLF,
    /// several logs and multi-line events; whatever the part size.
    #[test]
    fn parts_frame_as_one_framer_does() {
        let mut docs = vec![crate::generate::sample(300 << 10, 3)];
        let mut quoted = Vec::new();
        for i in 0..400u64 {
            quoted.extend_from_slice(
                format!("12:00:00.0 ({})|STATEMENT_EXECUTE|[1]\n", 1000 + i).as_bytes(),
            );
            if i % 50 == 7 {
                quoted.extend_from_slice(b"12:00:00.0 (900000)|USER_DEBUG|[2]|DEBUG|a log:\n");
                for j in 0..30 {
                    quoted.extend_from_slice(
                        format!("12:00:00.0 ({})|METHOD_ENTRY|[3]|x\r\n", 10 + j).as_bytes(),
                    );
                }
            }
            if i % 90 == 1 {
                quoted.extend_from_slice(b"61.0 APEX_CODE,FINEST\nExecute Anonymous: x\n");
            }
        }
        docs.push(quoted);
        docs.push(b"no newline at all".repeat(500));
        for doc in &docs {
            let one = records(doc, None);
            for part in [1, 64, 100, 333, 4096, 1 << 20] {
                assert_eq!(records(doc, Some(part)), one, "part {part}");
            }
        }
    }
}
