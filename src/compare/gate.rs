//! The regression gate: `--fail-on EXPR[,EXPR…]`.
//!
//! ```text
//! list    = expr *( "," expr )
//! expr    = "new-errors" | limit | figure
//! limit   = "limit" [ "@" NS ] ">" NUMBER "%"          any AFTER pool row above N% of its maximum
//! figure  = METRIC [ "@" NS ] [ "." STAT ] ">" value
//! METRIC  = wall | cpu | heap | soql | soql_rows | dml | dml_rows | callouts
//! STAT    = median | p95                               (sets; default median)
//! value   = SIGN NUMBER "%"                            relative change:  cpu>+20%
//!         | SIGN NUMBER [ UNIT ]                       absolute change:  heap>+1MB, soql>+0
//!         | NUMBER [ UNIT ]                            AFTER's own figure: soql>50
//! SIGN    = "+" | "-"
//! UNIT    = ns | us | ms | s   (wall, cpu; default ms)
//!         | B | KB | MB | GB | KiB | MiB | GiB   (heap; default B; KB = 1000 B)
//! ```
//!
//! `METRIC@NS` reads the row of that namespace's limit pool instead of the transaction's
//! figure (`cpu@acme>+50%`); `wall` has no pool. An expression holds when it holds for any
//! compared group. A figure that is not comparable (a side truncated, other debug levels,
//! missing on a side) never makes an expression hold unless `strict` is set; the result
//! lists it as skipped.

use super::metrics::{Key, Section, limit_short};
use super::{Comparison, FindingChange, Row};
use crate::rules::Severity;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use serde::Serialize;
use std::fmt;

/// A figure the gate can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Wall time (nanos inside; thresholds in ms by default).
    Wall,
    /// CPU time (ms).
    Cpu,
    /// Heap (bytes).
    Heap,
    /// SOQL queries.
    Soql,
    /// SOQL rows.
    SoqlRows,
    /// DML statements.
    Dml,
    /// DML rows.
    DmlRows,
    /// Callouts.
    Callouts,
}

impl Metric {
    fn parse(s: &str) -> Option<Metric> {
        Some(match s {
            "wall" => Metric::Wall,
            "cpu" => Metric::Cpu,
            "heap" => Metric::Heap,
            "soql" => Metric::Soql,
            "soql_rows" => Metric::SoqlRows,
            "dml" => Metric::Dml,
            "dml_rows" => Metric::DmlRows,
            "callouts" => Metric::Callouts,
            _ => return None,
        })
    }

    /// The field name of the figure.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Wall => "wall",
            Metric::Cpu => "cpu",
            Metric::Heap => "heap",
            Metric::Soql => "soql",
            Metric::SoqlRows => "soql_rows",
            Metric::Dml => "dml",
            Metric::DmlRows => "dml_rows",
            Metric::Callouts => "callouts",
        }
    }

    fn key(self, ns: Option<&str>) -> Key {
        match ns {
            None => Key::metric(self.as_str()),
            Some(ns) => {
                let label = [
                    "Number of SOQL queries",
                    "Number of query rows",
                    "Number of DML statements",
                    "Number of DML rows",
                    "Maximum CPU time",
                    "Maximum heap size",
                    "Number of callouts",
                ]
                .into_iter()
                .find(|l| limit_short(l) == Some(self.as_str()))
                .unwrap_or_default();
                Key {
                    section: Section::Pool,
                    name: ns.to_string(),
                    field: label.to_string(),
                }
            }
        }
    }
}

/// Median or p95 (sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    /// The median (for two logs: the value).
    Median,
    /// The 95th percentile.
    P95,
}

/// What a figure is held to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// `after - before` above this (in the figure's unit).
    Delta(f64),
    /// `(after - before) / before` above this many percent.
    Percent(f64),
    /// AFTER's figure above this.
    Above(f64),
}

/// One parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A new finding of severity `error` or `fatal` in AFTER.
    NewErrors,
    /// An AFTER pool row above this percentage of its maximum.
    Limit {
        /// Only this namespace's pool.
        ns: Option<String>,
        /// The percentage.
        pct: f64,
    },
    /// A figure against a threshold.
    Figure {
        /// Which figure.
        metric: Metric,
        /// A namespace's pool row instead of the transaction figure.
        ns: Option<String>,
        /// Median or p95.
        stat: Stat,
        /// The threshold.
        threshold: Threshold,
    },
}

