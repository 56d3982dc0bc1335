//! The `pii` class: e-mail addresses, tokens, secrets and keys.
//!
//! One aho-corasick automaton finds every trigger word (`%40`, `assw` of `password`,
//! `oken` of `token`, `Bearer`, `k_live_`, `AKIA`, `eyJ`, `-----BEGIN`…) in one pass, and
//! memchr every `@`; each hit is then checked by the small matcher of its kind. Most payloads
//! have no trigger and cost those two scans.

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
    /// A word of a phone key name (`phone`, `mobile`), with `contact`.
    PhoneKey,
    /// `Bearer` / `OAuth` and the token after it.
    Bearer,
    /// `Authorization` and its value.
    Authorization,
    /// `k_live_`, `k_test_` (Stripe `sk_`/`rk_` keys), `whsec_`.
    Stripe,
    /// `AKIA` / `ASIA` (AWS access key ids).
    Aws,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` (GitHub tokens).
    Github,
    /// `github_pat_` (GitHub fine-grained tokens).
    GithubPat,
    /// `xox` (`xoxb-`, `xoxp-`…) and `xapp-` (Slack tokens).
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

/// The trigger words, case-sensitive so that aho-corasick can use its SIMD (Teddy) searcher
/// (at most 64 words of 3 bytes or more; `@` is found with memchr). Key words are stems
/// without their first letter, so one covers the lower-case and the Capitalised form
/// (`assw`: `password`, `Password`, `passwd`; `oken`: `token`, `accessToken`); an upper-case
/// stem covers `PASSWORD`. The matcher of a key word reads the whole key around it.
const TRIGGERS: &[(&str, Trigger)] = &[
    ("%40", Trigger::PctAt),
    ("k_live_", Trigger::Stripe),
    ("k_test_", Trigger::Stripe),
    ("whsec_", Trigger::Stripe),
    ("github_pat_", Trigger::GithubPat),
    ("ghp_", Trigger::Github),
    ("gho_", Trigger::Github),
    ("ghu_", Trigger::Github),
    ("ghs_", Trigger::Github),
    ("ghr_", Trigger::Github),
    ("xox", Trigger::Slack),
    ("xapp-", Trigger::Slack),
    ("hooks.slack.com/services/", Trigger::SlackHook),
    ("AKIA", Trigger::Aws),
    ("ASIA", Trigger::Aws),
    ("AIza", Trigger::Google),
    ("eyJ", Trigger::Jwt),
    ("00D", Trigger::Session),
    ("-----BEGIN ", Trigger::Pem),
    ("://", Trigger::UrlAuth),
    ("Bearer", Trigger::Bearer),
    ("bearer", Trigger::Bearer),
    ("BEARER", Trigger::Bearer),
    ("OAuth", Trigger::Bearer),
    ("uthorization", Trigger::Authorization),
    ("UTHORIZATION", Trigger::Authorization),
    ("assw", Trigger::Key),
    ("ASSW", Trigger::Key),
    ("assphrase", Trigger::Key),
    ("ASSPHRASE", Trigger::Key),
    ("pwd", Trigger::Key),
    ("Pwd", Trigger::Key),
    ("PWD", Trigger::Key),
    ("ecret", Trigger::Key),
    ("ECRET", Trigger::Key),
    ("pi_key", Trigger::Key),
    ("pi_Key", Trigger::Key),
    ("pikey", Trigger::Key),
    ("piKey", Trigger::Key),
    ("pi-key", Trigger::Key),
    ("pi-Key", Trigger::Key),
    ("PI_KEY", Trigger::Key),
    ("PIKEY", Trigger::Key),
    ("PI-KEY", Trigger::Key),
    ("rivate_key", Trigger::Key),
    ("rivatekey", Trigger::Key),
    ("rivateKey", Trigger::Key),
    ("RIVATE_KEY", Trigger::Key),
    ("ignature", Trigger::Key),
    ("IGNATURE", Trigger::Key),
    ("oken", Trigger::Key),
    ("OKEN", Trigger::Key),
    ("ession", Trigger::Key),
    ("ESSION", Trigger::Key),
    ("hone", Trigger::PhoneKey),
    ("HONE", Trigger::PhoneKey),
    ("obile", Trigger::PhoneKey),
    ("OBILE", Trigger::PhoneKey),
];

fn triggers() -> &'static AhoCorasick {
    static A: OnceLock<AhoCorasick> = OnceLock::new();
    A.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(TRIGGERS.iter().map(|(w, _)| w))
            .expect("trigger patterns")
    })
}

/// Could `text` hold anything of the `pii` class? (One memchr and one automaton scan.)
#[inline]
pub fn wants(text: &[u8]) -> bool {
    memchr::memchr(b'@', text).is_some() || triggers().is_match(text)
}

/// Push the spans of the `pii` class in `text` (and phone-key values with `contact`), in
/// order and without overlaps.
pub fn find(text: &[u8], contact: bool, spans: &mut Vec<Span>) {
    let mut last = 0;
    let mut words = triggers().find_iter(text).peekable();
    let mut ats = memchr::memchr_iter(b'@', text).peekable();
    loop {
        // The next trigger: a word or an `@`, whichever comes first.
        let (s, e, trigger) = match (words.peek(), ats.peek()) {
            (None, None) => break,
            (Some(m), Some(&at)) if at < m.start() => {
                ats.next();
                (at, at + 1, Trigger::At)
            }
            (None, Some(&at)) => {
                ats.next();
                (at, at + 1, Trigger::At)
            }
            (Some(m), _) => {
                let t = (m.start(), m.end(), TRIGGERS[m.pattern().as_usize()].1);
                words.next();
                t
            }
        };
        if s < last {
            continue;
        }
        let hit = match trigger {
            Trigger::At => find_email(text, s, last).map(|(a, b)| (a, b, Kind::Email)),
            Trigger::PctAt => find_encoded_email(text, s, last).map(|(a, b)| (a, b, Kind::Email)),
            Trigger::Key => keyvalue::find_value(text, s, e, last, contact),
            Trigger::PhoneKey if contact => keyvalue::find_value(text, s, e, last, contact),
            Trigger::PhoneKey => None,
            Trigger::Bearer => bearer(text, e),
            Trigger::Authorization => authorization(text, e),
            Trigger::Stripe => stripe(text, s, e),
            Trigger::Aws => aws(text, s),
            Trigger::Github => shape(text, s, e, 30, |c| c.is_ascii_alphanumeric()),
            Trigger::GithubPat => shape(text, s, e, 22, |c| c.is_ascii_alphanumeric() || c == b'_'),
            Trigger::Slack => slack(text, s, e),
            Trigger::SlackHook => slack_hook(text, e),
            Trigger::Google => google(text, s),
            Trigger::Jwt => jwt(text, s),
            Trigger::Session => session(text, s),
            Trigger::Pem => pem(text, s),
            Trigger::UrlAuth => url_password(text, e),
        };
        // (A Stripe key starts one byte before its trigger, which may be masked already.)
        if let Some((a, b, kind)) = hit.filter(|&(a, b, _)| a >= last && b > a) {
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

/// A key of `prefix` + at least `min` `ok` bytes, starting a word: the whole key.
fn shape(
    t: &[u8],
    s: usize,
    e: usize,
    min: usize,
    ok: impl Fn(u8) -> bool,
) -> Option<(usize, usize, Kind)> {
    if !starts_word(t, s) {
        return None;
    }
    let end = run(t, e, ok);
    (end - e >= min).then_some((s, end, Kind::Secret))
}

/// `Bearer <token>` / `OAuth <token>`: the token (8+ characters).
fn bearer(t: &[u8], e: usize) -> Option<(usize, usize, Kind)> {
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

/// Stripe secret and restricted keys (`sk_live_…`, `rk_test_…`; the trigger is `k_live_` /
/// `k_test_`) and webhook secrets (`whsec_…`): 16+ letters and digits, at least one a digit
/// (so `sk_test_HelperMethods` stays).
fn stripe(t: &[u8], s: usize, e: usize) -> Option<(usize, usize, Kind)> {
    let s = if t[s] == b'k' {
        if s == 0 || !matches!(t[s - 1], b's' | b'r') {
            return None;
        }
        s - 1
    } else {
        s
    };
    if !starts_word(t, s) {
        return None;
    }
    let end = run(t, e, |c| c.is_ascii_alphanumeric());
    let body = &t[e..end];
    (body.len() >= 16 && body.iter().any(u8::is_ascii_digit)).then_some((s, end, Kind::Secret))
}

/// Slack tokens: `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-` or `xapp-`, then the workspace
/// number (a digit) and more of `[A-Za-z0-9-]`, 10 or more in all (`xoxb-format` stays).
fn slack(t: &[u8], s: usize, e: usize) -> Option<(usize, usize, Kind)> {
    let body = if &t[s..e] == b"xox" {
        if !matches!(t.get(e), Some(b'a' | b'b' | b'p' | b'r' | b's'))
            || t.get(e + 1) != Some(&b'-')
        {
            return None;
        }
        e + 2
    } else {
        e
    };
    if !t.get(body).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    shape(t, s, body, 10, |c| c.is_ascii_alphanumeric() || c == b'-')
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
/// body up to the next `-----` (`-----END`), or as far as it looks like one when the block
/// is cut. The body may
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
    // A cut block (no `-----END`) ends where its base64 (lines, `\n` escapes, the
    // `Proc-Type:`/`DEK-Info:` headers) does.
    let pem_char = |c: u8| {
        c.is_ascii_alphanumeric()
            || c.is_ascii_whitespace()
            || matches!(c, b'+' | b'/' | b'=' | b'\\' | b':' | b',' | b'-')
    };
    // The body ends at the next `-----` (its `-----END`: base64 has no dashes).
    let end = memchr::memmem::find(&t[body..], b"-----")
        .map_or_else(|| run(t, body, pem_char), |p| body + p);
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
    fn triggers_fit_the_simd_searcher() {
        // Teddy takes at most 64 patterns, and with more than 16 none shorter than 3 bytes.
        assert!(TRIGGERS.len() <= 64, "{}", TRIGGERS.len());
        assert!(TRIGGERS.iter().all(|(w, _)| w.len() >= 3));
    }

    #[test]
    fn key_words_in_every_usual_case() {
        for k in [
            "password",
            "Password",
            "PASSWORD",
            "clientSecret",
            "CLIENT_SECRET",
            "ApiKey",
            "X-API-KEY",
            "Api_Key",
            "accessToken",
            "SESSION_ID",
            "PrivateKey",
            "Passphrase",
            "PWD",
        ] {
            let s = format!("{k}=v4lue");
            assert_eq!(one(&s), "v4lue", "{k}");
        }
    }

    #[test]
    fn pem_block() {
        let t = "k=-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbCd==\n-----END RSA PRIVATE KEY-----";
        assert_eq!(one(t), "\nMIIEow\nAbCd==\n");
        let cut = "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\", \"user\": 1";
        assert_eq!(one(cut), "\\nMIIEvQ");
    }
}
