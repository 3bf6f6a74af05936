//! Named invariants over the whole world, checked by the kernel after every
//! event (or at a stride) and once more when the run ends.
//!
//! An invariant is an object so it can remember what it saw (the leader of
//! each term, the highest commit index so far); the kernel clones it with
//! every snapshot, so seeking restores its memory too.

use crate::process::{NodeId, NodeKind, OpOf, Process};
use crate::time::{LocalTime, SimTime};
use crate::world::{NodeSlot, Stats};

/// A safety property (checked during the run) and optionally a liveness or
/// end-state property (checked when the run reaches its end).
pub trait Invariant<P: Process>: Send + 'static {
    /// Short name, used in scenario files and reports (`election_safety`).
    fn name(&self) -> &str;
    /// One sentence for students, citing the paper section where it applies.
    fn description(&self) -> &str;
    /// Checked after events; `Err` stops the run with the reason.
    fn check(&mut self, world: &WorldRef<'_, P>) -> Result<(), String>;
    /// Checked once when the run reaches its end time.
    fn at_end(&mut self, world: &WorldRef<'_, P>) -> Result<(), String> {
        let _ = world;
        Ok(())
    }
    /// A copy for snapshots.
    fn clone_box(&self) -> Box<dyn Invariant<P>>;
    /// A hash of what the invariant remembers between checks (0 when it
    /// remembers nothing). Exhaustive exploration ([`crate::explore`])
    /// counts two states as one only when their invariants remember the
    /// same, so an invariant with memory must hash all of it (with
    /// [`stable_hash`](crate::hash::stable_hash)): otherwise a path whose
    /// memory would have caught a violation can be skipped as already seen.
    fn memory(&self) -> u64 {
        0
    }
}

impl<P: Process> Clone for Box<dyn Invariant<P>> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A stateless invariant from a function.
pub struct FnInvariant<P: Process> {
    name: &'static str,
    description: &'static str,
    check: fn(&WorldRef<'_, P>) -> Result<(), String>,
}

impl<P: Process> Invariant<P> for FnInvariant<P> {
    fn name(&self) -> &str {
        self.name
    }
    fn description(&self) -> &str {
        self.description
    }
    fn check(&mut self, world: &WorldRef<'_, P>) -> Result<(), String> {
        (self.check)(world)
    }
    fn clone_box(&self) -> Box<dyn Invariant<P>> {
        Box::new(FnInvariant {
            name: self.name,
            description: self.description,
            check: self.check,
        })
    }
}

/// Wraps a function as a stateless invariant.
pub fn invariant_fn<P: Process>(
    name: &'static str,
    description: &'static str,
    check: fn(&WorldRef<'_, P>) -> Result<(), String>,
) -> Box<dyn Invariant<P>> {
    Box::new(FnInvariant {
        name,
        description,
        check,
    })
}

/// Read-only access to the world for invariants.
pub struct WorldRef<'a, P: Process> {
    pub(crate) slots: &'a [NodeSlot<P>],
    pub(crate) now: SimTime,
    pub(crate) servers: u32,
    pub(crate) history: &'a [OpOf<P>],
    pub(crate) stats: &'a Stats,
    pub(crate) touched: Option<NodeId>,
}

impl<'a, P: Process> WorldRef<'a, P> {
    /// True time now (invariants may see it; nodes may not).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of nodes, servers and clients.
    pub fn node_count(&self) -> usize {
        self.slots.len()
    }

    /// The server ids.
    pub fn servers(&self) -> impl Iterator<Item = NodeId> + use<P> {
        (0..self.servers).map(NodeId)
    }

    /// Whether a node is a server or a client.
    pub fn kind(&self, id: NodeId) -> NodeKind {
        self.slots[id.index()].kind
    }

    /// The node's live state, `None` while it is crashed.
    pub fn node(&self, id: NodeId) -> Option<&'a P> {
        self.slots[id.index()].process.as_ref()
    }

    /// Every server that is up, with its state.
    pub fn live_servers(&self) -> impl Iterator<Item = (NodeId, &'a P)> + use<'a, P> {
        self.slots[..self.servers as usize]
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.process.as_ref().map(|p| (NodeId(i as u32), p)))
    }

    /// The node's durable state (kept while it is down, too).
    pub fn durable(&self, id: NodeId) -> &'a P::Durable {
        &self.slots[id.index()].durable
    }

    /// The node's local clock reading now.
    pub fn local_time(&self, id: NodeId) -> LocalTime {
        self.slots[id.index()].clock.read(self.now)
    }

    /// The one node whose state the event just run may have changed (its
    /// handler ran, or a fault crashed, restarted or re-clocked it), when
    /// invariants are checked after every event. `None` when it may be any
    /// node: a check stride above 1, the end of the run, or a fault on the
    /// network (which changes no node). An invariant that compares nodes,
    /// or watches each node's changes, may look at this node alone: the
    /// others are as they were at the last check.
    pub fn touched(&self) -> Option<NodeId> {
        self.touched
    }

    /// The kernel's counters so far: messages sent, delivered, dropped and
    /// duplicated, events, operations.
    pub fn stats(&self) -> &'a Stats {
        self.stats
    }

    /// The client history so far (operations still open have unknown outcome).
    pub fn history(&self) -> &'a [OpOf<P>] {
        self.history
    }
}
