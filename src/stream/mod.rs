//! The one-pass driver: input → namespace stage → framing → parsing → tracking, handing
//! each located item to a consumer. Regular files are prepared ([`crate::prepare`]) and
//! framed in one go from the map; streams are read in [`CHUNK`]-sized pieces and each log
//! is held whole (up to [`LOG_HOLD`]) while it is prepared, so memory stays bounded by the
//! largest log, not by the input.
//!
//! A consumer implements [`Sink`] ([`sink`] gives the protocol): it answers each callback
//! with whether to go on, and hears of closed frames, log ends and the end of the run.
//!
//! With [`Threads::Auto`] (what [`run`] uses) a large mapped file is cut into parts that two
//! threads frame and parse at once, while the calling thread also tracks and consumes the
//! records in order: framing is most of the cost, so two cores nearly halve the wall time.
//! Records still reach the tracker and the consumer one at a time, in input order, on the
//! calling thread.

mod hold;
mod live;
mod parts;
pub mod sink;

pub use hold::LOG_HOLD;
pub use live::{Ended, Feed, LiveReader, run_live, spawn_reader};
pub use sink::{Each, Flow, LogEnd, Sink};
pub(crate) use sink::{Halt, go};

use crate::event::Event;
use crate::framing::{Framer, Record, RecordKind};
use crate::input::{CHUNK, Data, Input, InputError};
use crate::track::{Located, Tracker};
use hold::Hold;
use std::fmt;
use std::io::{self, Read};

/// How many threads a run may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Threads {
    /// Two for mapped inputs of at least [`PIPELINE_MIN`] bytes on a machine with two or
    /// more cores (both frame parts of the input; the calling thread also tracks and
    /// consumes); one otherwise.
    #[default]
    Auto,
    /// Everything on the calling thread.
    One,
    /// Two whatever the input's size (streams still use one).
    Two,
}

/// Mapped inputs below this size are framed on the calling thread (a thread is not worth it).
pub const PIPELINE_MIN: usize = 4 << 20;

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

/// Why an input in which a run found no log (no header and no event) is no Apex debug log,
/// or `None` when it held one. Every command that reads one log reports this, exit 2.
pub fn not_a_log(summary: &Summary) -> Option<&'static str> {
    match (summary.logs, summary.bytes) {
        (1.., _) => None,
        (0, 0) => Some("empty input: no Apex debug log"),
        (0, _) => Some("holds no Apex debug log (no header line and no event)"),
    }
}

/// [`not_a_log`] as an error naming the input.
pub fn require_log(name: &str, summary: &Summary) -> Result<(), RunError> {
    match not_a_log(summary) {
        None => Ok(()),
        Some(what) => Err(RunError::Input(InputError::new(name, what, None))),
    }
}

/// The driver's state in one run: the tracker, the consumer, and what the run saw.
pub(crate) struct State<'t, S> {
    pub(crate) tracker: &'t mut Tracker,
    sink: S,
    log: u32,
    pub(crate) headers: u64,
    pub(crate) summary: Summary,
}

impl<'t, S: Sink> State<'t, S> {
    pub(crate) fn new(tracker: &'t mut Tracker, sink: S) -> Self {
        State {
            tracker,
            sink,
            log: 0,
            headers: 0,
            summary: Summary::default(),
        }
    }

    /// Track one record and hand it over (with the callbacks its kind calls for).
    #[inline]
    pub(crate) fn record(&mut self, record: Record<'_>) -> Result<(), Halt> {
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
                self.header(record.line)?;
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
        go(self.sink.item(&item, self.tracker))?;
        if self.tracker.has_closed() {
            go(self.sink.closed(self.tracker, Some(&item)))?;
        }
        Ok(())
    }

    /// Tell the consumer of a pause in a live stream.
    pub(crate) fn sink_idle(&mut self) -> io::Result<Flow> {
        self.sink.idle(self.tracker)
    }

    /// A header: the log before it (if any) ends, and a new one begins.
    fn header(&mut self, line: u64) -> Result<(), Halt> {
        self.headers += 1;
        if self.headers > 1 {
            go(self.sink.log_end(self.log, LogEnd::NextLog, self.tracker))?;
            self.log += 1;
        }
        self.summary.logs = self.headers;
        self.tracker.begin_log(line);
        go(self.sink.log_begin(self.log, self.tracker))
    }

