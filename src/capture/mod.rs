//! Capture: split a live stream of logs into one file per log, with an index.
//!
//! A stream (typically `sf apex tail log` piped in) holds logs one after another. Each log
//! starts at a header line; CLI banner lines (`Executed successfully.`) may sit between logs.
//! [`capture`] reads the stream once, in bounded chunks, and writes every record of the
//! current log to a temporary file `DIR/.capture-<pid>-<n>.tmp` as it arrives, through a
//! pluggable [`Step`] that decides which bytes reach the disk (the whole log with
//! [`FullStep`], or a view / redaction). When the next header arrives or the stream ends,
//! the file gets its final name (made from the log's first event time, user and entry point,
//! or a [`name::Template`]), is renamed into place without ever overwriting an existing file,
//! and one JSON line describing it is appended to `DIR/index.ndjson`.
//!
//! A live stream is read on a thread of its own ([`stream::spawn_reader`]), so that a pause
//! in the input is noticed: after [`Options::idle`] without input the log in progress is
//! published as it stands (a copy of its file so far, renamed into place, and its index
//! line), and if it goes on, its file is replaced in one rename and its index line replaced
//! in a rewritten index. Stop signals ([`Options::stop_signals`], watched with signal-hook)
//! end the run like the end of the input: the log in progress is published, marked partial
//! when it was cut, and no temporary file is left.
//!
//! Text lines between logs (banners) are dropped; text inside a log (the `Execute
//! Anonymous:` preamble, text after a truncation marker) is kept. A UTF-8 byte order mark at
//! the very start of the stream goes to the first log.

pub mod name;
pub mod sink;

use crate::event::{Event, EventType};
use crate::framing::{Record, RecordKind};
use crate::input::{Data, Input, InputError};
use crate::rules::Catalogue;
use crate::stream::{self, Feed, Flow, Item, LogEnd, RunError, Sink};
use crate::track::{Located, Tracker};
use crate::view::{Decision, Redactor, ViewOptions, ViewWriter};
use name::{NameParts, Template};
use serde::Serialize;
use sink::{LogWriter, Parts};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

/// Name of the index file inside the capture folder.
pub const INDEX: &str = "index.ndjson";

/// Text held back between logs is capped: past this many bytes it cannot be a banner, so
/// it is written to the open log (or, with no log open, dropped).
const PENDING_CAP: usize = 1 << 20;

/// The per-log transformation: decides which bytes of each record reach the disk.
///
/// [`capture`] calls [`begin_log`](Step::begin_log) when a log starts, then
/// [`record`](Step::record) for each of its records in order (header, preamble text, events,
/// markers), then [`end_log`](Step::end_log). `out` is the log's file (uncompressed side).
pub trait Step {
    /// The index's `view` value (`full`, `subscriber`, `vendor:NS`).
    fn view_label(&self) -> String;

    /// The index's `redaction` value: the redaction classes applied (empty for none).
    fn redaction_label(&self) -> Vec<String>;

    /// A new log starts.
    fn begin_log(&mut self) {}

    /// Write what this record becomes (possibly nothing). Returns true when the record is
    /// shown as itself (not hidden or replaced by a marker): only such records feed the
    /// user, entry point and findings of the index, so nothing hidden leaks through them.
    fn record<W: Write>(
        &mut self,
        item: &Item<'_>,
        tracker: &Tracker,
        out: &mut W,
    ) -> io::Result<bool>;

    /// The log ends: write anything held back.
    fn end_log<W: Write>(&mut self, _tracker: &Tracker, _out: &mut W) -> io::Result<()> {
        Ok(())
    }

    /// Metadata text that is stored outside the log (file name, index): the user name and
    /// the entry point. A redacting step returns it redacted.
    fn meta_text<'a>(&mut self, text: &'a [u8]) -> Cow<'a, [u8]> {
        Cow::Borrowed(text)
    }
}

/// The identity step: every byte of every record, unchanged (`--as full`, no redaction).
#[derive(Clone, Copy, Debug, Default)]
pub struct FullStep;

impl Step for FullStep {
    fn view_label(&self) -> String {
        "full".to_string()
    }

    fn redaction_label(&self) -> Vec<String> {
        Vec::new()
    }

    #[inline]
    fn record<W: Write>(&mut self, item: &Item<'_>, _t: &Tracker, out: &mut W) -> io::Result<bool> {
        out.write_all(item.record.raw)?;
        Ok(true)
    }
}

/// A view (`--as subscriber|vendor:NS|full`) with optional redaction (`--redact`), through
/// [`ViewWriter`]: hidden package internals and masked values never reach the file. The
/// writer (and so the redactor's placeholder numbering) starts afresh with every log.
#[derive(Debug)]
pub struct ViewStep {
    opts: ViewOptions,
    label: String,
    writer: ViewWriter,
}

