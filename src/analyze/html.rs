//! The HTML form of a [`Report`] (`dbglog analyze --format html`): one self-contained page
//! that opens from a file with no request to the network.
//!
//! The page is built from the same [`Report`] as the text and JSON forms, so it shows the
//! same findings in the same order; a [`Timeline`] collected in the same pass adds what the
//! report caps (every frame, with start and end, for the flame chart and the foldable call
//! tree). Frames of namespaces the view hides are named `(ns)`, and a hidden frame inside
//! another hidden frame is folded into it, so the page shows one opaque run per package
//! call, as the subscriber's log does.
//!
//! Safety: every text from the log is escaped for HTML in the static parts, and the data
//! block is JSON with `<`, `>`, `&` and the line separators written as `\u` escapes, so no
//! log text can close a `<script>` element. A Content-Security-Policy meta tag forbids
//! every load (`default-src 'none'`); the one inline script is allowed by its SHA-256 hash
//! and the inline style by `'unsafe-inline'` (styles cannot run code). The static parts
//! (header, findings, limits, statement tables, callouts, heap, methods, time by category,
//! the order of execution per DML, what the log cannot show) need no JavaScript. See
//! `docs/html.md`.

use super::{Report, StatementTable};
use crate::event::EventType;
use crate::event::payload::dml;
use crate::framing::RecordKind;
use crate::input::Input;
use crate::namespace::NsId;
use crate::rules::Catalogue;
use crate::stream::{self, Item, RunError};
use crate::track::{ClosedFrame, Tracker};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

