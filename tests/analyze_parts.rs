//! `dbglog analyze`: the sections that explain the transaction (heap, callouts, SOQL
//! lint, what the debug levels hide), each on a fixture written for it, with its exact
//! text section and JSON fields.

mod common;

use serde_json::{Value, json};

fn run(name: &str, extra: &[&str]) -> (String, Value) {
    let path = common::fixture(name).to_string_lossy().into_owned();
    let mut a = vec!["analyze", path.as_str()];
    a.extend_from_slice(extra);
    let text = common::run(&a);
    assert_eq!(text.status.code(), Some(0), "analyze {name}");
    a.extend_from_slice(&["--format", "json"]);
    let out = common::run(&a);
    assert_eq!(out.status.code(), Some(0), "analyze {name} --format json");
    let v = serde_json::from_slice(&out.stdout).expect("one JSON object");
    (String::from_utf8(text.stdout).unwrap(), v)
}

/// The text section that starts with the line `title…`, up to the blank line after it,
/// each line ended by a newline.
fn section(text: &str, title: &str) -> String {
    let mut out = String::new();
    let mut on = false;
    for l in text.lines() {
        on |= l.starts_with(title);
        if on {
            if l.is_empty() {
                break;
            }
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// (id, log_line, last_line, count, source_line) of each finding, in report order.
fn findings(v: &Value) -> Vec<(String, u64, u64, u64, Option<u64>)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["log_line"].as_u64().unwrap(),
                f["last_line"].as_u64().unwrap(),
                f["count"].as_u64().unwrap(),
                f["source_line"].as_u64(),
            )
        })
        .collect()
}

fn sections(v: &Value) -> Vec<String> {
    v["not_shown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["section"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn heap_peak_names_where_it_was_reached_and_the_methods_that_allocated() {
    let (text, v) = run("heap-peak.log", &[]);
    assert_eq!(v["schema_version"], 2);
    assert_eq!(section(&text, "Heap"), HEAP);
    let h = &v["heap"];
    assert_eq!(
        (h["used_bytes"].as_u64(), h["source"].as_str()),
        (Some(66000), Some("allocations"))
    );
    assert_eq!(
        h["peak_at"],
        json!({"bytes": 66000, "source": "allocations", "log_line": 8,
               "namespace": "(default)", "method": "Importer.parse(String)"})
    );
    assert_eq!(
        h["by_method"],
        json!([
            {"namespace": "(default)", "name": "Importer.parse(String)", "count": 1,
             "self_bytes": 65000, "total_bytes": 65000, "peak_bytes": 65000},
            {"namespace": "(default)", "name": "Importer.save()", "count": 1,
             "self_bytes": 5000, "total_bytes": 5000, "peak_bytes": 5000},
            {"namespace": "(default)", "name": "Importer.run()", "count": 1,
             "self_bytes": 1000, "total_bytes": 71000, "peak_bytes": 66000}
        ])
    );
    assert_eq!(sections(&v), ["query-plans"]);
}

#[test]
fn two_callouts_with_endpoint_method_status_time_and_totals_per_namespace() {
    let (text, v) = run("callouts.log", &[]);
    assert_eq!(section(&text, "Callouts:"), CALLOUTS);
    assert!(
        !text.contains("token=abc123"),
        "the query string is dropped"
    );
    assert_eq!(
        v["callouts"],
        json!({
            "count": 2,
            "time_nanos": 165000000u64,
            "callouts": [
                {"endpoint": "https://api.example.net/v2/orders", "method": "POST",
                 "status_code": 201, "status": "Created", "time_nanos": 45000000,
                 "namespace": "(default)", "source_line": 12, "log_line": 5},
                {"endpoint": "callout:ShipX_API/rates/quote", "method": "GET",
                 "status_code": 503, "status": "Service Unavailable", "time_nanos": 120000000,
                 "namespace": "shipx", "source_line": null, "log_line": 9}
            ],
            "by_namespace": [
                {"namespace": "(default)", "count": 1, "time_nanos": 45000000, "failed": 0},
                {"namespace": "shipx", "count": 1, "time_nanos": 120000000, "failed": 1}
            ]
        })
    );
}

#[test]
fn one_query_per_soql_lint_rule() {
    let (text, v) = run("soql-lint.log", &[]);
    assert_eq!(section(&text, "Findings"), LINT);
    let s = |x: &str| x.to_string();
    assert_eq!(
        findings(&v),
        [
            (s("SOQL_NO_WHERE_NO_LIMIT"), 5, 5, 1, Some(5)),
            (s("SOQL_LEADING_WILDCARD"), 7, 7, 1, Some(6)),
            (s("SOQL_NEGATIVE_FILTER"), 9, 9, 1, Some(7)),
            (s("SOQL_REPEATED"), 13, 21, 5, Some(9)),
            (s("SOQL_ORDER_BY_NO_LIMIT"), 11, 11, 1, Some(8)),
        ]
    );
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(
            (f["namespace"].as_str(), f["method"].as_str()),
            (Some("(default)"), Some("Report.build()"))
        );
    }
}

