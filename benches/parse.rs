//! Parser throughput: framing + head parsing + tracking over a realistic log, and
//! framing alone. Reports bytes per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dbglog::input;
use dbglog::stream;
use dbglog::track::Tracker;
use std::hint::black_box;

/// A ~8 MB log made by repeating the event bodies of the project's fixtures.
fn sample() -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let mut body = Vec::new();
    for name in [
        "e2cp-handled.log",
        "e2cp-fatal.log",
        "limits-near.log",
        "errors-catalogue.log",
        "trap-multiline.log",
    ] {
        let b = std::fs::read(format!("{dir}/{name}")).expect("fixture");
        // Drop the header line; keep everything else.
        let start = b.iter().position(|&c| c == b'\n').map_or(0, |i| i + 1);
        body.extend_from_slice(&b[start..]);
    }
    let mut log = b"61.0 APEX_CODE,FINEST;APEX_PROFILING,FINE;DB,FINEST;SYSTEM,FINE\n".to_vec();
    while log.len() < 8 << 20 {
        log.extend_from_slice(&body);
    }
    log
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
