//! # Quorum replication, Dynamo style
//!
//! Registry name `quorum`. Leaderless replication of a key-value store
//! following DeCandia et al., "Dynamo: Amazon's Highly Available Key-value
//! Store" (SOSP 2007): §4.2 (consistent hashing; the ring of
//! [`crate::hashing`] with `vnodes` points per server), §4.3 (each key on
//! the first `n` distinct servers clockwise, its preference list), §4.4
//! (versioning: version vectors and siblings), §4.5 (`r` and `w`, any
//! server coordinates), §4.6 (sloppy quorum and hinted handoff), §4.7
//! (anti-entropy) and §6 (what the settings of `n`, `r`, `w` buy); and
//! Cassandra's documented behaviour for the last-writer-wins mode
//! (timestamps taken by the coordinator, the highest one wins per key,
//! read repair). Servers are never added or removed: a crash is transient,
//! as in Dynamo.
//!
//! Every server is a replica of the keys whose preference lists name it,
//! and any server coordinates the request a client sends it
//! ([`server`]). A read asks the key's replicas and answers after `r`
//! replies, merged; a write is stored durably by the replicas and
//! acknowledged after `w` of them. With `sloppy = true` a replica that does
//! not answer in `replica_timeout` is replaced by the next server of the
//! ring, which keeps the write as a **hint** and hands it to the owner
//! later. Replicas that missed writes catch up through **read repair**
//! (the coordinator sends a read's merged result to the replicas that
//! answered with less, after answering the client) and **anti-entropy**
//! (a per-key digest exchange with a random replica every
//! `anti_entropy_interval`).
//!
//! **Conflicts** ([`version`]). With `conflicts = "lww"` every version
//! carries the coordinator's local clock, and the highest wins; with
//! `conflicts = "vv"` a version carries a dot (coordinator, counter) and the
//! version vector of what the coordinator read before writing, and
//! replicas keep every version no other one has seen: concurrent writes
//! become siblings. The kv family reads one value, so the coordinator
//! resolves siblings: the base of the sibling with the highest dot, then
//! every appended value of every sibling (so concurrent appends all
//! survive; of concurrent puts, one wins). A read that finds siblings
//! reports `siblings`; the next write of the key is written over all of
//! them and replaces them. Writes other than a last-writer-wins `put` read
//! a quorum first and write over what they read (read-modify-write at the
//! coordinator): an `append` adds its value to the resolved value unless
//! it is already there (a client's retry). Under `lww`, two concurrent
//! appends can therefore lose one another. A `cas` is refused (`Fail`):
//! without a leader or consensus, no server can compare and set
//! atomically.
//!
//! ## What holds for which settings
//!
//! - **`r + w > n`, strict quorum, no clock faults**: a read that starts
//!   after a write was acknowledged meets one of the `w` replicas that hold
//!   it, so it sees it (or a later version): no acknowledged write is lost
//!   and each client reads its own writes. Under `lww` this needs clocks
//!   that agree: a coordinator whose clock is behind stamps a later write
//!   lower than an earlier one, and the earlier one wins — acknowledged
//!   writes disappear (`scenarios/quorum/lww-clock-skew.toml`, expected
//!   `durability`; the same workload under `vv` passes,
//!   `scenarios/quorum/vv-clock-skew.toml`). Version vectors do not read
//!   clocks.
//! - **Still not linearizable**: reads are repaired in the background, so
//!   two reads that overlap a write can see it and then not see it
//!   (another client's read meets the replicas the write has not reached);
//!   concurrent writes have no single order (siblings under `vv`, a silent
//!   winner under `lww`); `cas` is not offered.
//! - **Sloppy quorums break the intersection**: the `w` acknowledgements
//!   of a write may come from stand-ins outside the preference list, and a
//!   read of the owners on the other side of a partition misses it until
//!   the hints are handed off (`scenarios/quorum/sloppy-partition.toml`).
//!   `r + w > n` then promises nothing about reads during the fault; it
//!   buys availability for writes. Under `vv` nothing acknowledged is
//!   lost even so: appends made on both sides become siblings
//!   (`scenarios/quorum/sloppy-appends-vv.toml`); under `lww` appends
//!   that read the same value overwrite each other.
//! - **`r + w <= n`**: a read and a write may meet no common replica; only
//!   eventual consistency remains (`scenarios/quorum/weak-quorum.toml`,
//!   expected `stale_reads`).
//! - **Convergence**: once faults stop and writes of a key stop, read
//!   repair, anti-entropy and hinted handoff bring all its live owners to
//!   the same versions (the `convergence` invariant, at the end of a run).
//!
//! Two invariants ([`invariants`]) watch the servers; two bug variants
//! ([`QuorumBug`]) plant realistic mistakes. `docs/lessons/replication.md`
//! walks through the scenarios in `scenarios/quorum/`.

