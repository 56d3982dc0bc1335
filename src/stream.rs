//! The one-pass driver: input → framing → parsing → tracking, handing each located item to
//! a consumer. Regular files are framed in one go from the map; streams are read in
//! [`CHUNK`]-sized pieces, so memory stays bounded by the largest
//! single record, not by the input.
//!
//! With [`Threads::Auto`] (what [`run`] uses) a large mapped file is framed and parsed on a
//! second thread while the calling thread tracks and consumes: the two halves cost about
//! the same, so two cores nearly halve the wall time. Records still reach the tracker and
//! the consumer one at a time, in input order, on the calling thread.

use crate::event::parse::Head;
use crate::event::{Event, EventType};
use crate::framing::{Framer, Record, RecordKind};
use crate::input::{Data, Input, InputError, CHUNK};
use crate::track::{Located, Tracker};
use std::fmt;
use std::io::{self, Read};
use std::sync::mpsc;

/// How many threads a run may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Threads {
    /// Two for mapped inputs of at least [`PIPELINE_MIN`] bytes on a machine with two or
    /// more cores; one otherwise.
    #[default]
    Auto,
    /// Everything on the calling thread.
    One,
    /// Framing on a second thread whatever the input's size (streams still use one).
    Two,
}

/// Mapped inputs below this size are framed on the calling thread (a thread is not worth it).
pub const PIPELINE_MIN: usize = 4 << 20;

/// Records per batch handed from the framing thread to the tracking thread.
const BATCH: usize = 2048;

/// One record with its parsed event (if it is one) and its place in the frame stack.
#[derive(Clone, Copy, Debug)]
pub struct Item<'a> {
    /// The record (its raw bytes are the exact input bytes).
    pub record: Record<'a>,
    /// The parsed event, for event records.
    pub event: Option<Event<'a>>,
    /// Where it sits: namespaces and depth.
    pub loc: Located,
    /// Index of the log within the input (0-based; a second header starts log 1).
    pub log: u32,
}

/// What a run saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Bytes framed (after UTF-16 transcoding, if any).
    pub bytes: u64,
    /// Records.
    pub records: u64,
    /// Event records.
    pub events: u64,
    /// Number of logs (headers; at least 1 if there were events without a header).
    pub logs: u64,
    /// Line number of the last line.
    pub last_line: u64,
}

/// An error of a run: reading the input, or the consumer's own (usually output) error.
#[derive(Debug)]
pub enum RunError {
    /// Reading the input failed.
    Input(InputError),
    /// The consumer failed (for example writing output). A broken pipe shows up here.
    Consumer(io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Input(e) => e.fmt(f),
            RunError::Consumer(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RunError {}

struct State<'t, F> {
    tracker: &'t mut Tracker,
    f: F,
    log: u32,
    headers: u64,
    summary: Summary,
}

impl<'t, F> State<'t, F>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    fn new(tracker: &'t mut Tracker, f: F) -> Self {
        State {
            tracker,
            f,
            log: 0,
            headers: 0,
            summary: Summary::default(),
        }
    }

    #[inline]
    fn record(&mut self, record: Record<'_>) -> io::Result<()> {
        self.summary.records += 1;
        self.summary.last_line = record.line;
        let mut event = None;
        let loc = match record.kind {
            RecordKind::Event => {
                let head = record.head.expect("event records carry a head");
                let ev = Event::new(head, record.raw, record.offset, record.line);
                self.summary.events += 1;
                if self.headers == 0 && self.summary.logs == 0 {
                    self.summary.logs = 1;
                }
                event = Some(ev);
                self.tracker.on_event(&ev)
            }
            RecordKind::Header => {
                self.headers += 1;
                if self.headers > 1 {
                    self.log += 1;
                }
                self.summary.logs = self.headers;
                self.tracker.begin_log(record.line);
                Located::default()
            }
            RecordKind::Skipped => {
                self.tracker
                    .on_marker(false, record.skipped_bytes(), record.line);
                Located::default()
            }
            RecordKind::MaxSize => {
                self.tracker.on_marker(true, None, record.line);
                Located::default()
            }
            RecordKind::Bom | RecordKind::Text => Located::default(),
        };
        let item = Item {
            record,
            event,
            loc,
            log: self.log,
        };
        (self.f)(&item, self.tracker)
    }
}

/// Run `input` through framing, parsing and `tracker`, calling `f` for every record in
/// input order. The tracker is not finished: call [`Tracker::finish`] afterwards to close
/// frames still open (and read them from [`Tracker::closed`]).
pub fn run<F>(input: &mut Input, tracker: &mut Tracker, f: F) -> Result<Summary, RunError>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    run_with(input, tracker, Threads::Auto, f)
}

