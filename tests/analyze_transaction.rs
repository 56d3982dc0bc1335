//! `dbglog analyze`: the whole transaction — time by category and the order of execution
//! per DML, with the recursion and mixed-DML findings (issue 17, deliverable 3).

mod common;

use dbglog::analyze::{self, Options};
use dbglog::rules::Catalogue;
use serde_json::{Value, json};

fn run_ok(args: &[&str]) -> String {
    let out = common::run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fixture(name: &str) -> String {
    common::fixture(name).to_string_lossy().into_owned()
}

fn json_of(name: &str) -> Value {
    let t = run_ok(&["analyze", &fixture(name), "--format", "json"]);
    serde_json::from_str(&t).unwrap()
}

/// The text section that starts with a line beginning `title`, up to the next blank line.
fn section(text: &str, title: &str) -> String {
    let mut out = String::new();
    let mut on = false;
    for l in text.lines() {
        if l.starts_with(title) {
            on = true;
        } else if on && l.is_empty() {
            break;
        }
        if on {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

const RECURSIVE_SAVE_ORDER: &str = "\
Order of execution per DML (2 statement(s), 2 save(s) with automation)
  #1 Update Case · 1 row · log line 4 · 13.000 ms
     1. before trigger CaseTrigger (Update)            2.000 ms   1 SOQL   0 DML
     2. validation     Case:500000000000001            1.000 ms   0 SOQL   0 DML
     3. after trigger  CaseTrigger (Update)            4.000 ms   0 SOQL   1 DML
     4. workflow       Workflow:Case                   0.800 ms   0 SOQL   0 DML
     5. process        Case_Notify_Owner               1.000 ms   0 SOQL   0 DML
     6. before trigger CaseTrigger (Update) ×3         0.500 ms   0 SOQL   0 DML
     7. after trigger  CaseTrigger (Update) ×3         0.500 ms   0 SOQL   0 DML
     8. flow           Case_After_Save                 1.000 ms   0 SOQL   0 DML
      re-entry: CaseTrigger on Case BeforeUpdate ran 3×, nested inside itself
      re-entry: CaseTrigger on Case AfterUpdate ran 3×, nested inside itself
  #2 Update Case · 1 row · log line 18 · 2.900 ms · inside #1 (CaseTrigger)
     1. before trigger CaseTrigger (Update) ×2         1.000 ms   0 SOQL   0 DML
     2. validation     Case:500000000000001            0.500 ms   0 SOQL   0 DML
     3. after trigger  CaseTrigger (Update) ×2         0.500 ms   0 SOQL   0 DML
";

const RECURSIVE_TIME: &str = "\
Time by category (self time, 13.500 ms)
  Apex code                 5.400 ms  40.0%          7 frames
  SOQL                      0.500 ms   3.7%          1 frames
  DML                       1.300 ms   9.6%          2 frames
  Flows & processes         2.400 ms  17.7%          4 frames
  Workflow                  1.100 ms   8.1%          3 frames
  Validation                1.500 ms  11.1%          2 frames
  System                    1.300 ms   9.6%          7 frames
";

#[test]
fn the_recursive_save_order_is_listed_step_by_step_with_its_re_entries() {
    let t = run_ok(&["analyze", &fixture("save-order-recursive.log")]);
    assert_eq!(
        section(&t, "Order of execution per DML"),
        RECURSIVE_SAVE_ORDER
    );
    assert_eq!(section(&t, "Time by category"), RECURSIVE_TIME);
    // The finding, in the findings section.
    let findings = section(&t, "Findings");
    assert!(
        findings.contains(
            "   1. WARN  TRIGGER_RECURSION ×2  trigger CaseTrigger on Case ran again inside\n\
             \x20       its own save 2× (nested 1 deep) in Update Case (DML #1, log line 4)\n\
             \x20       log lines 20–29 · ns (default)\n"
        ),
        "{findings}"
    );
}

#[test]
fn the_recursive_save_order_json_fields() {
    let v = json_of("save-order-recursive.log");
    assert_eq!(v["schema_version"], 2);
    let so = &v["save_order"];
    assert_eq!(
        (&so["statements"], &so["with_automation"], &so["omitted"]),
        (&json!(2), &json!(2), &json!(0))
    );
    let d = so["dml"].as_array().unwrap();
    assert_eq!(d.len(), 2);
    let head = |d: &Value| {
        json!([
            d["index"],
            d["op"],
            d["object"],
            d["rows"],
            d["log_line"],
            d["source_line"],
            d["total_nanos"],
            d["soql"],
            d["dml"],
            d["implicit"],
            d["parent"],
            d["parent_step"]
        ])
    };
    assert_eq!(
        head(&d[0]),
        json!([
            1, "Update", "Case", 1, 4, 3, 13_000_000, 1, 1, false, null, null
        ])
    );
    assert_eq!(
        head(&d[1]),
        json!([
            2,
            "Update",
            "Case",
            1,
            18,
            9,
            2_900_000,
            0,
            0,
            false,
            1,
            "CaseTrigger"
        ])
    );
    let steps = |d: &Value| -> Vec<Value> {
        d["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                json!([
                    s["step"],
                    s["name"],
                    s["event"],
                    s["log_line"],
                    s["total_nanos"],
                    s["soql"],
                    s["dml"],
                    s["run"],
                    s["nested"]
                ])
            })
            .collect()
    };
    assert_eq!(
        steps(&d[0]),
        vec![
            json!([
                "before_trigger",
                "CaseTrigger",
                "BeforeUpdate",
                6,
                2_000_000,
                1,
                0,
                1,
                0
            ]),
            json!([
                "validation",
                "Validation:Case:500000000000001",
                null,
                11,
                1_000_000,
                0,
                0,
                1,
                0
            ]),
            json!([
                "after_trigger",
                "CaseTrigger",
                "AfterUpdate",
                17,
                4_000_000,
                0,
                1,
                1,
                0
            ]),
            json!([
                "workflow_rules",
                "Workflow:Case",
                null,
                36,
                800_000,
                0,
                0,
                1,
                0
            ]),
            json!([
                "process",
                "Case_Notify_Owner",
                null,
                42,
                1_000_000,
                0,
                0,
                1,
                0
            ]),
            json!([
                "before_trigger",
                "CaseTrigger",
                "BeforeUpdate",
                46,
                500_000,
                0,
                0,
                3,
                0
            ]),
            json!([
                "after_trigger",
                "CaseTrigger",
                "AfterUpdate",
                48,
                500_000,
                0,
                0,
                3,
                0
            ]),
            json!(["flow", "Case_After_Save", null, 53, 1_000_000, 0, 0, 1, 0]),
        ]
    );
    assert_eq!(
        steps(&d[1]),
        vec![
            json!([
                "before_trigger",
                "CaseTrigger",
                "BeforeUpdate",
                20,
                1_000_000,
                0,
                0,
                2,
                1
            ]),
            json!([
                "validation",
                "Validation:Case:500000000000001",
                null,
                23,
                500_000,
                0,
                0,
                1,
                0
            ]),
            json!([
                "after_trigger",
                "CaseTrigger",
                "AfterUpdate",
                29,
                500_000,
                0,
                0,
                2,
                1
            ]),
        ]
    );
    assert_eq!(
        d[0]["reentries"],
        json!([
            {"trigger": "CaseTrigger on Case trigger event BeforeUpdate", "runs": 3, "nested": 1, "first_line": 6},
            {"trigger": "CaseTrigger on Case trigger event AfterUpdate", "runs": 3, "nested": 1, "first_line": 17}
        ])
    );
    assert_eq!(d[1]["reentries"], json!([]));
    let rec: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "TRIGGER_RECURSION")
        .collect();
    assert_eq!(rec.len(), 1);
    assert_eq!(
        json!([
            rec[0]["severity"],
            rec[0]["log_line"],
            rec[0]["last_line"],
            rec[0]["count"],
            rec[0]["namespace"]
        ]),
        json!(["warn", 20, 29, 2, "(default)"])
    );
    // Time by category: every category listed, the shares in thousandths.
    let t = &v["time_by_category"];
    assert_eq!(t["total_nanos"], 13_500_000);
    let cats: Vec<Value> = t["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            json!([
                c["category"],
                c["self_nanos"],
                c["frames"],
                c["share_permille"]
            ])
        })
        .collect();
    assert_eq!(
        cats,
        vec![
            json!(["apex", 5_400_000, 7, 400]),
            json!(["soql", 500_000, 1, 37]),
            json!(["dml", 1_300_000, 2, 96]),
            json!(["callout", 0, 0, 0]),
            json!(["flow", 2_400_000, 4, 177]),
            json!(["workflow", 1_100_000, 3, 81]),
            json!(["validation", 1_500_000, 2, 111]),
            json!(["system", 1_300_000, 7, 96]),
        ]
    );
    assert_eq!(
        t["by_namespace"][0],
        json!({"namespace": "(default)", "category": "apex", "self_nanos": 5_400_000, "frames": 7})
    );
}

