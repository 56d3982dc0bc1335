//! `dbglog diff`: what the subscriber view hides, computed in one pass.

mod common;

use serde_json::Value;

fn json(args: &[&str]) -> (Option<i32>, Value) {
    let out = common::run(args);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

fn fx(name: &str) -> String {
    common::fixture(name).to_str().unwrap().to_string()
}

#[test]
fn seed_handled_first_item_is_the_hidden_non_selective_query() {
    let (code, v) = json(&["diff", "--format", "json", &fx("e2cp-handled.log")]);
    assert_eq!(code, Some(1), "views differ");
    let first = &v["items"][0];
    assert_eq!(first["kind"], "hidden_error");
    assert_eq!(first["line"], 119);
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("Non-selective query")
    );
    let o = &first["origin"];
    assert_eq!(o["ns"], "E2CP");
    assert_eq!(o["class"], "E2CP.ThreadMatcher");
    assert_eq!(o["method"], "findParent");
    assert_eq!(o["src_line"], 88);
    assert_eq!(o["soql"]["line"], 118);
    assert_eq!(o["soql"]["src_line"], 88);
    assert!(
        o["soql"]["query"]
            .as_str()
            .unwrap()
            .starts_with("SELECT Id, ParentId FROM EmailMessage")
    );
    assert_eq!(first["handled_at"], 135);
    // Per-namespace summary.
    let ns = &v["namespaces"][0];
    assert_eq!(ns["ns"], "E2CP");
    assert_eq!(ns["dropped"], 3); // two debug lines and the exception
    assert!(ns["time_ns"].as_u64().unwrap() > 40_000_000);
    // Then the SOQL and the debug lines, each with its line.
    let kinds: Vec<(&str, u64)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("hidden_error", 119),
            ("hidden_soql", 70),
            ("hidden_soql", 118),
            ("hidden_debug", 88),
            ("hidden_debug", 132)
        ]
    );
}

#[test]
fn seed_handled_text_report_puts_the_hidden_error_first() {
    let out = common::run(&["diff", &fx("e2cp-handled.log")]);
    assert_eq!(out.status.code(), Some(1));
    let t = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = t.lines().collect();
    assert!(lines[1].starts_with("  E2CP: 74 event(s) hidden"), "{t}");
    assert!(
        lines[2].starts_with("Errors the subscriber cannot see"),
        "{t}"
    );
    assert!(lines[3].starts_with("1. line 119: E2CP in E2CP.ThreadMatcher.findParent [88]: System.QueryException: Non-selective"), "{t}");
    assert!(t.contains("SOQL at line 118 [88]: SELECT Id, ParentId FROM EmailMessage"));
}

#[test]
fn seed_fatal_names_the_hidden_origin() {
    let (code, v) = json(&["diff", "--format", "json", &fx("e2cp-fatal.log")]);
    assert_eq!(code, Some(1));
    let first = &v["items"][0];
    assert_eq!(first["kind"], "hidden_origin");
    assert_eq!(first["event"], "FATAL_ERROR");
    assert_eq!(first["line"], 123);
    assert_eq!(first["repeats"][0], 131);
    assert_eq!(first["origin"]["line"], 119);
    assert_eq!(first["origin"]["class"], "E2CP.ThreadMatcher");
    assert_eq!(first["origin"]["method"], "findParent");
    assert_eq!(
        first["hidden_frames"][0],
        "Class.E2CP.ThreadMatcher.findParent: line 88, column 1"
    );
    // No "handled" error: it escaped.
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["kind"] != "hidden_error")
    );
    // The subscriber's DmlException names the hidden frames in its `caused by`.
    let dml = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["line"] == 143)
        .unwrap();
    assert_eq!(dml["event"], "EXCEPTION_THROWN");
    assert_eq!(dml["hidden_frames"].as_array().unwrap().len(), 2);
}

