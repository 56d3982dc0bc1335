//! Live streams: a reader on a thread of its own, and the run that hands records over as
//! soon as they are complete and reports pauses.

use super::{Halt, Hold, RunError, Sink, State, Summary, go, read_some};
use crate::framing::Framer;
use crate::input::{CHUNK, InputError};
use crate::track::Tracker;
use std::io::{self, Read};
use std::sync::mpsc;

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
    std::thread::spawn(move || {
        loop {
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
        }
    });
    LiveReader { rx, stop: tx, back }
}

/// Frame, parse and track a live stream that arrives through `reader` (see [`spawn_reader`]),
/// handing each record to `sink` as soon as it is complete. When `idle` is given and no
/// input came for that long, the complete lines read so far are framed as if the input
/// had paused there (the open record is handed over, see [`Framer::feed_stalled`]) and
/// [`Sink::idle`] is called. `name` names the input in errors. At the end, a stop or a
/// read error, what was read is handed over and the run ends as [`super::drive`]'s does
/// (the tracker finished, [`Sink::end`] called) before a read error is returned.
pub fn run_live<S: Sink>(
    name: &str,
    reader: &LiveReader,
    tracker: &mut Tracker,
    idle: Option<std::time::Duration>,
    sink: S,
) -> Result<(Summary, Ended), RunError> {
    let mut st = State::new(tracker, sink);
    let mut live = Live {
        framer: Framer::new(),
        hold: Hold::new(st.tracker.wants_prepare()),
        buf: Vec::with_capacity(CHUNK * 2),
        total: 0,
    };
    let (fed, ended, failed) = live.feed_all(reader, idle, &mut st);
    let summary = st.finish(fed, live.total)?;
    match failed {
        Some(e) => Err(RunError::Input(InputError::new(
            name,
            "read failed",
            Some(e),
        ))),
        None => Ok((summary, ended)),
    }
}

/// The state of a live run between pieces: the framer, what is held, and the unframed bytes.
struct Live {
    framer: Framer,
    hold: Hold,
    buf: Vec<u8>,
    total: u64,
}

impl Live {
    /// Feed every piece `reader` sends until the input ends, a stop comes, reading fails
    /// (the error is the third value) or the consumer halts. At the end what was read is
    /// handed over as at the end of the input.
    fn feed_all<S: Sink>(
        &mut self,
        reader: &LiveReader,
        idle: Option<std::time::Duration>,
        st: &mut State<'_, S>,
    ) -> (Result<(), Halt>, Ended, Option<io::Error>) {
        // True once the current pause was reported: wait for input (or a stop) without a timeout.
        let mut paused = false;
        let (ended, failed) = loop {
            let msg = match idle {
                Some(d) if !paused => match reader.rx.recv_timeout(d) {
                    Ok(m) => m,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        paused = true;
                        if let Err(h) = self.pause(st) {
                            return (Err(h), Ended::Input, None);
                        }
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => Feed::End,
                },
                _ => reader.rx.recv().unwrap_or(Feed::End),
            };
            match msg {
                Feed::Data(piece) => {
                    paused = false;
                    let fed = self.piece(&piece, st);
                    // Back as it is: refilled, only the part past its length is zeroed again.
                    let _ = reader.back.send(piece);
                    if let Err(h) = fed {
                        return (Err(h), Ended::Input, None);
                    }
                }
                Feed::End => break (Ended::Input, None),
                Feed::Stop => break (Ended::Stopped, None),
                Feed::Error(e) => break (Ended::Input, Some(e)),
            }
        };
        self.hold
            .arrived(&self.buf, true, st.tracker.namespaces_mut());
        let fed = self
            .framer
            .feed(&self.buf, true, &mut |r| st.record(r))
            .map(|_| ());
        (fed, ended, failed)
    }

    /// The next bytes arrived: frame what the hold releases.
    fn piece<S: Sink>(&mut self, piece: &[u8], st: &mut State<'_, S>) -> Result<(), Halt> {
        self.total += piece.len() as u64;
        self.buf.extend_from_slice(piece);
        let free = self
            .hold
            .arrived(&self.buf, false, st.tracker.namespaces_mut());
        let used = self
            .framer
            .feed(&self.buf[..free], false, &mut |r| st.record(r))?;
        self.buf.drain(..used);
        self.hold.consumed(used);
        if self.buf.capacity() > CHUNK * 8 && self.buf.len() < CHUNK {
            self.buf.shrink_to(CHUNK * 2);
        }
        Ok(())
    }

    /// No input for the idle time: a pause releases the held log; its complete lines are
    /// prepared and framed, the open record included, and the consumer hears of the pause.
    fn pause<S: Sink>(&mut self, st: &mut State<'_, S>) -> Result<(), Halt> {
        if let Some(nl) = memchr::memrchr(b'\n', &self.buf) {
            self.hold
                .arrived(&self.buf[..=nl], true, st.tracker.namespaces_mut());
            self.framer
                .feed_stalled(&self.buf[..=nl], &mut |r| st.record(r))?;
            self.buf.drain(..=nl);
            self.hold.consumed(nl + 1);
        }
        go(st.sink_idle())
    }
}
