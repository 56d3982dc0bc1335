//! `dbglog analyze PATH…`: many logs in one run equal, log by log, the one-log command, in
//! text and JSON; every input is accounted for; archives give the same reports as their
//! files; the aggregate counts are exact.

mod common;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(out)))
}

/// The per-log blocks of a many-log text report, as (header, report text): each block
/// runs from its `==> [i/n] … <==` header to the next header, less the blank line that
/// ends it; the aggregate (from `==> N logs`) is left out.
fn text_blocks(out: &str) -> Vec<(String, String)> {
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in out.split_inclusive('\n') {
        if line.starts_with("==> ") {
            starts.push(at);
        }
        at += line.len();
    }
    let agg = *starts.last().expect("an aggregate header");
    assert!(out[agg..].starts_with("==> ") && out[agg..].contains(" logs: "));
    starts
        .windows(2)
        .map(|w| {
            let block = &out[w[0]..w[1]];
            let (head, body) = block.split_once('\n').unwrap();
            let body = body
                .strip_suffix('\n')
                .expect("a blank line after each report");
            (head.to_string(), body.to_string())
        })
        .collect()
}

/// `analyze PATH… [extra]` in JSON and text, checked log by log against `analyze FILE`
/// alone; every skipped input is one the one-log command refuses (exit 2). Returns the
/// JSON document.
fn check_equals_singles(paths: &[&str], extra: &[&str]) -> Value {
    let run_with = |fmt: &[&str]| {
        let mut args = vec!["analyze"];
        args.extend_from_slice(extra);
        args.extend_from_slice(fmt);
        args.extend_from_slice(paths);
        common::run(&args)
    };
    let j = run_with(&["--format", "json"]);
    let doc = json(&j.stdout);
    let t = run_with(&[]);
    assert_eq!(t.status.code(), j.status.code());
    let text = String::from_utf8(t.stdout).unwrap();
    let blocks = text_blocks(&text);
    let logs = doc["logs"].as_array().unwrap();
    assert_eq!(blocks.len(), logs.len(), "one text report per JSON report");
    for (i, (log, (head, body))) in logs.iter().zip(&blocks).enumerate() {
        let file = log["file"].as_str().unwrap();
        assert!(
            head.starts_with(&format!("==> [{}/{}] ", i + 1, logs.len())),
            "{head}"
        );
        let mut one = vec!["analyze"];
        one.extend_from_slice(extra);
        one.push(file);
        let alone = common::run(&one);
        assert_eq!(alone.status.code(), Some(0), "{file} alone");
        common::assert_bytes_eq(body.as_bytes(), &alone.stdout, file);
        one.extend_from_slice(&["--format", "json"]);
        assert_eq!(*log, json(&common::run(&one).stdout), "{file} JSON");
    }
    let inputs = doc["inputs"].as_array().unwrap();
    let analyzed: Vec<&str> = inputs
        .iter()
        .filter(|i| i["status"] == "scanned")
        .map(|i| i["file"].as_str().unwrap())
        .collect();
    let files: Vec<&str> = logs.iter().map(|l| l["file"].as_str().unwrap()).collect();
    assert_eq!(
        analyzed, files,
        "the analyzed inputs are the reports, in order"
    );
    for i in inputs.iter().filter(|i| i["status"] != "scanned") {
        let file = i["file"].as_str().unwrap();
        let alone = common::run(&["analyze", file]);
        assert_eq!(alone.status.code(), Some(2), "{file} refused alone");
    }
    doc
}

#[test]
fn fixtures_folder_equals_each_fixture_alone() {
    let dir = common::fixtures();
    let doc = check_equals_singles(&[s(&dir)], &[]);
    // Every *.log fixture that analyze accepts alone is among the reports.
    let files: Vec<&str> = doc["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    for f in common::fixture_logs() {
        if common::run(&["analyze", s(&f)]).status.code() == Some(0) {
            assert!(files.contains(&s(&f)), "{} missing", f.display());
        }
    }
}

#[test]
fn fixtures_with_a_view_and_tree_equal_each_alone() {
    let logs = [
        common::fixture("e2cp-fatal.log"),
        common::fixture("e2cp-handled.log"),
        common::fixture("trap-namespaces.log"),
    ];
    let paths: Vec<&str> = logs.iter().map(|p| s(p)).collect();
    check_equals_singles(&paths, &["--as", "subscriber", "--own", "E2CP", "--tree"]);
}

#[test]
fn corpus_folder_equals_each_log_alone() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let doc = check_equals_singles(&[s(&dir)], &["-j", "2"]);
    let n = doc["logs"].as_array().unwrap().len();
    assert!(n >= 80, "{n} corpus logs analyzed");
}

