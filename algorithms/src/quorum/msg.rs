//! Messages and timers of quorum replication.

use super::version::{Version, Versions};
use crate::family::kv::{KvInput, KvOutput};
use faultline_sim::NodeId;
use serde::Serialize;

/// A coordinator's answer to a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Reply {
    /// Done, with this output.
    Ok(KvOutput),
    /// Refused, with no effect (a `cas`: a leaderless store cannot compare
    /// and set atomically).
    Fail,
    /// The coordinator did not gather its quorum in time; a write may still
    /// have reached some replicas.
    Unavailable,
}

/// Key and versions, as hints and anti-entropy carry them.
pub type Entries = Vec<(String, Versions)>;

/// What the nodes of quorum replication say to each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum QuorumMsg {
    /// Client to coordinator.
    ClientRequest {
        /// The client's sequence number.
        seq: u64,
        /// The operation.
        input: KvInput,
    },
    /// Coordinator to client.
    ClientReply {
        /// The sequence number answered.
        seq: u64,
        /// The answer.
        reply: Reply,
    },
    /// Coordinator to replica: your versions of `key`.
    Read {
        /// The coordinator's operation number.
        op: u64,
        /// The key.
        key: String,
    },
    /// Replica to coordinator: its versions (hints for the key included).
    ReadReply {
        /// The operation answered.
        op: u64,
        /// The versions.
        versions: Versions,
    },
    /// Coordinator to replica: store this version (for `hint`'s owner, when
    /// the replica stands in for it).
    Write {
        /// The coordinator's operation number.
        op: u64,
        /// The key.
        key: String,
        /// The new version.
        version: Version,
        /// The owner this replica stands in for (sloppy quorum).
        hint: Option<NodeId>,
    },
    /// Replica to coordinator: the write is on its disk.
    WriteAck {
        /// The operation answered.
        op: u64,
    },
    /// Coordinator to a replica a read found behind: merge these.
    Repair {
        /// The key.
        key: String,
        /// The newest versions the read saw.
        versions: Versions,
    },
    /// Hint holder to owner: writes held for you.
    Handoff {
        /// The hinted keys and versions.
        entries: Entries,
    },
    /// Owner to hint holder: these are on my disk.
    HandoffAck {
        /// What was handed off.
        entries: Entries,
    },
    /// Anti-entropy: my per-key digests of the keys we both replicate.
    SyncDigest {
        /// Key and digest of its versions.
        digests: Vec<(String, u64)>,
    },
    /// Anti-entropy: my versions where we differ, and the keys I want yours
    /// of.
    SyncReply {
        /// My versions of the keys that differ or you lack.
        entries: Entries,
        /// Keys whose versions I want.
        want: Vec<String>,
    },
    /// Anti-entropy: the versions asked for.
    SyncPush {
        /// The versions.
        entries: Entries,
    },
}

/// Timers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QuorumTimer {
    /// Compare stores with a random replica.
    AntiEntropy,
    /// Offer held hints to their owners.
    Handoff,
    /// Replicas of a coordinated operation that have not answered are
    /// counted silent.
    ReplicaCheck {
        /// The operation.
        op: u64,
        /// The phase it was set in (a read phase's check is stale in the
        /// write phase).
        round: u64,
    },
    /// The coordinator gives up on an operation.
    CoordinatorTimeout {
        /// The operation.
        op: u64,
    },
    /// A client's wait ran out.
    ClientRetry {
        /// The operation's sequence number.
        seq: u64,
        /// The attempt that set it.
        attempt: u64,
    },
}