#[test]
fn mixed_dml_is_found_from_the_dml_types_beside_the_exception_rule() {
    let t = run_ok(&["analyze", &fixture("mixed-dml.log")]);
    let findings = section(&t, "Findings");
    assert!(
        findings.contains(
            "   2. WARN  MIXED_DML_RISK  DML on setup object PermissionSetAssignment (log\n\
             \x20       line 8) and on Account (log line 4) in one transaction\n\
             \x20       log line 8 · ns (default)\n"
        ),
        "{findings}"
    );
    assert_eq!(
        section(&t, "Order of execution per DML"),
        "Order of execution per DML (2 statement(s), 0 save(s) with automation)\n\
         \x20 no save steps (triggers, validation, workflow, flows)\n"
    );
    assert_eq!(
        section(&t, "Time by category"),
        "Time by category (self time, 4.500 ms)\n\
         \x20 Apex code                 0.700 ms  15.5%          1 frames\n\
         \x20 SOQL                      0.500 ms  11.1%          1 frames\n\
         \x20 DML                       3.100 ms  68.8%          2 frames\n\
         \x20 System                    0.200 ms   4.4%          2 frames\n"
    );
    let v = json_of("mixed-dml.log");
    let f: Vec<Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| json!([f["id"], f["severity"], f["log_line"], f["count"]]))
        .collect();
    // The platform's exception (the catalogue's MIXED_DML) and the detection from the types.
    assert_eq!(
        f,
        vec![
            json!(["MIXED_DML", "error", 9, 1]),
            json!(["MIXED_DML_RISK", "warn", 8, 1])
        ]
    );
    let d = v["save_order"]["dml"].as_array().unwrap();
    let objects: Vec<&Value> = d.iter().map(|d| &d["object"]).collect();
    assert_eq!(
        objects,
        [&json!("Account"), &json!("PermissionSetAssignment")]
    );
    assert!(d.iter().all(|d| d["steps"] == json!([])));
}

