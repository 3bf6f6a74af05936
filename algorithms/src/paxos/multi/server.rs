//! A Multi-Paxos server: acceptor, replica and, after winning phase 1,
//! the distinguished leader (Paxos Made Moderately Complex §3–4, with its
//! leader's scout and commanders folded into one role; Paxos Made Simple
//! §3 for the stable leader that skips phase 1).
//!
//! - **Leader election.** A server that has not heard from a leader for a
//!   random election timeout on its local clock runs phase 1 for every
//!   slot it has not seen decided, at once (`Prepare { from_slot }`). With
//!   a phase-1 quorum of promises it re-proposes, in its new ballot, the
//!   highest-ballot command any promise reported for each slot, fills the
//!   holes below the highest such slot with no-ops, and leads.
//! - **The stable leader** skips phase 1: each client command goes straight
//!   to phase 2 in the next free slot. When a phase-2 quorum accepts, the
//!   command is chosen and the leader applies it. Its next accept requests
//!   and heartbeats say how far it has decided (as Raft's AppendEntries
//!   carry the commit index): a replica that accepted those slots in the
//!   leader's ballot holds the chosen commands and applies them; one that
//!   did not asks for the decisions (`CatchUp`). The heartbeat also
//!   resends accept requests not yet acknowledged.
//! - **Replicas** apply decided commands in slot order to the key-value
//!   store shared with Raft ([`crate::kvstore`]), which suppresses
//!   duplicates by client and sequence number. Reads go through the log,
//!   so they are linearizable.
//! - **Compaction.** After `snapshot_threshold` applied slots a server
//!   replaces them by a snapshot of its store, dropping its decided and
//!   accepted entries below it (chosen and applied here, so no leader will
//!   need this acceptor's copy of them: a leader behind the snapshot gets
//!   the snapshot in the promise).
//!
//! Persistence: promise, accepted proposals, decisions, snapshot and the
//! highest round used are written through to durable state before any
//! answer leaves.

use super::msg::Cmd;
use super::msg::{MultiMsg, MultiSnapshot, MultiTimer, Slot};
use super::params::{MultiPaxosBug, MultiPaxosParams};
use super::{MultiDurable, MultiNode};
use crate::family::kv::KvInput;
use crate::fixed::Fixed;
use crate::kvclient::ClientReply;
use crate::kvstore::{Applied, Command, KvStore};
use crate::paxos::ballot::Ballot;
use crate::paxos::quorum::Quorums;
use faultline_sim::{Ctx, LocalTime, NodeId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

type MCtx<'a> = Ctx<'a, MultiNode>;

/// What an acceptor reported in its promise: its accepted proposals
/// (slot, ballot, command) and its snapshot when the candidate was behind it.
pub type Promised = (Vec<(Slot, Ballot, Cmd)>, Option<MultiSnapshot>);

/// What a server is doing about leadership.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Following the leader it last heard from.
    Follower,
    /// Running phase 1 for `ballot`.
    Candidate {
        /// The ballot.
        ballot: Ballot,
        /// Promises so far: what each acceptor had accepted, and its
        /// snapshot when this server was behind it.
        promises: BTreeMap<NodeId, Promised>,
    },
    /// The leader of `ballot`.
    Leader {
        /// The ballot.
        ballot: Ballot,
    },
}

impl Role {
    /// A word for views.
    pub fn name(&self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate { .. } => "candidate",
            Role::Leader { .. } => "leader",
        }
    }
}

/// A command proposed by the leader and the acceptors that took it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Proposal {
    /// The command.
    pub command: Cmd,
    /// Acceptors that accepted it in the leader's ballot.
    pub acks: BTreeSet<NodeId>,
}

