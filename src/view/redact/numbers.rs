//! The opt-in number classes: phone numbers (`contact`), payment card numbers (`cards`)
//! and IP addresses (`ip`). Each finder scans the text once; none uses a regex.

use super::{Kind, Span};
use std::net::Ipv6Addr;

#[inline]
fn digit(t: &[u8], i: usize) -> bool {
    t.get(i).is_some_and(u8::is_ascii_digit)
}

/// Nothing number-like glued before `i`: no letter or digit, and no `.`, `_`, `+` or `-`
/// that would make it part of a longer number or word.
#[inline]
fn free_before(t: &[u8], i: usize) -> bool {
    i == 0 || !(t[i - 1].is_ascii_alphanumeric() || matches!(t[i - 1], b'.' | b'_' | b'+' | b'-'))
}

/// Nothing number-like glued after `e`: no letter or digit, and no `.`/`-` followed by a
/// digit.
#[inline]
fn free_after(t: &[u8], e: usize) -> bool {
    match t.get(e) {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => false,
        Some(b'.' | b'-') => !digit(t, e + 1),
        Some(_) => true,
    }
}

/// Push the spans of the enabled number classes.
pub fn find(t: &[u8], cards: bool, contact: bool, ip: bool, spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < t.len() {
        let c = t[i];
        let found = if c.is_ascii_digit() && free_before(t, i) {
            (if cards { card(t, i) } else { None })
                .or_else(|| if ip { ipv4(t, i) } else { None })
                .or_else(|| if contact { phone(t, i) } else { None })
        } else if contact && (c == b'+' || c == b'(') {
            phone(t, i)
        } else {
            None
        };
        match found {
            Some((e, kind)) => {
                spans.push(Span {
                    start: i,
                    end: e,
                    kind,
                });
                i = e;
            }
            None => i += 1,
        }
    }
    if ip {
        ipv6(t, spans);
    }
}

/// Digits from `i` with single separators from `seps` between them (the same one each
/// time): the end of the last digit and the digits (up to 24).
fn grouped(t: &[u8], i: usize, seps: &[u8]) -> (usize, Vec<u8>) {
    let mut digits = Vec::with_capacity(20);
    let mut sep = None;
    let mut j = i;
    let mut end = i;
    while j < t.len() && digits.len() <= 24 {
        if t[j].is_ascii_digit() {
            digits.push(t[j] - b'0');
            j += 1;
            end = j;
        } else if seps.contains(&t[j])
            && digit(t, j + 1)
            && sep.is_none_or(|s| s == t[j])
            && end == j
        {
            sep = Some(t[j]);
            j += 1;
        } else {
            break;
        }
    }
    (end, digits)
}

/// A card number at `i`: 13 to 19 digits (optionally in groups separated by spaces or
/// dashes), the prefix of a card network, and a valid Luhn check digit.
fn card(t: &[u8], i: usize) -> Option<(usize, Kind)> {
    let (end, d) = grouped(t, i, b" -");
    if !(13..=19).contains(&d.len()) || !free_after(t, end) || !network(&d) || !luhn(&d) {
        return None;
    }
    Some((end, Kind::Card))
}

/// Does a number of this length start like a card of some network (Visa, Mastercard,
/// American Express, Diners, Discover, JCB, UnionPay, Maestro)?
fn network(d: &[u8]) -> bool {
    let n = d.len();
    let p2 = d[0] as u32 * 10 + d[1] as u32;
    let p4 = p2 * 100 + d[2] as u32 * 10 + d[3] as u32;
    match d[0] {
        4 => matches!(n, 13 | 16 | 19),
        2 => (2221..=2720).contains(&p4) && n == 16,
        3 => match p2 {
            34 | 37 => n == 15,
            30 | 36 | 38 | 39 | 35 => n >= 14,
            _ => false,
        },
        5 | 6 => n >= 16,
        _ => false,
    }
}

