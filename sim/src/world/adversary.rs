//! The adversary's scheduler: instead of the seeded network and clocks
//! picking the next event, something outside the world (the exhaustive
//! search in [`crate::explore`], or a replay file's list of steps) picks
//! one of the steps enabled now. Handlers, invariants and the trace are the
//! same as in a seeded run.
//!
//! What changes in a world with an adversary:
//! - a message is in flight until the adversary delivers it, in any order
//!   (the network adds no latency, loss, duplication or reordering of its
//!   own; a cut link still drops a message when it is sent or delivered);
//! - time moves only when a timer fires: to the timer's deadline, if that is
//!   later than now. Timers of one node fire in the order of their deadlines;
//!   timers of different nodes in any order (a late timer is a slow node);
//! - a client's next operation is a step of its own, within the operation
//!   budget; faults (crash, restart, partition, heal, drop, duplicate) are
//!   steps within their budgets;
//! - timer ids are numbered per node, and the history's times are the order
//!   of its invocations and completions, so that two orders of independent
//!   steps reach the same state and hash the same ([`World::state_hash`]).

use super::*;
use crate::hash::StableHasher;
use std::hash::{Hash, Hasher};

/// One step the adversary may choose.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Choice {
    /// Deliver an in-flight message.
    Deliver {
        /// The message.
        msg: MsgId,
    },
    /// Fire a node's earliest pending timer.
    Timer {
        /// The node.
        node: NodeId,
        /// The timer.
        timer: TimerId,
    },
    /// Let a client issue its next operation.
    Request {
        /// The client.
        client: NodeId,
    },
    /// Lose an in-flight message.
    Drop {
        /// The message.
        msg: MsgId,
    },
    /// Put a second copy of an in-flight message on the network.
    Duplicate {
        /// The message.
        msg: MsgId,
    },
    /// Crash a server.
    Crash {
        /// The server.
        node: NodeId,
    },
    /// Restart a crashed server.
    Restart {
        /// The server.
        node: NodeId,
    },
    /// Cut the servers into two sides (clients keep every link).
    Partition {
        /// The two sides.
        groups: Vec<Vec<NodeId>>,
    },
    /// Restore every cut link.
    Heal,
}

impl Choice {
    /// The kind of step, as `[explore]` budgets and reports name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Choice::Deliver { .. } => "deliver",
            Choice::Timer { .. } => "timer",
            Choice::Request { .. } => "request",
            Choice::Drop { .. } => "drop",
            Choice::Duplicate { .. } => "duplicate",
            Choice::Crash { .. } => "crash",
            Choice::Restart { .. } => "restart",
            Choice::Partition { .. } => "partition",
            Choice::Heal => "heal",
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Deliver { msg } => write!(f, "deliver message #{}", msg.0),
            Choice::Timer { node, timer } => {
                write!(f, "fire {node}'s timer #{}", timer.0 & TIMER_MASK)
            }
            Choice::Request { client } => write!(f, "{client} issues an operation"),
            Choice::Drop { msg } => write!(f, "drop message #{}", msg.0),
            Choice::Duplicate { msg } => write!(f, "duplicate message #{}", msg.0),
            Choice::Crash { node } => write!(f, "crash {node}"),
            Choice::Restart { node } => write!(f, "restart {node}"),
            Choice::Partition { groups } => {
                write!(f, "partition")?;
                for (i, g) in groups.iter().enumerate() {
                    write!(f, "{}", if i == 0 { " " } else { " | " })?;
                    let names: Vec<String> = g.iter().map(|n| n.to_string()).collect();
                    write!(f, "{}", names.join(" "))?;
                }
                Ok(())
            }
            Choice::Heal => write!(f, "heal"),
        }
    }
}

/// How many steps of each fault kind, and how many client operations, an
/// adversary may take on one path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Budgets {
    /// Client operations issued, over all clients.
    pub operations: u32,
    /// Server crashes.
    pub crashes: u32,
    /// Restarts of crashed servers.
    pub restarts: u32,
    /// Partitions cut (a heal is free, and only possible while cut).
    pub partitions: u32,
    /// Messages lost.
    pub drops: u32,
    /// Messages duplicated.
    pub duplicates: u32,
}

/// What the adversary has used on the path to this state; part of the
/// state (it limits what comes next).
#[derive(Clone, Debug, Default, Hash)]
pub(crate) struct AdversaryState {
    used: Budgets,
    /// Invocations and completions so far: the history's clock.
    history_clock: u64,
    /// The next timer id of each node (node index in the high bits).
    pub timers: Vec<u64>,
}

