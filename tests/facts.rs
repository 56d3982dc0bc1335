//! The facts a log states, each checked on a hand-written fixture with its exact expected
//! values (issue 23): headers, new logs, limit-usage lines, heap, SOSL, time, levels,
//! command agreement and continuation text.

mod common;

use common::{fixture, run, run_stdin};
use serde_json::{Value, json};

fn analyze(path: &str) -> Value {
    let out = run(&["analyze", "--format", "json", path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("analyze json")
}

fn analyze_fixture(name: &str) -> Value {
    analyze(fixture(name).to_str().unwrap())
}

fn stats(args: &[&str], stdin: &[u8]) -> (Option<i32>, Value) {
    let mut a = vec!["events", "--stats", "--format", "json"];
    a.extend_from_slice(args);
    let out = run_stdin(&a, stdin);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), v)
}

fn issue(r: &Value, kind: &str) -> u64 {
    r["log_issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == kind)
        .map_or(0, |i| i["count"].as_u64().unwrap())
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

#[test]
fn header_with_odd_entries_is_a_header_and_names_them() {
    let r = analyze_fixture("trap-header-odd.log");
    let s = &r["summary"];
    assert_eq!(s["api_version"], "62.0");
    assert_eq!(s["logs"], 1);
    assert_eq!(
        s["header_issues"],
        json!([
            {"entry": "", "problem": "empty-entry"},
            {"entry": "NEW_CATEGORY,INFO", "problem": "unknown-category"},
            {"entry": "DB,LOUD", "problem": "unknown-level"},
            {"entry": "SYSTEM,DEBUG,EXTRA", "problem": "extra-field"},
        ])
    );
    let levels: Vec<_> = s["log_levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}={}",
                l["category"].as_str().unwrap(),
                l["level"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            "APEX_CODE=FINE",
            "NEW_CATEGORY=INFO",
            "DB=LOUD",
            "SYSTEM=DEBUG",
            "APEX_PROFILING=INFO"
        ]
    );
    assert_eq!(issue(&r, "header-entry"), 4);
    assert_eq!(issue(&r, "unclosed-at-end"), 0);
    let (code, st) = stats(&[], &read("trap-header-odd.log"));
    assert_eq!((code, st["logs"].as_u64()), (Some(0), Some(1)));
}

#[test]
fn a_header_pasted_into_a_debug_message_is_no_new_log() {
    let r = analyze_fixture("trap-pasted-header.log");
    assert_eq!(r["summary"]["logs"], 1);
    assert_eq!(r["summary"]["api_version"], "61.0");
    for k in ["multiple-logs", "unexpected-exit", "unclosed-at-end"] {
        assert_eq!(issue(&r, k), 0, "{k}");
    }
    let log = read("trap-pasted-header.log");
    let (_, st) = stats(&[], &log);
    assert_eq!(st["logs"], 1);
    // view and scan frame with the same framer: the full view gives back every byte.
    let out = run_stdin(&["view", "--as", "full"], &log);
    common::assert_bytes_eq(&out.stdout, &log, "view --as full");
    // The message keeps the pasted lines.
    let out = run_stdin(&["events"], &log);
    let ev: Vec<Value> = out
        .stdout
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let debug = ev.iter().find(|e| e["type"] == "USER_DEBUG").unwrap();
    let msg = debug["fields"][2].as_str().unwrap();
    assert!(msg.contains("58.0 APEX_CODE,FINEST"), "{msg}");
    assert!(msg.ends_with("(end of archived body)"), "{msg}");
}

#[test]
fn two_concatenated_logs_the_first_cut_in_a_message_are_two_logs() {
    let r = analyze_fixture("trap-two-logs-cut.log");
    assert_eq!(r["summary"]["logs"], 2);
    assert_eq!(issue(&r, "multiple-logs"), 1);
    let (_, st) = stats(&[], &read("trap-two-logs-cut.log"));
    assert_eq!(st["logs"], 2);
}

#[test]
fn flow_only_statements_count_and_agree_with_the_limits_block() {
    let r = analyze_fixture("facts-flow-only.log");
    let soql = &r["soql"];
    assert_eq!(
        (soql["count"].as_u64(), soql["rows"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(soql["from_limit_usage"], 1);
    let st = &soql["statements"][0];
    assert_eq!(st["from_limit_usage"], true);
    assert!(
        st["statement"].as_str().unwrap().contains("Get_Account"),
        "{st}"
    );
    let ns = &soql["by_namespace"][0];
    assert_eq!(ns["namespace"], "(default)");
    assert_eq!(ns["limits_block"], 1);
    assert_eq!(ns["differs"], json!([]));
    let dml = &r["dml"];
    assert_eq!(
        (dml["count"].as_u64(), dml["rows"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(
        dml["statements"][0]["statement"]
            .as_str()
            .unwrap()
            .contains("Update_Account")
    );
    assert_eq!(dml["by_namespace"][0]["limits_block"], 1);
    assert_eq!(dml["by_namespace"][0]["differs"], json!([]));
    assert_eq!(
        r["summary"]["flow_interviews"],
        json!({"flow": 1, "process_builder": 1})
    );
}

#[test]
fn a_count_below_the_block_says_why() {
    // One SOQL line fewer than the block counts, and nothing else explains it.
    let log = b"61.0 APEX_CODE,FINE;APEX_PROFILING,INFO;DB,INFO\n\
12:00:00.1 (1000000)|EXECUTION_STARTED\n\
12:00:00.1 (1100000)|SOQL_EXECUTE_BEGIN|[1]|Aggregations:0|SELECT Id FROM Account\n\
12:00:00.1 (1200000)|SOQL_EXECUTE_END|[1]|Rows:0\n\
12:00:00.1 (1300000)|LIMIT_USAGE_FOR_NS|(default)|\n  Number of SOQL queries: 2 out of 100\n\n\
12:00:00.1 (1400000)|EXECUTION_FINISHED\n";
    let out = run_stdin(&["analyze", "--format", "json"], log);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ns = &r["soql"]["by_namespace"][0];
    assert_eq!(
        (ns["count"].as_u64(), ns["limits_block"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(ns["differs"], json!(["not-in-log"]));
}

#[test]
fn nested_heap_allocations_have_known_net_gross_and_peak() {
    let out = run(&[
        "analyze",
        "--format",
        "json",
        "--tree",
        fixture("facts-heap.log").to_str().unwrap(),
    ]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let method = |name: &str| {
        r["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["heap"]
            .clone()
    };
    assert_eq!(
        method("Ledger.outer()"),
        json!({"self_gross": 110, "self_net": 110, "total_gross": 180, "total_net": 150, "peak": 150})
    );
    assert_eq!(
        method("Ledger.inner()"),
        json!({"self_gross": 70, "self_net": 40, "total_gross": 70, "total_net": 40, "peak": 50})
    );
    let node = r["tree"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "Ledger.inner()")
        .unwrap()
        .clone();
    assert_eq!(node["heap"]["peak"], 50);
    assert_eq!(
        r["heap"],
        json!({
            "allocated_bytes": 180,
            "net_bytes": 150,
            "computed_peak_bytes": 150,
            "reported_bytes": 0,
            "used_bytes": 150,
            "source": "allocations",
            "peak_at": {"bytes": 150, "source": "allocations", "log_line": 7,
                        "namespace": "(default)", "method": "Ledger.inner()"},
            "by_method": [
                {"namespace": "(default)", "name": "Ledger.outer()", "count": 1,
                 "self_bytes": 110, "total_bytes": 180, "peak_bytes": 150},
                {"namespace": "(default)", "name": "Ledger.inner()", "count": 1,
                 "self_bytes": 70, "total_bytes": 70, "peak_bytes": 50}
            ]
        })
    );
}

#[test]
fn sosl_is_counted_like_soql() {
    let r = analyze_fixture("facts-sosl.log");
    let s = &r["sosl"];
    assert_eq!(s["count"], 2);
    assert_eq!(s["rows"], 5);
    assert_eq!(s["time_nanos"], 4_000_000);
    assert_eq!(s["statements"].as_array().unwrap().len(), 2);
    let ns = &s["by_namespace"][0];
    assert_eq!(ns["namespace"], "(default)");
    assert_eq!(
        (ns["count"].as_u64(), ns["limits_block"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(ns["differs"], json!([]));
    assert_eq!(r["soql"]["count"], 0);
}

#[test]
fn start_time_wall_time_and_out_of_order_stamps() {
    let r = analyze_fixture("trap-out-of-order.log");
    let s = &r["summary"];
    assert_eq!(
        s["start_time"],
        json!({"ms_after_midnight": 36_000_000, "clock": "10:00:00.0"})
    );
    // Last event minus first event: 3000 - 1000, whatever lies between.
    assert_eq!(s["wall_nanos"], 2000);
    assert_eq!(s["out_of_order_times"], 1);
    assert_eq!(issue(&r, "out-of-order-time"), 1);
    let r = analyze_fixture("facts-sosl.log");
    assert_eq!(
        r["summary"]["start_time"],
        json!({"ms_after_midnight": (13 * 3600 + 15 * 60 + 20) * 1000 + 4, "clock": "13:15:20.4"})
    );
    assert_eq!(r["summary"]["out_of_order_times"], 0);
}

#[test]
fn every_event_record_carries_its_level() {
    let out = run(&["events", fixture("facts-heap.log").to_str().unwrap()]);
    let mut seen = std::collections::BTreeMap::new();
    for l in out.stdout.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(l).unwrap();
        seen.insert(v["type"].as_str().unwrap().to_string(), v["level"].clone());
    }
    assert_eq!(seen["METHOD_ENTRY"], "FINE");
    assert_eq!(seen["CODE_UNIT_STARTED"], "ERROR");
    assert_eq!(seen["HEAP_ALLOCATE"], "FINER");
    assert_eq!(seen["LIMIT_USAGE_FOR_NS"], "INFO", "corrected from FINEST");
    let out = run(&["events", fixture("trap-unknown-type.log").to_str().unwrap()]);
    let unknown = out
        .stdout
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .find(|v| v["category"].is_null())
        .expect("an unknown type");
    assert_eq!(unknown["level"], Value::Null);
}

/// The catalogue's levels agree with real logs: no event appears in a log whose header level
/// for the event's category is coarser than the event's level. The exceptions, each with
/// what explains it, are named here.
#[test]
fn catalogue_levels_agree_with_the_corpus() {
    use dbglog::event::EventType;
    use dbglog::framing::RecordKind;
    use dbglog::header::HeaderLevel;
    use dbglog::stream;
    use dbglog::track::Tracker;
    /// (file name, event type, why).
    const EXCEPTIONS: &[(&str, &str, &str)] = &[
        (
            "forcecreators__apex-logs__ui_common_js_apex-07L1900000NthkmEAB.log",
            "SYSTEM_METHOD_ENTRY",
            "SYSTEM,NONE in the header, two lines: a class-level trace override",
        ),
        (
            "forcecreators__apex-logs__ui_common_js_apex-07L1900000NthkmEAB.log",
            "SYSTEM_METHOD_EXIT",
            "SYSTEM,NONE in the header, two lines: a class-level trace override",
        ),
    ];
    let Some(logs) = common::corpus_logs() else {
        return;
    };
    let mut bad = Vec::new();
    let mut checked = 0u64;
    for p in &logs {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(mut input) = dbglog::input::open_path(p) else {
            continue;
        };
        let mut levels: Option<Vec<(dbglog::event::Category, HeaderLevel)>> = None;
        let mut tracker = Tracker::passive();
        let _ = stream::run_with(&mut input, &mut tracker, stream::Threads::One, |item, _| {
            if item.record.kind == RecordKind::Header {
                levels = dbglog::header::parse(item.record.raw).map(|h| {
                    dbglog::event::Category::ALL
                        .into_iter()
                        .filter_map(|c| h.level_of(c).map(|l| (c, l)))
                        .collect()
                });
            }
            let (Some(ev), Some(lv)) = (item.event.as_ref(), levels.as_ref()) else {
                return Ok(());
            };
            let t = ev.etype();
            if t == EventType::Unknown {
                return Ok(());
            }
            let (Some(c), Some(l)) = (t.category(), t.level()) else {
                return Ok(());
            };
            if let Some((_, h)) = lv.iter().find(|(hc, _)| *hc == c) {
                checked += 1;
                let tn = t.name().unwrap();
                if !h.admits(l) && !EXCEPTIONS.iter().any(|(f, e, _)| *f == name && *e == tn) {
                    bad.push(format!("{name}: {tn} ({l:?}) under {} {h:?}", c.as_str()));
                }
            }
            Ok(())
        });
    }
    bad.sort();
    bad.dedup();
    assert!(checked > 0);
    assert!(
        bad.is_empty(),
        "{} contradictions:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn commands_agree_on_logs_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let invalid = dir.path().join("invalid.log");
    std::fs::write(&invalid, "just one line that is no log\n").unwrap();
    let no_header = dir.path().join("no-header.log");
    std::fs::write(
        &no_header,
        "12:00:00.1 (100)|EXECUTION_STARTED\n12:00:00.1 (200)|EXECUTION_FINISHED\n",
    )
    .unwrap();
    let invalid = invalid.to_str().unwrap();
    for args in [
        vec!["events", invalid],
        vec!["events", "--stats", invalid],
        vec!["analyze", invalid],
        vec!["view", invalid],
        vec!["scan", invalid],
    ] {
        assert_eq!(run(&args).status.code(), Some(2), "{args:?}");
    }
    let no_header = no_header.to_str().unwrap();
    let (code, st) = stats(&[no_header], b"");
    assert_eq!((code, st["logs"].as_u64()), (Some(0), Some(1)));
    assert_eq!(analyze(no_header)["summary"]["logs"], 1);
    for args in [vec!["events", no_header], vec!["view", no_header]] {
        assert_eq!(run(&args).status.code(), Some(0), "{args:?}");
    }
    let scan = run(&["scan", "--format", "json", no_header]);
    assert_ne!(scan.status.code(), Some(2));
}

#[test]
fn every_skipped_region_is_described_and_a_cut_log_reports_its_open_frames() {
    let log = b"61.0 APEX_CODE,FINE;APEX_PROFILING,INFO\n\
12:00:00.1 (1000000)|EXECUTION_STARTED\n\
*** Skipped 1,000 bytes of detailed log\n\
12:00:00.1 (2000000)|STATEMENT_EXECUTE|[1]\n\
*** Skipped 2,500 bytes of detailed log\n\
12:00:00.1 (3000000)|EXECUTION_FINISHED\n";
    let out = run_stdin(&["analyze", "--format", "json"], log);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let msgs: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "LOG_SKIPPED")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].contains("1000 bytes"), "{msgs:?}");
    assert!(msgs[1].contains("2500 bytes"), "{msgs:?}");
    // Cut by the size marker or simply stopping: the open frames are reported alike.
    let cut = b"61.0 APEX_CODE,FINE\n12:00:00.1 (1000000)|EXECUTION_STARTED\n12:00:00.1 (1100000)|CODE_UNIT_STARTED|[EXTERNAL]|x\n*********** MAXIMUM DEBUG LOG SIZE REACHED ***********\n";
    let stop = b"61.0 APEX_CODE,FINE\n12:00:00.1 (1000000)|EXECUTION_STARTED\n12:00:00.1 (1100000)|CODE_UNIT_STARTED|[EXTERNAL]|x\n";
    for (what, log) in [("cut", &cut[..]), ("stop", &stop[..])] {
        let out = run_stdin(&["analyze", "--format", "json"], log);
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(issue(&r, "unclosed-at-end"), 1, "{what}");
    }
}

/// Every type whose text takes continuation lines but cannot quote log lines, followed
/// inside package code by a line with an event head of a type nobody knows: the line is an
/// event of unknown type, the subscriber view hides it, and `--stats` counts it.
#[test]
fn continuation_text_never_carries_an_event_into_the_subscriber_view() {
    use dbglog::event::table::ALL;
    let types: Vec<_> = ALL
        .iter()
        .filter(|t| t.accepts_text() && !t.quotes_log_lines())
        .collect();
    assert!(types.len() > 10);
    let mut log = String::from(
        "61.0 APEX_CODE,FINEST;APEX_PROFILING,FINEST;DB,FINEST;CALLOUT,FINEST;SYSTEM,FINE;VALIDATION,INFO;WORKFLOW,FINER\n",
    );
    let mut n = 1_000_000u64;
    let mut line = |log: &mut String, rest: &str| {
        n += 1000;
        log.push_str(&format!("12:00:00.1 ({n})|{rest}\n"));
    };
    line(&mut log, "EXECUTION_STARTED");
    line(
        &mut log,
        "CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex",
    );
    line(&mut log, "METHOD_ENTRY|[1]|01p000000000003|Mine.run()");
    for t in &types {
        let name = t.name().unwrap();
        line(&mut log, "ENTERING_MANAGED_PKG|acme");
        line(&mut log, "METHOD_ENTRY|[2]|01p000000000004|acme.Svc.run()");
        line(&mut log, &format!("{name}|[5]|acme text of {name}"));
        log.push_str("  a continuation line\n");
        line(&mut log, &format!("ZZ_NEW_TYPE|leak-{name}"));
        log.push_str("  text after the planted line\n");
        line(&mut log, "METHOD_EXIT|[2]|01p000000000004|acme.Svc.run()");
    }
    line(&mut log, "METHOD_EXIT|[1]|01p000000000003|Mine.run()");
    line(&mut log, "CODE_UNIT_FINISHED|execute_anonymous_apex");
    line(&mut log, "EXECUTION_FINISHED");
    let out = run_stdin(&["view", "--as", "subscriber"], log.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let view = String::from_utf8_lossy(&out.stdout);
    assert!(!view.contains("leak-"), "{view}");
    let (_, st) = stats(&[], log.as_bytes());
    assert_eq!(st["unknown_types"]["ZZ_NEW_TYPE"], types.len() as u64);
    let full = run_stdin(&["view", "--as", "full"], log.as_bytes());
    common::assert_bytes_eq(&full.stdout, log.as_bytes(), "view --as full");
}

/// On every corpus log, wherever a namespace's SOQL or DML count differs from its limits
/// block, the report says why.
#[test]
fn every_corpus_count_that_differs_from_its_block_says_why() {
    use dbglog::analyze::{Options, analyze};
    use dbglog::rules::Catalogue;
    let Some(logs) = common::corpus_logs() else {
        return;
    };
    let cat = Catalogue::builtin();
    let mut tally = std::collections::BTreeMap::new();
    let mut unexplained = Vec::new();
    for p in &logs {
        let Ok(mut input) = dbglog::input::open_path(p) else {
            continue;
        };
        let Ok(r) = analyze(&mut input, &Options::default(), cat) else {
            continue;
        };
        for (what, t) in [("soql", &r.soql), ("dml", &r.dml), ("sosl", &r.sosl)] {
            for n in &t.by_namespace {
                let Some(block) = n.limits_block else {
                    continue;
                };
                if block == n.count {
                    assert!(n.differs.is_empty());
                    continue;
                }
                if n.differs.is_empty() {
                    unexplained.push(format!(
                        "{}: {what} {} in {} against {block}",
                        p.display(),
                        n.count,
                        n.namespace
                    ));
                }
                for d in &n.differs {
                    *tally.entry(format!("{what} {d}")).or_insert(0u32) += 1;
                }
            }
        }
    }
    eprintln!("reasons over the corpus: {tally:?}");
    assert!(unexplained.is_empty(), "{}", unexplained.join("\n"));
}

/// `capture` splits a stream by the same new-log rule.
#[test]
fn capture_splits_by_the_same_new_log_rule() {
    for (name, logs) in [("trap-pasted-header.log", 1), ("trap-two-logs-cut.log", 2)] {
        let dir = tempfile::tempdir().unwrap();
        let out = run(&[
            "capture",
            "--dir",
            dir.path().to_str().unwrap(),
            fixture(name).to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{name}");
        let index = std::fs::read_to_string(dir.path().join("index.ndjson")).unwrap();
        assert_eq!(index.lines().count(), logs, "{name}: {index}");
    }
}

#[test]
fn custom_metadata_queries_explain_a_count_above_the_block() {
    let log = b"61.0 APEX_CODE,FINE;APEX_PROFILING,INFO;DB,INFO\n\
12:00:00.1 (1000000)|EXECUTION_STARTED\n\
12:00:00.1 (1100000)|SOQL_EXECUTE_BEGIN|[1]|Aggregations:0|SELECT Id FROM Setting__mdt\n\
12:00:00.1 (1200000)|SOQL_EXECUTE_END|[1]|Rows:1\n\
12:00:00.1 (1300000)|SOQL_EXECUTE_BEGIN|[2]|Aggregations:0|SELECT Id FROM Account\n\
12:00:00.1 (1400000)|SOQL_EXECUTE_END|[2]|Rows:0\n\
12:00:00.1 (1500000)|LIMIT_USAGE_FOR_NS|(default)|\n  Number of SOQL queries: 1 out of 100\n\n\
12:00:00.1 (1600000)|EXECUTION_FINISHED\n";
    let out = run_stdin(&["analyze", "--format", "json"], log);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ns = &r["soql"]["by_namespace"][0];
    assert_eq!(
        (ns["count"].as_u64(), ns["limits_block"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(ns["differs"], json!(["custom-metadata"]));
}
