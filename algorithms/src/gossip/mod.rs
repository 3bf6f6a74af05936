//! # Gossip broadcast: the example algorithm
//!
//! Clients add values to a set held by every server; any server accepts an
//! add, acknowledges it, and spreads it to the others by gossip. Each server
//! periodically pushes its whole set to one random peer (push anti-entropy,
//! as in Demers et al., "Epidemic Algorithms for Replicated Database
//! Maintenance", 1987), so every value eventually reaches every server that
//! stays connected long enough, despite message loss and partitions.
//!
//! Two promises are checked:
//!
//! - **Acknowledged values survive** (`acked_values_survive`): once a client
//!   has been told "added", the value is in some server's durable store or in
//!   the memory of a server that is up. A server therefore writes to durable
//!   storage *before* it acknowledges.
//! - **Convergence** (`convergence`, at the end of a run): every server that
//!   is up holds the same set, and it contains every acknowledged value —
//!   provided the run ends with a quiet period (faults healed, nodes up).
//!
//! Bug variants plant the two classic mistakes: acknowledging from memory
//! without persisting (`volatile_store`), and flooding a new value once with
//! no anti-entropy to repair losses (`gossip_once`).
//!
//! This module is also the template for new algorithms: parameters with
//! defaults and validation in [`GossipParams`], the process in [`node`], the
//! invariants in [`invariants`], and a registry entry below.

pub mod invariants;
pub mod node;

use crate::algorithm::{Algorithm, BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::limits::check_timer;
use faultline_sim::time::duration_str;
use faultline_sim::{Invariant, NodeId, NodeKind, World, WorldConfig};
pub use node::{GossipMsg, GossipNode, GossipTimer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GossipBug {
    /// Servers keep values in memory only and acknowledge before anything is
    /// durable: a crash right after an ack loses the value.
    VolatileStore,
    /// Servers forward a new value once to every peer and never run
    /// anti-entropy: one lost message leaves a server without the value.
    GossipOnce,
}

impl BugVariant for GossipBug {
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "volatile_store",
            doc: "Acknowledge adds from memory without persisting them first.",
            caught_by: "acked_values_survive",
        },
        BugInfo {
            name: "gossip_once",
            doc: "Forward a new value once, with no anti-entropy to repair lost messages.",
            caught_by: "convergence",
        },
    ];
}

/// Parameters of gossip broadcast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GossipParams {
    /// How often a server pushes its set to a random peer.
    #[serde(with = "duration_str")]
    pub gossip_interval: Duration,
    /// How many random peers each push goes to.
    pub fanout: u32,
    /// How long a client waits for an acknowledgement before retrying at
    /// another server.
    #[serde(with = "duration_str")]
    pub client_timeout: Duration,
    /// How long before the end of a run a value must have been acknowledged
    /// for the convergence check to expect it everywhere (default: 20 gossip
    /// intervals, after which a value is missing somewhere with negligible
    /// probability).
    #[serde(
        default,
        with = "faultline_sim::time::option_duration_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub settle_time: Option<Duration>,
    /// A bug variant to plant, or none.
    pub bug: Option<GossipBug>,
}

impl Default for GossipParams {
    fn default() -> Self {
        GossipParams {
            gossip_interval: Duration::from_millis(50),
            fanout: 1,
            client_timeout: Duration::from_millis(200),
            settle_time: None,
            bug: None,
        }
    }
}

impl GossipParams {
    /// The settle time in force.
    pub fn settle_time(&self) -> Duration {
        self.settle_time.unwrap_or(self.gossip_interval * 20)
    }
}

impl Settings for GossipParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "gossip_interval",
            "How often a server pushes its whole set to random peers.",
        ),
        ParamDoc::new("fanout", "Peers per push."),
        ParamDoc::new(
            "client_timeout",
            "A client retries at another server after this long without an ack.",
        ),
        ParamDoc::new(
            "settle_time",
            "Values acknowledged this long before the end must have reached every server.",
        )
        .default_text("20 x gossip_interval"),
        ParamDoc::new("bug", "A bug variant to plant (see below).").default_text("none"),
    ];

    fn validate(&self, doc: &str, config: &WorldConfig) -> Result<(), ParamError> {
        let servers = config.servers;
        if self.gossip_interval.is_zero() {
            return Err(ParamError::at_key(
                doc,
                "gossip_interval",
                "gossip_interval must be above zero",
            ));
        }
        if self.client_timeout.is_zero() {
            return Err(ParamError::at_key(
                doc,
                "client_timeout",
                "client_timeout must be above zero",
            ));
        }
        for (key, value) in [
            ("gossip_interval", self.gossip_interval),
            ("client_timeout", self.client_timeout),
        ] {
            check_timer(key, value).map_err(|e| ParamError::at_key(doc, key, e))?;
        }
        if self.fanout == 0 || self.fanout >= servers.max(2) {
            return Err(ParamError::at_key(
                doc,
                "fanout",
                format!(
                    "fanout is {}, but it must be between 1 and the number of other servers ({})",
                    self.fanout,
                    servers.saturating_sub(1)
                ),
            ));
        }
        Ok(())
    }
}

/// Builds a gossip world with the chosen invariants.
pub fn world(
    config: WorldConfig,
    params: GossipParams,
    invariants: Vec<Box<dyn Invariant<GossipNode>>>,
) -> World<GossipNode> {
    crate::algorithm::world::<Gossip>(config, Arc::new(params), invariants)
        .expect("the scenario layer validated the config")
}

/// The registry entry.
pub struct Gossip;

impl Algorithm for Gossip {
    const NAME: &'static str = "gossip";
    const SUMMARY: &'static str =
        "Gossip broadcast of a grow-only set with push anti-entropy (the example algorithm).";
    type Node = GossipNode;
    type Params = GossipParams;
    type Bug = GossipBug;
    type Shared = Arc<GossipParams>;

    fn prepare(
        params: GossipParams,
        _doc: &str,
        _config: &WorldConfig,
    ) -> Result<Arc<GossipParams>, ParamError> {
        Ok(Arc::new(params))
    }

    fn invariants(params: &Arc<GossipParams>) -> Vec<Box<dyn Invariant<GossipNode>>> {
        invariants::boxed(params.settle_time())
    }

    fn node(
        params: &Arc<GossipParams>,
        id: NodeId,
        kind: NodeKind,
        durable: &BTreeSet<String>,
    ) -> GossipNode {
        match kind {
            NodeKind::Server => GossipNode::server(params.clone(), durable),
            NodeKind::Client => GossipNode::client(params.clone(), id),
        }
    }
}

#[cfg(test)]
mod tests;
