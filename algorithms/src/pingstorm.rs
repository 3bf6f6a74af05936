//! # Ping storm: the kernel's benchmark workload
//!
//! A fixed number of messages bounce between nodes forever: every delivery
//! makes the receiver send one message to a uniformly random other node. It
//! has no protocol to speak of, which is the point: it measures the cost of
//! the kernel itself (queue, network draws, handler dispatch, fingerprint).

use crate::registry::{
    Algorithm, AlgorithmInfo, ParamError, ParamInfo, parse_params, select_invariants,
};
use faultline_sim::{Ctx, Factory, NodeId, NodeView, Process, SimHandle, World, WorldConfig};
use serde::Deserialize;
use std::sync::Arc;

/// Parameters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PingStormParams {
    /// Messages put in flight at the start (spread over the nodes).
    pub initial: u32,
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
    let initial = params.initial;
    let factory: Factory<PingStorm> = Arc::new(move |_, _, _| PingStorm::new(initial));
    World::new(config, factory, invariants()).expect("ping storm configs are valid")
}

/// Ping storm has no protocol, so no invariants of its own.
fn invariants() -> Vec<Box<dyn faultline_sim::Invariant<PingStorm>>> {
    Vec::new()
}

/// The registry entry.
pub struct PingStormAlgorithm;

impl Algorithm for PingStormAlgorithm {
    fn info(&self) -> AlgorithmInfo {
        AlgorithmInfo {
            name: "pingstorm",
            summary: "Messages bouncing between random nodes: the kernel benchmark workload.",
            params: vec![ParamInfo {
                name: "initial",
                default: "5".into(),
                doc: "Messages put in flight at the start, spread over the nodes.",
            }],
            bugs: vec![],
            invariants: vec![],
        }
    }

    fn build(
        &self,
        doc: &str,
        config: WorldConfig,
        invariants: Option<&[String]>,
    ) -> Result<Box<dyn SimHandle>, ParamError> {
        let params: PingStormParams = parse_params(doc)?;
        select_invariants(self::invariants(), invariants)?;
        Ok(Box::new(world(config, &params)))
    }
}
