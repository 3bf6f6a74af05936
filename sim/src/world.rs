//! The world: nodes, clocks, network, event queue, history, invariants and
//! trace of one run, and the loop that advances it one event at a time.
//!
//! Everything that changes during a run lives in `WorldState`, which is
//! `Clone`; the world snapshots it every `snapshot_every` events and seeks by
//! restoring the nearest snapshot and re-executing. Faults injected during a
//! run are kept outside the state, with the event index they follow, so a
//! branch survives seeking backwards and replays exactly.

use crate::LocalClock;
use crate::fault::{Fault, FaultSchedule, ScheduledFault};
use crate::hash::{FixedState, stable_hash};
use crate::invariant::{Invariant, WorldRef};
use crate::network::{DropReason, LinkConfig, Network, Transit};
use crate::process::{Ctx, Effect, MsgId, NodeId, NodeKind, NodeView, OpId, Process, TimerId};
use crate::queue::EventQueue;
use crate::rng::SimRng;
use crate::time::{LocalTime, SimTime};
use crate::trace::{RecordKind, TraceMode, TraceRecord, fold};
use crate::workload::{ClientLoad, WorkloadConfig};
use faultline_checker::{KvInput, KvOutput, Operation, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Builds a node's process from its durable state: at first boot (from
/// `Durable::default()`) and at every restart.
pub type Factory<P> = Arc<dyn Fn(NodeId, NodeKind, &<P as Process>::Durable) -> P + Send + Sync>;

/// Everything fixed for one run.
#[derive(Clone, Debug)]
pub struct WorldConfig {
    /// The run seed; every random stream derives from it.
    pub seed: u64,
    /// Number of server nodes (ids `0..servers`).
    pub servers: u32,
    /// Number of client nodes (ids after the servers).
    pub clients: u32,
    /// The run stops at this true time.
    pub end: SimTime,
    /// Settings of every link at the start.
    pub link: LinkConfig,
    /// Client behaviour.
    pub workload: WorkloadConfig,
    /// Faults to apply, in any order (applied in time order, ties in list order).
    pub faults: FaultSchedule,
    /// Check invariants after every `invariant_stride` events (0: only at the end).
    pub invariant_stride: u64,
    /// Snapshot the world every this many events (0: never; seeking back
    /// then re-runs from the start).
    pub snapshot_every: u64,
    /// Whether to keep trace records.
    pub trace: TraceMode,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 0,
            servers: 3,
            clients: 0,
            end: SimTime::from_duration(Duration::from_secs(10)),
            link: LinkConfig::default(),
            workload: WorkloadConfig::default(),
            faults: Vec::new(),
            invariant_stride: 1,
            snapshot_every: 10_000,
            trace: TraceMode::Fingerprint,
        }
    }
}

/// Something wrong with a world's configuration or an injected fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A fault names a node that does not exist.
    #[error("fault `{fault}` names node {node}, but the run has nodes n0..n{last}")]
    NodeOutOfRange {
        /// The fault.
        fault: String,
        /// The bad id.
        node: NodeId,
        /// The last valid id.
        last: u32,
    },
    /// A fault is scheduled after the end of the run.
    #[error("fault `{fault}` is at {at}, after the end of the run at {end}")]
    AfterEnd {
        /// The fault.
        fault: String,
        /// Its time.
        at: SimTime,
        /// The end.
        end: SimTime,
    },
    /// Some other setting is impossible.
    #[error("{0}")]
    Invalid(String),
}

/// Why a run stopped, or that it has not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    /// More events to run.
    Running,
    /// Reached the end time with every check holding.
    Finished,
    /// An invariant failed.
    Violated(Violation),
}

impl RunStatus {
    /// Whether the run can go on.
    pub fn is_running(&self) -> bool {
        matches!(self, RunStatus::Running)
    }
}

/// An invariant failure: where, when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Invariant name.
    pub invariant: String,
    /// What was wrong.
    pub reason: String,
    /// The number of events run when it was seen.
    pub event: u64,
    /// True time.
    pub time: SimTime,
    /// The run seed.
    pub seed: u64,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invariant `{}` violated at event {} (t={}, seed {}): {}",
            self.invariant, self.event, self.time, self.seed, self.reason
        )
    }
}

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Events processed.
    pub events: u64,
    /// Messages sent (duplicates counted once more each).
    pub sent: u64,
    /// Messages delivered to a handler.
    pub delivered: u64,
    /// Messages dropped because of a partition.
    pub dropped_partition: u64,
    /// Messages lost by a lossy link.
    pub dropped_loss: u64,
    /// Messages addressed to a node that was down.
    pub dropped_node_down: u64,
    /// Messages dropped by an injected fault.
    pub dropped_injected: u64,
    /// Extra copies made by duplication.
    pub duplicated: u64,
    /// Timers that fired.
    pub timers_fired: u64,
    /// Faults applied (including ones that changed nothing).
    pub faults: u64,
    /// Client operations invoked.
    pub ops_invoked: u64,
    /// Client operations completed ok.
    pub ops_ok: u64,
    /// Client operations that definitely failed.
    pub ops_failed: u64,
    /// Client operations completed with unknown outcome.
    pub ops_unknown: u64,
}

