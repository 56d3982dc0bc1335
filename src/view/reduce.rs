//! Reducers: filters in the view stage that make a log smaller and keep it a valid log.
//!
//! * `--level CATEGORY=LEVEL[,…]`: the log as Salesforce would have written it at those
//!   levels ([`event_level`] is the one place a type's level is read, from the catalogue).
//! * `--keep TYPE,…` / `--drop TYPE,…` (also `category:DB`).
//! * `--collapse-markers`: consecutive `ENTERING_MANAGED_PKG` lines of one namespace
//!   become the first.
//! * `--within PATTERN`: only the frames whose name matches, with the entry and exit lines
//!   of the frames around them.
//!
//! Every reducer works record by record on what the view decided, so it composes with
//! `--as`, `--own` and `--redact`, and streams (it holds only the entry lines of the open
//! frames, for `--within`). Frames stay balanced: an exit is written exactly when its
//! entry was. Whatever the reducer, three things stay, because without them no reader can
//! tell a package's lines from the subscriber's and the subscriber view of the output
//! would show package internals: `ENTERING_MANAGED_PKG` markers, limit blocks
//! (`CUMULATIVE_LIMIT_USAGE` … `_END`, whose `LIMIT_USAGE_FOR_NS|ns|` lines name the
//! packages) and the entry and exit of every call into a package from outside it (what a
//! subscriber's own log shows of the call). Not even `--drop` removes them.

use super::policy::Decision;
use super::writer::ViewWriter;
use crate::event::table::{ALL, KNOWN_COUNT};
use crate::event::{Category, Event, EventType, Level, Role};
use crate::framing::RecordKind;
use crate::namespace::NsId;
use crate::stream::Item;
use crate::track::Tracker;
use std::io::{self, Write};
use std::sync::OnceLock;

/// A category by its header token (`APEX_CODE`).
pub fn category(name: &str) -> Option<Category> {
    Category::ALL
        .iter()
        .copied()
        .find(|c| c.as_str().eq_ignore_ascii_case(name))
}

/// A level by its header token (`DEBUG`).
pub fn level(name: &[u8]) -> Option<Level> {
    Level::ALL
        .iter()
        .copied()
        .find(|l| l.as_str().as_bytes().eq_ignore_ascii_case(name))
}

/// The entry type an exit type closes (for exits), else the type itself.
fn entry_of(t: EventType) -> EventType {
    static T: OnceLock<Vec<EventType>> = OnceLock::new();
    let map = T.get_or_init(|| {
        let mut v: Vec<EventType> = ALL.to_vec();
        v.push(EventType::Unknown);
        for &(open, closes) in crate::event::kind::FRAME_PAIRS {
            for &c in closes {
                v[c as usize] = open;
            }
        }
        v
    });
    map.get(t as usize).copied().unwrap_or(t)
}

/// The category and level at which Salesforce writes events of type `t`: the catalogue's,
/// where an exit takes its entry's (so a frame is kept or dropped whole). The one function
/// `--level` reads levels through. `None` for unknown types (always kept).
pub fn event_level(t: EventType) -> Option<(Category, Level)> {
    let e = entry_of(t);
    Some((e.category()?, e.level()?))
}

/// The level of one event: [`event_level`], except that `USER_DEBUG|[n]|LEVEL|…` is written
/// at the level it names (`System.debug(LoggingLevel.WARN, …)`).
pub fn record_level(ev: &Event<'_>) -> Option<(Category, Level)> {
    let t = ev.etype();
    if t == EventType::UserDebug
        && let Some(l) = ev.field(1).and_then(level)
    {
        return Some((Category::ApexCode, l));
    }
    event_level(t)
}

/// The value of `--level`: the highest level kept per category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Levels(pub Vec<(Category, Level)>);

impl Levels {
    /// Parse `APEX_CODE=DEBUG,DB=INFO`.
    pub fn parse(s: &str) -> Result<Levels, String> {
        parse_levels(s).map(Levels)
    }
}

/// `--level APEX_CODE=DEBUG,DB=INFO`.
pub fn parse_levels(s: &str) -> Result<Vec<(Category, Level)>, String> {
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (c, l) = part.split_once('=').ok_or_else(|| {
            format!("bad level '{part}': expected CATEGORY=LEVEL, e.g. APEX_CODE=DEBUG")
        })?;
        let c = category(c.trim()).ok_or_else(|| {
            format!(
                "unknown category '{c}'; categories: {}",
                Category::ALL.map(|c| c.as_str()).join(", ")
            )
        })?;
        let l = level(l.trim().as_bytes()).ok_or_else(|| {
            format!(
                "unknown level '{l}'; levels: {}",
                Level::ALL.map(|l| l.as_str()).join(", ")
            )
        })?;
        v.push((c, l));
    }
    if v.is_empty() {
        return Err("--level needs CATEGORY=LEVEL[,…]".into());
    }
    Ok(v)
}

