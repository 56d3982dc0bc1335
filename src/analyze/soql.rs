//! A small SOQL grammar: enough of `SELECT … FROM … WHERE … ORDER BY … LIMIT` for the
//! SOQL lint rules of `analyze` (`lint.rs`).
//!
//! The lexical level is a nom grammar ([`tokens`]): case-insensitive words, string
//! literals with backslash escapes, bind variables (`:x`, `:acc.Id`), numbers, operators
//! and parentheses. Nothing is rejected: a character no rule knows is an operator token
//! of its own, so any text lexes. The clause level ([`parse`]) reads the tokens at
//! parenthesis depth 0: the first `SELECT`, `FROM` and its object, `WHERE` and the
//! predicates in it (subqueries and value lists in parentheses are skipped), `ORDER BY`
//! and `LIMIT`.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, multispace0, satisfy};
use nom::combinator::{recognize, value};
use nom::multi::many0;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

/// One token of a SOQL statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok<'a> {
    /// A word: keyword, field, object or literal word such as `null` or `TODAY`.
    Word(&'a str),
    /// A string literal, quotes included (`'%smith'`).
    Str(&'a str),
    /// A bind variable, colon included (`:tmpVar1`).
    Bind(&'a str),
    /// A number (`10`, `3.5`, `-2`).
    Num(&'a str),
    /// A comparison operator or any other punctuation (`=`, `!=`, `<=`, `,`).
    Op(&'a str),
    /// `(`
    Open,
    /// `)`
    Close,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

fn string_lit(i: &str) -> IResult<&str, Tok<'_>> {
    let body = many0(alt((
        recognize(preceded(char('\\'), satisfy(|_| true))),
        recognize(satisfy(|c| c != '\'' && c != '\\')),
    )));
    recognize(delimited(char('\''), body, char('\'')))
        .map(Tok::Str)
        .parse(i)
}

fn bind(i: &str) -> IResult<&str, Tok<'_>> {
    recognize(preceded(char(':'), take_while1(is_word)))
        .map(Tok::Bind)
        .parse(i)
}

fn number(i: &str) -> IResult<&str, Tok<'_>> {
    recognize((
        take_while(|c| c == '-'),
        take_while1(|c: char| c.is_ascii_digit()),
        take_while(|c: char| c.is_ascii_digit() || c == '.'),
    ))
    .map(Tok::Num)
    .parse(i)
}

fn word(i: &str) -> IResult<&str, Tok<'_>> {
    take_while1(is_word).map(Tok::Word).parse(i)
}

fn op(i: &str) -> IResult<&str, Tok<'_>> {
    alt((
        value(Tok::Open, char('(')),
        value(Tok::Close, char(')')),
        alt((tag("!="), tag("<>"), tag("<="), tag(">="))).map(Tok::Op),
        recognize(satisfy(|_| true)).map(Tok::Op),
    ))
    .parse(i)
}

fn token(i: &str) -> IResult<&str, Tok<'_>> {
    preceded(multispace0, alt((string_lit, bind, number, word, op))).parse(i)
}

/// Every token of `q`, in order. Never fails: an unclosed string literal lexes as a
/// quote operator followed by words.
pub fn tokens(q: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut rest = q;
    loop {
        let (r, _) = multispace0::<&str, nom::error::Error<&str>>(rest).unwrap_or((rest, ""));
        if r.is_empty() {
            return out;
        }
        match token(r) {
            Ok((r2, t)) => {
                out.push(t);
                rest = r2;
            }
            Err(_) => return out,
        }
    }
}

/// Does `t` spell keyword `kw` (any case)? Words are lexed whole, so `Selected__c` is
/// never `SELECT`.
fn is_kw(t: &Tok<'_>, kw: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

/// A comparison operator of a WHERE predicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`, `>`, `<=`, `>=`
    Range,
    /// `LIKE`
    Like,
    /// `NOT LIKE` (as `NOT field LIKE` is written, and the common `field NOT LIKE`)
    NotLike,
    /// `IN`
    In,
    /// `NOT IN`
    NotIn,
    /// `INCLUDES`
    Includes,
    /// `EXCLUDES`
    Excludes,
}

/// The value side of a predicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val<'a> {
    /// A string literal, without its quotes.
    Str(&'a str),
    /// A bind variable.
    Bind,
    /// `null`.
    Null,
    /// A parenthesised list of values, or a subquery.
    List,
    /// Anything else: numbers, `true`, date literals.
    Other,
}

/// One `field OP value` of a WHERE clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Predicate<'a> {
    /// The field, as written.
    pub field: &'a str,
    /// The operator.
    pub op: CmpOp,
    /// The value.
    pub value: Val<'a>,
    /// Preceded by `NOT` (`NOT Name = 'x'`).
    pub negated: bool,
}

