//! The call tree (`--tree`): the first frames in log order, up to a depth and a line cap,
//! with their time and heap; hidden code shows as `(ns)`.

use super::namespaces::NsView;
use super::{Analyzer, Heap, Tree, TreeNode, lossy};
use crate::event::EventType;
use crate::namespace::{Namespaces, NsId};
use crate::track::ClosedFrame;

/// A kept frame. Ordered by log line first: the heap of kept frames drops the last ones.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct TreeRec {
    log_line: u64,
    depth: u32,
    entry: u16,
    ns: NsId,
    name: Box<[u8]>,
    total: u64,
    self_time: u64,
    estimated: bool,
    heap: Heap,
}

impl<'c> Analyzer<'c> {
    /// A closed frame, with its heap: kept if within the caps.
    pub(super) fn tree_frame(&mut self, f: &ClosedFrame<'_>, heap: Heap) {
        self.tree_frames += 1;
        if f.depth > self.opts.tree_depth {
            self.tree_omitted += 1;
            return;
        }
        let rec = TreeRec {
            log_line: f.log_line,
            depth: f.depth,
            entry: f.entry as u16,
            ns: f.ns,
            name: Box::from(&f.name[..f.name.len().min(300)]),
            total: f.total,
            self_time: f.self_time,
            estimated: f.estimated(),
            heap,
        };
        self.tree.push(rec);
        if self.tree.len() > self.opts.tree_lines {
            self.tree.pop();
            self.tree_omitted += 1;
        }
    }

    /// The tree, with `--tree`.
    pub(super) fn finish_tree(&mut self, nss: &Namespaces, vis: &NsView) -> Option<Tree> {
        let ns_name = |id: NsId| lossy(nss.name(id));
        self.opts.tree.then(|| {
            let recs = std::mem::take(&mut self.tree).into_sorted_vec();
            let mut nodes = Vec::with_capacity(recs.len());
            for r in recs {
                let hide = vis.hides(r.ns);
                let entry = crate::event::table::ALL
                    .get(r.entry as usize)
                    .copied()
                    .unwrap_or(EventType::Unknown);
                let visible_kind = matches!(
                    entry,
                    EventType::SoqlExecuteBegin
                        | EventType::DmlBegin
                        | EventType::SoslExecuteBegin
                        | EventType::CalloutRequest
                        | EventType::EnteringManagedPkg
                );
                nodes.push(TreeNode {
                    depth: r.depth,
                    kind: entry.name().unwrap_or("UNKNOWN").to_string(),
                    name: if hide && !visible_kind {
                        format!("({})", ns_name(r.ns))
                    } else {
                        lossy(&r.name)
                    },
                    namespace: ns_name(r.ns),
                    total_nanos: r.total,
                    self_nanos: r.self_time,
                    log_line: r.log_line,
                    estimated: r.estimated,
                    heap: r.heap,
                })
            }
            Tree {
                nodes,
                frames: self.tree_frames,
                omitted: self.tree_omitted,
                max_depth: self.opts.tree_depth,
                max_lines: self.opts.tree_lines,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Options;
    use super::super::testlog::{json, run};
    use serde_json::json;

    #[test]
    fn frames_in_log_order_within_the_depth_cap() {
        let opts = Options {
            tree: true,
            tree_depth: 2,
            ..Options::default()
        };
        let r = run(
            "(100)|EXECUTION_STARTED
             (110)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
             (120)|METHOD_ENTRY|[1]|01p000000000002|A.outer()
             (130)|METHOD_ENTRY|[4]|01p000000000002|A.inner()
             (140)|METHOD_EXIT|[4]|01p000000000002|A.inner()
             (150)|METHOD_EXIT|[1]|01p000000000002|A.outer()
             (160)|CODE_UNIT_FINISHED|execute_anonymous_apex
             (170)|EXECUTION_FINISHED",
            &opts,
        );
        let tree = r.tree.unwrap();
        assert_eq!((tree.frames, tree.omitted), (4, 1));
        let nodes: Vec<_> = tree
            .nodes
            .iter()
            .map(|n| {
                (
                    n.depth,
                    n.kind.as_str(),
                    n.name.as_str(),
                    n.total_nanos,
                    n.self_nanos,
                    n.log_line,
                )
            })
            .collect();
        assert_eq!(
            nodes,
            [
                (0, "EXECUTION_STARTED", "", 70, 20, 2),
                (1, "CODE_UNIT_STARTED", "execute_anonymous_apex", 50, 20, 3),
                (2, "METHOD_ENTRY", "A.outer()", 30, 20, 4),
            ]
        );
        assert_eq!(json(&tree.nodes[1].heap)["total_gross"], json!(0));
    }

    #[test]
    fn no_tree_without_the_option() {
        let r = run("(100)|EXECUTION_STARTED", &Options::default());
        assert!(r.tree.is_none());
    }
}
