//! The known-error catalogue: rules that classify Apex debug log events.
//!
//! The catalogue is data. The builtin rules live in `src/rules/catalogue.toml`, which is
//! embedded into the binary and compiled once ([`Catalogue::builtin`]). Users can add or replace
//! rules with a TOML file of the same shape ([`Catalogue::load_file`], [`Catalogue::with_extra`]).
//! The schema is documented in `docs/rules.md`.
//!
//! Matching works in two steps, so that an event that matches nothing costs one literal search:
//!
//! 1. an Aho–Corasick search over every rule's `literals` selects candidate rules (a rule whose
//!    literal is an event type name is also a candidate when the event has that type);
//! 2. each candidate is confirmed: the event type must be in the rule's `events` (when that list is
//!    not empty) and the rule's regex, if any, must match the event text.
//!
//! Matches made redundant by another match of the same event (`overrides`, `fallback`) are then
//! dropped. Besides real event types, the rules know one pseudo event type, [`MARKER_EVENT`]
//! (`"MARKER"`), for the truncation marker lines that are not events.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// The text placeholder for an optional managed-package namespace prefix in a rule's regex.
pub const NS_PLACEHOLDER: &str = "{NS}";

/// What [`NS_PLACEHOLDER`] expands to before the regex is compiled: an optional `ns:` prefix whose
/// name is captured as `ns` (e.g. `zed` in `System.LimitException: zed:Too many future calls: 51`).
pub const NS_GROUP: &str = "(?:(?P<ns>[A-Za-z][A-Za-z0-9_]*):)?";

/// Pseudo event type under which truncation markers (`*** Skipped N bytes of detailed log`,
/// `MAXIMUM DEBUG LOG SIZE REACHED`) are matched. Markers are whole lines that are not events; a
/// caller passes the marker line as the text and this name as the event type.
pub const MARKER_EVENT: &str = "MARKER";

/// The embedded builtin catalogue.
const BUILTIN_TOML: &str = include_str!("catalogue.toml");

/// The name used for the builtin catalogue in error messages.
const BUILTIN_ORIGIN: &str = "builtin catalogue.toml";

/// How bad a finding is. Ordered from least to most severe: `Info < Warn < Error < Fatal`.
///
/// Serialized (serde and [`Display`](fmt::Display)) in lowercase: `info`, `warn`, `error`, `fatal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Log quality notes (truncation, skipped content).
    Info,
    /// Degradation or a limit getting close; nothing failed yet.
    Warn,
    /// An exception or a failed operation; fatal if it reached `FATAL_ERROR`.
    Error,
    /// The transaction was aborted.
    Fatal,
}

impl Severity {
    /// All severities, least severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Warn,
        Severity::Error,
        Severity::Fatal,
    ];

    /// The lowercase name (`"info"`, `"warn"`, `"error"`, `"fatal"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
            Severity::Fatal => "fatal",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    /// Parses a lowercase (or any-case) severity name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown severity `{s}` (expected info, warn, error or fatal)"))
    }
}

/// One catalogue rule, as loaded from TOML.
///
/// The regex of a rule from a user file is compiled when the file is loaded; the builtin rules
/// compile theirs on first use, so start-up does not pay for rules that never get a candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Stable identifier, e.g. `LIMIT_SOQL`.
    pub id: String,
    /// Short human title.
    pub title: String,
    /// How bad a match is.
    pub severity: Severity,
    /// Prefilter strings (case-sensitive); at least one must occur in the event text, or equal the
    /// event type, for the rule to be tried.
    pub literals: Vec<String>,
    /// The regex as written in the TOML (before `{NS}` expansion), if any.
    #[serde(rename = "regex", skip_serializing_if = "Option::is_none")]
    regex_src: Option<String>,
    /// Event types the rule applies to; empty means any event type.
    pub events: Vec<String>,
    /// Ids of rules this rule makes redundant when both match the same event.
    pub overrides: Vec<String>,
    /// Ids of rules that may legitimately match the same event as this rule (both are reported).
    pub related: Vec<String>,
    /// A fallback rule is reported only when no non-fallback rule matches the same event.
    pub fallback: bool,
    /// One line: what to do about it.
    pub remedy: String,
    /// A realistic log line (or lines) this rule must detect.
    pub sample: String,
    /// The regex after `{NS}` expansion.
    #[serde(skip)]
    expanded: Option<String>,
    #[serde(skip)]
    compiled: OnceLock<Regex>,
    /// Whether the regex has an `ns` group (then captures are needed, not just the span).
    #[serde(skip)]
    has_ns: bool,
}

impl Rule {
    /// The regex as written in the catalogue, before `{NS}` expansion.
    pub fn regex_source(&self) -> Option<&str> {
        self.regex_src.as_deref()
    }

    /// The compiled regex (compiled now if it was not yet).
    ///
    /// # Panics
    /// If the regex does not compile; that cannot happen for rules loaded from a user file (they
    /// are compiled at load time) and the test suite checks it for the builtin rules.
    fn regex(&self) -> Option<&Regex> {
        let expanded = self.expanded.as_ref()?;
        Some(self.compiled.get_or_init(|| {
            build_regex(expanded)
                .unwrap_or_else(|e| panic!("rule {}: bad regex: {}", self.id, regex_error_line(&e)))
        }))
    }

