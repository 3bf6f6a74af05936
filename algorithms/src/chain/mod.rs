//! # Chain replication, with a linearizable key-value service
//!
//! Registry name `chain`. Following van Renesse & Schneider, "Chain
//! Replication for Supporting High Throughput and Availability" (OSDI
//! 2004), §2 (the protocol) and §3 (failures of the head, the tail and a
//! middle server; adding a server at the tail), and optionally Terrace &
//! Freedman, "Object Storage on CRAQ" (USENIX ATC 2009), §2 (reads at any
//! server).
//!
//! The servers other than the master form a chain, head to tail. A write
//! enters at the head, which orders it, applies it and passes it on; every
//! server applies it in turn, and it is **committed** when the tail has
//! it. A read is answered by the tail alone, from its store: the tail
//! holds exactly the committed writes, so reads and writes are
//! linearizable without any read going through the chain. The same key-
//! value store and client sessions as Raft's ([`crate::kvstore`]) apply
//! each write once, however often a client retries it.
//!
//! Acknowledgements flow back from the tail; each server keeps the updates
//! it sent on and has not seen acknowledged (its *Sent* list) and prunes
//! it as acknowledgements pass. The head answers the client when the
//! acknowledgement of its write arrives (the paper lets the tail answer;
//! here the head does, because it is also where a retried write arrives,
//! so one server answers both).
//!
//! **The master** ([`master`], server n0) detects failures with pings and
//! a timeout, and reconfigures: without the failed head its successor is
//! the head; without the tail its predecessor is the tail and acknowledges
//! everything it has; without a middle server the predecessor re-sends its
//! Sent list to its new successor. A new or restarted server joins at the
//! tail after the old tail has sent it its state. The paper assumes
//! fail-stop servers and a perfect failure detector; in a network that
//! partitions, the master may suspect a server that is alive, so servers
//! serve clients only under a lease from the master, which the master
//! waits out (with a bound on clock drift, `max_drift_ppm`) before it
//! replaces a suspect.
//!
//! **CRAQ** (`reads = "craq"`): every server keeps the versions of each
//! key written by updates not yet acknowledged. A read of a key with none
//! (*clean*) is answered by any server from its store; a read of a *dirty*
//! key asks the tail for the key's last committed version and answers that
//! one.
//!
//! Invariants ([`invariants`]) check the paper's Update Propagation and
//! Inprocess Requests invariants between neighbours; five bug variants
//! ([`ChainBug`]) plant realistic mistakes. `docs/lessons/replication.md`
//! walks through the scenarios in `scenarios/chain/`.

pub mod client;
pub mod invariants;
pub mod master;
pub mod msg;
pub mod observe;
pub mod params;
pub mod server;
pub mod view;

use crate::algorithm::{Algorithm, ParamError};
use crate::family::KvFamily;
use crate::family::kv::KvInput;
use client::ChainClient;
use faultline_sim::{Ctx, Invariant, NodeId, NodeKind, NodeView, OpId, Process, WorldConfig};
use master::Master;
pub use msg::{ChainMsg, ChainState, ChainTimer, Config, Member};
pub use params::{ChainBug, ChainParams, ReadMode};
use server::Server;
use std::sync::Arc;

/// The master is server n0.
pub const MASTER: NodeId = NodeId(0);

/// What survives a crash: for a chain server its store (written through,
/// for the last member's recovery) and the configuration it held; for the
/// master the configuration; for a client its session's sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChainDurable {
    /// Times this node has started.
    pub boots: u64,
    /// The configuration it holds (the master: the current one).
    pub config: Option<Arc<Config>>,
    /// A chain server's replicated state.
    pub state: ChainState,
    /// A client's last sequence number.
    pub client_seq: u64,
}

/// A node: the master, a chain server or a client.
#[derive(Clone, Debug, Hash)]
pub enum ChainNode {
    /// The master (n0).
    Master(Box<Master>),
    /// A chain server.
    Server(Box<Server>),
    /// A client.
    Client(Box<ChainClient>),
}

impl ChainNode {
    /// The chain server, if this is one.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            ChainNode::Server(s) => Some(s),
            _ => None,
        }
    }

    /// The master, if this is it.
    pub fn as_master(&self) -> Option<&Master> {
        match self {
            ChainNode::Master(m) => Some(m),
            _ => None,
        }
    }
}

impl Process for ChainNode {
    type Msg = ChainMsg;
    type Timer = ChainTimer;
    type Durable = ChainDurable;
    type Family = KvFamily;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self {
            ChainNode::Master(m) => m.start(ctx),
            ChainNode::Server(s) => s.start(ctx),
            ChainNode::Client(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: ChainMsg) {
        match self {
            ChainNode::Master(m) => m.on_message(ctx, from, msg),
            ChainNode::Server(s) => s.on_message(ctx, from, msg),
            ChainNode::Client(c) => c.on_message(ctx, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: ChainTimer) {
        match self {
            ChainNode::Master(m) => m.on_timer(ctx, timer),
            ChainNode::Server(s) => s.on_timer(ctx, timer),
            ChainNode::Client(c) => c.on_timer(ctx, timer),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: KvInput) {
        match self {
            ChainNode::Client(c) => c.on_request(ctx, op, input),
            _ => ctx.complete(op, faultline_sim::Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            ChainNode::Master(m) => view::master_view(m),
            ChainNode::Server(s) => view::server_view(s),
            ChainNode::Client(c) => c.view(),
        }
    }

    const OBSERVABLES: &'static [faultline_sim::Observable] = observe::OBSERVABLES;
    const REPORTS: &'static [faultline_sim::ReportDoc] = observe::REPORTS;

    fn observe(&self, index: usize) -> Option<u64> {
        observe::observe(self, index)
    }
}

/// What every node shares.
#[derive(Clone, Debug)]
pub struct ChainShared {
    /// The parameters.
    pub params: Arc<ChainParams>,
    /// Number of servers (the master and the chain).
    pub servers: u32,
}

/// The registry entry.
pub struct Chain;

impl Algorithm for Chain {
    const NAME: &'static str = "chain";
    const SERVING_ROLE: Option<&'static str> = Some("head");
    const SUMMARY: &'static str = "Chain replication: writes down the chain from the head, reads at the tail (or CRAQ reads anywhere), a master that reconfigures on failures, and a linearizable key-value service.";
    type Node = ChainNode;
    type Params = ChainParams;
    type Bug = ChainBug;
    type Shared = ChainShared;

    fn prepare(
        params: ChainParams,
        _doc: &str,
        config: &WorldConfig,
    ) -> Result<ChainShared, ParamError> {
        Ok(ChainShared {
            params: Arc::new(params),
            servers: config.servers,
        })
    }

    fn invariants(_shared: &ChainShared) -> Vec<Box<dyn Invariant<ChainNode>>> {
        invariants::boxed()
    }

    fn node(shared: &ChainShared, id: NodeId, kind: NodeKind, durable: &ChainDurable) -> ChainNode {
        match kind {
            NodeKind::Server if id == MASTER => ChainNode::Master(Box::new(Master::recover(
                shared.params.clone(),
                shared.servers,
                durable,
            ))),
            NodeKind::Server => ChainNode::Server(Box::new(Server::recover(
                shared.params.clone(),
                shared.servers,
                id,
                durable,
            ))),
            NodeKind::Client => ChainNode::Client(Box::new(ChainClient::new(
                shared.params.client_timeouts(),
                shared.params.reads,
                shared.servers,
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
