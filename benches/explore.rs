//! Exploration benchmark (docs/explore.md, "Numbers"): breadth-first search
//! of single-decree Paxos with 3 servers and 2 or 3 proposing clients (one
//! proposal each), every invariant and the consensus history checked in
//! every state, on 1 and 2 threads. Prints distinct states per second, the
//! bytes the search keeps per state (the visited fingerprints and the tree
//! of paths), and the process's peak resident memory.
//!
//! ```sh
//! cargo bench --bench explore             # 2 and 3 proposals, 1 and 2 threads
//! cargo bench --bench explore -- --quick  # 2 proposals only
//! ```
//!
//! Paxos's proposers and clients retry on timers, and an adversary may fire
//! a timer whenever it likes, so the space has no end: each search stops at
//! a depth bound or at `MAX_STATES` distinct states. Counts are the same on
//! every machine and thread count; only the times vary.

use faultline_algorithms::scenario::{ExploreOverrides, Scenario};
use faultline_sim::explore::{Parallel, Progress};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const MAX_STATES: u64 = 2_000_000;

struct Threads(usize);

impl Parallel for Threads {
    fn threads(&self) -> usize {
        self.0
    }
    fn run(&self, tasks: usize, task: &(dyn Fn(usize) + Sync)) {
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..self.0.min(tasks.max(1)) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= tasks {
                            break;
                        }
                        task(i);
                    }
                });
            }
        });
    }
}

fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

fn scenario(clients: u32, depth: u32) -> Scenario {
    let text = format!(
        r#"
name = "Exploration benchmark: single-decree Paxos"
algorithm = "paxos"
servers = 3
expect = "pass"

[clients]
count = {clients}

[checks]
linearizability = true

[explore]
strategy = "bfs"
max_depth = {depth}
max_states = {MAX_STATES}
"#
    );
    Scenario::parse("benches/explore.rs", &text).expect("a valid scenario")
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let settings: &[(u32, u32)] = if quick {
        &[(2, 11)]
    } else {
        &[(2, 11), (3, 10)]
    };
    println!(
        "single-decree Paxos, 3 servers, breadth-first, invariants + consensus history checked"
    );
    println!(
        "{:>9} {:>6} {:>8} {:>10} {:>12} {:>11} {:>12} {:>13}",
        "proposals",
        "depth",
        "threads",
        "states",
        "transitions",
        "states/s",
        "kept B/state",
        "peak RSS MiB"
    );
    for &(clients, depth) in settings {
        let s = scenario(clients, depth);
        for threads in [1, 2] {
            let started = Instant::now();
            let report = s
                .explore(
                    ExploreOverrides::default(),
                    &Threads(threads),
                    &mut |_: &Progress| {},
                )
                .expect("the search runs");
            let secs = started.elapsed().as_secs_f64();
            let p = report.progress;
            println!(
                "{:>9} {:>6} {:>8} {:>10} {:>12} {:>11.0} {:>12.1} {:>13.0}",
                clients,
                p.depth,
                threads,
                p.states,
                p.transitions,
                p.states as f64 / secs,
                p.visited_bytes as f64 / p.states as f64,
                peak_rss().map_or(f64::NAN, |b| b as f64 / f64::from(1u32 << 20)),
            );
            assert!(
                !matches!(
                    report.verdict,
                    faultline_sim::explore::Verdict::Violation { .. }
                ),
                "correct Paxos has no violation: {:?}",
                report.verdict
            );
        }
    }
    println!(
        "(peak RSS is the whole process's high-water mark so far, so it only grows down the table)"
    );
}
