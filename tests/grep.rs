//! `dbglog grep`: hits, exit codes, archives, views.

mod common;

use common::{fixture, run, run_stdin};
use std::io::Write;
use std::path::Path;

fn text(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The hits of a run without their path (`line: [ns] TYPE text`).
fn hits(o: &std::process::Output) -> Vec<String> {
    text(o)
        .lines()
        .map(|l| {
            // path:line: rest — the path may itself hold `!` and `:`; the line is digits.
            let at = l.find(": [").expect("hit line");
            let head = &l[..at];
            let colon = head.rfind(':').unwrap();
            format!("{}:{}", &head[colon + 1..], &l[at..])
        })
        .collect()
}

#[test]
fn hits_name_line_namespace_type_and_text() {
    let log = fixture("e2cp-handled.log");
    let o = run(&["grep", "-F", "ThreadMatcher", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let t = text(&o);
    assert!(
        t.contains(
            ":98: [E2CP] METHOD_ENTRY [61]|01p5g00000E2cPb|E2CP.ThreadMatcher.findParent(Case)"
        ),
        "{t}"
    );
    // -c counts the same records; -l names the file.
    let c = run(&["grep", "-c", "-F", "ThreadMatcher", log.to_str().unwrap()]);
    assert_eq!(
        text(&c).trim(),
        format!("{}:{}", log.display(), t.lines().count())
    );
    let l = run(&["grep", "-l", "-F", "ThreadMatcher", log.to_str().unwrap()]);
    assert_eq!(text(&l).trim(), log.display().to_string());
    // A regex, -i, -w, --event, --ns, --context, json.
    let r = run(&["grep", r"Thread\w+\.find", log.to_str().unwrap()]);
    assert_eq!(hits(&r).len(), 4, "entry, exit and two profiling lines");
    let i = run(&["grep", "-i", "-F", "threadmatcher", log.to_str().unwrap()]);
    assert_eq!(hits(&i), hits(&o));
    let w = run(&["grep", "-w", "-F", "ThreadMatch", log.to_str().unwrap()]);
    assert_eq!(w.status.code(), Some(1), "{}", text(&w));
    let e = run(&[
        "grep",
        "--event",
        "USER_DEBUG",
        "-F",
        "ThreadMatcher",
        log.to_str().unwrap(),
    ]);
    assert_eq!(hits(&e).len(), 1);
    let n = run(&[
        "grep",
        "--ns",
        "default",
        "-F",
        "Case",
        log.to_str().unwrap(),
    ]);
    assert!(text(&n).lines().all(|l| l.contains(": [(default)] ")));
    assert!(!hits(&n).is_empty());
    let ctx = run(&[
        "grep",
        "--context",
        "-F",
        "routing 1 new",
        log.to_str().unwrap(),
    ]);
    assert!(
        text(&ctx).contains("(in E2CP.CaseCreationHandler.handleBeforeInsert(List<Case>))"),
        "{}",
        text(&ctx)
    );
    let j = run(&[
        "grep",
        "--format",
        "json",
        "-F",
        "ThreadMatcher",
        log.to_str().unwrap(),
    ]);
    for line in text(&j).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["line"].as_u64().is_some() && v["namespace"].is_string() && v["event"].is_string()
        );
    }
}

#[test]
fn a_multi_line_event_is_searched_whole_and_reported_at_its_first_line() {
    let log = fixture("e2cp-handled.log");
    // "Data skew exists" is on a continuation line of the EXCEPTION_THROWN at line 128.
    let o = run(&["grep", "-F", "Data skew exists", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let h = hits(&o);
    assert_eq!(h.len(), 1, "{h:?}");
    assert!(h[0].contains("EXCEPTION_THROWN"), "{h:?}");
    assert!(h[0].contains("… 2. Data skew exists"), "{h:?}");
    let c = run(&[
        "grep",
        "-c",
        "-F",
        "Data skew exists",
        log.to_str().unwrap(),
    ]);
    assert!(text(&c).trim().ends_with(":1"));
}

#[test]
fn exit_codes_follow_grep() {
    let log = fixture("e2cp-handled.log");
    let l = log.to_str().unwrap();
    assert_eq!(
        run(&["grep", "-F", "no such text anywhere", l])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["grep", "-c", "-F", "no such text anywhere", l])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(run(&["grep", "(unclosed", l]).status.code(), Some(2));
    let missing = run(&["grep", "-F", "x", "/nonexistent/file.log"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.log"));
    // An error wins over a hit.
    assert_eq!(
        run(&["grep", "-F", "ThreadMatcher", l, "/nonexistent/file.log"])
            .status
            .code(),
        Some(2)
    );
    // stdin.
    let o = run_stdin(
        &["grep", "-F", "ThreadMatcher"],
        &std::fs::read(&log).unwrap(),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(hits(&o), hits(&run(&["grep", "-F", "ThreadMatcher", l])));
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[test]
fn archives_give_the_same_hits_as_plain_files() {
    let tmp = tempfile::tempdir().unwrap();
    let names = [
        "e2cp-handled.log",
        "trap-multiline.log",
        "trap-two-logs.log",
    ];
    let logs: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(fixture(n)).unwrap())
        .collect();
    let members: Vec<(&str, &[u8])> = names.iter().zip(&logs).map(|(n, l)| (*n, &l[..])).collect();
    let put = |name: &str, bytes: Vec<u8>| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let gzs: Vec<_> = names
        .iter()
        .zip(&logs)
        .map(|(n, l)| put(&format!("{n}.gz"), gz(l)))
        .collect();
    let z = put("logs.zip", zip(&members));
    let tgz = put("logs.tar.gz", gz(&tar(&members)));
    for pattern in [
        vec!["-F", "Case"],
        vec!["USER_DEBUG\\|\\[\\d+\\]"],
        vec!["-i", "-F", "payload"],
    ] {
        let plain: Vec<String> = names
            .iter()
            .flat_map(|n| {
                let mut a = vec!["grep"];
                a.extend(&pattern);
                let p = fixture(n);
                a.push(p.to_str().unwrap());
                hits(&run(&a))
            })
            .collect();
        assert!(!plain.is_empty());
        let many = |paths: Vec<&Path>| {
            let mut a: Vec<&str> = vec!["grep"];
            a.extend(&pattern);
            a.extend(paths.iter().map(|p| p.to_str().unwrap()));
            run(&a)
        };
        let g = many(gzs.iter().map(|p| p.as_path()).collect());
        assert_eq!(hits(&g), plain, "gz {pattern:?}");
        let o = many(vec![z.as_path()]);
        assert_eq!(hits(&o), plain, "zip {pattern:?}");
        assert!(text(&o).lines().all(|l| l.contains("logs.zip!")));
        let o = many(vec![tgz.as_path()]);
        assert_eq!(hits(&o), plain, "tar.gz {pattern:?}");
        // Counts agree too.
        let mut a = vec!["grep", "-c"];
        a.extend(&pattern);
        a.push(tgz.to_str().unwrap());
        let counts: u64 = text(&run(&a))
            .lines()
            .map(|l| l.rsplit(':').next().unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(counts as usize, plain.len(), "tar.gz -c {pattern:?}");
    }
    // A folder is walked.
    let o = run(&["grep", "-l", "-F", "payload", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("trap-multiline.log.gz"));
}

#[test]
fn a_subscriber_grep_never_finds_text_inside_package_code() {
    let log = fixture("e2cp-handled.log");
    let l = log.to_str().unwrap();
    for pat in [
        "E2CP routing",
        "lookup failed, falling back",
        "substringBetween",
    ] {
        let full = run(&["grep", "-F", pat, l]);
        assert_eq!(full.status.code(), Some(0), "{pat} is in the log");
        for extra in [
            vec![],
            vec!["-c"],
            vec!["-l"],
            vec!["--context"],
            vec!["-i"],
        ] {
            let mut a = vec!["grep", "--as", "subscriber"];
            a.extend(&extra);
            a.extend(["-F", pat, l]);
            let sub = run(&a);
            assert_eq!(
                sub.status.code(),
                Some(1),
                "{pat} {extra:?}: {}",
                text(&sub)
            );
            assert!(
                extra == vec!["-c"] || text(&sub).is_empty(),
                "{pat} {extra:?}"
            );
        }
    }
    // What the subscriber sees is still found, and the view's own text is what is printed.
    let sub = run(&["grep", "--as", "subscriber", "-F", "CaseTrigger done", l]);
    assert_eq!(sub.status.code(), Some(0));
    let vendor = run(&["grep", "--as", "vendor:E2CP", "-F", "E2CP routing", l]);
    assert_eq!(vendor.status.code(), Some(0));
}