/// An expression and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// As written.
    pub text: String,
    /// What it tests.
    pub kind: Kind,
}

/// A bad expression: its text and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateError {
    /// The expression as written.
    pub expr: String,
    /// What is wrong with it.
    pub why: String,
}

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--fail-on: bad expression '{}': {} (see docs/compare.md, e.g. cpu>+20%, soql>+0, heap>+1MB, new-errors, limit>80%)",
            self.expr, self.why
        )
    }
}

impl std::error::Error for GateError {}

/// Parse a comma-separated list of expressions.
pub fn parse(list: &str) -> Result<Vec<Expr>, GateError> {
    list.split(',')
        .map(str::trim)
        .map(|text| {
            let err = |why: &str| GateError {
                expr: text.to_string(),
                why: why.to_string(),
            };
            if text.is_empty() {
                return Err(err("empty expression"));
            }
            match expr(text) {
                Ok(("", raw)) => raw.resolve().map_err(|w| err(&w)).map(|kind| Expr {
                    text: text.to_string(),
                    kind,
                }),
                Ok((rest, _)) => Err(err(&format!("unexpected '{rest}'"))),
                Err(_) => Err(err("expected new-errors, limit>N% or METRIC>VALUE")),
            }
        })
        .collect()
}

/// What the grammar reads, before names and units are checked.
struct Raw<'a> {
    name: &'a str,
    ns: Option<&'a str>,
    stat: Option<&'a str>,
    value: Option<RawValue<'a>>,
}

struct RawValue<'a> {
    sign: Option<char>,
    number: &'a str,
    unit: &'a str,
}

fn ident(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-').parse(i)
}

fn namespace(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '(' || c == ')').parse(i)
}

fn number(i: &str) -> IResult<&str, &str> {
    recognize((digit1, opt((char('.'), digit1)))).parse(i)
}

fn value(i: &str) -> IResult<&str, RawValue<'_>> {
    let (i, sign) = opt(one_of("+-")).parse(i)?;
    let (i, number) = number(i)?;
    let (i, unit) = opt(alt((
        tag("%"),
        take_while1(|c: char| c.is_ascii_alphabetic()),
    )))
    .parse(i)?;
    Ok((
        i,
        RawValue {
            sign,
            number,
            unit: unit.unwrap_or(""),
        },
    ))
}

fn expr(i: &str) -> IResult<&str, Raw<'_>> {
    let (i, name) = ident(i)?;
    let (i, ns) = opt(preceded(char('@'), namespace)).parse(i)?;
    let (i, stat) = opt(preceded(char('.'), ident)).parse(i)?;
    let (i, value) = opt(preceded(char('>'), value)).parse(i)?;
    Ok((
        i,
        Raw {
            name,
            ns,
            stat,
            value,
        },
    ))
}

impl Raw<'_> {
    fn resolve(&self) -> Result<Kind, String> {
        if self.name == "new-errors" {
            if self.ns.is_some() || self.stat.is_some() || self.value.is_some() {
                return Err("new-errors takes no namespace, statistic or value".into());
            }
            return Ok(Kind::NewErrors);
        }
        let Some(v) = &self.value else {
            return Err(format!("'{}' needs a comparison such as >+10%", self.name));
        };
        let n: f64 = v
            .number
            .parse()
            .map_err(|_| format!("bad number '{}'", v.number))?;
        let signed = match v.sign {
            Some('-') => -n,
            _ => n,
        };
        if self.name == "limit" {
            if v.sign.is_some() || v.unit != "%" || self.stat.is_some() {
                return Err("limit takes a plain percentage: limit>80%".into());
            }
            return Ok(Kind::Limit {
                ns: self.ns.map(str::to_string),
                pct: n,
            });
        }
        let Some(metric) = Metric::parse(self.name) else {
            return Err(format!(
                "unknown figure '{}' (wall, cpu, heap, soql, soql_rows, dml, dml_rows, callouts, limit, new-errors)",
                self.name
            ));
        };
        if metric == Metric::Wall && self.ns.is_some() {
            return Err("wall time has no per-namespace pool".into());
        }
        let stat = match self.stat {
            None | Some("median") => Stat::Median,
            Some("p95") => Stat::P95,
            Some(s) => return Err(format!("unknown statistic '{s}' (median, p95)")),
        };
        let threshold = if v.unit == "%" {
            if v.sign.is_none() {
                return Err(format!(
                    "a relative change needs a sign: {}>+{}%",
                    self.name, v.number
                ));
            }
            Threshold::Percent(signed)
        } else {
            let scale = unit_scale(metric, v.unit)?;
            if v.sign.is_some() {
                Threshold::Delta(signed * scale)
            } else {
                Threshold::Above(n * scale)
            }
        };
        Ok(Kind::Figure {
            metric,
            ns: self.ns.map(str::to_string),
            stat,
            threshold,
        })
    }
}

