//! A single-decree Paxos server plays three roles ("Paxos Made Simple",
//! §2): acceptor and learner always, proposer when the parameters say so.
//! A client asks a proposer to get its value decided and learns the
//! decision.
//!
//! Everything an acceptor promised or accepted is written through to
//! durable state before its answer leaves (§2.2: "an acceptor must remember
//! this information even if it fails and then restarts"), and so is a
//! proposer's highest round (a restarted proposer must not reuse a ballot
//! with another value) and a learner's decision.

use super::msg::{Accepted, SynodMsg, SynodTimer};
use super::params::{PaxosBug, PaxosParams};
use super::{PaxosDurable, PaxosNode};
use crate::family::consensus::{ConsensusInput, ConsensusOutput};
use crate::fixed::Fixed;
use crate::paxos::ballot::Ballot;
use crate::paxos::quorum::Quorums;
use faultline_sim::{Ctx, LocalTime, NodeId, OpId, Outcome};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

type PCtx<'a, 'b> = Ctx<'a, PaxosNode>;

/// Where a proposer's current ballot stands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Nothing to propose, or decided.
    Idle,
    /// Phase 1: collecting promises for `ballot`.
    Preparing {
        /// The ballot.
        ballot: Ballot,
        /// Promises so far, with what each acceptor had accepted.
        promises: BTreeMap<NodeId, Option<Accepted>>,
    },
    /// Phase 2: `value` sent to the acceptors in `ballot`.
    Accepting {
        /// The ballot.
        ballot: Ballot,
        /// The value.
        value: String,
    },
    /// Preempted or timed out: waiting out a random backoff.
    BackingOff,
}

impl Phase {
    /// The ballot in progress, if any.
    pub fn ballot(&self) -> Option<Ballot> {
        match self {
            Phase::Preparing { ballot, .. } | Phase::Accepting { ballot, .. } => Some(*ballot),
            Phase::Idle | Phase::BackingOff => None,
        }
    }

    /// A word for views.
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Preparing { .. } => "phase 1",
            Phase::Accepting { .. } => "phase 2",
            Phase::BackingOff => "backing off",
        }
    }
}

/// A server: acceptor, learner, and maybe proposer.
#[derive(Clone, Debug, Hash)]
pub struct Server {
    params: Fixed<PaxosParams>,
    quorums: Quorums,
    id: NodeId,
    proposer: bool,
    // --- acceptor (mirrors the durable copy)
    promised: Ballot,
    accepted: Option<Accepted>,
    // --- proposer
    phase: Phase,
    /// The highest round seen in any ballot (own or refused with).
    round_seen: u64,
    /// The value this proposer proposes when no promise carries one: its
    /// first waiting client's.
    own_value: Option<String>,
    /// Clients waiting for the decision.
    waiting: BTreeSet<NodeId>,
    // --- learner
    /// Acceptors that reported accepting each (ballot, value).
    votes: BTreeMap<(Ballot, String), BTreeSet<NodeId>>,
    /// The `learn_across_ballots` bug's count: acceptors per value, any ballot.
    votes_by_value: BTreeMap<String, BTreeSet<NodeId>>,
    decided: Option<String>,
}

impl Server {
    /// A server recovering from its durable state.
    pub fn recover(
        params: Arc<PaxosParams>,
        quorums: Quorums,
        id: NodeId,
        d: &PaxosDurable,
    ) -> Self {
        Server {
            proposer: params.proposes(id),
            params: params.into(),
            quorums,
            id,
            promised: d.promised,
            accepted: d.accepted.clone(),
            phase: Phase::Idle,
            round_seen: d.round,
            own_value: None,
            waiting: BTreeSet::new(),
            votes: BTreeMap::new(),
            votes_by_value: BTreeMap::new(),
            decided: d.decided.clone(),
        }
    }

    /// The highest ballot promised.
    pub fn promised(&self) -> Ballot {
        self.promised
    }

    /// The proposal accepted last.
    pub fn accepted(&self) -> Option<&Accepted> {
        self.accepted.as_ref()
    }

    /// The value this server learned, if any.
    pub fn decided(&self) -> Option<&str> {
        self.decided.as_deref()
    }

    /// Whether this server proposes.
    pub fn is_proposer(&self) -> bool {
        self.proposer
    }