/// Timer ids under an adversary: the node in the bits above, its own count
/// below.
pub(crate) const TIMER_BITS: u32 = 40;
const TIMER_MASK: u64 = (1 << TIMER_BITS) - 1;

/// The most servers for which every two-sided partition is a step; above
/// it, only isolating one server is.
pub const MAX_SPLIT_SERVERS: u32 = 5;

/// The adversary's settings, kept outside the state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Adversary {
    budgets: Budgets,
    /// The steps to take, for a replay; empty for a search.
    script: Vec<Choice>,
    /// Events before the first choice: the nodes' starts.
    starts: u64,
}

impl<P: Process> World<P> {
    /// Puts the world under an adversary with these budgets, before it has
    /// run (a world whose config has an [`AdversarySetup`] gets one when
    /// built). The nodes' starts run first, in order, as in any world
    /// ([`World::start`]); then [`World::choices`] lists what may happen
    /// next and [`World::apply`] does it, and [`World::step`] takes the
    /// steps of `script` in order and ends the run after the last.
    /// Invariants are checked after every step. A world with scheduled
    /// faults is refused (the adversary chooses the faults).
    pub fn with_adversary(
        mut self,
        budgets: Budgets,
        script: Vec<Choice>,
    ) -> Result<Self, ConfigError> {
        assert_eq!(
            self.state.stats.events, 0,
            "the adversary is set before the run starts"
        );
        if !self.config.faults.is_empty() {
            return Err(ConfigError::Invalid(
                "an explored world has no scheduled faults: the adversary chooses them within its budgets".into(),
            ));
        }
        let nodes = self.state.nodes.len();
        self.config.invariant_stride = 1;
        self.config.adversary = Some(AdversarySetup {
            budgets,
            script: Vec::new(),
        });
        self.state.until_check = 1;
        self.state.adv.timers = (0..nodes as u64).map(|i| i << TIMER_BITS).collect();
        self.adversary = Some(Adversary {
            budgets,
            script,
            starts: nodes as u64,
        });
        self.snapshots = vec![self.state.clone()];
        Ok(self)
    }

    /// Runs the nodes' starts, if they have not run: every node at time
    /// zero, in id order. An adversary's first choice comes after them.
    pub fn start(&mut self) {
        let starts = self.adversary.as_ref().map_or(0, |a| a.starts);
        while self.state.stats.events < starts && self.step() {}
    }

    /// A copy of this world at its current state, for a search worker: no
    /// trace, no snapshots.
    pub fn fork(&self) -> World<P> {
        let mut config = self.config.clone();
        config.trace = TraceMode::Fingerprint;
        config.snapshot_every = 0;
        let mut state = self.state.clone();
        state.until_snapshot = 0;
        World {
            config,
            workloads: self.workloads.clone(),
            factory: self.factory.clone(),
            state,
            effects: VecDeque::with_capacity(16),
            injections: Vec::new(),
            snapshots: Vec::new(),
            records: Vec::new(),
            payloads: Vec::new(),
            recorded_events: self.recorded_events,
            touched: None,
            fault_applied: None,
            request_pin: None,
            adversary: self.adversary.clone(),
        }
    }

    /// The whole state, for a search to keep.
    pub(crate) fn save(&self) -> WorldState<P> {
        self.state.clone()
    }

    /// Runs `f` on this world with `state` swapped in, and swaps it back
    /// out changed (the world keeps whatever state it had before).
    pub(crate) fn on_state<R>(
        &mut self,
        state: &mut WorldState<P>,
        f: impl FnOnce(&mut World<P>) -> R,
    ) -> R {
        std::mem::swap(&mut self.state, state);
        let r = f(self);
        std::mem::swap(&mut self.state, state);
        r
    }

    /// `choice` in words, as it would be taken now: a delivery names its
    /// sender, receiver and message; a timer its payload.
    pub fn describe_choice(&self, choice: &Choice) -> String {
        let find_msg = |id: MsgId| {
            self.state.queue.iter().find_map(|(_, _, e)| match e {
                Event::Deliver {
                    msg_id,
                    from,
                    to,
                    msg,
                    ..
                } if *msg_id == id => Some(format!("{from} -> {to} {msg:?}")),
                _ => None,
            })
        };
        match choice {
            Choice::Deliver { msg } | Choice::Drop { msg } | Choice::Duplicate { msg } => {
                match find_msg(*msg) {
                    Some(m) => format!("{} #{}: {m}", choice.kind(), msg.0),
                    None => choice.to_string(),
                }
            }
            Choice::Timer { node, timer } => {
                let payload = self.state.queue.iter().find_map(|(_, _, e)| match e {
                    Event::Timer { id, timer: t, .. } if id == timer => Some(format!("{t:?}")),
                    _ => None,
                });
                match payload {
                    Some(p) => format!("fire {node}'s timer {p}"),
                    None => choice.to_string(),
                }
            }
            _ => choice.to_string(),
        }
    }

