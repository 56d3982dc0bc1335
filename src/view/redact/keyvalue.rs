//! Values of secret-named keys: `{"password":"hunter2"}`, `client_secret = '…'`,
//! `?api_key=…&`, `X-Api-Key: …`, `{pwd=…, user=…}` and the `|name|"value"` fields of
//! `VARIABLE_ASSIGNMENT`, in plain or escaped JSON.
//!
//! A key is the run of `[A-Za-z0-9_.-]` around a trigger word; it names a secret when,
//! lower-cased with everything but letters and digits removed (and a custom field's `__c`
//! and trailing digits dropped), it ends with one of [`SECRET_KEYS`] or [`TOKEN_KEYS`]
//! (or, with `contact`, [`PHONE_KEYS`]).

use super::Kind;

/// Key endings whose values are secrets (`<secret-N>`).
pub const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secretkey",
    "apikey",
    "accesskey",
    "privatekey",
    "signature",
];

/// Key endings whose values are tokens (`<token-N>`).
pub const TOKEN_KEYS: &[&str] = &["token", "sessionid", "sessionkey"];

/// Key endings whose values are phone numbers (`<phone-N>`, with `contact`).
pub const PHONE_KEYS: &[&str] = &["phone", "mobile"];

/// Values that are no secret: placeholders for "nothing".
const EMPTY_VALUES: &[&[u8]] = &[
    b"null",
    b"true",
    b"false",
    b"undefined",
    b"none",
    b"nil",
    b"session_id_removed",
];

#[inline]
fn is_key(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// What a key names, from its text.
fn key_kind(key: &[u8], contact: bool) -> Option<Kind> {
    let mut n: Vec<u8> = key
        .iter()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if key.len() > 3 && key[key.len() - 3..].eq_ignore_ascii_case(b"__c") {
        n.pop();
    }
    while n.last().is_some_and(u8::is_ascii_digit) {
        n.pop();
    }
    let ends = |list: &[&str]| list.iter().any(|k| n.ends_with(k.as_bytes()));
    if ends(SECRET_KEYS) {
        Some(Kind::Secret)
    } else if ends(TOKEN_KEYS) {
        Some(Kind::Token)
    } else if contact && ends(PHONE_KEYS) {
        Some(Kind::Phone)
    } else {
        None
    }
}

/// The value of the key around the trigger word at `word..word_end`, if the key names a
/// secret and a value follows it: its span and kind. The key does not start before `floor`.
pub fn find_value(
    t: &[u8],
    word: usize,
    word_end: usize,
    floor: usize,
    contact: bool,
) -> Option<(usize, usize, Kind)> {
    let mut ks = word;
    while ks > floor && is_key(t[ks - 1]) {
        ks -= 1;
    }
    let mut ke = word_end;
    while ke < t.len() && is_key(t[ke]) {
        ke += 1;
    }
    // A placeholder (`<secret-1>`) is no key.
    if ks > 0 && t[ks - 1] == b'<' {
        return None;
    }
    let kind = key_kind(&t[ks..ke], contact)?;
    let mut j = ke;
    // The key's closing quote (`"key"`, `\"key\"`, `'key'`).
    if t[j..].starts_with(b"\\\"") {
        j += 2;
    } else if j < t.len() && matches!(t[j], b'"' | b'\'') {
        j += 1;
    }
    j = skip_blanks(t, j);
    let field = ks > 0 && t[ks - 1] == b'|';
    let colon = t.get(j) == Some(&b':');
    match t.get(j) {
        Some(b'=') if t.get(j + 1) == Some(&b'=') => return None,
        Some(b'=') if t.get(j + 1) == Some(&b'>') => j += 2,
        Some(b'=') => j += 1,
        Some(b':') if t.get(j + 1) == Some(&b':') => return None,
        Some(b':') => j += 1,
        // `VARIABLE_ASSIGNMENT|[14]|password|"hunter2"`: the next field is the value.
        Some(b'|') if field && j == ke => j += 1,
        _ => return None,
    }
    j = skip_blanks(t, j);
    let shape = match kind {
        Kind::Phone => Bare::Phone,
        _ if colon => Bare::Text,
        _ => Bare::Word,
    };
    let (vs, ve) = value(t, j, shape)?;
    let v = &t[vs..ve];
    // (A value that is a placeholder already is returned: the redactor keeps it as it is,
    // and nothing inside the key is read again, as on the first pass.)
    if EMPTY_VALUES.iter().any(|e| v.eq_ignore_ascii_case(e))
        || v.iter().all(|&c| c == b'*')
        || is_call(v)
    {
        return None;
    }
    Some((vs, ve, kind))
}

#[inline]
fn skip_blanks(t: &[u8], mut j: usize) -> usize {
    while j < t.len() && matches!(t[j], b' ' | b'\t') {
        j += 1;
    }
    j
}

/// How far an unquoted value runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bare {
    /// To a blank or a delimiter (`key=value`).
    Word,
    /// Over blanks too, to a delimiter or the end of the line (`key: some text`).
    Text,
    /// Over the characters of a phone number (digits, `+`, `(`, `)`, `-`, `.`, space).
    Phone,
}

