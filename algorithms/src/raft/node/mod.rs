//! A Raft server: roles and terms (§5.1), persistence (Figure 2,
//! "Persistent state"), timers, and message dispatch. The protocol's parts
//! live in submodules: `election` (§5.2, §5.4.1), `replication`
//! (§5.3, §5.4.2, §7) and `service` (§8 and the reads of thesis §6.4).

use super::RaftDurable;
use super::RaftNode;
use super::kv::{Applied, KvStore};
use super::log::RaftLog;
use super::msg::{
    ClientReply, Command, Conflict, Entry, Index, RaftMsg, RaftTimer, Snapshot, Term,
};
use super::params::{RaftBug, RaftParams, ReadMode};
use crate::family::kv::KvInput;
use crate::fixed::Fixed;
use faultline_sim::{Ctx, LocalTime, NodeId, TimerId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

mod election;
mod replication;
mod service;

type SCtx<'a, 'b> = Ctx<'a, RaftNode>;

/// A server's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Follows a leader, or waits for one.
    Follower,
    /// Asks for pre-votes before starting an election (pre-vote on).
    PreCandidate,
    /// Asks for votes in its own term.
    Candidate,
    /// Replicates its log and serves clients.
    Leader,
}

impl Role {
    /// The role name shown in views (the GUI colours by it).
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate | Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// The leader's view of one follower (Figure 2, "Volatile state on leaders").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Progress {
    /// The next index to send.
    pub next_index: Index,
    /// The highest index known to be replicated on the follower.
    pub match_index: Index,
    /// The latest heartbeat round the follower answered in this term.
    pub acked_round: u64,
}

/// A read waiting for leadership to be confirmed and its index applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PendingRead {
    client: NodeId,
    seq: u64,
    key: String,
    /// The commit index to wait for, once an entry of this term is committed.
    read_index: Option<Index>,
    /// The heartbeat round a majority must answer.
    round: u64,
}

/// A Raft server's state: what is also durable (term, vote, log) and what is
/// volatile.
#[derive(Clone, Debug, Hash)]
pub struct Server {
    params: Fixed<RaftParams>,
    id: NodeId,
    servers: usize,
    role: Role,
    current_term: Term,
    voted_for: Option<NodeId>,
    log: RaftLog,
    commit_index: Index,
    last_applied: Index,
    kv: KvStore,
    leader: Option<NodeId>,
    votes: BTreeSet<NodeId>,
    /// Servers that answered this election's vote request, either way.
    answered: BTreeSet<NodeId>,
    election_deadline: LocalTime,
    election_timer: Option<(TimerId, LocalTime)>,
    last_leader_contact: Option<LocalTime>,
    // Leader state.
    progress: Vec<Progress>,
    round: u64,
    round_sent: VecDeque<(u64, LocalTime)>,
    lease_until: Option<LocalTime>,
    waiting: BTreeMap<NodeId, u64>,
    reads: Vec<PendingRead>,
}

impl Server {
    /// A server recovering from durable state (all zero at first boot).
    pub fn recover(params: Arc<RaftParams>, id: NodeId, durable: &RaftDurable) -> Self {
        let kv = durable
            .snapshot
            .as_ref()
            .map(|s| s.state.clone())
            .unwrap_or_default();
        let base = durable.log.base_index();
        Server {
            params: params.into(),
            id,
            servers: 0,
            role: Role::Follower,
            current_term: durable.current_term,
            voted_for: durable.voted_for,
            log: durable.log.clone(),
            commit_index: base,
            last_applied: base,
            kv,
            leader: None,
            votes: BTreeSet::new(),
            answered: BTreeSet::new(),
            election_deadline: LocalTime(0),
            election_timer: None,
            last_leader_contact: None,
            progress: Vec::new(),
            round: 0,
            round_sent: VecDeque::new(),
            lease_until: None,
            waiting: BTreeMap::new(),
            reads: Vec::new(),
        }
    }

