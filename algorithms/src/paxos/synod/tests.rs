//! Single-decree Paxos, driven directly: one value is decided under
//! competition and faults, every client learns it, and the correct
//! protocol keeps every invariant where its bug variants break one.

use super::*;
use crate::algorithm::world;
use faultline_sim::{LinkConfig, RunStatus, SimHandle, SimTime, World, WorldConfig};
use std::time::Duration;

fn config(seed: u64, servers: u32, clients: u32) -> WorldConfig {
    WorldConfig {
        seed,
        servers,
        clients,
        end: SimTime::from_duration(Duration::from_secs(3)),
        link: LinkConfig::default(),
        ..WorldConfig::default()
    }
}

fn run(seed: u64, params: PaxosParams) -> World<PaxosNode> {
    let cfg = config(seed, 5, 3);
    let shared = Paxos::prepare(params, "", &cfg).unwrap();
    let invariants = Paxos::invariants(&shared);
    let mut w = world::<Paxos>(cfg, shared, invariants).unwrap();
    w.run();
    w
}

#[test]
fn competing_proposers_decide_one_value_that_every_server_learns() {
    for seed in 0..5 {
        let w = run(seed, PaxosParams::default());
        assert_eq!(w.status(), &RunStatus::Finished, "seed {seed}");
        let decided: Vec<String> = (0..5)
            .filter_map(|i| w.process(NodeId(i)).and_then(|n| n.as_server()))
            .filter_map(|s| s.decided().map(str::to_string))
            .collect();
        assert_eq!(decided.len(), 5, "seed {seed}: every server learns");
        assert!(decided.windows(2).all(|w| w[0] == w[1]), "{decided:?}");
        let handle: &dyn SimHandle = &w;
        let result = handle.check_history(faultline_checker::Budget::unlimited());
        assert_eq!(result.verdict, faultline_checker::Verdict::Linearizable);
        assert!(
            handle.op_count() > 50,
            "seed {seed}: clients keep proposing"
        );
    }
}

/// Each bug scenario of `scenarios/paxos/`, the check that must catch it,
/// and within how many seeds from 0 (its first catch is one seed earlier;
/// over 60 seeds each is caught at 14 to 60 of them).
const BUG_SCENARIOS: [(&str, &str, u64); 7] = [
    ("bug-forget-promise.toml", "promise_monotonic", 1),
    ("bug-persist-ballot-only.toml", "validity", 1),
    ("bug-ignore-promised-value.toml", "agreement", 2),
    ("bug-shared-ballots.toml", "agreement", 4),
    ("bug-accept-below-promise.toml", "accept_within_promise", 4),
    ("bug-learn-across-ballots.toml", "learners_agree", 4),
    ("bug-non-intersecting-quorums.toml", "agreement", 9),
];

fn scenario(file: &str) -> crate::scenario::Scenario {
    crate::testkit::scenario("paxos", file)
}

/// Every bug variant has its scenario; a sweep from seed 0 catches it with
/// the stated check; without the bug the same file passes those seeds and
/// its own.
#[test]
fn every_bug_is_caught_by_its_check_and_the_fix_passes() {
    crate::testkit::assert_bugs_caught::<PaxosBug>("paxos", &BUG_SCENARIOS);
}

/// Without random backoff, dueling proposers stall; with it they settle.
#[test]
fn random_backoff_settles_dueling_proposers() {
    let stalls = scenario("dueling-proposers-no-backoff.toml");
    let settles = scenario("dueling-proposers.toml");
    let stalled = (0..10)
        .filter(|&s| stalls.run_seed(s).unwrap().outcome() == "liveness")
        .count();
    assert!(
        stalled >= 5,
        "only {stalled} of 10 seeds stalled without backoff"
    );
    for seed in 0..10 {
        let r = settles.run_seed(seed).unwrap();
        assert!(r.failure.is_none(), "seed {seed}: {:?}", r.failure);
    }
}

/// Every Synod invariant remembers what it saw, and its `memory()` (what
/// exhaustive exploration tells states apart by) changes as it learns:
/// promises, acceptances, the chosen value.
#[test]
fn every_invariant_memory_changes_as_it_learns() {
    let cfg = config(1, 5, 3);
    let shared = Paxos::prepare(PaxosParams::default(), "", &cfg).unwrap();
    let memories = crate::testkit::Memories::default();
    let invariants = crate::testkit::probe_memory(Paxos::invariants(&shared), &memories);
    let mut w = world::<Paxos>(cfg, shared, invariants).unwrap();
    assert_eq!(w.run(), &RunStatus::Finished);
    let names = super::invariants::INVARIANTS.map(|(name, _)| name);
    crate::testkit::assert_memory_learns(&memories, &names);
}
