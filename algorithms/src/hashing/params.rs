//! Parameters of the sharded store, with defaults and validation.

use super::placement::PlacementKind;
use super::topology::{Change, Topology};
use crate::algorithm::{BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::limits::{MAX_RING_POINTS, check_timer};
use faultline_sim::NodeId;
use faultline_sim::time::duration_str;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvBug {
    /// Clients route with the ring they booted with and never refresh it,
    /// and servers check ownership against the version a request carries
    /// instead of their own: after a change, writes land on old owners.
    StaleRing,
    /// A node deletes keys it no longer owns as soon as it has sent them to
    /// the new owner, without waiting for the new owner to confirm: a lost
    /// transfer loses the data.
    DeleteBeforeConfirm,
    /// Ring placement keys a node's virtual nodes by its rank among the
    /// members instead of its id: a join or leave renumbers the nodes above
    /// it, whose points all move, and far more keys change owner than the
    /// change needs.
    TokensByRank,
}

impl KvBug {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            KvBug::StaleRing => "stale_ring",
            KvBug::DeleteBeforeConfirm => "delete_before_confirm",
            KvBug::TokensByRank => "tokens_by_rank",
        }
    }
}

impl BugVariant for KvBug {
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "stale_ring",
            doc: "Clients never refresh their ring and servers trust the request's version: writes land on old owners after a change.",
            caught_by: "keys_on_preference_list",
        },
        BugInfo {
            name: "delete_before_confirm",
            doc: "Delete handed-off keys as soon as they are sent, before the new owner confirmed them.",
            caught_by: "acked_writes_survive",
        },
        BugInfo {
            name: "tokens_by_rank",
            doc: "Hash a node's virtual nodes by its rank among the members, not its id: a change renumbers nodes and moves most keys.",
            caught_by: "movement_budget",
        },
    ];
}

/// A scheduled join or leave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipChange {
    /// The server that joins or leaves.
    pub node: u32,
    /// When it announces the change (its local clock).
    #[serde(with = "duration_str")]
    pub at: Duration,
}

/// Parameters of the sharded key-value store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShardedKvParams {
    /// Placement function: `ring`, `rendezvous`, `jump` or `modulo`.
    pub placement: PlacementKind,
    /// Virtual nodes per node (ring only).
    pub vnodes: u32,
    /// Per-server weights (ring only; missing entries are 1).
    pub weights: Vec<f64>,
    /// Replicas per key (R).
    pub replicas: u32,
    /// Replicas that must store a write before it is acknowledged (W).
    pub write_quorum: u32,
    /// Servers `n0..n(initial_nodes-1)` are members from the start; the
    /// others wait on standby until they join. Default: every server.
    pub initial_nodes: Option<u32>,
    /// Scheduled joins.
    pub joins: Vec<MembershipChange>,
    /// Scheduled leaves.
    pub leaves: Vec<MembershipChange>,
    /// Whether data survives a crash (on local disk). Off by default: a
    /// crash is the loss of a machine, which restarts empty.
    pub durable: bool,
    /// Period of a server's background work (fetch retries, anti-entropy,
    /// replication retries, deleting handed-off keys).
    #[serde(with = "duration_str")]
    pub sync_interval: Duration,
    /// A client tries the next node of the preference list after this long
    /// without an answer.
    #[serde(with = "duration_str")]
    pub client_timeout: Duration,
    /// A client waits this long before retrying a node that said `Retry`.
    #[serde(with = "duration_str")]
    pub retry_backoff: Duration,
    /// A client gives up on an operation after this many sends.
    pub max_attempts: u32,
    /// `movement_budget` fails when a membership change moves more than this
    /// fraction of the stored keys to a new primary (off when absent).
    pub movement_budget: Option<f64>,
    /// Whether replicas of a key go to different racks of the scenario's
    /// `[topology]` (as long as there are racks left).
    pub rack_aware: bool,
    /// A bug variant to plant, or none.
    pub bug: Option<KvBug>,
}

impl Default for ShardedKvParams {
    fn default() -> Self {
        ShardedKvParams {
            placement: PlacementKind::Ring,
            vnodes: 64,
            weights: Vec::new(),
            replicas: 3,
            write_quorum: 2,
            initial_nodes: None,
            joins: Vec::new(),
            leaves: Vec::new(),
            durable: false,
            sync_interval: Duration::from_millis(100),
            client_timeout: Duration::from_millis(100),
            retry_backoff: Duration::from_millis(20),
            max_attempts: 20,
            movement_budget: None,
            rack_aware: false,
            bug: None,
        }
    }
}

