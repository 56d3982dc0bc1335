//! The view diff: what a view hides, and why, computed in the same single streaming pass
//! as the view itself.
//!
//! - [`recorder`]: the [`Recorder`] notes each policy decision that hides something,
//!   follows exceptions raised in hidden code until they are handled there or escape, and
//!   collects per-namespace counts and time into a [`DiffReport`];
//! - [`unified`]: the unified-diff writer, fed record by record for one file (the view is
//!   derived record by record, so no alignment is needed);
//! - `lines`: the line diff of two files ([`unified::diff_lines`], imara-diff's Myers).

mod lines;
pub mod recorder;
pub mod unified;

pub use recorder::{
    DiffItem, DiffReport, ITEM_CAP, NsSummary, Origin, Recorder, Section, Soql, TEXT_CAP,
    split_signature,
};

use super::writer::ViewOptions;
use crate::input::Input;
use crate::stream::{self, Flow, Item, RunError, Sink};
use crate::track::Tracker;
use std::io::{self, Write};

/// Diff one log against a view in one streaming pass. With `unified`, also write a
/// unified diff (full view on the left, the view on the right) to it as the pass goes.
pub fn diff_one(
    input: &mut Input,
    opts: &ViewOptions,
    view_name: &str,
    mut unified: Option<&mut dyn Write>,
) -> Result<DiffReport, RunError> {
    let mut tracker = super::tracker_for(opts);
    let mut rec = Recorder::new(opts);
    let name = input.name.clone();
    let mut hunks = unified::Hunks::new(3);
    if let Some(w) = unified.as_deref_mut() {
        writeln!(w, "--- {name} (full)\n+++ {name} ({view_name})").map_err(RunError::Consumer)?;
    }
    let mut sink = DiffSink {
        rec: &mut rec,
        hunks: &mut hunks,
        unified: unified.as_deref_mut(),
    };
    let summary = stream::drive(input, &mut tracker, stream::Threads::Auto, &mut sink)?;
    stream::require_log(&name, &summary)?;
    if let Some(w) = unified {
        hunks.finish(w).map_err(RunError::Consumer)?;
    }
    Ok(rec.finish(&name, view_name))
}

/// The recorder as a consumer of a run, writing the unified diff as it goes when asked.
struct DiffSink<'a, 'w> {
    rec: &'a mut Recorder,
    hunks: &'a mut unified::Hunks,
    unified: Option<&'a mut (dyn Write + 'w)>,
}

impl Sink for DiffSink<'_, '_> {
    fn item(&mut self, item: &Item<'_>, t: &Tracker) -> io::Result<Flow> {
        self.rec.item(item, t)?;
        if let Some(w) = self.unified.as_deref_mut() {
            let raw = item.record.raw;
            let out = self.rec.last_output();
            if out == raw {
                self.hunks.same(raw, w)?;
            } else {
                self.hunks.change(raw, out, w)?;
            }
        }
        Ok(Flow::Continue)
    }

    fn end(&mut self, t: &Tracker, _: &stream::Summary) -> io::Result<()> {
        self.rec.closed_at_end(t);
        Ok(())
    }
}

/// Render a view of a whole input into memory (for the two-file diff).
pub fn view_lines(input: &mut Input, opts: &ViewOptions) -> Result<Vec<u8>, RunError> {
    let mut v = Vec::new();
    let summary = super::write_view(input, opts, &mut v)?;
    stream::require_log(&input.name, &summary)?;
    Ok(v)
}
