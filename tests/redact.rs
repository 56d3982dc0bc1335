//! `dbglog view --redact`: share-safe redaction.

mod common;

use serde_json::Value;
use std::collections::HashMap;

fn labels() -> Value {
    serde_json::from_str(&std::fs::read_to_string(common::fixture("pii.labels.json")).unwrap())
        .unwrap()
}

fn view(args: &[&str]) -> String {
    let out = common::run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pii_leaves_no_email_or_token() {
    let p = common::fixture("pii.log");
    for spec in ["full", "subscriber"] {
        let v = view(&["view", "--as", spec, "--redact", "pii", p.to_str().unwrap()]);
        let l = labels();
        for key in ["emails", "tokens"] {
            for s in l[key].as_array().unwrap() {
                let s = s.as_str().unwrap();
                assert!(
                    !v.contains(s),
                    "--as {spec}: {key} value still present: {s}"
                );
            }
        }
        // Record ids stay without `ids`; SESSION_ID_REMOVED and non-secret text stay.
        assert!(v.contains("0015g00000AbCdEAAZ"));
        assert!(v.contains("SESSION_ID_REMOVED"));
        assert!(v.contains("\"scope\":\"api refresh_token\""));
        assert!(v.contains("\"token_type\":\"Bearer\""));
        assert!(v.contains("HTTP Header Authorization=Method: None"));
    }
}

#[test]
fn placeholders_are_consistent() {
    let p = common::fixture("pii.log");
    let raw = std::fs::read_to_string(&p).unwrap();
    let v = view(&["view", "--redact", "pii", p.to_str().unwrap()]);
    // Same value → same placeholder: maria's address occurs 3 times in the log.
    assert_eq!(raw.matches("maria.gonzalez@acme-pii.example").count(), 3);
    let lines: Vec<&str> = v.lines().collect();
    assert!(
        lines[5].ends_with("syncing account 0015g00000AbCdEAAZ for <email-2>"),
        "{}",
        lines[5]
    );
    assert_eq!(v.matches("<email-2>").count(), 3);
    assert!(lines[1].contains("|<email-1>|"));
    // Check the mapping value → placeholder is a function, both ways, over the whole file.
    let mut map: HashMap<String, String> = HashMap::new();
    let re = regex::Regex::new(r"<(email|token|secret|id|phone|card|ip)-\d+>").unwrap();
    for (a, b) in raw.lines().zip(v.lines()) {
        // Align each placeholder with the original text at the same prefix.
        let mut ai = 0;
        let mut last = 0;
        for m in re.find_iter(b) {
            let lit = &b[last..m.start()];
            let pos = a[ai..].find(lit).map(|p| ai + p + lit.len()).unwrap();
            let rest_lit_end = b[m.end()..].chars().next();
            let end = match rest_lit_end {
                Some(c) => a[pos..].find(c).map(|p| pos + p).unwrap_or(a.len()),
                None => a.len(),
            };
            let orig = a[pos..end].to_string();
            if let Some(prev) = map.insert(orig.clone(), m.as_str().to_string()) {
                assert_eq!(prev, m.as_str(), "{orig} mapped to two placeholders");
            }
            ai = end;
            last = m.end();
        }
    }
    let mut inverse: HashMap<&String, &String> = HashMap::new();
    for (k, ph) in &map {
        if let Some(other) = inverse.insert(ph, k) {
            assert_eq!(other, k, "{ph} stands for two values");
        }
    }
    assert!(map.len() >= 8, "{map:?}");
    // The JWT in the OAuth response and in the later debug line share one placeholder.
    let jwt = labels()["tokens"][1].as_str().unwrap().to_string();
    assert!(map.contains_key(&jwt), "{map:?}");
}

#[test]
fn ids_masks_record_ids_but_not_prefixes_or_types() {
    let p = common::fixture("pii.log");
    let v = view(&["view", "--redact", "pii,ids", p.to_str().unwrap()]);
    for s in labels()["record_ids"].as_array().unwrap() {
        let s = s.as_str().unwrap();
        // Only payloads are searched: ids in structural fields (USER_INFO is a data event) go.
        assert!(!v.contains(s), "record id still present: {s}");
    }
    assert!(v.contains("<id-1>"));
    assert!(v.contains("|USER_DEBUG|"));
    assert!(v.contains("|NAMED_CREDENTIAL_RESPONSE_DETAIL|"));
    // Class ids in CODE_UNIT_STARTED are not payload.
    assert!(v.contains("01p5g00000BiLsY"));
}

#[test]
fn redaction_is_idempotent_and_combines_with_views() {
    let p = common::fixture("pii.log");
    let once = view(&["view", "--redact", "pii,ids", p.to_str().unwrap()]);
    let twice = String::from_utf8(
        common::run_stdin(&["view", "--redact", "pii,ids", "-"], once.as_bytes()).stdout,
    )
    .unwrap();
    assert_eq!(once, twice);
    let e = common::fixture("e2cp-handled.log");
    let v = view(&[
        "view",
        "--as",
        "subscriber",
        "--redact",
        "pii",
        e.to_str().unwrap(),
    ]);
    assert!(!v.contains("jordan.lee@example.org"));
    assert!(!v.contains("support.admin@northwind-demo.example"));
    assert!(!v.contains("ThreadMatcher.findParent"));
    // The preamble is text and searched too.
    assert!(v.contains("Execute Anonymous: String sender = '<email-"));
}
