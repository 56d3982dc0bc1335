//! The subscriber view on arbitrary (log-shaped) input: never panics, and keeps the
//! properties of `dbglog::view::check`: no debug line, statement or variable line of hidden
//! code is shown; on a well-formed log the output, read again, shows none either and the
//! view is idempotent (see docs/views.md, "What the checks promise").
#![no_main]

use dbglog::input;
use dbglog::view::{check, Markers, RedactSpec, ViewOptions, ViewSpec, Visibility};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if input::decode::sniff(data).is_utf16() {
        return;
    }
    let redact = data.first().is_some_and(|b| b & 1 == 1);
    let opts = ViewOptions {
        visibility: Visibility::new(&ViewSpec::Subscriber, &[]),
        markers: Markers::Run,
        redact: redact.then_some(RedactSpec::PII),
        reduce: Default::default(),
    };
    if let Err(e) = check::check(data, &opts) {
        panic!("{e}");
    }
});
