//! # Asynchronous read replicas: a primary that answers before replicating
//!
//! Registry name `async-replica`. The replication most SQL databases ship
//! by default: the primary writes each change to its log, answers the
//! client, and streams the log to read replicas afterwards (MySQL's
//! asynchronous and semi-synchronous replication, PostgreSQL's streaming
//! replication, as their manuals describe them: the primary's log shipped
//! to replicas, which replay it; semi-synchronous commit waits for `k`
//! replicas to confirm receipt). Reads from replicas then lag behind
//! writes — Kleppmann, *Designing Data-Intensive Applications*, ch. 5,
//! "Problems with Replication Lag" — and a failover loses the writes the
//! old primary acknowledged but never shipped.
//!
//! **Nodes.** Server n0 is the monitor ([`monitor`]); n1, n2, ... are data
//! servers ([`server`]), n1 the first primary. The primary appends each
//! write to its log (tagged with its epoch), applies it to its store,
//! answers the client — at once, or with `sync_replicas = k` once `k`
//! replicas acknowledged the entry — and ships its log to each replica
//! every `ship_interval`. Replicas apply in log order, acknowledge what
//! they hold, and answer reads from their stores.
//!
//! **Failover.** When the primary stops reporting, the monitor fences the
//! data servers with a new epoch (they refuse older epochs' entries from
//! then on), waits for `fence_quorum` of them, and promotes the one with
//! the furthest log. With `k >= 1` the quorum (`D - k` of the `D` data
//! servers) always includes a server holding every acknowledged write, so
//! no acknowledged write is lost, however many failovers; with `k = 0`
//! the writes the old primary had not shipped are lost. A replaced
//! primary that comes back (or was only cut off, and kept taking writes:
//! split brain, visible) learns the new epoch, truncates the entries the
//! new primary lacks (reported `truncated`) and catches up, so replicas
//! converge once faults stop (the `digest` observable).
//!
//! **Sessions** (`sessions = true`): the client carries the log position
//! of its last write or read (Terry et al., "Session Guarantees for
//! Weakly Consistent Replicated Data", 1994, §3: read-your-writes and
//! monotonic reads; DDIA ch. 5: the client remembers the log position of
//! its write). A server answers a read only if its log holds that
//! position, and otherwise sends it to the primary. A token the primary of
//! a later epoch does not hold names a write lost in a failover: the read
//! fails, and the session continues from the primary's position.
//!
//! The invariant ([`invariants`]) is Raft's Log Matching; three bug
//! variants ([`AsyncBug`]) plant realistic mistakes.
//! `docs/lessons/replication.md` ("Async read replicas") walks through the
//! scenarios in `scenarios/async-replica/`.

pub mod client;
pub mod invariants;
pub mod monitor;
pub mod msg;
pub mod observe;
pub mod params;
pub mod server;
pub mod view;

use crate::algorithm::{Algorithm, ParamError};
use crate::family::KvFamily;
use crate::family::kv::KvInput;
use client::AsyncClient;
use faultline_sim::{Ctx, Invariant, NodeId, NodeKind, NodeView, OpId, Process, WorldConfig};
use monitor::Monitor;
pub use msg::{AsyncMsg, AsyncTimer, Entry, Pos};
pub use params::{AsyncBug, AsyncParams, ReadFrom};
use server::{MONITOR, Server};
use std::sync::Arc;

/// What survives a crash: a data server's log (written through), epoch
/// and primary; the monitor's epoch and primary; a client's sequence
/// number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AsyncDurable {
    /// Times this node has started.
    pub boots: u64,
    /// The epoch it holds (the monitor: the last it issued); 0 before the
    /// first boot.
    pub epoch: u64,
    /// The primary of that epoch.
    pub primary: Option<NodeId>,
    /// A data server's log.
    pub log: Vec<Entry>,
    /// Entries a data server truncated.
    pub lost: u64,
    /// A client's last sequence number.
    pub client_seq: u64,
}

