//! Tests of the known-error catalogue (`dbglog::rules`).

use std::collections::HashSet;
use std::path::Path;

use dbglog::rules::{Catalogue, MARKER_EVENT, Rule, RuleMatch, Severity};

const BUILTIN_TOML: &str = include_str!("../src/rules/catalogue.toml");

fn builtin() -> &'static Catalogue {
    Catalogue::builtin()
}

fn ids_of(cat: &Catalogue, ms: &[RuleMatch<'_>]) -> Vec<String> {
    ms.iter().map(|m| cat.rules()[m.rule].id.clone()).collect()
}

fn run<'t>(cat: &Catalogue, event_type: &str, text: &'t [u8]) -> Vec<RuleMatch<'t>> {
    let mut out = Vec::new();
    cat.match_event(event_type, text, &mut out);
    out
}

/// Whether `a` and `b` are declared as related (either side) or one overrides the other.
fn explicitly_related(a: &Rule, b: &Rule) -> bool {
    a.related.contains(&b.id)
        || b.related.contains(&a.id)
        || a.overrides.contains(&b.id)
        || b.overrides.contains(&a.id)
}

/// The two text conventions a framer may use: everything after the timestamp (`TYPE|fields...`),
/// and the fields only.
fn sample_texts(rule: &Rule) -> (String, Vec<Vec<u8>>) {
    let (event_type, text) = rule.sample_event();
    let mut texts = vec![text.to_vec()];
    if event_type != MARKER_EVENT {
        let fields = text
            .strip_prefix(event_type.as_bytes())
            .map(|rest| rest.strip_prefix(b"|").unwrap_or(rest))
            .expect("text after the timestamp starts with the event type");
        texts.push(fields.to_vec());
    }
    (event_type.to_owned(), texts)
}

