//! `dbglog scan`: batch scanning of files, folders and archives for known errors.
//!
//! The pipeline:
//!
//! 1. [`walk`] expands the command-line paths into a sorted list of [`walk::Entry`]s.
//! 2. The entries are scanned in parallel with rayon (`par_iter().map().collect()`, so the
//!    result keeps the walk's order whatever the thread count). Each file is identified by
//!    its first bytes ([`archive::Kind`]): gzip, zip, tar, or else a log. Archive members are
//!    inflated through a size and ratio limiter into a reusable buffer, one at a time per
//!    worker; zip members are spread over the workers too.
//! 3. [`matcher`] searches a log's whole buffer for the catalogue's literals and runs the
//!    parser with namespace tracking, confirming each hit on its event with the rule's regex.
//! 4. [`report`] prints the findings and the summary as a table, JSON, NDJSON or CSV.
//!
//! Every input ends up in exactly one [`FileReport`] with a [`Status`]: scanned, failed
//! (with the reason) or skipped (with the reason), so the counts always add up.

pub mod archive;
pub mod halves;
pub mod matcher;
pub mod report;
pub mod walk;

use crate::input::{self, Data, Input};
use crate::rules::Catalogue;
use crate::stream;
use rayon::prelude::*;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use walk::Entry;

/// Limits and settings of a scan.
#[derive(Clone, Debug)]
pub struct Options {
    /// Stop inflating an archive (or member) once it grew beyond this many bytes.
    pub max_inflate_size: u64,
    /// Stop inflating once the output exceeds this multiple of the compressed bytes read
    /// (checked once the output passed [`archive::RATIO_FLOOR`]).
    pub max_inflate_ratio: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_inflate_size: 2 << 30,
            max_inflate_ratio: 64.0,
        }
    }
}

/// What became of one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Scanned completely (with or without findings).
    Scanned,
    /// Could not be scanned; the reason names the problem.
    Failed(String),
    /// Deliberately not scanned (not a log); the reason says why.
    Skipped(String),
}

/// One known error found in a log: the one findings model ([`crate::findings`]).
pub use crate::findings::Finding;

/// The outcome of one input: a file, an archive member, or stdin.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// Display name: the path, or `archive.zip!member/path.log` for a member.
    pub name: String,
    /// Scanned, failed or skipped.
    pub status: Status,
    /// Log bytes scanned (after inflating and transcoding).
    pub bytes: u64,
    /// The findings, in log order.
    pub findings: Vec<Finding>,
    /// The analyze report of the log, when the scanner analyzes instead of scanning
    /// ([`Scanner::analyzing`], for `compare`); then `findings` is empty.
    pub analysis: Option<Box<crate::analyze::Report>>,
}

impl FileReport {
    fn failed(name: impl Into<String>, reason: impl Into<String>) -> Self {
        FileReport {
            name: name.into(),
            status: Status::Failed(reason.into()),
            bytes: 0,
            findings: Vec::new(),
            analysis: None,
        }
    }
    fn skipped(name: impl Into<String>, reason: impl Into<String>) -> Self {
        FileReport {
            name: name.into(),
            status: Status::Skipped(reason.into()),
            bytes: 0,
            findings: Vec::new(),
            analysis: None,
        }
    }
}

/// How deep archives inside archives are opened (a `.log.gz` inside a `.zip` is depth 2).
pub const MAX_NESTING: u32 = 3;

/// Scans inputs with one catalogue and one set of limits.
#[derive(Clone, Copy, Debug)]
pub struct Scanner<'c> {
    /// The rules.
    pub catalogue: &'c Catalogue,
    /// The limits.
    pub options: &'c Options,
    /// Analyze every log with these options instead of scanning it: each log's report
    /// then holds an [`crate::analyze::Report`] in `analysis`.
    pub analyze: Option<&'c crate::analyze::Options>,
}

impl<'c> Scanner<'c> {
    /// A scanner.
    pub fn new(catalogue: &'c Catalogue, options: &'c Options) -> Self {
        Scanner {
            catalogue,
            options,
            analyze: None,
        }
    }

