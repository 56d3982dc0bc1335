//! `dbglog capture`: splitting a stream of logs into files plus an index.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

const BANNERS: [&[u8]; 2] = [b"Executed successfully.\n", b"Compiled successfully.\n"];

/// Single-log fixtures (and corpus logs when present) that start with a header line and
/// whose last event does not take free text (after such an event a banner line would be
/// read as part of the event's text, so it could not be told apart).
fn single_logs() -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths = common::fixture_logs();
    if let Some(corpus) = common::corpus_logs() {
        paths.extend(corpus);
    }
    let mut out = Vec::new();
    for p in paths {
        let Ok(bytes) = fs::read(&p) else { continue };
        let first = bytes.split(|&c| c == b'\n').next().unwrap_or(b"");
        if !dbglog::framing::is_header(first) {
            continue;
        }
        let recs = dbglog::framing::records(&bytes);
        let headers = recs
            .iter()
            .filter(|r| r.kind == dbglog::framing::RecordKind::Header)
            .count();
        let last_event = recs
            .iter()
            .rev()
            .find(|r| r.kind == dbglog::framing::RecordKind::Event);
        let text_tail = last_event.is_some_and(|r| r.head.unwrap().etype.accepts_text());
        // A log without a final newline cannot be followed by another in a stream without
        // the next line being glued to its last one, so it is no single log there.
        if headers == 1 && !text_tail && bytes.ends_with(b"\n") {
            out.push((p, bytes));
        }
    }
    // End on a complete log, so that no log of the full stream is partial.
    let handled = common::fixture("e2cp-handled.log");
    out.sort_by_key(|(p, _)| *p == handled);
    let names: Vec<String> = out
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for must in [
        "e2cp-handled.log",
        "e2cp-fatal.log",
        "e2cp-subscriber.log",
        "pii.log",
        "limits-near.log",
        "errors-catalogue.log",
        "trap-multiline.log",
        "trap-namespaces.log",
    ] {
        assert!(
            names.iter().any(|n| n == must),
            "{must} missing from {names:?}"
        );
    }
    out
}

/// The logs with banner lines before each; returns (stream, logs without banners).
fn stream_of(logs: &[(PathBuf, Vec<u8>)]) -> (Vec<u8>, Vec<u8>) {
    let mut stream = Vec::new();
    let mut plain = Vec::new();
    for (i, (_, b)) in logs.iter().enumerate() {
        stream.extend_from_slice(BANNERS[i % 2]);
        if i % 3 == 0 {
            stream.extend_from_slice(b"\n");
        }
        stream.extend_from_slice(b);
        plain.extend_from_slice(b);
    }
    (stream, plain)
}

fn index(dir: &Path) -> Vec<serde_json::Value> {
    let text = fs::read_to_string(dir.join("index.ndjson")).expect("index.ndjson");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad index line {l}: {e}")))
        .collect()
}

fn read_log(path: &Path) -> Vec<u8> {
    let raw = fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        assert_eq!(&raw[..2], b"\x1f\x8b", "{} is not gzip", path.display());
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

/// Every entry of `dir` other than the index.
fn dir_files(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "index.ndjson")
        .collect()
}

