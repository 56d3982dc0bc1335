//! Encoding detection and UTF-16 → UTF-8 transcoding (encoding_rs). UTF-8 input, valid or
//! not, is never touched: the parser works on bytes.

use encoding_rs::{UTF_16BE, UTF_16LE};
use std::io::{self, Read};

/// The encoding found at the start of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Not yet known (a stream before its first bytes).
    Unknown,
    /// UTF-8 (or anything that is not UTF-16), no BOM.
    Utf8,
    /// UTF-8 with a BOM (`EF BB BF`); the BOM is kept as a record.
    Utf8Bom,
    /// UTF-16LE with a BOM (`FF FE`), or without one when the text plainly is UTF-16LE.
    Utf16Le,
    /// UTF-16BE with a BOM (`FE FF`).
    Utf16Be,
}

impl Encoding {
    /// True for UTF-16 of either byte order.
    pub fn is_utf16(self) -> bool {
        matches!(self, Encoding::Utf16Le | Encoding::Utf16Be)
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Unknown => "unknown",
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }
}

/// Sniff the encoding from the first bytes.
pub fn sniff(b: &[u8]) -> Encoding {
    match b {
        [0xEF, 0xBB, 0xBF, ..] => Encoding::Utf8Bom,
        [0xFF, 0xFE, ..] => Encoding::Utf16Le,
        [0xFE, 0xFF, ..] => Encoding::Utf16Be,
        // A log starts with a digit (header or timestamp); UTF-16LE without BOM shows as digit, NUL.
        [d1, 0, d2, 0, ..] if d1.is_ascii_digit() && d2.is_ascii_digit() => Encoding::Utf16Le,
        _ => Encoding::Utf8,
    }
}

/// Transcode a whole UTF-16 buffer (BOM dropped) to UTF-8. A truncated last code unit or
/// an unpaired surrogate becomes U+FFFD; nothing panics.
pub fn utf16_to_utf8(b: &[u8], enc: Encoding) -> Vec<u8> {
    let (codec, body) = match enc {
        Encoding::Utf16Be => (UTF_16BE, b.strip_prefix(&[0xFE, 0xFF]).unwrap_or(b)),
        _ => (UTF_16LE, b.strip_prefix(&[0xFF, 0xFE]).unwrap_or(b)),
    };
    let (text, _) = codec.decode_without_bom_handling(body);
    text.into_owned().into_bytes()
}

/// A reader that sniffs its inner stream and transcodes UTF-16 to UTF-8 on the fly.
/// UTF-8 passes through unchanged.
pub struct DecodingReader<R> {
    inner: R,
    state: State,
    raw: Vec<u8>,
    raw_pos: usize,
    raw_eof: bool,
    encoding: Encoding,
}

enum State {
    Sniffing,
    Pass,
    Utf16(encoding_rs::Decoder),
    Done,
}

impl<R: Read> DecodingReader<R> {
    /// Wrap `inner`.
    pub fn new(inner: R) -> Self {
        DecodingReader {
            inner,
            state: State::Sniffing,
            raw: Vec::new(),
            raw_pos: 0,
            raw_eof: false,
            encoding: Encoding::Unknown,
        }
    }

