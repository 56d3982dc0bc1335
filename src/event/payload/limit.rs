//! Limit lines and the `LIMIT_USAGE_FOR_NS` blocks that hold them:
//!
//! ```text
//! block = namespace "|" { "\n" line }          ; namespace: `(default)` or `acme`
//! line  = spaces label ": " number " out of " number [ tail ]
//! tail  = text containing "*"                  ; `******* CLOSE TO LIMIT`
//! ```

use super::{Res, number, run};
use nom::Parser;
use nom::bytes::complete::{tag, take_till, take_while};
use nom::character::complete::char;
use nom::combinator::rest;
use nom::sequence::terminated;

/// One line of a limits block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitLine<'a> {
    /// The label as written, such as `Number of SOQL queries`.
    pub label: &'a [u8],
    /// The usage so far.
    pub used: u64,
    /// The limit.
    pub max: u64,
    /// Salesforce marked the line `CLOSE TO LIMIT` (its tail has a `*`).
    pub close: bool,
}

fn limit_line(i: &[u8]) -> Res<'_, LimitLine<'_>> {
    let (i, _) = take_while(|c: u8| c.is_ascii_whitespace())(i)?;
    let (i, label) = terminated(take_till(|c| c == b':'), tag(&b": "[..])).parse(i)?;
    let (i, used) = number(i)?;
    let (i, _) = tag(&b" out of "[..])(i)?;
    let (i, max) = number(i)?;
    let (i, tail) = rest(i)?;
    let close = memchr::memchr(b'*', tail).is_some();
    Ok((
        i,
        LimitLine {
            label,
            used,
            max,
            close,
        },
    ))
}

/// Parse one limit line (with or without its `\r`).
pub fn line(l: &[u8]) -> Option<LimitLine<'_>> {
    let l = l.strip_suffix(b"\r").unwrap_or(l);
    run(limit_line, l)
}

/// A `LIMIT_USAGE_FOR_NS` event's body: the namespace line and the limit lines under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block<'a> {
    /// The namespace as written: `(default)` or a package's namespace.
    pub namespace: &'a [u8],
    /// The text after the namespace line (the limit lines).
    pub text: &'a [u8],
}

impl<'a> Block<'a> {
    /// Parse a block from the event body (`ns|` and its continuation lines).
    pub fn parse(body: &'a [u8]) -> Option<Block<'a>> {
        let (after, namespace) =
            take_till::<_, _, nom::error::Error<&[u8]>>(|c| c == b'|' || c == b'\n')(body).ok()?;
        let (after, _) = char::<_, nom::error::Error<&[u8]>>('|')(after).ok()?;
        let text = memchr::memchr(b'\n', after).map_or(&after[after.len()..], |n| &after[n + 1..]);
        Some(Block { namespace, text })
    }

    /// The limit lines, each with its index among the block's lines (the namespace line is
    /// 0, so the index is the line's offset from the event's first line). Lines that are not
    /// limit lines are skipped.
    pub fn lines(&self) -> impl Iterator<Item = (usize, LimitLine<'a>)> + 'a + use<'a> {
        self.text
            .split(|&c| c == b'\n')
            .enumerate()
            .filter_map(|(i, l)| line(l).map(|x| (i + 1, x)))
    }
}

/// The namespace right after a `|LIMIT_USAGE_FOR_NS|` needle in raw log text: an
/// identifier followed by `|` (`(default)` is no namespace).
pub fn namespace_after_needle(rest: &[u8]) -> Option<&[u8]> {
    run(terminated(super::ident, char('|')), rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_lines() {
        assert_eq!(
            line(b"  Number of SOQL queries: 1 out of 100 ******* CLOSE TO LIMIT\r"),
            Some(LimitLine {
                label: b"Number of SOQL queries",
                used: 1,
                max: 100,
                close: true
            })
        );
        let l = line(b"  Maximum CPU time: 1,053 out of 10,000").unwrap();
        assert_eq!(
            (l.label, l.used, l.max, l.close),
            (&b"Maximum CPU time"[..], 1053, 10_000, false)
        );
        assert_eq!(line(b"\tX: 0 out of 0").unwrap().label, b"X");
    }

    #[test]
    fn malformed_limit_lines() {
        for l in [
            &b""[..],
            b"   ",
            b"  Number of SOQL queries 1 out of 100",
            b"  Number of SOQL queries:  1 out of 100",
            b"  Number of SOQL queries: one out of 100",
            b"  Number of SOQL queries: 1 of 100",
            b"  Number of SOQL queries: 1 out of ",
            b"  Number of SOQL queries: , out of 1",
            b"  X: 99999999999999999999 out of 1",
        ] {
            assert_eq!(line(l), None, "{}", String::from_utf8_lossy(l));
        }
    }

    #[test]
    fn blocks() {
        let b = Block::parse(b"acme|\n  Number of SOQL queries: 2 out of 100\n  junk\n  Maximum heap size: 0 out of 6,000,000").unwrap();
        assert_eq!(b.namespace, b"acme");
        let got: Vec<_> = b.lines().map(|(i, l)| (i, l.label, l.used)).collect();
        assert_eq!(
            got,
            vec![
                (1, &b"Number of SOQL queries"[..], 2),
                (3, &b"Maximum heap size"[..], 0)
            ]
        );
        assert_eq!(Block::parse(b"(default)|").unwrap().lines().count(), 0);
        assert_eq!(Block::parse(b"no bar\n  X: 1 out of 2"), None);
        assert_eq!(namespace_after_needle(b"acme|\n"), Some(&b"acme"[..]));
        assert_eq!(namespace_after_needle(b"(default)|"), None);
        assert_eq!(namespace_after_needle(b"acme"), None);
    }
}
