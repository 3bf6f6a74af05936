//! # Ping storm: the kernel's benchmark workload
//!
//! A fixed number of messages bounce between nodes forever: every delivery
//! makes the receiver send one message to a uniformly random other node. It
//! has no protocol to speak of, which is the point: it measures the cost of
//! the kernel itself (queue, network draws, handler dispatch, fingerprint).

use crate::algorithm::{Algorithm, NoBug, ParamDoc, ParamError, Settings};
use faultline_sim::{
    Ctx, Invariant, NoOps, NodeId, NodeKind, NodeView, Process, World, WorldConfig,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PingStormParams {
    /// Messages put in flight at the start (spread over the nodes).
    pub initial: u32,
}

impl Settings for PingStormParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[ParamDoc::new(
        "initial",
        "Messages put in flight at the start, spread over the nodes.",
    )];
}

impl Default for PingStormParams {
    fn default() -> Self {
        PingStormParams { initial: 5 }
    }
}

/// A ping storm node.
#[derive(Clone, Debug)]
pub struct PingStorm {
    initial: u32,
    /// Messages received so far.
    pub received: u64,
}

impl PingStorm {
    /// A node that starts `initial` messages in all between it and its peers.
    pub fn new(initial: u32) -> Self {
        PingStorm {
            initial,
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
    type Durable = ();
    type Family = NoOps;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.server_count() as u32;
        let me = ctx.id().0;
        let mine = self.initial / n + u32::from(me < self.initial % n);
        for _ in 0..mine {
            self.send_random(ctx, 0);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, _from: NodeId, hops: u64) {
        self.received += 1;
        self.send_random(ctx, hops + 1);
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Self>, _timer: ()) {}

    fn view(&self) -> NodeView {
        NodeView::new("pinger", format!("{} received", self.received))
            .field("received", self.received)
    }
}

/// Builds a ping storm world.
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
    type Bug = NoBug;
    type Shared = Arc<PingStormParams>;

    fn prepare(
        params: PingStormParams,
        _doc: &str,
        _config: &WorldConfig,
    ) -> Result<Arc<PingStormParams>, ParamError> {
        Ok(Arc::new(params))
    }

    /// Ping storm has no protocol, so no invariants of its own.
    fn invariants(_shared: &Arc<PingStormParams>) -> Vec<Box<dyn Invariant<PingStorm>>> {
        Vec::new()
    }

    fn node(shared: &Arc<PingStormParams>, _id: NodeId, _kind: NodeKind, _: &()) -> PingStorm {
        PingStorm::new(shared.initial)
    }
}
