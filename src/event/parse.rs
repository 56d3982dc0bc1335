//! The event grammar. [`head`] parses `HH:MM:SS.f (NANOS)|TYPE` with nom on one complete
//! line; [`Event`] then gives lazy, borrowed access to the fields.

use super::kind::Layout;
use super::table::EventType;
use crate::bytes::find_byte;
use memchr::memrchr;
use nom::bytes::complete::{tag, take_while, take_while_m_n, take_while1};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::sequence::delimited;
use nom::{IResult, Parser};

/// The parsed head of an event line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Wall-clock time as milliseconds since midnight (the fraction is an integer
    /// millisecond count, not a decimal fraction: see format.md §7).
    pub wall_ms: u32,
    /// Nanoseconds since the request started; `None` in old logs that lack ` (NANOS)`.
    pub nanos: Option<u64>,
    /// The event type ([`EventType::Unknown`] if not in the catalogue).
    pub etype: EventType,
    /// Byte range of the type name within the line.
    pub type_start: u32,
    /// End of the type name; the body starts after the `|` that may follow.
    pub type_end: u32,
}

fn digits_n(n: usize) -> impl Fn(&[u8]) -> IResult<&[u8], u32> {
    move |i| {
        let (rest, d) = take_while_m_n(n, n, |c: u8| c.is_ascii_digit())(i)?;
        Ok((
            rest,
            d.iter().fold(0u32, |a, &c| a * 10 + (c - b'0') as u32),
        ))
    }
}

fn wall(i: &[u8]) -> IResult<&[u8], u32> {
    let (i, h) = digits_n(2)(i)?;
    let (i, _) = char(':')(i)?;
    let (i, m) = digits_n(2)(i)?;
    let (i, _) = char(':')(i)?;
    let (i, s) = digits_n(2)(i)?;
    let (i, _) = char('.')(i)?;
    let (i, f) = take_while_m_n(1, 3, |c: u8| c.is_ascii_digit())(i)?;
    let frac = f.iter().fold(0u32, |a, &c| a * 10 + (c - b'0') as u32);
    Ok((i, ((h * 60 + m) * 60 + s) * 1000 + frac))
}

fn nanos(i: &[u8]) -> IResult<&[u8], u64> {
    let (i, d) = delimited(
        tag(&b" ("[..]),
        take_while_m_n(1, 19, |c: u8| c.is_ascii_digit()),
        char(')'),
    )
    .parse(i)?;
    Ok((i, d.iter().fold(0u64, |a, &c| a * 10 + (c - b'0') as u64)))
}

fn type_name(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (rest, _) = take_while1(|c: u8| c.is_ascii_uppercase())(i)?;
    let (rest, _) =
        take_while(|c: u8| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')(rest)?;
    Ok((rest, &i[..i.len() - rest.len()]))
}

/// `HH:MM:SS` with zero digits, as a little-endian word.
const CLOCK: u64 = u64::from_le_bytes(*b"00:00:00");
/// The two `:` bytes of [`CLOCK`].
const COLONS: u64 = 0x0000_ff00_00ff_0000;

/// The run of ASCII digits at the start of `b`: its value (wrapping past `u64`) and length.
/// Nanosecond stamps have 6–11 digits: the first 16 bytes are read as two words, the run
/// length found with a bit trick and each word's digits combined with three multiplies.
#[inline(always)]
fn leading_digits(b: &[u8]) -> (u64, usize) {
    const POW10: [u64; 9] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
    ];
    if let Some(words) = b.get(..16) {
        let w0 = u64::from_le_bytes(words[..8].try_into().unwrap());
        let k0 = digit_run(w0);
        if k0 < 8 {
            return (word_digits(w0, k0), k0);
        }
        let w1 = u64::from_le_bytes(words[8..].try_into().unwrap());
        let k1 = digit_run(w1);
        if k1 < 8 {
            let v = word_digits(w0, 8)
                .wrapping_mul(POW10[k1])
                .wrapping_add(word_digits(w1, k1));
            return (v, 8 + k1);
        }
    }
    let mut v = 0u64;
    for (n, &c) in b.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return (v, n);
        }
        v = v.wrapping_mul(10).wrapping_add(d as u64);
    }
    (v, b.len())
}