#[test]
fn every_sample_is_detected_by_its_rule_and_only_related_rules() {
    let cat = builtin();
    let mut failures = Vec::new();
    for (i, rule) in cat.rules().iter().enumerate() {
        let (event_type, texts) = sample_texts(rule);
        for text in &texts {
            let out = run(cat, &event_type, text);
            if !out.iter().any(|m| m.rule == i) {
                failures.push(format!(
                    "{}: sample not detected (event {event_type}, got {:?}, text {:?})",
                    rule.id,
                    ids_of(cat, &out),
                    String::from_utf8_lossy(text)
                ));
            }
            for m in &out {
                let other = &cat.rules()[m.rule];
                if m.rule != i && !explicitly_related(rule, other) {
                    failures.push(format!(
                        "{}: sample also matched by unrelated rule {}",
                        rule.id, other.id
                    ));
                }
            }
            let seen: HashSet<usize> = out.iter().map(|m| m.rule).collect();
            assert_eq!(seen.len(), out.len(), "{}: a rule reported twice", rule.id);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_sample_is_a_realistic_event_or_marker_line() {
    for rule in builtin().rules() {
        assert!(!rule.sample.is_empty(), "{}: no sample", rule.id);
        let (event_type, _) = rule.sample_event();
        if rule.events.iter().any(|e| e == MARKER_EVENT) {
            assert_eq!(event_type, MARKER_EVENT, "{}", rule.id);
        } else {
            assert_ne!(
                event_type, MARKER_EVENT,
                "{}: sample lacks a timestamp",
                rule.id
            );
            assert!(
                rule.applies_to(event_type),
                "{}: sample event {event_type} is not in events",
                rule.id
            );
        }
    }
}

#[test]
fn ids_are_unique_and_well_formed() {
    let mut seen = HashSet::new();
    for rule in builtin().rules() {
        assert!(seen.insert(rule.id.as_str()), "duplicate id {}", rule.id);
        assert!(
            rule.id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
            "{}",
            rule.id
        );
    }
}

#[test]
fn catalogue_lists_every_row_of_the_reference_table() {
    let expected = [
        "QUERY_NON_SELECTIVE",
        "LIMIT_SOQL",
        "LIMIT_DML",
        "LIMIT_DML_ROWS",
        "LIMIT_QUERY_ROWS",
        "LIMIT_SOSL",
        "LIMIT_CPU",
        "LIMIT_HEAP",
        "LIMIT_CALLOUTS",
        "LIMIT_FUTURE",
        "LIMIT_QUEUEABLE",
        "LIMIT_EMAIL",
        "LIMIT_STACK_DEPTH",
        "LIMIT_OTHER",
        "TRIGGER_DEPTH",
        "ROW_LOCK",
        "VALIDATION_RULE",
        "REQUIRED_FIELD",
        "DUPLICATE_VALUE",
        "DUPLICATES_DETECTED",
        "MIXED_DML",
        "NULL_POINTER",
        "NULL_ARGUMENT",
        "LIST_INDEX",
        "NO_ROWS",
        "TOO_MANY_ROWS_SINGLE",
        "FIELD_NOT_QUERIED",
        "INVALID_FIELD",
        "NO_SUCH_COLUMN",
        "CALLOUT_FROM_TRIGGER",
        "UNCOMMITTED_WORK",
        "CALLOUT_TIMEOUT",
        "UNAUTHORIZED_ENDPOINT",
        "FUTURE_FROM_ASYNC",
        "TRIGGER_WRAPPER",
        "FLOW_TRIGGER_FAILED",
        "FLOW_ELEMENT_ERROR",
        "FLOW_START_ERROR",
        "FLOW_FAULT_PATH",
        "INVOCABLE_ERROR",
        "INVALID_CROSS_REF",
        "INSUFFICIENT_ACCESS",
        "ENTITY_DELETED",
        "STRING_TOO_LONG",
        "FIELD_INTEGRITY",
        "ASSERT_FAILED",
        "TYPE_CONVERSION",
        "INVALID_ID",
        "ANY_UNCAUGHT",
        "NEAR_LIMIT",
        "LOG_SKIPPED",
        "LOG_MAX_SIZE",
        "SOQL_TABLESCAN",
    ];
    let have: Vec<&str> = builtin().rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(have, expected);
}

#[test]
fn every_regex_compiles_and_literals_are_non_empty() {
    // The builtin catalogue compiles its regexes lazily; loading the same text as a user file
    // compiles every regex and checks every sample at load time.
    let checked = Catalogue::from_toml(BUILTIN_TOML, "catalogue.toml").unwrap();
    assert_eq!(checked.rules().len(), builtin().rules().len());
    let cat = builtin();
    for rule in cat.rules() {
        assert!(!rule.literals.is_empty(), "{}: no literals", rule.id);
        for lit in &rule.literals {
            assert!(!lit.is_empty(), "{}: empty literal", rule.id);
        }
        assert!(!rule.title.trim().is_empty(), "{}: no title", rule.id);
        assert!(!rule.remedy.trim().is_empty(), "{}: no remedy", rule.id);
        assert!(
            !rule.remedy.contains('\n'),
            "{}: remedy is one line",
            rule.id
        );
        if rule.is_event_type_rule() {
            assert!(rule.regex_source().is_none() || !rule.events.is_empty());
        } else {
            assert!(
                rule.regex_source().is_some(),
                "{}: text rule without regex",
                rule.id
            );
        }
    }
}

#[test]
fn references_name_existing_rules() {
    let cat = builtin();
    for rule in cat.rules() {
        for id in rule.overrides.iter().chain(&rule.related) {
            assert!(cat.get(id).is_some(), "{}: unknown rule {id}", rule.id);
            assert_ne!(id, &rule.id, "{}: refers to itself", rule.id);
        }
    }
}

#[test]
fn every_specific_limit_overrides_limit_other() {
    for rule in builtin().rules() {
        if rule.id.starts_with("LIMIT_") && rule.id != "LIMIT_OTHER" {
            assert!(
                rule.overrides.iter().any(|o| o == "LIMIT_OTHER"),
                "{}",
                rule.id
            );
        }
    }
}

#[test]
fn any_uncaught_is_the_fatal_error_fallback() {
    let cat = builtin();
    let any = cat.get("ANY_UNCAUGHT").unwrap();
    assert!(any.fallback);
    assert_eq!(any.events, ["FATAL_ERROR"]);
    assert_eq!(any.severity, Severity::Fatal);
    // No other builtin rule is a fallback.
    assert_eq!(cat.rules().iter().filter(|r| r.fallback).count(), 1);

    // Every rule that can see FATAL_ERROR hides ANY_UNCAUGHT when it matches.
    for rule in cat.rules() {
        let (event_type, text) = rule.sample_event();
        if event_type == "FATAL_ERROR" && rule.id != "ANY_UNCAUGHT" {
            let got = ids_of(cat, &run(cat, event_type, text));
            assert!(!got.contains(&"ANY_UNCAUGHT".to_owned()), "{}", rule.id);
        }
    }
}

#[test]
fn error_text_rules_ignore_user_debug() {
    let cat = builtin();
    for rule in cat.rules() {
        assert!(
            !rule.events.iter().any(|e| e == "USER_DEBUG"),
            "{} applies to USER_DEBUG",
            rule.id
        );
        let (_, text) = rule.sample_event();
        let rest = text.splitn(2, |&b| b == b'|').nth(1).unwrap_or(text);
        let quoted = [b"USER_DEBUG|[1]|DEBUG|".as_slice(), rest].concat();
        assert!(
            run(cat, "USER_DEBUG", &quoted).is_empty(),
            "{}: a debug line quoting the sample was flagged",
            rule.id
        );
    }
}

#[test]
fn ns_placeholder_captures_the_namespace() {
    let cat = builtin();
    let text = b"System.LimitException: acme:Too many SOQL queries: 101";
    let out = run(cat, "FATAL_ERROR", text);
    assert_eq!(ids_of(cat, &out), ["LIMIT_SOQL"]);
    assert_eq!(out[0].ns, Some(&b"acme"[..]));
    assert_eq!(out[0].text, &text[..]);

    let plain = run(
        cat,
        "FATAL_ERROR",
        b"System.LimitException: Too many SOQL queries: 101",
    );
    assert_eq!(plain[0].ns, None);

    let other = run(
        cat,
        "EXCEPTION_THROWN",
        b"System.LimitException: zed_pkg:Too many query locator rows: 10001",
    );
    assert_eq!(ids_of(cat, &other), ["LIMIT_OTHER"]);
    assert_eq!(other[0].ns, Some(&b"zed_pkg"[..]));
}

#[test]
fn near_limit_reads_limit_usage_continuations() {
    let cat = builtin();
    let text = b"LIMIT_USAGE_FOR_NS|acme|\n  Number of SOQL queries: 10 out of 100\n  Maximum CPU time: 15163 out of 10000 ******* CLOSE TO LIMIT\n";
    let out = run(cat, "LIMIT_USAGE_FOR_NS", text);
    assert_eq!(ids_of(cat, &out), ["NEAR_LIMIT"]);
    assert_eq!(
        out[0].text,
        b"  Maximum CPU time: 15163 out of 10000 ******* CLOSE TO LIMIT"
    );
    // Not in other events.
    assert!(run(cat, "USER_DEBUG", text).is_empty());
}

#[test]
fn tablescan_needs_cost_above_one() {
    let cat = builtin();
    let line = |cost: &str| {
        format!(
            "SOQL_EXECUTE_EXPLAIN|[12]|TableScan on Invoice__c : [], cardinality: 812, sobjectCardinality: 812, relativeCost {cost}"
        )
    };
    for cost in ["1.4", "2", "12.75", "1.01", "10"] {
        let text = line(cost);
        let got = ids_of(cat, &run(cat, "SOQL_EXECUTE_EXPLAIN", text.as_bytes()));
        assert_eq!(got, ["SOQL_TABLESCAN"], "cost {cost}");
    }
    for cost in ["1", "1.0", "1.00", "0.9", "0.05"] {
        let text = line(cost);
        assert!(
            run(cat, "SOQL_EXECUTE_EXPLAIN", text.as_bytes()).is_empty(),
            "cost {cost}"
        );
    }
}

#[test]
fn markers_match_only_as_markers() {
    let cat = builtin();
    let skipped = b"*** Skipped 22606355 bytes of detailed log";
    assert_eq!(
        ids_of(cat, &run(cat, MARKER_EVENT, skipped)),
        ["LOG_SKIPPED"]
    );
    let max = b"****** MAXIMUM DEBUG LOG SIZE REACHED ******";
    assert_eq!(ids_of(cat, &run(cat, MARKER_EVENT, max)), ["LOG_MAX_SIZE"]);
    assert!(run(cat, "USER_DEBUG", skipped).is_empty());
}

#[test]
fn flow_error_reports_the_wrapper_and_the_cause() {
    let cat = builtin();
    let text = b"FLOW_ELEMENT_ERROR|The flow tried to update these records: null. This error occurred: INVALID_CROSS_REFERENCE_KEY: invalid cross reference id. You can look up ExceptionCode values in the SOAP API Developer Guide.|FlowRecordUpdate|Update_Invoice";
    let got = ids_of(cat, &run(cat, "FLOW_ELEMENT_ERROR", text));
    assert_eq!(got, ["FLOW_ELEMENT_ERROR", "INVALID_CROSS_REF"]);
}

#[test]
fn nothing_matches_ordinary_events() {
    let cat = builtin();
    let lines: [(&str, &[u8]); 4] = [
        (
            "METHOD_ENTRY",
            b"METHOD_ENTRY|[1]|01p5g00000ABCDE|InvoiceService.post()",
        ),
        (
            "SOQL_EXECUTE_BEGIN",
            b"SOQL_EXECUTE_BEGIN|[40]|Aggregations:0|SELECT Id FROM Invoice__c",
        ),
        (
            "USER_DEBUG",
            b"USER_DEBUG|[9]|DEBUG|System.LimitException: Too many SOQL queries: 101",
        ),
        (
            "LIMIT_USAGE_FOR_NS",
            b"LIMIT_USAGE_FOR_NS|(default)|\n  Number of SOQL queries: 3 out of 100",
        ),
    ];
    for (event_type, text) in lines {
        assert!(run(cat, event_type, text).is_empty(), "{event_type}");
    }
}

#[test]
fn literal_searcher_maps_patterns_to_rules() {
    let cat = builtin();
    let text = b"x|FATAL_ERROR|System.LimitException: Too many SOQL queries: 101";
    let hits: HashSet<&str> = cat
        .literal_searcher()
        .find_iter(text.as_slice())
        .map(|m| {
            cat.rules()[cat.rule_of_pattern(m.pattern().as_usize())]
                .id
                .as_str()
        })
        .collect();
    assert!(hits.contains("ANY_UNCAUGHT"));
    assert!(hits.contains("LIMIT_OTHER"));
    assert!(hits.contains("LIMIT_SOQL"));
    let total: usize = cat.rules().iter().map(|r| r.literals.len()).sum();
    assert_eq!(cat.literal_searcher().patterns_len(), total);
}

const USER_RULES: &str = r#"
[[rule]]
id = "ACME_POSTING"
title = "Acme posting failed"
severity = "error"
literals = ["PostingException"]
regex = '(?P<type>[\w.]+\.PostingException): (?P<msg>.*)'
events = ["EXCEPTION_THROWN", "FATAL_ERROR"]
remedy = "Check the posting period."
sample = "12:00:00.1 (1000000)|FATAL_ERROR|acme.PostingException: period closed"

[[rule]]
id = "NULL_POINTER"
title = "Null (replaced)"
severity = "warn"
literals = ["de-reference a null object"]
regex = 'de-reference a null object'
events = ["FATAL_ERROR"]
"#;

#[test]
fn user_rules_extend_and_replace_builtin_rules() {
    let user = Catalogue::from_toml(USER_RULES, "acme-rules.toml").unwrap();
    let cat = builtin().with_extra(user);
    assert_eq!(cat.rules().len(), builtin().rules().len() + 1);
    // Replaced in place, keeping its position.
    let pos = cat.index_of("NULL_POINTER").unwrap();
    assert_eq!(pos, builtin().index_of("NULL_POINTER").unwrap());
    assert_eq!(cat.rules()[pos].severity, Severity::Warn);
    assert_eq!(cat.rules().last().unwrap().id, "ACME_POSTING");

    let got = ids_of(
        &cat,
        &run(&cat, "FATAL_ERROR", b"acme.PostingException: period closed"),
    );
    assert_eq!(got, ["ACME_POSTING"], "a user rule also hides ANY_UNCAUGHT");
    let npe = b"System.NullPointerException: Attempt to de-reference a null object";
    assert_eq!(
        ids_of(&cat, &run(&cat, "FATAL_ERROR", npe)),
        ["NULL_POINTER"]
    );
    assert!(run(&cat, "EXCEPTION_THROWN", npe).is_empty());
}

#[test]
fn user_rules_with_a_bad_regex_name_file_and_rule() {
    let src = r#"
[[rule]]
id = "BROKEN"
title = "broken"
severity = "error"
literals = ["x"]
regex = 'Too many (queries'
"#;
    let err = Catalogue::from_toml(src, "my-rules.toml").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("my-rules.toml: rule BROKEN: bad regex: "),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "{msg}");
    assert_eq!(err.rule_id(), Some("BROKEN"));
    assert_eq!(err.origin(), Some("my-rules.toml"));
}

#[test]
fn load_file_reads_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, USER_RULES).unwrap();
    let cat = Catalogue::load_file(&good).unwrap();
    assert_eq!(cat.rules().len(), 2);

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[rule]]\nid = \"X\"\ntitle = \"x\"\nseverity = \"error\"\nliterals = [\"a\"]\nregex = '['\n").unwrap();
    let err = Catalogue::load_file(&bad).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: rule X: bad regex", bad.display())),
        "{err}"
    );

    let missing = Catalogue::load_file(Path::new("/nonexistent/rules.toml")).unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("/nonexistent/rules.toml: cannot read")
    );
}

