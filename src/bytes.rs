//! Byte search tuned for log lines. Most lines are 40–100 bytes, where the setup cost of a
//! SIMD memchr call dominates: [`find_byte`] scans the first 64 bytes eight at a time with
//! plain u64 arithmetic (SWAR) and hands longer distances to memchr, and [`Newlines`] finds
//! successive line ends from one 64-bit mask per 64-byte block (a few instructions per line).

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

/// Bit `i` set when `block[i] == b`.
#[inline(always)]
fn mask64(block: &[u8; 64], b: u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let part = |k: usize| {
            let chunk: &[u8; 16] = block[16 * k..16 * k + 16].try_into().unwrap();
            (mask16(chunk, b) as u64) << (16 * k)
        };
        part(0) | part(1) | part(2) | part(3)
    }
    #[cfg(not(target_arch = "x86_64"))]
    mask64_swar(block, b)
}

/// [`mask64`] in portable u64 arithmetic.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn mask64_swar(block: &[u8; 64], b: u8) -> u64 {
    let mut m = 0u64;
    for k in 0..8 {
        let w = u64::from_le_bytes(block[8 * k..8 * k + 8].try_into().unwrap());
        let x = w ^ (LO * b as u64);
        let t = ((x & !HI).wrapping_add(!HI)) | x;
        let hi = !t & HI;
        // Gather the eight high bits into one byte.
        m |= ((hi >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    m
}

/// The newline mask of the last, short block of a buffer (once per buffer: kept out of line).
#[cold]
#[inline(never)]
fn tail_mask(tail: &[u8]) -> u64 {
    let mut m = 0u64;
    for (i, &c) in tail.iter().enumerate().take(64) {
        m |= ((c == b'\n') as u64) << i;
    }
    m
}

/// Successive `\n` positions in a buffer, for a caller that asks at increasing positions.
/// Keeps the newline mask of the current 64-byte block, so finding the end of a typical line
/// costs a bit scan, not a search; after four blocks without a newline it hands the rest of
/// a long line to memchr.
#[derive(Debug)]
pub struct Newlines<'a> {
    buf: &'a [u8],
    /// Start of the block `mask` describes (a multiple of 64), or `usize::MAX` for none.
    block: usize,
    mask: u64,
}

impl<'a> Newlines<'a> {
    /// A cursor over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Newlines {
            buf,
            block: usize::MAX,
            mask: 0,
        }
    }

    #[inline(always)]
    fn load(&mut self, block: usize) {
        self.block = block;
        self.mask = match self.buf.get(block..block + 64) {
            Some(b) => mask64(b.try_into().unwrap(), b'\n'),
            None => tail_mask(&self.buf[block..]),
        };
    }

    /// Position of the first `\n` at or after `from`. Calls must not go backwards by more
    /// than one block (the framer always asks at or after its last answer).
    #[inline(always)]
    pub fn find(&mut self, from: usize) -> Option<usize> {
        if from >= self.buf.len() {
            return None;
        }
        let block = from & !63;
        if block != self.block {
            self.load(block);
        }
        let mut mask = self.mask & (!0u64 << (from - block));
        let mut empty = 0;
        loop {
            if mask != 0 {
                return Some(self.block + mask.trailing_zeros() as usize);
            }
            let next = self.block + 64;
            if next >= self.buf.len() {
                return None;
            }
            empty += 1;
            if empty == 4 {
                // A long line: let memchr's wide loop take it.
                let at = memchr::memchr(b'\n', &self.buf[next..])? + next;
                self.load(at & !63);
                return Some(at);
            }
            self.load(next);
            mask = self.mask;
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
            ))
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

    proptest! {
        #[test]
        fn newlines_agree_with_memchr(hay in prop::collection::vec(prop::sample::select(vec![b'a', b'\n', b'\r', 0x8a]), 0..1200), steps in prop::collection::vec(0usize..90, 1..40)) {
            let mut nl = Newlines::new(&hay);
            let mut from = 0;
            for s in steps {
                let want = memchr::memchr(b'\n', hay.get(from..).unwrap_or(&[])).map(|k| from + k);
                prop_assert_eq!(nl.find(from), want);
                from = match want { Some(p) => p + 1 + s % 3, None => from + s };
            }
        }
    }

    proptest! {
        #[test]
        fn block_masks_agree(block in prop::collection::vec(prop::sample::select(vec![b'a', b'\n', 0x8a, 0x0b, 0xff]), 64..=64)) {
            let block: &[u8; 64] = block.as_slice().try_into().unwrap();
            let want = block.iter().enumerate().fold(0u64, |m, (i, &c)| m | ((c == b'\n') as u64) << i);
            prop_assert_eq!(mask64(block, b'\n'), want);
            prop_assert_eq!(mask64_swar(block, b'\n'), want);
        }
    }

    #[test]
    fn newlines_on_long_lines() {
        let mut hay = vec![b'x'; 5000];
        hay[4097] = b'\n';
        hay[4098] = b'\n';
        let mut nl = Newlines::new(&hay);
        assert_eq!(nl.find(0), Some(4097));
        assert_eq!(nl.find(4098), Some(4098));
        assert_eq!(nl.find(4099), None);
    }

    #[test]
    fn edges() {
        assert_eq!(find_byte(b'\n', b""), None);
        assert_eq!(find_byte(b'\n', b"\n"), Some(0));
        assert_eq!(find_byte(b'|', b"abcdefgh|"), Some(8));
        let mut long = vec![b'x'; 500];
        long[333] = b'\n';
        assert_eq!(find_byte(b'\n', &long), Some(333));
    }
}
