//! `dbglog compare`: exact deltas on the fixture pairs, the gate's exit codes, sets by
//! entry point, JSON, and a log compared with itself.

mod common;

use dbglog::compare::normalize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const BEFORE: &str = "compare-before.log";

fn fx(name: &str) -> String {
    common::fixture(name).display().to_string()
}

fn compare(before: &str, after: &str, extra: &[&str]) -> std::process::Output {
    let mut a = vec!["compare", before, after];
    a.extend_from_slice(extra);
    common::run(&a)
}

fn json(before: &str, after: &str, extra: &[&str]) -> Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(extra);
    let out = compare(before, after, &a);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "compare failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("compare --format json is JSON")
}

fn code(before: &str, after: &str, extra: &[&str]) -> i32 {
    compare(before, after, extra).status.code().unwrap_or(-1)
}

/// The rows of the only group, by `section field name`.
fn rows(v: &Value) -> BTreeMap<String, Value> {
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    groups[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let k = format!(
                "{} {} {}",
                r["section"].as_str().unwrap(),
                r["field"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            );
            (k.trim_end().to_string(), r.clone())
        })
        .collect()
}

#[track_caller]
fn delta(rows: &BTreeMap<String, Value>, key: &str) -> (i64, i64, i64) {
    let r = rows
        .get(key)
        .unwrap_or_else(|| panic!("no row {key}: {:?}", rows.keys()));
    (
        r["before"].as_i64().unwrap(),
        r["after"].as_i64().unwrap(),
        r["delta"].as_i64().unwrap(),
    )
}

