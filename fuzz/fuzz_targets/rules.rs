//! The rules loader on arbitrary TOML, and the builtin catalogue on arbitrary event text.
#![no_main]

use dbglog::rules::Catalogue;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Ok(c) = Catalogue::from_toml(src, "fuzz.toml") {
            let _ = Catalogue::builtin().with_extra(c);
        }
    }
    let mut out = Vec::new();
    for t in ["EXCEPTION_THROWN", "FATAL_ERROR", "FLOW_ELEMENT_ERROR", "LIMIT_USAGE_FOR_NS", "MARKER"] {
        out.clear();
        Catalogue::builtin().match_event(t, data, &mut out);
    }
});
