//! The parse ceiling that `events --stats` is measured against (issue 7): split the file
//! into lines with memchr, find the first two `|` of each line with memchr, and look the
//! text between them up with the parser's hashed event-name index (`EventType::from_name`,
//! faster than the generated `match`; see `benches/primitives.rs`). No timestamps,
//! no continuation lines, no records: the least work that still names every event.
//!
//! `cargo run --release --example ceiling -- FILE` prints the line and event counts and the
//! throughput in MB/s (used by scripts/throughput.sh).

use dbglog::event::EventType;
use memchr::memchr;
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: ceiling FILE");
        std::process::exit(2);
    };
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    // SAFETY: read-only map of a file nobody writes while we read it.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let start = Instant::now();
    let (mut lines, mut events) = (0u64, 0u64);
    let mut pos = 0;
    while pos < map.len() {
        let end = memchr(b'\n', &map[pos..]).map_or(map.len(), |i| pos + i);
        let line = &map[pos..end];
        if let Some(a) = memchr(b'|', line) {
            let rest = &line[a + 1..];
            let b = memchr(b'|', rest).unwrap_or(rest.len());
            if EventType::from_name(&rest[..b]) != EventType::Unknown {
                events += 1;
            }
        }
        lines += 1;
        pos = end + 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{lines} lines, {events} events, {:.0} MB/s",
        map.len() as f64 / secs / 1e6
    );
}
