//! Reducers: `view --level`, `--keep/--drop`, `--collapse-markers`, `--within`, and the
//! same flags on `capture`.

mod common;

use common::{assert_bytes_eq, corpus_logs, fixture, fixture_logs, run, run_stdin};
use dbglog::event::{Category, EventType, Level};
use dbglog::framing::{self, RecordKind};
use dbglog::view::reduce::{event_level, record_level};
use std::path::{Path, PathBuf};

/// Event records of a log: (type, level, bytes, inside a limit block).
/// An event record: type, level, bytes, inside a limit block.
type Ev = (EventType, Option<(Category, Level)>, Vec<u8>, bool);

fn events(log: &[u8]) -> Vec<Ev> {
    let mut v = Vec::new();
    let mut block = false;
    for r in framing::records(log) {
        if r.kind != RecordKind::Event {
            continue;
        }
        let h = r.head.unwrap();
        let ev = dbglog::event::Event::new(h, r.raw, r.offset, r.line);
        let t = ev.etype();
        if t == EventType::CumulativeLimitUsage {
            block = true;
        }
        let in_block = block;
        if t == EventType::CumulativeLimitUsageEnd {
            block = false;
        }
        v.push((t, record_level(&ev), r.raw.to_vec(), in_block));
    }
    v
}

/// Package namespaces a log names (for the calls into packages a reducer keeps).
fn package_namespaces(log: &[u8]) -> Vec<Vec<u8>> {
    // The driver's namespace stage learns what the log names anywhere.
    let mut t = dbglog::track::Tracker::new().without_closed();
    let mut input = dbglog::input::from_bytes("x", log.to_vec());
    dbglog::stream::run(&mut input, &mut t, |_, _| Ok(())).unwrap();
    t.namespaces()
        .iter()
        .map(|(_, n)| n.to_vec())
        .filter(|n| n != b"(default)" && !n.is_empty() && !n.windows(2).any(|w| w == b"__"))
        .collect()
}

/// Lines every reducer keeps whatever it was asked: markers, limit blocks, calls into a
/// package (method and constructor lines naming a package's class).
fn protected(t: EventType, raw: &[u8], in_block: bool, pkgs: &[Vec<u8>]) -> bool {
    use EventType::*;
    t == EnteringManagedPkg
        || in_block
        || (matches!(
            t,
            MethodEntry | MethodExit | ConstructorEntry | ConstructorExit
        ) && pkgs.iter().any(|p| {
            let mut needle = b"|".to_vec();
            needle.extend_from_slice(p);
            needle.push(b'.');
            raw.windows(needle.len()).any(|w| w == needle.as_slice())
        }))
}

fn analyze_counts(path: &Path) -> (u64, u64, u64, u64) {
    let out = run(&["analyze", "--format", "json", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "analyze {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["soql"]["count"].as_u64().unwrap_or(0),
        v["dml"]["count"].as_u64().unwrap_or(0),
        v["exceptions"]["thrown"].as_u64().unwrap_or(0),
        v["exceptions"]["fatal_error_lines"].as_u64().unwrap_or(0),
    )
}

/// The APEX_CODE level in a log's first header, if any.
fn apex_code_level(log: &[u8]) -> Option<Level> {
    let first = log.split(|&c| c == b'\n').find(|l| framing::is_header(l))?;
    let s = String::from_utf8_lossy(first);
    let part = s
        .split(' ')
        .nth(1)?
        .split(';')
        .find(|p| p.starts_with("APEX_CODE,"))?;
    dbglog::view::reduce::level(&part.trim_end().as_bytes()["APEX_CODE,".len()..])
}

/// Logs to reduce: the FINEST fixtures and the corpus logs under 3 MB.
fn logs_for_level() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fixture_logs()
        .into_iter()
        .filter(|p| {
            let b = std::fs::read(p).unwrap();
            apex_code_level(&b) == Some(Level::Finest) && !p.to_string_lossy().contains("utf16")
        })
        .collect();
    assert!(v.len() >= 5, "FINEST fixtures: {v:?}");
    if let Some(c) = corpus_logs() {
        v.extend(
            c.into_iter()
                .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 1 << 20)),
        );
    }
    v
}