/// A Multi-Paxos server.
#[derive(Clone, Debug, Hash)]
pub struct Server {
    params: Fixed<MultiPaxosParams>,
    quorums: Quorums,
    id: NodeId,
    // --- acceptor (mirrors the durable copy)
    promised: Ballot,
    accepted: BTreeMap<Slot, (Ballot, Cmd)>,
    /// Acceptances so far, and the latest: what the invariants watch.
    accept_count: u64,
    last_accept: Option<(Slot, Ballot, Cmd)>,
    // --- replica
    decided: BTreeMap<Slot, Cmd>,
    decide_count: u64,
    last_decided: Option<(Slot, Cmd)>,
    /// Every slot up to here is decided (or in the snapshot).
    contiguous: Slot,
    /// Slots applied: in order, the last one; out of order (a bug), how many.
    applied: Slot,
    /// Slots applied out of order (only the `apply_out_of_order` bug).
    applied_out_of_order: BTreeSet<Slot>,
    kv: KvStore,
    snapshot: Option<MultiSnapshot>,
    // --- leadership
    role: Role,
    round_seen: u64,
    leader: Option<NodeId>,
    /// Run phase 1 if no leader is heard from by then (local clock).
    election_deadline: LocalTime,
    next_slot: Slot,
    proposals: BTreeMap<Slot, Proposal>,
    /// Clients whose command is in flight at this leader: seq.
    waiting: BTreeMap<NodeId, u64>,
}

impl Server {
    /// A server recovering from durable state: its store is rebuilt from
    /// the snapshot and the decided slots after it.
    pub fn recover(
        params: Arc<MultiPaxosParams>,
        quorums: Quorums,
        id: NodeId,
        d: &MultiDurable,
    ) -> Self {
        let base = d.snapshot.as_ref().map_or(0, |s| s.slot);
        let mut s = Server {
            params: params.into(),
            quorums,
            id,
            promised: d.promised,
            accepted: d.accepted.clone(),
            accept_count: 0,
            last_accept: None,
            decided: d.decided.clone(),
            decide_count: 0,
            last_decided: None,
            contiguous: base,
            applied: base,
            applied_out_of_order: BTreeSet::new(),
            kv: d
                .snapshot
                .as_ref()
                .map(|s| s.state.clone())
                .unwrap_or_default(),
            snapshot: d.snapshot.clone(),
            role: Role::Follower,
            round_seen: d.round.max(d.promised.round),
            leader: None,
            election_deadline: LocalTime(0),
            next_slot: base + 1,
            proposals: BTreeMap::new(),
            waiting: BTreeMap::new(),
        };
        while s.decided.contains_key(&(s.contiguous + 1)) {
            s.contiguous += 1;
        }
        while s.applied < s.contiguous {
            s.applied += 1;
            let command = s.decided[&s.applied].clone();
            s.kv.apply(&command, &s.applied, true);
        }
        s
    }

    // ----- Accessors (views and invariants) -----

    /// The ballot promised.
    pub fn promised(&self) -> Ballot {
        self.promised
    }
    /// Acceptances so far (since this start).
    pub fn accept_count(&self) -> u64 {
        self.accept_count
    }
    /// The latest acceptance: slot, ballot, command.
    pub fn last_accept(&self) -> Option<&(Slot, Ballot, Cmd)> {
        self.last_accept.as_ref()
    }
    /// Decisions taken so far (since this start).
    pub fn decide_count(&self) -> u64 {
        self.decide_count
    }
    /// The latest decision: slot and command.
    pub fn last_decided(&self) -> Option<&(Slot, Cmd)> {
        self.last_decided.as_ref()
    }
    /// Slots applied.
    pub fn applied(&self) -> Slot {
        self.applied
    }
    /// Every slot up to this one is decided here.
    pub fn contiguous(&self) -> Slot {
        self.contiguous
    }
    /// The state machine.
    pub fn kv(&self) -> &KvStore {
        &self.kv
    }
    /// The role.
    pub fn role(&self) -> &Role {
        &self.role
    }
    /// The leader this server follows, if known.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }
    /// Accepted proposals by slot (after the snapshot).
    pub fn accepted(&self) -> &BTreeMap<Slot, (Ballot, Cmd)> {
        &self.accepted
    }
    /// Decided commands by slot (after the snapshot).
    pub fn decided(&self) -> &BTreeMap<Slot, Cmd> {
        &self.decided
    }
    /// The snapshot's last slot (0 without one).
    pub fn snapshot_slot(&self) -> Slot {
        self.snapshot.as_ref().map_or(0, |s| s.slot)
    }
    /// A leader's proposals not yet chosen.
    pub fn proposals(&self) -> &BTreeMap<Slot, Proposal> {
        &self.proposals
    }
    /// The quorums in force.
    pub fn quorums(&self) -> Quorums {
        self.quorums
    }