impl Stats {
    /// All dropped messages.
    pub fn dropped(&self) -> u64 {
        self.dropped_partition + self.dropped_loss + self.dropped_node_down + self.dropped_injected
    }
}

/// A node's place in the world.
#[derive(Clone, Debug)]
pub(crate) struct NodeSlot<P: Process> {
    pub kind: NodeKind,
    pub process: Option<P>,
    pub durable: P::Durable,
    pub clock: LocalClock,
    pub rng: SimRng,
    /// Bumped on every crash; timers and requests of older epochs are stale.
    pub epoch: u32,
    pub load: Option<ClientLoad>,
}

#[derive(Clone, Debug)]
enum Event<P: Process> {
    Start(NodeId),
    Deliver {
        msg_id: MsgId,
        from: NodeId,
        to: NodeId,
        sent_at: SimTime,
        msg: P::Msg,
    },
    Timer {
        node: NodeId,
        id: TimerId,
        epoch: u32,
        deadline: LocalTime,
        timer: P::Timer,
    },
    Fault(Box<Fault>),
    Request {
        client: NodeId,
        epoch: u32,
    },
}

/// Everything that changes during a run: cloned for snapshots.
#[derive(Clone)]
pub(crate) struct WorldState<P: Process> {
    pub now: SimTime,
    pub next_msg: u64,
    pub next_timer: u64,
    pub next_op: u64,
    queue: EventQueue<Event<P>>,
    pub nodes: Vec<NodeSlot<P>>,
    pub network: Network,
    net_rng: SimRng,
    live_timers: HashSet<TimerId, FixedState>,
    pub history: Vec<Operation<KvInput, KvOutput>>,
    pub fingerprint: u64,
    pub stats: Stats,
    /// Events until the next invariant check (0: never).
    until_check: u64,
    /// Events until the next snapshot (0: never).
    until_snapshot: u64,
    pub status: RunStatus,
    invariants: Vec<Box<dyn Invariant<P>>>,
}

/// A message in flight, for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// Message id.
    pub msg: MsgId,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// When it was sent.
    pub sent_at: SimTime,
    /// When it arrives.
    pub deliver_at: SimTime,
}

/// One run of one algorithm.
pub struct World<P: Process> {
    config: WorldConfig,
    factory: Factory<P>,
    state: WorldState<P>,
    effects: VecDeque<Effect<P>>,
    /// Faults injected during the run, by the event index they follow.
    injections: Vec<ScheduledFault>,
    snapshots: Vec<WorldState<P>>,
    records: Vec<TraceRecord>,
    payloads: Vec<P::Msg>,
    /// Events whose records are already stored (re-execution skips them).
    recorded_events: u64,
}

