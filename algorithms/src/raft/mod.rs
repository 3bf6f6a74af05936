//! # Raft, with a linearizable key-value service
//!
//! Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus
//! Algorithm", extended version, 2014) keeps a log replicated on a cluster of
//! servers so that every server applies the same commands in the same order,
//! as long as a majority is up and can talk. It splits the problem in three.
//!
//! **Leader election (§5.2).** Time is divided into numbered *terms*, each
//! starting with an election. A follower that hears nothing from a leader
//! for a randomised *election timeout* becomes a candidate: it increments its
//! term, votes for itself and asks the others. A server grants at most one
//! vote per term (so it must remember its vote across crashes) and only to a
//! candidate whose log is at least as up-to-date as its own (§5.4.1). Any
//! message carrying a higher term turns its receiver into a follower of that
//! term. Randomised timeouts make split votes rare. With `pre_vote` on, a
//! would-be candidate first asks whether it *could* win, without touching
//! anyone's term (thesis §9.6), so a server returning from a partition
//! cannot depose a healthy leader.
//!
//! **Log replication (§5.3).** The leader appends client commands to its log
//! and sends them with AppendEntries, naming the entry just before them; a
//! follower accepts only if it holds that entry, which by induction makes
//! logs identical up to any entry they share (Log Matching). A follower that
//! rejects says where its log diverges (conflict term and index), so the
//! leader backs up a whole term per round trip. An entry is *committed* once
//! a majority stores it — but a leader counts replicas only for entries of
//! its own term; earlier entries commit with them (§5.4.2, Figure 8 shows
//! why). Servers apply committed entries in order to the state machine.
//!
//! **Safety (§5.4).** Voting for up-to-date candidates only, plus the commit
//! rule, give Leader Completeness: every committed entry is in the log of
//! every later leader. The five properties of Figure 3 are this module's
//! invariants ([`invariants`]), with two more: a server's commit index never
//! goes back, and servers that applied the same prefix agree on the state.
//!
//! **Persistence.** Term, vote and log are written through to durable state
//! ([`RaftDurable`]) before the handler that changed them returns, hence
//! before any reply leaves; a restart rebuilds the server from it.
//!
//! **Compaction (§7).** After `snapshot_threshold` applied entries the
//! server replaces them by a snapshot of the state machine. A leader whose
//! follower needs compacted entries sends InstallSnapshot instead.
//!
//! **Clients (§8).** The state machine is a key-value store ([`kv`]) with
//! get, put, append and compare-and-set. Clients ([`client`]) send to the
//! server they think leads, follow "not leader" hints, retry on timeout with
//! the same sequence number, and the state machine remembers each client's
//! last sequence number and output so that a command reaching the log twice
//! takes effect once. Reads are linearizable by one of three modes
//! ([`ReadMode`]): through the log; by ReadIndex (thesis §6.4: note the
//! commit index, confirm leadership with a heartbeat round, wait until it is
//! applied); or by a leader lease (thesis §6.4.1), which skips the round
//! trip but is only as safe as the bound on clock drift it assumes.
//!
//! **Bug variants** ([`RaftBug`]) plant realistic mistakes, eleven in the
//! bug zoo, each with a `scenarios/raft/bug-*.toml` in which an invariant or
//! the linearizability checker catches it. Most show within a few seeds of
//! random faults. Two need an interleaving random faults almost never
//! produce (the Figure 8 commit, a vote forgotten across a restart): the
//! scripted tests play them step by step, and their scenario files hold the
//! faults the scripts inject, each placed after an exact event. A lease
//! blind to drift shows at about one seed in 250 of its scenario, whose
//! `seed` is one of them.
//! `docs/lessons/raft.md` explains how each breaks the protocol.

pub mod client;
pub mod invariants;
pub mod kv;
pub mod log;
pub mod msg;
pub mod node;
pub mod observe;
pub mod params;
pub mod view;

use crate::algorithm::{Algorithm, ParamError};
use crate::family::KvFamily;
use crate::family::kv::KvInput;
use client::Client;
use faultline_sim::{
    Ctx, Invariant, NodeId, NodeKind, NodeView, OpId, Process, World, WorldConfig,
};
use log::RaftLog;
pub use msg::{RaftMsg, RaftTimer};
use msg::{Snapshot, Term};
use node::Server;
pub use observe::{ENTRIES_OVERWRITTEN, LEADER_ELECTED, SNAPSHOT_INSTALLED, SNAPSHOT_TAKEN};
pub use params::{RaftBug, RaftParams, ReadMode};
use std::sync::Arc;