    /// Whether the rule may match an event of this type (its `events` list is empty or contains it).
    pub fn applies_to(&self, event_type: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event_type)
    }

    /// Whether the rule is selected by the event type itself (one of its literals is the name of
    /// an event type it applies to), rather than by text in the event.
    pub fn is_event_type_rule(&self) -> bool {
        self.literals.iter().any(|l| self.events.contains(l))
    }

    /// Splits [`sample`](Rule::sample) into `(event_type, text)` the way a framer would hand it to
    /// [`Catalogue::match_event`]: for `12:00:00.1 (1000000)|EXCEPTION_THROWN|[12]|msg` the event type
    /// is `EXCEPTION_THROWN` and the text is everything after the timestamp field
    /// (`EXCEPTION_THROWN|[12]|msg` plus any continuation lines). A sample that does not start with
    /// a timestamp is a marker line: `(MARKER_EVENT, whole sample)`.
    pub fn sample_event(&self) -> (&str, &[u8]) {
        split_event_line(&self.sample)
    }
}

/// Splits `HH:MM:SS.f (NANOS)|TYPE|...` into `(TYPE, "TYPE|...")`; anything else is a marker.
fn split_event_line(line: &str) -> (&str, &[u8]) {
    let marker = (MARKER_EVENT, line.as_bytes());
    let first_line = line.split('\n').next().unwrap_or("");
    let Some(bar) = first_line.find('|') else {
        return marker;
    };
    let stamp = &first_line[..bar];
    let stamp_ok = stamp.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && stamp.ends_with(')')
        && stamp.contains(" (");
    if !stamp_ok {
        return marker;
    }
    let rest = &line[bar + 1..];
    let type_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        .count();
    if type_len == 0 {
        return marker;
    }
    (&rest[..type_len], rest.as_bytes())
}

/// One rule matching one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMatch<'t> {
    /// Index of the rule in [`Catalogue::rules`].
    pub rule: usize,
    /// The span the regex matched; for a rule without regex that was selected by the event type,
    /// the whole first line of the text; for a rule without regex selected by a literal, the
    /// literal's first occurrence.
    pub text: &'t [u8],
    /// Where [`text`](RuleMatch::text) starts in the event text that was matched.
    pub at: usize,
    /// The `ns` capture (managed-package namespace), if the regex has one and it participated.
    pub ns: Option<&'t [u8]>,
}

/// An error loading, compiling or selecting rules. Its `Display` is a single line that names the
/// rules file (when there is one), e.g. `rules.toml: rule MY_RULE: bad regex: unclosed group` or
/// `rules.toml: line 7: missing field `title``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    origin: Option<String>,
    line: Option<usize>,
    rule: Option<String>,
    message: String,
}

impl RulesError {
    fn new(origin: Option<&str>, line: Option<usize>, rule: Option<&str>, message: &str) -> Self {
        RulesError {
            origin: origin.map(str::to_owned),
            line,
            rule: rule.map(str::to_owned),
            message: one_line(message),
        }
    }

    /// The file (or other origin) the error is about, if any.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The 1-based line in the file, when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The id of the rule at fault, when known.
    pub fn rule_id(&self) -> Option<&str> {
        self.rule.as_deref()
    }

    /// The description without origin, line or rule id.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, "rule {rule}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for RulesError {}

/// Collapses a possibly multi-line message into one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Turns a `regex::Error` into one short line (the regex crate's syntax errors span several lines:
/// the pattern, a caret, then `error: ...`).
fn regex_error_line(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .find_map(|l| l.trim().strip_prefix("error:"))
            .map(|m| m.trim().to_owned())
            .unwrap_or_else(|| one_line(text)),
        other => one_line(&other.to_string()),
    }
}

/// One `[[rule]]` table exactly as written in TOML.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    severity: Severity,
    literals: Vec<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    overrides: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    fallback: bool,
    #[serde(default)]
    remedy: String,
    #[serde(default)]
    sample: String,
}

/// A rules file: `[[rule]]` tables and nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

/// 1-based line number of a byte offset.
fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Compiles an expanded rule regex with the catalogue's flags: Unicode off (ASCII classes, `.`
/// matches any byte but a line end), multi-line anchors, CRLF-aware line ends.
fn build_regex(expanded: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(expanded)
        .unicode(false)
        .multi_line(true)
        .crlf(true)
        .build()
}

/// Validates one raw rule; compiles its regex now when `eager` (otherwise on first use).
fn compile_rule(raw: RawRule, origin: &str, line: usize, eager: bool) -> Result<Rule, RulesError> {
    if !valid_id(&raw.id) {
        return Err(RulesError::new(
            Some(origin),
            Some(line),
            None,
            &format!(
                "rule id `{}` must be non-empty and use only letters, digits and `_`",
                raw.id
            ),
        ));
    }
    let err = |msg: &str| RulesError::new(Some(origin), None, Some(&raw.id), msg);
    if raw.title.trim().is_empty() {
        return Err(err("title must not be empty"));
    }
    if raw.literals.is_empty() {
        return Err(err("literals must list at least one string"));
    }
    if raw.literals.iter().any(String::is_empty) {
        return Err(err("literals must not contain an empty string"));
    }
    if raw.events.iter().any(|e| e.trim().is_empty()) {
        return Err(err("events must not contain an empty string"));
    }
    let compiled = OnceLock::new();
    let mut has_ns = false;
    let expanded = match &raw.regex {
        None => None,
        Some(src) => {
            if src.is_empty() {
                return Err(err("bad regex: empty pattern (omit `regex` instead)"));
            }
            let expanded = src.replace(NS_PLACEHOLDER, NS_GROUP);
            if eager {
                let re = build_regex(&expanded)
                    .map_err(|e| err(&format!("bad regex: {}", regex_error_line(&e))))?;
                has_ns = re.capture_names().any(|n| n == Some("ns"));
                let _ = compiled.set(re);
            } else {
                has_ns = expanded.contains("?P<ns>") || expanded.contains("?<ns>");
            }
            Some(expanded)
        }
    };
    Ok(Rule {
        id: raw.id,
        title: raw.title,
        severity: raw.severity,
        literals: raw.literals,
        regex_src: raw.regex,
        events: raw.events,
        overrides: raw.overrides,
        related: raw.related,
        fallback: raw.fallback,
        remedy: raw.remedy,
        sample: raw.sample,
        expanded,
        compiled,
        has_ns,
    })
}

