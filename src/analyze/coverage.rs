//! What the log cannot show: the report's sections whose figures the header's debug
//! levels leave out or make floors, and a `LEVELS_TOO_LOW` finding when the levels are too
//! low for the question asked.
//!
//! Each section depends on one event type. Its category and level are the catalogue's
//! ([`EventType::category`], [`EventType::level`]: events.tsv with the corrections of
//! docs/levels.md), so a note says exactly which header entry hides it: `METHOD_ENTRY` is
//! `APEX_CODE` at `FINE`, `HEAP_ALLOCATE` `APEX_CODE` at `FINER`, `SOQL_EXECUTE_EXPLAIN`
//! `DB` at `FINEST`, and so on. A category the header does not name is not judged.
//!
//! The question asked: `--as vendor:NS` and `--tree` ask for the code's frames, which
//! `METHOD_ENTRY` writes. When the header's `APEX_CODE` level hides it, the answer is a
//! `LEVELS_TOO_LOW` finding (`warn`) at the header line.

use super::Report;
use super::findings::{Ctx, NONE};
use super::text::write_wrapped;
use crate::event::{Category, EventType};
use crate::header::{self, HeaderLevel};
use crate::namespace::NsId;
use crate::output::Style;
use crate::rules::Severity;
use crate::view::ViewSpec;
use serde::Serialize;
use std::io::{self, Write};

/// A section of the report whose figures the log's levels leave out (`not_shown` in the
/// JSON).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LevelNote {
    /// The section: `methods`, `heap`, `soql`, `query-plans`, `dml`, `callouts`,
    /// `limits`, `packages`, `statements`, `exceptions`, `debug`, `flows`.
    pub section: String,
    /// The event type the section needs.
    pub event: String,
    /// Its category.
    pub category: String,
    /// The level the event needs.
    pub needs: String,
    /// The header's level for the category (`NONE` included).
    pub level: String,
    /// What is missing, or a floor, in one sentence.
    pub note: String,
}

/// The sections, the event each needs, and what its absence means.
const SECTIONS: [(&str, EventType, &str); 12] = [
    (
        "methods",
        EventType::MethodEntry,
        "no method frames: methods, the call tree and time per namespace show code units only",
    ),
    (
        "heap",
        EventType::HeapAllocate,
        "no heap allocations: the heap peak is the limits blocks' figure, heap per method is empty",
    ),
    (
        "soql",
        EventType::SoqlExecuteBegin,
        "no SOQL statements: counts come from limits blocks only, and no SOQL lint runs",
    ),
    (
        "query-plans",
        EventType::SoqlExecuteExplain,
        "no query plans: SOQL_TABLESCAN cannot be checked",
    ),
    (
        "dml",
        EventType::DmlBegin,
        "no DML statements: counts come from limits blocks only",
    ),
    (
        "callouts",
        EventType::CalloutRequest,
        "no callouts: the callouts section is empty whatever ran",
    ),
    (
        "limits",
        EventType::LimitUsageForNs,
        "no limits blocks: no governor limits, and limit findings cannot be raised",
    ),
    (
        "packages",
        EventType::EnteringManagedPkg,
        "no managed-package markers: package time is credited to its caller",
    ),
    (
        "statements",
        EventType::StatementExecute,
        "no statement lines: every package looks opaque, and loops show only their queries",
    ),
    (
        "exceptions",
        EventType::ExceptionThrown,
        "no thrown exceptions: only uncaught ones show, as FATAL_ERROR",
    ),
    ("debug", EventType::UserDebug, "no System.debug output"),
    (
        "flows",
        EventType::FlowStartInterviewBegin,
        "no flow interviews: flows and processes are not counted",
    ),
];

/// The header's levels, read from the first header, and its log line.
#[derive(Debug, Default)]
pub(super) struct Coverage {
    levels: Vec<(Category, HeaderLevel)>,
    line: u64,
    seen: bool,
}

