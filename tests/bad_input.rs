//! The bad-input matrix: every command gets every bad input and must answer with a clear
//! error naming the input and exit code 2, or a valid result. Never a panic (exit 101),
//! never a hang (each run has a deadline), never death by a signal.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A bad input: a path, or bytes for stdin (then the command reads `-`).
enum Input {
    Path(PathBuf),
    Stdin(Vec<u8>),
}

struct Case {
    name: &'static str,
    input: Input,
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (n, b) in entries {
        w.start_file(*n, opts).unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar_gz_traversal() -> Vec<u8> {
    let log = std::fs::read(common::fixture("e2cp-fatal.log")).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(log.len() as u64);
    h.set_mode(0o644);
    // A member that would escape the extraction folder: dbglog never extracts, it only names it.
    let name = b"../../etc/evil.log";
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    b.append(&h, &log[..]).unwrap();
    gz(&b.into_inner().unwrap())
}

/// All inputs, built once in a temporary folder that lives for the whole test run.
fn cases() -> &'static (tempfile::TempDir, Vec<Case>) {
    static CASES: OnceLock<(tempfile::TempDir, Vec<Case>)> = OnceLock::new();
    CASES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let header = b"61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO\n";
        let mut v = Vec::new();
        v.push(Case { name: "empty file", input: Input::Path(write(d, "empty.log", b"")) });
        v.push(Case { name: "zero bytes on stdin", input: Input::Stdin(Vec::new()) });
        v.push(Case { name: "/dev/null", input: Input::Path(PathBuf::from("/dev/null")) });
        std::fs::create_dir(d.join("a-directory")).unwrap();
        v.push(Case { name: "directory", input: Input::Path(d.join("a-directory")) });
        v.push(Case { name: "missing file", input: Input::Path(d.join("missing.log")) });
        let mut x: u64 = 0x2545F4914F6CDD1D;
        let random: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        v.push(Case { name: "random binary", input: Input::Path(write(d, "random.bin", &random)) });
        let mut bad_utf8 = header.to_vec();
        bad_utf8.extend_from_slice(b"12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|\xff\xfe\xc3(\x80 bad\n12:00:00.1 (200)|METHOD_ENTRY|[2]|01p|Caf\xe9.run()\n12:00:00.1 (300)|METHOD_EXIT|[2]|01p|Caf\xe9.run()\n");
        v.push(Case { name: "invalid UTF-8 inside events", input: Input::Path(write(d, "bad-utf8.log", &bad_utf8)) });
        let mut one_line = header.to_vec();
        one_line.extend_from_slice(b"12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|");
        one_line.resize(one_line.len() + 100 * 1024 * 1024, b'x');
        one_line.push(b'\n');
        v.push(Case { name: "100 MB single line", input: Input::Path(write(d, "one-line.log", &one_line)) });
        drop(one_line);
        let mut nested = header.to_vec();
        for i in 0..1_000_000u64 {
            nested.extend_from_slice(format!("12:00:00.1 ({})|METHOD_ENTRY|[{}]|01p|A.b()\n", 1000 + i, i % 97).as_bytes());
        }
        v.push(Case { name: "1 million nested METHOD_ENTRY", input: Input::Path(write(d, "nested.log", &nested)) });
        drop(nested);
        let mut exits = header.to_vec();
        for i in 0..2000u64 {
            exits.extend_from_slice(format!("12:00:00.1 ({})|METHOD_EXIT|[{}]|01p|A.b()\n12:00:00.1 ({})|CODE_UNIT_FINISHED|x\n", 1000 + i, i, 1000 + i).as_bytes());
        }
        v.push(Case { name: "only exits", input: Input::Path(write(d, "exits.log", &exits)) });
        v.push(Case { name: "header only", input: Input::Path(write(d, "header.log", header)) });
        let two = [std::fs::read(common::fixture("e2cp-fatal.log")).unwrap(), std::fs::read(common::fixture("limits-near.log")).unwrap()].concat();
        v.push(Case { name: "two headers", input: Input::Path(write(d, "two.log", &two)) });
        let mut u16 = vec![0xFF, 0xFE];
        for u in String::from_utf8_lossy(&std::fs::read(common::fixture("e2cp-handled.log")).unwrap()).encode_utf16().take(3001) {
            u16.extend_from_slice(&u.to_le_bytes());
        }
        u16.pop(); // cut in the middle of a code unit
        v.push(Case { name: "truncated UTF-16", input: Input::Path(write(d, "trunc16.log", &u16)) });
        let cr_only: Vec<u8> = std::fs::read(common::fixture("e2cp-handled.log")).unwrap().into_iter().map(|c| if c == b'\n' { b'\r' } else { c }).collect();
        v.push(Case { name: "CR-only line endings", input: Input::Path(write(d, "cr.log", &cr_only)) });
        let mut nul = header.to_vec();
        nul.extend_from_slice(b"12:00:00.1 (100)|USER_DEBUG|[1]|DEBUG|a\x00b\n12:00:00.1 (200)|EXECUTION_\x00FINISHED\n");
        v.push(Case { name: "NUL byte inside a line", input: Input::Path(write(d, "nul.log", &nul)) });
        let mut corrupt = gz(&std::fs::read(common::fixture("e2cp-fatal.log")).unwrap());
        let mid = corrupt.len() / 2;
        corrupt[mid..mid + 16].copy_from_slice(&[0xAB; 16]);
        v.push(Case { name: "corrupt gz", input: Input::Path(write(d, "corrupt.log.gz", &corrupt)) });
        let z = zip(&[("logs/a.log", &std::fs::read(common::fixture("e2cp-fatal.log")).unwrap())]);
        v.push(Case { name: "truncated zip", input: Input::Path(write(d, "truncated.zip", &z[..z.len() * 2 / 3])) });
        let zeros = vec![0u8; 200 * 1024 * 1024];
        v.push(Case { name: "zip bomb", input: Input::Path(write(d, "bomb.zip", &zip(&[("bomb.log", &zeros)]))) });
        drop(zeros);
        v.push(Case { name: "tar with a path-traversal member", input: Input::Path(write(d, "traversal.tar.gz", &tar_gz_traversal())) });
        let looped = d.join("loop");
        std::fs::create_dir(&looped).unwrap();
        std::os::unix::fs::symlink(&looped, looped.join("again")).unwrap();
        std::os::unix::fs::symlink(d.join("self-link"), d.join("self-link")).unwrap();
        v.push(Case { name: "symlink loop (folder)", input: Input::Path(looped) });
        v.push(Case { name: "symlink loop (file)", input: Input::Path(d.join("self-link")) });
        (dir, v)
    })
}