fn capture(dir: &Path, extra: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut args = vec!["capture", "--dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = common::run_stdin(&args, stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn check_split(gzip: bool) {
    let logs = single_logs();
    let n = logs.len();
    let (stream, plain) = stream_of(&logs);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    let extra: &[&str] = if gzip { &["--gzip"] } else { &[] };
    let out = capture(&dir, extra, &stream);

    let idx = index(&dir);
    assert_eq!(idx.len(), n);
    let files = dir_files(&dir);
    assert_eq!(files.len(), n, "{files:?}");
    let ext = if gzip { ".log.gz" } else { ".log" };
    let mut joined = Vec::new();
    for (rec, (src, bytes)) in idx.iter().zip(&logs) {
        let name = rec["file"].as_str().unwrap();
        assert!(name.ends_with(ext), "{name}");
        assert!(files.contains(name), "{name} not in {files:?}");
        assert!(
            name.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c)),
            "{name}"
        );
        let content = read_log(&dir.join(name));
        common::assert_bytes_eq(&content, bytes, &format!("{} vs {name}", src.display()));
        assert_eq!(rec["bytes"].as_u64(), Some(bytes.len() as u64));
        assert_eq!(rec["view"], "full");
        assert_eq!(rec["redaction"], serde_json::json!([]));
        let marked = String::from_utf8_lossy(bytes).contains("*** Skipped ")
            || String::from_utf8_lossy(bytes).contains("MAXIMUM DEBUG LOG SIZE REACHED");
        assert_eq!(rec["truncated"], marked, "{name}");
        assert!(rec["findings"].is_object());
        joined.extend_from_slice(&content);
    }
    assert_eq!(
        joined, plain,
        "concatenated files differ from the input minus banners"
    );
    assert_eq!(idx.last().unwrap()["partial"], false);

    // The listing on stdout names each file in order.
    let listed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            Path::new(l)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let indexed: Vec<&str> = idx.iter().map(|r| r["file"].as_str().unwrap()).collect();
    assert_eq!(listed, indexed);

    // The record of e2cp-handled (the last log).
    let last = idx.last().unwrap();
    assert_eq!(last["api_version"], "61.0");
    assert_eq!(last["user"], "support.admin@northwind-demo.example");
    assert_eq!(last["entry_point"], "execute_anonymous_apex");
    assert_eq!(last["first_nanos"], 2412906);
    assert_eq!(last["last_nanos"], 57413531);
    assert!(
        last["file"]
            .as_str()
            .unwrap()
            .starts_with("101542.002_support.admin_northwind-demo.example_execute_anonymous_apex"),
        "{}",
        last["file"]
    );
}

#[test]
fn splits_a_stream_into_one_file_per_log() {
    check_split(false);
}

#[test]
fn splits_a_stream_into_gzip_files() {
    check_split(true);
}

#[test]
fn a_stream_cut_mid_log_gives_a_partial_file() {
    let handled = fs::read(common::fixture("e2cp-handled.log")).unwrap();
    let fatal = fs::read(common::fixture("e2cp-fatal.log")).unwrap();
    let cut = &fatal[..fatal.len() / 2];
    let mut stream = handled.clone();
    stream.extend_from_slice(b"Executed successfully.\n");
    stream.extend_from_slice(cut);
    for gzip in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cap");
        capture(&dir, if gzip { &["--gzip"] } else { &[] }, &stream);
        let idx = index(&dir);
        assert_eq!(idx.len(), 2);
        assert_eq!(idx[0]["partial"], false);
        assert_eq!(idx[1]["partial"], true);
        assert_eq!(
            read_log(&dir.join(idx[0]["file"].as_str().unwrap())),
            handled
        );
        assert_eq!(read_log(&dir.join(idx[1]["file"].as_str().unwrap())), cut);
        assert_eq!(dir_files(&dir).len(), 2);
    }
}