impl Predicate<'_> {
    /// A filter no index serves: `!=`, `NOT IN`, `NOT LIKE`, `EXCLUDES`, `= null`, or any
    /// predicate under `NOT`.
    pub fn is_negative(&self) -> bool {
        self.negated
            || matches!(
                self.op,
                CmpOp::Ne | CmpOp::NotIn | CmpOp::NotLike | CmpOp::Excludes
            )
            || (self.op == CmpOp::Eq && self.value == Val::Null)
    }

    /// A `LIKE` on a string literal that starts with `%` or `_`.
    pub fn leading_wildcard(&self) -> bool {
        self.op == CmpOp::Like
            && matches!(self.value, Val::Str(s) if s.starts_with('%') || s.starts_with('_'))
    }
}

/// The parts of a query the lint rules read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query<'a> {
    /// The object after `FROM`.
    pub object: Option<&'a str>,
    /// A `WHERE` clause at the top level.
    pub has_where: bool,
    /// The predicates of the top-level `WHERE` (those inside a subquery are not).
    pub filters: Vec<Predicate<'a>>,
    /// An `ORDER BY` at the top level.
    pub order_by: bool,
    /// A `LIMIT` at the top level.
    pub limit: bool,
}

/// The clause a top-level token belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clause {
    Select,
    From,
    Where,
    Other,
}

/// Parse `q` when it is a `SELECT` query (`None` otherwise).
pub fn parse(q: &str) -> Option<Query<'_>> {
    let toks = tokens(q);
    if !toks.first().is_some_and(|t| is_kw(t, "SELECT")) {
        return None;
    }
    let mut out = Query::default();
    let mut clause = Clause::Select;
    let mut depth = 0usize;
    let mut where_toks: Vec<Tok<'_>> = Vec::new();
    let mut i = 1;
    while i < toks.len() {
        let t = toks[i];
        match t {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && t != Tok::Close {
            let next_by = toks.get(i + 1).is_some_and(|n| is_kw(n, "BY"));
            let kw = |k: &str| is_kw(&t, k);
            if kw("FROM") && clause == Clause::Select {
                clause = Clause::From;
                if let Some(Tok::Word(o)) = toks.get(i + 1) {
                    out.object = Some(o);
                }
            } else if kw("WHERE") {
                clause = Clause::Where;
                out.has_where = true;
                i += 1;
                continue;
            } else if kw("ORDER") && next_by {
                out.order_by = true;
                clause = Clause::Other;
            } else if kw("LIMIT") {
                out.limit = true;
                clause = Clause::Other;
            } else if (kw("GROUP") && next_by)
                || kw("WITH")
                || kw("HAVING")
                || kw("OFFSET")
                || kw("FOR")
                || kw("USING")
            {
                clause = Clause::Other;
            }
        }
        if clause == Clause::Where {
            where_toks.push(t);
        }
        i += 1;
    }
    out.filters = predicates(&where_toks);
    Some(out)
}

/// The operator at `t[i..]` and how many tokens it takes.
fn cmp_op(t: &[Tok<'_>], i: usize) -> Option<(CmpOp, usize)> {
    let a = t.get(i)?;
    let op = match a {
        Tok::Op("=") => (CmpOp::Eq, 1),
        Tok::Op("!=") | Tok::Op("<>") => (CmpOp::Ne, 1),
        Tok::Op("<") | Tok::Op(">") | Tok::Op("<=") | Tok::Op(">=") => (CmpOp::Range, 1),
        _ if is_kw(a, "LIKE") => (CmpOp::Like, 1),
        _ if is_kw(a, "IN") => (CmpOp::In, 1),
        _ if is_kw(a, "INCLUDES") => (CmpOp::Includes, 1),
        _ if is_kw(a, "EXCLUDES") => (CmpOp::Excludes, 1),
        _ if is_kw(a, "NOT") => match t.get(i + 1) {
            Some(b) if is_kw(b, "IN") => (CmpOp::NotIn, 2),
            Some(b) if is_kw(b, "LIKE") => (CmpOp::NotLike, 2),
            _ => return None,
        },
        _ => return None,
    };
    Some(op)
}

/// The predicates of a WHERE clause's tokens, grouping parentheses looked through.
fn predicates<'a>(t: &[Tok<'a>]) -> Vec<Predicate<'a>> {
    let mut out = Vec::new();
    let mut negated = false;
    let mut i = 0;
    while i < t.len() {
        match t[i] {
            Tok::Word(w) if w.eq_ignore_ascii_case("NOT") => {
                negated = true;
                i += 1;
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("AND") || w.eq_ignore_ascii_case("OR") => {
                negated = false;
                i += 1;
            }
            Tok::Word(field) => {
                let Some((op, n)) = cmp_op(t, i + 1) else {
                    i += 1;
                    continue;
                };
                let j = i + 1 + n;
                let (value, next) = match t.get(j) {
                    Some(Tok::Str(s)) => (Val::Str(&s[1..s.len() - 1]), j + 1),
                    Some(Tok::Bind(_)) => (Val::Bind, j + 1),
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => (Val::Null, j + 1),
                    Some(Tok::Open) => (Val::List, skip_group(t, j)),
                    Some(_) => (Val::Other, j + 1),
                    None => (Val::Other, j),
                };
                out.push(Predicate {
                    field,
                    op,
                    value,
                    negated,
                });
                i = next;
            }
            _ => i += 1,
        }
    }
    out
}

