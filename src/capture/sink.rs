//! Where one captured log's bytes go: a temporary file, plain or gzip, behind a large buffer.
//!
//! Streams are often many small logs, so everything that costs to set up (the 1 MiB
//! buffer, the compressor's state, the output buffer) lives in [`Parts`], which the next log
//! reuses: after the first log, a log costs no allocation. The gzip framing (header, CRC-32,
//! length) is written here around a raw deflate stream, which gives a plain single-member
//! gzip file.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Input buffer in front of the file (or the compressor): large, so the compressor sees big
/// chunks and the file gets few, large writes.
pub const BUF: usize = 1 << 20;

/// Compressed output is written out once this much has gathered.
const OUT: usize = 256 * 1024;

/// Room the compressor always gets in the output buffer.
const ROOM: usize = 64 * 1024;

/// Gzip header: magic, deflate, no flags, no time, fastest (XFL 4), unknown OS.
const GZ_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

/// Reusable buffers and compressor state.
pub struct Parts {
    buf: Vec<u8>,
    out: Vec<u8>,
    gz: Option<(Compress, Crc)>,
}

impl Parts {
    /// Fresh parts; `gzip` adds a compressor (gzip level 1, fast).
    pub fn new(gzip: bool) -> Self {
        Parts {
            buf: Vec::with_capacity(BUF),
            out: if gzip {
                Vec::with_capacity(OUT + ROOM)
            } else {
                Vec::new()
            },
            gz: gzip.then(|| (Compress::new(Compression::fast(), false), Crc::new())),
        }
    }
}

/// The writer of one log's temporary file. Counts the (uncompressed) bytes written.
pub struct LogWriter {
    file: File,
    parts: Parts,
    bytes: u64,
}

impl LogWriter {
    /// Start writing a freshly created file with `parts` (their buffers must be empty, as
    /// [`Parts::new`] and [`LogWriter::finish`] leave them).
    pub fn new(file: File, mut parts: Parts) -> Self {
        parts.buf.clear();
        parts.out.clear();
        if parts.gz.is_some() {
            parts.out.extend_from_slice(&GZ_HEADER);
        }
        LogWriter {
            file,
            parts,
            bytes: 0,
        }
    }

    /// Uncompressed bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Push the input buffer to the file (through the compressor for gzip).
    fn drain(&mut self, flush: FlushCompress) -> io::Result<()> {
        let Parts { buf, out, gz } = &mut self.parts;
        match gz {
            None => {
                if !buf.is_empty() {
                    self.file.write_all(buf)?;
                    buf.clear();
                }
            }
            Some((comp, crc)) => {
                crc.update(buf);
                let mut input = &buf[..];
                loop {
                    if out.capacity() - out.len() < ROOM || out.len() >= OUT {
                        self.file.write_all(out)?;
                        out.clear();
                        out.reserve(OUT + ROOM);
                    }
                    let before = comp.total_in();
                    let status = comp
                        .compress_vec(input, out, flush)
                        .map_err(io::Error::other)?;
                    input = &input[(comp.total_in() - before) as usize..];
                    let done = match flush {
                        FlushCompress::Finish => status == Status::StreamEnd,
                        // A sync flush is complete once the compressor left room unused.
                        FlushCompress::Sync => input.is_empty() && out.len() < out.capacity(),
                        _ => input.is_empty(),
                    };
                    if done {
                        break;
                    }
                }
                buf.clear();
            }
        }
        Ok(())
    }

    /// Make `to` a complete file of everything written so far, while this writer goes on:
    /// `from` is this writer's own file. The buffered bytes are pushed to it first; for
    /// gzip with a sync flush (the deflate stream then ends on a byte boundary and can go
    /// on), and the copy gets an empty final block and the trailer of the bytes so far.
    pub fn snapshot(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        match self.parts.gz.is_some() {
            false => self.drain(FlushCompress::None)?,
            true => {
                self.drain(FlushCompress::Sync)?;
                let out = &mut self.parts.out;
                self.file.write_all(out)?;
                out.clear();
            }
        }
        std::fs::copy(from, to)?;
        if let Some((_, crc)) = &self.parts.gz {
            // An empty fixed-Huffman block with BFINAL set, then CRC-32 and length.
            let mut tail = vec![0x03, 0x00];
            tail.extend_from_slice(&crc.sum().to_le_bytes());
            tail.extend_from_slice(&(self.bytes as u32).to_le_bytes());
            std::fs::OpenOptions::new()
                .append(true)
                .open(to)?
                .write_all(&tail)?;
        }
        Ok(())
    }

    /// Write everything (for gzip: the end of the stream and the trailer), close the file
    /// and hand back the parts for the next log.
    pub fn finish(mut self) -> io::Result<Parts> {
        match self.parts.gz.is_some() {
            false => self.drain(FlushCompress::None)?,
            true => {
                self.drain(FlushCompress::Finish)?;
                let Parts { out, gz, .. } = &mut self.parts;
                let (comp, crc) = gz.as_mut().expect("gzip parts");
                out.extend_from_slice(&crc.sum().to_le_bytes());
                out.extend_from_slice(&(self.bytes as u32).to_le_bytes());
                self.file.write_all(out)?;
                out.clear();
                comp.reset();
                crc.reset();
            }
        }
        Ok(self.parts)
    }
}

impl Write for LogWriter {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if self.parts.buf.len() + data.len() > BUF {
            self.drain(FlushCompress::None)?;
            if data.len() > BUF {
                // A huge record: feed it through in buffer-sized pieces.
                for piece in data.chunks(BUF) {
                    self.parts.buf.extend_from_slice(piece);
                    self.drain(FlushCompress::None)?;
                }
                self.bytes += data.len() as u64;
                return Ok(());
            }
        }
        self.parts.buf.extend_from_slice(data);
        self.bytes += data.len() as u64;
        Ok(())
    }

    /// Buffered data stays buffered (a flush would cut the deflate stream's efficiency);
    /// [`finish`](LogWriter::finish) writes it all.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A snapshot is a complete file of the bytes so far, plain or gzip, and the writer goes
    /// on to a complete file of all of them.
    #[test]
    fn snapshot_then_go_on() {
        let d = tempfile::tempdir().unwrap();
        for gzip in [false, true] {
            let work = d.path().join("work");
            let snap = d.path().join("snap");
            let mut w = LogWriter::new(File::create(&work).unwrap(), Parts::new(gzip));
            let first: Vec<u8> = (0..300_000u32)
                .flat_map(|i| (i % 251).to_le_bytes())
                .collect();
            w.write_all(&first).unwrap();
            w.snapshot(&work, &snap).unwrap();
            w.write_all(b"more lines\n").unwrap();
            w.finish().unwrap();
            let read = |p: &Path| {
                let raw = std::fs::read(p).unwrap();
                if !gzip {
                    return raw;
                }
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            };
            assert!(read(&snap) == first, "gzip {gzip}: snapshot");
            let mut all = first.clone();
            all.extend_from_slice(b"more lines\n");
            assert!(read(&work) == all, "gzip {gzip}: whole");
        }
    }
}