/// The Luhn check.
pub fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(k, &x)| {
            let x = x as u32;
            if k % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A dotted IPv4 address at `i`: four numbers 0–255 without leading zeros.
fn ipv4(t: &[u8], i: usize) -> Option<(usize, Kind)> {
    let mut j = i;
    for part in 0..4 {
        if part > 0 {
            if t.get(j) != Some(&b'.') {
                return None;
            }
            j += 1;
        }
        let s = j;
        while digit(t, j) && j - s < 4 {
            j += 1;
        }
        let n = &t[s..j];
        if n.is_empty() || n.len() > 3 || (n.len() > 1 && n[0] == b'0') {
            return None;
        }
        let v: u32 = n.iter().fold(0, |a, &c| a * 10 + (c - b'0') as u32);
        if v > 255 {
            return None;
        }
    }
    free_after(t, j).then_some((j, Kind::Ip))
}

/// A phone number at `i`:
/// * international, `+` and 8 to 15 digits in groups (spaces, dashes, dots, `(…)`);
/// * North American, `(415) 555-0132`, `415-555-0132`, `415.555.0132`, `415 555 0132`;
/// * national with a trunk `0`, 10 or 11 digits in 3+ groups (`020 7946 0958`).
fn phone(t: &[u8], i: usize) -> Option<(usize, Kind)> {
    let e = if t[i] == b'+' {
        if !free_before(t, i) || !digit(t, i + 1) {
            return None;
        }
        let (e, n) = phone_groups(t, i + 1);
        ((8..=15).contains(&n)).then_some(e)?
    } else {
        north_american(t, i).or_else(|| national(t, i))?
    };
    free_after(t, e).then_some((e, Kind::Phone))
}

/// Digits in groups separated by one space, dash or dot, or wrapped in `(…)`: the end of
/// the last digit and the count of digits.
fn phone_groups(t: &[u8], i: usize) -> (usize, usize) {
    let mut j = i;
    let mut end = i;
    let mut n = 0;
    while j < t.len() && n <= 15 {
        match t[j] {
            b'0'..=b'9' => {
                n += 1;
                j += 1;
                end = j;
            }
            b' ' | b'-' | b'.' if end == j && (digit(t, j + 1) || t.get(j + 1) == Some(&b'(')) => {
                j += 1
            }
            b'(' if digit(t, j + 1) => j += 1,
            b')' if end == j && n > 0 => {
                j += 1;
                end = j;
                if t.get(j) == Some(&b' ') && digit(t, j + 1) {
                    j += 1;
                }
            }
            _ => break,
        }
    }
    (end, n)
}

/// `(415) 555-0132`, `415-555-0132`, `415.555.0132`, `415 555 0132`, with an optional
/// `1-` / `1 ` in front.
fn north_american(t: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if t[j] == b'1'
        && matches!(t.get(j + 1), Some(b'-' | b' ' | b'.'))
        && (digit(t, j + 2) || t.get(j + 2) == Some(&b'('))
    {
        j += 2;
    }
    let sep;
    if t.get(j) == Some(&b'(') {
        if !(digit(t, j + 1) && digit(t, j + 2) && digit(t, j + 3)) || t.get(j + 4) != Some(&b')') {
            return None;
        }
        j += 5;
        if t.get(j) == Some(&b' ') {
            j += 1;
        }
        sep = None;
    } else {
        if !(digit(t, j) && digit(t, j + 1) && digit(t, j + 2)) {
            return None;
        }
        j += 3;
        let s = *t.get(j)?;
        if !matches!(s, b'-' | b'.' | b' ') {
            return None;
        }
        sep = Some(s);
        j += 1;
    }
    if !(digit(t, j) && digit(t, j + 1) && digit(t, j + 2)) {
        return None;
    }
    j += 3;
    let s = *t.get(j)?;
    if !matches!(s, b'-' | b'.' | b' ') || sep.is_some_and(|p| p != s) {
        return None;
    }
    j += 1;
    if !(digit(t, j) && digit(t, j + 1) && digit(t, j + 2) && digit(t, j + 3)) {
        return None;
    }
    Some(j + 4)
}

/// `020 7946 0958`, `06 12 34 56 78`: a trunk `0`, then 3+ groups of 2 to 5 digits
/// separated by single spaces (or dots), 10 or 11 digits in all.
fn national(t: &[u8], i: usize) -> Option<usize> {
    if t[i] != b'0' {
        return None;
    }
    let mut j = i;
    let mut groups = 0;
    let mut n = 0;
    let mut sep = None;
    loop {
        let s = j;
        while digit(t, j) {
            j += 1;
        }
        let len = j - s;
        if !(2..=5).contains(&len) {
            return None;
        }
        groups += 1;
        n += len;
        match t.get(j) {
            Some(&c @ (b' ' | b'.')) if digit(t, j + 1) && sep.is_none_or(|p| p == c) => {
                sep = Some(c);
                j += 1;
            }
            _ => break,
        }
    }
    (groups >= 3 && (10..=11).contains(&n)).then_some(j)
}

/// IPv6 addresses: a run of hex digits, `:` and `.` with at least two colons and two groups
/// that the standard parser accepts, holding `::` or a hex letter (so `1:2:3:4:5:6:7:8` counts
/// and times such as `12:00:00` never do).
fn ipv6(t: &[u8], spans: &mut Vec<Span>) {
    let ok = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
    let mut from = 0;
    let mut found = Vec::new();
    while let Some(p) = memchr::memchr(b':', &t[from..]).map(|p| from + p) {
        let mut s = p;
        while s > 0 && ok(t[s - 1]) {
            s -= 1;
        }
        let mut e = p;
        while e < t.len() && ok(t[e]) {
            e += 1;
        }
        from = e.max(p + 1);
        // Trim what cannot end an address (`a::b.` at the end of a sentence, `x:`).
        while e > s && t[e - 1] == b'.' {
            e -= 1;
        }
        if e - s < 3 || (s > 0 && (t[s - 1].is_ascii_alphanumeric() || t[s - 1] == b'_')) {
            continue;
        }
        if e < t.len() && (t[e].is_ascii_alphanumeric() || t[e] == b'_') {
            continue;
        }
        let cand = &t[s..e];
        if cand.iter().filter(|&&c| c == b':').count() < 2 {
            continue;
        }
        // Two groups at least (`fe80::1`; not `40::`, nor `::1`).
        if cand.split(|&c| c == b':').filter(|g| !g.is_empty()).count() < 2 {
            continue;
        }
        let compressed = memchr::memmem::find(cand, b"::").is_some();
        let letters = cand.iter().any(|c| c.is_ascii_alphabetic());
        if !(compressed || letters) || !cand.iter().any(u8::is_ascii_hexdigit) {
            continue;
        }
        let parsed = std::str::from_utf8(cand)
            .ok()
            .and_then(|s| s.parse::<Ipv6Addr>().ok());
        if parsed.is_some() {
            found.push(Span {
                start: s,
                end: e,
                kind: Kind::Ip,
            });
        }
    }
    spans.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(s: &str, cards: bool, contact: bool, ip: bool) -> Vec<(String, Kind)> {
        let mut v = Vec::new();
        find(s.as_bytes(), cards, contact, ip, &mut v);
        v.iter()
            .map(|sp| (s[sp.start..sp.end].to_string(), sp.kind))
            .collect()
    }

    fn all(s: &str) -> Vec<String> {
        spans(s, true, true, true)
            .into_iter()
            .map(|(s, _)| s)
            .collect()
    }

    #[test]
    fn cards_need_a_network_prefix_and_luhn() {
        assert_eq!(all("card 4111 1111 1111 1111 ok"), ["4111 1111 1111 1111"]);
        assert_eq!(all("n=5555-5555-5555-4444;"), ["5555-5555-5555-4444"]);
        assert_eq!(all("amex 378282246310005"), ["378282246310005"]);
        assert!(all("4111 1111 1111 1112").is_empty());
        assert!(all("issued_at 1767222000123").is_empty());
        assert!(all("4111-1111 1111-1111").is_empty());
    }

    #[test]
    fn phones() {
        assert_eq!(all("call +1 (415) 555-0132."), ["+1 (415) 555-0132"]);
        assert_eq!(all("tel +44 20 7946 0958"), ["+44 20 7946 0958"]);
        assert_eq!(all("(415) 555-0132"), ["(415) 555-0132"]);
        assert_eq!(all("415.555.0132 x"), ["415.555.0132"]);
        assert_eq!(all("fr 06 12 34 56 78"), ["06 12 34 56 78"]);
        for s in [
            "2026-12-03 09:00:00.1",
            "Number of SOQL queries: 1 out of 100",
            "415-555.0132",
            "1+23456789012",
            "ids 123-45-6789",
            "v59.0 and 1.2.3",
        ] {
            assert!(all(s).is_empty(), "{s}: {:?}", all(s));
        }
        assert!(spans("+1 415 555 0132", true, false, true).is_empty());
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(all("from 10.0.12.7:443"), ["10.0.12.7"]);
        assert_eq!(
            all("ip 2001:db8::8a2e:370:7334 x"),
            ["2001:db8::8a2e:370:7334"]
        );
        assert_eq!(all("[fe80::1]"), ["fe80::1"]);
        // The IPv4 part is found too; the redactor joins the two.
        assert!(all("::ffff:192.0.2.1").contains(&"::ffff:192.0.2.1".to_string()));
        for s in [
            "12:00:00.123",
            "1.2.3.4.5",
            "256.1.1.1",
            "00:1A:2B:3C:4D:5E",
            "v1.2.3.4",
            "a::b::c",
        ] {
            assert!(all(s).is_empty(), "{s}: {:?}", all(s));
        }
    }
}
