//! Happens-before: the causal order of a run, read back from its trace.
//!
//! A [`CausalGraph`] is built from [`TraceRecord`]s alone, never from the
//! algorithm, so it describes any recorded run the same way. Its vertices
//! are *steps*: the records that share one `event` index and one node are
//! one local step of that node (a delivery, the sends its handler made, its
//! notes; a timer and what it did; a client's invocation; a crash; a
//! restart and its `on_start`). Its edges are:
//!
//! - **program order**: each step of a node follows the node's previous step
//!   (crashes, restarts and clock faults are steps of their node);
//! - **messages**: the step that sent a message precedes the step that
//!   received it, matched by [`MsgId`] (a duplicated copy has its own id and
//!   its own send record, so it is matched the same way);
//! - **fates**: a dropped message's drop is a step of no node: it follows
//!   its send and precedes nothing (a lost message carries no knowledge);
//! - **network faults**: a partition, an isolation, a heal or a link change
//!   is an input from the environment to the nodes it names (every node when
//!   it names none): it precedes each such node's next step, and nothing
//!   precedes it. So a fault is in the causal past of what came after it on
//!   those nodes, without ordering the nodes' own steps among themselves;
//! - **violations**: a violation record follows the step(s) of the event
//!   after which the invariant was found broken.
//!
//! Vertices are added in trace order and every edge goes from an earlier
//! vertex to a later one, so vertex order is a topological order, the graph
//! extends as the trace grows ([`CausalGraph::extend`]) and what is known
//! about two vertices never changes when later records arrive.
//!
//! Questions: [`CausalGraph::past`], [`CausalGraph::future`],
//! [`CausalGraph::concurrent`], [`CausalGraph::clock`] (one vector clock,
//! from the past), [`VectorClocks`] (every vertex's clock in one pass) and
//! [`CausalGraph::why`] (the faults an event depends on and the chain of
//! latest messages that led to it).
//!
//! Cost: one vertex per step and about two edges per step, built in one pass
//! (see docs/architecture.md for measurements). Past and future are
//! breadth-first searches over the graph, linear in its size.

use crate::fault::Fault;
use crate::process::{MsgId, NodeId};
use crate::time::SimTime;
use crate::trace::{RecordKind, TraceRecord};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

/// A vertex of the graph: one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepId(pub u32);

impl StepId {
    fn ix(self) -> NodeIndex<u32> {
        NodeIndex::new(self.0 as usize)
    }
    /// As an index into per-step tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The event index its records share.
    pub event: u64,
    /// When.
    pub time: SimTime,
    /// The node whose step it is; `None` for a drop, a network fault or a
    /// violation, which no node takes.
    pub node: Option<NodeId>,
    /// Its number among its node's steps, from 1 (0 without a node): the
    /// node's entry in the step's vector clock.
    pub seq: u32,
    /// The index of its first record, which names it (the delivery, the
    /// timer, the fault, the invocation...).
    pub record: usize,
    /// The kind of that record ([`RecordKind::name`]).
    pub head: &'static str,
}

/// Why one step precedes another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// The next step of the same node.
    Program,
    /// A message, from the step that sent it to the step that received it.
    Message(MsgId),
    /// A message's send to its drop.
    Fate(MsgId),
    /// A network fault to the next step of a node it names.
    Input,
    /// The step(s) of the event after which a violation was found.
    Trigger,
}

/// Which records belong to which step, as the build goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Node(NodeId),
    Nobody,
}

/// The happens-before graph of a trace (module docs).
#[derive(Clone, Debug, Default)]
pub struct CausalGraph {
    graph: DiGraph<Step, Edge, u32>,
    nodes: usize,
    /// The step of each record seen.
    of_record: Vec<u32>,
    /// Per node: its last step, and how many it has taken.
    last: Vec<Option<StepId>>,
    /// Per node: network faults waiting for its next step.
    pending: Vec<Vec<StepId>>,
    /// Per message id: its send record and the step that sent it.
    sends: Vec<Option<(usize, StepId)>>,
    /// The event being read and its steps so far.
    event: Option<u64>,
    current: Vec<(Owner, StepId)>,
    /// Effective faults: (record, step).
    faults: Vec<(usize, StepId)>,
    /// The event and time of the last record seen, to notice a trace that was cut and
    /// grew again.
    last_record: Option<(u64, SimTime)>,
}

