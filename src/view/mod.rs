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
pub use writer::{Markers, ViewOptions, ViewWriter};

use crate::input::Input;
use crate::stream::{self, RunError, Summary};
use crate::track::Tracker;
use std::io::Write;

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
    let mut w = ViewWriter::new(opts);
    if let Some(whole) = input.as_slice() {
        // In memory: runs of records kept unchanged go out as one slice of the input.
        let mut sink = Coalesce {
            whole,
            start: 0,
            len: 0,
            out,
        };
        let summary = stream::run_bytes(whole, tracker, stream::Threads::Auto, |item, t| {
            w.write_item(item, t, &mut sink).map(|_| ())
        })?;
        sink.flush_span().map_err(RunError::Consumer)?;
        return Ok(summary);
    }
    stream::run(input, tracker, |item, t| {
        w.write_item(item, t, out).map(|_| ())
    })
}

/// The input held in memory under its name, redacted as `dbglog view --as full --redact
/// SPEC` writes it when `redact` is given, and the bytes read (as a run's summary counts
/// them). A redacted log has the same lines and events as the original
/// (docs/redaction.md), so whatever is computed from it cites the original's line
/// numbers. An input already in memory and not redacted is returned as it is.
pub fn in_memory(mut input: Input, redact: Option<RedactSpec>) -> Result<(Input, u64), RunError> {
    if redact.is_none() {
        if let Some(whole) = input.as_slice() {
            let n = whole.len() as u64;
            return Ok((input, n));
        }
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

/// A writer in front of `out` that defers writes of bytes lying inside `whole` and
/// contiguous with the deferred ones, so a run of records the view keeps unchanged is one
/// write of the input (no copy through a buffer). Anything else first writes the deferred
/// run: the output is byte for byte what the plain writes would give.
struct Coalesce<'a, W: Write + ?Sized> {
    whole: &'a [u8],
    start: usize,
    len: usize,
    out: &'a mut W,
}

impl<W: Write + ?Sized> Coalesce<'_, W> {
    fn flush_span(&mut self) -> std::io::Result<()> {
        if self.len > 0 {
            let span = &self.whole[self.start..self.start + self.len];
            self.len = 0;
            self.out.write_all(span)?;
        }
        Ok(())
    }
}

impl<W: Write + ?Sized> Write for Coalesce<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let base = self.whole.as_ptr() as usize;
        let at = (buf.as_ptr() as usize).wrapping_sub(base);
        if at <= self.whole.len() && buf.len() <= self.whole.len() - at {
            if self.len > 0 && at == self.start + self.len {
                self.len += buf.len();
            } else {
                self.flush_span()?;
                self.start = at;
                self.len = buf.len();
            }
            return Ok(buf.len());
        }
        self.flush_span()?;
        self.out.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_span()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::Coalesce;
    use std::io::Write;

    #[test]
    fn coalesced_writes_give_the_same_bytes_in_the_same_order() {
        let whole = b"aaa\nbbb\nccc\nddd\n".to_vec();
        let mut out = Vec::new();
        let mut sink = Coalesce {
            whole: &whole,
            start: 0,
            len: 0,
            out: &mut out,
        };
        sink.write_all(&whole[0..4]).unwrap(); // deferred
        sink.write_all(&whole[4..8]).unwrap(); // contiguous: joins the run
        sink.write_all(b"MARKER\n").unwrap(); // outside: the run goes first
        sink.write_all(&whole[12..16]).unwrap(); // a new run (ccc was dropped)
        sink.write_all(&whole[0..4]).unwrap(); // inside but not contiguous
        sink.flush().unwrap();
        assert_eq!(out, b"aaa\nbbb\nMARKER\nddd\naaa\n");
    }
}
