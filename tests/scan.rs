//! `dbglog scan`: a tree of plain logs, compressed logs, archives and bad inputs.

mod common;

use dbglog::rules::Catalogue;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::PathBuf;

const CATALOGUE_LOG: &str = "errors-catalogue.log";

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        if name.ends_with('/') {
            w.add_directory(*name, opts).unwrap();
        } else {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

/// A zip with one member of `mib` MiB of zeros (a decompression bomb, ratio ~1000:1).
fn zip_bomb(mib: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("zeros.log", opts).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..mib {
        w.write_all(&chunk).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A tar.gz; names are written into the header verbatim (even `..` and absolute ones).
fn tar_gz(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    gz(&b.into_inner().unwrap())
}

/// One planted finding: (rule, line, event, namespace, count).
type Planted = (String, u64, String, String, u32);

/// The expected findings of errors-catalogue.log: the TSV rows, with the dedupe rule
/// applied. The TSV lists both copies of a doubled FATAL_ERROR; the scan reports a
/// FATAL_ERROR whose previous event is a FATAL_ERROR with the same text once, on the
/// first line, with count 2. This derives that from the log itself.
fn planted_findings() -> Vec<Planted> {
    let log = fs::read_to_string(common::fixture(CATALOGUE_LOG)).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let is_event = |l: &str| l.len() > 12 && l.as_bytes()[2] == b':' && l.contains(")|");
    // Full text (first line after the type + continuation lines) of the event at `line`.
    let event_text = |line: usize| -> String {
        let first = lines[line - 1];
        let mut t = first[first.find("|FATAL_ERROR|").map_or(0, |p| p + 13)..].to_string();
        for l in &lines[line..] {
            if is_event(l) {
                break;
            }
            t.push('\n');
            t.push_str(l);
        }
        t
    };
    let prev_event =
        |line: usize| -> usize { (1..line).rev().find(|&l| is_event(lines[l - 1])).unwrap() };
    let tsv = fs::read_to_string(common::fixture("errors-catalogue.expected.tsv")).unwrap();
    let mut out: Vec<Planted> = Vec::new();
    for row in tsv.lines().skip(1) {
        let c: Vec<&str> = row.split('\t').collect();
        let (rule, line, event, ns) = (c[0], c[1].parse::<u64>().unwrap(), c[2], c[3]);
        if event == "FATAL_ERROR" {
            let p = prev_event(line as usize);
            if lines[p - 1].contains("|FATAL_ERROR|") && event_text(p) == event_text(line as usize)
            {
                let first = out
                    .iter_mut()
                    .find(|f| f.0 == rule && f.1 == p as u64)
                    .expect("the first copy is listed before the second");
                first.4 += 1;
                continue;
            }
        }
        out.push((rule.into(), line, event.into(), ns.into(), 1));
    }
    // One exception, one finding (docs/findings.md): a FATAL_ERROR that reports an
    // exception thrown earlier (same rule, same message) is that finding's fatal line.
    let message = |line: u64| -> String {
        let l = lines[line as usize - 1];
        match l.find("|EXCEPTION_THROWN|") {
            Some(p) => l[p + 18..].split_once('|').map_or("", |x| x.1).to_string(),
            None => l[l.find("|FATAL_ERROR|").unwrap() + 13..].to_string(),
        }
    };
    let mut paired: Vec<(String, String)> = Vec::new();
    let mut kept: Vec<Planted> = Vec::new();
    for f in out {
        if f.2 == "FATAL_ERROR" {
            let key = (f.0.clone(), message(f.1));
            if paired.contains(&key) {
                continue;
            }
            let thrown = kept
                .iter()
                .any(|t| t.2 == "EXCEPTION_THROWN" && t.0 == f.0 && message(t.1) == key.1);
            paired.push(key);
            if thrown {
                continue;
            }
            kept.push((f.0, f.1, f.2, f.3, 1));
        } else {
            kept.push(f);
        }
    }
    kept
}

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
    fn arg(&self) -> String {
        self.root().display().to_string()
    }
    fn rel(&self, name: &str) -> String {
        let root = self.arg();
        name.strip_prefix(&root)
            .map(|s| s.trim_start_matches('/').to_string())
            .unwrap_or_else(|| name.to_string())
    }
}

/// The tree: plain logs, a .gz, a .zip with folders, a .tar.gz, bad inputs, rule samples.
fn build_tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let catalogue = fs::read(common::fixture(CATALOGUE_LOG)).unwrap();
    let fatal = fs::read(common::fixture("e2cp-fatal.log")).unwrap();
    let handled = fs::read(common::fixture("e2cp-handled.log")).unwrap();
    for d in ["a-plain", "b-gz", "c-zip", "d-targz", "e-bad", "f-samples"] {
        fs::create_dir(root.join(d)).unwrap();
    }
    fs::write(root.join("a-plain").join(CATALOGUE_LOG), &catalogue).unwrap();
    fs::write(root.join("b-gz/errors.log.gz"), gz(&catalogue)).unwrap();
    let zip = zip_of(&[
        ("logs/", b""),
        ("logs/2024/", b""),
        ("logs/2024/errors-catalogue.log", &catalogue),
        ("logs/other/e2cp-fatal.log", &fatal),
        ("readme.txt", b"just some notes\n"),
    ]);
    fs::write(root.join("c-zip/nested.zip"), &zip).unwrap();
    fs::write(
        root.join("d-targz/bundle.tgz"),
        tar_gz(&[
            ("run/errors-catalogue.log", &catalogue),
            ("../escape/e2cp-handled.log", &handled),
        ]),
    )
    .unwrap();
    let mut corrupt = gz(&catalogue);
    let mid = corrupt.len() / 2;
    for b in &mut corrupt[mid..mid + 64] {
        *b ^= 0x5a;
    }
    fs::write(root.join("e-bad/corrupt.gz"), corrupt).unwrap();
    fs::write(root.join("e-bad/bomb.zip"), zip_bomb(200)).unwrap();
    fs::write(root.join("e-bad/truncated.zip"), &zip[..zip.len() / 2]).unwrap();
    fs::write(root.join("e-bad/empty.log"), b"").unwrap();
    let mut bin = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    bin.extend_from_slice(&catalogue[..200]);
    fs::write(root.join("e-bad/binary.bin"), bin).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("..", root.join("e-bad/loop")).unwrap();
        std::os::unix::fs::symlink("self", root.join("e-bad/self")).unwrap();
    }
    // Every builtin rule's sample, wrapped into a tiny log of its own.
    for rule in Catalogue::builtin().rules() {
        let log = format!("61.0 APEX_CODE,FINEST;DB,FINEST\n{}\n", rule.sample);
        fs::write(root.join("f-samples").join(format!("{}.log", rule.id)), log).unwrap();
    }
    if let Some(corpus) = common::corpus_logs() {
        let c = root.join("g-corpus");
        fs::create_dir(&c).unwrap();
        for (i, p) in corpus.iter().enumerate() {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            fs::copy(p, c.join(format!("{i:05}-{name}"))).unwrap();
        }
    }
    Tree { dir }
}

