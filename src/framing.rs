//! Framing: bytes → records.
//!
//! Splits the input into physical lines with memchr and groups them into records: the
//! UTF-8 BOM, header lines, text lines that belong to no event (preamble before a log's
//! first event, CLI banners, stray text after a truncation marker), events with their
//! continuation lines, and truncation markers. Concatenating the `raw` bytes of every
//! record gives back the input byte for byte, whatever the input is.
//!
//! The [`Framer`] is resumable: feed it a buffer, it emits every record it can prove
//! complete and says how many bytes it consumed; feed the rest again with more data
//! appended. That is how stdin is read in bounded chunks.

use crate::event::EventType;
use crate::event::parse::{Head, head, parse_u64_commas};
use memchr::memchr;

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// The 3-byte UTF-8 byte order mark at the start of the input.
    Bom,
    /// A header line (`61.0 APEX_CODE,FINEST;…`): the start of a log.
    Header,
    /// A line that belongs to no event: preamble (`Execute Anonymous: …`, CLI banners)
    /// or text after a truncation marker.
    Text,
    /// An event line with its continuation lines.
    Event,
    /// `*** Skipped N bytes of detailed log`.
    Skipped,
    /// `*** MAXIMUM DEBUG LOG SIZE REACHED ***`, on its own line or cut into the end of one.
    MaxSize,
}

impl RecordKind {
    /// A stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Bom => "bom",
            RecordKind::Header => "header",
            RecordKind::Text => "text",
            RecordKind::Event => "event",
            RecordKind::Skipped => "skipped",
            RecordKind::MaxSize => "max_size",
        }
    }
}

/// One record: a span of the input.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// What it is.
    pub kind: RecordKind,
    /// Its exact bytes, line terminators included.
    pub raw: &'a [u8],
    /// Byte offset in the (decoded) input.
    pub offset: u64,
    /// 1-based line number of its first line.
    pub line: u64,
    /// For events, the parsed head.
    pub head: Option<Head>,
}

impl Record<'_> {
    /// For a `Skipped` marker, the number of bytes Salesforce removed.
    pub fn skipped_bytes(&self) -> Option<u64> {
        if self.kind != RecordKind::Skipped {
            return None;
        }
        let t = trim_line(self.raw);
        let rest = t.strip_prefix(b"*** Skipped ")?;
        let sp = memchr(b' ', rest)?;
        parse_u64_commas(&rest[..sp])
    }
}

/// The truncation phrase with the `* ` that always precedes it.
const MAX_NEEDLE: &[u8] = b"* MAXIMUM DEBUG LOG SIZE REACHED";

#[derive(Clone, Copy, Debug)]
struct Pending {
    head: Head,
    /// Position (relative to the buffer) of the first non-blank continuation line.
    first_text_cont: Option<usize>,
    /// A header-shaped line inside this record's quoted text, not yet known to start a
    /// new log: its start and end (relative to the buffer) and its line number. The
    /// next event head decides ([`Framer::starts_log`]).
    maybe_header: Option<(usize, usize, u64)>,
}

/// The resumable framer. See the module docs.
#[derive(Debug)]
pub struct Framer {
    offset: u64,
    line: u64,
    pending: Option<Pending>,
    resume: usize,
    resume_line: u64,
    in_events: bool,
    last_nanos: Option<u64>,
    /// How far (relative to the resume point) the incomplete last line was already searched
    /// for a newline and for the size marker, so a huge line is scanned once, not per chunk.
    scanned: usize,
    max_hint: Option<usize>,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// A framer at the start of an input.
    pub fn new() -> Self {
        Framer {
            offset: 0,
            line: 1,
            pending: None,
            resume: 0,
            resume_line: 1,
            in_events: false,
            last_nanos: None,
            scanned: 0,
            max_hint: None,
        }
    }

    /// A framer that starts at byte `offset` of an input, at a [`seam`] (records carry
    /// absolute offsets; line numbers count from 1 at the seam).
    pub fn at(offset: u64) -> Self {
        Framer {
            offset,
            ..Self::new()
        }
    }

    /// The number of the next line to be read (1 + lines read so far).
    pub fn next_line(&self) -> u64 {
        self.resume_line
    }