/// Most strings in [`Catalogue::prefilter`] when the literals allow it: up to this many,
/// aho-corasick picks its faster SIMD searcher.
pub const PREFILTER_MAX: usize = 32;

/// Shortest string [`cover`] puts in place of several literals: shorter ones would match
/// too much ordinary text.
const COVER_MIN: usize = 6;

/// Longest substring [`cover`] considers.
const COVER_LEN_MAX: usize = 16;

/// Most literals [`cover`] tries to group (a multiple of 64: its sets are words of bits).
const COVER_TRY_MAX: usize = 256;
const _: () = assert!(COVER_TRY_MAX.is_multiple_of(64));

/// Strings that cover `literals`: every literal holds at least one of them, and there are
/// at most [`PREFILTER_MAX`] if grouping allows. Greedy: while there are too many, the
/// substring of at least [`COVER_MIN`] bytes held by the most literals not yet grouped
/// (the longer one on a tie) replaces them. A literal holding another literal is dropped
/// first. Deterministic, sorted, without duplicates. More than [`COVER_TRY_MAX`] literals
/// are left as they are (no grouping would bring them down to a fast searcher).
fn cover<'a>(literals: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut lits: Vec<&str> = literals.filter(|l| !l.is_empty()).collect();
    lits.sort_unstable();
    lits.dedup();
    if lits.len() <= PREFILTER_MAX || lits.len() > COVER_TRY_MAX {
        return lits.into_iter().map(str::to_string).collect();
    }
    let all = lits.clone();
    lits.retain(|l| !all.iter().any(|m| m != l && l.contains(m)));
    // Every substring worth grouping by → the literals holding it, as a bit set.
    type Set = [u64; COVER_TRY_MAX / 64];
    let count =
        |a: &Set, b: &Set| -> u32 { a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum() };
    let mut held: HashMap<&[u8], Set> =
        HashMap::with_capacity(lits.iter().map(|l| l.len()).sum::<usize>() * COVER_LEN_MAX);
    for (k, lit) in lits.iter().enumerate() {
        let b = lit.as_bytes();
        for i in 0..b.len() {
            for j in i + COVER_MIN..=b.len().min(i + COVER_LEN_MAX) {
                held.entry(&b[i..j]).or_insert([0; COVER_TRY_MAX / 64])[k / 64] |= 1 << (k % 64);
            }
        }
    }
    let all: Set = std::array::from_fn(|w| {
        let bits = lits.len().saturating_sub(w * 64).min(64);
        if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        }
    });
    let mut candidates: Vec<(&[u8], Set)> = held
        .into_iter()
        .filter(|(s, set)| count(set, &all) >= 2 && std::str::from_utf8(s).is_ok())
        .collect();
    candidates.sort_unstable();
    let mut left = all;
    let mut out: Vec<String> = Vec::new();
    while out.len() + count(&left, &all) as usize > PREFILTER_MAX {
        let best = candidates
            .iter()
            .map(|(s, set)| (count(set, &left), s))
            .filter(|&(n, _)| n >= 2)
            .max_by(|a, b| (a.0, a.1.len(), b.1).cmp(&(b.0, b.1.len(), a.1)));
        let Some((_, best)) = best else { break };
        let best = std::str::from_utf8(best).expect("checked above");
        for (k, lit) in lits.iter().enumerate() {
            if left[k / 64] & (1 << (k % 64)) != 0 && lit.contains(best) {
                left[k / 64] &= !(1 << (k % 64));
            }
        }
        out.push(best.to_string());
    }
    out.extend(
        lits.iter()
            .enumerate()
            .filter(|(k, _)| left[k / 64] & (1 << (k % 64)) != 0)
            .map(|(_, lit)| lit.to_string()),
    );
    out.sort_unstable();
    out.dedup();
    out
}

/// A compiled set of rules plus the literal prefilter over all of them.
#[derive(Debug, Clone)]
pub struct Catalogue {
    rules: Vec<Rule>,
    /// Aho–Corasick over every literal of every rule (leftmost-first). Built on first use:
    /// a run whose log holds no candidate event never needs it.
    searcher: OnceLock<AhoCorasick>,
    /// Aho–Corasick over at most [`PREFILTER_MAX`] strings that cover every literal (each
    /// literal holds one of them), for finding candidate events in a whole buffer. Built on
    /// first use: only `scan` and `capture` search whole buffers.
    prefilter: OnceLock<AhoCorasick>,
    /// Pattern index → (rule index, literal index within the rule).
    patterns: Vec<(usize, usize)>,
    /// Pattern index → other patterns that can match at the same start position (one is a prefix
    /// of the other), which a leftmost-first search would hide. Built with the searcher.
    same_start: OnceLock<Vec<Vec<usize>>>,
    /// Literal that is an event type name → rules selected by an event of that type; sorted by
    /// name (a handful of entries, so a binary search beats hashing every event type).
    by_event_literal: Vec<(String, Vec<usize>)>,
    /// Rule index → indices of the rules it overrides (unknown ids are ignored).
    overrides: Vec<Vec<usize>>,
}

