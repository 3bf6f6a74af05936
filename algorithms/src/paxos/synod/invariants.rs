//! The safety of single-decree Paxos, one invariant each, judged from every
//! acceptor's state rather than from what learners happened to hear
//! ("Paxos Made Simple", §2.1–2.3).
//!
//! A value is **chosen** when a phase-2 quorum of acceptors has accepted it
//! in one ballot (§2.2, with Flexible Paxos's `q2`). Acceptors move on to
//! higher ballots, so the invariants remember every (ballot, value) each
//! acceptor has accepted since the run began: a value once chosen stays
//! chosen.

use super::PaxosNode;
use super::node::Server;
use crate::family::consensus::ConsensusInput;
use crate::paxos::ballot::Ballot;
use faultline_sim::{Invariant, NodeId, WorldRef};
use std::collections::{BTreeMap, BTreeSet};

/// Names and descriptions, in checking order: validity comes before
/// agreement so that a value nobody proposed is reported as such even when
/// it also contradicts an earlier decision.
pub const INVARIANTS: [(&str, &str); 5] = [
    (
        "validity",
        "Only a value that some client proposed can be chosen (Paxos Made Simple §2.1, safety requirement 1).",
    ),
    (
        "agreement",
        "At most one value is chosen: no two values are each accepted by a phase-2 quorum in some ballot (§2.1, requirement 2; §2.2 P2).",
    ),
    (
        "promise_monotonic",
        "An acceptor's promised ballot never decreases, across crashes and restarts too (§2.2: an acceptor must remember its promise after a restart).",
    ),
    (
        "accept_within_promise",
        "An acceptor never accepts a proposal below a ballot it has promised (§2.2 P1a).",
    ),
    (
        "learners_agree",
        "A learner learns only a chosen value, so no two learners disagree (§2.3).",
    ),
];

/// Every invariant, in [`INVARIANTS`] order, for phase-2 quorums of `q2`.
pub fn boxed(q2: usize) -> Vec<Box<dyn Invariant<PaxosNode>>> {
    let tracker = Chosen {
        q2,
        ..Chosen::default()
    };
    vec![
        Box::new(Validity {
            chosen: tracker.clone(),
        }),
        Box::new(Agreement {
            chosen: tracker.clone(),
        }),
        Box::new(PromiseMonotonic::default()),
        Box::new(AcceptWithinPromise::default()),
        Box::new(LearnersAgree { chosen: tracker }),
    ]
}

