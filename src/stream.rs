//! The one-pass driver: input → namespace stage → framing → parsing → tracking, handing
//! each located item to a consumer. Regular files are prepared ([`crate::prepare`]) and
//! framed in one go from the map; streams are read in [`CHUNK`]-sized pieces and each log
//! is held whole (up to [`LOG_HOLD`]) while it is prepared, so memory stays bounded by the
//! largest log, not by the input.
//!
//! With [`Threads::Auto`] (what [`run`] uses) a large mapped file is cut into parts that two
//! threads frame and parse at once, while the calling thread also tracks and consumes the
//! records in order: framing is most of the cost, so two cores nearly halve the wall time.
//! Records still reach the tracker and the consumer one at a time, in input order, on the
//! calling thread.

use crate::event::parse::Head;
use crate::event::{Event, EventType};
use crate::framing::{self, Framer, Record, RecordKind};
use crate::input::{Data, Input, InputError, CHUNK};
use crate::track::{Located, Tracker};
use std::fmt;
use std::io::{self, Read};
use std::sync::{mpsc, Condvar, Mutex};

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

/// The most bytes of one log a stream is held for while the namespace stage
/// ([`crate::prepare`]) reads it before tracking starts. A stream is cut into logs at its
/// header lines, and each log is held whole until the next header or the end of input
/// (Salesforce caps one log at 20 MB, so a real log always fits). Past this bound the
/// driver frames what it has prepared and goes on streaming: the namespace stage still
/// reads every line before the tracker does, but a namespace named only later in such an
/// oversized log is learned only from there on.
pub const LOG_HOLD: usize = 64 << 20;

/// Where the last header line that starts at or after `from` begins in `buf` (lines
/// starting at `from` or after a newline), if any.
fn last_header_start(buf: &[u8], from: usize) -> Option<usize> {
    let mut found = None;
    let at_line_start = from == 0 || buf.get(from - 1) == Some(&b'\n');
    let starts = at_line_start
        .then_some(from)
        .into_iter()
        .chain(memchr::memchr_iter(b'\n', &buf[from..]).map(|p| from + p + 1));
    for start in starts {
        // Cheap first test: a header begins with the API version's digits and a dot.
        let b = &buf[start.min(buf.len())..];
        let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || b.get(digits) != Some(&b'.') {
            continue;
        }
        let end = memchr::memchr(b'\n', b).map_or(b.len(), |e| e + 1);
        if framing::is_header(&b[..end]) {
            found = Some(start);
        }
    }
    found
}

/// What of a stream's unconsumed bytes the framer may have: the namespace stage
/// ([`crate::prepare`]) reads each log whole before any of it is tracked, so bytes are held
/// back from the framer until the next header arrives (every log before it is then
/// prepared), the input ends or pauses, or more than [`LOG_HOLD`] bytes are held.
struct Hold {
    prepare: bool,
    /// `buf[..free]` may be framed.
    free: usize,
    /// `buf[..learned]` (whole lines) went through the namespace stage.
    learned: usize,
}

impl Hold {
    fn new(prepare: bool) -> Self {
        Hold {
            prepare,
            free: 0,
            learned: 0,
        }
    }

    /// More bytes arrived: `buf` is everything unconsumed; `all` when the input ended or
    /// paused (everything is prepared and released). Returns how much may be framed.
    fn arrived(&mut self, buf: &[u8], all: bool, ns: &mut crate::namespace::Namespaces) -> usize {
        if !self.prepare {
            self.free = buf.len();
            return self.free;
        }
        let lines_end = if all {
            buf.len()
        } else {
            memchr::memrchr(b'\n', &buf[self.learned..])
                .map_or(self.learned, |p| self.learned + p + 1)
        };
        crate::prepare::learn_namespaces(&buf[self.learned..lines_end], ns);
        // Every log before the last header that arrived is now prepared whole: it and the
        // header line itself (which ends its last record and names no namespace) may go.
        if let Some(h) = last_header_start(&buf[..lines_end], self.learned) {
            let end = memchr::memchr(b'\n', &buf[h..lines_end]).map_or(lines_end, |e| h + e + 1);
            self.free = self.free.max(end);
        }
        self.learned = lines_end;
        if all || buf.len() - self.free > LOG_HOLD {
            // At the end or a pause, or past the hold: frame what was prepared.
            self.free = self.learned;
        }
        self.free
    }

