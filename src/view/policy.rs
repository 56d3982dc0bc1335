//! The view policy: ONE table that says what happens to each kind of event written while
//! the innermost frame belongs to a hidden namespace (format.md §5.2). The same table,
//! with the reason for each row, is in `docs/views.md`.
//!
//! [`Visibility`] says which namespaces are hidden; [`Policy`] turns the table into an
//! O(1) lookup per event type and decides per event ([`Policy::decide`]).

use crate::event::EventType;
use crate::namespace::NsId;
use crate::stream::Item;
use crate::track::Tracker;
use crate::view::ViewSpec;

/// What the view does with an event written inside hidden code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Keep the line as it is (platform events the subscriber's log also shows).
    Keep,
    /// Replace it by an `ENTERING_MANAGED_PKG|ns` line with the same timestamp.
    Marker,
    /// Remove it.
    Drop,
    /// `METHOD_ENTRY`/`METHOD_EXIT`: keep when the caller is visible (a global method called
    /// directly from visible code), otherwise a marker.
    Boundary,
}

/// One row of the policy table.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The event types of the row.
    pub events: &'static [EventType],
    /// What happens to them inside hidden code.
    pub action: Action,
    /// Why (the evidence in format.md §5.1).
    pub reason: &'static str,
}

/// The policy table. Event types not listed are kept (SOQL, SOSL, DML, callouts, limit
/// blocks, workflow/flow/validation events, subscriber automation…).
pub const TABLE: &[Row] = {
    use EventType::*;
    &[
        Row {
            events: &[MethodEntry, MethodExit],
            action: Action::Boundary,
            reason: "M4: only a global method called directly from visible code shows its entry and exit",
        },
        Row {
            events: &[
                ConstructorEntry,
                ConstructorExit,
                StatementExecute,
                BulkCountableStatementExecute,
                VariableScopeBegin,
                VariableScopeEnd,
                VariableAssignment,
                HeapAllocate,
                HeapDeallocate,
                BulkHeapAllocate,
                SystemMethodEntry,
                SystemMethodExit,
                SystemConstructorEntry,
                SystemConstructorExit,
                LimitUsage,
                StackFrameVariableList,
                EnteringManagedPkg,
            ],
            action: Action::Marker,
            reason: "M2, M4: package internals appear as ENTERING_MANAGED_PKG lines with the same timestamps",
        },
        Row {
            events: &[
                UserDebug,
                UserDebugDebug,
                UserDebugError,
                UserDebugFine,
                UserDebugFiner,
                UserDebugFinest,
                UserDebugInfo,
                UserDebugWarn,
                DataweaveUserDebug,
            ],
            action: Action::Drop,
            reason: "M5: System.debug inside a managed package is not written to the subscriber's log",
        },
        Row {
            events: &[ExceptionThrown],
            action: Action::Drop,
            reason: "M17: an exception thrown inside the package is not shown; if it escapes it surfaces as FATAL_ERROR or in the subscriber's catch",
        },
        Row {
            events: &[CodeUnitStarted, CodeUnitFinished],
            action: Action::Drop,
            reason: "M8: a trigger of the package gets no CODE_UNIT lines (its children stay)",
        },
    ]
};

/// The table as a lookup by event type (Keep for everything not listed).
fn lookup() -> &'static [Action; crate::event::table::KNOWN_COUNT + 1] {
    use std::sync::OnceLock;
    static T: OnceLock<[Action; crate::event::table::KNOWN_COUNT + 1]> = OnceLock::new();
    T.get_or_init(|| {
        let mut a = [Action::Keep; crate::event::table::KNOWN_COUNT + 1];
        for row in TABLE {
            for &e in row.events {
                a[e as usize] = row.action;
            }
        }
        // Types dbglog does not know may carry package data: treat them as internals.
        a[EventType::Unknown as usize] = Action::Marker;
        a
    })
}

/// The action for an event type inside hidden code.
#[inline]
pub fn action(t: EventType) -> Action {
    lookup()[t as usize]
}

/// Which namespaces a view shows.
#[derive(Clone, Debug, Default)]
pub struct Visibility {
    /// `--as full`: nothing hidden.
    pub full: bool,
    /// Namespaces whose internals are visible besides `(default)` and platform namespaces.
    pub visible: Vec<Vec<u8>>,
}

impl Visibility {
    /// The visibility of a `--as` spec plus the subscriber's own namespaces (`--own`).
    pub fn new(spec: &ViewSpec, own: &[String]) -> Self {
        let mut visible: Vec<Vec<u8>> = own.iter().map(|s| s.as_bytes().to_vec()).collect();
        visible.extend(
            spec.named_namespaces()
                .iter()
                .map(|s| s.as_bytes().to_vec()),
        );
        Visibility {
            full: *spec == ViewSpec::Full,
            visible,
        }
    }

    /// Is a namespace name hidden? `(default)`, the visible list (compared ignoring case, as
    /// Salesforce compares namespace prefixes) and platform-internal
    /// namespaces (their name contains `__`, e.g. `java__util`) are not.
    pub fn hides(&self, name: &[u8]) -> bool {
        if self.full || name == b"(default)" {
            return false;
        }
        if memchr::memmem::find(name, b"__").is_some() {
            return false;
        }
        !self.visible.iter().any(|v| v.eq_ignore_ascii_case(name))
    }
}

