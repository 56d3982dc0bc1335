//! Preparation: the namespace stage that runs before a log is tracked. Every namespace a
//! log names outright anywhere is learned from the log's bytes before its first event is
//! tracked, so a package's frame is recognised even when its method is entered before the
//! package's first marker line, or the package is named only in the final limit block.
//!
//! What counts as naming a namespace (format.md §5.2):
//! - an `ENTERING_MANAGED_PKG|ns` marker line;
//! - a `LIMIT_USAGE_FOR_NS|ns|` limit block;
//! - a trigger typeRef `__sfdc_trigger/ns/Name`;
//! - an Aura/LWC controller `apex://ns.Class/ACTION$m`;
//! - a Visualforce page `/apex/ns__Page`;
//! - a namespaced limit exception `System.LimitException: ns:Too many …`.
//!
//! The stream driver ([`crate::stream`]) calls [`learn_namespaces`] for every input path
//! alike: a mapped file or an archive member as a whole, and each log of a pipe as a whole
//! (held up to [`crate::stream::LOG_HOLD`] bytes; past it, the part held so far).
//!
//! Learning more names than a log needs is safe (a name is only a namespace where a line's
//! own evidence points to it); learning fewer is what leaks package internals.

use crate::event::payload::limit;
use crate::event::payload::type_ref::{self, Needle};
use crate::namespace::{self, Namespaces};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::sync::OnceLock;

/// The needles, in the order [`learn_namespaces`] reads their matches.
const NEEDLES: [&[u8]; 6] = [
    b"|LIMIT_USAGE_FOR_NS|",
    b"|ENTERING_MANAGED_PKG|",
    b"__sfdc_trigger/",
    b"apex://",
    b"/apex/",
    b"System.LimitException: ",
];

fn searcher() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        // Six needles: the packed (Teddy) searcher reports the matches, so the automaton
        // behind it only needs to be cheap to build (a DFA costs more than a small log).
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(NEEDLES)
            .expect("literal needles")
    })
}

/// Buffers at least this large are searched in parallel parts (rayon), cut at line breaks.
const PARALLEL_MIN: usize = 8 << 20;

/// Learn every namespace that `buf` names outright (see the module docs).
pub fn learn_namespaces(buf: &[u8], ns: &mut Namespaces) {
    if buf.len() < PARALLEL_MIN {
        names_in(buf, &mut |n| {
            ns.learn(n);
        });
        return;
    }
    // Cut at line breaks (no needle spans one), search the parts at once, learn in order.
    let parts = rayon::current_num_threads().clamp(1, 8);
    let mut cuts = vec![0usize];
    for i in 1..parts {
        let at = (buf.len() / parts * i).max(*cuts.last().expect("cuts"));
        let nl = memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |p| at + p + 1);
        cuts.push(nl);
    }
    cuts.push(buf.len());
    use rayon::prelude::*;
    let found: Vec<Vec<Box<[u8]>>> = cuts
        .par_windows(2)
        .map(|w| {
            let mut v: Vec<Box<[u8]>> = Vec::new();
            names_in(&buf[w[0]..w[1]], &mut |n| {
                if !v.iter().any(|x| x.eq_ignore_ascii_case(n)) {
                    v.push(Box::from(n));
                }
            });
            v
        })
        .collect();
    for n in found.iter().flatten() {
        ns.learn(n);
    }
}

/// Call `learn` with every name `buf` names outright, skipping immediate repeats.
fn names_in<'b>(buf: &'b [u8], learn: &mut dyn FnMut(&'b [u8])) {
    // One name is usually repeated thousands of times: skip the learn when it is the last.
    let mut last: &[u8] = b"";
    for m in searcher().find_iter(buf) {
        let rest = &buf[m.end()..];
        let name: Option<&[u8]> = match m.pattern().as_usize() {
            0 => limit::namespace_after_needle(rest),
            1 => {
                let line_end = rest
                    .iter()
                    .take(256)
                    .position(|&c| c == b'\n' || c == b'\r')
                    .unwrap_or(rest.len().min(256));
                namespace::marker_name(&rest[..line_end])
            }
            2 => type_ref::after_needle(Needle::Trigger, rest),
            3 => type_ref::after_needle(Needle::Controller, rest),
            4 => type_ref::after_needle(Needle::Page, rest),
            _ => namespace::from_limit_message(&buf[m.start()..]),
        };
        if let Some(name) = name.filter(|n| namespace::is_ident(n))
            && name != last
        {
            learn(name);
            last = name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_every_outright_naming_anywhere() {
        let log = b"59.0 APEX_CODE,FINEST\n\
            12:00:00.0 (1)|METHOD_ENTRY|[1]|01p|acme.Api.run()\n\
            12:00:00.0 (2)|ENTERING_MANAGED_PKG|acme\n\
            12:00:00.0 (3)|LIMIT_USAGE_FOR_NS|beta|\n\
            12:00:00.0 (4)|ENTERING_MANAGED_PKG|\n\
            12:00:00.0 (5)|CODE_UNIT_STARTED|[EXTERNAL]|01q|__sfdc_trigger/trg/Inv\n\
            12:00:00.0 (6)|CODE_UNIT_STARTED|[EXTERNAL]|apex://aura.Ctl/ACTION$load\n\
            12:00:00.0 (7)|CODE_UNIT_STARTED|[EXTERNAL]|apex://NoNs/ACTION$load\n\
            12:00:00.0 (8)|CODE_UNIT_STARTED|[EXTERNAL]|VF: /apex/vfp__Setup\n\
            12:00:00.0 (9)|EXCEPTION_THROWN|[1]|System.LimitException: zed:Too many\n\
            12:00:00.0 (10)|USER_DEBUG|[1]|DEBUG|not a name: |LIMIT_USAGE_FOR_NS|(default)|\n";
        let mut ns = Namespaces::default();
        learn_namespaces(log, &mut ns);
        for n in ["acme", "beta", "trg", "aura", "vfp", "zed"] {
            assert!(ns.find_known(n.as_bytes()).is_some(), "{n}");
        }
        assert!(ns.find_known(b"NoNs").is_none());
        assert_eq!(ns.len(), 7, "default and six packages");
        // In parallel parts, the same names in the same order.
        let mut big = log.to_vec();
        while big.len() < PARALLEL_MIN + 1 {
            big.extend_from_slice(b"12:00:00.0 (11)|STATEMENT_EXECUTE|[1]\n");
        }
        big.extend_from_slice(b"12:00:00.0 (12)|ENTERING_MANAGED_PKG|late\n");
        let mut par = Namespaces::default();
        learn_namespaces(&big, &mut par);
        let names = |n: &Namespaces| n.iter().map(|(_, b)| b.to_vec()).collect::<Vec<_>>();
        ns.learn(b"late");
        assert_eq!(names(&par), names(&ns));
    }
}