    /// The framer consumed the first `used` bytes.
    fn consumed(&mut self, used: usize) {
        self.free -= used.min(self.free);
        self.learned -= used.min(self.learned);
    }
}

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

    /// Frame `buf[at..]` to its end, afresh from `at` (a seam), as lines after the
    /// `lines_before` lines that come before it.
    fn frame_from(&mut self, buf: &[u8], at: usize, lines_before: u64) -> io::Result<()> {
        Framer::at(at as u64)
            .feed(&buf[at..], true, &mut |mut r: Record<'_>| {
                r.line += lines_before;
                self.record(r)
            })
            .map(|_| ())
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
    let mut hold = Hold::new(tracker.wants_prepare());
    let mut st = State::new(tracker, f);
    let mut framer = Framer::new();
    // `buf[..filled]` holds input the framer has not consumed (see [`Hold`] for what of it
    // may be framed). The buffer is zeroed once and only grows when a held log or one
    // record outgrows it, so small pipe reads cost no memset.
    let mut buf: Vec<u8> = vec![0; CHUNK * 2];
    let mut filled = 0usize;
    let mut total = 0u64;
    loop {
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
        let used = framer
            .feed(&buf[..free], eof && free == filled, &mut |r| st.record(r))
            .map_err(RunError::Consumer)?;
        buf.copy_within(used..filled, 0);
        filled -= used;
        hold.consumed(used);
        if eof {
            break;
        }
        if buf.len() > CHUNK * 8 && filled < CHUNK {
            buf.truncate(CHUNK * 2);
            buf.shrink_to_fit();
        }
    }
    st.summary.bytes = total;
    Ok(st.summary)
}

/// A consumer of a live stream ([`run_live`]): records as they become complete, and word
/// of a pause in the input.
pub trait Live {
    /// One record, as the callback of [`run`] gets it.
    fn item(&mut self, item: &Item<'_>, tracker: &Tracker) -> io::Result<()>;

    /// No input came for the idle time: every complete line read so far has been handed
    /// over (the record that was still open included). Called once per pause.
    fn idle(&mut self, tracker: &Tracker) -> io::Result<()>;
}

/// What the reader of a live stream sends [`run_live`].
#[derive(Debug)]
pub enum Feed {
    /// The next bytes of the input.
    Data(Vec<u8>),
    /// The input ended.
    End,
    /// Reading failed.
    Error(io::Error),
    /// Stop now (a signal): what was read is handed over as at the end of the input.
    Stop,
}

/// How a live run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The input ended.
    Input,
    /// A [`Feed::Stop`] came.
    Stopped,
}

/// A stream read on a thread of its own (see [`spawn_reader`]).
pub struct LiveReader {
    rx: mpsc::Receiver<Feed>,
    stop: mpsc::SyncSender<Feed>,
    /// Pieces go back to the reader to be filled again (no allocation per piece).
    back: mpsc::Sender<Vec<u8>>,
}

impl LiveReader {
    /// A sender for [`Feed::Stop`] (for example from a signal watcher).
    pub fn stopper(&self) -> mpsc::SyncSender<Feed> {
        self.stop.clone()
    }
}