#[test]
fn one_more_query_in_a_loop_exact_deltas() {
    let v = json(&fx(BEFORE), &fx("compare-after.log"), &[]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["mode"], "logs");
    let r = rows(&v);
    assert_eq!(delta(&r, "metric soql"), (6, 7, 1));
    assert_eq!(delta(&r, "metric soql_rows"), (12, 14, 2));
    assert_eq!(delta(&r, "metric dml"), (1, 1, 0));
    assert_eq!(delta(&r, "metric dml_rows"), (4, 5, 1));
    assert_eq!(delta(&r, "metric cpu"), (120, 150, 30));
    assert_eq!(delta(&r, "metric heap"), (30_000, 1_230_000, 1_200_000));
    assert_eq!(delta(&r, "metric callouts"), (0, 0, 0));
    assert_eq!(
        delta(&r, "metric wall"),
        (48_000_000, 54_000_000, 6_000_000)
    );
    assert_eq!(r["metric cpu"]["pct"].as_f64(), Some(25.0));
    // Pools stay apart.
    assert_eq!(
        delta(&r, "pool Number of SOQL queries (default)"),
        (5, 6, 1)
    );
    assert_eq!(delta(&r, "pool Number of SOQL queries acme"), (1, 1, 0));
    // The loop's statement: five bind names would be one statement anyway.
    let q = "soql count SELECT Id, Quantity FROM OrderItem WHERE OrderId = ?";
    assert_eq!(delta(&r, q), (4, 5, 1));
    assert_eq!(
        delta(
            &r,
            "soql time SELECT Id, Quantity FROM OrderItem WHERE OrderId = ?"
        ),
        (12_000_000, 15_000_000, 3_000_000)
    );
    assert_eq!(delta(&r, "dml rows Op:Update|Type:Order"), (4, 5, 1));
    // Unchanged items are left out; transaction figures and pools are always listed.
    assert!(!r.contains_key("method calls OrderSync.run()"));
    assert_eq!(
        delta(&r, "method self OrderSync.run()"),
        (17_000_000, 20_000_000, 3_000_000)
    );
    assert_eq!(
        delta(&r, "entry-point total OrderSync.run()"),
        (45_000_000, 51_000_000, 6_000_000)
    );
    // Rows are sorted by impact: the heap's +4000% first.
    assert_eq!(v["groups"][0]["rows"][0]["field"], "heap");
    // The loop became a finding.
    let f = v["groups"][0]["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["change"], "new");
    assert_eq!(f[0]["id"], "SOQL_IN_LOOP");
    assert_eq!(
        (f[0]["before"].as_u64(), f[0]["after"].as_u64()),
        (Some(0), Some(5))
    );
}

#[test]
fn doubled_package_cpu_is_its_pool_only() {
    let v = json(&fx(BEFORE), &fx("compare-pkgcpu-after.log"), &[]);
    let r = rows(&v);
    assert_eq!(delta(&r, "pool Maximum CPU time acme"), (40, 80, 40));
    assert_eq!(r["pool Maximum CPU time acme"]["pct"].as_f64(), Some(100.0));
    assert_eq!(delta(&r, "pool Maximum CPU time (default)"), (120, 120, 0));
    // The transaction's CPU is the largest pool figure: unchanged.
    assert_eq!(delta(&r, "metric cpu"), (120, 120, 0));
    assert_eq!(
        delta(&r, "method self acme: acme.Pricing.quote(List<Id>)"),
        (5_000_000, 9_000_000, 4_000_000)
    );
}

#[test]
fn new_uncaught_exception_is_a_new_error() {
    let v = json(&fx(BEFORE), &fx("compare-fatal-after.log"), &[]);
    let f = v["groups"][0]["findings"].as_array().unwrap();
    let new: Vec<&Value> = f.iter().filter(|f| f["change"] == "new").collect();
    assert_eq!(new.len(), 1, "{f:?}");
    assert_eq!(new[0]["id"], "NULL_POINTER");
    assert_eq!(new[0]["severity"], "error");
    assert_eq!(delta(&rows(&v), "metric soql"), (6, 6, 0));
}

#[test]
fn other_debug_levels_and_truncation_are_noted() {
    let v = json(&fx(BEFORE), &fx("compare-levels-after.log"), &[]);
    assert_eq!(v["levels_differ"], true);
    let r = rows(&v);
    assert_eq!(delta(&r, "metric cpu"), (120, 200, 80));
    assert_eq!(
        r["metric cpu"]["notes"],
        serde_json::json!(["levels-differ"])
    );

    let v = json(&fx(BEFORE), &fx("compare-truncated-after.log"), &[]);
    assert_eq!(v["groups"][0]["truncated_after"], true);
    let r = rows(&v);
    // Two loop iterations were skipped: the event counts are floors.
    assert_eq!(delta(&r, "metric soql"), (6, 5, -1));
    assert_eq!(delta(&r, "metric cpu"), (120, 150, 30));
    assert_eq!(
        r["metric soql"]["notes"],
        serde_json::json!(["truncated-after"])
    );
}

/// Every gate expression kind: 0 when it does not hold, 1 when it does.
#[test]
fn gate_exit_codes() {
    let b = fx(BEFORE);
    let cases: &[(&str, &str, i32)] = &[
        ("compare-after.log", "cpu>+20%", 1),
        ("compare-after.log", "cpu>+30%", 0),
        ("compare-after.log", "cpu>+29ms", 1),
        ("compare-after.log", "cpu>+30ms", 0),
        ("compare-after.log", "soql>+0", 1),
        ("compare-after.log", "soql>+1", 0),
        ("compare-after.log", "soql>6", 1),
        ("compare-after.log", "soql>7", 0),
        ("compare-after.log", "dml_rows>+10%", 1),
        ("compare-after.log", "dml_rows>+25%", 0),
        ("compare-after.log", "dml>+0", 0),
        ("compare-after.log", "heap>+1MB", 1),
        ("compare-after.log", "heap>+2MB", 0),
        ("compare-after.log", "heap>+1MiB", 1),
        ("compare-after.log", "wall>+5ms", 1),
        ("compare-after.log", "wall>+6ms", 0),
        ("compare-after.log", "soql_rows>+1", 1),
        ("compare-after.log", "callouts>+0", 0),
        ("compare-after.log", "soql.p95>+0", 1),
        ("compare-after.log", "new-errors", 0),
        ("compare-after.log", "limit>80%", 0),
        ("compare-fatal-after.log", "new-errors", 1),
        ("compare-fatal-after.log", "cpu>+0%", 0),
        ("compare-pkgcpu-after.log", "cpu>+20%", 0),
        ("compare-pkgcpu-after.log", "cpu@acme>+50%", 1),
        ("compare-pkgcpu-after.log", "cpu@acme>+100%", 0),
        ("compare-pkgcpu-after.log", "soql@acme>+0", 0),
        // Not comparable: skipped without --strict.
        ("compare-levels-after.log", "cpu>+20%", 0),
        ("compare-truncated-after.log", "cpu>+20%", 0),
        ("compare-truncated-after.log", "heap>+1MB", 0),
    ];
    for (after, expr, want) in cases {
        let got = code(&b, &fx(after), &["--fail-on", expr]);
        assert_eq!(got, *want, "{after} --fail-on {expr}");
    }
    // --strict judges them as they stand.
    for (after, expr, want) in [
        ("compare-levels-after.log", "cpu>+20%", 1),
        ("compare-truncated-after.log", "cpu>+20%", 1),
        ("compare-truncated-after.log", "soql>+0", 0),
    ] {
        let got = code(&b, &fx(after), &["--fail-on", expr, "--strict"]);
        assert_eq!(got, want, "{after} --fail-on {expr} --strict");
    }
    // limit>N% reads AFTER's pools, whatever BEFORE.
    let near = fx("limits-near.log");
    assert_eq!(code(&b, &near, &["--fail-on", "limit>80%"]), 1);
    assert_eq!(code(&b, &near, &["--fail-on", "limit>95%"]), 0);
    assert_eq!(code(&b, &near, &["--fail-on", "limit@acme>84%"]), 1);
    assert_eq!(code(&b, &near, &["--fail-on", "limit@acme>85%"]), 0);
    // Several expressions: one holding is enough, and the report names it.
    let out = compare(
        &b,
        &fx("compare-after.log"),
        &["--fail-on", "new-errors,soql>+0", "--format", "lines"],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("gate-fail: soql>+0: soql 6 → 7"), "{text}");
    assert!(text.contains("gate-pass: new-errors"), "{text}");
}

#[test]
fn bad_expressions_exit_2_naming_them() {
    let b = fx(BEFORE);
    for bad in [
        "cpu>20%",
        "cpux>+1",
        "heap>+5ms",
        "limit>+80%",
        "soql",
        "new-errors>1",
    ] {
        let out = compare(&b, &b, &["--fail-on", &format!("soql>+0,{bad}")]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_log_compared_with_itself_has_no_delta() {
    let gates = "cpu>+0%,soql>+0,dml>+0,dml_rows>+0%,heap>+0B,wall>+0ns,callouts>+0,soql_rows>+0,new-errors";
    let mut logs: Vec<(PathBuf, bool)> = common::fixture_logs()
        .into_iter()
        .map(|p| (p, true))
        .collect();
    if let Some(c) = common::corpus_logs() {
        logs.extend(c.into_iter().map(|p| (p, false)));
    }
    for (p, fixture) in logs {
        let p = p.display().to_string();
        let out = compare(&p, &p, &["--fail-on", gates, "--format", "json"]);
        let c = out.status.code();
        if c == Some(2) && !fixture {
            // A corpus file that holds no log: an error naming it, as analyze says.
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("no Apex debug log"),
                "{p}"
            );
            continue;
        }
        assert_eq!(c, Some(0), "{p}: {}", String::from_utf8_lossy(&out.stdout));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        for g in v["groups"].as_array().unwrap() {
            for r in g["rows"].as_array().unwrap() {
                assert!(r["delta"] == 0 || r["delta"].is_null(), "{p}: {r}");
            }
            assert_eq!(g["findings"], serde_json::json!([]), "{p}");
        }
        let text = compare(&p, &p, &[]);
        assert!(
            String::from_utf8_lossy(&text.stdout).contains("no change above 5%"),
            "{p}"
        );
    }
}

#[test]
fn statements_normalise_across_runs() {
    let a = normalize::soql("SELECT Id FROM Account WHERE Name = 'a'");
    assert_eq!(
        a,
        normalize::soql("SELECT Id FROM Account WHERE Name = 'b'")
    );
    assert_eq!(
        a,
        normalize::soql("SELECT Id FROM Account WHERE Name = :name")
    );
    assert_eq!(a, normalize::soql("SELECT Id FROM Account WHERE Name = 42"));
    let l = normalize::soql("SELECT Id FROM Account WHERE Id IN :ids");
    assert_eq!(
        l,
        normalize::soql("SELECT Id FROM Account WHERE Id IN ('001A', '001B')")
    );
    assert_ne!(
        a,
        normalize::soql("SELECT Id FROM Account WHERE Owner = 'a'")
    );
    assert_ne!(a, l);

    // Through the command: two runs whose queries differ only in values are one statement.
    let d = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(common::fixture(BEFORE)).unwrap();
    let other = base
        .replace("Name = 'Acme'", "Name = 'Globex'")
        .replace("IN ('A', 'B', 'C')", "IN :codes");
    let p = d.path().join("other.log");
    std::fs::write(&p, other).unwrap();
    let v = json(&fx(BEFORE), &p.display().to_string(), &[]);
    let r = rows(&v);
    assert!(
        r.keys().all(|k| !k.starts_with("soql count")),
        "{:?}",
        r.keys()
    );
    // A different filter is another statement.
    let other = base.replace("WHERE Name = 'Acme'", "WHERE Site = 'Acme'");
    std::fs::write(&p, other).unwrap();
    let r = rows(&json(&fx(BEFORE), &p.display().to_string(), &[]));
    assert_eq!(
        delta(&r, "soql count SELECT Id, Name FROM Account WHERE Site = ?"),
        (0, 1, 1)
    );
    assert_eq!(
        delta(&r, "soql count SELECT Id, Name FROM Account WHERE Name = ?"),
        (1, 0, -1)
    );
}

fn with_cpu(base: &str, cpu: u64, entry: &str) -> String {
    base.replace(
        "Maximum CPU time: 120 out",
        &format!("Maximum CPU time: {cpu} out"),
    )
    .replace("OrderSync.run()", entry)
}

fn write_set(dir: &Path, logs: &[(u64, &str)]) {
    let base = std::fs::read_to_string(common::fixture(BEFORE)).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    for (i, (cpu, entry)) in logs.iter().enumerate() {
        std::fs::write(
            dir.join(format!("{i:02}.log")),
            with_cpu(&base, *cpu, entry),
        )
        .unwrap();
    }
}

#[test]
fn sets_are_matched_by_entry_point_median_and_p95() {
    let d = tempfile::tempdir().unwrap();
    let (b, a) = (d.path().join("before"), d.path().join("after"));
    let o = "OrderSync.run()";
    write_set(
        &b,
        &[
            (100, o),
            (400, o),
            (140, o),
            (120, o),
            (50, "InvoiceSync.run()"),
        ],
    );
    write_set(
        &a,
        &[
            (150, o),
            (160, o),
            (900, o),
            (170, o),
            (180, o),
            (60, "ShipSync.run()"),
        ],
    );
    std::fs::write(b.join("notes.txt"), "not a log\n").unwrap();
    let v = json(&b.display().to_string(), &a.display().to_string(), &[]);
    assert_eq!(v["mode"], "sets");
    assert_eq!(
        (v["before_logs"].as_u64(), v["after_logs"].as_u64()),
        (Some(5), Some(6))
    );
    assert_eq!(
        v["before"]["skipped"][0]["reason"]
            .as_str()
            .map(|s| s.contains("no Apex debug log")),
        Some(true)
    );
    let g = &v["groups"];
    assert_eq!(g.as_array().unwrap().len(), 1);
    assert_eq!(g[0]["entry_point"], o);
    assert_eq!(
        (g[0]["before_logs"].as_u64(), g[0]["after_logs"].as_u64()),
        (Some(4), Some(5))
    );
    let cpu = g[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["section"] == "metric" && r["field"] == "cpu")
        .unwrap();
    assert_eq!(cpu["before"].as_f64(), Some(130.0)); // (120 + 140) / 2
    assert_eq!(cpu["after"].as_f64(), Some(170.0));
    assert_eq!(cpu["before_p95"].as_f64(), Some(400.0));
    assert_eq!(cpu["after_p95"].as_f64(), Some(900.0));
    assert_eq!(cpu["delta"].as_f64(), Some(40.0));
    // The same findings in every log: no change, though the sides hold 4 and 5 logs.
    assert_eq!(g[0]["findings"], serde_json::json!([]));
    assert_eq!(v["only_before"][0]["entry_point"], "InvoiceSync.run()");
    assert_eq!(v["only_after"][0]["entry_point"], "ShipSync.run()");
    assert_eq!(v["only_after"][0]["logs"], 1);
    let (bs, as_) = (b.display().to_string(), a.display().to_string());
    assert_eq!(code(&bs, &as_, &["--fail-on", "cpu>+30%"]), 1); // 40 / 130 = +30.8%
    assert_eq!(code(&bs, &as_, &["--fail-on", "cpu>+31%"]), 0);
    assert_eq!(code(&bs, &as_, &["--fail-on", "cpu>+30ms"]), 1);
    assert_eq!(code(&bs, &as_, &["--fail-on", "cpu.p95>+400ms"]), 1);
    assert_eq!(code(&bs, &as_, &["--fail-on", "cpu.p95>+500ms"]), 0);

    // An unreadable input is an error.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/definitely/not/here", b.join("gone.log")).unwrap();
        let out = compare(&bs, &as_, &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("gone.log"));
    }
}

#[test]
fn archives_and_views() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let gz = d.path().join("after.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(common::fixture("compare-after.log")).unwrap())
        .unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let v = json(&fx(BEFORE), &gz.display().to_string(), &[]);
    assert_eq!(delta(&rows(&v), "metric soql"), (6, 7, 1));

    // The subscriber view shows the package as one opaque line.
    let v = json(
        &fx(BEFORE),
        &fx("compare-pkgcpu-after.log"),
        &["--as", "subscriber"],
    );
    assert_eq!(v["view"], "subscriber");
    let r = rows(&v);
    assert_eq!(
        delta(&r, "method self acme: (acme)"),
        (5_000_000, 9_000_000, 4_000_000)
    );
    assert!(
        r.contains_key("namespace self (acme) hidden"),
        "{:?}",
        r.keys()
    );
    assert!(!r.keys().any(|k| k.contains("Pricing.quote")));
}

#[test]
fn text_and_lines_formats() {
    let out = compare(&fx(BEFORE), &fx("compare-after.log"), &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let heap = text.find("\n  heap").expect("heap row");
    let wall = text.find("\n  wall").expect("wall row");
    assert!(heap < wall, "sorted by impact:\n{text}");
    // --min-delta hides what changed less.
    let out = compare(
        &fx(BEFORE),
        &fx("compare-after.log"),
        &["--min-delta", "20%"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("\n  wall"), "{text}");
    assert!(text.contains("\n  cpu"), "{text}");
    let out = compare(
        &fx(BEFORE),
        &fx("compare-after.log"),
        &["--format", "lines"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let after: PathBuf = common::fixture("compare-after.log");
    assert!(
        text.lines().any(|l| l
            == format!(
                "{}: regression: cpu: 120 ms → 150 ms (+30 ms, +25.0%)",
                after.display()
            )),
        "{text}"
    );
    assert!(
        text.contains(": finding-new: warn SOQL_IN_LOOP in (default): 0 → 5"),
        "{text}"
    );
}

fn median_of(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Whether the log is in BEFORE, its entry point and its figures.
type LogFigures = (bool, String, BTreeMap<&'static str, Option<f64>>);

/// Two folders of corpus logs (every other log, and all of them): the medians per entry
/// point are those of the logs' own `analyze --format json` figures.
#[test]
fn corpus_sets_medians_match_analyze() {
    let Some(logs) = common::corpus_logs() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let (b, a) = (d.path().join("before"), d.path().join("after"));
    std::fs::create_dir_all(&b).unwrap();
    std::fs::create_dir_all(&a).unwrap();
    // Per log: (entry point, figures) from analyze's JSON.
    let mut figures: Vec<LogFigures> = Vec::new();
    for (i, p) in logs.iter().enumerate() {
        let out = common::run(&["analyze", &p.display().to_string(), "--format", "json"]);
        if out.status.code() != Some(0) {
            continue;
        }
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let name = format!("{i:03}.log");
        std::fs::copy(p, a.join(&name)).unwrap();
        let in_before = i % 2 == 0;
        if in_before {
            std::fs::copy(p, b.join(&name)).unwrap();
        }
        let ep = match v["summary"]["entry_points"].get(0) {
            Some(e) if e["namespace"] == "(default)" => e["name"].as_str().unwrap().to_string(),
            Some(e) => format!(
                "{}: {}",
                e["namespace"].as_str().unwrap(),
                e["name"].as_str().unwrap()
            ),
            None => "(no entry point)".to_string(),
        };
        let mut f = BTreeMap::new();
        f.insert("wall", v["summary"]["wall_nanos"].as_f64());
        f.insert("soql", v["soql"]["count"].as_f64());
        f.insert("soql_rows", v["soql"]["rows"].as_f64());
        f.insert("dml_rows", v["dml"]["rows"].as_f64());
        let cpu = v["limits"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["rows"].as_array().unwrap())
            .filter(|r| r["label"] == "Maximum CPU time")
            .filter_map(|r| r["peak"].as_f64())
            .reduce(f64::max);
        f.insert("cpu", cpu);
        figures.push((in_before, ep, f));
    }
    let v = json(&b.display().to_string(), &a.display().to_string(), &[]);
    assert_eq!(v["mode"], "sets");
    let groups = v["groups"].as_array().unwrap();
    assert!(!groups.is_empty());
    let mut checked = 0;
    for g in groups {
        let ep = g["entry_point"].as_str().unwrap();
        for (field, side, median_key) in [
            ("wall", true, "before"),
            ("wall", false, "after"),
            ("soql", true, "before"),
            ("soql", false, "after"),
            ("soql_rows", false, "after"),
            ("dml_rows", true, "before"),
            ("cpu", true, "before"),
            ("cpu", false, "after"),
        ] {
            let want = median_of(
                figures
                    .iter()
                    .filter(|(b, e, _)| e == ep && (!side || *b))
                    .filter_map(|(_, _, f)| f[field])
                    .collect(),
            );
            let row = g["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["section"] == "metric" && r["field"] == field);
            let got = row.and_then(|r| r[median_key].as_f64());
            assert_eq!(got, want, "{ep} {field} {median_key}");
            checked += 1;
        }
        let n_before = figures.iter().filter(|(b, e, _)| *b && e == ep).count();
        assert_eq!(g["before_logs"].as_u64(), Some(n_before as u64), "{ep}");
    }
    assert!(checked > 0);
}

#[test]
fn levels_are_judged_per_entry_point() {
    let d = tempfile::tempdir().unwrap();
    let (b, a) = (d.path().join("before"), d.path().join("after"));
    std::fs::create_dir_all(&b).unwrap();
    std::fs::create_dir_all(&a).unwrap();
    let base = std::fs::read_to_string(common::fixture(BEFORE)).unwrap();
    let levels = std::fs::read_to_string(common::fixture("compare-levels-after.log")).unwrap();
    std::fs::write(b.join("order.log"), &base).unwrap();
    std::fs::write(a.join("order.log"), &levels).unwrap();
    std::fs::write(
        b.join("invoice.log"),
        with_cpu(&base, 100, "InvoiceSync.run()"),
    )
    .unwrap();
    std::fs::write(
        a.join("invoice.log"),
        with_cpu(&base, 130, "InvoiceSync.run()"),
    )
    .unwrap();
    let (bs, as_) = (b.display().to_string(), a.display().to_string());
    let v = json(&bs, &as_, &[]);
    assert_eq!(v["levels_differ"], true);
    let g = v["groups"].as_array().unwrap();
    assert_eq!(g.len(), 2);
    let by: BTreeMap<&str, &Value> = g
        .iter()
        .map(|g| (g["entry_point"].as_str().unwrap(), g))
        .collect();
    assert_eq!(by["OrderSync.run()"]["levels_differ"], true);
    assert_eq!(by["InvoiceSync.run()"]["levels_differ"], false);
    // Only the invoice group can make the gate fail without --strict.
    assert_eq!(code(&bs, &as_, &["--fail-on", "cpu>+29%"]), 1);
    assert_eq!(code(&bs, &as_, &["--fail-on", "cpu>+30%"]), 0);
    assert_eq!(code(&bs, &as_, &["--fail-on", "cpu>+30%", "--strict"]), 1);
}

#[test]
fn one_side_from_stdin() {
    let before = std::fs::read(common::fixture(BEFORE)).unwrap();
    let after = fx("compare-after.log");
    let out = common::run_stdin(
        &[
            "compare",
            "-",
            &after,
            "--format",
            "json",
            "--fail-on",
            "soql>+0",
        ],
        &before,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(delta(&rows(&v), "metric soql"), (6, 7, 1));
    assert_eq!(v["gate"]["failed"], true);
    let out = common::run_stdin(&["compare", "-", "-"], &before);
    assert_eq!(out.status.code(), Some(2));
}