impl Settings for ShardedKvParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "placement",
            "ring, rendezvous, jump or modulo (the counter-example).",
        ),
        ParamDoc::new("vnodes", "Virtual nodes per server on the ring."),
        ParamDoc::new("weights", "Per-server ring weights (missing ones are 1)."),
        ParamDoc::new(
            "replicas",
            "Replicas per key (R): the preference list's length.",
        ),
        ParamDoc::new(
            "write_quorum",
            "Replicas that must store a write before it is acknowledged (W).",
        ),
        ParamDoc::new(
            "initial_nodes",
            "Servers n0.. that are members from the start; the rest wait to join.",
        )
        .default_text("every server"),
        ParamDoc::new(
            "joins",
            "Scheduled joins: [{ node = 3, at = \"2s\" }, ...].",
        ),
        ParamDoc::new(
            "leaves",
            "Scheduled leaves: [{ node = 1, at = \"5s\" }, ...].",
        ),
        ParamDoc::new(
            "durable",
            "Whether data survives a crash; false: a crash loses the machine's data.",
        ),
        ParamDoc::new(
            "sync_interval",
            "Period of fetch retries, anti-entropy and handoff clean-up.",
        ),
        ParamDoc::new(
            "client_timeout",
            "A client fails over to the next replica after this long.",
        ),
        ParamDoc::new("retry_backoff", "A client waits this long after a Retry."),
        ParamDoc::new(
            "max_attempts",
            "A client gives up an operation after this many sends.",
        ),
        ParamDoc::new(
            "movement_budget",
            "Largest fraction of keys one change may move to a new primary.",
        )
        .default_text("none"),
        ParamDoc::new(
            "rack_aware",
            "Place a key's replicas in different racks of [topology] while racks last.",
        ),
        ParamDoc::new("bug", "A bug variant to plant (see below).").default_text("none"),
    ];
}

impl ShardedKvParams {
    /// Checks the parameters against the number of servers and builds the
    /// membership versions.
    pub fn topology(&self, doc: &str, servers: u32) -> Result<Topology, ParamError> {
        let err = |key: &str, msg: String| ParamError::at_key(doc, key, msg);
        if self.vnodes == 0 {
            return Err(err("vnodes", "vnodes must be at least 1".into()));
        }
        if self.replicas == 0 {
            return Err(err("replicas", "replicas must be at least 1".into()));
        }
        if self.write_quorum == 0 || self.write_quorum > self.replicas {
            return Err(err(
                "write_quorum",
                format!(
                    "write_quorum is {}, but it must be between 1 and replicas ({})",
                    self.write_quorum, self.replicas
                ),
            ));
        }
        if let Some(w) = self.weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
            return Err(err("weights", format!("weight {w} must be above zero")));
        }
        if self.weights.len() > servers as usize {
            return Err(err(
                "weights",
                format!("{} weights for {servers} servers", self.weights.len()),
            ));
        }
        let initial = self.initial_nodes.unwrap_or(servers);
        if initial == 0 || initial > servers {
            return Err(err(
                "initial_nodes",
                format!(
                    "initial_nodes is {initial}, but it must be between 1 and the number of servers ({servers})"
                ),
            ));
        }
        for (key, list) in [
            ("sync_interval", self.sync_interval),
            ("client_timeout", self.client_timeout),
            ("retry_backoff", self.retry_backoff),
        ] {
            if list.is_zero() {
                return Err(err(key, format!("{key} must be above zero")));
            }
            check_timer(key, list).map_err(|e| err(key, e))?;
        }
        if let Some(budget) = self.movement_budget
            && !(0.0..=1.0).contains(&budget)
        {
            return Err(err(
                "movement_budget",
                format!(
                    "movement_budget is {budget}, but it must be a fraction of the keys from 0 to 1"
                ),
            ));
        }
        if self.max_attempts == 0 {
            return Err(err(
                "max_attempts",
                "max_attempts must be at least 1".into(),
            ));
        }
        let mut changes = Vec::new();
        for (key, list, join) in [
            ("joins", &self.joins, true),
            ("leaves", &self.leaves, false),
        ] {
            for c in list {
                if c.node >= servers {
                    return Err(err(
                        key,
                        format!(
                            "node {} does not exist: this scenario has servers n0..n{}",
                            c.node,
                            servers - 1
                        ),
                    ));
                }
                let node = NodeId(c.node);
                changes.push((
                    c.at,
                    if join {
                        Change::Join(node)
                    } else {
                        Change::Leave(node)
                    },
                ));
            }
        }
        if self.bug == Some(KvBug::TokensByRank) && self.placement != PlacementKind::Ring {
            return Err(err(
                "bug",
                "tokens_by_rank is a mistake of ring placement; expected placement = \"ring\""
                    .into(),
            ));
        }
        self.check_ring_points(doc, servers)?;
        let members: Vec<NodeId> = (0..initial).map(NodeId).collect();
        let mut topology = Topology::new(
            self.placement,
            self.vnodes,
            &self.weights,
            self.replicas as usize,
            &members,
            &changes,
        )
        .map_err(|m| {
            err(
                if self.joins.is_empty() {
                    "leaves"
                } else {
                    "joins"
                },
                m,
            )
        })?;
        if self.bug == Some(KvBug::TokensByRank) {
            topology.place_by_rank(self.vnodes, &self.weights);
        }
        if self.rack_aware {
            let racks = racks_in(doc, servers);
            if racks.iter().all(Option::is_none) {
                return Err(err(
                    "rack_aware",
                    "rack_aware = true spreads replicas over racks, but the scenario's [topology] declares no racks; \
                     expected [[topology.regions]] with racks = [{ name = ..., nodes = [...] }]"
                        .into(),
                ));
            }
            topology.racks = racks;
        }
        Ok(topology)
    }
}

