//! The safety of Multi-Paxos, one invariant each, judged from every
//! acceptor's and every replica's state (Paxos Made Simple §2–3; Paxos Made
//! Moderately Complex §3, whose replica invariants R1–R3 these follow).
//!
//! Each slot is an instance of Paxos: a command is **chosen** in a slot
//! when a phase-2 quorum of acceptors accepted it there in one ballot. The
//! invariants watch every acceptance as it happens (each server counts its
//! acceptances and shows the latest), so a command once chosen stays
//! chosen however acceptors move on.

use super::MultiNode;
use super::msg::Cmd;
use super::msg::Slot;
use super::server::Server;
use crate::paxos::ballot::Ballot;
use faultline_sim::{Invariant, NodeId, WorldRef};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Names and descriptions, in checking order.
pub const INVARIANTS: [(&str, &str); 5] = [
    (
        "agreement",
        "At most one command is chosen per slot: no two commands are each accepted by a phase-2 quorum in that slot (Paxos Made Simple §3: every slot is an instance of the synod algorithm).",
    ),
    (
        "promise_monotonic",
        "An acceptor's promised ballot never decreases, across crashes and restarts too (Paxos Made Simple §2.2).",
    ),
    (
        "accept_within_promise",
        "An acceptor never accepts a proposal below a ballot it has promised (Paxos Made Simple §2.2 P1a).",
    ),
    (
        "replicas_agree",
        "A replica decides a slot only with the command chosen there, so no two replicas disagree on a decided slot (Paxos Made Moderately Complex §3, invariant R1).",
    ),
    (
        "applied_prefix_agreement",
        "Replicas that have applied the same number of slots have identical state machines, client sessions included (PMMC §3, R2).",
    ),
];

/// Every invariant, in [`INVARIANTS`] order, for phase-2 quorums of `q2`.
pub fn boxed(q2: usize) -> Vec<Box<dyn Invariant<MultiNode>>> {
    let chosen = Chosen {
        q2,
        ..Chosen::default()
    };
    vec![
        Box::new(Agreement { chosen }),
        Box::new(PromiseMonotonic::default()),
        Box::new(AcceptWithinPromise::default()),
        Box::new(ReplicasAgree::default()),
        Box::new(AppliedPrefixAgreement::default()),
    ]
}

