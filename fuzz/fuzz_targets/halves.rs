//! A log cut in two halves at an execution start (as `dbglog scan` cuts a large file):
//! whether the cut holds or falls back to one run, every record gets the place a single
//! run gives it (`dbglog::scan::halves::check_halves`). Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = dbglog::scan::halves::check_halves(data, 0, 4) {
        panic!("{e}");
    }
});
