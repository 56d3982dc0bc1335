//! `dbglog analyze --format html`: a self-contained page that loads nothing, escapes every
//! log text, shows nothing the view hides, and renders in a real browser (headless
//! Chromium from Debian's packages; required under CI, SKIPPED elsewhere when missing).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PAYLOAD: &str =
    "</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\"><b>bold</b>";

fn html(args: &[&str]) -> String {
    let mut a = vec!["analyze"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "html"]);
    let out = common::run(&a);
    assert_eq!(
        out.status.code(),
        Some(0),
        "analyze {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the page is UTF-8")
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
        let out = common::run(&["analyze", &name, "--format", "html"]);
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
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--virtual-time-budget=5000",
        ])
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
