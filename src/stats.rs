//! `events --stats`: counts per event type, unknown types, logs and truncation regions.
//! A consumer of located items that allocates only for unknown type names.

use crate::event::table::{ALL, EventType, KNOWN_COUNT};
use crate::framing::RecordKind;
use crate::stream::{Flow, Item, Sink};
use crate::track::Tracker;
use serde::Serialize;
use std::collections::BTreeMap;

/// A truncation region: where Salesforce removed or cut log content.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Truncation {
    /// `skipped` or `max_size`.
    pub kind: &'static str,
    /// Line of the marker.
    pub line: u64,
    /// Byte offset of the marker.
    pub offset: u64,
    /// Bytes Salesforce says it removed (`*** Skipped N bytes`); `None` for max-size.
    pub bytes_removed: Option<u64>,
    /// Line of the last event before the marker.
    pub after_event_line: Option<u64>,
    /// Line of the first event after the marker.
    pub before_event_line: Option<u64>,
}

/// Counts gathered while streaming.
#[derive(Clone, Debug)]
pub struct Stats {
    counts: Box<[u64; KNOWN_COUNT]>,
    unknown: BTreeMap<Vec<u8>, u64>,
    /// Event records.
    pub events: u64,
    /// Records of every kind.
    pub records: u64,
    /// Header lines (logs).
    pub headers: u64,
    /// Text lines outside events (preamble, banners).
    pub text_lines: u64,
    /// Truncation regions.
    pub truncations: Vec<Truncation>,
    /// Bytes seen.
    pub bytes: u64,
    last_event_line: Option<u64>,
    open_truncations: usize,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            counts: Box::new([0; KNOWN_COUNT]),
            unknown: BTreeMap::new(),
            events: 0,
            records: 0,
            headers: 0,
            text_lines: 0,
            truncations: Vec::new(),
            bytes: 0,
            last_event_line: None,
            open_truncations: 0,
        }
    }
}

impl Stats {
    /// Count one item.
    #[inline]
    pub fn add(&mut self, item: &Item<'_>) {
        self.records += 1;
        self.bytes += item.record.raw.len() as u64;
        match item.record.kind {
            RecordKind::Event => {
                self.events += 1;
                let ev = item.event.as_ref().expect("event");
                match ev.etype() {
                    EventType::Unknown => {
                        *self.unknown.entry(ev.type_name().to_vec()).or_default() += 1;
                    }
                    t => self.counts[t as usize] += 1,
                }
                if self.open_truncations > 0 {
                    let n = self.truncations.len();
                    for t in &mut self.truncations[n - self.open_truncations..] {
                        t.before_event_line = Some(item.record.line);
                    }
                    self.open_truncations = 0;
                }
                self.last_event_line = Some(item.record.line);
            }
            RecordKind::Header => self.headers += 1,
            RecordKind::Text => self.text_lines += 1,
            RecordKind::Skipped | RecordKind::MaxSize => {
                self.truncations.push(Truncation {
                    kind: item.record.kind.as_str(),
                    line: item.record.line,
                    offset: item.record.offset,
                    bytes_removed: item.record.skipped_bytes(),
                    after_event_line: self.last_event_line,
                    before_event_line: None,
                });
                self.open_truncations += 1;
            }
            RecordKind::Bom => {}
        }
    }

    /// Known types with a non-zero count, most frequent first.
    pub fn by_type(&self) -> Vec<(&'static str, u64)> {
        let mut v: Vec<_> = ALL
            .iter()
            .filter_map(|&t| {
                let c = self.counts[t as usize];
                (c > 0).then(|| (t.name().unwrap_or("?"), c))
            })
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    /// Count of one known type.
    pub fn count(&self, t: EventType) -> u64 {
        self.counts.get(t as usize).copied().unwrap_or(0)
    }

    /// Unknown type names and their counts.
    pub fn unknown(&self) -> &BTreeMap<Vec<u8>, u64> {
        &self.unknown
    }

    /// Logs in the input: header lines, or 1 when events came without a header (the
    /// count every command reports).
    pub fn logs(&self) -> u64 {
        if self.headers == 0 && self.events > 0 {
            1
        } else {
            self.headers
        }
    }

    /// Total number of events of unknown types.
    pub fn unknown_total(&self) -> u64 {
        self.unknown.values().sum()
    }
}

impl Sink for Stats {
    /// Count one record (counting never stops a run).
    #[inline]
    fn item(&mut self, item: &Item<'_>, _: &Tracker) -> std::io::Result<Flow> {
        self.add(item);
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{Threads, drive_bytes};

    fn stats(log: &str) -> Stats {
        let mut s = Stats::default();
        drive_bytes(log.as_bytes(), &mut Tracker::new(), Threads::One, &mut s).unwrap();
        s
    }

    const LOG: &str = "61.0 APEX_CODE,FINEST\n\
        Execute Anonymous: insert cs;\n\
        10:00:00.0 (100)|EXECUTION_STARTED\n\
        10:00:00.0 (200)|NOT_A_REAL_TYPE|x\n\
        10:00:00.0 (300)|USER_DEBUG|[1]|DEBUG|one\n\
        *** Skipped 1234 bytes of detailed log\n\
        10:00:00.0 (400)|NOT_A_REAL_TYPE|y\n\
        10:00:00.0 (500)|USER_DEBUG|[2]|DEBUG|two\n\
        10:00:00.0 (600)|EXECUTION_FINISHED\n";

    /// An unknown type right after `USER_DEBUG` would continue its text (docs/framing.md),
    /// so the unknown lines here follow other records.
    #[test]
    fn counts_known_and_unknown_types() {
        let s = stats(LOG);
        assert_eq!(s.events, 6);
        assert_eq!(s.headers, 1);
        assert_eq!(s.logs(), 1);
        assert_eq!(s.text_lines, 1);
        assert_eq!(s.records, 9);
        assert_eq!(s.bytes, LOG.len() as u64);
        assert_eq!(s.count(EventType::UserDebug), 2);
        assert_eq!(s.count(EventType::Unknown), 0);
        assert_eq!(s.unknown_total(), 2);
        assert_eq!(s.unknown().get(&b"NOT_A_REAL_TYPE"[..]), Some(&2));
        let by = s.by_type();
        assert_eq!(by[0], ("USER_DEBUG", 2));
        assert_eq!(by.len(), 3);
        // Equal counts are in name order.
        assert_eq!(by[1], ("EXECUTION_FINISHED", 1));
    }

    #[test]
    fn a_truncation_knows_the_events_around_it() {
        let s = stats(LOG);
        assert_eq!(
            s.truncations,
            vec![Truncation {
                kind: "skipped",
                line: 6,
                offset: LOG.find("***").unwrap() as u64,
                bytes_removed: Some(1234),
                after_event_line: Some(5),
                before_event_line: Some(7),
            }]
        );
    }

    #[test]
    fn events_without_a_header_are_one_log() {
        let s = stats("10:00:00.0 (100)|EXECUTION_STARTED\n");
        assert_eq!((s.headers, s.logs()), (0, 1));
        assert_eq!(stats("").logs(), 0);
    }
}
