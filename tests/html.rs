//! `dbglog analyze --format html`: a self-contained page that loads nothing, escapes every
//! log text, shows nothing the view hides and no redacted value, and renders in real
//! browsers (headless Chromium and Firefox ESR from Debian's packages, driven over the
//! DevTools protocol and Marionette; required under CI, SKIPPED elsewhere when missing).

#[path = "browser/cdp.rs"]
mod cdp;
mod common;
#[path = "browser/marionette.rs"]
mod marionette;

use common::leak::{assert_no_leak, collect_forbidden};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PAYLOAD: &str =
    "</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\"><b>bold</b>";

fn html(args: &[&str]) -> String {
    String::from_utf8(common::analyze(args, "html")).expect("the page is UTF-8")
}

fn fixture(name: &str) -> String {
    common::fixture(name).to_string_lossy().into_owned()
}

/// e2cp-fatal.log with hostile markup in the exception text and in a query.
fn hostile_log(dir: &Path) -> PathBuf {
    let log = std::fs::read_to_string(common::fixture("e2cp-fatal.log")).unwrap();
    let log = log
        .replace(
            "System.QueryException: Non-selective query",
            &format!("System.QueryException: {PAYLOAD} Non-selective query"),
        )
        .replace(
            "SELECT Id, AccountId FROM Contact",
            &format!("SELECT Id, AccountId FROM Contact WHERE Name = '{PAYLOAD}'"),
        );
    let p = dir.join("hostile.log");
    std::fs::write(&p, log).unwrap();
    p
}

/// The markup of a page (what is outside its two `<script>` elements), and every tag in it:
/// escaped log text holds no `<`, so each `<` there starts a real tag.
fn tags(page: &str) -> Vec<String> {
    let data = page
        .find("<script type=\"application/json\"")
        .expect("data block");
    let markup = &page[..data];
    let mut v = Vec::new();
    let mut rest = markup;
    while let Some(p) = rest.find('<') {
        let end = rest[p..].find('>').expect("tag closed") + p;
        v.push(rest[p..=end].to_ascii_lowercase());
        rest = &rest[end + 1..];
    }
    v
}

/// Nothing in the page can load anything: a strict CSP, no tag that fetches, no attribute
/// with a URL, and the script itself names no URL.
fn assert_loads_nothing(name: &str, page: &str) {
    let csp = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-";
    assert!(page.contains(csp), "{name}: no strict CSP meta tag");
    assert_eq!(
        page.matches("<script").count(),
        2,
        "{name}: data + one script"
    );
    for t in tags(page) {
        let tag = t[1..]
            .split([' ', '>', '/'])
            .next()
            .unwrap_or("")
            .to_string();
        assert!(
            ![
                "img", "link", "iframe", "object", "embed", "audio", "video", "source", "base",
                "form", "frame", "svg", "image"
            ]
            .contains(&tag.as_str()),
            "{name}: the page has a <{tag}> tag: {t}"
        );
        for attr in [
            " src=", " href=", " action=", " srcset=", " style=", " on", "http:", "https:", "url(",
        ] {
            if tag == "meta" && attr == "http:" {
                continue;
            }
            // The one link a page has: a finding's line in the embedded log.
            if tag == "a" && attr == " href=" && t.starts_with("<a href=\"#l") {
                continue;
            }
            assert!(!t.contains(attr), "{name}: tag {t} has {attr:?}");
        }
    }
    let script = &page[page.rfind("<script>").unwrap()..];
    for bad in [
        "http:",
        "https:",
        "fetch(",
        "XMLHttpRequest",
        "WebSocket",
        "import(",
        ".src",
        "innerHTML",
        "eval(",
    ] {
        assert!(!script.contains(bad), "{name}: the script uses {bad:?}");
    }
    let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    assert!(
        !style.contains("url(") && !style.contains("@import"),
        "{name}: the style loads"
    );
}

#[test]
fn every_fixture_page_is_self_contained() {
    for p in common::fixture_logs() {
        let name = p.display().to_string();
        let out = common::run(&["analyze", &name, "--format", "html", "--embed-log"]);
        if out.status.code() != Some(0) {
            // Not a log (the text report refuses it the same way).
            let text = common::run(&["analyze", &name]);
            assert_eq!(text.status.code(), out.status.code(), "{name}");
            continue;
        }
        let page = String::from_utf8(out.stdout).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"), "{name}");
        assert!(page.trim_end().ends_with("</html>"), "{name}");
        assert_loads_nothing(&name, &page);
    }
}

