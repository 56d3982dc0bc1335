//! Output: the printers' shared pieces. Buffered stdout, broken-pipe handling, colour
//! choice, JSON string escaping for bytes that may not be UTF-8, and the one terminal filter
//! ([`terminal`]) so a log can never drive the user's terminal.

pub mod diff;
pub mod file;
pub mod json;
pub mod terminal;

pub use terminal::{TerminalSafe, safe_text};

use crate::input::decode::Encoding;

use std::io::{self, IsTerminal, Write};

/// A buffered stdout (64 KiB): commands write reports through this, never `println!`.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

/// True for the error a closed pipe gives (`dbglog … | head`): such runs end quietly with 0.
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// `--color` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, `NO_COLOR` is unset and `TERM` is not `dumb`.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Decide for stdout.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
                    && io::stdout().is_terminal()
            }
        }
    }
}

/// ANSI styles, or nothing when colour is off.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Styles that print escapes only if `on`.
    pub fn new(on: bool) -> Self {
        Style { on }
    }
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    /// Red (fatal).
    pub fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    /// Yellow (warnings).
    pub fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    /// Dim (secondary detail).
    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    /// Cyan (names).
    pub fn cyan(&self, s: &str) -> String {
        self.wrap("36", s)
    }
}

/// Print `dbglog: msg` on stderr.
pub fn error_line(msg: &dyn std::fmt::Display) {
    let _ = writeln!(io::stderr(), "dbglog: {msg}");
}

/// A writer that gives output the input's encoding back: for UTF-16 input (which dbglog
/// reads as UTF-8), it writes a BOM and re-encodes to UTF-16 of the same byte order, so that
/// `view --as full` is byte-exact for UTF-16 files too. Other encodings pass through.
pub struct Reencode<W: Write> {
    inner: W,
    enc: Encoding,
    started: bool,
    pending: Vec<u8>,
}

impl<W: Write> Reencode<W> {
    /// Wrap `inner` for input encoding `enc`.
    pub fn new(inner: W, enc: Encoding) -> Self {
        Reencode {
            inner,
            enc,
            started: false,
            pending: Vec::new(),
        }
    }
}

impl<W: Write> Write for Reencode<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.enc.is_utf16() {
            return self.inner.write(buf);
        }
        if !self.started {
            self.started = true;
            let bom: &[u8] = if self.enc == Encoding::Utf16Be {
                &[0xFE, 0xFF]
            } else {
                &[0xFF, 0xFE]
            };
            self.inner.write_all(bom)?;
        }
        self.pending.extend_from_slice(buf);
        // Encode every complete UTF-8 sequence; keep an incomplete tail for the next write.
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => e.valid_up_to() + e.error_len().unwrap_or(1),
        };
        let text = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
        let mut out = Vec::with_capacity(text.len() * 2);
        for u in text.encode_utf16() {
            let b = if self.enc == Encoding::Utf16Be {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            };
            out.extend_from_slice(&b);
        }
        self.inner.write_all(&out)?;
        self.pending.drain(..valid);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Stdout for log text (`view`, `diff --format unified`, `flame`): through [`TerminalSafe`]
/// when it is a terminal, the exact bytes otherwise (files and pipes).
pub fn log_stdout(capacity: usize) -> Box<dyn Write> {
    let w = io::BufWriter::with_capacity(capacity, io::stdout().lock());
    if io::stdout().is_terminal() {
        Box::new(TerminalSafe::new(w))
    } else {
        Box::new(w)
    }
}
