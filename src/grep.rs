//! Searching logs: `dbglog grep`. A pattern (a regex, or a literal) is searched over the
//! whole buffer first (memmem or the regex engine's own literal prefilter), and only the
//! hits are mapped to the records that hold them, so a literal found on few lines costs
//! about one pass of memmem. Records are the unit: a multi-line event is searched whole
//! and reported at its first line.
//!
//! Counting (`-c`) and listing (`-l`) without filters frame only the record around each
//! hit. Printing hits (which carry the namespace and log line), `--event`, `--ns`,
//! `--context` and hiding views run the full pipeline (framing, parsing, tracking); under
//! a hiding view what is searched is the view's text of each record, so text hidden from
//! the subscriber is never searched or printed. Files, folders and archives are expanded
//! as `scan` does ([`crate::scan::walk`]); archive members are named `archive!member`.

use crate::event::EventType;
use crate::framing::{self, Framer, RecordKind};
use crate::input::unpack::{CountIn, Kind, Limit, is_tar, read_all};
use crate::stream::{self, Flow, Item, RunError, Sink, Threads};
use crate::track::Tracker;
use crate::view::{ViewOptions, ViewWriter};
use flate2::read::MultiGzDecoder;
use memchr::memmem;
use std::io::{self, Cursor};

/// How a pattern is matched.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// A literal, case-sensitive, anywhere (memmem).
    Literal(Box<memmem::Finder<'static>>),
    /// A regular expression over bytes (also literals with `-i` or `-w`).
    Regex(regex::bytes::Regex),
}

impl Matcher {
    /// Build a matcher: `fixed` for a literal, `ignore_case`, `word` (whole words only).
    pub fn new(pattern: &str, fixed: bool, ignore_case: bool, word: bool) -> Result<Self, String> {
        if fixed && !ignore_case && !word {
            if pattern.is_empty() {
                // The empty literal matches every record: the regex engine handles it.
                return Self::new("", false, false, false);
            }
            return Ok(Matcher::Literal(Box::new(
                memmem::Finder::new(pattern.as_bytes()).into_owned(),
            )));
        }
        let core = if fixed {
            regex::escape(pattern)
        } else {
            pattern.to_string()
        };
        let core = if word {
            format!(r"\b(?:{core})\b")
        } else {
            core
        };
        regex::bytes::RegexBuilder::new(&core)
            .case_insensitive(ignore_case)
            .multi_line(true)
            .build()
            .map(Matcher::Regex)
            .map_err(|e| format!("bad pattern: {e}"))
    }

    /// The start of the first match at or after `from`.
    #[inline]
    pub fn find_from(&self, hay: &[u8], from: usize) -> Option<usize> {
        if from > hay.len() {
            return None;
        }
        match self {
            Matcher::Literal(f) => f.find(&hay[from..]).map(|p| p + from),
            Matcher::Regex(r) => r.find_at(hay, from).map(|m| m.start()),
        }
    }

    /// Does `hay` contain a match?
    #[inline]
    pub fn is_match(&self, hay: &[u8]) -> bool {
        match self {
            Matcher::Literal(f) => f.find(hay).is_some(),
            Matcher::Regex(r) => r.is_match(hay),
        }
    }
}

/// What a search reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Every matching record.
    #[default]
    Hits,
    /// The number of matching records per file (`-c`).
    Count,
    /// Only whether a file matches (`-l`): the search stops at the first hit.
    Files,
}

/// A search.
#[derive(Clone, Debug)]
pub struct Options {
    /// The pattern.
    pub matcher: Matcher,
    /// What to report.
    pub mode: Mode,
    /// Only events of these type names (`--event`), if any.
    pub events: Vec<Vec<u8>>,
    /// Only records whose frame namespace is this (`--ns`; `(default)` for your own code).
    pub ns: Option<Vec<u8>>,
    /// The view whose text is searched (`--as`, `--own`).
    pub view: ViewOptions,
    /// Report the enclosing method of each hit (`--context`).
    pub context: bool,
    /// Inflating limits for compressed files and archives.
    pub limits: crate::scan::Options,
}