fn ndjson(out: &[u8]) -> (Vec<Value>, Value) {
    let mut v: Vec<Value> = String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = v.pop().expect("a summary line");
    assert_eq!(summary["type"], "summary");
    assert!(v.iter().all(|f| f["type"] == "finding"));
    (v, summary)
}

fn findings_of(findings: &[Value], tree: &Tree, file: &str) -> Vec<Planted> {
    findings
        .iter()
        .filter(|f| tree.rel(f["file"].as_str().unwrap()) == file)
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["log_line"].as_u64().unwrap(),
                f["event"].as_str().unwrap().to_string(),
                f["namespace"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap() as u32,
            )
        })
        .collect()
}

fn sorted(mut v: Vec<Planted>) -> Vec<Planted> {
    v.sort();
    v
}

#[test]
fn tree_scan_finds_the_planted_errors_and_accounts_for_every_input() {
    let tree = build_tree();
    let out = common::run(&["scan", "--format", "ndjson", "-j", "2", &tree.arg()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "failures make exit 2; stderr: {stderr}"
    );
    let (findings, summary) = ndjson(&out.stdout);

    // The planted errors, in every container, with the right namespace and dedupe.
    let want = sorted(planted_findings());
    assert_eq!(
        want.len(),
        85 - 17 - 15,
        "17 doubled FATAL_ERRORs fold into their first copy, 15 more into their exception"
    );
    for file in [
        "a-plain/errors-catalogue.log",
        "b-gz/errors.log.gz",
        "c-zip/nested.zip!logs/2024/errors-catalogue.log",
        "d-targz/bundle.tgz!run/errors-catalogue.log",
    ] {
        assert_eq!(sorted(findings_of(&findings, &tree, file)), want, "{file}");
    }
    // e2cp-fatal.log inside the zip: the QueryException thrown in E2CP code, then the doubled
    // FATAL_ERRORs (count 2), all in namespace E2CP until the DmlException in anonymous code.
    let fatal = findings_of(
        &findings,
        &tree,
        "c-zip/nested.zip!logs/other/e2cp-fatal.log",
    );
    let nonsel: Vec<_> = fatal
        .iter()
        .filter(|f| f.0 == "QUERY_NON_SELECTIVE")
        .collect();
    assert_eq!(
        nonsel[0],
        &(
            "QUERY_NON_SELECTIVE".into(),
            119,
            "EXCEPTION_THROWN".into(),
            "E2CP".into(),
            1
        )
    );
    // Its FATAL_ERROR lines (123, doubled) are that one finding's fatal line; the next
    // finding is the DmlException that carries it.
    assert_eq!(
        nonsel[1],
        &(
            "QUERY_NON_SELECTIVE".into(),
            143,
            "EXCEPTION_THROWN".into(),
            "(default)".into(),
            1
        )
    );
    assert!(
        fatal.iter().all(|f| f.1 != 131 && f.1 != 167),
        "second copies fold: {fatal:?}"
    );
    // The member with a `..` name is scanned under that name, never extracted.
    let escaped = findings_of(
        &findings,
        &tree,
        "d-targz/bundle.tgz!../escape/e2cp-handled.log",
    );
    assert_eq!(
        escaped,
        vec![(
            "QUERY_NON_SELECTIVE".into(),
            119,
            "EXCEPTION_THROWN".into(),
            "E2CP".into(),
            1
        )]
    );
    assert!(!tree.root().parent().unwrap().join("escape").exists());

    // Every builtin rule is detected in its own sample log.
    for rule in Catalogue::builtin().rules() {
        let file = format!("f-samples/{}.log", rule.id);
        let got = findings_of(&findings, &tree, &file);
        assert!(got.iter().any(|f| f.0 == rule.id), "{}: {got:?}", rule.id);
    }

    // Every other input is failed or skipped, with its reason.
    let reasons = |key: &str| -> BTreeMap<String, String> {
        summary[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    tree.rel(e["file"].as_str().unwrap()),
                    e["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let failed = reasons("failed");
    let skipped = reasons("skipped");
    assert_eq!(
        failed.keys().cloned().collect::<BTreeSet<_>>(),
        [
            "e-bad/bomb.zip!zeros.log",
            "e-bad/corrupt.gz",
            "e-bad/truncated.zip"
        ]
        .map(String::from)
        .into(),
        "{failed:?}"
    );
    assert!(failed["e-bad/bomb.zip!zeros.log"].contains("decompression bomb"));
    assert!(failed["e-bad/corrupt.gz"].contains("gzip"));
    assert!(failed["e-bad/truncated.zip"].contains("zip"));
    let mut want_skipped: BTreeSet<String> = [
        "c-zip/nested.zip!readme.txt",
        "e-bad/binary.bin",
        "e-bad/empty.log",
    ]
    .map(String::from)
    .into();
    if cfg!(unix) {
        want_skipped.insert("e-bad/loop".into());
        want_skipped.insert("e-bad/self".into());
    }
    assert_eq!(
        skipped.keys().cloned().collect::<BTreeSet<_>>(),
        want_skipped,
        "{skipped:?}"
    );
    assert!(skipped["e-bad/binary.bin"].starts_with("binary content"));
    assert_eq!(skipped["e-bad/empty.log"], "empty file");
    assert!(skipped["c-zip/nested.zip!readme.txt"].starts_with("not an Apex debug log"));
    if cfg!(unix) {
        assert!(skipped["e-bad/loop"].contains("already walked"));
        assert!(skipped["e-bad/self"].contains("loop"));
    }
    // Each failure is one stderr line naming the input.
    for name in failed.keys() {
        let full = format!("{}/{}", tree.arg(), name);
        assert_eq!(
            stderr
                .lines()
                .filter(|l| l.starts_with(&format!("dbglog: {full}: ")))
                .count(),
            1,
            "{name}: {stderr}"
        );
    }

    // The counts add up (members count as files).
    let files = &summary["files"];
    let n = |k: &str| files[k].as_u64().unwrap();
    let samples = Catalogue::builtin().rules().len() as u64;
    let corpus = common::corpus_logs().map_or(0, |c| c.len() as u64);
    assert_eq!(n("given"), n("scanned") + n("failed") + n("skipped"));
    assert_eq!(n("failed"), 3);
    if corpus == 0 {
        assert_eq!(n("skipped"), want_skipped.len() as u64);
        // plain + gz + 2 zip members + 2 tar members + the samples.
        assert_eq!(n("scanned"), 6 + samples);
    }
    assert_eq!(summary["findings"].as_u64().unwrap(), findings.len() as u64);
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let tree = build_tree();
    for format in ["ndjson", "table", "csv", "json"] {
        let one = common::run(&["scan", "--format", format, "-j", "1", &tree.arg()]);
        let two = common::run(&["scan", "--format", format, "-j", "2", &tree.arg()]);
        assert_eq!(one.status.code(), Some(2));
        assert_eq!(one.stdout, two.stdout, "{format}");
        assert_eq!(one.stderr, two.stderr, "{format}");
    }
}

#[test]
fn fixtures_scan_cleanly_and_exit_codes_follow_grep() {
    // Every fixture log is scanned (none fails), the redaction set's in its subfolder too;
    // only the README, the TSV and the two JSON label files are skipped.
    let nested = std::fs::read_dir(common::fixture("redaction"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "log")
        })
        .count() as u64;
    let out = common::run(&[
        "scan",
        "--format",
        "json",
        &common::fixtures().display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = &v["summary"]["files"];
    assert_eq!(files["failed"], 0);
    assert_eq!(
        files["scanned"].as_u64().unwrap(),
        common::fixture_logs().len() as u64 + nested
    );
    assert_eq!(files["skipped"], 4);

    // Nothing found: 1. The subscriber log hides the package's exception.
    let sub = common::fixture("e2cp-subscriber.log").display().to_string();
    let none = common::run(&["scan", &sub]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&none.stdout)
            .contains("0 findings in 0 files; files: 1 given, 1 scanned, 0 failed, 0 skipped")
    );

    // --quiet: no output; found wins over errors.
    let log = common::fixture(CATALOGUE_LOG).display().to_string();
    let q = common::run(&["scan", "-q", &log, "/no/such/file.log"]);
    assert_eq!(q.status.code(), Some(0));
    assert!(q.stdout.is_empty());
    assert!(String::from_utf8_lossy(&q.stderr).contains("dbglog: /no/such/file.log: no such file"));
    // Without --quiet the error wins.
    assert_eq!(
        common::run(&["scan", &log, "/no/such/file.log"])
            .status
            .code(),
        Some(2)
    );
    // --quiet, nothing found, an error: 2.
    assert_eq!(
        common::run(&["scan", "-q", &sub, "/no/such/file.log"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn stdin_plain_and_gzip_and_only() {
    let log = fs::read(common::fixture("e2cp-fatal.log")).unwrap();
    for input in [log.clone(), gz(&log)] {
        let out = common::run_stdin(
            &[
                "scan",
                "--format",
                "ndjson",
                "--only",
                "QUERY_NON_SELECTIVE",
                "-",
            ],
            &input,
        );
        assert_eq!(out.status.code(), Some(0));
        let (f, s) = ndjson(&out.stdout);
        let got: Vec<(u64, &str, u64)> = f
            .iter()
            .map(|f| {
                (
                    f["log_line"].as_u64().unwrap(),
                    f["event"].as_str().unwrap(),
                    f["count"].as_u64().unwrap(),
                )
            })
            .collect();
        // The QueryException thrown and uncaught, then the DmlException whose `caused by:`
        // continuation carries it: each exception is one finding, its FATAL_ERROR lines
        // (doubled) its fatal line.
        let want = vec![(119, "EXCEPTION_THROWN", 1), (143, "EXCEPTION_THROWN", 1)];
        assert_eq!(got, want);
        let fatal: Vec<u64> = f
            .iter()
            .map(|f| f["fatal_line"].as_u64().unwrap())
            .collect();
        assert_eq!(fatal, [123, 154]);
        assert!(f.iter().all(|f| f["uncaught"] == true));
        assert_eq!(f[0]["file"], "<stdin>");
        assert_eq!(f[0]["namespace"], "E2CP");
        assert_eq!(s["files"]["given"], 1);
    }
    let bad = common::run(&["scan", "--only", "NOPE", "-"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("NOPE"));
}

#[test]
fn max_inflate_size_stops_a_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.log.gz");
    fs::write(&p, gz(&fs::read(common::fixture(CATALOGUE_LOG)).unwrap())).unwrap();
    let out = common::run(&[
        "scan",
        "--max-inflate-size",
        "10KiB",
        &p.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "big.log.gz: decompression bomb: inflated size exceeds 10 KiB (--max-inflate-size)"
        ),
        "{err}"
    );
}

#[test]
fn csv_has_a_header_and_quotes_fields() {
    let log = common::fixture(CATALOGUE_LOG).display().to_string();
    let out = common::run(&["scan", "--format", "csv", "--only", "VALIDATION_RULE", &log]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(dbglog::scan::report::CSV_HEADER.join(",").as_str())
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with(&format!("{log},16,EXCEPTION_THROWN,VALIDATION_RULE,error,(default),,,\"System.DmlException: Insert failed.")), "{row}");
    assert!(row.ends_with("\",1,false,,12"), "{row}");
    assert_eq!(lines.next(), None);
}

#[test]
fn table_summarises_rules_namespaces_files_and_messages() {
    let log = common::fixture(CATALOGUE_LOG).display().to_string();
    let out = common::run(&["scan", &log]);
    let t = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "Findings by rule",
        "Findings by namespace",
        "Files affected",
        "Top messages",
    ] {
        assert!(t.contains(heading), "{heading}");
    }
    assert!(
        t.lines().any(|l| l.split_whitespace().eq(["6", "acme"])),
        "{t}"
    );
    assert!(
        t.contains("53 findings in 1 file; files: 1 given, 1 scanned, 0 failed, 0 skipped"),
        "{t}"
    );
}

#[test]
fn stdin_is_streamed_and_finds_what_the_file_scan_finds() {
    let f = common::fixture("errors-catalogue.log");
    let name = f.to_str().unwrap();
    let from_file = common::run(&["scan", "--format", "ndjson", name]);
    let from_stdin = common::run_stdin(
        &["scan", "--format", "ndjson", "-"],
        &std::fs::read(&f).unwrap(),
    );
    assert_eq!(from_stdin.status.code(), Some(0));
    let a = String::from_utf8(from_file.stdout).unwrap();
    let b = String::from_utf8(from_stdin.stdout)
        .unwrap()
        .replace("\"<stdin>\"", &format!("{name:?}"));
    assert_eq!(a, b);
    // A compressed stream on stdin still works (read whole, detected by magic bytes).
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&std::fs::read(&f).unwrap()).unwrap();
        e.finish().unwrap()
    };
    let out = common::run_stdin(&["scan", "--format", "ndjson", "-"], &gz);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("QUERY_NON_SELECTIVE")
    );
}

/// A lone large file uses the spare thread (split prefilter, framing on a second thread):
/// the findings are exactly those of a one-thread scan.
#[test]
fn a_large_lone_file_scans_the_same_on_one_or_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("big.log");
    std::fs::write(&log, dbglog::generate::sample(9 << 20, 11)).unwrap();
    let path = log.display().to_string();
    let one = common::run(&["scan", "-j", "1", "--format", "ndjson", &path]);
    let two = common::run(&["scan", "-j", "2", "--format", "ndjson", &path]);
    assert_eq!(
        one.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    let findings = String::from_utf8_lossy(&one.stdout).lines().count();
    assert!(
        findings > 10,
        "the generated log holds errors: {findings} lines"
    );
    assert_eq!(one.stdout, two.stdout);
}
