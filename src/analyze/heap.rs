//! Heap: the bytes of `HEAP_ALLOCATE`, `BULK_HEAP_ALLOCATE` and `HEAP_DEALLOCATE` events,
//! summed per open frame (self and total, with the running peak) and over the log, and the
//! `Maximum heap size` the limits blocks report.

use super::{Analyzer, Heap, HeapSummary, MethodRow, NsLimits};
use crate::event::payload::heap;
use crate::event::{Event, EventType};
use crate::namespace::NsId;
use crate::track::Tracker;

impl Heap {
    pub(super) fn add(&mut self, bytes: i64, own: bool) {
        let gross = bytes.max(0) as u64;
        if own {
            self.self_gross += gross;
            self.self_net += bytes;
        }
        self.total_gross += gross;
        self.total_net += bytes;
        self.peak = self.peak.max(self.total_net);
    }

    pub(super) fn merge(&mut self, o: &Heap) {
        self.self_gross += o.self_gross;
        self.self_net += o.self_net;
        self.total_gross += o.total_gross;
        self.total_net += o.total_net;
        self.peak = self.peak.max(o.peak);
    }
}

impl<'c> Analyzer<'c> {
    /// Account for the heap event `ev`, if it is one, in the frames open after it.
    pub(super) fn heap_item(&mut self, t: &Tracker, ev: &Event<'_>, ns: NsId) {
        self.sync_heap(t);
        match ev.etype() {
            EventType::HeapAllocate | EventType::BulkHeapAllocate => {
                if let Some(b) = heap::bytes(ev.first_line()) {
                    self.heap_event(b);
                    let (peak, ns) = (self.heap_log.peak, ns);
                    self.memory.after_heap_event(peak, ev.line, ns, t);
                }
            }
            EventType::HeapDeallocate => {
                if let Some(b) = heap::bytes(ev.first_line()) {
                    self.heap_event(-b);
                }
            }
            _ => {}
        }
    }

    /// Keep one heap accumulator per open frame.
    fn sync_heap(&mut self, t: &Tracker) {
        let d = t.depth() as usize;
        if self.heap_stack.len() > d {
            self.heap_stack.truncate(d);
        }
        while self.heap_stack.len() < d {
            self.heap_stack.push(Heap::default());
        }
    }

    /// A heap event of `bytes` (negative for deallocations), inside the open frames.
    fn heap_event(&mut self, bytes: i64) {
        self.heap_log.add(bytes, true);
        let n = self.heap_stack.len();
        for (i, h) in self.heap_stack.iter_mut().enumerate() {
            h.add(bytes, i + 1 == n);
        }
    }

    /// The heap of the frame at `depth`, which just closed.
    pub(super) fn frame_heap(&mut self, depth: u32) -> Heap {
        let d = depth as usize;
        let heap = self.heap_stack.get(d).copied().unwrap_or_default();
        if self.heap_stack.len() > d {
            self.heap_stack.truncate(d);
        }
        heap
    }

    /// The transaction's heap: the computed figures, and the larger of them and the
    /// reported one.
    /// The heap section; `methods` are all method rows (for the allocations per method).
    pub(super) fn finish_heap(
        &self,
        limits: &[NsLimits],
        methods: &[MethodRow],
        ns_name: &dyn Fn(NsId) -> String,
        hidden: &dyn Fn(NsId) -> bool,
    ) -> HeapSummary {
        let computed_peak = self.heap_log.peak.max(0) as u64;
        let reported = self.heap_reported;
        let used = computed_peak.max(reported.unwrap_or(0));
        HeapSummary {
            allocated_bytes: self.heap_log.total_gross,
            net_bytes: self.heap_log.total_net,
            computed_peak_bytes: computed_peak,
            reported_bytes: reported,
            used_bytes: used,
            source: if used == 0 && reported.is_none() {
                "none"
            } else if reported.is_some_and(|r| r >= computed_peak) {
                "limits"
            } else {
                "allocations"
            }
            .to_string(),
            peak_at: self.memory.peak_at(limits, ns_name, hidden),
            by_method: super::memory::by_method(methods, self.opts.top),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testlog::{json, report};
    use serde_json::json;

    const LOG: &str = "(100)|EXECUTION_STARTED
        (110)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
        (120)|METHOD_ENTRY|[1]|01p000000000002|Ledger.outer()
        (121)|HEAP_ALLOCATE|[3]|Bytes:100
        (130)|METHOD_ENTRY|[4]|01p000000000002|Ledger.inner()
        (131)|HEAP_ALLOCATE|[9]|Bytes:50
        (132)|HEAP_DEALLOCATE|[10]|Bytes:30
        (140)|METHOD_EXIT|[4]|01p000000000002|Ledger.inner()
        (150)|METHOD_EXIT|[1]|01p000000000002|Ledger.outer()
        (160)|CODE_UNIT_FINISHED|execute_anonymous_apex
        (170)|EXECUTION_FINISHED";

    #[test]
    fn per_frame_and_per_log() {
        let r = report(LOG);
        assert_eq!(
            json(&r.heap),
            json!({
                "allocated_bytes": 150, "net_bytes": 120, "computed_peak_bytes": 150,
                "reported_bytes": null, "used_bytes": 150, "source": "allocations",
                "peak_at": {"bytes": 150, "source": "allocations", "log_line": 7,
                            "namespace": "(default)", "method": "Ledger.inner()"},
                "by_method": [
                    {"namespace": "(default)", "name": "Ledger.outer()", "count": 1,
                     "self_bytes": 100, "total_bytes": 150, "peak_bytes": 150},
                    {"namespace": "(default)", "name": "Ledger.inner()", "count": 1,
                     "self_bytes": 50, "total_bytes": 50, "peak_bytes": 50}
                ]
            })
        );
        let outer = r
            .methods
            .iter()
            .find(|m| m.name == "Ledger.outer()")
            .unwrap();
        assert_eq!(
            json(&outer.heap),
            json!({"self_gross": 100, "self_net": 100, "total_gross": 150, "total_net": 120, "peak": 150})
        );
        let inner = r
            .methods
            .iter()
            .find(|m| m.name == "Ledger.inner()")
            .unwrap();
        assert_eq!(
            json(&inner.heap),
            json!({"self_gross": 50, "self_net": 20, "total_gross": 50, "total_net": 20, "peak": 50})
        );
    }
}
