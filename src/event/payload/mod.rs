//! The grammars inside event payloads, one small nom parser per file, each returning a
//! typed result (or `None` for text that does not have the shape; never a panic):
//!
//! | file | grammar | example |
//! |---|---|---|
//! | [`limit`] | a limit line, a `LIMIT_USAGE_FOR_NS` block | `  Number of SOQL queries: 1 out of 100 ******* CLOSE TO LIMIT` |
//! | [`exception`] | an exception and its stack, a package's limit exception | `System.LimitException: ns:Too many SOQL queries: 101` |
//! | [`frame`] | a stack frame | `Class.ns.X.y: line 8, column 1`, `AnonymousBlock: line 1, column 1` |
//! | [`dml`] | DML fields, `Rows:N` | `Op:Insert\|Type:Case\|Rows:1` |
//! | [`heap`] | heap events' `Bytes:N` | `[31]\|Bytes:24` |
//! | [`explain`] | a `SOQL_EXECUTE_EXPLAIN` plan | `Index on Case : [Id], cardinality: 1, sobjectCardinality: 9, relativeCost 0` |
//! | [`type_ref`] | typeRefs and `apex://` names | `__sfdc_trigger/ns/T`, `apex://ns.Ctl/ACTION$m`, `/apex/ns__Page` |
//! | [`user_info`] | `USER_INFO` | `[EXTERNAL]\|005…\|user@example.com\|(GMT+00:00) …\|GMTZ` |
//! | [`profiling`] | a `CUMULATIVE_PROFILING` line | `Class.X.y: line 3, column 1: [SELECT …]: executed 4 times in 12 ms` |
//!
//! The header's grammar is in [`crate::header`], the flow and `LIMIT_USAGE` usage lines in
//! [`super::usage`], the event head in [`super::parse`].

pub mod dml;
pub mod exception;
pub mod explain;
pub mod frame;
pub mod heap;
pub mod limit;
pub mod profiling;
pub mod type_ref;
pub mod user_info;

use super::parse::parse_u64_commas;
use nom::bytes::complete::{take_till, take_while_m_n, take_while1};
use nom::character::complete::char;
use nom::combinator::{map_opt, recognize, verify};
use nom::{IResult, Parser};

/// nom's result on byte input.
pub(crate) type Res<'a, T> = IResult<&'a [u8], T>;

/// Run `p` on `i` and keep its value, dropping nom's error.
pub(crate) fn run<'a, T>(
    mut p: impl Parser<&'a [u8], Output = T, Error = nom::error::Error<&'a [u8]>>,
    i: &'a [u8],
) -> Option<T> {
    p.parse(i).ok().map(|(_, v)| v)
}

/// A count as Salesforce writes it: digits with optional `,` thousands separators
/// (`1,053`). Fails on overflow and on commas without a digit.
pub(crate) fn number(i: &[u8]) -> Res<'_, u64> {
    map_opt(
        take_while1(|c: u8| c.is_ascii_digit() || c == b','),
        parse_u64_commas,
    )
    .parse(i)
}

/// An event's line field and its `|`: `[41]|`, `[EXTERNAL]|`.
pub(crate) fn line_field(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((char('['), take_till(|c| c == b'|'), char('|'))).parse(i)
}

/// `[A-Za-z0-9_]`
pub(crate) fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// An identifier, `[A-Za-z][A-Za-z0-9_]*`, of at most 64 bytes (a namespace, a class).
pub(crate) fn ident(i: &[u8]) -> Res<'_, &[u8]> {
    verify(take_while_m_n(1, 64, is_ident_byte), |s: &[u8]| {
        s[0].is_ascii_alphabetic()
    })
    .parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers() {
        assert_eq!(run(number, b"1,053 out"), Some(1053));
        assert_eq!(run(number, b",,"), None);
        assert_eq!(run(number, b"99999999999999999999999"), None);
        assert_eq!(run(ident, b"acme__x."), Some(&b"acme__x"[..]));
        assert_eq!(run(ident, b"9lives"), None);
    }

    proptest! {
        /// Every grammar returns a result or `None` on arbitrary bytes, and never panics.
        #[test]
        fn arbitrary_bytes_do_not_panic(b in prop::collection::vec(prop::sample::select(b"0123456789 ,.:|[]()$<>/_*-\r\nabcxyzABCXYZ\xc3\xff".to_vec()), 0..120)) {
            let _ = limit::line(&b);
            let _ = limit::Block::parse(&b).map(|k| k.lines().count());
            let _ = frame::frame(&b);
            let _ = exception::Exception::parse(&b).map(|e| e.frames().count());
            let _ = exception::limit_namespace(&b);
            let _ = frame::namespaced(&b);
            let _ = dml::Dml::parse(&b);
            let _ = dml::rows(&b);
            let _ = dml::name(&b);
            let _ = heap::bytes(&b);
            let _ = explain::Plan::parse(&b);
            let _ = explain::relative_cost(&b);
            let _ = type_ref::TypeRef::parse(&b);
            let _ = type_ref::after_needle(type_ref::Needle::Trigger, &b);
            let _ = type_ref::after_needle(type_ref::Needle::Controller, &b);
            let _ = type_ref::after_needle(type_ref::Needle::Page, &b);
            let _ = user_info::UserInfo::parse(&b);
            let _ = profiling::Line::parse(&b);
        }
    }
}
