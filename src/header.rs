//! The header line of a log: `61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO;…`.
//!
//! A header is recognised by its shape, not by its contents:
//!
//! ```text
//! header  = version " " setting { ";" setting } [spaces]
//! version = DIGITS "." DIGITS
//! setting = { WORD | "," }            ; WORD = [A-Za-z0-9_]+, may be empty
//! ```
//!
//! with at least one setting that is a well-formed `CATEGORY,LEVEL` pair (`[A-Z_]+` and
//! `[A-Za-z]+`). A setting that is not one the catalogue knows (an unknown category or
//! level, an empty entry `;;`, a missing level, an extra `,field`) does not make the line
//! anything else: the setting is kept verbatim and [`Setting::problem`] says what is odd
//! about it, which `analyze` reports as a log issue.
//!
//! [`is_header`] runs on every line that is not an event head (continuation text), so it
//! allocates nothing and rejects most lines on their first byte.

use crate::event::{Category, Level};
use nom::bytes::complete::{take_till, take_while};
use nom::character::complete::{char, digit1, space0};
use nom::combinator::{all_consuming, opt, recognize, rest};
use nom::multi::fold_many0;
use nom::sequence::preceded;
use nom::{IResult, Parser};

/// A debug level as a header states it: `NONE` or one of the event levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HeaderLevel {
    /// `NONE`: nothing of the category is written.
    None,
    /// A level: events of the category at this level or coarser are written.
    At(Level),
}

impl HeaderLevel {
    /// Read a level token (`FINEST`, `NONE`); case matters, as in real headers.
    pub fn from_token(t: &[u8]) -> Option<HeaderLevel> {
        if t == b"NONE" {
            return Some(HeaderLevel::None);
        }
        Level::from_token(t).map(HeaderLevel::At)
    }

    /// Would an event of level `l` be written at this header level?
    pub fn admits(self, l: Level) -> bool {
        match self {
            HeaderLevel::None => false,
            HeaderLevel::At(h) => l <= h,
        }
    }
}

/// What is odd about one setting of a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// An empty entry (`;;`, or a trailing `;`).
    Empty,
    /// A category without `,LEVEL`, or with an empty level.
    MissingLevel,
    /// More than `CATEGORY,LEVEL`: `APEX_CODE,FINE,EXTRA`.
    ExtraField,
    /// A category the catalogue does not know.
    UnknownCategory,
    /// A level that is not one of `NONE, ERROR, WARN, INFO, DEBUG, FINE, FINER, FINEST`.
    UnknownLevel,
}

impl Problem {
    /// A stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Empty => "empty-entry",
            Problem::MissingLevel => "missing-level",
            Problem::ExtraField => "extra-field",
            Problem::UnknownCategory => "unknown-category",
            Problem::UnknownLevel => "unknown-level",
        }
    }
}

/// One `;`-separated entry of a header, verbatim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting<'a> {
    /// The whole entry as written.
    pub raw: &'a [u8],
    /// The text before the first `,` (the whole entry if there is none).
    pub category: &'a [u8],
    /// The text between the first and the second `,` (empty if there is none).
    pub level: &'a [u8],
    /// The text after the second `,`, if any (`None` without one).
    pub extra: Option<&'a [u8]>,
}

impl<'a> Setting<'a> {
    /// `setting = category [ "," level [ "," extra ] ]`, every part possibly empty.
    fn of(raw: &'a [u8]) -> Setting<'a> {
        let field = || take_till(|c| c == b',');
        let parsed: IResult<&[u8], _> = (
            field(),
            opt(preceded(char(','), field())),
            opt(preceded(char(','), rest)),
        )
            .parse(raw);
        // Every part may be empty, so the grammar matches any text; the fallback is the
        // whole entry as its category.
        let (category, level, extra) = parsed.map_or((raw, None, None), |(_, v)| v);
        Setting {
            raw,
            category,
            level: level.unwrap_or(b""),
            extra,
        }
    }

    /// The category, when the catalogue knows it.
    pub fn known_category(&self) -> Option<Category> {
        Category::from_token(self.category)
    }

    /// The level, when it is one of the header levels.
    pub fn known_level(&self) -> Option<HeaderLevel> {
        HeaderLevel::from_token(self.level)
    }

    /// What is odd about the entry (the first problem found), or `None` for a plain pair.
    pub fn problem(&self) -> Option<Problem> {
        if self.raw.is_empty() {
            Some(Problem::Empty)
        } else if self.level.is_empty() {
            Some(Problem::MissingLevel)
        } else if self.extra.is_some() {
            Some(Problem::ExtraField)
        } else if self.known_category().is_none() {
            Some(Problem::UnknownCategory)
        } else if self.known_level().is_none() {
            Some(Problem::UnknownLevel)
        } else {
            None
        }
    }
}

/// A header line, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// The API version, such as `61.0`.
    pub version: &'a [u8],
    /// Everything after the version and its space, trailing spaces removed.
    pub settings_text: &'a [u8],
}

