//! Methods: calls, total and self time and heap of each method, constructor and code unit,
//! and the top ones by self time (hidden code aggregated under `(ns)`).

use super::namespaces::NsView;
use super::{Analyzer, Heap, MethodRow, lossy};
use crate::namespace::{Namespaces, NsId};
use crate::track::ClosedFrame;
use std::collections::HashMap;

/// Calls, time and heap of the frames of one name.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct MethodStat {
    ns: NsId,
    count: u64,
    total: u64,
    self_time: u64,
    heap: Heap,
}

impl<'c> Analyzer<'c> {
    /// A closed method, constructor or code unit frame, with its heap.
    pub(super) fn method_frame(&mut self, f: &ClosedFrame<'_>, heap: &Heap) {
        let id = self.names.id(f.name);
        let m = self.methods.entry(id).or_insert(MethodStat {
            ns: f.ns,
            ..Default::default()
        });
        m.count += 1;
        m.total += f.total;
        m.self_time += f.self_time;
        m.heap.merge(heap);
    }

    /// Every method row, by self time (hidden code aggregated under `(ns)`); [`top`] keeps
    /// the first N.
    pub(super) fn finish_methods(&self, nss: &Namespaces, vis: &NsView) -> Vec<MethodRow> {
        let ns_name = |id: NsId| lossy(nss.name(id));
        let mut by_name: HashMap<(NsId, Option<u32>), MethodStat> = HashMap::new();
        for (id, m) in &self.methods {
            let key = if vis.hides(m.ns) {
                (m.ns, None)
            } else {
                (m.ns, Some(*id))
            };
            let e = by_name.entry(key).or_insert(MethodStat {
                ns: m.ns,
                ..Default::default()
            });
            e.count += m.count;
            e.total += m.total;
            e.self_time += m.self_time;
            e.heap.merge(&m.heap);
        }
        let mut methods: Vec<MethodRow> = by_name
            .into_iter()
            .map(|((ns, id), m)| MethodRow {
                namespace: ns_name(ns),
                name: match id {
                    Some(id) => lossy(self.names.name(id)),
                    None => format!("({})", ns_name(ns)),
                },
                count: m.count,
                total_nanos: m.total,
                self_nanos: m.self_time,
                heap: m.heap,
            })
            .collect();
        methods.sort_by(|a, b| {
            b.self_nanos
                .cmp(&a.self_nanos)
                .then(b.count.cmp(&a.count))
                .then(a.name.cmp(&b.name))
        });
        methods
    }
}

/// The first `n` of the method rows (they come sorted by self time).
pub(super) fn top(mut methods: Vec<MethodRow>, n: usize) -> Vec<MethodRow> {
    methods.truncate(n);
    methods
}

#[cfg(test)]
mod tests {
    use super::super::testlog::report;

    #[test]
    fn self_and_total_time_by_method() {
        let r = report(
            "(100)|EXECUTION_STARTED
             (110)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
             (120)|METHOD_ENTRY|[1]|01p000000000002|A.outer()
             (130)|METHOD_ENTRY|[4]|01p000000000002|A.inner()
             (140)|METHOD_EXIT|[4]|01p000000000002|A.inner()
             (145)|METHOD_ENTRY|[5]|01p000000000002|A.inner()
             (165)|METHOD_EXIT|[5]|01p000000000002|A.inner()
             (170)|METHOD_EXIT|[1]|01p000000000002|A.outer()
             (180)|CODE_UNIT_FINISHED|execute_anonymous_apex
             (190)|EXECUTION_FINISHED",
        );
        let rows: Vec<_> = r
            .methods
            .iter()
            .map(|m| {
                (
                    m.name.as_str(),
                    m.namespace.as_str(),
                    m.count,
                    m.total_nanos,
                    m.self_nanos,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("A.inner()", "(default)", 2, 30, 30),
                ("A.outer()", "(default)", 1, 50, 20),
                ("execute_anonymous_apex", "(default)", 1, 70, 20),
            ]
        );
    }
}
