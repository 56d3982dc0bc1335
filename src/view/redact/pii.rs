//! The `pii` class: e-mail addresses, tokens, secrets and keys.
//!
//! One case-insensitive aho-corasick automaton finds every trigger word (`@`, `%40`,
//! `password`, `token`, `Bearer`, `sk_live_`, `AKIA`, `eyJ`, `-----BEGIN`…) in one pass;
//! each hit is then checked by the small matcher of its kind. Most payloads have no
//! trigger and cost that one scan.

use super::email::{find_email, find_encoded_email};
use super::keyvalue;
use super::{Kind, Span};
use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::OnceLock;

/// What a trigger word starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    /// `@`: an e-mail address.
    At,
    /// `%40`: a URL-encoded e-mail address.
    PctAt,
    /// A word of a secret key name (`password`, `token`…).
    Key,
    /// A word of a phone key name (`phone`…), with `contact`.
    PhoneKey,
    /// `Bearer` / `OAuth` and the token after it.
    Bearer,
    /// `Authorization` and its value.
    Authorization,
    /// `sk_live_`, `rk_test_`, `whsec_`… (Stripe).
    Stripe,
    /// `AKIA` / `ASIA` (AWS access key ids).
    Aws,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` (GitHub tokens).
    Github,
    /// `github_pat_` (GitHub fine-grained tokens).
    GithubPat,
    /// `xoxb-`, `xoxp-`…, `xapp-` (Slack tokens).
    Slack,
    /// `hooks.slack.com/services/` (Slack webhook URLs).
    SlackHook,
    /// `AIza` (Google API keys).
    Google,
    /// `eyJ` (JWTs).
    Jwt,
    /// `00D` (session ids: org id, `!`, token).
    Session,
    /// `-----BEGIN` (PEM blocks; private keys only).
    Pem,
    /// `://` (a password in a URL's user info).
    UrlAuth,
}

const TRIGGERS: &[(&str, Trigger)] = &[
    ("@", Trigger::At),
    ("%40", Trigger::PctAt),
    ("sk_live_", Trigger::Stripe),
    ("sk_test_", Trigger::Stripe),
    ("rk_live_", Trigger::Stripe),
    ("rk_test_", Trigger::Stripe),
    ("whsec_", Trigger::Stripe),
    ("github_pat_", Trigger::GithubPat),
    ("ghp_", Trigger::Github),
    ("gho_", Trigger::Github),
    ("ghu_", Trigger::Github),
    ("ghs_", Trigger::Github),
    ("ghr_", Trigger::Github),
    ("xoxa-", Trigger::Slack),
    ("xoxb-", Trigger::Slack),
    ("xoxp-", Trigger::Slack),
    ("xoxr-", Trigger::Slack),
    ("xoxs-", Trigger::Slack),
    ("xapp-", Trigger::Slack),
    ("hooks.slack.com/services/", Trigger::SlackHook),
    ("akia", Trigger::Aws),
    ("asia", Trigger::Aws),
    ("aiza", Trigger::Google),
    ("eyj", Trigger::Jwt),
    ("00d", Trigger::Session),
    ("-----begin", Trigger::Pem),
    ("://", Trigger::UrlAuth),
    ("authorization", Trigger::Authorization),
    ("bearer", Trigger::Bearer),
    ("oauth", Trigger::Bearer),
    ("password", Trigger::Key),
    ("passwd", Trigger::Key),
    ("passphrase", Trigger::Key),
    ("pwd", Trigger::Key),
    ("secret", Trigger::Key),
    ("api_key", Trigger::Key),
    ("apikey", Trigger::Key),
    ("api-key", Trigger::Key),
    ("access_key", Trigger::Key),
    ("accesskey", Trigger::Key),
    ("private_key", Trigger::Key),
    ("privatekey", Trigger::Key),
    ("signature", Trigger::Key),
    ("token", Trigger::Key),
    ("session", Trigger::Key),
    ("phone", Trigger::PhoneKey),
    ("mobile", Trigger::PhoneKey),
    ("fax", Trigger::PhoneKey),
];

