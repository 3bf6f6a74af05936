//! Replication benchmark for `docs/lessons/replication.md`: every
//! replicated key-value store of the project on one setting — 5 servers, 3
//! clients, 60 simulated seconds under a random nemesis (crashes,
//! isolations, partitions, one-way partitions, clock offsets and drift),
//! every invariant checked after every event — then the cost of judging
//! each run's history: linearizability, and the three weak checks
//! (acknowledged writes lost, session guarantees, stale reads).
//!
//! ```sh
//! cargo bench --bench replication             # 5 seeds per system
//! cargo bench --bench replication -- --quick  # 1 seed
//! ```
//!
//! Runs are deterministic (same events and histories per seed on every
//! machine); only the wall times vary.

use faultline_algorithms::scenario::Scenario;
use faultline_algorithms::scenario::outcome::kv_history;
use faultline_checker::weak::{lost_writes, session_violations, stale_reads};
use faultline_checker::{Budget, Verdict};
use faultline_sim::{RunStatus, TraceMode};
use std::time::Instant;

const SIMULATED_S: u64 = 60;

/// The shared setting, written as a scenario with the system left open.
const SCENARIO: &str = r#"
name = "Replication benchmark"
algorithm = "ALGORITHM"
servers = 5
duration = "60s"

[clients]
count = 3
rate = "50/s"
keys = 3
mix = { get = 3, put = 1, append = 2 }

[nemesis]
kinds = ["crash", "isolate", "partition", "partition_one_way", "clock_offset", "clock_drift"]
start = "500ms"
stop = "55s"
interval = "1s"
min_duration = "50ms"
max_duration = "1.5s"
max_drift_ppm = 20000
"#;

/// The systems: a label, the registry name and `[params]` lines.
const SYSTEMS: &[(&str, &str, &str)] = &[
    ("raft", "raft", ""),
    ("multi-paxos", "multi-paxos", ""),
    ("primary-backup", "primary-backup", ""),
    ("chain", "chain", ""),
    ("chain (craq)", "chain", "reads = \"craq\""),
    ("async-replica", "async-replica", ""),
    ("async (semi-sync)", "async-replica", "sync_replicas = 1"),
    ("quorum (lww)", "quorum", "conflicts = \"lww\""),
    ("quorum (vv)", "quorum", "conflicts = \"vv\""),
];

/// Wall seconds spent, summed over seeds.
#[derive(Default)]
struct Totals {
    run: f64,
    linearizability: f64,
    durability: f64,
    sessions: f64,
    stale: f64,
    events: u64,
    ops: usize,
    undecided: usize,
}

fn measure(label: &str, algorithm: &str, params: &str, seeds: u64) {
    let mut text = SCENARIO.replace("ALGORITHM", algorithm);
    if !params.is_empty() {
        text.push_str(&format!("\n[params]\n{params}\n"));
    }
    let scenario =
        Scenario::parse("benches/replication.rs", &text).expect("the benchmark scenario");
    let mut t = Totals::default();
    for seed in 0..seeds {
        let mut config = scenario.world_config(seed, TraceMode::Fingerprint);
        config.snapshot_every = 0;
        let mut world = scenario.build_with(config).expect("builds");
        let started = Instant::now();
        let status = world.run().clone();
        t.run += started.elapsed().as_secs_f64();
        assert!(
            matches!(status, RunStatus::Finished),
            "{label} seed {seed}: {status:?}"
        );
        t.events += world.events();
        let started = Instant::now();
        let verdict = world.check_history(Budget::time(std::time::Duration::from_secs(60)));
        t.linearizability += started.elapsed().as_secs_f64();
        if matches!(verdict.verdict, Verdict::Unknown { .. }) {
            t.undecided += 1;
        }
        let history = kv_history(world.as_ref()).expect("a key-value history");
        t.ops += history.len();
        let time = |f: &mut dyn FnMut()| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        };
        t.durability += time(&mut || drop(std::hint::black_box(lost_writes(&history))));
        t.sessions += time(&mut || drop(std::hint::black_box(session_violations(&history))));
        t.stale += time(&mut || drop(std::hint::black_box(stale_reads(&history))));
    }
    let per = |s: f64| s * 1e3 / seeds as f64;
    println!(
        "{label:<16} {:>6.0}x real time  {:>8.0} events/s  {:>5} ops/run  check ms/run: linearizability {:>7.1}{}  durability {:>5.2}  sessions {:>5.2}  stale reads {:>5.2}",
        (SIMULATED_S * seeds) as f64 / t.run,
        t.events as f64 / t.run,
        t.ops / seeds as usize,
        per(t.linearizability),
        if t.undecided > 0 {
            format!(" ({} undecided)", t.undecided)
        } else {
            String::new()
        },
        per(t.durability),
        per(t.sessions),
        per(t.stale),
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let seeds = if quick { 1 } else { 5 };
    println!(
        "5 servers, 3 clients, {SIMULATED_S} s simulated, random nemesis (crash, isolate, partition, one-way partition, clock offset, clock drift), every invariant after every event; {seeds} seed(s) each, means per run"
    );
    for (label, algorithm, params) in SYSTEMS {
        measure(label, algorithm, params, seeds);
    }
}
