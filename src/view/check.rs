//! Self-checks of a view: the properties the tests and the `view` fuzz target assert on
//! any input (see docs/views.md, "What the checks promise").
//!
//! * **No leak** ([`first_shown_hidden_line`]): no debug, statement or variable line that
//!   the input itself places inside hidden code reaches the view. Holds on every input.
//! * **The view reads as it was written** ([`first_hidden_code_line`] on the view's output):
//!   read again, the view shows no such line inside hidden code; and the view of the view
//!   is the view. Holds on every well-formed log ([`well_formed`]): on a mangled one, a
//!   hidden exit can be what ended visible frames, and without it the output reads
//!   differently (the input's lines are still where the first check found them).

use super::{ViewOptions, ViewWriter, Visibility, tracker_for};
use crate::event::EventType;
use crate::event::parse::head;
use crate::framing::is_header;
use crate::stream::{self, Item};
use crate::track::{IssueKind, Tracker};

/// Is this record a line of hidden code: a debug line, statement or variable assignment
/// whose frame belongs to a namespace `visibility` hides, below the top level and not
/// inside a bare marker run (which shows what the customer's org wrote)?
pub fn is_hidden_code(item: &Item<'_>, tracker: &Tracker, visibility: &Visibility) -> bool {
    item.event.as_ref().is_some_and(|ev| {
        matches!(
            ev.etype(),
            EventType::UserDebug | EventType::StatementExecute | EventType::VariableAssignment
        )
    }) && item.loc.depth > 1
        && visibility.hides(tracker.namespaces().name(item.loc.frame_ns))
        && !tracker.code_frame_is_package_run(tracker.depth())
}

fn describe(item: &Item<'_>) -> String {
    let name = item
        .event
        .as_ref()
        .and_then(|e| e.etype().name())
        .unwrap_or("?");
    format!("hidden {name} at line {}", item.record.line)
}

/// The first line of `log` that shows hidden code from inside ([`is_hidden_code`]), or
/// `None`. Run over a view's output, it says whether the view reads as hidden code there.
pub fn first_hidden_code_line(log: &[u8], visibility: &Visibility) -> Option<String> {
    let mut found = None;
    let mut t = Tracker::new().without_closed();
    let _ = stream::run(
        &mut crate::input::from_bytes("view", log.to_vec()),
        &mut t,
        |item, t| {
            if found.is_none() && is_hidden_code(item, t, visibility) {
                found = Some(describe(item));
            }
            Ok(())
        },
    );
    found
}

/// The first record of `log` that is hidden code as the view reads the input and that the
/// view nevertheless keeps, or `None` (the no-leak property).
pub fn first_shown_hidden_line(log: &[u8], opts: &ViewOptions) -> Option<String> {
    let mut input = crate::input::from_bytes("view", log.to_vec());
    let mut t = tracker_for(opts).without_closed();
    let mut w = ViewWriter::new(opts);
    let mut found = None;
    let _ = stream::run(&mut input, &mut t, |item, t| {
        let hidden = found.is_none() && is_hidden_code(item, t, &opts.visibility);
        let d = w.write_item(item, t, &mut std::io::sink())?;
        if hidden && d == super::Decision::Keep {
            found = Some(describe(item));
        }
        Ok(())
    });
    found
}

/// A well-formed log: within each log no line that reads as an event head (quoted or not)
/// has a nanosecond stamp below the one before it, and every frame ends with its own exit
/// (no exit without an entry, no frame left behind by an outer frame's exit).
pub fn well_formed(log: &[u8]) -> bool {
    let mut last: Option<u64> = None;
    for line in log.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if is_header(line) {
            last = None;
        } else if let Some(n) = head(line).and_then(|h| h.nanos) {
            if last.is_some_and(|l| n < l) {
                return false;
            }
            last = Some(n);
        }
    }
    let mut t = Tracker::new().without_closed();
    let _ = stream::run(
        &mut crate::input::from_bytes("view", log.to_vec()),
        &mut t,
        |_, _| Ok(()),
    );
    t.issue_count(IssueKind::UnexpectedExit) == 0 && t.issue_count(IssueKind::MissingExit) == 0
}

/// Every check of the module on one input: no leak always; on a well-formed log, the
/// output read again shows no hidden code and the view is idempotent ([`check_reread`]).
pub fn check(log: &[u8], opts: &ViewOptions) -> Result<(), String> {
    if let Some(leak) = first_shown_hidden_line(log, opts) {
        return Err(format!("{leak} of the input shown"));
    }
    if well_formed(log) {
        check_reread(log, opts)?;
    }
    Ok(())
}

/// The view, read again, shows no hidden code, and the view of the view is the view.
pub fn check_reread(log: &[u8], opts: &ViewOptions) -> Result<(), String> {
    let view = |b: &[u8]| {
        let mut out = Vec::new();
        super::write_view(
            &mut crate::input::from_bytes("view", b.to_vec()),
            opts,
            &mut out,
        )
        .map(|_| out)
        .map_err(|e| format!("view failed: {e}"))
    };
    let once = view(log)?;
    if let Some(leak) = first_hidden_code_line(&once, &opts.visibility) {
        return Err(format!("the view reads as {leak}"));
    }
    if view(&once)? != once {
        return Err("the view of the view differs from the view".into());
    }
    Ok(())
}
