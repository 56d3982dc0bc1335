//! Framer + parser + tracker on arbitrary bytes: never panics, always round-trips, and
//! chunked (stdin-style) reading gives the same records as a whole-buffer read.
#![no_main]

use dbglog::input;
use dbglog::stream;
use dbglog::track::Tracker;
use libfuzzer_sys::fuzz_target;

fn records(inp: &mut input::Input) -> (Vec<(u8, Vec<u8>, u64)>, Vec<u8>) {
    let mut recs = Vec::new();
    let mut all = Vec::new();
    let mut t = Tracker::new().with_max_depth(256);
    stream::run(inp, &mut t, |i, t| {
        recs.push((i.record.kind as u8, i.record.raw.to_vec(), i.record.line));
        all.extend_from_slice(i.record.raw);
        if let Some(ev) = &i.event {
            for f in ev.fields() {
                std::hint::black_box(f);
            }
            std::hint::black_box(ev.source_line());
        }
        for c in t.closed() {
            std::hint::black_box(c.self_time);
        }
        Ok(())
    })
    .expect("in-memory run cannot fail");
    t.finish(0);
    (recs, all)
}

/// Hands out its data `step` bytes at a time.
struct Chunks {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl std::io::Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let (whole, all) = records(&mut input::from_bytes("fuzz", data.to_vec()));
    if !input::decode::sniff(data).is_utf16() {
        assert_eq!(all, data, "round trip");
    }
    // Reads of 1 to ~9 KiB: tiny chunks are covered by the proptest; here they would make
    // every exec quadratic in the record length and starve the fuzzer.
    let step = 1 + data.first().copied().unwrap_or(7) as usize * 37;
    let reader = Box::new(Chunks { data: data.to_vec(), pos: 0, step });
    let (chunked, _) = records(&mut input::from_reader("fuzz", reader));
    assert_eq!(chunked, whole, "chunked read");
});
