//! Share-safe redaction (`--redact pii[,ids,contact,cards,ip]`, `--redact all`).
//!
//! The classes are listed in [`spec::CLASSES`] and docs/redaction.md. `pii` masks e-mail
//! addresses (also URL-encoded), bearer/OAuth/JWT/session tokens, `Authorization` values,
//! the values of password-, secret-, key- and token-named keys (JSON, query strings,
//! `key=value`, `key: value`, `VARIABLE_ASSIGNMENT` fields), well-known API key shapes
//! (Stripe, AWS, GitHub, Slack, Google), PEM private keys and passwords in URLs
//! ([`pii`]); `ids` masks record ids ([`ids`]); `contact`, `cards` and `ip` mask phone
//! numbers, Luhn-checked card numbers and IP addresses ([`numbers`]).
//!
//! Each value is replaced by a stable placeholder (`<email-1>`, `<token-2>`, `<secret-1>`,
//! `<id-3>`, `<phone-1>`, `<card-1>`, `<ip-1>`): one value maps to one placeholder
//! throughout a file. A masked value keeps its line breaks and `|` characters (those inside
//! it before the placeholder), so the redacted log has the same lines and fields as the original and
//! parses the same way. Only the payloads of events that carry user data are searched
//! ([`carries_data`]); the `pii` class starts with one aho-corasick scan for its trigger
//! words, which most payloads fail.

mod email;
pub mod ids;
mod keyvalue;
pub mod numbers;
pub mod pii;
pub mod spec;

pub use email::{find_email, find_encoded_email};
pub use ids::is_record_id;
pub use spec::RedactSpec;

use crate::event::EventType;
use std::cmp::Reverse;
use std::collections::HashMap;

/// Does an event type carry user data (and so get searched)? The list is documented in
/// docs/redaction.md. Unknown types are searched too.
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

/// Kinds of placeholders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `<email-N>`
    Email,
    /// `<token-N>`: bearer, OAuth, JWT and session tokens, `Authorization` values, values
    /// of `…token` and `…session_id` keys.
    Token,
    /// `<secret-N>`: passwords, secrets, API keys, private keys.
    Secret,
    /// `<id-N>`
    Id,
    /// `<phone-N>`
    Phone,
    /// `<card-N>`
    Card,
    /// `<ip-N>`
    Ip,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Email,
        Kind::Token,
        Kind::Secret,
        Kind::Id,
        Kind::Phone,
        Kind::Card,
        Kind::Ip,
    ];

    /// The placeholder's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Token => "token",
            Kind::Secret => "secret",
            Kind::Id => "id",
            Kind::Phone => "phone",
            Kind::Card => "card",
            Kind::Ip => "ip",
        }
    }

    fn index(self) -> usize {
        Kind::ALL.iter().position(|&k| k == self).unwrap_or(0)
    }
}

/// A value to mask: `text[start..end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Its placeholder kind.
    pub kind: Kind,
}

/// Bytes a masked value keeps: line breaks and field separators.
#[inline]
fn structural(c: u8) -> bool {
    matches!(c, b'\n' | b'\r' | b'|')
}

/// `v` without the line breaks and field separators around it.
fn trim_structural(v: &[u8]) -> &[u8] {
    let s = v.iter().position(|&c| !structural(c)).unwrap_or(v.len());
    let e = v.iter().rposition(|&c| !structural(c)).map_or(s, |e| e + 1);
    &v[s..e]
}

/// A redactor with its placeholder map (one per file).
#[derive(Debug)]
pub struct Redactor {
    spec: RedactSpec,
    /// Value → its placeholder (kind and number); one map for all kinds, so a value found
    /// by two patterns keeps its first placeholder.
    values: HashMap<Box<[u8]>, (Kind, u32)>,
    counts: [u32; 7],
    spans: Vec<Span>,
    /// How many values were masked.
    pub masked: u64,
}

impl Redactor {
    /// A redactor for a spec.
    pub fn new(spec: RedactSpec) -> Self {
        Redactor {
            spec,
            values: HashMap::new(),
            counts: [0; 7],
            spans: Vec::new(),
            masked: 0,
        }
    }

    fn placeholder(&mut self, kind: Kind, value: &[u8], out: &mut Vec<u8>) {
        let normalized;
        let key = if kind == Kind::Email {
            normalized = email::normalize(value);
            &normalized[..]
        } else {
            value
        };
        let (kind, n) = match self.values.get(key) {
            Some(&p) => p,
            None => {
                let c = &mut self.counts[kind.index()];
                *c += 1;
                self.values.insert(Box::from(key), (kind, *c));
                (kind, *c)
            }
        };
        self.masked += 1;
        out.push(b'<');
        out.extend_from_slice(kind.name().as_bytes());
        out.push(b'-');
        push_decimal(out, n);
        out.push(b'>');
    }