impl ViewStep {
    /// A step for these view options; `label` is the `--as` value for the index.
    pub fn new(opts: ViewOptions, label: String) -> Self {
        let writer = ViewWriter::new(&opts);
        ViewStep {
            opts,
            label,
            writer,
        }
    }
}

impl Step for ViewStep {
    fn view_label(&self) -> String {
        self.label.clone()
    }

    fn redaction_label(&self) -> Vec<String> {
        self.opts.redact.map_or_else(Vec::new, |r| {
            r.classes().into_iter().map(String::from).collect()
        })
    }

    fn begin_log(&mut self) {
        self.writer = ViewWriter::new(&self.opts);
    }

    #[inline]
    fn record<W: Write>(
        &mut self,
        item: &Item<'_>,
        tracker: &Tracker,
        out: &mut W,
    ) -> io::Result<bool> {
        let d = self.writer.write_item(item, tracker, out)?;
        Ok(d == Decision::Keep)
    }

    fn meta_text<'a>(&mut self, text: &'a [u8]) -> Cow<'a, [u8]> {
        match self.opts.redact {
            None => Cow::Borrowed(text),
            Some(spec) => {
                let mut r = Redactor::new(spec);
                let mut out = Vec::with_capacity(text.len());
                if r.redact(text, &mut out) {
                    Cow::Owned(out)
                } else {
                    Cow::Borrowed(text)
                }
            }
        }
    }
}

/// The default of `--idle`: a log is published after this long without input.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(3);

/// Settings of a capture run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The folder to write into (created if missing).
    pub dir: PathBuf,
    /// Write `.log.gz` (gzip, fast level) instead of `.log`.
    pub gzip: bool,
    /// How files are named.
    pub template: Template,
    /// Publish the log in progress once a stream brought no input for this long (streams
    /// only; `None`: only at the next header and at the end).
    pub idle: Option<Duration>,
    /// Signals that stop the run at once: the log in progress is published (marked partial
    /// when it was cut) and [`Summary::stopped_by`] names the signal.
    pub stop_signals: Vec<i32>,
    /// Signals whose first arrival lets the run go on to the end of its input (the producer
    /// of a pipe got the same Ctrl-C and is about to close it); a second one stops at once.
    pub drain_signals: Vec<i32>,
    /// Called (on the watching thread) when a drain signal first arrives, for example to
    /// tell the user that a second one stops at once.
    pub on_drain: Option<fn(i32)>,
}

/// One log written to disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// The final path.
    pub path: PathBuf,
    /// Uncompressed bytes written.
    pub bytes: u64,
    /// The stream ended inside this log.
    pub partial: bool,
}

/// What a capture run did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Logs written.
    pub logs: u64,
    /// Of which partial.
    pub partial: u64,
    /// Banner bytes dropped between logs.
    pub dropped_bytes: u64,
    /// Reading the input failed: it was treated as the end of the stream (the last log is
    /// marked partial).
    pub read_error: Option<InputError>,
    /// The run was stopped by this signal.
    pub stopped_by: Option<i32>,
}

/// A capture error: the folder or a file could not be written. Logs completed before it
/// are in place and indexed; the temporary file of the log in progress is removed.
#[derive(Debug)]
pub struct CaptureError {
    /// The path concerned.
    pub path: PathBuf,
    /// What failed.
    pub what: &'static str,
    /// The I/O error.
    pub source: io::Error,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.path.display(), self.what, self.source)
    }
}

impl std::error::Error for CaptureError {}

/// Per-log facts for the index and the name. Reused across logs (no allocation per log
/// beyond what the longest user / entry point needs).
#[derive(Default)]
struct Meta {
    api_version: String,
    user: Vec<u8>,
    has_user: bool,
    entry: Vec<u8>,
    has_entry: bool,
    first_wall: Option<u32>,
    first_nanos: Option<u64>,
    last_nanos: Option<u64>,
    truncated: bool,
    saw_finished: bool,
}

impl Meta {
    fn reset(&mut self) {
        self.api_version.clear();
        self.user.clear();
        self.has_user = false;
        self.entry.clear();
        self.has_entry = false;
        self.first_wall = None;
        self.first_nanos = None;
        self.last_nanos = None;
        self.truncated = false;
        self.saw_finished = false;
    }