    /// Would a line with head `h` be read as quoted text of the record still pending (a
    /// `System.debug` of another log), rather than start a record, or could the framing
    /// before it still change (a header-shaped line in quoted text waits for the next
    /// event head)? Ask after a `feed` without `eof`: a framer that starts afresh at `h`
    /// reads what this one reads only when this says no.
    #[inline(always)]
    pub fn would_quote(&self, h: &Head) -> bool {
        self.quotes(h) || self.pending.is_some_and(|p| p.maybe_header.is_some())
    }

    /// The continuation rule (see `docs/framing.md`): a line with an event head starts an
    /// event, of unknown type if need be, unless the pending record is free text that can
    /// quote log lines ([`EventType::quotes_log_lines`]: `USER_DEBUG` and its kind) and the
    /// line's type is unknown or its clock runs backwards.
    #[inline(always)]
    fn quotes(&self, h: &Head) -> bool {
        match self.pending {
            Some(p) if p.head.etype.quotes_log_lines() => {
                h.etype == EventType::Unknown
                    || matches!((h.nanos, self.last_nanos), (Some(n), Some(l)) if n < l)
            }
            _ => false,
        }
    }

    /// The new-log rule (see `docs/framing.md`): a header-shaped line met inside quoted
    /// text starts a new log when the first event head after it opens a log
    /// (`USER_INFO`, `EXECUTION_STARTED`) or restarts the clock (its nanoseconds are below
    /// the last ones of the current log).
    #[inline]
    fn starts_log(&self, h: &Head) -> bool {
        matches!(h.etype, EventType::UserInfo | EventType::ExecutionStarted)
            || matches!((h.nanos, self.last_nanos), (Some(n), Some(l)) if n < l)
    }