    /// Frame `buf[at..]` to its end, afresh from `at` (a seam), as lines after the
    /// `lines_before` lines that come before it.
    pub(crate) fn frame_from(
        &mut self,
        buf: &[u8],
        at: usize,
        lines_before: u64,
    ) -> Result<(), Halt> {
        Framer::at(at as u64)
            .feed(&buf[at..], true, &mut |mut r: Record<'_>| {
                r.line += lines_before;
                self.record(r)
            })
            .map(|_| ())
    }

    /// End the run after `fed` (how feeding the records ended) over `bytes` bytes: the
    /// last log ends, the tracker is finished, the frames it closes are handed over, and
    /// the consumer hears of the end. A consumer's failure is the run's error.
    pub(crate) fn finish(mut self, fed: Result<(), Halt>, bytes: u64) -> Result<Summary, RunError> {
        if let Err(Halt::Failed(e)) = fed {
            return Err(RunError::Consumer(e));
        }
        self.summary.bytes = bytes;
        // After the end, Stop and Continue mean the same: nothing is left to hand over.
        if self.summary.records > 0 {
            self.sink
                .log_end(self.log, LogEnd::Input, self.tracker)
                .map_err(RunError::Consumer)?;
        }
        self.tracker.finish(self.summary.last_line);
        if self.tracker.has_closed() {
            self.sink
                .closed(self.tracker, None)
                .map_err(RunError::Consumer)?;
        }
        self.sink
            .end(self.tracker, &self.summary)
            .map_err(RunError::Consumer)?;
        Ok(self.summary)
    }
}

/// Run `input` through framing, parsing and `tracker`, handing every record to `sink` in
/// input order (see [`Sink`] for the callbacks). At the end the driver finishes the
/// tracker: the frames still open are closed and handed over through [`Sink::closed`].
pub fn drive<S: Sink>(
    input: &mut Input,
    tracker: &mut Tracker,
    threads: Threads,
    sink: S,
) -> Result<Summary, RunError> {
    let name = input.name.clone();
    let r = match &mut input.data {
        Data::Mapped(m) => return drive_bytes(&m[..], tracker, threads, sink),
        Data::Owned(v) => return drive_bytes(&v[..], tracker, threads, sink),
        Data::Stream(r) => r,
    };
    let mut hold = Hold::new(tracker.wants_prepare());
    let mut st = State::new(tracker, sink);
    let mut framer = Framer::new();
    // `buf[..filled]` holds input the framer has not consumed (see [`Hold`] for what of it
    // may be framed). The buffer is zeroed once and only grows when a held log or one
    // record outgrows it, so small pipe reads cost no memset.
    let mut buf: Vec<u8> = vec![0; CHUNK * 2];
    let mut filled = 0usize;
    let mut total = 0u64;
    let fed = loop {
        if buf.len() - filled < CHUNK / 2 {
            let grow = buf.len();
            buf.resize(buf.len() + grow, 0);
        }
        let n = read_some(r.as_mut(), &mut buf[filled..])
            .map_err(|e| RunError::Input(InputError::new(&name, "read failed", Some(e))))?;
        filled += n;
        total += n as u64;
        let eof = n == 0;
        let free = hold.arrived(&buf[..filled], eof, st.tracker.namespaces_mut());
        let used = match framer.feed(&buf[..free], eof && free == filled, &mut |r| st.record(r)) {
            Ok(used) => used,
            Err(halt) => break Err(halt),
        };
        buf.copy_within(used..filled, 0);
        filled -= used;
        hold.consumed(used);
        if eof {
            break Ok(());
        }
        if buf.len() > CHUNK * 8 && filled < CHUNK {
            buf.truncate(CHUNK * 2);
            buf.shrink_to_fit();
        }
    };
    st.finish(fed, total)
}

/// [`drive`] over bytes held in memory (a mapped file, a decoded buffer). Each record's
/// [`Record::offset`] is its place in `buf`.
pub fn drive_bytes<S: Sink>(
    buf: &[u8],
    tracker: &mut Tracker,
    threads: Threads,
    sink: S,
) -> Result<Summary, RunError> {
    if tracker.wants_prepare() {
        crate::prepare::learn_namespaces(buf, tracker.namespaces_mut());
    }
    let mut st = State::new(tracker, sink);
    let two = match threads {
        Threads::One => false,
        Threads::Two => true,
        Threads::Auto => {
            buf.len() >= PIPELINE_MIN
                && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
        }
    };
    let fed = if two {
        parts::split_framed(buf, parts::PART, &mut st)
    } else {
        Framer::new()
            .feed(buf, true, &mut |r| st.record(r))
            .map(|_| ())
    };
    st.finish(fed, buf.len() as u64)
}

/// [`drive`] with [`Threads::Auto`] and a consumer that needs only the records
/// ([`each`]).
pub fn run<F>(input: &mut Input, tracker: &mut Tracker, f: F) -> Result<Summary, RunError>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    drive(input, tracker, Threads::Auto, each(f))
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
    drive(input, tracker, threads, each(f))
}

/// [`drive_bytes`] with a consumer that needs only the records ([`each`]).
pub fn run_bytes<F>(
    buf: &[u8],
    tracker: &mut Tracker,
    threads: Threads,
    f: F,
) -> Result<Summary, RunError>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    drive_bytes(buf, tracker, threads, each(f))
}

/// A [`Sink`] that calls `f` for every record and never stops the run.
pub fn each<F>(f: F) -> Each<F>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    Each(f)
}

pub(crate) fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
