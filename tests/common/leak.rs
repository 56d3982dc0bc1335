//! The independent leak checker: it does not use dbglog's tracker or policy, but parses the
//! full log with its own simple rules (namespaces from ENTERING_MANAGED_PKG /
//! LIMIT_USAGE_FOR_NS lines, a method stack of its own) and collects what must not appear
//! in a subscriber view: internal method names of hidden namespaces, their debug texts,
//! their `Class.ns.` stack frames and the exceptions they throw. Then it greps the view's
//! output (tests/view.rs) or a report's text (tests/html.rs).

use std::collections::HashSet;

#[derive(Default, Debug)]
pub struct Forbidden {
    /// Hidden namespaces (their `Class.ns.` and `Trigger.ns.` frames must not appear).
    pub namespaces: HashSet<String>,
    /// Internal methods of hidden namespaces.
    pub methods: HashSet<String>,
    /// Debug texts written inside hidden code.
    pub debugs: HashSet<String>,
    /// The stamps of exceptions thrown inside hidden code.
    pub exceptions: HashSet<String>,
}

struct Frame {
    unit: bool,
    hidden: bool,
    src: String,
}

/// What must not appear in a view of `full` that hides every namespace but `own`.
pub fn collect_forbidden(full: &str, own: &[&str]) -> Forbidden {
    let mut known: HashSet<String> = HashSet::new();
    for line in full.lines() {
        for tag in ["|ENTERING_MANAGED_PKG|", "|LIMIT_USAGE_FOR_NS|"] {
            if let Some(p) = line.find(tag) {
                let rest = &line[p + tag.len()..];
                let name = rest.split('|').next().unwrap_or("");
                if !name.is_empty() && name != "(default)" {
                    known.insert(name.to_string());
                }
            }
        }
    }
    let hides = |ns: &str| known.contains(ns) && !ns.contains("__") && !own.contains(&ns);
    let ns_of_sig = |sig: &str| -> Option<String> {
        let path = sig.split('(').next().unwrap_or("");
        let segs: Vec<&str> = path.split('.').collect();
        (segs.len() >= 3 && known.contains(segs[0])).then(|| segs[0].to_string())
    };
    let mut f = Forbidden::default();
    let mut allowed: HashSet<String> = HashSet::new();
    let mut visible_debugs: HashSet<String> = HashSet::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut lines = full.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(bar) = line.find(")|").or_else(|| {
            // old logs without nanos: `12:00:00.026|TYPE`
            (line.len() > 12 && line.as_bytes()[2] == b':')
                .then(|| line.find('|').map(|p| p - 1))
                .flatten()
        }) else {
            continue;
        };
        let rest = &line[bar + 2..];
        let parts: Vec<&str> = rest.split('|').collect();
        let top_hidden = stack.last().is_some_and(|f| f.hidden);
        match parts[0] {
            "EXECUTION_STARTED" => stack.clear(),
            "CODE_UNIT_STARTED" => {
                let hidden = parts.iter().any(|p| {
                    p.strip_prefix("__sfdc_trigger/")
                        .and_then(|r| r.split('/').next().filter(|_| r.contains('/')))
                        .is_some_and(hides)
                });
                stack.push(Frame {
                    unit: true,
                    hidden,
                    src: String::new(),
                });
            }
            "CODE_UNIT_FINISHED" => {
                if let Some(i) = stack.iter().rposition(|f| f.unit) {
                    stack.truncate(i);
                }
            }
            "METHOD_ENTRY" | "CONSTRUCTOR_ENTRY" => {
                let src = parts.get(1).copied().unwrap_or("").to_string();
                let class_id = parts.get(2).copied().unwrap_or("");
                let sig = if parts[0] == "METHOD_ENTRY" {
                    parts.get(3)
                } else {
                    parts.get(4)
                }
                .copied()
                .unwrap_or("");
                let ns = if parts[0] == "CONSTRUCTOR_ENTRY" {
                    sig.split_once('/')
                        .map(|(n, _)| n.to_string())
                        .or_else(|| ns_of_sig(sig))
                } else {
                    ns_of_sig(sig)
                };
                let hidden = match &ns {
                    Some(n) => hides(n),
                    None if class_id.is_empty() => top_hidden,
                    None => false,
                };
                if hidden && parts[0] == "METHOD_ENTRY" {
                    let path = sig.split('(').next().unwrap_or("");
                    let segs: Vec<&str> = path.split('.').collect();
                    if segs.len() >= 3 {
                        let name = segs[1..].join(".");
                        if top_hidden {
                            f.methods.insert(name);
                        } else {
                            allowed.insert(name);
                        }
                    }
                }
                stack.push(Frame {
                    unit: false,
                    hidden,
                    src,
                });
            }
            "METHOD_EXIT" | "CONSTRUCTOR_EXIT" => {
                let src = parts.get(1).copied().unwrap_or("");
                if let Some(i) = stack.iter().rposition(|f| !f.unit && f.src == src) {
                    stack.truncate(i);
                }
            }
            t if t.starts_with("USER_DEBUG") => {
                let mut text = parts.get(3..).map(|p| p.join("|")).unwrap_or_default();
                while let Some(next) = lines.peek() {
                    if next.len() > 12 && next.as_bytes()[2] == b':' && next.contains('|') {
                        break;
                    }
                    text.push('\n');
                    text.push_str(next);
                    lines.next();
                }
                let first = text.lines().next().unwrap_or("").to_string();
                if top_hidden {
                    if first.len() >= 6 {
                        f.debugs.insert(first);
                    }
                } else {
                    visible_debugs.insert(first);
                }
            }
            "EXCEPTION_THROWN" if top_hidden => {
                f.exceptions
                    .insert(line[..bar + 2].to_string() + "EXCEPTION_THROWN");
            }
            _ => {}
        }
    }
    for n in &known {
        if hides(n) {
            f.namespaces.insert(n.clone());
        }
    }
    f.methods.retain(|m| !allowed.contains(m));
    f.debugs.retain(|d| !visible_debugs.contains(d));
    f
}

/// Fail if `view` shows anything of `full` that the view hides (everything but `own`).
#[track_caller]
pub fn assert_no_leak(name: &str, full: &[u8], view: &[u8], own: &[&str]) {
    let full = String::from_utf8_lossy(full);
    let view = String::from_utf8_lossy(view);
    let f = collect_forbidden(&full, own);
    for ns in &f.namespaces {
        for pre in ["Class.", "Trigger."] {
            let frame = format!("{pre}{ns}.");
            assert!(
                !view.contains(&frame),
                "{name}: view leaks stack frame {frame}"
            );
        }
    }
    for m in &f.methods {
        assert!(
            !view.contains(m.as_str()),
            "{name}: view leaks hidden method {m}"
        );
    }
    for d in &f.debugs {
        assert!(
            !view.contains(d.as_str()),
            "{name}: view leaks hidden debug text {d:?}"
        );
    }
    for e in &f.exceptions {
        assert!(
            !view.contains(e.as_str()),
            "{name}: view keeps hidden exception {e}"
        );
    }
}
