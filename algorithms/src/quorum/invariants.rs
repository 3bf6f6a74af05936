//! The promises of quorum replication that the servers' state can show,
//! one check each (DeCandia et al. 2007, §4.5-4.7). What clients can see
//! (lost writes, stale reads, broken sessions) is for the weak checkers of
//! the client history (`[checks] durability`, `sessions`, `stale_reads`).
//!
//! - `acked_writes_replicated`: a write acknowledged to a client is on the
//!   disks of at least `w` servers — as the version written or one that
//!   replaces it, in a store or as a hint (§4.5: the coordinator answers
//!   after `w` replicas have written it; §4.6: a hint counts until its
//!   owner confirms the handoff). Only the last writes each coordinator
//!   acknowledged are followed (a crash forgets them).
//! - `convergence` (at the end of a run): every key left alone for
//!   `settle_time` has the same versions on all its live owners, and every
//!   hint held for a live owner is at that owner — repair (read repair,
//!   anti-entropy, handoff) has done its work once faults stop.

use super::params::QuorumParams;
use super::server::owners;
use super::version::{self, Versions};
use super::{QuorumDurable, QuorumNode};
use crate::family::kv::KvInput;
use crate::hashing::ring::Ring;
use faultline_sim::{Invariant, NodeId, Outcome, SimTime, WorldRef};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// Names and descriptions, in checking order.
pub const INVARIANTS: [(&str, &str); 2] = [
    (
        "acked_writes_replicated",
        "Every write a coordinator acknowledged is on the disks of at least w servers, as itself or a version that replaces it, in a store or as a hint (DeCandia et al. 2007, §4.5-4.6).",
    ),
    (
        "convergence",
        "At the end of the run, every key with no write invoked in the last settle_time has the same versions on all its live owners, and every hint held for a live owner is at that owner (§4.6-4.7).",
    ),
];

/// How often, in simulated time, `acked_writes_replicated` looks.
const ACKED_CHECK_EVERY: Duration = Duration::from_millis(50);

/// Every invariant, in [`INVARIANTS`] order.
pub fn boxed(params: Arc<QuorumParams>, ring: Arc<Ring>) -> Vec<Box<dyn Invariant<QuorumNode>>> {
    vec![
        Box::new(AckedWritesReplicated {
            w: params.w as usize,
            next: SimTime(0),
        }),
        Box::new(Convergence { params, ring }),
    ]
}

fn disk_holds(
    d: &QuorumDurable,
    servers: &[NodeId],
    key: &str,
    slot: &mut (NodeId, String),
    stamp: &version::Stamp,
) -> bool {
    if d.store.get(key).is_some_and(|v| version::holds(v, stamp)) {
        return true;
    }
    if d.hints.is_empty() {
        return false;
    }
    // One lookup per possible owner rather than a scan of every hint.
    servers.iter().any(|&owner| {
        slot.0 = owner;
        d.hints.get(slot).is_some_and(|v| version::holds(v, stamp))
    })
}

/// See [`INVARIANTS`]. Looks every [`ACKED_CHECK_EVERY`] of simulated
/// time, so its cost does not grow with the event rate: a lost copy stays
/// lost (nothing brings back a write that no disk holds), so a look every
/// 50ms finds it all the same.
#[derive(Clone, Hash)]
struct AckedWritesReplicated {
    w: usize,
    next: SimTime,
}