    /// A scanner that walks inputs as [`Scanner::new`]'s does but analyzes every log it
    /// finds ([`crate::analyze::analyze`] with `analyze`) instead of scanning it.
    pub fn analyzing(
        catalogue: &'c Catalogue,
        options: &'c Options,
        analyze: &'c crate::analyze::Options,
    ) -> Self {
        Scanner {
            catalogue,
            options,
            analyze: Some(analyze),
        }
    }

    /// Scan every entry in parallel (on the current rayon pool). The result is in entry
    /// order, archive members in archive order. `done` is called once per finished entry
    /// (for a progress bar).
    pub fn scan_entries(&self, entries: &[Entry], done: &(dyn Fn() + Sync)) -> Vec<FileReport> {
        self.scan_entries_until(entries, done, &AtomicUsize::new(0))
    }

    /// [`scan_entries`](Scanner::scan_entries) that stops starting entries once `stop` is
    /// not 0 (the number of the signal that stops the run): the entries not begun are reported as
    /// skipped, `not scanned: stopped by …`, so the counts still add up. Entries already
    /// begun are finished.
    pub fn scan_entries_until(
        &self,
        entries: &[Entry],
        done: &(dyn Fn() + Sync),
        stop: &AtomicUsize,
    ) -> Vec<FileReport> {
        // One file and spare threads: frame it on two (see stream::Threads).
        // With many entries the threads are already busy with one entry each.
        let threads = if entries.len() == 1 && rayon::current_num_threads() > 1 {
            stream::Threads::Auto
        } else {
            stream::Threads::One
        };
        let nested: Vec<Vec<FileReport>> = entries
            .par_iter()
            .map(|e| {
                let sig = stop.load(Ordering::Relaxed);
                let r = if sig != 0 {
                    vec![FileReport::skipped(
                        e.name(),
                        format!(
                            "not scanned: stopped by {}",
                            crate::capture::signal_name(sig as i32)
                        ),
                    )]
                } else {
                    self.scan_entry(e, threads)
                };
                done();
                r
            })
            .collect();
        nested.into_iter().flatten().collect()
    }

    /// Scan one entry: a file (plain, compressed or archive), stdin, or a decided outcome.
    pub fn scan_entry(&self, entry: &Entry, threads: stream::Threads) -> Vec<FileReport> {
        let mut out = Vec::new();
        match entry {
            Entry::Failed { name, reason } => out.push(FileReport::failed(name, reason)),
            Entry::Skipped { name, reason } => out.push(FileReport::skipped(name, reason)),
            Entry::Stdin => self.scan_stdin(&mut out),
            Entry::File { path, name } => match input::open_path(path) {
                Err(e) => {
                    let reason = match &e.source {
                        Some(s) => format!("{}: {s}", e.what),
                        None => e.what.clone(),
                    };
                    out.push(FileReport::failed(name, reason));
                }
                Ok(mut inp) => {
                    inp.name = name.clone();
                    if let Data::Stream(r) = &mut inp.data {
                        // A pipe or device named on the command line: read it whole.
                        let mut buf = Vec::new();
                        match r.read_to_end(&mut buf) {
                            Ok(_) => self.scan_owned(name, buf, 1, &mut out),
                            Err(e) => {
                                out.push(FileReport::failed(name, format!("read failed: {e}")))
                            }
                        }
                    } else {
                        self.scan_input(inp, 1, threads, &mut out);
                    }
                }
            },
        }
        out
    }

    /// Scan stdin. A plain log is streamed (memory bounded by the largest record); an
    /// archive or compressed stream, recognised by its first bytes, is read whole.
    fn scan_stdin(&self, out: &mut Vec<FileReport>) {
        const HEAD: usize = 64 * 1024;
        let mut stdin = std::io::stdin();
        let mut head = Vec::with_capacity(HEAD);
        if let Err(e) = (&mut stdin).take(HEAD as u64).read_to_end(&mut head) {
            out.push(FileReport::failed("<stdin>", format!("read failed: {e}")));
            return;
        }
        let plain = archive::Kind::detect(&head) == archive::Kind::Log
            && !input::decode::sniff(&head).is_utf16();
        if plain && self.analyze.is_none() {
            let chained = std::io::Cursor::new(head.clone()).chain(stdin);
            let mut inp = input::from_reader("<stdin>", Box::new(chained));
            out.push(matcher::scan_stream(self.catalogue, &mut inp, &head));
            return;
        }
        let mut buf = head;
        match stdin.read_to_end(&mut buf) {
            Ok(_) => self.scan_owned("<stdin>", buf, 1, out),
            Err(e) => out.push(FileReport::failed("<stdin>", format!("read failed: {e}"))),
        }
    }

