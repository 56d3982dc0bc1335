//! Criterion bench: the subscriber view, with and without redaction, over a log built by
//! repeating the events of fixtures/e2cp-handled.log (about 8 MB).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbglog::view::{Markers, ViewOptions, ViewSpec, Visibility};
use std::hint::black_box;
use std::io::sink;

fn big_log() -> Vec<u8> {
    let src = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/e2cp-handled.log"
    ))
    .unwrap();
    let text = String::from_utf8(src).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let body = lines[14..].join("\n") + "\n";
    let mut out = String::from(lines[0]);
    out.push('\n');
    while out.len() < 8 << 20 {
        out.push_str(&body);
    }
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let log = big_log();
    let mut g = c.benchmark_group("view");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.sample_size(10);
    for (name, spec, redact) in [
        ("full", ViewSpec::Full, None),
        ("subscriber", ViewSpec::Subscriber, None),
        (
            "subscriber+pii",
            ViewSpec::Subscriber,
            Some("pii".parse().unwrap()),
        ),
    ] {
        let opts = ViewOptions {
            visibility: Visibility::new(&spec, &[]),
            markers: Markers::Run,
            redact,
            reduce: Default::default(),
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut input = dbglog::input::from_bytes("bench", log.clone());
                dbglog::view::write_view(&mut input, &opts, &mut sink()).unwrap();
                black_box(())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