impl Invariant<QuorumNode> for AckedWritesReplicated {
    fn name(&self) -> &str {
        INVARIANTS[0].0
    }
    fn description(&self) -> &str {
        INVARIANTS[0].1
    }
    fn check(&mut self, world: &WorldRef<'_, QuorumNode>) -> Result<(), String> {
        if world.now() < self.next {
            return Ok(());
        }
        self.next = world.now().saturating_add(ACKED_CHECK_EVERY);
        let servers: Vec<NodeId> = world.servers().collect();
        for (id, node) in world.live_servers() {
            let QuorumNode::Server(s) = node else {
                continue;
            };
            for (key, stamp) in s.acked() {
                let mut slot = (NodeId(0), key.clone());
                let copies = servers
                    .iter()
                    .filter(|&&n| disk_holds(world.durable(n), &servers, key, &mut slot, stamp))
                    .count();
                if copies < self.w {
                    return Err(format!(
                        "{id} acknowledged write {} of {key}, which is now on {copies} disk(s), fewer than w = {}",
                        stamp.describe(),
                        self.w
                    ));
                }
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: when it looks next (and w, constant).
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<QuorumNode>> {
        Box::new(self.clone())
    }
}

/// See [`INVARIANTS`]: judged at the end only.
#[derive(Clone)]
struct Convergence {
    params: Arc<QuorumParams>,
    ring: Arc<Ring>,
}

impl Invariant<QuorumNode> for Convergence {
    fn name(&self) -> &str {
        INVARIANTS[1].0
    }
    fn description(&self) -> &str {
        INVARIANTS[1].1
    }
    fn check(&mut self, _world: &WorldRef<'_, QuorumNode>) -> Result<(), String> {
        Ok(())
    }
    fn at_end(&mut self, world: &WorldRef<'_, QuorumNode>) -> Result<(), String> {
        let since = world
            .now()
            .0
            .saturating_sub(self.params.settle_time.as_nanos() as u64);
        let busy: BTreeSet<&str> = world
            .history()
            .iter()
            .filter(|op| {
                matches!(op.input, KvInput::Put { .. } | KvInput::Append { .. })
                    && op.outcome != Outcome::Fail
                    && (op.call >= since || op.ret.is_none())
            })
            .map(|op| op.input.key())
            .collect();
        let live: BTreeMap<NodeId, &super::server::Server> = world
            .live_servers()
            .filter_map(|(id, n)| n.as_server().map(|s| (id, s)))
            .collect();
        let mut keys: BTreeSet<&str> = BTreeSet::new();
        for s in live.values() {
            keys.extend(s.store().keys().map(String::as_str));
            keys.extend(s.hints().keys().map(|(_, k)| k.as_str()));
        }
        let empty = Versions::new();
        for key in keys.into_iter().filter(|k| !busy.contains(k)) {
            let held: Vec<(NodeId, &Versions)> = owners(&self.ring, key, self.params.n)
                .into_iter()
                .filter_map(|o| {
                    live.get(&o)
                        .map(|s| (o, s.store().get(key).unwrap_or(&empty)))
                })
                .collect();
            if let Some(((a, va), (b, vb))) = held
                .iter()
                .flat_map(|x| held.iter().map(move |y| (x, y)))
                .find(|((_, va), (_, vb))| va != vb)
            {
                return Err(format!(
                    "key {key} was left alone for {} but its owners disagree: {a} holds {}, {b} holds {}",
                    faultline_sim::time::format_duration(self.params.settle_time),
                    describe(va),
                    describe(vb)
                ));
            }
            for (holder, s) in &live {
                for ((owner, k), hinted) in s.hints() {
                    if k != key {
                        continue;
                    }
                    let Some(o) = live.get(owner) else { continue };
                    let at_owner = o.store().get(key).unwrap_or(&empty);
                    if let Some(missing) =
                        hinted.iter().find(|h| !version::holds(at_owner, &h.stamp))
                    {
                        return Err(format!(
                            "{holder} still holds a hint of {key} for {owner} that {owner} lacks: {}",
                            missing.stamp.describe()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Invariant<QuorumNode>> {
        Box::new(self.clone())
    }
}

fn describe(versions: &Versions) -> String {
    if versions.is_empty() {
        return "nothing".to_string();
    }
    let v: Vec<String> = versions
        .iter()
        .map(|v| format!("{} = {:?}", v.stamp.describe(), v.value.text()))
        .collect();
    v.join(" | ")
}
