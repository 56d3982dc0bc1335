//! The one rule for log text shown on a terminal, so a log can never drive it (move the
//! cursor, clear the screen, set the window title, switch character sets).
//!
//! Escaped, visibly: C0 controls except tab and newline (`\x1b`, `\x07`, `\x08`…; a
//! carriage return only when it does not end a line as `\r\n`), DEL (`\x7f`), the C1 controls
//! U+0080–U+009F (`\u{9b}`; in UTF-8 `C2 80`–`C2 9F`) and bytes that are not UTF-8 (`\xNN`,
//! so a raw `9B` cannot act as CSI on an 8-bit terminal either). Everything else is written
//! as it is.
//!
//! Two forms share the rule: [`safe_text`] for one field of a report (a newline in it is
//! escaped too, so a field stays on its line), and [`TerminalSafe`], a writer for whole log
//! text (newlines kept) that `view` and `diff --format unified` put in front of stdout when
//! it is a terminal. Files and pipes get the exact bytes.

use std::io::{self, Write};

/// Whether newlines are part of the text (log text) or must be escaped (one report field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Newlines {
    /// Keep `\n` and a `\r` just before it.
    Keep,
    /// Escape them like any control character.
    Escape,
}

/// Is this character escaped on a terminal (with newlines kept)? C0 controls but tab and
/// newline, DEL and C1 controls.
#[inline]
pub fn is_control(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\t' && c != '\n') || (0x7f..=0x9f).contains(&u)
}

/// Can `b` go to a terminal as it is (with newlines kept, and no `\r` anywhere)? The fast
/// check before escaping: printable ASCII, tab and newline only.
#[inline]
fn plain(b: &[u8]) -> bool {
    b.iter()
        .all(|&c| (0x20..0x7f).contains(&c) || c == b'\t' || c == b'\n')
}

/// Append `text` to `out` made safe for a terminal; returns how many bytes at the end were
/// held back (an incomplete UTF-8 sequence, or a `\r` that a `\n` may follow) when `more`
/// says more text follows. Without `more`, everything is written.
pub fn escape_into(text: &[u8], newlines: Newlines, more: bool, out: &mut Vec<u8>) -> usize {
    let mut rest = text;
    loop {
        let (valid, tail) = match std::str::from_utf8(rest) {
            Ok(s) => (s, &b""[..]),
            Err(e) => {
                // The first `valid_up_to` bytes are UTF-8, by the error's contract.
                let (v, t) = rest.split_at(e.valid_up_to());
                let v = std::str::from_utf8(v).unwrap_or_default();
                match e.error_len() {
                    // Incomplete sequence at the very end: maybe completed by the next write.
                    None if more => {
                        escape_str(v, newlines, false, out);
                        return t.len();
                    }
                    None => {
                        escape_str(v, newlines, false, out);
                        hex_bytes(t, out);
                        return 0;
                    }
                    Some(n) => {
                        escape_str(v, newlines, false, out);
                        hex_bytes(&t[..n], out);
                        rest = &t[n..];
                        continue;
                    }
                }
            }
        };
        debug_assert!(tail.is_empty());
        return escape_str(valid, newlines, more, out);
    }
}

fn hex_bytes(b: &[u8], out: &mut Vec<u8>) {
    for &c in b {
        let _ = write!(out, "\\x{c:02x}");
    }
}

/// Escape one valid string; a final `\r` is held back (returns 1) when `more`.
fn escape_str(s: &str, newlines: Newlines, more: bool, out: &mut Vec<u8>) -> usize {
    let b = s.as_bytes();
    if newlines == Newlines::Keep && plain(b) {
        out.extend_from_slice(b);
        return 0;
    }
    let keep = newlines == Newlines::Keep;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '\n' => !keep,
            '\r' if keep && i + 1 == b.len() && more => {
                out.extend_from_slice(&b[start..i]);
                return 1;
            }
            '\r' => !(keep && b.get(i + 1) == Some(&b'\n')),
            c => is_control(c),
        };
        if escape {
            out.extend_from_slice(&b[start..i]);
            let u = c as u32;
            let _ = if u < 0x80 {
                write!(out, "\\x{u:02x}")
            } else {
                write!(out, "\\u{{{u:x}}}")
            };
            start = i + c.len_utf8();
        }
    }
    out.extend_from_slice(&b[start..]);
    0
}