impl Options {
    /// Must every record be framed, parsed and tracked (rather than only those around hits)?
    pub fn needs_pipeline(&self) -> bool {
        self.mode == Mode::Hits
            || !self.events.is_empty()
            || self.ns.is_some()
            || self.context
            || self.hides()
    }

    /// Does the view hide anything (or redact)?
    pub fn hides(&self) -> bool {
        !self.view.visibility.full || self.view.redact.is_some()
    }
}

/// One matching record.
#[derive(Clone, Copy, Debug)]
pub struct Hit<'a> {
    /// The file (or `archive!member`).
    pub path: &'a str,
    /// The record's first line.
    pub line: u64,
    /// The namespace of the innermost frame.
    pub namespace: &'a [u8],
    /// The event type as written (`None` for header, text and truncation records).
    pub event: Option<&'a [u8]>,
    /// The text of the record's first line after `TYPE|` (the whole line for other records).
    pub text: &'a [u8],
    /// When the first match is on a later line of the record: that line.
    pub matched_line: Option<&'a [u8]>,
    /// With `--context`: the enclosing method (or code unit), `(ns)` when it is hidden.
    pub method: Option<&'a [u8]>,
}

/// What became of one searched file or member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The file's name (`archive!member` for members).
    pub name: String,
    /// Matching records.
    pub count: u64,
    /// Why it could not be searched, if so.
    pub error: Option<String>,
}

/// Callback for hits; its error (an output error) stops the search.
pub type OnHit<'f> = dyn FnMut(&Hit<'_>) -> io::Result<()> + 'f;

/// Search the bytes of one file as found on disk (a log, gzip, zip, tar or tar.gz),
/// calling `on_hit` for each matching record (in [`Mode::Hits`]). Returns one outcome per
/// log searched.
pub fn search_file(
    opts: &Options,
    name: &str,
    bytes: &[u8],
    threads: Threads,
    on_hit: &mut OnHit<'_>,
) -> Result<Vec<Outcome>, io::Error> {
    let mut out = Vec::new();
    search_any(opts, name, bytes, threads, 0, on_hit, &mut out)?;
    Ok(out)
}

fn failed(name: &str, why: impl Into<String>) -> Outcome {
    Outcome {
        name: name.to_string(),
        count: 0,
        error: Some(why.into()),
    }
}

fn search_any(
    opts: &Options,
    name: &str,
    bytes: &[u8],
    threads: Threads,
    depth: u32,
    on_hit: &mut OnHit<'_>,
    out: &mut Vec<Outcome>,
) -> io::Result<()> {
    let kind = Kind::detect(bytes);
    if kind == Kind::Log {
        let decoded;
        let enc = crate::input::decode::sniff(bytes);
        let buf = if enc.is_utf16() {
            decoded = crate::input::decode::utf16_to_utf8(bytes, enc);
            &decoded[..]
        } else {
            bytes
        };
        match search_log(opts, name, buf, threads, on_hit) {
            Ok(count) => out.push(Outcome {
                name: name.to_string(),
                count,
                error: None,
            }),
            Err(RunError::Consumer(e)) => return Err(e),
            Err(RunError::Input(e)) => out.push(failed(name, e.to_string())),
        }
        return Ok(());
    }
    if depth >= 3 {
        out.push(failed(name, format!("{} nested too deep", kind.as_str())));
        return Ok(());
    }
    let lim = &opts.limits;
    let mut member = |label: &str, data: &[u8], out: &mut Vec<Outcome>| {
        search_any(opts, label, data, Threads::One, depth + 1, on_hit, out)
    };
    match kind {
        Kind::Gzip => {
            let mut r = Limit::new(
                MultiGzDecoder::new(CountIn(bytes)),
                lim.max_inflate_size,
                lim.max_inflate_ratio,
            );
            let mut buf = Vec::new();
            match read_all(&mut r, &mut buf, 0) {
                Ok(n) if is_tar(&buf[..n]) => {
                    buf.truncate(n);
                    tar_members(name, &buf, f64::INFINITY, lim, &mut member, out)?
                }
                Ok(n) => member(name, &buf[..n], out)?,
                Err(e) => out.push(failed(name, format!("corrupt gzip data: {e}"))),
            }
        }
        Kind::Tar => tar_members(name, bytes, f64::INFINITY, lim, &mut member, out)?,
        Kind::Zip => {
            let mut ar = match zip::ZipArchive::new(CountIn(Cursor::new(bytes))) {
                Ok(a) => a,
                Err(e) => {
                    out.push(failed(name, format!("corrupt or truncated zip: {e}")));
                    return Ok(());
                }
            };
            let mut buf = Vec::new();
            for i in 0..ar.len() {
                let label = match ar.name_for_index(i) {
                    Some(Ok(n)) => format!("{name}!{n}"),
                    _ => format!("{name}!#{i}"),
                };
                let mut f = match ar.by_index(i) {
                    Ok(f) => f,
                    Err(e) => {
                        out.push(failed(&label, format!("cannot read zip member: {e}")));
                        continue;
                    }
                };
                if f.is_dir() || f.is_symlink() {
                    continue;
                }
                let res = read_all(
                    &mut Limit::new(&mut f, lim.max_inflate_size, lim.max_inflate_ratio),
                    &mut buf,
                    0,
                );
                drop(f);
                match res {
                    Ok(n) => member(&label, &buf[..n], out)?,
                    Err(e) => out.push(failed(&label, format!("corrupt zip data: {e}"))),
                }
            }
        }
        Kind::Log => unreachable!("handled above"),
    }
    Ok(())
}

