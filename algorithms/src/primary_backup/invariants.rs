//! The safety of the view service, judged from every server's state (MIT
//! 6.824, spring 2013, lab 2 part A: the rules a view service keeps so that
//! a promoted backup always holds the state). The key-value service itself
//! is judged by the linearizability checker on the clients' history.

use super::{PbNode, View};
use faultline_sim::{Invariant, NodeId, WorldRef};
use std::collections::BTreeMap;

/// Names and descriptions, in checking order.
pub const INVARIANTS: [(&str, &str); 2] = [
    (
        "one_view_per_number",
        "A view number names one view: every server that knows view n agrees on its primary and backup, and the view service never issues a number twice (so at most one primary per view; 6.824 lab 2A).",
    ),
    (
        "acked_before_next",
        "The view service issues view n+1 only after the primary of view n acknowledged view n, so a primary that never took up its view (and never passed its state on) is never skipped (6.824 lab 2A).",
    ),
];

/// Every invariant, in [`INVARIANTS`] order.
pub fn boxed() -> Vec<Box<dyn Invariant<PbNode>>> {
    vec![
        Box::new(OneViewPerNumber::default()),
        Box::new(AckedBeforeNext::default()),
    ]
}

/// The live servers this event may have changed: the one it touched when
/// the kernel knows it, else all.
fn changed<'a>(world: &WorldRef<'a, PbNode>) -> impl Iterator<Item = (NodeId, &'a PbNode)> + 'a {
    let touched = world.touched();
    world
        .live_servers()
        .filter(move |(id, _)| touched.is_none_or(|t| t == *id))
}

#[derive(Clone, Default, Hash)]
struct OneViewPerNumber {
    /// Each view number seen, as first seen, and by whom.
    views: BTreeMap<u64, (NodeId, View)>,
    /// The view service's view number at the last check, and the highest
    /// it ever issued.
    service_last: u64,
    service_high: u64,
}

impl Invariant<PbNode> for OneViewPerNumber {
    fn name(&self) -> &str {
        INVARIANTS[0].0
    }
    fn description(&self) -> &str {
        INVARIANTS[0].1
    }
    fn check(&mut self, world: &WorldRef<'_, PbNode>) -> Result<(), String> {
        for (id, node) in changed(world) {
            let Some(view) = node.known_view() else {
                continue;
            };
            if view.num == 0 {
                continue;
            }
            if node.as_view_service().is_some() && view.num != self.service_last {
                if view.num <= self.service_high {
                    return Err(format!(
                        "the view service issued view {} again (it had issued up to view {}): {view}",
                        view.num, self.service_high
                    ));
                }
                self.service_last = view.num;
                self.service_high = view.num;
            }
            match self.views.get(&view.num) {
                Some((who, first)) if *first != view => {
                    return Err(format!(
                        "{id} knows {view}, but {who} knew it as {first}: two views with one number"
                    ));
                }
                Some(_) => {}
                None => {
                    self.views.insert(view.num, (id, view));
                }
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: each view number seen with its first view and knower, the
        // service's last and highest view number.
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<PbNode>> {
        Box::new(self.clone())
    }
}

#[derive(Clone, Default, Hash)]
struct AckedBeforeNext {
    /// The view service's view at the last check.
    last: View,
}

impl Invariant<PbNode> for AckedBeforeNext {
    fn name(&self) -> &str {
        INVARIANTS[1].0
    }
    fn description(&self) -> &str {
        INVARIANTS[1].1
    }
    fn check(&mut self, world: &WorldRef<'_, PbNode>) -> Result<(), String> {
        for (_, node) in changed(world) {
            let Some(service) = node.as_view_service() else {
                continue;
            };
            let now = service.view();
            let last = std::mem::replace(&mut self.last, now);
            if now.num <= last.num || last.num == 0 {
                continue;
            }
            let Some(primary) = last.primary else {
                continue;
            };
            if !world.durable(primary).acked_as_primary.contains(&last.num) {
                return Err(format!(
                    "the view service issued {now}, but {primary}, the primary of view {}, never acknowledged that view",
                    last.num
                ));
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: the view service's view at the last check.
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<PbNode>> {
        Box::new(self.clone())
    }
}
