//! Share-safe redaction (`--redact pii` / `--redact pii,ids`).
//!
//! Masks e-mail addresses, bearer/OAuth/JWT/session tokens, `Authorization` header values
//! and `00D…!…` session ids with stable placeholders (`<email-1>`, `<token-1>`, and with
//! `ids` Salesforce record ids as `<id-1>`): one value maps to one placeholder throughout
//! a file. Only the payloads of events that carry user data are searched
//! ([`carries_data`]), and only after a cheap literal precheck (aho-corasick) finds one of
//! `@`, `Bearer`, `eyJ`, `00D`, `token`, `Authorization`… in them.

use crate::event::EventType;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{CaptureLocations, Regex};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// What `--redact` masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedactSpec {
    /// Record ids too (`pii,ids`).
    pub ids: bool,
}

impl FromStr for RedactSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut pii = false;
        let mut ids = false;
        for part in s.split(',') {
            match part.trim() {
                "pii" => pii = true,
                "ids" => ids = true,
                other => {
                    return Err(format!(
                        "unknown redaction '{other}'; valid forms: pii, pii,ids"
                    ))
                }
            }
        }
        if !pii {
            return Err(format!("'{s}' must include pii; valid forms: pii, pii,ids"));
        }
        Ok(RedactSpec { ids })
    }
}

impl fmt::Display for RedactSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.ids { "pii,ids" } else { "pii" })
    }
}

/// Does an event type carry user data (and so get searched)? The list is documented in
/// docs/views.md. Unknown types are searched too.
pub fn carries_data(t: EventType) -> bool {
    use EventType::*;
    t.is_user_debug()
        || matches!(
            t,
            DataweaveUserDebug
                | VariableAssignment
                | StackFrameVariableList
                | CalloutRequest
                | CalloutRequestPrepare
                | CalloutRequestFinalize
                | CalloutResponse
                | NamedCredentialRequest
                | NamedCredentialResponse
                | NamedCredentialResponseDetail
                | UserInfo
                | ExceptionThrown
                | FatalError
                | SoqlExecuteBegin
                | SoslExecuteBegin
                | QuerySqlLog
                | DmlBegin
                | EmailQueue
                | ValidationFormula
                | ValidationError
                | ValidationFail
                | WfFieldUpdate
                | WfFormula
                | WfRuleEvalValue
                | WfEmailAlert
                | WfEmailSent
                | WfCriteriaBegin
                | WfFlowActionDetail
                | WfFlowActionError
                | WfFlowActionErrorDetail
                | WfOutboundMsg
                | WfChatterPost
                | FlowValueAssignment
                | FlowAssignmentDetail
                | FlowActioncallDetail
                | FlowBulkElementDetail
                | FlowRuleDetail
                | FlowSubflowDetail
                | FlowLoopDetail
                | FlowScreenDetail
                | FlowCollectionProcessorDetail
                | FlowElementError
                | FlowStartInterviewsError
                | FlowCreateInterviewError
                | InvocableActionDetail
                | InvocableActionError
                | XdsDetail
                | XdsRequestDetail
                | XdsResponse
                | XdsResponseDetail
                | XdsResponseError
                | PushNotificationSent
                | Unknown
        )
}

const PRECHECK: &[&str] = &[
    "Bearer",
    "bearer",
    "OAuth",
    "eyJ",
    "00D",
    "token",
    "Token",
    "TOKEN",
    "Authorization",
    "authorization",
    "signature",
    "secret",
    "password",
    "session",
    "Session",
];

fn precheck() -> &'static AhoCorasick {
    static A: OnceLock<AhoCorasick> = OnceLock::new();
    A.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(PRECHECK)
            .expect("precheck patterns")
    })
}

// Groups: 1 key=value secret, 2 bearer/OAuth value, 3 Authorization value,
// 4 JWT, 5 session id. E-mail addresses are found by a memchr scan for `@` ([`find_email`]).
const PII: &str = concat!(
    r#"(?:access_token|refresh_token|id_token|auth_token|bearer_token|client_secret|"#,
    r#"signature|password|passwd|sessionId|session_id|api_key|apikey|"token")"#,
    r#"\\?"?\s*[:=]\s*\\?"?([A-Za-z0-9._~+/=!\-]{8,})"#,
    r#"|(?:Bearer|OAuth)\s+([A-Za-z0-9._~+/=!\-]{8,})"#,
    r#"|(?:Authorization|authorization)\\?"?\s*[:=]\s*\\?"?(?:(?:Basic|Digest|Token|token)\s+)?([A-Za-z0-9._~+/=!\-]{8,})"#,
    r#"|(eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}(?:\.[A-Za-z0-9_\-]+)?)"#,
    r#"|(00D[A-Za-z0-9]{12,15}![A-Za-z0-9._\-]+)"#,
);