    /// Could `text` need redaction? (The cheap precheck; always true with `ids`.)
    #[inline]
    pub fn wants(&self, text: &[u8]) -> bool {
        self.spec.ids
            || (self.spec.numbers() && text.iter().any(u8::is_ascii_digit))
            || pii::wants(text)
    }

    /// The spans to mask in `text`, in order and without overlaps (overlapping finds are
    /// joined, so no part of a found value stays).
    pub fn spans(&mut self, text: &[u8]) -> &[Span] {
        let spans = &mut self.spans;
        spans.clear();
        pii::find(text, self.spec.contact, spans);
        let first = spans.len();
        if self.spec.ids {
            ids::find(text, spans);
        }
        if self.spec.numbers() {
            let s = self.spec;
            numbers::find(text, s.cards, s.contact, s.ip, spans);
        }
        if spans.len() > first {
            spans.sort_unstable_by_key(|s| (s.start, Reverse(s.end)));
            let mut w = 0;
            for r in 0..spans.len() {
                if w > 0 && spans[r].start < spans[w - 1].end {
                    spans[w - 1].end = spans[w - 1].end.max(spans[r].end);
                } else {
                    spans[w] = spans[r];
                    w += 1;
                }
            }
            spans.truncate(w);
        }
        &self.spans
    }

    /// Redact `text` into `out` (appending). Returns true if anything was masked.
    pub fn redact(&mut self, text: &[u8], out: &mut Vec<u8>) -> bool {
        self.spans(text);
        if self.spans.is_empty() {
            out.extend_from_slice(text);
            return false;
        }
        let spans = std::mem::take(&mut self.spans);
        let mut last = 0;
        for sp in &spans {
            out.extend_from_slice(&text[last..sp.start]);
            let v = &text[sp.start..sp.end];
            match v.iter().position(|&c| !structural(c)) {
                // Already a placeholder (a second pass): kept, so redaction is idempotent.
                Some(_) if keyvalue::is_placeholder(trim_structural(v)) => out.extend_from_slice(v),
                // Line breaks and `|` inside the value go before the placeholder, those
                // around it stay where they are: what touches the value on either side
                // touches the placeholder, so a second pass reads the same context.
                Some(lead) => {
                    let tail = v
                        .iter()
                        .rposition(|&c| !structural(c))
                        .map_or(v.len(), |p| p + 1);
                    out.extend_from_slice(&v[..lead]);
                    out.extend(v[lead..tail].iter().copied().filter(|&c| structural(c)));
                    self.placeholder(sp.kind, v, out);
                    out.extend_from_slice(&v[tail..]);
                }
                None => out.extend_from_slice(v),
            }
            last = sp.end;
        }
        out.extend_from_slice(&text[last..]);
        self.spans = spans;
        true
    }
}

/// Append `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, mut n: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
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
        let mut r = Redactor::new(RedactSpec::PII);
        let mut out = Vec::new();
        r.redact(b"a@b.example and c@d.example then a@b.example", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<email-1> and <email-2> then <email-1>"
        );
        // The URL-encoded form is the same address.
        assert_eq!(
            red("pii", "m.g@acme.example ?to=m.g%40acme.example&x=1"),
            "<email-1> ?to=<email-1>&x=1"
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
    fn secrets() {
        assert_eq!(
            red("pii", r#"{"password":"hunter2","user":"x"}"#),
            r#"{"password":"<secret-1>","user":"x"}"#
        );
        let key = ["sk_live_", "51Hx9QeLkR2v0aBcDeFgHiJk"].concat();
        assert_eq!(
            red("pii", &format!("api_key={key} then {key}")),
            "api_key=<secret-1> then <secret-1>"
        );
    }

    #[test]
    fn masking_keeps_lines_and_fields() {
        let t = "[5]|password|\"a|b\"|0x1f\n-----BEGIN PRIVATE KEY-----\nMIIE\nAbCd\n-----END PRIVATE KEY-----\n";
        let out = red("pii", t);
        assert_eq!(
            out,
            "[5]|password|\"|<secret-1>\"|0x1f\n-----BEGIN PRIVATE KEY-----\n\n<secret-2>\n-----END PRIVATE KEY-----\n"
        );
        assert_eq!(red("pii", &out), out, "idempotent");
    }

    #[test]
    fn record_ids() {
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
    fn number_classes_are_opt_in() {
        let t = "card 4111 1111 1111 1111, call +1 415 555 0132 from 10.1.2.3";
        assert_eq!(red("pii", t), t);
        assert_eq!(
            red("pii,cards", t),
            "card <card-1>, call +1 415 555 0132 from 10.1.2.3"
        );
        assert_eq!(red("all", t), "card <card-1>, call <phone-1> from <ip-1>");
        // A found value is masked whole, whatever found it.
        assert_eq!(red("all", "pwd=4111 1111 1111 1111 ok"), "pwd=<card-1> ok");
        assert_eq!(red("pii,ip", "::ffff:192.0.2.1"), "<ip-1>");
    }
}