/// How many of the 8 bytes of `w` (little-endian) are ASCII digits before the first other byte.
#[inline(always)]
fn digit_run(w: u64) -> usize {
    // Non-zero bytes mark non-digits: high nibble not 3, or low nibble above 9. (A carry out
    // of a byte only happens above a non-digit, so the first non-digit is still exact.)
    let hi = (w & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030;
    let lo =
        (w.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030;
    let bad = hi | lo;
    if bad == 0 {
        8
    } else {
        (bad.trailing_zeros() / 8) as usize
    }
}

/// The value of the first `k` (0–8) bytes of `w`, all ASCII digits.
#[inline(always)]
fn word_digits(w: u64, k: usize) -> u64 {
    if k == 0 {
        return 0;
    }
    // The k digits moved to the top of the word, zero bytes (leading zeros) below them.
    let mut d = (w & 0x0F0F_0F0F_0F0F_0F0F) << (8 * (8 - k));
    d = (d.wrapping_mul(10) + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    d = (d.wrapping_mul(100) + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    (d.wrapping_mul(10_000) + (d >> 32)) & 0xFFFF_FFFF
}

/// Parse the head of an event line (`line` without its terminator). Returns `None` when the
/// line is not an event line: then it is a header, marker, preamble or continuation line.
///
/// This is the hot path of the whole program, so it is a hand-written scanner over fixed
/// positions. [`head_nom`] is the same grammar written with nom; a property test checks
/// that the two agree on arbitrary lines.
#[inline(always)]
pub fn head(line: &[u8]) -> Option<Head> {
    // HH:MM:SS. — fixed positions, checked as one 8-byte word.
    if line.len() < 12 || line[8] != b'.' {
        return None;
    }
    let x = u64::from_le_bytes(line[..8].try_into().unwrap()) ^ CLOCK;
    // Every byte of `x` is now 0–9 for a digit and 0 for the `:`s.
    if ((x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080) != 0 || x & COLONS != 0
    {
        return None;
    }
    let byte = |k: u32| (x >> (8 * k)) as u32 & 0xff;
    let h = byte(0) * 10 + byte(1);
    let m = byte(3) * 10 + byte(4);
    let s = byte(6) * 10 + byte(7);
    let mut i = 9;
    let mut frac = 0u32;
    while i < 12 && line[i].is_ascii_digit() {
        frac = frac * 10 + (line[i] - b'0') as u32;
        i += 1;
    }
    if i == 9 {
        return None;
    }
    let mut nanos = None;
    if line.get(i) == Some(&b' ') {
        // " (NANOS)"
        if line.get(i + 1) != Some(&b'(') {
            return None;
        }
        let start = i + 2;
        let (v, n) = leading_digits(line.get(start..).unwrap_or(&[]));
        let j = start + n;
        if n == 0 || n > 19 || line.get(j) != Some(&b')') {
            return None;
        }
        nanos = Some(v);
        i = j + 1;
    }
    if line.get(i) != Some(&b'|') {
        return None;
    }
    let type_start = i + 1;
    // Find the end of the name first and look it up: a known name is valid by construction,
    // so the per-character check runs only for unknown names.
    let mut end =
        crate::bytes::find_byte(b'|', &line[type_start..]).map_or(line.len(), |k| type_start + k);
    if end == line.len() && end > type_start && line[end - 1] == b'\r' {
        end -= 1;
    }
    let name = &line[type_start..end];
    let etype = EventType::from_name(name);
    if etype == EventType::Unknown {
        let valid = name.first().is_some_and(u8::is_ascii_uppercase)
            && name
                .iter()
                .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
        if !valid {
            return None;
        }
    }
    Some(Head {
        wall_ms: ((h * 60 + m) * 60 + s) * 1000 + frac,
        nanos,
        etype,
        type_start: type_start as u32,
        type_end: end as u32,
    })
}

/// The event-head grammar written with nom: `HH:MM:SS.f{1,3}[ (NANOS)]|TYPE` followed by
/// `|` or the end of the line. The specification that [`head`] implements by hand.
pub fn head_nom(line: &[u8]) -> Option<Head> {
    let (rest, wall_ms) = wall(line).ok()?;
    let (rest, nanos) = opt(nanos).parse(rest).ok()?;
    let (rest, _) = char::<_, nom::error::Error<&[u8]>>('|')(rest).ok()?;
    let type_start = line.len() - rest.len();
    let (rest, name) = type_name(rest).ok()?;
    if !(rest.is_empty() || rest[0] == b'|' || rest == b"\r") {
        return None;
    }
    Some(Head {
        wall_ms,
        nanos,
        etype: EventType::from_name(name),
        type_start: type_start as u32,
        type_end: (type_start + name.len()) as u32,
    })
}

/// One parsed event. It borrows from the input buffer: nothing is copied.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// The head (time, nanos, type).
    pub head: Head,
    /// The whole record, continuation lines and line terminator included.
    pub raw: &'a [u8],
    /// Byte offset of the record in the (decoded) input.
    pub offset: u64,
    /// 1-based line number of the record's first line.
    pub line: u64,
}

impl<'a> Event<'a> {
    /// Build an event from an event record and its parsed head.
    pub fn new(head: Head, raw: &'a [u8], offset: u64, line: u64) -> Self {
        Event {
            head,
            raw,
            offset,
            line,
        }
    }

    /// The event type.
    #[inline]
    pub fn etype(&self) -> EventType {
        self.head.etype
    }

    /// The type name as written (also for unknown types).
    #[inline]
    pub fn type_name(&self) -> &'a [u8] {
        &self.raw[self.head.type_start as usize..self.head.type_end as usize]
    }

    /// Nanoseconds since the request started, if the log has them.
    #[inline]
    pub fn nanos(&self) -> Option<u64> {
        self.head.nanos
    }

    /// The text after `TYPE|` up to the end of the record, continuation lines included,
    /// without the record's final line terminator.
    #[inline]
    pub fn body(&self) -> &'a [u8] {
        let start = self.head.type_end as usize;
        let end = trim_terminator(self.raw);
        if start < end && self.raw[start] == b'|' {
            &self.raw[start + 1..end]
        } else {
            &[]
        }
    }

    /// The first line of the body (no continuation lines).
    #[inline]
    pub fn first_line(&self) -> &'a [u8] {
        let b = self.body();
        match find_byte(b'\n', b) {
            Some(n) => strip_cr(&b[..n]),
            None => b,
        }
    }

    /// True if the event has continuation lines.
    pub fn is_multiline(&self) -> bool {
        find_byte(b'\n', self.body()).is_some()
    }

    /// The event's fields, split according to the type's [`Layout`].
    pub fn fields(&self) -> Fields<'a> {
        Fields::new(self.body(), self.head.etype.layout())
    }

    /// Field `i` (0-based, after the type), or `None`.
    pub fn field(&self, i: usize) -> Option<&'a [u8]> {
        self.fields().nth(i)
    }

    /// The source line in the first field (`[41]`), or `None` for `[EXTERNAL]` and
    /// events without a line field.
    pub fn source_line(&self) -> Option<u32> {
        // Every frame entry and exit asks, so read `|[digits]` straight off the record.
        let raw = self.raw;
        let at = self.head.type_end as usize;
        if raw.get(at) != Some(&b'|') || raw.get(at + 1) != Some(&b'[') {
            return None;
        }
        let digits = at + 2;
        let mut v = 0u64;
        let mut i = digits;
        while i < raw.len() && i < digits + 10 {
            let d = raw[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v * 10 + d as u64;
            i += 1;
        }
        if i == digits || raw.get(i) != Some(&b']') {
            return None;
        }
        u32::try_from(v).ok()
    }

    /// The last field: for most types the free text (message, query, signature).
    pub fn last_field(&self) -> &'a [u8] {
        self.fields().last().unwrap_or(&[])
    }
}

