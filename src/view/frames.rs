//! Stack frames of hidden namespaces in visible text: `Class.ns.X.y: line 88, column 1`
//! (FATAL_ERROR stacks, `caused by:` text, CUMULATIVE_PROFILING locations) become `(ns)`,
//! as the platform writes them in a subscriber's log (format.md M10). Consecutive lines
//! that become the same `(ns)` collapse into one.

use crate::event::payload::frame;
use crate::event::payload::is_ident_byte;
use memchr::memmem;
use std::sync::OnceLock;

fn finders() -> &'static (memmem::Finder<'static>, memmem::Finder<'static>) {
    static F: OnceLock<(memmem::Finder<'static>, memmem::Finder<'static>)> = OnceLock::new();
    F.get_or_init(|| {
        (
            memmem::Finder::new(b"Class."),
            memmem::Finder::new(b"Trigger."),
        )
    })
}

/// Cheap test: could `text` contain a stack frame at all (`Class.` or `Trigger.`)? Looks
/// only at the dots (memchr), which is far cheaper on short records than a multi-pattern
/// search with its per-call setup.
#[inline]
pub fn may_contain_frame(text: &[u8]) -> bool {
    memchr::memchr_iter(b'.', text).any(|p| {
        let before = &text[..p];
        before.ends_with(b"Class") || before.ends_with(b"Trigger")
    })
}

/// A hidden frame found at `start` of `line` (its prefix `prefix_len` bytes long): (end of
/// the frame, namespace range). The frame's grammar is [`crate::event::payload::frame`]; a
/// frame only starts where no name runs into it (`MyClass.ns.x` is none).
fn frame_at(
    line: &[u8],
    start: usize,
    prefix_len: usize,
    hides: &dyn Fn(&[u8]) -> bool,
) -> Option<(usize, usize, usize)> {
    if start > 0 {
        let p = line[start - 1];
        if is_ident_byte(p) || p == b'.' {
            return None;
        }
    }
    let (_, ns, len) = frame::namespaced(&line[start..])?;
    if !hides(ns) {
        return None;
    }
    // `ns` follows the `Class.` or `Trigger.` prefix.
    let ns_start = start + prefix_len;
    Some((start + len, ns_start, ns_start + ns.len()))
}

/// Rewrite hidden frames in `text` into `out`. `hides` says whether a name is a hidden
/// namespace. Each replaced frame is passed to `seen` (for the diff). Returns true if
/// anything changed (otherwise `out` holds a copy of `text`).
pub fn rewrite(
    text: &[u8],
    hides: &dyn Fn(&[u8]) -> bool,
    out: &mut Vec<u8>,
    seen: &mut dyn FnMut(&[u8], &[u8]),
) -> bool {
    let (cf, tf) = finders();
    let mut changed = false;
    let mut prev_line_marker: Option<(usize, usize)> = None; // range in out of the previous `(ns)` line
    let mut rest = text;
    while !rest.is_empty() {
        let (line, term) = match memchr::memchr(b'\n', rest) {
            Some(n) => {
                let body_end = if n > 0 && rest[n - 1] == b'\r' {
                    n - 1
                } else {
                    n
                };
                (&rest[..body_end], &rest[body_end..n + 1])
            }
            None => (rest, &rest[rest.len()..]),
        };
        let consumed = line.len() + term.len();
        let line_start = out.len();
        let mut pos = 0;
        let mut line_changed = false;
        loop {
            let a = cf.find(&line[pos..]).map(|p| (pos + p, 6));
            let b = tf.find(&line[pos..]).map(|p| (pos + p, 8));
            let hit = match (a, b) {
                (Some(x), Some(y)) => Some(if x.0 <= y.0 { x } else { y }),
                (x, y) => x.or(y),
            };
            let Some((at, plen)) = hit else { break };
            match frame_at(line, at, plen, hides) {
                Some((end, ns_s, ns_e)) => {
                    out.extend_from_slice(&line[pos..at]);
                    seen(&line[ns_s..ns_e], &line[at..end]);
                    out.push(b'(');
                    out.extend_from_slice(&line[ns_s..ns_e]);
                    out.push(b')');
                    pos = end;
                    line_changed = true;
                }
                None => {
                    out.extend_from_slice(&line[pos..at + plen]);
                    pos = at + plen;
                }
            }
        }
        out.extend_from_slice(&line[pos..]);
        if line_changed {
            changed = true;
            let new_line = line_start..out.len();
            let is_marker = out[new_line.clone()].first() == Some(&b'(')
                && out[new_line.clone()].last() == Some(&b')')
                && !out[new_line.start + 1..new_line.end].contains(&b'(');
            if is_marker {
                if let Some((ps, pe)) = prev_line_marker
                    && out[ps..pe] == out[new_line.clone()]
                {
                    // Same `(ns)` as the line before: collapse.
                    out.truncate(line_start);
                    rest = &rest[consumed..];
                    continue;
                }
                prev_line_marker = Some((new_line.start, new_line.end));
            } else {
                prev_line_marker = None;
            }
        } else {
            prev_line_marker = None;
        }
        out.extend_from_slice(term);
        rest = &rest[consumed..];
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(s: &str) -> (String, Vec<String>) {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        rewrite(
            s.as_bytes(),
            &|n: &[u8]| n == b"E2CP",
            &mut out,
            &mut |_ns: &[u8], f: &[u8]| seen.push(String::from_utf8_lossy(f).into_owned()),
        );
        (String::from_utf8(out).unwrap(), seen)
    }

    #[test]
    fn the_precheck_finds_every_frame_prefix() {
        for yes in [
            "Class.a",
            "x Trigger.T",
            "caused by: Class.ns.X.y: line 1",
            "...Class.",
        ] {
            assert!(may_contain_frame(yes.as_bytes()), "{yes}");
        }
        for no in ["", "Class", "a.b.c", "Classes.x", "Trigger", ".Class"] {
            assert!(!may_contain_frame(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn stacks_collapse() {
        let (o, seen) = rw(
            "msg\n\nClass.E2CP.ThreadMatcher.findParent: line 88, column 1\nClass.E2CP.CaseCreationHandler.handleBeforeInsert: line 61, column 1\nTrigger.CaseTrigger: line 3, column 1\n",
        );
        assert_eq!(o, "msg\n\n(E2CP)\nTrigger.CaseTrigger: line 3, column 1\n");
        assert_eq!(seen.len(), 2);
        assert_eq!(
            seen[0],
            "Class.E2CP.ThreadMatcher.findParent: line 88, column 1"
        );
    }

    #[test]
    fn profiling_and_inline() {
        let (o, _) = rw(
            "Class.E2CP.SettingsService.current: line 23, column 1: [SELECT Id FROM X]: executed 1 time in 2 ms",
        );
        assert_eq!(o, "(E2CP): [SELECT Id FROM X]: executed 1 time in 2 ms");
        let (o, _) = rw("Class.Other.run: line 1, column 1\r\nMyClass.E2CP.x\r\n");
        assert_eq!(o, "Class.Other.run: line 1, column 1\r\nMyClass.E2CP.x\r\n");
    }
}
