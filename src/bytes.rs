//! Byte helpers: [`find_byte`] for the short distances of log lines (most are 40–100
//! bytes, where the setup cost of a SIMD memchr call dominates: it scans the first 64 bytes
//! 16 at a time with one SSE2 compare, or eight at a time with u64 arithmetic, and hands
//! longer distances to memchr), the framer's line ends ([`Newlines`], memchr's iterator
//! kept one answer ahead) and sizes on the command line ([`parse_size`]).

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Index of the first byte in `word` (little-endian) equal to `b`, if any.
#[inline(always)]
fn first_in_word(word: u64, b: u8) -> Option<usize> {
    let x = word ^ (LO * b as u64);
    // The exact zero-byte test (no false positives from borrows):
    let t = ((x & !HI).wrapping_add(!HI)) | x;
    let m = !t & HI;
    (m != 0).then(|| (m.trailing_zeros() / 8) as usize)
}

/// Position of the first `b` in `hay`.
#[inline(always)]
pub fn find_byte(b: u8, hay: &[u8]) -> Option<usize> {
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    while i + 16 <= hay.len() && i < 64 {
        let m = mask16(hay[i..i + 16].try_into().unwrap(), b);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += 16;
    }
    while i + 8 <= hay.len() && i < 64 {
        let w = u64::from_le_bytes(hay[i..i + 8].try_into().unwrap());
        if let Some(k) = first_in_word(w, b) {
            return Some(i + k);
        }
        i += 8;
    }
    if i < 64 {
        return hay[i..].iter().position(|&c| c == b).map(|k| i + k);
    }
    memchr::memchr(b, &hay[i..]).map(|k| i + k)
}

/// Bit `i` set when `chunk[i] == b`: one SSE2 compare (part of the x86_64 baseline).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn mask16(chunk: &[u8; 16], b: u8) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is always available on x86_64, and the unaligned load reads exactly the
    // 16 bytes of `chunk`.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr() as *const __m128i);
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))) as u32
    }
}

/// Successive `\n` positions in a buffer, for a caller that asks at non-decreasing
/// positions (the framer): memchr's iterator over the buffer, with its last answer kept
/// for the next question.
#[derive(Debug)]
pub struct Newlines<'a> {
    it: memchr::Memchr<'a>,
    /// Where the iterator's positions start in the buffer.
    base: usize,
    /// The last position the iterator gave, or `None` before the first.
    last: Option<usize>,
    done: bool,
}

impl<'a> Newlines<'a> {
    /// A cursor over `buf`, for questions at `start` or later.
    pub fn new(buf: &'a [u8], start: usize) -> Self {
        let start = start.min(buf.len());
        Newlines {
            it: memchr::memchr_iter(b'\n', &buf[start..]),
            base: start,
            last: None,
            done: false,
        }
    }

    /// Position of the first `\n` at or after `from`. `from` must not be below the `from`
    /// of an earlier call nor below the start given to [`new`](Self::new).
    #[inline]
    pub fn find(&mut self, from: usize) -> Option<usize> {
        loop {
            match self.last {
                Some(p) if p >= from => return Some(p),
                _ if self.done => return None,
                _ => match self.it.next() {
                    Some(k) => self.last = Some(self.base + k),
                    None => self.done = true,
                },
            }
        }
    }
}

/// Sizes on the command line (`--size`, `--max-inflate-size`).
/// Parse a size: `2GiB`, `64MiB`, `500K`, `10MB`, `4096`. Binary for `K`/`KiB`/…,
/// decimal for `KB`/`MB`/….
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num
        .parse()
        .map_err(|_| format!("invalid size `{s}` (expected e.g. 2GiB, 64MiB, 500K, 4096)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "invalid size unit in `{s}` (use B, KiB, MiB, GiB, TiB, KB, MB, GB)"
            ));
        }
    };
    Ok((num * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_memchr(hay in prop::collection::vec(prop::sample::select(vec![b'a', b'\n', b'|', 0, 0x80, 0xff, 0x0a ^ 0x80]), 0..300), b in prop::sample::select(vec![b'\n', b'|', 0u8, 0xff])) {
            prop_assert_eq!(find_byte(b, &hay), memchr::memchr(b, &hay));
        }
    }

    #[test]
    fn find_byte_edges() {
        assert_eq!(find_byte(b'\n', b""), None);
        assert_eq!(find_byte(b'\n', b"\n"), Some(0));
        assert_eq!(find_byte(b'|', b"abcdefgh|"), Some(8));
        let mut long = vec![b'x'; 500];
        long[333] = b'\n';
        assert_eq!(find_byte(b'\n', &long), Some(333));
    }

    proptest! {
        #[test]
        fn newlines_agree_with_memchr(hay in prop::collection::vec(prop::sample::select(vec![b'a', b'\n', b'\r', 0x8a]), 0..1200), start in 0usize..50, steps in prop::collection::vec(0usize..90, 1..40)) {
            let mut nl = Newlines::new(&hay, start);
            let mut from = start;
            for s in steps {
                let want = memchr::memchr(b'\n', hay.get(from..).unwrap_or(&[])).map(|k| from + k);
                prop_assert_eq!(nl.find(from), want);
                from = match want { Some(p) => p + s % 3, None => from + s };
            }
        }
    }

    #[test]
    fn newlines_on_long_lines() {
        let mut hay = vec![b'x'; 5000];
        hay[4097] = b'\n';
        hay[4098] = b'\n';
        let mut nl = Newlines::new(&hay, 0);
        assert_eq!(nl.find(0), Some(4097));
        assert_eq!(nl.find(4098), Some(4098));
        assert_eq!(nl.find(4099), None);
        assert_eq!(Newlines::new(b"", 3).find(3), None);
    }
}
