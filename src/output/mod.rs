//! Output: the printers' shared pieces. Buffered stdout, broken-pipe handling, colour
//! choice, JSON string escaping for bytes that may not be UTF-8, and escaping of control
//! characters so a log can never drive the user's terminal.

pub mod file;
pub mod json;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
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

/// Text from a log, made safe for a terminal: invalid UTF-8 becomes U+FFFD and control
/// characters (ESC, CR, BEL, …; tabs are kept) become visible `\x1b`-style escapes.
pub fn safe_text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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

/// A writer for log text shown on a terminal: control characters other than newline, carriage
/// return and tab become visible `\x1b`-style escapes, so a log cannot move the cursor, clear
/// the screen or set the window title. Used only when stdout is a terminal: files and pipes
/// get the exact bytes.
pub struct TerminalSafe<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> TerminalSafe<W> {
    /// Wrap `inner`.
    pub fn new(inner: W) -> Self {
        TerminalSafe {
            inner,
            buf: Vec::new(),
        }
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let unsafe_byte = |c: u8| (c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t')) || c == 0x7f;
        if !data.iter().any(|&c| unsafe_byte(c)) {
            self.inner.write_all(data)?;
            return Ok(data.len());
        }
        self.buf.clear();
        for &c in data {
            if unsafe_byte(c) {
                self.buf.extend_from_slice(format!("\\x{c:02x}").as_bytes());
            } else {
                self.buf.push(c);
            }
        }
        self.inner.write_all(&self.buf)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_control_characters() {
        let mut out = Vec::new();
        let mut w = TerminalSafe::new(&mut out);
        w.write_all(b"ok\tline\r\n\x1b]0;pwned\x07\x1b[2J end\n")
            .unwrap();
        assert_eq!(out, b"ok\tline\r\n\\x1b]0;pwned\\x07\\x1b[2J end\n");
        assert_eq!(safe_text(b"a\x1b[31mred"), "a\\x1b[31mred");
    }
}