mod sections;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Most frames drawn: beyond it the narrowest frames are culled (and counted on the frame
/// that holds them), so the page stays small and the chart responsive.
pub const FRAME_BUDGET: usize = 20_000;
/// Longest frame name kept (bytes).
const NAME_CAP: usize = 300;
/// Most call-tree or timeline marks of exceptions and truncation kept.
const MARK_CAP: usize = 1_000;

#[derive(Clone, Debug)]
struct Rec {
    start: u64,
    end: u64,
    depth: u32,
    line: u64,
    name: u32,
    ns: NsId,
    entry: EventType,
    self_time: u64,
    soql: u64,
    dml: u64,
    rows: u64,
    estimated: bool,
}

/// What the timeline and the call tree need, collected beside the [`super::Analyzer`] in
/// the same pass: every closed frame with its start, end and depth on one time axis (the
/// logs of an input one after the other), its SOQL and DML counts and rows (its own and
/// those of the frames inside it), and the times of exceptions and truncation markers.
#[derive(Default, Debug)]
pub struct Timeline {
    recs: Vec<Rec>,
    ids: HashMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
    /// Per open depth: SOQL, DML and rows of the frames closed below it.
    sub: Vec<[u64; 3]>,
    /// DML rows by the log line of their `DML_BEGIN` (read when its frame closes).
    dml_rows: HashMap<u64, u64>,
    offset: u64,
    last: u64,
    /// (log line, time) of `EXCEPTION_THROWN` and `FATAL_ERROR` events.
    exceptions: Vec<(u64, u64)>,
    /// (log line, time) of truncation markers.
    markers: Vec<(u64, u64)>,
    logs: u32,
    /// With `--embed-log`: the log as the view shows it (see [`embedded_log`]).
    pub log: Option<Vec<(u64, String)>>,
}

impl Timeline {
    fn intern(&mut self, s: &[u8]) -> u32 {
        let s = &s[..s.len().min(NAME_CAP)];
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(Box::from(s));
        self.ids.insert(Box::from(s), id);
        id
    }

    /// Consume one item (after the tracker saw it).
    pub fn item(&mut self, item: &Item<'_>, t: &Tracker) {
        match item.record.kind {
            RecordKind::Header => {
                self.closed(t, None);
                if self.logs > 0 {
                    self.offset += self.last;
                    self.last = 0;
                }
                self.logs += 1;
                return;
            }
            RecordKind::Skipped | RecordKind::MaxSize => {
                self.closed(t, None);
                if self.markers.len() < MARK_CAP {
                    self.markers
                        .push((item.record.line, self.offset + self.last));
                }
                return;
            }
            RecordKind::Event => {}
            _ => return,
        }
        let Some(ev) = item.event.as_ref() else {
            return;
        };
        if let Some(n) = ev.nanos() {
            self.last = self.last.max(n);
        }
        match ev.etype() {
            EventType::DmlBegin => {
                if let Some(r) = dml::rows(ev.first_line()) {
                    self.dml_rows.insert(ev.line, r);
                }
            }
            EventType::ExceptionThrown | EventType::FatalError
                if self.exceptions.len() < MARK_CAP =>
            {
                let at = ev.nanos().unwrap_or(self.last);
                self.exceptions.push((ev.line, self.offset + at));
            }
            _ => {}
        }
        self.closed(t, Some(ev));
    }

    /// Account for the frames the tracker just closed (also once after `Tracker::finish`).
    pub fn closed(&mut self, t: &Tracker, ev: Option<&crate::event::Event<'_>>) {
        let frames: Vec<ClosedFrame<'_>> = t.closed().collect();
        for f in frames {
            self.frame(&f, ev);
        }
    }

    fn frame(&mut self, f: &ClosedFrame<'_>, ev: Option<&crate::event::Event<'_>>) {
        let d = f.depth as usize;
        let mut c = [0u64; 3];
        match f.entry {
            EventType::SoqlExecuteBegin => {
                c[0] = 1;
                if let Some(e) = ev.filter(|e| e.etype() == EventType::SoqlExecuteEnd) {
                    c[2] = dml::rows(e.first_line()).unwrap_or(0);
                }
            }
            EventType::DmlBegin => {
                c[1] = 1;
                c[2] = self.dml_rows.remove(&f.log_line).unwrap_or(0);
            }
            _ => {}
        }
        for s in self.sub.iter().skip(d + 1) {
            for (a, b) in c.iter_mut().zip(s) {
                *a += b;
            }
        }
        self.sub.truncate(d + 1);
        if self.sub.len() < d + 1 {
            self.sub.resize(d + 1, [0; 3]);
        }
        for (a, b) in self.sub[d].iter_mut().zip(c) {
            *a += b;
        }
        let name = self.intern(f.name);
        self.recs.push(Rec {
            start: self.offset + f.start,
            end: self.offset + f.end.max(f.start),
            depth: f.depth,
            line: f.log_line,
            name,
            ns: f.ns,
            entry: f.entry,
            self_time: f.self_time,
            soql: c[0],
            dml: c[1],
            rows: c[2],
            estimated: f.estimated(),
        });
    }
}

/// Analyze `input` as [`super::analyze`] does, and collect the [`Timeline`] in the same
/// pass; with `embed`, also the log as the view shows it (for an input held in memory, see
/// [`crate::view::in_memory`]; a stream is read once, so it has none).
pub fn analyze(
    input: &mut Input,
    opts: &super::Options,
    catalogue: &Catalogue,
    embed: bool,
) -> Result<(Report, Timeline, Vec<String>), RunError> {
    let mut tracker = Tracker::new()
        .with_namespaces(opts.view.named_namespaces())
        .with_namespaces(&opts.own);
    let mut a = super::Analyzer::new(opts.clone(), catalogue);
    let mut tl = Timeline::default();
    /// The analyzer and the timeline as one consumer: each accounts for the frames a
    /// record closes itself, and for those the end closes at the end.
    struct Run<'a, 'c>(&'a mut super::Analyzer<'c>, &'a mut Timeline);
    impl stream::Sink for Run<'_, '_> {
        fn item(&mut self, item: &Item<'_>, t: &Tracker) -> io::Result<stream::Flow> {
            self.0.item(item, t);
            self.1.item(item, t);
            Ok(stream::Flow::Continue)
        }
        fn end(&mut self, t: &Tracker, _: &stream::Summary) -> io::Result<()> {
            self.0.closed(t, None);
            self.1.closed(t, None);
            Ok(())
        }
    }
    let run = Run(&mut a, &mut tl);
    let summary = stream::drive(input, &mut tracker, stream::Threads::Auto, run)?;
    let nss: Vec<String> = tracker
        .namespaces()
        .iter()
        .map(|(_, n)| String::from_utf8_lossy(n).into_owned())
        .collect();
    let mut report = a.finish(&tracker);
    report.file = input.name.clone();
    report.summary.bytes = summary.bytes;
    report.summary.events = summary.events;
    report.summary.logs = summary.logs;
    if embed && input.as_slice().is_some() {
        tl.log = Some(embedded_log(input, &opts.view, &opts.own)?);
    }
    Ok((report, tl, nss))
}

/// The log as `dbglog view --as VIEW --own OWN` writes it, one entry per record that shows
/// anything: the record's first line in the input (the number findings cite) and the text
/// the view writes for it. A run of hidden records is the one marker line of its first
/// record; every other record keeps its lines, so a line of the input maps to the last
/// entry at or before it.
pub fn embedded_log(
    input: &mut Input,
    view: &crate::view::ViewSpec,
    own: &[String],
) -> Result<Vec<(u64, String)>, RunError> {
    let opts = crate::view::ViewOptions {
        visibility: crate::view::Visibility::new(view, own),
        ..Default::default()
    };
    let mut tracker = crate::view::tracker_for(&opts).without_closed();
    let mut w = crate::view::ViewWriter::new(&opts);
    let mut log = Vec::new();
    let mut buf = Vec::new();
    stream::run(input, &mut tracker, |item, t| {
        buf.clear();
        w.write_item(item, t, &mut buf)?;
        if !buf.is_empty() {
            let text = String::from_utf8_lossy(&buf);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            log.push((item.record.line, text.to_string()));
        }
        Ok(())
    })?;
    Ok(log)
}

/// Page options.
#[derive(Clone, Debug, Default)]
pub struct PageOptions {
    /// The classes the log was redacted with before the analysis (`None`: not redacted).
    pub redaction: Option<crate::view::RedactSpec>,
}

/// The data block of the page (one JSON object, read by the script).
#[derive(Serialize)]
struct Data<'a> {
    /// Namespace names, indexed by the frames' `ns`.
    ns: Vec<String>,
    /// Frame names, indexed by the frames' `name`.
    names: Vec<String>,
    /// Entry event types, indexed by the frames' `kind`.
    kinds: Vec<&'static str>,
    /// `[start, end, depth, name, ns, kind, self, soql, dml, rows, line, flags, culled]`;
    /// flags: 1 = end estimated.
    frames: Vec<[u64; 13]>,
    /// Frames collected and frames left out (culled under the budget).
    frames_total: usize,
    frames_culled: usize,
    /// `[time, line, finding index]` of exceptions that are findings in this view.
    exceptions: Vec<[u64; 3]>,
    /// `[time, line]` of truncation markers.
    truncations: Vec<[u64; 2]>,
    wall: u64,
    file: &'a str,
    /// With `--embed-log`: `[first line, text]` per record the view shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<&'a [(u64, String)]>,
}

fn visible_kind(e: EventType) -> bool {
    matches!(
        e,
        EventType::SoqlExecuteBegin
            | EventType::DmlBegin
            | EventType::SoslExecuteBegin
            | EventType::CalloutRequest
            | EventType::EnteringManagedPkg
    )
}

fn build_data<'a>(r: &'a Report, tl: &'a Timeline, nss: &[String]) -> Data<'a> {
    let hidden: Vec<bool> = nss
        .iter()
        .map(|n| r.hidden_namespaces.iter().any(|h| h == n))
        .collect();
    let is_hidden = |ns: NsId| hidden.get(ns.0 as usize).copied().unwrap_or(false);
    // Pre-order: by entry line (lines grow through the logs of an input).
    let mut order: Vec<usize> = (0..tl.recs.len()).collect();
    order.sort_by_key(|&i| (tl.recs[i].line, tl.recs[i].depth));
    // Which frames survive the budget: the widest ones.
    let (thr, mut ties) = if tl.recs.len() > FRAME_BUDGET {
        let mut w: Vec<u64> = tl.recs.iter().map(|f| f.end - f.start).collect();
        w.sort_unstable_by(|a, b| b.cmp(a));
        let thr = w[FRAME_BUDGET - 1];
        let above = w.iter().filter(|&&x| x > thr).count();
        (thr, FRAME_BUDGET - above)
    } else {
        (0, usize::MAX)
    };
    let mut names: Vec<String> = Vec::new();
    let mut name_ids: HashMap<String, u64> = HashMap::new();
    let mut kinds: Vec<&'static str> = Vec::new();
    let mut frames: Vec<[u64; 13]> = Vec::new();
    // (original depth, index of the kept frame children attach to, hidden run, culled)
    let mut stack: Vec<(u32, Option<usize>, bool, bool)> = Vec::new();
    let mut culled = 0usize;
    for &i in &order {
        let f = &tl.recs[i];
        while stack.last().is_some_and(|s| s.0 >= f.depth) {
            stack.pop();
        }
        let parent = stack.last().copied();
        if let Some((_, owner, _, true)) = parent {
            // Inside a culled frame: culled too, counted on the kept frame above.
            culled += 1;
            if let Some(o) = owner {
                frames[o][12] += 1;
            }
            stack.push((f.depth, owner, false, true));
            continue;
        }
        let hide = is_hidden(f.ns) && !visible_kind(f.entry);
        if hide
            && let Some((_, Some(o), true, false)) = parent
            && frames[o][4] == f.ns.0 as u64
        {
            // Folded into the hidden run it is part of.
            frames[o][6] += f.self_time;
            stack.push((f.depth, Some(o), true, false));
            continue;
        }
        let w = f.end - f.start;
        let keep = w > thr || (w == thr && ties > 0);
        if !keep {
            culled += 1;
            let owner = parent.and_then(|p| p.1);
            if let Some(o) = owner {
                frames[o][12] += 1;
            }
            stack.push((f.depth, owner, false, true));
            continue;
        }
        if w == thr && ties != usize::MAX {
            ties -= 1;
        }
        let name = if hide {
            format!("({})", nss.get(f.ns.0 as usize).map_or("", |s| s))
        } else {
            String::from_utf8_lossy(&tl.names[f.name as usize]).into_owned()
        };
        let nid = *name_ids.entry(name.clone()).or_insert_with(|| {
            names.push(name);
            names.len() as u64 - 1
        });
        let kname = f.entry.name().unwrap_or("UNKNOWN");
        let kid = match kinds.iter().position(|k| *k == kname) {
            Some(k) => k,
            None => {
                kinds.push(kname);
                kinds.len() - 1
            }
        } as u64;
        let depth = parent.and_then(|p| p.1).map_or(0, |o| frames[o][2] + 1);
        frames.push([
            f.start,
            f.end,
            depth,
            nid,
            f.ns.0 as u64,
            kid,
            f.self_time,
            f.soql,
            f.dml,
            f.rows,
            f.line,
            f.estimated as u64,
            0,
        ]);
        stack.push((f.depth, Some(frames.len() - 1), hide, false));
    }
    let mut exceptions = Vec::new();
    for &(line, t) in &tl.exceptions {
        if let Some(k) = r
            .findings
            .iter()
            .position(|x| x.log_line == line || x.fatal_line == Some(line))
        {
            exceptions.push([t, line, k as u64]);
        }
    }
    let wall = frames
        .iter()
        .map(|f| f[1])
        .chain(tl.markers.iter().map(|m| m.1))
        .max()
        .unwrap_or(0);
    Data {
        ns: nss.to_vec(),
        names,
        kinds,
        frames,
        frames_total: tl.recs.len(),
        frames_culled: culled,
        exceptions,
        truncations: tl.markers.iter().map(|&(l, t)| [t, l]).collect(),
        wall,
        file: &r.file,
        log: tl.log.as_deref(),
    }
}

/// Escape text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// JSON that is safe inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 as
/// `\u` escapes (they only occur inside JSON strings, where the escape means the same).
fn script_json<T: Serialize>(v: &T) -> String {
    let s = serde_json::to_string(v).unwrap_or_else(|_| "{}".into());
    let mut o = String::with_capacity(s.len() + s.len() / 16);
    for c in s.chars() {
        match c {
            '<' => o.push_str("\\u003c"),
            '>' => o.push_str("\\u003e"),
            '&' => o.push_str("\\u0026"),
            '\u{2028}' => o.push_str("\\u2028"),
            '\u{2029}' => o.push_str("\\u2029"),
            c => o.push(c),
        }
    }
    o
}

/// The `sha256-…` source of the page's script, for its Content-Security-Policy.
pub fn script_hash() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(JS.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(d)
    )
}

