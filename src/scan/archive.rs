//! Compressed files and archives: detection by magic bytes, inflating through a limiter
//! that stops decompression bombs, and reading members one at a time.
//!
//! Nothing is ever written to disk: members are read into a reusable buffer and scanned
//! from memory. A member's name (including `..` or an absolute path) is only a label.

use super::{FileReport, Scanner};
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use std::cell::RefCell;
use std::io::{self, Cursor, Read};

pub use crate::input::unpack::{
    Bomb, CountIn, Kind, Limit, RATIO_FLOOR, human_size, is_tar, read_all,
};

thread_local! {
    /// A reusable member buffer per worker thread (taken, used, put back).
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn take_buffer() -> Vec<u8> {
    BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()))
}

fn give_buffer(mut v: Vec<u8>) {
    // Keep at most 256 MiB per worker between files.
    if v.capacity() > 256 << 20 {
        v = Vec::new();
    }
    BUFFER.with(|b| *b.borrow_mut() = v);
}

pub use crate::bytes::parse_size;

/// Turn an error of reading inflated data into a one-line reason.
fn inflate_reason(what: &str, e: &io::Error) -> String {
    if let Some(b) = e.get_ref().and_then(|i| i.downcast_ref::<Bomb>()) {
        return b.0.clone();
    }
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return format!("truncated {what} data: {e}");
    }
    format!("corrupt {what} data: {e}")
}

/// Read until `buf` is full or the reader ends; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Scan an archive or compressed file held in `bytes`.
pub(super) fn scan_archive(
    sc: &Scanner<'_>,
    kind: Kind,
    name: &str,
    bytes: &[u8],
    depth: u32,
    out: &mut Vec<FileReport>,
) {
    match kind {
        Kind::Gzip => scan_gzip(sc, name, bytes, depth, out),
        Kind::Zip => scan_zip(sc, name, bytes, depth, out),
        Kind::Tar => scan_tar(sc, name, "tar", bytes, depth, out),
        Kind::Log => unreachable!("logs are not archives"),
    }
}

fn scan_gzip(sc: &Scanner<'_>, name: &str, bytes: &[u8], depth: u32, out: &mut Vec<FileReport>) {
    let o = sc.options;
    let mut lim = Limit::new(
        MultiGzDecoder::new(CountIn(bytes)),
        o.max_inflate_size,
        o.max_inflate_ratio,
    );
    let mut head = [0u8; 512];
    let n = match read_full(&mut lim, &mut head) {
        Ok(n) => n,
        Err(e) => {
            out.push(FileReport::failed(name, inflate_reason("gzip", &e)));
            return;
        }
    };
    if is_tar(&head[..n]) {
        // A tar.gz: stream the members straight out of the decoder.
        let r = Cursor::new(&head[..n]).chain(lim);
        scan_tar(sc, name, "tar.gz", r, depth, out);
        return;
    }
    let mut buf = take_buffer();
    if buf.len() < n {
        buf.resize(n, 0);
    }
    buf[..n].copy_from_slice(&head[..n]);
    match read_all(&mut lim, &mut buf, n) {
        Ok(len) => sc.scan_member(name, &buf[..len], depth + 1, out),
        Err(e) => out.push(FileReport::failed(name, inflate_reason("gzip", &e))),
    }
    give_buffer(buf);
}

fn scan_tar<R: Read>(
    sc: &Scanner<'_>,
    name: &str,
    what: &str,
    r: R,
    depth: u32,
    out: &mut Vec<FileReport>,
) {
    let o = sc.options;
    let mut ar = tar::Archive::new(r);
    let entries = match ar.entries() {
        Ok(e) => e,
        Err(e) => {
            out.push(FileReport::failed(name, inflate_reason(what, &e)));
            return;
        }
    };
    let before = out.len();
    let mut buf = take_buffer();
    for ent in entries {
        let mut ent = match ent {
            Ok(e) => e,
            Err(e) => {
                out.push(FileReport::failed(
                    name,
                    format!(
                        "{}; members after this point not scanned",
                        inflate_reason(what, &e)
                    ),
                ));
                break;
            }
        };
        let member = format!("{name}!{}", String::from_utf8_lossy(&ent.path_bytes()));
        let et = ent.header().entry_type();
        if et.is_dir() {
            continue;
        }
        if !(et.is_file() || et.is_contiguous()) {
            out.push(FileReport::skipped(
                member,
                format!("not a regular file (tar entry type {:?})", et),
            ));
            continue;
        }
        // Members of a plain tar are not compressed: only the size limit matters.
        let ratio = if what == "tar" {
            f64::INFINITY
        } else {
            o.max_inflate_ratio
        };
        let res = read_all(
            &mut Limit::new(&mut ent, o.max_inflate_size, ratio),
            &mut buf,
            0,
        );
        match res {
            Ok(len) => sc.scan_member(&member, &buf[..len], depth + 1, out),
            Err(e) => {
                out.push(FileReport::failed(
                    member,
                    format!(
                        "{}; members after this point not scanned",
                        inflate_reason(what, &e)
                    ),
                ));
                break;
            }
        }
    }
    give_buffer(buf);
    if out.len() == before {
        out.push(FileReport::skipped(
            name,
            format!("{what} archive without files"),
        ));
    }
}

