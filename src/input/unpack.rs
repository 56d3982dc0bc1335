//! Compressed and archived inputs, recognised by their first bytes (never by their name):
//! gzip, zip and tar, inflated through a limiter that stops decompression bombs. Every
//! command opens a `.log.gz` or a one-log zip through [`unpack`]; `scan` also walks
//! archives of many logs with the same pieces.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// What a file is, judged by its first bytes (never by its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// gzip (`1f 8b`); may hold a tar (then it is a tar.gz).
    Gzip,
    /// zip (`PK\x03\x04`, or `PK\x05\x06` for an empty archive).
    Zip,
    /// tar (`ustar` at offset 257).
    Tar,
    /// Anything else: treated as a log (and then perhaps skipped as not a log).
    Log,
}

impl Kind {
    /// Detect from the first bytes.
    pub fn detect(b: &[u8]) -> Kind {
        if b.starts_with(&[0x1f, 0x8b]) {
            Kind::Gzip
        } else if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
            Kind::Zip
        } else if is_tar(b) {
            Kind::Tar
        } else {
            Kind::Log
        }
    }

    /// A short name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gzip => "gzip",
            Kind::Zip => "zip",
            Kind::Tar => "tar",
            Kind::Log => "log",
        }
    }
}

/// `ustar` magic at offset 257 (POSIX `ustar\0` and GNU `ustar  `).
pub fn is_tar(b: &[u8]) -> bool {
    b.len() >= 262 && &b[257..262] == b"ustar"
}

/// The ratio limit applies only once the output passed this many bytes, so that small,
/// very repetitive logs are not mistaken for bombs.
pub const RATIO_FLOOR: u64 = 1 << 20;

thread_local! {
    /// Compressed bytes read on this thread (by [`CountIn`]); a limiter remembers the value
    /// when it starts and compares the difference with its output.
    static COMPRESSED_IN: Cell<u64> = const { Cell::new(0) };
}

pub(crate) fn compressed_in() -> u64 {
    COMPRESSED_IN.with(Cell::get)
}

/// Read `r` to its end into `buf[start..]` and return the total length of the content
/// (`buf[..len]`). Unlike `read_to_end`, `buf` keeps its length (all of it initialised), so
/// a reused buffer is not zero-filled again for every member: it only grows.
pub fn read_all<R: Read>(r: &mut R, buf: &mut Vec<u8>, start: usize) -> io::Result<usize> {
    let mut len = start;
    loop {
        if len == buf.len() {
            let grow = buf.len().clamp(64 << 10, 64 << 20);
            buf.resize(buf.len() + grow, 0);
        }
        match r.read(&mut buf[len..]) {
            Ok(0) => return Ok(len),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Counts the compressed bytes read through it (on this thread).
#[derive(Clone, Debug)]
pub struct CountIn<R>(pub R);

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        COMPRESSED_IN.with(|c| c.set(c.get() + n as u64));
        Ok(n)
    }
}

impl<R: Seek> Seek for CountIn<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.0.seek(pos)
    }
}

/// The error a [`Limit`] returns when it stops a decompression bomb.
#[derive(Debug)]
pub struct Bomb(pub String);

impl fmt::Display for Bomb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Bomb {}

/// Reads inflated data and fails as soon as the output exceeds the size limit, or exceeds
/// the ratio limit relative to the compressed bytes actually read (counted by [`CountIn`]).
/// Headers that announce sizes are never consulted.
#[derive(Debug)]
pub struct Limit<R> {
    inner: R,
    out: u64,
    in_base: u64,
    max_size: u64,
    max_ratio: f64,
}

impl<R: Read> Limit<R> {
    /// Limit `inner`; compressed bytes are counted from now on.
    pub fn new(inner: R, max_size: u64, max_ratio: f64) -> Self {
        Limit {
            inner,
            out: 0,
            in_base: compressed_in(),
            max_size,
            max_ratio,
        }
    }
}