    // ----- Timers -----

    pub(super) fn start(&mut self, ctx: &mut MCtx<'_>) {
        ctx.durable_mut().boots += 1;
        self.push_deadline(ctx);
        let wait = self.params.election_timeout_min;
        ctx.set_timer(wait, MultiTimer::Election);
    }

    /// Moves the election deadline a random timeout past now.
    fn push_deadline(&mut self, ctx: &mut MCtx<'_>) {
        let (lo, hi) = (
            self.params.election_timeout_min,
            self.params.election_timeout_max,
        );
        let timeout = ctx.rng().duration_between(lo, hi);
        self.election_deadline = ctx.now() + timeout;
    }

    pub(super) fn on_timer(&mut self, ctx: &mut MCtx<'_>, timer: MultiTimer) {
        match timer {
            MultiTimer::Election => {
                let now = ctx.now();
                if !matches!(self.role, Role::Leader { .. }) && now >= self.election_deadline {
                    self.start_phase1(ctx);
                    self.push_deadline(ctx);
                }
                // One election timer ticks for good: it sleeps until the
                // deadline, or a minimum timeout while this server leads.
                let wait = self
                    .election_deadline
                    .saturating_since(ctx.now())
                    .max(self.params.heartbeat_interval);
                ctx.set_timer(wait, MultiTimer::Election);
            }
            MultiTimer::Heartbeat { ballot } => {
                if self.role != (Role::Leader { ballot }) {
                    return;
                }
                let decided = self.contiguous;
                for peer in ctx.peers() {
                    ctx.send(peer, MultiMsg::Heartbeat { ballot, decided });
                }
                // Resend what a lost message may have left unacknowledged.
                for (&slot, p) in &self.proposals {
                    for acceptor in ctx.peers() {
                        if !p.acks.contains(&acceptor) {
                            ctx.send(
                                acceptor,
                                MultiMsg::Accept {
                                    ballot,
                                    slot,
                                    command: p.command.clone(),
                                    decided,
                                },
                            );
                        }
                    }
                }
                ctx.set_timer(
                    self.params.heartbeat_interval,
                    MultiTimer::Heartbeat { ballot },
                );
            }
            MultiTimer::ClientRetry { .. } => {}
        }
    }

    pub(super) fn on_message(&mut self, ctx: &mut MCtx<'_>, from: NodeId, msg: MultiMsg) {
        match msg {
            MultiMsg::Prepare { ballot, from_slot } => {
                self.on_prepare(ctx, from, ballot, from_slot)
            }
            MultiMsg::Promise {
                ballot,
                accepted,
                snapshot,
            } => self.on_promise(ctx, from, ballot, accepted, snapshot),
            MultiMsg::Nack { ballot, promised } => self.on_nack(ctx, ballot, promised),
            MultiMsg::Accept {
                ballot,
                slot,
                command,
                decided,
            } => {
                self.on_accept(ctx, from, ballot, slot, command);
                if ballot == self.promised {
                    self.learn_decided(ctx, ballot, decided);
                }
            }
            MultiMsg::Accepted { ballot, slot } => self.on_accepted(ctx, from, ballot, slot),
            MultiMsg::Heartbeat { ballot, decided } => {
                self.on_heartbeat(ctx, from, ballot, decided)
            }
            MultiMsg::CatchUp { from_slot } => self.on_catch_up(ctx, from, from_slot),
            MultiMsg::Decisions { entries, snapshot } => {
                if let Some(snap) = snapshot {
                    self.install(ctx, snap);
                }
                for (slot, command) in entries {
                    self.decide(ctx, slot, command);
                }
            }
            MultiMsg::ClientRequest { seq, input } => self.on_client(ctx, from, seq, input),
            MultiMsg::ClientReply { .. } => {}
        }
    }