    /// `shown`: the view shows this event as itself (user and entry point are taken only
    /// from such events).
    #[inline]
    fn on_event(&mut self, ev: &Event<'_>, shown: bool) {
        if self.first_wall.is_none() {
            self.first_wall = Some(ev.head.wall_ms);
        }
        if let Some(n) = ev.nanos() {
            if self.first_nanos.is_none() {
                self.first_nanos = Some(n);
            }
            self.last_nanos = Some(n);
        }
        match ev.etype() {
            EventType::UserInfo if shown && !self.has_user => {
                self.has_user = true;
                let info = crate::event::payload::user_info::UserInfo::parse(ev.first_line());
                self.user
                    .extend_from_slice(info.map_or(&b""[..], |u| u.user_name));
            }
            EventType::CodeUnitStarted if shown && !self.has_entry => {
                self.has_entry = true;
                let mut f = ev.fields();
                let _ext = f.next();
                let a = f.next().unwrap_or(b"");
                let name = f.next().unwrap_or(a);
                self.entry.extend_from_slice(name);
            }
            EventType::ExecutionFinished => self.saw_finished = true,
            _ => {}
        }
    }
}

/// Rule findings of one log, from the shared catalogue ([`Catalogue::builtin`]), made by
/// the one findings model ([`crate::findings`]) exactly as `scan` makes them, and counted
/// per rule id for the index. The cheap path, decided once per event type and cached:
/// types no rule applies to are skipped outright; types that rules select by name are
/// matched; for the others the literal prefilter runs over the body first.
struct Findings {
    cat: &'static Catalogue,
    found: Vec<crate::findings::Finding>,
    /// Per event type: `UNDECIDED`, `BY_TYPE`, `BY_TEXT` or `NONE`.
    by_type: Vec<u8>,
}

const UNDECIDED: u8 = 0;
const BY_TYPE: u8 = 1;
const BY_TEXT: u8 = 2;
const NONE: u8 = 3;

impl Default for Findings {
    fn default() -> Self {
        Findings {
            cat: Catalogue::builtin(),
            found: Vec::new(),
            by_type: Vec::new(),
        }
    }
}

impl Findings {
    fn reset(&mut self) {
        self.found.clear();
    }

    fn classify(&self, name: &str) -> u8 {
        let rules = self.cat.rules();
        if rules.iter().any(|r| {
            r.applies_to(name) && r.is_event_type_rule() && r.literals.iter().any(|l| l == name)
        }) {
            BY_TYPE
        } else if rules.iter().any(|r| r.applies_to(name)) {
            BY_TEXT
        } else {
            NONE
        }
    }

    /// Match one shown event or truncation marker.
    #[inline]
    fn count_item(&mut self, item: &Item<'_>, t: &Tracker) {
        if let Some(ev) = &item.event {
            let et = ev.etype();
            let class = if et == EventType::Unknown {
                self.classify(&String::from_utf8_lossy(ev.type_name()))
            } else {
                let i = et as usize;
                if self.by_type.len() <= i {
                    self.by_type.resize(i + 1, UNDECIDED);
                }
                if self.by_type[i] == UNDECIDED {
                    self.by_type[i] = self.classify(&String::from_utf8_lossy(ev.type_name()));
                }
                self.by_type[i]
            };
            let go = match class {
                BY_TYPE => true,
                BY_TEXT => self.cat.prefilter().is_match(ev.body()),
                _ => false,
            };
            if !go {
                return;
            }
        }
        crate::findings::match_item(self.cat, item, t, &mut self.found);
    }

    /// Findings by rule id (one exception is one finding, as in scan and analyze).
    fn by_id(&mut self) -> BTreeMap<&str, u64> {
        crate::findings::pair_exceptions(&mut self.found);
        let mut m: BTreeMap<&str, u64> = BTreeMap::new();
        for f in &self.found {
            let id = self.cat.get(&f.id).map_or("?", |r| r.id.as_str());
            *m.entry(id).or_default() += f.count;
        }
        m
    }
}

struct Current {
    w: LogWriter,
    tmp: PathBuf,
    /// Set once the log was published at a pause.
    published: Option<Published>,
}

/// A log published at a pause, whose file and index line are rewritten if it goes on.
struct Published {
    path: PathBuf,
    /// Offset and length of its line in the index.
    index_at: u64,
    index_len: u64,
    /// What the published file holds.
    bytes: u64,
    partial: bool,
}

/// How a log's file was closed, for the index's `ended`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    NextLog,
    Input,
    Pause,
    ReadError,
    Signal(i32),
}

impl End {
    fn label(self) -> &'static str {
        match self {
            End::NextLog => "next_log",
            End::Input => "end_of_input",
            End::Pause => "pause",
            End::ReadError => "read_error",
            End::Signal(s) => signal_name(s),
        }
    }
}

/// The name of a signal that stops a capture.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        _ => "signal",
    }
}

