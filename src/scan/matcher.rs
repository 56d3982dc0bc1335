//! Finding known errors in one log.
//!
//! The whole buffer is searched once with the catalogue's prefilter (Aho–Corasick over a
//! few strings that cover every literal, leftmost-first, so its SIMD searcher runs), and
//! each line it proposes is confirmed with the exact literals. A log without a hit is done:
//! nothing in it can match. Otherwise the parser runs over the log with namespace tracking, and only the
//! records whose byte range holds a hit are matched with [`Catalogue::match_event`]; the run
//! stops after the record holding the last hit.

use super::{FileReport, Finding, Status};
use crate::event::parse::head;
use crate::framing::is_header;
use crate::input::Input;
use crate::rules::Catalogue;
use crate::stream::{self, Flow, Sink};
use crate::track::Tracker;
use memchr::memchr;
use std::io;

/// Longest message kept in a finding: the findings model's ([`crate::findings::MESSAGE_MAX`]).
pub use crate::findings::MESSAGE_MAX;

/// A log is binary if the first this many bytes hold a NUL.
pub const BINARY_WINDOW: usize = 8 << 10;

/// A log must show a header or an event line within this many bytes.
pub const LOG_WINDOW: usize = 64 << 10;

/// Why a buffer is not scanned as a log, if it is not one.
pub fn not_a_log(b: &[u8]) -> Option<&'static str> {
    if b.is_empty() {
        return Some("empty file");
    }
    if memchr(0, &b[..b.len().min(BINARY_WINDOW)]).is_some() {
        return Some("binary content (NUL byte in the first 8 KiB)");
    }
    let mut w = &b[..b.len().min(LOG_WINDOW)];
    if let Some(rest) = w.strip_prefix(b"\xEF\xBB\xBF") {
        w = rest;
    }
    for line in w.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if is_header(line) || head(line).is_some() {
            return None;
        }
    }
    Some("not an Apex debug log (no header or event line in the first 64 KiB)")
}

/// Scan one log held in memory (`input` must be mapped or owned). Never fails on content:
/// a buffer that is not a log is reported as skipped.
pub fn scan_log(cat: &Catalogue, input: &mut Input, threads: stream::Threads) -> FileReport {
    let name = input.name.clone();
    let Some(bytes) = input.as_slice() else {
        return FileReport::failed(name, "internal: streamed input reached the matcher");
    };
    match prefilter(cat, name, bytes, threads) {
        Ok((report, hits)) => track(cat, Source::Bytes(bytes), report, Some(&hits), threads),
        Err(done) => done,
    }
}

/// Scan a plain log read as a stream (stdin): memory stays bounded by the largest record,
/// not by the input. `head` is the start of the stream (at least 64 KiB, or all of it),
/// used to decide whether it is a log; `input` must yield the whole stream, head included.
/// Without a whole-buffer search, each record is checked for literals as it passes.
pub fn scan_stream(cat: &Catalogue, input: &mut Input, head: &[u8]) -> FileReport {
    if let Some(why) = not_a_log(head) {
        return FileReport::skipped(input.name.clone(), why);
    }
    let report = FileReport {
        name: input.name.clone(),
        status: Status::Scanned,
        bytes: 0,
        findings: Vec::new(),
        analysis: None,
    };
    track(
        cat,
        Source::Stream(input),
        report,
        None,
        stream::Threads::One,
    )
}

/// Scan a log in a borrowed buffer (an archive member), without copying it.
pub fn scan_slice(cat: &Catalogue, name: &str, bytes: &[u8]) -> FileReport {
    if crate::input::decode::sniff(bytes).is_utf16() {
        return scan_log(
            cat,
            &mut crate::input::from_bytes(name, bytes.to_vec()),
            stream::Threads::One,
        );
    }
    match prefilter(cat, name.to_string(), bytes, stream::Threads::One) {
        Ok((report, hits)) => track(
            cat,
            Source::Bytes(bytes),
            report,
            Some(&hits),
            stream::Threads::One,
        ),
        Err(done) => done,
    }
}