    // ----- Acceptor -----

    fn persist_promise(&self, ctx: &mut MCtx<'_>) {
        if !self.params.has(MultiPaxosBug::ForgetPromise) {
            ctx.durable_mut().promised = self.promised;
        }
    }

    /// A higher ballot seen: adopt it as the promise and stop leading.
    fn observe_ballot(&mut self, ctx: &mut MCtx<'_>, ballot: Ballot) {
        self.round_seen = self.round_seen.max(ballot.round);
        if ballot > self.promised {
            self.promised = ballot;
            self.persist_promise(ctx);
            if self.role != Role::Follower {
                ctx.note_with(|| format!("steps down for ballot {ballot}"));
                self.step_down();
                // Someone else is at work: give it an election timeout.
                self.push_deadline(ctx);
            }
        }
    }

    fn step_down(&mut self) {
        self.role = Role::Follower;
        self.proposals.clear();
        self.waiting.clear();
    }

    fn on_prepare(&mut self, ctx: &mut MCtx<'_>, from: NodeId, ballot: Ballot, from_slot: Slot) {
        if ballot > self.promised {
            self.observe_ballot(ctx, ballot);
            // A candidate is at work: give it time before competing.
            self.push_deadline(ctx);
        }
        if ballot != self.promised {
            ctx.send(
                from,
                MultiMsg::Nack {
                    ballot,
                    promised: self.promised,
                },
            );
            return;
        }
        let accepted = self
            .accepted
            .range(from_slot..)
            .map(|(&slot, (b, c))| (slot, *b, c.clone()))
            .collect();
        let snapshot = self
            .snapshot
            .as_ref()
            .filter(|s| from_slot <= s.slot)
            .cloned();
        ctx.send(
            from,
            MultiMsg::Promise {
                ballot,
                accepted,
                snapshot,
            },
        );
    }

    fn on_accept(
        &mut self,
        ctx: &mut MCtx<'_>,
        from: NodeId,
        ballot: Ballot,
        slot: Slot,
        command: Cmd,
    ) {
        let ok = if self.params.has(MultiPaxosBug::AcceptBelowPromise) {
            ballot >= self.accepted.get(&slot).map_or(Ballot::ZERO, |a| a.0)
        } else {
            ballot >= self.promised
        };
        if !ok {
            ctx.send(
                from,
                MultiMsg::Nack {
                    ballot,
                    promised: self.promised,
                },
            );
            return;
        }
        self.observe_ballot(ctx, ballot);
        if from != self.id {
            self.leader = Some(from);
            self.push_deadline(ctx);
        }
        if slot > self.snapshot_slot() {
            self.accepted.insert(slot, (ballot, command.clone()));
            self.accept_count += 1;
            self.last_accept = Some((slot, ballot, command.clone()));
            if !self.params.has(MultiPaxosBug::ForgetPromise) {
                ctx.durable_mut()
                    .accepted
                    .insert(slot, (ballot, command.clone()));
            }
        }
        if from == self.id {
            self.on_accepted(ctx, from, ballot, slot);
        } else {
            ctx.send(from, MultiMsg::Accepted { ballot, slot });
        }
        if self.params.has(MultiPaxosBug::ApplyOnAccept) {
            self.decide(ctx, slot, command);
        }
    }

    // ----- Becoming and being the leader -----

