//! The hand-written primitives against the crate or the generated code they stand in for,
//! in one run (issue 16: a hand-written piece stays only when it wins by 10% or more).
//!
//! - `head`: the hand-written line-head parser against the nom grammar of the head;
//! - `name`: the hashed event-name index against the generated `match`;
//! - `find_byte`: `bytes::find_byte` against `memchr::memchr` on the `|` of each line;
//! - `json`: `output::json::write_str` (serde_json's writer with the terminal-safe escapes
//!   of C1 controls and DEL) against serde_json's plain string writer: the escapes' cost.
//!
//! The framer's line ends are memchr's iterator (`bytes::Newlines`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbglog::event::EventType;
use dbglog::event::parse::{head, head_nom};
use dbglog::event::table::lookup;
use std::hint::black_box;

/// The lines of a 4 MB generated log.
fn lines() -> (Vec<u8>, Vec<(usize, usize)>) {
    let log = dbglog::generate::sample(4 << 20, 1);
    let mut spans = Vec::new();
    let mut pos = 0;
    for nl in memchr::memchr_iter(b'\n', &log) {
        spans.push((pos, nl));
        pos = nl + 1;
    }
    (log, spans)
}

fn bench(c: &mut Criterion) {
    let (log, spans) = lines();
    let line = |&(s, e): &(usize, usize)| &log[s..e];
    let names: Vec<&[u8]> = spans
        .iter()
        .filter_map(|sp| {
            let l = line(sp);
            let a = memchr::memchr(b'|', l)?;
            let rest = &l[a + 1..];
            Some(&rest[..memchr::memchr(b'|', rest).unwrap_or(rest.len())])
        })
        .collect();
    let fields: Vec<&[u8]> = spans
        .iter()
        .flat_map(|sp| line(sp).split(|&b| b == b'|'))
        .collect();
    let field_bytes: usize = fields.iter().map(|f| f.len()).sum();

    let mut g = c.benchmark_group("primitives");
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(2));
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.bench_function("head/hand", |b| {
        b.iter(|| spans.iter().filter(|sp| head(line(sp)).is_some()).count())
    });
    g.bench_function("head/nom", |b| {
        b.iter(|| {
            spans
                .iter()
                .filter(|sp| head_nom(line(sp)).is_some())
                .count()
        })
    });
    g.bench_function("find_byte/hand", |b| {
        b.iter(|| {
            spans
                .iter()
                .filter_map(|sp| dbglog::bytes::find_byte(b'|', line(sp)))
                .sum::<usize>()
        })
    });
    g.bench_function("find_byte/memchr", |b| {
        b.iter(|| {
            spans
                .iter()
                .filter_map(|sp| memchr::memchr(b'|', line(sp)))
                .sum::<usize>()
        })
    });
    g.throughput(Throughput::Elements(names.len() as u64));
    g.bench_function("name/hashed-index", |b| {
        b.iter(|| {
            names
                .iter()
                .filter(|n| EventType::from_name(black_box(n)) != EventType::Unknown)
                .count()
        })
    });
    g.bench_function("name/generated-match", |b| {
        b.iter(|| {
            names
                .iter()
                .filter(|n| lookup(black_box(n)) != EventType::Unknown)
                .count()
        })
    });
    g.throughput(Throughput::Bytes(field_bytes as u64));
    let mut out = Vec::with_capacity(field_bytes * 2);
    g.bench_function("json/write_str", |b| {
        b.iter(|| {
            out.clear();
            for f in &fields {
                dbglog::output::json::write_str(&mut out, f).unwrap();
            }
            out.len()
        })
    });
    g.bench_function("json/serde_json", |b| {
        b.iter(|| {
            out.clear();
            for f in &fields {
                let s = String::from_utf8_lossy(f);
                serde_json::to_writer(&mut out, s.as_ref()).unwrap();
            }
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
