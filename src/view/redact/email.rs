//! E-mail addresses: `local@domain.tld`, and URL-encoded as `local%40domain.tld`.

#[inline]
fn is_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

#[inline]
fn is_domain(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'-'
}

/// The e-mail address around the `@` at `at` (not starting before `floor`): a local part
/// of `[A-Za-z0-9._%+-]` not starting with `.` or `-`, then a domain whose last label has at least two letters.
pub fn find_email(t: &[u8], at: usize, floor: usize) -> Option<(usize, usize)> {
    around(t, at, at + 1, floor)
}

/// The URL-encoded e-mail address around the `%40` at `pct` (`maria.gonzalez%40acme.example`),
/// with the same rules as [`find_email`].
pub fn find_encoded_email(t: &[u8], pct: usize, floor: usize) -> Option<(usize, usize)> {
    if !t[pct..].starts_with(b"%40") {
        return None;
    }
    around(t, pct, pct + 3, floor)
}

/// The address whose separator is `t[sep..domain]`.
fn around(t: &[u8], sep: usize, domain: usize, floor: usize) -> Option<(usize, usize)> {
    let mut s = sep;
    while s > floor && is_local(t[s - 1]) {
        s -= 1;
    }
    // A local part starts with a letter, digit or `_` (`-----END@x` is `END@x`).
    while s < sep && matches!(t[s], b'.' | b'-') {
        s += 1;
    }
    if s == sep {
        return None;
    }
    let mut run = domain;
    while run < t.len() && is_domain(t[run]) {
        run += 1;
    }
    let d = &t[domain..run];
    // The furthest `.` followed by 2+ letters, with a non-empty label before it.
    let mut best = None;
    for (i, &c) in d.iter().enumerate() {
        if c != b'.' || i == 0 || d[i - 1] == b'.' {
            continue;
        }
        let k = d[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        if k >= 2 {
            best = Some(domain + i + 1 + k);
        }
    }
    best.map(|e| (s, e))
}

/// The address as one value, whatever its encoding: `%XX` escapes decoded, so that
/// `a%40b.example` and `a@b.example` get one placeholder.
pub fn normalize(v: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%'
            && i + 2 < v.len()
            && let (Some(h), Some(l)) = (hex(v[i + 1]), hex(v[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {
        assert_eq!(
            find_email(b"x a.b+c@d-e.example.org, y", 7, 0),
            Some((2, 23))
        );
        assert_eq!(find_email(b"@home", 0, 0), None);
        assert_eq!(find_email(b"a@b", 1, 0), None);
        assert_eq!(find_email(b"ab@c.example", 2, 1), Some((1, 12)));
        assert_eq!(find_email(b"-----END@c.example", 8, 0), Some((5, 18)));
    }

    #[test]
    fn encoded() {
        let t = b"?to=maria.gonzalez%40acme.example&x=1";
        assert_eq!(find_encoded_email(t, 18, 0), Some((4, 33)));
        assert_eq!(find_encoded_email(b"/%40user", 1, 0), None);
        assert_eq!(normalize(b"jo%2Bx%40acme.example"), b"jo+x@acme.example");
        assert_eq!(normalize(b"a%4"), b"a%4");
    }
}