impl Catalogue {
    /// The builtin catalogue (`src/rules/catalogue.toml`), compiled on first use.
    ///
    /// # Panics
    /// If the embedded catalogue is invalid; the test suite guarantees it is not.
    pub fn builtin() -> &'static Catalogue {
        static BUILTIN: OnceLock<Catalogue> = OnceLock::new();
        // Regexes compile lazily and samples are not re-checked here: tests/rules.rs checks both,
        // and skipping them keeps start-up short.
        BUILTIN.get_or_init(|| {
            Catalogue::compile_toml(BUILTIN_TOML, BUILTIN_ORIGIN, false)
                .unwrap_or_else(|e| panic!("invalid builtin rules catalogue: {e}"))
        })
    }

    /// Parses and compiles a rules file. `origin` names the file in error messages.
    ///
    /// Besides TOML and schema errors this rejects duplicate ids, empty literals, regexes that do
    /// not compile, override cycles, and rules whose non-empty `sample` they do not match
    /// themselves. `overrides` and `related` may name rules that are not in this file (for
    /// instance builtin ones a user file is meant to be combined with).
    pub fn from_toml(src: &str, origin: &str) -> Result<Catalogue, RulesError> {
        Catalogue::compile_toml(src, origin, true)
    }

    /// [`from_toml`](Catalogue::from_toml); `checked` = compile regexes now and check samples.
    fn compile_toml(src: &str, origin: &str, checked: bool) -> Result<Catalogue, RulesError> {
        let file: RawFile = toml::from_str(src).map_err(|e| {
            let line = e.span().map(|s| line_of(src, s.start));
            RulesError::new(Some(origin), line, None, e.message())
        })?;
        let mut rules = Vec::with_capacity(file.rule.len());
        for spanned in file.rule {
            let line = line_of(src, spanned.span().start);
            let raw = spanned.into_inner();
            if rules.iter().any(|r: &Rule| r.id == raw.id) {
                return Err(RulesError::new(
                    Some(origin),
                    Some(line),
                    Some(&raw.id),
                    "duplicate rule id",
                ));
            }
            rules.push(compile_rule(raw, origin, line, checked)?);
        }
        let cat = Catalogue::build(rules, !checked)
            .map_err(|msg| RulesError::new(Some(origin), None, None, &msg))?;
        if let Some(cycle) = cat.override_cycle() {
            return Err(RulesError::new(
                Some(origin),
                None,
                Some(&cycle[0]),
                &format!("overrides form a cycle: {}", cycle.join(" -> ")),
            ));
        }
        if checked {
            cat.check_samples(origin)?;
        }
        Ok(cat)
    }

    /// Fails if a rule with a non-empty sample does not match that sample.
    fn check_samples(&self, origin: &str) -> Result<(), RulesError> {
        let mut scratch = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.sample.is_empty() {
                continue;
            }
            let (event_type, text) = rule.sample_event();
            scratch.clear();
            self.raw_matches(event_type, text, &mut scratch);
            if !scratch.iter().any(|m| m.rule == i) {
                return Err(RulesError::new(
                    Some(origin),
                    None,
                    Some(&rule.id),
                    &format!(
                        "the rule does not match its own sample (event type {event_type}); \
                         check literals, events and regex"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Reads and compiles a rules file (see [`from_toml`](Catalogue::from_toml)).
    pub fn load_file(path: &Path) -> Result<Catalogue, RulesError> {
        let origin = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| {
            RulesError::new(Some(&origin), None, None, &format!("cannot read: {e}"))
        })?;
        Catalogue::from_toml(&src, &origin)
    }

    /// This catalogue plus `extra`'s rules. A rule of `extra` whose id already exists replaces
    /// that rule in place; the others are appended in their order.
    pub fn with_extra(&self, extra: Catalogue) -> Catalogue {
        let mut rules = self.rules.clone();
        for rule in extra.rules {
            match rules.iter().position(|r| r.id == rule.id) {
                Some(pos) => rules[pos] = rule,
                None => rules.push(rule),
            }
        }
        Catalogue::build(rules, true)
            .unwrap_or_else(|msg| panic!("cannot combine rule sets: {msg}"))
    }

    /// The subset of rules whose ids are in `ids` (ASCII case-insensitive), in catalogue order.
    /// An unknown id is an error that lists the valid ids.
    pub fn only(&self, ids: &[&str]) -> Result<Catalogue, RulesError> {
        let unknown: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !self.rules.iter().any(|r| r.id.eq_ignore_ascii_case(id)))
            .collect();
        if !unknown.is_empty() {
            let valid: Vec<&str> = self.rules.iter().map(|r| r.id.as_str()).collect();
            return Err(RulesError::new(
                None,
                None,
                None,
                &format!(
                    "unknown rule id{} {}; valid ids: {}",
                    if unknown.len() > 1 { "s" } else { "" },
                    unknown.join(", "),
                    valid.join(", ")
                ),
            ));
        }
        let rules = self
            .rules
            .iter()
            .filter(|r| ids.iter().any(|id| r.id.eq_ignore_ascii_case(id)))
            .cloned()
            .collect();
        Ok(
            Catalogue::build(rules, true)
                .unwrap_or_else(|msg| panic!("cannot select rules: {msg}")),
        )
    }

    /// The rules, in catalogue order. [`RuleMatch::rule`] indexes this slice.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The index of the rule with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The Aho–Corasick automaton over all literals (leftmost-first), for a whole-buffer scan.
    /// Pattern `i` belongs to rule [`rule_of_pattern(i)`](Catalogue::rule_of_pattern).
    ///
    /// A leftmost-first search reports one pattern per position, so a hit only tells that the
    /// surrounding event is a candidate; call [`match_event`](Catalogue::match_event) on that event
    /// for the complete answer.
    pub fn literal_searcher(&self) -> &AhoCorasick {
        self.searcher.get_or_init(|| {
            Self::build_searcher(&self.literals())
                .expect("the literals were checked when the catalogue was built")
        })
    }

    /// Every literal, in pattern order.
    fn literals(&self) -> Vec<&str> {
        (0..self.patterns.len()).map(|p| self.literal(p)).collect()
    }

    fn build_searcher(literals: &[&str]) -> Result<AhoCorasick, String> {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(literals)
            .map_err(|e| format!("cannot build the literal prefilter: {e}"))
    }

    /// [`same_start`](Catalogue::same_start) of pattern `p`.
    fn same_start(&self, p: usize) -> &[usize] {
        let all = self.same_start.get_or_init(|| {
            let literals = self.literals();
            literals
                .iter()
                .enumerate()
                .map(|(p, a)| {
                    literals
                        .iter()
                        .enumerate()
                        .filter(|&(q, b)| q != p && (a.starts_with(b) || b.starts_with(a)))
                        .map(|(q, _)| q)
                        .collect()
                })
                .collect()
        });
        &all[p]
    }

    /// The whole-buffer prefilter: an automaton over a few strings such that every literal
    /// of every rule holds one of them (`Too many ` for the nine `Too many …` literals, say).
    /// Any line holding a literal holds a prefilter match that starts on that line, so the
    /// events it finds are a superset of those the literals find; confirm each with
    /// [`match_event`](Catalogue::match_event). With at most [`PREFILTER_MAX`] strings the
    /// search runs the narrower, faster SIMD variant (Slim Teddy); the builtin catalogue's 58
    /// literals need the wide one, which takes more than twice as long.
    pub fn prefilter(&self) -> &AhoCorasick {
        self.prefilter.get_or_init(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(self.prefilter_strings())
                // Every literal covers itself: the exact searcher will always do.
                .unwrap_or_else(|_| self.literal_searcher().clone())
        })
    }

    /// Whether a literal holds a line break (the builtin catalogue's do not).
    pub fn literals_span_lines(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.literals.iter().any(|l| l.contains('\n')))
    }

    /// The strings of [`prefilter`](Catalogue::prefilter), in pattern order.
    pub fn prefilter_strings(&self) -> Vec<String> {
        cover(
            self.rules
                .iter()
                .flat_map(|r| r.literals.iter().map(String::as_str)),
        )
    }

    /// The rule index that pattern `pattern` of [`literal_searcher`](Catalogue::literal_searcher)
    /// belongs to.
    ///
    /// # Panics
    /// If `pattern` is not a pattern of the searcher.
    pub fn rule_of_pattern(&self, pattern: usize) -> usize {
        self.patterns[pattern].0
    }

    /// Matches one event and **appends** the results to `out` (it is not cleared).
    ///
    /// `event_type` is the event's type name, e.g. `"EXCEPTION_THROWN"` (or [`MARKER_EVENT`] for a
    /// truncation marker line). `text` is the event's full text: the first line after the
    /// timestamp plus its continuation lines, as bytes that may be invalid UTF-8. Whether the text
    /// starts with the event type name or with the first field does not matter to the builtin rules.
    ///
    /// Appends one [`RuleMatch`] per matching rule, in catalogue order, minus the rules another
    /// match overrides and minus fallback rules when a non-fallback rule matched. When no literal
    /// occurs in `text` and no rule is selected by `event_type`, this does one literal search and
    /// no allocation.
    pub fn match_event<'t>(&self, event_type: &str, text: &'t [u8], out: &mut Vec<RuleMatch<'t>>) {
        let start = out.len();
        self.raw_matches(event_type, text, out);
        self.drop_redundant(out, start);
    }

    /// Compiles the prefilter and resolves rule references.
    fn build(rules: Vec<Rule>, lazy: bool) -> Result<Catalogue, String> {
        let mut patterns = Vec::new();
        let mut literals: Vec<&str> = Vec::new();
        let mut by_event_literal: HashMap<String, Vec<usize>> = HashMap::new();
        for (ri, rule) in rules.iter().enumerate() {
            for (li, lit) in rule.literals.iter().enumerate() {
                patterns.push((ri, li));
                literals.push(lit);
                if rule.events.contains(lit) {
                    let list = by_event_literal.entry(lit.clone()).or_default();
                    if list.last() != Some(&ri) {
                        list.push(ri);
                    }
                }
            }
        }
        // A file of the user's is checked now (so a bad one fails at load); the builtin
        // catalogue's searcher is built on first use, which keeps start-up short.
        let searcher = OnceLock::new();
        if !lazy {
            let _ = searcher.set(Self::build_searcher(&literals)?);
        }
        let overrides = rules
            .iter()
            .map(|rule| {
                rule.overrides
                    .iter()
                    .filter_map(|id| rules.iter().position(|r| &r.id == id))
                    .collect()
            })
            .collect();
        let mut by_event_literal: Vec<(String, Vec<usize>)> =
            by_event_literal.into_iter().collect();
        by_event_literal.sort();
        Ok(Catalogue {
            rules,
            searcher,
            prefilter: OnceLock::new(),
            patterns,
            same_start: OnceLock::new(),
            by_event_literal,
            overrides,
        })
    }

    /// The literal of pattern `p`.
    fn literal(&self, p: usize) -> &str {
        let (r, l) = self.patterns[p];
        &self.rules[r].literals[l]
    }

    /// Appends every rule that matches, before override filtering.
    fn raw_matches<'t>(&self, event_type: &str, text: &'t [u8], out: &mut Vec<RuleMatch<'t>>) {
        let mut candidates = Candidates::default();
        if let Ok(at) = self
            .by_event_literal
            .binary_search_by(|(name, _)| name.as_str().cmp(event_type))
        {
            for &r in &self.by_event_literal[at].1 {
                candidates.insert(r, self.rules.len());
            }
        }
        let mut at = 0;
        while at < text.len() {
            let Some(m) = self.literal_searcher().find(Input::new(text).range(at..)) else {
                break;
            };
            let p = m.pattern().as_usize();
            candidates.insert(self.patterns[p].0, self.rules.len());
            for &q in self.same_start(p) {
                if text[m.start()..].starts_with(self.literal(q).as_bytes()) {
                    candidates.insert(self.patterns[q].0, self.rules.len());
                }
            }
            at = m.start() + 1;
        }
        for r in candidates.iter() {
            if let Some(m) = self.confirm(r, event_type, text) {
                out.push(m);
            }
        }
    }

    /// Confirms candidate rule `r` against the event.
    fn confirm<'t>(&self, r: usize, event_type: &str, text: &'t [u8]) -> Option<RuleMatch<'t>> {
        let rule = &self.rules[r];
        if !rule.applies_to(event_type) {
            return None;
        }
        if let Some(re) = rule.regex() {
            if rule.has_ns {
                let caps = re.captures(text)?;
                let whole = caps.get(0)?;
                return Some(RuleMatch {
                    rule: r,
                    text: whole.as_bytes(),
                    at: whole.start(),
                    ns: caps.name("ns").map(|m| m.as_bytes()),
                });
            }
            let whole = re.find(text)?;
            return Some(RuleMatch {
                rule: r,
                text: whole.as_bytes(),
                at: whole.start(),
                ns: None,
            });
        }
        if rule.literals.iter().any(|l| l == event_type) {
            return Some(RuleMatch {
                rule: r,
                text: first_line(text),
                at: 0,
                ns: None,
            });
        }
        let span = rule
            .literals
            .iter()
            .filter_map(|l| memchr::memmem::find(text, l.as_bytes()).map(|at| (at, l.len())))
            .min()?;
        Some(RuleMatch {
            rule: r,
            text: &text[span.0..span.0 + span.1],
            at: span.0,
            ns: None,
        })
    }

    /// Removes from `out[start..]` the matches made redundant by another match of the same event.
    fn drop_redundant(&self, out: &mut Vec<RuleMatch<'_>>, start: usize) {
        if out.len() - start < 2 {
            return;
        }
        let matched: Vec<usize> = out[start..].iter().map(|m| m.rule).collect();
        let any_primary = matched.iter().any(|&r| !self.rules[r].fallback);
        let keep = |r: usize| {
            if self.rules[r].fallback && any_primary {
                return false;
            }
            !matched
                .iter()
                .any(|&o| o != r && self.overrides[o].contains(&r))
        };
        let mut write = start;
        for read in start..out.len() {
            if keep(out[read].rule) {
                out.swap(write, read);
                write += 1;
            }
        }
        out.truncate(write);
    }

    /// Finds a cycle in the `overrides` graph, returned as ids (first id repeated at the end).
    fn override_cycle(&self) -> Option<Vec<String>> {
        // 0 = unvisited, 1 = on the current path, 2 = done.
        fn visit(cat: &Catalogue, r: usize, state: &mut [u8], path: &mut Vec<usize>) -> bool {
            state[r] = 1;
            path.push(r);
            for &o in &cat.overrides[r] {
                if state[o] == 1 {
                    path.push(o);
                    return true;
                }
                if state[o] == 0 && visit(cat, o, state, path) {
                    return true;
                }
            }
            path.pop();
            state[r] = 2;
            false
        }
        let mut state = vec![0u8; self.rules.len()];
        for r in 0..self.rules.len() {
            let mut path = Vec::new();
            if state[r] == 0 && visit(self, r, &mut state, &mut path) {
                let last = *path.last()?;
                let from = path.iter().position(|&x| x == last)?;
                return Some(
                    path[from..]
                        .iter()
                        .map(|&i| self.rules[i].id.clone())
                        .collect(),
                );
            }
        }
        None
    }
}

