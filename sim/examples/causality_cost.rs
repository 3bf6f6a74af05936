//! How long the causal graph of a long trace takes to build and to ask.
//! `cargo run --release -p faultline-sim --example causality_cost`
//!
//! Five nodes, each pinging a random peer every 10ms, run until the trace
//! holds at least 100,000 records; then the graph is built, every step's
//! vector clock computed, and the past, future and "why" of the last
//! delivery found, each timed.

use faultline_sim::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Hash)]
struct Pinger;

impl Process for Pinger {
    type Msg = ();
    type Timer = ();
    type Durable = ();
    type Family = NoOps;
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(Duration::from_millis(10), ());
    }
    fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, _from: NodeId, _msg: ()) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _timer: ()) {
        let peers: Vec<NodeId> = ctx.peers().collect();
        let to = *ctx.rng().choose(&peers);
        ctx.send(to, ());
        ctx.set_timer(Duration::from_millis(10), ());
    }
    fn view(&self) -> NodeView {
        NodeView::new("pinger", String::new())
    }
}

fn main() {
    let config = WorldConfig {
        seed: 1,
        servers: 5,
        end: SimTime::from_duration(Duration::from_secs(100)),
        trace: TraceMode::Full,
        ..WorldConfig::default()
    };
    let factory: Factory<Pinger> = Arc::new(|_, _, _| Pinger);
    let mut world = World::new(config, factory, vec![]).unwrap();
    while world.records().len() < 100_000 && world.step() {}
    let records = world.records();
    let started = Instant::now();
    let graph = CausalGraph::build(records, 5);
    let build = started.elapsed();
    let started = Instant::now();
    let clocks = VectorClocks::new(&graph);
    let all_clocks = started.elapsed();
    let last = graph.step_of(records.len() - 1).unwrap();
    let started = Instant::now();
    let past = graph.past(last);
    let future = graph.future(StepId(0));
    let searches = started.elapsed();
    let started = Instant::now();
    let why = graph.why(last);
    let why_time = started.elapsed();
    println!(
        "{} records, {} steps, {} edges",
        records.len(),
        graph.len(),
        graph.graph().edge_count()
    );
    println!("build: {build:?}");
    println!("every vector clock: {all_clocks:?}");
    println!(
        "past of the last step ({} steps) and future of the first ({} steps): {searches:?}",
        past.len(),
        future.len()
    );
    println!(
        "why of the last step ({} chain steps): {why_time:?}",
        why.chain.len()
    );
    assert_eq!(clocks.get(last), graph.clock(last).as_slice());
}