    /// The proposer's phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Clients waiting here.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The quorum sizes in force.
    pub fn quorums(&self) -> Quorums {
        self.quorums
    }

    pub(super) fn start(&mut self, ctx: &mut PCtx<'_, '_>) {
        ctx.durable_mut().boots += 1;
    }

    pub(super) fn on_message(&mut self, ctx: &mut PCtx<'_, '_>, from: NodeId, msg: SynodMsg) {
        match msg {
            SynodMsg::Propose { value } => self.on_propose(ctx, from, value),
            SynodMsg::Prepare { ballot } => self.on_prepare(ctx, from, ballot),
            SynodMsg::Promise { ballot, accepted } => self.on_promise(ctx, from, ballot, accepted),
            SynodMsg::Accept { ballot, value } => self.on_accept(ctx, from, ballot, value),
            SynodMsg::AcceptedMsg { ballot, value } => self.on_accepted(ctx, from, ballot, value),
            SynodMsg::Nack { ballot, promised } => self.on_nack(ctx, ballot, promised),
            SynodMsg::Decided { .. } | SynodMsg::NotProposer => {}
        }
    }

    pub(super) fn on_timer(&mut self, ctx: &mut PCtx<'_, '_>, timer: SynodTimer) {
        match timer {
            SynodTimer::PhaseTimeout { ballot } if self.phase.ballot() == Some(ballot) => {
                ctx.note_with(|| format!("ballot {ballot} timed out"));
                self.back_off(ctx);
            }
            SynodTimer::Retry if self.phase == Phase::BackingOff => self.start_ballot(ctx),
            _ => {}
        }
    }

    // ----- Clients -----

    fn on_propose(&mut self, ctx: &mut PCtx<'_, '_>, client: NodeId, value: String) {
        if let Some(d) = &self.decided {
            ctx.send(client, SynodMsg::Decided { value: d.clone() });
            return;
        }
        if !self.proposer {
            ctx.send(client, SynodMsg::NotProposer);
            return;
        }
        self.waiting.insert(client);
        if self.own_value.is_none() {
            self.own_value = Some(value);
        }
        if self.phase == Phase::Idle {
            self.start_ballot(ctx);
        }
    }

    // ----- Proposer (§2.2: phase 1a, 2a) -----

    fn start_ballot(&mut self, ctx: &mut PCtx<'_, '_>) {
        if self.decided.is_some() || self.own_value.is_none() {
            self.phase = Phase::Idle;
            return;
        }
        let round = self.round_seen.max(ctx.durable().round) + 1;
        self.round_seen = round;
        ctx.durable_mut().round = round;
        let owner = if self.params.has(PaxosBug::SharedBallots) {
            NodeId(0)
        } else {
            self.id
        };
        let ballot = Ballot::new(round, owner);
        self.phase = Phase::Preparing {
            ballot,
            promises: BTreeMap::new(),
        };
        ctx.note_with(|| format!("prepares ballot {ballot}"));
        for acceptor in ctx.servers() {
            ctx.send(acceptor, SynodMsg::Prepare { ballot });
        }
        ctx.set_timer(
            self.params.phase_timeout,
            SynodTimer::PhaseTimeout { ballot },
        );
    }

