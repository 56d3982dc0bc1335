//! A small client of Firefox's Marionette protocol: a TCP connection on which each message
//! is `LENGTH:JSON`; a command is `[0, id, name, params]` and its reply `[1, id, error,
//! result]`. Firefox is started headless with a fresh profile whose `user.js` asks for
//! port 0; it writes the port it chose to `MarionetteActivePort` in the profile, so
//! parallel runs cannot collide.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long Firefox may take to start or to answer one command (a deadline).
const DEADLINE: Duration = Duration::from_secs(90);

/// Preferences of the test profile: Marionette on a free port, and nothing that would
/// reach the network on its own (updates, telemetry, safe browsing, captive portal).
const USER_JS: &str = r#"user_pref("marionette.port", 0);
user_pref("app.update.auto", false);
user_pref("app.update.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("browser.newtabpage.enabled", false);
"#;

/// A headless Firefox with one WebDriver session.
pub struct Firefox {
    child: Child,
    conn: BufReader<TcpStream>,
    next: u64,
    _profile: tempfile::TempDir,
}

impl Firefox {
    /// Start `firefox` headless and open a session.
    pub fn launch(firefox: &Path) -> Firefox {
        let profile = tempfile::tempdir().unwrap();
        std::fs::write(profile.path().join("user.js"), USER_JS).unwrap();
        let child = Command::new(firefox)
            .args(["--headless", "--no-remote", "--marionette", "--profile"])
            .arg(profile.path())
            .arg("about:blank")
            .env("MOZ_HEADLESS", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start firefox");
        let port_file = profile.path().join("MarionetteActivePort");
        let start = Instant::now();
        let conn = loop {
            let port = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|s| s.trim().parse::<u16>().ok());
            if let Some(c) = port.and_then(|p| TcpStream::connect(("127.0.0.1", p)).ok()) {
                break c;
            }
            assert!(start.elapsed() < DEADLINE, "firefox: no Marionette port");
            std::thread::sleep(Duration::from_millis(100));
        };
        conn.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut ff = Firefox {
            child,
            conn: BufReader::new(conn),
            next: 0,
            _profile: profile,
        };
        let hello = ff.read();
        assert_eq!(hello["applicationType"], "gecko", "{hello}");
        ff.call("WebDriver:NewSession", json!({"capabilities": {}}));
        ff
    }

    fn read(&mut self) -> Value {
        let mut len = Vec::new();
        self.conn
            .read_until(b':', &mut len)
            .expect("read from firefox");
        len.pop();
        let n: usize = String::from_utf8_lossy(&len)
            .trim()
            .parse()
            .expect("a Marionette length");
        let mut buf = vec![0; n];
        self.conn.read_exact(&mut buf).expect("read from firefox");
        serde_json::from_slice(&buf).expect("Marionette JSON")
    }

    /// Send a command and return its result; an error fails the caller.
    pub fn call(&mut self, name: &str, params: Value) -> Value {
        self.next += 1;
        let msg = json!([0, self.next, name, params]).to_string();
        let framed = format!("{}:{msg}", msg.len());
        self.conn
            .get_mut()
            .write_all(framed.as_bytes())
            .expect("write to firefox");
        loop {
            let r = self.read();
            if r[0] == 1 && r[1].as_u64() == Some(self.next) {
                if !r[2].is_null() {
                    panic!("{name}: {}", r[2]);
                }
                return r[3].clone();
            }
        }
    }

    /// Load `url` and wait for it to finish loading.
    pub fn navigate(&mut self, url: &str) {
        self.call("WebDriver:Navigate", json!({ "url": url }));
    }

    /// Run `body` (a function body: `return …;`) in the page and return its value.
    pub fn eval(&mut self, body: &str) -> Value {
        self.call(
            "WebDriver:ExecuteScript",
            json!({"script": body, "args": []}),
        )["value"]
            .clone()
    }

    /// A real click on the first element matching `selector`.
    pub fn click(&mut self, selector: &str) {
        let e = self.call(
            "WebDriver:FindElement",
            json!({"using": "css selector", "value": selector}),
        );
        let id = e["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {selector}: {e}"))
            .to_string();
        self.call("WebDriver:ElementClick", json!({ "id": id }));
    }
}

impl Drop for Firefox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
