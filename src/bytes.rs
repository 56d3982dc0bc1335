//! Byte helpers: the framer's line ends ([`Newlines`], memchr's iterator kept one answer
//! ahead) and sizes on the command line ([`parse_size`]).

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