struct Capturer<'o, S: Step> {
    opts: &'o Options,
    step: &'o mut S,
    on_done: &'o mut dyn FnMut(&Captured),
    index: File,
    pid: u32,
    tmp_seq: u64,
    seq: u64,
    view: String,
    redaction: Vec<String>,
    cur: Option<Current>,
    parts: Option<Parts>,
    next_suffix: HashMap<String, u64>,
    meta: Meta,
    findings: Findings,
    bom: Vec<u8>,
    pend: Vec<u8>,
    pend_spans: Vec<(usize, usize, u64, u64)>,
    last_line: u64,
    log_no: u32,
    /// The last record written was hidden (or replaced) by the view.
    last_hidden: bool,
    /// The input paused right after a hidden record: text lines that follow continue it,
    /// and stay hidden.
    hidden_tail: bool,
    /// At the end of the input, before the tracker closed what was still open: whether a
    /// log was open, and whether it looked cut short ([`looks_partial`]).
    open_at_end: bool,
    partial_at_end: bool,
    summary: Summary,
}

impl<S: Step> Capturer<'_, S> {
    fn err(path: &Path, what: &'static str, source: io::Error) -> io::Error {
        io::Error::new(
            source.kind(),
            CaptureError {
                path: path.to_path_buf(),
                what,
                source,
            },
        )
    }

    fn open_log(&mut self, tracker: &Tracker) -> io::Result<()> {
        let (file, tmp) = self.new_tmp()?;
        self.cur = Some(Current {
            published: None,
            w: LogWriter::new(
                file,
                self.parts
                    .take()
                    .unwrap_or_else(|| Parts::new(self.opts.gzip)),
            ),
            tmp,
        });
        self.meta.reset();
        self.findings.reset();
        self.step.begin_log();
        if !self.bom.is_empty() {
            let bom = std::mem::take(&mut self.bom);
            let rec = Record {
                kind: RecordKind::Bom,
                raw: &bom,
                offset: 0,
                line: 1,
                head: None,
            };
            self.write_item(&synthetic(rec, self.log_no), tracker)?;
        }
        Ok(())
    }

    #[inline]
    fn write_item(&mut self, item: &Item<'_>, tracker: &Tracker) -> io::Result<bool> {
        let cur = self.cur.as_mut().expect("a log is open");
        self.step
            .record(item, tracker, &mut cur.w)
            .map_err(|e| Self::err(&cur.tmp, "cannot write", e))
    }

    /// Text held back turned out to belong to the open log: write it.
    fn flush_pending(&mut self, tracker: &Tracker) -> io::Result<()> {
        if self.pend_spans.is_empty() {
            return Ok(());
        }
        let spans = std::mem::take(&mut self.pend_spans);
        let pend = std::mem::take(&mut self.pend);
        let mut res = Ok(());
        for &(s, e, line, offset) in &spans {
            let rec = Record {
                kind: RecordKind::Text,
                raw: &pend[s..e],
                offset,
                line,
                head: None,
            };
            if let Err(e) = self.write_item(&synthetic(rec, self.log_no), tracker) {
                res = Err(e);
                break;
            }
        }
        self.pend_spans = spans;
        self.pend_spans.clear();
        self.pend = pend;
        self.pend.clear();
        res
    }

    /// Blank lines held back right after the open log's last record end that log (a log
    /// cut by `MAXIMUM DEBUG LOG SIZE REACHED` is followed by one): they are written to it,
    /// so its captured bytes equal its bytes in the stream. What follows them stays held.
    fn flush_leading_blank(&mut self, tracker: &Tracker) -> io::Result<()> {
        let blank = self
            .pend_spans
            .iter()
            .take_while(|&&(s, e, _, _)| matches!(&self.pend[s..e], b"\n" | b"\r\n"))
            .count();
        if blank == 0 {
            return Ok(());
        }
        let rest_spans = self.pend_spans.split_off(blank);
        let cut = rest_spans
            .first()
            .map_or(self.pend.len(), |&(s, _, _, _)| s);
        let rest = self.pend.split_off(cut);
        self.flush_pending(tracker)?;
        self.pend.extend_from_slice(&rest);
        self.pend_spans.extend(
            rest_spans
                .into_iter()
                .map(|(s, e, l, o)| (s - cut, e - cut, l, o)),
        );
        Ok(())
    }

    fn drop_pending(&mut self) {
        self.summary.dropped_bytes += self.pend.len() as u64;
        self.pend.clear();
        self.pend_spans.clear();
    }

    fn on_item(&mut self, item: &Item<'_>, tracker: &Tracker) -> io::Result<()> {
        let rec = &item.record;
        self.last_line = rec.line;
        self.log_no = item.log;
        match rec.kind {
            RecordKind::Text if self.hidden_tail => {
                self.summary.dropped_bytes += rec.raw.len() as u64;
                Ok(())
            }
            RecordKind::Text => {
                if self.pend.len() + rec.raw.len() > PENDING_CAP {
                    if self.cur.is_some() {
                        self.flush_pending(tracker)?;
                        return self.write_item(item, tracker).map(|_| ());
                    }
                    self.drop_pending();
                }
                let s = self.pend.len();
                self.pend.extend_from_slice(rec.raw);
                self.pend_spans
                    .push((s, self.pend.len(), rec.line, rec.offset));
                Ok(())
            }
            RecordKind::Bom => {
                self.bom.clear();
                self.bom.extend_from_slice(rec.raw);
                Ok(())
            }
            RecordKind::Header => {
                if self.cur.is_some() {
                    self.flush_leading_blank(tracker)?;
                    self.finish_log(tracker, false, End::NextLog)?;
                }
                // Text between the previous log and this header: banners.
                self.drop_pending();
                self.last_hidden = false;
                self.hidden_tail = false;
                self.open_log(tracker)?;
                let line = trim_eol(rec.raw);
                let v = line.split(|&c| c == b' ').next().unwrap_or(b"");
                let v = v.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(v);
                self.meta.api_version.push_str(&String::from_utf8_lossy(v));
                self.write_item(item, tracker).map(|_| ())
            }
            RecordKind::Event | RecordKind::Skipped | RecordKind::MaxSize => {
                if self.cur.is_none() {
                    // A log without a header: it starts at its first event (text before
                    // it is its preamble).
                    self.open_log(tracker)?;
                }
                self.flush_pending(tracker)?;
                let shown = self.write_item(item, tracker)?;
                self.last_hidden = !shown;
                self.hidden_tail = false;
                match &item.event {
                    Some(ev) => {
                        self.meta.on_event(ev, shown);
                        if shown {
                            self.findings.count_item(item, tracker);
                        }
                    }
                    None => {
                        self.meta.truncated = true;
                        self.findings.count_item(item, tracker);
                    }
                }
                Ok(())
            }
        }
    }

    /// A fresh hidden temporary file in the folder.
    fn new_tmp(&mut self) -> io::Result<(File, PathBuf)> {
        loop {
            self.tmp_seq += 1;
            let tmp = self
                .opts
                .dir
                .join(format!(".capture-{}-{}.tmp", self.pid, self.tmp_seq));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => return Ok((f, tmp)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Self::err(&tmp, "cannot create", e)),
            }
        }
    }

    /// The index line of the open log, as it stands.
    fn index_line(
        &mut self,
        file_name: &str,
        bytes: u64,
        partial: bool,
        end: End,
    ) -> io::Result<Vec<u8>> {
        let user = self.step.meta_text(&self.meta.user).into_owned();
        let entry = self.step.meta_text(&self.meta.entry).into_owned();
        let findings = self.findings.by_id();
        let rec = IndexRecord {
            file: file_name,
            bytes,
            api_version: non_empty(&self.meta.api_version),
            user: self.meta.has_user.then(|| String::from_utf8_lossy(&user)),
            entry_point: self.meta.has_entry.then(|| String::from_utf8_lossy(&entry)),
            first_nanos: self.meta.first_nanos,
            last_nanos: self.meta.last_nanos,
            view: &self.view,
            redaction: &self.redaction,
            truncated: self.meta.truncated,
            partial,
            ended: end.label(),
            findings: &findings,
        };
        let mut line = serde_json::to_vec(&rec).map_err(io::Error::other)?;
        line.push(b'\n');
        Ok(line)
    }

    /// Give the finished file `tmp` of the open log its final name (never replacing an
    /// existing file) and append its index line. Returns the path and where the line went.
    fn publish_new(
        &mut self,
        tmp: &Path,
        bytes: u64,
        partial: bool,
        end: End,
    ) -> io::Result<Published> {
        self.seq += 1;
        let user = self.step.meta_text(&self.meta.user).into_owned();
        let entry = self.step.meta_text(&self.meta.entry).into_owned();
        let date = if self.opts.template.uses_date() {
            name::local_date()
        } else {
            String::new()
        };
        let stem = self.opts.template.render(&NameParts {
            seq: self.seq,
            wall_ms: self.meta.first_wall,
            nanos: self.meta.first_nanos,
            user: &user,
            entry: &entry,
            date: &date,
        });
        let ext = if self.opts.gzip { ".log.gz" } else { ".log" };
        let first = self.next_suffix.get(&stem).copied().unwrap_or(1);
        let path = match place(tmp, &self.opts.dir, &stem, ext, first) {
            Ok((p, k)) => {
                self.next_suffix.insert(stem, k + 1);
                p
            }
            Err(e) => {
                let _ = fs::remove_file(tmp);
                return Err(Self::err(
                    &self.opts.dir,
                    "cannot name the captured file",
                    e,
                ));
            }
        };
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let line = self.index_line(&file_name, bytes, partial, end)?;
        let index_path = self.opts.dir.join(INDEX);
        let index_at = self
            .index
            .metadata()
            .map(|m| m.len())
            .map_err(|e| Self::err(&index_path, "cannot append", e))?;
        self.index
            .write_all(&line)
            .and_then(|_| self.index.flush())
            .map_err(|e| Self::err(&index_path, "cannot append", e))?;
        self.summary.logs += 1;
        if partial {
            self.summary.partial += 1;
        }
        (self.on_done)(&Captured {
            path: path.clone(),
            bytes,
            partial,
        });
        Ok(Published {
            path,
            index_at,
            index_len: line.len() as u64,
            bytes,
            partial,
        })
    }

    /// The open log was published at a pause and has changed: `tmp` (finished) replaces
    /// its file in one rename, and its index line is replaced in a rewritten index.
    fn publish_again(
        &mut self,
        tmp: &Path,
        p: &mut Published,
        bytes: u64,
        partial: bool,
        end: End,
    ) -> io::Result<()> {
        if let Err(e) = fs::rename(tmp, &p.path) {
            let _ = fs::remove_file(tmp);
            return Err(Self::err(&p.path, "cannot replace", e));
        }
        let file_name = p
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let line = self.index_line(&file_name, bytes, partial, end)?;
        let index_path = self.opts.dir.join(INDEX);
        let err = |e| Self::err(&index_path, "cannot rewrite", e);
        let old = fs::read(&index_path).map_err(err)?;
        let (at, len) = (p.index_at as usize, p.index_len as usize);
        let mut text = Vec::with_capacity(old.len() + line.len());
        if at + len <= old.len() && old[at..at + len].ends_with(b"\n") {
            text.extend_from_slice(&old[..at]);
            text.extend_from_slice(&line);
            text.extend_from_slice(&old[at + len..]);
        } else {
            // The index was changed under us: add the line rather than lose it.
            text.extend_from_slice(&old);
            p.index_at = old.len() as u64;
            text.extend_from_slice(&line);
        }
        let (mut f, new_index) = self.new_tmp()?;
        let written = f
            .write_all(&text)
            .and_then(|_| f.sync_all())
            .and_then(|_| fs::rename(&new_index, &index_path));
        if let Err(e) = written {
            let _ = fs::remove_file(&new_index);
            return Err(err(e));
        }
        self.index = OpenOptions::new()
            .append(true)
            .open(&index_path)
            .map_err(err)?;
        p.index_len = line.len() as u64;
        if p.partial != partial {
            if partial {
                self.summary.partial += 1;
            } else {
                self.summary.partial -= 1;
            }
        }
        p.bytes = bytes;
        p.partial = partial;
        Ok(())
    }

    /// The input paused: publish the open log as it stands (its file is a copy of the
    /// bytes so far; the log goes on in its temporary file). Blank lines held back go with
    /// it, as at a header; other text held back (maybe a banner) waits.
    fn on_pause(&mut self, tracker: &Tracker) -> io::Result<()> {
        if self.cur.is_none() {
            return Ok(());
        }
        self.flush_leading_blank(tracker)?;
        self.hidden_tail = self.last_hidden;
        let partial = looks_partial(tracker, &self.meta);
        let mut cur = self.cur.take().expect("a log is open");
        let res = self.publish_snapshot(&mut cur, partial);
        self.cur = Some(cur);
        res
    }

    fn publish_snapshot(&mut self, cur: &mut Current, partial: bool) -> io::Result<()> {
        let bytes = cur.w.bytes();
        if cur
            .published
            .as_ref()
            .is_some_and(|p| p.bytes == bytes && p.partial == partial)
        {
            return Ok(());
        }
        let (f, snap) = self.new_tmp()?;
        drop(f);
        if let Err(e) = cur.w.snapshot(&cur.tmp, &snap) {
            let _ = fs::remove_file(&snap);
            return Err(Self::err(&cur.tmp, "cannot write", e));
        }
        match cur.published.as_mut() {
            Some(p) => self.publish_again(&snap, p, bytes, partial, End::Pause),
            None => {
                cur.published = Some(self.publish_new(&snap, bytes, partial, End::Pause)?);
                Ok(())
            }
        }
    }

    /// Close the open log: finish its file, give it its final name (or, if it was
    /// published at a pause, replace that file when it changed), index it.
    fn finish_log(&mut self, tracker: &Tracker, partial: bool, end: End) -> io::Result<()> {
        let Some(mut cur) = self.cur.take() else {
            return Ok(());
        };
        if let Err(e) = self.step.end_log(tracker, &mut cur.w) {
            let _ = fs::remove_file(&cur.tmp);
            return Err(Self::err(&cur.tmp, "cannot write", e));
        }
        let bytes = cur.w.bytes();
        match cur.w.finish() {
            Ok(parts) => self.parts = Some(parts),
            Err(e) => {
                let _ = fs::remove_file(&cur.tmp);
                return Err(Self::err(&cur.tmp, "cannot write", e));
            }
        }
        match cur.published {
            None => self.publish_new(&cur.tmp, bytes, partial, end).map(|_| ()),
            Some(p) if p.bytes == bytes && p.partial == partial => {
                // Nothing new since the pause: the published file stays.
                let _ = fs::remove_file(&cur.tmp);
                Ok(())
            }
            Some(mut p) => self.publish_again(&cur.tmp, &mut p, bytes, partial, end),
        }
    }

    fn abandon(&mut self) {
        if let Some(cur) = self.cur.take() {
            drop(cur.w);
            let _ = fs::remove_file(&cur.tmp);
        }
    }
}