/// One field of log text (a name, a message) for a text report: controls, newlines and
/// bytes that are not UTF-8 become visible escapes ([the rule](self)).
pub fn safe_text(b: &[u8]) -> String {
    if b.iter().all(|&c| (0x20..0x7f).contains(&c) || c == b'\t') {
        // Printable ASCII: nothing to do (and valid UTF-8).
        return String::from_utf8_lossy(b).into_owned();
    }
    let mut out = Vec::with_capacity(b.len() + 8);
    escape_into(b, Newlines::Escape, false, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A writer for log text shown on a terminal ([the rule](self), newlines kept). A UTF-8
/// sequence or a `\r\n` split between two writes is handled as one; what is still held at
/// [`flush`](Write::flush) (or drop) is written escaped.
pub struct TerminalSafe<W: Write> {
    inner: W,
    buf: Vec<u8>,
    held: Vec<u8>,
}

impl<W: Write> TerminalSafe<W> {
    /// Wrap `inner`.
    pub fn new(inner: W) -> Self {
        TerminalSafe {
            inner,
            buf: Vec::new(),
            held: Vec::new(),
        }
    }

    fn release(&mut self) -> io::Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        self.buf.clear();
        escape_into(&self.held, Newlines::Keep, false, &mut self.buf);
        self.held.clear();
        self.inner.write_all(&self.buf)
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.held.is_empty() && plain(data) {
            self.inner.write_all(data)?;
            return Ok(data.len());
        }
        let mut text = std::mem::take(&mut self.held);
        text.extend_from_slice(data);
        self.buf.clear();
        let held = escape_into(&text, Newlines::Keep, true, &mut self.buf);
        self.inner.write_all(&self.buf)?;
        text.drain(..text.len() - held);
        self.held = text;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.release()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for TerminalSafe<W> {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through_writer(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = TerminalSafe::new(&mut out);
            for p in parts {
                w.write_all(p).unwrap();
            }
            w.flush().unwrap();
        }
        out
    }

    #[test]
    fn c0_del_and_lone_escapes() {
        assert_eq!(
            through_writer(&[b"ok\tline\r\n\x1b]0;pwned\x07\x1b[2J end\n"]),
            b"ok\tline\r\n\\x1b]0;pwned\\x07\\x1b[2J end\n"
        );
        assert_eq!(through_writer(&[b"a\x7fb\x08c\x00"]), b"a\\x7fb\\x08c\\x00");
        // A carriage return that does not end a line would overwrite it.
        assert_eq!(through_writer(&[b"safe\rEVIL\n"]), b"safe\\x0dEVIL\n");
        assert_eq!(through_writer(&[b"\x1b"]), b"\\x1b");
    }

    #[test]
    fn c1_controls_and_bytes_that_are_not_utf8() {
        // U+009B (CSI) in UTF-8 is C2 9B.
        assert_eq!(
            through_writer(&["x\u{9b}31m y".as_bytes()]),
            b"x\\u{9b}31m y"
        );
        assert_eq!(
            through_writer(&["\u{85}\u{9f}".as_bytes()]),
            b"\\u{85}\\u{9f}"
        );
        // A raw 9B byte (CSI on an 8-bit terminal) and other bytes that are not UTF-8.
        assert_eq!(through_writer(&[b"a\x9b2Jb\xff"]), b"a\\x9b2Jb\\xff");
        // Other characters pass.
        assert_eq!(
            through_writer(&["é ü ✓ \u{a0}".as_bytes()]),
            "é ü ✓ \u{a0}".as_bytes()
        );
    }

    #[test]
    fn sequences_split_between_writes() {
        let csi = "\u{9b}".as_bytes();
        assert_eq!(
            through_writer(&[b"a", &csi[..1], &csi[1..], b"b"]),
            b"a\\u{9b}b"
        );
        let e = "é".as_bytes();
        assert_eq!(through_writer(&[&e[..1], &e[1..]]), "é".as_bytes());
        assert_eq!(
            through_writer(&[b"line\r", b"\nnext\r", b"x"]),
            b"line\r\nnext\\x0dx"
        );
        // Held at the end: written escaped by flush.
        assert_eq!(through_writer(&[b"cut\xe2\x9c"]), b"cut\\xe2\\x9c");
        assert_eq!(through_writer(&[b"end\r"]), b"end\\x0d");
    }

    #[test]
    fn one_rule_for_fields() {
        assert_eq!(safe_text(b"a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(safe_text("a\u{9b}b".as_bytes()), "a\\u{9b}b");
        assert_eq!(safe_text(b"two\r\nlines\tok"), "two\\x0d\\x0alines\tok");
        assert_eq!(safe_text(b"bad\xff"), "bad\\xff");
        assert_eq!(safe_text("Grüße".as_bytes()), "Grüße");
        // The same characters are escaped by both forms (newlines aside).
        for c in (0u32..0x200).filter_map(char::from_u32) {
            let s = c.to_string();
            let field = safe_text(s.as_bytes());
            let text = String::from_utf8(through_writer(&[s.as_bytes()])).unwrap();
            if c != '\n' && c != '\r' {
                assert_eq!(field, text, "U+{:04X}", c as u32);
            }
            assert_eq!(
                field != s,
                c == '\n' || c == '\r' || is_control(c),
                "U+{:04X}",
                c as u32
            );
        }
    }
}