    /// Frame `buf`, which continues the input where the last call's consumed bytes ended.
    /// Emits every complete record and returns how many bytes of `buf` were consumed.
    /// With `eof`, all of `buf` is consumed.
    pub fn feed<'b, E, F>(&mut self, buf: &'b [u8], eof: bool, emit: &mut F) -> Result<usize, E>
    where
        F: FnMut(Record<'b>) -> Result<(), E>,
    {
        let mut pstart = 0usize; // start of the pending record, or of the next record
        let mut pstart_line = self.line;
        let mut pos = self.resume;
        let mut line_no = self.resume_line;
        // Resume the searches where the last call stopped in the incomplete line.
        let skip = self.scanned.min(buf.len().saturating_sub(pos));
        self.scanned = 0;
        let mut next_max = match self.max_hint.take() {
            // The last call saw the marker phrase in the incomplete line.
            Some(rel) => pos + rel,
            None => find_from(buf, pos + skip.saturating_sub(MAX_NEEDLE.len())),
        };
        let mut nl_from = pos + skip;
        let mut newlines = crate::bytes::Newlines::new(buf, pos);

        macro_rules! single {
            ($kind:expr_2021, $start:expr_2021, $end:expr_2021, $line:expr_2021) => {{
                emit(Record {
                    kind: $kind,
                    raw: &buf[$start..$end],
                    offset: self.offset + $start as u64,
                    line: $line,
                    head: None,
                })?;
            }};
        }

        while pos < buf.len() {
            let from = nl_from.max(pos);
            let (line_end, next) = match newlines.find(from) {
                Some(i) => (i, i + 1),
                None if eof => (buf.len(), buf.len()),
                None => {
                    self.scanned = buf.len() - pos;
                    if next_max != usize::MAX && next_max >= pos {
                        self.max_hint = Some(next_max - pos);
                    }
                    break;
                }
            };
            nl_from = 0;
            // The UTF-8 BOM is a record of its own.
            if self.offset + pos as u64 == 0 && buf[pos..line_end].starts_with(b"\xEF\xBB\xBF") {
                single!(RecordKind::Bom, pos, pos + 3, line_no);
                pos += 3;
                pstart = pos;
                pstart_line = line_no;
                continue;
            }
            // A MAXIMUM DEBUG LOG SIZE marker inside this line cuts it.
            if next_max < pos {
                next_max = find_from(buf, pos);
            }
            let cut = if next_max < line_end {
                Some(marker_start(buf, pos, next_max))
            } else {
                None
            };
            let content_end = cut.unwrap_or(line_end);
            let content = strip_cr(&buf[pos..content_end]);

            if !content.is_empty() || cut.is_none() {
                self.classify(
                    buf,
                    pos,
                    next,
                    content,
                    line_no,
                    cut.is_some(),
                    &mut pstart,
                    &mut pstart_line,
                    emit,
                )?;
            }
            if let Some(c) = cut {
                // The record before the marker ends at the marker; the marker runs to the line end.
                if self.pending.is_some() {
                    self.flush_pending(buf, c, pstart, pstart_line, emit)?;
                } else if c > pstart {
                    single!(RecordKind::Text, pstart, c, pstart_line);
                }
                single!(RecordKind::MaxSize, c, next, line_no);
                pstart = next;
                pstart_line = line_no + 1;
                self.in_events = true;
                next_max = find_from(buf, next);
            }
            pos = next;
            line_no += 1;
        }

        if eof {
            self.flush_pending(buf, buf.len(), pstart, pstart_line, emit)?;
            self.offset += buf.len() as u64;
            self.line = line_no;
            self.resume = 0;
            self.resume_line = line_no;
            return Ok(buf.len());
        }
        // Keep the pending record (it starts at pstart) for the next call.
        if let Some(p) = self.pending.as_mut() {
            if let Some(t) = p.first_text_cont.as_mut() {
                *t -= pstart;
            }
            if let Some((s, e, _)) = p.maybe_header.as_mut() {
                *s -= pstart;
                *e -= pstart;
            }
        }
        self.resume = pos - pstart;
        self.resume_line = line_no;
        self.offset += pstart as u64;
        self.line = pstart_line;
        Ok(pstart)
    }

    /// Classify one line (`content` is the line without terminator, possibly cut before a
    /// marker) and update the pending record.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn classify<'b, E, F>(
        &mut self,
        buf: &'b [u8],
        pos: usize,
        next: usize,
        content: &[u8],
        line_no: u64,
        cut: bool,
        pstart: &mut usize,
        pstart_line: &mut u64,
        emit: &mut F,
    ) -> Result<(), E>
    where
        F: FnMut(Record<'b>) -> Result<(), E>,
    {
        let line_end = if cut { pos + content.len() } else { next };
        if let Some(h) = head(content) {
            if let Some((hs, he, hl)) = self.pending.as_mut().and_then(|p| p.maybe_header.take())
                && self.starts_log(&h)
            {
                // The quoted header was a new log's: the record ends before it, the
                // lines between it and this event are the new log's preamble.
                self.flush_pending(buf, hs, *pstart, *pstart_line, emit)?;
                emit(self.rec(RecordKind::Header, buf, hs, he, hl))?;
                self.text_lines(buf, he, pos, hl + 1, emit)?;
                self.in_events = false;
                self.last_nanos = None;
                *pstart = pos;
                *pstart_line = line_no;
            }
            if !self.quotes(&h) {
                self.flush_pending(buf, pos, *pstart, *pstart_line, emit)?;
                *pstart = pos;
                *pstart_line = line_no;
                self.pending = Some(Pending {
                    head: h,
                    first_text_cont: None,
                    maybe_header: None,
                });
                self.in_events = true;
                if h.nanos.is_some() {
                    self.last_nanos = h.nanos;
                }
                return Ok(());
            }
        } else if is_header(content) {
            if let Some(p) = self.pending.as_mut()
                && p.head.etype.quotes_log_lines()
            {
                // Quoted until the next event head says otherwise.
                if p.maybe_header.is_none() {
                    p.maybe_header = Some((pos, line_end, line_no));
                }
                if p.first_text_cont.is_none() {
                    p.first_text_cont = Some(pos);
                }
                return Ok(());
            }
            // Banner lines glued to the end of the previous log's last event belong to this log.
            self.flush_split(buf, pos, *pstart, *pstart_line, emit)?;
            emit(self.rec(RecordKind::Header, buf, pos, line_end, line_no))?;
            self.in_events = false;
            self.last_nanos = None;
            *pstart = line_end;
            *pstart_line = line_no + 1;
            return Ok(());
        } else if is_skipped(content) {
            self.flush_pending(buf, pos, *pstart, *pstart_line, emit)?;
            emit(self.rec(RecordKind::Skipped, buf, pos, line_end, line_no))?;
            *pstart = line_end;
            *pstart_line = line_no + 1;
            return Ok(());
        }
        // A continuation line.
        match self.pending.as_mut() {
            Some(p) => {
                if p.first_text_cont.is_none() && !content.iter().all(|c| c.is_ascii_whitespace()) {
                    p.first_text_cont = Some(pos);
                }
            }
            None => {
                emit(self.rec(RecordKind::Text, buf, pos, line_end, line_no))?;
                *pstart = line_end;
                *pstart_line = line_no + 1;
            }
        }
        Ok(())
    }

    /// Emit `buf[s..e]` as text records, one per line, the first being line `l`.
    fn text_lines<'b, E, F>(
        &self,
        buf: &'b [u8],
        mut s: usize,
        e: usize,
        mut l: u64,
        emit: &mut F,
    ) -> Result<(), E>
    where
        F: FnMut(Record<'b>) -> Result<(), E>,
    {
        while s < e {
            let end = memchr(b'\n', &buf[s..e]).map_or(e, |i| s + i + 1);
            emit(self.rec(RecordKind::Text, buf, s, end, l))?;
            s = end;
            l += 1;
        }
        Ok(())
    }

    /// End the pending record before `end` (a header there, or a stall). Text lines after
    /// an event that takes no text are not its own: they become text records.
    fn flush_split<'b, E, F>(
        &mut self,
        buf: &'b [u8],
        end: usize,
        pstart: usize,
        pstart_line: u64,
        emit: &mut F,
    ) -> Result<(), E>
    where
        F: FnMut(Record<'b>) -> Result<(), E>,
    {
        let split = match self.pending {
            Some(p) if !p.head.etype.accepts_text() => p.first_text_cont,
            _ => None,
        };
        self.flush_pending(buf, split.unwrap_or(end), pstart, pstart_line, emit)?;
        if let Some(t) = split {
            let l = pstart_line + count_lines(&buf[pstart..t]);
            self.text_lines(buf, t, end, l, emit)?;
        }
        Ok(())
    }

    /// The input stalled (no data for a while) after `buf`, which continues the input where
    /// the last call's consumed bytes ended and ends at a line end: emit everything in it,
    /// the pending record included, as [`feed`](Framer::feed) does at a header, and consume
    /// all of it. Framing goes on with the next call as if a new line began: a record that
    /// was still growing (more text lines of a debug message) goes on as text records.
    pub fn feed_stalled<'b, E, F>(&mut self, buf: &'b [u8], emit: &mut F) -> Result<usize, E>
    where
        F: FnMut(Record<'b>) -> Result<(), E>,
    {
        debug_assert!(buf.is_empty() || buf.ends_with(b"\n"));
        let used = self.feed(buf, false, emit)?;
        // Everything but the pending record (complete lines) was emitted.
        let rest = &buf[used..];
        let line = self.line;
        let before = self.offset;
        if self.pending.is_some() {
            self.flush_split(rest, rest.len(), 0, line, emit)?;
        } else if !rest.is_empty() {
            emit(self.rec(RecordKind::Text, rest, 0, rest.len(), line))?;
        }
        // Consumed to the end: the next call starts on a fresh line.
        self.offset = before + rest.len() as u64;
        self.line = line + count_lines(rest);
        self.resume = 0;
        self.resume_line = self.line;
        self.scanned = 0;
        self.max_hint = None;
        Ok(buf.len())
    }

    #[inline]
    fn rec<'b>(
        &self,
        kind: RecordKind,
        buf: &'b [u8],
        s: usize,
        e: usize,
        line: u64,
    ) -> Record<'b> {
        Record {
            kind,
            raw: &buf[s..e],
            offset: self.offset + s as u64,
            line,
            head: None,
        }
    }

    #[inline]
    fn flush_pending<'b, E, F>(
        &mut self,
        buf: &'b [u8],
        end: usize,
        pstart: usize,
        pstart_line: u64,
        emit: &mut F,
    ) -> Result<(), E>
    where
        F: FnMut(Record<'b>) -> Result<(), E>,
    {
        if let Some(p) = self.pending.take()
            && end > pstart
        {
            emit(Record {
                kind: RecordKind::Event,
                raw: &buf[pstart..end],
                offset: self.offset + pstart as u64,
                line: pstart_line,
                head: Some(p.head),
            })?;
        }
        Ok(())
    }
}

