//! The client workload's pacing: closed-loop clients that issue one
//! operation at a time, each client drawing from its own derived stream.
//!
//! A client has at most one operation outstanding (as in Jepsen), so each
//! client's history is sequential. After a completion it thinks for an
//! exponential time with mean `think_time`, then issues the next operation.
//! *What* it asks for is its operation family's business
//! ([`OpFamily::next_input`]); this module owns only the when and how many.

use crate::family::OpFamily;
use crate::process::NodeId;
use crate::rng::SimRng;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How clients pace themselves, whatever they ask for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadConfig {
    /// Mean think time between a completion and the next invocation.
    #[serde(with = "crate::time::duration_str")]
    pub think_time: Duration,
    /// Stop issuing after this many operations per client (`None`: never).
    pub max_ops_per_client: Option<u64>,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            think_time: Duration::from_millis(20),
            max_ops_per_client: None,
        }
    }
}

/// Where a client group sends its operations: one server, or whichever
/// live server holds a role the algorithm publishes when the operation is
/// invoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pin {
    /// Always this server.
    Node(NodeId),
    /// The live server holding this role (an observable of kind
    /// [`ObservableKind::Role`](crate::ObservableKind::Role)) at the moment
    /// the operation is invoked; unpinned when none holds it.
    Role(String),
}

impl std::fmt::Display for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pin::Node(n) => write!(f, "{n}"),
            Pin::Role(r) => write!(f, "the {r}"),
        }
    }
}

/// One group of clients: how many, how they pace themselves, and where
/// their operations go. Groups take client ids in order: the first group's
/// clients come right after the servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientGroup {
    /// Number of clients in the group.
    pub count: u32,
    /// The group's pacing.
    pub pacing: WorkloadConfig,
    /// Where its operations go (`None`: wherever the algorithm's client
    /// sends them).
    pub pin: Option<Pin>,
}

/// Per-client generator state (part of the world, so snapshots keep it).
#[derive(Clone, Debug)]
pub(crate) struct ClientLoad<F: OpFamily> {
    pub rng: SimRng,
    pub issued: u64,
    pub outstanding: Option<crate::OpId>,
    /// The client's group (an index into [`WorldConfig`]'s groups).
    pub group: u32,
    /// What the family's generator remembers for this client.
    pub memory: F::Memory,
}

// By hand: a derive would ask the family marker type itself to be `Hash`.
impl<F: OpFamily> std::hash::Hash for ClientLoad<F> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.rng.hash(state);
        self.issued.hash(state);
        self.outstanding.hash(state);
        self.group.hash(state);
        self.memory.hash(state);
    }
}

impl<F: OpFamily> ClientLoad<F> {
    pub fn new(seed: u64, client: u32, group: u32) -> Self {
        ClientLoad {
            rng: SimRng::stream(seed, "workload", client as u64),
            issued: 0,
            outstanding: None,
            group,
            memory: F::Memory::default(),
        }
    }

    /// Think time before the next operation.
    pub fn think(&mut self, cfg: &WorkloadConfig) -> Duration {
        Duration::from_nanos(self.rng.exponential(cfg.think_time.as_nanos() as f64) as u64)
    }

    /// Whether this client may issue another operation.
    pub fn may_issue(&self, cfg: &WorkloadConfig) -> bool {
        self.outstanding.is_none() && cfg.max_ops_per_client.is_none_or(|max| self.issued < max)
    }

    /// The next operation of `client`.
    pub fn next_input(&mut self, workload: &F::Workload, client: NodeId) -> F::Input {
        self.issued += 1;
        F::next_input(
            workload,
            &mut self.memory,
            &mut self.rng,
            client,
            self.issued,
        )
    }
}