/// How many steps a "why" chain lists at most.
pub const WHY_STEPS: usize = 24;

impl CausalGraph {
    /// An empty graph of a run with `nodes` nodes (servers and clients).
    pub fn new(nodes: usize) -> Self {
        CausalGraph {
            nodes,
            last: vec![None; nodes],
            pending: vec![Vec::new(); nodes],
            ..CausalGraph::default()
        }
    }

    /// The graph of `records`.
    pub fn build(records: &[TraceRecord], nodes: usize) -> Self {
        let mut g = CausalGraph::new(nodes);
        g.extend(records);
        g
    }

    /// How many records have been read.
    pub fn records_seen(&self) -> usize {
        self.of_record.len()
    }

    /// Whether `records` continue what was read (rather than replace it: a
    /// branch cut the trace and it grew again).
    pub fn continues(&self, records: &[TraceRecord]) -> bool {
        let seen = self.records_seen();
        records.len() >= seen
            && (seen == 0
                || records
                    .get(seen - 1)
                    .is_some_and(|r| Some((r.event, r.time)) == self.last_record))
    }

    /// Reads the records not seen yet. `records` must continue the ones
    /// read before ([`CausalGraph::continues`]); rebuild when it does not.
    pub fn extend(&mut self, records: &[TraceRecord]) {
        let from = self.records_seen();
        for (i, r) in records.iter().enumerate().skip(from) {
            let step = self.add(i, r);
            self.of_record.push(step.0);
            self.last_record = Some((r.event, r.time));
        }
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether there are no steps.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Number of nodes (the length of a vector clock).
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The step a record belongs to.
    pub fn step_of(&self, record: usize) -> Option<StepId> {
        self.of_record.get(record).map(|&s| StepId(s))
    }

    /// A step.
    pub fn step(&self, id: StepId) -> &Step {
        &self.graph[id.ix()]
    }

    /// The edges into a step, with the steps they come from.
    pub fn preceding(&self, id: StepId) -> impl Iterator<Item = (StepId, Edge)> + '_ {
        self.graph
            .edges_directed(id.ix(), Direction::Incoming)
            .map(|e| (StepId(e.source().index() as u32), *e.weight()))
    }

