//! `dbglog gen --count N -o DIR`: a folder of real-shaped logs, deterministic from the seed,
//! whose planned failures are exactly what `scan` finds.

use dbglog::generate::{ArchiveOptions, archive_plan};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::process::Command;

fn dbglog() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dbglog"))
}

fn r#gen(dir: &std::path::Path, count: usize, seed: u64) {
    let st = dbglog()
        .args([
            "gen",
            "--count",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .arg("-o")
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn gen_count_writes_a_deterministic_folder_that_scan_finds_as_planned() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let count = 120;
    r#gen(&a, count, 11);
    r#gen(&b, count, 11);
    r#gen(&c, count, 12);
    let names: Vec<String> = (0..count).map(|i| format!("log-{i:05}.log")).collect();
    let mut listed: Vec<String> = fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, names);
    let mut differ = 0;
    for n in &names {
        let x = fs::read(a.join(n)).unwrap();
        assert_eq!(x, fs::read(b.join(n)).unwrap(), "{n}");
        differ += usize::from(x != fs::read(c.join(n)).unwrap());
    }
    assert_eq!(differ, count, "another seed, other logs");

    // Scan finds a known error in exactly the logs planned to fail, and in no other.
    let out = dbglog()
        .args(["scan", "--format", "ndjson"])
        .arg(&a)
        .output()
        .unwrap();
    let mut hit = BTreeSet::new();
    let mut scanned = 0;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        match v["type"].as_str() {
            Some("finding") => {
                let f = v["file"].as_str().unwrap();
                hit.insert(f.rsplit('/').next().unwrap().to_string());
            }
            Some("summary") => scanned = v["files"]["scanned"].as_u64().unwrap_or(0),
            _ => {}
        }
    }
    let opts = ArchiveOptions {
        count,
        seed: 11,
        namespaces: 2,
    };
    let planned: BTreeSet<String> = (0..count)
        .filter(|&i| archive_plan(&opts, i).1)
        .map(|i| names[i].clone())
        .collect();
    assert_eq!(hit, planned);
    assert!(scanned == 0 || scanned == count as u64, "{scanned}");
    // So the scan's hit rate is the plan's, which the unit tests hold to 15% ± 1.5 points
    // over 2,000 logs; on these 120 it is about 15% within three standard deviations.
    let ratio = hit.len() as f64 / count as f64;
    assert!((0.05..=0.25).contains(&ratio), "{ratio}");
}

#[test]
fn gen_count_needs_an_output_folder() {
    let out = dbglog().args(["gen", "--count", "3"]).output().unwrap();
    assert!(!out.status.success());
}
