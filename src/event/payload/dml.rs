//! The fields of `DML_BEGIN` and the `Rows:N` that ends it and `SOQL_EXECUTE_END`:
//!
//! ```text
//! dml_begin = [ "[" line "]" "|" ] "Op:" op "|" "Type:" object [ "|" rows ]
//! rows      = "Rows:" number                    ; also SOQL_EXECUTE_END's last field
//! ```

use super::{Res, line_field, number, run};
use nom::Parser;
use nom::bytes::complete::{tag, take_till, take_until};
use nom::character::complete::char;
use nom::combinator::{all_consuming, opt, rest};
use nom::sequence::preceded;

/// A `DML_BEGIN` line's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dml<'a> {
    /// The operation: `Insert`, `Update`, `Upsert`, `Delete`, `Undelete`, `Merge`.
    pub op: &'a [u8],
    /// The object type, such as `Case` or `List<Account>`.
    pub object: &'a [u8],
    /// The rows, when the line states them.
    pub rows: Option<u64>,
}

/// `Rows:N`, the whole field.
fn rows_field(i: &[u8]) -> Res<'_, u64> {
    all_consuming(preceded(tag(&b"Rows:"[..]), number)).parse(i)
}

impl<'a> Dml<'a> {
    /// Parse a `DML_BEGIN` line (the body's first line).
    pub fn parse(first_line: &'a [u8]) -> Option<Dml<'a>> {
        let grammar = (
            opt(line_field),
            preceded(tag(&b"Op:"[..]), take_till(|c| c == b'|')),
            preceded(tag(&b"|Type:"[..]), take_till(|c| c == b'|')),
            opt(preceded(char('|'), rows_field)),
        );
        let (_, (_, op, object, rows)) = all_consuming(grammar).parse(first_line).ok()?;
        Some(Dml { op, object, rows })
    }
}

/// The `Rows:N` of a line's last `|` field (`SOQL_EXECUTE_END|[17]|Rows:6`,
/// `DML_BEGIN|…|Rows:1`); the whole line when it has no `|`.
pub fn rows(first_line: &[u8]) -> Option<u64> {
    let last = memchr::memrchr(b'|', first_line).map_or(first_line, |p| &first_line[p + 1..]);
    run(rows_field, last)
}

/// A DML statement's name, as the tracker names its frame: the line without its line field
/// and without the `|Rows:N` field (`Op:Insert|Type:Case`).
pub fn name(first_line: &[u8]) -> &[u8] {
    let body = run(preceded(opt(line_field), rest), first_line).unwrap_or(first_line);
    run(
        take_until::<_, _, nom::error::Error<&[u8]>>(&b"|Rows:"[..]),
        body,
    )
    .unwrap_or(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dml_lines() {
        assert_eq!(
            Dml::parse(b"[12]|Op:Insert|Type:Case|Rows:1"),
            Some(Dml {
                op: b"Insert",
                object: b"Case",
                rows: Some(1)
            })
        );
        let d = Dml::parse(b"Op:Update|Type:List<Account>").unwrap();
        assert_eq!(
            (d.op, d.object, d.rows),
            (&b"Update"[..], &b"List<Account>"[..], None)
        );
        assert_eq!(Dml::parse(b"[1]|Type:Case|Op:Insert"), None);
        assert_eq!(Dml::parse(b"[1]|Op:Insert|Type:Case|Rows:x"), None);
        assert_eq!(Dml::parse(b""), None);
    }

    #[test]
    fn rows_fields() {
        assert_eq!(rows(b"[17]|Rows:6"), Some(6));
        assert_eq!(rows(b"Rows:1,000"), Some(1000));
        assert_eq!(rows(b"[17]|Rows:"), None);
        assert_eq!(rows(b"[17]|Rows:6 more"), None);
        assert_eq!(rows(b"[17]|Rows:6|x"), None);
    }

    #[test]
    fn names() {
        assert_eq!(
            name(b"[12]|Op:Insert|Type:Case|Rows:1"),
            b"Op:Insert|Type:Case"
        );
        assert_eq!(
            name(b"[EXTERNAL]|Op:Insert|Type:Case"),
            b"Op:Insert|Type:Case"
        );
        assert_eq!(name(b"Op:Delete|Type:X__c|Rows:3"), b"Op:Delete|Type:X__c");
        assert_eq!(name(b"[12]"), b"[12]");
        assert_eq!(name(b""), b"");
    }
}