fn synthetic(record: Record<'_>, log: u32) -> Item<'_> {
    Item {
        record,
        event: None,
        loc: Located::default(),
        log,
    }
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let mut b = b;
    while let [rest @ .., b'\n' | b'\r'] = b {
        b = rest;
    }
    b
}

/// Give `tmp` its final name `dir/stem[-k]ext`, never replacing an existing file. A hard
/// link fails when the target exists, which makes the check and the move one step; where
/// links are not supported, fall back to check-then-rename. Suffixes are tried from
/// `first` (the run remembers where each stem got to, so repeated names cost one try).
/// Returns the path and the suffix number used (1 = none).
fn place(tmp: &Path, dir: &Path, stem: &str, ext: &str, first: u64) -> io::Result<(PathBuf, u64)> {
    for k in first.max(1).. {
        let name = if k == 1 {
            format!("{stem}{ext}")
        } else {
            format!("{stem}-{k}{ext}")
        };
        let target = dir.join(name);
        match fs::hard_link(tmp, &target) {
            Ok(()) => {
                fs::remove_file(tmp)?;
                return Ok((target, k));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) => {
                if fs::symlink_metadata(&target).is_ok() {
                    continue;
                }
                fs::rename(tmp, &target)?;
                return Ok((target, k));
            }
        }
    }
    unreachable!("the name sequence is unbounded")
}

/// One line of `index.ndjson`.
#[derive(Serialize)]
struct IndexRecord<'a> {
    file: &'a str,
    bytes: u64,
    api_version: Option<&'a str>,
    user: Option<Cow<'a, str>>,
    entry_point: Option<Cow<'a, str>>,
    first_nanos: Option<u64>,
    last_nanos: Option<u64>,
    view: &'a str,
    redaction: &'a [String],
    truncated: bool,
    partial: bool,
    ended: &'a str,
    findings: &'a BTreeMap<&'a str, u64>,
}