#[test]
fn a_low_level_log_says_what_it_cannot_show() {
    let (text, v) = run("levels-low.log", &[]);
    assert_eq!(section(&text, "What this log cannot show"), LOW);
    assert_eq!(
        sections(&v),
        [
            "methods",
            "heap",
            "soql",
            "query-plans",
            "dml",
            "callouts",
            "limits",
            "statements",
            "flows"
        ]
    );
    assert_eq!(
        v["not_shown"][0],
        json!({"section": "methods", "event": "METHOD_ENTRY", "category": "APEX_CODE",
               "needs": "FINE", "level": "DEBUG",
               "note": "no method frames: methods, the call tree and time per namespace show code units only"})
    );
    assert!(
        findings(&v).iter().all(|f| f.0 != "LEVELS_TOO_LOW"),
        "the full view asks for no frames"
    );
}

#[test]
fn a_vendor_view_of_a_low_level_log_is_a_levels_too_low_finding() {
    let (text, v) = run("levels-low.log", &["--as", "vendor:E2CP"]);
    assert_eq!(section(&text, "Findings"), LOW_VENDOR);
    let f = &v["findings"][0];
    assert_eq!(
        (
            f["id"].as_str(),
            f["severity"].as_str(),
            f["log_line"].as_u64()
        ),
        (Some("LEVELS_TOO_LOW"), Some("warn"), Some(1))
    );
}

const HEAP: &str = concat!(
    "Heap\n",
    "  Peak  66000 bytes (from allocations) at log line 8, ns (default), in\n",
    "        Importer.parse(String)\n",
    "    calls         self        total  method (bytes allocated)\n",
    "        1        65000        65000  Importer.parse(String)\n",
    "        1         5000         5000  Importer.save()\n",
    "        1         1000        71000  Importer.run()\n",
);

const CALLOUTS: &str = concat!(
    "Callouts: 2 requests, 165.000 ms\n",
    "  (default)                      1 requests       45.000 ms     0 failed\n",
    "  shipx                          1 requests      120.000 ms     1 failed\n",
    "  status method         ms  namespace  endpoint\n",
    "     201 POST       45.000  (default)  https://api.example.net/v2/orders\n",
    "     503 GET       120.000  shipx      callout:ShipX_API/rates/quote\n",
);

const LINT: &str = concat!(
    "Findings (5)\n",
    "   1. WARN  SOQL_NO_WHERE_NO_LIMIT  no WHERE and no LIMIT, 1500 rows (threshold\n",
    "        200): SELECT Id, Name FROM Account\n",
    "        in Report.build() · line [5] · log line 5 · ns (default)\n",
    "        → Filter the query or give it a LIMIT: it reads the whole object, and\n",
    "          the 50,000-row limit grows closer with the data.\n",
    "   2. WARN  SOQL_LEADING_WILDCARD  LIKE with a leading wildcard cannot use an\n",
    "        index: SELECT Id FROM Contact WHERE LastName LIKE '%son' LIMIT 10\n",
    "        in Report.build() · line [6] · log line 7 · ns (default)\n",
    "        → A pattern starting with % cannot use an index; match on a prefix, or\n",
    "          use SOSL for text search.\n",
    "   3. WARN  SOQL_NEGATIVE_FILTER  only negative filters (!=, NOT IN, = null),\n",
    "        which no index serves: SELECT Id FROM Case WHERE Status != 'Closed'\n",
    "        LIMIT 50\n",
    "        in Report.build() · line [7] · log line 9 · ns (default)\n",
    "        → Add a positive, selective filter (an indexed field with = or IN):\n",
    "          negative operators and = null are not selective.\n",
    "   4. WARN  SOQL_REPEATED ×5  the same query shape ran 5× with different values\n",
    "        (log lines 13–21): select id from opportunity where accountid = ?\n",
    "        in Report.build() · line [9] · log lines 13–21 · ns (default)\n",
    "        → Collect the values first and run one query with IN :values, outside\n",
    "          the loop.\n",
    "   5. INFO  SOQL_ORDER_BY_NO_LIMIT  ORDER BY without LIMIT sorts every matching\n",
    "        row: SELECT Id FROM Lead WHERE Email = :e ORDER BY CreatedDate DESC\n",
    "        in Report.build() · line [8] · log line 11 · ns (default)\n",
    "        → Add a LIMIT when only the first rows are used, or drop the ORDER BY.\n",
);