    /// Every step of the script in words ([`World::describe_choice`]), as
    /// each is taken from the start.
    pub fn script_labels(&self) -> Vec<String> {
        let Some(adv) = &self.adversary else {
            return Vec::new();
        };
        let mut w = self.fork();
        w.state = self
            .snapshots
            .first()
            .cloned()
            .unwrap_or_else(|| self.state.clone());
        if w.state.stats.events > adv.starts {
            return adv.script.iter().map(|c| c.to_string()).collect();
        }
        w.start();
        adv.script
            .iter()
            .map(|c| {
                let label = w.describe_choice(c);
                let _ = w.apply(c);
                label
            })
            .collect()
    }

    /// How many of the script's steps have been taken.
    pub fn script_position(&self) -> usize {
        self.adversary.as_ref().map_or(0, |a| {
            self.state.stats.events.saturating_sub(a.starts) as usize
        })
    }

    /// The step of the adversary's script that comes next, under
    /// [`World::step`].
    pub(super) fn scripted_step(&mut self) -> Option<bool> {
        let adv = self.adversary.as_ref()?;
        let events = self.state.stats.events;
        if events < adv.starts {
            return None;
        }
        let Some(choice) = adv.script.get((events - adv.starts) as usize).cloned() else {
            if self.state.status.is_running() {
                self.state.status = RunStatus::Finished;
            }
            return Some(false);
        };
        if let Err(reason) = self.apply(&choice) {
            self.violate(
                "replay",
                format!(
                    "step {} of the replay ({choice}) cannot be taken: {reason}",
                    events - self.adversary.as_ref().map_or(0, |a| a.starts) + 1
                ),
            );
        }
        Some(true)
    }

    /// Every step enabled now, in a fixed order: deliveries, timers,
    /// requests, then faults within their budgets. Empty when the run has
    /// stopped or the world has no adversary.
    pub fn choices(&self) -> Vec<Choice> {
        let mut out = Vec::new();
        let Some(adv) = &self.adversary else {
            return out;
        };
        let s = &self.state;
        if !s.status.is_running() || s.stats.events < adv.starts {
            return out;
        }
        let budgets = adv.budgets;
        let used = s.adv.used;
        let mut delivers: Vec<(u64, MsgId, u64)> = Vec::new();
        let mut timers: Vec<Option<(SimTime, u64, TimerId)>> = vec![None; s.nodes.len()];
        let mut requests: Vec<NodeId> = Vec::new();
        for (time, seq, event) in s.queue.iter() {
            match event {
                Event::Deliver {
                    msg_id,
                    from,
                    to,
                    msg,
                    ..
                } => delivers.push((seq, *msg_id, stable_hash(&(from, to, msg)))),
                Event::Timer { node, id, .. } if self.timer_live(event) => {
                    let t = &mut timers[node.index()];
                    if t.is_none_or(|(bt, bs, _)| (time, seq) < (bt, bs)) {
                        *t = Some((time, seq, *id));
                    }
                }
                Event::Request { client, .. }
                    if used.operations < budgets.operations && self.request_live(event) =>
                {
                    requests.push(*client);
                }
                _ => {}
            }
        }
        delivers.sort_unstable();
        // Two copies of one message on one link lead to the same states:
        // offer the older only.
        let mut seen = HashSet::<u64, FixedState>::default();
        delivers.retain(|d| seen.insert(d.2));
        out.extend(delivers.iter().map(|d| Choice::Deliver { msg: d.1 }));
        for (i, t) in timers.iter().enumerate() {
            if let Some((_, _, timer)) = t {
                out.push(Choice::Timer {
                    node: NodeId(i as u32),
                    timer: *timer,
                });
            }
        }
        requests.sort_unstable();
        out.extend(
            requests
                .into_iter()
                .map(|client| Choice::Request { client }),
        );
        if used.drops < budgets.drops {
            out.extend(delivers.iter().map(|d| Choice::Drop { msg: d.1 }));
        }
        if used.duplicates < budgets.duplicates {
            out.extend(delivers.iter().map(|d| Choice::Duplicate { msg: d.1 }));
        }
        let servers = self.config.servers;
        for i in 0..servers {
            let node = NodeId(i);
            let up = s.nodes[node.index()].process.is_some();
            if up && used.crashes < budgets.crashes {
                out.push(Choice::Crash { node });
            }
            if !up && used.restarts < budgets.restarts {
                out.push(Choice::Restart { node });
            }
        }
        if s.network.any_cut() {
            out.push(Choice::Heal);
        } else if used.partitions < budgets.partitions && servers > 1 {
            out.extend(partitions(servers));
        }
        out
    }