const DEADLINE: Duration = Duration::from_secs(120);

/// Run with a deadline; return (exit code, stderr).
fn run(args: &[String], stdin: Option<&[u8]>) -> (Option<i32>, String) {
    let mut child = Command::new(common::bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(b) = stdin {
        let mut s = child.stdin.take().unwrap();
        let _ = s.write_all(b);
    }
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return (st.code(), reader.join().unwrap());
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("{args:?}: no answer within {DEADLINE:?} (hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn check(cmd: &[&str], ok_codes: &[i32]) -> usize {
    let (_dir, cases) = cases();
    let mut rows = 0;
    for case in cases {
        let (arg, stdin, shown) = match &case.input {
            Input::Path(p) => (p.display().to_string(), None, p.display().to_string()),
            Input::Stdin(b) => ("-".to_string(), Some(&b[..]), "<stdin>".to_string()),
        };
        let mut args: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        args.push(arg);
        let (code, err) = run(&args, stdin);
        let what = format!(
            "{} on {}: exit {:?}, stderr: {}",
            cmd.join(" "),
            case.name,
            code,
            err.trim()
        );
        let code = code.unwrap_or_else(|| panic!("killed by a signal: {what}"));
        assert_ne!(code, 101, "panic: {what}");
        assert!(!err.contains("panicked"), "panic: {what}");
        if code == 2 {
            let first = err
                .lines()
                .next()
                .unwrap_or_else(|| panic!("exit 2 without a message: {what}"));
            assert!(
                err.contains(&shown),
                "the error must name the input: {what}"
            );
            assert!(
                first.starts_with("dbglog") || first.contains(&shown),
                "{what}"
            );
        } else {
            assert!(ok_codes.contains(&code), "unexpected exit code: {what}");
        }
        rows += 1;
    }
    eprintln!("{}: {rows} inputs", cmd.join(" "));
    rows
}

#[test]
fn events() {
    check(&["events", "--stats"], &[0]);
}

#[test]
fn view() {
    check(&["view", "--as", "subscriber", "--redact", "pii"], &[0]);
}

#[test]
fn diff() {
    check(&["diff"], &[0, 1]);
}

#[test]
fn analyze() {
    check(&["analyze", "--format", "json"], &[0]);
}

#[test]
fn scan() {
    check(
        &["scan", "--format", "ndjson", "--max-inflate-size", "64MiB"],
        &[0, 1],
    );
}

#[test]
fn flame() {
    check(&["flame", "--folded"], &[0]);
}

#[test]
fn unreadable_file() {
    // Root reads everything, so this case cannot be tested as root: say so instead.
    if std::env::var("USER").as_deref() == Ok("root") || unsafe_is_root() {
        eprintln!("SKIPPED: running as root, a file without read permission is still readable");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "secret.log", b"61.0 APEX_CODE,FINE\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    for cmd in ["events", "view", "diff", "analyze", "scan", "flame"] {
        let (code, err) = run(&[cmd.to_string(), p.display().to_string()], None);
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert!(
            err.contains("secret.log") && err.contains("permission denied"),
            "{cmd}: {err}"
        );
    }
}

fn unsafe_is_root() -> bool {
    // The owner of a file we just created tells whether we run as root, without libc.
    use std::os::unix::fs::MetadataExt;
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file()
        .metadata()
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

#[test]
fn rules_file_with_a_bad_regex() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "bad-rules.toml",
        b"[[rule]]\nid = \"BROKEN\"\ntitle = \"broken\"\nseverity = \"error\"\nliterals = [\"boom\"]\nregex = \"(unclosed\"\nevents = [\"EXCEPTION_THROWN\"]\nremedy = \"none\"\nsample = \"12:00:00.1 (1)|EXCEPTION_THROWN|[1]|boom\"\n",
    );
    let log = common::fixture("e2cp-fatal.log");
    for cmd in ["scan", "analyze"] {
        let (code, err) = run(
            &[
                cmd.into(),
                "--rules".into(),
                rules.display().to_string(),
                log.display().to_string(),
            ],
            None,
        );
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{cmd}: one line: {err}");
        assert!(
            err.contains("bad-rules.toml") && err.contains("BROKEN"),
            "{cmd}: {err}"
        );
    }
}

/// Output safety: log text that carries terminal control sequences (set the title, clear
/// the screen) comes out escaped in every human-readable report, coloured or not.
#[test]
fn control_sequences_from_a_log_never_reach_text_reports() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "\x1b]0;pwned\x07\x1b[2J";
    let log = write(
        dir.path(),
        "evil.log",
        format!(
            "61.0 APEX_CODE,FINEST\n\
             12:00:00.1 (100)|EXECUTION_STARTED\n\
             12:00:00.1 (200)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex\n\
             12:00:00.1 (300)|USER_DEBUG|[1]|DEBUG|{evil}\n\
             12:00:00.1 (400)|EXCEPTION_THROWN|[2]|System.NullPointerException: Attempt to de-reference a null object {evil}\n\
             12:00:00.1 (500)|FATAL_ERROR|System.NullPointerException: Attempt to de-reference a null object {evil}\n\n\
             AnonymousBlock: line 2, column 1\n\
             12:00:00.1 (600)|CODE_UNIT_FINISHED|execute_anonymous_apex\n\
             12:00:00.1 (700)|EXECUTION_FINISHED\n"
        )
        .as_bytes(),
    );
    let path = log.display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["analyze", &path],
        vec!["analyze", "--color", "always", &path],
        vec!["analyze", "--tree", &path],
        vec!["scan", &path],
        vec!["scan", "--color", "always", &path],
        vec!["diff", &path],
        vec!["events", "--stats", &path],
    ];
    for args in cases {
        let out = common::run(&args);
        assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains("]0;pwned\x07") && !text.contains("\x1b[2J"),
                "{args:?} let a control sequence through: {text}"
            );
        }
    }
}

