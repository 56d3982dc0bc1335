//! JSON strings for the NDJSON hot paths: serde_json's string writer with the project's
//! escapes (see [`write_str`]).

use serde::Serializer as _;
use serde_json::ser::{CharEscape, Formatter};
use std::io::{self, Write};

/// serde_json's compact formatter with the escapes a terminal needs: DEL and the C1
/// controls (U+0080–U+009F) as `\uXXXX` too, and every C0 control other than `\n`, `\r`,
/// `\t` as `\uXXXX` (never `\b` or `\f`).
struct TerminalSafe;

impl Formatter for TerminalSafe {
    #[inline]
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, s: &str) -> io::Result<()> {
        // DEL is 7F; a C1 control is C2 80–C2 9F in UTF-8 (a C2 byte always leads a pair).
        let b = s.as_bytes();
        let mut start = 0;
        for i in memchr::memchr2_iter(0x7f, 0xc2, b) {
            let (code, len) = match b[i] {
                0x7f => (0x7f, 1),
                _ => match b.get(i + 1) {
                    Some(&d) if (0x80..=0x9f).contains(&d) => (d, 2),
                    _ => continue,
                },
            };
            w.write_all(&b[start..i])?;
            write_u00(w, code)?;
            start = i + len;
        }
        w.write_all(&b[start..])
    }

    #[inline]
    fn write_char_escape<W: ?Sized + Write>(&mut self, w: &mut W, e: CharEscape) -> io::Result<()> {
        let short: &[u8] = match e {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"\\/",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::Backspace => return write_u00(w, 0x08),
            CharEscape::FormFeed => return write_u00(w, 0x0c),
            CharEscape::AsciiControl(c) => return write_u00(w, c),
        };
        w.write_all(short)
    }
}

/// `\u00XX`, lower-case hex.
#[inline]
fn write_u00<W: ?Sized + Write>(w: &mut W, c: u8) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    w.write_all(&[
        b'\\',
        b'u',
        b'0',
        b'0',
        HEX[(c >> 4) as usize],
        HEX[(c & 0xf) as usize],
    ])
}

/// Write `b` as a JSON string. Invalid UTF-8 sequences become U+FFFD, so the output is
/// always valid JSON; `lossy` tells whether that happened. C0 and C1 controls and DEL are
/// written as `\uXXXX` escapes (but `\n`, `\r`, `\t` as those), so JSON printed on a
/// terminal cannot drive it (see `output::terminal`).
pub fn write_str<W: Write>(w: &mut W, b: &[u8]) -> io::Result<bool> {
    let (s, lossy) = match std::str::from_utf8(b) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(b), true),
    };
    let mut ser = serde_json::Serializer::with_formatter(w, TerminalSafe);
    ser.serialize_str(&s).map_err(io::Error::from)?;
    Ok(lossy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(b: &[u8]) -> String {
        let mut v = Vec::new();
        write_str(&mut v, b).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn escapes_and_lossy() {
        let mut v = Vec::new();
        let lossy = write_str(&mut v, b"a\"b\\c\nd\x1b\xff").unwrap();
        assert!(lossy);
        let s = String::from_utf8(v).unwrap();
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1b}\u{fffd}");
        assert_eq!(
            json("x\u{9b}y\u{85}\u{a0}".as_bytes()),
            "\"x\\u009by\\u0085\u{a0}\""
        );
    }

    #[test]
    fn every_control_is_escaped() {
        assert_eq!(
            json(b"\x08\x0c\x00\x1f\x7f/\t\r"),
            "\"\\u0008\\u000c\\u0000\\u001f\\u007f/\\t\\r\""
        );
        assert_eq!(
            json("\u{80}\u{9f}\u{c2}\u{100}".as_bytes()),
            "\"\\u0080\\u009f\u{c2}\u{100}\""
        );
        assert_eq!(json(b""), "\"\"");
    }
}