/// The Content-Security-Policy of the page.
pub fn csp() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'",
        script_hash()
    )
}

/// The timeline and the call tree: drawn by the script from the data block.
const TIMELINE_SECTION: &str = "<section id=\"timeline\">\n<h2>Timeline</h2>\n<noscript><p>The timeline and the call tree need JavaScript; everything else on this page does not.</p></noscript>\n\
<div class=\"legend\" id=\"legend\"></div>\n<div class=\"tools\"><button type=\"button\" id=\"zoom-in\">zoom in</button> <button type=\"button\" id=\"zoom-out\">zoom out</button> <button type=\"button\" id=\"zoom-reset\">reset</button> <span class=\"hint\">wheel: zoom · drag: pan · hover: details</span> <span id=\"culled\" class=\"hint\"></span></div>\n\
<div class=\"chart\" id=\"chart\"><canvas id=\"flame\" width=\"1200\" height=\"300\"></canvas><div id=\"tip\" class=\"tip\" hidden></div></div>\n</section>\n\
<section id=\"calltree\">\n<h2>Call tree</h2>\n<div class=\"tools\"><label>namespace <select id=\"tree-ns\"><option value=\"\">all</option></select></label> <label>text <input id=\"tree-q\" type=\"search\" placeholder=\"filter\"></label> <button type=\"button\" id=\"tree-expand\">expand all</button> <button type=\"button\" id=\"tree-collapse\">collapse all</button> <span id=\"tree-count\" class=\"hint\"></span></div>\n\
<table class=\"tree\"><thead><tr><th>frame</th><th>namespace</th><th>total ms</th><th>self ms</th><th>SOQL</th><th>DML</th><th>rows</th><th>log line</th></tr></thead><tbody id=\"tree-body\"></tbody></table>\n</section>\n";