/// The first line of `text`, without its line terminator.
fn first_line(text: &[u8]) -> &[u8] {
    let line = match memchr::memchr(b'\n', text) {
        Some(end) => &text[..end],
        None => text,
    };
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A set of rule indices, allocated only when the first candidate is inserted.
#[derive(Default)]
struct Candidates {
    bits: Vec<u64>,
}

impl Candidates {
    fn insert(&mut self, r: usize, n_rules: usize) {
        if self.bits.is_empty() {
            self.bits = vec![0; n_rules.div_ceil(64)];
        }
        self.bits[r / 64] |= 1 << (r % 64);
    }

    /// Indices in ascending order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &word)| {
            (0..64)
                .filter(move |b| word & (1u64 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<'c>(cat: &'c Catalogue, ms: &[RuleMatch<'_>]) -> Vec<&'c str> {
        ms.iter().map(|m| cat.rules()[m.rule].id.as_str()).collect()
    }

    fn run<'t>(cat: &Catalogue, event_type: &str, text: &'t [u8]) -> Vec<RuleMatch<'t>> {
        let mut out = Vec::new();
        cat.match_event(event_type, text, &mut out);
        out
    }

    #[test]
    fn the_prefilter_covers_every_literal_with_at_most_32_strings() {
        let cat = Catalogue::builtin();
        let cover = cat.prefilter_strings();
        assert!(cover.len() <= PREFILTER_MAX, "{} strings", cover.len());
        assert_eq!(cat.prefilter().patterns_len(), cover.len());
        assert!(cover.iter().any(|c| c == "Too many "), "{cover:?}");
        for rule in cat.rules() {
            for lit in &rule.literals {
                assert!(
                    cover.iter().any(|c| lit.contains(c.as_str())),
                    "{lit} is not covered by {cover:?}"
                );
                assert!(cat.prefilter().is_match(lit.as_bytes()), "{lit}");
            }
        }
    }

    #[test]
    fn cover_groups_literals_only_when_there_are_too_many() {
        assert_eq!(cover(["b", "a", "b"].into_iter()), ["a", "b"]);
        // Forty literals sharing one long substring become one string; one holding another
        // literal goes.
        let mut many: Vec<String> = (0..40).map(|i| format!("{i:02} shared part")).collect();
        many.extend(["other text".to_string(), "some other text here".to_string()]);
        assert_eq!(
            cover(many.iter().map(String::as_str)),
            [" shared part", "other text"]
        );
        // Forty literals with nothing in common stay as they are.
        let apart: Vec<String> = (0..40).map(|i| format!("lit{i:02}")).collect();
        assert_eq!(cover(apart.iter().map(String::as_str)).len(), 40);
    }

    #[test]
    fn empty_text_matches_nothing_for_text_events() {
        let cat = Catalogue::builtin();
        assert!(run(cat, "EXCEPTION_THROWN", b"").is_empty());
        assert!(run(cat, "USER_DEBUG", b"").is_empty());
        assert!(run(cat, MARKER_EVENT, b"").is_empty());
    }

    #[test]
    fn empty_text_still_matches_event_type_rules() {
        let cat = Catalogue::builtin();
        let out = run(cat, "FATAL_ERROR", b"");
        assert_eq!(ids(cat, &out), ["ANY_UNCAUGHT"]);
        assert_eq!(out[0].text, b"");
        assert_eq!(
            ids(cat, &run(cat, "FLOW_ELEMENT_FAULT", b"")),
            ["FLOW_FAULT_PATH"]
        );
    }

    #[test]
    fn invalid_utf8_text_is_matched_around_the_bad_bytes() {
        let cat = Catalogue::builtin();
        let text: &[u8] =
            b"EXCEPTION_THROWN|[3]|\xff\xfe System.LimitException: Too many DML rows: 10001 \xc3";
        let out = run(cat, "EXCEPTION_THROWN", text);
        assert_eq!(ids(cat, &out), ["LIMIT_DML_ROWS"]);
        assert_eq!(
            out[0].text,
            b"System.LimitException: Too many DML rows: 10001"
        );

        let garbage: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        assert!(run(cat, "EXCEPTION_THROWN", &garbage).is_empty());
    }

    #[test]
    fn invalid_utf8_inside_a_capture_is_kept_as_bytes() {
        let cat = Catalogue::builtin();
        let text: &[u8] = b"System.AssertException: Assertion Failed: \xff\xff";
        let out = run(cat, "EXCEPTION_THROWN", text);
        assert_eq!(ids(cat, &out), ["ASSERT_FAILED"]);
    }

    #[test]
    fn event_type_rule_reports_the_first_line_without_cr() {
        let cat = Catalogue::builtin();
        let text =
            b"FATAL_ERROR|acme.PostingException: boom\r\n\r\nClass.acme.Post.run: line 1, column 1";
        let out = run(cat, "FATAL_ERROR", text);
        assert_eq!(ids(cat, &out), ["ANY_UNCAUGHT"]);
        assert_eq!(out[0].text, b"FATAL_ERROR|acme.PostingException: boom");
    }

    #[test]
    fn specific_rule_hides_the_fallback() {
        let cat = Catalogue::builtin();
        let text = b"System.NullPointerException: Attempt to de-reference a null object";
        assert_eq!(ids(cat, &run(cat, "FATAL_ERROR", text)), ["NULL_POINTER"]);
    }

    #[test]
    fn specific_limit_overrides_limit_other() {
        let cat = Catalogue::builtin();
        let text = b"System.LimitException: zed:Too many future calls: 51";
        let out = run(cat, "FATAL_ERROR", text);
        assert_eq!(ids(cat, &out), ["LIMIT_FUTURE"]);
        assert_eq!(out[0].ns, Some(&b"zed"[..]));
    }

    #[test]
    fn user_debug_quoting_an_error_is_not_an_error() {
        let cat = Catalogue::builtin();
        let text = b"USER_DEBUG|[9]|DEBUG|caught System.QueryException: List has no rows for assignment to SObject";
        assert!(run(cat, "USER_DEBUG", text).is_empty());
    }

    #[test]
    fn results_are_appended_not_replaced() {
        let cat = Catalogue::builtin();
        let mut out = Vec::new();
        cat.match_event("FATAL_ERROR", b"x", &mut out);
        cat.match_event("FLOW_ELEMENT_FAULT", b"y", &mut out);
        assert_eq!(ids(cat, &out), ["ANY_UNCAUGHT", "FLOW_FAULT_PATH"]);
    }

    #[test]
    fn overlapping_literals_at_one_position_are_all_found() {
        let src = r#"
[[rule]]
id = "LONG"
title = "long"
severity = "warn"
literals = ["ABCDEF"]

[[rule]]
id = "SHORT"
title = "short"
severity = "info"
literals = ["ABC"]

[[rule]]
id = "INNER"
title = "inner"
severity = "info"
literals = ["CDE"]
"#;
        let cat = Catalogue::from_toml(src, "t.toml").unwrap();
        let out = run(&cat, "X", b"..ABCDEF..");
        assert_eq!(ids(&cat, &out), ["LONG", "SHORT", "INNER"]);
        assert_eq!(out[1].text, b"ABC");
        assert_eq!(ids(&cat, &run(&cat, "X", b"ABCD")), ["SHORT"]);
    }

    #[test]
    fn crlf_text_does_not_leak_cr_into_spans() {
        let cat = Catalogue::builtin();
        let text = b"System.AssertException: Assertion Failed\r\n\r\nClass.T.t: line 1, column 1";
        let out = run(cat, "EXCEPTION_THROWN", text);
        assert_eq!(out[0].text, b"System.AssertException: Assertion Failed");
    }

    #[test]
    fn sample_event_splits_timestamp_and_type() {
        assert_eq!(
            split_event_line("12:00:00.1 (1000000)|FATAL_ERROR|boom\nmore"),
            ("FATAL_ERROR", &b"FATAL_ERROR|boom\nmore"[..])
        );
        assert_eq!(
            split_event_line("12:00:00.1 (1000000)|LIMIT_USAGE_FOR_NS"),
            ("LIMIT_USAGE_FOR_NS", &b"LIMIT_USAGE_FOR_NS"[..])
        );
        assert_eq!(
            split_event_line("*** Skipped 10 bytes of detailed log"),
            (MARKER_EVENT, &b"*** Skipped 10 bytes of detailed log"[..])
        );
        assert_eq!(split_event_line(""), (MARKER_EVENT, &b""[..]));
    }

    #[test]
    fn severity_order_and_names() {
        assert!(Severity::Info < Severity::Warn);
        assert!(Severity::Warn < Severity::Error);
        assert!(Severity::Error < Severity::Fatal);
        for sev in Severity::ALL {
            assert_eq!(sev.to_string().parse::<Severity>(), Ok(sev));
            assert_eq!(
                serde_json::to_string(&sev).unwrap(),
                format!("\"{}\"", sev.as_str())
            );
        }
        assert!("panic".parse::<Severity>().is_err());
    }

    #[test]
    fn regex_errors_are_one_line() {
        let src = "[[rule]]\nid = \"R\"\ntitle = \"t\"\nseverity = \"info\"\nliterals = [\"x\"]\nregex = \"(?P<a\"\n";
        let e = Catalogue::from_toml(src, "u.toml").unwrap_err();
        let shown = e.to_string();
        assert!(!shown.contains('\n'), "{shown}");
        assert!(shown.starts_with("u.toml: rule R: bad regex: "), "{shown}");
    }

    #[test]
    fn toml_errors_name_the_line() {
        let src =
            "[[rule]]\nid = \"R\"\ntitle = \"t\"\nseverity = \"severe\"\nliterals = [\"x\"]\n";
        let e = Catalogue::from_toml(src, "u.toml").unwrap_err();
        assert_eq!(e.line(), Some(4), "{e}");
        assert!(e.to_string().starts_with("u.toml: line 4: "), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn override_cycles_are_rejected() {
        let src = r#"
[[rule]]
id = "A"
title = "a"
severity = "info"
literals = ["x"]
overrides = ["B"]

[[rule]]
id = "B"
title = "b"
severity = "info"
literals = ["y"]
overrides = ["A"]
"#;
        let e = Catalogue::from_toml(src, "c.toml").unwrap_err();
        assert!(e.to_string().contains("A -> B -> A"), "{e}");
    }

    #[test]
    fn lazy_ns_detection_agrees_with_the_compiled_regex() {
        for rule in Catalogue::builtin().rules() {
            if let Some(re) = rule.regex() {
                let real = re.capture_names().any(|n| n == Some("ns"));
                assert_eq!(rule.has_ns, real, "{}", rule.id);
            }
        }
    }

    #[test]
    fn catalogue_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Catalogue>();
        assert_send_sync::<Rule>();
        assert_send_sync::<RulesError>();
    }

    #[test]
    fn candidates_iterate_in_order() {
        let mut c = Candidates::default();
        for r in [130, 3, 64, 0, 63] {
            c.insert(r, 131);
        }
        assert_eq!(c.iter().collect::<Vec<_>>(), [0, 3, 63, 64, 130]);
    }
}