#[test]
fn vendor_view_of_its_own_package_is_equal() {
    let out = common::run(&["diff", "--as", "vendor:E2CP", &fx("e2cp-handled.log")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = common::run(&["diff", "--as", "vendor:acme", &fx("e2cp-handled.log")]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn subscriber_log_reports_opaque_sections() {
    let (code, v) = json(&["diff", "--format", "json", &fx("e2cp-subscriber.log")]);
    assert_eq!(
        code,
        Some(0),
        "already a subscriber log: nothing more to hide"
    );
    let ns = &v["namespaces"][0];
    assert_eq!(ns["ns"], "E2CP");
    assert_eq!(ns["hidden_events"], 0);
    let sections: Vec<(u64, u64)> = ns["opaque_sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["first_line"].as_u64().unwrap(),
                s["last_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(sections, [(61, 61), (63, 137)]);
    let t = String::from_utf8(common::run(&["diff", &fx("e2cp-subscriber.log")]).stdout).unwrap();
    assert!(
        t.contains("already opaque") && t.contains("errors inside may be hidden"),
        "{t}"
    );
    assert!(t.contains("lines 63-137"));
}

#[test]
fn unified_single_file() {
    let out = common::run(&["diff", "--format", "unified", &fx("e2cp-handled.log")]);
    assert_eq!(out.status.code(), Some(1));
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(t.starts_with("--- "));
    assert!(t.contains("\n-10:15:42.8 (50885393)|EXCEPTION_THROWN|[88]|System.QueryException"));
    assert!(t.contains("\n+10:15:42.8 (12159275)|ENTERING_MANAGED_PKG|E2CP\n"));
    assert!(
        t.contains("\n-10:15:42.8 (11908741)|USER_DEBUG|[57]|DEBUG|E2CP routing 1 new case(s)\n")
    );
    // Hunk headers count lines consistently.
    for h in t.lines().filter(|l| l.starts_with("@@")) {
        assert!(h.ends_with(" @@"), "{h}");
    }
}

#[test]
fn two_captures_customer_and_vendor() {
    let (code, v) = json(&[
        "diff",
        "--format",
        "json",
        &fx("e2cp-subscriber.log"),
        &fx("e2cp-handled.log"),
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(v["equal"], false);
    assert!(v["hunks"].as_u64().unwrap() >= 1);
    // The vendor's capture shows the error the customer's cannot.
    let vendor = &v["reports"][1];
    assert_eq!(vendor["items"][0]["kind"], "hidden_error");
    assert_eq!(
        v["reports"][0]["namespaces"][0]["opaque_sections"][1]["first_line"],
        63
    );
    // Under the subscriber view, the two captures are the same transaction.
    let out = common::run(&[
        "diff",
        "--as",
        "subscriber",
        &fx("e2cp-subscriber.log"),
        &fx("e2cp-handled.log"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = common::run(&[
        "diff",
        "--format",
        "unified",
        &fx("e2cp-subscriber.log"),
        &fx("e2cp-handled.log"),
    ]);
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(
        t.contains("\n+10:15:42.8 (11908741)|USER_DEBUG|[57]|DEBUG|E2CP routing 1 new case(s)\n"),
        "{t}"
    );
}

#[test]
fn identical_logs_are_equal_and_errors_exit_2() {
    let out = common::run(&["diff", &fx("trap-crlf.log")]);
    assert_eq!(out.status.code(), Some(0));
    let out = common::run(&["diff", &fx("pii.log"), &fx("pii.log")]);
    assert_eq!(out.status.code(), Some(0));
    let out = common::run(&["diff", "/nonexistent.log"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.log"));
    let out = common::run(&["diff", "--as", "vendor:", &fx("pii.log")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("valid forms"));
}

#[test]
fn diff_runs_on_every_fixture() {
    for p in common::fixture_logs() {
        let out = common::run(&["diff", "--format", "json", p.to_str().unwrap()]);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["equal"] == true, out.status.code() == Some(0));
    }
}