    /// For each of `choices`, a key naming where the step comes from: the
    /// kind of step with its link (a message's sender and receiver), its
    /// node, its client or its partition. Steps with one key are alike to
    /// a swarm walk ([`crate::explore::Strategy::Swarm`]), which weights
    /// them together.
    pub fn choice_sources(&self, choices: &[Choice]) -> Vec<u64> {
        let links: std::collections::HashMap<MsgId, (NodeId, NodeId), FixedState> = self
            .state
            .queue
            .iter()
            .filter_map(|(_, _, e)| match e {
                Event::Deliver {
                    msg_id, from, to, ..
                } => Some((*msg_id, (*from, *to))),
                _ => None,
            })
            .collect();
        let link = |msg: &MsgId| links.get(msg).copied();
        choices
            .iter()
            .map(|c| match c {
                Choice::Deliver { msg } | Choice::Drop { msg } | Choice::Duplicate { msg } => {
                    stable_hash(&(c.kind(), link(msg)))
                }
                Choice::Timer { node, .. } => stable_hash(&(c.kind(), node)),
                Choice::Request { client } => stable_hash(&(c.kind(), client)),
                Choice::Crash { node } | Choice::Restart { node } => stable_hash(&(c.kind(), node)),
                Choice::Partition { groups } => stable_hash(&(c.kind(), groups)),
                Choice::Heal => stable_hash(&c.kind()),
            })
            .collect()
    }

    /// A hash of each node's own state (its process, durable state and
    /// incarnation), in node order: the "local states" whose first
    /// appearances a novelty search ([`crate::explore::Strategy::Novelty`])
    /// looks for.
    pub fn node_hashes(&self) -> Vec<u64> {
        self.state
            .nodes
            .iter()
            .map(|slot| stable_hash(&(&slot.process, &slot.durable, slot.epoch)))
            .collect()
    }

    /// The live timer of `node` that fires first, if any.
    fn earliest_timer(&self, node: NodeId) -> Option<TimerId> {
        self.state
            .queue
            .iter()
            .filter(|(_, _, e)| matches!(e, Event::Timer { node: n, .. } if *n == node))
            .filter(|(_, _, e)| self.timer_live(e))
            .min_by_key(|(t, seq, _)| (*t, *seq))
            .and_then(|(_, _, e)| match e {
                Event::Timer { id, .. } => Some(*id),
                _ => None,
            })
    }

    fn timer_live(&self, event: &Event<P>) -> bool {
        match event {
            Event::Timer {
                node, id, epoch, ..
            } => {
                let slot = &self.state.nodes[node.index()];
                self.state.live_timers.contains(id)
                    && *epoch == slot.epoch
                    && slot.process.is_some()
            }
            _ => false,
        }
    }

    fn request_live(&self, event: &Event<P>) -> bool {
        match event {
            Event::Request { client, epoch } => {
                let slot = &self.state.nodes[client.index()];
                *epoch == slot.epoch && slot.process.is_some()
            }
            _ => false,
        }
    }