/// What survives a crash: Figure 2's persistent state (term, vote, log) and
/// the latest snapshot; for a client, its session's sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RaftDurable {
    /// The latest term this server has seen.
    pub current_term: Term,
    /// The candidate that received this server's vote in `current_term`.
    pub voted_for: Option<NodeId>,
    /// The log (after the snapshot).
    pub log: RaftLog,
    /// The latest snapshot.
    pub snapshot: Option<Snapshot>,
    /// Times this node has started (the invariants use it to tell restarts).
    pub boots: u64,
    /// A client's last sequence number.
    pub client_seq: u64,
}

/// A Raft node: a server or a client.
#[derive(Clone, Debug, Hash)]
pub enum RaftNode {
    /// A server.
    Server(Box<Server>),
    /// A client.
    Client(Client),
}

impl RaftNode {
    /// The server state, if this is a server.
    #[inline]
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            RaftNode::Server(s) => Some(s),
            RaftNode::Client(_) => None,
        }
    }
}

impl Process for RaftNode {
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Durable = RaftDurable;
    type Family = KvFamily;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let RaftNode::Server(s) = self {
            s.start(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: RaftMsg) {
        match self {
            RaftNode::Server(s) => s.on_message(ctx, from, msg),
            RaftNode::Client(c) => c.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: RaftTimer) {
        match self {
            RaftNode::Server(s) => s.on_timer(ctx, timer),
            RaftNode::Client(c) => c.on_timer(ctx, timer),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: KvInput) {
        match self {
            RaftNode::Client(c) => c.on_request(ctx, op, input),
            RaftNode::Server(_) => ctx.complete(op, faultline_sim::Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            RaftNode::Server(s) => view::server_view(s),
            RaftNode::Client(c) => c.view(),
        }
    }

    const OBSERVABLES: &'static [faultline_sim::Observable] = observe::OBSERVABLES;
    const REPORTS: &'static [faultline_sim::ReportDoc] = observe::REPORTS;

    fn observe(&self, index: usize) -> Option<u64> {
        observe::observe(self.as_server()?, index)
    }
}

/// What every Raft node shares: the parameters and the cluster size.
#[derive(Clone, Debug)]
pub struct RaftShared {
    /// The parameters.
    pub params: Arc<RaftParams>,
    /// Number of servers (clients spread their first guess over them).
    pub servers: u32,
}

/// Builds a Raft world with the chosen invariants.
pub fn world(
    config: WorldConfig,
    params: RaftParams,
    invariants: Vec<Box<dyn Invariant<RaftNode>>>,
) -> World<RaftNode> {
    let shared = RaftShared {
        params: Arc::new(params),
        servers: config.servers,
    };
    crate::algorithm::world::<Raft>(config, shared, invariants)
        .expect("the scenario layer validated the config")
}

/// The registry entry.
pub struct Raft;

impl Algorithm for Raft {
    const NAME: &'static str = "raft";
    const SERVING_ROLE: Option<&'static str> = Some("leader");
    const SUMMARY: &'static str = "Raft consensus (election, replication, persistence, snapshots) with a linearizable key-value service.";
    type Node = RaftNode;
    type Params = RaftParams;
    type Bug = RaftBug;
    type Shared = RaftShared;

    fn prepare(
        params: RaftParams,
        _doc: &str,
        config: &WorldConfig,
    ) -> Result<RaftShared, ParamError> {
        Ok(RaftShared {
            params: Arc::new(params),
            servers: config.servers,
        })
    }

    fn invariants(_shared: &RaftShared) -> Vec<Box<dyn Invariant<RaftNode>>> {
        invariants::boxed()
    }

    fn node(shared: &RaftShared, id: NodeId, kind: NodeKind, durable: &RaftDurable) -> RaftNode {
        match kind {
            NodeKind::Server => RaftNode::Server(Box::new(Server::recover(
                shared.params.clone(),
                id,
                durable,
            ))),
            NodeKind::Client => RaftNode::Client(Client::new(
                client::timeouts(&shared.params),
                id,
                shared.servers,
            )),
        }
    }
}

#[cfg(test)]
mod scripted;
#[cfg(test)]
mod tests;
