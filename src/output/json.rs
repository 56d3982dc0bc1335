//! Minimal, fast JSON writing for the NDJSON hot paths (serde_json serves the rest).

use std::io::{self, Write};

/// Write `b` as a JSON string. Invalid UTF-8 sequences become U+FFFD, so the output is
/// always valid JSON; `lossy` tells whether that happened. C0 and C1 controls and DEL are
/// written as `\uXXXX` escapes.
pub fn write_str<W: Write>(w: &mut W, b: &[u8]) -> io::Result<bool> {
    let (s, lossy) = match std::str::from_utf8(b) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(b), true),
    };
    w.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => {
                w.write_all(&bytes[start..i])?;
                write!(w, "\\u{:04x}", c)?;
                start = i + 1;
                continue;
            }
            // C1 controls (U+0080–U+009F, `C2 80`–`C2 9F`) too, so JSON printed on a
            // terminal cannot drive it (see `output::terminal`); the next byte is skipped.
            0xc2 if bytes.get(i + 1).is_some_and(|d| (0x80..=0x9f).contains(d)) => {
                w.write_all(&bytes[start..i])?;
                write!(w, "\\u{:04x}", bytes[i + 1])?;
                start = i + 2;
                continue;
            }
            _ => continue,
        };
        w.write_all(&bytes[start..i])?;
        w.write_all(esc)?;
        start = i + 1;
    }
    w.write_all(&bytes[start..])?;
    w.write_all(b"\"")?;
    Ok(lossy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_lossy() {
        let mut v = Vec::new();
        let lossy = write_str(&mut v, b"a\"b\\c\nd\x1b\xff").unwrap();
        assert!(lossy);
        let s = String::from_utf8(v).unwrap();
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1b}\u{fffd}");
        let mut v = Vec::new();
        write_str(&mut v, "x\u{9b}y\u{85}\u{a0}".as_bytes()).unwrap();
        assert_eq!(v, "\"x\\u009by\\u0085\u{a0}\"".as_bytes());
    }
}
