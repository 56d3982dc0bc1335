//! Typed limit-usage lines, each a small nom grammar:
//!
//! ```text
//! LIMIT_USAGE|[89]|SOQL|1|100               code "|" used "|" max
//! FLOW_*_LIMIT_USAGE|1 SOQL queries, total 3 out of 100     increment
//! FLOW_*_LIMIT_USAGE|43 ms CPU time, total 53 out of 65000  increment
//! FLOW_*_LIMIT_USAGE|SOQL queries: 0 out of 100             usage
//! FLOW_*_LIMIT_USAGE|DML statements: 3 out of 150           usage
//! ```
//!
//! The flow types are `FLOW_START_INTERVIEW_LIMIT_USAGE`, `FLOW_ELEMENT_LIMIT_USAGE`,
//! `FLOW_BULK_ELEMENT_LIMIT_USAGE` and `FLOW_INTERVIEW_FINISHED_LIMIT_USAGE`; each takes
//! either shape. Numbers may carry `,` thousands separators.

use super::parse::{Event, parse_u64_commas};
use super::payload::line_field;
use super::table::EventType;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till1, take_while1};
use nom::character::complete::char;
use nom::combinator::{all_consuming, map_opt, opt, rest};
use nom::sequence::terminated;
use nom::{IResult, Parser};

/// Which governor limit a usage line is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// SOQL queries.
    Soql,
    /// Rows returned by SOQL queries.
    SoqlRows,
    /// SOSL queries.
    Sosl,
    /// DML statements.
    Dml,
    /// Rows processed by DML statements.
    DmlRows,
    /// CPU time (ms).
    Cpu,
    /// Heap size (bytes).
    Heap,
    /// Any other limit.
    Other,
}

impl Limit {
    /// The limit of a `LIMIT_USAGE` code (`SOQL`, `DML_ROWS`, …).
    pub fn from_code(code: &[u8]) -> Limit {
        match code {
            b"SOQL" => Limit::Soql,
            b"SOQL_ROWS" | b"QUERY_ROWS" => Limit::SoqlRows,
            b"SOSL" => Limit::Sosl,
            b"DML" => Limit::Dml,
            b"DML_ROWS" => Limit::DmlRows,
            b"CPU_TIME" | b"CPU" => Limit::Cpu,
            b"HEAP_SIZE" | b"HEAP" => Limit::Heap,
            _ => Limit::Other,
        }
    }

    /// The limit a flow usage label names (`SOQL queries`, `DML rows`, `ms CPU time`…),
    /// case-insensitively.
    pub fn from_label(label: &[u8]) -> Limit {
        let l = label.trim_ascii().to_ascii_lowercase();
        let has = |w: &[u8]| memchr::memmem::find(&l, w).is_some();
        if has(b"cpu time") {
            Limit::Cpu
        } else if has(b"heap") {
            Limit::Heap
        } else if has(b"sosl") {
            Limit::Sosl
        } else if has(b"query rows") || (has(b"soql") && has(b"rows")) {
            Limit::SoqlRows
        } else if has(b"soql") || has(b"queries") {
            Limit::Soql
        } else if has(b"dml rows") {
            Limit::DmlRows
        } else if has(b"dml") {
            Limit::Dml
        } else {
            Limit::Other
        }
    }
}

/// One parsed limit-usage line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage<'a> {
    /// The label or code as written (`SOQL queries`, `SOQL`).
    pub label: &'a [u8],
    /// Which limit.
    pub limit: Limit,
    /// For the `N X, total T out of L` shape: `N`, what this element added.
    pub added: Option<u64>,
    /// The running total `T` (the usage so far in the transaction).
    pub total: u64,
    /// The maximum `L`.
    pub max: u64,
}

fn number(i: &[u8]) -> IResult<&[u8], u64> {
    map_opt(take_while1(|c: u8| c.is_ascii_digit() || c == b','), |d| {
        parse_u64_commas(d)
    })
    .parse(i)
}

/// `T out of L`
fn out_of(i: &[u8]) -> IResult<&[u8], (u64, u64)> {
    let (i, total) = number(i)?;
    let (i, _) = tag(&b" out of "[..])(i)?;
    let (i, max) = number(i)?;
    Ok((i, (total, max)))
}

/// `N X, total T out of L`
fn increment(i: &[u8]) -> IResult<&[u8], Usage<'_>> {
    let (i, added) = terminated(number, char(' ')).parse(i)?;
    let (i, label) = take_till1(|c| c == b',')(i)?;
    let (i, _) = tag(&b", total "[..])(i)?;
    let (i, (total, max)) = out_of(i)?;
    Ok((
        i,
        Usage {
            label,
            limit: Limit::from_label(label),
            added: Some(added),
            total,
            max,
        },
    ))
}