#[test]
fn truncated_log_is_marked_truncated_not_partial() {
    let maxsize = fs::read(common::fixture("trap-maxsize.log")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    capture(&dir, &[], &maxsize);
    let idx = index(&dir);
    assert_eq!(idx.len(), 1);
    assert_eq!(idx[0]["truncated"], true);
    assert_eq!(idx[0]["partial"], false);
    assert_eq!(
        read_log(&dir.join(idx[0]["file"].as_str().unwrap())),
        maxsize
    );
}

#[test]
fn a_second_run_appends_and_never_overwrites() {
    let logs = single_logs();
    let n = logs.len();
    let (stream, _) = stream_of(&logs);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    capture(&dir, &[], &stream);
    let first: Vec<(String, Vec<u8>)> = dir_files(&dir)
        .into_iter()
        .map(|f| {
            let b = fs::read(dir.join(&f)).unwrap();
            (f, b)
        })
        .collect();
    assert_eq!(first.len(), n);
    capture(&dir, &[], &stream);
    assert_eq!(dir_files(&dir).len(), 2 * n);
    let idx = index(&dir);
    assert_eq!(idx.len(), 2 * n);
    let names: BTreeSet<&str> = idx.iter().map(|r| r["file"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2 * n, "index names repeat");
    for (f, b) in &first {
        assert_eq!(&fs::read(dir.join(f)).unwrap(), b, "{f} was overwritten");
    }
}

#[test]
fn name_template_and_file_input() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    let two = common::fixture("trap-two-logs.log");
    let out = common::run(&[
        "capture",
        two.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
        "--name",
        "{n}-{entry}@{user}-{nanos}-{time}-{date}",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let idx = index(&dir);
    assert_eq!(idx.len(), 2);
    let f0 = idx[0]["file"].as_str().unwrap();
    let f1 = idx[1]["file"].as_str().unwrap();
    assert!(
        f0.starts_with(
            "1-execute_anonymous_apex_dev.ops_northwind-demo.example-1904872-130520.001-"
        ),
        "{f0}"
    );
    assert!(f1.starts_with("2-execute_anonymous_apex_"), "{f1}");
    assert_eq!(idx[1]["api_version"], "60.0");
    // {date} is YYYY-MM-DD.
    let date = f0.trim_end_matches(".log").rsplit('-').take(3).count();
    assert_eq!(date, 3);
    // The banner between the two logs (`=== … (2 of 2) ===`) is in neither file.
    for f in [f0, f1] {
        let text = fs::read_to_string(dir.join(f)).unwrap();
        assert!(!text.contains("(2 of 2)"), "{f}");
    }
}

#[test]
fn bad_template_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::run_stdin(
        &[
            "capture",
            "--dir",
            tmp.path().to_str().unwrap(),
            "--name",
            "{who}",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown placeholder '{who}'") && err.contains("{entry}"),
        "{err}"
    );
}

#[test]
fn unwritable_dir_names_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plainfile");
    fs::write(&file, b"x").unwrap();
    let out = common::run_stdin(
        &["capture", "--dir", file.to_str().unwrap()],
        &fs::read(common::fixture("pii.log")).unwrap(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("dbglog: ") && err.contains("plainfile"),
        "{err}"
    );
}

#[test]
fn banners_only_stream_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    capture(
        &dir,
        &[],
        b"Compiled successfully.\nExecuted successfully.\n",
    );
    assert!(dir_files(&dir).is_empty());
    assert_eq!(index(&dir).len(), 0);
}

fn labels(keys: &[&str]) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(common::fixture("pii.labels.json")).unwrap())
            .unwrap();
    keys.iter()
        .flat_map(|k| v[*k].as_array().unwrap().iter())
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Every byte capture left in `dir` (index and any stray file included), decompressed.
fn everything_on_disk(dir: &Path) -> Vec<(String, String)> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = String::from_utf8_lossy(&read_log(&p)).into_owned();
            (name, text)
        })
        .collect()
}

