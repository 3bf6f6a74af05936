//! Messages and timers of primary-backup replication.

use crate::family::kv::KvInput;
use crate::kvclient::ClientReply;
use crate::kvstore::{Command, KvStore};
use faultline_sim::NodeId;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// A command in a forwarded batch, shared between the primary's batch and
/// the messages that carry it.
pub type Cmd = Arc<Command>;

/// A view: a numbered choice of primary and backup, made by the view
/// service. View 0 is "no view yet".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct View {
    /// The view number; the view service counts up from 1.
    pub num: u64,
    /// The primary (none only in view 0).
    pub primary: Option<NodeId>,
    /// The backup, if the view has one.
    pub backup: Option<NodeId>,
}

impl View {
    /// Whether `id` is this view's primary.
    pub fn is_primary(&self, id: NodeId) -> bool {
        self.primary == Some(id)
    }

    /// Whether `id` is this view's backup.
    pub fn is_backup(&self, id: NodeId) -> bool {
        self.backup == Some(id)
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |n: Option<NodeId>| n.map_or("-".to_string(), |n| n.to_string());
        write!(
            f,
            "view {} (primary {}, backup {})",
            self.num,
            name(self.primary),
            name(self.backup)
        )
    }
}

/// What primary-backup nodes say to each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum PbMsg {
    /// A replica to the view service: it is alive, and it has acknowledged
    /// view `acked` (a primary acknowledges its view once its backup holds
    /// its state).
    Ping {
        /// The highest view this replica acknowledges.
        acked: u64,
    },
    /// The view service's answer to a ping: its current view.
    ViewIs {
        /// The view.
        view: View,
    },
    /// The primary forwards a batch of client commands to its backup. The
    /// backup applies it when its store is at `version`.
    Forward {
        /// The primary's view.
        view: View,
        /// The store version the batch applies to (batches applied so far).
        version: u64,
        /// The commands, in the order the primary applied them.
        ops: Vec<Cmd>,
    },
    /// The backup applied (or had applied) the batch at `version`.
    ForwardOk {
        /// The view number.
        view: u64,
        /// The batch's version.
        version: u64,
    },
    /// The primary's whole state, for a backup that does not have it yet.
    Transfer {
        /// The primary's view.
        view: View,
        /// The store's version.
        version: u64,
        /// The store, client sessions (the dedup table) included.
        store: Arc<KvStore>,
    },
    /// The backup installed the state at `version`.
    TransferOk {
        /// The view number.
        view: u64,
        /// The version installed.
        version: u64,
    },
    /// The backup of `view` does not hold the primary's state: send it.
    NeedState {
        /// The view number.
        view: u64,
    },
    /// The receiver knows a newer view than the sender's message carried:
    /// the sender is not (or no longer) the primary it believes it is.
    Reject {
        /// The newer view.
        view: View,
    },
    /// Client to server.
    ClientRequest {
        /// The client's sequence number.
        seq: u64,
        /// The operation.
        input: KvInput,
    },
    /// Server to client.
    ClientReply {
        /// The sequence number answered.
        seq: u64,
        /// The answer.
        reply: ClientReply,
    },
}

/// Timers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PbTimer {
    /// A replica pings the view service.
    Ping,
    /// The view service looks for dead servers.
    Tick,
    /// A primary resends what its backup has not acknowledged.
    Resend,
    /// A client's wait ran out.
    ClientRetry {
        /// The operation's sequence number.
        seq: u64,
        /// The attempt that set it.
        attempt: u64,
    },
}