const IDS: &str = r"\b[A-Za-z0-9]{5}0[A-Za-z0-9]{9}(?:[A-Z0-5]{3})?\b";

fn pii_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(PII).expect("pii regex"))
}

fn ids_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(IDS).expect("ids regex"))
}

/// Kinds of placeholders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Email,
    Token,
    Id,
}

/// A redactor with its placeholder maps (one per file).
#[derive(Debug)]
pub struct Redactor {
    spec: RedactSpec,
    emails: HashMap<Box<[u8]>, u32>,
    tokens: HashMap<Box<[u8]>, u32>,
    ids: HashMap<Box<[u8]>, u32>,
    locs: CaptureLocations,
    tmp: Vec<u8>,
    /// How many values were masked.
    pub masked: u64,
}

impl Redactor {
    /// A redactor for a spec.
    pub fn new(spec: RedactSpec) -> Self {
        Redactor {
            spec,
            emails: HashMap::new(),
            tokens: HashMap::new(),
            ids: HashMap::new(),
            locs: pii_re().capture_locations(),
            tmp: Vec::new(),
            masked: 0,
        }
    }

    fn placeholder(&mut self, kind: Kind, value: &[u8], out: &mut Vec<u8>) {
        let (map, name): (&mut HashMap<Box<[u8]>, u32>, &[u8]) = match kind {
            Kind::Email => (&mut self.emails, b"email"),
            Kind::Token => (&mut self.tokens, b"token"),
            Kind::Id => (&mut self.ids, b"id"),
        };
        let n = match map.get(value) {
            Some(&n) => n,
            None => {
                let n = map.len() as u32 + 1;
                map.insert(Box::from(value), n);
                n
            }
        };
        self.masked += 1;
        out.push(b'<');
        out.extend_from_slice(name);
        out.push(b'-');
        out.extend_from_slice(itoa_buf(n).as_slice());
        out.push(b'>');
    }

    /// Could `text` need redaction? (The literal precheck; always true with `ids`.)
    #[inline]
    pub fn wants(&self, text: &[u8]) -> bool {
        self.spec.ids || memchr::memchr(b'@', text).is_some() || precheck().find(text).is_some()
    }

    /// Redact `text` into `out` (appending). Returns true if anything was masked.
    pub fn redact(&mut self, text: &[u8], out: &mut Vec<u8>) -> bool {
        let has_at = memchr::memchr(b'@', text).is_some();
        let has_kw = precheck().find(text).is_some();
        if !(has_at || has_kw || self.spec.ids) {
            out.extend_from_slice(text);
            return false;
        }
        let start_len = out.len();
        let mut changed = false;
        if has_kw {
            changed |= self.tokens_pass(text, out);
        } else {
            out.extend_from_slice(text);
        }
        if has_at {
            let mut tmp = std::mem::take(&mut self.tmp);
            tmp.clear();
            tmp.extend_from_slice(&out[start_len..]);
            out.truncate(start_len);
            let mut last = 0;
            let mut from = 0;
            while let Some(at) = memchr::memchr(b'@', &tmp[from..]).map(|p| from + p) {
                match find_email(&tmp, at, last) {
                    Some((s, e)) => {
                        out.extend_from_slice(&tmp[last..s]);
                        self.placeholder(Kind::Email, &tmp[s..e], out);
                        last = e;
                        from = e;
                        changed = true;
                    }
                    None => from = at + 1,
                }
            }
            out.extend_from_slice(&tmp[last..]);
            self.tmp = tmp;
        }
        if self.spec.ids {
            changed |= self.ids_pass(start_len, out);
        }
        changed
    }

    fn tokens_pass(&mut self, text: &[u8], out: &mut Vec<u8>) -> bool {
        let mut changed = false;
        let re = pii_re();
        let mut locs = std::mem::replace(&mut self.locs, re.capture_locations());
        let mut pos = 0;
        let mut last = 0;
        while pos <= text.len() {
            let Some(m) = re.captures_read_at(&mut locs, text, pos) else {
                break;
            };
            let (ms, me) = (m.start(), m.end());
            let mut span = None;
            for g in 1..=5 {
                if let Some((s, e)) = locs.get(g) {
                    span = Some((s, e, Kind::Token));
                    break;
                }
            }
            if let Some((s, e, kind)) = span {
                out.extend_from_slice(&text[last..s]);
                self.placeholder(kind, &text[s..e], out);
                last = e;
                changed = true;
            }
            pos = if me > ms { me } else { me + 1 };
        }
        self.locs = locs;
        out.extend_from_slice(&text[last..]);
        changed
    }

