//! Multi-Paxos driven directly: a leader is elected, commands are chosen
//! and applied in order on every replica, and the history is linearizable.

use super::*;
use faultline_sim::{RunStatus, SimHandle, World};

fn run(seed: u64, params: MultiPaxosParams) -> World<MultiNode> {
    crate::testkit::run_kv::<MultiPaxos>(seed, params, 5)
}

#[test]
fn a_leader_is_elected_and_every_replica_applies_the_same_log() {
    for seed in 0..3 {
        let w = run(seed, MultiPaxosParams::default());
        assert_eq!(w.status(), &RunStatus::Finished, "seed {seed}");
        let servers: Vec<&server::Server> = (0..5)
            .filter_map(|i| w.process(NodeId(i)).and_then(|n| n.as_server()))
            .collect();
        let leaders = servers
            .iter()
            .filter(|s| matches!(s.role(), server::Role::Leader { .. }))
            .count();
        assert_eq!(leaders, 1, "seed {seed}");
        let applied = servers.iter().map(|s| s.applied()).min().unwrap();
        assert!(applied > 100, "seed {seed}: {applied} slots applied");
        let handle: &dyn SimHandle = &w;
        let result = handle.check_history(faultline_checker::Budget::unlimited());
        assert_eq!(result.verdict, faultline_checker::Verdict::Linearizable);
    }
}

/// Each bug scenario of `scenarios/multi-paxos/`, the check that must catch
/// it, and within how many seeds from 0.
const BUG_SCENARIOS: [(&str, &str, u64); 6] = [
    ("bug-skip-phase1-for-new-slots.toml", "agreement", 3),
    ("bug-forget-promise.toml", "promise_monotonic", 1),
    ("bug-accept-below-promise.toml", "accept_within_promise", 1),
    ("bug-non-intersecting-quorums.toml", "agreement", 2),
    ("bug-apply-on-accept.toml", "replicas_agree", 3),
    ("bug-apply-out-of-order.toml", "applied_prefix_agreement", 1),
];

fn scenario(file: &str) -> crate::scenario::Scenario {
    crate::testkit::scenario("multi-paxos", file)
}

/// Every bug variant has its scenario; a sweep from seed 0 catches it with
/// the stated check; without the bug the same file passes those seeds and
/// its own.
#[test]
fn every_bug_is_caught_by_its_check_and_the_fix_passes() {
    crate::testkit::assert_bugs_caught::<MultiPaxosBug>("multi-paxos", &BUG_SCENARIOS);
}

/// A new leader that finds holes below the highest slot the promises
/// report fills them with no-ops (the scenario's written faults make the
/// old leader's lost slots such holes).
#[test]
fn a_new_leader_fills_holes_with_no_ops() {
    let s = scenario("leader-crash.toml");
    let mut handle = s.build(s.seed, faultline_sim::TraceMode::Full).unwrap();
    handle.run();
    let holes = handle
        .records()
        .iter()
        .filter_map(|r| match &r.kind {
            faultline_sim::RecordKind::Note { text, .. } if text.contains("holes filled") => {
                Some(text.clone())
            }
            _ => None,
        })
        .find(|t| !t.contains("(0 holes"));
    assert!(holes.is_some(), "no leader found a hole");
    assert!(handle.status() == &RunStatus::Finished);
}

/// Every Multi-Paxos invariant remembers what it saw, and its `memory()`
/// (what exhaustive exploration tells states apart by) changes as it
/// learns: promises, acceptances, chosen and applied slots.
#[test]
fn every_invariant_memory_changes_as_it_learns() {
    let (w, memories) =
        crate::testkit::run_kv_probed::<MultiPaxos>(1, MultiPaxosParams::default(), 3);
    assert!(w.history().len() > 10, "the run served clients");
    let names = super::invariants::INVARIANTS.map(|(name, _)| name);
    crate::testkit::assert_memory_learns(&memories, &names);
}