    /// Takes one step. The step must be enabled (one of
    /// [`World::choices`]); otherwise nothing happens and the reason is
    /// returned.
    pub fn apply(&mut self, choice: &Choice) -> Result<(), String> {
        let Some(adv) = &self.adversary else {
            return Err("the world has no adversary".into());
        };
        if !self.state.status.is_running() {
            return Err("the run has stopped".into());
        }
        if self.state.stats.events < adv.starts {
            return Err("the nodes have not started (World::start)".into());
        }
        let budgets = adv.budgets;
        let used = self.state.adv.used;
        let over = |kind: &str, used: u32, budget: u32| {
            if used >= budget {
                Err(format!("the {kind} budget ({budget}) is spent"))
            } else {
                Ok(())
            }
        };
        match choice {
            Choice::Deliver { msg } => {
                let id = *msg;
                let (_, event) = self
                    .state
                    .queue
                    .take_first(|e| matches!(e, Event::Deliver { msg_id, .. } if *msg_id == id))
                    .ok_or_else(|| format!("message #{} is not in flight", id.0))?;
                self.dispatch(event);
            }
            Choice::Timer { node, timer } => {
                if self.earliest_timer(*node) != Some(*timer) {
                    return Err(format!(
                        "timer #{} of {node} is not its earliest pending timer",
                        timer.0 & TIMER_MASK
                    ));
                }
                let id = *timer;
                let (at, event) = self
                    .state
                    .queue
                    .take_first(|e| matches!(e, Event::Timer { id: t, .. } if *t == id))
                    .expect("an enabled timer is queued");
                self.state.live_timers.remove(&id);
                self.state.now = self.state.now.max(at);
                self.dispatch(event);
            }
            Choice::Request { client } => {
                over("operations", used.operations, budgets.operations)?;
                let c = *client;
                let slot = self
                    .state
                    .nodes
                    .get(c.index())
                    .filter(|slot| slot.process.is_some())
                    .ok_or_else(|| format!("{c} is not a running client"))?;
                let live = slot.epoch;
                let (_, event) = self
                    .state
                    .queue
                    .take_first(|e| {
                        matches!(e, Event::Request { client, epoch } if *client == c && *epoch == live)
                    })
                    .ok_or_else(|| format!("{c} has no operation to issue"))?;
                self.state.adv.used.operations += 1;
                self.dispatch(event);
            }
            Choice::Drop { msg } => {
                over("drops", used.drops, budgets.drops)?;
                if !self.drop_in_flight(*msg) {
                    return Err(format!("message #{} is not in flight", msg.0));
                }
                self.state.adv.used.drops += 1;
                self.state.stats.faults += 1;
                self.touched = None;
            }
            Choice::Duplicate { msg } => {
                over("duplicates", used.duplicates, budgets.duplicates)?;
                self.duplicate_in_flight(*msg)?;
                self.state.adv.used.duplicates += 1;
                self.touched = None;
            }
            Choice::Crash { node } | Choice::Restart { node } => {
                let crash = matches!(choice, Choice::Crash { .. });
                if node.0 >= self.config.servers {
                    return Err(format!("{node} is not a server"));
                }
                let up = self.state.nodes[node.index()].process.is_some();
                if crash {
                    over("crashes", used.crashes, budgets.crashes)?;
                    if !up {
                        return Err(format!("{node} is already down"));
                    }
                    self.state.adv.used.crashes += 1;
                    self.touched = Some(*node);
                    self.apply_fault(Fault::Crash { node: *node });
                } else {
                    over("restarts", used.restarts, budgets.restarts)?;
                    if up {
                        return Err(format!("{node} is up"));
                    }
                    self.state.adv.used.restarts += 1;
                    self.touched = Some(*node);
                    self.apply_fault(Fault::Restart { node: *node });
                }
            }
            Choice::Partition { groups } => {
                over("partitions", used.partitions, budgets.partitions)?;
                if self.state.network.any_cut() {
                    return Err("the network is already cut".into());
                }
                let servers = self.config.servers;
                if groups.iter().flatten().any(|n| n.0 >= servers) {
                    return Err("a partition side names a node that is not a server".into());
                }
                self.state.adv.used.partitions += 1;
                self.touched = None;
                self.apply_fault(Fault::Partition {
                    groups: groups.clone(),
                });
            }
            Choice::Heal => {
                if !self.state.network.any_cut() {
                    return Err("no link is cut".into());
                }
                self.touched = None;
                self.apply_fault(Fault::Heal);
            }
        }
        self.state.queue.settle();
        self.drop_dead_timers();
        self.finish_event();
        Ok(())
    }

    /// Cancelled timers and those of a crashed incarnation leave the queue
    /// at once, so states that differ only in them are one state.
    fn drop_dead_timers(&mut self) {
        let s = &mut self.state;
        let live = &s.live_timers;
        let nodes = &s.nodes;
        s.queue.retain(|e| match e {
            Event::Timer {
                node, id, epoch, ..
            } => live.contains(id) && *epoch == nodes[node.index()].epoch,
            _ => true,
        });
        let queue = &s.queue;
        if s.live_timers.len() > queue.len() {
            let queued: HashSet<TimerId, FixedState> = queue
                .iter()
                .filter_map(|(_, _, e)| match e {
                    Event::Timer { id, .. } => Some(*id),
                    _ => None,
                })
                .collect();
            s.live_timers.retain(|id| queued.contains(id));
        }
    }