fn check_nothing_hidden_on_disk(redact: &str, label_keys: &[&str], gzip: bool) {
    let logs = single_logs();
    let n = logs.len();
    let (stream, _) = stream_of(&logs);
    // The inputs do hold what must not reach the disk.
    let input = String::from_utf8_lossy(&stream);
    // Package internals of e2cp-handled / e2cp-fatal: an internal method, its stack frames
    // and the package's debug text. (The static-variable listing that names the package
    // class `E2CP.ThreadMatcher.Rule` is part of the subscriber's own log and stays.)
    let hidden = [
        "E2CP.ThreadMatcher.findParent",
        "Class.E2CP.ThreadMatcher",
        "E2CP routing 1 new case",
    ];
    let secrets = labels(label_keys);
    for h in hidden
        .iter()
        .map(|s| s.to_string())
        .chain(secrets.iter().cloned())
    {
        assert!(input.contains(&h), "{h} not in the input");
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    let mut args = vec!["--as", "subscriber", "--redact", redact];
    if gzip {
        args.push("--gzip");
    }
    capture(&dir, &args, &stream);
    let files = everything_on_disk(&dir);
    assert_eq!(
        files.len(),
        n + 1,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (name, text) in &files {
        assert!(!name.starts_with('.'), "temporary file left: {name}");
        for h in &hidden {
            assert!(!text.contains(h), "{h} reached {name}");
            assert!(!name.contains(h), "{h} in the name {name}");
        }
        for sec in &secrets {
            assert!(!text.contains(sec.as_str()), "{sec} reached {name}");
        }
    }
    let idx = index(&dir);
    assert_eq!(idx.len(), n);
    let want: Vec<&str> = redact.split(',').collect();
    for rec in &idx {
        assert_eq!(rec["view"], "subscriber");
        assert_eq!(rec["redaction"], serde_json::json!(want));
    }
    // The user name is redacted in the index and the file name too.
    let last = idx.last().unwrap();
    assert_eq!(last["user"], "<email-1>");
    assert_eq!(last["entry_point"], "execute_anonymous_apex");
    assert!(!last["file"].as_str().unwrap().contains("support.admin"));
    // The subscriber view keeps the package boundary and the subscriber's own debug line.
    let handled = files
        .iter()
        .find(|(name, _)| name == last["file"].as_str().unwrap())
        .unwrap();
    assert!(handled.1.contains("ENTERING_MANAGED_PKG|E2CP"));
    assert!(handled.1.contains("CaseTrigger done"));
}

#[test]
fn subscriber_view_with_pii_redaction_keeps_internals_and_pii_off_disk() {
    check_nothing_hidden_on_disk("pii", &["emails", "tokens"], false);
}

#[test]
fn subscriber_view_with_pii_and_ids_redaction_gzip() {
    check_nothing_hidden_on_disk("pii,ids", &["emails", "tokens", "record_ids"], true);
}

#[test]
fn bad_view_or_redaction_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    for extra in [&["--as", "customer"][..], &["--redact", "names"][..]] {
        let mut args = vec!["capture", "--dir", tmp.path().to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = common::run_stdin(&args, b"");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("valid forms"), "{err}");
    }
}

fn capture_file(dir: &Path, fixture: &str, extra: &[&str]) -> serde_json::Value {
    let path = common::fixture(fixture);
    let mut args = vec![
        "capture",
        path.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = common::run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    index(dir).pop().unwrap()
}

#[test]
fn findings_count_catalogue_matches_per_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    // The index counts the findings scan reports for the same log (one findings model:
    // an exception and its FATAL_ERROR lines are one finding).
    let rec = capture_file(&dir, "errors-catalogue.log", &[]);
    let log = common::fixture("errors-catalogue.log");
    let out = common::run(&["scan", "--format", "ndjson", log.to_str().unwrap()]);
    let mut want = serde_json::Map::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        if f["type"] != "finding" {
            continue;
        }
        let id = f["id"].as_str().unwrap();
        let n = want.get(id).and_then(|v| v.as_u64()).unwrap_or(0);
        want.insert(id.to_string(), (n + f["count"].as_u64().unwrap()).into());
    }
    assert_eq!(rec["findings"], serde_json::Value::Object(want));
    // Two exceptions hit the SOQL limit, each thrown and written as a FATAL_ERROR.
    assert_eq!(rec["findings"]["LIMIT_SOQL"], 2);

    // The package's caught non-selective query counts in the full view only: the subscriber
    // view hides it, and so does its index record.
    let full = capture_file(&dir, "e2cp-handled.log", &[]);
    assert_eq!(
        full["findings"],
        serde_json::json!({"QUERY_NON_SELECTIVE": 1})
    );
    let sub = capture_file(&dir, "e2cp-handled.log", &["--as", "subscriber"]);
    assert_eq!(sub["findings"], serde_json::json!({}));

    // Truncation markers count as MARKER events.
    let cut = capture_file(&dir, "trap-maxsize.log", &[]);
    assert_eq!(cut["findings"]["LOG_MAX_SIZE"], 1);
    // The CPU limit exception, thrown and written as a FATAL_ERROR, is one finding.
    assert_eq!(cut["findings"]["LIMIT_CPU"], 1);
}