/// Read `reader` on a thread of its own, in [`CHUNK`]-sized pieces, into a channel for
/// [`run_live`]. The channel holds at most a few pieces, so memory stays bounded when the
/// consumer is slower than the input. The thread ends at the end of the input, on an
/// error, or at its next read once the [`LiveReader`] is gone.
pub fn spawn_reader(mut reader: Box<dyn Read + Send>) -> LiveReader {
    let (tx, rx) = mpsc::sync_channel(4);
    let (back, spare) = mpsc::channel::<Vec<u8>>();
    let feed = tx.clone();
    std::thread::spawn(move || loop {
        let mut piece = spare.try_recv().unwrap_or_default();
        piece.resize(CHUNK, 0);
        let msg = match read_some(reader.as_mut(), &mut piece) {
            Ok(0) => Feed::End,
            Ok(n) => {
                piece.truncate(n);
                Feed::Data(piece)
            }
            Err(e) => Feed::Error(e),
        };
        let last = !matches!(msg, Feed::Data(_));
        if feed.send(msg).is_err() || last {
            return;
        }
    });
    LiveReader { rx, stop: tx, back }
}

/// Frame, parse and track a live stream that arrives through `reader` (see [`spawn_reader`]),
/// handing each record to `live` as soon as it is complete. When `idle` is given and no
/// input came for that long, the complete lines read so far are framed as if the input
/// had paused there (the open record is handed over, see [`Framer::feed_stalled`]) and
/// [`Live::idle`] is called. `name` names the input in errors. The tracker is not finished.
pub fn run_live<L: Live>(
    name: &str,
    reader: &LiveReader,
    tracker: &mut Tracker,
    idle: Option<std::time::Duration>,
    live: &mut L,
) -> Result<(Summary, Ended), RunError> {
    let live = std::cell::RefCell::new(live);
    let mut st = State::new(tracker, |i: &Item<'_>, t: &Tracker| {
        live.borrow_mut().item(i, t)
    });
    let mut framer = Framer::new();
    let mut hold = Hold::new(st.tracker.wants_prepare());
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut total = 0u64;
    // True once the current pause was reported: wait for input (or a stop) without a timeout.
    let mut paused = false;
    let ended = loop {
        let msg = match idle {
            Some(d) if !paused => match reader.rx.recv_timeout(d) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    paused = true;
                    if let Some(nl) = memchr::memrchr(b'\n', &buf) {
                        // A pause releases the held log: its complete lines are prepared.
                        hold.arrived(&buf[..=nl], true, st.tracker.namespaces_mut());
                        framer
                            .feed_stalled(&buf[..=nl], &mut |r| st.record(r))
                            .map_err(RunError::Consumer)?;
                        buf.drain(..=nl);
                        hold.consumed(nl + 1);
                    }
                    live.borrow_mut()
                        .idle(st.tracker)
                        .map_err(RunError::Consumer)?;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => Feed::End,
            },
            _ => reader.rx.recv().unwrap_or(Feed::End),
        };
        match msg {
            Feed::Data(piece) => {
                paused = false;
                total += piece.len() as u64;
                buf.extend_from_slice(&piece);
                // Back as it is: refilled, only the part past its length is zeroed again.
                let _ = reader.back.send(piece);
                let free = hold.arrived(&buf, false, st.tracker.namespaces_mut());
                let used = framer
                    .feed(&buf[..free], false, &mut |r| st.record(r))
                    .map_err(RunError::Consumer)?;
                buf.drain(..used);
                hold.consumed(used);
                if buf.capacity() > CHUNK * 8 && buf.len() < CHUNK {
                    buf.shrink_to(CHUNK * 2);
                }
            }
            Feed::End => break Ended::Input,
            Feed::Stop => break Ended::Stopped,
            Feed::Error(e) => {
                // What was read before the error is handed over first.
                hold.arrived(&buf, true, st.tracker.namespaces_mut());
                framer
                    .feed(&buf, true, &mut |r| st.record(r))
                    .map_err(RunError::Consumer)?;
                return Err(RunError::Input(InputError::new(
                    name,
                    "read failed",
                    Some(e),
                )));
            }
        }
    };
    hold.arrived(&buf, true, st.tracker.namespaces_mut());
    framer
        .feed(&buf, true, &mut |r| st.record(r))
        .map_err(RunError::Consumer)?;
    st.summary.bytes = total;
    Ok((st.summary, ended))
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
    if tracker.wants_prepare() {
        crate::prepare::learn_namespaces(buf, tracker.namespaces_mut());
    }
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
        split_framed(buf, PART, &mut st).map_err(RunError::Consumer)?;
    } else {
        Framer::new()
            .feed(buf, true, &mut |r| st.record(r))
            .map_err(RunError::Consumer)?;
    }
    let mut s = st.summary;
    s.bytes = buf.len() as u64;
    Ok(s)
}

