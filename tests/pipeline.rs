//! One pipeline, one truth: every command reads the same log the same way, whichever way
//! it arrives (a file, a pipe, a gzipped file), over every fixture and every corpus log.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// Every fixture log and every corpus log (the corpus test fails under CI without it).
fn all_logs() -> Vec<PathBuf> {
    let mut v = common::fixture_logs();
    v.extend(common::corpus_logs().unwrap_or_default());
    v
}

fn ok_stdout(out: std::process::Output, what: &str) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{what}: exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn subscriber_view_is_the_same_from_a_file_a_pipe_and_gzip() {
    let d = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for p in all_logs() {
        let name = p.display().to_string();
        let bytes = std::fs::read(&p).unwrap();
        let args = |path: &str| ["view", "--as", "subscriber", path].map(String::from);
        let run = |a: &[String]| common::run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let file = common::run(&["view", "--as", "subscriber", p.to_str().unwrap()]);
        if file.status.code() == Some(2) {
            // No log in it (the error path has its own tests): the other paths agree.
            let piped = common::run_stdin(&["view", "--as", "subscriber"], &bytes);
            assert_eq!(piped.status.code(), Some(2), "{name} piped");
            continue;
        }
        let file = ok_stdout(file, &name);
        let piped = ok_stdout(
            common::run_stdin(&["view", "--as", "subscriber"], &bytes),
            &format!("{name} piped"),
        );
        common::assert_bytes_eq(&piped, &file, &format!("{name}: stdin against file"));
        let g = d.path().join("log.gz");
        std::fs::write(&g, gz(&bytes)).unwrap();
        let zipped = ok_stdout(run(&args(g.to_str().unwrap())), &format!("{name} gz"));
        common::assert_bytes_eq(&zipped, &file, &format!("{name}: gzip against file"));
        checked += 1;
    }
    assert!(
        checked >= common::fixture_logs().len() - 2,
        "{checked} logs checked"
    );
}

/// A namespace prefix is case-insensitive: `--as vendor:e2cp` on a log that says `E2CP`
/// is the vendor's view, and a namespace the log never names gets a warning.
#[test]
fn vendor_namespaces_ignore_case_and_unknown_ones_are_warned_about() {
    let log = common::fixture("e2cp-handled.log");
    let log = log.to_str().unwrap();
    let upper = common::run(&["view", "--as", "vendor:E2CP", log]);
    let lower = common::run(&["view", "--as", "vendor:e2cp", log]);
    assert!(upper.status.success() && lower.status.success());
    assert_eq!(upper.stdout, lower.stdout);
    let sub = common::run(&["view", "--as", "subscriber", log]);
    assert_ne!(lower.stdout, sub.stdout, "the vendor sees more");
    assert!(
        lower.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&lower.stderr)
    );
    let unknown = common::run(&["view", "--as", "vendor:nosuch", log]);
    assert!(unknown.status.success());
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("nosuch") && err.contains("warning"), "{err}");
}

#[allow(dead_code)]
fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The findings of one command as groups: (id, severity, namespace) → (occurrences, first
/// log line).
type Groups = std::collections::BTreeMap<(String, String, String), (u64, u64)>;

fn group<'a>(
    findings: impl Iterator<Item = &'a serde_json::Value>,
    only: &dyn Fn(&str) -> bool,
) -> Groups {
    let mut g = Groups::new();
    for f in findings {
        let id = f["id"].as_str().expect("id").to_string();
        if !only(&id) {
            continue;
        }
        let key = (
            id,
            f["severity"].as_str().expect("severity").to_string(),
            f["namespace"].as_str().expect("namespace").to_string(),
        );
        let line = f["log_line"].as_u64().expect("log_line");
        let count = f["count"].as_u64().expect("count");
        let e = g.entry(key).or_insert((0, line));
        e.0 += count;
        e.1 = e.1.min(line);
    }
    g
}

fn scan_findings(path: &str) -> Vec<serde_json::Value> {
    let out = common::run(&["scan", "--format", "ndjson", path]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "finding")
        .collect()
}

/// The catalogue's rule ids (what scan reports): analyze's own analyses (loops, opaque
/// packages, exceptions no rule names, high limit usage) are analyze's alone.
fn catalogue_ids() -> std::collections::BTreeSet<String> {
    dbglog::rules::Catalogue::builtin()
        .rules()
        .iter()
        .map(|r| r.id.clone())
        .collect()
}

