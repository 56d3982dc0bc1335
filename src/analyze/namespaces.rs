//! Namespaces: self time and frames per namespace, `ENTERING_MANAGED_PKG` markers, which
//! namespaces the view hides, and which managed packages are opaque in this log
//! (`OPAQUE_PACKAGE`). [`NsAcc`] also holds the per-namespace figures of the limits and
//! statements analyses.

use super::findings::{Ctx, FindingAgg, FindingKey, Ident, Keep};
use super::limits::LimitAcc;
use super::{Analyzer, NsTime, Options, lossy};
use crate::event::EventType;
use crate::namespace::{Namespaces, NsId};
use crate::rules::Severity;
use crate::track::{CloseKind, ClosedFrame};

/// What one namespace adds up to.
#[derive(Clone, Debug, Default)]
pub(super) struct NsAcc {
    pub(super) self_time: u64,
    pub(super) frames: u64,
    pub(super) marker_lines: u64,
    pub(super) first_marker_line: u64,
    pub(super) runs: u64,
    pub(super) detail_events: u64,
    pub(super) limit_blocks: u64,
    pub(super) limits: Vec<LimitAcc>,
    /// This transaction: statements seen as events, per limit index.
    pub(super) tx_seen: [u64; 5],
    /// This transaction: statements seen only in limit-usage lines.
    pub(super) tx_added: [u64; 5],
    /// This transaction: the highest limits-block values.
    pub(super) tx_block: [Option<u64>; 5],
    /// Over the transactions: the highest limits-block values, summed.
    pub(super) block_sum: [Option<u64>; 5],
    /// Over the transactions: statements seen only in limit-usage lines.
    pub(super) added_sum: [u64; 5],
    /// Queries of custom metadata types (`__mdt`), which no SOQL limit counts.
    pub(super) mdt_queries: u64,
    /// DML on platform events (`Type:X__e`), counted as Publish Immediate DML instead.
    pub(super) event_dml: u64,
}

/// Events that only code running in a namespace writes: if a namespace has none of them,
/// its code is opaque in this log.
fn is_detail_event(t: EventType) -> bool {
    use EventType::*;
    matches!(
        t,
        StatementExecute
            | VariableAssignment
            | VariableScopeBegin
            | UserDebug
            | HeapAllocate
            | ExceptionThrown
            | SystemMethodEntry
            | SystemConstructorEntry
    )
}

/// A platform pseudo-namespace (`java__util`) or an empty marker: never a vendor's package.
fn is_platform_ns(name: &[u8]) -> bool {
    name.is_empty() || memchr::memmem::find(name, b"__").is_some()
}

/// Which namespaces the view hides, and which are opaque: hidden in this view, or package
/// runs with no internal detail in the log.
pub(super) struct NsView {
    hidden: Vec<bool>,
    opaque: Vec<bool>,
}

impl NsView {
    /// The view of `opts` over the namespaces `accs` describe (indexed by [`NsId`]).
    pub(super) fn new(opts: &Options, nss: &Namespaces, accs: &[NsAcc]) -> Self {
        // The same visibility the view stage applies (`--as` and `--own`).
        let vis = crate::view::Visibility::new(&opts.view, &opts.own);
        let hidden: Vec<bool> = (0..accs.len())
            .map(|i| {
                let id = NsId(i as u16);
                let name = nss.name(id);
                !id.is_default() && !is_platform_ns(name) && vis.hides(name)
            })
            .collect();
        let is_hidden = |id: NsId| hidden.get(id.0 as usize).copied().unwrap_or(false);
        let opaque: Vec<bool> = accs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let id = NsId(i as u16);
                let name = nss.name(id);
                !id.is_default()
                    && !is_platform_ns(name)
                    && (a.marker_lines > 0 || a.frames > 0 || a.limit_blocks > 0)
                    && (is_hidden(id) || (a.marker_lines > 0 && a.detail_events == 0))
                    && (a.marker_lines > 0 || a.frames > 0)
            })
            .collect();

        NsView { hidden, opaque }
    }

    /// The view hides the code of `id`.
    pub(super) fn hides(&self, id: NsId) -> bool {
        self.hidden.get(id.0 as usize).copied().unwrap_or(false)
    }

    /// The namespace of index `i` is opaque.
    pub(super) fn opaque(&self, i: usize) -> bool {
        self.opaque.get(i).copied().unwrap_or(false)
    }

    /// The names of the hidden namespaces, in id order.
    pub(super) fn hidden_names(&self, nss: &Namespaces) -> Vec<String> {
        (0..self.hidden.len())
            .filter(|&i| self.hidden[i])
            .map(|i| lossy(nss.name(NsId(i as u16))))
            .collect()
    }
}

impl<'c> Analyzer<'c> {
    pub(super) fn ns_acc(&mut self, ns: NsId) -> &mut NsAcc {
        let i = ns.0 as usize;
        if i >= self.ns.len() {
            self.ns.resize_with(i + 1, NsAcc::default);
        }
        &mut self.ns[i]
    }

