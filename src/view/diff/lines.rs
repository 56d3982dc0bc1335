//! The line diff of two files (the two-file `diff`): imara-diff's Myers in linear memory,
//! its hunks fed to the unified-diff writer.

use super::unified::{Hunks, lines};
use imara_diff::{Algorithm, Diff, InternedInput};
use std::io::{self, Write};

/// Diff `a` against `b` line by line and write the unified diff with `ctx` lines of
/// context to `w`; returns the number of hunks written.
pub fn diff_lines(a: &[u8], b: &[u8], w: &mut dyn Write, ctx: usize) -> io::Result<u64> {
    let input = InternedInput::new(a, b);
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let before: Vec<&[u8]> = lines(a).collect();
    let after: Vec<&[u8]> = lines(b).collect();
    let mut h = Hunks::new(ctx);
    let mut at = 0usize;
    for hunk in diff.hunks() {
        let (bs, be) = (hunk.before.start as usize, hunk.before.end as usize);
        let (as_, ae) = (hunk.after.start as usize, hunk.after.end as usize);
        for l in &before[at..bs] {
            h.same(l, w)?;
        }
        h.change(&before[bs..be].concat(), &after[as_..ae].concat(), w)?;
        at = be;
    }
    for l in &before[at..] {
        h.same(l, w)?;
    }
    h.finish(w)?;
    Ok(h.count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn myers_small() {
        let mut out = Vec::new();
        let n = diff_lines(b"a\nb\nc\nd\n", b"a\nx\nc\nd\ne\n", &mut out, 1).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(n, 1, "{s}");
        assert_eq!(s, "@@ -1,4 +1,5 @@\n a\n-b\n+x\n c\n d\n+e\n");
    }

    #[test]
    fn large_inputs_with_scattered_changes() {
        let a: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
        let b: String = (0..200_000)
            .map(|i| {
                if i % 1000 == 500 {
                    format!("changed {i}\n")
                } else {
                    format!("line {i}\n")
                }
            })
            .collect();
        let mut out = Vec::new();
        let n = diff_lines(a.as_bytes(), b.as_bytes(), &mut out, 3).unwrap();
        assert_eq!(n, 200);
        let text = String::from_utf8(out).unwrap();
        let removed: Vec<&str> = text.lines().filter(|l| l.starts_with('-')).collect();
        let added: Vec<&str> = text.lines().filter(|l| l.starts_with('+')).collect();
        assert_eq!(removed.len(), 200);
        assert_eq!(added.len(), 200);
        assert_eq!(removed[0], "-line 500");
        assert_eq!(added[199], "+changed 199500");
        assert!(
            text.starts_with("@@ -498,7 +498,7 @@\n line 497\n"),
            "{}",
            &text[..80]
        );
    }

    #[test]
    fn large_inputs_with_nothing_in_common() {
        let a: String = (0..100_000).map(|i| format!("a {i}\n")).collect();
        let b: String = (0..100_000).map(|i| format!("b {i}\n")).collect();
        let mut out = Vec::new();
        assert_eq!(
            diff_lines(a.as_bytes(), b.as_bytes(), &mut out, 3).unwrap(),
            1
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("@@ -1,100000 +1,100000 @@\n-a 0\n"));
        assert_eq!(text.lines().count(), 200_001);
    }
}
