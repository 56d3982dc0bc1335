//! Shared test helpers: fixture paths, the binary, and the corpus rule.
#![allow(dead_code)]

pub mod leak;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The project's own fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// One fixture by file name.
pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// Every `*.log` fixture, sorted.
pub fn fixture_logs() -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(fixtures())
        .expect("fixtures/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    v.sort();
    v
}

/// The shared corpus of real logs: `../shared/corpus` beside the checkout, or `DBGLOG_CORPUS`.
///
/// The rule: a test that needs the corpus fails when `CI` is set (`.ci/run` sets it) and
/// the corpus is missing; on a developer's machine it says `SKIPPED` and why, written
/// straight to the process's stderr so that `cargo test` shows it (the test harness only
/// captures `eprintln!`).
pub fn corpus_logs() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir()?;
    let mut v = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read corpus dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                !n.starts_with("MANIFEST") && !n.starts_with("README")
            }) {
                v.push(p);
            }
        }
    }
    v.sort();
    Some(v)
}

/// The corpus folder itself, under the rule of [`corpus_logs`] (fails under `CI` when missing).
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("DBGLOG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if !dir.is_dir() {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        if ci {
            panic!(
                "corpus missing at {} while CI is set: corpus tests must run in CI",
                dir.display()
            );
        }
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: corpus not found at {} (set DBGLOG_CORPUS to run the corpus tests)",
            dir.display()
        );
        return None;
    }
    Some(dir)
}

/// Path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dbglog"))
}

/// Run the binary with `args`, no stdin, NO_COLOR set.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run dbglog")
}

/// `dbglog analyze ARGS… --format FORMAT`, which must exit 0 (its stderr is shown when
/// not); its stdout.
pub fn analyze(args: &[&str], format: &str) -> Vec<u8> {
    let mut a = vec!["analyze"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", format]);
    let out = run(&a);
    assert_eq!(
        out.status.code(),
        Some(0),
        "analyze {args:?} --format {format} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Run the binary with `stdin` piped in.
pub fn run_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = spawn_piped(args);
    let mut sin = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let t = std::thread::spawn(move || {
        let _ = sin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait dbglog");
    t.join().unwrap();
    out
}

/// Assert two byte buffers are equal; on failure show only the first differing offset and
/// a short window of each side around it, not the whole buffers.
#[track_caller]
#[allow(dead_code)]
pub fn assert_bytes_eq(got: &[u8], want: &[u8], what: &str) {
    if got == want {
        return;
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let win = |b: &[u8]| {
        let s = at.saturating_sub(40);
        let e = (at + 40).min(b.len());
        format!("{:?}", String::from_utf8_lossy(&b[s.min(e)..e]))
    };
    panic!(
        "{what}: bytes differ at offset {at} (got {} bytes, want {})\n  got:  {}\n  want: {}",
        got.len(),
        want.len(),
        win(got),
        win(want)
    );
}

/// Poll `cond` every 50 ms until it holds or 20 s have passed; whether it held. For
/// conditions that a live process makes true: no assertion about speed, only a deadline.
pub fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Start the binary with `args`, stdin a pipe the caller writes to, stdout and stderr piped.
pub fn spawn_piped(args: &[&str]) -> std::process::Child {
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dbglog")
}

/// Send `sig` to a child process.
#[cfg(unix)]
pub fn signal(child: &std::process::Child, sig: i32) {
    // SAFETY: kill(2) on the pid of a child we started and have not reaped.
    let r = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(r, 0, "kill {sig}");
}

/// The files of a capture folder other than the index, by name (hidden ones included).
pub fn capture_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n != "index.ndjson")
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The lines of a capture folder's index (none if it does not exist yet).
pub fn capture_index(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("index.ndjson"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad index line {l}: {e}")))
        .collect()
}