/// A set of event types (`--keep`, `--drop`): names or `category:CAT`. A frame's entry
/// brings its exits and an exit its entry, so frames stay balanced.
#[derive(Clone, Debug)]
pub struct TypeSet(Box<[bool]>);

impl TypeSet {
    /// Parse `USER_DEBUG,category:DB`.
    pub fn parse(s: &str) -> Result<TypeSet, String> {
        let mut set = vec![false; KNOWN_COUNT + 1];
        let mut any = false;
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            any = true;
            if let Some(c) = part.strip_prefix("category:") {
                let c = category(c).ok_or_else(|| format!("unknown category '{c}'"))?;
                for &t in ALL.iter() {
                    if t.category() == Some(c) {
                        set[t as usize] = true;
                    }
                }
                continue;
            }
            let t = EventType::from_name(part.as_bytes());
            if t == EventType::Unknown {
                return Err(format!(
                    "unknown event type '{part}' (names as in the log, e.g. USER_DEBUG, or category:DB)"
                ));
            }
            set[t as usize] = true;
        }
        if !any {
            return Err("an empty list of event types".into());
        }
        // Balance frames: an entry and its exits go together.
        for &(open, closes) in crate::event::kind::FRAME_PAIRS {
            let on = set[open as usize] || closes.iter().any(|c| set[*c as usize]);
            if on {
                set[open as usize] = true;
                for &c in closes {
                    set[c as usize] = true;
                }
            }
        }
        Ok(TypeSet(set.into_boxed_slice()))
    }

    /// Is `t` in the set?
    #[inline]
    pub fn has(&self, t: EventType) -> bool {
        self.0.get(t as usize).copied().unwrap_or(false)
    }
}

/// What to reduce (all optional; the default reduces nothing).
#[derive(Clone, Debug, Default)]
pub struct ReduceSpec {
    /// `--level`: the highest level kept per category.
    pub levels: Vec<(Category, Level)>,
    /// `--keep`.
    pub keep: Option<TypeSet>,
    /// `--drop`.
    pub drop: Option<TypeSet>,
    /// `--collapse-markers`.
    pub collapse_markers: bool,
    /// `--within`.
    pub within: Option<regex::bytes::Regex>,
}

impl ReduceSpec {
    /// Does it reduce anything?
    pub fn is_active(&self) -> bool {
        !self.levels.is_empty()
            || self.keep.is_some()
            || self.drop.is_some()
            || self.collapse_markers
            || self.within.is_some()
    }
}

/// Types `--keep` keeps whatever it lists: the execution and code-unit frames and errors.
fn always_kept(t: EventType) -> bool {
    use EventType::*;
    matches!(
        t,
        ExecutionStarted
            | ExecutionFinished
            | CodeUnitStarted
            | CodeUnitFinished
            | FatalError
            | ExceptionThrown
    ) || t.name().is_some_and(|n| n.ends_with("_ERROR"))
}

/// Frame types `--within` matches by name.
fn named_frame(t: EventType) -> bool {
    use EventType::*;
    matches!(
        t,
        CodeUnitStarted
            | MethodEntry
            | ConstructorEntry
            | FlowStartInterviewsBegin
            | FlowStartInterviewBegin
            | FlowElementBegin
            | VfApexCallStart
    )
}

/// One open frame as the reducer sees it.
#[derive(Debug)]
struct Frame {
    /// Its entry line as the view writes it, held until it is known whether the frame
    /// matters (`--within`).
    entry: Vec<u8>,
    /// Was the entry written?
    written: bool,
}

/// The reducer's state while a log streams.
#[derive(Debug)]
pub struct Reducer {
    spec: ReduceSpec,
    max_level: [Option<Level>; 11],
    in_limit_block: bool,
    frames: Vec<Frame>,
    /// `--within`: depth of the matching frame being written.
    active: Option<usize>,
    /// Namespace of the marker line written last, if the last line written was one.
    last_marker: Option<Vec<u8>>,
    /// `--within`: the last marker line outside the written frames.
    held_marker: Option<Vec<u8>>,
    scratch: Vec<u8>,
}