/// Parse a decimal `u32`; `None` if empty, not all digits, or too large.
pub fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u64;
    }
    u32::try_from(v).ok()
}

/// Parse a decimal `u64` allowing `,` thousands separators.
pub fn parse_u64_commas(b: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    let mut any = false;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
                any = true;
            }
            b',' => {}
            _ => return None,
        }
    }
    any.then_some(v)
}

/// Length of `raw` without one trailing `\n` or `\r\n`.
#[inline]
pub fn trim_terminator(raw: &[u8]) -> usize {
    let mut end = raw.len();
    if end > 0 && raw[end - 1] == b'\n' {
        end -= 1;
        if end > 0 && raw[end - 1] == b'\r' {
            end -= 1;
        }
    }
    end
}

#[inline]
fn strip_cr(b: &[u8]) -> &[u8] {
    match b.last() {
        Some(b'\r') => &b[..b.len() - 1],
        _ => b,
    }
}

/// Iterator over an event's fields. Borrowed; allocates nothing.
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    rest: Option<&'a [u8]>,
    /// How many more fields may still be split off the front (u8::MAX: unlimited on line 1).
    splits_left: u8,
    /// For tail layouts: the fields split off the end, in order.
    tail: [&'a [u8]; 4],
    tail_len: u8,
    tail_pos: u8,
    first_line_end: usize,
}