    /// Scan the bytes of one whole file held in memory (plain, UTF-16, gzip, zip or tar),
    /// as if it were a file called `name`.
    pub fn scan_bytes(&self, name: &str, bytes: Vec<u8>) -> Vec<FileReport> {
        let mut out = Vec::new();
        self.scan_owned(name, bytes, 1, &mut out);
        out
    }

    /// Scan bytes that are a whole file: detect the format and dispatch.
    fn scan_owned(&self, name: &str, buf: Vec<u8>, depth: u32, out: &mut Vec<FileReport>) {
        self.scan_input(
            input::from_bytes(name, buf),
            depth,
            stream::Threads::One,
            out,
        );
    }

    /// Scan an input held in memory (mapped or owned).
    fn scan_input(
        &self,
        mut inp: Input,
        depth: u32,
        threads: stream::Threads,
        out: &mut Vec<FileReport>,
    ) {
        let kind = archive::Kind::detect(inp.as_slice().unwrap_or(&[]));
        if kind != archive::Kind::Log {
            if depth > MAX_NESTING {
                out.push(FileReport::skipped(
                    &inp.name,
                    format!("{} nested too deep (not opened)", kind.as_str()),
                ));
                return;
            }
            let bytes = inp.as_slice().unwrap_or(&[]);
            archive::scan_archive(self, kind, &inp.name, bytes, depth, out);
            return;
        }
        out.push(match self.analyze {
            Some(opts) => analyze_log(self.catalogue, opts, &mut inp),
            None => matcher::scan_log(self.catalogue, &mut inp, threads),
        });
    }

    /// Scan a member's bytes, held in the caller's reusable buffer.
    fn scan_member(&self, name: &str, bytes: &[u8], depth: u32, out: &mut Vec<FileReport>) {
        if archive::Kind::detect(bytes) != archive::Kind::Log || self.analyze.is_some() {
            // Rare: a compressed log inside an archive. It gets its own buffers.
            self.scan_owned(name, bytes.to_vec(), depth, out);
            return;
        }
        out.push(matcher::scan_slice(self.catalogue, name, bytes));
    }
}

/// Analyze one log held in memory: skipped when it holds no log, failed when the run fails.
fn analyze_log(cat: &Catalogue, opts: &crate::analyze::Options, inp: &mut Input) -> FileReport {
    match crate::analyze::analyze(inp, opts, cat) {
        Err(e) => FileReport::failed(&inp.name, e.to_string()),
        Ok(r) => {
            let s = stream::Summary {
                logs: r.summary.logs,
                bytes: r.summary.bytes,
                ..Default::default()
            };
            if let Some(why) = stream::not_a_log(&s) {
                return FileReport::skipped(&inp.name, why);
            }
            FileReport {
                name: inp.name.clone(),
                status: Status::Scanned,
                bytes: r.summary.bytes,
                findings: Vec::new(),
                analysis: Some(Box::new(r)),
            }
        }
    }
}

/// Totals over a list of reports. Archive members count as files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Every input: scanned + failed + skipped.
    pub given: u64,
    /// Scanned completely.
    pub scanned: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped (not logs).
    pub skipped: u64,
    /// Findings (a doubled event counts once).
    pub findings: u64,
    /// Log bytes scanned.
    pub bytes: u64,
}

impl Totals {
    /// Count `reports`.
    pub fn of(reports: &[FileReport]) -> Totals {
        let mut t = Totals::default();
        for r in reports {
            t.given += 1;
            match r.status {
                Status::Scanned => t.scanned += 1,
                Status::Failed(_) => t.failed += 1,
                Status::Skipped(_) => t.skipped += 1,
            }
            t.findings += r.findings.len() as u64;
            t.bytes += r.bytes;
        }
        t
    }
}