    /// The edges out of a step, with the steps they go to.
    pub fn following(&self, id: StepId) -> impl Iterator<Item = (StepId, Edge)> + '_ {
        self.graph
            .edges_directed(id.ix(), Direction::Outgoing)
            .map(|e| (StepId(e.target().index() as u32), *e.weight()))
    }

    /// The petgraph graph itself, for other questions.
    pub fn graph(&self) -> &DiGraph<Step, Edge, u32> {
        &self.graph
    }

    /// The records of effective faults, in trace order.
    pub fn fault_records(&self) -> impl Iterator<Item = usize> + '_ {
        self.faults.iter().map(|&(r, _)| r)
    }

    fn owner(kind: &RecordKind) -> Owner {
        match kind {
            RecordKind::Start { node }
            | RecordKind::Timer { node, .. }
            | RecordKind::Note { node, .. } => Owner::Node(*node),
            RecordKind::Send { from, .. } => Owner::Node(*from),
            RecordKind::Deliver { to, .. } => Owner::Node(*to),
            RecordKind::Invoke { client, .. } | RecordKind::Complete { client, .. } => {
                Owner::Node(*client)
            }
            RecordKind::Fault { fault, .. } => match node_fault(fault) {
                Some(node) => Owner::Node(node),
                None => Owner::Nobody,
            },
            RecordKind::Drop { .. } | RecordKind::Violation { .. } => Owner::Nobody,
        }
    }

    fn new_step(&mut self, owner: Owner, index: usize, r: &TraceRecord) -> StepId {
        let (node, seq) = match owner {
            Owner::Node(n) if n.index() < self.nodes => {
                let seq = self.last[n.index()]
                    .map_or(0, |s| self.graph[s.ix()].seq)
                    .saturating_add(1);
                (Some(n), seq)
            }
            _ => (None, 0),
        };
        let id = StepId(
            self.graph
                .add_node(Step {
                    event: r.event,
                    time: r.time,
                    node,
                    seq,
                    record: index,
                    head: r.kind.name(),
                })
                .index() as u32,
        );
        if let Some(n) = node {
            if let Some(prev) = self.last[n.index()] {
                self.graph.add_edge(prev.ix(), id.ix(), Edge::Program);
            }
            for input in std::mem::take(&mut self.pending[n.index()]) {
                self.graph.add_edge(input.ix(), id.ix(), Edge::Input);
            }
            self.last[n.index()] = Some(id);
        }
        id
    }

    fn add(&mut self, index: usize, r: &TraceRecord) -> StepId {
        if let RecordKind::Violation { .. } = r.kind {
            // Found after event `r.event - 1` ran: it follows that event's
            // steps, and is a step of its own.
            let triggers: Vec<StepId> = match self.event {
                Some(e) if e + 1 == r.event => self.current.iter().map(|&(_, s)| s).collect(),
                _ => Vec::new(),
            };
            let id = self.new_step(Owner::Nobody, index, r);
            for t in triggers {
                self.graph.add_edge(t.ix(), id.ix(), Edge::Trigger);
            }
            self.event = None;
            self.current.clear();
            return id;
        }
        if self.event != Some(r.event) {
            self.event = Some(r.event);
            self.current.clear();
        }
        let owner = Self::owner(&r.kind);
        let id = match self.current.iter().find(|(o, _)| *o == owner) {
            Some(&(_, id)) => id,
            None => {
                let id = self.new_step(owner, index, r);
                self.current.push((owner, id));
                id
            }
        };
        match &r.kind {
            RecordKind::Send { msg, .. } => {
                let i = msg.0 as usize;
                if self.sends.len() <= i {
                    self.sends.resize(i + 1, None);
                }
                self.sends[i] = Some((index, id));
            }
            RecordKind::Deliver { msg, .. } => {
                if let Some((_, from)) = self.send_of(*msg) {
                    self.graph.add_edge(from.ix(), id.ix(), Edge::Message(*msg));
                }
            }
            RecordKind::Drop { msg, .. } => {
                if let Some((_, from)) = self.send_of(*msg) {
                    self.graph.add_edge(from.ix(), id.ix(), Edge::Fate(*msg));
                }
            }
            RecordKind::Fault { fault, effective } => {
                if *effective {
                    self.faults.push((index, id));
                }
                if owner == Owner::Nobody && !matches!(fault.as_ref(), Fault::DropMessage { .. }) {
                    let named = fault.nodes();
                    if named.is_empty() {
                        for p in &mut self.pending {
                            p.push(id);
                        }
                    } else {
                        for n in named {
                            if let Some(p) = self.pending.get_mut(n.index())
                                && p.last() != Some(&id)
                            {
                                p.push(id);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        id
    }

    fn send_of(&self, msg: MsgId) -> Option<(usize, StepId)> {
        self.sends.get(msg.0 as usize).copied().flatten()
    }

    /// The send record of a message, when it was read.
    pub fn send_record(&self, msg: MsgId) -> Option<usize> {
        self.send_of(msg).map(|(r, _)| r)
    }

    fn search(&self, from: StepId, direction: Direction) -> StepSet {
        let mut set = StepSet::new(self.len());
        let mut stack = vec![from];
        set.insert(from);
        while let Some(s) = stack.pop() {
            for n in self.graph.neighbors_directed(s.ix(), direction) {
                let n = StepId(n.index() as u32);
                if set.insert(n) {
                    stack.push(n);
                }
            }
        }
        set
    }

    /// Every step that happened before `step`, and `step` itself.
    pub fn past(&self, step: StepId) -> StepSet {
        self.search(step, Direction::Incoming)
    }

    /// Every step that happened after `step`, and `step` itself.
    pub fn future(&self, step: StepId) -> StepSet {
        self.search(step, Direction::Outgoing)
    }

    /// Whether `a` happened before `b` (a path leads from `a` to `b`).
    pub fn happens_before(&self, a: StepId, b: StepId) -> bool {
        // Edges only go forward in vertex order: search no further than b.
        if a >= b {
            return false;
        }
        let mut seen = StepSet::new(self.len());
        let mut stack = vec![a];
        while let Some(s) = stack.pop() {
            for n in self.graph.neighbors_directed(s.ix(), Direction::Outgoing) {
                let n = StepId(n.index() as u32);
                if n == b {
                    return true;
                }
                if n < b && seen.insert(n) {
                    stack.push(n);
                }
            }
        }
        false
    }

    /// Whether neither of two distinct steps happened before the other.
    pub fn concurrent(&self, a: StepId, b: StepId) -> bool {
        a != b && !self.happens_before(a, b) && !self.happens_before(b, a)
    }

    /// The vector clock of one step: per node, how many of its steps are
    /// in the step's past (computed from the past; [`VectorClocks`] has
    /// every step's at once).
    pub fn clock(&self, step: StepId) -> Vec<u32> {
        self.clock_of(&self.past(step))
    }

    /// The vector clock of a past (as [`CausalGraph::past`] returns it).
    pub fn clock_of(&self, past: &StepSet) -> Vec<u32> {
        let mut clock = vec![0; self.nodes];
        for s in past.iter() {
            let step = self.step(s);
            if let Some(n) = step.node {
                clock[n.index()] = clock[n.index()].max(step.seq);
            }
        }
        clock
    }

    /// Why `step` happened: the effective faults in its causal past and the
    /// chain of latest messages that led to it (module docs of [`Why`]).
    pub fn why(&self, step: StepId) -> Why {
        let past = self.past(step);
        let faults = self
            .faults
            .iter()
            .filter(|(_, s)| past.contains(*s))
            .map(|&(r, _)| r)
            .collect();
        let mut chain = Vec::new();
        let mut more = false;
        let mut cur = Some(step);
        // The step asked about, and each step the walk jumps to (the sender
        // of a message, what a violation or a drop follows), are listed.
        let mut landed = true;
        while let Some(s) = cur {
            if chain.len() == WHY_STEPS {
                more = true;
                break;
            }
            let here = self.step(s);
            let message = self.preceding(s).find_map(|(from, e)| match e {
                Edge::Message(m) => Some((from, m)),
                _ => None,
            });
            if let Some((from, msg)) = message {
                chain.push(WhyStep {
                    record: here.record,
                    message_from: self.send_record(msg),
                });
                cur = Some(from);
                landed = true;
                continue;
            }
            let program = self.preceding(s).find_map(|(from, e)| match e {
                Edge::Program => Some(from),
                _ => None,
            });
            if landed || program.is_none() || self.is_landmark(s) {
                chain.push(WhyStep {
                    record: here.record,
                    message_from: None,
                });
            }
            landed = false;
            cur = program;
            if cur.is_none() && here.node.is_none() {
                // A drop or a violation: on from what it follows.
                cur = self.preceding(s).map(|(from, _)| from).max();
                landed = true;
            }
        }
        Why {
            step,
            faults,
            chain,
            more,
        }
    }

    /// Whether a step on a "why" path is worth listing though no message
    /// led into it: a fault, a (re)start, a client's invocation.
    fn is_landmark(&self, step: StepId) -> bool {
        matches!(self.step(step).head, "fault" | "start" | "invoke")
    }
}

/// The node a fault changes the state of (crash, restart, clocks), which
/// makes the fault a step of that node; `None` for a network fault.
/// An aimed fault that was applied counts for the node it chose.
pub fn node_fault(fault: &Fault) -> Option<NodeId> {
    match fault {
        Fault::Aimed {
            chosen: Some(node),
            action,
            ..
        } => action.node_state().map(|_| *node),
        _ => fault.node_state(),
    }
}

/// The answer to "why did this happen?".
///
/// `faults` are the effective faults in the causal past (record indices, in
/// trace order). `chain` walks back from the step asked about: from each
/// step to the latest message it received (directly, or through its node's
/// earlier steps), then on from the step that sent it, and so on; steps on
/// the way with no message into them are listed only when they are faults or
/// the end of the walk. It is the path of most recent knowledge, not the
/// whole past, and stops after [`WHY_STEPS`] steps (`more` is then set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Why {
    /// The step asked about.
    pub step: StepId,
    /// Effective faults in its causal past, as record indices, oldest first.
    pub faults: Vec<usize>,
    /// The chain, newest first.
    pub chain: Vec<WhyStep>,
    /// Whether the chain goes on beyond what is listed.
    pub more: bool,
}

/// One step of a "why" chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WhyStep {
    /// The record that names the step.
    pub record: usize,
    /// When the step received the message the chain goes on through: that
    /// message's send record.
    pub message_from: Option<usize>,
}

/// A set of steps (a bit per step).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StepSet {
    bits: Vec<u64>,
    len: usize,
}

impl StepSet {
    /// An empty set over `steps` steps.
    pub fn new(steps: usize) -> Self {
        StepSet {
            bits: vec![0; steps.div_ceil(64)],
            len: 0,
        }
    }

    /// Adds a step; false when it was there.
    pub fn insert(&mut self, s: StepId) -> bool {
        let (w, b) = (s.index() / 64, s.index() % 64);
        if w >= self.bits.len() {
            self.bits.resize(w + 1, 0);
        }
        let had = self.bits[w] & (1 << b) != 0;
        self.bits[w] |= 1 << b;
        if !had {
            self.len += 1;
        }
        !had
    }

    /// Whether a step is in the set.
    pub fn contains(&self, s: StepId) -> bool {
        self.bits
            .get(s.index() / 64)
            .is_some_and(|w| w & (1 << (s.index() % 64)) != 0)
    }

    /// Number of steps in the set.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The steps, in order.
    pub fn iter(&self) -> impl Iterator<Item = StepId> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &word)| {
            (0..64)
                .filter(move |b| word & (1 << b) != 0)
                .map(move |b| StepId((w * 64 + b) as u32))
        })
    }
}