fn cat_index(c: Category) -> usize {
    Category::ALL.iter().position(|&x| x == c).unwrap_or(0)
}

impl Reducer {
    /// A reducer for a spec.
    pub fn new(spec: ReduceSpec) -> Self {
        let mut max_level = [None; 11];
        for &(c, l) in &spec.levels {
            max_level[cat_index(c)] = Some(l);
        }
        Reducer {
            spec,
            max_level,
            in_limit_block: false,
            frames: Vec::new(),
            active: None,
            last_marker: None,
            held_marker: None,
            scratch: Vec::new(),
        }
    }

    /// The header with the requested levels, or an error naming what the log lacks.
    fn rewrite_header(&self, raw: &[u8], line: u64, out: &mut Vec<u8>) -> io::Result<()> {
        let term = super::writer::terminator(raw);
        let body = &raw[..raw.len() - term.len()];
        let Some(sp) = memchr::memchr(b' ', body) else {
            out.extend_from_slice(raw);
            return Ok(());
        };
        let mut parts: Vec<(Vec<u8>, Vec<u8>)> = body[sp + 1..]
            .split(|&c| c == b';')
            .map(|p| match memchr::memchr(b',', p) {
                Some(k) => (p[..k].to_vec(), p[k + 1..].to_vec()),
                None => (p.to_vec(), Vec::new()),
            })
            .collect();
        for &(c, l) in &self.spec.levels {
            let Some(p) = parts
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(c.as_str().as_bytes()))
            else {
                return Err(io::Error::other(format!(
                    "--level {}={}: the log lacks {} (its header, line {line}, names no {} level)",
                    c.as_str(),
                    l.as_str(),
                    c.as_str(),
                    c.as_str()
                )));
            };
            let have = level(&p.1);
            if have.is_some_and(|h| l > h) {
                return Err(io::Error::other(format!(
                    "--level {}={}: the log lacks {} at {} (its header, line {line}, has {},{}); levels can only be lowered",
                    c.as_str(),
                    l.as_str(),
                    c.as_str(),
                    l.as_str(),
                    c.as_str(),
                    String::from_utf8_lossy(&p.1)
                )));
            }
            p.1 = l.as_str().as_bytes().to_vec();
        }
        out.extend_from_slice(&body[..=sp]);
        for (i, (n, l)) in parts.iter().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(n);
            if !l.is_empty() {
                out.push(b',');
                out.extend_from_slice(l);
            }
        }
        out.extend_from_slice(term);
        Ok(())
    }

    /// Does the level filter keep this event?
    fn level_keeps(&self, ev: &Event<'_>) -> bool {
        if self.spec.levels.is_empty() {
            return true;
        }
        let t = ev.etype();
        let lv = if self.in_limit_block || t == EventType::CumulativeLimitUsageEnd {
            event_level(EventType::CumulativeLimitUsage)
        } else {
            record_level(ev)
        };
        match lv {
            Some((c, l)) => self.max_level[cat_index(c)].is_none_or(|max| l <= max),
            None => true,
        }
    }

    /// View one record through the reducers.
    pub fn write_item<W: Write + ?Sized>(
        &mut self,
        w: &mut ViewWriter,
        item: &Item<'_>,
        t: &Tracker,
        out: &mut W,
    ) -> io::Result<Decision> {
        let Some(ev) = item.event else {
            return self.write_other(w, item, t, out);
        };
        let d = w.decide(item, t);
        let orig = ev.etype();
        let eff = match d {
            Decision::Marker(_) => EventType::EnteringManagedPkg,
            _ => orig,
        };
        if orig == EventType::CumulativeLimitUsage {
            self.in_limit_block = true;
        }
        let protected = orig == EventType::EnteringManagedPkg
            || self.in_limit_block
            || orig == EventType::CumulativeLimitUsageEnd
            || package_call(item, t, orig);
        let explicit_drop = !protected && self.spec.drop.as_ref().is_some_and(|s| s.has(eff));
        let mut keep = !matches!(d, Decision::Drop(_)) && !explicit_drop;
        if keep && !protected {
            if let Some(k) = &self.spec.keep {
                keep = k.has(eff) || always_kept(eff) || eff == EventType::EnteringManagedPkg;
            }
            keep = keep && self.level_keeps(&ev);
        }
        if orig == EventType::CumulativeLimitUsageEnd {
            self.in_limit_block = false;
        }
        if keep && self.spec.collapse_markers && eff == EventType::EnteringManagedPkg {
            let name = marker_ns(item, t, d);
            if self.last_marker.as_deref() == Some(name) {
                keep = false;
            }
        }
        // Frames: keep the stack in step with the tracker's.
        let after = t.depth() as usize;
        let role = orig.role();
        match role {
            Role::Open(_) if after > 0 => {
                self.frames.truncate(after - 1);
                // A limit block counts as a match: it names the packages.
                let within_starts = self.active.is_none()
                    && d == Decision::Keep
                    && self.spec.within.as_ref().is_some_and(|re| {
                        orig == EventType::CumulativeLimitUsage
                            || (named_frame(orig) && re.is_match(ev.first_line()))
                    });
                if self.spec.within.is_some() && self.active.is_none() && !within_starts {
                    // Held: written only if a matching frame opens inside it.
                    self.scratch.clear();
                    if keep {
                        self.emit(w, item, t, d, true)?;
                    }
                    let entry = std::mem::take(&mut self.scratch);
                    self.frames.push(Frame {
                        entry,
                        written: false,
                    });
                    return Ok(d);
                }
                if within_starts {
                    for f in &mut self.frames {
                        if !f.written {
                            out.write_all(&f.entry)?;
                            f.written = true;
                        }
                    }
                    if let Some(m) = self.held_marker.take() {
                        out.write_all(&m)?;
                    }
                    self.active = Some(after);
                }
                let wrote = keep && self.emit_to(w, item, t, d, out)?;
                self.frames.push(Frame {
                    entry: Vec::new(),
                    written: wrote,
                });
                Ok(d)
            }
            Role::Close if after < self.frames.len() => {
                let written = self.frames[after].written;
                self.frames.truncate(after);
                if written {
                    self.emit_to(w, item, t, d, out)?;
                }
                if self.active.is_some_and(|a| after < a) {
                    self.active = None;
                }
                Ok(d)
            }
            _ => {
                self.frames.truncate(after);
                if self.active.is_some_and(|a| after < a) {
                    self.active = None;
                }
                let inside = self.spec.within.is_none() || self.active.is_some();
                if keep && inside {
                    self.emit_to(w, item, t, d, out)?;
                } else if keep && eff == EventType::EnteringManagedPkg {
                    // A marker outside the frames `--within` writes: held, so that a match
                    // that starts in its run still shows whose code it is.
                    self.scratch.clear();
                    self.emit(w, item, t, d, true)?;
                    self.held_marker = Some(std::mem::take(&mut self.scratch));
                }
                while self.frames.len() < after {
                    // A marker run (a pseudo-frame): no exit line to balance.
                    self.frames.push(Frame {
                        entry: Vec::new(),
                        written: true,
                    });
                }
                Ok(d)
            }
        }
    }

    /// Write the view of an event to `out`; true if anything was written.
    fn emit_to<W: Write + ?Sized>(
        &mut self,
        w: &mut ViewWriter,
        item: &Item<'_>,
        t: &Tracker,
        d: Decision,
        out: &mut W,
    ) -> io::Result<bool> {
        let wrote = w.emit(d, item, t, out)?;
        if wrote {
            self.note_written(item, t, d);
        }
        Ok(wrote)
    }

    /// Write the view of an event to the scratch buffer.
    fn emit(
        &mut self,
        w: &mut ViewWriter,
        item: &Item<'_>,
        t: &Tracker,
        d: Decision,
        _held: bool,
    ) -> io::Result<bool> {
        let mut buf = std::mem::take(&mut self.scratch);
        let r = w.emit(d, item, t, &mut buf);
        self.scratch = buf;
        r
    }

    fn note_written(&mut self, item: &Item<'_>, t: &Tracker, d: Decision) {
        let is_marker = matches!(d, Decision::Marker(_))
            || item
                .event
                .is_some_and(|e| e.etype() == EventType::EnteringManagedPkg);
        self.last_marker = if is_marker {
            Some(marker_ns(item, t, d).to_vec())
        } else {
            None
        };
    }

    /// Header, text and truncation records.
    fn write_other<W: Write + ?Sized>(
        &mut self,
        w: &mut ViewWriter,
        item: &Item<'_>,
        t: &Tracker,
        out: &mut W,
    ) -> io::Result<Decision> {
        self.last_marker = None;
        match item.record.kind {
            RecordKind::Header => {
                self.frames.clear();
                self.active = None;
                self.held_marker = None;
                self.in_limit_block = false;
                if self.spec.levels.is_empty() {
                    w.emit(Decision::Keep, item, t, out)?;
                } else {
                    let mut h = Vec::new();
                    self.rewrite_header(item.record.raw, item.record.line, &mut h)?;
                    out.write_all(&h)?;
                }
            }
            RecordKind::Bom => {
                w.emit(Decision::Keep, item, t, out)?;
            }
            _ => {
                if self.spec.within.is_none() || self.active.is_some() {
                    w.emit(Decision::Keep, item, t, out)?;
                }
            }
        }
        Ok(Decision::Keep)
    }
}

