//! Where one captured log's bytes go: a temporary file, plain or gzip, behind a large buffer.

use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Buffer in front of the file (or the compressor): large, so the compressor sees big
/// chunks and the file gets few, large writes.
pub const BUF: usize = 1 << 20;

enum Inner {
    Plain(BufWriter<File>),
    Gz(Box<BufWriter<GzEncoder<File>>>),
}

/// The writer of one log's temporary file. Counts the (uncompressed) bytes written.
pub struct LogWriter {
    inner: Inner,
    bytes: u64,
}

impl LogWriter {
    /// Wrap a freshly created file; `gzip` compresses with gzip level 1 (fast).
    pub fn new(file: File, gzip: bool) -> Self {
        let inner = if gzip {
            Inner::Gz(Box::new(BufWriter::with_capacity(
                BUF,
                GzEncoder::new(file, Compression::fast()),
            )))
        } else {
            Inner::Plain(BufWriter::with_capacity(BUF, file))
        };
        LogWriter { inner, bytes: 0 }
    }

    /// Uncompressed bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Flush everything (for gzip: write the trailer) and close the file.
    pub fn finish(self) -> io::Result<()> {
        match self.inner {
            Inner::Plain(w) => {
                w.into_inner().map_err(|e| e.into_error())?;
            }
            Inner::Gz(w) => {
                let gz = (*w).into_inner().map_err(|e| e.into_error())?;
                gz.finish()?;
            }
        }
        Ok(())
    }
}

impl Write for LogWriter {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.inner {
            Inner::Plain(w) => w.write(buf)?,
            Inner::Gz(w) => w.write(buf)?,
        };
        self.bytes += n as u64;
        Ok(n)
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Plain(w) => w.write_all(buf)?,
            Inner::Gz(w) => w.write_all(buf)?,
        }
        self.bytes += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Plain(w) => w.flush(),
            Inner::Gz(w) => w.flush(),
        }
    }
}
