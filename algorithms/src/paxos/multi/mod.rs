//! # Multi-Paxos, with a linearizable key-value service
//!
//! Registry name `multi-paxos`. Where single-decree Paxos agrees on one
//! value, Multi-Paxos agrees on a sequence: slot 1, slot 2, ..., each an
//! instance of Paxos, and every replica applies the chosen commands in slot
//! order to the same key-value store as Raft's ([`crate::kvstore`]).
//!
//! Running both phases for every command would cost two round trips each.
//! The classic optimisation (Paxos Made Simple §3; Paxos Made Moderately
//! Complex §3–4, the leader with its scout and commanders) is a
//! **distinguished leader**: a server wins phase 1 once, *for all slots
//! at once*, and then runs only phase 2 for each new command while it
//! stays leader. A new leader must first learn what earlier leaders may
//! have chosen: its phase-1 quorum reports every accepted proposal from
//! the first slot it has not seen decided on, it re-proposes the
//! highest-ballot command of each slot, and it fills the holes below the
//! highest such slot with no-ops, so that the log has no gaps.
//!
//! Failures are detected with timeouts on each server's local clock (a
//! leader heartbeats; a follower that hears nothing for a random election
//! timeout runs phase 1), so clock drift changes when leaders change. The
//! server and its details: [`server`]. Clients ([`crate::kvclient`]) follow
//! "not leader" hints and retry with their sequence number, which the
//! store uses to apply each command once. Reads are commands in the log,
//! hence linearizable. Logs are compacted by snapshots.
//!
//! Invariants ([`invariants`]) judge every acceptor's state for agreement
//! per slot, promises, and acceptances, and every replica's decisions and
//! applied state; six bug variants ([`MultiPaxosBug`]) plant classic
//! mistakes. `docs/lessons/paxos.md` compares it with Raft on one fault
//! schedule.

pub mod invariants;
pub mod msg;
pub mod observe;
pub mod params;
pub mod server;
pub mod view;

use crate::algorithm::{Algorithm, ParamError};
use crate::family::KvFamily;
use crate::family::kv::KvInput;
use crate::kvclient::{ClientReply, KvClient, LeaderService};
use crate::paxos::ballot::Ballot;
use crate::paxos::quorum::Quorums;
use faultline_sim::{Ctx, Invariant, NodeId, NodeKind, NodeView, OpId, Process, WorldConfig};
pub use msg::{Cmd, MultiMsg, MultiSnapshot, MultiTimer, Slot};
pub use params::{MultiPaxosBug, MultiPaxosParams};
use server::Server;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What survives a crash: the acceptor's promise and accepted proposals,
/// the replica's decisions and snapshot, the highest round used; for a
/// client, its session's sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MultiDurable {
    /// The highest ballot promised.
    pub promised: Ballot,
    /// Accepted proposals by slot (after the snapshot).
    pub accepted: BTreeMap<Slot, (Ballot, Cmd)>,
    /// Decided commands by slot (after the snapshot).
    pub decided: BTreeMap<Slot, Cmd>,
    /// The latest snapshot.
    pub snapshot: Option<MultiSnapshot>,
    /// The highest round this server used.
    pub round: u64,
    /// Times this node has started.
    pub boots: u64,
    /// A client's last sequence number.
    pub client_seq: u64,
}

/// A Multi-Paxos node: a server or a client.
#[derive(Clone, Debug, Hash)]
pub enum MultiNode {
    /// A server.
    Server(Box<Server>),
    /// A client.
    Client(KvClient),
}

impl MultiNode {
    /// The server state, if this is a server.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            MultiNode::Server(s) => Some(s),
            MultiNode::Client(_) => None,
        }
    }
}

impl Process for MultiNode {
    type Msg = MultiMsg;
    type Timer = MultiTimer;
    type Durable = MultiDurable;
    type Family = KvFamily;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let MultiNode::Server(s) = self {
            s.start(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: MultiMsg) {
        match self {
            MultiNode::Server(s) => s.on_message(ctx, from, msg),
            MultiNode::Client(c) => c.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: MultiTimer) {
        match self {
            MultiNode::Server(s) => s.on_timer(ctx, timer),
            MultiNode::Client(c) => c.on_timer(ctx, timer),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: KvInput) {
        match self {
            MultiNode::Client(c) => c.on_request(ctx, op, input),
            MultiNode::Server(_) => ctx.complete(op, faultline_sim::Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            MultiNode::Server(s) => view::server_view(s),
            MultiNode::Client(c) => c.view(),
        }
    }
    const OBSERVABLES: &'static [faultline_sim::Observable] = observe::OBSERVABLES;
    const REPORTS: &'static [faultline_sim::ReportDoc] = observe::REPORTS;

    fn observe(&self, index: usize) -> Option<u64> {
        match self {
            MultiNode::Server(s) => observe::observe(s, index),
            MultiNode::Client(_) => None,
        }
    }
}

impl LeaderService for MultiNode {
    fn request(seq: u64, input: KvInput) -> MultiMsg {
        MultiMsg::ClientRequest { seq, input }
    }

    fn reply(msg: MultiMsg) -> Option<(u64, ClientReply)> {
        match msg {
            MultiMsg::ClientReply { seq, reply } => Some((seq, reply)),
            _ => None,
        }
    }

    fn retry_timer(seq: u64, attempt: u64) -> MultiTimer {
        MultiTimer::ClientRetry { seq, attempt }
    }

    fn as_retry(timer: &MultiTimer) -> Option<(u64, u64)> {
        match timer {
            MultiTimer::ClientRetry { seq, attempt } => Some((*seq, *attempt)),
            _ => None,
        }
    }

    fn session_seq(durable: &mut MultiDurable) -> &mut u64 {
        &mut durable.client_seq
    }
}

/// What every node shares.
#[derive(Clone, Debug)]
pub struct MultiShared {
    /// The parameters.
    pub params: Arc<MultiPaxosParams>,
    /// Quorum sizes.
    pub quorums: Quorums,
    /// Number of servers.
    pub servers: u32,
}

/// The registry entry.
pub struct MultiPaxos;

impl Algorithm for MultiPaxos {
    const NAME: &'static str = "multi-paxos";
    const SERVING_ROLE: Option<&'static str> = Some("leader");
    const SUMMARY: &'static str = "Multi-Paxos: a stable leader, phase 1 for all slots at once, no-ops for holes, snapshots, and a linearizable key-value service.";
    type Node = MultiNode;
    type Params = MultiPaxosParams;
    type Bug = MultiPaxosBug;
    type Shared = MultiShared;

    fn prepare(
        params: MultiPaxosParams,
        _doc: &str,
        config: &WorldConfig,
    ) -> Result<MultiShared, ParamError> {
        Ok(MultiShared {
            quorums: params.quorums(config.servers),
            params: Arc::new(params),
            servers: config.servers,
        })
    }

    fn invariants(shared: &MultiShared) -> Vec<Box<dyn Invariant<MultiNode>>> {
        invariants::boxed(shared.quorums.q2)
    }

    fn node(shared: &MultiShared, id: NodeId, kind: NodeKind, durable: &MultiDurable) -> MultiNode {
        match kind {
            NodeKind::Server => MultiNode::Server(Box::new(Server::recover(
                shared.params.clone(),
                shared.quorums,
                id,
                durable,
            ))),
            NodeKind::Client => MultiNode::Client(KvClient::new(
                shared.params.client_timeouts(),
                id,
                shared.servers,
            )),
        }
    }
}

#[cfg(test)]
mod tests;
