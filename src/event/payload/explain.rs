//! A `SOQL_EXECUTE_EXPLAIN` query plan:
//!
//! ```text
//! plan = operation " on " object " : [" fields "], cardinality: " number
//!        ", sobjectCardinality: " number ", relativeCost " decimal
//! ```
//!
//! e.g. `TableScan on Account : [], cardinality: 2, sobjectCardinality: 2, relativeCost 2.65`
//! or `Index on Case : [Id], cardinality: 1, sobjectCardinality: 9, relativeCost 0`. A line
//! such as `No explain plan is available` is no plan.

use super::{Res, run};
use nom::Parser;
use nom::bytes::complete::{tag, take_till, take_until, take_while};
use nom::character::complete::u64 as number;
use nom::combinator::{all_consuming, map_opt};
use nom::sequence::{delimited, preceded};

/// One query plan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan<'a> {
    /// `TableScan`, `Index`, `Sharing`, `Other`…
    pub operation: &'a [u8],
    /// The object the plan reads.
    pub object: &'a [u8],
    /// The indexed fields, as written between the brackets (`Id`, `Name, Type`).
    pub fields: &'a [u8],
    /// The estimated rows.
    pub cardinality: u64,
    /// The object's rows.
    pub sobject_cardinality: u64,
    /// The plan's cost relative to the selectivity threshold (above 1: not selective).
    pub relative_cost: f64,
}

/// `2.65`, `0`, `0.001`
fn decimal(i: &[u8]) -> Res<'_, f64> {
    map_opt(take_while(|c: u8| c.is_ascii_digit() || c == b'.'), |d| {
        std::str::from_utf8(d).ok()?.parse().ok()
    })
    .parse(i)
}

fn plan(i: &[u8]) -> Res<'_, Plan<'_>> {
    let (i, operation) = take_till(|c| c == b' ')(i)?;
    let (i, object) = preceded(tag(&b" on "[..]), take_till(|c| c == b' ')).parse(i)?;
    let (i, fields) =
        delimited(tag(&b" : ["[..]), take_till(|c| c == b']'), tag(&b"]"[..])).parse(i)?;
    let (i, cardinality) = preceded(tag(&b", cardinality: "[..]), number).parse(i)?;
    let (i, sobject_cardinality) =
        preceded(tag(&b", sobjectCardinality: "[..]), number).parse(i)?;
    let (i, relative_cost) = preceded(tag(&b", relativeCost "[..]), decimal).parse(i)?;
    Ok((
        i,
        Plan {
            operation,
            object,
            fields,
            cardinality,
            sobject_cardinality,
            relative_cost,
        },
    ))
}

impl<'a> Plan<'a> {
    /// Parse a plan (the event's text after its line field).
    pub fn parse(text: &'a [u8]) -> Option<Plan<'a>> {
        run(all_consuming(plan), text.trim_ascii_end())
    }

    /// Is it a full scan of the object?
    pub fn is_table_scan(&self) -> bool {
        self.operation == b"TableScan"
    }
}

/// The `relativeCost` figure anywhere in `text` (`… relativeCost 2.3` → 2.3), for text that
/// need not be a whole plan.
pub fn relative_cost(text: &[u8]) -> Option<f64> {
    run(
        preceded(
            (
                take_until(&b"relativeCost "[..]),
                tag(&b"relativeCost "[..]),
            ),
            decimal,
        ),
        text,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let p = Plan::parse(
            b"TableScan on Account : [], cardinality: 2, sobjectCardinality: 2, relativeCost 2.65",
        )
        .unwrap();
        assert_eq!(
            p,
            Plan {
                operation: b"TableScan",
                object: b"Account",
                fields: b"",
                cardinality: 2,
                sobject_cardinality: 2,
                relative_cost: 2.65
            }
        );
        assert!(p.is_table_scan());
        let p = Plan::parse(b"Index on Case : [Id, Name], cardinality: 1, sobjectCardinality: 21884271, relativeCost 0").unwrap();
        assert_eq!(
            (p.fields, p.sobject_cardinality, p.relative_cost),
            (&b"Id, Name"[..], 21_884_271, 0.0)
        );
        assert!(!p.is_table_scan());
    }

    #[test]
    fn not_plans() {
        assert_eq!(Plan::parse(b"No explain plan is available"), None);
        assert_eq!(Plan::parse(b"Index on Case : [Id], cardinality: 1"), None);
        assert_eq!(
            Plan::parse(
                b"Index on Case : [Id], cardinality: 1, sobjectCardinality: 9, relativeCost 1.2.3"
            ),
            None
        );
        assert_eq!(Plan::parse(b""), None);
        // The figures have no thousands separators (the `,` separates them).
        assert_eq!(
            Plan::parse(
                b"Index on Case : [Id], cardinality: 1,000, sobjectCardinality: 9, relativeCost 0"
            ),
            None
        );
    }

    #[test]
    fn relative_costs() {
        assert_eq!(relative_cost(b"x, relativeCost 2.3"), Some(2.3));
        assert_eq!(relative_cost(b"relativeCost 0.001 tail"), Some(0.001));
        assert_eq!(relative_cost(b"relativeCost x"), None);
        assert_eq!(relative_cost(b"relativeCost 1.2.3"), None);
        assert_eq!(relative_cost(b"no cost"), None);
    }
}