fn check_level(path: &Path, cat: Category, lvl: Level, spec: &str, tmp: &Path) {
    let orig = std::fs::read(path).unwrap();
    let name = path.display().to_string();
    let out = run(&["view", "--level", spec, &name]);
    if !out.status.success() {
        // Only a log without that category (or at a coarser level) may refuse.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("lacks"), "{name}: {err}");
        assert_eq!(out.status.code(), Some(2), "{name}");
        return;
    }
    let reduced = out.stdout;
    let pkgs = package_namespaces(&orig);
    // No event finer than asked, except the lines every reducer keeps.
    for (t, l, raw, in_block) in events(&reduced) {
        if let Some((c, l)) = l
            && c == cat
            && l > lvl
        {
            assert!(
                protected(t, &raw, in_block, &pkgs),
                "{name}: {t:?} at {l:?} kept under {spec}: {}",
                String::from_utf8_lossy(&raw[..raw.len().min(120)])
            );
        }
    }
    // Every event at or above the level is kept, byte for byte, in order.
    let kept: Vec<Vec<u8>> = events(&reduced).into_iter().map(|e| e.2).collect();
    let mut at = 0;
    for (t, l, raw, in_block) in events(&orig) {
        let lv = if in_block {
            event_level(EventType::CumulativeLimitUsage)
        } else {
            l
        };
        let wanted = match lv {
            Some((c, l)) => c != cat || l <= lvl,
            None => true,
        };
        if !wanted {
            continue;
        }
        match kept[at..].iter().position(|k| *k == raw) {
            Some(p) => at += p + 1,
            None => panic!(
                "{name}: {t:?} missing or out of order after {spec}: {}",
                String::from_utf8_lossy(&raw[..raw.len().min(120)])
            ),
        }
    }
    // It reads back: a full view is the same bytes, and the counts analyze reports agree.
    let file = tmp.join("reduced.log");
    std::fs::write(&file, &reduced).unwrap();
    let full = run(&["view", "--as", "full", file.to_str().unwrap()]);
    assert!(full.status.success(), "{name}");
    assert_bytes_eq(&full.stdout, &reduced, &name);
    assert_eq!(
        analyze_counts(&file),
        analyze_counts(path),
        "{name}: analyze counts"
    );
    // Twice is once.
    let again = run(&["view", "--level", spec, file.to_str().unwrap()]);
    assert!(again.status.success(), "{name}");
    assert_bytes_eq(&again.stdout, &reduced, &format!("{name}: --level twice"));
}

#[test]
fn level_drops_finer_events_keeps_the_rest_and_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    for path in logs_for_level() {
        check_level(
            &path,
            Category::ApexCode,
            Level::Debug,
            "APEX_CODE=DEBUG",
            tmp.path(),
        );
        check_level(
            &path,
            Category::ApexCode,
            Level::Info,
            "APEX_CODE=INFO",
            tmp.path(),
        );
        check_level(&path, Category::Db, Level::Info, "DB=INFO", tmp.path());
    }
}