/// Searches one archive member.
type Member<'m> = dyn FnMut(&str, &[u8], &mut Vec<Outcome>) -> io::Result<()> + 'm;

/// Search every regular file of a tar held in `bytes`.
fn tar_members(
    name: &str,
    bytes: &[u8],
    ratio: f64,
    lim: &crate::scan::Options,
    member: &mut Member<'_>,
    out: &mut Vec<Outcome>,
) -> io::Result<()> {
    let mut ar = tar::Archive::new(bytes);
    let entries = match ar.entries() {
        Ok(e) => e,
        Err(e) => {
            out.push(failed(name, format!("corrupt tar: {e}")));
            return Ok(());
        }
    };
    let mut buf = Vec::new();
    for ent in entries {
        let mut ent = match ent {
            Ok(e) => e,
            Err(e) => {
                out.push(failed(name, format!("corrupt tar: {e}")));
                break;
            }
        };
        let et = ent.header().entry_type();
        if !(et.is_file() || et.is_contiguous()) {
            continue;
        }
        let label = format!("{name}!{}", String::from_utf8_lossy(&ent.path_bytes()));
        match read_all(
            &mut Limit::new(&mut ent, lim.max_inflate_size, ratio),
            &mut buf,
            0,
        ) {
            Ok(n) => member(&label, &buf[..n], out)?,
            Err(e) => {
                out.push(failed(&label, format!("corrupt tar member: {e}")));
                break;
            }
        }
    }
    Ok(())
}

/// Search one log held in memory; returns the number of matching records.
pub fn search_log(
    opts: &Options,
    name: &str,
    buf: &[u8],
    threads: Threads,
    on_hit: &mut OnHit<'_>,
) -> Result<u64, RunError> {
    if !opts.hides() && opts.matcher.find_from(buf, 0).is_none() {
        // Nothing anywhere: no record needs framing.
        return Ok(0);
    }
    if !opts.needs_pipeline() {
        return Ok(count_records(&opts.matcher, buf, opts.mode == Mode::Files));
    }
    // Frame names are kept only when hits name their method.
    let mut tracker = Tracker::new().with_namespaces(&opts.view.visibility.visible);
    if !opts.context {
        tracker = tracker.without_closed();
    }
    if opts.view.visibility.full {
        // The driver's namespace stage is only needed where something is hidden.
        tracker = tracker.unprepared();
    }
    let mut search = Search {
        opts,
        name,
        buf,
        next_hit: if opts.hides() {
            None
        } else {
            opts.matcher.find_from(buf, 0)
        },
        writer: opts.hides().then(|| ViewWriter::new(&opts.view)),
        scratch: Vec::new(),
        method: Vec::new(),
        count: 0,
        on_hit,
    };
    stream::drive_bytes(buf, &mut tracker, threads, &mut search)?;
    Ok(search.count)
}

