//! The one-pass driver: input → framing → parsing → tracking, handing each located item to
//! a consumer. Regular files are framed in one go from the map; streams are read in
//! [`CHUNK`]-sized pieces, so memory stays bounded by the largest
//! single record, not by the input.

use crate::event::Event;
use crate::framing::{Framer, Record, RecordKind};
use crate::input::{Data, Input, InputError, CHUNK};
use crate::track::{Located, Tracker};
use std::fmt;
use std::io::{self, Read};

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

impl<F> State<'_, F>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
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
    let mut st = State {
        tracker,
        f,
        log: 0,
        headers: 0,
        summary: Summary::default(),
    };
    let mut framer = Framer::new();
    let name = input.name.clone();
    let mut emit = |r: Record<'_>| st.record(r);
    match &mut input.data {
        Data::Mapped(m) => {
            framer
                .feed(&m[..], true, &mut emit)
                .map_err(RunError::Consumer)?;
        }
        Data::Owned(v) => {
            framer
                .feed(&v[..], true, &mut emit)
                .map_err(RunError::Consumer)?;
        }
        Data::Stream(r) => {
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
                    .feed(&buf[..filled], eof, &mut emit)
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
        }
    }
    let bytes = match &input.data {
        Data::Mapped(m) => m.len() as u64,
        Data::Owned(v) => v.len() as u64,
        Data::Stream(_) => 0,
    };
    let mut s = st.summary;
    if bytes > 0 {
        s.bytes = bytes;
    }
    Ok(s)
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