impl<P: Process> World<P> {
    /// Builds a world. Faults are validated against the node count and end.
    pub fn new(
        config: WorldConfig,
        factory: Factory<P>,
        invariants: Vec<Box<dyn Invariant<P>>>,
    ) -> Result<Self, ConfigError> {
        let total = config.servers + config.clients;
        if config.servers == 0 {
            return Err(ConfigError::Invalid(
                "a run needs at least one server".into(),
            ));
        }
        config.link.validate().map_err(ConfigError::Invalid)?;
        if config.clients > 0 {
            config.workload.validate().map_err(ConfigError::Invalid)?;
        }
        for f in &config.faults {
            validate_fault(&f.fault, total)?;
            if f.at > config.end {
                return Err(ConfigError::AfterEnd {
                    fault: f.fault.to_string(),
                    at: f.at,
                    end: config.end,
                });
            }
        }
        let seed = config.seed;
        let nodes: Vec<NodeSlot<P>> = (0..total)
            .map(|i| {
                let id = NodeId(i);
                let kind = if i < config.servers {
                    NodeKind::Server
                } else {
                    NodeKind::Client
                };
                let durable = P::Durable::default();
                NodeSlot {
                    kind,
                    process: Some(factory(id, kind, &durable)),
                    durable,
                    clock: LocalClock::default(),
                    rng: SimRng::stream(seed, "node", i as u64),
                    epoch: 0,
                    load: (kind == NodeKind::Client).then(|| ClientLoad::new(seed, i)),
                }
            })
            .collect();
        let mut state = WorldState {
            now: SimTime::ZERO,
            next_msg: 0,
            next_timer: 0,
            next_op: 0,
            queue: EventQueue::default(),
            nodes,
            network: Network::full_mesh(total as usize, &config.link),
            net_rng: SimRng::stream(seed, "network", 0),
            live_timers: HashSet::default(),
            history: Vec::new(),
            fingerprint: crate::rng::mix64(seed),
            stats: Stats::default(),
            until_check: config.invariant_stride,
            until_snapshot: config.snapshot_every,
            status: RunStatus::Running,
            invariants,
        };
        for i in 0..total {
            state.push(SimTime::ZERO, Event::Start(NodeId(i)));
        }
        let mut faults = config.faults.clone();
        faults.sort_by_key(|f| f.at); // stable: ties keep list order
        for f in faults.into_iter().filter(|f| f.after_event.is_none()) {
            state.push(f.at, Event::Fault(Box::new(f.fault)));
        }
        let mut injections: Vec<ScheduledFault> = config
            .faults
            .iter()
            .filter(|f| f.after_event.is_some())
            .cloned()
            .collect();
        injections.sort_by_key(|f| f.after_event);
        // Snapshot 0 is always kept: seeking back without periodic snapshots
        // re-runs from it.
        let snapshots = vec![state.clone()];
        Ok(World {
            config,
            factory,
            state,
            effects: VecDeque::with_capacity(16),
            injections,
            snapshots,
            records: Vec::new(),
            payloads: Vec::new(),
            recorded_events: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// True time now.
    pub fn now(&self) -> SimTime {
        self.state.now
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.state.stats.events
    }

    /// The running fingerprint.
    pub fn fingerprint(&self) -> u64 {
        crate::trace::finish(self.state.fingerprint)
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.state.stats
    }

    /// Running, finished or violated.
    pub fn status(&self) -> &RunStatus {
        &self.state.status
    }

    /// The client history so far.
    pub fn history(&self) -> &[Operation<KvInput, KvOutput>] {
        &self.state.history
    }

    /// The stored trace records (empty unless the trace mode is full). In a
    /// world that was seeked backwards this runs past the cursor: the known
    /// future of the current branch.
    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }

    /// The payload of a message, when the trace mode is full.
    pub fn payload(&self, msg: MsgId) -> Option<&P::Msg> {
        self.payloads.get(msg.0 as usize)
    }

    /// The live process of a node (`None` while crashed).
    pub fn process(&self, id: NodeId) -> Option<&P> {
        self.state.nodes.get(id.index())?.process.as_ref()
    }

    /// The durable state of a node.
    pub fn durable(&self, id: NodeId) -> &P::Durable {
        &self.state.nodes[id.index()].durable
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.state.nodes.len()
    }

    /// Server or client.
    pub fn kind(&self, id: NodeId) -> NodeKind {
        self.state.nodes[id.index()].kind
    }

    /// The node's clock.
    pub fn clock(&self, id: NodeId) -> &LocalClock {
        &self.state.nodes[id.index()].clock
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.state.network
    }

    /// A node's view (a crashed node shows as `down`).
    pub fn view(&self, id: NodeId) -> NodeView {
        match self.process(id) {
            Some(p) => p.view(),
            None => NodeView::new("down", "crashed"),
        }
    }

    /// The invariants and their state.
    pub fn invariants(&self) -> impl Iterator<Item = &dyn Invariant<P>> {
        self.state.invariants.iter().map(|b| b.as_ref())
    }

    /// Every fault of this branch: the configured schedule plus injections.
    pub fn fault_schedule(&self) -> FaultSchedule {
        let mut all: FaultSchedule = self
            .config
            .faults
            .iter()
            .filter(|f| f.after_event.is_none())
            .cloned()
            .collect();
        all.extend(self.injections.iter().cloned());
        all.sort_by_key(|f| f.at);
        all
    }

    /// Messages in flight now, in arrival order.
    pub fn in_flight(&self) -> Vec<InFlight> {
        let mut out: Vec<(u64, InFlight)> = self
            .state
            .queue
            .iter()
            .filter_map(|(time, seq, event)| match event {
                Event::Deliver {
                    msg_id,
                    from,
                    to,
                    sent_at,
                    ..
                } => Some((
                    seq,
                    InFlight {
                        msg: *msg_id,
                        from: *from,
                        to: *to,
                        sent_at: *sent_at,
                        deliver_at: time,
                    },
                )),
                _ => None,
            })
            .collect();
        out.sort_by_key(|(seq, f)| (f.deliver_at, *seq));
        out.into_iter().map(|(_, f)| f).collect()
    }

    /// The time of the next event, if the run can go on.
    pub fn next_time(&self) -> Option<SimTime> {
        if !self.state.status.is_running() {
            return None;
        }
        if self.next_injection().is_some() {
            return Some(self.state.now);
        }
        self.state
            .queue
            .peek_time()
            .filter(|&t| t <= self.config.end)
    }

    #[inline]
    fn next_injection(&self) -> Option<usize> {
        if self.injections.is_empty() {
            return None;
        }
        let events = self.state.stats.events;
        let i = self
            .injections
            .partition_point(|f| f.after_event.unwrap_or(0) < events);
        (i < self.injections.len() && self.injections[i].after_event == Some(events)).then_some(i)
    }

    /// Runs one event. Returns false when the run has stopped (end reached
    /// or an invariant failed).
    pub fn step(&mut self) -> bool {
        if !self.state.status.is_running() {
            return false;
        }
        if let Some(i) = self.next_injection() {
            let fault = self.injections[i].fault.clone();
            self.apply_fault(fault);
            self.finish_event();
            return true;
        }
        loop {
            let Some(time) = self.state.queue.peek_time() else {
                self.finish_run();
                return false;
            };
            if time > self.config.end {
                self.finish_run();
                return false;
            }
            let (time, event) = self.state.queue.pop().expect("peeked");
            if !self.is_live(&event) {
                self.state.queue.settle();
                continue;
            }
            debug_assert!(time >= self.state.now, "time went backwards");
            self.state.now = time;
            self.dispatch(event);
            self.state.queue.settle();
            self.finish_event();
            return true;
        }
    }

    /// Runs until the end or a violation.
    pub fn run(&mut self) -> &RunStatus {
        while self.step() {}
        &self.state.status
    }

    /// Runs every event at or before true time `t`.
    pub fn run_until_time(&mut self, t: SimTime) -> &RunStatus {
        while self.next_time().is_some_and(|next| next <= t) {
            if !self.step() {
                break;
            }
        }
        if self.state.status.is_running() && t >= self.config.end {
            self.finish_run();
        }
        &self.state.status
    }

    /// Runs until `events` events have run (or the run stops first).
    pub fn run_until_event(&mut self, events: u64) -> &RunStatus {
        while self.state.stats.events < events && self.step() {}
        &self.state.status
    }

    /// Moves to the state after `event` events: backwards by restoring the
    /// nearest earlier snapshot and re-executing, forwards by running (from a
    /// later snapshot when one exists). Continuing afterwards gives exactly
    /// the events and fingerprint of a straight run.
    pub fn seek(&mut self, event: u64) -> &RunStatus {
        let k = self.config.snapshot_every;
        let current = self.state.stats.events;
        let idx = event
            .checked_div(k)
            .map_or(0, |i| (i as usize).min(self.snapshots.len() - 1));
        let snap_events = idx as u64 * k;
        if event < current || snap_events > current {
            self.state = self.snapshots[idx].clone();
        }
        self.run_until_event(event)
    }

    /// Applies a fault now, as the next event, and records it in the branch
    /// so that replaying the fault schedule reproduces this run exactly. The
    /// known future after this point is discarded.
    pub fn inject(&mut self, fault: Fault) -> Result<(), ConfigError> {
        validate_fault(&fault, self.state.nodes.len() as u32)?;
        if !self.state.status.is_running() && self.state.now >= self.config.end {
            return Err(ConfigError::Invalid(
                "the run has ended; seek back to inject a fault".into(),
            ));
        }
        let events = self.state.stats.events;
        self.truncate_future(events);
        let at = self.state.now;
        let pos = self
            .injections
            .partition_point(|f| f.after_event.unwrap_or(0) <= events);
        self.injections.insert(
            pos,
            ScheduledFault {
                at,
                after_event: Some(events),
                fault,
            },
        );
        if matches!(self.state.status, RunStatus::Violated(_)) {
            return Ok(());
        }
        self.step();
        Ok(())
    }

    fn truncate_future(&mut self, events: u64) {
        let keep = self.records.partition_point(|r| r.event < events);
        self.records.truncate(keep);
        self.payloads.truncate(self.state.next_msg as usize);
        self.recorded_events = self.recorded_events.min(events);
        self.injections
            .retain(|f| f.after_event.unwrap_or(0) < events);
        let k = self.config.snapshot_every;
        let keep = events.checked_div(k).map_or(1, |i| i as usize + 1);
        self.snapshots.truncate(keep);
    }

    fn is_live(&mut self, event: &Event<P>) -> bool {
        match event {
            Event::Timer {
                node, id, epoch, ..
            } => {
                let live = self.state.live_timers.remove(id);
                live && *epoch == self.state.nodes[node.index()].epoch
            }
            Event::Request { client, epoch } => {
                let slot = &self.state.nodes[client.index()];
                *epoch == slot.epoch && slot.process.is_some()
            }
            _ => true,
        }
    }

    #[inline(always)]
    fn dispatch(&mut self, event: Event<P>) {
        match event {
            Event::Start(node) => {
                self.record(RecordKind::Start { node }, 0);
                self.start_node(node);
            }
            Event::Deliver {
                msg_id,
                from,
                to,
                sent_at,
                msg,
            } => {
                let reason = if self.state.nodes[to.index()].process.is_none() {
                    Some(DropReason::NodeDown)
                } else if self.state.network.any_cut()
                    && self.state.network.is_cut(from, to)
                    && from != to
                {
                    Some(DropReason::Partition)
                } else {
                    None
                };
                if let Some(reason) = reason {
                    self.count_drop(reason);
                    self.record(
                        RecordKind::Drop {
                            msg: msg_id,
                            from,
                            to,
                            sent_at,
                            reason,
                        },
                        0,
                    );
                    return;
                }
                self.state.stats.delivered += 1;
                self.record(
                    RecordKind::Deliver {
                        msg: msg_id,
                        from,
                        to,
                        sent_at,
                    },
                    0,
                );
                self.call(to, |p, ctx| p.on_message(ctx, from, msg));
            }
            Event::Timer {
                node, id, timer, ..
            } => {
                self.state.stats.timers_fired += 1;
                self.record(RecordKind::Timer { node, timer: id }, 0);
                self.call(node, |p, ctx| p.on_timer(ctx, timer));
            }
            Event::Fault(fault) => self.apply_fault(*fault),
            Event::Request { client, .. } => {
                let cfg = &self.config.workload;
                let slot = &mut self.state.nodes[client.index()];
                let load = slot.load.as_mut().expect("requests go to clients");
                let input = load.next_input(cfg, client.0);
                let op = OpId(self.state.next_op);
                self.state.next_op += 1;
                load.outstanding = Some(op);
                self.open_op(client, op, input.clone());
                self.call(client, |p, ctx| p.on_request(ctx, op, input));
            }
        }
    }

    fn start_node(&mut self, node: NodeId) {
        self.call(node, |p, ctx| p.on_start(ctx));
        self.schedule_request(node);
    }

    fn schedule_request(&mut self, client: NodeId) {
        let cfg = &self.config.workload;
        let slot = &mut self.state.nodes[client.index()];
        let Some(load) = slot.load.as_mut() else {
            return;
        };
        if slot.process.is_none() || !load.may_issue(cfg) {
            return;
        }
        let think = load.think(cfg);
        let epoch = slot.epoch;
        let at = self.state.now + think;
        self.state.push(at, Event::Request { client, epoch });
    }

    /// Runs a handler of a live node and applies its effects.
    #[inline(always)]
    fn call(&mut self, node: NodeId, handler: impl FnOnce(&mut P, &mut Ctx<'_, P>)) {
        let s = &mut self.state;
        let slot = &mut s.nodes[node.index()];
        let Some(process) = slot.process.as_mut() else {
            return;
        };
        let mut ctx = Ctx {
            id: node,
            now: slot.clock.read(s.now),
            servers: self.config.servers,
            nodes: self.config.servers + self.config.clients,
            rng: &mut slot.rng,
            durable: &mut slot.durable,
            effects: &mut self.effects,
            next_timer: &mut s.next_timer,
            next_op: &mut s.next_op,
            tracing: self.config.trace == TraceMode::Full,
        };
        handler(process, &mut ctx);
        // A queue rather than a drained Vec: no buffer juggling per event.
        while let Some(effect) = self.effects.pop_front() {
            self.apply_effect(node, effect);
        }
    }

    #[inline]
    fn apply_effect(&mut self, node: NodeId, effect: Effect<P>) {
        match effect {
            Effect::Send(to, msg) => self.send(node, to, msg),
            Effect::SetTimer(id, after, timer) => {
                let slot = &self.state.nodes[node.index()];
                let deadline = slot.clock.read(self.state.now) + after;
                let at = slot.clock.true_time_of(deadline, self.state.now);
                let epoch = slot.epoch;
                self.state.live_timers.insert(id);
                self.state.push(
                    at,
                    Event::Timer {
                        node,
                        id,
                        epoch,
                        deadline,
                        timer,
                    },
                );
            }
            Effect::CancelTimer(id) => {
                self.state.live_timers.remove(&id);
            }
            Effect::Invoke(op, input) => self.open_op(node, op, *input),
            Effect::Complete(op, outcome) => self.close_op(node, op, *outcome),
            Effect::Note(text) => self.record(RecordKind::Note { node, text }, 0),
        }
    }

    #[inline]
    fn send(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        assert!(
            to.index() < self.state.nodes.len(),
            "{from} sent to {to}, which does not exist (the run has {} nodes)",
            self.state.nodes.len()
        );
        let payload_hash = stable_hash(&msg);
        let s = &mut self.state;
        let now = s.now;
        let msg_id = MsgId(s.next_msg);
        s.next_msg += 1;
        s.stats.sent += 1;
        let transit = s.network.transmit(from, to, now, &mut s.net_rng);
        let full = self.config.trace == TraceMode::Full;
        match transit {
            Transit::Dropped(reason) => {
                if full {
                    self.store_payload(msg_id, &msg);
                }
                self.count_drop(reason);
                self.record(
                    RecordKind::Send {
                        msg: msg_id,
                        from,
                        to,
                        deliver_at: None,
                        duplicate_of: None,
                    },
                    payload_hash,
                );
                self.record(
                    RecordKind::Drop {
                        msg: msg_id,
                        from,
                        to,
                        sent_at: now,
                        reason,
                    },
                    0,
                );
            }
            Transit::Deliver(at, duplicate) => {
                self.record(
                    RecordKind::Send {
                        msg: msg_id,
                        from,
                        to,
                        deliver_at: Some(at),
                        duplicate_of: None,
                    },
                    payload_hash,
                );
                if full {
                    self.store_payload(msg_id, &msg);
                }
                if let Some(dup_at) = duplicate {
                    let s = &mut self.state;
                    let dup_id = MsgId(s.next_msg);
                    s.next_msg += 1;
                    s.stats.sent += 1;
                    s.stats.duplicated += 1;
                    if full {
                        self.store_payload(dup_id, &msg);
                    }
                    self.record(
                        RecordKind::Send {
                            msg: dup_id,
                            from,
                            to,
                            deliver_at: Some(dup_at),
                            duplicate_of: Some(msg_id),
                        },
                        payload_hash,
                    );
                    let copy = Event::Deliver {
                        msg_id: dup_id,
                        from,
                        to,
                        sent_at: now,
                        msg: msg.clone(),
                    };
                    self.state.push(dup_at, copy);
                }
                self.state.push(
                    at,
                    Event::Deliver {
                        msg_id,
                        from,
                        to,
                        sent_at: now,
                        msg,
                    },
                );
            }
        }
    }

    fn store_payload(&mut self, id: MsgId, msg: &P::Msg) {
        if (id.0 as usize) == self.payloads.len() {
            self.payloads.push(msg.clone());
        }
    }

    fn count_drop(&mut self, reason: DropReason) {
        let stats = &mut self.state.stats;
        match reason {
            DropReason::Partition => stats.dropped_partition += 1,
            DropReason::Loss => stats.dropped_loss += 1,
            DropReason::NodeDown => stats.dropped_node_down += 1,
            DropReason::Injected => stats.dropped_injected += 1,
        }
    }

    fn open_op(&mut self, client: NodeId, op: OpId, input: KvInput) {
        debug_assert_eq!(
            op.0 as usize,
            self.state.history.len(),
            "op ids index the history"
        );
        let input_hash = stable_hash(&input);
        self.state.history.push(Operation {
            client: client.0 as u64,
            input,
            call: self.state.now.0,
            outcome: Outcome::Unknown,
            ret: None,
        });
        self.state.stats.ops_invoked += 1;
        self.record(RecordKind::Invoke { client, op }, input_hash);
    }

    fn close_op(&mut self, client: NodeId, op: OpId, outcome: Outcome<KvOutput>) {
        let now = self.state.now;
        let entry = self.state.history.get_mut(op.0 as usize);
        let valid = entry.as_ref().is_some_and(|e| {
            e.client == client.0 as u64 && e.ret.is_none() && e.outcome == Outcome::Unknown
        });
        if !valid {
            self.violate(
                "history_well_formed",
                format!("{client} completed operation #{} which it has not invoked or already completed", op.0),
            );
            return;
        }
        let entry = entry.expect("checked");
        let outcome_hash = stable_hash(&format!("{outcome:?}"));
        match &outcome {
            Outcome::Ok(_) => self.state.stats.ops_ok += 1,
            Outcome::Fail => self.state.stats.ops_failed += 1,
            Outcome::Unknown => self.state.stats.ops_unknown += 1,
        }
        if !matches!(outcome, Outcome::Unknown) {
            entry.ret = Some(now.0);
        }
        if let Outcome::Ok(output) = &outcome {
            let input = entry.input.clone();
            if let Some(load) = self.state.nodes[client.index()].load.as_mut() {
                load.observe(&input, output);
            }
        }
        let entry = &mut self.state.history[op.0 as usize];
        entry.outcome = outcome;
        self.record(RecordKind::Complete { client, op }, outcome_hash);
        let slot = &mut self.state.nodes[client.index()];
        if let Some(load) = slot.load.as_mut()
            && load.outstanding == Some(op)
        {
            load.outstanding = None;
            self.schedule_request(client);
        }
    }

    fn apply_fault(&mut self, fault: Fault) {
        self.state.stats.faults += 1;
        let now = self.state.now;
        let effective = match &fault {
            Fault::Partition { groups } => {
                self.state.network.partition(groups);
                true
            }
            Fault::PartitionOneWay { from, to } => {
                self.state.network.partition_one_way(from, to);
                true
            }
            Fault::Isolate { node } => {
                self.state.network.isolate(*node);
                true
            }
            Fault::Heal => {
                let any = self.state.network.any_cut();
                self.state.network.heal();
                any
            }
            Fault::Link { from, to, change } => {
                self.state.network.change_links(*from, *to, change);
                true
            }
            Fault::Crash { node } => {
                let slot = &mut self.state.nodes[node.index()];
                if slot.process.is_none() {
                    false
                } else {
                    slot.process = None;
                    slot.epoch += 1;
                    if let Some(load) = slot.load.as_mut() {
                        // The open operation stays in the history with unknown outcome.
                        load.outstanding = None;
                    }
                    true
                }
            }
            Fault::Restart { .. } => self.state.nodes[fault_node(&fault).index()]
                .process
                .is_none(),
            Fault::ClockOffset { node, offset } => {
                self.state.nodes[node.index()]
                    .clock
                    .set_offset(now, *offset);
                self.reschedule_timers(*node);
                true
            }
            Fault::ClockDrift { node, ppm } => {
                self.state.nodes[node.index()].clock.set_drift(now, *ppm);
                self.reschedule_timers(*node);
                true
            }
            Fault::ClockStep { node, delta } => {
                self.state.nodes[node.index()].clock.step(now, *delta);
                self.reschedule_timers(*node);
                true
            }
            Fault::DropMessage { message } => self.drop_in_flight(MsgId(*message)),
        };
        let restart = match (&fault, effective) {
            (Fault::Restart { node }, true) => Some(*node),
            _ => None,
        };
        self.record(
            RecordKind::Fault {
                fault: Box::new(fault),
                effective,
            },
            effective as u64,
        );
        if let Some(node) = restart {
            let slot = &mut self.state.nodes[node.index()];
            slot.process = Some((self.factory)(node, slot.kind, &slot.durable));
            self.start_node(node);
        }
    }

    /// Moves a node's pending timers to the true time at which its changed
    /// clock reaches their local deadlines.
    fn reschedule_timers(&mut self, node: NodeId) {
        let now = self.state.now;
        let clock = &self.state.nodes[node.index()].clock;
        self.state.queue.retime(|_, event| match event {
            Event::Timer {
                node: owner,
                deadline,
                ..
            } if *owner == node => Some(clock.true_time_of(*deadline, now)),
            _ => None,
        });
    }

    fn drop_in_flight(&mut self, id: MsgId) -> bool {
        let dropped = self
            .state
            .queue
            .remove_first(|e| matches!(e, Event::Deliver { msg_id, .. } if *msg_id == id));
        match dropped {
            Some(Event::Deliver {
                msg_id,
                from,
                to,
                sent_at,
                ..
            }) => {
                self.count_drop(DropReason::Injected);
                self.record(
                    RecordKind::Drop {
                        msg: msg_id,
                        from,
                        to,
                        sent_at,
                        reason: DropReason::Injected,
                    },
                    0,
                );
                true
            }
            _ => false,
        }
    }

    // Inlined so each call site's variant is known and its drop glue vanishes.
    #[inline(always)]
    fn record(&mut self, kind: RecordKind, extra: u64) {
        let event = self.state.stats.events;
        let time = self.state.now;
        self.state.fingerprint = fold(self.state.fingerprint, event, time, &kind, extra);
        if self.config.trace == TraceMode::Full
            && event >= self.recorded_events
            && !self.violation_recorded(event, &kind)
        {
            self.records.push(TraceRecord { event, time, kind });
        }
    }

    /// A violation is recorded with the count of events run, which equals
    /// `recorded_events` both the first time and when a seek re-runs up to
    /// it: this keeps it from being stored twice.
    fn violation_recorded(&self, event: u64, kind: &RecordKind) -> bool {
        matches!(kind, RecordKind::Violation { .. })
            && self
                .records
                .last()
                .is_some_and(|r| r.event == event && matches!(r.kind, RecordKind::Violation { .. }))
    }

    fn finish_event(&mut self) {
        let s = &mut self.state;
        s.stats.events += 1;
        let events = s.stats.events;
        self.recorded_events = self.recorded_events.max(events);
        // Countdowns instead of `%`: a 64-bit division per event is
        // measurable in the ping storm benchmark.
        if self.state.until_check == 1 {
            self.state.until_check = self.config.invariant_stride;
            if self.state.status.is_running() && !self.state.invariants.is_empty() {
                self.check_invariants(false);
            }
        } else if self.state.until_check > 1 {
            self.state.until_check -= 1;
        }
        if self.state.until_snapshot == 1 {
            self.take_snapshot(events);
        } else if self.state.until_snapshot > 1 {
            self.state.until_snapshot -= 1;
        }
    }

    #[cold]
    fn take_snapshot(&mut self, events: u64) {
        let k = self.config.snapshot_every;
        self.state.until_snapshot = k;
        if self.snapshots.len() as u64 == events / k {
            self.snapshots.push(self.state.clone());
        }
    }

    fn finish_run(&mut self) {
        if !self.state.status.is_running() {
            return;
        }
        self.state.now = self.state.now.max(self.config.end);
        self.state.status = RunStatus::Finished;
        if !self.check_invariants(false) {
            return;
        }
        self.check_invariants(true);
    }

    /// Checks every invariant; returns false (and stops the run) on failure.
    fn check_invariants(&mut self, at_end: bool) -> bool {
        let s = &mut self.state;
        let world = WorldRef {
            slots: &s.nodes,
            now: s.now,
            servers: self.config.servers,
            history: &s.history,
        };
        let mut failure = None;
        for inv in s.invariants.iter_mut() {
            let result = if at_end {
                inv.at_end(&world)
            } else {
                inv.check(&world)
            };
            if let Err(reason) = result {
                failure = Some((inv.name().to_string(), reason));
                break;
            }
        }
        match failure {
            Some((name, reason)) => {
                self.violate(&name, reason);
                false
            }
            None => true,
        }
    }

    fn violate(&mut self, invariant: &str, reason: String) {
        let violation = Violation {
            invariant: invariant.to_string(),
            reason: reason.clone(),
            event: self.state.stats.events,
            time: self.state.now,
            seed: self.config.seed,
        };
        self.record(
            RecordKind::Violation {
                invariant: invariant.to_string(),
                reason,
            },
            0,
        );
        self.state.status = RunStatus::Violated(violation);
    }
}

fn fault_node(fault: &Fault) -> NodeId {
    fault.nodes()[0]
}

impl<P: Process> WorldState<P> {
    #[inline]
    fn push(&mut self, time: SimTime, event: Event<P>) {
        self.queue.push(time, event);
    }
}

/// Checks that a fault names only existing nodes and sane values.
pub fn validate_fault(fault: &Fault, nodes: u32) -> Result<(), ConfigError> {
    for node in fault.nodes() {
        if node.0 >= nodes {
            return Err(ConfigError::NodeOutOfRange {
                fault: fault.to_string(),
                node,
                last: nodes.saturating_sub(1),
            });
        }
    }
    match fault {
        Fault::Link { change, .. } => change.validate().map_err(ConfigError::Invalid),
        Fault::ClockDrift { ppm, .. } if ppm.abs() > crate::clock::MAX_DRIFT_PPM => {
            Err(ConfigError::Invalid(format!(
                "clock drift of {ppm}ppm is outside ±{}ppm",
                crate::clock::MAX_DRIFT_PPM
            )))
        }
        _ => Ok(()),
    }
}