impl<'a> Fields<'a> {
    fn new(body: &'a [u8], layout: Layout) -> Self {
        let first_line_end = find_byte(b'\n', body).unwrap_or(body.len());
        let mut f = Fields {
            rest: Some(body),
            splits_left: u8::MAX,
            tail: [&[]; 4],
            tail_len: 0,
            tail_pos: 0,
            first_line_end,
        };
        match layout {
            Layout::Split => {}
            Layout::Head(n) => f.splits_left = n.saturating_sub(1),
            Layout::Tail(n) => {
                // Split `n` fields off the end of the whole (trimmed) text.
                let mut text = trim_trailing_newlines(body);
                let mut parts: [&[u8]; 4] = [&[]; 4];
                let n = (n as usize).min(4);
                let mut got = 0;
                while got < n {
                    match memrchr(b'|', text) {
                        Some(p) => {
                            parts[n - 1 - got] = &text[p + 1..];
                            text = &text[..p];
                            got += 1;
                        }
                        None => break,
                    }
                }
                if got == n {
                    f.tail = parts;
                    f.tail_len = n as u8;
                    f.rest = Some(text);
                    f.splits_left = 0;
                } else {
                    f.splits_left = 0;
                }
            }
        }
        if body.is_empty() {
            f.rest = None;
        }
        f
    }
}