/// Every step's vector clock, computed in one pass in vertex order (a
/// topological order): a step's clock is the join of the clocks of the steps
/// before it, with its own node's entry set to its number.
#[derive(Clone, Debug, Default)]
pub struct VectorClocks {
    nodes: usize,
    table: Vec<u32>,
}

impl VectorClocks {
    /// The clocks of every step of `graph`.
    pub fn new(graph: &CausalGraph) -> Self {
        let mut clocks = VectorClocks {
            nodes: graph.nodes(),
            table: Vec::with_capacity(graph.len() * graph.nodes()),
        };
        clocks.extend(graph);
        clocks
    }

    /// Computes the clocks of steps added since (the graph must be the one
    /// these clocks were computed from, extended).
    pub fn extend(&mut self, graph: &CausalGraph) {
        let n = self.nodes;
        let done = self.table.len() / n.max(1);
        for i in done..graph.len() {
            let mut clock = vec![0u32; n];
            for (from, _) in graph.preceding(StepId(i as u32)) {
                for (c, v) in clock.iter_mut().zip(self.get(from)) {
                    *c = (*c).max(*v);
                }
            }
            let step = graph.step(StepId(i as u32));
            if let Some(node) = step.node {
                clock[node.index()] = step.seq;
            }
            self.table.extend_from_slice(&clock);
        }
    }