/// The embedded log's place: filled by the script, a window of lines at a time.
const LOG_SECTION: &str = "<section id=\"log\">\n<h2>Log (as this view shows it)</h2>\n\
<noscript><p>The embedded log needs JavaScript.</p></noscript>\n\
<div class=\"tools\"><button type=\"button\" id=\"log-prev\">earlier</button> <button type=\"button\" id=\"log-next\">later</button> <label>line <input id=\"log-go\" type=\"number\" min=\"1\"></label> <span id=\"log-count\" class=\"hint\"></span></div>\n\
<div class=\"log\" id=\"log-body\"></div>\n</section>\n";

fn ms(n: u64) -> String {
    format!("{:.3}", n as f64 / 1e6)
}

/// Write the page for `r` (with the timeline `tl` collected beside it; `nss` are the
/// tracker's namespace names, indexed by namespace id).
pub fn write<W: Write>(
    w: &mut W,
    r: &Report,
    tl: &Timeline,
    nss: &[String],
    opts: &PageOptions,
) -> io::Result<()> {
    let data = build_data(r, tl, nss);
    let mut h = String::with_capacity(64 * 1024);
    let title = format!("dbglog analyze: {}", r.file);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"dbglog {}\">\n<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
        csp(),
        env!("CARGO_PKG_VERSION"),
        esc(&title),
        CSS
    );
    header(&mut h, r, opts);
    h.push_str("<main>\n");
    findings(&mut h, r, data.log.is_some());
    h.push_str(TIMELINE_SECTION);
    if data.log.is_some() {
        h.push_str(LOG_SECTION);
    }
    limits(&mut h, r);
    for (id, title, t) in [
        ("soql", "SOQL", &r.soql),
        ("dml", "DML", &r.dml),
        ("sosl", "SOSL", &r.sosl),
    ] {
        if id == "sosl" && t.count == 0 {
            continue;
        }
        statement_table(&mut h, id, title, t);
    }
    // The rest in the text report's order.
    sections::callouts(&mut h, r);
    sections::heap(&mut h, r);
    methods(&mut h, r);
    sections::categories(&mut h, r);
    sections::save_order(&mut h, r);
    sections::not_shown(&mut h, r);
    h.push_str("</main>\n");
    let _ = writeln!(
        h,
        "<footer>Made by dbglog {} from the analyze report (schema {}); no request leaves this page.</footer>",
        env!("CARGO_PKG_VERSION"),
        r.schema_version
    );
    w.write_all(h.as_bytes())?;
    w.write_all(b"<script type=\"application/json\" id=\"data\">")?;
    w.write_all(script_json(&data).as_bytes())?;
    w.write_all(b"</script>\n<script>")?;
    w.write_all(JS.as_bytes())?;
    w.write_all(b"</script>\n</body>\n</html>\n")?;
    Ok(())
}