    /// Count a package marker or a detail event of the namespace `ns`.
    pub(super) fn ns_event(&mut self, ns: NsId, et: EventType, line: u64) {
        if !ns.is_default() {
            if et == EventType::EnteringManagedPkg {
                let acc = self.ns_acc(ns);
                acc.marker_lines += 1;
                if acc.first_marker_line == 0 {
                    acc.first_marker_line = line;
                }
            } else if is_detail_event(et) {
                self.ns_acc(ns).detail_events += 1;
            }
        }
    }

    /// A closed frame: its self time counts for its namespace.
    pub(super) fn ns_frame(&mut self, f: &ClosedFrame<'_>) {
        let acc = self.ns_acc(f.ns);
        acc.self_time += f.self_time;
        acc.frames += 1;
        if f.how == CloseKind::PackageRun {
            acc.runs += 1;
        }
    }

    /// `OPAQUE_PACKAGE`: one finding per opaque namespace.
    pub(super) fn opaque_findings(&mut self, nss: &Namespaces, vis: &NsView) {
        let ns_name = |id: NsId| lossy(nss.name(id));
        for (i, a) in self.ns.iter().enumerate() {
            if !vis.opaque(i) {
                continue;
            }
            let id = NsId(i as u16);
            let name = ns_name(id);
            let line = if a.first_marker_line > 0 {
                a.first_marker_line
            } else {
                1
            };
            let why = if vis.hides(id) {
                format!("this {} view hides its code", self.opts.view)
            } else {
                "the log shows only ENTERING_MANAGED_PKG markers for it".to_string()
            };
            let msg = format!(
                "managed package {name} is opaque ({} package run(s), {} marker line(s); {why}): \
                 errors handled inside it do not show here; ask the vendor of {name} for a \
                 Login Access capture of the same operation",
                a.runs, a.marker_lines
            );
            self.findings.insert(
                FindingKey {
                    id: Ident::Native("OPAQUE_PACKAGE"),
                    ctx: Ctx::of_ns(id),
                    extra: 0,
                },
                FindingAgg {
                    severity: Severity::Info,
                    message: msg,
                    first_line: line,
                    last_line: line,
                    count: a.runs.max(1),
                    uncaught: None,
                    fatal_line: None,
                    keep_if_hidden: Keep::AsIs,
                    pct: None,
                    detail: None,
                },
            );
        }
    }

    /// Self time per namespace, most first.
    pub(super) fn finish_namespaces(&self, nss: &Namespaces, vis: &NsView) -> Vec<NsTime> {
        let ns_name = |id: NsId| lossy(nss.name(id));
        let mut namespaces: Vec<NsTime> = self
            .ns
            .iter()
            .enumerate()
            .filter(|(i, a)| *i == 0 || a.frames > 0 || a.marker_lines > 0)
            .map(|(i, a)| NsTime {
                namespace: ns_name(NsId(i as u16)),
                self_nanos: a.self_time,
                frames: a.frames,
                package_marker_lines: a.marker_lines,
                opaque: vis.opaque(i),
            })
            .collect();
        namespaces.sort_by_key(|n| std::cmp::Reverse(n.self_nanos));
        namespaces
    }
}

#[cfg(test)]
mod tests {
    use super::super::Options;
    use super::super::testlog::{json, report, run};
    use crate::view::ViewSpec;
    use serde_json::json;

    const LOG: &str = "(100)|EXECUTION_STARTED
        (110)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
        (120)|METHOD_ENTRY|[1]|01p000000000001|acme.Billing.post()
        (130)|ENTERING_MANAGED_PKG|acme
        (140)|ENTERING_MANAGED_PKG|acme
        (160)|METHOD_EXIT|[1]|01p000000000001|acme.Billing.post()
        (180)|CODE_UNIT_FINISHED|execute_anonymous_apex
        (190)|EXECUTION_FINISHED";

    #[test]
    fn time_per_namespace_and_an_opaque_package() {
        let r = report(LOG);
        assert_eq!(
            json(&r.namespaces),
            json!([
                {"namespace": "(default)", "self_nanos": 50, "frames": 2, "package_marker_lines": 0, "opaque": false},
                {"namespace": "acme", "self_nanos": 40, "frames": 2, "package_marker_lines": 2, "opaque": true}
            ])
        );
        let f = r
            .findings
            .iter()
            .find(|f| f.id == "OPAQUE_PACKAGE")
            .unwrap();
        assert_eq!((f.namespace.as_str(), f.log_line, f.count), ("acme", 5, 1));
        assert_eq!(
            f.message,
            "managed package acme is opaque (1 package run(s), 2 marker line(s); the log shows \
             only ENTERING_MANAGED_PKG markers for it): errors handled inside it do not show \
             here; ask the vendor of acme for a Login Access capture of the same operation"
        );
        assert!(r.hidden_namespaces.is_empty());
    }

    #[test]
    fn the_subscriber_view_hides_package_code() {
        let opts = Options {
            view: ViewSpec::Subscriber,
            ..Options::default()
        };
        let r = run(LOG, &opts);
        assert_eq!(r.hidden_namespaces, ["acme"]);
        let names: Vec<_> = r.methods.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["execute_anonymous_apex", "(acme)"]);
    }
}
