//! The `ids` class: Salesforce record ids.

use super::{Kind, Span};
use regex::bytes::Regex;
use std::sync::OnceLock;

const IDS: &str = r"\b[A-Za-z0-9]{5}0[A-Za-z0-9]{9}(?:[A-Z0-5]{3})?\b";

fn ids_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(IDS).expect("ids regex"))
}

/// Push the spans of the record ids in `text`.
pub fn find(text: &[u8], spans: &mut Vec<Span>) {
    for m in ids_re().find_iter(text) {
        if is_record_id(m.as_bytes()) {
            spans.push(Span {
                start: m.start(),
                end: m.end(),
                kind: Kind::Id,
            });
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids() {
        assert!(is_record_id(b"0015g00000AbCdEAAZ"));
        assert!(is_record_id(b"5005g00000XyZaB"));
        assert!(!is_record_id(b"ThreadIdentifier"));
    }
}
