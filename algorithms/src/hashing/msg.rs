//! What the sharded store's nodes say to each other, and what they store.

use crate::family::kv::{KvInput, KvOutput};
use faultline_sim::{NodeId, OpId};
use serde::Serialize;
use std::fmt;

/// The version of a stored value: a Lamport counter, ties broken by the
/// coordinating node. Replicas keep the highest stamp they have seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Stamp {
    /// Lamport counter.
    pub counter: u64,
    /// The node that coordinated the write.
    pub node: u32,
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@n{}", self.counter, self.node)
    }
}

/// A stored value with its stamp.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Entry {
    /// The value.
    pub value: String,
    /// Its version.
    pub stamp: Stamp,
}

/// Messages of the sharded store. Every message between servers carries
/// the sender's membership version, so versions spread with the traffic.
#[derive(Clone, Debug, Hash, Serialize)]
pub enum KvMsg {
    /// Client to server: run an operation. `version` is the client's view
    /// of the membership; `failover` says the client gave up on the nodes
    /// before this one in the preference list.
    Request {
        /// The client's operation (retries reuse it).
        op: OpId,
        /// What to do.
        input: KvInput,
        /// The client's membership version.
        version: u32,
        /// Whether this is a failover attempt.
        failover: bool,
    },
    /// Server to client: the result (`stamp` for writes).
    Reply {
        /// The operation.
        op: OpId,
        /// Its output.
        output: KvOutput,
        /// The stamp a write was stored with.
        stamp: Option<Stamp>,
    },
    /// Server to client: the key is mine but I am still receiving its data
    /// (or I am behind the client's version); try me again shortly.
    Retry {
        /// The operation.
        op: OpId,
    },
    /// Server to client: not mine at my version; look again with this one.
    WrongVersion {
        /// The operation.
        op: OpId,
        /// The server's version.
        version: u32,
    },
    /// A node announces a membership change (its own join or leave).
    Announce {
        /// The version the change creates.
        version: u32,
    },
    /// Coordinator to replica: store this value.
    Replicate {
        /// Sender's version.
        version: u32,
        /// The coordinator's write id.
        write: u64,
        /// The key.
        key: String,
        /// The value and stamp.
        entry: Entry,
    },
    /// Replica to coordinator: stored (or already had something newer).
    ReplicateAck {
        /// The write id.
        write: u64,
    },
    /// Ask a node for every key it holds that the sender owns at `version`.
    Fetch {
        /// The version the sender is settling at.
        version: u32,
    },
    /// The answer to a fetch.
    FetchReply {
        /// The version.
        version: u32,
        /// The responder's reply id, echoed by `Stored`.
        reply: u64,
        /// Keys the fetcher owns at `version`, with values.
        entries: Vec<(String, Entry)>,
    },
    /// Unasked: keys the sender no longer owns, pushed to an owner that has
    /// not confirmed them yet (a write that reached an old owner late).
    Handoff {
        /// The sender's version.
        version: u32,
        /// Reply id, echoed by `Stored` like a fetch reply's.
        reply: u64,
        /// The keys with values.
        entries: Vec<(String, Entry)>,
    },
    /// The fetcher has stored a reply: the responder may now drop keys it
    /// no longer owns once every owner has confirmed them.
    Stored {
        /// The version.
        version: u32,
        /// The reply id.
        reply: u64,
    },
    /// The responder is at an older version and cannot answer yet.
    NotReady {
        /// The responder's version.
        version: u32,
    },
    /// The responder is at a newer version: catch up.
    Behind {
        /// The responder's version.
        version: u32,
    },
}

/// Timers of the sharded store.
#[derive(Clone, Debug, Hash)]
pub enum KvTimer {
    /// A server's periodic work: fetch retries, anti-entropy, replication
    /// retries, deleting handed-off keys.
    Sync,
    /// This node announces the membership change that creates `version`.
    Change {
        /// The version.
        version: u32,
    },
    /// A client heard nothing back for its `sends`-th send.
    Timeout {
        /// The operation.
        op: OpId,
        /// Which send.
        sends: u32,
    },
    /// A client waits before sending again after a `Retry`.
    Backoff {
        /// The operation.
        op: OpId,
        /// Which send.
        sends: u32,
    },
}

/// What survives a crash: the membership version always (a replacement
/// machine is configured with the current ring), the data only when the
/// store is durable.
#[derive(Clone, Debug, Default, Hash)]
pub struct KvDurable {
    /// Whether the node has booted before (a restart, not a first boot).
    pub booted: bool,
    /// The membership version the node was at.
    pub version: u32,
    /// The data (only kept with `durable = true`).
    pub store: std::collections::BTreeMap<String, Entry>,
}

/// Helper: the node list as text for notes and views.
pub fn nodes_text(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
    names.join(",")
}