#[test]
fn user_file_errors_are_one_line_with_file_and_line() {
    let cases = [
        (
            "[[rule]]\nid = \"A\"\nseverity = \"error\"\nliterals = [\"a\"]\n",
            "title",
        ),
        (
            "[[rule]]\nid = \"A\"\ntitle = \"a\"\nseverity = \"error\"\nliterals = []\n",
            "literals",
        ),
        (
            "[[rule]]\nid = \"A\"\ntitle = \"a\"\nseverity = \"error\"\nliterals = [\"\"]\n",
            "empty",
        ),
        (
            "[[rule]]\nid = \"A\"\ntitle = \"a\"\nseverity = \"error\"\nliterals = [\"a\"]\ncolour = 1\n",
            "colour",
        ),
        ("[[rules]]\nid = \"A\"\n", "rules"),
        (
            "[[rule]]\nid = \"A\"\ntitle = \"a\"\nseverity = \"error\"\nliterals = [\"a\"]\n\n[[rule]]\nid = \"A\"\ntitle = \"b\"\nseverity = \"error\"\nliterals = [\"b\"]\n",
            "duplicate",
        ),
        (
            "[[rule]]\nid = \"A B\"\ntitle = \"a\"\nseverity = \"error\"\nliterals = [\"a\"]\n",
            "id",
        ),
        ("not toml at all [\n", ""),
        (
            "[[rule]]\nid = \"A\"\ntitle = \"a\"\nseverity = \"error\"\nliterals = [\"boom\"]\nsample = \"12:00:00.1 (1)|FATAL_ERROR|nothing here\"\n",
            "sample",
        ),
    ];
    for (src, needle) in cases {
        let err = Catalogue::from_toml(src, "u.toml").expect_err(src);
        let msg = err.to_string();
        assert!(msg.starts_with("u.toml: "), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        assert!(msg.contains(needle), "{msg} should mention {needle}");
    }
}

#[test]
fn only_selects_rules_and_rejects_unknown_ids() {
    let cat = builtin();
    let sub = cat.only(&["LIMIT_SOQL", "any_uncaught"]).unwrap();
    let ids: Vec<&str> = sub.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["LIMIT_SOQL", "ANY_UNCAUGHT"]);
    let got = ids_of(
        &sub,
        &run(
            &sub,
            "FATAL_ERROR",
            b"System.NullPointerException: Attempt to de-reference a null object",
        ),
    );
    assert_eq!(got, ["ANY_UNCAUGHT"]);

    let err = cat.only(&["NOPE"]).unwrap_err().to_string();
    assert!(err.contains("NOPE"), "{err}");
    assert!(
        err.contains("LIMIT_SOQL") && err.contains("SOQL_TABLESCAN"),
        "{err}"
    );
    assert!(!err.contains('\n'));
}

