//! `dbglog analyze`: the findings report.

mod common;

use dbglog::analyze::{self, Options, Report};
use dbglog::rules::Catalogue;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn json(args: &[&str]) -> Value {
    serde_json::from_slice(&common::analyze(args, "json"))
        .expect("analyze --format json prints one JSON object")
}

fn fixture(name: &str) -> String {
    common::fixture(name).to_string_lossy().into_owned()
}

fn findings<'a>(v: &'a Value, id: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

fn analyze_bytes(name: &str, log: &[u8]) -> Report {
    let mut input = dbglog::input::from_bytes(name, log.to_vec());
    analyze::analyze(&mut input, &Options::default(), Catalogue::builtin()).unwrap()
}

#[test]
fn e2cp_full_view_tops_with_the_non_selective_query_at_its_class_and_line() {
    for (name, uncaught) in [("e2cp-handled.log", false), ("e2cp-fatal.log", true)] {
        let v = json(&[&fixture(name)]);
        let top = &v["findings"][0];
        assert_eq!(top["id"], "QUERY_NON_SELECTIVE", "{name}: {top}");
        assert_eq!(top["namespace"], "E2CP", "{name}");
        assert_eq!(top["caller_namespace"], "(default)", "{name}");
        assert_eq!(
            top["method"], "E2CP.ThreadMatcher.findParent(Case)",
            "{name}"
        );
        assert_eq!(top["source_line"], 88, "{name}");
        assert_eq!(top["log_line"], 119, "{name}");
        assert_eq!(top["uncaught"], uncaught, "{name}");
        assert_eq!(top["origin_hidden"], false, "{name}");
        if uncaught {
            // The doubled FATAL_ERROR (123, 131) counts once, at its first line.
            assert_eq!(top["fatal_line"], 123);
            assert_eq!(top["severity"], "fatal");
            assert_eq!(top["count"], 1);
            assert_eq!(v["exceptions"]["fatal_error_lines"], 4);
            assert_eq!(v["exceptions"]["uncaught"], 2);
        } else {
            assert_eq!(top["fatal_line"], Value::Null);
            assert_eq!(v["exceptions"]["caught"], 1);
            assert_eq!(v["exceptions"]["uncaught"], 0);
        }
    }
}