impl Sink for Search<'_, '_, '_> {
    /// Search one record; in `-l` mode, stop at the first match.
    #[inline]
    fn item(&mut self, item: &Item<'_>, t: &Tracker) -> io::Result<Flow> {
        let found = self.record(item, t)?;
        Ok(if found && self.opts.mode == Mode::Files {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }
}

struct Search<'o, 'h, 'b> {
    opts: &'o Options,
    name: &'o str,
    buf: &'b [u8],
    next_hit: Option<usize>,
    writer: Option<ViewWriter>,
    scratch: Vec<u8>,
    method: Vec<u8>,
    count: u64,
    on_hit: &'o mut OnHit<'h>,
}

impl Search<'_, '_, '_> {
    /// Search one record; true if it matched.
    fn record(&mut self, item: &Item<'_>, t: &Tracker) -> io::Result<bool> {
        let raw = item.record.raw;
        // The text searched: the record as the view shows it, or as it is.
        let shown: &[u8] = match &mut self.writer {
            Some(w) => {
                self.scratch.clear();
                w.write_item(item, t, &mut self.scratch)?;
                if self.scratch.is_empty() || !self.opts.matcher.is_match(&self.scratch) {
                    return Ok(false);
                }
                &self.scratch
            }
            None => {
                let start = item.record.offset as usize;
                let end = start + raw.len();
                match self.next_hit {
                    Some(h) if h < end => {}
                    _ => return Ok(false),
                }
                self.next_hit = self.opts.matcher.find_from(self.buf, end);
                raw
            }
        };
        let ns_id = item.loc.frame_ns;
        let ns = t.namespaces().name(ns_id);
        if let Some(want) = &self.opts.ns
            && ns != &want[..]
        {
            return Ok(false);
        }
        // What the record is in the shown text (a marker when the view hid it).
        let head = match (item.record.kind, self.writer.is_some()) {
            (RecordKind::Event, false) => item.record.head,
            (RecordKind::Event, true) => crate::event::parse::head(trim_eol(first_line_of(shown))),
            _ => None,
        };
        let event = head.map(|h| &shown[h.type_start as usize..h.type_end as usize]);
        if !self.opts.events.is_empty() {
            match event {
                Some(e) if self.opts.events.iter().any(|w| w[..] == *e) => {}
                _ => return Ok(false),
            }
        }
        self.count += 1;
        if self.opts.mode != Mode::Hits {
            return Ok(true);
        }
        let first = first_line_of(shown);
        let first = trim_eol(first);
        let text = match head {
            Some(h) => {
                let s = (h.type_end as usize + 1).min(first.len());
                &first[s..]
            }
            None => first,
        };
        let matched_line = if self.opts.matcher.is_match(first) {
            None
        } else {
            shown
                .split(|&c| c == b'\n')
                .skip(1)
                .find(|l| self.opts.matcher.is_match(l))
                .map(trim_eol)
        };
        let method = if self.opts.context {
            self.method.clear();
            enclosing_method(t, self.writer.as_mut(), &mut self.method);
            Some(&self.method[..])
        } else {
            None
        };
        let hit = Hit {
            path: self.name,
            line: item.record.line,
            namespace: ns,
            event,
            text,
            matched_line,
            method,
        };
        (self.on_hit)(&hit)?;
        Ok(true)
    }
}

/// The innermost method, constructor or code unit open at this point, into `out`; `(ns)`
/// when the view hides its namespace.
fn enclosing_method(t: &Tracker, writer: Option<&mut ViewWriter>, out: &mut Vec<u8>) {
    let frame = t
        .open_frames()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|(e, _, _)| {
            matches!(
                e,
                EventType::MethodEntry | EventType::ConstructorEntry | EventType::CodeUnitStarted
            )
        });
    let Some((_, ns, name)) = frame else { return };
    if let Some(w) = writer
        && w.policy_mut().hidden(ns, t)
    {
        out.push(b'(');
        out.extend_from_slice(t.namespaces().name(ns));
        out.push(b')');
        return;
    }
    out.extend_from_slice(name);
}

