//! The promises of the sharded store, one invariant each.

use super::msg::Stamp;
use super::node::KvNode;
use super::params::Shared;
use crate::fixed::Fixed;
use faultline_sim::{Invariant, NodeId, NodeKind, WorldRef};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Names and descriptions, for `faultline list`.
pub const INVARIANTS: [(&str, &str); 3] = [
    (
        "acked_writes_survive",
        "Every acknowledged write is still held, or superseded by a newer write, on a server that is up (or on a disk, with durable = true): with R replicas, fewer than R crashes lose nothing (Dynamo §4.3).",
    ),
    (
        "keys_on_preference_list",
        "At the end of the run, rebalancing has settled: every server that is up acts on the newest membership, and every key lives exactly on the live nodes of its preference list, all with the same version, except keys whose latest write is still being replicated (Dynamo §4.3, §4.9).",
    ),
    (
        "movement_budget",
        "Each membership change moved at most `movement_budget` of the stored keys to a new primary (Karger et al. §4: a change of one node should move about 1/n of the keys). Off unless the parameter is set, and not judged over fewer than 50 stored keys, where the fraction is chance.",
    ),
];

/// All invariants, boxed for the kernel.
pub fn boxed(shared: Arc<Shared>) -> Vec<Box<dyn Invariant<KvNode>>> {
    vec![
        Box::new(AckedWritesSurvive {
            shared: shared.clone().into(),
            seen: BTreeMap::new(),
            acked: BTreeMap::new(),
        }),
        Box::new(KeysOnPreferenceList {
            shared: shared.clone(),
        }),
        Box::new(MovementBudget { shared }),
    ]
}

/// See [`INVARIANTS`]. Remembers, per key, the highest stamp ever
/// acknowledged to a client (read incrementally from the clients' lists).
#[derive(Clone, Hash)]
struct AckedWritesSurvive {
    shared: Fixed<Shared>,
    /// How many acks of each client were already read.
    seen: BTreeMap<NodeId, usize>,
    acked: BTreeMap<String, Stamp>,
}

impl AckedWritesSurvive {
    fn read_acks(&mut self, world: &WorldRef<'_, KvNode>) {
        for i in 0..world.node_count() {
            let id = NodeId(i as u32);
            if world.kind(id) != NodeKind::Client {
                continue;
            }
            let Some(client) = world.node(id).and_then(KvNode::as_client) else {
                continue;
            };
            let seen = self.seen.entry(id).or_insert(0);
            if *seen > client.acked.len() {
                *seen = 0; // the client restarted
            }
            for (key, stamp) in &client.acked[*seen..] {
                let best = self.acked.entry(key.clone()).or_insert(*stamp);
                *best = (*best).max(*stamp);
            }
            *seen = client.acked.len();
        }
    }
}

