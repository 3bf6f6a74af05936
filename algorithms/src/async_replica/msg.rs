//! Messages, timers and log entries of asynchronous read replicas.

use crate::family::kv::{KvInput, KvOutput};
use crate::kvstore::Command;
use faultline_sim::NodeId;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// A position in a log: the index of an entry and the epoch that wrote it
/// (index 0, epoch 0: the empty log). Two logs that hold an entry of the
/// same epoch at the same index agree up to it (the protocol keeps this:
/// `log_matching`), so a position names a whole prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Pos {
    /// The epoch of the entry.
    pub epoch: u64,
    /// Its index, from 1.
    pub index: u64,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@e{}", self.index, self.epoch)
    }
}

/// A log entry: a client's write, the epoch of the primary that took it,
/// and a running hash of the log up to it, computed by each server over
/// its own log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Entry {
    /// The epoch of the primary that appended it.
    pub epoch: u64,
    /// The write.
    pub command: Arc<Command>,
    /// Hash of the previous entry's `chain`, this epoch and command.
    pub chain: u64,
}

/// A server's answer to a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Reply {
    /// Done: the output, and the log position it reflects (a write: its
    /// entry; a read: the server's last entry).
    Ok {
        /// The output.
        output: KvOutput,
        /// The position, the client's next session token.
        pos: Pos,
    },
    /// Writes go to the primary; this is who the server believes it is.
    NotPrimary {
        /// The primary, if known.
        primary: Option<NodeId>,
    },
    /// The server has not applied the client's session token: read at the
    /// primary.
    Behind {
        /// The primary, if known.
        primary: Option<NodeId>,
    },
    /// The primary of a later epoch does not hold the token's entry: it was
    /// lost in a failover and the session cannot be honoured. The read
    /// fails; the client continues from `pos`.
    SessionLost {
        /// The primary's last position.
        pos: Pos,
    },
}

/// What the nodes say to each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AsyncMsg {
    /// A data server to the monitor: its epoch and last log position.
    Status {
        /// The epoch it holds.
        epoch: u64,
        /// Its last log position.
        last: Pos,
    },
    /// The monitor's epoch and primary (`None` while it fences).
    Info {
        /// The epoch.
        epoch: u64,
        /// Its primary, once chosen.
        primary: Option<NodeId>,
    },
    /// The monitor to the data servers: stop taking entries from older
    /// epochs and report your log.
    Fence {
        /// The new epoch.
        epoch: u64,
    },
    /// A data server's answer to a fence: its last log position, final for
    /// the older epochs.
    Fenced {
        /// The fence's epoch.
        epoch: u64,
        /// The server's last position.
        last: Pos,
    },
    /// The primary ships entries following `prev`; its log ends at `end`.
    Ship {
        /// The primary's epoch.
        epoch: u64,
        /// The entry just before the shipped ones.
        prev: Pos,
        /// The entries.
        entries: Vec<Entry>,
        /// The primary's log length.
        end: u64,
    },
    /// A replica holds the primary's log up to `matched`.
    Ack {
        /// The epoch it acknowledges in.
        epoch: u64,
        /// The highest index known to match the primary's log.
        matched: u64,
    },
    /// A replica's log does not hold the shipment's `prev`: send the log.
    Mismatch {
        /// The epoch.
        epoch: u64,
    },
    /// The primary's whole log, to a replica whose log diverged.
    Sync {
        /// The primary's epoch.
        epoch: u64,
        /// The log.
        log: Arc<Vec<Entry>>,
    },
    /// A server of a later epoch to a primary of an older one.
    StaleEpoch {
        /// The later epoch.
        epoch: u64,
        /// Its primary, if known.
        primary: Option<NodeId>,
    },
    /// Client to server.
    Request {
        /// The client's sequence number.
        seq: u64,
        /// The operation.
        input: KvInput,
        /// The session token (with `sessions = true`).
        token: Option<Pos>,
        /// A read meant for a replica: any data server may answer it. A
        /// read meant for the primary is redirected by the others.
        replica_read: bool,
    },
    /// Server to client.
    Response {
        /// The sequence number answered.
        seq: u64,
        /// The answer.
        reply: Reply,
    },
}

/// Timers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AsyncTimer {
    /// A data server reports to the monitor.
    Heartbeat,
    /// The primary ships its log.
    Ship,
    /// The monitor checks the primary and any fence in progress.
    Monitor,
    /// A client's wait ran out.
    ClientRetry {
        /// The operation's sequence number.
        seq: u64,
        /// The attempt that set it.
        attempt: u64,
    },
}