    fn on_promise(
        &mut self,
        ctx: &mut PCtx<'_, '_>,
        from: NodeId,
        ballot: Ballot,
        accepted: Option<Accepted>,
    ) {
        let Phase::Preparing {
            ballot: current,
            promises,
        } = &mut self.phase
        else {
            return;
        };
        if *current != ballot {
            return;
        }
        promises.insert(from, accepted);
        if promises.len() < self.quorums.q1 {
            return;
        }
        // P2c: propose the value of the highest-numbered proposal among the
        // promises, or any value (this proposer's) when none carries one.
        let highest = promises
            .values()
            .flatten()
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, v)| v.clone());
        let own = self
            .own_value
            .clone()
            .expect("a proposer with a ballot has a value");
        let value = match highest {
            Some(v) if !self.params.has(PaxosBug::IgnorePromisedValue) => v,
            _ => own,
        };
        ctx.note_with(|| format!("ballot {ballot}: phase 1 done, proposes {value:?}"));
        self.phase = Phase::Accepting {
            ballot,
            value: value.clone(),
        };
        for acceptor in ctx.servers() {
            ctx.send(
                acceptor,
                SynodMsg::Accept {
                    ballot,
                    value: value.clone(),
                },
            );
        }
        ctx.set_timer(
            self.params.phase_timeout,
            SynodTimer::PhaseTimeout { ballot },
        );
    }

    fn on_nack(&mut self, ctx: &mut PCtx<'_, '_>, ballot: Ballot, promised: Ballot) {
        self.round_seen = self.round_seen.max(promised.round);
        if self.phase.ballot() == Some(ballot) {
            ctx.note_with(|| format!("ballot {ballot} preempted by {promised}"));
            self.back_off(ctx);
        }
    }

    /// Abandons the current ballot and retries later: after a random wait
    /// drawn from this node's stream, or at once without `backoff` (which
    /// lets two proposers preempt each other forever).
    fn back_off(&mut self, ctx: &mut PCtx<'_, '_>) {
        if !self.params.backoff {
            self.start_ballot(ctx);
            return;
        }
        self.phase = Phase::BackingOff;
        let (lo, hi) = (self.params.backoff_min, self.params.backoff_max);
        let wait = ctx.rng().duration_between(lo, hi);
        ctx.set_timer(wait, SynodTimer::Retry);
    }

    // ----- Acceptor (§2.2: phase 1b, 2b) -----

    fn persist(&self, ctx: &mut PCtx<'_, '_>) {
        if self.params.has(PaxosBug::ForgetPromise) {
            return;
        }
        let d = ctx.durable_mut();
        d.promised = self.promised;
        d.accepted = match &self.accepted {
            Some((b, _)) if self.params.has(PaxosBug::PersistBallotOnly) => {
                Some((*b, String::new()))
            }
            other => other.clone(),
        };
    }

    fn on_prepare(&mut self, ctx: &mut PCtx<'_, '_>, from: NodeId, ballot: Ballot) {
        if ballot > self.promised {
            self.promised = ballot;
            self.persist(ctx);
        }
        // A ballot equal to the promise is the same proposer asking again
        // (ballots are unique): promise again.
        if ballot == self.promised {
            ctx.send(
                from,
                SynodMsg::Promise {
                    ballot,
                    accepted: self.accepted.clone(),
                },
            );
        } else {
            ctx.send(
                from,
                SynodMsg::Nack {
                    ballot,
                    promised: self.promised,
                },
            );
        }
    }

    fn on_accept(&mut self, ctx: &mut PCtx<'_, '_>, from: NodeId, ballot: Ballot, value: String) {
        // Accept unless a higher ballot was promised (§2.2 P1a).
        let ok = if self.params.has(PaxosBug::AcceptBelowPromise) {
            ballot >= self.accepted.as_ref().map_or(Ballot::ZERO, |a| a.0)
        } else {
            ballot >= self.promised
        };
        if !ok {
            ctx.send(
                from,
                SynodMsg::Nack {
                    ballot,
                    promised: self.promised,
                },
            );
            return;
        }
        self.promised = self.promised.max(ballot);
        self.accepted = Some((ballot, value.clone()));
        self.persist(ctx);
        for learner in ctx.servers() {
            ctx.send(
                learner,
                SynodMsg::AcceptedMsg {
                    ballot,
                    value: value.clone(),
                },
            );
        }
    }

    // ----- Learner (§2.3) -----

    fn on_accepted(&mut self, ctx: &mut PCtx<'_, '_>, from: NodeId, ballot: Ballot, value: String) {
        if self.decided.is_some() {
            return;
        }
        let voters = if self.params.has(PaxosBug::LearnAcrossBallots) {
            let v = self.votes_by_value.entry(value.clone()).or_default();
            v.insert(from);
            v.len()
        } else {
            let v = self.votes.entry((ballot, value.clone())).or_default();
            v.insert(from);
            v.len()
        };
        if voters >= self.quorums.q2 {
            self.learn(ctx, value);
        }
    }

    fn learn(&mut self, ctx: &mut PCtx<'_, '_>, value: String) {
        ctx.note_with(|| format!("learns {value:?}"));
        ctx.report(super::observe::VALUE_LEARNED);
        ctx.durable_mut().decided = Some(value.clone());
        self.decided = Some(value.clone());
        self.phase = Phase::Idle;
        self.votes.clear();
        self.votes_by_value.clear();
        for client in std::mem::take(&mut self.waiting) {
            ctx.send(
                client,
                SynodMsg::Decided {
                    value: value.clone(),
                },
            );
        }
    }
}