/// True when the open log looks cut off: a real (non-package-marker) frame is still open,
/// or it never reached `EXECUTION_FINISHED` (unless Salesforce itself truncated it).
fn looks_partial(tracker: &Tracker, meta: &Meta) -> bool {
    let open = tracker
        .open_frames()
        .any(|(entry, _, _)| entry != EventType::EnteringManagedPkg);
    open || (!meta.saw_finished && !meta.truncated)
}

/// Capture `input` into `opts.dir` through `step`. `on_done` is called for each log once
/// its file is first in place and indexed (at the next header, at the end, or at a pause;
/// a later replacement of the same file is not reported again). A streamed input's reader
/// is taken out of `input` (left empty); its thread ends with the stream.
///
/// A read error ends the stream like EOF (the last log is marked partial) and is returned
/// in [`Summary::read_error`]. Write errors stop the run and are returned as an
/// `io::Error` wrapping a [`CaptureError`] that names the path.
pub fn capture<S: Step>(
    input: &mut Input,
    tracker: &mut Tracker,
    step: &mut S,
    opts: &Options,
    on_done: &mut dyn FnMut(&Captured),
) -> io::Result<Summary> {
    let dir = &opts.dir;
    fs::create_dir_all(dir).map_err(|e| {
        io::Error::new(
            e.kind(),
            CaptureError {
                path: dir.clone(),
                what: "cannot create folder",
                source: e,
            },
        )
    })?;
    let index_path = dir.join(INDEX);
    let index = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&index_path)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                CaptureError {
                    path: index_path.clone(),
                    what: "cannot open",
                    source: e,
                },
            )
        })?;
    let mut cap = Capturer {
        opts,
        view: step.view_label(),
        redaction: step.redaction_label(),
        step,
        on_done,
        index,
        pid: std::process::id(),
        tmp_seq: 0,
        seq: 0,
        cur: None,
        parts: None,
        next_suffix: HashMap::new(),
        meta: Meta::default(),
        findings: Findings::default(),
        bom: Vec::new(),
        pend: Vec::with_capacity(4096),
        pend_spans: Vec::with_capacity(16),
        last_line: 0,
        log_no: 0,
        last_hidden: false,
        hidden_tail: false,
        open_at_end: false,
        partial_at_end: false,
        summary: Summary::default(),
    };
    let stop = Arc::new(AtomicI32::new(0));
    let name = input.name.clone();
    let res = match std::mem::replace(&mut input.data, Data::Owned(Vec::new())) {
        Data::Stream(r) => {
            let reader = stream::spawn_reader(r);
            let _watch = SignalWatch::start(opts, &stop, Some(reader.stopper()));
            // A stop comes through the reader ([`Feed::Stop`]): what was read is kept.
            let run = Run {
                cap: &mut cap,
                stop: None,
            };
            stream::run_live(&name, &reader, tracker, opts.idle, run).map(|_| ())
        }
        data => {
            input.data = data;
            let _watch = SignalWatch::start(opts, &stop, None);
            let run = Run {
                cap: &mut cap,
                stop: Some(&stop),
            };
            stream::drive(input, tracker, stream::Threads::Auto, run).map(|_| ())
        }
    };
    let stopped_by = match stop.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    };
    let mut read_error = None;
    match res {
        Ok(_) => {}
        Err(RunError::Input(e)) => read_error = Some(e),
        Err(RunError::Consumer(e)) => {
            cap.abandon();
            return Err(e);
        }
    }
    let how = match (stopped_by, &read_error) {
        (Some(s), _) => End::Signal(s),
        (None, Some(_)) => End::ReadError,
        (None, None) => End::Input,
    };
    let partial = cap.open_at_end && (read_error.is_some() || cap.partial_at_end);
    let end = cap.finish_log(tracker, partial, how);
    if let Err(e) = end {
        cap.abandon();
        return Err(e);
    }
    let mut summary = cap.summary;
    summary.read_error = read_error;
    summary.stopped_by = stopped_by;
    Ok(summary)
}