    fn ids_pass(&mut self, start_len: usize, out: &mut Vec<u8>) -> bool {
        let mut changed = false;
        {
            let mut tmp = std::mem::take(&mut self.tmp);
            tmp.clear();
            tmp.extend_from_slice(&out[start_len..]);
            out.truncate(start_len);
            let mut last = 0;
            for m in ids_re().find_iter(&tmp) {
                let v = m.as_bytes();
                if is_record_id(v) {
                    out.extend_from_slice(&tmp[last..m.start()]);
                    self.placeholder(Kind::Id, v, out);
                    last = m.end();
                    changed = true;
                }
            }
            out.extend_from_slice(&tmp[last..]);
            self.tmp = tmp;
        }
        changed
    }
}

#[inline]
fn is_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

#[inline]
fn is_domain(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'-'
}

/// The e-mail address around the `@` at `at` (not starting before `floor`): a local part
/// of `[A-Za-z0-9._%+-]`, then a domain whose last label has at least two letters.
pub fn find_email(t: &[u8], at: usize, floor: usize) -> Option<(usize, usize)> {
    let mut s = at;
    while s > floor && is_local(t[s - 1]) {
        s -= 1;
    }
    if s == at {
        return None;
    }
    let mut run = at + 1;
    while run < t.len() && is_domain(t[run]) {
        run += 1;
    }
    let d = &t[at + 1..run];
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
            best = Some(at + 1 + i + 1 + k);
        }
    }
    best.map(|e| (s, e))
}

/// A plausible Salesforce record id: 15 or 18 letters and digits with at least two digits
/// in the first five (key prefix and instance); the regex already requires a `0` at the
/// sixth place and a checksum-alphabet suffix for the 18-character form.
pub fn is_record_id(v: &[u8]) -> bool {
    if !(v.len() == 15 || v.len() == 18) || !v.iter().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    if v[..5].iter().filter(|c| c.is_ascii_digit()).count() < 2 {
        return false;
    }
    // The 18-character form's suffix is a case checksum; it is not verified, because
    // hand-made and anonymised ids often get it wrong and must still be masked.
    true
}

struct Digits {
    buf: [u8; 10],
    start: usize,
}

impl Digits {
    fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(mut n: u32) -> Digits {
    let mut buf = [0u8; 10];
    let mut i = 10;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    Digits { buf, start: i }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(spec: &str, s: &str) -> String {
        let mut r = Redactor::new(spec.parse().unwrap());
        let mut out = Vec::new();
        r.redact(s.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn stable_placeholders() {
        let mut r = Redactor::new("pii".parse().unwrap());
        let mut out = Vec::new();
        r.redact(b"a@b.example and c@d.example then a@b.example", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<email-1> and <email-2> then <email-1>"
        );
    }

    #[test]
    fn tokens() {
        assert_eq!(
            red("pii", "{Authorization=Bearer eyJhbGc.eyJzdWIi.sig_1, X=1}"),
            "{Authorization=Bearer <token-1>, X=1}"
        );
        assert_eq!(
            red(
                "pii",
                "\"access_token\":\"00D5g000004AbCd!AQ4.x_y\",\"scope\":\"api refresh_token\""
            ),
            "\"access_token\":\"<token-1>\",\"scope\":\"api refresh_token\""
        );
        assert_eq!(
            red("pii", "HTTP Header Authorization=Method: None"),
            "HTTP Header Authorization=Method: None"
        );
    }

    #[test]
    fn emails() {
        assert_eq!(
            find_email(b"x a.b+c@d-e.example.org, y", 7, 0),
            Some((2, 23))
        );
        assert_eq!(find_email(b"@home", 0, 0), None);
        assert_eq!(find_email(b"a@b", 1, 0), None);
        assert_eq!(
            red("pii", "\\\"e\\\":\\\"m.g@acme-pii.example\\\""),
            "\\\"e\\\":\\\"<email-1>\\\""
        );
    }

    #[test]
    fn record_ids() {
        assert!(is_record_id(b"0015g00000AbCdEAAZ"));
        assert!(is_record_id(b"5005g00000XyZaB"));
        assert!(!is_record_id(b"ThreadIdentifier"));
        assert_eq!(
            red(
                "pii,ids",
                "case 5005g00000XyZaB and 5005g00000XyZaB, prefix 500 STATEMENT_EXECUTE"
            ),
            "case <id-1> and <id-1>, prefix 500 STATEMENT_EXECUTE"
        );
        assert_eq!(red("pii", "case 5005g00000XyZaB"), "case 5005g00000XyZaB");
    }

    #[test]
    fn spec_errors() {
        assert!("ids".parse::<RedactSpec>().is_err());
        assert!("pii,foo".parse::<RedactSpec>().is_err());
        assert!("pii,ids".parse::<RedactSpec>().unwrap().ids);
    }
}