/// The decision for one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Write it (possibly with hidden stack frames rewritten).
    Keep,
    /// Replace it by a package marker of this namespace.
    Marker(NsId),
    /// Leave it out.
    Drop(NsId),
}

/// The policy engine: visibility plus a per-namespace cache.
#[derive(Clone, Debug)]
pub struct Policy {
    vis: Visibility,
    /// Per NsId: 0 unknown, 1 hidden, 2 visible.
    cache: Vec<u8>,
}

impl Policy {
    /// A policy for a visibility.
    pub fn new(vis: Visibility) -> Self {
        Policy {
            vis,
            cache: Vec::new(),
        }
    }

    /// The visibility.
    pub fn visibility(&self) -> &Visibility {
        &self.vis
    }

    /// True when the view is `full` (a byte-exact copy).
    pub fn is_full(&self) -> bool {
        self.vis.full
    }

    /// Is namespace `ns` hidden?
    #[inline]
    pub fn hidden(&mut self, ns: NsId, tracker: &Tracker) -> bool {
        if ns.is_default() || self.vis.full {
            return false;
        }
        let i = ns.0 as usize;
        if let Some(&c) = self.cache.get(i)
            && c != 0
        {
            return c == 1;
        }
        let h = self.vis.hides(tracker.namespaces().name(ns));
        if self.cache.len() <= i {
            self.cache.resize(i + 1, 0);
        }
        self.cache[i] = if h { 1 } else { 2 };
        h
    }

    /// Is a namespace name hidden (for text such as `Class.ns.X.y` frames)?
    pub fn hides_name(&self, name: &[u8]) -> bool {
        self.vis.hides(name)
    }

    /// Decide what the view does with one record.
    #[inline]
    pub fn decide(&mut self, item: &Item<'_>, tracker: &Tracker) -> Decision {
        let Some(ev) = &item.event else {
            return Decision::Keep;
        };
        let ns = item.loc.frame_ns;
        if !self.hidden(ns, tracker) {
            return Decision::Keep;
        }
        let t = ev.etype();
        // A marker line that names no namespace (mangled text) stands for no package code:
        // it is kept wherever it is, as the tracker starts no marker run for it.
        if t == EventType::EnteringManagedPkg
            && crate::namespace::marker_name(ev.first_line()).is_none()
        {
            return Decision::Keep;
        }
        let action = action(t);
        // Inside a bare marker run (no hidden frame of code is open) the log already shows
        // what the subscriber's org shows: every line is kept, method boundaries and debug
        // lines included. This is what makes a subscriber log pass through unchanged, and
        // the view idempotent. A marker line itself still joins the run.
        if action != Action::Keep && t != EventType::EnteringManagedPkg && in_bare_run(t, tracker) {
            return Decision::Keep;
        }
        match action {
            Action::Keep => Decision::Keep,
            Action::Marker => Decision::Marker(ns),
            Action::Drop => Decision::Drop(ns),
            Action::Boundary => {
                let parent = match t {
                    // After an exit the closed frame's parent is the innermost frame.
                    EventType::MethodExit => Some(tracker.current_ns()),
                    // After an entry the new frame is innermost; its parent is just below.
                    _ => {
                        let d = item.loc.depth as usize;
                        if d >= 2 {
                            tracker.open_namespaces().nth(d - 2)
                        } else {
                            None
                        }
                    }
                };
                match parent {
                    Some(p) if self.hidden(p, tracker) => Decision::Marker(ns),
                    _ => Decision::Keep,
                }
            }
        }
    }
}

/// Is the code that contains this event a bare marker run (no hidden frame of code open)?
/// The containing frame is the new frame's parent for an entry, the innermost frame for an
/// exit (already popped) or a leaf, so entry and exit of one frame get the same answer; and
/// frames that only inherit a namespace (SOQL, DML, system methods) are looked through.
fn in_bare_run(t: EventType, tracker: &Tracker) -> bool {
    let d = tracker.depth();
    match t.role() {
        crate::event::Role::Open(_) => tracker.code_frame_is_package_run(d.saturating_sub(1)),
        _ => tracker.code_frame_is_package_run(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicates() {
        let mut seen = std::collections::HashSet::new();
        for row in TABLE {
            for e in row.events {
                assert!(seen.insert(*e), "{e:?} listed twice");
            }
        }
        assert_eq!(action(EventType::SoqlExecuteBegin), Action::Keep);
        assert_eq!(action(EventType::UserDebug), Action::Drop);
        assert_eq!(action(EventType::StatementExecute), Action::Marker);
        assert_eq!(action(EventType::Unknown), Action::Marker);
    }

    #[test]
    fn visibility() {
        let v = Visibility::new(&ViewSpec::Subscriber, &["mine".into()]);
        assert!(v.hides(b"E2CP"));
        assert!(!v.hides(b"mine"));
        assert!(!v.hides(b"java__util"));
        assert!(!v.hides(b"(default)"));
        let v = Visibility::new(&ViewSpec::Vendor(vec!["E2CP".into()]), &[]);
        assert!(!v.hides(b"E2CP"));
        assert!(v.hides(b"acme"));
        assert!(!Visibility::new(&ViewSpec::Full, &[]).hides(b"acme"));
    }
}