/// The capturer as a consumer of a run; `stop` is the signal a run over a file checks
/// before each record (a stream's run hears of a signal through its reader).
struct Run<'a, 'o, S: Step> {
    cap: &'a mut Capturer<'o, S>,
    stop: Option<&'a AtomicI32>,
}

impl<S: Step> Sink for Run<'_, '_, S> {
    #[inline]
    fn item(&mut self, item: &Item<'_>, tracker: &Tracker) -> io::Result<Flow> {
        if self.stop.is_some_and(|s| s.load(Ordering::Relaxed) != 0) {
            return Ok(Flow::Stop);
        }
        self.cap.on_item(item, tracker)?;
        Ok(Flow::Continue)
    }

    fn idle(&mut self, tracker: &Tracker) -> io::Result<Flow> {
        self.cap.on_pause(tracker)?;
        Ok(Flow::Continue)
    }

    /// A log ended: at the end of the input, text after its last event belongs to it, and
    /// whether it looks cut short is read while its frames are still open. A log that a
    /// header ends is finished at that header ([`Capturer::on_item`]).
    fn log_end(&mut self, _: u32, how: LogEnd, tracker: &Tracker) -> io::Result<Flow> {
        if how == LogEnd::Input {
            let cap = &mut *self.cap;
            cap.open_at_end = cap.cur.is_some();
            if cap.open_at_end {
                cap.flush_pending(tracker)?;
            } else {
                cap.drop_pending();
            }
            cap.partial_at_end = looks_partial(tracker, &cap.meta);
        }
        Ok(Flow::Continue)
    }
}