pub mod client;
pub mod invariants;
pub mod msg;
pub mod observe;
pub mod params;
pub mod server;
pub mod version;
pub mod view;

use crate::algorithm::{Algorithm, ParamError};
use crate::family::KvFamily;
use crate::family::kv::KvInput;
use crate::hashing::ring::Ring;
use client::QuorumClient;
use faultline_sim::{Ctx, Invariant, NodeId, NodeKind, NodeView, OpId, Process, WorldConfig};
pub use msg::{QuorumMsg, QuorumTimer, Reply};
pub use params::{Conflicts, QuorumBug, QuorumParams};
use server::Server;
use std::collections::BTreeMap;
use std::sync::Arc;
use version::Versions;

/// What survives a crash: a server's store, the hints it holds and its
/// write counter; a client's session sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct QuorumDurable {
    /// The keys a server owns, with their versions.
    pub store: BTreeMap<String, Versions>,
    /// Hints held: (owner, key) to versions.
    pub hints: BTreeMap<(NodeId, String), Versions>,
    /// The server's counter of coordinated operations and writes (operation
    /// numbers, dots and timestamp ties).
    pub counter: u64,
    /// Under version vectors, the last version this server wrote of each
    /// key as a coordinator: its next write of the key is written over it,
    /// so the dots of one coordinator on one key form a chain.
    pub own: BTreeMap<String, version::Version>,
    /// A client's last sequence number.
    pub client_seq: u64,
}

/// A node: a server or a client.
#[derive(Clone, Debug, Hash)]
pub enum QuorumNode {
    /// A server: replica and coordinator.
    Server(Box<Server>),
    /// A client.
    Client(Box<QuorumClient>),
}

impl QuorumNode {
    /// The server, if this is one.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            QuorumNode::Server(s) => Some(s),
            QuorumNode::Client(_) => None,
        }
    }
}

impl Process for QuorumNode {
    type Msg = QuorumMsg;
    type Timer = QuorumTimer;
    type Durable = QuorumDurable;
    type Family = KvFamily;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let QuorumNode::Server(s) = self {
            s.start(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: QuorumMsg) {
        match self {
            QuorumNode::Server(s) => s.on_message(ctx, from, msg),
            QuorumNode::Client(c) => c.on_message(ctx, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: QuorumTimer) {
        match self {
            QuorumNode::Server(s) => s.on_timer(ctx, timer),
            QuorumNode::Client(c) => c.on_timer(ctx, timer),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: KvInput) {
        match self {
            QuorumNode::Client(c) => c.on_request(ctx, op, input),
            QuorumNode::Server(_) => ctx.complete(op, faultline_sim::Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            QuorumNode::Server(s) => view::server_view(s),
            QuorumNode::Client(c) => c.view(),
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
pub struct QuorumShared {
    /// The parameters.
    pub params: Arc<QuorumParams>,
    /// The ring of all servers.
    pub ring: Arc<Ring>,
    /// Number of servers.
    pub servers: u32,
}

/// The registry entry.
pub struct Quorum;

impl Algorithm for Quorum {
    const NAME: &'static str = "quorum";
    const SUMMARY: &'static str = "Dynamo-style leaderless replication: N replicas per key on a hash ring, R/W quorums, sloppy quorums with hinted handoff, read repair, anti-entropy, last-writer-wins or version vectors with siblings.";
    type Node = QuorumNode;
    type Params = QuorumParams;
    type Bug = QuorumBug;
    type Shared = QuorumShared;

    fn prepare(
        params: QuorumParams,
        _doc: &str,
        config: &WorldConfig,
    ) -> Result<QuorumShared, ParamError> {
        let members: Vec<NodeId> = (0..config.servers).map(NodeId).collect();
        let ring = Ring::new(&members, params.vnodes);
        Ok(QuorumShared {
            params: Arc::new(params),
            ring: Arc::new(ring),
            servers: config.servers,
        })
    }

    fn invariants(shared: &QuorumShared) -> Vec<Box<dyn Invariant<QuorumNode>>> {
        invariants::boxed(shared.params.clone(), shared.ring.clone())
    }

    fn node(
        shared: &QuorumShared,
        id: NodeId,
        kind: NodeKind,
        durable: &QuorumDurable,
    ) -> QuorumNode {
        match kind {
            NodeKind::Server => QuorumNode::Server(Box::new(Server::recover(
                shared.params.clone(),
                shared.ring.clone(),
                shared.servers,
                id,
                durable,
            ))),
            NodeKind::Client => QuorumNode::Client(Box::new(QuorumClient::new(
                shared.params.client_timeouts(),
                shared.servers,
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
