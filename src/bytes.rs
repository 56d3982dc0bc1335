//! Byte search tuned for log lines. Most lines are 40–100 bytes, where the setup cost of a
//! SIMD memchr call dominates; [`find_byte`] scans the first 64 bytes eight at a time with
//! plain u64 arithmetic (SWAR) and hands longer distances to memchr.

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
