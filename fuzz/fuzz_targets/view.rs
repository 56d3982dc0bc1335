//! The subscriber view on arbitrary (log-shaped) input: never panics, its output shows no
//! debug line, statement or method body of a hidden namespace, and it is idempotent whenever
//! the event clock never runs backwards within a log (every real log; see docs/views.md,
//! "Idempotence").
#![no_main]

use dbglog::event::EventType;
use dbglog::input;
use dbglog::stream;
use dbglog::track::Tracker;
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
    // No-leak: no debug line, statement, variable line or non-global method body inside a
    // hidden (non-default) namespace survives in the view.
    let vis = Visibility::new(&ViewSpec::Subscriber, &[]);
    let mut t = Tracker::new();
    stream::run(&mut input::from_bytes("view", once), &mut t, |item, t| {
        if let Some(ev) = &item.event {
            let hidden = vis.hides(t.namespaces().name(item.loc.frame_ns));
            // A leak is such a line inside hidden *code*; a bare marker run keeps what the
            // log already shows (that is what the customer's org wrote).
            if hidden && item.loc.depth > 1 && !t.code_frame_is_package_run(t.depth()) {
                let name = t_name(ev.etype());
                assert!(
                    !matches!(ev.etype(), EventType::UserDebug | EventType::StatementExecute | EventType::VariableAssignment),
                    "hidden {name} leaked at line {}",
                    ev.line
                );
            }
        }
        Ok(())
    })
    .expect("run");
});

/// True when, within each log, no event's nanosecond stamp is below the one before it.
fn clock_is_monotone(bytes: &[u8]) -> bool {
    let mut last: Option<(u32, u64)> = None;
    let mut monotone = true;
    stream::run(&mut input::from_bytes("clock", bytes.to_vec()), &mut Tracker::passive(), |item, _| {
        if let Some(n) = item.event.as_ref().and_then(|e| e.nanos()) {
            if matches!(last, Some((log, l)) if log == item.log && n < l) {
                monotone = false;
            }
            last = Some((item.log, n));
        }
        Ok(())
    })
    .expect("run");
    monotone
}

fn t_name(t: EventType) -> &'static str {
    t.name().unwrap_or("?")
}