/// A live stream that pauses: a log is filed after `--idle` without input, long before the
/// stream ends; when the log in progress goes on after a pause, its file is replaced and
/// its index line updated (never a second line); nothing hidden is left at the end.
#[test]
fn a_pause_files_the_log_before_the_stream_ends() {
    use std::io::Write;
    let handled = fs::read(common::fixture("e2cp-handled.log")).unwrap();
    let fatal = fs::read(common::fixture("e2cp-fatal.log")).unwrap();
    // Cut the second log at a line end in its middle.
    let cut = fatal[..fatal.len() / 2]
        .iter()
        .rposition(|&c| c == b'\n')
        .unwrap()
        + 1;
    for gzip in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cap");
        let d = dir.to_str().unwrap();
        let mut args = vec!["capture", "--dir", d, "--idle", "1"];
        if gzip {
            args.push("--gzip");
        }
        let mut child = common::spawn_piped(&args);
        let mut sin = child.stdin.take().unwrap();
        let visible = |dir: &Path| -> Vec<String> {
            common::capture_files(dir)
                .into_iter()
                .filter(|n| !n.starts_with('.'))
                .collect()
        };

        sin.write_all(b"Executed successfully.\n").unwrap();
        sin.write_all(&handled).unwrap();
        sin.flush().unwrap();
        assert!(
            common::wait_until(|| common::capture_index(&dir).len() == 1),
            "gzip {gzip}: the complete log was not filed during the pause"
        );
        let files = visible(&dir);
        assert_eq!(files.len(), 1, "{files:?}");
        common::assert_bytes_eq(&read_log(&dir.join(&files[0])), &handled, "first log");
        let idx = common::capture_index(&dir);
        assert_eq!(idx[0]["partial"], false);
        assert_eq!(idx[0]["ended"], "pause");
        assert_eq!(idx[0]["file"].as_str().unwrap(), files[0]);

        // Half of the next log, then a pause: it is filed as it stands, marked partial.
        sin.write_all(b"Executed successfully.\n").unwrap();
        sin.write_all(&fatal[..cut]).unwrap();
        sin.flush().unwrap();
        let second = || {
            common::capture_index(&dir)
                .get(1)
                .and_then(|r| r["file"].as_str().map(str::to_string))
        };
        assert!(
            common::wait_until(|| second().is_some()),
            "gzip {gzip}: the half log was not filed during the pause"
        );
        let name = second().unwrap();
        common::assert_bytes_eq(&read_log(&dir.join(&name)), &fatal[..cut], "half log");
        assert_eq!(common::capture_index(&dir)[1]["partial"], true);

        // The rest comes: the same file now holds the whole log, and the index still has
        // one line per log.
        sin.write_all(&fatal[cut..]).unwrap();
        drop(sin);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let idx = common::capture_index(&dir);
        assert_eq!(idx.len(), 2, "{idx:?}");
        assert_eq!(idx[1]["file"].as_str().unwrap(), name);
        assert_eq!(idx[1]["partial"], false);
        assert_eq!(idx[1]["bytes"].as_u64(), Some(fatal.len() as u64));
        common::assert_bytes_eq(&read_log(&dir.join(&name)), &fatal, "whole second log");
        common::assert_bytes_eq(
            &read_log(&dir.join(&files[0])),
            &handled,
            "first log at end",
        );
        assert_eq!(
            common::capture_files(&dir).len(),
            2,
            "{:?}",
            common::capture_files(&dir)
        );
        // Each file is listed once on stdout.
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    }
}

/// SIGTERM in the middle of a stream: every log sent is on disk and indexed, the one that
/// was cut marked partial, no temporary file left, exit 128 + 15.
#[cfg(unix)]
#[test]
fn sigterm_files_every_log_sent() {
    use std::io::Write;
    let logs: Vec<Vec<u8>> = ["e2cp-handled.log", "limits-near.log", "e2cp-fatal.log"]
        .iter()
        .map(|f| fs::read(common::fixture(f)).unwrap())
        .collect();
    let half = &logs[2][..logs[2].len() / 2];
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    // No pause filing: only the signal files the third log.
    let mut child =
        common::spawn_piped(&["capture", "--dir", dir.to_str().unwrap(), "--idle", "0"]);
    let mut sin = child.stdin.take().unwrap();
    let mut sent = Vec::new();
    for b in [&logs[0][..], &logs[1][..], half] {
        sent.extend_from_slice(b"Executed successfully.\n");
        sent.extend_from_slice(b);
    }
    sin.write_all(&sent).unwrap();
    sin.flush().unwrap();
    // The second log is filed when the third one's header has been read.
    assert!(
        common::wait_until(|| common::capture_index(&dir).len() == 2),
        "the first two logs were not filed"
    );
    common::signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    drop(sin);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(128 + libc::SIGTERM), "{err}");
    assert!(err.contains("SIGTERM"), "{err}");
    let idx = common::capture_index(&dir);
    assert_eq!(idx.len(), 3, "{idx:?}");
    for (i, rec) in idx.iter().enumerate() {
        let got = read_log(&dir.join(rec["file"].as_str().unwrap()));
        if i < 2 {
            common::assert_bytes_eq(&got, &logs[i], &format!("log {i}"));
            assert_eq!(rec["partial"], false);
        } else {
            // What was read of the third log: a start of the half sent (all of it, unless the
            // signal came before the last bytes were read).
            assert!(
                !got.is_empty() && half.starts_with(&got),
                "third log: {} bytes",
                got.len()
            );
            assert_eq!(rec["partial"], true);
            assert_eq!(rec["ended"], "SIGTERM");
            assert_eq!(rec["bytes"].as_u64(), Some(got.len() as u64));
        }
    }
    let files = common::capture_files(&dir);
    assert_eq!(files.len(), 3, "temporary file left? {files:?}");
    assert!(files.iter().all(|f| !f.starts_with('.')), "{files:?}");
}