/// The value starting at `j`: the inside of quotes (to the closing quote, or the end of
/// the line), or an unquoted value as `bare` says.
fn value(t: &[u8], j: usize, bare: Bare) -> Option<(usize, usize)> {
    let eol = |from: usize| memchr::memchr2(b'\n', b'\r', &t[from..]).map_or(t.len(), |p| from + p);
    let (vs, ve) = if t[j..].starts_with(b"\\\"") {
        let s = j + 2;
        let end = eol(s);
        let e = memchr::memmem::find(&t[s..end], b"\\\"").map_or(end, |p| s + p);
        (s, e)
    } else if t.get(j) == Some(&b'"') {
        let s = j + 1;
        let end = eol(s);
        let mut e = s;
        while e < end && !(t[e] == b'"' && t[e - 1] != b'\\') {
            e += 1;
        }
        (s, e)
    } else if t.get(j) == Some(&b'\'') {
        let s = j + 1;
        let end = eol(s);
        (s, memchr::memchr(b'\'', &t[s..end]).map_or(end, |p| s + p))
    } else if bare == Bare::Phone {
        let mut e = j;
        while e < t.len() && matches!(t[e], b'0'..=b'9' | b'+' | b'(' | b')' | b'-' | b'.' | b' ') {
            e += 1;
        }
        while e > j && matches!(t[e - 1], b' ' | b'.' | b'-') {
            e -= 1;
        }
        (j, e)
    } else {
        let blank_ok = bare == Bare::Text;
        let mut e = j;
        while e < t.len()
            && !(t[e].is_ascii_whitespace() && !(blank_ok && matches!(t[e], b' ' | b'\t')))
            && !matches!(
                t[e],
                b'&' | b',' | b';' | b'|' | b'"' | b'\'' | b'}' | b']' | b'\\'
            )
        {
            e += 1;
        }
        while e > j && matches!(t[e - 1], b' ' | b'\t') {
            e -= 1;
        }
        (j, e)
    };
    (ve > vs).then_some((vs, ve))
}

/// `<kind-N>`: a value already masked.
pub fn is_placeholder(v: &[u8]) -> bool {
    let Some(inner) = v.strip_prefix(b"<").and_then(|v| v.strip_suffix(b">")) else {
        return false;
    };
    match inner.iter().position(|&c| c == b'-') {
        Some(d) => {
            d > 0
                && inner[..d].iter().all(u8::is_ascii_lowercase)
                && inner.len() > d + 1
                && inner[d + 1..].iter().all(u8::is_ascii_digit)
        }
        None => false,
    }
}

/// A method call such as `resp.getBody()` (Apex code in the preamble), not a value.
fn is_call(v: &[u8]) -> bool {
    let Some(open) = v.iter().position(|&c| c == b'(') else {
        return false;
    };
    open > 0
        && v.ends_with(b")")
        && (v[0].is_ascii_alphabetic() || v[0] == b'_')
        && v[..open]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(s: &str) -> Option<(String, Kind)> {
        let t = s.as_bytes();
        let w = [
            "password",
            "secret",
            "token",
            "pwd",
            "apikey",
            "api_key",
            "api-key",
            "phone",
            "session",
            "passphrase",
        ]
        .iter()
        .filter_map(|w| s.to_ascii_lowercase().find(w).map(|p| (p, p + w.len())))
        .min()?;
        find_value(t, w.0, w.1, 0, true)
            .map(|(s, e, k)| (String::from_utf8_lossy(&t[s..e]).into_owned(), k))
    }

    #[test]
    fn forms() {
        let s = |v: &str| Some((v.to_string(), Kind::Secret));
        assert_eq!(val(r#"{"password":"hunter2"}"#), s("hunter2"));
        assert_eq!(val(r#"{\"client_secret\": \"a b\"}"#), s("a b"));
        assert_eq!(val("?user=x&Password=p%40ss&next=1"), s("p%40ss"));
        assert_eq!(val("X-Api-Key: k-123"), s("k-123"));
        assert_eq!(val("passphrase: correct horse, x"), s("correct horse"));
        assert_eq!(val("{pwd=abc, user=x}"), s("abc"));
        assert_eq!(val("String dbPassword2 = 'q';"), s("q"));
        assert_eq!(val("[14]|this.password|\"hunter2\"|0x1f"), s("hunter2"));
        assert_eq!(val("Password__c = 'x'"), s("x"));
        assert_eq!(
            val(r#""access_token":"abc.def""#),
            Some(("abc.def".into(), Kind::Token))
        );
        assert_eq!(
            val(r#""Phone":"(415) 555-0132""#),
            Some(("(415) 555-0132".into(), Kind::Phone))
        );
        assert_eq!(
            val("MobilePhone=+1 415 555 0132, x"),
            Some(("+1 415 555 0132".into(), Kind::Phone))
        );
    }

    #[test]
    fn not_values() {
        for s in [
            r#""scope":"api refresh_token""#,
            r#""token_type":"Bearer""#,
            "if (password == null)",
            "password != x",
            "reset password for user",
            r#"{"password":null}"#,
            r#""password":"""#,
            "Password=********",
            "SELECT Id, Password__c FROM Credential__c",
            "passwordLength: 12",
            "<secret-1>: x",
            "String token = resp.getBody();",
            "UserInfo.getSessionId(): SESSION_ID_REMOVED",
            "std::password::x",
        ] {
            assert_eq!(val(s), None, "{s}");
        }
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder(b"<secret-12>"));
        assert!(!is_placeholder(b"<secret->"));
        assert!(!is_placeholder(b"<a b-1>"));
    }
}