/// Where [`run_halves`] may cut `buf`: the first line in `from..to` that starts an
/// execution (`EXECUTION_STARTED`) and is a framing seam ([`framing::seam`]). Returns its
/// offset and head.
pub fn execution_seam(buf: &[u8], from: usize, to: usize) -> Option<(usize, Head)> {
    let limit = to.min(buf.len());
    let finder = memchr::memmem::Finder::new(b"|EXECUTION_STARTED");
    let mut at = from;
    while at < limit {
        let i = at + finder.find(&buf[at..limit])?;
        let line_start = memchr::memrchr(b'\n', &buf[..i]).map_or(0, |p| p + 1);
        if line_start < from {
            at = i + 1;
            continue;
        }
        if let Some((pos, h)) = framing::seam(buf, line_start) {
            if pos == line_start && h.etype == EventType::ExecutionStarted {
                return Some((pos, h));
            }
        }
        at = i + 1;
    }
    None
}

/// What [`run_halves`] did.
#[derive(Debug)]
pub struct Halves {
    /// The second half's records are the ones a single run would have given from the seam
    /// on (lines counted from 1 at the seam: add `lines_before`). When false, the first
    /// half's consumer went on to the end and the second half's output must be dropped.
    pub held: bool,
    /// Lines before the seam.
    pub lines_before: u64,
    /// How the second half's consumer ended when the cut held: the error it stopped with,
    /// if any (a consumer may stop on purpose, as the scan does after its last hit).
    /// `Ok(())` when the cut did not hold.
    pub second: io::Result<()>,
}

