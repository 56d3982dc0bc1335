//! Time an HTML report in headless Chromium (run by scripts/html-timing.sh; a measurement,
//! not a test): the page's load (first paint, first contentful paint, DOMContentLoaded,
//! load) and each interaction of the timeline and the call tree, `ROUNDS` times each.
//!
//! Every interaction is timed twice: in the page (the handler's own time, from a synthetic
//! event dispatched by a script and `performance.now()` around it) and end to end (a real
//! input event through the DevTools protocol, then two animation frames, so the time
//! includes drawing the result and one protocol round trip).
//!
//! Usage: `cargo run --example html_timing -- PAGE.html [ROUNDS]` (ROUNDS 0: the load only)

#[path = "../tests/browser/cdp.rs"]
mod cdp;

use std::path::Path;
use std::time::Instant;

/// Median and maximum of a set of milliseconds.
fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[v.len() - 1])
}

/// In-page scripts, one per interaction: each does the interaction once, synchronously,
/// and returns the milliseconds it took.
const IN_PAGE: &[(&str, &str)] = &[
    (
        "zoom in (wheel)",
        "var c=document.getElementById('flame'),r=c.getBoundingClientRect();c.dispatchEvent(new WheelEvent('wheel',{deltaY:-100,clientX:r.left+r.width/2,clientY:r.top+40,bubbles:true,cancelable:true}));",
    ),
    (
        "zoom out (wheel)",
        "var c=document.getElementById('flame'),r=c.getBoundingClientRect();c.dispatchEvent(new WheelEvent('wheel',{deltaY:100,clientX:r.left+r.width/2,clientY:r.top+40,bubbles:true,cancelable:true}));",
    ),
    (
        "pan (drag 200 px)",
        "var c=document.getElementById('flame'),r=c.getBoundingClientRect(),x=r.left+r.width/2,y=r.top+40;c.dispatchEvent(new MouseEvent('mousedown',{clientX:x,clientY:y,bubbles:true}));c.dispatchEvent(new MouseEvent('mousemove',{clientX:x-200,clientY:y,bubbles:true}));window.dispatchEvent(new MouseEvent('mouseup',{bubbles:true}));",
    ),
    (
        "hover (tooltip)",
        "var c=document.getElementById('flame'),r=c.getBoundingClientRect();c.dispatchEvent(new MouseEvent('mousemove',{clientX:r.left+Math.random()*r.width,clientY:r.top+40+Math.random()*64,bubbles:true}));",
    ),
    (
        "unfold/fold a node",
        "document.querySelector('#tree-body .tog[role=button]').click();",
    ),
    (
        "expand all",
        "document.getElementById('tree-expand').click();",
    ),
    (
        "collapse all",
        "document.getElementById('tree-collapse').click();",
    ),
    (
        "filter by text",
        "var q=document.getElementById('tree-q');q.value=q.value?'':'Method';q.dispatchEvent(new Event('input'));",
    ),
];

fn in_page(b: &mut cdp::Browser, script: &str) -> f64 {
    let v = b.eval(&format!(
        "(function(){{var t=performance.now();{script}return performance.now()-t;}})()"
    ));
    v.as_f64().expect("a time")
}

fn reset(b: &mut cdp::Browser) {
    b.eval("document.getElementById('zoom-reset').click(); true");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let page = args.get(1).expect("usage: html_timing PAGE.html [ROUNDS]");
    let rounds: usize = args.get(2).map_or(10, |r| r.parse().expect("ROUNDS"));
    let url = format!(
        "file://{}",
        Path::new(page).canonicalize().expect("page").display()
    );
    let mut b = cdp::Browser::launch(Path::new("/usr/bin/chromium"));
    let t = Instant::now();
    b.open(&url);
    let load = t.elapsed().as_secs_f64() * 1e3;
    b.frame();
    let p = b.eval(
        "(function(){var n=performance.getEntriesByType('navigation')[0],f={};performance.getEntriesByType('paint').forEach(function(e){f[e.name]=e.startTime});return [f['first-paint']||-1,f['first-contentful-paint']||-1,n.domContentLoadedEventEnd,n.loadEventEnd,document.body.getAttribute('data-frames-drawn'),document.body.getAttribute('data-tree-rows')];})()",
    );
    println!("page {page}");
    println!(
        "  load: first paint {:.0} ms, first contentful paint {:.0} ms, DOMContentLoaded {:.0} ms, load {:.0} ms (open to load event over the protocol {load:.0} ms); {} marks drawn, {} tree rows",
        p[0].as_f64().unwrap_or(-1.0),
        p[1].as_f64().unwrap_or(-1.0),
        p[2].as_f64().unwrap_or(-1.0),
        p[3].as_f64().unwrap_or(-1.0),
        p[4].as_str().unwrap_or("?"),
        p[5].as_str().unwrap_or("?"),
    );
    if rounds == 0 {
        return;
    }
    println!(
        "  interaction, in the page (median / max ms), end to end with drawing (median / max ms), {rounds} rounds"
    );
    for (name, script) in IN_PAGE {
        reset(&mut b);
        if name.starts_with("pan") || name.starts_with("zoom out") {
            // Zoomed in first, so there is room to pan and to zoom out.
            for _ in 0..4 {
                b.eval("document.getElementById('zoom-in').click(); true");
            }
        }
        let inside: Vec<f64> = (0..rounds).map(|_| in_page(&mut b, script)).collect();
        let mut outside = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            match *name {
                "zoom in (wheel)" => b.wheel("#flame", -100.0),
                "zoom out (wheel)" => b.wheel("#flame", 100.0),
                "pan (drag 200 px)" => b.drag("#flame", -200.0),
                "hover (tooltip)" => {
                    let (x, y) = b.centre("#flame");
                    let dx = (outside.len() as f64 * 37.0) % 400.0 - 200.0;
                    b.mouse("mouseMoved", x + dx, y, serde_json::json!({}));
                }
                "unfold/fold a node" => b.click("#tree-body .tog[role=button]"),
                "expand all" => b.click("#tree-expand"),
                "collapse all" => b.click("#tree-collapse"),
                _ => {
                    b.eval(script);
                }
            }
            b.frame();
            outside.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (im, ix) = stats(inside);
        let (om, ox) = stats(outside);
        println!("  {name:<20} {im:>8.1} / {ix:>8.1}   {om:>8.1} / {ox:>8.1}");
    }
}