impl<R: Read> Read for Limit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > self.max_size {
            return Err(io::Error::other(Bomb(format!(
                "decompression bomb: inflated size exceeds {} (--max-inflate-size)",
                human_size(self.max_size)
            ))));
        }
        if self.out > RATIO_FLOOR {
            let inb = compressed_in().saturating_sub(self.in_base).max(1);
            if self.out as f64 > self.max_ratio * inb as f64 {
                return Err(io::Error::other(Bomb(format!(
                    "decompression bomb: inflated {} from {} compressed bytes, over {}:1 \
                     (--max-inflate-ratio)",
                    human_size(self.out),
                    inb,
                    self.max_ratio
                ))));
            }
        }
        Ok(n)
    }
}

/// `2 GiB`, `200 MiB`, `512 B`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The most one opened input may inflate to (the same default as `scan`).
pub const MAX_INFLATE: u64 = 2 << 30;
/// The largest inflated-to-compressed ratio accepted (the same default as `scan`).
pub const MAX_RATIO: f64 = 64.0;

/// One log out of a compressed or archived file held in memory: a gzip (of a log), a zip
/// holding one file (or the member named by `member`, from `a.zip!member`), or a tar or
/// tar.gz holding one file (or the member named). A log (anything else) is `Ok(None)`:
/// use the bytes as they are. An archive of several logs is an error that says to name
/// one, or to use `scan` ([`is_several`] recognises it).
pub fn unpack(bytes: &[u8], member: Option<&str>) -> Result<Option<Vec<u8>>, String> {
    let kind = Kind::detect(bytes);
    let no_members = || Err("is not a zip or tar archive, so it has no members".into());
    // A gzip may hold a tar: whether it has members is known once it is inflated.
    if member.is_some() && kind == Kind::Log {
        return no_members();
    }
    match kind {
        Kind::Log => Ok(None),
        Kind::Gzip => {
            let mut lim = Limit::new(
                flate2::read::MultiGzDecoder::new(CountIn(bytes)),
                MAX_INFLATE,
                MAX_RATIO,
            );
            let mut out = Vec::new();
            let len = read_all(&mut lim, &mut out, 0).map_err(|e| reason("gzip", &e))?;
            out.truncate(len);
            if is_tar(&out) {
                return unpack_tar(&out, member).map(Some);
            }
            if member.is_some() {
                return no_members();
            }
            if Kind::detect(&out) != Kind::Log {
                return Err("holds a compressed archive inside gzip; use `dbglog scan`".into());
            }
            Ok(Some(out))
        }
        Kind::Zip => unpack_zip(bytes, member).map(Some),
        Kind::Tar => unpack_tar(bytes, member).map(Some),
    }
}

fn reason(what: &str, e: &io::Error) -> String {
    if let Some(b) = e.get_ref().and_then(|i| i.downcast_ref::<Bomb>()) {
        return b.0.clone();
    }
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return format!("truncated {what} data: {e}");
    }
    format!("corrupt {what} data: {e}")
}

/// True when `what` (an [`unpack`] error) says the archive holds several files, so that a
/// command that takes many logs can walk it instead.
pub fn is_several(what: &str) -> bool {
    what.contains(SEVERAL)
}

const SEVERAL: &str = "name one as FILE!MEMBER";

fn several(n: usize, names: &[String], what: &str) -> String {
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    format!(
        "is a {what} archive of {n} files ({}{}): {SEVERAL}, or use `dbglog scan` for all",
        shown.join(", "),
        if n > 3 { ", …" } else { "" }
    )
}

