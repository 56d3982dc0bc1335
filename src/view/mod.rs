//! Views: what a log looks like to a subscriber, a vendor, or with everything shown.
//!
//! A view is a policy ([`policy`]: one table) applied by a streaming writer ([`writer`])
//! in the same pass as parsing and frame tracking; [`redact`] masks personal data and
//! secrets, [`diff`] records what the policy hid and why, and [`check`] holds the
//! properties every view keeps (no leak, idempotence) for the tests and the fuzz target.

pub mod check;
pub mod diff;
pub mod frames;
pub mod policy;
pub mod redact;
pub mod reduce;
pub mod spec;
pub mod writer;

pub use policy::{Decision, Policy, Visibility};
pub use redact::{RedactSpec, Redactor};
pub use reduce::ReduceSpec;
pub use spec::ViewSpec;
pub use writer::{Markers, Shown, ViewOptions, ViewWriter};

use crate::input::Input;
use crate::stream::{self, Flow, Item, RunError, Sink, Summary, Threads};
use crate::track::Tracker;
use std::io::{self, Write};

/// A tracker for a view: the namespaces the spec names are declared up front (those the
/// log names are learned by the driver's namespace stage, [`crate::prepare`]); the `full`
/// view needs no namespaces at all.
pub fn tracker_for(opts: &ViewOptions) -> Tracker {
    let tracker = Tracker::new().with_namespaces(&opts.visibility.visible);
    if opts.visibility.full {
        tracker.unprepared()
    } else {
        tracker
    }
}

/// Stream the view of `input` to `out`.
pub fn write_view<W: Write + ?Sized>(
    input: &mut Input,
    opts: &ViewOptions,
    out: &mut W,
) -> Result<Summary, RunError> {
    // The view asks only where each event sits, never for closed frames.
    let mut tracker = tracker_for(opts).without_closed();
    write_view_with(input, opts, &mut tracker, out)
}

/// [`write_view`] with the caller's tracker (from [`tracker_for`]), which afterwards tells
/// what the log named (for example whether a `--as vendor:NS` namespace occurs at all).
pub fn write_view_with<W: Write + ?Sized>(
    input: &mut Input,
    opts: &ViewOptions,
    tracker: &mut Tracker,
    out: &mut W,
) -> Result<Summary, RunError> {
    if let Some(whole) = input.as_slice() {
        // In memory: runs of records kept unchanged go out as one slice of the input.
        let sink = ViewSink::new(opts, Some(whole), out);
        return stream::drive_bytes(whole, tracker, Threads::Auto, sink);
    }
    stream::drive(
        input,
        tracker,
        Threads::Auto,
        ViewSink::new(opts, None, out),
    )
}

/// The input held in memory under its name, redacted as `dbglog view --as full --redact
/// SPEC` writes it when `redact` is given, and the bytes read (as a run's summary counts
/// them). A redacted log has the same lines and events as the original
/// (docs/redaction.md), so whatever is computed from it cites the original's line
/// numbers. An input already in memory and not redacted is returned as it is.
pub fn in_memory(mut input: Input, redact: Option<RedactSpec>) -> Result<(Input, u64), RunError> {
    if redact.is_none()
        && let Some(whole) = input.as_slice()
    {
        let n = whole.len() as u64;
        return Ok((input, n));
    }
    let opts = ViewOptions {
        visibility: Visibility {
            full: true,
            visible: Vec::new(),
        },
        redact,
        ..Default::default()
    };
    let mut out = Vec::new();
    let summary = write_view(&mut input, &opts, &mut out)?;
    let mut held = crate::input::from_bytes(&input.name, out);
    held.encoding = input.encoding;
    Ok((held, summary.bytes))
}

/// The view as a consumer of a run: each record goes through the view writer; one that
/// the view shows as it is joins the run of input [`Runs`] defers.
struct ViewSink<'a, W: Write + ?Sized> {
    writer: ViewWriter,
    out: Runs<'a, W>,
}

impl<'a, W: Write + ?Sized> ViewSink<'a, W> {
    fn new(opts: &ViewOptions, whole: Option<&'a [u8]>, out: &'a mut W) -> Self {
        ViewSink {
            writer: ViewWriter::new(opts),
            out: Runs {
                whole,
                start: 0,
                end: 0,
                out,
            },
        }
    }
}

impl<W: Write + ?Sized> Sink for ViewSink<'_, W> {
    #[inline]
    fn item(&mut self, item: &Item<'_>, t: &Tracker) -> io::Result<Flow> {
        if self.writer.show_item(item, t, &mut self.out)? == Shown::AsIs {
            self.out.as_is(item)?;
        }
        Ok(Flow::Continue)
    }

    fn end(&mut self, _: &Tracker, _: &Summary) -> io::Result<()> {
        self.out.flush_run()
    }
}

/// A writer in front of `out` that defers the records shown as they are while they are
/// contiguous in the input held in memory (`whole`, by their offsets), so a run of them is
/// one write of the input (no copy through a buffer). Anything else written first writes
/// the deferred run: the output is byte for byte what writing each record would give. A
/// streamed input (no `whole`) has each record written as it comes.
struct Runs<'a, W: Write + ?Sized> {
    whole: Option<&'a [u8]>,
    start: usize,
    end: usize,
    out: &'a mut W,
}

impl<W: Write + ?Sized> Runs<'_, W> {
    /// `item` is shown as it is in the input.
    #[inline]
    fn as_is(&mut self, item: &Item<'_>) -> io::Result<()> {
        if self.whole.is_none() {
            return self.out.write_all(item.record.raw);
        }
        let at = item.record.offset as usize;
        if at != self.end {
            self.flush_run()?;
            self.start = at;
        }
        self.end = at + item.record.raw.len();
        Ok(())
    }

    fn flush_run(&mut self) -> io::Result<()> {
        if let Some(whole) = self.whole.filter(|_| self.end > self.start) {
            let run = &whole[self.start..self.end];
            self.start = self.end;
            self.out.write_all(run)?;
        }
        Ok(())
    }
}

impl<W: Write + ?Sized> Write for Runs<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flush_run()?;
        self.out.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_run()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::Runs;
    use crate::framing::{Record, RecordKind};
    use crate::stream::Item;
    use std::io::Write;

    fn at<'a>(whole: &'a [u8], start: usize, len: usize) -> Item<'a> {
        Item {
            record: Record {
                kind: RecordKind::Text,
                raw: &whole[start..start + len],
                offset: start as u64,
                line: 1,
                head: None,
            },
            event: None,
            loc: Default::default(),
            log: 0,
        }
    }

    #[test]
    fn deferred_runs_give_the_same_bytes_in_the_same_order() {
        let whole = b"aaa\nbbb\nccc\nddd\n".to_vec();
        let mut out = Vec::new();
        let mut runs = Runs {
            whole: Some(&whole),
            start: 0,
            end: 0,
            out: &mut out,
        };
        runs.as_is(&at(&whole, 0, 4)).unwrap(); // deferred
        runs.as_is(&at(&whole, 4, 4)).unwrap(); // contiguous: joins the run
        runs.write_all(b"MARKER\n").unwrap(); // other bytes: the run goes first
        runs.as_is(&at(&whole, 12, 4)).unwrap(); // a new run (ccc was dropped)
        runs.as_is(&at(&whole, 0, 4)).unwrap(); // not contiguous
        runs.flush().unwrap();
        assert_eq!(out, b"aaa\nbbb\nMARKER\nddd\naaa\n");
    }
}