#[test]
fn rules_serialize_to_json() {
    let rule = builtin().get("LIMIT_SOQL").unwrap();
    let v = serde_json::to_value(rule).unwrap();
    assert_eq!(v["id"], "LIMIT_SOQL");
    assert_eq!(v["severity"], "fatal");
    assert!(v["regex"].as_str().unwrap().contains("{NS}"));
}

const DOCS: &str = "docs/rules.md";
const TABLE_START: &str = "<!-- rules-table:start -->";
const TABLE_END: &str = "<!-- rules-table:end -->";

fn docs_table() -> String {
    let mut table = String::from("| id | severity | events | title |\n|---|---|---|---|\n");
    for rule in builtin().rules() {
        let events = if rule.events.is_empty() {
            "any".to_owned()
        } else {
            rule.events.join(", ")
        };
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            rule.id, rule.severity, events, rule.title
        ));
    }
    table
}

fn read_docs() -> (std::path::PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOCS);
    let doc = std::fs::read_to_string(&path).expect("docs/rules.md exists");
    (path, doc)
}

#[test]
fn docs_example_user_file_loads_and_combines() {
    let (_, doc) = read_docs();
    let start = doc.find("```toml\n").expect("a toml example in the docs") + "```toml\n".len();
    let len = doc[start..].find("```").expect("end of the toml example");
    let example = &doc[start..start + len];
    let user = Catalogue::from_toml(example, "acme-rules.toml").unwrap();
    let ids: Vec<&str> = user.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["ACME_POSTING", "ACME_ERP_CALLOUT", "ROW_LOCK"]);
    let cat = builtin().with_extra(user);
    assert_eq!(cat.rules().len(), builtin().rules().len() + 2);
    assert_eq!(cat.get("ROW_LOCK").unwrap().severity, Severity::Warn);
    let text = b"acme.InvoiceService.PostingException: Period 2024-03 is closed";
    assert_eq!(
        ids_of(&cat, &run(&cat, "FATAL_ERROR", text)),
        ["ACME_POSTING"]
    );
}

/// Keeps the table in docs/rules.md in sync with the catalogue. Run with
/// `DBGLOG_BLESS_DOCS=1 cargo test --test rules docs` to regenerate it.
#[test]
fn docs_list_every_builtin_rule() {
    let (path, doc) = read_docs();
    let (head, rest) = doc.split_once(TABLE_START).expect("table start marker");
    let (_, tail) = rest.split_once(TABLE_END).expect("table end marker");
    let wanted = format!("{head}{TABLE_START}\n{}{TABLE_END}{tail}", docs_table());
    if std::env::var_os("DBGLOG_BLESS_DOCS").is_some() {
        std::fs::write(&path, &wanted).unwrap();
        return;
    }
    for rule in builtin().rules() {
        assert!(
            doc.contains(&format!("`{}`", rule.id)),
            "{} missing from {DOCS}",
            rule.id
        );
    }
    assert!(
        doc == wanted,
        "the rule table in {DOCS} is stale; rerun with DBGLOG_BLESS_DOCS=1"
    );
}
