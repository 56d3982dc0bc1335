//! The text of `FATAL_ERROR` and `EXCEPTION_THROWN`: an exception and its stack.
//!
//! ```text
//! exception = type ": " message { "\n" text } { "\n" frame }   ; frames: see `frame`
//! type      = ident { "." ident }                                ; System.DmlException
//! limit     = "System.LimitException: " ns ":" message          ; ns written by a package
//! ```

use super::frame::{Frame, frame};
use super::{Res, ident, run};
use nom::Parser;
use nom::bytes::complete::{tag, take_till};
use nom::character::complete::char;
use nom::combinator::{not, recognize, verify};
use nom::multi::many0;
use nom::sequence::{preceded, terminated};

/// An exception as its event writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception<'a> {
    /// The exception type, such as `System.LimitException` or `acme.PostingException`.
    pub type_name: &'a [u8],
    /// The message's first line.
    pub message: &'a [u8],
    /// Everything after the first line (further message lines, then the stack).
    pub rest: &'a [u8],
}

/// `ident { "." ident }`
fn type_name(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((ident, many0(preceded(char('.'), ident)))).parse(i)
}

impl<'a> Exception<'a> {
    /// Parse an exception's text (the event's text after its line field, if any).
    pub fn parse(text: &'a [u8]) -> Option<Exception<'a>> {
        let (rest, (type_name, message)) = (
            terminated(type_name, tag(&b": "[..])),
            take_till(|c| c == b'\n'),
        )
            .parse(text)
            .ok()?;
        Some(Exception {
            type_name,
            message: message.strip_suffix(b"\r").unwrap_or(message),
            rest: rest.strip_prefix(b"\n").unwrap_or(rest),
        })
    }

    /// The stack: every later line that is a frame.
    pub fn frames(&self) -> impl Iterator<Item = Frame<'a>> + 'a + use<'a> {
        self.rest
            .split(|&c| c == b'\n')
            .filter_map(|l| frame(l.strip_suffix(b"\r").unwrap_or(l)))
    }
}

/// The namespace of a package's limit exception (`System.LimitException: acme:Too many…`):
/// an identifier and a `:` right after it (`: ` would be the platform's own text).
pub fn limit_namespace(text: &[u8]) -> Option<&[u8]> {
    run(
        preceded(
            tag(&b"System.LimitException: "[..]),
            terminated(
                verify(take_till(|c| c == b':'), |ns: &[u8]| {
                    crate::namespace::is_ident(ns)
                }),
                (char(':'), not(char(' '))),
            ),
        ),
        text,
    )
}

#[cfg(test)]
mod tests {
    use super::super::frame::FrameKind;
    use super::*;

    #[test]
    fn exceptions() {
        let e = Exception::parse(b"System.DmlException: Insert failed: x\r\n\r\nClass.acme.Post.run: line 4, column 1\r\nTrigger.T: line 3, column 1\r\nAnonymousBlock: line 1, column 1").unwrap();
        assert_eq!(e.type_name, b"System.DmlException");
        assert_eq!(e.message, b"Insert failed: x");
        let frames: Vec<_> = e.frames().map(|f| (f.kind, f.path, f.line)).collect();
        assert_eq!(
            frames,
            vec![
                (FrameKind::Class, &b"acme.Post.run"[..], Some(4)),
                (FrameKind::Trigger, &b"T"[..], Some(3)),
                (FrameKind::Anonymous, &b""[..], Some(1)),
            ]
        );
        assert_eq!(
            Exception::parse(b"acme.PostingException: boom")
                .unwrap()
                .rest,
            b""
        );
        assert_eq!(Exception::parse(b"no exception here"), None);
        assert_eq!(Exception::parse(b"System.: x"), None);
    }

    #[test]
    fn limit_namespaces() {
        assert_eq!(
            limit_namespace(b"System.LimitException: acme:Too many SOQL queries: 101"),
            Some(&b"acme"[..])
        );
        assert_eq!(
            limit_namespace(b"System.LimitException: Too many SOQL queries: 101"),
            None
        );
        assert_eq!(
            limit_namespace(b"System.LimitException: acme:"),
            Some(&b"acme"[..])
        );
        assert_eq!(limit_namespace(b"System.LimitException: 9a:x"), None);
        assert_eq!(limit_namespace(b"System.DmlException: acme:x"), None);
    }
}
