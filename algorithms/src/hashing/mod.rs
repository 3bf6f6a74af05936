//! # Consistent hashing and a sharded, replicated key-value store
//!
//! A store too big for one machine is split into shards, and something has
//! to say which machine holds which key. The obvious answer, `hash(key) %
//! n`, is also the wrong one: when `n` becomes `n + 1`, a key stays put only
//! if its hash gives the same remainder under both divisors, which is true
//! for about one key in `n + 1`. Adding one machine reshuffles nearly
//! everything, and every moved key is data copied across the network while
//! clients wait.
//!
//! **Consistent hashing** (Karger et al., "Consistent Hashing and Random
//! Trees", STOC 1997) puts nodes and keys on the same circle of hash values
//! and gives each key to the first node at or after it. A new node takes
//! over only the arc just before its position, so about `1/(n+1)` of the
//! keys move, all of them *to* the new node; a leaving node hands its arcs
//! to its successors and nothing else moves. One point per node gives very
//! uneven arcs, so each node places many **virtual nodes**; the spread of
//! load shrinks roughly with the square root of their number. Amazon's
//! **Dynamo** (DeCandia et al., SOSP 2007, §4.2–4.3) made this the
//! standard design: virtual nodes, weights for bigger machines, and a
//! **preference list** per key — the next R *distinct* physical nodes
//! clockwise — holding its replicas.
//!
//! Two alternatives need no ring. **Rendezvous hashing** (Thaler &
//! Ravishankar, "Using Name-Based Mappings to Increase Hit Rates", 1998),
//! also called highest random weight: every node scores every key with a
//! hash of the pair and the highest score wins; the top R scores are the
//! preference list. It is perfectly minimal and needs no tuning, but a
//! lookup costs one hash per node. **Jump consistent hash** (Lamping &
//! Veach, 2014) maps a key to a bucket in `0..n` with a few multiplications
//! and no memory at all, and is perfectly balanced — but buckets are
//! numbered, so only the last bucket can leave cheaply; it suits storage
//! that grows and shrinks at the end, not machines that fail anywhere.
//!
//! ## The library
//!
//! [`hash`] fixes the hash function (written out, no seeded hashers);
//! [`ring`] and [`placement`] implement the four placements behind
//! [`Placer`]; [`measure`] produces the lesson's table
//! (`cargo bench --bench hashing -- table`).
//!
//! ## The sharded store (`sharded-kv`)
//!
//! Storage nodes own keys by the placement of a **membership version**:
//! version 0 is the initial members, and each scheduled join or leave (the
//! `joins` and `leaves` parameters) makes the next version ([`topology`]).
//! Every node can compute every version's placement; what it learns by
//! message is *which version is current*. The node that joins or leaves
//! announces the change at its scheduled time; versions also ride on every
//! message between servers, and clients learn them from `WrongVersion`
//! replies, so clients route with a possibly stale ring and are corrected.
//! Crashes and restarts are kernel faults and are *not* membership
//! changes (as in Dynamo, a failure is transient until an operator says
//! otherwise): the key's other replicas keep the data and clients fail over
//! to them.
//!
//! - **Serving.** A client sends an operation to the first node of the
//!   key's preference list in its view. That node serves it if it is the
//!   primary at its own version and has *settled* that version (below);
//!   it answers `WrongVersion` when the client is behind and `Retry` while
//!   still receiving data. Reads are answered from the primary's copy;
//!   writes get a Lamport stamp, go to all R replicas, and are
//!   acknowledged after W of them (the primary included) stored them.
//!   When a node does not answer in `client_timeout`, the client fails
//!   over to the next node of the list, which then coordinates.
//! - **Rebalancing.** A node moving to version `v` fetches, from every
//!   member of `v-1` and of `v`, the keys it owns at `v`, and is settled
//!   once all of them answered. A node answers fetches for `v` only when it
//!   acts on `v` itself, which it does only after settling `v-1`; so data
//!   flows version by version, and the old primary stops serving a key
//!   before the new primary, who first fetched it from the old, starts.
//!   A node deletes a key it no longer owns only when every node of the
//!   key's new preference list has confirmed storing that very version of
//!   it (`Stored`). Settled members keep fetching from each other every
//!   `sync_interval` (anti-entropy), which repairs replicas that missed a
//!   write and refills a node that restarted empty.
//! - **Crashes.** By default a crash is the loss of the machine: the node
//!   restarts empty (only its membership version survives) and refills from
//!   the other replicas before serving again. With `durable = true` its data
//!   survives on disk.
//!
//! What is claimed: no acknowledged write is lost while fewer than R
//! nodes of its preference list crash (`acked_writes_survive`); after the
//! last change and a quiet period every key lives exactly on its
//! preference list (`keys_on_preference_list`); and without crashes or
//! message loss, when no client needs to fail over, each key is
//! linearizable across joins and leaves, because exactly one settled
//! primary serves it at a time. Failover gives up that last promise for
//! availability: a replica serving during a crash may miss the newest
//! writes (Dynamo makes the same trade; systems that need both put a
//! consensus group behind each shard).
//!
//! Bug variants: `stale_ring` (clients never refresh their ring and servers
//! trust the request's version), `delete_before_confirm` (a node drops keys
//! it handed off before the new owner confirmed them). R = 1 is a
//! configuration, not a bug: `replicas = 1` and one crash loses data.