#[test]
fn level_rewrites_the_header_and_refuses_to_raise_a_level() {
    let log = fixture("e2cp-handled.log");
    let out = run(&[
        "view",
        "--level",
        "APEX_CODE=DEBUG,DB=INFO",
        log.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let first = out.stdout.split(|&c| c == b'\n').next().unwrap().to_vec();
    let first = String::from_utf8(first).unwrap();
    assert!(first.contains("APEX_CODE,DEBUG;"), "{first}");
    assert!(first.contains(";DB,INFO;"), "{first}");
    assert!(first.contains(";SYSTEM,FINE;"), "{first}");

    let coarse = b"61.0 APEX_CODE,DEBUG;DB,INFO\n12:00:00.0 (1)|EXECUTION_STARTED\n12:00:00.0 (2)|EXECUTION_FINISHED\n";
    let out = run_stdin(&["view", "--level", "APEX_CODE=FINE"], coarse);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lacks APEX_CODE at FINE"), "{err}");
    let out = run_stdin(&["view", "--level", "WAVE=INFO"], coarse);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lacks WAVE"));
    let out = run_stdin(&["view", "--level", "APEX_CODE=LOUD"], coarse);
    assert_eq!(out.status.code(), Some(2));
}

/// Event records of a log as a multiset of their bytes.
fn event_set(log: &[u8]) -> std::collections::HashMap<Vec<u8>, usize> {
    let mut m = std::collections::HashMap::new();
    for e in events(log) {
        *m.entry(e.2).or_insert(0) += 1;
    }
    m
}

#[test]
fn keep_and_drop_partition_the_events() {
    let mut logs: Vec<PathBuf> = fixture_logs()
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("utf16"))
        .collect();
    if let Some(c) = corpus_logs() {
        logs.extend(
            c.into_iter()
                .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 1 << 20)),
        );
    }
    let sel = "USER_DEBUG,SYSTEM_METHOD_ENTRY,category:DB";
    let set = dbglog::view::reduce::TypeSet::parse(sel).unwrap();
    for path in logs {
        let name = path.display().to_string();
        let orig = std::fs::read(&path).unwrap();
        let k = run(&["view", "--keep", sel, &name]);
        let d = run(&["view", "--drop", sel, &name]);
        if !k.status.success() {
            // Not a log: both refuse alike.
            assert_eq!(k.status.code(), d.status.code(), "{name}");
            continue;
        }
        let pkgs = package_namespaces(&orig);
        let (ks, ds) = (event_set(&k.stdout), event_set(&d.stdout));
        for (t, _, raw, in_block) in events(&orig) {
            let in_k = ks.contains_key(&raw);
            let in_d = ds.contains_key(&raw);
            let always = matches!(
                t,
                EventType::ExecutionStarted
                    | EventType::ExecutionFinished
                    | EventType::CodeUnitStarted
                    | EventType::CodeUnitFinished
                    | EventType::FatalError
                    | EventType::ExceptionThrown
            ) || t.name().is_some_and(|n| n.ends_with("_ERROR"))
                || protected(t, &raw, in_block, &pkgs);
            let line = String::from_utf8_lossy(&raw[..raw.len().min(100)]).into_owned();
            if set.has(t) {
                assert!(
                    !in_d || protected(t, &raw, in_block, &pkgs),
                    "{name}: --drop kept {line}"
                );
                assert!(in_k, "{name}: --keep lost {line}");
            } else if always {
                assert!(in_d, "{name}: --drop lost {line}");
            } else {
                assert!(in_d, "{name}: --drop lost {line}");
                assert!(!in_k, "{name}: --keep kept {line}");
            }
        }
        // Nothing new but package markers.
        let all = event_set(&orig);
        for (t, _, raw, _) in events(&k.stdout).into_iter().chain(events(&d.stdout)) {
            assert!(
                t == EventType::EnteringManagedPkg || all.contains_key(&raw),
                "{name}: invented {}",
                String::from_utf8_lossy(&raw)
            );
        }
    }
}

#[test]
fn collapse_markers_keeps_the_first_of_each_run_also_in_full() {
    let log = fixture("reduce-markers.log");
    for view in ["full", "subscriber"] {
        let out = run(&[
            "view",
            "--as",
            view,
            "--collapse-markers",
            log.to_str().unwrap(),
        ]);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let markers: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("|ENTERING_MANAGED_PKG|"))
            .collect();
        assert_eq!(
            markers,
            vec![
                "10:00:00.0 (110)|ENTERING_MANAGED_PKG|dlrs",
                "10:00:00.0 (150)|ENTERING_MANAGED_PKG|acme",
                "10:00:00.0 (170)|ENTERING_MANAGED_PKG|dlrs",
            ],
            "{view}"
        );
        assert!(text.contains("|SOQL_EXECUTE_BEGIN|"), "{view}");
    }
    // Without the flag the full view is the log itself.
    let out = run(&["view", log.to_str().unwrap()]);
    assert_bytes_eq(&out.stdout, &std::fs::read(&log).unwrap(), "full view");
}

