//! The run protocol: what the driver tells a consumer, and how the consumer answers
//! whether the run goes on (in the spirit of grep-searcher's `Sink`).
//!
//! In one run the driver calls, in input order:
//! - [`Sink::log_end`] when a log's last record was handed over (before the next log's
//!   header, and at the end of the input or of a stopped run), with the tracker as that log
//!   left it;
//! - [`Sink::log_begin`] at a header, once the tracker began the new log;
//! - [`Sink::item`] for every record;
//! - [`Sink::closed`] after a record (or the end) closed frames: [`Tracker::closed`] lists
//!   them (only when the tracker keeps closed frames);
//! - [`Sink::idle`] when a live stream paused ([`crate::stream::run_live`]);
//! - [`Sink::end`] once, after the driver finished the tracker (every frame still open was
//!   closed and handed over through [`Sink::closed`]).
//!
//! Each callback but `end` returns [`Flow`]: [`Flow::Stop`] ends the run at once (the
//! rest of the input is not read; `log_end`, the last `closed` and `end` still come), so a
//! consumer that has what it needs stops without an error.

use super::{Item, Summary};
use crate::track::Tracker;
use std::io;

/// Whether a run goes on after a callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Hand over the next record.
    Continue,
    /// End the run here.
    Stop,
}

/// How a log ended (see [`Sink::log_end`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogEnd {
    /// The next log's header follows.
    NextLog,
    /// The input ended, or the run stopped ([`Flow::Stop`] or [`crate::stream::Feed::Stop`]).
    Input,
}

/// A consumer of a run. Only [`Sink::item`] is required; every other callback goes on by
/// default. See the module docs for the order of calls.
pub trait Sink {
    /// One record with its parsed event and its place; `tracker` holds the frames open
    /// around it (and in [`Tracker::closed`] those this record closed).
    fn item(&mut self, item: &Item<'_>, tracker: &Tracker) -> io::Result<Flow>;

    /// Frames were closed, by `by` or (`None`) by the end of the input: read them from
    /// [`Tracker::closed`]. Called after `by`'s [`Sink::item`].
    fn closed(&mut self, tracker: &Tracker, by: Option<&Item<'_>>) -> io::Result<Flow> {
        let _ = (tracker, by);
        Ok(Flow::Continue)
    }

    /// A header began log `log` (0-based; records before the first header belong to log 0
    /// too). Called before the header's [`Sink::item`].
    fn log_begin(&mut self, log: u32, tracker: &Tracker) -> io::Result<Flow> {
        let _ = (log, tracker);
        Ok(Flow::Continue)
    }

    /// Every record of log `log` was handed over. `tracker` is as the log left it (frames
    /// it left open are still open).
    fn log_end(&mut self, log: u32, how: LogEnd, tracker: &Tracker) -> io::Result<Flow> {
        let _ = (log, how, tracker);
        Ok(Flow::Continue)
    }

    /// A live stream paused: every complete line read so far was handed over (the record
    /// that was still open included). Called once per pause.
    fn idle(&mut self, tracker: &Tracker) -> io::Result<Flow> {
        let _ = tracker;
        Ok(Flow::Continue)
    }

    /// The run is over and the tracker finished. Not called when the run failed.
    fn end(&mut self, tracker: &Tracker, summary: &Summary) -> io::Result<()> {
        let _ = (tracker, summary);
        Ok(())
    }
}

/// A consumer that needs only the records: a closure called for each, which never stops
/// the run (an error ends it).
pub struct Each<F>(pub F);

impl<F> Sink for Each<F>
where
    F: FnMut(&Item<'_>, &Tracker) -> io::Result<()>,
{
    #[inline]
    fn item(&mut self, item: &Item<'_>, tracker: &Tracker) -> io::Result<Flow> {
        (self.0)(item, tracker).map(|()| Flow::Continue)
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline]
    fn item(&mut self, item: &Item<'_>, tracker: &Tracker) -> io::Result<Flow> {
        (**self).item(item, tracker)
    }
    fn closed(&mut self, tracker: &Tracker, by: Option<&Item<'_>>) -> io::Result<Flow> {
        (**self).closed(tracker, by)
    }
    fn log_begin(&mut self, log: u32, tracker: &Tracker) -> io::Result<Flow> {
        (**self).log_begin(log, tracker)
    }
    fn log_end(&mut self, log: u32, how: LogEnd, tracker: &Tracker) -> io::Result<Flow> {
        (**self).log_end(log, how, tracker)
    }
    fn idle(&mut self, tracker: &Tracker) -> io::Result<Flow> {
        (**self).idle(tracker)
    }
    fn end(&mut self, tracker: &Tracker, summary: &Summary) -> io::Result<()> {
        (**self).end(tracker, summary)
    }
}

/// Why the driver stopped feeding records: the consumer said [`Flow::Stop`], or failed.
/// The framer carries it out of its loop; it never reaches a caller.
#[derive(Debug)]
pub(crate) enum Halt {
    Stop,
    Failed(io::Error),
}

impl From<io::Error> for Halt {
    fn from(e: io::Error) -> Self {
        Halt::Failed(e)
    }
}

/// A callback's answer as the framer's loop takes it.
#[inline]
pub(crate) fn go(answer: io::Result<Flow>) -> Result<(), Halt> {
    match answer? {
        Flow::Continue => Ok(()),
        Flow::Stop => Err(Halt::Stop),
    }
}
