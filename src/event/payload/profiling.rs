//! A line of a `CUMULATIVE_PROFILING` section:
//!
//! ```text
//! line     = location ": " what ": executed " number " time" [ "s" ] " in " number " ms"
//! location = frame | "External entry point"          ; see `frame`
//! ```
//!
//! e.g. `Class.X.y: line 76, column 1: [SELECT Id FROM Account]: executed 4 times in 258 ms`,
//! `AnonymousBlock: line 11, column 1: Insert: List<Account>: executed 1 time in 49 ms`,
//! `External entry point: public static void run(): executed 1 time in 97 ms`. `what` (a
//! query, a DML operation, a method signature) may itself hold `: `, so the figures are
//! read from the line's last `: executed `.

use super::frame::{Frame, frame_parser};
use super::{Res, number, run};
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::combinator::{all_consuming, map, opt};
use nom::sequence::{delimited, preceded, terminated};

/// Where a profiled operation ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location<'a> {
    /// A stack frame.
    Frame(Frame<'a>),
    /// `External entry point` (the transaction's entry).
    EntryPoint,
}

/// One profiling line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// Where it ran.
    pub location: Location<'a>,
    /// The query, DML operation or method signature, as written.
    pub what: &'a [u8],
    /// How many times.
    pub count: u64,
    /// Total milliseconds.
    pub ms: u64,
}

const EXECUTED: &[u8] = b": executed ";

/// `N time[s] in M ms`
fn figures(i: &[u8]) -> Res<'_, (u64, u64)> {
    all_consuming((
        terminated(number, (tag(&b" time"[..]), opt(tag(&b"s"[..])))),
        delimited(tag(&b" in "[..]), number, tag(&b" ms"[..])),
    ))
    .parse(i)
}

/// `location ": "`
fn location(i: &[u8]) -> Res<'_, Location<'_>> {
    terminated(
        alt((
            map(tag(&b"External entry point"[..]), |_| Location::EntryPoint),
            map(frame_parser, Location::Frame),
        )),
        tag(&b": "[..]),
    )
    .parse(i)
}

impl<'a> Line<'a> {
    /// Parse one line (with or without its `\r`).
    pub fn parse(l: &'a [u8]) -> Option<Line<'a>> {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        let at = memchr::memmem::rfind(l, EXECUTED)?;
        let (count, ms) = run(preceded(tag(EXECUTED), figures), &l[at..])?;
        let (what, location) = location(&l[..at]).ok()?;
        Some(Line {
            location,
            what,
            count,
            ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::frame::FrameKind;
    use super::*;

    #[test]
    fn lines() {
        let l = Line::parse(b"Class.fflib.Dom.run: line 76, column 1: [SELECT Id FROM Account]: executed 4 times in 258 ms").unwrap();
        let Location::Frame(f) = l.location else {
            panic!("a frame")
        };
        assert_eq!(
            (f.kind, f.path, f.line),
            (FrameKind::Class, &b"fflib.Dom.run"[..], Some(76))
        );
        assert_eq!(
            (l.what, l.count, l.ms),
            (&b"[SELECT Id FROM Account]"[..], 4, 258)
        );
        let l = Line::parse(
            b"AnonymousBlock: line 11, column 1: Insert: List<Account>: executed 1 time in 49 ms\r",
        )
        .unwrap();
        assert_eq!(
            (l.what, l.count, l.ms),
            (&b"Insert: List<Account>"[..], 1, 49)
        );
        let l = Line::parse(
            b"External entry point: public static void run(): executed 1 time in 97 ms",
        )
        .unwrap();
        assert_eq!(
            (l.location, l.what),
            (Location::EntryPoint, &b"public static void run()"[..])
        );
    }

    #[test]
    fn not_lines() {
        assert_eq!(Line::parse(b"SOQL operations|"), None);
        assert_eq!(
            Line::parse(b"Class.X.y: line 1, column 1: m(): executed 1 time in ms"),
            None
        );
        assert_eq!(
            Line::parse(b"Somewhere: m(): executed 1 time in 2 ms"),
            None
        );
        assert_eq!(Line::parse(b": executed 1 time in 2 ms"), None);
    }
}