#[test]
fn the_script_hash_in_the_csp_is_the_scripts() {
    let page = html(&[&fixture("e2cp-handled.log")]);
    let csp = dbglog::analyze::html::csp();
    assert!(page.contains(&csp));
    let start = page.rfind("<script>").unwrap() + "<script>".len();
    let end = page.rfind("</script>").unwrap();
    let script = &page[start..end];
    use base64::Engine as _;
    use sha2::Digest as _;
    let h = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    assert!(csp.contains(&format!("'sha256-{h}'")));
}

#[test]
fn findings_in_the_text_reports_order_with_namespace_method_and_line() {
    let f = fixture("e2cp-fatal.log");
    let page = html(&[&f]);
    let out = common::run(&["analyze", &f, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut at = 0;
    for (i, x) in v["findings"].as_array().unwrap().iter().enumerate() {
        let row = format!("id=\"finding-{}\"", i + 1);
        let p = page[at..].find(&row).expect("a row per finding, in order") + at;
        let end = page[p..].find("</tr>").unwrap() + p;
        let tr = &page[p..end];
        let id = x["id"].as_str().unwrap();
        assert!(tr.contains(&format!("<td>{id}</td>")), "{tr}");
        assert!(tr.contains(x["namespace"].as_str().unwrap()), "{tr}");
        if let Some(m) = x["method"].as_str() {
            assert!(tr.contains(&dbglog::analyze::html::esc(m)), "{tr}");
        }
        assert!(tr.contains(&x["log_line"].to_string()), "{tr}");
        at = end;
    }
    assert!(page.contains("<dt>dbglog</dt>"));
    assert!(page.contains("APEX_CODE=FINEST"));
    // The page opens with the text report's verdict, in the same words.
    let headline = dbglog::analyze::html::esc(v["verdict"]["headline"].as_str().unwrap());
    assert_eq!(v["verdict"]["status"], "failed");
    assert!(
        page.contains(&format!(
            "class=\"verdict failed\">FAILED&nbsp; {headline}</p>"
        )),
        "verdict missing"
    );
}

#[test]
fn log_markup_is_escaped_everywhere() {
    let d = tempfile::tempdir().unwrap();
    let p = hostile_log(d.path());
    let page = html(&[p.to_str().unwrap()]);
    assert_loads_nothing("hostile", &page);
    assert!(!page.contains(PAYLOAD), "raw payload in the page");
    assert!(!page.contains("<b>bold"), "log markup reached the page");
    assert!(
        page.contains("&lt;/script&gt;&lt;img src=x onerror="),
        "the payload shows as text in the findings"
    );
    // In the data block, `<` is written as \u003c.
    let data_at = page
        .find("<script type=\"application/json\" id=\"data\">")
        .unwrap();
    let data = &page[data_at..];
    let data = &data[..data.find("</script>").unwrap()];
    assert!(
        data.contains("\\u003c/script\\u003e"),
        "the query is in the data"
    );
}

#[test]
fn the_subscriber_page_hides_package_internals() {
    for f in ["e2cp-handled.log", "e2cp-fatal.log", "e2cp-subscriber.log"] {
        let full = html(&[&fixture(f)]);
        let sub = html(&[&fixture(f), "--as", "subscriber"]);
        for hidden in [
            "ThreadMatcher",
            "SettingsService",
            "findParent",
            "extractToken",
        ] {
            assert!(!sub.contains(hidden), "{f}: subscriber page shows {hidden}");
        }
        if f != "e2cp-subscriber.log" {
            assert!(full.contains("ThreadMatcher"), "{f}: the check has teeth");
        }
        assert!(sub.contains("<dt>View</dt><dd>subscriber (hides E2CP)</dd>"));
        assert!(sub.contains("(E2CP)"), "{f}: the opaque run is drawn");
    }
}

#[test]
fn dash_o_writes_atomically_and_dash_is_stdout() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("report.html");
    let f = fixture("e2cp-handled.log");
    let r = common::run(&[
        "analyze",
        &f,
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(0));
    assert!(r.stdout.is_empty(), "nothing on stdout with -o");
    let page = std::fs::read_to_string(&out).unwrap();
    assert_eq!(page, html(&[&f]));
    assert_eq!(
        std::fs::read_dir(d.path()).unwrap().count(),
        1,
        "temp file left"
    );
    let r = common::run(&["analyze", &f, "--format", "html", "-o", "-"]);
    assert_eq!(String::from_utf8(r.stdout).unwrap(), page);
    // A failed run leaves the old file as it was.
    let r = common::run(&[
        "analyze",
        d.path().join("missing.log").to_str().unwrap(),
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), page);
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    // The input is never the output.
    let log = d.path().join("in.log");
    std::fs::copy(&f, &log).unwrap();
    let r = common::run(&[
        "analyze",
        log.to_str().unwrap(),
        "--format",
        "html",
        "-o",
        log.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(std::fs::read(&log).unwrap(), std::fs::read(&f).unwrap());
}

#[test]
fn a_large_log_is_culled_to_the_frame_budget() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("gen.log");
    let r = common::run(&[
        "gen",
        "--size",
        "3MB",
        "--seed",
        "1",
        "-o",
        log.to_str().unwrap(),
    ]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let page = html(&[log.to_str().unwrap()]);
    let data_at = page.find("id=\"data\">").unwrap() + "id=\"data\">".len();
    let data = &page[data_at..];
    let data: serde_json::Value =
        serde_json::from_str(&data[..data.find("</script>").unwrap()]).unwrap();
    let frames = data["frames"].as_array().unwrap().len();
    assert!(frames <= dbglog::analyze::html::FRAME_BUDGET);
    let total = data["frames_total"].as_u64().unwrap() as usize;
    let culled = data["frames_culled"].as_u64().unwrap() as usize;
    assert_eq!(
        frames + culled,
        total,
        "every frame is drawn or counted as culled"
    );
}

// ---- the browser -----------------------------------------------------------------------

fn chromium() -> Option<PathBuf> {
    for c in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(c).exists() {
            return Some(PathBuf::from(c));
        }
    }
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if ci {
        panic!("chromium missing while CI is set: .ci/run installs it (apt-get install chromium)");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED: chromium not found (apt-get install chromium) for the browser tests of tests/html.rs"
    );
    None
}

/// The DOM after the page's script ran, from headless Chromium (`--dump-dom`).
fn dump_dom(chrome: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let out = Command::new(chrome)
        .args(cdp::HEADLESS)
        .args(["--virtual-time-budget=5000"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(&url)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn body_attr(dom: &str, name: &str) -> Option<String> {
    let b = &dom[dom.find("<body")?..];
    let b = &b[..b.find('>')?];
    let key = format!("{name}=\"");
    let p = b.find(&key)? + key.len();
    Some(b[p..p + b[p..].find('"')?].to_string())
}

#[test]
fn chromium_renders_the_page_and_runs_no_log_script() {
    let Some(chrome) = chromium() else { return };
    let d = tempfile::tempdir().unwrap();
    let cases = [
        (common::fixture("e2cp-handled.log"), "full"),
        (common::fixture("e2cp-handled.log"), "subscriber"),
        (common::fixture("trap-skipped.log"), "full"),
        (hostile_log(d.path()), "full"),
    ];
    for (i, (log, view)) in cases.iter().enumerate() {
        let out = d.path().join(format!("page{i}.html"));
        let r = common::run(&[
            "analyze",
            log.to_str().unwrap(),
            "--as",
            view,
            "--format",
            "html",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.status.code(), Some(0));
        let page = std::fs::read_to_string(&out).unwrap();
        let dom = dump_dom(&chrome, &out);
        let name = format!("{} as {view}", log.display());
        assert_eq!(
            body_attr(&dom, "data-timeline").as_deref(),
            Some("ok"),
            "{name}: the script did not finish"
        );
        assert_eq!(
            body_attr(&dom, "data-pwned"),
            None,
            "{name}: a script from the log ran"
        );
        assert_eq!(
            body_attr(&dom, "data-csp-violations"),
            None,
            "{name}: the page tried to load something"
        );
        // The findings table as rendered: one row per finding.
        let rows = page.matches("id=\"finding-").count();
        assert_eq!(dom.matches("id=\"finding-").count(), rows, "{name}");
        let legend = body_attr(&dom, "data-legend").unwrap_or_default();
        assert!(
            legend.split(',').any(|n| n == "(default)"),
            "{name}: legend {legend}"
        );
        let drawn: usize = body_attr(&dom, "data-frames-drawn")
            .unwrap()
            .parse()
            .unwrap();
        assert!(drawn > 0, "{name}: no frame drawn");
        let tree: usize = body_attr(&dom, "data-tree-rows").unwrap().parse().unwrap();
        assert!(tree > 0, "{name}: no call-tree row");
        if i == 0 {
            assert!(legend.contains("E2CP"), "{legend}");
            // A small log: every frame is a call-tree row, unfolded.
            assert_eq!(dom.matches("<tr data-frame=").count(), tree);
            assert!(dom.contains("ThreadMatcher.findParent"));
        }
        if i == 1 {
            assert!(!dom.contains("ThreadMatcher"), "{name}");
        }
        if i == 3 {
            assert!(
                dom.contains("&lt;/script&gt;&lt;img src=x"),
                "{name}: payload shown as text"
            );
        }
    }
}

// ---- safe to share: views and redaction ---------------------------------------------------

/// The JSON data block of a page.
fn data_block(page: &str) -> serde_json::Value {
    let at = page.find("id=\"data\">").expect("data block") + "id=\"data\">".len();
    let data = &page[at..];
    serde_json::from_str(&data[..data.find("</script>").unwrap()]).expect("data JSON")
}

fn strings(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Everything a page says as plain text, for checks that look for log text: the page as
/// written, its markup with the entities decoded, and every string of its data block
/// (where log text is JSON-escaped).
fn page_text(page: &str) -> String {
    let markup = &page[..page.find("<script type=\"application/json\"").unwrap()];
    let mut t = page.to_string();
    t.push('\n');
    t.push_str(
        &markup
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&nbsp;", " ")
            .replace("&amp;", "&"),
    );
    t.push('\n');
    strings(&data_block(page), &mut t);
    t
}

/// The log as dbglog reads it (UTF-16 fixtures transcoded), for the leak checker.
fn full_log(p: &Path) -> Vec<u8> {
    let out = common::run(&["view", "--as", "full", p.to_str().unwrap()]);
    assert!(out.status.success());
    out.stdout
}

#[test]
fn pages_as_subscriber_and_vendor_leak_nothing_on_any_fixture() {
    let mut vendor_pages = 0;
    for p in common::fixture_logs() {
        let name = p.display().to_string();
        let full = full_log(&p);
        let f = collect_forbidden(&String::from_utf8_lossy(&full), &[]);
        let mut views: Vec<(String, Vec<&str>)> = vec![("subscriber".into(), vec![])];
        let mut nss: Vec<&String> = f.namespaces.iter().collect();
        nss.sort();
        for ns in nss {
            views.push((format!("vendor:{ns}"), vec![ns.as_str()]));
        }
        for (view, own) in &views {
            let out = common::run(&[
                "analyze",
                &name,
                "--as",
                view,
                "--format",
                "html",
                "--embed-log",
            ]);
            if out.status.code() != Some(0) {
                // Not a log: no page (the text report refuses it the same way).
                assert_eq!(
                    common::run(&["analyze", &name]).status.code(),
                    out.status.code()
                );
                continue;
            }
            let page = String::from_utf8(out.stdout).unwrap();
            assert_no_leak(
                &format!("{name} as {view}"),
                &full,
                page_text(&page).as_bytes(),
                own,
            );
            vendor_pages += usize::from(view != "subscriber");
        }
    }
    assert!(
        vendor_pages >= 3,
        "the fixtures have packages to draw as their vendor"
    );
}

#[test]
fn the_checker_sees_package_internals_in_a_full_page() {
    let p = common::fixture("e2cp-handled.log");
    let page = html(&[p.to_str().unwrap(), "--embed-log"]);
    let full = full_log(&p);
    let r = std::panic::catch_unwind(|| {
        assert_no_leak("full page", &full, page_text(&page).as_bytes(), &[])
    });
    assert!(
        r.is_err(),
        "a full page shows the internals, so the check has teeth"
    );
}

fn pii_labels(classes: &[&str]) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::fixture("pii.labels.json")).unwrap())
            .unwrap();
    classes
        .iter()
        .flat_map(|c| v[c].as_array().unwrap().clone())
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn no_pii_label_occurs_in_any_redacted_report() {
    let log = fixture("pii.log");
    for (redact, classes) in [
        ("pii", &["emails", "tokens"][..]),
        ("pii,ids", &["emails", "tokens", "record_ids"][..]),
        ("all", &["emails", "tokens", "record_ids"][..]),
    ] {
        let labels = pii_labels(classes);
        for view in ["full", "subscriber"] {
            let page = html(&[&log, "--as", view, "--redact", redact, "--embed-log"]);
            let mut reports = vec![("html".to_string(), page_text(&page))];
            assert!(
                page.contains(&format!(
                    "<dt>Redaction</dt><dd>{redact_list} (the log was redacted before the analysis)</dd>",
                    redact_list = redact.parse::<dbglog::view::RedactSpec>().unwrap()
                )),
                "the header names the classes"
            );
            for format in ["text", "json", "lines"] {
                let out = common::run(&[
                    "analyze", &log, "--as", view, "--redact", redact, "--format", format,
                    "--wide", "--tree",
                ]);
                assert_eq!(out.status.code(), Some(0), "{format}");
                reports.push((format.into(), String::from_utf8(out.stdout).unwrap()));
            }
            for (format, text) in &reports {
                for l in &labels {
                    assert!(
                        !text.contains(l.as_str()),
                        "{format} report as {view} --redact {redact} shows {l}"
                    );
                }
            }
        }
    }
    // Unredacted, the labels are there: the check has teeth.
    let page = page_text(&html(&[&log, "--embed-log"]));
    for l in pii_labels(&["emails", "tokens", "record_ids"]) {
        assert!(page.contains(&l), "the unredacted page shows {l}");
    }
}

/// The findings of a JSON report as (id, log line, FATAL_ERROR line).
fn finding_lines(args: &[&str]) -> Vec<(String, u64, Option<u64>)> {
    let mut a = vec!["analyze"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "json"]);
    let out = common::run(&a);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|x| {
                    (
                        x["id"].as_str().unwrap_or("").to_string(),
                        x["log_line"].as_u64().unwrap(),
                        x["fatal_line"].as_u64(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn redaction_keeps_every_finding_and_its_log_line() {
    let mut findings = 0;
    for p in common::fixture_logs() {
        let name = p.display().to_string();
        let plain = finding_lines(&[&name]);
        let redacted = finding_lines(&[&name, "--redact", "all"]);
        assert_eq!(plain, redacted, "{name}");
        findings += plain.len();
    }
    assert!(findings > 50, "the fixtures have findings to compare");
}

#[test]
fn redaction_of_stdin_and_a_bad_class() {
    let log = std::fs::read(common::fixture("pii.log")).unwrap();
    let out = common::run_stdin(
        &["analyze", "-", "--redact", "pii", "--format", "json"],
        &log,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("maria.gonzalez@acme-pii.example"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let plain = common::run_stdin(&["analyze", "-", "--format", "json"], &log);
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(
        v["summary"]["bytes"], plain["summary"]["bytes"],
        "the bytes read, not the redacted log's"
    );
    let file = finding_lines(&[&fixture("pii.log"), "--redact", "pii"]);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), file.len());
    let out = common::run(&["analyze", &fixture("pii.log"), "--redact", "ids"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must include pii"));
}

#[test]
fn the_embedded_log_is_the_views_and_findings_link_to_their_lines() {
    let f = fixture("e2cp-fatal.log");
    for view in ["full", "subscriber"] {
        let page = html(&[&f, "--as", view, "--embed-log"]);
        let data = data_block(&page);
        let log = data["log"].as_array().unwrap();
        // The embedded log's text is what `dbglog view` writes, record by record.
        let viewed = common::run(&["view", &f, "--as", view]);
        let mut joined = String::new();
        for r in log {
            joined.push_str(r[1].as_str().unwrap());
            joined.push('\n');
        }
        assert_eq!(joined, String::from_utf8(viewed.stdout).unwrap(), "{view}");
        // Each finding's line links into it.
        for (i, (_, line, _)) in finding_lines(&[&f, "--as", view]).iter().enumerate() {
            let row = format!("id=\"finding-{}\"", i + 1);
            let tr = &page[page.find(&row).unwrap()..];
            let tr = &tr[..tr.find("</tr>").unwrap()];
            assert!(
                tr.contains(&format!("<a href=\"#L{line}\" class=\"line\">{line}</a>")),
                "{view}: {tr}"
            );
        }
    }
    // Without --embed-log there is no log and no link.
    let page = html(&[&f]);
    assert!(data_block(&page).get("log").is_none());
    assert!(!page.contains("href=\"#L"));
}

#[test]
fn the_injection_fixture_is_text_in_every_static_part() {
    let page = html(&[&fixture("html-injection.log"), "--embed-log"]);
    assert_loads_nothing("html-injection", &page);
    for raw in ["<script>alert", "<img src=x", "<iframe", "<b>bold"] {
        let markup = &page[..page.find("<script type=\"application/json\"").unwrap()];
        assert!(!markup.contains(raw), "{raw} reached the markup");
    }
    assert!(page.contains(
        "&lt;script&gt;alert(5)&lt;/script&gt;&lt;iframe src=&quot;javascript:alert(6)&quot;&gt;"
    ));
    assert!(page.contains("Injector.run(Map&lt;String,List&lt;String&gt;&gt;)"));
    assert!(page.contains("&#39;&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;&#39;"));
}

// ---- the browsers, driven -------------------------------------------------------------------

fn firefox() -> Option<PathBuf> {
    for c in ["/usr/bin/firefox-esr", "/usr/bin/firefox"] {
        if Path::new(c).exists() {
            return Some(PathBuf::from(c));
        }
    }
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if ci {
        panic!(
            "firefox missing while CI is set: .ci/run installs it (apt-get install firefox-esr)"
        );
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED: firefox not found (apt-get install firefox-esr) for the Firefox test of tests/html.rs"
    );
    None
}

/// Write the page of `log` with `args` into `dir` and return its `file://` URL.
fn page_url(dir: &Path, name: &str, log: &str, args: &[&str]) -> String {
    let out = dir.join(format!("{name}.html"));
    let mut a = vec![
        "analyze",
        log,
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    let r = common::run(&a);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    format!("file://{}", out.canonicalize().unwrap().display())
}

/// A page loaded in Chromium made no request, logged no error and opened no dialog, and its
/// script finished.
fn assert_clean_load(b: &cdp::Browser, url: &str, name: &str) {
    assert_eq!(
        b.requests(url),
        Vec::<String>::new(),
        "{name}: network requests"
    );
    assert_eq!(b.errors(), Vec::<String>::new(), "{name}: console errors");
    assert_eq!(b.dialogs(), Vec::<String>::new(), "{name}: a dialog opened");
}

fn body(b: &mut cdp::Browser, attr: &str) -> serde_json::Value {
    b.eval(&format!(
        "document.body.getAttribute({})",
        serde_json::json!(attr)
    ))
}

#[test]
fn chromium_runs_no_script_from_the_injection_fixture() {
    let Some(chrome) = chromium() else { return };
    let d = tempfile::tempdir().unwrap();
    let mut b = cdp::Browser::launch(&chrome);
    for view in ["full", "subscriber"] {
        let url = page_url(
            d.path(),
            view,
            &fixture("html-injection.log"),
            &["--as", view, "--embed-log"],
        );
        b.open(&url);
        let name = format!("html-injection as {view}");
        assert_eq!(body(&mut b, "data-timeline"), "ok", "{name}");
        // Unfold everything and show the whole log, so every text is on the page.
        b.click("#tree-expand");
        let text = b
            .eval("document.body.innerText")
            .as_str()
            .unwrap()
            .to_string();
        for shown in [
            "</script><script>alert(1)</script>",
            "<img src=x onerror=alert(2)> & \"quotes\" 'single' <b>bold</b> &lt;kept&gt; &amp;",
            "System.CalloutException: <script>alert(5)</script><iframe src=\"javascript:alert(6)\"></iframe>",
            "SELECT Id FROM Account WHERE Name = '</script><script>alert(3)</script>'",
            "Injector.run(Map<String,List<String>>)",
        ] {
            assert!(
                text.contains(shown),
                "{name}: {shown:?} is not shown as text"
            );
        }
        assert_eq!(
            text.contains("Sanitizer internals"),
            view == "full",
            "{name}: the package's debug line"
        );
        assert_eq!(
            b.eval("document.scripts.length"),
            2,
            "{name}: an extra script element"
        );
        assert_eq!(
            b.eval("document.querySelectorAll('img,iframe,svg,object,embed,b').length"),
            0,
            "{name}: markup from the log became elements"
        );
        assert_clean_load(&b, &url, &name);
    }
}

#[test]
fn chromium_clicks_unfold_zoom_pan_and_follow_a_finding_to_its_line() {
    let Some(chrome) = chromium() else { return };
    let d = tempfile::tempdir().unwrap();
    let mut b = cdp::Browser::launch(&chrome);
    for view in ["full", "subscriber"] {
        let f = fixture("e2cp-fatal.log");
        let url = page_url(d.path(), view, &f, &["--as", view, "--embed-log"]);
        b.open(&url);
        let name = format!("e2cp-fatal as {view}");
        assert_eq!(body(&mut b, "data-timeline"), "ok", "{name}");
        // Unfold: collapse all, then a click on the first root's toggle shows its children.
        b.click("#tree-collapse");
        let roots = body(&mut b, "data-tree-rows")
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap();
        b.click("#tree-body tr:first-child .tog");
        let open = body(&mut b, "data-tree-rows")
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap();
        assert!(
            open > roots,
            "{name}: unfolding shows children ({roots} -> {open})"
        );
        // Zoom with the button and the wheel, pan by dragging.
        b.click("#zoom-in");
        assert_eq!(body(&mut b, "data-zoom"), "2", "{name}");
        b.wheel("#flame", -100.0);
        let z: f64 = body(&mut b, "data-zoom").as_str().unwrap().parse().unwrap();
        assert!((z - 2.5).abs() < 1e-9, "{name}: wheel zoom {z}");
        b.drag("#flame", -200.0);
        assert!(
            body(&mut b, "data-view-start")
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
                > 0.0
        );
        // A finding's line link shows that line of the embedded log, highlighted, in view.
        let findings = finding_lines(&[&f, "--as", view]);
        let (_, line, _) = &findings[findings.len() - 1];
        b.click(&format!("#finding-{} a.line", findings.len()));
        assert_eq!(body(&mut b, "data-log-line"), line.to_string(), "{name}");
        let hl = b.eval(
            "(function(){var e=document.querySelector('#log-body .hl'); var r=e.getBoundingClientRect(); return [e.id, r.top >= 0 && r.bottom <= innerHeight, e.querySelector('.lt').textContent];})()",
        );
        assert_eq!(hl[0], format!("L{line}"), "{name}");
        assert_eq!(hl[1], true, "{name}: the line is scrolled into view");
        let want = std::fs::read_to_string(&f).unwrap();
        let want = want.lines().nth(*line as usize - 1).unwrap();
        assert_eq!(
            hl[2], want,
            "{name}: the highlighted text is the log's line {line}"
        );
        // Opening the page at #L<n> shows that line too.
        b.navigate("about:blank");
        b.navigate(&format!("{url}#L52"));
        assert_eq!(body(&mut b, "data-log-line"), "52", "{name}");
        assert_clean_load(&b, &url, &name);
    }
}

#[test]
fn firefox_renders_the_page_and_follows_a_link() {
    let Some(ff) = firefox() else { return };
    let d = tempfile::tempdir().unwrap();
    let mut b = marionette::Firefox::launch(&ff);
    let f = fixture("e2cp-handled.log");
    let url = page_url(d.path(), "full", &f, &["--embed-log"]);
    b.navigate(&url);
    let attr = |b: &mut marionette::Firefox, a: &str| {
        b.eval(&format!(
            "return document.body.getAttribute({});",
            serde_json::json!(a)
        ))
    };
    assert_eq!(attr(&mut b, "data-timeline"), "ok");
    assert_eq!(attr(&mut b, "data-csp-violations"), serde_json::Value::Null);
    let legend = attr(&mut b, "data-legend");
    assert_eq!(legend, "(default),E2CP");
    let frames =
        data_block(&std::fs::read_to_string(d.path().join("full.html")).unwrap())["frames"]
            .as_array()
            .unwrap()
            .len();
    assert_eq!(
        attr(&mut b, "data-tree-rows"),
        frames.to_string(),
        "one row per frame"
    );
    assert!(
        attr(&mut b, "data-frames-drawn")
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    b.click("#zoom-in");
    assert_eq!(attr(&mut b, "data-zoom"), "2");
    let line = finding_lines(&[&f])[0].1;
    b.click("#finding-1 a.line");
    assert_eq!(attr(&mut b, "data-log-line"), line.to_string());
    // The injection fixture: its markup is text, and nothing from it ran.
    let url = page_url(
        d.path(),
        "inj",
        &fixture("html-injection.log"),
        &["--embed-log"],
    );
    b.navigate(&url);
    assert_eq!(attr(&mut b, "data-timeline"), "ok");
    let text = b.eval("return document.body.textContent;");
    assert!(
        text.as_str()
            .unwrap()
            .contains("</script><script>alert(1)</script>")
    );
    assert_eq!(b.eval("return document.scripts.length;"), 2);
    assert_eq!(
        b.eval("return document.querySelectorAll('img,iframe,svg,b').length;"),
        0
    );
}

/// The JSON report of `args`.
fn json_report(args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&common::analyze(args, "json")).unwrap()
}

fn count(b: &mut cdp::Browser, selector: &str) -> u64 {
    let e = format!(
        "document.querySelectorAll({}).length",
        serde_json::json!(selector)
    );
    b.eval(&e).as_u64().unwrap()
}

fn len(v: &serde_json::Value) -> u64 {
    v.as_array().map_or(0, |a| a.len() as u64)
}

#[test]
fn chromium_shows_the_analyses_with_the_json_reports_rows() {
    let Some(chrome) = chromium() else { return };
    let d = tempfile::tempdir().unwrap();
    let mut b = cdp::Browser::launch(&chrome);
    for name in [
        "save-order-recursive.log",
        "callouts.log",
        "heap-peak.log",
        "levels-low.log",
    ] {
        let f = fixture(name);
        let j = json_report(&[&f]);
        let url = page_url(d.path(), name, &f, &[]);
        b.open(&url);
        assert_eq!(count(&mut b, "#categories"), 1, "{name}");
        assert_eq!(count(&mut b, "#save-order"), 1, "{name}");
        let tc = &j["time_by_category"];
        let cats = tc["categories"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["frames"].as_u64().unwrap() > 0)
            .count() as u64;
        assert_eq!(count(&mut b, "#categories-bars tbody tr"), cats, "{name}");
        assert_eq!(
            count(&mut b, "#categories-ns tbody tr"),
            len(&tc["by_namespace"]),
            "{name}"
        );
        let saves: Vec<&serde_json::Value> = j["save_order"]["dml"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| len(&s["steps"]) > 0)
            .collect();
        assert_eq!(count(&mut b, "details.save"), saves.len() as u64, "{name}");
        for s in &saves {
            let sel = format!("#save-{} tr.step", s["index"]);
            assert_eq!(count(&mut b, &sel), len(&s["steps"]), "{name}: {sel}");
            let re = format!("#save-{} p.reentry", s["index"]);
            assert_eq!(count(&mut b, &re), len(&s["reentries"]), "{name}: {re}");
        }
        let c = &j["callouts"];
        let has = u64::from(c["count"].as_u64().unwrap() > 0);
        assert_eq!(count(&mut b, "#callouts"), has, "{name}");
        if has == 1 {
            assert_eq!(
                count(&mut b, "#callouts-table tbody tr"),
                len(&c["callouts"]),
                "{name}"
            );
            assert_eq!(
                count(&mut b, "#callouts-ns tbody tr"),
                len(&c["by_namespace"]),
                "{name}"
            );
        }
        let h = &j["heap"];
        let heap = u64::from(!h["peak_at"].is_null() || len(&h["by_method"]) > 0);
        assert_eq!(count(&mut b, "#heap"), heap, "{name}");
        assert_eq!(
            count(&mut b, "#heap-peak"),
            u64::from(!h["peak_at"].is_null())
        );
        assert_eq!(
            count(&mut b, "#heap-methods tbody tr"),
            len(&h["by_method"]),
            "{name}"
        );
        assert_eq!(
            count(&mut b, "#not-shown li"),
            len(&j["not_shown"]),
            "{name}"
        );
        assert_clean_load(&b, &url, name);
    }
    // The callouts table sorts on a click on its time header: up, then down.
    let url = page_url(d.path(), "sort", &fixture("callouts.log"), &[]);
    b.open(&url);
    let first = "document.querySelector('#callouts-table tbody tr td:nth-child(4)').textContent";
    assert_eq!(b.eval(first), "45.000");
    b.click("#callouts-table th:nth-child(4)");
    assert_eq!(b.eval(first), "45.000");
    b.click("#callouts-table th:nth-child(4)");
    assert_eq!(b.eval(first), "120.000");
    b.click("#callouts-table th:nth-child(1)");
    let ep = "document.querySelector('#callouts-table tbody tr td').textContent";
    assert_eq!(b.eval(ep), "callout:ShipX_API/rates/quote");
    assert_clean_load(&b, &url, "callouts sorted");
}

#[test]
fn a_redacted_page_shows_no_callout_token() {
    let log = fixture("callouts.log");
    let raw = std::fs::read_to_string(&log).unwrap();
    assert!(raw.contains("token=abc123"), "the fixture's token");
    for view in ["full", "subscriber"] {
        let page = html(&[&log, "--as", view, "--redact", "all", "--embed-log"]);
        assert!(
            page.contains("id=\"callouts\""),
            "{view}: the callouts section"
        );
        assert!(!page.contains("abc123"), "{view}: the token is on the page");
    }
}
