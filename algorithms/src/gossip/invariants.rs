//! The promises of gossip broadcast, one function each.

use super::GossipNode;
use crate::family::kv::{KvInput, KvOutput};
use faultline_sim::{Invariant, Outcome, SimTime, WorldRef};
use std::collections::BTreeSet;
use std::time::Duration;

/// Names and descriptions, for `faultline list`.
pub const INVARIANTS: [(&str, &str); 2] = [
    (
        "acked_values_survive",
        "Every value acknowledged to a client is in some server's durable store or in the memory of a server that is up.",
    ),
    (
        "convergence",
        "At the end of the run every server that is up holds every value acknowledged at least `settle_time` before the end.",
    ),
];

/// All invariants, boxed for the kernel. Convergence gives gossip
/// `settle_time` to spread values acknowledged near the end of the run.
pub fn boxed(settle_time: Duration) -> Vec<Box<dyn Invariant<GossipNode>>> {
    vec![
        Box::new(AckedValuesSurvive::default()),
        Box::new(Convergence { settle_time }),
    ]
}

/// Values acknowledged to clients no later than `until`.
fn acked_values<'a>(
    world: &WorldRef<'a, GossipNode>,
    until: SimTime,
) -> impl Iterator<Item = &'a str> + 'a {
    world
        .history()
        .iter()
        .filter_map(move |op| match (&op.input, &op.outcome) {
            (
                KvInput::Put { value, .. } | KvInput::Append { value, .. },
                Outcome::Ok(KvOutput::Written),
            ) if op.ret.is_some_and(|ret| ret <= until.0) => Some(value.as_str()),
            _ => None,
        })
}

/// See [`INVARIANTS`]: an acknowledged value is never lost.
///
/// Servers only ever add to their durable stores, so a value once found on
/// a disk is safe for the rest of the run. The check remembers how far
/// into the history every operation is settled (finished, and on a disk
/// if it was an acknowledged write) and looks only at the operations after
/// that, so its cost per event follows the values still in flight rather
/// than every value ever acknowledged.
#[derive(Clone, Default, Hash)]
struct AckedValuesSurvive {
    /// Every operation before this index of the history is settled.
    settled: usize,
}

impl Invariant<GossipNode> for AckedValuesSurvive {
    fn name(&self) -> &str {
        INVARIANTS[0].0
    }
    fn description(&self) -> &str {
        INVARIANTS[0].1
    }
    fn check(&mut self, world: &WorldRef<'_, GossipNode>) -> Result<(), String> {
        let history = world.history();
        let mut all_settled = true;
        for (index, op) in history.iter().enumerate().skip(self.settled) {
            let settled = match (&op.input, &op.outcome) {
                (
                    KvInput::Put { value, .. } | KvInput::Append { value, .. },
                    Outcome::Ok(KvOutput::Written),
                ) => {
                    if world
                        .servers()
                        .any(|id| world.durable(id).contains(value.as_str()))
                    {
                        true
                    } else if world.live_servers().any(|(_, node)| {
                        node.as_server()
                            .is_some_and(|s| s.values.contains(value.as_str()))
                    }) {
                        false
                    } else {
                        return Err(format!(
                            "value {value:?} was acknowledged to a client but no server holds it any more"
                        ));
                    }
                }
                _ if op.ret.is_none() => false,
                _ => true,
            };
            all_settled &= settled;
            if all_settled {
                self.settled = index + 1;
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: how far into the history every operation is settled.
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<GossipNode>> {
        Box::new(self.clone())
    }
}

/// Convergence is an end-state property: it is only checked at the end.
#[derive(Clone)]
struct Convergence {
    settle_time: Duration,
}

impl Invariant<GossipNode> for Convergence {
    fn name(&self) -> &str {
        INVARIANTS[1].0
    }
    fn description(&self) -> &str {
        INVARIANTS[1].1
    }
    fn check(&mut self, _world: &WorldRef<'_, GossipNode>) -> Result<(), String> {
        Ok(())
    }
    fn at_end(&mut self, world: &WorldRef<'_, GossipNode>) -> Result<(), String> {
        let until = SimTime(
            world
                .now()
                .0
                .saturating_sub(self.settle_time.as_nanos() as u64),
        );
        let acked: BTreeSet<&str> = acked_values(world, until).collect();
        for (id, node) in world.live_servers() {
            let Some(server) = node.as_server() else {
                continue;
            };
            if let Some(missing) = acked.iter().find(|v| !server.values.contains(**v)) {
                return Err(format!(
                    "{id} never received acknowledged value {missing:?} ({} of {} acknowledged values)",
                    acked.iter().filter(|v| server.values.contains(**v)).count(),
                    acked.len()
                ));
            }
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Invariant<GossipNode>> {
        Box::new(self.clone())
    }
}