    fn duplicate_in_flight(&mut self, id: MsgId) -> Result<(), String> {
        let copy = self.state.queue.iter().find_map(|(at, _, e)| match e {
            Event::Deliver {
                msg_id,
                from,
                to,
                sent_at,
                msg,
            } if *msg_id == id => Some((at, *from, *to, *sent_at, msg.clone())),
            _ => None,
        });
        let Some((at, from, to, sent_at, msg)) = copy else {
            return Err(format!("message #{} is not in flight", id.0));
        };
        let s = &mut self.state;
        let dup_id = MsgId(s.next_msg);
        s.next_msg += 1;
        s.stats.sent += 1;
        s.stats.duplicated += 1;
        s.stats.faults += 1;
        if self.config.trace == TraceMode::Full {
            self.store_payload(dup_id, &msg);
        }
        self.record(
            RecordKind::Send {
                msg: dup_id,
                from,
                to,
                deliver_at: Some(at),
                duplicate_of: Some(id),
            },
            stable_hash(&msg),
        );
        self.state.push(
            at,
            Event::Deliver {
                msg_id: dup_id,
                from,
                to,
                sent_at,
                msg,
            },
        );
        Ok(())
    }

    /// The history's clock under an adversary (the count of invocations
    /// and completions), true time otherwise.
    pub(super) fn history_time(&mut self) -> u64 {
        if self.adversary.is_some() {
            self.state.adv.history_clock += 1;
            self.state.adv.history_clock
        } else {
            self.state.now.0
        }
    }

    /// A hash of everything that decides what can happen from here: each
    /// node's process, durable state, clock, random stream and client
    /// progress; the cut links; the in-flight messages and live timers as
    /// a multiset (message ids and the order they were sent in are left
    /// out); the history; the adversary's spent budgets; what each
    /// invariant remembers; the time. Two states with equal hashes are
    /// taken to be the same state by [`crate::explore`] (a 64-bit hash:
    /// two different states collide with probability about n²/2⁶⁵ for n
    /// states).
    pub fn state_hash(&self) -> u64 {
        let s = &self.state;
        let mut h = StableHasher::default();
        s.now.hash(&mut h);
        s.adv.hash(&mut h);
        for slot in &s.nodes {
            slot.kind.hash(&mut h);
            slot.process.hash(&mut h);
            slot.durable.hash(&mut h);
            slot.clock.hash(&mut h);
            slot.rng.hash(&mut h);
            slot.epoch.hash(&mut h);
            slot.load.hash(&mut h);
        }
        s.network.cuts().hash(&mut h);
        let mut pending = 0u64;
        for (time, _, event) in s.queue.iter() {
            let one = match event {
                Event::Deliver { from, to, msg, .. } => stable_hash(&(0u8, from, to, msg)),
                Event::Timer {
                    node,
                    id,
                    deadline,
                    timer,
                    ..
                } if self.timer_live(event) => stable_hash(&(1u8, node, id, deadline, time, timer)),
                Event::Request { client, epoch } if self.request_live(event) => {
                    stable_hash(&(2u8, client, epoch, time))
                }
                _ => continue,
            };
            pending = pending.wrapping_add(crate::rng::mix64(one));
        }
        h.write_u64(pending);
        s.history.hash(&mut h);
        for inv in &s.invariants {
            h.write_u64(inv.memory());
        }
        h.finish()
    }
}

/// Every way to cut the servers into two non-empty sides (the side without
/// the last server first), or, above [`MAX_SPLIT_SERVERS`], each server
/// alone against the rest.
fn partitions(servers: u32) -> Vec<Choice> {
    let all: Vec<NodeId> = (0..servers).map(NodeId).collect();
    let side = |mask: u64| -> Choice {
        let (a, b): (Vec<NodeId>, Vec<NodeId>) = all.iter().partition(|n| mask & (1 << n.0) != 0);
        Choice::Partition { groups: vec![a, b] }
    };
    if servers <= MAX_SPLIT_SERVERS {
        (1..(1u64 << (servers - 1))).map(side).collect()
    } else {
        (0..servers).map(|i| side(1 << i)).collect()
    }
}