fn count_lines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// Position of the next `MAXIMUM DEBUG LOG SIZE REACHED` phrase (preceded by `* `) at or
/// after `pos`, or `usize::MAX`. Scans for the rare `*` with memchr and checks the phrase
/// there: memmem's own rare-byte guess picks letters such as `X`, which fill these logs.
#[inline]
fn find_from(buf: &[u8], pos: usize) -> usize {
    let mut at = pos;
    while at < buf.len() {
        match memchr(b'*', &buf[at..]) {
            None => return usize::MAX,
            Some(i) => {
                let star = at + i;
                if buf[star + 1..].starts_with(&MAX_NEEDLE[1..]) {
                    return star + 2;
                }
                at = star + 1;
            }
        }
    }
    usize::MAX
}

/// Where a marker whose phrase starts at `phrase` begins: back over ` ` and `*`.
fn marker_start(buf: &[u8], line_start: usize, phrase: usize) -> usize {
    let mut s = phrase;
    while s > line_start && matches!(buf[s - 1], b'*' | b' ') {
        s -= 1;
    }
    s
}

#[inline]
/// The first seam at or after `from`: the start of a line (searched within the next 64
/// lines) where framing can begin afresh, with that line's head. A seam line is an event
/// head with a known type and a nanosecond stamp, without the size marker: a framer that
/// starts there ([`Framer::at`]) reads what one that came from the start reads, unless the
/// record before it takes quoted text and the stamp runs backwards ([`Framer::would_quote`],
/// which the caller checks when the part before the seam is framed).
pub fn seam(buf: &[u8], from: usize) -> Option<(usize, Head)> {
    let mut pos = from
        .checked_sub(1)
        .map_or(Some(0), |p| memchr(b'\n', buf.get(p..)?).map(|i| p + i + 1))?;
    for _ in 0..64 {
        if pos >= buf.len() {
            return None;
        }
        let end = memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i);
        let line = strip_cr(&buf[pos..end]);
        if let Some(h) = head(line)
            && h.nanos.is_some()
            && h.etype != EventType::Unknown
            && memchr::memmem::find(line, MAX_NEEDLE).is_none()
        {
            return Some((pos, h));
        }
        pos = end + 1;
    }
    None
}

