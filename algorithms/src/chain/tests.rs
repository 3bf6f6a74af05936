//! Chain replication driven directly: writes flow down the chain, every
//! server holds the same store, the history is linearizable; each bug is
//! caught by its check and the correct version passes the same files.

use super::*;
use faultline_sim::{RunStatus, SimHandle, World};

fn run(seed: u64, params: ChainParams) -> World<ChainNode> {
    crate::testkit::run_kv::<Chain>(seed, params, 5)
}

fn servers(w: &World<ChainNode>) -> Vec<&Server> {
    (1..5)
        .filter_map(|i| w.process(NodeId(i)).and_then(|n| n.as_server()))
        .collect()
}

#[test]
fn writes_reach_every_server_and_the_history_is_linearizable() {
    for reads in [ReadMode::Tail, ReadMode::Craq] {
        for seed in 0..3 {
            let params = ChainParams {
                reads,
                ..ChainParams::default()
            };
            let w = run(seed, params);
            assert_eq!(w.status(), &RunStatus::Finished, "seed {seed}");
            let servers = servers(&w);
            assert_eq!(servers.len(), 4);
            assert!(servers[0].is_head() && servers[3].is_tail());
            let applied = servers.iter().map(|s| s.committed()).min().unwrap();
            assert!(applied > 100, "seed {seed}: {applied} updates committed");
            let handle: &dyn SimHandle = &w;
            let result = handle.check_history(faultline_checker::Budget::unlimited());
            assert_eq!(
                result.verdict,
                faultline_checker::Verdict::Linearizable,
                "{reads:?} seed {seed}"
            );
        }
    }
}

/// With CRAQ, servers other than the tail answer reads, and a server
/// holding a write of the key not yet at the tail asks the tail.
#[test]
fn craq_reads_spread_over_the_chain_and_dirty_keys_ask_the_tail() {
    let params = ChainParams {
        reads: ReadMode::Craq,
        ..ChainParams::default()
    };
    let w = run(1, params);
    let servers = servers(&w);
    let upstream: u64 = servers[..3].iter().map(|s| s.local_reads()).sum();
    let asked: u64 = servers.iter().map(|s| s.tail_queries()).sum();
    assert!(upstream > 50, "{upstream} reads answered above the tail");
    assert!(asked > 0, "no dirty read asked the tail");
    // Tail reads stay at the tail.
    let w = run(1, ChainParams::default());
    let servers = self::servers(&w);
    let upstream: u64 = servers[..3].iter().map(|s| s.local_reads()).sum();
    assert_eq!(upstream, 0);
    assert!(servers[3].local_reads() > 50);
}

/// When the head crashes, its successor heads the chain; the old head
/// comes back at the tail with the state of the tail before it.
#[test]
fn a_crashed_head_is_replaced_by_its_successor_and_rejoins_at_the_tail() {
    let s = scenario("head-crash.toml");
    let mut handle = s.build(s.seed, faultline_sim::TraceMode::Full).unwrap();
    handle.run();
    assert_eq!(handle.status(), &RunStatus::Finished);
    let notes: Vec<String> = handle
        .records()
        .iter()
        .filter_map(|r| match &r.kind {
            faultline_sim::RecordKind::Note { node, text } if node.0 == 0 => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        notes.iter().any(|t| t.contains("v2 [n2 -> n3 -> n4]")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|t| t.contains("[n2 -> n3 -> n4 -> n1] (n1 joining)")),
        "{notes:?}"
    );
}

/// Each bug scenario of `scenarios/chain/`, the check that must catch it,
/// and within how many seeds from 0.
const BUG_SCENARIOS: [(&str, &str, u64); 5] = [
    ("bug-head-acks-early.toml", "linearizability", 3),
    (
        "bug-forget-sent-on-middle-failure.toml",
        "inprocess_requests",
        3,
    ),
    ("bug-craq-dirty-read.toml", "linearizability", 3),
    ("bug-accept-update-gaps.toml", "update_propagation", 3),
    ("bug-ignore-lease.toml", "linearizability", 3),
];

fn scenario(file: &str) -> crate::scenario::Scenario {
    crate::testkit::scenario("chain", file)
}

/// Every bug variant has its scenario; a sweep from seed 0 catches it with
/// the stated check; without the bug the same file passes those seeds and
/// its own.
#[test]
fn every_bug_is_caught_by_its_check_and_the_fix_passes() {
    crate::testkit::assert_bugs_caught::<ChainBug>("chain", &BUG_SCENARIOS);
}

/// The shipped scenarios that expect to pass do, over a few seeds.
#[test]
fn the_shipped_scenarios_pass_a_few_seeds() {
    for file in [
        "basic.toml",
        "head-crash.toml",
        "middle-crash.toml",
        "tail-crash.toml",
        "master-crash.toml",
        "partition.toml",
        "craq.toml",
        "nemesis.toml",
    ] {
        let s = scenario(file);
        for seed in (0..3).chain([s.seed]) {
            let report = s.run_seed(seed).unwrap();
            assert!(
                report.matches(&s.expect),
                "{file} seed {seed}: {:?}",
                report.failure
            );
        }
    }
}

/// A helper for working on the protocol, not a check: prints the notes,
/// faults and completions of one run of `CHAIN_FILE` (in
/// `scenarios/chain/`) at `CHAIN_SEED`. Run with `--ignored --nocapture`.
#[test]
#[ignore]
fn print_the_notes_of_one_run() {
    let file = std::env::var("CHAIN_FILE").unwrap();
    let seed: u64 = std::env::var("CHAIN_SEED").unwrap().parse().unwrap();
    let s = scenario(&file);
    let mut handle = s.build(seed, faultline_sim::TraceMode::Full).unwrap();
    handle.run();
    for r in handle.records() {
        match &r.kind {
            faultline_sim::RecordKind::Note { node, text } => println!("{} {node} {text}", r.time),
            faultline_sim::RecordKind::Fault { .. }
            | faultline_sim::RecordKind::Complete { .. }
            | faultline_sim::RecordKind::Violation { .. } => {
                println!("{} {:?}", r.time, r.kind)
            }
            _ => {}
        }
    }
    println!("{:?}", handle.status());
}

/// A helper for working on the protocol: runs `CHAIN_FILE` over seeds
/// `0..CHAIN_SEEDS` in this process and prints the seeds that fail.
#[test]
#[ignore]
fn print_failing_seeds() {
    let file = std::env::var("CHAIN_FILE").unwrap();
    let n: u64 = std::env::var("CHAIN_SEEDS").unwrap().parse().unwrap();
    let s = scenario(&file);
    let mut bad = 0;
    for seed in 0..n {
        let report = s.run_seed(seed).unwrap();
        if !report.matches(&s.expect) {
            bad += 1;
            println!("seed {seed}: {:?}", report.failure);
        }
    }
    println!("{bad} of {n} failed");
}
