//! Messages, timers and the chain configuration of chain replication.

use crate::family::kv::{KvInput, KvOutput};
use crate::kvstore::{Command, KvStore};
use faultline_sim::NodeId;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A member of the chain: a server in one of its lives (its boot count),
/// so that a server that restarted is not taken for the one the master
/// placed in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub struct Member {
    /// The server.
    pub node: NodeId,
    /// Its boot count when it became a member.
    pub boots: u64,
}

/// A configuration of the chain, numbered by the master.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Config {
    /// The configuration's number; each change of the chain adds one.
    pub version: u64,
    /// The chain from head to tail.
    pub chain: Vec<Member>,
    /// A server added at the tail that must receive the state of its
    /// predecessor before it serves (van Renesse & Schneider §3).
    pub joining: Option<NodeId>,
    /// The version that added the joining server (0 without one): a
    /// server removed and added again joins anew.
    pub joining_since: u64,
}

impl Config {
    /// The first configuration: every server but the master (n0), in
    /// order, each in its first life.
    pub fn initial(servers: u32) -> Config {
        Config {
            version: 1,
            chain: (1..servers)
                .map(|n| Member {
                    node: NodeId(n),
                    boots: 1,
                })
                .collect(),
            joining: None,
            joining_since: 0,
        }
    }

    /// The position of `node` in the chain.
    pub fn position(&self, node: NodeId) -> Option<usize> {
        self.chain.iter().position(|m| m.node == node)
    }

    /// Whether `node` in its life `boots` is a member.
    pub fn has(&self, node: NodeId, boots: u64) -> bool {
        self.chain.contains(&Member { node, boots })
    }

    /// The head, if the chain is not empty.
    pub fn head(&self) -> Option<NodeId> {
        self.chain.first().map(|m| m.node)
    }

    /// The tail, if the chain is not empty.
    pub fn tail(&self) -> Option<NodeId> {
        self.chain.last().map(|m| m.node)
    }

    /// The server before `node`.
    pub fn pred(&self, node: NodeId) -> Option<NodeId> {
        let i = self.position(node)?;
        i.checked_sub(1).map(|j| self.chain[j].node)
    }

    /// The server after `node`.
    pub fn succ(&self, node: NodeId) -> Option<NodeId> {
        let i = self.position(node)?;
        self.chain.get(i + 1).map(|m| m.node)
    }

    /// The servers of the chain, head first.
    pub fn nodes(&self) -> Vec<NodeId> {
        self.chain.iter().map(|m| m.node).collect()
    }

    /// The chain in words: `v3 [n1 -> n2 -> n4]`.
    pub fn describe(&self) -> String {
        let nodes: Vec<String> = self.chain.iter().map(|m| m.node.to_string()).collect();
        let joining = self
            .joining
            .map_or(String::new(), |j| format!(" ({j} joining)"));
        format!("v{} [{}]{joining}", self.version, nodes.join(" -> "))
    }
}

/// The replicated state a server holds, as a joining server receives it
/// from the tail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct ChainState {
    /// The key-value store, with the clients' sessions.
    pub store: KvStore,
    /// Updates applied: the sequence number of the last one.
    pub applied: u64,
    /// Per key, the sequence number of the last update that wrote it (its
    /// version, for CRAQ).
    pub last_write: BTreeMap<String, u64>,
    /// Per client, the sequence number of its last update (so the head can
    /// tell whether a retried write is committed).
    pub last_update: BTreeMap<NodeId, u64>,
}

/// A server's answer to a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Reply {
    /// Done, with this output.
    Ok(KvOutput),
    /// Not served here: this server's configuration, to try elsewhere.
    Retry {
        /// Its version.
        version: u64,
        /// The chain, head first.
        chain: Vec<NodeId>,
    },
}

/// What chain replication's nodes say to each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ChainMsg {
    /// A server to the master: alive, in this configuration and life, and
    /// asking for a lease from `sent_at` (its monotonic clock). A server
    /// outside the chain asks to join this way.
    Ping {
        /// The configuration it holds.
        version: u64,
        /// Its boot count.
        boots: u64,
        /// Whether it holds the state its membership needs.
        ready: bool,
        /// When it sent this (its monotonic clock, nanoseconds).
        sent_at: i64,
    },
    /// The master to a server: serve until `sent_at + lease` (its clock).
    Lease {
        /// The configuration the lease is for.
        version: u64,
        /// The life it is for.
        boots: u64,
        /// The ping's `sent_at`.
        sent_at: i64,
    },
    /// The master's current configuration.
    NewConfig {
        /// The configuration.
        config: Arc<Config>,
    },
    /// An update, down the chain.
    Update {
        /// The sender's configuration.
        version: u64,
        /// The update's sequence number, given by the head.
        seq: u64,
        /// The command.
        command: Arc<Command>,
    },
    /// Up the chain: every update up to `seq` is at the tail.
    Ack {
        /// The sender's configuration.
        version: u64,
        /// The last committed update.
        seq: u64,
    },
    /// A joining server asks its predecessor for its state.
    NeedState {
        /// The configuration that added it.
        version: u64,
    },
    /// The predecessor's state, to a joining server.
    Transfer {
        /// The configuration.
        version: u64,
        /// The state.
        state: Arc<ChainState>,
    },
    /// CRAQ: which version of `key` is committed?
    VersionQuery {
        /// The asker's query number.
        qid: u64,
        /// The key.
        key: String,
    },
    /// CRAQ: the tail's last update of the key.
    VersionReply {
        /// The query answered.
        qid: u64,
        /// The sequence number of the last update of the key (0: none).
        seq: u64,
    },
    /// A client asks the master for the chain.
    ConfigQuery,
    /// The master's chain, to a client.
    ConfigInfo {
        /// Its version.
        version: u64,
        /// The chain, head first.
        chain: Vec<NodeId>,
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
        reply: Reply,
    },
}

/// Timers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChainTimer {
    /// A server's heartbeat: ping the master, re-send what is
    /// unacknowledged.
    Tick,
    /// The master's check for silent servers.
    MasterTick,
    /// A client's wait ran out.
    ClientRetry {
        /// The operation's sequence number.
        seq: u64,
        /// The attempt that set it.
        attempt: u64,
    },
}
