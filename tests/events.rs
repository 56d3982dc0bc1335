//! `dbglog events`: NDJSON per event, --stats, stdin, and bad input.

mod common;

use serde_json::Value;

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

#[test]
fn ndjson_has_every_documented_field() {
    let f = common::fixture("e2cp-handled.log");
    let out = common::run(&["events", f.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = lines(&out.stdout);
    assert!(evs.len() > 100);
    for k in [
        "offset",
        "line",
        "wall",
        "nanos",
        "type",
        "category",
        "fields",
        "frame_ns",
        "caller_ns",
        "depth",
    ] {
        assert!(evs[0].get(k).is_some(), "missing {k}");
    }
    let exc = evs.iter().find(|e| e["line"] == 119).expect("line 119");
    assert_eq!(exc["type"], "EXCEPTION_THROWN");
    assert_eq!(exc["category"], "APEX_CODE");
    assert_eq!(exc["frame_ns"], "E2CP");
    assert_eq!(exc["caller_ns"], "(default)");
    assert_eq!(exc["fields"][0], "[88]");
    assert!(
        exc["fields"][1]
            .as_str()
            .unwrap()
            .starts_with("System.QueryException: Non-selective query")
    );
    assert!(
        exc["fields"][1]
            .as_str()
            .unwrap()
            .contains("\n2. Data skew exists"),
        "continuation lines belong to the event"
    );
    // Offsets point at the event's bytes.
    let raw = std::fs::read(&f).unwrap();
    let off = exc["offset"].as_u64().unwrap() as usize;
    assert!(raw[off..].starts_with(b"10:15:42.8 (50885393)|EXCEPTION_THROWN|"));
    assert_eq!(exc["wall"], "10:15:42.8");
    assert_eq!(exc["nanos"], 50885393);
}

#[test]
fn stdin_gives_the_same_events_as_the_file() {
    let f = common::fixture("e2cp-fatal.log");
    let a = common::run(&["events", f.to_str().unwrap()]);
    let b = common::run_stdin(&["events", "-"], &std::fs::read(&f).unwrap());
    assert!(b.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn stats_counts_types_unknowns_logs_and_truncation() {
    let out = common::run(&[
        "events",
        "--stats",
        "--format",
        "json",
        common::fixture("trap-skipped.log").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["truncated"], true);
    let t = v["truncations"].as_array().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["kind"], "skipped");
    assert_eq!(t[0]["bytes_removed"], 22606355);

    let out = common::run(&[
        "events",
        "--stats",
        "--format",
        "json",
        common::fixture("trap-unknown-type.log").to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unknown_types"]["FUTURE_NEW_EVENT_TYPE"], 1);
    assert_eq!(v["unknown_types"]["SOME_OTHER_EVENT"], 1);

    let out = common::run(&[
        "events",
        "--stats",
        "--format",
        "json",
        common::fixture("trap-two-logs.log").to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["logs"], 2);

    let out = common::run(&[
        "events",
        "--stats",
        common::fixture("e2cp-handled.log").to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("namespaces:  E2CP"), "{text}");
    assert!(text.contains("truncated:   no"));
}

#[test]
fn utf16_files_give_the_same_events_as_their_utf8_text() {
    for name in ["trap-utf16le.log", "trap-utf16be.log"] {
        let f = common::fixture(name);
        let out = common::run(&["events", f.to_str().unwrap()]);
        assert!(out.status.success(), "{name}");
        let evs = lines(&out.stdout);
        assert!(evs.len() > 5, "{name}");
        let piped = common::run_stdin(&["events", "-"], &std::fs::read(&f).unwrap());
        assert_eq!(out.stdout, piped.stdout, "{name}: stdin and file agree");
    }
}

#[test]
fn bad_inputs_get_one_line_errors_naming_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    let binary = dir.path().join("binary.log");
    std::fs::write(
        &binary,
        (0..20000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let u16t = dir.path().join("trunc16.log");
    std::fs::write(
        &u16t,
        b"\xff\xfe6\x001\x00.\x000\x00 \x00A\x00P\x00,\x00X\x00\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.log");
    for (p, want) in [
        (empty.clone(), "empty input"),
        (binary.clone(), "holds no Apex debug log"),
        (u16t.clone(), "holds no Apex debug log"),
        (missing.clone(), "no such file"),
        (dir.path().to_path_buf(), "is a directory"),
    ] {
        let out = common::run(&["events", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", p.display());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(p.to_str().unwrap()) && err.contains(want),
            "{err}"
        );
    }
    let out = common::run_stdin(&["events", "-"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("<stdin>"));
}

#[test]
fn a_huge_single_line_is_one_event() {
    let mut log = b"61.0 APEX_CODE,FINE\n12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|".to_vec();
    log.resize(log.len() + 20 * 1024 * 1024, b'x');
    log.extend_from_slice(b"\n12:00:00.1 (200)|EXECUTION_FINISHED\n");
    let out = common::run_stdin(&["events", "--stats", "--format", "json", "-"], &log);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["events"], 2);
    assert_eq!(v["types"]["USER_DEBUG"], 1);
}

#[test]
fn view_full_is_byte_exact_on_every_fixture() {
    for f in common::fixture_logs() {
        let out = common::run(&["view", "--as", "full", f.to_str().unwrap()]);
        assert!(out.status.success(), "{}", f.display());
        assert!(
            out.stdout == std::fs::read(&f).unwrap(),
            "{}: view --as full differs from the input",
            f.display()
        );
    }
}

#[test]
fn a_log_cannot_drive_the_terminal() {
    // Needs a pseudo-terminal: util-linux `script` gives one. Skip with a reason without it.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no `script` command to provide a terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("esc.log");
    std::fs::write(&log, b"61.0 APEX_CODE,FINE\n12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|\x1b]0;pwned\x07\x1b[2J title\n").unwrap();
    let cmd = format!(
        "{} view --as full {}",
        common::bin().display(),
        log.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    assert!(
        !out.stdout.contains(&0x1b),
        "ESC reached the terminal: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\x1b]0;pwned\\x07"));
    // Piped, the bytes stay exact.
    let piped = common::run(&["view", "--as", "full", log.to_str().unwrap()]);
    assert_eq!(piped.stdout, std::fs::read(&log).unwrap());
}
