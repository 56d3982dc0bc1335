//! `dbglog debug`: entries, filters, views, and a live stream written slowly into a pipe.

mod common;

use common::{bin, fixture, run, run_stdin};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// Generous: the machine is shared; nothing here measures time.
const DEADLINE: Duration = Duration::from_secs(120);

fn text(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn entries_carry_line_time_namespace_method_level_and_message() {
    let log = fixture("e2cp-handled.log");
    let o = run(&["debug", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let t = text(&o);
    assert_eq!(t.lines().count(), 5, "{t}");
    assert!(t.contains("88 10:15:42.8 [E2CP] CaseCreationHandler.handleBeforeInsert:57 DEBUG E2CP routing 1 new case(s)\n"), "{t}");
    assert!(t.contains("49 10:15:42.2 [(default)] execute_anonymous_apex:11 DEBUG inserting case for 0035g00000JrDnLAAV\n"));
    // Filters.
    let w = run(&["debug", "--level-min", "WARN", log.to_str().unwrap()]);
    assert_eq!(text(&w).lines().count(), 1);
    assert!(text(&w).contains(" ERROR E2CP ThreadMatcher"));
    let n = run(&["debug", "--ns", "E2CP", log.to_str().unwrap()]);
    assert_eq!(text(&n).lines().count(), 2);
    let g = run(&[
        "debug",
        "--grep",
        "inserted|inserting",
        log.to_str().unwrap(),
    ]);
    assert_eq!(text(&g).lines().count(), 2);
    // Views and redaction.
    let s = run(&["debug", "--as", "subscriber", log.to_str().unwrap()]);
    assert_eq!(text(&s).lines().count(), 3);
    assert!(!text(&s).contains("E2CP"));
    let p = run(&["debug", "--redact", "pii,ids", log.to_str().unwrap()]);
    assert!(!text(&p).contains("0035g00000JrDnLAAV"), "{}", text(&p));
    // Multi-line messages stay whole.
    let m = run(&["debug", fixture("trap-multiline.log").to_str().unwrap()]);
    assert!(
        text(&m).contains("DEBUG payload:\n{\n  \"invoice\" : \"INV-0042\","),
        "{}",
        text(&m)
    );
    // From a pipe, the same entries.
    let piped = run_stdin(
        &["debug", "--as", "subscriber"],
        &std::fs::read(&log).unwrap(),
    );
    assert_eq!(text(&piped), text(&s));
}

/// A log with `n` debug lines tagged `tag`, each followed by a statement (which completes
/// the debug record), as lines.
fn log_lines(tag: &str, n: usize, base: u64) -> Vec<String> {
    let mut v = vec![
        "61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO;CALLOUT,INFO;DB,INFO;SYSTEM,DEBUG;VALIDATION,INFO;VISUALFORCE,INFO;WAVE,INFO;WORKFLOW,INFO".to_string(),
        format!("12:00:00.0 ({})|EXECUTION_STARTED", base),
        format!("12:00:00.0 ({})|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex", base + 1),
    ];
    for i in 0..n {
        v.push(format!(
            "12:00:00.0 ({})|USER_DEBUG|[{}]|DEBUG|{tag} entry {i}",
            base + 10 + 2 * i as u64,
            i + 1
        ));
        v.push(format!(
            "12:00:00.0 ({})|STATEMENT_EXECUTE|[{}]",
            base + 11 + 2 * i as u64,
            i + 2
        ));
    }
    v.push(format!(
        "12:00:00.0 ({})|CODE_UNIT_FINISHED|execute_anonymous_apex",
        base + 100
    ));
    v.push(format!("12:00:00.0 ({})|EXECUTION_FINISHED", base + 101));
    v
}

/// Run `dbglog debug ARGS -` with a writer that, for each step, writes some lines and then
/// waits until the reader has seen the expected output line (or the deadline passed).
/// Returns, per step, whether its expected line was seen before the writer went on, and
/// whether everything was seen before the stream ended.
fn slow_pipe(args: &[&str], steps: Vec<(Vec<String>, Option<String>)>) -> Vec<bool> {
    let mut child = Command::new(bin())
        .args(args)
        .arg("-")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dbglog");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let closed = Arc::new(AtomicBool::new(false));
    let mut seen_in_time = Vec::new();
    let mut got: Vec<String> = Vec::new();
    for (lines, expect) in steps {
        for l in lines {
            stdin.write_all(l.as_bytes()).unwrap();
            stdin.write_all(b"\n").unwrap();
            stdin.flush().unwrap();
        }
        let Some(want) = expect else { continue };
        let mut ok = got.iter().any(|g| g.ends_with(&want));
        let until = std::time::Instant::now() + DEADLINE;
        while !ok {
            let left = until.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    ok = line.ends_with(&want);
                    got.push(line);
                }
                Err(_) => break,
            }
        }
        // Still open: this entry arrived while its log was being written.
        seen_in_time.push(ok && !closed.load(Ordering::SeqCst));
    }
    closed.store(true, Ordering::SeqCst);
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(status.success());
    seen_in_time
}

#[test]
fn a_live_stream_prints_each_log_when_it_is_complete() {
    let first = log_lines("first", 3, 1000);
    let second = log_lines("second", 3, 5000);
    // Step 1: the whole first log, and the second log's header and first lines (the stream
    // goes on): the first log's last entry must show before the stream ends.
    let mut step1 = first.clone();
    step1.extend(second[..4].iter().cloned());
    let steps = vec![
        (step1, Some("DEBUG first entry 2".to_string())),
        (second[4..].to_vec(), None),
    ];
    let seen = slow_pipe(&["debug"], steps);
    assert_eq!(
        seen,
        vec![true],
        "the first log's entries came before the stream ended"
    );
}

#[test]
fn follow_prints_each_entry_before_its_log_ends() {
    let first = log_lines("first", 2, 1000);
    let second = log_lines("second", 3, 5000);
    let mut steps = vec![(first, Some("DEBUG first entry 1".to_string()))];
    // The second log line by line: after each debug line and the statement that completes
    // it, wait for its entry.
    steps.push((second[..3].to_vec(), None));
    for i in 0..3 {
        let lines = second[3 + 2 * i..5 + 2 * i].to_vec();
        steps.push((lines, Some(format!("DEBUG second entry {i}"))));
    }
    steps.push((second[9..].to_vec(), None));
    let seen = slow_pipe(&["debug", "--follow"], steps.clone());
    assert_eq!(seen, vec![true; 4]);
    // Under a hiding view too (nothing here could be a package's).
    let seen = slow_pipe(&["debug", "--follow", "--as", "subscriber"], steps);
    assert_eq!(seen, vec![true; 4]);
}

#[test]
fn follow_under_a_subscriber_view_never_prints_what_turns_out_to_be_package_code() {
    // `acme.Svc.run` reads as your own code until the limit block names acme.
    let log = "61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO\n\
12:00:00.0 (1)|EXECUTION_STARTED\n\
12:00:00.0 (2)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex\n\
12:00:00.0 (3)|USER_DEBUG|[1]|DEBUG|mine before\n\
12:00:00.0 (4)|METHOD_ENTRY|[2]|01p000000000001|acme.Svc.run()\n\
12:00:00.0 (5)|USER_DEBUG|[9]|DEBUG|secret of the package\n\
12:00:00.0 (6)|METHOD_EXIT|[2]|01p000000000001|acme.Svc.run()\n\
12:00:00.0 (7)|CUMULATIVE_LIMIT_USAGE\n\
12:00:00.0 (7)|LIMIT_USAGE_FOR_NS|acme|\n  Number of SOQL queries: 0 out of 100\n\
12:00:00.0 (7)|CUMULATIVE_LIMIT_USAGE_END\n\n\
12:00:00.0 (8)|USER_DEBUG|[3]|DEBUG|mine after\n\
12:00:00.0 (9)|CODE_UNIT_FINISHED|execute_anonymous_apex\n\
12:00:00.0 (10)|EXECUTION_FINISHED\n";
    let o = run_stdin(&["debug", "--follow", "--as", "subscriber"], log.as_bytes());
    let t = text(&o);
    assert!(!t.contains("secret"), "{t}");
    assert!(t.contains("mine before") && t.contains("mine after"), "{t}");
    let full = run_stdin(&["debug", "--follow"], log.as_bytes());
    assert!(text(&full).contains("secret"));
}