/// The order is the walk's whatever the thread count.
#[test]
fn output_is_the_same_with_one_thread_or_several() {
    let dir = common::fixtures();
    for fmt in ["text", "json", "ndjson", "lines"] {
        let one = common::run(&["analyze", "-j", "1", "--format", fmt, s(&dir)]);
        let four = common::run(&["analyze", "-j", "4", "--format", fmt, s(&dir)]);
        common::assert_bytes_eq(&four.stdout, &one.stdout, fmt);
    }
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

const SMALL_SET: [&str; 3] = ["e2cp-fatal.log", "e2cp-handled.log", "limits-near.log"];

/// A temp folder holding the small set of fixtures (and what `extra` adds).
fn small_set(extra: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    for f in SMALL_SET {
        std::fs::copy(common::fixture(f), dir.join(f)).unwrap();
    }
    for (name, bytes) in extra {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    (d, dir)
}

#[test]
fn a_bad_file_is_reported_and_the_others_analyzed() {
    let g = gz(&std::fs::read(common::fixture("e2cp-handled.log")).unwrap());
    let (_d, dir) = small_set(&[
        ("broken.log.gz", &g[..g.len() / 2]),
        ("notes.txt", b"just some notes\n"),
    ]);
    let doc = check_equals_singles(&[s(&dir)], &[]);
    let out = common::run(&["analyze", s(&dir)]);
    // scan's convention: an input that failed makes the exit status 2.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let broken = format!("{}/broken.log.gz", s(&dir));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("dbglog: {broken}: truncated gzip data")),
        "{err}"
    );
    let inputs = doc["inputs"].as_array().unwrap();
    let status: Vec<(&str, &str)> = inputs
        .iter()
        .map(|i| {
            let f = i["file"].as_str().unwrap();
            (&f[s(&dir).len() + 1..], i["status"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        status,
        [
            ("broken.log.gz", "failed"),
            ("e2cp-fatal.log", "scanned"),
            ("e2cp-handled.log", "scanned"),
            ("limits-near.log", "scanned"),
            ("notes.txt", "skipped"),
        ]
    );
    assert!(
        inputs[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("truncated gzip data")
    );
    assert_eq!(
        inputs[4]["reason"],
        "holds no Apex debug log (no header line and no event)"
    );
    assert_eq!(inputs[1]["reason"], Value::Null);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("==> 3 logs: 1 failed, 2 ok <=="), "{text}");
    assert!(text.contains("Inputs        5 given: 3 analyzed, 1 failed, 1 skipped"));
    // Only skipped inputs (no failure): exit 0 with logs, 2 with none.
    let (_d2, dir2) = small_set(&[("notes.txt", b"just some notes\n")]);
    assert_eq!(common::run(&["analyze", s(&dir2)]).status.code(), Some(0));
    let none = tempfile::tempdir().unwrap();
    std::fs::write(none.path().join("a.txt"), b"nothing\n").unwrap();
    std::fs::write(none.path().join("b.txt"), b"nothing\n").unwrap();
    let out = common::run(&["analyze", s(none.path())]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a.txt: holds no Apex debug log") && err.contains("b.txt: holds"));
}

fn zip_of(dir: &Path, names: &[&str]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for n in names {
        w.start_file(*n, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&std::fs::read(dir.join(n)).unwrap()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar_gz_of(dir: &Path, names: &[&str]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for n in names {
        b.append_path_with_name(dir.join(n), n).unwrap();
    }
    gz(&b.into_inner().unwrap())
}

#[test]
fn archives_give_the_reports_of_their_files() {
    let (d, dir) = small_set(&[]);
    let zip = d.path().join("set.zip");
    std::fs::write(&zip, zip_of(&dir, &SMALL_SET)).unwrap();
    let tgz = d.path().join("set.tar.gz");
    std::fs::write(&tgz, tar_gz_of(&dir, &SMALL_SET)).unwrap();
    let files = check_equals_singles(&[s(&dir)], &[]);
    for ar in [&zip, &tgz] {
        // One archive alone is walked too, and each report equals its member alone
        // (`a.zip!member`), which names the log as the walk does.
        let doc = check_equals_singles(&[s(ar)], &[]);
        let logs = doc["logs"].as_array().unwrap();
        assert_eq!(logs.len(), SMALL_SET.len());
        for ((got, want), name) in logs
            .iter()
            .zip(files["logs"].as_array().unwrap())
            .zip(SMALL_SET)
        {
            assert_eq!(got["file"], format!("{}!{name}", s(ar)));
            let mut got = got.clone();
            got["file"] = want["file"].clone();
            assert_eq!(&got, want, "{name} in {}", ar.display());
        }
        assert_eq!(doc["aggregate"]["findings"], files["aggregate"]["findings"]);
    }
}

/// The aggregate recomputed from the per-log reports, independently of the program.
fn expected_findings(logs: &[Value]) -> Vec<(String, u64, u64, u64)> {
    let mut rows: Vec<(String, u64, u64, u64)> = Vec::new();
    for log in logs {
        let mut seen: Vec<String> = Vec::new();
        for f in log["findings"].as_array().unwrap() {
            let id = f["id"].as_str().unwrap().to_string();
            let i = match rows.iter().position(|r| r.0 == id) {
                Some(i) => i,
                None => {
                    rows.push((id.clone(), 0, 0, 0));
                    rows.len() - 1
                }
            };
            rows[i].2 += 1;
            rows[i].3 += f["count"].as_u64().unwrap();
            if !seen.contains(&id) {
                seen.push(id);
                rows[i].1 += 1;
            }
        }
    }
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.3.cmp(&a.3)).then(a.0.cmp(&b.0)));
    rows.truncate(10);
    rows
}

#[test]
fn aggregate_counts_are_exact() {
    let (_d, dir) = small_set(&[("notes.txt", b"just some notes\n")]);
    let out = common::run(&["analyze", "--format", "json", s(&dir)]);
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&out.stdout);
    assert_eq!(doc["schema_version"], 2);
    let a = &doc["aggregate"];
    let logs = doc["logs"].as_array().unwrap();
    assert_eq!(a["logs"], 3);
    assert_eq!(a["failed_logs"], 1);
    assert_eq!(a["ok_logs"], 2);
    assert_eq!(a["failed_inputs"], 0);
    assert_eq!(a["skipped_inputs"], 1);
    let bytes: u64 = SMALL_SET
        .iter()
        .map(|f| std::fs::metadata(common::fixture(f)).unwrap().len())
        .sum();
    assert_eq!(a["bytes"], bytes);
    // The one failed log, e2cp-fatal, failed on its uncaught non-selective query.
    let causes = a["failed_by"].as_array().unwrap();
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0]["id"], "QUERY_NON_SELECTIVE");
    assert_eq!(causes[0]["logs"], 1);
    assert_eq!(causes[0]["first_file"], logs[0]["file"]);
    assert_eq!(causes[0]["example"], logs[0]["verdict"]["headline"]);
    // The slowest first: limits-near ran 9.4 s, the two E2CP logs some 50 ms.
    let slow: Vec<(&str, u64)> = a["slowest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let f = x["file"].as_str().unwrap();
            (&f[s(&dir).len() + 1..], x["wall_nanos"].as_u64().unwrap())
        })
        .collect();
    let wall = |i: usize| logs[i]["summary"]["wall_nanos"].as_u64().unwrap();
    assert_eq!(
        slow,
        [
            ("limits-near.log", wall(2)),
            ("e2cp-handled.log", wall(1)),
            ("e2cp-fatal.log", wall(0)),
        ]
    );
    assert_eq!(a["slowest"][0]["entry_point"], "execute_anonymous_apex");
    let got: Vec<(String, u64, u64, u64)> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["logs"].as_u64().unwrap(),
                f["findings"].as_u64().unwrap(),
                f["occurrences"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected_findings(logs));
    // Pinned from the fixtures: the non-selective query is in both E2CP logs (twice,
    // caught and uncaught, in the fatal one).
    let q = got.iter().find(|r| r.0 == "QUERY_NON_SELECTIVE").unwrap();
    assert_eq!((q.1, q.2, q.3), (2, 3, 3));
}

#[test]
fn ndjson_is_one_line_per_log_then_the_aggregate() {
    let (_d, dir) = small_set(&[]);
    let doc = json(&common::run(&["analyze", "--format", "json", s(&dir)]).stdout);
    let out = common::run(&["analyze", "--format", "ndjson", s(&dir)]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| json(l.as_bytes()))
        .collect();
    assert_eq!(lines.len(), 4);
    for (line, log) in lines.iter().zip(doc["logs"].as_array().unwrap()) {
        assert_eq!(line["type"], "log");
        assert_eq!(line["path"], log["file"]);
        let mut line = line.clone();
        let o = line.as_object_mut().unwrap();
        o.remove("type");
        o.remove("path");
        assert_eq!(&line, log);
    }
    let last = &lines[3];
    assert_eq!(last["type"], "aggregate");
    assert_eq!(last["inputs"], doc["inputs"]);
    let mut agg = last.clone();
    let o = agg.as_object_mut().unwrap();
    o.remove("type");
    o.remove("inputs");
    assert_eq!(agg, doc["aggregate"]);
    // One file in NDJSON: one log line and the aggregate.
    let f = common::fixture("e2cp-fatal.log");
    let out = common::run(&["analyze", "--format", "ndjson", s(&f)]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
}

#[test]
fn lines_are_every_finding_of_every_log() {
    let (_d, dir) = small_set(&[]);
    let out = common::run(&["analyze", "--format", "lines", s(&dir)]);
    assert_eq!(out.status.code(), Some(0));
    let mut want = Vec::new();
    for f in SMALL_SET {
        let one = common::run(&["analyze", "--format", "lines", s(&dir.join(f))]);
        want.extend(one.stdout);
    }
    common::assert_bytes_eq(&out.stdout, &want, "lines");
}

#[test]
fn html_refuses_several_logs() {
    let (_d, dir) = small_set(&[]);
    let out = common::run(&["analyze", "--format", "html", s(&dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--format html shows one log") && err.contains(s(&dir)),
        "{err}"
    );
}

#[test]
fn text_lines_fit_80_columns() {
    let (_d, dir) = small_set(&[("notes.txt", b"x\n")]);
    let out = common::run(&["analyze", s(&dir)]);
    for l in String::from_utf8(out.stdout).unwrap().lines() {
        assert!(l.chars().count() <= 80, "{l}");
    }
}
