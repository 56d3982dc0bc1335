//! Views: what a log looks like to a subscriber, a vendor, or with everything shown.
//!
//! A view is a policy ([`policy`]: one table) applied by a streaming writer ([`writer`])
//! in the same pass as parsing and frame tracking; [`redact`] masks personal data and
//! secrets, [`diff`] records what the policy hid and why.

pub mod diff;
pub mod frames;
pub mod policy;
pub mod redact;
pub mod spec;
pub mod writer;

pub use policy::{Decision, Policy, Visibility};
pub use redact::{RedactSpec, Redactor};
pub use spec::ViewSpec;
pub use writer::{Markers, ViewOptions, ViewWriter};

use crate::input::Input;
use crate::stream::{self, RunError, Summary};
use crate::track::Tracker;
use std::io::Write;

/// A tracker prepared for a view: namespaces named by the spec and those the log's limit
/// blocks name are known before streaming starts.
pub fn tracker_for(input: &Input, opts: &ViewOptions) -> Tracker {
    let mut tracker = Tracker::new().with_namespaces(&opts.visibility.visible);
    if !opts.visibility.full {
        if let Some(buf) = input.as_slice() {
            writer::prescan_namespaces(buf, &mut tracker);
        }
    }
    tracker
}

/// Stream the view of `input` to `out`.
pub fn write_view<W: Write + ?Sized>(
    input: &mut Input,
    opts: &ViewOptions,
    out: &mut W,
) -> Result<Summary, RunError> {
    // The view asks only where each event sits, never for closed frames.
    let mut tracker = tracker_for(input, opts).without_closed();
    let mut w = ViewWriter::new(opts);
    stream::run(input, &mut tracker, |item, t| {
        w.write_item(item, t, out).map(|_| ())
    })
}