/// How many of the figure's own units one `unit` is.
fn unit_scale(metric: Metric, unit: &str) -> Result<f64, String> {
    let bad = || format!("unit '{unit}' does not fit {}", metric.as_str());
    match metric {
        // Wall time is kept in nanos; CPU time in ms.
        Metric::Wall | Metric::Cpu => {
            let ms = if metric == Metric::Wall { 1e6 } else { 1.0 };
            let per_ns = ms / 1e6;
            Ok(match unit {
                "" | "ms" => ms,
                "ns" => per_ns,
                "us" => per_ns * 1e3,
                "s" => ms * 1e3,
                _ => return Err(bad()),
            })
        }
        Metric::Heap => Ok(match unit {
            "" | "B" => 1.0,
            "KB" | "kB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            "GiB" => 1024.0 * 1024.0 * 1024.0,
            _ => return Err(bad()),
        }),
        _ if unit.is_empty() => Ok(1.0),
        _ => Err(bad()),
    }
}

/// The outcome of one expression.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The expression as written.
    pub expr: String,
    /// It holds: the gate fails.
    pub holds: bool,
    /// Where it holds, one line each.
    pub because: Vec<String>,
    /// Figures it could not judge (not comparable without `--strict`, or missing).
    pub skipped: Vec<String>,
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Evaluate every expression against `cmp`.
pub fn eval(exprs: &[Expr], cmp: &Comparison, strict: bool) -> Vec<Outcome> {
    exprs.iter().map(|e| eval_one(e, cmp, strict)).collect()
}

fn eval_one(e: &Expr, cmp: &Comparison, strict: bool) -> Outcome {
    let mut o = Outcome {
        expr: e.text.clone(),
        holds: false,
        because: Vec::new(),
        skipped: Vec::new(),
    };
    let multi = cmp.groups.len() > 1 || cmp.mode == super::Mode::Sets;
    let place = |ep: &str| {
        if multi {
            format!(" [{ep}]")
        } else {
            String::new()
        }
    };
    match &e.kind {
        Kind::NewErrors => {
            for g in &cmp.groups {
                let news: Vec<_> = g
                    .findings
                    .iter()
                    .filter(|f| f.change == FindingChange::New && f.severity >= Severity::Error)
                    .collect();
                if news.is_empty() {
                    continue;
                }
                if !strict && (g.truncated_before || g.levels_differ) {
                    let why = if g.levels_differ {
                        "levels-differ"
                    } else {
                        "truncated-before"
                    };
                    o.skipped.push(format!(
                        "{} new error finding(s) not comparable ({why}){}",
                        news.len(),
                        place(&g.entry_point)
                    ));
                    continue;
                }
                for f in news {
                    o.because.push(format!(
                        "new {} {} in {}: {}{}",
                        f.severity,
                        f.id,
                        f.namespace,
                        f.message,
                        place(&g.entry_point)
                    ));
                }
            }
        }
        Kind::Limit { ns, pct } => {
            for (log, p) in &cmp.after_pools {
                if ns
                    .as_deref()
                    .is_some_and(|n| !n.eq_ignore_ascii_case(&p.namespace))
                {
                    continue;
                }
                if p.max > 0 && (p.peak as f64) * 100.0 > pct * p.max as f64 {
                    o.because.push(format!(
                        "{}: {} {} of {} ({}%) in {log}",
                        p.namespace, p.label, p.peak, p.max, p.peak_pct
                    ));
                }
            }
        }
        Kind::Figure {
            metric,
            ns,
            stat,
            threshold,
        } => {
            let key = metric.key(ns.as_deref());
            for g in &cmp.groups {
                let row = g.rows.iter().find(|r| {
                    r.section == key.section
                        && r.field == key.field
                        && r.name.eq_ignore_ascii_case(&key.name)
                });
                let Some(row) = row else {
                    o.skipped.push(format!(
                        "{}: no such figure on either side{}",
                        e.text,
                        place(&g.entry_point)
                    ));
                    continue;
                };
                judge(
                    &mut o,
                    row,
                    *stat,
                    *threshold,
                    strict,
                    &place(&g.entry_point),
                );
            }
        }
    }
    o.holds = !o.because.is_empty();
    o
}

