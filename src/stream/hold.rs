//! Cutting a stream into logs: how much of a stream's unconsumed bytes the framer may have
//! while the namespace stage reads each log whole.

use crate::event::EventType;
use crate::framing;

/// The most bytes of one log a stream is held for while the namespace stage
/// ([`crate::prepare`]) reads it before tracking starts (Salesforce caps one log at 20 MB,
/// so a real log always fits). Past this bound the driver frames what it has prepared and
/// goes on streaming: the namespace stage still reads every line before the tracker does,
/// but a namespace named only later in such an oversized log is learned only from there on.
pub const LOG_HOLD: usize = 64 << 20;

/// A line where the hold changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    /// A log's header line: the log before it is complete.
    Header,
    /// `EXECUTION_STARTED`: what follows is held again.
    Started,
    /// `EXECUTION_FINISHED`: the execution is complete.
    Finished,
    /// A method or constructor entered under a name whose first segment (`x` of `x.Y.z`)
    /// could be a namespace: this many bytes from the line start.
    Entry(usize, usize),
}

/// The lines of `buf[from..]` (`from` is a line start) that change the hold, in order, as
/// (line start, line end with its line break, mark).
fn marks(buf: &[u8], from: usize) -> Vec<(usize, usize, Mark)> {
    let line_end =
        |start: usize| memchr::memchr(b'\n', &buf[start..]).map_or(buf.len(), |e| start + e + 1);
    let mut out = Vec::new();
    let starts =
        std::iter::once(from).chain(memchr::memchr_iter(b'\n', &buf[from..]).map(|p| from + p + 1));
    for start in starts.filter(|&s| s < buf.len()) {
        // Cheap first test: a header begins with the API version's digits and a dot.
        let b = &buf[start..];
        let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || b.get(digits) != Some(&b'.') {
            continue;
        }
        let end = line_end(start);
        if framing::is_header(&buf[start..end]) {
            out.push((start, end, Mark::Header));
        }
    }
    let mut last_line = usize::MAX;
    for i in memchr::memmem::find_iter(&buf[from..], b"|EXECUTION_") {
        let at = from + i;
        let start = memchr::memrchr(b'\n', &buf[..at]).map_or(0, |p| p + 1);
        if start < from || start == last_line {
            continue;
        }
        last_line = start;
        let end = line_end(start);
        let line = buf[start..end]
            .strip_suffix(b"\n")
            .unwrap_or(&buf[start..end]);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mark = match crate::event::parse::head(line).map(|h| h.etype) {
            Some(EventType::ExecutionStarted) => Mark::Started,
            Some(EventType::ExecutionFinished) => Mark::Finished,
            _ => continue,
        };
        out.push((start, end, mark));
    }
    for needle in [&b"|METHOD_ENTRY|"[..], b"|CONSTRUCTOR_ENTRY|"] {
        for i in memchr::memmem::find_iter(&buf[from..], needle) {
            let at = from + i;
            let end = line_end(at);
            let line = &buf[at..end];
            let name_at = memchr::memrchr(b'|', line).map_or(0, |p| p + 1);
            let name = line[name_at..].trim_ascii_end();
            if let Some(p) = crate::namespace::signature_prefix(name) {
                let s = at + name_at;
                out.push((at, end, Mark::Entry(s, s + p.len())));
            }
        }
    }
    out.sort_unstable_by_key(|m| m.0);
    out
}

/// What of a stream's unconsumed bytes the framer may have. The namespace stage
/// ([`crate::prepare`]) reads each log whole before any of it is tracked, so a log's bytes
/// are held back from the framer from its header (or the input's start) until one of:
/// - the next header arrives (the log before it is complete; the header line goes too);
/// - its execution ends: the `EXECUTION_FINISHED` line arrives (every frame of the
///   execution is closed there, and the lines after it, up to the next header or
///   `EXECUTION_STARTED`, go as they arrive), provided the execution is settled: every
///   method it entered under a name like `x.Y.z` has a first segment `x` that is a known
///   namespace by then. Otherwise `x` may still be named later in the log (a limit block
///   after the execution's end), and the log waits for one of the other rules;
/// - the input pauses or ends (everything read is released);
/// - more than [`LOG_HOLD`] bytes are held.
///
/// The namespace stage reads every line before the framer gets it, whichever rule released
/// it.
pub(super) struct Hold {
    prepare: bool,
    /// `buf[..free]` may be framed.
    free: usize,
    /// `buf[..learned]` (whole lines) went through the namespace stage.
    learned: usize,
    /// Between an execution's end and the next header or execution start: lines go as
    /// they arrive.
    between: bool,
    /// First segments of names entered since the last release that were no known
    /// namespace when they arrived (see [`Mark::Entry`]).
    unsettled: Vec<Box<[u8]>>,
}

impl Hold {
    pub(super) fn new(prepare: bool) -> Self {
        Hold {
            prepare,
            free: 0,
            learned: 0,
            between: false,
            unsettled: Vec::new(),
        }
    }