/// The index after the parenthesised group that opens at `t[open]`.
fn skip_group(t: &[Tok<'_>], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, tok) in t.iter().enumerate().skip(open) {
        match tok {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    t.len()
}

/// The statement's shape: words in lower case, every literal value `?`, every bind
/// variable `:?`, a parenthesised list of literals `(?)`, tokens joined by one space.
/// Two executions of one query with different values have the same shape.
pub fn shape(q: &str) -> String {
    let t = tokens(q);
    let mut out = String::with_capacity(q.len());
    let mut i = 0;
    while i < t.len() {
        let piece: &str = match t[i] {
            Tok::Open => {
                let end = skip_group(&t, i);
                let literals = end > i + 2
                    && t[i + 1..end - 1]
                        .iter()
                        .all(|x| matches!(x, Tok::Str(_) | Tok::Num(_) | Tok::Op(",")));
                if literals {
                    i = end;
                    push_piece(&mut out, "(?)");
                    continue;
                }
                "("
            }
            Tok::Close => ")",
            Tok::Str(_) | Tok::Num(_) => "?",
            Tok::Bind(_) => ":?",
            Tok::Op(o) => o,
            Tok::Word(w) => {
                push_piece(&mut out, &w.to_ascii_lowercase());
                i += 1;
                continue;
            }
        };
        push_piece(&mut out, piece);
        i += 1;
    }
    out
}

fn push_piece(out: &mut String, p: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(p);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_literals_binds_and_operators() {
        let t = tokens("SELECT Id FROM Case WHERE Subject LIKE '%it\\'s' AND Id != :ids");
        assert_eq!(
            t,
            [
                Tok::Word("SELECT"),
                Tok::Word("Id"),
                Tok::Word("FROM"),
                Tok::Word("Case"),
                Tok::Word("WHERE"),
                Tok::Word("Subject"),
                Tok::Word("LIKE"),
                Tok::Str("'%it\\'s'"),
                Tok::Word("AND"),
                Tok::Word("Id"),
                Tok::Op("!="),
                Tok::Bind(":ids"),
            ]
        );
    }

    #[test]
    fn reads_the_top_level_clauses_in_any_case() {
        let q = parse("select Id, (select Id from Contacts limit 1) from Account order by Name")
            .unwrap();
        assert_eq!(q.object, Some("Account"));
        assert!(!q.has_where && q.order_by && !q.limit);
        let q = parse("SELECT Id FROM Lead WHERE Email = :e LIMIT 5").unwrap();
        assert!(q.has_where && q.limit && !q.order_by);
        assert_eq!(
            q.filters,
            [Predicate {
                field: "Email",
                op: CmpOp::Eq,
                value: Val::Bind,
                negated: false
            }]
        );
        assert_eq!(parse("FIND {x} IN ALL FIELDS"), None);
    }

    #[test]
    fn finds_negative_and_wildcard_filters() {
        let q = parse(
            "SELECT Id FROM Case WHERE (Status != 'Closed' AND OwnerId NOT IN :ids) \
             OR ParentId = null OR NOT Name LIKE 'a%'",
        )
        .unwrap();
        let neg: Vec<bool> = q.filters.iter().map(|p| p.is_negative()).collect();
        assert_eq!(neg, [true, true, true, true]);
        let q = parse("SELECT Id FROM Contact WHERE LastName LIKE '%son' AND Id IN (SELECT ContactId FROM Case)").unwrap();
        assert!(q.filters[0].leading_wildcard());
        assert_eq!(q.filters[1].value, Val::List);
        assert!(!q.filters.iter().any(|p| p.is_negative()));
    }

    #[test]
    fn shapes_ignore_values() {
        let a = shape("SELECT Id FROM Case WHERE AccountId = '001A' AND Type IN ('a','b')");
        let b = shape("select id from Case where AccountId='001B' and Type in ('c')");
        assert_eq!(a, b);
        assert_eq!(a, "select id from case where accountid = ? and type in (?)");
        assert_eq!(
            shape("SELECT Id FROM X WHERE Id = :x"),
            "select id from x where id = :?"
        );
    }
}