/// Run `buf` as two halves at once, cut at `at`, a line from [`execution_seam`] whose head
/// is `seam`. `fa` gets the records before it, located by `ta`; `fb` those from it on,
/// located by `tb` (from `ta.fresh_for_rest()`), with lines counted from 1 at the seam and
/// offsets as in `buf`. The cut holds when a single run would read the same from the seam
/// on: its framer starts a record there ([`Framer::would_quote`] says no), and its tracker
/// would locate every event there as `tb` did ([`Tracker::resumed_by`]: an execution start
/// closes every frame, so only the namespaces learned before it could differ). If the cut
/// does not hold, `fa` gets the rest of `buf` as a single run would give it, and the
/// caller drops what `fb` made. `Item::log` counts from 0 in each half: compare it only
/// within one half.
pub fn run_halves<FA, FB>(
    buf: &[u8],
    at: usize,
    seam: Head,
    ta: &mut Tracker,
    fa: FA,
    tb: &mut Tracker,
    fb: FB,
) -> Result<Halves, RunError>
where
    FA: FnMut(&Item<'_>, &Tracker) -> io::Result<()> + Send,
    FB: FnMut(&Item<'_>, &Tracker) -> io::Result<()> + Send,
{
    // Both halves know every namespace the whole buffer names (the namespace stage, run
    // once).
    if ta.wants_prepare() || tb.wants_prepare() {
        let mut names = crate::namespace::Namespaces::default();
        crate::prepare::learn_namespaces(buf, &mut names);
        for t in [&mut *ta, &mut *tb] {
            if t.wants_prepare() {
                for (_, n) in names.iter().skip(1) {
                    t.namespaces_mut().learn(n);
                }
            }
        }
    }
    let mut sa = State::new(ta, fa);
    let mut sb = State::new(tb, fb);
    // As if the first half held a header (logs do): a header in the second half then
    // starts a new log, as it would in a single run (checked below).
    sb.headers = 1;
    let (a, b) = rayon::join(
        || -> io::Result<(Framer, usize, bool)> {
            let mut fr = Framer::new();
            let used = fr.feed(&buf[..at], false, &mut |r| sa.record(r))?;
            if fr.would_quote(&seam) {
                return Ok((fr, used, false));
            }
            fr.feed(&buf[used..at], true, &mut |r| sa.record(r))?;
            Ok((fr, at, true))
        },
        || sb.frame_from(buf, at, 0),
    );
    let (mut fr, used, cut) = a.map_err(RunError::Consumer)?;
    let lines_before = fr.next_line() - 1;
    let logs_agree = sa.headers >= 1 || sb.headers == 1;
    if cut && logs_agree && sa.tracker.resumed_by(sb.tracker, seam.nanos) {
        return Ok(Halves {
            held: true,
            lines_before,
            second: b,
        });
    }
    if cut {
        // The framer held but the tracker did not: go on from the seam, where a framer
        // starts afresh.
        sa.frame_from(buf, at, lines_before)
            .map_err(RunError::Consumer)?;
    } else {
        fr.feed(&buf[used..], true, &mut |r| sa.record(r))
            .map_err(RunError::Consumer)?;
    }
    Ok(Halves {
        held: false,
        lines_before,
        second: Ok(()),
    })
}

/// The promise of [`run_halves`], checked on `buf` at its first `max_cuts` execution
/// starts from byte `from` on: whether each cut holds or not, every record gets the place a single run gives
/// it (line, offset, type, namespace, caller, depth). Returns how many cuts held, or the
/// first difference. For the tests and the `halves` fuzz target.
pub fn check_halves(buf: &[u8], from: usize, max_cuts: usize) -> Result<usize, String> {
    /// A record's line and the rest of its place.
    fn place(i: &Item<'_>, t: &Tracker) -> (u64, String) {
        let ns = t.namespaces();
        let rest = format!(
            "at {} {:?} in {} from {:?} depth {}",
            i.record.offset,
            i.record.head.map(|h| h.etype),
            ns.name_str(i.loc.frame_ns),
            i.loc.caller_ns.map(|c| ns.name_str(c).into_owned()),
            i.loc.depth
        );
        (i.record.line, rest)
    }
    let mut one = Vec::new();
    run_bytes(
        buf,
        &mut Tracker::new().without_closed(),
        Threads::One,
        |i, t| {
            one.push(place(i, t));
            Ok(())
        },
    )
    .map_err(|e| e.to_string())?;
    let mut held = 0;
    let mut from = from;
    for _ in 0..max_cuts {
        let Some((at, seam)) = execution_seam(buf, from, buf.len()) else {
            break;
        };
        from = at + 1;
        let mut ta = Tracker::new().without_closed();
        let mut tb = ta.fresh_for_rest();
        let (mut two, mut second) = (Vec::new(), Vec::new());
        let h = run_halves(
            buf,
            at,
            seam,
            &mut ta,
            |i, t| {
                two.push(place(i, t));
                Ok(())
            },
            &mut tb,
            |i, t| {
                second.push(place(i, t));
                Ok(())
            },
        )
        .map_err(|e| e.to_string())?;
        h.second.map_err(|e| e.to_string())?;
        if h.held {
            held += 1;
            two.extend(second.into_iter().map(|(l, p)| (l + h.lines_before, p)));
        }
        if two != one {
            let k = two.iter().zip(&one).take_while(|(a, b)| a == b).count();
            return Err(format!(
                "cut at byte {at} (held: {}): record {k} is {:?} in two halves, {:?} in one run",
                h.held,
                two.get(k),
                one.get(k)
            ));
        }
    }
    Ok(held)
}

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
const PART: usize = 1 << 20;
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
fn split_framed<F>(buf: &[u8], part: usize, st: &mut State<'_, F>) -> io::Result<()>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
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
        let result = (|| -> io::Result<()> {
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

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `buf` as (kind, offset, line, length, type, nanos), framed on one
    /// thread, or on two in parts of `part` bytes.
    fn records(buf: &[u8], part: Option<usize>) -> Vec<String> {
        let mut out = Vec::new();
        let mut tracker = Tracker::passive();
        let mut st = State::new(&mut tracker, |i: &Item<'_>, _: &Tracker| {
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
        });
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

    /// Two halves give every record the place one run gives it, at every execution start
    /// of a generated log with packages.
    #[test]
    fn halves_locate_as_one_run_does() {
        let doc = crate::gen::sample(600 << 10, 5);
        assert!(check_halves(&doc, 0, usize::MAX).unwrap() >= 3);
    }

    /// Where the second half alone would read a log otherwise, the cut does not hold and
    /// the first half's run goes on to the end: quoted text whose clock runs back across
    /// the cut; a header after the cut in a log that had none before it. A namespace named
    /// before the cut and used after it no longer breaks the cut: the namespace stage
    /// teaches both halves every name the buffer names.
    #[test]
    fn halves_that_would_read_otherwise_fall_back_to_one_run() {
        let exec = |n: u64| format!("12:00:00.0 ({n})|EXECUTION_STARTED\n");
        let mut learned = String::from("61.0 APEX_CODE,FINEST\n");
        learned += &exec(1);
        learned += "12:00:00.0 (2)|LIMIT_USAGE_FOR_NS|acme|\n";
        learned += "12:00:00.0 (3)|EXECUTION_FINISHED\n";
        let at_learned = learned.len();
        learned += &exec(4);
        learned += "12:00:00.0 (5)|METHOD_ENTRY|[1]|01p000000000001|acme.Svc.run()\n";
        learned += "12:00:00.0 (6)|FATAL_ERROR|System.LimitException: Too many SOQL queries: 101\n";
        learned += "12:00:00.0 (7)|METHOD_EXIT|[1]|01p000000000001|acme.Svc.run()\n";

        let mut quoted = String::from("61.0 APEX_CODE,FINEST\n");
        quoted += &exec(10);
        quoted += "12:00:00.0 (20)|USER_DEBUG|[1]|DEBUG|another log:\n";
        let at_quoted = quoted.len();
        quoted += &exec(5);
        quoted += "12:00:00.0 (30)|EXECUTION_FINISHED\n";

        let mut headerless = exec(1);
        headerless += "12:00:00.0 (2)|EXECUTION_FINISHED\n";
        let at_headerless = headerless.len();
        headerless += &exec(3);
        headerless += "61.0 APEX_CODE,FINEST\n";
        headerless += "12:00:00.0 (4)|FATAL_ERROR|x\n";

        // The same logs without what breaks the cut: it holds.
        let unlearned = learned.replace("|acme|", "|acm2|");
        let forward = quoted.replace(&exec(5), &exec(25));
        let headed = format!("61.0 APEX_CODE,FINEST\n{headerless}");
        let at_headed = at_headerless + "61.0 APEX_CODE,FINEST\n".len();
        for (doc, at, holds) in [
            (learned, at_learned, true),
            (quoted, at_quoted, false),
            (headerless, at_headerless, false),
            (unlearned, at_learned, true),
            (forward, at_quoted, true),
            (headed, at_headed, true),
        ] {
            assert_eq!(
                execution_seam(doc.as_bytes(), at, doc.len()).map(|s| s.0),
                Some(at)
            );
            let held = check_halves(doc.as_bytes(), at, 1).unwrap();
            assert_eq!(held, usize::from(holds), "{doc}");
        }
    }

    /// Parts framed afresh at seams give the records one framer gives, also where quoted
    /// text runs backwards across a seam (the rest is then framed in one go), with CRLF,
    /// several logs and multi-line events; whatever the part size.
    #[test]
    fn parts_frame_as_one_framer_does() {
        let mut docs = vec![crate::gen::sample(300 << 10, 3)];
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