/// `--idle` takes seconds; anything else is a usage error.
#[test]
fn bad_idle_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["-1", "soon", "inf"] {
        let idle = format!("--idle={bad}");
        let out = common::run_stdin(
            &["capture", "--dir", tmp.path().to_str().unwrap(), &idle],
            b"",
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--idle"),
            "{bad}"
        );
    }
}

/// A pause right after a record the view hides: lines that continue it after the pause
/// stay hidden, and the file is the one an unpaused run writes.
#[test]
fn a_pause_after_a_hidden_record_keeps_its_continuation_hidden() {
    use std::io::Write;
    let log = fs::read(common::fixture("e2cp-handled.log")).unwrap();
    let at = String::from_utf8_lossy(&log)
        .find("E2CP routing 1 new case(s)\n")
        .unwrap()
        + "E2CP routing 1 new case(s)\n".len();
    let secret = b"package continuation line\n";
    let whole = [&log[..at], &secret[..], &log[at..]].concat();
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    capture(&plain, &["--as", "subscriber", "--idle", "0"], &whole);
    let want = read_log(&plain.join(index(&plain)[0]["file"].as_str().unwrap()));
    assert!(!String::from_utf8_lossy(&want).contains("package continuation"));

    let dir = tmp.path().join("paused");
    let mut child = common::spawn_piped(&[
        "capture",
        "--dir",
        dir.to_str().unwrap(),
        "--as",
        "subscriber",
        "--idle",
        "1",
    ]);
    let mut sin = child.stdin.take().unwrap();
    sin.write_all(&log[..at]).unwrap();
    sin.flush().unwrap();
    assert!(common::wait_until(|| common::capture_index(&dir).len() == 1));
    sin.write_all(secret).unwrap();
    sin.write_all(&log[at..]).unwrap();
    drop(sin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let idx = common::capture_index(&dir);
    assert_eq!(idx.len(), 1);
    let got = read_log(&dir.join(idx[0]["file"].as_str().unwrap()));
    common::assert_bytes_eq(&got, &want, "paused vs unpaused subscriber view");
}

/// Ctrl-C on a pipe: the first SIGINT lets capture read on to the end of its input (the
/// producer got it too and closes the pipe), then it exits 0 with every byte filed; a
/// second SIGINT stops it at once with 128 + 2.
#[cfg(unix)]
#[test]
fn ctrl_c_on_a_pipe_waits_for_the_end_and_a_second_stops() {
    use std::io::{BufRead, Write};
    let log = fs::read(common::fixture("e2cp-fatal.log")).unwrap();
    let half = log.len() / 2;
    for twice in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cap");
        let mut child =
            common::spawn_piped(&["capture", "--dir", dir.to_str().unwrap(), "--idle", "1"]);
        let mut sin = child.stdin.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = std::thread::spawn(move || {
            let mut all = String::new();
            for l in std::io::BufReader::new(stderr).lines() {
                let l = l.unwrap();
                let _ = tx.send(l.clone());
                all.push_str(&l);
                all.push('\n');
            }
            all
        });
        sin.write_all(&log[..half]).unwrap();
        sin.flush().unwrap();
        // Filed at the pause: capture is running and watching its signals.
        assert!(common::wait_until(|| common::capture_index(&dir).len() == 1));
        common::signal(&child, libc::SIGINT);
        let said = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("no word after Ctrl-C");
        assert!(said.contains("Ctrl-C again"), "{said}");
        if twice {
            common::signal(&child, libc::SIGINT);
            let status = child.wait().unwrap();
            drop(sin);
            let err = lines.join().unwrap();
            assert_eq!(status.code(), Some(128 + libc::SIGINT), "{err}");
            let idx = common::capture_index(&dir);
            assert_eq!(idx.len(), 1);
            assert_eq!(idx[0]["partial"], true);
            assert_eq!(idx[0]["ended"], "SIGINT");
        } else {
            // Still reading: the rest arrives, then the pipe closes.
            sin.write_all(&log[half..]).unwrap();
            drop(sin);
            let status = child.wait().unwrap();
            let err = lines.join().unwrap();
            assert_eq!(status.code(), Some(0), "{err}");
            let idx = common::capture_index(&dir);
            assert_eq!(idx.len(), 1);
            assert_eq!(idx[0]["partial"], false);
            assert_eq!(idx[0]["ended"], "end_of_input");
            let got = read_log(&dir.join(idx[0]["file"].as_str().unwrap()));
            common::assert_bytes_eq(&got, &log, "log after one Ctrl-C");
        }
        assert_eq!(common::capture_files(&dir).len(), 1);
    }
}
