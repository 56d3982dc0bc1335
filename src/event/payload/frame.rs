//! Stack frames, as `FATAL_ERROR` and `EXCEPTION_THROWN` stacks, `caused by:` text and
//! `CUMULATIVE_PROFILING` locations write them:
//!
//! ```text
//! frame    = ( "Class." path | "Trigger." path | "AnonymousBlock" ) [ location ]
//! path     = ident { ident | "." | "$" | "<" | ">" }   ; ns.Class.Inner.method, ns.T
//! location = ": line " DIGITS [ ", column " DIGITS ]
//! ```
//!
//! In `Class.ns.X.y` the first segment is a namespace only when the log says so (a class
//! `X.y` has two segments, `ns.X.y` three): [`Frame::first_segment`] gives the candidate.

use super::{Res, is_ident_byte};
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize, value};
use nom::sequence::{pair, preceded};

/// What a frame is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// `Class.…`
    Class,
    /// `Trigger.…`
    Trigger,
    /// `AnonymousBlock` (no path).
    Anonymous,
}

/// One stack frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Class, trigger or anonymous block.
    pub kind: FrameKind,
    /// The dotted path after `Class.` or `Trigger.` (empty for an anonymous block).
    pub path: &'a [u8],
    /// The line, when the frame states one (saturating at `u64::MAX`).
    pub line: Option<u64>,
    /// The column, when the frame states one after its line.
    pub column: Option<u64>,
}

impl<'a> Frame<'a> {
    /// The path's first segment and whether more segments follow it (`ns` of `ns.X.y`).
    pub fn first_segment(&self) -> (&'a [u8], bool) {
        match memchr::memchr(b'.', self.path) {
            Some(d) => (&self.path[..d], true),
            None => (self.path, false),
        }
    }
}

fn digits_value(d: &[u8]) -> u64 {
    d.iter().fold(0u64, |a, &c| {
        a.saturating_mul(10).saturating_add(u64::from(c - b'0'))
    })
}

/// `: line N[, column M]`
fn location(i: &[u8]) -> Res<'_, (u64, Option<u64>)> {
    let (i, line) = preceded(tag(&b": line "[..]), digit1).parse(i)?;
    let (i, column) = opt(preceded(tag(&b", column "[..]), digit1)).parse(i)?;
    Ok((i, (digits_value(line), column.map(digits_value))))
}

fn is_path_byte(c: u8) -> bool {
    is_ident_byte(c) || matches!(c, b'.' | b'$' | b'<' | b'>')
}

/// `ident {path byte}`
fn path(i: &[u8]) -> Res<'_, &[u8]> {
    recognize(pair(take_while1(is_ident_byte), take_while(is_path_byte))).parse(i)
}

/// `ns "." {path byte}`: a path whose first segment is followed by a dot.
fn dotted_path(i: &[u8]) -> Res<'_, (&[u8], &[u8])> {
    let (after, (ns, _, _)) = (
        take_while1(is_ident_byte),
        char('.'),
        take_while(is_path_byte),
    )
        .parse(i)?;
    Ok((after, (ns, &i[..i.len() - after.len()])))
}

fn with_location<'a>(i: &'a [u8], kind: FrameKind, path: &'a [u8]) -> Res<'a, Frame<'a>> {
    let (i, loc) = opt(location).parse(i)?;
    Ok((
        i,
        Frame {
            kind,
            path,
            line: loc.map(|l| l.0),
            column: loc.and_then(|l| l.1),
        },
    ))
}

/// The frame grammar as a nom parser (the rest of the input follows the frame).
pub fn frame_parser(i: &[u8]) -> Res<'_, Frame<'_>> {
    let (i, (kind, path)) = alt((
        pair(value(FrameKind::Class, tag(&b"Class."[..])), path),
        pair(value(FrameKind::Trigger, tag(&b"Trigger."[..])), path),
        pair(
            value(FrameKind::Anonymous, tag(&b"AnonymousBlock"[..])),
            nom::combinator::success(&b""[..]),
        ),
    ))
    .parse(i)?;
    with_location(i, kind, path)
}

/// The frame at the start of `text`, if it starts with one.
pub fn frame(text: &[u8]) -> Option<Frame<'_>> {
    frame_parser(text).ok().map(|(_, f)| f)
}

/// A frame whose path has a first segment followed by a dot (`Class.ns.X.y`,
/// `Trigger.ns.T`): the frame, that first segment, and the frame's length in `text`.
pub fn namespaced(text: &[u8]) -> Option<(Frame<'_>, &[u8], usize)> {
    let (i, kind) = alt((
        value(
            FrameKind::Class,
            tag::<_, _, nom::error::Error<&[u8]>>(&b"Class."[..]),
        ),
        value(FrameKind::Trigger, tag(&b"Trigger."[..])),
    ))
    .parse(text)
    .ok()?;
    let (i, (ns, path)) = dotted_path(i).ok()?;
    let (after, f) = with_location(i, kind, path).ok()?;
    Some((f, ns, text.len() - after.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        let f = frame(b"Class.ns.X.y: line 88, column 1\n").unwrap();
        assert_eq!(
            f,
            Frame {
                kind: FrameKind::Class,
                path: b"ns.X.y",
                line: Some(88),
                column: Some(1)
            }
        );
        assert_eq!(f.first_segment(), (&b"ns"[..], true));
        let t = frame(b"Trigger.ns.T: line 3, column 1").unwrap();
        assert_eq!(
            (t.kind, t.path, t.line),
            (FrameKind::Trigger, &b"ns.T"[..], Some(3))
        );
        let a = frame(b"AnonymousBlock: line 1, column 1").unwrap();
        assert_eq!(
            (a.kind, a.path, a.line, a.column),
            (FrameKind::Anonymous, &b""[..], Some(1), Some(1))
        );
        let inner = frame(b"Class.Outer.Inner$1.<init>: line 5").unwrap();
        assert_eq!(
            (inner.path, inner.line, inner.column),
            (&b"Outer.Inner$1.<init>"[..], Some(5), None)
        );
    }

    #[test]
    fn malformed_frames() {
        assert_eq!(frame(b"Class."), None);
        assert_eq!(frame(b"class.X.y: line 1"), None);
        assert_eq!(frame(b"Foo.X.y"), None);
        // A location without digits is not the frame's.
        let f = frame(b"Class.X.y: line x").unwrap();
        assert_eq!((f.path, f.line), (&b"X.y"[..], None));
        assert_eq!(
            frame(b"Class.X.y: line 99999999999999999999999")
                .unwrap()
                .line,
            Some(u64::MAX)
        );
    }

    #[test]
    fn namespaced_frames() {
        let text = b"Class.E2CP.ThreadMatcher.findParent: line 88, column 1: tail";
        let (f, ns, len) = namespaced(text).unwrap();
        assert_eq!(ns, b"E2CP");
        assert_eq!(f.path, b"E2CP.ThreadMatcher.findParent");
        assert_eq!(
            &text[..len],
            b"Class.E2CP.ThreadMatcher.findParent: line 88, column 1"
        );
        assert_eq!(namespaced(b"Class.Solo: line 1"), None);
        assert_eq!(namespaced(b"Trigger.T: line 1"), None);
        let (_, ns, len) = namespaced(b"Trigger.ns.T").unwrap();
        assert_eq!((ns, len), (&b"ns"[..], 12));
    }
}