/// analyze and scan report the same catalogue findings for the same log: the same ids,
/// severities and namespaces, as often, first at the same log line; on every fixture and
/// every corpus log.
#[test]
fn analyze_and_scan_report_the_same_findings() {
    let ids = catalogue_ids();
    let only = |id: &str| ids.contains(id);
    let mut compared = 0;
    let mut with_findings = 0;
    for p in all_logs() {
        let path = p.to_str().unwrap();
        let a = common::run(&["analyze", "--format", "json", path]);
        if a.status.code() == Some(2) {
            continue; // no log: both say so (tests/input.rs)
        }
        let a: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
        let a = group(a["findings"].as_array().unwrap().iter(), &only);
        let s = scan_findings(path);
        let s = group(s.iter(), &only);
        assert_eq!(s, a, "{path}: scan (left) and analyze (right) disagree");
        compared += 1;
        with_findings += usize::from(!a.is_empty());
    }
    assert!(
        compared > 20 && with_findings > 5,
        "{compared} logs, {with_findings} with findings"
    );
}

/// Every code-unit form names its namespace (issue: every fact a log states, item 4), in
/// any case, once the log names the namespace anywhere; frames inside inherit it, and the
/// subscriber view hides all of them.
#[test]
fn code_unit_forms_name_their_namespace_and_nested_frames_inherit_it() {
    let log = common::fixture("trap-code-units.log");
    let log = log.to_str().unwrap();
    let out = common::run(&["events", log]);
    assert!(out.status.success());
    let evs: Vec<serde_json::Value> = out
        .stdout
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let mut forms = 0;
    for e in &evs {
        let ns = e["frame_ns"].as_str().unwrap().to_ascii_lowercase();
        let last = e["fields"]
            .as_array()
            .and_then(|f| f.last())
            .and_then(|v| v.as_str())
            .unwrap_or("");
        match e["type"].as_str().unwrap() {
            "CODE_UNIT_STARTED" if last != "execute_anonymous_apex" => {
                forms += 1;
                assert_eq!(ns, "acme", "{e}");
            }
            "USER_DEBUG" if last.starts_with("inside form") => assert_eq!(ns, "acme", "{e}"),
            "USER_DEBUG" => assert_eq!(ns, "(default)", "{e}"),
            _ => {}
        }
    }
    assert_eq!(forms, 7);
    let sub = common::run(&["view", "--as", "subscriber", log]);
    let text = String::from_utf8_lossy(&sub.stdout);
    assert!(!text.contains("inside form"), "{text}");
    assert!(text.contains("own code"));
}

/// Findings per rule id, from scan's NDJSON.
fn scan_counts(path: &str) -> std::collections::BTreeMap<String, u64> {
    let mut m = std::collections::BTreeMap::new();
    for f in scan_findings(path) {
        *m.entry(f["id"].as_str().unwrap().to_string()).or_default() +=
            f["count"].as_u64().unwrap();
    }
    m
}

/// The capture index reports the findings that `scan` and `analyze` report for the captured
/// file, under the full and the subscriber view, for every fixture and corpus log piped in.
#[test]
fn the_capture_index_agrees_with_scan_and_analyze_of_the_captured_file() {
    let ids = catalogue_ids();
    let only = |id: &str| ids.contains(id);
    let mut compared = 0;
    for p in all_logs() {
        let bytes = std::fs::read(&p).unwrap();
        if common::run(&["analyze", p.to_str().unwrap()]).status.code() == Some(2) {
            continue;
        }
        for view in ["full", "subscriber"] {
            let d = tempfile::tempdir().unwrap();
            let dir = d.path().to_str().unwrap();
            let out = common::run_stdin(
                &["capture", "--idle", "0", "--dir", dir, "--as", view, "-"],
                &bytes,
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                p.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let index = std::fs::read_to_string(d.path().join("index.ndjson")).unwrap();
            for line in index.lines() {
                let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                let file = d.path().join(entry["file"].as_str().unwrap());
                let file = file.to_str().unwrap();
                let mut indexed = std::collections::BTreeMap::new();
                for (id, n) in entry["findings"].as_object().unwrap() {
                    indexed.insert(id.clone(), n.as_u64().unwrap());
                }
                let what = format!("{} as {view}: {file}", p.display());
                assert_eq!(
                    indexed,
                    scan_counts(file),
                    "{what}: index (left) against scan (right)"
                );
                compared += 1;
                // analyze against scan is checked on every log above; here on the fixtures.
                let a = if p.starts_with(common::fixtures()) {
                    common::run(&["analyze", "--format", "json", file])
                } else {
                    continue;
                };
                if a.status.code() == Some(0) {
                    let a: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
                    let mut by_id = std::collections::BTreeMap::new();
                    for f in a["findings"].as_array().unwrap() {
                        let id = f["id"].as_str().unwrap();
                        if only(id) {
                            *by_id.entry(id.to_string()).or_default() +=
                                f["count"].as_u64().unwrap();
                        }
                    }
                    assert_eq!(
                        indexed, by_id,
                        "{what}: index (left) against analyze (right)"
                    );
                }
            }
        }
    }
    assert!(compared > 40, "{compared} captured logs compared");
}
