//! The archive reader (gzip, zip, tar, nested) on arbitrary bytes, with small limits:
//! never panics, never writes to disk, and reports every input as scanned, failed or skipped.
#![no_main]

use dbglog::rules::Catalogue;
use dbglog::scan::{Options, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = Options { max_inflate_size: 8 << 20, max_inflate_ratio: 64.0 };
    let scanner = Scanner::new(Catalogue::builtin(), &opts);
    let reports = scanner.scan_bytes("fuzz.bin", data.to_vec());
    assert!(!reports.is_empty(), "every input is reported");
});