fn triggers() -> &'static AhoCorasick {
    static A: OnceLock<AhoCorasick> = OnceLock::new();
    A.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .ascii_case_insensitive(true)
            .build(TRIGGERS.iter().map(|(w, _)| w))
            .expect("trigger patterns")
    })
}

/// Could `text` hold anything of the `pii` class? (One automaton scan.)
#[inline]
pub fn wants(text: &[u8]) -> bool {
    triggers().is_match(text)
}

/// Push the spans of the `pii` class in `text` (and phone-key values with `contact`), in
/// order and without overlaps.
pub fn find(text: &[u8], contact: bool, spans: &mut Vec<Span>) {
    let mut last = 0;
    for m in triggers().find_iter(text) {
        let (s, e) = (m.start(), m.end());
        if s < last {
            continue;
        }
        let hit = match TRIGGERS[m.pattern().as_usize()].1 {
            Trigger::At => find_email(text, s, last).map(|(a, b)| (a, b, Kind::Email)),
            Trigger::PctAt => find_encoded_email(text, s, last).map(|(a, b)| (a, b, Kind::Email)),
            Trigger::Key => keyvalue::find_value(text, s, e, last, contact),
            Trigger::PhoneKey if contact => keyvalue::find_value(text, s, e, last, contact),
            Trigger::PhoneKey => None,
            Trigger::Bearer => bearer(text, s, e),
            Trigger::Authorization => authorization(text, e),
            Trigger::Stripe => stripe(text, s, e),
            Trigger::Aws => aws(text, s),
            Trigger::Github => shape(text, s, e, 30, |c| c.is_ascii_alphanumeric()),
            Trigger::GithubPat => shape(text, s, e, 22, |c| c.is_ascii_alphanumeric() || c == b'_'),
            // Slack tokens go on with the workspace number: `xoxb-2048…` (not `xoxb-format`).
            Trigger::Slack if text.get(e).is_some_and(u8::is_ascii_digit) => {
                shape(text, s, e, 10, |c| c.is_ascii_alphanumeric() || c == b'-')
            }
            Trigger::Slack => None,
            Trigger::SlackHook => slack_hook(text, e),
            Trigger::Google => google(text, s),
            Trigger::Jwt => jwt(text, s),
            Trigger::Session => session(text, s),
            Trigger::Pem => pem(text, s),
            Trigger::UrlAuth => url_password(text, e),
        };
        if let Some((a, b, kind)) = hit {
            debug_assert!(a >= last && b > a);
            spans.push(Span {
                start: a,
                end: b,
                kind,
            });
            last = b;
        }
    }
}

#[inline]
fn token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'!' | b'-')
}

#[inline]
fn starts_word(t: &[u8], s: usize) -> bool {
    s == 0 || !t[s - 1].is_ascii_alphanumeric()
}

/// The run of `ok` bytes from `from`.
#[inline]
fn run(t: &[u8], from: usize, ok: impl Fn(u8) -> bool) -> usize {
    from + t[from..].iter().take_while(|&&c| ok(c)).count()
}

/// The trigger word was found case-insensitively; these shapes are lower case.
fn exact_case(t: &[u8], s: usize, e: usize) -> bool {
    let w = &t[s..e];
    TRIGGERS.iter().any(|(p, _)| p.as_bytes() == w)
}

/// A key of `prefix` + at least `min` `ok` bytes, starting a word: the whole key.
fn shape(
    t: &[u8],
    s: usize,
    e: usize,
    min: usize,
    ok: impl Fn(u8) -> bool,
) -> Option<(usize, usize, Kind)> {
    if !starts_word(t, s) || !exact_case(t, s, e) {
        return None;
    }
    let end = run(t, e, ok);
    (end - e >= min).then_some((s, end, Kind::Secret))
}

/// `Bearer <token>` / `OAuth <token>`: the token (8+ characters).
fn bearer(t: &[u8], s: usize, e: usize) -> Option<(usize, usize, Kind)> {
    let w = &t[s..e];
    if !(w == b"Bearer" || w == b"bearer" || w == b"BEARER" || w == b"OAuth") {
        return None;
    }
    let vs = run(t, e, |c| c == b' ' || c == b'\t');
    if vs == e {
        return None;
    }
    let ve = run(t, vs, token_char);
    (ve - vs >= 8).then_some((vs, ve, Kind::Token))
}