/// Classify the buffer and search it for literals. `Err` holds the final report (skipped,
/// or scanned without a hit); `Ok` the report to complete and the sorted hit offsets.
fn prefilter(
    cat: &Catalogue,
    name: String,
    bytes: &[u8],
    threads: stream::Threads,
) -> Result<(FileReport, Vec<u64>), FileReport> {
    if let Some(why) = not_a_log(bytes) {
        return Err(FileReport::skipped(name, why));
    }
    let find = |from: usize, to: usize| hits_in(cat, bytes, from, to);
    // A large file with a spare thread (the caller passes One otherwise): search its two
    // halves at once, split at a line break. No literal spans a line break, so the hits are
    // the same as one search's.
    let split = (threads != stream::Threads::One
        && bytes.len() >= stream::PIPELINE_MIN
        && !cat.literals_span_lines())
    .then(|| memchr(b'\n', &bytes[bytes.len() / 2..]).map(|i| bytes.len() / 2 + i + 1))
    .flatten();
    let hits = match split {
        Some(mid) => {
            let (mut a, b) = rayon::join(|| find(0, mid), || find(mid, bytes.len()));
            a.extend(b);
            a
        }
        None => find(0, bytes.len()),
    };
    let report = FileReport {
        name,
        status: Status::Scanned,
        bytes: bytes.len() as u64,
        findings: Vec::new(),
        analysis: None,
    };
    if hits.is_empty() {
        return Err(report);
    }
    Ok((report, hits))
}

/// The offsets in `bytes[from..to]` (which starts and ends at line breaks) of the first
/// catalogue literal on every line that holds one, in order. The fast prefilter
/// ([`Catalogue::prefilter`]) proposes lines; the exact literal search confirms each, so a
/// line where only a shared substring occurs (`Maximum` of every limit block, say) is no
/// hit and a log without literals is done here. A literal with a line break in it spans
/// lines: then the exact search runs over the whole range.
fn hits_in(cat: &Catalogue, bytes: &[u8], from: usize, to: usize) -> Vec<u64> {
    let hay = &bytes[from..to];
    if cat.literals_span_lines() {
        return cat
            .literal_searcher()
            .find_iter(hay)
            .map(|m| (from + m.start()) as u64)
            .collect();
    }
    let mut out = Vec::new();
    let mut checked = 0usize; // lines before this offset are done
    for m in cat.prefilter().find_iter(hay) {
        let at = m.start();
        if at < checked {
            continue;
        }
        let start = memchr::memrchr(b'\n', &hay[..at]).map_or(0, |p| p + 1);
        let end = memchr(b'\n', &hay[at..]).map_or(hay.len(), |p| at + p);
        if let Some(lit) = cat.literal_searcher().find(&hay[start..end]) {
            out.push((from + start + lit.start()) as u64);
        }
        checked = end;
    }
    out
}

