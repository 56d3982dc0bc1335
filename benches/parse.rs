//! Parser throughput: framing + head parsing + tracking over a generated log, and
//! framing alone. Reports bytes per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbglog::input;
use dbglog::stream;
use dbglog::track::Tracker;
use std::hint::black_box;

/// An 8 MB generated log (corpus-like event mix, two packages).
fn sample() -> Vec<u8> {
    dbglog::generate::sample(8 << 20, 1)
}

fn bench(c: &mut Criterion) {
    let log = sample();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.sample_size(20);
    g.bench_function("frame", |b| {
        b.iter(|| {
            let mut n = 0u64;
            let mut f = dbglog::framing::Framer::new();
            f.feed::<(), _>(&log, true, &mut |r| {
                n += r.raw.len() as u64;
                Ok(())
            })
            .unwrap();
            black_box(n)
        })
    });
    g.bench_function("frame+parse+track", |b| {
        b.iter(|| {
            let mut inp = input::from_bytes("bench", log.clone());
            let mut t = Tracker::new();
            let mut n = 0u64;
            stream::run(&mut inp, &mut t, |i, _| {
                n += i.loc.depth as u64;
                Ok(())
            })
            .unwrap();
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
