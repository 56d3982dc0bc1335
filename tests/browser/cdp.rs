//! A small client of the Chrome DevTools Protocol over `--remote-debugging-pipe`: Chromium
//! reads commands from its fd 3 and writes replies and events to its fd 4, each a JSON
//! message ended by a NUL byte. No WebSocket and no port, so parallel tests cannot collide.
//! Used by tests/html.rs and by examples/html_timing.rs (scripts/html-timing.sh).
#![allow(dead_code)]

use serde_json::{Value, json};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long one reply or awaited event may take before the caller fails (a deadline, not a
/// measurement).
const DEADLINE: Duration = Duration::from_secs(60);

/// The flags of every headless Chromium run here: no sandbox, GPU, network or extension
/// that a test page does not need.
pub const HEADLESS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
];

/// A headless Chromium driven over the pipe, with one page attached.
pub struct Browser {
    child: Child,
    to: File,
    from: mpsc::Receiver<Value>,
    next: u64,
    session: Option<String>,
    /// Every event received, in order, as (method, params).
    pub events: Vec<(String, Value)>,
    _profile: tempfile::TempDir,
}

fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array we pass.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

impl Browser {
    /// Start `chrome` headless with a fresh profile, background networking off, and a
    /// 1300×1000 window.
    pub fn launch(chrome: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (cmd_r, cmd_w) = pipe();
        let (ev_r, ev_w) = pipe();
        let mut c = Command::new(chrome);
        c.args(HEADLESS)
            .args([
                "--hide-scrollbars",
                "--window-size=1300,1000",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: between fork and exec only async-signal-safe calls (fcntl, dup2). Both
        // ends are first copied above 9, so putting them on 3 and 4 cannot clobber either.
        unsafe {
            c.pre_exec(move || {
                let a = libc::fcntl(cmd_r, libc::F_DUPFD_CLOEXEC, 10);
                let b = libc::fcntl(ev_w, libc::F_DUPFD_CLOEXEC, 10);
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = c.spawn().expect("start chromium");
        // SAFETY: the child has its copies; these are ours and used nowhere else.
        let (to, from_file) = unsafe {
            libc::close(cmd_r);
            libc::close(ev_w);
            (File::from_raw_fd(cmd_w), File::from_raw_fd(ev_r))
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(from_file);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                    && tx.send(v).is_err()
                {
                    break;
                }
            }
        });
        Browser {
            child,
            to,
            from: rx,
            next: 0,
            session: None,
            events: Vec::new(),
            _profile: profile,
        }
    }

    fn send(&mut self, method: &str, params: Value) -> u64 {
        self.next += 1;
        let mut m = json!({"id": self.next, "method": method, "params": params});
        if let Some(s) = &self.session {
            m["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&m).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        self.next
    }

    /// Take the next message; events are recorded (a JavaScript dialog is recorded and
    /// dismissed, so a page that opens one cannot hang the caller).
    fn receive(&mut self) -> Value {
        let m = self
            .from
            .recv_timeout(DEADLINE)
            .expect("chromium did not answer in time");
        if let Some(method) = m["method"].as_str() {
            if method == "Page.javascriptDialogOpening" {
                self.send("Page.handleJavaScriptDialog", json!({"accept": false}));
            }
            self.events.push((method.to_string(), m["params"].clone()));
        }
        m
    }

    /// Call a method and return its result; a protocol error fails the caller.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params);
        loop {
            let m = self.receive();
            if m["id"].as_u64() == Some(id) {
                if let Some(e) = m.get("error") {
                    panic!("{method}: {e}");
                }
                return m["result"].clone();
            }
        }
    }

    /// Wait for an event `method` received after the first `from` events.
    pub fn wait_event(&mut self, method: &str, from: usize) -> Value {
        let mut seen = from;
        loop {
            if let Some((_, p)) = self.events[seen..].iter().find(|(m, _)| m == method) {
                return p.clone();
            }
            seen = self.events.len();
            self.receive();
        }
    }

    /// Open `url` in a new page that the following calls talk to, with the page, runtime,
    /// network and log domains reporting, and wait for its load event.
    pub fn open(&mut self, url: &str) {
        self.session = None;
        let t = self.call("Target.createTarget", json!({"url": "about:blank"}));
        let a = self.call(
            "Target.attachToTarget",
            json!({"targetId": t["targetId"], "flatten": true}),
        );
        self.session = a["sessionId"].as_str().map(str::to_string);
        for d in [
            "Page.enable",
            "Runtime.enable",
            "Network.enable",
            "Log.enable",
        ] {
            self.call(d, json!({}));
        }
        self.events.clear();
        self.navigate(url);
    }

    /// Navigate the page to `url` and wait for its load event.
    pub fn navigate(&mut self, url: &str) {
        let from = self.events.len();
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_event("Page.loadEventFired", from);
    }

    /// Evaluate `expr` in the page (promises awaited) and return its value; an exception
    /// fails the caller.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("evaluating {expr}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// The centre of the element `selector` in the viewport, scrolled into view first.
    pub fn centre(&mut self, selector: &str) -> (f64, f64) {
        let v = self.eval(&format!(
            "(function(){{var e=document.querySelector({}); if(!e) return null; e.scrollIntoView({{block:'center'}}); var r=e.getBoundingClientRect(); return [r.left+r.width/2, r.top+r.height/2];}})()",
            json!(selector)
        ));
        let a = v
            .as_array()
            .unwrap_or_else(|| panic!("no element {selector}"));
        (a[0].as_f64().unwrap(), a[1].as_f64().unwrap())
    }

    /// One `Input.dispatchMouseEvent` of type `kind` at (x, y), with `extra` parameters.
    pub fn mouse(&mut self, kind: &str, x: f64, y: f64, extra: Value) {
        let mut p = json!({"type": kind, "x": x, "y": y});
        if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.call("Input.dispatchMouseEvent", p);
    }

    /// A real left click (press and release) on the centre of `selector`.
    pub fn click(&mut self, selector: &str) {
        let (x, y) = self.centre(selector);
        let b = json!({"button": "left", "clickCount": 1, "buttons": 1});
        self.mouse("mousePressed", x, y, b.clone());
        self.mouse("mouseReleased", x, y, b);
    }

    /// A wheel turn over `selector` (negative `dy` zooms in on the timeline).
    pub fn wheel(&mut self, selector: &str, dy: f64) {
        let (x, y) = self.centre(selector);
        self.mouse("mouseWheel", x, y, json!({"deltaX": 0, "deltaY": dy}));
    }

    /// Drag from the centre of `selector` by `dx` pixels with the left button.
    pub fn drag(&mut self, selector: &str, dx: f64) {
        let (x, y) = self.centre(selector);
        let b = json!({"button": "left", "clickCount": 1, "buttons": 1});
        self.mouse("mousePressed", x, y, b.clone());
        self.mouse("mouseMoved", x + dx / 2.0, y, b.clone());
        self.mouse("mouseMoved", x + dx, y, b.clone());
        self.mouse("mouseReleased", x + dx, y, b);
    }

    /// Wait until the page has drawn a frame after everything done so far.
    pub fn frame(&mut self) {
        self.eval("new Promise(function(r){requestAnimationFrame(function(){requestAnimationFrame(function(){r(true)})})})");
    }

    /// What the page reported as errors: console errors, uncaught exceptions and log
    /// entries of level error (a blocked load is one).
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|(m, p)| match m.as_str() {
                "Runtime.consoleAPICalled" if p["type"] == "error" => Some(p["args"].to_string()),
                "Runtime.exceptionThrown" => Some(p["exceptionDetails"].to_string()),
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    Some(p["entry"]["text"].to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// The URLs the page requested, its own document excepted.
    pub fn requests(&self, page: &str) -> Vec<String> {
        self.events
            .iter()
            .filter(|(m, _)| m == "Network.requestWillBeSent")
            .filter_map(|(_, p)| p["request"]["url"].as_str())
            .filter(|u| u.split('#').next() != Some(page) && !u.starts_with("about:"))
            .map(str::to_string)
            .collect()
    }

    /// JavaScript dialogs (alert, confirm, prompt) the page opened.
    pub fn dialogs(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|(m, _)| m == "Page.javascriptDialogOpening")
            .map(|(_, p)| p["message"].to_string())
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