    // ----- Accessors for views and invariants -----

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// The current term.
    pub fn current_term(&self) -> Term {
        self.current_term
    }
    /// The vote in the current term.
    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }
    /// The log.
    pub fn log(&self) -> &RaftLog {
        &self.log
    }
    /// The highest index known committed.
    pub fn commit_index(&self) -> Index {
        self.commit_index
    }
    /// The highest index applied to the state machine.
    pub fn last_applied(&self) -> Index {
        self.last_applied
    }
    /// The state machine.
    pub fn kv(&self) -> &KvStore {
        &self.kv
    }
    /// The leader this server follows.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }
    /// Per-server replication progress (meaningful on a leader).
    pub fn progress(&self) -> &[Progress] {
        &self.progress
    }
    /// The lease end on this server's monotonic clock (lease mode, leader
    /// only).
    pub fn lease_until(&self) -> Option<LocalTime> {
        self.lease_until
    }

    /// The clock leases and the "heard from a leader recently" vote check
    /// (thesis §6.4.1) measure durations on: the monotonic one, which
    /// drifts but never steps. A wall clock stepped back would stretch a
    /// lease, and one stepped forward would let a follower vote while the
    /// leader it heard from still holds its lease. The planted bug
    /// `lease_on_wall_clock` uses the wall clock.
    pub(super) fn lease_now(&self, ctx: &SCtx<'_, '_>) -> LocalTime {
        if self.params.has(RaftBug::LeaseOnWallClock) {
            ctx.now()
        } else {
            ctx.monotonic_now()
        }
    }

    fn majority(&self) -> usize {
        self.servers / 2 + 1
    }

    // ----- Persistence: every change to term, vote or log is written
    // through to durable state before the handler returns (and so before
    // any message it sent is delivered). -----

    fn persist_term_and_vote(&self, ctx: &mut SCtx<'_, '_>) {
        let d = ctx.durable_mut();
        d.current_term = self.current_term;
        if !self.params.has(RaftBug::ForgetVote) {
            d.voted_for = self.voted_for;
        }
    }

    fn log_append(&mut self, ctx: &mut SCtx<'_, '_>, entry: Entry) {
        self.log.append(entry.clone());
        let chain = self
            .log
            .chain_at(self.log.last_index())
            .expect("just appended");
        ctx.durable_mut().log.append_with_chain(entry, chain);
    }

    fn log_truncate(&mut self, ctx: &mut SCtx<'_, '_>, from: Index) {
        ctx.durable_mut().log.truncate_from(from);
        self.log.truncate_from(from);
    }

    // ----- Timers -----

    pub(super) fn start(&mut self, ctx: &mut SCtx<'_, '_>) {
        self.servers = ctx.server_count();
        ctx.durable_mut().boots += 1;
        if self.params.read_mode == ReadMode::Lease {
            // A restarted server may have acknowledged a lease just before it
            // crashed: wait out a timeout before voting for anyone else.
            self.last_leader_contact = Some(self.lease_now(ctx));
        }
        self.reset_election_timer(ctx);
        self.apply_committed(ctx);
    }

    fn reset_election_timer(&mut self, ctx: &mut SCtx<'_, '_>) {
        let p = &self.params;
        let min = p.election_timeout_min.as_nanos() as u64;
        let max = p.election_timeout_max.as_nanos() as u64;
        let timeout = Duration::from_nanos(ctx.rng().between(min, max));
        let now = ctx.now();
        self.election_deadline = now + timeout;
        // One timer in flight: re-arm only when the new deadline is earlier.
        match self.election_timer {
            Some((_, at)) if at <= self.election_deadline => {}
            Some((id, _)) => {
                ctx.cancel_timer(id);
                self.arm_election_timer(ctx, timeout);
            }
            None => self.arm_election_timer(ctx, timeout),
        }
    }

    fn arm_election_timer(&mut self, ctx: &mut SCtx<'_, '_>, after: Duration) {
        let id = ctx.set_timer(after, RaftTimer::Election);
        self.election_timer = Some((id, ctx.now() + after));
    }

    pub(super) fn on_timer(&mut self, ctx: &mut SCtx<'_, '_>, timer: RaftTimer) {
        match timer {
            RaftTimer::Election => {
                self.election_timer = None;
                if self.role == Role::Leader {
                    return;
                }
                let now = ctx.now();
                if now < self.election_deadline {
                    let rest = self.election_deadline.saturating_since(now);
                    self.arm_election_timer(ctx, rest);
                    return;
                }
                if self.params.pre_vote {
                    self.start_pre_vote(ctx);
                } else {
                    self.start_election(ctx);
                }
            }
            RaftTimer::Heartbeat { term } if term == self.current_term => match self.role {
                Role::Leader => {
                    self.broadcast_append(ctx);
                    ctx.set_timer(
                        self.params.heartbeat_interval,
                        RaftTimer::Heartbeat { term },
                    );
                }
                // §5.1: servers retry RPCs that get no answer. A candidate asks
                // again those that have not answered yet.
                Role::Candidate => {
                    let ask = RaftMsg::RequestVote {
                        term,
                        last_log_index: self.log.last_index(),
                        last_log_term: self.log.last_term(),
                        pre_vote: false,
                    };
                    for peer in ctx.peers() {
                        if !self.answered.contains(&peer) {
                            ctx.send(peer, ask.clone());
                        }
                    }
                    ctx.set_timer(
                        self.params.heartbeat_interval,
                        RaftTimer::Heartbeat { term },
                    );
                }
                Role::Follower | Role::PreCandidate => {}
            },
            RaftTimer::Heartbeat { .. } => {}
            RaftTimer::ClientRetry { .. } => {}
        }
    }

    pub(super) fn on_message(&mut self, ctx: &mut SCtx<'_, '_>, from: NodeId, msg: RaftMsg) {
        match msg {
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
                pre_vote,
            } => self.on_request_vote(ctx, from, term, last_log_index, last_log_term, pre_vote),
            RaftMsg::RequestVoteReply {
                term,
                granted,
                pre_vote,
            } => self.on_vote_reply(ctx, from, term, granted, pre_vote),
            RaftMsg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            } => self.on_append_entries(
                ctx,
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            ),
            RaftMsg::AppendEntriesReply {
                term,
                success,
                match_index,
                conflict,
                round,
            } => {
                let outcome = if success {
                    Ok(match_index)
                } else {
                    Err(conflict)
                };
                self.on_append_reply(ctx, from, term, round, outcome)
            }
            RaftMsg::InstallSnapshot {
                term,
                snapshot,
                round,
            } => self.on_install_snapshot(ctx, from, term, *snapshot, round),
            RaftMsg::InstallSnapshotReply {
                term,
                last_index,
                round,
            } => self.on_install_snapshot_reply(ctx, from, term, last_index, round),
            RaftMsg::ClientRequest { seq, input } => self.on_client_request(ctx, from, seq, input),
            RaftMsg::ClientReply { .. } => {}
        }
    }
}