fn strip_cr(b: &[u8]) -> &[u8] {
    match b.last() {
        Some(b'\r') => &b[..b.len() - 1],
        _ => b,
    }
}

fn trim_line(b: &[u8]) -> &[u8] {
    let mut b = b;
    while let Some(&c) = b.last() {
        if c == b'\n' || c == b'\r' {
            b = &b[..b.len() - 1];
        } else {
            break;
        }
    }
    b
}

/// Does the line have a header's shape ([`crate::header`])?
#[inline]
pub fn is_header(line: &[u8]) -> bool {
    crate::header::is_header(line)
}

/// `*** Skipped N bytes of detailed log` (N may have `,` separators).
pub fn is_skipped(line: &[u8]) -> bool {
    let Some(rest) = strip_cr(line).strip_prefix(b"*** Skipped ") else {
        return false;
    };
    let Some(sp) = memchr(b' ', rest) else {
        return false;
    };
    parse_u64_commas(&rest[..sp]).is_some() && &rest[sp..] == b" bytes of detailed log"
}

/// Frame a complete buffer into a vector of records (convenient for tests and small inputs;
/// the streaming paths use [`Framer::feed`]).
pub fn records(buf: &[u8]) -> Vec<Record<'_>> {
    let mut out = Vec::new();
    let mut f = Framer::new();
    let _ = f.feed::<(), _>(buf, true, &mut |r| {
        out.push(r);
        Ok(())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(b: &[u8]) -> Vec<(RecordKind, String)> {
        records(b)
            .iter()
            .map(|r| (r.kind, String::from_utf8_lossy(r.raw).into_owned()))
            .collect()
    }

    fn concat(b: &[u8]) -> Vec<u8> {
        records(b)
            .iter()
            .flat_map(|r| r.raw.iter().copied())
            .collect()
    }

    const H: &str = "61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO\n";

    /// (kind, offset, line) of every record, framing `buf` in pieces of `chunk` bytes as
    /// the stdin reader does (consumed bytes dropped, the rest fed again with more).
    fn chunked(buf: &[u8], chunk: usize) -> Vec<(RecordKind, u64, u64)> {
        let mut out = Vec::new();
        let mut f = Framer::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut at = 0;
        loop {
            let end = (at + chunk).min(buf.len());
            pending.extend_from_slice(&buf[at..end]);
            at = end;
            let eof = at == buf.len();
            let used = f
                .feed::<(), _>(&pending, eof, &mut |r| {
                    out.push((r.kind, r.offset, r.line));
                    Ok(())
                })
                .unwrap();
            pending.drain(..used);
            if eof {
                return out;
            }
        }
    }

    #[test]
    fn a_size_marker_far_past_the_search_window_is_found_whole_and_chunked() {
        // 300 KB of events without a `*`, a marker cut into a line, then more events, a
        // 200 KB line and a marker at its end.
        let mut log = String::from(H);
        let mut n = 0u64;
        while log.len() < 300_000 {
            n += 1;
            log.push_str(&format!("12:00:00.1 ({n})|STATEMENT_EXECUTE|[{n}]\n"));
        }
        log.push_str(
            "12:00:00.1 (1)|USER_DEBUG|[1]|DEBUG|half*** MAXIMUM DEBUG LOG SIZE REACHED ***\n",
        );
        log.push_str(&format!(
            "12:00:00.1 (2)|USER_DEBUG|[1]|DEBUG|{}",
            "y".repeat(200_000)
        ));
        log.push_str("*** MAXIMUM DEBUG LOG SIZE REACHED ***\n");
        let whole: Vec<_> = records(log.as_bytes())
            .iter()
            .map(|r| (r.kind, r.offset, r.line))
            .collect();
        let markers: Vec<_> = whole
            .iter()
            .filter(|r| r.0 == RecordKind::MaxSize)
            .collect();
        assert_eq!(markers.len(), 2, "{markers:?}");
        assert_eq!(
            markers[0].1 as usize,
            log.find("*** MAXIMUM").unwrap(),
            "the first marker starts at its stars"
        );
        for chunk in [1000, 65_536, 70_001] {
            assert_eq!(chunked(log.as_bytes(), chunk), whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn header_preamble_events() {
        let log = format!(
            "Compiled successfully.\n{H}Execute Anonymous: System.debug(1);\n12:00:00.1 (1000000)|EXECUTION_STARTED\n12:00:00.1 (1000100)|USER_DEBUG|[1]|DEBUG|a\nb\n\n12:00:00.1 (1000200)|EXECUTION_FINISHED\n"
        );
        let k = kinds(log.as_bytes());
        let ks: Vec<_> = k.iter().map(|x| x.0).collect();
        use RecordKind::*;
        assert_eq!(ks, vec![Text, Header, Text, Event, Event, Event]);
        assert_eq!(k[4].1, "12:00:00.1 (1000100)|USER_DEBUG|[1]|DEBUG|a\nb\n\n");
        assert_eq!(concat(log.as_bytes()), log.as_bytes());
    }

    #[test]
    fn crlf_and_bom() {
        let log = format!(
            "\u{feff}{}12:00:00.1 (1)|EXECUTION_STARTED\r\n",
            H.replace('\n', "\r\n")
        );
        let r = records(log.as_bytes());
        assert_eq!(r[0].kind, RecordKind::Bom);
        assert_eq!(r[1].kind, RecordKind::Header);
        assert_eq!(r[1].line, 1);
        assert_eq!(r[2].kind, RecordKind::Event);
        assert_eq!(r[2].line, 2);
        assert_eq!(concat(log.as_bytes()), log.as_bytes());
    }

    #[test]
    fn skipped_marker_mid_file() {
        let log = format!(
            "{H}12:00:00.1 (1)|EXECUTION_STARTED\n*** Skipped 22,606,355 bytes of detailed log\n*** Skipped 1 bytes of detailed log\n12:00:00.1 (5)|METHOD_EXIT|[1]|X\n"
        );
        let r = records(log.as_bytes());
        assert_eq!(r[2].kind, RecordKind::Skipped);
        assert_eq!(r[2].skipped_bytes(), Some(22_606_355));
        assert_eq!(r[3].kind, RecordKind::Skipped);
        assert_eq!(r[4].kind, RecordKind::Event);
        assert_eq!(r[4].line, 5);
    }

    #[test]
    fn max_size_at_end_of_a_line() {
        let log = format!(
            "{H}12:00:00.1 (1)|USER_DEBUG|[1]|DEBUG|hello *********** MAXIMUM DEBUG LOG SIZE REACHED ***********\n12:00:00.1 (9)|FATAL_ERROR|x\n"
        );
        let k = kinds(log.as_bytes());
        assert_eq!(
            k[1],
            (
                RecordKind::Event,
                "12:00:00.1 (1)|USER_DEBUG|[1]|DEBUG|hello".into()
            )
        );
        assert_eq!(
            k[2],
            (
                RecordKind::MaxSize,
                " *********** MAXIMUM DEBUG LOG SIZE REACHED ***********\n".into()
            )
        );
        assert_eq!(k[3].0, RecordKind::Event);
        assert_eq!(concat(log.as_bytes()), log.as_bytes());
    }

    #[test]
    fn max_size_own_line_and_no_newline() {
        let log =
            format!("{H}12:00:00.1 (1)|EXECUTION_STARTED\n*** MAXIMUM DEBUG LOG SIZE REACHED ***");
        let k = kinds(log.as_bytes());
        assert_eq!(k[2].0, RecordKind::MaxSize);
        assert_eq!(concat(log.as_bytes()), log.as_bytes());
    }

    #[test]
    fn quoted_event_like_text_stays_in_debug() {
        let log = format!(
            "{H}12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|x\n12:00:00.1 (50)|METHOD_ENTRY|[1]|a|b\n12:00:00.1 (101)|NOT_A_REAL_TYPE|y\n12:00:00.1 (102)|EXECUTION_FINISHED\n"
        );
        let r = records(log.as_bytes());
        assert_eq!(r.len(), 3);
        assert_eq!(r[2].head.unwrap().etype, EventType::ExecutionFinished);
    }

    #[test]
    fn a_header_pasted_into_a_debug_message_is_text_of_it() {
        let log = format!(
            "{H}12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|body:\n{H}Execute Anonymous: x\n12:00:00.1 (200)|EXECUTION_FINISHED\n"
        );
        let k = kinds(log.as_bytes());
        let ks: Vec<_> = k.iter().map(|x| x.0).collect();
        use RecordKind::*;
        assert_eq!(ks, vec![Header, Event, Event]);
        assert!(k[1].1.ends_with("Execute Anonymous: x\n"), "{:?}", k[1].1);
    }

    #[test]
    fn a_header_in_a_cut_debug_message_starts_a_log_when_the_next_event_opens_one() {
        for next in [
            "12:00:00.1 (50)|USER_INFO|[EXTERNAL]|005|u|(GMT)|GMT",
            "12:00:00.1 (500)|EXECUTION_STARTED",
            "12:00:00.1 (50)|CODE_UNIT_STARTED|[EXTERNAL]|x",
        ] {
            let log = format!(
                "{H}12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|cut short\n{H}Execute Anonymous: x\n{next}\n"
            );
            let k = kinds(log.as_bytes());
            let ks: Vec<_> = k.iter().map(|x| x.0).collect();
            use RecordKind::*;
            assert_eq!(ks, vec![Header, Event, Header, Text, Event], "{next}");
            assert_eq!(k[1].1, "12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|cut short\n");
            assert_eq!(concat(log.as_bytes()), log.as_bytes());
            let whole: Vec<_> = records(log.as_bytes())
                .iter()
                .map(|r| (r.kind, r.offset, r.line))
                .collect();
            for chunk in [1, 7, 40] {
                assert_eq!(chunked(log.as_bytes(), chunk), whole, "chunks of {chunk}");
            }
        }
    }

    #[test]
    fn an_event_head_after_text_that_cannot_quote_starts_an_event() {
        let log = format!(
            "{H}12:00:00.1 (100)|SOQL_EXECUTE_BEGIN|[1]|Aggregations:0|SELECT Id\nFROM X\n12:00:00.1 (90)|NEW_TYPE|y\n12:00:00.1 (101)|SOQL_EXECUTE_END|[1]|Rows:0\n"
        );
        let r = records(log.as_bytes());
        assert_eq!(r.len(), 4);
        assert_eq!(r[2].head.unwrap().etype, EventType::Unknown);
    }

    #[test]
    fn two_logs_with_banner_between() {
        let log = format!(
            "{H}12:00:00.1 (1)|EXECUTION_FINISHED\n\nExecuted successfully.\n{H}12:00:00.1 (1)|EXECUTION_STARTED\n"
        );
        let k = kinds(log.as_bytes());
        let ks: Vec<_> = k.iter().map(|x| x.0).collect();
        use RecordKind::*;
        assert_eq!(ks, vec![Header, Event, Text, Header, Event]);
        assert_eq!(k[1].1, "12:00:00.1 (1)|EXECUTION_FINISHED\n\n");
        assert_eq!(k[2].1, "Executed successfully.\n");
    }

    #[test]
    fn header_rule() {
        assert!(is_header(b"61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO"));
        assert!(is_header(b"32.0 APEX_CODE,DEBUG\r"));
        assert!(!is_header(b"61.0 apex"));
        assert!(!is_header(b"12:00:00.1 (1)|X"));
    }

    #[test]
    fn chunked_equals_whole() {
        let log = format!(
            "pre\n{H}Execute Anonymous: x\n12:00:00.1 (1)|USER_DEBUG|[1]|DEBUG|a\nb\nc\n12:00:00.1 (2)|USER_DEBUG|[1]|DEBUG|hello *** MAXIMUM DEBUG LOG SIZE REACHED ***\n12:00:00.1 (3)|EXECUTION_FINISHED\n\nbanner\n{H}12:00:00.1 (1)|EXECUTION_STARTED\n*** Skipped 5 bytes of detailed log\nz"
        );
        let whole: Vec<_> = records(log.as_bytes())
            .iter()
            .map(|r| (r.kind, r.raw.to_vec(), r.offset, r.line))
            .collect();
        for chunk in 1..log.len() {
            let bytes = log.as_bytes();
            let mut got = Vec::new();
            let mut f = Framer::new();
            let mut buf: Vec<u8> = Vec::new();
            let mut fed = 0;
            loop {
                let take = chunk.min(bytes.len() - fed);
                buf.extend_from_slice(&bytes[fed..fed + take]);
                fed += take;
                let eof = fed == bytes.len();
                let n = f
                    .feed::<(), _>(&buf, eof, &mut |r| {
                        got.push((r.kind, r.raw.to_vec(), r.offset, r.line));
                        Ok(())
                    })
                    .unwrap();
                buf.drain(..n);
                if eof {
                    break;
                }
            }
            assert_eq!(got, whole, "chunk size {chunk}");
        }
    }

    /// A stall at any line end: every byte is emitted once, in order, with its offset, and
    /// text after an event that takes none still becomes text records.
    #[test]
    fn stalled_at_every_line_end() {
        let log = format!(
            "pre\n{H}12:00:00.1 (1)|USER_DEBUG|[1]|DEBUG|a\nb\n12:00:00.1 (2)|METHOD_ENTRY|[1]|x|y\n12:00:00.1 (3)|EXECUTION_FINISHED\n\nExecuted successfully.\n{H}12:00:00.1 (1)|EXECUTION_STARTED\nz"
        );
        let bytes = log.as_bytes();
        let ends: Vec<usize> = memchr::memchr_iter(b'\n', bytes).map(|i| i + 1).collect();
        for &stall in &ends {
            let mut got: Vec<(RecordKind, Vec<u8>, u64)> = Vec::new();
            let mut f = Framer::new();
            let mut push = |r: Record<'_>| -> Result<(), ()> {
                got.push((r.kind, r.raw.to_vec(), r.offset));
                Ok(())
            };
            assert_eq!(f.feed_stalled(&bytes[..stall], &mut push).unwrap(), stall);
            f.feed(&bytes[stall..], true, &mut push).unwrap();
            let mut at = 0u64;
            let mut joined = Vec::new();
            for (_, raw, off) in &got {
                assert_eq!(*off, at, "stall at {stall}");
                at += raw.len() as u64;
                joined.extend_from_slice(raw);
            }
            assert_eq!(joined, bytes, "stall at {stall}");
            let banner = got
                .iter()
                .find(|(_, raw, _)| raw.starts_with(b"Executed"))
                .unwrap();
            assert_eq!(banner.0, RecordKind::Text, "stall at {stall}");
        }
    }
}