/// A node: the monitor, a data server or a client.
#[derive(Clone, Debug, Hash)]
pub enum AsyncNode {
    /// The monitor (n0).
    Monitor(Box<Monitor>),
    /// A data server.
    Server(Box<Server>),
    /// A client.
    Client(Box<AsyncClient>),
}

impl AsyncNode {
    /// The data server, if this is one.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            AsyncNode::Server(s) => Some(s),
            _ => None,
        }
    }

    /// The monitor, if this is it.
    pub fn as_monitor(&self) -> Option<&Monitor> {
        match self {
            AsyncNode::Monitor(m) => Some(m),
            _ => None,
        }
    }
}

impl Process for AsyncNode {
    type Msg = AsyncMsg;
    type Timer = AsyncTimer;
    type Durable = AsyncDurable;
    type Family = KvFamily;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self {
            AsyncNode::Monitor(m) => m.start(ctx),
            AsyncNode::Server(s) => s.start(ctx),
            AsyncNode::Client(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: AsyncMsg) {
        match self {
            AsyncNode::Monitor(m) => match msg {
                AsyncMsg::Request { seq, .. } => {
                    // A client pinned to the monitor: no data here.
                    let primary = m.primary();
                    ctx.send(
                        from,
                        AsyncMsg::Response {
                            seq,
                            reply: msg::Reply::NotPrimary { primary },
                        },
                    );
                }
                other => m.on_message(ctx, from, other),
            },
            AsyncNode::Server(s) => s.on_message(ctx, from, msg),
            AsyncNode::Client(c) => c.on_message(ctx, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: AsyncTimer) {
        match self {
            AsyncNode::Monitor(m) => m.on_timer(ctx, timer),
            AsyncNode::Server(s) => s.on_timer(ctx, timer),
            AsyncNode::Client(c) => c.on_timer(ctx, timer),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: KvInput) {
        match self {
            AsyncNode::Client(c) => c.on_request(ctx, op, input),
            _ => ctx.complete(op, faultline_sim::Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            AsyncNode::Monitor(m) => view::monitor_view(m),
            AsyncNode::Server(s) => view::server_view(s),
            AsyncNode::Client(c) => c.view(),
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
pub struct AsyncShared {
    /// The parameters.
    pub params: Arc<AsyncParams>,
    /// Number of servers (the monitor and the data servers).
    pub servers: u32,
}

/// The registry entry.
pub struct AsyncReplica;

impl Algorithm for AsyncReplica {
    const NAME: &'static str = "async-replica";
    const SERVING_ROLE: Option<&'static str> = Some("primary");
    const SUMMARY: &'static str = "Asynchronous (or semi-synchronous) primary/read-replica replication: the primary answers before shipping its log, replicas serve stale reads, a monitor fails over to the furthest replica; optional session tokens for read-your-writes.";
    type Node = AsyncNode;
    type Params = AsyncParams;
    type Bug = AsyncBug;
    type Shared = AsyncShared;

    fn prepare(
        params: AsyncParams,
        _doc: &str,
        config: &WorldConfig,
    ) -> Result<AsyncShared, ParamError> {
        Ok(AsyncShared {
            params: Arc::new(params),
            servers: config.servers,
        })
    }

    fn invariants(_shared: &AsyncShared) -> Vec<Box<dyn Invariant<AsyncNode>>> {
        invariants::boxed()
    }

    fn node(shared: &AsyncShared, id: NodeId, kind: NodeKind, durable: &AsyncDurable) -> AsyncNode {
        match kind {
            NodeKind::Server if id == MONITOR => AsyncNode::Monitor(Box::new(Monitor::recover(
                shared.params.clone(),
                shared.servers,
                durable,
            ))),
            NodeKind::Server => AsyncNode::Server(Box::new(Server::recover(
                shared.params.clone(),
                shared.servers,
                id,
                durable,
            ))),
            NodeKind::Client => AsyncNode::Client(Box::new(AsyncClient::new(
                shared.params.client_timeouts(),
                shared.params.reads,
                shared.params.sessions,
                shared.servers,
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