fn first_line_of(b: &[u8]) -> &[u8] {
    match memchr::memchr(b'\n', b) {
        Some(n) => &b[..=n],
        None => b,
    }
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Count the records that hold a match, framing only around each hit: the record of a hit
/// is found by framing from the nearest seam at or before the hit's line (usually that
/// line itself). With `first`, stop at the first.
pub fn count_records(m: &Matcher, buf: &[u8], first: bool) -> u64 {
    let mut count = 0;
    // End of the last record found: hits before it are in it.
    let mut covered = 0usize;
    let mut at = 0usize;
    while let Some(h) = m.find_from(buf, at) {
        if h < covered {
            at = covered;
            continue;
        }
        let end = record_end(buf, h, covered);
        count += 1;
        if first {
            break;
        }
        covered = end.max(h + 1);
        at = covered;
    }
    count
}

/// The end of the record that holds byte `h`, framing from the nearest seam at or before
/// its line (looking back at most 256 lines, and never before `floor`, a record boundary).
fn record_end(buf: &[u8], h: usize, floor: usize) -> usize {
    let mut line = memchr::memrchr(b'\n', &buf[floor..h]).map_or(floor, |p| floor + p + 1);
    let mut start = floor;
    for _ in 0..256 {
        if matches!(framing::seam(buf, line), Some((p, _)) if p == line) {
            start = line;
            break;
        }
        if line <= floor {
            break;
        }
        line = memchr::memrchr(b'\n', &buf[floor..line - 1]).map_or(floor, |p| floor + p + 1);
    }
    // Frame a window past the hit, growing it until the hit's record is complete (the
    // framer looks ahead through what it is given, so never hand it the whole rest).
    let mut window = 4 << 10;
    loop {
        let stop = (h + window).min(buf.len());
        let eof = stop == buf.len();
        let mut end = None;
        let _ =
            Framer::at(start as u64).feed(&buf[start..stop], eof, &mut |r: framing::Record<'_>| {
                let e = r.offset as usize + r.raw.len();
                if e > h {
                    end = Some(e);
                    return Err(());
                }
                Ok(())
            });
        match end {
            Some(e) => return e,
            None if eof => return buf.len(),
            None => window *= 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "61.0 APEX_CODE,FINEST\n\
12:00:00.0 (1)|EXECUTION_STARTED\n\
12:00:00.0 (2)|USER_DEBUG|[1]|DEBUG|first line\nneedle in the second\n\
12:00:00.0 (3)|USER_DEBUG|[2]|DEBUG|needle needle\n\
12:00:00.0 (4)|STATEMENT_EXECUTE|[3]\n\
12:00:00.0 (5)|EXECUTION_FINISHED\n";

    #[test]
    fn counting_around_hits_agrees_with_the_pipeline() {
        for (pat, fixed, i, w, want) in [
            ("needle", true, false, false, 2),
            ("NEEDLE", true, true, false, 2),
            ("need", true, false, true, 0),
            ("USER_DEBUG", false, false, false, 2),
            ("^12:00", false, false, false, 5),
            ("absent", true, false, false, 0),
        ] {
            let m = Matcher::new(pat, fixed, i, w).unwrap();
            assert_eq!(count_records(&m, LOG.as_bytes(), false), want, "{pat}");
            let opts = Options {
                matcher: m,
                mode: Mode::Hits,
                events: vec![],
                ns: None,
                view: ViewOptions {
                    visibility: crate::view::Visibility {
                        full: true,
                        visible: vec![],
                    },
                    ..Default::default()
                },
                context: false,
                limits: Default::default(),
            };
            let mut lines = Vec::new();
            let n = search_log(&opts, "t", LOG.as_bytes(), Threads::One, &mut |h| {
                lines.push(h.line);
                Ok(())
            })
            .unwrap();
            assert_eq!(n, want, "{pat}");
            assert_eq!(lines.len() as u64, want);
        }
    }
}