#[test]
fn a_user_is_a_conditional_setup_object_and_run_as_separates_test_dml() {
    let log = "61.0 APEX_CODE,FINE;DB,INFO;SYSTEM,DEBUG\n\
        09:00:00.3 (3000000)|EXECUTION_STARTED\n\
        09:00:00.3 (3100000)|CODE_UNIT_STARTED|[EXTERNAL]|01p000000000001|SetupTest.run\n\
        09:00:00.3 (3200000)|DML_BEGIN|[2]|Op:Insert|Type:Account|Rows:1\n\
        09:00:00.3 (3300000)|DML_END|[2]\n\
        09:00:00.3 (3400000)|DML_BEGIN|[3]|Op:Insert|Type:User|Rows:1\n\
        09:00:00.3 (3500000)|DML_END|[3]\n\
        09:00:00.3 (3600000)|SYSTEM_METHOD_ENTRY|[4]|System.runAs(User)\n\
        09:00:00.3 (3700000)|DML_BEGIN|[5]|Op:Insert|Type:GroupMember|Rows:1\n\
        09:00:00.3 (3800000)|DML_END|[5]\n\
        09:00:00.3 (3900000)|SYSTEM_METHOD_EXIT|[4]|System.runAs(User)\n\
        09:00:00.3 (4000000)|CODE_UNIT_FINISHED|SetupTest.run\n\
        09:00:00.3 (4100000)|EXECUTION_FINISHED\n";
    let mut input = dbglog::input::from_bytes("t.log", log.as_bytes().to_vec());
    let r = analyze::analyze(&mut input, &Options::default(), Catalogue::builtin()).unwrap();
    let m: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.id == "MIXED_DML_RISK")
        .collect();
    assert_eq!(m.len(), 1, "{:?}", r.findings);
    assert_eq!(m[0].severity, dbglog::rules::Severity::Info);
    assert_eq!(m[0].log_line, 6);
    assert!(
        m[0].message.contains("setup object User"),
        "{}",
        m[0].message
    );
}

