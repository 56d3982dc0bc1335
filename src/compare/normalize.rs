//! Statement normalisation: the same query with other values reads the same.
//!
//! [`soql`] folds what changes from run to run and keeps what makes a query another one:
//!
//! - string literals (`'a'`, with `\'` escapes) become `?`;
//! - numbers, dates and date-times (`42`, `3.5`, `2024-01-31`, `2024-01-31T10:00:00Z`)
//!   become `?`;
//! - bind variables (`:tmpVar1`, `:ids`, `:acc.Id`) become `?`;
//! - an `IN` or `NOT IN` list (`IN ('a','b')`, `IN (1, 2)`, `IN :ids`) becomes `IN (?)`;
//! - runs of white space become one space.
//!
//! Field names, objects, operators and keywords are kept as they are, so `Name = 'a'` and
//! `Email = 'a'`, or `Name = 'a'` and `Name IN :names`, stay different statements.

/// The normal form of a SOQL (or SOSL) statement.
pub fn soql(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if !out.is_empty() && i < b.len() {
                out.push(' ');
            }
            continue;
        }
        if c == b'\'' {
            i = skip_string(b, i);
            out.push('?');
            continue;
        }
        if c == b':' && b.get(i + 1).is_some_and(|&n| is_ident_start(n)) {
            i += 1;
            while i < b.len() && (is_ident(b[i]) || b[i] == b'.') {
                i += 1;
            }
            out.push('?');
            continue;
        }
        if c.is_ascii_digit() && !prev_is_ident(&out) {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b"-:.+".contains(&b[i])) {
                i += 1;
            }
            out.push('?');
            continue;
        }
        if is_ident_start(c) {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            let word = &text[start..i];
            out.push_str(word);
            if word.eq_ignore_ascii_case("IN")
                && let Some(end) = in_list_end(b, i)
            {
                out.push_str(" (?)");
                i = end;
            }
            continue;
        }
        // Any other byte (operators, parentheses, commas, non-ASCII text) is kept.
        let len = utf8_len(c);
        let end = (i + len).min(b.len());
        out.push_str(&text[i..end]);
        i = end;
    }
    out
}

/// Where the `IN` list that follows offset `i` ends: `(…)` holding only literals, numbers
/// and binds, or one bind variable. `None` when no such list follows (a sub-query, say).
fn in_list_end(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    match b.get(i)? {
        b':' => {
            i += 1;
            if !b.get(i).is_some_and(|&n| is_ident_start(n)) {
                return None;
            }
            while i < b.len() && (is_ident(b[i]) || b[i] == b'.') {
                i += 1;
            }
            Some(i)
        }
        b'(' => {
            i += 1;
            loop {
                while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
                    i += 1;
                }
                match b.get(i)? {
                    b')' => return Some(i + 1),
                    b'\'' => i = skip_string(b, i),
                    b':' => {
                        i += 1;
                        while i < b.len() && (is_ident(b[i]) || b[i] == b'.') {
                            i += 1;
                        }
                    }
                    c if c.is_ascii_digit() || *c == b'-' || *c == b'+' => {
                        i += 1;
                        while i < b.len()
                            && (b[i].is_ascii_alphanumeric() || b"-:.+".contains(&b[i]))
                        {
                            i += 1;
                        }
                    }
                    // Keywords such as NULL, TRUE or FALSE in a list.
                    c if is_ident_start(*c) => {
                        let s = i;
                        while i < b.len() && is_ident(b[i]) {
                            i += 1;
                        }
                        let w = &b[s..i];
                        if !(w.eq_ignore_ascii_case(b"null")
                            || w.eq_ignore_ascii_case(b"true")
                            || w.eq_ignore_ascii_case(b"false"))
                        {
                            return None;
                        }
                    }
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// The offset after the string literal starting at `i` (a quote).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn prev_is_ident(out: &str) -> bool {
    out.as_bytes()
        .last()
        .is_some_and(|&c| is_ident(c) || c == b'.')
}

fn utf8_len(c: u8) -> usize {
    match c {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::soql;

    #[test]
    fn literals_binds_and_lists_fold() {
        let a = soql("SELECT Id FROM Account WHERE Name = 'a'");
        assert_eq!(a, "SELECT Id FROM Account WHERE Name = ?");
        assert_eq!(soql("SELECT Id FROM Account WHERE Name = 'b'"), a);
        assert_eq!(soql("SELECT Id FROM Account WHERE Name = :tmpVar1"), a);
        assert_eq!(soql("SELECT  Id FROM Account\n WHERE Name = 'it\\'s'"), a);
        let l = soql("SELECT Id FROM Account WHERE Id IN :ids");
        assert_eq!(l, "SELECT Id FROM Account WHERE Id IN (?)");
        assert_eq!(soql("SELECT Id FROM Account WHERE Id IN ('001', '002')"), l);
        assert_eq!(
            soql("SELECT Id FROM Account WHERE Id in (1,2,3)"),
            "SELECT Id FROM Account WHERE Id in (?)"
        );
        assert_eq!(
            soql("SELECT Id FROM Case LIMIT 10"),
            soql("SELECT Id FROM Case LIMIT 200")
        );
        assert_eq!(
            soql("SELECT Id FROM Case WHERE CreatedDate > 2024-01-31T10:00:00Z"),
            "SELECT Id FROM Case WHERE CreatedDate > ?"
        );
    }

    #[test]
    fn other_filters_stay_apart() {
        let a = soql("SELECT Id FROM Account WHERE Name = 'a'");
        assert_ne!(soql("SELECT Id FROM Account WHERE Email = 'a'"), a);
        assert_ne!(soql("SELECT Id FROM Account WHERE Name IN :names"), a);
        assert_ne!(soql("SELECT Id FROM Contact WHERE Name = 'a'"), a);
        // Digits inside names are names.
        assert_eq!(
            soql("SELECT Field2__c FROM X1__c"),
            "SELECT Field2__c FROM X1__c"
        );
        // A sub-query after IN is kept.
        assert_eq!(
            soql("SELECT Id FROM A WHERE Id IN (SELECT AccountId FROM C)"),
            "SELECT Id FROM A WHERE Id IN (SELECT AccountId FROM C)"
        );
    }
}