    /// The encoding detected (after the first read).
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    fn fill_raw(&mut self, want: usize) -> io::Result<()> {
        if self.raw_pos > 0 && self.raw_pos == self.raw.len() {
            self.raw.clear();
            self.raw_pos = 0;
        }
        let start = self.raw.len();
        self.raw.resize(start + want, 0);
        let n = loop {
            match self.inner.read(&mut self.raw[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.raw.truncate(start);
                    return Err(e);
                }
            }
        };
        self.raw.truncate(start + n);
        if n == 0 {
            self.raw_eof = true;
        }
        Ok(())
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match &mut self.state {
                State::Sniffing => {
                    while self.raw.len() - self.raw_pos < 4 && !self.raw_eof {
                        self.fill_raw(4096)?;
                    }
                    let enc = sniff(&self.raw[self.raw_pos..]);
                    self.encoding = enc;
                    self.state = match enc {
                        Encoding::Utf16Le => {
                            if self.raw[self.raw_pos..].starts_with(&[0xFF, 0xFE]) {
                                self.raw_pos += 2;
                            }
                            State::Utf16(UTF_16LE.new_decoder_without_bom_handling())
                        }
                        Encoding::Utf16Be => {
                            self.raw_pos += 2;
                            State::Utf16(UTF_16BE.new_decoder_without_bom_handling())
                        }
                        _ => State::Pass,
                    };
                }
                State::Done => return Ok(0),
                State::Pass => {
                    if self.raw_pos < self.raw.len() {
                        let n = out.len().min(self.raw.len() - self.raw_pos);
                        out[..n].copy_from_slice(&self.raw[self.raw_pos..self.raw_pos + n]);
                        self.raw_pos += n;
                        return Ok(n);
                    }
                    return self.inner.read(out);
                }
                State::Utf16(_) => {
                    if out.len() < 4 {
                        // encoding_rs needs room for one whole character.
                        let mut tmp = [0u8; 4];
                        let n = self.read(&mut tmp)?;
                        let k = n.min(out.len());
                        out[..k].copy_from_slice(&tmp[..k]);
                        return Ok(k);
                    }
                    if self.raw_pos == self.raw.len() && !self.raw_eof {
                        self.fill_raw(64 * 1024)?;
                    }
                    let last = self.raw_eof && self.raw_pos == self.raw.len();
                    let State::Utf16(dec) = &mut self.state else {
                        unreachable!()
                    };
                    let (res, read, written, _) =
                        dec.decode_to_utf8(&self.raw[self.raw_pos..], out, self.raw_eof);
                    self.raw_pos += read;
                    if self.raw_eof
                        && self.raw_pos == self.raw.len()
                        && res == encoding_rs::CoderResult::InputEmpty
                    {
                        // The decoder has flushed its last character: never call it again.
                        self.state = State::Done;
                    }
                    if written > 0 || last {
                        return Ok(written);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\xEF\xBB\xBF61.0"), Encoding::Utf8Bom);
        assert_eq!(sniff(b"\xFF\xFE6\x00"), Encoding::Utf16Le);
        assert_eq!(sniff(b"\xFE\xFF\x006"), Encoding::Utf16Be);
        assert_eq!(sniff(b"6\x001\x00"), Encoding::Utf16Le);
        assert_eq!(sniff(b"61.0 APEX"), Encoding::Utf8);
        assert_eq!(sniff(b""), Encoding::Utf8);
    }

    #[test]
    fn whole_and_streamed_utf16_agree() {
        let text = "61.0 APEX_CODE,FINEST\r\n12:00:00.1 (1)|USER_DEBUG|[1]|DEBUG|héllo €\r\n";
        let b = utf16le(text);
        assert_eq!(utf16_to_utf8(&b, Encoding::Utf16Le), text.as_bytes());
        let mut r = DecodingReader::new(io::Cursor::new(b.clone()));
        let mut out = Vec::new();
        let mut chunk = [0u8; 7];
        loop {
            let n = r.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(out, text.as_bytes());
        assert_eq!(r.encoding(), Encoding::Utf16Le);
    }

    #[test]
    fn truncated_utf16_does_not_panic() {
        let mut b = utf16le("61.0 X,Y\n");
        b.push(0x41); // odd trailing byte
        let s = utf16_to_utf8(&b, Encoding::Utf16Le);
        assert!(s.ends_with("\u{FFFD}".as_bytes()));
        let mut r = DecodingReader::new(io::Cursor::new(b));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert!(out.ends_with("\u{FFFD}".as_bytes()));
    }

    #[test]
    fn utf8_passes_untouched() {
        let b = b"61.0 X,Y\n\xff\xfe bad utf8\n".to_vec();
        let mut r = DecodingReader::new(io::Cursor::new(b.clone()));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b);
    }
}