impl ShardedKvParams {
    /// The rings must fit [`MAX_RING_POINTS`]: every server's points
    /// (`round(vnodes × weight)`, at least 1) once per membership version.
    fn check_ring_points(&self, doc: &str, servers: u32) -> Result<(), ParamError> {
        if self.placement != PlacementKind::Ring {
            return Ok(());
        }
        let per_ring = (0..servers as usize).fold(0u64, |sum, i| {
            let weight = self.weights.get(i).copied().unwrap_or(1.0);
            // Saturating: a float cast is clamped to the u64 range.
            let points = ((self.vnodes as f64 * weight).round() as u64).max(1);
            sum.saturating_add(points)
        });
        let versions = 1 + self.joins.len() as u64 + self.leaves.len() as u64;
        let total = per_ring.saturating_mul(versions);
        if total <= MAX_RING_POINTS {
            return Ok(());
        }
        let key = if self.weights.iter().any(|w| *w > 1.0) {
            "weights"
        } else {
            "vnodes"
        };
        let versions_text = match versions {
            1 => "1 membership version".to_string(),
            v => format!("{v} membership versions"),
        };
        // Counts saturate at u64::MAX (weights like 1e308).
        let show = |n: u64| match n {
            u64::MAX => "over 1.8e19".to_string(),
            n => n.to_string(),
        };
        let (total, per_ring) = (show(total), show(per_ring));
        Err(ParamError::at_key(
            doc,
            key,
            format!(
                "the rings would hold {total} virtual-node points ({per_ring} per ring for {servers} servers at vnodes = {}, \
                 in {versions_text}); expected at most {MAX_RING_POINTS}: lower vnodes or weights",
                self.vnodes
            ),
        ))
    }
}

/// Each server's rack in the scenario's `[topology]`, as an index in
/// declaration order (`None`: not in a rack). The scenario parser has
/// checked the table already; what does not read as a rack is skipped.
fn racks_in(doc: &str, servers: u32) -> Vec<Option<u32>> {
    let mut out = vec![None; servers as usize];
    let Ok(table) = doc.parse::<toml::Table>() else {
        return out;
    };
    let regions = table
        .get("topology")
        .and_then(|t| t.get("regions"))
        .and_then(|r| r.as_array());
    let racks = regions
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("racks").and_then(|k| k.as_array()))
        .flatten();
    for (i, rack) in racks.enumerate() {
        let nodes = rack.get("nodes").and_then(|n| n.as_array());
        for node in nodes.into_iter().flatten() {
            let id = match node {
                toml::Value::Integer(n) => u32::try_from(*n).ok(),
                toml::Value::String(s) => s.strip_prefix('n').unwrap_or(s).parse().ok(),
                _ => None,
            };
            if let Some(slot) = id.and_then(|id| out.get_mut(id as usize)) {
                *slot = Some(i as u32);
            }
        }
    }
    out
}

/// What every node of a run shares: parameters and membership versions.
#[derive(Debug)]
pub struct Shared {
    /// Parameters.
    pub params: ShardedKvParams,
    /// Membership versions.
    pub topology: Topology,
}

impl Shared {
    /// Whether a bug is planted.
    pub fn bug(&self, bug: KvBug) -> bool {
        self.params.bug == Some(bug)
    }
}