/// The header: file, view, redaction, levels and the other facts, then the verdict line.
fn header(h: &mut String, r: &Report, opts: &PageOptions) {
    let s = &r.summary;
    let _ = write!(
        h,
        "<header>\n<h1>dbglog analyze <span class=\"file\">{}</span></h1>\n<dl class=\"meta\">",
        esc(&r.file)
    );
    let levels: Vec<String> = s
        .log_levels
        .iter()
        .map(|l| format!("{}={}", l.category, l.level))
        .collect();
    let hidden = if r.hidden_namespaces.is_empty() {
        String::new()
    } else {
        format!(" (hides {})", r.hidden_namespaces.join(", "))
    };
    let rows: [(&str, String); 8] = [
        ("File", r.file.clone()),
        ("View", format!("{}{hidden}", r.view)),
        (
            "Redaction",
            opts.redaction.map_or_else(
                || "none".into(),
                |c| format!("{c} (the log was redacted before the analysis)"),
            ),
        ),
        (
            "Debug levels",
            if levels.is_empty() {
                "-".into()
            } else {
                levels.join(", ")
            },
        ),
        ("API version", s.api_version.clone().unwrap_or("-".into())),
        ("User", s.user.clone().unwrap_or("-".into())),
        (
            "Wall time",
            format!(
                "{} ms, {} transaction(s), {} log(s)",
                ms(s.wall_nanos),
                s.transactions,
                s.logs
            ),
        ),
        ("dbglog", env!("CARGO_PKG_VERSION").to_string()),
    ];
    for (k, v) in rows {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    h.push_str("</dl>\n");
    if s.truncated {
        let _ = writeln!(
            h,
            "<p class=\"warn\">Truncated: {} truncation marker(s); every figure is a floor.</p>",
            s.truncation_markers
        );
    }
    // The verdict line, the Report's own (the text report opens with the same words).
    let v = &r.verdict;
    let _ = writeln!(
        h,
        "<p id=\"verdict\" class=\"verdict {}\">{}&nbsp; {}</p>",
        if v.status == "failed" { "failed" } else { "ok" },
        esc(&v.status.to_uppercase()),
        esc(&v.headline)
    );
    h.push_str("</header>\n");
}

/// The findings table, in the Report's order; with an embedded log each log line links to
/// its line there.
fn findings(h: &mut String, r: &Report, linked: bool) {
    let link = |n: u64| {
        if linked {
            format!("<a href=\"#L{n}\" class=\"line\">{n}</a>")
        } else {
            n.to_string()
        }
    };
    let _ = write!(
        h,
        "<section id=\"findings\">\n<h2>Findings ({})</h2>\n",
        r.findings.len()
    );
    if r.findings.is_empty() {
        h.push_str("<p>none</p>\n");
    } else {
        h.push_str("<table class=\"sortable findings\"><thead><tr><th data-type=\"num\">#</th><th>severity</th><th>id</th><th data-type=\"num\">count</th><th>message</th><th>namespace</th><th>method</th><th data-type=\"num\">line</th><th data-type=\"num\">log line</th></tr></thead><tbody>\n");
        for (i, f) in r.findings.iter().enumerate() {
            let sev = f.severity.as_str();
            let ns = match &f.caller_namespace {
                Some(c) => format!("{} (called from {c})", f.namespace),
                None => f.namespace.clone(),
            };
            let method = match (&f.method, f.origin_hidden) {
                (Some(m), _) => m.clone(),
                (None, true) => format!("origin hidden ({})", f.namespace),
                (None, false) => "-".into(),
            };
            let remedy = f
                .remedy
                .as_deref()
                .map(|x| format!("<div class=\"remedy\">→ {}</div>", esc(x)))
                .unwrap_or_default();
            let log_line = match f.fatal_line {
                Some(fl) if fl != f.log_line => {
                    format!("{} (FATAL_ERROR at {})", link(f.log_line), link(fl))
                }
                _ => link(f.log_line),
            };
            let _ = writeln!(
                h,
                "<tr class=\"sev-{sev}\" id=\"finding-{n}\"><td>{n}</td><td class=\"sev\">{}</td><td>{}</td><td>{}</td><td>{}{remedy}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&sev.to_uppercase()),
                esc(&f.id),
                f.count,
                esc(&f.message),
                esc(&ns),
                esc(&method),
                f.source_line.map_or("-".into(), |l| l.to_string()),
                log_line,
                n = i + 1,
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

/// Governor limits, one table per namespace, as bars against their maximum.
fn limits(h: &mut String, r: &Report) {
    h.push_str("<section id=\"limits\">\n<h2>Governor limits (one pool per namespace)</h2>\n");
    if r.limits.is_empty() {
        h.push_str("<p>no LIMIT_USAGE_FOR_NS blocks</p>\n");
    }
    for l in &r.limits {
        let _ = write!(
            h,
            "<h3>{} <span class=\"hint\">({} block(s))</span></h3>\n<table class=\"limits\"><thead><tr><th>limit</th><th>peak</th><th>of max</th><th></th><th>last</th></tr></thead><tbody>\n",
            esc(&l.namespace),
            l.blocks
        );
        for row in l.rows.iter().filter(|x| x.peak > 0 || x.last > 0) {
            let cls = if row.peak_pct >= super::LIMIT_THRESHOLD_PCT || row.close_to_limit {
                " class=\"high\""
            } else {
                ""
            };
            let _ = writeln!(
                h,
                "<tr{cls}><td>{}</td><td>{} / {}</td><td>{}%</td><td><meter min=\"0\" max=\"100\" low=\"50\" high=\"80\" optimum=\"0\" value=\"{}\">{}%</meter></td><td>{} ({}%)</td></tr>",
                esc(&row.label),
                row.peak,
                row.max,
                row.peak_pct,
                row.peak_pct.min(100),
                row.peak_pct,
                row.last,
                row.last_pct
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

/// Top methods, time per namespace, heap and log issues.
fn methods(h: &mut String, r: &Report) {
    h.push_str("<section id=\"methods\">\n<h2>Top methods by self time</h2>\n<table class=\"sortable\"><thead><tr><th>method</th><th>namespace</th><th data-type=\"num\">calls</th><th data-type=\"num\">total ms</th><th data-type=\"num\">self ms</th></tr></thead><tbody>\n");
    for m in &r.methods {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&m.name),
            esc(&m.namespace),
            m.count,
            ms(m.total_nanos),
            ms(m.self_nanos)
        );
    }
    h.push_str("</tbody></table>\n<h2>Time per namespace (self time)</h2>\n<table class=\"sortable\"><thead><tr><th>namespace</th><th data-type=\"num\">self ms</th><th data-type=\"num\">frames</th><th>opaque</th></tr></thead><tbody>\n");
    for n in &r.namespaces {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&n.namespace),
            ms(n.self_nanos),
            n.frames,
            if n.opaque { "yes" } else { "" }
        );
    }
    h.push_str("</tbody></table>\n");
    if r.heap.used_bytes > 0 {
        let _ = writeln!(
            h,
            "<p>Heap: {} bytes (from {}; allocations peak {}, limits block {})</p>",
            r.heap.used_bytes,
            esc(&r.heap.source),
            r.heap.computed_peak_bytes,
            r.heap
                .reported_bytes
                .map_or_else(|| "none".to_string(), |b| b.to_string())
        );
    }
    if !r.log_issues.is_empty() {
        let v: Vec<String> = r
            .log_issues
            .iter()
            .map(|i| format!("{} {}", i.kind, i.count))
            .collect();
        let _ = writeln!(h, "<p>Log issues: {}</p>", esc(&v.join(", ")));
    }
    h.push_str("</section>\n");
}

fn statement_table(h: &mut String, id: &str, title: &str, t: &StatementTable) {
    let _ = write!(
        h,
        "<section id=\"{id}\">\n<h2>{title}: {} statement(s), {} rows, {} ms</h2>\n",
        t.count,
        t.rows,
        ms(t.time_nanos)
    );
    if t.statements.is_empty() {
        h.push_str("<p>none</p>\n</section>\n");
        return;
    }
    h.push_str("<table class=\"sortable\"><thead><tr><th>statement</th><th>namespace</th><th data-type=\"num\">count</th><th data-type=\"num\">rows</th><th data-type=\"num\">ms</th></tr></thead><tbody>\n");
    for s in &t.statements {
        let _ = writeln!(
            h,
            "<tr><td class=\"stmt\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.statement),
            esc(&s.namespace),
            s.count,
            s.rows,
            ms(s.time_nanos)
        );
    }
    h.push_str("</tbody></table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = script_json(&"</script><img src=x onerror=alert(1)>&\u{2028}");
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "</script><img src=x onerror=alert(1)>&\u{2028}");
    }

    #[test]
    fn esc_escapes_markup() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