#[test]
fn output_onto_the_input_is_refused_and_the_input_kept() {
    let d = tempfile::tempdir().unwrap();
    let orig = std::fs::read(common::fixture("pii.log")).unwrap();
    let a = write(d.path(), "a.log", &orig);
    let hard = d.path().join("hard.log");
    std::fs::hard_link(&a, &hard).unwrap();
    let mut outs = vec![a.clone(), hard];
    #[cfg(unix)]
    {
        let sym = d.path().join("sym.log");
        std::os::unix::fs::symlink(&a, &sym).unwrap();
        outs.push(sym);
    }
    for out in &outs {
        for view in ["full", "subscriber"] {
            let o = common::run(&[
                "view",
                "--as",
                view,
                "--redact",
                "pii",
                a.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ]);
            assert_eq!(o.status.code(), Some(2), "{}", out.display());
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("--in-place"), "{err}");
            assert!(err.contains(out.to_str().unwrap()), "{err}");
            common::assert_bytes_eq(&std::fs::read(&a).unwrap(), &orig, "input after refusal");
        }
        let o = common::run(&["flame", a.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        common::assert_bytes_eq(&std::fs::read(&a).unwrap(), &orig, "input after flame");
    }
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

#[test]
fn in_place_rewrites_the_input_with_the_view() {
    let d = tempfile::tempdir().unwrap();
    let orig = std::fs::read(common::fixture("pii.log")).unwrap();
    let a = write(d.path(), "a.log", &orig);
    let want = common::run(&["view", "--redact", "pii", a.to_str().unwrap()]);
    assert_eq!(want.status.code(), Some(0));
    assert_ne!(want.stdout, orig, "the fixture has something to redact");
    let o = common::run(&["view", "--redact", "pii", "--in-place", a.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    common::assert_bytes_eq(&std::fs::read(&a).unwrap(), &want.stdout, "in-place result");
    let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "only the log itself is left");
    // stdin cannot be rewritten.
    let o = common::run_stdin(&["view", "--in-place", "-"], &orig);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn output_into_a_folder_that_cannot_take_it_fails_cleanly() {
    // Root writes into read-only folders, so the folder here does not exist at all.
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("missing-dir").join("out.log");
    let o = common::run(&[
        "view",
        common::fixture("pii.log").to_str().unwrap(),
        "-o",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(missing.to_str().unwrap()), "{err}");
    assert!(!missing.exists());
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_as_stdout_is_an_error() {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let log = common::fixture("pii.log");
    let log = log.to_str().unwrap();
    for args in [["view", log], ["analyze", log]] {
        let o = Command::new(common::bin())
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}: no message");
    }
}

/// `-o` into a folder that cannot be written: a clear message naming the output, exit 2,
/// nothing created, the input untouched. Not as root, a fresh folder made read-only; as
/// root (which writes into read-only folders, so chmod proves nothing) `/sys`, a folder
/// in which even root cannot create a file. Either way the case runs.
#[test]
fn output_into_a_read_only_folder_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let log = common::fixture("pii.log");
    let before = std::fs::read(&log).unwrap();
    let ro = if unsafe_is_root() {
        PathBuf::from("/sys")
    } else {
        use std::os::unix::fs::PermissionsExt;
        let ro = d.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        ro
    };
    let out = ro.join("out.log");
    assert!(!out.exists());
    for cmd in [&["view"][..], &["view", "--redact", "pii"], &["flame"]] {
        let mut args: Vec<&str> = cmd.to_vec();
        args.extend([log.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        let o = common::run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("dbglog: ") && err.contains(out.to_str().unwrap()),
            "{args:?}: {err}"
        );
        assert!(err.contains("cannot create"), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?}");
    }
    assert_eq!(std::fs::read(&log).unwrap(), before);
}

/// SIGTERM while `scan` works through a big folder: the scan stops between files, the
/// report of what was scanned is printed whole (valid NDJSON ending with its summary; the
/// files not begun count as skipped), a message says so, exit 128 + 15. The run is held
/// at a known point without any timing: a FIFO named between two folders blocks the
/// single worker until the test, which opens the FIFO's writing end once scan has opened
/// it, sends the signal and closes it.
#[cfg(unix)]
#[test]
fn sigterm_during_scan_stops_between_files_with_a_whole_report() {
    use std::os::unix::fs::OpenOptionsExt;
    let d = tempfile::tempdir().unwrap();
    let log = std::fs::read(common::fixture("e2cp-fatal.log")).unwrap();
    let (first, rest) = (d.path().join("first"), d.path().join("rest"));
    std::fs::create_dir(&first).unwrap();
    std::fs::create_dir(&rest).unwrap();
    for i in 0..20 {
        write(&first, &format!("a{i:03}.log"), &log);
    }
    for i in 0..300 {
        write(&rest, &format!("b{i:03}.log"), &log);
    }
    let fifo = d.path().join("hold.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let child = Command::new(common::bin())
        .args(["scan", "-j", "1", "--format", "ndjson"])
        .args([&first, &fifo, &rest])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the writing end without blocking succeeds once scan has the FIFO open.
    let mut writer = None;
    assert!(
        common::wait_until(|| {
            writer = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo)
                .ok();
            writer.is_some()
        }),
        "scan never opened the FIFO"
    );
    common::signal(&child, libc::SIGTERM);
    drop(writer);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(128 + libc::SIGTERM), "{err}");
    assert!(err.contains("stopped by SIGTERM"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with('\n'), "output cut: {text}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}")))
        .collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary", "{summary}");
    // Every input is accounted for; the first folder (before the FIFO) was scanned, and
    // inputs not begun when the signal came are listed as such (how far the worker got
    // past the FIFO before it blocked is up to rayon's order).
    assert_eq!(summary["files"]["given"], 20 + 1 + 300, "{summary}");
    let not_begun: Vec<&str> = summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reason"] == "not scanned: stopped by SIGTERM")
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert!(!not_begun.is_empty(), "{summary}");
    assert!(
        not_begun.iter().all(|f| f.contains("rest")),
        "{not_begun:?}"
    );
    assert!(
        err.contains(&format!("{} of 321 inputs not scanned", not_begun.len())),
        "{err}"
    );
    let affected = summary["files_affected"].as_array().unwrap();
    for i in 0..20 {
        let a = format!("a{i:03}.log");
        assert!(
            affected
                .iter()
                .any(|f| f["file"].as_str().unwrap().ends_with(&a)),
            "{a} not scanned"
        );
    }
}

/// SIGTERM during `capture`: the log in progress is filed, marked partial, with no
/// temporary file left and exit 128 + 15 (tests/capture.rs checks every log of a longer
/// stream).
#[cfg(unix)]
#[test]
fn sigterm_during_capture_files_the_log_in_progress() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("cap");
    let log = std::fs::read(common::fixture("e2cp-fatal.log")).unwrap();
    let cut = &log[..log.len() / 3];
    let mut child =
        common::spawn_piped(&["capture", "--dir", dir.to_str().unwrap(), "--idle", "1"]);
    let mut sin = child.stdin.take().unwrap();
    sin.write_all(cut).unwrap();
    sin.flush().unwrap();
    // Filed at the pause: capture has read it all.
    assert!(common::wait_until(|| common::capture_index(&dir).len() == 1));
    common::signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    drop(sin);
    assert_eq!(
        out.status.code(),
        Some(128 + libc::SIGTERM),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let idx = common::capture_index(&dir);
    assert_eq!(idx.len(), 1);
    assert_eq!(idx[0]["partial"], true);
    assert_eq!(idx[0]["bytes"].as_u64(), Some(cut.len() as u64));
    let files = common::capture_files(&dir);
    assert_eq!(files, vec![idx[0]["file"].as_str().unwrap().to_string()]);
    assert_eq!(std::fs::read(dir.join(&files[0])).unwrap(), cut);
}

/// A stream that stalls in the middle of a log: capture files what came so far (complete
/// lines) after `--idle`, while the stream is still open, marked partial; when the stream
/// ends there, the file holds every byte.
#[test]
fn a_stream_that_stalls_mid_log_is_filed_after_idle() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("cap");
    let log = std::fs::read(common::fixture("e2cp-handled.log")).unwrap();
    let mid = log.len() / 2;
    let line_end = mid + log[mid..].iter().position(|&c| c == b'\n').unwrap() + 1;
    // Stall after half a line.
    let stall = line_end + 10;
    let mut child =
        common::spawn_piped(&["capture", "--dir", dir.to_str().unwrap(), "--idle", "1"]);
    let mut sin = child.stdin.take().unwrap();
    sin.write_all(&log[..stall]).unwrap();
    sin.flush().unwrap();
    assert!(
        common::wait_until(|| common::capture_index(&dir).len() == 1),
        "nothing filed while the stream stalled"
    );
    let idx = common::capture_index(&dir);
    assert_eq!(idx[0]["partial"], true);
    let name = idx[0]["file"].as_str().unwrap().to_string();
    // The complete lines; the half line waits for its end.
    assert_eq!(std::fs::read(dir.join(&name)).unwrap(), &log[..line_end]);
    drop(sin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let idx = common::capture_index(&dir);
    assert_eq!(idx.len(), 1);
    assert_eq!(idx[0]["partial"], true);
    assert_eq!(std::fs::read(dir.join(&name)).unwrap(), &log[..stall]);
    assert_eq!(common::capture_files(&dir), vec![name]);
}

/// A file truncated while dbglog reads it through its memory map: an error naming the file
/// and exit 2, not death by SIGBUS. The run is held at a known point without any timing:
/// `events` writes far more than a pipe holds, so it blocks on its full stdout with the map
/// in use; the test truncates the file, then drains the output.
#[cfg(unix)]
#[test]
fn a_file_truncated_while_mapped_is_an_error_not_sigbus() {
    use std::io::Read;
    let d = tempfile::tempdir().unwrap();
    let mut big = b"61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO\n".to_vec();
    let mut i = 0u64;
    while big.len() < 48 << 20 {
        big.extend_from_slice(
            format!(
                "12:00:00.1 ({})|USER_DEBUG|[1]|DEBUG|line {i} of a log that is about to shrink\n",
                1000 + i
            )
            .as_bytes(),
        );
        i += 1;
    }
    let p = write(d.path(), "shrinking.log", &big);
    drop(big);
    let mut child = Command::new(common::bin())
        .args(["events", p.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 4096];
    stdout.read_exact(&mut first).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(4096)
        .unwrap();
    let drain = std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = stdout.read_to_end(&mut sink);
    });
    let mut stderr = child.stderr.take().unwrap();
    let mut err = String::new();
    let _ = stderr.read_to_string(&mut err);
    let status = child.wait().unwrap();
    drain.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), None, "killed by a signal: {err}");
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("shrinking.log") && err.contains("shrank while it was being read"),
        "{err}"
    );
}
