//! `dbglog flame`: folded stacks and SVG flame graphs weighted by self time.

mod common;

fn fixture(name: &str) -> String {
    common::fixture(name).to_string_lossy().into_owned()
}

fn folded(name: &str) -> Vec<(String, u64)> {
    let out = common::run(&["flame", &fixture(name), "--folded"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (stack, w) = l.rsplit_once(' ').expect("`stack weight` lines");
            (stack.to_string(), w.parse().expect("integer weight"))
        })
        .collect()
}

#[test]
fn folded_stacks_name_frames_ns_colon_name_and_weigh_self_time() {
    let lines = folded("limits-near.log");
    let soql = "(default):;(default):execute_anonymous_apex;(default):InvoiceRollup.recalc(List<Id>);\
                (default):SELECT Id, Name FROM Invoice__c WHERE Legacy_Ref__c = :tmpVar1";
    let w = lines.iter().find(|(s, _)| s == soql).map(|(_, w)| *w);
    // SOQL_EXECUTE_BEGIN at 2172179, END at 613420411: no children, so self = total.
    assert_eq!(w, Some(613_420_411 - 2_172_179), "{lines:?}");
    // The acme package run below its global method, named by namespace.
    assert!(
        lines.iter().any(|(s, _)| s.ends_with(
            "(default):InvoiceRollup.recalc(List<Id>);acme:acme.InvoiceService.post(Integer);acme:acme"
        )),
        "{lines:?}"
    );
    // Self times add up to the whole execution (EXECUTION_STARTED 2035536 … EXECUTION_FINISHED 9368628428).
    let sum: u64 = lines.iter().map(|(_, w)| *w).sum();
    assert_eq!(sum, 9_368_628_428 - 2_035_536);
    assert!(lines.iter().all(|(s, _)| !s.contains('\n')));
}

#[test]
fn e2cp_stack_reaches_find_parent_in_the_package() {
    let lines = folded("e2cp-handled.log");
    assert!(lines.iter().any(|(s, _)| s.contains(
        "E2CP:E2CP.CaseCreationHandler.handleBeforeInsert(List<Case>);E2CP:E2CP.ThreadMatcher.findParent(Case);E2CP:SELECT Id, ParentId FROM EmailMessage"
    )), "{lines:?}");
}

#[test]
fn svg_to_stdout_and_to_a_file() {
    let out = common::run(&["flame", &fixture("e2cp-fatal.log")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("findParent"),
        "{}",
        &svg[..svg.len().min(300)]
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.svg");
    let out = common::run(&[
        "flame",
        &fixture("limits-near.log"),
        "-o",
        p.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let svg = std::fs::read_to_string(&p).unwrap();
    assert!(svg.contains("InvoiceRollup.recalc"));
}

#[test]
fn every_fixture_folds_without_error() {
    for p in common::fixture_logs() {
        let out = common::run(&["flame", p.to_str().unwrap(), "--folded"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn errors_name_the_file() {
    let out = common::run(&["flame", "/nonexistent/y.log"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("dbglog: ") && err.contains("/nonexistent/y.log"),
        "{err}"
    );
    let out = common::run(&["flame", &fixture("trap-header-only.log")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("trap-header-only.log")
    );
}