impl<'a> Header<'a> {
    /// Every `;`-separated entry, in order, empty ones included.
    pub fn settings(&self) -> impl Iterator<Item = Setting<'a>> + 'a + use<'a> {
        self.settings_text.split(|&c| c == b';').map(Setting::of)
    }

    /// The level the header sets for `c`, if it names the category with a known level.
    /// When a category is listed twice, the last entry wins.
    pub fn level_of(&self, c: Category) -> Option<HeaderLevel> {
        self.settings()
            .filter(|s| s.known_category() == Some(c))
            .filter_map(|s| s.known_level())
            .last()
    }
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn version(i: &[u8]) -> IResult<&[u8], &[u8]> {
    recognize((digit1, char('.'), digit1)).parse(i)
}

/// One entry: words and commas, possibly empty.
fn entry(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(|c| is_word(c) || c == b',')(i)
}

/// `CATEGORY,LEVEL` exactly, as written by Salesforce.
fn is_pair(e: &[u8]) -> bool {
    let s = Setting::of(e);
    s.extra.is_none()
        && !s.category.is_empty()
        && s.category
            .iter()
            .all(|&c| c.is_ascii_uppercase() || c == b'_')
        && !s.level.is_empty()
        && s.level.iter().all(u8::is_ascii_alphabetic)
}

/// The entries, with how many of them are well-formed pairs.
fn settings(i: &[u8]) -> IResult<&[u8], usize> {
    let (i, first) = entry(i)?;
    let start = usize::from(is_pair(first));
    fold_many0(
        preceded(char(';'), entry),
        move || start,
        |n, e| n + usize::from(is_pair(e)),
    )
    .parse(i)
}

/// The whole line (without its terminator).
fn header(i: &[u8]) -> IResult<&[u8], (Header<'_>, usize)> {
    let (rest, ver) = version(i)?;
    let (rest, _) = char(' ')(rest)?;
    let (after, pairs) = settings(rest)?;
    let text = &rest[..rest.len() - after.len()];
    let (after, _) = all_consuming(space0).parse(after)?;
    Ok((
        after,
        (
            Header {
                version: ver,
                settings_text: text,
            },
            pairs,
        ),
    ))
}

/// Parse a header line (`line` with or without its `\r\n`). `None` when the line does not
/// have a header's shape.
#[inline]
pub fn parse(line: &[u8]) -> Option<Header<'_>> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    match header(line) {
        Ok((_, (h, pairs))) if pairs > 0 => Some(h),
        _ => None,
    }
}

/// Does `line` have a header's shape? See the module docs.
#[inline]
pub fn is_header(line: &[u8]) -> bool {
    parse(line).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_header() {
        let h = parse(b"61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO\r\n").unwrap();
        assert_eq!(h.version, b"61.0");
        let s: Vec<_> = h.settings().collect();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].category, b"APEX_CODE");
        assert_eq!(s[0].level, b"FINEST");
        assert_eq!(s[0].problem(), None);
        assert_eq!(
            h.level_of(Category::ApexProfiling),
            Some(HeaderLevel::At(Level::Info))
        );
        assert_eq!(h.level_of(Category::Db), None);
    }

    #[test]
    fn odd_entries_are_kept_and_named() {
        let h = parse(b"62.0 APEX_CODE,FINE;;NEW_THING,INFO;DB,LOUD;SYSTEM,DEBUG,X;WAVE;").unwrap();
        let got: Vec<_> = h.settings().map(|s| (s.raw, s.problem())).collect();
        assert_eq!(
            got,
            vec![
                (&b"APEX_CODE,FINE"[..], None),
                (&b""[..], Some(Problem::Empty)),
                (&b"NEW_THING,INFO"[..], Some(Problem::UnknownCategory)),
                (&b"DB,LOUD"[..], Some(Problem::UnknownLevel)),
                (&b"SYSTEM,DEBUG,X"[..], Some(Problem::ExtraField)),
                (&b"WAVE"[..], Some(Problem::MissingLevel)),
                (&b""[..], Some(Problem::Empty)),
            ]
        );
        assert_eq!(h.level_of(Category::Db), None);
        assert_eq!(
            h.level_of(Category::System),
            Some(HeaderLevel::At(Level::Debug)),
            "an entry with an extra field still states its level"
        );
    }

    #[test]
    fn not_headers() {
        for l in [
            &b"61.0 apex"[..],
            b"61.0 ",
            b"61.0 ;;",
            b"1.5 apples, pears",
            b"12:00:00.1 (1)|X",
            b"61 APEX_CODE,FINE",
            b"61.0  APEX_CODE,FINE",
            b"61.0 APEX_CODE,FINE|x",
            b"",
        ] {
            assert!(!is_header(l), "{}", String::from_utf8_lossy(l));
        }
        assert!(is_header(b"32.0 APEX_CODE,DEBUG\r"));
        assert!(is_header(b"61.0 APEX_CODE,FINE "));
    }
}