    /// More bytes arrived: `buf` is everything unconsumed; `all` when the input ended or
    /// paused (everything is prepared and released). Returns how much may be framed.
    pub(super) fn arrived(
        &mut self,
        buf: &[u8],
        all: bool,
        ns: &mut crate::namespace::Namespaces,
    ) -> usize {
        if !self.prepare {
            self.free = buf.len();
            return self.free;
        }
        let lines_end = if all {
            buf.len()
        } else {
            memchr::memrchr(b'\n', &buf[self.learned..])
                .map_or(self.learned, |p| self.learned + p + 1)
        };
        crate::prepare::learn_namespaces(&buf[self.learned..lines_end], ns);
        for (start, end, mark) in marks(&buf[..lines_end], self.learned) {
            match mark {
                Mark::Header => {
                    self.free = self.free.max(end);
                    self.unsettled.clear();
                }
                Mark::Started if self.between => self.free = self.free.max(start),
                Mark::Started => {}
                Mark::Finished => {
                    self.unsettled.retain(|p| ns.find_known(p).is_none());
                    if !self.unsettled.is_empty() {
                        continue;
                    }
                    self.free = self.free.max(end);
                }
                Mark::Entry(a, b) => {
                    let p = &buf[a..b];
                    if ns.find_known(p).is_none() && !self.unsettled.iter().any(|u| **u == *p) {
                        self.unsettled.push(p.into());
                    }
                    continue;
                }
            }
            self.between = mark == Mark::Finished;
        }
        self.learned = lines_end;
        if self.between || all || buf.len() - self.free > LOG_HOLD {
            // After an execution's end, at the end or a pause, or past the hold: frame
            // what was prepared.
            self.free = self.learned;
        }
        self.free
    }

    /// The framer consumed the first `used` bytes.
    pub(super) fn consumed(&mut self, used: usize) {
        self.free -= used.min(self.free);
        self.learned -= used.min(self.learned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How much of `doc` the hold releases when it arrives in pieces of `piece` bytes,
    /// after each piece.
    fn released(doc: &[u8], piece: usize) -> Vec<usize> {
        let mut hold = Hold::new(true);
        let mut ns = crate::namespace::Namespaces::default();
        (1..=doc.len().div_ceil(piece))
            .map(|i| hold.arrived(&doc[..(i * piece).min(doc.len())], false, &mut ns))
            .collect()
    }

    #[test]
    fn a_log_is_held_until_its_execution_ends_or_the_next_header() {
        let log = "61.0 APEX_CODE,FINEST\n\
            12:00:00.0 (1)|EXECUTION_STARTED\n\
            12:00:00.0 (2)|USER_DEBUG|[1]|DEBUG|hi\n\
            12:00:00.0 (3)|EXECUTION_FINISHED\n";
        let started = log.find("12:00:00.0 (1)").unwrap();
        let finished = log.len();
        let mut doc = log.to_string();
        doc += "\n";
        doc += log;
        let b = doc.as_bytes();
        // Line by line: the header releases itself and the log is held until its execution
        // ends; then the blank line after it goes as it arrives; the second header releases
        // itself, and its log is held again.
        let lines: Vec<usize> = doc.match_indices('\n').map(|(i, _)| i + 1).collect();
        let mut hold = Hold::new(true);
        let mut ns = crate::namespace::Namespaces::default();
        let got: Vec<usize> = lines
            .iter()
            .map(|&e| hold.arrived(&b[..e], false, &mut ns))
            .collect();
        let second = finished + 1;
        let want = vec![
            started,
            started,
            started,
            finished,
            second,
            second + started,
            second + started,
            second + started,
            b.len(),
        ];
        assert_eq!(got, want);
        // Whatever the pieces, the released prefixes end at the same places.
        for piece in [1, 7, 64, b.len()] {
            let r = released(b, piece);
            assert_eq!(r.last(), Some(&b.len()), "piece {piece}");
            assert!(r.windows(2).all(|w| w[0] <= w[1]));
            assert!(
                r.iter().all(|x| *x == 0 || want.contains(x)),
                "piece {piece}: {r:?}"
            );
        }
    }

    /// A package entered before anything names it, and named only after the execution's
    /// end: the log waits for the next header (or the end), not for the execution's end.
    #[test]
    fn an_unsettled_execution_waits_for_the_log_to_end() {
        let log = "61.0 APEX_CODE,FINEST\n\
            12:00:00.0 (1)|EXECUTION_STARTED\n\
            12:00:00.0 (2)|METHOD_ENTRY|[1]|01p|acme.Svc.run()\n\
            12:00:00.0 (3)|METHOD_EXIT|[1]|01p|acme.Svc.run()\n\
            12:00:00.0 (4)|EXECUTION_FINISHED\n\
            12:00:00.0 (5)|LIMIT_USAGE_FOR_NS|acme|\n";
        let header = log.find("12:00:00.0 (1)").unwrap();
        let doc = format!("{log}{log}");
        let b = doc.as_bytes();
        let mut hold = Hold::new(true);
        let mut ns = crate::namespace::Namespaces::default();
        let got: Vec<usize> = doc
            .match_indices('\n')
            .take(8)
            .map(|(i, _)| hold.arrived(&b[..=i], false, &mut ns))
            .collect();
        let second = log.len() + header;
        assert_eq!(
            got,
            [
                header, header, header, header, header, header, second, second
            ]
        );
        // Named before it is entered (the second log): the execution is settled at its end.
        let mut hold = Hold::new(true);
        let end = log.find("12:00:00.0 (5)").unwrap();
        assert_eq!(hold.arrived(&log.as_bytes()[..end], false, &mut ns), end);
    }

    #[test]
    fn a_second_execution_in_one_log_is_held_again() {
        let doc = "61.0 APEX_CODE,FINEST\n\
            12:00:00.0 (1)|EXECUTION_STARTED\n\
            12:00:00.0 (2)|EXECUTION_FINISHED\n\
            some text\n\
            12:00:00.0 (3)|EXECUTION_STARTED\n\
            12:00:00.0 (4)|METHOD_ENTRY|[1]|01p|acme.Svc.run()\n";
        let second = doc.find("12:00:00.0 (3)").unwrap();
        let mut hold = Hold::new(true);
        let mut ns = crate::namespace::Namespaces::default();
        assert_eq!(hold.arrived(doc.as_bytes(), false, &mut ns), second);
        assert_eq!(hold.arrived(doc.as_bytes(), true, &mut ns), doc.len());
    }
}
