//! The world: nodes, clocks, network, event queue, history, invariants and
//! trace of one run, and the loop that advances it one event at a time.
//!
//! Everything that changes during a run lives in `WorldState`, which is
//! `Clone`; the world snapshots it every `snapshot_every` events and seeks by
//! restoring the nearest snapshot and re-executing. Faults injected during a
//! run are kept outside the state, with the event index they follow, so a
//! branch survives seeking backwards and replays exactly.

use crate::LocalClock;
use crate::family::OpFamily;
use crate::fault::{Fault, FaultSchedule, ScheduledFault};
use crate::hash::{FixedState, stable_hash};
use crate::invariant::{Invariant, WorldRef};
use crate::monitor::{Moment, Monitor, TimeCheck};
use crate::network::{DropReason, LinkConfig, Network, Transit};
use crate::observe::Report;
use crate::process::{
    Ctx, Effect, MsgId, NodeId, NodeKind, NodeView, OpId, OpInput, OpOf, OpOutput, Process, TimerId,
};
use crate::queue::EventQueue;
use crate::rng::SimRng;
use crate::time::{LocalTime, SimTime};
use crate::trace::{RecordKind, TraceMode, TraceRecord, fold};
use crate::workload::{ClientGroup, ClientLoad, Pin, WorkloadConfig};
use faultline_checker::{Operation, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

mod access;
mod adversary;
mod clients;
mod config;
mod faults;
mod messages;

pub(crate) use adversary::TIMER_BITS;
pub use adversary::{Budgets, Choice, MAX_SPLIT_SERVERS};
pub use config::{AdversarySetup, ConfigError, RunStatus, Stats, Violation, WorldConfig};
pub use faults::{validate_aimed, validate_fault};

/// Builds a node's process from its durable state: at first boot (from
/// `Durable::default()`) and at every restart.
pub type Factory<P> = Arc<dyn Fn(NodeId, NodeKind, &<P as Process>::Durable) -> P + Send + Sync>;

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
    pub load: Option<ClientLoad<P::Family>>,
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
    pub history: Vec<OpOf<P>>,
    pub fingerprint: u64,
    pub stats: Stats,
    /// Events until the next invariant check (0: never).
    until_check: u64,
    /// Events until the next snapshot (0: never).
    until_snapshot: u64,
    pub status: RunStatus,
    invariants: Vec<Box<dyn Invariant<P>>>,
    /// Events run in a row at the instant `now` (the progress guard).
    same_instant: u64,
    /// Events the nodes reported, in order (not in the fingerprint).
    pub reports: Vec<Report>,
    /// Checks over time (none unless a scenario asks).
    monitors: Vec<Monitor>,
    /// Which server each fault aimed at a role hit, in order.
    aimed: Vec<faults::Resolution>,
    /// What an adversary has spent on this path (unused without one).
    adv: adversary::AdversaryState,
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

/// The group of each client, in id order, after checking the groups
/// against the client count and the roles `P` publishes.
fn client_groups<P: Process>(config: &WorldConfig) -> Result<Vec<u32>, ConfigError> {
    if config.groups.is_empty() {
        return Ok(vec![0; config.clients as usize]);
    }
    let total: u64 = config.groups.iter().map(|g| u64::from(g.count)).sum();
    if total != u64::from(config.clients) {
        return Err(ConfigError::Invalid(format!(
            "the client groups hold {total} clients; expected {}, the client count",
            config.clients
        )));
    }
    let mut group_of = Vec::with_capacity(config.clients as usize);
    for (i, g) in config.groups.iter().enumerate() {
        check_pin::<P>(g, config.servers)?;
        group_of.extend(std::iter::repeat_n(i as u32, g.count as usize));
    }
    Ok(group_of)
}

fn check_pin<P: Process>(group: &ClientGroup, servers: u32) -> Result<(), ConfigError> {
    match &group.pin {
        None => Ok(()),
        Some(Pin::Node(n)) if n.0 < servers => Ok(()),
        Some(Pin::Node(n)) => Err(ConfigError::Invalid(format!(
            "a client group is pinned to {n}, which is not a server (there are {servers})"
        ))),
        Some(Pin::Role(role))
            if P::OBSERVABLES
                .iter()
                .any(|o| o.name == *role && o.kind == crate::observe::ObservableKind::Role) =>
        {
            Ok(())
        }
        Some(Pin::Role(role)) => Err(ConfigError::Invalid(format!(
            "a client group is pinned to `{role}`, which is not a role this algorithm publishes"
        ))),
    }
}

/// One run of one algorithm.
pub struct World<P: Process> {
    config: WorldConfig,
    /// What clients ask for: the family's settings, one per client group
    /// (or one for every group); pacing is in `config`.
    workloads: Vec<<P::Family as OpFamily>::Workload>,
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
    /// The one node the current event may have changed, if known.
    touched: Option<NodeId>,
    /// The kind of the fault the current event applied, when it changed
    /// something (checks over time open and close windows on it).
    fault_applied: Option<&'static str>,
    /// The server the operation being invoked is pinned to, handed to the
    /// client's `on_request` as [`Ctx::pin`].
    request_pin: Option<NodeId>,
    /// The adversary choosing the steps, when the world is explored or a
    /// path is replayed ([`World::with_adversary`]).
    adversary: Option<adversary::Adversary>,
}

impl<P: Process> World<P> {
    /// Builds a world. Faults are validated against the node count and end.
    pub fn new(
        config: WorldConfig,
        factory: Factory<P>,
        invariants: Vec<Box<dyn Invariant<P>>>,
    ) -> Result<Self, ConfigError> {
        if config.servers == 0 {
            return Err(ConfigError::Invalid(
                "a run needs at least one server".into(),
            ));
        }
        let total = match config.node_count() {
            Some(n) if n <= crate::limits::MAX_NODES => n,
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "{} servers and {} clients are more than {} nodes, the most a run may have",
                    config.servers,
                    config.clients,
                    crate::limits::MAX_NODES
                )));
            }
        };
        config.link.validate().map_err(ConfigError::Invalid)?;
        let group_of = client_groups::<P>(&config)?;
        for f in &config.faults {
            validate_fault(&f.fault, total)?;
            validate_aimed::<P>(&f.fault)?;
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
                    load: (kind == NodeKind::Client)
                        .then(|| ClientLoad::new(seed, i, group_of[(i - config.servers) as usize])),
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
            network: Network::with_links(total as usize, &config.link, &config.link_overrides),
            net_rng: SimRng::stream(seed, "network", 0),
            live_timers: HashSet::default(),
            history: Vec::new(),
            fingerprint: crate::rng::mix64(seed),
            stats: Stats::default(),
            until_check: config.invariant_stride,
            until_snapshot: config.snapshot_every,
            status: RunStatus::Running,
            invariants,
            same_instant: 0,
            reports: Vec::new(),
            monitors: Vec::new(),
            aimed: Vec::new(),
            adv: Default::default(),
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
        let adversary = config.adversary.clone();
        let world = World {
            config,
            workloads: vec![Default::default()],
            factory,
            state,
            effects: VecDeque::with_capacity(16),
            injections,
            snapshots,
            records: Vec::new(),
            payloads: Vec::new(),
            recorded_events: 0,
            touched: None,
            fault_applied: None,
            request_pin: None,
            adversary: None,
        };
        match adversary {
            Some(a) => world.with_adversary(a.budgets, a.script),
            None => Ok(world),
        }
    }

    /// Sets what every client asks for: the operation family's workload
    /// settings (without this, the family's defaults). Pacing (think time,
    /// operation cap) is in the [`WorldConfig`].
    pub fn with_workload(self, workload: <P::Family as OpFamily>::Workload) -> Self {
        self.with_workloads(vec![workload])
            .expect("one workload serves every group")
    }

    /// Sets what each client group asks for, in the order of
    /// [`WorldConfig::groups`]: one workload per group, or one for all.
    pub fn with_workloads(
        mut self,
        workloads: Vec<<P::Family as OpFamily>::Workload>,
    ) -> Result<Self, ConfigError> {
        assert_eq!(
            self.state.stats.events, 0,
            "the workload is set before the run starts"
        );
        let groups = self.config.groups.len().max(1);
        if workloads.len() != 1 && workloads.len() != groups {
            return Err(ConfigError::Invalid(format!(
                "{} workloads for {groups} client groups; expected one per group or one for all",
                workloads.len()
            )));
        }
        self.workloads = workloads;
        Ok(self)
    }

    /// Adds checks over time ([`crate::monitor`]), evaluated after every
    /// event whatever the invariant stride. They read observables and
    /// reports, never the fingerprint.
    pub fn with_time_checks(mut self, checks: Vec<TimeCheck>) -> Self {
        assert_eq!(
            self.state.stats.events, 0,
            "checks over time are set before the run starts"
        );
        let mut monitors: Vec<Monitor> = checks.into_iter().map(Monitor::new).collect();
        let moment = self.moment();
        for m in &mut monitors {
            m.start(&moment);
        }
        self.state.monitors = monitors;
        self.snapshots[0] = self.state.clone();
        self
    }

    fn moment(&self) -> Moment<'_, P> {
        Moment {
            now: self.state.now,
            slots: &self.state.nodes,
            servers: self.config.servers,
            stats: &self.state.stats,
            reports: &self.state.reports,
            event: self.state.stats.events.saturating_sub(1),
            touched: self.touched,
            fault: self.fault_applied,
        }
    }

    /// Events the nodes have reported so far.
    pub fn reports(&self) -> &[Report] {
        &self.state.reports
    }

    #[inline(never)]
    fn check_over_time(&mut self) {
        let mut monitors = std::mem::take(&mut self.state.monitors);
        let moment = self.moment();
        let mut failure = None;
        for m in &mut monitors {
            if let Err(reason) = m.after_event(&moment) {
                failure = Some((m.name().to_string(), reason));
                break;
            }
        }
        self.state.monitors = monitors;
        if let Some((name, reason)) = failure {
            self.violate(&name, reason);
        }
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
            self.touched = fault.node_state();
            self.state.same_instant += 1;
            self.apply_fault(fault);
            self.finish_event();
            return true;
        }
        if self.adversary.is_some()
            && let Some(more) = self.scripted_step()
        {
            return more;
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
            assert!(time >= self.state.now, "time went backwards");
            if time > self.state.now {
                self.state.same_instant = 0;
            }
            self.state.same_instant += 1;
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
        self.touched = match &event {
            Event::Start(node) => Some(*node),
            Event::Deliver { to, .. } => Some(*to),
            Event::Timer { node, .. } => Some(*node),
            Event::Request { client, .. } => Some(*client),
            Event::Fault(fault) => fault.node_state(),
        };
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
                let slot = &mut self.state.nodes[client.index()];
                let load = slot.load.as_mut().expect("requests go to clients");
                let group = load.group as usize;
                let workload = &self.workloads[group.min(self.workloads.len() - 1)];
                let input = load.next_input(workload, client);
                let op = OpId(self.state.next_op);
                self.state.next_op += 1;
                load.outstanding = Some(op);
                self.open_op(client, op, input.clone());
                self.request_pin = match self.config.groups.get(group).and_then(|g| g.pin.as_ref())
                {
                    None => None,
                    Some(Pin::Node(server)) => Some(*server),
                    Some(Pin::Role(role)) => {
                        faults::role_holder(&self.state.nodes, self.config.servers, role)
                    }
                };
                self.call(client, |p, ctx| p.on_request(ctx, op, input));
                self.request_pin = None;
            }
        }
    }

    fn start_node(&mut self, node: NodeId) {
        self.call(node, |p, ctx| p.on_start(ctx));
        self.schedule_request(node);
    }

    /// Runs a handler of a live node and applies its effects.
    #[inline(always)]
    fn call(&mut self, node: NodeId, handler: impl FnOnce(&mut P, &mut Ctx<'_, P>)) {
        // At most `MAX_NODES`, checked when the world was built.
        let nodes = self.state.nodes.len() as u32;
        let s = &mut self.state;
        let slot = &mut s.nodes[node.index()];
        let Some(process) = slot.process.as_mut() else {
            return;
        };
        let mut ctx = Ctx {
            id: node,
            now: slot.clock.read(s.now),
            monotonic: slot.clock.monotonic(s.now),
            servers: self.config.servers,
            nodes,
            rng: &mut slot.rng,
            durable: &mut slot.durable,
            effects: &mut self.effects,
            next_timer: match self.adversary {
                None => &mut s.next_timer,
                Some(_) => &mut s.adv.timers[node.index()],
            },
            next_op: &mut s.next_op,
            tracing: self.config.trace == TraceMode::Full,
            pin: self.request_pin,
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
            Effect::Report(name) => self.report(node, name),
        }
    }

    fn report(&mut self, node: NodeId, name: &'static str) {
        assert!(
            P::REPORTS.iter().any(|r| r.name == name),
            "{node} reported `{name}`, which its process does not declare in REPORTS"
        );
        self.state.reports.push(Report {
            event: self.state.stats.events,
            time: self.state.now,
            node,
            name,
        });
        if self.config.trace == TraceMode::Full {
            let text = format!("reports {name}");
            self.record(RecordKind::Note { node, text }, 0);
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

    #[inline(always)]
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
        if !self.state.monitors.is_empty() && self.state.status.is_running() {
            self.check_over_time();
        }
        self.fault_applied = None;
        // Before the snapshot, like the invariants: a snapshot holds the
        // status its event ended with.
        let s = &self.state;
        if s.same_instant > self.config.max_events_per_instant
            || s.queue.len() > self.config.max_pending_events
            || s.history.len() > self.config.max_operations
        {
            self.stop_runaway();
        }
        if self.state.until_snapshot == 1 {
            self.take_snapshot(events);
        } else if self.state.until_snapshot > 1 {
            self.state.until_snapshot -= 1;
        }
    }

    /// Stops a run that has made no progress in time, or outgrown its
    /// memory bounds (see [`crate::limits`]), with a kernel violation.
    #[cold]
    fn stop_runaway(&mut self) {
        if !self.state.status.is_running() {
            return;
        }
        let s = &self.state;
        let c = &self.config;
        let (check, reason) = if s.same_instant > c.max_events_per_instant {
            (
                crate::limits::NO_PROGRESS,
                format!(
                    "{} events in a row at {} of simulated time, more than the {} a run may spend at one instant: \
                     time has stopped (a zero-time loop, such as messages with zero latency always answered, \
                     or a timer that fires at once again and again)",
                    s.same_instant, s.now, c.max_events_per_instant
                ),
            )
        } else if s.queue.len() > c.max_pending_events {
            (
                crate::limits::RESOURCE_LIMIT,
                format!(
                    "{} events are waiting (messages in flight, timers, client requests), more than the {} a run may hold: \
                     messages or timers are made faster than they are delivered",
                    s.queue.len(),
                    c.max_pending_events
                ),
            )
        } else {
            (
                crate::limits::RESOURCE_LIMIT,
                format!(
                    "the history holds {} client operations, more than the {} a run may record: \
                     lower the clients' rate, set max_ops or shorten the run",
                    s.history.len(),
                    c.max_operations
                ),
            )
        };
        self.violate(check, reason);
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
        if !self.check_invariants(true) {
            return;
        }
        let end = self.state.now;
        let mut monitors = std::mem::take(&mut self.state.monitors);
        let failure = monitors.iter_mut().find_map(|m| {
            m.at_end(&self.state.reports, end)
                .err()
                .map(|reason| (m.name().to_string(), reason))
        });
        self.state.monitors = monitors;
        if let Some((name, reason)) = failure {
            self.violate(&name, reason);
        }
    }

    /// Checks every invariant; returns false (and stops the run) on failure.
    fn check_invariants(&mut self, at_end: bool) -> bool {
        let s = &mut self.state;
        let world = WorldRef {
            slots: &s.nodes,
            now: s.now,
            servers: self.config.servers,
            history: &s.history,
            stats: &s.stats,
            // Between checks a stride apart, or at the end, any node may
            // have changed.
            touched: self
                .touched
                .filter(|_| self.config.invariant_stride == 1 && !at_end),
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

impl<P: Process> WorldState<P> {
    #[inline]
    fn push(&mut self, time: SimTime, event: Event<P>) {
        self.queue.push(time, event);
    }
}
