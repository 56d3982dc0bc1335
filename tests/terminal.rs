//! The one terminal filter (`dbglog::output::terminal`): log text that carries C0 or C1
//! control characters, DEL, lone escapes or bytes that are not UTF-8 reaches a terminal
//! only as visible escapes, in every command; files and pipes get the exact bytes.

mod common;

use std::path::{Path, PathBuf};

/// A title-setting OSC, a screen clear, a C1 CSI (U+009B) clear, a raw 9B byte, DEL, a
/// lone carriage return and a lone ESC.
const EVIL: &[u8] = b"\x1b]0;pwned\x07\x1b[2J \xc2\x9b2J \x9b2J \x7f cr\rover \x1b";

fn evil_log(dir: &Path) -> PathBuf {
    let mut log = Vec::new();
    log.extend_from_slice(b"61.0 APEX_CODE,FINEST\n");
    log.extend_from_slice(b"12:00:00.1 (100)|EXECUTION_STARTED\n");
    log.extend_from_slice(
        b"12:00:00.1 (200)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex\n",
    );
    log.extend_from_slice(b"12:00:00.1 (250)|METHOD_ENTRY|[1]|01p000000000001|Evil.run()\n");
    for (n, t) in [
        (300, "USER_DEBUG|[1]|DEBUG|"),
        (
            400,
            "EXCEPTION_THROWN|[2]|System.NullPointerException: bad ",
        ),
    ] {
        log.extend_from_slice(format!("12:00:00.1 ({n})|{t}").as_bytes());
        log.extend_from_slice(EVIL);
        log.push(b'\n');
    }
    log.extend_from_slice(b"12:00:00.1 (500)|FATAL_ERROR|System.NullPointerException: bad ");
    log.extend_from_slice(EVIL);
    log.extend_from_slice(b"\n\nAnonymousBlock: line 2, column 1\n");
    log.extend_from_slice(b"12:00:00.1 (550)|METHOD_EXIT|[1]|01p000000000001|Evil.run()\n");
    log.extend_from_slice(b"12:00:00.1 (600)|CODE_UNIT_FINISHED|execute_anonymous_apex\n");
    log.extend_from_slice(b"12:00:00.1 (700)|EXECUTION_FINISHED\n");
    let p = dir.join("evil.log");
    std::fs::write(&p, log).unwrap();
    p
}

/// No ESC, no C1 control (in UTF-8 or as a raw byte), no lone CR in `out`.
fn assert_inert(out: &[u8], what: &str) {
    let bad = out
        .windows(2)
        .position(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]));
    assert!(
        bad.is_none(),
        "{what}: a C1 control got through: {:?}",
        String::from_utf8_lossy(out)
    );
    assert!(
        !out.contains(&0x1b),
        "{what}: ESC got through: {:?}",
        String::from_utf8_lossy(out)
    );
    assert!(!out.contains(&0x9b), "{what}: a raw 9B byte got through");
    assert!(!out.contains(&0x7f), "{what}: DEL got through");
    let lone_cr = out.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n');
    assert!(!lone_cr, "{what}: a lone CR got through");
}

#[test]
fn text_reports_escape_c0_and_c1_controls() {
    let dir = tempfile::tempdir().unwrap();
    let path = evil_log(dir.path()).display().to_string();
    for args in [
        vec!["analyze", &path],
        vec!["analyze", "--tree", &path],
        vec!["scan", &path],
        vec!["diff", &path],
        vec!["events", "--stats", &path],
        vec!["events", &path],
    ] {
        let out = common::run(&args);
        assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
        assert_inert(&out.stdout, &format!("{args:?}"));
        assert_inert(&out.stderr, &format!("{args:?} (stderr)"));
    }
    // The reports show what was there.
    let a = common::run(&["analyze", &path]);
    let text = String::from_utf8_lossy(&a.stdout);
    assert!(text.contains("\\u{9b}2J"), "{text}");
    let e = common::run(&["events", &path]);
    assert!(String::from_utf8_lossy(&e.stdout).contains("\\u009b2J"));
}

#[test]
fn log_text_to_a_pipe_is_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = evil_log(dir.path());
    let out = common::run(&["view", "--as", "full", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    common::assert_bytes_eq(
        &out.stdout,
        &std::fs::read(&path).unwrap(),
        "view --as full to a pipe",
    );
}

/// Run `cmd` (a shell command line) on a pseudo-terminal with util-linux `script`.
fn on_a_terminal(cmd: &str) -> Option<Vec<u8>> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no `script` command to provide a terminal");
        return None;
    }
    let out = std::process::Command::new("script")
        .args(["-qec", cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Some(out.stdout)
}

#[test]
fn log_text_on_a_terminal_is_escaped_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = evil_log(dir.path());
    let bin = common::bin();
    for args in [
        "view --as full",
        "view --as subscriber --redact pii",
        "diff --format unified",
        "flame --folded",
        "analyze",
    ] {
        let cmd = format!("{} {args} {}", bin.display(), path.display());
        let Some(out) = on_a_terminal(&cmd) else {
            return;
        };
        // The terminal itself writes CR LF for every newline.
        let out: Vec<u8> = out
            .windows(2)
            .filter(|w| !(w[0] == b'\r' && w[1] == b'\n'))
            .map(|w| w[0])
            .chain(out.last().copied())
            .collect();
        assert_inert(&out, args);
        if args.starts_with("view") {
            let text = String::from_utf8_lossy(&out);
            assert!(
                text.contains(
                    "\\x1b]0;pwned\\x07\\x1b[2J \\u{9b}2J \\x9b2J \\x7f cr\\x0dover \\x1b"
                ),
                "{args}: {text}"
            );
        }
    }
}