/// `Authorization: [Basic|Digest|Token|Bearer ]<value>` (also `=` and quoted keys).
fn authorization(t: &[u8], e: usize) -> Option<(usize, usize, Kind)> {
    let mut j = e;
    let quote = |j: usize| {
        if t[j..].starts_with(b"\\\"") {
            j + 2
        } else if t.get(j) == Some(&b'"') {
            j + 1
        } else {
            j
        }
    };
    let blanks = |j: usize| run(t, j, |c| c == b' ' || c == b'\t');
    j = blanks(quote(j));
    if !matches!(t.get(j), Some(b':' | b'=')) {
        return None;
    }
    j = quote(blanks(j + 1));
    for scheme in [
        &b"Basic"[..],
        b"Digest",
        b"Token",
        b"token",
        b"Bearer",
        b"bearer",
    ] {
        if t[j..].starts_with(scheme) {
            let k = blanks(j + scheme.len());
            if k > j + scheme.len() {
                j = k;
                break;
            }
        }
    }
    let ve = run(t, j, token_char);
    (ve - j >= 8).then_some((j, ve, Kind::Token))
}

/// Stripe secret and restricted keys (`sk_live_…`, `rk_test_…`) and webhook secrets
/// (`whsec_…`): 16+ letters and digits, at least one a digit (so `sk_test_HelperMethods`
/// stays).
fn stripe(t: &[u8], s: usize, e: usize) -> Option<(usize, usize, Kind)> {
    if !starts_word(t, s) || !exact_case(t, s, e) {
        return None;
    }
    let end = run(t, e, |c| c.is_ascii_alphanumeric());
    let body = &t[e..end];
    (body.len() >= 16 && body.iter().any(u8::is_ascii_digit)).then_some((s, end, Kind::Secret))
}

/// AWS access key ids: `AKIA` or `ASIA` and exactly 16 upper-case letters and digits.
fn aws(t: &[u8], s: usize) -> Option<(usize, usize, Kind)> {
    let w = &t[s..s + 4];
    if !(w == b"AKIA" || w == b"ASIA") || !starts_word(t, s) {
        return None;
    }
    let end = run(t, s + 4, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let whole = end == t.len() || !t[end].is_ascii_alphanumeric();
    (end - s == 20 && whole).then_some((s, end, Kind::Secret))
}

/// Google API keys: `AIza` and exactly 35 of `[A-Za-z0-9_-]`.
fn google(t: &[u8], s: usize) -> Option<(usize, usize, Kind)> {
    if &t[s..s + 4] != b"AIza" || !starts_word(t, s) {
        return None;
    }
    let end = run(t, s + 4, |c| {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
    });
    (end - s == 39).then_some((s, end, Kind::Secret))
}

/// `https://hooks.slack.com/services/T…/B…/…`: the path after `services/`.
fn slack_hook(t: &[u8], e: usize) -> Option<(usize, usize, Kind)> {
    let end = run(t, e, |c| c.is_ascii_alphanumeric() || c == b'/');
    (end - e >= 10).then_some((e, end, Kind::Secret))
}

/// A JWT: `eyJ` + 4+ base64url, `.`, 4+ base64url, optionally `.` and a signature.
fn jwt(t: &[u8], s: usize) -> Option<(usize, usize, Kind)> {
    if &t[s..s + 3] != b"eyJ" {
        return None;
    }
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    let h = run(t, s + 3, b64);
    if h - (s + 3) < 4 || t.get(h) != Some(&b'.') {
        return None;
    }
    let p = run(t, h + 1, b64);
    if p - (h + 1) < 4 {
        return None;
    }
    let mut end = p;
    if t.get(p) == Some(&b'.') {
        let sig = run(t, p + 1, b64);
        if sig > p + 1 {
            end = sig;
        }
    }
    Some((s, end, Kind::Token))
}

/// A session id: `00D` + 12 to 15 letters and digits (the org id), `!`, the token.
fn session(t: &[u8], s: usize) -> Option<(usize, usize, Kind)> {
    if &t[s..s + 3] != b"00D" {
        return None;
    }
    let org = run(t, s + 3, |c| c.is_ascii_alphanumeric());
    if !(12..=15).contains(&(org - s - 3)) || t.get(org) != Some(&b'!') {
        return None;
    }
    let end = run(t, org + 1, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')
    });
    (end > org + 1).then_some((s, end, Kind::Token))
}