fn servers<'a>(world: &WorldRef<'a, PaxosNode>) -> impl Iterator<Item = (NodeId, &'a Server)> + 'a {
    world
        .live_servers()
        .filter_map(|(id, n)| n.as_server().map(|s| (id, s)))
}

/// The values chosen so far, from every acceptance ever seen.
#[derive(Clone, Debug, Default, Hash)]
struct Chosen {
    q2: usize,
    /// Acceptors that have accepted each (ballot, value).
    acceptors: BTreeMap<(Ballot, String), BTreeSet<NodeId>>,
    /// Chosen values, in the order they became chosen, with their ballot.
    chosen: Vec<(Ballot, String)>,
}

impl Chosen {
    fn observe(&mut self, world: &WorldRef<'_, PaxosNode>) {
        for (id, s) in servers(world) {
            let Some((ballot, value)) = s.accepted() else {
                continue;
            };
            let key = (*ballot, value.clone());
            let set = self.acceptors.entry(key).or_default();
            if set.insert(id) && set.len() == self.q2 {
                self.chosen.push((*ballot, value.clone()));
            }
        }
    }
}

struct Validity {
    chosen: Chosen,
}

impl Invariant<PaxosNode> for Validity {
    fn name(&self) -> &str {
        INVARIANTS[0].0
    }
    fn description(&self) -> &str {
        INVARIANTS[0].1
    }
    fn check(&mut self, world: &WorldRef<'_, PaxosNode>) -> Result<(), String> {
        let before = self.chosen.chosen.len();
        self.chosen.observe(world);
        for (ballot, value) in &self.chosen.chosen[before..] {
            let proposed = world
                .history()
                .iter()
                .any(|op| matches!(&op.input, ConsensusInput::Propose { value: v } if v == value));
            if !proposed {
                return Err(format!(
                    "{value:?} was chosen in ballot {ballot}, but no client ever proposed it"
                ));
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: the acceptors of every (ballot, value) seen and the values chosen so far.
        faultline_sim::hash::stable_hash(&self.chosen)
    }
    fn clone_box(&self) -> Box<dyn Invariant<PaxosNode>> {
        Box::new(Validity {
            chosen: self.chosen.clone(),
        })
    }
}

struct Agreement {
    chosen: Chosen,
}

impl Invariant<PaxosNode> for Agreement {
    fn name(&self) -> &str {
        INVARIANTS[1].0
    }
    fn description(&self) -> &str {
        INVARIANTS[1].1
    }
    fn check(&mut self, world: &WorldRef<'_, PaxosNode>) -> Result<(), String> {
        self.chosen.observe(world);
        let mut chosen = self.chosen.chosen.iter();
        let Some((b0, first)) = chosen.next() else {
            return Ok(());
        };
        match chosen.find(|(_, v)| v != first) {
            Some((b1, other)) => {
                let quorum = |b: &Ballot, v: &String| {
                    let set = &self.chosen.acceptors[&(*b, v.clone())];
                    set.iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Err(format!(
                    "two values chosen: {first:?} in ballot {b0} by {{{}}} and {other:?} in ballot {b1} by {{{}}}",
                    quorum(b0, first),
                    quorum(b1, other)
                ))
            }
            None => Ok(()),
        }
    }
    fn memory(&self) -> u64 {
        // memory: the acceptors of every (ballot, value) seen and the values chosen so far.
        faultline_sim::hash::stable_hash(&self.chosen)
    }
    fn clone_box(&self) -> Box<dyn Invariant<PaxosNode>> {
        Box::new(Agreement {
            chosen: self.chosen.clone(),
        })
    }
}

/// The highest promise seen per acceptor, kept while it is down.
#[derive(Clone, Default, Hash)]
struct PromiseMonotonic {
    highest: BTreeMap<NodeId, Ballot>,
}

impl Invariant<PaxosNode> for PromiseMonotonic {
    fn name(&self) -> &str {
        INVARIANTS[2].0
    }
    fn description(&self) -> &str {
        INVARIANTS[2].1
    }
    fn check(&mut self, world: &WorldRef<'_, PaxosNode>) -> Result<(), String> {
        for (id, s) in servers(world) {
            let now = s.promised();
            let seen = self.highest.entry(id).or_insert(now);
            if now < *seen {
                let boots = world.durable(id).boots;
                return Err(format!(
                    "{id}'s promise went back from ballot {seen} to {now} (boot {boots}): it may now accept a proposal it promised to refuse"
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
    fn clone_box(&self) -> Box<dyn Invariant<PaxosNode>> {
        Box::new(self.clone())
    }
}

/// What each acceptor had promised and accepted at the last check.
#[derive(Clone, Default, Hash)]
struct AcceptWithinPromise {
    last: BTreeMap<NodeId, (Ballot, Option<Ballot>)>,
}

impl Invariant<PaxosNode> for AcceptWithinPromise {
    fn name(&self) -> &str {
        INVARIANTS[3].0
    }
    fn description(&self) -> &str {
        INVARIANTS[3].1
    }
    fn check(&mut self, world: &WorldRef<'_, PaxosNode>) -> Result<(), String> {
        for (id, s) in servers(world) {
            let accepted = s.accepted().map(|a| a.0);
            if let Some(&(promised, before)) = self.last.get(&id)
                && accepted != before
                && let Some(b) = accepted
                && b < promised
            {
                return Err(format!(
                    "{id} accepted a proposal in ballot {b} after promising ballot {promised}"
                ));
            }
            self.last.insert(id, (s.promised(), accepted));
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: each acceptor's promise and accepted ballot at the last check.
        faultline_sim::hash::stable_hash(self)
    }
    fn clone_box(&self) -> Box<dyn Invariant<PaxosNode>> {
        Box::new(self.clone())
    }
}

struct LearnersAgree {
    chosen: Chosen,
}

impl Invariant<PaxosNode> for LearnersAgree {
    fn name(&self) -> &str {
        INVARIANTS[4].0
    }
    fn description(&self) -> &str {
        INVARIANTS[4].1
    }
    fn check(&mut self, world: &WorldRef<'_, PaxosNode>) -> Result<(), String> {
        self.chosen.observe(world);
        for (id, s) in servers(world) {
            let Some(learned) = s.decided() else {
                continue;
            };
            if !self.chosen.chosen.iter().any(|(_, v)| v == learned) {
                return Err(format!(
                    "{id} learned {learned:?}, which no phase-2 quorum accepted in one ballot{}",
                    match self.chosen.chosen.first() {
                        Some((b, v)) => format!(" (the chosen value is {v:?}, in ballot {b})"),
                        None => " (nothing is chosen yet)".to_string(),
                    }
                ));
            }
        }
        Ok(())
    }
    fn memory(&self) -> u64 {
        // memory: the acceptors of every (ballot, value) seen and the values chosen so far.
        faultline_sim::hash::stable_hash(&self.chosen)
    }
    fn clone_box(&self) -> Box<dyn Invariant<PaxosNode>> {
        Box::new(LearnersAgree {
            chosen: self.chosen.clone(),
        })
    }
}