/// The proposal a client is waiting on.
#[derive(Clone, Debug, Hash)]
pub struct Pending {
    /// The kernel's operation.
    pub op: OpId,
    /// The value proposed.
    pub value: String,
    /// When it was invoked (local clock).
    pub started: LocalTime,
    /// Attempts so far.
    pub attempt: u64,
    /// The server every attempt goes to, when the client's group is pinned.
    pub pin: Option<NodeId>,
}

/// A client: proposes its value at a proposer, moves on to the next one on
/// a timeout or a refusal, and gives up (outcome unknown) after
/// `client_give_up`. It never reports a failure: a proposal it stopped
/// waiting for may still be the one decided.
#[derive(Clone, Debug, Hash)]
pub struct Client {
    params: Fixed<PaxosParams>,
    /// The server asked next.
    pub server: NodeId,
    /// The open proposal.
    pub pending: Option<Pending>,
    /// The decided value, once learned.
    pub learned: Option<String>,
}

impl Client {
    /// A client whose first server spreads clients over the proposers.
    pub fn new(params: Arc<PaxosParams>, id: NodeId, servers: u32) -> Self {
        let proposers: Vec<u32> = (0..servers)
            .filter(|&s| params.proposes(NodeId(s)))
            .collect();
        let first = proposers[id.index() % proposers.len().max(1)];
        Client {
            params: params.into(),
            server: NodeId(first),
            pending: None,
            learned: None,
        }
    }

    pub(super) fn on_request(&mut self, ctx: &mut PCtx<'_, '_>, op: OpId, input: ConsensusInput) {
        let ConsensusInput::Propose { value } = input;
        self.pending = Some(Pending {
            op,
            value,
            started: ctx.now(),
            attempt: 0,
            pin: ctx.pin(),
        });
        self.attempt(ctx);
    }

    fn attempt(&mut self, ctx: &mut PCtx<'_, '_>) {
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        p.attempt += 1;
        ctx.send(
            p.pin.unwrap_or(self.server),
            SynodMsg::Propose {
                value: p.value.clone(),
            },
        );
        let attempt = p.attempt;
        ctx.set_timer(
            self.params.client_timeout,
            SynodTimer::ClientRetry { attempt },
        );
    }

    /// The next proposer after the current server.
    fn next_server(&mut self, ctx: &PCtx<'_, '_>) {
        let n = ctx.server_count() as u32;
        for step in 1..=n {
            let candidate = NodeId((self.server.0 + step) % n);
            if self.params.proposes(candidate) {
                self.server = candidate;
                return;
            }
        }
    }

    pub(super) fn on_message(&mut self, ctx: &mut PCtx<'_, '_>, msg: SynodMsg) {
        match msg {
            SynodMsg::Decided { value } => {
                if let Some(p) = self.pending.take() {
                    self.learned = Some(value.clone());
                    ctx.complete(p.op, Outcome::Ok(ConsensusOutput::Decided(value)));
                }
            }
            // A pinned client has nowhere else to go: its retry timer
            // asks the same server again.
            SynodMsg::NotProposer if self.pending.as_ref().is_some_and(|p| p.pin.is_none()) => {
                self.next_server(ctx);
                self.attempt(ctx);
            }
            _ => {}
        }
    }

    pub(super) fn on_timer(&mut self, ctx: &mut PCtx<'_, '_>, timer: SynodTimer) {
        let SynodTimer::ClientRetry { attempt } = timer else {
            return;
        };
        let Some(p) = self.pending.as_ref() else {
            return;
        };
        if p.attempt != attempt {
            return;
        }
        if ctx.now().saturating_since(p.started) >= self.params.client_give_up {
            let op = p.op;
            self.pending = None;
            ctx.complete(op, Outcome::Unknown);
            return;
        }
        if p.pin.is_none() {
            self.next_server(ctx);
        }
        self.attempt(ctx);
    }
}