    fn start_phase1(&mut self, ctx: &mut MCtx<'_>) {
        let round = self
            .round_seen
            .max(self.promised.round)
            .max(ctx.durable().round)
            + 1;
        self.round_seen = round;
        ctx.durable_mut().round = round;
        let ballot = Ballot::new(round, self.id);
        self.step_down();
        // A candidate promises its own ballot first (its Prepare to itself
        // then finds the promise made, and its Accepts later pass it).
        self.promised = self.promised.max(ballot);
        self.persist_promise(ctx);
        self.role = Role::Candidate {
            ballot,
            promises: BTreeMap::new(),
        };
        self.leader = None;
        let from_slot = self.contiguous + 1;
        ctx.note_with(|| format!("runs phase 1 in ballot {ballot} from slot {from_slot}"));
        for acceptor in ctx.servers() {
            ctx.send(acceptor, MultiMsg::Prepare { ballot, from_slot });
        }
    }

    fn on_promise(
        &mut self,
        ctx: &mut MCtx<'_>,
        from: NodeId,
        ballot: Ballot,
        accepted: Vec<(Slot, Ballot, Cmd)>,
        snapshot: Option<MultiSnapshot>,
    ) {
        let Role::Candidate {
            ballot: mine,
            promises,
        } = &mut self.role
        else {
            return;
        };
        if *mine != ballot {
            return;
        }
        promises.insert(from, (accepted, snapshot));
        if promises.len() >= self.quorums.q1 {
            let promises = std::mem::take(promises);
            self.become_leader(ctx, ballot, promises);
        }
    }

    fn become_leader(
        &mut self,
        ctx: &mut MCtx<'_>,
        ballot: Ballot,
        promises: BTreeMap<NodeId, Promised>,
    ) {
        // Catch up to the most advanced snapshot among the promises first.
        let best = promises
            .values()
            .filter_map(|(_, s)| s.as_ref())
            .max_by_key(|s| s.slot)
            .cloned();
        if let Some(snap) = best {
            self.install(ctx, snap);
        }
        let start = self.contiguous + 1;
        // For every open slot, the highest-ballot command any promise
        // reported (PMMC's pmax); this server's own decisions are chosen
        // and win outright.
        let mut recovered: BTreeMap<Slot, (Ballot, Cmd)> = BTreeMap::new();
        if self.params.has(MultiPaxosBug::SkipPhase1ForNewSlots) {
            // Only what this server's own log holds.
            for (&slot, (b, c)) in self.accepted.range(start..) {
                recovered.insert(slot, (*b, c.clone()));
            }
        } else {
            for (accepted, _) in promises.values() {
                for (slot, b, c) in accepted {
                    if *slot < start {
                        continue;
                    }
                    let better = recovered.get(slot).is_none_or(|(have, _)| b > have);
                    if better {
                        recovered.insert(*slot, (*b, c.clone()));
                    }
                }
            }
        }
        for (&slot, c) in self.decided.range(start..) {
            recovered.insert(slot, (Ballot::ZERO, c.clone()));
        }
        let last = recovered
            .keys()
            .next_back()
            .copied()
            .unwrap_or(self.contiguous);
        self.role = Role::Leader { ballot };
        ctx.report(super::observe::LEADER_ELECTED);
        self.leader = Some(self.id);
        self.next_slot = last + 1;
        let holes = (start..=last)
            .filter(|s| !recovered.contains_key(s))
            .count();
        ctx.note_with(|| {
            format!(
                "leads in ballot {ballot}: re-proposes slots {start}..{last} ({holes} holes filled with no-ops)"
            )
        });
        for slot in start..=last {
            let command = recovered
                .remove(&slot)
                .map_or_else(|| Arc::new(Command::Noop), |(_, command)| command);
            self.propose(ctx, ballot, slot, command);
        }
        let decided = self.contiguous;
        for peer in ctx.peers() {
            ctx.send(peer, MultiMsg::Heartbeat { ballot, decided });
        }
        ctx.set_timer(
            self.params.heartbeat_interval,
            MultiTimer::Heartbeat { ballot },
        );
    }

