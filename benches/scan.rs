//! Benchmarks of `dbglog scan`'s matcher and gzip path.
//!
//! `cargo bench --bench scan`. Inputs are built from the fixtures: an "errors" buffer (the
//! E2CP, limits and PII fixtures repeated: every log copy holds prefilter hits, so the
//! parser and namespace tracker run over all of it), a "clean" buffer (the same with every
//! line holding a literal removed: the prefilter alone decides), and 16 gzip files of the
//! errors buffer's pieces, compared with plain flate2 (zlib-rs) inflating.
//!
//! Times are the benchmark thread's own CPU time (`/proc/thread-self/schedstat`, falling
//! back to wall time elsewhere), so that other load on a shared machine does not distort
//! the ratios between the groups.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbglog::input::{self, Data};
use dbglog::rules::Catalogue;
use dbglog::scan::{Options, Scanner, matcher};
use flate2::read::MultiGzDecoder;
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// On-CPU time of this thread, or `None` where the kernel does not report it.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Run `f` `iters` times and return the CPU time it took (wall time if unavailable).
fn timed<F: FnMut()>(iters: u64, mut f: F) -> Duration {
    let (c0, w0) = (thread_cpu(), Instant::now());
    for _ in 0..iters {
        f();
    }
    match (c0, thread_cpu()) {
        (Some(a), Some(b)) => b - a,
        _ => w0.elapsed(),
    }
}

/// Scan `data` as a log through the matcher, reusing the buffer (no fresh allocation).
fn scan_reusing(cat: &Catalogue, buf: &mut Vec<u8>) {
    let mut inp = input::from_bytes("bench.log", std::mem::take(buf));
    black_box(matcher::scan_log(
        cat,
        &mut inp,
        dbglog::stream::Threads::One,
    ));
    if let Data::Owned(v) = inp.data {
        *buf = v;
    }
}

const TARGET: usize = 32 << 20;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

fn errors_buffer() -> Vec<u8> {
    let mut unit = Vec::new();
    for f in [
        "e2cp-handled.log",
        "limits-near.log",
        "e2cp-subscriber.log",
        "pii.log",
    ] {
        unit.extend(fixture(f));
    }
    let mut v = Vec::with_capacity(TARGET + unit.len());
    while v.len() < TARGET {
        v.extend_from_slice(&unit);
    }
    v
}

fn clean_buffer(errors: &[u8]) -> Vec<u8> {
    let ac = Catalogue::builtin().literal_searcher();
    let mut v = Vec::with_capacity(errors.len());
    for line in errors.split_inclusive(|&c| c == b'\n') {
        if !ac.is_match(line) {
            v.extend_from_slice(line);
        }
    }
    v
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn matcher(c: &mut Criterion) {
    let cat = Catalogue::builtin();
    let errors = errors_buffer();
    let clean = clean_buffer(&errors);
    let mut g = c.benchmark_group("matcher");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(clean.len() as u64));
    g.bench_function("prefilter_only_clean", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                black_box(
                    cat.literal_searcher()
                        .find_iter(black_box(&clean[..]))
                        .count(),
                );
            })
        })
    });
    g.bench_function("scan_clean", |b| {
        let mut buf = clean.clone();
        b.iter_custom(|n| timed(n, || scan_reusing(cat, &mut buf)))
    });
    g.throughput(Throughput::Bytes(errors.len() as u64));
    g.bench_function("scan_errors", |b| {
        let mut buf = errors.clone();
        b.iter_custom(|n| timed(n, || scan_reusing(cat, &mut buf)))
    });
    g.finish();
}

fn gzip(c: &mut Criterion) {
    let cat = Catalogue::builtin();
    let opts = Options::default();
    let sc = Scanner::new(cat, &opts);
    let errors = errors_buffer();
    for (label, data) in [("errors", errors.clone()), ("clean", clean_buffer(&errors))] {
        let pieces: Vec<Vec<u8>> = data.chunks(data.len() / 16).map(gz).collect();
        let mut g = c.benchmark_group(format!("gzip_{label}"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function("inflate_only", |b| {
            let mut buf = Vec::new();
            b.iter_custom(|n| {
                timed(n, || {
                    for p in &pieces {
                        buf.clear();
                        MultiGzDecoder::new(&p[..]).read_to_end(&mut buf).unwrap();
                        black_box(&buf);
                    }
                })
            })
        });
        g.bench_function("inflate_and_scan", |b| {
            b.iter_custom(|n| {
                timed(n, || {
                    for p in &pieces {
                        black_box(sc.scan_bytes("piece.log.gz", p.clone()));
                    }
                })
            })
        });
        g.finish();
    }
}

criterion_group!(benches, matcher, gzip);
criterion_main!(benches);
