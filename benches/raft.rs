//! Raft benchmark for `docs/lessons/raft.md`: 5 servers and 3 clients for
//! 60 simulated seconds under the scenario layer's random nemesis (crashes,
//! isolations, partitions, one-way partitions, clock drift), with every
//! invariant checked after every event, then once more without invariants
//! to show their cost, and the time the linearizability checker and the
//! weak checkers (`faultline_checker::weak`: lost writes, session
//! guarantees, stale reads, all three in one pass) take on the histories.
//!
//! ```sh
//! cargo bench --bench raft             # 20 seeds per configuration
//! cargo bench --bench raft -- --quick  # 3 seeds
//! ```
//!
//! Prints simulated seconds per wall second, events per second and wall
//! time per run. Runs are deterministic (same events per seed on every
//! machine); only the wall times vary.

use faultline_algorithms::family::{Family, KvFamily};
use faultline_algorithms::raft::{self, RaftParams, invariants};
use faultline_algorithms::scenario::Scenario;
use faultline_checker::models::KvModel;
use faultline_checker::{Budget, Verdict};
use faultline_sim::{RunStatus, TraceMode};
use std::time::Instant;

const SIMULATED_S: u64 = 60;

/// The benchmark's setting, written as a scenario so the nemesis is the one
/// users get from `[nemesis]`.
const SCENARIO: &str = r#"
name = "Raft benchmark"
algorithm = "raft"
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

struct Totals {
    events: u64,
    ops: u64,
    faults: usize,
    check_s: f64,
    weak_s: f64,
    history: u64,
}

fn measure(scenario: &Scenario, label: &str, with_invariants: bool, seeds: u64) {
    let mut totals = Totals {
        events: 0,
        ops: 0,
        faults: 0,
        check_s: 0.0,
        weak_s: 0.0,
        history: 0,
    };
    let mut wall = 0.0;
    for seed in 0..seeds {
        let config = scenario.world_config(seed, TraceMode::Fingerprint);
        totals.faults += config.faults.len();
        let workloads = KvFamily::parse_workloads(SCENARIO, &config).expect("the [clients] fields");
        let chosen = if with_invariants {
            invariants::boxed()
        } else {
            Vec::new()
        };
        let started = Instant::now();
        let mut world = raft::world(config, RaftParams::default(), chosen)
            .with_workloads(workloads)
            .expect("one workload");
        let status = world.run().clone();
        wall += started.elapsed().as_secs_f64();
        assert!(
            matches!(status, RunStatus::Finished),
            "seed {seed}: {status:?}"
        );
        totals.events += world.events();
        totals.ops += world.stats().ops_ok;
        if with_invariants {
            let started = Instant::now();
            let result =
                faultline_checker::check(&KvModel, world.history(), Budget::steps(20_000_000));
            totals.check_s += started.elapsed().as_secs_f64();
            assert_eq!(result.verdict, Verdict::Linearizable, "seed {seed}");
            totals.history += world.history().len() as u64;
            let started = Instant::now();
            let weak = faultline_checker::weak::check_weak(world.history());
            totals.weak_s += started.elapsed().as_secs_f64();
            assert!(
                weak.durability.lost.is_empty()
                    && weak.sessions.violations.is_empty()
                    && weak.staleness.stale.is_empty(),
                "seed {seed}: {weak:?}"
            );
        }
    }
    let simulated = (SIMULATED_S * seeds) as f64;
    println!(
        "{label:<24} {seeds} runs: {:>6.0}x real time, {:>9.0} events/s, {:>5.1} ms/run, {} events/run, {} faults/run, {} ops ok/run",
        simulated / wall,
        totals.events as f64 / wall,
        wall * 1e3 / seeds as f64,
        totals.events / seeds,
        totals.faults as u64 / seeds,
        totals.ops / seeds,
    );
    if with_invariants {
        println!(
            "{:<24} linearizability check: {:.1} ms/run (every history linearizable)",
            "",
            totals.check_s * 1e3 / seeds as f64
        );
        println!(
            "{:<24} weak checks: {:.1} ms/run on {} operations/run (nothing lost, stale or out of session order)",
            "",
            totals.weak_s * 1e3 / seeds as f64,
            totals.history / seeds
        );
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let seeds = if quick { 3 } else { 20 };
    let scenario = Scenario::parse("benches/raft.rs", SCENARIO).expect("the benchmark scenario");
    println!(
        "raft: 5 servers, 3 clients, {SIMULATED_S} s simulated, random nemesis (crash, isolate, partition, one-way partition, clock drift)"
    );
    measure(&scenario, "invariants every event", true, seeds);
    measure(&scenario, "no invariants", false, seeds);
}