/// The live servers this event may have changed: the one it touched when
/// the kernel knows it, else all. The invariants below all watch what each
/// server changes, so the others need no second look.
fn changed<'a>(world: &WorldRef<'a, MultiNode>) -> impl Iterator<Item = (NodeId, &'a Server)> + 'a {
    let touched = world.touched();
    world
        .live_servers()
        .filter(move |(id, _)| touched.is_none_or(|t| t == *id))
        .filter_map(|(id, n)| n.as_server().map(|s| (id, s)))
}

/// Each server's counter as of the last check, with its boot (a restart
/// starts the count again), indexed by node id.
type Seen = Vec<(u64, u64)>;

/// Whether `count` of `id` (in boot `boots`) is new since the last check.
fn fresh(seen: &mut Seen, id: NodeId, boots: u64, count: u64) -> bool {
    if seen.len() <= id.index() {
        seen.resize(id.index() + 1, (0, 0));
    }
    let was = std::mem::replace(&mut seen[id.index()], (boots, count));
    count > 0 && was != (boots, count)
}

/// `v[id]`, growing `v` with `fill` as needed.
fn slot_of<T: Clone>(v: &mut Vec<T>, id: NodeId, fill: T) -> &mut T {
    if v.len() <= id.index() {
        v.resize(id.index() + 1, fill);
    }
    &mut v[id.index()]
}

/// A command accepted in one slot and ballot, and the acceptors that did.
type Acceptors = (Cmd, BTreeSet<NodeId>);

/// The commands chosen so far, from every acceptance seen.
#[derive(Clone, Debug, Default, Hash)]
struct Chosen {
    q2: usize,
    /// Per (slot, ballot), each command accepted there and its acceptors
    /// (one command, unless a leader proposed two in one ballot).
    acceptances: BTreeMap<(Slot, Ballot), Vec<Acceptors>>,
    /// The first command chosen in each slot.
    chosen: BTreeMap<Slot, (Ballot, Cmd)>,
    seen: Seen,
}

impl Chosen {
    /// Records new acceptances; returns slots chosen by this call, and a
    /// second command chosen in a slot, if one is.
    fn observe(
        &mut self,
        world: &WorldRef<'_, MultiNode>,
    ) -> Result<Vec<Slot>, (Slot, Ballot, Cmd)> {
        let mut newly = Vec::new();
        for (id, s) in changed(world) {
            let boots = world.durable(id).boots;
            if !fresh(&mut self.seen, id, boots, s.accept_count()) {
                continue;
            }
            let Some((slot, ballot, command)) = s.last_accept() else {
                continue;
            };
            let same = self.acceptances.entry((*slot, *ballot)).or_default();
            let i = match same
                .iter()
                .position(|(c, _)| Arc::ptr_eq(c, command) || c == command)
            {
                Some(i) => i,
                None => {
                    same.push((command.clone(), BTreeSet::new()));
                    same.len() - 1
                }
            };
            let (cmd, set) = &mut same[i];
            if set.insert(id) && set.len() == self.q2 {
                match self.chosen.get(slot) {
                    None => {
                        self.chosen.insert(*slot, (*ballot, cmd.clone()));
                        newly.push(*slot);
                    }
                    Some((_, first)) if first != cmd => {
                        return Err((*slot, *ballot, cmd.clone()));
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(newly)
    }
}

struct Agreement {
    chosen: Chosen,
}

impl Invariant<MultiNode> for Agreement {
    fn name(&self) -> &str {
        INVARIANTS[0].0
    }
    fn description(&self) -> &str {
        INVARIANTS[0].1
    }
    fn check(&mut self, world: &WorldRef<'_, MultiNode>) -> Result<(), String> {
        match self.chosen.observe(world) {
            Ok(_) => Ok(()),
            Err((slot, ballot, second)) => {
                let (b0, first) = &self.chosen.chosen[&slot];
                Err(format!(
                    "slot {slot}: `{first}` was chosen in ballot {b0}, and `{second}` is chosen too, in ballot {ballot}"
                ))
            }
        }
    }
    fn memory(&self) -> u64 {
        // memory: every acceptance seen per (slot, ballot), the first command
        // chosen per slot, each server's acceptance count.
        faultline_sim::hash::stable_hash(&self.chosen)
    }
    fn clone_box(&self) -> Box<dyn Invariant<MultiNode>> {
        Box::new(Agreement {
            chosen: self.chosen.clone(),
        })
    }
}

#[derive(Clone, Default, Hash)]
struct PromiseMonotonic {
    highest: Vec<Ballot>,
}

impl Invariant<MultiNode> for PromiseMonotonic {
    fn name(&self) -> &str {
        INVARIANTS[1].0
    }
    fn description(&self) -> &str {
        INVARIANTS[1].1
    }
    fn check(&mut self, world: &WorldRef<'_, MultiNode>) -> Result<(), String> {
        for (id, s) in changed(world) {
            let now = s.promised();
            let seen = slot_of(&mut self.highest, id, Ballot::ZERO);
            if now < *seen {
                return Err(format!(
                    "{id}'s promise went back from ballot {seen} to {now} (boot {}): it may now accept proposals it promised to refuse",
                    world.durable(id).boots
                ));
            }
            *seen = now;
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: the highest promise seen of each acceptor.
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<MultiNode>> {
        Box::new(self.clone())
    }
}

/// Each acceptor's promise and acceptance count at the last check.
#[derive(Clone, Default, Hash)]
struct AcceptWithinPromise {
    promised: Vec<Option<Ballot>>,
    seen: Seen,
}

impl Invariant<MultiNode> for AcceptWithinPromise {
    fn name(&self) -> &str {
        INVARIANTS[2].0
    }
    fn description(&self) -> &str {
        INVARIANTS[2].1
    }
    fn check(&mut self, world: &WorldRef<'_, MultiNode>) -> Result<(), String> {
        for (id, s) in changed(world) {
            let boots = world.durable(id).boots;
            let promised = *slot_of(&mut self.promised, id, None);
            if fresh(&mut self.seen, id, boots, s.accept_count())
                && let (Some((slot, ballot, _)), Some(promised)) = (s.last_accept(), promised)
                && *ballot < promised
            {
                return Err(format!(
                    "{id} accepted a proposal for slot {slot} in ballot {ballot} after promising ballot {promised}"
                ));
            }
            *slot_of(&mut self.promised, id, None) = Some(s.promised());
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: each acceptor's promise and acceptance count at the last check.
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<MultiNode>> {
        Box::new(self.clone())
    }
}

/// Replicas' decisions, compared with each other as they happen: the first
/// replica to decide a slot fixes it, and any other replica deciding
/// something else there disagrees. (Agreement already ties the chosen
/// command to the acceptors; a replica deciding a command that was never
/// chosen disagrees with the replicas that decide the chosen one.)
#[derive(Clone, Default, Hash)]
struct ReplicasAgree {
    seen: Seen,
    /// The first decision seen in each slot.
    first: BTreeMap<Slot, (NodeId, Cmd)>,
}

impl Invariant<MultiNode> for ReplicasAgree {
    fn name(&self) -> &str {
        INVARIANTS[3].0
    }
    fn description(&self) -> &str {
        INVARIANTS[3].1
    }
    fn check(&mut self, world: &WorldRef<'_, MultiNode>) -> Result<(), String> {
        for (id, s) in changed(world) {
            let boots = world.durable(id).boots;
            if !fresh(&mut self.seen, id, boots, s.decide_count()) {
                continue;
            }
            let Some((slot, decided)) = s.last_decided() else {
                continue;
            };
            match self.first.get(slot) {
                Some((other, theirs)) if theirs != decided => {
                    return Err(format!(
                        "{id} decided `{decided}` in slot {slot}, but {other} decided `{theirs}` there"
                    ));
                }
                Some(_) => {}
                None => {
                    self.first.insert(*slot, (id, decided.clone()));
                }
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: the first decision seen in each slot and each server's decision count.
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<MultiNode>> {
        Box::new(self.clone())
    }
}

/// The state digest at each applied count, and who reached it first; and
/// each server's applied count at the last check (a server is compared
/// only when it moved).
#[derive(Clone, Default, Hash)]
struct AppliedPrefixAgreement {
    digests: Vec<(u64, NodeId)>,
    last: Vec<u64>,
}

impl Invariant<MultiNode> for AppliedPrefixAgreement {
    fn name(&self) -> &str {
        INVARIANTS[4].0
    }
    fn description(&self) -> &str {
        INVARIANTS[4].1
    }
    fn check(&mut self, world: &WorldRef<'_, MultiNode>) -> Result<(), String> {
        for (id, s) in changed(world) {
            let applied = s.applied();
            let last = slot_of(&mut self.last, id, 0);
            if applied == 0 || applied == *last {
                continue;
            }
            *last = applied;
            let digest = s.kv().digest() | 1;
            let i = applied as usize - 1;
            if self.digests.len() <= i {
                self.digests.resize(i + 1, (0, id));
            }
            let (known, by) = self.digests[i];
            if known == 0 {
                self.digests[i] = (digest, id);
            } else if known != digest {
                // Point at the first slot where their logs differ, if both
                // still hold it.
                let other = world.node(by).and_then(MultiNode::as_server);
                let differ = other.and_then(|o| {
                    s.decided()
                        .iter()
                        .find(|(slot, c)| o.decided().get(slot).is_some_and(|d| d != *c))
                        .map(|(slot, c)| {
                            format!(
                                ": at slot {slot} {id} has `{c}`, {by} has `{}`",
                                o.decided()[slot]
                            )
                        })
                });
                return Err(format!(
                    "{id} and {by} have both applied {applied} slots but their state machines differ{}",
                    differ.unwrap_or_default()
                ));
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: the state digest at each applied count and each server's applied count.
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<MultiNode>> {
        Box::new(self.clone())
    }
}
