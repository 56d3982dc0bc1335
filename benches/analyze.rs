//! `analyze` throughput on a log built from the fixtures (criterion).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dbglog::analyze::{self, Options};
use dbglog::rules::Catalogue;
use std::path::Path;

fn corpus() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut body = Vec::new();
    for name in [
        "e2cp-handled.log",
        "e2cp-fatal.log",
        "limits-near.log",
        "errors-catalogue.log",
    ] {
        let text = std::fs::read(dir.join(name)).expect("fixture");
        // Drop the header line; keep the events.
        let start = text.iter().position(|&c| c == b'\n').map_or(0, |p| p + 1);
        body.extend_from_slice(&text[start..]);
    }
    let mut log = b"61.0 APEX_CODE,FINEST;APEX_PROFILING,FINE;DB,FINEST;SYSTEM,FINE\n".to_vec();
    while log.len() < 8 << 20 {
        log.extend_from_slice(&body);
    }
    log
}

fn bench(c: &mut Criterion) {
    let log = corpus();
    let cat = Catalogue::builtin();
    let mut g = c.benchmark_group("analyze");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.sample_size(10);
    g.bench_function("full", |b| {
        b.iter(|| {
            let mut input = dbglog::input::from_bytes("bench", log.clone());
            analyze::analyze(&mut input, &Options::default(), cat).unwrap()
        })
    });
    g.bench_function("fold", |b| {
        b.iter(|| {
            let mut input = dbglog::input::from_bytes("bench", log.clone());
            analyze::flame::fold(&mut input).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