/// `-----BEGIN … PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP … BLOCK): the
/// body up to `-----END`, or to the end of the text when the block is cut. The body may
/// span the event's continuation lines; the masking keeps its line breaks. Certificates
/// and public keys stay.
fn pem(t: &[u8], s: usize) -> Option<(usize, usize, Kind)> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    if !t[s..].starts_with(BEGIN) {
        return None;
    }
    let ls = s + BEGIN.len();
    let le = run(t, ls, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' '
    });
    let label = &t[ls..le];
    if !t[le..].starts_with(b"-----") || memchr::memmem::find(label, b"PRIVATE KEY").is_none() {
        return None;
    }
    let body = le + 5;
    let end = memchr::memmem::find(&t[body..], b"-----END").map_or(t.len(), |p| body + p);
    (end > body).then_some((body, end, Kind::Secret))
}

/// `scheme://user:password@host`: the password.
fn url_password(t: &[u8], e: usize) -> Option<(usize, usize, Kind)> {
    let stop =
        |c: u8| c.is_ascii_whitespace() || matches!(c, b'/' | b'@' | b'"' | b'\'' | b'|' | b',');
    let user = e + t[e..]
        .iter()
        .take(256)
        .take_while(|&&c| !stop(c) && c != b':')
        .count();
    if user == e || t.get(user) != Some(&b':') {
        return None;
    }
    let pw = user
        + 1
        + t[user + 1..]
            .iter()
            .take(256)
            .take_while(|&&c| !stop(c))
            .count();
    (pw > user + 1 && t.get(pw) == Some(&b'@')).then_some((user + 1, pw, Kind::Secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(s: &str) -> Vec<(String, Kind)> {
        let mut v = Vec::new();
        find(s.as_bytes(), true, &mut v);
        v.iter()
            .map(|sp| (s[sp.start..sp.end].to_string(), sp.kind))
            .collect()
    }

    fn one(s: &str) -> String {
        let v = spans(s);
        assert_eq!(v.len(), 1, "{s}: {v:?}");
        v[0].0.clone()
    }

    #[test]
    fn key_shapes() {
        let stripe = ["sk_live_", "51Hx9QeLkR2v0aBcDeFgHiJk"].concat();
        assert_eq!(one(&format!("key {stripe}, ok")), stripe);
        assert_eq!(one("id AKIAIOSFODNN7EXAMPLE."), "AKIAIOSFODNN7EXAMPLE");
        let gh = ["ghp_", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"].concat();
        assert_eq!(one(&gh), gh);
        let google = ["AIza", "SyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"].concat();
        assert_eq!(one(&format!("key={google}")), google);
        assert_eq!(
            one("t xoxb-1234567890-abcdefABCDEF end"),
            "xoxb-1234567890-abcdefABCDEF"
        );
        assert_eq!(one("https://u:pa55w0rd@host.example/x"), "pa55w0rd");
    }

    #[test]
    fn lookalikes_stay() {
        for s in [
            "sk_test_IntegrationHelperTests ran",
            "Asia/Tokyo",
            "ASIAPACIFICREGION2024X",
            "tokens used: 14",
            "task_live_feed",
            "-----BEGIN CERTIFICATE-----",
            "https://login.example.net/services/oauth2/token",
            "a015g00000Q29766 and 00D5g000004AbCdEAK/",
            "xoxb-token-format",
        ] {
            assert!(spans(s).is_empty(), "{s}: {:?}", spans(s));
        }
    }

    #[test]
    fn pem_block() {
        let t = "k=-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbCd==\n-----END RSA PRIVATE KEY-----";
        assert_eq!(one(t), "\nMIIEow\nAbCd==\n");
        let cut = "-----BEGIN PRIVATE KEY-----\\nMIIEvQ";
        assert_eq!(one(cut), "\\nMIIEvQ");
    }
}