#[test]
fn a_save_no_dml_begin_shows_is_the_save_from_outside_apex() {
    let log = "61.0 APEX_CODE,FINE;VALIDATION,INFO\n\
        09:00:00.3 (3000000)|EXECUTION_STARTED\n\
        09:00:00.3 (3100000)|CODE_UNIT_STARTED|[EXTERNAL]|TRIGGERS\n\
        09:00:00.3 (3200000)|CODE_UNIT_STARTED|[EXTERNAL]|01q000000000001|AccountTrigger on Account trigger event BeforeInsert|__sfdc_trigger/AccountTrigger\n\
        09:00:00.3 (3700000)|CODE_UNIT_FINISHED|AccountTrigger on Account trigger event BeforeInsert|__sfdc_trigger/AccountTrigger\n\
        09:00:00.3 (3800000)|CODE_UNIT_FINISHED|TRIGGERS\n\
        09:00:00.3 (3900000)|CODE_UNIT_STARTED|[EXTERNAL]|Validation:Account:new\n\
        09:00:00.3 (4000000)|VALIDATION_RULE|03d000000000001|Name_Required\n\
        09:00:00.3 (4100000)|VALIDATION_PASS\n\
        09:00:00.3 (4200000)|CODE_UNIT_FINISHED|Validation:Account:new\n\
        09:00:00.3 (4300000)|EXECUTION_FINISHED\n";
    let mut input = dbglog::input::from_bytes("t.log", log.as_bytes().to_vec());
    let r = analyze::analyze(&mut input, &Options::default(), Catalogue::builtin()).unwrap();
    let so = serde_json::to_value(&r.save_order).unwrap();
    assert_eq!(so["statements"], 0);
    let d = &so["dml"][0];
    assert_eq!(
        json!([
            d["implicit"],
            d["op"],
            d["log_line"],
            d["steps"][0]["step"],
            d["steps"][1]["step"]
        ]),
        json!([true, "", 2, "before_trigger", "validation"])
    );
}

/// Every line of the two sections fits in 80 columns, for every fixture and corpus log;
/// with `--wide` no step name is cut. (tests/analyze.rs holds every line of the whole
/// report to 80 columns too, in three views.)
#[test]
fn the_new_sections_fit_in_80_columns_on_every_log() {
    let mut logs = common::fixture_logs();
    logs.extend(common::corpus_logs().unwrap_or_default());
    let st = dbglog::output::Style::new(false);
    let mut checked = 0;
    for p in &logs {
        let Ok(mut input) = dbglog::input::open_path(p) else {
            continue;
        };
        let Ok(r) = analyze::analyze(&mut input, &Options::default(), Catalogue::builtin()) else {
            continue;
        };
        let mut out = Vec::new();
        analyze::text::write(&mut out, &r, &st).unwrap();
        let t = String::from_utf8_lossy(&out);
        for title in ["Time by category", "Order of execution per DML"] {
            let s = section(&t, title);
            assert!(!s.is_empty(), "{}: no {title} section", p.display());
            for l in s.lines() {
                assert!(
                    l.chars().count() <= 80,
                    "{}: {} columns:\n{l}",
                    p.display(),
                    l.chars().count()
                );
            }
        }
        let mut wide = Vec::new();
        analyze::text::write_width(&mut wide, &r, &st, usize::MAX / 4).unwrap();
        let wide = String::from_utf8_lossy(&wide);
        let steps = section(&wide, "Order of execution per DML");
        for l in steps
            .lines()
            .filter(|l| l.contains(" ms ") && l.ends_with(" DML"))
        {
            assert!(!l.contains('…'), "{}: cut with --wide:\n{l}", p.display());
        }
        checked += 1;
    }
    assert!(checked > 30, "{checked}");
}
