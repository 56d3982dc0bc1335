//! The unified-diff writer: hunks with context, fed equal and changed spans in order.

use std::collections::VecDeque;
use std::io::{self, Write};

pub(super) fn lines(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    b.split_inclusive(|&c| c == b'\n')
}

fn put(w: &mut dyn Write, sign: u8, line: &[u8]) -> io::Result<()> {
    w.write_all(&[sign])?;
    w.write_all(line)?;
    if !line.ends_with(b"\n") {
        w.write_all(b"\n\\ No newline at end of file\n")?;
    }
    Ok(())
}

/// A streaming hunk builder: feed it equal and changed spans in order.
#[derive(Debug)]
pub struct Hunks {
    ctx: usize,
    before: VecDeque<Vec<u8>>,
    hunk: Vec<(u8, Vec<u8>)>,
    trailing: usize,
    old_line: u64,
    new_line: u64,
    start_old: u64,
    start_new: u64,
    /// Number of hunks written.
    pub count: u64,
}

impl Hunks {
    /// With `ctx` lines of context.
    pub fn new(ctx: usize) -> Self {
        Hunks {
            ctx,
            before: VecDeque::new(),
            hunk: Vec::new(),
            trailing: 0,
            old_line: 0,
            new_line: 0,
            start_old: 0,
            start_new: 0,
            count: 0,
        }
    }

    /// Equal text on both sides.
    pub fn same(&mut self, text: &[u8], w: &mut dyn Write) -> io::Result<()> {
        for l in lines(text) {
            self.old_line += 1;
            self.new_line += 1;
            if self.hunk.is_empty() {
                if self.ctx > 0 {
                    if self.before.len() == self.ctx {
                        self.before.pop_front();
                    }
                    self.before.push_back(l.to_vec());
                }
            } else {
                self.hunk.push((b' ', l.to_vec()));
                self.trailing += 1;
                if self.trailing > 2 * self.ctx {
                    self.flush(w)?;
                }
            }
        }
        Ok(())
    }

    /// A change: `old` replaced by `new`.
    pub fn change(&mut self, old: &[u8], new: &[u8], w: &mut dyn Write) -> io::Result<()> {
        let _ = w;
        if self.hunk.is_empty() {
            let n = self.before.len() as u64;
            self.start_old = self.old_line + 1 - n;
            self.start_new = self.new_line + 1 - n;
            for l in self.before.drain(..) {
                self.hunk.push((b' ', l));
            }
        }
        for l in lines(old) {
            self.old_line += 1;
            self.hunk.push((b'-', l.to_vec()));
        }
        for l in lines(new) {
            self.new_line += 1;
            self.hunk.push((b'+', l.to_vec()));
        }
        self.trailing = 0;
        Ok(())
    }

    fn flush(&mut self, w: &mut dyn Write) -> io::Result<()> {
        if self.hunk.is_empty() {
            return Ok(());
        }
        let extra = self.trailing.saturating_sub(self.ctx);
        let keep = self.hunk.len() - extra;
        let tail: Vec<(u8, Vec<u8>)> = self.hunk.drain(keep..).collect();
        let old_n = self.hunk.iter().filter(|(s, _)| *s != b'+').count();
        let new_n = self.hunk.iter().filter(|(s, _)| *s != b'-').count();
        let so = if old_n == 0 {
            self.start_old - 1
        } else {
            self.start_old
        };
        let sn = if new_n == 0 {
            self.start_new - 1
        } else {
            self.start_new
        };
        writeln!(w, "@@ -{so},{old_n} +{sn},{new_n} @@")?;
        for (s, l) in self.hunk.drain(..) {
            put(w, s, &l)?;
        }
        self.count += 1;
        self.trailing = 0;
        self.before.clear();
        let skip = tail.len().saturating_sub(self.ctx);
        for (_, l) in tail.into_iter().skip(skip) {
            self.before.push_back(l);
        }
        Ok(())
    }

    /// End of input.
    pub fn finish(&mut self, w: &mut dyn Write) -> io::Result<()> {
        self.flush(w)
    }
}

pub use super::lines::diff_lines;