/// [`run`] with a choice of threads (see [`Threads`]).
pub fn run_with<F>(
    input: &mut Input,
    tracker: &mut Tracker,
    threads: Threads,
    f: F,
) -> Result<Summary, RunError>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    let name = input.name.clone();
    let r = match &mut input.data {
        Data::Mapped(m) => return run_bytes(&m[..], tracker, threads, f),
        Data::Owned(v) => return run_bytes(&v[..], tracker, threads, f),
        Data::Stream(r) => r,
    };
    let mut st = State::new(tracker, f);
    let mut framer = Framer::new();
    // `buf[..filled]` holds unconsumed input. The buffer is zeroed once and only
    // grows when one record outgrows it, so small pipe reads cost no memset.
    let mut buf: Vec<u8> = vec![0; CHUNK * 2];
    let mut filled = 0usize;
    loop {
        if buf.len() - filled < CHUNK / 2 {
            let grow = buf.len();
            buf.resize(buf.len() + grow, 0);
        }
        let n = read_some(r.as_mut(), &mut buf[filled..])
            .map_err(|e| RunError::Input(InputError::new(&name, "read failed", Some(e))))?;
        filled += n;
        let eof = n == 0;
        let used = framer
            .feed(&buf[..filled], eof, &mut |r| st.record(r))
            .map_err(RunError::Consumer)?;
        buf.copy_within(used..filled, 0);
        filled -= used;
        if eof {
            break;
        }
        if buf.len() > CHUNK * 8 && filled < CHUNK {
            buf.truncate(CHUNK * 2);
            buf.shrink_to_fit();
        }
    }
    Ok(st.summary)
}

/// [`run_with`] over bytes held in memory (a mapped file, a decoded buffer). The items
/// borrow from `buf`, so a consumer that holds `buf` too can tell where each record sits
/// in it (the view uses that to write runs of kept records in one call).
pub fn run_bytes<F>(
    buf: &[u8],
    tracker: &mut Tracker,
    threads: Threads,
    f: F,
) -> Result<Summary, RunError>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    let mut st = State::new(tracker, f);
    let two = match threads {
        Threads::One => false,
        Threads::Two => true,
        Threads::Auto => {
            buf.len() >= PIPELINE_MIN
                && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
        }
    };
    if two {
        pipelined(buf, &mut st).map_err(RunError::Consumer)?;
    } else {
        Framer::new()
            .feed(buf, true, &mut |r| st.record(r))
            .map_err(RunError::Consumer)?;
    }
    let mut s = st.summary;
    s.bytes = buf.len() as u64;
    Ok(s)
}

/// A record as the framing thread hands it over, packed into 40 bytes (the batches cross
/// between cores, so their size is the cost): records tile the buffer, so a record starts
/// where the one before it ended and only its length travels; its line travels as the
/// distance from the previous record's line.
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

/// Frame `buf` on a scoped second thread, in batches, and feed the records to `st` here.
/// Used batches go back to the framer for reuse, so the run allocates a handful of them.
/// If the consumer fails, dropping the receiver stops the framer at its next batch.
fn pipelined<F>(buf: &[u8], st: &mut State<'_, F>) -> io::Result<()>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Vec<Span>>(4);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<Span>>();
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut last_line = 1u64;
            let mut emit = |r: Record<'_>| -> Result<(), ()> {
                let h = r.head.unwrap_or(Head {
                    wall_ms: 0,
                    nanos: None,
                    etype: EventType::Unknown,
                    type_start: 0,
                    type_end: 0,
                });
                batch.push(Span {
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
                });
                last_line = r.line;
                if batch.len() == BATCH {
                    let fresh = empty_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                    full_tx
                        .send(std::mem::replace(&mut batch, fresh))
                        .map_err(|_| ())?;
                }
                Ok(())
            };
            if Framer::new().feed(buf, true, &mut emit).is_ok() && !batch.is_empty() {
                let _ = full_tx.send(batch);
            }
        });
        let mut start = 0usize;
        let mut line = 1u64;
        for mut batch in full_rx {
            for sp in batch.drain(..) {
                let end = start + sp.len as usize;
                line += sp.line_delta as u64;
                let head = sp.has_head.then_some(Head {
                    wall_ms: sp.wall_ms,
                    nanos: sp.has_nanos.then_some(sp.nanos),
                    etype: sp.etype,
                    type_start: sp.type_start,
                    type_end: sp.type_end,
                });
                st.record(Record {
                    kind: sp.kind,
                    raw: &buf[start..end],
                    offset: start as u64,
                    line,
                    head,
                })?;
                start = end;
            }
            let _ = empty_tx.send(batch);
        }
        Ok(())
    })
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