    /// One step's clock.
    pub fn get(&self, step: StepId) -> &[u32] {
        &self.table[step.index() * self.nodes..(step.index() + 1) * self.nodes]
    }

    /// Whether `a` happened before `b`, from the clocks alone: for a step of
    /// node `i` numbered `k`, whether `b` knows `k` steps of `i`; for a step
    /// of no node, whether a step it precedes happened before `b` or is `b`.
    pub fn happens_before(&self, graph: &CausalGraph, a: StepId, b: StepId) -> bool {
        if a == b {
            return false;
        }
        let step = graph.step(a);
        match step.node {
            Some(n) => self.get(b)[n.index()] >= step.seq,
            None => graph
                .following(a)
                .any(|(s, _)| s == b || self.happens_before(graph, s, b)),
        }
    }

    /// Whether neither of two distinct steps happened before the other.
    pub fn concurrent(&self, graph: &CausalGraph, a: StepId, b: StepId) -> bool {
        a != b && !self.happens_before(graph, a, b) && !self.happens_before(graph, b, a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::DropReason;
    use crate::process::{OpId, TimerId};

    /// A hand-written trace, one record at a time.
    #[derive(Default)]
    struct Trace {
        records: Vec<TraceRecord>,
    }

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    impl Trace {
        fn at(&mut self, event: u64, kind: RecordKind) -> usize {
            self.records.push(TraceRecord {
                event,
                time: SimTime(event * 1_000),
                kind,
            });
            self.records.len() - 1
        }
        fn start(&mut self, event: u64, node: u32) -> usize {
            self.at(event, RecordKind::Start { node: n(node) })
        }
        fn timer(&mut self, event: u64, node: u32) -> usize {
            self.at(
                event,
                RecordKind::Timer {
                    node: n(node),
                    timer: TimerId(event),
                },
            )
        }
        fn send(&mut self, event: u64, msg: u64, from: u32, to: u32) -> usize {
            self.at(
                event,
                RecordKind::Send {
                    msg: MsgId(msg),
                    from: n(from),
                    to: n(to),
                    deliver_at: Some(SimTime(0)),
                    duplicate_of: None,
                },
            )
        }
        fn duplicate(&mut self, event: u64, msg: u64, of: u64, from: u32, to: u32) -> usize {
            self.at(
                event,
                RecordKind::Send {
                    msg: MsgId(msg),
                    from: n(from),
                    to: n(to),
                    deliver_at: Some(SimTime(0)),
                    duplicate_of: Some(MsgId(of)),
                },
            )
        }
        fn deliver(&mut self, event: u64, msg: u64, from: u32, to: u32) -> usize {
            self.at(
                event,
                RecordKind::Deliver {
                    msg: MsgId(msg),
                    from: n(from),
                    to: n(to),
                    sent_at: SimTime(0),
                },
            )
        }
        fn drop(&mut self, event: u64, msg: u64, from: u32, to: u32) -> usize {
            self.at(
                event,
                RecordKind::Drop {
                    msg: MsgId(msg),
                    from: n(from),
                    to: n(to),
                    sent_at: SimTime(0),
                    reason: DropReason::Partition,
                },
            )
        }
        fn fault(&mut self, event: u64, fault: Fault) -> usize {
            self.at(
                event,
                RecordKind::Fault {
                    fault: Box::new(fault),
                    effective: true,
                },
            )
        }
        /// Three nodes start; n0's timer sends m0 to n1, which passes it on
        /// as m1 to n2.
        fn chain() -> (Trace, [usize; 5]) {
            let mut t = Trace::default();
            for i in 0..3 {
                t.start(i as u64, i);
            }
            t.timer(3, 0);
            let s0 = t.send(3, 0, 0, 1);
            let d0 = t.deliver(4, 0, 0, 1);
            let s1 = t.send(4, 1, 1, 2);
            let d1 = t.deliver(5, 1, 1, 2);
            let late = t.timer(6, 0);
            (t, [s0, d0, s1, d1, late])
        }
    }

    fn clock_of(t: &Trace, record: usize) -> Vec<u32> {
        let g = CausalGraph::build(&t.records, 3);
        let clocks = VectorClocks::new(&g);
        let s = g.step_of(record).unwrap();
        assert_eq!(g.clock(s), clocks.get(s), "search and pass agree");
        clocks.get(s).to_vec()
    }

    #[test]
    fn a_chain_of_messages_carries_each_senders_knowledge() {
        let (t, [s0, d0, s1, d1, late]) = Trace::chain();
        assert_eq!(clock_of(&t, s0), [2, 0, 0]);
        assert_eq!(clock_of(&t, d0), [2, 2, 0]);
        // A send is part of the step that made it.
        assert_eq!(clock_of(&t, s1), [2, 2, 0]);
        assert_eq!(clock_of(&t, d1), [2, 2, 2]);
        assert_eq!(clock_of(&t, late), [3, 0, 0]);
        let g = CausalGraph::build(&t.records, 3);
        let step = |r| g.step_of(r).unwrap();
        assert_eq!(step(d0), step(s1), "a delivery and its handler's sends");
        assert!(g.happens_before(step(s0), step(d1)));
        assert!(!g.happens_before(step(d1), step(s0)));
        let past = g.past(step(d1));
        assert!(past.contains(step(s0)) && past.contains(step(d0)));
        // Three starts are there too: n1's and n2's own, n0's through m0.
        assert_eq!(past.len(), 6);
    }

    #[test]
    fn steps_no_message_links_are_concurrent() {
        let (t, [s0, d0, _, d1, late]) = Trace::chain();
        let g = CausalGraph::build(&t.records, 3);
        let clocks = VectorClocks::new(&g);
        let step = |r| g.step_of(r).unwrap();
        // n0's later timer knows nothing of n1 and n2, nor they of it.
        for other in [d0, d1] {
            assert!(g.concurrent(step(late), step(other)));
            assert!(clocks.concurrent(&g, step(late), step(other)));
        }
        assert!(!g.concurrent(step(late), step(s0)), "program order");
        assert!(!clocks.concurrent(&g, step(s0), step(d1)));
        let future = g.future(step(s0));
        assert!(future.contains(step(late)) && future.contains(step(d1)));
        // The two starts of n1 and n2 are concurrent.
        assert!(g.concurrent(step(1), step(2)));
    }

    #[test]
    fn both_copies_of_a_duplicated_message_follow_its_send() {
        let mut t = Trace::default();
        t.start(0, 0);
        t.start(1, 1);
        let s = t.send(2, 0, 0, 1);
        let dup = t.duplicate(2, 1, 0, 0, 1);
        let d_copy = t.deliver(3, 1, 0, 1);
        let d = t.deliver(4, 0, 0, 1);
        let g = CausalGraph::build(&t.records, 2);
        let step = |r| g.step_of(r).unwrap();
        assert_eq!(step(s), step(dup), "both copies leave in one step");
        assert_eq!(clock_of(&t, d_copy)[..2], [2, 2]);
        assert_eq!(clock_of(&t, d)[..2], [2, 3]);
        assert!(g.happens_before(step(s), step(d_copy)));
        assert!(g.happens_before(step(d_copy), step(d)));
        let edges: Vec<Edge> = g.preceding(step(d_copy)).map(|(_, e)| e).collect();
        assert!(edges.contains(&Edge::Message(MsgId(1))), "{edges:?}");
    }

    #[test]
    fn a_dropped_message_gives_no_knowledge() {
        let mut t = Trace::default();
        t.start(0, 0);
        t.start(1, 1);
        let s = t.send(2, 0, 0, 1);
        let dropped = t.drop(3, 0, 0, 1);
        let later = t.timer(4, 1);
        let g = CausalGraph::build(&t.records, 2);
        let step = |r| g.step_of(r).unwrap();
        assert_ne!(step(dropped), step(later));
        assert!(g.step(step(dropped)).node.is_none());
        assert!(
            g.happens_before(step(s), step(dropped)),
            "its fate follows the send"
        );
        assert!(g.concurrent(step(s), step(later)), "n1 never heard of it");
        assert_eq!(clock_of(&t, later)[..2], [0, 2]);
        assert_eq!(clock_of(&t, dropped)[..2], [2, 0]);
        assert!(g.following(step(dropped)).next().is_none());
    }

    #[test]
    fn a_crash_and_a_restart_are_steps_of_their_node() {
        let (mut t, [s0, d0, ..]) = Trace::chain();
        let crash = t.fault(7, Fault::Crash { node: n(1) });
        let restart = t.fault(8, Fault::Restart { node: n(1) });
        let sent_on_start = t.send(8, 2, 1, 0);
        let d = t.deliver(9, 2, 1, 0);
        assert_eq!(clock_of(&t, crash), [2, 3, 0]);
        assert_eq!(clock_of(&t, restart), [2, 4, 0]);
        assert_eq!(clock_of(&t, sent_on_start), [2, 4, 0]);
        assert_eq!(clock_of(&t, d), [4, 4, 0]);
        let g = CausalGraph::build(&t.records, 3);
        let step = |r| g.step_of(r).unwrap();
        assert!(g.happens_before(step(d0), step(crash)));
        let why = g.why(step(d));
        assert_eq!(why.faults, vec![crash, restart]);
        // d received from the restart, which follows the crash, which
        // follows n1's delivery of m0 from n0's timer step.
        let chain: Vec<(usize, Option<usize>)> = why
            .chain
            .iter()
            .map(|w| (w.record, w.message_from))
            .collect();
        assert_eq!(
            chain,
            vec![
                (d, Some(sent_on_start)),
                (restart, None),
                (crash, None),
                (d0, Some(s0)),
                (3, None),
                (0, None),
            ]
        );
        assert!(!why.more);
    }

    #[test]
    fn a_partition_precedes_the_next_steps_of_the_nodes_it_names_only() {
        let (mut t, [_, d0, ..]) = Trace::chain();
        let cut = t.fault(
            7,
            Fault::Partition {
                groups: vec![vec![n(0)], vec![n(1)]],
            },
        );
        let t1 = t.timer(8, 1);
        let t2 = t.timer(9, 2);
        let t0 = t.timer(10, 0);
        let g = CausalGraph::build(&t.records, 3);
        let step = |r| g.step_of(r).unwrap();
        assert!(g.happens_before(step(cut), step(t1)));
        assert!(g.happens_before(step(cut), step(t0)));
        assert!(!g.happens_before(step(cut), step(t2)), "n2 is in no group");
        assert!(
            g.concurrent(step(d0), step(cut)),
            "nothing precedes a fault of the network"
        );
        assert!(
            g.concurrent(step(t0), step(t1)),
            "the cut orders no node after another"
        );
        let clocks = VectorClocks::new(&g);
        assert!(clocks.happens_before(&g, step(cut), step(t1)));
        assert!(!clocks.happens_before(&g, step(cut), step(t2)));
        assert_eq!(g.why(step(t1)).faults, vec![cut]);
        assert!(g.why(step(t2)).faults.is_empty());
    }

    #[test]
    fn a_violation_follows_the_event_that_broke_the_invariant() {
        let (mut t, [_, _, _, d1, late]) = Trace::chain();
        let v = t.at(
            7,
            RecordKind::Violation {
                invariant: "x".into(),
                reason: "y".into(),
            },
        );
        let g = CausalGraph::build(&t.records, 3);
        let step = |r| g.step_of(r).unwrap();
        assert!(g.happens_before(step(late), step(v)));
        assert!(
            g.concurrent(step(d1), step(v)),
            "only the last event's past"
        );
        let why = g.why(step(v));
        assert_eq!(why.chain[0].record, v);
        assert_eq!(why.chain[1].record, late);
    }

    #[test]
    fn an_operation_is_a_step_of_its_client() {
        let mut t = Trace::default();
        t.start(0, 0);
        t.start(1, 1);
        let invoke = t.at(
            2,
            RecordKind::Invoke {
                client: n(1),
                op: OpId(0),
            },
        );
        t.send(2, 0, 1, 0);
        t.deliver(3, 0, 1, 0);
        t.send(3, 1, 0, 1);
        t.deliver(4, 1, 0, 1);
        let complete = t.at(
            4,
            RecordKind::Complete {
                client: n(1),
                op: OpId(0),
            },
        );
        let g = CausalGraph::build(&t.records, 2);
        let step = |r| g.step_of(r).unwrap();
        assert!(g.happens_before(step(invoke), step(complete)));
        assert_eq!(clock_of(&t, complete)[..2], [2, 3]);
    }

    #[test]
    fn building_in_pieces_equals_building_at_once() {
        let (mut t, _) = Trace::chain();
        t.fault(7, Fault::Heal);
        t.timer(8, 2);
        let whole = CausalGraph::build(&t.records, 3);
        let mut pieces = CausalGraph::new(3);
        for end in [2, 5, 6, t.records.len()] {
            assert!(pieces.continues(&t.records[..end]));
            pieces.extend(&t.records[..end]);
        }
        assert_eq!(whole.len(), pieces.len());
        for r in 0..t.records.len() {
            assert_eq!(whole.step_of(r), pieces.step_of(r));
        }
        let a = VectorClocks::new(&whole);
        for s in 0..whole.len() as u32 {
            assert_eq!(a.get(StepId(s)), whole.clock(StepId(s)));
            for o in 0..whole.len() as u32 {
                assert_eq!(
                    a.happens_before(&whole, StepId(s), StepId(o)),
                    whole.happens_before(StepId(s), StepId(o)),
                    "{s} -> {o}"
                );
            }
        }
        // A trace cut and grown again is noticed.
        let mut other = t.records[..5].to_vec();
        other.push(TraceRecord {
            event: 99,
            time: SimTime(1),
            kind: RecordKind::Start { node: n(0) },
        });
        other.extend(t.records[5..].iter().cloned());
        let mut shifted = other.clone();
        shifted.remove(4);
        assert!(!pieces.continues(&shifted[..4]));
    }
}