fn trim_trailing_newlines(mut b: &[u8]) -> &[u8] {
    while let Some(&c) = b.last() {
        if c == b'\n' || c == b'\r' {
            b = &b[..b.len() - 1];
        } else {
            break;
        }
    }
    b
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some(rest) = self.rest {
            if self.splits_left > 0 {
                let limit = self.first_line_end.min(rest.len());
                if let Some(p) = find_byte(b'|', &rest[..limit]) {
                    self.rest = Some(&rest[p + 1..]);
                    self.first_line_end -= p + 1;
                    if self.splits_left != u8::MAX {
                        self.splits_left -= 1;
                    }
                    return Some(strip_cr(&rest[..p]));
                }
            }
            self.rest = None;
            return Some(if find_byte(b'\n', rest).is_some() {
                rest
            } else {
                strip_cr(rest)
            });
        }
        if self.tail_pos < self.tail_len {
            let f = self.tail[self.tail_pos as usize];
            self.tail_pos += 1;
            return Some(strip_cr(f));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(line: &[u8]) -> Event<'_> {
        let end = trim_terminator(line);
        let first = memchr::memchr(b'\n', &line[..end]).unwrap_or(end);
        let h = head(strip_cr(&line[..first])).expect("event line");
        Event::new(h, line, 0, 1)
    }

    proptest::proptest! {
        #[test]
        fn leading_digits_agree_with_a_fold(
            run in "[0-9]{0,21}",
            tail in proptest::collection::vec(proptest::sample::select(b"0123456789:/;(|\xff a".to_vec()), 0..20),
        ) {
            let mut b = run.into_bytes();
            b.extend_from_slice(&tail);
            let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let v = b[..n].iter().fold(0u64, |a, &c| a.wrapping_mul(10).wrapping_add((c - b'0') as u64));
            proptest::prop_assert_eq!(leading_digits(&b), (v, n));
        }
    }

    proptest::proptest! {
        #[test]
        fn source_line_agrees_with_the_field_reading(body in proptest::collection::vec(proptest::sample::select(b"[]0123456789|\n\ra".to_vec()), 0..20)) {
            let mut line = b"12:00:00.1 (1)|METHOD_ENTRY|".to_vec();
            line.extend_from_slice(&body);
            let e = ev(&line);
            // The reading by fields: `[N]` at the start of the body, N of 1–10 digits.
            let b = e.body();
            let want = if b.first() == Some(&b'[') {
                b.iter().take(12).position(|&c| c == b']').and_then(|close| parse_u32(&b[1..close]))
            } else {
                None
            };
            proptest::prop_assert_eq!(e.source_line(), want);
        }
    }

    #[test]
    fn head_with_nanos() {
        let h = head(b"14:22:07.48 (48231907)|SOQL_EXECUTE_BEGIN|[41]|x").unwrap();
        assert_eq!(h.wall_ms, ((14 * 60 + 22) * 60 + 7) * 1000 + 48);
        assert_eq!(h.nanos, Some(48231907));
        assert_eq!(h.etype, EventType::SoqlExecuteBegin);
    }

    #[test]
    fn fraction_is_integer_milliseconds() {
        assert_eq!(head(b"00:00:01.2 (1)|X").unwrap().wall_ms, 1002);
        assert_eq!(head(b"00:00:01.183 (1)|X").unwrap().wall_ms, 1183);
        assert!(head(b"00:00:01.1834 (1)|X").is_none());
    }

    #[test]
    fn old_logs_without_nanos() {
        let h = head(b"12:00:00.026|EXECUTION_STARTED").unwrap();
        assert_eq!(h.nanos, None);
        assert_eq!(h.etype, EventType::ExecutionStarted);
    }

    #[test]
    fn unknown_type_is_kept() {
        let e = ev(b"12:00:00.1 (5)|BRAND_NEW_EVENT|[4]|x\n");
        assert_eq!(e.etype(), EventType::Unknown);
        assert_eq!(e.type_name(), b"BRAND_NEW_EVENT");
    }

    #[test]
    fn not_event_lines() {
        assert!(head(b"61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO").is_none());
        assert!(head(b"12:00:00.1 (5)|lowercase").is_none());
        assert!(head(b"12:00:00.1 (5) |X").is_none());
        assert!(head(b"12:00:00.1 (5)|USER_DEBUGx").is_none());
        assert!(head(b"  Number of SOQL queries: 1 out of 100").is_none());
        assert!(head(b"").is_none());
    }

    #[test]
    fn user_debug_message_keeps_pipes_and_lines() {
        let e = ev(b"10:02:55.7 (7)|USER_DEBUG|[88]|DEBUG|a|b\n{\n \"x\":1\n}\n");
        let f: Vec<_> = e.fields().collect();
        assert_eq!(f, vec![&b"[88]"[..], b"DEBUG", b"a|b\n{\n \"x\":1\n}"]);
        assert_eq!(e.source_line(), Some(88));
        assert_eq!(e.first_line(), b"[88]|DEBUG|a|b");
    }

    #[test]
    fn crlf_is_stripped_from_fields() {
        let e = ev(b"10:02:55.7 (7)|METHOD_ENTRY|[3]|01p|Foo.bar()\r\n");
        let f: Vec<_> = e.fields().collect();
        assert_eq!(f, vec![&b"[3]"[..], b"01p", b"Foo.bar()"]);
    }

    #[test]
    fn tail_fixed_flow_error_fields() {
        let e = ev(
            b"10:00:00.1 (1)|FLOW_ELEMENT_ERROR|Bad value: a|b\nmore|FlowDecision|Check_Status\n",
        );
        let f: Vec<_> = e.fields().collect();
        assert_eq!(
            f,
            vec![
                &b"Bad value: a|b\nmore"[..],
                b"FlowDecision",
                b"Check_Status"
            ]
        );
    }

    #[test]
    fn empty_trailing_field() {
        let e = ev(b"10:00:00.1 (1)|LIMIT_USAGE_FOR_NS|(default)|\n  Number of SOQL queries: 1 out of 100\n");
        let f: Vec<_> = e.fields().collect();
        assert_eq!(f[0], b"(default)");
        assert_eq!(e.source_line(), None);
    }

    #[test]
    fn no_body() {
        let e = ev(b"10:00:00.1 (1)|EXECUTION_STARTED\n");
        assert_eq!(e.body(), b"");
        assert_eq!(e.fields().count(), 0);
    }
}
