//! Folded stacks (`a;b;c <self nanos>`) from the tracker's closed frames, for flame graphs.
//!
//! Each closed frame contributes its self time to the path of frame names from the top
//! level down to it. A frame is named `ns:name` (`(default):CaseTrigger…`,
//! `E2CP:E2CP.ThreadMatcher.findParent(Case)`); `;` inside names becomes `,` and line
//! breaks become spaces, so every output line has exactly one stack.

use crate::input::Input;
use crate::namespace::Namespaces;
use crate::stream::{self, RunError};
use crate::track::{ClosedFrame, Tracker};
use std::collections::HashMap;

/// Longest frame name kept in a stack.
const NAME_CAP: usize = 200;

/// Aggregated folded stacks.
#[derive(Default, Debug)]
pub struct Folded {
    /// Logs the input held (see [`crate::stream::Summary::logs`]).
    pub logs: u64,
    /// Bytes read.
    pub bytes: u64,
    stacks: HashMap<Vec<u8>, u64>,
    buf: Vec<u8>,
    names: Vec<Vec<u8>>,
}

fn push_name(out: &mut Vec<u8>, ns: &[u8], name: &[u8]) {
    for part in [ns, b":".as_slice(), &name[..name.len().min(NAME_CAP)]] {
        for &c in part {
            out.push(match c {
                b';' => b',',
                b'\n' | b'\r' => b' ',
                c => c,
            });
        }
    }
}

impl Folded {
    /// Account for the frames the tracker just closed.
    pub fn closed(&mut self, t: &Tracker) {
        let closed: Vec<ClosedFrame<'_>> = t.closed().collect();
        if closed.is_empty() {
            return;
        }
        let ns = t.namespaces();
        // Frames below the shallowest closed frame are still open and unchanged.
        let base = closed.iter().map(|f| f.depth).min().unwrap_or(0) as usize;
        self.names.clear();
        for (_, fns, name) in t.open_frames().take(base) {
            let mut v = Vec::new();
            push_name(&mut v, ns.name(fns), name);
            self.names.push(v);
        }
        // `closed` is innermost first; walk outermost first so the path grows downwards.
        for f in closed.iter().rev() {
            let d = f.depth as usize;
            self.names.truncate(d.max(base).min(self.names.len()));
            let mut v = Vec::new();
            push_name(&mut v, ns.name(f.ns), f.name);
            self.names.push(v);
            self.add(f, ns);
        }
    }

    fn add(&mut self, f: &ClosedFrame<'_>, _ns: &Namespaces) {
        if f.self_time == 0 {
            return;
        }
        self.buf.clear();
        for (i, n) in self.names.iter().enumerate() {
            if i > 0 {
                self.buf.push(b';');
            }
            self.buf.extend_from_slice(n);
        }
        match self.stacks.get_mut(&self.buf[..]) {
            Some(v) => *v += f.self_time,
            None => {
                self.stacks.insert(self.buf.clone(), f.self_time);
            }
        }
    }

    /// The folded lines (`stack weight`), sorted by stack.
    pub fn lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .stacks
            .iter()
            .map(|(k, w)| format!("{} {w}", String::from_utf8_lossy(k)))
            .collect();
        v.sort();
        v
    }
}

/// Read `input` and fold its frames.
pub fn fold(input: &mut Input) -> Result<Folded, RunError> {
    let mut tracker = Tracker::new();
    let mut folded = Folded::default();
    /// The folder as a consumer of the run: it folds the frames a record or the end closed.
    struct Run<'a>(&'a mut Folded);
    impl stream::Sink for Run<'_> {
        fn item(&mut self, _: &stream::Item<'_>, _: &Tracker) -> std::io::Result<stream::Flow> {
            Ok(stream::Flow::Continue)
        }
        fn closed(
            &mut self,
            t: &Tracker,
            _: Option<&stream::Item<'_>>,
        ) -> std::io::Result<stream::Flow> {
            self.0.closed(t);
            Ok(stream::Flow::Continue)
        }
    }
    let summary = stream::drive(input, &mut tracker, stream::Threads::Auto, Run(&mut folded))?;
    folded.logs = summary.logs;
    folded.bytes = summary.bytes;
    Ok(folded)
}