fn unpack_zip(bytes: &[u8], member: Option<&str>) -> Result<Vec<u8>, String> {
    let mut ar = zip::ZipArchive::new(CountIn(io::Cursor::new(bytes)))
        .map_err(|e| format!("corrupt or truncated zip: {e}"))?;
    let files: Vec<(usize, String)> = (0..ar.len())
        .filter_map(|i| {
            let f = ar.by_index_raw(i).ok()?;
            let name = f.name().ok()?.to_string();
            (!f.is_dir()).then_some((i, name))
        })
        .collect();
    let pick = match member {
        Some(m) => {
            files
                .iter()
                .find(|(_, n)| n == m)
                .ok_or_else(|| format!("has no member {m}"))?
                .0
        }
        None => match files.as_slice() {
            [] => return Err("is a zip archive without files".into()),
            [(i, _)] => *i,
            _ => {
                let names: Vec<String> = files.iter().map(|(_, n)| n.clone()).collect();
                return Err(several(files.len(), &names, "zip"));
            }
        },
    };
    let f = ar
        .by_index(pick)
        .map_err(|e| format!("cannot read zip member: {e}"))?;
    let mut lim = Limit::new(f, MAX_INFLATE, MAX_RATIO);
    let mut out = Vec::new();
    let len = read_all(&mut lim, &mut out, 0).map_err(|e| reason("zip", &e))?;
    out.truncate(len);
    Ok(out)
}

fn unpack_tar(bytes: &[u8], member: Option<&str>) -> Result<Vec<u8>, String> {
    let mut ar = tar::Archive::new(bytes);
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    let mut names = Vec::new();
    for entry in ar.entries().map_err(|e| format!("corrupt tar: {e}"))? {
        let mut e = entry.map_err(|e| format!("corrupt tar: {e}"))?;
        if !e.header().entry_type().is_file() {
            continue;
        }
        let name = e
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        names.push(name.clone());
        if member.is_none_or(|m| m == name) && found.is_empty() {
            let mut v = Vec::new();
            e.read_to_end(&mut v)
                .map_err(|e| format!("corrupt tar: {e}"))?;
            found.push((name, v));
        }
    }
    match (member, names.len(), found.pop()) {
        (Some(m), _, None) => Err(format!("has no member {m}")),
        (None, 0, _) => Err("is a tar archive without files".into()),
        (None, n, _) if n > 1 => Err(several(n, &names, "tar")),
        (_, _, Some((_, v))) => Ok(v),
        (None, _, None) => Err("is a tar archive without files".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const LOG: &[u8] = b"59.0 APEX_CODE,FINEST\n12:00:00.0 (100)|EXECUTION_STARTED\n";

    fn gz(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (n, b) in members {
            w.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(b).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_log_is_left_alone() {
        assert_eq!(unpack(LOG, None), Ok(None));
    }

    #[test]
    fn gzip_and_one_member_zip_give_the_log() {
        assert_eq!(unpack(&gz(LOG), None), Ok(Some(LOG.to_vec())));
        assert_eq!(
            unpack(&zip_of(&[("a.log", LOG)]), None),
            Ok(Some(LOG.to_vec()))
        );
    }

    #[test]
    fn a_zip_of_several_needs_a_member() {
        let z = zip_of(&[("a.log", LOG), ("b.log", b"other")]);
        let e = unpack(&z, None).unwrap_err();
        assert!(e.contains("2 files") && e.contains("a.log"), "{e}");
        assert_eq!(unpack(&z, Some("b.log")), Ok(Some(b"other".to_vec())));
        assert!(
            unpack(&z, Some("c.log"))
                .unwrap_err()
                .contains("no member c.log")
        );
        assert!(is_several(&e));
    }

    #[test]
    fn a_tar_gz_member_is_named_like_a_zip_member() {
        let mut b = tar::Builder::new(Vec::new());
        for (n, body) in [("a.log", LOG), ("b.log", &b"other"[..])] {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_cksum();
            b.append_data(&mut h, n, body).unwrap();
        }
        let tgz = gz(&b.into_inner().unwrap());
        assert_eq!(unpack(&tgz, Some("b.log")), Ok(Some(b"other".to_vec())));
        assert!(is_several(&unpack(&tgz, None).unwrap_err()));
        let e = unpack(&gz(LOG), Some("a.log")).unwrap_err();
        assert!(e.contains("has no members"), "{e}");
    }

    #[test]
    fn a_broken_gzip_is_an_error() {
        let g = gz(LOG);
        assert!(unpack(&g[..g.len() / 2], None).is_err());
    }
}