pub mod client;
pub mod hash;
pub mod invariants;
pub mod measure;
pub mod msg;
pub mod node;
pub mod params;
pub mod placement;
pub mod ring;
pub mod server;
pub mod topology;

pub use msg::{Entry, KvDurable, KvMsg, KvTimer, Stamp};
pub use node::KvNode;
pub use params::{KvBug, MembershipChange, ShardedKvParams, Shared};
pub use placement::{PlacementKind, Placer, jump_hash};
pub use ring::Ring;
pub use topology::{Change, Topology};

use crate::algorithm::{Algorithm, ParamError};
use faultline_sim::{Invariant, NodeId, NodeKind, World, WorldConfig};
use std::sync::Arc;

/// Builds a sharded-store world. `shared` comes from
/// [`ShardedKvParams::topology`].
pub fn world(
    config: WorldConfig,
    shared: Arc<Shared>,
    invariants: Vec<Box<dyn Invariant<KvNode>>>,
) -> World<KvNode> {
    crate::algorithm::world::<ShardedKv>(config, shared, invariants)
        .expect("the scenario layer validated the config")
}

/// Validates parameters against the server count and shares them.
pub fn shared(doc: &str, params: ShardedKvParams, servers: u32) -> Result<Arc<Shared>, ParamError> {
    let topology = params.topology(doc, servers)?;
    Ok(Arc::new(Shared { params, topology }))
}

/// The registry entry.
pub struct ShardedKv;

impl Algorithm for ShardedKv {
    const NAME: &'static str = "sharded-kv";
    const SUMMARY: &'static str = "A sharded, replicated key-value store placed by consistent hashing, rebalancing on joins and leaves.";
    type Node = KvNode;
    type Params = ShardedKvParams;
    type Bug = KvBug;
    type Shared = Arc<Shared>;
    // Clients route each key to its replicas by their view of the ring.
    const CLIENTS_PIN: bool = false;

    fn prepare(
        params: ShardedKvParams,
        doc: &str,
        config: &WorldConfig,
    ) -> Result<Arc<Shared>, ParamError> {
        shared(doc, params, config.servers)
    }

    fn invariants(shared: &Arc<Shared>) -> Vec<Box<dyn Invariant<KvNode>>> {
        invariants::boxed(shared.clone())
    }

    fn node(shared: &Arc<Shared>, id: NodeId, kind: NodeKind, durable: &KvDurable) -> KvNode {
        match kind {
            NodeKind::Server => KvNode::server(shared.clone(), id, durable),
            NodeKind::Client => KvNode::client(shared.clone()),
        }
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