/// What [`track`] reads: a log in memory (UTF-8), or a stream.
enum Source<'a> {
    Bytes(&'a [u8]),
    Stream(&'a mut Input),
}

/// Run the parser and tracker over `src`, matching the records that hold a hit: those
/// containing one of the sorted `hits` offsets, or (for streams, `None`) those in which the
/// prefilter finds something.
///
/// A large buffer whose hits do not all come early is run as two halves at once when it has
/// an execution start near its middle ([`super::halves::run_halves`]): each half has its own
/// tracker and findings, and the second's are kept only if the cut held (else the first
/// half's run goes on to the end, as a single run would).
fn track(
    cat: &Catalogue,
    src: Source<'_>,
    mut report: FileReport,
    hits: Option<&[u64]>,
    threads: stream::Threads,
) -> FileReport {
    track_with(cat, src, &mut report, hits, threads, stream::PIPELINE_MIN);
    report
}

/// [`track`] with the smallest buffer that is cut in halves (tests make it small).
fn track_with(
    cat: &Catalogue,
    src: Source<'_>,
    report: &mut FileReport,
    hits: Option<&[u64]>,
    threads: stream::Threads,
    halves_min: usize,
) {
    let mut tracker = Tracker::new().without_closed();
    let mut a = Matching::new(cat, hits, 0);
    let res = match src {
        Source::Bytes(b) => {
            let cut = match (hits, threads) {
                (Some(h), stream::Threads::Auto | stream::Threads::Two)
                    if b.len() >= halves_min =>
                {
                    super::halves::execution_seam(b, b.len() / 2, b.len() / 4 * 3)
                        .filter(|&(at, _)| h.last().is_some_and(|&l| l >= at as u64))
                        .map(|(at, seam)| (at, seam, h))
                }
                _ => None,
            };
            match cut {
                Some((at, seam, hits)) => {
                    let first_after = hits.partition_point(|&h| h < at as u64);
                    let mut tb = tracker.fresh_for_rest();
                    let mut b_half = Matching::new(cat, Some(hits), first_after);
                    let res = super::halves::run_halves(
                        b,
                        at,
                        seam,
                        &mut tracker,
                        &mut a,
                        &mut tb,
                        &mut b_half,
                    );
                    res.map(|h| {
                        if h.held {
                            for mut f in b_half.hit.findings {
                                f.log_line += h.lines_before;
                                f.last_line += h.lines_before;
                                a.hit.findings.push(f);
                            }
                        }
                    })
                }
                None => stream::drive_bytes(b, &mut tracker, threads, &mut a).map(|_| ()),
            }
        }
        Source::Stream(input) => stream::drive(input, &mut tracker, threads, &mut a).map(|_| ()),
    };
    if hits.is_none() {
        report.bytes = a.streamed_bytes;
    }
    report.findings = a.hit.findings;
    crate::findings::pair_exceptions(&mut report.findings);
    if let Err(e) = res {
        report.status = Status::Failed(e.to_string());
    }
}

/// One run's matching state: which hit comes next, and the findings so far.
struct Matching<'c, 'h> {
    hits: Option<&'h [u64]>,
    /// Index of the next hit not yet passed.
    next: usize,
    streamed_bytes: u64,
    hit: Hit<'c>,
}

impl<'c, 'h> Matching<'c, 'h> {
    fn new(cat: &'c Catalogue, hits: Option<&'h [u64]>, next: usize) -> Self {
        Matching {
            hits,
            next,
            streamed_bytes: 0,
            hit: Hit {
                cat,
                findings: Vec::new(),
            },
        }
    }
}

impl Sink for Matching<'_, '_> {
    /// Match `item` if it holds a hit; stop after the record that holds the last one.
    #[inline]
    fn item(&mut self, item: &stream::Item<'_>, t: &Tracker) -> io::Result<Flow> {
        let rec = &item.record;
        let end = rec.offset + rec.raw.len() as u64;
        match self.hits {
            Some(hits) => {
                if self.next >= hits.len() || hits[self.next] >= end {
                    return Ok(Flow::Continue);
                }
                while self.next < hits.len() && hits[self.next] < end {
                    self.next += 1;
                }
            }
            None => {
                self.streamed_bytes += rec.raw.len() as u64;
                if !self.hit.cat.prefilter().is_match(rec.raw) {
                    return Ok(Flow::Continue);
                }
            }
        }
        self.hit.record(item, t);
        if self.hits.is_some_and(|h| self.next == h.len()) {
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    }
}

/// The findings of one log, made from the records that hold a hit.
struct Hit<'c> {
    cat: &'c Catalogue,
    findings: Vec<Finding>,
}

impl Hit<'_> {
    /// Match a record that holds a hit and add its findings. Kept out of line: most
    /// records hold none, and the per-record loop stays small.
    #[inline(never)]
    fn record(&mut self, item: &stream::Item<'_>, t: &Tracker) {
        crate::findings::match_item(self.cat, item, t, &mut self.findings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sniffing() {
        assert_eq!(not_a_log(b""), Some("empty file"));
        assert!(not_a_log(b"abc\0def").unwrap().starts_with("binary"));
        assert!(
            not_a_log(b"hello\nworld\n")
                .unwrap()
                .starts_with("not an Apex")
        );
        assert_eq!(not_a_log(b"61.0 APEX_CODE,FINE\n"), None);
        assert_eq!(
            not_a_log(b"\xEF\xBB\xBF12:00:00.1 (1)|EXECUTION_STARTED\n"),
            None
        );
    }

    /// The findings of `doc`, run as one or (where it can be cut) as two halves.
    fn findings(doc: &[u8], threads: stream::Threads, halves_min: usize) -> Vec<Finding> {
        let cat = Catalogue::builtin();
        let (mut report, hits) = prefilter(cat, "x".into(), doc, stream::Threads::One).unwrap();
        track_with(
            cat,
            Source::Bytes(doc),
            &mut report,
            Some(&hits),
            threads,
            halves_min,
        );
        assert_eq!(report.status, Status::Scanned);
        report.findings
    }

    /// The prefilter's shared substrings bring no hit of their own: the hits are the first
    /// literal of every line that holds one, as a line-by-line exact search finds them.
    #[test]
    fn hits_are_the_lines_with_a_literal() {
        let cat = Catalogue::builtin();
        let mut doc = crate::generate::sample(400 << 10, 9);
        doc.extend_from_slice(
            b"12:00:00.0 (1)|LIMIT_USAGE_FOR_NS|(default)|\n  Maximum CPU time: 10 out of 10000\n\
              12:00:00.0 (2)|USER_DEBUG|[1]|DEBUG|Too many cooks, Invalid input\n\
              12:00:00.0 (3)|EXCEPTION_THROWN|[1]|System.LimitException: Maximum stack depth reached: 1001\n",
        );
        let mut expected = Vec::new();
        let mut at = 0;
        for line in doc.split_inclusive(|&c| c == b'\n') {
            if let Some(m) = cat.literal_searcher().find(line) {
                expected.push((at + m.start()) as u64);
            }
            at += line.len();
        }
        assert!(expected.len() > 3, "{expected:?}");
        assert_eq!(hits_in(cat, &doc, 0, doc.len()), expected);
        // Shared substrings alone: no hit.
        let shared = b"  Maximum CPU time: 10 out of 10000\nToo many cooks\nInvalid input\n";
        assert!(cat.prefilter().is_match(&shared[..]));
        assert_eq!(hits_in(cat, shared, 0, shared.len()), Vec::<u64>::new());
    }

    /// Halves find what one run finds, lines and namespaces included.
    #[test]
    fn halves_find_what_one_run_finds() {
        for seed in 1..=4 {
            let doc = crate::generate::sample(3 << 20, seed);
            let (at, _) =
                super::super::halves::execution_seam(&doc, doc.len() / 2, doc.len() / 4 * 3)
                    .expect("an execution start past the middle");
            let one = findings(&doc, stream::Threads::One, usize::MAX);
            assert!(
                one.iter()
                    .any(|f| f.log_line
                        > 1 + doc[..at].iter().filter(|&&c| c == b'\n').count() as u64)
            );
            assert!(one.iter().any(|f| f.namespace != "(default)"), "{one:?}");
            assert_eq!(findings(&doc, stream::Threads::Two, 0), one, "seed {seed}");
        }
    }

    #[test]
    fn long_messages_are_cut() {
        let text = "x".repeat(500);
        let m = crate::findings::message(None, text.as_bytes(), 0);
        assert_eq!(m.chars().count(), MESSAGE_MAX);
        assert!(m.ends_with('…'));
    }
}