    fn propose(&mut self, ctx: &mut MCtx<'_>, ballot: Ballot, slot: Slot, command: Cmd) {
        self.proposals.insert(
            slot,
            Proposal {
                command: command.clone(),
                acks: BTreeSet::new(),
            },
        );
        let decided = self.contiguous;
        for acceptor in ctx.peers() {
            ctx.send(
                acceptor,
                MultiMsg::Accept {
                    ballot,
                    slot,
                    command: command.clone(),
                    decided,
                },
            );
        }
        // The leader's own acceptor takes it at once, without a message to
        // itself (its acceptance counts like any other).
        let me = self.id;
        self.on_accept(ctx, me, ballot, slot, command);
    }

    fn on_accepted(&mut self, ctx: &mut MCtx<'_>, from: NodeId, ballot: Ballot, slot: Slot) {
        if self.role != (Role::Leader { ballot }) {
            return;
        }
        let Some(p) = self.proposals.get_mut(&slot) else {
            return;
        };
        p.acks.insert(from);
        if p.acks.len() < self.quorums.q2 {
            return;
        }
        let command = self.proposals.remove(&slot).expect("present").command;
        self.decide(ctx, slot, command);
    }

    fn on_nack(&mut self, ctx: &mut MCtx<'_>, ballot: Ballot, promised: Ballot) {
        self.round_seen = self.round_seen.max(promised.round);
        let mine = match &self.role {
            Role::Candidate { ballot: b, .. } | Role::Leader { ballot: b } => Some(*b),
            Role::Follower => None,
        };
        if mine == Some(ballot) && promised > ballot {
            ctx.note_with(|| format!("ballot {ballot} preempted by {promised}"));
            self.step_down();
            self.leader = Some(promised.proposer);
            self.push_deadline(ctx);
        }
    }

    fn on_heartbeat(&mut self, ctx: &mut MCtx<'_>, from: NodeId, ballot: Ballot, decided: Slot) {
        if ballot < self.promised {
            ctx.send(
                from,
                MultiMsg::Nack {
                    ballot,
                    promised: self.promised,
                },
            );
            return;
        }
        self.observe_ballot(ctx, ballot);
        self.leader = Some(from);
        self.push_deadline(ctx);
        self.learn_decided(ctx, ballot, decided);
        if decided > self.contiguous {
            ctx.send(
                from,
                MultiMsg::CatchUp {
                    from_slot: self.contiguous + 1,
                },
            );
        }
    }

    /// The leader of `ballot` has decided every slot up to `decided`: the
    /// slots this acceptor accepted in that ballot hold the chosen commands.
    fn learn_decided(&mut self, ctx: &mut MCtx<'_>, ballot: Ballot, decided: Slot) {
        while self.contiguous < decided {
            let slot = self.contiguous + 1;
            match self.accepted.get(&slot) {
                Some((b, command)) if *b == ballot => {
                    let command = command.clone();
                    self.decide(ctx, slot, command);
                    if self.contiguous < slot {
                        break; // Decided already but not contiguous: a bug variant's doing.
                    }
                }
                _ => break,
            }
        }
    }

    fn on_catch_up(&mut self, ctx: &mut MCtx<'_>, from: NodeId, from_slot: Slot) {
        let snapshot = self
            .snapshot
            .as_ref()
            .filter(|s| from_slot <= s.slot)
            .cloned();
        let start = from_slot.max(self.snapshot_slot() + 1);
        let entries: Vec<(Slot, Cmd)> = self
            .decided
            .range(start..)
            .take(self.params.max_catch_up as usize)
            .map(|(&s, c)| (s, c.clone()))
            .collect();
        if snapshot.is_some() || !entries.is_empty() {
            ctx.send(from, MultiMsg::Decisions { entries, snapshot });
        }
    }

    // ----- Clients -----