#[test]
fn within_keeps_the_matching_frame_whole_with_the_frames_around_it() {
    let log = fixture("e2cp-handled.log");
    let orig = std::fs::read(&log).unwrap();
    let out = run(&[
        "view",
        "--within",
        r"ThreadMatcher\.findParent",
        log.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let got = out.stdout;
    // The frame itself, byte for byte.
    let text = String::from_utf8_lossy(&orig);
    let start = text.find("|METHOD_ENTRY|[61]|").unwrap();
    let start = text[..start].rfind('\n').unwrap() + 1;
    let end_at = text.find("|METHOD_EXIT|[61]|").unwrap();
    let end = end_at + text[end_at..].find('\n').unwrap() + 1;
    let frame = &orig[start..end];
    assert!(
        got.windows(frame.len()).any(|w| w == frame),
        "the frame is whole"
    );
    // Balanced: every entry written has its exit, and nothing from outside the frames.
    let g = String::from_utf8_lossy(&got);
    for (open, close) in [
        ("|EXECUTION_STARTED", "|EXECUTION_FINISHED"),
        ("|CODE_UNIT_STARTED|", "|CODE_UNIT_FINISHED|"),
        ("|METHOD_ENTRY|", "|METHOD_EXIT|"),
        ("|DML_BEGIN|", "|DML_END|"),
    ] {
        assert_eq!(g.matches(open).count(), g.matches(close).count(), "{open}");
    }
    assert!(
        !g.contains("inserting case for"),
        "a debug line outside the frame"
    );
    assert!(!g.contains("applyDefaults"), "another method");
    // It reads back as a log, and the subscriber view of it shows no package debug line.
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("w.log");
    std::fs::write(&f, &got).unwrap();
    let sub = run(&["view", "--as", "subscriber", f.to_str().unwrap()]);
    assert!(sub.status.success());
    assert!(!String::from_utf8_lossy(&sub.stdout).contains("E2CP ThreadMatcher"));
    let sub = run_stdin(&["view", "--as", "subscriber"], &got);
    assert!(!String::from_utf8_lossy(&sub.stdout).contains("E2CP ThreadMatcher"));
}

#[test]
fn reducers_compose_with_views_and_redaction_and_never_leak() {
    let log = fixture("e2cp-handled.log");
    let l = log.to_str().unwrap();
    for args in [
        vec!["--level", "APEX_CODE=DEBUG"],
        vec!["--keep", "USER_DEBUG"],
        vec!["--drop", "METHOD_ENTRY,STATEMENT_EXECUTE"],
        vec!["--level", "APEX_CODE=INFO", "--collapse-markers"],
    ] {
        let mut full = vec!["view"];
        full.extend(&args);
        full.push(l);
        let out = run(&full);
        assert!(out.status.success(), "{args:?}");
        // Read again, from a pipe (no pre-pass) and from a file, as the subscriber.
        let sub = run_stdin(&["view", "--as", "subscriber"], &out.stdout);
        let s = String::from_utf8_lossy(&sub.stdout);
        assert!(!s.contains("E2CP routing"), "{args:?}: package debug shown");
        assert!(
            !s.contains("E2CP ThreadMatcher"),
            "{args:?}: package debug shown"
        );
        // With a view and redaction at once.
        let mut both = vec!["view", "--as", "subscriber", "--redact", "pii"];
        both.extend(&args);
        both.push(l);
        let out = run(&both);
        assert!(out.status.success(), "{args:?}");
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            !s.contains("@northwind-demo.example"),
            "{args:?}: not redacted"
        );
        assert!(!s.contains("E2CP routing"), "{args:?}");
    }
}

#[test]
fn capture_writes_reduced_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let two = std::fs::read(fixture("trap-two-logs.log")).unwrap();
    let out = run_stdin(
        &[
            "capture",
            "--dir",
            tmp.path().to_str().unwrap(),
            "--level",
            "APEX_CODE=DEBUG",
            "--keep",
            "USER_DEBUG",
        ],
        &two,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    assert_eq!(files.len(), 2);
    for f in files {
        let b = std::fs::read(&f).unwrap();
        let s = String::from_utf8_lossy(&b);
        assert!(
            s.lines().next().unwrap().contains(" APEX_CODE,DEBUG;"),
            "{s}"
        );
        for (t, l, _, _) in events(&b) {
            assert!(
                !matches!(t, EventType::StatementExecute | EventType::HeapAllocate),
                "{t:?}"
            );
            if let Some((Category::ApexCode, l)) = l {
                assert!(
                    l <= Level::Debug || t == EventType::EnteringManagedPkg,
                    "{t:?}"
                );
            }
        }
    }
}
