//! The page's sections for the transaction analyses: callouts, heap, time by category, the
//! order of execution per DML and what the log's levels cannot show. Each is static HTML
//! written from the same [`Report`] fields as the text report (same figures, same order),
//! so it reads without JavaScript; tables of class `sortable` sort on a header click when
//! the script runs. The page shows every row of the report (the text report caps some).

use super::{esc, ms};
use crate::analyze::Report;
use crate::analyze::save_order::{DmlSave, heading_parts, step_name};
use std::fmt::Write as _;

/// A save with more steps than this is folded (its `<details>` closed) at first.
const FOLD_STEPS: usize = 12;

/// One table: `cols` as (header, numeric), `rows` of cells already escaped.
fn table(h: &mut String, id: &str, cols: &[(&str, bool)], rows: &[Vec<String>]) {
    let _ = write!(h, "<table class=\"sortable\" id=\"{id}\"><thead><tr>");
    for (c, num) in cols {
        let t = if *num { " data-type=\"num\"" } else { "" };
        let _ = write!(h, "<th{t}>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>\n");
    for r in rows {
        h.push_str("<tr>");
        for c in r {
            let _ = write!(h, "<td>{c}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
}

/// Callouts: the totals per namespace, then every callout (as `callouts.rs` writes them).
pub(super) fn callouts(h: &mut String, r: &Report) {
    let c = &r.callouts;
    if c.count == 0 {
        return;
    }
    let _ = writeln!(
        h,
        "<section id=\"callouts\">\n<h2>Callouts: {} requests, {} ms</h2>",
        c.count,
        ms(c.time_nanos)
    );
    let per_ns: Vec<Vec<String>> = c
        .by_namespace
        .iter()
        .map(|n| {
            vec![
                esc(&n.namespace),
                n.count.to_string(),
                ms(n.time_nanos),
                n.failed.to_string(),
            ]
        })
        .collect();
    table(
        h,
        "callouts-ns",
        &[
            ("namespace", false),
            ("requests", true),
            ("ms", true),
            ("failed", true),
        ],
        &per_ns,
    );
    let rows: Vec<Vec<String>> = c
        .callouts
        .iter()
        .map(|k| {
            let status = match (k.status_code, &k.status) {
                (Some(code), Some(s)) => format!("{code} {}", esc(s)),
                (Some(code), None) => code.to_string(),
                (None, _) => "-".into(),
            };
            vec![
                format!("<span class=\"stmt\">{}</span>", esc(&k.endpoint)),
                esc(k.method.as_deref().unwrap_or("-")),
                status,
                k.time_nanos.map_or_else(|| "-".into(), ms),
                esc(&k.namespace),
                k.log_line.to_string(),
            ]
        })
        .collect();
    table(
        h,
        "callouts-table",
        &[
            ("endpoint", false),
            ("method", false),
            ("status", true),
            ("ms", true),
            ("namespace", false),
            ("log line", true),
        ],
        &rows,
    );
    h.push_str("</section>\n");
}

/// Heap: where it peaked and the methods that allocated most (as `memory.rs` writes them).
pub(super) fn heap(h: &mut String, r: &Report) {
    let hp = &r.heap;
    if hp.peak_at.is_none() && hp.by_method.is_empty() {
        return;
    }
    h.push_str("<section id=\"heap\">\n<h2>Heap</h2>\n");
    if let Some(p) = &hp.peak_at {
        let mut at = format!(
            "{} bytes (from {}) at log line {}, ns {}",
            p.bytes, p.source, p.log_line, p.namespace
        );
        if let Some(m) = &p.method {
            at.push_str(&format!(", in {m}"));
        }
        let _ = writeln!(h, "<p id=\"heap-peak\">Peak: {}</p>", esc(&at));
    }
    if !hp.by_method.is_empty() {
        let rows: Vec<Vec<String>> = hp
            .by_method
            .iter()
            .map(|m| {
                vec![
                    esc(&m.name),
                    esc(&m.namespace),
                    m.count.to_string(),
                    m.self_bytes.to_string(),
                    m.total_bytes.to_string(),
                    m.peak_bytes.to_string(),
                ]
            })
            .collect();
        table(
            h,
            "heap-methods",
            &[
                ("method", false),
                ("namespace", false),
                ("calls", true),
                ("self bytes", true),
                ("total bytes", true),
                ("peak bytes", true),
            ],
            &rows,
        );
    }
    h.push_str("</section>\n");
}

/// Time by category: a bar per category with time, then every (namespace, category) row.
pub(super) fn categories(h: &mut String, r: &Report) {
    let t = &r.time_by_category;
    let _ = writeln!(
        h,
        "<section id=\"categories\">\n<h2>Time by category (self time, {} ms)</h2>",
        ms(t.total_nanos)
    );
    if t.total_nanos == 0 && t.categories.iter().all(|c| c.frames == 0) {
        h.push_str("<p>no frames</p>\n</section>\n");
        return;
    }
    h.push_str("<table class=\"categories\" id=\"categories-bars\"><thead><tr><th>category</th><th>self ms</th><th>share</th><th></th><th>frames</th></tr></thead><tbody>\n");
    for c in t.categories.iter().filter(|c| c.frames > 0) {
        let pct = c.share_permille as f64 / 10.0;
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{pct:.1}%</td><td><meter min=\"0\" max=\"1000\" value=\"{}\">{pct:.1}%</meter></td><td>{}</td></tr>",
            esc(c.category.label()),
            ms(c.self_nanos),
            c.share_permille.min(1000),
            c.frames
        );
    }
    h.push_str("</tbody></table>\n<h3>Per namespace</h3>\n");
    let rows: Vec<Vec<String>> = t
        .by_namespace
        .iter()
        .map(|n| {
            vec![
                esc(&n.namespace),
                esc(n.category.label()),
                ms(n.self_nanos),
                n.frames.to_string(),
            ]
        })
        .collect();
    table(
        h,
        "categories-ns",
        &[
            ("namespace", false),
            ("category", false),
            ("self ms", true),
            ("frames", true),
        ],
        &rows,
    );
    h.push_str("</section>\n");
}

/// The heading of one save: the text report's parts (`save_order.rs`).
fn save_heading(d: &DmlSave) -> String {
    heading_parts(d).join(" · ")
}

/// The order of execution per DML: each save with automation, its steps in order (a
/// `<details>` element, folded when long, so it folds without the script too).
pub(super) fn save_order(h: &mut String, r: &Report) {
    let s = &r.save_order;
    let _ = writeln!(
        h,
        "<section id=\"save-order\">\n<h2>Order of execution per DML ({} statement(s), {} save(s) with automation)</h2>",
        s.statements, s.with_automation
    );
    let auto: Vec<&DmlSave> = s.dml.iter().filter(|d| !d.steps.is_empty()).collect();
    if auto.is_empty() {
        h.push_str("<p>no save steps (triggers, validation, workflow, flows)</p>\n");
    }
    for d in auto {
        let open = if d.steps.len() > FOLD_STEPS {
            ""
        } else {
            " open"
        };
        let _ = writeln!(
            h,
            "<details class=\"save\" id=\"save-{}\"{open}><summary>{} <span class=\"hint\">({} step(s))</span></summary>",
            d.index,
            esc(&save_heading(d)),
            d.steps.len()
        );
        h.push_str("<table class=\"steps\"><thead><tr><th>#</th><th>kind</th><th>name</th><th>namespace</th><th>ms</th><th>SOQL</th><th>DML</th><th>re-entry</th><th>log line</th></tr></thead><tbody>\n");
        for (n, st) in d.steps.iter().enumerate() {
            let mut mark = Vec::new();
            if st.run > 1 {
                mark.push(format!("run {}", st.run));
            }
            if st.nested > 0 {
                mark.push(format!("nested {}", st.nested));
            }
            let _ = writeln!(
                h,
                "<tr class=\"step{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if mark.is_empty() { "" } else { " reentry" },
                n + 1,
                esc(st.step.label()),
                esc(&step_name(st, &d.object)),
                esc(&st.namespace),
                ms(st.total_nanos),
                st.soql,
                st.dml,
                esc(&mark.join(", ")),
                st.log_line
            );
        }
        h.push_str("</tbody></table>\n");
        for re in &d.reentries {
            let how = if re.nested > 0 {
                "nested inside itself"
            } else {
                "each run after the last ended"
            };
            let t = re.trigger.replacen(" trigger event ", " ", 1);
            let _ = writeln!(
                h,
                "<p class=\"warn reentry\">re-entry: {} ran {}×, {how} (first at log line {})</p>",
                esc(&t),
                re.runs,
                re.first_line
            );
        }
        h.push_str("</details>\n");
    }
    if s.omitted > 0 {
        let _ = writeln!(
            h,
            "<p class=\"hint\">({} DML statement(s) beyond the cap)</p>",
            s.omitted
        );
    }
    h.push_str("</section>\n");
}

/// What the log's debug levels leave out (as `coverage.rs` writes it).
pub(super) fn not_shown(h: &mut String, r: &Report) {
    if r.not_shown.is_empty() {
        return;
    }
    h.push_str(
        "<section id=\"not-shown\">\n<h2>What this log cannot show (its debug levels)</h2>\n<ul>\n",
    );
    for n in &r.not_shown {
        let _ = writeln!(
            h,
            "<li><span class=\"section\">{}</span> {}={} (needs {}, for {}): {}</li>",
            esc(&n.section),
            esc(&n.category),
            esc(&n.level),
            esc(&n.needs),
            esc(&n.event),
            esc(&n.note)
        );
    }
    h.push_str("</ul>\n</section>\n");
}