    fn on_client(&mut self, ctx: &mut MCtx<'_>, client: NodeId, seq: u64, input: KvInput) {
        let Role::Leader { ballot } = self.role else {
            let leader = self.leader.filter(|&l| l != self.id);
            ctx.send(
                client,
                MultiMsg::ClientReply {
                    seq,
                    reply: ClientReply::NotLeader { leader },
                },
            );
            return;
        };
        if let Some(s) = self.kv.session(client) {
            if s.seq == seq {
                let output = s.output.clone();
                ctx.send(
                    client,
                    MultiMsg::ClientReply {
                        seq,
                        reply: ClientReply::Ok(output),
                    },
                );
                return;
            }
            if s.seq > seq {
                return;
            }
        }
        if self.waiting.get(&client) == Some(&seq) {
            return; // In a slot already; the reply will come.
        }
        self.waiting.insert(client, seq);
        let slot = self.next_slot;
        self.next_slot += 1;
        let command = Arc::new(Command::Client { client, seq, input });
        self.propose(ctx, ballot, slot, command);
    }

    // ----- Replica -----

    /// Records that `slot` holds `command` and applies what can be.
    fn decide(&mut self, ctx: &mut MCtx<'_>, slot: Slot, command: Cmd) {
        if slot <= self.contiguous || self.decided.contains_key(&slot) {
            return;
        }
        self.decided.insert(slot, command.clone());
        ctx.durable_mut().decided.insert(slot, command.clone());
        self.decide_count += 1;
        self.last_decided = Some((slot, command));
        while self.decided.contains_key(&(self.contiguous + 1)) {
            self.contiguous += 1;
        }
        if self.params.has(MultiPaxosBug::ApplyOutOfOrder) {
            if self.applied_out_of_order.insert(slot) {
                self.applied += 1;
                let command = self.decided[&slot].clone();
                self.apply(ctx, slot, &command);
            }
            return;
        }
        while self.applied < self.contiguous {
            let slot = self.applied + 1;
            self.applied = slot;
            let command = self.decided[&slot].clone();
            self.apply(ctx, slot, &command);
        }
        self.maybe_snapshot(ctx);
    }

    fn apply(&mut self, ctx: &mut MCtx<'_>, slot: Slot, command: &Cmd) {
        let applied = self.kv.apply(command, &slot, true);
        if let Applied::Output {
            client,
            seq,
            output,
        } = applied
            && self.waiting.get(&client) == Some(&seq)
        {
            self.waiting.remove(&client);
            ctx.send(
                client,
                MultiMsg::ClientReply {
                    seq,
                    reply: ClientReply::Ok(output),
                },
            );
        }
    }

    fn install(&mut self, ctx: &mut MCtx<'_>, snap: MultiSnapshot) {
        if snap.slot <= self.contiguous {
            return;
        }
        ctx.note_with(|| format!("installs a snapshot up to slot {}", snap.slot));
        self.kv = snap.state.clone();
        self.applied = snap.slot;
        self.contiguous = snap.slot;
        self.decided = self.decided.split_off(&(snap.slot + 1));
        self.accepted = self.accepted.split_off(&(snap.slot + 1));
        while self.decided.contains_key(&(self.contiguous + 1)) {
            self.contiguous += 1;
        }
        let d = ctx.durable_mut();
        d.decided = self.decided.clone();
        d.accepted = d.accepted.split_off(&(snap.slot + 1));
        d.snapshot = Some(snap.clone());
        self.snapshot = Some(snap);
        while self.applied < self.contiguous {
            let slot = self.applied + 1;
            self.applied = slot;
            let command = self.decided[&slot].clone();
            self.apply(ctx, slot, &command);
        }
    }

    fn maybe_snapshot(&mut self, ctx: &mut MCtx<'_>) {
        let threshold = self.params.snapshot_threshold;
        if threshold == 0 || self.applied - self.snapshot_slot() < threshold {
            return;
        }
        let snap = MultiSnapshot {
            slot: self.applied,
            state: self.kv.clone(),
        };
        self.decided = self.decided.split_off(&(snap.slot + 1));
        self.accepted = self.accepted.split_off(&(snap.slot + 1));
        let d = ctx.durable_mut();
        d.decided = d.decided.split_off(&(snap.slot + 1));
        d.accepted = d.accepted.split_off(&(snap.slot + 1));
        d.snapshot = Some(snap.clone());
        self.snapshot = Some(snap);
    }
}
