//! The `Analyzer`'s hooks into the parts of the transaction that have modules of their
//! own ([`super::memory`], [`super::callouts`], [`super::lint`], [`super::coverage`]),
//! and the code that called into a package, which the verdict names.

use super::findings::{Ctx, Ident, Keep, is_method_frame};
use super::{Analyzer, coverage};
use crate::event::{Event, EventType};
use crate::stream::Item;
use crate::track::Tracker;

impl Analyzer<'_> {
    /// Feed one event to the callouts and the SOQL lint.
    #[inline]
    pub(super) fn parts_event(
        &mut self,
        item: &Item<'_>,
        t: &Tracker,
        ev: &Event<'_>,
        et: EventType,
    ) {
        match et {
            EventType::CalloutRequest
            | EventType::CalloutResponse
            | EventType::ExecutionStarted => self.callouts.event(ev, item.loc.frame_ns),
            EventType::SoqlExecuteBegin => {
                let query: &[u8] = match t.open_frames().last() {
                    Some((EventType::SoqlExecuteBegin, _, name)) => name,
                    _ => ev.field(2).unwrap_or(b""),
                };
                let ctx = self.ctx(item, t);
                self.lint.begin(query, ctx, ev.line);
            }
            EventType::SoqlExecuteEnd => self
                .lint
                .end(crate::event::payload::dml::rows(ev.first_line()).unwrap_or(0)),
            _ => {}
        }
    }

    /// Remember, for a finding context inside a package called from other code, the code
    /// that called into it: of the frames just outside the package's own (those of the
    /// calling namespace), the innermost code unit (a trigger, a controller action), else
    /// the outermost method. Looked up once per distinct context.
    pub(super) fn note_caller_unit(&mut self, ctx: Ctx, t: &Tracker) {
        let Some(caller) = ctx.caller else { return };
        if self.caller_units.contains_key(&ctx) {
            return;
        }
        let frames: Vec<(EventType, crate::namespace::NsId, &[u8])> = t.open_frames().collect();
        let mut i = frames.len();
        while i > 0 && frames[i - 1].1 != caller {
            i -= 1;
        }
        let end = i;
        while i > 0 && frames[i - 1].1 == caller {
            i -= 1;
        }
        let region = &frames[i..end];
        let unit = region
            .iter()
            .rev()
            .find(|f| f.0 == EventType::CodeUnitStarted)
            .or_else(|| region.iter().find(|f| is_method_frame(f.0)));
        if let Some((_, _, name)) = unit {
            let id = self.names.id(name);
            self.caller_units.insert(ctx, id);
        }
    }

    /// Add the SOQL lint's findings and `LEVELS_TOO_LOW` to the report's findings.
    pub(super) fn parts_findings(&mut self) {
        for h in std::mem::take(&mut self.lint).finish() {
            let f = self.add_finding(
                Ident::Native(h.id),
                h.ctx,
                h.extra,
                h.severity,
                h.first_line,
                Keep::LineOnly,
                || h.message,
            );
            f.count = h.count;
            f.last_line = f.last_line.max(h.last_line);
        }
        if let Some((ctx, line, msg)) = self.coverage.too_low(&self.opts.view, self.opts.tree) {
            self.add_finding(
                Ident::Native("LEVELS_TOO_LOW"),
                ctx,
                0,
                coverage::TOO_LOW,
                line,
                Keep::AsIs,
                || msg,
            );
        }
    }
}