impl Coverage {
    /// The first header of the input, at log line `line`.
    pub fn header(&mut self, raw: &[u8], line: u64) {
        if self.seen {
            return;
        }
        let Some(h) = header::parse(raw) else {
            return;
        };
        self.seen = true;
        self.line = line;
        for s in h.settings() {
            if let (Some(c), Some(l)) = (s.known_category(), s.known_level()) {
                match self.levels.iter_mut().find(|(k, _)| *k == c) {
                    Some(e) => e.1 = l,
                    None => self.levels.push((c, l)),
                }
            }
        }
    }

    fn level(&self, c: Category) -> Option<HeaderLevel> {
        self.levels.iter().find(|(k, _)| *k == c).map(|e| e.1)
    }

    /// Does the header hide `t` (`None`: it does not name its category)?
    fn hides(&self, t: EventType) -> Option<bool> {
        let (c, l) = (t.category()?, t.level()?);
        Some(!self.level(c)?.admits(l))
    }

    /// A note for each section the levels hide.
    pub fn notes(&self) -> Vec<LevelNote> {
        let mut v = Vec::new();
        for (section, t, note) in SECTIONS {
            if self.hides(t) != Some(true) {
                continue;
            }
            let (Some(c), Some(l)) = (t.category(), t.level()) else {
                continue;
            };
            v.push(LevelNote {
                section: section.into(),
                event: t.name().unwrap_or("").into(),
                category: c.as_str().into(),
                needs: l.as_str().into(),
                level: level_str(self.level(c)),
                note: note.into(),
            });
        }
        v
    }

    /// The `LEVELS_TOO_LOW` finding for the question asked (the view, `--tree`), if any:
    /// its context, line and message.
    pub fn too_low(&self, view: &ViewSpec, tree: bool) -> Option<(Ctx, u64, String)> {
        let t = EventType::MethodEntry;
        if self.hides(t) != Some(true) {
            return None;
        }
        let asked = match view {
            ViewSpec::Vendor(_) => format!("the {view} view asks for the package's frames"),
            _ if tree => "--tree asks for the call tree".to_string(),
            _ => return None,
        };
        let have = level_str(self.level(Category::ApexCode));
        let msg = format!(
            "{asked}, but APEX_CODE={have} writes no METHOD_ENTRY (it needs FINE): \
             only code units and package markers show; capture again with APEX_CODE=FINE \
             or finer"
        );
        let ctx = Ctx {
            ns: NsId::DEFAULT,
            caller: None,
            method: NONE,
            src_line: NONE,
        };
        Some((ctx, self.line.max(1), msg))
    }
}

fn level_str(l: Option<HeaderLevel>) -> String {
    match l {
        Some(HeaderLevel::None) => "NONE".into(),
        Some(HeaderLevel::At(l)) => l.as_str().into(),
        None => "-".into(),
    }
}

/// Title and remedy of `LEVELS_TOO_LOW`.
pub(super) fn native_text(id: &str) -> Option<(&'static str, Option<&'static str>)> {
    (id == "LEVELS_TOO_LOW").then_some((
        "Debug levels too low for this question",
        Some("Set the trace flag's debug level to APEX_CODE=FINE (FINEST for statement detail) and reproduce."),
    ))
}

/// The severity of `LEVELS_TOO_LOW`.
pub(super) const TOO_LOW: Severity = Severity::Warn;

/// The text section `What this log cannot show`.
pub(super) fn write_text<W: Write>(
    w: &mut W,
    r: &Report,
    st: &Style,
    width: usize,
) -> io::Result<()> {
    if r.not_shown.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        st.bold("What this log cannot show (its debug levels)")
    )?;
    for n in &r.not_shown {
        let text = format!(
            "{}={} (needs {}, for {}): {}",
            n.category, n.level, n.needs, n.event, n.note
        );
        let head = format!("  {:<12}", n.section);
        write_wrapped(w, width, &head, 14, &text, 4, &|s| s.to_string())?;
    }
    Ok(())
}