impl Invariant<KvNode> for AckedWritesSurvive {
    fn name(&self) -> &str {
        INVARIANTS[0].0
    }
    fn description(&self) -> &str {
        INVARIANTS[0].1
    }
    fn check(&mut self, world: &WorldRef<'_, KvNode>) -> Result<(), String> {
        self.read_acks(world);
        let durable = self.shared.params.durable;
        for (key, &stamp) in &self.acked {
            let live = world
                .live_servers()
                .filter_map(|(_, n)| n.as_server())
                .any(|s| s.store.get(key).is_some_and(|e| e.stamp >= stamp));
            let on_disk = durable
                && world.servers().any(|id| {
                    world
                        .durable(id)
                        .store
                        .get(key)
                        .is_some_and(|e| e.stamp >= stamp)
                });
            if !(live || on_disk) {
                return Err(format!(
                    "the write of {key:?} acknowledged with stamp {stamp} is lost: no server holds it or anything newer"
                ));
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: how many acks of each client were read and the highest
        // acked stamp per key (the shared configuration is constant).
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<KvNode>> {
        Box::new(self.clone())
    }
}

/// See [`INVARIANTS`]; an end-state property.
#[derive(Clone)]
struct KeysOnPreferenceList {
    shared: Arc<Shared>,
}

impl Invariant<KvNode> for KeysOnPreferenceList {
    fn name(&self) -> &str {
        INVARIANTS[1].0
    }
    fn description(&self) -> &str {
        INVARIANTS[1].1
    }
    fn check(&mut self, _world: &WorldRef<'_, KvNode>) -> Result<(), String> {
        Ok(())
    }
    fn at_end(&mut self, world: &WorldRef<'_, KvNode>) -> Result<(), String> {
        let servers: Vec<(NodeId, &super::server::Server)> = world
            .live_servers()
            .filter_map(|(id, n)| n.as_server().map(|s| (id, s)))
            .collect();
        let Some(version) = servers.iter().map(|(_, s)| s.version.max(s.target)).max() else {
            return Ok(());
        };
        if let Some((id, s)) = servers
            .iter()
            .find(|(_, s)| s.version != version || !s.settled)
        {
            return Err(format!(
                "rebalancing had not settled by the end: {id} acts on version {} (settled: {}) while the newest is {version}",
                s.version, s.settled
            ));
        }
        let live: BTreeSet<NodeId> = servers.iter().map(|(id, _)| *id).collect();
        let mut holders: BTreeMap<&str, Vec<(NodeId, Stamp)>> = BTreeMap::new();
        for (id, s) in &servers {
            for (key, entry) in &s.store {
                holders.entry(key).or_default().push((*id, entry.stamp));
            }
        }
        let topo = &self.shared.topology;
        for (key, held) in holders {
            // A write still on its way to its replicas is not a placement
            // error: its coordinator keeps sending it until every replica has it.
            if servers.iter().any(|(_, s)| s.replicating(key)) {
                continue;
            }
            let expected: Vec<NodeId> = topo
                .preference_list(version, key)
                .into_iter()
                .filter(|n| live.contains(n))
                .collect();
            let mut actual: Vec<NodeId> = held.iter().map(|(n, _)| *n).collect();
            actual.sort();
            let mut want = expected.clone();
            want.sort();
            if actual != want {
                return Err(format!(
                    "key {key:?} is on [{}] but its preference list at version {version} has live nodes [{}]",
                    super::msg::nodes_text(&actual),
                    super::msg::nodes_text(&expected)
                ));
            }
            let stamps: BTreeSet<Stamp> = held.iter().map(|(_, s)| *s).collect();
            if stamps.len() > 1 {
                let list: Vec<String> = held.iter().map(|(n, s)| format!("{n}:{s}")).collect();
                return Err(format!("replicas of {key:?} disagree: {}", list.join(", ")));
            }
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Invariant<KvNode>> {
        Box::new(self.clone())
    }
}

/// Below this many stored keys the moved fraction says more about chance
/// than about the placement (with one key, any change moves 0% or 100%),
/// so `movement_budget` does not judge.
pub const MIN_KEYS_FOR_BUDGET: usize = 50;

/// See [`INVARIANTS`]; judged at the end over the keys stored then.
#[derive(Clone)]
struct MovementBudget {
    shared: Arc<Shared>,
}

impl Invariant<KvNode> for MovementBudget {
    fn name(&self) -> &str {
        INVARIANTS[2].0
    }
    fn description(&self) -> &str {
        INVARIANTS[2].1
    }
    fn check(&mut self, _world: &WorldRef<'_, KvNode>) -> Result<(), String> {
        Ok(())
    }
    fn at_end(&mut self, world: &WorldRef<'_, KvNode>) -> Result<(), String> {
        let Some(budget) = self.shared.params.movement_budget else {
            return Ok(());
        };
        let keys: BTreeSet<&str> = world
            .live_servers()
            .filter_map(|(_, n)| n.as_server())
            .flat_map(|s| s.store.keys().map(String::as_str))
            .collect();
        let reached = world
            .live_servers()
            .filter_map(|(_, n)| n.as_server())
            .map(|s| s.version)
            .max()
            .unwrap_or(0);
        if keys.len() < MIN_KEYS_FOR_BUDGET {
            return Ok(());
        }
        let topo = &self.shared.topology;
        for v in 1..=reached {
            let moved = keys
                .iter()
                .filter(|k| {
                    topo.preference_list(v - 1, k).first() != topo.preference_list(v, k).first()
                })
                .count();
            let fraction = moved as f64 / keys.len() as f64;
            if fraction > budget {
                return Err(format!(
                    "version {v} ({:?}) moved {moved} of {} keys ({:.0}%) to a new primary; the budget is {:.0}%",
                    topo.versions[v as usize].change,
                    keys.len(),
                    fraction * 100.0,
                    budget * 100.0
                ));
            }
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Invariant<KvNode>> {
        Box::new(self.clone())
    }
}