#[test]
fn e2cp_text_report_names_class_line_and_log_line() {
    let out = common::run(&["analyze", &fixture("e2cp-handled.log")]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no colour under NO_COLOR / pipe");
    for needle in [
        "Summary",
        "API version   61.0",
        "Transactions  1",
        "Findings",
        "QUERY_NON_SELECTIVE",
        "in E2CP.ThreadMatcher.findParent(Case) · line [88] · log line 119",
        "Governor limits",
        "Top ",
        "Time per namespace",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let first = text
        .lines()
        .position(|l| l.contains("QUERY_NON_SELECTIVE"))
        .unwrap();
    let other = text
        .lines()
        .position(|l| l.contains("SOQL_TABLESCAN"))
        .unwrap();
    assert!(first < other, "ranked by severity");
}

#[test]
fn subscriber_view_of_the_fatal_log_reports_the_error_with_its_origin_hidden() {
    let v = json(&[&fixture("e2cp-fatal.log"), "--as", "subscriber"]);
    assert_eq!(v["view"], "subscriber");
    assert_eq!(v["hidden_namespaces"], serde_json::json!(["E2CP"]));
    let top = &v["findings"][0];
    assert_eq!(top["id"], "QUERY_NON_SELECTIVE");
    assert_eq!(top["uncaught"], true);
    assert_eq!(top["origin_hidden"], true);
    assert_eq!(top["namespace"], "E2CP");
    assert_eq!(top["method"], Value::Null);
    assert_eq!(top["source_line"], Value::Null);
    let out = common::run(&["analyze", &fixture("e2cp-fatal.log"), "--as", "subscriber"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("origin hidden (E2CP)"), "{text}");
    assert!(
        !text.contains("ThreadMatcher.findParent(Case) · line [88]"),
        "{text}"
    );
}

#[test]
fn subscriber_view_of_the_handled_log_shows_no_error_but_the_opaque_hint() {
    let v = json(&[&fixture("e2cp-handled.log"), "--as", "subscriber"]);
    for f in v["findings"].as_array().unwrap() {
        assert!(
            f["severity"] == "info" || f["severity"] == "warn",
            "no error may show in the subscriber view: {f}"
        );
        assert!(f["uncaught"].is_null(), "no exception finding: {f}");
    }
    let hint = findings(&v, "OPAQUE_PACKAGE");
    assert_eq!(hint.len(), 1, "{v}");
    assert_eq!(hint[0]["namespace"], "E2CP");
    let msg = hint[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("E2CP") && msg.contains("Login Access"),
        "{msg}"
    );
    // The vendor view of its own package shows everything again.
    let v = json(&[&fixture("e2cp-handled.log"), "--as", "vendor:E2CP"]);
    assert_eq!(v["findings"][0]["id"], "QUERY_NON_SELECTIVE");
    assert!(findings(&v, "OPAQUE_PACKAGE").is_empty());
}

#[test]
fn the_subscriber_log_itself_gets_the_opaque_hint_for_e2cp() {
    let v = json(&[&fixture("e2cp-subscriber.log")]);
    let hint = findings(&v, "OPAQUE_PACKAGE");
    assert_eq!(hint.len(), 1, "{v}");
    assert_eq!(hint[0]["namespace"], "E2CP");
    assert_eq!(hint[0]["log_line"], 61);
    assert!(hint[0]["message"].as_str().unwrap().contains("E2CP"));
    assert_eq!(v["exceptions"]["thrown"], 0);
    // The full (vendor) log is not opaque.
    let v = json(&[&fixture("e2cp-handled.log")]);
    assert!(findings(&v, "OPAQUE_PACKAGE").is_empty());
}

#[test]
fn limits_near_reports_each_namespace_as_its_own_pool_and_the_loops() {
    let v = json(&[&fixture("limits-near.log")]);
    let near = findings(&v, "NEAR_LIMIT");
    let has = |ns: &str, label: &str, pct: &str, line: u64| {
        near.iter().any(|f| {
            f["namespace"] == ns
                && f["log_line"] == line
                && f["message"].as_str().unwrap().starts_with(label)
                && f["message"].as_str().unwrap().contains(pct)
        })
    };
    assert!(
        has("(default)", "Maximum CPU time", "(95%)", 76),
        "{near:?}"
    );
    assert!(
        has("(default)", "Number of SOQL queries", "(92%)", 70),
        "{near:?}"
    );
    assert_eq!(near.len(), 2, "{near:?}");
    // 85% with no CLOSE TO LIMIT mark is analyze's own finding, not the catalogue's.
    let high = findings(&v, "LIMIT_USAGE_HIGH");
    assert_eq!(high.len(), 1, "{high:?}");
    assert_eq!(high[0]["namespace"], "acme");
    assert_eq!(high[0]["log_line"], 85);
    assert!(high[0]["message"].as_str().unwrap().contains("(85%)"));

    let soql = findings(&v, "SOQL_IN_LOOP");
    assert_eq!(soql.len(), 1);
    assert_eq!(soql[0]["count"], 6);
    assert_eq!(soql[0]["source_line"], 23);
    assert_eq!(soql[0]["log_line"], 13);
    assert_eq!(soql[0]["method"], "InvoiceRollup.recalc(List<Id>)");
    let dml = findings(&v, "DML_IN_LOOP");
    assert_eq!(dml.len(), 1);
    assert_eq!(dml[0]["count"], 5);
    assert_eq!(dml[0]["source_line"], 31);
    assert_eq!(dml[0]["log_line"], 42);
    let scan = findings(&v, "SOQL_TABLESCAN");
    assert_eq!(scan.len(), 1);
    assert_eq!(scan[0]["severity"], "warn");
    assert_eq!(scan[0]["source_line"], 17);
    assert!(
        scan[0]["message"]
            .as_str()
            .unwrap()
            .contains("relativeCost 2.3")
    );

    // Separate pools, never summed.
    let pool = |ns: &str| {
        v["limits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["namespace"] == ns)
            .unwrap()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["label"] == "Number of SOQL queries")
            .unwrap()
            .clone()
    };
    assert_eq!(pool("(default)")["peak"], 92);
    assert_eq!(pool("(default)")["close_to_limit"], true);
    assert_eq!(pool("acme")["peak"], 85);
    assert_eq!(pool("acme")["peak_pct"], 85);

    // Tables: 8 queries (7 subscriber, 1 acme), rows from SOQL_EXECUTE_END; 5 DML rows.
    assert_eq!(v["soql"]["count"], 8);
    assert_eq!(v["soql"]["rows"], 6 + 3 + 4 + 5 + 3 + 4 + 5 + 12);
    assert_eq!(v["dml"]["count"], 5);
    assert_eq!(v["dml"]["rows"], 5);
    let first = &v["soql"]["statements"][0];
    assert_eq!(first["count"], 6);
    assert_eq!(first["rows"], 24);
}

#[test]
fn json_has_the_documented_top_level_keys() {
    let v = json(&[&fixture("e2cp-handled.log"), "--tree"]);
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let want: BTreeSet<&str> = [
        "schema_version",
        "file",
        "view",
        "hidden_namespaces",
        "summary",
        "verdict",
        "findings",
        "limits",
        "soql",
        "dml",
        "sosl",
        "heap",
        "callouts",
        "not_shown",
        "exceptions",
        "methods",
        "namespaces",
        "tree",
        "log_issues",
        "time_by_category",
        "save_order",
    ]
    .into_iter()
    .collect();
    assert_eq!(keys, want);
    assert_eq!(v["schema_version"], 2);
    let s = &v["summary"];
    assert_eq!(s["api_version"], "61.0");
    assert_eq!(s["user"], "support.admin@northwind-demo.example");
    assert_eq!(s["transactions"], 1);
    assert_eq!(s["truncated"], false);
    assert_eq!(s["entry_points"][0]["name"], "execute_anonymous_apex");
    assert_eq!(s["log_levels"][0]["category"], "APEX_CODE");
    assert_eq!(s["log_levels"][0]["level"], "FINEST");
    assert!(s["wall_nanos"].as_u64().unwrap() > 0);
    // The docs list every key.
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/analyze-json.md"))
            .unwrap();
    for k in &want {
        assert!(
            doc.contains(&format!("`{k}`")),
            "docs/analyze-json.md lacks {k}"
        );
    }
    let tree = v["tree"]["nodes"].as_array().unwrap();
    assert_eq!(tree[0]["kind"], "EXECUTION_STARTED");
    assert_eq!(tree[0]["depth"], 0);
    assert!(
        tree.iter()
            .any(|n| n["name"] == "E2CP.ThreadMatcher.findParent(Case)" && n["log_line"] == 98)
    );
}

#[test]
fn truncated_logs_say_every_figure_is_a_floor() {
    for name in ["trap-maxsize.log", "trap-skipped.log"] {
        let v = json(&[&fixture(name)]);
        assert_eq!(v["summary"]["truncated"], true, "{name}");
        let out = common::run(&["analyze", &fixture(name)]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("every figure below is a floor"),
            "{name}: {text}"
        );
    }
    let v = json(&[&fixture("trap-skipped.log")]);
    // One finding per region, each quoting its own bytes.
    let skipped = findings(&v, "LOG_SKIPPED");
    assert_eq!(skipped.len(), 2, "two markers at 11 and 12: {v}");
    assert_eq!(skipped[0]["log_line"], 11);
    assert_eq!(skipped[1]["log_line"], 12);
    assert!(
        skipped[0]["message"]
            .as_str()
            .unwrap()
            .contains("22606355 bytes")
    );
    assert!(
        skipped[1]["message"]
            .as_str()
            .unwrap()
            .contains("1024 bytes")
    );
}

#[test]
fn every_catalogue_sample_is_detected_end_to_end() {
    let cat = Catalogue::builtin();
    for rule in cat.rules() {
        let sample = rule.sample.replace("\r\n", "\n");
        let mut log = String::from("61.0 APEX_CODE,FINEST;DB,FINEST\n");
        log.push_str("10:14:07.1 (1000)|EXECUTION_STARTED\n");
        log.push_str(&sample);
        log.push('\n');
        let r = analyze_bytes(&rule.id, log.as_bytes());
        assert!(
            r.findings.iter().any(|f| f.id == rule.id),
            "rule {} not detected from its sample; findings: {:?}",
            rule.id,
            r.findings.iter().map(|f| &f.id).collect::<Vec<_>>()
        );
    }
}

#[test]
fn user_rules_are_added_and_a_bad_rules_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("mine.toml");
    std::fs::write(
        &good,
        r#"[[rule]]
id = "E2CP_THREAD_LOOKUP"
title = "E2CP thread lookup failed"
severity = "warn"
literals = ["ThreadIdentifier__c"]
events = ["SOQL_EXECUTE_BEGIN", "EXCEPTION_THROWN"]
remedy = "Ask E2CP support."
"#,
    )
    .unwrap();
    let v = json(&[
        &fixture("e2cp-handled.log"),
        "--rules",
        good.to_str().unwrap(),
    ]);
    let f = findings(&v, "E2CP_THREAD_LOOKUP");
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["log_line"], 118);
    assert_eq!(f[0]["namespace"], "E2CP");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[rule]]\nid = \"X\"\nseverity = \"loud\"\n").unwrap();
    let out = common::run(&[
        "analyze",
        &fixture("e2cp-handled.log"),
        "--rules",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("dbglog: ") && err.contains("bad.toml"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn errors_and_stdin() {
    let out = common::run(&["analyze", "/nonexistent/x.log"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("dbglog: ") && err.contains("/nonexistent/x.log"),
        "{err}"
    );
    let out = common::run(&["analyze", &fixture("e2cp-handled.log"), "--as", "customer"]);
    assert_eq!(out.status.code(), Some(2));

    let log = std::fs::read(common::fixture("limits-near.log")).unwrap();
    let out = common::run_stdin(&["analyze", "-", "--format", "json"], &log);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], "<stdin>");
    assert_eq!(findings(&v, "SOQL_IN_LOOP")[0]["count"], 6);
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let out = common::run(&["analyze", &fixture("e2cp-fatal.log"), "--color", "always"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b[1;31mFATAL"));
    let out = common::run(&["analyze", &fixture("e2cp-fatal.log"), "--color", "never"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn tree_is_indented_and_capped() {
    let out = common::run(&[
        "analyze",
        &fixture("limits-near.log"),
        "--tree",
        "--tree-depth",
        "2",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Call tree"));
    assert!(
        text.contains(
            "\n      METHOD_ENTRY InvoiceRollup.recalc(List<Id>)  666.435 / 0.928 ms  @6"
        ),
        "{text}"
    );
    assert!(
        !text.contains("SOQL_EXECUTE_BEGIN SELECT"),
        "depth 3 is cut: {text}"
    );
    assert!(text.contains("frames not shown"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Independent counts from the raw lines.

/// Decode a fixture the simple way: BOM-aware UTF-16, else bytes.
fn raw_text(p: &Path) -> String {
    let b = std::fs::read(p).unwrap();
    let utf16 = |le: bool| {
        let u: Vec<u16> = b[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&u)
    };
    if b.starts_with(&[0xFF, 0xFE]) {
        utf16(true)
    } else if b.starts_with(&[0xFE, 0xFF]) {
        utf16(false)
    } else {
        String::from_utf8_lossy(&b).into_owned()
    }
}

/// The event type of a line, if it is an event line: `HH:MM:SS.f[ (N)]|TYPE[|…]`.
fn line_type(line: &str) -> Option<&str> {
    let line = line.trim_start_matches('\u{feff}').trim_end_matches('\r');
    let b = line.as_bytes();
    if b.len() < 12 || b[2] != b':' || b[5] != b':' || b[8] != b'.' {
        return None;
    }
    let bar = line.find('|')?;
    let head = &line[..bar];
    let ok_head = head[..8].bytes().all(|c| c.is_ascii_digit() || c == b':')
        && head[9..]
            .split(' ')
            .next()
            .is_some_and(|f| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()));
    if !ok_head {
        return None;
    }
    let rest = &line[bar + 1..];
    let end = rest.find('|').unwrap_or(rest.len());
    let t = &rest[..end];
    (!t.is_empty()
        && t.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        && t.as_bytes()[0].is_ascii_uppercase())
    .then_some(t)
}

struct RawCounts {
    soql: u64,
    dml: u64,
    thrown: u64,
    namespaces: BTreeSet<String>,
}

fn raw_counts(p: &Path) -> RawCounts {
    let text = raw_text(p);
    let mut c = RawCounts {
        soql: 0,
        dml: 0,
        thrown: 0,
        namespaces: BTreeSet::new(),
    };
    for line in text.split('\n') {
        let Some(t) = line_type(line) else { continue };
        let field = |i: usize| {
            line.trim_end_matches('\r')
                .split('|')
                .nth(i)
                .unwrap_or("")
                .to_string()
        };
        match t {
            "SOQL_EXECUTE_BEGIN" => c.soql += 1,
            "DML_BEGIN" => c.dml += 1,
            "EXCEPTION_THROWN" => c.thrown += 1,
            "ENTERING_MANAGED_PKG" => {
                let ns = field(2);
                let ns = ns.rsplit('.').next().unwrap_or("").to_string();
                if !ns.is_empty() {
                    c.namespaces.insert(ns);
                }
            }
            "LIMIT_USAGE_FOR_NS" => {
                let ns = field(2);
                if !ns.is_empty() && ns != "(default)" {
                    c.namespaces.insert(ns);
                }
            }
            _ => {}
        }
    }
    c
}

fn check_counts(p: &Path) {
    let name = p.to_string_lossy().into_owned();
    let v = json(&[&name]);
    let raw = raw_counts(p);
    // Statements seen only in limit-usage lines have no line of their own.
    let lines =
        |t: &str| v[t]["count"].as_u64().unwrap() - v[t]["from_limit_usage"].as_u64().unwrap();
    assert_eq!(lines("soql"), raw.soql, "{name}: SOQL count");
    assert_eq!(lines("dml"), raw.dml, "{name}: DML count");
    assert_eq!(
        v["exceptions"]["thrown"], raw.thrown,
        "{name}: exception count"
    );
    let reported: BTreeSet<String> = v["summary"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    // Namespaces compare ignoring case (Salesforce's rule); the report keeps the first
    // spelling the log uses.
    let lower: BTreeSet<String> = reported.iter().map(|n| n.to_ascii_lowercase()).collect();
    for ns in &raw.namespaces {
        assert!(
            lower.contains(&ns.to_ascii_lowercase()),
            "{name}: namespace {ns} missing from {reported:?}"
        );
    }
    let text = raw_text(p);
    for ns in reported
        .iter()
        .filter(|n| *n != "(default)" && !n.is_empty())
    {
        assert!(
            text.contains(ns.as_str()),
            "{name}: reported namespace {ns} is not in the log"
        );
    }
    let per_ns: u64 = v["soql"]["by_namespace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["count"].as_u64().unwrap())
        .sum();
    assert_eq!(
        per_ns,
        v["soql"]["count"].as_u64().unwrap(),
        "{name}: SOQL per namespace sums to the total"
    );
}

#[test]
fn every_fixture_agrees_with_a_raw_line_count() {
    for p in common::fixture_logs() {
        check_counts(&p);
    }
}

#[test]
fn every_corpus_log_agrees_with_a_raw_line_count() {
    let Some(logs) = common::corpus_logs() else {
        return;
    };
    for p in logs {
        check_counts(&p);
    }
}

#[test]
fn errors_catalogue_fixture_pairs_throws_with_fatal_errors() {
    let v = json(&[&fixture("errors-catalogue.log")]);
    let e = &v["exceptions"];
    let thrown = e["thrown"].as_u64().unwrap();
    let caught = e["caught"].as_u64().unwrap();
    let uncaught = e["uncaught"].as_u64().unwrap();
    assert!(thrown > 0 && uncaught > 0);
    // Every uncaught exception ends in at least one FATAL_ERROR line, and each FATAL_ERROR
    // line belongs to at most one exception.
    assert!(uncaught <= e["fatal_error_lines"].as_u64().unwrap());
    assert!(caught <= thrown);
    // The acme limit exception names its namespace.
    assert!(
        v["summary"]["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "acme")
    );
    assert!(!findings(&v, "LIMIT_SOQL").is_empty());
}

// ---------------------------------------------------------------------------------------
// The verdict, the order of findings, grouping, and the 80-column rule (issue 17).

fn text(args: &[&str]) -> String {
    let mut a = vec!["analyze"];
    a.extend_from_slice(args);
    let out = common::run(&a);
    assert_eq!(out.status.code(), Some(0), "analyze {args:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_verdict_of_the_fatal_log_names_the_uncaught_exception_and_where() {
    let v = json(&[&fixture("e2cp-fatal.log")]);
    let d = &v["verdict"];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["finding"], 0);
    assert_eq!(d["finding_id"], "QUERY_NON_SELECTIVE");
    let h = d["headline"].as_str().unwrap();
    assert!(
        h.starts_with("System.QueryException: Non-selective query against large object type"),
        "{h}"
    );
    assert!(
        h.contains(
            "— uncaught, raised in E2CP.ThreadMatcher.findParent line 88 (package E2CP, \
             called from CaseTrigger"
        ),
        "{h}"
    );
    let t = text(&[&fixture("e2cp-fatal.log")]);
    let mut lines = t.lines();
    assert_eq!(
        lines.next(),
        Some("FAILED  System.QueryException: Non-selective query against large object type (m…")
    );
    assert_eq!(
        lines.next(),
        Some("        — uncaught, raised in E2CP.ThreadMatcher.findParent line 88 (package")
    );
}

#[test]
fn errors_catalogue_opens_with_the_uncaught_null_pointer() {
    let v = json(&[&fixture("errors-catalogue.log")]);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f[0]["id"], "NULL_POINTER", "{}", f[0]);
    assert_eq!(f[0]["uncaught"], true);
    assert_eq!(f[0]["log_line"], 103);
    assert_eq!(v["verdict"]["status"], "failed");
    assert_eq!(v["verdict"]["finding"], 0);
    assert_eq!(v["verdict"]["finding_id"], "NULL_POINTER");
    let h = v["verdict"]["headline"].as_str().unwrap();
    assert!(
        h.starts_with("System.NullPointerException: Attempt to de-reference a null object"),
        "{h}"
    );
    // Every uncaught or fatal finding comes before any other, in log order.
    let first_other = f
        .iter()
        .position(|x| x["uncaught"] != true && x["severity"] != "fatal")
        .unwrap();
    assert!(
        f[first_other..]
            .iter()
            .all(|x| x["uncaught"] != true && x["severity"] != "fatal")
    );
    let lines: Vec<u64> = f[..first_other]
        .iter()
        .map(|x| x["log_line"].as_u64().unwrap())
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    // The failed assertion (line 548) is among them, no longer second to last.
    assert!(f[..first_other].iter().any(|x| x["id"] == "ASSERT_FAILED"));
    // Then errors, warnings, info.
    let sev: Vec<&str> = f[first_other..]
        .iter()
        .map(|x| x["severity"].as_str().unwrap())
        .collect();
    let rank = |s: &str| ["error", "warn", "info"].iter().position(|x| *x == s);
    assert!(sev.windows(2).all(|w| rank(w[0]) <= rank(w[1])), "{sev:?}");
    let t = text(&[&fixture("errors-catalogue.log")]);
    assert!(t.starts_with("FAILED  System.NullPointerException"), "{t}");
    let first = t.lines().position(|l| l.contains(" 1. ")).unwrap();
    assert!(
        t.lines().nth(first).unwrap().contains("NULL_POINTER"),
        "{t}"
    );
}

#[test]
fn limits_near_verdict_names_the_cpu_limit_and_it_leads_the_warnings() {
    let v = json(&[&fixture("limits-near.log")]);
    let d = &v["verdict"];
    assert_eq!(d["status"], "ok");
    assert_eq!(
        d["headline"],
        "no errors; CPU peaked at 95% of its limit (namespace (default))"
    );
    let f = &v["findings"][0];
    assert_eq!(f["id"], "NEAR_LIMIT");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("Maximum CPU time")
    );
    // The other warnings follow in log order.
    let lines: Vec<u64> = v["findings"].as_array().unwrap()[1..]
        .iter()
        .filter(|x| x["severity"] == "warn")
        .map(|x| x["log_line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [9, 13, 42, 70, 85]);
    let t = text(&[&fixture("limits-near.log")]);
    assert_eq!(
        t.lines().next(),
        Some("OK      no errors; CPU peaked at 95% of its limit (namespace (default))")
    );
}

#[test]
fn the_handled_log_is_ok_and_names_the_handled_error() {
    let v = json(&[&fixture("e2cp-handled.log")]);
    let d = &v["verdict"];
    assert_eq!(d["status"], "ok");
    assert_eq!(d["finding"], 0);
    assert_eq!(d["finding_id"], "QUERY_NON_SELECTIVE");
    assert_eq!(
        d["headline"],
        "1 error handled, first QUERY_NON_SELECTIVE; SOQL queries peaked at 2% of their \
         limit (namespace E2CP)"
    );
    assert!(text(&[&fixture("e2cp-handled.log")]).starts_with("OK      1 error handled"));
}

#[test]
fn identical_findings_are_one_with_a_count_and_first_and_last_lines() {
    // The same expensive plan from two methods: one finding, ×2, lines 6 and 11.
    let log = "61.0 APEX_CODE,FINEST;DB,FINEST\n\
        09:00:00.0 (100)|EXECUTION_STARTED\n\
        09:00:00.0 (200)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex\n\
        09:00:00.0 (300)|METHOD_ENTRY|[1]|01p000000000001|A.one()\n\
        09:00:00.0 (400)|SOQL_EXECUTE_BEGIN|[5]|Aggregations:0|SELECT Id FROM Invoice__c\n\
        09:00:00.0 (500)|SOQL_EXECUTE_EXPLAIN|[5]|TableScan on Invoice__c : [], cardinality: 9000, sobjectCardinality: 9000, relativeCost 2.3\n\
        09:00:00.0 (600)|SOQL_EXECUTE_END|[5]|Rows:1\n\
        09:00:00.0 (700)|METHOD_EXIT|[1]|01p000000000001|A.one()\n\
        09:00:00.0 (800)|METHOD_ENTRY|[2]|01p000000000001|A.two()\n\
        09:00:00.0 (900)|SOQL_EXECUTE_BEGIN|[9]|Aggregations:0|SELECT Id FROM Invoice__c\n\
        09:00:00.0 (1000)|SOQL_EXECUTE_EXPLAIN|[9]|TableScan on Invoice__c : [], cardinality: 9000, sobjectCardinality: 9000, relativeCost 2.3\n\
        09:00:00.0 (1100)|SOQL_EXECUTE_END|[9]|Rows:1\n\
        09:00:00.0 (1200)|METHOD_EXIT|[2]|01p000000000001|A.two()\n\
        09:00:00.0 (1300)|CODE_UNIT_FINISHED|execute_anonymous_apex\n\
        09:00:00.0 (1400)|EXECUTION_FINISHED\n";
    let r = analyze_bytes("group.log", log.as_bytes());
    let scans: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.id == "SOQL_TABLESCAN")
        .collect();
    assert_eq!(scans.len(), 1, "{:#?}", r.findings);
    let f = scans[0];
    assert_eq!((f.count, f.log_line, f.last_line), (2, 6, 11));
    assert_eq!(
        f.method.as_deref(),
        Some("A.one()"),
        "the first occurrence's place"
    );
    assert_eq!(f.source_line, Some(5));
    let mut out = Vec::new();
    analyze::text::write(&mut out, &r, &dbglog::output::Style::new(false)).unwrap();
    let t = String::from_utf8(out).unwrap();
    assert!(t.contains("SOQL_TABLESCAN ×2"), "{t}");
    assert!(t.contains("log lines 6–11"), "{t}");
}

/// Every line of the text report fits in 80 columns, for every fixture (and corpus log),
/// in the full and the subscriber view and with the call tree.
#[test]
fn every_text_report_line_fits_in_80_columns() {
    let mut logs = common::fixture_logs();
    let red = common::fixtures().join("redaction");
    if let Ok(d) = std::fs::read_dir(&red) {
        logs.extend(
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "log")),
        );
    }
    logs.extend(common::corpus_logs().unwrap_or_default());
    let mut checked = 0;
    for p in &logs {
        let path = p.to_str().unwrap();
        for extra in [&[][..], &["--tree"][..], &["--as", "subscriber"][..]] {
            let mut a = vec!["analyze", path];
            a.extend_from_slice(extra);
            let out = common::run(&a);
            if out.status.code() != Some(0) {
                continue; // not a log (tests/input.rs)
            }
            let t = String::from_utf8_lossy(&out.stdout);
            for l in t.lines() {
                assert!(
                    l.chars().count() <= 80,
                    "{path} {extra:?}: {} columns:\n{l}",
                    l.chars().count()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked}");
}

#[test]
fn wide_prints_whole_lines_and_lines_format_gives_one_line_per_finding() {
    let t = text(&[&fixture("e2cp-fatal.log"), "--wide"]);
    let first = t.lines().next().unwrap();
    assert!(first.starts_with("FAILED  System.QueryException: Non-selective query"));
    assert!(
        first.ends_with("(package E2CP, called from CaseTrigger, entry point execute_anonymous_apex); 2 more uncaught or fatal"),
        "{first}"
    );
    assert!(t.lines().any(|l| l.chars().count() > 80));
    let f = fixture("e2cp-fatal.log");
    let out = common::run(&["analyze", &f, "--format", "lines"]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 4, "{s}");
    assert!(
        lines[0].starts_with(&format!(
            "{f}:119: FATAL QUERY_NON_SELECTIVE [E2CP] Non-selective query on a large object (uncaught): System.QueryException:"
        )),
        "{s}"
    );
    assert!(lines[3].starts_with(&format!("{f}:71: INFO SOQL_TABLESCAN_CHEAP [E2CP] ")));
}

#[test]
fn scan_prints_the_same_lines_format() {
    let f = fixture("e2cp-fatal.log");
    let out = common::run(&["scan", "--format", "lines", &f]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.lines()
            .any(|l| l.starts_with(&format!("{f}:119: FATAL QUERY_NON_SELECTIVE [E2CP] "))),
        "{s}"
    );
}