/// The namespace a marker names.
fn marker_ns<'t>(item: &Item<'_>, t: &'t Tracker, d: Decision) -> &'t [u8] {
    match d {
        Decision::Marker(ns) | Decision::Drop(ns) => t.namespaces().name(ns),
        Decision::Keep => t.namespaces().name(item.loc.frame_ns),
    }
}

/// Is this the entry or exit of a call into a package from code of another namespace (a
/// method or constructor whose namespace is a package's and differs from its caller's)?
fn package_call(item: &Item<'_>, t: &Tracker, orig: EventType) -> bool {
    use EventType::*;
    let (ns, parent): (NsId, NsId) = match orig {
        MethodEntry | ConstructorEntry => {
            let d = item.loc.depth as usize;
            let parent = if d >= 2 {
                t.open_namespaces().nth(d - 2).unwrap_or(NsId::DEFAULT)
            } else {
                NsId::DEFAULT
            };
            (item.loc.frame_ns, parent)
        }
        // After an exit the innermost frame is the caller's.
        MethodExit | ConstructorExit => (item.loc.frame_ns, t.current_ns()),
        _ => return false,
    };
    if ns == parent || ns.is_default() {
        return false;
    }
    let name = t.namespaces().name(ns);
    memchr::memmem::find(name, b"__").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_type_sets_parse() {
        assert_eq!(
            parse_levels("APEX_CODE=DEBUG, db=info").unwrap(),
            vec![
                (Category::ApexCode, Level::Debug),
                (Category::Db, Level::Info)
            ]
        );
        assert!(
            parse_levels("APEX_CODE")
                .unwrap_err()
                .contains("CATEGORY=LEVEL")
        );
        assert!(
            parse_levels("CODE=DEBUG")
                .unwrap_err()
                .contains("APEX_CODE")
        );
        assert!(
            parse_levels("APEX_CODE=LOUD")
                .unwrap_err()
                .contains("FINEST")
        );
        let s = TypeSet::parse("METHOD_ENTRY,category:DB").unwrap();
        assert!(s.has(EventType::MethodExit), "an entry brings its exit");
        assert!(s.has(EventType::SoqlExecuteEnd) && s.has(EventType::DmlBegin));
        assert!(!s.has(EventType::UserDebug));
        assert!(TypeSet::parse("NOT_A_TYPE").is_err());
    }

    #[test]
    fn exits_take_their_entry_level() {
        assert_eq!(
            event_level(EventType::MethodExit),
            event_level(EventType::MethodEntry)
        );
        assert_eq!(
            event_level(EventType::UserDebug),
            Some((Category::ApexCode, Level::Debug))
        );
        assert_eq!(event_level(EventType::Unknown), None);
    }

    #[test]
    fn the_header_shows_the_new_levels_and_a_finer_level_is_refused() {
        let spec = ReduceSpec {
            levels: parse_levels("APEX_CODE=DEBUG").unwrap(),
            ..Default::default()
        };
        let r = Reducer::new(spec);
        let mut out = Vec::new();
        r.rewrite_header(b"61.0 APEX_CODE,FINEST;DB,INFO\r\n", 1, &mut out)
            .unwrap();
        assert_eq!(out, b"61.0 APEX_CODE,DEBUG;DB,INFO\r\n");
        out.clear();
        let e = r
            .rewrite_header(b"61.0 APEX_CODE,ERROR;DB,INFO\n", 7, &mut out)
            .unwrap_err();
        assert!(e.to_string().contains("lacks APEX_CODE at DEBUG"), "{e}");
        let e = r
            .rewrite_header(b"61.0 DB,INFO\n", 1, &mut out)
            .unwrap_err();
        assert!(e.to_string().contains("lacks APEX_CODE"), "{e}");
    }
}
