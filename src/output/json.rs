//! JSON strings for the NDJSON hot paths, from raw log bytes.

use std::io::{self, Write};

/// Write `b` as a JSON string. Invalid UTF-8 sequences become U+FFFD, so the output is
/// always valid JSON; `lossy` tells whether that happened. serde_json escapes the text;
/// C0 controls are written as `\uXXXX` except `\n`, `\r` and `\t`, and DEL and the C1
/// controls (U+0080–U+009F), which JSON allows raw, are escaped too, so JSON printed on a
/// terminal cannot drive it (see `output::terminal`).
pub fn write_str<W: Write>(w: &mut W, b: &[u8]) -> io::Result<bool> {
    let (s, lossy) = match std::str::from_utf8(b) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(b), true),
    };
    let bytes = s.as_bytes();
    w.write_all(b"\"")?;
    let mut start = 0;
    // DEL is one byte; a C1 control is `C2 80`–`C2 9F`.
    for i in memchr::memchr2_iter(0x7f, 0xc2, bytes) {
        let c = match bytes[i] {
            0x7f => 0x7f,
            _ => match bytes.get(i + 1) {
                Some(&d @ 0x80..=0x9f) => d,
                _ => continue,
            },
        };
        fragment(w, &s[start..i])?;
        write!(w, "\\u{c:04x}")?;
        start = i + if c == 0x7f { 1 } else { 2 };
    }
    fragment(w, &s[start..])?;
    w.write_all(b"\"")?;
    Ok(lossy)
}

/// serde_json's escaping of `s`, without the quotes.
fn fragment<W: Write>(w: &mut W, s: &str) -> io::Result<()> {
    if s.is_empty() {
        return Ok(());
    }
    let mut ser = serde_json::Serializer::with_formatter(w, Escapes);
    serde::Serializer::serialize_str(&mut ser, s).map_err(io::Error::from)
}

/// serde_json's compact format, with strings written without their quotes (the caller
/// writes them around the fragments) and `\b`, `\f` as `\u0008`, `\u000c`.
struct Escapes;

impl serde_json::ser::Formatter for Escapes {
    fn begin_string<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn end_string<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        use serde_json::ser::CharEscape::*;
        match escape {
            Backspace => w.write_all(b"\\u0008"),
            FormFeed => w.write_all(b"\\u000c"),
            other => serde_json::ser::Formatter::write_char_escape(
                &mut serde_json::ser::CompactFormatter,
                w,
                other,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaping spelled out byte by byte: the oracle for [`write_str`].
    fn reference(b: &[u8]) -> Vec<u8> {
        let s = String::from_utf8_lossy(b);
        let bytes = s.as_bytes();
        let mut out = b"\"".to_vec();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
                0xc2 if bytes.get(i + 1).is_some_and(|d| (0x80..=0x9f).contains(d)) => {
                    out.extend_from_slice(format!("\\u{:04x}", bytes[i + 1]).as_bytes());
                    i += 1;
                }
                _ => out.push(c),
            }
            i += 1;
        }
        out.push(b'"');
        out
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_reference(b in proptest::collection::vec(proptest::sample::select(vec![b'a', b'"', b'\\', b'\n', 8, 12, 0, 0x1f, 0x7f, 0xc2, 0x85, 0x9f, 0xa0, 0xe2, 0xff]), 0..40)) {
            let mut v = Vec::new();
            let lossy = write_str(&mut v, &b).unwrap();
            proptest::prop_assert_eq!(lossy, std::str::from_utf8(&b).is_err());
            proptest::prop_assert_eq!(v, reference(&b));
        }
    }

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
        let mut v = Vec::new();
        write_str(&mut v, "\u{8}\u{c}\u{7f}\u{1}/\t\u{c2}".as_bytes()).unwrap();
        assert_eq!(v, "\"\\u0008\\u000c\\u007f\\u0001/\\t\u{c2}\"".as_bytes());
    }
}