/// `X: T out of L`
fn usage(i: &[u8]) -> IResult<&[u8], Usage<'_>> {
    let (i, label) = take_till1(|c| c == b':')(i)?;
    let (i, _) = tag(&b": "[..])(i)?;
    let (i, (total, max)) = out_of(i)?;
    Ok((
        i,
        Usage {
            label,
            limit: Limit::from_label(label),
            added: None,
            total,
            max,
        },
    ))
}

/// The text of a flow usage line, in either shape (anything after the figures, such as
/// `******* CLOSE TO LIMIT`, is ignored).
pub fn flow_usage(text: &[u8]) -> Option<Usage<'_>> {
    let text = text.trim_ascii();
    let (_, u) = terminated(alt((increment, usage)), rest).parse(text).ok()?;
    Some(u)
}

/// `CODE|USED|MAX`, the fields of `LIMIT_USAGE` after its line number.
pub fn limit_usage(fields: &[u8]) -> Option<Usage<'_>> {
    let fields = fields.trim_ascii_end();
    let (_, (label, _, total, _, max)) = all_consuming((
        take_till1(|c| c == b'|'),
        char('|'),
        number,
        char('|'),
        number,
    ))
    .parse(fields)
    .ok()?;
    Some(Usage {
        label,
        limit: Limit::from_code(label),
        added: None,
        total,
        max,
    })
}

/// Is `t` a type whose line is a limit-usage line ([`of_event`] reads it)?
pub fn is_usage_type(t: EventType) -> bool {
    use EventType::*;
    matches!(
        t,
        LimitUsage
            | FlowStartInterviewLimitUsage
            | FlowElementLimitUsage
            | FlowBulkElementLimitUsage
            | FlowInterviewFinishedLimitUsage
    )
}

/// The usage an event states, for the types of [`is_usage_type`].
pub fn of_event<'a>(ev: &Event<'a>) -> Option<Usage<'a>> {
    let line = ev.first_line();
    match ev.etype() {
        EventType::LimitUsage => {
            // `[89]|SOQL|1|100` (the line number may be `[EXTERNAL]` or absent).
            let (body, _) = opt(line_field).parse(line).ok()?;
            limit_usage(body)
        }
        t if is_usage_type(t) => {
            let last = memchr::memrchr(b'|', line).map_or(line, |p| &line[p + 1..]);
            flow_usage(last).or_else(|| flow_usage(line))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_shape() {
        let u = flow_usage(b"1 SOQL queries, total 3 out of 100").unwrap();
        assert_eq!(
            (u.limit, u.added, u.total, u.max),
            (Limit::Soql, Some(1), 3, 100)
        );
        let u = flow_usage(b"43 ms CPU time, total 1,053 out of 10,000").unwrap();
        assert_eq!(
            (u.limit, u.added, u.total, u.max),
            (Limit::Cpu, Some(43), 1053, 10_000)
        );
        let u = flow_usage(b"2 SOQL query rows, total 2 out of 50000").unwrap();
        assert_eq!(u.limit, Limit::SoqlRows);
        let u = flow_usage(b"1 DML rows, total 1 out of 10000").unwrap();
        assert_eq!(u.limit, Limit::DmlRows);
    }

    #[test]
    fn usage_shape() {
        let u = flow_usage(b"DML statements: 3 out of 150").unwrap();
        assert_eq!(
            (u.limit, u.added, u.total, u.max),
            (Limit::Dml, None, 3, 150)
        );
        let u = flow_usage(b"SOQL queries: 0 out of 100 ******* CLOSE TO LIMIT").unwrap();
        assert_eq!((u.limit, u.total), (Limit::Soql, 0));
        assert_eq!(
            flow_usage(b"Query rows: 7 out of 50000").unwrap().limit,
            Limit::SoqlRows
        );
        assert_eq!(flow_usage(b"no figures here"), None);
        assert_eq!(flow_usage(b"SOQL queries: many out of 100"), None);
    }

    #[test]
    fn limit_usage_fields() {
        let u = limit_usage(b"SOQL|1|100").unwrap();
        assert_eq!((u.limit, u.total, u.max), (Limit::Soql, 1, 100));
        assert_eq!(
            limit_usage(b"DML_ROWS|12|10000").unwrap().limit,
            Limit::DmlRows
        );
        assert_eq!(limit_usage(b"SOQL|1"), None);
        assert_eq!(limit_usage(b"SOQL|1|100|x"), None);
    }
}
