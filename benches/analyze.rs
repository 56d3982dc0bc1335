//! `analyze` throughput on a generated log (criterion).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbglog::analyze::{self, Options};
use dbglog::rules::Catalogue;

/// An 8 MB generated log (corpus-like event mix, two packages).
fn corpus() -> Vec<u8> {
    dbglog::generate::sample(8 << 20, 1)
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