const LOW: &str = concat!(
    "What this log cannot show (its debug levels)\n",
    "  methods     APEX_CODE=DEBUG (needs FINE, for METHOD_ENTRY): no method frames:\n",
    "              methods, the call tree and time per namespace show code units only\n",
    "  heap        APEX_CODE=DEBUG (needs FINER, for HEAP_ALLOCATE): no heap\n",
    "              allocations: the heap peak is the limits blocks' figure, heap per\n",
    "              method is empty\n",
    "  soql        DB=ERROR (needs INFO, for SOQL_EXECUTE_BEGIN): no SOQL statements:\n",
    "              counts come from limits blocks only, and no SOQL lint runs\n",
    "  query-plans DB=ERROR (needs FINEST, for SOQL_EXECUTE_EXPLAIN): no query plans:\n",
    "              SOQL_TABLESCAN cannot be checked\n",
    "  dml         DB=ERROR (needs INFO, for DML_BEGIN): no DML statements: counts\n",
    "              come from limits blocks only\n",
    "  callouts    CALLOUT=NONE (needs INFO, for CALLOUT_REQUEST): no callouts: the\n",
    "              callouts section is empty whatever ran\n",
    "  limits      APEX_PROFILING=NONE (needs INFO, for LIMIT_USAGE_FOR_NS): no\n",
    "              limits blocks: no governor limits, and limit findings cannot be\n",
    "              raised\n",
    "  statements  APEX_CODE=DEBUG (needs FINER, for STATEMENT_EXECUTE): no statement\n",
    "              lines: every package looks opaque, and loops show only their\n",
    "              queries\n",
    "  flows       WORKFLOW=ERROR (needs INFO, for FLOW_START_INTERVIEW_BEGIN): no\n",
    "              flow interviews: flows and processes are not counted\n",
);

const LOW_VENDOR: &str = concat!(
    "Findings (2)\n",
    "   1. WARN  LEVELS_TOO_LOW  the vendor:E2CP view asks for the package's frames,\n",
    "        but APEX_CODE=DEBUG writes no METHOD_ENTRY (it needs FINE): only code\n",
    "        units and package markers show; capture again with APEX_CODE=FINE or\n",
    "        finer\n",
    "        log line 1 · ns (default)\n",
    "        → Set the trace flag's debug level to APEX_CODE=FINE (FINEST for\n",
    "          statement detail) and reproduce.\n",
    "   2. INFO  OPAQUE_PACKAGE  managed package E2CP is opaque (1 package run(s), 2\n",
    "        marker line(s); the log shows only ENTERING_MANAGED_PKG markers for it):\n",
    "        errors handled inside it do not show here; ask the vendor of E2CP for a\n",
    "        Login Access capture of the same operation\n",
    "        log line 4 · ns E2CP\n",
    "        → Ask the package vendor to reproduce with Login Access (Subscriber\n",
    "          Support) and capture a vendor-view log.\n",
);

#[test]
fn every_line_of_the_new_fixtures_fits_80_columns() {
    for (name, extra) in [
        ("heap-peak.log", &[][..]),
        ("callouts.log", &[][..]),
        ("soql-lint.log", &[][..]),
        ("levels-low.log", &["--as", "vendor:E2CP"][..]),
    ] {
        let (text, _) = run(name, extra);
        for l in text.lines() {
            assert!(l.chars().count() <= 80, "{name}: {l}");
        }
    }
}
