//! # Ping storm: the kernel's benchmark workload
//!
//! A fixed number of messages bounce between nodes forever: every delivery
//! makes the receiver send one message to a uniformly random other node. It
//! has almost no protocol, which is the point: it measures the cost of the
//! kernel itself (queue, network draws, handler dispatch, fingerprint).
//!
//! Its one rule is checked: **every ping is accounted for**
//! (`pings_accounted`). A ping is created when a node starts (each node
//! puts its share of `initial` in flight at every boot) or when the network
//! duplicates one; it ends only when the network drops it (loss, a cut, a
//! receiver that is down). A delivery ends one ping and its forward starts
//! the next. So the kernel's count of messages still in flight must always
//! be what the starts and duplications made, minus the drops. A node that
//! swallows a ping without forwarding it breaks that count, as the
//! `hop_limit` bug does. Messages a node sent before it crashed are still
//! in flight and still delivered: a crash loses the node's memory, not the
//! network's.

use crate::algorithm::{Algorithm, BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::fixed::Fixed;
use crate::limits::MAX_PINGS;
use faultline_sim::{
    Ctx, Invariant, NoOps, NodeId, NodeKind, NodeView, Process, World, WorldConfig, WorldRef,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PingStormBug {
    /// A node drops a ping that has made [`HOP_LIMIT`] hops instead of
    /// forwarding it: a time-to-live nobody asked for, so the storm dies
    /// out by itself.
    HopLimit,
}

/// The hop count at which the `hop_limit` bug swallows a ping.
pub const HOP_LIMIT: u64 = 100;

impl BugVariant for PingStormBug {
    const ALL: &'static [BugInfo] = &[BugInfo {
        name: "hop_limit",
        doc: "Swallow a ping after 100 hops instead of forwarding it (a time-to-live nobody asked for).",
        caught_by: "pings_accounted",
    }];
}

/// Parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PingStormParams {
    /// Messages put in flight at the start (spread over the nodes).
    pub initial: u32,
    /// A bug variant to plant, or none.
    pub bug: Option<PingStormBug>,
}

impl Settings for PingStormParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "initial",
            "Messages put in flight at the start (and again by a node at each restart), spread over the nodes.",
        ),
        ParamDoc::new("bug", "A bug variant to plant (see below).").default_text("none"),
    ];
    fn validate(&self, doc: &str, _config: &WorldConfig) -> Result<(), ParamError> {
        if self.initial > MAX_PINGS {
            return Err(ParamError::at_key(
                doc,
                "initial",
                format!(
                    "initial is {}, but at most {MAX_PINGS} pings may be put in flight (each is an event waiting in the queue)",
                    self.initial
                ),
            ));
        }
        Ok(())
    }
}

impl Default for PingStormParams {
    fn default() -> Self {
        PingStormParams {
            initial: 5,
            bug: None,
        }
    }
}

impl PingStormParams {
    /// Node `me`'s share of `initial` among `servers` nodes (none when a
    /// node has nobody to send to).
    pub fn share(&self, me: u32, servers: u32) -> u32 {
        if servers < 2 {
            return 0;
        }
        self.initial / servers + u32::from(me < self.initial % servers)
    }
}

/// A ping storm node.
#[derive(Clone, Debug, Hash)]
pub struct PingStorm {
    params: Fixed<PingStormParams>,
    /// Messages received since the last start.
    pub received: u64,
}

impl PingStorm {
    /// A node of a storm with these parameters.
    pub fn new(params: Arc<PingStormParams>) -> Self {
        PingStorm {
            params: params.into(),
            received: 0,
        }
    }

    fn send_random(&mut self, ctx: &mut Ctx<'_, Self>, hops: u64) {
        let n = ctx.server_count() as u64;
        if n < 2 {
            return;
        }
        let mut to = ctx.rng().below(n - 1);
        if to >= ctx.id().0 as u64 {
            to += 1;
        }
        ctx.send(NodeId(to as u32), hops);
    }
}

impl Process for PingStorm {
    type Msg = u64;
    type Timer = ();
    /// How many times this node has started: each start puts its share of
    /// the storm in flight, which the accounting invariant must know.
    type Durable = u64;
    type Family = NoOps;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        *ctx.durable_mut() += 1;
        let mine = self.params.share(ctx.id().0, ctx.server_count() as u32);
        for _ in 0..mine {
            self.send_random(ctx, 0);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, _from: NodeId, hops: u64) {
        self.received += 1;
        if self.params.bug == Some(PingStormBug::HopLimit) && hops + 1 >= HOP_LIMIT {
            ctx.note_with(|| format!("drops a ping after {} hops", hops + 1));
            return;
        }
        self.send_random(ctx, hops + 1);
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Self>, _timer: ()) {}

    fn view(&self) -> NodeView {
        NodeView::new("pinger", format!("{} received", self.received))
            .field("received", self.received)
    }
}

/// Every ping is in flight, or was dropped by the network: the kernel's
/// count of messages in flight equals the pings that node starts and
/// duplications made, minus the drops.
#[derive(Clone)]
struct PingsAccounted {
    params: Arc<PingStormParams>,
}

impl Invariant<PingStorm> for PingsAccounted {
    fn name(&self) -> &str {
        "pings_accounted"
    }
    fn description(&self) -> &str {
        "Every ping is still in flight or was dropped by the network: a delivery is always forwarded, so the messages in flight are the pings put in flight at each node start, plus duplicates, minus drops."
    }
    fn check(&mut self, world: &WorldRef<'_, PingStorm>) -> Result<(), String> {
        let servers = world.servers().count() as u32;
        let created: u64 = world
            .servers()
            .map(|id| *world.durable(id) * u64::from(self.params.share(id.0, servers)))
            .sum();
        let stats = world.stats();
        let in_flight = stats.sent - stats.delivered - stats.dropped();
        let expected = created + stats.duplicated - stats.dropped();
        if in_flight != expected {
            return Err(format!(
                "{in_flight} pings in flight, but starts put {created} in flight, the network duplicated {} and dropped {}: a node swallowed {}",
                stats.duplicated,
                stats.dropped(),
                expected.saturating_sub(in_flight)
            ));
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Invariant<PingStorm>> {
        Box::new(self.clone())
    }
}

/// Builds a ping storm world without its invariant: the benchmarks measure
/// the kernel alone (scenarios check `pings_accounted` as usual).
pub fn world(config: WorldConfig, params: &PingStormParams) -> World<PingStorm> {
    crate::algorithm::world::<PingStormAlgorithm>(config, Arc::new(params.clone()), Vec::new())
        .expect("ping storm configs are valid")
}

/// The registry entry.
pub struct PingStormAlgorithm;

impl Algorithm for PingStormAlgorithm {
    const NAME: &'static str = "pingstorm";
    const SUMMARY: &'static str =
        "Messages bouncing between random nodes: the kernel benchmark workload.";
    type Node = PingStorm;
    type Params = PingStormParams;
    type Bug = PingStormBug;
    type Shared = Arc<PingStormParams>;

    fn prepare(
        params: PingStormParams,
        _doc: &str,
        _config: &WorldConfig,
    ) -> Result<Arc<PingStormParams>, ParamError> {
        Ok(Arc::new(params))
    }

    fn invariants(shared: &Arc<PingStormParams>) -> Vec<Box<dyn Invariant<PingStorm>>> {
        vec![Box::new(PingsAccounted {
            params: shared.clone(),
        })]
    }

    fn node(shared: &Arc<PingStormParams>, _id: NodeId, _kind: NodeKind, _: &u64) -> PingStorm {
        PingStorm::new(shared.clone())
    }
}
