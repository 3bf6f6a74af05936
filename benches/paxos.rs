//! Multi-Paxos benchmark for `docs/lessons/paxos.md`, beside Raft on the
//! same workload in the same run: 5 servers and 3 clients for 60 simulated
//! seconds under the scenario layer's random nemesis (crashes, isolations,
//! partitions, one-way partitions, clock drift), every invariant checked
//! after every event. Then the seeds per second of a sweep of
//! `scenarios/multi-paxos/nemesis.toml` on every core, as `faultline check`
//! runs it (each seed judged for linearizability and liveness too).
//!
//! ```sh
//! cargo bench --bench paxos             # 10 seeds per algorithm, a 200-seed sweep
//! cargo bench --bench paxos -- --quick  # 2 seeds, a 40-seed sweep
//! ```
//!
//! Runs are deterministic (same events per seed on every machine); only
//! the wall times vary.

use faultline_algorithms::scenario::Scenario;
use faultline_sim::{RunStatus, TraceMode};
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

const SIMULATED_S: u64 = 60;

/// The shared setting, written as a scenario with the algorithm left open.
const SCENARIO: &str = r#"
name = "Paxos benchmark"
algorithm = "ALGORITHM"
servers = 5
duration = "60s"

[clients]
count = 3
rate = "50/s"
keys = 3
mix = { get = 3, put = 1, append = 2, cas = 1 }

[nemesis]
kinds = ["crash", "isolate", "partition", "partition_one_way", "clock_drift"]
start = "500ms"
stop = "55s"
interval = "1s"
min_duration = "50ms"
max_duration = "1.5s"
max_drift_ppm = 20000
"#;

fn measure(algorithm: &str, seeds: u64) {
    let text = SCENARIO.replace("ALGORITHM", algorithm);
    let scenario = Scenario::parse("benches/paxos.rs", &text).expect("the benchmark scenario");
    let (mut events, mut ops, mut sent, mut wall) = (0u64, 0u64, 0u64, 0.0);
    for seed in 0..seeds {
        let mut config = scenario.world_config(seed, TraceMode::Fingerprint);
        config.snapshot_every = 0;
        let mut world = scenario.build_with(config).expect("builds");
        let started = Instant::now();
        let status = world.run().clone();
        wall += started.elapsed().as_secs_f64();
        assert!(
            matches!(status, RunStatus::Finished),
            "{algorithm} seed {seed}: {status:?}"
        );
        events += world.events();
        ops += world.stats().ops_ok;
        sent += world.stats().sent;
    }
    println!(
        "{algorithm:<12} {seeds} runs: {:>6.0}x real time, {:>9.0} events/s, {:>5.1} ms/run, {} events/run, {} ops ok/run, {:.1} messages/op",
        (SIMULATED_S * seeds) as f64 / wall,
        events as f64 / wall,
        wall * 1e3 / seeds as f64,
        events / seeds,
        ops / seeds,
        sent as f64 / ops.max(1) as f64,
    );
}

fn sweep(seeds: u64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/multi-paxos/nemesis.toml");
    let scenario = Scenario::load(&path).expect("the nemesis scenario");
    let started = Instant::now();
    let passed = (0..seeds)
        .into_par_iter()
        .filter(|&seed| {
            scenario
                .run_seed(seed)
                .expect("runs")
                .matches(&scenario.expect)
        })
        .count();
    let wall = started.elapsed().as_secs_f64();
    println!(
        "sweep of scenarios/multi-paxos/nemesis.toml: {seeds} seeds in {wall:.2}s, {:.0} seeds/s on {} threads ({passed} as expected)",
        seeds as f64 / wall,
        rayon::current_num_threads()
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let seeds = if quick { 2 } else { 10 };
    println!(
        "5 servers, 3 clients, {SIMULATED_S} s simulated, random nemesis (crash, isolate, partition, one-way partition, clock drift), every invariant after every event"
    );
    measure("multi-paxos", seeds);
    measure("raft", seeds);
    sweep(if quick { 40 } else { 200 });
}