fn scan_zip(sc: &Scanner<'_>, name: &str, bytes: &[u8], depth: u32, out: &mut Vec<FileReport>) {
    let ar = match zip::ZipArchive::new(CountIn(Cursor::new(bytes))) {
        Ok(a) => a,
        Err(e) => {
            out.push(FileReport::failed(
                name,
                format!("corrupt or truncated zip: {e}"),
            ));
            return;
        }
    };
    let n = ar.len();
    let nested: Vec<Vec<FileReport>> = (0..n)
        .into_par_iter()
        .map_init(
            || (ar.clone(), Vec::new()),
            |(ar, buf), i| zip_member(sc, ar, i, buf, name, depth),
        )
        .collect();
    let before = out.len();
    out.extend(nested.into_iter().flatten());
    if out.len() == before {
        out.push(FileReport::skipped(name, "zip archive without files"));
    }
}

type ZipAr<'a> = zip::ZipArchive<CountIn<Cursor<&'a [u8]>>>;

fn zip_member(
    sc: &Scanner<'_>,
    ar: &mut ZipAr<'_>,
    i: usize,
    buf: &mut Vec<u8>,
    name: &str,
    depth: u32,
) -> Vec<FileReport> {
    let o = sc.options;
    let mut out = Vec::new();
    let label = match ar.name_for_index(i) {
        Some(Ok(n)) => format!("{name}!{n}"),
        _ => format!("{name}!#{i}"),
    };
    let mut f = match ar.by_index(i) {
        Ok(f) => f,
        Err(e) => {
            out.push(FileReport::failed(
                label,
                format!("cannot read zip member: {e}"),
            ));
            return out;
        }
    };
    if f.is_dir() {
        return out;
    }
    if f.is_symlink() {
        out.push(FileReport::skipped(
            label,
            "symbolic link in archive (not followed)",
        ));
        return out;
    }
    let res = read_all(
        &mut Limit::new(&mut f, o.max_inflate_size, o.max_inflate_ratio),
        buf,
        0,
    );
    drop(f);
    match res {
        Ok(len) => sc.scan_member(&label, &buf[..len], depth + 1, &mut out),
        Err(e) => out.push(FileReport::failed(label, inflate_reason("zip", &e))),
    }
    if buf.capacity() > 256 << 20 {
        *buf = Vec::new();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("64 MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("500K").unwrap(), 500 << 10);
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("12 parsecs").is_err());
        assert_eq!(human_size(2 << 30), "2 GiB");
        assert_eq!(human_size(1536), "1.5 KiB");
    }

    #[test]
    fn magic() {
        assert_eq!(Kind::detect(&[0x1f, 0x8b, 8]), Kind::Gzip);
        assert_eq!(Kind::detect(b"PK\x05\x06\0\0"), Kind::Zip);
        assert_eq!(Kind::detect(b"61.0 APEX_CODE,FINE"), Kind::Log);
        let mut t = vec![0u8; 512];
        t[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(Kind::detect(&t), Kind::Tar);
    }

    #[test]
    fn limiter_stops_ratio_and_size() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&vec![0u8; 8 << 20]).unwrap();
        let gz = enc.finish().unwrap();
        let mut sink = Vec::new();
        let e = Limit::new(MultiGzDecoder::new(CountIn(&gz[..])), u64::MAX, 64.0)
            .read_to_end(&mut sink)
            .unwrap_err();
        assert!(inflate_reason("gzip", &e).contains("--max-inflate-ratio"));
        sink.clear();
        let e = Limit::new(
            MultiGzDecoder::new(CountIn(&gz[..])),
            1 << 20,
            f64::INFINITY,
        )
        .read_to_end(&mut sink)
        .unwrap_err();
        assert!(inflate_reason("gzip", &e).contains("exceeds 1 MiB"));
    }
}
