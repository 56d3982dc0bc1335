//! The subscriber view on arbitrary (log-shaped) input: never panics, its output shows no
//! debug line, statement or method body of a hidden namespace, and it is idempotent whenever
//! the event clock never runs backwards within a log (every real log; see docs/views.md,
//! "Idempotence").
#![no_main]

use dbglog::input;
use dbglog::event::parse::head;
use dbglog::framing::is_header;
use dbglog::view::{self, Markers, RedactSpec, ViewOptions, ViewSpec, Visibility};
use libfuzzer_sys::fuzz_target;

fn subscriber(bytes: &[u8], redact: bool) -> Vec<u8> {
    let opts = ViewOptions {
        visibility: Visibility::new(&ViewSpec::Subscriber, &[]),
        markers: Markers::Run,
        redact: redact.then_some(RedactSpec { ids: false }),
    };
    let mut out = Vec::new();
    view::write_view(&mut input::from_bytes("fuzz", bytes.to_vec()), &opts, &mut out).expect("in-memory view");
    out
}

fuzz_target!(|data: &[u8]| {
    if input::decode::sniff(data).is_utf16() {
        return;
    }
    let redact = data.first().is_some_and(|b| b & 1 == 1);
    let once = subscriber(data, redact);
    if clock_is_monotone(data) {
        let twice = subscriber(&once, redact);
        assert_eq!(once, twice, "view is idempotent");
    }
    // No-leak: no debug line, statement or variable line inside hidden code survives.
    let vis = Visibility::new(&ViewSpec::Subscriber, &[]);
    if let Some(leak) = view::first_hidden_code_line(&once, &vis) {
        panic!("{leak} leaked");
    }
});

/// True when, within each log, no line that reads as an event head (quoted or not) has a
/// nanosecond stamp below the one before it.
fn clock_is_monotone(bytes: &[u8]) -> bool {
    let mut last: Option<u64> = None;
    for line in bytes.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if is_header(line) {
            last = None;
        } else if let Some(n) = head(line).and_then(|h| h.nanos) {
            if last.is_some_and(|l| n < l) {
                return false;
            }
            last = Some(n);
        }
    }
    true
}
