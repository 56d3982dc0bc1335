//! The `--redact` classes: what a redaction masks.

use std::fmt;
use std::str::FromStr;

/// The classes `--redact` accepts, in their canonical order, with what each masks.
pub const CLASSES: &[(&str, &str)] = &[
    (
        "pii",
        "e-mail addresses (also URL-encoded), tokens, session ids, Authorization values, \
         passwords and other secrets, API keys and private keys",
    ),
    ("ids", "Salesforce record ids"),
    ("contact", "phone numbers"),
    ("cards", "payment card numbers (Luhn-checked)"),
    ("ip", "IPv4 and IPv6 addresses"),
    ("all", "every class above"),
];

/// What `--redact` masks. `pii` is always on (a redaction that lets secrets through is no
/// redaction); the other classes are opt-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RedactSpec {
    /// Salesforce record ids (`ids`).
    pub ids: bool,
    /// Phone numbers (`contact`).
    pub contact: bool,
    /// Payment card numbers (`cards`).
    pub cards: bool,
    /// IP addresses (`ip`).
    pub ip: bool,
}

impl RedactSpec {
    /// `--redact pii`: e-mails and secrets only.
    pub const PII: RedactSpec = RedactSpec {
        ids: false,
        contact: false,
        cards: false,
        ip: false,
    };

    /// `--redact all`: every class.
    pub const ALL: RedactSpec = RedactSpec {
        ids: true,
        contact: true,
        cards: true,
        ip: true,
    };

    /// The classes applied, in canonical order (`["pii", "ids"]`): the capture index's
    /// `redaction` value.
    pub fn classes(&self) -> Vec<&'static str> {
        let mut v = vec!["pii"];
        for (on, name) in [
            (self.ids, "ids"),
            (self.contact, "contact"),
            (self.cards, "cards"),
            (self.ip, "ip"),
        ] {
            if on {
                v.push(name);
            }
        }
        v
    }

    /// Does any class look at digits alone (phones, cards, IP addresses)?
    pub fn numbers(&self) -> bool {
        self.contact || self.cards || self.ip
    }
}

/// The valid forms, for usage errors.
const VALID_FORMS: &str = "pii, pii,ids, pii,ids,contact,cards,ip (any of them after pii), all";

fn class_list() -> String {
    let names: Vec<&str> = CLASSES.iter().map(|(n, _)| *n).collect();
    names.join(", ")
}

impl FromStr for RedactSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut pii = false;
        let mut spec = RedactSpec::PII;
        for part in s.split(',') {
            match part.trim() {
                "pii" => pii = true,
                "ids" => spec.ids = true,
                "contact" => spec.contact = true,
                "cards" => spec.cards = true,
                "ip" => spec.ip = true,
                "all" => {
                    pii = true;
                    spec = RedactSpec::ALL;
                }
                other => {
                    return Err(format!(
                        "unknown redaction class '{other}'; valid forms: {VALID_FORMS} \
                         (classes: {})",
                        class_list()
                    ));
                }
            }
        }
        if !pii {
            return Err(format!(
                "'{s}' must include pii (e-mails and secrets are always masked); \
                 valid forms: {VALID_FORMS}"
            ));
        }
        Ok(spec)
    }
}

impl fmt::Display for RedactSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.classes().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        assert_eq!("pii".parse::<RedactSpec>().unwrap(), RedactSpec::PII);
        assert!("pii,ids".parse::<RedactSpec>().unwrap().ids);
        assert_eq!(
            "pii,ids".parse::<RedactSpec>().unwrap().to_string(),
            "pii,ids"
        );
        assert_eq!("all".parse::<RedactSpec>().unwrap(), RedactSpec::ALL);
        assert_eq!(
            "ip, pii ,cards".parse::<RedactSpec>().unwrap().to_string(),
            "pii,cards,ip"
        );
        assert_eq!(
            RedactSpec::ALL.classes(),
            ["pii", "ids", "contact", "cards", "ip"]
        );
    }

    #[test]
    fn errors() {
        assert!(
            "ids"
                .parse::<RedactSpec>()
                .unwrap_err()
                .contains("must include pii")
        );
        let e = "pii,foo".parse::<RedactSpec>().unwrap_err();
        assert!(
            e.contains("'foo'") && e.contains("contact") && e.contains("pii,ids"),
            "{e}"
        );
        assert!("pii,".parse::<RedactSpec>().is_err());
        assert!("".parse::<RedactSpec>().is_err());
    }
}
