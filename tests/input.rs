//! One input stage for every command: a path, `-` or piped stdin; gzip, zip (one log or
//! `a.zip!member`) recognised by content; a file with no log is an error naming it.

mod common;

use std::io::Write;
use std::path::Path;

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, b) in members {
        w.start_file(*n, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// analyze's JSON without the file name, which differs by design.
fn analyze_json(arg: &str, stdin: Option<&[u8]>) -> serde_json::Value {
    let args = ["analyze", "--format", "json", arg];
    let out = match stdin {
        Some(b) => common::run_stdin(&args, b),
        None => common::run(&args),
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{arg}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["file"] = serde_json::Value::Null;
    v
}

#[test]
fn every_command_reads_gzip_zip_and_pipes_like_the_plain_file() {
    let d = tempfile::tempdir().unwrap();
    for name in [
        "e2cp-handled.log",
        "errors-catalogue.log",
        "trap-namespaces.log",
    ] {
        let plain = common::fixture(name);
        let bytes = std::fs::read(&plain).unwrap();
        let g = d.path().join(format!("{name}.gz"));
        std::fs::write(&g, gz(&bytes)).unwrap();
        let z = d.path().join(format!("{name}.zip"));
        std::fs::write(&z, zip_of(&[(name, &bytes)])).unwrap();
        let z2 = d.path().join(format!("two-{name}.zip"));
        std::fs::write(&z2, zip_of(&[("other.log", b"x\n"), (name, &bytes)])).unwrap();
        let member = format!("{}!{name}", s(&z2));

        let want = analyze_json(s(&plain), None);
        assert_eq!(analyze_json(s(&g), None), want, "{name}.gz");
        assert_eq!(analyze_json(s(&z), None), want, "{name}.zip");
        assert_eq!(analyze_json(&member, None), want, "{member}");
        assert_eq!(analyze_json("-", Some(&bytes)), want, "{name} on stdin");
        assert_eq!(
            analyze_json("-", Some(&gz(&bytes))),
            want,
            "{name}.gz on stdin"
        );

        for view in ["subscriber", "full"] {
            let want = common::run(&["view", "--as", view, s(&plain)]);
            assert_eq!(want.status.code(), Some(0));
            for arg in [s(&g), s(&z), member.as_str()] {
                let got = common::run(&["view", "--as", view, arg]);
                assert_eq!(got.status.code(), Some(0), "{arg}");
                common::assert_bytes_eq(&got.stdout, &want.stdout, &format!("view {view} {arg}"));
            }
            let got = common::run_stdin(&["view", "--as", view, "-"], &bytes);
            common::assert_bytes_eq(&got.stdout, &want.stdout, &format!("view {view} stdin"));
            let got = common::run_stdin(&["view", "--as", view, "-"], &gz(&bytes));
            common::assert_bytes_eq(&got.stdout, &want.stdout, &format!("view {view} gz stdin"));
            // No path at all: stdin, since it is not a terminal.
            let got = common::run_stdin(&["view", "--as", view], &bytes);
            common::assert_bytes_eq(&got.stdout, &want.stdout, &format!("view {view} no path"));
        }
        for cmd in ["events", "flame"] {
            let want = common::run(&[cmd, s(&plain)]);
            let got = common::run(&[cmd, s(&g)]);
            assert_eq!(got.status.code(), want.status.code(), "{cmd} {name}");
            if cmd == "events" {
                assert_eq!(got.stdout, want.stdout, "{cmd} {name}");
            }
        }
        let want = common::run(&["diff", "--format", "json", s(&plain)]);
        let got = common::run(&["diff", "--format", "json", s(&g)]);
        assert_eq!(got.status.code(), want.status.code(), "diff {name}");
    }
}

#[test]
fn a_file_with_no_log_is_an_error_naming_it_in_every_command() {
    let d = tempfile::tempdir().unwrap();
    let text = d.path().join("notes.txt");
    std::fs::write(&text, b"just some notes\nnothing here\n").unwrap();
    let empty = d.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    let gz_text = d.path().join("notes.txt.gz");
    std::fs::write(&gz_text, gz(b"just some notes\n")).unwrap();
    let many = d.path().join("many.zip");
    std::fs::write(&many, zip_of(&[("a.log", b"x\n"), ("b.log", b"y\n")])).unwrap();
    let broken = d.path().join("broken.log.gz");
    let g = gz(&std::fs::read(common::fixture("e2cp-handled.log")).unwrap());
    std::fs::write(&broken, &g[..g.len() / 2]).unwrap();
    for p in [&text, &empty, &gz_text, &many, &broken] {
        for cmd in [
            vec!["analyze"],
            vec!["view"],
            vec!["view", "--as", "subscriber"],
            vec!["events"],
            vec!["events", "--stats"],
            vec!["flame"],
            vec!["diff"],
        ] {
            let mut args = cmd.clone();
            args.push(s(p));
            let out = common::run(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(s(p)), "{args:?}: {err}");
        }
    }
    // analyze walks an archive of several files as `scan` does: each member is named.
    let out = common::run(&["analyze", s(&many)]);
    let err = String::from_utf8_lossy(&out.stderr);
    let m = s(&many);
    assert!(
        err.contains(&format!("{m}!a.log: holds no Apex debug log"))
            && err.contains(&format!("{m}!b.log: holds no Apex debug log")),
        "{err}"
    );
}