fn judge(o: &mut Outcome, row: &Row, stat: Stat, t: Threshold, strict: bool, place: &str) {
    let (b, a) = match stat {
        Stat::Median => (row.before, row.after),
        Stat::P95 => (row.before_p95.or(row.before), row.after_p95.or(row.after)),
    };
    let label = if row.name.is_empty() {
        row.field.clone()
    } else {
        format!("{} {}", row.name, row.field)
    };
    // An absolute threshold reads only AFTER; a change reads both.
    let blocking: Vec<_> = row
        .notes
        .iter()
        .filter(|n| !matches!(t, Threshold::Above(_)) || matches!(n, super::Note::MissingAfter))
        .map(|n| n.as_str())
        .collect();
    let missing = match t {
        Threshold::Above(_) => a.is_none(),
        _ => a.is_none() || b.is_none(),
    };
    if missing || (!strict && !blocking.is_empty()) {
        o.skipped.push(format!(
            "{label} not comparable ({}){place}",
            blocking.join(", ")
        ));
        return;
    }
    let (bv, av) = (b.unwrap_or(0.0), a.unwrap_or(0.0));
    let holds = match t {
        Threshold::Delta(x) => av - bv > x,
        Threshold::Above(x) => av > x,
        Threshold::Percent(x) => match super::pct(Some(bv), Some(av)) {
            Some(p) => p > x,
            None => av > 0.0, // from 0 to more: an infinite rise
        },
    };
    if holds {
        let change = match super::pct(Some(bv), Some(av)) {
            Some(p) => format!("{:+.1}%", p),
            None => "new".to_string(),
        };
        o.because.push(format!(
            "{label} {} → {} ({}{}, {change}){place}",
            fmt_num(bv),
            fmt_num(av),
            if av >= bv { "+" } else { "" },
            fmt_num(av - bv),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        let e = parse("cpu>+20%, soql>+0,dml_rows>+10%,heap>+1MB,new-errors,limit>80%").unwrap();
        assert_eq!(e.len(), 6);
        assert_eq!(
            e[0].kind,
            Kind::Figure {
                metric: Metric::Cpu,
                ns: None,
                stat: Stat::Median,
                threshold: Threshold::Percent(20.0)
            }
        );
        assert!(
            matches!(e[1].kind, Kind::Figure { threshold: Threshold::Delta(x), .. } if x == 0.0)
        );
        assert!(
            matches!(e[3].kind, Kind::Figure { threshold: Threshold::Delta(x), .. } if x == 1e6)
        );
        assert_eq!(e[4].kind, Kind::NewErrors);
        assert_eq!(
            e[5].kind,
            Kind::Limit {
                ns: None,
                pct: 80.0
            }
        );
        let e = parse("cpu@acme.p95>+50%,wall>+2s,soql>50").unwrap();
        assert!(
            matches!(&e[0].kind, Kind::Figure { ns: Some(n), stat: Stat::P95, .. } if n == "acme")
        );
        assert!(
            matches!(e[1].kind, Kind::Figure { threshold: Threshold::Delta(x), .. } if x == 2e9)
        );
        assert!(
            matches!(e[2].kind, Kind::Figure { threshold: Threshold::Above(x), .. } if x == 50.0)
        );
    }

    #[test]
    fn bad_expressions_are_named() {
        for bad in [
            "cpu>20%",
            "cpux>+1",
            "heap>+5ms",
            "soql>+1MB",
            "limit>+80%",
            "cpu",
            "cpu>>1",
            "",
            "wall@x>+1",
            "cpu.p50>+1%",
            "new-errors>1",
        ] {
            let e = parse(&format!("soql>+0,{bad}")).unwrap_err();
            assert_eq!(e.expr, bad, "{bad}: {e}");
        }
    }
}