/// Watches the stop signals of a run on a thread of its own (signal-hook): a stop signal
/// is stored in `stop` and, for a stream, sent as [`Feed::Stop`] so that a run waiting for
/// input wakes at once. Dropped, it stops watching.
struct SignalWatch {
    handle: Option<signal_hook::iterator::Handle>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SignalWatch {
    fn start(opts: &Options, stop: &Arc<AtomicI32>, feed: Option<SyncSender<Feed>>) -> Self {
        let mut all = opts.stop_signals.clone();
        all.extend(&opts.drain_signals);
        let none = SignalWatch {
            handle: None,
            thread: None,
        };
        if all.is_empty() {
            return none;
        }
        let Ok(mut signals) = signal_hook::iterator::Signals::new(&all) else {
            return none;
        };
        let handle = signals.handle();
        let drain = opts.drain_signals.clone();
        let on_drain = opts.on_drain;
        let stop = Arc::clone(stop);
        let thread = std::thread::spawn(move || {
            let mut drained = false;
            for sig in signals.forever() {
                if drain.contains(&sig) && !drained {
                    drained = true;
                    if let Some(f) = on_drain {
                        f(sig);
                    }
                    continue;
                }
                if stop.load(Ordering::SeqCst) == 0 {
                    stop.store(sig, Ordering::SeqCst);
                    if let Some(f) = &feed {
                        let _ = f.send(Feed::Stop);
                    }
                }
            }
        });
        SignalWatch {
            handle: Some(handle),
            thread: Some(thread),
        }
    }
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.close();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
